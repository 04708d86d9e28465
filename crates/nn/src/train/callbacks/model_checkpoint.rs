//! `ModelCheckpoint`: save the weights every epoch or when the monitored value improves.

use std::path::PathBuf;

use tensor::Float;

use super::{Callback, CallbackState};
use crate::io::save_weights;
use crate::train::{Logs, Mode, Monitor, TrainContext};

/// Saves the weights (safetensors) after every epoch, or only when the monitored value
/// improves (`save_best_only`, Keras' strict improvement in mode auto). `{epoch}` in the
/// path is replaced by the 1-based epoch.
///
/// ```
/// use nn::train::ModelCheckpoint;
/// let cb = ModelCheckpoint::new("best.safetensors").monitor("val_loss").save_best_only(true);
/// # let _ = cb;
/// ```
#[derive(Clone, Debug)]
pub struct ModelCheckpoint {
    path: String,
    monitor: Monitor,
    save_best_only: bool,
    /// Files written, in order.
    pub saved: Vec<PathBuf>,
}

impl ModelCheckpoint {
    /// Saves to `path` after every epoch (monitor `val_loss` for `save_best_only`).
    #[must_use]
    pub fn new(path: &str) -> Self {
        ModelCheckpoint {
            path: path.to_string(),
            monitor: Monitor::new("val_loss"),
            save_best_only: false,
            saved: Vec::new(),
        }
    }

    /// The value that decides "best".
    #[must_use]
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor = Monitor::new(monitor);
        self
    }

    /// Direction of improvement (default auto).
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.monitor = self.monitor.mode(mode);
        self
    }

    /// Save only when the monitored value improves.
    #[must_use]
    pub fn save_best_only(mut self, yes: bool) -> Self {
        self.save_best_only = yes;
        self
    }
}

impl<T: Float> Callback<T> for ModelCheckpoint {
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) {
        if self.save_best_only {
            ctx.check_monitor("ModelCheckpoint", &mut self.monitor);
        }
    }

    fn state(&self) -> Option<CallbackState<T>> {
        let mut s = CallbackState::new("ModelCheckpoint");
        s.set_opt("best", self.monitor.best());
        Some(s)
    }

    fn set_state(&mut self, state: &CallbackState<T>) -> Result<(), String> {
        state.expect_kind("ModelCheckpoint")?;
        self.monitor.set_best(state.get("best"));
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        if self.save_best_only {
            let Some(current) = logs.get(self.monitor.name()) else {
                return;
            };
            if !self.monitor.update(current) {
                return;
            }
        }
        let path = PathBuf::from(self.path.replace("{epoch}", &(epoch + 1).to_string()));
        match save_weights(ctx.module(), &path) {
            Ok(()) => self.saved.push(path),
            Err(e) => ctx.print(format!("ModelCheckpoint: could not save: {e}")),
        }
    }
}
