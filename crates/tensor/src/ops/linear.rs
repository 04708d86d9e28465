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
    /// As in PyTorch, the weight may also be 1-D, `[in]`: the result is then `[*]` (the
    /// dot product of each row with the weight) and the bias, if any, 0-D. (PyTorch
    /// also broadcasts other bias shapes; here the bias is exactly `[out]`, or 0-D with a
    /// 1-D weight.)
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

    /// [`Tensor::linear`], or an error naming the shapes (see [`linear_shape`]).
    ///
    /// ```
    /// use tensor::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let w = Tensor::from([0.5f32, -1.0]); // 1-D: one output, the axis dropped
    /// assert_eq!(x.try_linear(&w, Some(&Tensor::scalar(1.0))).unwrap().to_vec(), vec![-0.5, -1.5]);
    /// assert!(x.try_linear(&w, Some(&Tensor::from([1.0f32]))).is_err()); // bias must be 0-D
    /// ```
    pub fn try_linear(&self, weight: &Self, bias: Option<&Self>) -> Result<Self> {
        let out_shape = linear_shape(self.shape(), weight.shape(), bias.map(Tensor::shape))?;
        if weight.ndim() == 1 {
            // `[in]` is the one row of a `[1, in]` weight; the length-1 axis then goes.
            let bias = bias.map(|b| b.unsqueeze(0));
            let y = self.try_linear(&weight.unsqueeze(0), bias.as_ref())?;
            return Ok(y.squeeze(-1));
        }
        let (out_features, in_features) = (weight.shape()[0], weight.shape()[1]);
        let lead = &self.shape()[..self.ndim() - 1];
        let rows = try_numel("linear", lead)?;
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

/// The shape of `linear(x, weight, bias)` (PyTorch's `torch.nn.functional.linear`), or an
/// error naming all three shapes: `x` is `[*, in]` with at least one axis; `weight` is
/// `[out, in]`, giving `[*, out]` with a `[out]` bias, or `[in]`, giving `[*]` with a 0-D
/// bias.
///
/// ```
/// use tensor::linear_shape;
/// assert_eq!(linear_shape(&[8, 3], &[5, 3], Some(&[5])).unwrap(), vec![8, 5]);
/// assert_eq!(linear_shape(&[8, 3], &[3], Some(&[])).unwrap(), vec![8]);
/// let e = linear_shape(&[8, 3], &[5, 4], None).unwrap_err();
/// assert!(e.to_string().contains("weight [5, 4]"));
/// ```
pub fn linear_shape(x: &[usize], weight: &[usize], bias: Option<&[usize]>) -> Result<Vec<usize>> {
    let fail = |reason: String| TensorError::Invalid {
        op: "linear",
        reason: format!("input {x:?}, weight {weight:?}, bias {bias:?}: {reason}"),
    };
    let (out, in_features, bias_shape) = match *weight {
        [out, in_features] => (Some(out), in_features, vec![out]),
        [in_features] => (None, in_features, vec![]),
        _ => return Err(fail("the weight must be [out, in] or [in]".into())),
    };
    let Some((&last, lead)) = x.split_last() else {
        return Err(fail("the input needs at least one axis, [*, in]".into()));
    };
    if last != in_features {
        return Err(fail(format!(
            "the input's last axis must have the weight's {in_features} features"
        )));
    }
    if bias.is_some_and(|b| b != bias_shape.as_slice()) {
        return Err(fail(format!("the bias must be {bias_shape:?}")));
    }
    Ok(lead.iter().copied().chain(out).collect())
}
