//! `up --wait` (and `envctl serve`'s `wait: true` and its states): which services
//! may be done rather than running. A container of such a service that exited
//! with code 0 is ready; any other exited container is a failure.
//!
//! docker compose v2 counts only a service some other service depends on with
//! `service_completed_successfully` (compose #9572); a one-shot that nothing waits
//! for makes `--wait` fail (compose #10596, still open). envctl also counts a
//! one-shot that nothing needs running: a data-only or job service, which the
//! engine does not restart after a clean exit (`restart` unset, `no` or
//! `on-failure`) and which no service needs running (by `depends_on` with
//! `service_started` or `service_healthy`, `links`, or a `network_mode`, `pid` or
//! `ipc` of `service:`). `volumes_from` does not need it running: that is the
//! data-only container's whole use.

use envctl_parser::{DependencyKind, DependsOnCondition, Project};

/// Whether a container of `service` that exited with code 0 counts as ready.
pub fn may_complete(project: &Project, service: &str) -> bool {
    let mut awaited = false;
    let mut needed_running = false;
    for other in project.services.values() {
        match other.depends_on.get(service) {
            Some(DependsOnCondition::CompletedSuccessfully) => awaited = true,
            Some(DependsOnCondition::Started | DependsOnCondition::Healthy) => {
                needed_running = true;
            }
            None => {}
        }
        needed_running |= other.dependencies.iter().any(|dependency| {
            dependency.target.as_str() == service
                && matches!(
                    dependency.kind,
                    DependencyKind::Link
                        | DependencyKind::NetworkMode
                        | DependencyKind::Pid
                        | DependencyKind::Ipc
                )
        });
    }
    if awaited {
        return true;
    }
    let restarts = project
        .services
        .get(service)
        .and_then(|found| found.restart.as_ref())
        .is_some_and(|policy| matches!(policy.name.as_str(), "always" | "unless-stopped"));
    !restarts && !needed_running
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(file: &str, expect: &[(&str, bool)]) {
        let project = envctl_parser::parse_str("docker-compose.yml", file).unwrap();
        for (service, expected) in expect {
            assert_eq!(
                may_complete(&project, service),
                *expected,
                "{service} in\n{file}"
            );
        }
    }

    #[test]
    fn one_shots_that_nothing_needs_running_may_complete() {
        check(
            r#"version: "2.4"
services:
  migrate: {image: a}
  seed: {image: a, restart: "no"}
  data: {image: a, volumes: [/data]}
  server: {image: a, restart: always, volumes_from: [data]}
  worker: {image: a, restart: unless-stopped}
  retried: {image: a, restart: on-failure}
  db: {image: a}
  cache: {image: a}
  api:
    image: a
    links: [cache]
    depends_on:
      db: {condition: service_started}
      migrate: {condition: service_completed_successfully}
"#,
            &[
                ("migrate", true),
                ("seed", true),
                ("data", true),
                ("retried", true),
                ("api", true),
                ("server", false),
                ("worker", false),
                ("db", false),
                ("cache", false),
            ],
        );
    }

    #[test]
    fn awaited_completion_wins_over_a_restart_policy() {
        check(
            r#"version: "2.4"
services:
  init: {image: a, restart: always}
  web:
    image: a
    depends_on:
      init: {condition: service_completed_successfully}
"#,
            &[("init", true)],
        );
    }
}
