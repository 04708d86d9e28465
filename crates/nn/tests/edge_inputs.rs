//! Inputs at the edges: hand-made safetensors files and checkpoints (including crafted
//! counts and indices that must be errors, not allocations or overflows), CSV text at the
//! edges, losses at exact 0/1 and infinite logits, convolution and pooling layers on
//! awkward shapes, and fit configurations at the edges. Expected values come from the
//! maths or PyTorch's documented behaviour.

use std::path::PathBuf;

use autograd::Tape;
use nn::data::{parse_csv, CsvOptions, Target};
use nn::io::{load_weights, read_state_dict, save_weights, state_dict_from_bytes};
use nn::loss::{binary_cross_entropy, cross_entropy, Mse, Reduction};
use nn::optim::Adam;
use nn::train::FitConfig;
use nn::{Linear, Model, Module, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-edge-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A safetensors file: 8-byte little-endian header length, the JSON header, the data.
fn safetensors(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn net(seed: u64) -> Sequential<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new().add(Linear::new(2, 1, &mut rng))
}

fn model(seed: u64) -> Model<f32> {
    Model::new(net(seed), Mse, Adam::new(0.01))
}

// ---- safetensors files -------------------------------------------------------------

#[test]
fn empty_and_truncated_weight_files_are_format_errors() {
    for bytes in [
        &b""[..],
        &b"\x05\0\0\0"[..],
        &b"\xff\xff\xff\xff\xff\xff\xff\x7f{}"[..],
    ] {
        let err = state_dict_from_bytes::<f32>(bytes, "w.st").unwrap_err();
        assert!(
            err.to_string().starts_with("w.st: not a valid safetensors"),
            "{err}"
        );
    }
    // A header that promises 8 bytes of data, with 4 present.
    let h = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    let err = state_dict_from_bytes::<f32>(&safetensors(h, &[0; 4]), "w.st").unwrap_err();
    assert!(
        err.to_string().starts_with("w.st: not a valid safetensors"),
        "{err}"
    );
}

#[test]
fn a_header_claiming_2_pow_62_elements_is_an_error_not_an_allocation() {
    let h = r#"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]}}"#;
    let err = state_dict_from_bytes::<f32>(&safetensors(h, &[0; 4]), "big").unwrap_err();
    assert!(
        err.to_string().starts_with("big: not a valid safetensors"),
        "{err}"
    );
    // Dimensions whose product overflows u64.
    let h = r#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}"#;
    assert!(state_dict_from_bytes::<f32>(&safetensors(h, &[0; 4]), "big").is_err());
}

#[test]
fn a_zero_length_axis_beside_huge_ones_loads_as_an_empty_tensor() {
    // PyTorch: torch.empty(0, 2**40, 2**40) is a valid 0-element tensor.
    let h = r#"{"a":{"dtype":"F32","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}}"#;
    let state = state_dict_from_bytes::<f32>(&safetensors(h, &[]), "z").unwrap();
    assert_eq!(state[0].1.shape(), &[0, 1 << 40, 1 << 40]);
    assert_eq!(state[0].1.numel(), 0);
}

#[test]
fn nan_and_inf_weights_load_as_stored() {
    // safetensors stores bits; PyTorch's load_state_dict copies NaN and inf as they are.
    let mut data = f32::NAN.to_le_bytes().to_vec();
    data.extend_from_slice(&f32::NEG_INFINITY.to_le_bytes());
    let h = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    let state = state_dict_from_bytes::<f64>(&safetensors(h, &data), "n").unwrap();
    let v = state[0].1.to_vec();
    assert!(v[0].is_nan());
    assert_eq!(v[1], f64::NEG_INFINITY);
}

#[test]
fn a_non_utf8_header_and_an_unknown_dtype_are_errors() {
    let mut bytes = safetensors("{\"\u{1}\":1}", &[]);
    bytes[9] = 0xff;
    assert!(state_dict_from_bytes::<f32>(&bytes, "u").is_err());
    let h = r#"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#;
    let err = state_dict_from_bytes::<f32>(&safetensors(h, &[0]), "d").unwrap_err();
    assert!(err.to_string().contains("a has dtype F8_E4M3"), "{err}");
}

#[test]
fn failed_weight_loads_leave_the_model_unchanged() {
    let model = net(1);
    let before = model.state_dict();
    let path = tmp("extra.safetensors");
    // Right tensors plus an extra one: strict load fails, nothing changes.
    let mut other = net(2).state_dict();
    other.push(("2.weight".into(), Tensor::zeros(&[1])));
    nn::io::save_state_dict(&other, &path).unwrap();
    let err = load_weights(&model, &path).unwrap_err().to_string();
    assert!(err.contains("unexpected: 2.weight"), "{err}");
    assert_eq!(model.state_dict(), before);
    // One tensor with the wrong shape, one missing.
    let wrong = vec![("0.weight".to_string(), Tensor::<f32>::zeros(&[2, 1]))];
    nn::io::save_state_dict(&wrong, &path).unwrap();
    let err = load_weights(&model, &path).unwrap_err().to_string();
    assert!(
        err.contains("shape of 0.weight: file has [2, 1], model has [1, 2]"),
        "{err}"
    );
    assert!(err.contains("missing: 0.bias"), "{err}");
    assert_eq!(model.state_dict(), before);
    // A truncated copy of a good file.
    save_weights(&net(3), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    assert!(load_weights(&model, &path).is_err());
    assert_eq!(model.state_dict(), before);
    // Empty file, missing file.
    std::fs::write(&path, b"").unwrap();
    assert!(load_weights(&model, &path).is_err());
    let err = read_state_dict::<f32>(tmp("nope.safetensors")).unwrap_err();
    assert!(err.to_string().contains("nope.safetensors"), "{err}");
    assert_eq!(model.state_dict(), before);
}

#[test]
fn integer_weights_of_every_width_load_into_floats() {
    // I64 -3 and U8 200: PyTorch's .float() gives -3.0 and 200.0.
    let mut data = (-3i64).to_le_bytes().to_vec();
    data.push(200);
    let h = r#"{"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[1],"data_offsets":[8,9]}}"#;
    let state = state_dict_from_bytes::<f32>(&safetensors(h, &data), "i").unwrap();
    assert_eq!(state[0].1.shape(), &[] as &[usize]);
    assert_eq!(state[0].1.to_vec(), vec![-3.0]);
    assert_eq!(state[1].1.to_vec(), vec![200.0]);
}

// ---- checkpoints ---------------------------------------------------------------------

/// Rewrites a safetensors file's JSON header with `edit`, keeping the data.
fn edit_header(path: &PathBuf, edit: impl FnOnce(&mut serde_json::Value)) {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    edit(&mut header);
    let text = serde_json::to_string(&header).unwrap();
    std::fs::write(path, safetensors(&text, &bytes[8 + n..])).unwrap();
}

fn trained_checkpoint(name: &str) -> (Model<f32>, PathBuf) {
    let mut m = model(1);
    let x = Tensor::<f32>::ones(&[4, 2]);
    m.fit(
        &x,
        &Tensor::ones(&[4, 1]),
        FitConfig::new().epochs(1).verbose(0),
    )
    .unwrap();
    let path = tmp(name);
    m.save_checkpoint(&path).unwrap();
    (m, path)
}

#[test]
fn a_checkpoint_with_bad_metadata_is_an_error_and_changes_nothing() {
    let (_, path) = trained_checkpoint("meta.safetensors");
    for (key, value) in [
        ("format", "wengert-checkpoint/99"),
        ("epoch", "-1"),
        ("optimizer.lr", "fast"),
        ("augment.count", "x"),
        ("optimizer", "Sgd"),
    ] {
        let copy = tmp(&format!("meta-{key}.safetensors"));
        std::fs::copy(&path, &copy).unwrap();
        edit_header(&copy, |h| {
            h["__metadata__"][key] = serde_json::Value::String(value.into());
        });
        let mut m = model(7);
        let before = m.module().state_dict();
        let err = m.load_checkpoint(&copy).unwrap_err().to_string();
        assert!(err.contains("meta-"), "{key}: {err}");
        assert_eq!(m.module().state_dict(), before, "{key}");
    }
}

/// Overwrites the bytes of tensor `name` in a safetensors file.
fn set_tensor_bytes(path: &PathBuf, name: &str, value: &[u8]) {
    let mut bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let start = header[name]["data_offsets"][0].as_u64().unwrap() as usize + 8 + n;
    bytes[start..start + value.len()].copy_from_slice(value);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn crafted_counts_and_indices_in_a_checkpoint_are_errors_not_allocations() {
    let (_, path) = trained_checkpoint("counts.safetensors");
    let huge = "18446744073709551615";
    for key in ["augment.count", "callbacks.count"] {
        let copy = tmp(&format!("count-{key}.safetensors"));
        std::fs::copy(&path, &copy).unwrap();
        edit_header(&copy, |h| {
            h["__metadata__"][key] = serde_json::Value::String(huge.into());
        });
        let mut m = model(7);
        let before = m.module().state_dict();
        let err = m.load_checkpoint(&copy).unwrap_err().to_string();
        assert!(
            err.contains("more than this file can describe"),
            "{key}: {err}"
        );
        assert_eq!(m.module().state_dict(), before, "{key}");
    }
    // The bound is for counts of things the file lists, not for the epoch: a long run's
    // checkpoint (epoch 5000, far more than this small file's entries) loads.
    let long = tmp("long-run.safetensors");
    std::fs::copy(&path, &long).unwrap();
    edit_header(&long, |h| {
        h["__metadata__"]["epoch"] = serde_json::Value::String("5000".into());
    });
    assert_eq!(model(7).load_checkpoint(&long).unwrap(), 5000);
    // An optimizer slot numbered u64::MAX (was `i + 1` overflowing, or a huge Vec).
    let copy = tmp("slot.safetensors");
    std::fs::copy(&path, &copy).unwrap();
    edit_header(&copy, |h| {
        let obj = h.as_object_mut().unwrap();
        let entry = obj.remove("optimizer.state.0.step").unwrap();
        obj.insert(format!("optimizer.state.{huge}.step"), entry);
    });
    let err = model(7).load_checkpoint(&copy).unwrap_err().to_string();
    assert!(err.contains("beyond any this file can hold"), "{err}");
}

/// PyTorch keeps Adam's `step` as a float tensor; a step that is not a whole number of
/// steps (∞, NaN, −1, 0.5) used to be cast to u64::MAX or 0 and overflow in the next fit.
#[test]
fn an_impossible_adam_step_in_a_checkpoint_is_an_error() {
    let (_, path) = trained_checkpoint("step.safetensors");
    for bad in [f32::INFINITY, f32::NAN, -1.0, 0.5, 1e30] {
        let copy = tmp(&format!("step-{bad}.safetensors"));
        std::fs::copy(&path, &copy).unwrap();
        set_tensor_bytes(&copy, "optimizer.state.0.step", &bad.to_le_bytes());
        let mut m = model(7);
        let before = m.module().state_dict();
        let err = m.load_checkpoint(&copy).unwrap_err().to_string();
        assert!(err.contains("not a whole number of steps"), "{bad}: {err}");
        assert_eq!(m.module().state_dict(), before, "{bad}");
    }
}

// ---- CSV -----------------------------------------------------------------------------
#[test]
fn csv_edges_are_errors_naming_file_line_and_column() {
    let opts = CsvOptions::default();
    let err = parse_csv::<f32>("", "e.csv", &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("e.csv"), "{err}");
    let err = parse_csv::<f32>("a,b\n", "h.csv", &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("h.csv"), "{err}");
    let err = parse_csv::<f32>("a,b\n1,2\n3\n", "r.csv", &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("r.csv:3"), "{err}");
    // Non-UTF-8 bytes in a field: an error quoting it, not a panic.
    let bytes = b"a,b\n1,\xff\xfe\n";
    let path = tmp("bad-utf8.csv");
    std::fs::write(&path, bytes).unwrap();
    let err = nn::data::read_csv::<f32>(&path, &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains(":2: column 2 (b)"), "{err}");
    // Non-UTF-8 header: lossy names, data still read.
    std::fs::write(&path, b"\xffa,b\n1,2\n").unwrap();
    let data = nn::data::read_csv::<f32>(&path, &opts).unwrap();
    assert_eq!(data.x.to_vec(), vec![1.0]);
    // A quoted field over two lines counts both lines.
    let err = parse_csv::<f32>("a,b\n\"1\n\",2\nx,3\n", "q.csv", &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("q.csv:4: column 1 (a)"), "{err}");
    // Target index past the width, target name absent.
    let t = CsvOptions::default().target(Target::Indices(vec![usize::MAX]));
    assert!(parse_csv::<f32>("a,b\n1,2\n", "t.csv", &t).is_err());
    let t = CsvOptions::default()
        .header(false)
        .target(Target::Names(vec!["y".into()]));
    assert!(parse_csv::<f32>("1,2\n", "t.csv", &t).is_err());
}

#[test]
fn csv_numbers_at_the_edges_read_as_pandas_reads_them() {
    // pandas: "inf"/"-inf" are ±inf, "NaN"/"" are NaN, -0 keeps its sign.
    let d = parse_csv::<f32>(
        "a,b,c,d,y\ninf,-inf,3e38,NaN,\n1e-46,-0,+5,.5,1\n",
        "n.csv",
        &CsvOptions::default(),
    )
    .unwrap();
    let x = d.x.to_vec();
    assert_eq!(x[0], f32::INFINITY);
    assert_eq!(x[1], f32::NEG_INFINITY);
    assert_eq!(x[2], 3e38);
    assert!(x[3].is_nan());
    assert!(d.y.to_vec()[0].is_nan());
    assert_eq!(x[4], 0.0); // below f32's smallest subnormal: rounds to 0, as a cast does
    assert!(x[5] == 0.0 && x[5].is_sign_negative());
    assert_eq!((x[6], x[7]), (5.0, 0.5));
    // Where pandas gives an infinity for a number written out (1e400, or 1e39 cast to
    // float32), the read stops naming the line and column (decision 54).
    for (text, column) in [("a,b\n1,1e400\n", 2), ("a,b\n1e39,2\n", 1)] {
        let err = parse_csv::<f32>(text, "n.csv", &CsvOptions::default()).unwrap_err();
        assert!(
            matches!(err, nn::data::DataError::OutOfRange { line: 2, column: c, .. } if c == column),
            "{err}"
        );
    }
}

// ---- losses --------------------------------------------------------------------------

#[test]
fn bce_at_exact_zero_and_one_matches_pytorch() {
    // torch.nn.functional.binary_cross_entropy clamps each log at −100:
    // p = [0, 0, 1, 1], y = [0, 1, 0, 1] → per-element [0, 100, 100, 0], mean 50.
    let tape = Tape::<f64>::new();
    let p = tape.var(Tensor::from([0.0, 0.0, 1.0, 1.0]));
    let y = Tensor::from([0.0, 1.0, 0.0, 1.0]);
    let per = binary_cross_entropy(p, &y, Reduction::None);
    assert_eq!(per.value().to_vec(), vec![0.0, 100.0, 100.0, 0.0]);
    let l = binary_cross_entropy(p, &y, Reduction::Mean);
    assert_eq!(l.item(), 50.0);
    let g = [l.backward()[&p].clone()];
    // PyTorch's backward: (p − y) / max(p(1 − p), 1e-12), ÷4 under the mean.
    assert_eq!(g[0].to_vec(), vec![0.0, -0.25e12, 0.25e12, 0.0]);
}

#[test]
fn cross_entropy_with_masked_classes_and_empty_batches() {
    // A class with logit −∞ has probability 0: CE([0, −∞], 0) = 0, gradient
    // softmax − onehot = [0, 0].
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[0.0, f64::NEG_INFINITY]]));
    let l = cross_entropy(x, &Tensor::from([0.0]), Reduction::Mean);
    assert_eq!(l.item(), 0.0);
    let g = [l.backward()[&x].clone()];
    assert_eq!(g[0].to_vec(), vec![0.0, 0.0]);
    // Target on the masked class: +inf (PyTorch gives inf).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from([[0.0, f64::NEG_INFINITY]]));
    let l = cross_entropy(x, &Tensor::from([1.0]), Reduction::Sum);
    assert_eq!(l.item(), f64::INFINITY);
    // Empty batch: PyTorch's mean of nothing is NaN, the sum 0.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[0, 3]));
    let t = Tensor::<f64>::zeros(&[0]);
    assert!(cross_entropy(x, &t, Reduction::Mean).item().is_nan());
    assert_eq!(cross_entropy(x, &t, Reduction::Sum).item(), 0.0);
}

