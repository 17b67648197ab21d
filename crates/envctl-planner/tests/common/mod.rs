//! Projects and observed containers built in code, for the planner's tests.
#![allow(dead_code)]

use std::fmt::Write as _;

use envctl_parser::{
    Dependency, DependencyKind, Format, Link, Project, Service, ServiceName, SourceMap, Span,
};
use envctl_planner::{ContainerState, Observed, ObservedContainer, config_hash};
use indexmap::IndexMap;

pub const IMAGE: &str = "envctl-test/busybox:latest";

/// A project from `(service, [links])`, in that order, every service on `IMAGE`.
pub fn project(services: &[(&str, &[&str])]) -> Project {
    let owned: Vec<(String, Vec<String>)> = services
        .iter()
        .map(|(name, links)| {
            (
                (*name).to_owned(),
                links.iter().map(|link| (*link).to_owned()).collect(),
            )
        })
        .collect();
    project_from(&owned)
}

/// [`project`] with owned names, for generated projects.
pub fn project_from(services: &[(String, Vec<String>)]) -> Project {
    let mut sources = SourceMap::default();
    let mut text = String::new();
    let mut offsets = Vec::new();
    for (name, links) in services {
        offsets.push(text.len());
        let _ = writeln!(text, "{name}:\n  image: x\n  links: {links:?}");
    }
    let file = sources.add("docker-compose.yml".into(), text.clone().into());
    let mut map = IndexMap::new();
    for ((name, links), offset) in services.iter().zip(offsets) {
        let mut service = Service::new(
            ServiceName::new(name.clone()),
            Span::new(file, offset, name.len()),
        );
        service.image = Some(IMAGE.to_owned());
        service.options.insert("image".into(), IMAGE.into());
        let link_offset = offset + name.len() + 14;
        for target in links {
            service.links.push(Link {
                target: ServiceName::new(target.clone()),
                alias: None,
            });
            service.dependencies.push(Dependency {
                target: ServiceName::new(target.clone()),
                kind: DependencyKind::Link,
                span: Span::new(file, link_offset, 5),
            });
        }
        map.insert(ServiceName::new(name.clone()), service);
    }
    Project {
        name: "demo".into(),
        working_dir: "/tmp/demo".into(),
        config_files: Vec::new(),
        env_file: None,
        format: Format::V1,
        services: map,
        networks: IndexMap::new(),
        volumes: IndexMap::new(),
        secrets: IndexMap::new(),
        configs: IndexMap::new(),
        sources,
        warnings: Vec::new(),
    }
}

/// The engine holds `IMAGE` and nothing else.
pub fn images() -> Observed {
    let mut observed = Observed::default();
    observed.images.insert(IMAGE.into(), "sha256:1".into());
    observed
}

/// An up-to-date container of `service`.
pub fn container(
    project: &Project,
    service: &str,
    number: u32,
    state: ContainerState,
) -> ObservedContainer {
    let hash = config_hash(&project.services[service], Some("sha256:1"));
    ObservedContainer {
        id: format!("{service}{number}id"),
        name: format!("demo_{service}_{number}"),
        service: service.into(),
        number: Some(number),
        oneoff: false,
        config_hash: Some(hash),
        config_digest: None,
        state,
        created: i64::from(number),
        has_links: !project.services[service].links.is_empty(),
        mounts: Vec::new(),
    }
}
