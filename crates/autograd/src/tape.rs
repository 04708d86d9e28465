//! The tape (Wengert list) and `Var`, a `Copy` handle to one of its entries.
//!
//! Every op on `Var`s computes its value right away and appends a [`Node`]: the op, the
//! ids of its inputs, and the value. Nodes are appended in execution order, so the list
//! is already topologically sorted and backward is one reverse loop (see
//! [`crate::backward`]). A `Var<'t>` borrows its tape, so using it after the tape is
//! dropped is a compile error, and there is no global graph: tapes are independent.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};

use smallvec::SmallVec;
use tensor::{Float, Tensor};

use crate::anomaly::{Anomaly, Phase};
use crate::custom::CustomEntry;
use crate::op::{Op, ParamId};
use crate::param::Param;

/// Position of a node on its tape.
pub type NodeId = usize;

/// Input ids of a node (most ops have one, two or three).
pub type Inputs = SmallVec<[NodeId; 3]>;

/// One entry of the Wengert list.
#[derive(Clone, Debug)]
pub struct Node<T: Float> {
    /// What produced the value.
    pub op: Op,
    /// Ids of the inputs, in the op's order.
    pub inputs: Inputs,
    /// The value computed in the forward pass.
    pub value: Tensor<T>,
    /// True if a gradient flows to this node (a leaf, a parameter, or anything computed
    /// from one).
    pub requires_grad: bool,
    /// A name given by the user with [`Var::label`], for printing.
    pub label: Option<String>,
    /// What the forward pass kept for the op's rule besides its inputs and output, so the
    /// backward pass need not recompute it (PyTorch's "saved tensors"): the gate
    /// pre-activations of [`Op::LstmSequence`]; `None` for every other op. Boxed, so the
    /// many nodes without one stay small.
    pub saved: Option<Box<Tensor<T>>>,
}

/// A gradient hook: sees the gradient arriving at a node and may replace it.
pub type Hook<T> = Box<dyn Fn(&Tensor<T>) -> Option<Tensor<T>>>;

/// An append-only list of operations and their values: the record of one forward pass.
///
/// ```
/// use autograd::Tape;
/// use tensor::Tensor;
///
/// let tape = Tape::new();
/// let x = tape.var(Tensor::scalar(2.0f64));
/// let w = tape.var(Tensor::scalar(-3.0));
/// let y = (x * w + 1.0).tanh(); // tanh(-5)
/// let grads = y.backward();
/// // dy/dw = (1 - tanh²(-5)) · x
/// let expected = (1.0 - (-5.0f64).tanh().powi(2)) * 2.0;
/// approx::assert_relative_eq!(grads[&w].item(), expected, max_relative = 1e-12);
/// assert_eq!(tape.len(), 5); // x, w, mul, add, tanh
/// ```
pub struct Tape<T: Float = f32> {
    pub(crate) nodes: RefCell<Vec<Node<T>>>,
    pub(crate) params: RefCell<Vec<(ParamId, NodeId)>>,
    pub(crate) hooks: RefCell<Vec<(NodeId, Hook<T>)>>,
    pub(crate) retained: RefCell<Vec<NodeId>>,
    pub(crate) custom: RefCell<Vec<CustomEntry<T>>>,
    recording: Cell<bool>,
    /// Anomaly detection: on/off, where each node was recorded (only while on), and the
    /// first anomaly found.
    pub(crate) detect: Cell<bool>,
    pub(crate) locations: RefCell<Vec<Option<&'static Location<'static>>>>,
    pub(crate) anomaly: RefCell<Option<Anomaly>>,
    /// This tape's number, unique in the process (see [`next_serial`]): [`crate::Grads`]
    /// remembers it, so that a `Var` of another tape is refused rather than answered with
    /// whatever node has the same position here.
    pub(crate) serial: u64,
}

