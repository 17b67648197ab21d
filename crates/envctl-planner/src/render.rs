//! `envctl graph`: the dependency graph as a tree, as DOT and as Mermaid.
//!
//! Every edge is labelled with the compose key that made it (`links`,
//! `volumes_from`, `net`, `pid`, `ipc`, `depends_on`). Output is deterministic:
//! services and edges appear in file order.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use envctl_parser::DependencyKind;
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::graph::DependencyGraph;

/// How `envctl graph` draws the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphFormat {
    /// Roots (services nothing depends on) with their dependencies below them.
    #[default]
    Tree,
    Dot,
    Mermaid,
}

impl DependencyGraph {
    pub fn render(&self, format: GraphFormat, project_name: &str) -> String {
        match format {
            GraphFormat::Tree => self.render_tree(),
            GraphFormat::Dot => self.render_dot(project_name),
            GraphFormat::Mermaid => self.render_mermaid(),
        }
    }

    /// Each edge once, `(from, to, kinds)`, in file order of `from` then `to`.
    fn labelled_edges(&self) -> Vec<(NodeIndex, NodeIndex, Vec<DependencyKind>)> {
        let mut edges: Vec<(NodeIndex, NodeIndex, Vec<DependencyKind>)> = Vec::new();
        let mut all: Vec<_> = self
            .graph
            .edge_references()
            .map(|edge| (edge.source(), edge.target(), edge.weight().0))
            .collect();
        all.sort();
        for (from, to, kind) in all {
            match edges.last_mut() {
                Some((last_from, last_to, kinds)) if *last_from == from && *last_to == to => {
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                _ => edges.push((from, to, vec![kind])),
            }
        }
        edges
    }

    fn kinds_between(&self, from: NodeIndex, to: NodeIndex) -> String {
        let kinds: BTreeSet<&str> = self
            .graph
            .edges_connecting(from, to)
            .map(|edge| edge.weight().0.key())
            .collect();
        kinds.into_iter().collect::<Vec<_>>().join(", ")
    }

    fn render_tree(&self) -> String {
        let mut out = String::new();
        let mut shown = BTreeSet::new();
        let roots: Vec<_> = self
            .graph
            .node_indices()
            .filter(|&node| {
                self.graph
                    .neighbors_directed(node, Direction::Incoming)
                    .next()
                    .is_none()
            })
            .collect();
        for root in roots {
            let _ = writeln!(out, "{}", self.graph[root]);
            shown.insert(root);
            self.render_children(root, "", &mut shown, &mut out);
        }
        out
    }

    fn render_children(
        &self,
        node: NodeIndex,
        prefix: &str,
        shown: &mut BTreeSet<NodeIndex>,
        out: &mut String,
    ) {
        let mut children: Vec<_> = self
            .graph
            .neighbors_directed(node, Direction::Outgoing)
            .collect();
        children.sort_unstable();
        children.dedup();
        for (position, &child) in children.iter().enumerate() {
            let last = position + 1 == children.len();
            let (branch, indent) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            let repeated = !shown.insert(child);
            let _ = writeln!(
                out,
                "{prefix}{branch}{} ({}){}",
                self.graph[child],
                self.kinds_between(node, child),
                if repeated { " (*)" } else { "" }
            );
            if !repeated {
                self.render_children(child, &format!("{prefix}{indent}"), shown, out);
            }
        }
    }

    fn render_dot(&self, project_name: &str) -> String {
        let mut out = format!("digraph {} {{\n  rankdir=LR;\n", dot_id(project_name));
        for node in self.graph.node_indices() {
            let _ = writeln!(out, "  {};", dot_id(self.graph[node].as_str()));
        }
        for (from, to, kinds) in self.labelled_edges() {
            let label: Vec<&str> = kinds.iter().map(|kind| kind.key()).collect();
            let _ = writeln!(
                out,
                "  {} -> {} [label={}];",
                dot_id(self.graph[from].as_str()),
                dot_id(self.graph[to].as_str()),
                dot_id(&label.join(", "))
            );
        }
        out.push_str("}\n");
        out
    }

    fn render_mermaid(&self) -> String {
        let mut out = String::from("graph TD\n");
        for node in self.graph.node_indices() {
            let _ = writeln!(out, "  s{}[\"{}\"]", node.index(), self.graph[node]);
        }
        for (from, to, kinds) in self.labelled_edges() {
            let label: Vec<&str> = kinds.iter().map(|kind| kind.key()).collect();
            let _ = writeln!(
                out,
                "  s{} -->|{}| s{}",
                from.index(),
                label.join(", "),
                to.index()
            );
        }
        out
    }
}

/// A DOT identifier: always quoted, with `"` and `\` escaped.
fn dot_id(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
