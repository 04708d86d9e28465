//! Training sequence models with `Model`: `fit`/`evaluate`/`predict` on `[N, T, F]`
//! series and on integer tokens, `summary_for` with sequence shapes, and gradient
//! clipping as the remedy for exploding gradients on a long sequence.

use autograd::{Param, Tape};
use nn::loss::{self, Reduction};
use nn::optim::{clip_grad_norm, global_norm, Adam, Optimizer, Sgd};
use nn::train::{Accuracy, FitConfig, Model};
use nn::{Embedding, Gru, LastStep, Linear, Lstm, Module, Rnn, Sequential};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::Tensor;

#[test]
fn fit_evaluate_predict_on_series_batches() {
    // Target: the first step's value, which only a memory of the sequence can give.
    let mut rng = StdRng::seed_from_u64(0);
    let (n, t) = (256, 6);
    let x = Tensor::<f32>::rand_uniform(&[n, t, 1], -1.0, 1.0, &mut rng);
    let y = x.narrow(1, 0, 1).reshape(&[n as isize, 1]).contiguous();
    let net = Sequential::new()
        .add(Gru::builder(1, 16).batch_first(true).build(&mut rng))
        .add(LastStep)
        .add(Linear::new(16, 1, &mut rng));
    let mut model = Model::new(net, loss::Mse, Adam::new(0.01));
    let before = model.evaluate(&x, &y).unwrap().get("loss").unwrap();
    let config = FitConfig::new()
        .epochs(40)
        .batch_size(32)
        .seed(1)
        .verbose(0);
    model.fit(&x, &y, config).unwrap();
    let after = model.evaluate(&x, &y).unwrap().get("loss").unwrap();
    assert!(after < 0.1 * before, "MSE {before} → {after}");
    assert_eq!(model.predict(&x).unwrap().shape(), [n, 1]);
}

#[test]
fn fit_on_integer_tokens_with_an_embedding() {
    // Class = whether token 1 or token 2 came first; later tokens are noise (3..8).
    let mut rng = StdRng::seed_from_u64(0);
    let (n, t) = (256, 7);
    let mut ids = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..n {
        let class = rng.random_range(0..2);
        ids.push((1 + class) as f32);
        for _ in 1..t {
            ids.push(rng.random_range(3..8) as f32);
        }
        labels.push(class as f32);
    }
    let x = Tensor::from_vec(ids, &[n, t]).unwrap();
    let y = Tensor::from_vec(labels, &[n]).unwrap();
    let mut net = Sequential::new()
        .add(Embedding::new(8, 4, &mut rng))
        .add(Lstm::builder(4, 12).batch_first(true).build(&mut rng))
        .add(LastStep)
        .add(Linear::new(12, 2, &mut rng));
    let table = net.summary_for(&[t]);
    assert!(
        table.contains("(None, 7, 4)")
            && table.contains("(None, 7, 12)")
            && table.contains("(None, 12)"),
        "{table}"
    );
    assert!(table.contains("Lstm(4 → 12, batch_first)"), "{table}");
    let mut model =
        Model::new(net, loss::CrossEntropy, Adam::new(0.02)).metric(Accuracy::default());
    let config = FitConfig::new()
        .epochs(30)
        .batch_size(32)
        .seed(2)
        .verbose(0);
    model.fit(&x, &y, config).unwrap();
    let acc = model.evaluate(&x, &y).unwrap().get("accuracy").unwrap();
    assert!(acc > 0.95, "accuracy {acc}");
    assert_eq!(model.predict(&x).unwrap().shape(), [n, 2]);
}

/// A ReLU RNN whose recurrent weight is 1.1·I: over 100 steps the state, and the
/// gradient, grow like 1.1¹⁰⁰ ≈ 1.4·10⁴ (exploding gradients).
fn exploding_rnn() -> (Rnn<f64>, Linear<f64>) {
    let mut rng = StdRng::seed_from_u64(3);
    let rnn = Rnn::<f64>::builder(1, 4)
        .relu()
        .batch_first(true)
        .build(&mut rng);
    let params = rnn.parameters();
    let w_hh: &Param<f64> = params[1].1;
    let mut eye = vec![0.0; 16];
    for i in 0..4 {
        eye[i * 5] = 1.1;
    }
    w_hh.set(Tensor::from_vec(eye, &[4, 4]).unwrap());
    params[0].1.set(Tensor::full(&[4, 1], 0.5));
    params[2].1.set(Tensor::full(&[4], 0.1));
    params[3].1.set(Tensor::zeros(&[4]));
    let head = Linear::new(4, 1, &mut rng);
    (rnn, head)
}

fn train_exploding(clip: Option<f64>) -> (f64, Vec<f64>) {
    let (rnn, head) = exploding_rnn();
    let mut rng = StdRng::seed_from_u64(4);
    let x = Tensor::<f64>::rand_uniform(&[8, 100, 1], 0.0, 1.0, &mut rng);
    let y = Tensor::<f64>::zeros(&[8, 1]);
    let params: Vec<&Param<f64>> = rnn
        .parameters()
        .into_iter()
        .chain(head.parameters())
        .map(|(_, p)| p)
        .collect();
    let mut sgd = Sgd::new(1e-2);
    let mut first_norm = 0.0;
    let mut losses = Vec::new();
    for step in 0..60 {
        let tape = Tape::new();
        let out = head.forward(LastStep.forward(rnn.forward(tape.constant(x.clone()))));
        let l = loss::mse_loss(out, &y, Reduction::Mean);
        losses.push(l.item());
        let mut grads = l.backward();
        if step == 0 {
            first_norm = global_norm(&grads);
        }
        if let Some(max) = clip {
            clip_grad_norm(&mut grads, max);
        }
        sgd.step(&params, &grads);
    }
    (first_norm, losses)
}

#[test]
fn clipping_the_gradient_norm_tames_exploding_gradients_on_a_long_sequence() {
    let (norm, unclipped) = train_exploding(None);
    assert!(norm > 1e6, "the gradient explodes: norm {norm}");
    let diverged = unclipped
        .iter()
        .any(|l| !l.is_finite() || *l > 1e3 * unclipped[0]);
    assert!(diverged, "plain SGD diverges: {unclipped:?}");
    let (_, clipped) = train_exploding(Some(1.0));
    assert!(clipped.iter().all(|l| l.is_finite()), "{clipped:?}");
    assert!(
        clipped.last().unwrap() < &(0.01 * clipped[0]),
        "clipped SGD converges: {clipped:?}"
    );
}
