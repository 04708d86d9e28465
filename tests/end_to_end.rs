//! End-to-end through the facade: the study-guide workflow on embedded data, in a few
//! epochs, and a teaching round trip (tape → trace → DOT).

use wengert::prelude::*;

#[test]
fn the_study_guide_workflow_trains_and_stops_by_itself() {
    let data = datasets::diabetes();
    let (train, test) = data.train_test_split(0.2, 42).unwrap();
    let scaler = StandardScaler::fit(&train.x);
    let (x_train, x_test) = (scaler.transform(&train.x), scaler.transform(&test.x));
    let mut rng = StdRng::seed_from_u64(42);
    let net = Sequential::new()
        .add(Linear::new(10, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 1, &mut rng));
    let mut model = Model::new(net, loss::Mse, Adam::new(1e-2));
    let history = model
        .fit(
            &x_train,
            &train.y,
            FitConfig::new()
                .epochs(300)
                .batch_size(20)
                .validation_data(&x_test, &test.y)
                .verbose(0)
                .callback(
                    EarlyStopping::new("val_loss")
                        .patience(5)
                        .restore_best_weights(true),
                ),
        )
        .unwrap();
    // With lr 0.01 this model overfits within a few dozen epochs: early stopping stops it.
    let stopped = history
        .stopped_epoch
        .expect("early stopping should trigger");
    let best = history.best_epoch.unwrap();
    assert_eq!(stopped, best + 5);
    // The restored weights are the best epoch's: evaluating gives its val_loss.
    let val = history.get("val_loss").unwrap()[best];
    let now = model
        .evaluate(&x_test, &test.y)
        .unwrap()
        .get("loss")
        .unwrap();
    assert!(
        (now - val).abs() < 1e-3 * val,
        "restored {now} vs best {val}"
    );
    // A model that learned something: far below predicting the training mean.
    let mean = train.y.mean_all();
    let baseline = (&test.y - mean).square().mean_all() as f64;
    assert!(
        val < 0.7 * baseline,
        "val MSE {val} vs mean-prediction {baseline}"
    );
}

#[test]
fn the_tape_can_be_printed_traced_and_drawn() {
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(2.0f64)).label("x");
    let w = tape.var(Tensor::scalar(-3.0)).label("w");
    let y = (x * w + 1.0).tanh();
    let (grads, trace) = y.backward_traced();
    assert_eq!(tape.to_string().lines().count(), 1 + 5);
    assert_eq!(trace.steps.len(), 3);
    assert!(tape.to_dot_with(&grads).contains("grad"));
    let expected = (1.0 - (-5.0f64).tanh().powi(2)) * 2.0;
    assert!((grads[&w].item() - expected).abs() < 1e-12);
}

/// `fit` wrapped in `tensor::parallel::on_pool` (a pool thread, as the docs suggest for
/// large models) trains exactly as the direct call: the same History and weights, bit
/// for bit.
#[test]
fn fit_on_a_pool_thread_gives_the_same_bits() {
    let data = datasets::digits();
    let x = data.x.narrow(0, 0, 300);
    let y = data.y.narrow(0, 0, 300);
    let run = |pooled: bool| {
        let mut rng = StdRng::seed_from_u64(5);
        let net = Sequential::new()
            .add(Linear::new(64, 128, &mut rng))
            .add(Relu)
            .add(Dropout::new(0.2, 3))
            .add(Linear::new(128, 10, &mut rng));
        let mut model = Model::new(net, loss::CrossEntropy, Adam::new(1e-3));
        let config = FitConfig::new()
            .epochs(3)
            .batch_size(32)
            .validation_split(0.2)
            .verbose(0);
        let history = if pooled {
            wengert::tensor::parallel::on_pool(|| model.fit(&x, &y, config))
        } else {
            model.fit(&x, &y, config)
        }
        .unwrap();
        let mut history = history;
        history.epoch_times.clear(); // wall-clock, not results
        let weights: Vec<Vec<f32>> = model
            .module()
            .parameters()
            .iter()
            .map(|(_, p)| p.value().to_vec())
            .collect();
        (history, weights)
    };
    assert_eq!(run(true), run(false));
}
