//! `LearningRateScheduler`: the learning rate as a function of the epoch.

use tensor::Float;

use super::Callback;
use crate::optim::LrSchedule;
use crate::train::TrainContext;

/// Sets the learning rate at each epoch's start from a schedule: `rate(epoch, initial)`,
/// where `initial` is the optimizer's rate when the model was built (PyTorch's
/// `initial_lr`), so a resumed `fit` with `initial_epoch(k)` continues the uninterrupted
/// sequence exactly.
///
/// ```
/// use nn::optim::ExponentialDecay;
/// use nn::train::LearningRateScheduler;
/// let cb = LearningRateScheduler::new(ExponentialDecay { gamma: 0.5 });
/// # let _ = cb;
/// ```
#[derive(Clone, Debug)]
pub struct LearningRateScheduler<S> {
    schedule: S,
}

impl<S: LrSchedule> LearningRateScheduler<S> {
    /// Applies `schedule` to the optimizer's initial rate.
    #[must_use]
    pub fn new(schedule: S) -> Self {
        LearningRateScheduler { schedule }
    }
}

impl<T: Float, S: LrSchedule> Callback<T> for LearningRateScheduler<S> {
    fn on_epoch_begin(&mut self, epoch: usize, ctx: &mut TrainContext<'_, T>) {
        let rate = self.schedule.rate(epoch, ctx.initial_learning_rate());
        ctx.set_learning_rate(rate);
    }
}
