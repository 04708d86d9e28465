//! Overfitting, seen and stopped. A big network on a small noisy dataset: the training
//! loss keeps falling while the validation loss turns upward. Prints where early stopping
//! stops (patience mode and the study guide's trend mode) and a table of the best
//! validation loss with and without Dropout, BatchNorm, L2 and augmentation.
//!
//! Run: `cargo run --release --example overfitting` (writes `overfitting.svg`).

use wengert::nn::data::GaussianNoise;
use wengert::prelude::*;

const N: usize = 100;
const LR: f64 = 1e-3;
const H: usize = 128;

/// N noisy samples of a smooth curve in 8 dimensions (only two of them matter).
fn dataset(seed: u64) -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Tensor::<f32>::rand_uniform(&[N, 8], -1.0, 1.0, &mut rng);
    let signal = x.narrow(1, 0, 1).mul_scalar(3.0).tanh() + x.narrow(1, 1, 1).square();
    let noise = Tensor::<f32>::rand_normal(&[N, 1], 0.0, 0.3, &mut rng);
    (x, signal + noise)
}

#[derive(Clone, Copy)]
enum Variant {
    Plain,
    Dropout,
    BatchNorm,
    L2,
    Augment,
}

fn model(v: Variant) -> Model {
    let mut rng = StdRng::seed_from_u64(5);
    let reg = |l: Linear| {
        if matches!(v, Variant::L2) {
            l.with_regularizer(Regularizer::L2(1e-3))
        } else {
            l
        }
    };
    let mut net = Sequential::new().add(reg(Linear::new(8, H, &mut rng)));
    if matches!(v, Variant::BatchNorm) {
        net.push(BatchNorm1d::new(H));
    }
    net.push(Relu);
    if matches!(v, Variant::Dropout) {
        net.push(Dropout::new(0.5, 5));
    }
    net.push(reg(Linear::new(H, H, &mut rng)));
    net.push(Relu);
    if matches!(v, Variant::Dropout) {
        net.push(Dropout::new(0.5, 6));
    }
    net.push(Linear::new(H, 1, &mut rng));
    Model::new(net, loss::Mse, Adam::new(LR))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let epochs = if quick { 5 } else { 400 };
    let (x, y) = dataset(1);
    let (xv, yv) = dataset(2);
    let config = || {
        FitConfig::new()
            .epochs(epochs)
            .batch_size(10)
            .validation_data(&xv, &yv)
            .verbose(0)
            .seed(3)
    };

    // 1. No early stopping: watch validation loss turn upward.
    let h = model(Variant::Plain).fit(&x, &y, config())?;
    let (train, val) = (h.get("loss").unwrap(), h.get("val_loss").unwrap());
    let best = h.argmin("val_loss").unwrap_or(0);
    println!("without early stopping: best val_loss {:.4} at epoch {}, then {:.4} at epoch {} (training loss {:.4} → {:.4})",
        val[best], best + 1, val[val.len() - 1], val.len(), train[best], train[train.len() - 1]);
    std::fs::write("overfitting.svg", h.to_svg())?;

    // 2. Early stopping decides by itself.
    let patience = model(Variant::Plain).fit(
        &x,
        &y,
        config().callback(
            EarlyStopping::new("val_loss")
                .patience(20)
                .restore_best_weights(true),
        ),
    )?;
    let trend = model(Variant::Plain).fit(
        &x,
        &y,
        config().callback(
            EarlyStopping::new("val_loss")
                .trend(15, 0.0)
                .restore_best_weights(true),
        ),
    )?;
    for (name, h) in [
        ("patience 20", &patience),
        ("trend, last 15 epochs", &trend),
    ] {
        let best = h.best_epoch.unwrap_or(0);
        println!(
            "early stopping ({name}): stopped at epoch {}, restored best epoch {} (val_loss {:.4})",
            h.stopped_epoch
                .map_or("—".to_string(), |e| (e + 1).to_string()),
            best + 1,
            h.get("val_loss").unwrap()[best]
        );
    }

    // 3. Regularizers against overfitting: best validation loss, and where it was reached.
    println!(
        "\n{:<28} {:>14} {:>10} {:>16}",
        "variant", "best val_loss", "at epoch", "final val_loss"
    );
    for (name, v) in [
        ("plain", Variant::Plain),
        ("Dropout 0.5", Variant::Dropout),
        ("BatchNorm", Variant::BatchNorm),
        ("L2 1e-3", Variant::L2),
        ("augmentation (noise 0.05)", Variant::Augment),
    ] {
        let mut cfg = config();
        if matches!(v, Variant::Augment) {
            cfg = cfg.augment(GaussianNoise::new(0.05, 9));
        }
        let h = model(v).fit(&x, &y, cfg)?;
        let val = h.get("val_loss").unwrap();
        let best = h.argmin("val_loss").unwrap_or(0);
        println!(
            "{name:<28} {:>14.4} {:>10} {:>16.4}",
            val[best],
            best + 1,
            val[val.len() - 1]
        );
    }
    println!("\nwrote overfitting.svg (training against validation loss; best epoch marked)");
    Ok(())
}
