//! `FitConfig`: how `fit` trains (Keras' `fit` arguments as a builder).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tensor::{Float, Tensor};

use super::error::TrainError;
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
    /// One weight per row of `x` (Keras' `sample_weight`).
    pub(crate) sample_weight: Option<Tensor<T>>,
    /// Weight per class index (Keras' `class_weight`).
    pub(crate) class_weight: Option<BTreeMap<usize, f64>>,
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
            .field(
                "sample_weight",
                &self.sample_weight.as_ref().map(|w| w.shape().to_vec()),
            )
            .field("class_weight", &self.class_weight)
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
            sample_weight: None,
            class_weight: None,
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
    /// `split_at = floor(n·(1 − fraction))`, before shuffling). `0.0` means no split,
    /// Keras' default. Explicit [`FitConfig::validation_data`] wins over a split, in
    /// whichever order the two are set, as in Keras.
    #[must_use]
    pub fn validation_split(mut self, fraction: f64) -> Self {
        match self.validation {
            Validation::Data(..) => {}
            _ if fraction == 0.0 => self.validation = Validation::None,
            _ => self.validation = Validation::Split(fraction),
        }
        self
    }

    /// Validate on explicit rows (overrides a split, set before or after).
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

    /// Weights each row's loss (Keras' `sample_weight`): `weights` is `[N]` (or `[N, 1]`),
    /// one finite weight ≥ 0 per row of `x`, shuffled and batched with its row. The batch
    /// loss becomes `Σ wᵢ·lᵢ / N` over the batch's `N` rows (Keras' `SUM_OVER_BATCH_SIZE`:
    /// divided by the batch size, not by the sum of the weights), so weights of 1 give the
    /// unweighted loss and a row of weight 0 adds nothing but still counts in `N`. The
    /// epoch `loss` is then `Σ wᵢ·lᵢ / n` over the epoch's rows. A `validation_split` takes
    /// the last rows' weights with them, and `val_loss` is weighted by them (as Keras);
    /// metrics are not weighted. The loss must give per-sample losses
    /// ([`Loss::per_sample`](crate::loss::Loss::per_sample); every built-in loss does).
    ///
    /// `fit` returns [`TrainError::Weights`](super::TrainError::Weights) before any
    /// update for a wrong count, a negative or non-finite weight, or `class_weight` given
    /// too (Keras 3 refuses both at once).
    ///
    /// ```
    /// use nn::loss::Mse;
    /// use nn::optim::Sgd;
    /// use nn::train::FitConfig;
    /// use nn::{Linear, Model, Sequential};
    /// use rand::SeedableRng;
    /// use tensor::Tensor;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let x = Tensor::<f64>::from([[0.0], [1.0], [2.0], [3.0]]);
    /// let y = Tensor::<f64>::from([[1.0], [3.0], [5.0], [100.0]]); // the last row is an outlier
    /// let net = Sequential::new().add(Linear::new(1, 1, &mut rng));
    /// let mut model = Model::new(net, Mse, Sgd::new(0.05));
    /// let config = FitConfig::new()
    ///     .epochs(1000)
    ///     .batch_size(4)
    ///     .verbose(0)
    ///     .sample_weight(&Tensor::from([1.0, 1.0, 1.0, 0.0])); // ignore it
    /// model.fit(&x, &y, config).unwrap();
    /// let pred = model.predict(&Tensor::from([[4.0]])).unwrap().item();
    /// assert!((pred - 9.0).abs() < 1e-3, "{pred}"); // y = 2x + 1 from the other rows
    /// ```
    #[must_use]
    pub fn sample_weight(mut self, weights: &Tensor<T>) -> Self {
        self.sample_weight = Some(weights.clone());
        self
    }

    /// Weights each training row's loss by the weight of its class (Keras'
    /// `class_weight`), e.g. `[(0, 1.0), (1, 3.0)]` to count the rarer class 1 three
    /// times; classes not listed weigh 1. The class of a row is its target: a class
    /// index (`[N]` or `[N, 1]`, rounded, so binary 0/1 targets work), or the arg-max of a
    /// one-hot row (`[N, C]`). Then as [`FitConfig::sample_weight`] with those weights,
    /// except that validation is not weighted (as Keras).
    ///
    /// `fit` returns [`TrainError::Weights`](super::TrainError::Weights) for a negative or
    /// non-finite weight, a regression loss (its targets are no classes), or
    /// `sample_weight` given too.
    ///
    /// ```
    /// use nn::train::FitConfig;
    /// let config: FitConfig = FitConfig::new().class_weight([(0, 1.0), (1, 3.0)]);
    /// assert!(format!("{config:?}").contains("class_weight: Some({0: 1.0, 1: 3.0})"));
    /// ```
    #[must_use]
    pub fn class_weight(mut self, weights: impl IntoIterator<Item = (usize, f64)>) -> Self {
        self.class_weight = Some(weights.into_iter().collect());
        self
    }
}

impl<T: Float> FitConfig<T> {
    /// `drop_last` with fewer training rows than one batch leaves no batch to train.
    pub(super) fn check_batches(&self, train_rows: usize) -> Result<(), TrainError> {
        if self.drop_last && train_rows < self.batch_size {
            return Err(TrainError::Config {
                reason: format!(
                    "drop_last drops all {train_rows} training rows (batch_size {}): no \
                     batch would train",
                    self.batch_size
                ),
            });
        }
        Ok(())
    }
}

/// The gradient-clipping bounds of a `Model` must be positive numbers (NaN would fail
/// mid-training, or be ignored).
pub(super) fn check_clipping(norm: Option<f64>, value: Option<f64>) -> Result<(), TrainError> {
    for (name, bound) in [("clip_grad_norm", norm), ("clip_grad_value", value)] {
        if let Some(b) = bound.filter(|b| b.is_nan() || *b <= 0.0) {
            return Err(TrainError::Config {
                reason: format!("{name} must be positive, got {b}"),
            });
        }
    }
    Ok(())
}
