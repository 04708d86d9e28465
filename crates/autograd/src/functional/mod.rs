//! Functional transforms in the spirit of JAX and `torch.func`: derivatives of a
//! *function of tensors* written with [`Var`] ops, without touching a tape yourself.
//!
//! | function | computes | passes |
//! |---|---|---|
//! | [`vjp`] | `f(x)` and `uᵀ·J` | one reverse |
//! | [`jvp`] | `f(x)` and `J·v` | one forward |
//! | [`grad`] | `∇f(x)` for a scalar `f` | one reverse |
//! | [`jacrev`] | the Jacobian, row by row | one reverse per output element |
//! | [`jacfwd`] | the Jacobian, column by column | one forward per input element |
//! | [`jacobian`] | the Jacobian by the cheaper of the two | `min(outputs, inputs)` |
//! | [`hvp`] | `H·v` for a scalar `f` | reverse, then one forward over it |
//! | [`hessian`] | `H` for a scalar `f` (forward-over-reverse) | reverse, then one forward per input element |
//!
//! `f` takes one `Var` per input (`&[Var]`) and returns one `Var`, as for
//! [`crate::gradcheck()`]; wrap a closure kept in a variable in [`function`]. Shapes are PyTorch's: the Jacobian of `f: ℝ^(a…) → ℝ^(b…)`
//! with respect to input `i` has shape `(b…, a…)`; the Hessian block of inputs `i`, `j`
//! has shape `(aᵢ…, aⱼ…)`. Where the output does not depend on an input, its blocks are
//! zeros. Mistakes in the call (a tangent of the wrong shape, a non-scalar output where a
//! scalar is required) are [`FunctionalError`]s, not panics.
//!
//! ```
//! use autograd::functional::{function, hessian, jacobian};
//! use tensor::Tensor;
//!
//! // f(x) = [x₀·x₁, sin x₀]: J = [[x₁, x₀], [cos x₀, 0]]
//! let f = function(|v| {
//!     let (a, b) = (v[0].narrow(0, 0, 1), v[0].narrow(0, 1, 1));
//!     autograd::Var::concat(&[a * b, a.sin()], 0)
//! });
//! let x = Tensor::from([0.5f64, 2.0]);
//! let j = &jacobian(&f, &[x.clone()]).unwrap()[0];
//! assert_eq!(j.shape(), &[2, 2]);
//! assert_eq!(j.to_vec(), vec![2.0, 0.5, 0.5f64.cos(), 0.0]);
//!
//! // g(x) = x₀²·x₁: H = [[2x₁, 2x₀], [2x₀, 0]]
//! let g = function(|v| (v[0].narrow(0, 0, 1).powi(2) * v[0].narrow(0, 1, 1)).sum_all());
//! let h = &hessian(&g, &[x]).unwrap()[0][0];
//! assert_eq!(h.to_vec(), vec![4.0, 1.0, 1.0, 0.0]);
//! ```

use tensor::{Float, Tensor};

use crate::tape::{Tape, Var};

mod error;
pub use error::FunctionalError;

/// Returns `f` unchanged, with its signature pinned to what the transforms take
/// (`for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>`), so a closure can be kept in a variable
/// and passed to several transforms. (A closure written inline in the call needs no
/// help; one stored with `let` would otherwise not be general over the tape's lifetime.)
///
/// ```
/// use autograd::functional::{function, jacfwd, jacrev};
/// use tensor::Tensor;
/// let f = function(|v| v[0].sin());
/// let x = [Tensor::from([0.0f64, 1.0])];
/// assert_eq!(jacrev(&f, &x).unwrap()[0].to_vec(), jacfwd(&f, &x).unwrap()[0].to_vec());
/// ```
pub fn function<T: Float, F>(f: F) -> F
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    f
}

/// How [`jacobian_with`] builds the Jacobian.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JacobianStrategy {
    /// Reverse mode if the output has at most as many elements as all inputs together,
    /// forward mode otherwise (the cheaper by pass count).
    #[default]
    Auto,
    /// One reverse pass per output element ([`jacrev`]; PyTorch's `"reverse-mode"`).
    Reverse,
    /// One forward pass per input element ([`jacfwd`]; PyTorch's `"forward-mode"`).
    Forward,
}

type Result<T> = std::result::Result<T, FunctionalError>;

