//! The README's code, compiled and run (with fewer epochs), so the README stays true.

use wengert::prelude::*;

#[test]
fn readme_training_example_runs() -> Result<(), Box<dyn std::error::Error>> {
    let data = datasets::diabetes(); // embedded, 442 × 10
    let (train, test) = data.train_test_split(0.2, 42)?;
    let scaler = StandardScaler::fit(&train.x); // fitted on training rows only
    let (x_train, x_test) = (scaler.transform(&train.x), scaler.transform(&test.x));
    let mut rng = StdRng::seed_from_u64(42);
    let net = Sequential::new()
        .add(Linear::new(10, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 1, &mut rng));
    let mut model = Model::new(net, loss::Mse, Adam::new(1e-3));
    let history = model.fit(
        &x_train,
        &train.y,
        FitConfig::new()
            .epochs(3) // the README says 1000; early stopping ends it around 90
            .batch_size(20)
            .validation_data(&x_test, &test.y)
            .verbose(0)
            .callback(
                EarlyStopping::new("val_loss")
                    .patience(20)
                    .restore_best_weights(true),
            ),
    )?;
    let dir = std::env::temp_dir().join(format!("wengert-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    history.save_svg(dir.join("loss.svg"))?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn readme_tape_example_runs() -> Result<(), Box<dyn std::error::Error>> {
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(2.0f64));
    let w = tape.var(Tensor::scalar(-3.0));
    let y = (x * w + 1.0).tanh();
    let grads = y.backward();
    assert!(tape.to_string().starts_with("Wengert list"));
    assert!(format!("{}", grads[&w]).starts_with("tensor("));
    assert!(tape.to_dot().starts_with("digraph"));
    Ok(())
}
