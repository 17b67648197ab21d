//! The differential test: every case of `fixtures/differential` is brought up once
//! with docker-compose 1.29.2 and once with envctl, and the `docker inspect` of every
//! pair of containers must be equal in `Config`, `HostConfig`, `Mounts` and their
//! state (running, or exited with the same code) once the
//! values that differ from run to run are masked (ids, names, project names, times,
//! hostnames made from ids, anonymous volume names).
//!
//! The two runs are sequential (compose first, then envctl), because a case may use
//! `container_name` or a fixed named volume, which two live projects could not share.

#![cfg(feature = "docker-tests")]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{Output, ProjectGuard, Test, docker_lines, repo_root, unique_project};

/// A container the cases name in `external_links`, `volumes_from` and `net`,
/// removed when dropped.
struct External {
    name: String,
}

impl External {
    fn start(name: &str) -> Self {
        let output = docker_lines(&[
            "run",
            "-d",
            "--name",
            name,
            "envctl-test/busybox-volume:latest",
            "sh",
            "-c",
            "trap 'exit 0' TERM; sleep 1000 & wait",
        ]);
        assert_eq!(output.len(), 1, "the external container starts: {output:?}");
        Self {
            name: name.to_owned(),
        }
    }
}

impl Drop for External {
    fn drop(&mut self) {
        docker_lines(&["rm", "-fv", &self.name]);
    }
}

/// Removes image tags when dropped.
struct Untag(Vec<String>);

impl Drop for Untag {
    fn drop(&mut self) {
        for image in &self.0 {
            docker_lines(&["rmi", image]);
        }
    }
}

/// Removes a named volume when dropped.
struct VolumeGuard(String);

impl Drop for VolumeGuard {
    fn drop(&mut self) {
        docker_lines(&["volume", "rm", "-f", &self.0]);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the case directory");
    for entry in std::fs::read_dir(from).expect("read the fixture") {
        let entry = entry.expect("a directory entry");
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy a fixture file");
        }
    }
}

