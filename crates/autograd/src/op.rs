//! `Op`: what produced a node. Plain data (axes, scalars, shapes), never tensors: the
//! values a backward rule needs are the node's inputs and output, which the tape keeps.
//!
//! Binary elementwise ops always see inputs of equal shape: broadcasting is recorded as
//! its own [`Op::Expand`] node, so only that node's rule reduces (with `sum_to`).

use smallvec::SmallVec;

pub use crate::op_kind::OpKind;
use tensor::{AvgPool, Conv2dParams, Pool2d};

/// Identifies a persistent parameter across tapes (see [`crate::Param`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub(crate) u64);

impl ParamId {
    /// The raw id number (unique in this process).
    #[must_use]
    pub fn get(self) -> u64 {
        self.0
    }
}

/// A short list of axes or lengths.
pub type Axes = SmallVec<[usize; 4]>;

/// One recorded operation. Scalars are stored as `f64` whatever the element type.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A leaf that needs a gradient (`tape.var`).
    Leaf,
    /// A value that needs no gradient (`tape.constant`, `detach`, anything recorded under
    /// `no_grad`).
    Constant,
    /// A persistent parameter bound to this tape (`tape.param`).
    Param(ParamId),

    /// `a + b` (equal shapes).
    Add,
    /// `a - b` (equal shapes).
    Sub,
    /// `a * b` elementwise (equal shapes).
    Mul,
    /// `a / b` elementwise (equal shapes).
    Div,
    /// Elementwise maximum; ties split the gradient evenly.
    Maximum,
    /// Elementwise minimum; ties split the gradient evenly.
    Minimum,
    /// `x + s`.
    AddScalar(f64),
    /// `x · s`.
    MulScalar(f64),
    /// `-x`.
    Neg,
    /// `x^p` for a constant real `p`.
    PowScalar(f64),
    /// `e^x`.
    Exp,
    /// `ln x`.
    Ln,
    /// `√x`.
    Sqrt,
    /// `|x|`.
    Abs,
    /// The error function.
    Erf,
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `ln(1 + x)`, precise near 0.
    Log1p,
    /// `e^x − 1`, precise near 0.
    Expm1,
    /// `a^b` elementwise with a tensor exponent (input 1).
    Pow,
    /// Binary cross-entropy on probabilities, elementwise and fused (PyTorch's
    /// `binary_cross_entropy(reduction="none")`): `−(y·ln p + (1 − y)·ln(1 − p))`, each
    /// log clamped at −100, a zero-weight term dropped; the target (input 1) is a constant.
    BinaryCrossEntropy,
    /// `max(x, 0)`.
    Relu,
    /// `x` if positive, else `slope · x`.
    LeakyRelu(f64),
    /// `x` if positive, else `alpha · (e^x − 1)`.
    Elu(f64),
    /// `x · Φ(x)` with the exact normal CDF.
    Gelu,
    /// GELU's tanh approximation `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
    GeluTanh,
    /// `ln(1 + e^x)`, computed stably.
    Softplus,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// Softmax along an axis.
    Softmax(usize),
    /// Log-softmax along an axis.
    LogSoftmax(usize),
    /// Clamp into `[min, max]`; gradient 1 inside (bounds included), 0 outside.
    Clamp(f64, f64),

    /// Sum over axes; `keepdim` keeps them with length 1.
    Sum {
        /// The summed axes.
        axes: Axes,
        /// Whether they are kept with length 1.
        keepdim: bool,
    },
    /// Maximum along one axis; ties split the gradient evenly.
    Max {
        /// The reduced axis.
        axis: usize,
        /// Whether it is kept with length 1.
        keepdim: bool,
    },
    /// Matrix product of two operands with at least 2 axes (batch axes broadcast).
    MatMul,
    /// The affine map of a fully connected layer, `x·Wᵀ + b` over the last axis
    /// (PyTorch's `linear`): inputs `x [*, in]`, `W [out, in]` and, if there is one,
    /// `b [out]`.
    Linear,

    /// Swap two axes.
    Transpose(usize, usize),
    /// Reorder axes.
    Permute(Axes),
    /// New shape, same elements in row-major order.
    Reshape,
    /// Broadcast to the output's shape (the only op whose rule reduces).
    Expand,
    /// Insert an axis of length 1.
    Unsqueeze(usize),
    /// Remove an axis of length 1.
    Squeeze(usize),
    /// Keep `len` entries of `axis` from `start`.
    Narrow {
        /// The axis.
        axis: usize,
        /// The first entry kept.
        start: usize,
        /// How many entries are kept.
        len: usize,
    },
    /// Zero-pad along `axis` so that the input sits at `start` in a length of `len`
    /// (the adjoint of `Narrow`).
    Pad {
        /// The axis.
        axis: usize,
        /// Where the input starts in the output.
        start: usize,
        /// The output's length along `axis`.
        len: usize,
    },
    /// Join inputs along an axis.
    Concat(usize),
    /// Pick entries along an axis.
    IndexSelect {
        /// The axis.
        axis: usize,
        /// The picked positions, in output order.
        indices: Vec<usize>,
    },
    /// Sum entries into positions along an axis of length `len` (the adjoint of
    /// `IndexSelect`).
    IndexAdd {
        /// The axis.
        axis: usize,
        /// The target position of each input entry.
        indices: Vec<usize>,
        /// The output's length along `axis`.
        len: usize,
    },
    /// `x.gather(axis, index)`; the index is input 1, a constant.
    Gather(usize),
    /// Sum `src` into a zero tensor of the output's shape at `index` along an axis (the
    /// adjoint of `Gather`); the index is input 1, a constant.
    ScatterAdd(usize),
    /// `where(mask, a, b)`; the mask is input 0, a constant.
    Where,

    /// 2-D convolution of input 0 (`[N, C, H, W]`) by the weight, input 1
    /// (`[O, C/groups, kh, kw]`); see [`tensor::Tensor::conv2d`]. Its gradients are the
    /// two ops below, and each of the three is the gradient of the others.
    Conv2d(Conv2dParams),
    /// Transposed convolution of input 0 (`[N, O, oh, ow]`) by the weight, input 1, back
    /// to `[N, C, output_size]`: the input gradient of [`Op::Conv2d`].
    ConvTranspose2d {
        /// The forward convolution's parameters.
        params: Conv2dParams,
        /// `[H, W]` of the result.
        output_size: [usize; 2],
    },
    /// The weight gradient of [`Op::Conv2d`]: input 0 is the convolution's input, input 1
    /// the gradient of its output; the result is `[O, C/groups, kernel_size]`.
    Conv2dWeight {
        /// The forward convolution's parameters.
        params: Conv2dParams,
        /// `[kh, kw]` of the result.
        kernel_size: [usize; 2],
    },
    /// Max pooling over `[N, C, H, W]`; input 1 (a constant) holds each maximum's position
    /// in its plane, and the gradient goes there (the first maximum of each window).
    MaxPool2d(Pool2d),
    /// Sums input 0 into `[N, C, output_size]` at the plane positions in input 1 (a
    /// constant): the gradient of [`Op::MaxPool2d`].
    MaxUnpool2d {
        /// `[H, W]` of the result.
        output_size: [usize; 2],
    },
    /// Average pooling (fixed windows or adaptive) over `[N, C, H, W]`.
    AvgPool2d(AvgPool),
    /// The adjoint of [`Op::AvgPool2d`] (its gradient), back to `[N, C, input_size]`.
    AvgPool2dAdjoint {
        /// The pooling it is the adjoint of.
        pool: AvgPool,
        /// `[H, W]` of the result.
        input_size: [usize; 2],
    },

    /// One fused LSTM cell step: input 0 the gate pre-activations `[a_i, a_f, a_g, a_o]`
    /// (`[N, 4H]`), input 1 the cell state `c_prev` (`[N, H]`); the output is `[h | c]`
    /// (`[N, 2H]`). See [`tensor::Tensor::lstm_cell`].
    LstmCell,
    /// One fused GRU cell step: input 0 `x·W_ihᵀ + b_ih`, input 1 `h·W_hhᵀ + b_hh` (both
    /// `[N, 3H]`, blocks `r, z, n`), input 2 `h_prev` (`[N, H]`); the output is `h'`
    /// (`[N, H]`). See [`tensor::Tensor::gru_cell`].
    GruCell,
    /// One direction of an LSTM layer over a whole sequence: input 0 the input
    /// projections `x_t·W_ihᵀ + b_ih + b_hh` (`[T, N, 4H]`), input 1 `W_hh` (`[4H, H]`),
    /// inputs 2 and 3 the initial `h0`, `c0` (`[N, H]`); the output stacks every step's
    /// `[h_t | c_t]` (`[T, N, 2H]`), the steps visited last to first if `reverse`. See
    /// [`tensor::Tensor::lstm_sequence`].
    LstmSequence {
        /// The backward direction of a bidirectional layer.
        reverse: bool,
    },

    /// A user-defined op; the number indexes the tape's list of custom ops.
    Custom(usize),
}

