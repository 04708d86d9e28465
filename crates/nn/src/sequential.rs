//! `Sequential`: modules applied one after the other, named by position as PyTorch's
//! `nn.Sequential` names them (`0.weight`, `2.bias`).

use std::sync::Mutex;

use autograd::{Param, Tape, Var};
use tensor::{Float, Tensor};

use crate::loss::Prediction;
use crate::module::{prefixed, Module, Named};
use crate::rng::Rng;
use crate::state_dict::StateDict;

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
