//! The `Tensor` type: shared storage plus a layout, its constructors and accessors.

use crate::element::Float;
use crate::error::{unwrap, Result, TensorError};
use crate::layout::Layout;
use crate::shape::{numel, try_numel};
use crate::storage::Storage;
use crate::strided;

/// An n-dimensional array of `f32` (the default) or `f64`.
///
/// A tensor is a [`Layout`] (shape, strides, offset) over reference-counted storage.
/// Cloning a tensor and taking views (`t`, `permute`, `narrow`, `broadcast_to`, …) never
/// copies data. Operations return new tensors; the in-place updates (`add_assign`,
/// `axpy`, `fill`, `map_inplace`) copy the storage first only if another tensor shares it.
/// When the last tensor holding a large buffer is dropped, the buffer is kept for the
/// next result of its length ([`crate::recycle`]).
///
/// ```
/// use tensor::Tensor;
/// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
/// let b = a.t(); // a view: no copy
/// assert_eq!(b.shape(), &[3, 2]);
/// assert_eq!(b.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
/// let c = &a + &Tensor::from([10.0, 20.0, 30.0]); // broadcasting
/// assert_eq!(c.to_vec(), vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
/// ```
#[derive(Clone)]
pub struct Tensor<T: Float = f32> {
    // One allocation holds the count and the elements ([`Storage`], an `Arc<[T]>`
    // without weak references): clones and views share it; `Storage::make_mut` gives
    // copy-on-write for the in-place updates.
    pub(crate) storage: Storage<T>,
    pub(crate) layout: Layout,
}

impl<T: Float> Drop for Tensor<T> {
    /// The last tensor holding a large buffer hands it to [`crate::recycle`].
    fn drop(&mut self) {
        // `give` keeps it only if no other tensor shares it; a shared one is released
        // there as it would be here.
        if crate::recycle::worth_keeping::<T>(self.storage.len()) {
            crate::recycle::give(std::mem::replace(&mut self.storage, Storage::empty()));
        }
    }
}

impl<T: Float> Tensor<T> {
    /// A tensor from row-major data.
    ///
    /// # Errors
    /// [`TensorError::LengthMismatch`] if `data.len()` differs from the shape's element
    /// count.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let t = Tensor::<f64>::from_vec(vec![1.0, 2.0], &[2, 1]).unwrap();
    /// assert_eq!(t.shape(), &[2, 1]);
    /// let err = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[2, 2]).unwrap_err();
    /// assert_eq!(err.to_string(), "from_vec: data has 3 elements but shape [2, 2] needs 4");
    /// ```
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self> {
        let expected = try_numel("from_vec", shape)?;
        if data.len() != expected {
            return Err(TensorError::LengthMismatch {
                op: "from_vec",
                len: data.len(),
                shape: shape.to_vec(),
                expected,
            });
        }
        Ok(Self::from_parts(data, shape))
    }

    /// A contiguous tensor from data whose length is known to match (moves the data
    /// into shared storage: one copy).
    pub(crate) fn from_parts(data: Vec<T>, shape: &[usize]) -> Self {
        Self::from_storage(crate::recycle::copied(&data), shape)
    }

    /// A contiguous tensor over storage whose length is known to match.
    pub(crate) fn from_storage(storage: Storage<T>, shape: &[usize]) -> Self {
        debug_assert_eq!(storage.len(), numel(shape));
        Tensor {
            storage,
            layout: Layout::contiguous(shape),
        }
    }

    /// A view of the same storage with another layout.
    pub(crate) fn with_layout(&self, layout: Layout) -> Self {
        Tensor {
            storage: self.storage.clone(),
            layout,
        }
    }

    /// A tensor of `shape` filled with `value`.
    ///
    /// # Panics
    /// If the shape's size overflows or the memory cannot be allocated; the message gives
    /// the shape and the bytes asked for. Use [`Tensor::try_full`] to get an error.
    #[track_caller]
    #[must_use]
    pub fn full(shape: &[usize], value: T) -> Self {
        unwrap(Self::try_full(shape, value))
    }

    /// [`Tensor::full`], or an error when the shape is too large or a buffer of 64 MiB or
    /// more cannot be allocated (instead of aborting the process; like every op, see
    /// [`crate::shape::check_alloc`]).
    ///
    /// ```
    /// use tensor::{Tensor, TensorError};
    /// let huge = Tensor::<f32>::try_full(&[1 << 40, 1 << 40], 0.0);
    /// assert!(matches!(huge, Err(TensorError::Alloc { .. } | TensorError::TooLarge { .. })));
    /// ```
    pub fn try_full(shape: &[usize], value: T) -> Result<Self> {
        let n = crate::shape::check_alloc::<T>("full", shape)?;
        Ok(Self::from_storage(crate::recycle::filled(n, value), shape))
    }

    /// [`Tensor::zeros`], or an error when the shape is too large or the allocation fails.
    pub fn try_zeros(shape: &[usize]) -> Result<Self> {
        Self::try_full(shape, T::ZERO)
    }

