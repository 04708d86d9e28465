//! Recycling of tensor storage: when the last tensor holding a buffer of at least
//! [`MIN_BYTES`] is dropped, the buffer goes to a per-thread pool instead of back to the
//! allocator, and the next result of exactly that length reuses it.
//!
//! A training step allocates the same buffers every time (activations, their gradients,
//! the products of the backward pass) and frees them all when its tape is dropped. With
//! the system allocator, large blocks are given back to the operating system on free and
//! faulted in again, page by page, when the next step writes them: on this project's
//! benchmark machine that was 6 % of the 784 → 1024 → 1024 → 10 step and more than half
//! of an LSTM layer's training forward pass (see `docs/decisions.md`, entry 42).
//! PyTorch's CUDA caching allocator does the same for GPU memory.
//!
//! The pool holds at most [`capacity`] bytes per thread and element type (256 MiB unless
//! changed with [`set_capacity`]; `0` turns recycling off); when a returned buffer does
//! not fit, buffers of other lengths are freed first, longest first. It only ever holds
//! memory the program had allocated and released; [`clear`] frees the calling thread's.
//!
//! ```
//! use tensor::{recycle, Tensor};
//! recycle::clear();
//! let a = Tensor::<f32>::zeros(&[256, 256]); // 256 KiB
//! drop(a);
//! assert_eq!(recycle::cached_bytes::<f32>(), 256 * 256 * 4);
//! let b = Tensor::<f32>::ones(&[256, 256]); // reuses the buffer
//! assert_eq!(recycle::cached_bytes::<f32>(), 0);
//! assert!(b.to_vec().iter().all(|&x| x == 1.0));
//! ```

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::mem::size_of;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::storage::Storage;

/// Buffers smaller than this (in bytes) are left to the allocator: below it, the pool's
/// bookkeeping would cost about what it saves (an LSTM step's `[32, 256]` f32 gate
/// buffers, 32 KiB, still gained from recycling).
pub const MIN_BYTES: usize = 8 * 1024;

static CAPACITY: AtomicUsize = AtomicUsize::new(256 << 20);

/// The most bytes of released storage one thread keeps for each element type.
#[must_use]
pub fn capacity() -> usize {
    CAPACITY.load(Ordering::Relaxed)
}

/// Sets the most bytes of released storage each thread keeps per element type, for all
/// threads; `0` turns recycling off. A pool already over the new limit shrinks the next
/// time its thread takes or returns a buffer (or calls [`clear`]).
pub fn set_capacity(bytes: usize) {
    CAPACITY.store(bytes, Ordering::Relaxed);
}

/// Frees every buffer this thread's pools hold. (Storage released on a thread of the
/// rayon pool, inside [`crate::parallel::on_pool`] for example, is in that thread's.)
pub fn clear() {
    // A thread being torn down has no pools left to clear.
    let _ = SHELVES.try_with(|cell| {
        if let Ok(mut shelves) = cell.try_borrow_mut() {
            shelves.clear();
        }
    });
}

/// The bytes of released `T` storage this thread's pool holds.
#[must_use]
pub fn cached_bytes<T: Copy + 'static>() -> usize {
    with_shelf(|s: &mut Shelf<T>| s.bytes).unwrap_or(0)
}

/// One element type's released buffers, by length (each list oldest first).
struct Shelf<T: Copy> {
    buffers: BTreeMap<usize, Vec<Storage<T>>>,
    bytes: usize,
}

impl<T: Copy> Shelf<T> {
    /// Frees one buffer to make room for one of `len` elements: the oldest of the
    /// longest other length, or of `len` itself when no other is held. `false` if empty.
    fn evict_one(&mut self, len: usize) -> bool {
        let key = self
            .buffers
            .keys()
            .rev()
            .find(|&&k| k != len)
            .or_else(|| self.buffers.keys().next())
            .copied();
        let Some(key) = key else { return false };
        let list = self.buffers.get_mut(&key).expect("a held length");
        list.remove(0);
        if list.is_empty() {
            self.buffers.remove(&key);
        }
        self.bytes -= key * size_of::<T>();
        true
    }
}

