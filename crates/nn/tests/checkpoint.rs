//! Checkpoints that resume exactly, BackupAndRestore, failed loads that change nothing,
//! and the rollback of a diverging update.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nn::data::GaussianNoise;
use nn::loss::Mse;
use nn::optim::{Adam, Optimizer, RmsProp, Sgd};
use nn::train::{
    BackupAndRestore, CheckpointError, EarlyStopping, FitConfig, History, LambdaCallback,
    ReduceLrOnPlateau, TrainError,
};
use nn::{Dropout, Linear, Model, Relu, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn data() -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = StdRng::seed_from_u64(5);
    let x = Tensor::<f32>::rand_uniform(&[90, 3], -1.0, 1.0, &mut rng);
    let y = x
        .matmul(&Tensor::from([[1.5], [-2.0], [0.5]]))
        .map(|v| v.sin());
    (x, y)
}

/// Dense 3 → 16 → Dropout → 1 with Adam; `init` picks the initial weights.
fn model(init: u64) -> Model<f32> {
    let mut rng = StdRng::seed_from_u64(init);
    let net = Sequential::<f32>::new()
        .add(Linear::new(3, 16, &mut rng))
        .add(Relu)
        .add(Dropout::new(0.2, 11))
        .add(Linear::new(16, 1, &mut rng));
    Model::new(net, Mse, Adam::new(0.02))
}

/// Shuffling, dropout, an augmentation, a validation split and two stateful callbacks.
fn config(epochs: usize) -> FitConfig<f32> {
    FitConfig::new()
        .epochs(epochs)
        .batch_size(16)
        .shuffle(true)
        .seed(3)
        .validation_split(0.2)
        .verbose(0)
        .augment(GaussianNoise::new(0.05, 9))
        .callback(ReduceLrOnPlateau::new("val_loss").patience(1).factor(0.5))
        .callback(EarlyStopping::new("val_loss").patience(50))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Every logged series, bit for bit.
fn series(h: &History) -> Vec<(String, Vec<u64>)> {
    h.history
        .iter()
        .map(|(n, v)| (n.clone(), v.iter().map(|x| x.to_bits()).collect()))
        .collect()
}

fn concat(a: &History, b: &History) -> Vec<(String, Vec<u64>)> {
    series(a)
        .into_iter()
        .zip(series(b))
        .map(|((n, mut x), (m, y))| {
            assert_eq!(n, m);
            x.extend(y);
            (n, x)
        })
        .collect()
}

fn optimizer_state(m: &Model<f32>) -> Vec<Vec<(&'static str, Tensor<f32>)>> {
    m.module()
        .parameters()
        .into_iter()
        .map(|(_, p)| m.optimizer().state(p))
        .collect()
}

#[test]
fn ten_epochs_equal_four_then_six_after_a_reload() {
    let (x, y) = data();
    let mut straight = model(0);
    let h10 = straight.fit(&x, &y, config(10)).unwrap();
    assert_eq!(h10.epoch, (0..10).collect::<Vec<_>>());
    // The learning rate changed on the way, so the schedule state matters.
    let lr = h10.get("learning_rate").unwrap();
    assert!(lr.iter().any(|&r| r < 0.02), "{lr:?}");

    let mut first = model(0);
    let h4 = first.fit(&x, &y, config(4)).unwrap();
    let path = tmp("four.safetensors");
    first.save_checkpoint(&path).unwrap();

    // A fresh model with other initial weights and a fresh optimizer.
    let mut resumed = model(99);
    assert_eq!(resumed.load_checkpoint(&path).unwrap(), 4);
    let h6 = resumed.fit(&x, &y, config(10)).unwrap();
    assert_eq!(h6.epoch, (4..10).collect::<Vec<_>>());
    assert_eq!(concat(&h4, &h6), series(&h10));
    assert_eq!(
        resumed.module().state_dict(),
        straight.module().state_dict()
    );
    assert_eq!(optimizer_state(&resumed), optimizer_state(&straight));
    assert_eq!(
        resumed.optimizer().learning_rate().to_bits(),
        straight.optimizer().learning_rate().to_bits()
    );
}

#[test]
fn backup_and_restore_resumes_after_an_interruption() {
    let (x, y) = data();
    let mut straight = model(0);
    let h10 = straight.fit(&x, &y, config(10)).unwrap();

    let dir = tmp("backup");
    let _ = std::fs::remove_dir_all(&dir);
    let crash = Arc::new(AtomicBool::new(true));
    let run = |m: &mut Model<f32>| {
        let crash = crash.clone();
        let cfg = config(10)
            .callback(BackupAndRestore::new(&dir))
            .callback(LambdaCallback::new(
                move |epoch: usize,
                      _: &nn::train::Logs,
                      ctx: &mut nn::train::TrainContext<'_, f32>| {
                    if epoch == 6 && crash.swap(false, Ordering::SeqCst) {
                        ctx.fail("simulated crash");
                    }
                },
            ));
        m.fit(&x, &y, cfg)
    };
    let mut interrupted = model(0);
    let err = run(&mut interrupted).unwrap_err();
    assert!(err.to_string().contains("simulated crash"), "{err}");
    assert!(dir.join("checkpoint.safetensors").exists());

    // A new process would build the model again: other initial weights, same layers.
    let mut restarted = model(42);
    let h = run(&mut restarted).unwrap();
    // The crash came at the end of epoch 6, before its backup: epochs 6..10 run again.
    assert_eq!(h.epoch, (6..10).collect::<Vec<_>>());
    let tail: Vec<(String, Vec<u64>)> = series(&h10)
        .into_iter()
        .map(|(n, v)| (n, v[6..].to_vec()))
        .collect();
    assert_eq!(series(&h), tail);
    assert_eq!(
        restarted.module().state_dict(),
        straight.module().state_dict()
    );
    assert!(
        !dir.join("checkpoint.safetensors").exists(),
        "deleted after a finished run"
    );
}

