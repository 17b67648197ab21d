//! Planning cost on large projects (issue #4 target: 5,000 services under 20 ms).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use envctl_planner::{DependencyGraph, Observed, UpOptions, plan_up};

#[path = "support/tree_project.rs"]
mod tree_project;

use tree_project::{after_first_up, tree_project};

fn planning(criterion: &mut Criterion) {
    let project = tree_project(5_000);
    let mut observed = Observed::default();
    observed
        .images
        .insert("envctl-test/busybox:latest".into(), "sha256:1".into());
    criterion.bench_function("graph_5000", |bench| {
        bench.iter(|| DependencyGraph::new(black_box(&project)).map(|graph| graph.order().len()));
    });
    let service = &project.services[0];
    criterion.bench_function("config_hash", |bench| {
        bench.iter(|| envctl_planner::config_hash(black_box(service), Some("sha256:1")));
    });
    criterion.bench_function("plan_up_5000", |bench| {
        bench.iter(|| {
            plan_up(black_box(&project), &observed, &UpOptions::default())
                .map(|plan| plan.steps.len())
        });
    });
    // `up` with nothing to do: 5,000 containers observed, every one up to date.
    let running = after_first_up(&project, &observed);
    assert!(
        plan_up(&project, &running, &UpOptions::default()).is_ok_and(|plan| plan.is_noop()),
        "up again must plan nothing"
    );
    criterion.bench_function("plan_up_again_5000", |bench| {
        bench.iter(|| {
            plan_up(black_box(&project), &running, &UpOptions::default())
                .map(|plan| plan.steps.len())
        });
    });
}

criterion_group!(benches, planning);
criterion_main!(benches);
