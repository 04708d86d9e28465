//! `Conv1d` and `Conv2d`, with PyTorch's shapes, parameter names and initialization.

use autograd::{Param, Var};
use rand::Rng;
use tensor::{Conv2dParams, Float};

use crate::init::Init;
use crate::module::{Module, Named};

/// How a convolution pads its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// `[ph, pw]` zeros on both sides of each axis (PyTorch `padding=(ph, pw)`).
    Explicit([usize; 2]),
    /// As much as keeps the output the size of the input at stride 1 (PyTorch
    /// `padding="same"`): `d·(k − 1)` zeros per axis, half before and the rest (one more,
    /// when odd) after.
    Same,
}

/// The options of a convolution layer; build one with [`Conv2d::builder`] or
/// [`Conv1d::builder`].
#[derive(Clone, Copy, Debug)]
pub struct ConvBuilder {
    in_channels: usize,
    out_channels: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: Padding,
    dilation: [usize; 2],
    groups: usize,
    bias: bool,
}

impl ConvBuilder {
    fn new(in_channels: usize, out_channels: usize, kernel: [usize; 2]) -> Self {
        ConvBuilder {
            in_channels,
            out_channels,
            kernel,
            stride: [1, 1],
            padding: Padding::Explicit([0, 0]),
            dilation: [1, 1],
            groups: 1,
            bias: true,
        }
    }

    /// The stride (both axes; `Conv1d` uses the width).
    #[must_use]
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = [s, s];
        self
    }

    /// Explicit zero padding on both sides (both axes; `Conv1d` pads the length only).
    #[must_use]
    pub fn padding(mut self, p: usize) -> Self {
        self.padding = Padding::Explicit([p, p]);
        self
    }

    /// PyTorch's `padding="same"` (stride 1 only).
    #[must_use]
    pub fn padding_same(mut self) -> Self {
        self.padding = Padding::Same;
        self
    }

    /// The dilation (both axes).
    #[must_use]
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = [d, d];
        self
    }

    /// Channel groups (`groups = in_channels` is a depthwise convolution).
    #[must_use]
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// Whether the layer adds a bias (default `true`).
    #[must_use]
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Checks the options and draws the parameters: weight and bias from
    /// `U(−1/√fan_in, 1/√fan_in)` with `fan_in = in/groups · kh · kw`, which is PyTorch's
    /// `kaiming_uniform_(a=√5)` and its bias rule.
    #[track_caller]
    fn parameters<T: Float>(&self, weight_shape: &[usize], rng: &mut impl Rng) -> Core<T> {
        let g = self.groups;
        assert!(
            g > 0 && self.in_channels.is_multiple_of(g) && self.out_channels.is_multiple_of(g),
            "Conv: {g} groups must divide in_channels {} and out_channels {}",
            self.in_channels,
            self.out_channels
        );
        assert!(
            self.kernel
                .iter()
                .chain(&self.stride)
                .chain(&self.dilation)
                .all(|&v| v > 0),
            "Conv: kernel {:?}, stride {:?} and dilation {:?} must be positive",
            self.kernel,
            self.stride,
            self.dilation
        );
        assert!(
            self.padding != Padding::Same || self.stride == [1, 1],
            "Conv: padding \"same\" needs stride 1, got {:?} (as PyTorch)",
            self.stride
        );
        // Saturating: it only sets the initial range, and a kernel this large is refused
        // by the weight's allocation check.
        let fan_in = (self.in_channels / g)
            .saturating_mul(self.kernel[0])
            .saturating_mul(self.kernel[1]);
        let weight = Init::UniformFanIn.tensor(weight_shape, fan_in, self.out_channels, rng);
        let bias = self.bias.then(|| {
            let b = Init::UniformFanIn.tensor(&[self.out_channels], fan_in, self.out_channels, rng);
            Param::new("bias", b)
        });
        Core {
            weight: Param::new("weight", weight),
            bias,
            options: *self,
        }
    }

    /// A `Conv2d` with these options.
    #[track_caller]
    pub fn build2d<T: Float>(self, rng: &mut impl Rng) -> Conv2d<T> {
        let shape = [
            self.out_channels,
            self.in_channels / self.groups.max(1),
            self.kernel[0],
            self.kernel[1],
        ];
        Conv2d(self.parameters(&shape, rng))
    }

    /// A `Conv1d` with these options (the height options are ignored).
    #[track_caller]
    pub fn build1d<T: Float>(mut self, rng: &mut impl Rng) -> Conv1d<T> {
        self.kernel[0] = 1;
        (self.stride[0], self.dilation[0]) = (1, 1);
        if let Padding::Explicit(p) = &mut self.padding {
            p[0] = 0;
        }
        let shape = [
            self.out_channels,
            self.in_channels / self.groups.max(1),
            self.kernel[1],
        ];
        Conv1d(self.parameters(&shape, rng))
    }
}

