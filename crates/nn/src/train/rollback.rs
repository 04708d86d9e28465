//! Undoing a diverging update. `fit` keeps the model's state (parameters, buffers and the
//! optimizer's per-parameter state) from before the last update it applied; when a loss,
//! gradient or updated weight turns NaN or infinite, it puts that state back, so the model
//! it leaves is the last one that trained without trouble.
//!
//! Cost: one copy of every weight, buffer and optimizer buffer per batch, into storage
//! kept from one batch to the next (`fit` alternates two snapshots), so that training
//! allocates nothing for it after the first batches. On the study guide's model this is a
//! few microseconds per batch.

use autograd::Param;
use tensor::{Float, Tensor};

use crate::module::{Module, Named};
use crate::optim::{Optimizer, SavedState};
use crate::rng::RngState;

/// The model and optimizer state at one point of training.
pub(crate) struct Snapshot<T: Float> {
    /// The values of `parameters()` then `buffers()`, in that order.
    values: Vec<Vec<T>>,
    /// The optimizer's whole state, when it can save it ([`Optimizer::save_state`]).
    optimizer: SavedState,
    /// Otherwise, per parameter in `parameters()` order: its named state entries.
    named: Vec<Vec<(String, Tensor<T>)>>,
}

impl<T: Float> Default for Snapshot<T> {
    fn default() -> Self {
        Snapshot {
            values: Vec::new(),
            optimizer: None,
            named: Vec::new(),
        }
    }
}

impl<T: Float> Snapshot<T> {
    /// A snapshot of the current state.
    pub(crate) fn take(module: &dyn Module<T>, optimizer: &dyn Optimizer<T>) -> Self {
        let mut s = Snapshot::default();
        s.save(module, optimizer);
        s
    }

    /// Overwrites this snapshot with the current state, reusing its storage.
    pub(crate) fn save(&mut self, module: &dyn Module<T>, optimizer: &dyn Optimizer<T>) {
        let (params, buffers) = (module.parameter_refs(), module.buffers());
        let count = params.len() + buffers.len();
        self.values.resize_with(count, Vec::new);
        self.values.truncate(count);
        for (p, dst) in weights(&params, &buffers).zip(&mut self.values) {
            let value = p.read();
            dst.clear();
            match value.as_slice() {
                Some(src) => dst.extend_from_slice(src),
                None => dst.extend(value.to_vec()),
            }
        }
        self.named.clear();
        if !optimizer.save_state(&mut self.optimizer) {
            self.named = params
                .iter()
                .map(|p| {
                    optimizer
                        .state(p)
                        .into_iter()
                        .map(|(n, t)| (n.to_string(), t))
                        .collect()
                })
                .collect();
        }
    }

    /// Puts the state back. An optimizer that reports state but cannot take it back
    /// (a custom one without [`Optimizer::set_state`]) keeps its current state.
    pub(crate) fn restore(&self, module: &dyn Module<T>, optimizer: &mut dyn Optimizer<T>) {
        let (params, buffers) = (module.parameter_refs(), module.buffers());
        for (p, values) in weights(&params, &buffers).zip(&self.values) {
            let shape = p.shape();
            p.set(Tensor::from_vec(values.clone(), &shape).expect("saved from this parameter"));
        }
        let restored = self
            .optimizer
            .as_deref()
            .is_some_and(|saved| optimizer.restore_state(saved));
        if !restored {
            for (p, state) in params.iter().zip(&self.named) {
                // Cannot fail for the built-in optimizers: the state is their own.
                let _ = optimizer.set_state(p, state);
            }
        }
    }
}

/// The positions of the module's generators (Dropout's), in [`Module::rngs`] order.
pub(crate) fn rng_states<T: Float>(module: &dyn Module<T>) -> Vec<RngState> {
    module
        .rngs()
        .iter()
        .map(|(_, r)| RngState::of(&r.lock().unwrap_or_else(|e| e.into_inner())))
        .collect()
}

/// Puts the module's generators back where [`rng_states`] found them.
pub(crate) fn set_rng_states<T: Float>(module: &dyn Module<T>, states: &[RngState]) {
    for ((_, r), state) in module.rngs().iter().zip(states) {
        *r.lock().unwrap_or_else(|e| e.into_inner()) = state.to_rng();
    }
}

/// The parameters, then the buffers: every tensor a snapshot keeps, in its order.
fn weights<'a, T: Float>(
    params: &'a [&'a Param<T>],
    buffers: &'a [Named<'a, T>],
) -> impl Iterator<Item = &'a Param<T>> {
    params
        .iter()
        .copied()
        .chain(buffers.iter().map(|(_, b)| *b))
}

/// The first parameter of `module` holding a NaN or infinity: (name, value).
pub(crate) fn first_non_finite_param<T: Float>(module: &dyn Module<T>) -> Option<(String, f64)> {
    // Names are built only for the one found (this runs after every update).
    let (index, value) = module
        .parameter_refs()
        .into_iter()
        .enumerate()
        .find_map(|(i, p)| {
            let w = p.read();
            if w.all_finite() {
                return None;
            }
            let bad = match w.as_slice() {
                Some(s) => s.iter().find(|v| !v.is_finite()).copied(),
                None => w.to_vec().into_iter().find(|v| !v.is_finite()),
            };
            bad.map(|v| (i, v.to_f64()))
        })?;
    let mut named = module.parameters();
    debug_assert_eq!(
        named.len(),
        module.parameter_refs().len(),
        "parameter_refs order"
    );
    let name = named.swap_remove(index).0;
    Some((name, value))
}
