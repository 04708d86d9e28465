//! The training loop: convergence, Keras' validation split, early stopping on scripted
//! sequences, ReduceLROnPlateau, checkpoints, determinism, progress output, NaN handling
//! and input errors.

use std::sync::{Arc, Mutex};

use autograd::{Param, Tape, Var};
use nn::io::{load_weights, save_weights, WeightsError};
use nn::loss::{CrossEntropy, Loss, Mse};
use nn::optim::{Adam, Sgd};
use nn::train::{
    Accuracy, Callback, EarlyStopping, FitConfig, LambdaCallback, Logs, Mode, ModelCheckpoint,
    Output, ReduceLrOnPlateau, TrainContext, TrainError,
};
use nn::{Linear, Model, Module, Named, Regularizer, Relu, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn regression_data() -> (Tensor<f32>, Tensor<f32>) {
    // y = 3x₀ − 2x₁ + 0.5
    let mut rng = StdRng::seed_from_u64(1);
    let x = Tensor::<f32>::rand_uniform(&[128, 2], -1.0, 1.0, &mut rng);
    let y = x.matmul(&Tensor::from([[3.0], [-2.0]])).add_scalar(0.5);
    (x, y)
}

fn small_net(seed: u64, inputs: usize, outputs: usize) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Linear::new(inputs, 16, &mut rng))
        .add(Relu)
        .add(Linear::new(16, outputs, &mut rng))
}

#[test]
fn regression_and_classification_converge() {
    let (x, y) = regression_data();
    let mut model = Model::new(small_net(0, 2, 1), Mse, Adam::new(0.02));
    let h = model
        .fit(
            &x,
            &y,
            FitConfig::new().epochs(150).batch_size(16).verbose(0),
        )
        .unwrap();
    let loss = h.get("loss").unwrap();
    assert!(loss.last().unwrap() < &0.01, "final loss {:?}", loss.last());
    assert!(loss[0] > 10.0 * loss.last().unwrap());
    // Two Gaussian blobs: label = x₀ + x₁ > 0.
    let mut rng = StdRng::seed_from_u64(2);
    let xc = Tensor::<f32>::rand_uniform(&[200, 2], -1.0, 1.0, &mut rng);
    let yc = xc.sum(1, false).gt_scalar(0.0);
    let mut clf =
        Model::new(small_net(1, 2, 2), CrossEntropy, Adam::new(0.02)).metric(Accuracy::default());
    let h = clf
        .fit(
            &xc,
            &yc,
            FitConfig::new().epochs(60).batch_size(20).verbose(0),
        )
        .unwrap();
    assert!(h.get("accuracy").unwrap().last().unwrap() > &0.95);
    // Keras' `history.history.keys()`: the loss, the metrics, then the learning rate.
    assert_eq!(
        h.keys().collect::<Vec<_>>(),
        ["loss", "accuracy", "learning_rate"]
    );
    let logs = clf.evaluate(&xc, &yc).unwrap();
    assert!(logs.get("accuracy").unwrap() > 0.95);
    assert_eq!(clf.predict(&xc).unwrap().shape(), &[200, 2]);
    assert_eq!(
        clf.predict(&Tensor::zeros(&[0, 2])).unwrap().shape(),
        &[0, 2]
    );
}

/// A model that can memorize: one free parameter per row (the row index is the input,
/// one-hot), so training rows reach ~0 loss while unseen rows stay at their start.
struct Lookup {
    table: Param<f32>,
}

impl Module<f32> for Lookup {
    fn forward<'t>(&self, x: Var<'t, f32>) -> Var<'t, f32> {
        x.matmul(x.tape().param(&self.table))
    }
    fn parameters(&self) -> Vec<Named<'_, f32>> {
        vec![("table".into(), &self.table)]
    }
}

#[test]
fn rows_held_out_by_validation_split_are_never_trained_on() {
    let n = 10;
    let x = Tensor::<f32>::eye(n);
    let y = Tensor::<f32>::ones(&[n, 1]);
    let lookup = Lookup {
        table: Param::new("table", Tensor::zeros(&[n, 1])),
    };
    let mut model = Model::new(lookup, Mse, Sgd::new(0.5));
    // Keras: split_at = floor(10 · 0.7) = 7, so rows 7, 8, 9 validate.
    let h = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(50)
                .batch_size(2)
                .validation_split(0.3)
                .verbose(0),
        )
        .unwrap();
    let table = model.module().parameters()[0].1.value().to_vec();
    assert!(
        table[..7].iter().all(|&v| (v - 1.0).abs() < 1e-3),
        "trained rows learned: {table:?}"
    );
    assert_eq!(
        &table[7..],
        &[0.0, 0.0, 0.0],
        "validation rows were never trained on"
    );
    assert_eq!(h.get("val_loss").unwrap().last(), Some(&1.0));
    assert_eq!(h.steps, 4); // ceil(7 / 2)
}

