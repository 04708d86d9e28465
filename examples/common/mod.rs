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
    for xv in ticks(x0, x1, log.0) {
        let x = sx(xv);
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{mt}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#f2f2f2\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            mt + ph,
            mt + ph + 18.0,
            tick_label(xv, x1 - x0, log.0)
        );
    }
    for yv in ticks(y0, y1, log.1) {
        let y = sy(yv);
        let _ = writeln!(
            s,
            "<line x1=\"{ml}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            ml + pw,
            ml - 6.0,
            y + 4.0,
            tick_label(yv, y1 - y0, log.1)
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

/// Tick positions over [lo, hi]: whole powers of ten on a log axis (every k-th, so at
/// most about eight), otherwise 1, 2 or 5 times a power of ten.
fn ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    let span = hi - lo;
    let step = if log {
        (span / 8.0).ceil().max(1.0)
    } else {
        let raw = span / 5.0;
        let p = 10f64.powf(raw.log10().floor());
        [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * p)
            .find(|s| *s >= raw)
            .unwrap_or(p * 10.0)
    };
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn tick_label(v: f64, span: f64, log: bool) -> String {
    if log {
        let e = v.round() as i32;
        if (-2..=3).contains(&e) {
            format!("{}", 10f64.powi(e))
        } else {
            format!("1e{e}")
        }
    } else if span >= 5.0 {
        format!("{v:.0}")
    } else if span >= 0.5 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
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
