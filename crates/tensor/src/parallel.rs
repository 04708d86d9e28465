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
    if parallel {
        share(
            out.chunks_mut(chunk).enumerate(),
            scratch,
            |s, (i, piece)| {
                f(s, i, piece);
            },
        );
    } else {
        let mut s = scratch();
        for (i, piece) in out.chunks_mut(chunk).enumerate() {
            f(&mut s, i, piece);
        }
    }
}

/// Calls `f(scratch, item)` for every item, on the calling thread and the pool's other
/// threads together: each takes the next item until none is left. Each thread makes its
/// scratch space with `scratch` once, when it takes its first item.
///
/// Why not a rayon parallel iterator: called from a thread outside the pool (a training
/// loop in `main`), one hands all the work to the pool and sleeps until it is done, so
/// every parallel op pays for waking a pool thread, then the second one, then the
/// caller (a cold `rayon::join` took 59 µs on a 2-core VM). Here the caller starts on
/// the first item at once, a pool thread joins when it wakes, and an item nobody has
/// taken yet is done by whoever is free first; the caller only waits for items already
/// being worked on (and, when it did everything itself, for the offer to be withdrawn).
/// (A 256 × 1024 `a + b` after 2 ms idle: 150 → 115 µs median; see
/// `docs/performance.md`.)
///
/// Which thread does which item depends on timing, so `f` must write disjoint outputs
/// (results then do not depend on the number of threads). A panic in `f` is passed on
/// to the caller once every thread has stopped.
pub(crate) fn share<I, S>(
    items: I,
    scratch: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, I::Item) + Sync,
) where
    I: Iterator + Send,
{
    let items = std::sync::Mutex::new(items);
    let work = || {
        let mut s = None;
        loop {
            // Only `next` runs under the lock; a panic there (none of our iterators
            // panics) would leave the others to finish with what is left.
            let item = items
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .next();
            let Some(item) = item else { break };
            f(s.get_or_insert_with(&scratch), item);
        }
    };
    // `in_place_scope` runs the closure on this thread (inside the pool or not) and
    // waits for what it spawned before returning, passing on a panic.
    rayon::in_place_scope(|scope| {
        for _ in 1..threads() {
            scope.spawn(|_| work());
        }
        work();
    });
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
/// its result. A loop of ops that split their work (a training loop) may run a little
/// faster there. An op that splits its work starts on it on the calling thread either
/// way, but from a pool thread it offers the rest on that thread's own queue, where an
/// idle pool thread finds it without a wake-up through the pool's shared queue; and the
/// convolutions' weight gradients still use a rayon parallel iterator, which from
/// outside the pool hands all the work over and sleeps until it is done. (The large
/// 784 → 1024 → 1024 → 10 MLP step: about 5 % when every split op worked that way; on a
/// noisier machine since, within the run-to-run spread.)
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

#[cfg(test)]
mod tests {
    use super::{on_pool, share};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Runs `share` over 0..1000 and checks every item was handed out exactly once and
    /// each thread made its scratch space at most once.
    fn every_item_once() {
        let seen: Vec<AtomicUsize> = (0..1000).map(|_| AtomicUsize::new(0)).collect();
        let scratches = AtomicUsize::new(0);
        share(
            0..seen.len(),
            || scratches.fetch_add(1, Ordering::Relaxed),
            |_, i| {
                seen[i].fetch_add(1, Ordering::Relaxed);
            },
        );
        assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) == 1));
        let made = scratches.load(Ordering::Relaxed);
        assert!((1..=rayon::current_num_threads()).contains(&made), "{made}");
    }

    #[test]
    fn share_hands_out_every_item_once_from_any_thread() {
        every_item_once();
        on_pool(every_item_once);
        // A one-thread pool: the caller does everything, nothing waits on itself.
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        one.install(every_item_once);
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        three.install(every_item_once);
        // No items: no call at all.
        share(
            0..0,
            || panic!("no scratch without items"),
            |(), _: usize| {},
        );
    }

    #[test]
    fn share_passes_a_panic_on_after_the_others_stop() {
        let done = AtomicUsize::new(0);
        let caught = std::panic::catch_unwind(|| {
            share(
                0..64,
                || (),
                |(), i| {
                    assert!(i != 9, "item {i} failed");
                    done.fetch_add(1, Ordering::Relaxed);
                },
            );
        });
        let message = caught.unwrap_err();
        let text = message
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        assert_eq!(text, "item 9 failed");
        // The thread that panicked stopped; the others took every other item.
        assert_eq!(done.load(Ordering::Relaxed), 63);
    }
}
