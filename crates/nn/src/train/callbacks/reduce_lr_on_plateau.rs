//! `ReduceLrOnPlateau`: lower the learning rate when the monitored value stalls.

use tensor::Float;

use super::{Callback, CallbackState};
use crate::train::{Logs, Mode, Monitor, ThresholdMode, TrainContext};

/// Multiplies the learning rate by `factor` when the monitored value has not improved by
/// more than `min_delta` for `patience` epochs (Keras' rules: then waits `cooldown` epochs;
/// never goes below `min_lr`). Writes `learning_rate` into the History.
///
/// `min_delta` is absolute by default (Keras); `threshold_mode(ThresholdMode::Rel)` makes
/// it relative to the best value, as PyTorch's `ReduceLROnPlateau` default.
///
/// ```
/// use nn::train::{Mode, ReduceLrOnPlateau, ThresholdMode};
/// let cb = ReduceLrOnPlateau::new("val_loss").factor(0.5).patience(3)
///     .threshold_mode(ThresholdMode::Rel).mode(Mode::Min);
/// # let _ = cb;
/// ```
#[doc(alias = "ReduceLROnPlateau")]
#[derive(Clone, Debug)]
pub struct ReduceLrOnPlateau {
    monitor: Monitor,
    factor: f64,
    patience: usize,
    cooldown: usize,
    min_lr: f64,
    wait: usize,
    cooldown_counter: usize,
}

impl ReduceLrOnPlateau {
    /// Keras defaults: factor 0.1, patience 10, min_delta 1e-4, cooldown 0, min_lr 0,
    /// mode auto.
    #[must_use]
    pub fn new(monitor: &str) -> Self {
        ReduceLrOnPlateau {
            monitor: Monitor::new(monitor).min_delta(1e-4),
            factor: 0.1,
            patience: 10,
            cooldown: 0,
            min_lr: 0.0,
            wait: 0,
            cooldown_counter: 0,
        }
    }

    /// The factor the rate is multiplied by.
    ///
    /// # Panics
    /// If `factor >= 1` (as Keras).
    #[track_caller]
    #[must_use]
    pub fn factor(mut self, factor: f64) -> Self {
        assert!(
            factor < 1.0,
            "ReduceLrOnPlateau: factor must be < 1, got {factor}"
        );
        self.factor = factor;
        self
    }

    /// Epochs without improvement before reducing.
    #[must_use]
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// Minimum change that counts as an improvement (absolute unless
    /// [`ReduceLrOnPlateau::threshold_mode`] says relative).
    #[must_use]
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.monitor = self.monitor.min_delta(min_delta);
        self
    }

    /// Direction of improvement (default auto, Keras' rule).
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.monitor = self.monitor.mode(mode);
        self
    }

    /// Absolute (Keras, default) or relative (PyTorch) `min_delta`.
    #[must_use]
    pub fn threshold_mode(mut self, mode: ThresholdMode) -> Self {
        self.monitor = self.monitor.threshold_mode(mode);
        self
    }

    /// The monitored quantity and its best value.
    #[must_use]
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Epochs since the last improvement (PyTorch's `num_bad_epochs`).
    #[must_use]
    pub fn wait(&self) -> usize {
        self.wait
    }

    /// Epochs to wait after a reduction before counting again.
    #[must_use]
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The lowest rate.
    #[must_use]
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }
}

impl<T: Float> Callback<T> for ReduceLrOnPlateau {
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) {
        ctx.check_monitor("ReduceLrOnPlateau", &mut self.monitor);
    }

    fn state(&self) -> Option<CallbackState<T>> {
        let mut s = CallbackState::new("ReduceLrOnPlateau");
        s.set("wait", self.wait as f64);
        s.set("cooldown_counter", self.cooldown_counter as f64);
        s.set_opt("best", self.monitor.best());
        Some(s)
    }

    fn set_state(&mut self, state: &CallbackState<T>) -> Result<(), String> {
        state.expect_kind("ReduceLrOnPlateau")?;
        let count = |name| {
            state.count(name).ok_or_else(|| {
                format!("ReduceLrOnPlateau state: {name:?} is missing or not a count")
            })
        };
        self.wait = count("wait")?;
        self.cooldown_counter = count("cooldown_counter")?;
        self.monitor.set_best(state.get("best"));
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        let Some(current) = logs.get(self.monitor.name()) else {
            return;
        };
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.monitor.update(current) {
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
