//! `gradcheck`: compare the analytic Jacobian (from backward) with central finite
//! differences, in `f64`, with PyTorch's defaults and pass rule.
//!
//! For every input element `k`, the numeric Jacobian column is
//! `(f(x + eps·e_k) − f(x − eps·e_k)) / (2·eps)`; the analytic row for each output element
//! comes from backward with a one-hot seed. They pass when, for every entry,
//! `|analytic − numeric| ≤ atol + rtol·|numeric|`.

use thiserror::Error;

use tensor::Tensor;

use crate::tape::{Tape, Var};

/// Tolerances for [`gradcheck`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckConfig {
    /// Finite-difference step (default 1e-6).
    pub eps: f64,
    /// Absolute tolerance (default 1e-5).
    pub atol: f64,
    /// Relative tolerance (default 1e-3).
    pub rtol: f64,
}

impl Default for GradcheckConfig {
    fn default() -> Self {
        GradcheckConfig {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// Why a gradient check failed.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum GradcheckError {
    /// An analytic and a numeric Jacobian entry disagree beyond the tolerance (the worst
    /// such entry is reported).
    #[error(
        "gradcheck: Jacobian mismatch for input {input} at element {element:?} \
         (output element {output:?}): analytic {analytic:.8e}, numeric {numeric:.8e}; \
         |difference| {difference:.3e} exceeds atol + rtol·|numeric| = {bound:.3e}"
    )]
    Mismatch {
        /// Which input (position in the `inputs` slice).
        input: usize,
        /// The input element's multi-index.
        element: Vec<usize>,
        /// The output element's multi-index.
        output: Vec<usize>,
        /// The analytic entry (from backward).
        analytic: f64,
        /// The numeric entry (finite differences).
        numeric: f64,
        /// Their absolute difference.
        difference: f64,
        /// The allowed difference.
        bound: f64,
    },
    /// The function's value is not finite at the inputs.
    #[error("gradcheck: the function's output is not finite at the given inputs")]
    NonFiniteOutput,
    /// No inputs were given.
    #[error("gradcheck: needs at least one input")]
    NoInputs,
    /// A setting of [`GradcheckConfig`] is not usable: `eps` must be positive and finite,
    /// `atol` and `rtol` not negative (and not NaN).
    #[error("gradcheck: {name} must be {rule}, got {value}")]
    Config {
        /// `eps`, `atol` or `rtol`.
        name: &'static str,
        /// What it must be.
        rule: &'static str,
        /// The value given.
        value: f64,
    },
}

impl GradcheckConfig {
    /// Checks the settings (see [`GradcheckError::Config`]).
    fn validate(&self) -> Result<(), GradcheckError> {
        let bad = |name, rule, value| Err(GradcheckError::Config { name, rule, value });
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return bad("eps", "positive and finite", self.eps);
        }
        for (name, value) in [("atol", self.atol), ("rtol", self.rtol)] {
            if value.is_nan() || value < 0.0 {
                return bad(name, "at least 0", value);
            }
        }
        Ok(())
    }
}

fn unravel(mut k: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        idx[a] = k % shape[a];
        k /= shape[a];
    }
    idx
}

/// Evaluates `f` on a fresh tape and returns its output values.
fn evaluate<F>(f: &F, inputs: &[Tensor<f64>]) -> Vec<f64>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    f(&vars).value().to_vec()
}

