//! The tape as one self-contained HTML page, for teaching: the graph drawn top to bottom
//! as inline SVG, a side panel for the clicked node (op, shape, value, gradient, and the
//! local derivatives used in backward), and Step / Back / Reset buttons that walk the
//! backward trace one entry at a time, highlighting the node, the edges and the trace
//! lines of each step. Everything the page shows is text the trace itself prints
//! ([`Trace`]'s `Display`); the layout is computed here, the page's script
//! (`html/page.js`) only switches what is highlighted. No network, no CDN.
//!
//! The page reads `#step=K&select=N` from its address, so a link can open it at a given
//! step with a node selected (and a headless browser can be pointed at one).

use std::collections::HashMap;
use std::fmt::Write;
use std::io;
use std::path::Path;

use tensor::{Float, Tensor};

use crate::grads::Trace;
use crate::inspect::{op_text, short_value, value_or_shape};
use crate::tape::Tape;

const SCRIPT: &str = include_str!("html/page.js");
const STYLE: &str = include_str!("html/page.css");

/// Height of a node's box, the vertical gap between levels and the horizontal gap
/// between boxes, in SVG pixels; one character of the 12 px monospace font is about
/// 7.3 px wide.
const BOX_HEIGHT: f64 = 78.0;
const LEVEL_GAP: f64 = 56.0;
const BOX_GAP: f64 = 28.0;
const CHAR_WIDTH: f64 = 7.3;
const MARGIN: f64 = 20.0;

impl<T: Float> Tape<T> {
    /// The tape and a traced backward pass ([`Var::backward_traced`](crate::Var::backward_traced))
    /// as one self-contained HTML page (inline SVG, CSS and script; it loads nothing).
    ///
    /// The graph is drawn top to bottom, inputs above what is computed from them, one box
    /// per node with its op, label and value (or shape, when it has more than
    /// [`SMALL_VALUE`](crate::inspect::SMALL_VALUE) elements). Clicking a node shows its
    /// op, shape, full value, gradient, the lines of the trace in which it received its
    /// gradient (`upstream × local = contribution`) and the local derivatives it used to
    /// send its gradient on. **Step** walks the backward trace one entry at a time — the
    /// node processed is highlighted, with the inputs it sends to, the edges carrying the
    /// contributions and the trace's lines for that step; the last entry is the sums for
    /// the leaves and parameters. **Back** and **Reset** go the other way; the arrow keys
    /// do the same. The address fragment `#step=K&select=N` opens the page at entry `K`
    /// with node `%N` selected, and the page keeps it up to date, so a link shows what
    /// you see.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(2.0f64)).label("x");
    /// let w = tape.var(Tensor::scalar(-0.5)).label("w");
    /// let (_, trace) = (x * w).tanh().backward_traced();
    /// let page = tape.to_html(&trace);
    /// assert!(page.starts_with("<!DOCTYPE html>"));
    /// assert!(page.contains("× (1 − (−0.7616)²)")); // tanh's local derivative
    /// assert!(!page.contains("http://") && !page.contains("https://")); // nothing to fetch
    /// ```
    #[must_use]
    pub fn to_html(&self, trace: &Trace<T>) -> String {
        let graph = self.graph_view(trace);
        let layout = layout(&graph);
        let mut page = String::with_capacity(16 * 1024);
        page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        page.push_str("<title>wengert: the tape, forward and backward</title>\n<style>\n");
        page.push_str(STYLE);
        page.push_str("</style>\n</head>\n<body>\n");
        let _ = writeln!(
            page,
            "<header><h1>The tape, forward and backward</h1><p>{} nodes ({}), {} backward \
             steps. Click a node to see its op, value, gradient and local derivatives; \
             <b>Step</b> walks the backward pass (arrow keys too).</p></header>",
            graph.nodes.len(),
            T::NAME,
            trace.steps.len()
        );
        page.push_str("<div id=\"tape\" data-step=\"0\" data-active-node=\"\" data-receiving=\"\">\n");
        page.push_str(&svg(&graph, &layout));
        page.push_str("<aside id=\"side\">\n<div id=\"controls\">");
        page.push_str("<button id=\"reset\" type=\"button\">Reset</button>");
        page.push_str("<button id=\"back\" type=\"button\">Back</button>");
        page.push_str("<button id=\"step\" type=\"button\">Step</button>");
        page.push_str("<span id=\"counter\"></span></div>\n");
        page.push_str("<pre id=\"trace\">");
        let _ = write!(
            page,
            "<span class=\"line\">backward trace: {} steps, output first</span>\n",
            trace.steps.len()
        );
        for (k, entry) in graph.entries.iter().enumerate() {
            for line in &entry.lines {
                let _ = write!(
                    page,
                    "<span class=\"line\" data-entry=\"{}\">{}</span>\n",
                    k + 1,
                    escape(line)
                );
            }
        }
        page.push_str("</pre>\n<div id=\"panel\"><p class=\"hint\">Click a node to see its \
                       details.</p></div>\n</aside>\n</div>\n");
        let _ = writeln!(
            page,
            "<details><summary>The Wengert list</summary><pre>{}</pre></details>",
            escape(&self.to_string())
        );
        let _ = writeln!(page, "<script>\nconst TAPE = {};\n", graph.to_json());
        page.push_str(SCRIPT);
        page.push_str("</script>\n</body>\n</html>\n");
        page
    }

