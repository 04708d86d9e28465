//! The one place that decides between the contiguous fast path and the strided path.
//!
//! Kernels hand a plain per-element closure to [`map`], [`zip_map`] or [`reduce_into`]; this
//! file walks the operands' layouts and calls it. It first *coalesces* axes (merges
//! neighbours that are contiguous with each other in every operand), so a contiguous
//! tensor becomes one run and `x + bias` becomes one run per row. Each run is a plain
//! slice loop, run through [`crate::simd`] so it vectorizes for the CPU at hand (the
//! strided walks are [`crate::simd::Kernel`] structs with [`RunVisitor`]s, so the whole
//! walk is compiled for the chosen instruction set). Large contiguous maps are split
//! across threads (see [`crate::parallel`]).

use std::mem::MaybeUninit;
use std::sync::Arc;

use rayon::prelude::*;
use smallvec::SmallVec;

use crate::layout::Layout;
use crate::parallel::{split_elementwise, PARALLEL_CHUNK};
use crate::simd::dispatch;

type Axes = SmallVec<[usize; 6]>;

/// Shape and per-operand strides after merging axes that are contiguous in every operand
/// and dropping axes of length 1.
fn coalesce<const N: usize>(shape: &[usize], strides: [&[usize]; N]) -> (Axes, [Axes; N]) {
    let mut out_shape = Axes::new();
    let mut out_strides: [Axes; N] = std::array::from_fn(|_| Axes::new());
    for k in 0..shape.len() {
        let d = shape[k];
        if d == 1 {
            continue;
        }
        let mergeable = !out_shape.is_empty()
            && (0..N).all(|i| *out_strides[i].last().unwrap() == strides[i][k] * d);
        if mergeable {
            *out_shape.last_mut().unwrap() *= d;
            for i in 0..N {
                *out_strides[i].last_mut().unwrap() = strides[i][k];
            }
        } else {
            out_shape.push(d);
            for i in 0..N {
                out_strides[i].push(strides[i][k]);
            }
        }
    }
    (out_shape, out_strides)
}

/// What [`for_each_run`] calls once per run: `starts` (each operand's storage index of
/// the run's first element), the operands' strides along the run, and its length.
///
/// Any `FnMut([usize; N], [usize; N], usize)` closure is one. A kernel that must run with
/// the instruction set [`crate::simd`] chose implements it on a struct instead, with the
/// method `#[inline(always)]`: LLVM may decline to inline a large closure into the
/// dispatched function, which then runs with baseline (SSE2) instructions.
pub trait RunVisitor<const N: usize> {
    /// Visits one run.
    fn visit(&mut self, starts: [usize; N], strides: [usize; N], len: usize);
}

impl<const N: usize, F: FnMut([usize; N], [usize; N], usize)> RunVisitor<N> for F {
    #[inline(always)]
    fn visit(&mut self, starts: [usize; N], strides: [usize; N], len: usize) {
        self(starts, strides, len);
    }
}

/// Calls `f.visit(starts, inner_strides, len)` once per run along the innermost axis,
/// visiting the elements of `shape` in row-major order for `N` operands at once.
#[inline(always)]
pub fn for_each_run<const N: usize>(
    shape: &[usize],
    strides: [&[usize]; N],
    offsets: [usize; N],
    mut f: impl RunVisitor<N>,
) {
    if shape.contains(&0) {
        return;
    }
    let (shape, strides) = coalesce(shape, strides);
    let Some((&len, outer)) = shape.split_last() else {
        f.visit(offsets, [1; N], 1);
        return;
    };
    let inner: [usize; N] = std::array::from_fn(|i| strides[i][outer.len()]);
    let mut index: Axes = SmallVec::from_elem(0, outer.len());
    let mut starts = offsets;
    loop {
        f.visit(starts, inner, len);
        // Odometer increment over the outer axes, updating the run starts incrementally.
        let mut k = outer.len();
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            index[k] += 1;
            for i in 0..N {
                starts[i] += strides[i][k];
            }
            if index[k] < outer[k] {
                break;
            }
            for i in 0..N {
                starts[i] -= strides[i][k] * outer[k];
            }
            index[k] = 0;
        }
    }
}

/// Applies `f` to every element of a view, returning new contiguous storage in row-major
/// order.
pub fn map<T: Copy + Send + Sync, U: Copy + Send + Sync + 'static>(
    data: &[T],
    layout: &Layout,
    f: impl Fn(T) -> U + Sync,
) -> Arc<[U]> {
    let n = layout.numel();
    if n == 0 {
        // An empty view's offset may lie past the end of its storage.
        return Arc::from(Vec::new());
    }
    if layout.is_contiguous() {
        let src = &data[layout.offset()..layout.offset() + n];
        return map_contiguous(src, &f);
    }
    if let Some(block) = transposed_matrix(layout) {
        return fill_new(n, |out| dispatch(|| map_transposed(out, data, block, &f)));
    }
    fill_new(n, |out| {
        crate::simd::run(MapRuns {
            out,
            data,
            layout,
            f: &f,
        });
    })
}

