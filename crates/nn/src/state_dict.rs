//! State dicts as PyTorch has them: an ordered list of `(name, tensor)` for every
//! parameter and buffer, and the rules for loading one into a module
//! (`torch.nn.Module.load_state_dict(state_dict, strict)`).
//!
//! Loading checks every entry before it changes anything, so a failed load leaves the
//! module as it was.

use std::collections::HashMap;

use tensor::{Float, Tensor};
use thiserror::Error;

use crate::module::Module;

/// A state dict: `(name, value)` for every parameter and buffer, in module order.
pub type StateDict<T = f32> = Vec<(String, Tensor<T>)>;

/// The buffer PyTorch's BatchNorm layers count batches in. PyTorch stores it as an int64
/// scalar; state dicts written before it existed lack it, and PyTorch then keeps the
/// module's own count (`_BatchNorm._load_from_state_dict`), so a missing one is not
/// reported as missing here either.
pub const NUM_BATCHES_TRACKED: &str = "num_batches_tracked";

/// True if `name` is a `num_batches_tracked` entry (at any depth).
#[must_use]
pub fn is_num_batches_tracked(name: &str) -> bool {
    name.rsplit('.').next() == Some(NUM_BATCHES_TRACKED)
}

/// The keys a non-strict load skipped (PyTorch's `_IncompatibleKeys`): both lists are empty
/// after a strict load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncompatibleKeys {
    /// Entries the module has that the state dict lacks (they keep their values).
    pub missing_keys: Vec<String>,
    /// Entries of the state dict the module does not have (ignored).
    pub unexpected_keys: Vec<String>,
}

impl IncompatibleKeys {
    /// True if every key matched.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.missing_keys.is_empty() && self.unexpected_keys.is_empty()
    }
}

/// A shape that differs between the state dict and the module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// The entry.
    pub name: String,
    /// Its shape in the state dict.
    pub given: Vec<usize>,
    /// Its shape in the module.
    pub expected: Vec<usize>,
}

/// Why a state dict does not fit a module: every problem, not just the first.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("state dict does not match the module:\n{}", self.problems("state dict").join("\n"))]
pub struct StateDictError {
    /// Entries the module has and the state dict lacks, with the module's shapes (empty
    /// after a non-strict load).
    pub missing: Vec<(String, Vec<usize>)>,
    /// Entries the module does not have (empty after a non-strict load).
    pub unexpected: Vec<String>,
    /// Entries whose shapes differ (these fail strict and non-strict loads).
    pub shapes: Vec<ShapeMismatch>,
}

impl StateDictError {
    /// One line per problem; `source` names where the values came from ("file").
    #[must_use]
    pub fn problems(&self, source: &str) -> Vec<String> {
        let missing = self
            .missing
            .iter()
            .map(|(n, s)| format!("missing: {n} (shape {s:?})"));
        let shapes = self.shapes.iter().map(|m| {
            format!(
                "shape of {}: {source} has {:?}, model has {:?}",
                m.name, m.given, m.expected
            )
        });
        let unexpected = self.unexpected.iter().map(|n| format!("unexpected: {n}"));
        missing.chain(shapes).chain(unexpected).collect()
    }
}

/// The state dict of `module` in PyTorch's order (the default of
/// [`Module::state_dict`]): its own parameters, then its own buffers, then each child's
/// state dict ([`Module::children`]) under the child's name. A module without children
/// lists its parameters then its buffers.
pub fn collect<T: Float>(module: &(impl Module<T> + ?Sized)) -> StateDict<T> {
    let children = module.children();
    let prefixes: Vec<String> = children.iter().map(|(n, _)| format!("{n}.")).collect();
    let own = |name: &String| !prefixes.iter().any(|p| name.starts_with(p.as_str()));
    let mut out: StateDict<T> = module
        .parameters()
        .into_iter()
        .chain(module.buffers())
        .filter(|(name, _)| own(name))
        .map(|(name, p)| (name, p.value()))
        .collect();
    for (name, child) in children {
        out.extend(
            child
                .state_dict()
                .into_iter()
                .map(|(n, t)| (format!("{name}.{n}"), t)),
        );
    }
    out
}

/// Loads `state` into `module` (the default of [`Module::load_state_dict`]).
///
/// # Errors
/// [`StateDictError`] as described on [`Module::load_state_dict`].
pub fn load<T: Float>(
    module: &(impl Module<T> + ?Sized),
    state: &[(String, Tensor<T>)],
    strict: bool,
) -> Result<IncompatibleKeys, StateDictError> {
    let given: HashMap<&str, &Tensor<T>> = state.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let targets: Vec<_> = module
        .parameters()
        .into_iter()
        .chain(module.buffers())
        .collect();
    let mut error = StateDictError {
        missing: Vec::new(),
        unexpected: Vec::new(),
        shapes: Vec::new(),
    };
    for (name, p) in &targets {
        match given.get(name.as_str()) {
            None if is_num_batches_tracked(name) => {}
            None => error.missing.push((name.clone(), p.shape())),
            Some(t) if t.shape() != p.shape().as_slice() => error.shapes.push(ShapeMismatch {
                name: name.clone(),
                given: t.shape().to_vec(),
                expected: p.shape(),
            }),
            Some(_) => {}
        }
    }
    error.unexpected = state
        .iter()
        .filter(|(n, _)| !targets.iter().any(|(m, _)| m == n))
        .map(|(n, _)| n.clone())
        .collect();
    let skipped = IncompatibleKeys {
        missing_keys: error.missing.iter().map(|(n, _)| n.clone()).collect(),
        unexpected_keys: error.unexpected.clone(),
    };
    if !strict {
        error.missing.clear();
        error.unexpected.clear();
    }
    if !(error.missing.is_empty() && error.unexpected.is_empty() && error.shapes.is_empty()) {
        return Err(error);
    }
    for (name, p) in targets {
        if let Some(t) = given.get(name.as_str()) {
            p.set((*t).clone());
        }
    }
    Ok(skipped)
}
