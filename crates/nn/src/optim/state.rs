//! Per-parameter optimizer state: where it lives ([`StateMap`]), how it is shown
//! ([`shaped`], for [`Optimizer::state`](super::Optimizer::state)) and how a saved copy is
//! read back ([`Entries`], for [`Optimizer::set_state`](super::Optimizer::set_state)).

use std::any::Any;
use std::collections::HashMap;

use autograd::{Grads, Param, ParamId};
use tensor::{Float, Tensor};
use thiserror::Error;

/// Saved optimizer state that does not fit the optimizer or the parameter.
#[derive(Clone, Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum StateError {
    /// An entry this optimizer does not keep.
    #[error("{optimizer}: state of {param}: unknown entry {entry:?}")]
    Unknown {
        /// The optimizer's name.
        optimizer: &'static str,
        /// The parameter's name.
        param: String,
        /// The entry's name.
        entry: String,
    },
    /// An entry the optimizer needs is not there.
    #[error("{optimizer}: state of {param}: missing entry {entry:?}")]
    Missing {
        /// The optimizer's name.
        optimizer: &'static str,
        /// The parameter's name.
        param: String,
        /// The entry's name.
        entry: &'static str,
    },
    /// An entry's shape is not the parameter's (or, for `step`, not a scalar).
    #[error("{optimizer}: state of {param}: {entry} has shape {got:?}, expected {expected:?}")]
    Shape {
        /// The optimizer's name.
        optimizer: &'static str,
        /// The parameter's name.
        param: String,
        /// The entry's name.
        entry: String,
        /// The entry's shape.
        got: Vec<usize>,
        /// The shape it must have.
        expected: Vec<usize>,
    },
    /// An entry's value is impossible (a `step` that is not a whole number of steps).
    #[error("{optimizer}: state of {param}: {entry} is {value}, {reason}")]
    Value {
        /// The optimizer's name.
        optimizer: &'static str,
        /// The parameter's name.
        param: String,
        /// The entry's name.
        entry: &'static str,
        /// The value found.
        value: f64,
        /// What it must be.
        reason: &'static str,
    },
}

/// A state buffer as a tensor shaped like `param`.
pub(crate) fn shaped<T: Float>(param: &Param<T>, values: &[T]) -> Tensor<T> {
    Tensor::from_vec(values.to_vec(), &param.shape())
        .expect("state has one value per parameter entry")
}

/// Per-parameter state buffers, created on first use.
#[derive(Clone, Debug, Default)]
pub(crate) struct StateMap<S> {
    states: HashMap<ParamId, S>,
}

impl<S> StateMap<S> {
    pub(crate) fn new() -> Self {
        StateMap {
            states: HashMap::new(),
        }
    }

    /// The state of one parameter, if it has taken a step.
    pub(crate) fn get(&self, id: ParamId) -> Option<&S> {
        self.states.get(&id)
    }

    /// Sets (`Some`) or clears (`None`) the state of one parameter.
    pub(crate) fn set(&mut self, id: ParamId, state: Option<S>) {
        match state {
            Some(s) => self.states.insert(id, s),
            None => self.states.remove(&id),
        };
    }

    /// Calls `update(weights, gradient, state)` for every trainable parameter with a
    /// gradient, creating its state with `init(n)` on first use. Frozen parameters
    /// ([`Param::requires_grad`]`(false)`) are skipped even if a gradient was computed
    /// for them before they were frozen.
    pub(crate) fn for_each<T: Float>(
        &mut self,
        params: &[&Param<T>],
        grads: &Grads<T>,
        init: impl Fn(usize) -> S,
        mut update: impl FnMut(&mut [T], &[T], &mut S),
    ) {
        for p in params.iter().filter(|p| p.trainable()) {
            let Some(g) = grads.by_id(p.id()) else {
                continue;
            };
            let g = g.contiguous();
            let g = g.as_slice().expect("contiguous");
            let mut w = p.write();
            let w = w.as_mut_slice();
            assert_eq!(
                w.len(),
                g.len(),
                "optimizer: gradient and parameter sizes differ"
            );
            let state = self.states.entry(p.id()).or_insert_with(|| init(w.len()));
            update(w, g, state);
        }
    }
}

/// Saved state entries of one parameter, looked up by name with their shapes checked.
/// Every entry must be taken: [`Entries::finish`] rejects the ones nobody asked for.
pub(crate) struct Entries<'a, T: Float> {
    optimizer: &'static str,
    param: &'a Param<T>,
    entries: &'a [(String, Tensor<T>)],
    taken: Vec<bool>,
}

impl<'a, T: Float> Entries<'a, T> {
    pub(crate) fn new(
        optimizer: &'static str,
        param: &'a Param<T>,
        entries: &'a [(String, Tensor<T>)],
    ) -> Self {
        Entries {
            optimizer,
            param,
            entries,
            taken: vec![false; entries.len()],
        }
    }

