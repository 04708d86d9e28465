//! `TerminateOnNan`: a quiet stop on a NaN or infinite batch loss.

use tensor::Float;

use super::Callback;
use crate::train::{Logs, TrainContext};

/// Stops training quietly when a batch loss is NaN or infinite: `fit` then returns the
/// History so far instead of an error (without the callback, `fit` returns
/// `TrainError::NonFinite`). The bad update is never applied.
#[doc(alias = "TerminateOnNaN")]
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
