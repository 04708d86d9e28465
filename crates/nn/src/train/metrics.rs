//! Metrics: accumulated over batches with `update`, read with `compute`, cleared with
//! `reset` (the lifecycle of Keras and burn metrics).

use tensor::{Float, Tensor};

/// A quantity tracked during training and evaluation.
pub trait Metric<T: Float = f32>: Send {
    /// The name in logs and History (`accuracy`, `mae`, …); validation adds `val_`.
    fn name(&self) -> &str;
    /// Adds a batch of predictions and targets.
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>);
    /// The value over everything since the last reset.
    fn compute(&self) -> f64;
    /// Clears the accumulated state.
    fn reset(&mut self);
    /// True if larger is better (for `EarlyStopping` in `auto` mode).
    fn higher_is_better(&self) -> bool {
        false
    }
}

/// Fraction of samples whose arg-max prediction equals the class index target
/// (predictions `[N, C]` of logits or probabilities, targets `[N]`).
#[derive(Clone, Debug, Default)]
pub struct Accuracy {
    correct: usize,
    total: usize,
}

impl<T: Float> Metric<T> for Accuracy {
    fn name(&self) -> &str {
        "accuracy"
    }
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        let guess = pred.argmax(-1, false).to_vec();
        let truth = target.to_vec();
        self.correct += guess.iter().zip(&truth).filter(|(g, t)| g == t).count();
        self.total += truth.len();
    }
    fn compute(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }
    fn reset(&mut self) {
        *self = Accuracy::default();
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// Binary accuracy: a prediction counts as class 1 when above `threshold` (0.5 for
/// probabilities; use 0.0 for logits).
#[derive(Clone, Debug)]
pub struct BinaryAccuracy {
    threshold: f64,
    correct: usize,
    total: usize,
}

impl BinaryAccuracy {
    /// Binary accuracy with the given decision threshold.
    #[must_use]
    pub fn new(threshold: f64) -> Self {
        BinaryAccuracy {
            threshold,
            correct: 0,
            total: 0,
        }
    }
}

impl Default for BinaryAccuracy {
    fn default() -> Self {
        Self::new(0.5)
    }
}

impl<T: Float> Metric<T> for BinaryAccuracy {
    fn name(&self) -> &str {
        "binary_accuracy"
    }
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        for (p, t) in pred.to_vec().iter().zip(target.to_vec()) {
            let class = if p.to_f64() > self.threshold {
                1.0
            } else {
                0.0
            };
            self.correct += usize::from(class == t.to_f64());
            self.total += 1;
        }
    }
    fn compute(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }
    fn reset(&mut self) {
        self.correct = 0;
        self.total = 0;
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// Mean squared error over all elements.
#[derive(Clone, Debug, Default)]
pub struct MeanSquaredError {
    sum: f64,
    count: usize,
}

impl<T: Float> Metric<T> for MeanSquaredError {
    fn name(&self) -> &str {
        "mse"
    }
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        for (p, t) in pred.to_vec().iter().zip(target.to_vec()) {
            let d = p.to_f64() - t.to_f64();
            self.sum += d * d;
            self.count += 1;
        }
    }
    fn compute(&self) -> f64 {
        self.sum / self.count.max(1) as f64
    }
    fn reset(&mut self) {
        *self = MeanSquaredError::default();
    }
}

/// Mean absolute error over all elements.
#[derive(Clone, Debug, Default)]
pub struct MeanAbsoluteError {
    sum: f64,
    count: usize,
}

impl<T: Float> Metric<T> for MeanAbsoluteError {
    fn name(&self) -> &str {
        "mae"
    }
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        for (p, t) in pred.to_vec().iter().zip(target.to_vec()) {
            self.sum += (p.to_f64() - t.to_f64()).abs();
            self.count += 1;
        }
    }
    fn compute(&self) -> f64 {
        self.sum / self.count.max(1) as f64
    }
    fn reset(&mut self) {
        *self = MeanAbsoluteError::default();
    }
}
