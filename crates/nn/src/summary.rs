//! The layer table of [`Model::summary`](crate::Model::summary) and
//! [`Sequential::summary`](crate::Sequential::summary), laid out as Keras'
//! `model.summary()`: one row per layer with its output shape and parameter count, then the
//! total, trainable and non-trainable counts with their size in memory. The modules inside
//! a layer ([`Module::children`](crate::Module::children), at any depth) follow it as
//! indented rows with their counts and `--` for a shape (a custom `forward` decides it), as
//! torchinfo nests them.
//!
//! Output shapes come from a forward pass on zeros (one row, evaluation mode, no tape
//! kept), layer by layer. The batch axis shows as `None` (the model takes any batch size).
//! An axis the input shape leaves open (a sequence length, an image size) is probed with
//! two lengths, 32 and 64: an output axis that differs between the two passes depends on
//! it and shows as `None`, as Keras shows it. A layer whose declared
//! [`input_shape`](crate::Module::input_shape) does not fit the probe (a `Linear` after a
//! `Flatten` of an image of unknown size) ends the probe, and it and the layers after it
//! show `?`; so does every layer when the model's input shape is unknown. Give the shape
//! with `summary_for` to see them.
//!
//! Counting follows Keras: a layer's `Param #` holds its parameters and its buffers that
//! are weights (BatchNorm's running mean and variance, which Keras counts as its
//! non-trainable `moving_mean` and `moving_variance`); frozen parameters
//! ([`Module::freeze`](crate::Module::freeze)) and those buffers are the non-trainable
//! ones. PyTorch's `num_batches_tracked` is a step counter, not a weight (Keras has none),
//! and is not counted.

use autograd::Tape;
use tensor::{Float, Tensor};

use crate::module::Module;

/// The two lengths an open axis is probed with.
const PROBES: [usize; 2] = [32, 64];

/// Shape of one layer's output without the batch axis: `None` for an axis that depends on
/// an open input axis. `None` as a whole when the probe did not reach the layer.
type Probed = Option<Vec<Option<usize>>>;

/// The summary table of `module` (in evaluation mode afterwards) for samples shaped
/// `sample` (no batch axis; `None` for an open axis), or for the module's own
/// [`Module::input_shape`] when `sample` is `None`.
pub(crate) fn table<T: Float>(
    module: &mut dyn Module<T>,
    title: &str,
    sample: Option<Vec<Option<usize>>>,
) -> String {
    module.set_training(false);
    let module: &dyn Module<T> = module;
    let sample = sample.or_else(|| module.input_shape());
    let layers: Vec<(String, &dyn Module<T>)> = match module.as_sequential() {
        Some(seq) => seq
            .layers()
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("{i} ({})", l.describe()), &**l))
            .collect(),
        None => vec![(module.describe(), module)],
    };
    let shapes = match &sample {
        Some(s) => probe(&layers, s),
        None => vec![None; layers.len()],
    };
    let mut rows: Vec<[String; 3]> = Vec::new();
    for ((name, layer), shape) in layers.iter().zip(&shapes) {
        let (trainable, frozen) = counts(*layer);
        rows.push([
            name.clone(),
            show_shape(shape),
            with_commas(trainable + frozen),
        ]);
        inner_rows(*layer, 1, &mut rows);
    }
    let nested = rows.iter().any(|r| r[1] == INNER);
    let (trainable, frozen) = counts(module);
    render(title, &rows, trainable, frozen, std::mem::size_of::<T>())
        + if shapes.iter().any(Option::is_none) {
            " (? = unknown output shape: give one sample's shape, without the batch axis, \
             with summary_for)\n"
        } else {
            ""
        }
        + if nested {
            " (indented rows: the layers inside the one above, whose own forward decides \
             their output shapes)\n"
        } else {
            ""
        }
}

/// The Output Shape of a row inside another layer (its shapes are not traced).
const INNER: &str = "--";

/// A row per module inside `module` ([`Module::children`]), at every depth, indented two
/// spaces per level under the layer holding it, as torchinfo nests them.
fn inner_rows<T: Float>(module: &dyn Module<T>, depth: usize, rows: &mut Vec<[String; 3]>) {
    for (name, child) in module.children() {
        let (trainable, frozen) = counts(child);
        rows.push([
            format!("{}{name} ({})", "  ".repeat(depth), child.describe()),
            INNER.to_string(),
            with_commas(trainable + frozen),
        ]);
        inner_rows(child, depth + 1, rows);
    }
}

