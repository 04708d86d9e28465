//! `LambdaCallback`: a closure called at each epoch end.

use tensor::Float;

use super::Callback;
use crate::train::{Logs, TrainContext};

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

impl<F> std::fmt::Debug for LambdaCallback<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LambdaCallback")
    }
}

impl<F> LambdaCallback<F> {
    /// Calls `f(epoch, logs, ctx)` after every epoch. The bound lets Rust infer the
    /// closure's argument types, so `|epoch, logs, _ctx| …` needs no annotations:
    ///
    /// ```
    /// use nn::train::{FitConfig, LambdaCallback};
    /// let config = FitConfig::<f32>::new().callback(LambdaCallback::new(|epoch, logs, _ctx| {
    ///     println!("epoch {epoch}: {:?}", logs.get("loss"));
    /// }));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn new<T: Float>(f: F) -> Self
    where
        F: FnMut(usize, &Logs, &mut TrainContext<'_, T>) + Send,
    {
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