    /// A tensor of zeros.
    ///
    /// ```
    /// let z = tensor::Tensor::<f32>::zeros(&[2, 3]);
    /// assert_eq!(z.sum_all(), 0.0);
    /// ```
    #[track_caller]
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::ZERO)
    }

    /// A tensor of ones.
    #[track_caller]
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, T::ONE)
    }

    /// A zero-dimensional tensor holding one value.
    ///
    /// ```
    /// let s = tensor::Tensor::scalar(2.5f32);
    /// assert_eq!(s.ndim(), 0);
    /// assert_eq!(s.item(), 2.5);
    /// ```
    pub fn scalar(value: T) -> Self {
        Self::from_parts(vec![value], &[])
    }

    /// Zeros with the shape of `other`.
    #[must_use]
    pub fn zeros_like(other: &Self) -> Self {
        Self::zeros(other.shape())
    }

    /// Ones with the shape of `other`.
    #[must_use]
    pub fn ones_like(other: &Self) -> Self {
        Self::ones(other.shape())
    }

    /// `value` everywhere, with the shape of `other`.
    pub fn full_like(other: &Self, value: T) -> Self {
        Self::full(other.shape(), value)
    }

    /// `start, start + step, …` up to but excluding `end` (1-D), as `numpy.arange`.
    ///
    /// # Panics
    /// If `step` is zero or not finite.
    ///
    /// ```
    /// let t = tensor::Tensor::arange(0.0f32, 1.0, 0.25);
    /// assert_eq!(t.to_vec(), vec![0.0, 0.25, 0.5, 0.75]);
    /// ```
    #[track_caller]
    pub fn arange(start: T, end: T, step: T) -> Self {
        assert!(
            step != T::ZERO && step.is_finite(),
            "arange: step must be finite and non-zero, got {step}"
        );
        // `as usize` saturates: an endless range asks for usize::MAX, refused below.
        let n = ((end - start) / step).to_f64().ceil().max(0.0) as usize;
        unwrap(crate::shape::check_alloc::<T>("arange", &[n]));
        let data = (0..n)
            .map(|i| start + T::from_usize(i) * step)
            .collect::<Vec<_>>();
        Self::from_parts(data, &[n])
    }

    /// `n` evenly spaced values from `start` to `end` inclusive (1-D), as `numpy.linspace`.
    ///
    /// ```
    /// let t = tensor::Tensor::linspace(0.0f64, 1.0, 5);
    /// assert_eq!(t.to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    #[track_caller]
    pub fn linspace(start: T, end: T, n: usize) -> Self {
        unwrap(crate::shape::check_alloc::<T>("linspace", &[n]));
        let data = match n {
            0 => vec![],
            1 => vec![start],
            _ => {
                let step = (end - start) / T::from_usize(n - 1);
                (0..n)
                    .map(|i| {
                        if i == n - 1 {
                            end
                        } else {
                            start + T::from_usize(i) * step
                        }
                    })
                    .collect()
            }
        };
        Self::from_parts(data, &[n])
    }

    /// The `n × n` identity matrix.
    ///
    /// ```
    /// let i = tensor::Tensor::<f32>::eye(2);
    /// assert_eq!(i.to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn eye(n: usize) -> Self {
        let mut data = vec![T::ZERO; unwrap(crate::shape::check_alloc::<T>("eye", &[n, n]))];
        for i in 0..n {
            data[i * n + i] = T::ONE;
        }
        Self::from_parts(data, &[n, n])
    }

    /// The shape: one length per axis.
    #[must_use]
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// Number of axes.
    #[must_use]
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements.
    #[must_use]
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }

    /// Strides in elements, one per axis (0 on broadcast axes).
    #[must_use]
    pub fn strides(&self) -> &[usize] {
        self.layout.strides()
    }

    /// The layout (shape, strides, offset).
    #[must_use]
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// True if the elements sit in row-major order without gaps.
    #[must_use]
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }

    /// True if `self` and `other` share storage (one is a view of the other, or both
    /// are views of a third). A tensor created with no elements has no storage to
    /// share, so it shares none, even with its own clones (as NumPy's `shares_memory`
    /// finds no overlap between empty arrays); an empty view of a tensor with elements
    /// shares that tensor's.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let a = Tensor::<f32>::zeros(&[2, 3]);
    /// assert!(a.t().shares_storage(&a));
    /// assert!(a.narrow(0, 0, 0).shares_storage(&a));
    /// let e = Tensor::<f32>::zeros(&[0, 3]);
    /// assert!(!e.clone().shares_storage(&e));
    /// ```
    #[must_use]
    pub fn shares_storage(&self, other: &Self) -> bool {
        Storage::ptr_eq(&self.storage, &other.storage)
    }

    /// The elements as a slice, if the tensor is contiguous.
    #[must_use]
    pub fn as_slice(&self) -> Option<&[T]> {
        if self.numel() == 0 {
            // An empty view's offset may point past the end of its storage.
            return Some(&[]);
        }
        self.is_contiguous()
            .then(|| &self.storage[self.layout.offset()..self.layout.offset() + self.numel()])
    }

    /// The elements in row-major (logical) order, copied into a `Vec`.
    #[must_use]
    pub fn to_vec(&self) -> Vec<T> {
        match self.as_slice() {
            Some(s) => s.to_vec(),
            None => strided::map(&self.storage, &self.layout, |x| x).to_vec(),
        }
    }

    /// The single value of a one-element tensor.
    ///
    /// # Panics
    /// If the tensor does not have exactly one element.
    #[track_caller]
    #[must_use]
    pub fn item(&self) -> T {
        assert!(
            self.numel() == 1,
            "item: tensor of shape {:?} has {} elements, expected 1",
            self.shape(),
            self.numel()
        );
        self.storage[self.layout.offset()]
    }

    /// The element at a multi-index.
    ///
    /// # Panics
    /// If the index has the wrong rank or is out of range.
    ///
    /// ```
    /// let t = tensor::Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(t.at(&[1, 0]), 3.0);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn at(&self, index: &[usize]) -> T {
        unwrap(self.try_at(index))
    }

    /// The element at a multi-index, or an error naming what is out of range.
    pub fn try_at(&self, index: &[usize]) -> Result<T> {
        if index.len() != self.ndim() {
            return Err(TensorError::Invalid {
                op: "at",
                reason: format!(
                    "index {index:?} has {} entries but the tensor of shape {:?} has {} axes",
                    index.len(),
                    self.shape(),
                    self.ndim()
                ),
            });
        }
        for (&i, &d) in index.iter().zip(self.shape()) {
            if i >= d {
                return Err(TensorError::IndexOutOfRange {
                    op: "at",
                    index: i,
                    len: d,
                });
            }
        }
        Ok(self.storage[self.layout.index_of(index)])
    }

    /// A contiguous tensor with the same values: `self` itself (no copy) if already
    /// contiguous.
    #[must_use]
    pub fn contiguous(&self) -> Self {
        if self.is_contiguous() {
            self.clone()
        } else {
            Self::from_storage(self.dense_storage(), self.shape())
        }
    }

    /// [`Tensor::contiguous`], with the copy's size checked first: an error naming `op`
    /// for a view too large to copy (a huge broadcast) rather than a panic.
    pub(crate) fn try_contiguous(&self, op: &'static str) -> crate::error::Result<Self> {
        if !self.is_contiguous() {
            crate::shape::check_alloc::<T>(op, self.shape())?;
        }
        Ok(self.contiguous())
    }

    /// The elements in row-major order, in new storage: one pass, straight into (possibly
    /// recycled) storage. (`from_parts(self.to_vec(), …)` made two more copies: a
    /// transposed 1024 × 1024 took 1.1–3.0 ms.)
    pub(crate) fn dense_storage(&self) -> Storage<T> {
        match self.as_slice() {
            Some(s) => crate::recycle::copied(s),
            None => strided::map(&self.storage, &self.layout, |x| x),
        }
    }

    /// Converts the elements to another float type (`f32` ↔ `f64`).
    ///
    /// ```
    /// let a = tensor::Tensor::from([1.5f32, 2.0]);
    /// let b: tensor::Tensor<f64> = a.cast();
    /// assert_eq!(b.to_vec(), vec![1.5, 2.0]);
    /// ```
    #[must_use]
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        let data = strided::map(&self.storage, &self.layout, |x| U::from_f64(x.to_f64()));
        Tensor::from_storage(data, self.shape())
    }

    /// Applies `f` to every element, returning a new contiguous tensor.
    ///
    /// ```
    /// let t = tensor::Tensor::from([1.0f32, -2.0]).map(|x| x * 10.0);
    /// assert_eq!(t.to_vec(), vec![10.0, -20.0]);
    /// ```
    #[must_use]
    pub fn map(&self, f: impl Fn(T) -> T + Sync) -> Self {
        Self::from_storage(strided::map(&self.storage, &self.layout, f), self.shape())
    }

    /// True if every element is finite (no NaN, no infinity). Reads the elements in
    /// place (no copy) and, for contiguous data, in vector lanes.
    ///
    /// ```
    /// use tensor::Tensor;
    /// assert!(Tensor::from([1.0f32, -2.0]).all_finite());
    /// assert!(!Tensor::from([1.0f32, f32::NEG_INFINITY]).all_finite());
    /// ```
    #[must_use]
    pub fn all_finite(&self) -> bool {
        match self.as_slice() {
            Some(xs) => crate::simd::dispatch(|| slice_all_finite(xs)),
            None => self.to_vec().iter().all(|x| x.is_finite()),
        }
    }
}

/// `x·0` is 0 for a finite `x` and NaN for ±∞ or NaN, so the sum of `x·0` over a slice is
/// 0 exactly when every element is finite; summing in 16 independent lanes lets the loop
/// vectorize (an early-exit search does not).
#[inline(always)]
fn slice_all_finite<T: Float>(xs: &[T]) -> bool {
    const LANES: usize = 16;
    let mut lanes = [T::ZERO; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += x * T::ZERO;
        }
    }
    let total = rest
        .iter()
        .chain(&lanes)
        .fold(T::ZERO, |acc, &x| acc + x * T::ZERO);
    total == T::ZERO
}
