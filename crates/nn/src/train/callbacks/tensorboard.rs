//! `TensorBoard`: the epoch's losses, metrics and learning rate (and, optionally, weight
//! histograms) as TensorBoard event files.

use std::path::PathBuf;

use tensor::Float;

use super::Callback;
use crate::io::{EventWriter, SummaryValue};
use crate::train::{Logs, TrainContext};

/// Keras' `TensorBoard` callback: writes event files that the real TensorBoard reads
/// (`tensorboard --logdir LOG_DIR`), laid out as Keras lays them out: `LOG_DIR/train`
/// with `epoch_loss`, `epoch_{metric}` and `epoch_learning_rate`, and
/// `LOG_DIR/validation` with the `val_` values under the same tags, so both runs share
/// a chart. With `histogram_freq(n)`, every `n` epochs each parameter's values go to
/// the Histograms tab under its state-dict name (`0.weight`). The step is the epoch.
///
/// ```
/// use nn::train::TensorBoard;
/// let tb = TensorBoard::new(std::env::temp_dir().join("logs")).histogram_freq(5);
/// # let _ = tb;
/// ```
#[derive(Debug)]
pub struct TensorBoard {
    log_dir: PathBuf,
    histogram_freq: usize,
    train: Option<EventWriter>,
    validation: Option<EventWriter>,
}

impl TensorBoard {
    /// Logs into `log_dir` (created when needed); no histograms.
    #[must_use]
    pub fn new(log_dir: impl Into<PathBuf>) -> Self {
        TensorBoard {
            log_dir: log_dir.into(),
            histogram_freq: 0,
            train: None,
            validation: None,
        }
    }

    /// Weight histograms every `n` epochs (0, the default, for none).
    #[must_use]
    pub fn histogram_freq(mut self, n: usize) -> Self {
        self.histogram_freq = n;
        self
    }

    /// The event files being written (train, then validation once it has values).
    #[must_use]
    pub fn files(&self) -> Vec<PathBuf> {
        [&self.train, &self.validation]
            .into_iter()
            .flatten()
            .map(|w| w.path().to_path_buf())
            .collect()
    }

    fn write<T: Float>(
        &mut self,
        epoch: usize,
        logs: &Logs,
        ctx: &TrainContext<'_, T>,
    ) -> std::io::Result<()> {
        let step = epoch as i64;
        let mut train: Vec<(String, f64)> = Vec::new();
        let mut validation: Vec<(String, f64)> = Vec::new();
        for (name, v) in logs.iter() {
            match name.strip_prefix("val_") {
                Some(base) => validation.push((format!("epoch_{base}"), v)),
                None => train.push((format!("epoch_{name}"), v)),
            }
        }
        let weights: Vec<(String, Vec<f64>)> =
            if self.histogram_freq > 0 && epoch.is_multiple_of(self.histogram_freq) {
                ctx.module()
                    .parameters()
                    .into_iter()
                    .map(|(n, p)| (n, p.value().to_vec().iter().map(|v| v.to_f64()).collect()))
                    .collect()
            } else {
                Vec::new()
            };
        let mut values: Vec<(&str, SummaryValue<'_>)> = train
            .iter()
            .map(|(t, v)| (t.as_str(), SummaryValue::Scalar(*v)))
            .collect();
        values.extend(
            weights
                .iter()
                .map(|(t, w)| (t.as_str(), SummaryValue::Histogram(w))),
        );
        if let Some(w) = &mut self.train {
            w.write(step, &values)?;
            w.flush()?;
        }
        if !validation.is_empty() {
            if self.validation.is_none() {
                self.validation = Some(EventWriter::create(self.log_dir.join("validation"))?);
            }
            let values: Vec<(&str, SummaryValue<'_>)> = validation
                .iter()
                .map(|(t, v)| (t.as_str(), SummaryValue::Scalar(*v)))
                .collect();
            if let Some(w) = &mut self.validation {
                w.write(step, &values)?;
                w.flush()?;
            }
        }
        Ok(())
    }
}

impl<T: Float> Callback<T> for TensorBoard {
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) {
        match EventWriter::create(self.log_dir.join("train")) {
            Ok(w) => self.train = Some(w),
            Err(e) => ctx.fail(format!(
                "TensorBoard: cannot write to {}: {e}",
                self.log_dir.display()
            )),
        }
        self.validation = None;
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        if let Err(e) = self.write(epoch, logs, ctx) {
            ctx.fail(format!("TensorBoard: cannot write the event file: {e}"));
        }
    }
}
