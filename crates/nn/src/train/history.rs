//! `History`: what `fit` recorded, epoch by epoch.

use std::io;
use std::path::Path;

use super::plot::Plot;
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

    /// The names logged, in the order they first appeared (Keras'
    /// `history.history.keys()`): `"loss"`, the metrics, their `val_` twins, and
    /// `"learning_rate"` when it was logged.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.history.iter().map(|(name, _)| name.as_str())
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

    /// Training and validation curves as a [`Plot`]: one panel per quantity (`loss`,
    /// then each metric) with its training and `val_` lines over the epochs run (the
    /// first included), its y axis titled with the quantity's name and logarithmic when
    /// the values span more than a factor of 20 (see [`Plot`]; force it either way with
    /// [`Plot::log_y`]).
    ///
    /// The best epoch is marked (a dashed vertical line and a circled point) on one
    /// panel only: if an [`EarlyStopping`](super::EarlyStopping) ran, the epoch it
    /// reported as best (the one whose weights it restores with
    /// `restore_best_weights`) on the panel of the quantity it monitored; otherwise the
    /// epoch of the smallest `val_loss` (or `loss` without validation) on the loss panel.
    ///
    /// ```
    /// use nn::train::History;
    /// let mut h = History::default();
    /// h.epoch = vec![0, 1, 2];
    /// h.history = vec![("loss".into(), vec![16.0, 1.0, 0.3])];
    /// let plot = h.plot();
    /// assert_eq!(plot.panels(), 1);
    /// assert!(plot.to_svg().contains("min loss: epoch 3"));
    /// ```
    #[must_use]
    pub fn plot(&self) -> Plot {
        let bases: Vec<&str> = self
            .history
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !n.starts_with("val_") && *n != "learning_rate")
            .collect();
        let xs: Vec<f64> = self.epoch.iter().map(|&e| (e + 1) as f64).collect();
        let best = self.best_marker();
        let mut plot: Option<Plot> = None;
        for base in bases {
            let mut p = match plot.take() {
                None => Plot::new(base),
                Some(p) => p.panel(base),
            }
            .y_label(base);
            let val_name = format!("val_{base}");
            for name in [base, val_name.as_str()] {
                if let Some(v) = self.get(name) {
                    p = p.line_xy(name, xs.iter().copied().zip(v.iter().copied()));
                }
            }
            if let Some((series, i, label)) = best.as_ref().filter(|b| panel_of(&b.0) == base) {
                let value = self.get(series).and_then(|v| v.get(*i)).copied();
                p = p.vline(xs[*i], label);
                if let Some(v) = value {
                    p = p.mark_on(series, xs[*i], v);
                }
            }
            plot = Some(p);
        }
        plot.unwrap_or_else(|| Plot::new("loss").y_label("loss"))
    }

    /// The series, epoch index and legend label of the best-epoch marker (see
    /// [`History::plot`]).
    fn best_marker(&self) -> Option<(String, usize, String)> {
        if let (Some(monitor), Some(best)) = (&self.monitor, self.best_epoch) {
            let i = self.epoch.iter().position(|&e| e == best)?;
            self.get(monitor)?;
            return Some((
                monitor.clone(),
                i,
                format!("best: epoch {} (EarlyStopping)", best + 1),
            ));
        }
        let name = if self.get("val_loss").is_some() {
            "val_loss"
        } else {
            "loss"
        };
        let i = self.argmin(name)?;
        let label = format!("min {name}: epoch {}", self.epoch[i] + 1);
        Some((name.to_string(), i, label))
    }

    /// [`History::plot`] as an SVG document.
    #[must_use]
    pub fn to_svg(&self) -> String {
        self.plot().to_svg()
    }

    /// Writes [`History::plot`] to an SVG file.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.plot().save_svg(path)
    }

    /// Writes [`History::plot`] to a PNG file (see [`Plot::save_png`]).
    ///
    /// # Errors
    /// If `path` does not end in `.png`, or the image cannot be drawn or written.
    pub fn save_png(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.plot().save_png(path)
    }
}

/// The panel a quantity is drawn on: `val_mae` on `mae`'s.
fn panel_of(name: &str) -> &str {
    name.strip_prefix("val_").unwrap_or(name)
}
