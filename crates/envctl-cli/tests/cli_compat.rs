//! docker-compose 1.29.2's commands and flags that its acceptance suite uses
//! (issue #18), against a real engine: `create`, `scale`, `events`.

#![cfg(feature = "docker-tests")]

mod support;

use std::io::Read as _;
use std::time::Duration;

use support::{Output, ProjectGuard, Test, inspect, project_containers, unique_project};

const PROJECT: &str = r#"
simple:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
another:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
"#;

struct Env {
    test: Test,
    guard: ProjectGuard,
}

impl Env {
    fn new(name: &str) -> Self {
        Self {
            test: Test::new().file("docker-compose.yml", PROJECT),
            guard: ProjectGuard::new(&unique_project(name)),
        }
    }

    fn envctl(&self, args: &[&str]) -> Output {
        let mut full = vec!["-p", self.guard.name.as_str()];
        full.extend(args);
        self.test.envctl(&full)
    }

    fn ok(&self, args: &[&str]) -> Output {
        let output = self.envctl(args);
        assert_eq!(output.code, Some(0), "{args:?}: {}", output.render());
        output
    }

    /// The project's containers of `service`: (name, state).
    fn containers(&self, service: &str) -> Vec<(String, String)> {
        let prefix = format!("{}_{service}_", self.guard.name);
        project_containers(&self.guard.name)
            .into_iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(name, id)| (name, inspect(&id, "{{.State.Status}}")))
            .collect()
    }

    fn running(&self, service: &str) -> usize {
        self.containers(service)
            .iter()
            .filter(|(_, state)| state == "running")
            .count()
    }
}

#[test]
fn create_makes_stopped_containers_and_honours_recreation_flags() {
    let env = Env::new("create");
    env.ok(&["create"]);
    for service in ["simple", "another"] {
        let containers = env.containers(service);
        assert_eq!(containers.len(), 1, "{containers:?}");
        assert_eq!(containers[0].1, "created", "{containers:?}");
    }
    let name = format!("{}_simple_1", env.guard.name);
    let first = inspect(&name, "{{.Id}}");
    env.ok(&["create", "--no-recreate"]);
    assert_eq!(inspect(&name, "{{.Id}}"), first);
    env.ok(&["create", "--force-recreate"]);
    let second = inspect(&name, "{{.Id}}");
    assert_ne!(second, first);
    assert_eq!(env.containers("simple")[0].1, "created");
    let both = env.envctl(&["create", "--force-recreate", "--no-recreate"]);
    assert_eq!(both.code, Some(1), "{}", both.render());
}

#[test]
fn scale_sets_the_number_of_running_containers() {
    let env = Env::new("scale");
    let output = env.ok(&["scale", "simple=3", "another=2"]);
    assert!(
        output.stderr.contains("The scale command is deprecated"),
        "{}",
        output.render()
    );
    assert_eq!((env.running("simple"), env.running("another")), (3, 2));
    env.ok(&["scale", "simple=1", "another=1"]);
    assert_eq!((env.running("simple"), env.running("another")), (1, 1));
    env.ok(&["scale", "simple=0"]);
    assert_eq!((env.running("simple"), env.running("another")), (0, 1));
}

