//! The affine map of a fully connected layer, `x·Wᵀ + b`, as one kernel: the bias is
//! written into the result first and the product accumulated onto it by gemm, so there is
//! one result buffer and one pass instead of a product, a broadcast and a sum.

use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::ops::matmul::{gemm_into, MatrixView};
use crate::parallel::split_matmul;
use crate::shape::try_numel;
use crate::storage::Storage;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// `x·Wᵀ + b` over the last axis (PyTorch's `torch.nn.functional.linear`): `self`
    /// is `[*, in]` (any number of leading axes, or none), `weight` is `[out, in]` (PyTorch's
    /// layout), `bias` is `[out]`; the result is `[*, out]`. Equal, up to rounding, to
    /// `self.matmul(&weight.t()) + bias`, without the intermediate product.
    ///
    /// # Panics
    /// If the shapes do not fit; see [`Tensor::try_linear`].
    ///
    /// ```
    /// use tensor::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]); // 3 rows, in = 2
    /// let w = Tensor::from([[1.0f32, 0.0], [1.0, 1.0]]); // out = 2
    /// let b = Tensor::from([10.0f32, 20.0]);
    /// let y = x.linear(&w, Some(&b));
    /// assert_eq!(y.shape(), &[3, 2]);
    /// assert_eq!(y.to_vec(), vec![11.0, 23.0, 13.0, 27.0, 15.0, 31.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn linear(&self, weight: &Self, bias: Option<&Self>) -> Self {
        unwrap(self.try_linear(weight, bias))
    }

    /// [`Tensor::linear`], or an error naming the shapes: the weight must be 2-D, the
    /// input's last axis as long as the weight's second, and the bias 1-D as long as the
    /// weight's first.
    pub fn try_linear(&self, weight: &Self, bias: Option<&Self>) -> Result<Self> {
        let fail = |reason: String| TensorError::Invalid {
            op: "linear",
            reason: format!(
                "input {:?}, weight {:?}, bias {:?}: {reason}",
                self.shape(),
                weight.shape(),
                bias.map(Tensor::shape)
            ),
        };
        if weight.ndim() != 2 {
            return Err(fail("the weight must be 2-D [out, in]".into()));
        }
        let (out_features, in_features) = (weight.shape()[0], weight.shape()[1]);
        if self.ndim() == 0 || self.shape()[self.ndim() - 1] != in_features {
            return Err(fail(format!(
                "the input's last axis must have the weight's {in_features} features"
            )));
        }
        if let Some(b) = bias {
            if b.shape() != [out_features] {
                return Err(fail(format!("the bias must be [{out_features}]")));
            }
        }
        let lead = &self.shape()[..self.ndim() - 1];
        let rows = try_numel("linear", lead)?;
        let mut out_shape = lead.to_vec();
        out_shape.push(out_features);
        let len = crate::shape::check_alloc::<T>("linear", &out_shape)?;
        let mut storage: Storage<T> = match bias {
            // Every element is written: the bias row by row, or gemm (which does not read
            // the buffer without `accumulate`), or zeros when the product is empty.
            Some(_) => crate::recycle::scratch(len),
            None if in_features == 0 => crate::recycle::zeroed(len),
            None => crate::recycle::scratch(len),
        };
        let out = storage.get_mut().expect("new storage is unique");
        if len > 0 {
            // The input as a [rows, in] matrix (a view when the leading axes merge; rows ≤
            // len fits an isize) and the weight read as its transpose; broadcast
            // (stride-0) axes are made real for gemm.
            let x = if self.ndim() == 2 {
                self.clone()
            } else {
                self.reshape(&[rows as isize, in_features as isize])
            };
            // A broadcast operand's copy can be far larger than the result: check it.
            let real = |t: Tensor<T>| -> Result<Tensor<T>> {
                if t.strides().contains(&0) {
                    crate::shape::check_alloc::<T>("linear", t.shape())?;
                    Ok(t.contiguous())
                } else {
                    Ok(t)
                }
            };
            let (x, w) = (real(x)?, real(weight.clone())?);
            if let Some(b) = bias {
                let b = b.contiguous();
                let b = b.as_slice().expect("contiguous");
                for row in out.chunks_exact_mut(out_features) {
                    row.copy_from_slice(b);
                }
            }
            let view = |t: &Tensor<T>, transpose: bool| {
                let (rs, cs) = (t.strides()[0] as isize, t.strides()[1] as isize);
                MatrixView {
                    offset: t.layout().offset(),
                    row_stride: if transpose { cs } else { rs },
                    col_stride: if transpose { rs } else { cs },
                }
            };
            let flops = 2usize
                .saturating_mul(rows)
                .saturating_mul(out_features)
                .saturating_mul(in_features);
            gemm_into(
                out,
                rows,
                out_features,
                in_features,
                &x.storage,
                view(&x, false),
                &w.storage,
                view(&w, true),
                bias.is_some(),
                split_matmul(flops),
            );
        }
        Ok(Tensor::from_storage(storage, &out_shape))
    }
}
