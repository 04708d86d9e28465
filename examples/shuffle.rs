//! Shuffling. The study guide: "without shuffling, training follows the data's order and
//! becomes biased; use shuffle=True."
//!
//! The digits' training rows are sorted by class (all 0s, then all 1s, …, all 9s, as
//! several embedded datasets — iris, wine — come), and the same MLP (Dense 64 → 128 → 64
//! → 10, plain SGD 0.1, batches of 32; pixels standardized) is trained on them with
//! `shuffle(false)` and with `shuffle(true)`. After every epoch the example prints the
//! test accuracy, the predicted-class histogram and the per-class accuracy; it also records
//! the loss of every batch (`shuffle_loss.svg`: the unshuffled run's saw-tooth, one tooth
//! per epoch) and plots the predicted-class histograms after the first and the last epoch
//! (`shuffle_classes.svg`).
//!
//! The second trap is `validation_split`. wengert follows Keras: `validation_split(f)`
//! holds out the *last* `f` of the rows as given, before any shuffling (`shuffle` only
//! reorders the training rows, every epoch). On class-sorted rows the validation set is
//! then the last classes only, which the model never trains on. The example shows it and
//! the two ways out: shuffle (or stratify) the rows before fitting, e.g. split off the
//! validation rows with `train_test_split_with(SplitOptions { stratify: true, .. })` and
//! pass them as `validation_data`.
//!
//! Measured (release, 2 cores; the whole run takes well under a second): after epoch 1
//! the unshuffled model calls 88 % of the test digits a 9 — the class it saw last — and
//! has 0.142 accuracy; shuffled, 6 % and 0.746. After 8 epochs: 0.918 against 0.970, the
//! unshuffled model still over-predicting 8 and 9 (88 test rows where 71 are). Its batch
//! loss is a saw-tooth: low within a class, a jump at each class change. With Adam(0.001)
//! the order hurts differently: per-parameter steps and momentum blur the recency, so
//! the unshuffled model does not lean toward 8 and 9 but learns them worst (0.936 overall
//! against 0.970). `validation_split(0.2)` on the sorted rows holds out digits 7–9 only,
//! and validates at 0.017 accuracy; shuffling the rows once before `fit` gives 0.976, a
//! stratified `validation_data` 0.938.
//!
//! Run: `cargo run --release --example shuffle` (`WENGERT_QUICK=1`: 2 epochs; checks the
//! unshuffled model leans to the last class and the sorted validation split holds only the
//! last classes).

mod common;

use std::sync::{Arc, Mutex};

use common::Curve;
use rand::seq::SliceRandom;
use wengert::nn::data::SplitOptions;
use wengert::nn::train::{Logs, TrainContext};
use wengert::prelude::*;

const BATCH: usize = 32;

/// The MLP, with plain SGD (each step follows the current batch alone) or Adam.
fn mlp(adam: bool) -> Model {
    let mut rng = StdRng::seed_from_u64(1);
    let net = Sequential::new()
        .add(Linear::new(64, 128, &mut rng))
        .add(Relu)
        .add(Linear::new(128, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 10, &mut rng));
    let opt: Box<dyn Optimizer> = if adam {
        Box::new(Adam::new(1e-3))
    } else {
        Box::new(Sgd::new(0.1))
    };
    Model::new(net, loss::CrossEntropy, opt).metric(Accuracy::default())
}

/// Predicted classes of `x`.
fn predict(module: &dyn Module, x: &Tensor) -> Vec<usize> {
    let tape = Tape::inference();
    let logits = module.forward(tape.constant(x.clone())).value();
    let pred = logits.argmax(1, false).to_vec();
    pred.iter().map(|&p| p as usize).collect()
}

/// After an epoch: the histogram of predicted classes and the per-class accuracy.
type EpochView = ([usize; 10], [f64; 10]);

/// What the example watches during `fit`: each batch's loss, and after each epoch the
/// predicted-class histogram and per-class accuracy on the test rows.
struct Watch {
    x: Tensor,
    truth: Vec<usize>,
    rows: usize,
    /// Loss of every batch, recovered from the running epoch mean `fit` reports.
    batch_loss: Arc<Mutex<Vec<f64>>>,
    /// (histogram of predicted classes, per-class accuracy) after each epoch.
    epochs: Arc<Mutex<Vec<EpochView>>>,
    previous_mean: f64,
}

impl Callback for Watch {
    fn on_batch_end(&mut self, b: usize, logs: &Logs, _ctx: &mut TrainContext<'_, f32>) {
        let mean = logs.get("loss").unwrap_or(f64::NAN);
        let (seen, before) = ((b + 1) * BATCH, b * BATCH);
        let seen = seen.min(self.rows);
        let loss = if b == 0 {
            mean
        } else {
            (mean * seen as f64 - self.previous_mean * before as f64) / (seen - before) as f64
        };
        self.previous_mean = mean;
        self.batch_loss.lock().unwrap().push(loss);
    }

