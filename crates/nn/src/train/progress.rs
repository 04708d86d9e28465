//! Keras-style progress output.
//!
//! verbose 1, on a terminal, redraws one line per epoch (Keras 3 format):
//! `12/12 ━━━━━━━━━━━━━━━━━━━━ 0s 1ms/step - loss: 0.5312 - val_loss: 0.6120`;
//! when the output is not a terminal, it prints only the final line of each epoch.
//! verbose 2 prints one line per epoch: `12/12 - 0s - 1ms/step - loss: 0.5312`.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use super::config::Output;
use super::Logs;

/// Formats a logged value as Keras does: 4 decimals, or scientific notation for
/// magnitudes at most 1e-3.
///
/// ```
/// assert_eq!(nn::train::format_value(0.53124), "0.5312");
/// assert_eq!(nn::train::format_value(0.0001234), "1.2340e-04");
/// ```
#[must_use]
pub fn format_value(v: f64) -> String {
    if v.abs() > 1e-3 {
        format!("{v:.4}")
    } else {
        let s = format!("{v:.4e}");
        // Rust prints `1.2340e-4`; Keras (Python) prints `1.2340e-04`.
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = if let Some(d) = e.strip_prefix('-') {
                    ("-", d)
                } else {
                    ("+", e)
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    }
}

fn per_step(seconds: f64) -> String {
    if seconds >= 1.0 || seconds == 0.0 {
        format!("{seconds:.0}s/step")
    } else if seconds >= 1e-3 {
        format!("{:.0}ms/step", seconds * 1e3)
    } else {
        format!("{:.0}us/step", seconds * 1e6)
    }
}

/// Progress for one `fit`: epoch headers, the per-batch bar, and epoch summaries.
#[derive(Debug)]
pub struct Progress {
    verbose: u8,
    output: Output,
    live: bool,
    epochs: usize,
    steps: usize,
    start: Instant,
    first_step_done: Option<Instant>,
    last_draw: Option<Instant>,
}

/// Redraws of the live bar are at least this far apart (Keras' `interval`), so drawing
/// never slows training.
const REDRAW_SECONDS: f64 = 0.05;

impl Progress {
    /// Progress for `epochs` epochs of `steps` batches.
    #[must_use]
    pub fn new(verbose: u8, output: Output, epochs: usize, steps: usize) -> Self {
        let live =
            verbose == 1 && matches!(output, Output::Stdout) && std::io::stdout().is_terminal();
        Progress {
            verbose,
            output,
            live,
            epochs,
            steps,
            start: Instant::now(),
            first_step_done: None,
            last_draw: None,
        }
    }

    fn write(&self, text: &str) {
        match &self.output {
            Output::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
            Output::Buffer(buf) => buf
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(text.as_bytes()),
        }
    }

    /// A line of text (callback messages).
    pub fn message(&self, text: &str) {
        if self.verbose > 0 {
            self.write(&format!("{text}\n"));
        }
    }

    /// Start of an epoch (0-based): prints `Epoch k/N` when there is more than one.
    pub fn epoch_begin(&mut self, epoch: usize) {
        self.start = Instant::now();
        self.first_step_done = None;
        self.last_draw = None;
        if self.verbose > 0 && self.epochs > 1 {
            self.write(&format!("Epoch {}/{}\n", epoch + 1, self.epochs));
        }
    }

    /// After batch `step` (1-based count of batches done).
    pub fn batch_end(&mut self, step: usize, logs: &Logs) {
        if step == 1 {
            self.first_step_done = Some(Instant::now());
        }
        let due = self
            .last_draw
            .is_none_or(|t| t.elapsed().as_secs_f64() >= REDRAW_SECONDS);
        if self.live && due {
            let line = self.bar_line(step, logs, false);
            self.write(&format!("\r{line}\x1b[K"));
            self.last_draw = Some(Instant::now());
        }
    }

    /// The epoch's final line.
    pub fn epoch_end(&mut self, logs: &Logs) {
        match self.verbose {
            1 => {
                let line = self.bar_line(self.steps, logs, true);
                let prefix = if self.live { "\r" } else { "" };
                self.write(&format!("{prefix}{line}\n"));
            }
            2 => {
                let elapsed = self.start.elapsed().as_secs_f64();
                let line = format!(
                    "{}/{} - {:.0}s - {}{}",
                    self.steps,
                    self.steps,
                    elapsed,
                    per_step(self.step_time()),
                    values(logs)
                );
                self.write(&format!("{line}\n"));
            }
            _ => {}
        }
    }

    /// Seconds per step, excluding the first step (as Keras estimates it).
    fn step_time(&self) -> f64 {
        match self.first_step_done {
            Some(t) if self.steps > 1 => t.elapsed().as_secs_f64() / (self.steps - 1) as f64,
            _ => self.start.elapsed().as_secs_f64() / self.steps.max(1) as f64,
        }
    }

    fn bar_line(&self, step: usize, logs: &Logs, done: bool) -> String {
        let width = self.steps.to_string().len();
        let filled = 20 * step / self.steps.max(1);
        let bar = if self.live {
            format!(
                "\x1b[32m{}\x1b[37m{}\x1b[0m",
                "━".repeat(filled),
                "━".repeat(20 - filled)
            )
        } else {
            "━".repeat(20)
        };
        let elapsed = self.start.elapsed().as_secs_f64();
        let time = if done {
            format!("{elapsed:.0}s")
        } else {
            let eta = self.step_time() * (self.steps - step) as f64;
            format!("{eta:.0}s")
        };
        format!(
            "{step:>width$}/{} {bar} {time} {}{}",
            self.steps,
            per_step(self.step_time()),
            values(logs)
        )
    }
}

fn values(logs: &Logs) -> String {
    logs.iter()
        .filter(|(n, _)| *n != "learning_rate")
        .map(|(n, v)| format!(" - {n}: {}", format_value(v)))
        .collect()
}
