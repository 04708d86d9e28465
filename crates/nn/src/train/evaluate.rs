//! `Model::evaluate` and `Model::predict`, and the input checks `fit` shares with them.

use autograd::{ParamId, Tape};
use tensor::{Float, Tensor};

use super::error::TrainError;
use super::metrics::Metric;
use super::model::{check_finite_data, rows, Model};
use super::weights::batch_loss;
use super::Logs;
use crate::loss::Loss;
use crate::module::Module;

impl<T: Float> Model<T> {
    /// `x` is `[rows, …]` with each row shaped as the model's first layer takes it (when
    /// the model says; see [`Module::input_shape`]).
    pub(crate) fn check_features(
        &self,
        what: &'static str,
        x: &Tensor<T>,
    ) -> Result<(), TrainError> {
        let Some(expected) = self.module.input_shape() else {
            return self
                .module
                .check_input(x)
                .map_err(|reason| TrainError::InputValues { what, reason });
        };
        let shape = x.shape();
        let leading = self.module.takes_leading_axes();
        if fits(shape, &expected, leading) {
            return self
                .module
                .check_input(x)
                .map_err(|reason| TrainError::InputValues { what, reason });
        }
        let hint = match (shape.len(), expected.len()) {
            (1, 1) => "; a 1-D x is ambiguous: reshape it to [N, 1] for one feature per row, or to [1, F] for one sample",
            (0, _) => "; x needs a batch axis",
            _ => "",
        };
        Err(TrainError::InputShape {
            what,
            shape: shape.to_vec(),
            expected: format!("{}{hint}", expected_text(&expected, leading)),
        })
    }

    /// The loss's own settings ([`crate::loss::Loss::validate`]).
    pub(crate) fn check_loss(&self, what: &'static str) -> Result<(), TrainError> {
        self.loss
            .validate()
            .map_err(|reason| TrainError::LossConfig {
                what,
                loss: self.loss.name(),
                reason,
            })
    }

    pub(crate) fn check_inputs(
        &mut self,
        what: &'static str,
        x: &Tensor<T>,
        y: &Tensor<T>,
    ) -> Result<(), TrainError> {
        self.check_features(what, x)?;
        if rows(x) == 0 {
            return Ok(());
        }
        // The prediction's shape for all rows, from one row in evaluation mode (the
        // mode a model is in outside `fit`'s loop, checks failing or not).
        self.module.set_training(false);
        let tape = Tape::inference();
        let one = self.probe_on(&tape, x, what)?.shape();
        let mut pred_shape = one;
        pred_shape[0] = rows(x);
        self.loss
            .check(&pred_shape, y)
            .map_err(|reason| TrainError::Targets {
                what,
                loss: self.loss.name(),
                reason,
            })?;
        // Metrics are checked on all targets before the first batch.
        for m in &self.metrics {
            m.check(&pred_shape, y)
                .map_err(|error| TrainError::Metric { what, error })?;
        }
        Ok(())
    }

