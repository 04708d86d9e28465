//! `Layout`: how a tensor's logical indices map onto its storage.
//!
//! Element `[i0, i1, …]` lives at `offset + Σ ik·strides[k]` (strides in elements).
//! Every view (transpose, permute, narrow, broadcast, unsqueeze, squeeze, reshape when
//! possible) is a new `Layout` over the same storage. Broadcasting uses stride 0, so
//! several indices read the same element: such a layout is never written through.

use smallvec::SmallVec;

use crate::error::TensorError;
use crate::shape::{numel, Dims};

/// Strides in elements, one per axis.
pub type Strides = SmallVec<[usize; 4]>;

/// Shape, strides and offset of a view.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Dims,
    strides: Strides,
    offset: usize,
}

impl Clone for Layout {
    // Written out because layouts are cloned on every op: see [`small_copy`].
    #[inline]
    fn clone(&self) -> Self {
        Layout {
            shape: small_copy(&self.shape),
            strides: small_copy(&self.strides),
            offset: self.offset,
        }
    }
}

/// A copy of up to four lengths or strides built in a fixed array, and longer ones with
/// one `memcpy`. Layouts are built and cloned on every op, so this shows on small
/// tensors: the derived element-by-element clone was several times slower, and a
/// `memcpy` call for a handful of bytes cost about 10 ns per layout (a call, and a
/// stalled read of what it had just written).
#[inline(always)]
fn small_copy(values: &[usize]) -> SmallVec<[usize; 4]> {
    if values.len() <= 4 {
        // Four reads, not a loop: LLVM turns a copy loop back into a `memcpy` call.
        let at = |i: usize| values.get(i).copied().unwrap_or(0);
        SmallVec::from_buf_and_len([at(0), at(1), at(2), at(3)], values.len())
    } else {
        SmallVec::from_slice(values)
    }
}

/// Row-major ("C order") strides for `shape`.
#[must_use]
#[inline(always)]
pub fn contiguous_strides(shape: &[usize]) -> Strides {
    if shape.len() <= 4 {
        // Computed in registers and written once: filling a stack array element by
        // element and then copying the layout out read 16 bytes over two 8-byte stores,
        // a stalled store forward (10–15 % of a 16-element op on a 2-core Xeon VM).
        // Axes past the shape's length count as 1, so each stride is the product of the
        // lengths after it (saturating, as below).
        let d = |i: usize| shape.get(i).map_or(1, |&d| d.max(1));
        let s2 = d(3);
        let s1 = s2.saturating_mul(d(2));
        let s0 = s1.saturating_mul(d(1));
        return SmallVec::from_buf_and_len([s0, s1, s2, 1], shape.len());
    }
    let mut strides: Strides = SmallVec::from_elem(0, shape.len());
    let mut acc = 1;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        // Saturating: only a shape with a 0-length axis can get here with a product
        // that overflows, and no element of it is ever addressed.
        acc = acc.saturating_mul(d.max(1));
    }
    strides
}

impl Layout {
    /// A row-major layout of `shape` starting at offset 0.
    #[must_use]
    #[inline(always)]
    pub fn contiguous(shape: &[usize]) -> Self {
        Layout {
            shape: small_copy(shape),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }

    /// A layout from its parts (no validation: the caller guarantees that every index
    /// stays inside the storage).
    #[must_use]
    #[inline]
    pub fn from_parts(shape: Dims, strides: Strides, offset: usize) -> Self {
        debug_assert_eq!(shape.len(), strides.len());
        Layout {
            shape,
            strides,
            offset,
        }
    }

    /// The shape.
    #[must_use]
    #[inline]
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strides, in elements.
    #[must_use]
    #[inline]
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Index of the first element in the storage.
    #[must_use]
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of elements.
    #[must_use]
    #[inline]
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// True if the elements are packed in row-major order (axes of length 1 may have any
    /// stride).
    #[must_use]
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        if self.shape.contains(&0) {
            // No element to address; the strides of such a shape may not even be
            // representable (a product past usize::MAX).
            return true;
        }
        let mut expected = 1;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }

    /// Storage index of a logical multi-index (unchecked beyond debug assertions).
    #[must_use]
    pub fn index_of(&self, index: &[usize]) -> usize {
        debug_assert_eq!(index.len(), self.shape.len());
        self.offset
            + index
                .iter()
                .zip(&self.strides)
                .map(|(i, s)| i * s)
                .sum::<usize>()
    }

    /// Swaps two axes.
    #[must_use]
    pub fn transpose(&self, a: usize, b: usize) -> Layout {
        let mut out = self.clone();
        out.shape.swap(a, b);
        out.strides.swap(a, b);
        out
    }

