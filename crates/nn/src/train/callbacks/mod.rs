//! The callback protocol, and the standard callbacks, one per file.
//!
//! `fit` calls each callback at train, epoch and batch begin and end. Epoch numbers are
//! 0-based, as in Keras (`Epoch 1/100` is epoch 0). A callback stops training with
//! [`TrainContext::stop_training`]; `fit` checks that after the epoch-end hooks, so the
//! stopping epoch is still recorded in the History. Callbacks that watch a logged value
//! share one [`Monitor`](crate::train::Monitor), the one "did it improve?" rule, and
//! check at train begin that `fit` will log it.

mod backup_and_restore;
mod csv_logger;
mod early_stopping;
mod lambda_callback;
mod learning_rate_scheduler;
mod model_checkpoint;
mod reduce_lr_on_plateau;
mod state;
mod tensorboard;
mod terminate_on_nan;

use tensor::Float;

pub use backup_and_restore::BackupAndRestore;
pub use csv_logger::CsvLogger;
pub use early_stopping::EarlyStopping;
pub use lambda_callback::LambdaCallback;
pub use learning_rate_scheduler::LearningRateScheduler;
pub use model_checkpoint::ModelCheckpoint;
pub use reduce_lr_on_plateau::ReduceLrOnPlateau;
pub use state::CallbackState;
pub use tensorboard::TensorBoard;
pub use terminate_on_nan::TerminateOnNan;

use super::{Logs, TrainContext};

/// Checks a built-in callback's saved numbers as its `set_state` will read them when
/// `fit` resumes, so that a damaged checkpoint fails `load_checkpoint` (naming the file)
/// rather than every later `fit`. States of other kinds (custom callbacks) are checked by
/// their own `set_state` then.
pub(crate) fn check_saved_state<T: Float>(state: &CallbackState<T>) -> Result<(), String> {
    match state.kind.as_str() {
        "EarlyStopping" => EarlyStopping::<T>::new("loss").set_state(state),
        "ReduceLrOnPlateau" => Callback::<T>::set_state(&mut ReduceLrOnPlateau::new("loss"), state),
        "ModelCheckpoint" => Callback::<T>::set_state(&mut ModelCheckpoint::new("unused"), state),
        _ => Ok(()),
    }
}

/// The first way EarlyStopping's best weights saved in `state` do not fit `module`, if
/// they are there and do not.
pub(crate) fn saved_weights_problem<T: Float>(
    state: &CallbackState<T>,
    module: &dyn crate::Module<T>,
) -> Option<String> {
    let saved = state.tensors_under("best_weights");
    if state.kind != "EarlyStopping" || saved.is_empty() {
        return None;
    }
    early_stopping::weights_problem(module, &saved)
        .map(|problem| format!("EarlyStopping's best weights do not fit this model: {problem}"))
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
    /// The state the callback carries between epochs, for checkpoints; `None` (the
    /// default) when it carries none.
    fn state(&self) -> Option<CallbackState<T>> {
        None
    }
    /// Takes back a state from [`Callback::state`]; `fit` calls it after
    /// `on_train_begin` when it resumes from a checkpoint.
    ///
    /// # Errors
    /// A message naming what does not fit (another kind of callback, a missing count).
    fn set_state(&mut self, _state: &CallbackState<T>) -> Result<(), String> {
        Ok(())
    }
}

/// A boxed callback is a callback, so run-time choices go straight into `FitConfig`.
impl<T: Float> Callback<T> for Box<dyn Callback<T>> {
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) {
        (**self).on_train_begin(ctx)
    }
    fn on_train_end(&mut self, ctx: &mut TrainContext<'_, T>) {
        (**self).on_train_end(ctx)
    }
    fn on_epoch_begin(&mut self, epoch: usize, ctx: &mut TrainContext<'_, T>) {
        (**self).on_epoch_begin(epoch, ctx)
    }
    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        (**self).on_epoch_end(epoch, logs, ctx)
    }
    fn on_batch_begin(&mut self, batch: usize, ctx: &mut TrainContext<'_, T>) {
        (**self).on_batch_begin(batch, ctx)
    }
    fn on_batch_end(&mut self, batch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        (**self).on_batch_end(batch, logs, ctx)
    }
    fn state(&self) -> Option<CallbackState<T>> {
        (**self).state()
    }
    fn set_state(&mut self, state: &CallbackState<T>) -> Result<(), String> {
        (**self).set_state(state)
    }
}
