//! Keras' classification losses, which say what they take: probabilities by default
//! (Keras' `from_logits=False`), or logits with `.from_logits(true)`; and the
//! [`Prediction`] kind every loss reports, so `fit` can warn when the model's last layer
//! does not produce it (a Softmax output fed to a loss that applies softmax again).

use autograd::Var;
use tensor::{Float, Tensor};

use super::*;

/// What a loss expects the model's predictions to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prediction {
    /// Unnormalized scores (no softmax or sigmoid at the end of the model).
    Logits,
    /// Probabilities (the model ends in Softmax or Sigmoid).
    Probabilities,
    /// Log-probabilities (the model ends in LogSoftmax).
    LogProbabilities,
    /// Any real values (regression losses).
    Values,
}

impl Prediction {
    /// In words, for messages.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Prediction::Logits => "logits",
            Prediction::Probabilities => "probabilities",
            Prediction::LogProbabilities => "log-probabilities",
            Prediction::Values => "values",
        }
    }
}

/// Keras' clipping bound for probabilities (`backend.epsilon()`).
const EPSILON: f64 = 1e-7;

/// `−Σ_c y_c·ln p_c` per row of probabilities `[N, C]`, as Keras computes it: each row
/// rescaled to sum to 1, then clipped into `[ε, 1 − ε]` (ε = 1e-7) so a probability of
/// exactly 0 gives a large finite loss, not ∞ (its gradient is 0 outside the clip, as in
/// Keras).
///
/// # Panics
/// If the shapes differ or the predictions are not `[N, C]`.
#[track_caller]
#[must_use]
pub fn categorical_crossentropy_probs<'t, T: Float>(
    probs: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("categorical_crossentropy", &probs, target);
    let p = (probs / probs.sum(1, true)).clamp(T::from_f64(EPSILON), T::from_f64(1.0 - EPSILON));
    let per = -weighted(target, p.ln()).sum(1, false);
    reduce(per, reduction, target.shape()[0])
}

/// `−[y·ln p + (1 − y)·ln(1 − p)]` on probabilities clipped into `[ε, 1 − ε]` (Keras'
/// `binary_crossentropy` with `from_logits=False`).
///
/// # Panics
/// If the shapes differ.
#[track_caller]
#[must_use]
pub fn binary_crossentropy_probs<'t, T: Float>(
    probs: Var<'t, T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_same_shape("binary_crossentropy", &probs, target);
    let p = probs.clamp(T::from_f64(EPSILON), T::from_f64(1.0 - EPSILON));
    let per = -(weighted(target, p.ln()) + weighted(&target.rsub_scalar(T::ONE), (-p).log1p()));
    reduce(per, reduction, target.shape().first().copied().unwrap_or(1))
}

/// What a Keras loss with this `from_logits` setting takes.
fn takes(from_logits: bool) -> Prediction {
    if from_logits {
        Prediction::Logits
    } else {
        Prediction::Probabilities
    }
}

/// One-hot rows `[N, C]` from class indices `[N]` (checked by the caller).
fn one_hot<T: Float>(labels: &Tensor<T>, classes: usize) -> Tensor<T> {
    let labels = labels.to_vec();
    let mut out = vec![T::ZERO; labels.len() * classes];
    for (row, l) in labels.iter().enumerate() {
        out[row * classes + l.to_f64() as usize] = T::ONE;
    }
    Tensor::from_vec(out, &[labels.len(), classes]).expect("N·C values")
}

/// Keras' `SparseCategoricalCrossentropy`: class-index targets `[N]`, predictions
/// `[N, C]` that are probabilities (default, as Keras) or logits (`from_logits(true)`,
/// the same as [`CrossEntropy`]).
///
/// ```
/// use nn::loss::{Loss, Prediction, SparseCategoricalCrossentropy};
/// let loss = SparseCategoricalCrossentropy::new();
/// assert_eq!(Loss::<f32>::prediction(&loss), Prediction::Probabilities);
/// assert_eq!(Loss::<f32>::prediction(&loss.from_logits(true)), Prediction::Logits);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SparseCategoricalCrossentropy {
    from_logits: bool,
}

impl SparseCategoricalCrossentropy {
    /// On probabilities (Keras' default).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Take logits instead (a fused, stable log-softmax).
    #[must_use]
    pub fn from_logits(mut self, from_logits: bool) -> Self {
        self.from_logits = from_logits;
        self
    }
}

impl SparseCategoricalCrossentropy {
    fn reduced<'t, T: Float>(
        &self,
        pred: Var<'t, T>,
        target: &Tensor<T>,
        reduction: Reduction,
    ) -> Var<'t, T> {
        if self.from_logits {
            return cross_entropy(pred, target, reduction);
        }
        if let Err(e) = check_class_targets(&pred.shape(), target) {
            panic!("sparse_categorical_crossentropy: {e}");
        }
        let onehot = one_hot(target, pred.shape()[1]);
        categorical_crossentropy_probs(pred, &onehot, reduction)
    }
}

