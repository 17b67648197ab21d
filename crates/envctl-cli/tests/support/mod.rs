//! A `Test` builder: files in a temporary directory, the built `envctl` run there,
//! its stdout, stderr and exit code captured (as in casey/just `tests/test.rs`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod fault_proxy;
pub mod swarm;

pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Output {
    /// stdout, stderr and the exit code in one text, for snapshots.
    pub fn render(&self) -> String {
        format!(
            "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Test {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("envctl-cli-test")
                .tempdir()
                .expect("a temporary directory"),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(self, name: &str, text: &str) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the directory");
        }
        std::fs::write(path, text).expect("write the file");
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(ToString::to_string));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    fn command(&self) -> Command {
        self.command_with(&self.args)
    }

    /// `envctl` with `args`, in the test directory, with a clean environment.
    fn command_with<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_envctl"));
        command.args(args);
        self.prepare(&mut command);
        command
    }

    /// Runs `envctl` with `args` and `env` on top of the builder's environment,
    /// started through `wrapper` when it is not empty (`setpriv --reuid=65534 …`).
    pub fn envctl_with(&self, wrapper: &[&str], env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut command = match wrapper.split_first() {
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(env!("CARGO_BIN_EXE_envctl"));
                command
            }
            None => Command::new(env!("CARGO_BIN_EXE_envctl")),
        };
        command.args(args);
        self.prepare(&mut command);
        command.envs(env.iter().copied());
        let output = command.output().expect("envctl runs");
        Output {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
    }

    /// The test directory, a clean environment, and the builder's variables.
    fn prepare(&self, command: &mut Command) {
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env("LANG", "C.UTF-8")
            .envs(self.env.iter().map(|(key, value)| (key, value)));
        if let Ok(host) = std::env::var("DOCKER_HOST")
            && !self.env.iter().any(|(key, _)| key == "DOCKER_HOST")
        {
            command.env("DOCKER_HOST", host);
        }
    }

    /// Runs `envctl` with `args` (instead of the builder's) in the test directory.
    pub fn envctl(&self, args: &[&str]) -> Output {
        let output = self.command_with(args).output().expect("envctl runs");
        Output {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
    }

    /// Starts `envctl` with `args` in the test directory, stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command_with(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("envctl starts")
    }

    pub fn run(&self) -> Output {
        let output = self.command().output().expect("envctl runs");
        Output {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
    }

    /// Runs with stdout a pipe whose reading end is already closed.
    pub fn run_with_closed_stdout(&self) -> Output {
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("envctl runs");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("envctl finishes");
        Output {
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code(),
        }
    }
}

/// The repository root (for `fixtures/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// Insta settings that hide what changes between runs: the temporary directory.
pub fn settings(test: &Test) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let path = test.path().display().to_string();
    settings.add_filter(&regex_escape(&path), "[TEMP]");
    if let Ok(canonical) = test.path().canonicalize() {
        settings.add_filter(&regex_escape(&canonical.display().to_string()), "[TEMP]");
    }
    settings.add_filter(r"envctl-cli-test[A-Za-z0-9]+", "[TEMP]");
    settings
}

