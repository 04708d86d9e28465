//! [`BackwardOps`] for [`Tensor`] (plain computation) and for [`Var`] (computation that is
//! recorded, for higher-order gradients). Each method is a one-line forward to the
//! type's own op.

use tensor::{AvgPool, Conv2dParams, Float, Tensor};

use crate::backward::BackwardOps;
use crate::tape::Var;

fn signed(axes: &[usize]) -> Vec<isize> {
    axes.iter().map(|&a| a as isize).collect()
}

impl<T: Float> BackwardOps<T> for Tensor<T> {
    fn shape(&self) -> Vec<usize> {
        Tensor::shape(self).to_vec()
    }
    fn value(&self) -> Tensor<T> {
        self.clone()
    }
    fn stored_transposed(&self) -> bool {
        self.ndim() >= 2 && !self.is_contiguous() && Tensor::transpose(self, -2, -1).is_contiguous()
    }
    fn lift(&self, t: Tensor<T>) -> Self {
        t
    }
    fn select(&self, mask: &Tensor<T>, o: &Self) -> Self {
        Tensor::where_(mask, self, o)
    }
    fn lstm_cell_backward(&self, gates: &Self, c_prev: &Self, out: &Self) -> (Self, Self) {
        Tensor::lstm_cell_backward(self, gates, c_prev, out)
    }
    fn lstm_sequence_backward(
        &self,
        xw: &Self,
        w_hh: &Self,
        h0: &Self,
        c0: &Self,
        out: &Self,
        gates: Option<&Tensor<T>>,
        reverse: bool,
    ) -> (Self, Self, Self, Self) {
        Tensor::lstm_sequence_backward(self, xw, w_hh, h0, c0, out, gates, reverse)
    }
    fn gru_cell_backward(&self, x: &Self, hw: &Self, h_prev: &Self) -> (Self, Self, Self) {
        Tensor::gru_cell_backward(self, x, hw, h_prev)
    }
    fn accumulate(&mut self, c: Self) {
        self.add_assign(&c);
    }
    fn add(&self, o: &Self) -> Self {
        Tensor::add(self, o)
    }
    fn sub(&self, o: &Self) -> Self {
        Tensor::sub(self, o)
    }
    fn mul(&self, o: &Self) -> Self {
        Tensor::mul(self, o)
    }
    fn div(&self, o: &Self) -> Self {
        Tensor::div(self, o)
    }
    fn neg(&self) -> Self {
        Tensor::neg(self)
    }
    fn scale(&self, s: f64) -> Self {
        self.mul_scalar(T::from_f64(s))
    }
    fn shift(&self, s: f64) -> Self {
        self.add_scalar(T::from_f64(s))
    }
    fn exp(&self) -> Self {
        Tensor::exp(self)
    }
    fn powf(&self, p: f64) -> Self {
        Tensor::powf(self, T::from_f64(p))
    }
    fn tanh(&self) -> Self {
        Tensor::tanh(self)
    }
    fn erf(&self) -> Self {
        Tensor::erf(self)
    }
    fn ln(&self) -> Self {
        Tensor::ln(self)
    }
    fn sin(&self) -> Self {
        Tensor::sin(self)
    }
    fn cos(&self) -> Self {
        Tensor::cos(self)
    }
    fn sigmoid(&self) -> Self {
        Tensor::sigmoid(self)
    }
    fn pow(&self, o: &Self) -> Self {
        Tensor::pow(self, o)
    }
    fn sum_keep(&self, axes: &[usize]) -> Self {
        self.sum_axes(&signed(axes), true)
    }
    fn sum_to(&self, shape: &[usize]) -> Self {
        Tensor::sum_to(self, shape)
    }
    fn expand(&self, shape: &[usize]) -> Self {
        self.broadcast_to(shape)
    }
    fn matmul(&self, o: &Self) -> Self {
        Tensor::matmul(self, o)
    }
    fn transpose(&self, a: usize, b: usize) -> Self {
        Tensor::transpose(self, a as isize, b as isize)
    }
    fn permute(&self, perm: &[usize]) -> Self {
        Tensor::permute(self, &signed(perm))
    }
    fn reshape(&self, shape: &[usize]) -> Self {
        Tensor::reshape(self, &signed(shape))
    }
    fn unsqueeze(&self, axis: usize) -> Self {
        Tensor::unsqueeze(self, axis as isize)
    }
    fn squeeze(&self, axis: usize) -> Self {
        Tensor::squeeze(self, axis as isize)
    }
    fn narrow(&self, axis: usize, start: usize, len: usize) -> Self {
        Tensor::narrow(self, axis as isize, start, len)
    }
    fn pad(&self, axis: usize, start: usize, len: usize) -> Self {
        Tensor::pad(self, axis as isize, start, len)
    }
    fn index_select(&self, axis: usize, indices: &[usize]) -> Self {
        Tensor::index_select(self, axis as isize, indices)
    }
    fn index_add(&self, axis: usize, indices: &[usize], len: usize) -> Self {
        Tensor::index_add(self, axis as isize, indices, len)
    }
    fn gather(&self, axis: usize, index: &Self) -> Self {
        Tensor::gather(self, axis as isize, index)
    }
    fn scatter_add(&self, axis: usize, index: &Self, shape: &[usize]) -> Self {
        Tensor::scatter_add(self, axis as isize, index, shape)
    }
    fn conv2d(&self, w: &Self, p: Conv2dParams) -> Self {
        Tensor::conv2d(self, w, p)
    }
    fn conv_transpose2d(&self, w: &Self, p: Conv2dParams, size: [usize; 2]) -> Self {
        Tensor::conv_transpose2d(self, w, p, size)
    }
    fn conv2d_weight(&self, g: &Self, p: Conv2dParams, kernel: [usize; 2]) -> Self {
        Tensor::conv2d_weight(self, g, p, kernel)
    }
    fn max_unpool2d(&self, idx: &Self, size: [usize; 2]) -> Self {
        Tensor::max_unpool2d(self, idx, size)
    }
    fn avg_pool(&self, p: AvgPool) -> Self {
        Tensor::avg_pool(self, p)
    }
    fn avg_pool_adjoint(&self, p: AvgPool, size: [usize; 2]) -> Self {
        Tensor::avg_pool_adjoint(self, p, size)
    }
}

