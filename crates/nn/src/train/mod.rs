//! Training, Keras style: [`Model`] (`fit`, `evaluate`, `predict`), [`FitConfig`],
//! [`History`], callbacks (early stopping and friends), metrics and progress output.

mod callbacks;
mod checkpoint;
mod config;
mod context;
mod error;
mod evaluate;
mod fit;
mod history;
mod metrics;
mod metrics_mask;
mod metrics_more;
mod model;
mod monitor;
mod plot;
mod plot_axis;
mod prepare;
mod progress;
mod resume;
mod rollback;
mod step;
mod weights;

pub use callbacks::{
    BackupAndRestore, Callback, CallbackState, CsvLogger, EarlyStopping, LambdaCallback,
    LearningRateScheduler, ModelCheckpoint, ReduceLrOnPlateau, TensorBoard, TerminateOnNan,
};
pub use checkpoint::CheckpointError;
pub use config::{FitConfig, Output, Validation};
pub use context::{Logs, TrainContext, Weights};
pub use error::TrainError;
pub use history::History;
pub use metrics::{
    Accuracy, BinaryAccuracy, MeanAbsoluteError, MeanSquaredError, Metric, MetricError,
};
pub use metrics_more::{metric, Auc, F1Score, Precision, Recall, TopKCategoricalAccuracy};
pub use model::Model;
pub use monitor::{Mode, Monitor, ThresholdMode};
pub use plot::{line_chart, Plot};
pub use progress::{format_value, Progress};
