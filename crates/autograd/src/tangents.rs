//! Forward mode on a recorded tape: [`Tape::push_tangents`] (tangents as tensors),
//! [`Tape::push_tangents_traced`] (and a [`ForwardTrace`] of every step, for teaching)
//! and [`Tape::tangents_graph`] (tangents recorded on the tape, so they can be
//! differentiated again). All three run the one forward loop of [`crate::forward`].

use std::fmt;
use std::ops::Index;

use tensor::{Float, Tensor};

use crate::forward::push_tangents;
use crate::inspect::short_value;
use crate::tape::{NodeId, Tape, Var};

/// The tangents of one forward-mode pass, by node: `d node = J·v` for the seeds `v`.
/// Holds no borrow of the tape; like [`crate::Grads`], it remembers which tape it came
/// from and refuses a `Var` of any other.
#[derive(Clone, Debug, Default)]
pub struct Tangents<T: Float = f32> {
    nodes: Vec<Option<Tensor<T>>>,
    /// The serial number of the tape (0 for empty `Tangents::default()`).
    tape: u64,
}

impl<T: Float> Tangents<T> {
    /// The tangent of `v`, or `None` where it is zero (no seed reaches `v`, or `v` was
    /// recorded after the pass).
    ///
    /// # Panics
    /// If `v` belongs to another tape than the pass (nodes are known by position, so
    /// another tape's node of the same number is a different value).
    ///
    /// ```should_panic
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let first = Tape::new();
    /// let x = first.var(Tensor::scalar(3.0f64));
    /// let y = x * x;
    /// let tangents = first.push_tangents(&[(x, Tensor::scalar(1.0))]);
    /// assert_eq!(tangents[&y].item(), 6.0);
    /// let second = Tape::new();
    /// let z = second.var(Tensor::scalar(5.0f64)); // also node 0, but of another tape
    /// let _ = tangents.get(&z); // panics: the variable belongs to another tape
    /// ```
    #[must_use]
    #[track_caller]
    pub fn get(&self, v: &Var<'_, T>) -> Option<&Tensor<T>> {
        if self.tape != 0 && v.tape.serial != self.tape {
            panic!(
                "Tangents: node %{} belongs to another tape than the one these tangents came \
                 from (nodes are known by position, so this tape's node %{} is a different value)",
                v.id, v.id
            );
        }
        self.nodes.get(v.id).and_then(Option::as_ref)
    }

    /// The tangent of node `id`, or `None` where it is zero.
    #[must_use]
    pub fn by_node(&self, id: NodeId) -> Option<&Tensor<T>> {
        self.nodes.get(id).and_then(Option::as_ref)
    }

    /// The tangent of `v` as a tensor, zeros where no seed reaches it.
    ///
    /// # Panics
    /// As [`Tangents::get`].
    #[must_use]
    #[track_caller]
    pub fn get_or_zeros(&self, v: &Var<'_, T>) -> Tensor<T> {
        self.get(v)
            .cloned()
            .unwrap_or_else(|| Tensor::zeros(&v.shape()))
    }
}

impl<T: Float> Index<&Var<'_, T>> for Tangents<T> {
    type Output = Tensor<T>;

    /// # Panics
    /// If `v`'s tangent is zero (see [`Tangents::get`]).
    #[track_caller]
    fn index(&self, v: &Var<'_, T>) -> &Tensor<T> {
        self.get(v).unwrap_or_else(|| {
            panic!(
                "no tangent for node %{}: it does not depend on the seeded values \
                 (its tangent is zero; use get_or_zeros)",
                v.id
            )
        })
    }
}

/// One step of a traced forward-mode pass: the tangent pushed to a node.
#[derive(Clone, Debug)]
pub struct ForwardStep<T: Float> {
    /// The node.
    pub node: NodeId,
    /// Its op's name.
    pub op: String,
    /// Its label, if any.
    pub label: Option<String>,
    /// Its inputs.
    pub inputs: Vec<NodeId>,
    /// Its tangent (a seed, or computed by the tangent table from its inputs').
    pub tangent: Tensor<T>,
}

/// The steps of a traced forward-mode pass, in the order they ran (inputs first).
#[derive(Clone, Debug)]
pub struct ForwardTrace<T: Float> {
    /// The steps.
    pub steps: Vec<ForwardStep<T>>,
}

impl<T: Float> fmt::Display for ForwardTrace<T> {
    /// Each forward step: the node, its op and inputs, and its tangent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "forward trace: {} steps, inputs first", self.steps.len())?;
        for (k, step) in self.steps.iter().enumerate() {
            let label = step
                .label
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            let value = short_value(&step.tangent);
            let value = if value.is_empty() {
                format!("shape {:?}", step.tangent.shape())
            } else {
                value
            };
            let inputs: Vec<String> = step.inputs.iter().map(|i| format!("%{i}")).collect();
            let from = if inputs.is_empty() {
                "seed".to_string()
            } else {
                format!("from {}", inputs.join(" "))
            };
            writeln!(
                f,
                "step {}: %{} = {}{label} ({from}): d%{} = {value}",
                k + 1,
                step.node,
                step.op,
                step.node
            )?;
        }
        Ok(())
    }
}

