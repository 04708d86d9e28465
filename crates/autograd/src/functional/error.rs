//! [`FunctionalError`]: what a functional transform reports instead of panicking.

use thiserror::Error;

/// A mistake in a call to a functional transform.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FunctionalError {
    /// No inputs were given.
    #[error("{function}: needs at least one input")]
    NoInputs {
        /// The transform called.
        function: &'static str,
    },
    /// The transform needs a scalar output (`grad`, `hessian`, `hvp`).
    #[error(
        "{function}: the function returns shape {shape:?}, not a single value; \
         use jacobian (or vjp with a cotangent) for non-scalar outputs"
    )]
    NotScalar {
        /// The transform called.
        function: &'static str,
        /// The output's shape.
        shape: Vec<usize>,
    },
    /// One tangent/cotangent per input is needed.
    #[error("{function}: {got} {what}s given for {expected} inputs")]
    CountMismatch {
        /// The transform called.
        function: &'static str,
        /// `"tangent"` or `"vector"`.
        what: &'static str,
        /// The number of inputs.
        expected: usize,
        /// The number given.
        got: usize,
    },
    /// A tangent, cotangent or vector does not have the shape of what it pairs with.
    #[error("{function}: the {what} has shape {got:?}, expected {expected:?}")]
    ShapeMismatch {
        /// The transform called.
        function: &'static str,
        /// What was wrong (`"tangent 0"`, `"cotangent"`, …).
        what: String,
        /// The shape it must have.
        expected: Vec<usize>,
        /// The shape given.
        got: Vec<usize>,
    },
}
