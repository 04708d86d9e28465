//! The functional transforms against the maths and finite differences: Jacobians of
//! known functions, Hessians of known quadratics, the shape conventions (PyTorch's),
//! forward-over-reverse against reverse-over-forward, errors instead of panics, and a
//! property test on random functions built from the ops.

use autograd::functional::{
    function, grad, hessian, hvp, jacfwd, jacobian, jacobian_with, jacrev, jvp, vjp,
    FunctionalError, JacobianStrategy,
};
use autograd::{CustomOp, Residuals, Tape, Var};
use proptest::prelude::*;
use tensor::Tensor;

fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

fn assert_close(a: &Tensor<f64>, b: &Tensor<f64>, atol: f64, rtol: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes differ");
    for (k, (x, y)) in a.to_vec().iter().zip(b.to_vec()).enumerate() {
        assert!(
            (x - y).abs() <= atol + rtol * y.abs(),
            "{what}: entry {k}: {x:.12e} vs {y:.12e}"
        );
    }
}

/// Evaluates `f` at `inputs` without any derivative.
fn eval<F>(f: &F, inputs: &[Tensor<f64>]) -> Vec<f64>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    f(&vars).value().to_vec()
}

fn moved(inputs: &[Tensor<f64>], moves: &[(usize, usize, f64)]) -> Vec<Tensor<f64>> {
    let mut out: Vec<Tensor<f64>> = inputs.to_vec();
    for &(i, k, h) in moves {
        let mut data = out[i].to_vec();
        data[k] += h;
        out[i] = Tensor::from_vec(data, out[i].shape()).unwrap();
    }
    out
}

/// The Jacobian block of input `i` by central differences, shaped `(out…, in…)`.
fn fd_jacobian<F>(f: &F, inputs: &[Tensor<f64>], i: usize) -> Tensor<f64>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let h = 1e-6;
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let out_shape = f(&vars).shape();
    let (n_out, n) = (out_shape.iter().product::<usize>(), inputs[i].numel());
    let mut data = vec![0.0; n_out * n];
    for k in 0..n {
        let plus = eval(f, &moved(inputs, &[(i, k, h)]));
        let minus = eval(f, &moved(inputs, &[(i, k, -h)]));
        for o in 0..n_out {
            data[o * n + k] = (plus[o] - minus[o]) / (2.0 * h);
        }
    }
    let shape: Vec<usize> = out_shape.iter().chain(inputs[i].shape()).copied().collect();
    t(&data, &shape)
}

/// The Hessian block `(i, j)` of a scalar `f` by second central differences on `f` itself.
fn fd_hessian<F>(f: &F, inputs: &[Tensor<f64>], i: usize, j: usize) -> Tensor<f64>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let h = 1e-4;
    let (ni, nj) = (inputs[i].numel(), inputs[j].numel());
    let mut data = vec![0.0; ni * nj];
    for a in 0..ni {
        for b in 0..nj {
            let at = |s: f64, r: f64| eval(f, &moved(inputs, &[(i, a, s * h), (j, b, r * h)]))[0];
            data[a * nj + b] =
                (at(1.0, 1.0) - at(1.0, -1.0) - at(-1.0, 1.0) + at(-1.0, -1.0)) / (4.0 * h * h);
        }
    }
    let shape: Vec<usize> = inputs[i]
        .shape()
        .iter()
        .chain(inputs[j].shape())
        .copied()
        .collect();
    t(&data, &shape)
}

#[test]
fn jacobian_of_a_linear_map_is_its_matrix_in_both_modes() {
    // f(x) = A·x with A [3, 2]: J = A, shape (3, 2).
    let a = t(&[1.0, -2.0, 0.5, 3.0, -1.5, 4.0], &[3, 2]);
    let f = function(|v: &[Var<'_, f64>]| {
        v[0].tape()
            .constant(t(&[1.0, -2.0, 0.5, 3.0, -1.5, 4.0], &[3, 2]))
            .matmul(v[0])
    });
    let x = [t(&[0.3, -0.7], &[2])];
    for j in [
        jacrev(f, &x).unwrap(),
        jacfwd(f, &x).unwrap(),
        jacobian(f, &x).unwrap(),
    ] {
        assert_eq!(j[0].shape(), &[3, 2]);
        assert_eq!(j[0].to_vec(), a.to_vec());
    }
}

