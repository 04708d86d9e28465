//! The `Module` trait and `Sequential`.
//!
//! A module maps a `Var` to a `Var` on the same tape, owns its parameters (as
//! [`Param`]s, which outlive tapes), and names them the way PyTorch's `state_dict` does
//! (`0.weight`, `encoder.1.bias`).

use std::sync::Mutex;

use autograd::{Param, Tape, Var};
use tensor::{Float, Tensor};

use crate::loss::Prediction;
use crate::rng::Rng;

use crate::state_dict::{self, IncompatibleKeys, StateDict, StateDictError};

pub use crate::sequential::Sequential;

/// A named reference to a parameter or buffer.
pub type Named<'a, T> = (String, &'a Param<T>);

/// A layer or model: a differentiable function with parameters.
///
/// A model of your own is a struct holding its layers. Implement [`Module::forward`] and
/// list the layers in [`Module::children`] (PyTorch's `named_children`) and
/// [`Module::children_mut`]; everything else follows from them, as PyTorch's module
/// registry does it:
///
/// | method | default, from the children |
/// |---|---|
/// | [`parameters`](Module::parameters), [`buffers`](Module::buffers), [`rngs`](Module::rngs) | each child's, named `child.name` (`fc1.weight`, `bn.running_mean`) |
/// | [`set_training`](Module::set_training) | passed to every child (Dropout, BatchNorm) |
/// | [`penalty`](Module::penalty) | the sum of the children's (regularizers) |
/// | [`uses_batch_statistics`](Module::uses_batch_statistics) | true if a child's is |
/// | state dict, saving, loading, [`freeze`](Module::freeze), summaries | through the above |
///
/// A layer the forward pass uses but `children` leaves out is neither trained nor saved
/// (`fit` warns when it sees one), and `children_mut` must list the same modules
/// (`Model::new` checks the counts). The children cannot tell which of them comes first
/// or last, so override, when you want them: [`Module::input_shape`] (or
/// [`Module::input_features`]) and [`Module::takes_leading_axes`], for `fit`, `evaluate`
/// and `predict` to check the data's shape before they run; [`Module::check_input`]
/// (an `Embedding`'s id check, say); and [`Module::output_kind`], for `fit` to check the
/// loss against the output.
///
/// ```
/// use autograd::Var;
/// use nn::{BatchNorm1d, Dropout, Linear, Module};
/// use rand::SeedableRng;
///
/// /// y = x + W₂·dropout(relu(bn(W₁·x))): a residual block.
/// struct Residual {
///     inner: Linear,
///     bn: BatchNorm1d,
///     drop: Dropout,
///     outer: Linear,
/// }
///
/// impl Module for Residual {
///     fn forward<'t>(&self, x: Var<'t>) -> Var<'t> {
///         let h = self.bn.forward(self.inner.forward(x)).relu();
///         x + self.outer.forward(self.drop.forward(h))
///     }
///     fn children(&self) -> Vec<(String, &dyn Module)> {
///         vec![
///             ("inner".into(), &self.inner),
///             ("bn".into(), &self.bn),
///             ("drop".into(), &self.drop),
///             ("outer".into(), &self.outer),
///         ]
///     }
///     fn children_mut(&mut self) -> Vec<&mut dyn Module> {
///         vec![&mut self.inner, &mut self.bn, &mut self.drop, &mut self.outer]
///     }
///     fn input_features(&self) -> Option<usize> {
///         Some(4)
///     }
/// }
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let mut block = Residual {
///     inner: Linear::new(4, 8, &mut rng),
///     bn: BatchNorm1d::new(8),
///     drop: Dropout::new(0.1, 0),
///     outer: Linear::new(8, 4, &mut rng),
/// };
/// let names: Vec<String> = block.state_dict().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["inner.weight", "inner.bias", "bn.weight", "bn.bias",
///                    "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
///                    "outer.weight", "outer.bias"]); // PyTorch's names and order
/// block.set_training(false); // BatchNorm and Dropout switch too
/// assert!(block.uses_batch_statistics());
/// ```
pub trait Module<T: Float = f32>: Send + Sync {
    /// Computes the output, recording onto `x`'s tape.
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T>;

    /// The modules this one is built from, by name (PyTorch's `named_children`): the
    /// defaults of the other methods come from them (see the table above). None by
    /// default, for a layer that owns its parameters directly.
    fn children(&self) -> Vec<(String, &dyn Module<T>)> {
        Vec::new()
    }

    /// The same modules as [`Module::children`], in the same order, mutably: what
    /// [`Module::set_training`] reaches by default.
    fn children_mut(&mut self) -> Vec<&mut dyn Module<T>> {
        Vec::new()
    }

    /// Trainable parameters with their state-dict names: by default, each child's
    /// ([`Module::children`]) named `child.name`.
    fn parameters(&self) -> Vec<Named<'_, T>> {
        let mut out = Vec::new();
        for (name, child) in self.children() {
            out.extend(prefixed(&name, child.parameters()));
        }
        out
    }

    /// The parameters of [`Module::parameters`], in the same order, without their names
    /// (PyTorch's `parameters()` beside `named_parameters()`): what a training step
    /// needs, without building a name per parameter per batch. The default takes them
    /// from `parameters`; containers and layers override it to skip the names.
    fn parameter_refs(&self) -> Vec<&Param<T>> {
        self.parameters().into_iter().map(|(_, p)| p).collect()
    }

    /// Non-trainable state saved with the weights (BatchNorm's running statistics): by
    /// default, each child's named `child.name`.
    fn buffers(&self) -> Vec<Named<'_, T>> {
        let mut out = Vec::new();
        for (name, child) in self.children() {
            out.extend(prefixed(&name, child.buffers()));
        }
        out
    }

    /// Switches between training (`true`) and evaluation mode (Dropout off, BatchNorm
    /// uses running statistics): by default, switches every child
    /// ([`Module::children_mut`]).
    fn set_training(&mut self, training: bool) {
        for child in self.children_mut() {
            child.set_training(training);
        }
    }

    /// The regularization penalty to add to the loss (Keras `kernel_regularizer`
    /// semantics), recorded on `tape`; `None` when the module has none. By default, the
    /// sum of the children's.
    fn penalty<'t>(&self, tape: &'t Tape<T>) -> Option<Var<'t, T>> {
        self.children()
            .into_iter()
            .filter_map(|(_, child)| child.penalty(tape))
            .reduce(|a, b| a + b)
    }

    /// The number of input features the module expects (`[N, features]` inputs), if it
    /// knows; `fit` checks data against it before training.
    fn input_features(&self) -> Option<usize> {
        None
    }

    /// The shape of one sample the module takes (its input without the batch axis), if it
    /// knows: `Some(n)` for an axis of fixed length, `None` for any length. `Linear(3, …)`
    /// takes `[3]`, `Conv2d` with 3 input channels `[3, any, any]`; containers answer
    /// with their first layer's. `fit`, `evaluate` and `predict` check `x` against it and
    /// report both shapes. The default is `[input_features]` when that is known.
    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        self.input_features().map(|f| vec![Some(f)])
    }

    /// Whether the module also takes extra axes between the batch axis and its
    /// [`Module::input_shape`], as `Linear` takes `[*, in]` (PyTorch) and Keras' `Dense`
    /// takes `[N, T, features]`: `fit`, `evaluate` and `predict` then accept
    /// `[N, …, features]`. False by default; containers answer with their first layer's,
    /// so the layers after it must take the extra axes too: a `BatchNorm1d` reads axis 1
    /// as its channels (as PyTorch's does for `[N, C, L]`), not the last axis.
    fn takes_leading_axes(&self) -> bool {
        false
    }

    /// A one-line description for summaries.
    fn describe(&self) -> String {
        std::any::type_name::<Self>()
            .rsplit("::")
            .next()
            .unwrap_or("Module")
            .to_string()
    }

    /// Number of parameter scalars (trainable and frozen).
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(|(_, p)| p.numel()).sum()
    }

    /// Number of parameter scalars that training updates (not frozen).
    fn num_trainable_parameters(&self) -> usize {
        self.parameters()
            .iter()
            .filter(|(_, p)| p.trainable())
            .map(|(_, p)| p.numel())
            .sum()
    }

    /// Freezes every parameter of the module (Keras' `trainable = False`, PyTorch's
    /// `module.requires_grad_(False)`): they get no gradient and optimizers leave them
    /// alone; they are still saved and loaded with the weights. Buffers are unaffected
    /// (a frozen BatchNorm still updates its running statistics in training mode, as in
    /// PyTorch; call `set_training(false)` on it too to fix them).
    ///
    /// ```
    /// use nn::{Linear, Module, Relu, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let mut net = Sequential::<f32>::new()
    ///     .add(Linear::new(4, 8, &mut rng))
    ///     .add(Relu)
    ///     .add(Linear::new(8, 1, &mut rng));
    /// net.layers()[0].freeze(); // fine-tune the head only
    /// assert_eq!(net.num_trainable_parameters(), 8 + 1);
    /// assert!(net.summary().contains("Non-trainable params: 40 "));
    /// net.unfreeze();
    /// assert_eq!(net.num_trainable_parameters(), net.num_parameters());
    /// ```
    fn freeze(&self) {
        for (_, p) in self.parameters() {
            p.requires_grad(false);
        }
    }

    /// Makes every parameter of the module trainable again (undoes [`Module::freeze`]).
    fn unfreeze(&self) {
        for (_, p) in self.parameters() {
            p.requires_grad(true);
        }
    }

    /// True if the module normalizes with batch statistics in training mode (BatchNorm),
    /// so a batch of one row cannot train it. `fit` checks this before the first epoch.
    /// By default, true if a child's is.
    fn uses_batch_statistics(&self) -> bool {
        self.children()
            .iter()
            .any(|(_, child)| child.uses_batch_statistics())
    }

    /// The random generators the module draws from in training (Dropout's masks), by
    /// state-dict-style name (`2.rng`), so a checkpoint can save their positions and a
    /// resumed run draws the same masks. By default, the children's, named `child.name`.
    fn rngs(&self) -> Vec<(String, &Mutex<Rng>)> {
        let mut out = Vec::new();
        for (name, child) in self.children() {
            out.extend(
                child
                    .rngs()
                    .into_iter()
                    .map(|(n, r)| (format!("{name}.{n}"), r)),
            );
        }
        out
    }

    /// Checks the values of an input before `fit`, `evaluate` or `predict` run it (an
    /// `Embedding` checks that every id is a token in its vocabulary); containers ask
    /// their first layer. The default accepts anything.
    ///
    /// # Errors
    /// A message naming the bad value and where it is.
    fn check_input(&self, x: &Tensor<T>) -> Result<(), String> {
        let _ = x;
        Ok(())
    }

    /// What the module's output is, when it knows: probabilities for Softmax and
    /// Sigmoid, log-probabilities for LogSoftmax, logits for an affine map (Linear,
    /// convolutions); containers answer for their last layer. `fit` compares it with what
    /// the loss expects ([`Loss::prediction`](crate::loss::Loss::prediction)) and warns
    /// on a mismatch.
    fn output_kind(&self) -> Option<Prediction> {
        None
    }

    /// This module as a [`Sequential`], if it is one: summaries list its layers one by one
    /// with each one's output shape (a custom module's rows are its children, whose
    /// output shapes its own `forward` decides).
    fn as_sequential(&self) -> Option<&Sequential<T>> {
        None
    }

    /// Every parameter and buffer by its PyTorch name, in PyTorch's order (each module's
    /// parameters, then its buffers; submodules in order). The tensors share storage with
    /// the module's values until either side changes (copy-on-write).
    ///
    /// The default lists the module's own [`parameters`](Module::parameters) and
    /// [`buffers`](Module::buffers) (those not under a child's name), then each child's
    /// state dict under its name ([`Module::children`]), as PyTorch orders them. Loading
    /// matches by name against `parameters` and `buffers`, so a module that overrides
    /// them must name its children's entries `child.name`, as the defaults do.
    fn state_dict(&self) -> StateDict<T> {
        state_dict::collect(self)
    }

    /// Copies `state` into the module's parameters and buffers, matching by name
    /// (PyTorch's `load_state_dict(state_dict, strict)`).
    ///
    /// * `strict`: every name must match both ways; otherwise the error lists the missing
    ///   and unexpected names.
    /// * not `strict`: loads the entries whose names match and returns the others as
    ///   [`IncompatibleKeys`].
    /// * A shape that differs fails either way, listing every one.
    /// * A missing `num_batches_tracked` is not an error (PyTorch's rule for state dicts
    ///   written before BatchNorm counted batches); the module keeps its count.
    ///
    /// Nothing changes unless the load succeeds.
    ///
    /// # Errors
    /// [`StateDictError`] listing every problem.
    ///
    /// ```
    /// use nn::{BatchNorm1d, Linear, Module, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let a = Sequential::<f32>::new().add(Linear::new(3, 2, &mut rng)).add(BatchNorm1d::new(2));
    /// let b = Sequential::<f32>::new().add(Linear::new(3, 2, &mut rng)).add(BatchNorm1d::new(2));
    /// let names: Vec<String> = a.state_dict().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["0.weight", "0.bias", "1.weight", "1.bias",
    ///                    "1.running_mean", "1.running_var", "1.num_batches_tracked"]);
    /// b.load_state_dict(&a.state_dict(), true).unwrap();
    /// assert_eq!(b.state_dict()[0].1, a.state_dict()[0].1);
    ///
    /// // Non-strict: the head only; the rest is reported, not loaded.
    /// let head = Sequential::<f32>::new().add(Linear::new(3, 2, &mut rng));
    /// let skipped = head.load_state_dict(&a.state_dict(), false).unwrap();
    /// assert_eq!(skipped.unexpected_keys.len(), 5);
    /// assert!(head.load_state_dict(&a.state_dict(), true).is_err());
    /// ```
    fn load_state_dict(
        &self,
        state: &[(String, Tensor<T>)],
        strict: bool,
    ) -> Result<IncompatibleKeys, StateDictError> {
        state_dict::load(self, state, strict)
    }
}

/// Prefixes names with `prefix.`, as PyTorch does for submodules.
#[must_use]
pub fn prefixed<'a, T: Float>(prefix: &str, named: Vec<Named<'a, T>>) -> Vec<Named<'a, T>> {
    named
        .into_iter()
        .map(|(n, p)| (format!("{prefix}.{n}"), p))
        .collect()
}

/// Checks that every module in `module`'s tree lists as many children in
/// [`Module::children_mut`] as in [`Module::children`] (the two lists must be the same
/// modules in the same order; without a `children_mut`, `set_training` would never reach
/// a Dropout or BatchNorm inside). `Model::new` calls it.
///
/// # Errors
/// A message naming the module (its [`Module::describe`]) and both counts.
pub(crate) fn check_children<T: Float>(module: &mut dyn Module<T>) -> Result<(), String> {
    let (name, listed) = (module.describe(), module.children().len());
    let children = module.children_mut();
    if children.len() != listed {
        return Err(format!(
            "{name}: children() lists {listed} modules but children_mut() {}; they must list \
             the same modules in the same order (set_training reaches them through \
             children_mut)",
            children.len()
        ));
    }
    for child in children {
        check_children(child)?;
    }
    Ok(())
}
