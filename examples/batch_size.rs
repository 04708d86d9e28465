//! Batch size: the same model trained with batches of 1 (SGD), 20, 128 and the full
//! training set (batch GD). The study guide's claim: larger batches take less time per
//! epoch but learn less per epoch. Prints time per epoch, and the training loss (MSE on
//! all training rows) after N epochs and after T seconds.
//!
//! Checked at the end, in both modes: each epoch takes ⌈rows / batch⌉ steps; the training
//! MSE after N epochs rises strictly with the batch size (fewer updates per epoch learn
//! less per epoch); and an epoch of batch GD (1 step) is faster than an epoch of batch-1
//! SGD (353 steps) — compared by the fastest epoch of each run, about 40× apart, so the
//! timing check is loose. Between 20, 128 and all rows the time per epoch is about the
//! same (the per-row work dominates) and is not compared. The loss after T seconds is
//! printed, not checked (it depends on the machine's load). Measured (release, 2 cores,
//! 40 epochs): training MSE 2275, 2857, 17132 and 28878 for batches of 1, 20, 128 and
//! 353; 22 ms per epoch for batch 1 against 0.9–1.8 ms for the others.
//!
//! Run: `cargo run --release --example batch_size` (`WENGERT_QUICK=1`: 3 epochs, a 0.05 s
//! budget).

use std::time::Instant;

use wengert::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let (epochs, seconds) = if quick { (3, 0.05) } else { (40, 0.5) };
    let data = datasets::diabetes();
    let (train, _test) = data.train_test_split(0.2, 42)?;
    let scaler = StandardScaler::fit(&train.x);
    let x = scaler.transform(&train.x);
    let n = train.len();
    let build = || {
        let mut rng = StdRng::seed_from_u64(1);
        let net = Sequential::new()
            .add(Linear::new(10, 64, &mut rng))
            .add(Relu)
            .add(Linear::new(64, 64, &mut rng))
            .add(Relu)
            .add(Linear::new(64, 1, &mut rng));
        Model::new(net, loss::Mse, Adam::new(1e-3))
    };
    println!("{n} training rows; Dense 64 → 64 → 1, Adam(lr = 0.001)\n");
    println!(
        "{:<18} {:>8} {:>14} {:>22} {:>24}",
        "batch size",
        "steps",
        "ms / epoch",
        format!("train MSE after {epochs} ep."),
        format!("train MSE after {seconds} s")
    );
    // (batch size, steps per epoch, fastest epoch in s, training MSE after `epochs`).
    let mut results: Vec<(usize, usize, f64, f64)> = Vec::new();
    for (name, b) in [
        ("1 (SGD)", 1),
        ("20", 20),
        ("128", 128),
        (&*format!("{n} (batch GD)"), n),
    ] {
        // Loss after a fixed number of epochs.
        let mut model = build();
        let t = Instant::now();
        let h = model.fit(
            &x,
            &train.y,
            FitConfig::new().epochs(epochs).batch_size(b).verbose(0),
        )?;
        let per_epoch = t.elapsed().as_secs_f64() / epochs as f64;
        let fastest = h.epoch_times.iter().copied().fold(f64::INFINITY, f64::min);
        let after_epochs = model
            .evaluate(&x, &train.y)?
            .get("loss")
            .unwrap_or(f64::NAN);
        // Loss after a fixed amount of time: train epoch by epoch until the budget is used.
        let mut model = build();
        let t = Instant::now();
        let mut epoch = 0;
        while t.elapsed().as_secs_f64() < seconds {
            let one = FitConfig::new()
                .epochs(epoch + 1)
                .initial_epoch(epoch)
                .batch_size(b)
                .seed(epoch as u64)
                .verbose(0);
            model.fit(&x, &train.y, one)?;
            epoch += 1;
        }
        let last = model
            .evaluate(&x, &train.y)?
            .get("loss")
            .unwrap_or(f64::NAN);
        println!(
            "{name:<18} {:>8} {:>14.2} {:>22.1} {:>18.1} ({epoch} ep.)",
            n.div_ceil(b),
            per_epoch * 1e3,
            after_epochs,
            last
        );
        results.push((b, h.steps, fastest, after_epochs));
    }

    // The claim: fewer steps per epoch, less learning per epoch, and (loosely) less time.
    for &(b, steps, _, _) in &results {
        if steps != n.div_ceil(b) {
            return Err(format!("batch {b}: {steps} steps per epoch, not ⌈{n}/{b}⌉").into());
        }
    }
    for w in results.windows(2) {
        let ((b0, _, _, l0), (b1, _, _, l1)) = (w[0], w[1]);
        if l0.is_nan() || l1.is_nan() || l0 >= l1 {
            return Err(format!(
                "after {epochs} epochs batch {b1} should have learned less than batch {b0}: training MSE {l1:.1} against {l0:.1}"
            )
            .into());
        }
    }
    let (sgd, gd) = (results[0].2, results[results.len() - 1].2);
    println!(
        "fastest epoch: batch 1 {:.2} ms, batch {n} {:.2} ms; training MSE rises with the batch size",
        sgd * 1e3,
        gd * 1e3
    );
    if gd >= sgd {
        return Err(format!(
            "an epoch of batch GD ({:.2} ms) is not faster than one of batch-1 SGD ({:.2} ms)",
            gd * 1e3,
            sgd * 1e3
        )
        .into());
    }
    Ok(())
}
