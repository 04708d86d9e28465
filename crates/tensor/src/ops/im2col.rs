//! The lowering behind the convolution kernels (`conv.rs`): the [`Geometry`] of one
//! convolution, im2col (receptive fields into the columns of a matrix) and its adjoint
//! col2im, and the small helpers that lay out gemm operands.

use super::conv::{Conv2dParams, CHUNK_ELEMENTS};
use super::matmul::MatrixView;
use crate::element::Float;
use crate::error::{Result, TensorError};
use crate::parallel::{split_batch, threads};

/// Every length in one convolution: the input `[n, c, h, w]`, the weight `[o, c/g, kh, kw]`
/// and the output `[n, o, oh, ow]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geometry {
    pub(super) n: usize,
    pub(super) c: usize,
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) o: usize,
    pub(super) kh: usize,
    pub(super) kw: usize,
    pub(super) oh: usize,
    pub(super) ow: usize,
    pub(super) p: Conv2dParams,
}

impl Geometry {
    /// Checks the shapes of an input, a weight and the parameters.
    pub(super) fn new(
        op: &'static str,
        input: &[usize],
        weight: &[usize],
        p: Conv2dParams,
    ) -> Result<Geometry> {
        let fail = |reason: String| TensorError::Invalid {
            op,
            reason: format!("input {input:?}, weight {weight:?}: {reason}"),
        };
        if input.len() != 4 || weight.len() != 4 {
            return Err(fail(
                "expected input [N, C, H, W] and weight [out, in/groups, kh, kw]".into(),
            ));
        }
        let g = p.groups;
        if g == 0 || !input[1].is_multiple_of(g) || !weight[0].is_multiple_of(g) {
            return Err(fail(format!(
                "{g} groups must divide both the input channels and the output channels"
            )));
        }
        if weight[1] != input[1] / g {
            return Err(fail(format!(
                "the weight expects {} input channels per group, the input has {}",
                weight[1],
                input[1] / g
            )));
        }
        let [oh, ow] = p
            .output_size([input[2], input[3]], [weight[2], weight[3]])
            .map_err(|e| fail(e.to_string().replacen("conv2d: ", "", 1)))?;
        // The products the kernels compute (positions per sample, a sample's unfolded
        // columns, its output) must not overflow, even for an empty batch.
        let (c, kh, kw, o) = (input[1], weight[2], weight[3], weight[0]);
        crate::shape::try_numel(op, &[oh, ow])?;
        crate::shape::try_numel(op, &[c, kh, kw, oh, ow])?;
        crate::shape::try_numel(op, &[o, oh, ow])?;
        crate::shape::try_numel(op, &[input[0], o, oh, ow])?;
        Ok(Geometry {
            n: input[0],
            c: input[1],
            h: input[2],
            w: input[3],
            o: weight[0],
            kh: weight[2],
            kw: weight[3],
            oh,
            ow,
            p,
        })
    }

    /// Output positions per sample.
    pub(super) fn l(&self) -> usize {
        self.oh * self.ow
    }
    /// Rows of `cols` (and columns of the weight matrix) per group.
    pub(super) fn kg(&self) -> usize {
        self.c / self.p.groups * self.kh * self.kw
    }
    /// Output channels per group.
    pub(super) fn og(&self) -> usize {
        self.o / self.p.groups
    }
    /// Multiply-adds of one pass (forward, or either adjoint), times two.
    pub(super) fn flops(&self) -> usize {
        // Saturating: only a thresholding decision uses it.
        [self.n, self.o, self.l(), self.kg()]
            .iter()
            .fold(2usize, |acc, &d| acc.saturating_mul(d))
    }
    /// Samples lowered together: as many as fit [`CHUNK_ELEMENTS`], but enough chunks to
    /// keep every thread busy when the work is split.
    pub(super) fn chunk(&self) -> usize {
        let per_sample = (self.c * self.kh * self.kw * self.l()).max(1);
        let mut b = (CHUNK_ELEMENTS / per_sample).clamp(1, self.n.max(1));
        if split_batch(self.flops(), self.n) {
            b = b.min(self.n.div_ceil(threads()));
        }
        b
    }
    pub(super) fn out_shape(&self) -> [usize; 4] {
        [self.n, self.o, self.oh, self.ow]
    }

    /// Checks that the buffers of a forward convolution, its output and a chunk's
    /// unfolded columns, can be allocated (a huge padding asks for terabytes): an error
    /// naming `op` rather than an abort.
    pub(super) fn check_alloc<T>(&self, op: &'static str) -> Result<()> {
        crate::shape::check_alloc::<T>(op, &self.out_shape())?;
        if self.n > 0 {
            crate::shape::check_alloc::<T>(
                op,
                &[self.c, self.kh, self.kw, self.chunk(), self.l()],
            )?;
        }
        Ok(())
    }
}

