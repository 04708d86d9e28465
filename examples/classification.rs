//! Classification on the embedded digits (8×8 images, 10 classes): Dense 64 → 128 → 64 →
//! 10 with softmax cross-entropy, `validation_split(0.1)`, test accuracy and a confusion
//! matrix.
//!
//! Checked at the end: the test accuracy is at least 0.95 after 30 epochs (quick mode: at
//! least 0.93 after 5), and the `Accuracy` metric agrees with the confusion matrix (its
//! diagonal over the number of test images), so the matrix and the metric are the same
//! predictions counted two ways. Measured (release): 0.9667 after 30 epochs, 0.9639 after 5.
//!
//! Run: `cargo run --release --example classification` (`WENGERT_QUICK=1`: 5 epochs).

use wengert::nn::data::SplitOptions;
use wengert::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let data = datasets::digits();
    // A stratified 80/20 split keeps the class balance in both parts.
    let (train, test) = data.train_test_split_with(SplitOptions {
        stratify: true,
        ..SplitOptions::new(0.2, 7)
    })?;
    // Standardize each pixel with the training rows' statistics (constant border pixels
    // are only centred).
    let scaler = StandardScaler::fit(&train.x);
    let (x_train, x_test) = (scaler.transform(&train.x), scaler.transform(&test.x));

    let mut rng = StdRng::seed_from_u64(7);
    let net = Sequential::new()
        .add(Linear::new(64, 128, &mut rng))
        .add(Relu)
        .add(Linear::new(128, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 10, &mut rng));
    let mut model =
        Model::new(net, loss::CrossEntropy, Adam::new(1e-3)).metric(Accuracy::default());
    let started = std::time::Instant::now();
    let history = model.fit(
        &x_train,
        &train.y,
        FitConfig::new()
            .epochs(if quick { 5 } else { 30 })
            .batch_size(32)
            .validation_split(0.1)
            .seed(7)
            .verbose(2),
    )?;
    println!(
        "trained {} epochs in {:.2} s",
        history.len(),
        started.elapsed().as_secs_f64()
    );

    let logs = model.evaluate(&x_test, &test.y)?;
    let accuracy = logs.get("accuracy").unwrap_or(0.0);
    println!(
        "test loss {:.4}, test accuracy {accuracy:.4} on {} images",
        logs.get("loss").unwrap_or(f64::NAN),
        test.len()
    );

    // Confusion matrix: rows are true digits, columns predicted ones.
    let predicted = model.predict(&x_test)?.argmax(1, false).to_indices(10)?;
    let truth = test.y.to_indices(10)?;
    let mut confusion = [[0usize; 10]; 10];
    for (&t, &p) in truth.iter().zip(&predicted) {
        confusion[t][p] += 1;
    }
    println!("\nconfusion matrix (rows: true digit, columns: predicted)");
    println!(
        "     {}",
        (0..10).map(|d| format!("{d:>4}")).collect::<String>()
    );
    for (d, row) in confusion.iter().enumerate() {
        println!(
            "{d:>4} {}",
            row.iter().map(|c| format!("{c:>4}")).collect::<String>()
        );
    }
    history.save_svg("classification.svg")?;
    println!("\nwrote classification.svg");
    let floor = if quick { 0.93 } else { 0.95 };
    if accuracy < floor {
        return Err(format!("test accuracy {accuracy:.4} is below the expected {floor}").into());
    }
    let diagonal: usize = (0..10).map(|d| confusion[d][d]).sum();
    let counted = diagonal as f64 / test.len() as f64;
    if (counted - accuracy).abs() > 1e-6 {
        return Err(format!(
            "the Accuracy metric ({accuracy:.4}) disagrees with the confusion matrix ({diagonal}/{} = {counted:.4})",
            test.len()
        )
        .into());
    }
    Ok(())
}
