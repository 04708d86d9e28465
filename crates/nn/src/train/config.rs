//! `FitConfig`: how `fit` trains (Keras' `fit` arguments as a builder).

use std::sync::{Arc, Mutex};

use tensor::{Float, Tensor};

use super::Callback;
use crate::data::Augment;

/// Where validation data comes from.
#[derive(Clone, Debug, Default)]
pub enum Validation<T: Float> {
    /// No validation.
    #[default]
    None,
    /// The last fraction of the rows, taken before any shuffling; they never train.
    Split(f64),
    /// Explicit validation rows.
    Data(Tensor<T>, Tensor<T>),
}

/// Where progress output goes.
#[derive(Clone, Debug, Default)]
pub enum Output {
    /// Standard output (a live bar on a terminal, plain lines otherwise).
    #[default]
    Stdout,
    /// A shared buffer (tests, GUIs); always plain lines.
    Buffer(Arc<Mutex<Vec<u8>>>),
}

/// The settings of one `fit` call.
///
/// ```
/// use nn::train::{EarlyStopping, FitConfig};
/// let config: FitConfig = FitConfig::new()
///     .epochs(1000)
///     .batch_size(20)
///     .shuffle(true)
///     .validation_split(0.2)
///     .verbose(0)
///     .callback(EarlyStopping::new("val_loss").patience(10).restore_best_weights(true));
/// assert!(format!("{config:?}").contains("epochs: 1000"));
/// ```
///
/// Every setter returns the changed config (`#[must_use]`): `config.epochs(10);` on its
/// own line would change nothing, and the compiler says so.
pub struct FitConfig<T: Float = f32> {
    /// Number of epochs (default 1).
    pub(crate) epochs: usize,
    /// Samples per weight update (default 32). All rows: batch GD; 1: SGD.
    pub(crate) batch_size: usize,
    /// Reshuffle the training rows every epoch (default true).
    pub(crate) shuffle: bool,
    /// Validation data.
    pub(crate) validation: Validation<T>,
    /// 0 silent, 1 progress bar, 2 one line per epoch (default 1).
    pub(crate) verbose: u8,
    /// Seed for shuffling (default 0).
    pub(crate) seed: u64,
    /// The first epoch's index (to resume training; default 0).
    pub(crate) initial_epoch: usize,
    /// Drop a last batch smaller than `batch_size` (default false).
    pub(crate) drop_last: bool,
    /// Check every value and gradient for NaN/∞ (default false).
    pub(crate) detect_anomaly: bool,
    /// Where progress goes.
    pub(crate) output: Output,
    pub(crate) callbacks: Vec<Box<dyn Callback<T>>>,
    pub(crate) augment: Vec<Box<dyn Augment<T>>>,
}

impl<T: Float> std::fmt::Debug for FitConfig<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitConfig")
            .field("epochs", &self.epochs)
            .field("batch_size", &self.batch_size)
            .field("shuffle", &self.shuffle)
            .field("validation", &self.validation)
            .field("verbose", &self.verbose)
            .field("seed", &self.seed)
            .field("initial_epoch", &self.initial_epoch)
            .field("drop_last", &self.drop_last)
            .field("detect_anomaly", &self.detect_anomaly)
            .field("callbacks", &self.callbacks.len())
            .field("augment", &self.augment.len())
            .finish()
    }
}

impl<T: Float> Default for FitConfig<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> FitConfig<T> {
    /// Keras' defaults: 1 epoch, batch size 32, shuffled, no validation, verbose 1.
    #[must_use]
    pub fn new() -> Self {
        FitConfig {
            epochs: 1,
            batch_size: 32,
            shuffle: true,
            validation: Validation::None,
            verbose: 1,
            seed: 0,
            initial_epoch: 0,
            drop_last: false,
            detect_anomaly: false,
            output: Output::Stdout,
            callbacks: Vec::new(),
            augment: Vec::new(),
        }
    }

    /// Number of epochs.
    #[must_use]
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Samples per weight update.
    #[must_use]
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Reshuffle the training rows every epoch.
    #[must_use]
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Hold out the last `fraction` of the rows for validation (Keras semantics:
    /// `split_at = floor(n·(1 − fraction))`, before shuffling).
    #[must_use]
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation = Validation::Split(fraction);
        self
    }

    /// Validate on explicit rows (overrides a split).
    #[must_use]
    pub fn validation_data(mut self, x: &Tensor<T>, y: &Tensor<T>) -> Self {
        self.validation = Validation::Data(x.clone(), y.clone());
        self
    }

    /// 0 silent, 1 progress bar, 2 one line per epoch.
    #[must_use]
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// Seed for shuffling.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Index of the first epoch (resuming).
    #[must_use]
    pub fn initial_epoch(mut self, epoch: usize) -> Self {
        self.initial_epoch = epoch;
        self
    }

    /// Drop the last batch of each epoch when it is smaller than `batch_size` (PyTorch
    /// `DataLoader`'s `drop_last`): with shuffling, the rows left out change every epoch.
    /// The remedy when a BatchNorm layer would see a batch of one row.
    #[must_use]
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Anomaly detection ([`autograd::Tape::detect_anomaly`]) in every training step: the
    /// first NaN or infinity in a value or a gradient stops `fit` with
    /// `TrainError::Anomaly`, naming the op, its input shapes, the pass, and the line of
    /// your code that recorded it. Slower; turn it on to find where a NaN comes from.
    #[must_use]
    pub fn detect_anomaly(mut self, on: bool) -> Self {
        self.detect_anomaly = on;
        self
    }

    /// Where progress goes.
    #[must_use]
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// Adds a callback.
    #[must_use]
    pub fn callback(mut self, cb: impl Callback<T> + 'static) -> Self {
        self.callbacks.push(Box::new(cb));
        self
    }

    /// Adds an augmentation applied to every training batch (never to validation).
    #[must_use]
    pub fn augment(mut self, a: impl Augment<T> + 'static) -> Self {
        self.augment.push(Box::new(a));
        self
    }
}
