//! `Sgd`: stochastic gradient descent with momentum, dampening, Nesterov and weight decay.
//!
//! PyTorch's update (`torch.optim.SGD`), per step with gradient `g`:
//! ```text
//! g ← g + λ·θ                                  (weight_decay λ)
//! if μ ≠ 0:  b ← g  on the first step,  else  b ← μ·b + (1 − τ)·g     (dampening τ)
//!            g ← g + μ·b  if nesterov,  else  g ← b
//! θ ← θ − γ·g
//! ```
//! The first momentum step does not apply dampening.

use autograd::{Grads, Param};
use tensor::parallel::{elementwise_chunk, for_each};
use tensor::simd::dispatch;
use tensor::{Float, Tensor};

use super::{shaped, Entries, Optimizer, StateError, StateMap};

/// SGD (defaults: momentum 0, dampening 0, no Nesterov, weight decay 0).
///
/// ```
/// use nn::optim::{Optimizer, Sgd};
/// let opt = Sgd::<f32>::new(0.1).momentum(0.9).nesterov(true);
/// assert_eq!(opt.learning_rate(), 0.1);
/// ```
#[derive(Debug)]
pub struct Sgd<T: Float = f32> {
    lr: f64,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    buffers: StateMap<Option<Vec<T>>>,
}

impl<T: Float> Sgd<T> {
    /// Plain SGD with learning rate `lr`.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            buffers: StateMap::new(),
        }
    }

    /// Momentum factor μ.
    #[must_use]
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Dampening τ for momentum.
    #[must_use]
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }

    /// Nesterov momentum (needs momentum > 0 and dampening 0, as in PyTorch).
    ///
    /// # Panics
    /// If enabled without momentum or with dampening.
    #[track_caller]
    #[must_use]
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        assert!(
            !nesterov || (self.momentum > 0.0 && self.dampening == 0.0),
            "Sgd: nesterov needs momentum > 0 and dampening 0 (set momentum first)"
        );
        self.nesterov = nesterov;
        self
    }

    /// L2 weight decay λ, added to the gradient.
    #[must_use]
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn save_state(&self, saved: &mut super::SavedState) -> bool {
        self.buffers.save_into(saved);
        true
    }

    fn restore_state(&mut self, saved: &(dyn std::any::Any + Send)) -> bool {
        self.buffers.restore_from(saved)
    }

    fn step(&mut self, params: &[&Param<T>], grads: &Grads<T>) {
        let (lr, mu, one_minus_tau, wd) = (
            T::from_f64(self.lr),
            T::from_f64(self.momentum),
            T::from_f64(1.0 - self.dampening), // see `optim`: 1 − τ in f64
            T::from_f64(self.weight_decay),
        );
        let (momentum, nesterov) = (self.momentum != 0.0, self.nesterov);
        self.buffers.for_each(
            params,
            grads,
            |_| None,
            |w, g, buf| {
                // A large parameter is updated in pieces on several threads (elementwise,
                // so the bits are the same).
                let c = elementwise_chunk(w.len());
                match buf {
                    _ if !momentum => {
                        let pieces = w.chunks_mut(c).zip(g.chunks(c));
                        for_each(pieces, |(w, g)| {
                            dispatch(|| {
                                for (w, &g) in w.iter_mut().zip(g) {
                                    *w -= lr * (g + wd * *w);
                                }
                            });
                        });
                    }
                    Some(b) => {
                        assert_eq!(b.len(), w.len(), "SGD: momentum buffer of another length");
                        let pieces = w.chunks_mut(c).zip(g.chunks(c)).zip(b.chunks_mut(c));
                        for_each(pieces, |((w, g), b)| {
                            dispatch(|| {
                                for ((w, &g), b) in w.iter_mut().zip(g).zip(b.iter_mut()) {
                                    let d = g + wd * *w;
                                    *b = (mu * *b + one_minus_tau * d).flush_subnormal();
                                    *w -= lr * if nesterov { d + mu * *b } else { *b };
                                }
                            });
                        });
                    }
                    None => dispatch(|| {
                        // First momentum step: the buffer is the gradient itself (no dampening).
                        let mut b = Vec::with_capacity(w.len());
                        for (w, &g) in w.iter_mut().zip(g) {
                            let d = g + wd * *w;
                            b.push(d);
                            *w -= lr * if nesterov { d + mu * d } else { d };
                        }
                        *buf = Some(b);
                    }),
                }
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
            ("momentum", self.momentum),
            ("dampening", self.dampening),
            ("weight_decay", self.weight_decay),
            ("nesterov", f64::from(u8::from(self.nesterov))),
        ]
    }

    fn state(&self, param: &Param<T>) -> Vec<(&'static str, Tensor<T>)> {
        match self.buffers.get(param.id()) {
            Some(Some(b)) => vec![("momentum_buffer", shaped(param, b))],
            _ => Vec::new(),
        }
    }

    fn set_state(
        &mut self,
        param: &Param<T>,
        entries: &[(String, Tensor<T>)],
    ) -> Result<(), StateError> {
        let mut e = Entries::new(self.name(), param, entries);
        let buffer = e.optional("momentum_buffer")?;
        e.finish()?;
        self.buffers.set(param.id(), buffer.map(Some));
        Ok(())
    }

    fn name(&self) -> &'static str {
        "SGD"
    }
}
