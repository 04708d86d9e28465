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

/// A single matmul lets gemm use threads only from this many floating-point operations
/// on (2·m·n·k); gemm's own default of about n = 84 is too early here.
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
