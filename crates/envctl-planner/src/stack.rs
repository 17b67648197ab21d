//! `stack deploy` on a Swarm cluster: what to create, update, keep or remove, and
//! whether a service has converged. Pure, like `plan_up`: the executor observes
//! the stack ([`StackObserved`]) and carries the [`StackPlan`] out.
//!
//! Names and labels are `docker stack deploy`'s (`<stack>_<service>`,
//! `com.docker.stack.namespace`, `com.docker.stack.image`), so that docker's
//! `stack` commands see envctl's stacks and envctl sees theirs. A service whose
//! spec, as this module makes it, equals the one the cluster holds is kept: a
//! re-deploy restarts nothing that did not change. The rules are in docs/swarm.md.

mod ignored;
mod spec;
mod volumes_from;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use envctl_parser::{
    DependsOnCondition, ModeRef, Project, SecretSource, Service, ServiceName, VolumesFromSource,
};
use indexmap::IndexMap;
use miette::{Diagnostic, SourceSpan};
use serde_json::Value;
use thiserror::Error;

pub use ignored::ignored_options;
pub use spec::{
    IMAGE_LABEL, NAMESPACE_LABEL, changed_paths, command_words, normalized, normalized_image,
    scoped,
};

use crate::error::PlanError;
use crate::graph::DependencyGraph;

/// The label envctl puts on a secret: the sha256 of its content, so that a
/// changed file is seen (the engine never gives a secret's data back).
pub const SECRET_DIGEST_LABEL: &str = "io.envctl.stack.secret-sha256";

/// The same for a config (the engine gives a config's data back, but allows no
/// change to it either).
pub const CONFIG_DIGEST_LABEL: &str = "io.envctl.stack.config-sha256";

/// What the cluster holds of one stack, as the executor read it.
#[derive(Debug, Clone, Default)]
pub struct StackObserved {
    pub services: Vec<ObservedStackService>,
    pub networks: Vec<ObservedStackObject>,
    pub secrets: Vec<ObservedStackObject>,
    pub configs: Vec<ObservedStackObject>,
}

/// A service of the stack: its spec as the engine API's JSON, with each network
/// attachment's `Target` given as the network's name and secrets' ids left out.
#[derive(Debug, Clone)]
pub struct ObservedStackService {
    pub name: String,
    pub id: String,
    pub version: u64,
    /// `UpdateStatus.StartedAt` when read: an update status that still says this
    /// is an earlier deploy's.
    pub update_started: Option<String>,
    /// Whether `spec` holds the service's health check (the engine client cannot
    /// always read it: docs/swarm.md); when not, it is not compared.
    pub healthcheck_known: bool,
    pub spec: Value,
}

/// A network, secret or config of the stack.
#[derive(Debug, Clone, Default)]
pub struct ObservedStackObject {
    pub name: String,
    pub id: String,
    pub labels: BTreeMap<String, String>,
    /// The sha256 (hex) of its data, when the engine gives it back (a config's,
    /// never a secret's): a config `docker stack deploy` made, without envctl's
    /// label, is matched by it.
    pub digest: Option<String>,
    /// A secret's or config's `Templating` driver (`golang`).
    pub templating: Option<String>,
    /// A secret's or config's version, which a label update must name.
    pub version: u64,
}

/// What `stack deploy` was asked.
#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    /// The stack's name (`<stack>_<service>`).
    pub stack: String,
    /// `--prune`: remove the stack's services no longer in the file.
    pub prune: bool,
    /// `--allow-host-binds`: relative host paths may be bound.
    pub allow_host_binds: bool,
    /// The sha256 (hex) of each secret file, by the key of its definition; read by
    /// the caller (the planner reads no file).
    pub secret_digests: IndexMap<String, String>,
    /// The same for each config file.
    pub config_digests: IndexMap<String, String>,
    /// The volumes each image declares (`VOLUME`), by image as the file names it,
    /// read by the caller: a `volumes_from` source's volumes include them.
    pub image_volumes: IndexMap<String, Vec<String>>,
    /// `--resolve-image always|changed`: what the registry said of each image
    /// (as the file writes it), read by the caller; the spec names the image
    /// with its digest (`image:tag@sha256:…`) and the image's platforms.
    pub resolved_images: IndexMap<String, ResolvedImage>,
    /// `--resolve-image changed`: only a new service's image, or one that
    /// changed, is pinned (docker's rule).
    pub resolve_changed_only: bool,
    /// `--push`: services with `build` are built and pushed to their `image`'s
    /// registry by the caller, and their image is always pinned.
    pub push: bool,
    /// The node `volumes_from` sources and consumers are pinned to (the manager
    /// deployed through); `node.role==manager` when unknown.
    pub pin_node: Option<String>,
}

/// What a registry says of an image: the manifest's digest and the platforms
/// (`(architecture, os)`) it is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    pub digest: String,
    pub platforms: Vec<(String, String)>,
}

/// What happens to one object of the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackAction {
    Create,
    /// With the keys of the spec that changed.
    Update {
        changed: Vec<String>,
    },
    Keep,
    Remove,
}

impl fmt::Display for StackAction {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create => formatter.write_str("create"),
            Self::Update { changed } => write!(formatter, "update ({})", changed.join(", ")),
            Self::Keep => formatter.write_str("keep (unchanged)"),
            Self::Remove => formatter.write_str("remove"),
        }
    }
}

/// A network of the stack.
#[derive(Debug, Clone)]
pub struct StackNetwork {
    pub name: String,
    pub action: StackAction,
    pub driver: String,
    pub attachable: bool,
    pub internal: bool,
    pub options: IndexMap<String, String>,
    pub labels: IndexMap<String, String>,
    /// `ipam:` as written (docker sends the driver and each pool's subnet only).
    pub ipam: Option<envctl_parser::Ipam>,
    /// `enable_ipv6` (v2 files).
    pub enable_ipv6: Option<bool>,
    /// The existing network's id (keep, remove).
    pub id: Option<String>,
}

/// A secret, or a config, of the stack.
#[derive(Debug, Clone)]
pub struct StackSecret {
    pub name: String,
    /// The key of its definition in the file.
    pub key: String,
    /// Its name before any version (`<stack>_<key>`, or the file's `name:`).
    pub base: String,
    pub action: StackAction,
    /// The file whose content it holds (create).
    pub file: Option<PathBuf>,
    /// The definition's `labels`, then `com.docker.stack.namespace` and envctl's
    /// digest label (docker's `AddStackLabel`: the stack's label wins).
    pub labels: IndexMap<String, String>,
    /// `template_driver`: sent as the object's `Templating` driver.
    pub templating: Option<String>,
    pub id: Option<String>,
    /// The existing object's version (update: only its labels change).
    pub version: Option<u64>,
}

