//! The one "did it improve?" rule (`Monitor`) and the callbacks built on it: Keras'
//! absolute threshold, PyTorch's relative one, schedules on resumed training, and the
//! History plot marking the monitored quantity's best epoch.

use nn::loss::Mse;
use nn::optim::{ExponentialDecay, Sgd};
use nn::train::{
    EarlyStopping, FitConfig, LearningRateScheduler, Logs, Mode, Monitor, ReduceLrOnPlateau,
    ThresholdMode, TrainContext,
};
use nn::{Linear, Model, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn data() -> (Tensor<f32>, Tensor<f32>) {
    let x = Tensor::<f32>::linspace(-1.0, 1.0, 40).reshape(&[40, 1]);
    let y = &(&x * 3.0) + 0.5;
    (x, y)
}

fn net(seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Linear::new(1, 1, &mut rng))
}

#[test]
fn absolute_and_relative_thresholds_in_both_directions() {
    // (mode, threshold mode, δ, best, current, improves?) — from the two definitions:
    // Keras abs: min cur + δ < best, max cur − δ > best; PyTorch rel: min cur < best(1 − δ),
    // max cur > best(1 + δ).
    let cases = [
        (Mode::Min, ThresholdMode::Abs, 0.05, 1.0, 0.96, false),
        (Mode::Min, ThresholdMode::Abs, 0.05, 1.0, 0.94, true),
        (Mode::Min, ThresholdMode::Abs, 0.0, 1.0, 1.0, false), // strict
        (Mode::Max, ThresholdMode::Abs, 0.05, 0.5, 0.54, false),
        (Mode::Max, ThresholdMode::Abs, 0.05, 0.5, 0.56, true),
        (Mode::Min, ThresholdMode::Rel, 0.1, 2.0, 1.85, false), // needs < 1.8
        (Mode::Min, ThresholdMode::Rel, 0.1, 2.0, 1.75, true),
        (Mode::Max, ThresholdMode::Rel, 0.1, 2.0, 2.15, false), // needs > 2.2
        (Mode::Max, ThresholdMode::Rel, 0.1, 2.0, 2.25, true),
        // A loss halving at 1e-3: no improvement by an absolute 1e-3, one by 1e-4 relative.
        (Mode::Min, ThresholdMode::Abs, 1e-3, 1e-3, 5e-4, false),
        (Mode::Min, ThresholdMode::Rel, 1e-4, 1e-3, 5e-4, true),
    ];
    for (mode, tm, delta, best, current, expected) in cases {
        let mut m = Monitor::new("val_loss")
            .mode(mode)
            .min_delta(delta)
            .threshold_mode(tm);
        m.resolve(|_| None).unwrap();
        assert_eq!(
            m.is_improvement(current, Some(best)),
            expected,
            "{mode:?} {tm:?} δ={delta}: {current} vs best {best}"
        );
    }
}

#[test]
fn auto_mode_follows_keras_3() {
    let known = |n: &str| (n == "accuracy").then_some(true);
    assert!(!Monitor::new("val_loss").resolve(known).unwrap());
    assert!(Monitor::new("val_accuracy").resolve(known).unwrap());
    let err = Monitor::new("my_metric").resolve(known).unwrap_err();
    assert!(err.contains("\"my_metric\""), "{err}");
}

#[test]
fn reduce_lr_on_plateau_with_a_relative_threshold_keeps_a_halving_loss_improving() {
    let mut model = Model::new(net(0), Mse, Sgd::new(0.1));
    let run = |cb: &mut ReduceLrOnPlateau, model: &mut Model| {
        let mut opt = Sgd::<f32>::new(0.1);
        let mut ctx = TrainContext::new(model.module_mut(), &mut opt);
        nn::train::Callback::on_train_begin(cb, &mut ctx);
        let mut v = 1e-3;
        for epoch in 0..4 {
            let mut logs = Logs::new();
            logs.set("val_loss", v);
            nn::train::Callback::on_epoch_end(cb, epoch, &logs, &mut ctx);
            v /= 2.0;
        }
        ctx.learning_rate()
    };
    let mut abs = ReduceLrOnPlateau::new("val_loss")
        .patience(2)
        .min_delta(1e-3);
    let mut rel = ReduceLrOnPlateau::new("val_loss")
        .patience(2)
        .min_delta(1e-4)
        .threshold_mode(ThresholdMode::Rel);
    // Absolute: epochs 1 and 2 do not improve by 1e-3, so the rate drops once (0.1 → 0.01).
    assert!((run(&mut abs, &mut model) - 0.01).abs() < 1e-12);
    assert!((run(&mut rel, &mut model) - 0.1).abs() < 1e-12);
}

