//! Two front ends calling the operations layer at once, on two projects, against
//! a real engine: neither sees the other's containers, events or lock.

#![cfg(feature = "docker-tests")]

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};

use envctl_executor::{Event, Progress};
use envctl_ops::{DownRequest, EngineTarget, Events, PsRequest, Target, UpRequest};
use envctl_parser::LoadOptions;
use envctl_planner::{DownOptions, Plan};
use tokio_util::sync::CancellationToken;

/// Records the containers its step events name.
#[derive(Default)]
struct Recorder {
    containers: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// Each container once, by name.
    fn containers(&self) -> Vec<String> {
        let mut containers = self
            .containers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        containers.sort();
        containers.dedup();
        containers
    }
}

impl Events for Recorder {
    fn progress(&self, _plan: &Plan) -> Progress {
        let containers = Arc::clone(&self.containers);
        Arc::new(move |event| {
            if let Event::Step { container, .. } = event {
                containers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(container);
            }
        })
    }
}

/// Removes every container and network labelled with the project when dropped,
/// also when the test fails.
struct ProjectGuard(String);

impl Drop for ProjectGuard {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.0);
        let ids = docker(&["ps", "-aq", "--filter", &label]);
        if !ids.is_empty() {
            let mut arguments = vec!["rm", "-fv"];
            arguments.extend(ids.iter().map(String::as_str));
            docker(&arguments);
        }
        for network in docker(&["network", "ls", "-q", "--filter", &label]) {
            docker(&["network", "rm", &network]);
        }
    }
}

fn docker(arguments: &[&str]) -> Vec<String> {
    let output = Command::new("docker")
        .args(arguments)
        .output()
        .expect("the docker CLI runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(ToOwned::to_owned)
        .collect()
}

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!(
        "envctlops{name}{}{}",
        std::process::id() % 10_000,
        nanos % 100_000
    )
}

fn target(project: &str) -> Target {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/engine/chain");
    let mut settings = indexmap::IndexMap::new();
    if let Ok(host) = std::env::var("DOCKER_HOST") {
        settings.insert("DOCKER_HOST".to_owned(), host);
    }
    Target {
        load: LoadOptions {
            stdin: None,
            files: vec![fixture.join("docker-compose.yml")],
            project_name: Some(project.to_owned()),
            project_directory: None,
            env_file: None,
            environment: indexmap::IndexMap::new(),
            cwd: fixture,
            interpolate: true,
            check_build_paths: true,
        },
        engine: EngineTarget {
            settings,
            ..EngineTarget::default()
        },
        parallel_limit: 8,
        lock_directory: Some(std::env::temp_dir().join("envctl")),
    }
}

// See: #17
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_projects_come_up_and_down_at_once_without_seeing_each_other() {
    let (first, second) = (unique("a"), unique("b"));
    let _guards = (ProjectGuard(first.clone()), ProjectGuard(second.clone()));
    let (first_target, second_target) = (target(&first), target(&second));
    let (first_events, second_events) = (Recorder::default(), Recorder::default());
    let token = CancellationToken::new();
    let up = UpRequest::default();

    let (first_up, second_up) = tokio::join!(
        envctl_ops::up(&first_target, &up, &first_events, &token),
        envctl_ops::up(&second_target, &up, &second_events, &token),
    );
    first_up.expect("the first project comes up");
    second_up.expect("the second project comes up");
    for (project, events) in [(&first, &first_events), (&second, &second_events)] {
        let containers = events.containers();
        assert_eq!(containers.len(), 3, "{project}: {containers:?}");
        assert!(
            containers
                .iter()
                .all(|name| name.starts_with(&format!("{project}_"))),
            "{project} saw another project's steps: {containers:?}"
        );
    }
    let all = PsRequest::default();
    let (first_ps, second_ps) = tokio::join!(
        envctl_ops::ps(&first_target, &all, &first_events),
        envctl_ops::ps(&second_target, &all, &second_events),
    );
    let names = |containers: Vec<envctl_executor::ContainerDetails>| {
        containers
            .into_iter()
            .map(|container| container.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(first_ps.expect("ps")),
        ["a", "b", "c"].map(|service| format!("{first}_{service}_1"))
    );
    assert_eq!(
        names(second_ps.expect("ps")),
        ["a", "b", "c"].map(|service| format!("{second}_{service}_1"))
    );

    let down = DownRequest {
        options: DownOptions {
            remove_volumes: true,
            ..DownOptions::default()
        },
        ..DownRequest::default()
    };
    let (first_down, second_down) = tokio::join!(
        envctl_ops::down(&first_target, &down, &first_events, &token),
        envctl_ops::down(&second_target, &down, &second_events, &token),
    );
    first_down.expect("the first project goes down");
    second_down.expect("the second project goes down");
    for project in [&first, &second] {
        let label = format!("label=com.docker.compose.project={project}");
        assert_eq!(
            docker(&["ps", "-aq", "--filter", &label]),
            Vec::<String>::new()
        );
    }
}
