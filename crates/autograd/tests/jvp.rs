//! The two derivative tables check each other. For every op kind (walking `OpKind::ALL`
//! over the rows of `support/op_rows.rs`) and for contiguous, strided and broadcast
//! inputs, with random `u`, `v` in f64:
//!
//! * the dot-product identity ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩, where `J·v` comes from the tangent
//!   table (`forward.rs`, forward mode) and `Jᵀ·u` from the derivative table
//!   (`backward.rs`, reverse mode): a wrong rule in one table now has to be wrong in
//!   exactly the transposed way in the other to pass;
//! * the tangent table run on `Var`s (`tangents_graph`) against the same on tensors, and
//!   second order: forward-over-reverse against reverse-over-forward;
//! * `J·v` against the central finite difference `(f(x + h·v) − f(x − h·v)) / 2h`, and
//!   ⟨Jᵀ·u, v⟩ against ⟨u, that difference⟩ (each table against the maths).

#[path = "support/op_rows.rs"]
mod op_rows;

use autograd::{OpKind, Tape, Var};
use op_rows::{assert_records, draw, rows, Domain, Function, Row};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    Contiguous,
    /// Every other entry along the first axis longer than 1 (a real strided view).
    Strided,
    /// The first entry along the first axis longer than 1, broadcast with stride 0.
    Broadcast,
}

/// The first axis longer than 1, if any.
fn long_axis(t: &Tensor<f64>) -> Option<usize> {
    t.shape().iter().position(|&n| n > 1)
}

/// `t` as a view with the given layout: strided views hold `t`'s values, broadcast views
/// repeat one slice of them.
fn laid_out(t: &Tensor<f64>, layout: Layout) -> Tensor<f64> {
    let Some(a) = long_axis(t) else {
        return t.clone();
    };
    match layout {
        Layout::Contiguous => t.clone(),
        Layout::Strided => {
            // Interleave with filler along axis a, then take every other entry.
            let filler = Tensor::full(t.shape(), 99.0);
            let both = Tensor::stack(&[t, &filler], a as isize + 1);
            let mut shape: Vec<isize> = t.shape().iter().map(|&n| n as isize).collect();
            shape[a] *= 2;
            let view = both
                .reshape(&shape)
                .slice(a as isize, 0, 2 * t.shape()[a], 2);
            assert!(
                !view.is_contiguous(),
                "strided view of {:?} is contiguous",
                t.shape()
            );
            assert_eq!(view.to_vec(), t.to_vec());
            view
        }
        Layout::Broadcast => {
            let view = t
                .narrow(a as isize, 0, 1)
                .contiguous()
                .broadcast_to(t.shape());
            assert_eq!(
                view.strides()[a],
                0,
                "broadcast view of {:?} has no stride 0",
                t.shape()
            );
            view
        }
    }
}

fn uniform(shape: &[usize], rng: &mut StdRng) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|_| rng.random_range(-1.0..1.0)).collect(), shape).unwrap()
}

fn dot(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    a.to_vec().iter().zip(b.to_vec()).map(|(x, y)| x * y).sum()
}

/// `Σ |aᵢ·bᵢ|`: the size of the terms of ⟨a, b⟩, the scale rounding errors are relative to.
fn dot_scale(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    a.to_vec()
        .iter()
        .zip(b.to_vec())
        .map(|(x, y)| (x * y).abs())
        .sum()
}

fn evaluate(f: Function, inputs: &[Tensor<f64>]) -> Tensor<f64> {
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    f(&vars).value().contiguous()
}

/// The central difference of `f` at `inputs` along `v`.
fn finite_difference(f: Function, inputs: &[Tensor<f64>], v: &[Tensor<f64>]) -> Tensor<f64> {
    let h = 1e-6;
    let moved = |s: f64| -> Vec<Tensor<f64>> {
        inputs
            .iter()
            .zip(v)
            .map(|(x, d)| x.add(&d.mul_scalar(s * h)))
            .collect()
    };
    let (plus, minus) = (evaluate(f, &moved(1.0)), evaluate(f, &moved(-1.0)));
    plus.sub(&minus).mul_scalar(1.0 / (2.0 * h))
}

