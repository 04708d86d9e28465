//! 2-D convolution (PyTorch's `conv2d`) and its two adjoints, lowered onto gemm by im2col.
//!
//! For one sample, im2col copies every receptive field into a column: `cols` has one row
//! per weight position `(c, i, j)` (`C·kh·kw` rows) and one column per output position
//! (`oh·ow`). The convolution is then one matrix product per group,
//! `out[o, p] = Σ_r W[o, r] · cols[r, p]`, and its adjoints are products too:
//!
//! * input gradient (a transposed convolution): `dcols = Wᵀ · g`, then col2im adds each
//!   column back onto the pixels it was copied from;
//! * weight gradient: `dW = g · colsᵀ`, summed over the batch.
//!
//! Small images are lowered several samples at a time (columns side by side, so one gemm
//! covers the chunk); a chunk's `cols` stays within [`CHUNK_ELEMENTS`]. Chunks run in
//! parallel above the threshold in [`crate::parallel`]; each thread owns its scratch.

use super::im2col::{col2im, im2col, regroup, view, Geometry};
use super::matmul::gemm_into;
use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::parallel::{fold_chunks, for_each_chunk_mut, split_batch, split_matmul};
use crate::storage::Storage;
use crate::tensor::Tensor;

/// The largest `cols` buffer (in elements) one chunk of samples may fill: 256 KiB of
/// `f32`, so the lowered chunk stays in the L2 cache while gemm reads it.
pub const CHUNK_ELEMENTS: usize = 1 << 16;

/// Stride, padding, dilation (per axis, `[height, width]`) and groups of a 2-D
/// convolution, as in PyTorch's `torch.nn.functional.conv2d`.
///
/// ```
/// use tensor::Conv2dParams;
/// let p = Conv2dParams::default().stride(2).padding(1);
/// assert_eq!(p.output_size([7, 5], [3, 3]).unwrap(), [4, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dParams {
    /// Step between output positions, `[sh, sw]` (≥ 1).
    pub stride: [usize; 2],
    /// Zeros added on both sides of each axis, `[ph, pw]`.
    pub padding: [usize; 2],
    /// Spacing between kernel taps, `[dh, dw]` (≥ 1).
    pub dilation: [usize; 2],
    /// Channel groups: input and output channels split into `groups` independent blocks
    /// (`groups = in_channels` is a depthwise convolution).
    pub groups: usize,
}

impl Default for Conv2dParams {
    /// Stride 1, no padding, dilation 1, one group.
    fn default() -> Self {
        Conv2dParams {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

impl Conv2dParams {
    /// The same stride on both axes.
    #[must_use]
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = [s, s];
        self
    }

    /// The same padding on both axes.
    #[must_use]
    pub fn padding(mut self, p: usize) -> Self {
        self.padding = [p, p];
        self
    }

    /// The same dilation on both axes.
    #[must_use]
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = [d, d];
        self
    }

    /// The number of groups.
    #[must_use]
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// The output `[oh, ow]` for an input `[h, w]` and a kernel `[kh, kw]`:
    /// `o = ⌊(i + 2p − d·(k − 1) − 1) / s⌋ + 1` per axis (PyTorch's formula).
    ///
    /// # Errors
    /// If a stride or dilation is 0, the kernel is empty, or the dilated kernel is larger
    /// than the padded input.
    pub fn output_size(&self, input: [usize; 2], kernel: [usize; 2]) -> Result<[usize; 2]> {
        let mut out = [0; 2];
        for a in 0..2 {
            out[a] = conv_output_len(
                input[a],
                kernel[a],
                self.stride[a],
                self.padding[a],
                self.dilation[a],
            )
            .ok_or_else(|| TensorError::Invalid {
                op: "conv2d",
                reason: format!(
                    "kernel {kernel:?} with dilation {:?} does not fit the input {input:?} \
                     padded by {:?} (stride {:?})",
                    self.dilation, self.padding, self.stride
                ),
            })?;
        }
        Ok(out)
    }
}

/// `⌊(len + 2p − d·(k − 1) − 1) / s⌋ + 1`, or `None` if the dilated kernel does not fit
/// (or a parameter is 0, or the arithmetic overflows).
pub(crate) fn conv_output_len(len: usize, k: usize, s: usize, p: usize, d: usize) -> Option<usize> {
    if k == 0 || s == 0 || d == 0 {
        return None;
    }
    let padded = len.checked_add(p.checked_mul(2)?)?;
    let span = d.checked_mul(k - 1)?.checked_add(1)?;
    Some(padded.checked_sub(span)? / s + 1)
}

impl<T: Float> Tensor<T> {
    /// 2-D convolution (cross-correlation, as PyTorch's `conv2d`, without bias):
    /// `out[n, o, y, x] = Σ_{c, i, j} w[o, c, i, j] · in[n, g·C/G + c, y·sh − ph + i·dh,
    /// x·sw − pw + j·dw]`, with `g = o / (O/G)` the group of output channel `o` and zeros
    /// outside the input.
    ///
    /// Shapes: input `[N, C, H, W]`, weight `[O, C/groups, kh, kw]`, output `[N, O, oh, ow]`
    /// with `oh`, `ow` from [`Conv2dParams::output_size`].
    ///
    /// # Panics
    /// If the shapes do not fit (see [`Tensor::try_conv2d`]).
    ///
    /// ```
    /// use tensor::{Conv2dParams, Tensor};
    /// let x = Tensor::from_vec((0..9).map(|v| v as f32).collect(), &[1, 1, 3, 3]).unwrap();
    /// let w = Tensor::ones(&[1, 1, 2, 2]);
    /// let y = x.conv2d(&w, Conv2dParams::default());
    /// assert_eq!(y.shape(), &[1, 1, 2, 2]);
    /// assert_eq!(y.to_vec(), vec![8.0, 12.0, 20.0, 24.0]); // 0+1+3+4, …
    /// ```
    #[track_caller]
    #[must_use]
    pub fn conv2d(&self, weight: &Self, p: Conv2dParams) -> Self {
        unwrap(self.try_conv2d(weight, p))
    }

