//! `Model`: a module with its loss, optimizer and metrics; `fit`, `evaluate`, `predict`.

use autograd::Grads;
use tensor::{Float, Tensor};
use thiserror::Error;

use super::checkpoint::RunState;
use super::metrics::Metric;
use crate::loss::Loss;
use crate::module::Module;
use crate::optim::Optimizer;

/// Why `fit` (or `evaluate`) could not run or stopped.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum TrainError {
    /// `x` and `y` have different numbers of rows.
    #[error("{what}: x has {x_rows} rows but y has {y_rows}")]
    RowMismatch {
        /// `fit`, `evaluate` or `validation data`.
        what: &'static str,
        /// Rows of x.
        x_rows: usize,
        /// Rows of y.
        y_rows: usize,
    },
    /// No rows to train on.
    #[error("fit: the training data is empty")]
    Empty,
    /// `batch_size` is 0.
    #[error("fit: batch_size must be at least 1")]
    BatchSize,
    /// `validation_split` is outside (0, 1) or leaves one side empty.
    #[error("fit: validation_split must be in (0, 1) and leave rows on both sides; {reason}")]
    ValidationSplit {
        /// What is wrong.
        reason: String,
    },
    /// `x` is not shaped as the model's first layer takes it (see
    /// [`Module::input_shape`](crate::Module::input_shape)).
    #[error("{what}: x has shape {shape:?}, but the model's first layer takes {expected}")]
    InputShape {
        /// `fit`, `evaluate`, `predict` or `validation data`.
        what: &'static str,
        /// The shape of x.
        shape: Vec<usize>,
        /// The shape the model takes, `[N, …, 3]` (a first `Linear` also takes extra
        /// leading axes) or `[N, 1, any, any]`, with a hint.
        expected: String,
    },
    /// A layer inside a [`Sequential`](crate::Sequential) is not given the shape it
    /// declares ([`Module::input_shape`](crate::Module::input_shape)) by the layers before
    /// it, found with `x`'s first row before anything is trained or predicted.
    #[error(
        "{what}: layer {layer} takes {expected}, but the layers before it give {}; \
         change the layer's input size, or the layers before it",
        with_batch_axis(.sample)
    )]
    LayerInput {
        /// `fit`, `evaluate`, `predict` or `validation data`.
        what: &'static str,
        /// The layer's index in the `Sequential` and its description,
        /// `2 (Linear(12 → 1))`.
        layer: String,
        /// The shape of one sample the layer is given (its input without the batch axis).
        sample: Vec<usize>,
        /// The shape it takes, as in [`TrainError::InputShape`].
        expected: String,
    },
    /// A value of `x` the model cannot take (a token id outside an `Embedding`'s
    /// vocabulary); see [`Module::check_input`](crate::Module::check_input).
    #[error("{what}: {reason}")]
    InputValues {
        /// `fit`, `evaluate`, `predict` or `validation data`.
        what: &'static str,
        /// The module's message, naming the value and its position.
        reason: String,
    },
    /// The targets do not fit the loss (shape, or class labels out of range).
    #[error("{what}: the targets do not fit the {loss} loss: {reason}")]
    Targets {
        /// `fit`, `evaluate` or `validation data`.
        what: &'static str,
        /// The loss's name.
        loss: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The loss's own settings are unusable (Huber's `delta` not positive and finite);
    /// see [`Loss::validate`](crate::loss::Loss::validate). Checked before anything else
    /// looks at the model.
    #[error("{what}: the {loss} loss cannot be used: {reason}")]
    LossConfig {
        /// `fit` or `evaluate`.
        what: &'static str,
        /// The loss's name.
        loss: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The loss or a gradient became NaN or infinite. The model and the optimizer are put
    /// back to their state before the last update that was applied (the one whose
    /// weights led here), so `predict` on the model still gives finite values.
    #[error(
        "fit: the {what} is {value} at epoch {epoch} (0-based; shown as Epoch {}), batch {batch}; \
         {restored} (to find the op and the line that produced it, set FitConfig::detect_anomaly(true))",
        epoch + 1
    )]
    NonFinite {
        /// `loss` or `gradient`.
        what: &'static str,
        /// The offending value.
        value: f64,
        /// 0-based epoch.
        epoch: usize,
        /// 0-based batch within the epoch.
        batch: usize,
        /// Which state the model was put back to, in words.
        restored: String,
    },
    /// An update made a weight NaN or infinite from finite gradients (a learning rate far
    /// too large, or an optimizer's arithmetic). The update was undone: the model and the
    /// optimizer are as they were before it.
    #[error(
        "fit: the update of epoch {epoch} (0-based; shown as Epoch {}), batch {batch} made \
         {parameter} {value}; that update was undone, so the model and optimizer are as before it \
         (try a smaller learning rate or gradient clipping)",
        epoch + 1
    )]
    NonFiniteWeight {
        /// The parameter's state-dict name (`0.weight`).
        parameter: String,
        /// The first non-finite value in it.
        value: f64,
        /// 0-based epoch.
        epoch: usize,
        /// 0-based batch within the epoch.
        batch: usize,
    },
    /// A callback stopped training with an error.
    #[error("fit: {0}")]
    Callback(String),
    /// Evaluation or validation data with no rows (a loss or metric over nothing has no
    /// value; reporting 0 would read as a perfect score).
    #[error("{what}: the data has no rows, so there is nothing to measure")]
    NoRows {
        /// `evaluate` or `validation data`.
        what: &'static str,
    },
    /// A metric cannot compare the predictions with the targets (shapes or label format).
    #[error("{what}: {error}")]
    Metric {
        /// `fit`, `evaluate` or `validation data`.
        what: &'static str,
        /// The metric's error, naming it and both shapes.
        error: super::MetricError,
    },
    /// A batch would hold one row (a batch size of 1, or one row left over at the end of
    /// every epoch), and a layer of the model normalizes with batch statistics
    /// (BatchNorm) over what would be one value per channel, as PyTorch refuses. A
    /// `BatchNorm2d` given images of more than one pixel has enough from one row; inside
    /// a custom module (not a `Sequential`) a BatchNorm counts as one that would not.
    #[error(
        "fit: {rows} training rows in batches of {batch_size} give a batch of 1 row, \
         and the model has a BatchNorm layer that may see only 1 value per channel there, \
         but needs more than 1 when training; choose a batch size of at least 2 that does \
         not leave 1 row over, or set FitConfig::drop_last(true)"
    )]
    SingleRowBatch {
        /// Training rows (after any validation split).
        rows: usize,
        /// The batch size.
        batch_size: usize,
    },
    /// The data already holds a NaN or an infinity.
    #[error(
        "{what}: {tensor} has {value} at row {row}, {position}; impute missing values \
         first (SimpleImputer) and check the data for infinities"
    )]
    NonFiniteData {
        /// `fit`, `evaluate`, `predict` or `validation data`.
        what: &'static str,
        /// `x` or `y`.
        tensor: &'static str,
        /// The value (NaN or ±∞).
        value: f64,
        /// Its row.
        row: usize,
        /// Where in the row: `column 3`, or the index within an image (`index [0, 4, 2]`).
        position: String,
    },
    /// With `FitConfig::detect_anomaly(true)`: the first NaN or infinity of a training
    /// step, with the op and the line that recorded it. The update was not applied.
    #[error("fit: epoch {epoch} (0-based), batch {batch}: {anomaly}")]
    Anomaly {
        /// 0-based epoch.
        epoch: usize,
        /// 0-based batch.
        batch: usize,
        /// What was found, and where.
        anomaly: autograd::Anomaly,
    },
    /// An optimizer hyper-parameter is out of range (checked before the first step).
    #[error("fit: {0}")]
    Optimizer(#[from] crate::optim::OptimizerError),
    /// A schedule or callback set a learning rate that is not a finite number ≥ 0.
    #[error(
        "fit: the learning rate is {value} at epoch {epoch} (0-based; shown as Epoch {}); \
         a schedule or callback set it, and it must be a finite number ≥ 0",
        epoch + 1
    )]
    LearningRate {
        /// 0-based epoch.
        epoch: usize,
        /// The rate.
        value: f64,
    },
    /// `sample_weight` or `class_weight` cannot be used as given (a weight count other
    /// than the row count, a negative or non-finite weight, `class_weight` with a
    /// regression loss, both given, or a loss without per-sample losses); checked before
    /// the first update.
    #[error("fit: {reason}")]
    Weights {
        /// What is wrong.
        reason: String,
    },
    /// A checkpoint could not be written or restored during `fit` (`BackupAndRestore`),
    /// or a loaded one does not fit this run's augmentations or callbacks.
    #[error("fit: {0}")]
    Checkpoint(String),
    /// A training setting that cannot work: a gradient-clipping bound that is not a
    /// positive number, or `drop_last` with fewer training rows than one batch (no
    /// update would ever be made); checked before the first update.
    #[error("fit: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
}

