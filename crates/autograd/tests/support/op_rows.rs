//! The test rows for every op kind, shared by `gradcheck_ops.rs` (backward against finite
//! differences) and `jvp.rs` (the tangent table against the backward table and finite
//! differences). `rows` matches on `OpKind` without a `_` arm, so adding an op without
//! rows here does not compile; each row must also record its op (`assert_records`), so a
//! row cannot silently test something else.
#![allow(dead_code)] // each test binary uses part of it

use autograd::{CustomOp, OpKind, Param, Residuals, Tape, Var};
use rand::rngs::StdRng;
use rand::Rng;
use tensor::{AvgPool, Conv2dParams as P, Pool2d, Tensor};

/// How to draw input values so that finite differences stay away from kinks.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Domain {
    /// Uniform in [-2, 2].
    Any,
    /// Uniform in [0.5, 2].
    Positive,
    /// |x| in [0.2, 2], random sign (away from the kink of relu/abs at 0).
    AwayFromZero,
    /// Distinct values at least 0.05 apart (max, maximum: no ties).
    Distinct,
}

pub(crate) type Function = for<'t, 's> fn(&'s [Var<'t, f64>]) -> Var<'t, f64>;

/// One gradcheck case: input shapes, how to draw values, and the function.
pub(crate) struct Row {
    pub(crate) shapes: Vec<Vec<usize>>,
    pub(crate) domain: Domain,
    pub(crate) f: Function,
}

pub(crate) fn row(shapes: &[&[usize]], domain: Domain, f: Function) -> Row {
    Row {
        shapes: shapes.iter().map(|s| s.to_vec()).collect(),
        domain,
        f,
    }
}

/// softplus as a custom op, for the `Custom` row (with its own backward and tangent rules).
pub(crate) struct Softplus;

impl CustomOp<f64> for Softplus {
    fn name(&self) -> &str {
        "softplus"
    }
    fn forward(&self, inputs: &[Tensor<f64>], saved: &mut Residuals<f64>) -> Tensor<f64> {
        saved.save("sigmoid", inputs[0].sigmoid());
        inputs[0].map(|v| v.exp().ln_1p())
    }
    fn backward(&self, g: &Tensor<f64>, saved: &Residuals<f64>) -> Vec<Tensor<f64>> {
        vec![g * saved.get("sigmoid")]
    }
    // Its own tangent rule, so the dot-product test checks it against `backward`.
    fn jvp(
        &self,
        tangents: &[Tensor<f64>],
        _out: &Tensor<f64>,
        saved: &Residuals<f64>,
    ) -> Tensor<f64> {
        &tangents[0] * saved.get("sigmoid")
    }
}