/// Checks the gradients of `f` at `inputs` against central finite differences.
///
/// `f` receives one `Var` per input (all needing gradients) and may return an output of
/// any shape. Works for built-in ops, custom ops and whole models alike.
///
/// `f` must work on a tape of any lifetime (`for<'t>`), which Rust infers for a closure
/// written in the call, or for a `fn` item. A closure first stored in a `let` gets one
/// fixed lifetime and is refused ("lifetime may not live long enough"): write it in the
/// call, or as a `fn` (as below). The same holds for `gradgradcheck` and `functional`.
///
/// # Errors
/// [`GradcheckError::Mismatch`] names the input, the input and output elements, and the
/// analytic and numeric values of the worst disagreement.
///
/// ```
/// use autograd::{gradcheck, GradcheckConfig, Var};
/// use tensor::Tensor;
///
/// let x = Tensor::from([[0.3f64, -1.2], [2.0, 0.5]]);
/// gradcheck(|v| (v[0].tanh() * v[0]).sum(1, false), &[x.clone()], GradcheckConfig::default())
///     .unwrap();
///
/// // A function to reuse: a `fn` item, which is generic over the tape's lifetime.
/// fn softsign<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
///     v[0] / (v[0].abs() + 1.0)
/// }
/// gradcheck(softsign, &[x], GradcheckConfig::default()).unwrap();
/// ```
pub fn gradcheck<F>(
    f: F,
    inputs: &[Tensor<f64>],
    config: GradcheckConfig,
) -> Result<(), GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    if inputs.is_empty() {
        return Err(GradcheckError::NoInputs);
    }
    config.validate()?;
    // Analytic Jacobian: one backward per output element, on one recorded forward pass.
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let out = f(&vars);
    let out_shape = out.shape();
    let out_values = out.value().to_vec();
    if out_values.iter().any(|v| !v.is_finite()) {
        return Err(GradcheckError::NonFiniteOutput);
    }
    let n_out = out_values.len();
    // analytic[i][o * numel_i + k] = d out[o] / d input_i[k]
    let mut analytic: Vec<Vec<f64>> = inputs
        .iter()
        .map(|x| vec![0.0; n_out * x.numel()])
        .collect();
    for o in 0..n_out {
        let mut seed = vec![0.0; n_out];
        seed[o] = 1.0;
        let grads = out.backward_with(
            Tensor::from_vec(seed, &out_shape).expect("seed has the output's shape"),
        );
        for (i, v) in vars.iter().enumerate() {
            if let Some(g) = grads.get(v) {
                let n = inputs[i].numel();
                analytic[i][o * n..(o + 1) * n].copy_from_slice(&g.to_vec());
            }
        }
    }
    // Numeric Jacobian, column by column, and the worst violation.
    let mut worst: Option<GradcheckError> = None;
    let mut worst_excess = 0.0;
    for (i, x) in inputs.iter().enumerate() {
        let base = x.to_vec();
        let n = base.len();
        for k in 0..n {
            let perturbed = |delta: f64| {
                let mut data = base.clone();
                data[k] += delta;
                let mut all: Vec<Tensor<f64>> = inputs.to_vec();
                all[i] = Tensor::from_vec(data, x.shape()).expect("same length");
                evaluate(&f, &all)
            };
            let (plus, minus) = (perturbed(config.eps), perturbed(-config.eps));
            for o in 0..n_out {
                let numeric = (plus[o] - minus[o]) / (2.0 * config.eps);
                let a = analytic[i][o * n + k];
                let difference = (a - numeric).abs();
                let bound = config.atol + config.rtol * numeric.abs();
                let excess = if difference.is_nan() {
                    f64::INFINITY
                } else {
                    difference - bound
                };
                if excess > worst_excess || (excess > 0.0 && worst.is_none()) {
                    worst_excess = excess;
                    worst = Some(GradcheckError::Mismatch {
                        input: i,
                        element: unravel(k, x.shape()),
                        output: unravel(o, &out_shape),
                        analytic: a,
                        numeric,
                        difference,
                        bound,
                    });
                }
            }
        }
    }
    match worst {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Checks second derivatives: the gradient of `Σ f(x)·v` (for a fixed random-looking `v`),
/// recorded with [`Var::grad_graph`], is itself checked with [`gradcheck`]. This exercises
/// every backward rule on `Var`s, the path used for Hessian-vector products and gradient
/// penalties (PyTorch's `gradgradcheck`).
///
/// # Errors
/// As [`gradcheck`]; element indices refer to the concatenated, flattened gradients.
///
/// ```
/// use autograd::{gradgradcheck, GradcheckConfig};
/// use tensor::Tensor;
/// let x = Tensor::from([0.3f64, -1.2, 2.0]);
/// gradgradcheck(|v| (v[0].tanh() * v[0]).sum_all(), &[x], GradcheckConfig::default()).unwrap();
/// ```
pub fn gradgradcheck<F>(
    f: F,
    inputs: &[Tensor<f64>],
    config: GradcheckConfig,
) -> Result<(), GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    gradcheck(
        |v| {
            let out = f(v);
            let n = out.value().numel();
            // Fixed, distinct weights for the output elements (PyTorch draws them at random).
            let weights: Vec<f64> = (0..n)
                .map(|i| 0.5 + 0.37 * ((i * 7 + 3) % 11) as f64 / 11.0)
                .collect();
            let w = Tensor::from_vec(weights, &out.shape()).expect("one weight per output element");
            let scalar = (out * v[0].tape().constant(w)).sum_all();
            let grads = scalar.grad_graph(v);
            let parts: Vec<Var<'_, f64>> = grads
                .into_iter()
                .zip(v)
                .map(|(g, x)| {
                    g.unwrap_or_else(|| x.tape().constant(Tensor::zeros(&x.shape())))
                        .flatten()
                })
                .collect();
            Var::concat(&parts, 0)
        },
        inputs,
        config,
    )
}
