//! Checkpoints that resume training exactly: [`Model::save_checkpoint`] and
//! [`Model::load_checkpoint`], and the file format the
//! [`BackupAndRestore`](super::BackupAndRestore) callback writes every epoch.
//!
//! One safetensors file (written atomically: a temporary file, then a rename) holds
//! - `model.{name}`: every parameter and buffer, by state-dict name (`model.0.weight`);
//! - `optimizer.state.{i}.{entry}`: the optimizer's state of the `i`-th parameter under
//!   PyTorch's names (`optimizer.state.0.exp_avg`, `optimizer.state.0.step`), as
//!   `torch.optim.Optimizer.state_dict()` numbers them;
//! - `callbacks.{j}.{name}`: tensors a callback keeps (EarlyStopping's best weights);
//!
//! and, as text metadata, the numbers that must come back exactly: the epochs completed,
//! the optimizer's name, learning rate and initial learning rate (f64, written so they
//! parse back bit for bit), the positions of every random generator (shuffling, Dropout
//! masks, augmentations) and each callback's counters and best values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tensor::{Float, Tensor};
use thiserror::Error;

use super::callbacks::CallbackState;
use super::model::Model;
use super::rollback::Snapshot;
use crate::io::{read_safetensors, write_safetensors, WeightsError};
use crate::module::Module;
use crate::optim::Optimizer;
use crate::rng::RngState;
use crate::state_dict::StateDict;

/// The format tag written into every checkpoint.
const FORMAT: &str = "wengert-checkpoint/1";

/// Why a checkpoint could not be written or read, or does not fit the model. A failed
/// load leaves the model, its optimizer and its generators as they were.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Reading, writing or parsing the safetensors file failed.
    #[error(transparent)]
    File(#[from] WeightsError),
    /// The file is safetensors but not a wengert checkpoint, or an entry is unreadable.
    #[error("{file}: not a wengert checkpoint: {reason}")]
    Format {
        /// The file.
        file: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
    /// The checkpoint was written for a different model, optimizer or training setup.
    #[error("{file}: the checkpoint does not fit: {reason}")]
    Mismatch {
        /// The file.
        file: PathBuf,
        /// What differs.
        reason: String,
    },
}

/// What a `fit` run carries besides the model and the optimizer: the epochs completed,
/// the shuffling and augmentation generators and the callbacks' states.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunState<T: Float> {
    /// Epochs completed (the next `fit` starts here).
    pub(crate) epoch: usize,
    /// The shuffling generator, once a run has used one.
    pub(crate) batches: Option<RngState>,
    /// One entry per augmentation, `None` for a deterministic one.
    pub(crate) augment: Vec<Option<RngState>>,
    /// One entry per callback, `None` for a callback without state.
    pub(crate) callbacks: Vec<Option<CallbackState<T>>>,
}

/// Everything a checkpoint holds, in memory.
pub(crate) struct Checkpoint<T: Float> {
    model: StateDict<T>,
    optimizer: String,
    lr: f64,
    pub(crate) initial_lr: f64,
    optimizer_state: Vec<Vec<(String, Tensor<T>)>>,
    rngs: Vec<(String, RngState)>,
    pub(crate) run: RunState<T>,
}

impl<T: Float> Checkpoint<T> {
    /// The state of a model, its optimizer and a run.
    pub(crate) fn capture(
        module: &dyn Module<T>,
        optimizer: &dyn Optimizer<T>,
        initial_lr: f64,
        run: RunState<T>,
    ) -> Self {
        let optimizer_state = module
            .parameters()
            .into_iter()
            .map(|(_, p)| {
                optimizer
                    .state(p)
                    .into_iter()
                    .map(|(n, t)| (n.to_string(), t))
                    .collect()
            })
            .collect();
        let rngs = module
            .rngs()
            .into_iter()
            .map(|(name, rng)| {
                let rng = rng.lock().unwrap_or_else(|e| e.into_inner());
                (name, RngState::of(&rng))
            })
            .collect();
        Checkpoint {
            model: module.state_dict(),
            optimizer: optimizer.name().to_string(),
            lr: optimizer.learning_rate(),
            initial_lr,
            optimizer_state,
            rngs,
            run,
        }
    }

