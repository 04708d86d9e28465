//! `Adam` and `AdamW`.
//!
//! PyTorch's update (`torch.optim.Adam`), at step `t` (from 1):
//! ```text
//! g ← g + λ·θ                               (Adam: L2 coupled into the gradient)
//! m ← β₁·m + (1 − β₁)·g
//! v ← β₂·v + (1 − β₂)·g²
//! v_max ← max(v_max, v)                     (amsgrad only; then use v_max for v below)
//! θ ← θ − γ · (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε)   (ε outside, after bias correction)
//! ```
//! `AdamW` decouples the decay: `θ ← θ − γ·λ·θ` first, then the Adam step with no decay
//! in `g` (default λ = 0.01).

use autograd::{Grads, Param};
use tensor::parallel::{elementwise_chunk, for_each};
use tensor::simd::{run, Kernel};
use tensor::{Float, Tensor};

use super::{shaped, Entries, Optimizer, StateError, StateMap};

/// Per-parameter state: step count, first moment, second moment, running max of the second.
type AdamState<T> = (u64, Vec<T>, Vec<T>, Vec<T>);

/// Adam (defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0, no amsgrad).
///
/// ```
/// use nn::optim::{Adam, Optimizer};
/// let opt = Adam::<f32>::new(1e-3).betas(0.9, 0.99).amsgrad(true);
/// assert_eq!(opt.name(), "Adam");
/// ```
#[derive(Debug)]
pub struct Adam<T: Float = f32> {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    decoupled: bool,
    state: StateMap<AdamState<T>>,
}

impl<T: Float> Default for Adam<T> {
    fn default() -> Self {
        Self::new(1e-3)
    }
}

impl<T: Float> Adam<T> {
    /// Adam with learning rate `lr` and PyTorch's other defaults.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            decoupled: false,
            state: StateMap::new(),
        }
    }

    /// β₁ and β₂.
    #[must_use]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// ε.
    #[must_use]
    pub fn eps(mut self, v: f64) -> Self {
        self.eps = v;
        self
    }

    /// Weight decay λ (coupled L2 for Adam, decoupled for AdamW).
    #[must_use]
    pub fn weight_decay(mut self, v: f64) -> Self {
        self.weight_decay = v;
        self
    }

    /// The AMSGrad variant.
    #[must_use]
    pub fn amsgrad(mut self, v: bool) -> Self {
        self.amsgrad = v;
        self
    }
}

/// The per-step constants of one Adam update, in the parameter's type.
#[derive(Clone, Copy)]
struct AdamConstants<T> {
    /// AdamW's `1 − γλ` (1 for Adam).
    decay: T,
    /// Adam's coupled L2 factor λ (0 for AdamW).
    l2: T,
    b1: T,
    b2: T,
    one_minus_b1: T,
    one_minus_b2: T,
    /// `γ / (1 − β₁ᵗ)`.
    step: T,
    /// `√(1 − β₂ᵗ)`.
    bc2: T,
    eps: T,
}

/// One parameter's update as a [`Kernel`], so that it runs compiled for the CPU's widest
/// vectors (as a closure given to `simd::dispatch` it was not inlined there and ran with
/// SSE). `vmax` is `Some` for AMSGrad.
struct AdamKernel<'a, T: Float> {
    w: &'a mut [T],
    g: &'a [T],
    m: &'a mut [T],
    v: &'a mut [T],
    vmax: Option<&'a mut [T]>,
    k: AdamConstants<T>,
}

impl<T: Float> Kernel for AdamKernel<'_, T> {
    #[inline(always)]
    fn run(self) {
        // The slices go on as parameters: `&mut` parameters promise no overlap, which
        // the loops need to be vectorized.
        match self.vmax {
            Some(vmax) => update_amsgrad(self.w, self.g, self.m, self.v, vmax, &self.k),
            None => update(self.w, self.g, self.m, self.v, &self.k),
        }
    }
}

/// One Adam/AdamW update of a parameter's weights `w`, moments `m`, `v` from its gradient
/// `g`: a plain function, always inlined, so that it is compiled inside the [`Kernel`]'s
/// SIMD level and vectorized. Multiplying by 1 and adding 0·θ are exact, so one
/// branch-free loop serves Adam and AdamW.
#[inline(always)]
fn update<T: Float>(w: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: &AdamConstants<T>) {
    let n = w.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        moments(&mut w[i], g[i], &mut m[i], &mut v[i], k);
        w[i] -= k.step * m[i] / (v[i].sqrt() / k.bc2 + k.eps);
    }
}