impl<'t, T: Float> BackwardOps<T> for Var<'t, T> {
    fn shape(&self) -> Vec<usize> {
        Var::shape(*self)
    }
    fn value(&self) -> Tensor<T> {
        Var::value(*self)
    }
    fn stored_transposed(&self) -> bool {
        self.with_value(|v| v.stored_transposed())
    }
    fn lift(&self, t: Tensor<T>) -> Self {
        self.tape.constant(t)
    }
    fn select(&self, mask: &Tensor<T>, o: &Self) -> Self {
        Var::where_(mask, *self, *o)
    }
    fn add(&self, o: &Self) -> Self {
        Var::add(*self, *o)
    }
    fn sub(&self, o: &Self) -> Self {
        Var::sub(*self, *o)
    }
    fn mul(&self, o: &Self) -> Self {
        Var::mul(*self, *o)
    }
    fn div(&self, o: &Self) -> Self {
        Var::div(*self, *o)
    }
    fn neg(&self) -> Self {
        Var::neg(*self)
    }
    fn scale(&self, s: f64) -> Self {
        self.mul_scalar(T::from_f64(s))
    }
    fn shift(&self, s: f64) -> Self {
        self.add_scalar(T::from_f64(s))
    }
    fn exp(&self) -> Self {
        Var::exp(*self)
    }
    fn powf(&self, p: f64) -> Self {
        Var::powf(*self, T::from_f64(p))
    }
    fn tanh(&self) -> Self {
        Var::tanh(*self)
    }
    fn erf(&self) -> Self {
        Var::erf(*self)
    }
    fn ln(&self) -> Self {
        Var::ln(*self)
    }
    fn sin(&self) -> Self {
        Var::sin(*self)
    }
    fn cos(&self) -> Self {
        Var::cos(*self)
    }
    fn sigmoid(&self) -> Self {
        Var::sigmoid(*self)
    }
    fn pow(&self, o: &Self) -> Self {
        Var::pow(*self, *o)
    }
    fn sum_keep(&self, axes: &[usize]) -> Self {
        self.sum_axes(&signed(axes), true)
    }
    fn sum_to(&self, shape: &[usize]) -> Self {
        if Var::shape(*self) == shape {
            return *self;
        }
        let axes =
            tensor::shape::sum_to_axes(&Var::shape(*self), shape).unwrap_or_else(|e| panic!("{e}"));
        self.sum_axes(&signed(&axes), true).reshape(&signed(shape))
    }
    fn expand(&self, shape: &[usize]) -> Self {
        self.broadcast_to(shape)
    }
    fn matmul(&self, o: &Self) -> Self {
        Var::matmul(*self, *o)
    }
    fn transpose(&self, a: usize, b: usize) -> Self {
        Var::transpose(*self, a as isize, b as isize)
    }
    fn permute(&self, perm: &[usize]) -> Self {
        Var::permute(*self, &signed(perm))
    }
    fn reshape(&self, shape: &[usize]) -> Self {
        Var::reshape(*self, &signed(shape))
    }
    fn unsqueeze(&self, axis: usize) -> Self {
        Var::unsqueeze(*self, axis as isize)
    }
    fn squeeze(&self, axis: usize) -> Self {
        Var::squeeze(*self, axis as isize)
    }
    fn narrow(&self, axis: usize, start: usize, len: usize) -> Self {
        Var::narrow(*self, axis as isize, start, len)
    }
    fn pad(&self, axis: usize, start: usize, len: usize) -> Self {
        Var::pad(*self, axis as isize, start, len)
    }
    fn index_select(&self, axis: usize, indices: &[usize]) -> Self {
        Var::index_select(*self, axis as isize, indices)
    }
    fn index_add(&self, axis: usize, indices: &[usize], len: usize) -> Self {
        Var::index_add(*self, axis as isize, indices, len)
    }
    fn gather(&self, axis: usize, index: &Self) -> Self {
        Var::gather(*self, axis as isize, &index.value())
    }
    fn scatter_add(&self, axis: usize, index: &Self, shape: &[usize]) -> Self {
        Var::scatter_add(*self, axis as isize, &index.value(), shape)
    }
    fn conv2d(&self, w: &Self, p: Conv2dParams) -> Self {
        Var::conv2d(*self, *w, p)
    }
    fn conv_transpose2d(&self, w: &Self, p: Conv2dParams, size: [usize; 2]) -> Self {
        Var::conv_transpose2d(*self, *w, p, size)
    }
    fn conv2d_weight(&self, g: &Self, p: Conv2dParams, kernel: [usize; 2]) -> Self {
        Var::conv2d_weight(*self, *g, p, kernel)
    }
    fn max_unpool2d(&self, idx: &Self, size: [usize; 2]) -> Self {
        Var::max_unpool2d(*self, &idx.value(), size)
    }
    fn avg_pool(&self, p: AvgPool) -> Self {
        Var::avg_pool(*self, p)
    }
    fn avg_pool_adjoint(&self, p: AvgPool, size: [usize; 2]) -> Self {
        Var::avg_pool_adjoint(*self, p, size)
    }
}