    fn on_epoch_end(&mut self, _epoch: usize, _logs: &Logs, ctx: &mut TrainContext<'_, f32>) {
        let pred = predict(ctx.module(), &self.x);
        let (mut hist, mut hits, mut count) = ([0usize; 10], [0usize; 10], [0usize; 10]);
        for (&p, &t) in pred.iter().zip(&self.truth) {
            hist[p] += 1;
            count[t] += 1;
            hits[t] += usize::from(p == t);
        }
        let per_class = std::array::from_fn(|c| hits[c] as f64 / count[c].max(1) as f64);
        self.epochs.lock().unwrap().push((hist, per_class));
    }
}

type Observed = (Vec<f64>, Vec<EpochView>);

fn train(
    x: &Tensor,
    y: &Tensor,
    test: &Dataset,
    epochs: usize,
    shuffle: bool,
    adam: bool,
) -> Result<Observed, Box<dyn std::error::Error>> {
    let watch = Watch {
        x: test.x.clone(),
        truth: test.y.to_indices(10)?,
        rows: x.shape()[0],
        batch_loss: Arc::default(),
        epochs: Arc::default(),
        previous_mean: 0.0,
    };
    let (losses, per_epoch) = (watch.batch_loss.clone(), watch.epochs.clone());
    mlp(adam).fit(
        x,
        y,
        FitConfig::new()
            .epochs(epochs)
            .batch_size(BATCH)
            .shuffle(shuffle)
            .seed(2)
            .verbose(0)
            .callback(watch),
    )?;
    let losses = losses.lock().unwrap().clone();
    let per_epoch = per_epoch.lock().unwrap().clone();
    Ok((losses, per_epoch))
}