#[test]
fn class_labels_out_of_range_or_fractional_panic_naming_the_loss() {
    for label in [3.0, -1.0, 0.5, f64::NAN, 1e300] {
        let r = std::panic::catch_unwind(|| {
            let tape = Tape::<f64>::new();
            let x = tape.var(Tensor::zeros(&[1, 3]));
            let _ = cross_entropy(x, &Tensor::from([label]), Reduction::Mean);
        });
        let msg = r.unwrap_err();
        let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            msg.contains("nll_loss") && msg.contains("0..3"),
            "{label}: {msg}"
        );
    }
}

// ---- convolution and pooling ---------------------------------------------------------

#[test]
fn conv_on_an_empty_batch_gives_an_empty_batch() {
    // PyTorch: conv2d of a [0, 2, 5, 5] input by a [4, 2, 3, 3] weight is [0, 4, 3, 3].
    let mut rng = StdRng::seed_from_u64(0);
    let conv = nn::Conv2d::<f32>::new(2, 4, 3, &mut rng);
    let tape = Tape::new();
    let y = conv.forward(tape.var(Tensor::zeros(&[0, 2, 5, 5])));
    assert_eq!(y.shape(), vec![0, 4, 3, 3]);
}

#[test]
fn conv_with_zero_input_channels_is_the_bias() {
    // Σ over no channels is 0: PyTorch's conv2d of [1, 0, 4, 4] by [2, 0, 3, 3] is zeros
    // [1, 2, 2, 2].
    let x = Tensor::<f32>::zeros(&[1, 0, 4, 4]);
    let w = Tensor::<f32>::zeros(&[2, 0, 3, 3]);
    let y = x.conv2d(&w, tensor::Conv2dParams::default());
    assert_eq!(y.shape(), &[1, 2, 2, 2]);
    assert!(y.to_vec().iter().all(|&v| v == 0.0));
}