    /// Writes the checkpoint to `path`, atomically.
    pub(crate) fn write(&self, path: &Path) -> Result<(), CheckpointError> {
        let mut tensors: Vec<(String, Tensor<T>)> = Vec::new();
        let mut meta = HashMap::new();
        let mut put = |k: String, v: String| meta.insert(k, v);
        put("format".into(), FORMAT.into());
        put("epoch".into(), self.run.epoch.to_string());
        put("optimizer".into(), self.optimizer.clone());
        put("optimizer.lr".into(), format!("{:?}", self.lr));
        put(
            "optimizer.initial_lr".into(),
            format!("{:?}", self.initial_lr),
        );
        tensors.extend(
            self.model
                .iter()
                .map(|(n, t)| (format!("model.{n}"), t.clone())),
        );
        for (i, state) in self.optimizer_state.iter().enumerate() {
            tensors.extend(
                state
                    .iter()
                    .map(|(n, t)| (format!("optimizer.state.{i}.{n}"), t.clone())),
            );
        }
        for (name, rng) in &self.rngs {
            put(format!("rng.model.{name}"), rng.to_string());
        }
        if let Some(rng) = &self.run.batches {
            put("rng.batches".into(), rng.to_string());
        }
        put("augment.count".into(), self.run.augment.len().to_string());
        for (k, rng) in self.run.augment.iter().enumerate() {
            if let Some(rng) = rng {
                put(format!("rng.augment.{k}"), rng.to_string());
            }
        }
        put(
            "callbacks.count".into(),
            self.run.callbacks.len().to_string(),
        );
        for (j, state) in self.run.callbacks.iter().enumerate() {
            let Some(state) = state else { continue };
            put(format!("callbacks.{j}.kind"), state.kind.clone());
            for (name, v) in &state.values {
                put(format!("callbacks.{j}.value.{name}"), format!("{v:?}"));
            }
            tensors.extend(
                state
                    .tensors
                    .iter()
                    .map(|(n, t)| (format!("callbacks.{j}.{n}"), t.clone())),
            );
        }
        write_safetensors(&tensors, Some(meta), path)?;
        Ok(())
    }

    /// Reads a checkpoint written by [`Checkpoint::write`].
    pub(crate) fn read(path: &Path) -> Result<Self, CheckpointError> {
        let (tensors, meta) = read_safetensors::<T>(path)?;
        let bad = |reason: String| CheckpointError::Format {
            file: path.to_path_buf(),
            reason,
        };
        let text = |key: &str| {
            meta.get(key)
                .ok_or_else(|| bad(format!("no {key:?} in its metadata")))
        };
        if text("format")? != FORMAT {
            return Err(bad(format!(
                "format is {:?}, expected {FORMAT:?}",
                meta["format"]
            )));
        }
        // Optimizer slots are one per parameter, and every parameter is a tensor of the
        // file; a run's augmentations and callbacks are few. An index or count beyond the
        // file's entries plus 1024 comes from a damaged or hand-made file, and would
        // allocate without bound (or overflow) if believed.
        let entries = tensors.len() + meta.len() + 1024;
        let number = |key: &str| -> Result<f64, CheckpointError> {
            text(key)?
                .parse::<f64>()
                .map_err(|_| bad(format!("{key} is not a number: {:?}", meta[key])))
        };
        // A learning rate as `fit` takes one: finite and not negative.
        let rate = |key: &str| -> Result<f64, CheckpointError> {
            let r = number(key)?;
            if r.is_finite() && r >= 0.0 {
                Ok(r)
            } else {
                Err(bad(format!(
                    "{key} is {r}: a learning rate is finite and not negative"
                )))
            }
        };
        let count = |key: &str| -> Result<usize, CheckpointError> {
            text(key)?
                .parse::<usize>()
                .map_err(|_| bad(format!("{key} is not a count: {:?}", meta[key])))
        };
        // A count of things listed in the file (not the epoch, which can be anything).
        let listed = |key: &str| -> Result<usize, CheckpointError> {
            let n = count(key)?;
            if n > entries {
                return Err(bad(format!(
                    "{key} is {n}, more than this file can describe"
                )));
            }
            Ok(n)
        };
        let rng = |key: &str| -> Result<RngState, CheckpointError> {
            text(key)?.parse().map_err(|e| bad(format!("{key}: {e}")))
        };
        let mut model = Vec::new();
        let mut optimizer_state: Vec<Vec<(String, Tensor<T>)>> = Vec::new();
        let mut callback_tensors: HashMap<usize, Vec<(String, Tensor<T>)>> = HashMap::new();
        for (name, t) in tensors {
            if let Some(rest) = name.strip_prefix("model.") {
                model.push((rest.to_string(), t));
            } else if let Some((i, entry)) = indexed(&name, "optimizer.state.") {
                if i >= entries {
                    return Err(bad(format!(
                        "tensor {name:?}: optimizer slot {i} is beyond any this file can hold"
                    )));
                }
                if optimizer_state.len() <= i {
                    optimizer_state.resize_with(i + 1, Vec::new);
                }
                optimizer_state[i].push((entry.to_string(), t));
            } else if let Some((j, entry)) = indexed(&name, "callbacks.") {
                callback_tensors
                    .entry(j)
                    .or_default()
                    .push((entry.to_string(), t));
            } else {
                return Err(bad(format!("unexpected tensor {name:?}")));
            }
        }
        let mut rngs = Vec::new();
        let mut keys: Vec<&String> = meta.keys().collect();
        keys.sort();
        for key in keys {
            if let Some(name) = key.strip_prefix("rng.model.") {
                rngs.push((name.to_string(), rng(key)?));
            }
        }
        let augment = (0..listed("augment.count")?)
            .map(|k| {
                let key = format!("rng.augment.{k}");
                meta.contains_key(&key).then(|| rng(&key)).transpose()
            })
            .collect::<Result<_, _>>()?;
        let mut callbacks = Vec::new();
        for j in 0..listed("callbacks.count")? {
            let Some(kind) = meta.get(&format!("callbacks.{j}.kind")) else {
                callbacks.push(None);
                continue;
            };
            let mut state = CallbackState::new(kind);
            let prefix = format!("callbacks.{j}.value.");
            let mut names: Vec<&String> = meta.keys().filter(|k| k.starts_with(&prefix)).collect();
            names.sort();
            for key in names {
                state.set(&key[prefix.len()..], number(key)?);
            }
            state.tensors = callback_tensors.remove(&j).unwrap_or_default();
            callbacks.push(Some(state));
        }
        Ok(Checkpoint {
            model,
            optimizer: text("optimizer")?.clone(),
            lr: rate("optimizer.lr")?,
            initial_lr: rate("optimizer.initial_lr")?,
            optimizer_state,
            rngs,
            run: RunState {
                epoch: count("epoch")?,
                batches: meta
                    .contains_key("rng.batches")
                    .then(|| rng("rng.batches"))
                    .transpose()?,
                augment,
                callbacks,
            },
        })
    }