impl<T: Float> Tape<T> {
    /// Forward mode: pushes the tangents `seeds` (a direction `v` for each seeded value,
    /// each of that value's shape) along everything recorded so far, and returns every
    /// node's tangent `J·v` (JAX's `jvp`, on a tape). One pass gives the derivative of
    /// every node along one direction, whatever the number of outputs.
    ///
    /// Rules come from the tangent table ([`crate::forward::jvp`]); custom ops use
    /// [`crate::CustomOp::jvp`].
    ///
    /// # Panics
    /// If a seed's shape differs from its value's, or a seed is on another tape.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 2.0]));
    /// let y = (x * x).sin(); // dy = cos(x²)·2x·dx
    /// let tangents = tape.push_tangents(&[(x, Tensor::from([1.0, 0.0]))]);
    /// assert_eq!(tangents[&y].to_vec(), vec![1f64.cos() * 2.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn push_tangents(&self, seeds: &[(Var<'_, T>, Tensor<T>)]) -> Tangents<T> {
        self.tensor_pass(seeds, None)
    }

    /// [`Tape::push_tangents`], and a [`ForwardTrace`] of every tangent as it is pushed
    /// (print it with `Display`), for teaching.
    ///
    /// # Panics
    /// As [`Tape::push_tangents`].
    #[track_caller]
    #[must_use]
    pub fn push_tangents_traced(
        &self,
        seeds: &[(Var<'_, T>, Tensor<T>)],
    ) -> (Tangents<T>, ForwardTrace<T>) {
        let mut trace = ForwardTrace { steps: Vec::new() };
        let tangents = self.tensor_pass(seeds, Some(&mut trace));
        (tangents, trace)
    }

    /// The tangents of `of` along the seeds, *recorded on the tape* (the forward-mode
    /// twin of [`Var::grad_graph`]), so they can be differentiated again
    /// (reverse-over-forward: `tangent.backward()` gives `Hᵀ·v`-style second
    /// derivatives). Entries are `None` where the tangent is zero. Custom ops contribute
    /// constants (their second derivatives are treated as zero).
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(3.0f64));
    /// let y = x.powi(3);
    /// let v = tape.constant(Tensor::scalar(1.0));
    /// let dy = tape.tangents_graph(&[(x, v)], &[y])[0].unwrap(); // 3x² = 27
    /// assert_eq!(dy.item(), 27.0);
    /// assert_eq!(dy.backward()[&x].item(), 18.0); // 6x
    /// ```
    ///
    /// # Panics
    /// As [`Tape::push_tangents`].
    #[track_caller]
    #[must_use]
    pub fn tangents_graph<'t>(
        &'t self,
        seeds: &[(Var<'t, T>, Var<'t, T>)],
        of: &[Var<'t, T>],
    ) -> Vec<Option<Var<'t, T>>> {
        for (x, v) in seeds {
            self.check_seed(*x, &v.shape());
            assert!(
                std::ptr::eq(v.tape, self),
                "tangents_graph: a tangent lives on another tape"
            );
        }
        let last = self.len().saturating_sub(1);
        let handle = |id: NodeId| Var { id, tape: self };
        let seeds = seeds.iter().map(|(x, v)| (x.id, *v)).collect();
        let tangents = push_tangents(self, seeds, last, handle, |_, _| {});
        of.iter()
            .map(|v| tangents.get(v.id).copied().flatten())
            .collect()
    }

    #[track_caller]
    fn tensor_pass(
        &self,
        seeds: &[(Var<'_, T>, Tensor<T>)],
        mut trace: Option<&mut ForwardTrace<T>>,
    ) -> Tangents<T> {
        for (x, v) in seeds {
            self.check_seed(*x, v.shape());
        }
        if self.is_empty() {
            return Tangents {
                nodes: Vec::new(),
                tape: self.serial,
            };
        }
        let last = self.len() - 1;
        let value = |j: NodeId| self.nodes.borrow()[j].value.clone();
        let observe = |i: NodeId, d: &Tensor<T>| {
            if let Some(t) = trace.as_deref_mut() {
                let node = self.node(i);
                t.steps.push(ForwardStep {
                    node: i,
                    op: node.op.name(),
                    label: node.label,
                    inputs: node.inputs.to_vec(),
                    tangent: d.clone(),
                });
            }
        };
        let seeds = seeds.iter().map(|(x, v)| (x.id, v.clone())).collect();
        Tangents {
            nodes: push_tangents(self, seeds, last, value, observe),
            tape: self.serial,
        }
    }

    #[track_caller]
    fn check_seed(&self, x: Var<'_, T>, shape: &[usize]) {
        assert!(
            std::ptr::eq(x.tape, self),
            "push_tangents: seeded node %{} lives on another tape",
            x.id
        );
        assert!(
            x.shape() == shape,
            "push_tangents: the tangent of node %{} has shape {shape:?} but the value has shape {:?}",
            x.id,
            x.shape()
        );
    }
}
