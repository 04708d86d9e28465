//! Hand-derived gradients, fan-out, constants, parameters, hooks, higher order, gradcheck
//! failures, inspection output, and memory over many steps.

use approx::assert_relative_eq;
use autograd::{
    gradcheck, CustomOp, GradcheckConfig, GradcheckError, Op, Param, Residuals, Tape, Var,
};
use tensor::Tensor;

#[test]
fn tanh_neuron_matches_the_hand_derivation() {
    // y = tanh(x·w + b) with x = 2, w = -3, b = 6.8813735870195432 (so n = x·w + b ≈ 0.8814).
    // dy/dn = 1 − tanh²(n) = 1 − y²;  dy/dw = (1 − y²)·x;  dy/dx = (1 − y²)·w;  dy/db = 1 − y².
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(2.0f64));
    let w = tape.var(Tensor::scalar(-3.0));
    let b = tape.var(Tensor::scalar(6.881_373_587_019_543));
    let y = (x * w + b).tanh();
    let n: f64 = 2.0 * -3.0 + 6.881_373_587_019_543;
    let yv = n.tanh();
    assert_relative_eq!(y.item(), yv, max_relative = 1e-15);
    let g = y.backward();
    assert_relative_eq!(g[&w].item(), (1.0 - yv * yv) * 2.0, max_relative = 1e-12);
    assert_relative_eq!(g[&x].item(), (1.0 - yv * yv) * -3.0, max_relative = 1e-12);
    assert_relative_eq!(g[&b].item(), 1.0 - yv * yv, max_relative = 1e-12);
    // micrograd's classic numbers: dy/dx = -1.5, dy/dw = 1.0 (to 4 digits).
    assert_relative_eq!(g[&x].item(), -1.5, epsilon = 1e-4);
    assert_relative_eq!(g[&w].item(), 1.0, epsilon = 1e-4);
}

#[test]
fn two_layer_net_matches_the_hand_derivation() {
    // h = relu(x·W1), ŷ = h·W2, L = ½ Σ (ŷ − t)².
    // dL/dŷ = ŷ − t;  dL/dW2 = hᵀ(ŷ − t);  dL/dh = (ŷ − t)W2ᵀ;  dL/dW1 = xᵀ[(dL/dh) ⊙ 1(x·W1 > 0)].
    let x = Tensor::from([[1.0f64, 2.0], [-1.0, 0.5]]);
    let w1 = Tensor::from([[0.5f64, -1.0, 0.25], [1.0, 0.5, -0.5]]);
    let w2 = Tensor::from([[1.0f64], [-2.0], [0.5]]);
    let t = Tensor::from([[1.0f64], [0.0]]);
    let tape = Tape::new();
    let (xv, w1v, w2v) = (
        tape.constant(x.clone()),
        tape.var(w1.clone()),
        tape.var(w2.clone()),
    );
    let pre = xv.matmul(w1v);
    let yhat = pre.relu().matmul(w2v);
    let loss = (yhat - tape.constant(t.clone())).square().sum_all() * 0.5;
    let g = loss.backward();
    // The same by hand, with tensor ops only.
    let z = x.matmul(&w1);
    let h = z.relu();
    let d_yhat = h.matmul(&w2) - &t;
    let d_w2 = h.t().matmul(&d_yhat);
    let d_h = d_yhat.matmul(&w2.t());
    let d_w1 = x.t().matmul(&(&d_h * &z.gt_scalar(0.0)));
    assert_relative_eq!(g[&w2v], d_w2, max_relative = 1e-12);
    assert_relative_eq!(g[&w1v], d_w1, max_relative = 1e-12);
    assert!(g.get(&xv).is_none(), "a constant input gets no gradient");
}

#[test]
fn fan_out_sums_the_contributions() {
    // y = x·x + 3x: dy/dx = 2x + 3 (x used three times).
    let tape = Tape::new();
    let x = tape.var(Tensor::from([1.0f64, -2.0]));
    let y = (x * x + x * 3.0).sum_all();
    assert_eq!(y.backward()[&x].to_vec(), vec![5.0, -1.0]);
}

