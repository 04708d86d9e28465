//! Every constructor error and every panic message names the op and the shapes.

use tensor::{Tensor, TensorError};

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn from_vec_length_mismatch_names_both() {
    let err = Tensor::<f32>::from_vec(vec![1.0; 5], &[2, 3]).unwrap_err();
    assert_eq!(
        err,
        TensorError::LengthMismatch {
            op: "from_vec",
            len: 5,
            shape: vec![2, 3],
            expected: 6
        }
    );
    assert_eq!(
        err.to_string(),
        "from_vec: data has 5 elements but shape [2, 3] needs 6"
    );
}

#[test]
fn binary_ops_name_the_op_and_both_shapes() {
    let a = Tensor::<f32>::zeros(&[2, 3]);
    let b = Tensor::<f32>::zeros(&[4]);
    assert_eq!(
        panic_message(|| drop(&a + &b)),
        "add: shapes [2, 3] and [4] are incompatible"
    );
    assert_eq!(
        panic_message(|| drop(a.mul(&b))),
        "mul: shapes [2, 3] and [4] are incompatible"
    );
    assert_eq!(
        panic_message(|| drop(a.gt(&b))),
        "gt: shapes [2, 3] and [4] are incompatible"
    );
    let err = a.try_zip_with(&b, "custom", |x, _| x).unwrap_err();
    assert_eq!(
        err.to_string(),
        "custom: shapes [2, 3] and [4] are incompatible"
    );
}

#[test]
fn matmul_errors_name_both_shapes() {
    let a = Tensor::<f32>::zeros(&[2, 3]);
    assert_eq!(
        a.try_matmul(&a).unwrap_err().to_string(),
        "matmul: shapes [2, 3] and [2, 3]: inner lengths differ (3 vs 2)"
    );
    let b = Tensor::<f32>::zeros(&[2, 3, 4]);
    let c = Tensor::<f32>::zeros(&[3, 4, 5]);
    assert_eq!(
        panic_message(|| drop(b.matmul(&c))),
        "matmul: shapes [2, 3, 4] and [3, 4, 5]: batch axes do not broadcast"
    );
    assert!(panic_message(|| drop(Tensor::scalar(1.0f32).matmul(&a))).contains("at least one axis"));
}

#[test]
fn reshape_and_broadcast_errors() {
    let a = Tensor::<f32>::zeros(&[2, 3]);
    assert_eq!(
        a.try_reshape(&[4, 2]).unwrap_err().to_string(),
        "reshape: cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)"
    );
    assert!(a
        .try_reshape(&[-1, -1])
        .unwrap_err()
        .to_string()
        .contains("at most one -1"));
    // An empty tensor into [0, -1]: any length fits, as PyTorch says.
    assert_eq!(
        Tensor::<f32>::zeros(&[0, 3])
            .try_reshape(&[0, -1])
            .unwrap_err()
            .to_string(),
        "reshape: the -1 in [0, -1] is ambiguous: the other lengths multiply to 0, so any \
         length fits [0, 3] (0 elements)"
    );
    // The message shows the target as asked, -1 included.
    assert_eq!(
        a.try_reshape(&[4, -1]).unwrap_err().to_string(),
        "reshape: cannot infer the -1 in [4, -1] for [2, 3] (6 elements): that is not a \
         multiple of 4, the product of the other lengths"
    );
    assert_eq!(
        a.try_broadcast_to(&[3, 3]).unwrap_err().to_string(),
        "broadcast_to: cannot broadcast shape [2, 3] to [3, 3]"
    );
    assert_eq!(
        panic_message(|| drop(a.broadcast_to(&[3]))),
        "broadcast_to: cannot broadcast shape [2, 3] to [3]"
    );
    assert_eq!(
        a.try_sum_to(&[4]).unwrap_err().to_string(),
        "sum_to: cannot broadcast shape [4] to [2, 3]"
    );
}

#[test]
fn axis_and_index_errors() {
    let a = Tensor::<f32>::zeros(&[2, 3]);
    assert_eq!(
        panic_message(|| drop(a.sum(2, false))),
        "sum: axis 2 is out of range for a tensor with 2 axes"
    );
    assert_eq!(
        panic_message(|| drop(a.transpose(0, -3))),
        "transpose: axis -3 is out of range for a tensor with 2 axes"
    );
    assert!(panic_message(|| drop(a.permute(&[0, 0]))).contains("is not a permutation"));
    assert!(panic_message(|| drop(a.squeeze(0))).contains("has length 2, expected 1"));
    assert!(panic_message(|| drop(a.narrow(1, 2, 2)))
        .contains("range 2..4 step 1 is invalid for axis 1 of length 3"));
    assert_eq!(
        a.try_index_select(0, &[0, 5]).unwrap_err().to_string(),
        "index_select: index 5 is out of range for length 2"
    );
    assert_eq!(
        a.try_at(&[0, 3]).unwrap_err().to_string(),
        "at: index 3 is out of range for length 3"
    );
    assert!(a
        .try_at(&[0])
        .unwrap_err()
        .to_string()
        .contains("has 1 entries but the tensor of shape [2, 3] has 2 axes"));
    assert_eq!(
        Tensor::from([0.0f32, 2.5])
            .try_one_hot(3)
            .unwrap_err()
            .to_string(),
        "one_hot: label 2.5 is not a whole number in 0..3"
    );
    assert!(panic_message(|| drop(Tensor::from([3.0f32]).one_hot(3)))
        .contains("label 3 is not a whole number in 0..3"));
    assert!(panic_message(|| {
        let _ = a.item();
    })
    .contains("item: tensor of shape [2, 3] has 6 elements, expected 1"));
    assert!(
        panic_message(|| drop(Tensor::concat(&[&a, &Tensor::zeros(&[2, 2])], 0)))
            .contains("concat: shapes [2, 3] and [2, 2]")
    );
    assert!(
        panic_message(|| drop(Tensor::stack(&[&a, &Tensor::zeros(&[3, 2])], 0)))
            .contains("stack: shapes [2, 3] and [3, 2] differ")
    );
    assert!(
        panic_message(|| drop(a.clamp(1.0, 0.0))).contains("clamp: min 1 is greater than max 0")
    );
    assert!(panic_message(|| drop(Tensor::<f32>::arange(0.0, 1.0, 0.0)))
        .contains("arange: step must be finite and non-zero"));
    assert!(panic_message(|| drop(a.gather(1, &Tensor::zeros(&[2]))))
        .contains("gather: index of shape [2]"));
}

#[test]
fn adjoint_ops_name_their_problems() {
    let a = Tensor::<f32>::zeros(&[2, 3]);
    assert!(panic_message(|| drop(a.pad(1, 2, 4)))
        .contains("pad: a length-3 axis placed at 2 does not fit in 4"));
    assert!(panic_message(|| drop(a.index_add(0, &[0], 4)))
        .contains("index_add: 1 indices for an axis of length 2"));
    assert!(panic_message(|| drop(a.index_add(0, &[0, 7], 4)))
        .contains("index_add: index 7 is out of range for length 4"));
    let idx = Tensor::<f32>::zeros(&[2, 2]);
    assert!(panic_message(|| drop(a.scatter_add(1, &idx, &[2, 3])))
        .contains("scatter_add: source [2, 3] and index [2, 2]"));
    assert!(Tensor::from([0.5f32])
        .to_indices(3)
        .unwrap_err()
        .to_string()
        .contains("label 0.5 is not a whole number"));
}
