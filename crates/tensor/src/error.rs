//! `TensorError`: what went wrong, naming the op and the shapes involved.

use thiserror::Error;

/// An error from a tensor operation.
///
/// The panicking methods (`reshape`, `matmul`, `+`, …) panic with this error's message;
/// the `try_` variants return it, for callers that validate runtime data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TensorError {
    /// The data length does not match the shape's element count.
    #[error("{op}: data has {len} elements but shape {shape:?} needs {expected}")]
    LengthMismatch {
        /// The operation.
        op: &'static str,
        /// Elements supplied.
        len: usize,
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements the shape needs.
        expected: usize,
    },
    /// Two operand shapes do not fit together.
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible")]
    IncompatibleShapes {
        /// The operation.
        op: &'static str,
        /// First operand's shape.
        lhs: Vec<usize>,
        /// Second operand's shape.
        rhs: Vec<usize>,
    },
    /// A shape cannot be broadcast to the target.
    #[error("{op}: cannot broadcast shape {from:?} to {to:?}")]
    Broadcast {
        /// The operation.
        op: &'static str,
        /// The source shape.
        from: Vec<usize>,
        /// The target shape.
        to: Vec<usize>,
    },
    /// A reshape target has a different element count.
    #[error("reshape: cannot reshape {from:?} ({from_numel} elements) into {to:?} ({to_numel} elements)")]
    Reshape {
        /// The source shape.
        from: Vec<usize>,
        /// Its element count.
        from_numel: usize,
        /// The target shape.
        to: Vec<usize>,
        /// The target's element count.
        to_numel: usize,
    },
    /// An axis does not exist.
    #[error("{op}: axis {axis} is out of range for a tensor with {ndim} axes")]
    AxisOutOfRange {
        /// The operation.
        op: &'static str,
        /// The axis given (may be negative).
        axis: isize,
        /// The tensor's rank.
        ndim: usize,
    },
    /// An index does not exist along an axis.
    #[error("{op}: index {index} is out of range for length {len}")]
    IndexOutOfRange {
        /// The operation.
        op: &'static str,
        /// The index given.
        index: usize,
        /// The axis length.
        len: usize,
    },
    /// The shape has more elements (or bytes) than the address space can hold.
    #[error("{op}: shape {shape:?} has more elements than this machine can address")]
    TooLarge {
        /// The operation.
        op: &'static str,
        /// The requested shape.
        shape: Vec<usize>,
    },
    /// The memory for a tensor could not be allocated.
    #[error("{op}: cannot allocate {bytes} bytes ({:.1} GiB) for shape {shape:?}", *bytes as f64 / (1u64 << 30) as f64)]
    Alloc {
        /// The operation.
        op: &'static str,
        /// The requested shape.
        shape: Vec<usize>,
        /// Bytes asked for.
        bytes: usize,
    },
    /// Any other invalid argument, described in words.
    #[error("{op}: {reason}")]
    Invalid {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Shorthand for results of tensor operations.
pub type Result<T, E = TensorError> = std::result::Result<T, E>;

/// Panics with the error's message; used by the panicking wrappers of `try_` methods.
#[track_caller]
pub(crate) fn unwrap<T>(r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}
