//! Property tests: broadcasting, reductions, matmul and `sum_to` against naive loops.

mod common;

use approx::assert_relative_eq;
use common::{flat, indices, Naive};
use proptest::prelude::*;
use tensor::Tensor;

fn values(n: usize, seed: u64) -> Vec<f64> {
    // Deterministic values in [-2, 2) without an rng dependency in the oracle.
    let mut s = seed.wrapping_add(0x9E3779B97F4A7C15);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 4000) as f64 / 1000.0 - 2.0
        })
        .collect()
}

fn tensor_of(shape: &[usize], seed: u64) -> (Tensor<f64>, Naive) {
    let n: usize = shape.iter().product();
    let data = values(n, seed);
    (
        Tensor::from_vec(data.clone(), shape).unwrap(),
        Naive::new(data, shape),
    )
}

/// A pair of shapes that broadcast: `b` drops some leading axes of `a` and sets some of the
/// rest to 1 (and `a` may get 1s where `b` keeps its length).
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec((1..5usize, 0..3u8), 1..5).prop_flat_map(|axes| {
        let a: Vec<usize> = axes
            .iter()
            .map(|&(d, m)| if m == 1 { 1 } else { d })
            .collect();
        let b: Vec<usize> = axes
            .iter()
            .map(|&(d, m)| if m == 2 { 1 } else { d })
            .collect();
        (0..=b.len()).prop_map(move |drop| (a.clone(), b[drop.min(b.len() - 1)..].to_vec()))
    })
}

