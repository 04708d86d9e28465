//! `Storage<T>`: the reference-counted buffer that tensors and their views share.
//!
//! It is `Arc<[T]>` without weak references, the design of `triomphe::Arc` (Servo,
//! rust-analyzer): one allocation holds a count and the elements. Without weak
//! references, "am I the only owner?" is a plain load of the count, so
//!
//! * dropping the last handle frees the buffer without an atomic read-modify-write
//!   (`Arc<[T]>` does two, one per count, about 6 ns each on a 2-core Xeon VM), and
//! * [`Storage::get_mut`] is a load, where `Arc::get_mut` does a compare-and-swap.
//!
//! Most tensors an op creates are dropped by their only owner, so this is most of
//! what a small op costs beyond its arithmetic: creating and freeing 16 `f32`s took
//! 33–42 ns through `Arc<[f32]>` and 16–17 ns here, against 14–17 ns for a `Vec`
//! (`docs/decisions.md`, entry 51).
//!
//! Elements are `Copy`, so nothing is ever dropped element by element. A storage of
//! zero elements allocates nothing.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::marker::PhantomData;
use std::mem::{align_of, size_of, MaybeUninit};
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A shared, immutable (unless unique) buffer of `len` elements.
pub(crate) struct Storage<T: Copy> {
    /// The first element. For `len > 0` it lies `data_align::<T>(len)` bytes from the
    /// start of the allocation `allocation::<T>(len)`, where the count sits (16 bytes, 64
    /// for buffers from 8 KiB, or `T`'s alignment if larger); for `len == 0` it is
    /// dangling and nothing is allocated.
    data: NonNull<T>,
    len: usize,
    _owns: PhantomData<T>,
}

// SAFETY: a `Storage` hands out `&[T]` to every handle and `&mut [T]` only to a unique
// one (checked through the count, which is atomic), exactly like `Arc<[T]>`: it is Send
// and Sync when `T` is.
unsafe impl<T: Copy + Send + Sync> Send for Storage<T> {}
// SAFETY: as above.
unsafe impl<T: Copy + Send + Sync> Sync for Storage<T> {}

/// Buffers of at least this many bytes have their elements on a 64-byte boundary (a
/// cache line, one AVX-512 vector), so that no vector load of a large pass straddles two
/// lines; smaller ones on a 16-byte boundary, as `Arc<[T]>` and `malloc` give. The same
/// floor as the pool's ([`crate::recycle::MIN_BYTES`]): an alignment above 16 makes
/// glibc take its slower `posix_memalign` path, which recycled buffers rarely pay.
const LINE_ALIGNED_BYTES: usize = crate::recycle::MIN_BYTES;

/// The alignment of the elements of a storage of `len` elements, which is also their
/// offset from the start of the allocation, where the count sits (padded to it).
#[inline]
fn data_align<T>(len: usize) -> usize {
    let base = if len.saturating_mul(size_of::<T>()) >= LINE_ALIGNED_BYTES {
        64
    } else {
        16
    };
    base.max(align_of::<T>())
}

/// The allocation of a storage of `len` elements: the count, padding up to
/// [`data_align`], then the elements; `None` if its size overflows `isize`.
#[inline]
fn allocation<T>(len: usize) -> Option<Layout> {
    let align = data_align::<T>(len);
    let size = len.checked_mul(size_of::<T>())?.checked_add(align)?;
    Layout::from_size_align(size, align).ok()
}

impl<T: Copy> Storage<T> {
    /// A storage of no elements (no allocation).
    pub(crate) fn empty() -> Self {
        Storage {
            data: NonNull::dangling(),
            len: 0,
            _owns: PhantomData,
        }
    }

    /// New storage of `len` elements whose every slot `write` initializes.
    ///
    /// # Safety
    /// `write` must initialize all `len` slots it is given before it returns. (If it
    /// panics, the allocation is freed and nothing is read.)
    ///
    /// # Panics
    /// If `len` elements of `T` overflow `isize::MAX` bytes; aborts if the allocation
    /// fails (as `Vec` does). Callers check sizes first ([`crate::shape::check_alloc`]).
    #[inline]
    pub(crate) unsafe fn new_with(len: usize, write: impl FnOnce(&mut [MaybeUninit<T>])) -> Self {
        if len == 0 {
            write(&mut []);
            return Self::empty();
        }
        let layout = allocation::<T>(len).expect("storage size overflows isize");
        let offset = data_align::<T>(len);
        // SAFETY: `layout` has a non-zero size (it holds the count).
        let base = unsafe { alloc(layout) };
        if base.is_null() {
            handle_alloc_error(layout);
        }
        // Frees the allocation if `write` panics: the elements need no drop.
        struct Guard(*mut u8, Layout);
        impl Drop for Guard {
            fn drop(&mut self) {
                // SAFETY: allocated above with this layout and not yet freed or owned.
                unsafe { dealloc(self.0, self.1) };
            }
        }
        let guard = Guard(base, layout);
        // SAFETY: `base` is valid for the layout and aligned to `offset` (at least 16, and
        // at least `T`'s alignment), so for `AtomicUsize` (8 bytes) at 0 and for `T` at
        // `offset`; the `len` slots after `offset` are inside the allocation, and nothing
        // else refers to them yet.
        let data = unsafe {
            base.cast::<AtomicUsize>().write(AtomicUsize::new(1));
            let data = base.add(offset).cast::<T>();
            write(std::slice::from_raw_parts_mut(
                data.cast::<MaybeUninit<T>>(),
                len,
            ));
            data
        };
        std::mem::forget(guard);
        Storage {
            // SAFETY: inside a non-null allocation.
            data: unsafe { NonNull::new_unchecked(data) },
            len,
            _owns: PhantomData,
        }
    }

