//! Data preparation: datasets, splitting, batching, scaling, missing values, outliers,
//! augmentation, CSV files and embedded real datasets.
//!
//! Fit every transformer (scalers, imputer, outlier bounds) on the *training* rows only,
//! then apply it to any rows: fitting on all data before splitting leaks the test set into
//! training.

mod augment;
mod batches;
mod csv;
mod dataset;
pub mod datasets;
mod error;
mod impute;
mod outliers;
mod scale;
mod split;
mod stats;

pub use augment::{Augment, GaussianNoise, Mixup, RandomFlip, RandomShift};
pub use batches::Batches;
pub use csv::{parse_csv, read_csv, CsvOptions, Target};
pub use dataset::{Dataset, SplitOptions};
pub use error::DataError;
pub use impute::{ImputeStrategy, SimpleImputer};
pub use outliers::{OutlierMethod, Outliers};
pub use scale::{MinMaxScaler, StandardScaler};