/// What both layers hold: a weight, an optional bias and the options.
#[derive(Debug)]
struct Core<T: Float> {
    weight: Param<T>,
    bias: Option<Param<T>>,
    options: ConvBuilder,
}

impl<T: Float> Core<T> {
    /// Convolves a 4-D input by the weight viewed as `[O, C/g, kh, kw]`, then adds the bias.
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>, weight: Var<'t, T>) -> Var<'t, T> {
        let o = &self.options;
        let mut x = x;
        let padding = match o.padding {
            Padding::Explicit(p) => p,
            Padding::Same => {
                // d·(k − 1) zeros per axis: half on each side, the odd one after (as PyTorch).
                let mut p = [0; 2];
                for a in 0..2 {
                    let total = o.dilation[a] * (o.kernel[a] - 1);
                    p[a] = total / 2;
                    if !total.is_multiple_of(2) {
                        let len = x.shape()[2 + a];
                        x = x.pad(2 + a as isize, 0, len + 1);
                    }
                }
                p
            }
        };
        let params = Conv2dParams {
            stride: o.stride,
            padding,
            dilation: o.dilation,
            groups: o.groups,
        };
        let y = x.conv2d(weight, params);
        match &self.bias {
            Some(b) => y + x.tape().param(b).reshape(&[-1, 1, 1]),
            None => y,
        }
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        let mut out = vec![("weight".to_string(), &self.weight)];
        if let Some(b) = &self.bias {
            out.push(("bias".to_string(), b));
        }
        out
    }
}

/// A 2-D convolution layer (PyTorch `nn.Conv2d`): input `[N, C_in, H, W]`, output
/// `[N, C_out, oh, ow]`, `y = x ⋆ W + b` with `W` `[C_out, C_in/groups, kh, kw]` and `b`
/// `[C_out]` (state-dict names `weight`, `bias`). The output size per axis is
/// `⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1` (PyTorch docs, `torch.nn.Conv2d`).
///
/// Initialization is PyTorch's: weight and bias from `U(−1/√fan_in, 1/√fan_in)` with
/// `fan_in = C_in/groups · kh · kw`.
///
/// # Panics
/// At construction, if `groups` does not divide both channel counts, a size is 0, or
/// `padding_same` is combined with a stride above 1; in `forward`, if the input is not
/// `[N, C_in, H, W]` or is smaller than the dilated kernel.
///
/// ```
/// use autograd::Tape;
/// use nn::{Conv2d, Module};
/// use rand::SeedableRng;
/// use tensor::Tensor;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let conv = Conv2d::<f32>::new(3, 8, 3, &mut rng);
/// let strided: Conv2d = Conv2d::builder(3, 8, 3).stride(2).padding(1).build2d(&mut rng);
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::zeros(&[2, 3, 9, 7]));
/// assert_eq!(conv.forward(x).shape(), vec![2, 8, 7, 5]);
/// assert_eq!(strided.forward(x).shape(), vec![2, 8, 5, 4]);
/// assert_eq!(conv.weight().shape(), &[8, 3, 3, 3]);
/// ```
#[derive(Debug)]
pub struct Conv2d<T: Float = f32>(Core<T>);

// The builders live outside the generic impl so `Conv2d::builder(..)` needs no type
// annotation; `build2d` picks the element type.
impl Conv2d {
    /// Options for a `kernel × kernel` convolution; finish with
    /// [`ConvBuilder::build2d`]. Use [`Conv2d::builder_rect`] for a `kh × kw` kernel.
    #[must_use]
    pub fn builder(in_channels: usize, out_channels: usize, kernel: usize) -> ConvBuilder {
        ConvBuilder::new(in_channels, out_channels, [kernel, kernel])
    }

    /// Options for a rectangular `[kh, kw]` kernel.
    #[must_use]
    pub fn builder_rect(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
    ) -> ConvBuilder {
        ConvBuilder::new(in_channels, out_channels, kernel)
    }
}

impl<T: Float> Conv2d<T> {
    /// A `kernel × kernel` convolution with stride 1, no padding, one group and a bias.
    #[track_caller]
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize, rng: &mut impl Rng) -> Self {
        ConvBuilder::new(in_channels, out_channels, [kernel, kernel]).build2d(rng)
    }

    /// The weight, `[C_out, C_in/groups, kh, kw]`.
    pub fn weight(&self) -> &Param<T> {
        &self.0.weight
    }

    /// The bias, `[C_out]`, if any.
    pub fn bias(&self) -> Option<&Param<T>> {
        self.0.bias.as_ref()
    }
}

