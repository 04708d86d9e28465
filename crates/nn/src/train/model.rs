//! `Model`: a module with its loss, optimizer and metrics; `fit`, `evaluate`, `predict`.

use std::time::Instant;

use autograd::{Grads, Param, Tape};
use tensor::{Float, Tensor};
use thiserror::Error;

use super::callbacks::{Callback, Logs, TrainContext};
use super::config::{FitConfig, Validation};
use super::history::History;
use super::metrics::Metric;
use super::progress::Progress;
use crate::data::Batches;
use crate::loss::Loss;
use crate::module::Module;
use crate::optim::{clip_grad_norm, clip_grad_value, Optimizer};

/// Why `fit` (or `evaluate`) could not run or stopped.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum TrainError {
    /// `x` and `y` have different numbers of rows.
    #[error("{what}: x has {x_rows} rows but y has {y_rows}")]
    RowMismatch {
        /// `fit`, `evaluate` or `validation data`.
        what: &'static str,
        /// Rows of x.
        x_rows: usize,
        /// Rows of y.
        y_rows: usize,
    },
    /// No rows to train on.
    #[error("fit: the training data is empty")]
    Empty,
    /// `batch_size` is 0.
    #[error("fit: batch_size must be at least 1")]
    BatchSize,
    /// `validation_split` is outside (0, 1) or leaves one side empty.
    #[error("fit: validation_split must be in (0, 1) and leave rows on both sides; {reason}")]
    ValidationSplit {
        /// What is wrong.
        reason: String,
    },
    /// The feature count does not fit the model's first layer.
    #[error("{what}: x has {found} features but the model's first layer expects {expected}")]
    Features {
        /// `fit`, `evaluate`, `predict` or `validation data`.
        what: &'static str,
        /// Features in x.
        found: usize,
        /// Features the model expects.
        expected: usize,
    },
    /// The targets do not fit the loss (shape, or class labels out of range).
    #[error("{what}: the targets do not fit the {loss} loss: {reason}")]
    Targets {
        /// `fit`, `evaluate` or `validation data`.
        what: &'static str,
        /// The loss's name.
        loss: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The loss or a gradient became NaN or infinite.
    #[error(
        "fit: the {what} is {value} at epoch {epoch} (0-based; shown as Epoch {}), batch {batch}; \
         training stopped before applying that update, so the model keeps the weights of the previous step",
        epoch + 1
    )]
    NonFinite {
        /// `loss` or `gradient`.
        what: &'static str,
        /// The offending value.
        value: f64,
        /// 0-based epoch.
        epoch: usize,
        /// 0-based batch within the epoch.
        batch: usize,
    },
    /// A callback stopped training with an error.
    #[error("fit: {0}")]
    Callback(String),
}

/// A module with its loss, optimizer and metrics: the Keras `Model` workflow.
///
/// ```
/// use nn::{Linear, Model, Sequential, Relu};
/// use nn::loss::Mse;
/// use nn::optim::Adam;
/// use nn::train::FitConfig;
/// use rand::SeedableRng;
/// use tensor::Tensor;
///
/// // Learn y = 2x − 1.
/// let x = Tensor::<f32>::linspace(-1.0, 1.0, 64).reshape(&[64, 1]);
/// let y = &(&x * 2.0) - 1.0;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let net = Sequential::new().add(Linear::new(1, 1, &mut rng));
/// let mut model = Model::new(net, Mse, Adam::new(0.05));
/// let history = model.fit(&x, &y, FitConfig::new().epochs(200).batch_size(16).verbose(0)).unwrap();
/// assert!(history.get("loss").unwrap().last().unwrap() < &1e-3);
/// ```
pub struct Model<T: Float = f32> {
    pub(crate) module: Box<dyn Module<T>>,
    pub(crate) loss: Box<dyn Loss<T>>,
    optimizer: Box<dyn Optimizer<T>>,
    pub(crate) metrics: Vec<Box<dyn Metric<T>>>,
    clip_norm: Option<f64>,
    clip_value: Option<f64>,
}

/// Callback bookkeeping that outlives one hook call.
#[derive(Default)]
struct CallbackState {
    stop: bool,
    error: Option<String>,
    early_stopping: Option<(Option<usize>, usize)>,
    higher_is_better: Vec<(String, bool)>,
}

impl<T: Float> Model<T> {
    /// A model from a module, a loss and an optimizer.
    pub fn new(
        module: impl Module<T> + 'static,
        loss: impl Loss<T> + 'static,
        optimizer: impl Optimizer<T> + 'static,
    ) -> Self {
        Model {
            module: Box::new(module),
            loss: Box::new(loss),
            optimizer: Box::new(optimizer),
            metrics: Vec::new(),
            clip_norm: None,
            clip_value: None,
        }
    }

    /// Adds a metric (reported per epoch, with a `val_` twin when validating).
    pub fn metric(mut self, m: impl Metric<T> + 'static) -> Self {
        self.metrics.push(Box::new(m));
        self
    }

