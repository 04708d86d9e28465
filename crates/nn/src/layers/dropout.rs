//! `Dropout` and `Dropout2d`: inverted dropout of elements or of whole channels, seeded,
//! identity in evaluation mode.

use std::sync::Mutex;

use crate::rng::{seeded, Rng};
use autograd::Var;
use tensor::{Float, Tensor};

use crate::module::Module;

/// During training, zeroes each element with probability `p` and scales the survivors by
/// `1/(1 − p)`, so the expected value is unchanged ("inverted" dropout, as PyTorch and
/// Keras). In evaluation mode it is the identity. The mask is drawn from the layer's own
/// seeded generator, so runs repeat exactly.
///
/// ```
/// use autograd::Tape;
/// use nn::{Dropout, Module};
/// use tensor::Tensor;
/// let mut drop = Dropout::new(0.5, 42);
/// let tape = Tape::new();
/// let y = drop.forward(tape.constant(Tensor::<f32>::ones(&[1000])));
/// assert!(y.value().to_vec().iter().all(|&v| v == 0.0 || v == 2.0));
/// Module::<f32>::set_training(&mut drop, false);
/// assert_eq!(drop.forward(tape.constant(Tensor::<f32>::ones(&[3]))).value().to_vec(), vec![1.0; 3]);
/// ```
#[derive(Debug)]
pub struct Dropout {
    p: f64,
    training: bool,
    rng: Mutex<Rng>,
}

impl Dropout {
    /// Dropout with drop probability `p` and a seed for its masks.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    #[must_use]
    pub fn new(p: f64, seed: u64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: p must be in [0, 1], got {p}"
        );
        Dropout {
            p,
            training: true,
            rng: Mutex::new(seeded(seed)),
        }
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// A mask of `shape`: 0 with probability `p`, else `1/(1 − p)`.
    fn mask<T: Float>(&self, shape: &[usize]) -> Tensor<T> {
        if self.p >= 1.0 {
            return Tensor::zeros(shape);
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        Tensor::<T>::rand_bernoulli(shape, 1.0 - self.p, &mut *rng)
            .mul_scalar(T::from_f64(1.0 / (1.0 - self.p)))
    }
}

impl<T: Float> Module<T> for Dropout {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        if !self.training || self.p == 0.0 {
            return x;
        }
        x * x.tape().constant(self.mask(&x.shape()))
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    fn describe(&self) -> String {
        format!("Dropout(p={})", self.p)
    }

    fn rngs(&self) -> Vec<(String, &Mutex<Rng>)> {
        vec![("rng".to_string(), &self.rng)]
    }
}

/// Channel dropout (PyTorch `nn.Dropout2d`): during training, zeroes each whole channel of
/// an `[N, C, H, W]` input (one draw per `(n, c)`) with probability `p` and scales the
/// survivors by `1/(1 − p)`; the identity in evaluation mode. Seeded like [`Dropout`].
///
/// # Panics
/// At construction if `p` is not in `[0, 1]`; in training-mode `forward` if the input is
/// not 4-D.
///
/// ```
/// use autograd::Tape;
/// use nn::{Dropout2d, Module};
/// use tensor::Tensor;
/// let drop = Dropout2d::new(0.5, 7);
/// let tape = Tape::new();
/// let y = drop.forward(tape.constant(Tensor::<f32>::ones(&[4, 8, 3, 3]))).value().to_vec();
/// for plane in y.chunks(9) {
///     assert!(plane.iter().all(|&v| v == plane[0]) && (plane[0] == 0.0 || plane[0] == 2.0));
/// }
/// ```
#[derive(Debug)]
pub struct Dropout2d(Dropout);

impl Dropout2d {
    /// Channel dropout with drop probability `p` and a seed for its masks.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    #[must_use]
    pub fn new(p: f64, seed: u64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout2d: p must be in [0, 1], got {p}"
        );
        Dropout2d(Dropout::new(p, seed))
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.0.p
    }
}

impl<T: Float> Module<T> for Dropout2d {
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        if !self.0.training || self.0.p == 0.0 {
            return x;
        }
        let shape = x.shape();
        assert!(
            shape.len() == 4,
            "Dropout2d: expected input [N, C, H, W], got {shape:?}"
        );
        // One mask entry per channel, broadcast over the plane.
        let mask_shape = [shape[0], shape[1], 1, 1];
        x * x.tape().constant(self.0.mask(&mask_shape))
    }

    fn set_training(&mut self, training: bool) {
        self.0.training = training;
    }

    fn describe(&self) -> String {
        format!("Dropout2d(p={})", self.0.p)
    }

    fn rngs(&self) -> Vec<(String, &Mutex<Rng>)> {
        vec![("rng".to_string(), &self.0.rng)]
    }
}
