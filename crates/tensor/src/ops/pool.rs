//! 2-D pooling over `[N, C, H, W]` tensors, with PyTorch's window rules: the windows
//! ([`Pool2d`], [`AvgPool`]), average pooling with `count_include_pad=True`, adaptive
//! average pooling, and the adjoint of both averages. Max pooling is in `max_pool.rs`.
//!
//! Every kernel works plane by plane (one `(n, c)` image at a time); planes are split
//! across threads above the threshold in [`crate::parallel`].

use super::conv::conv_output_len;
use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::parallel::{for_each_chunk_mut, split_batch};
use crate::tensor::Tensor;

/// A pooling window: kernel, stride and zero padding per axis (`[height, width]`), as
/// PyTorch's `MaxPool2d`/`AvgPool2d` (`ceil_mode=False`, dilation 1).
///
/// ```
/// use tensor::Pool2d;
/// let p = Pool2d::new(3).stride(2).padding(1);
/// assert_eq!(p.output_size([7, 6]).unwrap(), [4, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pool2d {
    /// Window size `[kh, kw]`.
    pub kernel: [usize; 2],
    /// Step between windows `[sh, sw]`.
    pub stride: [usize; 2],
    /// Padding on both sides `[ph, pw]` (at most half the kernel, as PyTorch requires).
    pub padding: [usize; 2],
}

impl Pool2d {
    /// A square `kernel × kernel` window with stride `kernel` (PyTorch's default) and no
    /// padding.
    #[must_use]
    pub fn new(kernel: usize) -> Self {
        Pool2d {
            kernel: [kernel, kernel],
            stride: [kernel, kernel],
            padding: [0, 0],
        }
    }

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

    /// The output `[oh, ow]` for an input `[h, w]`: `⌊(i + 2p − k) / s⌋ + 1` per axis.
    ///
    /// # Errors
    /// If the kernel or stride is 0, the padding exceeds half the kernel, or the window is
    /// larger than the padded input.
    pub fn output_size(&self, input: [usize; 2]) -> Result<[usize; 2]> {
        let mut out = [0; 2];
        for a in 0..2 {
            let (k, p) = (self.kernel[a], self.padding[a]);
            out[a] = conv_output_len(input[a], k, self.stride[a], p, 1)
                .filter(|_| p <= k / 2)
                .ok_or_else(|| TensorError::Invalid {
                    op: "pool2d",
                    reason: format!(
                        "window {:?} (stride {:?}, padding {:?}) does not fit the input {input:?} \
                         (the padding may be at most half the kernel)",
                        self.kernel, self.stride, self.padding
                    ),
                })?;
        }
        Ok(out)
    }
}

/// Which windows an average pooling takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AvgPool {
    /// Fixed windows (PyTorch `AvgPool2d`, `count_include_pad=True`): every window is
    /// divided by `kh·kw`, padding included.
    Window(Pool2d),
    /// `[oh, ow]` outputs whatever the input size (PyTorch `AdaptiveAvgPool2d`): output
    /// `i` averages the inputs `⌊i·In/Out⌋ .. ⌈(i+1)·In/Out⌉`.
    Adaptive([usize; 2]),
}

/// Per axis, the input range `start..end` of each output position (clipped to the
/// input), and the divisor of every window (`None`: the window's own size).
pub(super) struct Windows {
    pub(super) rows: Vec<(usize, usize)>,
    pub(super) cols: Vec<(usize, usize)>,
    pub(super) divisor: Option<f64>,
    /// Disjoint unpadded 2×2 windows at stride 2 (max pooling's fast path).
    pub(super) pairs: bool,
}

impl Windows {
    /// The output size of pooling an `input`-sized image with `spec`, checked as
    /// [`Windows::new`] checks it, without building the windows: for an empty batch,
    /// whose planes are never visited (and whose image may be too large to list).
    pub(super) fn out_size(spec: &AvgPool, input: [usize; 2]) -> Result<[usize; 2]> {
        match spec {
            AvgPool::Window(p) => Self::fixed_size(p, input),
            AvgPool::Adaptive(out) => {
                check_adaptive(*out, input)?;
                Ok(*out)
            }
        }
    }

