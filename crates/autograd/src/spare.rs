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

use crate::tape::{Node, Tape};

impl<T: Float> Drop for Tape<T> {
    /// Hands the emptied node list to the next tape on this thread.
    fn drop(&mut self) {
        give(std::mem::take(self.nodes.get_mut()));
    }
}

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

/// An empty node list: this thread's spare one if it is for `T` (a spare list for the
/// other element type stays), else a new one.
pub(crate) fn take<T: Float>() -> Vec<Node<T>> {
    SPARE
        .try_with(|spare| {
            let mut spare = spare.try_borrow_mut().ok()?;
            if !spare.as_ref()?.is::<Vec<Node<T>>>() {
                return None;
            }
            spare.take()?.downcast::<Vec<Node<T>>>().ok()
        })
        .ok()
        .flatten()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::Op;
    use tensor::Tensor;

    fn node(v: f32) -> Node<f32> {
        Node {
            op: Op::Constant,
            inputs: Default::default(),
            value: Tensor::scalar(v),
            requires_grad: false,
            label: None,
            saved: None,
        }
    }

    #[test]
    fn a_list_comes_back_empty_with_its_room_for_its_own_type_only() {
        let mut list: Vec<Node<f32>> = take();
        list.reserve(1000);
        list.push(node(1.0));
        let room = list.capacity();
        give(list);
        // Another element type gets a new list; the f32 one stays.
        let other: Vec<Node<f64>> = take();
        assert!(other.is_empty());
        assert_eq!(other.capacity(), INITIAL_NODES);
        let again: Vec<Node<f32>> = take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), room);
        // Taken once: the next tape gets a new list.
        assert_eq!(take::<f32>().capacity(), INITIAL_NODES);
    }

    #[test]
    fn a_very_large_list_is_freed() {
        let mut list: Vec<Node<f32>> = Vec::with_capacity(MAX_KEPT_NODES + 1);
        list.push(node(2.0));
        give(list);
        assert_eq!(take::<f32>().capacity(), INITIAL_NODES);
    }
}
