//! How fast `read_csv` streams a large numeric file: writes 1,000,000 rows × 20 columns to
//! a temporary file, reads it back into a `Dataset<f32>`, and prints MB/s and the peak
//! memory, which stays near the size of the tensors (the text is never held whole).
//!
//! Measured (release, 2 cores): 225 MB read in about 2 s (100–230 MB/s, depending on the
//! machine's load); the peak memory grows by about twice the tensors' size during the
//! read (149 MiB for 76 MiB of values: the values gathered, then split into features and
//! target), well under the 215 MiB of text.
//!
//! Checked at the end: every row and column was read; the values equal the ones written
//! (as the same decimal text parsed to f32) at the middle and last rows and every 1009th
//! (so the generator's multiplier `i % 997` varies from one checked row to the next); the
//! throughput is finite and positive (the time itself is not checked); and, where
//! `/proc/self/status` is readable, the peak memory grows by less than the file's size and
//! less than three times the tensors'.
//!
//! Run: `cargo run --release --example csv_throughput [rows]` (`WENGERT_QUICK=1`: 100,000
//! rows by default).

use std::io::{BufWriter, Write};
use std::time::Instant;

use wengert::prelude::*;

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let rows: usize = std::env::args()
        .nth(1)
        .map_or(Ok(if quick { 100_000 } else { 1_000_000 }), |a| a.parse())?;
    let cols = 20;
    let mut rng = StdRng::seed_from_u64(0);
    let noise = Tensor::<f32>::rand_normal(&[cols], 0.0, 1.0, &mut rng).to_vec();
    // The text of one value, as written: column j of row i.
    let text = |noise: &[f32], i: usize, j: usize| format!("{:.6}", noise[j] * (i % 997) as f32);
    let path = std::env::temp_dir().join(format!("wengert-throughput-{}.csv", std::process::id()));
    {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        let header: Vec<String> = (0..cols).map(|j| format!("feature_{j}")).collect();
        writeln!(out, "{}", header.join(","))?;
        for i in 0..rows {
            for j in 0..cols {
                let sep = if j + 1 == cols { "\n" } else { "," };
                write!(out, "{}{sep}", text(&noise, i, j))?;
            }
        }
    }
    let bytes = std::fs::metadata(&path)?.len() as f64;
    let rss_before = peak_rss_mb();
    let start = Instant::now();
    let data = data::read_csv::<f32>(&path, &data::CsvOptions::default())?;
    let secs = start.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    println!(
        "read {} x {} + {} target: {:.1} MB in {:.2} s = {:.0} MB/s",
        data.x.shape()[0],
        data.x.shape()[1],
        data.y.shape()[1],
        bytes / 1e6,
        secs,
        bytes / 1e6 / secs
    );
    let tensors_mb = (rows * cols * 4) as f64 / 1e6 / 1.048_576;
    let peak = rss_before.zip(peak_rss_mb());
    if let Some((before, after)) = peak {
        println!(
            "peak memory {before:.0} MB before the read, {after:.0} MB after \
             (the tensors hold {tensors_mb:.0} MB)"
        );
    }

    // The claims.
    let (shape_x, shape_y) = (data.x.shape().to_vec(), data.y.shape().to_vec());
    if shape_x != [rows, cols - 1] || shape_y != [rows, 1] {
        return Err(format!(
            "read x {shape_x:?} and y {shape_y:?}, expected [{rows}, {}] and [{rows}, 1]",
            cols - 1
        )
        .into());
    }
    let rate = bytes / 1e6 / secs;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(format!("throughput {rate} MB/s is not a positive number").into());
    }
    let (x, y) = (data.x.to_vec(), data.y.to_vec());
    let checked = (0..rows).filter(|&i| i % 1009 == 0 || i == rows / 2 || i + 1 == rows);
    for i in checked {
        for j in 0..cols {
            let read = if j + 1 < cols {
                x[i * (cols - 1) + j]
            } else {
                y[i]
            };
            let written: f32 = text(&noise, i, j).parse()?;
            if read != written {
                return Err(format!("row {i}, column {j}: read {read}, written {written}").into());
            }
        }
    }
    if let Some((before, after)) = peak {
        let grown = after - before;
        let file_mib = bytes / 1_048_576.0;
        if grown >= file_mib || grown >= 3.0 * tensors_mb {
            return Err(format!(
                "peak memory grew by {grown:.0} MB while reading a {file_mib:.0} MB file into \
                 {tensors_mb:.0} MB of tensors"
            )
            .into());
        }
    }
    Ok(())
}
