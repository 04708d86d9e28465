//! Keras' classification metrics beyond accuracy — `Precision`, `Recall`, `F1Score`,
//! `Auc` (ROC, Keras' 200 thresholds and trapezoid) and `TopKCategoricalAccuracy` — and
//! metrics chosen by Keras' string names ([`metric`]).

use tensor::{Float, Tensor};

use super::metrics::{
    Accuracy, BinaryAccuracy, MeanAbsoluteError, MeanSquaredError, Metric, MetricError,
};

/// Predictions and 0/1 targets of the same shape (up to a trailing 1), flattened, for the
/// binary-decision metrics (each element is one decision, as Keras treats multi-label).
fn pairs<T: Float>(metric: &str, pred: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
    let t = target.shape();
    let same = pred == t
        || (pred.len() == t.len() + 1 && pred.last() == Some(&1) && pred[..t.len()] == *t)
        || (t.len() == pred.len() + 1 && t.last() == Some(&1) && t[..pred.len()] == *pred);
    if !same {
        return Err(MetricError {
            metric: metric.to_string(),
            pred: pred.to_vec(),
            target: t.to_vec(),
            reason: "expected 0/1 targets of the predictions' shape".into(),
        });
    }
    if let Some(v) = target
        .to_vec()
        .iter()
        .find(|v| !(v.to_f64() == 0.0 || v.to_f64() == 1.0))
    {
        return Err(MetricError {
            metric: metric.to_string(),
            pred: pred.to_vec(),
            target: t.to_vec(),
            reason: format!("targets must be 0 or 1, found {v}"),
        });
    }
    Ok(())
}

/// Counts of a thresholded binary decision.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    tp: f64,
    fp: f64,
    fn_: f64,
}

impl Counts {
    fn add<T: Float>(&mut self, pred: &Tensor<T>, target: &Tensor<T>, threshold: f64) {
        for (p, t) in pred.to_vec().iter().zip(target.to_vec()) {
            match (p.to_f64() > threshold, t.to_f64() == 1.0) {
                (true, true) => self.tp += 1.0,
                (true, false) => self.fp += 1.0,
                (false, true) => self.fn_ += 1.0,
                (false, false) => {}
            }
        }
    }
    /// `a / b`, 0 when `b` is 0 (Keras' `divide_no_nan`).
    fn ratio(a: f64, b: f64) -> f64 {
        if b == 0.0 {
            0.0
        } else {
            a / b
        }
    }
    fn precision(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fn_)
    }
}

/// Thresholded binary decisions and their counts, shared by [`Precision`], [`Recall`]
/// and [`F1Score`].
#[derive(Clone, Debug)]
struct Decisions {
    threshold: f64,
    counts: Counts,
}

impl Default for Decisions {
    fn default() -> Self {
        Decisions {
            threshold: 0.5,
            counts: Counts::default(),
        }
    }
}

impl Decisions {
    #[track_caller]
    fn update<T: Float>(&mut self, metric: &str, pred: &Tensor<T>, target: &Tensor<T>) {
        pairs(metric, pred.shape(), target).unwrap_or_else(|e| panic!("{e}"));
        self.counts.add(pred, target, self.threshold);
    }
}

/// Keras' `Precision`: TP / (TP + FP) over every element, a prediction positive when
/// above the threshold (0.5); 0 when nothing is predicted positive.
///
/// ```
/// use nn::train::{Metric, Precision};
/// use tensor::Tensor;
/// let mut p = Precision::new();
/// p.update(&Tensor::from([0.9f32, 0.8, 0.2, 0.7]), &Tensor::from([1.0, 0.0, 1.0, 1.0]));
/// assert_eq!(Metric::<f32>::compute(&p), 2.0 / 3.0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Precision(Decisions);

impl Precision {
    /// With Keras' threshold 0.5 (for probabilities; use 0.0 for logits).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A prediction counts as positive when it is above `threshold`.
    #[must_use]
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.0.threshold = threshold;
        self
    }
}

