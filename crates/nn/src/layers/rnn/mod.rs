//! Recurrent layers with PyTorch's semantics: [`Rnn`], [`Lstm`], [`Gru`].
//!
//! * `cell.rs`: the cell equations and the time loop of one direction (fused LSTM and
//!   GRU cells; the composed equations kept as the tested reference, `cell_tests.rs`);
//! * `core.rs`: what the three share (parameters, layers, directions, dropout, lengths);
//! * `fused.rs`: the LSTM stack without lengths, one `lstm_sequence` op per layer and
//!   direction;
//! * `layers.rs`: the three public types and their builder.

mod cell;
#[cfg(test)]
mod cell_tests;
mod core;
mod fused;
mod layers;

pub use self::cell::RnnKind;
pub use self::core::RnnState;
pub use self::layers::{Gru, Lstm, Rnn, RnnBuilder};
