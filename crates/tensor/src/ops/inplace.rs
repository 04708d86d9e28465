//! In-place updates for optimizers and gradient accumulation.
//!
//! Each first makes the storage unique and the layout contiguous (`make_unique`): if
//! another tensor shares the storage, or `self` is a strided view, the values are copied
//! once; otherwise nothing is copied. After a training step the tape is dropped, so a
//! parameter's storage is unique again and updates happen truly in place.

use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::layout::Layout;
use crate::simd::dispatch;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// The elements as a mutable contiguous slice, copying first only if the storage is
    /// shared or the layout is not a plain contiguous one.
    ///
    /// ```
    /// let mut a = tensor::Tensor::<f32>::zeros(&[2]);
    /// let b = a.clone();
    /// a.as_mut_slice()[0] = 1.0; // copy-on-write: `b` is untouched
    /// assert_eq!((a.to_vec(), b.to_vec()), (vec![1.0, 0.0], vec![0.0, 0.0]));
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.make_unique();
        self.storage.get_mut().expect("unique after make_unique")
    }

    fn make_unique(&mut self) {
        let plain =
            self.is_contiguous() && self.layout.offset() == 0 && self.storage.len() == self.numel();
        if !plain {
            *self = Tensor::from_storage(self.dense_storage(), self.shape());
        } else {
            self.storage.make_mut();
            self.layout = Layout::contiguous(self.shape());
        }
    }

    /// `self += other`, broadcasting `other` to `self`'s shape.
    ///
    /// # Panics
    /// If `other` does not broadcast to `self`'s shape.
    ///
    /// ```
    /// let mut g = tensor::Tensor::<f32>::zeros(&[2, 2]);
    /// g.add_assign(&tensor::Tensor::from([1.0, 2.0]));
    /// assert_eq!(g.to_vec(), vec![1.0, 2.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn add_assign(&mut self, other: &Self) {
        self.axpy(T::ONE, other);
    }

    /// `self += alpha · x` (BLAS axpy), broadcasting `x` to `self`'s shape.
    ///
    /// # Panics
    /// If `x` does not broadcast to `self`'s shape; see [`Tensor::try_axpy`].
    #[track_caller]
    pub fn axpy(&mut self, alpha: T, x: &Self) {
        unwrap(self.try_axpy(alpha, x))
    }

    /// `self += alpha · x`, or an error if the shapes do not fit.
    pub fn try_axpy(&mut self, alpha: T, x: &Self) -> Result<()> {
        let x = x
            .try_broadcast_to(self.shape())
            .map_err(|_| TensorError::IncompatibleShapes {
                op: "axpy",
                lhs: self.shape().to_vec(),
                rhs: x.shape().to_vec(),
            })?;
        let dst = self.as_mut_slice();
        match x.as_slice() {
            Some(src) => dispatch(|| {
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d += alpha * s;
                }
            }),
            None => {
                for (d, s) in dst.iter_mut().zip(x.to_vec()) {
                    *d += alpha * s;
                }
            }
        }
        Ok(())
    }

    /// Sets every element to `value`.
    pub fn fill(&mut self, value: T) {
        self.as_mut_slice().fill(value);
    }

    /// Replaces every element `x` by `f(x)`, in place.
    ///
    /// ```
    /// let mut w = tensor::Tensor::from([1.0f32, -2.0]);
    /// w.map_inplace(|x| x * 0.5);
    /// assert_eq!(w.to_vec(), vec![0.5, -1.0]);
    /// ```
    pub fn map_inplace(&mut self, f: impl Fn(T) -> T) {
        let dst = self.as_mut_slice();
        dispatch(|| {
            for d in dst.iter_mut() {
                *d = f(*d);
            }
        });
    }

    /// Replaces `self` by `f(self, other)` elementwise, in place; `other` must have
    /// `self`'s shape (optimizer state updates).
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn zip_inplace(&mut self, other: &Self, f: impl Fn(T, T) -> T) {
        assert!(
            self.shape() == other.shape(),
            "zip_inplace: shapes {:?} and {:?} differ",
            self.shape(),
            other.shape()
        );
        let other = other.contiguous();
        let src = other.as_slice().expect("contiguous");
        let dst = self.as_mut_slice();
        dispatch(|| {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = f(*d, s);
            }
        });
    }
}
