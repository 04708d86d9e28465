//! The strided walks of [`super::map`], [`super::zip_map`] and [`super::reduce_into`] as
//! [`crate::simd::Kernel`]s, each with the per-run work in a [`RunVisitor`] struct, so
//! the whole walk is compiled for the instruction set [`crate::simd`] chose (as closures
//! they were left out of the dispatched function and ran with SSE; decision 46).

use std::mem::MaybeUninit;

use super::{coalesce, for_each_run, write_map, write_zip, RunVisitor};
use crate::layout::Layout;

/// [`super::map`]'s strided walk, run with the dispatched instruction set: each run is written
/// to the next `len` slots of `out`.
pub(super) struct MapRuns<'a, T, U, F> {
    pub(super) out: &'a mut [MaybeUninit<U>],
    pub(super) data: &'a [T],
    pub(super) layout: &'a Layout,
    pub(super) f: &'a F,
}

impl<T: Copy, U, F: Fn(T) -> U> crate::simd::Kernel for MapRuns<'_, T, U, F> {
    #[inline(always)]
    fn run(self) {
        let visitor = MapRun {
            out: self.out,
            pos: 0,
            data: self.data,
            f: self.f,
        };
        let layout = self.layout;
        for_each_run(
            layout.shape(),
            [layout.strides()],
            [layout.offset()],
            visitor,
        );
    }
}

/// Writes one run of [`MapRuns`] at `pos`.
struct MapRun<'a, T, U, F> {
    out: &'a mut [MaybeUninit<U>],
    pos: usize,
    data: &'a [T],
    f: &'a F,
}

impl<T: Copy, U, F: Fn(T) -> U> RunVisitor<1> for MapRun<'_, T, U, F> {
    #[inline(always)]
    fn visit(&mut self, [o]: [usize; 1], [s]: [usize; 1], len: usize) {
        let (data, f) = (self.data, self.f);
        let dst = &mut self.out[self.pos..self.pos + len];
        match s {
            1 => write_map(dst, &data[o..o + len], f),
            0 => dst.iter_mut().for_each(|d| {
                d.write(f(data[o]));
            }),
            _ => {
                for (i, d) in dst.iter_mut().enumerate() {
                    d.write(f(data[o + i * s]));
                }
            }
        }
        self.pos += len;
    }
}

/// [`super::zip_map`]'s strided walk, run with the dispatched instruction set: each run of the
/// two operands is written to the next `len` slots of `out`.
pub(super) struct ZipRuns<'a, T, F> {
    pub(super) out: &'a mut [MaybeUninit<T>],
    pub(super) a: &'a [T],
    pub(super) la: &'a Layout,
    pub(super) b: &'a [T],
    pub(super) lb: &'a Layout,
    pub(super) f: &'a F,
}

impl<T: Copy, F: Fn(T, T) -> T> crate::simd::Kernel for ZipRuns<'_, T, F> {
    #[inline(always)]
    fn run(self) {
        let (strides, offsets) = (
            [self.la.strides(), self.lb.strides()],
            [self.la.offset(), self.lb.offset()],
        );
        let visitor = ZipRun {
            out: self.out,
            pos: 0,
            a: self.a,
            b: self.b,
            f: self.f,
        };
        for_each_run(self.la.shape(), strides, offsets, visitor);
    }
}

/// Writes one run of [`ZipRuns`] at `pos`.
struct ZipRun<'a, T, F> {
    out: &'a mut [MaybeUninit<T>],
    pos: usize,
    a: &'a [T],
    b: &'a [T],
    f: &'a F,
}

impl<T: Copy, F: Fn(T, T) -> T> RunVisitor<2> for ZipRun<'_, T, F> {
    #[inline(always)]
    fn visit(&mut self, [oa, ob]: [usize; 2], [sa, sb]: [usize; 2], len: usize) {
        let (a, b, f) = (self.a, self.b, self.f);
        let dst = &mut self.out[self.pos..self.pos + len];
        match (sa, sb) {
            (1, 1) => write_zip(dst, &a[oa..oa + len], &b[ob..ob + len], f),
            (1, 0) => {
                let y = b[ob];
                write_map(dst, &a[oa..oa + len], &|x| f(x, y));
            }
            (0, 1) => {
                let x = a[oa];
                write_map(dst, &b[ob..ob + len], &|y| f(x, y));
            }
            _ => {
                for (i, d) in dst.iter_mut().enumerate() {
                    d.write(f(a[oa + i * sa], b[ob + i * sb]));
                }
            }
        }
        self.pos += len;
    }
}

/// [`super::reduce_into`]'s walk, run with the dispatched instruction set.
pub(super) struct ReduceInto<'a, T, C> {
    pub(super) dst: &'a mut [T],
    pub(super) dst_layout: &'a Layout,
    pub(super) src: &'a [T],
    pub(super) src_layout: &'a Layout,
    pub(super) combine: &'a C,
}

