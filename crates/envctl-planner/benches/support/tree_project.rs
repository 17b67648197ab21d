//! The 5,000-service tree that `benches/plan.rs` and `examples/profile_plan.rs`
//! plan: layers of about √count services, each linking to two of the layer before.

use std::fmt::Write as _;

use envctl_parser::{
    Dependency, DependencyKind, FileId, Format, Link, Project, Service, ServiceName, SourceMap,
    Span,
};
use envctl_planner::{ContainerState, Observed, ObservedContainer, Op, UpOptions, plan_up};
use indexmap::IndexMap;

/// `count` services in layers of about √count, each linking to two of the layer before.
pub fn tree_project(count: usize) -> Project {
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
        secrets: IndexMap::new(),
        configs: IndexMap::new(),
        sources,
        warnings: Vec::new(),
    }
}

/// `observed` plus the containers the first `up` of `project` would create, as the
/// engine would report them afterwards: `up` again has nothing to do.
pub fn after_first_up(project: &Project, observed: &Observed) -> Observed {
    let mut after = observed.clone();
    let plan = plan_up(project, observed, &UpOptions::default()).expect("the tree plans");
    for (index, step) in plan.steps.iter().enumerate() {
        if let Op::Create {
            number,
            name,
            config_hash,
            config_digest,
            ..
        } = &step.op
        {
            after.containers.push(ObservedContainer {
                id: format!("{index:064x}"),
                name: name.clone(),
                service: step.service.to_string(),
                number: Some(*number),
                oneoff: false,
                config_hash: Some(config_hash.clone()),
                config_digest: Some(config_digest.clone()),
                state: ContainerState::Running,
                created: 0,
                has_links: !project.services[step.service.as_str()].links.is_empty(),
                mounts: Vec::new(),
            });
        }
    }
    after
}
