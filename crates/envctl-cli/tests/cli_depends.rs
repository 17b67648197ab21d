//! `depends_on` conditions and `up --wait` on the real engine: a dependency that
//! becomes healthy after a few seconds gates its dependent, one exiting 0 gates a
//! `service_completed_successfully` dependent, one exiting 1 stops `up` with an
//! error naming both services, and `up --wait` returns once healthy or names the
//! unhealthy service.

#![cfg(feature = "docker-tests")]

mod support;

use std::time::{Duration, Instant};

use support::{
    Output, ProjectGuard, Test, inspect, project_container_ids, timestamp, unique_project,
};

const SLEEP: &str = r#"["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]"#;
/// Ready (`/tmp/ready`) after 3 seconds.
const READY_LATER: &str =
    r#"["sh", "-c", "trap 'exit 0' TERM; sleep 3; touch /tmp/ready; while :; do sleep 1; done"]"#;
const HEALTHCHECK: &str = r#"
    healthcheck:
      test: ["CMD", "sh", "-c", "test -f /tmp/ready"]
      interval: 1s
      timeout: 1s
      retries: 20"#;

fn assert_success(output: &Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

/// The error text without miette's line breaks and gutters.
fn flat(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

fn timed(test: &Test, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = test.envctl(args);
    (output, started.elapsed())
}

#[test]
fn service_healthy_gates_the_dependent_until_healthy() {
    let project = unique_project("dephealthy");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            r#"
version: "2.4"
services:
  db:
    image: envctl-test/busybox
    command: {READY_LATER}{HEALTHCHECK}
  web:
    image: envctl-test/busybox
    command: {SLEEP}
    depends_on:
      db: {{condition: service_healthy}}
"#
        ),
    );
    let (up, elapsed) = timed(&test, &["-p", &project, "up", "-d"]);
    assert_success(&up, "up");
    assert!(elapsed >= Duration::from_secs(3), "waited {elapsed:?}");
    let db = format!("{project}_db_1");
    assert_eq!(inspect(&db, "{{.State.Health.Status}}"), "healthy");
    assert_eq!(
        inspect(&format!("{project}_web_1"), "{{.State.Status}}"),
        "running"
    );
    // The dependent started only after the dependency's first passing check.
    let healthy_at = inspect(
        &db,
        "{{range .State.Health.Log}}{{if eq .ExitCode 0}}{{.End.UTC.Format \"2006-01-02T15:04:05.000000000Z\"}}\n{{end}}{{end}}",
    );
    let first_healthy = timestamp(healthy_at.lines().next().expect("a passing check"));
    let web_started = timestamp(&inspect(
        &format!("{project}_web_1"),
        "{{.State.StartedAt}}",
    ));
    assert!(
        web_started >= first_healthy,
        "web started at {web_started:?}, db healthy at {first_healthy:?}"
    );
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
}

#[test]
fn service_completed_successfully_gates_the_dependent_and_a_failure_stops_up() {
    let project = unique_project("depcompleted");
    let _guard = ProjectGuard::new(&project);
    let compose = |code: u8| {
        format!(
            r#"
version: "3.9"
services:
  init:
    image: envctl-test/busybox
    command: ["sh", "-c", "sleep 2; exit {code}"]
  web:
    image: envctl-test/busybox
    command: {SLEEP}
    depends_on:
      init: {{condition: service_completed_successfully}}
"#
        )
    };
    let test = Test::new().file("docker-compose.yml", &compose(0));
    let (up, elapsed) = timed(&test, &["-p", &project, "up", "-d"]);
    assert_success(&up, "up");
    assert!(elapsed >= Duration::from_secs(2), "waited {elapsed:?}");
    assert_eq!(
        inspect(&format!("{project}_init_1"), "{{.State.ExitCode}}"),
        "0"
    );
    assert_eq!(
        inspect(&format!("{project}_web_1"), "{{.State.Status}}"),
        "running"
    );
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");

    let test = test.file("docker-compose.yml", &compose(1));
    let up = test.envctl(&["-p", &project, "up", "-d"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    let message = flat(&up.stderr);
    assert!(
        message.contains(
            "for web dependency `init` did not complete successfully: exited with code 1"
        ),
        "{}",
        up.render()
    );
    assert_eq!(
        project_container_ids(&project).len(),
        1,
        "web is not created"
    );
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
}

#[test]
fn up_wait_returns_once_healthy_or_names_the_unhealthy_service() {
    let project = unique_project("upwait");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            r#"
version: "2.4"
services:
  api:
    image: envctl-test/busybox
    command: {READY_LATER}{HEALTHCHECK}
  plain:
    image: envctl-test/busybox
    command: {SLEEP}
"#
        ),
    );
    let (up, elapsed) = timed(&test, &["-p", &project, "up", "--wait"]);
    assert_success(&up, "up --wait");
    assert!(elapsed >= Duration::from_secs(3), "waited {elapsed:?}");
    assert_eq!(
        inspect(&format!("{project}_api_1"), "{{.State.Health.Status}}"),
        "healthy"
    );
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");

    let test = test.file(
        "docker-compose.yml",
        &format!(
            r#"
version: "2.4"
services:
  sick:
    image: envctl-test/busybox
    command: {SLEEP}
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 2
"#
        ),
    );
    let up = test.envctl(&["-p", &project, "up", "--wait"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    let message = flat(&up.stderr);
    assert!(
        message.contains(&format!(
            "service `sick`: container `{project}_sick_1` is unhealthy"
        )),
        "{}",
        up.render()
    );
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
}

// See: #21 (the rule `envctl serve`'s `wait: true` shares).
#[test]
fn up_wait_counts_a_one_shot_that_exits_0_as_done_but_not_a_service_needed_running() {
    let project = unique_project("oneshot");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            r#"
version: "2.4"
services:
  data:
    image: envctl-test/busybox
    command: ["true"]
    volumes: ["/data"]
  app:
    image: envctl-test/busybox
    command: {SLEEP}
    volumes_from: [data]
"#
        ),
    );
    assert_success(
        &test.envctl(&["-p", &project, "up", "-d", "--wait"]),
        "up --wait with a data-only service",
    );
    assert_eq!(
        inspect(&format!("{project}_data_1"), "{{.State.ExitCode}}"),
        "0"
    );
    assert_success(&test.envctl(&["-p", &project, "down", "-v"]), "down");

    let test = test.file(
        "docker-compose.yml",
        r#"
version: "2.4"
services:
  db:
    image: envctl-test/busybox
    command: ["true"]
    restart: "no"
  app:
    image: envctl-test/busybox
    # Healthy after 2 s: `--wait` reads every container again after the health
    # checks, by when `db` has exited (else it may still run at the first look).
    command: ["sh", "-c", "trap 'exit 0' TERM; (sleep 2; touch /tmp/up) & sleep 100000 & wait"]
    healthcheck: {test: ["CMD", "test", "-e", "/tmp/up"], interval: 500ms, retries: 30}
    depends_on:
      db: {condition: service_started}
"#,
    );
    let up = test.envctl(&["-p", &project, "up", "-d", "--wait"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    assert!(
        flat(&up.stderr).contains(&format!(
            "service `db`: container `{project}_db_1` exited with code 0"
        )),
        "{}",
        up.render()
    );
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
}
