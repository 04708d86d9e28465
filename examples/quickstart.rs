//! The study guide's workflow on the embedded diabetes data: split 80/20, standardize on
//! the training rows, Dense 64 → 64 → 1 with ReLU, MSE, Adam, batch 20, validation data,
//! and early stopping that restores the best weights.
//!
//! Run: `cargo run --release --example quickstart` (writes `loss.svg`).
//! `WENGERT_QUICK=1` runs 5 epochs (CI).

use std::time::Instant;

use wengert::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let started = Instant::now();

    // 1. Data: 442 patients, 10 raw features; the target is disease progression.
    let data = datasets::diabetes();
    let (train, test) = data.train_test_split(0.2, 42)?;
    // 2. Standardize with statistics of the training rows only (no leakage).
    let scaler = StandardScaler::fit(&train.x);
    let (x_train, x_test) = (scaler.transform(&train.x), scaler.transform(&test.x));
    println!(
        "train {} rows, test {} rows, {} features",
        train.len(),
        test.len(),
        x_train.shape()[1]
    );

    // 3. The model: Dense 64 → 64 → 1.
    let mut rng = StdRng::seed_from_u64(42);
    let net = Sequential::new()
        .add(Linear::new(10, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 1, &mut rng));
    println!("{}", net.summary());
    let mut model =
        Model::new(net, loss::Mse, Adam::new(1e-3)).metric(MeanAbsoluteError::default());

    // 4. Train until the validation loss stops improving.
    let epochs = if quick { 5 } else { 1000 };
    let history = model.fit(
        &x_train,
        &train.y,
        FitConfig::new()
            .epochs(epochs)
            .batch_size(20)
            .shuffle(true)
            .seed(42)
            .validation_data(&x_test, &test.y)
            .verbose(2)
            .callback(
                EarlyStopping::new("val_loss")
                    .patience(20)
                    .restore_best_weights(true),
            ),
    )?;

    // 5. Judge the result.
    let ran = history.len();
    match history.stopped_epoch {
        Some(e) => println!(
            "early stopping at epoch {} (best epoch {})",
            e + 1,
            history.best_epoch.unwrap_or(0) + 1
        ),
        None => println!("ran all {ran} epochs"),
    }
    let test_logs = model.evaluate(&x_test, &test.y)?;
    let mse = test_logs.get("loss").unwrap_or(f64::NAN);
    println!(
        "test MSE {mse:.1} (RMSE {:.1}), test MAE {:.1}",
        mse.sqrt(),
        test_logs.get("mae").unwrap_or(f64::NAN)
    );
    history.save_svg("loss.svg")?;
    println!(
        "wrote loss.svg; {ran} epochs in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
