//! `History`: what `fit` recorded, epoch by epoch.

use std::io;
use std::path::Path;

use super::plot::{self, Series};
use super::Logs;

/// Per-epoch values from `fit`: `loss`, each metric, their `val_` twins, the learning
/// rate, and wall time, in the order Keras logs them.
///
/// ```
/// use nn::train::History;
/// let h = History::default();
/// assert!(h.get("loss").is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// The epoch indices run (offset by `initial_epoch`).
    pub epoch: Vec<usize>,
    /// Values by name, each with one entry per epoch.
    pub history: Vec<(String, Vec<f64>)>,
    /// Wall-clock seconds per epoch (training and validation).
    pub epoch_times: Vec<f64>,
    /// Batches per epoch.
    pub steps: usize,
    /// The epoch at which early stopping stopped training, if it did.
    pub stopped_epoch: Option<usize>,
    /// The best epoch according to early stopping, if one was used.
    pub best_epoch: Option<usize>,
    /// The quantity early stopping monitored (whose best epoch is `best_epoch`).
    pub monitor: Option<String>,
    /// Whether higher values of `monitor` are better.
    pub monitor_higher_is_better: bool,
    /// Warnings `fit` gave (also printed to stderr, once per model): a loss that expects
    /// logits after a Softmax output, and the like.
    pub warnings: Vec<String>,
}

impl History {
    pub(crate) fn record(&mut self, epoch: usize, logs: &Logs, seconds: f64) {
        self.epoch.push(epoch);
        self.epoch_times.push(seconds);
        for (name, value) in logs.iter() {
            match self.history.iter_mut().find(|(n, _)| n == name) {
                Some((_, values)) => values.push(value),
                None => self.history.push((name.to_string(), vec![value])),
            }
        }
    }

    /// The values of `name` (`"loss"`, `"val_loss"`, `"accuracy"`, `"learning_rate"`, …).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.history
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Number of epochs recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.epoch.len()
    }

    /// True if no epoch was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.epoch.is_empty()
    }

    /// Index (into the recorded epochs) of the smallest value of `name`.
    #[must_use]
    pub fn argmin(&self, name: &str) -> Option<usize> {
        let v = self.get(name)?;
        (0..v.len()).min_by(|&a, &b| v[a].total_cmp(&v[b]))
    }

    /// The history as CSV: `epoch,<names…>,seconds`, one row per epoch.
    #[must_use]
    pub fn to_csv(&self) -> String {
        let names: Vec<&str> = self.history.iter().map(|(n, _)| n.as_str()).collect();
        let mut out = format!("epoch,{},seconds\n", names.join(","));
        for (i, e) in self.epoch.iter().enumerate() {
            let row: Vec<String> = self
                .history
                .iter()
                .map(|(_, v)| v.get(i).map_or(String::new(), |x| x.to_string()))
                .collect();
            out.push_str(&format!("{e},{},{}\n", row.join(","), self.epoch_times[i]));
        }
        out
    }

    /// Writes [`History::to_csv`] to a file.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save_csv(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.to_csv())
    }

    /// Training and validation curves as an SVG document: one panel per quantity (loss,
    /// then each metric), the best epoch marked, so the start of overfitting is visible.
    /// The best epoch is the one early stopping chose, marked only on the panel of the
    /// quantity it monitored.
    #[must_use]
    pub fn to_svg(&self) -> String {
        let bases: Vec<&str> = self
            .history
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !n.starts_with("val_") && *n != "learning_rate")
            .collect();
        let x0 = self.epoch.first().copied().unwrap_or(0);
        let monitored = self.monitor.as_deref();
        let mut body = String::new();
        for (k, base) in bases.iter().enumerate() {
            let val_name = format!("val_{base}");
            let mut series = vec![Series {
                name: base,
                values: self.get(base).unwrap_or(&[]),
                color: "#1f77b4",
            }];
            if let Some(v) = self.get(&val_name) {
                series.push(Series {
                    name: &val_name,
                    values: v,
                    color: "#ff7f0e",
                });
            }
            let on_this_panel =
                monitored.is_some_and(|m| m == *base || m.strip_prefix("val_") == Some(base));
            let best = self
                .best_epoch
                .filter(|_| on_this_panel)
                .and_then(|e| self.epoch.iter().position(|&x| x == e));
            let label = best.map(|i| format!("best: epoch {}", self.epoch[i] + 1));
            plot::panel(
                &mut body,
                plot::PANEL * k as f64,
                base,
                &series,
                x0,
                best.zip(label.as_deref()),
            );
        }
        plot::document(bases.len(), &body)
    }

    /// Writes [`History::to_svg`] to a file.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.to_svg())
    }
}
