//! Recurrent layers against PyTorch's equations, written out in plain `f64` loops in
//! `rnn_reference/` (torch.nn.RNN / LSTM / GRU documentation), on odd sizes: hidden ≠
//! input, T = 1, a batch of one, two layers, bidirectional, initial states, variable
//! lengths; parameter names, shapes and initialization; shape errors.

mod rnn_reference;

use autograd::Tape;
use nn::{Gru, Lstm, Module, RnnState};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rnn_reference::{assert_all_close, nested, random, reference, Kind, Layer, KINDS};
use tensor::Tensor;

/// Runs the layer and the reference on the same data and compares output, h_n and c_n.
#[allow(clippy::too_many_arguments)]
fn check(
    kind: Kind,
    input: usize,
    hidden: usize,
    layers: usize,
    bidi: bool,
    batch_first: bool,
    n: usize,
    steps: usize,
    lengths: Option<&[usize]>,
) {
    let mut layer = Layer::build(kind, input, hidden, layers, bidi, batch_first);
    // Both modes, and without lengths also with every length T: an LSTM runs as
    // whole-sequence ops without lengths and step by step with them, the same equations.
    let full = vec![steps; n];
    let runs: Vec<(bool, Option<&[usize]>)> = [true, false]
        .into_iter()
        .flat_map(|training| match lengths {
            Some(l) => vec![(training, Some(l))],
            None => vec![(training, None), (training, Some(&full[..]))],
        })
        .collect();
    for (training, lengths) in runs {
        layer.set_training(training);
        let dirs = if bidi { 2 } else { 1 };
        let x_bm = random(&[n, steps, input], 1); // batch-major, for the reference
        let h0 = random(&[layers * dirs, n, hidden], 2);
        let c0 = random(&[layers * dirs, n, hidden], 3);
        let tape = Tape::new();
        let x = if batch_first {
            x_bm.clone()
        } else {
            x_bm.transpose(0, 1).contiguous()
        };
        let state = RnnState {
            h: tape.constant(h0.clone()),
            c: (kind == Kind::Lstm).then(|| tape.constant(c0.clone())),
        };
        let (out, fin) = layer.run(tape.constant(x), Some(state), lengths);
        let all = vec![steps; n];
        let lens = lengths.unwrap_or(&all);
        let (want_out, want_h, want_c) = reference(
            kind,
            &layer.grouped(),
            layers,
            dirs,
            hidden,
            &nested(&x_bm),
            &nested(&h0),
            &nested(&c0),
            lens,
        );
        let out = out.value();
        let out_bm = if batch_first {
            out
        } else {
            out.transpose(0, 1).contiguous()
        };
        assert_eq!(out_bm.shape(), &[n, steps, dirs * hidden]);
        assert_all_close(&nested(&out_bm), &want_out, "output");
        assert_all_close(&nested(&fin.h.value()), &want_h, "h_n");
        if kind == Kind::Lstm {
            assert_all_close(&nested(&fin.c.unwrap().value()), &want_c, "c_n");
        }
    }
}

#[test]
fn one_layer_hidden_differs_from_input() {
    for kind in KINDS {
        check(kind, 3, 5, 1, false, true, 2, 4, None);
    }
}

#[test]
fn a_single_step_and_a_batch_of_one() {
    for kind in KINDS {
        check(kind, 2, 3, 1, false, false, 1, 1, None);
        check(kind, 4, 1, 1, false, true, 1, 3, None);
    }
}

#[test]
fn two_layers_time_major() {
    for kind in KINDS {
        check(kind, 3, 4, 2, false, false, 3, 5, None);
    }
}

#[test]
fn bidirectional_two_layers() {
    for kind in KINDS {
        check(kind, 3, 2, 2, true, true, 2, 4, None);
    }
}