    /// No entries: the parameter has not taken a step.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&mut self, name: &str, expected: &[usize]) -> Result<Option<Vec<T>>, StateError> {
        let Some(i) = self.entries.iter().position(|(n, _)| n == name) else {
            return Ok(None);
        };
        self.taken[i] = true;
        let t = &self.entries[i].1;
        if t.shape() != expected {
            return Err(StateError::Shape {
                optimizer: self.optimizer,
                param: self.param.name().to_string(),
                entry: name.to_string(),
                got: t.shape().to_vec(),
                expected: expected.to_vec(),
            });
        }
        Ok(Some(t.to_vec()))
    }

    /// A buffer shaped like the parameter, flattened; absent → `Ok(None)`.
    pub(crate) fn optional(&mut self, name: &'static str) -> Result<Option<Vec<T>>, StateError> {
        let shape = self.param.shape();
        self.find(name, &shape)
    }

    /// A buffer shaped like the parameter, flattened.
    pub(crate) fn buffer(&mut self, name: &'static str) -> Result<Vec<T>, StateError> {
        self.optional(name)?.ok_or_else(|| self.missing(name))
    }

    /// The scalar step count: a whole number from 0 to 2^53 (PyTorch keeps it as a float
    /// tensor; anything else, from a file, would be cast to a wrong count).
    pub(crate) fn step(&mut self) -> Result<u64, StateError> {
        let v = self
            .find("step", &[])?
            .ok_or_else(|| self.missing("step"))?;
        let step = v[0].to_f64();
        if !(0.0..=9_007_199_254_740_992.0).contains(&step) || step.fract() != 0.0 {
            return Err(StateError::Value {
                optimizer: self.optimizer,
                param: self.param.name().to_string(),
                entry: "step",
                value: step,
                reason: "not a whole number of steps from 0 to 2^53",
            });
        }
        Ok(step as u64)
    }

    fn missing(&self, entry: &'static str) -> StateError {
        StateError::Missing {
            optimizer: self.optimizer,
            param: self.param.name().to_string(),
            entry,
        }
    }

    /// Fails on the first entry that was not taken.
    pub(crate) fn finish(self) -> Result<(), StateError> {
        match self.taken.iter().position(|t| !t) {
            None => Ok(()),
            Some(i) => Err(StateError::Unknown {
                optimizer: self.optimizer,
                param: self.param.name().to_string(),
                entry: self.entries[i].0.clone(),
            }),
        }
    }
}

/// A saved copy of an optimizer's whole state, as [`Optimizer::save_state`] keeps it
/// (opaque: only the optimizer that wrote it can read it back).
///
/// [`Optimizer::save_state`]: super::Optimizer::save_state
pub type SavedState = Option<Box<dyn Any + Send>>;

/// State that can be overwritten with a copy of another state of the same kind, reusing
/// its buffers (no allocation once the sizes match).
pub(crate) trait CopyFrom {
    fn copy_from(&mut self, src: &Self);
}

impl CopyFrom for u64 {
    fn copy_from(&mut self, src: &Self) {
        *self = *src;
    }
}

impl<T: Copy> CopyFrom for Vec<T> {
    fn copy_from(&mut self, src: &Self) {
        self.clear();
        self.extend_from_slice(src);
    }
}

impl<T: Copy> CopyFrom for Option<Vec<T>> {
    fn copy_from(&mut self, src: &Self) {
        match (self.as_mut(), src) {
            (Some(dst), Some(src)) => dst.copy_from(src),
            _ => self.clone_from(src),
        }
    }
}

impl<A: CopyFrom, B: CopyFrom> CopyFrom for (A, B) {
    fn copy_from(&mut self, src: &Self) {
        self.0.copy_from(&src.0);
        self.1.copy_from(&src.1);
    }
}

impl<A: CopyFrom, B: CopyFrom, C: CopyFrom> CopyFrom for (A, B, C) {
    fn copy_from(&mut self, src: &Self) {
        self.0.copy_from(&src.0);
        self.1.copy_from(&src.1);
        self.2.copy_from(&src.2);
    }
}

impl<A: CopyFrom, B: CopyFrom, C: CopyFrom, D: CopyFrom> CopyFrom for (A, B, C, D) {
    fn copy_from(&mut self, src: &Self) {
        self.0.copy_from(&src.0);
        self.1.copy_from(&src.1);
        self.2.copy_from(&src.2);
        self.3.copy_from(&src.3);
    }
}

impl<S: CopyFrom + Clone + Send + 'static> StateMap<S> {
    /// Copies every parameter's state into `saved`, reusing the buffers of an earlier save.
    pub(crate) fn save_into(&self, saved: &mut SavedState) {
        match saved.as_mut().and_then(|b| b.downcast_mut::<StateMap<S>>()) {
            Some(dst) => dst.copy_from(self),
            None => *saved = Some(Box::new(self.clone())),
        }
    }

    /// Puts back a state saved by [`StateMap::save_into`]; false if `saved` is not one.
    pub(crate) fn restore_from(&mut self, saved: &(dyn Any + Send)) -> bool {
        match saved.downcast_ref::<StateMap<S>>() {
            Some(src) => {
                self.copy_from(src);
                true
            }
            None => false,
        }
    }

    fn copy_from(&mut self, src: &Self) {
        self.states.retain(|id, _| src.states.contains_key(id));
        for (id, s) in &src.states {
            match self.states.get_mut(id) {
                Some(dst) => dst.copy_from(s),
                None => {
                    self.states.insert(*id, s.clone());
                }
            }
        }
    }
}