#[test]
fn validation_split_sizes_follow_keras() {
    for (n, f, train) in [(10usize, 0.25, 7usize), (10, 0.1, 9), (5, 0.1, 4)] {
        let x = Tensor::<f32>::eye(n);
        let y = Tensor::<f32>::ones(&[n, 1]);
        let mut model = Model::new(
            Lookup {
                table: Param::new("t", Tensor::zeros(&[n, 1])),
            },
            Mse,
            Sgd::new(0.1),
        );
        let h = model
            .fit(
                &x,
                &y,
                FitConfig::new()
                    .epochs(1)
                    .batch_size(1)
                    .validation_split(f)
                    .verbose(0),
            )
            .unwrap();
        assert_eq!(h.steps, train, "n={n}, split={f}");
    }
}

/// A callback that writes a scripted value for `val_loss` into the epoch logs of an
/// `EarlyStopping` it drives by hand, so the stopping rules can be checked on exact
/// sequences.
fn run_script(
    stop: EarlyStopping,
    values: &[f64],
) -> (Option<usize>, usize, Vec<String>, Vec<f32>) {
    let mut rng = StdRng::seed_from_u64(0);
    let mut module = Linear::<f32>::new(1, 1, &mut rng);
    let mut opt = Sgd::new(0.1);
    let mut stop = stop;
    let mut ctx = TrainContext::new(&mut module, &mut opt);
    stop.on_train_begin(&mut ctx);
    for (epoch, &v) in values.iter().enumerate() {
        // Mark the weights with the epoch number, to see which epoch gets restored.
        ctx.module().parameters()[0]
            .1
            .set(Tensor::from([[epoch as f32]]));
        let mut logs = Logs::new();
        logs.set("val_loss", v);
        logs.set("val_accuracy", -v);
        stop.on_epoch_end(epoch, &logs, &mut ctx);
        if ctx.stop_requested() {
            break;
        }
    }
    stop.on_train_end(&mut ctx);
    let weight = ctx.module().parameters()[0].1.value().to_vec();
    let messages = ctx.messages().to_vec();
    (stop.stopped_epoch(), stop.best_epoch(), messages, weight)
}

#[test]
fn early_stopping_follows_keras_rules_exactly() {
    // 1. patience 2: stops at epoch index 3; "Epoch 4: early stopping".
    let (stopped, best, msgs, _) = run_script(
        EarlyStopping::new("val_loss").patience(2),
        &[1.0, 0.9, 0.95, 0.94, 0.93],
    );
    assert_eq!((stopped, best), (Some(3), 1));
    assert!(msgs.contains(&"Epoch 4: early stopping".to_string()));
    // 2. min_delta 0.05: 0.96 is not an improvement over 1.0, 0.90 is.
    let (stopped, best, ..) = run_script(
        EarlyStopping::new("val_loss").min_delta(0.05).patience(5),
        &[1.0, 0.96, 0.90],
    );
    assert_eq!((stopped, best), (None, 2));
    // 3. patience 0: stops at the first non-improving epoch with index ≥ 1.
    let (stopped, ..) = run_script(EarlyStopping::new("val_loss"), &[1.0, 1.0, 0.5]);
    assert_eq!(stopped, Some(1));
    let (stopped, ..) = run_script(EarlyStopping::new("val_loss"), &[1.0]);
    assert_eq!(stopped, None, "epoch 0 never stops");
    // 4. baseline 0.5 never beaten: the wait is never reset; stop at the first
    //    non-improving epoch once wait ≥ patience.
    let (stopped, best, ..) = run_script(
        EarlyStopping::new("val_loss").baseline(0.5).patience(2),
        &[0.8, 0.7, 0.6, 0.65, 0.6],
    );
    assert_eq!((stopped, best), (Some(3), 2));
    // 5. restore_best_weights without an early stop: the best epoch's weights come back.
    let (stopped, best, msgs, w) = run_script(
        EarlyStopping::new("val_loss")
            .patience(10)
            .restore_best_weights(true),
        &[1.0, 0.5, 0.7, 0.8, 0.9],
    );
    assert_eq!((stopped, best, w), (None, 1, vec![1.0]));
    assert!(
        msgs.contains(&"Restoring model weights from the end of the best epoch: 2.".to_string())
    );
    // 6. start_from_epoch 2: epochs 0 and 1 are ignored entirely.
    let (stopped, best, ..) = run_script(
        EarlyStopping::new("val_loss")
            .start_from_epoch(2)
            .patience(1),
        &[0.1, 0.1, 1.0, 1.1, 1.2],
    );
    assert_eq!((stopped, best), (Some(3), 2));
    // Mode max on a higher-is-better value.
    let (stopped, best, ..) = run_script(
        EarlyStopping::new("val_accuracy")
            .mode(Mode::Max)
            .patience(1),
        &[1.0, 0.5, 0.7, 0.6],
    );
    assert_eq!((stopped, best), (Some(2), 1)); // val_accuracy = −v: −0.5 is the best
                                               // General rule: no further improvement ⇒ epochs run = best_epoch + patience + 1.
    let (stopped, best, ..) = run_script(
        EarlyStopping::new("val_loss").patience(3),
        &[5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8],
    );
    assert_eq!(stopped.unwrap() + 1, best + 3 + 1);
}