/// (trainable, non-trainable) scalars of a module, as Keras counts them.
fn counts<T: Float>(module: &dyn Module<T>) -> (usize, usize) {
    let (mut trainable, mut frozen) = (0, 0);
    for (_, p) in module.parameters() {
        if p.trainable() {
            trainable += p.numel();
        } else {
            frozen += p.numel();
        }
    }
    for (name, b) in module.buffers() {
        if !name.ends_with("num_batches_tracked") {
            frozen += b.numel();
        }
    }
    (trainable, frozen)
}

/// Each layer's output shape, from one pass when every axis is known, or two passes that
/// tell which axes follow the open ones.
fn probe<T: Float>(layers: &[(String, &dyn Module<T>)], sample: &[Option<usize>]) -> Vec<Probed> {
    let passes: Vec<Vec<Vec<usize>>> = if sample.iter().all(Option::is_some) {
        vec![pass(
            layers,
            sample.iter().map(|d| d.unwrap_or(0)).collect(),
        )]
    } else {
        PROBES
            .iter()
            .map(|&p| pass(layers, sample.iter().map(|d| d.unwrap_or(p)).collect()))
            .collect()
    };
    (0..layers.len())
        .map(|i| {
            let outs: Vec<&Vec<usize>> = passes.iter().filter_map(|p| p.get(i)).collect();
            if outs.len() < passes.len() || outs.iter().any(|o| o.len() != outs[0].len()) {
                return None;
            }
            Some(
                (1..outs[0].len())
                    .map(|a| {
                        let d = outs[0][a];
                        outs.iter().all(|o| o[a] == d).then_some(d)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// One forward pass of a one-row batch of zeros shaped `[1, sample…]`: the output shape
/// of each layer, up to the first layer whose declared input shape does not fit.
fn pass<T: Float>(layers: &[(String, &dyn Module<T>)], sample: Vec<usize>) -> Vec<Vec<usize>> {
    let tape = Tape::inference();
    let mut shape = vec![1];
    shape.extend(sample);
    let mut h = tape.constant(Tensor::<T>::zeros(&shape));
    let mut out = Vec::new();
    for (_, layer) in layers {
        if let Some(expected) = layer.input_shape() {
            let s = h.shape();
            let fits = s.len() == expected.len() + 1
                && s[1..]
                    .iter()
                    .zip(&expected)
                    .all(|(&n, e)| e.is_none() || *e == Some(n));
            if !fits {
                break;
            }
        }
        h = layer.forward(h);
        out.push(h.shape());
    }
    out
}

/// `(None, 7, 64)`, Keras' notation; `?` when unknown.
fn show_shape(shape: &Probed) -> String {
    let Some(axes) = shape else {
        return "?".to_string();
    };
    let mut parts = vec!["None".to_string()];
    parts.extend(
        axes.iter()
            .map(|a| a.map_or("None".to_string(), |n| n.to_string())),
    );
    if parts.len() == 1 {
        "(None,)".to_string()
    } else {
        format!("({})", parts.join(", "))
    }
}

/// `1234567` → `1,234,567`, as Keras prints counts.
pub(crate) fn with_commas(n: usize) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|g| g.iter().collect())
        .collect();
    groups.join(",")
}

/// Bytes in Keras' units: `3.50 KB` (powers of 1024).
fn memory(bytes: usize) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let (mut size, mut unit) = (bytes as f64, 0);
    while size >= 1024.0 && unit + 1 < units.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.2} {}", units[unit])
}

/// The table: columns as wide as their widest entry, counts right-aligned.
fn render(
    title: &str,
    rows: &[[String; 3]],
    trainable: usize,
    frozen: usize,
    bytes: usize,
) -> String {
    let header = ["Layer (type)", "Output Shape", "Param #"];
    let width = |c: usize| {
        rows.iter()
            .map(|r| r[c].chars().count())
            .chain([header[c].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let line = |c: char| c.to_string().repeat(w0 + w1 + w2 + 6) + "\n";
    let mut out = format!("Model: \"{title}\"\n");
    out += &line('_');
    out += &format!(
        " {:<w0$}  {:<w1$}  {:>w2$}\n",
        header[0], header[1], header[2]
    );
    out += &line('=');
    for r in rows {
        out += &format!(" {:<w0$}  {:<w1$}  {:>w2$}\n", r[0], r[1], r[2]);
    }
    out += &line('=');
    let total = trainable + frozen;
    for (name, n) in [
        ("Total", total),
        ("Trainable", trainable),
        ("Non-trainable", frozen),
    ] {
        out += &format!(
            " {name} params: {} ({})\n",
            with_commas(n),
            memory(n * bytes)
        );
    }
    out + &line('_')
}
