//! `Dataset`: features `x` and targets `y` with the same number of rows, and splitting.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use tensor::{Float, Tensor};

use super::error::DataError;
use super::split::{stratified_test_counts, test_count};

/// The largest class index a stratified split accepts, plus one.
const MAX_STRATIFY_CLASSES: usize = 1 << 24;

/// Rows of features and targets.
///
/// `x` is `[N, features…]`; `y` is `[N]` of class indices for classification or `[N, k]`
/// for regression.
#[derive(Clone, Debug)]
pub struct Dataset<T: Float = f32> {
    /// Features, one row per sample.
    pub x: Tensor<T>,
    /// Targets, one row per sample.
    pub y: Tensor<T>,
    /// Names of the feature columns (may be empty).
    pub feature_names: Vec<String>,
    /// Names of the classes, or of the target columns for regression.
    pub target_names: Vec<String>,
}

/// How [`Dataset::train_test_split_with`] splits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitOptions {
    /// Fraction of rows for the test part, in (0, 1).
    pub test_fraction: f64,
    /// Seed for the shuffle.
    pub seed: u64,
    /// Shuffle before splitting (default true); without it the last rows are the test part.
    pub shuffle: bool,
    /// Keep class proportions equal in both parts (`y` must hold class indices).
    pub stratify: bool,
}

impl SplitOptions {
    /// A shuffled, unstratified split.
    #[must_use]
    pub fn new(test_fraction: f64, seed: u64) -> Self {
        SplitOptions {
            test_fraction,
            seed,
            shuffle: true,
            stratify: false,
        }
    }
}

impl<T: Float> Dataset<T> {
    /// A dataset from features and targets.
    ///
    /// # Errors
    /// [`DataError::Invalid`] if the row counts differ.
    pub fn new(x: Tensor<T>, y: Tensor<T>) -> Result<Self, DataError> {
        let (nx, ny) = (
            x.shape().first().copied().unwrap_or(0),
            y.shape().first().copied().unwrap_or(0),
        );
        if nx != ny {
            return Err(DataError::Invalid {
                what: "Dataset::new",
                reason: format!("x has {nx} rows but y has {ny}"),
            });
        }
        Ok(Dataset {
            x,
            y,
            feature_names: Vec::new(),
            target_names: Vec::new(),
        })
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.x.shape().first().copied().unwrap_or(0)
    }

    /// True if there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows at `indices` (in that order).
    ///
    /// # Panics
    /// If an index is out of range.
    #[track_caller]
    #[must_use]
    pub fn select(&self, indices: &[usize]) -> Self {
        Dataset {
            x: self.x.index_select(0, indices),
            y: self.y.index_select(0, indices),
            feature_names: self.feature_names.clone(),
            target_names: self.target_names.clone(),
        }
    }

    /// This dataset's rows followed by `other`'s.
    ///
    /// # Panics
    /// If the feature or target shapes differ.
    #[track_caller]
    #[must_use]
    pub fn concat(&self, other: &Self) -> Self {
        Dataset {
            x: Tensor::concat(&[&self.x, &other.x], 0),
            y: Tensor::concat(&[&self.y, &other.y], 0),
            feature_names: self.feature_names.clone(),
            target_names: self.target_names.clone(),
        }
    }

    /// The same data in another float type.
    #[must_use]
    pub fn cast<U: Float>(&self) -> Dataset<U> {
        Dataset {
            x: self.x.cast(),
            y: self.y.cast(),
            feature_names: self.feature_names.clone(),
            target_names: self.target_names.clone(),
        }
    }

    /// Splits shuffled rows into (train, test), the test part holding
    /// `⌈n · test_fraction⌉` rows and the train part the rest, as scikit-learn's
    /// `train_test_split` (10 rows at 0.25 give 3 test rows).
    ///
    /// # Errors
    /// [`DataError::InvalidFraction`] outside (0, 1); [`DataError::Invalid`] with fewer
    /// than 2 rows, or when no row would be left for training.
    ///
    /// ```
    /// let data = nn::data::datasets::iris();
    /// let (train, test) = data.train_test_split(0.2, 42).unwrap();
    /// assert_eq!((train.len(), test.len()), (120, 30));
    /// ```
    pub fn train_test_split(
        &self,
        test_fraction: f64,
        seed: u64,
    ) -> Result<(Self, Self), DataError> {
        self.train_test_split_with(SplitOptions::new(test_fraction, seed))
    }

