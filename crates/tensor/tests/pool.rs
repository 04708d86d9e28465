//! Pooling kernels against PyTorch's definitions written as nested loops: max pooling
//! (first maximum on ties, padding never wins), average pooling with
//! `count_include_pad=True`, adaptive average pooling (`⌊i·In/Out⌋ .. ⌈(i+1)·In/Out⌉`),
//! and the adjoints (gradients) of all three.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{AvgPool, Pool2d, Tensor};

fn random(shape: &[usize], rng: &mut StdRng) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec((0..n).map(|_| rng.random_range(-1.0..1.0)).collect(), shape).unwrap()
}

/// For each output of a pooling over `[N, C, H, W]`, the list of `(input flat index,
/// weight)` it sums (average) or scans (max, weight ignored), in row-major window order.
fn windows(shape: &[usize], spec: AvgPool) -> (Vec<usize>, Vec<Vec<(usize, f64)>>) {
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
    let axis = |len: usize, a: usize| -> Vec<(isize, isize)> {
        match spec {
            AvgPool::Window(p) => {
                let out = (len + 2 * p.padding[a] - p.kernel[a]) / p.stride[a] + 1;
                (0..out)
                    .map(|i| {
                        let s = (i * p.stride[a]) as isize - p.padding[a] as isize;
                        (s, s + p.kernel[a] as isize)
                    })
                    .collect()
            }
            AvgPool::Adaptive(o) => (0..o[a])
                .map(|i| {
                    let s = (i * len) as f64 / o[a] as f64;
                    let e = ((i + 1) * len) as f64 / o[a] as f64;
                    (s.floor() as isize, e.ceil() as isize)
                })
                .collect(),
        }
    };
    let (rows, cols) = (axis(h, 0), axis(w, 1));
    let mut out = Vec::new();
    for plane in 0..n * c {
        for &(r0, r1) in &rows {
            for &(c0, c1) in &cols {
                let divisor = match spec {
                    AvgPool::Window(p) => (p.kernel[0] * p.kernel[1]) as f64,
                    AvgPool::Adaptive(_) => ((r1 - r0) * (c1 - c0)) as f64,
                };
                let mut taps = Vec::new();
                for y in r0..r1 {
                    for x in c0..c1 {
                        if y >= 0 && x >= 0 && y < h as isize && x < w as isize {
                            taps.push((plane * h * w + y as usize * w + x as usize, 1.0 / divisor));
                        }
                    }
                }
                out.push(taps);
            }
        }
    }
    (vec![n, c, rows.len(), cols.len()], out)
}

fn close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() < 1e-12, "{what}[{k}]: {a} vs {b}");
    }
}

fn window_cases() -> Vec<([usize; 4], Pool2d)> {
    let mut rect = Pool2d::new(2);
    rect.kernel = [3, 2];
    rect.stride = [2, 1];
    rect.padding = [1, 0];
    vec![
        ([2, 3, 8, 8], Pool2d::new(2)),
        ([2, 2, 7, 5], Pool2d::new(3).stride(2).padding(1)),
        ([1, 2, 6, 7], rect),
        ([1, 1, 5, 5], Pool2d::new(1)),
        ([3, 2, 5, 6], Pool2d::new(2).stride(1)),
    ]
}

#[test]
fn max_pool_takes_the_first_maximum_and_routes_the_gradient_there() {
    let mut rng = StdRng::seed_from_u64(3);
    for (k, (shape, p)) in window_cases().into_iter().enumerate() {
        // Values on a coarse grid, so windows hold ties.
        let x = random(&shape, &mut rng).map(|v| (v * 3.0).round());
        let (oshape, wins) = windows(&shape, AvgPool::Window(p));
        let xv = x.to_vec();
        let mut want = Vec::new();
        let mut want_idx = Vec::new();
        for taps in &wins {
            let (mut best, mut at) = (f64::NEG_INFINITY, taps[0].0);
            for &(i, _) in taps {
                if xv[i] > best {
                    (best, at) = (xv[i], i);
                }
            }
            want.push(best);
            want_idx.push(at);
        }
        let (y, idx) = x.max_pool2d_with_indices(p);
        assert_eq!(y.shape(), &oshape[..], "case {k}");
        close(&format!("case {k} max"), &y.to_vec(), &want);
        let plane = shape[2] * shape[3];
        let idx_flat: Vec<f64> = want_idx.iter().map(|&i| (i % plane) as f64).collect();
        close(&format!("case {k} indices"), &idx.to_vec(), &idx_flat);
        // Gradient: each output's gradient lands on its arg-max (summed where shared).
        let g = random(&oshape, &mut rng);
        let mut dx = vec![0.0; xv.len()];
        for (o, &i) in want_idx.iter().enumerate() {
            dx[i] += g.to_vec()[o];
        }
        close(
            &format!("case {k} dx"),
            &g.max_unpool2d(&idx, [shape[2], shape[3]]).to_vec(),
            &dx,
        );
    }
}

