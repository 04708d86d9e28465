//! Runtime SIMD dispatch: run a loop compiled for the best instruction set this CPU has.
//!
//! A default `cargo build --release` targets baseline x86-64 (SSE2), so plain loops would
//! never use AVX2 or AVX-512. [`dispatch`] calls its closure from inside a function
//! compiled with `#[target_feature]` for the detected level; the closure (and the
//! `#[inline(always)]` kernels it calls) is inlined there and vectorized for that level.
//! Detection runs once and is cached. On aarch64, NEON is part of the baseline, so the
//! closure is called directly.

/// The instruction-set level chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdLevel {
    /// No extension beyond the compile-time baseline.
    Baseline,
    /// x86-64 AVX2 + FMA (256-bit vectors).
    Avx2,
    /// x86-64 AVX-512 F/VL/BW/DQ (512-bit vectors).
    Avx512,
}

#[cfg(target_arch = "x86_64")]
static LEVEL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// The cached level (inlined into every dispatch: one load and a compare).
#[cfg(target_arch = "x86_64")]
#[inline]
fn detect() -> SimdLevel {
    use std::sync::atomic::Ordering;
    match LEVEL.load(Ordering::Relaxed) {
        1 => SimdLevel::Baseline,
        2 => SimdLevel::Avx2,
        3 => SimdLevel::Avx512,
        _ => detect_first(),
    }
}

/// The first detection, stored for [`detect`].
#[cfg(target_arch = "x86_64")]
#[cold]
fn detect_first() -> SimdLevel {
    let level = if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("fma")
    {
        SimdLevel::Avx512
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        SimdLevel::Avx2
    } else {
        SimdLevel::Baseline
    };
    let code = match level {
        SimdLevel::Baseline => 1,
        SimdLevel::Avx2 => 2,
        SimdLevel::Avx512 => 3,
    };
    LEVEL.store(code, std::sync::atomic::Ordering::Relaxed);
    level
}

/// The SIMD level [`dispatch`] uses on this machine.
#[must_use]
pub fn level() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        detect()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        SimdLevel::Baseline
    }
}

/// Runs `f` compiled for the best SIMD level of this CPU.
///
/// Put the whole loop inside `f` and keep the per-element work `#[inline(always)]`:
/// only code inlined into the dispatched function gets the wider instructions.
///
/// ```
/// let xs = vec![1.0f32; 1000];
/// let total: f32 = tensor::simd::dispatch(|| xs.iter().sum());
/// assert_eq!(total, 1000.0);
/// ```
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        match detect() {
            // SAFETY: the required CPU features were detected at run time just above.
            SimdLevel::Avx512 => unsafe { run_avx512(f) },
            // SAFETY: as above.
            SimdLevel::Avx2 => unsafe { run_avx2(f) },
            SimdLevel::Baseline => f(),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        f()
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// A loop for [`run`]: a struct holding its slices, with the loop in an
/// `#[inline(always)]` method.
///
/// Prefer this to [`dispatch`] for loops with much work per element. A closure is
/// compiled inside the dispatched function only if LLVM inlines it there, and LLVM
/// declines for large closures, which then run with baseline (SSE2) instructions; a
/// trait method marked `#[inline(always)]` is always inlined. Pass the slices on to a
/// function taking them as parameters (or work on local arrays): slices reached through
/// a struct's fields carry no promise that they do not overlap, which can keep the loop
/// from being vectorized at all.
pub trait Kernel {
    /// Runs the loop. Mark the implementation `#[inline(always)]`.
    fn run(self);
}

/// Runs `k` compiled for the best SIMD level of this CPU (see [`Kernel`]).
///
/// ```
/// use tensor::simd::{run, Kernel};
/// struct Double<'a>(&'a mut [f32]);
/// impl Kernel for Double<'_> {
///     #[inline(always)]
///     fn run(self) {
///         for x in self.0.iter_mut() {
///             *x *= 2.0;
///         }
///     }
/// }
/// let mut xs = vec![1.5f32; 100];
/// run(Double(&mut xs));
/// assert!(xs.iter().all(|&x| x == 3.0));
/// ```
#[inline(always)]
pub fn run<K: Kernel>(k: K) {
    #[cfg(target_arch = "x86_64")]
    {
        match detect() {
            // SAFETY: the required CPU features were detected at run time just above.
            SimdLevel::Avx512 => unsafe { kernel_avx512(k) },
            // SAFETY: as above.
            SimdLevel::Avx2 => unsafe { kernel_avx2(k) },
            SimdLevel::Baseline => k.run(),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        k.run()
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn kernel_avx512<K: Kernel>(k: K) {
    k.run();
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_avx2<K: Kernel>(k: K) {
    k.run();
}
