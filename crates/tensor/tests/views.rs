//! Property tests: any chain of views equals naive index arithmetic.

mod common;

use common::Naive;
use proptest::prelude::*;
use tensor::Tensor;

/// One view operation, with its parameters drawn relative to the current shape.
#[derive(Clone, Debug)]
enum ViewOp {
    Transpose(usize, usize),
    Permute(u64),
    Slice {
        axis: usize,
        start: usize,
        len: usize,
        step: usize,
    },
    Unsqueeze(usize),
    Squeeze,
    Broadcast(usize),
    ReshapeSplit,
    Flatten,
}

fn view_op() -> impl Strategy<Value = ViewOp> {
    prop_oneof![
        (0..4usize, 0..4usize).prop_map(|(a, b)| ViewOp::Transpose(a, b)),
        any::<u64>().prop_map(ViewOp::Permute),
        (0..4usize, 0..4usize, 1..4usize, 1..3usize).prop_map(|(axis, start, len, step)| {
            ViewOp::Slice {
                axis,
                start,
                len,
                step,
            }
        }),
        (0..5usize).prop_map(ViewOp::Unsqueeze),
        Just(ViewOp::Squeeze),
        (1..4usize).prop_map(ViewOp::Broadcast),
        Just(ViewOp::ReshapeSplit),
        Just(ViewOp::Flatten),
    ]
}

/// Applies `op` to both the tensor and the naive oracle.
fn apply(t: &Tensor<f64>, n: &Naive, op: &ViewOp) -> (Tensor<f64>, Naive) {
    let nd = n.shape.len();
    match *op {
        ViewOp::Transpose(a, b) if nd > 0 => {
            let (a, b) = (a % nd, b % nd);
            let mut shape = n.shape.clone();
            shape.swap(a, b);
            let naive = n.gather(&shape, |i| {
                let mut s = i.to_vec();
                s.swap(a, b);
                s
            });
            (t.transpose(a as isize, b as isize), naive)
        }
        ViewOp::Permute(seed) if nd > 0 => {
            // A permutation from the seed (Fisher–Yates with a tiny LCG).
            let mut perm: Vec<usize> = (0..nd).collect();
            let mut s = seed;
            for k in (1..nd).rev() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                perm.swap(k, (s >> 33) as usize % (k + 1));
            }
            let shape: Vec<usize> = perm.iter().map(|&p| n.shape[p]).collect();
            let naive = n.gather(&shape, |i| {
                let mut s = vec![0; nd];
                for (k, &p) in perm.iter().enumerate() {
                    s[p] = i[k];
                }
                s
            });
            let p: Vec<isize> = perm.iter().map(|&p| p as isize).collect();
            (t.permute(&p), naive)
        }
        ViewOp::Slice {
            axis,
            start,
            len,
            step,
        } if nd > 0 => {
            let axis = axis % nd;
            let d = n.shape[axis];
            let start = start.min(d);
            let end = (start + len * step).min(d);
            let out_len = (end - start).div_ceil(step);
            let mut shape = n.shape.clone();
            shape[axis] = out_len;
            let naive = n.gather(&shape, |i| {
                let mut s = i.to_vec();
                s[axis] = start + i[axis] * step;
                s
            });
            (t.slice(axis as isize, start, end, step), naive)
        }
        ViewOp::Unsqueeze(axis) if nd < 5 => {
            let axis = axis % (nd + 1);
            let mut shape = n.shape.clone();
            shape.insert(axis, 1);
            let naive = n.gather(&shape, |i| {
                let mut s = i.to_vec();
                s.remove(axis);
                s
            });
            (t.unsqueeze(axis as isize), naive)
        }
        ViewOp::Squeeze => match n.shape.iter().position(|&d| d == 1) {
            Some(axis) => {
                let mut shape = n.shape.clone();
                shape.remove(axis);
                (t.squeeze(axis as isize), Naive::new(n.data.clone(), &shape))
            }
            None => (t.clone(), n.clone()),
        },
        ViewOp::Broadcast(lead) if nd < 5 => {
            // Repeat length-1 axes 2 times and add a new leading axis of length `lead`.
            let mut shape = vec![lead];
            shape.extend(n.shape.iter().map(|&d| if d == 1 { 2 } else { d }));
            let naive = n.gather(&shape, |i| {
                (0..nd)
                    .map(|k| if n.shape[k] == 1 { 0 } else { i[k + 1] })
                    .collect()
            });
            (t.broadcast_to(&shape), naive)
        }
        ViewOp::ReshapeSplit => {
            // Merge everything, then split off a leading factor when there is one.
            let total: usize = n.shape.iter().product();
            let f = (2..=total).find(|f| total.is_multiple_of(*f)).unwrap_or(1);
            let shape = vec![f, total / f];
            (
                t.reshape(&[f as isize, -1]),
                Naive::new(n.data.clone(), &shape),
            )
        }
        ViewOp::Flatten => {
            let total = n.data.len();
            (t.flatten(), Naive::new(n.data.clone(), &[total]))
        }
        _ => (t.clone(), n.clone()),
    }
}

fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..5usize, 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chain_of_views_matches_index_arithmetic(
        shape in shape_strategy(),
        ops in prop::collection::vec(view_op(), 1..7),
    ) {
        let numel: usize = shape.iter().product();
        let data: Vec<f64> = (0..numel).map(|i| i as f64).collect();
        let mut t = Tensor::from_vec(data.clone(), &shape).unwrap();
        let mut n = Naive::new(data, &shape);
        for op in &ops {
            let (t2, n2) = apply(&t, &n, op);
            t = t2;
            n = n2;
            prop_assert_eq!(t.shape(), &n.shape[..]);
            prop_assert_eq!(t.to_vec(), n.data.clone());
        }
        // Elementwise math on the final view sees the same values.
        prop_assert_eq!((&t * 2.0).to_vec(), n.data.iter().map(|x| x * 2.0).collect::<Vec<_>>());
        prop_assert_eq!(t.contiguous().to_vec(), n.data.clone());
    }
}

#[test]
fn views_share_storage_and_contiguous_copies_only_when_needed() {
    let a = Tensor::<f32>::zeros(&[4, 6]);
    for v in [
        a.t(),
        a.narrow(1, 2, 3),
        a.broadcast_to(&[2, 4, 6]),
        a.unsqueeze(0),
        a.reshape(&[2, 12]),
        a.slice(0, 0, 4, 2),
    ] {
        assert!(v.shares_storage(&a));
    }
    assert!(a.contiguous().shares_storage(&a));
    assert!(!a.t().contiguous().shares_storage(&a));
}

#[test]
fn reshape_of_a_transposed_view_copies_when_it_must_and_not_otherwise() {
    let a = Tensor::<f64>::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]);
    // Splitting the last axis of a permuted tensor keeps it a view.
    let p = a.permute(&[2, 0, 1]); // [4, 2, 3]
    let split = p.reshape(&[2, 2, 2, 3]);
    assert!(split.shares_storage(&a));
    // Axes 1 and 2 are still contiguous with each other: merging them is a view.
    assert!(p.reshape(&[4, 6]).shares_storage(&a));
    // Axes 0 and 1 are not (stride 1 then 12): merging them needs a copy.
    let merged = p.reshape(&[8, 3]);
    assert!(!merged.shares_storage(&a));
    assert_eq!(merged.to_vec(), p.to_vec());
}

#[test]
fn negative_axes_count_from_the_end() {
    let a = Tensor::<f32>::zeros(&[2, 3, 4]);
    assert_eq!(a.transpose(-1, 0).shape(), &[4, 3, 2]);
    assert_eq!(a.unsqueeze(-1).shape(), &[2, 3, 4, 1]);
    assert_eq!(a.sum(-2, false).shape(), &[2, 4]);
    assert_eq!(a.narrow(-1, 1, 2).shape(), &[2, 3, 2]);
}

#[test]
fn large_transposed_copies_match_index_arithmetic() {
    // Exercises the tiled transpose path with edges that are not multiples of the 8×8
    // tile or of the 64×64 square the tiles are visited in.
    for (r, c) in [
        (37usize, 70usize),
        (64, 64),
        (1, 9),
        (9, 1),
        (136, 203),
        (203, 72),
    ] {
        let a = Tensor::<f64>::arange(0.0, (r * c) as f64, 1.0).reshape(&[r as isize, c as isize]);
        let t = a.t().contiguous();
        assert_eq!(t.shape(), &[c, r]);
        for i in 0..c {
            for j in 0..r {
                assert_eq!(t.at(&[i, j]), (j * c + i) as f64);
            }
        }
        // A sliced, transposed view goes the same way.
        if c > 1 {
            let s = a.narrow(1, 1, c - 1).t().contiguous();
            assert_eq!(s.at(&[0, r - 1]), ((r - 1) * c + 1) as f64);
        }
    }
}
