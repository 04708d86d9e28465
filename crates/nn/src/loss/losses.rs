//! The [`Loss`] trait `Model` trains with, and the loss types that wrap the functions of
//! this module (`Mse`, `CrossEntropy`, …) with their target checks.

use autograd::Var;
use tensor::{Float, Tensor};

use super::*;
use crate::loss::Prediction;

/// The default [`Loss::check`]: targets shaped as the predictions.
fn same_shape_targets<T: Float>(pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
    if pred_shape == target.shape() {
        Ok(())
    } else {
        Err(format!(
            "predictions have shape {pred_shape:?} but targets have shape {:?}",
            target.shape()
        ))
    }
}

/// A loss for [`crate::Model`]: prediction and target to a scalar.
pub trait Loss<T: Float = f32>: Send + Sync {
    /// The loss value, recorded on the prediction's tape.
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T>;

    /// Checks that targets fit predictions of `pred_shape` before training starts.
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        same_shape_targets(pred_shape, target)
    }

    /// Checks the loss's own settings (Huber's `delta`), before `fit` or `evaluate`
    /// touches the model; a refusal is [`crate::train::TrainError::LossConfig`]. The
    /// default accepts: most losses have no settings.
    ///
    /// ```
    /// use nn::loss::{Huber, Loss, Mse};
    /// assert!(Loss::<f32>::validate(&Mse).is_ok());
    /// assert!(Loss::<f32>::validate(&Huber(0.0)).is_err());
    /// ```
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// The name shown in logs (`loss` always; this is for summaries).
    fn name(&self) -> &'static str;

    /// What the loss expects the predictions to be; `fit` warns when the model's last
    /// layer produces something else. The default is any real values (regression).
    fn prediction(&self) -> Prediction {
        Prediction::Values
    }

    /// One loss per sample, shaped `[N]`, whose mean is [`Loss::loss`] (for a loss over
    /// elements, each sample's mean over its other axes, as Keras' losses reduce the last
    /// axis). `fit` scales them for `sample_weight` and `class_weight`. `None` (the
    /// default) for a loss that does not split by sample; `fit` then refuses weights.
    ///
    /// ```
    /// use autograd::Tape;
    /// use nn::loss::{Loss, Mse};
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let pred = tape.var(Tensor::from([[1.0f64, 3.0], [0.0, 0.0]]));
    /// let target = Tensor::from([[0.0, 0.0], [0.0, 2.0]]);
    /// let per = Mse.per_sample(pred, &target).unwrap();
    /// assert_eq!(per.value().to_vec(), [(1.0 + 9.0) / 2.0, 4.0 / 2.0]);
    /// assert_eq!(per.mean_all().item(), Mse.loss(pred, &target).item());
    /// ```
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        let _ = (pred, target);
        None
    }
}

/// A boxed loss is a loss, so losses chosen at run time can be handed to `Model::new`.
impl<T: Float> Loss<T> for Box<dyn Loss<T>> {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        (**self).loss(pred, target)
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        (**self).check(pred_shape, target)
    }
    fn validate(&self) -> Result<(), String> {
        (**self).validate()
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn prediction(&self) -> Prediction {
        (**self).prediction()
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        (**self).per_sample(pred, target)
    }
}

/// Mean squared error as a [`Loss`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Mse;

impl<T: Float> Loss<T> for Mse {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        mse_loss(pred, target, Reduction::Mean)
    }
    fn name(&self) -> &'static str {
        "mse"
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(row_mean(mse_loss(pred, target, Reduction::None)))
    }
}

/// Mean absolute error as a [`Loss`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Mae;

impl<T: Float> Loss<T> for Mae {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        l1_loss(pred, target, Reduction::Mean)
    }
    fn name(&self) -> &'static str {
        "mae"
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(row_mean(l1_loss(pred, target, Reduction::None)))
    }
}

/// Huber loss as a [`Loss`].
#[derive(Clone, Copy, Debug)]
pub struct Huber(pub f64);

