//! `profiles`: which services `up` brings up (1.29.2 `Project.get_services`).
//!
//! A service without `profiles` is always enabled; one with `profiles` only when
//! one of them is active (`--profile`, else `COMPOSE_PROFILES`). A service named on
//! the command line is enabled whatever its profiles, and its profiles become
//! active for its dependencies. A dependency pulled in that is not enabled is an
//! error. Profiles choose only what `up` starts: `down`, `ps` and `config` see
//! every service, as in 1.29.2.

use envctl_parser::{Project, Service, ServiceName};
use indexmap::IndexSet;

use crate::error::PlanError;
use crate::graph::DependencyGraph;

/// True when `service` runs under the active `profiles`.
pub fn enabled_for_profiles(service: &Service, profiles: &[String]) -> bool {
    service.profiles.is_empty()
        || service
            .profiles
            .iter()
            .any(|profile| profiles.contains(profile))
}

/// The services `up` acts on, in dependency order.
pub(crate) fn select(
    project: &Project,
    graph: &DependencyGraph,
    named: &[ServiceName],
    no_deps: bool,
    profiles: &[String],
) -> Result<Vec<ServiceName>, PlanError> {
    let uses_profiles = project
        .services
        .values()
        .any(|service| !service.profiles.is_empty());
    if !uses_profiles {
        return if named.is_empty() {
            Ok(graph.order())
        } else if no_deps {
            graph.only(named)
        } else {
            graph.with_dependencies(named)
        };
    }
    let mut active: Vec<String> = profiles.to_vec();
    let roots: Vec<ServiceName> = if named.is_empty() {
        graph
            .order()
            .into_iter()
            .filter(|name| {
                project
                    .service(name.as_str())
                    .is_some_and(|service| enabled_for_profiles(service, profiles))
            })
            .collect()
    } else {
        for name in named {
            if let Some(service) = project.service(name.as_str()) {
                for profile in &service.profiles {
                    if !active.contains(profile) {
                        active.push(profile.clone());
                    }
                }
            }
        }
        named.to_vec()
    };
    if no_deps {
        return graph.only(&roots);
    }
    let with_dependencies: IndexSet<ServiceName> =
        graph.with_dependencies(&roots)?.into_iter().collect();
    for name in &with_dependencies {
        if roots.contains(name) {
            continue;
        }
        let Some(service) = project.service(name.as_str()) else {
            continue;
        };
        if !enabled_for_profiles(service, &active) {
            let dependent = with_dependencies
                .iter()
                .find(|other| graph.dependencies_of(other.as_str()).contains(name))
                .cloned()
                .unwrap_or_else(|| name.clone());
            return Err(PlanError::DisabledDependency {
                dependency: name.clone(),
                dependent,
            });
        }
    }
    Ok(graph
        .order()
        .into_iter()
        .filter(|name| with_dependencies.contains(name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        envctl_parser::parse_str(
            "docker-compose.yml",
            r#"
version: "3.9"
services:
  web: {image: busybox}
  debug: {image: busybox, profiles: [dbg]}
  tool: {image: busybox, profiles: [tools], depends_on: [debug]}
  both: {image: busybox, profiles: [tools, dbg], depends_on: [debug]}
"#,
        )
        .expect("loads")
    }

    fn names(selected: &[ServiceName]) -> Vec<&str> {
        selected.iter().map(ServiceName::as_str).collect()
    }

    #[test]
    fn profiles_choose_what_up_starts_as_1_29_2() {
        let project = project();
        let graph = DependencyGraph::new(&project).expect("graph");
        let select = |named: &[&str], profiles: &[&str]| {
            let named: Vec<ServiceName> = named.iter().map(|name| (*name).into()).collect();
            let profiles: Vec<String> = profiles.iter().map(|p| (*p).to_owned()).collect();
            select(&project, &graph, &named, false, &profiles)
        };
        assert_eq!(names(&select(&[], &[]).expect("ok")), ["web"]);
        assert_eq!(
            names(&select(&[], &["dbg"]).expect("ok")),
            ["web", "debug", "both"]
        );
        assert_eq!(
            names(&select(&["both"], &[]).expect("ok")),
            ["debug", "both"],
            "a named service's profiles enable its dependencies"
        );
        let error = select(&["tool"], &[]).expect_err("debug is not enabled");
        assert_eq!(
            error.to_string(),
            "Service \"debug\" was pulled in as a dependency of service \"tool\" but is not enabled by the active profiles."
        );
        assert!(select(&[], &["tools"]).is_err());
        assert_eq!(
            names(&select(&[], &["tools", "dbg"]).expect("ok")),
            ["web", "debug", "tool", "both"]
        );
    }
}
