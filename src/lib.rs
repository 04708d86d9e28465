//! wengert: reverse-mode automatic differentiation you can see and trust.
pub use tensor;
