//! Matrix multiplication through the `gemm` crate, with NumPy's `matmul` semantics:
//! 1-D operands are promoted (and the added axis removed again), batch axes broadcast.
//!
//! Operand strides go straight to gemm, so a transposed or sliced view is never copied.
//! A single large product lets gemm use threads; a batch of products is split over the
//! batch instead (each product on one thread). Both only above the thresholds in
//! [`crate::parallel`].

use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::parallel::{for_each, split_matmul};
use crate::shape::{broadcast_shapes, numel, Dims};
use crate::storage::Storage;
use crate::tensor::Tensor;

/// Where one operand matrix lives: offset of element `[0, 0]`, row stride, column stride.
#[derive(Clone, Copy)]
pub(crate) struct MatrixView {
    pub(crate) offset: usize,
    pub(crate) row_stride: isize,
    pub(crate) col_stride: isize,
}

impl<T: Float> Tensor<T> {
    /// Matrix product with NumPy/PyTorch `matmul` semantics.
    ///
    /// * 2-D × 2-D: `[m, k] · [k, n] → [m, n]`.
    /// * 1-D operands: a vector on the left is a row `[1, k]`, on the right a column
    ///   `[k, 1]`; the added axis is removed from the result.
    /// * N-D: the last two axes are matrices, the leading axes are batch axes and
    ///   broadcast (`[b, 1, m, k] · [h, k, n] → [b, h, m, n]`).
    ///
    /// # Panics
    /// If an operand is 0-D, the inner lengths differ, or the batch axes do not broadcast;
    /// see [`Tensor::try_matmul`].
    ///
    /// ```
    /// use tensor::Tensor;
    /// let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let b = Tensor::from([[5.0f32, 6.0], [7.0, 8.0]]);
    /// assert_eq!(a.matmul(&b).to_vec(), vec![19.0, 22.0, 43.0, 50.0]);
    /// assert_eq!(a.matmul(&b.t()).to_vec(), vec![17.0, 23.0, 39.0, 53.0]); // no copy of b
    /// ```
    #[track_caller]
    #[must_use]
    pub fn matmul(&self, other: &Self) -> Self {
        unwrap(self.try_matmul(other))
    }