impl<T: Float> Loss<T> for SparseCategoricalCrossentropy {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        self.reduced(pred, target, Reduction::Mean)
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(self.reduced(pred, target, Reduction::None))
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        check_class_targets(pred_shape, target)
    }
    fn name(&self) -> &'static str {
        "sparse_categorical_crossentropy"
    }
    fn prediction(&self) -> Prediction {
        takes(self.from_logits)
    }
}

/// Keras' `CategoricalCrossentropy`: one-hot (or probability) targets `[N, C]`,
/// predictions that are probabilities (default) or logits (`from_logits(true)`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CategoricalCrossentropy {
    from_logits: bool,
}

impl CategoricalCrossentropy {
    /// On probabilities (Keras' default).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Take logits instead (a fused, stable log-softmax).
    #[must_use]
    pub fn from_logits(mut self, from_logits: bool) -> Self {
        self.from_logits = from_logits;
        self
    }
}

impl CategoricalCrossentropy {
    fn reduced<'t, T: Float>(
        &self,
        pred: Var<'t, T>,
        target: &Tensor<T>,
        reduction: Reduction,
    ) -> Var<'t, T> {
        if self.from_logits {
            cross_entropy_probs(pred, target, reduction)
        } else {
            categorical_crossentropy_probs(pred, target, reduction)
        }
    }
}

impl<T: Float> Loss<T> for CategoricalCrossentropy {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        self.reduced(pred, target, Reduction::Mean)
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(self.reduced(pred, target, Reduction::None))
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        if pred_shape.len() != 2 {
            return Err(format!(
                "expected predictions of shape [N, C], got {pred_shape:?}"
            ));
        }
        check_probability_targets(pred_shape, target)
    }
    fn name(&self) -> &'static str {
        "categorical_crossentropy"
    }
    fn prediction(&self) -> Prediction {
        takes(self.from_logits)
    }
}

/// Keras' `BinaryCrossentropy`: targets in `[0, 1]`, predictions that are probabilities
/// (default) or logits (`from_logits(true)`, the same as [`BceWithLogits`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct BinaryCrossentropy {
    from_logits: bool,
}

impl BinaryCrossentropy {
    /// On probabilities (Keras' default).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Take logits instead (stable for any logit).
    #[must_use]
    pub fn from_logits(mut self, from_logits: bool) -> Self {
        self.from_logits = from_logits;
        self
    }
}

impl BinaryCrossentropy {
    fn reduced<'t, T: Float>(
        &self,
        pred: Var<'t, T>,
        target: &Tensor<T>,
        reduction: Reduction,
    ) -> Var<'t, T> {
        if self.from_logits {
            binary_cross_entropy_with_logits(pred, target, reduction)
        } else {
            binary_crossentropy_probs(pred, target, reduction)
        }
    }
}

impl<T: Float> Loss<T> for BinaryCrossentropy {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        self.reduced(pred, target, Reduction::Mean)
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(row_mean(self.reduced(pred, target, Reduction::None)))
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        check_probability_targets(pred_shape, target)
    }
    fn name(&self) -> &'static str {
        "binary_crossentropy"
    }
    fn prediction(&self) -> Prediction {
        takes(self.from_logits)
    }
}

/// A loss by its Keras name (`keras.losses.get`), for configuration from strings: `mse`
/// (`mean_squared_error`), `mae` (`mean_absolute_error`), `huber` (δ = 1),
/// `binary_crossentropy`, `categorical_crossentropy`, `sparse_categorical_crossentropy`
/// (the last three on probabilities, Keras' default), `kl_divergence` (`kld`).
///
/// # Errors
/// For any other name, a message listing the known ones.
///
/// ```
/// let loss = nn::loss::get::<f32>("sparse_categorical_crossentropy").unwrap();
/// assert_eq!(loss.name(), "sparse_categorical_crossentropy");
/// assert!(nn::loss::get::<f32>("cross_entropy").err().unwrap().contains("known: mse"));
/// ```
pub fn get<T: Float>(name: &str) -> Result<Box<dyn Loss<T>>, String> {
    Ok(match name {
        "mse" | "mean_squared_error" => Box::new(Mse),
        "mae" | "mean_absolute_error" => Box::new(Mae),
        "huber" => Box::new(Huber(1.0)),
        "binary_crossentropy" => Box::new(BinaryCrossentropy::new()),
        "categorical_crossentropy" => Box::new(CategoricalCrossentropy::new()),
        "sparse_categorical_crossentropy" => Box::new(SparseCategoricalCrossentropy::new()),
        "kl_divergence" | "kld" => Box::new(KlDiv),
        other => {
            return Err(format!(
                "unknown loss {other:?}; known: mse, mae, huber, binary_crossentropy, \
                 categorical_crossentropy, sparse_categorical_crossentropy, kl_divergence"
            ))
        }
    })
}