#[test]
fn a_nan_in_the_window_wins_at_its_last_position_as_in_pytorch() {
    let nan = f64::NAN;
    // Two 2×2 windows (the unrolled path) and one 3×3 window (the general path).
    let x = Tensor::from_vec(vec![1.0, nan, 5.0, 2.0, nan, 3.0, 4.0, 0.0], &[1, 1, 2, 4]).unwrap();
    let (v, i) = x.max_pool2d_with_indices(Pool2d::new(2));
    assert!(v.to_vec()[0].is_nan() && v.to_vec()[1] == 5.0);
    assert_eq!(i.to_vec(), vec![4.0, 2.0]);
    let y = Tensor::from_vec(
        vec![nan, 1.0, 2.0, 3.0, nan, 0.0, 9.0, 1.0, 2.0],
        &[1, 1, 3, 3],
    )
    .unwrap();
    let (v, i) = y.max_pool2d_with_indices(Pool2d::new(3));
    assert!(v.to_vec()[0].is_nan());
    assert_eq!(i.to_vec(), vec![4.0]);
    assert!(y.max_pool2d(Pool2d::new(3)).to_vec()[0].is_nan());
}

#[test]
fn max_pool_never_picks_padding_even_when_all_inputs_are_negative() {
    let x = Tensor::<f64>::full(&[1, 1, 3, 3], -5.0);
    let y = x.max_pool2d(Pool2d::new(2).stride(2).padding(1));
    assert_eq!(y.to_vec(), vec![-5.0; 4]);
}

#[test]
fn average_pools_and_their_adjoints_match_the_definition() {
    let mut rng = StdRng::seed_from_u64(4);
    let mut specs: Vec<([usize; 4], AvgPool)> = window_cases()
        .into_iter()
        .map(|(s, p)| (s, AvgPool::Window(p)))
        .collect();
    specs.extend([
        ([2, 3, 7, 5], AvgPool::Adaptive([3, 2])),
        ([1, 2, 5, 8], AvgPool::Adaptive([1, 1])),
        ([1, 1, 4, 6], AvgPool::Adaptive([4, 6])),
        ([1, 1, 3, 4], AvgPool::Adaptive([5, 7])),
    ]);
    for (k, (shape, spec)) in specs.into_iter().enumerate() {
        let x = random(&shape, &mut rng);
        let (oshape, wins) = windows(&shape, spec);
        let xv = x.to_vec();
        let want: Vec<f64> = wins
            .iter()
            .map(|t| t.iter().map(|&(i, s)| xv[i] * s).sum())
            .collect();
        let y = x.avg_pool(spec);
        assert_eq!(y.shape(), &oshape[..], "case {k}");
        close(&format!("case {k} avg"), &y.to_vec(), &want);
        let g = random(&oshape, &mut rng);
        let mut dx = vec![0.0; xv.len()];
        for (o, taps) in wins.iter().enumerate() {
            for &(i, s) in taps {
                dx[i] += g.to_vec()[o] * s;
            }
        }
        let got = g.avg_pool_adjoint(spec, [shape[2], shape[3]]);
        close(&format!("case {k} adjoint"), &got.to_vec(), &dx);
    }
}

#[test]
fn global_average_pooling_is_the_plane_mean_and_count_include_pad_divides_by_the_kernel() {
    let x = Tensor::from_vec((0..12).map(|v| v as f64).collect(), &[1, 2, 2, 3]).unwrap();
    assert_eq!(x.adaptive_avg_pool2d([1, 1]).to_vec(), vec![2.5, 8.5]);
    // Corner window of a 3×3 kernel padded by 1 covers 4 inputs but divides by 9.
    let ones = Tensor::<f64>::ones(&[1, 1, 3, 3]);
    let y = ones.avg_pool2d(Pool2d::new(3).stride(2).padding(1));
    close("corner", &y.to_vec(), &[4.0 / 9.0; 4]);
}

#[test]
fn pooling_large_batches_splits_planes_and_agrees_with_one_plane_at_a_time() {
    let mut rng = StdRng::seed_from_u64(5);
    let x = random(&[16, 32, 32, 32], &mut rng);
    let p = Pool2d::new(2);
    let y = x.max_pool2d(p);
    let one = x.narrow(0, 5, 1).narrow(1, 7, 1).contiguous().max_pool2d(p);
    close(
        "plane",
        &y.narrow(0, 5, 1).narrow(1, 7, 1).to_vec(),
        &one.to_vec(),
    );
    let a = x.avg_pool2d(p);
    let one = x
        .narrow(0, 15, 1)
        .narrow(1, 31, 1)
        .contiguous()
        .avg_pool2d(p);
    close(
        "plane avg",
        &a.narrow(0, 15, 1).narrow(1, 31, 1).to_vec(),
        &one.to_vec(),
    );
}

#[test]
#[should_panic(expected = "max_pool2d: input [1, 1, 4, 4]")]
fn padding_above_half_the_kernel_panics() {
    let _ = Tensor::<f32>::zeros(&[1, 1, 4, 4]).max_pool2d(Pool2d::new(2).padding(2));
}

