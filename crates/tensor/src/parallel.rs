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

/// The length of the pieces an elementwise pass over `n` elements is cut into for
/// [`for_each`]: [`PARALLEL_CHUNK`] when the pass is worth splitting
/// ([`split_elementwise`], which asks the current pool for its number of threads),
/// otherwise all `n` in one piece (at least 1, as `chunks` requires).
#[must_use]
pub fn elementwise_chunk(n: usize) -> usize {
    if split_elementwise(n) {
        PARALLEL_CHUNK
    } else {
        n.max(1)
    }
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
        for_each_init(
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

/// Calls `f(item)` for every item, on the calling thread and the pool's other threads
/// together: [`for_each_init`] without scratch space (see there for how items are handed
/// out, and why not a rayon parallel iterator). Items should be coarse, and `f` must write
/// disjoint outputs.
///
/// # Panics
/// A panic in `f` is passed on to the caller once every thread has stopped.
///
/// ```
/// use tensor::parallel::{elementwise_chunk, for_each};
/// let mut w = vec![1.0f32; 1 << 19];
/// let g = vec![0.5f32; 1 << 19];
/// // Pieces of 65 536 elements when the pool has several threads (one piece of all
/// // 524 288 otherwise), w -= 0.1·g in each.
/// let c = elementwise_chunk(w.len());
/// for_each(w.chunks_mut(c).zip(g.chunks(c)), |(w, g)| {
///     for (w, g) in w.iter_mut().zip(g) {
///         *w -= 0.1 * g;
///     }
/// });
/// assert!(w.iter().all(|&x| x == 0.95));
/// ```
pub fn for_each<I>(items: I, f: impl Fn(I::Item) + Sync)
where
    I: Iterator + Send,
{
    for_each_init(items, || (), |(), item| f(item));
}

/// Calls `f(scratch, item)` for every item, on the calling thread and the pool's other
/// threads together: each takes the next item until none is left. Each thread makes its
/// scratch space with `scratch` once, when it takes its first item (as long as `f`
/// itself never waits on other pool work). Every op of this crate that splits its work
/// goes through here (most through [`for_each`], which needs no scratch space), and
/// every `nn` optimizer's update of a large parameter.
///
/// Unlike rayon's `ParallelIterator::for_each_init`, it takes a plain [`Iterator`] and
/// hands its items out one at a time under a lock, so items should be coarse (tens of
/// microseconds of work each, such as [`PARALLEL_CHUNK`]-long pieces); and each thread
/// makes its scratch space once, however many items it takes. Which thread does which
/// item depends on timing, so `f` must write disjoint outputs (results then do not
/// depend on the number of threads).
///
/// # Panics
/// A panic in `f` is passed on to the caller once every thread has stopped; the other
/// threads finish the items first.
///
/// ```
/// use tensor::parallel::for_each_init;
/// let rows: Vec<Vec<f32>> = (0..8).map(|r| vec![r as f32; 1000]).collect();
/// let mut sums = vec![0.0f32; rows.len()];
/// // One scratch buffer per thread, reused for every row that thread takes.
/// for_each_init(sums.iter_mut().zip(&rows), Vec::new, |buf: &mut Vec<f32>, (sum, row)| {
///     buf.clear();
///     buf.extend(row.iter().map(|x| x * 2.0));
///     *sum = buf.iter().sum();
/// });
/// assert_eq!(sums[3], 6000.0);
/// ```
///
/// Why not a rayon parallel iterator: called from a thread outside the pool (a training
/// loop in `main`), one hands all the work to the pool and sleeps until it is done, so
/// every parallel op pays for waking a pool thread, then the second one, then the
/// caller (a cold `rayon::join` took 59 µs on a 2-core VM). Here the caller starts on
/// the first item at once and a pool thread joins when it wakes; an item nobody has
/// taken yet goes to whoever is free first. From outside the pool the caller still
/// sleeps at the end until the pool threads it asked for have run (with nothing left
/// to do, if it did everything itself): rayon gives such a thread no way to take the
/// offer back. On a pool thread it takes back the offers nobody took, without sleeping.
/// (A 256 × 1024 `a + b` after 2 ms idle: 150 → 115 µs median; `docs/performance.md`.)
pub fn for_each_init<I, S>(
    items: I,
    scratch: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, I::Item) + Sync,
) where
    I: Iterator + Send,
{
    // No more helpers than items beyond the caller's first; one item (a small
    // optimizer update) runs here without asking the pool anything.
    let most = items.size_hint().1.unwrap_or(usize::MAX);
    if most <= 1 {
        let mut s = None;
        for item in items {
            f(s.get_or_insert_with(&scratch), item);
        }
        return;
    }
    let helpers = threads().min(most).saturating_sub(1);
    let items = std::sync::Mutex::new(items);
    let work = || {
        let mut s = None;
        loop {
            // Only `next` runs under the lock. Were it to panic (none of our iterators
            // does), the poisoned list counts as finished.
            let Ok(mut list) = items.lock() else { break };
            let item = list.next();
            drop(list);
            let Some(item) = item else { break };
            f(s.get_or_insert_with(&scratch), item);
        }
    };
    if helpers == 0 {
        work();
        return;
    }
    // `in_place_scope` runs the closure on this thread (inside the pool or not) and
    // waits for what it spawned before returning, passing on a panic.
    rayon::in_place_scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|_| work());
        }
        work();
    });
}