    /// Splits with full control: shuffle or not, stratified or not.
    ///
    /// With `stratify`, the test part still holds `⌈n · test_fraction⌉` rows, shared among
    /// the classes in proportion to their sizes as scikit-learn's `StratifiedShuffleSplit`
    /// does: each class gets the floor of its expected count, and the rows left over go to
    /// the classes with the largest fractional parts (ties broken by the seed). A class
    /// much smaller than the others may get no test row. Ten classes of 2 rows at 0.2 ask
    /// for 4 test rows, too few for 10 classes: an error, not a 50 % test part.
    ///
    /// # Errors
    /// As [`Dataset::train_test_split`]; with `stratify`, [`DataError::Invalid`] if `y`
    /// does not hold one class index (a whole number below 2^24) per row,
    /// [`DataError::ClassTooSmall`] if a class has a single
    /// row, and [`DataError::PartSmallerThanClasses`] if the train or test part would have
    /// fewer rows than there are classes.
    ///
    /// ```
    /// use nn::data::{DataError, Dataset, SplitOptions};
    /// use tensor::Tensor;
    /// let y = Tensor::from_vec((0..20).map(|i| (i % 10) as f32).collect(), &[20]).unwrap();
    /// let data = Dataset::new(Tensor::zeros(&[20, 1]), y).unwrap();
    /// let strat = SplitOptions { stratify: true, ..SplitOptions::new(0.5, 0) };
    /// let (train, test) = data.train_test_split_with(strat).unwrap();
    /// assert_eq!((train.len(), test.len()), (10, 10)); // one row of each class on each side
    /// let too_few = SplitOptions { test_fraction: 0.2, ..strat }; // 4 test rows, 10 classes
    /// assert!(matches!(
    ///     data.train_test_split_with(too_few),
    ///     Err(DataError::PartSmallerThanClasses { part: "test", rows: 4, classes: 10 })
    /// ));
    /// ```
    pub fn train_test_split_with(&self, opts: SplitOptions) -> Result<(Self, Self), DataError> {
        let (train, test) = self.split_indices(opts)?;
        Ok((self.select(&train), self.select(&test)))
    }

    /// The row indices of (train, test) for a split.
    ///
    /// # Errors
    /// As [`Dataset::train_test_split_with`].
    pub fn split_indices(&self, opts: SplitOptions) -> Result<(Vec<usize>, Vec<usize>), DataError> {
        let f = opts.test_fraction;
        if !(f > 0.0 && f < 1.0) {
            return Err(DataError::InvalidFraction {
                what: "test_fraction",
                value: f,
            });
        }
        let n = self.len();
        if n < 2 {
            return Err(DataError::Invalid {
                what: "train_test_split",
                reason: format!("needs at least 2 rows, got {n}"),
            });
        }
        let mut rng = StdRng::seed_from_u64(opts.seed);
        let n_test = test_count(n, f)?;
        if !opts.stratify {
            let mut order: Vec<usize> = (0..n).collect();
            if opts.shuffle {
                order.shuffle(&mut rng);
            }
            let test = order[n - n_test..].to_vec();
            let train = order[..n - n_test].to_vec();
            return Ok((train, test));
        }
        let stratify_error = |reason: String| DataError::Invalid {
            what: "train_test_split (stratify)",
            reason,
        };
        if self.y.numel() != n {
            return Err(stratify_error(format!(
                "needs one class index per row; y has shape {:?} for {n} rows",
                self.y.shape()
            )));
        }
        // A class count per possible index is kept, so indices are bounded (2^24 classes).
        let labels = self
            .y
            .to_indices(MAX_STRATIFY_CLASSES)
            .map_err(|e| stratify_error(e.to_string()))?;
        let per_class = stratified_test_counts(&labels, n_test, &mut rng)?;
        let (mut train, mut test) = (Vec::new(), Vec::new());
        // The rows of each class in ascending order, classes in ascending order (one sort,
        // not one pass over the rows per possible class index).
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| labels[i]);
        for group in order.chunk_by(|&a, &b| labels[a] == labels[b]) {
            let k = per_class[labels[group[0]]];
            let mut rows = group.to_vec();
            if opts.shuffle {
                rows.shuffle(&mut rng);
            }
            test.extend_from_slice(&rows[rows.len() - k..]);
            train.extend_from_slice(&rows[..rows.len() - k]);
        }
        if opts.shuffle {
            train.shuffle(&mut rng);
            test.shuffle(&mut rng);
        }
        Ok((train, test))
    }
}
