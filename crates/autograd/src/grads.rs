//! `backward`, `backward_traced` and `grad_graph` on a [`Var`], and [`Grads`], the
//! gradients they return. All three run the one reverse loop,
//! `reverse::reverse`: `backward` on tensors (plain math, recording nothing),
//! `grad_graph` on `Var`s (the backward pass recorded, so it can be differentiated
//! again).

use std::ops::Index;

use tensor::{Float, Tensor};

use crate::local_factor::local_factor;
use crate::op::{Op, ParamId};
use crate::param::Param;
use crate::reverse::reverse;
use crate::tape::{NodeId, Tape, Var};

/// Gradients from one backward pass, by node and by parameter. Holds no borrow of the
/// tape, so it can outlive it; it remembers which tape it came from, and refuses a `Var`
/// of any other.
#[derive(Clone, Debug, Default)]
pub struct Grads<T: Float = f32> {
    nodes: Vec<Option<Tensor<T>>>,
    params: Vec<(ParamId, Tensor<T>)>,
    /// The serial number of the tape walked (0 for empty `Grads::default()`).
    tape: u64,
}

impl<T: Float> Grads<T> {
    /// The gradient of the output with respect to `v`, if `v` is a leaf, a parameter, or
    /// a node marked with [`Var::retain_grad`], and the output depends on it.
    ///
    /// # Panics
    /// If `v` belongs to another tape than the one these gradients came from (a node is
    /// known by its position on its tape, so another tape's node at the same position is
    /// a different value). Empty `Grads::default()` answers `None` for any `Var`.
    ///
    /// ```should_panic
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let first = Tape::new();
    /// let x = first.var(Tensor::scalar(3.0f64));
    /// let grads = (x * x).backward();
    /// let second = Tape::new();
    /// let y = second.var(Tensor::scalar(5.0f64)); // also node 0, but of another tape
    /// let _ = grads.get(&y); // panics: the variable belongs to another tape
    /// ```
    #[must_use]
    #[track_caller]
    pub fn get(&self, v: &Var<'_, T>) -> Option<&Tensor<T>> {
        if self.tape != 0 && v.tape.serial != self.tape {
            panic!(
                "Grads: node %{} belongs to another tape than the one these gradients came \
                 from (nodes are known by position, so this tape's node %{} is a different value)",
                v.id, v.id
            );
        }
        self.nodes.get(v.id).and_then(|g| g.as_ref())
    }

    /// The gradient of a parameter, if the output depends on it.
    pub fn param(&self, p: &Param<T>) -> Option<&Tensor<T>> {
        self.by_id(p.id())
    }

    /// The gradient of the parameter with this id.
    #[must_use]
    pub fn by_id(&self, id: ParamId) -> Option<&Tensor<T>> {
        self.params
            .iter()
            .find(|(pid, _)| *pid == id)
            .map(|(_, g)| g)
    }

    /// All parameter gradients.
    pub fn params(&self) -> impl Iterator<Item = (ParamId, &Tensor<T>)> {
        self.params.iter().map(|(id, g)| (*id, g))
    }

    /// Mutable access to a parameter's gradient (for clipping).
    pub fn by_id_mut(&mut self, id: ParamId) -> Option<&mut Tensor<T>> {
        self.params
            .iter_mut()
            .find(|(pid, _)| *pid == id)
            .map(|(_, g)| g)
    }

    /// All parameter gradients, mutably.
    pub fn params_mut(&mut self) -> impl Iterator<Item = (ParamId, &mut Tensor<T>)> {
        self.params.iter_mut().map(|(id, g)| (*id, g))
    }
}

impl<T: Float> Index<&Var<'_, T>> for Grads<T> {
    type Output = Tensor<T>;

    /// # Panics
    /// If there is no gradient for `v` (see [`Grads::get`]).
    #[track_caller]
    fn index(&self, v: &Var<'_, T>) -> &Tensor<T> {
        self.get(v).unwrap_or_else(|| {
            panic!(
                "no gradient for node %{}: it is a constant, the output does not depend on it, \
                 or it is an intermediate value (call retain_grad() on it before backward)",
                v.id
            )
        })
    }
}