#[test]
fn a_schedule_resumed_at_any_epoch_gives_the_uninterrupted_rates() {
    let (x, y) = data();
    let lr0 = 0.05;
    let cfg = |initial: usize, epochs: usize| {
        FitConfig::new()
            .epochs(epochs)
            .initial_epoch(initial)
            .batch_size(8)
            .verbose(0)
            .callback(LearningRateScheduler::new(ExponentialDecay { gamma: 0.5 }))
    };
    let mut model = Model::new(net(1), Mse, Sgd::new(lr0));
    let first = model.fit(&x, &y, cfg(0, 3)).unwrap();
    let second = model.fit(&x, &y, cfg(3, 6)).unwrap();
    let rates: Vec<f64> = first
        .get("learning_rate")
        .unwrap()
        .iter()
        .chain(second.get("learning_rate").unwrap())
        .copied()
        .collect();
    let expected: Vec<f64> = (0..6).map(|e| lr0 * 0.5f64.powi(e)).collect();
    assert_eq!(second.epoch, vec![3, 4, 5]);
    for (r, e) in rates.iter().zip(&expected) {
        assert!((r - e).abs() < 1e-15, "{rates:?} vs {expected:?}");
    }
}

#[test]
fn the_plot_marks_early_stoppings_best_epoch_on_its_own_panel_only() {
    let (x, y) = data();
    let mut model =
        Model::new(net(2), Mse, Sgd::new(0.05)).metric(nn::train::MeanAbsoluteError::default());
    let h = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(30)
                .batch_size(8)
                .verbose(0)
                .validation_split(0.25)
                .callback(EarlyStopping::new("val_mae").patience(2)),
        )
        .unwrap();
    assert_eq!(h.monitor.as_deref(), Some("val_mae"));
    let best = h.best_epoch.unwrap();
    // The best epoch is where val_mae is smallest among the recorded epochs (no min_delta).
    let v = h.get("val_mae").unwrap();
    let argmin = (0..v.len()).min_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
    assert_eq!(best, h.epoch[argmin]);
    let svg = h.to_svg();
    assert_eq!(svg.matches("best: epoch").count(), 1, "only the mae panel");
    let mae_panel = text_position(&svg, "mae").expect("an mae panel");
    let mark = svg.find(&format!("best: epoch {}", best + 1)).unwrap();
    assert!(
        mark > mae_panel,
        "the mark is on the mae panel, after the loss panel"
    );
}

#[test]
fn thresholds_are_strict_at_the_boundary_in_every_mode() {
    // Exactly at the threshold is not an improvement (Keras: `current − δ > best`;
    // PyTorch: `current < best·(1 − δ)`), with values exact in binary.
    let cases = [
        (Mode::Max, ThresholdMode::Abs, 0.0, 0.5, 0.5),
        (Mode::Max, ThresholdMode::Abs, 0.25, 0.5, 0.75),
        (Mode::Min, ThresholdMode::Abs, 0.25, 1.0, 0.75),
        (Mode::Min, ThresholdMode::Rel, 0.5, 2.0, 1.0),
        (Mode::Max, ThresholdMode::Rel, 0.5, 2.0, 3.0),
    ];
    for (mode, tm, delta, best, current) in cases {
        let mut m = Monitor::new("score")
            .mode(mode)
            .min_delta(delta)
            .threshold_mode(tm);
        m.resolve(|_| None).unwrap();
        assert!(!m.is_improvement(current, Some(best)), "{mode:?} {tm:?}");
        // A hair past the threshold is one.
        let past = if mode == Mode::Max {
            current + 1e-9
        } else {
            current - 1e-9
        };
        assert!(m.is_improvement(past, Some(best)), "{mode:?} {tm:?} past");
        // No reference yet: anything improves.
        assert!(m.is_improvement(current, None));
    }
    // A negative δ counts as its absolute value.
    let mut m = Monitor::new("loss").mode(Mode::Min).min_delta(-0.25);
    m.resolve(|_| None).unwrap();
    assert!(!m.is_improvement(0.8, Some(1.0)));
    assert!(m.is_improvement(0.7, Some(1.0)));
}