#[test]
fn unused_inputs_and_constants_get_no_gradient() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from([1.0f64]));
    let unused = tape.var(Tensor::from([5.0f64]));
    let c = tape.constant(Tensor::from([2.0f64]));
    let y = (x * c).sum_all();
    let g = y.backward();
    assert!(g.get(&unused).is_none());
    assert!(g.get(&c).is_none());
    assert!(!c.requires_grad());
    assert_eq!(g[&x].to_vec(), vec![2.0]);
    // Ops on constants only record constants.
    assert_eq!((c * 2.0).op(), Op::Constant);
}

#[test]
fn a_parameter_bound_twice_is_one_node() {
    let p = Param::new("w", Tensor::from([3.0f64]));
    let tape = Tape::new();
    let a = tape.param(&p);
    let b = tape.param(&p);
    assert_eq!(a.id(), b.id());
    let y = (a * b).sum_all(); // w², d/dw = 2w
    let g = y.backward();
    assert_eq!(g[&p].to_vec(), vec![6.0]);
    assert_eq!(g.by_id(p.id()).unwrap().to_vec(), vec![6.0]);
    assert_eq!(g[p.id()].to_vec(), vec![6.0]);
    assert_eq!(tape.len(), 3); // param, mul, sum
}

#[test]
fn detach_and_no_grad_stop_gradients() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from([2.0f64]));
    let y = (x * x.detach()).sum_all(); // d/dx = detach(x) = 2
    assert_eq!(y.backward()[&x].to_vec(), vec![2.0]);
    let z = tape.no_grad(|| x * 5.0);
    assert!(!z.requires_grad());
    assert!(tape.is_recording());
    let inference = Tape::<f64>::inference();
    let v = inference.var(Tensor::from([1.0]));
    assert!(!(v * 2.0).requires_grad());
}

#[test]
fn hooks_see_the_summed_gradient_and_can_replace_it() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let seen = Rc::new(RefCell::new(Vec::new()));
    let tape = Tape::new();
    let x = tape.var(Tensor::from([1.0f64, 2.0]));
    let h = x * 2.0;
    let log = Rc::clone(&seen);
    h.register_hook(move |g| {
        log.borrow_mut().push(g.to_vec());
        None
    });
    let y = (h * h).sum_all(); // dy/dh = 2h = [4, 8]
    let g = y.backward();
    assert_eq!(seen.borrow().as_slice(), &[vec![4.0, 8.0]]);
    assert_eq!(g[&x].to_vec(), vec![8.0, 16.0]);

    // A hook that returns Some(..) replaces what flows on: dy/dh clipped to [4, 5], then
    // dx = 2·dh.
    let tape = Tape::new();
    let x = tape.var(Tensor::from([1.0f64, 2.0]));
    let h = (x * 2.0).register_hook(|g| Some(g.map(|v| v.min(5.0))));
    let g = (h * h).sum_all().backward();
    assert_eq!(g[&x].to_vec(), vec![8.0, 10.0]);
}

#[test]
fn hooks_apply_in_grad_graph_and_a_replacement_enters_as_a_constant() {
    // y = x³ at x = 2. A hook on the output node doubles the seed: dy/dx = 2·3x² = 24, and
    // the recorded gradient still depends on x: d/dx (2·3x²) = 12x = 24.
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(2.0f64));
    let y = x.powi(3).register_hook(|g| Some(g * 2.0));
    let dy = y.grad_graph(&[x])[0].unwrap();
    assert_eq!(dy.item(), 24.0);
    assert_eq!(dy.backward()[&x].item(), 24.0);
    // A hook on x itself replaces x's whole gradient with a constant: the value is the
    // hook's, and nothing of the recorded gradient depends on x any more.
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(2.0f64));
    x.register_hook(|g| Some(g * 10.0));
    let dy = x.powi(3).grad_graph(&[x])[0].unwrap();
    assert_eq!(dy.item(), 120.0);
    assert!(!dy.requires_grad(), "a replaced gradient is a constant");
}

#[test]
fn retain_grad_keeps_an_intermediate_gradient() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from([3.0f64]));
    let h = (x * 2.0).retain_grad();
    let y = h.square().sum_all();
    let g = y.backward();
    assert_eq!(g[&h].to_vec(), vec![12.0]);
}

