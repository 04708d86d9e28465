//! A small SVG line plotter for training curves and comparisons (no dependency: the
//! output is a few hundred lines of SVG).

use std::fmt::Write;

const WIDTH: f64 = 720.0;
pub(crate) const PANEL: f64 = 300.0;
const MARGIN: (f64, f64, f64, f64) = (70.0, 20.0, 40.0, 45.0); // left, right, top, bottom

/// One curve: name, values, colour, dashed.
pub(crate) struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
    pub color: &'a str,
}

/// An SVG panel at vertical offset `top` with the given curves over x = 0..n-1 (labelled
/// from `x0`), a title, and an optional marked x position.
pub(crate) fn panel(
    out: &mut String,
    top: f64,
    title: &str,
    series: &[Series<'_>],
    x0: usize,
    mark: Option<(usize, &str)>,
) {
    let (ml, mr, mt, mb) = MARGIN;
    let (w, h) = (WIDTH - ml - mr, PANEL - mt - mb);
    // The y range leaves out the first tenth of the epochs (the initial drop, often ten
    // times larger than the rest), so the late part of training, where overfitting shows,
    // is not squashed flat; earlier points above the range are drawn at the top edge.
    let skip = |v: &[f64]| if v.len() >= 10 { v.len() / 10 } else { 0 };
    let values = |all: bool| {
        series
            .iter()
            .flat_map(move |s| {
                s.values[if all { 0 } else { skip(s.values) }..]
                    .iter()
                    .copied()
            })
            .filter(|v| v.is_finite())
    };
    let lo = values(true).fold(f64::INFINITY, f64::min);
    let hi = values(false).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let pad = (hi - lo) * 0.05;
    let (lo, hi) = (lo - pad, hi + pad);
    let n = series
        .iter()
        .map(|s| s.values.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let sx = |i: f64| ml + w * i / (n - 1) as f64;
    let sy = |v: f64| top + mt + h * (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0));
    let _ = writeln!(
        out,
        r#"<text x="{ml}" y="{}" font-size="15" font-weight="bold">{title}</text>"#,
        top + 24.0
    );
    let _ = writeln!(
        out,
        r##"<rect x="{ml}" y="{}" width="{w}" height="{h}" fill="none" stroke="#999"/>"##,
        top + mt
    );
    for k in 0..=4 {
        let t = lo + (hi - lo) * k as f64 / 4.0;
        let y = sy(t);
        let _ = writeln!(
            out,
            r##"<line x1="{ml}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#eee"/>"##,
            ml + w
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"#,
            ml - 6.0,
            y + 4.0,
            tick(t)
        );
    }
    let ticks = 5.min(n - 1);
    for k in 0..=ticks {
        let i = (n - 1) * k / ticks;
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{}</text>"#,
            sx(i as f64),
            top + mt + h + 16.0,
            x0 + i + 1
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">epoch</text>"#,
        ml + w / 2.0,
        top + PANEL - 8.0
    );
    if let Some((i, label)) = mark {
        let x = sx(i as f64);
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#2a2" stroke-dasharray="5,4"/>"##,
            top + mt,
            top + mt + h
        );
        // The label sits at the bottom of the plot, clear of the legend at the top.
        let (anchor, lx) = if x > ml + w * 0.8 {
            ("end", x - 4.0)
        } else {
            ("start", x + 4.0)
        };
        let _ = writeln!(
            out,
            r##"<text x="{lx:.1}" y="{}" font-size="11" fill="#2a2" text-anchor="{anchor}">{label}</text>"##,
            top + mt + h - 6.0
        );
    }
    for (k, s) in series.iter().enumerate() {
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| format!("{:.1},{:.1}", sx(i as f64), sy(v)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            points.join(" "),
            s.color
        );
        let ly = top + mt + 16.0 + 16.0 * k as f64;
        let lx = ml + w - 150.0;
        let _ = writeln!(
            out,
            r#"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"/>"#,
            ly - 4.0,
            lx + 20.0,
            ly - 4.0,
            s.color
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{ly}" font-size="12">{}</text>"#,
            lx + 26.0,
            s.name
        );
    }
}

/// An axis label with about four significant digits.
fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// Wraps panels in an SVG document.
pub(crate) fn document(panels: usize, body: &str) -> String {
    let height = PANEL * panels.max(1) as f64;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

/// Colours for successive series.
const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// A complete SVG document with one panel of named curves over epochs 1..n, e.g. the
/// loss of several optimizers.
///
/// ```
/// let svg = nn::train::line_chart("loss", &[("sgd", &[3.0, 2.0, 1.5][..]), ("adam", &[3.0, 1.0, 0.5][..])]);
/// assert!(svg.starts_with("<svg") && svg.contains("adam"));
/// ```
#[must_use]
pub fn line_chart(title: &str, curves: &[(&str, &[f64])]) -> String {
    let series: Vec<Series<'_>> = curves
        .iter()
        .enumerate()
        .map(|(i, (name, values))| Series {
            name,
            values,
            color: PALETTE[i % PALETTE.len()],
        })
        .collect();
    let mut body = String::new();
    panel(&mut body, 0.0, title, &series, 0, None);
    document(1, &body)
}
