//! Callgrind driver for `docs/benchmarks.md`: `plan_up` on the 5,000-service tree of
//! `benches/plan.rs` (with `again`: planned again after it is up), ten times, inside `profiled_work` (collect with
//! `valgrind --tool=callgrind --toggle-collect='*profiled_work*'`).
use std::hint::black_box;

use envctl_parser::Project;
use envctl_planner::{Observed, UpOptions, plan_up};

#[path = "../benches/support/tree_project.rs"]
mod tree_project;

use tree_project::{after_first_up, tree_project};

#[inline(never)]
fn profiled_work(project: &Project, observed: &Observed) -> usize {
    let mut total = 0;
    for _ in 0..10 {
        total += plan_up(black_box(project), observed, &UpOptions::default())
            .map_or(0, |plan| plan.steps.len());
    }
    total
}

fn main() {
    let project = tree_project(5_000);
    let mut observed = Observed::default();
    observed
        .images
        .insert("envctl-test/busybox:latest".into(), "sha256:1".into());
    // `profile_plan again`: `up` with nothing to do, every container observed.
    let observed = if std::env::args().nth(1).as_deref() == Some("again") {
        after_first_up(&project, &observed)
    } else {
        observed
    };
    black_box(profiled_work(&project, &observed));
}
