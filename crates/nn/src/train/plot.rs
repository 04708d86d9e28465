//! Line plots of training curves and comparisons, drawn with [`plotters`]: SVG always,
//! PNG when asked ([`Plot::save_png`]).
//!
//! The layout follows what a matplotlib user expects from `plt.plot` + `plt.legend`:
//! panels stacked vertically, axis titles, round tick values, the legend to the right of
//! the data area (so it never covers a curve), and every point drawn, the first epoch
//! included. A panel's y axis is logarithmic when the plotted values are all positive and
//! the largest is more than 20 times the smallest (an early loss that dwarfs the rest),
//! unless [`Plot::log_y`] says otherwise; a linear axis over non-negative values (a loss)
//! does not go below 0.
//!
//! Text is laid out and rasterized with an embedded copy of DejaVu Sans (a subset; see
//! `crates/nn/assets/DejaVuSans-LICENSE.txt`), so no system font is needed; SVG files
//! name the `sans-serif` family and the viewer picks its own.

use std::io;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::plot_axis::{self, Axis};

/// The embedded font (DejaVu Sans, printable ASCII and a few symbols).
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans-subset.ttf");
/// The family name the font is registered under, and that SVG text asks for.
const FAMILY: &str = "sans-serif";

/// Matplotlib's "tab10" colours, for successive lines of a panel.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];
const RULE: RGBColor = RGBColor(0x33, 0x33, 0x33);
const FRAME: RGBColor = RGBColor(0x99, 0x99, 0x99);
/// Lines with at most this many points also get a dot at each point.
const DOTS_UP_TO: usize = 40;
const ROW: i32 = 20;

/// A figure of one or more panels stacked vertically, each with named lines, built as
/// matplotlib's `plt.plot(x, y, label=…)` calls are and written as SVG or PNG.
///
/// Settings that name a panel (`x_label`, `y_label`, `line`, `mark`, `vline`) apply to
/// the last panel started ([`Plot::new`] starts the first, [`Plot::panel`] the next);
/// `log_x`, `log_y` and `size` apply to the whole figure.
///
/// ```
/// use nn::train::Plot;
/// let svg = Plot::new("loss")
///     .y_label("loss")
///     .line("sgd", &[3.0, 2.0, 1.5])
///     .line("adam", &[3.0, 1.0, 0.5])
///     .mark(3.0, 0.5, "adam's last")
///     .to_svg();
/// assert!(svg.trim_start().starts_with("<svg") && svg.contains("adam"));
/// ```
#[derive(Clone, Debug)]
pub struct Plot {
    panels: Vec<Panel>,
    width: u32,
    panel_height: u32,
    log_x: bool,
    log_y: Option<bool>,
}

#[derive(Clone, Debug)]
struct Panel {
    title: String,
    x_label: String,
    y_label: String,
    lines: Vec<Line>,
    /// Circled points: (line index, x, y, legend label; empty for none).
    marks: Vec<(usize, f64, f64, String)>,
    /// Dashed vertical lines: (x, legend label).
    rules: Vec<(f64, String)>,
}

#[derive(Clone, Debug)]
struct Line {
    name: String,
    points: Vec<(f64, f64)>,
}

impl Plot {
    /// A figure with one empty panel titled `title`, its x axis titled "epoch", 800 px
    /// wide and 320 px high per panel.
    #[must_use]
    pub fn new(title: &str) -> Self {
        Plot {
            panels: vec![Panel::new(title)],
            width: 800,
            panel_height: 320,
            log_x: false,
            log_y: None,
        }
    }

    /// Starts a new panel titled `title` below the others.
    #[must_use]
    pub fn panel(mut self, title: &str) -> Self {
        self.panels.push(Panel::new(title));
        self
    }

    /// The x axis title of the current panel (default "epoch").
    #[must_use]
    pub fn x_label(mut self, label: &str) -> Self {
        self.last().x_label = label.to_string();
        self
    }

