//! Helpers shared by the study-guide examples (`mod common;`): a multi-series SVG chart
//! with real x values and optional log axes (the library's `line_chart` plots over epoch
//! numbers only), and a callback that measures accuracy on held-out rows after every
//! epoch.

#![allow(dead_code)] // each example uses part of this module

use std::fmt::Write;
use std::sync::{Arc, Mutex};

use wengert::nn::train::{Logs, TrainContext};
use wengert::prelude::*;

const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

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

    pub(crate) fn marked(mut self, x: f64, y: f64, label: impl Into<String>) -> Self {
        self.mark = Some((x, y, label.into()));
        self
    }
}

/// An SVG chart of `curves`; `log_x` / `log_y` draw that axis in powers of ten
/// (non-positive and non-finite points are left out).
pub(crate) fn chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    log: (bool, bool),
    curves: &[Curve],
) -> String {
    let (w, h, ml, mr, mt, mb) = (760.0, 420.0, 75.0, 190.0, 40.0, 50.0);
    let tx = |v: f64| if log.0 { v.log10() } else { v };
    let ty = |v: f64| if log.1 { v.log10() } else { v };
    let ok = |&(x, y): &(f64, f64)| tx(x).is_finite() && ty(y).is_finite();
    let pts: Vec<(f64, f64)> = curves
        .iter()
        .flat_map(|c| c.points.iter().copied().filter(ok))
        .map(|(x, y)| (tx(x), ty(y)))
        .collect();
    let range = |f: fn(&(f64, f64)) -> f64| {
        let lo = pts.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi = pts.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        match (lo.is_finite(), hi > lo) {
            (false, _) => (0.0, 1.0),
            (true, false) => (lo - 0.5, hi + 0.5),
            (true, true) => (lo, hi),
        }
    };
    let (x0, x1) = range(|p| p.0);
    let (y0, y1) = range(|p| p.1);
    let (y0, y1) = (y0 - 0.04 * (y1 - y0), y1 + 0.04 * (y1 - y0));
    let (pw, ph) = (w - ml - mr, h - mt - mb);
    let sx = |x: f64| ml + pw * (x - x0) / (x1 - x0);
    let sy = |y: f64| mt + ph * (1.0 - (y - y0) / (y1 - y0));
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n\
         <text x=\"{ml}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{title}</text>\n\
         <rect x=\"{ml}\" y=\"{mt}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>\n"
    );
    let label = |v: f64, is_log: bool| {
        if is_log {
            format!("1e{v:.1}").replace(".0", "")
        } else if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.3}")
        }
    };
    for k in 0..=4 {
        let (xv, yv) = (
            x0 + (x1 - x0) * k as f64 / 4.0,
            y0 + (y1 - y0) * k as f64 / 4.0,
        );
        let (x, y) = (sx(xv), sy(yv));
        let _ = writeln!(
            s,
            "<line x1=\"{ml}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            ml + pw,
            ml - 6.0,
            y + 4.0,
            label(yv, log.1),
            mt + ph + 18.0,
            label(xv, log.0)
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x_label}</text>\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{y_label}</text>",
        ml + pw / 2.0,
        h - 8.0,
        mt + ph / 2.0
    );
    for (i, c) in curves.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let path: Vec<String> = c
            .points
            .iter()
            .filter(|p| ok(p))
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(tx(x)), sy(ty(y))))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{}\"/>\
             <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{color}\" stroke-width=\"3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            path.join(" "),
            w - mr + 12.0,
            mt + 10.0 + 18.0 * i as f64,
            w - mr + 32.0,
            mt + 10.0 + 18.0 * i as f64,
            w - mr + 38.0,
            mt + 14.0 + 18.0 * i as f64,
            c.name
        );
        if let Some((x, y, text)) = &c.mark {
            if ok(&(*x, *y)) {
                let (px, py) = (sx(tx(*x)), sy(ty(*y)));
                let _ = writeln!(
                    s,
                    "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"5\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\">{text}</text>",
                    px + 7.0,
                    py - 7.0
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
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
