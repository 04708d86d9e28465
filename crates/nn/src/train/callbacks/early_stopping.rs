//! `EarlyStopping`: stop when the monitored value stops improving (Keras 3's exact rules),
//! or, in trend mode, when its recent slope turns upward.

use tensor::Float;

use super::{Callback, CallbackState};
use crate::train::{Logs, Mode, Monitor, ThresholdMode, TrainContext, Weights};

/// Stops training when the monitored quantity stops improving.
///
/// Patience mode follows Keras 3 exactly (epochs are 0-based):
/// * an epoch improves only if it beats the *best so far* by more than `min_delta`;
/// * on an improvement the best (and, with `restore_best_weights`, its weights) is kept,
///   and the wait resets to 0 unless a `baseline` is set and not beaten;
/// * otherwise the wait grows, and training stops when it reaches `patience`, except on
///   epoch 0;
/// * epochs before `start_from_epoch` are ignored;
/// * with `restore_best_weights`, the best weights are restored at the end of training,
///   also when it ran to the last epoch.
///
/// Without further improvement, training runs `best_epoch + patience + 1` epochs.
///
/// Trend mode ([`EarlyStopping::trend`]) is the study guide's own rule: fit a
/// least-squares line to the last `k` values and stop when its slope exceeds the
/// tolerance (the curve has turned upward: overfitting).
///
/// The monitored name is checked before the first epoch: a quantity `fit` will never log
/// (a misspelled metric, `val_loss` without validation data) stops `fit` with an error
/// that lists the available names.
///
/// ```
/// use nn::train::EarlyStopping;
/// let stop = EarlyStopping::<f32>::new("val_loss").patience(10).restore_best_weights(true);
/// # let _ = stop;
/// ```
pub struct EarlyStopping<T: Float = f32> {
    monitor: Monitor,
    patience: usize,
    baseline: Option<f64>,
    restore_best_weights: bool,
    start_from_epoch: usize,
    trend: Option<(usize, f64)>,
    // State.
    wait: usize,
    best_epoch: usize,
    stopped_epoch: Option<usize>,
    history: Vec<f64>,
    best_weights: Option<Weights<T>>,
    /// Best weights came from a checkpoint and are not yet checked against the model.
    unchecked: bool,
}

impl<T: Float> std::fmt::Debug for EarlyStopping<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarlyStopping")
            .field("monitor", &self.monitor)
            .field("patience", &self.patience)
            .field("baseline", &self.baseline)
            .field("restore_best_weights", &self.restore_best_weights)
            .field("start_from_epoch", &self.start_from_epoch)
            .field("trend", &self.trend)
            .field("wait", &self.wait)
            .field("best_epoch", &self.best_epoch)
            .field("stopped_epoch", &self.stopped_epoch)
            .finish_non_exhaustive()
    }
}

impl<T: Float> EarlyStopping<T> {
    /// Early stopping on `monitor` with Keras' defaults: min_delta 0, patience 0, mode
    /// auto, no baseline, no restoring, start from epoch 0.
    #[must_use]
    pub fn new(monitor: &str) -> Self {
        EarlyStopping {
            monitor: Monitor::new(monitor),
            patience: 0,
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
            trend: None,
            wait: 0,
            best_epoch: 0,
            stopped_epoch: None,
            history: Vec::new(),
            best_weights: None,
            unchecked: false,
        }
    }

    /// Minimum change that counts as an improvement (its absolute value is used).
    #[must_use]
    pub fn min_delta(mut self, v: f64) -> Self {
        self.monitor = self.monitor.min_delta(v);
        self
    }

    /// Absolute (Keras, default) or relative (PyTorch) `min_delta`.
    #[must_use]
    pub fn threshold_mode(mut self, mode: ThresholdMode) -> Self {
        self.monitor = self.monitor.threshold_mode(mode);
        self
    }