    /// The y axis title of the current panel (default none). On a logarithmic axis
    /// " (log scale)" is appended unless the title already mentions "log".
    #[must_use]
    pub fn y_label(mut self, label: &str) -> Self {
        self.last().y_label = label.to_string();
        self
    }

    /// A line of one value per epoch, drawn at x = 1, 2, …, n.
    #[must_use]
    pub fn line(self, name: &str, values: &[f64]) -> Self {
        let points = values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v));
        self.line_xy(name, points)
    }

    /// A line through `(x, y)` points, in order. Points that cannot be drawn (not finite,
    /// or not positive on a logarithmic axis) are left out and break the line.
    #[must_use]
    pub fn line_xy(mut self, name: &str, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        self.last().lines.push(Line {
            name: name.to_string(),
            points: points.into_iter().collect(),
        });
        self
    }

    /// Circles the point `(x, y)` in the colour of the current panel's last line, with
    /// `label` in the legend (no legend entry if `label` is empty).
    #[must_use]
    pub fn mark(mut self, x: f64, y: f64, label: &str) -> Self {
        let panel = self.last();
        let line = panel.lines.len().saturating_sub(1);
        panel.marks.push((line, x, y, label.to_string()));
        self
    }

    /// Circles `(x, y)` in the colour of the current panel's line named `name` (the
    /// last line if there is none of that name).
    pub(crate) fn mark_on(mut self, name: &str, x: f64, y: f64) -> Self {
        let panel = self.last();
        let line = panel
            .lines
            .iter()
            .position(|l| l.name == name)
            .unwrap_or(panel.lines.len().saturating_sub(1));
        panel.marks.push((line, x, y, String::new()));
        self
    }

    /// A dashed vertical line at `x` across the current panel (matplotlib's `axvline`),
    /// with `label` in the legend (none if empty).
    #[must_use]
    pub fn vline(mut self, x: f64, label: &str) -> Self {
        self.last().rules.push((x, label.to_string()));
        self
    }

    /// Draws the x axes in powers of ten (default linear).
    #[must_use]
    pub fn log_x(mut self, log: bool) -> Self {
        self.log_x = log;
        self
    }

    /// Forces (`true`) or forbids (`false`) logarithmic y axes on every panel. By default
    /// each panel's is logarithmic when its values are all positive and span more than a
    /// factor of 20.
    #[must_use]
    pub fn log_y(mut self, log: bool) -> Self {
        self.log_y = Some(log);
        self
    }

    /// The figure's width and the height of each panel, in pixels (default 800 × 320).
    #[must_use]
    pub fn size(mut self, width: u32, panel_height: u32) -> Self {
        self.width = width.max(200);
        self.panel_height = panel_height.max(120);
        self
    }

    /// The number of panels.
    #[must_use]
    pub fn panels(&self) -> usize {
        self.panels.len()
    }

    /// The figure's size in pixels: width, and height (panel height × panels).
    #[must_use]
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.panel_height * self.panels.len() as u32)
    }

    /// The figure as an SVG document.
    #[must_use]
    pub fn to_svg(&self) -> String {
        let mut out = String::new();
        let result = {
            let root = SVGBackend::with_string(&mut out, self.dimensions()).into_drawing_area();
            self.render(&root)
        };
        if let Err(e) = result {
            // Drawing into a string fails only if the embedded font does not load, which
            // the tests rule out; say so in the file rather than panicking.
            out.push_str(&format!("<!-- plot incomplete: {} -->\n", escape(&e)));
        }
        out
    }

    /// Writes [`Plot::to_svg`] to a file.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.to_svg())
    }

    /// Writes the figure as a PNG image of [`Plot::dimensions`] pixels, its text drawn
    /// with the embedded font.
    ///
    /// # Errors
    /// `InvalidInput` if `path` does not end in `.png`; otherwise if the image cannot be
    /// drawn or written.
    pub fn save_png(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let is_png = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        if !is_png {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("save_png: {} does not end in .png", path.display()),
            ));
        }
        let root = BitMapBackend::new(path, self.dimensions()).into_drawing_area();
        self.render(&root).map_err(io::Error::other)
    }

    fn last(&mut self) -> &mut Panel {
        if self.panels.is_empty() {
            self.panels.push(Panel::new(""));
        }
        let n = self.panels.len();
        &mut self.panels[n - 1]
    }

    fn render<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        register_embedded_font();
        root.fill(&WHITE).map_err(err)?;
        let font = text_style(14);
        let mut legend_w = 0;
        for label in self.panels.iter().flat_map(Panel::legend_labels) {
            let (w, _) = root.estimate_text_size(label, &font).map_err(err)?;
            legend_w = legend_w.max(w + 48);
        }
        let legend_w = legend_w.min(self.width / 2);
        let areas = root.split_evenly((self.panels.len(), 1));
        for (area, panel) in areas.iter().zip(&self.panels) {
            panel.draw(area, self.log_x, self.log_y, legend_w)?;
        }
        root.present().map_err(err)
    }
}

