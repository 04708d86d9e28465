//! # nn — layers, losses, optimizers, data, and training
//!
//! Everything needed to define and train models on top of [`autograd`]:
//!
//! * [`Module`] and [`Sequential`], layers ([`Linear`], activations, [`Dropout`],
//!   [`BatchNorm1d`], [`LayerNorm`], convolutional layers [`Conv2d`], [`MaxPool2d`],
//!   [`BatchNorm2d`], …), sequence layers ([`Embedding`], [`Rnn`], [`Lstm`], [`Gru`],
//!   [`LastStep`]) and [`Init`]ializers;
//! * [`loss`] functions that follow PyTorch's definitions, and [`regularize`]rs;
//! * [`optim`]izers with `torch.optim`'s formulas, schedules and clipping;
//! * [`data`] preparation: splits, batches, scalers, imputation, outliers, augmentation,
//!   CSV, embedded datasets;
//! * [`train`]: a Keras-style [`Model`] with `fit`, `evaluate`, `predict`, callbacks and
//!   history.

pub mod data;
pub mod init;
pub mod io;
pub mod layers;
pub mod loss;
pub mod module;
pub mod optim;
pub mod regularize;
pub mod rng;
mod sequential;
pub mod state_dict;
mod summary;
pub mod train;

pub use init::Init;
pub use layers::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Dropout, Dropout2d,
    Elu, Embedding, Flatten, Gelu, Gru, Identity, LastStep, LayerNorm, LeakyRelu, Linear,
    LogSoftmax, Lstm, MaxPool2d, Relu, Rnn, RnnState, Sigmoid, Softmax, Tanh,
};
pub use module::{Module, Named, Sequential};
pub use regularize::Regularizer;
pub use state_dict::{IncompatibleKeys, StateDict, StateDictError};
pub use train::{FitConfig, History, Model};
