//! The learning rate. The study guide: "the learning rate is how much the weights
//! change." With plain SGD that is literal: each step moves the weights by
//! `−rate · gradient`.
//!
//! Part 1 trains one model (Dense 64 → 64 → 10 on the standardized digits, plain SGD,
//! batches of 16) with rates from far too small to far too large, prints the size of an
//! average weight step (‖Δw‖) and the loss after each epoch, and plots the loss curves on
//! a log scale (`learning_rate.svg`). A rate that is too large makes the loss NaN or
//! infinite: `fit` then stops with an error naming the epoch and batch (the model keeps
//! the weights of the step before), which the example prints and marks on the plot.
//!
//! Part 2 is a learning-rate range test (Leslie Smith's, as fastai's `lr_find`): one epoch
//! in which a callback raises the rate geometrically before every batch, from 1e-5 to 10,
//! recording the loss of each batch (`learning_rate_range.svg`, loss against rate on log
//! axes). The usual pick is about a tenth of the rate where the smoothed loss is lowest,
//! before it shoots up; the example trains with that pick to check it.
//!
//! Measured (release, 2 cores; about a second in all): the mean weight step grows with
//! the rate — ‖Δw‖ ≈ 1.3e-4, 1.3e-3, 7.6e-3 and 2.4e-2 for rates 1e-4 … 0.1 (less than
//! tenfold at the larger rates, since a model that has learned has smaller gradients).
//! After 30 epochs the loss is 2.24 at 1e-4 (test accuracy 0.156: it has barely moved),
//! 1.30 at 1e-3, 0.105 at 0.01 and 0.0058 at 0.1 (0.975). At 1 the first epoch is the
//! best of all (0.973) and then the loss climbs to 5e24 — diverging while still finite;
//! at 10 it is NaN at batch 23 of the first epoch and `fit` returns
//! `TrainError::NonFinite`: "fit: the loss is NaN at epoch 0 (0-based; shown as Epoch 1),
//! batch 23; training stopped before applying that update, …". The range test's smoothed
//! loss is lowest at a rate of 2.5; a tenth of it, 0.25, trains to test accuracy 0.975 —
//! as good as the best rate of the sweep.
//!
//! Run: `cargo run --release --example learning_rate` (`WENGERT_QUICK=1`: 3 epochs; checks
//! a tiny rate barely learns, a middle one does, the largest diverges with the error, and
//! the range test's pick lies between the extremes).

mod common;

use std::sync::{Arc, Mutex};

use common::Curve;
use wengert::nn::data::SplitOptions;
use wengert::nn::train::{Logs, TrainContext};
use wengert::prelude::*;

const BATCH: usize = 16;
/// Losses above this are drawn at it (a diverging run reaches 1e38).
const CAP: f64 = 100.0;

fn model(rate: f64) -> Model {
    let mut rng = StdRng::seed_from_u64(1);
    let net = Sequential::new()
        .add(Linear::new(64, 64, &mut rng))
        .add(Relu)
        .add(Linear::new(64, 10, &mut rng));
    Model::new(net, loss::CrossEntropy, Sgd::new(rate)).metric(Accuracy::default())
}

fn flat(module: &dyn Module) -> Vec<f32> {
    let params = module.parameters();
    params
        .iter()
        .flat_map(|(_, p)| p.value().to_vec())
        .collect()
}

/// Watches `fit`: the training loss after every epoch (kept even when `fit` fails), the
/// loss of every batch (from the running epoch mean), the weight-step sizes, and — in
/// range-test mode — sets the rate before every batch.
#[derive(Default)]
struct Watch {
    /// In range-test mode, the rate for each batch.
    rates: Option<Vec<f64>>,
    before: Vec<f32>,
    previous_mean: f64,
    rows: usize,
    epoch_loss: Arc<Mutex<Vec<f64>>>,
    batch_loss: Arc<Mutex<Vec<f64>>>,
    step_norm: Arc<Mutex<Vec<f64>>>,
}

impl Callback for Watch {
    fn on_batch_begin(&mut self, b: usize, ctx: &mut TrainContext<'_, f32>) {
        if let Some(rates) = &self.rates {
            ctx.set_learning_rate(rates[b.min(rates.len() - 1)]);
        }
        self.before = flat(ctx.module());
    }

