//! Switching between docker-compose 1.29.2 and envctl costs nothing: each finds the
//! other's containers up to date (same config-hash label, same labels, same
//! numbers) and touches none of them; a change made afterwards recreates exactly the
//! changed service and keeps its anonymous volume's data, whichever tool runs `up`.

#![cfg(feature = "docker-tests")]

mod support;

use std::path::Path;

use support::{
    Output, ProjectGuard, Test, docker_lines, inspect, project_containers, unique_project,
};

/// A v1 project with links (plain and aliased), `volumes_from` a data-only
/// container, a host bind, an ephemeral published port and an anonymous volume.
/// The data-only container stays running: 1.29.2 starts a stopped container on
/// every `up`, so one that exits at once would never be "up to date" for either
/// tool.
const COMPOSE_FILE: &str = r#"data:
  image: envctl-test/busybox-volume:latest
  command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]

db:
  image: envctl-test/busybox:latest
  command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]
  environment:
    ROLE: ${DB_ROLE}
  volumes:
    - /var/lib/db

app:
  image: envctl-test/busybox:latest
  command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]
  links:
    - db
    - db:database
  volumes_from:
    - data
  volumes:
    - ./site:/site:ro
  ports:
    - "8080"
  environment:
    MODE: adoption
"#;

fn project_test() -> Test {
    Test::new()
        .file("docker-compose.yml", COMPOSE_FILE)
        .file("site/index.html", "hello\n")
}

/// Runs a tool in the project directory with `DB_ROLE` set.
fn docker_compose(dir: &Path, project: &str, role: &str, args: &[&str]) -> Output {
    let output = std::process::Command::new("docker-compose")
        .args(["-p", project])
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env("DB_ROLE", role)
        .output()
        .expect("docker-compose 1.29.2 is installed");
    Output {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

fn envctl(test: &Test, project: &str, role: &str, args: &[&str]) -> Output {
    let mut full = vec!["-p", project];
    full.extend(args);
    std::fs::write(test.path().join(".env"), format!("DB_ROLE={role}\n")).expect("write .env");
    test.envctl(&full)
}

fn assert_success(output: &Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

/// `(name, id, State.StartedAt, State.Running)` of every container of the project.
fn snapshot(project: &str) -> Vec<(String, String, String, String)> {
    project_containers(project)
        .into_iter()
        .map(|(name, id)| {
            let started = inspect(&id, "{{.State.StartedAt}}");
            let running = inspect(&id, "{{.State.Running}}");
            (name, id, started, running)
        })
        .collect()
}

fn write_db_data(project: &str) {
    let db = format!("{project}_db_1");
    docker_lines(&["exec", &db, "sh", "-c", "echo kept > /var/lib/db/marker"]);
    assert_eq!(
        docker_lines(&["exec", &db, "cat", "/var/lib/db/marker"]),
        ["kept"]
    );
}

/// After a change to `db` only: db has a new container with the old data, the
/// others are the very same containers, never restarted.
fn assert_only_db_recreated(
    project: &str,
    before: &[(String, String, String, String)],
    after: &[(String, String, String, String)],
) {
    let db = format!("{project}_db_1");
    assert_eq!(before.len(), 3, "{before:?}");
    assert_eq!(after.len(), 3, "{after:?}");
    for (old, new) in before.iter().zip(after) {
        assert_eq!(old.0, new.0, "container names");
        if old.0 == db {
            assert_ne!(old.1, new.1, "db is recreated");
        } else {
            assert_eq!(old, new, "{} is untouched", old.0);
        }
    }
    assert_eq!(inspect(&db, "{{.State.Running}}"), "true");
    assert_eq!(
        docker_lines(&["exec", &db, "cat", "/var/lib/db/marker"]),
        ["kept"],
        "the anonymous volume's data survives the recreation"
    );
    assert!(
        docker_lines(&["exec", &db, "env"]).contains(&"ROLE=changed".to_owned()),
        "the new environment value is in"
    );
}

#[test]
fn envctl_adopts_a_docker_compose_project_without_touching_it() {
    let project = unique_project("adoptdc");
    let guard = ProjectGuard::new(&project);
    let test = project_test();

    let output = docker_compose(test.path(), &project, "primary", &["up", "-d"]);
    assert_success(&output, "docker-compose up -d");
    guard.remember_volumes();
    let before = snapshot(&project);
    assert_eq!(before.len(), 3, "{before:?}");
    assert!(before.iter().all(|container| container.3 == "true"));

    let dry = envctl(&test, &project, "primary", &["up", "--dry-run"]);
    assert_success(&dry, "envctl up --dry-run");
    assert!(
        dry.stdout
            .contains("nothing to do: 3 container(s) up to date"),
        "{}",
        dry.render()
    );

    let output = envctl(&test, &project, "primary", &["up", "-d"]);
    assert_success(&output, "envctl up -d");
    for (name, ..) in &before {
        assert!(
            output.stderr.contains(&format!("{name} is up-to-date")),
            "{}",
            output.render()
        );
    }
    assert_eq!(snapshot(&project), before, "no container touched");

    // A change after the switch: envctl recreates db only, keeping its data.
    write_db_data(&project);
    let output = envctl(&test, &project, "changed", &["up", "-d"]);
    assert_success(&output, "envctl up -d after a change");
    guard.remember_volumes();
    let after = snapshot(&project);
    assert_only_db_recreated(&project, &before, &after);

    // And docker-compose agrees with what envctl made.
    let output = docker_compose(test.path(), &project, "changed", &["up", "-d"]);
    assert_success(&output, "docker-compose up -d after envctl");
    assert_eq!(snapshot(&project), after, "{}", output.render());
}

#[test]
fn docker_compose_adopts_an_envctl_project_without_touching_it() {
    let project = unique_project("adoptev");
    let guard = ProjectGuard::new(&project);
    let test = project_test();

    let output = envctl(&test, &project, "primary", &["up", "-d"]);
    assert_success(&output, "envctl up -d");
    guard.remember_volumes();
    let before = snapshot(&project);
    assert_eq!(before.len(), 3, "{before:?}");
    assert!(before.iter().all(|container| container.3 == "true"));

    let output = docker_compose(test.path(), &project, "primary", &["up", "-d"]);
    assert_success(&output, "docker-compose up -d");
    for (name, ..) in &before {
        assert!(
            output.stderr.contains(&format!("{name} is up-to-date")),
            "{}",
            output.render()
        );
    }
    assert!(
        !output.stderr.contains("Recreating") && !output.stderr.contains("Starting"),
        "{}",
        output.render()
    );
    assert_eq!(snapshot(&project), before, "no container touched");

    // A change after the switch: docker-compose recreates db only, keeping its data.
    write_db_data(&project);
    let output = docker_compose(test.path(), &project, "changed", &["up", "-d"]);
    assert_success(&output, "docker-compose up -d after a change");
    guard.remember_volumes();
    let after = snapshot(&project);
    assert_only_db_recreated(&project, &before, &after);

    // And envctl finds docker-compose's new container up to date.
    let dry = envctl(&test, &project, "changed", &["up", "--dry-run"]);
    assert_success(&dry, "envctl up --dry-run");
    assert!(
        dry.stdout
            .contains("nothing to do: 3 container(s) up to date"),
        "{}",
        dry.render()
    );
    let output = envctl(&test, &project, "changed", &["up", "-d"]);
    assert_success(&output, "envctl up -d after docker-compose");
    assert_eq!(snapshot(&project), after, "{}", output.render());
}
