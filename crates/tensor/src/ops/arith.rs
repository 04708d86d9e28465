//! `std::ops` operators for tensors: `+ - * /` between tensors (broadcasting, by value or
//! by reference), with a scalar on either side, and unary `-`.
//!
//! The impls are boilerplate, so a macro writes them; each forwards to a named method
//! (`add`, `add_scalar`, `rsub_scalar`, …) where the behaviour is documented.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::element::Float;
use crate::tensor::Tensor;

macro_rules! binary_ops {
    ($Trait:ident, $method:ident, $scalar:ident, $rscalar:ident) => {
        impl<T: Float> $Trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, rhs)
            }
        }
        impl<T: Float> $Trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, &rhs)
            }
        }
        impl<T: Float> $Trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, rhs)
            }
        }
        impl<T: Float> $Trait<Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, &rhs)
            }
        }
        impl<T: Float> $Trait<T> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                self.$scalar(rhs)
            }
        }
        impl<T: Float> $Trait<T> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                self.$scalar(rhs)
            }
        }
        impl $Trait<&Tensor<f32>> for f32 {
            type Output = Tensor<f32>;
            fn $method(self, rhs: &Tensor<f32>) -> Tensor<f32> {
                rhs.$rscalar(self)
            }
        }
        impl $Trait<Tensor<f32>> for f32 {
            type Output = Tensor<f32>;
            fn $method(self, rhs: Tensor<f32>) -> Tensor<f32> {
                rhs.$rscalar(self)
            }
        }
        impl $Trait<&Tensor<f64>> for f64 {
            type Output = Tensor<f64>;
            fn $method(self, rhs: &Tensor<f64>) -> Tensor<f64> {
                rhs.$rscalar(self)
            }
        }
        impl $Trait<Tensor<f64>> for f64 {
            type Output = Tensor<f64>;
            fn $method(self, rhs: Tensor<f64>) -> Tensor<f64> {
                rhs.$rscalar(self)
            }
        }
    };
}

binary_ops!(Add, add, add_scalar, add_scalar);
binary_ops!(Sub, sub, sub_scalar, rsub_scalar);
binary_ops!(Mul, mul, mul_scalar, mul_scalar);
binary_ops!(Div, div, div_scalar, rdiv_scalar);

impl<T: Float> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

impl<T: Float> Neg for Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(&self)
    }
}