/// The rows for one op. Exhaustive: a new `Op` variant must get rows here.
pub(crate) fn rows(kind: OpKind) -> Vec<Row> {
    use Domain::*;
    match kind {
        OpKind::Leaf => vec![row(&[&[2, 3]], Any, |v| v[0])],
        OpKind::Constant => vec![row(&[&[2, 3]], Any, |v| {
            let c = v[0]
                .tape()
                .constant(Tensor::from([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]]));
            v[0] * c
        })],
        OpKind::Param => vec![row(&[&[2, 3]], Any, |v| {
            let p = Param::new("p", Tensor::from([[1.5, -2.0, 0.5], [1.0, 2.0, -0.5]]));
            v[0] * v[0].tape().param(&p)
        })],
        OpKind::Add => binary(|v| v[0] + v[1], Any),
        OpKind::Sub => binary(|v| v[0] - v[1], Any),
        OpKind::Mul => binary(|v| v[0] * v[1], Any),
        OpKind::Div => vec![
            row(&[&[3, 4], &[3, 4]], Positive, |v| v[0] / v[1]),
            row(&[&[3, 4], &[4]], Positive, |v| v[0] / v[1]),
            row(&[&[3, 1], &[1, 4]], Positive, |v| v[0] / v[1]),
        ],
        OpKind::Maximum => binary(|v| v[0].maximum(v[1]), Distinct),
        OpKind::Minimum => binary(|v| v[0].minimum(v[1]), Distinct),
        OpKind::AddScalar => unary(|v| v[0] + 1.5, Any),
        OpKind::MulScalar => unary(|v| v[0] * -2.5, Any),
        OpKind::Neg => unary(|v| -v[0], Any),
        OpKind::PowScalar => vec![
            row(&[&[3, 4]], Positive, |v| v[0].powf(2.5)),
            row(&[&[3, 4]], Any, |v| v[0].powi(3)),
            row(&[&[4]], Positive, |v| 2.0 / v[0]),
        ],
        OpKind::Exp => unary(|v| v[0].exp(), Any),
        OpKind::Ln => unary(|v| v[0].ln(), Positive),
        OpKind::Sqrt => unary(|v| v[0].sqrt(), Positive),
        OpKind::Abs => unary(|v| v[0].abs(), AwayFromZero),
        OpKind::Erf => unary(|v| v[0].erf(), Any),
        OpKind::Sin => unary(|v| v[0].sin(), Any),
        OpKind::Cos => unary(|v| v[0].cos(), Any),
        OpKind::Log1p => unary(|v| v[0].log1p(), Positive),
        OpKind::Expm1 => unary(|v| v[0].expm1(), Any),
        OpKind::Pow => vec![
            row(&[&[3, 4], &[3, 4]], Positive, |v| v[0].pow(v[1])),
            row(&[&[3, 4], &[4]], Positive, |v| v[0].pow(v[1])),
            row(&[&[3, 1], &[1, 4]], Positive, |v| v[0].pow(v[1])),
        ],
        OpKind::BinaryCrossEntropy => vec![row(&[&[2, 3]], Any, |v| {
            let y = Tensor::from([[0.0, 1.0, 0.3], [1.0, 0.0, 0.7]]);
            v[0].sigmoid().binary_cross_entropy(&y)
        })],
        OpKind::Relu => unary(|v| v[0].relu(), AwayFromZero),
        OpKind::LeakyRelu => unary(|v| v[0].leaky_relu(0.1), AwayFromZero),
        OpKind::Elu => unary(|v| v[0].elu(1.3), AwayFromZero),
        OpKind::Gelu => unary(|v| v[0].gelu(), Any),
        OpKind::GeluTanh => unary(|v| v[0].gelu_tanh(), Any),
        OpKind::Softplus => unary(|v| v[0].softplus(), Any),
        OpKind::Sigmoid => unary(|v| v[0].sigmoid(), Any),
        OpKind::Tanh => unary(|v| v[0].tanh(), Any),
        OpKind::Softmax => vec![
            row(&[&[3, 4]], Any, |v| v[0].softmax(-1)),
            row(&[&[3, 4]], Any, |v| v[0].softmax(0)),
        ],
        OpKind::LogSoftmax => vec![
            row(&[&[3, 4]], Any, |v| v[0].log_softmax(1)),
            row(&[&[2, 3, 2]], Any, |v| v[0].log_softmax(1)),
        ],
        OpKind::Clamp => unary(|v| v[0].clamp(-1.0, 1.0), AwayFromZero),
        OpKind::Sum => vec![
            row(&[&[3, 4]], Any, |v| v[0].sum(0, false)),
            row(&[&[2, 3, 4]], Any, |v| v[0].sum_axes(&[0, 2], true)),
            row(&[&[2, 3]], Any, |v| v[0].sum_all()),
            row(&[&[2, 3]], Any, |v| v[0].mean(1, false)),
            row(&[&[2, 5]], Any, |v| v[0].var(1, 1, true)),
            row(&[&[6]], Any, |v| v[0].var_all(0)),
        ],
        OpKind::Max => vec![
            row(&[&[3, 4]], Distinct, |v| v[0].max(1, false)),
            row(&[&[3, 4]], Distinct, |v| v[0].max(0, true)),
            row(&[&[5]], Distinct, |v| v[0].max_all()),
        ],
        OpKind::MatMul => vec![
            row(&[&[3, 4], &[4, 2]], Any, |v| v[0].matmul(v[1])),
            row(&[&[2, 3, 4], &[4, 5]], Any, |v| v[0].matmul(v[1])),
            row(&[&[2, 1, 3, 4], &[3, 4, 2]], Any, |v| v[0].matmul(v[1])),
            row(&[&[4], &[4, 3]], Any, |v| v[0].matmul(v[1])),
            row(&[&[3, 4], &[4]], Any, |v| v[0].matmul(v[1])),
            row(&[&[3, 4], &[2, 4]], Any, |v| v[0].matmul(v[1].t())),
        ],
        OpKind::Linear => vec![
            row(&[&[3, 4], &[2, 4], &[2]], Any, |v| {
                v[0].linear(v[1], Some(v[2]))
            }),
            row(&[&[2, 3, 4], &[5, 4]], Any, |v| v[0].linear(v[1], None)),
            row(&[&[4], &[3, 4], &[3]], Any, |v| {
                v[0].linear(v[1], Some(v[2]))
            }),
            // Non-contiguous input and weight (transposed views).
            row(&[&[4, 3], &[4, 2], &[2]], Any, |v| {
                v[0].t().linear(v[1].t(), Some(v[2]))
            }),
            // Leading axes that do not merge into rows without a copy.
            row(&[&[3, 2, 4], &[5, 4], &[5]], Any, |v| {
                v[0].transpose(0, 1).linear(v[1], Some(v[2]))
            }),
            // A broadcast (stride-0) input.
            row(&[&[1, 4], &[2, 4], &[2]], Any, |v| {
                v[0].broadcast_to(&[3, 4]).linear(v[1], Some(v[2]))
            }),
            // PyTorch's 1-D weight `[in]` (output axis dropped) with a 0-D bias.
            row(&[&[3, 4], &[4], &[]], Any, |v| {
                v[0].linear(v[1], Some(v[2])).tanh()
            }),
        ],
        OpKind::Transpose => vec![
            row(&[&[3, 4]], Any, |v| v[0].t().tanh()),
            row(&[&[2, 3, 4]], Any, |v| v[0].transpose(0, 2).tanh()),
        ],
        OpKind::Permute => vec![row(&[&[2, 3, 4]], Any, |v| v[0].permute(&[2, 0, 1]))],
        OpKind::Reshape => vec![row(&[&[2, 6]], Any, |v| v[0].reshape(&[3, -1]).sin_like())],
        OpKind::Expand => vec![
            row(&[&[1, 4]], Any, |v| v[0].broadcast_to(&[3, 4]).tanh()),
            row(&[&[3, 1]], Any, |v| v[0].broadcast_to(&[2, 3, 4]).sigmoid()),
        ],
        OpKind::Unsqueeze => unary(|v| v[0].unsqueeze(1).tanh(), Any),
        OpKind::Squeeze => vec![row(&[&[3, 1, 2]], Any, |v| v[0].squeeze(1).tanh())],
        OpKind::Narrow => vec![row(&[&[3, 5]], Any, |v| v[0].narrow(1, 1, 3).tanh())],
        OpKind::Pad => vec![row(&[&[3, 2]], Any, |v| v[0].pad(1, 1, 4).exp())],
        OpKind::Concat => vec![
            row(&[&[2, 3], &[1, 3]], Any, |v| {
                Var::concat(&[v[0], v[1]], 0).tanh()
            }),
            row(&[&[2, 3], &[2, 3]], Any, |v| {
                Var::stack(&[v[0], v[1]], 2).tanh()
            }),
        ],
        OpKind::IndexSelect => vec![row(&[&[4, 3]], Any, |v| {
            v[0].index_select(0, &[3, 1, 3]).tanh()
        })],
        OpKind::IndexAdd => vec![row(&[&[3, 2]], Any, |v| {
            v[0].index_add(0, &[2, 0, 2], 4).exp()
        })],
        OpKind::Gather => vec![row(&[&[3, 4]], Any, |v| {
            v[0].gather(1, &Tensor::from([[1.0], [3.0], [0.0]])).exp()
        })],
        OpKind::ScatterAdd => vec![row(&[&[3, 1]], Any, |v| {
            v[0].scatter_add(1, &Tensor::from([[1.0], [3.0], [1.0]]), &[3, 4])
                .exp()
        })],
        OpKind::Where => vec![row(&[&[2, 3], &[2, 3]], Any, |v| {
            Var::where_(
                &Tensor::from([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
                v[0],
                v[1],
            )
            .tanh()
        })],
        OpKind::Conv2d => vec![
            row(&[&[2, 3, 5, 4], &[4, 3, 3, 2]], Any, |v| {
                v[0].conv2d(v[1], P::default().padding(1)).tanh()
            }),
            row(&[&[1, 2, 7, 6], &[3, 2, 3, 3]], Any, |v| {
                v[0].conv2d(v[1], P::default().stride(2).padding(1)).tanh()
            }),
            row(&[&[1, 2, 7, 6], &[2, 2, 2, 3]], Any, |v| {
                let mut p = P::default().dilation(2);
                p.padding = [1, 2];
                p.stride = [1, 2];
                v[0].conv2d(v[1], p).tanh()
            }),
            row(&[&[2, 4, 5, 5], &[4, 2, 3, 3]], Any, |v| {
                v[0].conv2d(v[1], P::default().groups(2).padding(1)).tanh()
            }),
            row(&[&[1, 3, 4, 5], &[3, 1, 3, 3]], Any, |v| {
                v[0].conv2d(v[1], P::default().groups(3).padding(1)).tanh()
            }),
            row(&[&[2, 3, 3, 4], &[2, 3, 1, 1]], Any, |v| {
                v[0].conv2d(v[1], P::default()).tanh()
            }),
            row(&[&[2, 3, 7], &[4, 3, 3]], Any, |v| {
                v[0].conv1d(v[1], 2, 1, 1, 1).tanh()
            }),
        ],
        OpKind::ConvTranspose2d => vec![
            row(&[&[2, 4, 3, 2], &[4, 3, 3, 3]], Any, |v| {
                v[0].conv_transpose2d(v[1], P::default().stride(2).padding(1), [6, 4])
                    .tanh()
            }),
            row(&[&[1, 4, 4, 4], &[4, 1, 3, 3]], Any, |v| {
                v[0].conv_transpose2d(v[1], P::default().groups(2).padding(1), [4, 4])
                    .tanh()
            }),
        ],
        OpKind::Conv2dWeight => vec![
            row(&[&[2, 3, 5, 4], &[2, 2, 3, 2]], Any, |v| {
                v[0].conv2d_weight(v[1], P::default(), [3, 3]).tanh()
            }),
            row(&[&[1, 2, 7, 6], &[1, 4, 4, 3]], Any, |v| {
                v[0].conv2d_weight(v[1], P::default().stride(2).padding(1).groups(2), [3, 3])
                    .tanh()
            }),
        ],
        OpKind::MaxPool2d => vec![
            row(&[&[2, 2, 5, 6]], Distinct, |v| {
                v[0].max_pool2d(Pool2d::new(2)).tanh()
            }),
            row(&[&[1, 2, 7, 5]], Distinct, |v| {
                v[0].max_pool2d(Pool2d::new(3).stride(2).padding(1)).tanh()
            }),
            row(&[&[1, 1, 4, 5]], Distinct, |v| {
                v[0].max_pool2d(Pool2d::new(2).stride(1)).tanh()
            }),
        ],
        OpKind::MaxUnpool2d => vec![row(&[&[1, 2, 2, 3]], Any, |v| {
            let idx = [
                0.0, 7.0, 7.0, 19.0, 3.0, 12.0, 1.0, 1.0, 2.0, 18.0, 5.0, 0.0,
            ];
            let idx = Tensor::from_vec(idx.to_vec(), &[1, 2, 2, 3]).unwrap();
            v[0].max_unpool2d(&idx, [4, 5]).tanh()
        })],
        OpKind::AvgPool2d => vec![
            row(&[&[2, 2, 5, 6]], Any, |v| {
                v[0].avg_pool2d(Pool2d::new(2)).tanh()
            }),
            row(&[&[1, 2, 7, 5]], Any, |v| {
                v[0].avg_pool2d(Pool2d::new(3).stride(2).padding(1)).tanh()
            }),
            row(&[&[2, 3, 7, 5]], Any, |v| {
                v[0].adaptive_avg_pool2d([3, 2]).tanh()
            }),
            row(&[&[1, 2, 5, 4]], Any, |v| {
                v[0].adaptive_avg_pool2d([1, 1]).tanh()
            }),
        ],
        OpKind::AvgPool2dAdjoint => vec![
            row(&[&[1, 2, 3, 3]], Any, |v| {
                let pool = AvgPool::Window(Pool2d::new(3).stride(2).padding(1));
                v[0].avg_pool_adjoint(pool, [5, 6]).tanh()
            }),
            row(&[&[1, 2, 3, 2]], Any, |v| {
                v[0].avg_pool_adjoint(AvgPool::Adaptive([3, 2]), [7, 5])
                    .tanh()
            }),
        ],
        // Odd sizes, a batch of one, gates given transposed (a strided view) and a state
        // broadcast from one row; hidden 37 runs the kernels' 16-wide chunks and a tail.
        OpKind::LstmCell => vec![
            row(&[&[3, 12], &[3, 3]], Any, |v| v[0].lstm_cell(v[1])),
            row(&[&[2, 148], &[2, 37]], Any, |v| v[0].lstm_cell(v[1])),
            row(&[&[1, 20], &[1, 5]], Any, |v| v[0].lstm_cell(v[1])),
            row(&[&[8, 3], &[3, 2]], Any, |v| v[0].t().lstm_cell(v[1])),
            row(&[&[2, 8], &[1, 2]], Any, |v| {
                v[0].lstm_cell(v[1].broadcast_to(&[2, 2]))
            }),
        ],
        // Three steps forward and reversed, one step with hidden 3, and the projections
        // given as a permuted (strided) view of a batch-first tensor.
        OpKind::LstmSequence => vec![
            row(&[&[3, 2, 8], &[8, 2], &[2, 2], &[2, 2]], Any, |v| {
                v[0].lstm_sequence(v[1], v[2], v[3], false)
            }),
            row(&[&[3, 2, 8], &[8, 2], &[2, 2], &[2, 2]], Any, |v| {
                v[0].lstm_sequence(v[1], v[2], v[3], true)
            }),
            row(&[&[1, 1, 12], &[12, 3], &[1, 3], &[1, 3]], Any, |v| {
                v[0].lstm_sequence(v[1], v[2], v[3], false)
            }),
            row(&[&[2, 4, 4], &[4, 1], &[2, 1], &[2, 1]], Any, |v| {
                v[0].permute(&[1, 0, 2])
                    .lstm_sequence(v[1], v[2], v[3], true)
            }),
        ],
        OpKind::GruCell => vec![
            row(&[&[3, 9], &[3, 9], &[3, 3]], Any, |v| {
                v[0].gru_cell(v[1], v[2])
            }),
            row(&[&[2, 111], &[2, 111], &[2, 37]], Any, |v| {
                v[0].gru_cell(v[1], v[2])
            }),
            row(&[&[1, 15], &[1, 15], &[1, 5]], Any, |v| {
                v[0].gru_cell(v[1], v[2])
            }),
            row(&[&[6, 2], &[2, 6], &[1, 2]], Any, |v| {
                v[0].t().gru_cell(v[1], v[2].broadcast_to(&[2, 2]))
            }),
        ],
        OpKind::Custom => unary(|v| v[0].tape().apply(Softplus, &[v[0]]), Any),
    }
}

/// A unary op on a matrix, on a vector, and on a broadcast row.
pub(crate) fn unary(f: Function, domain: Domain) -> Vec<Row> {
    vec![
        row(&[&[3, 4]], domain, f),
        row(&[&[5]], domain, f),
        row(&[&[2, 3, 1]], domain, f),
    ]
}

/// A binary op on equal shapes and on shapes that broadcast both ways.
pub(crate) fn binary(f: Function, domain: Domain) -> Vec<Row> {
    vec![
        row(&[&[3, 4], &[3, 4]], domain, f),
        row(&[&[3, 4], &[4]], domain, f),
        row(&[&[3, 1], &[1, 4]], domain, f),
        row(&[&[2, 3, 4], &[3, 1]], domain, f),
    ]
}

/// The row's function records at least one node of `kind` (so the row tests that op).
pub(crate) fn assert_records(kind: OpKind, r: usize, case: &Row, rng: &mut StdRng) {
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = case
        .shapes
        .iter()
        .map(|s| tape.var(draw(s, case.domain, rng)))
        .collect();
    let _ = (case.f)(&vars);
    assert!(
        (0..tape.len()).any(|i| tape.node(i).op.kind() == kind),
        "{kind:?} row {r} records no {kind:?} node"
    );
}

pub(crate) fn draw(shape: &[usize], domain: Domain, rng: &mut StdRng) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    let data: Vec<f64> = match domain {
        Domain::Any => (0..n).map(|_| rng.random_range(-2.0..2.0)).collect(),
        Domain::Positive => (0..n).map(|_| rng.random_range(0.5..2.0)).collect(),
        Domain::AwayFromZero => (0..n)
            .map(|_| {
                let m = rng.random_range(0.2..2.0);
                if rng.random::<bool>() {
                    m
                } else {
                    -m
                }
            })
            .collect(),
        Domain::Distinct => {
            // A shuffled grid with spacing 0.05 plus a tiny jitter: no two values tie.
            let mut v: Vec<f64> = (0..n)
                .map(|i| -1.0 + 0.05 * i as f64 + rng.random_range(0.0..0.01))
                .collect();
            for i in (1..n).rev() {
                v.swap(i, rng.random_range(0..=i));
            }
            v
        }
    };
    Tensor::from_vec(data, shape).unwrap()
}

