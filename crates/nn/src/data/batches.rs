//! Mini-batch row indices, reshuffled every epoch from a seed.

use crate::rng::{seeded, Rng};
use rand::seq::SliceRandom;

/// Row indices split into batches of `batch_size` (the last batch may be smaller and is
/// kept). Every row appears exactly once per epoch.
///
/// The batch size decides the flavour of gradient descent: all rows (or more) is batch
/// GD, 1 is per-sample SGD, anything between is mini-batch GD.
///
/// ```
/// use nn::data::Batches;
/// let mut batches = Batches::new(10, 4, true, 7);
/// let epoch: Vec<Vec<usize>> = batches.epoch();
/// assert_eq!(epoch.iter().map(|b| b.len()).collect::<Vec<_>>(), vec![4, 4, 2]);
/// let mut all: Vec<usize> = epoch.concat();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<_>>());
/// ```
#[derive(Debug)]
pub struct Batches {
    n: usize,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    rng: Rng,
}

impl Batches {
    /// Batches over `n` rows.
    ///
    /// # Panics
    /// If `batch_size` is 0.
    #[track_caller]
    #[must_use]
    pub fn new(n: usize, batch_size: usize, shuffle: bool, seed: u64) -> Self {
        assert!(batch_size > 0, "Batches: batch_size must be at least 1");
        Batches {
            n,
            batch_size,
            shuffle,
            drop_last: false,
            rng: seeded(seed),
        }
    }

    /// Drop the last batch when it is smaller than `batch_size` (PyTorch `DataLoader`'s
    /// `drop_last`); the dropped rows change every epoch when shuffling.
    ///
    /// ```
    /// let batches = nn::data::Batches::new(10, 4, false, 0).drop_last(true);
    /// assert_eq!(batches.len(), 2);
    /// ```
    #[must_use]
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Number of batches per epoch: `ceil(n / batch_size)` (`floor` with `drop_last`).
    #[must_use]
    pub fn len(&self) -> usize {
        if self.drop_last {
            self.n / self.batch_size
        } else {
            self.n.div_ceil(self.batch_size)
        }
    }

    /// True if there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The position of the shuffling generator, for checkpoints.
    #[must_use]
    pub fn rng_state(&self) -> crate::rng::RngState {
        crate::rng::RngState::of(&self.rng)
    }

    /// Moves the shuffling generator to a saved position (see [`Batches::rng_state`]).
    pub fn set_rng_state(&mut self, state: &crate::rng::RngState) {
        self.rng = state.to_rng();
    }

    /// The next epoch's batches (a new shuffle each call when shuffling).
    pub fn epoch(&mut self) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.n).collect();
        if self.shuffle {
            order.shuffle(&mut self.rng);
        }
        let full = self.len();
        order
            .chunks(self.batch_size)
            .take(full)
            .map(|c| c.to_vec())
            .collect()
    }
}