fn compose(dir: &Path, env: &[(&str, &str)], arguments: &[&str]) -> Output {
    let output = Command::new("docker-compose")
        .args(arguments)
        .current_dir(dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .envs(env.iter().copied())
        .output()
        .expect("docker-compose 1.29.2 is installed");
    Output {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

/// The project's containers' `docker inspect`, keyed `<service>_<number>`.
fn inspect_project(project: &str) -> BTreeMap<String, Value> {
    let ids = docker_lines(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert!(!ids.is_empty(), "project `{project}` has containers");
    let mut arguments = vec!["inspect"];
    arguments.extend(ids.iter().map(String::as_str));
    let output = Command::new("docker")
        .args(&arguments)
        .output()
        .expect("docker inspect runs");
    let all: Vec<Value> = serde_json::from_slice(&output.stdout).expect("inspect prints JSON");
    all.into_iter()
        .map(|container| {
            let label = |key: &str| {
                container["Config"]["Labels"][key]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            };
            (
                format!(
                    "{}_{}",
                    label("com.docker.compose.service"),
                    label("com.docker.compose.container-number")
                ),
                container,
            )
        })
        .collect()
}

/// What differs between two runs by design, replaced by placeholders: every
/// container id (full and short) by `<id:key>`, the project name by `<project>`,
/// anonymous volume names by `<volume:destination>`.
struct Masks {
    replacements: Vec<(String, String)>,
}

impl Masks {
    fn new(project: &str, containers: &BTreeMap<String, Value>) -> Self {
        let mut replacements = Vec::new();
        for (key, container) in containers {
            let id = container["Id"].as_str().unwrap_or_default().to_owned();
            replacements.push((id.clone(), format!("<id:{key}>")));
            replacements.push((id.chars().take(12).collect(), format!("<id:{key}>")));
            for mount in container["Mounts"].as_array().into_iter().flatten() {
                let name = mount["Name"].as_str().unwrap_or_default();
                if name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                    let destination = mount["Destination"].as_str().unwrap_or_default();
                    replacements.push((name.to_owned(), format!("<volume:{key}:{destination}>")));
                }
            }
        }
        replacements.push((project.to_owned(), "<project>".to_owned()));
        Self { replacements }
    }

    fn apply(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => {
                let mut text = text.clone();
                for (from, to) in &self.replacements {
                    if !from.is_empty() {
                        text = text.replace(from, to);
                    }
                }
                Value::String(text)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.apply(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, v)| {
                        let mut key = key.clone();
                        for (from, to) in &self.replacements {
                            if !from.is_empty() {
                                key = key.replace(from, to);
                            }
                        }
                        (key, self.apply(v))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// `Config`, `HostConfig` and `Mounts` (sorted by destination) of one container,
/// masked.
fn comparable(key: &str, container: &Value, masks: &Masks) -> Value {
    let mut config = container["Config"].clone();
    let id = container["Id"].as_str().unwrap_or_default();
    // envctl's own label (per-key digests that let a plan say what changed);
    // docker-compose neither writes nor reads it.
    if let Some(labels) = config["Labels"].as_object_mut() {
        labels.remove("io.envctl.config-digest");
    }
    // The engine names a container's host after its id unless `hostname` is set.
    if config["Hostname"].as_str() == Some(&id[..id.len().min(12)]) {
        config["Hostname"] = Value::String("<hostname from id>".to_owned());
    }
    let mut mounts = container["Mounts"].as_array().cloned().unwrap_or_default();
    mounts.sort_by(|a, b| {
        a["Destination"]
            .as_str()
            .unwrap_or_default()
            .cmp(b["Destination"].as_str().unwrap_or_default())
    });
    let _ = key;
    // Orders that carry no meaning: 1.29.2 builds `Binds` from a Python `set`
    // (`service.py` L903), and the engine lists `Links` from a Go map.
    let mut host_config = container["HostConfig"].clone();
    for key in ["Binds", "Links"] {
        if let Some(items) = host_config[key].as_array_mut() {
            items.sort_by_key(ToString::to_string);
        }
    }
    // Data-only containers run (and exit) in both, the rest keep running.
    let state = serde_json::json!({
        "Status": container["State"]["Status"],
        "ExitCode": container["State"]["ExitCode"],
    });
    // The networks a container joined (v2/v3), with its aliases (1.29.2 builds
    // them from a `set`: order carries no meaning), addresses and links.
    let networks: serde_json::Map<String, Value> = container["NetworkSettings"]["Networks"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, endpoint)| {
            // Masked before sorting: the short id sorts differently in each run.
            let sorted = |key: &str| {
                let mut items = masks
                    .apply(&endpoint[key])
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                items.sort_by_key(ToString::to_string);
                Value::Array(items)
            };
            let summary = serde_json::json!({
                "Aliases": sorted("Aliases"),
                "Links": sorted("Links"),
                "IPAMConfig": endpoint["IPAMConfig"],
            });
            (name.clone(), summary)
        })
        .collect();
    masks.apply(&serde_json::json!({
        "State": state,
        "Config": config,
        "HostConfig": host_config,
        "Mounts": mounts,
        "Networks": networks,
    }))
}

/// Every leaf of `value` as `path → JSON text`.
fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                flatten(&format!("{prefix}.{key}"), child, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (index, child) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{index}]"), child, out);
            }
        }
        leaf => {
            out.insert(prefix.to_owned(), leaf.to_string());
        }
    }
}

/// The differences between compose's and envctl's containers, one line per JSON
/// path; empty when they are equal.
fn differences(compose: &BTreeMap<String, Value>, envctl: &BTreeMap<String, Value>) -> Vec<String> {
    let mut lines = Vec::new();
    let compose_keys: Vec<&String> = compose.keys().collect();
    let envctl_keys: Vec<&String> = envctl.keys().collect();
    if compose_keys != envctl_keys {
        lines.push(format!(
            "containers: docker-compose made {compose_keys:?}, envctl made {envctl_keys:?}"
        ));
    }
    for (key, expected) in compose {
        let Some(actual) = envctl.get(key) else {
            continue;
        };
        let (mut left, mut right) = (BTreeMap::new(), BTreeMap::new());
        flatten(key, expected, &mut left);
        flatten(key, actual, &mut right);
        let paths: std::collections::BTreeSet<&String> = left.keys().chain(right.keys()).collect();
        for path in paths {
            let (a, b) = (left.get(path), right.get(path));
            if a != b {
                lines.push(format!(
                    "{path}: docker-compose {} | envctl {}",
                    a.map_or("(absent)", String::as_str),
                    b.map_or("(absent)", String::as_str)
                ));
            }
        }
    }
    lines
}

/// Differences that are not the executor's, with the reason, each `(case, path)`.
/// `ipc: service:<x>` is hashed by 1.29.2 with `x`'s container id at creation time;
/// the planner hashes before `x`'s container exists in the same `up`, so the first
/// `up` differs (the next one converges). See docs/config-hash.md, "Not done".
///
/// v2/v3: 1.29.2 hashes a service's networks and named volumes by their engine
/// names (`<project>_<key>`), so two projects of different names can never agree
/// here. With one project name they do: `cli_hash.rs` checks these fixtures'
/// hashes against docker-compose's (`fixtures/hash-golden/own-fixtures.json`).
const KNOWN: &[(&str, &str)] = &[
    (
        "shared-namespaces",
        "helper_1.Config.Labels.com.docker.compose.config-hash:",
    ),
    ("v2", "db_1.Config.Labels.com.docker.compose.config-hash:"),
    ("v2", "web_1.Config.Labels.com.docker.compose.config-hash:"),
    (
        "v2",
        "plain_1.Config.Labels.com.docker.compose.config-hash:",
    ),
    ("v3", "api_1.Config.Labels.com.docker.compose.config-hash:"),
    (
        "v3",
        "worker_1.Config.Labels.com.docker.compose.config-hash:",
    ),
    (
        "v3",
        "worker_2.Config.Labels.com.docker.compose.config-hash:",
    ),
    ("v3", "job_1.Config.Labels.com.docker.compose.config-hash:"),
    (
        "engine-secrets",
        "app_1.Config.Labels.com.docker.compose.config-hash:",
    ),
    (
        "engine-secrets",
        "reader_1.Config.Labels.com.docker.compose.config-hash:",
    ),
];

fn differential(case: &str) {
    differential_of(case, &repo_root().join("fixtures/differential").join(case));
}

#[allow(
    clippy::print_stderr,
    reason = "known differences are shown with the output"
)]
fn differential_of(case: &str, fixture: &Path) {
    let test = Test::new();
    let dir = test.path().to_path_buf();
    copy_dir(fixture, &dir);

    let prefix = unique_project(&format!("diff{case}"));
    let external = External::start(&format!("{prefix}_ext"));
    let _named = VolumeGuard(format!("{prefix}_named"));
    let env = [
        ("DIFF_EXT", external.name.as_str()),
        ("DIFF_PREFIX", prefix.as_str()),
    ];
    // Named by its absolute path: 1.29.2 labels a discovered file with the name
    // it was found by (`docker-compose.yml`), which envctl's parser does not keep.
    let file = dir.join("docker-compose.yml");
    let file = file.to_str().expect("utf-8 path");
    let (compose_project, envctl_project) = (format!("{prefix}c"), format!("{prefix}e"));

    // Images a `build` would make, tagged beforehand so that neither tool builds.
    let prebuilt: Vec<String> = std::fs::read_to_string(dir.join("prebuilt"))
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .flat_map(|service| {
            [&compose_project, &envctl_project].map(|project| format!("{project}_{service}"))
        })
        .collect();
    let _untag = Untag(prebuilt.clone());
    for image in &prebuilt {
        docker_lines(&["tag", "envctl-test/busybox:latest", image]);
    }

    let compose_containers = {
        let _guard = ProjectGuard::new(&compose_project);
        let output = compose(
            &dir,
            &env,
            &["-p", &compose_project, "-f", file, "up", "-d"],
        );
        assert_eq!(
            output.code,
            Some(0),
            "docker-compose up: {}",
            output.render()
        );
        let containers = inspect_project(&compose_project);
        let masks = Masks::new(&compose_project, &containers);
        containers
            .iter()
            .map(|(key, container)| (key.clone(), comparable(key, container, &masks)))
            .collect::<BTreeMap<_, _>>()
    };
    docker_lines(&["volume", "rm", "-f", &format!("{prefix}_named")]);

    let envctl_containers = {
        let _guard = ProjectGuard::new(&envctl_project);
        let mut test = test;
        for (key, value) in env {
            test = test.env(key, value);
        }
        let output = test.envctl(&["-p", &envctl_project, "-f", file, "up", "-d"]);
        assert_eq!(output.code, Some(0), "envctl up: {}", output.render());
        let containers = inspect_project(&envctl_project);
        let masks = Masks::new(&envctl_project, &containers);
        containers
            .iter()
            .map(|(key, container)| (key.clone(), comparable(key, container, &masks)))
            .collect::<BTreeMap<_, _>>()
    };

    let (known, lines): (Vec<String>, Vec<String>) =
        differences(&compose_containers, &envctl_containers)
            .into_iter()
            .partition(|line| {
                KNOWN
                    .iter()
                    .any(|(c, path)| *c == case && line.starts_with(path))
            });
    for line in known {
        eprintln!("known difference (see KNOWN): {line}");
    }
    assert!(
        lines.is_empty(),
        "case `{case}`: envctl's containers differ from docker-compose 1.29.2's:\n{}",
        lines.join("\n")
    );
}

#[test]
fn differential_options() {
    differential("options");
}

#[test]
fn differential_host_namespaces() {
    differential("host-namespaces");
}

#[test]
fn differential_shared_namespaces() {
    differential("shared-namespaces");
}

#[test]
fn differential_build() {
    differential("build");
}

#[test]
fn differential_read_only() {
    differential("read-only");
}

#[test]
fn differential_v2() {
    differential("v2");
}

#[test]
fn differential_v3() {
    differential("v3");
}

/// v3 secrets (`fixtures/engine/secrets`, copied to one directory for both tools):
/// the same read-only bind mounts, the external secret left out.
#[test]
fn differential_engine_secrets() {
    differential_of(
        "engine-secrets",
        &repo_root().join("fixtures/engine/secrets"),
    );
}
