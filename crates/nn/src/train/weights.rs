//! `sample_weight` and `class_weight` in `fit`, with Keras' semantics: each sample's loss
//! is scaled by its weight, and the batch loss is `Σ wᵢ·lᵢ / N` — the sum over the batch
//! divided by the batch size (Keras' `SUM_OVER_BATCH_SIZE`), not by the sum of the weights.
//! So weights are relative to 1: all weights 1 is the unweighted mean, and a row of weight 0
//! still counts in `N` (it dilutes the batch). The epoch `loss` is the batch-size-weighted
//! mean of these batch losses, `Σᵢ wᵢ·lᵢ / n` over the epoch's rows (while the weights of
//! the model change), plus any regularization penalty.
//!
//! * `sample_weight` (one weight per row) is shuffled and batched with `x` and `y`; a
//!   `validation_split` takes the last rows' weights along, and `val_loss` is weighted by
//!   them (Keras' `train_validation_split` splits `x`, `y` and `sample_weight` alike).
//! * `class_weight` (class index → weight; classes not listed weigh 1) becomes one weight
//!   per training row from its target: the class index itself, or the arg-max of a one-hot
//!   row, or the rounded value of a `[N, 1]`/`[N]` binary target (Keras'
//!   `class_weight_to_sample_weights`). It weights training only, not validation (as Keras).
//! * Both at once is an error, as in Keras 3; so are a weight count other than the row
//!   count, negative or non-finite weights, `class_weight` with a regression loss, and a
//!   loss without [`Loss::per_sample`].
//! * Metrics are not weighted (Keras weights only its separate `weighted_metrics`).

use std::collections::BTreeMap;

use autograd::{Tape, Var};
use tensor::{Float, Tensor};

use super::error::TrainError;
use super::model::rows;
use crate::loss::{weighted, Loss, Prediction};
use crate::module::Module;

/// The weights of a run: per training row, and per validation row (from a split).
pub(crate) struct RowWeights<T: Float> {
    pub(crate) train: Option<Tensor<T>>,
    pub(crate) validation: Option<Tensor<T>>,
}

fn error(reason: String) -> TrainError {
    TrainError::Weights { reason }
}

/// Checks the configured weights against the data and the loss, and turns them into one
/// weight per row: training rows `0..split_at`, validation rows `split_at..n` of `x`.
pub(crate) fn resolve<T: Float>(
    module: &dyn Module<T>,
    loss: &dyn Loss<T>,
    sample_weight: Option<&Tensor<T>>,
    class_weight: Option<&BTreeMap<usize, f64>>,
    (x, y): (&Tensor<T>, &Tensor<T>),
    split_at: usize,
) -> Result<RowWeights<T>, TrainError> {
    let n = rows(x);
    let none = RowWeights {
        train: None,
        validation: None,
    };
    let weights = match (sample_weight, class_weight) {
        (None, None) => return Ok(none),
        (Some(_), Some(_)) => {
            return Err(error(
                "sample_weight and class_weight cannot both be given (as in Keras): fold the \
                 class weights into the sample weights"
                    .into(),
            ))
        }
        (Some(w), None) => check_sample_weight(w, n)?,
        (None, Some(cw)) => {
            if loss.prediction() == Prediction::Values {
                return Err(error(format!(
                    "class_weight needs a classification loss, but {} is a regression loss; \
                     use sample_weight to weight rows",
                    loss.name()
                )));
            }
            if let Some((c, w)) = cw.iter().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
                return Err(error(format!(
                    "class_weight of class {c} is {w}; weights must be finite and ≥ 0"
                )));
            }
            class_weights(&y.narrow(0, 0, split_at), cw)?
        }
    };
    check_per_sample(module, loss, x, y)?;
    Ok(match class_weight {
        Some(_) => RowWeights {
            train: Some(weights),
            validation: None,
        },
        None => RowWeights {
            train: Some(weights.narrow(0, 0, split_at).contiguous()),
            validation: (split_at < n).then(|| weights.narrow(0, split_at, n - split_at)),
        },
    })
}