#[test]
fn kernel_larger_than_input_is_an_error_naming_the_shapes() {
    let x = Tensor::<f32>::zeros(&[1, 1, 2, 2]);
    let w = Tensor::<f32>::zeros(&[1, 1, 3, 3]);
    let err = x
        .try_conv2d(&w, tensor::Conv2dParams::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("conv2d") && err.contains("[1, 1, 2, 2]") && err.contains("[1, 1, 3, 3]"),
        "{err}"
    );
    // Padding makes it fit: PyTorch gives [1, 1, 2, 2] for padding 1.
    let y = x.conv2d(&w, tensor::Conv2dParams::default().padding(1));
    assert_eq!(y.shape(), &[1, 1, 2, 2]);
    // Huge stride/dilation/padding: errors, not overflow panics.
    for p in [
        tensor::Conv2dParams::default().dilation(usize::MAX),
        tensor::Conv2dParams::default().padding(usize::MAX),
        tensor::Conv2dParams::default().stride(0),
    ] {
        assert!(x.try_conv2d(&w, p).is_err());
    }
    let y = x.conv2d(
        &Tensor::zeros(&[1, 1, 1, 1]),
        tensor::Conv2dParams::default().stride(usize::MAX),
    );
    assert_eq!(y.shape(), &[1, 1, 1, 1]);
}