/// [`update`] for AMSGrad: the step uses the running maximum `vmax` of `v`.
#[inline(always)]
fn update_amsgrad<T: Float>(
    w: &mut [T],
    g: &[T],
    m: &mut [T],
    v: &mut [T],
    vmax: &mut [T],
    k: &AdamConstants<T>,
) {
    let n = w.len();
    let (g, m, v, vmax) = (&g[..n], &mut m[..n], &mut v[..n], &mut vmax[..n]);
    for i in 0..n {
        moments(&mut w[i], g[i], &mut m[i], &mut v[i], k);
        vmax[i] = vmax[i].max(v[i]);
        w[i] -= k.step * m[i] / (vmax[i].sqrt() / k.bc2 + k.eps);
    }
}

/// Weight decay and the moment updates of one element (PyTorch's `Adam` algorithm box).
#[inline(always)]
fn moments<T: Float>(w: &mut T, g: T, m: &mut T, v: &mut T, k: &AdamConstants<T>) {
    *w *= k.decay;
    let d = g + k.l2 * *w;
    *m = (k.b1 * *m + k.one_minus_b1 * d).flush_subnormal();
    *v = (k.b2 * *v + k.one_minus_b2 * d * d).flush_subnormal();
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn save_state(&self, saved: &mut super::SavedState) -> bool {
        self.state.save_into(saved);
        true
    }

    fn restore_state(&mut self, saved: &(dyn std::any::Any + Send)) -> bool {
        self.state.restore_from(saved)
    }

    fn step(&mut self, params: &[&Param<T>], grads: &Grads<T>) {
        let (lr, b1, b2, eps, wd) = (self.lr, self.beta1, self.beta2, self.eps, self.weight_decay);
        let (amsgrad, decoupled) = (self.amsgrad, self.decoupled);
        // The running maximum is only allocated for AMSGrad.
        let init = |n| {
            (
                0,
                vec![T::ZERO; n],
                vec![T::ZERO; n],
                vec![T::ZERO; if amsgrad { n } else { 0 }],
            )
        };
        // The bias corrections of the last step count seen: the parameters usually share
        // one, and `powi` costs tens of nanoseconds (1 % of the study guide's `fit`).
        let mut corrections: Option<(i32, f64, f64)> = None;
        self.state
            .for_each(params, grads, init, |w, g, (t, m, v, vmax)| {
                *t += 1;
                // β^t for t beyond i32 (2³¹ steps) is β^i32::MAX = 0, not a wrapped power.
                let ti = i32::try_from(*t).unwrap_or(i32::MAX);
                let (bc1, bc2_sqrt) = match corrections {
                    Some((seen, bc1, bc2_sqrt)) if seen == ti => (bc1, bc2_sqrt),
                    _ => {
                        let bc1 = 1.0 - b1.powi(ti);
                        let bc2_sqrt = (1.0 - b2.powi(ti)).sqrt();
                        corrections = Some((ti, bc1, bc2_sqrt));
                        (bc1, bc2_sqrt)
                    }
                };
                let step = T::from_f64(lr / bc1);
                // 1 − β in f64 (see `optim`).
                let (one_minus_b1, one_minus_b2) = (T::from_f64(1.0 - b1), T::from_f64(1.0 - b2));
                let (b1, b2, eps, bc2) = (
                    T::from_f64(b1),
                    T::from_f64(b2),
                    T::from_f64(eps),
                    T::from_f64(bc2_sqrt),
                );
                // Adam couples λ into the gradient; AdamW scales θ by (1 − γλ) first. Multiplying
                // by 1 and adding 0·θ are exact, so one branch-free loop serves both.
                let (decay, l2) = if decoupled {
                    (T::from_f64(1.0 - lr * wd), T::ZERO)
                } else {
                    (T::ONE, T::from_f64(wd))
                };
                let k = AdamConstants {
                    decay,
                    l2,
                    b1,
                    b2,
                    one_minus_b1,
                    one_minus_b2,
                    step,
                    bc2,
                    eps,
                };
                // A large parameter is updated in pieces on several threads (elementwise,
                // so the bits are the same); AMSGrad's running maximum is cut alike.
                let n = w.len();
                assert!(
                    m.len() == n && v.len() == n,
                    "Adam: a parameter of {n} elements with moments of {} and {}",
                    m.len(),
                    v.len()
                );
                // AMSGrad's maximum only when the optimizer is set to it (a longer buffer
                // restored from another setting is not used; a short one panics here).
                let vmax: &mut [T] = if amsgrad { &mut vmax[..n] } else { &mut [] };
                let c = elementwise_chunk(n);
                let vmax = vmax.chunks_mut(c).map(Some);
                let vmax = vmax.chain(std::iter::repeat_with(|| None));
                let pieces = w.chunks_mut(c).zip(g.chunks(c));
                let pieces = pieces.zip(m.chunks_mut(c).zip(v.chunks_mut(c))).zip(vmax);
                for_each(pieces, |(((w, g), (m, v)), vmax)| {
                    run(AdamKernel {
                        w,
                        g,
                        m,
                        v,
                        vmax,
                        k,
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
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("eps", self.eps),
            ("weight_decay", self.weight_decay),
            ("amsgrad", f64::from(u8::from(self.amsgrad))),
        ]
    }

    fn state(&self, param: &Param<T>) -> Vec<(&'static str, Tensor<T>)> {
        self.state
            .get(param.id())
            .map_or_else(Vec::new, |(t, m, v, vmax)| {
                let mut out = vec![
                    ("step", Tensor::scalar(T::from_usize(*t as usize))),
                    ("exp_avg", shaped(param, m)),
                    ("exp_avg_sq", shaped(param, v)),
                ];
                if self.amsgrad {
                    out.push(("max_exp_avg_sq", shaped(param, vmax)));
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
        let step = e.step()?;
        let (m, v) = (e.buffer("exp_avg")?, e.buffer("exp_avg_sq")?);
        let vmax = if self.amsgrad {
            e.buffer("max_exp_avg_sq")?
        } else {
            Vec::new()
        };
        e.finish()?;
        self.state.set(param.id(), Some((step, m, v, vmax)));
        Ok(())
    }

    fn name(&self) -> &'static str {
        if self.decoupled {
            "AdamW"
        } else {
            "Adam"
        }
    }
}

/// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019; PyTorch's
/// `torch.optim.AdamW`): Adam with the decay applied to θ directly instead of through the
/// gradient. Defaults as PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8,
/// weight_decay 0.01, no amsgrad.
///
/// ```
/// use nn::optim::{AdamW, Optimizer};
/// let opt = AdamW::<f32>::new(1e-3).weight_decay(0.05);
/// assert_eq!(opt.name(), "AdamW");
/// ```
#[derive(Debug)]
pub struct AdamW<T: Float = f32>(Adam<T>);

impl<T: Float> Default for AdamW<T> {
    fn default() -> Self {
        Self::new(1e-3)
    }
}

impl<T: Float> AdamW<T> {
    /// AdamW with learning rate `lr` and PyTorch's other defaults (weight decay 0.01).
    #[must_use]
    pub fn new(lr: f64) -> Self {
        let mut adam = Adam::new(lr).weight_decay(1e-2);
        adam.decoupled = true;
        AdamW(adam)
    }

    /// β₁ and β₂.
    #[must_use]
    pub fn betas(self, beta1: f64, beta2: f64) -> Self {
        AdamW(self.0.betas(beta1, beta2))
    }

    /// ε.
    #[must_use]
    pub fn eps(self, v: f64) -> Self {
        AdamW(self.0.eps(v))
    }

    /// The decoupled weight decay λ: each step scales θ by `1 − γ·λ`.
    #[must_use]
    pub fn weight_decay(self, v: f64) -> Self {
        AdamW(self.0.weight_decay(v))
    }

    /// The AMSGrad variant.
    #[must_use]
    pub fn amsgrad(self, v: bool) -> Self {
        AdamW(self.0.amsgrad(v))
    }
}

impl<T: Float> Optimizer<T> for AdamW<T> {
    fn step(&mut self, params: &[&Param<T>], grads: &Grads<T>) {
        self.0.step(params, grads);
    }

    fn save_state(&self, saved: &mut super::SavedState) -> bool {
        self.0.save_state(saved)
    }

    fn restore_state(&mut self, saved: &(dyn std::any::Any + Send)) -> bool {
        self.0.restore_state(saved)
    }

    fn learning_rate(&self) -> f64 {
        self.0.learning_rate()
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.0.set_learning_rate(lr);
    }

    fn hyperparameters(&self) -> Vec<(&'static str, f64)> {
        self.0.hyperparameters()
    }

    fn state(&self, param: &Param<T>) -> Vec<(&'static str, Tensor<T>)> {
        self.0.state(param)
    }

    fn set_state(
        &mut self,
        param: &Param<T>,
        entries: &[(String, Tensor<T>)],
    ) -> Result<(), StateError> {
        self.0.set_state(param, entries)
    }

    fn name(&self) -> &'static str {
        self.0.name()
    }
}