impl<T: Float> Loss<T> for Huber {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        huber_loss(pred, target, self.0, Reduction::Mean)
    }
    /// A positive, finite `delta`, so that `fit` refuses `Huber(0.0)` before training.
    fn validate(&self) -> Result<(), String> {
        super::check_huber_delta(self.0)
    }
    fn name(&self) -> &'static str {
        "huber"
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(row_mean(huber_loss(pred, target, self.0, Reduction::None)))
    }
}

/// Binary cross-entropy on probabilities as a [`Loss`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Bce;

impl<T: Float> Loss<T> for Bce {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        binary_cross_entropy(pred, target, Reduction::Mean)
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        check_probability_targets(pred_shape, target)
    }
    fn name(&self) -> &'static str {
        "binary_cross_entropy"
    }
    fn prediction(&self) -> Prediction {
        Prediction::Probabilities
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(row_mean(binary_cross_entropy(
            pred,
            target,
            Reduction::None,
        )))
    }
}

/// Binary cross-entropy on logits as a [`Loss`].
#[derive(Clone, Copy, Debug, Default)]
pub struct BceWithLogits;

impl<T: Float> Loss<T> for BceWithLogits {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        binary_cross_entropy_with_logits(pred, target, Reduction::Mean)
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        check_probability_targets(pred_shape, target)
    }
    fn name(&self) -> &'static str {
        "binary_cross_entropy_with_logits"
    }
    fn prediction(&self) -> Prediction {
        Prediction::Logits
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(row_mean(binary_cross_entropy_with_logits(
            pred,
            target,
            Reduction::None,
        )))
    }
}

/// Softmax cross-entropy on logits as a [`Loss`] (PyTorch's `CrossEntropyLoss`): targets
/// are class indices `[N]`, or class probabilities of the logits' shape `[N, C]`
/// (one-hot rows, soft labels), which must be finite and non-negative.
#[derive(Clone, Copy, Debug, Default)]
pub struct CrossEntropy;

impl<T: Float> Loss<T> for CrossEntropy {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        cross_entropy(pred, target, Reduction::Mean)
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        if super::is_probability_target(pred_shape, target) {
            let values = target.to_vec();
            return match values.iter().position(|&p| !p.is_finite() || p < T::ZERO) {
                Some(i) => Err(format!(
                    "class probabilities must be finite and non-negative; element {i} is {}",
                    values[i]
                )),
                None => Ok(()),
            };
        }
        check_class_targets(pred_shape, target)
    }
    fn name(&self) -> &'static str {
        "cross_entropy"
    }
    fn prediction(&self) -> Prediction {
        Prediction::Logits
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(cross_entropy(pred, target, Reduction::None))
    }
}

/// Negative log-likelihood on log-probabilities with class-index targets as a [`Loss`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Nll;

impl<T: Float> Loss<T> for Nll {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        nll_loss(pred, target, Reduction::Mean)
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), String> {
        check_class_targets(pred_shape, target)
    }
    fn name(&self) -> &'static str {
        "nll"
    }
    fn prediction(&self) -> Prediction {
        Prediction::LogProbabilities
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        Some(nll_loss(pred, target, Reduction::None))
    }
}

/// KL divergence (log-probability predictions, probability targets, `batchmean`) as a
/// [`Loss`].
#[derive(Clone, Copy, Debug, Default)]
pub struct KlDiv;

impl<T: Float> Loss<T> for KlDiv {
    fn loss<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Var<'t, T> {
        kl_div(pred, target, Reduction::BatchMean)
    }
    fn name(&self) -> &'static str {
        "kl_div"
    }
    fn prediction(&self) -> Prediction {
        Prediction::LogProbabilities
    }
    fn per_sample<'t>(&self, pred: Var<'t, T>, target: &Tensor<T>) -> Option<Var<'t, T>> {
        // `batchmean`: the sum over a sample's elements.
        let per = kl_div(pred, target, Reduction::None);
        let n = per.shape().first().copied().unwrap_or(1) as isize;
        Some(per.reshape(&[n, -1]).sum(1, false))
    }
}
