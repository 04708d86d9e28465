//! Saving and loading weights as safetensors, with PyTorch state-dict names (`0.weight`,
//! `0.bias`, `1.running_mean`, `1.num_batches_tracked`, …), so a file written here loads
//! into the same PyTorch model with `load_state_dict(strict=True)` and the other way round.
//!
//! One path: [`save_weights`] writes [`Module::state_dict`] through [`save_state_dict`];
//! [`load_weights`] reads the file with [`read_state_dict`] and hands it to
//! [`Module::load_state_dict`], which checks every name and shape before changing anything.
//!
//! A save writes a temporary file beside the target and renames it into place, so a crash
//! never leaves a half-written file.

mod dtype;
mod tfevents;

pub use tfevents::{EventWriter, SummaryValue};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::TensorView;
use safetensors::SafeTensors;
use tensor::{Float, Tensor};
use thiserror::Error;

use crate::module::Module;
use crate::state_dict::{is_num_batches_tracked, IncompatibleKeys, StateDict};

/// Why weights could not be saved or loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WeightsError {
    /// Reading or writing the file failed.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid safetensors.
    #[error("{file}: not a valid safetensors file: {reason}")]
    Format {
        /// The file.
        file: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// A tensor's dtype is not a real number this crate can convert.
    #[error("{file}: {name} has dtype {dtype}, which cannot be converted to a float (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL)")]
    Dtype {
        /// The file.
        file: PathBuf,
        /// The tensor.
        name: String,
        /// Its dtype, as safetensors names it.
        dtype: String,
    },
    /// Two state-dict entries share a name.
    #[error("{file}: two entries are named {name:?}; a state dict needs unique names")]
    DuplicateName {
        /// The file being written.
        file: PathBuf,
        /// The repeated name.
        name: String,
    },
    /// The file's tensors do not match the model's.
    #[error("{file}: weights do not match the model:\n{}", problems.join("\n"))]
    Mismatch {
        /// The file.
        file: PathBuf,
        /// One line per problem: `missing: NAME (shape [..])`,
        /// `shape of NAME: file has [..], model has [..]`, `unexpected: NAME`.
        problems: Vec<String>,
    },
}

/// Writes a state dict to `path` as safetensors: floats in `T`'s dtype (F32 or F64),
/// `num_batches_tracked` entries as I64 (PyTorch's dtype for them).
///
/// # Errors
/// [`WeightsError::Io`] if the file cannot be written; [`WeightsError::DuplicateName`] if
/// two entries share a name.
pub fn save_state_dict<T: Float>(
    state: &[(String, Tensor<T>)],
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    write_safetensors(state, None, path.as_ref())
}