/// Records `f` on `tape` at `primals`.
fn record<'t, T: Float, F>(
    tape: &'t Tape<T>,
    f: &F,
    primals: &[Tensor<T>],
    function: &'static str,
) -> Result<(Vec<Var<'t, T>>, Var<'t, T>)>
where
    F: for<'s> Fn(&[Var<'s, T>]) -> Var<'s, T>,
{
    if primals.is_empty() {
        return Err(FunctionalError::NoInputs { function });
    }
    let vars: Vec<Var<'t, T>> = primals.iter().map(|x| tape.var(x.clone())).collect();
    let out = f(&vars);
    Ok((vars, out))
}

fn check_shapes<T: Float>(
    function: &'static str,
    what: &'static str,
    given: &[Tensor<T>],
    primals: &[Tensor<T>],
) -> Result<()> {
    if given.len() != primals.len() {
        return Err(FunctionalError::CountMismatch {
            function,
            what,
            expected: primals.len(),
            got: given.len(),
        });
    }
    for (i, (g, x)) in given.iter().zip(primals).enumerate() {
        if g.shape() != x.shape() {
            return Err(FunctionalError::ShapeMismatch {
                function,
                what: format!("{what} {i}"),
                expected: x.shape().to_vec(),
                got: g.shape().to_vec(),
            });
        }
    }
    Ok(())
}

fn check_scalar<T: Float>(function: &'static str, out: Var<'_, T>) -> Result<()> {
    let shape = out.shape();
    if shape.iter().product::<usize>() == 1 {
        Ok(())
    } else {
        Err(FunctionalError::NotScalar { function, shape })
    }
}

/// `Tensor` of `shape` with a one at flat position `k`.
fn one_hot<T: Float>(shape: &[usize], k: usize) -> Tensor<T> {
    let mut data = vec![T::ZERO; shape.iter().product()];
    data[k] = T::ONE;
    Tensor::from_vec(data, shape).expect("one entry per element")
}

fn concat_shapes(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter().chain(b).copied().collect()
}

/// `f(x)` and the vector-Jacobian product `uᵀ·J` for each input (`torch.func.vjp`,
/// `jax.vjp`, with the cotangent `u` given): one reverse pass.
///
/// Returns the output and one tensor per input, of that input's shape.
///
/// # Errors
/// [`FunctionalError::NoInputs`]; [`FunctionalError::ShapeMismatch`] if `cotangent` is
/// not shaped like the output.
///
/// ```
/// use autograd::functional::vjp;
/// use tensor::Tensor;
/// // f(x) = 3x: uᵀ·J = 3u
/// let (y, g) = vjp(|v| v[0] * 3.0, &[Tensor::from([1.0f64, 2.0])], &Tensor::from([1.0, -1.0])).unwrap();
/// assert_eq!((y.to_vec(), g[0].to_vec()), (vec![3.0, 6.0], vec![3.0, -3.0]));
/// ```
pub fn vjp<T: Float, F>(
    f: F,
    primals: &[Tensor<T>],
    cotangent: &Tensor<T>,
) -> Result<(Tensor<T>, Vec<Tensor<T>>)>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, out) = record(&tape, &f, primals, "vjp")?;
    if cotangent.shape() != out.shape() {
        return Err(FunctionalError::ShapeMismatch {
            function: "vjp",
            what: "cotangent".into(),
            expected: out.shape(),
            got: cotangent.shape().to_vec(),
        });
    }
    let grads = out.backward_with(cotangent.clone());
    let per_input = vars
        .iter()
        .map(|v| {
            grads
                .get(v)
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(&v.shape()))
        })
        .collect();
    Ok((out.value(), per_input))
}

/// `f(x)` and the Jacobian-vector product `J·v = Σᵢ Jᵢ·vᵢ` (`torch.func.jvp`, `jax.jvp`):
/// one forward pass, pushing the tangents `v` (one per input, of its shape) through the
/// tangent table ([`crate::forward`]).
///
/// Returns the output and its tangent (of the output's shape).
///
/// # Errors
/// [`FunctionalError::NoInputs`], [`FunctionalError::CountMismatch`],
/// [`FunctionalError::ShapeMismatch`].
///
/// ```
/// use autograd::functional::jvp;
/// use tensor::Tensor;
/// // f(x) = x²: J·v = 2x·v
/// let (y, dy) = jvp(|v| v[0] * v[0], &[Tensor::from([1.0f64, 3.0])], &[Tensor::from([1.0, 0.5])]).unwrap();
/// assert_eq!((y.to_vec(), dy.to_vec()), (vec![1.0, 9.0], vec![2.0, 3.0]));
/// ```
pub fn jvp<T: Float, F>(
    f: F,
    primals: &[Tensor<T>],
    tangents: &[Tensor<T>],
) -> Result<(Tensor<T>, Tensor<T>)>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, out) = record(&tape, &f, primals, "jvp")?;
    check_shapes("jvp", "tangent", tangents, primals)?;
    let seeds: Vec<(Var<'_, T>, Tensor<T>)> =
        vars.iter().copied().zip(tangents.iter().cloned()).collect();
    let dout = tape.push_tangents(&seeds).get_or_zeros(&out);
    Ok((out.value(), dout))
}