    /// The forward pass of `x`'s first row on `tape`, for the checks before `fit`,
    /// `evaluate` and `predict` (`x` has a row), through [`probe`], which puts back any
    /// weight the pass changed.
    fn probe_on<'t>(
        &self,
        tape: &'t Tape<T>,
        x: &Tensor<T>,
        what: &'static str,
    ) -> Result<autograd::Var<'t, T>, TrainError> {
        probe(&*self.module, tape, x, what)
    }

    /// A warning when the forward pass uses parameters that the module's `parameters()`
    /// does not list (a layer left out of [`Module::children`](crate::Module::children)):
    /// `fit` would never update them, and saving would leave them out. Found with one
    /// row of `x` in evaluation mode, on a tape that records nothing.
    pub(crate) fn unlisted_parameters_warning(&self, x: &Tensor<T>) -> Option<String> {
        if rows(x) == 0 {
            return None;
        }
        let tape = Tape::inference();
        // A layer that does not fit is reported by the checks themselves.
        self.probe_on(&tape, x, "fit").ok()?;
        let listed: Vec<ParamId> = self
            .module
            .parameter_refs()
            .iter()
            .map(|p| p.id())
            .collect();
        let unlisted: Vec<String> = tape
            .bound_params()
            .into_iter()
            .filter(|(id, _)| !listed.contains(id))
            .map(|(_, v)| format!("{:?}", v.shape()))
            .collect();
        (!unlisted.is_empty()).then(|| {
            format!(
                "the model's forward pass uses {} parameter(s) that its parameters() does not \
                 list (shapes {}): fit will not train them and saving will leave them out; \
                 list the layers holding them in Module::children (or in parameters())",
                unlisted.len(),
                unlisted.join(", ")
            )
        })
    }

    pub(crate) fn evaluate_logs(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        batch_size: usize,
    ) -> Logs {
        evaluate_logs(
            &*self.module,
            &*self.loss,
            &mut self.metrics,
            (x, y, None),
            batch_size,
        )
    }

    /// The loss (with regularization penalties) and metrics on `x`, `y`, in evaluation
    /// mode, in batches of 256.
    ///
    /// # Errors
    /// As the input checks of [`Model::fit`].
    ///
    /// # Panics
    /// If a metric cannot read the targets (see [`Metric::check`]), before any batch, with
    /// the metric and both shapes in the message.
    pub fn evaluate(&mut self, x: &Tensor<T>, y: &Tensor<T>) -> Result<Logs, TrainError> {
        self.check_loss("evaluate")?;
        self.check_features("evaluate", x)?;
        if rows(x) != rows(y) {
            return Err(TrainError::RowMismatch {
                what: "evaluate",
                x_rows: rows(x),
                y_rows: rows(y),
            });
        }
        if rows(x) == 0 {
            return Err(TrainError::NoRows { what: "evaluate" });
        }
        check_finite_data("evaluate", "x", x)?;
        check_finite_data("evaluate", "y", y)?;
        self.check_inputs("evaluate", x, y)?;
        self.module.set_training(false);
        Ok(self.evaluate_logs(x, y, 256))
    }

    /// The predicted class of each row: the arg-max of `[N, C]` predictions (ties to the
    /// first), or for one output per row (`[N]`, `[N, 1]`) class 1 above 0.5 for
    /// probabilities and above 0 for logits (the model's [`Module::output_kind`]).
    ///
    /// # Errors
    /// As [`Model::predict`].
    pub fn predict_classes(&mut self, x: &Tensor<T>) -> Result<Vec<usize>, TrainError> {
        let pred = self.predict(x)?;
        let shape = pred.shape().to_vec();
        if shape.len() == 2 && shape[1] > 1 {
            return Ok(pred
                .argmax(-1, false)
                .to_vec()
                .iter()
                .map(|v| v.to_f64() as usize)
                .collect());
        }
        let threshold = match self.module.output_kind() {
            Some(crate::loss::Prediction::Logits) => 0.0,
            _ => 0.5,
        };
        Ok(pred
            .to_vec()
            .iter()
            .map(|v| usize::from(v.to_f64() > threshold))
            .collect())
    }

    /// Class probabilities: the predictions as they are when the model ends in Softmax or
    /// Sigmoid, through softmax (`[N, C]`) or sigmoid (one output per row) when it ends in
    /// logits, exponentiated when it ends in LogSoftmax.
    ///
    /// # Errors
    /// As [`Model::predict`].
    pub fn predict_proba(&mut self, x: &Tensor<T>) -> Result<Tensor<T>, TrainError> {
        use crate::loss::Prediction;
        let pred = self.predict(x)?;
        let multi = pred.ndim() == 2 && pred.shape()[1] > 1;
        Ok(match self.module.output_kind() {
            Some(Prediction::Logits) if multi => pred.softmax(-1),
            Some(Prediction::Logits) => pred.sigmoid(),
            Some(Prediction::LogProbabilities) => pred.exp(),
            _ => pred,
        })
    }

    /// Predictions for `x` in evaluation mode, in batches of 256, recording no tape.
    ///
    /// # Errors
    /// [`TrainError::InputShape`] if a row of `x` is not shaped as the model takes it,
    /// [`TrainError::LayerInput`] if a layer of a `Sequential` is not given the shape it
    /// takes, [`TrainError::NonFiniteData`] if `x` holds a NaN or an infinity.
    pub fn predict(&mut self, x: &Tensor<T>) -> Result<Tensor<T>, TrainError> {
        self.check_features("predict", x)?;
        check_finite_data("predict", "x", x)?;
        self.module.set_training(false);
        let n = rows(x);
        if n == 0 {
            // No rows: the model still decides the output's other axes.
            let tape = Tape::inference();
            let x = tape.constant(x.contiguous());
            return Ok(forward_checked(&*self.module, x, "predict")?.value());
        }
        let mut parts = Vec::new();
        let mut start = 0;
        while start < n {
            let len = 256.min(n - start);
            let tape = Tape::inference();
            let xb = tape.constant(x.narrow(0, start, len).contiguous());
            parts.push(forward_checked(&*self.module, xb, "predict")?.value());
            start += len;
        }
        let refs: Vec<&Tensor<T>> = parts.iter().collect();
        Ok(Tensor::concat(&refs, 0))
    }
}

