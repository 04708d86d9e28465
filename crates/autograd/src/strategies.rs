//! Proptest strategies for shapes and tensors, so a gradient property test is a few
//! lines (enable the `proptest` feature).
//!
//! ```
//! use autograd::strategies::tensor_strategy;
//! use autograd::{gradcheck, GradcheckConfig};
//! use proptest::prelude::*;
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(8))]
//!     // in a test file, put #[test] here
//!     fn sigmoid_grads(x in tensor_strategy::<f64>(1..3, 1..4)) {
//!         gradcheck(|v| v[0].sigmoid().sum_all(), &[x], GradcheckConfig::default()).unwrap();
//!     }
//! }
//! # sigmoid_grads();
//! ```

use std::ops::Range;

use proptest::prelude::*;
use tensor::{Float, Tensor};

/// Shapes with a rank in `rank` and every length in `dim`.
pub fn shape_strategy(rank: Range<usize>, dim: Range<usize>) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(dim, rank)
}

/// Tensors of a random shape (rank in `rank`, lengths in `dim`) with values in `[-2, 2]`.
pub fn tensor_strategy<T: Float>(
    rank: Range<usize>,
    dim: Range<usize>,
) -> impl Strategy<Value = Tensor<T>> {
    shape_strategy(rank, dim).prop_flat_map(tensor_of_shape::<T>)
}

/// Tensors of the given shape with values in `[-2, 2]`.
pub fn tensor_of_shape<T: Float>(shape: Vec<usize>) -> impl Strategy<Value = Tensor<T>> {
    let n: usize = shape.iter().product();
    prop::collection::vec(-2.0f64..2.0, n).prop_map(move |data| {
        let data = data.into_iter().map(T::from_f64).collect();
        Tensor::from_vec(data, &shape).expect("length matches the shape")
    })
}