    /// Writes [`Tape::to_html`] to `path` (one file, nothing else needed to view it).
    ///
    /// # Errors
    /// The I/O error if the file cannot be written.
    pub fn write_html(&self, path: impl AsRef<Path>, trace: &Trace<T>) -> io::Result<()> {
        std::fs::write(path, self.to_html(trace))
    }

    fn graph_view(&self, trace: &Trace<T>) -> GraphView {
        let grads = trace.all_gradients();
        let nodes = self.nodes.borrow();
        let mut edges: Vec<(usize, usize)> = Vec::new();
        let mut view_nodes: Vec<NodeView> = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                for &input in &node.inputs {
                    edges.push((input, i));
                }
                let small = short_value(&node.value);
                NodeView {
                    title: format!("%{i} = {}", op_text(self, node)),
                    label: node.label.clone().unwrap_or_default(),
                    shape: format!("{:?}", node.value.shape()),
                    boxed_value: if small.is_empty() {
                        format!("shape {:?}", node.value.shape())
                    } else {
                        format!("value {small}")
                    },
                    value: format!("{}", node.value),
                    grad: grads.get(&i).map(value_or_shape),
                    grad_full: grads.get(&i).map(|g: &Tensor<T>| format!("{g}")),
                    grad_at: None,
                    own_entry: None,
                    received: Vec::new(),
                    locals: Vec::new(),
                    inputs: node.inputs.to_vec(),
                    requires_grad: node.requires_grad,
                }
            })
            .collect();
        let mut entries = Vec::new();
        for (k, step) in trace.steps.iter().enumerate() {
            let lines = trace.step_lines(k);
            let mut used = vec![false; edges.len()];
            let mut flows = Vec::new();
            for (s, (input, c)) in step.sends.iter().enumerate() {
                let edge = (0..edges.len()).find(|&e| !used[e] && edges[e] == (*input, step.node));
                if let Some(e) = edge {
                    used[e] = true;
                    flows.push((e, value_or_shape(c)));
                }
                view_nodes[*input].received.push((k + 1, lines[s + 1].trim().to_string()));
                if let Some(Some(local)) = step.locals.get(s) {
                    let d = format!("d%{}/d%{input} = {local}", step.node);
                    view_nodes[step.node].locals.push(d);
                }
            }
            view_nodes[step.node].own_entry = Some(k + 1);
            view_nodes[step.node].grad_at = Some(k + 1);
            entries.push(Entry {
                node: Some(step.node),
                targets: step.sends.iter().map(|(n, _)| *n).collect(),
                flows,
                lines,
            });
        }
        let leaves = trace.leaf_gradients();
        if !leaves.is_empty() {
            let last = entries.len() + 1;
            for (n, _) in &leaves {
                view_nodes[*n].grad_at = Some(last);
            }
            let mut lines = vec!["gradients of the inputs (sums of what they received):".into()];
            lines.extend(trace.leaf_lines());
            entries.push(Entry {
                node: None,
                targets: leaves.iter().map(|(n, _)| *n).collect(),
                flows: Vec::new(),
                lines,
            });
        }
        GraphView {
            nodes: view_nodes,
            edges,
            entries,
        }
    }
}

/// What the page shows of one node, as text.
struct NodeView {
    title: String,
    label: String,
    shape: String,
    boxed_value: String,
    value: String,
    grad: Option<String>,
    grad_full: Option<String>,
    /// The entry (from 1) after which its gradient is complete.
    grad_at: Option<usize>,
    /// The entry (from 1) of its own backward step.
    own_entry: Option<usize>,
    /// (entry, trace line) for each contribution it received.
    received: Vec<(usize, String)>,
    /// Its local derivatives, `d%out/d%in = …`, as its step used them.
    locals: Vec<String>,
    inputs: Vec<usize>,
    requires_grad: bool,
}