/// The domain's own directions: a tangent that keeps `Distinct` inputs distinct enough
/// for finite differences is a small one; otherwise any.
fn direction(shape: &[usize], domain: Domain, rng: &mut StdRng) -> Tensor<f64> {
    uniform(shape, rng).mul_scalar(if matches!(domain, Domain::Distinct) {
        0.5
    } else {
        1.0
    })
}

fn assert_close(a: &Tensor<f64>, b: &Tensor<f64>, rtol: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes differ");
    for (k, (x, y)) in a.to_vec().iter().zip(b.to_vec()).enumerate() {
        assert!(
            (x - y).abs() <= rtol * (1.0 + y.abs()),
            "{what}: entry {k}: {x:.15e} vs {y:.15e}"
        );
    }
}

struct Checked {
    dot_products: usize,
    finite_differences: usize,
}

/// Runs the checks of one row with one layout.
fn check_row(
    kind: OpKind,
    r: usize,
    case: &Row,
    layout: Layout,
    rng: &mut StdRng,
    n: &mut Checked,
) {
    let inputs: Vec<Tensor<f64>> = case
        .shapes
        .iter()
        .map(|s| laid_out(&draw(s, case.domain, rng), layout))
        .collect();
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let out = (case.f)(&vars);
    let v: Vec<Tensor<f64>> = case
        .shapes
        .iter()
        .map(|s| direction(s, case.domain, rng))
        .collect();
    let u = uniform(&out.shape(), rng);
    let what = format!("{kind:?} row {r} ({layout:?})");

    // J·v from the tangent table.
    let seeds: Vec<(Var<'_, f64>, Tensor<f64>)> =
        vars.iter().copied().zip(v.iter().cloned()).collect();
    let tangents = tape.push_tangents(&seeds);
    let jv = tangents.get_or_zeros(&out);
    if !matches!(kind, OpKind::Constant | OpKind::Param) {
        let reached = (0..=out.id())
            .filter(|&i| tape.node(i).op.kind() == kind)
            .any(|i| tangents.by_node(i).is_some());
        assert!(reached, "{what}: no {kind:?} node received a tangent");
    }
    // The same table run on `Var`s (recorded) gives the same tangent.
    let var_seeds: Vec<(Var<'_, f64>, Var<'_, f64>)> = vars
        .iter()
        .zip(&v)
        .map(|(x, d)| (*x, tape.constant(d.clone())))
        .collect();
    let recorded = tape.tangents_graph(&var_seeds, &[out])[0]
        .map_or_else(|| Tensor::zeros(&out.shape()), |t| t.value());
    assert_close(&recorded, &jv, 1e-13, &format!("{what}: tangents_graph"));
    // Jᵀ·u from the derivative table.
    let grads = out.backward_with(u.clone());
    let jtu: Vec<Tensor<f64>> = vars
        .iter()
        .map(|x| {
            grads
                .get(x)
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(&x.shape()))
        })
        .collect();

    let lhs = dot(&u, &jv);
    let rhs: f64 = jtu.iter().zip(&v).map(|(g, d)| dot(g, d)).sum();
    let scale = dot_scale(&u, &jv)
        + jtu
            .iter()
            .zip(&v)
            .map(|(g, d)| dot_scale(g, d))
            .sum::<f64>();
    assert!(
        (lhs - rhs).abs() <= 1e-10 * scale.max(1.0),
        "{what}: ⟨u, J·v⟩ = {lhs:.15e} but ⟨Jᵀ·u, v⟩ = {rhs:.15e} (scale {scale:.3e})"
    );
    n.dot_products += 1;

    // Each against finite differences (broadcast inputs repeat values, which puts ties
    // into max-like ops, so only the exact identity above runs on them).
    if layout != Layout::Broadcast {
        let fd = finite_difference(case.f, &inputs, &v);
        for (k, (a, b)) in jv.to_vec().iter().zip(fd.to_vec()).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 + 1e-3 * b.abs(),
                "{what}: J·v[{k}] = {a:.10e} from the tangent table, {b:.10e} by finite differences"
            );
        }
        let numeric = dot(&u, &fd);
        assert!(
            (rhs - numeric).abs() <= 1e-5 * scale.max(1.0),
            "{what}: ⟨Jᵀ·u, v⟩ = {rhs:.10e} from the derivative table, {numeric:.10e} by finite differences"
        );
        n.finite_differences += 1;
    }
}