#[test]
fn a_checkpoint_that_does_not_fit_changes_nothing() {
    let (x, y) = data();
    let mut trained = model(0);
    trained.fit(&x, &y, config(2)).unwrap();
    let path = tmp("adam.safetensors");
    trained.save_checkpoint(&path).unwrap();

    // Another optimizer kind.
    let mut rng = StdRng::seed_from_u64(1);
    let net = Sequential::<f32>::new()
        .add(Linear::new(3, 16, &mut rng))
        .add(Relu)
        .add(Dropout::new(0.2, 11))
        .add(Linear::new(16, 1, &mut rng));
    let mut other = Model::new(net, Mse, RmsProp::new(0.01));
    let before = other.module().state_dict();
    let err = other.load_checkpoint(&path).unwrap_err();
    assert!(matches!(err, CheckpointError::Mismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("Adam") && err.to_string().contains("RMSprop"),
        "{err}"
    );
    assert_eq!(other.module().state_dict(), before);

    // Another architecture (wider hidden layer): the shapes are listed, nothing changes.
    let mut rng = StdRng::seed_from_u64(1);
    let net = Sequential::<f32>::new()
        .add(Linear::new(3, 8, &mut rng))
        .add(Relu)
        .add(Dropout::new(0.2, 11))
        .add(Linear::new(8, 1, &mut rng));
    let mut narrow = Model::new(net, Mse, Adam::new(0.02));
    narrow
        .fit(&x, &y, FitConfig::new().epochs(1).verbose(0))
        .unwrap();
    let (weights, state) = (narrow.module().state_dict(), optimizer_state(&narrow));
    let err = narrow.load_checkpoint(&path).unwrap_err();
    assert!(err.to_string().contains("0.weight"), "{err}");
    assert_eq!(narrow.module().state_dict(), weights);
    assert_eq!(optimizer_state(&narrow), state);

    // No Dropout: the generators differ.
    let mut rng = StdRng::seed_from_u64(1);
    let net = Sequential::<f32>::new()
        .add(Linear::new(3, 16, &mut rng))
        .add(Relu)
        .add(Linear::new(16, 1, &mut rng));
    let mut plain = Model::new(net, Mse, Adam::new(0.02));
    let err = plain.load_checkpoint(&path).unwrap_err();
    assert!(err.to_string().contains("random generators"), "{err}");

    // A weights file is not a checkpoint; a truncated file is not safetensors.
    let weights_only = tmp("weights.safetensors");
    nn::io::save_weights(trained.module(), &weights_only).unwrap();
    let err = model(0).load_checkpoint(&weights_only).unwrap_err();
    assert!(
        err.to_string().contains("not a wengert checkpoint"),
        "{err}"
    );
    let bytes = std::fs::read(&path).unwrap();
    let cut = tmp("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(
        model(0).load_checkpoint(&cut).unwrap_err(),
        CheckpointError::File(_)
    ));
}