/// A module with its loss, optimizer and metrics: the Keras `Model` workflow.
///
/// ```
/// use nn::{Linear, Model, Sequential, Relu};
/// use nn::loss::Mse;
/// use nn::optim::Adam;
/// use nn::train::FitConfig;
/// use rand::SeedableRng;
/// use tensor::Tensor;
///
/// // Learn y = 2x − 1.
/// let x = Tensor::<f32>::linspace(-1.0, 1.0, 64).reshape(&[64, 1]);
/// let y = &(&x * 2.0) - 1.0;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let net = Sequential::new().add(Linear::new(1, 1, &mut rng));
/// let mut model = Model::new(net, Mse, Adam::new(0.05));
/// let history = model.fit(&x, &y, FitConfig::new().epochs(200).batch_size(16).verbose(0)).unwrap();
/// assert!(history.get("loss").unwrap().last().unwrap() < &1e-3);
/// ```
pub struct Model<T: Float = f32> {
    pub(crate) module: Box<dyn Module<T>>,
    pub(crate) loss: Box<dyn Loss<T>>,
    pub(crate) optimizer: Box<dyn Optimizer<T>>,
    pub(crate) metrics: Vec<Box<dyn Metric<T>>>,
    pub(crate) clip_norm: Option<f64>,
    pub(crate) clip_value: Option<f64>,
    /// The optimizer's rate when the model was built: what schedules start from.
    pub(crate) initial_lr: f64,
    /// What the last `fit` left (epochs completed, generators, callbacks' states), for
    /// `save_checkpoint`.
    pub(crate) run_state: RunState<T>,
    /// A run state loaded by `load_checkpoint`, for the next `fit` to continue from.
    pub(crate) resume: Option<RunState<T>>,
    /// Whether `fit` already printed its loss/output warning for this model.
    pub(crate) warned: bool,
}