/// A service of the stack.
#[derive(Debug, Clone)]
pub struct StackService {
    /// The service's key in the file (empty for one removed with `--prune`).
    pub service: String,
    /// `<stack>_<service>`.
    pub name: String,
    pub action: StackAction,
    /// The spec to create or update with (engine API JSON; networks and secrets
    /// by name).
    pub spec: Value,
    pub id: Option<String>,
    /// The version an update must name.
    pub version: Option<u64>,
    /// Services (by their cluster name) that must have converged, and be healthy,
    /// before this one is created or updated (`depends_on: condition:
    /// service_healthy` or `service_completed_successfully`).
    pub waits_for: Vec<String>,
    /// A one-shot service (`restart_policy: none`): converged once its tasks ran.
    pub one_shot: bool,
}

/// Every decision of one `stack deploy`: networks and secrets first, then the
/// services in dependency order, then what `--prune` removes.
#[derive(Debug, Clone)]
pub struct StackPlan {
    pub stack: String,
    pub networks: Vec<StackNetwork>,
    pub secrets: Vec<StackSecret>,
    pub configs: Vec<StackSecret>,
    pub services: Vec<StackService>,
    /// Data-only services (`volumes_from` sources nothing else uses), not
    /// deployed: `(service, [(volume, path)])`.
    pub data_only: Vec<(String, Vec<(String, String)>)>,
}

impl StackPlan {
    /// Whether carrying it out would change nothing.
    pub fn is_noop(&self) -> bool {
        self.networks
            .iter()
            .all(|network| network.action == StackAction::Keep)
            && self
                .secrets
                .iter()
                .chain(&self.configs)
                .all(|secret| secret.action == StackAction::Keep)
            && self
                .services
                .iter()
                .all(|service| service.action == StackAction::Keep)
    }
}

impl fmt::Display for StackPlan {
    /// A line per object: `network x: create`, `service y: update (TaskTemplate.…)`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for network in &self.networks {
            writeln!(formatter, "network {}: {}", network.name, network.action)?;
        }
        for secret in &self.secrets {
            writeln!(formatter, "secret {}: {}", secret.name, secret.action)?;
        }
        for config in &self.configs {
            writeln!(formatter, "config {}: {}", config.name, config.action)?;
        }
        for (service, volumes) in &self.data_only {
            let volumes: Vec<String> = volumes
                .iter()
                .map(|(name, target)| format!("{name} at {target}"))
                .collect();
            writeln!(
                formatter,
                "data-only service {service}: not deployed; its volumes: {}",
                volumes.join(", ")
            )?;
        }
        for service in &self.services {
            write!(formatter, "service {}: {}", service.name, service.action)?;
            if !service.waits_for.is_empty() && service.action != StackAction::Remove {
                write!(
                    formatter,
                    ", after {} is healthy",
                    service.waits_for.join(", ")
                )?;
            }
            writeln!(formatter)?;
        }
        Ok(())
    }
}

/// One setting a swarm cannot run, pointing at its service in the file.
#[derive(Debug, Error, Diagnostic)]
#[error("`{path}`: {reason}")]
pub struct StackRefusal {
    pub path: String,
    pub reason: String,
    #[source_code]
    pub source_code: Option<envctl_parser::excerpt::Excerpt>,
    #[label("in this service")]
    pub span: Option<SourceSpan>,
}

/// Plans `stack deploy` of `project` against what the cluster holds.
///
/// # Errors
///
/// [`PlanError::StackRefused`] with every setting a swarm cannot run (before
/// anything is changed), or a dependency cycle.
pub fn plan_stack(
    project: &Project,
    observed: &StackObserved,
    options: &StackOptions,
) -> Result<StackPlan, PlanError> {
    refuse(project, options)?;
    let stack = options.stack.as_str();
    let graph = DependencyGraph::new(project)?;
    let order = graph.order();

    let networks = plan_networks(project, observed, stack);
    let secret_keys = project
        .services
        .values()
        .flat_map(|service| service.secrets.iter().map(|secret| secret.source.clone()));
    let (secrets, secret_names) = plan_file_objects(
        secret_keys,
        &project.secrets,
        &observed.secrets,
        &options.secret_digests,
        SECRET_DIGEST_LABEL,
        stack,
    );
    let config_keys = project.services.values().flat_map(|service| {
        spec::config_references(service)
            .into_iter()
            .map(|reference| reference.source)
    });
    let (configs, config_names) = plan_file_objects(
        config_keys,
        &project.configs,
        &observed.configs,
        &options.config_digests,
        CONFIG_DIGEST_LABEL,
        stack,
    );
    let link_aliases = link_aliases(project);
    let shared = volumes_from::translate(project, stack, &options.image_volumes);

    let mut services = Vec::new();
    for service_name in &order {
        let Some(service) = project.service(service_name.as_str()) else {
            continue;
        };
        if shared
            .data_only
            .iter()
            .any(|name| name == service_name.as_str())
        {
            continue;
        }
        let mut desired = spec::service_spec(
            project,
            service,
            stack,
            &secret_names,
            &config_names,
            &link_aliases,
        );
        volumes_from::apply(
            &shared,
            service,
            stack,
            options.pin_node.as_deref(),
            &mut desired,
        );
        let one_shot = desired["TaskTemplate"]["RestartPolicy"]["Condition"] == "none";
        if one_shot && !spec::sets_failure_action(service) {
            // A one-shot task that completes is a failure to the manager's
            // updater: its update goes on (docs/swarm.md).
            desired["UpdateConfig"]["FailureAction"] = Value::from("continue");
        }
        let name = scoped(stack, service_name.as_str());
        let existing = observed.services.iter().find(|found| found.name == name);
        if let Some(image) = &service.image
            && let Some(resolved) = options.resolved_images.get(image)
        {
            let image_changed = existing
                .is_none_or(|existing| existing.spec["Labels"][IMAGE_LABEL] != image.as_str());
            if !options.resolve_changed_only || image_changed || pushed(service, options) {
                pin_image(&mut desired, image, resolved);
            }
        }
        let action = match existing {
            None => StackAction::Create,
            Some(existing) => {
                if one_shot {
                    desired["TaskTemplate"]["ForceUpdate"] =
                        existing.spec["TaskTemplate"]["ForceUpdate"].clone();
                } else {
                    adopt_observed(&mut desired, &existing.spec, service);
                }
                let mut wanted = spec::with_defaults(&desired);
                if !existing.healthcheck_known
                    && let Some(container) = wanted["TaskTemplate"]["ContainerSpec"].as_object_mut()
                {
                    container.remove("Healthcheck");
                }
                let changed = changed_paths(
                    &normalized(&wanted),
                    &normalized(&spec::with_defaults(&comparable(&existing.spec, &desired))),
                );
                if changed.is_empty() {
                    StackAction::Keep
                } else {
                    StackAction::Update { changed }
                }
            }
        };
        let waits_for = service
            .depends_on
            .iter()
            .filter(|(_, condition)| **condition != DependsOnCondition::Started)
            .map(|(target, _)| scoped(stack, target.as_str()))
            .collect();
        services.push(StackService {
            service: service_name.to_string(),
            name,
            action,
            spec: desired,
            id: existing.map(|existing| existing.id.clone()),
            version: existing.map(|existing| existing.version),
            waits_for,
            one_shot,
        });
    }
    if options.prune {
        for existing in &observed.services {
            if services.iter().all(|service| service.name != existing.name) {
                services.push(StackService {
                    service: String::new(),
                    name: existing.name.clone(),
                    action: StackAction::Remove,
                    spec: Value::Null,
                    id: Some(existing.id.clone()),
                    version: Some(existing.version),
                    waits_for: Vec::new(),
                    one_shot: false,
                });
            }
        }
    }
    let data_only = shared
        .data_only
        .iter()
        .map(|name| {
            let volumes = shared.sources[name]
                .iter()
                .map(|volume| (volume.name.clone(), volume.target.clone()))
                .collect();
            (name.clone(), volumes)
        })
        .collect();
    Ok(StackPlan {
        stack: stack.to_owned(),
        networks,
        secrets,
        configs,
        services,
        data_only,
    })
}

