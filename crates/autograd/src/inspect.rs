//! Looking inside: the Wengert list as text, the graph as Graphviz DOT, and the backward
//! trace, for teaching and debugging.

use std::fmt::{self, Write};

use tensor::display::NumberFormat;
use tensor::{Float, Tensor};

use crate::grads::{Grads, Trace};
use crate::op::Op;
use crate::param::Param;
use crate::tape::{Node, Tape, Var};

/// Values with at most this many elements are printed in full in listings and graphs.
pub const SMALL_VALUE: usize = 6;

pub(crate) fn short_value<T: Float>(t: &Tensor<T>) -> String {
    if t.numel() == 0 || t.numel() > SMALL_VALUE {
        return String::new();
    }
    let values = t.to_vec();
    let format = NumberFormat::for_values(&values, 4);
    let body: Vec<String> = values
        .iter()
        .map(|&v| positive_zero(format.format(v)))
        .collect();
    if t.ndim() == 0 {
        body[0].clone()
    } else {
        format!("[{}]", body.join(", "))
    }
}

/// `-0.0000` (a negative zero, or a tiny negative value rounded) as `0.0000`.
fn positive_zero(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

pub(crate) fn op_text<T: Float>(tape: &Tape<T>, node: &Node<T>) -> String {
    let name = match node.op {
        Op::Custom(i) => format!("custom {}", tape.custom_name(i)),
        _ => node.op.name(),
    };
    let inputs: Vec<String> = node.inputs.iter().map(|i| format!("%{i}")).collect();
    if inputs.is_empty() {
        name
    } else {
        format!("{name} {}", inputs.join(" "))
    }
}

impl<T: Float> fmt::Display for Tape<T> {
    /// The Wengert list: one line per node with its id, op and inputs, label, shape, and
    /// value when small.
    ///
    /// ```
    /// let tape = autograd::Tape::new();
    /// let x = tape.var(tensor::Tensor::scalar(2.0f64)).label("x");
    /// let _y = (x * 3.0).exp();
    /// let text = tape.to_string();
    /// assert!(text.contains("%0 = var"));
    /// assert!(text.contains("%1 = mul 3 %0"));
    /// assert!(text.contains("%2 = exp %1"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes = self.nodes.borrow();
        writeln!(f, "Wengert list: {} nodes ({})", nodes.len(), T::NAME)?;
        let rows: Vec<[String; 4]> = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                [
                    format!("%{i} = {}", op_text(self, node)),
                    node.label.clone().unwrap_or_default(),
                    format!("{:?}", node.value.shape()),
                    short_value(&node.value),
                ]
            })
            .collect();
        // Columns as wide as their longest entry, so long op names keep them aligned.
        let width = |k: usize| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0);
        let (w0, w1, w2) = (width(0), width(1), width(2));
        for [lhs, label, shape, value] in &rows {
            let line = format!("{lhs:<w0$}  {label:<w1$}  {shape:<w2$}  {value}");
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

impl<T: Float> Tape<T> {
    /// Labels the nodes of these parameters with their names, as a module lists them
    /// (`0.weight`, `0.bias`: pass `model.parameters()`), so listings, graphs and traces
    /// show the module path (`0.weight`) instead of the parameter's own short name
    /// (`weight`). A label given by hand is kept.
    ///
    /// ```
    /// use autograd::{Param, Tape};
    /// use tensor::Tensor;
    /// let w = Param::new("weight", Tensor::from([2.0f64]));
    /// let tape = Tape::new();
    /// let _y = tape.param(&w) * 3.0;
    /// tape.name_params([("0.weight".to_string(), &w)]);
    /// assert!(tape.to_string().contains("0.weight"));
    /// ```
    pub fn name_params<'p>(&self, named: impl IntoIterator<Item = (String, &'p Param<T>)>)
    where
        T: 'p,
    {
        let mut nodes = self.nodes.borrow_mut();
        for (name, p) in named {
            for node in nodes.iter_mut() {
                let unnamed = node.label.as_deref().is_none_or(|l| l == p.name());
                if node.op == Op::Param(p.id()) && unnamed {
                    node.label = Some(name.clone());
                }
            }
        }
    }

    /// The graph in Graphviz DOT: one box per node with its op, label, shape and small
    /// values; edges from inputs to outputs.
    pub fn to_dot(&self) -> String {
        self.dot(None)
    }

    /// The graph in DOT with each node's gradient from `grads` added (leaves, parameters
    /// and retained nodes carry one).
    pub fn to_dot_with(&self, grads: &Grads<T>) -> String {
        self.dot(Some(grads))
    }

    /// The graph in DOT with every node's gradient from a traced backward pass
    /// ([`Var::backward_traced`](crate::Var::backward_traced)): intermediate nodes too.
    pub fn to_dot_traced(&self, trace: &Trace<T>) -> String {
        let grads = trace.all_gradients();
        self.dot_with(|i| grads.get(&i).cloned())
    }

    fn dot(&self, grads: Option<&Grads<T>>) -> String {
        self.dot_with(|i| grads.and_then(|g| g.get(&Var { id: i, tape: self }).cloned()))
    }

    /// Top to bottom (inputs above what is computed from them), one box per node with
    /// its op, label, shape, value and gradient when small.
    fn dot_with(&self, grad_of: impl Fn(usize) -> Option<Tensor<T>>) -> String {
        let nodes = self.nodes.borrow();
        let mut out = String::from(
            "digraph tape {\n  rankdir=TB;\n  node [shape=record, fontname=\"monospace\"];\n",
        );
        for (i, node) in nodes.iter().enumerate() {
            let mut fields = vec![format!(
                "%{i} {}",
                op_text(self, node).replace(['<', '>', '{', '}', '|'], " ")
            )];
            if let Some(label) = &node.label {
                fields.push(label.clone());
            }
            fields.push(format!("shape {:?}", node.value.shape()));
            let value = short_value(&node.value);
            if !value.is_empty() {
                fields.push(format!("value {value}"));
            }
            if let Some(g) = grad_of(i) {
                let gv = short_value(&g);
                fields.push(if gv.is_empty() {
                    format!("grad {:?}", g.shape())
                } else {
                    format!("grad {gv}")
                });
            }
            let style = if node.requires_grad {
                ""
            } else {
                ", style=dashed"
            };
            let _ = writeln!(
                out,
                "  n{i} [label=\"{{{}}}\"{style}];",
                fields.join("|").replace('"', "'")
            );
            for &input in &node.inputs {
                let _ = writeln!(out, "  n{input} -> n{i};");
            }
        }
        out.push_str("}\n");
        out
    }
}

