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

use tensor::Float;
use thiserror::Error;

use crate::tape::{NodeId, Tape};

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

impl<T: Float> Tape<T> {
    /// Turns anomaly detection on or off (PyTorch's `torch.autograd.detect_anomaly`, but
    /// for the forward pass too): while on, every op remembers the line of your code that
    /// recorded it, and the first NaN or infinity a value or a gradient takes is kept as an
    /// [`Anomaly`] naming the op, its input shapes, the pass and that line. Read it with
    /// [`Tape::anomaly`] or [`Var::try_backward`](crate::Var::try_backward). Off (the
    /// default), recording costs one flag test per op.
    ///
    /// ```
    /// use autograd::{Phase, Tape};
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// tape.detect_anomaly(true);
    /// let x = tape.var(Tensor::from([1.0f64, 0.0]));
    /// let y = (x / x).sum_all(); // 0/0 in the second entry
    /// let err = y.try_backward().unwrap_err();
    /// assert_eq!((err.phase, err.op.as_str()), (Phase::Forward, "div"));
    /// assert_eq!(err.location.unwrap().file(), file!()); // this doc test's own line
    /// ```
    pub fn detect_anomaly(&self, on: bool) {
        self.detect.set(on);
    }

    /// True while anomaly detection is on.
    pub fn detects_anomaly(&self) -> bool {
        self.detect.get()
    }

    /// The first anomaly found since detection was turned on, if any.
    pub fn anomaly(&self) -> Option<Anomaly> {
        self.anomaly.borrow().clone()
    }

    /// Records the first anomaly (later ones are usually its consequences).
    pub(crate) fn report_anomaly(&self, phase: Phase, node: NodeId, value: f64) {
        if self.anomaly.borrow().is_some() {
            return;
        }
        let (op, input_shapes) = {
            let nodes = self.nodes.borrow();
            let n = &nodes[node];
            let shapes = n
                .inputs
                .iter()
                .map(|&i| nodes[i].value.shape().to_vec())
                .collect();
            (n.op.name(), shapes)
        };
        let location = self.locations.borrow().get(node).copied().flatten();
        *self.anomaly.borrow_mut() = Some(Anomaly {
            phase,
            op,
            node,
            input_shapes,
            value,
            location,
        });
    }
}
