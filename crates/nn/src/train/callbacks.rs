//! The callback protocol and the standard callbacks (early stopping lives in its own
//! file).
//!
//! `fit` calls each callback at train, epoch and batch begin and end. Epoch numbers are
//! 0-based, as in Keras (`Epoch 1/100` is epoch 0). A callback stops training with
//! [`TrainContext::stop_training`]; `fit` checks that after the epoch-end hooks, so the
//! stopping epoch is still recorded in the History.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use tensor::{Float, Tensor};

use crate::io::save_weights;
use crate::module::Module;
use crate::optim::{LrSchedule, Optimizer};

/// A snapshot of a model's parameters and buffers, by state-dict name.
pub type Weights<T> = Vec<(String, Tensor<T>)>;

/// Named values of one epoch or batch, in the order they were added (`loss`, metrics,
/// `val_loss`, …).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logs {
    entries: Vec<(String, f64)>,
}

impl Logs {
    /// Empty logs.
    pub fn new() -> Self {
        Logs::default()
    }

    /// Sets a value (replacing an existing one of that name, keeping its place).
    pub fn set(&mut self, name: &str, value: f64) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = value,
            None => self.entries.push((name.to_string(), value)),
        }
    }

    /// The value of `name`, if logged.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// All entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), *v))
    }
}

/// What a callback may look at and change during `fit`.
pub struct TrainContext<'a, T: Float> {
    pub(crate) module: &'a mut dyn Module<T>,
    pub(crate) optimizer: &'a mut dyn Optimizer<T>,
    pub(crate) stop: bool,
    pub(crate) messages: Vec<String>,
    pub(crate) higher_is_better: Vec<(String, bool)>,
    /// Set by `EarlyStopping` at train end: (stopped epoch, best epoch).
    pub(crate) early_stopping: Option<(Option<usize>, usize)>,
    pub(crate) error: Option<String>,
}

impl<'a, T: Float> TrainContext<'a, T> {
    /// A context outside `fit`, for driving callbacks by hand (tests, custom loops).
    pub fn new(module: &'a mut dyn Module<T>, optimizer: &'a mut dyn Optimizer<T>) -> Self {
        TrainContext {
            module,
            optimizer,
            stop: false,
            messages: Vec::new(),
            higher_is_better: Vec::new(),
            early_stopping: None,
            error: None,
        }
    }

    /// Stops training with an error: `fit` returns `TrainError::Callback` with this
    /// message (a configuration mistake a callback can only detect once training runs).
    pub fn fail(&mut self, message: impl Into<String>) {
        self.error = Some(message.into());
        self.stop = true;
    }

    /// The error set with [`TrainContext::fail`], if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Lines printed by callbacks so far.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// Asks `fit` to stop after the current epoch.
    pub fn stop_training(&mut self) {
        self.stop = true;
    }

    /// True once a callback asked to stop.
    pub fn stop_requested(&self) -> bool {
        self.stop
    }

    /// A copy of every parameter and buffer.
    pub fn weights(&self) -> Weights<T> {
        snapshot(&*self.module)
    }

    /// Restores weights taken with [`TrainContext::weights`].
    pub fn set_weights(&mut self, weights: &Weights<T>) {
        restore(&*self.module, weights);
    }

    /// The model being trained.
    pub fn module(&self) -> &dyn Module<T> {
        &*self.module
    }

    /// The optimizer's learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.optimizer.learning_rate()
    }

    /// Changes the optimizer's learning rate.
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.optimizer.set_learning_rate(lr);
    }

    /// Prints a line (when `verbose > 0`), e.g. "Epoch 4: early stopping".
    pub fn print(&mut self, message: impl Into<String>) {
        self.messages.push(message.into());
    }

    /// Whether a higher value of the logged quantity `name` is better, if known (from
    /// the compiled metrics; `loss` and `val_loss` are lower-is-better).
    pub fn higher_is_better(&self, name: &str) -> Option<bool> {
        let base = name.strip_prefix("val_").unwrap_or(name);
        if base == "loss" {
            return Some(false);
        }
        self.higher_is_better
            .iter()
            .find(|(n, _)| n == base)
            .map(|(_, h)| *h)
    }
}

/// A copy of every parameter and buffer of `module`.
pub(crate) fn snapshot<T: Float>(module: &dyn Module<T>) -> Weights<T> {
    module
        .parameters()
        .into_iter()
        .chain(module.buffers())
        .map(|(name, p)| (name, p.value().contiguous()))
        .collect()
}