    /// The output size of fixed windows `p` on an `input`-sized image.
    pub(super) fn fixed_size(p: &Pool2d, input: [usize; 2]) -> Result<[usize; 2]> {
        // PyTorch refuses an empty image whatever the padding: a padded window over no
        // input has nothing to take the maximum or the average of.
        if input.contains(&0) {
            return Err(TensorError::Invalid {
                op: "pool2d",
                reason: format!(
                    "cannot pool an empty image {input:?} (H and W must be at least 1)"
                ),
            });
        }
        p.output_size(input)
    }

    pub(super) fn fixed(p: &Pool2d, input: [usize; 2]) -> Result<Windows> {
        let out = Self::fixed_size(p, input)?;
        // One window per output position and axis: a huge output is an error here,
        // before the lists are built.
        for len in out {
            crate::shape::check_alloc::<(usize, usize)>("pool2d", &[len])?;
        }
        let axis = |a: usize| {
            (0..out[a])
                .map(|i| {
                    let start = i * p.stride[a];
                    let end = start + p.kernel[a];
                    let clip = |v: usize| v.saturating_sub(p.padding[a]).min(input[a]);
                    (clip(start), clip(end))
                })
                .collect()
        };
        Ok(Windows {
            rows: axis(0),
            cols: axis(1),
            divisor: None,
            pairs: p.kernel == [2, 2] && p.stride == [2, 2] && p.padding == [0, 0],
        })
    }

    fn new(spec: &AvgPool, input: [usize; 2]) -> Result<Windows> {
        match spec {
            AvgPool::Window(p) => Ok(Windows {
                // In f64: a product of two huge kernel sides must not wrap (to 0, say).
                divisor: Some(p.kernel[0] as f64 * p.kernel[1] as f64),
                ..Windows::fixed(p, input)?
            }),
            AvgPool::Adaptive(out) => {
                check_adaptive(*out, input)?;
                // One window per output position and axis: a huge size is an error here,
                // before the lists are built.
                for len in out {
                    crate::shape::check_alloc::<(usize, usize)>("adaptive_avg_pool2d", &[*len])?;
                }
                let axis = |a: usize| {
                    (0..out[a])
                        .map(|i| {
                            // PyTorch's ⌊i·in/out⌋ and ⌈(i+1)·in/out⌉, in u128: the
                            // products of a huge input length must not wrap.
                            let (i, len, n) = (i as u128, input[a] as u128, out[a] as u128);
                            ((i * len / n) as usize, ((i + 1) * len).div_ceil(n) as usize)
                        })
                        .collect()
                };
                Ok(Windows {
                    rows: axis(0),
                    cols: axis(1),
                    divisor: None,
                    pairs: false,
                })
            }
        }
    }

    pub(super) fn out(&self) -> [usize; 2] {
        [self.rows.len(), self.cols.len()]
    }

    /// Visits every output position `(k = oy·ow + ox, rows, cols, 1/divisor)`.
    pub(super) fn each<T: Float>(
        &self,
        mut f: impl FnMut(usize, (usize, usize), (usize, usize), T),
    ) {
        for (oy, &r) in self.rows.iter().enumerate() {
            for (ox, &c) in self.cols.iter().enumerate() {
                let own = ((r.1 - r.0) * (c.1 - c.0)) as f64;
                let d = self.divisor.unwrap_or(own).max(1.0);
                f(oy * self.cols.len() + ox, r, c, T::ONE / T::from_f64(d));
            }
        }
    }
}

/// `[N, C, H, W]` of a pooling input, or an error naming the op.
pub(super) fn nchw(op: &'static str, shape: &[usize]) -> Result<[usize; 4]> {
    match shape {
        &[n, c, h, w] => Ok([n, c, h, w]),
        _ => Err(TensorError::Invalid {
            op,
            reason: format!("expected a tensor [N, C, H, W], got {shape:?}"),
        }),
    }
}