    /// Matrix product, or an error naming both shapes.
    pub fn try_matmul(&self, other: &Self) -> Result<Self> {
        let fail = |reason: &str| TensorError::Invalid {
            op: "matmul",
            reason: format!(
                "shapes {:?} and {:?}: {reason}",
                self.shape(),
                other.shape()
            ),
        };
        if self.ndim() == 0 || other.ndim() == 0 {
            return Err(fail("both operands need at least one axis"));
        }
        let a = if self.ndim() == 1 {
            self.unsqueeze(0)
        } else {
            self.clone()
        };
        let b = if other.ndim() == 1 {
            other.unsqueeze(-1)
        } else {
            other.clone()
        };
        let (m, k) = (a.shape()[a.ndim() - 2], a.shape()[a.ndim() - 1]);
        let (k2, n) = (b.shape()[b.ndim() - 2], b.shape()[b.ndim() - 1]);
        if k != k2 {
            return Err(fail(&format!("inner lengths differ ({k} vs {k2})")));
        }
        if a.ndim() == 2 && b.ndim() == 2 {
            return self.matmul_2d(other, &a, &b);
        }
        let batch = broadcast_shapes(&a.shape()[..a.ndim() - 2], &b.shape()[..b.ndim() - 2])
            .map_err(|_| fail("batch axes do not broadcast"))?;
        let mut out_shape: Dims = batch.clone();
        out_shape.extend([m, n]);
        let a = a.broadcast_to(&[&batch[..], &[m, k]].concat());
        let b = b.broadcast_to(&[&batch[..], &[k, n]].concat());
        // gemm needs distinct rows and columns: a broadcast matrix axis is made real.
        let a = if a.strides()[a.ndim() - 2..].contains(&0) {
            a.try_contiguous("matmul")?
        } else {
            a
        };
        let b = if b.strides()[b.ndim() - 2..].contains(&0) {
            b.try_contiguous("matmul")?
        } else {
            b
        };

        let len = crate::shape::check_alloc::<T>("matmul", &out_shape)?;
        // Every path below writes all of it (gemm does not read it), or k = 0 and it
        // must be zero.
        let mut storage: Storage<T> = if k == 0 {
            crate::recycle::zeroed(len)
        } else {
            crate::recycle::scratch(len)
        };
        let out = storage.get_mut().expect("new storage is unique");
        if len > 0 && k > 0 {
            let views_a = batch_views(&a, &batch);
            let views_b = batch_views(&b, &batch);
            // Saturating: only a thresholding decision uses it.
            let flops = 2usize.saturating_mul(m).saturating_mul(n).saturating_mul(k);
            let count = views_a.len();
            if count == 1 {
                gemm_one(
                    out,
                    m,
                    n,
                    k,
                    &a.storage,
                    views_a[0],
                    &b.storage,
                    views_b[0],
                    split_matmul(flops),
                );
            } else if split_matmul(flops.saturating_mul(count)) {
                for_each(out.chunks_mut(m * n).enumerate(), |(i, dst)| {
                    gemm_one(
                        dst, m, n, k, &a.storage, views_a[i], &b.storage, views_b[i], false,
                    );
                });
            } else {
                for (i, dst) in out.chunks_mut(m * n).enumerate() {
                    gemm_one(
                        dst, m, n, k, &a.storage, views_a[i], &b.storage, views_b[i], false,
                    );
                }
            }
        }
        Ok(unpromote(
            Tensor::from_storage(storage, &out_shape),
            self.ndim(),
            other.ndim(),
        ))
    }
}

