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
/// (`fit` warns when it sees one). Override [`Module::input_shape`] (or
/// [`Module::input_features`]) to have `fit`, `evaluate` and `predict` check the data's
/// shape before they run, and [`Module::output_kind`] to have `fit` check the loss
/// against the output: the children cannot tell which of them comes first or last.
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
    /// The default lists [`parameters`](Module::parameters) then
    /// [`buffers`](Module::buffers); a container overrides it to keep each child's entries
    /// together, as [`Sequential`] does.
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

/// Modules applied one after the other; parameters are named by position (`0.weight`).
///
/// ```
/// use nn::{Linear, Module, Relu, Sequential};
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let net = Sequential::<f32>::new()
///     .add(Linear::new(10, 64, &mut rng))
///     .add(Relu)
///     .add(Linear::new(64, 1, &mut rng));
/// assert_eq!(net.num_parameters(), 10 * 64 + 64 + 64 + 1);
/// assert_eq!(net.parameters()[2].0, "2.weight");
/// ```
pub struct Sequential<T: Float = f32> {
    layers: Vec<Box<dyn Module<T>>>,
    /// The mode of the last `set_training` (true at first, as a new PyTorch module),
    /// which a summary puts back after its pass in evaluation mode.
    training: bool,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Sequential::new()
    }
}

impl<T: Float> std::fmt::Debug for Sequential<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.parameters().into_iter().map(|(n, _)| n).collect();
        f.debug_struct("Sequential")
            .field("layers", &self.layers.len())
            .field("parameters", &names)
            .finish()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty stack.
    #[must_use]
    pub fn new() -> Self {
        Sequential {
            layers: Vec::new(),
            training: true,
        }
    }

    /// Appends a module (builder style).
    #[allow(clippy::should_implement_trait)]
    #[must_use]
    pub fn add(mut self, layer: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a module in place.
    pub fn push(&mut self, layer: impl Module<T> + 'static) {
        self.layers.push(Box::new(layer));
    }

    /// Number of modules.
    #[must_use]
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True if empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The modules.
    #[must_use]
    pub fn layers(&self) -> &[Box<dyn Module<T>>] {
        &self.layers
    }

    /// A table of the layers like Keras' `model.summary()`: each layer's output shape
    /// (from the stack's input shape, [`Module::input_shape`]; an open axis such as a
    /// sequence length shows as `None`, an unknown shape as `?`) and parameter count,
    /// then the total, trainable and non-trainable counts (frozen parameters,
    /// [`Module::freeze`], and BatchNorm's running statistics, as Keras counts them).
    /// It runs a forward pass on zeros in evaluation mode, recording nothing, then puts
    /// the stack back in the mode its last [`Module::set_training`] chose (training mode
    /// for a new stack, as in PyTorch). See [`Model::summary`](crate::Model::summary).
    ///
    /// # Panics
    /// If a layer rejects the shape its predecessor produces (with that layer's message).
    ///
    /// ```
    /// use nn::{Linear, Relu, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let mut net = Sequential::<f32>::new()
    ///     .add(Linear::new(13, 64, &mut rng))
    ///     .add(Relu)
    ///     .add(Linear::new(64, 1, &mut rng));
    /// let table = net.summary();
    /// assert!(table.contains("0 (Linear(13 → 64))  (None, 64)"));
    /// assert!(table.contains("Total params: 961 (3.75 KB)")); // 13·64 + 64 + 64 + 1
    /// ```
    pub fn summary(&mut self) -> String {
        let mode = self.training;
        let table = crate::summary::table(self, "sequential", None);
        self.set_training(mode);
        table
    }

    /// [`Sequential::summary`] for samples shaped `sample_shape` (one sample, without the
    /// batch axis, as Keras' `Input(shape=…)` and [`Model::summary_for`](crate::Model::summary_for):
    /// `[1, 8, 8]` for 8×8 one-channel images; the table shows the batch axis as `None`),
    /// so a convolutional stack shows how it shrinks an image whose size the layers do
    /// not fix.
    ///
    /// # Panics
    /// If a layer rejects the shape (with that layer's message).
    ///
    /// ```
    /// use nn::{Conv2d, Flatten, MaxPool2d, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let mut net = Sequential::<f32>::new()
    ///     .add(Conv2d::builder(1, 8, 3).padding(1).build2d(&mut rng))
    ///     .add(MaxPool2d::new(2))
    ///     .add(Flatten);
    /// let table = net.summary_for(&[1, 8, 8]);
    /// assert!(table.contains("(None, 8, 4, 4)") && table.contains("(None, 128)"));
    /// ```
    #[track_caller]
    pub fn summary_for(&mut self, sample_shape: &[usize]) -> String {
        let sample = sample_shape.iter().map(|&n| Some(n)).collect();
        let mode = self.training;
        let table = crate::summary::table(self, "sequential", Some(sample));
        self.set_training(mode);
        table
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        self.layers.iter().fold(x, |h, layer| layer.forward(h))
    }

    fn children(&self) -> Vec<(String, &dyn Module<T>)> {
        let layers = self.layers.iter().enumerate();
        layers.map(|(i, l)| (i.to_string(), &**l)).collect()
    }

    fn children_mut(&mut self) -> Vec<&mut dyn Module<T>> {
        let mut out: Vec<&mut dyn Module<T>> = Vec::new();
        for layer in &mut self.layers {
            // Pushed one by one: the push is where `dyn Module + 'static` shortens to
            // the borrow's lifetime (a `map` closure's return type would not).
            out.push(layer.as_mut());
        }
        out
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            out.extend(prefixed(&i.to_string(), layer.parameters()));
        }
        out
    }

    fn parameter_refs(&self) -> Vec<&Param<T>> {
        self.layers
            .iter()
            .flat_map(|l| l.parameter_refs())
            .collect()
    }

    fn buffers(&self) -> Vec<Named<'_, T>> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            out.extend(prefixed(&i.to_string(), layer.buffers()));
        }
        out
    }

    fn state_dict(&self) -> StateDict<T> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            out.extend(
                layer
                    .state_dict()
                    .into_iter()
                    .map(|(n, t)| (format!("{i}.{n}"), t)),
            );
        }
        out
    }

    fn uses_batch_statistics(&self) -> bool {
        self.layers.iter().any(|l| l.uses_batch_statistics())
    }

    fn output_kind(&self) -> Option<Prediction> {
        self.layers.last().and_then(|l| l.output_kind())
    }

    fn check_input(&self, x: &Tensor<T>) -> Result<(), String> {
        self.layers.first().map_or(Ok(()), |l| l.check_input(x))
    }

    fn rngs(&self) -> Vec<(String, &Mutex<Rng>)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            out.extend(
                layer
                    .rngs()
                    .into_iter()
                    .map(|(n, r)| (format!("{i}.{n}"), r)),
            );
        }
        out
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }

    fn penalty<'t>(&self, tape: &'t Tape<T>) -> Option<Var<'t, T>> {
        self.layers
            .iter()
            .filter_map(|l| l.penalty(tape))
            .reduce(|a, b| a + b)
    }

    fn input_features(&self) -> Option<usize> {
        self.layers.first().and_then(|l| l.input_features())
    }

    fn input_shape(&self) -> Option<Vec<Option<usize>>> {
        self.layers.first().and_then(|l| l.input_shape())
    }

    fn takes_leading_axes(&self) -> bool {
        self.layers.first().is_some_and(|l| l.takes_leading_axes())
    }

    fn describe(&self) -> String {
        format!("Sequential({} layers)", self.layers.len())
    }

    fn as_sequential(&self) -> Option<&Sequential<T>> {
        Some(self)
    }
}