/// One entry of the step control: a backward step, or the closing sums.
struct Entry {
    /// The node processed (none for the sums).
    node: Option<usize>,
    /// The nodes receiving a contribution (or, for the sums, the leaves).
    targets: Vec<usize>,
    /// (edge index, contribution) for the edges carrying this step's contributions.
    flows: Vec<(usize, String)>,
    /// The trace's lines for this entry.
    lines: Vec<String>,
}

struct GraphView {
    nodes: Vec<NodeView>,
    edges: Vec<(usize, usize)>,
    entries: Vec<Entry>,
}

impl GraphView {
    fn to_json(&self) -> String {
        let mut out = String::from("{\"nodes\":[");
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let received: Vec<String> = n
                .received
                .iter()
                .map(|(e, line)| format!("[{e},{}]", json_str(line)))
                .collect();
            let _ = write!(
                out,
                "\n{{\"id\":{i},\"title\":{},\"label\":{},\"shape\":{},\"value\":{},\
                 \"grad\":{},\"gradFull\":{},\"gradAt\":{},\"ownEntry\":{},\"received\":[{}],\
                 \"locals\":[{}],\"inputs\":[{}],\"requiresGrad\":{}}}",
                json_str(&n.title),
                json_str(&n.label),
                json_str(&n.shape),
                json_str(&n.value),
                json_opt(n.grad.as_deref()),
                json_opt(n.grad_full.as_deref()),
                n.grad_at.map_or("null".into(), |k| k.to_string()),
                n.own_entry.map_or("null".into(), |k| k.to_string()),
                received.join(","),
                n.locals.iter().map(|l| json_str(l)).collect::<Vec<_>>().join(","),
                join(&n.inputs),
                n.requires_grad
            );
        }
        out.push_str("],\n\"edges\":[");
        let edges: Vec<String> = self.edges.iter().map(|(a, b)| format!("[{a},{b}]")).collect();
        out.push_str(&edges.join(","));
        out.push_str("],\n\"entries\":[");
        for (k, e) in self.entries.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let flows: Vec<String> = e
                .flows
                .iter()
                .map(|(edge, c)| format!("[{edge},{}]", json_str(c)))
                .collect();
            let lines: Vec<String> = e.lines.iter().map(|l| json_str(l)).collect();
            let _ = write!(
                out,
                "\n{{\"node\":{},\"targets\":[{}],\"flows\":[{}],\"lines\":[{}]}}",
                e.node.map_or("null".into(), |n| n.to_string()),
                join(&e.targets),
                flows.join(","),
                lines.join(",")
            );
        }
        out.push_str("]}");
        out
    }
}

/// Where each box goes: (x, y, width) of its top-left corner, and the picture's size.
struct Layout {
    boxes: Vec<(f64, f64, f64)>,
    width: f64,
    height: f64,
}

