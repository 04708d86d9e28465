//! Shape helpers: element counts, NumPy broadcasting, and NumPy-style negative axes.

use smallvec::SmallVec;

use crate::error::TensorError;

/// A shape: one length per axis. Ranks up to 4 never allocate.
pub type Dims = SmallVec<[usize; 4]>;

/// Number of elements of a shape (1 for a scalar's empty shape).
///
/// # Panics
/// If the count overflows `usize` (a shape no machine can hold), naming the shape.
#[must_use]
#[track_caller]
#[inline(always)]
pub fn numel(shape: &[usize]) -> usize {
    match try_numel("numel", shape) {
        Ok(n) => n,
        Err(e) => numel_failed(&e),
    }
}

/// The panic of [`numel`], out of line so that `numel` itself inlines (every op asks it).
#[cold]
#[track_caller]
#[inline(never)]
fn numel_failed(e: &TensorError) -> ! {
    panic!("{e}")
}

/// True if two shapes are equal, compared in registers: `a == b` on slices calls
/// `memcmp`, a noticeable part of a small op that only compares a few lengths.
#[inline]
pub(crate) fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Number of elements of a shape, with checked arithmetic: a count that overflows
/// `usize` is [`TensorError::TooLarge`] naming `op` and the shape (in release builds an
/// unchecked product would wrap to a small number and let later code read out of
/// bounds).
///
/// ```
/// use tensor::shape::try_numel;
/// assert_eq!(try_numel("zeros", &[2, 3]).unwrap(), 6);
/// assert_eq!(try_numel("zeros", &[0, usize::MAX]).unwrap(), 0);
/// assert_eq!(try_numel("zeros", &[usize::MAX, 2, 0]).unwrap(), 0); // overflow, then 0
/// assert!(try_numel("zeros", &[3, 6148914691236517206]).is_err());
/// ```
#[inline]
pub fn try_numel(op: &'static str, shape: &[usize]) -> Result<usize, TensorError> {
    // One pass: a 0-length axis makes the count 0 even if the other lengths' product
    // overflows, so an overflow is an error only when no axis is 0.
    let mut n = 1usize;
    let mut overflow = false;
    for &d in shape {
        match n.checked_mul(d) {
            Some(v) => n = v,
            None => overflow = true,
        }
    }
    if overflow && !shape.contains(&0) {
        return Err(too_large(op, shape));
    }
    Ok(if overflow { 0 } else { n })
}

/// The error of a count or byte size past what `usize` (or one allocation) can hold;
/// out of line, so the checked functions stay small enough to inline.
#[cold]
fn too_large(op: &'static str, shape: &[usize]) -> TensorError {
    TensorError::TooLarge {
        op,
        shape: shape.to_vec(),
    }
}

/// The bytes a contiguous buffer of `shape` with elements of `elem_size` bytes needs,
/// checked: at most `isize::MAX` (Rust's limit for one allocation).
#[inline]
pub fn try_bytes(
    op: &'static str,
    shape: &[usize],
    elem_size: usize,
) -> Result<usize, TensorError> {
    let n = try_numel(op, shape)?;
    match n.checked_mul(elem_size) {
        Some(b) if b <= isize::MAX as usize => Ok(b),
        _ => Err(too_large(op, shape)),
    }
}

/// The shape two shapes broadcast to, by NumPy's rules: align at the right; each pair of
/// lengths must be equal or one of them 1.
///
/// ```
/// use tensor::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap().as_slice(), &[3, 4]);
/// assert!(broadcast_shapes(&[3], &[4]).is_err());
/// ```
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Dims, TensorError> {
    let n = a.len().max(b.len());
    let mut out: Dims = SmallVec::from_elem(0, n);
    for k in 0..n {
        let da = if k + a.len() >= n {
            a[k + a.len() - n]
        } else {
            1
        };
        let db = if k + b.len() >= n {
            b[k + b.len() - n]
        } else {
            1
        };
        out[k] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(TensorError::IncompatibleShapes {
                op: "broadcast",
                lhs: a.to_vec(),
                rhs: b.to_vec(),
            });
        };
    }
    Ok(out)
}

/// Resolves a possibly negative axis (`-1` is the last) against `ndim` axes.
pub fn normalize_axis(op: &'static str, axis: isize, ndim: usize) -> Result<usize, TensorError> {
    let n = ndim as isize;
    if axis >= n || axis < -n {
        return Err(TensorError::AxisOutOfRange { op, axis, ndim });
    }
    Ok(if axis < 0 {
        (axis + n) as usize
    } else {
        axis as usize
    })
}

/// The axes that summing a tensor of shape `from` must reduce (keeping them with length 1)
/// to undo broadcasting `to` → `from`: the leading axes `from` added, and the axes where
/// `to` has length 1 but `from` does not.
///
/// ```
/// assert_eq!(tensor::shape::sum_to_axes(&[4, 2, 3], &[2, 1]).unwrap(), vec![0, 2]);
/// assert!(tensor::shape::sum_to_axes(&[2, 3], &[4]).is_err());
/// ```
///
/// # Errors
/// [`TensorError::Broadcast`] if `to` does not broadcast to `from`.
pub fn sum_to_axes(from: &[usize], to: &[usize]) -> Result<Vec<usize>, TensorError> {
    let fail = || TensorError::Broadcast {
        op: "sum_to",
        from: to.to_vec(),
        to: from.to_vec(),
    };
    if to.len() > from.len() {
        return Err(fail());
    }
    let lead = from.len() - to.len();
    let mut axes: Vec<usize> = (0..lead).collect();
    for (k, &d) in to.iter().enumerate() {
        let have = from[lead + k];
        if d == 1 && have != 1 {
            axes.push(lead + k);
        } else if d != have {
            return Err(fail());
        }
    }
    Ok(axes)
}

/// Steps a multi-index to the next position of `shape` in row-major order (the last axis
/// fastest), back to all zeros after the last one.
#[inline]
pub(crate) fn next_index(index: &mut [usize], shape: &[usize]) {
    for k in (0..index.len()).rev() {
        index[k] += 1;
        if index[k] < shape[k] {
            return;
        }
        index[k] = 0;
    }
}

/// Buffers of at least this many bytes (64 MiB) are probed with a fallible allocation
/// before use ([`check_alloc`]); below it, an allocation failure aborts, as for `Vec`.
pub(crate) const PROBED_BYTES: usize = 1 << 26;

/// Checks that a buffer for `shape` with elements of `T` can be allocated: a checked
/// byte count, and for large buffers (64 MiB or more) a probe with `try_reserve`, so an
/// impossible allocation (a `[2^40, 1]` matmul output, say) is an error naming the op,
/// the shape and the bytes instead of an abort of the whole process. Returns the element
/// count.
///
/// # Errors
/// [`TensorError::TooLarge`] or [`TensorError::Alloc`].
#[inline]
pub fn check_alloc<T>(op: &'static str, shape: &[usize]) -> Result<usize, TensorError> {
    let bytes = try_bytes(op, shape, std::mem::size_of::<T>())?;
    let n = match std::mem::size_of::<T>() {
        0 => try_numel(op, shape)?,
        size => bytes / size,
    };
    if bytes >= PROBED_BYTES {
        let mut probe: Vec<T> = Vec::new();
        probe.try_reserve_exact(n).map_err(|_| TensorError::Alloc {
            op,
            shape: shape.to_vec(),
            bytes,
        })?;
    }
    Ok(n)
}