impl<T: Float> Metric<T> for Precision {
    fn name(&self) -> &str {
        "precision"
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        self.0.update("precision", pred, target);
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        pairs("precision", pred_shape, target)
    }
    fn compute(&self) -> f64 {
        let c = &self.0.counts;
        c.precision()
    }
    fn reset(&mut self) {
        self.0.counts = Counts::default();
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// Keras' `Recall`: TP / (TP + FN) over every element, a prediction positive when above
/// the threshold (0.5); 0 when there are no positive targets.
#[derive(Clone, Debug, Default)]
pub struct Recall(Decisions);

impl Recall {
    /// With Keras' threshold 0.5 (for probabilities; use 0.0 for logits).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A prediction counts as positive when it is above `threshold`.
    #[must_use]
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.0.threshold = threshold;
        self
    }
}

impl<T: Float> Metric<T> for Recall {
    fn name(&self) -> &str {
        "recall"
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        self.0.update("recall", pred, target);
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        pairs("recall", pred_shape, target)
    }
    fn compute(&self) -> f64 {
        let c = &self.0.counts;
        c.recall()
    }
    fn reset(&mut self) {
        self.0.counts = Counts::default();
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// F1 score: the harmonic mean of [`Precision`] and [`Recall`], 2PR / (P + R), over every
/// element (Keras' `F1Score` with `average="micro"` and threshold 0.5); 0 when both are 0.
#[derive(Clone, Debug, Default)]
pub struct F1Score(Decisions);

impl F1Score {
    /// With Keras' threshold 0.5 (for probabilities; use 0.0 for logits).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A prediction counts as positive when it is above `threshold`.
    #[must_use]
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.0.threshold = threshold;
        self
    }
}

impl<T: Float> Metric<T> for F1Score {
    fn name(&self) -> &str {
        "f1_score"
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        self.0.update("f1_score", pred, target);
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        pairs("f1_score", pred_shape, target)
    }
    fn compute(&self) -> f64 {
        let c = &self.0.counts;
        Counts::ratio(2.0 * c.precision() * c.recall(), c.precision() + c.recall())
    }
    fn reset(&mut self) {
        self.0.counts = Counts::default();
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// Keras' `AUC` (ROC curve): the confusion counts at 200 thresholds (−1e-7, 1/199, …,
/// 198/199, 1 + 1e-7; a prediction positive when above one), accumulated over batches,
/// and the area under the (false-positive rate, true-positive rate) curve by the
/// trapezoid rule. Predictions are probabilities, targets 0/1 of the same shape.
#[derive(Clone, Debug)]
pub struct Auc {
    thresholds: Vec<f64>,
    tp: Vec<f64>,
    fp: Vec<f64>,
    positives: f64,
    negatives: f64,
}

impl Default for Auc {
    fn default() -> Self {
        Self::with_thresholds(200)
    }
}

impl Auc {
    /// Keras' default: 200 thresholds.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `num_thresholds` thresholds (at least 3), spaced as Keras spaces them.
    ///
    /// # Panics
    /// If `num_thresholds < 3`.
    #[must_use]
    pub fn with_thresholds(num_thresholds: usize) -> Self {
        assert!(
            num_thresholds >= 3,
            "Auc: num_thresholds must be at least 3"
        );
        let inner = (1..num_thresholds - 1).map(|i| i as f64 / (num_thresholds - 1) as f64);
        let thresholds: Vec<f64> = std::iter::once(-1e-7)
            .chain(inner)
            .chain(std::iter::once(1.0 + 1e-7))
            .collect();
        let n = thresholds.len();
        Auc {
            thresholds,
            tp: vec![0.0; n],
            fp: vec![0.0; n],
            positives: 0.0,
            negatives: 0.0,
        }
    }
}

impl<T: Float> Metric<T> for Auc {
    fn name(&self) -> &str {
        "auc"
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        pairs("auc", pred.shape(), target).unwrap_or_else(|e| panic!("{e}"));
        for (p, t) in pred.to_vec().iter().zip(target.to_vec()) {
            let (p, positive) = (p.to_f64(), t.to_f64() == 1.0);
            if positive {
                self.positives += 1.0;
            } else {
                self.negatives += 1.0;
            }
            for (k, &th) in self.thresholds.iter().enumerate() {
                if p > th {
                    if positive {
                        self.tp[k] += 1.0;
                    } else {
                        self.fp[k] += 1.0;
                    }
                }
            }
        }
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        pairs("auc", pred_shape, target)
    }
    fn compute(&self) -> f64 {
        let tpr: Vec<f64> = self
            .tp
            .iter()
            .map(|&t| Counts::ratio(t, self.positives))
            .collect();
        let fpr: Vec<f64> = self
            .fp
            .iter()
            .map(|&f| Counts::ratio(f, self.negatives))
            .collect();
        // Thresholds rise, so the rates fall: each step adds (x_k − x_{k+1})·(y_k + y_{k+1})/2.
        (0..tpr.len() - 1)
            .map(|k| (fpr[k] - fpr[k + 1]) * (tpr[k] + tpr[k + 1]) / 2.0)
            .sum()
    }
    fn reset(&mut self) {
        *self = Auc::with_thresholds(self.thresholds.len());
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// Keras' `TopKCategoricalAccuracy` (one-hot targets `[N, C]`) and
/// `SparseTopKCategoricalAccuracy` (class indices `[N]`), chosen by the targets' shape: a
/// row counts when its true class is among the `k` highest predictions (default 5).
/// Ties at the boundary count as in (TensorFlow's `in_top_k`): the class is in when fewer
/// than `k` classes score strictly higher.
#[derive(Clone, Debug)]
pub struct TopKCategoricalAccuracy {
    k: usize,
    hits: usize,
    total: usize,
}

impl Default for TopKCategoricalAccuracy {
    fn default() -> Self {
        Self::new(5)
    }
}

impl TopKCategoricalAccuracy {
    /// Top-`k` accuracy.
    #[must_use]
    pub fn new(k: usize) -> Self {
        TopKCategoricalAccuracy {
            k,
            hits: 0,
            total: 0,
        }
    }

    fn labels<T: Float>(
        pred: &[usize],
        target: &Tensor<T>,
    ) -> Result<Option<Vec<usize>>, MetricError> {
        let fail = |reason: String| MetricError {
            metric: "top_k_categorical_accuracy".into(),
            pred: pred.to_vec(),
            target: target.shape().to_vec(),
            reason,
        };
        let [n, c] = pred else {
            return Err(fail("expected predictions of shape [N, C]".into()));
        };
        let t = target.shape();
        if t == pred {
            return Ok(None);
        }
        if t == [*n] || t == [*n, 1] {
            return target
                .to_indices(*c)
                .map(Some)
                .map_err(|e| fail(e.to_string()));
        }
        Err(fail(format!(
            "expected one-hot targets {pred:?} or class indices [{n}]"
        )))
    }
}

impl<T: Float> Metric<T> for TopKCategoricalAccuracy {
    fn name(&self) -> &str {
        "top_k_categorical_accuracy"
    }
    #[track_caller]
    fn update(&mut self, pred: &Tensor<T>, target: &Tensor<T>) {
        let labels = Self::labels(pred.shape(), target).unwrap_or_else(|e| panic!("{e}"));
        let labels = labels.unwrap_or_else(|| {
            target
                .argmax(-1, false)
                .to_vec()
                .iter()
                .map(|v| v.to_f64() as usize)
                .collect()
        });
        let c = pred.shape()[1];
        let p = pred.to_vec();
        for (row, &l) in labels.iter().enumerate() {
            let scores = &p[row * c..(row + 1) * c];
            let higher = scores.iter().filter(|&&s| s > scores[l]).count();
            self.hits += usize::from(higher < self.k);
        }
        self.total += labels.len();
    }
    fn check(&self, pred_shape: &[usize], target: &Tensor<T>) -> Result<(), MetricError> {
        Self::labels(pred_shape, target).map(|_| ())
    }
    fn compute(&self) -> f64 {
        self.hits as f64 / self.total.max(1) as f64
    }
    fn reset(&mut self) {
        (self.hits, self.total) = (0, 0);
    }
    fn higher_is_better(&self) -> bool {
        true
    }
}

/// A metric by its Keras name, for configuration from strings: `accuracy` (`acc`),
/// `binary_accuracy`, `mae` (`mean_absolute_error`), `mse` (`mean_squared_error`),
/// `precision`, `recall`, `f1_score`, `auc`, `top_k_categorical_accuracy`.
///
/// # Errors
/// For any other name, a message listing the known ones.
///
/// ```
/// let m = nn::train::metric::<f32>("mae").unwrap();
/// assert_eq!(m.name(), "mae");
/// assert!(nn::train::metric::<f32>("acuracy").err().unwrap().contains("accuracy, binary_accuracy"));
/// ```
pub fn metric<T: Float>(name: &str) -> Result<Box<dyn Metric<T>>, String> {
    Ok(match name {
        "accuracy" | "acc" => Box::new(Accuracy::default()),
        "binary_accuracy" => Box::new(BinaryAccuracy::new(0.5)),
        "mae" | "mean_absolute_error" => Box::new(MeanAbsoluteError::default()),
        "mse" | "mean_squared_error" => Box::new(MeanSquaredError::default()),
        "precision" => Box::new(Precision::new()),
        "recall" => Box::new(Recall::new()),
        "f1_score" => Box::new(F1Score::new()),
        "auc" => Box::new(Auc::new()),
        "top_k_categorical_accuracy" => Box::new(TopKCategoricalAccuracy::default()),
        other => {
            return Err(format!(
                "unknown metric {other:?}; known: accuracy, binary_accuracy, mae, mse, \
                 precision, recall, f1_score, auc, top_k_categorical_accuracy"
            ))
        }
    })
}