impl<T: Float> Index<&Param<T>> for Grads<T> {
    type Output = Tensor<T>;

    /// # Panics
    /// If the output does not depend on the parameter.
    #[track_caller]
    fn index(&self, p: &Param<T>) -> &Tensor<T> {
        self.param(p).unwrap_or_else(|| {
            panic!(
                "no gradient for parameter {:?}: the output does not depend on it",
                p.name()
            )
        })
    }
}

impl<T: Float> Index<ParamId> for Grads<T> {
    type Output = Tensor<T>;

    /// # Panics
    /// If the output does not depend on the parameter with this id.
    #[track_caller]
    fn index(&self, id: ParamId) -> &Tensor<T> {
        self.by_id(id).unwrap_or_else(|| {
            panic!(
                "no gradient for parameter #{}: the output does not depend on it",
                id.get()
            )
        })
    }
}

/// One step of a traced backward pass: the gradient that reached a node and what it
/// sent to each input.
#[derive(Clone, Debug)]
pub struct TraceStep<T: Float> {
    /// The node processed.
    pub node: NodeId,
    /// Its op's name.
    pub op: String,
    /// Its label, if any.
    pub label: Option<String>,
    /// The total gradient that reached it (after fan-out contributions were summed).
    pub grad: Tensor<T>,
    /// What it sent to each input that needs a gradient: (input id, contribution).
    pub sends: Vec<(NodeId, Tensor<T>)>,
    /// For each entry of `sends`, the local derivative written out with its numbers
    /// (`(1 − 0.7071²)` for tanh) when every value involved is a single element.
    pub locals: Vec<Option<String>>,
}

/// The steps of a traced backward pass, in the order they ran (output first).
#[derive(Clone, Debug)]
pub struct Trace<T: Float> {
    /// The steps.
    pub steps: Vec<TraceStep<T>>,
    /// The labels of the tape's nodes, for naming the inputs that run no step.
    pub labels: Vec<(NodeId, String)>,
}