impl<T: Float> Module<T> for Conv2d<T> {
    fn output_kind(&self) -> Option<crate::loss::Prediction> {
        Some(crate::loss::Prediction::Logits)
    }

    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        Some(vec![Some(self.0.options.in_channels), None, None])
    }

    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let (s, c) = (x.shape(), self.0.options.in_channels);
        assert!(
            s.len() == 4 && s[1] == c,
            "Conv2d: expected input [N, {c}, H, W], got {s:?}"
        );
        self.0.forward(x, x.tape().param(&self.0.weight))
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        self.0.parameters()
    }

    fn describe(&self) -> String {
        let o = &self.0.options;
        format!(
            "Conv2d({} → {}, {:?})",
            o.in_channels, o.out_channels, o.kernel
        )
    }
}

/// A 1-D convolution layer (PyTorch `nn.Conv1d`): input `[N, C_in, L]`, output
/// `[N, C_out, ol]`, weight `[C_out, C_in/groups, k]`, bias `[C_out]`;
/// `ol = ⌊(L + 2p − d·(k − 1) − 1)/s⌋ + 1`. Computed as a 2-D convolution of height 1.
/// Initialization as [`Conv2d`] with `fan_in = C_in/groups · k`.
///
/// # Panics
/// As [`Conv2d`], for inputs that are not `[N, C_in, L]`.
///
/// ```
/// use autograd::Tape;
/// use nn::{Conv1d, Module};
/// use rand::SeedableRng;
/// use tensor::Tensor;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let conv = Conv1d::builder(4, 6, 5).padding_same().build1d::<f32>(&mut rng);
/// let tape = Tape::new();
/// assert_eq!(conv.forward(tape.constant(Tensor::zeros(&[2, 4, 11]))).shape(), vec![2, 6, 11]);
/// ```
#[derive(Debug)]
pub struct Conv1d<T: Float = f32>(Core<T>);

impl Conv1d {
    /// Options for a width-`kernel` convolution; finish with [`ConvBuilder::build1d`].
    #[must_use]
    pub fn builder(in_channels: usize, out_channels: usize, kernel: usize) -> ConvBuilder {
        ConvBuilder::new(in_channels, out_channels, [1, kernel])
    }
}

impl<T: Float> Conv1d<T> {
    /// A width-`kernel` convolution with stride 1, no padding, one group and a bias.
    #[track_caller]
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize, rng: &mut impl Rng) -> Self {
        ConvBuilder::new(in_channels, out_channels, [1, kernel]).build1d(rng)
    }

    /// The weight, `[C_out, C_in/groups, k]`.
    pub fn weight(&self) -> &Param<T> {
        &self.0.weight
    }

    /// The bias, `[C_out]`, if any.
    pub fn bias(&self) -> Option<&Param<T>> {
        self.0.bias.as_ref()
    }
}

impl<T: Float> Module<T> for Conv1d<T> {
    fn output_kind(&self) -> Option<crate::loss::Prediction> {
        Some(crate::loss::Prediction::Logits)
    }

    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        Some(vec![Some(self.0.options.in_channels), None])
    }

    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let (s, c) = (x.shape(), self.0.options.in_channels);
        assert!(
            s.len() == 3 && s[1] == c,
            "Conv1d: expected input [N, {c}, L], got {s:?}"
        );
        // Checked here, so that the message names Conv1d and the shape given, not the
        // 2-D convolution this is computed with.
        let o = &self.0.options;
        if let Padding::Explicit(padding) = o.padding {
            let params = Conv2dParams {
                stride: o.stride,
                padding,
                dilation: o.dilation,
                groups: o.groups,
            };
            let (k, d) = (o.kernel[1], o.dilation[1]);
            assert!(
                params.output_size([1, s[2]], [1, k]).is_ok(),
                "Conv1d: input {s:?} is shorter than the kernel: {k} taps with dilation {d}, \
                 the input has {} steps with padding {} on each side",
                s[2],
                padding[1]
            );
        }
        let w = x.tape().param(&self.0.weight).unsqueeze(2);
        self.0.forward(x.unsqueeze(2), w).squeeze(2)
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        self.0.parameters()
    }

    fn describe(&self) -> String {
        let o = &self.0.options;
        format!(
            "Conv1d({} → {}, {})",
            o.in_channels, o.out_channels, o.kernel[1]
        )
    }
}