#[test]
fn events_streams_the_projects_container_events_until_interrupted() {
    let env = Env::new("events");
    for json in [true, false] {
        let mut args = vec!["-p", env.guard.name.as_str(), "events"];
        if json {
            args.push("--json");
        }
        args.push("simple");
        let mut events = env.test.spawn(&args);
        // The stream is open once the command has connected; give it a moment.
        std::thread::sleep(Duration::from_millis(800));
        env.ok(&["up", "-d", "--force-recreate", "simple", "another"]);
        std::thread::sleep(Duration::from_secs(2));
        let status = std::process::Command::new("kill")
            .args(["-INT", &events.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let code = events.wait().expect("events exits").code();
        let mut stdout = String::new();
        events
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut stdout)
            .expect("read stdout");
        assert_eq!(code, Some(1), "{stdout}");
        let id = inspect(&format!("{}_simple_1", env.guard.name), "{{.Id}}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(
            lines.iter().all(|line| !line.contains("another")),
            "{stdout}"
        );
        if json {
            let actions: Vec<String> = lines
                .iter()
                .map(|line| {
                    let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
                    assert_eq!(value["service"], "simple", "{line}");
                    value["action"].as_str().unwrap_or_default().to_owned()
                })
                .collect();
            assert!(actions.contains(&"create".to_owned()), "{stdout}");
            assert!(actions.contains(&"start".to_owned()), "{stdout}");
        } else {
            let start = format!(" container start {id} (image=envctl-test/busybox:latest, name=");
            assert!(lines.iter().any(|line| line.contains(&start)), "{stdout}");
        }
    }
}

const EXITING: &str = r#"
sleeper:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
failing:
  image: envctl-test/busybox:latest
  command: sh -c 'echo leaving; exit 3'
"#;

#[test]
fn up_exit_code_from_stops_everything_and_exits_with_that_services_code() {
    let env = Env {
        test: Test::new().file("docker-compose.yml", EXITING),
        guard: ProjectGuard::new(&unique_project("exitcodefrom")),
    };
    let output = env.envctl(&["up", "--no-log-prefix", "--exit-code-from", "failing"]);
    assert_eq!(output.code, Some(3), "{}", output.render());
    assert!(
        output.stdout.lines().any(|line| line == "leaving"),
        "{}",
        output.render()
    );
    assert_eq!(env.running("sleeper"), 0);
    env.ok(&["rm", "-f"]);
    let output = env.envctl(&["up", "--abort-on-container-exit"]);
    assert_eq!(output.code, Some(3), "{}", output.render());
    assert!(
        output
            .stdout
            .lines()
            .any(|line| line.starts_with("failing_1 ") && line.ends_with(" | leaving")),
        "{}",
        output.render()
    );
    assert_eq!(env.running("sleeper"), 0);
}

#[test]
fn run_labels_shell_variables_and_entrypoint_as_1_29_2() {
    let env = Env::new("runflags");
    let mut args = vec!["-p", env.guard.name.as_str()];
    args.extend([
        "run",
        "--no-deps",
        "--name",
        "",
        "-l",
        "bare",
        "--label",
        "colour=blue",
        "-e",
        "FROM_SHELL",
        "--entrypoint",
        "env",
        "simple",
    ]);
    let name = format!("{}_simple_run_flags", env.guard.name);
    args[5] = name.as_str();
    let output = env
        .test
        .envctl_with(&[], &[("FROM_SHELL", "shell value")], &args);
    assert_eq!(output.code, Some(0), "{}", output.render());
    // `env` ran with no arguments: the service's command was dropped.
    assert!(
        output
            .stdout
            .lines()
            .any(|line| line == "FROM_SHELL=shell value"),
        "{}",
        output.render()
    );
    assert_eq!(inspect(&name, "{{index .Config.Labels \"bare\"}}"), "");
    assert_eq!(
        inspect(&name, "{{index .Config.Labels \"colour\"}}"),
        "blue"
    );
    assert_eq!(inspect(&name, "{{json .Config.Cmd}}"), "null");
}

const DEPENDENT: &str = r#"
version: "2"
services:
  simple:
    image: envctl-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
  another:
    image: envctl-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
    depends_on: [simple]
"#;

/// The project's one-off containers (names).
fn oneoffs(project: &str) -> Vec<String> {
    support::docker_lines(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
        "--filter",
        "label=com.docker.compose.oneoff=True",
        "--format",
        "{{.Names}}",
    ])
}