    /// New storage holding a copy of `src`.
    pub(crate) fn from_slice(src: &[T]) -> Self {
        // SAFETY: the closure writes every slot (the lengths are equal).
        unsafe {
            Self::new_with(src.len(), |out| {
                for (o, &x) in out.iter_mut().zip(src) {
                    o.write(x);
                }
            })
        }
    }

    /// New storage of `len` copies of `value`, written in one loop (collecting
    /// `repeat_n` into an `Arc<[T]>` wrote one element at a time, about 3× slower for a
    /// `[20, 64]` buffer).
    pub(crate) fn filled(len: usize, value: T) -> Self {
        // SAFETY: the closure writes every slot.
        unsafe {
            Self::new_with(len, |out| {
                for o in out.iter_mut() {
                    o.write(value);
                }
            })
        }
    }

    /// The count of handles, for `len > 0`.
    #[inline]
    fn count(&self) -> &AtomicUsize {
        debug_assert!(self.len > 0);
        // SAFETY: for `len > 0`, the count lies `data_align(len)` bytes before `data`, at
        // the start of the same live allocation (this handle keeps it alive).
        unsafe {
            &*self
                .data
                .as_ptr()
                .cast::<u8>()
                .sub(data_align::<T>(self.len))
                .cast::<AtomicUsize>()
        }
    }

    /// True if no other handle shares this storage. The `Acquire` load pairs with the
    /// `Release` decrement of every handle dropped before, so their reads of the elements
    /// happen before whatever the caller writes next. (Without weak references, nothing
    /// can add a handle while this one is held exclusively.)
    #[inline]
    fn is_unique(&self) -> bool {
        self.len == 0 || self.count().load(Ordering::Acquire) == 1
    }

    /// The elements, writable, if no other handle shares them.
    #[inline]
    pub(crate) fn get_mut(&mut self) -> Option<&mut [T]> {
        if self.is_unique() {
            // SAFETY: the only handle, borrowed mutably: nothing else reads the elements.
            Some(unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr(), self.len) })
        } else {
            None
        }
    }

    /// The elements, writable, copying them into new storage first if shared (as
    /// `Arc::make_mut`).
    pub(crate) fn make_mut(&mut self) -> &mut [T] {
        if !self.is_unique() {
            *self = Self::from_slice(self);
        }
        self.get_mut().expect("unique after copying")
    }

    /// True if both handles share one buffer (two empty storages never do).
    #[inline]
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.len > 0 && a.data == b.data
    }
}

impl<T: Copy> Deref for Storage<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: `data` points to `len` initialized elements (or dangles, aligned, for
        // `len == 0`), alive while this handle is; shared handles only read them.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl<T: Copy> Clone for Storage<T> {
    #[inline]
    fn clone(&self) -> Self {
        if self.len > 0 {
            // `Relaxed`, as `Arc::clone`: a new handle comes from an existing one, which
            // keeps the buffer alive. A count past `isize::MAX` (only reachable by leaking
            // handles) aborts, as `Arc` does, rather than wrapping to a use after free.
            let old = self.count().fetch_add(1, Ordering::Relaxed);
            if old > isize::MAX as usize {
                std::process::abort();
            }
        }
        Storage {
            data: self.data,
            len: self.len,
            _owns: PhantomData,
        }
    }
}