#[test]
fn pooling_at_the_edges() {
    // PyTorch max_pool2d: kernel 3 on a 2×2 input fails; kernel 2, padding 1 on 2×2 gives
    // 2×2 (windows over the padding take the real values only).
    let x = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 2, 2]).unwrap();
    let r = std::panic::catch_unwind(|| x.max_pool2d(tensor::Pool2d::new(3)));
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("max_pool2d") && msg.contains("[1, 1, 2, 2]"),
        "{msg}"
    );
    let y = x.max_pool2d(tensor::Pool2d::new(2).padding(1));
    assert_eq!(y.to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    // avg_pool2d counts the padding by default (count_include_pad=True): corners 1/4, …
    let y = x.avg_pool2d(tensor::Pool2d::new(2).padding(1));
    assert_eq!(y.to_vec(), vec![0.25, 0.5, 0.75, 1.0]);
    // Non-contiguous input: a transposed view pools as its copy.
    let t = Tensor::<f32>::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]).unwrap();
    let tt = t.transpose(2, 3);
    assert_eq!(
        tt.max_pool2d(tensor::Pool2d::new(2)).to_vec(),
        tt.contiguous().max_pool2d(tensor::Pool2d::new(2)).to_vec()
    );
    // Adaptive average to a larger size than the input: PyTorch repeats values.
    let y = x.adaptive_avg_pool2d([4, 4]);
    assert_eq!(y.shape(), &[1, 1, 4, 4]);
    assert_eq!(y.to_vec()[..4], [1.0, 1.0, 2.0, 2.0]);
}

