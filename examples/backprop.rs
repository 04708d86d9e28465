//! Backpropagation by hand and by tape, side by side: a single tanh neuron (micrograd's
//! example) and a 2-layer network. Prints the Wengert list, the backward trace, the
//! hand-derived gradients next to the tape's, and writes the graph as `neuron.dot` and as
//! an interactive page, `neuron.html` (click a node; Step walks the backward pass).
//!
//! Checked, in quick mode too (the example is the same in both): every tape gradient
//! equals the hand-derived one to 1e-12 (the neuron's five, and the network's dL/dW1 and
//! dL/dW2 entry by entry); the neuron is set up so that n = 0.8814 and o = tanh(n) =
//! 1/√2, so do/dn = 1 − o² = ½ exactly, which is checked too.
//!
//! Run: `cargo run --release --example backprop`, then `dot -Tsvg neuron.dot > neuron.svg`
//! or open `neuron.html` in a browser.

use wengert::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // ---- 1. One neuron: o = tanh(x1·w1 + x2·w2 + b) ----
    let tape = Tape::new();
    let x1 = tape.var(Tensor::scalar(2.0f64)).label("x1");
    let x2 = tape.var(Tensor::scalar(0.0)).label("x2");
    let w1 = tape.var(Tensor::scalar(-3.0)).label("w1");
    let w2 = tape.var(Tensor::scalar(1.0)).label("w2");
    let b = tape.var(Tensor::scalar(6.881_373_587_019_543)).label("b");
    let n = (x1 * w1 + x2 * w2 + b).label("n");
    let o = n.tanh().label("o");
    let (grads, trace) = o.backward_traced();

    println!("== the tape (Wengert list): one line per operation ==\n{tape}");
    println!("== the backward walk: each node's gradient and what it sends on ==\n{trace}");

    // By hand: do/dn = 1 − o²; then each input of a sum gets do/dn; each factor of a
    // product gets do/dn times the other factor.
    let ov = o.item();
    let dn = 1.0 - ov * ov;
    let hand = [
        ("x1", dn * -3.0, grads[&x1].item()),
        ("w1", dn * 2.0, grads[&w1].item()),
        ("x2", dn * 1.0, grads[&x2].item()),
        ("w2", dn * 0.0, grads[&w2].item()),
        ("b", dn, grads[&b].item()),
    ];
    println!("== hand-derived versus tape gradients (o = {ov:.6}, do/dn = 1 − o² = {dn:.6}) ==");
    println!(
        "{:<4} {:>12} {:>12} {:>10}",
        "var", "by hand", "by tape", "|diff|"
    );
    if (dn - 0.5).abs() > 1e-12 {
        return Err(format!("o = {ov}: do/dn = {dn}, not ½ (o should be 1/√2)").into());
    }
    for (name, h, t) in hand {
        println!("{name:<4} {h:>12.6} {t:>12.6} {:>10.1e}", (h - t).abs());
        if (h - t).abs().is_nan() || (h - t).abs() >= 1e-12 {
            return Err(format!("d o/d {name}: by hand {h}, by tape {t}").into());
        }
    }
    std::fs::write("neuron.dot", tape.to_dot_traced(&trace))?;
    println!("wrote neuron.dot (Graphviz; values and gradients on every node)");
    tape.write_html("neuron.html", &trace)?;
    println!("wrote neuron.html (open it in a browser: click a node, Step through backward)\n");

    // ---- 2. A 2-layer network on 3 samples: L = ½ Σ (relu(x·W1)·W2 − t)² ----
    let x = Tensor::from([[1.0f64, 2.0], [-1.0, 0.5], [0.3, -0.7]]);
    let w1 = Tensor::from([[0.5f64, -1.0, 0.25], [1.0, 0.5, -0.5]]);
    let w2 = Tensor::from([[1.0f64], [-2.0], [0.5]]);
    let t = Tensor::from([[1.0f64], [0.0], [0.5]]);
    let tape = Tape::new();
    let (xv, w1v, w2v) = (
        tape.constant(x.clone()),
        tape.var(w1.clone()).label("W1"),
        tape.var(w2.clone()).label("W2"),
    );
    let z = xv.matmul(w1v).label("z");
    let h = z.relu().label("h");
    let y = h.matmul(w2v).label("y");
    let loss = ((y - tape.constant(t.clone())).square().sum_all() * 0.5).label("L");
    let g = loss.backward();
    println!("== 2-layer network: the tape ==\n{tape}");
    // By hand, with plain tensor algebra (the chain rule for matrices):
    //   dL/dy = y − t;  dL/dW2 = hᵀ·dL/dy;  dL/dh = dL/dy·W2ᵀ;  dL/dz = dL/dh ⊙ 1(z > 0);
    //   dL/dW1 = xᵀ·dL/dz.
    let zv = x.matmul(&w1);
    let hv = zv.relu();
    let dy = hv.matmul(&w2) - &t;
    let dw2 = hv.t().matmul(&dy);
    let dz = dy.matmul(&w2.t()) * zv.gt_scalar(0.0);
    let dw1 = x.t().matmul(&dz);
    println!("dL/dW2 by hand: {dw2:.6}\ndL/dW2 by tape: {:.6}", g[&w2v]);
    println!("dL/dW1 by hand: {dw1:.6}\ndL/dW1 by tape: {:.6}", g[&w1v]);
    let worst = (&dw1 - &g[&w1v])
        .abs()
        .max_all()
        .max((&dw2 - &g[&w2v]).abs().max_all());
    println!("largest difference: {worst:.1e}");
    if worst.is_nan() || worst >= 1e-12 {
        return Err(format!(
            "2-layer network: tape and hand gradients differ by {worst:.3e} (limit 1e-12)"
        )
        .into());
    }
    Ok(())
}