fn naive_broadcast_binary(a: &Naive, b: &Naive, f: impl Fn(f64, f64) -> f64) -> Naive {
    let nd = a.shape.len().max(b.shape.len());
    let pad = |s: &[usize]| {
        let mut p = vec![1; nd - s.len()];
        p.extend_from_slice(s);
        p
    };
    let (sa, sb) = (pad(&a.shape), pad(&b.shape));
    let out: Vec<usize> = (0..nd).map(|k| sa[k].max(sb[k])).collect();
    let data = indices(&out)
        .iter()
        .map(|i| {
            let ia: Vec<usize> = (0..nd).map(|k| if sa[k] == 1 { 0 } else { i[k] }).collect();
            let ib: Vec<usize> = (0..nd).map(|k| if sb[k] == 1 { 0 } else { i[k] }).collect();
            f(a.data[flat(&sa, &ia)], b.data[flat(&sb, &ib)])
        })
        .collect();
    Naive::new(data, &out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn broadcasting_equals_a_naive_loop((sa, sb) in broadcast_pair(), seed in any::<u64>(), transpose in any::<bool>()) {
        let (ta, na) = tensor_of(&sa, seed);
        let (tb, nb) = tensor_of(&sb, seed ^ 1);
        // Also run on a non-contiguous copy of `a` (transposed twice) when asked.
        let ta = if transpose && sa.len() >= 2 { ta.t().contiguous().t() } else { ta };
        for (name, f) in [("add", (|x, y| x + y) as fn(f64, f64) -> f64), ("sub", |x, y| x - y), ("mul", |x, y| x * y), ("max", f64::max)] {
            let expected = naive_broadcast_binary(&na, &nb, f);
            let got = match name {
                "add" => &ta + &tb,
                "sub" => &ta - &tb,
                "mul" => &ta * &tb,
                _ => ta.maximum(&tb),
            };
            prop_assert_eq!(got.shape(), &expected.shape[..]);
            prop_assert_eq!(got.to_vec(), expected.data);
        }
    }

    #[test]
    fn reductions_equal_naive_f64_sums(shape in prop::collection::vec(1..6usize, 1..4), seed in any::<u64>(), axis in 0..3usize, keep in any::<bool>(), long in 0..41usize) {
        let axis = axis % shape.len();
        // One axis up to 41 long (not always the reduced one), so the 8-lane summing
        // branch (runs of 16 or more) is compared with the naive sum too.
        let mut shape = shape;
        let long_axis = (axis + seed as usize % 2) % shape.len();
        shape[long_axis] = shape[long_axis].max(long);
        let (t, n) = tensor_of(&shape, seed);
        let t32: Tensor<f32> = t.cast();
        let mut out_shape = shape.clone();
        out_shape[axis] = 1;
        let mut sums = vec![0.0; out_shape.iter().product()];
        let mut maxes = vec![f64::NEG_INFINITY; sums.len()];
        for i in indices(&shape) {
            let mut o = i.clone();
            o[axis] = 0;
            let p = flat(&out_shape, &o);
            sums[p] += n.get(&i);
            maxes[p] = maxes[p].max(n.get(&i));
        }
        let got = t.sum(axis as isize, keep);
        let got32 = t32.sum(axis as isize, keep);
        for (k, &s) in sums.iter().enumerate() {
            prop_assert!((got.to_vec()[k] - s).abs() <= 1e-12 * (1.0 + s.abs()));
            prop_assert!((got32.to_vec()[k] as f64 - s).abs() <= 1e-5 * (1.0 + s.abs()));
        }
        prop_assert_eq!(t.max(axis as isize, false).to_vec(), maxes);
        let len = shape[axis] as f64;
        let means: Vec<f64> = sums.iter().map(|s| s / len).collect();
        assert_relative_eq!(&t.mean(axis as isize, true).to_vec()[..], &means[..], max_relative = 1e-12);
        if keep {
            prop_assert_eq!(got.shape(), &out_shape[..]);
        } else {
            prop_assert_eq!(got.ndim(), shape.len() - 1);
        }
        // The same reduction on a transposed view, element by element: reducing axis
        // `ax_t` of tᵀ is reducing `axis` of t, with the last two output axes swapped.
        if shape.len() >= 2 {
            let r = shape.len();
            let tt = t.t();
            let ax_t = match axis { a if a == r - 1 => r - 2, a if a == r - 2 => r - 1, a => a };
            let got_t = tt.sum(ax_t as isize, true).t().contiguous();
            prop_assert_eq!(got_t.shape(), &out_shape[..]);
            for (k, (&g, &s)) in got_t.to_vec().iter().zip(&sums).enumerate() {
                prop_assert!((g - s).abs() <= 1e-12 * (1.0 + s.abs()), "entry {}: {} vs {}", k, g, s);
            }
        }
    }

    #[test]
    fn sum_to_undoes_broadcast_to(shape in prop::collection::vec(1..4usize, 1..4), lead in 1..4usize, seed in any::<u64>()) {
        let (x, _) = tensor_of(&shape, seed);
        let mut target = vec![lead];
        target.extend(shape.iter().map(|&d| if d == 1 { 3 } else { d }));
        let repeats = target.iter().product::<usize>() / x.numel();
        let back = x.broadcast_to(&target).sum_to(&shape);
        assert_relative_eq!(back, x.clone() * repeats as f64, max_relative = 1e-12);
    }

    #[test]
    fn matmul_equals_a_naive_triple_loop(
        m in 1..9usize, k in 1..9usize, n in 1..9usize, batch in 1..4usize,
        ta in any::<bool>(), tb in any::<bool>(), sliced in any::<bool>(), bcast in any::<bool>(), seed in any::<u64>(),
    ) {
        // Build A [batch, m, k] possibly as a transposed or sliced view, and B [k, n] or
        // [batch, k, n] (broadcast batch when `bcast`).
        let a = if ta {
            tensor_of(&[batch, k, m], seed).0.transpose(-1, -2)
        } else if sliced {
            tensor_of(&[batch, 2 * m, k + 1], seed).0.slice(1, 0, 2 * m, 2).narrow(2, 1, k)
        } else {
            tensor_of(&[batch, m, k], seed).0
        };
        let b = if bcast { tensor_of(&[k, n], seed ^ 7).0 } else { tensor_of(&[batch, k, n], seed ^ 7).0 };
        let b = if tb { b.t().contiguous().t() } else { b };
        let got = a.matmul(&b);
        prop_assert_eq!(got.shape(), &[batch, m, n][..]);
        for bi in 0..batch {
            for i in 0..m {
                for j in 0..n {
                    let mut acc = 0.0;
                    for p in 0..k {
                        let bv = if bcast { b.at(&[p, j]) } else { b.at(&[bi, p, j]) };
                        acc += a.at(&[bi, i, p]) * bv;
                    }
                    prop_assert!((got.at(&[bi, i, j]) - acc).abs() <= 1e-12 * (1.0 + acc.abs()));
                }
            }
        }
    }
}

#[test]
fn matmul_vector_cases_follow_numpy() {
    let a = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
    let v = Tensor::from([1.0f64, 1.0]);
    assert_eq!(a.matmul(&v).to_vec(), vec![3.0, 7.0]);
    assert_eq!(a.matmul(&v).shape(), &[2]);
    assert_eq!(v.matmul(&a).to_vec(), vec![4.0, 6.0]);
    assert_eq!(v.matmul(&v).shape(), &[] as &[usize]);
    assert_eq!(v.matmul(&v).item(), 2.0);
    // Broadcast batch axes: [2, 1, 2, 2] · [3, 2, 2] -> [2, 3, 2, 2].
    let x = Tensor::<f64>::ones(&[2, 1, 2, 2]);
    let y = Tensor::<f64>::ones(&[3, 2, 2]);
    assert_eq!(x.matmul(&y).shape(), &[2, 3, 2, 2]);
}

#[test]
fn large_matmul_matches_naive_on_the_threaded_path() {
    // 2·m·n·k above the parallel threshold, so gemm gets threads.
    let (m, k, n) = (300, 200, 250);
    let a = Tensor::<f64>::from_vec(values(m * k, 1), &[m, k]).unwrap();
    let b = Tensor::<f64>::from_vec(values(k * n, 2), &[k, n]).unwrap();
    let c = a.matmul(&b);
    // Every one of the 75 000 entries against a naive dot product.
    let (av, bv, cv) = (a.to_vec(), b.to_vec(), c.to_vec());
    for i in 0..m {
        for j in 0..n {
            let acc: f64 = (0..k).map(|p| av[i * k + p] * bv[p * n + j]).sum();
            let got = cv[i * n + j];
            assert!(
                (got - acc).abs() <= 1e-12 * (1.0 + acc.abs()),
                "entry ({i}, {j}): {got} vs {acc}"
            );
        }
    }
}

#[test]
fn elementwise_ops_above_the_thread_threshold_match_a_plain_loop() {
    use tensor::parallel::PARALLEL_ELEMENTS;
    // Long enough to split across threads, with a ragged last chunk.
    let n = PARALLEL_ELEMENTS + 12_345;
    assert!(tensor::parallel::split_elementwise(n) || rayon::current_num_threads() == 1);
    let a = Tensor::<f64>::from_vec(values(n, 3), &[n]).unwrap();
    let b = Tensor::<f64>::from_vec(values(n, 4), &[n]).unwrap();
    let (av, bv) = (a.to_vec(), b.to_vec());
    let mapped = a.map(|x| 3.0 * x - 1.0).to_vec();
    let zipped = (&a * &b).to_vec();
    for i in 0..n {
        assert_eq!(mapped[i], 3.0 * av[i] - 1.0, "map, entry {i}");
        assert_eq!(zipped[i], av[i] * bv[i], "zip, entry {i}");
    }
    // A strided (transposed) input goes through the run-based path.
    let rows = n / 64;
    let m = Tensor::<f64>::from_vec(values(rows * 64, 5), &[rows, 64]).unwrap();
    let mt = m.t();
    let got = mt.map(|x| x * 2.0).to_vec();
    let mv = m.to_vec();
    for j in 0..64 {
        for i in 0..rows {
            assert_eq!(got[j * rows + i], mv[i * 64 + j] * 2.0);
        }
    }
}

#[test]
fn softmax_is_stable_and_normalized() {
    let x = Tensor::from([[1.0f64, 2.0, 3.0], [1000.0, 1000.0, -1000.0]]);
    let p = x.softmax(-1);
    // softmax([1,2,3]) by hand: e^k / (e + e^2 + e^3).
    let e = std::f64::consts::E;
    let z = e + e * e + e * e * e;
    assert_relative_eq!(
        &p.to_vec()[..3],
        &[e / z, e * e / z, e * e * e / z][..],
        max_relative = 1e-14
    );
    assert_relative_eq!(&p.to_vec()[3..], &[0.5, 0.5, 0.0][..], epsilon = 1e-300);
    let lp = x.log_softmax(-1);
    assert_relative_eq!(lp.at(&[1, 0]), -(2.0f64.ln()), max_relative = 1e-14);
    assert_relative_eq!(lp.at(&[1, 2]), -2000.0 - 2.0f64.ln(), max_relative = 1e-14);
    assert_relative_eq!(
        x.logsumexp(1, false).to_vec()[0],
        z.ln(),
        max_relative = 1e-14
    );
}

#[test]
fn var_argmax_and_min_follow_their_definitions() {
    let x = Tensor::from([[2.0f64, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]]);
    // Population variance of this classic sample is 4, sample variance 32/7.
    assert_eq!(x.var(1, 0, false).item(), 4.0);
    assert_relative_eq!(x.var(1, 1, false).item(), 32.0 / 7.0);
    assert_eq!(x.argmax(1, false).item(), 7.0);
    assert_eq!(x.argmin(1, false).item(), 0.0);
    assert_eq!(x.min(1, false).item(), 2.0);
    assert_eq!(x.argmax(1, true).shape(), &[1, 1]);
}

#[test]
fn whole_tensor_reductions_and_arg_reductions_on_every_axis() {
    let x = Tensor::from([[1.5f64, -2.0, 4.0], [0.5, 7.0, -3.0]]);
    assert_eq!(x.sum_all(), 8.0);
    assert_eq!(x.mean_all(), 8.0 / 6.0);
    assert_eq!(x.max_all(), 7.0);
    assert_eq!(x.min_all(), -3.0);
    // Ties: the first index wins in both directions (PyTorch's documented rule).
    let ties = Tensor::from([[3.0f64, 1.0, 1.0, 2.0, 3.0]]);
    assert_eq!(ties.argmin(1, false).item(), 1.0);
    assert_eq!(ties.argmax(1, false).item(), 0.0);
    // NaN counts as the extreme (as torch.argmax/argmin and NumPy): the first NaN wins.
    let nan = Tensor::from([[1.0f64, f64::NAN, 3.0, f64::NAN]]);
    assert_eq!(nan.argmax(1, false).item(), 1.0);
    assert_eq!(nan.argmin(1, false).item(), 1.0);
    // Every axis of a 3-D tensor against a naive search.
    let shape = [3, 4, 5];
    let (t, n) = tensor_of(&shape, 7);
    for axis in 0..3 {
        let mut out_shape = shape.to_vec();
        out_shape[axis] = 1;
        let cells = out_shape.iter().product();
        let mut best = vec![(f64::NEG_INFINITY, 0usize); cells];
        let mut least = vec![(f64::INFINITY, 0usize); cells];
        for i in indices(&shape) {
            let mut o = i.clone();
            o[axis] = 0;
            let (x, at) = (n.get(&i), flat(&out_shape, &o));
            if x > best[at].0 {
                best[at] = (x, i[axis]);
            }
            if x < least[at].0 {
                least[at] = (x, i[axis]);
            }
        }
        let index = |v: &[(f64, usize)]| v.iter().map(|&(_, k)| k as f64).collect::<Vec<_>>();
        assert_eq!(
            t.argmax(axis as isize, false).to_vec(),
            index(&best),
            "axis {axis}"
        );
        assert_eq!(
            t.argmin(axis as isize, false).to_vec(),
            index(&least),
            "axis {axis}"
        );
    }
}

#[test]
fn variance_takes_two_passes_so_a_large_offset_costs_no_digits() {
    // Σ(x − m)² is exact here; Σx² − n·m² (one pass) would lose every digit at 1e9.
    let x = Tensor::from([[1e9f64 + 1.0, 1e9 + 2.0, 1e9 + 3.0, 1e9 + 4.0]]);
    assert_eq!(x.var(1, 0, false).item(), 1.25);
    assert_eq!(x.var_axes(&[0, 1], 1, false).item(), 5.0 / 3.0);
    // A mean that is not representable (1e9 + ⅓): the deviations then sum to a rounding
    // error δ ≠ 0, harmless in Σ(x − m)² but multiplied by 2m ≈ 2e9 in Σ(x − m)(x + m).
    let x = Tensor::from([[1e9f64, 1e9, 1e9 + 1.0]]);
    let var = x.var(1, 0, false).item();
    assert!((var - 2.0 / 9.0).abs() < 1e-6, "{var}");
}

#[test]
fn index_ops_pick_and_join() {
    let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    assert_eq!(
        x.index_select(0, &[2, 2, 0]).to_vec(),
        vec![5.0, 6.0, 5.0, 6.0, 1.0, 2.0]
    );
    assert_eq!(x.t().index_select(0, &[1]).to_vec(), vec![2.0, 4.0, 6.0]);
    assert_eq!(x.index_select(1, &[1]).to_vec(), vec![2.0, 4.0, 6.0]);
    let c = Tensor::concat(&[&x, &x.narrow(0, 0, 1)], 0);
    assert_eq!(c.shape(), &[4, 2]);
    assert_eq!(
        Tensor::concat(&[&x, &x], 1).to_vec()[..4],
        [1.0, 2.0, 1.0, 2.0]
    );
    let s = Tensor::stack(&[&x, &x], 2);
    assert_eq!(s.shape(), &[3, 2, 2]);
    assert_eq!(s.at(&[2, 1, 1]), 6.0);
    let labels = Tensor::from([1.0f32, 0.0, 1.0]);
    assert_eq!(
        x.gather(1, &labels.unsqueeze(1)).to_vec(),
        vec![2.0, 3.0, 6.0]
    );
    assert_eq!(
        labels.one_hot(2).to_vec(),
        vec![0.0, 1.0, 1.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn in_place_updates_copy_on_write() {
    let mut a = Tensor::from([1.0f32, 2.0, 3.0]);
    let view = a.narrow(0, 1, 2);
    a.axpy(2.0, &Tensor::from([1.0, 1.0, 1.0]));
    assert_eq!(a.to_vec(), vec![3.0, 4.0, 5.0]);
    assert_eq!(view.to_vec(), vec![2.0, 3.0]); // the view kept the old values
    let mut b = Tensor::from([1.0f32, 2.0]);
    let ptr = b.as_mut_slice().as_ptr();
    b.map_inplace(|x| x + 1.0);
    b.fill(7.0);
    assert_eq!(b.as_mut_slice().as_ptr(), ptr); // unique storage: updated in place
    assert_eq!(b.to_vec(), vec![7.0, 7.0]);
    let mut t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).t();
    t.add_assign(&Tensor::scalar(1.0));
    assert_eq!(t.to_vec(), vec![2.0, 4.0, 3.0, 5.0]);
}

#[test]
fn constructors_cast_and_where() {
    assert_eq!(
        Tensor::<f32>::arange(0.0, 5.0, 2.0).to_vec(),
        vec![0.0, 2.0, 4.0]
    );
    assert_eq!(
        Tensor::<f32>::arange(3.0, 0.0, -1.0).to_vec(),
        vec![3.0, 2.0, 1.0]
    );
    assert_eq!(
        Tensor::<f64>::linspace(1.0, 2.0, 3).to_vec(),
        vec![1.0, 1.5, 2.0]
    );
    assert_eq!(Tensor::<f32>::full(&[2], 3.0).to_vec(), vec![3.0, 3.0]);
    assert_eq!(Tensor::from([[[1.0f32]]]).shape(), &[1, 1, 1]);
    let x64 = Tensor::from([0.1f64, 1e40]);
    let x32: Tensor<f32> = x64.cast();
    assert_eq!(x32.to_vec(), vec![0.1f32, f32::INFINITY]);
    let w = Tensor::where_(
        &Tensor::from([1.0f64, 0.0]),
        &Tensor::from([f64::INFINITY, 1.0]),
        &Tensor::from([0.0, f64::NAN]),
    );
    assert_eq!(w.to_vec()[0], f64::INFINITY);
    assert!(w.to_vec()[1].is_nan());
    let s = 1.0 - Tensor::from([0.25f32]) * 2.0;
    assert_eq!(s.to_vec(), vec![0.5]);
    assert_eq!((2.0f64 / Tensor::from([4.0f64])).item(), 0.5);
}

#[test]
fn display_summarizes_large_tensors() {
    let big = Tensor::<f32>::zeros(&[2000]);
    let s = format!("{big:.0}");
    assert_eq!(s, "tensor([0, 0, 0, ..., 0, 0, 0])");
    // Summarized, only the entries shown are read: a broadcast view of 2^40 elements
    // prints at once, and each long axis shows its first and last three.
    let view = Tensor::<f32>::from([1.5]).broadcast_to(&[1 << 20, 1 << 20]);
    assert_eq!(
        format!("{view:.1}"),
        "tensor([[1.5, 1.5, 1.5, ..., 1.5, 1.5, 1.5],\n        \
         [1.5, 1.5, 1.5, ..., 1.5, 1.5, 1.5],\n        \
         [1.5, 1.5, 1.5, ..., 1.5, 1.5, 1.5],\n        \
         ...,\n        \
         [1.5, 1.5, 1.5, ..., 1.5, 1.5, 1.5],\n        \
         [1.5, 1.5, 1.5, ..., 1.5, 1.5, 1.5],\n        \
         [1.5, 1.5, 1.5, ..., 1.5, 1.5, 1.5]])"
    );
    // The edges are the right entries, on a short axis kept whole beside a long one.
    let t = Tensor::<f32>::arange(0.0, 2000.0, 1.0).reshape(&[2, 1000]);
    assert_eq!(
        format!("{t:.0}"),
        "tensor([[0, 1, 2, ..., 997, 998, 999],\n        [1000, 1001, 1002, ..., 1997, 1998, 1999]])"
    );
    let dbg = format!("{:?}", Tensor::from([1.0f64]));
    assert!(dbg.starts_with("Tensor<f64> shape=[1]"));
    // An empty tensor prints as PyTorch's `tensor([], size=(…))` at once, however long
    // its other axes (each empty row used to be printed).
    let empty = Tensor::<f32>::zeros(&[1 << 62, 0]);
    assert_eq!(
        format!("{empty}"),
        format!("tensor([], size=({}, 0))", 1usize << 62)
    );
    assert!(format!("{empty:?}").ends_with("tensor([], size=(4611686018427387904, 0))"));
}

/// Sums over leading axes fold whole blocks of columns in registers (`strided::fold_rows`);
/// they must add in the same order as one row after another, so the f32 bits match a
/// plain loop exactly: full 64-column blocks, a tail, a row stride wider than a row (a
/// narrowed view), axes that merge, and `sum_to` / `max` on the same path.
#[test]
fn sums_over_rows_add_row_after_row() {
    let plain_rows = |data: &[f32], rows: usize, cols: usize, stride: usize| {
        let mut out = vec![0.0f32; cols];
        for r in 0..rows {
            for (o, &x) in out.iter_mut().zip(&data[r * stride..r * stride + cols]) {
                *o += x;
            }
        }
        out
    };
    let data = |n: usize| -> Vec<f32> {
        values(n, 7)
            .iter()
            .enumerate()
            .map(|(i, &v)| (v * 1e3) as f32 * 10f32.powi(i as i32 % 7 - 3))
            .collect()
    };
    for (rows, cols) in [(20, 64), (7, 130), (3, 5), (33, 128), (1, 200)] {
        let d = data(rows * cols);
        let t = Tensor::from_vec(d.clone(), &[rows, cols]).unwrap();
        let want = plain_rows(&d, rows, cols, cols);
        assert_eq!(t.sum_axes(&[0], false).to_vec(), want, "[{rows}, {cols}]");
        assert_eq!(t.sum_to(&[cols]).to_vec(), want);
        assert_eq!(t.sum_to(&[1, cols]).to_vec(), want);
        // The first `cols - 2` columns of a wider matrix: rows `cols` apart.
        if cols > 2 {
            let view = t.narrow(1, 0, cols - 2);
            let want = plain_rows(&d, rows, cols - 2, cols);
            assert_eq!(view.sum_axes(&[0], false).to_vec(), want);
        }
    }
    // [4, 3, 70] over axis 0: the kept axes merge into one row of 210.
    let d = data(4 * 3 * 70);
    let t = Tensor::from_vec(d.clone(), &[4, 3, 70]).unwrap();
    assert_eq!(
        t.sum_axes(&[0], false).to_vec(),
        plain_rows(&d, 4, 210, 210)
    );
    // max over rows, same path, against its definition.
    let t = Tensor::from_vec(d.clone(), &[12, 70]).unwrap();
    let want: Vec<f32> = (0..70)
        .map(|j| {
            (0..12)
                .map(|r| d[r * 70 + j])
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .collect();
    assert_eq!(t.max(0, false).to_vec(), want);
}