    fn on_batch_end(&mut self, b: usize, logs: &Logs, ctx: &mut TrainContext<'_, f32>) {
        let mean = logs.get("loss").unwrap_or(f64::NAN);
        let (seen, before) = (((b + 1) * BATCH).min(self.rows), b * BATCH);
        // A non-finite loss arrives alone (not a running mean).
        let loss = if b == 0 || !mean.is_finite() {
            mean
        } else {
            (mean * seen as f64 - self.previous_mean * before as f64) / (seen - before) as f64
        };
        self.previous_mean = mean;
        self.batch_loss.lock().unwrap().push(loss);
        if !mean.is_finite() {
            return; // that update was not applied
        }
        let after = flat(ctx.module());
        let step: f64 = after
            .iter()
            .zip(&self.before)
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum();
        self.step_norm.lock().unwrap().push(step.sqrt());
    }

    fn on_epoch_end(&mut self, _epoch: usize, logs: &Logs, _ctx: &mut TrainContext<'_, f32>) {
        let loss = logs.get("loss").unwrap_or(f64::NAN);
        self.epoch_loss.lock().unwrap().push(loss);
    }
}

/// One run: per-epoch losses, per-batch losses, step norms, and the error if `fit` failed.
struct Run {
    epoch_loss: Vec<f64>,
    batch_loss: Vec<f64>,
    step_norm: Vec<f64>,
    error: Option<String>,
    model: Model,
}