    /// Epochs without improvement to wait before stopping.
    #[must_use]
    pub fn patience(mut self, v: usize) -> Self {
        self.patience = v;
        self
    }

    /// Direction of improvement.
    #[must_use]
    pub fn mode(mut self, m: Mode) -> Self {
        self.monitor = self.monitor.mode(m);
        self
    }

    /// A value the monitored quantity must beat for the wait to reset.
    #[must_use]
    pub fn baseline(mut self, v: f64) -> Self {
        self.baseline = Some(v);
        self
    }

    /// Restore the best epoch's weights when training ends.
    #[must_use]
    pub fn restore_best_weights(mut self, v: bool) -> Self {
        self.restore_best_weights = v;
        self
    }

    /// Ignore epochs before this one (warm-up).
    #[must_use]
    pub fn start_from_epoch(mut self, v: usize) -> Self {
        self.start_from_epoch = v;
        self
    }

    /// Trend mode: stop when the least-squares slope of the last `k` monitored values is
    /// above `tolerance` (per epoch, in the monitored units; the sign is flipped for
    /// higher-is-better quantities). Patience is not used in this mode.
    ///
    /// # Panics
    /// If `k < 2`.
    #[track_caller]
    #[must_use]
    pub fn trend(mut self, k: usize, tolerance: f64) -> Self {
        assert!(
            k >= 2,
            "EarlyStopping::trend: a slope needs at least 2 epochs, got k = {k}"
        );
        self.trend = Some((k, tolerance));
        self
    }

    /// The epoch (0-based) at which training was stopped, if it was.
    #[must_use]
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The best epoch (0-based) seen.
    #[must_use]
    pub fn best_epoch(&self) -> usize {
        self.best_epoch
    }

    /// The best value seen.
    #[must_use]
    pub fn best(&self) -> Option<f64> {
        self.monitor.best()
    }

    /// Epochs since the last improvement (that reset the wait).
    #[must_use]
    pub fn wait(&self) -> usize {
        self.wait
    }
}

/// Slope of the least-squares line through `(i, ys[i])`.
pub(crate) fn slope(ys: &[f64]) -> f64 {
    let n = ys.len() as f64;
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        let dx = i as f64 - mean_x;
        num += dx * (y - mean_y);
        den += dx * dx;
    }
    num / den
}

impl<T: Float> EarlyStopping<T> {
    /// Checks best weights restored from a checkpoint against the model, once (at the
    /// first epoch, or at the end of a run that had none left): a damaged or foreign
    /// checkpoint fails the run before it trains, rather than restoring into the wrong
    /// model at its end.
    fn check_restored(&mut self, ctx: &mut TrainContext<'_, T>) {
        if !std::mem::take(&mut self.unchecked) {
            return;
        }
        let Some(saved) = &self.best_weights else {
            return;
        };
        if let Some(problem) = weights_problem(ctx.module(), saved) {
            self.best_weights = None;
            ctx.fail(format!(
                "EarlyStopping: the best weights in the checkpoint do not fit this model: \
                 {problem}"
            ));
        }
    }
}

/// The first way best weights saved in a checkpoint do not fit `module` (a missing or
/// extra tensor, another shape), or `None`.
pub(super) fn weights_problem<T: Float>(
    module: &dyn crate::Module<T>,
    saved: &Weights<T>,
) -> Option<String> {
    let model = module.state_dict();
    model
        .iter()
        .find_map(|(name, t)| match saved.iter().find(|(n, _)| n == name) {
            None => Some(format!("{name} is missing")),
            Some((_, s)) if s.shape() != t.shape() => Some(format!(
                "{name} is {:?}, the model's {:?}",
                s.shape(),
                t.shape()
            )),
            Some(_) => None,
        })
        .or_else(|| {
            saved
                .iter()
                .find(|(n, _)| !model.iter().any(|(m, _)| m == n))
                .map(|(n, _)| format!("the model has no {n}"))
        })
}

