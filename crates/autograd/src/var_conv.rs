//! Forward ops on `Var` for convolutional networks: convolutions (and the two ops that
//! are their gradients), max pooling and average pooling. Values come from the tensor
//! kernels (`tensor/src/ops/{conv, pool}.rs`); the rules are in [`crate::backward`].

use smallvec::smallvec;
use tensor::{AvgPool, Conv2dParams, Float, Pool2d, Tensor};

use crate::op::Op;
use crate::tape::Var;

impl<'t, T: Float> Var<'t, T> {
    /// Records a node with two inputs (no broadcasting).
    fn record2(self, other: Self, op: Op, value: Tensor<T>) -> Self {
        self.tape.record(op, smallvec![self.id, other.id], value)
    }

    /// Both values (cheap clones of shared storage), after checking the tape.
    #[track_caller]
    fn values(self, other: Self, op: &str) -> (Tensor<T>, Tensor<T>) {
        self.same_tape(other, op);
        (self.value(), other.value())
    }

    /// 2-D convolution (PyTorch `conv2d` without bias): input `[N, C, H, W]`, weight
    /// `[O, C/groups, kh, kw]`, output `[N, O, oh, ow]`; see [`Tensor::conv2d`] for the
    /// formula. Add a bias `[O]` with `y + b.reshape(&[O, 1, 1])`.
    ///
    /// # Panics
    /// If the shapes do not fit, naming both (see [`Tensor::conv2d`]).
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::{Conv2dParams, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::ones(&[1, 1, 3, 3]));
    /// let w = tape.var(Tensor::<f64>::ones(&[2, 1, 2, 2]));
    /// let y = x.conv2d(w, Conv2dParams::default()); // [1, 2, 2, 2], every entry 4
    /// let grads = y.sum_all().backward();
    /// // The centre pixel is in all four windows of both output channels.
    /// assert_eq!(grads[&x].to_vec()[4], 8.0);
    /// assert_eq!(grads[&w].to_vec(), vec![4.0; 8]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn conv2d(self, weight: Self, p: Conv2dParams) -> Self {
        let (x, w) = self.values(weight, "conv2d");
        let value = x.conv2d(&w, p);
        self.record2(weight, Op::Conv2d(p), value)
    }

    /// The transposed convolution (PyTorch `conv_transpose2d` without bias, with the output
    /// size named instead of `output_padding`); see [`Tensor::conv_transpose2d`]. It is
    /// the input gradient of [`Var::conv2d`].
    ///
    /// # Panics
    /// If convolving an `output_size` image by `weight` does not give `self`'s shape.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::{Conv2dParams, Tensor};
    /// let tape = Tape::new();
    /// let g = tape.var(Tensor::<f64>::ones(&[1, 1, 2, 2]));
    /// let w = tape.constant(Tensor::ones(&[1, 1, 2, 2]));
    /// let up = g.conv_transpose2d(w, Conv2dParams::default().stride(2), [4, 4]);
    /// assert_eq!(up.value().to_vec(), vec![1.0; 16]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn conv_transpose2d(self, weight: Self, p: Conv2dParams, output_size: [usize; 2]) -> Self {
        let (g, w) = self.values(weight, "conv_transpose2d");
        let value = g.conv_transpose2d(&w, p, output_size);
        let op = Op::ConvTranspose2d {
            params: p,
            output_size,
        };
        self.record2(weight, op, value)
    }

    /// The weight gradient of a convolution of `self` whose output gradient is `grad`
    /// (PyTorch `torch.nn.grad.conv2d_weight`); see [`Tensor::conv2d_weight`].
    ///
    /// # Panics
    /// If convolving `self` by a `kernel_size` kernel does not give `grad`'s shape.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::{Conv2dParams, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::ones(&[1, 1, 3, 3]));
    /// let g = tape.constant(Tensor::ones(&[1, 1, 2, 2]));
    /// let dw = x.conv2d_weight(g, Conv2dParams::default(), [2, 2]);
    /// assert_eq!(dw.value().to_vec(), vec![4.0; 4]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn conv2d_weight(self, grad: Self, p: Conv2dParams, kernel_size: [usize; 2]) -> Self {
        let (x, g) = self.values(grad, "conv2d_weight");
        let value = x.conv2d_weight(&g, p, kernel_size);
        let op = Op::Conv2dWeight {
            params: p,
            kernel_size,
        };
        self.record2(grad, op, value)
    }

    /// 1-D convolution (PyTorch `conv1d` without bias): input `[N, C, L]`, weight
    /// `[O, C/groups, k]`, output `[N, O, ol]` with
    /// `ol = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1`. Recorded as a 2-D
    /// convolution of height 1 (`unsqueeze`, `conv2d`, `squeeze`).
    ///
    /// # Panics
    /// If the input or weight is not 3-D, or the shapes do not fit.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 4]).unwrap());
    /// let w = tape.var(Tensor::from_vec(vec![1.0, -1.0], &[1, 1, 2]).unwrap());
    /// let y = x.conv1d(w, 1, 0, 1, 1);
    /// assert_eq!(y.value().to_vec(), vec![-1.0, -1.0, -1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn conv1d(
        self,
        weight: Self,
        stride: usize,
        padding: usize,
        dilation: usize,
        groups: usize,
    ) -> Self {
        let (xs, ws) = (self.shape(), weight.shape());
        assert!(
            xs.len() == 3 && ws.len() == 3,
            "conv1d: expected input [N, C, L] and weight [out, in/groups, k], got {xs:?} and {ws:?}"
        );
        let p = Conv2dParams {
            stride: [1, stride],
            padding: [0, padding],
            dilation: [1, dilation],
            groups,
        };
        // Checked here, so that a mistake names conv1d and the shapes as given, not the
        // 2-D convolution this is computed with.
        let problem = if stride == 0 || dilation == 0 {
            Some(format!(
                "stride {stride} and dilation {dilation} must be positive"
            ))
        } else if groups == 0 || xs[1] % groups != 0 || ws[0] % groups != 0 {
            Some(format!(
                "{groups} groups must divide both the input channels and the output channels"
            ))
        } else if ws[1] != xs[1] / groups {
            Some(format!(
                "the weight expects {} input channels per group, the input has {}",
                ws[1],
                xs[1] / groups
            ))
        } else {
            p.output_size([1, xs[2]], [1, ws[2]]).is_err().then(|| {
                format!(
                    "kernel {} with dilation {dilation} does not fit the input length {} \
                         padded by {padding} (stride {stride})",
                    ws[2], xs[2]
                )
            })
        };
        if let Some(problem) = problem {
            panic!("conv1d: input {xs:?}, weight {ws:?}: {problem}");
        }
        self.unsqueeze(2).conv2d(weight.unsqueeze(2), p).squeeze(2)
    }

    /// Max pooling over `[N, C, H, W]` (PyTorch `max_pool2d`); the gradient goes to the
    /// first maximum of each window in row-major order.
    ///
    /// # Panics
    /// If the input is not 4-D or the window does not fit.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::{Pool2d, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::from_vec(vec![1.0, 3.0, 3.0, 2.0], &[1, 1, 2, 2]).unwrap());
    /// let y = x.max_pool2d(Pool2d::new(2));
    /// assert_eq!(y.value().to_vec(), vec![3.0]);
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![0.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn max_pool2d(self, p: Pool2d) -> Self {
        if !(self.tape.is_recording() && self.requires_grad()) {
            let value = self.value().max_pool2d(p);
            return self.unary(Op::MaxPool2d(p), value);
        }
        // The arg-max positions are found once, here, and kept as a constant input for the
        // backward rule (as `gather` keeps its index).
        let (value, indices) = self.value().max_pool2d_with_indices(p);
        let idx = self.tape.constant(indices);
        self.record2(idx, Op::MaxPool2d(p), value)
    }

    /// Sums `self` into `[N, C, output_size]` at the plane positions `indices` (a
    /// constant, as from [`Tensor::max_pool2d_with_indices`]); the gradient of max pooling.
    ///
    /// # Panics
    /// If the shapes differ or an index is outside the plane.
    #[track_caller]
    #[must_use]
    pub fn max_unpool2d(self, indices: &Tensor<T>, output_size: [usize; 2]) -> Self {
        let value = self.value().max_unpool2d(indices, output_size);
        let idx = self.tape.constant(indices.clone());
        self.record2(idx, Op::MaxUnpool2d { output_size }, value)
    }

    /// Average pooling with fixed windows (PyTorch `avg_pool2d`,
    /// `count_include_pad=True`).
    ///
    /// # Panics
    /// If the input is not 4-D or the window does not fit.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::{Pool2d, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::<f64>::ones(&[1, 1, 2, 2]));
    /// let y = x.avg_pool2d(Pool2d::new(2));
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![0.25; 4]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn avg_pool2d(self, p: Pool2d) -> Self {
        self.avg_pool(AvgPool::Window(p))
    }

    /// Adaptive average pooling to `[oh, ow]` (PyTorch `adaptive_avg_pool2d`); `[1, 1]`
    /// is global average pooling.
    ///
    /// # Panics
    /// If the input is not 4-D or a size is 0.
    #[track_caller]
    #[must_use]
    pub fn adaptive_avg_pool2d(self, output_size: [usize; 2]) -> Self {
        self.avg_pool(AvgPool::Adaptive(output_size))
    }

    /// Average pooling of either kind.
    ///
    /// # Panics
    /// If the input is not 4-D or the windows do not fit.
    #[track_caller]
    #[must_use]
    pub fn avg_pool(self, p: AvgPool) -> Self {
        let value = self.value().avg_pool(p);
        self.unary(Op::AvgPool2d(p), value)
    }

    /// The adjoint of [`Var::avg_pool`] (its gradient), back to `[N, C, input_size]`.
    ///
    /// # Panics
    /// If pooling an `input_size` image does not give `self`'s shape.
    #[track_caller]
    #[must_use]
    pub fn avg_pool_adjoint(self, p: AvgPool, input_size: [usize; 2]) -> Self {
        let value = self.value().avg_pool_adjoint(p, input_size);
        self.unary(
            Op::AvgPool2dAdjoint {
                pool: p,
                input_size,
            },
            value,
        )
    }
}
