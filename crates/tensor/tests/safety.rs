//! Safe on every input: element counts that overflow `usize`, allocations that cannot be
//! made, and tensors with zero-length axes. Each case either works as NumPy/PyTorch do or
//! fails with a message naming the op and the shape — never a wrapped count, an
//! out-of-bounds read or an abort.

use tensor::{Tensor, TensorError};

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn element_counts_that_overflow_are_errors_naming_the_shape() {
    // 3 · 6148914691236517206 wraps to 2 in release builds.
    let shape = [3, 6_148_914_691_236_517_206];
    let err = Tensor::<f32>::from_vec(vec![1.0, 2.0], &shape).unwrap_err();
    assert_eq!(
        err,
        TensorError::TooLarge {
            op: "from_vec",
            shape: shape.to_vec()
        }
    );
    assert!(err.to_string().contains("[3, 6148914691236517206]"));
    for shape in [
        vec![1 << 32, 1 << 32],
        vec![usize::MAX, 2],
        vec![2, 3, usize::MAX / 5],
    ] {
        assert!(matches!(
            Tensor::<f64>::try_full(&shape, 0.0),
            Err(TensorError::TooLarge { .. })
        ));
        let s = shape.clone();
        let msg = panic_message(move || drop(Tensor::<f32>::zeros(&s)));
        assert!(msg.contains(&format!("{shape:?}")), "{msg}");
    }
    // A view never allocates, but its element count must still exist.
    let big = [(1 << 18) + 1, (1 << 46) + 1];
    let err = Tensor::scalar(1.0f32).try_broadcast_to(&big).unwrap_err();
    assert!(
        matches!(
            err,
            TensorError::TooLarge {
                op: "broadcast_to",
                ..
            }
        ),
        "{err}"
    );
    let err = Tensor::<f32>::zeros(&[4])
        .try_reshape(&[-1, 1 << 62, 8])
        .unwrap_err();
    assert!(
        matches!(err, TensorError::TooLarge { op: "reshape", .. }),
        "{err}"
    );
    // A zero-length axis makes any other length fine.
    assert_eq!(Tensor::<f32>::zeros(&[0, usize::MAX]).numel(), 0);
}

#[test]
// Miri cannot model a failed allocation (it stops with "resource exhaustion").
#[cfg_attr(miri, ignore)]
fn an_allocation_that_cannot_be_made_is_an_error_not_an_abort() {
    // 2^60 f32 = 4 EiB: within isize::MAX bytes, beyond any address space.
    let shape = [1 << 30, 1 << 30];
    let err = Tensor::<f32>::try_zeros(&shape).unwrap_err();
    assert_eq!(
        err,
        TensorError::Alloc {
            op: "full",
            shape: shape.to_vec(),
            bytes: 1 << 62
        }
    );
    let msg = panic_message(move || drop(Tensor::<f32>::ones(&shape)));
    assert!(
        msg.contains("cannot allocate 4611686018427387904 bytes"),
        "{msg}"
    );
}

