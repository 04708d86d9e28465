//! `Adadelta`: step sizes from running averages of squared gradients and squared updates.
//!
//! PyTorch's update (`torch.optim.Adadelta`):
//! ```text
//! g ← g + λ·θ
//! v ← ρ·v + (1 − ρ)·g²
//! Δ ← √(u + ε) / √(v + ε) · g
//! u ← ρ·u + (1 − ρ)·Δ²
//! θ ← θ − γ·Δ
//! ```

use autograd::{Grads, Param};
use tensor::parallel::{elementwise_chunk, for_each};
use tensor::simd::dispatch;
use tensor::{Float, Tensor};

use super::{shaped, Entries, Optimizer, StateError, StateMap};

/// Adadelta (defaults: lr 1.0, rho 0.9, eps 1e-6, weight_decay 0).
#[derive(Debug)]
pub struct Adadelta<T: Float = f32> {
    lr: f64,
    rho: f64,
    eps: f64,
    weight_decay: f64,
    state: StateMap<(Vec<T>, Vec<T>)>,
}

impl<T: Float> Default for Adadelta<T> {
    fn default() -> Self {
        Self::new(1.0)
    }
}

impl<T: Float> Adadelta<T> {
    /// Adadelta with learning rate `lr` and PyTorch's other defaults.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        Adadelta {
            lr,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
            state: StateMap::new(),
        }
    }

    /// ρ, the averaging coefficient.
    #[must_use]
    pub fn rho(mut self, v: f64) -> Self {
        self.rho = v;
        self
    }

    /// ε.
    #[must_use]
    pub fn eps(mut self, v: f64) -> Self {
        self.eps = v;
        self
    }

    /// Weight decay λ.
    #[must_use]
    pub fn weight_decay(mut self, v: f64) -> Self {
        self.weight_decay = v;
        self
    }
}

impl<T: Float> Optimizer<T> for Adadelta<T> {
    fn save_state(&self, saved: &mut super::SavedState) -> bool {
        self.state.save_into(saved);
        true
    }

    fn restore_state(&mut self, saved: &(dyn std::any::Any + Send)) -> bool {
        self.state.restore_from(saved)
    }

    fn step(&mut self, params: &[&Param<T>], grads: &Grads<T>) {
        let (lr, rho, eps, wd) = (
            T::from_f64(self.lr),
            T::from_f64(self.rho),
            T::from_f64(self.eps),
            T::from_f64(self.weight_decay),
        );
        let one_minus_rho = T::from_f64(1.0 - self.rho); // see `optim`: 1 − ρ in f64
        self.state.for_each(
            params,
            grads,
            |n| (vec![T::ZERO; n], vec![T::ZERO; n]),
            |w, g, (v, u)| {
                let n = w.len();
                assert!(
                    v.len() == n && u.len() == n,
                    "Adadelta: state of another length"
                );
                // A large parameter is updated in pieces on several threads (elementwise,
                // so the bits are the same).
                let c = elementwise_chunk(n);
                let pieces = w.chunks_mut(c).zip(g.chunks(c));
                let pieces = pieces.zip(v.chunks_mut(c).zip(u.chunks_mut(c)));
                for_each(pieces, |((w, g), (v, u))| {
                    dispatch(|| {
                        let rows = w.iter_mut().zip(g).zip(v.iter_mut().zip(u.iter_mut()));
                        for ((w, &g), (v, u)) in rows {
                            let d = g + wd * *w;
                            *v = (rho * *v + one_minus_rho * d * d).flush_subnormal();
                            let delta = (*u + eps).sqrt() / (*v + eps).sqrt() * d;
                            *u = (rho * *u + one_minus_rho * delta * delta).flush_subnormal();
                            *w -= lr * delta;
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
            ("rho", self.rho),
            ("eps", self.eps),
            ("weight_decay", self.weight_decay),
        ]
    }

    fn state(&self, param: &Param<T>) -> Vec<(&'static str, Tensor<T>)> {
        self.state.get(param.id()).map_or_else(Vec::new, |(v, u)| {
            vec![
                ("square_avg", shaped(param, v)),
                ("acc_delta", shaped(param, u)),
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
        let state = (e.buffer("square_avg")?, e.buffer("acc_delta")?);
        e.finish()?;
        self.state.set(param.id(), Some(state));
        Ok(())
    }

    fn name(&self) -> &'static str {
        "Adadelta"
    }
}
