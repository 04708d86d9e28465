//! The local derivative of one op with respect to one input, written out with numbers for
//! the backward trace (`upstream × local = contribution`), as `docs/autograd.md` writes
//! it: `(1 − 0.7071²)` for tanh, the other factor for a product. Only for single-element
//! values (the neurons and expressions people trace by hand); `None` otherwise, or for
//! ops whose local derivative is not one number.

use tensor::{Float, Tensor};

use crate::op::Op;

/// One number as the trace prints it (4 decimals, or scientific when tiny or huge; never
/// `-0.0000`).
pub(crate) fn number(v: f64) -> String {
    let a = v.abs();
    let s = if a != 0.0 && !(1e-4..1e5).contains(&a) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    };
    match s.strip_prefix('-') {
        Some(rest) if rest.trim_start_matches(['0', '.']).is_empty() => rest.to_string(),
        _ => s,
    }
}

/// `v²` written with parentheses around a negative `v`: `(−0.5000)²`.
fn squared(v: f64) -> String {
    if v < 0.0 {
        format!("(−{})²", number(-v))
    } else {
        format!("{}²", number(v))
    }
}

fn scalar<T: Float>(t: &Tensor<T>) -> Option<f64> {
    (t.numel() == 1).then(|| t.to_vec()[0].to_f64())
}

/// The local derivative of `op` (inputs `xs`, output `out`) with respect to input
/// `position`, as text with its numbers, when every value is a single element.
pub(crate) fn local_factor<T: Float>(
    op: &Op,
    xs: &[Tensor<T>],
    out: &Tensor<T>,
    position: usize,
) -> Option<String> {
    let x: Vec<f64> = xs.iter().map(scalar).collect::<Option<_>>()?;
    let y = scalar(out)?;
    let n = number;
    Some(match op {
        Op::Add | Op::AddScalar(_) | Op::Expand | Op::Reshape | Op::Sum { .. } => "1".into(),
        Op::Sub => {
            if position == 0 {
                "1".into()
            } else {
                "−1".into()
            }
        }
        Op::Neg => "−1".into(),
        Op::Mul => n(x[1 - position]),
        Op::MulScalar(s) => n(*s),
        Op::Div if position == 0 => format!("1 / {}", n(x[1])),
        Op::Div => format!("−{} / {}", n(x[0]), squared(x[1])),
        Op::PowScalar(p) => format!("{} · {}^{}", n(*p), n(x[0]), n(p - 1.0)),
        Op::Exp => format!("e^{} = {}", n(x[0]), n(y)),
        Op::Ln => format!("1 / {}", n(x[0])),
        Op::Sqrt => format!("1 / (2 · {})", n(y)),
        Op::Log1p => format!("1 / (1 + {})", n(x[0])),
        Op::Expm1 => format!("e^{}", n(x[0])),
        Op::Sin => format!("cos {}", n(x[0])),
        Op::Cos => format!("−sin {}", n(x[0])),
        Op::Tanh => format!("(1 − {})", squared(y)),
        Op::Sigmoid => format!("{} · (1 − {})", n(y), n(y)),
        Op::Relu => {
            if x[0] > 0.0 {
                "1 (input > 0)".into()
            } else {
                "0 (input ≤ 0)".into()
            }
        }
        Op::Abs => format!("sign({})", n(x[0])),
        Op::LeakyRelu(s) => {
            if x[0] > 0.0 {
                "1 (input > 0)".into()
            } else {
                format!("{} (input ≤ 0)", n(*s))
            }
        }
        Op::Maximum | Op::Minimum => {
            let chosen = if (x[position] == y) && (x[0] != x[1]) {
                "1 (chosen)"
            } else if x[0] == x[1] {
                "½ (tie)"
            } else {
                "0 (not chosen)"
            };
            chosen.into()
        }
        _ => return None,
    })
}