// ---- fit at the edges -----------------------------------------------------------------

fn xy() -> (Tensor<f32>, Tensor<f32>) {
    let x = Tensor::from_vec((0..20).map(|v| v as f32 / 10.0).collect(), &[10, 2]).unwrap();
    let y = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10, 1]).unwrap();
    (x, y)
}

#[test]
fn fit_with_zero_epochs_or_an_initial_epoch_past_the_end_trains_nothing() {
    // Keras: fit(epochs=0) and fit(initial_epoch=5, epochs=2) run no epoch.
    let (x, y) = xy();
    let mut m = model(1);
    let before = m.module().state_dict();
    let h = m
        .fit(&x, &y, FitConfig::new().epochs(0).verbose(0))
        .unwrap();
    assert!(h.is_empty());
    let h = m
        .fit(
            &x,
            &y,
            FitConfig::new().epochs(2).initial_epoch(5).verbose(0),
        )
        .unwrap();
    assert!(h.is_empty());
    assert_eq!(m.module().state_dict(), before);
}

#[test]
fn a_batch_larger_than_the_data_is_one_full_batch() {
    let (x, y) = xy();
    let mut a = model(1);
    let mut b = model(1);
    let cfg = |bs| {
        FitConfig::new()
            .epochs(3)
            .batch_size(bs)
            .shuffle(false)
            .verbose(0)
    };
    let ha = a.fit(&x, &y, cfg(1000)).unwrap();
    let hb = b.fit(&x, &y, cfg(10)).unwrap();
    assert_eq!(ha.get("loss"), hb.get("loss"));
    assert_eq!(a.module().state_dict(), b.module().state_dict());
}

