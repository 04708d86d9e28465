//! Pooling layers over `[N, C, H, W]`: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`.
//! No parameters; the window rules are PyTorch's (see [`tensor::Pool2d`]).

use autograd::Var;
use tensor::{Float, Pool2d};

use crate::module::Module;

/// Max pooling (PyTorch `nn.MaxPool2d`, `ceil_mode=False`): `[N, C, H, W] →
/// [N, C, oh, ow]` with `o = ⌊(i + 2p − k)/s⌋ + 1`; padding never wins; the gradient goes
/// to the first maximum of each window.
///
/// # Panics
/// In `forward`, if the input is not 4-D, the padding exceeds half the kernel or the
/// window does not fit.
///
/// ```
/// use autograd::Tape;
/// use nn::{MaxPool2d, Module};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::<f32>::zeros(&[2, 3, 9, 8]));
/// assert_eq!(MaxPool2d::new(2).forward(x).shape(), vec![2, 3, 4, 4]);
/// assert_eq!(MaxPool2d::new(3).stride(2).padding(1).forward(x).shape(), vec![2, 3, 5, 4]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MaxPool2d(Pool2d);

impl MaxPool2d {
    /// A `kernel × kernel` window with stride `kernel` (PyTorch's default) and no padding.
    #[must_use]
    pub fn new(kernel: usize) -> Self {
        MaxPool2d(Pool2d::new(kernel))
    }

    /// Any window (rectangular kernels, per-axis stride and padding).
    #[must_use]
    pub fn with_window(window: Pool2d) -> Self {
        MaxPool2d(window)
    }

    /// Sets the stride (both axes).
    #[must_use]
    pub fn stride(self, s: usize) -> Self {
        MaxPool2d(self.0.stride(s))
    }

    /// Sets the padding (both axes).
    #[must_use]
    pub fn padding(self, p: usize) -> Self {
        MaxPool2d(self.0.padding(p))
    }
}

impl<T: Float> Module<T> for MaxPool2d {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.max_pool2d(self.0)
    }

    fn describe(&self) -> String {
        format!("MaxPool2d({:?}, stride {:?})", self.0.kernel, self.0.stride)
    }
}

/// Average pooling (PyTorch `nn.AvgPool2d` with its defaults `count_include_pad=True`,
/// `ceil_mode=False`): each window's sum divided by `kh·kw`, padding included.
///
/// # Panics
/// As [`MaxPool2d`].
///
/// ```
/// use autograd::Tape;
/// use nn::{AvgPool2d, Module};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::<f32>::ones(&[1, 1, 4, 4]));
/// assert_eq!(AvgPool2d::new(2).forward(x).value().to_vec(), vec![1.0; 4]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AvgPool2d(Pool2d);

impl AvgPool2d {
    /// A `kernel × kernel` window with stride `kernel` and no padding.
    #[must_use]
    pub fn new(kernel: usize) -> Self {
        AvgPool2d(Pool2d::new(kernel))
    }

    /// Any window.
    #[must_use]
    pub fn with_window(window: Pool2d) -> Self {
        AvgPool2d(window)
    }

    /// Sets the stride (both axes).
    #[must_use]
    pub fn stride(self, s: usize) -> Self {
        AvgPool2d(self.0.stride(s))
    }

    /// Sets the padding (both axes).
    #[must_use]
    pub fn padding(self, p: usize) -> Self {
        AvgPool2d(self.0.padding(p))
    }
}

impl<T: Float> Module<T> for AvgPool2d {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.avg_pool2d(self.0)
    }

    fn describe(&self) -> String {
        format!("AvgPool2d({:?}, stride {:?})", self.0.kernel, self.0.stride)
    }
}

/// Adaptive average pooling (PyTorch `nn.AdaptiveAvgPool2d`): `[N, C, H, W] →
/// [N, C, oh, ow]` for any `H, W`; output `i` averages inputs `⌊i·H/oh⌋ .. ⌈(i+1)·H/oh⌉`
/// (and likewise along the width). `AdaptiveAvgPool2d::new([1, 1])` is global average
/// pooling.
///
/// # Panics
/// In `forward`, if the input is not 4-D or a size is 0.
///
/// ```
/// use autograd::Tape;
/// use nn::{AdaptiveAvgPool2d, Module};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::<f32>::ones(&[2, 5, 7, 3]));
/// assert_eq!(AdaptiveAvgPool2d::new([1, 1]).forward(x).shape(), vec![2, 5, 1, 1]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveAvgPool2d([usize; 2]);

impl AdaptiveAvgPool2d {
    /// Pooling to `[oh, ow]`.
    #[must_use]
    pub fn new(output_size: [usize; 2]) -> Self {
        AdaptiveAvgPool2d(output_size)
    }
}

impl<T: Float> Module<T> for AdaptiveAvgPool2d {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        x.adaptive_avg_pool2d(self.0)
    }

    fn describe(&self) -> String {
        format!("AdaptiveAvgPool2d({:?})", self.0)
    }
}