/// [`map`]'s strided walk, run with the dispatched instruction set: each run is written
/// to the next `len` slots of `out`.
struct MapRuns<'a, T, U, F> {
    out: &'a mut [MaybeUninit<U>],
    data: &'a [T],
    layout: &'a Layout,
    f: &'a F,
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

/// A view that is (after coalescing) a transposed matrix: `rows × cols` with row stride 1
/// and column stride `col_stride`, starting at `offset`.
#[derive(Clone, Copy)]
struct TransposedMatrix {
    offset: usize,
    rows: usize,
    cols: usize,
    col_stride: usize,
}

fn transposed_matrix(layout: &Layout) -> Option<TransposedMatrix> {
    let (shape, [strides]) = coalesce(layout.shape(), [layout.strides()]);
    (shape.len() == 2 && strides[0] == 1 && strides[1] > 1).then(|| TransposedMatrix {
        offset: layout.offset(),
        rows: shape[0],
        cols: shape[1],
        col_stride: strides[1],
    })
}

/// Copies a transposed matrix in 8×8 blocks held in registers: eight runs of eight
/// consecutive source elements are loaded (one per column), then written out as eight
/// rows. Walking it row by row reads one element per cache line, and the lines of a long
/// column all compete for a few cache sets. Measured on 1024×1024 f32 (`shared/perf`
/// machine, loaded): 7.4 ms row by row, 0.7–0.9 ms in 8×8 tiles of scalar copies,
/// 0.57 ms with register blocks; a contiguous copy takes 0.09 ms.
#[inline(always)]
fn map_transposed<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    data: &[T],
    m: TransposedMatrix,
    f: &impl Fn(T) -> U,
) {
    const TILE: usize = 8;
    let (full_rows, full_cols) = (m.rows / TILE * TILE, m.cols / TILE * TILE);
    for rb in (0..full_rows).step_by(TILE) {
        for cb in (0..full_cols).step_by(TILE) {
            // block[c][r] = element (rb + r, cb + c): column runs are contiguous in `data`.
            let block: [[T; TILE]; TILE] = std::array::from_fn(|c| {
                let start = m.offset + (cb + c) * m.col_stride + rb;
                std::array::from_fn(|r| data[start + r])
            });
            for (r, row) in out[rb * m.cols..].chunks_mut(m.cols).take(TILE).enumerate() {
                for (c, slot) in row[cb..cb + TILE].iter_mut().enumerate() {
                    slot.write(f(block[c][r]));
                }
            }
        }
    }
    // The ragged edges: the last rows (every column) and the last columns (full rows).
    let element = |r: usize, c: usize| data[m.offset + c * m.col_stride + r];
    for r in full_rows..m.rows {
        for c in 0..m.cols {
            out[r * m.cols + c].write(f(element(r, c)));
        }
    }
    for r in 0..full_rows {
        for c in full_cols..m.cols {
            out[r * m.cols + c].write(f(element(r, c)));
        }
    }
}

/// New storage of `n` elements, every one written by `write` (which must write all `n`
/// slots it is given). One allocation: the elements live inside the `Arc`, recycled
/// when a released buffer of that length is pooled ([`crate::recycle`]).
#[inline(always)]
#[track_caller]
fn fill_new<U: 'static>(n: usize, write: impl FnOnce(&mut [MaybeUninit<U>])) -> Arc<[U]> {
    if let Err(e) = crate::shape::check_alloc::<U>("elementwise op", &[n]) {
        panic!("{e}");
    }
    if let Some(mut out) = crate::recycle::take::<U>(n) {
        let slots: &mut [U] = Arc::get_mut(&mut out).expect("a pooled buffer is unique");
        // SAFETY: `MaybeUninit<U>` has the layout of `U`, and every slot already holds an
        // initialized `U`. The writers only store values (`MaybeUninit::write`), never an
        // uninitialized one, so the slice is a valid `[U]` again when `write` returns or
        // unwinds.
        let slots = unsafe { &mut *(std::ptr::from_mut(slots) as *mut [MaybeUninit<U>]) };
        write(slots);
        return out;
    }
    let out = Arc::<[U]>::new_uninit_slice(n);
    // SAFETY: `out` was created just above and is neither cloned nor downgraded before
    // it is returned, so `slots` is the only reference to its elements while it lives
    // (what `Arc::get_mut` would check with an atomic operation: about 5 ns, a tenth of
    // a small op).
    let slots = unsafe { &mut *(Arc::as_ptr(&out) as *mut [MaybeUninit<U>]) };
    write(slots);
    // SAFETY: every caller writes all `n` slots: the runs of a layout cover its `numel`
    // elements exactly once, and the contiguous paths zip over `n` inputs.
    unsafe { out.assume_init() }
}

