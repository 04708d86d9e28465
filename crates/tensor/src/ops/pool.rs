//! 2-D pooling over `[N, C, H, W]` tensors, with PyTorch's window rules: max pooling
//! (and the scatter that is its gradient), average pooling with `count_include_pad=True`,
//! adaptive average pooling, and the adjoint of both averages.
//!
//! Every kernel works plane by plane (one `(n, c)` image at a time); planes are split
//! across threads above the threshold in [`crate::parallel`].

use super::conv::conv_output_len;
use super::im2col::valid_range;
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
    pub fn new(kernel: usize) -> Self {
        Pool2d {
            kernel: [kernel, kernel],
            stride: [kernel, kernel],
            padding: [0, 0],
        }
    }

    /// The same stride on both axes.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = [s, s];
        self
    }

    /// The same padding on both axes.
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
                .filter(|_| 2 * p <= k)
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
struct Windows {
    rows: Vec<(usize, usize)>,
    cols: Vec<(usize, usize)>,
    divisor: Option<usize>,
    /// Disjoint unpadded 2×2 windows at stride 2 (max pooling's fast path).
    pairs: bool,
}

impl Windows {
    fn fixed(p: &Pool2d, input: [usize; 2]) -> Result<Windows> {
        let out = p.output_size(input)?;
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
                divisor: Some(p.kernel[0] * p.kernel[1]),
                ..Windows::fixed(p, input)?
            }),
            AvgPool::Adaptive(out) => {
                if out.contains(&0) || input.contains(&0) {
                    return Err(TensorError::Invalid {
                        op: "adaptive_avg_pool2d",
                        reason: format!("cannot pool an input {input:?} to {out:?}"),
                    });
                }
                let axis = |a: usize| {
                    (0..out[a])
                        .map(|i| (i * input[a] / out[a], ((i + 1) * input[a]).div_ceil(out[a])))
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

    fn out(&self) -> [usize; 2] {
        [self.rows.len(), self.cols.len()]
    }

    /// Visits every output position `(k = oy·ow + ox, rows, cols, 1/divisor)`.
    fn each<T: Float>(&self, mut f: impl FnMut(usize, (usize, usize), (usize, usize), T)) {
        for (oy, &r) in self.rows.iter().enumerate() {
            for (ox, &c) in self.cols.iter().enumerate() {
                let d = self.divisor.unwrap_or((r.1 - r.0) * (c.1 - c.0)).max(1);
                f(oy * self.cols.len() + ox, r, c, T::ONE / T::from_usize(d));
            }
        }
    }
}

/// `[N, C, H, W]` of a pooling input, or an error naming the op.
fn nchw(op: &'static str, shape: &[usize]) -> Result<[usize; 4]> {
    match shape {
        &[n, c, h, w] => Ok([n, c, h, w]),
        _ => Err(TensorError::Invalid {
            op,
            reason: format!("expected a tensor [N, C, H, W], got {shape:?}"),
        }),
    }
}

/// Runs `f(src_plane, dst_plane)` for every plane of a contiguous `src` (planes of
/// `src_len`) into a new `[planes, dst_len]` buffer, split across threads for big inputs.
fn per_plane<T: Float>(
    src: &Tensor<T>,
    src_len: usize,
    dst_len: usize,
    work: usize,
    f: impl Fn(&[T], &mut [T]) + Sync + Send,
) -> Vec<T> {
    let src = src.contiguous();
    let src = src.as_slice().expect("contiguous");
    let planes = src.len().checked_div(src_len).unwrap_or(0);
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
    /// Max pooling (PyTorch `max_pool2d`): each output is the largest input in its window
    /// (padding never wins). Input `[N, C, H, W]`, output `[N, C, oh, ow]`.
    ///
    /// # Panics
    /// If the input is not 4-D or the window does not fit (see [`Pool2d::output_size`]).
    ///
    /// ```
    /// use tensor::{Pool2d, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 0.0, 3.0, 4.0], &[1, 1, 2, 3]).unwrap();
    /// assert_eq!(x.max_pool2d(Pool2d::new(2).stride(1)).to_vec(), vec![5.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn max_pool2d(&self, p: Pool2d) -> Self {
        let [n, c, h, w] = unwrap(nchw("max_pool2d", self.shape()));
        let win =
            unwrap(Windows::fixed(&p, [h, w]).map_err(|e| named("max_pool2d", self.shape(), e)));
        let [oh, ow] = win.out();
        let work = n * c * oh * ow * p.kernel[0] * p.kernel[1];
        let vals = per_plane(self, h * w, oh * ow, work, |src, dst| {
            max_plane(src, w, &p, &win, dst)
        });
        Tensor::from_parts(vals, &[n, c, oh, ow])
    }

    /// Max pooling and, for each output, the position of its maximum within its input
    /// plane (`iy·W + ix`, as PyTorch's `return_indices=True`). Ties go to the first
    /// maximum in row-major window order; a NaN wins (and propagates), as in PyTorch's
    /// `val > max || isnan(val)` scan.
    ///
    /// # Panics
    /// As [`Tensor::max_pool2d`].
    ///
    /// ```
    /// use tensor::{Pool2d, Tensor};
    /// let x = Tensor::from_vec(vec![1.0f32, 7.0, 7.0, 0.0], &[1, 1, 2, 2]).unwrap();
    /// let (v, i) = x.max_pool2d_with_indices(Pool2d::new(2));
    /// assert_eq!((v.to_vec(), i.to_vec()), (vec![7.0], vec![1.0]));
    /// ```
    #[track_caller]
    pub fn max_pool2d_with_indices(&self, p: Pool2d) -> (Self, Self) {
        let [n, c, h, w] = unwrap(nchw("max_pool2d", self.shape()));
        let win =
            unwrap(Windows::fixed(&p, [h, w]).map_err(|e| named("max_pool2d", self.shape(), e)));
        let [oh, ow] = win.out();
        let l = oh * ow;
        let work = n * c * l * p.kernel[0] * p.kernel[1];
        // Each plane's output holds its maxima, then their positions; split apart below.
        let both = per_plane(self, h * w, 2 * l, work, |src, dst| {
            let (vals, idx) = dst.split_at_mut(l);
            max_argmax_plane(src, w, &win, vals, idx);
        });
        let (mut vals, mut idx) = (Vec::with_capacity(n * c * l), Vec::with_capacity(n * c * l));
        for plane in both.chunks(2 * l.max(1)) {
            vals.extend_from_slice(&plane[..l]);
            idx.extend_from_slice(&plane[l..]);
        }
        let shape = [n, c, oh, ow];
        (
            Tensor::from_parts(vals, &shape),
            Tensor::from_parts(idx, &shape),
        )
    }

    /// Sums each value into the plane position its index names (PyTorch's
    /// `max_unpool2d`, but adding where indices repeat): the adjoint of picking the
    /// entries at `indices`, and so the gradient of max pooling. `self` and `indices` are
    /// `[N, C, oh, ow]`, the output `[N, C, H, W]` with `[H, W] = output_size`.
    ///
    /// # Panics
    /// If the shapes differ or an index is outside the `H·W` plane.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let g = Tensor::from_vec(vec![2.0f32, 3.0], &[1, 1, 1, 2]).unwrap();
    /// let idx = Tensor::from_vec(vec![1.0f32, 1.0], &[1, 1, 1, 2]).unwrap();
    /// assert_eq!(g.max_unpool2d(&idx, [1, 3]).to_vec(), vec![0.0, 5.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn max_unpool2d(&self, indices: &Self, output_size: [usize; 2]) -> Self {
        let [n, c, oh, ow] = unwrap(nchw("max_unpool2d", self.shape()));
        assert!(
            indices.shape() == self.shape(),
            "max_unpool2d: values {:?} and indices {:?} differ in shape",
            self.shape(),
            indices.shape()
        );
        let plane = output_size[0] * output_size[1];
        let idx = indices.contiguous();
        let idx = idx.as_slice().expect("contiguous");
        let l = oh * ow;
        let src = self.contiguous();
        let src = src.as_slice().expect("contiguous");
        let mut out = vec![T::ZERO; n * c * plane];
        if plane > 0 {
            for (p, dst) in out.chunks_mut(plane).enumerate() {
                for (&i, &v) in idx[p * l..(p + 1) * l].iter().zip(&src[p * l..(p + 1) * l]) {
                    let at = i.to_f64();
                    // `as usize` saturates, so anything outside 0..plane (or fractional)
                    // fails this check.
                    assert!(
                        at as usize as f64 == at && (at as usize) < plane,
                        "max_unpool2d: index {i} is outside a plane of {output_size:?}"
                    );
                    dst[at as usize] += v;
                }
            }
        }
        Tensor::from_parts(out, &[n, c, output_size[0], output_size[1]])
    }

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
    pub fn adaptive_avg_pool2d(&self, output_size: [usize; 2]) -> Self {
        self.avg_pool(AvgPool::Adaptive(output_size))
    }

    /// Average pooling with either kind of window.
    ///
    /// # Panics
    /// If the input is not 4-D or the windows do not fit.
    #[track_caller]
    pub fn avg_pool(&self, spec: AvgPool) -> Self {
        let [n, c, h, w] = unwrap(nchw("avg_pool2d", self.shape()));
        let win =
            unwrap(Windows::new(&spec, [h, w]).map_err(|e| named("avg_pool2d", self.shape(), e)));
        let [oh, ow] = win.out();
        let out = per_plane(self, h * w, oh * ow, n * c * h * w, |src, dst| {
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
    pub fn avg_pool_adjoint(&self, spec: AvgPool, input_size: [usize; 2]) -> Self {
        let [n, c, oh, ow] = unwrap(nchw("avg_pool2d_adjoint", self.shape()));
        let [h, w] = input_size;
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
        let out = per_plane(self, oh * ow, h * w, n * c * h * w, |g, dst| {
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

/// The maxima of one plane (width `w`), one output row at a time: for each input row and
/// kernel column, every output of the row takes the NaN-propagating maximum with the tap
/// it reads, so the inner loop runs along the row without branches.
fn max_plane<T: Float>(src: &[T], w: usize, p: &Pool2d, win: &Windows, vals: &mut [T]) {
    let ow = win.cols.len();
    let (sw, pw) = (p.stride[1], p.padding[1]);
    // The outputs whose window holds kernel column j (at most a few columns: a small array).
    let mut ranges = [(0, 0); 8];
    let kw = p.kernel[1];
    for (j, r) in ranges.iter_mut().enumerate().take(kw) {
        *r = valid_range(ow, sw, j, pw, w);
    }
    for (oy, &(r0, r1)) in win.rows.iter().enumerate() {
        let best = &mut vals[oy * ow..(oy + 1) * ow];
        best.fill(T::NEG_INFINITY);
        for iy in r0..r1 {
            let row = &src[iy * w..(iy + 1) * w];
            for j in 0..kw {
                let (lo, hi) = if j < 8 {
                    ranges[j]
                } else {
                    valid_range(ow, sw, j, pw, w)
                };
                for (ox, b) in best.iter_mut().enumerate().take(hi).skip(lo) {
                    *b = b.max(row[ox * sw + j - pw]);
                }
            }
        }
    }
}

/// Each window's maximum and its position (`iy·W + ix`), as PyTorch's
/// `val > max || isnan(val)` scan finds them: the NaN-propagating maximum, at the first
/// entry equal to it in row-major window order (the last NaN when it is NaN). Both come
/// from branch-free passes over the window: a running maximum, then a backward scan that
/// keeps the last match, which is the first one in forward order.
fn max_argmax_plane<T: Float>(src: &[T], w: usize, win: &Windows, vals: &mut [T], idx: &mut [T]) {
    let ow = win.cols.len();
    if win.pairs {
        // The common 2×2, stride 2, unpadded window, unrolled: four taps at i, i+1, i+w,
        // i+w+1; the backward select keeps the first of equal maxima.
        for (k, (v, a)) in vals.iter_mut().zip(idx.iter_mut()).enumerate() {
            let i = 2 * (k / ow) * w + 2 * (k % ow);
            let taps = [i, i + 1, i + w, i + w + 1];
            let best = src[i].max(src[i + 1]).max(src[i + w]).max(src[i + w + 1]);
            let mut at = i;
            for &t in taps.iter().rev() {
                at = if src[t] == best { t } else { at };
            }
            if best.is_nan() {
                // PyTorch's scan ends on the last NaN.
                at = taps
                    .into_iter()
                    .filter(|&t| src[t].is_nan())
                    .last()
                    .unwrap_or(i);
            }
            (*v, *a) = (best, T::from_usize(at));
        }
        return;
    }
    for (oy, &(r0, r1)) in win.rows.iter().enumerate() {
        for (ox, &(c0, c1)) in win.cols.iter().enumerate() {
            let mut best = T::NEG_INFINITY;
            for iy in r0..r1 {
                for &v in &src[iy * w + c0..iy * w + c1] {
                    best = best.max(v);
                }
            }
            let mut at = r0 * w + c0;
            if best.is_nan() {
                for iy in r0..r1 {
                    for ix in c0..c1 {
                        at = if src[iy * w + ix].is_nan() {
                            iy * w + ix
                        } else {
                            at
                        };
                    }
                }
            } else {
                for iy in (r0..r1).rev() {
                    for ix in (c0..c1).rev() {
                        at = if src[iy * w + ix] == best {
                            iy * w + ix
                        } else {
                            at
                        };
                    }
                }
            }
            vals[oy * ow + ox] = best;
            idx[oy * ow + ox] = T::from_usize(at);
        }
    }
}

/// Puts the op's name and the input's shape in front of a window error.
fn named(op: &'static str, shape: &[usize], e: TensorError) -> TensorError {
    TensorError::Invalid {
        op,
        reason: format!(
            "input {shape:?}: {}",
            e.to_string().replacen("pool2d: ", "", 1)
        ),
    }
}