#[test]
fn bad_learning_rates_fail_and_leave_the_model_unchanged() {
    let (x, y) = xy();
    for lr in [f64::NAN, -0.1, f64::INFINITY] {
        let mut m = Model::new(net(1), Mse, nn::optim::Sgd::new(lr));
        let before = m.module().state_dict();
        assert!(
            m.fit(&x, &y, FitConfig::new().epochs(1).verbose(0))
                .is_err(),
            "{lr}"
        );
        assert_eq!(m.module().state_dict(), before, "{lr}");
    }
    // lr = 0 is valid in PyTorch and changes nothing.
    let mut m = Model::new(net(1), Mse, nn::optim::Sgd::new(0.0));
    let before = m.module().state_dict();
    m.fit(&x, &y, FitConfig::new().epochs(2).verbose(0))
        .unwrap();
    assert_eq!(m.module().state_dict(), before);
}

#[test]
fn validation_split_of_one_is_an_error_and_changes_nothing() {
    // Keras: split_at ∈ {0, n} → ValueError.
    let (x, y) = xy();
    let mut m = model(1);
    let before = m.module().state_dict();
    for f in [1.0, 0.99, f64::NAN, -0.5] {
        assert!(
            m.fit(&x, &y, FitConfig::new().validation_split(f).verbose(0))
                .is_err(),
            "{f}"
        );
    }
    assert_eq!(m.module().state_dict(), before);
}