/// A layered layout, top to bottom. A computed node's level is one below its deepest
/// input (its topological level); a leaf sits just above its first consumer, so inputs
/// are drawn next to where they are used. Within a level, boxes are ordered by the mean
/// position of the nodes they connect to (one barycentre pass) and centred.
fn layout(graph: &GraphView) -> Layout {
    let n = graph.nodes.len();
    let mut level = vec![0usize; n];
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, node) in graph.nodes.iter().enumerate() {
        level[i] = node.inputs.iter().map(|&j| level[j] + 1).max().unwrap_or(0);
        for &j in &node.inputs {
            consumers[j].push(i);
        }
    }
    // Push order is topological order, so consumers come later and their levels are final.
    for i in 0..n {
        if graph.nodes[i].inputs.is_empty() {
            if let Some(first) = consumers[i].iter().map(|&c| level[c]).min() {
                level[i] = first.saturating_sub(1);
            }
        }
    }
    let widths: Vec<f64> = graph
        .nodes
        .iter()
        .map(|node| {
            let longest = [&node.title, &node.label, &node.boxed_value]
                .iter()
                .map(|s| s.chars().count())
                .chain(node.grad.iter().map(|g| g.chars().count() + 5))
                .max()
                .unwrap_or(0);
            (longest as f64 * CHAR_WIDTH + 20.0).max(90.0)
        })
        .collect();
    let depth = level.iter().max().map_or(0, |&d| d + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for i in 0..n {
        rows[level[i]].push(i);
    }
    let place = |rows: &[Vec<usize>]| {
        let row_width = |row: &Vec<usize>| {
            row.iter().map(|&i| widths[i]).sum::<f64>() + BOX_GAP * row.len().saturating_sub(1) as f64
        };
        let widest = rows.iter().map(row_width).fold(0.0, f64::max);
        let mut boxes = vec![(0.0, 0.0, 0.0); n];
        for (d, row) in rows.iter().enumerate() {
            let mut x = MARGIN + (widest - row_width(row)) / 2.0;
            let y = MARGIN + d as f64 * (BOX_HEIGHT + LEVEL_GAP);
            for &i in row {
                boxes[i] = (x, y, widths[i]);
                x += widths[i] + BOX_GAP;
            }
        }
        (boxes, widest)
    };
    let (first, _) = place(&rows);
    let centre = |boxes: &[(f64, f64, f64)], i: usize| boxes[i].0 + boxes[i].2 / 2.0;
    let mut placed = first.clone();
    for d in 0..depth {
        let key = |i: usize| {
            let near = if graph.nodes[i].inputs.is_empty() {
                consumers[i].iter().map(|&c| centre(&first, c)).collect::<Vec<_>>()
            } else {
                graph.nodes[i].inputs.iter().map(|&j| centre(&placed, j)).collect()
            };
            if near.is_empty() {
                centre(&first, i)
            } else {
                near.iter().sum::<f64>() / near.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> = rows[d].iter().map(|&i| (key(i), i)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        rows[d] = keyed.into_iter().map(|(_, i)| i).collect();
        placed = place(&rows).0;
    }
    let (boxes, widest) = place(&rows);
    Layout {
        boxes,
        width: widest + 2.0 * MARGIN,
        height: depth as f64 * (BOX_HEIGHT + LEVEL_GAP) - LEVEL_GAP + 2.0 * MARGIN,
    }
}

/// The graph as inline SVG: edges (with an empty label the script fills with the
/// contribution an edge carries at the current step), then one box per node.
fn svg(graph: &GraphView, layout: &Layout) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<div id=\"graph\"><svg width=\"{w:.0}\" \
         height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" \
         aria-label=\"the tape as a graph\">",
        w = layout.width,
        h = layout.height
    );
    out.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>\n",
    );
    let mut arrivals: HashMap<usize, usize> = HashMap::new();
    for (e, &(from, to)) in graph.edges.iter().enumerate() {
        let (fx, fy, fw) = layout.boxes[from];
        let (tx, ty, tw) = layout.boxes[to];
        let count = graph.nodes[to].inputs.len();
        let slot = arrivals.entry(to).or_insert(0);
        *slot += 1;
        let (x1, y1) = (fx + fw / 2.0, fy + BOX_HEIGHT);
        let (x2, y2) = (tx + tw * *slot as f64 / (count + 1) as f64, ty);
        let bend = (y2 - y1) / 2.0;
        let _ = writeln!(
            out,
            "<g class=\"edge\" id=\"edge-{e}\" data-from=\"{from}\" data-to=\"{to}\">\
             <path d=\"M {x1:.1} {y1:.1} C {x1:.1} {:.1}, {x2:.1} {:.1}, {x2:.1} {y2:.1}\" \
             marker-end=\"url(#arrow)\"/>\
             <text class=\"flow\" x=\"{:.1}\" y=\"{:.1}\"></text></g>",
            y1 + bend,
            y2 - bend,
            (x1 + x2) / 2.0 + 6.0,
            (y1 + y2) / 2.0 + 4.0
        );
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        let (x, y, w) = layout.boxes[i];
        let constant = if node.requires_grad { "" } else { " constant" };
        let _ = writeln!(
            out,
            "<g class=\"node{constant}\" id=\"node-{i}\" data-node=\"{i}\" tabindex=\"0\">\
             <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BOX_HEIGHT}\" rx=\"6\"/>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" class=\"title\">{}</text>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" class=\"label\">{}</text>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" class=\"value\">{}</text>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" class=\"grad\" id=\"grad-{i}\"></text></g>",
            y + 18.0,
            escape(&node.title),
            y + 35.0,
            escape(&node.label),
            y + 52.0,
            escape(&node.boxed_value),
            y + 69.0,
            tx = x + 10.0,
        );
    }
    out.push_str("</svg></div>\n");
    out
}

/// Text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A JSON string literal, safe inside a `<script>` element (`<` is written `\u003c`, so
/// no `</script>` can end it early).
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_string(), json_str)
}

fn join(ids: &[usize]) -> String {
    ids.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::json_str;

    #[test]
    fn json_strings_escape_quotes_controls_and_script_ends() {
        assert_eq!(json_str("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(json_str("</script>"), "\"\\u003c/script>\"");
        assert_eq!(json_str("\u{1}"), "\"\\u0001\"");
        assert_eq!(json_str("1 − 0.7071²"), "\"1 − 0.7071²\"");
    }
}