    /// Loads the weights, buffers, optimizer state and learning rate, and the module's
    /// generators into `module` and `optimizer`: everything or, on error, nothing.
    pub(crate) fn apply(
        &self,
        module: &dyn Module<T>,
        optimizer: &mut dyn Optimizer<T>,
        path: &Path,
    ) -> Result<(), CheckpointError> {
        let mismatch = |reason: String| CheckpointError::Mismatch {
            file: path.to_path_buf(),
            reason,
        };
        // The callbacks' numbers, as the next `fit` will read them: a damaged file.
        for (j, state) in self.run.callbacks.iter().enumerate() {
            if let Some(state) = state {
                super::callbacks::check_saved_state(state).map_err(|reason| {
                    CheckpointError::Format {
                        file: path.to_path_buf(),
                        reason: format!("callback {j}: {reason}"),
                    }
                })?;
            }
        }
        if self.optimizer != optimizer.name() {
            return Err(mismatch(format!(
                "it was written with the {} optimizer, the model uses {}",
                self.optimizer,
                optimizer.name()
            )));
        }
        let params = module.parameters();
        if self.optimizer_state.len() > params.len() {
            return Err(mismatch(format!(
                "it holds optimizer state for {} parameters, the model has {}",
                self.optimizer_state.len(),
                params.len()
            )));
        }
        let rngs = module.rngs();
        let mut ours: Vec<&str> = rngs.iter().map(|(n, _)| n.as_str()).collect();
        let mut theirs: Vec<&str> = self.rngs.iter().map(|(n, _)| n.as_str()).collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        if ours != theirs {
            return Err(mismatch(format!(
                "its random generators are {theirs:?}, the model's are {ours:?}"
            )));
        }
        // The optimizer first (undone if anything after it fails), then the module, whose
        // loader checks every name and shape before changing anything.
        let before = Snapshot::take(module, &*optimizer);
        let empty = Vec::new();
        for (i, (name, p)) in params.iter().enumerate() {
            let state = self.optimizer_state.get(i).unwrap_or(&empty);
            if let Err(e) = optimizer.set_state(p, state) {
                before.restore(module, optimizer);
                return Err(mismatch(format!("parameter {i} ({name}): {e}")));
            }
        }
        if let Err(e) = module.load_state_dict(&self.model, true) {
            before.restore(module, optimizer);
            return Err(mismatch(e.problems("checkpoint").join("; ")));
        }
        // EarlyStopping's best weights, against the model they would be restored into
        // (after the model's own weights, whose mismatch says more).
        let problem = self
            .run
            .callbacks
            .iter()
            .enumerate()
            .find_map(|(j, state)| {
                let problem = super::callbacks::saved_weights_problem(state.as_ref()?, module)?;
                Some(format!("callback {j}: {problem}"))
            });
        if let Some(problem) = problem {
            before.restore(module, optimizer);
            return Err(mismatch(problem));
        }
        optimizer.set_learning_rate(self.lr);
        for (name, rng) in rngs {
            let state = &self
                .rngs
                .iter()
                .find(|(n, _)| *n == name)
                .expect("checked")
                .1;
            *rng.lock().unwrap_or_else(|e| e.into_inner()) = state.to_rng();
        }
        Ok(())
    }
}

