//! Printing (PyTorch style, summarized when large) and `approx` comparisons.

use std::fmt;

use crate::element::Float;
use crate::tensor::Tensor;

/// Tensors with more elements than this print only the first and last [`EDGE_ITEMS`]
/// entries along each axis, as NumPy and PyTorch do.
pub const SUMMARY_THRESHOLD: usize = 1000;
/// Entries shown at each end of an axis in a summarized print.
pub const EDGE_ITEMS: usize = 3;

/// How a group of numbers is printed: fixed-point with `precision` decimals, or scientific
/// notation when some value would otherwise print as `0.0000` or be very long (as
/// PyTorch does: a nonzero magnitude below 1e-4, or any at or above 1e8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberFormat {
    /// Digits after the decimal point (of the mantissa, in scientific notation).
    pub precision: usize,
    /// Scientific notation.
    pub scientific: bool,
}

impl NumberFormat {
    /// The format for printing all of `values` consistently.
    ///
    /// ```
    /// use tensor::display::NumberFormat;
    /// assert_eq!(NumberFormat::for_values(&[0.5f32, 2.0], 4).format(0.5f32), "0.5000");
    /// let small = NumberFormat::for_values(&[2.4576e-5f64, 1.0], 4);
    /// assert_eq!(small.format(2.4576e-5f64), "2.4576e-5");
    /// ```
    pub fn for_values<T: Float>(values: &[T], precision: usize) -> Self {
        let scientific = values.iter().any(|v| {
            let a = v.abs().to_f64();
            a.is_finite() && a != 0.0 && !(1e-4..1e8).contains(&a)
        });
        NumberFormat {
            precision,
            scientific,
        }
    }

    /// One value in this format.
    pub fn format<T: Float>(self, v: T) -> String {
        if self.scientific {
            format!("{:.*e}", self.precision, v.to_f64())
        } else {
            format!("{:.*}", self.precision, v)
        }
    }
}

impl<T: Float> fmt::Display for Tensor<T> {
    /// Prints like PyTorch, one row per line, 4 decimals unless a precision is given,
    /// switching the whole tensor to scientific notation when a value needs it.
    ///
    /// ```
    /// let t = tensor::Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(format!("{t:.1}"), "tensor([[1.0, 2.0],\n        [3.0, 4.0]])");
    /// assert_eq!(format!("{}", tensor::Tensor::scalar(0.5f64)), "tensor(0.5000)");
    /// // Empty: PyTorch's form, the shape named unless the tensor is 1-D.
    /// assert_eq!(format!("{}", tensor::Tensor::<f32>::zeros(&[0])), "tensor([])");
    /// assert_eq!(format!("{}", tensor::Tensor::<f32>::zeros(&[3, 0])), "tensor([], size=(3, 0))");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.numel() == 0 {
            // Printing each empty row would take as long as the other axes are (a
            // `[1 << 62, 0]` tensor has no end).
            return match self.shape() {
                [_] => f.write_str("tensor([])"),
                shape => {
                    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
                    write!(f, "tensor([], size=({}))", dims.join(", "))
                }
            };
        }
        let summarize = self.numel() > SUMMARY_THRESHOLD;
        // Summarized, only the entries shown are read: each axis longer than
        // 2·EDGE_ITEMS keeps its first and last `EDGE_ITEMS`, so a broadcast view of 2^40
        // elements with a long axis prints at once (one of forty axes of 2 would still
        // print every entry, as PyTorch would).
        let cut: Vec<bool> = self
            .shape()
            .iter()
            .map(|&len| summarize && len > 2 * EDGE_ITEMS)
            .collect();
        let shape: Vec<usize> = self
            .shape()
            .iter()
            .zip(&cut)
            .map(|(&len, &c)| if c { 2 * EDGE_ITEMS } else { len })
            .collect();
        let data = if summarize {
            self.shown_entries(&shape, &cut)
        } else {
            self.to_vec()
        };
        // As PyTorch, the format is chosen from the entries shown.
        let format = NumberFormat::for_values(&data, f.precision().unwrap_or(4));
        let printer = Printer {
            data,
            shape: &shape,
            cut: &cut,
            format,
        };
        let mut out = String::from("tensor(");
        printer.write(&mut out, 0, 0);
        out.push(')');
        f.write_str(&out)
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tensor<{}> shape={:?} strides={:?} offset={} {}",
            T::NAME,
            self.shape(),
            self.strides(),
            self.layout.offset(),
            self
        )
    }
}

