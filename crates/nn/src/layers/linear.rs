//! `Linear` (Keras `Dense`): `y = x·Wᵀ + b`.

use autograd::{Param, Tape, Var};
use rand::Rng;
use tensor::Float;

use crate::init::Init;
use crate::module::{Module, Named};
use crate::regularize::Regularizer;

/// A fully connected layer, `y = x·Wᵀ + b`, with the weight stored `[out, in]` as PyTorch
/// stores it (so weights load into PyTorch unchanged). The product with `Wᵀ` reads the
/// weight through a transposed view; nothing is copied.
///
/// Default initialization is PyTorch's: weight and bias from `U(−1/√in, 1/√in)`. For
/// Keras' Dense defaults use [`Linear::with_init`] with `Init::GlorotUniform` and
/// `Init::Zeros`.
///
/// ```
/// use autograd::Tape;
/// use nn::{Linear, Module};
/// use rand::SeedableRng;
/// use tensor::Tensor;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let layer = Linear::<f32>::new(3, 2, &mut rng);
/// let tape = Tape::new();
/// let y = layer.forward(tape.constant(Tensor::zeros(&[5, 3])));
/// assert_eq!(y.shape(), vec![5, 2]);
/// ```
#[doc(alias = "Dense")]
#[derive(Debug)]
pub struct Linear<T: Float = f32> {
    weight: Param<T>,
    bias: Option<Param<T>>,
    regularizer: Option<Regularizer>,
}

impl<T: Float> Linear<T> {
    /// A layer with PyTorch's default initialization and a bias.
    pub fn new(in_features: usize, out_features: usize, rng: &mut impl Rng) -> Self {
        Self::with_init(
            in_features,
            out_features,
            Init::UniformFanIn,
            Some(Init::UniformFanIn),
            rng,
        )
    }

    /// A layer with the given weight and bias initializers (`None`: no bias).
    pub fn with_init(
        in_features: usize,
        out_features: usize,
        weight: Init,
        bias: Option<Init>,
        rng: &mut impl Rng,
    ) -> Self {
        let w = weight.tensor(&[out_features, in_features], in_features, out_features, rng);
        let b = bias.map(|init| {
            Param::new(
                "bias",
                init.tensor(&[out_features], in_features, out_features, rng),
            )
        });
        Linear {
            weight: Param::new("weight", w),
            bias: b,
            regularizer: None,
        }
    }

    /// Adds a penalty on the weight (Keras `kernel_regularizer`): it is added to the loss
    /// and shows in the reported loss.
    #[must_use]
    pub fn with_regularizer(mut self, r: Regularizer) -> Self {
        self.regularizer = Some(r);
        self
    }

    /// The weight, `[out, in]`.
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// The bias, `[out]`, if any.
    pub fn bias(&self) -> Option<&Param<T>> {
        self.bias.as_ref()
    }

    /// Input width.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Output width.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<T: Float> Module<T> for Linear<T> {
    fn output_kind(&self) -> Option<crate::loss::Prediction> {
        Some(crate::loss::Prediction::Logits)
    }

    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let tape = x.tape();
        let shape = x.shape();
        assert!(
            shape.last() == Some(&self.in_features()),
            "Linear: input of shape {shape:?} has {} features, the layer expects {}",
            shape.last().copied().unwrap_or(0),
            self.in_features()
        );
        let bias = self.bias.as_ref().map(|b| tape.param(b));
        x.linear(tape.param(&self.weight), bias)
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        let mut out = vec![("weight".to_string(), &self.weight)];
        if let Some(b) = &self.bias {
            out.push(("bias".to_string(), b));
        }
        out
    }

    fn parameter_refs(&self) -> Vec<&Param<T>> {
        let mut out = vec![&self.weight];
        out.extend(&self.bias);
        out
    }

    fn penalty<'t>(&self, tape: &'t Tape<T>) -> Option<Var<'t, T>> {
        self.regularizer
            .map(|r| r.penalty(tape.param(&self.weight)))
    }

    fn input_features(&self) -> Option<usize> {
        Some(self.in_features())
    }

    fn takes_leading_axes(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        format!("Linear({} → {})", self.in_features(), self.out_features())
    }
}