/// `prefix{i}.{rest}` → `(i, rest)`.
fn indexed<'a>(name: &'a str, prefix: &str) -> Option<(usize, &'a str)> {
    let (i, rest) = name.strip_prefix(prefix)?.split_once('.')?;
    Some((i.parse().ok()?, rest))
}

impl<T: Float> Model<T> {
    /// Writes a checkpoint to `path` (safetensors, written atomically): the weights and
    /// buffers, the optimizer's state under PyTorch's names and its learning rate, the
    /// epochs trained so far, every random generator's position (shuffling, Dropout,
    /// augmentations) and the callbacks' states as the last `fit` left them.
    /// [`Model::load_checkpoint`] on a model built the same way continues from here
    /// exactly: the next `fit` gives the same History and weights as an uninterrupted run.
    ///
    /// # Errors
    /// [`CheckpointError::File`] if the file cannot be written.
    ///
    /// ```
    /// use nn::{loss::Mse, optim::Adam, train::FitConfig, Linear, Model, Sequential};
    /// use rand::SeedableRng;
    /// use tensor::Tensor;
    /// let build = || {
    ///     let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    ///     Model::new(Sequential::new().add(Linear::new(1, 1, &mut rng)), Mse, Adam::new(0.1))
    /// };
    /// let x = Tensor::<f32>::linspace(-1.0, 1.0, 8).reshape(&[8, 1]);
    /// let config = || FitConfig::new().epochs(6).batch_size(4).verbose(0);
    /// let mut straight = build();
    /// straight.fit(&x, &x, config()).unwrap();
    ///
    /// let mut first = build();
    /// first.fit(&x, &x, config().epochs(2)).unwrap();
    /// let path = std::env::temp_dir().join(format!("doc-ckpt-{}.safetensors", std::process::id()));
    /// first.save_checkpoint(&path).unwrap();
    /// let mut resumed = build();
    /// assert_eq!(resumed.load_checkpoint(&path).unwrap(), 2); // epochs completed
    /// resumed.fit(&x, &x, config()).unwrap();                  // runs epochs 2..6
    /// assert_eq!(resumed.module().state_dict(), straight.module().state_dict());
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        Checkpoint::capture(
            &*self.module,
            &*self.optimizer,
            self.initial_lr,
            self.run_state.clone(),
        )
        .write(path.as_ref())
    }

    /// Loads a checkpoint written by [`Model::save_checkpoint`] (or by the
    /// `BackupAndRestore` callback) into this model, which must be built the same way
    /// (same layers, optimizer kind, generators). Returns the epochs completed: the next
    /// `fit` starts there (unless its `initial_epoch` says otherwise) and restores the
    /// shuffling and augmentation generators and the callbacks' states, matched by
    /// position.
    ///
    /// # Errors
    /// [`CheckpointError`] for an unreadable file or one that does not fit this model
    /// (the built-in callbacks' saved states are checked here too: their counts, and
    /// EarlyStopping's best weights against the model); the model, its optimizer and its
    /// generators are then unchanged, and nothing is left waiting to resume.
    pub fn load_checkpoint(&mut self, path: impl AsRef<Path>) -> Result<usize, CheckpointError> {
        let path = path.as_ref();
        let checkpoint = Checkpoint::read(path)?;
        checkpoint.apply(&*self.module, &mut *self.optimizer, path)?;
        self.initial_lr = checkpoint.initial_lr;
        let epoch = checkpoint.run.epoch;
        self.run_state = checkpoint.run.clone();
        self.resume = Some(checkpoint.run);
        Ok(epoch)
    }
}