impl<T: Float> Tensor<T> {
    /// The entries a summarized print shows, in row-major order of `shown` (the shape
    /// with each `cut` axis shortened to its first and last [`EDGE_ITEMS`]).
    fn shown_entries(&self, shown: &[usize], cut: &[bool]) -> Vec<T> {
        let n: usize = shown.iter().product();
        let mut data = Vec::with_capacity(n);
        let mut index = vec![0usize; shown.len()];
        let mut at = vec![0usize; shown.len()];
        for _ in 0..n {
            for (k, (&i, &c)) in index.iter().zip(cut).enumerate() {
                // Past the first EDGE_ITEMS, a cut axis continues at its last ones.
                at[k] = if c && i >= EDGE_ITEMS {
                    self.shape()[k] - 2 * EDGE_ITEMS + i
                } else {
                    i
                };
            }
            data.push(self.storage[self.layout.index_of(&at)]);
            crate::shape::next_index(&mut index, shown);
        }
        data
    }
}

/// Writes the entries shown, with `...` where a `cut` axis leaves entries out.
struct Printer<'a, T> {
    data: Vec<T>,
    shape: &'a [usize],
    cut: &'a [bool],
    format: NumberFormat,
}

impl<T: Float> Printer<'_, T> {
    /// Writes the sub-array at `axis` whose first element is `data[start]`.
    fn write(&self, out: &mut String, axis: usize, start: usize) {
        if axis == self.shape.len() {
            out.push_str(&self.format.format(self.data[start]));
            return;
        }
        let len = self.shape[axis];
        let block: usize = self.shape[axis + 1..].iter().product();
        let last_axis = axis + 1 == self.shape.len();
        let separator = if last_axis {
            ", ".to_string()
        } else {
            format!(",\n{}", " ".repeat("tensor([".len() + axis))
        };
        out.push('[');
        for i in 0..len {
            if self.cut[axis] && i == EDGE_ITEMS {
                out.push_str("...");
                out.push_str(&separator);
            }
            self.write(out, axis + 1, start + i * block);
            if i + 1 < len {
                out.push_str(&separator);
            }
        }
        out.push(']');
    }
}

impl<T: Float> approx::AbsDiffEq for Tensor<T> {
    type Epsilon = T;

    fn default_epsilon() -> T {
        T::default_epsilon()
    }

    /// Equal shapes and every pair of elements within `epsilon`.
    fn abs_diff_eq(&self, other: &Self, epsilon: T) -> bool {
        self.shape() == other.shape()
            && self
                .to_vec()
                .iter()
                .zip(other.to_vec())
                .all(|(a, b)| a.abs_diff_eq(&b, epsilon))
    }
}

impl<T: Float> approx::RelativeEq for Tensor<T> {
    fn default_max_relative() -> T {
        T::default_max_relative()
    }

    /// Equal shapes and every pair of elements relatively equal.
    ///
    /// ```
    /// use tensor::Tensor;
    /// let a = Tensor::from([1.0f64, 2.0]);
    /// approx::assert_relative_eq!(a.clone() * 3.0, Tensor::from([3.0, 6.0]), max_relative = 1e-12);
    /// ```
    fn relative_eq(&self, other: &Self, epsilon: T, max_relative: T) -> bool {
        self.shape() == other.shape()
            && self
                .to_vec()
                .iter()
                .zip(other.to_vec())
                .all(|(a, b)| a.relative_eq(&b, epsilon, max_relative))
    }
}

impl<T: Float> approx::UlpsEq for Tensor<T> {
    fn default_max_ulps() -> u32 {
        T::default_max_ulps()
    }

    /// Equal shapes and every pair of elements within `max_ulps` units in the last place.
    fn ulps_eq(&self, other: &Self, epsilon: T, max_ulps: u32) -> bool {
        self.shape() == other.shape()
            && self
                .to_vec()
                .iter()
                .zip(other.to_vec())
                .all(|(a, b)| a.ulps_eq(&b, epsilon, max_ulps))
    }
}

impl<T: Float> PartialEq for Tensor<T> {
    /// Equal shapes and equal elements (NaN is never equal, as for floats).
    fn eq(&self, other: &Self) -> bool {
        self.shape() == other.shape() && self.to_vec() == other.to_vec()
    }
}
