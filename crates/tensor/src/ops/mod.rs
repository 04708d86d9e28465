//! Operations on tensors, one file per family.

mod arith;
mod elementwise;
mod index;
mod inplace;
mod matmul;
mod reduce;
mod softmax;