/// The output positions `ox` whose tap at offset `off = j·d` reads inside `0..len`:
/// `0 ≤ ox·s + off − p < len`.
pub(super) fn valid_range(
    out_len: usize,
    s: usize,
    off: usize,
    p: usize,
    len: usize,
) -> (usize, usize) {
    let lo = if p > off { (p - off).div_ceil(s) } else { 0 };
    let hi = if len + p > off {
        ((len + p - off - 1) / s + 1).min(out_len)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// Visits each (row `(c, i, j)` of cols, sample `b`, output row `oy`) with the matching
/// input row, the valid output columns and the input column of the first valid one.
/// `visit(cols_offset, input_row_offset or None when the row is padding, lo, hi, ix_lo)`.
fn walk(
    geo: &Geometry,
    samples: usize,
    mut visit: impl FnMut(usize, Option<usize>, usize, usize, usize),
) {
    let (l, bl) = (geo.l(), samples * geo.l());
    let [sh, sw] = geo.p.stride;
    let [ph, pw] = geo.p.padding;
    let [dh, dw] = geo.p.dilation;
    for c in 0..geo.c {
        for i in 0..geo.kh {
            for j in 0..geo.kw {
                let row = (c * geo.kh + i) * geo.kw + j;
                let (lo, hi) = valid_range(geo.ow, sw, j * dw, pw, geo.w);
                let ix_lo = (lo * sw + j * dw).saturating_sub(pw);
                for b in 0..samples {
                    let plane = (b * geo.c + c) * geo.h * geo.w;
                    for oy in 0..geo.oh {
                        let at = row * bl + b * l + oy * geo.ow;
                        let iy = (oy * sh + i * dh).checked_sub(ph).filter(|&y| y < geo.h);
                        visit(at, iy.map(|y| plane + y * geo.w), lo, hi, ix_lo);
                    }
                }
            }
        }
    }
}

/// Copies the receptive fields of `samples` consecutive samples of `x` into `cols`
/// (`[c·kh·kw, samples·oh·ow]`, zeros where the kernel reads padding).
pub(super) fn im2col<T: Float>(geo: &Geometry, x: &[T], samples: usize, cols: &mut [T]) {
    let (ow, sw) = (geo.ow, geo.p.stride[1]);
    // Zeros go where the kernel reads padding. Without padding there are none. On small
    // images one fill of the whole buffer beats a fill call per few-float run; on larger
    // ones the runs are long and only their padded ends are filled.
    let padded = geo.p.padding != [0, 0];
    let whole = padded && ow < 16;
    if whole {
        cols.fill(T::ZERO);
    }
    walk(geo, samples, |at, src, lo, hi, ix| {
        if padded && !whole {
            let dst = &mut cols[at..at + ow];
            if src.is_none() || hi <= lo {
                dst.fill(T::ZERO);
                return;
            }
            dst[..lo].fill(T::ZERO);
            dst[hi..].fill(T::ZERO);
        }
        if let (Some(row), true) = (src, hi > lo) {
            let dst = &mut cols[at + lo..at + hi];
            let src = &x[row + ix..];
            if sw == 1 {
                copy_run(dst, &src[..hi - lo]);
            } else {
                for (k, d) in dst.iter_mut().enumerate() {
                    *d = src[k * sw];
                }
            }
        }
    });
}

/// `dst.copy_from_slice(src)` for the short runs of small images without a call to
/// `memcpy` per run: runs of 4 to 15 elements are copied as two overlapping fixed-size
/// blocks (which compile to plain moves), shorter ones element by element.
#[inline(always)]
fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    let n = dst.len();
    if n >= 16 {
        dst.copy_from_slice(src);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..n]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..n]);
    } else {
        // At most three: written out, so the compiler does not turn a loop into a call.
        if n > 0 {
            dst[0] = src[0];
        }
        if n > 1 {
            dst[1] = src[1];
        }
        if n > 2 {
            dst[2] = src[2];
        }
    }
}

/// The adjoint of [`im2col`]: adds every entry of `cols` onto the pixel of `dx` it was
/// copied from (padding entries are dropped).
pub(super) fn col2im<T: Float>(geo: &Geometry, cols: &[T], samples: usize, dx: &mut [T]) {
    let sw = geo.p.stride[1];
    walk(geo, samples, |at, dst, lo, hi, ix| {
        if let (Some(row), true) = (dst, hi > lo) {
            let src = &cols[at + lo..at + hi];
            if sw == 1 {
                let dst = &mut dx[row + ix..row + ix + src.len()];
                dst.iter_mut().zip(src).for_each(|(d, &v)| *d += v);
            } else {
                let dst = &mut dx[row + ix..];
                for (k, &v) in src.iter().enumerate() {
                    dst[k * sw] += v;
                }
            }
        }
    });
}

/// A row-major matrix view at `offset` with `cols` columns (or its transpose).
pub(super) fn view(offset: usize, cols: usize, transposed: bool) -> MatrixView {
    let (row_stride, col_stride) = if transposed {
        (1, cols as isize)
    } else {
        (cols as isize, 1)
    };
    MatrixView {
        offset,
        row_stride,
        col_stride,
    }
}

/// Reorders `[samples, o, l]` (NCHW) into `[o, samples·l]` (`to_rows`) or back.
pub(super) fn regroup<T: Float>(
    src: &[T],
    dst: &mut [T],
    samples: usize,
    o: usize,
    l: usize,
    to_rows: bool,
) {
    for b in 0..samples {
        for c in 0..o {
            let (nchw, rows) = ((b * o + c) * l, c * samples * l + b * l);
            let (from, to) = if to_rows { (nchw, rows) } else { (rows, nchw) };
            dst[to..to + l].copy_from_slice(&src[from..from + l]);
        }
    }
}