/// `[n]` (or `[n, 1]`) finite weights ≥ 0, as `[n]`.
fn check_sample_weight<T: Float>(w: &Tensor<T>, n: usize) -> Result<Tensor<T>, TrainError> {
    let shape = w.shape();
    if !(shape == [n] || shape == [n, 1]) {
        return Err(error(format!(
            "sample_weight has shape {shape:?}, but x has {n} rows: give one weight per row, \
             shaped [{n}]"
        )));
    }
    let values = w.to_vec();
    if let Some(row) = values
        .iter()
        .position(|v| !(v.is_finite() && *v >= T::ZERO))
    {
        return Err(error(format!(
            "sample_weight is {} at row {row}; weights must be finite and ≥ 0",
            values[row]
        )));
    }
    Ok(Tensor::from_vec(values, &[n]).expect("n values"))
}

/// One weight per row from its class: the index itself (`[N]`, `[N, 1]`, rounded), or
/// the arg-max of a `[N, C]` row (one-hot). Classes not in `cw` weigh 1.
fn class_weights<T: Float>(
    y: &Tensor<T>,
    cw: &BTreeMap<usize, f64>,
) -> Result<Tensor<T>, TrainError> {
    let shape = y.shape().to_vec();
    let classes: Vec<f64> = match shape.as_slice() {
        [_] | [_, 1] => y.to_vec().iter().map(|v| v.to_f64().round()).collect(),
        [_, c] => y
            .to_vec()
            .chunks(*c)
            .map(|row| {
                let mut best = 0;
                for (i, v) in row.iter().enumerate() {
                    if *v > row[best] {
                        best = i;
                    }
                }
                best as f64
            })
            .collect(),
        _ => {
            return Err(error(format!(
                "class_weight needs targets [N] (class indices), [N, 1] or [N, C] (one-hot); \
                 got shape {shape:?}"
            )))
        }
    };
    let w: Vec<T> = classes
        .iter()
        .map(|&c| {
            let weight = if c >= 0.0 {
                cw.get(&(c as usize)).copied().unwrap_or(1.0)
            } else {
                1.0
            };
            T::from_f64(weight)
        })
        .collect();
    let n = w.len();
    Ok(Tensor::from_vec(w, &[n]).expect("n values"))
}

/// The loss must split by sample: tried on the first row before training.
fn check_per_sample<T: Float>(
    module: &dyn Module<T>,
    loss: &dyn Loss<T>,
    x: &Tensor<T>,
    y: &Tensor<T>,
) -> Result<(), TrainError> {
    let tape = Tape::inference();
    let pred = super::evaluate::probe(module, &tape, x, "fit")?;
    match loss.per_sample(pred, &y.narrow(0, 0, 1).contiguous()) {
        Some(_) => Ok(()),
        None => Err(error(format!(
            "the {} loss gives no per-sample losses (Loss::per_sample), so it cannot weight \
             samples",
            loss.name()
        ))),
    }
}

/// The batch loss: the loss's own mean without weights (unchanged, bit for bit), else
/// `Σ wᵢ·lᵢ / N` (Keras' `SUM_OVER_BATCH_SIZE`). A row of weight exactly 0 adds 0 even
/// when its loss is infinite.
///
/// # Panics
/// If the loss has no per-sample form (`fit` checks that before training).
pub(crate) fn batch_loss<'t, T: Float>(
    loss: &dyn Loss<T>,
    pred: Var<'t, T>,
    target: &Tensor<T>,
    weights: Option<&Tensor<T>>,
) -> Var<'t, T> {
    let Some(w) = weights else {
        return loss.loss(pred, target);
    };
    let per = loss
        .per_sample(pred, target)
        .expect("fit checked that the loss gives per-sample losses");
    weighted(w, per)
        .sum_all()
        .div_scalar(T::from_usize(w.numel().max(1)))
}