/// The loss (with penalties) and metrics on `x`, `y` in batches, recording no tape; the
/// metrics are reset first. With per-row weights `w`, the loss is `Σ wᵢ·lᵢ / n` (Keras'
/// weighted `val_loss`); metrics are not weighted.
pub(crate) fn evaluate_logs<T: Float>(
    module: &dyn Module<T>,
    loss: &dyn Loss<T>,
    metrics: &mut [Box<dyn Metric<T>>],
    (x, y, w): (&Tensor<T>, &Tensor<T>, Option<&Tensor<T>>),
    batch_size: usize,
) -> Logs {
    let n = rows(x);
    let (mut sum, mut penalty) = (0.0, 0.0);
    for m in metrics.iter_mut() {
        m.reset();
    }
    let mut start = 0;
    while start < n {
        let len = batch_size.min(n - start);
        let (xb, yb) = (x.narrow(0, start, len), y.narrow(0, start, len));
        let tape = Tape::inference();
        let pred = module.forward(tape.constant(xb.contiguous()));
        let wb = w.map(|w| w.narrow(0, start, len).contiguous());
        sum += batch_loss(loss, pred, &yb.contiguous(), wb.as_ref())
            .item()
            .to_f64()
            * len as f64;
        penalty = module.penalty(&tape).map_or(0.0, |p| p.item().to_f64());
        let pv = pred.value();
        for m in metrics.iter_mut() {
            m.update(&pv, &yb);
        }
        start += len;
    }
    let mut logs = Logs::new();
    logs.set("loss", sum / n.max(1) as f64 + penalty);
    for m in metrics.iter() {
        logs.set(m.name(), m.compute());
    }
    logs
}

/// The forward pass of `x`'s first row on `tape`, with the module's weights put back
/// afterwards: a forward pass may change them in place (an `Embedding` with `max_norm`
/// rescales the rows it looks up, as PyTorch's does), and a check must not, so that a
/// `fit` refused by it leaves the model as it was (cheap: each saved value shares storage
/// with the parameter until the pass writes to it).
///
/// A [`Sequential`](crate::Sequential) is run layer by layer, each layer's declared
/// [`input_shape`](Module::input_shape) checked against what the layers before it give,
/// so that a mismatch deep inside (a `Linear` after a `Flatten`, with the wrong input
/// size) is a [`TrainError::LayerInput`] naming the layer, rather than a panic inside it.
pub(super) fn probe<'t, T: Float>(
    module: &dyn Module<T>,
    tape: &'t Tape<T>,
    x: &Tensor<T>,
    what: &'static str,
) -> Result<autograd::Var<'t, T>, TrainError> {
    let row = tape.constant(x.narrow(0, 0, 1).contiguous());
    weights_kept(module, || forward_checked(module, row, what))
}

/// `f`, with the module's weights put back afterwards (see [`probe`]).
fn weights_kept<T: Float, R>(module: &dyn Module<T>, f: impl FnOnce() -> R) -> R {
    let params = module.parameter_refs();
    let before: Vec<Tensor<T>> = params.iter().map(|p| p.value()).collect();
    let out = f();
    for (p, value) in params.iter().zip(before) {
        p.set(value);
    }
    out
}

