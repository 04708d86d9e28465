//! Data preparation: datasets, splitting, batching, scaling, missing values, outliers,
//! augmentation, CSV files (numeric into a [`Dataset`], mixed into a [`Table`]), categorical
//! encoders, sequences and series (padding, windows, gap interpolation) and embedded real
//! datasets.
//!
//! Fit every transformer (scalers, imputer, outlier bounds) on the *training* rows only,
//! then apply it to any rows: fitting on all data before splitting leaks the test set into
//! training.

mod augment;
mod batches;
mod csv;
mod csv_lines;
mod csv_source;
mod dataset;
pub mod datasets;
mod encode;
mod error;
mod impute;
mod outliers;
mod scale;
mod sequence;
mod split;
mod stats;
mod table;

pub use augment::{Augment, GaussianNoise, Mixup, RandomFlip, RandomShift};
pub use batches::Batches;
pub use csv::{parse_csv, read_csv, CsvOptions, Target};
pub use dataset::{Dataset, SplitOptions};
pub use encode::{HandleUnknown, LabelEncoder, OneHotEncoder, OrdinalEncoder};
pub use error::DataError;
pub use impute::{ImputeStrategy, SimpleImputer};
pub use outliers::{OutlierMethod, Outliers};
pub use scale::{MinMaxScaler, StandardScaler};
pub use sequence::{
    interpolate, pad_sequences, sequence_mask, timeseries_dataset_from_array, Interpolation, Side,
    Windows,
};
pub use table::{parse_table, read_table, Column, Table};
