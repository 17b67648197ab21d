//! `volumes_from` on a cluster: a container's volumes cannot be shared with
//! another node's. The source service's volumes (those the file gives it that are
//! not host paths, and those its image declares) become named volumes of the
//! stack, `<stack>_<source>_<n>`, mounted at the same paths in the source and in
//! every consumer, and source and consumers are pinned to one node (the manager
//! envctl deploys through, `StackOptions::pin_node`) where a local volume holds.
//! A source that is only that (a data-only container: nothing but `volumes_from`
//! refers to it) is not deployed at all: its volumes are what it was for.

use envctl_parser::{DependencyKind, Project, Service, VolumesFromSource};
use indexmap::IndexMap;
use serde_json::{Value, json};

use super::spec::{NAMESPACE_LABEL, scoped};

/// One translated volume: its name on the cluster and its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedVolume {
    pub name: String,
    pub target: String,
}

/// What the translation decided for the project.
#[derive(Debug, Clone, Default)]
pub(crate) struct VolumesFrom {
    /// By source service: its volumes as named volumes.
    pub sources: IndexMap<String, Vec<SharedVolume>>,
    /// Sources that are data-only and are not deployed.
    pub data_only: Vec<String>,
    /// Services (sources and consumers) pinned to one node.
    pub pinned: Vec<String>,
}

/// The translation of every `volumes_from` naming a service of the file.
pub(crate) fn translate(
    project: &Project,
    stack: &str,
    image_volumes: &IndexMap<String, Vec<String>>,
) -> VolumesFrom {
    let mut result = VolumesFrom::default();
    for consumer in project.services.values() {
        for from in &consumer.volumes_from {
            let VolumesFromSource::Service(source) = &from.source else {
                continue;
            };
            let Some(source_service) = project.service(source.as_str()) else {
                continue;
            };
            if !result.sources.contains_key(source.as_str()) {
                result.sources.insert(
                    source.to_string(),
                    shared_volumes(project, source_service, stack, image_volumes),
                );
            }
            for name in [consumer.name.as_str(), source.as_str()] {
                if !result.pinned.iter().any(|pinned| pinned == name) {
                    result.pinned.push(name.to_owned());
                }
            }
        }
    }
    for source in result.sources.keys() {
        let referred_otherwise = project.services.values().any(|service| {
            service.dependencies.iter().any(|dependency| {
                dependency.target.as_str() == source
                    && dependency.kind != DependencyKind::VolumesFrom
            })
        });
        let publishes = project
            .service(source)
            .is_some_and(|service| !service.ports.is_empty());
        if !referred_otherwise && !publishes {
            result.data_only.push(source.clone());
        }
    }
    result
        .pinned
        .retain(|name| !result.data_only.contains(name));
    result
}

fn shared_volumes(
    project: &Project,
    source: &Service,
    stack: &str,
    image_volumes: &IndexMap<String, Vec<String>>,
) -> Vec<SharedVolume> {
    let mut volumes: Vec<SharedVolume> = Vec::new();
    let mut anonymous = 0;
    let next_name = |anonymous: &mut usize| {
        let name = scoped(stack, &format!("{}_{anonymous}", source.name));
        *anonymous += 1;
        name
    };
    for volume in &source.volumes {
        if volume.is_bind() {
            continue;
        }
        let name = match &volume.source {
            Some(named) => project
                .volumes
                .get(named.as_str())
                .and_then(|definition| definition.name.clone())
                .unwrap_or_else(|| scoped(stack, named)),
            None => next_name(&mut anonymous),
        };
        volumes.push(SharedVolume {
            name,
            target: volume.target.clone(),
        });
    }
    if let Some(image) = &source.image {
        let declared = image_volumes
            .get(image)
            .or_else(|| image_volumes.get(&super::spec::normalized_image(image)));
        for target in declared.into_iter().flatten() {
            if volumes.iter().all(|volume| &volume.target != target) {
                volumes.push(SharedVolume {
                    name: next_name(&mut anonymous),
                    target: target.clone(),
                });
            }
        }
    }
    volumes
}

fn mount(volume: &SharedVolume, stack: &str, read_only: bool) -> Value {
    json!({
        "Type": "volume",
        "Source": volume.name,
        "Target": volume.target,
        "ReadOnly": read_only,
        "VolumeOptions": {"Labels": {NAMESPACE_LABEL: stack}},
    })
}

/// Applies the translation to `service`'s spec: the shared volumes mounted (a
/// source's anonymous ones named), and the pin.
pub(crate) fn apply(
    translation: &VolumesFrom,
    service: &Service,
    stack: &str,
    pin_node: Option<&str>,
    spec: &mut Value,
) {
    let mut added: Vec<Value> = Vec::new();
    if let Some(volumes) = translation.sources.get(service.name.as_str()) {
        // The source's own volumes, named.
        if let Some(mounts) = spec["TaskTemplate"]["ContainerSpec"]["Mounts"].as_array_mut() {
            mounts.retain(|mount| {
                let target = mount["Target"].as_str().unwrap_or_default();
                volumes.iter().all(|volume| volume.target != target)
            });
        }
        added.extend(volumes.iter().map(|volume| mount(volume, stack, false)));
    }
    for from in &service.volumes_from {
        let VolumesFromSource::Service(source) = &from.source else {
            continue;
        };
        for volume in translation
            .sources
            .get(source.as_str())
            .into_iter()
            .flatten()
        {
            added.push(mount(volume, stack, from.mode == "ro"));
        }
    }
    if !added.is_empty() {
        let container = &mut spec["TaskTemplate"]["ContainerSpec"];
        if !container["Mounts"].is_array() {
            container["Mounts"] = json!([]);
        }
        if let Some(mounts) = container["Mounts"].as_array_mut() {
            for mount in added {
                let target = mount["Target"].clone();
                if mounts.iter().all(|existing| existing["Target"] != target) {
                    mounts.push(mount);
                }
            }
        }
    }
    if translation
        .pinned
        .iter()
        .any(|name| name == service.name.as_str())
    {
        let constraint = match pin_node {
            Some(node) => format!("node.id=={node}"),
            None => "node.role==manager".to_owned(),
        };
        let placement = &mut spec["TaskTemplate"]["Placement"];
        if !placement["Constraints"].is_array() {
            placement["Constraints"] = json!([]);
        }
        if let Some(constraints) = placement["Constraints"].as_array_mut()
            && !constraints
                .iter()
                .any(|existing| existing == &json!(constraint))
        {
            constraints.push(json!(constraint));
        }
    }
}
