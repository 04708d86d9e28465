//! Helpers shared by the study-guide examples (`mod common;`): a multi-series SVG chart
//! with real x values and optional log axes (through the library's `Plot`), and a
//! callback that measures accuracy on held-out rows after every epoch.

#![allow(dead_code)] // each example uses part of this module

use std::sync::{Arc, Mutex};

use wengert::nn::train::{Logs, Plot, TrainContext};
use wengert::prelude::*;

/// One curve: a name, its (x, y) points and an optional marked point with a label.
pub(crate) struct Curve {
    pub(crate) name: String,
    pub(crate) points: Vec<(f64, f64)>,
    pub(crate) mark: Option<(f64, f64, String)>,
}

impl Curve {
    pub(crate) fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Curve {
            name: name.into(),
            points,
            mark: None,
        }
    }

    /// Points `(1, v0), (2, v1), …`: a value per epoch.
    pub(crate) fn per_epoch(name: impl Into<String>, values: &[f64]) -> Self {
        Self::new(
            name,
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| ((i + 1) as f64, v))
                .collect(),
        )
    }

    /// Values above `cap` drawn at `cap` (a diverging run would squash the others).
    pub(crate) fn capped(mut self, cap: f64) -> Self {
        for p in &mut self.points {
            p.1 = p.1.min(cap);
        }
        if let Some(m) = &mut self.mark {
            m.1 = m.1.min(cap);
        }
        self
    }

    pub(crate) fn marked(mut self, x: f64, y: f64, label: impl Into<String>) -> Self {
        self.mark = Some((x, y, label.into()));
        self
    }
}

/// An SVG chart of `curves` (the library's [`Plot`] with real x values); `log_x` /
/// `log_y` draw that axis in powers of ten (non-positive and non-finite points are left
/// out). Each curve's mark is circled in its colour and named in the legend.
pub(crate) fn chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    log: (bool, bool),
    curves: &[Curve],
) -> String {
    let mut plot = Plot::new(title)
        .x_label(x_label)
        .y_label(y_label)
        .log_x(log.0)
        .log_y(log.1);
    for c in curves {
        plot = plot.line_xy(&c.name, c.points.iter().copied());
        if let Some((x, y, label)) = &c.mark {
            plot = plot.mark(*x, *y, label);
        }
    }
    plot.to_svg()
}

/// Accuracy of `module` on `x` (rows of logits against class indices `y`), evaluated
/// without recording a tape. For models without dropout or batch norm, where training
/// and evaluation mode compute the same thing.
pub(crate) fn accuracy(module: &dyn Module, x: &Tensor, y: &Tensor) -> f64 {
    let tape = Tape::inference();
    let logits = module.forward(tape.constant(x.clone())).value();
    let pred = logits.argmax(1, false).to_vec();
    let truth = y.reshape(&[-1]).to_vec();
    let hits = pred.iter().zip(&truth).filter(|(p, t)| p == t).count();
    hits as f64 / truth.len().max(1) as f64
}

/// Records the accuracy on held-out rows after every epoch (read it back through the
/// shared vector once `fit` returns).
pub(crate) struct HeldOutAccuracy {
    x: Tensor,
    y: Tensor,
    pub(crate) values: Arc<Mutex<Vec<f64>>>,
}

impl HeldOutAccuracy {
    pub(crate) fn new(x: &Tensor, y: &Tensor) -> Self {
        HeldOutAccuracy {
            x: x.clone(),
            y: y.clone(),
            values: Arc::default(),
        }
    }
}

impl Callback for HeldOutAccuracy {
    fn on_epoch_end(&mut self, _epoch: usize, _logs: &Logs, ctx: &mut TrainContext<'_, f32>) {
        let a = accuracy(ctx.module(), &self.x, &self.y);
        self.values.lock().unwrap().push(a);
    }
}
