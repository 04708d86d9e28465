//! Max pooling (PyTorch's `max_pool2d`, with `return_indices`) and `max_unpool2d`, the
//! scatter that is its gradient. Windows and the plane-by-plane driver are in `pool.rs`.

use super::im2col::valid_range;
use super::pool::{named, nchw, per_plane, Pool2d, Windows};
use crate::element::Float;
use crate::error::unwrap;
use crate::tensor::Tensor;

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
    #[must_use]
    pub fn max_pool2d(&self, p: Pool2d) -> Self {
        let [n, c, h, w] = unwrap(nchw("max_pool2d", self.shape()));
        if n == 0 || c == 0 {
            return Tensor::zeros(&empty_batch_out(self.shape(), &p));
        }
        let win =
            unwrap(Windows::fixed(&p, [h, w]).map_err(|e| named("max_pool2d", self.shape(), e)));
        let [oh, ow] = win.out();
        unwrap(crate::shape::check_alloc::<T>(
            "max_pool2d",
            &[n, c, oh, ow],
        ));
        let work = [c, oh, ow, p.kernel[0], p.kernel[1]]
            .iter()
            .fold(n, |a, &b| a.saturating_mul(b));
        let vals = per_plane(self, [n * c, h * w], oh * ow, work, |src, dst| {
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
    #[must_use]
    pub fn max_pool2d_with_indices(&self, p: Pool2d) -> (Self, Self) {
        let [n, c, h, w] = unwrap(nchw("max_pool2d", self.shape()));
        // Positions are stored as `T`, which names integers exactly only up to 2^24 (f32)
        // or 2^53 (f64): past that, a gradient would go to a neighbouring pixel.
        let exact = 2.0 / T::EPSILON.to_f64();
        assert!(
            n == 0 || c == 0 || (h.saturating_mul(w) as f64) <= exact + 1.0,
            "max_pool2d: input {:?}: a plane of {h}×{w} positions is more than {} indices \
             name exactly (up to {exact}); pool in f64",
            self.shape(),
            T::NAME
        );
        if n == 0 || c == 0 {
            let shape = empty_batch_out(self.shape(), &p);
            return (Tensor::zeros(&shape), Tensor::zeros(&shape));
        }
        let win =
            unwrap(Windows::fixed(&p, [h, w]).map_err(|e| named("max_pool2d", self.shape(), e)));
        let [oh, ow] = win.out();
        // Both halves of each plane's output (values, then positions) must exist.
        unwrap(crate::shape::check_alloc::<T>(
            "max_pool2d",
            &[n, c, 2, oh, ow],
        ));
        let l = oh * ow;
        let work = [c, l, p.kernel[0], p.kernel[1]]
            .iter()
            .fold(n, |a, &b| a.saturating_mul(b));
        // Each plane's output holds its maxima, then their positions; split apart below.
        let both = per_plane(self, [n * c, h * w], 2 * l, work, |src, dst| {
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
    #[must_use]
    pub fn max_unpool2d(&self, indices: &Self, output_size: [usize; 2]) -> Self {
        let [n, c, oh, ow] = unwrap(nchw("max_unpool2d", self.shape()));
        assert!(
            indices.shape() == self.shape(),
            "max_unpool2d: values {:?} and indices {:?} differ in shape",
            self.shape(),
            indices.shape()
        );
        let shape = [n, c, output_size[0], output_size[1]];
        let len = unwrap(crate::shape::check_alloc::<T>("max_unpool2d", &shape));
        let plane = output_size[0].saturating_mul(output_size[1]); // ≤ len unless len is 0
        if len == 0 {
            // No plane to fill (and the values' own lengths may multiply past
            // `usize::MAX` when they are empty too).
            return Tensor::zeros(&shape);
        }
        let idx = indices.contiguous();
        let idx = idx.as_slice().expect("contiguous");
        let l = oh * ow; // n·c ≥ 1 here, so at most the values' element count
        let src = self.contiguous();
        let src = src.as_slice().expect("contiguous");
        let mut out = vec![T::ZERO; len];
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
        Tensor::from_parts(out, &shape)
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
    // Only the kernel columns that land on the image for some output: `ox·sw + j − pw` in
    // `0..w` for an `ox < ow` (a kernel far wider than the image, padded, has only a few).
    let j_first = pw.saturating_sub((ow.saturating_sub(1)).saturating_mul(sw));
    let j_end = kw.min(w.saturating_add(pw));
    for (oy, &(r0, r1)) in win.rows.iter().enumerate() {
        let best = &mut vals[oy * ow..(oy + 1) * ow];
        best.fill(T::NEG_INFINITY);
        for iy in r0..r1 {
            let row = &src[iy * w..(iy + 1) * w];
            for j in j_first..j_end {
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

/// The output shape of max pooling an empty batch (`N` or `C` of 0), checked as a
/// non-empty one is, without building the windows (its planes are never visited, and its
/// image may be too large to list).
#[track_caller]
fn empty_batch_out(shape: &[usize], p: &Pool2d) -> [usize; 4] {
    let [oh, ow] = unwrap(
        Windows::fixed_size(p, [shape[2], shape[3]]).map_err(|e| named("max_pool2d", shape, e)),
    );
    [shape[0], shape[1], oh, ow]
}
