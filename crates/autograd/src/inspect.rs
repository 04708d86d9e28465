//! Looking inside: the Wengert list as text, the graph as Graphviz DOT, and the backward
//! trace, for teaching and debugging.

use std::fmt::{self, Write};

use tensor::display::NumberFormat;
use tensor::{Float, Tensor};

use crate::grads::{Grads, Trace};
use crate::op::Op;
use crate::tape::{Node, Tape, Var};

/// Values with at most this many elements are printed in full in listings and graphs.
pub const SMALL_VALUE: usize = 6;

pub(crate) fn short_value<T: Float>(t: &Tensor<T>) -> String {
    if t.numel() == 0 || t.numel() > SMALL_VALUE {
        return String::new();
    }
    let values = t.to_vec();
    let format = NumberFormat::for_values(&values, 4);
    let body: Vec<String> = values.iter().map(|&v| format.format(v)).collect();
    if t.ndim() == 0 {
        body[0].clone()
    } else {
        format!("[{}]", body.join(", "))
    }
}

fn op_text<T: Float>(tape: &Tape<T>, node: &Node<T>) -> String {
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
        for (i, node) in nodes.iter().enumerate() {
            let lhs = format!("%{i} = {}", op_text(self, node));
            let label = node.label.as_deref().unwrap_or("");
            let shape = format!("{:?}", node.value.shape());
            writeln!(
                f,
                "{lhs:<36} {label:<10} {shape:<12} {}",
                short_value(&node.value)
            )?;
        }
        Ok(())
    }
}

impl<T: Float> Tape<T> {
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

    fn dot(&self, grads: Option<&Grads<T>>) -> String {
        let nodes = self.nodes.borrow();
        let mut out = String::from(
            "digraph tape {\n  rankdir=LR;\n  node [shape=record, fontname=\"monospace\"];\n",
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
            let var = Var { id: i, tape: self };
            if let Some(g) = grads.and_then(|g| g.get(&var)) {
                let gv = short_value(g);
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

impl<T: Float> fmt::Display for Trace<T> {
    /// Each backward step: the node, the gradient that reached it, and what it sent to
    /// each input (the chain rule, upstream × local = contribution).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "backward trace: {} steps, output first",
            self.steps.len()
        )?;
        for (k, step) in self.steps.iter().enumerate() {
            let label = step
                .label
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            let g = short_value(&step.grad);
            let g = if g.is_empty() {
                format!("shape {:?}", step.grad.shape())
            } else {
                g
            };
            writeln!(
                f,
                "step {}: %{} = {}{label}: dL/d%{} = {g}",
                k + 1,
                step.node,
                step.op,
                step.node
            )?;
            for (input, c) in &step.sends {
                let cv = short_value(c);
                let cv = if cv.is_empty() {
                    format!("shape {:?}", c.shape())
                } else {
                    cv
                };
                writeln!(f, "    sends to %{input}: {cv}")?;
            }
        }
        Ok(())
    }
}