/// The same values as a real non-contiguous view: every other element along the last
/// axis longer than 1 of a tensor twice as long there, whose other half holds 99.0 (an op
/// that ignores strides reads those). Only tensors with at most one element stay
/// contiguous.
pub(crate) fn non_contiguous(t: &Tensor<f64>) -> Tensor<f64> {
    let shape = t.shape().to_vec();
    let Some(axis) = shape.iter().rposition(|&d| d > 1) else {
        return t.clone();
    };
    let mut doubled_shape = shape.clone();
    doubled_shape[axis] *= 2;
    let mut big = Tensor::<f64>::full(&doubled_shape, 99.0);
    let values = t.contiguous().to_vec();
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let d = shape[axis];
    let data = big.as_mut_slice();
    for o in 0..outer {
        for i in 0..d {
            for k in 0..inner {
                data[(o * 2 * d + 2 * i) * inner + k] = values[(o * d + i) * inner + k];
            }
        }
    }
    let view = big.slice(axis as isize, 0, 2 * d, 2);
    assert!(!view.is_contiguous(), "{shape:?} gave a contiguous view");
    assert_eq!(view.shape(), t.shape());
    assert_eq!(view.to_vec(), t.to_vec());
    view
}

/// The same shape as a broadcast view (stride 0 along the first axis longer than 1) of
/// its first slice along that axis, or `None` when nothing can be broadcast.
pub(crate) fn broadcast_view(t: &Tensor<f64>) -> Option<Tensor<f64>> {
    let axis = t.shape().iter().position(|&d| d > 1)?;
    let view = t
        .narrow(axis as isize, 0, 1)
        .contiguous()
        .broadcast_to(t.shape());
    assert!(!view.is_contiguous());
    Some(view)
}

/// A test-only helper so that reshape rows end in a smooth, non-linear function.
pub(crate) trait SinLike<'t> {
    fn sin_like(self) -> Var<'t, f64>;
}

impl<'t> SinLike<'t> for Var<'t, f64> {
    fn sin_like(self) -> Var<'t, f64> {
        self.tanh() * 2.0
    }
}