impl<T: Float> Callback<T> for EarlyStopping<T> {
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) {
        self.wait = 0;
        self.monitor.reset();
        self.best_epoch = 0;
        self.stopped_epoch = None;
        self.history.clear();
        self.best_weights = None;
        ctx.check_monitor("EarlyStopping", &mut self.monitor);
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        let Some(current) = logs.get(self.monitor.name()) else {
            return;
        };
        if epoch < self.start_from_epoch {
            return;
        }
        if self.restore_best_weights && self.best_weights.is_none() {
            self.best_weights = Some(ctx.weights());
            self.best_epoch = epoch;
        }
        let improved = self.monitor.update(current);
        if improved {
            self.best_epoch = epoch;
            if self.restore_best_weights {
                self.best_weights = Some(ctx.weights());
            }
        }
        if let Some((k, tolerance)) = self.trend {
            self.history.push(current);
            if self.history.len() >= k {
                let m = slope(&self.history[self.history.len() - k..]);
                let rising = if self.monitor.higher_is_better() {
                    -m
                } else {
                    m
                };
                if rising > tolerance {
                    self.stopped_epoch = Some(epoch);
                    ctx.stop_training();
                }
            }
            return;
        }
        self.wait += 1;
        if improved {
            if self.baseline.is_none() || self.monitor.is_improvement(current, self.baseline) {
                self.wait = 0;
            }
            return;
        }
        if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = Some(epoch);
            ctx.stop_training();
        }
    }

    fn state(&self) -> Option<CallbackState<T>> {
        let mut s = CallbackState::new("EarlyStopping");
        s.set("wait", self.wait as f64);
        s.set("best_epoch", self.best_epoch as f64);
        s.set_opt("best", self.monitor.best());
        s.set_opt("stopped_epoch", self.stopped_epoch.map(|e| e as f64));
        for (i, v) in self.history.iter().enumerate() {
            s.set(&format!("trend.{i}"), *v);
        }
        for (name, t) in self.best_weights.iter().flatten() {
            s.tensors.push((format!("best_weights.{name}"), t.clone()));
        }
        Some(s)
    }

    fn set_state(&mut self, state: &CallbackState<T>) -> Result<(), String> {
        state.expect_kind("EarlyStopping")?;
        let count = |name| {
            state
                .count(name)
                .ok_or_else(|| format!("EarlyStopping state: {name:?} is missing or not a count"))
        };
        self.wait = count("wait")?;
        self.best_epoch = count("best_epoch")?;
        self.monitor.set_best(state.get("best"));
        self.stopped_epoch = state.count("stopped_epoch");
        self.history = (0..)
            .map_while(|i| state.get(&format!("trend.{i}")))
            .collect();
        let weights = state.tensors_under("best_weights");
        self.best_weights = (!weights.is_empty()).then_some(weights);
        self.unchecked = self.best_weights.is_some();
        Ok(())
    }

    fn on_epoch_begin(&mut self, _epoch: usize, ctx: &mut TrainContext<'_, T>) {
        self.check_restored(ctx);
    }

    fn on_train_end(&mut self, ctx: &mut TrainContext<'_, T>) {
        self.check_restored(ctx);
        if let Some(e) = self.stopped_epoch {
            ctx.print(format!("Epoch {}: early stopping", e + 1));
        }
        let history = ctx.history_mut();
        if self.stopped_epoch.is_some() {
            history.stopped_epoch = self.stopped_epoch;
        }
        if self.monitor.best().is_some() {
            history.best_epoch = Some(self.best_epoch);
            history.monitor = Some(self.monitor.name().to_string());
            history.monitor_higher_is_better = self.monitor.higher_is_better();
        }
        if self.restore_best_weights {
            if let Some(w) = &self.best_weights {
                ctx.print(format!(
                    "Restoring model weights from the end of the best epoch: {}.",
                    self.best_epoch + 1
                ));
                ctx.set_weights(w);
            }
        }
    }
}
