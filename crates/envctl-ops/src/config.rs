//! `config`: the resolved file, the services in dependency order, or their config
//! hashes as 1.29.2 computes them (which needs the engine's image ids).

use envctl_executor::observe;
use envctl_parser::{RenderOptions, check_secrets, load_with_sections, to_compose_yaml_with};
use envctl_planner::{DependencyGraph, compose_order, config_hash_observed, enabled_for_profiles};

use crate::error::OpsError;
use crate::events::Events;
use crate::session;
use crate::target::Target;

/// What `config` is asked.
#[derive(Debug, Clone, Default)]
pub enum ConfigQuery {
    /// `-q`: validate only.
    Validate,
    /// `--services`.
    Services,
    /// `--volumes`: the top-level volumes (sorted, as the project holds them).
    Volumes,
    /// `--profiles`: every profile a service names, sorted.
    Profiles,
    /// `--hash`: `*` (the services of `profiles`) or names, comma-separated.
    Hash {
        selection: String,
        profiles: Vec<String>,
    },
    /// The resolved file.
    #[default]
    Document,
}

/// What `config` found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigOutput {
    Valid,
    /// The services, in dependency order.
    Services(Vec<String>),
    /// `--volumes`' or `--profiles`' names, a line each.
    Names(Vec<String>),
    /// `(service, hash)`, in 1.29.2's order.
    Hashes(Vec<(String, String)>),
    /// The resolved file as YAML.
    Document(String),
}

/// Loads (without the secrets check, as 1.29.2's `config`) and answers `query`.
/// `target.load.interpolate` off is `--no-interpolate`.
pub async fn config(
    target: &Target,
    query: &ConfigQuery,
    events: &dyn Events,
) -> Result<ConfigOutput, OpsError> {
    let interpolate = target.load.interpolate;
    let (project, sections) = load_with_sections(&target.load)?;
    session::using_files(&project, events);
    for warning in &project.warnings {
        events.warning(&warning.to_string());
    }
    // 1.29.2 refuses a dependency cycle in every form of `config`, `-q` included.
    DependencyGraph::new(&project)?;
    // Settings the engine would refuse: 1.29.2's `config` passes them, `up` will not.
    for service in project.services.values() {
        for refusal in &service.refusals {
            events.warning(&format!(
                "`{}` is invalid: {} ({}); `up` and `run` will refuse it",
                refusal.path,
                refusal.reason,
                project.location(refusal.span)
            ));
        }
    }
    match query {
        ConfigQuery::Validate => Ok(ConfigOutput::Valid),
        ConfigQuery::Services => Ok(ConfigOutput::Services(
            DependencyGraph::new(&project)?
                .order()
                .iter()
                .map(ToString::to_string)
                .collect(),
        )),
        ConfigQuery::Volumes => Ok(ConfigOutput::Names(
            project.volumes.keys().cloned().collect(),
        )),
        ConfigQuery::Profiles => {
            let profiles: std::collections::BTreeSet<String> = project
                .services
                .values()
                .flat_map(|service| service.profiles.iter().cloned())
                .collect();
            Ok(ConfigOutput::Names(profiles.into_iter().collect()))
        }
        ConfigQuery::Hash {
            selection,
            profiles,
        } => {
            // 1.29.2 makes the project here, which checks its secrets.
            for warning in check_secrets(&project)? {
                events.warning(&warning.to_string());
            }
            // Refuses cycles first, as 1.29.2 does.
            DependencyGraph::new(&project)?;
            let order = compose_order(&project);
            let names: Vec<String> = if selection.trim() == "*" {
                // Every service of the active profiles (1.29.2 `get_services(None)`);
                // a service named is printed whatever its profiles.
                order
                    .iter()
                    .filter(|name| {
                        project
                            .service(name.as_str())
                            .is_some_and(|service| enabled_for_profiles(service, profiles))
                    })
                    .map(ToString::to_string)
                    .collect()
            } else {
                let selected: Vec<&str> = selection.split(',').map(str::trim).collect();
                if let Some(unknown) = selected
                    .iter()
                    .find(|name| !project.services.contains_key(**name))
                {
                    return Err(OpsError::invalid(format!("no such service: `{unknown}`")));
                }
                // 1.29.2 prints the named services once each, in its own order.
                order
                    .iter()
                    .filter(|name| selected.contains(&name.as_str()))
                    .map(ToString::to_string)
                    .collect()
            };
            let engine = session::connect(target).await?;
            let observed = observe(&engine, &project).await?;
            Ok(ConfigOutput::Hashes(
                names
                    .into_iter()
                    .filter_map(|name| {
                        let service = project.service(&name)?;
                        let hash = config_hash_observed(&project, service, &observed);
                        Some((name, hash))
                    })
                    .collect(),
            ))
        }
        ConfigQuery::Document => Ok(ConfigOutput::Document(to_compose_yaml_with(
            &project,
            &RenderOptions {
                escape_dollars: interpolate,
                sections,
            },
        ))),
    }
}