/// Runs `f` and returns its panic message, if it panicked.
fn outcome(f: impl FnOnce() + std::panic::UnwindSafe) -> Option<String> {
    std::panic::catch_unwind(f).err().map(|err| {
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn zero_length_axes_behave_as_in_numpy() {
    let e = Tensor::<f32>::zeros(&[3, 0]);
    assert_eq!(e.as_slice(), Some(&[][..]));
    assert_eq!(e.narrow(0, 1, 2).shape(), &[2, 0]);
    assert_eq!(e.narrow(1, 0, 0).to_vec(), Vec::<f32>::new());
    assert_eq!(e.index_select(0, &[2, 0]).shape(), &[2, 0]);
    assert_eq!(e.index_select(1, &[]).shape(), &[3, 0]);
    assert_eq!(e.t().contiguous().shape(), &[0, 3]);
    assert_eq!(e.reshape(&[0, 5]).shape(), &[0, 5]);
    assert_eq!(e.sum(1, false).to_vec(), vec![0.0; 3]); // the empty sum is 0
    assert_eq!(e.sum_all(), 0.0);
    assert!(e.mean(1, false).to_vec().iter().all(|v| v.is_nan())); // 0/0, as NumPy
                                                                   // [2, 0] · [0, 4] is a [2, 4] matrix of zeros (the empty sum).
    let a = Tensor::<f32>::zeros(&[2, 0]);
    let b = Tensor::<f32>::ones(&[0, 4]);
    assert_eq!(a.matmul(&b).to_vec(), vec![0.0; 8]);
    // Rows of a [0, 3] batch: empty in, empty out.
    let rows = Tensor::<f32>::zeros(&[0, 3]);
    assert_eq!(rows.softmax(-1).shape(), &[0, 3]);
    assert_eq!(rows.matmul(&Tensor::ones(&[3, 2])).shape(), &[0, 2]);
    assert_eq!((&rows + 1.0).shape(), &[0, 3]);
    assert_eq!(
        Tensor::concat(&[&rows, &Tensor::ones(&[2, 3])], 0).shape(),
        &[2, 3]
    );
    // A view of a narrowed-away range (offset past the end of an empty storage).
    let v = Tensor::<f32>::zeros(&[0, 4]).narrow(1, 4, 0);
    assert_eq!(v.to_vec(), Vec::<f32>::new());
    assert_eq!(v.as_slice(), Some(&[][..]));
}

#[test]
fn reductions_without_an_identity_on_empty_axes_name_the_op() {
    let e = Tensor::<f32>::zeros(&[3, 0]);
    for (name, msg) in [
        ("max", outcome(|| drop(e.max(1, false)))),
        ("min", outcome(|| drop(e.min(1, false)))),
        ("argmax", outcome(|| drop(e.argmax(1, false)))),
    ] {
        let msg = msg.unwrap_or_else(|| panic!("{name} of an empty axis should fail"));
        assert!(
            msg.starts_with(name) && msg.contains("[3, 0]") && msg.contains("empty"),
            "{msg}"
        );
    }
    // Along a non-empty axis they are fine: the result is empty.
    assert_eq!(e.max(0, false).shape(), &[0]);
}

#[test]
fn all_finite_finds_a_nan_or_infinity_at_every_position() {
    // The check sums x·0 in 16 lanes: every position of a chunk and of the remainder,
    // on lengths around the lane count, contiguous and strided.
    for len in [0usize, 1, 15, 16, 17, 33, 40] {
        let clean: Vec<f64> = (0..len).map(|i| i as f64 - 20.0).collect();
        assert!(Tensor::from_vec(clean.clone(), &[len])
            .unwrap()
            .all_finite());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for at in 0..len {
                let mut v = clean.clone();
                v[at] = bad;
                let t = Tensor::from_vec(v, &[len]).unwrap();
                assert!(!t.all_finite(), "len {len}, {bad} at {at}");
                // The same through a strided view (every second element of a doubled copy).
                let doubled = Tensor::stack(&[&t, &t], 1).reshape(&[-1]);
                let strided = doubled.slice(0, 0, 2 * len, 2);
                assert!(len == 1 || strided.as_slice().is_none());
                assert!(!strided.all_finite(), "strided, len {len}, {bad} at {at}");
            }
        }
    }
    // Large finite values whose products with 0 are still 0, and signed zeros.
    assert!(Tensor::from([f64::MAX, -f64::MAX, -0.0, f64::MIN_POSITIVE]).all_finite());
}

/// Constructors and ops whose result is far larger than memory (found by an adversarial
/// review: each used to abort the process, or to build a tensor whose shape claimed more
/// elements than its buffer held): an error or a panic naming the op instead.
#[test]
fn results_larger_than_memory_name_the_op() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    type Case = Box<dyn FnOnce() + std::panic::UnwindSafe>;
    let cases: Vec<(&str, Case)> = vec![
        ("eye", Box::new(|| drop(Tensor::<f32>::eye(1 << 33)))),
        (
            "linspace",
            Box::new(|| drop(Tensor::<f32>::linspace(0.0, 1.0, 1 << 62))),
        ),
        (
            "arange",
            Box::new(|| drop(Tensor::<f32>::arange(0.0, f32::INFINITY, 1.0))),
        ),
        (
            "rand_uniform",
            Box::new(move || {
                drop(Tensor::<f32>::rand_uniform(
                    &[(1 << 63) + 1, 2],
                    0.0,
                    1.0,
                    &mut rng,
                ))
            }),
        ),
        (
            "index_add",
            Box::new(|| drop(Tensor::<f32>::ones(&[1]).index_add(0, &[0], 1 << 62))),
        ),
        (
            "sum",
            Box::new(|| {
                drop(
                    Tensor::<f32>::ones(&[1])
                        .broadcast_to(&[1 << 62, 2])
                        .sum(1, false),
                )
            }),
        ),
        (
            "max",
            Box::new(|| {
                drop(
                    Tensor::<f32>::ones(&[1])
                        .broadcast_to(&[1 << 62, 2])
                        .max(1, false),
                )
            }),
        ),
        (
            "adaptive_avg_pool2d",
            Box::new(|| {
                drop(Tensor::<f32>::ones(&[1, 1, 4, 4]).adaptive_avg_pool2d([1 << 60, 1 << 60]))
            }),
        ),
        (
            "max_unpool2d",
            Box::new(|| {
                let g = Tensor::<f32>::ones(&[1, 1, 1, 1]);
                drop(g.max_unpool2d(&Tensor::zeros(&[1, 1, 1, 1]), [1 << 33, 1 << 33]))
            }),
        ),
        // A kernel of (2^31 + 1)² taps padded by 2^30 fits a 1×1 image once (output 1×1):
        // the weight's gradient and the unfolded columns need more than 2^64 bytes.
        (
            "conv2d_weight",
            Box::new(|| {
                let one = Tensor::<f32>::ones(&[1, 1, 1, 1]);
                let p = tensor::Conv2dParams::default().padding(1 << 30);
                let k = (1 << 31) + 1;
                drop(one.conv2d_weight(&one, p, [k, k]))
            }),
        ),
        (
            "conv_transpose2d",
            Box::new(|| {
                let g = Tensor::<f32>::ones(&[1, 1, 1, 1]);
                let k = (1 << 31) + 1;
                let w = Tensor::<f32>::ones(&[1, 1, 1, 1]).broadcast_to(&[1, 1, k, k]);
                let p = tensor::Conv2dParams::default().padding(1 << 30);
                drop(g.conv_transpose2d(&w, p, [1, 1]))
            }),
        ),
        (
            "scatter_add",
            Box::new(|| {
                let one = Tensor::<f32>::ones(&[1]);
                drop(one.scatter_add(0, &Tensor::zeros(&[1]), &[1 << 40]))
            }),
        ),
        // The caller's image size makes a window list per output row: refused before
        // the list is built.
        (
            "avg_pool2d_adjoint",
            Box::new(|| {
                let g = Tensor::<f32>::ones(&[1, 1, 1, 1]);
                let p = tensor::AvgPool::Window(tensor::Pool2d::new(1));
                drop(g.avg_pool_adjoint(p, [1 << 40, 1]))
            }),
        ),
        // A group count whose channel product overflows.
        (
            "conv_transpose2d",
            Box::new(|| {
                let g = Tensor::<f32>::ones(&[1, 2, 1, 1]);
                let w = Tensor::<f32>::ones(&[1, 2, 1, 1]);
                drop(g.conv_transpose2d(
                    &w,
                    tensor::Conv2dParams::default().groups(1 << 63),
                    [1, 1],
                ))
            }),
        ),
        // Gates of `4·H` where `4·H` wraps.
        (
            "lstm_cell",
            Box::new(|| {
                let c = Tensor::<f32>::ones(&[1]).broadcast_to(&[0, 1 << 62]);
                drop(Tensor::<f32>::zeros(&[0, 0]).lstm_cell(&c))
            }),
        ),
    ];
    for (op, f) in cases {
        let msg = panic_message(f);
        assert!(msg.starts_with(op), "{op}: {msg}");
    }
    // Rows of 2^20 picked 2^20 times: 4 TiB.
    let rows = Tensor::<f32>::zeros(&[1, 1 << 20]);
    let err = rows.try_index_select(0, &vec![0; 1 << 20]).unwrap_err();
    assert!(err.to_string().starts_with("index_select"), "{err}");
    // A broadcast operand made real for gemm, or an input made dense for the unfolding.
    let wide = Tensor::<f32>::ones(&[1, 1]).broadcast_to(&[2, 1 << 40, 1]);
    let err = wide.try_matmul(&Tensor::ones(&[1, 1])).unwrap_err();
    assert!(err.to_string().starts_with("matmul"), "{err}");
    let image = Tensor::<f32>::ones(&[1, 1, 1, 1]).broadcast_to(&[1, 1, 1 << 20, 1 << 20]);
    let p = tensor::Conv2dParams::default().stride(1 << 20);
    let err = image
        .try_conv2d(&Tensor::ones(&[1, 1, 1, 1]), p)
        .unwrap_err();
    assert!(err.to_string().starts_with("conv2d"), "{err}");
    // The `try_` forms return the error.
    let labels = Tensor::<f32>::from([0.0, 1.0]);
    assert!(labels
        .try_one_hot(1 << 62)
        .unwrap_err()
        .to_string()
        .contains("one_hot"));
    assert!(labels.try_one_hot(usize::MAX).is_err());
    let x = Tensor::<f32>::ones(&[1, 1, 2, 2]);
    let w = Tensor::<f32>::ones(&[1, 1, 1, 1]);
    // Sizes whose byte counts overflow: refused whatever the machine's memory policy.
    for padding in [1 << 30, 1 << 40] {
        let p = tensor::Conv2dParams::default().padding(padding);
        let err = x.try_conv2d(&w, p).unwrap_err().to_string();
        assert!(err.contains("conv2d"), "{err}");
    }
}

/// The adjoint of average pooling allocates the input's size, which its caller gives:
/// a size whose elements overflow is refused by name, not wrapped.
#[test]
#[should_panic(expected = "avg_pool2d_adjoint")]
fn the_average_pooling_adjoint_checks_the_size_it_is_given() {
    let g = Tensor::<f32>::ones(&[1, 1, 1, 1]);
    let _ = g.avg_pool_adjoint(tensor::AvgPool::Adaptive([1, 1]), [1 << 33, 1 << 33]);
}

/// Empty tensors whose other lengths multiply past `usize::MAX` (or are merely huge):
/// every op gives the empty result PyTorch gives, at once, without a wrapped product, a
/// window list per image row, or a loop over the empty rows.
#[test]
fn empty_tensors_with_huge_axes_give_empty_results_at_once() {
    use tensor::{AvgPool, Pool2d};
    let huge = 1usize << 40;
    let images = Tensor::<f32>::zeros(&[0, 1, 1 << 33, 1 << 33]);
    assert_eq!(
        images.max_pool2d(Pool2d::new(1 << 32)).shape(),
        &[0, 1, 2, 2]
    );
    let (v, i) = images.max_pool2d_with_indices(Pool2d::new(1 << 32));
    assert_eq!(
        (v.shape(), i.shape()),
        (&[0, 1, 2, 2][..], &[0, 1, 2, 2][..])
    );
    assert_eq!(
        images.avg_pool(AvgPool::Window(Pool2d::new(1))).shape(),
        &[0, 1, 1 << 33, 1 << 33]
    );
    let tall = Tensor::<f32>::zeros(&[0, 1, 1 << 62, 1]);
    assert_eq!(tall.adaptive_avg_pool2d([4, 1]).shape(), &[0, 1, 4, 1]);
    let g = Tensor::<f32>::zeros(&[0, 1, 4, 1]);
    assert_eq!(
        g.avg_pool_adjoint(AvgPool::Adaptive([4, 1]), [1 << 62, 1])
            .shape(),
        &[0, 1, 1 << 62, 1]
    );
    let idx = Tensor::<f32>::zeros(&[0, 1, 1 << 33, 1 << 33]);
    assert_eq!(images.max_unpool2d(&idx, [1, 1]).shape(), &[0, 1, 1, 1]);
    let e = Tensor::<f32>::zeros(&[huge, 0]);
    assert_eq!(Tensor::concat(&[&e, &e], 1).shape(), &[huge, 0]);
    let e3 = Tensor::<f32>::zeros(&[huge, huge, 0]);
    assert_eq!(Tensor::concat(&[&e3, &e3], 2).shape(), &[huge, huge, 0]);
    assert_eq!(e3.index_add(2, &[], 0).shape(), &[huge, huge, 0]);
    assert_eq!(e3.index_select(2, &[]).shape(), &[huge, huge, 0]);
    let wide = Tensor::<f32>::zeros(&[0, 1 << 63]);
    assert_eq!(wide.flatten_axes(1, 1).shape(), &[0, 1 << 63]);
    assert_eq!(wide.flatten_axes(0, 1).shape(), &[0]);
    let e = Tensor::<f32>::zeros(&[0, huge, huge]);
    assert_eq!(e.flatten_axes(0, 1).shape(), &[0, huge]);
    assert_eq!(e.mean_axes(&[1, 2], false).shape(), &[0]);
    assert_eq!(e.var_axes(&[1, 2], 1, false).shape(), &[0]);
}
