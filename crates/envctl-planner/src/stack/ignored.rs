//! What `stack deploy` does not send of a file, said in docker's words rather
//! than dropped silently (docker/cli's `stack deploy` prints "Ignoring
//! unsupported options: …" and "Ignoring deprecated options: …" for the service
//! keys it does not convert). Every service key envctl sends, translates or
//! refuses is listed in [`HANDLED`]; any other key a service sets is named.

use envctl_parser::Project;

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
    let mut unsupported: Vec<&str> = Vec::new();
    let mut deprecated: Vec<(&str, &str)> = Vec::new();
    for service in project.services.values() {
        for key in service.options.keys() {
            let key = key.as_str();
            if HANDLED.contains(&key) {
                continue;
            }
            if let Some(entry) = DEPRECATED.iter().find(|(name, _)| *name == key) {
                if !deprecated.contains(entry) {
                    deprecated.push(*entry);
                }
            } else if !unsupported.contains(&key) {
                unsupported.push(key);
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
    }
}
