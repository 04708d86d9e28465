//! Data augmentation for training batches only: each augmenter owns a seeded generator
//! and transforms `(x, y)` batch by batch. `fit` applies them to training batches and
//! never to validation or test data.

use crate::rng::{seeded, Rng};
use rand::Rng as _;
use tensor::{Float, Tensor};

/// A random transformation of a training batch.
pub trait Augment<T: Float = f32>: Send {
    /// Transforms one batch of features `x` and targets `y`.
    fn apply(&mut self, x: &Tensor<T>, y: &Tensor<T>) -> (Tensor<T>, Tensor<T>);

    /// The generator it draws from, so a checkpoint can save and restore its position
    /// (`None` for a deterministic transformation).
    fn rng(&mut self) -> Option<&mut Rng> {
        None
    }
}

/// Adds Gaussian noise with standard deviation `std` to every feature.
#[derive(Debug)]
pub struct GaussianNoise {
    std: f64,
    rng: Rng,
}

impl GaussianNoise {
    /// Noise with the given standard deviation and seed.
    #[must_use]
    pub fn new(std: f64, seed: u64) -> Self {
        GaussianNoise {
            std,
            rng: seeded(seed),
        }
    }
}

impl<T: Float> Augment<T> for GaussianNoise {
    fn rng(&mut self) -> Option<&mut Rng> {
        Some(&mut self.rng)
    }

    fn apply(&mut self, x: &Tensor<T>, y: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let noise = Tensor::rand_normal(x.shape(), T::ZERO, T::from_f64(self.std), &mut self.rng);
        (x + &noise, y.clone())
    }
}

/// Image height and width axes of a batch shaped `[N, H, W]` or `[N, C, H, W]`.
#[track_caller]
fn image_axes(shape: &[usize], what: &str) -> (usize, usize) {
    assert!(
        shape.len() == 3 || shape.len() == 4,
        "{what}: expected images shaped [N, H, W] or [N, C, H, W], got {shape:?}"
    );
    (shape.len() - 2, shape.len() - 1)
}

/// Mirrors each image left–right with probability `p` (default 0.5).
#[derive(Debug)]
pub struct RandomFlip {
    p: f64,
    rng: Rng,
}

impl RandomFlip {
    /// Horizontal flips with probability `p`.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[must_use]
    #[track_caller]
    pub fn new(p: f64, seed: u64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "RandomFlip: p must be in [0, 1], got {p}"
        );
        RandomFlip {
            p,
            rng: seeded(seed),
        }
    }
}

impl<T: Float> Augment<T> for RandomFlip {
    fn rng(&mut self) -> Option<&mut Rng> {
        Some(&mut self.rng)
    }

    /// # Panics
    /// If `x` is not shaped `[N, H, W]` or `[N, C, H, W]`.
    fn apply(&mut self, x: &Tensor<T>, y: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let (_, w_axis) = image_axes(x.shape(), "RandomFlip");
        if x.numel() == 0 {
            return (x.clone(), y.clone()); // no pixel to move
        }
        let n = x.shape()[0];
        let width = x.shape()[w_axis];
        let per_image: usize = x.shape()[1..].iter().product();
        let mut data = x.to_vec();
        for i in 0..n {
            if self.rng.random::<f64>() < self.p {
                for row in data[i * per_image..(i + 1) * per_image].chunks_mut(width) {
                    row.reverse();
                }
            }
        }
        (
            Tensor::from_vec(data, x.shape()).expect("same shape"),
            y.clone(),
        )
    }
}

/// Shifts each image by a random whole number of pixels, up to `max_shift` in each
/// direction, filling the uncovered border with zeros.
#[derive(Debug)]
pub struct RandomShift {
    max_shift: usize,
    rng: Rng,
}

impl RandomShift {
    /// Shifts of at most `max_shift` pixels vertically and horizontally.
    #[must_use]
    pub fn new(max_shift: usize, seed: u64) -> Self {
        RandomShift {
            max_shift,
            rng: seeded(seed),
        }
    }
}

impl<T: Float> Augment<T> for RandomShift {
    fn rng(&mut self) -> Option<&mut Rng> {
        Some(&mut self.rng)
    }