/// Folds the pieces `0..count` into accumulators and combines them. Serially:
/// `fold(fold(init(), 0), 1)…`. If `parallel`, the pieces are cut into one run of
/// consecutive pieces per thread, each folded from its own `init()` in order, and the
/// runs' results combined in order: the grouping depends on the number of threads but
/// not on timing, so a run gives the same bits every time (rayon's `fold`/`reduce`
/// grouped the pieces by what each thread happened to steal).
pub(crate) fn fold_chunks<A: Send>(
    count: usize,
    parallel: bool,
    init: impl Fn() -> A + Sync + Send,
    fold: impl Fn(A, usize) -> A + Sync + Send,
    combine: impl Fn(A, A) -> A + Sync + Send,
) -> A {
    if !parallel {
        return (0..count).fold(init(), fold);
    }
    let runs = threads().clamp(1, count.max(1));
    // Run r covers pieces [bound(r), bound(r + 1)); in u128 so the product cannot overflow.
    let bound = |r: usize| (r as u128 * count as u128 / runs as u128) as usize;
    let mut results: Vec<Option<A>> = (0..runs).map(|_| None).collect();
    for_each(results.iter_mut().enumerate(), |(r, slot)| {
        *slot = Some((bound(r)..bound(r + 1)).fold(init(), &fold));
    });
    results
        .into_iter()
        .flatten()
        .reduce(combine)
        .unwrap_or_else(init)
}

/// Runs `f` on a thread of the rayon pool (directly if this already is one) and returns
/// its result. A loop of ops that split their work (a training loop) may run a little
/// faster there. An op that splits its work starts on it on the calling thread either
/// way, but from outside the pool the caller then sleeps until every pool thread it
/// asked to help has run, while a pool thread takes back the help nobody picked up and
/// never sleeps for it. (The large 784 → 1024 → 1024 → 10 MLP step: about 5 % when a
/// split op from outside handed over all its work; since ops start on the calling
/// thread, within the run-to-run spread.)
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
    use super::{fold_chunks, for_each, for_each_init, on_pool};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Runs `for_each_init` over 0..1000 and checks every item was handed out exactly once and
    /// each thread made its scratch space at most once.
    fn every_item_once() {
        let seen: Vec<AtomicUsize> = (0..1000).map(|_| AtomicUsize::new(0)).collect();
        let scratches = AtomicUsize::new(0);
        for_each_init(
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
    fn for_each_init_hands_out_every_item_once_from_any_thread() {
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
        for_each_init(
            0..0,
            || panic!("no scratch without items"),
            |(), _: usize| {},
        );
    }

    #[test]
    fn for_each_passes_a_panic_on_after_the_others_stop() {
        let done = AtomicUsize::new(0);
        let caught = std::panic::catch_unwind(|| {
            for_each(0..64, |i| {
                assert!(i != 9, "item {i} failed");
                done.fetch_add(1, Ordering::Relaxed);
            });
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

    #[test]
    fn fold_chunks_folds_runs_in_order_whatever_the_timing() {
        // Concatenation is not commutative: the result shows the grouping and the order.
        let inits = AtomicUsize::new(0);
        let pieces = |parallel: bool| {
            inits.store(0, Ordering::Relaxed);
            fold_chunks(
                37,
                parallel,
                || {
                    inits.fetch_add(1, Ordering::Relaxed);
                    Vec::new()
                },
                |mut acc: Vec<usize>, i| {
                    acc.push(i);
                    acc
                },
                |mut a, b| {
                    a.extend(b);
                    a
                },
            )
        };
        let all: Vec<usize> = (0..37).collect();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for _ in 0..20 {
                assert_eq!(pool.install(|| pieces(true)), all);
                // One run per thread: the grouping does not depend on timing.
                assert_eq!(inits.load(Ordering::Relaxed), threads);
            }
        }
        assert_eq!(pieces(false), all);
        assert!(fold_chunks(0, true, || 7, |a, _| a + 1, |a, b| a + b) == 7);
    }
}
