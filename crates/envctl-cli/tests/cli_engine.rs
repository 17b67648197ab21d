//! `envctl up -d`, `ps` and `down` against a real engine, checked on the engine's
//! state and against docker-compose 1.29.2 itself.

#![cfg(feature = "docker-tests")]

mod support;

use std::path::PathBuf;

use support::{
    ProjectGuard, Test, docker_compose, docker_lines, inspect, project_container_ids,
    project_containers, project_volumes, repo_root, timestamp, unique_project, volume_exists,
};

fn fixture(case: &str) -> PathBuf {
    repo_root()
        .join("fixtures/engine")
        .join(case)
        .join("docker-compose.yml")
}

fn assert_success(output: &support::Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

fn env_of(container: &str) -> Vec<String> {
    docker_lines(&["exec", container, "env"])
}

fn names(containers: &[(String, String)]) -> Vec<String> {
    containers.iter().map(|(name, _)| name.clone()).collect()
}

#[test]
fn basic_fixture_up_ps_down_as_docker_compose_does() {
    let project = unique_project("basic");
    let guard = ProjectGuard::new(&project);
    let file = fixture("basic");
    let file = file.to_str().expect("utf-8 path");
    let test = Test::new();
    let envctl = |args: &[&str]| {
        let mut full = vec!["-p", project.as_str(), "-f", file];
        full.extend(args);
        test.envctl(&full)
    };

    let output = envctl(&["up", "-d"]);
    assert_success(&output, "up -d");
    guard.remember_volumes();
    let containers = project_containers(&project);
    let (app, data, peer) = (
        format!("{project}_app_1"),
        format!("{project}_data_1"),
        format!("{project}_peer_1"),
    );
    assert_eq!(
        names(&containers),
        [app.clone(), data.clone(), peer.clone()]
    );

    // Labels, as 1.29.2 writes them.
    let working_dir = repo_root().join("fixtures/engine/basic");
    for (name, service) in [(&app, "app"), (&data, "data"), (&peer, "peer")] {
        let label = |key: &str| inspect(name, &format!("{{{{index .Config.Labels \"{key}\"}}}}"));
        assert_eq!(label("com.docker.compose.project"), project);
        assert_eq!(label("com.docker.compose.service"), service);
        assert_eq!(label("com.docker.compose.container-number"), "1");
        assert_eq!(label("com.docker.compose.oneoff"), "False");
        assert_eq!(label("com.docker.compose.version"), "1.29.2");
        assert_eq!(label("com.docker.compose.config-hash").len(), 64);
        assert_eq!(
            label("com.docker.compose.project.working_dir"),
            working_dir.display().to_string()
        );
        assert_eq!(label("com.docker.compose.project.config_files"), file);
    }

    // Dependency order: app is created after the services it links to and mounts
    // volumes from.
    let created = |name: &str| timestamp(&inspect(name, "{{.Created}}"));
    assert!(created(&data) < created(&app));
    assert!(created(&peer) < created(&app));
    assert_eq!(inspect(&app, "{{.State.Running}}"), "true");
    assert_eq!(inspect(&peer, "{{.State.Running}}"), "true");
    assert_eq!(inspect(&data, "{{.State.ExitCode}}"), "0");

    // Legacy links put their variables in app's environment; volumes_from shares
    // data's volume, which app wrote to.
    let environment = env_of(&app);
    for expected in [
        format!("PEER_NAME=/{app}/peer"),
        format!("PEER_ALIAS_NAME=/{app}/peer-alias"),
        format!("PEER_1_NAME=/{app}/peer_1"),
        "GREETING=hello from app".to_owned(),
    ] {
        assert!(
            environment.contains(&expected),
            "{expected} in {environment:#?}"
        );
    }
    assert_eq!(
        docker_lines(&["exec", &app, "cat", "/data/greeting"]),
        ["hello from app"]
    );
    assert!(inspect(&app, "{{json .Mounts}}").contains("\"/scratch\""));

    // Again: the same containers (data, which exits at once, is only started).
    let output = envctl(&["up", "-d"]);
    assert_success(&output, "second up -d");
    assert!(
        output.stderr.contains(&format!("{app} is up-to-date")),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains(&format!("{peer} is up-to-date")),
        "{}",
        output.stderr
    );
    assert_eq!(project_containers(&project), containers);

    // ps prints what docker-compose 1.29.2 prints, byte for byte.
    let ours = envctl(&["ps"]);
    assert_success(&ours, "ps");
    let theirs = docker_compose(test.path(), &["-p", &project, "-f", file, "ps"]);
    assert_success(&theirs, "docker-compose ps");
    assert_eq!(ours.stdout, theirs.stdout);
    for name in [&app, &data, &peer] {
        assert!(theirs.stdout.contains(name.as_str()), "{}", theirs.stdout);
    }
    assert!(
        ours.stdout.contains("0.0.0.0:18090->9090/tcp"),
        "{}",
        ours.stdout
    );
    let quiet = envctl(&["ps", "-q"]);
    let mut ids: Vec<String> = quiet.stdout.lines().map(ToOwned::to_owned).collect();
    ids.sort();
    let mut expected: Vec<String> = containers.iter().map(|(_, id)| id.clone()).collect();
    expected.sort();
    assert_eq!(ids, expected);

    // down: no container left, anonymous volumes kept.
    let volumes = project_volumes(&project);
    assert!(!volumes.is_empty());
    let output = envctl(&["down"]);
    assert_success(&output, "down");
    assert!(project_container_ids(&project).is_empty());
    for volume in &volumes {
        assert!(volume_exists(volume), "down keeps volume {volume}");
    }

    // down -v: no container and no volume of the project left.
    assert_success(&envctl(&["up", "-d"]), "third up -d");
    guard.remember_volumes();
    let volumes = project_volumes(&project);
    let output = envctl(&["down", "-v"]);
    assert_success(&output, "down -v");
    assert!(project_container_ids(&project).is_empty());
    for volume in &volumes {
        assert!(!volume_exists(volume), "down -v removes volume {volume}");
    }
}

const INLINE: &str = r#"# v1: no `version:` key.
db:
  image: envctl-test/busybox:latest
  expose:
    - "5432"
  environment:
    POSTGRES_PASSWORD: secret
  volumes:
    - /var/lib/db
web:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
  links:
    - db
  ports:
    - "80"
"#;

#[test]
fn inline_v1_file_links_and_docker_compose_agrees_it_is_up_to_date() {
    let project = unique_project("inline");
    let guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", INLINE);

    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&output, "up -d");
    guard.remember_volumes();
    let (db, web) = (format!("{project}_db_1"), format!("{project}_web_1"));
    let containers = project_containers(&project);
    assert_eq!(names(&containers), [db.clone(), web.clone()]);
    let lines: Vec<&str> = output.stderr.lines().collect();
    let position = |needle: &str| {
        lines
            .iter()
            .position(|line| line.starts_with(needle) && line.ends_with("done"))
            .unwrap_or_else(|| panic!("`{needle} ... done` in {}", output.stderr))
    };
    assert!(position(&format!("Creating {db}")) < position(&format!("Creating {web}")));

    let environment = env_of(&web);
    for expected in [
        format!("DB_NAME=/{web}/db"),
        "DB_PORT_5432_TCP_PORT=5432".to_owned(),
        "DB_PORT_5432_TCP_PROTO=tcp".to_owned(),
        "DB_ENV_POSTGRES_PASSWORD=secret".to_owned(),
        format!("DB_1_NAME=/{web}/db_1"),
    ] {
        assert!(
            environment.contains(&expected),
            "{expected} in {environment:#?}"
        );
    }
    assert!(
        environment
            .iter()
            .any(|line| line.starts_with("DB_PORT=tcp://")),
        "{environment:#?}"
    );

    // Ours again: nothing changes.
    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&output, "second up -d");
    assert_eq!(project_containers(&project), containers);

    // docker-compose 1.29.2 lists them and finds nothing to do: same labels, same
    // config hashes.
    let theirs = docker_compose(test.path(), &["-p", &project, "ps"]);
    assert_success(&theirs, "docker-compose ps");
    assert!(
        theirs.stdout.contains(&db) && theirs.stdout.contains(&web),
        "{}",
        theirs.stdout
    );
    let theirs = docker_compose(test.path(), &["-p", &project, "up", "-d"]);
    assert_success(&theirs, "docker-compose up -d");
    assert!(
        theirs.stderr.contains(&format!("{db} is up-to-date")),
        "{}",
        theirs.stderr
    );
    assert!(
        theirs.stderr.contains(&format!("{web} is up-to-date")),
        "{}",
        theirs.stderr
    );
    assert_eq!(project_containers(&project), containers);

    let ours = test.envctl(&["-p", &project, "ps"]);
    let theirs = docker_compose(test.path(), &["-p", &project, "ps"]);
    assert_eq!(ours.stdout, theirs.stdout);

    let volumes = project_volumes(&project);
    assert_success(&test.envctl(&["-p", &project, "down", "-v"]), "down -v");
    assert!(project_container_ids(&project).is_empty());
    for volume in &volumes {
        assert!(!volume_exists(volume), "down -v removes volume {volume}");
    }
}

