//! The PyTorch fixture `cnn_digits` (written by PyTorch 2.15, see
//! `../shared/fixtures/README.md`): its state dict loads into the equivalent wengert
//! `Sequential` under the same names and shapes, and eval-mode outputs match PyTorch's.
//!
//! The file is read with the `safetensors` crate directly (integer entries such as
//! `num_batches_tracked` are skipped), and values are set through the model's named
//! parameters and buffers, independently of `nn::io`.

use std::collections::BTreeMap;

use autograd::Tape;
use nn::{AvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, Relu, Sequential};
use rand::SeedableRng;
use safetensors::{Dtype, SafeTensors};
use tensor::Tensor;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/pytorch/"
);

/// The float entries of a safetensors file, by name.
fn float_entries(path: &str) -> BTreeMap<String, Tensor<f32>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let file = SafeTensors::deserialize(&bytes).expect("a safetensors file");
    let mut out = BTreeMap::new();
    for (name, view) in file.tensors() {
        if view.dtype() != Dtype::F32 {
            assert_eq!(view.dtype(), Dtype::I64, "{name}: unexpected dtype");
            continue;
        }
        let data: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        out.insert(name, Tensor::from_vec(data, view.shape()).unwrap());
    }
    out
}

/// The numbers of `"key": {"shape": [..], "data": [..]}` in the fixture's JSON (a tiny
/// reader for this one layout: the key, then the first two bracketed lists after it).
fn json_tensor(json: &str, key: &str) -> Tensor<f32> {
    let at = json
        .find(&format!("\"{key}\""))
        .unwrap_or_else(|| panic!("no {key}"));
    let mut lists = json[at..]
        .split('[')
        .skip(1)
        .map(|s| s.split(']').next().unwrap());
    let numbers =
        |s: &str| -> Vec<f64> { s.split(',').map(|v| v.trim().parse().unwrap()).collect() };
    let shape: Vec<usize> = numbers(lists.next().unwrap())
        .iter()
        .map(|&v| v as usize)
        .collect();
    let data: Vec<f32> = numbers(lists.next().unwrap())
        .iter()
        .map(|&v| v as f32)
        .collect();
    Tensor::from_vec(data, &shape).unwrap()
}

/// The fixture's architecture, in wengert.
fn cnn(rng: &mut rand::rngs::StdRng) -> Sequential {
    Sequential::new()
        .add(Conv2d::builder(1, 8, 3).padding(1).build2d(rng))
        .add(BatchNorm2d::new(8))
        .add(Relu)
        .add(MaxPool2d::new(2))
        .add(
            Conv2d::builder(8, 16, 3)
                .padding(1)
                .bias(false)
                .build2d(rng),
        )
        .add(Relu)
        .add(AvgPool2d::new(2))
        .add(Flatten)
        .add(Linear::new(64, 10, rng))
}

#[test]
fn cnn_digits_loads_under_pytorch_names_and_reproduces_its_eval_outputs() {
    let entries = float_entries(&format!("{DIR}cnn_digits.safetensors"));
    let json = std::fs::read_to_string(format!("{DIR}cnn_digits.json")).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut model = cnn(&mut rng);
    // The file PyTorch wrote loads strictly (every name both ways, the int64
    // num_batches_tracked included) through the ordinary loader.
    let skipped = nn::io::load_weights(&model, format!("{DIR}cnn_digits.safetensors")).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    for (name, param) in model.parameters().into_iter().chain(model.buffers()) {
        if let Some(value) = entries.get(&name) {
            assert_eq!(
                &param.value(),
                value,
                "{name}: the values read independently"
            );
        }
    }
    model.set_training(false);
    let x = json_tensor(&json, "input");
    let want = json_tensor(&json, "output_eval");
    assert_eq!(x.shape(), &[3, 1, 8, 8]);
    let tape = Tape::inference();
    let got = model.forward(tape.constant(x)).value();
    assert_eq!(got.shape(), want.shape());
    for (k, (a, b)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * b.abs().max(1.0),
            "output {k}: ours {a}, PyTorch {b}"
        );
    }
}
