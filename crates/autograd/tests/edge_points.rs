//! The edge-point table of `docs/numerics.md`, as a test: every op kind (walked from
//! `OpKind::ALL`, matched without a `_` arm) evaluated at its special points — zeros,
//! kinks, ties, ±∞, saturation, exact probabilities 0 and 1 — in f32 and f64, through
//! `backward` and through `grad_graph` (the first derivative recorded, then
//! differentiated again). The expected values come from the maths or from PyTorch's
//! documented conventions, written in the table below; NaN is never accepted where the
//! table says finite.

use autograd::{CustomOp, OpKind, Param, Residuals, Tape, Var};
use tensor::{AvgPool, Conv2dParams, Float, Pool2d, Tensor};

const INF: f64 = f64::INFINITY;
const NINF: f64 = f64::NEG_INFINITY;
const LN2: f64 = std::f64::consts::LN_2;

type Function<T> = for<'t, 's> fn(&'s [Var<'t, T>]) -> Var<'t, T>;

/// One row: inputs (1-D), the function, its value, the gradient of `Σ f` for each input
/// listed, and (when given) the second derivative `∂/∂x₀ Σ ∂(Σ f)/∂x₀`.
struct Edge<T: Float> {
    inputs: Vec<Vec<f64>>,
    f: Function<T>,
    value: Vec<f64>,
    grads: Vec<Vec<f64>>,
    second: Option<Vec<f64>>,
}

fn e<T: Float>(
    inputs: &[&[f64]],
    f: Function<T>,
    value: &[f64],
    grads: &[&[f64]],
    second: Option<&[f64]>,
) -> Edge<T> {
    Edge {
        inputs: inputs.iter().map(|v| v.to_vec()).collect(),
        f,
        value: value.to_vec(),
        grads: grads.iter().map(|v| v.to_vec()).collect(),
        second: second.map(|v| v.to_vec()),
    }
}

/// softplus as a custom op.
struct Softplus;

impl<T: Float> CustomOp<T> for Softplus {
    fn name(&self) -> &str {
        "softplus"
    }
    fn forward(&self, inputs: &[Tensor<T>], saved: &mut Residuals<T>) -> Tensor<T> {
        saved.save("sigmoid", inputs[0].sigmoid());
        inputs[0].softplus()
    }
    fn backward(&self, g: &Tensor<T>, saved: &Residuals<T>) -> Vec<Tensor<T>> {
        vec![g * saved.get("sigmoid")]
    }
}

fn c<'t, T: Float>(v: &Var<'t, T>, values: &[f64]) -> Var<'t, T> {
    v.tape().constant(
        Tensor::from_vec(
            values.iter().map(|&x| T::from_f64(x)).collect(),
            &[values.len()],
        )
        .unwrap(),
    )
}

/// A 1 × 2 pooling window over a 1 × 2 image.
fn row_window() -> Pool2d {
    Pool2d {
        kernel: [1, 2],
        stride: [1, 2],
        padding: [0, 0],
    }
}