/// Writes a snapshot back (names must match; they do, as it came from the same module).
pub(crate) fn restore<T: Float>(module: &dyn Module<T>, weights: &Weights<T>) {
    for (name, p) in module.parameters().into_iter().chain(module.buffers()) {
        if let Some((_, t)) = weights.iter().find(|(n, _)| *n == name) {
            p.set(t.clone());
        }
    }
}

/// Hooks into `fit`. Every method has an empty default.
pub trait Callback<T: Float = f32>: Send {
    /// Before the first epoch.
    fn on_train_begin(&mut self, _ctx: &mut TrainContext<'_, T>) {}
    /// After the last epoch (also after an early stop).
    fn on_train_end(&mut self, _ctx: &mut TrainContext<'_, T>) {}
    /// Before each epoch (0-based).
    fn on_epoch_begin(&mut self, _epoch: usize, _ctx: &mut TrainContext<'_, T>) {}
    /// After each epoch, with its logs (training and validation values).
    fn on_epoch_end(&mut self, _epoch: usize, _logs: &Logs, _ctx: &mut TrainContext<'_, T>) {}
    /// Before each training batch.
    fn on_batch_begin(&mut self, _batch: usize, _ctx: &mut TrainContext<'_, T>) {}
    /// After each training batch, with the running epoch values.
    fn on_batch_end(&mut self, _batch: usize, _logs: &Logs, _ctx: &mut TrainContext<'_, T>) {}
}

/// A callback from a closure called at each epoch end.
///
/// ```
/// use nn::train::LambdaCallback;
/// use nn::train::{Logs, TrainContext};
/// let cb = LambdaCallback::new(|epoch: usize, logs: &Logs, _ctx: &mut TrainContext<'_, f32>| {
///     println!("epoch {epoch}: loss {:?}", logs.get("loss"));
/// });
/// # let _ = cb;
/// ```
pub struct LambdaCallback<F> {
    on_epoch_end: F,
}

impl<F> LambdaCallback<F> {
    /// Calls `f(epoch, logs, ctx)` after every epoch.
    pub fn new(f: F) -> Self {
        LambdaCallback { on_epoch_end: f }
    }
}

impl<T: Float, F> Callback<T> for LambdaCallback<F>
where
    F: FnMut(usize, &Logs, &mut TrainContext<'_, T>) + Send,
{
    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        (self.on_epoch_end)(epoch, logs, ctx)
    }
}

/// Stops training quietly when a batch loss is NaN or infinite: `fit` then returns the
/// History so far instead of an error (without the callback, `fit` returns
/// `TrainError::NonFinite`). The bad update is never applied.
#[derive(Clone, Debug, Default)]
pub struct TerminateOnNan;

impl<T: Float> Callback<T> for TerminateOnNan {
    fn on_batch_end(&mut self, batch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        if logs.get("loss").is_some_and(|l| !l.is_finite()) {
            ctx.print(format!("Batch {batch}: invalid loss, terminating training"));
            ctx.stop_training();
        }
    }
}

/// Multiplies the learning rate by `factor` when the monitored value has not improved by
/// more than `min_delta` for `patience` epochs (Keras' rules: then waits `cooldown` epochs;
/// never goes below `min_lr`). Writes `learning_rate` into the History.
pub struct ReduceLrOnPlateau {
    monitor: String,
    factor: f64,
    patience: usize,
    min_delta: f64,
    cooldown: usize,
    min_lr: f64,
    wait: usize,
    cooldown_counter: usize,
    best: Option<f64>,
}

impl ReduceLrOnPlateau {
    /// Keras defaults: factor 0.1, patience 10, min_delta 1e-4, cooldown 0, min_lr 0,
    /// lower is better.
    pub fn new(monitor: &str) -> Self {
        ReduceLrOnPlateau {
            monitor: monitor.to_string(),
            factor: 0.1,
            patience: 10,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            wait: 0,
            cooldown_counter: 0,
            best: None,
        }
    }

    /// The factor the rate is multiplied by.
    ///
    /// # Panics
    /// If `factor >= 1` (as Keras).
    #[track_caller]
    pub fn factor(mut self, factor: f64) -> Self {
        assert!(
            factor < 1.0,
            "ReduceLrOnPlateau: factor must be < 1, got {factor}"
        );
        self.factor = factor;
        self
    }

    /// Epochs without improvement before reducing.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// Minimum (absolute) change that counts as an improvement.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta.abs();
        self
    }

    /// Epochs to wait after a reduction before counting again.
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The lowest rate.
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }
}

impl<T: Float> Callback<T> for ReduceLrOnPlateau {
    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        let Some(current) = logs.get(&self.monitor) else {
            ctx.print(format!(
                "ReduceLrOnPlateau: {:?} is not in the logs; skipping",
                self.monitor
            ));
            return;
        };
        let higher = ctx.higher_is_better(&self.monitor).unwrap_or(false);
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        let improved = match self.best {
            None => true,
            Some(best) if higher => current > best + self.min_delta,
            Some(best) => current < best - self.min_delta,
        };
        if improved {
            self.best = Some(current);
            self.wait = 0;
        } else if self.cooldown_counter == 0 {
            self.wait += 1;
            if self.wait >= self.patience {
                let old = ctx.learning_rate();
                if old > self.min_lr {
                    let new = (old * self.factor).max(self.min_lr);
                    ctx.set_learning_rate(new);
                    ctx.print(format!(
                        "Epoch {}: ReduceLrOnPlateau reducing learning rate to {new:e}.",
                        epoch + 1
                    ));
                    self.cooldown_counter = self.cooldown;
                    self.wait = 0;
                }
            }
        }
    }
}

/// Sets the learning rate at each epoch's start from a schedule.
pub struct LearningRateScheduler<S> {
    schedule: S,
    initial: Option<f64>,
}

impl<S: LrSchedule> LearningRateScheduler<S> {
    /// Applies `schedule` to the optimizer's initial rate.
    pub fn new(schedule: S) -> Self {
        LearningRateScheduler {
            schedule,
            initial: None,
        }
    }
}

impl<T: Float, S: LrSchedule> Callback<T> for LearningRateScheduler<S> {
    fn on_epoch_begin(&mut self, epoch: usize, ctx: &mut TrainContext<'_, T>) {
        let initial = *self.initial.get_or_insert(ctx.learning_rate());
        ctx.set_learning_rate(self.schedule.rate(epoch, initial));
    }
}

/// Saves the weights (safetensors) after every epoch, or only when the monitored value
/// improves (`save_best_only`). `{epoch}` in the path is replaced by the 1-based epoch.
pub struct ModelCheckpoint {
    path: String,
    monitor: String,
    save_best_only: bool,
    best: Option<f64>,
    /// Files written, in order.
    pub saved: Vec<PathBuf>,
}

impl ModelCheckpoint {
    /// Saves to `path` after every epoch (monitor `val_loss` for `save_best_only`).
    pub fn new(path: &str) -> Self {
        ModelCheckpoint {
            path: path.to_string(),
            monitor: "val_loss".to_string(),
            save_best_only: false,
            best: None,
            saved: Vec::new(),
        }
    }

    /// The value that decides "best".
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor = monitor.to_string();
        self
    }

    /// Save only when the monitored value improves.
    pub fn save_best_only(mut self, yes: bool) -> Self {
        self.save_best_only = yes;
        self
    }
}

impl<T: Float> Callback<T> for ModelCheckpoint {
    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        if self.save_best_only {
            let Some(current) = logs.get(&self.monitor) else {
                ctx.print(format!(
                    "ModelCheckpoint: {:?} is not in the logs; skipping",
                    self.monitor
                ));
                return;
            };
            let higher = ctx.higher_is_better(&self.monitor).unwrap_or(false);
            let better = match self.best {
                None => true,
                Some(b) => (higher && current > b) || (!higher && current < b),
            };
            if !better {
                return;
            }
            self.best = Some(current);
        }
        let path = PathBuf::from(self.path.replace("{epoch}", &(epoch + 1).to_string()));
        match save_weights(ctx.module(), &path) {
            Ok(()) => self.saved.push(path),
            Err(e) => ctx.print(format!("ModelCheckpoint: could not save: {e}")),
        }
    }
}

/// Appends each epoch's logs to a CSV file (header written first).
pub struct CsvLogger {
    path: PathBuf,
    header_written: bool,
}

impl CsvLogger {
    /// Logs to `path` (overwritten at train begin).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CsvLogger {
            path: path.into(),
            header_written: false,
        }
    }
}

impl<T: Float> Callback<T> for CsvLogger {
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) {
        if let Err(e) = std::fs::write(&self.path, "") {
            ctx.print(format!(
                "CsvLogger: cannot write {}: {e}",
                self.path.display()
            ));
        }
        self.header_written = false;
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        let mut text = String::new();
        if !self.header_written {
            let names: Vec<&str> = logs.iter().map(|(n, _)| n).collect();
            text.push_str(&format!("epoch,{}\n", names.join(",")));
            self.header_written = true;
        }
        let values: Vec<String> = logs.iter().map(|(_, v)| v.to_string()).collect();
        text.push_str(&format!("{epoch},{}\n", values.join(",")));
        let result = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = result {
            ctx.print(format!(
                "CsvLogger: cannot write {}: {e}",
                self.path.display()
            ));
        }
    }
}
