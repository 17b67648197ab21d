//! The day-to-day commands (`stop`, `start`, `restart`, `kill`, `pause`, `unpause`,
//! `rm`) against a real engine: what they did to the containers, and the same
//! sequence through docker-compose 1.29.2 leaving the engine in the same state.

#![cfg(feature = "docker-tests")]

mod support;

use support::{Output, ProjectGuard, Test, docker_compose, inspect, timestamp, unique_project};

/// `db`, `web` linked to `db`, and `idle` on its own; every container exits 0 on
/// SIGTERM.
const PROJECT: &str = r#"
db:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
web:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
  links: [db]
idle:
  image: envctl-test/busybox-volume:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
"#;

struct Env {
    test: Test,
    guard: ProjectGuard,
}

impl Env {
    fn new(name: &str) -> Self {
        let project = unique_project(name);
        Self {
            test: Test::new().file("docker-compose.yml", PROJECT),
            guard: ProjectGuard::new(&project),
        }
    }

    fn project(&self) -> &str {
        &self.guard.name
    }

    fn envctl(&self, args: &[&str]) -> Output {
        let mut full = vec!["-p", self.project()];
        full.extend(args);
        self.test.envctl(&full)
    }

    fn ok(&self, args: &[&str]) -> Output {
        let output = self.envctl(args);
        assert_eq!(output.code, Some(0), "{args:?}: {}", output.render());
        output
    }

    fn container(&self, service: &str) -> String {
        format!("{}_{service}_1", self.project())
    }

    fn state(&self, service: &str) -> String {
        inspect(&self.container(service), "{{.State.Status}}")
    }

    fn exists(&self, service: &str) -> bool {
        support::project_containers(self.project())
            .iter()
            .any(|(name, _)| *name == self.container(service))
    }
}

#[test]
fn stop_goes_dependents_first_and_start_dependencies_first() {
    let env = Env::new("stopstart");
    env.ok(&["up", "-d"]);
    let output = env.ok(&["stop", "-t", "5"]);
    for service in ["db", "web", "idle"] {
        assert_eq!(env.state(service), "exited", "{}", output.render());
        assert_eq!(
            inspect(&env.container(service), "{{.State.ExitCode}}"),
            "0",
            "SIGTERM, not SIGKILL"
        );
    }
    let finished =
        |service: &str| timestamp(&inspect(&env.container(service), "{{.State.FinishedAt}}"));
    assert!(
        finished("web") <= finished("db"),
        "web (which links to db) stops first"
    );
    let stopping_web = format!("Stopping {} ", env.container("web"));
    assert!(
        output
            .stderr
            .lines()
            .any(|line| line.starts_with(&stopping_web) && line.ends_with("... done")),
        "{}",
        output.render()
    );

    // Only the named service (and not its dependents) starts.
    let output = env.ok(&["start", "db"]);
    assert_eq!(output.stderr, "Starting db ... done\n");
    assert_eq!(env.state("db"), "running");
    assert_eq!(env.state("web"), "exited");

    env.ok(&["stop", "db"]);
    let output = env.ok(&["start"]);
    for service in ["db", "web", "idle"] {
        assert_eq!(env.state(service), "running", "{}", output.render());
    }
    let started =
        |service: &str| timestamp(&inspect(&env.container(service), "{{.State.StartedAt}}"));
    assert!(started("db") <= started("web"), "db starts before web");
    // A running service counts as started.
    let output = env.ok(&["start", "db"]);
    assert_eq!(output.stderr, "Starting db ... done\n");
}

