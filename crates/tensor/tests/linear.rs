//! `Tensor::linear` (`x·Wᵀ + b`, PyTorch's `linear`) against the sums written out in f64,
//! its shape errors, and the large-product split: any number of threads gives the same bits.

mod common;

use rand::{rngs::StdRng, SeedableRng};
use tensor::Tensor;

/// `y[r, o] = b[o] + Σ_i x[r, i]·w[o, i]`, summed in f64 from the rows of `x` (`[rows, in]`).
fn reference(x: &[f64], w: &Tensor<f64>, b: Option<&Tensor<f64>>, rows: usize) -> Vec<f64> {
    let (out, inf) = (w.shape()[0], w.shape()[1]);
    let (w, b) = (w.to_vec(), b.map(Tensor::to_vec));
    let mut y = Vec::new();
    for r in 0..rows {
        for o in 0..out {
            let dot: f64 = (0..inf).map(|i| x[r * inf + i] * w[o * inf + i]).sum();
            y.push(dot + b.as_ref().map_or(0.0, |b| b[o]));
        }
    }
    y
}

fn normal(shape: &[usize], rng: &mut StdRng) -> Tensor<f64> {
    Tensor::rand_normal(shape, 0.0, 1.0, rng)
}

#[test]
fn linear_matches_the_sums_written_out() {
    let mut rng = StdRng::seed_from_u64(7);
    let w = normal(&[5, 3], &mut rng);
    let b = normal(&[5], &mut rng);
    // 2-D, 3-D, 1-D inputs, with and without a bias.
    for shape in [&[4usize, 3][..], &[2, 3, 3], &[3]] {
        let x = normal(shape, &mut rng);
        let rows = x.numel() / 3;
        for bias in [Some(&b), None] {
            let y = x.linear(&w, bias);
            let mut expected_shape = shape[..shape.len() - 1].to_vec();
            expected_shape.push(5);
            assert_eq!(y.shape(), &expected_shape[..]);
            let expected = reference(&x.to_vec(), &w, bias, rows);
            for (a, e) in y.to_vec().iter().zip(&expected) {
                approx::assert_relative_eq!(a, e, max_relative = 1e-12, epsilon = 1e-12);
            }
        }
    }
    // Non-contiguous operands: a transposed input whose leading axes do not merge, a
    // transposed weight, a broadcast bias, a broadcast (stride-0) input.
    let x = normal(&[3, 2, 3], &mut rng).transpose(0, 1); // [2, 3, 3]
    let wt = normal(&[3, 5], &mut rng);
    let y = x.linear(&wt.t(), Some(&Tensor::full(&[1], 0.5).broadcast_to(&[5])));
    let expected = reference(
        &x.to_vec(),
        &wt.t().contiguous(),
        Some(&Tensor::full(&[5], 0.5)),
        6,
    );
    for (a, e) in y.to_vec().iter().zip(&expected) {
        approx::assert_relative_eq!(a, e, max_relative = 1e-12, epsilon = 1e-12);
    }
    let row = normal(&[1, 3], &mut rng);
    let y = row.broadcast_to(&[4, 3]).linear(&w, Some(&b));
    let one = reference(&row.to_vec(), &w, Some(&b), 1);
    for (a, e) in y.to_vec().iter().zip([&one[..], &one, &one, &one].concat()) {
        approx::assert_relative_eq!(*a, e, max_relative = 1e-12, epsilon = 1e-12);
    }
}

#[test]
fn linear_with_empty_axes() {
    // No input features: the product is empty, so the result is the bias on every row
    // (zeros without one), as in PyTorch.
    let x = Tensor::<f32>::zeros(&[3, 0]);
    let w = Tensor::<f32>::zeros(&[2, 0]);
    let b = Tensor::from([1.5f32, -2.0]);
    assert_eq!(
        x.linear(&w, Some(&b)).to_vec(),
        vec![1.5, -2.0, 1.5, -2.0, 1.5, -2.0]
    );
    assert_eq!(x.linear(&w, None).to_vec(), vec![0.0; 6]);
    // No rows, or no output features: an empty result of the right shape.
    let y = Tensor::<f32>::zeros(&[0, 4]).linear(&Tensor::ones(&[2, 4]), None);
    assert_eq!(y.shape(), &[0, 2]);
    let y = Tensor::<f32>::ones(&[3, 4]).linear(&Tensor::ones(&[0, 4]), Some(&Tensor::ones(&[0])));
    assert_eq!(y.shape(), &[3, 0]);
}

