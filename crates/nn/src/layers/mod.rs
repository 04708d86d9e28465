//! Layers, one per file.

mod activation;
mod batchnorm;
mod conv;
mod dropout;
mod embedding;
mod last_step;
mod layernorm;
mod linear;
mod pool;
mod reshape;
mod rnn;

pub use activation::{Elu, Gelu, LeakyRelu, LogSoftmax, Relu, Sigmoid, Softmax, Tanh};
pub use batchnorm::{BatchNorm1d, BatchNorm2d};
pub use conv::{Conv1d, Conv2d, ConvBuilder, Padding};
pub use dropout::{Dropout, Dropout2d};
pub use embedding::Embedding;
pub use last_step::LastStep;
pub use layernorm::LayerNorm;
pub use linear::Linear;
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, MaxPool2d};
pub use reshape::{Flatten, Identity};
pub use rnn::{Gru, Lstm, Rnn, RnnBuilder, RnnKind, RnnState};
