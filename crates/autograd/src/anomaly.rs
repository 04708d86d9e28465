//! Anomaly detection: the first NaN or infinity a tape produced, in the forward pass or
//! in backward, with the op, its inputs' shapes, the tape index and the line of the
//! user's code that recorded the op (as PyTorch's `torch.autograd.detect_anomaly`, which
//! reports only a stack trace and only for backward).
//!
//! Off by default: recording then costs one flag test per op. On
//! ([`crate::Tape::detect_anomaly`]), each recorded op keeps its caller's
//! `std::panic::Location` (every `Var` op is `#[track_caller]`), and every value and
//! every gradient contribution is checked.

use std::fmt;
use std::panic::Location;

use thiserror::Error;

use crate::tape::NodeId;

/// Which pass produced the non-finite value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The op's own value.
    Forward,
    /// The gradient the op's backward rule sent to one of its inputs.
    Backward,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Forward => "forward",
            Phase::Backward => "backward",
        })
    }
}

/// The first NaN or ±∞ found with anomaly detection on.
#[derive(Clone, Debug, Error, PartialEq)]
#[error(
    "anomaly in the {phase} pass of `{op}` (tape node %{node}, input shapes {input_shapes:?}): \
     it produced {value}{}",
    location.map(|l| format!("; the op was recorded at {}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default()
)]
pub struct Anomaly {
    /// Forward or backward.
    pub phase: Phase,
    /// The op's name, as in the Wengert list.
    pub op: String,
    /// Its index on the tape.
    pub node: NodeId,
    /// The shapes of its inputs.
    pub input_shapes: Vec<Vec<usize>>,
    /// The first non-finite value.
    pub value: f64,
    /// Where the user's code recorded the op.
    pub location: Option<&'static Location<'static>>,
}
