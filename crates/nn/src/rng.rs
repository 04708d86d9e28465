//! The random generator behind shuffling, Dropout masks and augmentations, and its saved
//! form for checkpoints.
//!
//! [`Rng`] is ChaCha12, the generator `rand`'s `StdRng` wraps, so a seed gives the same
//! stream as `StdRng::seed_from_u64` would; naming it lets a checkpoint record exactly
//! where the stream is ([`RngState`]: the key, the stream number and the word position)
//! and resume from there.

use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;

/// The generator wengert draws from (ChaCha12, as `rand::rngs::StdRng`).
pub type Rng = rand_chacha::ChaCha12Rng;

/// A new generator from a 64-bit seed (the same stream as `StdRng::seed_from_u64(seed)`).
#[must_use]
pub fn seeded(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// Where a generator is in its stream; written as text (`key-hex:stream:word`) in
/// checkpoints, and parsed back with [`str::parse`].
///
/// ```
/// use nn::rng::{seeded, RngState};
/// use rand::Rng as _;
/// let mut a = seeded(7);
/// let _: f64 = a.random();
/// let saved = RngState::of(&a).to_string();
/// let mut b = saved.parse::<RngState>().unwrap().to_rng();
/// assert_eq!(a.random::<u64>(), b.random::<u64>());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RngState {
    key: [u8; 32],
    stream: u64,
    word_pos: u128,
}

impl RngState {
    /// The position of `rng`.
    #[must_use]
    pub fn of(rng: &Rng) -> Self {
        RngState {
            key: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    /// A generator at this position.
    #[must_use]
    pub fn to_rng(&self) -> Rng {
        let mut rng = Rng::from_seed(self.key);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }
}

impl fmt::Display for RngState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.key {
            write!(f, "{b:02x}")?;
        }
        write!(f, ":{}:{}", self.stream, self.word_pos)
    }
}

/// Why a saved generator state could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a generator state (expected 64 hex digits:stream:word position): {0:?}")]
pub struct RngStateError(String);

impl FromStr for RngState {
    type Err = RngStateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || RngStateError(s.chars().take(120).collect());
        let mut parts = s.split(':');
        let (Some(hex), Some(stream), Some(word), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut key = [0u8; 32];
        for (i, b) in key.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(RngState {
            key,
            stream: stream.parse().map_err(|_| bad())?,
            word_pos: word.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::Rng as _;

    use super::*;

    #[test]
    fn same_stream_as_std_rng() {
        let (mut a, mut b) = (seeded(42), StdRng::seed_from_u64(42));
        for _ in 0..100 {
            assert_eq!(a.random::<u64>(), b.random::<u64>());
        }
    }

    #[test]
    fn resumes_mid_stream() {
        let mut a = seeded(3);
        for _ in 0..37 {
            let _: u32 = a.random();
        }
        let mut b: Rng = RngState::of(&a)
            .to_string()
            .parse::<RngState>()
            .unwrap()
            .to_rng();
        for _ in 0..50 {
            assert_eq!(a.random::<f64>(), b.random::<f64>());
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "00:1:2",
            &format!("{}:x:0", "0".repeat(64)),
            &format!("{}:1:2:3", "0".repeat(64)),
            &"é".repeat(40),
        ] {
            assert!(s.parse::<RngState>().is_err(), "{s}");
        }
    }
}
