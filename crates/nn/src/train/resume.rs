//! The parts of a `fit` run that checkpoints save and restore: its generators and its
//! callbacks' states ([`RunState`]), and the requests of `BackupAndRestore`.

use tensor::Float;

use super::checkpoint::{Checkpoint, RunState};
use super::context::CheckpointRequest;
use super::error::TrainError;
use super::fit::Run;
use crate::rng::RngState;

impl<T: Float> Run<'_, T> {
    /// What this run would hand to a checkpoint now.
    pub(super) fn run_state(&mut self) -> RunState<T> {
        RunState {
            epoch: self.completed,
            batches: Some(self.batches.rng_state()),
            augment: self
                .augment
                .iter_mut()
                .map(|a| a.rng().map(|r| RngState::of(r)))
                .collect(),
            callbacks: self.callbacks.iter().map(|c| c.state()).collect(),
        }
    }

    /// Restores the generators and callbacks' states of a saved run (after the
    /// callbacks' `on_train_begin`, which resets them), matched by position.
    pub(super) fn apply_run_state(&mut self, state: &RunState<T>) -> Result<(), TrainError> {
        let fail = |reason: String| TrainError::Checkpoint(format!("cannot resume: {reason}"));
        if !state.augment.is_empty() && state.augment.len() != self.augment.len() {
            return Err(fail(format!(
                "the checkpoint has {} augmentations, this fit {}",
                state.augment.len(),
                self.augment.len()
            )));
        }
        if !state.callbacks.is_empty() && state.callbacks.len() != self.callbacks.len() {
            return Err(fail(format!(
                "the checkpoint has {} callbacks, this fit {}; give fit the callbacks of \
                 the run that wrote it, in the same order",
                state.callbacks.len(),
                self.callbacks.len()
            )));
        }
        for (k, (saved, a)) in state.augment.iter().zip(&mut self.augment).enumerate() {
            match (saved, a.rng()) {
                (Some(s), Some(rng)) => *rng = s.to_rng(),
                (None, None) => {}
                _ => return Err(fail(format!("augmentation {k} is not the one saved"))),
            }
        }
        for (j, (saved, cb)) in state.callbacks.iter().zip(&mut self.callbacks).enumerate() {
            if let Some(s) = saved {
                cb.set_state(s)
                    .map_err(|e| fail(format!("callback {j}: {e}")))?;
            }
        }
        if let Some(rng) = &state.batches {
            self.batches.set_rng_state(rng);
        }
        Ok(())
    }

    /// Writes or restores the checkpoint a callback asked for.
    pub(super) fn checkpoint(&mut self, request: CheckpointRequest) -> Result<(), TrainError> {
        match request {
            CheckpointRequest::Save { path, epochs } => {
                let mut state = self.run_state();
                state.epoch = epochs;
                Checkpoint::capture(
                    &*self.ctx.module,
                    &*self.ctx.optimizer,
                    self.ctx.initial_lr,
                    state,
                )
                .write(&path)
                .map_err(|e| TrainError::Checkpoint(e.to_string()))
            }
            CheckpointRequest::Restore(path) => {
                let checkpoint =
                    Checkpoint::read(&path).map_err(|e| TrainError::Checkpoint(e.to_string()))?;
                // The run's own part can still refuse (another number of callbacks, say).
                // This runs in `on_train_begin`, before any update, so `fit` then puts the
                // weights, optimizer state, learning rate and generators the checkpoint
                // set back to how it found them (decision 53).
                checkpoint
                    .apply(&*self.ctx.module, &mut *self.ctx.optimizer, &path)
                    .map_err(|e| TrainError::Checkpoint(e.to_string()))?;
                self.apply_run_state(&checkpoint.run)?;
                self.ctx.initial_lr = checkpoint.initial_lr;
                self.start_epoch = checkpoint.run.epoch;
                self.completed = checkpoint.run.epoch;
                self.progress.message(&format!(
                    "BackupAndRestore: resuming from {} after epoch {}",
                    path.display(),
                    checkpoint.run.epoch
                ));
                Ok(())
            }
        }
    }
}