#[test]
fn chain_fixture_starts_c_b_a_and_stops_a_b_c() {
    let project = unique_project("chain");
    let _guard = ProjectGuard::new(&project);
    let file = fixture("chain");
    let file = file.to_str().expect("utf-8 path");
    let test = Test::new();
    let output = test.envctl(&["-p", &project, "-f", file, "up", "-d"]);
    assert_success(&output, "up -d");
    let name = |service: &str| format!("{project}_{service}_1");
    let started = |service: &str| timestamp(&inspect(&name(service), "{{.State.StartedAt}}"));
    assert!(started("c") < started("b"));
    assert!(started("b") < started("a"));

    let output = test.envctl(&["-p", &project, "-f", file, "down", "-t", "1"]);
    assert_success(&output, "down");
    let lines: Vec<&str> = output.stderr.lines().collect();
    let stopped = |service: &str| {
        lines
            .iter()
            .position(|line| line.starts_with(&format!("Stopping {}", name(service))))
            .unwrap_or_else(|| panic!("`Stopping {}` in {}", name(service), output.stderr))
    };
    assert!(stopped("a") < stopped("b"), "{}", output.stderr);
    assert!(stopped("b") < stopped("c"), "{}", output.stderr);
    assert!(project_container_ids(&project).is_empty());
}