/// A complete SVG document with one panel of named curves over epochs 1..n, e.g. the
/// loss of several optimizers (shorthand for [`Plot`] with one [`Plot::line`] per curve).
///
/// ```
/// let svg = nn::train::line_chart("loss", &[("sgd", &[3.0, 2.0, 1.5][..]), ("adam", &[3.0, 1.0, 0.5][..])]);
/// assert!(svg.starts_with("<svg") && svg.contains("adam"));
/// ```
#[must_use]
pub fn line_chart(title: &str, curves: &[(&str, &[f64])]) -> String {
    curves
        .iter()
        .fold(Plot::new(title), |p, (name, values)| p.line(name, values))
        .to_svg()
}

impl Panel {
    fn new(title: &str) -> Self {
        Panel {
            title: title.to_string(),
            x_label: "epoch".to_string(),
            y_label: String::new(),
            lines: Vec::new(),
            marks: Vec::new(),
            rules: Vec::new(),
        }
    }

    fn legend_labels(&self) -> impl Iterator<Item = &str> {
        let lines = self.lines.iter().map(|l| l.name.as_str());
        let marks = self.marks.iter().map(|m| m.3.as_str());
        let rules = self.rules.iter().map(|r| r.1.as_str());
        lines.chain(marks).chain(rules).filter(|s| !s.is_empty())
    }