// ---- tensor ops on empty axes ------------------------------------------------------------
#[test]
fn reductions_over_empty_axes_follow_pytorch() {
    // PyTorch: sum over an empty axis is 0, mean NaN, max an error; logsumexp −inf.
    let x = Tensor::<f32>::zeros(&[2, 0]);
    assert_eq!(x.sum(1, false).to_vec(), vec![0.0, 0.0]);
    assert!(x.mean(1, false).to_vec().iter().all(|v| v.is_nan()));
    assert_eq!(x.logsumexp(1, false).to_vec(), vec![f32::NEG_INFINITY; 2]);
    let r = std::panic::catch_unwind(|| x.max(1, false));
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("max") && msg.contains("[2, 0]"), "{msg}");
    assert!(std::panic::catch_unwind(|| x.argmax(1, false)).is_err());
    // Reducing the non-empty axis of an empty tensor gives an empty result.
    assert_eq!(x.max(0, false).shape(), &[0]);
    assert_eq!(x.softmax(1).shape(), &[2, 0]);
    // NaN propagates through max (NumPy/PyTorch), argmax points at it (NumPy).
    let y = Tensor::<f32>::from([1.0, f32::NAN, 3.0]);
    assert!(y.max(0, false).item().is_nan());
    assert!(y.max_all().is_nan());
    assert_eq!(y.argmax(0, false).item(), 1.0);
}

#[test]
fn matmul_with_an_empty_inner_axis_is_zeros() {
    // Σ over k = 0 terms: torch.mm of [2, 0] and [0, 3] is zeros [2, 3].
    let a = Tensor::<f64>::zeros(&[2, 0]);
    let b = Tensor::<f64>::zeros(&[0, 3]);
    let c = a.matmul(&b);
    assert_eq!(c.shape(), &[2, 3]);
    assert_eq!(c.to_vec(), vec![0.0; 6]);
    // Batched, with a broadcast batch axis of 0.
    let a = Tensor::<f64>::zeros(&[0, 2, 4]);
    let b = Tensor::<f64>::zeros(&[1, 4, 3]);
    assert_eq!(a.matmul(&b).shape(), &[0, 2, 3]);
    // The gradient through an empty product is zeros of the operands' shapes.
    let tape = Tape::<f64>::new();
    let (x, w) = (
        tape.var(Tensor::zeros(&[2, 0])),
        tape.var(Tensor::zeros(&[0, 3])),
    );
    let grads = x.matmul(w).sum_all().backward();
    let g = [grads[&x].clone(), grads[&w].clone()];
    assert_eq!((g[0].shape(), g[1].shape()), (&[2, 0][..], &[0, 3][..]));
    // Mismatched inner axes: an error naming the op and both shapes.
    let err = Tensor::<f64>::zeros(&[2, 3])
        .try_matmul(&Tensor::zeros(&[4, 2]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("matmul") && err.contains("[2, 3]") && err.contains("[4, 2]"),
        "{err}"
    );
}

#[test]
fn views_at_the_edges() {
    let x = Tensor::<f32>::zeros(&[3, 0, 2]);
    // PyTorch: reshape(-1, 0) of a 0-element tensor is ambiguous → error.
    assert!(x.try_reshape(&[-1, 0]).is_err());
    assert_eq!(x.reshape(&[0, 7]).shape(), &[0, 7]);
    assert_eq!(x.permute(&[2, 0, 1]).shape(), &[2, 3, 0]);
    assert_eq!(x.narrow(0, 3, 0).shape(), &[0, 0, 2]);
    assert!(std::panic::catch_unwind(|| x.narrow(0, 2, 2)).is_err());
    assert!(std::panic::catch_unwind(|| x.narrow(0, usize::MAX, 2)).is_err());
    assert!(std::panic::catch_unwind(|| x.permute(&[0, 0, 1])).is_err());
    assert!(x.try_broadcast_to(&[4, 3, 0, 2]).is_ok());
    assert!(x.try_broadcast_to(&[3, 1, 2]).is_err());
    let big = 1usize << 40;
    assert!(Tensor::<f32>::zeros(&[2])
        .try_reshape(&[big as isize, big as isize, 0, -1])
        .is_err());
}

#[test]
fn a_panicking_callback_leaves_a_model_that_trains_again() {
    let (x, y) = xy();
    let mut m = Model::new(
        Sequential::<f32>::new()
            .add(Linear::new(2, 4, &mut StdRng::seed_from_u64(0)))
            .add(nn::Dropout::new(0.5, 3))
            .add(Linear::new(4, 1, &mut StdRng::seed_from_u64(1))),
        Mse,
        Adam::new(0.01),
    );
    let cb = nn::train::LambdaCallback::new(
        |_: usize, _: &nn::train::Logs, _: &mut nn::train::TrainContext<'_, f32>| {
            panic!("callback failed")
        },
    );
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        m.fit(&x, &y, FitConfig::new().epochs(2).verbose(0).callback(cb))
            .map(|_| ())
    }));
    assert!(r.is_err());
    let h = m
        .fit(&x, &y, FitConfig::new().epochs(2).verbose(0))
        .unwrap();
    assert_eq!(h.len(), 2);
    // Evaluation mode after the panic: Dropout is off, predictions repeat.
    assert_eq!(m.predict(&x).unwrap(), m.predict(&x).unwrap());
}

