//! Weights both ways with PyTorch: a state dict PyTorch wrote (with BatchNorm's int64
//! `num_batches_tracked`) reproduces PyTorch's outputs; wengert's files carry that buffer as
//! PyTorch does; strict and non-strict loads; every mismatch reported, nothing changed on
//! failure.

use std::path::{Path, PathBuf};

use autograd::Tape;
use nn::io::{load_weights, load_weights_with, read_state_dict, save_weights, WeightsError};
use nn::{BatchNorm1d, Dropout, Linear, Module, Relu, Sequential, Tanh};
use rand::rngs::StdRng;
use rand::SeedableRng;
use safetensors::{Dtype, SafeTensors};
use tensor::Tensor;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/pytorch"
);

/// The wengert twin of the fixture's
/// `Sequential(Linear(10,32), BatchNorm1d(32), ReLU, Dropout(0.1), Linear(32,16), Tanh, Linear(16,1))`.
fn mlp_batchnorm(seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Linear::new(10, 32, &mut rng))
        .add(BatchNorm1d::new(32))
        .add(Relu)
        .add(Dropout::new(0.1, seed))
        .add(Linear::new(32, 16, &mut rng))
        .add(Tanh)
        .add(Linear::new(16, 1, &mut rng))
}

fn json_tensor(v: &serde_json::Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    Tensor::from_vec(data, &shape).unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn predict(net: &Sequential, x: &Tensor<f64>) -> Vec<f64> {
    let tape = Tape::new();
    net.forward(tape.constant(x.cast()))
        .value()
        .to_vec()
        .into_iter()
        .map(f64::from)
        .collect()
}

#[test]
fn a_pytorch_state_dict_with_batchnorm_reproduces_pytorchs_outputs() {
    let dir = Path::new(FIXTURES);
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("mlp_batchnorm.json")).unwrap())
            .unwrap();
    let mut net = mlp_batchnorm(0);
    let skipped = load_weights(&net, dir.join("mlp_batchnorm.safetensors")).unwrap();
    assert!(skipped.is_empty());
    net.set_training(false);
    let (x, expected) = (
        json_tensor(&spec["input"]),
        json_tensor(&spec["output_eval"]),
    );
    let got = predict(&net, &x);
    assert_eq!(got.len(), 5);
    for (g, e) in got.iter().zip(expected.to_vec()) {
        assert!(
            (g - e).abs() <= 1e-5 * e.abs().max(1e-3),
            "{g} vs PyTorch {e}"
        );
    }
    // The int64 buffer arrived as a number: PyTorch counted some training batches.
    let state = read_state_dict::<f64>(dir.join("mlp_batchnorm.safetensors")).unwrap();
    let names: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        &names[..4],
        ["0.bias", "0.weight", "1.bias", "1.num_batches_tracked"]
    );
    let count = &state[3].1;
    assert!(count.shape().is_empty(), "a scalar");
    let count = count.to_vec()[0];
    assert!(count >= 1.0 && count.fract() == 0.0, "{count}");
    assert_eq!(net.state_dict()[6].1.to_vec(), [count as f32]);
}

