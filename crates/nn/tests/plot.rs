//! The plots `History` and `Plot` write, checked on the SVG text itself: the elements
//! are read back with a small tag reader, tick labels give the pixel scale, and the
//! properties a reader of the plot relies on are asserted (every epoch drawn, round ticks,
//! the legend clear of the data, the best epoch where early stopping put it).

use nn::train::{History, Plot};

/// One SVG element: its tag, attributes and (for `<text>`) its text.
#[derive(Debug)]
struct El {
    tag: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl El {
    fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn num(&self, name: &str) -> f64 {
        self.get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{self:?} has no number {name}"))
    }
}

/// Reads the elements of an SVG document, checking that it is well formed: one `<svg>`
/// root, every opened tag closed in order, quoted attributes.
fn elements(svg: &str) -> Vec<El> {
    assert!(svg.trim_start().starts_with("<svg"), "not an SVG document");
    assert!(svg.trim_end().ends_with("</svg>"), "unterminated SVG");
    let mut out = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let inner = &rest[start + 1..end];
        let after = &rest[end + 1..];
        if let Some(name) = inner.strip_prefix('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
        } else if !inner.starts_with('?') && !inner.starts_with('!') {
            let self_closing = inner.ends_with('/');
            let body = inner.trim_end_matches('/');
            let (tag, mut attrs_src) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
            let mut attrs = Vec::new();
            while let Some(eq) = attrs_src.find('=') {
                let key = attrs_src[..eq].trim().to_string();
                let quoted = &attrs_src[eq + 1..];
                assert!(quoted.starts_with('"'), "unquoted attribute {key}");
                let close = quoted[1..].find('"').expect("unterminated attribute") + 1;
                attrs.push((key, quoted[1..close].to_string()));
                attrs_src = &quoted[close + 1..];
            }
            let text = if tag == "text" {
                after[..after.find('<').unwrap_or(0)].trim().to_string()
            } else {
                String::new()
            };
            if !self_closing {
                open.push(tag.to_string());
            }
            out.push(El {
                tag: tag.to_string(),
                attrs,
                text,
            });
        }
        rest = after;
    }
    assert!(open.is_empty(), "unclosed elements {open:?}");
    out
}

/// The data-area frames (the plot draws each as an unfilled grey rectangle), top first:
/// (left, top, right, bottom).
fn frames(els: &[El]) -> Vec<(f64, f64, f64, f64)> {
    let mut f: Vec<_> = els
        .iter()
        .filter(|e| e.tag == "rect" && e.get("fill") == Some("none"))
        .map(|e| {
            let (x, y) = (e.num("x"), e.num("y"));
            (x, y, x + e.num("width"), y + e.num("height"))
        })
        .collect();
    f.sort_by(|a, b| a.1.total_cmp(&b.1));
    f
}

fn texts<'a>(els: &'a [El], s: &str) -> Vec<&'a El> {
    els.iter()
        .filter(|e| e.tag == "text" && e.text == s)
        .collect()
}

/// The y-axis tick labels of the panel framed by `frame`: numeric texts left of it.
fn y_ticks(els: &[El], frame: (f64, f64, f64, f64)) -> Vec<(f64, f64)> {
    let mut t: Vec<(f64, f64)> = els
        .iter()
        .filter(|e| e.tag == "text" && e.num("x") < frame.0)
        .filter(|e| e.num("y") >= frame.1 - 1.0 && e.num("y") <= frame.3 + 1.0)
        .filter_map(|e| Some((e.text.parse::<f64>().ok()?, e.num("y"))))
        .collect();
    t.sort_by(|a, b| a.0.total_cmp(&b.0));
    t
}

/// The x-axis tick labels of the panel framed by `frame`: numeric texts just below it.
fn x_ticks(els: &[El], frame: (f64, f64, f64, f64)) -> Vec<(f64, f64)> {
    let mut t: Vec<(f64, f64)> = els
        .iter()
        .filter(|e| e.tag == "text" && e.num("y") > frame.3 && e.num("y") < frame.3 + 20.0)
        .filter(|e| e.num("x") >= frame.0 - 1.0 && e.num("x") <= frame.2 + 1.0)
        .filter_map(|e| Some((e.text.parse::<f64>().ok()?, e.num("x"))))
        .collect();
    t.sort_by(|a, b| a.0.total_cmp(&b.0));
    t
}

/// Pixel of `v` on an axis through two ticks (values transformed by `f`).
fn scale(ticks: &[(f64, f64)], f: fn(f64) -> f64, v: f64) -> f64 {
    let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
    a.1 + (f(v) - f(a.0)) / (f(b.0) - f(a.0)) * (b.1 - a.1)
}

