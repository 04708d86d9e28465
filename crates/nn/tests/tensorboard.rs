//! The TensorBoard callback's event files, read back by TensorBoard itself (Python's
//! `tensorboard` package, whose reader checks every record's CRC): the scalars equal the
//! History's values, the validation run is separate, histograms are there. `.ci/run`
//! installs the package with pip; where Python or the package is missing, the test says
//! so and checks only that the files exist.

use std::process::Command;

use nn::loss::CrossEntropy;
use nn::optim::Adam;
use nn::train::{Accuracy, FitConfig, TensorBoard};
use nn::{Linear, Model, Relu, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;

const READER: &str = r#"
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
out = {}
for run in ("train", "validation"):
    acc = EventAccumulator(sys.argv[1] + "/" + run, size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    out[run] = {
        "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
        "histograms": {t: [[e.step, e.histogram_value.num] for e in acc.Histograms(t)] for t in tags["histograms"]},
    }
print(json.dumps(out))
"#;

fn tensorboard_available() -> bool {
    Command::new("python3")
        .args(["-c", "import tensorboard"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn tensorboard_reads_what_the_callback_writes() {
    let mut rng = StdRng::seed_from_u64(0);
    let x = Tensor::<f32>::rand_uniform(&[60, 2], -1.0, 1.0, &mut rng);
    let y = x
        .map(|v| v)
        .sum(1, false)
        .map(|s| if s > 0.0 { 1.0 } else { 0.0 });
    let net = Sequential::new()
        .add(Linear::new(2, 8, &mut rng))
        .add(Relu)
        .add(Linear::new(8, 2, &mut rng));
    let mut model = Model::new(net, CrossEntropy, Adam::new(0.05)).metric(Accuracy::default());
    let dir = std::env::temp_dir().join(format!("wengert-tb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let history = model
        .fit(
            &x,
            &y,
            FitConfig::new()
                .epochs(4)
                .batch_size(16)
                .validation_split(0.25)
                .verbose(0)
                .callback(TensorBoard::new(&dir).histogram_freq(2)),
        )
        .unwrap();
    let files = |run: &str| {
        std::fs::read_dir(dir.join(run))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<Vec<_>>()
    };
    for run in ["train", "validation"] {
        let names = files(run);
        assert_eq!(names.len(), 1, "{run}: {names:?}");
        assert!(names[0].starts_with("events.out.tfevents."), "{names:?}");
    }
    if !tensorboard_available() {
        eprintln!(
            "skipped the read-back: Python's tensorboard package is not installed \
             (pip install tensorboard; .ci/run does)"
        );
        return;
    }
    let out = Command::new("python3")
        .args(["-c", READER, dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let series = |run: &str, tag: &str| -> Vec<(u64, f64)> {
        json[run]["scalars"][tag]
            .as_array()
            .unwrap_or_else(|| panic!("{run}/{tag} missing: {json}"))
            .iter()
            .map(|e| (e[0].as_u64().unwrap(), e[1].as_f64().unwrap()))
            .collect()
    };
    for (run, tag, name) in [
        ("train", "epoch_loss", "loss"),
        ("train", "epoch_accuracy", "accuracy"),
        ("train", "epoch_learning_rate", "learning_rate"),
        ("validation", "epoch_loss", "val_loss"),
        ("validation", "epoch_accuracy", "val_accuracy"),
    ] {
        let got = series(run, tag);
        let expected = history.get(name).unwrap();
        assert_eq!(got.len(), 4, "{run}/{tag}");
        for (epoch, ((step, v), e)) in got.iter().zip(expected).enumerate() {
            assert_eq!(*step, epoch as u64);
            // Scalars are stored as f32 (compared as f32: the JSON hop may round the
            // widened value in its last bit).
            assert_eq!(*v as f32, *e as f32, "{run}/{tag} epoch {epoch}");
        }
    }
    // Histograms at epochs 0 and 2, one per parameter, counting its entries.
    let hist = &json["train"]["histograms"]["0.weight"];
    assert_eq!(hist, &serde_json::json!([[0, 16.0], [2, 16.0]]), "{json}");
    assert_eq!(json["train"]["histograms"]["2.bias"][0][1], 2.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_writers_in_the_same_second_get_their_own_files() {
    let dir = std::env::temp_dir().join(format!("wengert-tb-two-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = nn::io::EventWriter::create(&dir).unwrap();
    let second = nn::io::EventWriter::create(&dir).unwrap();
    assert_ne!(first.path(), second.path());
    drop((first, second));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
