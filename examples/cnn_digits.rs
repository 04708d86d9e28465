//! A convolutional network on the embedded digits (8×8 images, 10 classes), compared
//! with the MLP of `examples/classification.rs` on the same stratified split.
//!
//! The workflow of the study guide: split (stratified 80/20, seed 7 as the MLP example),
//! scale the pixels with a range known in advance (0..16 → 0..1, one factor for every
//! pixel so the image keeps its shape; nothing is fitted on test rows), hold out the last
//! 10% of the training rows for validation, train with early stopping on `val_loss`
//! (patience 12, restoring the best weights) and a learning rate halved after 4 epochs
//! without improvement, augment training batches with one-pixel shifts, then report test
//! accuracy. Measured (release, 2 cores shared with other builds): CNN 0.9861, 0.9750,
//! 0.9861, 0.9889, 0.9917 for seeds 0–4 (median 0.9861, 355 of 360 images; 11–25 s per
//! seed) against the MLP's median 0.9694 (an earlier version of this comment gave a median
//! of 0.9889, which the current code does not reproduce). The 0.985 floor is one image
//! below that median. Full mode trains seeds 0–4 and checks the median CNN accuracy is at
//! least 0.985 and more than a point above the MLP's median; it writes `cnn_digits.svg`
//! (the seed-0 learning curves).
//!
//! Run: `cargo run --release --example cnn_digits` (`WENGERT_QUICK=1`: one seed, three
//! epochs for both models; checks the CNN reaches 0.90 and is not behind the MLP.
//! Measured: CNN 0.9528, MLP 0.9389, about 1.4 s in release).

use wengert::nn::data::{RandomShift, SplitOptions};
use wengert::prelude::*;

/// Conv 1→16 3×3 → BN → ReLU → Conv 16→32 3×3 → BN → ReLU → MaxPool 2 (4×4) →
/// Conv 32→64 3×3 → ReLU → MaxPool 2 (2×2) → Flatten (256) → Dropout 0.3 → Linear 256→10.
fn cnn(seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Conv2d::builder(1, 16, 3).padding(1).build2d(&mut rng))
        .add(BatchNorm2d::new(16))
        .add(Relu)
        .add(Conv2d::builder(16, 32, 3).padding(1).build2d(&mut rng))
        .add(BatchNorm2d::new(32))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(Conv2d::builder(32, 64, 3).padding(1).build2d(&mut rng))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(Flatten)
        .add(Dropout::new(0.3, seed))
        .add(Linear::new(256, 10, &mut rng))
}

/// The MLP of `examples/classification.rs`: Dense 64 → 128 → 64 → 10.
fn mlp(seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Linear::new(64, 128, &mut rng))
        .add(Relu)
        .add(Linear::new(128, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 10, &mut rng))
}

/// Trains `net` and returns (test accuracy, history).
#[allow(clippy::too_many_arguments)]
fn train(
    net: Sequential,
    x: &Tensor,
    y: &Tensor,
    x_test: &Tensor,
    y_test: &Tensor,
    epochs: usize,
    seed: u64,
    images: bool,
) -> Result<(f64, History), Box<dyn std::error::Error>> {
    let mut model = Model::new(
        net,
        loss::CrossEntropy,
        Adam::new(if images { 3e-3 } else { 1e-3 }),
    )
    .metric(Accuracy::default());
    let mut config = FitConfig::new()
        .epochs(epochs)
        .batch_size(32)
        .validation_split(0.1)
        .seed(seed)
        .verbose(0)
        .callback(ReduceLrOnPlateau::new("val_loss").factor(0.5).patience(4))
        .callback(
            EarlyStopping::new("val_loss")
                .patience(12)
                .restore_best_weights(true),
        );
    if images {
        config = config.augment(RandomShift::new(1, seed));
    }
    let history = model.fit(x, y, config)?;
    let accuracy = model
        .evaluate(x_test, y_test)?
        .get("accuracy")
        .unwrap_or(0.0);
    Ok((accuracy, history))
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let data = datasets::digits();
    let (train_set, test_set) = data.train_test_split_with(SplitOptions {
        stratify: true,
        ..SplitOptions::new(0.2, 7)
    })?;
    // Pixels are 0..16 by construction of the dataset: one fixed factor scales them to
    // 0..1 (a per-pixel scaler would distort the image the convolutions look at).
    let scale = |x: &Tensor| x.mul_scalar(1.0 / 16.0);
    let as_images = |x: &Tensor| x.reshape(&[-1, 1, 8, 8]);
    let (x_train, x_test) = (scale(&train_set.x), scale(&test_set.x));
    let (img_train, img_test) = (as_images(&x_train), as_images(&x_test));
    // The MLP gets the classification example's standardized pixels.
    let scaler = StandardScaler::fit(&train_set.x);
    let (flat_train, flat_test) = (
        scaler.transform(&train_set.x),
        scaler.transform(&test_set.x),
    );

    let seeds: Vec<u64> = if quick { vec![0] } else { (0..5).collect() };
    let (cnn_epochs, mlp_epochs) = if quick { (3, 3) } else { (60, 30) };
    let (mut cnn_acc, mut mlp_acc) = (Vec::new(), Vec::new());
    println!("{}", cnn(0).summary_for(&[1, 8, 8]));
    println!("seed  CNN test acc  epochs  s     MLP test acc");
    for &seed in &seeds {
        let started = std::time::Instant::now();
        let (acc, history) = train(
            cnn(seed),
            &img_train,
            &train_set.y,
            &img_test,
            &test_set.y,
            cnn_epochs,
            seed,
            true,
        )?;
        let secs = started.elapsed().as_secs_f64();
        let (m, _) = train(
            mlp(seed),
            &flat_train,
            &train_set.y,
            &flat_test,
            &test_set.y,
            mlp_epochs,
            seed,
            false,
        )?;
        println!(
            "{seed:>4}  {acc:>12.4}  {:>6}  {secs:<5.1} {m:>12.4}",
            history.len()
        );
        if seed == seeds[0] {
            history.save_svg("cnn_digits.svg")?;
        }
        cnn_acc.push(acc);
        mlp_acc.push(m);
    }
    let (c, m) = (median(&cnn_acc), median(&mlp_acc));
    println!(
        "median test accuracy on {} images: CNN {c:.4}, MLP {m:.4}\nwrote cnn_digits.svg",
        test_set.len()
    );
    let floor = if quick { 0.90 } else { 0.985 };
    if c < floor {
        return Err(format!("median CNN test accuracy {c:.4} is below {floor}").into());
    }
    // After as many epochs as the MLP (quick mode) the CNN must not be behind; trained to
    // early stopping (full mode) it must be more than a point ahead.
    let lead = if quick { 0.0 } else { 0.01 };
    if c - m < lead {
        return Err(format!(
            "median CNN test accuracy {c:.4} is not {lead} above the MLP's {m:.4}"
        )
        .into());
    }
    Ok(())
}
