//! `Model::fit`: prepare → for each epoch (train the batches, validate, callbacks) →
//! finish. One [`TrainContext`] lives for the whole run; callbacks see it at every hook
//! and write what they own into its History.

use std::time::Instant;

use autograd::Grads;
use tensor::{Float, Tensor};

use super::checkpoint::RunState;
use super::config::FitConfig;
use super::error::TrainError;
use super::evaluate::evaluate_logs;
use super::metrics::Metric;
use super::model::{rows, Model};
use super::prepare::Data;
use super::progress::Progress;
use super::rollback::{first_non_finite_param, rng_states, set_rng_states, Snapshot};
use super::step::{non_finite, train_step};
use super::{Callback, History, Logs, TrainContext};
use crate::data::{Augment, Batches};
use crate::loss::Loss;
use crate::optim::{clip_grad_norm, clip_grad_value};

impl<T: Float> Model<T> {
    /// Trains on `x`, `y` as configured; returns the per-epoch history.
    ///
    /// Keras semantics: a `validation_split` takes the *last* fraction of the rows before
    /// any shuffling, and those rows never train; only the training rows are reshuffled
    /// each epoch. Validation runs after each epoch in evaluation mode with the epoch's
    /// final weights. The epoch `loss` is the batch-size-weighted mean of the batch losses
    /// (so it averages over changing weights) and includes regularization penalties.
    ///
    /// Whatever ends the call — the last epoch, early stopping, an error, or a panic in a
    /// callback — the model is left in evaluation mode (Dropout off, BatchNorm using its
    /// running statistics), as `predict` and `evaluate` use it.
    ///
    /// The loop runs on the calling thread. A large model whose ops split their work
    /// across threads trains a little faster with the call wrapped in
    /// [`tensor::parallel::on_pool`] (`docs/decisions.md`, entry 44).
    ///
    /// # Errors
    /// [`TrainError`] for inputs that cannot train (row mismatch, empty data, a feature
    /// count the first layer does not accept, targets the loss rejects, a bad split, a
    /// callback monitoring a quantity that will never be logged) — all checked before the
    /// first update — and for a NaN or infinite loss or gradient, naming the epoch and
    /// batch; the update that would have applied it is not applied. A run that fails
    /// before its first update leaves the model as it found it: weights, optimizer state,
    /// learning rate, the position of Dropout's generators, and a checkpoint loaded with
    /// [`Model::load_checkpoint`] still waiting to be resumed. A schedule or callback that
    /// sets an unusable learning rate fails the run, and the last usable rate is put back.
    pub fn fit(
        &mut self,
        x: &Tensor<T>,
        y: &Tensor<T>,
        mut config: FitConfig<T>,
    ) -> Result<History, TrainError> {
        let data = self.prepare(x, y, &mut config)?;
        let log_names = self.log_names(data.validation.is_some());
        let resume = self.resume.take();
        // What a run that fails before its first update must leave as it found it: a
        // loaded checkpoint still to resume, and the position of the model's generators
        // (Dropout's, which the failed batch drew from).
        let kept_resume = resume.clone();
        let rngs_before = rng_states(&*self.module);
        // And the weights, optimizer state and learning rate, which a BackupAndRestore or
        // a schedule may set before the first update.
        let state_before = Snapshot::take(&*self.module, &*self.optimizer);
        let lr_before = self.optimizer.learning_rate();
        let warnings: Vec<String> = self
            .prediction_warning()
            .into_iter()
            .chain(self.unlisted_parameters_warning(&data.x))
            .collect();
        if !self.warned && !warnings.is_empty() {
            warnings.iter().for_each(|w| eprintln!("warning: {w}"));
            self.warned = true;
        }
        let mut run = Run::new(self, &mut config, log_names, rows(&data.x), resume);
        run.ctx.history.warnings.extend(warnings);
        run.ctx.module.set_training(true);
        // A panic inside (a callback's, say) still passes through the cleanup below
        // before it goes on unwinding, so the model is never left in training mode.
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.train(&data, &config)));
        // The one cleanup, whatever happened above.
        run.ctx.module.set_training(false);
        let result = result.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let (state, initial_lr, updated) = (run.run_state(), run.ctx.initial_lr, run.updated);
        let history = run.ctx.history;
        if result.is_err() && !updated {
            self.resume = kept_resume;
            set_rng_states(&*self.module, &rngs_before);
            state_before.restore(&*self.module, &mut *self.optimizer);
            self.optimizer.set_learning_rate(lr_before);
        } else {
            self.run_state = state;
            self.initial_lr = initial_lr;
        }
        result.map(|()| history)
    }
}