#[test]
fn jacobian_shapes_follow_pytorch_for_several_matrix_inputs() {
    // f(X, Y) = tanh(X·Y) with X [2, 3], Y [3, 4]: blocks (2, 4, 2, 3) and (2, 4, 3, 4).
    let f = function(|v: &[Var<'_, f64>]| v[0].matmul(v[1]).tanh());
    let x = Tensor::from_vec((0..6).map(|k| 0.1 * k as f64 - 0.2).collect(), &[2, 3]).unwrap();
    let y = Tensor::from_vec((0..12).map(|k| 0.3 - 0.05 * k as f64).collect(), &[3, 4]).unwrap();
    let inputs = [x, y];
    let rev = jacrev(f, &inputs).unwrap();
    let fwd = jacfwd(f, &inputs).unwrap();
    assert_eq!(rev[0].shape(), &[2, 4, 2, 3]);
    assert_eq!(rev[1].shape(), &[2, 4, 3, 4]);
    for i in 0..2 {
        let fd = fd_jacobian(&f, &inputs, i);
        assert_close(
            &rev[i],
            &fd,
            1e-7,
            1e-6,
            "jacrev against finite differences",
        );
        assert_close(
            &fwd[i],
            &fd,
            1e-7,
            1e-6,
            "jacfwd against finite differences",
        );
        assert_close(&fwd[i], &rev[i], 1e-14, 1e-12, "jacfwd against jacrev");
    }
}

#[test]
fn scalar_in_scalar_out_and_independent_inputs() {
    // f(x, y) = x³ (y unused): J_x = 3x², J_y = 0; shapes () and (2,).
    let f = function(|v: &[Var<'_, f64>]| v[0].powi(3));
    let inputs = [Tensor::scalar(2.0), t(&[1.0, 2.0], &[2])];
    for strategy in [JacobianStrategy::Reverse, JacobianStrategy::Forward] {
        let j = jacobian_with(f, &inputs, strategy).unwrap();
        assert_eq!((j[0].shape(), j[0].item()), (&[][..], 12.0));
        assert_eq!((j[1].shape(), j[1].to_vec()), (&[2][..], vec![0.0, 0.0]));
    }
    let h = hessian(f, &inputs).unwrap();
    assert_eq!(h[0][0].item(), 12.0); // 6x
    assert_eq!(h[0][1].shape(), &[2]);
    assert_eq!(h[1][1].shape(), &[2, 2]);
    assert!(h[1][1].to_vec().iter().all(|&v| v == 0.0));
}

#[test]
fn hessian_of_a_quadratic_form_is_a_plus_a_transpose() {
    // f(x) = xᵀ·A·x: H = A + Aᵀ, exactly, wherever x is.
    let a = [1.0, 2.0, 0.0, -1.0, 3.0, 0.5, 4.0, 0.0, -2.0];
    let f = function(|v: &[Var<'_, f64>]| {
        let m = v[0]
            .tape()
            .constant(t(&[1.0, 2.0, 0.0, -1.0, 3.0, 0.5, 4.0, 0.0, -2.0], &[3, 3]));
        v[0].matmul(m.matmul(v[0]))
    });
    let h = hessian(f, &[t(&[0.3, -1.0, 2.0], &[3])]).unwrap();
    let expected: Vec<f64> = (0..9).map(|k| a[k] + a[(k % 3) * 3 + k / 3]).collect();
    assert_eq!(h[0][0].shape(), &[3, 3]);
    assert_eq!(h[0][0].to_vec(), expected);
}

#[test]
fn hessian_agrees_with_second_differences_on_two_inputs() {
    // f(x, w) = Σ softplus(x·w)·sin(x) + (Σ w)²: cross terms between the inputs.
    let f = function(|v: &[Var<'_, f64>]| {
        (v[0] * v[1]).softplus().mul(v[0].sin()).sum_all() + v[1].sum_all().powi(2)
    });
    let inputs = [t(&[0.4, -1.1, 0.9], &[3]), t(&[1.3, 0.2, -0.6], &[3])];
    let h = hessian(f, &inputs).unwrap();
    for i in 0..2 {
        for j in 0..2 {
            let fd = fd_hessian(&f, &inputs, i, j);
            assert_close(&h[i][j], &fd, 1e-5, 1e-4, &format!("H[{i}][{j}]"));
        }
    }
    // Symmetric: H[0][1] = H[1][0]ᵀ.
    assert_close(&h[0][1], &h[1][0].t().contiguous(), 1e-13, 0.0, "symmetry");
}

#[test]
fn hvp_is_hessian_times_v_and_matches_reverse_over_forward() {
    let f = function(|v: &[Var<'_, f64>]| {
        (v[0].tanh() * v[0].exp()).sum_all() + v[0].softmax(0).max_all()
    });
    let x = t(&[0.2, -0.5, 1.1, 0.7], &[4]);
    let v = t(&[1.0, -2.0, 0.5, 0.25], &[4]);
    let (y, hv) = hvp(f, std::slice::from_ref(&x), std::slice::from_ref(&v)).unwrap();
    assert_eq!(y.to_vec(), eval(&f, std::slice::from_ref(&x)));
    let h = &hessian(f, std::slice::from_ref(&x)).unwrap()[0][0];
    assert_close(&hv[0], &h.matmul(&v), 1e-13, 1e-12, "hvp against H·v");
    // Reverse-over-forward: the recorded tangent ⟨∇f, v⟩, differentiated in reverse.
    let tape = Tape::new();
    let xv = tape.var(x.clone());
    let out = f(&[xv]);
    let dv = tape.constant(v.clone());
    let tangent = tape.tangents_graph(&[(xv, dv)], &[out])[0].unwrap();
    assert_close(
        &tangent.backward()[&xv],
        &hv[0],
        1e-13,
        1e-12,
        "reverse-over-forward",
    );
    assert_close(
        &hv[0],
        &fd_hessian(&f, &[x], 0, 0).matmul(&v),
        1e-5,
        1e-4,
        "hvp by differences",
    );
}

#[test]
fn vjp_and_jvp_agree_with_the_jacobian() {
    let f = function(|v: &[Var<'_, f64>]| (v[0].matmul(v[1]) + v[1].sum(0, true)).sigmoid());
    let inputs = [
        t(&[0.5, -1.0, 2.0, 0.1], &[2, 2]),
        t(&[1.5, 0.3, -0.2, 0.7], &[2, 2]),
    ];
    let j = jacobian(f, &inputs).unwrap();
    let u = t(&[1.0, 2.0, -1.0, 0.5], &[2, 2]);
    let (y, g) = vjp(f, &inputs, &u).unwrap();
    assert_eq!(y.to_vec(), eval(&f, &inputs));
    let tangents = [
        t(&[0.3, 0.1, -0.2, 1.0], &[2, 2]),
        t(&[-1.0, 0.0, 0.4, 0.2], &[2, 2]),
    ];
    let (_, dy) = jvp(f, &inputs, &tangents).unwrap();
    for i in 0..2 {
        let m = j[i].reshape(&[4, 4]);
        let ut_j = u.reshape(&[1, 4]).matmul(&m).reshape(&[2, 2]);
        assert_close(&g[i], &ut_j, 1e-14, 1e-12, "vjp = uᵀ·J");
    }
    let jv = j[0]
        .reshape(&[4, 4])
        .matmul(&tangents[0].reshape(&[4]))
        .add(&j[1].reshape(&[4, 4]).matmul(&tangents[1].reshape(&[4])));
    assert_close(&dy, &jv.reshape(&[2, 2]), 1e-14, 1e-12, "jvp = J·v");
    let gr = grad(|v| f(v).sum_all(), &inputs).unwrap();
    assert_close(
        &gr[1],
        &vjp(f, &inputs, &Tensor::ones(&[2, 2])).unwrap().1[1],
        0.0,
        0.0,
        "grad",
    );
}

#[test]
fn mistakes_are_errors_not_panics() {
    let x = [t(&[1.0, 2.0], &[2])];
    let not_scalar = function(|v: &[Var<'_, f64>]| v[0] * 2.0);
    let scalar = function(|v: &[Var<'_, f64>]| v[0].sum_all());
    for e in [
        grad(not_scalar, &x).unwrap_err(),
        hessian(not_scalar, &x).unwrap_err(),
        hvp(not_scalar, &x, &x).unwrap_err(),
    ] {
        assert!(
            matches!(e, FunctionalError::NotScalar { ref shape, .. } if shape == &[2]),
            "{e}"
        );
        assert!(e.to_string().contains("[2]"));
    }
    let e = jvp(scalar, &x, &[t(&[1.0], &[1])]).unwrap_err();
    assert!(matches!(e, FunctionalError::ShapeMismatch { .. }), "{e}");
    let e = jvp(scalar, &x, &[]).unwrap_err();
    assert!(
        matches!(
            e,
            FunctionalError::CountMismatch {
                expected: 1,
                got: 0,
                ..
            }
        ),
        "{e}"
    );
    let e = vjp(not_scalar, &x, &Tensor::scalar(1.0)).unwrap_err();
    assert!(matches!(e, FunctionalError::ShapeMismatch { .. }), "{e}");
    assert!(matches!(
        jacobian(scalar, &[]).unwrap_err(),
        FunctionalError::NoInputs { .. }
    ));
    // A one-element output of any rank counts as a scalar (as backward does).
    assert_eq!(
        grad(|v| v[0].sum(0, true), &x).unwrap()[0].to_vec(),
        vec![1.0, 1.0]
    );
}

/// softplus as a custom op with only a backward rule: forward mode falls back on
/// `CustomOp::jvp`'s default, the transpose of backward.
struct BackwardOnly;

impl CustomOp<f64> for BackwardOnly {
    fn name(&self) -> &str {
        "softplus (backward only)"
    }
    fn forward(&self, inputs: &[Tensor<f64>], saved: &mut Residuals<f64>) -> Tensor<f64> {
        saved.save("sigmoid", inputs[0].sigmoid());
        inputs[0].map(|v| v.exp().ln_1p())
    }
    fn backward(&self, g: &Tensor<f64>, saved: &Residuals<f64>) -> Vec<Tensor<f64>> {
        vec![g * saved.get("sigmoid")]
    }
}

#[test]
fn custom_op_without_a_tangent_rule_gets_one_from_its_backward() {
    let f =
        function(|v: &[Var<'_, f64>]| v[0].tape().apply(BackwardOnly, &[v[0]]).matmul(v[0].t()));
    let x = [t(&[0.5, -1.0, 2.0, 0.1, 0.3, -0.4], &[2, 3])];
    let fwd = jacfwd(f, &x).unwrap();
    assert_close(
        &fwd[0],
        &fd_jacobian(&f, &x, 0),
        1e-7,
        1e-6,
        "default custom jvp",
    );
}

/// A random smooth function of two vectors of one length, as a list of op codes.
fn build<'t>(codes: &[u8], v: &[Var<'t, f64>]) -> Var<'t, f64> {
    let (x, y) = (v[0], v[1]);
    let n = x.shape()[0];
    codes.iter().fold(x, |h, &c| match c % 14 {
        0 => h.tanh(),
        1 => h.sin() * y,
        2 => h * y + h,
        3 => h.sigmoid(),
        4 => h.softmax(0) * 3.0,
        5 => h * 0.5 + y.cos(),
        6 => h.log_softmax(0),
        7 => (h * h + 1.0).ln(),
        8 => h.gelu(),
        9 => {
            let m: Vec<f64> = (0..n * n)
                .map(|k| ((k * 7 % 5) as f64 - 2.0) * 0.3)
                .collect();
            h.tape().constant(t(&m, &[n, n])).matmul(h)
        }
        10 => (h * 0.3).exp(),
        11 => h / (y * y + 1.0),
        12 => h.softplus() - h.sum(0, true),
        _ => h.powi(2) * 0.5 + h.gelu_tanh(),
    })
}

fn vector(n: usize) -> impl Strategy<Value = Tensor<f64>> {
    prop::collection::vec(-1.5f64..1.5, n).prop_map(move |d| Tensor::from_vec(d, &[n]).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn jacobian_and_hessian_agree_with_finite_differences_on_random_functions(
        (x, y, codes) in (1usize..5).prop_flat_map(|n| {
            (vector(n), vector(n), prop::collection::vec(any::<u8>(), 1..6))
        })
    ) {
        let f = function(|v: &[Var<'_, f64>]| build(&codes, v));
        let inputs = [x, y];
        let rev = jacrev(f, &inputs).unwrap();
        let fwd = jacfwd(f, &inputs).unwrap();
        for i in 0..2 {
            let fd = fd_jacobian(&f, &inputs, i);
            assert_close(&rev[i], &fd, 1e-6, 1e-4, &format!("jacrev {codes:?}"));
            assert_close(&fwd[i], &fd, 1e-6, 1e-4, &format!("jacfwd {codes:?}"));
        }
        let scalar = function(|v: &[Var<'_, f64>]| (build(&codes, v) * v[1].sin()).sum_all());
        let h = hessian(scalar, &inputs).unwrap();
        for i in 0..2 {
            for j in 0..2 {
                let fd = fd_hessian(&scalar, &inputs, i, j);
                assert_close(&h[i][j], &fd, 1e-4, 1e-3, &format!("hessian {codes:?} [{i}][{j}]"));
            }
        }
    }
}

#[test]
fn forward_trace_shows_each_tangent_as_it_is_pushed() {
    // The neuron o = tanh(x·w + b) of docs/autograd.md, pushed along dx = 1: each step's
    // tangent by hand: d(x·w) = w·dx = −3, d(x·w + b) = −3, do = (1 − o²)·(−3) = −1.5.
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(2.0f64)).label("x");
    let w = tape.var(Tensor::scalar(-3.0)).label("w");
    let b = tape.var(Tensor::scalar(6.881373587019543)).label("b");
    let o = (x * w + b).tanh();
    let (tangents, trace) = tape.push_tangents_traced(&[(x, Tensor::scalar(1.0))]);
    let steps: Vec<(usize, &str, f64)> = trace
        .steps
        .iter()
        .map(|s| (s.node, s.op.as_str(), s.tangent.item()))
        .collect();
    assert_eq!(steps.len(), 4);
    assert_eq!((steps[0].0, steps[0].1, steps[0].2), (0, "var", 1.0));
    assert_eq!((steps[1].0, steps[1].1, steps[1].2), (3, "mul", -3.0));
    assert_eq!((steps[2].0, steps[2].1, steps[2].2), (4, "add", -3.0));
    assert_eq!((steps[3].0, steps[3].1), (5, "tanh"));
    assert!((steps[3].2 + 1.5).abs() < 1e-12);
    assert_eq!(tangents[&o].item(), steps[3].2);
    // w and b were not seeded: no tangent, nothing traced for them.
    assert!(tangents.get(&w).is_none() && tangents.get(&b).is_none());
    let text = trace.to_string();
    assert!(
        text.contains("step 1: %0 = var (x) (seed): d%0 = 1.0000"),
        "{text}"
    );
    assert!(
        text.contains("step 2: %3 = mul (from %0 %1): d%3 = -3.0000"),
        "{text}"
    );
    assert!(
        text.contains("step 4: %5 = tanh (from %4): d%5 = -1.5000"),
        "{text}"
    );
}