/// Numbers tapes 1, 2, 3, … for the life of the process (0 is no tape: an empty
/// [`crate::Grads`]). A `u64` does not wrap in practice (a tape per nanosecond would take
/// 584 years).
fn next_serial() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape that records.
    #[must_use]
    pub fn new() -> Self {
        Tape {
            // The list the last tape on this thread left (see `spare`), or room for a
            // typical step, so the list does not move while it grows.
            nodes: RefCell::new(crate::spare::take()),
            params: RefCell::new(Vec::new()),
            hooks: RefCell::new(Vec::new()),
            retained: RefCell::new(Vec::new()),
            custom: RefCell::new(Vec::new()),
            recording: Cell::new(true),
            detect: Cell::new(false),
            locations: RefCell::new(Vec::new()),
            anomaly: RefCell::new(None),
            serial: next_serial(),
        }
    }

    /// A tape that never records a graph: every value is stored as a constant. Use it
    /// for evaluation (`predict`, validation).
    #[must_use]
    pub fn inference() -> Self {
        let tape = Self::new();
        tape.recording.set(false);
        tape
    }

    /// Number of nodes recorded so far.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// True if nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True unless inside [`Tape::no_grad`] or on an [`Tape::inference`] tape.
    pub fn is_recording(&self) -> bool {
        self.recording.get()
    }

    /// A leaf that needs a gradient.
    pub fn var(&self, value: Tensor<T>) -> Var<'_, T> {
        let requires_grad = self.recording.get();
        let op = if requires_grad {
            Op::Leaf
        } else {
            Op::Constant
        };
        self.push(op, Inputs::new(), value, requires_grad)
    }

    /// A value that needs no gradient (data, labels, masks). Backward never computes a
    /// gradient for it or through it.
    pub fn constant(&self, value: Tensor<T>) -> Var<'_, T> {
        self.push(Op::Constant, Inputs::new(), value, false)
    }

    /// Binds a persistent parameter to this tape. Binding the same parameter again
    /// returns the same node (memoized), so its gradient is accumulated once. A frozen
    /// parameter ([`Param::requires_grad`]`(false)`) is bound as a constant: it gets no
    /// gradient.
    pub fn param(&self, p: &Param<T>) -> Var<'_, T> {
        if let Some(&(_, id)) = self.params.borrow().iter().find(|(pid, _)| *pid == p.id()) {
            return Var { id, tape: self };
        }
        let recording = self.recording.get() && p.trainable();
        let op = if recording {
            Op::Param(p.id())
        } else {
            Op::Constant
        };
        let var = self.push(op, Inputs::new(), p.value(), recording);
        if self.recording.get() {
            self.label_node(var.id, p.name());
        }
        self.params.borrow_mut().push((p.id(), var.id));
        var
    }

    /// The parameters bound to this tape with [`Tape::param`], each once, in the order
    /// they were first bound, with the `Var` holding each one's value (on any tape,
    /// recording or not). `fit` compares them with the model's `parameters()` to find a
    /// layer the model uses but does not list.
    ///
    /// ```
    /// use autograd::{Param, Tape};
    /// use tensor::Tensor;
    /// let (w, b) = (Param::new("w", Tensor::<f32>::ones(&[2, 3])), Param::new("b", Tensor::zeros(&[2])));
    /// let tape = Tape::inference();
    /// let _ = tape.param(&w) * 2.0 + tape.param(&w);
    /// let _ = tape.param(&b);
    /// let bound = tape.bound_params();
    /// assert_eq!(bound.len(), 2);
    /// assert_eq!((bound[0].0, bound[0].1.shape()), (w.id(), vec![2, 3]));
    /// assert_eq!(bound[1].0, b.id());
    /// ```
    #[must_use]
    pub fn bound_params(&self) -> Vec<(ParamId, Var<'_, T>)> {
        let params = self.params.borrow();
        params
            .iter()
            .map(|&(p, id)| (p, Var { id, tape: self }))
            .collect()
    }

    /// Runs `f` without recording a graph: every value it computes is stored as a
    /// constant, so nothing it does gets a gradient.
    ///
    /// ```
    /// let tape = autograd::Tape::new();
    /// let x = tape.var(tensor::Tensor::scalar(1.0f32));
    /// let y = tape.no_grad(|| x * 2.0);
    /// assert!(!y.requires_grad());
    /// ```
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        let before = self.recording.replace(false);
        let out = f();
        self.recording.set(before);
        out
    }

    /// The node with this id (a clone: values are shared, not copied).
    ///
    /// # Panics
    /// If the id is not on this tape.
    pub fn node(&self, id: NodeId) -> Node<T> {
        self.nodes.borrow()[id].clone()
    }

    /// Appends a node computed from `inputs` by `op`. The node needs a gradient if any
    /// input does; when not recording it is stored as a constant without inputs.
    #[track_caller]
    #[inline(always)]
    pub(crate) fn record(&self, op: Op, inputs: Inputs, value: Tensor<T>) -> Var<'_, T> {
        self.record_saved(op, inputs, value, None)
    }

    /// Whether an op on `inputs` would be recorded with a gradient (the tape records, and
    /// one of them needs a gradient): only then is anything worth saving for its rule.
    pub(crate) fn would_need_grad(&self, inputs: &[NodeId]) -> bool {
        self.recording.get() && {
            let nodes = self.nodes.borrow();
            inputs.iter().any(|&i| nodes[i].requires_grad)
        }
    }

    /// [`Tape::record`], keeping `saved` on the node for the op's rule
    /// ([`Node::saved`]) when it is recorded with a gradient.
    #[track_caller]
    #[inline(always)]
    pub(crate) fn record_saved(
        &self,
        op: Op,
        inputs: Inputs,
        value: Tensor<T>,
        saved: Option<Tensor<T>>,
    ) -> Var<'_, T> {
        let requires_grad = self.would_need_grad(&inputs);
        let bad = if self.detect.get() {
            first_non_finite(&value)
        } else {
            None
        };
        let var = if requires_grad {
            self.push_node(op, inputs, value, true, saved.map(Box::new))
        } else {
            self.push(Op::Constant, Inputs::new(), value, false)
        };
        if self.detect.get() {
            let mut locations = self.locations.borrow_mut();
            locations.resize(var.id, None);
            locations.push(Some(Location::caller()));
            drop(locations);
            if let Some(v) = bad {
                self.report_anomaly(Phase::Forward, var.id, v);
            }
        }
        var
    }

    fn push(&self, op: Op, inputs: Inputs, value: Tensor<T>, requires_grad: bool) -> Var<'_, T> {
        self.push_node(op, inputs, value, requires_grad, None)
    }

    #[inline(always)]
    fn push_node(
        &self,
        op: Op,
        inputs: Inputs,
        value: Tensor<T>,
        requires_grad: bool,
        saved: Option<Box<Tensor<T>>>,
    ) -> Var<'_, T> {
        let mut nodes = self.nodes.borrow_mut();
        let id = nodes.len();
        nodes.reserve(1);
        // Written straight into the list's free slot: `Vec::push` built the 256-byte node
        // on the stack and then copied it with a `memmove` call, 12 % of recording a
        // tiny op.
        nodes.spare_capacity_mut()[0].write(Node {
            op,
            inputs,
            value,
            requires_grad,
            label: None,
            saved,
        });
        // SAFETY: `reserve(1)` made room for element `id`, which the line above
        // initialized; the `RefCell` borrow keeps anyone else from the list meanwhile.
        unsafe { nodes.set_len(id + 1) };
        Var { id, tape: self }
    }

    pub(crate) fn label_node(&self, id: NodeId, label: &str) {
        self.nodes.borrow_mut()[id].label = Some(label.to_string());
    }

    pub(crate) fn add_custom(&self, entry: CustomEntry<T>) -> usize {
        let mut custom = self.custom.borrow_mut();
        custom.push(entry);
        custom.len() - 1
    }
}

