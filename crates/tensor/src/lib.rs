//! # tensor — strided n-d arrays for wengert
//!
//! [`Tensor<T>`] is an n-dimensional array of `f32` (default) or `f64`: a [`Layout`]
//! (shape, strides, offset) over shared storage.
//!
//! ## Views
//! `t`, `transpose`, `permute`, `narrow`/`slice`, `broadcast_to`, `unsqueeze`,
//! `squeeze`, `flatten` and `reshape` (when the strides allow) return views that share
//! storage; `contiguous` copies only when needed. Broadcasting sets stride 0 on repeated
//! axes. Negative axes count from the end, as in NumPy.
//!
//! ## Arithmetic and broadcasting
//! Binary ops broadcast by NumPy's rules (align shapes at the right; lengths must be equal
//! or 1). A shape mistake panics with a message naming the op and both shapes; the
//! `try_` variants return [`TensorError`] instead.
//!
//! ```
//! use tensor::Tensor;
//! let x = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
//! let w = Tensor::from([[1.0f32], [0.0], [-1.0]]);
//! let y = x.matmul(&w) + 1.0;
//! assert_eq!(y.to_vec(), vec![-1.0, -1.0]);
//! assert_eq!(x.sum(0, false).to_vec(), vec![5.0, 7.0, 9.0]);
//! let err = x.try_matmul(&x).unwrap_err();
//! assert!(err.to_string().contains("[2, 3] and [2, 3]"));
//! ```
//!
//! ## Speed
//! Kernels go through one dispatcher ([`strided`]) that takes a contiguous slice loop when
//! it can, vectorized for the CPU at hand by runtime detection ([`simd`]); `exp`, `tanh`
//! and `sigmoid` have vectorizable implementations ([`fastmath`]). Threads are used only
//! above the thresholds in [`parallel`]. `matmul` calls the `gemm` crate with the views'
//! strides.

pub mod element;
pub mod error;
pub mod fastmath;
pub mod layout;
pub mod parallel;
pub mod recycle;
pub mod shape;
pub mod simd;
mod storage;
pub mod strided;

pub mod display;
mod ops;
mod random;
mod tensor;
mod views;

pub use display::{EDGE_ITEMS, SUMMARY_THRESHOLD};
pub use element::Float;
pub use error::{Result, TensorError};
pub use layout::Layout;
pub use ops::{linear_shape, AvgPool, Conv2dParams, Pool2d, CHUNK_ELEMENTS};
pub use shape::{broadcast_shapes, Dims};
pub use tensor::Tensor;
