//! # autograd — a tape you can read
//!
//! Reverse-mode automatic differentiation over [`tensor::Tensor`]. A [`Tape`] records
//! every op of a forward pass as one line of a Wengert list; [`Var`] is a `Copy` handle
//! to a line. `backward` walks the list once in reverse, applying each op's rule from
//! one derivative table ([`backward`]), and returns [`Grads`].
//!
//! ```
//! use autograd::Tape;
//! use tensor::Tensor;
//!
//! // One neuron, by hand and by tape: y = tanh(x·w + b)
//! let tape = Tape::new();
//! let x = tape.var(Tensor::scalar(2.0f64)).label("x");
//! let w = tape.var(Tensor::scalar(-3.0)).label("w");
//! let b = tape.var(Tensor::scalar(6.881373587019543)).label("b");
//! let y = (x * w + b).tanh();
//! let grads = y.backward();
//! // dy/dw = (1 − y²)·x
//! let expected = (1.0 - y.item().powi(2)) * 2.0;
//! approx::assert_relative_eq!(grads[&w].item(), expected, max_relative = 1e-12);
//! println!("{tape}"); // the Wengert list
//! ```
//!
//! Where to read next: [`tape`] (recording), [`backward`] (the derivative table),
//! [`grads`] (the reverse walk), [`forward`] (the tangent table and the forward walk,
//! checked against the derivative table op by op), [`functional`] (Jacobians, Hessians,
//! `vjp`/`jvp` of functions of tensors), [`gradcheck()`] (checking it all against finite
//! differences), [`inspect`] (printing the tape, DOT, traces), [`Tape::to_html`] (the tape
//! and a backward trace as an interactive page for teaching).

pub mod anomaly;
pub mod backward;
mod backward_ops;
mod custom;
mod derivatives;
mod derivatives_rnn;
pub mod forward;
pub mod function;
pub mod functional;
pub mod gradcheck;
pub mod grads;
mod html;
pub mod inspect;
mod local_factor;
pub mod op;
mod op_kind;
pub mod param;
mod reverse;
mod spare;
#[cfg(feature = "proptest")]
pub mod strategies;
pub mod tangents;
pub mod tape;
mod var_activation;
mod var_arith;
mod var_axes;
mod var_conv;
mod var_index;
mod var_math;
mod var_ops;
mod var_reduce;
mod var_rnn;

pub use anomaly::{Anomaly, Phase};
pub use backward::BackwardOps;
pub use function::{CustomOp, Residuals};
pub use gradcheck::{gradcheck, gradgradcheck, GradcheckConfig, GradcheckError};
pub use grads::{Grads, Trace, TraceStep};
pub use op::{Op, OpKind, ParamId};
pub use param::Param;
pub use tangents::{ForwardStep, ForwardTrace, Tangents};
pub use tape::{Node, NodeId, Tape, Var};