/// Whether a one-row batch would give a layer that normalizes with batch statistics
/// (BatchNorm) only one value per channel, which PyTorch refuses (`N·∏ spatial = 1`):
/// a `BatchNorm1d` on `[1, C]`, not a `BatchNorm2d` on `[1, C, H, W]` images with more
/// than one pixel. Found layer by layer inside a [`Sequential`](crate::Sequential) (at any
/// depth) from `x`'s first row, on a tape that records nothing, with the weights put
/// back; any other module using batch statistics counts as one that would (its own
/// `forward` decides its layers' shapes). `x` has a row and fits the model.
pub(super) fn one_value_per_channel<T: Float>(module: &dyn Module<T>, x: &Tensor<T>) -> bool {
    if !module.uses_batch_statistics() {
        return false;
    }
    let tape = Tape::inference();
    let row = tape.constant(x.narrow(0, 0, 1).contiguous());
    let mut single = false;
    let mut visit = |layer: &dyn Module<T>, _: &str, h: &autograd::Var<'_, T>| {
        // PyTorch's count: the batch axis times every axis after the channels.
        let values = |shape: Vec<usize>| -> usize {
            let batch = shape.first().copied().unwrap_or(1);
            batch * shape.iter().skip(2).product::<usize>()
        };
        single |= layer.uses_batch_statistics()
            && (!layer.children().is_empty() || values(h.shape()) == 1);
        Ok::<(), std::convert::Infallible>(())
    };
    let _ = weights_kept(module, || forward_layers(module, row, "", &mut visit));
    single
}

/// `module`'s forward pass on `h`; a [`Sequential`](crate::Sequential)'s layer by layer,
/// at any depth. `visit` sees each layer that is not a `Sequential`, its path in the model
/// (`2`, or `1.1` inside a nested `Sequential`; empty for a model that is not one) and its
/// input, before the layer runs; an error from it stops the pass.
fn forward_layers<'t, T: Float, E>(
    module: &dyn Module<T>,
    h: autograd::Var<'t, T>,
    path: &str,
    visit: &mut impl FnMut(&dyn Module<T>, &str, &autograd::Var<'t, T>) -> Result<(), E>,
) -> Result<autograd::Var<'t, T>, E> {
    let Some(seq) = module.as_sequential() else {
        visit(module, path, &h)?;
        return Ok(module.forward(h));
    };
    let mut h = h;
    for (i, layer) in seq.layers().iter().enumerate() {
        let path = if path.is_empty() {
            i.to_string()
        } else {
            format!("{path}.{i}")
        };
        h = forward_layers(&**layer, h, &path, visit)?;
    }
    Ok(h)
}

/// `module`'s forward pass, each layer's declared input shape checked first
/// ([`forward_layers`]).
///
/// Past the model's first layer (whose input `check_features` holds to the letter), a
/// declared feature count (`input_features`, one axis) is read as the last axis, with any
/// axes before it: a custom module that declares it often takes `[N, T, F]` as well
/// without saying so, and the check is there to name a wrong size, not to refuse a model
/// that runs. A declared shape of more axes (`Conv2d`'s `[C, any, any]`) is read exactly,
/// unless the layer takes leading axes.
fn forward_checked<'t, T: Float>(
    module: &dyn Module<T>,
    h: autograd::Var<'t, T>,
    what: &'static str,
) -> Result<autograd::Var<'t, T>, TrainError> {
    let mut visit = |layer: &dyn Module<T>, path: &str, h: &autograd::Var<'t, T>| {
        let Some(expected) = layer.input_shape().filter(|_| !path.is_empty()) else {
            return Ok(()); // a model that is not a Sequential: check_features saw it
        };
        let shape = h.shape();
        let leading = layer.takes_leading_axes() || expected.len() == 1;
        if fits(&shape, &expected, leading) {
            return Ok(());
        }
        Err(TrainError::LayerInput {
            what,
            layer: format!("{path} ({})", layer.describe()),
            sample: shape.iter().skip(1).copied().collect(),
            expected: expected_text(&expected, leading),
        })
    };
    forward_layers(module, h, "", &mut visit)
}

/// Whether a batch shaped `shape` fits a module that takes samples shaped `expected`
/// (`None`: any length), with extra axes after the batch axis when `leading`.
fn fits(shape: &[usize], expected: &[Option<usize>], leading: bool) -> bool {
    let rank_fits =
        shape.len() == expected.len() + 1 || (leading && shape.len() > expected.len() + 1);
    rank_fits
        && shape[shape.len() - expected.len()..]
            .iter()
            .zip(expected)
            .all(|(&n, e)| e.is_none() || *e == Some(n))
}

/// `[N, 3]`, `[N, …, 3]` or `[N, 1, any, any]`: what a module with this declared input
/// shape takes.
fn expected_text(expected: &[Option<usize>], leading: bool) -> String {
    let dims: Vec<String> = expected
        .iter()
        .map(|e| e.map_or("any".to_string(), |n| n.to_string()))
        .collect();
    format!(
        "[N, {}{}]",
        if leading { "…, " } else { "" },
        dims.join(", ")
    )
}