    fn axes(&self, log_x: bool, log_y: Option<bool>) -> (Axis, Axis) {
        let points = self.lines.iter().flat_map(|l| l.points.iter().copied());
        let marks = self.marks.iter().map(|m| (m.1, m.2));
        let (mut xs, ys): (Vec<f64>, Vec<f64>) = points.chain(marks).unzip();
        xs.extend(self.rules.iter().map(|r| r.0));
        let whole = !log_x && xs.iter().all(|x| !x.is_finite() || x.fract() == 0.0);
        let x = plot_axis::axis(&xs, log_x, false, whole);
        let log = log_y.unwrap_or_else(|| plot_axis::auto_log(ys.iter().copied()));
        (x, plot_axis::axis(&ys, log, true, false))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        log_x: bool,
        log_y: Option<bool>,
        legend_w: u32,
    ) -> Result<(), String> {
        let (xa, ya) = self.axes(log_x, log_y);
        let (w, _) = area.dim_in_pixel();
        let (plot_area, legend_area) = area.split_horizontally(w - legend_w);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(&self.title, (FAMILY, 19).into_font().style(FontStyle::Bold))
            .margin(8)
            .margin_right(14)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .build_cartesian_2d(xa.clone(), ya.clone())
            .map_err(err)?;
        let y_label = if ya.log && !self.y_label.to_lowercase().contains("log") {
            format!("{} (log scale)", self.y_label)
        } else {
            self.y_label.clone()
        };
        let x_label = if xa.log && !self.x_label.to_lowercase().contains("log") {
            format!("{} (log scale)", self.x_label)
        } else {
            self.x_label.clone()
        };
        let (fx, fy) = (|v: &f64| xa.label(*v), |v: &f64| ya.label(*v));
        chart
            .configure_mesh()
            .x_desc(x_label.trim())
            .y_desc(y_label.trim())
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style(text_style(14))
            .axis_desc_style(text_style(15))
            .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
            .axis_style(FRAME)
            .draw()
            .map_err(err)?;
        chart
            .plotting_area()
            .draw(&Rectangle::new(
                [(xa.lo, ya.lo), (xa.hi, ya.hi)],
                FRAME.stroke_width(1),
            ))
            .map_err(err)?;
        for &(x, _) in &self.rules {
            if let Some(x) = xa.to_axis(x) {
                let style = RULE.stroke_width(1);
                let points = [(x, ya.lo), (x, ya.hi)];
                chart
                    .draw_series(DashedLineSeries::new(points, 6, 4, style))
                    .map_err(err)?;
            }
        }
        for (i, line) in self.lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let mut segment: Vec<(f64, f64)> = Vec::new();
            let drawable = |&(x, y): &(f64, f64)| xa.to_axis(x).zip(ya.to_axis(y));
            let mut segments = Vec::new();
            for p in &line.points {
                match drawable(p) {
                    Some(q) => segment.push(q),
                    None => segments.push(std::mem::take(&mut segment)),
                }
            }
            segments.push(segment);
            for s in segments.into_iter().filter(|s| !s.is_empty()) {
                if line.points.len() <= DOTS_UP_TO {
                    let dots = s.iter().map(|&p| Circle::new(p, 2, color.filled()));
                    chart.draw_series(dots).map_err(err)?;
                }
                let series = LineSeries::new(s, color.stroke_width(2));
                chart.draw_series(series).map_err(err)?;
            }
        }
        for (i, x, y, _) in &self.marks {
            if let (Some(x), Some(y)) = (xa.to_axis(*x), ya.to_axis(*y)) {
                let color = PALETTE[i % PALETTE.len()];
                let circle = Circle::new((x, y), 6, color.stroke_width(2));
                chart.plotting_area().draw(&circle).map_err(err)?;
            }
        }
        // The legend: right of the data area, its top level with the data area's.
        let top = chart.plotting_area().get_pixel_range().1.start - legend_area.get_base_pixel().1;
        self.draw_legend(&legend_area, top + 6)
    }

    fn draw_legend<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        top: i32,
    ) -> Result<(), String> {
        let font = text_style(14).pos(Pos::new(HPos::Left, VPos::Center));
        let mut y = top;
        let mut entry = |swatch: &dyn Fn(i32) -> Result<(), String>, label: &str| {
            if label.is_empty() {
                return Ok(());
            }
            swatch(y)?;
            area.draw(&Text::new(label.to_string(), (34, y), font.clone()))
                .map_err(err)?;
            y += ROW;
            Ok::<(), String>(())
        };
        for (i, line) in self.lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let swatch = |y: i32| {
                let path = PathElement::new(vec![(6, y), (28, y)], color.stroke_width(2));
                area.draw(&path).map_err(err)
            };
            entry(&swatch, &line.name)?;
        }
        for (i, _, _, label) in &self.marks {
            let color = PALETTE[i % PALETTE.len()];
            let swatch = |y: i32| {
                let circle = Circle::new((17, y), 6, color.stroke_width(2));
                area.draw(&circle).map_err(err)
            };
            entry(&swatch, label)?;
        }
        for (_, label) in &self.rules {
            let swatch = |y: i32| {
                let dashes = [(6, 11), (15, 20), (24, 29)]
                    .map(|(a, b)| PathElement::new(vec![(a, y), (b, y)], RULE.stroke_width(1)));
                dashes.iter().try_for_each(|d| area.draw(d).map_err(err))
            };
            entry(&swatch, label)?;
        }
        Ok(())
    }
}

fn text_style(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&BLACK)
}

fn register_embedded_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // A font that does not parse leaves the family unregistered and the first text
        // drawn reports the error (see the font test).
        let _ = register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn escape(s: &str) -> String {
    s.replace('-', "&#45;").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_font_parses() {
        assert!(plotters::style::register_font(
            "wengert-test",
            plotters::style::FontStyle::Normal,
            super::FONT
        )
        .is_ok());
    }
}