#[test]
fn tangent_table_is_the_transpose_of_the_derivative_table_for_every_op() {
    let mut rng = StdRng::seed_from_u64(17);
    let mut n = Checked {
        dot_products: 0,
        finite_differences: 0,
    };
    for kind in OpKind::ALL {
        let rows = rows(kind);
        assert!(!rows.is_empty(), "{kind:?} has no rows");
        for (r, case) in rows.iter().enumerate() {
            assert_records(kind, r, case, &mut rng);
            for layout in [Layout::Contiguous, Layout::Strided, Layout::Broadcast] {
                check_row(kind, r, case, layout, &mut rng, &mut n);
            }
        }
    }
    assert!(
        n.dot_products > 250,
        "only {} dot-product checks ran",
        n.dot_products
    );
    eprintln!(
        "{} dot-product identities and {} finite-difference checks passed",
        n.dot_products, n.finite_differences
    );
}

/// Second order, both tables on `Var`s: for f and random u, v, the vector
/// `Σₒ uₒ·∇²fₒ·v` computed forward-over-reverse (the tangent `v` pushed through the
/// recorded gradient of ⟨u, f⟩) and reverse-over-forward (the gradient of the recorded
/// tangent ⟨u, J·v⟩) must agree.
#[test]
fn forward_over_reverse_equals_reverse_over_forward_for_every_op() {
    let mut rng = StdRng::seed_from_u64(23);
    let mut checked = 0;
    for kind in OpKind::ALL {
        if kind == OpKind::Custom {
            continue; // custom ops are differentiated once only (see gradgradcheck)
        }
        for (r, case) in rows(kind).iter().enumerate() {
            for layout in [Layout::Contiguous, Layout::Strided] {
                let inputs: Vec<Tensor<f64>> = case
                    .shapes
                    .iter()
                    .map(|s| laid_out(&draw(s, case.domain, &mut rng), layout))
                    .collect();
                let v: Vec<Tensor<f64>> =
                    case.shapes.iter().map(|s| uniform(s, &mut rng)).collect();
                let what = format!("{kind:?} row {r} ({layout:?})");
                // Forward-over-reverse.
                let tape = Tape::new();
                let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
                let out = (case.f)(&vars);
                let u = uniform(&out.shape(), &mut rng);
                let weighted = (out * tape.constant(u.clone())).sum_all();
                let grads = weighted.grad_graph(&vars);
                let seeds: Vec<(Var<'_, f64>, Tensor<f64>)> =
                    vars.iter().copied().zip(v.iter().cloned()).collect();
                let tangents = tape.push_tangents(&seeds);
                let for_rev: Vec<Tensor<f64>> = grads
                    .iter()
                    .zip(&vars)
                    .map(|(g, x)| {
                        g.map_or_else(|| Tensor::zeros(&x.shape()), |g| tangents.get_or_zeros(&g))
                    })
                    .collect();
                // Reverse-over-forward.
                let tape = Tape::new();
                let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
                let out = (case.f)(&vars);
                let var_seeds: Vec<(Var<'_, f64>, Var<'_, f64>)> = vars
                    .iter()
                    .zip(&v)
                    .map(|(x, d)| (*x, tape.constant(d.clone())))
                    .collect();
                let Some(tangent) = tape.tangents_graph(&var_seeds, &[out])[0] else {
                    continue; // constant output (the Constant row's own op)
                };
                let second = (tangent * tape.constant(u)).sum_all();
                let back = if second.requires_grad() {
                    Some(second.backward())
                } else {
                    None
                };
                for (i, x) in vars.iter().enumerate() {
                    let rev_for = back
                        .as_ref()
                        .and_then(|g| g.get(x).cloned())
                        .unwrap_or_else(|| Tensor::zeros(&x.shape()));
                    assert_close(&rev_for, &for_rev[i], 1e-9, &format!("{what}: input {i}"));
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "only {checked} second-order checks ran");
}