#[test]
fn variable_lengths_follow_packed_sequence_semantics() {
    for kind in KINDS {
        check(kind, 3, 4, 2, true, true, 3, 5, Some(&[5, 2, 1]));
        check(kind, 2, 3, 1, false, false, 2, 4, Some(&[1, 4]));
    }
}

#[test]
fn parameter_names_shapes_and_init_range_are_pytorchs() {
    let mut rng = StdRng::seed_from_u64(0);
    let gru = Gru::<f32>::builder(3, 5)
        .num_layers(2)
        .bidirectional(true)
        .build(&mut rng);
    let got: Vec<(String, Vec<usize>)> = gru
        .parameters()
        .into_iter()
        .map(|(n, p)| (n, p.shape()))
        .collect();
    let mut want = vec![];
    for l in 0..2 {
        for sfx in ["", "_reverse"] {
            let input = if l == 0 { 3 } else { 10 };
            want.push((format!("weight_ih_l{l}{sfx}"), vec![15, input]));
            want.push((format!("weight_hh_l{l}{sfx}"), vec![15, 5]));
            want.push((format!("bias_ih_l{l}{sfx}"), vec![15]));
            want.push((format!("bias_hh_l{l}{sfx}"), vec![15]));
        }
    }
    assert_eq!(got, want);
    let bound = 1.0 / 5f32.sqrt();
    for (name, p) in gru.parameters() {
        assert!(
            p.value().to_vec().iter().all(|v| v.abs() <= bound),
            "{name} outside U(±1/√H)"
        );
    }
    let lstm = Lstm::<f32>::builder(2, 3).bias(false).build(&mut rng);
    assert_eq!(lstm.parameters().len(), 2);
    assert_eq!(lstm.parameters()[1].1.shape(), [12, 3]);
}

#[test]
#[should_panic(expected = "Lstm: input of shape [2, 3] must be [T, N, 4]")]
fn a_two_dimensional_input_panics_naming_the_shapes() {
    let mut rng = StdRng::seed_from_u64(0);
    let lstm = Lstm::<f32>::new(4, 2, &mut rng);
    let tape = Tape::new();
    let _ = lstm.forward(tape.constant(Tensor::zeros(&[2, 3])));
}

#[test]
#[should_panic(expected = "Lstm: input of shape [2, 0, 4] has no time steps (T = 0)")]
fn an_empty_sequence_panics_naming_the_layer() {
    let mut rng = StdRng::seed_from_u64(0);
    let lstm = Lstm::<f32>::builder(4, 2).batch_first(true).build(&mut rng);
    let tape = Tape::new();
    let _ = lstm.forward(tape.constant(Tensor::zeros(&[2, 0, 4])));
}

#[test]
#[should_panic(expected = "sequence 1 has length 6")]
fn a_length_past_the_sequence_panics() {
    let mut rng = StdRng::seed_from_u64(0);
    let gru = Gru::<f32>::new(1, 2, &mut rng);
    let tape = Tape::new();
    let _ = gru.forward_with_state(
        tape.constant(Tensor::zeros(&[5, 2, 1])),
        None,
        Some(&[5, 6]),
    );
}

/// A hidden size whose stacked gates (4·h) overflow a size is refused by name, not by an
/// arithmetic overflow (debug) or a wrapped shape (release).
#[test]
#[should_panic(
    expected = "Lstm: hidden_size 4611686018427387904 is too large: 4·hidden_size overflows a size"
)]
fn an_overflowing_hidden_size_panics_naming_it() {
    let mut rng = StdRng::seed_from_u64(0);
    let _ = Lstm::<f32>::new(4, 1 << 62, &mut rng);
}

/// One that fits a size but not memory is refused by the weights' allocation check.
#[test]
fn a_hidden_size_too_large_for_memory_panics_naming_the_allocation() {
    let mut rng = StdRng::seed_from_u64(0);
    let panic =
        std::panic::catch_unwind(move || Lstm::<f32>::new(4, 1 << 40, &mut rng)).unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("[4398046511104, 4]"), "{message}");
}