#[test]
fn pooling_parameters_at_the_extremes_are_errors() {
    let x = Tensor::<f32>::zeros(&[1, 1, 4, 4]);
    for p in [
        tensor::Pool2d::new(2).stride(0),
        tensor::Pool2d::new(0),
        tensor::Pool2d::new(2).padding(2), // more than half the kernel (PyTorch refuses)
        tensor::Pool2d::new(usize::MAX),
    ] {
        assert!(p.output_size([4, 4]).is_err(), "{p:?}");
        assert!(
            std::panic::catch_unwind(|| x.max_pool2d(p)).is_err(),
            "{p:?}"
        );
        assert!(
            std::panic::catch_unwind(|| x.avg_pool2d(p)).is_err(),
            "{p:?}"
        );
    }
    // Stride larger than the input: one window (PyTorch: floor((4 − 2)/100) + 1 = 1).
    assert_eq!(
        x.max_pool2d(tensor::Pool2d::new(2).stride(100)).shape(),
        &[1, 1, 1, 1]
    );
    // An empty batch pools to an empty batch.
    assert_eq!(
        Tensor::<f32>::zeros(&[0, 3, 4, 4])
            .max_pool2d(tensor::Pool2d::new(2))
            .shape(),
        &[0, 3, 2, 2]
    );
}

#[test]
fn conv1d_awkward_shapes() {
    let mut rng = StdRng::seed_from_u64(0);
    let conv = nn::Conv1d::<f32>::builder(2, 3, 5).build1d(&mut rng);
    let tape = Tape::new();
    // Kernel longer than the sequence: a panic (PyTorch raises).
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        conv.forward(tape.var(Tensor::zeros(&[1, 2, 3])))
    }));
    assert!(r.is_err());
    // A transposed (non-contiguous) input gives the same values as its copy.
    let x = Tensor::<f32>::rand_uniform(&[1, 6, 2], -1.0, 1.0, &mut rng).transpose(1, 2);
    let a = conv.forward(tape.var(x.clone())).value();
    let b = conv.forward(tape.var(x.contiguous())).value();
    assert_eq!(a.to_vec(), b.to_vec());
}

#[test]
fn keras_crossentropy_on_exact_zero_probabilities() {
    // Keras clips probabilities into [1e-7, 1 − 1e-7]: a true class given probability 0
    // costs −ln 1e-7 = 16.11809565095832, and the clipped entry passes no gradient.
    let tape = Tape::<f64>::new();
    let p = tape.var(Tensor::from([[0.0, 1.0]]));
    let l =
        nn::loss::categorical_crossentropy_probs(p, &Tensor::from([[1.0, 0.0]]), Reduction::Mean);
    assert!(
        (l.item() - 16.118_095_650_958_32).abs() < 1e-12,
        "{}",
        l.item()
    );
    assert_eq!(l.backward()[&p].to_vec(), vec![0.0, 0.0]);
    let tape = Tape::<f64>::new();
    let p = tape.var(Tensor::from([0.0, 1.0]));
    let l = nn::loss::binary_crossentropy_probs(p, &Tensor::from([1.0, 0.0]), Reduction::Sum);
    // Both terms clipped: −ln 1e-7 − ln(1 − (1 − 1e-7)).
    let expected = -(1e-7f64).ln() - (-(1.0 - 1e-7f64)).ln_1p();
    assert!(
        (l.item() - expected).abs() < 1e-9,
        "{} vs {expected}",
        l.item()
    );
}
