//! Layers, one per file.

mod activation;
mod batchnorm;
mod dropout;
mod layernorm;
mod linear;
mod reshape;

pub use activation::{Elu, Gelu, LeakyRelu, LogSoftmax, Relu, Sigmoid, Softmax, Tanh};
pub use batchnorm::BatchNorm1d;
pub use dropout::Dropout;
pub use layernorm::LayerNorm;
pub use linear::Linear;
pub use reshape::{Flatten, Identity};