/// PyTorch's `F.linear` also takes a 1-D weight `[in]`: each row's dot product with it,
/// the output axis dropped, plus a 0-D bias.
#[test]
fn linear_with_a_one_dimensional_weight() {
    let x = Tensor::from([[1.0f64, 2.0, 3.0], [-1.0, 0.5, 4.0]]);
    let w = Tensor::from([0.5f64, -1.0, 2.0]);
    let y = x.linear(&w, Some(&Tensor::scalar(0.25)));
    assert_eq!(y.shape(), &[2]);
    // 0.5 − 2 + 6 + 0.25 and −0.5 − 0.5 + 8 + 0.25.
    assert_eq!(y.to_vec(), vec![4.75, 7.25]);
    // A 1-D input gives a 0-D result; leading axes are kept.
    let v = Tensor::from([1.0f64, 1.0, 1.0]).linear(&w, None);
    assert_eq!((v.shape(), v.item()), (&[][..], 1.5));
    let batched = x.reshape(&[1, 2, 3]).linear(&w, None);
    assert_eq!(batched.shape(), &[1, 2]);
    assert_eq!(batched.to_vec(), vec![4.5, 7.0]);
}

#[test]
fn linear_names_the_shapes_it_refuses() {
    let x = Tensor::<f32>::ones(&[2, 3]);
    let cases = [
        (
            Tensor::ones(&[2, 3, 1]),
            None,
            "the weight must be [out, in] or [in]",
        ),
        (
            Tensor::ones(&[2]),
            None,
            "must have the weight's 2 features",
        ),
        (
            Tensor::ones(&[3]),
            Some(Tensor::ones(&[1])),
            "the bias must be []",
        ),
        (
            Tensor::ones(&[4, 2]),
            None,
            "must have the weight's 2 features",
        ),
        (
            Tensor::ones(&[4, 3]),
            Some(Tensor::ones(&[3])),
            "the bias must be [4]",
        ),
    ];
    for (w, b, reason) in cases {
        let err = x.try_linear(&w, b.as_ref()).unwrap_err().to_string();
        assert!(err.contains("linear") && err.contains(reason), "{err}");
        assert!(err.contains(&format!("{:?}", w.shape())), "{err}");
    }
    let err = Tensor::<f32>::scalar(1.0)
        .try_linear(&Tensor::ones(&[1, 1]), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("input []"), "{err}");
}

/// Products large enough to run on several threads are cut into one part per thread
/// (along the output's longer axis); gemm's blocking of the inner axis does not depend
/// on the part, so 1, 2, 3 and 8 threads give the same bits — for `matmul` and `linear`,
/// cut along rows and along columns, with an inner length that gemm blocks (> 512) — and
/// the parts join up into the right product. Also: an output too short to cut (gemm's
/// own threading), a thin one (2 columns: gemm sums small outputs in another order, so
/// it is not cut), and one whose parts on 8 threads would be short if cut unevenly.
#[test]
fn large_products_have_the_same_bits_on_any_number_of_threads() {
    let mut rng = StdRng::seed_from_u64(11);
    let cases: Vec<[Tensor<f32>; 3]> = [
        (128, 784, 400),
        (400, 784, 128),
        (200, 784, 200),
        (256, 23_440, 2),
        (1040, 1000, 64),
    ]
    .into_iter()
    .map(|(rows, inf, out)| {
        [
            Tensor::rand_normal(&[rows, inf], 0.0, 1.0, &mut rng),
            Tensor::rand_normal(&[out, inf], 0.0, 1.0, &mut rng),
            Tensor::rand_normal(&[out], 0.0, 1.0, &mut rng),
        ]
    })
    .collect();
    let run = |threads: usize| {
        common::on_threads(threads, || {
            cases
                .iter()
                .flat_map(|[x, w, b]| {
                    [
                        x.linear(w, Some(b)).to_vec(),
                        x.matmul(&w.t()).to_vec(),
                        x.matmul(&w.t().contiguous()).to_vec(),
                    ]
                })
                .collect::<Vec<_>>()
        })
    };
    let one = run(1);
    for threads in [2, 3, 8] {
        for (i, (a, b)) in one.iter().zip(&run(threads)).enumerate() {
            let same = a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "product {i} differs on {threads} threads");
        }
    }
    for (i, [x, w, b]) in cases.iter().enumerate() {
        let (x, w, b) = (x.cast::<f64>().to_vec(), w.cast::<f64>(), b.cast::<f64>());
        let rows = x.len() / w.shape()[1];
        let with_bias = reference(&x, &w, Some(&b), rows);
        let product = reference(&x, &w, None, rows);
        for (results, expected) in [(&one[3 * i], &with_bias), (&one[3 * i + 1], &product)] {
            for (a, e) in results.iter().zip(expected) {
                // f32 sums of k products of normals (|e| ~ √k): 1e-3 of the scale.
                let scale = (x.len() / rows) as f64;
                approx::assert_abs_diff_eq!(f64::from(*a), e, epsilon = 1e-3 * scale.sqrt());
            }
        }
    }
}