#[test]
fn extends_fixture_reads_dot_env_and_merges() {
    let project = unique_project("extends");
    let _guard = ProjectGuard::new(&project);
    let file = fixture("extends");
    let file = file.to_str().expect("utf-8 path");
    let test = Test::new();
    assert_success(
        &test.envctl(&["-p", &project, "-f", file, "up", "-d"]),
        "up -d",
    );
    let web = env_of(&format!("{project}_web_1"));
    for expected in [
        "FROM_BASE=yes",
        "FROM_CHILD=yes",
        "GREETING=hello from .env",
    ] {
        assert!(
            web.iter().any(|line| line == expected),
            "{expected} in {web:#?}"
        );
    }
    let worker = env_of(&format!("{project}_worker_1"));
    assert!(worker.iter().any(|line| line == "WORKERS=2"), "{worker:#?}");
    assert_eq!(
        inspect(
            &format!("{project}_worker_1"),
            "{{index .Config.Labels \"org.envctl.fixture\"}}"
        ),
        "extends"
    );
    // docker-compose 1.29.2 agrees nothing changed.
    let theirs = docker_compose(test.path(), &["-p", &project, "-f", file, "up", "-d"]);
    assert_success(&theirs, "docker-compose up -d");
    assert!(theirs.stderr.contains("is up-to-date"), "{}", theirs.stderr);
    assert!(!theirs.stderr.contains("Recreating"), "{}", theirs.stderr);
    assert_success(
        &test.envctl(&["-p", &project, "-f", file, "down", "-v", "-t", "1"]),
        "down -v",
    );
    assert!(project_container_ids(&project).is_empty());
}

#[test]
fn config_hash_matches_docker_compose() {
    for case in ["basic", "chain", "extends"] {
        let file = fixture(case);
        let file = file.to_str().expect("utf-8 path");
        let test = Test::new();
        let ours = test.envctl(&["-f", file, "config", "--hash=*"]);
        assert_success(&ours, "config --hash");
        let theirs = docker_compose(test.path(), &["-f", file, "config", "--hash=*"]);
        assert_success(&theirs, "docker-compose config --hash");
        let sorted = |text: &str| {
            let mut lines: Vec<String> = text.lines().map(ToOwned::to_owned).collect();
            lines.sort();
            lines
        };
        assert_eq!(sorted(&ours.stdout), sorted(&theirs.stdout), "{case}");
    }
}

#[test]
fn ps_of_an_empty_project_prints_the_header_only() {
    let project = unique_project("empty");
    let test = Test::new().file("docker-compose.yml", INLINE);
    let ours = test.envctl(&["-p", &project, "ps"]);
    assert_success(&ours, "ps");
    let theirs = docker_compose(test.path(), &["-p", &project, "ps"]);
    assert_eq!(ours.stdout, theirs.stdout);
}

#[test]
fn attached_up_prints_prefixed_output_until_the_containers_exit() {
    let project = unique_project("attached");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        "db:\n  image: envctl-test/busybox:latest\n  command: sh -c 'echo db says hi; exit 3'\n\
         web:\n  image: envctl-test/busybox:latest\n  command: sh -c 'sleep 1; echo web done'\n",
    );
    let output = test.envctl(&["-p", &project, "up"]);
    assert_success(&output, "up");
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(format!("Attaching to {project}_db_1, {project}_web_1").as_str())
    );
    for expected in [
        "db_1   | db says hi".to_owned(),
        format!("{project}_db_1 exited with code 3"),
        "web_1  | web done".to_owned(),
        format!("{project}_web_1 exited with code 0"),
    ] {
        assert!(
            lines.contains(&expected.as_str()),
            "{expected:?} in {}",
            output.stdout
        );
    }
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
}