#[test]
fn monitors_reject_unknown_quantities_before_the_first_epoch() {
    let (x, y) = regression_data();
    let mut model = Model::new(small_net(0, 2, 1), Mse, Adam::new(0.01));
    let before = model.module().parameters()[0].1.value();
    // A name `fit` will never log (a typo, or val_loss without validation data): an error
    // before the first epoch, listing the names that exist, whatever `verbose` says (Keras
    // only warns, and a silent run then trains every epoch). Nothing trained.
    for cb in [
        Box::new(EarlyStopping::new("not_in_the_logs")) as Box<dyn nn::train::Callback>,
        Box::new(EarlyStopping::new("val_loss")),
        Box::new(nn::train::ReduceLrOnPlateau::new("val_mae")),
        Box::new(
            nn::train::ModelCheckpoint::new("/nonexistent/x.safetensors").save_best_only(true),
        ),
    ] {
        let err = model
            .fit(&x, &y, FitConfig::new().epochs(3).verbose(0).callback(cb))
            .unwrap_err();
        assert!(
            matches!(err, TrainError::Callback(ref m)
                if m.contains("will never be logged; available: loss, learning_rate")),
            "{err}"
        );
    }
    assert_eq!(model.module().parameters()[0].1.value(), before);
    let mut model = Model::new(small_net(0, 2, 1), Mse, Adam::new(0.01))
        .metric(nn::train::MeanAbsoluteError::default());
    let buf = Arc::new(Mutex::new(Vec::new()));
    let cfg = FitConfig::new()
        .epochs(2)
        .verbose(1)
        .output(Output::Buffer(buf.clone()));
    // "mae" is logged and its metric says lower is better, so auto mode works; a logged
    // quantity without a known direction is an error (Keras 3 raises ValueError).
    let ok = model.fit(&x, &y, cfg.callback(EarlyStopping::new("mae")));
    assert!(ok.is_ok());
    let custom = LambdaCallback::new(|_e: usize, _l: &Logs, _c: &mut TrainContext<'_, f32>| {});
    let mut model = Model::new(small_net(0, 2, 1), Mse, Adam::new(0.01));
    let err = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(2)
                .verbose(0)
                .callback(custom)
                .callback(EarlyStopping::new("learning_rate")),
        )
        .unwrap_err();
    assert!(
        matches!(err, TrainError::Callback(ref m) if m.contains("cannot tell whether \"learning_rate\"")),
        "{err}"
    );
}