/// The gradient of a scalar function, one tensor per input (`torch.func.grad`,
/// `jax.grad`).
///
/// # Errors
/// [`FunctionalError::NotScalar`] if `f` returns more than one value;
/// [`FunctionalError::NoInputs`].
///
/// ```
/// use autograd::functional::grad;
/// use tensor::Tensor;
/// let g = grad(|v| (v[0] * v[0]).sum_all(), &[Tensor::from([1.0f64, -2.0])]).unwrap();
/// assert_eq!(g[0].to_vec(), vec![2.0, -4.0]);
/// assert!(grad(|v| v[0] * 2.0, &[Tensor::from([1.0f64, 2.0])]).is_err());
/// ```
pub fn grad<T: Float, F>(f: F, primals: &[Tensor<T>]) -> Result<Vec<Tensor<T>>>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, out) = record(&tape, &f, primals, "grad")?;
    check_scalar("grad", out)?;
    let grads = out.backward_with(Tensor::ones(&out.shape()));
    Ok(vars
        .iter()
        .map(|v| {
            grads
                .get(v)
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(&v.shape()))
        })
        .collect())
}

/// The Jacobian by reverse mode (`torch.func.jacrev`, `jax.jacrev`): one reverse pass per
/// output element, each giving one row. Cheaper than [`jacfwd`] when the output is
/// smaller than the inputs.
///
/// Returns one Jacobian per input `i`, of shape `(output shape…, input i shape…)`.
///
/// # Errors
/// [`FunctionalError::NoInputs`].
pub fn jacrev<T: Float, F>(f: F, primals: &[Tensor<T>]) -> Result<Vec<Tensor<T>>>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    jacobian_with(f, primals, JacobianStrategy::Reverse)
}

/// The Jacobian by forward mode (`torch.func.jacfwd`, `jax.jacfwd`): one forward pass per
/// input element, each giving one column. Cheaper than [`jacrev`] when the inputs are
/// smaller than the output.
///
/// Shapes as [`jacrev`].
///
/// # Errors
/// [`FunctionalError::NoInputs`].
pub fn jacfwd<T: Float, F>(f: F, primals: &[Tensor<T>]) -> Result<Vec<Tensor<T>>>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    jacobian_with(f, primals, JacobianStrategy::Forward)
}

/// The Jacobian, by whichever of [`jacrev`] and [`jacfwd`] needs fewer passes
/// (PyTorch's `torch.autograd.functional.jacobian`, choosing the strategy for you).
///
/// # Errors
/// [`FunctionalError::NoInputs`].
pub fn jacobian<T: Float, F>(f: F, primals: &[Tensor<T>]) -> Result<Vec<Tensor<T>>>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    jacobian_with(f, primals, JacobianStrategy::Auto)
}

/// The Jacobian with an explicit [`JacobianStrategy`]; see [`jacrev`] for the shapes.
/// `f` is recorded once; each row (reverse) or column (forward) is one pass over that
/// recording.
///
/// # Errors
/// [`FunctionalError::NoInputs`].
pub fn jacobian_with<T: Float, F>(
    f: F,
    primals: &[Tensor<T>],
    strategy: JacobianStrategy,
) -> Result<Vec<Tensor<T>>>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, out) = record(&tape, &f, primals, "jacobian")?;
    let out_shape = out.shape();
    let n_out: usize = out_shape.iter().product();
    let n_in: usize = primals.iter().map(Tensor::numel).sum();
    let reverse = match strategy {
        JacobianStrategy::Reverse => true,
        JacobianStrategy::Forward => false,
        JacobianStrategy::Auto => n_out <= n_in,
    };
    let mut blocks: Vec<Vec<T>> = primals
        .iter()
        .map(|x| vec![T::ZERO; n_out * x.numel()])
        .collect();
    if reverse {
        for o in 0..n_out {
            let grads = out.backward_with(one_hot(&out_shape, o));
            for (i, v) in vars.iter().enumerate() {
                if let Some(g) = grads.get(v) {
                    let n = primals[i].numel();
                    blocks[i][o * n..(o + 1) * n].copy_from_slice(&g.to_vec());
                }
            }
        }
    } else {
        for (i, v) in vars.iter().enumerate() {
            let n = primals[i].numel();
            for k in 0..n {
                let tangents = tape.push_tangents(&[(*v, one_hot(primals[i].shape(), k))]);
                if let Some(column) = tangents.get(&out) {
                    for (o, value) in column.to_vec().into_iter().enumerate() {
                        blocks[i][o * n + k] = value;
                    }
                }
            }
        }
    }
    Ok(blocks
        .into_iter()
        .zip(primals)
        .map(|(data, x)| {
            Tensor::from_vec(data, &concat_shapes(&out_shape, x.shape())).expect("block size")
        })
        .collect())
}

