//! `envctl graph` renderings.

mod common;

use common::project;
use envctl_planner::{DependencyGraph, GraphFormat};

fn demo() -> DependencyGraph {
    let project = project(&[
        ("front", &["web1", "web2"]),
        ("web1", &["db"]),
        ("web2", &["db"]),
        ("db", &["dbdata"]),
        ("dbdata", &[]),
    ]);
    DependencyGraph::new(&project).expect("acyclic")
}

#[test]
fn tree_shows_roots_with_dependencies_below_and_marks_repeats() {
    insta::assert_snapshot!(demo().render(GraphFormat::Tree, "demo"), @r"
    front
    ├── web1 (links)
    │   └── db (links)
    │       └── dbdata (links)
    └── web2 (links)
        └── db (links) (*)
    ");
}

#[test]
fn dot_labels_every_edge_with_its_key() {
    insta::assert_snapshot!(demo().render(GraphFormat::Dot, "demo"), @r#"
    digraph "demo" {
      rankdir=LR;
      "front";
      "web1";
      "web2";
      "db";
      "dbdata";
      "front" -> "web1" [label="links"];
      "front" -> "web2" [label="links"];
      "web1" -> "db" [label="links"];
      "web2" -> "db" [label="links"];
      "db" -> "dbdata" [label="links"];
    }
    "#);
}

#[test]
fn mermaid_uses_safe_node_ids() {
    insta::assert_snapshot!(demo().render(GraphFormat::Mermaid, "demo"), @r#"
    graph TD
      s0["front"]
      s1["web1"]
      s2["web2"]
      s3["db"]
      s4["dbdata"]
      s0 -->|links| s1
      s0 -->|links| s2
      s1 -->|links| s3
      s2 -->|links| s3
      s3 -->|links| s4
    "#);
}