/// The loss, the optimizer and the number of parameter scalars (Keras' "Total params",
/// PyTorch's `sum(p.numel())`): `Model { loss: "mse", optimizer: "Adam", parameters: 4, .. }`.
impl<T: Float> std::fmt::Debug for Model<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("loss", &self.loss.name())
            .field("optimizer", &self.optimizer.name())
            .field("parameters", &self.module.num_parameters())
            .finish_non_exhaustive()
    }
}

impl<T: Float> Model<T> {
    /// A model from a module, a loss and an optimizer.
    ///
    /// # Panics
    /// If a module in `module` lists a different number of modules in
    /// [`Module::children_mut`] than in [`Module::children`] (naming it and both counts).
    #[track_caller]
    pub fn new(
        module: impl Module<T> + 'static,
        loss: impl Loss<T> + 'static,
        optimizer: impl Optimizer<T> + 'static,
    ) -> Self {
        let initial_lr = optimizer.learning_rate();
        let mut module: Box<dyn Module<T>> = Box::new(module);
        if let Err(e) = crate::module::check_children(&mut *module) {
            panic!("Model::new: {e}");
        }
        Model {
            module,
            loss: Box::new(loss),
            optimizer: Box::new(optimizer),
            initial_lr,
            metrics: Vec::new(),
            clip_norm: None,
            clip_value: None,
            run_state: RunState::default(),
            resume: None,
            warned: false,
        }
    }