/// The Hessian of a scalar function, forward-over-reverse (as `torch.func.hessian` and
/// `jax.hessian`): the gradient is recorded once on the tape ([`Var::grad_graph`]), then
/// one forward pass per input element pushes a unit tangent through the forward *and*
/// the recorded backward pass; the tangent of the gradient is one column of `H`.
///
/// Returns the blocks `H[i][j] = ∂²f/∂xᵢ∂xⱼ`, of shape `(input i shape…, input j shape…)`.
/// Custom ops contribute no second derivative (as in [`Var::grad_graph`]).
///
/// # Errors
/// [`FunctionalError::NotScalar`], [`FunctionalError::NoInputs`].
pub fn hessian<T: Float, F>(f: F, primals: &[Tensor<T>]) -> Result<Vec<Vec<Tensor<T>>>>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, out) = record(&tape, &f, primals, "hessian")?;
    check_scalar("hessian", out)?;
    let grads = out.grad_graph(&vars);
    let mut blocks: Vec<Vec<Vec<T>>> = primals
        .iter()
        .map(|a| {
            primals
                .iter()
                .map(|b| vec![T::ZERO; a.numel() * b.numel()])
                .collect()
        })
        .collect();
    for (j, v) in vars.iter().enumerate() {
        let nj = primals[j].numel();
        for k in 0..nj {
            let tangents = tape.push_tangents(&[(*v, one_hot(primals[j].shape(), k))]);
            for (i, g) in grads.iter().enumerate() {
                if let Some(column) = g.and_then(|g| tangents.get(&g).cloned()) {
                    for (a, value) in column.to_vec().into_iter().enumerate() {
                        blocks[i][j][a * nj + k] = value;
                    }
                }
            }
        }
    }
    Ok(blocks
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            row.into_iter()
                .enumerate()
                .map(|(j, data)| {
                    let shape = concat_shapes(primals[i].shape(), primals[j].shape());
                    Tensor::from_vec(data, &shape).expect("block size")
                })
                .collect()
        })
        .collect())
}

/// `f(x)` and the Hessian-vector product `H·v` of a scalar function (PyTorch's
/// `torch.autograd.functional.hvp`), forward-over-reverse: one reverse pass recorded on
/// the tape, then one forward pass pushing `v` through it. Never forms `H`.
///
/// Returns the output and `Σⱼ H[i][j]·vⱼ` for each input `i`, of its shape.
///
/// # Errors
/// [`FunctionalError::NotScalar`], [`FunctionalError::NoInputs`],
/// [`FunctionalError::CountMismatch`], [`FunctionalError::ShapeMismatch`].
///
/// ```
/// use autograd::functional::hvp;
/// use tensor::Tensor;
/// // f(x) = Σ x³: H = diag(6x)
/// let x = Tensor::from([1.0f64, 2.0]);
/// let (_, hv) = hvp(|v| v[0].powi(3).sum_all(), &[x], &[Tensor::from([1.0, 1.0])]).unwrap();
/// assert_eq!(hv[0].to_vec(), vec![6.0, 12.0]);
/// ```
pub fn hvp<T: Float, F>(
    f: F,
    primals: &[Tensor<T>],
    v: &[Tensor<T>],
) -> Result<(Tensor<T>, Vec<Tensor<T>>)>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, out) = record(&tape, &f, primals, "hvp")?;
    check_scalar("hvp", out)?;
    check_shapes("hvp", "vector", v, primals)?;
    let grads = out.grad_graph(&vars);
    let seeds: Vec<(Var<'_, T>, Tensor<T>)> = vars.iter().copied().zip(v.iter().cloned()).collect();
    let tangents = tape.push_tangents(&seeds);
    let hv = grads
        .iter()
        .zip(&vars)
        .map(|(g, x)| match g {
            Some(g) => tangents.get_or_zeros(g),
            None => Tensor::zeros(&x.shape()),
        })
        .collect();
    Ok((out.value(), hv))
}
