//! The PyTorch fixtures `lstm_tokens` and `gru_forecast` (written by PyTorch 2.15, see
//! `../shared/fixtures/pytorch/*.json`): each state dict loads strictly into the
//! equivalent wengert model under PyTorch's names, and the eval-mode outputs match
//! PyTorch's within 1e-5 relative.

use autograd::{Tape, Var};
use nn::{Embedding, Gru, LastStep, Linear, Lstm, Module, Named};
use rand::SeedableRng;
use tensor::Tensor;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/pytorch/"
);

/// The numbers of `"key": {"shape": [..], "data": [..]}` in the fixture's JSON (the key,
/// then the first two bracketed lists after it).
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

fn assert_close(got: &Tensor<f32>, want: &Tensor<f32>) {
    assert_eq!(got.shape(), want.shape());
    for (k, (a, b)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * b.abs().max(1.0),
            "output {k}: ours {a}, PyTorch {b}"
        );
    }
}

/// `emb=Embedding(12,6); lstm=LSTM(6,8,num_layers=2,batch_first=True); head=Linear(8,3)`
/// on the last step.
struct Tokens {
    emb: Embedding,
    lstm: Lstm,
    head: Linear,
}

impl Module for Tokens {
    fn forward<'t>(&self, x: Var<'t>) -> Var<'t> {
        let seq = self.lstm.forward(self.emb.forward(x));
        self.head.forward(LastStep.forward(seq))
    }
    fn parameters(&self) -> Vec<Named<'_, f32>> {
        let mut out = nn::module::prefixed("emb", self.emb.parameters());
        out.extend(nn::module::prefixed("lstm", self.lstm.parameters()));
        out.extend(nn::module::prefixed("head", self.head.parameters()));
        out
    }
}

/// `gru=GRU(1,10,batch_first=True); head=Linear(10,1)` on the last step.
struct Forecast {
    gru: Gru,
    head: Linear,
}

impl Module for Forecast {
    fn forward<'t>(&self, x: Var<'t>) -> Var<'t> {
        self.head.forward(LastStep.forward(self.gru.forward(x)))
    }
    fn parameters(&self) -> Vec<Named<'_, f32>> {
        let mut out = nn::module::prefixed("gru", self.gru.parameters());
        out.extend(nn::module::prefixed("head", self.head.parameters()));
        out
    }
}

#[test]
fn lstm_tokens_loads_under_pytorch_names_and_reproduces_its_outputs() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut model = Tokens {
        emb: Embedding::new(12, 6, &mut rng),
        lstm: Lstm::builder(6, 8)
            .num_layers(2)
            .batch_first(true)
            .build(&mut rng),
        head: Linear::new(8, 3, &mut rng),
    };
    let skipped = nn::io::load_weights(&model, format!("{DIR}lstm_tokens.safetensors")).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    model.set_training(false);
    let json = std::fs::read_to_string(format!("{DIR}lstm_tokens.json")).unwrap();
    let x = json_tensor(&json, "input");
    assert_eq!(x.shape(), &[3, 7]);
    let tape = Tape::inference();
    let got = model.forward(tape.constant(x)).value();
    assert_close(&got, &json_tensor(&json, "output_eval"));
}

#[test]
fn gru_forecast_loads_under_pytorch_names_and_reproduces_its_outputs() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut model = Forecast {
        gru: Gru::builder(1, 10).batch_first(true).build(&mut rng),
        head: Linear::new(10, 1, &mut rng),
    };
    let skipped = nn::io::load_weights(&model, format!("{DIR}gru_forecast.safetensors")).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    model.set_training(false);
    let json = std::fs::read_to_string(format!("{DIR}gru_forecast.json")).unwrap();
    let x = json_tensor(&json, "input");
    assert_eq!(x.shape(), &[3, 9, 1]);
    let tape = Tape::inference();
    let got = model.forward(tape.constant(x)).value();
    assert_close(&got, &json_tensor(&json, "output_eval"));
}
