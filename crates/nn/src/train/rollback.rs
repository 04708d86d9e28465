//! Undoing a diverging update. `fit` keeps the model's state (parameters, buffers and the
//! optimizer's per-parameter state) from before the last update it applied; when a loss,
//! gradient or updated weight turns NaN or infinite, it puts that state back, so the model
//! it leaves is the last one that trained without trouble.
//!
//! Cost: the parameters and buffers are kept by reference (tensors are copy-on-write, so
//! the update copies each weight once); the optimizer state is copied per step.

use tensor::{Float, Tensor};

use super::context::{restore, snapshot, Weights};
use crate::module::Module;
use crate::optim::Optimizer;

/// The model and optimizer state at one point of training.
pub(crate) struct Snapshot<T: Float> {
    weights: Weights<T>,
    /// Per parameter, in `parameters()` order: the optimizer's state entries.
    optimizer: Vec<Vec<(String, Tensor<T>)>>,
}

impl<T: Float> Snapshot<T> {
    pub(crate) fn take(module: &dyn Module<T>, optimizer: &dyn Optimizer<T>) -> Self {
        let optimizer = module
            .parameters()
            .into_iter()
            .map(|(_, p)| {
                optimizer
                    .state(p)
                    .into_iter()
                    .map(|(n, t)| (n.to_string(), t))
                    .collect()
            })
            .collect();
        Snapshot {
            weights: snapshot(module),
            optimizer,
        }
    }

    /// Puts the state back. An optimizer that reports state but cannot take it back
    /// (a custom one without [`Optimizer::set_state`]) keeps its current state.
    pub(crate) fn restore(&self, module: &dyn Module<T>, optimizer: &mut dyn Optimizer<T>) {
        restore(module, &self.weights);
        for ((_, p), state) in module.parameters().into_iter().zip(&self.optimizer) {
            // Cannot fail for the built-in optimizers: the state is their own.
            let _ = optimizer.set_state(p, state);
        }
    }
}

/// The first parameter of `module` holding a NaN or infinity: (name, value).
pub(crate) fn first_non_finite_param<T: Float>(module: &dyn Module<T>) -> Option<(String, f64)> {
    module.parameters().into_iter().find_map(|(name, p)| {
        let w = p.read();
        let bad = match w.as_slice() {
            Some(s) => s.iter().find(|v| !v.is_finite()).copied(),
            None => w.to_vec().into_iter().find(|v| !v.is_finite()),
        };
        bad.map(|v| (name, v.to_f64()))
    })
}
