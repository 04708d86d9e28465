//! Behaviours that used to be asserted only by "it ran": what ModelCheckpoint's
//! save_best_only writes, that LambdaCallback is called, what an auto-mode monitor
//! records, the L1/L1L2 penalties and their gradients, and multi-parameter clipping.

use std::sync::{Arc, Mutex};

use autograd::{Param, Tape};
use nn::io::load_weights;
use nn::loss::Mse;
use nn::optim::{clip_grad_norm, Adam};
use nn::train::{
    EarlyStopping, FitConfig, LambdaCallback, Logs, MeanAbsoluteError, ModelCheckpoint,
    TrainContext, Weights,
};
use nn::{Linear, Model, Module, Regularizer, Relu, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn net(seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Linear::new(2, 8, &mut rng))
        .add(Relu)
        .add(Linear::new(8, 1, &mut rng))
}

fn data() -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = StdRng::seed_from_u64(4);
    let x = Tensor::<f32>::rand_uniform(&[64, 2], -1.0, 1.0, &mut rng);
    let y = x.matmul(&Tensor::from([[1.0], [-1.0]])).map(|v| v * v);
    (x, y)
}

/// An epoch as the callback saw it: number, val_loss, weights.
type Epoch = (usize, f64, Weights<f32>);

/// The file save_best_only leaves holds the weights of the epoch with the lowest
/// val_loss (the first, on ties), and the LambdaCallback ran once per epoch, in order.
#[test]
fn save_best_only_keeps_the_best_epochs_weights() {
    let (x, y) = data();
    let dir = std::env::temp_dir().join(format!("wengert-best-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("best.safetensors");
    let seen: Arc<Mutex<Vec<Epoch>>> = Arc::default();
    let record = seen.clone();
    let mut model = Model::new(net(0), Mse, Adam::new(0.05));
    model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(12)
                .batch_size(16)
                .validation_split(0.25)
                .verbose(0)
                .callback(ModelCheckpoint::new(path.to_str().unwrap()).save_best_only(true))
                .callback(LambdaCallback::new(
                    move |epoch: usize, logs: &Logs, ctx: &mut TrainContext<'_, f32>| {
                        let v = logs.get("val_loss").unwrap();
                        record.lock().unwrap().push((epoch, v, ctx.weights()));
                    },
                )),
        )
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.iter().map(|(e, ..)| *e).collect::<Vec<_>>(),
        (0..12).collect::<Vec<_>>()
    );
    let best = seen
        .iter()
        .fold(None::<&Epoch>, |b, e| match b {
            Some(b) if b.1 <= e.1 => Some(b),
            _ => Some(e),
        })
        .unwrap();
    assert!(best.0 > 0, "the run should improve after epoch 0");
    let fresh = net(9);
    load_weights(&fresh, &path).unwrap();
    assert_eq!(fresh.state_dict(), best.2, "best epoch {}", best.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// In mode auto, a metric's own direction decides: MAE is lower-is-better. The History
/// records the monitored name, its direction and the best epoch (that of the lowest
/// val_mae).
#[test]
fn auto_mode_takes_the_direction_of_the_monitored_metric() {
    let (x, y) = data();
    let mut model = Model::new(net(1), Mse, Adam::new(0.05)).metric(MeanAbsoluteError::default());
    let h = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(15)
                .validation_split(0.25)
                .verbose(0)
                .callback(EarlyStopping::new("val_mae").patience(100)),
        )
        .unwrap();
    assert_eq!(h.monitor.as_deref(), Some("val_mae"));
    assert!(!h.monitor_higher_is_better);
    let mae = h.get("val_mae").unwrap();
    let lowest = (0..mae.len()).fold(0, |b, i| if mae[i] < mae[b] { i } else { b });
    assert_eq!(h.best_epoch, Some(lowest));
}

/// `L1(a)`: a·Σ|w|, gradient a·sign(w); `L1L2(a, b)`: a·Σ|w| + b·Σw², gradient
/// a·sign(w) + 2b·w; `L2(b)`: b·Σw².
#[test]
fn l1_and_l1l2_penalties_follow_their_formulas() {
    let w = [0.5, -2.0, 1.5, -0.25];
    let (a, b) = (0.03, 0.2);
    let abs: f64 = w.iter().map(|v: &f64| v.abs()).sum();
    let sq: f64 = w.iter().map(|v| v * v).sum();
    for (r, value, grad) in [
        (Regularizer::L1(a), a * abs, w.map(|v: f64| a * v.signum())),
        (Regularizer::L2(b), b * sq, w.map(|v| 2.0 * b * v)),
        (
            Regularizer::L1L2(a, b),
            a * abs + b * sq,
            w.map(|v: f64| a * v.signum() + 2.0 * b * v),
        ),
    ] {
        let tape = Tape::new();
        let p = Param::new("w", Tensor::from(w));
        let v = tape.param(&p);
        let penalty = r.penalty(v);
        assert!((penalty.item() - value).abs() < 1e-15, "{r:?}");
        let grads = penalty.backward();
        let got = grads[&p].to_vec();
        for i in 0..4 {
            assert!((got[i] - grad[i]).abs() < 1e-15, "{r:?} entry {i}");
        }
    }
}

/// clip_grad_norm scales every parameter's gradient by the same factor
/// max_norm / (‖g‖ + 1e-6), ‖g‖ the norm over all of them together, and returns ‖g‖.
#[test]
fn clip_grad_norm_uses_the_global_norm_across_parameters() {
    let p1 = Param::new("a", Tensor::from([3.0f64, 0.0]));
    let p2 = Param::new("b", Tensor::from([[0.0f64], [4.0]]));
    let p3 = Param::new("c", Tensor::from([12.0f64]));
    let tape = Tape::new();
    // ½Σx² for each: the gradients are the values, so ‖g‖ = √(9 + 16 + 144) = 13.
    let loss = (tape.param(&p1).square().sum_all()
        + tape.param(&p2).square().sum_all()
        + tape.param(&p3).square().sum_all())
        * 0.5;
    let mut grads = loss.backward();
    let norm = clip_grad_norm(&mut grads, 6.5);
    assert_eq!(norm, 13.0);
    let scale = 6.5 / (13.0 + 1e-6);
    assert_eq!(grads[&p1].to_vec(), vec![3.0 * scale, 0.0]);
    assert_eq!(grads[&p2].to_vec(), vec![0.0, 4.0 * scale]);
    assert_eq!(grads[&p3].to_vec(), vec![12.0 * scale]);
    // Below the bound nothing changes.
    let mut grads = loss.backward();
    assert_eq!(clip_grad_norm(&mut grads, 20.0), 13.0);
    assert_eq!(grads[&p3].to_vec(), vec![12.0]);
}
