//! Axis ranges and tick values for [`Plot`](super::Plot): round ticks (1, 2 or 5 times
//! a power of ten), logarithmic axes, and the rule that chooses a logarithmic y axis.

/// Ratio of the largest to the smallest plotted value above which a panel's y axis is
/// logarithmic unless told otherwise (all values must be positive).
pub(crate) const AUTO_LOG_RATIO: f64 = 20.0;

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// One axis: the drawn range and the ticks, in axis space (the base-10 logarithm of the
/// value on a logarithmic axis, the value itself otherwise). It is the plotters coordinate
/// itself: a linear map of axis space with our ticks as its only key points.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) log: bool,
    /// Tick positions (axis space) and their labels.
    pub(crate) ticks: Vec<(f64, String)>,
}

impl Axis {
    /// The axis-space position of a data value (`None` when it cannot be drawn: not
    /// finite, or not positive on a logarithmic axis).
    pub(crate) fn to_axis(&self, v: f64) -> Option<f64> {
        to_axis(v, self.log)
    }

    /// The label of the tick at axis-space position `v` (the formatter plotters calls).
    pub(crate) fn label(&self, v: f64) -> String {
        self.ticks
            .iter()
            .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    /// The ticks as bold key points (grid lines and labels); no light grid.
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.iter().map(|t| t.0).collect()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

fn to_axis(v: f64, log: bool) -> Option<f64> {
    match (v.is_finite(), log) {
        (false, _) => None,
        (true, true) => (v > 0.0).then(|| v.log10()),
        (true, false) => Some(v),
    }
}

/// True if a logarithmic y axis suits `values`: all finite values positive and the largest
/// more than [`AUTO_LOG_RATIO`] times the smallest (an early loss that dwarfs the rest).
pub(crate) fn auto_log(values: impl Iterator<Item = f64>) -> bool {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        if v <= 0.0 {
            return false;
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    lo.is_finite() && hi / lo > AUTO_LOG_RATIO
}

/// The axis over `values` (data space; those that cannot be drawn are ignored), padded by
/// 5% each side. `floor_zero`: on a linear axis, data that is all non-negative keeps the
/// axis at or above 0 (a loss axis). `integer`: ticks at whole numbers only (epochs).
pub(crate) fn axis(values: &[f64], log: bool, floor_zero: bool, integer: bool) -> Axis {
    let pts: Vec<f64> = values.iter().filter_map(|&v| to_axis(v, log)).collect();
    let lo = pts.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = pts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = match (lo.is_finite(), hi > lo) {
        (false, _) => (0.0, 1.0),
        (true, true) => (lo, hi),
        (true, false) if log => (lo - 0.25, hi + 0.25),
        (true, false) if lo != 0.0 => (lo - 0.1 * lo.abs(), hi + 0.1 * hi.abs()),
        (true, false) => (-0.5, 0.5),
    };
    let pad = 0.05 * (hi - lo);
    let non_negative = pts.iter().all(|&v| v >= 0.0);
    let (lo, hi) = if !log && floor_zero && non_negative {
        ((lo - pad).max(0.0), hi + pad)
    } else {
        (lo - pad, hi + pad)
    };
    let ticks = if log {
        log_ticks(lo, hi)
    } else {
        linear_ticks(lo, hi, integer)
    };
    Axis { lo, hi, log, ticks }
}

/// A round step near `raw`: 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * p)
}

/// Multiples of a round step within [lo, hi], four to nine of them, labelled with as many
/// decimals as the step needs.
fn linear_ticks(lo: f64, hi: f64, integer: bool) -> Vec<(f64, String)> {
    let mut step = nice_step((hi - lo) / 8.0);
    if integer {
        step = step.max(1.0);
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            (v, trim_zero(format!("{v:.decimals$}")))
        })
        .collect()
}

/// Zero as "0", whatever its sign and decimals ("-0", "0.0", "-0.00").
fn trim_zero(s: String) -> String {
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0".to_string()
    } else {
        s
    }
}

/// Ticks on a logarithmic axis over [lo, hi] (axis space): 1, 2, 5 times each power of
/// ten over up to three decades (every digit over less than half a decade), powers of
/// ten (every k-th one, at most about eight) beyond.
fn log_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let decades = hi - lo;
    let mantissas: &[f64] = if decades < 0.5 {
        &[1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    } else if decades <= 3.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let every = (decades / 8.0).ceil().max(1.0) as i64;
    let mut ticks = Vec::new();
    for e in (lo.floor() as i64)..=(hi.ceil() as i64) {
        if e.rem_euclid(every) != 0 {
            continue;
        }
        for &m in mantissas {
            let v = m * 10f64.powi(e as i32);
            let at = v.log10();
            if at >= lo && at <= hi {
                ticks.push((at, log_label(v)));
            }
        }
    }
    if ticks.len() < 2 {
        // Less than a factor of 1.5 spanned: round values in data space.
        let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
        ticks = linear_ticks(a, b, false)
            .into_iter()
            .filter(|(v, _)| *v > 0.0)
            .map(|(v, s)| (v.log10(), s))
            .collect();
    }
    ticks
}

/// A value on a log axis, written as short as it is: `0.05`, `20`, `1e-5`.
fn log_label(v: f64) -> String {
    if (1e-3..1e5).contains(&v) {
        let decimals = (-v.log10().floor()).max(0.0) as usize + 1;
        let s = format!("{v:.decimals$}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round_and_a_loss_axis_stays_at_or_above_zero() {
        let a = axis(&[0.01, 0.6701], false, true, false);
        assert!(a.lo >= 0.0);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(
            labels,
            ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]
        );
    }

    #[test]
    fn log_ticks_over_two_decades_are_one_two_five() {
        let a = axis(&[16.0, 0.3], true, true, false);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0.5", "1", "2", "5", "10"]);
        assert!(a.lo < 0.3f64.log10() && a.hi > 16f64.log10());
    }

    #[test]
    fn log_labels_are_short() {
        assert_eq!(log_label(0.05), "0.05");
        assert_eq!(log_label(20.0), "20");
        assert_eq!(log_label(1e-5), "1e-5");
        assert_eq!(log_label(1.5), "1.5");
    }

    #[test]
    fn the_auto_rule_needs_positive_values_spanning_more_than_twenty_times() {
        assert!(auto_log([16.0, 2.0, 0.3].into_iter()));
        assert!(!auto_log([1.0, 0.1].into_iter()));
        assert!(!auto_log([16.0, 0.0, 0.3].into_iter()));
    }
}