#[test]
fn a_resumed_fit_with_other_callbacks_is_an_error() {
    let (x, y) = data();
    let mut trained = model(0);
    trained.fit(&x, &y, config(2)).unwrap();
    let path = tmp("callbacks.safetensors");
    trained.save_checkpoint(&path).unwrap();
    let mut resumed = model(0);
    resumed.load_checkpoint(&path).unwrap();
    let swapped = FitConfig::new()
        .epochs(4)
        .validation_split(0.2)
        .verbose(0)
        .augment(GaussianNoise::new(0.05, 9))
        .callback(EarlyStopping::new("val_loss"))
        .callback(ReduceLrOnPlateau::new("val_loss"));
    let err = resumed.fit(&x, &y, swapped).unwrap_err();
    assert!(matches!(err, TrainError::Checkpoint(_)), "{err}");
    assert!(err.to_string().contains("callback 0"), "{err}");
}

/// A backup written by a run with two callbacks, found by a run with one: `fit` refuses
/// to resume, and the model and optimizer are as they were before it (the backup's
/// weights are not left behind).
#[test]
fn a_refused_backup_changes_nothing() {
    let (x, y) = data();
    let dir = tmp("refused-backup");
    let _ = std::fs::remove_dir_all(&dir);
    // Interrupted after its first backup, so the backup stays (a finished run deletes it).
    let two = config(4)
        .callback(BackupAndRestore::new(&dir))
        .callback(LambdaCallback::new(
            |epoch: usize, _: &nn::train::Logs, ctx: &mut nn::train::TrainContext<'_, f32>| {
                if epoch == 1 {
                    ctx.fail("simulated crash");
                }
            },
        ));
    model(0).fit(&x, &y, two).unwrap_err();
    assert!(dir.join("checkpoint.safetensors").exists());
    let mut fresh = model(7);
    let (weights, lr) = (
        fresh.module().state_dict(),
        fresh.optimizer().learning_rate(),
    );
    let err = fresh
        .fit(&x, &y, config(4).callback(BackupAndRestore::new(&dir)))
        .unwrap_err();
    assert!(err.to_string().contains("cannot resume"), "{err}");
    assert_eq!(fresh.module().state_dict(), weights);
    assert_eq!(fresh.optimizer().learning_rate(), lr);
    // Adam has taken no step: no state for any parameter.
    for (name, p) in fresh.module().parameters() {
        assert!(fresh.optimizer().state(p).is_empty(), "{name}");
    }
}

