//! `Param`: a persistent, named tensor that outlives tapes (a model's weight).
//!
//! A training step binds each parameter to that step's tape once (`tape.param(&p)`),
//! backward returns its gradient in [`crate::Grads`] keyed by [`ParamId`], and an optimizer
//! updates the value in place. Once the step's tape is dropped, the parameter's storage is
//! unique again, so the in-place update copies nothing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    trainable: AtomicBool,
}

impl<T: Float> Param<T> {
    /// A new parameter with a fresh id.
    pub fn new(name: impl Into<String>, value: Tensor<T>) -> Self {
        Param {
            id: ParamId(NEXT_PARAM_ID.fetch_add(1, Ordering::Relaxed)),
            name: name.into(),
            value: RwLock::new(value),
            trainable: AtomicBool::new(true),
        }
    }

    /// Freezes (`false`) or unfreezes (`true`) the parameter, as PyTorch's
    /// `requires_grad_(False)` and Keras' `trainable = False`. A frozen parameter is bound
    /// to a tape as a constant: backward computes no gradient for it (nor for anything
    /// computed only from frozen values), so optimizers, which update the parameters that
    /// have a gradient, leave it as it is. Its value is still saved and loaded with the
    /// model's weights. New parameters are trainable; a tape already holding the
    /// parameter keeps the binding it made.
    ///
    /// Returns `self`, so it chains after [`Param::new`].
    ///
    /// ```
    /// use autograd::{Param, Tape};
    /// use tensor::Tensor;
    /// let w = Param::new("w", Tensor::from([2.0f64]));
    /// let b = Param::new("b", Tensor::from([1.0f64]));
    /// b.requires_grad(false);
    /// let tape = Tape::new();
    /// let y = (tape.param(&w) * 3.0 + tape.param(&b)).sum_all();
    /// let grads = y.backward();
    /// assert_eq!(grads[&w].to_vec(), vec![3.0]);
    /// assert!(grads.param(&b).is_none() && !b.trainable());
    /// ```
    pub fn requires_grad(&self, requires: bool) -> &Self {
        self.trainable.store(requires, Ordering::Relaxed);
        self
    }

    /// True unless the parameter is frozen ([`Param::requires_grad`]`(false)`).
    #[must_use]
    pub fn trainable(&self) -> bool {
        self.trainable.load(Ordering::Relaxed)
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
    /// A deep copy with a *new* id (a separate parameter that starts from the same value,
    /// frozen if this one is).
    fn clone(&self) -> Self {
        let copy = Param::new(self.name.clone(), self.value().contiguous());
        copy.requires_grad(self.trainable());
        copy
    }
}
