//! `Model`: a module with its loss, optimizer and metrics; `fit`, `evaluate`, `predict`.

use autograd::Grads;
use tensor::{Float, Tensor};

use super::checkpoint::RunState;
use super::error::TrainError;
use super::metrics::Metric;
use crate::loss::Loss;
use crate::module::Module;
use crate::optim::Optimizer;

/// A module with its loss, optimizer and metrics: the Keras `Model` workflow.
///
/// ```
/// use nn::{Linear, Model, Sequential, Relu};
/// use nn::loss::Mse;
/// use nn::optim::Adam;
/// use nn::train::FitConfig;
/// use rand::SeedableRng;
/// use tensor::Tensor;
///
/// // Learn y = 2x − 1.
/// let x = Tensor::<f32>::linspace(-1.0, 1.0, 64).reshape(&[64, 1]);
/// let y = &(&x * 2.0) - 1.0;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let net = Sequential::new().add(Linear::new(1, 1, &mut rng));
/// let mut model = Model::new(net, Mse, Adam::new(0.05));
/// let history = model.fit(&x, &y, FitConfig::new().epochs(200).batch_size(16).verbose(0)).unwrap();
/// assert!(history.get("loss").unwrap().last().unwrap() < &1e-3);
/// ```
pub struct Model<T: Float = f32> {
    pub(crate) module: Box<dyn Module<T>>,
    pub(crate) loss: Box<dyn Loss<T>>,
    pub(crate) optimizer: Box<dyn Optimizer<T>>,
    pub(crate) metrics: Vec<Box<dyn Metric<T>>>,
    pub(crate) clip_norm: Option<f64>,
    pub(crate) clip_value: Option<f64>,
    /// The optimizer's rate when the model was built: what schedules start from.
    pub(crate) initial_lr: f64,
    /// What the last `fit` left (epochs completed, generators, callbacks' states), for
    /// `save_checkpoint`.
    pub(crate) run_state: RunState<T>,
    /// A run state loaded by `load_checkpoint`, for the next `fit` to continue from.
    pub(crate) resume: Option<RunState<T>>,
    /// Whether `fit` already printed its loss/output warning for this model.
    pub(crate) warned: bool,
}

/// The loss, the optimizer and the number of parameter scalars (Keras' "Total params",
/// PyTorch's `sum(p.numel())`): `Model { loss: "mse", optimizer: "Adam", parameters: 4, .. }`.
impl<T: Float> std::fmt::Debug for Model<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("loss", &self.loss.name())
            .field("optimizer", &self.optimizer.name())
            .field("parameters", &self.module.num_parameters())
            .finish_non_exhaustive()
    }
}

impl<T: Float> Model<T> {
    /// A model from a module, a loss and an optimizer.
    ///
    /// # Panics
    /// If a module in `module` lists a different number of modules in
    /// [`Module::children_mut`] than in [`Module::children`] (naming it and both counts).
    #[track_caller]
    pub fn new(
        module: impl Module<T> + 'static,
        loss: impl Loss<T> + 'static,
        optimizer: impl Optimizer<T> + 'static,
    ) -> Self {
        let initial_lr = optimizer.learning_rate();
        let mut module: Box<dyn Module<T>> = Box::new(module);
        if let Err(e) = crate::module::check_children(&mut *module) {
            panic!("Model::new: {e}");
        }
        Model {
            module,
            loss: Box::new(loss),
            optimizer: Box::new(optimizer),
            initial_lr,
            metrics: Vec::new(),
            clip_norm: None,
            clip_value: None,
            run_state: RunState::default(),
            resume: None,
            warned: false,
        }
    }

    /// Adds a metric (reported per epoch, with a `val_` twin when validating).
    #[must_use]
    pub fn metric(mut self, m: impl Metric<T> + 'static) -> Self {
        self.metrics.push(Box::new(m));
        self
    }

    /// Clips the global gradient norm before each update (Keras `global_clipnorm`).
    #[must_use]
    pub fn clip_grad_norm(mut self, max_norm: f64) -> Self {
        self.clip_norm = Some(max_norm);
        self
    }

    /// Clips every gradient entry into `[-v, v]` before each update (Keras `clipvalue`).
    /// `fit` refuses a `v` that is not positive ([`TrainError::Config`]).
    #[must_use]
    pub fn clip_grad_value(mut self, v: f64) -> Self {
        self.clip_value = Some(v);
        self
    }

    /// The module.
    #[must_use]
    pub fn module(&self) -> &dyn Module<T> {
        &*self.module
    }

    /// The module, mutably.
    pub fn module_mut(&mut self) -> &mut dyn Module<T> {
        &mut *self.module
    }

    /// The optimizer.
    #[must_use]
    pub fn optimizer(&self) -> &dyn Optimizer<T> {
        &*self.optimizer
    }