/// Training diverges with each of these SGD settings (a learning rate far too large; Adam
/// and RMSprop bound their steps by the rate and do not blow up the same way); every time, the model `fit` leaves predicts finite values.
#[test]
fn a_diverging_fit_leaves_a_model_that_predicts_finite_values() {
    let (x, y) = data();
    let y = &y * 1e3;
    let optimizers: Vec<Box<dyn Optimizer<f32>>> = vec![
        Box::new(Sgd::new(1e3)),
        Box::new(Sgd::new(50.0).momentum(0.9)),
        Box::new(Sgd::new(100.0).momentum(0.9).nesterov(true)),
        Box::new(Sgd::new(1e30)),
        Box::new(Sgd::new(20.0).weight_decay(5.0)),
    ];
    for opt in optimizers {
        let name = opt.name();
        let mut rng = StdRng::seed_from_u64(0);
        let net = Sequential::<f32>::new()
            .add(Linear::new(3, 16, &mut rng))
            .add(Relu)
            .add(Linear::new(16, 1, &mut rng));
        let mut m = Model::new(net, Mse, opt);
        let err = m
            .fit(
                &x,
                &y,
                FitConfig::new().epochs(200).batch_size(8).verbose(0),
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                TrainError::NonFinite { .. } | TrainError::NonFiniteWeight { .. }
            ),
            "{name}: {err}"
        );
        for (n, p) in m.module().parameters() {
            assert!(p.value().all_finite(), "{name}: {n} after {err}");
        }
        let pred = m.predict(&x).unwrap();
        assert!(pred.all_finite(), "{name}: predictions after {err}");
    }
}

/// An update that makes a weight infinite is undone on the spot: the weights and the
/// optimizer's state are bit-identical to those before it.
#[test]
fn an_update_that_overflows_a_weight_is_undone() {
    let (x, y) = data();
    let y = &y * 1e3;
    let mut rng = StdRng::seed_from_u64(0);
    let net = Sequential::new().add(Linear::new(3, 1, &mut rng));
    let mut m = Model::new(net, Mse, Sgd::new(1e38).momentum(0.5));
    let before = m.module().state_dict();
    let err = m
        .fit(&x, &y, FitConfig::new().epochs(1).batch_size(90).verbose(0))
        .unwrap_err();
    let TrainError::NonFiniteWeight {
        ref parameter,
        epoch: 0,
        batch: 0,
        value,
    } = err
    else {
        panic!("{err}")
    };
    assert!(
        value.is_infinite() && parameter.ends_with("weight"),
        "{err}"
    );
    assert!(err.to_string().contains("undone"), "{err}");
    assert_eq!(m.module().state_dict(), before);
    assert!(optimizer_state(&m).iter().all(|s| s.is_empty()));
}