/// One `fit` run: the model's parts, borrowed apart, and the run's own state.
pub(super) struct Run<'m, T: Float> {
    pub(super) ctx: TrainContext<'m, T>,
    loss: &'m dyn Loss<T>,
    metrics: &'m mut Vec<Box<dyn Metric<T>>>,
    clip_norm: Option<f64>,
    clip_value: Option<f64>,
    pub(super) callbacks: Vec<Box<dyn Callback<T>>>,
    pub(super) augment: Vec<Box<dyn Augment<T>>>,
    pub(super) progress: Progress,
    pub(super) batches: Batches,
    detect_anomaly: bool,
    /// The first epoch to run (`initial_epoch`, or where a checkpoint left off).
    pub(super) start_epoch: usize,
    /// Epochs completed, counting those before `start_epoch`.
    pub(super) completed: usize,
    /// A loaded checkpoint's run state, applied after the train-begin hooks.
    resume: Option<RunState<T>>,
    /// The state before the last applied update, with its epoch and batch.
    last_update: Option<(Snapshot<T>, usize, usize)>,
    /// Whether any update was applied in this run.
    updated: bool,
    /// Storage for the next batch's snapshot (the one before `last_update`).
    spare: Snapshot<T>,
}

impl<'m, T: Float> Run<'m, T> {
    fn new(
        model: &'m mut Model<T>,
        config: &mut FitConfig<T>,
        log_names: Vec<String>,
        n: usize,
        resume: Option<RunState<T>>,
    ) -> Self {
        let metric_directions = model
            .metrics
            .iter()
            .map(|m| (m.name().to_string(), m.higher_is_better()))
            .collect();
        let mut ctx = TrainContext::new(&mut *model.module, &mut *model.optimizer);
        ctx.metric_directions = metric_directions;
        ctx.log_names = log_names;
        ctx.initial_lr = model.initial_lr;
        let batches = Batches::new(n, config.batch_size, config.shuffle, config.seed)
            .drop_last(config.drop_last);
        ctx.history.steps = batches.len();
        let progress = Progress::new(
            config.verbose,
            config.output.clone(),
            config.epochs,
            batches.len(),
        );
        let start_epoch = match &resume {
            Some(r) if config.initial_epoch == 0 => r.epoch,
            _ => config.initial_epoch,
        };
        Run {
            ctx,
            loss: &*model.loss,
            metrics: &mut model.metrics,
            clip_norm: model.clip_norm,
            clip_value: model.clip_value,
            callbacks: std::mem::take(&mut config.callbacks),
            augment: std::mem::take(&mut config.augment),
            progress,
            batches,
            detect_anomaly: config.detect_anomaly,
            last_update: None,
            updated: false,
            spare: Snapshot::default(),
            start_epoch,
            completed: start_epoch,
            resume,
        }
    }

    fn train(&mut self, data: &Data<T>, config: &FitConfig<T>) -> Result<(), TrainError> {
        self.hook(|cb, ctx| cb.on_train_begin(ctx))?;
        if let Some(state) = self.resume.take() {
            self.apply_run_state(&state)?;
        }
        // The last rate known to be usable (`prepare` checked the optimizer's).
        let mut usable = self.ctx.learning_rate();
        for epoch in self.start_epoch..config.epochs {
            let started = Instant::now();
            self.hook(|cb, ctx| cb.on_epoch_begin(epoch, ctx))?;
            usable = self.check_learning_rate(epoch, usable)?;
            let Some(mut logs) = self.train_epoch(epoch, data)? else {
                self.ctx.history.stopped_epoch = Some(epoch);
                break;
            };
            if let Some((xv, yv)) = &data.validation {
                let wv = data.weights.validation.as_ref();
                self.validate((xv, yv, wv), config.batch_size.max(256), &mut logs);
            }
            logs.set("learning_rate", self.ctx.learning_rate());
            self.progress.epoch_end(&logs);
            self.hook(|cb, ctx| cb.on_epoch_end(epoch, &logs, ctx))?;
            let seconds = started.elapsed().as_secs_f64();
            self.ctx.history.record(epoch, &logs, seconds);
            self.completed = epoch + 1;
            if self.ctx.stop {
                break;
            }
        }
        // A rate set at the end of the last epoch would be the next fit's.
        self.check_learning_rate(self.completed, usable)?;
        self.hook(|cb, ctx| cb.on_train_end(ctx))
    }

    /// The rate a schedule or callback has left, if it is usable (a finite number ≥ 0);
    /// otherwise puts `usable` back, so that the model can still train, and returns the
    /// error naming the epoch that would have used it.
    fn check_learning_rate(&mut self, epoch: usize, usable: f64) -> Result<f64, TrainError> {
        let lr = self.ctx.learning_rate();
        if lr.is_finite() && lr >= 0.0 {
            Ok(lr)
        } else {
            self.ctx.set_learning_rate(usable);
            Err(TrainError::LearningRate { epoch, value: lr })
        }
    }