#[test]
fn start_without_containers_fails_as_docker_compose_does() {
    let env = Env::new("startnone");
    let output = env.envctl(&["start"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert_eq!(
        output.stderr,
        "Starting db   ... failed\nStarting web  ... failed\nStarting idle ... failed\nNo containers to start\n"
    );
    let output = env.envctl(&["start", "nope"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(output.stderr.contains("nope"), "{}", output.render());
    assert!(support::project_container_ids(env.project()).is_empty());
}

#[test]
fn kill_pause_unpause_restart_act_on_the_containers() {
    let env = Env::new("killpause");
    env.ok(&["up", "-d"]);

    let output = env.ok(&["pause", "web"]);
    assert_eq!(
        output.stderr,
        format!("Pausing {} ... done\n", env.container("web"))
    );
    assert_eq!(env.state("web"), "paused");
    assert_eq!(env.state("db"), "running");
    let output = env.ok(&["unpause"]);
    assert_eq!(
        output.stderr,
        format!("Unpausing {} ... done\n", env.container("web"))
    );
    assert_eq!(env.state("web"), "running");

    let before = inspect(&env.container("db"), "{{.State.StartedAt}}");
    env.ok(&["restart", "-t", "5", "db"]);
    assert_eq!(env.state("db"), "running");
    assert_ne!(
        inspect(&env.container("db"), "{{.State.StartedAt}}"),
        before
    );

    // `-s` names the signal; the default is SIGKILL (exit code 137).
    env.ok(&["kill", "-s", "SIGTERM", "idle"]);
    env.ok(&["kill", "web"]);
    for (service, code) in [("idle", "0"), ("web", "137")] {
        assert_eq!(env.state(service), "exited");
        assert_eq!(
            inspect(&env.container(service), "{{.State.ExitCode}}"),
            code
        );
    }
    assert_eq!(env.state("db"), "running");

    // Nothing to act on.
    env.ok(&["kill", "web"]);
    let output = env.envctl(&["pause", "web"]);
    assert_eq!(output.code, Some(1));
    assert_eq!(output.stderr, "No containers to pause\n");
    let output = env.envctl(&["unpause"]);
    assert_eq!(output.code, Some(1));
    assert_eq!(output.stderr, "No containers to unpause\n");

    // `restart` starts stopped containers too, as 1.29.2 does.
    env.ok(&["restart", "-t", "1"]);
    for service in ["db", "web", "idle"] {
        assert_eq!(env.state(service), "running");
    }
}

#[test]
fn rm_asks_removes_only_stopped_containers_and_stops_with_s() {
    let env = Env::new("rm");
    env.ok(&["up", "-d"]);
    env.guard.remember_volumes();
    let idle_volume = inspect(&env.container("idle"), "{{range .Mounts}}{{.Name}}{{end}}");
    assert!(
        !idle_volume.is_empty(),
        "busybox-volume has an anonymous volume"
    );

    let output = env.ok(&["rm"]);
    assert_eq!(output.stdout, "No stopped containers\n");

    env.ok(&["stop", "web", "idle"]);
    // No answer on stdin (closed): nothing is removed.
    let output = env.ok(&["rm"]);
    let listed = output
        .stdout
        .strip_prefix("Going to remove ")
        .and_then(|rest| rest.strip_suffix("\nAre you sure? [yN] "))
        .unwrap_or_else(|| panic!("{}", output.render()));
    let mut listed: Vec<&str> = listed.split(", ").collect();
    listed.sort_unstable();
    assert_eq!(listed, [env.container("idle"), env.container("web")]);
    assert!(env.exists("web") && env.exists("idle"));

    // `-f`: no question; `-v`: the anonymous volume goes too; running db stays.
    let output = env.ok(&["rm", "-f", "-v", "idle"]);
    assert_eq!(
        output.stdout,
        format!("Going to remove {}\n", env.container("idle"))
    );
    assert!(!env.exists("idle"));
    assert!(
        !support::volume_exists(&idle_volume),
        "`-v` removed the volume"
    );
    assert!(env.exists("web"));
    assert_eq!(env.state("db"), "running");

    // `-s` stops the running ones first.
    env.ok(&["rm", "-f", "-s"]);
    assert!(support::project_container_ids(env.project()).is_empty());
}

/// `(name without the project, status, exit code)` of every container of `project`.
fn engine_state(project: &str) -> Vec<(String, String, String)> {
    let mut state: Vec<(String, String, String)> = support::project_containers(project)
        .into_iter()
        .map(|(name, id)| {
            (
                name.trim_start_matches(project).to_owned(),
                inspect(&id, "{{.State.Status}}"),
                inspect(&id, "{{.State.ExitCode}}"),
            )
        })
        .collect();
    state.sort();
    state
}

#[test]
fn the_same_commands_leave_the_engine_as_docker_compose_leaves_it() {
    let ours = Env::new("sameours");
    let theirs = Env::new("sametheirs");
    let sequence: &[&[&str]] = &[
        &["up", "-d"],
        &["stop", "-t", "5", "db"],
        &["start"],
        &["kill", "web"],
        &["pause", "idle"],
        &["unpause", "idle"],
        &["restart", "-t", "5", "web"],
        &["kill", "-s", "SIGTERM", "db"],
        &["rm", "-f", "db"],
        &["stop", "-t", "5"],
        &["start", "idle"],
    ];
    for step in sequence {
        let output = ours.envctl(step);
        let mut args = vec!["-p", theirs.project()];
        args.extend(*step);
        let reference = docker_compose(theirs.test.path(), &args);
        assert_eq!(
            output.code,
            reference.code,
            "{step:?}\nenvctl: {}\ndocker-compose: {}",
            output.render(),
            reference.render()
        );
        assert_eq!(
            engine_state(ours.project()),
            engine_state(theirs.project()),
            "after {step:?}"
        );
    }
    // The sequence changed something: db is gone, web stopped, idle running.
    let state = engine_state(ours.project());
    let names: Vec<&str> = state.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, ["_idle_1", "_web_1"]);
}