#[test]
fn wengert_writes_num_batches_tracked_as_an_int64_scalar_and_reads_it_back() {
    let net = mlp_batchnorm(1);
    // Three training batches.
    for _ in 0..3 {
        let tape = Tape::new();
        net.forward(tape.constant(Tensor::<f32>::ones(&[4, 10])));
    }
    let path = temp("bn.safetensors");
    save_weights(&net, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let entry = file.tensor("1.num_batches_tracked").unwrap();
    assert_eq!((entry.dtype(), entry.shape()), (Dtype::I64, &[][..]));
    assert_eq!(entry.data(), 3i64.to_le_bytes());
    assert_eq!(file.tensor("1.running_mean").unwrap().dtype(), Dtype::F32);
    // Every entry has the name, dtype and shape PyTorch's own state dict of this model has
    // (as PyTorch listed it in the fixture's JSON), and there are no others.
    let spec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(FIXTURES).join("mlp_batchnorm.json")).unwrap(),
    )
    .unwrap();
    let torch = spec["state_dict"].as_object().unwrap();
    assert_eq!(file.len(), torch.len());
    for (name, entry) in torch {
        let ours = file.tensor(name).unwrap();
        let dtype = match entry["dtype"].as_str().unwrap() {
            "float32" => Dtype::F32,
            "int64" => Dtype::I64,
            other => panic!("{other}"),
        };
        let shape: Vec<usize> = serde_json::from_value(entry["shape"].clone()).unwrap();
        assert_eq!((ours.dtype(), ours.shape()), (dtype, &shape[..]), "{name}");
    }
    // PyTorch's names and order.
    let names: Vec<String> = net.state_dict().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "0.weight",
            "0.bias",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked",
            "4.weight",
            "4.bias",
            "6.weight",
            "6.bias"
        ]
    );
    let copy = mlp_batchnorm(2);
    load_weights(&copy, &path).unwrap();
    assert_eq!(copy.state_dict(), net.state_dict());
    // An f64 model reads the same f32 file.
    let mut rng = StdRng::seed_from_u64(0);
    let wide = Sequential::<f64>::new()
        .add(Linear::new(10, 32, &mut rng))
        .add(BatchNorm1d::new(32))
        .add(Relu)
        .add(Dropout::new(0.1, 0))
        .add(Linear::new(32, 16, &mut rng))
        .add(Tanh)
        .add(Linear::new(16, 1, &mut rng));
    load_weights(&wide, &path).unwrap();
    assert_eq!(wide.state_dict()[6].1.to_vec(), [3.0]);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn strict_and_non_strict_loads_report_missing_and_unexpected_keys() {
    let path = temp("strict.safetensors");
    let full = mlp_batchnorm(3);
    save_weights(&full, &path).unwrap();
    // A model with only the first Linear: 10 entries of the file are unexpected.
    let head = Sequential::<f32>::new().add(Linear::new(10, 32, &mut StdRng::seed_from_u64(9)));
    let before = head.state_dict();
    let err = load_weights(&head, &path).unwrap_err();
    match &err {
        WeightsError::Mismatch { problems, .. } => {
            assert_eq!(problems.len(), 9, "{problems:?}");
            assert_eq!(problems[0], "unexpected: 1.bias");
            assert_eq!(problems[8], "unexpected: 6.weight");
        }
        e => panic!("unexpected {e}"),
    }
    assert!(err.to_string().starts_with(&format!(
        "{}: weights do not match the model:\nunexpected: 1.bias\n",
        path.display()
    )));
    assert_eq!(head.state_dict(), before, "a failed load changes nothing");
    let skipped = load_weights_with(&head, &path, false).unwrap();
    assert_eq!(skipped.missing_keys, Vec::<String>::new());
    assert_eq!(skipped.unexpected_keys.len(), 9);
    assert_eq!(head.state_dict()[0], full.state_dict()[0]);
    // A bigger model: its extra layer is missing from the file.
    let bigger = mlp_batchnorm(4).add(Linear::new(1, 2, &mut StdRng::seed_from_u64(0)));
    let err = load_weights(&bigger, &path).unwrap_err().to_string();
    assert!(
        err.ends_with("missing: 7.weight (shape [2, 1])\nmissing: 7.bias (shape [2])"),
        "{err}"
    );
    let skipped = load_weights_with(&bigger, &path, false).unwrap();
    assert_eq!(skipped.missing_keys, ["7.weight", "7.bias"]);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn shape_mismatches_fail_even_non_strict_and_list_every_one() {
    let path = temp("shapes.safetensors");
    save_weights(&mlp_batchnorm(5), &path).unwrap();
    let mut rng = StdRng::seed_from_u64(0);
    let other = Sequential::<f32>::new()
        .add(Linear::new(10, 8, &mut rng))
        .add(BatchNorm1d::new(8));
    let before = other.state_dict();
    for strict in [true, false] {
        match load_weights_with(&other, &path, strict).unwrap_err() {
            WeightsError::Mismatch { problems, .. } => {
                let shapes: Vec<&String> =
                    problems.iter().filter(|p| p.starts_with("shape")).collect();
                assert_eq!(shapes.len(), 6, "{problems:?}");
                assert_eq!(
                    shapes[0],
                    "shape of 0.weight: file has [32, 10], model has [8, 10]"
                );
                assert_eq!(
                    shapes[5],
                    "shape of 1.running_var: file has [32], model has [8]"
                );
                assert_eq!(problems.len(), if strict { 10 } else { 6 });
            }
            e => panic!("unexpected {e}"),
        }
        assert_eq!(other.state_dict(), before);
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn old_files_without_num_batches_tracked_still_load_and_bad_files_are_named() {
    // A state dict without the counter, as wengert wrote before it counted batches.
    let path = temp("old.safetensors");
    let net = mlp_batchnorm(6);
    let state: Vec<_> = net
        .state_dict()
        .into_iter()
        .filter(|(n, _)| !n.ends_with("num_batches_tracked"))
        .collect();
    nn::io::save_state_dict(&state, &path).unwrap();
    let copy = mlp_batchnorm(7);
    assert!(load_weights(&copy, &path).unwrap().is_empty());
    assert_eq!(copy.state_dict()[0], net.state_dict()[0]);
    std::fs::write(&path, b"not safetensors").unwrap();
    let err = load_weights(&copy, &path).unwrap_err();
    assert!(matches!(err, WeightsError::Format { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with(&format!("{}: not a valid safetensors file", path.display())));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn half_precision_and_integer_entries_convert_and_odd_dtypes_are_named() {
    use safetensors::tensor::TensorView;
    let path = temp("f16.safetensors");
    // A Linear(2, 1) written in f16 by hand: weight [[1.5, -2.0]] (0x3E00, 0xC000), bias
    // [0.25] (0x3400).
    let weight = [0x00u8, 0x3E, 0x00, 0xC0];
    let bias = [0x00u8, 0x34];
    let views = vec![
        (
            "weight",
            TensorView::new(Dtype::F16, vec![1, 2], &weight).unwrap(),
        ),
        ("bias", TensorView::new(Dtype::F16, vec![1], &bias).unwrap()),
    ];
    std::fs::write(&path, safetensors::serialize(views, None).unwrap()).unwrap();
    let linear = Linear::<f64>::new(2, 1, &mut StdRng::seed_from_u64(0));
    load_weights(&linear, &path).unwrap();
    let state = linear.state_dict();
    assert_eq!(
        (state[0].1.to_vec(), state[1].1.to_vec()),
        (vec![1.5, -2.0], vec![0.25])
    );
    // An 8-bit float cannot be read: the error names the file, the entry and the dtype.
    let views = vec![(
        "bias",
        TensorView::new(Dtype::F8_E4M3, vec![1], &[0u8]).unwrap(),
    )];
    std::fs::write(&path, safetensors::serialize(views, None).unwrap()).unwrap();
    let err = load_weights(&linear, &path).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{}: bias has dtype F8_E4M3, which cannot be converted to a float",
            path.display()
        )),
        "{err}"
    );
    let twice = vec![
        ("w".to_string(), Tensor::<f32>::zeros(&[1])),
        ("w".to_string(), Tensor::<f32>::zeros(&[1])),
    ];
    let err = nn::io::save_state_dict(&twice, &path).unwrap_err();
    assert!(err
        .to_string()
        .ends_with("two entries are named \"w\"; a state dict needs unique names"));
    std::fs::remove_file(&path).unwrap();
}

/// A save that fails (here: the path is a directory, so the finished file cannot be moved
/// into place) reports the path and leaves no temporary file behind.
#[test]
fn a_failed_save_leaves_no_temporary_file() {
    let dir = temp("save-into-a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let err = save_weights(&mlp_batchnorm(0), &dir).unwrap_err();
    assert!(matches!(err, WeightsError::Io { .. }), "{err}");
    assert!(
        err.to_string().contains(&dir.display().to_string()),
        "{err}"
    );
    let mut tmp = dir.as_os_str().to_owned();
    tmp.push(".tmp");
    assert!(!Path::new(&tmp).exists(), "{tmp:?} was left behind");
    std::fs::remove_dir_all(&dir).unwrap();
}