impl<T: Float> fmt::Debug for Tape<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tape<{}> with {} nodes", T::NAME, self.len())
    }
}

/// A handle to one value on a tape. `Copy`: pass it around freely; ops on it record onto
/// its tape.
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float = f32> {
    pub(crate) id: NodeId,
    pub(crate) tape: &'t Tape<T>,
}

impl<'t, T: Float> Var<'t, T> {
    /// The node's position on the tape.
    #[must_use]
    pub fn id(self) -> NodeId {
        self.id
    }

    /// The tape this value lives on.
    #[must_use]
    pub fn tape(self) -> &'t Tape<T> {
        self.tape
    }

    /// The value (a cheap handle to shared storage).
    #[must_use]
    pub fn value(self) -> Tensor<T> {
        self.tape.nodes.borrow()[self.id].value.clone()
    }

    /// Calls `f` with a reference to the value (no clone).
    pub fn with_value<R>(self, f: impl FnOnce(&Tensor<T>) -> R) -> R {
        f(&self.tape.nodes.borrow()[self.id].value)
    }

    /// The value's shape.
    #[must_use]
    pub fn shape(self) -> Vec<usize> {
        self.tape.nodes.borrow()[self.id].value.shape().to_vec()
    }

    /// Number of axes.
    #[must_use]
    pub fn ndim(self) -> usize {
        self.tape.nodes.borrow()[self.id].value.ndim()
    }

    /// The single value of a one-element result (a loss).
    ///
    /// # Panics
    /// If the value has more than one element.
    #[track_caller]
    #[must_use]
    pub fn item(self) -> T {
        self.tape.nodes.borrow()[self.id].value.item()
    }

    /// True if a gradient flows to this value.
    #[must_use]
    pub fn requires_grad(self) -> bool {
        self.tape.nodes.borrow()[self.id].requires_grad
    }

    /// The op that produced this value.
    #[must_use]
    pub fn op(self) -> Op {
        self.tape.nodes.borrow()[self.id].op.clone()
    }

    /// Names the node for printing (`Display` of the tape, DOT, traces). Returns `self`
    /// so it chains: `let h = (x.matmul(w)).label("h");`.
    #[must_use]
    #[allow(clippy::return_self_not_must_use)] // called for its effect; chaining is optional
    pub fn label(self, name: &str) -> Self {
        self.tape.label_node(self.id, name);
        self
    }

    /// The same value as a constant: gradients stop here, as `torch.Tensor.detach`.
    #[must_use]
    pub fn detach(self) -> Self {
        self.tape.constant(self.value())
    }

    /// Keeps this (non-leaf) node's gradient in the result of `backward`, as
    /// `torch.Tensor.retain_grad`. Leaves and parameters always keep theirs.
    #[must_use]
    #[allow(clippy::return_self_not_must_use)] // called for its effect; chaining is optional
    pub fn retain_grad(self) -> Self {
        self.tape.retained.borrow_mut().push(self.id);
        self
    }

    /// Registers a hook on the gradient flowing into this node during backward. The hook
    /// sees the total gradient (after fan-out contributions are summed); returning
    /// `Some(t)` replaces it, `None` leaves it as is.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 2.0]));
    /// let h = (x * 3.0).register_hook(|g| Some(g * 0.5)); // halve the gradient
    /// let grads = h.sum_all().backward();
    /// assert_eq!(grads[&x].to_vec(), vec![1.5, 1.5]);
    /// ```
    ///
    /// Hooks run in `backward`, `backward_traced` and `grad_graph` alike, on the total
    /// gradient that reached the node. In `grad_graph` the hook sees the gradient's value;
    /// a gradient it returns enters the recorded graph as a constant, so second
    /// derivatives do not flow through a replaced gradient.
    #[allow(clippy::return_self_not_must_use)] // called for its effect; chaining is optional
    pub fn register_hook(self, hook: impl Fn(&Tensor<T>) -> Option<Tensor<T>> + 'static) -> Self {
        self.tape.hooks.borrow_mut().push((self.id, Box::new(hook)));
        self
    }

    /// Panics unless `other` is on the same tape.
    #[track_caller]
    pub(crate) fn same_tape(self, other: Var<'t, T>, op: &str) {
        assert!(
            std::ptr::eq(self.tape, other.tape),
            "{op}: the operands live on different tapes (node %{} and node %{}); \
             a Var can only be combined with Vars recorded on the same Tape",
            self.id,
            other.id
        );
    }
}

impl<T: Float> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes = self.tape.nodes.borrow();
        let node = &nodes[self.id];
        write!(
            f,
            "Var(%{} = {} {:?})",
            self.id,
            node.op.name(),
            node.value.shape()
        )
    }
}

impl<T: Float> fmt::Display for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value(), f)
    }
}

/// The first NaN or infinite element of `t`, if any.
pub(crate) fn first_non_finite<T: Float>(t: &Tensor<T>) -> Option<f64> {
    let check = |s: &[T]| s.iter().find(|v| !v.is_finite()).map(|v| v.to_f64());
    match t.as_slice() {
        Some(s) => check(s),
        None => check(&t.to_vec()),
    }
}