impl Op {
    /// The op's kind (its variant without data).
    #[must_use]
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Leaf => OpKind::Leaf,
            Op::Constant => OpKind::Constant,
            Op::Param(..) => OpKind::Param,
            Op::Add => OpKind::Add,
            Op::Sub => OpKind::Sub,
            Op::Mul => OpKind::Mul,
            Op::Div => OpKind::Div,
            Op::Maximum => OpKind::Maximum,
            Op::Minimum => OpKind::Minimum,
            Op::AddScalar(..) => OpKind::AddScalar,
            Op::MulScalar(..) => OpKind::MulScalar,
            Op::Neg => OpKind::Neg,
            Op::PowScalar(..) => OpKind::PowScalar,
            Op::Exp => OpKind::Exp,
            Op::Ln => OpKind::Ln,
            Op::Sqrt => OpKind::Sqrt,
            Op::Abs => OpKind::Abs,
            Op::Erf => OpKind::Erf,
            Op::Sin => OpKind::Sin,
            Op::Cos => OpKind::Cos,
            Op::Log1p => OpKind::Log1p,
            Op::Expm1 => OpKind::Expm1,
            Op::Pow => OpKind::Pow,
            Op::BinaryCrossEntropy => OpKind::BinaryCrossEntropy,
            Op::Relu => OpKind::Relu,
            Op::LeakyRelu(..) => OpKind::LeakyRelu,
            Op::Elu(..) => OpKind::Elu,
            Op::Gelu => OpKind::Gelu,
            Op::GeluTanh => OpKind::GeluTanh,
            Op::Softplus => OpKind::Softplus,
            Op::Sigmoid => OpKind::Sigmoid,
            Op::Tanh => OpKind::Tanh,
            Op::Softmax(..) => OpKind::Softmax,
            Op::LogSoftmax(..) => OpKind::LogSoftmax,
            Op::Clamp(..) => OpKind::Clamp,
            Op::Sum { .. } => OpKind::Sum,
            Op::Max { .. } => OpKind::Max,
            Op::MatMul => OpKind::MatMul,
            Op::Linear => OpKind::Linear,
            Op::Transpose(..) => OpKind::Transpose,
            Op::Permute(..) => OpKind::Permute,
            Op::Reshape => OpKind::Reshape,
            Op::Expand => OpKind::Expand,
            Op::Unsqueeze(..) => OpKind::Unsqueeze,
            Op::Squeeze(..) => OpKind::Squeeze,
            Op::Narrow { .. } => OpKind::Narrow,
            Op::Pad { .. } => OpKind::Pad,
            Op::Concat(..) => OpKind::Concat,
            Op::IndexSelect { .. } => OpKind::IndexSelect,
            Op::IndexAdd { .. } => OpKind::IndexAdd,
            Op::Gather(..) => OpKind::Gather,
            Op::ScatterAdd(..) => OpKind::ScatterAdd,
            Op::Where => OpKind::Where,
            Op::Conv2d(..) => OpKind::Conv2d,
            Op::ConvTranspose2d { .. } => OpKind::ConvTranspose2d,
            Op::Conv2dWeight { .. } => OpKind::Conv2dWeight,
            Op::MaxPool2d(..) => OpKind::MaxPool2d,
            Op::MaxUnpool2d { .. } => OpKind::MaxUnpool2d,
            Op::AvgPool2d(..) => OpKind::AvgPool2d,
            Op::AvgPool2dAdjoint { .. } => OpKind::AvgPool2dAdjoint,
            Op::LstmCell => OpKind::LstmCell,
            Op::LstmSequence { .. } => OpKind::LstmSequence,
            Op::GruCell => OpKind::GruCell,
            Op::Custom(..) => OpKind::Custom,
        }
    }

    /// A short name, as printed in the Wengert list.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Op::Leaf => "var".into(),
            Op::Constant => "const".into(),
            Op::Param(id) => format!("param#{}", id.0),
            Op::Add => "add".into(),
            Op::Sub => "sub".into(),
            Op::Mul => "mul".into(),
            Op::Div => "div".into(),
            Op::Maximum => "maximum".into(),
            Op::Minimum => "minimum".into(),
            Op::AddScalar(s) => format!("add {s}"),
            Op::MulScalar(s) => format!("mul {s}"),
            Op::Neg => "neg".into(),
            Op::PowScalar(p) => format!("pow exponent={p}"),
            Op::Exp => "exp".into(),
            Op::Ln => "ln".into(),
            Op::Sqrt => "sqrt".into(),
            Op::Abs => "abs".into(),
            Op::Erf => "erf".into(),
            Op::Sin => "sin".into(),
            Op::Cos => "cos".into(),
            Op::Log1p => "log1p".into(),
            Op::Expm1 => "expm1".into(),
            Op::Pow => "pow".into(),
            Op::BinaryCrossEntropy => "binary_cross_entropy".into(),
            Op::Relu => "relu".into(),
            Op::LeakyRelu(s) => format!("leaky_relu {s}"),
            Op::Elu(a) => format!("elu {a}"),
            Op::Gelu => "gelu".into(),
            Op::GeluTanh => "gelu_tanh".into(),
            Op::Softplus => "softplus".into(),
            Op::Sigmoid => "sigmoid".into(),
            Op::Tanh => "tanh".into(),
            Op::Softmax(a) => format!("softmax axis={a}"),
            Op::LogSoftmax(a) => format!("log_softmax axis={a}"),
            Op::Clamp(lo, hi) => format!("clamp [{lo}, {hi}]"),
            Op::Sum { axes, keepdim } => format!("sum axes={axes:?} keepdim={keepdim}"),
            Op::Max { axis, keepdim } => format!("max axis={axis} keepdim={keepdim}"),
            Op::MatMul => "matmul".into(),
            Op::Linear => "linear".into(),
            Op::Transpose(a, b) => format!("transpose {a} {b}"),
            Op::Permute(p) => format!("permute {p:?}"),
            Op::Reshape => "reshape".into(),
            Op::Expand => "expand".into(),
            Op::Unsqueeze(a) => format!("unsqueeze {a}"),
            Op::Squeeze(a) => format!("squeeze {a}"),
            Op::Narrow { axis, start, len } => {
                format!("narrow axis={axis} {start}..{}", start + len)
            }
            Op::Pad { axis, start, len } => format!("pad axis={axis} at {start} to {len}"),
            Op::Concat(a) => format!("concat axis={a}"),
            Op::IndexSelect { axis, indices } => {
                format!("index_select axis={axis} n={}", indices.len())
            }
            Op::IndexAdd { axis, len, .. } => format!("index_add axis={axis} len={len}"),
            Op::Gather(a) => format!("gather axis={a}"),
            Op::ScatterAdd(a) => format!("scatter_add axis={a}"),
            Op::Where => "where".into(),
            Op::Conv2d(p) => format!("conv2d {}", conv_name(p)),
            Op::ConvTranspose2d {
                params,
                output_size,
            } => format!("conv_transpose2d {} to {output_size:?}", conv_name(params)),
            Op::Conv2dWeight {
                params,
                kernel_size,
            } => format!("conv2d_weight {} kernel {kernel_size:?}", conv_name(params)),
            Op::MaxPool2d(p) => format!("max_pool2d {}", pool_name(p)),
            Op::MaxUnpool2d { output_size } => format!("max_unpool2d to {output_size:?}"),
            Op::AvgPool2d(p) => format!("avg_pool2d {}", avg_name(p)),
            Op::AvgPool2dAdjoint { pool, input_size } => {
                format!("avg_pool2d_adjoint {} to {input_size:?}", avg_name(pool))
            }
            Op::LstmCell => "lstm_cell".into(),
            Op::LstmSequence { reverse: false } => "lstm_sequence".into(),
            Op::LstmSequence { reverse: true } => "lstm_sequence(reverse)".into(),
            Op::GruCell => "gru_cell".into(),
            Op::Custom(i) => format!("custom#{i}"),
        }
    }
}

fn conv_name(p: &Conv2dParams) -> String {
    format!(
        "stride={:?} padding={:?} dilation={:?} groups={}",
        p.stride, p.padding, p.dilation, p.groups
    )
}

fn pool_name(p: &Pool2d) -> String {
    format!(
        "kernel={:?} stride={:?} padding={:?}",
        p.kernel, p.stride, p.padding
    )
}

fn avg_name(p: &AvgPool) -> String {
    match p {
        AvgPool::Window(w) => pool_name(w),
        AvgPool::Adaptive(out) => format!("adaptive to {out:?}"),
    }
}
