//! Saving and loading weights as safetensors, with PyTorch state-dict names (`0.weight`,
//! `0.bias`, `1.running_mean`, …), so a file written here loads into the same PyTorch
//! model and the other way round.
//!
//! A save writes a temporary file beside the target and renames it into place, so a
//! crash never leaves a half-written file. A load checks every name and shape first and
//! reports every mismatch at once; nothing is changed unless all of them fit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use tensor::{Float, Tensor};
use thiserror::Error;

use crate::module::Module;

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
    /// The file's tensors do not match the model's.
    #[error("{file}: weights do not match the model:\n{}", problems.join("\n"))]
    Mismatch {
        /// The file.
        file: PathBuf,
        /// One line per problem (missing, unexpected, wrong shape, wrong dtype).
        problems: Vec<String>,
    },
}

fn dtype<T: Float>() -> Dtype {
    if T::NAME == "f64" {
        Dtype::F64
    } else {
        Dtype::F32
    }
}

fn to_bytes<T: Float>(t: &Tensor<T>) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.numel() * std::mem::size_of::<T>());
    for v in t.to_vec() {
        if T::NAME == "f64" {
            out.extend_from_slice(&v.to_f64().to_le_bytes());
        } else {
            out.extend_from_slice(&(v.to_f64() as f32).to_le_bytes());
        }
    }
    out
}

fn from_bytes<T: Float>(bytes: &[u8], d: Dtype) -> Vec<T> {
    match d {
        Dtype::F64 => bytes
            .chunks_exact(8)
            .map(|c| T::from_f64(f64::from_le_bytes(c.try_into().expect("8 bytes"))))
            .collect(),
        _ => bytes
            .chunks_exact(4)
            .map(|c| T::from_f64(f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64))
            .collect(),
    }
}

/// Writes every parameter and buffer of `module` to `path`.
///
/// # Errors
/// [`WeightsError::Io`] if the file cannot be written.
pub fn save_weights<T: Float>(
    module: &dyn Module<T>,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let named: Vec<(String, Vec<usize>, Vec<u8>)> = module
        .parameters()
        .into_iter()
        .chain(module.buffers())
        .map(|(name, p)| {
            let v = p.value();
            (name, v.shape().to_vec(), to_bytes(&v))
        })
        .collect();
    let views: Vec<(String, TensorView<'_>)> = named
        .iter()
        .map(|(n, shape, bytes)| {
            (
                n.clone(),
                TensorView::new(dtype::<T>(), shape.clone(), bytes).expect("sizes match"),
            )
        })
        .collect();
    let bytes = safetensors::serialize(views, None).map_err(|e| WeightsError::Format {
        file: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let io = |source| WeightsError::Io {
        file: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("safetensors.tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Loads weights saved with [`save_weights`] (or by PyTorch's `safetensors.torch.save_file`
/// of a `state_dict`) into `module`. `f32` and `f64` files load into either precision.
///
/// # Errors
/// [`WeightsError::Mismatch`] listing every missing, unexpected or wrongly shaped tensor;
/// [`WeightsError::Io`] and [`WeightsError::Format`] for unreadable files.
pub fn load_weights<T: Float>(
    module: &dyn Module<T>,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| WeightsError::Format {
        file: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let stored: HashMap<String, TensorView<'_>> = file.tensors().into_iter().collect();
    let targets: Vec<(String, &autograd::Param<T>)> = module
        .parameters()
        .into_iter()
        .chain(module.buffers())
        .collect();
    let mut problems = Vec::new();
    for (name, p) in &targets {
        match stored.get(name) {
            None => problems.push(format!("missing: {name} (shape {:?})", p.shape())),
            Some(view) if view.shape() != p.shape().as_slice() => problems.push(format!(
                "shape of {name}: file has {:?}, model has {:?}",
                view.shape(),
                p.shape()
            )),
            Some(view) if !matches!(view.dtype(), Dtype::F32 | Dtype::F64) => problems.push(
                format!("dtype of {name}: {:?} is not F32 or F64", view.dtype()),
            ),
            Some(_) => {}
        }
    }
    let mut unexpected: Vec<&String> = stored
        .keys()
        .filter(|k| !targets.iter().any(|(n, _)| n == *k))
        .collect();
    unexpected.sort();
    problems.extend(unexpected.into_iter().map(|k| format!("unexpected: {k}")));
    if !problems.is_empty() {
        return Err(WeightsError::Mismatch {
            file: path.to_path_buf(),
            problems,
        });
    }
    for (name, p) in targets {
        let view = &stored[&name];
        let data = from_bytes::<T>(view.data(), view.dtype());
        p.set(Tensor::from_vec(data, view.shape()).expect("shape checked"));
    }
    Ok(())
}