impl<T: Float> Trace<T> {
    /// Every node's gradient: from its own step, or summed for leaves and parameters.
    pub(crate) fn all_gradients(&self) -> std::collections::HashMap<usize, Tensor<T>> {
        self.steps
            .iter()
            .map(|s| (s.node, s.grad.clone()))
            .chain(self.leaf_gradients())
            .collect()
    }

    /// The gradients of nodes that received contributions but ran no step of their own
    /// (leaves and parameters), summed: (node, total), in tape order.
    pub(crate) fn leaf_gradients(&self) -> Vec<(usize, Tensor<T>)> {
        let stepped: std::collections::HashSet<usize> = self.steps.iter().map(|s| s.node).collect();
        let mut totals: Vec<(usize, Tensor<T>)> = Vec::new();
        for step in &self.steps {
            for (input, c) in &step.sends {
                if stepped.contains(input) {
                    continue;
                }
                match totals.iter_mut().find(|(n, _)| n == input) {
                    Some((_, t)) => *t = &*t + c,
                    None => totals.push((*input, c.clone())),
                }
            }
        }
        // In tape order (inputs first), as the listing of the tape shows them.
        totals.sort_by_key(|(n, _)| *n);
        totals
    }

    /// The contributions sent to `node` by the steps before step `before`, as text.
    fn received(&self, node: usize, before: usize) -> Vec<String> {
        self.steps[..before]
            .iter()
            .flat_map(|s| s.sends.iter())
            .filter(|(n, _)| *n == node)
            .map(|(_, c)| value_or_shape(c))
            .collect()
    }
}

pub(crate) fn value_or_shape<T: Float>(t: &Tensor<T>) -> String {
    let v = short_value(t);
    if v.is_empty() {
        format!("shape {:?}", t.shape())
    } else {
        v
    }
}

impl<T: Float> fmt::Display for Trace<T> {
    /// Each backward step: the node, the gradient that reached it (written as the sum of
    /// its contributions where the value fanned out), and what it sent to each input as
    /// the chain rule computes it, `upstream × local = contribution`, with the local
    /// derivative written out for single-element values (`1.0000 × (1 − 0.7071²) =
    /// 0.5000`). Leaves and parameters, which run no step, end the trace with their sums.
    ///
    /// ```
    /// use autograd::Tape;
    /// use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::scalar(0.5f64)).label("x");
    /// let (_, trace) = (x * x).tanh().backward_traced();
    /// let text = trace.to_string();
    /// assert!(text.contains("× (1 − 0.2449²) ="), "{text}");
    /// assert!(text.contains("%0 (x): 0.4700 + 0.4700 = 0.9400"), "{text}");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "backward trace: {} steps, output first",
            self.steps.len()
        )?;
        for k in 0..self.steps.len() {
            for line in self.step_lines(k) {
                writeln!(f, "{line}")?;
            }
        }
        let leaves = self.leaf_lines();
        if !leaves.is_empty() {
            writeln!(f, "gradients of the inputs (sums of what they received):")?;
        }
        for line in leaves {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

impl<T: Float> Trace<T> {
    /// The lines `Display` prints for step `k` (from 0): the node and the gradient that
    /// reached it, then one `sends to` line per entry of its `sends`, in that order.
    pub(crate) fn step_lines(&self, k: usize) -> Vec<String> {
        let step = &self.steps[k];
        let label = step
            .label
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let g = value_or_shape(&step.grad);
        let received = self.received(step.node, k);
        let total = if received.len() > 1 {
            format!("{} = {g}", received.join(" + "))
        } else {
            g.clone()
        };
        let mut lines = vec![format!(
            "step {}: %{} = {}{label}: dL/d%{} = {total}",
            k + 1,
            step.node,
            step.op,
            step.node
        )];
        for (s, (input, c)) in step.sends.iter().enumerate() {
            let cv = value_or_shape(c);
            lines.push(match step.locals.get(s).cloned().flatten() {
                Some(local) => format!("    sends to %{input}: {g} × {local} = {cv}"),
                None => format!("    sends to %{input}: {cv}"),
            });
        }
        lines
    }

    /// The closing lines of `Display`, one per leaf or parameter that received a
    /// gradient, in the order of `leaf_gradients`: its sum.
    pub(crate) fn leaf_lines(&self) -> Vec<String> {
        self.leaf_gradients()
            .into_iter()
            .map(|(node, total)| {
                let label = self
                    .labels
                    .iter()
                    .find(|(n, _)| *n == node)
                    .map(|(_, l)| format!(" ({l})"))
                    .unwrap_or_default();
                let received = self.received(node, self.steps.len());
                let sum = if received.len() > 1 {
                    format!("{} = {}", received.join(" + "), value_or_shape(&total))
                } else {
                    value_or_shape(&total)
                };
                format!("    %{node}{label}: {sum}")
            })
            .collect()
    }
}