/// The table. Exhaustive over `OpKind`: a new op without edge rows does not compile.
fn edges<T: Float>(kind: OpKind) -> Vec<Edge<T>> {
    let (pi2, k) = (std::f64::consts::FRAC_PI_2, 0.797_884_560_802_865_4);
    match kind {
        OpKind::Leaf => vec![e(
            &[&[0.0, INF, NINF]],
            |v| v[0],
            &[0.0, INF, NINF],
            &[&[1.0; 3]],
            Some(&[0.0; 3]),
        )],
        OpKind::Constant => vec![e(
            &[&[1.0, 3.0, 0.0]],
            |v| v[0] * c(&v[0], &[2.0, 0.0, -1.0]),
            &[2.0, 0.0, 0.0],
            &[&[2.0, 0.0, -1.0]],
            Some(&[0.0; 3]),
        )],
        OpKind::Param => vec![e(
            &[&[0.0, INF]],
            |v| {
                let p = Param::new(
                    "p",
                    Tensor::from_vec(vec![T::from_f64(2.0); 2], &[2]).unwrap(),
                );
                v[0] * v[0].tape().param(&p)
            },
            &[0.0, INF],
            &[&[2.0, 2.0]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::Add => vec![e(
            &[&[0.0, INF, -1.0], &[0.0, 1.0, INF]],
            |v| v[0] + v[1],
            &[0.0, INF, INF],
            &[&[1.0; 3], &[1.0; 3]],
            Some(&[0.0; 3]),
        )],
        OpKind::Sub => vec![e(
            &[&[0.0, INF, -1.0], &[0.0, 1.0, NINF]],
            |v| v[0] - v[1],
            &[0.0, INF, INF],
            &[&[1.0; 3], &[-1.0; 3]],
            Some(&[0.0; 3]),
        )],
        OpKind::Mul => vec![e(
            &[&[0.0, 2.0, INF], &[3.0, 0.0, 1.0]],
            |v| v[0] * v[1],
            &[0.0, 0.0, INF],
            &[&[3.0, 0.0, 1.0], &[0.0, 2.0, INF]],
            Some(&[0.0; 3]),
        )],
        // d/da a/b = 1/b, d/db = −a/b² (−0 at b = ∞)
        OpKind::Div => vec![e(
            &[&[1.0, 0.0, INF], &[2.0, INF, 4.0]],
            |v| v[0] / v[1],
            &[0.5, 0.0, INF],
            &[&[0.5, 0.0, 0.25], &[-0.25, 0.0, NINF]],
            Some(&[0.0; 3]),
        )],
        // ties split evenly (PyTorch's maximum/minimum)
        OpKind::Maximum => vec![e(
            &[&[1.0, 2.0, NINF], &[1.0, 1.0, 3.0]],
            |v| v[0].maximum(v[1]),
            &[1.0, 2.0, 3.0],
            &[&[0.5, 1.0, 0.0], &[0.5, 0.0, 1.0]],
            Some(&[0.0; 3]),
        )],
        OpKind::Minimum => vec![e(
            &[&[1.0, 2.0, INF], &[1.0, 1.0, 3.0]],
            |v| v[0].minimum(v[1]),
            &[1.0, 1.0, 3.0],
            &[&[0.5, 0.0, 0.0], &[0.5, 1.0, 1.0]],
            Some(&[0.0; 3]),
        )],
        OpKind::AddScalar => vec![e(
            &[&[0.0, INF]],
            |v| v[0] + T::from_f64(1.5),
            &[1.5, INF],
            &[&[1.0, 1.0]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::MulScalar => vec![e(
            &[&[0.0, INF]],
            |v| v[0] * T::from_f64(-2.0),
            &[0.0, NINF],
            &[&[-2.0, -2.0]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::Neg => vec![e(
            &[&[0.0, INF]],
            |v| -v[0],
            &[0.0, NINF],
            &[&[-1.0, -1.0]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::PowScalar => vec![
            // x⁰ = 1 is constant: gradient 0 also at x = 0 (PyTorch), not 0·0⁻¹ = NaN
            e(
                &[&[0.0, 2.0]],
                |v| v[0].powf(T::ZERO),
                &[1.0, 1.0],
                &[&[0.0, 0.0]],
                Some(&[0.0, 0.0]),
            ),
            // x³ at 0: 3x² = 0, 6x = 0
            e(
                &[&[0.0, 2.0]],
                |v| v[0].powi(3),
                &[0.0, 8.0],
                &[&[0.0, 12.0]],
                Some(&[0.0, 12.0]),
            ),
            // √x as x^0.5: infinite slope at 0 (the true derivative, as PyTorch)
            e(
                &[&[0.0, 4.0]],
                |v| v[0].powf(T::from_f64(0.5)),
                &[0.0, 2.0],
                &[&[INF, 0.25]],
                None,
            ),
            e(&[&[INF]], |v| v[0].powi(2), &[INF], &[&[INF]], Some(&[2.0])),
        ],
        OpKind::Exp => vec![e(
            &[&[NINF, 0.0, INF]],
            |v| v[0].exp(),
            &[0.0, 1.0, INF],
            &[&[0.0, 1.0, INF]],
            Some(&[0.0, 1.0, INF]),
        )],
        OpKind::Ln => vec![e(
            &[&[0.0, 1.0, INF]],
            |v| v[0].ln(),
            &[NINF, 0.0, INF],
            &[&[INF, 1.0, 0.0]],
            Some(&[NINF, -1.0, 0.0]),
        )],
        OpKind::Sqrt => vec![
            e(&[&[0.0]], |v| v[0].sqrt(), &[0.0], &[&[INF]], None),
            e(
                &[&[4.0, INF]],
                |v| v[0].sqrt(),
                &[2.0, INF],
                &[&[0.25, 0.0]],
                Some(&[-1.0 / 32.0, 0.0]),
            ),
        ],
        // sign(x), 0 at the kink (PyTorch)
        OpKind::Abs => vec![e(
            &[&[-2.0, 0.0, 3.0, NINF]],
            |v| v[0].abs(),
            &[2.0, 0.0, 3.0, INF],
            &[&[-1.0, 0.0, 1.0, -1.0]],
            Some(&[0.0; 4]),
        )],
        OpKind::Erf => vec![
            e(
                &[&[0.0]],
                |v| v[0].erf(),
                &[0.0],
                &[&[std::f64::consts::FRAC_2_SQRT_PI]],
                Some(&[0.0]),
            ),
            e(
                &[&[INF, NINF]],
                |v| v[0].erf(),
                &[1.0, -1.0],
                &[&[0.0, 0.0]],
                None,
            ),
        ],
        OpKind::Sin => vec![e(
            &[&[0.0, pi2]],
            |v| v[0].sin(),
            &[0.0, 1.0],
            &[&[1.0, pi2.cos()]],
            Some(&[0.0, -1.0]),
        )],
        OpKind::Cos => vec![e(
            &[&[0.0, pi2]],
            |v| v[0].cos(),
            &[1.0, pi2.cos()],
            &[&[0.0, -1.0]],
            Some(&[-1.0, -pi2.cos()]),
        )],
        OpKind::Log1p => vec![e(
            &[&[-1.0, 0.0, INF]],
            |v| v[0].log1p(),
            &[NINF, 0.0, INF],
            &[&[INF, 1.0, 0.0]],
            Some(&[NINF, -1.0, 0.0]),
        )],
        OpKind::Expm1 => vec![e(
            &[&[NINF, 0.0, INF]],
            |v| v[0].expm1(),
            &[-1.0, 0.0, INF],
            &[&[0.0, 1.0, INF]],
            Some(&[0.0, 1.0, INF]),
        )],
        // d/da a^b = b·a^(b−1) (0 where b = 0); d/db = a^b·ln a (0 where a = 0, b ≥ 0)
        OpKind::Pow => vec![e(
            &[&[0.0, 0.0, 2.0], &[0.0, 2.0, 3.0]],
            |v| v[0].pow(v[1]),
            &[1.0, 0.0, 8.0],
            &[&[0.0, 0.0, 12.0], &[0.0, 0.0, 8.0 * LN2]],
            None,
        )],
        // exact probabilities: p = y gives 0 and gradient 0; the fused rule divides by
        // max(p(1 − p), 1e-12), so p = 1, y = 0 has loss 100 (the clamp) and slope 1e12
        OpKind::BinaryCrossEntropy => vec![e(
            &[&[1.0, 0.0, 0.5, 1.0]],
            |v| {
                v[0].binary_cross_entropy(
                    &Tensor::from_vec(vec![T::ONE, T::ZERO, T::from_f64(0.5), T::ZERO], &[4])
                        .unwrap(),
                )
            },
            &[0.0, 0.0, LN2, 100.0],
            &[&[0.0, 0.0, 0.0, 1e12]],
            None,
        )],
        // the kink gets 0 (PyTorch)
        OpKind::Relu => vec![e(
            &[&[-1.0, 0.0, 2.0, INF]],
            |v| v[0].relu(),
            &[0.0, 0.0, 2.0, INF],
            &[&[0.0, 0.0, 1.0, 1.0]],
            Some(&[0.0; 4]),
        )],
        // the kink gets the negative slope (PyTorch: x > 0 ? 1 : slope)
        OpKind::LeakyRelu => vec![e(
            &[&[-2.0, 0.0, 3.0]],
            |v| v[0].leaky_relu(T::from_f64(0.1)),
            &[-0.2, 0.0, 3.0],
            &[&[0.1, 0.1, 1.0]],
            Some(&[0.0; 3]),
        )],
        // x ≤ 0: α·e^x (1 at 0 from both sides), 0 at −∞
        // x = 100 has e^x = ∞ in f32: the slope is still 1 (PyTorch's choice, not ∞·0)
        OpKind::Elu => vec![e(
            &[&[NINF, 0.0, 2.0, 100.0, INF]],
            |v| v[0].elu(T::ONE),
            &[-1.0, 0.0, 2.0, 100.0, INF],
            &[&[0.0, 1.0, 1.0, 1.0, 1.0]],
            Some(&[0.0, 1.0, 0.0, 0.0, 0.0]),
        )],
        // Φ(0) = ½; second derivative 2φ(0) = √(2/π)
        OpKind::Gelu => vec![e(&[&[0.0]], |v| v[0].gelu(), &[0.0], &[&[0.5]], Some(&[k]))],
        OpKind::GeluTanh => vec![e(
            &[&[0.0]],
            |v| v[0].gelu_tanh(),
            &[0.0],
            &[&[0.5]],
            Some(&[k]),
        )],
        OpKind::Softplus => vec![e(
            &[&[NINF, 0.0, INF]],
            |v| v[0].softplus(),
            &[0.0, LN2, INF],
            &[&[0.0, 0.5, 1.0]],
            Some(&[0.0, 0.25, 0.0]),
        )],
        // saturated: σ(20) rounds to 1 in f32, but σ'(20) = σ(20)σ(−20) = 2.06e-9
        OpKind::Sigmoid => vec![e(
            &[&[NINF, 0.0, INF, 20.0]],
            |v| v[0].sigmoid(),
            &[0.0, 0.5, 1.0, 1.0 / (1.0 + (-20f64).exp())],
            &[&[
                0.0,
                0.25,
                0.0,
                (-20f64).exp() / (1.0 + (-20f64).exp()).powi(2),
            ]],
            None,
        )],
        OpKind::Tanh => vec![e(
            &[&[0.0, INF, NINF]],
            |v| v[0].tanh(),
            &[0.0, 1.0, -1.0],
            &[&[1.0, 0.0, 0.0]],
            Some(&[0.0, 0.0, 0.0]),
        )],
        // a masked class (−∞) gets probability 0 and gradient 0
        OpKind::Softmax => vec![e(
            &[&[0.0, NINF, 0.0]],
            |v| v[0].softmax(-1).narrow(0, 0, 1),
            &[0.5],
            &[&[0.25, 0.0, -0.25]],
            None,
        )],
        OpKind::LogSoftmax => vec![e(
            &[&[0.0, NINF, 0.0]],
            |v| v[0].log_softmax(-1).narrow(0, 0, 1),
            &[-LN2],
            &[&[0.5, 0.0, -0.5]],
            None,
        )],
        // bounds included (PyTorch: min ≤ x ≤ max gets 1)
        OpKind::Clamp => vec![e(
            &[&[-2.0, -1.0, 0.5, 1.0, 2.0]],
            |v| v[0].clamp(-T::ONE, T::ONE),
            &[-1.0, -1.0, 0.5, 1.0, 1.0],
            &[&[0.0, 1.0, 1.0, 1.0, 0.0]],
            Some(&[0.0; 5]),
        )],
        OpKind::Sum => vec![e(
            &[&[INF, 1.0]],
            |v| v[0].sum(0, false),
            &[INF],
            &[&[1.0, 1.0]],
            Some(&[0.0, 0.0]),
        )],
        // ties share the gradient evenly (as `amax`), also between −∞ entries
        OpKind::Max => vec![
            e(
                &[&[1.0, 3.0, 3.0]],
                |v| v[0].max(0, false),
                &[3.0],
                &[&[0.0, 0.5, 0.5]],
                Some(&[0.0; 3]),
            ),
            e(
                &[&[NINF, NINF]],
                |v| v[0].max(0, false),
                &[NINF],
                &[&[0.5, 0.5]],
                None,
            ),
        ],
        OpKind::MatMul => vec![e(
            &[&[1.0, 0.0], &[INF, 2.0]],
            |v| v[0].reshape(&[1, 2]).matmul(v[1].reshape(&[2, 1])),
            &[INF],
            &[&[INF, 2.0], &[1.0, 0.0]],
            Some(&[0.0, 0.0]),
        )],
        // ∞ in the weight reaches the output and the input's gradient, not the weight's.
        OpKind::Linear => vec![e(
            &[&[1.0, 0.0], &[INF, 2.0], &[0.5]],
            |v| v[0].linear(v[1].reshape(&[1, 2]), Some(v[2])),
            &[INF],
            &[&[INF, 2.0], &[1.0, 0.0], &[1.0]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::Transpose => vec![e(
            &[&[1.0, 2.0, 3.0, INF]],
            |v| v[0].reshape(&[2, 2]).t().reshape(&[-1]),
            &[1.0, 3.0, 2.0, INF],
            &[&[1.0; 4]],
            Some(&[0.0; 4]),
        )],
        OpKind::Permute => vec![e(
            &[&[1.0, 2.0, 3.0, INF]],
            |v| v[0].reshape(&[1, 2, 2]).permute(&[2, 1, 0]).reshape(&[-1]),
            &[1.0, 3.0, 2.0, INF],
            &[&[1.0; 4]],
            Some(&[0.0; 4]),
        )],
        OpKind::Reshape => vec![e(
            &[&[0.0, NINF]],
            |v| v[0].reshape(&[2, 1]),
            &[0.0, NINF],
            &[&[1.0; 2]],
            Some(&[0.0; 2]),
        )],
        OpKind::Expand => vec![e(
            &[&[INF]],
            |v| v[0].broadcast_to(&[3]),
            &[INF; 3],
            &[&[3.0]],
            Some(&[0.0]),
        )],
        OpKind::Unsqueeze => vec![e(
            &[&[INF, 0.0]],
            |v| v[0].unsqueeze(0),
            &[INF, 0.0],
            &[&[1.0; 2]],
            Some(&[0.0; 2]),
        )],
        OpKind::Squeeze => vec![e(
            &[&[INF, 0.0]],
            |v| v[0].reshape(&[2, 1]).squeeze(1),
            &[INF, 0.0],
            &[&[1.0; 2]],
            Some(&[0.0; 2]),
        )],
        OpKind::Narrow => vec![e(
            &[&[NINF, 1.0, 2.0]],
            |v| v[0].narrow(0, 1, 2),
            &[1.0, 2.0],
            &[&[0.0, 1.0, 1.0]],
            Some(&[0.0; 3]),
        )],
        OpKind::Pad => vec![e(
            &[&[INF]],
            |v| v[0].pad(0, 1, 3),
            &[0.0, INF, 0.0],
            &[&[1.0]],
            Some(&[0.0]),
        )],
        OpKind::Concat => vec![e(
            &[&[INF], &[0.0]],
            |v| Var::concat(&[v[0], v[1]], 0),
            &[INF, 0.0],
            &[&[1.0], &[1.0]],
            Some(&[0.0]),
        )],
        OpKind::IndexSelect => vec![e(
            &[&[INF, 1.0]],
            |v| v[0].index_select(0, &[0, 0, 1]),
            &[INF, INF, 1.0],
            &[&[2.0, 1.0]],
            Some(&[0.0; 2]),
        )],
        OpKind::IndexAdd => vec![e(
            &[&[INF, 1.0, 2.0]],
            |v| v[0].index_add(0, &[1, 0, 1], 2),
            &[1.0, INF],
            &[&[1.0; 3]],
            Some(&[0.0; 3]),
        )],
        OpKind::Gather => vec![e(
            &[&[NINF, 5.0]],
            |v| v[0].gather(0, &Tensor::from_vec(vec![T::ONE, T::ONE], &[2]).unwrap()),
            &[5.0, 5.0],
            &[&[0.0, 2.0]],
            Some(&[0.0; 2]),
        )],
        OpKind::ScatterAdd => vec![e(
            &[&[INF, 1.0]],
            |v| {
                v[0].scatter_add(
                    0,
                    &Tensor::from_vec(vec![T::ONE, T::ONE], &[2]).unwrap(),
                    &[2],
                )
            },
            &[0.0, INF],
            &[&[1.0, 1.0]],
            Some(&[0.0; 2]),
        )],
        // the branch not taken gets gradient 0 even where it is ±∞
        // Any non-zero mask value picks (2, −1 and NaN too), and the gradient is the
        // choice, never scaled by the mask's value.
        OpKind::Where => vec![e(
            &[&[1.0, NINF, 3.0, 4.0, 5.0], &[INF, 2.0, 6.0, 7.0, 8.0]],
            |v| {
                let m = [T::ONE, T::ZERO, T::from_f64(2.0), -T::ONE, T::NAN];
                let mask = Tensor::from_vec(m.to_vec(), &[5]).unwrap();
                Var::where_(&mask, v[0], v[1])
            },
            &[1.0, 2.0, 3.0, 4.0, 5.0],
            &[&[1.0, 0.0, 1.0, 1.0, 1.0], &[0.0, 1.0, 0.0, 0.0, 0.0]],
            Some(&[0.0; 5]),
        )],
        // Convolution and pooling are linear (max pooling piecewise): infinities pass
        // through; max pooling sends a tie to the first maximum (PyTorch).
        OpKind::Conv2d => vec![e(
            &[&[INF, 1.0], &[2.0]],
            |v| {
                v[0].reshape(&[1, 1, 1, 2])
                    .conv2d(v[1].reshape(&[1, 1, 1, 1]), Conv2dParams::default())
                    .reshape(&[-1])
            },
            &[INF, 2.0],
            &[&[2.0, 2.0], &[INF]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::ConvTranspose2d => vec![e(
            &[&[INF, 1.0], &[2.0]],
            |v| {
                v[0].reshape(&[1, 1, 1, 2])
                    .conv_transpose2d(v[1].reshape(&[1, 1, 1, 1]), Conv2dParams::default(), [1, 2])
                    .reshape(&[-1])
            },
            &[INF, 2.0],
            &[&[2.0, 2.0], &[INF]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::Conv2dWeight => vec![e(
            &[&[INF, 1.0], &[1.0, 0.0]],
            |v| {
                v[0].reshape(&[1, 1, 1, 2])
                    .conv2d_weight(v[1].reshape(&[1, 1, 1, 2]), Conv2dParams::default(), [1, 1])
                    .reshape(&[-1])
            },
            &[INF],
            &[&[1.0, 0.0], &[INF, 1.0]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::MaxPool2d => vec![
            e(
                &[&[3.0, 3.0]],
                |v| {
                    v[0].reshape(&[1, 1, 1, 2])
                        .max_pool2d(row_window())
                        .reshape(&[-1])
                },
                &[3.0],
                &[&[1.0, 0.0]],
                Some(&[0.0, 0.0]),
            ),
            e(
                &[&[NINF, NINF]],
                |v| {
                    v[0].reshape(&[1, 1, 1, 2])
                        .max_pool2d(row_window())
                        .reshape(&[-1])
                },
                &[NINF],
                &[&[1.0, 0.0]],
                None,
            ),
        ],
        OpKind::MaxUnpool2d => vec![e(
            &[&[INF]],
            |v| {
                let index = Tensor::from_vec(vec![T::ONE], &[1, 1, 1, 1]).unwrap();
                v[0].reshape(&[1, 1, 1, 1])
                    .max_unpool2d(&index, [1, 2])
                    .reshape(&[-1])
            },
            &[0.0, INF],
            &[&[1.0]],
            Some(&[0.0]),
        )],
        OpKind::AvgPool2d => vec![e(
            &[&[INF, 1.0]],
            |v| {
                v[0].reshape(&[1, 1, 1, 2])
                    .avg_pool2d(row_window())
                    .reshape(&[-1])
            },
            &[INF],
            &[&[0.5, 0.5]],
            Some(&[0.0, 0.0]),
        )],
        OpKind::AvgPool2dAdjoint => vec![e(
            &[&[INF]],
            |v| {
                v[0].reshape(&[1, 1, 1, 1])
                    .avg_pool_adjoint(AvgPool::Window(row_window()), [1, 2])
                    .reshape(&[-1])
            },
            &[INF, INF],
            &[&[1.0]],
            Some(&[0.0]),
        )],
        // Saturated gates (σ(±20) round to 1 and 0 in f32) keep their tiny slopes
        // σ(a)·σ(−a); infinite pre-activations give exact 0/1 gates and zero slopes.
        OpKind::LstmCell => vec![lstm_saturated(), lstm_infinite()],
        OpKind::LstmSequence => vec![lstm_sequence_saturated(), lstm_sequence_infinite()],
        OpKind::GruCell => vec![gru_saturated(), gru_infinite()],
        OpKind::Custom => vec![e(
            &[&[0.0, NINF]],
            |v| v[0].tape().apply(Softplus, &[v[0]]),
            &[LN2, 0.0],
            &[&[0.5, 0.0]],
            None,
        )],
    }
}

/// Equal as the table means it: infinities exactly (with sign), finite values within
/// `rel` relative (or `rel` absolute near 0), and never NaN.
fn close(got: f64, want: f64, rel: f64) -> bool {
    if got.is_nan() {
        return false;
    }
    if want.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= rel * want.abs().max(1.0)
}

fn check<T: Float>(kind: OpKind, rel: f64) {
    for (r, edge) in edges::<T>(kind).into_iter().enumerate() {
        let ctx = format!("{kind:?} row {r} ({})", T::NAME);
        let tape = Tape::<T>::new();
        let vars: Vec<Var<'_, T>> = edge
            .inputs
            .iter()
            .map(|v| {
                tape.var(
                    Tensor::from_vec(v.iter().map(|&x| T::from_f64(x)).collect(), &[v.len()])
                        .unwrap(),
                )
            })
            .collect();
        let y = (edge.f)(&vars);
        assert!(
            (0..tape.len()).any(|i| tape.node(i).op.kind() == kind),
            "{ctx}: records no {kind:?}"
        );
        let value: Vec<f64> = y.value().to_vec().iter().map(|v| v.to_f64()).collect();
        assert_eq!(value.len(), edge.value.len(), "{ctx}");
        for (g, w) in value.iter().zip(&edge.value) {
            assert!(
                close(*g, *w, rel),
                "{ctx}: value {value:?}, table {:?}",
                edge.value
            );
        }
        // First order through backward, and again through grad_graph.
        let grads = y.sum_all().backward();
        let recorded = y.sum_all().grad_graph(&vars);
        for (i, want) in edge.grads.iter().enumerate() {
            let got: Vec<f64> = grads[&vars[i]]
                .to_vec()
                .iter()
                .map(|v| v.to_f64())
                .collect();
            let via_graph: Vec<f64> = recorded[i]
                .expect("a gradient")
                .value()
                .to_vec()
                .iter()
                .map(|v| v.to_f64())
                .collect();
            for ((g, h), w) in got.iter().zip(&via_graph).zip(want) {
                assert!(close(*g, *w, rel), "{ctx}: d/dx{i} {got:?}, table {want:?}");
                assert!(
                    close(*h, *w, rel),
                    "{ctx}: grad_graph d/dx{i} {via_graph:?}, table {want:?}"
                );
            }
        }
        // Second order: differentiate the recorded first derivative once more.
        if let Some(want) = &edge.second {
            let dy = recorded[0].expect("a gradient");
            let got: Vec<f64> = if dy.requires_grad() {
                let g2 = dy.sum_all().backward();
                match g2.get(&vars[0]) {
                    Some(t) => t.to_vec().iter().map(|v| v.to_f64()).collect(),
                    None => vec![0.0; want.len()],
                }
            } else {
                vec![0.0; want.len()]
            };
            for (g, w) in got.iter().zip(want) {
                assert!(
                    close(*g, *w, rel),
                    "{ctx}: second derivative {got:?}, table {want:?}"
                );
            }
        }
    }
}

#[test]
fn every_op_at_its_edge_points_in_f64() {
    for kind in OpKind::ALL {
        check::<f64>(kind, 1e-12);
    }
}

#[test]
fn every_op_at_its_edge_points_in_f32() {
    for kind in OpKind::ALL {
        check::<f32>(kind, 1e-5);
    }
}

#[test]
fn higher_derivatives_of_a_power_at_zero_stay_finite() {
    // x³ at 0: 3x² = 0, 6x = 0, 6, then 0 (the derivative of a constant), not 0·0⁻¹.
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(0.0f64));
    let d1 = x.powi(3).grad_graph(&[x])[0].unwrap();
    let d2 = d1.grad_graph(&[x])[0].unwrap();
    let d3 = d2.grad_graph(&[x])[0].unwrap();
    assert_eq!((d1.item(), d2.item(), d3.item()), (0.0, 0.0, 6.0));
    let d4 = d3.grad_graph(&[x])[0].map_or(0.0, |v| v.item());
    assert_eq!(d4, 0.0);
}

/// σ(20), and the slope σ(20)·σ(−20).
fn sigmoid_20() -> (f64, f64) {
    let e = (-20f64).exp();
    (1.0 / (1.0 + e), e / (1.0 + e).powi(2))
}

/// `Σ [h | c]` of an LSTM cell with gates `[20, −20, 0.5, 20]` and `c_prev = 1`, by the
/// cell's equations: i = o = σ(20), f = σ(−20), g = tanh ½.
fn lstm_saturated<T: Float>() -> Edge<T> {
    let (s, ds) = sigmoid_20();
    let (i, f, g, o) = (s, 1.0 - s, 0.5f64.tanh(), s);
    let c = f + i * g;
    let tc = c.tanh();
    let dc = 1.0 + o * (1.0 - tc * tc);
    Edge {
        inputs: vec![vec![20.0, -20.0, 0.5, 20.0], vec![1.0]],
        f: |v| {
            v[0].reshape(&[1, 4])
                .lstm_cell(v[1].reshape(&[1, 1]))
                .reshape(&[-1])
        },
        value: vec![o * tc, c],
        grads: vec![
            vec![dc * g * ds, dc * ds, dc * i * (1.0 - g * g), tc * ds],
            vec![dc * f],
        ],
        second: None,
    }
}

/// `[h | c]` of a one-step LSTM sequence from flat inputs: gates `[4]`, `W_hh` `[4]`,
/// `h0` and `c0` `[1]`.
fn one_step_sequence<'t, T: Float>(v: &[Var<'t, T>], reverse: bool) -> Var<'t, T> {
    v[0].reshape(&[1, 1, 4])
        .lstm_sequence(
            v[1].reshape(&[4, 1]),
            v[2].reshape(&[1, 1]),
            v[3].reshape(&[1, 1]),
            reverse,
        )
        .reshape(&[-1])
}

/// [`lstm_saturated`] as a one-step sequence (`W_hh = 0`, `h0 = 0`): the same values
/// and gate gradients; `W_hh` gets `d a ⊗ h0 = 0` and `h0` gets `d a·W_hh = 0`.
fn lstm_sequence_saturated<T: Float>() -> Edge<T> {
    let cell = lstm_saturated::<T>();
    Edge {
        inputs: vec![cell.inputs[0].clone(), vec![0.0; 4], vec![0.0], vec![1.0]],
        f: |v| one_step_sequence(v, false),
        value: cell.value.clone(),
        grads: vec![
            cell.grads[0].clone(),
            vec![0.0; 4],
            vec![0.0],
            cell.grads[1].clone(),
        ],
        second: None,
    }
}

/// [`lstm_infinite`] as a one-step sequence: c = 1, h = tanh 1, every gradient 0.
fn lstm_sequence_infinite<T: Float>() -> Edge<T> {
    Edge {
        inputs: vec![
            vec![INF, NINF, INF, INF],
            vec![0.5; 4],
            vec![0.0],
            vec![2.0],
        ],
        f: |v| one_step_sequence(v, true),
        value: vec![1f64.tanh(), 1.0],
        grads: vec![vec![0.0; 4], vec![0.0; 4], vec![0.0], vec![0.0]],
        second: None,
    }
}

/// Gates `[∞, −∞, ∞, ∞]`: exactly i = 1, f = 0, g = 1, o = 1, so c = 1 and
/// h = tanh 1 whatever `c_prev`; every slope is 0 and nothing is NaN.
fn lstm_infinite<T: Float>() -> Edge<T> {
    Edge {
        inputs: vec![vec![INF, NINF, INF, INF], vec![2.0]],
        f: |v| {
            v[0].reshape(&[1, 4])
                .lstm_cell(v[1].reshape(&[1, 1]))
                .reshape(&[-1])
        },
        value: vec![1f64.tanh(), 1.0],
        grads: vec![vec![0.0; 4], vec![0.0]],
        second: None,
    }
}

/// `h'` of a GRU cell with `x = [20, −20, ½]`, `hw = [0, 0, 1]`, `h_prev = 2`, by the
/// cell's equations: r = σ(20), z = σ(−20), n = tanh(½ + r).
fn gru_saturated<T: Float>() -> Edge<T> {
    let (s, ds) = sigmoid_20();
    let (r, z) = (s, 1.0 - s);
    let n = (0.5 + r).tanh();
    let dn = (1.0 - z) * (1.0 - n * n);
    let (dr, dz) = (dn * ds, (2.0 - n) * ds);
    Edge {
        inputs: vec![vec![20.0, -20.0, 0.5], vec![0.0, 0.0, 1.0], vec![2.0]],
        f: |v| {
            v[0].reshape(&[1, 3])
                .gru_cell(v[1].reshape(&[1, 3]), v[2].reshape(&[1, 1]))
                .reshape(&[-1])
        },
        value: vec![n + z * (2.0 - n)],
        grads: vec![vec![dr, dz, dn], vec![dr, dz, dn * r], vec![z]],
        second: None,
    }
}

/// `x = [∞, −∞, ∞]`: r = 1, z = 0, n = 1 exactly, so h' = 1 with zero slopes.
fn gru_infinite<T: Float>() -> Edge<T> {
    Edge {
        inputs: vec![vec![INF, NINF, INF], vec![0.0, 0.0, 1.0], vec![2.0]],
        f: |v| {
            v[0].reshape(&[1, 3])
                .gru_cell(v[1].reshape(&[1, 3]), v[2].reshape(&[1, 1]))
                .reshape(&[-1])
        },
        value: vec![1.0],
        grads: vec![vec![0.0; 3], vec![0.0; 3], vec![0.0]],
        second: None,
    }
}