/// What docker keeps of an existing service and envctl must not fight: its
/// `ForceUpdate`, and its update failure action when the file names none.
fn adopt_observed(desired: &mut Value, observed: &Value, service: &Service) {
    desired["TaskTemplate"]["ForceUpdate"] = observed["TaskTemplate"]["ForceUpdate"].clone();
    if !spec::sets_failure_action(service) {
        // Left out, the manager's default: `pause`.
        let action = observed["UpdateConfig"]["FailureAction"]
            .as_str()
            .unwrap_or("pause");
        desired["UpdateConfig"]["FailureAction"] = Value::from(action);
    }
}

/// Whether `--push` built and pushed the service's image.
fn pushed(service: &Service, options: &StackOptions) -> bool {
    options.push && service.build.is_some()
}

/// docker/cli's `resolveContainerSpecImage`: the image as written with the
/// registry's digest (`imageWithDigestString`: familiar, its tag kept, none
/// added), and the image's platforms in the placement (an `arm` architecture
/// left empty, docker/swarmkit#2294).
fn pin_image(desired: &mut Value, image: &str, resolved: &ResolvedImage) {
    if image.contains('@') {
        return;
    }
    let familiar = familiar(image);
    desired["TaskTemplate"]["ContainerSpec"]["Image"] =
        Value::from(format!("{familiar}@{}", resolved.digest));
    if !resolved.platforms.is_empty() {
        let platforms: Vec<Value> = resolved
            .platforms
            .iter()
            .map(|(architecture, os)| {
                let architecture = if architecture.eq_ignore_ascii_case("arm") {
                    ""
                } else {
                    architecture
                };
                serde_json::json!({"Architecture": architecture, "OS": os})
            })
            .collect();
        desired["TaskTemplate"]["Placement"]["Platforms"] = Value::Array(platforms);
    }
}

/// An image's familiar form (`reference.FamiliarString`): without docker.io's
/// `docker.io/library/` or `docker.io/`.
fn familiar(image: &str) -> &str {
    image
        .strip_prefix("docker.io/library/")
        .or_else(|| image.strip_prefix("docker.io/"))
        .unwrap_or(image)
}

/// The observed spec as comparable with `desired`: the digest the engine pinned
/// to the image, and the platforms docker put with it, are dropped when the
/// spec names no digest (`--resolve-image never`, or no registry reached).
fn comparable(observed: &Value, desired: &Value) -> Value {
    let mut observed = observed.clone();
    let desired_image = desired["TaskTemplate"]["ContainerSpec"]["Image"]
        .as_str()
        .unwrap_or_default();
    if let Some(image) = observed["TaskTemplate"]["ContainerSpec"]["Image"].as_str()
        && !desired_image.contains('@')
        && let Some((name, _digest)) = image.split_once('@')
    {
        // A pinned image is familiar (`pin_image`); the same image as written.
        let name = if name == familiar(desired_image) {
            desired_image
        } else {
            name
        };
        observed["TaskTemplate"]["ContainerSpec"]["Image"] = Value::from(name);
    }
    if !desired_image.contains('@')
        && let Some(placement) = observed["TaskTemplate"]["Placement"].as_object_mut()
    {
        placement.remove("Platforms");
    }
    observed
}

/// The networks the services use: `<stack>_default` and the file's own, overlay
/// unless the file names a driver; external ones are used, never made.
fn plan_networks(project: &Project, observed: &StackObserved, stack: &str) -> Vec<StackNetwork> {
    let mut used: Vec<String> = Vec::new();
    for service in project.services.values() {
        if service.networks.is_empty() {
            if !used.iter().any(|key| key == "default") {
                used.push("default".into());
            }
        } else {
            for key in service.networks.keys() {
                if !used.contains(key) {
                    used.push(key.clone());
                }
            }
        }
    }
    let mut networks = Vec::new();
    for key in used {
        let definition = project.networks.get(&key).cloned().unwrap_or_default();
        if definition.external {
            continue;
        }
        let name = spec::network_name(project, stack, &key);
        let mut labels = definition.labels.clone();
        labels.insert(NAMESPACE_LABEL.to_owned(), stack.to_owned());
        let existing = observed.networks.iter().find(|found| found.name == name);
        networks.push(StackNetwork {
            action: if existing.is_some() {
                StackAction::Keep
            } else {
                StackAction::Create
            },
            id: existing.map(|existing| existing.id.clone()),
            name,
            driver: definition
                .driver
                .clone()
                .unwrap_or_else(|| "overlay".into()),
            // As docker's: not attachable unless the file says so.
            attachable: definition.attachable.unwrap_or(false),
            internal: definition.internal.unwrap_or(false),
            options: definition.driver_opts.clone(),
            labels,
            ipam: definition.ipam.clone(),
            enable_ipv6: definition.enable_ipv6,
        });
    }
    networks
}