#[test]
#[should_panic(expected = "avg_pool2d: expected a tensor [N, C, H, W], got [4, 4]")]
fn pooling_a_matrix_panics() {
    let _ = Tensor::<f32>::zeros(&[4, 4]).avg_pool2d(Pool2d::new(2));
}

/// f32 names integers exactly only up to 2^24: a plane with more positions would send
/// some gradients to the neighbouring pixel, so the indices are refused (f64 is exact to
/// 2^53). A broadcast view: nothing is allocated before the check.
#[test]
#[should_panic(
    expected = "max_pool2d: input [1, 1, 4097, 4097]: a plane of 4097×4097 positions is more than f32 indices name exactly"
)]
fn f32_pooling_indices_past_two_to_the_24_panic() {
    let x = Tensor::<f32>::zeros(&[1, 1, 1, 1]).broadcast_to(&[1, 1, 4097, 4097]);
    let _ = x.max_pool2d_with_indices(Pool2d::new(1));
}

/// The largest plane f32 indices name exactly, 2^24 + 1 positions (the last index is
/// 2^24), and an empty batch of planes too large, pass the check.
#[test]
fn f32_pooling_indices_up_to_two_to_the_24_are_exact() {
    let x = Tensor::<f32>::zeros(&[0, 1, 1 << 20, 1 << 20]);
    assert_eq!(
        x.max_pool2d_with_indices(Pool2d::new(2)).1.shape(),
        &[0, 1, 1 << 19, 1 << 19]
    );
    let n = (1usize << 24) + 1;
    let mut v = vec![0.0f32; n];
    v[n - 1] = 1.0;
    let x = Tensor::from_vec(v, &[1, 1, 1, n]).unwrap();
    let (_, idx) = x.max_pool2d_with_indices(Pool2d::new(1));
    assert_eq!(idx.to_vec().last().copied(), Some((n - 1) as f32));
}

#[test]
#[should_panic(
    expected = "adaptive_avg_pool2d: input [1, 1, 4, 4]: cannot pool an input [4, 4] to [0, 1]"
)]
fn adaptive_pooling_errors_name_the_adaptive_op() {
    let _ = Tensor::<f32>::ones(&[1, 1, 4, 4]).adaptive_avg_pool2d([0, 1]);
}

/// `count_include_pad` divides by the whole kernel, `kh·kw`, even when that product is
/// past `usize` (it is taken in f64): one 1 in a 2^32 × 2^32 window is 2^-64, not 1.
#[test]
fn a_huge_average_window_divides_by_its_whole_size() {
    let huge = 1usize << 32;
    let p = Pool2d {
        kernel: [huge, huge],
        stride: [1, 1],
        padding: [huge / 2, huge / 2],
    };
    // (1 + 2·2^31 − 2^32) / 1 + 1 = 2 positions per axis, each window holding the pixel.
    let y = Tensor::<f64>::ones(&[1, 1, 1, 1]).avg_pool2d(p);
    assert_eq!(y.shape(), &[1, 1, 2, 2]);
    assert_eq!(y.to_vec(), vec![2f64.powi(-64); 4]);
}

/// PyTorch refuses to pool an empty image even when padding would make room for a
/// window: there is nothing to take the maximum or the average of.
#[test]
fn an_empty_image_is_refused_by_name_even_with_padding() {
    let x = Tensor::<f32>::zeros(&[1, 1, 0, 4]);
    let p = Pool2d::new(2).padding(1);
    let msg = |f: Box<dyn Fn()>| {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    let max = msg(Box::new(|| drop(x.max_pool2d(p))));
    assert!(max.starts_with("max_pool2d: input [1, 1, 0, 4]"), "{max}");
    assert!(max.contains("cannot pool an empty image [0, 4]"), "{max}");
    let with_indices = msg(Box::new(|| drop(x.max_pool2d_with_indices(p))));
    assert!(
        with_indices.contains("cannot pool an empty image"),
        "{with_indices}"
    );
    let avg = msg(Box::new(|| drop(x.avg_pool2d(p))));
    assert!(avg.starts_with("avg_pool2d: input [1, 1, 0, 4]"), "{avg}");
}

/// A kernel of 2^33 taps per side padded by 2^32 sees the one pixel of a 1×1 image once;
/// counting its work (taps × outputs) must not overflow.
#[test]
fn a_huge_window_over_a_small_image_counts_its_work_without_overflow() {
    let x = Tensor::from_vec(vec![-3.0f64], &[1, 1, 1, 1]).unwrap();
    let p = Pool2d::new(1 << 33).padding(1 << 32);
    assert_eq!(x.max_pool2d(p).to_vec(), [-3.0]);
    let (v, i) = x.max_pool2d_with_indices(p);
    assert_eq!((v.to_vec(), i.to_vec()), (vec![-3.0], vec![0.0]));
}
