//! TensorBoard event files (`events.out.tfevents.*`), written by hand: the format is small.
//!
//! A file is a sequence of TFRecords — `u64` length (little-endian), the masked CRC-32C of
//! those 8 bytes, the payload, the masked CRC-32C of the payload — whose payloads are
//! protobuf `Event` messages (`tensorflow/core/util/event.proto`): the first holds
//! `file_version = "brain.Event:2"`, the others a `Summary` of scalar values or
//! histograms at a step. Only the fields written here are encoded:
//!
//! | message | field | number, wire type |
//! |---|---|---|
//! | `Event` | `wall_time` (double), `step` (int64), `file_version` (string), `summary` | 1 fixed64, 2 varint, 3 bytes, 5 bytes |
//! | `Summary` | `value` (repeated) | 1 bytes |
//! | `Summary.Value` | `tag` (string), `simple_value` (float), `histo` | 1 bytes, 2 fixed32, 5 bytes |
//! | `HistogramProto` | `min`, `max`, `num`, `sum`, `sum_squares` (double), `bucket_limit`, `bucket` (packed doubles) | 1–5 fixed64, 6–7 bytes |

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bitwise.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// TFRecord's masked CRC: rotate right by 15, add a constant.
fn masked_crc(data: &[u8]) -> u32 {
    crc32c(data).rotate_right(15).wrapping_add(0xA282_EAD8)
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn double_field(out: &mut Vec<u8>, field: u32, v: f64) {
    key(out, field, 1);
    out.extend_from_slice(&v.to_le_bytes());
}

/// A histogram of `values` with `buckets` equal-width buckets (TensorBoard's
/// `HistogramProto`: each bucket's right edge in `bucket_limit`, its count in `bucket`).
fn histogram(values: &[f64], buckets: usize) -> Vec<u8> {
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (min, max) = if values.is_empty() {
        (0.0, 0.0)
    } else {
        (min, max)
    };
    let width = (max - min) / buckets as f64;
    let mut counts = vec![0.0; buckets];
    for &v in values {
        let i = if width > 0.0 {
            (((v - min) / width) as usize).min(buckets - 1)
        } else {
            0
        };
        counts[i] += 1.0;
    }
    let limits: Vec<f64> = (1..=buckets)
        .map(|i| {
            if width > 0.0 {
                min + width * i as f64
            } else {
                max
            }
        })
        .collect();
    let mut out = Vec::new();
    double_field(&mut out, 1, min);
    double_field(&mut out, 2, max);
    double_field(&mut out, 3, values.len() as f64);
    double_field(&mut out, 4, values.iter().sum());
    double_field(&mut out, 5, values.iter().map(|v| v * v).sum());
    let packed = |xs: &[f64]| xs.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    bytes_field(&mut out, 6, &packed(&limits));
    bytes_field(&mut out, 7, &packed(&counts));
    out
}

/// One summary value.
#[derive(Clone, Debug)]
pub enum SummaryValue<'a> {
    /// A scalar (shown in TensorBoard's Scalars tab).
    Scalar(f64),
    /// The values of a tensor, summarized into a 30-bucket histogram (Histograms tab).
    Histogram(&'a [f64]),
}

/// Writes one event file, creating its directory.
///
/// ```
/// use nn::io::{EventWriter, SummaryValue};
/// let dir = std::env::temp_dir().join(format!("doc-tb-{}", std::process::id()));
/// let mut w = EventWriter::create(&dir).unwrap();
/// w.write(3, &[("epoch_loss", SummaryValue::Scalar(0.25))]).unwrap();
/// w.flush().unwrap();
/// assert!(w.path().file_name().unwrap().to_str().unwrap().starts_with("events.out.tfevents."));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct EventWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl EventWriter {
    /// A new file `events.out.tfevents.{seconds}.{host}.{pid}.{n}` in `dir` (PyTorch's
    /// `SummaryWriter` names, `n` counting the writers this process opened, so two runs
    /// in the same second never share a file), starting with the file-version event.
    ///
    /// # Errors
    /// If the directory or the file cannot be created or written, or the file exists
    /// already (it is never truncated).
    pub fn create(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_string());
        static WRITERS: AtomicU64 = AtomicU64::new(0);
        let path = dir.join(format!(
            "events.out.tfevents.{}.{host}.{}.{}",
            now as u64,
            std::process::id(),
            WRITERS.fetch_add(1, Ordering::Relaxed)
        ));
        let mut writer = EventWriter {
            out: BufWriter::new(File::create_new(&path)?),
            path,
        };
        let mut event = Vec::new();
        double_field(&mut event, 1, now);
        bytes_field(&mut event, 3, b"brain.Event:2");
        writer.record(&event)?;
        Ok(writer)
    }

    /// The file being written.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn record(&mut self, payload: &[u8]) -> std::io::Result<()> {
        let len = (payload.len() as u64).to_le_bytes();
        self.out.write_all(&len)?;
        self.out.write_all(&masked_crc(&len).to_le_bytes())?;
        self.out.write_all(payload)?;
        self.out.write_all(&masked_crc(payload).to_le_bytes())
    }

    /// Writes one event at `step` holding `values` by tag.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn write(&mut self, step: i64, values: &[(&str, SummaryValue<'_>)]) -> std::io::Result<()> {
        let mut summary = Vec::new();
        for (tag, value) in values {
            let mut v = Vec::new();
            bytes_field(&mut v, 1, tag.as_bytes());
            match value {
                SummaryValue::Scalar(x) => {
                    key(&mut v, 2, 5);
                    v.extend_from_slice(&(*x as f32).to_le_bytes());
                }
                SummaryValue::Histogram(xs) => bytes_field(&mut v, 5, &histogram(xs, 30)),
            }
            bytes_field(&mut summary, 1, &v);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let mut event = Vec::new();
        double_field(&mut event, 1, now);
        key(&mut event, 2, 0);
        varint(&mut event, step as u64);
        bytes_field(&mut event, 5, &summary);
        self.record(&event)
    }

    /// Flushes buffered events to the file.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_published_check_values() {
        // RFC 3720, appendix B.4: 32 bytes of zeros, of 0xFF, and 0..31.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xFFu8; 32]), 0x62A8_AB43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(crc32c(&ascending), 0x46DD_794E);
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn varints_follow_protobuf() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xAC, 0x02]);
    }
}
