//! Learning-rate schedules: the rate for each epoch from the initial rate. Apply them
//! with the `LearningRateScheduler` callback, or call [`LrSchedule::rate`] yourself.

/// A learning-rate schedule.
pub trait LrSchedule: Send {
    /// The learning rate for `epoch` (0-based) given the initial rate.
    fn rate(&self, epoch: usize, initial: f64) -> f64;
}

/// Multiply by `gamma` every `step_size` epochs (PyTorch `StepLR`).
#[derive(Clone, Copy, Debug)]
pub struct StepDecay {
    /// Epochs between decays.
    pub step_size: usize,
    /// Factor per decay.
    pub gamma: f64,
}

impl LrSchedule for StepDecay {
    fn rate(&self, epoch: usize, initial: f64) -> f64 {
        initial * self.gamma.powi((epoch / self.step_size.max(1)) as i32)
    }
}

/// Multiply by `gamma` every epoch (PyTorch `ExponentialLR`).
#[derive(Clone, Copy, Debug)]
pub struct ExponentialDecay {
    /// Factor per epoch.
    pub gamma: f64,
}

impl LrSchedule for ExponentialDecay {
    fn rate(&self, epoch: usize, initial: f64) -> f64 {
        initial * self.gamma.powi(epoch as i32)
    }
}

/// Cosine annealing from the initial rate down to `eta_min` over `t_max` epochs
/// (PyTorch `CosineAnnealingLR`): `η_min + (η₀ − η_min)·(1 + cos(π·t/T_max))/2`.
#[derive(Clone, Copy, Debug)]
pub struct CosineAnnealing {
    /// Half-period in epochs.
    pub t_max: usize,
    /// The minimum rate.
    pub eta_min: f64,
}

impl LrSchedule for CosineAnnealing {
    fn rate(&self, epoch: usize, initial: f64) -> f64 {
        let t = epoch as f64 / self.t_max.max(1) as f64;
        self.eta_min + (initial - self.eta_min) * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0
    }
}