#[test]
fn trend_mode_stops_when_the_slope_turns_upward() {
    // Falling, then rising. Least-squares slopes of the last 4 values (x = 0..3, x̄ = 1.5,
    // Σ(x − x̄)² = 5): epoch 3 [1.0, 0.8, 0.65, 0.6] → −0.137; epoch 4 [0.8, 0.65, 0.6,
    // 0.62] → −0.059; epoch 5 [0.65, 0.6, 0.62, 0.66] → +0.005 (first stop at tolerance
    // 0); epoch 6 [0.6, 0.62, 0.66, 0.72] → +0.040 (first stop at tolerance 0.03).
    let values = [1.0, 0.8, 0.65, 0.6, 0.62, 0.66, 0.72, 0.8];
    let (stopped, best, _, w) = run_script(
        EarlyStopping::new("val_loss")
            .trend(4, 0.0)
            .restore_best_weights(true),
        &values,
    );
    assert_eq!((stopped, best, w), (Some(5), 3, vec![3.0]));
    // A tolerance lets small rises pass.
    let (stopped, ..) = run_script(EarlyStopping::new("val_loss").trend(4, 0.03), &values);
    assert_eq!(stopped, Some(6));
    // The least-squares line, not the first-to-last slope: [1.0, 1.0, 0.0, 1.01] rises
    // from first to last (+0.0033 per epoch) but its fitted slope is −0.097, so it does
    // not stop; [1.0, 0.0, 1.0, 0.99] falls from first to last but fits +0.097 and stops.
    let (stopped, ..) = run_script(
        EarlyStopping::new("val_loss").trend(4, 0.0),
        &[1.0, 1.0, 0.0, 1.01],
    );
    assert_eq!(stopped, None);
    let (stopped, ..) = run_script(
        EarlyStopping::new("val_loss").trend(4, 0.0),
        &[1.0, 0.0, 1.0, 0.99],
    );
    assert_eq!(stopped, Some(3));
}

#[test]
fn reduce_lr_on_plateau_follows_keras() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut module = Linear::<f32>::new(1, 1, &mut rng);
    let mut opt = Sgd::new(1.0);
    let mut ctx = TrainContext::new(&mut module, &mut opt);
    let mut cb = ReduceLrOnPlateau::new("val_loss")
        .factor(0.5)
        .patience(2)
        .cooldown(1)
        .min_lr(0.2);
    let mut lrs = Vec::new();
    for (epoch, v) in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]
        .into_iter()
        .enumerate()
    {
        let mut logs = Logs::new();
        logs.set("val_loss", v);
        Callback::<f32>::on_epoch_end(&mut cb, epoch, &logs, &mut ctx);
        lrs.push(ctx.learning_rate());
    }
    // Keras: epoch 0 sets the best; wait 1, 2 → halve at epoch 2 and start a cooldown of 1.
    // Epoch 3 spends the cooldown (wait reset) but, the cooldown now over, still counts
    // wait = 1; epoch 4 reaches 2 → halve again; likewise epoch 6, where 0.125 is raised
    // to min_lr 0.2; from then on the rate is at min_lr and stays.
    assert_eq!(lrs, vec![1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]);
    // min_lr bounds the rate.
    let mut cb = ReduceLrOnPlateau::new("val_loss")
        .factor(0.1)
        .patience(0)
        .min_lr(0.2);
    for epoch in 0..3 {
        let mut logs = Logs::new();
        logs.set("val_loss", 1.0);
        Callback::<f32>::on_epoch_end(&mut cb, epoch, &logs, &mut ctx);
    }
    assert_eq!(ctx.learning_rate(), 0.2);
}