/// A checkpoint whose learning rate was edited to NaN or a negative number is refused at
/// load, naming the key, and the model is unchanged (it used to load, and only the next
/// `fit` complained). The edits keep the header's length.
#[test]
fn a_checkpoint_with_an_impossible_learning_rate_is_refused() {
    let (x, y) = data();
    let mut trained = model(0);
    trained.fit(&x, &y, config(1)).unwrap();
    let path = tmp("rate.safetensors");
    trained.save_checkpoint(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let original = br#""optimizer.lr":"0.02""#;
    let at = bytes
        .windows(original.len())
        .position(|w| w == original)
        .expect("the rate in the header");
    for edit in [br#""optimizer.lr": "NaN""#, br#""optimizer.lr":"-1.0""#] {
        let mut edited = bytes.clone();
        edited[at..at + original.len()].copy_from_slice(edit);
        let bad = tmp("rate-edited.safetensors");
        std::fs::write(&bad, &edited).unwrap();
        let mut fresh = model(3);
        let before = fresh.module().state_dict();
        let err = fresh.load_checkpoint(&bad).unwrap_err().to_string();
        assert!(
            err.contains("optimizer.lr is") && err.contains("learning rate"),
            "{err}"
        );
        assert_eq!(fresh.module().state_dict(), before);
    }
}

/// A fit refused before its first update (here: other callbacks than the checkpoint's)
/// keeps the loaded checkpoint for the next fit, which resumes exactly where a model that
/// was never refused does.
#[test]
fn a_refused_fit_keeps_the_checkpoint_to_resume() {
    let (x, y) = data();
    let mut trained = model(0);
    trained.fit(&x, &y, config(2)).unwrap();
    let path = tmp("kept.safetensors");
    trained.save_checkpoint(&path).unwrap();
    let mut direct = model(0);
    direct.load_checkpoint(&path).unwrap();
    let h_direct = direct.fit(&x, &y, config(4)).unwrap();
    let mut refused = model(0);
    refused.load_checkpoint(&path).unwrap();
    let wrong = FitConfig::new()
        .epochs(4)
        .verbose(0)
        .callback(EarlyStopping::new("loss"));
    refused.fit(&x, &y, wrong).unwrap_err();
    let h = refused.fit(&x, &y, config(4)).unwrap();
    assert_eq!(h.epoch, [2, 3]);
    assert_eq!(series(&h), series(&h_direct));
    assert_eq!(refused.module().state_dict(), direct.module().state_dict());
}

/// Sets the learning rate as each epoch begins (as a schedule does).
struct SetLr(f64);

impl nn::train::Callback<f32> for SetLr {
    fn on_epoch_begin(&mut self, _epoch: usize, ctx: &mut nn::train::TrainContext<'_, f32>) {
        ctx.set_learning_rate(self.0);
    }
}

/// A first batch whose loss overflows: nothing is applied, and the model is as it was
/// before fit — its weights, the position of its Dropout generator, which the batch
/// drew from, and the learning rate a callback set as the epoch began.
#[test]
fn a_fit_refused_at_its_first_batch_leaves_the_generators_where_they_were() {
    let (x, y) = data();
    let mut m = model(0);
    for (_, p) in m.module().parameters() {
        p.set(p.value().map(|v| v * 1e18));
    }
    let positions = |m: &Model<f32>| -> Vec<String> {
        m.module()
            .rngs()
            .iter()
            .map(|(_, r)| nn::rng::RngState::of(&r.lock().unwrap()).to_string())
            .collect()
    };
    let (weights, before) = (m.module().state_dict(), positions(&m));
    let lr = m.optimizer().learning_rate();
    assert_eq!(before.len(), 1);
    let err = m.fit(&x, &y, config(2).callback(SetLr(0.5))).unwrap_err();
    assert!(matches!(err, TrainError::NonFinite { .. }), "{err}");
    assert_eq!(m.module().state_dict(), weights);
    assert_eq!(positions(&m), before);
    assert_eq!(m.optimizer().learning_rate(), lr);
}

/// A callback that sets an unusable learning rate fails the fit, and the last usable
/// rate is put back, so the model can train again (`prepare` would refuse it otherwise).
#[test]
fn an_unusable_learning_rate_from_a_callback_is_put_back() {
    let (x, y) = data();
    for (set_at, epochs, reported) in [(0, 3, 1), (1, 2, 2)] {
        let mut m = model(0);
        let lr = m.optimizer().learning_rate();
        let nan_at = LambdaCallback::new(
            move |epoch: usize, _: &nn::train::Logs, ctx: &mut nn::train::TrainContext<'_, f32>| {
                if epoch == set_at {
                    ctx.set_learning_rate(f64::NAN);
                }
            },
        );
        let config = FitConfig::new().epochs(epochs).verbose(0).callback(nan_at);
        let err = m.fit(&x, &y, config).unwrap_err();
        assert!(
            matches!(err, TrainError::LearningRate { epoch, .. } if epoch == reported),
            "{err}"
        );
        assert_eq!(m.optimizer().learning_rate(), lr);
        m.fit(&x, &y, FitConfig::new().epochs(1).verbose(0))
            .unwrap();
    }
}