/// The secrets (or configs) the services use, in the order they first use them.
/// One is `<stack>_<key>` (or its `name:`); when the file's content no longer
/// matches that object's digest label (`label`), a new one
/// `<stack>_<key>_<digest[..12]>` is made and the services move to it (the
/// engine allows no change to a secret's or a config's data). External ones are
/// used by their name, never made. The definition's `template_driver` is part
/// of what must match (the engine ignores a change to it, as to the data); a
/// change of its `labels` alone is an update of that object in place (the one
/// change the engine allows, and what docker's `stack deploy` does).
fn plan_file_objects(
    used_keys: impl Iterator<Item = String>,
    definitions: &IndexMap<String, envctl_parser::SecretDef>,
    observed: &[ObservedStackObject],
    digests: &IndexMap<String, String>,
    label: &str,
    stack: &str,
) -> (Vec<StackSecret>, spec::SecretNames) {
    let mut steps = Vec::new();
    let mut names = spec::SecretNames::new();
    let mut used: Vec<String> = Vec::new();
    for key in used_keys {
        if !used.contains(&key) {
            used.push(key);
        }
    }
    for key in used {
        let Some(definition) = definitions.get(&key) else {
            continue;
        };
        if definition.external {
            names.insert(
                key.clone(),
                definition.name.clone().unwrap_or_else(|| key.clone()),
            );
            continue;
        }
        let base = definition
            .name
            .clone()
            .unwrap_or_else(|| scoped(stack, &key));
        let digest = digests.get(&key).cloned().unwrap_or_default();
        let templating = definition.template_driver.clone();
        let matching = |name: &str| {
            observed.iter().find(|found| {
                found.name == name
                    && found.templating == templating
                    && (found.labels.get(label) == Some(&digest)
                        || found.digest.as_ref() == Some(&digest))
            })
        };
        // A template driver is part of the version: the same data templated
        // or not are two objects.
        let version_digest = match &templating {
            Some(driver) => content_digest(format!("{digest}\0{driver}").as_bytes()),
            None => digest.clone(),
        };
        let versioned = versioned_name(&base, &version_digest);
        let base_taken = observed.iter().any(|found| found.name == base);
        let (name, existing) = if let Some(found) = matching(&base) {
            (base.clone(), Some(found))
        } else if let Some(found) = matching(&versioned) {
            (versioned.clone(), Some(found))
        } else if base_taken {
            (versioned.clone(), None)
        } else {
            (base.clone(), None)
        };
        let mut labels = definition.labels.clone();
        labels.insert(NAMESPACE_LABEL.to_owned(), stack.to_owned());
        labels.insert(label.to_owned(), digest.clone());
        let action = match existing {
            None => StackAction::Create,
            // One `docker stack deploy` made has no digest label: that alone
            // is no change.
            Some(found) if same_labels(&found.labels, &labels, label) => StackAction::Keep,
            Some(_) => StackAction::Update {
                changed: vec!["Labels".to_owned()],
            },
        };
        steps.push(StackSecret {
            name: name.clone(),
            key: key.clone(),
            base: base.clone(),
            action,
            file: definition.file.clone(),
            labels,
            templating,
            id: existing.map(|found| found.id.clone()),
            version: existing.map(|found| found.version),
        });
        names.insert(key, name);
    }
    (steps, names)
}

/// Whether an object's labels are `wanted`, envctl's digest label (`label`) aside.
fn same_labels(
    found: &BTreeMap<String, String>,
    wanted: &IndexMap<String, String>,
    label: &str,
) -> bool {
    let found: BTreeMap<&str, &str> = found
        .iter()
        .filter(|(key, _)| key.as_str() != label)
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let wanted: BTreeMap<&str, &str> = wanted
        .iter()
        .filter(|(key, _)| key.as_str() != label)
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    found == wanted
}