    /// [`Tensor::conv2d`], or an error naming the shapes.
    pub fn try_conv2d(&self, weight: &Self, p: Conv2dParams) -> Result<Self> {
        let geo = Geometry::new("conv2d", self.shape(), weight.shape(), p)?;
        geo.check_alloc::<T>("conv2d")?;
        let (x, w) = (
            self.try_contiguous("conv2d")?,
            weight.try_contiguous("conv2d")?,
        );
        let (x, w) = (x.as_slice().expect("dense"), w.as_slice().expect("dense"));
        let (l, kg, og, chunk) = (geo.l(), geo.kg(), geo.og(), geo.chunk());
        let mut storage: Storage<T> = crate::recycle::zeroed(geo.n * geo.o * l);
        let out = storage.get_mut().expect("new storage is unique");
        let per_out = geo.o * l;
        let parallel = split_batch(geo.flops(), geo.n.div_ceil(chunk));
        let gemm_parallel = !parallel && split_matmul(geo.flops());
        let scratch = || {
            (
                vec![T::ZERO; geo.c * geo.kh * geo.kw * chunk * l],
                vec![T::ZERO; per_out * chunk],
            )
        };
        if per_out > 0 {
            for_each_chunk_mut(
                out,
                per_out * chunk,
                parallel,
                scratch,
                |(cols, tmp), i, dst| {
                    let b = dst.len() / per_out;
                    let x = &x[i * chunk * geo.c * geo.h * geo.w..];
                    im2col(&geo, x, b, &mut cols[..geo.c * geo.kh * geo.kw * b * l]);
                    // One product per group into [O, b·l] rows; with one sample, straight into
                    // the output (its [O, l] block is already row-major).
                    let target: &mut [T] = if b == 1 { dst } else { &mut tmp[..per_out * b] };
                    for g in 0..geo.p.groups {
                        gemm_into(
                            &mut target[g * og * b * l..(g + 1) * og * b * l],
                            og,
                            b * l,
                            kg,
                            w,
                            view(g * og * kg, kg, false),
                            cols,
                            view(g * kg * b * l, b * l, false),
                            false,
                            gemm_parallel,
                        );
                    }
                    if b > 1 {
                        regroup(&tmp[..per_out * b], dst, b, geo.o, l, false);
                    }
                },
            );
        }
        Ok(Tensor::from_storage(storage, &geo.out_shape()))
    }

