//! `Monitor`: the one "did it improve?" rule, shared by `EarlyStopping`,
//! `ReduceLrOnPlateau`, `ModelCheckpoint` and the History plot.
//!
//! Keras 3's rule (`MonitorCallback._is_improvement`): in min mode `current` improves on
//! `reference` when `current + δ < reference`, in max mode when `current − δ > reference`,
//! strictly, always against the best so far. PyTorch's `ReduceLROnPlateau` measures the
//! threshold relative to the best instead (`threshold_mode="rel"`: min mode improves when
//! `current < best·(1 − δ)`); [`ThresholdMode::Rel`] selects that.

/// Which direction is an improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
    /// Keras 3's rule: strip `val_`; `loss` is lower-is-better; a compiled metric says its
    /// own direction (accuracy: higher; errors: lower); any other name is an error.
    Auto,
}

/// How `min_delta` is measured (PyTorch's `threshold_mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThresholdMode {
    /// An absolute change: `current + δ < best` (Keras; the default here).
    #[default]
    Abs,
    /// A change relative to the best: `current < best·(1 − δ)` in min mode,
    /// `current > best·(1 + δ)` in max mode (PyTorch's `ReduceLROnPlateau` default).
    Rel,
}

/// A monitored quantity of the epoch logs (`val_loss`, `accuracy`, …), its direction,
/// its improvement threshold and the best value seen.
///
/// ```
/// use nn::train::{Mode, Monitor};
/// let mut m = Monitor::new("val_loss").mode(Mode::Min).min_delta(0.05);
/// m.resolve(|_| None).unwrap();
/// assert!(m.update(1.0));          // the first value always improves
/// assert!(!m.update(0.96));        // 0.96 + 0.05 is not below 1.0
/// assert!(m.update(0.90));
/// assert_eq!(m.best(), Some(0.90));
/// ```
#[derive(Clone, Debug)]
pub struct Monitor {
    name: String,
    mode: Mode,
    min_delta: f64,
    threshold_mode: ThresholdMode,
    higher: Option<bool>,
    best: Option<f64>,
}

impl Monitor {
    /// Monitors `name` in mode auto, with `min_delta` 0 (absolute).
    #[must_use]
    pub fn new(name: &str) -> Self {
        Monitor {
            name: name.to_string(),
            mode: Mode::Auto,
            min_delta: 0.0,
            threshold_mode: ThresholdMode::Abs,
            higher: None,
            best: None,
        }
    }

    /// Direction of improvement.
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self.higher = None;
        self
    }

    /// Minimum change that counts as an improvement (its absolute value is used).
    #[must_use]
    pub fn min_delta(mut self, delta: f64) -> Self {
        self.min_delta = delta.abs();
        self
    }

    /// Absolute (Keras) or relative (PyTorch) threshold.
    #[must_use]
    pub fn threshold_mode(mut self, mode: ThresholdMode) -> Self {
        self.threshold_mode = mode;
        self
    }

    /// The monitored name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The best value seen since the last [`Monitor::reset`].
    #[must_use]
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Sets the best value (restoring a callback's state).
    pub fn set_best(&mut self, best: Option<f64>) {
        self.best = best;
    }

    /// True when higher is better (after [`Monitor::resolve`]; lower is assumed before).
    #[must_use]
    pub fn higher_is_better(&self) -> bool {
        self.higher.unwrap_or(self.mode == Mode::Max)
    }

    /// Forgets the best value (a new `fit`).
    pub fn reset(&mut self) {
        self.best = None;
    }

    /// Decides the direction. `known(name)` tells the direction of a compiled metric (by
    /// its name without `val_`), if it knows it.
    ///
    /// # Errors
    /// In mode auto, when the name is neither `loss` nor a metric with a known direction
    /// (Keras 3 raises `ValueError` there), with a message that names the quantity.
    pub fn resolve(&mut self, known: impl Fn(&str) -> Option<bool>) -> Result<bool, String> {
        let higher = match self.mode {
            Mode::Min => false,
            Mode::Max => true,
            Mode::Auto => {
                let base = self.name.strip_prefix("val_").unwrap_or(&self.name);
                let auto = if base == "loss" {
                    Some(false)
                } else {
                    known(base)
                };
                auto.ok_or_else(|| {
                    format!(
                        "mode auto cannot tell whether {:?} should go up or down; \
                         set mode(Mode::Min) or mode(Mode::Max)",
                        self.name
                    )
                })?
            }
        };
        self.higher = Some(higher);
        Ok(higher)
    }

    /// Whether `current` improves on `reference` (`None`: always).
    #[must_use]
    pub fn is_improvement(&self, current: f64, reference: Option<f64>) -> bool {
        let Some(r) = reference else { return true };
        let d = self.min_delta;
        match (self.higher_is_better(), self.threshold_mode) {
            (true, ThresholdMode::Abs) => current - d > r,
            (false, ThresholdMode::Abs) => current + d < r,
            // PyTorch's formula as written (`best * (1 ± threshold)`), also for a
            // negative best, so trajectories match `torch.optim.lr_scheduler`.
            (true, ThresholdMode::Rel) => current > r * (1.0 + d),
            (false, ThresholdMode::Rel) => current < r * (1.0 - d),
        }
    }

    /// Records `current`: true (and it becomes the best) if it improves on the best.
    pub fn update(&mut self, current: f64) -> bool {
        let improved = self.is_improvement(current, self.best);
        if improved {
            self.best = Some(current);
        }
        improved
    }

    /// The index of the best value in `values` by this monitor's direction (ties: the
    /// first), ignoring `min_delta` — what a plot marks.
    #[must_use]
    pub fn best_index(&self, values: &[f64]) -> Option<usize> {
        let higher = self.higher_is_better();
        (0..values.len()).reduce(|a, b| {
            let better = if higher {
                values[b] > values[a]
            } else {
                values[b] < values[a]
            };
            if better {
                b
            } else {
                a
            }
        })
    }
}