/// The earlier versions of the stack's secrets and configs that a deploy left
/// unused, to remove once it has converged: `(secrets, configs)`. One is an
/// earlier version when it is named as a secret (config) of `plan` is, bare or
/// versioned (`<base>_<12 hex digits>`), is not the one `plan` chose, and no
/// service of the stack refers to it in `after` (the stack read back). Only the
/// stack's own are looked at (`after` holds only those); a secret dropped from
/// the file is left alone, as docker leaves it.
pub fn unused_versions(
    plan: &StackPlan,
    after: &StackObserved,
) -> (Vec<ObservedStackObject>, Vec<ObservedStackObject>) {
    let referenced = |list: &str, key: &str, name: &str| {
        after.services.iter().any(|service| {
            service.spec["TaskTemplate"]["ContainerSpec"][list]
                .as_array()
                .is_some_and(|references| references.iter().any(|reference| reference[key] == name))
        })
    };
    let unused = |steps: &[StackSecret], found: &[ObservedStackObject], list, key| {
        found
            .iter()
            .filter(|object| {
                steps.iter().any(|step| {
                    object.name != step.name
                        && (object.name == step.base || is_version_of(&object.name, &step.base))
                }) && steps.iter().all(|step| object.name != step.name)
                    && !referenced(list, key, &object.name)
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    (
        unused(&plan.secrets, &after.secrets, "Secrets", "SecretName"),
        unused(&plan.configs, &after.configs, "Configs", "ConfigName"),
    )
}

/// Whether `name` is `<base>_<12 lowercase hex digits>`.
fn is_version_of(name: &str, base: &str) -> bool {
    name.strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|digits| {
            digits.len() == 12
                && digits
                    .bytes()
                    .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
        })
}

/// The keys of the top-level `configs` a service uses.
pub fn config_keys(service: &Service) -> Vec<String> {
    spec::config_references(service)
        .into_iter()
        .map(|reference| reference.source)
        .collect()
}

/// `<base>_<the digest's first 12 hex digits>`: the name of a version made when
/// the content changed.
fn versioned_name(base: &str, digest: &str) -> String {
    format!("{base}_{}", digest.get(..12).unwrap_or(digest))
}

/// `links: [db:database]` puts the alias `database` on `db`'s attachments.
fn link_aliases(project: &Project) -> spec::LinkAliases {
    let mut aliases = spec::LinkAliases::new();
    for service in project.services.values() {
        for link in &service.links {
            if let Some(alias) = &link.alias
                && alias != link.target.as_str()
            {
                let entry: &mut Vec<String> = aliases.entry(link.target.to_string()).or_default();
                if !entry.contains(alias) {
                    entry.push(alias.clone());
                }
            }
        }
    }
    aliases
}

/// Everything a swarm cannot run, found before anything changes.
fn refuse(project: &Project, options: &StackOptions) -> Result<(), PlanError> {
    let mut settings = Vec::new();
    for service in project.services.values() {
        let mut add = |key: &str, reason: String| {
            let (source_code, span) = project.sources.excerpt(service.span).unzip();
            settings.push(StackRefusal {
                path: format!("{}.{key}", service.name),
                reason,
                source_code,
                span,
            });
        };
        if service.privileged == Some(true) {
            add("privileged", "a swarm service cannot run privileged".into());
        }
        if !service.devices.is_empty() {
            add("devices", "a swarm service cannot map host devices".into());
        }
        match &service.network_mode {
            Some(ModeRef::Service(target)) => add(
                "network_mode",
                format!("`container:{target}` networking cannot span a cluster's nodes"),
            ),
            Some(ModeRef::Container(target)) => add(
                "network_mode",
                format!("`container:{target}` networking cannot span a cluster's nodes"),
            ),
            _ => {}
        }
        for port in &service.ports {
            if port.host_ip.is_some() {
                add(
                    "ports",
                    format!(
                        "port {} is bound to a host address; a swarm publishes on every node",
                        port.target
                    ),
                );
            }
            if port
                .published
                .as_deref()
                .is_some_and(|published| published.contains('-'))
            {
                add(
                    "ports",
                    format!("port {} publishes a range of host ports", port.target),
                );
            }
        }
        if service.build.is_some() && !options.push {
            add(
                "build",
                "a cluster's nodes cannot use an image built here; `--push` builds it and pushes it to the registry its `image` names".into(),
            );
        } else if service.build.is_some() && service.image.is_none() {
            add(
                "build",
                "`--push` needs `image`: the registry and name to push the built image to".into(),
            );
        } else if service.image.is_none() {
            add("image", "a swarm service needs an image".into());
        }
        if !options.allow_host_binds {
            for volume in &service.volumes {
                if volume.is_bind()
                    && volume
                        .source
                        .as_deref()
                        .is_some_and(|source| is_under(source, &project.working_dir))
                {
                    add(
                        "volumes",
                        format!(
                            "`{}` binds a path of the project's directory, which the other nodes do not have (`--allow-host-binds` allows it)",
                            volume.target
                        ),
                    );
                }
            }
        }
        for from in &service.volumes_from {
            let VolumesFromSource::Service(source) = &from.source else {
                add(
                    "volumes_from",
                    "`volumes_from` a container outside the file cannot run on a swarm".into(),
                );
                continue;
            };
            let global = |name: &str| {
                project.service(name).is_some_and(|service| {
                    service
                        .options
                        .get("deploy")
                        .and_then(|deploy| deploy.get("mode"))
                        .and_then(Value::as_str)
                        == Some("global")
                })
            };
            if global(service.name.as_str()) || global(source.as_str()) {
                add(
                    "volumes_from",
                    format!(
                        "`{source}`'s volumes cannot be shared by a global service's tasks on several nodes"
                    ),
                );
            }
        }
        for reference in spec::config_references(service) {
            match project.configs.get(&reference.source) {
                None => add(
                    "configs",
                    format!(
                        "config `{}` is not defined in the top-level `configs`",
                        reference.source
                    ),
                ),
                Some(definition) if definition.external => {}
                Some(definition) => match &definition.file {
                    // The caller read it (the planner reads no file).
                    Some(_) if options.config_digests.contains_key(&reference.source) => {}
                    Some(_) => add(
                        "configs",
                        format!("the file of config `{}` cannot be read", reference.source),
                    ),
                    None => add(
                        "configs",
                        format!(
                            "config `{}` has neither `file` nor `external`",
                            reference.source
                        ),
                    ),
                },
            }
        }
        for secret in &service.secrets {
            if matches!(secret.definition, SecretSource::File { present: false, .. }) {
                add(
                    "secrets",
                    format!("the file of secret `{}` does not exist", secret.source),
                );
            }
            // A secret made by a `driver` (a secrets plugin) has no file: not
            // supported yet, and never made empty (docs/swarm.md).
            if secret.definition == SecretSource::NoFile {
                add(
                    "secrets",
                    format!(
                        "secret `{}` has neither `file` nor `external` (a secret `driver` is not supported yet)",
                        secret.source
                    ),
                );
            }
        }
    }
    if settings.is_empty() {
        Ok(())
    } else {
        Err(PlanError::StackRefused { settings })
    }
}

/// The sha256 (hex) of a secret's content, for [`SECRET_DIGEST_LABEL`].
pub fn content_digest(data: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(data)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

fn is_under(source: &str, directory: &std::path::Path) -> bool {
    std::path::Path::new(source).starts_with(directory)
}

/// A task's state, as the engine names it (`running`, `failed`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackTaskState {
    pub desired: String,
    pub state: String,
    /// The task's error, when it failed.
    pub error: Option<String>,
    /// The container's health (`healthy`, `starting`, …), when it has a check.
    pub health: Option<String>,
}

/// One service's state, to decide whether it has converged.
#[derive(Debug, Clone, Default)]
pub struct StackServiceStatus {
    /// `None` for a global service.
    pub replicas: Option<u64>,
    /// `UpdateStatus.State` of an update this deploy started, if any.
    pub update_state: Option<String>,
    pub update_message: Option<String>,
    /// The tasks of the current spec.
    pub tasks: Vec<StackTaskState>,
    pub one_shot: bool,
    /// The service has a health check: running tasks must be healthy.
    pub health_checked: bool,
    /// This deploy changed its task template: the manager starts a rolling
    /// update, which must be seen (its status fresh) before it can be over.
    pub awaiting_update: bool,
}

/// Where a service stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Convergence {
    /// `running` of `wanted` tasks are where they should be.
    Converging {
        running: usize,
        wanted: usize,
    },
    Converged,
    /// The update failed and the engine rolled it back.
    RolledBack {
        message: String,
    },
    /// It cannot converge (a paused update, tasks that keep failing).
    Failed {
        message: String,
    },
}

/// How many failed tasks of the current spec, with none running, mean failure
/// rather than a restart under way.
pub const FAILED_TASKS_LIMIT: usize = 3;

/// Whether `status` has converged; pure, so that the waiting loop decides nothing.
pub fn convergence(status: &StackServiceStatus) -> Convergence {
    match status.update_state.as_deref() {
        Some("rollback_completed") => {
            return Convergence::RolledBack {
                message: status.update_message.clone().unwrap_or_default(),
            };
        }
        Some("paused" | "rollback_paused") => {
            return Convergence::Failed {
                message: status
                    .update_message
                    .clone()
                    .unwrap_or_else(|| "the update was paused".into()),
            };
        }
        _ => {}
    }
    let updating = matches!(
        status.update_state.as_deref(),
        Some("updating" | "rollback_started")
    ) || (status.awaiting_update && status.update_state.is_none());
    let active: Vec<&StackTaskState> = status
        .tasks
        .iter()
        .filter(|task| task.desired == "running" || (status.one_shot && task.desired != "remove"))
        .collect();
    let ready = |task: &&StackTaskState| {
        let healthy = !status.health_checked || task.health.as_deref() == Some("healthy");
        (task.state == "running" && healthy) || (status.one_shot && task.state == "complete")
    };
    let running = active.iter().filter(|task| ready(task)).count();
    let failed: Vec<&StackTaskState> = status
        .tasks
        .iter()
        .filter(|task| matches!(task.state.as_str(), "failed" | "rejected"))
        .collect();
    if status.one_shot {
        if let Some(task) = failed.first() {
            return Convergence::Failed {
                message: task.error.clone().unwrap_or_else(|| "a task failed".into()),
            };
        }
    } else if running == 0 && !updating && failed.len() >= FAILED_TASKS_LIMIT {
        return Convergence::Failed {
            message: failed[0]
                .error
                .clone()
                .unwrap_or_else(|| "its tasks keep failing".into()),
        };
    }
    let wanted = match status.replicas {
        Some(replicas) => usize::try_from(replicas).unwrap_or(usize::MAX),
        None => active.len().max(1),
    };
    let settled = active.len() == running || status.one_shot;
    if !updating && running >= wanted && settled {
        Convergence::Converged
    } else {
        Convergence::Converging { running, wanted }
    }
}

/// The services of the file, by their cluster name.
pub fn service_names(project: &Project, stack: &str) -> Vec<(ServiceName, String)> {
    project
        .services
        .keys()
        .map(|name| (name.clone(), scoped(stack, name.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(text: &str) -> Project {
        envctl_parser::parse_str("docker-compose.yml", text).expect("loads")
    }

    fn options(stack: &str) -> StackOptions {
        StackOptions {
            stack: stack.into(),
            ..StackOptions::default()
        }
    }

    #[test]
    fn a_new_stack_is_created_in_dependency_order() {
        let project = project(
            "web:\n  image: busybox\n  links: [\"db:database\"]\n  mem_limit: 64m\ndb:\n  image: busybox\n  restart: \"no\"\n",
        );
        let plan =
            plan_stack(&project, &StackObserved::default(), &options("shop")).expect("plans");
        assert_eq!(
            plan.to_string(),
            "network shop_default: create\nservice shop_db: create\nservice shop_web: create\n"
        );
        let db = &plan.services[0];
        assert!(db.one_shot, "`restart: no` is a one-shot service");
        assert_eq!(
            db.spec["TaskTemplate"]["Networks"],
            serde_json::json!([{"Aliases": ["database", "db"], "Target": "shop_default"}])
        );
        assert_eq!(
            plan.services[1].spec["TaskTemplate"]["Resources"],
            serde_json::json!({"Limits": {"MemoryBytes": 67_108_864}})
        );
    }

    #[test]
    fn an_unchanged_service_is_kept_and_a_changed_one_names_its_keys() {
        let text = "version: \"3.8\"\nservices:\n  web:\n    image: busybox\n    environment: {A: \"1\"}\n";
        let first =
            plan_stack(&project(text), &StackObserved::default(), &options("s")).expect("plans");
        let observed = StackObserved {
            services: vec![ObservedStackService {
                name: "s_web".into(),
                id: "id".into(),
                version: 7,
                update_started: None,
                healthcheck_known: true,
                spec: first.services[0].spec.clone(),
            }],
            networks: vec![ObservedStackObject {
                name: "s_default".into(),
                id: "n".into(),
                labels: BTreeMap::new(),
                ..ObservedStackObject::default()
            }],
            ..StackObserved::default()
        };
        let again = plan_stack(&project(text), &observed, &options("s")).expect("plans");
        assert!(again.is_noop(), "{again}");
        let changed =
            plan_stack(&project(&text.replace('1', "2")), &observed, &options("s")).expect("plans");
        assert_eq!(
            changed.services[0].action,
            StackAction::Update {
                changed: vec!["TaskTemplate.ContainerSpec.Env".into()]
            }
        );
        assert_eq!(changed.services[0].version, Some(7));
    }

    #[test]
    fn every_refusal_is_reported_at_once() {
        let project = project(
            "a:\n  image: busybox\n  privileged: true\n  ports: [\"127.0.0.1:80:80\"]\nb:\n  build: .\n",
        );
        let Err(PlanError::StackRefused { settings }) =
            plan_stack(&project, &StackObserved::default(), &options("s"))
        else {
            panic!("refused");
        };
        let paths: Vec<&str> = settings
            .iter()
            .map(|setting| setting.path.as_str())
            .collect();
        assert_eq!(paths, ["a.privileged", "a.ports", "b.build"]);
    }

    const WITH_CONFIGS: &str = "version: \"3.8\"\nservices:\n  c:\n    image: busybox\n    configs: [site, {source: other, target: /etc/o.conf, uid: \"1\", mode: 0440}]\n  d:\n    image: busybox\n    configs: [missing]\nconfigs:\n  site:\n    file: ./site.conf\n  other:\n    external: true\n";

    #[test]
    fn configs_are_made_and_referenced_as_docker_does() {
        let project = project(&WITH_CONFIGS.replace("    configs: [missing]\n", ""));
        let mut options = options("s");
        options
            .config_digests
            .insert("site".into(), "ab".repeat(32));
        let plan = plan_stack(&project, &StackObserved::default(), &options).expect("plans");
        assert_eq!(
            plan.to_string(),
            "network s_default: create\nconfig s_site: create\nservice s_c: create\nservice s_d: create\n"
        );
        assert_eq!(
            plan.services[0].spec["TaskTemplate"]["ContainerSpec"]["Configs"],
            serde_json::json!([
                {"ConfigName": "other", "File": {"Name": "/etc/o.conf", "UID": "1", "GID": "0", "Mode": 288}},
                {"ConfigName": "s_site", "File": {"Name": "site", "UID": "0", "GID": "0", "Mode": 292}},
            ])
        );
        // The content changed: a new version, and the service moves to it.
        let observed = StackObserved {
            configs: vec![ObservedStackObject {
                name: "s_site".into(),
                id: "c1".into(),
                labels: BTreeMap::from([(CONFIG_DIGEST_LABEL.to_owned(), "cd".repeat(32))]),
                ..ObservedStackObject::default()
            }],
            ..StackObserved::default()
        };
        let plan = plan_stack(&project, &observed, &options).expect("plans");
        assert_eq!(plan.configs[0].name, "s_site_abababababab");
        assert_eq!(plan.configs[0].action, StackAction::Create);
    }

    // See: #20
    #[test]
    fn definition_labels_and_template_driver_are_sent_as_docker_sends_them() {
        let project = project(
            "version: \"3.8\"\nservices:\n  c:\n    image: busybox\n    secrets: [token]\n    configs: [site]\n    networks: [front]\n    ports: [\"80\", {target: 53, published: 5353, protocol: udp, mode: host}]\nsecrets:\n  token:\n    file: /dev/null\n    labels: [team=core, com.docker.stack.namespace=other]\nconfigs:\n  site:\n    file: /dev/null\n    template_driver: golang\n    labels:\n      team: web\nnetworks:\n  front:\n    attachable: true\n    ipam:\n      config:\n        - subnet: 10.77.0.0/24\n    labels:\n      tier: front\n",
        );
        let mut options = options("s");
        options
            .secret_digests
            .insert("token".into(), "ab".repeat(32));
        options
            .config_digests
            .insert("site".into(), "cd".repeat(32));
        let plan = plan_stack(&project, &StackObserved::default(), &options).expect("plans");
        let labels = |entries: &IndexMap<String, String>| {
            entries
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect::<std::collections::BTreeSet<_>>()
        };
        // The stack's label wins over one the file wrote (docker's `AddStackLabel`).
        assert_eq!(
            labels(&plan.secrets[0].labels),
            [
                "team=core".to_owned(),
                "com.docker.stack.namespace=s".to_owned(),
                format!("{SECRET_DIGEST_LABEL}={}", "ab".repeat(32)),
            ]
            .into()
        );
        assert_eq!(plan.secrets[0].templating, None);
        assert_eq!(plan.configs[0].labels["team"], "web");
        assert_eq!(plan.configs[0].templating.as_deref(), Some("golang"));
        assert_eq!(plan.networks[0].labels["tier"], "front");
        assert_eq!(plan.networks[0].labels[NAMESPACE_LABEL], "s");
        assert_eq!(
            plan.services[0].spec["EndpointSpec"]["Ports"],
            serde_json::json!([
                {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 0, "PublishMode": "ingress"},
                {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 5353, "PublishMode": "host"},
            ])
        );
        assert!(plan.networks[0].attachable);
        let ipam = plan.networks[0].ipam.as_ref().expect("ipam is sent");
        assert_eq!(ipam.config[0].subnet.as_deref(), Some("10.77.0.0/24"));

        // Deployed as planned: kept.
        let deployed = |step: &StackSecret, templating: Option<&str>| ObservedStackObject {
            name: step.name.clone(),
            id: format!("id-{}", step.name),
            labels: step.labels.clone().into_iter().collect(),
            templating: templating.map(str::to_owned),
            version: 9,
            ..ObservedStackObject::default()
        };
        let mut observed = StackObserved {
            secrets: vec![deployed(&plan.secrets[0], None)],
            configs: vec![deployed(&plan.configs[0], Some("golang"))],
            ..StackObserved::default()
        };
        let again = plan_stack(&project, &observed, &options).expect("plans");
        assert_eq!(again.secrets[0].action, StackAction::Keep);
        assert_eq!(again.configs[0].action, StackAction::Keep);

        // Only a label changed: that object is updated in place, at its version.
        observed.secrets[0]
            .labels
            .insert("team".into(), "old".into());
        let relabelled = plan_stack(&project, &observed, &options).expect("plans");
        assert_eq!(relabelled.secrets[0].name, "s_token");
        assert_eq!(
            relabelled.secrets[0].action,
            StackAction::Update {
                changed: vec!["Labels".to_owned()]
            }
        );
        assert_eq!(relabelled.secrets[0].version, Some(9));

        // The template driver changed (the engine would ignore it in an update):
        // a new version, as for changed content.
        observed.configs[0].templating = None;
        let retemplated = plan_stack(&project, &observed, &options).expect("plans");
        assert_eq!(retemplated.configs[0].action, StackAction::Create);
        assert_ne!(retemplated.configs[0].name, "s_site");
        assert!(is_version_of(&retemplated.configs[0].name, "s_site"));
        assert_eq!(
            retemplated.services[0].spec["TaskTemplate"]["ContainerSpec"]["Configs"][0]["ConfigName"],
            retemplated.configs[0].name.as_str()
        );
    }

    #[test]
    fn only_unused_earlier_versions_of_the_stack_are_removed() {
        let project = project(
            "version: \"3.8\"\nservices:\n  c:\n    image: busybox\n    secrets: [token]\nsecrets:\n  token:\n    file: /dev/null\n",
        );
        let mut options = options("s");
        options
            .secret_digests
            .insert("token".into(), "ab".repeat(32));
        let object = |name: &str| ObservedStackObject {
            name: name.into(),
            id: format!("id-{name}"),
            ..ObservedStackObject::default()
        };
        let observed = StackObserved {
            secrets: vec![object("s_token"), object("s_token_cdcdcdcdcdcd")],
            ..StackObserved::default()
        };
        let plan = plan_stack(&project, &observed, &options).expect("plans");
        assert_eq!(plan.secrets[0].name, "s_token_abababababab");
        let mut after = observed.clone();
        after.secrets.extend([
            object("s_token_abababababab"),
            object("s_token_other"),
            object("s_tokens"),
            object("s_unrelated_cdcdcdcdcdcd"),
        ]);
        after.services.push(ObservedStackService {
            name: "s_c".into(),
            id: "c".into(),
            version: 2,
            update_started: None,
            healthcheck_known: true,
            spec: plan.services[0].spec.clone(),
        });
        // A service of the stack still uses the first version.
        after.services.push(ObservedStackService {
            name: "s_old".into(),
            spec: serde_json::json!({"TaskTemplate": {"ContainerSpec": {"Secrets": [{"SecretName": "s_token"}]}}}),
            ..after.services[0].clone()
        });
        let (secrets, configs) = unused_versions(&plan, &after);
        let names: Vec<&str> = secrets.iter().map(|found| found.name.as_str()).collect();
        assert_eq!(names, ["s_token_cdcdcdcdcdcd"]);
        assert!(configs.is_empty());
    }

    #[test]
    fn resolved_images_are_pinned_as_docker_pins_them() {
        let text = "version: \"3.8\"\nservices:\n  web:\n    image: docker.io/library/busybox:1\n";
        let mut options = options("s");
        options.resolved_images.insert(
            "docker.io/library/busybox:1".into(),
            ResolvedImage {
                digest: "sha256:aa".into(),
                platforms: vec![("arm".into(), "linux".into())],
            },
        );
        let first = plan_stack(&project(text), &StackObserved::default(), &options).expect("plans");
        let spec = &first.services[0].spec;
        assert_eq!(
            spec["TaskTemplate"]["ContainerSpec"]["Image"],
            "busybox:1@sha256:aa"
        );
        assert_eq!(
            spec["TaskTemplate"]["Placement"]["Platforms"],
            serde_json::json!([{"Architecture": "", "OS": "linux"}])
        );
        assert_eq!(spec["Labels"][IMAGE_LABEL], "docker.io/library/busybox:1");
        let observed = StackObserved {
            services: vec![ObservedStackService {
                name: "s_web".into(),
                id: "id".into(),
                version: 3,
                update_started: None,
                healthcheck_known: true,
                spec: spec.clone(),
            }],
            ..StackObserved::default()
        };
        // The same digest: kept. A new one: under `always` an update of the image;
        // under `changed` (the image as written is the same) nothing is asked.
        assert!(
            plan_stack(&project(text), &observed, &options)
                .expect("plans")
                .services[0]
                .action
                == StackAction::Keep
        );
        options.resolved_images[0].digest = "sha256:bb".into();
        assert_eq!(
            plan_stack(&project(text), &observed, &options)
                .expect("plans")
                .services[0]
                .action,
            StackAction::Update {
                changed: vec!["TaskTemplate.ContainerSpec.Image".into()]
            }
        );
        options.resolve_changed_only = true;
        assert_eq!(
            plan_stack(&project(text), &observed, &options)
                .expect("plans")
                .services[0]
                .action,
            StackAction::Keep
        );
        // `never`: nothing resolved, the cluster's digest and platforms not compared.
        options.resolved_images.clear();
        assert_eq!(
            plan_stack(&project(text), &observed, &options)
                .expect("plans")
                .services[0]
                .action,
            StackAction::Keep
        );
    }

    // See: #20
    #[test]
    fn long_syntax_mount_options_are_sent_as_docker_sends_them() {
        let project = project(
            "version: \"3.8\"\nservices:\n  c:\n    image: busybox\n    volumes:\n      - type: bind\n        source: /srv\n        target: /b\n        bind: {propagation: rshared}\n      - type: volume\n        source: data\n        target: /v\n        volume: {nocopy: true}\n      - type: tmpfs\n        target: /t\n        tmpfs: {size: 1000}\nvolumes:\n  data:\n",
        );
        let plan = plan_stack(&project, &StackObserved::default(), &options("s")).expect("plans");
        let mounts = &plan.services[0].spec["TaskTemplate"]["ContainerSpec"]["Mounts"];
        let by_target = |target: &str| {
            mounts
                .as_array()
                .into_iter()
                .flatten()
                .find(|mount| mount["Target"] == target)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(
            by_target("/b")["BindOptions"]["Propagation"],
            "rshared",
            "{mounts}"
        );
        assert_eq!(by_target("/v")["VolumeOptions"]["NoCopy"], true, "{mounts}");
        assert_eq!(
            by_target("/t")["TmpfsOptions"]["SizeBytes"],
            1000,
            "{mounts}"
        );
    }

    #[test]
    // See: #20
    fn a_secret_without_a_file_is_refused_not_made_empty() {
        let project = project(
            "version: \"3.8\"\nservices:\n  c:\n    image: busybox\n    secrets: [s]\nsecrets:\n  s:\n    driver: vault\n",
        );
        let Err(PlanError::StackRefused { settings }) =
            plan_stack(&project, &StackObserved::default(), &options("s"))
        else {
            panic!("refused");
        };
        assert_eq!(settings.len(), 1);
        assert_eq!(settings[0].path, "c.secrets");
        assert!(
            settings[0].reason.contains("`driver` is not supported"),
            "{}",
            settings[0].reason
        );
    }

    #[test]
    fn an_undefined_or_unreadable_config_is_refused() {
        let Err(PlanError::StackRefused { settings }) = plan_stack(
            &project(WITH_CONFIGS),
            &StackObserved::default(),
            &options("s"),
        ) else {
            panic!("refused");
        };
        let reasons: Vec<String> = settings
            .iter()
            .map(|setting| format!("{}: {}", setting.path, setting.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                "c.configs: the file of config `site` cannot be read",
                "d.configs: config `missing` is not defined in the top-level `configs`",
            ]
        );
    }

    fn task(desired: &str, state: &str) -> StackTaskState {
        StackTaskState {
            desired: desired.into(),
            state: state.into(),
            error: None,
            health: None,
        }
    }

    #[test]
    fn replicated_converges_when_every_replica_runs() {
        let mut status = StackServiceStatus {
            replicas: Some(2),
            tasks: vec![task("running", "running"), task("running", "starting")],
            ..StackServiceStatus::default()
        };
        assert_eq!(
            convergence(&status),
            Convergence::Converging {
                running: 1,
                wanted: 2
            }
        );
        status.tasks[1].state = "running".into();
        assert_eq!(convergence(&status), Convergence::Converged);
    }

    #[test]
    fn one_shot_converges_when_complete_and_fails_when_failed() {
        let mut status = StackServiceStatus {
            replicas: Some(1),
            tasks: vec![task("shutdown", "complete")],
            one_shot: true,
            ..StackServiceStatus::default()
        };
        assert_eq!(convergence(&status), Convergence::Converged);
        status.tasks[0].state = "failed".into();
        assert!(matches!(convergence(&status), Convergence::Failed { .. }));
    }

    #[test]
    fn a_rolled_back_update_says_so() {
        let status = StackServiceStatus {
            replicas: Some(1),
            update_state: Some("rollback_completed".into()),
            update_message: Some("update rolled back due to failure".into()),
            ..StackServiceStatus::default()
        };
        assert!(matches!(
            convergence(&status),
            Convergence::RolledBack { .. }
        ));
    }
}
