//! Configuration mistakes panic (or fail) with messages that name the problem.

use autograd::{Param, Tape};
use nn::data::{Batches, MinMaxScaler, StandardScaler};
use nn::optim::{Adadelta, Adagrad, Adam, AdamW, RmsProp, Sgd};
use nn::train::{EarlyStopping, ReduceLrOnPlateau};
use nn::{BatchNorm1d, Dropout, LayerNorm, Module};
use tensor::Tensor;

fn panic_message<R>(f: impl FnOnce() -> R) -> String {
    let run = || {
        f();
    };
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn configuration_panics_name_the_problem() {
    assert!(
        panic_message(|| Dropout::new(1.5, 0)).contains("Dropout: p must be in [0, 1], got 1.5")
    );
    assert!(panic_message(|| Sgd::<f32>::new(0.1).nesterov(true))
        .contains("nesterov needs momentum > 0"));
    assert!(
        panic_message(|| ReduceLrOnPlateau::new("val_loss").factor(1.0))
            .contains("factor must be < 1")
    );
    assert!(
        panic_message(|| EarlyStopping::<f32>::new("val_loss").trend(1, 0.0))
            .contains("at least 2 epochs")
    );
    assert!(
        panic_message(|| Batches::new(10, 0, true, 0)).contains("batch_size must be at least 1")
    );
    assert!(
        panic_message(|| MinMaxScaler::fit_range(&Tensor::<f32>::zeros(&[2, 2]), 1.0, 0.0))
            .contains("range 1..0 is empty")
    );
    let scaler = StandardScaler::fit(&Tensor::<f32>::zeros(&[2, 3]));
    assert!(
        panic_message(|| scaler.transform(&Tensor::<f32>::zeros(&[2, 2])))
            .contains("fitted on 3 columns, got a tensor of shape [2, 2]")
    );
    assert!(
        panic_message(|| StandardScaler::fit(&Tensor::<f32>::zeros(&[4])))
            .contains("expected a [rows, columns] tensor")
    );
    // Optimizer settings that would make a non-negative quantity negative (PyTorch's
    // ValueErrors; RMSprop's α > 1 too).
    for (msg, expected) in [
        (
            panic_message(|| Adam::<f32>::new(1e-3).betas(0.9, 1.5)),
            "Adam: betas must be in [0, 1), got (0.9, 1.5)",
        ),
        (
            panic_message(|| AdamW::<f32>::new(1e-3).betas(-0.1, 0.9)),
            "Adam: betas must be in [0, 1), got (-0.1, 0.9)",
        ),
        (
            panic_message(|| RmsProp::<f32>::new(1e-2).alpha(1.01)),
            "RmsProp: alpha must be in [0, 1], got 1.01",
        ),
        (
            panic_message(|| Adadelta::<f32>::new(1.0).rho(f64::NAN)),
            "Adadelta: rho must be in [0, 1], got NaN",
        ),
        (
            panic_message(|| Adagrad::<f32>::new(1e-2).initial_accumulator_value(-0.1)),
            "Adagrad: initial_accumulator_value must be ≥ 0, got -0.1",
        ),
        (
            panic_message(|| Adagrad::<f32>::new(1e-2).lr_decay(-1e-3)),
            "Adagrad: lr_decay must be ≥ 0, got -0.001",
        ),
        (
            panic_message(|| Adam::<f32>::new(1e-3).eps(-1e-8)),
            "Adam: eps must be ≥ 0, got -0.00000001",
        ),
    ] {
        assert!(msg.contains(expected), "{msg}");
    }
    let p = Param::new("w", Tensor::<f32>::zeros(&[2]));
    assert!(panic_message(|| p.set(Tensor::zeros(&[3])))
        .contains("parameter \"w\" has shape [2], the new value [3]"));
}

#[test]
fn layer_shape_panics_name_the_expected_shape() {
    let tape = Tape::<f32>::new();
    let bn = BatchNorm1d::<f32>::new(3);
    assert!(
        panic_message(|| bn.forward(tape.constant(Tensor::zeros(&[4, 2]))))
            .contains("expected input [N, 3] or [N, 3, L], got [4, 2]")
    );
    let ln = LayerNorm::<f32>::new(3);
    assert!(
        panic_message(|| ln.forward(tape.constant(Tensor::zeros(&[4, 2]))))
            .contains("LayerNorm: input of shape [4, 2], expected last axis 3")
    );
}
