//! The one place that decides between the contiguous fast path and the strided path.
//!
//! Kernels hand a plain per-element closure to `map`, `zip_map` or [`reduce_into`]; this
//! file walks the operands' layouts and calls it. It first *coalesces* axes (merges
//! neighbours that are contiguous with each other in every operand), so a contiguous
//! tensor becomes one run and `x + bias` becomes one run per row. Each run is a plain
//! slice loop, run through [`crate::simd`] so it vectorizes for the CPU at hand (the
//! strided walks are [`crate::simd::Kernel`] structs with [`RunVisitor`]s, so the whole
//! walk is compiled for the chosen instruction set). Large contiguous maps are split
//! across threads (see [`crate::parallel`]).

use std::mem::{size_of, MaybeUninit};

use smallvec::SmallVec;

use crate::layout::Layout;
use crate::parallel::{for_each, split_elementwise, PARALLEL_CHUNK};
use crate::simd::dispatch;
use crate::storage::Storage;

mod walks;

use walks::{MapRuns, ReduceInto, ZipRuns};

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
/// Any `FnMut([usize; N], [usize; N], usize)` closure is one; give its parameters their
/// types, since Rust infers a closure's parameter types only from an `Fn` bound:
///
/// ```
/// use tensor::strided::for_each_run;
/// // A [2, 3] view of a 4-column buffer: rows 4 apart, two runs of 3.
/// let mut runs = Vec::new();
/// for_each_run(&[2, 3], [&[4, 1]], [1], |[start]: [usize; 1], [step]: [usize; 1], len: usize| {
///     runs.push((start, step, len));
/// });
/// assert_eq!(runs, vec![(1, 1, 3), (5, 1, 3)]);
/// ```
///
/// A kernel that must run with
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
pub(crate) fn map<T: Copy + Send + Sync, U: Copy + Send + Sync + 'static>(
    data: &[T],
    layout: &Layout,
    f: impl Fn(T) -> U + Sync,
) -> Storage<U> {
    let n = layout.numel();
    if n == 0 {
        // An empty view's offset may lie past the end of its storage.
        return Storage::empty();
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
    // The 8×8 blocks are visited a 64×64 square at a time, so that the square's 64
    // source columns and 64 output rows (each on its own 4 KiB page when the matrix is
    // large) stay in the caches and the TLB: visiting them one row of blocks at a time
    // touched every column's page for each row of blocks (1024 × 1024 f32 on a 2-core
    // Xeon VM: 1.95–2.97 → 1.0–1.1 ms, docs/performance.md; squares of 16 and 32
    // measured 1.1–1.2 ms).
    const SQUARE: usize = 64;
    for rs in (0..full_rows).step_by(SQUARE) {
        for cs in (0..full_cols).step_by(SQUARE) {
            for rb in (rs..full_rows.min(rs + SQUARE)).step_by(TILE) {
                for cb in (cs..full_cols.min(cs + SQUARE)).step_by(TILE) {
                    // block[c][r] = element (rb + r, cb + c): column runs are contiguous
                    // in `data`.
                    let block: [[T; TILE]; TILE] = std::array::from_fn(|c| {
                        let start = m.offset + (cb + c) * m.col_stride + rb;
                        std::array::from_fn(|r| data[start + r])
                    });
                    let rows = out[rb * m.cols..].chunks_mut(m.cols).take(TILE);
                    for (r, row) in rows.enumerate() {
                        for (c, slot) in row[cb..cb + TILE].iter_mut().enumerate() {
                            slot.write(f(block[c][r]));
                        }
                    }
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
/// slots it is given). One allocation: the elements live inside the [`Storage`],
/// recycled when a released buffer of that length is pooled ([`crate::recycle`]).
#[inline(always)]
#[track_caller]
fn fill_new<U: Copy + 'static>(n: usize, write: impl FnOnce(&mut [MaybeUninit<U>])) -> Storage<U> {
    // Below 64 MiB, `n` elements can neither overflow a size nor need the check's
    // allocation probe: skip it (a call on every small op).
    if n >= crate::shape::PROBED_BYTES / size_of::<U>().max(1) {
        if let Err(e) = crate::shape::check_alloc::<U>("elementwise op", &[n]) {
            panic!("{e}");
        }
    }
    if let Some(mut out) = crate::recycle::take::<U>(n) {
        let slots: &mut [U] = out.get_mut().expect("a pooled buffer is unique");
        // SAFETY: `MaybeUninit<U>` has the layout of `U`, and every slot already holds an
        // initialized `U`. The writers only store values (`MaybeUninit::write`), never an
        // uninitialized one, so the slice is a valid `[U]` again when `write` returns or
        // unwinds.
        let slots = unsafe { &mut *(std::ptr::from_mut(slots) as *mut [MaybeUninit<U>]) };
        write(slots);
        return out;
    }
    // SAFETY: every caller writes all `n` slots: the runs of a layout cover its `numel`
    // elements exactly once, and the contiguous paths zip over `n` inputs.
    unsafe { Storage::new_with(n, write) }
}

fn map_contiguous<T: Copy + Sync, U: Copy + Send + Sync + 'static>(
    src: &[T],
    f: &(impl Fn(T) -> U + Sync),
) -> Storage<U> {
    fill_new(src.len(), |out| {
        if split_elementwise(src.len()) {
            let pieces = out
                .chunks_mut(PARALLEL_CHUNK)
                .zip(src.chunks(PARALLEL_CHUNK));
            for_each(pieces, |(o, s)| dispatch(|| write_map(o, s, f)));
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
pub(crate) fn zip_map<T: Copy + Send + Sync + 'static>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T, T) -> T + Sync,
) -> Storage<T> {
    debug_assert_eq!(la.shape(), lb.shape());
    let n = la.numel();
    if n == 0 {
        return Storage::empty();
    }
    if la.is_contiguous() && lb.is_contiguous() {
        let sa = &a[la.offset()..la.offset() + n];
        let sb = &b[lb.offset()..lb.offset() + n];
        return fill_new(n, |out| {
            if split_elementwise(n) {
                let pieces = out
                    .chunks_mut(PARALLEL_CHUNK)
                    .zip(sa.chunks(PARALLEL_CHUNK).zip(sb.chunks(PARALLEL_CHUNK)));
                for_each(pieces, |(o, (x, y))| {
                    dispatch(|| write_zip(o, x, y, &f));
                });
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

/// Folds the elements of `src` into `dst` with `combine(acc, x)`, where `dst_layout` is the
/// (contiguous, writable) output broadcast to the source's shape: stride 0 on the
/// reduced axes. Each output element must be initialized with the fold's identity.
///
/// One walk in the source's memory order serves every axis choice: a run whose output
/// stride is 0 folds into one accumulator (with 8 independent lanes, so it vectorizes),
/// a run whose output stride is 1 folds elementwise into a row of outputs. When the whole
/// reduction is "the rows of a matrix into one row" (a bias gradient, a mean over the
/// batch), blocks of 64 outputs are held in registers over all rows instead, adding in
/// the same order.
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
