//! Planning cost on large projects (issue #4 target: 5,000 services under 20 ms).

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use envctl_parser::{
    Dependency, DependencyKind, FileId, Format, Link, Project, Service, ServiceName, SourceMap,
    Span,
};
use envctl_planner::{DependencyGraph, Observed, UpOptions, plan_up};
use indexmap::IndexMap;

/// `count` services in layers of about √count, each linking to two of the layer before.
fn tree_project(count: usize) -> Project {
    let width = (1..=count)
        .find(|width| width * width >= count)
        .unwrap_or(1);
    let mut services = IndexMap::new();
    for index in 0..count {
        let name = ServiceName::new(format!("s{index}"));
        let mut service = Service::new(name.clone(), Span::new(FileId(0), 0, 0));
        service.image = Some("envctl-test/busybox:latest".into());
        service
            .options
            .insert("image".into(), "envctl-test/busybox:latest".into());
        if index >= width {
            let layer_start = (index / width - 1) * width;
            for target in [
                layer_start + index % width,
                layer_start + (index + 1) % width,
            ] {
                let target = ServiceName::new(format!("s{target}"));
                if service.links.iter().any(|link| link.target == target) {
                    continue;
                }
                service.links.push(Link {
                    target: target.clone(),
                    alias: None,
                });
                service.dependencies.push(Dependency {
                    target,
                    kind: DependencyKind::Link,
                    span: Span::new(FileId(0), 0, 0),
                });
            }
        }
        services.insert(name, service);
    }
    let mut text = String::new();
    let _ = write!(text, "# generated");
    let mut sources = SourceMap::default();
    sources.add("generated.yml".into(), text.into());
    Project {
        name: "bench".into(),
        working_dir: "/tmp".into(),
        config_files: Vec::new(),
        env_file: None,
        format: Format::V1,
        services,
        networks: IndexMap::new(),
        volumes: IndexMap::new(),
        sources,
        warnings: Vec::new(),
    }
}

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
}

criterion_group!(benches, planning);
criterion_main!(benches);