#[test]
fn run_keeps_a_scaled_dependency_and_a_signal_stops_and_removes_the_oneoff() {
    let env = Env {
        test: Test::new().file("docker-compose.yml", DEPENDENT),
        guard: ProjectGuard::new(&unique_project("runsignal")),
    };
    env.ok(&["up", "-d", "--scale", "simple=2", "simple"]);
    env.ok(&["run", "--rm", "another", "true"]);
    assert_eq!(env.running("simple"), 2);
    for signal in ["-TERM", "-INT", "-HUP"] {
        let mut run = env.test.spawn(&[
            "-p",
            env.guard.name.as_str(),
            "run",
            "--rm",
            "-T",
            "another",
        ]);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while oneoffs(&env.guard.name).is_empty() {
            assert!(std::time::Instant::now() < deadline, "no one-off started");
            std::thread::sleep(Duration::from_millis(200));
        }
        std::thread::sleep(Duration::from_millis(500));
        let status = std::process::Command::new("kill")
            .args([signal, &run.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let code = run.wait().expect("run exits").code();
        assert_eq!(code, Some(1), "{signal}");
        assert_eq!(oneoffs(&env.guard.name), Vec::<String>::new(), "{signal}");
    }
}

#[test]
fn a_second_sigterm_to_an_attached_up_kills_instead_of_waiting() {
    let env = Env {
        test: Test::new().file(
            "docker-compose.yml",
            "stubborn:\n  image: envctl-test/busybox:latest\n  command: sh -c 'trap \"\" TERM; while true; do sleep 1; done'\n",
        ),
        guard: ProjectGuard::new(&unique_project("forcestop")),
    };
    let mut up = env
        .test
        .spawn(&["-p", env.guard.name.as_str(), "up", "-t", "200"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while env.running("stubborn") == 0 {
        assert!(std::time::Instant::now() < deadline, "never started");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    let started = std::time::Instant::now();
    for _ in 0..2 {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &up.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(300));
    }
    up.wait().expect("up exits");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "waited for the timeout"
    );
    assert_eq!(env.running("stubborn"), 0);
}

#[test]
fn run_refuses_an_unhealthy_service_healthy_dependency() {
    let env = Env {
        test: Test::new().file(
            "docker-compose.yml",
            r#"
version: "2.1"
services:
  db:
    image: envctl-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
    healthcheck:
      test: exit 1
      interval: 1s
      timeout: 1s
      retries: 1
  web:
    image: envctl-test/busybox:latest
    depends_on:
      db:
        condition: service_healthy
"#,
        ),
        guard: ProjectGuard::new(&unique_project("unhealthy")),
    };
    let output = env.envctl(&["run", "--rm", "web", "true"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output
            .stderr
            .contains("for web  dependency `db` is unhealthy"),
        "{}",
        output.render()
    );
    assert!(!output.stderr.contains("envctl::"), "{}", output.render());
}

/// Removes the images a test built, even when it fails.
struct ImageGuard(Vec<String>);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f", image])
                .output();
        }
    }
}

/// `--log-level`, as 1.29.2's acceptance test `test_build_log_level` uses it:
/// `warning` hides the `Building` status lines (the build's log is on stdout),
/// `critical` even the error, `debug` adds `Using configuration files`; an unknown
/// level is 1.29.2's usage error.
#[test]
fn log_level_chooses_what_stderr_shows() {
    let project = unique_project("loglevel");
    let image = format!("{project}_simple");
    let _images = ImageGuard(vec![image.clone()]);
    let guard = ProjectGuard::new(&project);
    let good = Test::new()
        .file("docker-compose.yml", "simple:\n  build: .\n")
        .file(
            "Dockerfile",
            "FROM envctl-test/busybox:latest\nLABEL envctl.test=log-level\nCMD echo success\n",
        );
    let run = |test: &Test, level: &str| {
        test.envctl(&[
            "-p",
            guard.name.as_str(),
            "--log-level",
            level,
            "build",
            "simple",
        ])
    };
    let output = run(&good, "warning");
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert_eq!(output.stderr, "", "{}", output.render());
    let output = run(&good, "DEBUG");
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(
        output.stderr.contains("Building simple"),
        "{}",
        output.render()
    );
    assert!(
        output.stderr.contains("Using configuration files: "),
        "{}",
        output.render()
    );

    let bad = Test::new()
        .file("docker-compose.yml", "simple:\n  build: .\n")
        .file(
            "Dockerfile",
            "FROM envctl-test/busybox:latest\nRUN exit 1\n",
        );
    let output = run(&bad, "critical");
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert_eq!(output.stderr, "", "{}", output.render());
    let output = run(&bad, "debug");
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output.stderr.contains("Building simple"),
        "{}",
        output.render()
    );
    assert!(
        output.stderr.contains("non-zero code"),
        "{}",
        output.render()
    );

    let output = run(&good, "loud");
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert_eq!(
        output.stderr.trim_end(),
        "Invalid value for --log-level. Expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
    );
}

/// `up -d` with a `service_healthy` dependency that was healthy when its dependent
/// was created and is unhealthy now: every container is up-to-date, yet `up` fails
/// (exit 1) naming the dependency, as 1.29.2 (`for app  Container "…" is
/// unhealthy.`). With `--no-deps` the dependency is not this `up`'s: no check.
#[test]
fn up_fails_when_an_up_to_date_service_healthy_dependency_is_unhealthy() {
    let env = Env {
        test: Test::new().file(
            "docker-compose.yml",
            r#"
version: "2.1"
services:
  db:
    image: envctl-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
    healthcheck:
      test: test -f /tmp/healthy
      interval: 1s
      timeout: 1s
      retries: 1
  app:
    image: envctl-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
    depends_on:
      db:
        condition: service_healthy
"#,
        ),
        guard: ProjectGuard::new(&unique_project("turnedsick")),
    };
    let db = format!("{}_db_1", env.guard.name);
    env.ok(&["up", "-d", "db"]);
    support::docker_lines(&["exec", db.as_str(), "touch", "/tmp/healthy"]);
    env.ok(&["up", "-d"]);
    assert_eq!(env.running("app"), 1);
    support::docker_lines(&["exec", db.as_str(), "rm", "/tmp/healthy"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while inspect(&db, "{{.State.Health.Status}}") != "unhealthy" {
        assert!(
            std::time::Instant::now() < deadline,
            "db never turned unhealthy"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = env.envctl(&["up", "-d"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output
            .stderr
            .contains("for app  dependency `db` is unhealthy"),
        "{}",
        output.render()
    );
    env.ok(&["up", "-d", "--no-deps", "app"]);
}

/// `up --no-build` does not need the build context to exist, as 1.29.2,
/// which checks it only when it may build; `up` without the flag still refuses.
#[test]
fn up_no_build_does_not_need_the_build_context() {
    let env = Env {
        test: Test::new().file(
            "docker-compose.yml",
            r#"
services:
  web:
    build: ./missing
    image: envctl-test/busybox:latest
    command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
"#,
        ),
        guard: ProjectGuard::new(&unique_project("nobuild")),
    };
    let output = env.envctl(&["up", "-d"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output.stderr.contains("either does not exist"),
        "{}",
        output.render()
    );
    env.ok(&["up", "-d", "--no-build"]);
    assert_eq!(env.running("web"), 1);
}
