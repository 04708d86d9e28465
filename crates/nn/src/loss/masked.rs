//! `masked_mean`: a loss averaged over the real steps of padded sequences only.

use autograd::Var;
use tensor::{Float, Tensor};

/// The mean of per-element losses over the positions where `mask` is non-zero (Keras'
/// masked losses): `Σ loss·mask / Σ mask`, both sums over the losses' shape (the mask
/// broadcast to it), so a mask of weights weighs the mean. A
/// `[N, T]` [`sequence_mask`](crate::data::sequence_mask) works for losses `[N, T]`,
/// and for `[N, T, F]` once unsqueezed to `[N, T, 1]`: each real step then counts its `F`
/// elements, which is Keras' mean over the features and then over the real steps.
/// Padded positions get zero gradient, and a padded position's loss is left
/// out rather than multiplied by 0, so an infinite or NaN loss there does not reach the
/// mean. (Its gradient can still be NaN upstream, where the loss was computed: `ln 0`
/// sends 0·∞. Keep padded values harmless, as PyTorch's `ignore_index` does by never
/// computing them.) A mask of zeros gives 0.
///
/// # Panics
/// If the shapes do not broadcast.
///
/// ```
/// use autograd::Tape;
/// use nn::loss::{masked_mean, mse_loss, Reduction};
/// use tensor::Tensor;
/// let tape = Tape::new();
/// let pred = tape.var(Tensor::from([[1.0f64, 2.0, 9.0], [0.0, 5.0, 5.0]]));
/// let target = Tensor::from([[0.0, 2.0, 0.0], [1.0, 5.0, 0.0]]);
/// let mask = nn::data::sequence_mask(&[2, 1], 3);
/// let loss = masked_mean(mse_loss(pred, &target, Reduction::None), &mask);
/// assert_eq!(loss.item(), (1.0 + 0.0 + 1.0) / 3.0);
/// // The padded predictions (9 and both 5s) get no gradient.
/// assert_eq!(loss.backward()[&pred].to_vec(), [2.0 / 3.0, 0.0, 0.0, -2.0 / 3.0, 0.0, 0.0]);
/// ```
#[track_caller]
#[must_use]
pub fn masked_mean<'t, T: Float>(losses: Var<'t, T>, mask: &Tensor<T>) -> Var<'t, T> {
    let full = match tensor::shape::broadcast_shapes(&losses.shape(), mask.shape()) {
        Ok(full) => full,
        Err(_) => panic!(
            "masked_mean: losses of shape {:?} and a mask of shape {:?} do not broadcast \
             (for per-feature losses [N, T, F], unsqueeze an [N, T] mask to [N, T, 1])",
            losses.shape(),
            mask.shape()
        ),
    };
    let mask = mask.broadcast_to(&full).contiguous();
    let total = mask.sum_all();
    // Padded positions are left out, not multiplied by 0: a padded step's loss may be
    // infinite or NaN (a masked class, a log of 0), and ∞·0 would poison the mean.
    let masked = super::weighted(&mask, losses);
    let total = if total == T::ZERO { T::ONE } else { total };
    masked.sum_all().div_scalar(total)
}
