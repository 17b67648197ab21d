//! A worker of the stack tests' cluster stops: its tasks move to the manager, and
//! a re-deploy waits until they run there. Alone in its test binary (cargo runs
//! test binaries one at a time), since it stops an engine the other stack tests
//! use. See: #20.

#![cfg(feature = "docker-tests")]

mod support;

use std::collections::BTreeSet;

use support::swarm::{StackGuard, docker_lines, manager, node_script};
use support::{Test, unique_project};

/// Starts the worker again, even when the test fails.
struct NodeGuard;

impl Drop for NodeGuard {
    fn drop(&mut self) {
        node_script(&["start-node", "1"]);
        // The worker is Ready again before the next test binary uses the cluster.
        for _ in 0..60 {
            let ready = docker_lines(&[
                "node",
                "ls",
                "--filter",
                "role=worker",
                "--format",
                "{{.Status}}",
            ]);
            if ready.iter().all(|status| status == "Ready") && !ready.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
}

fn running_nodes(service: &str) -> BTreeSet<String> {
    docker_lines(&[
        "service",
        "ps",
        service,
        "--filter",
        "desired-state=running",
        "--format",
        "{{.ID}}",
    ])
    .iter()
    .flat_map(|task| docker_lines(&["inspect", "--format", "{{.NodeID}}", task]))
    .collect()
}

#[test]
fn a_stopped_workers_tasks_move_to_the_other_node() {
    let stack = unique_project("swarm-nodes").replace('-', "_");
    let _guard = StackGuard(stack.clone());
    let test = Test::new().file(
        "docker-compose.yml",
        "version: \"3.8\"\nservices:\n  app:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 4\n",
    );
    let deployed = test.envctl_with(
        &[],
        &[("DOCKER_HOST", manager())],
        &["stack", "deploy", &stack],
    );
    assert_eq!(deployed.code, Some(0), "{}", deployed.render());
    let service = format!("{stack}_app");
    assert_eq!(
        running_nodes(&service).len(),
        2,
        "spread over both nodes first"
    );
    let manager_id = docker_lines(&["info", "--format", "{{.Swarm.NodeID}}"]).join("");

    let _node = NodeGuard;
    let stopped = node_script(&["stop-node", "1"]);
    assert_eq!(stopped.code, Some(0), "{}", stopped.render());
    // The manager marks the worker down after its heartbeats stop, then
    // reschedules; envctl's re-deploy (nothing changed) has nothing to do.
    let mut nodes = BTreeSet::new();
    for _ in 0..120 {
        nodes = running_nodes(&service);
        let running = docker_lines(&[
            "service",
            "ps",
            &service,
            "--filter",
            "desired-state=running",
            "--format",
            "{{.CurrentState}}",
        ]);
        if nodes == BTreeSet::from([manager_id.clone()])
            && running.len() == 4
            && running.iter().all(|state| state.starts_with("Running"))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert_eq!(
        nodes,
        BTreeSet::from([manager_id]),
        "every task on the manager"
    );
    let services = test.envctl_with(
        &[],
        &[("DOCKER_HOST", manager())],
        &["stack", "services", &stack],
    );
    assert!(services.stdout.contains("4/4"), "{}", services.render());
}
