//! `Param`: a persistent, named tensor that outlives tapes (a model's weight).
//!
//! A training step binds each parameter to that step's tape once (`tape.param(&p)`),
//! backward returns its gradient in [`crate::Grads`] keyed by [`ParamId`], and an optimizer
//! updates the value in place. Once the step's tape is dropped, the parameter's storage is
//! unique again, so the in-place update copies nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use tensor::{Float, Tensor};

use crate::op::ParamId;

/// The process-wide id counter: the only global state in the crate.
static NEXT_PARAM_ID: AtomicU64 = AtomicU64::new(0);

/// A persistent tensor with a stable id and a name. `Send + Sync`, so models can be
/// shared across threads.
///
/// ```
/// use autograd::{Param, Tape};
/// use tensor::Tensor;
///
/// let w = Param::new("w", Tensor::from([2.0f64]));
/// let tape = Tape::new();
/// let y = (tape.param(&w) * 3.0).sum_all();
/// let grads = y.backward();
/// assert_eq!(grads.param(&w).unwrap().to_vec(), vec![3.0]);
/// ```
#[derive(Debug)]
pub struct Param<T: Float = f32> {
    id: ParamId,
    name: String,
    value: RwLock<Tensor<T>>,
}

impl<T: Float> Param<T> {
    /// A new parameter with a fresh id.
    pub fn new(name: impl Into<String>, value: Tensor<T>) -> Self {
        Param {
            id: ParamId(NEXT_PARAM_ID.fetch_add(1, Ordering::Relaxed)),
            name: name.into(),
            value: RwLock::new(value),
        }
    }

    /// The stable id (unique in this process).
    pub fn id(&self) -> ParamId {
        self.id
    }

    /// The name given at creation (layers use `"weight"`, `"bias"`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current value (a cheap handle to the shared storage).
    pub fn value(&self) -> Tensor<T> {
        self.read().clone()
    }

    /// The shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        self.read().shape().to_vec()
    }

    /// Number of scalar entries.
    pub fn numel(&self) -> usize {
        self.read().numel()
    }

    /// Replaces the value.
    ///
    /// # Panics
    /// If the new value's shape differs from the old one's.
    #[track_caller]
    pub fn set(&self, value: Tensor<T>) {
        let mut guard = self.write();
        assert!(
            guard.shape() == value.shape(),
            "Param::set: parameter {:?} has shape {:?}, the new value {:?}",
            self.name,
            guard.shape(),
            value.shape()
        );
        *guard = value;
    }

    /// Shared read access to the value.
    pub fn read(&self) -> RwLockReadGuard<'_, Tensor<T>> {
        self.value.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Exclusive write access, for in-place updates by optimizers.
    pub fn write(&self) -> RwLockWriteGuard<'_, Tensor<T>> {
        self.value.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Float> Clone for Param<T> {
    /// A deep copy with a *new* id (a separate parameter that starts from the same value).
    fn clone(&self) -> Self {
        Param::new(self.name.clone(), self.value().contiguous())
    }
}
