//! What `fit` shares with its callbacks: the epoch [`Logs`] and the [`TrainContext`]
//! (the model, the optimizer, the History being written, and the stop flag).

use std::path::PathBuf;

use tensor::{Float, Tensor};

use super::history::History;
use crate::module::Module;
use crate::optim::Optimizer;

/// A snapshot of a model's parameters and buffers, by state-dict name.
pub type Weights<T> = Vec<(String, Tensor<T>)>;

/// Named values of one epoch or batch, in the order they were added (`loss`, metrics,
/// `val_loss`, …).
///
/// ```
/// use nn::train::Logs;
/// let mut logs = Logs::new();
/// logs.set("loss", 0.5);
/// logs.set("val_loss", 0.7);
/// assert_eq!(logs.get("val_loss"), Some(0.7));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logs {
    entries: Vec<(String, f64)>,
}

/// Keras' progress-line form, `loss: 0.1234 - val_loss: 0.2345`: 4 decimals, or
/// scientific notation at magnitudes up to 1e-3 (Keras' `Progbar` rule, as
/// [`format_value`](crate::train::format_value) and the progress output print them).
///
/// ```
/// use nn::train::Logs;
/// let mut logs = Logs::new();
/// logs.set("loss", 0.5);
/// logs.set("val_loss", 0.00025);
/// assert_eq!(logs.to_string(), "loss: 0.5000 - val_loss: 2.5000e-04");
/// ```
impl std::fmt::Display for Logs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (name, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(" - ")?;
            }
            write!(f, "{name}: {}", super::format_value(*value))?;
        }
        Ok(())
    }
}

impl Logs {
    /// Empty logs.
    #[must_use]
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
    #[must_use]
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

/// What a callback may look at and change during `fit`. `fit` makes one for the whole
/// run; the History it returns is the one callbacks see (and may annotate) here.
pub struct TrainContext<'a, T: Float> {
    pub(crate) module: &'a mut dyn Module<T>,
    pub(crate) optimizer: &'a mut dyn Optimizer<T>,
    pub(crate) history: History,
    pub(crate) stop: bool,
    pub(crate) messages: Vec<String>,
    pub(crate) metric_directions: Vec<(String, bool)>,
    pub(crate) log_names: Vec<String>,
    pub(crate) initial_lr: f64,
    pub(crate) error: Option<String>,
    /// A checkpoint a callback asked `fit` to write or restore after the current hook.
    pub(crate) checkpoint: Option<CheckpointRequest>,
}

/// What `BackupAndRestore` asks of `fit`, which alone sees everything a checkpoint holds.
#[derive(Debug)]
pub(crate) enum CheckpointRequest {
    /// Write a checkpoint after `epochs` completed epochs.
    Save { path: PathBuf, epochs: usize },
    /// Restore the checkpoint and continue from its epoch.
    Restore(PathBuf),
}

