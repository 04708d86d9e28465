//! When to use more than one thread. Nothing else in the crate knows about rayon's
//! thresholds: kernels ask here.
//!
//! Waking the second core costs 15–20 µs on the reference machine (`shared/perf`: a
//! `rayon::join` of two empty closures takes 17.5 µs), so splitting pays only when the
//! serial work is clearly longer than that. The study-guide model (batch 20) never
//! reaches these thresholds: small tensors never touch the thread pool.

/// Elementwise ops split across threads only from this many elements on (measured:
/// `y = a·x + b` over 262 144 f32 takes 17.8 µs serial and 14.8 µs on two threads).
pub const PARALLEL_ELEMENTS: usize = 1 << 18;

/// Chunk length for parallel elementwise work.
pub const PARALLEL_CHUNK: usize = 1 << 16;

/// A single matmul runs on several threads only from this many floating-point operations
/// on (2·m·n·k), cut into one part per thread by `ops/matmul.rs`; gemm's own default of
/// about n = 84 is too early here.
pub const PARALLEL_MATMUL_FLOPS: usize = 24_000_000;

/// True if `n` elements of elementwise work should be split across threads.
#[must_use]
pub fn split_elementwise(n: usize) -> bool {
    n >= PARALLEL_ELEMENTS && rayon::current_num_threads() > 1
}

/// True if a matmul of `flops` operations should run on several threads.
#[must_use]
pub fn split_matmul(flops: usize) -> bool {
    flops >= PARALLEL_MATMUL_FLOPS && rayon::current_num_threads() > 1
}

/// A convolution or pooling kernel splits its batch across threads only from this many
/// floating-point operations on (the digits CNN's layers, a few hundred thousand each at
/// batch 32, stay on one thread; a 32→64 channel 3×3 layer on 32×32 images splits).
pub const PARALLEL_CONV_FLOPS: usize = 4_000_000;

/// True if a batched kernel of `flops` operations over `chunks` independent pieces should
/// run on several threads.
#[must_use]
pub fn split_batch(flops: usize, chunks: usize) -> bool {
    chunks > 1 && flops >= PARALLEL_CONV_FLOPS && rayon::current_num_threads() > 1
}

/// The number of threads a split kernel may use (chunks smaller than this leave cores idle).
#[must_use]
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// Calls `f(scratch, i, piece)` for each `chunk`-long piece `i` of `out`, on several threads
/// if `parallel`. Each thread makes its own scratch space once with `scratch`, so the
/// kernel allocates per thread, not per piece.
pub(crate) fn for_each_chunk_mut<T: Send, S>(
    out: &mut [T],
    chunk: usize,
    parallel: bool,
    scratch: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize, &mut [T]) + Sync + Send,
) {
    use rayon::prelude::*;
    if parallel {
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each_init(&scratch, |s, (i, piece)| f(s, i, piece));
    } else {
        let mut s = scratch();
        for (i, piece) in out.chunks_mut(chunk).enumerate() {
            f(&mut s, i, piece);
        }
    }
}

/// Folds the pieces `0..count` into accumulators (one per thread if `parallel`) and
/// combines them: `combine(fold(fold(init(), 0), 1), …)`.
pub(crate) fn fold_chunks<A: Send>(
    count: usize,
    parallel: bool,
    init: impl Fn() -> A + Sync + Send,
    fold: impl Fn(A, usize) -> A + Sync + Send,
    combine: impl Fn(A, A) -> A + Sync + Send,
) -> A {
    use rayon::prelude::*;
    if parallel {
        (0..count)
            .into_par_iter()
            .fold(&init, &fold)
            .reduce(&init, &combine)
    } else {
        (0..count).fold(init(), fold)
    }
}

/// Runs `f` on a thread of the rayon pool (directly if this already is one) and returns
/// its result. A loop of ops that split their work (a training loop) runs faster there:
/// an op called from outside the pool hands its work to a pool thread and sleeps until
/// it is done — two thread wake-ups per parallel op — while on a pool thread it keeps
/// one part of the work and only offers the rest to the other threads. (LSTM 8 → 64,
/// T = 50, batch 32: fewer slow steps; the 784 → 1024 → 1024 → 10 MLP: about 5 %.)
///
/// What `f` runs sees the pool thread's stack (rayon's default is 2 MiB) and
/// thread-locals (storage is recycled per thread: [`crate::recycle`]), and must not block
/// waiting for other work on the pool, which can hang a one-thread pool. That is why
/// `Model::fit` does not do this itself; wrap the call:
///
/// ```
/// use tensor::{parallel::on_pool, Tensor};
/// let x = Tensor::<f32>::ones(&[256, 256]);
/// let y = on_pool(|| x.matmul(&x).sum_all());
/// assert_eq!(y, 256.0 * 256.0 * 256.0);
/// assert!(on_pool(|| rayon::current_thread_index().is_some()));
/// ```
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}