#[test]
fn non_scalar_outputs_need_a_seed() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from([1.0f64, 2.0]));
    let y = x * 3.0;
    let g = y.backward_with(Tensor::from([1.0, 10.0]));
    assert_eq!(g[&x].to_vec(), vec![3.0, 30.0]);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| y.backward())).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("the output has shape [2], not a single value"),
        "{msg}"
    );
}

#[test]
fn mixing_tapes_panics_with_a_clear_message() {
    let t1 = Tape::<f64>::new();
    let t2 = Tape::<f64>::new();
    let a = t1.var(Tensor::from([1.0]));
    let b = t2.var(Tensor::from([1.0]));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a + b)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("add: the operands live on different tapes"),
        "{msg}"
    );
}

/// Gradients are stored by node position, so a `Var` of another tape at the same
/// position would silently get this tape's gradient; it is refused instead, even when
/// the first tape is gone and the second reuses its node list (and maybe its address).
#[test]
fn grads_refuse_a_var_of_another_tape() {
    let grads = {
        let t1 = Tape::<f64>::new();
        let x = t1.var(Tensor::scalar(3.0));
        let g = (x * x).backward();
        assert_eq!(g[&x].item(), 6.0);
        g
    };
    let t2 = Tape::<f64>::new();
    let y = t2.var(Tensor::scalar(5.0)); // node 0 again
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| grads.get(&y).cloned()))
        .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("node %0 belongs to another tape"), "{msg}");
    // Empty gradients know no tape and answer None for anything.
    assert!(autograd::Grads::<f64>::default().get(&y).is_none());

    let other = Tape::<f64>::new();
    let z = other.var(Tensor::scalar(1.0));
    let out = (y * y).sum_all();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| out.grad_graph(&[z])))
        .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("grad_graph: wrt node %0 belongs to another tape"),
        "{msg}"
    );
}

#[test]
fn shape_errors_in_var_ops_name_the_op_and_shapes() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros(&[2, 3]));
    let b = tape.var(Tensor::zeros(&[4]));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a * b)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().unwrap(),
        "mul: shapes [2, 3] and [4] are incompatible"
    );
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.matmul(a))).unwrap_err();
    assert!(err
        .downcast_ref::<String>()
        .unwrap()
        .starts_with("matmul: shapes [2, 3] and [2, 3]"));
}

#[test]
fn second_derivatives_through_grad_graph() {
    // f(x, y) = x²·y + sin-free: ∂f/∂x = 2xy, ∂²f/∂x² = 2y, ∂²f/∂x∂y = 2x.
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(3.0f64));
    let y = tape.var(Tensor::scalar(-2.0f64));
    let f = x.square() * y;
    let dfdx = f.grad_graph(&[x])[0].unwrap();
    assert_eq!(dfdx.item(), 2.0 * 3.0 * -2.0);
    let g2 = dfdx.backward();
    assert_eq!(g2[&x].item(), 2.0 * -2.0);
    assert_eq!(g2[&y].item(), 2.0 * 3.0);
    // A Hessian-vector product for f = Σ tanh(x)·x on a vector, against finite differences
    // of the analytic gradient.
    let x0 = Tensor::from([0.3f64, -0.7, 1.1]);
    let v = Tensor::from([1.0f64, 0.5, -2.0]);
    let grad_at = |x: &Tensor<f64>| {
        let tape = Tape::new();
        let xv = tape.var(x.clone());
        (xv.tanh() * xv).sum_all().backward()[&xv].clone()
    };
    let tape = Tape::new();
    let xv = tape.var(x0.clone());
    let gx = (xv.tanh() * xv).sum_all().grad_graph(&[xv])[0].unwrap();
    let hv = (gx * tape.constant(v.clone())).sum_all().backward()[&xv].clone();
    let eps = 1e-6;
    let numeric = (grad_at(&(&x0 + &(&v * eps))) - grad_at(&(&x0 - &(&v * eps)))) / (2.0 * eps);
    assert_relative_eq!(hv, numeric, max_relative = 1e-6);
}