    /// Clips the global gradient norm before each update (Keras `global_clipnorm`).
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip_norm = Some(max_norm);
        self
    }

    /// Clips every gradient entry into `[-v, v]` before each update (Keras `clipvalue`).
    pub fn clip_grad_value(mut self, v: f64) -> Self {
        self.clip_value = Some(v);
        self
    }

    /// The module.
    pub fn module(&self) -> &dyn Module<T> {
        &*self.module
    }

    /// The module, mutably.
    pub fn module_mut(&mut self) -> &mut dyn Module<T> {
        &mut *self.module
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &dyn Optimizer<T> {
        &*self.optimizer
    }

    /// Trains on `x`, `y` as configured; returns the per-epoch history.
    ///
    /// Keras semantics: a `validation_split` takes the *last* fraction of the rows before
    /// any shuffling, and those rows never train; only the training rows are reshuffled
    /// each epoch. Validation runs after each epoch in evaluation mode with the epoch's
    /// final weights. The epoch `loss` is the batch-size-weighted mean of the batch losses
    /// (so it averages over changing weights) and includes regularization penalties.
    ///
    /// # Errors
    /// [`TrainError`] for inputs that cannot train (row mismatch, empty data, a feature
    /// count the first layer does not accept, targets the loss rejects, a bad split) —
    /// all checked before the first update — and for a NaN or infinite loss or gradient,
    /// naming the epoch and batch.
    pub fn fit(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        mut config: FitConfig<T>,
    ) -> Result<History, TrainError> {
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
        if config.batch_size == 0 {
            return Err(TrainError::BatchSize);
        }
        let (x_train, y_train, validation) = match std::mem::take(&mut config.validation) {
            Validation::None => (x.clone(), y.clone(), None),
            Validation::Data(xv, yv) => (x.clone(), y.clone(), Some((xv, yv))),
            Validation::Split(f) => {
                let split_at = (n as f64 * (1.0 - f)).floor() as usize;
                if !(f > 0.0 && f < 1.0) || split_at == 0 || split_at == n {
                    return Err(TrainError::ValidationSplit {
                        reason: format!("got {f} for {n} rows (training rows: {split_at})"),
                    });
                }
                (
                    x.narrow(0, 0, split_at),
                    y.narrow(0, 0, split_at),
                    Some((
                        x.narrow(0, split_at, n - split_at),
                        y.narrow(0, split_at, n - split_at),
                    )),
                )
            }
        };
        self.check_inputs("fit", &x_train, &y_train)?;
        if let Some((xv, yv)) = &validation {
            if rows(xv) != rows(yv) {
                return Err(TrainError::RowMismatch {
                    what: "validation data",
                    x_rows: rows(xv),
                    y_rows: rows(yv),
                });
            }
            self.check_inputs("validation data", xv, yv)?;
        }
        let x_train = x_train.contiguous();
        let y_train = y_train.contiguous();

        let mut batches = Batches::new(
            rows(&x_train),
            config.batch_size,
            config.shuffle,
            config.seed,
        );
        let steps = batches.len();
        let mut progress =
            Progress::new(config.verbose, config.output.clone(), config.epochs, steps);
        let mut history = History {
            steps,
            ..History::default()
        };
        let mut callbacks = std::mem::take(&mut config.callbacks);
        let mut augment = std::mem::take(&mut config.augment);
        let mut state = CallbackState {
            higher_is_better: self
                .metrics
                .iter()
                .map(|m| (m.name().to_string(), m.higher_is_better()))
                .collect(),
            ..CallbackState::default()
        };

        self.module.set_training(true);
        self.run_callbacks(&mut callbacks, &mut state, &progress, |cb, ctx| {
            cb.on_train_begin(ctx)
        });
        for epoch in config.initial_epoch..config.epochs {
            let started = Instant::now();
            self.run_callbacks(&mut callbacks, &mut state, &progress, |cb, ctx| {
                cb.on_epoch_begin(epoch, ctx)
            });
            progress.epoch_begin(epoch);
            for m in &mut self.metrics {
                m.reset();
            }
            let (mut loss_sum, mut seen) = (0.0, 0usize);
            let mut logs = Logs::new();
            for (b, idx) in batches.epoch().into_iter().enumerate() {
                self.run_callbacks(&mut callbacks, &mut state, &progress, |cb, ctx| {
                    cb.on_batch_begin(b, ctx)
                });
                let (mut xb, mut yb) =
                    (x_train.index_select(0, &idx), y_train.index_select(0, &idx));
                for a in &mut augment {
                    (xb, yb) = a.apply(&xb, &yb);
                }
                let (value, pred, mut grads) = self.train_step(&xb, &yb);
                let fail = |what, value| TrainError::NonFinite {
                    what,
                    value,
                    epoch,
                    batch: b,
                };
                if !value.is_finite() {
                    // Callbacks see the bad loss first: `TerminateOnNan` asks for a quiet
                    // stop; otherwise `fit` fails. Either way this update is not applied.
                    let mut bad = Logs::new();
                    bad.set("loss", value);
                    self.run_callbacks(&mut callbacks, &mut state, &progress, |cb, ctx| {
                        cb.on_batch_end(b, &bad, ctx)
                    });
                    if state.stop {
                        self.run_callbacks(&mut callbacks, &mut state, &progress, |cb, ctx| {
                            cb.on_train_end(ctx)
                        });
                        history.stopped_epoch = Some(epoch);
                        self.module.set_training(false);
                        return Ok(history);
                    }
                    self.module.set_training(false);
                    return Err(fail("loss", value));
                }
                if let Some(bad) = first_non_finite(&grads) {
                    self.module.set_training(false);
                    return Err(fail("gradient", bad));
                }
                if let Some(c) = self.clip_value {
                    clip_grad_value(&mut grads, c);
                }
                if let Some(c) = self.clip_norm {
                    clip_grad_norm(&mut grads, c);
                }
                let params: Vec<&Param<T>> = self
                    .module
                    .parameters()
                    .into_iter()
                    .map(|(_, p)| p)
                    .collect();
                self.optimizer.step(&params, &grads);
                for m in &mut self.metrics {
                    m.update(&pred, &yb);
                }
                loss_sum += value * idx.len() as f64;
                seen += idx.len();
                logs = self.train_logs(loss_sum / seen as f64);
                self.run_callbacks(&mut callbacks, &mut state, &progress, |cb, ctx| {
                    cb.on_batch_end(b, &logs, ctx)
                });
                progress.batch_end(b + 1, &logs);
            }
            if let Some((xv, yv)) = &validation {
                self.module.set_training(false);
                let val = self.evaluate_logs(xv, yv, config.batch_size.max(256));
                self.module.set_training(true);
                for (name, v) in val.iter() {
                    logs.set(&format!("val_{name}"), v);
                }
            }
            logs.set("learning_rate", self.optimizer.learning_rate());
            progress.epoch_end(&logs);
            self.run_callbacks(&mut callbacks, &mut state, &progress, |cb, ctx| {
                cb.on_epoch_end(epoch, &logs, ctx)
            });
            history.record(epoch, &logs, started.elapsed().as_secs_f64());
            if let Some(e) = state.error.take() {
                self.module.set_training(false);
                return Err(TrainError::Callback(e));
            }
            if state.stop {
                break;
            }
        }
        self.run_callbacks(&mut callbacks, &mut state, &progress, |cb, ctx| {
            cb.on_train_end(ctx)
        });
        if let Some((stopped, best)) = state.early_stopping {
            history.stopped_epoch = stopped;
            history.best_epoch = Some(best);
        }
        self.module.set_training(false);
        Ok(history)
    }

    /// One forward and backward pass on a batch: (loss value, predictions, gradients).
    /// The tape is dropped before returning, so the optimizer updates parameters in place.
    fn train_step(&self, xb: &Tensor<T>, yb: &Tensor<T>) -> (f64, Tensor<T>, Grads<T>) {
        let tape = Tape::new();
        let pred = self.module.forward(tape.constant(xb.clone()));
        let loss = self.loss.loss(pred, yb);
        let total = match self.module.penalty(&tape) {
            Some(p) => loss + p,
            None => loss,
        };
        let value = total.item().to_f64();
        let grads = if value.is_finite() {
            total.backward()
        } else {
            Grads::default()
        };
        (value, pred.value(), grads)
    }

    fn train_logs(&self, loss: f64) -> Logs {
        let mut logs = Logs::new();
        logs.set("loss", loss);
        for m in &self.metrics {
            logs.set(m.name(), m.compute());
        }
        logs
    }

    fn run_callbacks(
        &mut self,
        callbacks: &mut [Box<dyn Callback<T>>],
        state: &mut CallbackState,
        progress: &Progress,
        mut f: impl FnMut(&mut dyn Callback<T>, &mut TrainContext<'_, T>),
    ) {
        if callbacks.is_empty() {
            return;
        }
        let mut ctx = TrainContext::new(&mut *self.module, &mut *self.optimizer);
        ctx.stop = state.stop;
        ctx.higher_is_better = std::mem::take(&mut state.higher_is_better);
        ctx.early_stopping = state.early_stopping;
        for cb in callbacks.iter_mut() {
            f(&mut **cb, &mut ctx);
        }
        for message in &ctx.messages {
            progress.message(message);
        }
        state.stop = ctx.stop;
        state.error = state.error.take().or(ctx.error);
        state.early_stopping = ctx.early_stopping;
        state.higher_is_better = ctx.higher_is_better;
    }
}

pub(crate) fn rows<T: Float>(t: &Tensor<T>) -> usize {
    t.shape().first().copied().unwrap_or(0)
}

fn first_non_finite<T: Float>(grads: &Grads<T>) -> Option<f64> {
    grads.params().find_map(|(_, g)| {
        let g = g.contiguous();
        g.as_slice()
            .expect("contiguous")
            .iter()
            .find(|v| !v.is_finite())
            .map(|v| v.to_f64())
    })
}
