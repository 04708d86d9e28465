//! The backward walk, and `Grads`, the gradients it returns.
//!
//! `backward` is one loop over the tape from the output down to the first node. For each
//! node that needs a gradient and has received one, it looks up the node's rule in the
//! derivative table ([`crate::backward::vjp`]) and sends each input its share. A value
//! used twice receives two shares, which are summed: the first share is moved in, later
//! ones are added in place. An intermediate gradient is dropped as soon as its node has
//! been processed, so memory holds only the gradients still in flight.

use std::ops::Index;

use smallvec::SmallVec;
use tensor::{Float, Tensor};

use crate::backward::{vjp, InputGrads};
use crate::op::{Op, ParamId};
use crate::param::Param;
use crate::tape::{NodeId, Tape, Var};

/// Gradients from one backward pass, by node and by parameter. Holds no borrow of the
/// tape, so it can outlive it.
#[derive(Clone, Debug, Default)]
pub struct Grads<T: Float = f32> {
    nodes: Vec<Option<Tensor<T>>>,
    params: Vec<(ParamId, Tensor<T>)>,
}

impl<T: Float> Grads<T> {
    /// The gradient of the output with respect to `v`, if `v` is a leaf, a parameter, or
    /// a node marked with [`Var::retain_grad`], and the output depends on it.
    pub fn get(&self, v: &Var<'_, T>) -> Option<&Tensor<T>> {
        self.nodes.get(v.id).and_then(|g| g.as_ref())
    }

    /// The gradient of a parameter, if the output depends on it.
    pub fn param(&self, p: &Param<T>) -> Option<&Tensor<T>> {
        self.by_id(p.id())
    }

    /// The gradient of the parameter with this id.
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
}

/// The steps of a traced backward pass, in the order they ran (output first).
#[derive(Clone, Debug)]
pub struct Trace<T: Float> {
    /// The steps.
    pub steps: Vec<TraceStep<T>>,
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
    pub fn backward(self) -> Grads<T> {
        self.backward_with(self.scalar_seed("backward"))
    }

    /// Backpropagates from this output with the given seed gradient (dL/dout), for
    /// non-scalar outputs.
    ///
    /// # Panics
    /// If the seed's shape differs from the output's.
    #[track_caller]
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
    pub fn backward_traced(self) -> (Grads<T>, Trace<T>) {
        let mut trace = Trace { steps: Vec::new() };
        let grads = walk(
            self.tape,
            self.id,
            self.scalar_seed("backward_traced"),
            Some(&mut trace),
        );
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
    /// If the output has more than one element.
    #[track_caller]
    pub fn grad_graph(self, wrt: &[Var<'t, T>]) -> Vec<Option<Var<'t, T>>> {
        let seed = self.tape.constant(self.scalar_seed("grad_graph"));
        let mut grads: Vec<Option<Var<'t, T>>> = vec![None; self.id + 1];
        grads[self.id] = Some(seed);
        for i in (0..=self.id).rev() {
            let node = self.tape.node(i);
            let Some(g) = grads[i] else { continue };
            if !node.requires_grad || node.inputs.is_empty() {
                continue;
            }
            let x: SmallVec<[Var<'t, T>; 3]> = node
                .inputs
                .iter()
                .map(|&id| Var {
                    id,
                    tape: self.tape,
                })
                .collect();
            let need: SmallVec<[bool; 3]> = x.iter().map(|v| v.requires_grad()).collect();
            let out = Var {
                id: i,
                tape: self.tape,
            };
            let custom = |index: usize| {
                let values: Vec<Tensor<T>> = x.iter().map(|v| v.value()).collect();
                custom_vjp(self.tape, index, &g.value(), &values, &need)
                    .into_iter()
                    .map(|c| c.map(|t| self.tape.constant(t)))
                    .collect()
            };
            let contributions = vjp(&node.op, &g, &x, &out, &need, custom);
            for (&input, c) in node.inputs.iter().zip(contributions) {
                if let Some(c) = c {
                    grads[input] = Some(match grads[input] {
                        Some(acc) => acc + c,
                        None => c,
                    });
                }
            }
        }
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

/// Runs a custom op's backward and checks that it returned one gradient per input, each
/// of its input's shape.
pub(crate) fn custom_vjp<T: Float>(
    tape: &Tape<T>,
    index: usize,
    g: &Tensor<T>,
    inputs: &[Tensor<T>],
    need: &[bool],
) -> InputGrads<Tensor<T>> {
    let custom = tape.custom.borrow();
    let entry = &custom[index];
    let grads = entry.op.backward(g, &entry.residuals);
    assert!(
        grads.len() == inputs.len(),
        "custom op {:?}: backward returned {} gradients for {} inputs",
        entry.op.name(),
        grads.len(),
        inputs.len()
    );
    grads
        .into_iter()
        .zip(inputs)
        .zip(need)
        .map(|((gi, xi), &needed)| {
            assert!(
                gi.shape() == xi.shape(),
                "custom op {:?}: backward returned a gradient of shape {:?} for an input of shape {:?}",
                entry.op.name(),
                gi.shape(),
                xi.shape()
            );
            needed.then_some(gi)
        })
        .collect()
}

/// The reverse walk over `tape` from `root`, seeded with `seed`.
fn walk<T: Float>(
    tape: &Tape<T>,
    root: NodeId,
    seed: Tensor<T>,
    mut trace: Option<&mut Trace<T>>,
) -> Grads<T> {
    let nodes = tape.nodes.borrow();
    let hooks = tape.hooks.borrow();
    let retained = tape.retained.borrow();
    let mut grads: Vec<Option<Tensor<T>>> = vec![None; root + 1];
    let mut kept: Vec<Option<Tensor<T>>> = vec![None; root + 1];
    if nodes[root].requires_grad {
        grads[root] = Some(seed);
    }
    for i in (0..=root).rev() {
        let Some(mut g) = grads[i].take() else {
            continue;
        };
        let node = &nodes[i];
        for (_, hook) in hooks.iter().filter(|(id, _)| *id == i) {
            if let Some(replaced) = hook(&g) {
                g = replaced;
            }
        }
        let keep = node.inputs.is_empty() || retained.contains(&i);
        if !node.inputs.is_empty() {
            let x: SmallVec<[Tensor<T>; 3]> = node
                .inputs
                .iter()
                .map(|&j| nodes[j].value.clone())
                .collect();
            let need: SmallVec<[bool; 3]> = node
                .inputs
                .iter()
                .map(|&j| nodes[j].requires_grad)
                .collect();
            let custom = |index| custom_vjp(tape, index, &g, &x, &need);
            let contributions = vjp(&node.op, &g, &x, &node.value, &need, custom);
            let mut sends = Vec::new();
            for (&input, c) in node.inputs.iter().zip(contributions) {
                let Some(c) = c else { continue };
                debug_assert_eq!(
                    c.shape(),
                    nodes[input].value.shape(),
                    "rule for {} sent a gradient of the wrong shape",
                    node.op.name()
                );
                if trace.is_some() {
                    sends.push((input, c.clone()));
                }
                match &mut grads[input] {
                    Some(acc) => acc.add_assign(&c),
                    slot @ None => *slot = Some(c),
                }
            }
            if let Some(t) = trace.as_deref_mut() {
                t.steps.push(TraceStep {
                    node: i,
                    op: node.op.name(),
                    label: node.label.clone(),
                    grad: g.clone(),
                    sends,
                });
            }
        }
        if keep {
            kept[i] = Some(g);
        }
    }
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
    }
}
