//! The positions a mask keeps, for [`Metric::update_masked`](super::Metric::update_masked).

use tensor::{Float, Tensor};

/// `pred` and `target` with the `mask.ndim()` leading axes flattened into one and only
/// the positions where `mask` is non-zero kept, in order.
///
/// # Panics
/// If `mask`'s shape is not the leading part of both shapes.
#[track_caller]
pub(super) fn kept<T: Float>(
    pred: &Tensor<T>,
    target: &Tensor<T>,
    mask: &Tensor<T>,
) -> (Tensor<T>, Tensor<T>) {
    let m = mask.shape();
    assert!(
        !m.is_empty() && pred.shape().starts_with(m) && target.shape().starts_with(m),
        "update_masked: mask {m:?} must be the leading axes of predictions {:?} and targets {:?}",
        pred.shape(),
        target.shape()
    );
    let keep: Vec<usize> = mask
        .to_vec()
        .iter()
        .enumerate()
        .filter(|(_, v)| **v != T::ZERO)
        .map(|(i, _)| i)
        .collect();
    let rows = |t: &Tensor<T>| {
        let mut shape = vec![mask.numel() as isize];
        shape.extend(t.shape()[m.len()..].iter().map(|&d| d as isize));
        t.reshape(&shape).index_select(0, &keep)
    };
    (rows(pred), rows(target))
}
