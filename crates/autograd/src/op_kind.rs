//! `OpKind`: the fieldless twin of [`Op`], and `OpKind::ALL`, the list every per-op test
//! walks (tied to the enum at compile time).

#[cfg(doc)]
use crate::op::Op;

/// The kind of an [`Op`], without its data: one fieldless variant per `Op` variant, and
/// [`OpKind::ALL`] listing every one. Tests that must cover every op (gradcheck rows,
/// edge points) iterate `ALL` and match on `OpKind` without a `_` arm, so an op added to
/// the table without its tests does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpKind {
    /// [`Op::Leaf`].
    Leaf,
    /// [`Op::Constant`].
    Constant,
    /// [`Op::Param`].
    Param,
    /// [`Op::Add`].
    Add,
    /// [`Op::Sub`].
    Sub,
    /// [`Op::Mul`].
    Mul,
    /// [`Op::Div`].
    Div,
    /// [`Op::Maximum`].
    Maximum,
    /// [`Op::Minimum`].
    Minimum,
    /// [`Op::AddScalar`].
    AddScalar,
    /// [`Op::MulScalar`].
    MulScalar,
    /// [`Op::Neg`].
    Neg,
    /// [`Op::PowScalar`].
    PowScalar,
    /// [`Op::Exp`].
    Exp,
    /// [`Op::Ln`].
    Ln,
    /// [`Op::Sqrt`].
    Sqrt,
    /// [`Op::Abs`].
    Abs,
    /// [`Op::Erf`].
    Erf,
    /// [`Op::Sin`].
    Sin,
    /// [`Op::Cos`].
    Cos,
    /// [`Op::Log1p`].
    Log1p,
    /// [`Op::Expm1`].
    Expm1,
    /// [`Op::Pow`].
    Pow,
    /// [`Op::BinaryCrossEntropy`].
    BinaryCrossEntropy,
    /// [`Op::Relu`].
    Relu,
    /// [`Op::LeakyRelu`].
    LeakyRelu,
    /// [`Op::Elu`].
    Elu,
    /// [`Op::Gelu`].
    Gelu,
    /// [`Op::GeluTanh`].
    GeluTanh,
    /// [`Op::Softplus`].
    Softplus,
    /// [`Op::Sigmoid`].
    Sigmoid,
    /// [`Op::Tanh`].
    Tanh,
    /// [`Op::Softmax`].
    Softmax,
    /// [`Op::LogSoftmax`].
    LogSoftmax,
    /// [`Op::Clamp`].
    Clamp,
    /// [`Op::Sum`].
    Sum,
    /// [`Op::Max`].
    Max,
    /// [`Op::MatMul`].
    MatMul,
    /// [`Op::Linear`].
    Linear,
    /// [`Op::Transpose`].
    Transpose,
    /// [`Op::Permute`].
    Permute,
    /// [`Op::Reshape`].
    Reshape,
    /// [`Op::Expand`].
    Expand,
    /// [`Op::Unsqueeze`].
    Unsqueeze,
    /// [`Op::Squeeze`].
    Squeeze,
    /// [`Op::Narrow`].
    Narrow,
    /// [`Op::Pad`].
    Pad,
    /// [`Op::Concat`].
    Concat,
    /// [`Op::IndexSelect`].
    IndexSelect,
    /// [`Op::IndexAdd`].
    IndexAdd,
    /// [`Op::Gather`].
    Gather,
    /// [`Op::ScatterAdd`].
    ScatterAdd,
    /// [`Op::Where`].
    Where,
    /// [`Op::Conv2d`].
    Conv2d,
    /// [`Op::ConvTranspose2d`].
    ConvTranspose2d,
    /// [`Op::Conv2dWeight`].
    Conv2dWeight,
    /// [`Op::MaxPool2d`].
    MaxPool2d,
    /// [`Op::MaxUnpool2d`].
    MaxUnpool2d,
    /// [`Op::AvgPool2d`].
    AvgPool2d,
    /// [`Op::AvgPool2dAdjoint`].
    AvgPool2dAdjoint,
    /// [`Op::LstmCell`].
    LstmCell,
    /// [`Op::LstmSequence`].
    LstmSequence,
    /// [`Op::GruCell`].
    GruCell,
    /// [`Op::Custom`].
    Custom,
}

impl OpKind {
    /// Every kind, in declaration order (checked at compile time below).
    pub const ALL: [OpKind; 64] = [
        OpKind::Leaf,
        OpKind::Constant,
        OpKind::Param,
        OpKind::Add,
        OpKind::Sub,
        OpKind::Mul,
        OpKind::Div,
        OpKind::Maximum,
        OpKind::Minimum,
        OpKind::AddScalar,
        OpKind::MulScalar,
        OpKind::Neg,
        OpKind::PowScalar,
        OpKind::Exp,
        OpKind::Ln,
        OpKind::Sqrt,
        OpKind::Abs,
        OpKind::Erf,
        OpKind::Sin,
        OpKind::Cos,
        OpKind::Log1p,
        OpKind::Expm1,
        OpKind::Pow,
        OpKind::BinaryCrossEntropy,
        OpKind::Relu,
        OpKind::LeakyRelu,
        OpKind::Elu,
        OpKind::Gelu,
        OpKind::GeluTanh,
        OpKind::Softplus,
        OpKind::Sigmoid,
        OpKind::Tanh,
        OpKind::Softmax,
        OpKind::LogSoftmax,
        OpKind::Clamp,
        OpKind::Sum,
        OpKind::Max,
        OpKind::MatMul,
        OpKind::Linear,
        OpKind::Transpose,
        OpKind::Permute,
        OpKind::Reshape,
        OpKind::Expand,
        OpKind::Unsqueeze,
        OpKind::Squeeze,
        OpKind::Narrow,
        OpKind::Pad,
        OpKind::Concat,
        OpKind::IndexSelect,
        OpKind::IndexAdd,
        OpKind::Gather,
        OpKind::ScatterAdd,
        OpKind::Where,
        OpKind::Conv2d,
        OpKind::ConvTranspose2d,
        OpKind::Conv2dWeight,
        OpKind::MaxPool2d,
        OpKind::MaxUnpool2d,
        OpKind::AvgPool2d,
        OpKind::AvgPool2dAdjoint,
        OpKind::LstmCell,
        OpKind::LstmSequence,
        OpKind::GruCell,
        OpKind::Custom,
    ];
}

// `ALL[i]` is the i-th variant and the last variant is `ALL`'s last entry: a kind added
// to the enum but not to `ALL` (or listed out of order) fails to compile.
const _: () = {
    let mut i = 0;
    while i < OpKind::ALL.len() {
        assert!(OpKind::ALL[i] as usize == i, "OpKind::ALL is out of order");
        i += 1;
    }
    assert!(
        OpKind::Custom as usize + 1 == OpKind::ALL.len(),
        "OpKind::ALL misses a kind"
    );
};
