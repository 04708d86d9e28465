//! `std::ops` operators for `Var`: `+ - * /` between `Var`s (broadcasting), with a scalar
//! on either side, and unary `-`. Boilerplate, so a macro writes it; each impl forwards
//! to a named method in `var_ops.rs`.

use std::ops::{Add, Div, Mul, Neg, Sub};

use tensor::Float;

use crate::tape::Var;

macro_rules! var_ops {
    ($Trait:ident, $method:ident, $scalar:ident, $rscalar:ident) => {
        impl<'t, T: Float> $Trait<Var<'t, T>> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Var<'t, T> {
                Var::$method(self, rhs)
            }
        }
        impl<'t, T: Float> $Trait<T> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: T) -> Var<'t, T> {
                self.$scalar(rhs)
            }
        }
        impl<'t> $Trait<Var<'t, f32>> for f32 {
            type Output = Var<'t, f32>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, f32>) -> Var<'t, f32> {
                rhs.$rscalar(self)
            }
        }
        impl<'t> $Trait<Var<'t, f64>> for f64 {
            type Output = Var<'t, f64>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, f64>) -> Var<'t, f64> {
                rhs.$rscalar(self)
            }
        }
    };
}

var_ops!(Add, add, add_scalar, add_scalar);
var_ops!(Sub, sub, sub_scalar, rsub_scalar);
var_ops!(Mul, mul, mul_scalar, mul_scalar);
var_ops!(Div, div, div_scalar, rdiv_scalar);

impl<'t, T: Float> Neg for Var<'t, T> {
    type Output = Var<'t, T>;
    #[track_caller]
    fn neg(self) -> Var<'t, T> {
        Var::neg(self)
    }
}