impl<T: Copy, C: Fn(T, T) -> T> crate::simd::Kernel for ReduceInto<'_, T, C> {
    #[inline(always)]
    fn run(self) {
        let (shape, dst_strides) = (self.src_layout.shape(), self.dst_layout.strides());
        let (src_strides, offsets) = (
            self.src_layout.strides(),
            [self.dst_layout.offset(), self.src_layout.offset()],
        );
        // Summing the rows of a matrix into one row (a bias gradient, a mean over the
        // batch): the row-by-row walk below would store the output row and load it back
        // for every source row; folding column blocks in registers adds in the same order.
        if !shape.contains(&0) {
            let (merged, [d, s]) = coalesce(shape, [dst_strides, src_strides]);
            if merged.len() == 2 && d[..] == [0, 1] && s[1] == 1 {
                let (rows, cols) = (merged[0], merged[1]);
                let out = &mut self.dst[offsets[0]..offsets[0] + cols];
                fold_rows(out, self.src, offsets[1], s[0], rows, self.combine);
                return;
            }
        }
        for_each_run(
            shape,
            [dst_strides, src_strides],
            offsets,
            FoldRuns {
                dst: self.dst,
                src: self.src,
                combine: self.combine,
            },
        );
    }
}

/// `dst[j] = combine(…combine(dst[j], src[r0][j])…, src[rows - 1][j])` for the `rows`
/// source rows starting at `start`, `row_stride` apart: the same order as folding one
/// row after another, with a block of 64 outputs held in registers over all rows.
#[inline(always)]
fn fold_rows<T: Copy>(
    dst: &mut [T],
    src: &[T],
    start: usize,
    row_stride: usize,
    rows: usize,
    combine: &impl Fn(T, T) -> T,
) {
    const BLOCK: usize = 64;
    let cols = dst.len();
    let row = |r: usize| &src[start + r * row_stride..start + r * row_stride + cols];
    let mut blocks = dst.chunks_exact_mut(BLOCK);
    for (b, out) in (&mut blocks).enumerate() {
        let mut acc: [T; BLOCK] = (&*out).try_into().expect("a full block");
        for r in 0..rows {
            let x: &[T; BLOCK] = row(r)[b * BLOCK..(b + 1) * BLOCK]
                .try_into()
                .expect("a full block");
            for j in 0..BLOCK {
                acc[j] = combine(acc[j], x[j]);
            }
        }
        out.copy_from_slice(&acc);
    }
    let tail = blocks.into_remainder();
    let first = cols - tail.len();
    for r in 0..rows {
        for (d, &x) in tail.iter_mut().zip(&row(r)[first..]) {
            *d = combine(*d, x);
        }
    }
}

/// Folds each run of the source into the output (see [`super::reduce_into`]).
struct FoldRuns<'a, T, C> {
    dst: &'a mut [T],
    src: &'a [T],
    combine: &'a C,
}

impl<T: Copy, C: Fn(T, T) -> T> RunVisitor<2> for FoldRuns<'_, T, C> {
    #[inline(always)]
    fn visit(&mut self, [od, os]: [usize; 2], [sd, ss]: [usize; 2], len: usize) {
        let (dst, src, combine) = (&mut *self.dst, self.src, self.combine);
        match (sd, ss) {
            (0, 1) => dst[od] = fold_lanes(dst[od], &src[os..os + len], combine),
            (0, _) => {
                let mut acc = dst[od];
                for i in 0..len {
                    acc = combine(acc, src[os + i * ss]);
                }
                dst[od] = acc;
            }
            (1, 1) => {
                for (d, &x) in dst[od..od + len].iter_mut().zip(&src[os..os + len]) {
                    *d = combine(*d, x);
                }
            }
            _ => {
                for i in 0..len {
                    let d = &mut dst[od + i * sd];
                    *d = combine(*d, src[os + i * ss]);
                }
            }
        }
    }
}

/// Folds a slice into `init` using 8 independent accumulators, combined at the end. The
/// order of operations is fixed, so results do not depend on the SIMD level.
#[inline(always)]
pub(super) fn fold_lanes<T: Copy>(init: T, xs: &[T], combine: &impl Fn(T, T) -> T) -> T {
    const LANES: usize = 8;
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    let mut acc = init;
    if xs.len() >= 2 * LANES {
        let mut lanes: [T; LANES] = xs[..LANES].try_into().unwrap();
        for c in chunks.skip(1) {
            for l in 0..LANES {
                lanes[l] = combine(lanes[l], c[l]);
            }
        }
        for &l in &lanes {
            acc = combine(acc, l);
        }
    } else {
        for c in chunks {
            for &x in c {
                acc = combine(acc, x);
            }
        }
    }
    for &x in tail {
        acc = combine(acc, x);
    }
    acc
}