thread_local! {
    // One `Shelf<T>` per element type seen on this thread (f32, f64): a short list.
    static SHELVES: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's `Shelf<T>`, or returns `None` while the thread is being
/// torn down or the pool is already borrowed.
fn with_shelf<T: Copy + 'static, R>(f: impl FnOnce(&mut Shelf<T>) -> R) -> Option<R> {
    SHELVES
        .try_with(|cell| {
            let mut shelves = cell.try_borrow_mut().ok()?;
            let i = match shelves.iter().position(|s| s.as_ref().is::<Shelf<T>>()) {
                Some(i) => i,
                None => {
                    shelves.push(Box::new(Shelf::<T> {
                        buffers: BTreeMap::new(),
                        bytes: 0,
                    }));
                    shelves.len() - 1
                }
            };
            shelves[i].as_mut().downcast_mut::<Shelf<T>>().map(f)
        })
        .ok()
        .flatten()
}

/// Whether a buffer of `len` elements of `T` is large enough to recycle.
#[inline]
pub(crate) fn worth_keeping<T>(len: usize) -> bool {
    len.saturating_mul(size_of::<T>()) >= MIN_BYTES
}

/// A released buffer of exactly `len` elements, unique (so writable) and holding stale
/// values, or `None`.
#[inline]
pub(crate) fn take<T: Copy + 'static>(len: usize) -> Option<Storage<T>> {
    // Checked here, inline: most results of small ops never reach the pool.
    if !worth_keeping::<T>(len) {
        return None;
    }
    take_pooled(len)
}

/// [`take`] for a length worth pooling: the most recently released buffer of `len`.
fn take_pooled<T: Copy + 'static>(len: usize) -> Option<Storage<T>> {
    let cap = capacity();
    with_shelf(|s: &mut Shelf<T>| {
        // A capacity lowered since the last visit (to 0: recycling off) applies now.
        while s.bytes > cap && s.evict_one(0) {}
        // The most recently released first: its pages are the likeliest to be cached.
        let list = s.buffers.get_mut(&len)?;
        let buffer = list.pop().expect("held lengths have buffers");
        if list.is_empty() {
            s.buffers.remove(&len);
        }
        s.bytes -= len * size_of::<T>();
        Some(buffer)
    })
    .flatten()
}

/// Keeps `buffer` for reuse if it is unique and fits the capacity (freeing others to
/// make room, longest first); otherwise it is dropped, after the pool has shrunk to the
/// capacity (which may have been lowered since).
pub(crate) fn give<T: Copy + 'static>(mut buffer: Storage<T>) {
    let bytes = buffer.len().saturating_mul(size_of::<T>());
    if bytes < MIN_BYTES || buffer.get_mut().is_none() {
        return;
    }
    let cap = capacity();
    with_shelf(move |s: &mut Shelf<T>| {
        let len = buffer.len();
        // A buffer larger than the whole capacity is not kept, and evicts nothing.
        let room = if bytes > cap { 0 } else { bytes };
        while s.bytes + room > cap && s.evict_one(len) {}
        if bytes <= cap {
            s.bytes += bytes;
            s.buffers.entry(len).or_default().push(buffer);
        }
    });
}

/// Storage of `len` elements, all zero: recycled if possible.
pub(crate) fn zeroed<T: crate::Float>(len: usize) -> Storage<T> {
    filled(len, T::ZERO)
}

/// Storage of `len` elements, all `value`: recycled if possible.
pub(crate) fn filled<T: Copy + 'static>(len: usize, value: T) -> Storage<T> {
    take_filled(len, value).unwrap_or_else(|| Storage::filled(len, value))
}

/// A released buffer of `len` elements filled with `value`, or `None`.
pub(crate) fn take_filled<T: Copy + 'static>(len: usize, value: T) -> Option<Storage<T>> {
    let mut buffer = take::<T>(len)?;
    buffer
        .get_mut()
        .expect("a pooled buffer is unique")
        .fill(value);
    Some(buffer)
}

/// Storage of `len` elements with unspecified (but initialized) values, for a caller
/// that overwrites every one: a recycled buffer as it is, or new zeros.
pub(crate) fn scratch<T: crate::Float>(len: usize) -> Storage<T> {
    take::<T>(len).unwrap_or_else(|| Storage::filled(len, T::ZERO))
}

/// Storage holding a copy of `data`: recycled if possible.
pub(crate) fn copied<T: Copy + 'static>(data: &[T]) -> Storage<T> {
    match take::<T>(data.len()) {
        Some(mut buffer) => {
            buffer
                .get_mut()
                .expect("a pooled buffer is unique")
                .copy_from_slice(data);
            buffer
        }
        None => Storage::from_slice(data),
    }
}