impl<T: Float> Tensor<T> {
    /// The product of two matrices `a [m, k]` and `b [k, n]` (the promoted operands of
    /// `self · other`, inner lengths checked): no batch axes to broadcast, so the views go
    /// straight to gemm.
    fn matmul_2d(&self, other: &Self, a: &Self, b: &Self) -> Result<Self> {
        let (m, k, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
        let view = |t: &Tensor<T>| MatrixView {
            offset: t.layout().offset(),
            row_stride: t.strides()[0] as isize,
            col_stride: t.strides()[1] as isize,
        };
        // gemm needs distinct rows and columns; a broadcast (stride-0) axis is made real.
        let real = |t: &Tensor<T>| -> Result<Tensor<T>> {
            if t.strides().contains(&0) {
                t.try_contiguous("matmul")
            } else {
                Ok(t.clone())
            }
        };
        let (a, b) = (real(a)?, real(b)?);
        let len = crate::shape::check_alloc::<T>("matmul", &[m, n])?;
        let mut storage: Storage<T> = if k == 0 {
            crate::recycle::zeroed(len)
        } else {
            crate::recycle::scratch(len)
        };
        let out = storage.get_mut().expect("new storage is unique");
        if len > 0 && k > 0 {
            let flops = 2usize.saturating_mul(m).saturating_mul(n).saturating_mul(k);
            gemm_one(
                out,
                m,
                n,
                k,
                &a.storage,
                view(&a),
                &b.storage,
                view(&b),
                split_matmul(flops),
            );
        }
        Ok(unpromote(
            Tensor::from_storage(storage, &[m, n]),
            self.ndim(),
            other.ndim(),
        ))
    }
}

/// Removes the axes `matmul` added to 1-D operands (`lhs_ndim`, `rhs_ndim`: the
/// operands' ranks as given).
fn unpromote<T: Float>(mut result: Tensor<T>, lhs_ndim: usize, rhs_ndim: usize) -> Tensor<T> {
    if rhs_ndim == 1 {
        result = result.squeeze(-1);
    }
    if lhs_ndim == 1 {
        result = result.squeeze(if rhs_ndim == 1 { -1 } else { -2 });
    }
    result
}

/// The matrix view of every batch entry of `t` (shape `[batch.., rows, cols]`), in
/// row-major batch order.
fn batch_views<T: Float>(t: &Tensor<T>, batch: &[usize]) -> Vec<MatrixView> {
    let nd = t.ndim();
    let strides = t.strides();
    let (row_stride, col_stride) = (strides[nd - 2] as isize, strides[nd - 1] as isize);
    let mut views = Vec::with_capacity(numel(batch));
    let mut index = vec![0usize; batch.len()];
    for _ in 0..numel(batch) {
        let offset =
            t.layout().offset() + index.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>();
        views.push(MatrixView {
            offset,
            row_stride,
            col_stride,
        });
        crate::shape::next_index(&mut index, batch);
    }
    views
}

/// `dst[m×n] = A·B` for one pair of matrix views, `dst` row-major.
#[allow(clippy::too_many_arguments)]
fn gemm_one<T: Float>(
    dst: &mut [T],
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    va: MatrixView,
    b: &[T],
    vb: MatrixView,
    parallel: bool,
) {
    gemm_into(dst, m, n, k, a, va, b, vb, false, parallel);
}

/// `dst[m×n] = A·B`, or `dst += A·B` if `accumulate`, for one pair of matrix views with
/// `dst` row-major and contiguous (the convolution kernels share this with `matmul`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_into<T: Float>(
    dst: &mut [T],
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    va: MatrixView,
    b: &[T],
    vb: MatrixView,
    accumulate: bool,
    parallel: bool,
) {
    assert_eq!(dst.len(), m * n);
    if m == 0 || n == 0 || k == 0 {
        if !accumulate {
            dst.fill(T::ZERO);
        }
        return;
    }
    // Bounds of the last element each view touches, checked so the unsafe call below
    // stays in the slices.
    let last = |v: MatrixView, rows: usize, cols: usize| {
        v.offset + (rows - 1) * v.row_stride as usize + (cols - 1) * v.col_stride as usize
    };
    assert!(last(va, m, k) < a.len() && last(vb, k, n) < b.len());
    let parts = if parallel { parts(m, n) } else { 1 };
    if parts > 1 {
        gemm_split(dst, (m, n, k), a, va, b, vb, accumulate, parts);
        return;
    }
    // An output too small or thin to cut still uses gemm's own threading when large.
    let parallelism = if parallel {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: every element addressed by (offset, strides, m, n, k) lies inside `a`, `b`
    // and `dst` (checked above), and `dst` does not alias the inputs (it is a `&mut`
    // slice, so no shared slice can overlap it).
    unsafe {
        gemm_block(
            dst.as_mut_ptr(),
            n,
            (m, n, k),
            a.as_ptr().add(va.offset),
            va,
            b.as_ptr().add(vb.offset),
            vb,
            accumulate,
            parallelism,
        );
    }
}

/// Output rows or columns per part below which a product is not split further.
const MIN_PART: usize = 128;

/// The shorter output side below which a product is not split at all (see [`parts`]).
const MIN_SHORT: usize = 16;

/// Into how many parts [`gemm_split`] cuts an `m × n` output that may use threads: one
/// per thread along the longer axis, each at least [`MIN_PART`] long (to within 16).
///
/// Same bits on any number of threads: gemm blocks the inner axis by a length that
/// depends on `k` alone (`gemm-common`'s `kernel_params`) except on its small-output
/// paths (both sides ≤ 64, at most 256 elements, or one side of 1), which sum in
/// another order. So an output is cut only if its shorter side is at least
/// [`MIN_SHORT`], which keeps the whole product and every part off those paths; a thin
/// output, or one too short to cut (longer side under `2·MIN_PART`), stays whole (1) and
/// goes to gemm's own threading, which partitions the output without changing the sums.
fn parts(m: usize, n: usize) -> usize {
    if m.min(n) < MIN_SHORT {
        1
    } else {
        crate::parallel::threads().min(m.max(n) / MIN_PART).max(1)
    }
}

/// `dst = A·B` (or `+=`) in `parts` pieces on the rayon pool: the longer of the output's
/// two axes is cut (boundaries on multiples of 16), each piece one single-threaded gemm
/// call writing its own rows or columns. Measured on the large MLP's products (2
/// threads), this beats gemm's own threading by 5–15 %. The caller (`gemm_into`) has
/// checked the views against the slices.
#[allow(clippy::too_many_arguments)]
fn gemm_split<T: Float>(
    dst: &mut [T],
    (m, n, k): (usize, usize, usize),
    a: &[T],
    va: MatrixView,
    b: &[T],
    vb: MatrixView,
    accumulate: bool,
    parts: usize,
) {
    let along_rows = m >= n;
    let long = m.max(n);
    // Part p covers [bound(p), bound(p + 1)): rounded down to a multiple of 16, each part
    // is within 16 of `long / parts` ≥ MIN_PART.
    let bound = |p: usize| {
        if p == parts {
            long
        } else {
            // In u128: `p · long` may not fit a usize for a very long, thin output.
            (p as u128 * long as u128 / parts as u128) as usize / 16 * 16
        }
    };
    let dst_ptr = SendPtr(dst.as_mut_ptr());
    let run = |p: usize| {
        let (start, end) = (bound(p), bound(p + 1));
        // Where the part starts in `dst`, `A` and `B`, and its size.
        let (dst_at, a_at, b_at, size) = if along_rows {
            let a_at = start as isize * va.row_stride;
            (start * n, a_at, 0, (end - start, n, k))
        } else {
            let b_at = start as isize * vb.col_stride;
            (start, 0, b_at, (m, end - start, k))
        };
        let dst_ptr = &dst_ptr;
        // SAFETY: part `p` covers output rows (or columns) `start..end`, inside `0..long`,
        // so it addresses a subset of the elements the caller checked for the whole
        // product; parts cover disjoint rows (columns) of `dst`, so no two threads write
        // the same element, and `dst` is borrowed mutably for the whole call, so nothing
        // else reads or writes it.
        unsafe {
            gemm_block(
                dst_ptr.0.add(dst_at),
                n,
                size,
                a.as_ptr().add(va.offset).offset(a_at),
                va,
                b.as_ptr().add(vb.offset).offset(b_at),
                vb,
                accumulate,
                gemm::Parallelism::None,
            );
        }
    };
    for_each(0..parts, run);
}

/// The output pointer shared by [`gemm_split`]'s parts (each writes its own rows or
/// columns).
struct SendPtr<T>(*mut T);
// SAFETY: the pointer is only used by `gemm_split`, whose parts write disjoint parts of
// the output.
unsafe impl<T> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SendPtr<T> {}

/// One gemm call: `dst[m×n] = A·B` (or `+=` if `accumulate`), `dst` with
/// row stride `dst_rs` and column stride 1, `a` and `b` pointing at element `[0, 0]` of
/// their views (the views' offsets already applied).
///
/// # Safety
/// Every element addressed by the pointers, strides and `m, n, k` must be in bounds, and
/// the `dst` elements must not overlap the inputs or be accessed by anyone else meanwhile.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_block<T: Float>(
    dst: *mut T,
    dst_rs: usize,
    (m, n, k): (usize, usize, usize),
    a: *const T,
    va: MatrixView,
    b: *const T,
    vb: MatrixView,
    accumulate: bool,
    parallelism: gemm::Parallelism,
) {
    // gemm computes dst = alpha·dst + beta·A·B, reading dst only if `read_dst`.
    let alpha = if accumulate { T::ONE } else { T::ZERO };
    // SAFETY: the caller's contract; `T` is f32 or f64, which gemm supports.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            accumulate,
            a,
            va.col_stride,
            va.row_stride,
            b,
            vb.col_stride,
            vb.row_stride,
            alpha,
            T::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
}