    /// The transposed convolution (PyTorch's `conv_transpose2d`, without bias): the
    /// adjoint of [`Tensor::conv2d`] with respect to its input, so the gradient of a
    /// convolution's input is `g.conv_transpose2d(w, p, [h, w])`.
    ///
    /// Shapes: `self` `[N, O, oh, ow]`, weight `[O, C/groups, kh, kw]` (the forward
    /// convolution's weight), output `[N, C, H, W]` with `[H, W] = output_size`. Several
    /// input sizes convolve to the same `[oh, ow]` when the stride is above 1; naming the
    /// size plays the role of PyTorch's `output_padding`.
    ///
    /// # Panics
    /// If a convolution of an `output_size` image with this weight does not give `self`'s
    /// shape, or its buffers cannot be allocated (the message names the op and the size).
    ///
    /// ```
    /// use tensor::{Conv2dParams, Tensor};
    /// let g = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 1, 1, 2]).unwrap();
    /// let w = Tensor::ones(&[1, 1, 1, 2]);
    /// let dx = g.conv_transpose2d(&w, Conv2dParams::default(), [1, 3]);
    /// assert_eq!(dx.to_vec(), vec![1.0, 3.0, 2.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn conv_transpose2d(
        &self,
        weight: &Self,
        p: Conv2dParams,
        output_size: [usize; 2],
    ) -> Self {
        let s = self.shape();
        let input = [
            s.first().copied().unwrap_or(0),
            // Saturating: a huge group count then fails the channel check, not a multiply.
            (weight.shape().get(1).copied().unwrap_or(0)).saturating_mul(p.groups),
            output_size[0],
            output_size[1],
        ];
        let geo = unwrap(Geometry::new("conv_transpose2d", &input, weight.shape(), p));
        unwrap(crate::shape::check_alloc::<T>("conv_transpose2d", &input));
        // The unfolded columns of a chunk (a huge kernel or padding asks for terabytes).
        unwrap(geo.check_alloc::<T>("conv_transpose2d"));
        assert!(
            s == geo.out_shape(),
            "conv_transpose2d: gradient {s:?} does not match the convolution of {input:?} by \
             weight {:?}, which gives {:?}",
            weight.shape(),
            geo.out_shape()
        );
        let (g, w) = (self.contiguous(), weight.contiguous());
        let (g, w) = (g.as_slice().expect("dense"), w.as_slice().expect("dense"));
        let (l, kg, og, chunk) = (geo.l(), geo.kg(), geo.og(), geo.chunk());
        // Wᵀ per group, [kg, og] row-major: a small copy that lets gemm read both operands
        // row by row (faster than through a transposed view).
        let mut wt = vec![T::ZERO; w.len()];
        // (No input channels: no taps, kg = 0, and nothing to transpose.)
        for grp in (0..geo.p.groups).filter(|_| kg > 0) {
            let block = &mut wt[grp * og * kg..(grp + 1) * og * kg];
            for (o, row) in w[grp * og * kg..(grp + 1) * og * kg].chunks(kg).enumerate() {
                for (r, &v) in row.iter().enumerate() {
                    block[r * og + o] = v;
                }
            }
        }
        let per_in = geo.c * geo.h * geo.w;
        let rows = geo.c * geo.kh * geo.kw;
        let mut dx = vec![T::ZERO; geo.n * per_in];
        let parallel = split_batch(geo.flops(), geo.n.div_ceil(chunk));
        let gemm_parallel = !parallel && split_matmul(geo.flops());
        let scratch = || {
            (
                vec![T::ZERO; rows * chunk * l],
                vec![T::ZERO; geo.o * l * chunk],
            )
        };
        if per_in > 0 {
            for_each_chunk_mut(
                &mut dx,
                per_in * chunk,
                parallel,
                scratch,
                |(cols, tmp), i, dst| {
                    let b = dst.len() / per_in;
                    let g_chunk = &g[i * chunk * geo.o * l..(i * chunk + b) * geo.o * l];
                    let gm: &[T] = if b == 1 {
                        g_chunk
                    } else {
                        regroup(g_chunk, &mut tmp[..geo.o * l * b], b, geo.o, l, true);
                        &tmp[..geo.o * l * b]
                    };
                    // dcols = Wᵀ·g per group, then col2im adds the columns back onto pixels.
                    for grp in 0..geo.p.groups {
                        gemm_into(
                            &mut cols[grp * kg * b * l..(grp + 1) * kg * b * l],
                            kg,
                            b * l,
                            og,
                            &wt,
                            view(grp * og * kg, og, false),
                            gm,
                            view(grp * og * b * l, b * l, false),
                            false,
                            gemm_parallel,
                        );
                    }
                    col2im(&geo, &cols[..rows * b * l], b, dst);
                },
            );
        }
        Tensor::from_parts(dx, &input)
    }

