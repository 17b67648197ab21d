//! Shared by the real-engine tests: unique project names, a clean-up guard, and
//! `Project` values built in code.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command as Process;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use envctl_executor::{Engine, Event, Progress};
use envctl_parser::{FileId, Format, Project, Service, ServiceName, SourceMap, Span};
use indexmap::IndexMap;

pub const IMAGE: &str = "envctl-test/busybox:latest";

/// A project name no other test (or earlier run) uses.
pub fn unique_project(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!(
        "envctlx{}{}{}",
        test.replace(['_', '-'], ""),
        std::process::id() % 10_000,
        (nanos % 100_000) + COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Removes every container labelled with the project, and the volumes they used,
/// when dropped: also when the test fails.
pub struct ProjectGuard {
    pub name: String,
    volumes: Mutex<Vec<String>>,
}

impl ProjectGuard {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            volumes: Mutex::new(Vec::new()),
        }
    }

    /// Remembers the named volumes of the project's containers now, so that they are
    /// removed at the end even if the containers are gone by then.
    pub fn remember_volumes(&self) {
        let volumes = docker_lines(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
        ])
        .into_iter()
        .flat_map(|id| {
            docker_lines(&[
                "inspect",
                "--format",
                "{{range .Mounts}}{{if .Name}}{{.Name}}\n{{end}}{{end}}",
                &id,
            ])
        })
        .collect::<Vec<_>>();
        if let Ok(mut remembered) = self.volumes.lock() {
            remembered.extend(volumes);
        }
    }
}

impl Drop for ProjectGuard {
    fn drop(&mut self) {
        self.remember_volumes();
        let ids = docker_lines(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
        ]);
        if !ids.is_empty() {
            let mut arguments = vec!["rm", "-fv"];
            arguments.extend(ids.iter().map(String::as_str));
            docker_lines(&arguments);
        }
        let volumes = self
            .volumes
            .lock()
            .map(|volumes| volumes.clone())
            .unwrap_or_default();
        for volume in volumes {
            docker_lines(&["volume", "rm", "-f", &volume]);
        }
    }
}

/// Runs `docker` with `arguments`; its stdout lines (empty ones dropped).
pub fn docker_lines(arguments: &[&str]) -> Vec<String> {
    let output = Process::new("docker")
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

pub fn volume_exists(name: &str) -> bool {
    Process::new("docker")
        .args(["volume", "inspect", name])
        .output()
        .expect("the docker CLI runs")
        .status
        .success()
}

pub fn service(name: &str) -> Service {
    let mut service = Service::new(ServiceName::new(name), Span::new(FileId(0), 0, 0));
    service.image = Some(IMAGE.to_owned());
    service
}

pub fn project(name: &str, services: Vec<Service>) -> Project {
    Project {
        name: name.to_owned(),
        working_dir: PathBuf::from("/tmp"),
        config_files: vec![PathBuf::from("/tmp/docker-compose.yml")],
        env_file: None,
        format: Format::V1,
        services: services
            .into_iter()
            .map(|service| (service.name.clone(), service))
            .collect::<IndexMap<_, _>>(),
        networks: IndexMap::new(),
        volumes: IndexMap::new(),
        secrets: IndexMap::new(),
        configs: IndexMap::new(),
        sources: SourceMap::default(),
        warnings: Vec::new(),
    }
}

/// Connects to the engine; fails (never skips) when there is none.
pub async fn engine() -> Engine {
    Engine::connect_from_env()
        .await
        .expect("a Docker Engine must answer for the docker-tests (set DOCKER_HOST)")
}

/// A progress sink that keeps every event.
pub fn recorder() -> (Progress, std::sync::Arc<Mutex<Vec<Event>>>) {
    let events = std::sync::Arc::new(Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&events);
    let progress: Progress = std::sync::Arc::new(move |event| {
        if let Ok(mut events) = sink.lock() {
            events.push(event);
        }
    });
    (progress, events)
}
