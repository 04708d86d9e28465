//! Batch size: the same model trained with batches of 1 (SGD), 20, 128 and the full
//! training set (batch GD). The study guide's claim: larger batches take less time per
//! epoch but learn less per epoch. Prints time per epoch, and the training loss (MSE on
//! all training rows) after N epochs and after T seconds.
//!
//! Run: `cargo run --release --example batch_size`.

use std::time::Instant;

use wengert::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let (epochs, seconds) = if quick { (2, 0.05) } else { (40, 0.5) };
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
    for (name, b) in [
        ("1 (SGD)", 1),
        ("20", 20),
        ("128", 128),
        (&*format!("{n} (batch GD)"), n),
    ] {
        // Loss after a fixed number of epochs.
        let mut model = build();
        let t = Instant::now();
        model.fit(
            &x,
            &train.y,
            FitConfig::new().epochs(epochs).batch_size(b).verbose(0),
        )?;
        let per_epoch = t.elapsed().as_secs_f64() / epochs as f64;
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
    }
    Ok(())
}
