//! The checks before `fit` trains: inputs, settings, the validation split (taken before
//! any shuffling) and the row weights, then the names each epoch will log and the
//! warning about a last layer the loss does not expect. Nothing here changes the model.

use tensor::{Float, Tensor};

use super::config::{check_clipping, FitConfig, Validation};
use super::error::TrainError;
use super::model::{check_finite_data, rows, Model};
use super::weights::{self, RowWeights};

/// The rows `fit` trains and validates on, checked and contiguous.
pub(super) struct Data<T: Float> {
    pub(super) x: Tensor<T>,
    pub(super) y: Tensor<T>,
    pub(super) validation: Option<(Tensor<T>, Tensor<T>)>,
    /// Per-row loss weights (`sample_weight`, `class_weight`; see `weights.rs`).
    pub(super) weights: RowWeights<T>,
}

impl<T: Float> Model<T> {
    /// Checks the inputs and takes the validation rows out (before any shuffling).
    pub(super) fn prepare(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        config: &mut FitConfig<T>,
    ) -> Result<Data<T>, TrainError> {
        // Evaluation mode until the checks pass, so that every way out of `fit` leaves it.
        self.module.set_training(false);
        self.optimizer.validate()?;
        self.check_loss("fit")?;
        check_clipping(self.clip_norm, self.clip_value)?;
        self.check_features("fit", x)?;
        let n = rows(x);
        if n != rows(y) {
            return Err(TrainError::RowMismatch {
                what: "fit",
                x_rows: n,
                y_rows: rows(y),
            });
        }
        if n == 0 {
            return Err(TrainError::Empty);
        }
        check_finite_data("fit", "x", x)?;
        check_finite_data("fit", "y", y)?;
        if config.batch_size == 0 {
            return Err(TrainError::BatchSize);
        }
        let mut split_at = n;
        let (x_train, y_train, validation) = match std::mem::take(&mut config.validation) {
            Validation::None => (x.clone(), y.clone(), None),
            Validation::Data(xv, yv) => (x.clone(), y.clone(), Some((xv, yv))),
            Validation::Split(f) => {
                if !(f > 0.0 && f < 1.0) {
                    return Err(TrainError::ValidationSplit {
                        reason: format!("got {f}"),
                    });
                }
                split_at = (n as f64 * (1.0 - f)).floor() as usize;
                if split_at == 0 || split_at == n {
                    return Err(TrainError::ValidationSplit {
                        reason: format!("got {f} for {n} rows (training rows: {split_at})"),
                    });
                }
                let held_out = n - split_at;
                (
                    x.narrow(0, 0, split_at),
                    y.narrow(0, 0, split_at),
                    Some((
                        x.narrow(0, split_at, held_out),
                        y.narrow(0, split_at, held_out),
                    )),
                )
            }
        };
        self.check_inputs("fit", &x_train, &y_train)?;
        if let Some((xv, yv)) = &validation {
            if rows(xv) == 0 {
                return Err(TrainError::NoRows {
                    what: "validation data",
                });
            }
            check_finite_data("validation data", "x", xv)?;
            check_finite_data("validation data", "y", yv)?;
            if rows(xv) != rows(yv) {
                return Err(TrainError::RowMismatch {
                    what: "validation data",
                    x_rows: rows(xv),
                    y_rows: rows(yv),
                });
            }
            self.check_inputs("validation data", xv, yv)?;
        }
        let train_rows = rows(&x_train);
        config.check_batches(train_rows)?;
        let single_row =
            config.batch_size == 1 || (train_rows % config.batch_size == 1 && !config.drop_last);
        if single_row && super::evaluate::one_value_per_channel(&*self.module, &x_train) {
            return Err(TrainError::SingleRowBatch {
                rows: train_rows,
                batch_size: config.batch_size,
            });
        }
        let weights = weights::resolve(
            &*self.module,
            &*self.loss,
            config.sample_weight.as_ref(),
            config.class_weight.as_ref(),
            (x, y),
            split_at,
        );
        // `fit` itself switches to training mode once everything has been checked.
        Ok(Data {
            x: x_train.contiguous(),
            y: y_train.contiguous(),
            validation,
            weights: weights?,
        })
    }

    /// A warning when the model's last layer does not produce what the loss expects
    /// (Keras warns the same way about a Softmax output and `from_logits=True`).
    pub(super) fn prediction_warning(&self) -> Option<String> {
        use crate::loss::Prediction::{LogProbabilities, Logits, Probabilities, Values};
        let expected = self.loss.prediction();
        let output = self.module.output_kind()?;
        let (name, wants) = (self.loss.name(), expected.describe());
        let advice = match (output, expected) {
            (_, Values) => return None,
            (a, b) if a == b => return None,
            (LogProbabilities, Logits) => return None, // log_softmax is idempotent
            (Probabilities, Logits) => {
                "the loss applies softmax (or sigmoid) itself, so it is \
                applied twice: the loss and its gradients are wrong while accuracy can still \
                look right; remove the last layer, or use a loss on probabilities \
                (SparseCategoricalCrossentropy::new(), BinaryCrossentropy::new())"
            }
            (Logits, Probabilities) => {
                "raw scores are read as probabilities; end the model \
                in Softmax/Sigmoid, or set from_logits(true) on the loss"
            }
            (_, LogProbabilities) => "end the model in LogSoftmax, or use CrossEntropy on logits",
            _ => "check the model's last layer against the loss",
        };
        Some(format!(
            "the model's last layer outputs {}, but the {name} loss expects {wants}: {advice}",
            output.describe()
        ))
    }

    /// The names each epoch's logs will hold, in order.
    pub(super) fn log_names(&self, validating: bool) -> Vec<String> {
        let mut names = vec!["loss".to_string()];
        names.extend(self.metrics.iter().map(|m| m.name().to_string()));
        if validating {
            let val: Vec<String> = names.iter().map(|n| format!("val_{n}")).collect();
            names.extend(val);
        }
        names.push("learning_rate".to_string());
        names
    }
}
