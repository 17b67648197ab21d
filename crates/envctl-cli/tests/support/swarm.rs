//! The Swarm cluster the `stack` tests share: `fixtures/swarm/cluster.sh up`
//! (two engines in network namespaces; idempotent, locked), once per test binary.
//! The engine on the default socket is never touched.

use std::process::Command;
use std::sync::OnceLock;

use super::{Output, repo_root};

/// The manager's `DOCKER_HOST`; the cluster is made on first use. A cluster that
/// cannot be made fails the test, saying how to fix it.
pub fn manager() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let script = repo_root().join("fixtures/swarm/cluster.sh");
        let output = Command::new(&script)
            .arg("up")
            .output()
            .expect("fixtures/swarm/cluster.sh runs");
        assert!(
            output.status.success(),
            "the test cluster could not be made (fixtures/swarm/cluster.sh up; needs root, iproute2, util-linux and dockerd, and the test images: `just images`):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    })
}

/// The docker CLI against the cluster's manager.
pub fn docker(arguments: &[&str]) -> Output {
    let output = Command::new("docker")
        .args(arguments)
        .env("DOCKER_HOST", manager())
        .output()
        .expect("the docker CLI runs");
    Output {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

/// [`docker`]'s stdout lines.
pub fn docker_lines(arguments: &[&str]) -> Vec<String> {
    docker(arguments)
        .stdout
        .lines()
        .map(str::to_owned)
        .filter(|line| !line.is_empty())
        .collect()
}

/// The engine node a command runs on: a second engine of the cluster.
pub fn node_script(arguments: &[&str]) -> Output {
    let output = Command::new(repo_root().join("fixtures/swarm/cluster.sh"))
        .args(arguments)
        .output()
        .expect("fixtures/swarm/cluster.sh runs");
    Output {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

/// Removes the stack, even when the test fails.
pub struct StackGuard(pub String);

impl Drop for StackGuard {
    fn drop(&mut self) {
        docker(&["stack", "rm", &self.0]);
        wait_gone(&self.0);
    }
}

/// Every object of the stack the manager still lists.
pub fn stack_objects(stack: &str) -> Vec<String> {
    let label = format!("label=com.docker.stack.namespace={stack}");
    let mut objects = Vec::new();
    for kind in ["service", "secret", "config"] {
        for line in docker_lines(&[kind, "ls", "--filter", &label, "--format", "{{.Name}}"]) {
            objects.push(format!("{kind} {line}"));
        }
    }
    for line in docker_lines(&[
        "network",
        "ls",
        "--filter",
        &label,
        "--format",
        "{{.Name}} {{.ID}}",
    ]) {
        // A node keeps its copy of a removed network for a moment; the manager's
        // answer is what counts.
        let id = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        if docker(&["network", "rm", &id]).stderr.contains("not found") {
            continue;
        }
        objects.push(format!("network {line}"));
    }
    objects
}

/// Waits (up to 60 s: a loaded machine's vfs engines take their time) until the
/// stack has no object left; returns what is left.
pub fn wait_gone(stack: &str) -> Vec<String> {
    let mut left = stack_objects(stack);
    for _ in 0..120 {
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        left = stack_objects(stack);
    }
    left
}

/// Waits (up to 60 s) until the manager no longer lists any network of `stack`.
/// [`wait_gone`] counts a network gone once the cluster has removed it, but the
/// manager's own copy may be listed a moment longer, until its last task's
/// container is gone; `docker stack deploy` of the same name in that moment sees
/// it, makes no network, and fails with "network … not found".
pub fn wait_networks_unlisted(stack: &str) {
    let label = format!("label=com.docker.stack.namespace={stack}");
    for _ in 0..120 {
        if docker_lines(&["network", "ls", "--filter", &label, "--format", "{{.ID}}"]).is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// `Spec.Version.Index` of each service of the stack, by name.
pub fn versions(stack: &str) -> std::collections::BTreeMap<String, u64> {
    docker_lines(&[
        "service",
        "ls",
        "--filter",
        &format!("label=com.docker.stack.namespace={stack}"),
        "--format",
        "{{.Name}}",
    ])
    .into_iter()
    .map(|name| {
        let version = docker_lines(&[
            "service",
            "inspect",
            "--format",
            "{{.Version.Index}}",
            &name,
        ])
        .first()
        .and_then(|line| line.parse().ok())
        .unwrap_or(0);
        (name, version)
    })
    .collect()
}