#[test]
fn gradcheck_reports_the_wrong_element() {
    /// Claims d/dx x³ = 3x (wrong: should be 3x²).
    struct WrongCube;
    impl CustomOp<f64> for WrongCube {
        fn name(&self) -> &str {
            "wrong_cube"
        }
        fn forward(&self, inputs: &[Tensor<f64>], saved: &mut Residuals<f64>) -> Tensor<f64> {
            saved.save("x", inputs[0].clone());
            inputs[0].powi(3)
        }
        fn backward(&self, g: &Tensor<f64>, saved: &Residuals<f64>) -> Vec<Tensor<f64>> {
            vec![g * &(saved.get("x") * 3.0)]
        }
    }
    let x = Tensor::from([1.0f64, 2.0]);
    let err = gradcheck(
        |v| v[0].tape().apply(WrongCube, &[v[0]]),
        &[x],
        GradcheckConfig::default(),
    )
    .unwrap_err();
    match &err {
        GradcheckError::Mismatch {
            input,
            element,
            output,
            analytic,
            numeric,
            ..
        } => {
            // At x = 2 the analytic claim is 6, the truth 12: the worst entry.
            assert_eq!(
                (*input, element.as_slice(), output.as_slice()),
                (0, &[1][..], &[1][..])
            );
            assert_relative_eq!(*analytic, 6.0);
            assert_relative_eq!(*numeric, 12.0, max_relative = 1e-6);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("input 0 at element [1]"));
}

#[test]
fn gradcheck_checks_a_whole_model() {
    let w1 = Tensor::from([[0.5f64, -0.3], [0.2, 0.8], [-0.6, 0.1]]);
    let b1 = Tensor::from([0.1f64, -0.2, 0.05]);
    let w2 = Tensor::from([[1.0f64, -1.0, 0.5]]);
    let x = Tensor::from([[0.3f64, -0.9], [1.2, 0.4]]);
    gradcheck(
        |v| {
            let h = (v[3].matmul(v[0].t()) + v[1]).tanh();
            h.matmul(v[2].t()).square().mean_all()
        },
        &[w1, b1, w2, x],
        GradcheckConfig::default(),
    )
    .unwrap();
}

#[test]
fn display_dot_and_trace_show_the_tape() {
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(2.0f64)).label("x");
    let w = tape.var(Tensor::scalar(-3.0)).label("w");
    let y = (x * w).label("xw").tanh();
    let listing = tape.to_string();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines[0], "Wengert list: 4 nodes (f64)");
    assert!(
        lines[1].starts_with("%0 = var")
            && lines[1].contains(" x ")
            && lines[1].ends_with("2.0000")
    );
    assert!(
        lines[3].starts_with("%2 = mul %0 %1")
            && lines[3].contains("xw")
            && lines[3].ends_with("-6.0000")
    );
    assert!(lines[4].starts_with("%3 = tanh %2"));
    let (grads, trace) = y.backward_traced();
    let text = trace.to_string();
    // tanh'(−6) = 1 − tanh²(−6) = 2.4577e-5 (to 5 digits); it flows to x as ·w = −3
    // (−7.3730e-5) and to w as ·x = 2 (4.9153e-5). Small values print in scientific
    // notation, so the trace never shows a misleading 0.0000.
    let d = 1.0 - (-6.0f64).tanh().powi(2);
    assert_eq!(format!("{d:.4e}"), "2.4577e-5");
    assert!(
        text.contains("step 1: %3 = tanh: dL/d%3 = 1.0000"),
        "{text}"
    );
    assert!(
        text.contains("sends to %2: 1.0000 × (1 − (−1.0000)²) = 2.4577e-5"),
        "{text}"
    );
    assert!(
        text.contains("step 2: %2 = mul (xw): dL/d%2 = 2.4577e-5"),
        "{text}"
    );
    // upstream × local = contribution: d(x·w)/dx = w, d(x·w)/dw = x.
    assert!(
        text.contains("sends to %0: 2.4577e-5 × -3.0000 = -7.3730e-5"),
        "{text}"
    );
    assert!(
        text.contains("sends to %1: 2.4577e-5 × 2.0000 = 4.9153e-5"),
        "{text}"
    );
    assert!(
        text.contains("%0 (x): -7.3730e-5") && text.contains("%1 (w): 4.9153e-5"),
        "{text}"
    );
    let dot = tape.to_dot_with(&grads);
    assert!(dot.starts_with("digraph tape {"));
    assert!(dot.contains("n0 -> n2;") && dot.contains("n1 -> n2;") && dot.contains("n2 -> n3;"));
    assert!(dot.contains("grad -7.3730e-5"), "{dot}");
}