    /// One pass over the shuffled batches: the epoch's training logs, or `None` when a
    /// callback asked for a quiet stop on a non-finite loss.
    fn train_epoch(&mut self, epoch: usize, data: &Data<T>) -> Result<Option<Logs>, TrainError> {
        self.progress.epoch_begin(epoch);
        self.metrics.iter_mut().for_each(|m| m.reset());
        let (mut loss_sum, mut seen, mut logs) = (0.0, 0usize, Logs::new());
        for (b, idx) in self.batches.epoch().into_iter().enumerate() {
            self.hook(|cb, ctx| cb.on_batch_begin(b, ctx))?;
            let (mut xb, mut yb) = (data.x.index_select(0, &idx), data.y.index_select(0, &idx));
            for a in &mut self.augment {
                (xb, yb) = a.apply(&xb, &yb);
            }
            // The state before this update, in the storage of the snapshot it replaces.
            let mut before = std::mem::take(&mut self.spare);
            before.save(&*self.ctx.module, &*self.ctx.optimizer);
            let wb = data.weights.train.as_ref().map(|w| w.index_select(0, &idx));
            let (value, pred, grads, anomaly) = train_step(
                &*self.ctx.module,
                self.loss,
                (&xb, &yb, wb.as_ref()),
                self.detect_anomaly,
            );
            if let Some(anomaly) = anomaly {
                self.roll_back(before);
                return Err(TrainError::Anomaly {
                    epoch,
                    batch: b,
                    anomaly,
                });
            }
            if let Some((what, bad_value)) = non_finite(value, &grads) {
                let e = TrainError::NonFinite {
                    what,
                    value: bad_value,
                    epoch,
                    batch: b,
                    restored: self.roll_back(before),
                };
                // Callbacks see the bad loss first (`TerminateOnNan` asks for a quiet
                // stop); either way the model is back to before the last good update.
                let mut bad = Logs::new();
                bad.set("loss", value);
                self.hook(|cb, ctx| cb.on_batch_end(b, &bad, ctx))?;
                return if self.ctx.stop { Ok(None) } else { Err(e) };
            }
            self.apply(grads);
            if let Some((parameter, value)) = first_non_finite_param(&*self.ctx.module) {
                before.restore(&*self.ctx.module, &mut *self.ctx.optimizer);
                return Err(TrainError::NonFiniteWeight {
                    parameter,
                    value,
                    epoch,
                    batch: b,
                });
            }
            // Applied and kept.
            self.updated = true;
            if let Some((old, ..)) = self.last_update.replace((before, epoch, b)) {
                self.spare = old;
            }
            self.metrics.iter_mut().for_each(|m| m.update(&pred, &yb));
            loss_sum += value * idx.len() as f64;
            seen += idx.len();
            logs = self.train_logs(loss_sum / seen as f64);
            self.hook(|cb, ctx| cb.on_batch_end(b, &logs, ctx))?;
            self.progress.batch_end(b + 1, &logs);
        }
        Ok(Some(logs))
    }

    /// Puts the model and optimizer back to before the last applied update (or, when no
    /// update was applied yet, to `before`, the state before this batch); says which.
    fn roll_back(&mut self, before: Snapshot<T>) -> String {
        let (module, optimizer) = (&*self.ctx.module, &mut *self.ctx.optimizer);
        match self.last_update.take() {
            Some((snapshot, epoch, batch)) => {
                snapshot.restore(module, optimizer);
                format!(
                    "the model and optimizer were put back to their state before the update of \
                     epoch {epoch}, batch {batch} (the last one applied, whose weights led here)"
                )
            }
            None => {
                before.restore(module, optimizer);
                "no update was applied in this run, and the model is as it was before fit".into()
            }
        }
    }

    /// Clips the gradients as configured and takes one optimizer step.
    fn apply(&mut self, mut grads: Grads<T>) {
        if let Some(c) = self.clip_value {
            clip_grad_value(&mut grads, c);
        }
        if let Some(c) = self.clip_norm {
            clip_grad_norm(&mut grads, c);
        }
        let module = &*self.ctx.module;
        self.ctx.optimizer.step(&module.parameter_refs(), &grads);
    }

    /// Adds the `val_` logs, computed in evaluation mode with the epoch's final weights.
    fn validate(
        &mut self,
        (xv, yv, wv): (&Tensor<T>, &Tensor<T>, Option<&Tensor<T>>),
        batch_size: usize,
        logs: &mut Logs,
    ) {
        self.ctx.module.set_training(false);
        let val = evaluate_logs(
            &*self.ctx.module,
            self.loss,
            self.metrics,
            (xv, yv, wv),
            batch_size,
        );
        self.ctx.module.set_training(true);
        for (name, v) in val.iter() {
            logs.set(&format!("val_{name}"), v);
        }
    }

    fn train_logs(&self, loss: f64) -> Logs {
        let mut logs = Logs::new();
        logs.set("loss", loss);
        for m in self.metrics.iter() {
            logs.set(m.name(), m.compute());
        }
        logs
    }

    /// Calls one hook on every callback, shows what they printed, and turns a callback's
    /// failure into an error.
    fn hook(
        &mut self,
        mut f: impl FnMut(&mut dyn Callback<T>, &mut TrainContext<'m, T>),
    ) -> Result<(), TrainError> {
        for cb in self.callbacks.iter_mut() {
            f(&mut **cb, &mut self.ctx);
        }
        for message in self.ctx.messages.drain(..) {
            self.progress.message(&message);
        }
        if let Some(e) = self.ctx.error.take() {
            return Err(TrainError::Callback(e));
        }
        match self.ctx.checkpoint.take() {
            Some(request) => self.checkpoint(request),
            None => Ok(()),
        }
    }
}