impl<'t, T: Float> Var<'t, T> {
    /// Backpropagates from this scalar output (seed gradient 1).
    ///
    /// # Panics
    /// If the output has more than one element; use [`Var::backward_with`] then.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 2.0, 3.0]));
    /// let y = (x * x).sum_all(); // y = Σ x², dy/dx = 2x
    /// assert_eq!(y.backward()[&x].to_vec(), vec![2.0, 4.0, 6.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn backward(self) -> Grads<T> {
        self.backward_with(self.scalar_seed("backward"))
    }

    /// [`Var::backward`], and then the first anomaly the tape found, if anomaly detection
    /// is on ([`Tape::detect_anomaly`]): a NaN or infinity in the forward pass or in a
    /// gradient, naming the op, its input shapes and the line that recorded it.
    ///
    /// # Errors
    /// The [`crate::Anomaly`] found.
    ///
    /// # Panics
    /// If the output has more than one element.
    #[track_caller]
    pub fn try_backward(self) -> Result<Grads<T>, crate::Anomaly> {
        let grads = self.backward();
        match self.tape.anomaly() {
            Some(a) => Err(a),
            None => Ok(grads),
        }
    }

    /// Backpropagates from this output with the given seed gradient (dL/dout), for
    /// non-scalar outputs.
    ///
    /// # Panics
    /// If the seed's shape differs from the output's.
    #[track_caller]
    #[must_use]
    pub fn backward_with(self, seed: Tensor<T>) -> Grads<T> {
        self.check_seed(&seed);
        walk(self.tape, self.id, seed, None)
    }

    /// Like [`Var::backward`], and also returns a [`Trace`] of every step, for teaching
    /// (print it with `Display`).
    ///
    /// # Panics
    /// If the output has more than one element.
    #[track_caller]
    #[must_use]
    pub fn backward_traced(self) -> (Grads<T>, Trace<T>) {
        let mut trace = Trace {
            steps: Vec::new(),
            labels: Vec::new(),
        };
        let grads = walk(
            self.tape,
            self.id,
            self.scalar_seed("backward_traced"),
            Some(&mut trace),
        );
        trace.labels = self
            .tape
            .nodes
            .borrow()
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.label.clone().map(|l| (i, l)))
            .collect();
        (grads, trace)
    }

    /// The gradients of this scalar output with respect to `wrt`, *recorded on the tape*
    /// (PyTorch's `create_graph=True`), so they can be differentiated again: Hessian-vector
    /// products, gradient penalties. Entries are `None` where the output does not depend
    /// on that input. Custom ops contribute constants (their second derivatives are
    /// treated as zero).
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(3.0f64));
    /// let y = x.powi(3); // y = x³
    /// let dy = y.grad_graph(&[x])[0].unwrap(); // 3x² = 27
    /// assert_eq!(dy.item(), 27.0);
    /// let d2y = dy.backward(); // 6x = 18
    /// assert_eq!(d2y[&x].item(), 18.0);
    /// ```
    ///
    /// # Panics
    /// If the output has more than one element, or a `wrt` variable belongs to another
    /// tape.
    #[track_caller]
    #[must_use]
    pub fn grad_graph(self, wrt: &[Var<'t, T>]) -> Vec<Option<Var<'t, T>>> {
        let seed = self.tape.constant(self.scalar_seed("grad_graph"));
        let tape = self.tape;
        if let Some(v) = wrt.iter().find(|v| !std::ptr::eq(v.tape, tape)) {
            panic!(
                "grad_graph: wrt node %{} belongs to another tape than the output %{}",
                v.id, self.id
            );
        }
        let handle = |id: NodeId| Var { id, tape };
        let keep = |i: NodeId| wrt.iter().any(|v| v.id == i);
        let grads = reverse(tape, self.id, seed, handle, keep, |_, _, _, _| {});
        wrt.iter()
            .map(|v| grads.get(v.id).copied().flatten())
            .collect()
    }

    #[track_caller]
    fn scalar_seed(self, op: &str) -> Tensor<T> {
        let shape = self.shape();
        assert!(
            shape.iter().product::<usize>() == 1,
            "{op}: the output has shape {shape:?}, not a single value; \
             use backward_with(seed) with a seed of that shape"
        );
        Tensor::ones(&shape)
    }

    #[track_caller]
    fn check_seed(self, seed: &Tensor<T>) {
        let shape = self.shape();
        assert!(
            seed.shape() == shape,
            "backward_with: the seed has shape {:?} but the output has shape {shape:?}",
            seed.shape()
        );
    }
}

/// The reverse walk for `backward`: the one loop of `reverse::reverse` on
/// tensors, keeping the gradients of leaves, parameters and retained nodes.
fn walk<T: Float>(
    tape: &Tape<T>,
    root: NodeId,
    seed: Tensor<T>,
    mut trace: Option<&mut Trace<T>>,
) -> Grads<T> {
    let retained = tape.retained.borrow().clone();
    let value = |j: NodeId| tape.nodes.borrow()[j].value.clone();
    let keep = |i: NodeId| retained.contains(&i);
    let observe = |i: NodeId, g: &Tensor<T>, to: &[NodeId], sent: &[Option<Tensor<T>>]| {
        if let Some(t) = trace.as_deref_mut() {
            let node = tape.node(i);
            let inputs: Vec<Tensor<T>> = node.inputs.iter().map(|&j| tape.node(j).value).collect();
            let (mut sends, mut locals) = (Vec::new(), Vec::new());
            for (k, (&j, c)) in to.iter().zip(sent).enumerate() {
                if let Some(c) = c {
                    sends.push((j, c.clone()));
                    locals.push(local_factor(&node.op, &inputs, &node.value, k));
                }
            }
            t.steps.push(TraceStep {
                node: i,
                op: node.op.name(),
                label: node.label,
                grad: g.clone(),
                sends,
                locals,
            });
        }
    };
    let kept = reverse(tape, root, seed, value, keep, observe);
    let nodes = tape.nodes.borrow();
    let params = tape
        .params
        .borrow()
        .iter()
        .filter(|(_, id)| matches!(nodes[*id].op, Op::Param(_)))
        .filter_map(|&(pid, id)| kept.get(id).cloned().flatten().map(|g| (pid, g)))
        .collect();
    Grads {
        nodes: kept,
        params,
        tape: tape.serial,
    }
}