    /// # Panics
    /// If `x` is not shaped `[N, H, W]` or `[N, C, H, W]`.
    fn apply(&mut self, x: &Tensor<T>, y: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let (h_axis, w_axis) = image_axes(x.shape(), "RandomShift");
        if x.numel() == 0 {
            return (x.clone(), y.clone()); // no pixel to move
        }
        let (h, w) = (x.shape()[h_axis], x.shape()[w_axis]);
        let planes = x.numel() / (h * w);
        let per_image = x.numel() / x.shape()[0];
        let src = x.to_vec();
        let mut out = vec![T::ZERO; src.len()];
        // A shift past the image empties it whatever its size: cap it where `r − shift`
        // cannot overflow an i64.
        let m = self.max_shift.min(i64::MAX as usize / 4) as i64;
        let mut shift = (0i64, 0i64);
        for p in 0..planes {
            // One shift per image, shared by its channels.
            if (p * h * w) % per_image == 0 {
                shift = (self.rng.random_range(-m..=m), self.rng.random_range(-m..=m));
            }
            let base = p * h * w;
            for r in 0..h as i64 {
                for c in 0..w as i64 {
                    let (sr, sc) = (r - shift.0, c - shift.1);
                    if (0..h as i64).contains(&sr) && (0..w as i64).contains(&sc) {
                        out[base + (r as usize) * w + c as usize] =
                            src[base + (sr as usize) * w + sc as usize];
                    }
                }
            }
        }
        (
            Tensor::from_vec(out, x.shape()).expect("same shape"),
            y.clone(),
        )
    }
}

/// mixup (Zhang et al., 2018): each sample is blended with another from the batch,
/// `x̃ = λ·x_i + (1 − λ)·x_j` and `ỹ = λ·y_i + (1 − λ)·y_j`, with `λ ~ Beta(α, α)`.
/// Targets must be one-hot or probabilities (`[N, C]`), or regression values.
#[derive(Debug)]
pub struct Mixup {
    alpha: f64,
    rng: Rng,
}

impl Mixup {
    /// mixup with parameter `alpha` (0.2 is common).
    ///
    /// # Panics
    /// If `alpha` is not positive and finite (Beta(α, α) has no other parameters; NumPy's
    /// `beta` refuses them too).
    #[must_use]
    #[track_caller]
    pub fn new(alpha: f64, seed: u64) -> Self {
        assert!(
            alpha > 0.0 && alpha.is_finite(),
            "Mixup: alpha must be positive and finite, got {alpha}"
        );
        Mixup {
            alpha,
            rng: seeded(seed),
        }
    }

    /// The logarithm of a Gamma(shape, 1) sample (Marsaglia–Tsang; for a shape below 1,
    /// `Gamma(a) = Gamma(a + 1)·U^(1/a)`), kept as a logarithm so that a tiny `alpha`,
    /// whose samples underflow to 0, still gives a Beta draw.
    fn ln_gamma_sample(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            // 1 − U lies in (0, 1]: its logarithm is finite.
            let u = 1.0 - self.rng.random::<f64>();
            return self.ln_gamma_sample(shape + 1.0) + u.ln() / shape;
        }
        self.gamma_at_least_one(shape).ln()
    }

    /// A Gamma(shape, 1) sample for `shape ≥ 1` (Marsaglia–Tsang).
    fn gamma_at_least_one(&mut self, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let z = Tensor::<f64>::rand_normal(&[1], 0.0, 1.0, &mut self.rng).item();
            let v = (1.0 + c * z).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u: f64 = self.rng.random();
            if u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

impl<T: Float> Augment<T> for Mixup {
    fn rng(&mut self) -> Option<&mut Rng> {
        Some(&mut self.rng)
    }

    fn apply(&mut self, x: &Tensor<T>, y: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let n = x.shape()[0];
        // λ = A / (A + B) with A, B ~ Gamma(α, 1), from their logarithms.
        let (la, lb) = (
            self.ln_gamma_sample(self.alpha),
            self.ln_gamma_sample(self.alpha),
        );
        let d = lb - la;
        // Both draws −∞ (an α so small that U^(1/α) underflows twice): Beta(α, α) is then
        // a fair coin between 0 and 1.
        let lambda = if d.is_nan() {
            T::from_f64(if self.rng.random::<bool>() { 1.0 } else { 0.0 })
        } else {
            T::from_f64(1.0 / (1.0 + d.exp()))
        };
        let mut partner: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            partner.swap(i, self.rng.random_range(0..=i));
        }
        let mix = |t: &Tensor<T>| {
            let other = t.index_select(0, &partner);
            &t.mul_scalar(lambda) + &other.mul_scalar(T::ONE - lambda)
        };
        (mix(x), mix(y))
    }
}
