//! Configuration mistakes panic (or fail) with messages that name the problem.

use autograd::{Param, Tape};
use nn::data::{Batches, MinMaxScaler, StandardScaler};
use nn::optim::Sgd;
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

#[test]
fn flatten_names_rows_too_long_to_exist() {
    // An empty batch can have any shape; its rows cannot (2^80 elements).
    let tape = Tape::new();
    let x = tape.constant(Tensor::<f32>::zeros(&[0, 1 << 40, 1 << 40]));
    let msg = panic_message(|| nn::Flatten.forward(x));
    assert_eq!(
        msg,
        "Flatten: input [0, 1099511627776, 1099511627776]: its rows would hold more than \
         isize::MAX elements"
    );
    // Rows that do fit an empty batch flatten as usual.
    let x = tape.constant(Tensor::<f32>::zeros(&[0, 1 << 20, 1 << 20]));
    assert_eq!(nn::Flatten.forward(x).shape(), [0, 1 << 40]);
}
