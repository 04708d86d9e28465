//! Losses side by side: MSE versus cross-entropy for classification, KL divergence, and
//! negative log-likelihood as maximum likelihood (a Gaussian with fixed variance gives MSE
//! up to constants, shown numerically), plus naive versus stable softmax cross-entropy.
//!
//! Run: `cargo run --release --example losses`.

use wengert::nn::loss::{cross_entropy, gaussian_nll_loss, kl_div, mse_loss, Reduction};
use wengert::prelude::*;

/// Softmax outputs trained against one-hot targets with MSE (what students try first).
struct SoftmaxMse;

impl Loss for SoftmaxMse {
    fn loss<'t>(&self, pred: Var<'t>, target: &Tensor) -> Var<'t> {
        let onehot = target.one_hot(pred.shape()[1]);
        mse_loss(pred.softmax(1), &onehot, Reduction::Mean)
    }
    fn check(&self, shape: &[usize], target: &Tensor) -> Result<(), String> {
        wengert::nn::loss::check_class_targets(shape, target)
    }
    fn name(&self) -> &'static str {
        "softmax_mse"
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    // ---- 1. MSE versus cross-entropy on wine ----
    let data = datasets::wine();
    let (train, test) = data.train_test_split(0.3, 4)?;
    let scaler = StandardScaler::fit(&train.x);
    let (x, xt) = (scaler.transform(&train.x), scaler.transform(&test.x));
    let epochs = if quick { 2 } else { 40 };
    println!("wine, Dense 13 → 16 → 3, SGD(0.05), batch 16: accuracy by epoch");
    println!(
        "{:<22} {:>8} {:>8} {:>8} {:>8}",
        "loss",
        "ep. 1",
        "ep. 5",
        "ep. 10",
        format!("ep. {epochs}")
    );
    let losses: [(&str, Box<dyn Loss>); 2] = [
        ("softmax + MSE", Box::new(SoftmaxMse)),
        ("cross-entropy", Box::new(loss::CrossEntropy)),
    ];
    for (name, objective) in losses {
        let mut rng = StdRng::seed_from_u64(2);
        let net = Sequential::new()
            .add(Linear::new(13, 16, &mut rng))
            .add(Tanh)
            .add(Linear::new(16, 3, &mut rng));
        let config = FitConfig::new()
            .epochs(epochs)
            .batch_size(16)
            .validation_data(&xt, &test.y)
            .verbose(0);
        let h = Model::new(net, objective, Sgd::new(0.05))
            .metric(Accuracy::default())
            .fit(&x, &train.y, config)?;
        let acc = h.get("val_accuracy").unwrap();
        let at = |e: usize| acc[(e - 1).min(acc.len() - 1)];
        println!(
            "{name:<22} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
            at(1),
            at(5),
            at(10),
            at(epochs)
        );
    }
    // Why: for a confidently wrong softmax output the MSE gradient vanishes (σ' → 0),
    // while cross-entropy's gradient stays p − y.
    let tape = Tape::<f64>::new();
    let logits = tape.var(Tensor::from([[8.0, 0.0, 0.0]])); // confident in class 0, truth is 2
    let target = Tensor::from([2.0]);
    let g_ce = cross_entropy(logits, &target, Reduction::Sum).backward()[&logits].clone();
    let tape = Tape::<f64>::new();
    let logits2 = tape.var(Tensor::from([[8.0, 0.0, 0.0]]));
    let g_mse = mse_loss(logits2.softmax(1), &target.one_hot(3), Reduction::Sum).backward()
        [&logits2]
        .clone();
    println!("\nconfidently wrong logits [8, 0, 0], truth 2:\n  cross-entropy gradient {g_ce:.4}\n  softmax+MSE gradient   {g_mse:.4}");

    // ---- 2. KL divergence ----
    let p = Tensor::from([[0.5f64, 0.3, 0.2]]);
    let q = Tensor::from([[0.4f64, 0.4, 0.2]]);
    let tape = Tape::new();
    let kl = kl_div(tape.constant(q.ln()), &p, Reduction::BatchMean).item();
    let by_hand: f64 = p
        .to_vec()
        .iter()
        .zip(q.to_vec())
        .map(|(a, b)| a * (a / b).ln())
        .sum();
    println!("\nKL(p‖q) for p = [0.5, 0.3, 0.2], q = [0.4, 0.4, 0.2]: {kl:.6} (by hand Σ p·ln(p/q) = {by_hand:.6})");

    // ---- 3. Maximum likelihood: Gaussian NLL with fixed σ² is MSE/(2σ²) + ½·ln σ² ----
    let pred = Tensor::from([1.0f64, 2.5, -0.3, 4.0]);
    let y = Tensor::from([1.2f64, 2.0, 0.1, 3.0]);
    println!("\nGaussian NLL versus MSE (same predictions and targets):");
    println!(
        "{:>8} {:>14} {:>14} {:>22}",
        "σ²", "NLL", "MSE", "MSE/(2σ²) + ½ln σ²"
    );
    for var in [0.5f64, 1.0, 2.0] {
        let tape = Tape::new();
        let nll = gaussian_nll_loss(
            tape.var(pred.clone()),
            &y,
            tape.constant(Tensor::full(&[4], var)),
            Reduction::Mean,
        )
        .item();
        let mse = mse_loss(tape.var(pred.clone()), &y, Reduction::Mean).item();
        println!(
            "{var:>8} {nll:>14.6} {mse:>14.6} {:>22.6}",
            mse / (2.0 * var) + 0.5 * var.ln()
        );
        assert!((nll - (mse / (2.0 * var) + 0.5 * var.ln())).abs() < 1e-12);
    }
    println!("(minimizing the NLL over the predictions is minimizing the MSE: least squares is maximum likelihood)");

    // ---- 4. Naive versus stable softmax cross-entropy ----
    let big = Tensor::from([[1000.0f64, 0.0]]);
    let naive = -(big.exp().div(&big.exp().sum(1, true))).ln().to_vec()[1];
    let tape = Tape::new();
    let stable = cross_entropy(tape.var(big.clone()), &Tensor::from([1.0]), Reduction::Sum).item();
    println!("\nlogits [1000, 0], true class 1: naive −ln(softmax) = {naive} (e^1000 overflows); stable logsumexp form = {stable}");
    Ok(())
}
