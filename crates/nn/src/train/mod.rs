//! Training, Keras style: [`Model`] (`fit`, `evaluate`, `predict`), [`FitConfig`],
//! [`History`], callbacks (early stopping and friends), metrics and progress output.

mod callbacks;
mod config;
mod early_stopping;
mod evaluate;
mod history;
mod metrics;
mod model;
mod plot;
mod progress;

pub use callbacks::{
    Callback, CsvLogger, LambdaCallback, LearningRateScheduler, Logs, ModelCheckpoint,
    ReduceLrOnPlateau, TerminateOnNan, TrainContext, Weights,
};
pub use config::{FitConfig, Output, Validation};
pub use early_stopping::{EarlyStopping, Mode};
pub use history::History;
pub use metrics::{
    Accuracy, BinaryAccuracy, MeanAbsoluteError, MeanSquaredError, Metric, MetricError,
};
pub use model::{Model, TrainError};
pub use plot::line_chart;
pub use progress::{format_value, Progress};