fn run(x: &Tensor, y: &Tensor, rate: f64, epochs: usize, rates: Option<Vec<f64>>) -> Run {
    let watch = Watch {
        rates,
        rows: x.shape()[0],
        ..Watch::default()
    };
    let (e, b, s) = (
        watch.epoch_loss.clone(),
        watch.batch_loss.clone(),
        watch.step_norm.clone(),
    );
    let mut model = model(rate);
    let config = FitConfig::new()
        .epochs(epochs)
        .batch_size(BATCH)
        .seed(2)
        .verbose(0)
        .callback(watch);
    let error = model.fit(x, y, config).err().map(|e| e.to_string());
    let take = |v: Arc<Mutex<Vec<f64>>>| v.lock().unwrap().clone();
    Run {
        epoch_loss: take(e),
        batch_loss: take(b),
        step_norm: take(s),
        error,
        model,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("WENGERT_QUICK").is_some();
    let epochs = if quick { 3 } else { 30 };
    let data = datasets::digits();
    let (mut train, mut test) = data.train_test_split_with(SplitOptions {
        stratify: true,
        ..SplitOptions::new(0.2, 7)
    })?;
    let scaler = StandardScaler::fit(&train.x);
    train.x = scaler.transform(&train.x);
    test.x = scaler.transform(&test.x);
    let test_accuracy = |m: &mut Model| -> Result<f64, Box<dyn std::error::Error>> {
        Ok(m.evaluate(&test.x, &test.y)?.get("accuracy").unwrap_or(0.0))
    };

    // ---- Part 1: a sweep of fixed rates ----
    println!(
        "{} training rows, Dense 64 → 64 → 10, plain SGD, batches of {BATCH}, {epochs} epochs\n",
        train.len()
    );
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>10}  outcome",
        "rate", "mean ‖Δw‖", "loss ep. 1", "loss last", "test acc"
    );
    let rates = [1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0];
    let mut curves = Vec::new();
    let mut finals = Vec::new();
    let mut divergence = None;
    for &rate in &rates {
        let mut r = run(&train.x, &train.y, rate, epochs, None);
        let finite: Vec<f64> = r
            .step_norm
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let step = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
        let first = r.epoch_loss.first().copied().unwrap_or(f64::NAN);
        let last = r.epoch_loss.last().copied().unwrap_or(f64::NAN);
        let acc = test_accuracy(&mut r.model)?;
        let outcome = match &r.error {
            Some(_) => format!("stopped: NaN/∞ loss in epoch {}", r.epoch_loss.len() + 1),
            None if last > first => "loss grew: diverging (still finite)".to_string(),
            None => "trained".to_string(),
        };
        println!("{rate:>8} {step:>12.3e} {first:>12.4e} {last:>12.4e} {acc:>10.4}  {outcome}");
        let mut points: Vec<(f64, f64)> = (1..)
            .map(f64::from)
            .zip(r.epoch_loss.iter().copied())
            .collect();
        if let Some(e) = &r.error {
            // The failing epoch, batch by batch, up to the last finite loss; marked there.
            let n = r.epoch_loss.len();
            let per_epoch = train.len().div_ceil(BATCH);
            let tail = &r.batch_loss[n * per_epoch..];
            points.extend(
                tail.iter()
                    .enumerate()
                    .filter(|(_, l)| l.is_finite())
                    .map(|(b, &l)| (n as f64 + (b + 1) as f64 / per_epoch as f64, l)),
            );
            let &(x, y) = points.last().unwrap_or(&(1.0, 1.0));
            curves.push(
                Curve::new(format!("rate {rate}"), points)
                    .marked(x, y, "NaN → fit stops")
                    .capped(CAP),
            );
            divergence.get_or_insert((rate, e.clone()));
        } else {
            curves.push(Curve::new(format!("rate {rate}"), points).capped(CAP));
        }
        finals.push((rate, first, last, r.error.is_some()));
    }
    if let Some((rate, e)) = &divergence {
        println!("\nrate {rate}: fit returned the error\n  {e}");
    }
    std::fs::write(
        "learning_rate.svg",
        common::chart(
            "training loss per epoch by learning rate (SGD; drawn at most 100)",
            "epoch",
            "loss (log scale)",
            (false, true),
            &curves,
        ),
    )?;

    // ---- Part 2: the range test ----
    let batches = train.len().div_ceil(BATCH);
    let (lo, hi) = (1e-5f64, 10.0f64);
    let schedule: Vec<f64> = (0..batches)
        .map(|b| lo * (hi / lo).powf(b as f64 / (batches - 1) as f64))
        .collect();
    let r = run(&train.x, &train.y, lo, 1, Some(schedule.clone()));
    // Exponentially smoothed loss (bias-corrected, β = 0.9), as fastai's lr_find.
    let (mut avg, mut smooth) = (0.0, Vec::new());
    for (k, &l) in r.batch_loss.iter().enumerate() {
        avg = 0.9 * avg + 0.1 * l;
        smooth.push(avg / (1.0 - 0.9f64.powi(k as i32 + 1)));
    }
    let best = (0..smooth.len())
        .filter(|&k| smooth[k].is_finite())
        .min_by(|&a, &b| smooth[a].total_cmp(&smooth[b]))
        .unwrap_or(0);
    let pick = schedule[best] / 10.0;
    let stopped = r
        .error
        .as_ref()
        .map_or("the whole epoch ran".to_string(), |_| {
            format!(
                "fit stopped at batch {} on a non-finite loss",
                r.batch_loss.len() - 1
            )
        });
    println!(
        "\nrange test: {batches} batches, rate 1e-5 → 10; {stopped}\n\
         lowest smoothed loss {:.4} at rate {:.3e}; pick a tenth of it: {pick:.3e}",
        smooth[best], schedule[best]
    );
    let points = |v: &[f64]| v.iter().zip(&schedule).map(|(&l, &s)| (s, l)).collect();
    std::fs::write(
        "learning_rate_range.svg",
        common::chart(
            "range test: batch loss as the rate rises (drawn at most 10)",
            "learning rate (log scale)",
            "loss (log scale)",
            (true, true),
            &[
                Curve::new("batch loss", points(&r.batch_loss)).capped(10.0),
                Curve::new("smoothed", points(&smooth))
                    .marked(schedule[best], smooth[best], "lowest")
                    .capped(10.0),
            ],
        ),
    )?;
    let mut checked = run(&train.x, &train.y, pick, epochs, None);
    let picked_acc = test_accuracy(&mut checked.model)?;
    println!(
        "trained {epochs} epochs with the pick {pick:.3e}: loss {:.4}, test accuracy {picked_acc:.4}",
        checked.epoch_loss.last().copied().unwrap_or(f64::NAN)
    );
    println!("\nwrote learning_rate.svg and learning_rate_range.svg");

    // The claim, loosened for quick mode.
    let (tiny, middle, huge) = (finals[0], finals[3], finals[finals.len() - 1]);
    if tiny.3 || tiny.2 < 0.8 * tiny.1 {
        return Err(format!("rate {} should barely learn", tiny.0).into());
    }
    if middle.3 || middle.2 > 0.5 * middle.1 {
        return Err(format!("rate {} should learn", middle.0).into());
    }
    if !huge.3 || !divergence.is_some_and(|(_, e)| e.contains("epoch") && e.contains("batch")) {
        return Err(format!(
            "rate {} should diverge with an error naming epoch and batch",
            huge.0
        )
        .into());
    }
    if !(1e-4..=1.0).contains(&pick) {
        return Err(format!("the range test picked {pick:.3e}").into());
    }
    Ok(())
}