impl<T: Copy> Drop for Storage<T> {
    #[inline]
    fn drop(&mut self) {
        if self.len == 0 {
            return;
        }
        // The only handle frees without a read-modify-write (see `is_unique`); a shared
        // one decrements, and the last to do so frees after an `Acquire`, as
        // `Arc::drop`.
        if !self.is_unique() {
            if self.count().fetch_sub(1, Ordering::Release) != 1 {
                return;
            }
            // An `Acquire` load rather than a fence, as `triomphe` does: the same
            // ordering, and visible to ThreadSanitizer.
            self.count().load(Ordering::Acquire);
        }
        let layout = allocation::<T>(self.len).expect("allocated with this layout");
        // SAFETY: this was the last handle: the allocation starts `data_align(len)` bytes
        // before `data` and was made with `layout` by `new_with`; nothing refers to it
        // any more.
        unsafe {
            dealloc(
                self.data
                    .as_ptr()
                    .cast::<u8>()
                    .sub(data_align::<T>(self.len)),
                layout,
            );
        }
    }
}

// These tests pass under Miri, which checks the unsafe code for undefined behaviour,
// data races and leaks: `cargo +nightly miri test -p wengert-tensor --lib storage`.
#[cfg(test)]
mod tests {
    use super::Storage;

    #[test]
    fn shares_until_written_and_frees_once() {
        let mut a = Storage::from_slice(&[1.0f64, 2.0, 3.0]);
        assert!(a.get_mut().is_some());
        let b = a.clone();
        assert!(Storage::ptr_eq(&a, &b));
        assert!(a.get_mut().is_none(), "shared storage is not writable");
        a.make_mut()[0] = 10.0; // copies: `b` keeps its values
        assert!(!Storage::ptr_eq(&a, &b));
        assert_eq!(
            (&a[..], &b[..]),
            (&[10.0, 2.0, 3.0][..], &[1.0, 2.0, 3.0][..])
        );
        let mut c = b.clone();
        drop(b);
        // The other handle went: unique again, writable in place.
        c.get_mut().expect("unique")[2] = 30.0;
        assert_eq!(&c[..], &[1.0, 2.0, 30.0]);
    }

    #[test]
    fn empty_storage_is_writable_and_shares_nothing() {
        let mut e = Storage::<f32>::empty();
        assert!(e.is_empty());
        assert_eq!(e.get_mut().map(|s| s.len()), Some(0));
        let f = e.clone();
        assert!(!Storage::ptr_eq(&e, &f));
        let g = Storage::<f32>::filled(0, 1.0);
        assert!(g.is_empty());
    }

    #[test]
    fn clones_dropped_on_other_threads_free_the_buffer_once() {
        // Run under Miri or a sanitizer this also checks the memory orderings; here it
        // checks the counts: every clone goes, and the last handle is unique again.
        let mut keep = Storage::filled(1000, 7u32);
        let clones: Vec<_> = (0..64).map(|_| keep.clone()).collect();
        std::thread::scope(|s| {
            for chunk in clones.chunks(16) {
                let chunk = chunk.to_vec();
                s.spawn(move || assert!(chunk.iter().all(|c| c.iter().all(|&x| x == 7))));
            }
        });
        drop(clones);
        assert!(keep.get_mut().is_some());
    }

    #[test]
    fn elements_are_aligned_for_their_type_and_large_buffers_to_a_cache_line() {
        #[derive(Clone, Copy)]
        #[repr(align(128))]
        struct Wide(u8);
        let at = |p: *const u8| p as usize;
        let small = Storage::filled(3, 1.0f32);
        assert_eq!(at(small.as_ptr().cast()) % 16, 0);
        let large = Storage::filled(2048, 1.0f32); // 8 KiB
        assert_eq!(at(large.as_ptr().cast()) % 64, 0);
        let wide = Storage::filled(5, Wide(7));
        assert_eq!(at(wide.as_ptr().cast()) % 128, 0);
        assert!(wide.iter().all(|w| w.0 == 7));
        let unit = Storage::filled(1000, ());
        assert_eq!((unit.len(), unit.clone().len()), (1000, 1000));
    }

    #[test]
    fn the_last_two_handles_dropped_together_free_once() {
        // Each round, two threads drop the last two handles at the same moment: one of
        // them must see the other's decrement and free (a double free or a leak would
        // show under Miri or a sanitizer; here the values are checked until the end).
        for round in 0..200 {
            let a = Storage::filled(64, round as u64);
            let b = a.clone();
            let go = std::sync::Barrier::new(2);
            std::thread::scope(|s| {
                s.spawn(|| {
                    go.wait();
                    assert!(a.iter().all(|&x| x == round as u64));
                    drop(a);
                });
                go.wait();
                assert!(b.iter().all(|&x| x == round as u64));
                drop(b);
            });
        }
    }

    #[test]
    fn a_panicking_writer_frees_its_buffer_and_the_panic_is_passed_on() {
        let caught = std::panic::catch_unwind(|| {
            // SAFETY: the writer panics before returning, so nothing is ever read.
            unsafe { Storage::<f32>::new_with(8, |_| panic!("writer failed")) }
        });
        let message = caught.err().expect("the panic is passed on");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"writer failed"));
    }
}
