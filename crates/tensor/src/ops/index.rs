//! Joining and picking: `concat`, `stack`, `index_select`, `gather`, `one_hot`.
//!
//! Indices are passed as `&[usize]` (or read from a float tensor of whole numbers, as
//! class labels usually are); every index is checked.

use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::shape::{check_alloc, normalize_axis, Dims};
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Joins tensors along an existing axis; all other lengths must agree.
    ///
    /// # Panics
    /// If the list is empty, ranks differ, or another axis differs in length.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let a = Tensor::from([[1.0f32, 2.0]]);
    /// let b = Tensor::from([[3.0f32, 4.0], [5.0, 6.0]]);
    /// assert_eq!(Tensor::concat(&[&a, &b], 0).shape(), &[3, 2]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn concat(tensors: &[&Self], axis: isize) -> Self {
        unwrap(Self::try_concat(tensors, axis))
    }

    /// `concat`, or an error naming the first mismatching shape.
    pub fn try_concat(tensors: &[&Self], axis: isize) -> Result<Self> {
        let first = tensors.first().ok_or(TensorError::Invalid {
            op: "concat",
            reason: "needs at least one tensor".into(),
        })?;
        let ax = normalize_axis("concat", axis, first.ndim())?;
        for t in tensors {
            let same_rank = t.ndim() == first.ndim();
            if !same_rank || (0..t.ndim()).any(|k| k != ax && t.shape()[k] != first.shape()[k]) {
                return Err(TensorError::IncompatibleShapes {
                    op: "concat",
                    lhs: first.shape().to_vec(),
                    rhs: t.shape().to_vec(),
                });
            }
        }
        let mut shape: Dims = first.shape().into();
        shape[ax] = tensors
            .iter()
            .try_fold(0usize, |sum, t| sum.checked_add(t.shape()[ax]))
            .ok_or_else(|| TensorError::TooLarge {
                op: "concat",
                shape: first.shape().to_vec(),
            })?;
        let total = crate::shape::check_alloc::<T>("concat", &shape)?;
        if total == 0 {
            // Nothing to copy, and no loop over the leading axes of an empty result
            // (`[2^40, 0]` would spin through them).
            return Ok(Tensor::zeros(&shape));
        }
        // Copy block by block: for each index of the leading axes, each input contributes
        // one contiguous block of `len(axis) · inner` elements, written straight into the
        // result's storage (every element of it, so recycled storage needs no zeroing).
        let outer: usize = shape[..ax].iter().product();
        let parts: Vec<Tensor<T>> = tensors.iter().map(|t| t.contiguous()).collect();
        let mut storage = crate::recycle::scratch::<T>(total);
        let out = storage.get_mut().expect("new storage is unique");
        let mut pos = 0;
        for o in 0..outer {
            for part in &parts {
                let src = part.as_slice().expect("contiguous");
                let block = src.len() / outer;
                out[pos..pos + block].copy_from_slice(&src[o * block..(o + 1) * block]);
                pos += block;
            }
        }
        Ok(Tensor::from_storage(storage, &shape))
    }

    /// Joins tensors of equal shape along a new axis.
    ///
    /// # Panics
    /// If the list is empty or the shapes differ.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let a = Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(Tensor::stack(&[&a, &a, &a], 0).shape(), &[3, 2]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn stack(tensors: &[&Self], axis: isize) -> Self {
        let first = tensors.first().expect("stack: needs at least one tensor");
        for t in tensors {
            assert!(
                t.shape() == first.shape(),
                "stack: shapes {:?} and {:?} differ",
                first.shape(),
                t.shape()
            );
        }
        let ax = unwrap(normalize_axis("stack", axis, first.ndim() + 1)) as isize;
        let expanded: Vec<Tensor<T>> = tensors.iter().map(|t| t.unsqueeze(ax)).collect();
        let refs: Vec<&Tensor<T>> = expanded.iter().collect();
        Self::concat(&refs, ax)
    }

    /// Picks entries `indices` along `axis` (repeats allowed), as `torch.index_select`;
    /// the axis gets length `indices.len()`. With axis 0 this selects rows (embedding
    /// lookups, mini-batches).
    ///
    /// # Panics
    /// If the axis or an index is out of range; see [`Tensor::try_index_select`].
    ///
    /// ```
    /// let x = tensor::Tensor::from([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// assert_eq!(x.index_select(0, &[2, 0]).to_vec(), vec![5.0, 6.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn index_select(&self, axis: isize, indices: &[usize]) -> Self {
        unwrap(self.try_index_select(axis, indices))
    }

    /// `index_select`, or an error naming the bad index.
    pub fn try_index_select(&self, axis: isize, indices: &[usize]) -> Result<Self> {
        let ax = normalize_axis("index_select", axis, self.ndim())?;
        let len = self.shape()[ax];
        if let Some(&bad) = indices.iter().find(|&&i| i >= len) {
            return Err(TensorError::IndexOutOfRange {
                op: "index_select",
                index: bad,
                len,
            });
        }
        let mut shape: Dims = self.shape().into();
        shape[ax] = indices.len();
        let total = crate::shape::check_alloc::<T>("index_select", &shape)?;
        if total == 0 {
            // Nothing to copy (and no loop over the outer axes of an empty tensor).
            return Ok(Tensor::zeros(&shape));
        }
        // Fast path for the common case, rows of a contiguous tensor (mini-batches).
        if let (0, Some(src)) = (ax, self.as_slice()) {
            let row: usize = self.shape()[1..].iter().product();
            let mut data = Vec::with_capacity(total);
            for &i in indices {
                data.extend_from_slice(&src[i * row..(i + 1) * row]);
            }
            return Ok(Tensor::from_parts(data, &shape));
        }
        let parts: Vec<Tensor<T>> = indices
            .iter()
            .map(|&i| self.narrow(ax as isize, i, 1))
            .collect();
        let refs: Vec<&Tensor<T>> = parts.iter().collect();
        Self::try_concat(&refs, ax as isize)
    }

    /// Along `axis`, takes for every position the element whose index `index` holds
    /// there, as `torch.gather`; `index` has the shape of the result and the same rank.
    /// Picks each sample's value at its label: `logp.gather(1, labels[:, None])`.
    ///
    /// # Panics
    /// If the ranks differ, the index is larger than `self` on another axis, or an index
    /// value is out of range.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let logp = Tensor::from([[0.1f32, 0.9], [0.7, 0.3]]);
    /// let labels = Tensor::from([[1.0f32], [0.0]]);
    /// assert_eq!(logp.gather(1, &labels).to_vec(), vec![0.9, 0.7]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn gather(&self, axis: isize, index: &Tensor<T>) -> Self {
        let ax = unwrap(normalize_axis("gather", axis, self.ndim()));
        assert!(
            index.ndim() == self.ndim()
                && (0..self.ndim()).all(|k| k == ax || index.shape()[k] <= self.shape()[k]),
            "gather: index of shape {:?} does not fit a tensor of shape {:?} along axis {axis}",
            index.shape(),
            self.shape()
        );
        let len = self.shape()[ax];
        let idx = index.to_vec();
        let mut pos = vec![0usize; self.ndim()];
        let mut out = Vec::with_capacity(idx.len());
        let strides = self.strides();
        for &v in &idx {
            let i = unwrap(class_index("gather", v, len));
            let offset: usize = (0..pos.len())
                .map(|k| if k == ax { i } else { pos[k] } * strides[k])
                .sum();
            out.push(self.storage[self.layout.offset() + offset]);
            crate::shape::next_index(&mut pos, index.shape());
        }
        Tensor::from_parts(out, index.shape())
    }

    /// One-hot encodes class indices: a tensor of shape `[.., classes]` with a 1 at each
    /// label.
    ///
    /// # Panics
    /// If a label is not a whole number in `0..classes`; see [`Tensor::try_one_hot`].
    ///
    /// ```
    /// let y = tensor::Tensor::from([2.0f32, 0.0]).one_hot(3);
    /// assert_eq!(y.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn one_hot(&self, classes: usize) -> Self {
        unwrap(self.try_one_hot(classes))
    }

    /// `one_hot`, or an error naming the first invalid label.
    pub fn try_one_hot(&self, classes: usize) -> Result<Self> {
        let labels = self.to_vec();
        let mut data = vec![T::ZERO; check_alloc::<T>("one_hot", &[labels.len(), classes])?];
        for (row, &v) in labels.iter().enumerate() {
            data[row * classes + class_index("one_hot", v, classes)?] = T::ONE;
        }
        let mut shape: Dims = self.shape().into();
        shape.push(classes);
        Ok(Tensor::from_parts(data, &shape))
    }

    /// Zero-pads along `axis` so that `self` sits at `start` inside a length of `len`: the
    /// adjoint of [`Tensor::narrow`] (its backward pass).
    ///
    /// # Panics
    /// If the axis is out of range or `start + self.len(axis) > len`.
    ///
    /// ```
    /// let x = tensor::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(x.pad(0, 1, 4).to_vec(), vec![0.0, 1.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn pad(&self, axis: isize, start: usize, len: usize) -> Self {
        let ax = unwrap(normalize_axis("pad", axis, self.ndim()));
        let have = self.shape()[ax];
        assert!(
            start.checked_add(have).is_some_and(|end| end <= len),
            "pad: a length-{have} axis placed at {start} does not fit in {len} (shape {:?})",
            self.shape()
        );
        let zeros = |n: usize| {
            let mut shape: Dims = self.shape().into();
            shape[ax] = n;
            Tensor::zeros(&shape)
        };
        let (before, after) = (zeros(start), zeros(len - start - have));
        Self::concat(&[&before, self, &after], ax as isize)
    }

    /// Sums the entries of `self` along `axis` into a zero tensor whose `axis` has length
    /// `len`, entry `k` going to position `indices[k]` (repeats add up): the adjoint of
    /// [`Tensor::index_select`].
    ///
    /// # Panics
    /// If the axis is out of range, `indices` does not match the axis length, or an index
    /// is `>= len`.
    ///
    /// ```
    /// let g = tensor::Tensor::from([1.0f32, 2.0, 3.0]);
    /// assert_eq!(g.index_add(0, &[2, 0, 2], 3).to_vec(), vec![2.0, 0.0, 4.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn index_add(&self, axis: isize, indices: &[usize], len: usize) -> Self {
        let ax = unwrap(normalize_axis("index_add", axis, self.ndim()));
        assert!(
            indices.len() == self.shape()[ax],
            "index_add: {} indices for an axis of length {} (shape {:?})",
            indices.len(),
            self.shape()[ax],
            self.shape()
        );
        if let Some(&bad) = indices.iter().find(|&&i| i >= len) {
            panic!("index_add: index {bad} is out of range for length {len}");
        }
        let mut out_shape = self.shape().to_vec();
        out_shape[ax] = len;
        if unwrap(check_alloc::<T>("index_add", &out_shape)) == 0 {
            // Nothing to add into (and the other lengths may multiply past `usize::MAX`).
            return Tensor::zeros(&out_shape);
        }
        // Move the axis first so that each entry is one contiguous row.
        let rows = self.transpose(0, ax as isize).contiguous();
        let row: usize = rows.shape()[1..].iter().product();
        let src = rows.as_slice().expect("contiguous");
        let mut out = vec![T::ZERO; len * row];
        for (k, &i) in indices.iter().enumerate() {
            for (o, &x) in out[i * row..(i + 1) * row]
                .iter_mut()
                .zip(&src[k * row..(k + 1) * row])
            {
                *o += x;
            }
        }
        let mut shape: Dims = rows.shape().into();
        shape[0] = len;
        Tensor::from_parts(out, &shape).transpose(0, ax as isize)
    }

    /// Sums `self` into a zero tensor of `shape`: the element at position `p` goes to `p`
    /// with its `axis` coordinate replaced by `index[p]`. The adjoint of
    /// [`Tensor::gather`]; `index` has `self`'s shape.
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let g = Tensor::from([[1.0f32], [2.0]]);
    /// let idx = Tensor::from([[1.0f32], [0.0]]);
    /// assert_eq!(g.scatter_add(1, &idx, &[2, 3]).to_vec(), vec![0.0, 1.0, 0.0, 2.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn scatter_add(&self, axis: isize, index: &Tensor<T>, shape: &[usize]) -> Self {
        let ax = unwrap(normalize_axis("scatter_add", axis, shape.len()));
        assert!(
            index.shape() == self.shape()
                && self.ndim() == shape.len()
                && (0..shape.len()).all(|k| k == ax || self.shape()[k] <= shape[k]),
            "scatter_add: source {:?} and index {:?} do not fit a target of shape {shape:?} along axis {axis}",
            self.shape(),
            index.shape()
        );
        let strides = crate::layout::contiguous_strides(shape);
        let mut out = vec![T::ZERO; unwrap(check_alloc::<T>("scatter_add", shape))];
        let (src, idx) = (self.to_vec(), index.to_vec());
        let mut pos = vec![0usize; shape.len()];
        for (&x, &v) in src.iter().zip(&idx) {
            let i = unwrap(class_index("scatter_add", v, shape[ax]));
            let at: usize = (0..pos.len())
                .map(|k| if k == ax { i } else { pos[k] } * strides[k])
                .sum();
            out[at] += x;
            crate::shape::next_index(&mut pos, self.shape());
        }
        Tensor::from_parts(out, shape)
    }

    /// The elements as indices (whole, non-negative numbers below `len`).
    ///
    /// # Errors
    /// [`TensorError::Invalid`] naming the first element that is not a valid index.
    pub fn to_indices(&self, len: usize) -> Result<Vec<usize>> {
        self.to_vec()
            .into_iter()
            .map(|v| class_index("to_indices", v, len))
            .collect()
    }
}

/// A float label as an index in `0..len`, or an error naming it.
fn class_index<T: Float>(op: &'static str, v: T, len: usize) -> Result<usize> {
    let f = v.to_f64();
    if f.fract() != 0.0 || f < 0.0 || f >= len as f64 {
        return Err(TensorError::Invalid {
            op,
            reason: format!("label {v} is not a whole number in 0..{len}"),
        });
    }
    Ok(f as usize)
}
