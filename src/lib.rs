//! # wengert
//!
//! Reverse-mode automatic differentiation you can see and trust: strided tensors
//! ([`tensor`]), a tape you can read ([`autograd`]), and layers, losses, optimizers, data
//! preparation and a Keras-style training loop ([`nn`]).
//!
//! ```
//! use wengert::prelude::*;
//!
//! let tape = Tape::new();
//! let x = tape.var(Tensor::scalar(2.0f64));
//! let w = tape.var(Tensor::scalar(-3.0));
//! let y = (x * w + 1.0).tanh();
//! let grads = y.backward();
//! approx::assert_relative_eq!(grads[&w].item(), (1.0 - y.item().powi(2)) * 2.0, max_relative = 1e-12);
//! ```

pub use autograd;
pub use nn;
pub use tensor;

/// The names most programs need: `use wengert::prelude::*;`.
pub mod prelude {
    pub use autograd::{
        functional, gradcheck, gradgradcheck, CustomOp, GradcheckConfig, Grads, Param, Residuals,
        Tangents, Tape, Var,
    };
    pub use nn::data::{
        self, datasets, read_csv, read_table, CsvOptions, Dataset, HandleUnknown, LabelEncoder,
        MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler, Table, Target,
    };
    pub use nn::loss::{
        self, BinaryCrossentropy, CategoricalCrossentropy, Loss, SparseCategoricalCrossentropy,
    };
    pub use nn::optim::{self, Adadelta, Adagrad, Adam, AdamW, Optimizer, RmsProp, Sgd};
    pub use nn::train::{
        Accuracy, Auc, BackupAndRestore, BinaryAccuracy, Callback, CsvLogger, EarlyStopping,
        F1Score, FitConfig, History, LambdaCallback, Logs, MeanAbsoluteError, MeanSquaredError,
        Metric, Mode, Model, ModelCheckpoint, Precision, Recall, ReduceLrOnPlateau, TensorBoard,
        TerminateOnNan, TopKCategoricalAccuracy, TrainContext,
    };
    pub use nn::{
        AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Dropout, Dropout2d,
        Elu, Embedding, Flatten, Gelu, Gru, Identity, Init, LastStep, LayerNorm, LeakyRelu, Linear,
        LogSoftmax, Lstm, MaxPool2d, Module, Named, Regularizer, Relu, Rnn, RnnState, Sequential,
        Sigmoid, Softmax, Tanh,
    };
    pub use rand::rngs::StdRng;
    pub use rand::SeedableRng;
    pub use tensor::{Float, Tensor};
}
