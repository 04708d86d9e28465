//! Overfitting, seen and stopped. A big network on a small noisy dataset: the training
//! loss keeps falling while the validation loss turns upward. Prints where early stopping
//! stops (patience mode and the study guide's trend mode) and a table of the best
//! validation loss with and without Dropout, BatchNorm, L2 and augmentation.
//!
//! Checked at the end: without early stopping the validation loss bottoms out early and
//! ends at least 10 % above its minimum while the training loss ends below a tenth of its
//! value at that minimum (quick mode, 40 epochs: 5 % above, and below a fifth); both early
//! stopping rules stop before the last epoch, at the same best epoch as the plain run (the
//! callback does not change the trajectory), patience exactly 20 epochs after it, and the
//! restored model's validation loss is that best value; Dropout and L2 reach their best
//! validation loss later than the plain model (they slow the overfitting). Quick mode
//! measured: 0.176 at epoch 10 → 0.195 at epoch 40, training loss 0.10 → 0.008; Dropout's
//! best at epoch 23, L2's at 21.
//!
//! Measured (release, 400 epochs): the plain model's validation loss is lowest at epoch 10
//! (0.176) and ends at 0.205 while its training loss falls from 0.10 to 0.0002; patience
//! 20 stops at epoch 30, the trend rule at 23, both restoring epoch 10. The regularizers do
//! not lower the best validation loss much here — Dropout 0.175 (epoch 87), augmentation
//! 0.177 (epoch 10), L2 0.194 (epoch 364), BatchNorm 0.197 (epoch 7) against 0.176 — but
//! Dropout and L2 move the best epoch later, and L2 and augmentation end lower than the
//! plain model after 400 epochs (0.200 against 0.205): with early stopping, the plain
//! model is as good as any of them on this data.
//!
//! Run: `cargo run --release --example overfitting` (writes `overfitting.svg`;
//! `WENGERT_QUICK=1`: 40 epochs).

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
    let epochs = if quick { 40 } else { 400 };
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
    let (rise, fall) = if quick { (1.05, 0.2) } else { (1.1, 0.1) };
    let (last_val, last_train) = (val[val.len() - 1], train[train.len() - 1]);
    if last_val.is_nan() || last_val < rise * val[best] || last_train >= fall * train[best] {
        return Err(format!(
            "no overfitting: val_loss {:.4} (epoch {}) → {last_val:.4} (required ≥ {rise} ×), \
             training loss {:.4} → {last_train:.4} (required < {fall} ×)",
            val[best],
            best + 1,
            train[best]
        )
        .into());
    }

    // 2. Early stopping decides by itself.
    let mut patient = model(Variant::Plain);
    let patience = patient.fit(
        &x,
        &y,
        config().callback(
            EarlyStopping::new("val_loss")
                .patience(20)
                .restore_best_weights(true),
        ),
    )?;
    let mut trending = model(Variant::Plain);
    let trend = trending.fit(
        &x,
        &y,
        config().callback(
            EarlyStopping::new("val_loss")
                .trend(15, 0.0)
                .restore_best_weights(true),
        ),
    )?;
    let plain_best = best;
    for (name, h, m) in [
        ("patience 20", &patience, &mut patient),
        ("trend, last 15 epochs", &trend, &mut trending),
    ] {
        let best = h.best_epoch.unwrap_or(0);
        let best_val = h.get("val_loss").unwrap()[best];
        println!(
            "early stopping ({name}): stopped at epoch {}, restored best epoch {} (val_loss {best_val:.4})",
            h.stopped_epoch
                .map_or("—".to_string(), |e| (e + 1).to_string()),
            best + 1,
        );
        let restored = m.evaluate(&xv, &yv)?.get("loss").unwrap_or(f64::NAN);
        let stopped = h.stopped_epoch.filter(|&e| e + 1 < epochs);
        let right_stop = name != "patience 20" || stopped == Some(best + 20);
        if stopped.is_none()
            || !right_stop
            || h.best_epoch != Some(plain_best)
            || restored.is_nan()
            || (restored - best_val).abs() > 1e-4 * best_val
        {
            return Err(format!(
                "early stopping ({name}): stopped at {:?}, best epoch {:?} (plain run's minimum: {plain_best}), \
                 restored val_loss {restored:.5} against the best {best_val:.5} (0-based epochs)",
                h.stopped_epoch, h.best_epoch
            )
            .into());
        }
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
        if matches!(v, Variant::Dropout | Variant::L2) && best <= plain_best {
            return Err(format!(
                "{name}: best val_loss at epoch {}, not later than the plain model's {}",
                best + 1,
                plain_best + 1
            )
            .into());
        }
    }
    println!("\nwrote overfitting.svg (training against validation loss; best epoch marked)");
    Ok(())
}