fn map_contiguous<T: Copy + Sync, U: Copy + Send + Sync + 'static>(
    src: &[T],
    f: &(impl Fn(T) -> U + Sync),
) -> Arc<[U]> {
    fill_new(src.len(), |out| {
        if split_elementwise(src.len()) {
            out.par_chunks_mut(PARALLEL_CHUNK)
                .zip(src.par_chunks(PARALLEL_CHUNK))
                .for_each(|(o, s)| dispatch(|| write_map(o, s, f)));
        } else {
            dispatch(|| write_map(out, src, f));
        }
    })
}

#[inline(always)]
fn write_map<T: Copy, U>(out: &mut [MaybeUninit<U>], src: &[T], f: &impl Fn(T) -> U) {
    for (o, &x) in out.iter_mut().zip(src) {
        o.write(f(x));
    }
}

#[inline(always)]
fn write_zip<T: Copy>(out: &mut [MaybeUninit<T>], a: &[T], b: &[T], f: &impl Fn(T, T) -> T) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        o.write(f(x, y));
    }
}

/// Applies `f` pairwise to two views of the same shape (already broadcast, so stride-0
/// axes are fine), returning new contiguous storage in row-major order.
pub fn zip_map<T: Copy + Send + Sync + 'static>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T, T) -> T + Sync,
) -> Arc<[T]> {
    debug_assert_eq!(la.shape(), lb.shape());
    let n = la.numel();
    if n == 0 {
        return Arc::from(Vec::new());
    }
    if la.is_contiguous() && lb.is_contiguous() {
        let sa = &a[la.offset()..la.offset() + n];
        let sb = &b[lb.offset()..lb.offset() + n];
        return fill_new(n, |out| {
            if split_elementwise(n) {
                out.par_chunks_mut(PARALLEL_CHUNK)
                    .zip(
                        sa.par_chunks(PARALLEL_CHUNK)
                            .zip(sb.par_chunks(PARALLEL_CHUNK)),
                    )
                    .for_each(|(o, (x, y))| dispatch(|| write_zip(o, x, y, &f)));
            } else {
                dispatch(|| write_zip(out, sa, sb, &f));
            }
        });
    }
    fill_new(n, |out| {
        crate::simd::run(ZipRuns {
            out,
            a,
            la,
            b,
            lb,
            f: &f,
        });
    })
}

/// [`zip_map`]'s strided walk, run with the dispatched instruction set: each run of the
/// two operands is written to the next `len` slots of `out`.
struct ZipRuns<'a, T, F> {
    out: &'a mut [MaybeUninit<T>],
    a: &'a [T],
    la: &'a Layout,
    b: &'a [T],
    lb: &'a Layout,
    f: &'a F,
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

/// Folds the elements of `src` into `dst` with `combine(acc, x)`, where `dst_layout` is the
/// (contiguous, writable) output broadcast to the source's shape: stride 0 on the
/// reduced axes. Each output element must be initialized with the fold's identity.
///
/// One walk in the source's memory order serves every axis choice: a run whose output
/// stride is 0 folds into one accumulator (with 8 independent lanes, so it vectorizes),
/// a run whose output stride is 1 folds elementwise into a row of outputs.
pub fn reduce_into<T: Copy + Send + Sync>(
    dst: &mut [T],
    dst_layout: &Layout,
    src: &[T],
    src_layout: &Layout,
    combine: impl Fn(T, T) -> T,
) {
    debug_assert_eq!(dst_layout.shape(), src_layout.shape());
    crate::simd::run(ReduceInto {
        dst,
        dst_layout,
        src,
        src_layout,
        combine: &combine,
    });
}

/// [`reduce_into`]'s walk, run with the dispatched instruction set.
struct ReduceInto<'a, T, C> {
    dst: &'a mut [T],
    dst_layout: &'a Layout,
    src: &'a [T],
    src_layout: &'a Layout,
    combine: &'a C,
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

/// Folds each run of the source into the output (see [`reduce_into`]).
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
fn fold_lanes<T: Copy>(init: T, xs: &[T], combine: &impl Fn(T, T) -> T) -> T {
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