    /// The gradient of a convolution with respect to its weight (PyTorch's
    /// `torch.nn.grad.conv2d_weight`): for input `self` `[N, C, H, W]` and output gradient
    /// `grad` `[N, O, oh, ow]`, `dw[o, c, i, j] = Σ_{n, y, x} grad[n, o, y, x] ·
    /// in[n, g·C/G + c, y·sh − ph + i·dh, x·sw − pw + j·dw]`, shaped `[O, C/groups, kh, kw]`
    /// with `[kh, kw] = kernel_size`.
    ///
    /// # Panics
    /// If a convolution of `self` with such a kernel does not give `grad`'s shape, or the
    /// weight's gradient or the unfolded columns cannot be allocated (the message names
    /// the op and the size).
    ///
    /// ```
    /// use tensor::{Conv2dParams, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 1, 1, 3]).unwrap();
    /// let g = Tensor::ones(&[1, 1, 1, 2]);
    /// let dw = x.conv2d_weight(&g, Conv2dParams::default(), [1, 2]);
    /// assert_eq!(dw.to_vec(), vec![3.0, 5.0]); // 1+2, 2+3
    /// ```
    #[track_caller]
    #[must_use]
    pub fn conv2d_weight(&self, grad: &Self, p: Conv2dParams, kernel_size: [usize; 2]) -> Self {
        let s = self.shape();
        let o = grad.shape().get(1).copied().unwrap_or(0);
        let weight = [
            o,
            s.get(1).copied().unwrap_or(0) / p.groups.max(1),
            kernel_size[0],
            kernel_size[1],
        ];
        let geo = unwrap(Geometry::new("conv2d_weight", s, &weight, p));
        // The weight's gradient and a chunk's unfolded columns (a huge kernel or padding
        // asks for terabytes): an error naming the op, not an abort.
        unwrap(crate::shape::check_alloc::<T>("conv2d_weight", &weight));
        unwrap(geo.check_alloc::<T>("conv2d_weight"));
        assert!(
            grad.shape() == geo.out_shape(),
            "conv2d_weight: gradient {:?} does not match the convolution of {s:?} by a \
             {kernel_size:?} kernel, which gives {:?}",
            grad.shape(),
            geo.out_shape()
        );
        let (x, g) = (self.contiguous(), grad.contiguous());
        let (x, g) = (x.as_slice().expect("dense"), g.as_slice().expect("dense"));
        let (l, kg, og, chunk) = (geo.l(), geo.kg(), geo.og(), geo.chunk());
        let rows = geo.c * geo.kh * geo.kw;
        let chunks = geo.n.div_ceil(chunk);
        let parallel = split_batch(geo.flops(), chunks);
        let gemm_parallel = !parallel && split_matmul(geo.flops());
        let size = geo.o * kg;
        // Each thread sums dWᵀ over its chunks (one lowering per chunk), then the partial
        // sums are added.
        let init = || {
            (
                vec![T::ZERO; size],
                vec![T::ZERO; rows * chunk * l],
                vec![T::ZERO; geo.o * l * chunk],
            )
        };
        let fold = |(mut dw, mut cols, mut tmp): (Vec<T>, Vec<T>, Vec<T>), i: usize| {
            let b = chunk.min(geo.n - i * chunk);
            im2col(
                &geo,
                &x[i * chunk * geo.c * geo.h * geo.w..],
                b,
                &mut cols[..rows * b * l],
            );
            let g_chunk = &g[i * chunk * geo.o * l..(i * chunk + b) * geo.o * l];
            let gm: &[T] = if b == 1 {
                g_chunk
            } else {
                regroup(g_chunk, &mut tmp[..geo.o * l * b], b, geo.o, l, true);
                &tmp[..geo.o * l * b]
            };
            // dWᵀ = cols · gᵀ per group ([kg, og]): gemm reads the lowered rows in their
            // own layout, measured 2-3× faster than dW = g · colsᵀ through a transposed view.
            for grp in 0..geo.p.groups {
                gemm_into(
                    &mut dw[grp * og * kg..(grp + 1) * og * kg],
                    kg,
                    og,
                    b * l,
                    &cols,
                    view(grp * kg * b * l, b * l, false),
                    gm,
                    view(grp * og * b * l, b * l, true),
                    true,
                    gemm_parallel,
                );
            }
            (dw, cols, tmp)
        };
        let combine = |(mut a, c, t): (Vec<T>, Vec<T>, Vec<T>),
                       (b, _, _): (Vec<T>, Vec<T>, Vec<T>)| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += *y);
            (a, c, t)
        };
        let (dwt, _, _) = if size == 0 || l == 0 {
            init()
        } else {
            fold_chunks(chunks, parallel, init, fold, combine)
        };
        // Each group's block is [kg, og]; the weight wants [og, kg] rows.
        let mut dw = vec![T::ZERO; size];
        // (No input channels: no taps, kg = 0, and nothing to transpose.)
        for grp in (0..geo.p.groups).filter(|_| kg > 0) {
            let block = &dwt[grp * og * kg..(grp + 1) * og * kg];
            for (o, row) in dw[grp * og * kg..(grp + 1) * og * kg]
                .chunks_mut(kg)
                .enumerate()
            {
                for (r, d) in row.iter_mut().enumerate() {
                    *d = block[r * og + o];
                }
            }
        }
        Tensor::from_parts(dw, &weight)
    }
}
