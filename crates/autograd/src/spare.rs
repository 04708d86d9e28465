//! Reuse of node lists between tapes on one thread.
//!
//! A training loop builds one tape per step, and each records about the same number of
//! nodes. A tape's list of 256-byte nodes was a new allocation every step (64 KiB for
//! the first 256 nodes, larger ones grown by copying); glibc served it by first merging
//! its small free blocks (`malloc_consolidate`), a cost paid again at every step. When a
//! tape is dropped, its emptied list is kept here (one per thread), and the next tape on
//! that thread starts with it.

use std::any::Any;
use std::cell::RefCell;

use tensor::Float;

use crate::tape::Node;

/// Room of a new list: a small MLP's training step records about a hundred nodes.
const INITIAL_NODES: usize = 256;

/// Lists with room for more nodes than this (1 MiB of nodes) are freed, not kept: one
/// long unrolled sequence should not hold its peak for the thread's lifetime.
const MAX_KEPT_NODES: usize = 4096;

thread_local! {
    // The spare list, if any: a `Vec<Node<T>>` for the element type of the tape that
    // left it.
    static SPARE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// An empty node list: this thread's spare one if it is for `T`, else a new one.
pub(crate) fn take<T: Float>() -> Vec<Node<T>> {
    SPARE
        .try_with(|spare| spare.try_borrow_mut().ok()?.take())
        .ok()
        .flatten()
        .and_then(|list| list.downcast::<Vec<Node<T>>>().ok())
        .map(|list| *list)
        .unwrap_or_else(|| Vec::with_capacity(INITIAL_NODES))
}

/// Empties `nodes` (dropping its values in order) and keeps it as this thread's spare
/// list, unless it is very large or the thread is being torn down.
pub(crate) fn give<T: Float>(mut nodes: Vec<Node<T>>) {
    nodes.clear();
    if nodes.capacity() > MAX_KEPT_NODES {
        return;
    }
    let _ = SPARE.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            *spare = Some(Box::new(nodes));
        }
    });
}
