//! What `stack deploy` does not send of a file, said in docker's words rather
//! than dropped silently (docker/cli's `stack deploy` prints "Ignoring
//! unsupported options: …" and "Ignoring deprecated options: …" for the service
//! keys it does not convert). Every service key envctl sends, translates or
//! refuses is listed in [`HANDLED`]; any other key a service sets is named.

use envctl_parser::Project;
use serde_json::{Map, Value};

/// The service keys `stack deploy` sends, translates (docs/swarm.md
/// "Translations") or refuses ("Refusals"), and those that only shape loading.
const HANDLED: &[&str] = &[
    "build",
    "cap_add",
    "cap_drop",
    "command",
    "configs",
    "cpus",
    "depends_on",
    "deploy",
    "devices",
    "dns",
    "dns_search",
    "dockerfile",
    "entrypoint",
    "env_file",
    "environment",
    "extends",
    "extra_hosts",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "isolation",
    "labels",
    "links",
    "log_driver",
    "log_opt",
    "logging",
    "mem_limit",
    "mem_reservation",
    "net",
    "network_mode",
    "networks",
    "ports",
    "privileged",
    "profiles",
    "read_only",
    "restart",
    "scale",
    "secrets",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "sysctls",
    "tty",
    "ulimits",
    "user",
    "volumes",
    "volumes_from",
    "working_dir",
];

/// The keys of `deploy` (and of its `resources`) the spec is made from.
const DEPLOY_HANDLED: &[&str] = &[
    "endpoint_mode",
    "labels",
    "mode",
    "placement",
    "replicas",
    "resources",
    "restart_policy",
    "rollback_config",
    "update_config",
];
const LIMITS_HANDLED: &[&str] = &["cpus", "memory", "pids"];
const RESERVATIONS_HANDLED: &[&str] = &["cpus", "memory"];

/// The options of a long-syntax `volumes` entry that no spec carries (`bind`,
/// `volume` and `tmpfs` are read from the file: `spec.rs`).
const VOLUME_OPTIONS: &[&str] = &["consistency"];

/// docker/cli's `DeprecatedProperties`, with its descriptions.
const DEPRECATED: &[(&str, &str)] = &[
    (
        "container_name",
        "Setting the container name is not supported.",
    ),
    (
        "expose",
        "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
    ),
];

/// The warnings for the keys the project's services set that `stack deploy`
/// does not send, in docker's words: one line naming the unsupported keys
/// (sorted), one block for the deprecated ones. Empty when every key is sent.
pub fn ignored_options(project: &Project) -> Vec<String> {
    let mut unsupported: Vec<String> = Vec::new();
    let mut deprecated: Vec<(&str, &str)> = Vec::new();
    for service in project.services.values() {
        for path in nested_unsupported(&service.options) {
            if !unsupported.contains(&path) {
                unsupported.push(path);
            }
        }
        for key in service.options.keys() {
            let key = key.as_str();
            // Extension fields (`x-…`) are for the file's own use.
            if HANDLED.contains(&key) || key.starts_with("x-") {
                continue;
            }
            if let Some(entry) = DEPRECATED.iter().find(|(name, _)| *name == key) {
                if !deprecated.contains(entry) {
                    deprecated.push(*entry);
                }
            } else if !unsupported.iter().any(|found| found == key) {
                unsupported.push(key.to_owned());
            }
        }
    }
    unsupported.sort_unstable();
    deprecated.sort_unstable();
    let mut warnings = Vec::new();
    if !unsupported.is_empty() {
        warnings.push(format!(
            "Ignoring unsupported options: {}",
            unsupported.join(", ")
        ));
    }
    if !deprecated.is_empty() {
        let lines: Vec<String> = deprecated
            .iter()
            .map(|(key, description)| format!("{key}: {description}"))
            .collect();
        warnings.push(format!(
            "Ignoring deprecated options:\n\n{}",
            lines.join("\n")
        ));
    }
    warnings
}

/// The keys under `deploy` and in long-syntax `volumes` entries that no spec
/// carries, as dotted paths (`deploy.resources.reservations.devices`,
/// `volumes.bind`).
fn nested_unsupported(options: &Map<String, Value>) -> Vec<String> {
    let mut paths = Vec::new();
    let mut check = |value: Option<&Value>, handled: &[&str], prefix: &str| {
        for key in value
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(Map::keys)
        {
            if !handled.contains(&key.as_str()) {
                paths.push(format!("{prefix}.{key}"));
            }
        }
    };
    let deploy = options.get("deploy");
    check(deploy, DEPLOY_HANDLED, "deploy");
    let resources = deploy.and_then(|deploy| deploy.get("resources"));
    check(resources, &["limits", "reservations"], "deploy.resources");
    let part = |key: &str| resources.and_then(|resources| resources.get(key));
    check(part("limits"), LIMITS_HANDLED, "deploy.resources.limits");
    check(
        part("reservations"),
        RESERVATIONS_HANDLED,
        "deploy.resources.reservations",
    );
    for entry in options
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
    {
        for key in VOLUME_OPTIONS {
            let path = format!("volumes.{key}");
            if entry.contains_key(*key) && !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::ignored_options;

    fn check(services: &str, expected: &[&str]) {
        let text = format!("version: \"3.8\"\nservices:\n{services}");
        let project = envctl_parser::parse_str("docker-compose.yml", &text).expect("parses");
        assert_eq!(ignored_options(&project), expected, "{services}");
    }

    // See: #20
    #[test]
    fn keys_stack_deploy_does_not_send_are_named_in_docker_s_words() {
        check(
            "  web:\n    image: busybox\n    command: [sleep, \"9\"]\n    environment: [A=1]\n    labels: [a=b]\n    hostname: web\n    user: \"1\"\n    working_dir: /\n    init: true\n    read_only: true\n    tty: true\n    stdin_open: true\n    stop_signal: SIGINT\n    stop_grace_period: 3s\n    cap_add: [NET_ADMIN]\n    dns: [1.1.1.1]\n    extra_hosts: [\"a:1.2.3.4\"]\n    sysctls: {net.core.somaxconn: 1024}\n    ulimits: {nofile: 1024}\n    healthcheck: {test: [CMD, \"true\"]}\n    logging: {driver: json-file}\n    ports: [\"80\"]\n    deploy: {replicas: 2}\n    restart: always\n",
            &[],
        );
        check(
            "  web:\n    image: busybox\n    shm_size: 64m\n    pid: host\n    container_name: web\n  db:\n    image: busybox\n    security_opt: [no-new-privileges]\n    expose: [\"80\"]\n    pid: host\n",
            &[
                "Ignoring unsupported options: pid, security_opt, shm_size",
                "Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not supported.\nexpose: Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
            ],
        );
        check(
            "  web:\n    image: busybox\n    volumes:\n      - type: bind\n        source: /tmp\n        target: /t\n        consistency: cached\n        bind: {propagation: rshared}\n      - type: tmpfs\n        target: /x\n        tmpfs: {size: 1000}\n    deploy:\n      resources:\n        limits: {cpus: \"1\", pids: 9}\n        reservations:\n          memory: 1M\n          generic_resources: [{discrete_resource_spec: {kind: gpu, value: 1}}]\n",
            &[
                "Ignoring unsupported options: deploy.resources.reservations.generic_resources, volumes.consistency",
            ],
        );
    }
}