#[test]
fn var_handles_are_copy_and_print() {
    let tape = Tape::new();
    let x: Var<'_, f32> = tape.var(Tensor::from([1.0, 2.0]));
    let y = x;
    assert_eq!(format!("{x:?}"), "Var(%0 = var [2])");
    assert_eq!(format!("{y:.1}"), "tensor([1.0, 2.0])");
}

#[test]
fn pictures_of_the_tape_read_top_down_with_names_gradients_and_aligned_columns() {
    use autograd::Param;
    let w = Param::new("weight", Tensor::from([[0.5f64]]));
    let b = Param::new("bias", Tensor::from([-0.25f64]));
    let tape = Tape::new();
    let x = tape.var(Tensor::from([[1.0f64]])).label("x");
    let h = x.matmul(tape.param(&w).t()) + tape.param(&b);
    let y = h.tanh().sum_all();
    tape.name_params([("0.weight".to_string(), &w), ("0.bias".to_string(), &b)]);
    let (grads, trace) = y.backward_traced();
    let listing = tape.to_string();
    assert!(
        listing.contains("0.weight") && listing.contains("0.bias"),
        "{listing}"
    );
    // Every row's shape column starts at the same place, long op names included.
    let rows: Vec<&str> = listing.lines().skip(1).collect();
    let col = |line: &str| line.find("  [").unwrap();
    assert!(rows.iter().all(|r| col(r) == col(rows[0])), "{listing}");
    // DOT: top to bottom; the traced version has gradients on intermediate nodes too.
    let plain = tape.to_dot_with(&grads);
    let traced = tape.to_dot_traced(&trace);
    assert!(plain.contains("rankdir=TB"));
    let grad_boxes = |dot: &str| dot.matches("grad ").count();
    assert!(grad_boxes(&traced) > grad_boxes(&plain), "{traced}");
    assert!(traced.contains("0.weight"));
    // A negative zero prints as 0.0000.
    let tape = Tape::new();
    let z = tape.var(Tensor::from([-0.0f64, 1.0]));
    let _ = z * 1.0;
    assert!(!tape.to_string().contains("-0.0000"), "{}", tape);
}

/// An op that takes the same node twice sends two contributions, and the trace explains
/// each with the local derivative of its own position: for `x − x` that is `1` for the
/// first input and `−1` for the second (d(a − b)/db = −1), for `x · x` the other factor.
#[test]
fn the_trace_explains_each_position_of_an_input_used_twice() {
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(1.5f64));
    let y = x - x;
    let (grads, trace) = y.backward_traced();
    assert_eq!(grads[&x].item(), 0.0);
    let step = &trace.steps[0];
    assert_eq!(step.sends.len(), 2);
    assert!(step.sends.iter().all(|(j, _)| *j == x.id()));
    assert_eq!(step.sends[0].1.item(), 1.0);
    assert_eq!(step.sends[1].1.item(), -1.0);
    let locals: Vec<&str> = step.locals.iter().map(|l| l.as_deref().unwrap()).collect();
    assert_eq!(locals.len(), 2);
    assert!(!locals[0].contains('−'), "{locals:?}");
    assert!(
        locals[1].contains('−') && locals[1].contains('1'),
        "{locals:?}"
    );

    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(1.5f64));
    let (grads, trace) = (x * x).backward_traced();
    assert_eq!(grads[&x].item(), 3.0); // d(x²)/dx = 2x
    let step = &trace.steps[0];
    assert_eq!(step.sends.len(), 2);
    assert!(step.locals.iter().all(|l| l.as_deref() == Some("1.5000")));
}