/// Runs `f(src_plane, dst_plane)` for every one of the `planes` planes of a contiguous
/// `src` (planes of `src_len`) into a new `[planes, dst_len]` buffer, split across threads
/// for big inputs. The callers have checked that `[planes, dst_len]` can be allocated.
///
/// # Panics
/// If `src` does not hold `planes · src_len` elements (a bug in the caller).
pub(super) fn per_plane<T: Float>(
    src: &Tensor<T>,
    [planes, src_len]: [usize; 2],
    dst_len: usize,
    work: usize,
    f: impl Fn(&[T], &mut [T]) + Sync + Send,
) -> Vec<T> {
    let src = src.contiguous();
    let src = src.as_slice().expect("contiguous");
    assert!(
        planes.checked_mul(src_len) == Some(src.len()),
        "pooling: {planes} planes of {src_len} do not make the input's {} elements",
        src.len()
    );
    let mut out = vec![T::ZERO; planes * dst_len];
    if dst_len > 0 {
        let parallel = split_batch(work, planes);
        let chunk = if parallel {
            dst_len * planes.div_ceil(crate::parallel::threads())
        } else {
            out.len()
        };
        for_each_chunk_mut(
            &mut out,
            chunk.max(dst_len),
            parallel,
            || (),
            |_, i, dst| {
                let first = i * chunk.max(dst_len) / dst_len;
                for (k, d) in dst.chunks_mut(dst_len).enumerate() {
                    let p = first + k;
                    f(&src[p * src_len..(p + 1) * src_len], d);
                }
            },
        );
    }
    out
}

