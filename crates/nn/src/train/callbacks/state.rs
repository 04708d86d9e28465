//! A callback's state for checkpoints: exact numbers and tensors, by name.

use tensor::{Float, Tensor};

/// What a callback carries from epoch to epoch (EarlyStopping's best value, wait count
/// and best weights; ReduceLrOnPlateau's counters), so a resumed `fit` continues exactly
/// where the interrupted one stopped. Numbers are `f64` and stored exactly.
///
/// ```
/// use nn::train::CallbackState;
/// let mut s = CallbackState::<f32>::new("EarlyStopping");
/// s.set("wait", 3.0);
/// assert_eq!(s.get("wait"), Some(3.0));
/// assert_eq!(s.get("best"), None);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CallbackState<T: Float = f32> {
    /// The callback's kind (`EarlyStopping`), checked when the state is restored.
    pub kind: String,
    /// Numbers by name.
    pub values: Vec<(String, f64)>,
    /// Tensors by name (`best_weights.0.weight`).
    pub tensors: Vec<(String, Tensor<T>)>,
}

impl<T: Float> CallbackState<T> {
    /// An empty state of a callback kind.
    #[must_use]
    pub fn new(kind: &str) -> Self {
        CallbackState {
            kind: kind.to_string(),
            values: Vec::new(),
            tensors: Vec::new(),
        }
    }

    /// Sets a number.
    pub fn set(&mut self, name: &str, value: f64) {
        self.values.push((name.to_string(), value));
    }

    /// Sets a number when there is one (`best` before any epoch has none).
    pub fn set_opt(&mut self, name: &str, value: Option<f64>) {
        if let Some(v) = value {
            self.set(name, v);
        }
    }

    /// A number, if set.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// A count (a number that must be a whole number from 0 to 2^32, so that counting on
    /// from it cannot overflow), if set.
    #[must_use]
    pub fn count(&self, name: &str) -> Option<usize> {
        self.get(name)
            .filter(|v| (0.0..=4_294_967_296.0).contains(v) && v.fract() == 0.0)
            .map(|v| v as usize)
    }

    /// The tensors whose names start with `prefix.`, with the prefix removed.
    #[must_use]
    pub fn tensors_under(&self, prefix: &str) -> Vec<(String, Tensor<T>)> {
        let p = format!("{prefix}.");
        self.tensors
            .iter()
            .filter_map(|(n, t)| n.strip_prefix(&p).map(|rest| (rest.to_string(), t.clone())))
            .collect()
    }

    /// Fails unless the state is of `kind`.
    ///
    /// # Errors
    /// A message naming both kinds.
    pub fn expect_kind(&self, kind: &str) -> Result<(), String> {
        if self.kind == kind {
            Ok(())
        } else {
            Err(format!(
                "a {} state cannot be restored into a {kind}",
                self.kind
            ))
        }
    }
}
