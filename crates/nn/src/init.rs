//! Weight initializers, each drawing from an explicit random generator.
//!
//! Fans follow PyTorch for a `[out, in]` weight: `fan_in = in`, `fan_out = out`.
//!
//! | initializer | distribution |
//! |---|---|
//! | `GlorotUniform` (Xavier; Keras' Dense default) | `U(−a, a)`, `a = √(6/(fan_in + fan_out))` |
//! | `GlorotNormal` | `N(0, 2/(fan_in + fan_out))` |
//! | `HeUniform` (Kaiming, ReLU gain) | `U(−a, a)`, `a = √(6/fan_in)` |
//! | `HeNormal` | `N(0, 2/fan_in)` |
//! | `UniformFanIn` (PyTorch's `Linear` default) | `U(−a, a)`, `a = 1/√fan_in` |
//! | `Zeros`, `Ones`, `Constant(c)` | fixed |

use rand::Rng;
use tensor::{Float, Tensor};

/// How to fill a new parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// Every entry `c`.
    Constant(f64),
    /// Glorot/Xavier uniform.
    GlorotUniform,
    /// Glorot/Xavier normal.
    GlorotNormal,
    /// He/Kaiming uniform (for ReLU layers).
    HeUniform,
    /// He/Kaiming normal.
    HeNormal,
    /// `U(−1/√fan_in, 1/√fan_in)`: what PyTorch's `nn.Linear` uses for weight and bias
    /// (`kaiming_uniform_(a=√5)`). Not Keras' `lecun_uniform`, which is `U(±√(3/fan_in))`.
    UniformFanIn,
    /// `U(low, high)`.
    Uniform(f64, f64),
    /// `N(mean, std²)`.
    Normal(f64, f64),
}

impl Init {
    /// A tensor of `shape` drawn from this initializer with the given fans.
    ///
    /// ```
    /// use nn::Init;
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let w = Init::GlorotUniform.tensor::<f32>(&[64, 10], 10, 64, &mut rng);
    /// let a = (6.0f32 / 74.0).sqrt();
    /// assert!(w.to_vec().iter().all(|v| v.abs() <= a));
    /// ```
    pub fn tensor<T: Float>(
        self,
        shape: &[usize],
        fan_in: usize,
        fan_out: usize,
        rng: &mut impl Rng,
    ) -> Tensor<T> {
        let (fi, fo) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        let uniform = |a: f64, rng: &mut dyn rand::RngCore| {
            Tensor::rand_uniform(shape, T::from_f64(-a), T::from_f64(a), &mut RngRef(rng))
        };
        match self {
            Init::Zeros => Tensor::zeros(shape),
            Init::Ones => Tensor::ones(shape),
            Init::Constant(c) => Tensor::full(shape, T::from_f64(c)),
            Init::GlorotUniform => uniform((6.0 / (fi + fo)).sqrt(), rng),
            Init::GlorotNormal => {
                Tensor::rand_normal(shape, T::ZERO, T::from_f64((2.0 / (fi + fo)).sqrt()), rng)
            }
            Init::HeUniform => uniform((6.0 / fi).sqrt(), rng),
            Init::HeNormal => {
                Tensor::rand_normal(shape, T::ZERO, T::from_f64((2.0 / fi).sqrt()), rng)
            }
            Init::UniformFanIn => uniform(1.0 / fi.sqrt(), rng),
            Init::Uniform(lo, hi) => {
                Tensor::rand_uniform(shape, T::from_f64(lo), T::from_f64(hi), rng)
            }
            Init::Normal(m, s) => Tensor::rand_normal(shape, T::from_f64(m), T::from_f64(s), rng),
        }
    }
}

/// Lets a `&mut dyn RngCore` be passed where `impl Rng` is expected.
struct RngRef<'a>(&'a mut dyn rand::RngCore);

impl rand::RngCore for RngRef<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
}