impl<T: Float> std::fmt::Debug for TrainContext<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainContext")
            .field("optimizer", &self.optimizer.name())
            .field("learning_rate", &self.optimizer.learning_rate())
            .field("stop", &self.stop)
            .field("log_names", &self.log_names)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Float> TrainContext<'a, T> {
    /// A context outside `fit`, for driving callbacks by hand (tests, custom loops). The
    /// names `fit` would log are unknown here, so monitors do not check them.
    pub fn new(module: &'a mut dyn Module<T>, optimizer: &'a mut dyn Optimizer<T>) -> Self {
        let initial_lr = optimizer.learning_rate();
        TrainContext {
            module,
            optimizer,
            history: History::default(),
            stop: false,
            messages: Vec::new(),
            metric_directions: Vec::new(),
            log_names: Vec::new(),
            initial_lr,
            error: None,
            checkpoint: None,
        }
    }

    /// Stops training with an error: `fit` returns `TrainError::Callback` with this
    /// message (a configuration mistake a callback can only detect once training runs).
    pub fn fail(&mut self, message: impl Into<String>) {
        self.error = Some(message.into());
        self.stop = true;
    }

    /// The error set with [`TrainContext::fail`], if any.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Lines printed by callbacks and not yet shown.
    #[must_use]
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// Asks `fit` to stop after the current epoch.
    pub fn stop_training(&mut self) {
        self.stop = true;
    }

    /// True once a callback asked to stop.
    #[must_use]
    pub fn stop_requested(&self) -> bool {
        self.stop
    }

    /// A copy of every parameter and buffer.
    #[must_use]
    pub fn weights(&self) -> Weights<T> {
        snapshot(&*self.module)
    }

    /// Restores weights taken with [`TrainContext::weights`].
    pub fn set_weights(&mut self, weights: &Weights<T>) {
        restore(&*self.module, weights);
    }

    /// The model being trained.
    #[must_use]
    pub fn module(&self) -> &dyn Module<T> {
        &*self.module
    }

    /// The optimizer's learning rate.
    #[must_use]
    pub fn learning_rate(&self) -> f64 {
        self.optimizer.learning_rate()
    }

    /// The learning rate the optimizer had when the model was built (what schedules
    /// start from, as PyTorch's `initial_lr`), however often it was changed since.
    #[must_use]
    pub fn initial_learning_rate(&self) -> f64 {
        self.initial_lr
    }

    /// Changes the optimizer's learning rate.
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.optimizer.set_learning_rate(lr);
    }

    /// Prints a line (when `verbose > 0`), e.g. "Epoch 4: early stopping".
    pub fn print(&mut self, message: impl Into<String>) {
        self.messages.push(message.into());
    }

    /// The History recorded so far (epochs end to end, as `fit` will return it).
    #[must_use]
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The History, for a callback to write what it owns (e.g. early stopping's
    /// `stopped_epoch` and `best_epoch`).
    pub fn history_mut(&mut self) -> &mut History {
        &mut self.history
    }

    /// The names `fit` logs at each epoch end (`loss`, metrics, their `val_` twins,
    /// `learning_rate`), known before the first epoch; empty outside `fit`.
    #[must_use]
    pub fn log_names(&self) -> &[String] {
        &self.log_names
    }

    /// Whether a higher value of the logged quantity `name` is better, if known (from
    /// the compiled metrics; `loss` and `val_loss` are lower-is-better).
    #[must_use]
    pub fn higher_is_better(&self, name: &str) -> Option<bool> {
        let base = name.strip_prefix("val_").unwrap_or(name);
        if base == "loss" {
            return Some(false);
        }
        self.metric_directions
            .iter()
            .find(|(n, _)| n == base)
            .map(|(_, h)| *h)
    }

    /// Resolves a monitor's direction and checks that `fit` will log its quantity; on
    /// failure stops training with an error naming the callback, the quantity and the
    /// names that are available. Returns whether it succeeded.
    pub fn check_monitor(&mut self, callback: &str, monitor: &mut super::Monitor) -> bool {
        if !self.log_names.is_empty() && !self.log_names.iter().any(|n| n == monitor.name()) {
            self.fail(format!(
                "{callback}: {:?} will never be logged; available: {}",
                monitor.name(),
                self.log_names.join(", ")
            ));
            return false;
        }
        match monitor.resolve(|n| self.higher_is_better(n)) {
            Ok(_) => true,
            Err(e) => {
                self.fail(format!("{callback}: {e}"));
                false
            }
        }
    }
}

/// A copy of every parameter and buffer of `module`: its state dict (sharing storage
/// until either side changes).
pub(crate) fn snapshot<T: Float>(module: &dyn Module<T>) -> Weights<T> {
    module.state_dict()
}

/// Writes a snapshot of the same module back.
pub(crate) fn restore<T: Float>(module: &dyn Module<T>, weights: &Weights<T>) {
    module
        .load_state_dict(weights, true)
        .expect("a snapshot loads into the module it was taken from");
}