#[test]
fn checkpoints_round_trip_and_mismatches_are_listed() {
    let dir = std::env::temp_dir().join(format!("wengert-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (x, y) = regression_data();
    let mut model = Model::new(small_net(3, 2, 1), Mse, Adam::new(0.01));
    let path = dir.join("best.safetensors");
    model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(5)
                .validation_split(0.2)
                .verbose(0)
                .callback(ModelCheckpoint::new(path.to_str().unwrap()).save_best_only(true)),
        )
        .unwrap();
    assert!(path.exists());
    assert!(
        !dir.join("best.safetensors.tmp").exists(),
        "no temporary file left behind"
    );
    // Save the trained weights, load them into a fresh model: same predictions.
    let saved = dir.join("final.safetensors");
    save_weights(model.module(), &saved).unwrap();
    let fresh = small_net(99, 2, 1);
    load_weights(&fresh, &saved).unwrap();
    let mut fresh = Model::new(fresh, Mse, Adam::new(0.01));
    assert_eq!(fresh.predict(&x).unwrap(), model.predict(&x).unwrap());
    // A different architecture: every mismatch is reported.
    let other = Sequential::<f32>::new().add(Linear::new(2, 8, &mut StdRng::seed_from_u64(0)));
    match load_weights(&other, &saved).unwrap_err() {
        WeightsError::Mismatch { problems, .. } => {
            assert!(
                problems
                    .contains(&"shape of 0.weight: file has [16, 2], model has [8, 2]".to_string()),
                "{problems:?}"
            );
            assert!(
                problems.contains(&"unexpected: 2.weight".to_string()),
                "{problems:?}"
            );
        }
        e => panic!("unexpected {e}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_same_seed_gives_a_bit_identical_history() {
    let (x, y) = regression_data();
    let run = || {
        let mut model = Model::new(small_net(5, 2, 1), Mse, Adam::new(0.01));
        model
            .fit(
                &x,
                &y,
                FitConfig::new()
                    .epochs(5)
                    .batch_size(10)
                    .seed(9)
                    .validation_split(0.25)
                    .verbose(0),
            )
            .unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.history, b.history);
}

#[test]
fn progress_output_in_plain_mode() {
    let (x, y) = regression_data();
    let buf = Arc::new(Mutex::new(Vec::new()));
    let mut model = Model::new(small_net(0, 2, 1), Mse, Adam::new(0.01));
    model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(2)
                .batch_size(32)
                .validation_split(0.25)
                .output(Output::Buffer(buf.clone())),
        )
        .unwrap();
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Epoch 1/2");
    // "3/3 ━━━━━━━━━━━━━━━━━━━━ 0s 1ms/step - loss: 4.1234 - val_loss: 3.9876"
    let l = lines[1];
    assert!(l.starts_with("3/3 ━━━━━━━━━━━━━━━━━━━━ "), "{l}");
    assert!(
        l.contains("/step - loss: ") && l.contains(" - val_loss: "),
        "{l}"
    );
    assert!(!l.contains('\x1b'), "no ANSI codes when not a terminal");
    assert_eq!(lines[2], "Epoch 2/2");
    assert_eq!(lines.len(), 4);
    // verbose 2: one line per epoch, no "Epoch" header bar.
    let buf2 = Arc::new(Mutex::new(Vec::new()));
    model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(1)
                .verbose(2)
                .output(Output::Buffer(buf2.clone())),
        )
        .unwrap();
    let text2 = String::from_utf8(buf2.lock().unwrap().clone()).unwrap();
    assert!(
        text2.starts_with("4/4 - ") && text2.contains("/step - loss: "),
        "{text2}"
    );
}

#[test]
fn nan_loss_stops_training_naming_epoch_and_batch() {
    let (mut x, y) = regression_data();
    // One row in the second batch of an unshuffled epoch whose squared error overflows
    // f32 (data that is already NaN is refused before training; see numerics.rs).
    x.as_mut_slice()[80] = 1e30;
    let mut model = Model::new(small_net(0, 2, 1), Mse, Sgd::new(0.01));
    let before = model.module().parameters()[0].1.value();
    let err = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(3)
                .batch_size(32)
                .shuffle(false)
                .verbose(0),
        )
        .unwrap_err();
    assert!(
        matches!(err, TrainError::NonFinite { what: "loss", epoch: 0, batch: 1, value, .. } if !value.is_finite()),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("at epoch 0 (0-based; shown as Epoch 1), batch 1"),
        "{err}"
    );
    // The first batch's update was the last one applied before the bad loss: it is
    // undone, so the model is exactly as it was before fit.
    let after = model.module().parameters()[0].1.value();
    assert_eq!(after, before);
    assert!(
        err.to_string()
            .contains("put back to their state before the update of epoch 0, batch 0"),
        "{err}"
    );
}

