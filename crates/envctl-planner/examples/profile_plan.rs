//! Callgrind driver for `docs/benchmarks.md`: `plan_up` on the 5,000-service tree of
//! `benches/plan.rs`, ten times, inside `profiled_work` (collect with
//! `valgrind --tool=callgrind --toggle-collect='*profiled_work*'`).
use envctl_parser::{
    Dependency, DependencyKind, FileId, Format, Link, Project, Service, ServiceName, SourceMap,
    Span,
};
use envctl_planner::{Observed, UpOptions, plan_up};
use indexmap::IndexMap;
use std::fmt::Write as _;
use std::hint::black_box;

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
        sources,
        warnings: Vec::new(),
        networks: IndexMap::new(),
        volumes: IndexMap::new(),
    }
}

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
    black_box(profiled_work(&project, &observed));
}
