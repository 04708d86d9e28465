//! `BackupAndRestore`: a checkpoint every epoch, and a `fit` that resumes from it after an
//! interruption.

use std::path::PathBuf;

use tensor::Float;

use super::Callback;
use crate::train::context::CheckpointRequest;
use crate::train::{Logs, TrainContext};

/// Keras' `BackupAndRestore`: writes a checkpoint (see
/// [`Model::save_checkpoint`](crate::Model::save_checkpoint)) to
/// `backup_dir/checkpoint.safetensors` at the end of every epoch; when `fit` starts and
/// that file exists — an earlier run was interrupted (a crash, a killed job, a
/// non-finite loss) — it restores the weights, optimizer, generators and callbacks'
/// states from it and continues at the next epoch, so the finished run is the one an
/// uninterrupted `fit` would have given. After a run that finishes (all epochs, or an
/// early stop), the file is deleted (`delete_checkpoint`, default true).
///
/// The model and the `FitConfig` of the resumed `fit` must be built as before (same
/// layers, optimizer kind, augmentations and callbacks in the same order).
///
/// ```
/// use nn::train::BackupAndRestore;
/// let backup = BackupAndRestore::new(std::env::temp_dir().join("my-run")).delete_checkpoint(true);
/// # let _ = backup;
/// ```
#[derive(Clone, Debug)]
pub struct BackupAndRestore {
    dir: PathBuf,
    delete_checkpoint: bool,
}

impl BackupAndRestore {
    /// Backs up into `backup_dir` (created when needed).
    #[must_use]
    pub fn new(backup_dir: impl Into<PathBuf>) -> Self {
        BackupAndRestore {
            dir: backup_dir.into(),
            delete_checkpoint: true,
        }
    }

    /// Delete the checkpoint when training finishes (default true).
    #[must_use]
    pub fn delete_checkpoint(mut self, delete: bool) -> Self {
        self.delete_checkpoint = delete;
        self
    }

    /// The checkpoint file.
    #[must_use]
    pub fn path(&self) -> PathBuf {
        self.dir.join("checkpoint.safetensors")
    }
}

impl<T: Float> Callback<T> for BackupAndRestore {
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) {
        if let Err(e) = std::fs::create_dir_all(&self.dir) {
            ctx.fail(format!(
                "BackupAndRestore: cannot create {}: {e}",
                self.dir.display()
            ));
            return;
        }
        if self.path().exists() {
            ctx.checkpoint = Some(CheckpointRequest::Restore(self.path()));
        }
    }

    fn on_epoch_end(&mut self, epoch: usize, _logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        ctx.checkpoint = Some(CheckpointRequest::Save {
            path: self.path(),
            epochs: epoch + 1,
        });
    }

    fn on_train_end(&mut self, ctx: &mut TrainContext<'_, T>) {
        if self.delete_checkpoint {
            if let Err(e) = std::fs::remove_file(self.path()) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    ctx.print(format!(
                        "BackupAndRestore: could not delete the checkpoint: {e}"
                    ));
                }
            }
        }
    }
}