fn polyline_points(e: &El) -> Vec<(f64, f64)> {
    e.get("points")
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

fn history(loss: &[f64], val_loss: &[f64]) -> History {
    History {
        epoch: (0..loss.len()).collect(),
        epoch_times: vec![0.0; loss.len()],
        history: vec![
            ("loss".to_string(), loss.to_vec()),
            ("val_loss".to_string(), val_loss.to_vec()),
        ],
        ..History::default()
    }
}

const LOSS: [f64; 12] = [
    16.0, 3.0, 1.4, 0.9, 0.7, 0.55, 0.45, 0.4, 0.36, 0.33, 0.31, 0.3,
];
const VAL: [f64; 12] = [
    9.0, 2.5, 1.3, 0.95, 0.8, 0.7, 0.66, 0.65, 0.66, 0.68, 0.7, 0.73,
];

#[test]
fn an_early_loss_that_dwarfs_the_rest_gets_a_log_axis_and_the_first_epoch_is_drawn() {
    let svg = history(&LOSS, &VAL).to_svg();
    let els = elements(&svg);
    let frame = frames(&els)[0];
    assert_eq!(texts(&els, "loss (log scale)").len(), 1, "y axis title");
    assert_eq!(texts(&els, "epoch").len(), 1, "x axis title");
    let ys = y_ticks(&els, frame);
    let xs = x_ticks(&els, frame);
    assert!(ys.len() >= 3 && xs.len() >= 3, "{ys:?} {xs:?}");
    // Log ticks: equal pixel steps per factor, e.g. 0.5, 1, 2, 5, 10 (1-2-5 per decade).
    let labels: Vec<f64> = ys.iter().map(|t| t.0).collect();
    assert_eq!(labels, [0.5, 1.0, 2.0, 5.0, 10.0]);
    let loss_line = els
        .iter()
        .find(|e| e.tag == "polyline" && e.get("stroke") == Some("#1F77B4"))
        .expect("the loss line");
    let pts = polyline_points(loss_line);
    assert_eq!(pts.len(), LOSS.len(), "every epoch drawn");
    // The first point: epoch 1 at loss 16, on the log scale the ticks define, inside the
    // frame (not clipped to its edge).
    let (x, y) = pts[0];
    assert!((x - scale(&xs, |v| v, 1.0)).abs() < 1.5, "{x} vs epoch 1");
    assert!((y - scale(&ys, f64::log10, 16.0)).abs() < 1.5, "{y} vs 16");
    assert!(x > frame.0 && x < frame.2 && y > frame.1 && y < frame.3);
    let last = pts[LOSS.len() - 1];
    assert!((last.1 - scale(&ys, f64::log10, 0.3)).abs() < 1.5);
}

#[test]
fn linear_ticks_are_round_and_a_loss_axis_stays_at_or_above_zero() {
    // 0.6701 to 0.05: a ratio under 20, so linear.
    let loss = [
        0.6701, 0.41, 0.27, 0.18, 0.12, 0.09, 0.07, 0.06, 0.055, 0.05,
    ];
    let svg = history(&loss, &loss.map(|v| v * 1.1)).to_svg();
    let els = elements(&svg);
    assert_eq!(texts(&els, "loss").len(), 3, "title, y axis title, legend");
    assert!(!svg.contains("log scale"));
    let ticks = y_ticks(&els, frames(&els)[0]);
    let values: Vec<f64> = ticks.iter().map(|t| t.0).collect();
    assert!(values.len() >= 4, "{values:?}");
    assert!(values[0] >= 0.0, "a loss axis below 0: {values:?}");
    let step = values[1] - values[0];
    let mantissa = step / 10f64.powf(step.log10().floor());
    assert!(
        [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-9),
        "step {step}"
    );
    for w in values.windows(2) {
        assert!((w[1] - w[0] - step).abs() < 1e-9, "{values:?}");
    }
    for e in els.iter().filter(|e| e.tag == "text") {
        if let Ok(v) = e.text.parse::<f64>() {
            // At most the step's decimals: no 0.6701, no −0.0036.
            assert!(e.text.len() <= 4 && v >= 0.0, "tick label {}", e.text);
        }
    }
    // The frame's bottom edge is at a value of 0 or above.
    let frame = frames(&els)[0];
    let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
    let bottom = a.0 + (frame.3 - a.1) / (b.1 - a.1) * (b.0 - a.0);
    assert!(bottom >= -1e-9 && bottom < values[0], "{bottom}");
}

#[test]
fn the_legend_is_right_of_the_data_area() {
    let svg = history(&LOSS, &VAL).to_svg();
    let els = elements(&svg);
    let frame = frames(&els)[0];
    for name in ["loss", "val_loss"] {
        let entry = texts(&els, name)
            .into_iter()
            .find(|e| e.get("transform").is_none() && e.num("x") > frame.2)
            .unwrap_or_else(|| panic!("no legend entry {name} right of {frame:?}"));
        assert!(entry.num("y") > frame.1 && entry.num("y") < frame.3);
    }
}

fn early_stopped() -> History {
    let mut h = history(&LOSS, &VAL);
    // The MAE panel: early stopping monitored val_mae, best (restored) epoch index 6.
    let mae = [
        3.0, 1.5, 1.0, 0.8, 0.7, 0.6, 0.55, 0.5, 0.48, 0.46, 0.45, 0.44,
    ];
    let val_mae = [
        2.5, 1.4, 1.0, 0.85, 0.78, 0.74, 0.7, 0.71, 0.73, 0.75, 0.76, 0.78,
    ];
    h.history.push(("mae".into(), mae.to_vec()));
    h.history.push(("val_mae".into(), val_mae.to_vec()));
    h.monitor = Some("val_mae".into());
    h.best_epoch = Some(6);
    h.stopped_epoch = Some(11);
    h
}

#[test]
fn the_early_stopping_epoch_is_marked_on_the_monitored_panel_only() {
    let h = early_stopped();
    let svg = h.to_svg();
    let els = elements(&svg);
    let frames = frames(&els);
    assert_eq!(frames.len(), 2, "loss and mae panels");
    let label = texts(&els, "best: epoch 7 (EarlyStopping)");
    assert_eq!(label.len(), 1, "one legend entry");
    let mae = frames[1];
    assert!(
        label[0].num("y") > mae.1 && label[0].num("y") < mae.3,
        "on the mae panel"
    );
    assert!(label[0].num("x") > mae.2, "in the legend");
    // The circled point: epoch 7's val_mae, and the only marker circle in the figure.
    let rings: Vec<&El> = els
        .iter()
        .filter(|e| e.tag == "circle" && e.get("r") == Some("6") && e.num("cx") < mae.2)
        .collect();
    assert_eq!(rings.len(), 1);
    let (xs, ys) = (x_ticks(&els, mae), y_ticks(&els, mae));
    assert!((rings[0].num("cx") - scale(&xs, |v| v, 7.0)).abs() < 1.5);
    assert!((rings[0].num("cy") - scale(&ys, |v| v, 0.7)).abs() < 1.5);
    // No marker on the loss panel (nor a min-val_loss one).
    assert!(!svg.contains("min val_loss"));
    let loss = frames[0];
    assert!(els
        .iter()
        .filter(|e| e.tag == "circle" && e.get("r") == Some("6"))
        .all(|e| e.num("cy") > loss.3));
}

#[test]
fn without_early_stopping_the_val_loss_minimum_is_marked_on_the_loss_panel() {
    let mut h = early_stopped();
    h.monitor = None;
    h.best_epoch = None;
    let svg = h.to_svg();
    let els = elements(&svg);
    let frames = frames(&els);
    // VAL's minimum, 0.65, is at index 7: epoch 8.
    let label = texts(&els, "min val_loss: epoch 8");
    assert_eq!(label.len(), 1);
    assert!(label[0].num("y") < frames[0].3, "on the loss panel");
    assert!(!svg.contains("EarlyStopping"));
}

#[test]
fn png_is_written_only_when_asked_with_the_figures_size() {
    let dir = std::env::temp_dir().join(format!("wengert-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let h = early_stopped();
    h.save_svg(dir.join("h.svg")).unwrap();
    assert!(!dir.join("h.png").exists());
    let path = dir.join("h.png");
    h.save_png(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!((be(&bytes[16..20]), be(&bytes[20..24])), (800, 640));
    assert_eq!(h.plot().dimensions(), (800, 640));
    // The image has text and curves: more than a couple of colours in it is hard to
    // check without a decoder, but a blank 800x640 PNG compresses to under 4 kB.
    assert!(bytes.len() > 8_000, "{} bytes", bytes.len());
    let sized = Plot::new("x").line("a", &[1.0, 2.0]).size(300, 200);
    sized.save_png(dir.join("s.png")).unwrap();
    let s = std::fs::read(dir.join("s.png")).unwrap();
    assert_eq!((be(&s[16..20]), be(&s[20..24])), (300, 200));
    let wrong = h.save_png(dir.join("h.svg"));
    assert_eq!(wrong.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn log_y_can_be_forced_either_way_and_non_finite_points_break_the_line() {
    let linear = Plot::new("l").y_label("loss").line("a", &LOSS).log_y(false);
    assert!(!linear.to_svg().contains("log scale"));
    let log = Plot::new("l")
        .y_label("loss")
        .line("a", &[2.0, 1.5, 1.0])
        .log_y(true);
    assert!(log.to_svg().contains("loss (log scale)"));
    let broken = Plot::new("b")
        .line("a", &[1.0, 2.0, f64::NAN, 3.0, 4.0])
        .to_svg();
    let els = elements(&broken);
    let right = frames(&els)[0].2;
    let lines: Vec<usize> = els
        .iter()
        .filter(|e| e.tag == "polyline" && e.get("stroke") == Some("#1F77B4"))
        .filter(|e| polyline_points(e)[0].0 < right)
        .map(|e| polyline_points(e).len())
        .collect();
    assert_eq!(lines, [2, 2]);
}
