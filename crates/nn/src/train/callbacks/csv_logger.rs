//! `CsvLogger`: each epoch's logs appended to a CSV file.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use tensor::Float;

use super::Callback;
use crate::train::{Logs, TrainContext};

/// Appends each epoch's logs to a CSV file (header written first).
#[doc(alias = "CSVLogger")]
#[derive(Clone, Debug)]
pub struct CsvLogger {
    path: PathBuf,
    header_written: bool,
}

impl CsvLogger {
    /// Logs to `path` (overwritten at train begin).
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CsvLogger {
            path: path.into(),
            header_written: false,
        }
    }
}

impl<T: Float> Callback<T> for CsvLogger {
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) {
        if let Err(e) = std::fs::write(&self.path, "") {
            ctx.print(format!(
                "CsvLogger: cannot write {}: {e}",
                self.path.display()
            ));
        }
        self.header_written = false;
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, T>) {
        let mut text = String::new();
        if !self.header_written {
            let names: Vec<&str> = logs.iter().map(|(n, _)| n).collect();
            text.push_str(&format!("epoch,{}\n", names.join(",")));
            self.header_written = true;
        }
        let values: Vec<String> = logs.iter().map(|(_, v)| v.to_string()).collect();
        text.push_str(&format!("{epoch},{}\n", values.join(",")));
        let result = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = result {
            ctx.print(format!(
                "CsvLogger: cannot write {}: {e}",
                self.path.display()
            ));
        }
    }
}