/// A checkpoint whose EarlyStopping best weights were damaged (one tensor dropped):
/// `load_checkpoint` refuses it naming the file and the tensor, leaving the model as it
/// was and able to train; `BackupAndRestore` finding it fails the fit before it trains.
/// (Before, it loaded, and every later `fit` failed, or panicked at the end of training.)
#[test]
fn damaged_best_weights_in_a_checkpoint_are_refused_when_loaded() {
    use safetensors::SafeTensors;
    let (x, y) = data();
    let config = |epochs| {
        FitConfig::new()
            .epochs(epochs)
            .verbose(0)
            .validation_split(0.2)
            .callback(EarlyStopping::new("val_loss").restore_best_weights(true))
    };
    let mut trained = model(0);
    trained.fit(&x, &y, config(2)).unwrap();
    let path = tmp("damaged-best.safetensors");
    trained.save_checkpoint(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let dropped = "callbacks.0.best_weights.0.weight";
    let kept: Vec<_> = file
        .tensors()
        .into_iter()
        .filter(|(n, _)| n != dropped)
        .collect();
    assert_eq!(kept.len() + 1, file.len(), "{dropped} was in the file");
    let damaged = safetensors::serialize(kept, meta.metadata().clone()).unwrap();
    std::fs::write(&path, damaged).unwrap();
    let mut resumed = model(0);
    let weights = resumed.module().state_dict();
    let err = resumed.load_checkpoint(&path).unwrap_err();
    let expected = "callback 0: EarlyStopping's best weights do not fit this model: \
                    0.weight is missing";
    assert!(
        matches!(err, CheckpointError::Mismatch { .. })
            && err.to_string().starts_with(&path.display().to_string())
            && err.to_string().contains(expected),
        "{err}"
    );
    assert_eq!(resumed.module().state_dict(), weights);
    // A model of another width is told about its own weights first, not the callback's.
    let mut rng = StdRng::seed_from_u64(0);
    let narrow = Sequential::<f32>::new()
        .add(Linear::new(3, 8, &mut rng))
        .add(Relu)
        .add(Dropout::new(0.2, 11))
        .add(Linear::new(8, 1, &mut rng));
    let mut other = Model::new(narrow, Mse, Adam::new(0.02));
    let err = other.load_checkpoint(&path).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Mismatch { .. }) && !err.to_string().contains("callback"),
        "{err}"
    );
    // Nothing is left waiting to resume: a fit without callbacks trains from epoch 0.
    let h = resumed
        .fit(&x, &y, FitConfig::new().epochs(1).verbose(0))
        .unwrap();
    assert_eq!(h.epoch, vec![0]);

    // The same file found by BackupAndRestore.
    let dir = tmp("damaged-best-backup");
    std::fs::create_dir_all(&dir).unwrap();
    let backup = BackupAndRestore::new(&dir);
    std::fs::copy(&path, backup.path()).unwrap();
    let mut resumed = model(0);
    let weights = resumed.module().state_dict();
    let err = resumed.fit(&x, &y, config(4).callback(backup)).unwrap_err();
    assert!(
        matches!(err, TrainError::Checkpoint(_)) && err.to_string().contains(expected),
        "{err}"
    );
    assert_eq!(resumed.module().state_dict(), weights);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_file(&path).unwrap();
}

/// A callback count that is not a count (`wait` of -1 or 0.5) is refused when the
/// checkpoint is loaded, naming the file, the callback and the value's name.
#[test]
fn a_callback_state_that_is_not_a_count_is_refused_when_loaded() {
    use safetensors::SafeTensors;
    let (x, y) = data();
    let mut trained = model(0);
    let config = FitConfig::new()
        .epochs(2)
        .verbose(0)
        .callback(EarlyStopping::new("loss"))
        .callback(nn::train::ReduceLrOnPlateau::new("loss"));
    trained.fit(&x, &y, config).unwrap();
    let path = tmp("bad-count.safetensors");
    trained.save_checkpoint(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    for (key, value, message) in [
        (
            "callbacks.0.value.wait",
            "-1",
            "callback 0: EarlyStopping state: \"wait\" is missing or not a count",
        ),
        (
            "callbacks.1.value.cooldown_counter",
            "0.5",
            "callback 1: ReduceLrOnPlateau state: \"cooldown_counter\" is missing or not a count",
        ),
    ] {
        let mut metadata = meta.metadata().clone().unwrap();
        assert!(metadata.contains_key(key), "{key}");
        metadata.insert(key.to_string(), value.to_string());
        let damaged = safetensors::serialize(file.tensors(), Some(metadata)).unwrap();
        std::fs::write(&path, damaged).unwrap();
        let mut m = model(0);
        let weights = m.module().state_dict();
        let err = m.load_checkpoint(&path).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        assert_eq!(m.module().state_dict(), weights);
    }
    std::fs::remove_file(&path).unwrap();
}
