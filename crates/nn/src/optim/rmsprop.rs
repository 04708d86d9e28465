//! `RmsProp`: divide by a running root-mean-square of the gradient.
//!
//! PyTorch's update (`torch.optim.RMSprop`):
//! ```text
//! g ← g + λ·θ
//! v ← α·v + (1 − α)·g²
//! ṽ ← v − ḡ²  with  ḡ ← α·ḡ + (1 − α)·g   if centered,   else  ṽ ← v
//! if μ > 0:  b ← μ·b + g / (√ṽ + ε);  θ ← θ − γ·b
//! else:      θ ← θ − γ · g / (√ṽ + ε)             (ε outside the square root)
//! ```
//!
//! `ṽ = v − ḡ²` is a variance estimate, ≥ 0 in exact arithmetic, but it is computed as a
//! difference of two nearly equal numbers when the gradient barely varies: with a
//! constant gradient in f32 it rounds to −9.3e-10 after about 1200 steps, and its square
//! root would make the weight NaN. It is clamped at 0 (PyTorch does not clamp). While
//! `ṽ` is below the rounding error of `v` (about `ε_f32·v`), the step is set by rounding
//! either way; it stays finite and at most `γ·|g|/ε` per step, the exact-arithmetic bound.

use autograd::{Grads, Param};
use tensor::parallel::{elementwise_chunk, for_each};
use tensor::simd::dispatch;
use tensor::{Float, Tensor};

use super::{shaped, Entries, Optimizer, StateError, StateMap};

/// State of one parameter: square average, gradient average, momentum buffer.
type RmsState<T> = (Vec<T>, Vec<T>, Vec<T>);

/// RMSprop (defaults: lr 0.01, alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, not
/// centered).
#[derive(Debug)]
pub struct RmsProp<T: Float = f32> {
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    state: StateMap<RmsState<T>>,
}

impl<T: Float> Default for RmsProp<T> {
    fn default() -> Self {
        Self::new(1e-2)
    }
}

impl<T: Float> RmsProp<T> {
    /// RMSprop with learning rate `lr` and PyTorch's other defaults.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        RmsProp {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            state: StateMap::new(),
        }
    }

    /// α, the averaging coefficient.
    #[must_use]
    pub fn alpha(mut self, v: f64) -> Self {
        self.alpha = v;
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

    /// Momentum μ.
    #[must_use]
    pub fn momentum(mut self, v: f64) -> Self {
        self.momentum = v;
        self
    }

    /// Centered RMSprop (normalize by the variance estimate).
    #[must_use]
    pub fn centered(mut self, v: bool) -> Self {
        self.centered = v;
        self
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn save_state(&self, saved: &mut super::SavedState) -> bool {
        self.state.save_into(saved);
        true
    }

    fn restore_state(&mut self, saved: &(dyn std::any::Any + Send)) -> bool {
        self.state.restore_from(saved)
    }

    fn step(&mut self, params: &[&Param<T>], grads: &Grads<T>) {
        let (lr, alpha, eps, wd, mu) = (
            T::from_f64(self.lr),
            T::from_f64(self.alpha),
            T::from_f64(self.eps),
            T::from_f64(self.weight_decay),
            T::from_f64(self.momentum),
        );
        let one_minus_alpha = T::from_f64(1.0 - self.alpha); // see `optim`: 1 − α in f64
        let (centered, momentum) = (self.centered, self.momentum > 0.0);
        let init = |n| (vec![T::ZERO; n], vec![T::ZERO; n], vec![T::ZERO; n]);
        self.state
            .for_each(params, grads, init, |w, g, (v, gavg, buf)| {
                // v: square average; ḡ: gradient average (centered); b: momentum buffer. The
                // branches are on settings, not data, so each combination is its own loop.
                let avg = move |v: &mut T, d: T| {
                    *v = (alpha * *v + one_minus_alpha * d * d).flush_subnormal()
                };
                let n = w.len();
                assert!(
                    v.len() == n && gavg.len() == n && buf.len() == n,
                    "RMSprop: state of another length"
                );
                // A large parameter is updated in pieces on several threads (elementwise,
                // so the bits are the same).
                let c = elementwise_chunk(n);
                let pieces = w.chunks_mut(c).zip(g.chunks(c)).zip(v.chunks_mut(c));
                let pieces = pieces.zip(gavg.chunks_mut(c).zip(buf.chunks_mut(c)));
                for_each(pieces, |(((w, g), v), (gavg, buf))| {
                    dispatch(move || {
                        let rows = w.iter_mut().zip(g).zip(v.iter_mut());
                        match (centered, momentum) {
                            (false, false) => {
                                for ((w, &g), v) in rows {
                                    let d = g + wd * *w;
                                    avg(v, d);
                                    *w -= lr * d / (v.sqrt() + eps);
                                }
                            }
                            (false, true) => {
                                for (((w, &g), v), b) in rows.zip(buf.iter_mut()) {
                                    let d = g + wd * *w;
                                    avg(v, d);
                                    *b = (mu * *b + d / (v.sqrt() + eps)).flush_subnormal();
                                    *w -= lr * *b;
                                }
                            }
                            (true, _) => {
                                for (((w, &g), v), (ga, b)) in
                                    rows.zip(gavg.iter_mut().zip(buf.iter_mut()))
                                {
                                    let d = g + wd * *w;
                                    avg(v, d);
                                    *ga = (alpha * *ga + one_minus_alpha * d).flush_subnormal();
                                    // ≥ 0 in exact arithmetic; may round below 0 (see the top).
                                    let vt = (*v - *ga * *ga).max(T::ZERO);
                                    if momentum {
                                        *b = (mu * *b + d / (vt.sqrt() + eps)).flush_subnormal();
                                        *w -= lr * *b;
                                    } else {
                                        *w -= lr * d / (vt.sqrt() + eps);
                                    }
                                }
                            }
                        }
                    });
                });
            });
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
            ("alpha", self.alpha),
            ("eps", self.eps),
            ("weight_decay", self.weight_decay),
            ("momentum", self.momentum),
            ("centered", f64::from(u8::from(self.centered))),
        ]
    }

    fn state(&self, param: &Param<T>) -> Vec<(&'static str, Tensor<T>)> {
        self.state
            .get(param.id())
            .map_or_else(Vec::new, |(v, gavg, buf)| {
                let mut out = vec![("square_avg", shaped(param, v))];
                if self.centered {
                    out.push(("grad_avg", shaped(param, gavg)));
                }
                if self.momentum > 0.0 {
                    out.push(("momentum_buffer", shaped(param, buf)));
                }
                out
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
        let zeros = || vec![T::ZERO; param.numel()];
        let v = e.buffer("square_avg")?;
        let gavg = if self.centered {
            e.buffer("grad_avg")?
        } else {
            zeros()
        };
        let buf = if self.momentum > 0.0 {
            e.buffer("momentum_buffer")?
        } else {
            zeros()
        };
        e.finish()?;
        self.state.set(param.id(), Some((v, gavg, buf)));
        Ok(())
    }

    fn name(&self) -> &'static str {
        "RMSprop"
    }
}