    /// Adds a metric (reported per epoch, with a `val_` twin when validating).
    #[must_use]
    pub fn metric(mut self, m: impl Metric<T> + 'static) -> Self {
        self.metrics.push(Box::new(m));
        self
    }

    /// Clips the global gradient norm before each update (Keras `global_clipnorm`).
    #[must_use]
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip_norm = Some(max_norm);
        self
    }

    /// Clips every gradient entry into `[-v, v]` before each update (Keras `clipvalue`).
    /// `fit` refuses a `v` that is not positive ([`TrainError::Config`]).
    #[must_use]
    pub fn clip_grad_value(mut self, v: f64) -> Self {
        self.clip_value = Some(v);
        self
    }

    /// The module.
    #[must_use]
    pub fn module(&self) -> &dyn Module<T> {
        &*self.module
    }

    /// The module, mutably.
    pub fn module_mut(&mut self) -> &mut dyn Module<T> {
        &mut *self.module
    }

    /// The optimizer.
    #[must_use]
    pub fn optimizer(&self) -> &dyn Optimizer<T> {
        &*self.optimizer
    }

    /// A table of the model like Keras' `model.summary()`: one row per layer (a
    /// `Sequential`'s layers, named by position with their type) with its output shape
    /// and parameter count, then the total, trainable and non-trainable counts and their
    /// size in memory.
    ///
    /// * Output shapes come from the model's input shape ([`Module::input_shape`]) by a
    ///   forward pass on zeros in evaluation mode (recording nothing; the model stays in
    ///   evaluation mode, as after `fit`). The batch axis shows as `None`, and so does an
    ///   axis that follows an open input axis (a sequence length, an image size), as in
    ///   Keras. `?` marks a shape that cannot be known without the input shape — give it
    ///   with [`Model::summary_for`].
    /// * `Param #` counts parameters and weight buffers; non-trainable are frozen
    ///   parameters ([`Module::freeze`]) and BatchNorm's running mean and variance (Keras
    ///   counts its `moving_mean`/`moving_variance` so). BatchNorm's
    ///   `num_batches_tracked` is a counter, not a weight, and is not counted.
    /// * A custom model's row is followed by its [`Module::children`], indented, with
    ///   their counts and `--` for a shape (its own `forward` decides them).
    ///
    /// # Panics
    /// If a layer rejects the shape its predecessor produces (with that layer's message).
    ///
    /// ```
    /// use nn::loss::Mse;
    /// use nn::optim::Sgd;
    /// use nn::{BatchNorm1d, Linear, Model, Module, Relu, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let net = Sequential::<f32>::new()
    ///     .add(Linear::new(13, 64, &mut rng))
    ///     .add(BatchNorm1d::new(64))
    ///     .add(Relu)
    ///     .add(Linear::new(64, 1, &mut rng));
    /// net.layers()[0].freeze();
    /// let mut model = Model::new(net, Mse, Sgd::new(0.1));
    /// let table = model.summary();
    /// println!("{table}");
    /// assert!(table.contains(" Layer (type)         Output Shape  Param #\n"));
    /// assert!(table.contains(" 0 (Linear(13 → 64))  (None, 64)        896\n"));
    /// assert!(table.contains(" 1 (BatchNorm1d(64))  (None, 64)        256\n"));
    /// // 896 + 4·64 + 65; frozen: the Linear's 896 and the running mean and variance.
    /// assert!(table.contains("Total params: 1,217 (4.75 KB)"));
    /// assert!(table.contains("Trainable params: 193 (772.00 B)"));
    /// assert!(table.contains("Non-trainable params: 1,024 (4.00 KB)"));
    /// ```
    pub fn summary(&mut self) -> String {
        crate::summary::table(&mut *self.module, "model", None)
    }

    /// [`Model::summary`] for samples shaped `sample_shape` (without the batch axis, as
    /// Keras' `Input(shape=…)`): `&[1, 28, 28]` for 28×28 one-channel images, `&[T]` for
    /// token sequences of length `T`, so every output shape is known.
    ///
    /// # Panics
    /// If a layer rejects the shape (with that layer's message).
    ///
    /// ```
    /// use nn::loss::CrossEntropy;
    /// use nn::optim::Adam;
    /// use nn::{Embedding, LastStep, Linear, Lstm, Model, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let net = Sequential::<f32>::new()
    ///     .add(Embedding::new(100, 16, &mut rng))
    ///     .add(Lstm::builder(16, 32).batch_first(true).build(&mut rng))
    ///     .add(LastStep)
    ///     .add(Linear::new(32, 2, &mut rng));
    /// let mut model = Model::new(net, CrossEntropy, Adam::new(1e-3));
    /// let table = model.summary_for(&[20]);
    /// assert!(table.contains("(None, 20, 16)") && table.contains("(None, 20, 32)"));
    /// assert!(table.contains("(None, 32)") && table.contains("(None, 2)"));
    /// // The Embedding does not fix the length: summary() shows what it can.
    /// assert!(model.summary().contains("?"));
    /// ```
    pub fn summary_for(&mut self, sample_shape: &[usize]) -> String {
        let sample = sample_shape.iter().map(|&n| Some(n)).collect();
        crate::summary::table(&mut *self.module, "model", Some(sample))
    }
}

