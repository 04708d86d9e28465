//! The reverse walk: the one loop that carries gradients from the root of a tape down to
//! its leaves, calling the derivative table ([`crate::backward::vjp`]) at each node.

use smallvec::SmallVec;
use tensor::{Float, Tensor};

use crate::anomaly::Phase;
use crate::backward::{vjp, BackwardOps};
use crate::function::custom_vjp;
use crate::tape::{first_non_finite, NodeId, Tape};

/// The one reverse loop, for `backward` (`D` = [`Tensor`]: plain math) and `grad_graph`
/// (`D` = [`crate::Var`]: the backward pass recorded on the tape).
///
/// Walks the tape from `root` down to the first node; push order is already topological
/// order, so there is no sort and no recursion. At each node that has received a
/// gradient: the node's hooks see it (and may replace it; in a recorded pass the
/// replacement enters the graph as a constant), the derivative table ([`vjp`]) maps it to
/// one contribution per input that needs one, `observe` sees the step, and each
/// contribution is summed into its input's gradient (the first moved in, later ones
/// accumulated). A gradient is dropped once its node is processed unless the node is a
/// leaf or `keep(id)` says so, so memory holds only the gradients in flight. `handle(id)`
/// gives node `id` as a `D` (its value, or a `Var` handle). `observe(id, g, inputs,
/// contributions)` sees each step: the contribution for `inputs[k]` is
/// `contributions[k]` (`None` where none is sent). Returns the kept gradients by node id.
pub(crate) fn reverse<T: Float, D: BackwardOps<T>>(
    tape: &Tape<T>,
    root: NodeId,
    seed: D,
    handle: impl Fn(NodeId) -> D,
    keep: impl Fn(NodeId) -> bool,
    mut observe: impl FnMut(NodeId, &D, &[NodeId], &[Option<D>]),
) -> Vec<Option<D>> {
    let mut grads: Vec<Option<D>> = vec![None; root + 1];
    let mut kept: Vec<Option<D>> = vec![None; root + 1];
    if tape.nodes.borrow()[root].requires_grad {
        grads[root] = Some(seed);
    }
    for i in (0..=root).rev() {
        let Some(g) = grads[i].take() else { continue };
        let g = apply_hooks(tape, i, g);
        let (op, inputs, need, saved) = {
            let nodes = tape.nodes.borrow();
            let need: SmallVec<[bool; 3]> = nodes[i]
                .inputs
                .iter()
                .map(|&j| nodes[j].requires_grad)
                .collect();
            (
                nodes[i].op.clone(),
                nodes[i].inputs.clone(),
                need,
                nodes[i].saved.clone(),
            )
        };
        if !inputs.is_empty() {
            let x: SmallVec<[D; 3]> = inputs.iter().map(|&j| handle(j)).collect();
            let custom = |index| {
                let values: Vec<Tensor<T>> = x.iter().map(D::value).collect();
                let grads = custom_vjp(tape, index, &g.value(), &values, &need);
                grads.into_iter().map(|c| c.map(|t| g.lift(t))).collect()
            };
            let contributions = vjp(&op, &g, &x, &handle(i), saved.as_deref(), &need, custom);
            if tape.detects_anomaly() {
                for c in contributions.iter().flatten() {
                    if let Some(v) = first_non_finite(&c.value()) {
                        tape.report_anomaly(Phase::Backward, i, v);
                    }
                }
            }
            observe(i, &g, &inputs, &contributions);
            // Each contribution goes to its input in place (no list of (input, gradient)
            // pairs is built: moving the gradients around was a quarter of the walk).
            for (k, c) in contributions.into_iter().enumerate() {
                let Some(c) = c else { continue };
                debug_assert_eq!(
                    c.shape(),
                    x[k].shape(),
                    "the rule for {} sent a gradient of the wrong shape",
                    op.name()
                );
                match &mut grads[inputs[k]] {
                    Some(acc) => acc.accumulate(c),
                    slot @ None => *slot = Some(c),
                }
            }
        }
        if inputs.is_empty() || keep(i) {
            kept[i] = Some(g);
        }
    }
    kept
}

/// Runs node `i`'s gradient hooks in the order they were registered.
fn apply_hooks<T: Float, D: BackwardOps<T>>(tape: &Tape<T>, i: NodeId, mut g: D) -> D {
    let hooks = tape.hooks.borrow();
    for (_, hook) in hooks.iter().filter(|(id, _)| *id == i) {
        if let Some(replaced) = hook(&g.value()) {
            g = g.lift(replaced);
        }
    }
    g
}
