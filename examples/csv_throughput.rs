//! How fast `read_csv` streams a large numeric file: writes 1,000,000 rows × 20 columns to
//! a temporary file, reads it back into a `Dataset<f32>`, and prints MB/s and the peak
//! memory, which stays near the size of the tensors (the text is never held whole).
//!
//! Run: `cargo run --release --example csv_throughput [rows]`.

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
    let rows: usize = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |a| a.parse())?;
    let cols = 20;
    let path = std::env::temp_dir().join(format!("wengert-throughput-{}.csv", std::process::id()));
    {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        let header: Vec<String> = (0..cols).map(|j| format!("feature_{j}")).collect();
        writeln!(out, "{}", header.join(","))?;
        let mut rng = StdRng::seed_from_u64(0);
        let noise = Tensor::<f32>::rand_normal(&[cols], 0.0, 1.0, &mut rng).to_vec();
        for i in 0..rows {
            for (j, v) in noise.iter().enumerate() {
                let sep = if j + 1 == cols { "\n" } else { "," };
                write!(out, "{:.6}{sep}", v * (i % 997) as f32)?;
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
    if let (Some(before), Some(after)) = (rss_before, peak_rss_mb()) {
        println!(
            "peak memory {before:.0} MB before the read, {after:.0} MB after \
             (the tensors hold {:.0} MB)",
            (rows * cols * 4) as f64 / 1e6 / 1.048_576
        );
    }
    Ok(())
}
