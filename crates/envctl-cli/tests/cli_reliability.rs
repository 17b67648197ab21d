//! Faults and data on the real engine (docs/reliability.md): a name taken by a
//! container that is not the project's, a host port already in use, data in anonymous
//! volumes across `up --force-recreate`, a data-only container's volume across `up` and
//! `down`, `rm` without `-v`, and environment values kept out of progress and errors.

#![cfg(feature = "docker-tests")]

mod support;

use support::{
    Output, ProjectGuard, Test, docker_lines, inspect, project_containers, unique_project,
    volume_exists,
};

const IMAGE: &str = "envctl-test/busybox:latest";
const SLEEP: &str = r#"["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]"#;

fn assert_success(output: &Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

fn volumes_of(container: &str) -> Vec<String> {
    docker_lines(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}}\n{{end}}{{end}}",
        container,
    ])
}

/// A container the test made outside any project, removed when dropped.
struct Foreign(String);

impl Drop for Foreign {
    fn drop(&mut self) {
        docker_lines(&["rm", "-f", &self.0]);
    }
}

#[test]
fn a_name_taken_by_a_foreign_container_is_named_and_the_container_left_alone() {
    let project = unique_project("taken");
    let _guard = ProjectGuard::new(&project);
    let taken = Foreign(format!("{project}-taken"));
    let id = docker_lines(&["create", "--name", &taken.0, IMAGE, "true"]);
    assert_eq!(id.len(), 1, "{id:?}");
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            "web:\n  image: {IMAGE}\n  container_name: {}\n  command: {SLEEP}\n",
            taken.0
        ),
    );
    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(output.stderr.contains(&taken.0), "{}", output.stderr);
    assert!(output.stderr.contains("web"), "{}", output.stderr);
    // The foreign container: same id, still created, no project label.
    assert_eq!(inspect(&taken.0, "{{.Id}}"), id[0]);
    assert_eq!(inspect(&taken.0, "{{.State.Status}}"), "created");
    assert_eq!(
        inspect(
            &taken.0,
            "{{index .Config.Labels \"com.docker.compose.project\"}}"
        ),
        ""
    );
}

#[test]
fn a_host_port_in_use_names_the_service_and_the_others_still_start() {
    let project = unique_project("port");
    let _guard = ProjectGuard::new(&project);
    let listener = std::net::TcpListener::bind("0.0.0.0:18501").expect("port 18501 is free");
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            "web:\n  image: {IMAGE}\n  command: {SLEEP}\n  ports:\n    - \"18501:80\"\nother:\n  image: {IMAGE}\n  command: {SLEEP}\n"
        ),
    );
    let output = test.envctl(&["-p", &project, "up", "-d"]);
    drop(listener);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(output.stderr.contains("web"), "{}", output.stderr);
    let message = output
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        message.contains("address already in use") || message.contains("port is already allocated"),
        "the engine's message: {}",
        output.stderr
    );
    assert_eq!(
        inspect(&format!("{project}_other_1"), "{{.State.Status}}"),
        "running"
    );
}

#[test]
fn data_in_an_anonymous_volume_survives_up_force_recreate() {
    let project = unique_project("forcerecreate");
    let guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!("keeper:\n  image: {IMAGE}\n  command: {SLEEP}\n  volumes:\n    - /data\n"),
    );
    let keeper = format!("{project}_keeper_1");
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up");
    guard.remember_volumes();
    docker_lines(&["exec", &keeper, "sh", "-c", "echo kept > /data/file"]);
    let before = (inspect(&keeper, "{{.Id}}"), volumes_of(&keeper));
    let output = test.envctl(&["-p", &project, "up", "-d", "--force-recreate", "-t", "1"]);
    assert_success(&output, "up --force-recreate");
    assert_ne!(inspect(&keeper, "{{.Id}}"), before.0, "recreated");
    assert_eq!(volumes_of(&keeper), before.1, "the same volume");
    assert_eq!(
        docker_lines(&["exec", &keeper, "cat", "/data/file"]),
        ["kept"]
    );
}

#[test]
fn a_data_only_containers_volume_survives_up_and_down_and_rm_without_v() {
    let project = unique_project("dataonly");
    let guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            "data:\n  image: {IMAGE}\n  command: \"true\"\n  volumes:\n    - /data\napp:\n  image: {IMAGE}\n  command: {SLEEP}\n  volumes_from:\n    - data\n"
        ),
    );
    let (data, app) = (format!("{project}_data_1"), format!("{project}_app_1"));
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up");
    guard.remember_volumes();
    let volume = volumes_of(&data);
    assert_eq!(volume.len(), 1, "{volume:?}");
    docker_lines(&["exec", &app, "sh", "-c", "echo kept > /data/file"]);

    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "second up");
    assert_eq!(
        volumes_of(&data),
        volume,
        "up kept the data container's volume"
    );
    assert_eq!(docker_lines(&["exec", &app, "cat", "/data/file"]), ["kept"]);

    // `rm` without `-v` of the stopped data container keeps its volume.
    assert_success(&test.envctl(&["-p", &project, "rm", "-f", "data"]), "rm");
    assert!(
        project_containers(&project)
            .iter()
            .all(|(name, _)| name != &data)
    );
    assert!(volume_exists(&volume[0]), "rm without -v keeps the volume");

    assert_success(&test.envctl(&["-p", &project, "down", "-t", "1"]), "down");
    assert!(project_containers(&project).is_empty());
    assert!(
        volume_exists(&volume[0]),
        "down without -v keeps the volume"
    );
    docker_lines(&["volume", "rm", "-f", &volume[0]]);
}

#[test]
fn environment_values_stay_out_of_progress_errors_and_verbose_output() {
    const SECRET: &str = "s3cr3t-value-7f1d";
    let project = unique_project("secrets");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            "web:\n  image: {IMAGE}\n  command: {SLEEP}\n  environment:\n    PASSWORD: {SECRET}\nbroken:\n  image: {IMAGE}\n  entrypoint: /does-not-exist\n  environment:\n    TOKEN: {SECRET}\n"
        ),
    );
    let output = test.envctl(&["--verbose", "-p", &project, "up", "--dry-run"]);
    assert!(!output.render().contains(SECRET), "{}", output.render());
    // `broken` fails to start: its error is printed, with `--verbose` logs on.
    let output = test.envctl(&["--verbose", "-p", &project, "up", "-d"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(output.stderr.contains("broken"), "{}", output.stderr);
    assert!(
        !output.stdout.contains(SECRET) && !output.stderr.contains(SECRET),
        "a value was printed: {}",
        output.render()
    );
    let output = test.envctl(&["--verbose", "-p", &project, "down", "-t", "1"]);
    assert!(!output.render().contains(SECRET), "{}", output.render());
    // `config` is asked for the values and prints them.
    let output = test.envctl(&["-p", &project, "config"]);
    assert_success(&output, "config");
    assert!(
        output.stdout.contains(&format!("PASSWORD: {SECRET}")),
        "{}",
        output.stdout
    );
}
