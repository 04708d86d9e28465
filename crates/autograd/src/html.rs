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

use std::fmt::Write;
use std::io;
use std::path::Path;

use tensor::{Float, Tensor};

use crate::grads::Trace;
use crate::inspect::{op_text, short_value};
use crate::tape::Tape;

mod layout;

use layout::{layout, svg};

const SCRIPT: &str = include_str!("html/page.js");
const STYLE: &str = include_str!("html/page.css");

/// Values with at most this many elements are written in their box.
const BOX_VALUES: usize = 3;

impl<T: Float> Tape<T> {
    /// The tape and a traced backward pass ([`Var::backward_traced`](crate::Var::backward_traced))
    /// as one self-contained HTML page (inline SVG, CSS and script; it loads nothing).
    ///
    /// The graph is drawn top to bottom, inputs above what is computed from them, one box
    /// per node with its op, label and value (or shape, when it has more than three
    /// elements). Clicking a node shows its op, shape, full value, gradient, the lines
    /// of the trace in which it received its gradient (`upstream × local = contribution`) and the local derivatives it used to
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
        page.push_str(
            "<div id=\"tape\" data-step=\"0\" data-active-node=\"\" data-receiving=\"\">\n",
        );
        page.push_str(&svg(&graph, &layout));
        page.push_str("<aside id=\"side\">\n<div id=\"controls\">");
        page.push_str("<button id=\"reset\" type=\"button\">Reset</button>");
        page.push_str("<button id=\"back\" type=\"button\">Back</button>");
        page.push_str("<button id=\"step\" type=\"button\">Step</button>");
        page.push_str("<span id=\"counter\"></span></div>\n");
        page.push_str("<pre id=\"trace\">");
        let _ = write!(
            page,
            "<span class=\"line\">backward trace: {} steps, output first</span>",
            trace.steps.len()
        );
        for (k, entry) in graph.entries.iter().enumerate() {
            for line in &entry.lines {
                let _ = write!(
                    page,
                    "<span class=\"line\" data-entry=\"{}\">{}</span>",
                    k + 1,
                    escape(line)
                );
            }
        }
        page.push_str(
            "</pre>\n<div id=\"panel\"><p class=\"hint\">Click a node to see its \
                       details.</p></div>\n</aside>\n</div>\n",
        );
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
                NodeView {
                    title: format!("%{i} = {}", op_text(self, node)),
                    label: node.label.clone().unwrap_or_default(),
                    shape: format!("{:?}", node.value.shape()),
                    boxed_value: match boxed(&node.value) {
                        Some(v) => format!("value {v}"),
                        None => format!("shape {:?}", node.value.shape()),
                    },
                    value: format!("{}", node.value),
                    grad: grads
                        .get(&i)
                        .map(|g| boxed(g).unwrap_or_else(|| format!("{:?}", g.shape()))),
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
                    flows.push((e, boxed(c).unwrap_or_else(|| format!("{:?}", c.shape()))));
                }
                view_nodes[*input]
                    .received
                    .push((k + 1, lines[s + 1].trim().to_string()));
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
    /// The gradient as its box shows it (values, or the shape in brackets).
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
                n.locals
                    .iter()
                    .map(|l| json_str(l))
                    .collect::<Vec<_>>()
                    .join(","),
                join(&n.inputs),
                n.requires_grad
            );
        }
        out.push_str("],\n\"edges\":[");
        let edges: Vec<String> = self
            .edges
            .iter()
            .map(|(a, b)| format!("[{a},{b}]"))
            .collect();
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

/// A value as its box shows it: written out when it has at most [`BOX_VALUES`] elements
/// (the panel shows every value in full).
fn boxed<T: Float>(t: &Tensor<T>) -> Option<String> {
    (t.numel() <= BOX_VALUES)
        .then(|| short_value(t))
        .filter(|v| !v.is_empty())
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
    ids.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
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
