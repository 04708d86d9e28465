//! `TrainError`: why `fit`, `evaluate` or `predict` could not run or stopped, naming the
//! epoch, batch, tensor, row or layer concerned.

use thiserror::Error;

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

/// `[N, 32, 4]`: one sample's shape with the batch axis written `N`.
fn with_batch_axis(sample: &[usize]) -> String {
    let mut axes = vec!["N".to_string()];
    axes.extend(sample.iter().map(ToString::to_string));
    format!("[{}]", axes.join(", "))
}