impl<T: Float> Tensor<T> {
    /// Average pooling with fixed windows (PyTorch `avg_pool2d`, `count_include_pad=True`):
    /// each output is the window's sum divided by `kh·kw`.
    ///
    /// # Panics
    /// If the input is not 4-D or the window does not fit.
    ///
    /// ```
    /// use tensor::{Pool2d, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]).unwrap();
    /// assert_eq!(x.avg_pool2d(Pool2d::new(2)).to_vec(), vec![2.5]);
    /// assert_eq!(x.avg_pool2d(Pool2d::new(2).padding(1)).to_vec(), vec![0.25, 0.5, 0.75, 1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn avg_pool2d(&self, p: Pool2d) -> Self {
        self.avg_pool(AvgPool::Window(p))
    }

    /// Adaptive average pooling to `[oh, ow]` (PyTorch `adaptive_avg_pool2d`); `[1, 1]` is
    /// global average pooling.
    ///
    /// # Panics
    /// If the input is not 4-D or a size is 0.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0], &[1, 1, 1, 5]).unwrap();
    /// // windows 0..3 and 2..5
    /// assert_eq!(x.adaptive_avg_pool2d([1, 2]).to_vec(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn adaptive_avg_pool2d(&self, output_size: [usize; 2]) -> Self {
        self.avg_pool(AvgPool::Adaptive(output_size))
    }

    /// Average pooling with either kind of window.
    ///
    /// # Panics
    /// If the input is not 4-D or the windows do not fit.
    #[track_caller]
    #[must_use]
    pub fn avg_pool(&self, spec: AvgPool) -> Self {
        let op = match spec {
            AvgPool::Window(_) => "avg_pool2d",
            AvgPool::Adaptive(_) => "adaptive_avg_pool2d",
        };
        let [n, c, h, w] = unwrap(nchw(op, self.shape()));
        if n == 0 || c == 0 {
            // No plane to pool; the image's lengths may multiply past `usize::MAX`.
            let size = Windows::out_size(&spec, [h, w]).map_err(|e| named(op, self.shape(), e));
            let [oh, ow] = unwrap(size);
            return Tensor::zeros(&[n, c, oh, ow]);
        }
        let win = unwrap(Windows::new(&spec, [h, w]).map_err(|e| named(op, self.shape(), e)));
        let [oh, ow] = win.out();
        unwrap(crate::shape::check_alloc::<T>(op, &[n, c, oh, ow]));
        let out = per_plane(self, [n * c, h * w], oh * ow, n * c * h * w, |src, dst| {
            win.each::<T>(|k, (r0, r1), (c0, c1), scale| {
                let mut sum = T::ZERO;
                for iy in r0..r1 {
                    sum += src[iy * w + c0..iy * w + c1].iter().copied().sum::<T>();
                }
                dst[k] = sum * scale;
            });
        });
        Tensor::from_parts(out, &[n, c, oh, ow])
    }

    /// The adjoint of [`Tensor::avg_pool`] (its gradient): each value of `self`
    /// (`[N, C, oh, ow]`), divided like the forward average, is added to every input of its
    /// window. The output is `[N, C, H, W]` with `[H, W] = input_size`.
    ///
    /// # Panics
    /// If pooling an `input_size` image does not give `self`'s shape.
    ///
    /// ```
    /// use tensor::{AvgPool, Pool2d, Tensor};
    /// let g = Tensor::from_vec(vec![4.0f32], &[1, 1, 1, 1]).unwrap();
    /// let dx = g.avg_pool_adjoint(AvgPool::Window(Pool2d::new(2)), [2, 2]);
    /// assert_eq!(dx.to_vec(), vec![1.0; 4]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn avg_pool_adjoint(&self, spec: AvgPool, input_size: [usize; 2]) -> Self {
        let [n, c, oh, ow] = unwrap(nchw("avg_pool2d_adjoint", self.shape()));
        let [h, w] = input_size;
        if n == 0 || c == 0 {
            let size = Windows::out_size(&spec, input_size)
                .map_err(|e| named("avg_pool2d_adjoint", self.shape(), e));
            assert!(
                unwrap(size) == [oh, ow],
                "avg_pool2d_adjoint: gradient {:?} does not match pooling an input {input_size:?}",
                self.shape(),
            );
            return Tensor::zeros(&[n, c, h, w]);
        }
        let win = unwrap(
            Windows::new(&spec, input_size)
                .map_err(|e| named("avg_pool2d_adjoint", self.shape(), e)),
        );
        assert!(
            win.out() == [oh, ow],
            "avg_pool2d_adjoint: gradient {:?} does not match pooling an input {input_size:?}, which gives {:?}",
            self.shape(),
            win.out()
        );
        // The input's size comes from the caller: it must exist before it is filled.
        unwrap(crate::shape::check_alloc::<T>(
            "avg_pool2d_adjoint",
            &[n, c, h, w],
        ));
        let out = per_plane(self, [n * c, oh * ow], h * w, n * c * h * w, |g, dst| {
            win.each::<T>(|k, (r0, r1), (c0, c1), scale| {
                let v = g[k] * scale;
                for iy in r0..r1 {
                    dst[iy * w + c0..iy * w + c1]
                        .iter_mut()
                        .for_each(|d| *d += v);
                }
            });
        });
        Tensor::from_parts(out, &[n, c, h, w])
    }
}

/// An adaptive pooling needs a non-empty input and output.
fn check_adaptive(out: [usize; 2], input: [usize; 2]) -> Result<()> {
    if out.contains(&0) || input.contains(&0) {
        return Err(TensorError::Invalid {
            op: "adaptive_avg_pool2d",
            reason: format!("cannot pool an input {input:?} to {out:?}"),
        });
    }
    Ok(())
}

/// Puts the op's name and the input's shape in front of a window error.
pub(super) fn named(op: &'static str, shape: &[usize], e: TensorError) -> TensorError {
    // The window checks' own reason, without the op name they were raised under.
    let reason = match e {
        TensorError::Invalid { reason, .. } => reason,
        other => other.to_string(),
    };
    TensorError::Invalid {
        op,
        reason: format!("input {shape:?}: {reason}"),
    }
}
