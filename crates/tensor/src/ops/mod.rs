//! Operations on tensors, one file per family.

mod arith;
mod conv;
mod elementwise;
mod im2col;
mod index;
mod inplace;
mod linear;
mod matmul;
mod max_pool;
mod pool;
mod reduce;
mod rnn;
mod rnn_seq;
mod softmax;

pub use conv::{Conv2dParams, CHUNK_ELEMENTS};
pub use linear::linear_shape;
pub use pool::{AvgPool, Pool2d};
