//! Seeded random tensors. Every constructor takes the generator explicitly, so the same
//! seed always gives the same tensor and nothing hides global state. A shape whose size
//! overflows, or whose buffer cannot be allocated, panics naming the constructor (as
//! [`Tensor::full`] does).

use rand::Rng;

use crate::element::Float;
use crate::error::unwrap;
use crate::shape::check_alloc;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Uniform samples in `[low, high)`.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let t = tensor::Tensor::<f32>::rand_uniform(&[100], -1.0, 1.0, &mut rng);
    /// assert!(t.to_vec().iter().all(|&x| (-1.0..1.0).contains(&x)));
    /// ```
    #[track_caller]
    pub fn rand_uniform(shape: &[usize], low: T, high: T, rng: &mut impl Rng) -> Self {
        let (lo, hi) = (low.to_f64(), high.to_f64());
        let n = unwrap(check_alloc::<T>("rand_uniform", shape));
        let data = (0..n)
            .map(|_| T::from_f64(lo + (hi - lo) * rng.random::<f64>()))
            .collect();
        Tensor::from_parts(data, shape)
    }

    /// Normal samples with the given mean and standard deviation (Box–Muller).
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let t = tensor::Tensor::<f64>::rand_normal(&[10_000], 0.0, 2.0, &mut rng);
    /// assert!(t.mean_all().abs() < 0.1);
    /// assert!((t.var_all(0).sqrt() - 2.0).abs() < 0.1);
    /// ```
    #[track_caller]
    pub fn rand_normal(shape: &[usize], mean: T, std: T, rng: &mut impl Rng) -> Self {
        let n = unwrap(check_alloc::<T>("rand_normal", shape));
        let (m, s) = (mean.to_f64(), std.to_f64());
        let mut data = Vec::with_capacity(n);
        while data.len() < n {
            // u1 in (0, 1] so that ln(u1) is finite.
            let u1 = 1.0 - rng.random::<f64>();
            let u2 = rng.random::<f64>();
            let r = (-2.0 * u1.ln()).sqrt();
            let theta = std::f64::consts::TAU * u2;
            data.push(T::from_f64(m + s * r * theta.cos()));
            if data.len() < n {
                data.push(T::from_f64(m + s * r * theta.sin()));
            }
        }
        Tensor::from_parts(data, shape)
    }

    /// 1 with probability `p`, else 0 (dropout masks).
    #[track_caller]
    pub fn rand_bernoulli(shape: &[usize], p: f64, rng: &mut impl Rng) -> Self {
        let n = unwrap(check_alloc::<T>("rand_bernoulli", shape));
        let data = (0..n)
            .map(|_| {
                if rng.random::<f64>() < p {
                    T::ONE
                } else {
                    T::ZERO
                }
            })
            .collect();
        Tensor::from_parts(data, shape)
    }
}
