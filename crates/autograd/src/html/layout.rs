//! Where the tape page's boxes and edges go: a layered layout, top to bottom, and the
//! graph drawn from it as inline SVG (`html.rs` writes the rest of the page).

use std::fmt::Write;

use super::{escape, GraphView};

/// Height of a node's box, the vertical gap between levels and the horizontal gap
/// between boxes, in SVG pixels; one character of the 12 px monospace font is about
/// 7.3 px wide.
const BOX_HEIGHT: f64 = 78.0;
const LEVEL_GAP: f64 = 56.0;
const BOX_GAP: f64 = 28.0;
const CHAR_WIDTH: f64 = 7.3;
const MARGIN: f64 = 20.0;

/// Where each box goes: (x, y, width) of its top-left corner, and the picture's size.
pub(super) struct Layout {
    boxes: Vec<(f64, f64, f64)>,
    width: f64,
    height: f64,
}

/// A layered layout, top to bottom. A computed node's level is one below its deepest
/// input (its topological level); a leaf sits just above its first consumer, so inputs
/// are drawn next to where they are used. Within a level, boxes are ordered by the mean
/// position of the nodes they connect to (one barycentre pass) and centred.
pub(super) fn layout(graph: &GraphView) -> Layout {
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
            row.iter().map(|&i| widths[i]).sum::<f64>()
                + BOX_GAP * row.len().saturating_sub(1) as f64
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
                consumers[i]
                    .iter()
                    .map(|&c| centre(&first, c))
                    .collect::<Vec<_>>()
            } else {
                graph.nodes[i]
                    .inputs
                    .iter()
                    .map(|&j| centre(&placed, j))
                    .collect()
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
pub(super) fn svg(graph: &GraphView, layout: &Layout) -> String {
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
         markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>\n",
    );
    // Each edge enters its target at a slot along the top edge, slots in the order of the
    // sources' positions, so edges into one box do not cross; a second edge between the
    // same two boxes (`x * x`) puts its label lower.
    let centre = |i: usize| layout.boxes[i].0 + layout.boxes[i].2 / 2.0;
    let mut slots = vec![(0usize, 0usize); graph.edges.len()];
    for to in 0..graph.nodes.len() {
        let mut into: Vec<usize> = (0..graph.edges.len())
            .filter(|&e| graph.edges[e].1 == to)
            .collect();
        into.sort_by(|&a, &b| centre(graph.edges[a].0).total_cmp(&centre(graph.edges[b].0)));
        for (rank, &e) in into.iter().enumerate() {
            let repeat = into[..rank]
                .iter()
                .filter(|&&p| graph.edges[p] == graph.edges[e])
                .count();
            slots[e] = (rank + 1, repeat);
        }
    }
    for (e, &(from, to)) in graph.edges.iter().enumerate() {
        let (fx, fy, fw) = layout.boxes[from];
        let (tx, ty, tw) = layout.boxes[to];
        let count = graph.nodes[to].inputs.len();
        let (slot, repeat) = slots[e];
        let (x1, y1) = (fx + fw / 2.0, fy + BOX_HEIGHT);
        let (x2, y2) = (tx + tw * slot as f64 / (count + 1) as f64, ty);
        let bend = (y2 - y1) / 2.0;
        // The label sits on the curve a quarter of the way down from the box it goes back to.
        let (lx, ly) = (x1 + (x2 - x1) * 0.16 + 6.0, y1 + (y2 - y1) * 0.25 + 4.0);
        let _ = writeln!(
            out,
            "<g class=\"edge\" id=\"edge-{e}\" data-from=\"{from}\" data-to=\"{to}\">\
             <path d=\"M {x1:.1} {y1:.1} C {x1:.1} {:.1}, {x2:.1} {:.1}, {x2:.1} {y2:.1}\" \
             marker-end=\"url(#arrow)\"/>\
             <text class=\"flow\" x=\"{lx:.1}\" y=\"{:.1}\"></text></g>",
            y1 + bend,
            y2 - bend,
            ly + 15.0 * repeat as f64
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