#[test]
fn ctrl_c_stops_attached_containers_dependents_first_and_exits_130() {
    let project = unique_project("interrupt");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", INLINE);
    let child = test.spawn(&["-p", &project, "up", "-t", "5"]);
    let web = format!("{project}_web_1");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while inspect(&web, "{{.State.Running}}") != "true" {
        assert!(std::time::Instant::now() < deadline, "web never ran");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("envctl finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Gracefully stopping..."), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    let stopped = |name: &str| {
        lines
            .iter()
            .position(|line| line.starts_with(&format!("Stopping {name}")))
            .unwrap_or_else(|| panic!("`Stopping {name}` in {stderr}"))
    };
    assert!(stopped(&web) < stopped(&format!("{project}_db_1")));
    for (name, _) in project_containers(&project) {
        assert_eq!(inspect(&name, "{{.State.Running}}"), "false", "{name}");
    }
    assert_success(&test.envctl(&["-p", &project, "down", "-v"]), "down -v");
}

#[test]
fn containers_made_by_docker_compose_are_up_to_date_for_envctl() {
    let project = unique_project("reverse");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", INLINE);
    assert_success(
        &docker_compose(test.path(), &["-p", &project, "up", "-d"]),
        "docker-compose up -d",
    );
    let containers = project_containers(&project);
    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&output, "envctl up -d");
    for (name, _) in &containers {
        assert!(
            output.stderr.contains(&format!("{name} is up-to-date")),
            "{}",
            output.stderr
        );
    }
    assert_eq!(project_containers(&project), containers);

    // `ps` for one service only.
    let ps = test.envctl(&["-p", &project, "ps", "web"]);
    assert_success(&ps, "ps web");
    assert!(
        ps.stdout.contains(&format!("{project}_web_1")),
        "{}",
        ps.stdout
    );
    assert!(
        !ps.stdout.contains(&format!("{project}_db_1")),
        "{}",
        ps.stdout
    );

    assert_success(&test.envctl(&["-p", &project, "down", "-v"]), "down -v");
    assert!(project_container_ids(&project).is_empty());
}

// See: #4
#[test]
fn dry_run_prints_the_plan_and_touches_nothing() {
    let project = unique_project("dryrun");
    let _guard = ProjectGuard::new(&project);
    let file = fixture("chain");
    let file = file.to_str().expect("utf-8 path");
    let test = Test::new();
    let envctl = |args: &[&str]| {
        let mut full = vec!["-p", project.as_str(), "-f", file];
        full.extend(args);
        test.envctl(&full)
    };

    let planned = envctl(&["up", "-d", "--dry-run"]);
    assert_success(&planned, "up --dry-run");
    assert!(
        project_containers(&project).is_empty(),
        "a dry run creates nothing"
    );
    let creates: Vec<&str> = planned.stdout.lines().collect();
    assert_eq!(creates.len(), 3, "{}", planned.stdout);
    assert!(
        creates[0].starts_with("[] -> #0 c, create `"),
        "{}",
        planned.stdout
    );
    assert!(
        creates[2].starts_with("[#1] -> #2 a, create `"),
        "{}",
        planned.stdout
    );

    assert_success(&envctl(&["up", "-d"]), "up -d");
    let ids = project_container_ids(&project);
    let again = envctl(&["up", "-d", "--dry-run"]);
    assert_success(&again, "up --dry-run after up");
    assert_eq!(
        again.stdout.trim(),
        "nothing to do: 3 container(s) up to date"
    );

    let down = envctl(&["down", "--dry-run"]);
    assert_success(&down, "down --dry-run");
    assert!(
        down.stdout
            .lines()
            .next()
            .is_some_and(|line| line.contains("stop `")),
        "{}",
        down.stdout
    );
    assert_eq!(
        project_container_ids(&project),
        ids,
        "a dry run changes nothing"
    );
    assert_success(&envctl(&["down"]), "down");
}

// See: #4
#[test]
fn a_dry_run_after_a_change_names_the_changed_key() {
    let project = unique_project("why");
    let _guard = ProjectGuard::new(&project);
    let file = |greeting: &str| {
        format!(
            "app:\n  image: envctl-test/busybox:latest\n  environment:\n    GREETING: {greeting}\n    OTHER: same\n"
        )
    };
    let test = Test::new().file("docker-compose.yml", &file("hello"));
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up -d");
    std::fs::write(test.path().join("docker-compose.yml"), file("bonjour")).expect("rewrite");
    let planned = test.envctl(&["-p", &project, "up", "-d", "--dry-run"]);
    assert_success(&planned, "up --dry-run");
    assert!(
        planned
            .stdout
            .contains("configuration changed: environment.GREETING\n"),
        "{}",
        planned.stdout
    );
    assert!(
        !planned.stdout.contains("bonjour"),
        "values are never shown: {}",
        planned.stdout
    );
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
}
