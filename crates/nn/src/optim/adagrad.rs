//! `Adagrad`: per-coordinate learning rates from the sum of squared gradients.
//!
//! PyTorch's update (`torch.optim.Adagrad`), at step `t` (from 1):
//! ```text
//! γ̃ ← γ / (1 + (t − 1)·η)            (lr_decay η)
//! g ← g + λ·θ                         (weight_decay λ)
//! s ← s + g²                          (s starts at initial_accumulator_value)
//! θ ← θ − γ̃ · g / (√s + ε)            (ε outside the square root)
//! ```

use autograd::{Grads, Param};
use tensor::parallel::{elementwise_chunk, for_each};
use tensor::simd::dispatch;
use tensor::{Float, Tensor};

use super::{shaped, Entries, Optimizer, StateError, StateMap};

/// Adagrad (defaults: lr 0.01, lr_decay 0, weight_decay 0, initial accumulator 0,
/// eps 1e-10).
#[derive(Debug)]
pub struct Adagrad<T: Float = f32> {
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    initial_accumulator_value: f64,
    eps: f64,
    state: StateMap<(u64, Vec<T>)>,
}

impl<T: Float> Default for Adagrad<T> {
    fn default() -> Self {
        Self::new(1e-2)
    }
}

impl<T: Float> Adagrad<T> {
    /// Adagrad with learning rate `lr` and PyTorch's other defaults.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        Adagrad {
            lr,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            state: StateMap::new(),
        }
    }

    /// Learning-rate decay η.
    #[must_use]
    pub fn lr_decay(mut self, v: f64) -> Self {
        self.lr_decay = v;
        self
    }

    /// Weight decay λ.
    #[must_use]
    pub fn weight_decay(mut self, v: f64) -> Self {
        self.weight_decay = v;
        self
    }

    /// Starting value of the accumulator (Keras uses 0.1).
    #[must_use]
    pub fn initial_accumulator_value(mut self, v: f64) -> Self {
        self.initial_accumulator_value = v;
        self
    }

    /// ε.
    #[must_use]
    pub fn eps(mut self, v: f64) -> Self {
        self.eps = v;
        self
    }
}

impl<T: Float> Optimizer<T> for Adagrad<T> {
    fn save_state(&self, saved: &mut super::SavedState) -> bool {
        self.state.save_into(saved);
        true
    }

    fn restore_state(&mut self, saved: &(dyn std::any::Any + Send)) -> bool {
        self.state.restore_from(saved)
    }

    fn step(&mut self, params: &[&Param<T>], grads: &Grads<T>) {
        let (lr, decay, wd, eps) = (
            self.lr,
            self.lr_decay,
            T::from_f64(self.weight_decay),
            T::from_f64(self.eps),
        );
        let init = T::from_f64(self.initial_accumulator_value);
        self.state.for_each(
            params,
            grads,
            |n| (0, vec![init; n]),
            |w, g, (t, sum)| {
                *t += 1;
                let clr = T::from_f64(lr / (1.0 + (*t - 1) as f64 * decay));
                assert_eq!(sum.len(), w.len(), "Adagrad: state of another length");
                // A large parameter is updated in pieces on several threads (elementwise,
                // so the bits are the same).
                let c = elementwise_chunk(w.len());
                let pieces = w.chunks_mut(c).zip(g.chunks(c)).zip(sum.chunks_mut(c));
                for_each(pieces, |((w, g), sum)| {
                    dispatch(|| {
                        for ((w, &g), s) in w.iter_mut().zip(g).zip(sum.iter_mut()) {
                            let d = g + wd * *w;
                            *s += d * d;
                            *w -= clr * d / (s.sqrt() + eps);
                        }
                    });
                });
            },
        );
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn hyperparameters(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("lr", self.lr),
            ("lr_decay", self.lr_decay),
            ("weight_decay", self.weight_decay),
            ("initial_accumulator_value", self.initial_accumulator_value),
            ("eps", self.eps),
        ]
    }

    fn state(&self, param: &Param<T>) -> Vec<(&'static str, Tensor<T>)> {
        self.state
            .get(param.id())
            .map_or_else(Vec::new, |(t, sum)| {
                vec![
                    ("step", Tensor::scalar(T::from_usize(*t as usize))),
                    ("sum", shaped(param, sum)),
                ]
            })
    }

    fn set_state(
        &mut self,
        param: &Param<T>,
        entries: &[(String, Tensor<T>)],
    ) -> Result<(), StateError> {
        let mut e = Entries::new(self.name(), param, entries);
        if e.is_empty() {
            self.state.set(param.id(), None);
            return Ok(());
        }
        let state = (e.step()?, e.buffer("sum")?);
        e.finish()?;
        self.state.set(param.id(), Some(state));
        Ok(())
    }

    fn name(&self) -> &'static str {
        "Adagrad"
    }
}