/// Writes `state` and the text `metadata` to `path`, atomically (temporary file, then
/// rename).
pub(crate) fn write_safetensors<T: Float>(
    state: &[(String, Tensor<T>)],
    metadata: Option<HashMap<String, String>>,
    path: &Path,
) -> Result<(), WeightsError> {
    let mut seen = std::collections::HashSet::new();
    if let Some((name, _)) = state.iter().find(|(n, _)| !seen.insert(n.as_str())) {
        return Err(WeightsError::DuplicateName {
            file: path.to_path_buf(),
            name: name.clone(),
        });
    }
    let encoded: Vec<(&str, safetensors::Dtype, &[usize], Vec<u8>)> = state
        .iter()
        .map(|(name, t)| {
            let dtype = if is_num_batches_tracked(name) {
                safetensors::Dtype::I64
            } else {
                dtype::float_dtype::<T>()
            };
            (name.as_str(), dtype, t.shape(), dtype::to_bytes(t, dtype))
        })
        .collect();
    let views = encoded
        .iter()
        .map(|(n, d, shape, bytes)| {
            TensorView::new(*d, shape.to_vec(), bytes).map(|v| (n.to_string(), v))
        })
        .collect::<Result<Vec<_>, _>>();
    let format = |e: safetensors::SafeTensorError| WeightsError::Format {
        file: path.to_path_buf(),
        reason: e.to_string(),
    };
    let bytes = safetensors::serialize(views.map_err(format)?, metadata).map_err(format)?;
    let io = |source| WeightsError::Io {
        file: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        // Nothing of a failed save stays behind (a partly written or unmovable copy).
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}

/// Reads every tensor of a safetensors file, sorted by name (numbered parts as numbers),
/// converted to `T`: F64,
/// F32, F16 and BF16 floats, and integer or boolean entries (such as PyTorch's int64
/// `num_batches_tracked`).
///
/// # Errors
/// [`WeightsError::Io`], [`WeightsError::Format`] for unreadable files;
/// [`WeightsError::Dtype`] for an entry that is not a real number (8-bit floats, …).
pub fn read_state_dict<T: Float>(path: impl AsRef<Path>) -> Result<StateDict<T>, WeightsError> {
    read_safetensors(path.as_ref()).map(|(state, _)| state)
}

/// Every tensor of a safetensors file (as [`read_state_dict`]) and its text metadata.
pub(crate) fn read_safetensors<T: Float>(
    path: &Path,
) -> Result<(StateDict<T>, HashMap<String, String>), WeightsError> {
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse_safetensors(&bytes, path)
}

/// Reads a state dict from the bytes of a safetensors file (as [`read_state_dict`] reads
/// a file); `name` stands for the file in error messages.
///
/// # Errors
/// [`WeightsError::Format`] for bytes that are not safetensors; [`WeightsError::Dtype`]
/// for an entry that is not a real number.
///
/// ```
/// let err = nn::io::state_dict_from_bytes::<f32>(b"not safetensors", "upload").unwrap_err();
/// assert!(err.to_string().starts_with("upload: not a valid safetensors file"));
/// ```
pub fn state_dict_from_bytes<T: Float>(
    bytes: &[u8],
    name: impl AsRef<Path>,
) -> Result<StateDict<T>, WeightsError> {
    parse_safetensors(bytes, name.as_ref()).map(|(state, _)| state)
}

fn parse_safetensors<T: Float>(
    bytes: &[u8],
    path: &Path,
) -> Result<(StateDict<T>, HashMap<String, String>), WeightsError> {
    let format = |e: safetensors::SafeTensorError| WeightsError::Format {
        file: path.to_path_buf(),
        reason: e.to_string(),
    };
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(format)?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let file = SafeTensors::deserialize(bytes).map_err(format)?;
    let mut entries = file.tensors();
    // safetensors keeps no order (writers sort by dtype, then name): sort by name, numbered
    // parts as numbers, so `2.weight` comes before `10.weight`.
    entries.sort_by(|(a, _), (b, _)| natural_key(a).cmp(&natural_key(b)));
    let state = entries
        .into_iter()
        .map(|(name, view)| {
            let values =
                dtype::from_bytes::<T>(view.data(), view.dtype()).ok_or(WeightsError::Dtype {
                    file: path.to_path_buf(),
                    name: name.clone(),
                    dtype: view.dtype().to_string(),
                })?;
            let t = Tensor::from_vec(values, view.shape()).expect("safetensors checked sizes");
            Ok((name, t))
        })
        .collect::<Result<_, _>>()?;
    Ok((state, metadata))
}

/// `name` split at dots, numbers compared as numbers.
fn natural_key(name: &str) -> Vec<(u8, u64, &str)> {
    name.split('.')
        .map(|part| match part.parse::<u64>() {
            Ok(n) => (0, n, ""),
            Err(_) => (1, 0, part),
        })
        .collect()
}

/// Writes every parameter and buffer of `module` ([`Module::state_dict`]) to `path`.
///
/// # Errors
/// As [`save_state_dict`].
///
/// ```
/// use nn::io::{load_weights, save_weights};
/// use nn::{BatchNorm1d, Linear, Module, Sequential};
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let net = Sequential::<f32>::new().add(Linear::new(4, 3, &mut rng)).add(BatchNorm1d::new(3));
/// let path = std::env::temp_dir().join(format!("doc-weights-{}.safetensors", std::process::id()));
/// save_weights(&net, &path).unwrap();
/// let copy = Sequential::<f32>::new().add(Linear::new(4, 3, &mut rng)).add(BatchNorm1d::new(3));
/// let skipped = load_weights(&copy, &path).unwrap();
/// assert!(skipped.is_empty());
/// assert_eq!(copy.state_dict()[0].1, net.state_dict()[0].1);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_weights<T: Float>(
    module: &dyn Module<T>,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    save_state_dict(&module.state_dict(), path)
}

/// Loads weights saved with [`save_weights`] or by PyTorch
/// (`safetensors.torch.save_file(model.state_dict())`) into `module`, strictly: every name
/// must match both ways (PyTorch's `strict=True`). Float and integer entries of any
/// width load into either precision.
///
/// Returns the skipped keys, empty after a strict load; see [`load_weights_with`] for a
/// non-strict one.
///
/// # Errors
/// [`WeightsError::Mismatch`] listing every missing, unexpected or wrongly shaped tensor
/// (the module is unchanged); the errors of [`read_state_dict`].
pub fn load_weights<T: Float>(
    module: &dyn Module<T>,
    path: impl AsRef<Path>,
) -> Result<IncompatibleKeys, WeightsError> {
    load_weights_with(module, path, true)
}

/// [`load_weights`] with PyTorch's `strict` switch: with `strict = false`, the entries
/// whose names match are loaded and the others returned as [`IncompatibleKeys`] (a
/// different shape still fails, listing every one, and leaves the module unchanged).
///
/// # Errors
/// As [`load_weights`].
pub fn load_weights_with<T: Float>(
    module: &dyn Module<T>,
    path: impl AsRef<Path>,
    strict: bool,
) -> Result<IncompatibleKeys, WeightsError> {
    let path = path.as_ref();
    let state = read_state_dict::<T>(path)?;
    module
        .load_state_dict(&state, strict)
        .map_err(|e| WeightsError::Mismatch {
            file: path.to_path_buf(),
            problems: e.problems("file"),
        })
}