    /// Reorders axes: axis `k` of the result is axis `perm[k]` of `self`.
    #[must_use]
    pub fn permute(&self, perm: &[usize]) -> Layout {
        Layout {
            shape: perm.iter().map(|&p| self.shape[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// Keeps `len` entries of `axis` starting at `start`, taking every `step`-th.
    #[must_use]
    pub fn narrow(&self, axis: usize, start: usize, len: usize, step: usize) -> Layout {
        let mut out = self.clone();
        out.shape[axis] = len;
        if out.shape.contains(&0) {
            // An empty view addresses nothing: keep the offset (an empty tensor's strides
            // may be saturated, and `start · stride` would overflow).
            return out;
        }
        // Non-empty: `start · stride` and the new stride stay within the storage span.
        out.offset += start * self.strides[axis];
        out.strides[axis] = out.strides[axis].saturating_mul(step);
        out
    }

    /// Inserts an axis of length 1 at `axis`.
    #[must_use]
    pub fn unsqueeze(&self, axis: usize) -> Layout {
        let mut out = self.clone();
        let stride = if axis < self.shape.len() {
            self.strides[axis].saturating_mul(self.shape[axis])
        } else {
            1
        };
        out.shape.insert(axis, 1);
        out.strides.insert(axis, stride);
        out
    }

    /// Removes an axis of length 1.
    #[must_use]
    pub fn squeeze(&self, axis: usize) -> Layout {
        debug_assert_eq!(self.shape[axis], 1);
        let mut out = self.clone();
        out.shape.remove(axis);
        out.strides.remove(axis);
        out
    }

    /// Broadcasts to `target` (NumPy rules, aligned at the right): new and repeated axes
    /// get stride 0.
    pub fn broadcast_to(&self, target: &[usize]) -> Result<Layout, TensorError> {
        let fail = || TensorError::Broadcast {
            op: "broadcast_to",
            from: self.shape.to_vec(),
            to: target.to_vec(),
        };
        if target.len() < self.shape.len() {
            return Err(fail());
        }
        crate::shape::try_numel("broadcast_to", target)?;
        let lead = target.len() - self.shape.len();
        let mut strides: Strides = SmallVec::from_elem(0, target.len());
        for (k, &t) in target.iter().enumerate().skip(lead) {
            let d = self.shape[k - lead];
            strides[k] = if d == t {
                self.strides[k - lead]
            } else if d == 1 {
                0
            } else {
                return Err(fail());
            };
        }
        Ok(Layout {
            shape: SmallVec::from_slice(target),
            strides,
            offset: self.offset,
        })
    }

    /// A view with shape `target` over the same elements in row-major order, if the
    /// strides allow one (no copy); `None` when a copy is needed.
    ///
    /// Works by grouping the old axes into runs that are contiguous with each other and
    /// splitting or merging axes only inside a run (the rule NumPy and PyTorch use).
    #[must_use]
    pub fn reshape_view(&self, target: &[usize]) -> Option<Layout> {
        debug_assert_eq!(numel(target), self.numel());
        if self.numel() == 0 || self.is_contiguous() {
            let mut out = Layout::contiguous(target);
            out.offset = self.offset;
            return Some(out);
        }
        // Drop length-1 axes: they never constrain the layout.
        let old: SmallVec<[(usize, usize); 4]> = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|(&d, _)| d != 1)
            .map(|(&d, &s)| (d, s))
            .collect();
        let mut strides: Strides = SmallVec::from_elem(0, target.len());
        let (mut oi, mut ti) = (0, 0);
        while ti < target.len() {
            if target[ti] == 1 {
                strides[ti] = 1;
                ti += 1;
                continue;
            }
            // Take old axes until their product covers the next group of target axes.
            let mut old_prod = old.get(oi)?.0;
            oi += 1;
            let t_start = ti;
            let mut t_prod = target[ti];
            ti += 1;
            while old_prod != t_prod {
                if old_prod < t_prod {
                    let (d, s) = *old.get(oi)?;
                    // Merging axis oi-1 with oi requires stride[oi-1] == d * stride[oi].
                    if old[oi - 1].1 != d * s {
                        return None;
                    }
                    old_prod *= d;
                    oi += 1;
                } else {
                    t_prod *= *target.get(ti)?;
                    ti += 1;
                }
            }
            // The old axes of this run are mutually contiguous; lay the target axes over them.
            let mut stride = old[oi - 1].1;
            for k in (t_start..ti).rev() {
                strides[k] = stride;
                stride *= target[k];
            }
        }
        Some(Layout {
            shape: SmallVec::from_slice(target),
            strides,
            offset: self.offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::contiguous_strides;

    /// Row-major strides by the definition: each the product of the lengths after it (a
    /// 0-length axis counted as 1, saturating), computed one axis at a time.
    fn by_definition(shape: &[usize]) -> Vec<usize> {
        (0..shape.len())
            .map(|k| {
                shape[k + 1..]
                    .iter()
                    .fold(1usize, |acc, &d| acc.saturating_mul(d.max(1)))
            })
            .collect()
    }

    #[test]
    fn contiguous_strides_match_the_definition_for_every_rank_up_to_five() {
        let lengths = [0, 1, 2, 3, 1 << 32, usize::MAX];
        for rank in 0..=5u32 {
            for code in 0..lengths.len().pow(rank) {
                let shape: Vec<usize> = (0..rank)
                    .map(|i| lengths[code / lengths.len().pow(i) % lengths.len()])
                    .collect();
                assert_eq!(
                    contiguous_strides(&shape).as_slice(),
                    by_definition(&shape).as_slice(),
                    "{shape:?}"
                );
            }
        }
    }
}