fn regex_escape(text: &str) -> String {
    let mut escaped = String::new();
    for character in text.chars() {
        if "\\.+*?()|[]{}^$".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// Runs `docker` with `arguments`; its stdout lines (empty ones dropped).
pub fn docker_lines(arguments: &[&str]) -> Vec<String> {
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

/// One `docker inspect --format` value of a container.
pub fn inspect(container: &str, format: &str) -> String {
    docker_lines(&["inspect", "--format", format, container]).join("\n")
}

pub fn volume_exists(name: &str) -> bool {
    Command::new("docker")
        .args(["volume", "inspect", name])
        .output()
        .expect("the docker CLI runs")
        .status
        .success()
}

/// A project name no other test (or earlier run) uses.
pub fn unique_project(test: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!(
        "envctlc{}{}{}",
        test.replace(['_', '-'], ""),
        std::process::id() % 10_000,
        (nanos % 100_000) + COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The ids of the project's containers, by label.
/// Every container whose name mentions the project carries its label; unless
/// `renamed_allowed`, each is named `<project>_…` (no `<short id>_<name>` left by a
/// recreate).
pub fn assert_all_labelled(project: &str, renamed_allowed: bool) {
    for line in docker_lines(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}} {{.Label \"com.docker.compose.project\"}}",
        "--filter",
        &format!("name={project}"),
    ]) {
        let (name, label) = line.split_once(' ').unwrap_or((&line, ""));
        assert_eq!(label, project, "`{name}` carries the project label");
        assert!(
            renamed_allowed || name.starts_with(&format!("{project}_")),
            "a renamed leftover: {name}"
        );
    }
}

pub fn project_container_ids(project: &str) -> Vec<String> {
    docker_lines(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
}

/// `name → id` of the project's containers, sorted by name.
pub fn project_containers(project: &str) -> Vec<(String, String)> {
    let mut containers: Vec<(String, String)> = project_container_ids(project)
        .iter()
        .map(|id| {
            (
                inspect(id, "{{.Name}}").trim_start_matches('/').to_owned(),
                inspect(id, "{{.Id}}"),
            )
        })
        .collect();
    containers.sort();
    containers
}

/// The named volumes mounted by the project's containers.
pub fn project_volumes(project: &str) -> Vec<String> {
    project_container_ids(project)
        .iter()
        .flat_map(|id| {
            docker_lines(&[
                "inspect",
                "--format",
                "{{range .Mounts}}{{if .Name}}{{.Name}}\n{{end}}{{end}}",
                id,
            ])
        })
        .collect()
}

/// Removes every container labelled with the project, and every volume it saw them
/// use, when dropped: also when the test fails.
pub struct ProjectGuard {
    pub name: String,
    volumes: std::sync::Mutex<Vec<String>>,
}

impl ProjectGuard {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            volumes: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn remember_volumes(&self) {
        let volumes = project_volumes(&self.name);
        if let Ok(mut remembered) = self.volumes.lock() {
            remembered.extend(volumes);
        }
    }
}

impl Drop for ProjectGuard {
    fn drop(&mut self) {
        self.remember_volumes();
        let ids = project_container_ids(&self.name);
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
        // v2/v3 projects: their labelled networks and volumes.
        let label = format!("label=com.docker.compose.project={}", self.name);
        for network in docker_lines(&["network", "ls", "-q", "--filter", &label]) {
            docker_lines(&["network", "rm", &network]);
        }
        for volume in docker_lines(&["volume", "ls", "-q", "--filter", &label]) {
            docker_lines(&["volume", "rm", "-f", &volume]);
        }
        remove_lock_files(&self.name);
    }
}

/// The project's lock files (`<project>-<16 hex>.lock` under the temporary
/// directory's `envctl-<uid>/`, where `Test` runs put them, `XDG_RUNTIME_DIR` being
/// unset). envctl removes its own when it lets go; one that exited at once (a second
/// Ctrl-C) leaves it behind.
pub fn lock_files(project: &str) -> Vec<PathBuf> {
    let directory =
        std::env::temp_dir().join(format!("envctl-{}", rustix::process::getuid().as_raw()));
    let Ok(entries) = std::fs::read_dir(&directory) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .and_then(|name| name.strip_prefix(project))
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|rest| rest.strip_suffix(".lock"))
                .is_some_and(|digest| digest.len() == 16)
        })
        .map(|entry| entry.path())
        .collect()
}

fn remove_lock_files(project: &str) {
    for path in lock_files(project) {
        let _ = std::fs::remove_file(path);
    }
}

/// `2026-11-22T02:05:01.1234Z` as (seconds text, nanoseconds): ordered correctly.
pub fn timestamp(text: &str) -> (String, u64) {
    let text = text.trim().trim_end_matches('Z');
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let nanos = format!("{fraction:0<9}")[..9].parse().unwrap_or(0);
    (seconds.to_owned(), nanos)
}

/// Runs docker-compose 1.29.2 (the oracle) in `dir`.
pub fn docker_compose(dir: &Path, arguments: &[&str]) -> Output {
    let output = Command::new("docker-compose")
        .args(arguments)
        .current_dir(dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .output()
        .expect("docker-compose 1.29.2 is installed");
    Output {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}