fn row<T: std::fmt::Display>(v: &[T], width: usize) -> String {
    v.iter().map(|c| format!("{c:>width$}")).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let epochs = if quick { 2 } else { 8 };
    let data = datasets::digits();
    let (mut train_set, mut test) = data.train_test_split_with(SplitOptions {
        stratify: true,
        ..SplitOptions::new(0.2, 7)
    })?;
    // Standardize each pixel with the training rows' statistics.
    let scaler = StandardScaler::fit(&train_set.x);
    train_set.x = scaler.transform(&train_set.x);
    test.x = scaler.transform(&test.x);
    // Sort the training rows by class (a stable sort keeps the order within a class).
    let labels = train_set.y.to_indices(10)?;
    let mut order: Vec<usize> = (0..train_set.len()).collect();
    order.sort_by_key(|&i| labels[i]);
    let sorted = train_set.select(&order);
    println!(
        "{} training rows sorted by class, {} test rows, {} epochs, batches of {BATCH}\n",
        sorted.len(),
        test.len(),
        epochs
    );

    let mut loss_curves = Vec::new();
    let (mut final_hist, mut hists) = (Vec::new(), Vec::new());
    let (mut first_nines, mut final_acc) = (Vec::new(), Vec::new());
    for shuffle in [false, true] {
        let (losses, per_epoch) = train(&sorted.x, &sorted.y, &test, epochs, shuffle, false)?;
        println!("shuffle({shuffle}): after each epoch, test rows predicted as each digit, and per-digit accuracy");
        println!(
            "{:>7} {:>6}   predicted as 0..9{:>26}per-digit accuracy 0..9",
            "epoch", "acc", ""
        );
        for (e, (hist, per_class)) in per_epoch.iter().enumerate() {
            let acc = per_class.iter().sum::<f64>() / 10.0;
            let pc: Vec<String> = per_class.iter().map(|a| format!("{:.2}", a)).collect();
            println!(
                "{:>7} {acc:>6.3}  {}   {}",
                e + 1,
                row(hist, 4),
                row(&pc, 5)
            );
        }
        println!();
        let name = format!("shuffle({shuffle})");
        let points = losses
            .iter()
            .enumerate()
            .map(|(i, &l)| (i as f64 / (losses.len() / epochs) as f64, l))
            .collect();
        loss_curves.push(Curve::new(&name, points));
        let last_hist = per_epoch.last().map(|p| p.0).unwrap_or_default();
        hists.push((name.clone(), per_epoch[0].0, last_hist));
        final_hist.push((name, last_hist));
        first_nines.push(per_epoch[0].0[9] as f64 / test.len() as f64);
        final_acc.push(
            per_epoch
                .last()
                .map_or(0.0, |p| p.1.iter().sum::<f64>() / 10.0),
        );
    }
    let truth = test.y.to_indices(10)?;
    let mut true_hist = [0usize; 10];
    truth.iter().for_each(|&t| true_hist[t] += 1);
    let bars = |name: String, h: &[usize; 10]| {
        let points = h.iter().enumerate().map(|(c, &n)| (c as f64, n as f64));
        Curve::new(name, points.collect())
    };
    let mut hist_curves: Vec<Curve> = Vec::new();
    for (name, first, last) in &hists {
        hist_curves.push(bars(format!("{name}, epoch 1"), first));
        hist_curves.push(bars(format!("{name}, epoch {epochs}"), last));
    }
    hist_curves.push(bars("true counts".into(), &true_hist));
    std::fs::write(
        "shuffle_loss.svg",
        common::chart(
            "loss of every batch, class-sorted digits",
            "epoch",
            "batch loss (log scale)",
            (false, true),
            &loss_curves,
        ),
    )?;
    std::fs::write(
        "shuffle_classes.svg",
        common::chart(
            "test rows predicted as each digit, after the first and the last epoch",
            "digit",
            "test rows",
            (false, false),
            &hist_curves,
        ),
    )?;

    // validation_split on the sorted rows: the last 20 % before shuffling.
    let fraction = 0.2;
    let split_at = (sorted.len() as f64 * (1.0 - fraction)).floor() as usize;
    let mut held: Vec<usize> = labels_of(&sorted)?[split_at..].to_vec();
    held.dedup();
    let h = mlp(false).fit(
        &sorted.x,
        &sorted.y,
        FitConfig::new()
            .epochs(epochs)
            .validation_split(fraction)
            .seed(2)
            .verbose(0),
    )?;
    let trap = last(&h, "val_accuracy");
    // Way out 1: shuffle the rows once before fitting, then validation_split.
    let mut perm: Vec<usize> = (0..sorted.len()).collect();
    perm.shuffle(&mut StdRng::seed_from_u64(3));
    let mixed = sorted.select(&perm);
    let h = mlp(false).fit(
        &mixed.x,
        &mixed.y,
        FitConfig::new()
            .epochs(epochs)
            .validation_split(fraction)
            .seed(2)
            .verbose(0),
    )?;
    let fixed_shuffle = last(&h, "val_accuracy");
    // Way out 2: a stratified split, passed as validation_data.
    let (tr, va) = sorted.train_test_split_with(SplitOptions {
        stratify: true,
        ..SplitOptions::new(fraction, 3)
    })?;
    let h = mlp(false).fit(
        &tr.x,
        &tr.y,
        FitConfig::new()
            .epochs(epochs)
            .validation_data(&va.x, &va.y)
            .seed(2)
            .verbose(0),
    )?;
    let fixed_strat = last(&h, "val_accuracy");
    println!("validation_split({fraction}) on class-sorted rows holds out rows {split_at}.. : digits {held:?} only");
    println!(
        "  val_accuracy after {epochs} epochs: {trap:.4} (the model never trained on those digits)"
    );
    println!(
        "  rows shuffled once before fit, then validation_split: val_accuracy {fixed_shuffle:.4}"
    );
    println!(
        "  stratified split passed as validation_data:          val_accuracy {fixed_strat:.4}"
    );
    println!("\nwrote shuffle_loss.svg and shuffle_classes.svg");

    // The claim, loosened for quick mode.
    let (unshuffled, shuffled) = (&final_hist[0].1, &final_hist[1].1);
    let share = |h: &[usize; 10]| (h[8] + h[9]) as f64 / test.len() as f64;
    println!(
        "share of test rows predicted as 8 or 9 (truly {:.3}): unshuffled {:.3}, shuffled {:.3}",
        (true_hist[8] + true_hist[9]) as f64 / test.len() as f64,
        share(unshuffled),
        share(shuffled)
    );
    // The same with Adam(0.001): per-parameter step sizes and momentum blur the order.
    let mut adam = Vec::new();
    for shuffle in [false, true] {
        let (_, per_epoch) = train(&sorted.x, &sorted.y, &test, epochs, shuffle, true)?;
        let (hist, per_class) = per_epoch.last().copied().unwrap_or_default();
        let acc = per_class.iter().sum::<f64>() / 10.0;
        adam.push(acc);
        println!(
            "Adam(0.001), shuffle({shuffle}): test accuracy {acc:.3} after {epochs} epochs, 8 or 9 predicted for {:.3}, accuracy on 8 and 9: {:.2} {:.2}",
            share(&hist),
            per_class[8],
            per_class[9]
        );
    }
    println!(
        "after epoch 1, test rows predicted as 9: unshuffled {:.3}, shuffled {:.3}; final accuracy {:.3} against {:.3}",
        first_nines[0], first_nines[1], final_acc[0], final_acc[1]
    );
    if first_nines[0] < 0.5
        || first_nines[1] > 0.2
        || final_acc[0] >= final_acc[1]
        || adam[0] >= adam[1]
    {
        return Err("the unshuffled model does not lean toward the last classes".into());
    }
    if held.iter().any(|&d| d < 7) || trap > 0.2 || fixed_strat < trap + 0.3 {
        return Err("validation_split on sorted rows did not behave as described".into());
    }
    Ok(())
}

fn labels_of(d: &Dataset) -> Result<Vec<usize>, Box<dyn std::error::Error>> {
    Ok(d.y.to_indices(10)?)
}

fn last(h: &History, name: &str) -> f64 {
    h.get(name)
        .and_then(|v| v.last().copied())
        .unwrap_or(f64::NAN)
}