#[test]
fn terminate_on_nan_stops_quietly_and_csv_logger_writes_each_epoch() {
    let (mut x, y) = regression_data();
    x.as_mut_slice()[200] = 1e30; // row 100: batch 3 of the first (unshuffled) epoch overflows
    let dir = std::env::temp_dir().join(format!("wengert-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log.csv");
    let mut model = Model::new(small_net(0, 2, 1), Mse, Sgd::new(0.01));
    let h = model
        .fit(
            &x.narrow(0, 0, 64),
            &y.narrow(0, 0, 64),
            FitConfig::new()
                .epochs(2)
                .batch_size(32)
                .shuffle(false)
                .verbose(0)
                .callback(nn::train::CsvLogger::new(&log)),
        )
        .unwrap();
    assert_eq!(h.len(), 2);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "epoch,loss,learning_rate");
    assert!(lines[1].starts_with("0,") && lines[2].starts_with("1,") && lines.len() == 3);
    let mut model = Model::new(small_net(0, 2, 1), Mse, Sgd::new(0.01));
    let h = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(3)
                .batch_size(32)
                .shuffle(false)
                .verbose(0)
                .callback(nn::train::TerminateOnNan),
        )
        .unwrap();
    assert_eq!((h.len(), h.stopped_epoch), (0, Some(0)));
    assert!(model.module().parameters()[0].1.value().all_finite());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_inputs_are_errors_before_training() {
    let (x, y) = regression_data();
    let mut model = Model::new(small_net(0, 2, 1), Mse, Adam::new(0.01));
    let before = model.module().parameters()[0].1.value();
    let fit = |model: &mut Model, x: &Tensor<f32>, y: &Tensor<f32>, cfg: FitConfig| {
        model.fit(x, y, cfg).unwrap_err().to_string()
    };
    assert_eq!(
        fit(&mut model, &x, &y.narrow(0, 0, 100), FitConfig::new()),
        "fit: x has 128 rows but y has 100"
    );
    assert_eq!(
        fit(&mut model, &Tensor::zeros(&[128, 3]), &y, FitConfig::new()),
        "fit: x has shape [128, 3], but the model's first layer takes [N, …, 2]"
    );
    assert_eq!(
        fit(
            &mut model,
            &Tensor::zeros(&[0, 2]),
            &Tensor::zeros(&[0, 1]),
            FitConfig::new()
        ),
        "fit: the training data is empty"
    );
    assert!(
        fit(&mut model, &x, &y, FitConfig::new().validation_split(1.5))
            .contains("validation_split must be in (0, 1)")
    );
    // Out of range: the fraction alone, no row counts computed from it.
    assert!(fit(&mut model, &x, &y, FitConfig::new().validation_split(-0.1)).ends_with("got -0.1"));
    // split_at = floor(128 · 0.001) = 0: no training rows left, an error as in Keras.
    assert!(
        fit(&mut model, &x, &y, FitConfig::new().validation_split(0.999))
            .contains("training rows: 0")
    );
    assert!(fit(
        &mut model,
        &x,
        &y.reshape(&[64, 2]).narrow(0, 0, 64),
        FitConfig::new()
    )
    .contains("rows"));
    let mut clf = Model::new(small_net(0, 2, 3), CrossEntropy, Adam::new(0.01));
    let labels = Tensor::from_vec((0..128).map(|i| (i % 4) as f32).collect(), &[128]).unwrap();
    let err = clf
        .fit(&x, &labels, FitConfig::new().verbose(0))
        .unwrap_err();
    assert_eq!(err.to_string(), "fit: the targets do not fit the cross_entropy loss: label 3 in row 3 is not a class index in 0..3");
    let err = clf
        .fit(
            &x,
            &labels.narrow(0, 0, 120),
            FitConfig::new().verbose(0).validation_data(&x, &labels),
        )
        .unwrap_err();
    assert!(err.to_string().contains("x has 128 rows but y has 120"));
    assert_eq!(
        fit(&mut model, &x, &y, FitConfig::new().batch_size(0)),
        "fit: batch_size must be at least 1"
    );
    assert_eq!(
        model.module().parameters()[0].1.value(),
        before,
        "nothing trained"
    );
}

#[test]
fn epoch_loss_is_the_batch_weighted_mean_and_includes_penalties() {
    // With lr 0 the weights never change, so the epoch loss must equal the full-data loss
    // plus the L2 penalty, whatever the (uneven) batches.
    let (x, y) = regression_data();
    let mut rng = StdRng::seed_from_u64(4);
    let reg = Regularizer::L2(0.01);
    let net = Sequential::new().add(Linear::new(2, 1, &mut rng).with_regularizer(reg));
    let w = net.parameters()[0].1.value();
    let mut model = Model::new(net, Mse, Sgd::new(0.0));
    let h = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(1)
                .batch_size(50)
                .verbose(0)
                .validation_data(&x, &y),
        )
        .unwrap();
    let tape = Tape::new();
    let pred = model.module().forward(tape.constant(x.clone()));
    let expected = Mse.loss(pred, &y).item() as f64 + 0.01 * w.map(|v| v * v).sum_all() as f64;
    assert!(
        (h.get("loss").unwrap()[0] - expected).abs() < 1e-4 * expected,
        "{:?} vs {expected}",
        h.get("loss")
    );
    assert!((h.get("val_loss").unwrap()[0] - expected).abs() < 1e-4 * expected);
    assert_eq!(h.get("learning_rate").unwrap(), &[0.0]);
    // History exports.
    assert!(h
        .to_csv()
        .starts_with("epoch,loss,val_loss,learning_rate,seconds\n0,"));
    let svg = h.to_svg();
    // No early stopping ran, so the epoch of the smallest val_loss is marked instead.
    assert!(svg.starts_with("<svg") && svg.contains("val_loss") && !svg.contains("best:"));
    assert!(svg.contains("min val_loss: epoch 1"));
}