#[test]
fn update_tracks_the_best_value_until_reset() {
    let mut m = Monitor::new("val_accuracy").min_delta(0.1);
    assert_eq!(m.name(), "val_accuracy");
    // Auto mode reads the direction from the metric: accuracy goes up.
    assert!(m.resolve(|n| (n == "accuracy").then_some(true)).unwrap());
    assert!(m.higher_is_better());
    assert_eq!(m.best(), None);
    // 0.5 (first: improves), 0.55 (not by 0.1), 0.65 (yes), 0.6 (no), 0.8 (yes).
    let seen: Vec<bool> = [0.5, 0.55, 0.65, 0.6, 0.8]
        .iter()
        .map(|&v| m.update(v))
        .collect();
    assert_eq!(seen, [true, false, true, false, true]);
    assert_eq!(m.best(), Some(0.8));
    m.reset();
    assert_eq!(m.best(), None);
    assert!(m.update(0.1), "after reset the first value improves again");
    assert_eq!(m.best(), Some(0.1));
    // A restored best is the reference for the next value.
    m.set_best(Some(0.9));
    assert_eq!(m.best(), Some(0.9));
    assert!(!m.update(0.95));
    assert!(m.update(1.01));
    assert_eq!(m.best(), Some(1.01));
}

#[test]
fn direction_before_and_after_resolve() {
    // Before resolve: Max is higher-is-better, Min and Auto assume lower.
    assert!(Monitor::new("x").mode(Mode::Max).higher_is_better());
    assert!(!Monitor::new("x").mode(Mode::Min).higher_is_better());
    assert!(!Monitor::new("x").higher_is_better());
    // Resolve in explicit modes ignores what the metric says.
    let always_up = |_: &str| Some(true);
    assert!(!Monitor::new("acc")
        .mode(Mode::Min)
        .resolve(always_up)
        .unwrap());
    assert!(Monitor::new("loss")
        .mode(Mode::Max)
        .resolve(|_| None)
        .unwrap());
    // Auto: `loss` and `val_loss` go down whatever the callback says; a metric that the
    // callback calls lower-is-better goes down; `val_` is stripped before asking.
    assert!(!Monitor::new("loss").resolve(always_up).unwrap());
    assert!(!Monitor::new("val_loss").resolve(always_up).unwrap());
    let mut m = Monitor::new("val_mae");
    assert!(!m.resolve(|n| (n == "mae").then_some(false)).unwrap());
    assert!(!m.higher_is_better());
    let mut m = Monitor::new("val_auc");
    assert!(m.resolve(|n| (n == "auc").then_some(true)).unwrap());
    assert!(m.higher_is_better());
    // Changing the mode after resolving forgets the resolved direction.
    let m = m.mode(Mode::Min);
    assert!(!m.higher_is_better());
}

#[test]
fn best_index_takes_the_first_of_ties_in_either_direction() {
    let values = [0.5, 0.2, 0.9, 0.2, 0.9, 0.4];
    let mut low = Monitor::new("loss");
    low.resolve(|_| None).unwrap();
    assert_eq!(low.best_index(&values), Some(1));
    let high = Monitor::new("acc").mode(Mode::Max);
    assert_eq!(high.best_index(&values), Some(2));
    // min_delta is ignored: the plain extreme.
    let high = Monitor::new("acc").mode(Mode::Max).min_delta(10.0);
    assert_eq!(high.best_index(&[0.1, 0.3, 0.2]), Some(1));
    assert_eq!(low.best_index(&[]), None);
    assert_eq!(low.best_index(&[7.0]), Some(0));
    // The best at the last position is found.
    assert_eq!(low.best_index(&[3.0, 2.0, 1.0]), Some(2));
}

/// Where the first `<text>` element whose content (trimmed) is `label` starts in `svg`.
fn text_position(svg: &str, label: &str) -> Option<usize> {
    svg.match_indices("<text").map(|(i, _)| i).find(|&i| {
        let rest = &svg[i..];
        let open_end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let close = rest.find("</text>").unwrap_or(rest.len());
        open_end <= close && rest[open_end..close].trim() == label
    })
}