    /// A table of the model like Keras' `model.summary()`: one row per layer (a
    /// `Sequential`'s layers, named by position with their type) with its output shape
    /// and parameter count, then the total, trainable and non-trainable counts and their
    /// size in memory.
    ///
    /// * Output shapes come from the model's input shape ([`Module::input_shape`]) by a
    ///   forward pass on zeros in evaluation mode (recording nothing; the model stays in
    ///   evaluation mode, as after `fit`). The batch axis shows as `None`, and so does an
    ///   axis that follows an open input axis (a sequence length, an image size), as in
    ///   Keras. `?` marks a shape that cannot be known without the input shape — give it
    ///   with [`Model::summary_for`].
    /// * `Param #` counts parameters and weight buffers; non-trainable are frozen
    ///   parameters ([`Module::freeze`]) and BatchNorm's running mean and variance (Keras
    ///   counts its `moving_mean`/`moving_variance` so). BatchNorm's
    ///   `num_batches_tracked` is a counter, not a weight, and is not counted.
    /// * A custom model's row is followed by its [`Module::children`], indented, with
    ///   their counts and `--` for a shape (its own `forward` decides them).
    ///
    /// # Panics
    /// If a layer rejects the shape its predecessor produces (with that layer's message).
    ///
    /// ```
    /// use nn::loss::Mse;
    /// use nn::optim::Sgd;
    /// use nn::{BatchNorm1d, Linear, Model, Module, Relu, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let net = Sequential::<f32>::new()
    ///     .add(Linear::new(13, 64, &mut rng))
    ///     .add(BatchNorm1d::new(64))
    ///     .add(Relu)
    ///     .add(Linear::new(64, 1, &mut rng));
    /// net.layers()[0].freeze();
    /// let mut model = Model::new(net, Mse, Sgd::new(0.1));
    /// let table = model.summary();
    /// println!("{table}");
    /// assert!(table.contains(" Layer (type)         Output Shape  Param #\n"));
    /// assert!(table.contains(" 0 (Linear(13 → 64))  (None, 64)        896\n"));
    /// assert!(table.contains(" 1 (BatchNorm1d(64))  (None, 64)        256\n"));
    /// // 896 + 4·64 + 65; frozen: the Linear's 896 and the running mean and variance.
    /// assert!(table.contains("Total params: 1,217 (4.75 KB)"));
    /// assert!(table.contains("Trainable params: 193 (772.00 B)"));
    /// assert!(table.contains("Non-trainable params: 1,024 (4.00 KB)"));
    /// ```
    pub fn summary(&mut self) -> String {
        crate::summary::table(&mut *self.module, "model", None)
    }

    /// [`Model::summary`] for samples shaped `sample_shape` (without the batch axis, as
    /// Keras' `Input(shape=…)`): `&[1, 28, 28]` for 28×28 one-channel images, `&[T]` for
    /// token sequences of length `T`, so every output shape is known.
    ///
    /// # Panics
    /// If a layer rejects the shape (with that layer's message).
    ///
    /// ```
    /// use nn::loss::CrossEntropy;
    /// use nn::optim::Adam;
    /// use nn::{Embedding, LastStep, Linear, Lstm, Model, Sequential};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let net = Sequential::<f32>::new()
    ///     .add(Embedding::new(100, 16, &mut rng))
    ///     .add(Lstm::builder(16, 32).batch_first(true).build(&mut rng))
    ///     .add(LastStep)
    ///     .add(Linear::new(32, 2, &mut rng));
    /// let mut model = Model::new(net, CrossEntropy, Adam::new(1e-3));
    /// let table = model.summary_for(&[20]);
    /// assert!(table.contains("(None, 20, 16)") && table.contains("(None, 20, 32)"));
    /// assert!(table.contains("(None, 32)") && table.contains("(None, 2)"));
    /// // The Embedding does not fix the length: summary() shows what it can.
    /// assert!(model.summary().contains("?"));
    /// ```
    pub fn summary_for(&mut self, sample_shape: &[usize]) -> String {
        let sample = sample_shape.iter().map(|&n| Some(n)).collect();
        crate::summary::table(&mut *self.module, "model", Some(sample))
    }
}

pub(crate) fn rows<T: Float>(t: &Tensor<T>) -> usize {
    t.shape().first().copied().unwrap_or(0)
}

pub(crate) fn first_non_finite<T: Float>(grads: &Grads<T>) -> Option<f64> {
    grads.params().find_map(|(_, g)| {
        if g.all_finite() {
            return None;
        }
        let g = g.contiguous();
        g.as_slice()
            .expect("contiguous")
            .iter()
            .find(|v| !v.is_finite())
            .map(|v| v.to_f64())
    })
}

/// The first NaN or infinite value of `t` (row-major), as a [`TrainError::NonFiniteData`].
pub(crate) fn check_finite_data<T: Float>(
    what: &'static str,
    tensor: &'static str,
    t: &Tensor<T>,
) -> Result<(), TrainError> {
    // Borrow contiguous data (the usual case) instead of copying the whole dataset.
    let copy;
    let values: &[T] = match t.as_slice() {
        Some(s) => s,
        None => {
            copy = t.to_vec();
            &copy
        }
    };
    let Some(i) = values.iter().position(|v| !v.is_finite()) else {
        return Ok(());
    };
    let shape = t.shape();
    let row_len: usize = shape.iter().skip(1).product();
    let (row, mut rest) = (i / row_len.max(1), i % row_len.max(1));
    let mut index = vec![0; shape.len().saturating_sub(1)];
    for (k, &d) in shape.iter().enumerate().skip(1).rev() {
        index[k - 1] = rest % d;
        rest /= d;
    }
    let position = match index.as_slice() {
        [] => "its only value".to_string(),
        [c] => format!("column {c}"),
        _ => format!("index {index:?} within the row"),
    };
    Err(TrainError::NonFiniteData {
        what,
        tensor,
        value: values[i].to_f64(),
        row,
        position,
    })
}
