//! The one table of allowed hyper-parameter ranges, checked before `fit` takes a step.
//!
//! Ranges follow `torch.optim`'s own checks (`lr ≥ 0`, `0 ≤ β < 1`, `weight_decay ≥ 0`,
//! Nesterov needs momentum and no dampening), made strict where a boundary value can only
//! be a mistake (`eps > 0`: with `eps = 0` a parameter whose gradient is 0 divides 0 by 0).
//! Every value must also be finite.

use thiserror::Error;

/// A hyper-parameter outside its allowed range.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("{optimizer}: {parameter} = {value} is not allowed; it must be {allowed}")]
pub struct OptimizerError {
    /// The optimizer's name (`Adam`, `Sgd`, …).
    pub optimizer: &'static str,
    /// The hyper-parameter, under PyTorch's name (`lr`, `beta2`, …).
    pub parameter: &'static str,
    /// The value given.
    pub value: f64,
    /// The allowed range, in words.
    pub allowed: &'static str,
}

/// A range test and the range in words.
type Rule = (fn(f64) -> bool, &'static str);

/// The allowed range of a hyper-parameter, by PyTorch's name.
fn rule(name: &str) -> Option<Rule> {
    let non_negative: Rule = (|v| v >= 0.0, "≥ 0");
    Some(match name {
        "lr" | "weight_decay" | "momentum" | "lr_decay" | "initial_accumulator_value" => {
            non_negative
        }
        "dampening" => (|v| (0.0..=1.0).contains(&v), "in [0, 1]"),
        "beta1" | "beta2" => (|v| (0.0..1.0).contains(&v), "in [0, 1)"),
        "alpha" | "rho" => (|v| (0.0..=1.0).contains(&v), "in [0, 1]"),
        "eps" => (|v| v > 0.0, "> 0"),
        _ => return None,
    })
}

/// Checks `hyperparameters` (name, value) of the optimizer `optimizer` against the table.
///
/// # Errors
/// The first value that is not finite or is outside its range.
pub fn validate(
    optimizer: &'static str,
    hyperparameters: &[(&'static str, f64)],
) -> Result<(), OptimizerError> {
    let get = |n: &str| {
        hyperparameters
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| *v)
    };
    for &(parameter, value) in hyperparameters {
        let (ok, allowed) = rule(parameter).unwrap_or((|_| true, "finite"));
        if !value.is_finite() || !ok(value) {
            let allowed = if value.is_finite() { allowed } else { "finite" };
            return Err(OptimizerError {
                optimizer,
                parameter,
                value,
                allowed,
            });
        }
    }
    if get("nesterov") == Some(1.0)
        && (get("momentum") <= Some(0.0) || get("dampening") != Some(0.0))
    {
        return Err(OptimizerError {
            optimizer,
            parameter: "nesterov",
            value: 1.0,
            allowed: "used with momentum > 0 and dampening = 0 (as PyTorch)",
        });
    }
    Ok(())
}