pub(crate) fn rows<T: Float>(t: &Tensor<T>) -> usize {
    t.shape().first().copied().unwrap_or(0)
}

pub(crate) fn first_non_finite<T: Float>(grads: &Grads<T>) -> Option<f64> {
    grads.params().find_map(|(_, g)| {
        if g.all_finite() {
            return None;
        }
        let g = g.contiguous();
        g.as_slice()
            .expect("contiguous")
            .iter()
            .find(|v| !v.is_finite())
            .map(|v| v.to_f64())
    })
}

/// The first NaN or infinite value of `t` (row-major), as a [`TrainError::NonFiniteData`].
pub(crate) fn check_finite_data<T: Float>(
    what: &'static str,
    tensor: &'static str,
    t: &Tensor<T>,
) -> Result<(), TrainError> {
    // Borrow contiguous data (the usual case) instead of copying the whole dataset.
    let copy;
    let values: &[T] = match t.as_slice() {
        Some(s) => s,
        None => {
            copy = t.to_vec();
            &copy
        }
    };
    let Some(i) = values.iter().position(|v| !v.is_finite()) else {
        return Ok(());
    };
    let shape = t.shape();
    let row_len: usize = shape.iter().skip(1).product();
    let (row, mut rest) = (i / row_len.max(1), i % row_len.max(1));
    let mut index = vec![0; shape.len().saturating_sub(1)];
    for (k, &d) in shape.iter().enumerate().skip(1).rev() {
        index[k - 1] = rest % d;
        rest /= d;
    }
    let position = match index.as_slice() {
        [] => "its only value".to_string(),
        [c] => format!("column {c}"),
        _ => format!("index {index:?} within the row"),
    };
    Err(TrainError::NonFiniteData {
        what,
        tensor,
        value: values[i].to_f64(),
        row,
        position,
    })
}

/// `[N, 32, 4]`: one sample's shape with the batch axis written `N`.
fn with_batch_axis(sample: &[usize]) -> String {
    let mut axes = vec!["N".to_string()];
    axes.extend(sample.iter().map(ToString::to_string));
    format!("[{}]", axes.join(", "))
}
