//! Convergence, the failure policy and interrupts, on the real engine: `up` twice
//! touches nothing, a change recreates only its service and keeps the data in its
//! anonymous volume, `down` keeps volumes and `down -v` removes only the project's,
//! a service that cannot start leaves its dependents alone, and an interrupted `up`
//! leaves nothing unlabelled.

#![cfg(feature = "docker-tests")]

mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use support::{
    Output, ProjectGuard, Test, assert_all_labelled, docker_lines, inspect, project_containers,
    unique_project, volume_exists,
};

const SLEEP: &str = r#"["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]"#;

fn assert_success(output: &Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

/// `name → (id, State.StartedAt)` of the project's containers.
fn started(project: &str) -> Vec<(String, String, String)> {
    project_containers(project)
        .into_iter()
        .map(|(name, id)| {
            let at = inspect(&id, "{{.State.StartedAt}}");
            (name, id, at)
        })
        .collect()
}

fn anonymous_volumes(container: &str) -> Vec<String> {
    docker_lines(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}}\n{{end}}{{end}}",
        container,
    ])
}

struct VolumeGuard(String);

impl Drop for VolumeGuard {
    fn drop(&mut self) {
        docker_lines(&["volume", "rm", "-f", &self.0]);
    }
}

fn two_services(keeper_mode: &str) -> String {
    format!(
        "keeper:\n  image: envctl-test/busybox:latest\n  command: {SLEEP}\n  volumes:\n    - /data\n  environment:\n    MODE: {keeper_mode}\nother:\n  image: envctl-test/busybox:latest\n  command: {SLEEP}\n"
    )
}

#[test]
fn up_twice_touches_nothing_and_a_change_recreates_only_its_service_keeping_its_data() {
    let project = unique_project("converge");
    let guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", &two_services("one"));
    let (keeper, other) = (format!("{project}_keeper_1"), format!("{project}_other_1"));

    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "first up");
    guard.remember_volumes();
    let before = started(&project);
    assert_eq!(before.len(), 2, "{before:?}");

    // Second `up`: nothing created, started or stopped.
    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&output, "second up");
    assert_eq!(
        started(&project),
        before,
        "the second up touched a container"
    );
    assert!(
        output.stderr.contains(&format!("{keeper} is up-to-date"))
            && output.stderr.contains(&format!("{other} is up-to-date")),
        "{}",
        output.stderr
    );
    assert!(!output.stderr.contains("Creating"), "{}", output.stderr);

    // Data in keeper's anonymous volume, then a change to keeper only.
    docker_lines(&["exec", &keeper, "sh", "-c", "echo kept > /data/file"]);
    let volume = anonymous_volumes(&keeper);
    std::fs::write(test.path().join("docker-compose.yml"), two_services("two"))
        .expect("rewrite the file");
    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&output, "up after the change");
    assert!(
        output.stderr.contains(&format!("Recreating {keeper}")),
        "{}",
        output.stderr
    );
    let after = started(&project);
    let find = |list: &[(String, String, String)], name: &str| {
        list.iter()
            .find(|(n, _, _)| n == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} exists: {list:?}"))
    };
    assert_eq!(
        find(&after, &other),
        find(&before, &other),
        "other untouched"
    );
    assert_ne!(
        find(&after, &keeper).1,
        find(&before, &keeper).1,
        "recreated"
    );
    assert_eq!(
        anonymous_volumes(&keeper),
        volume,
        "the volume carried over"
    );
    assert_eq!(
        docker_lines(&["exec", &keeper, "cat", "/data/file"]),
        ["kept"],
        "the data survived the recreate"
    );
    assert!(
        docker_lines(&["exec", &keeper, "env"]).contains(&"MODE=two".to_owned()),
        "the new environment is in place"
    );
    // No renamed leftover of the old container.
    let leftovers = docker_lines(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        &format!("name={project}"),
    ]);
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}

#[test]
fn down_keeps_volumes_and_down_v_removes_only_the_projects_own() {
    let project = unique_project("downv");
    let guard = ProjectGuard::new(&project);
    let unrelated = VolumeGuard(format!("{project}_unrelated"));
    docker_lines(&["volume", "create", &unrelated.0]);
    let test = Test::new().file("docker-compose.yml", &two_services("one"));
    let keeper = format!("{project}_keeper_1");

    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up");
    guard.remember_volumes();
    let first = anonymous_volumes(&keeper);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_success(&test.envctl(&["-p", &project, "down", "-t", "1"]), "down");
    assert!(
        project_containers(&project).is_empty(),
        "down removes containers"
    );
    assert!(volume_exists(&first[0]), "down keeps the anonymous volume");

    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up again");
    guard.remember_volumes();
    let second = anonymous_volumes(&keeper);
    assert_success(
        &test.envctl(&["-p", &project, "down", "-v", "-t", "1"]),
        "down -v",
    );
    assert!(
        !volume_exists(&second[0]),
        "down -v removes the project's volume"
    );
    assert!(
        volume_exists(&unrelated.0),
        "down -v keeps an unrelated volume"
    );
    // The first volume belonged to no container any more: as 1.29.2, left alone.
    assert!(volume_exists(&first[0]));
    docker_lines(&["volume", "rm", "-f", &first[0]]);
}

fn failing_file(entrypoint: &str) -> String {
    format!(
        "broken:\n  image: envctl-test/busybox:latest\n  entrypoint: {entrypoint}\n  command: {SLEEP}\ndependent:\n  image: envctl-test/busybox:latest\n  command: {SLEEP}\n  links:\n    - broken\nindependent:\n  image: envctl-test/busybox:latest\n  command: {SLEEP}\n"
    )
}

#[test]
fn a_service_that_cannot_start_skips_its_dependents_and_the_next_up_converges() {
    let project = unique_project("failpolicy");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", &failing_file("/no-such-binary"));
    let name = |service: &str| format!("{project}_{service}_1");

    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_ne!(output.code, Some(0), "{}", output.render());
    assert_eq!(
        inspect(&name("independent"), "{{.State.Running}}"),
        "true",
        "the independent branch finished: {}",
        output.render()
    );
    assert!(
        docker_lines(&[
            "ps",
            "-aq",
            "--filter",
            &format!("name={}", name("dependent"))
        ])
        .is_empty(),
        "the dependent was not created: {}",
        output.render()
    );
    assert_eq!(inspect(&name("broken"), "{{.State.Running}}"), "false");
    // The summary names the failed service with the engine's own message.
    let summary = output
        .stderr
        .rsplit_once("encountered errors")
        .map(|(_, summary)| summary.replace('│', " "))
        .unwrap_or_default();
    // As one line: the renderer wraps long messages.
    let summary = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        summary.contains("`broken`") && summary.contains("/no-such-binary"),
        "{}",
        output.stderr
    );
    assert!(
        summary.contains("no such file or directory") && summary.contains("failed to start"),
        "{}",
        output.stderr
    );

    std::fs::write(
        test.path().join("docker-compose.yml"),
        failing_file(r#"["/bin/sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]"#),
    )
    .expect("rewrite the file");
    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&output, "up after the fix");
    for service in ["broken", "dependent", "independent"] {
        assert_eq!(
            inspect(&name(service), "{{.State.Running}}"),
            "true",
            "{service}: {}",
            output.render()
        );
    }
}

fn thirty_services() -> String {
    thirty_services_with("one")
}

fn thirty_services_with(mode: &str) -> String {
    let mut text = String::new();
    for index in 0..30 {
        let _ = write!(
            text,
            "s{index:02}:\n  image: envctl-test/busybox:latest\n  command: {SLEEP}\n  environment:\n    MODE: {mode}\n"
        );
    }
    text
}

/// Waits until the project has a container (the run is under way, its interrupt
/// handler installed), then `extra` more.
fn wait_for_first_container(project: &str, extra: Duration) {
    let start = Instant::now();
    while docker_lines(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
    .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no container appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(extra);
}

fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}
#[test]
fn an_interrupted_up_of_thirty_services_leaves_nothing_unlabelled_and_converges() {
    let project = unique_project("interrupt");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", &thirty_services());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    let delay = Duration::from_millis(u64::from(nanos % 300));

    let child = test.spawn(&["-p", &project, "up", "-d"]);
    wait_for_first_container(&project, delay);
    interrupt(&child);
    let output = child.wait_with_output().expect("envctl finishes");
    let code = output.status.code();
    assert!(
        code == Some(130) || code == Some(0),
        "interrupted after {delay:?}: {code:?} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_all_labelled(&project, false);

    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&output, "up after the interrupt");
    let running = docker_lines(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert_eq!(running.len(), 30, "{}", output.render());
    assert_all_labelled(&project, false);
}

#[test]
fn a_second_interrupt_exits_at_once() {
    let project = unique_project("interrupt2");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", &thirty_services());
    let mut child = test.spawn(&["-p", &project, "up", "-d"]);
    wait_for_first_container(&project, Duration::ZERO);
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(20));
    let sent = Instant::now();
    if child.try_wait().expect("wait works").is_none() {
        interrupt(&child);
    }
    let status = child.wait().expect("envctl finishes");
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "exited {:?} after the second interrupt",
        sent.elapsed()
    );
    assert_eq!(status.code(), Some(130));
    // What was started finishes in the engine; the next `up` converges.
    let output = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&output, "up after two interrupts");
    assert_all_labelled(&project, false);
}

#[test]
fn ps_format_json_is_one_array_of_containers() {
    let project = unique_project("psjson");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            "web:\n  image: envctl-test/busybox:latest\n  command: {SLEEP}\n  ports:\n    - \"127.0.0.1::80\"\n    - \"53/udp\"\ndata:\n  image: envctl-test/busybox:latest\n  command: \"true\"\n"
        ),
    );
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up");
    let output = test.envctl(&["-p", &project, "ps", "--format", "json"]);
    assert_success(&output, "ps --format json");
    let value: serde_json::Value = serde_json::from_str(&output.stdout).expect("one JSON value");
    let containers = value.as_array().expect("an array");
    assert_eq!(containers.len(), 2, "{value:#}");
    let web = containers
        .iter()
        .find(|c| c["service"] == "web")
        .expect("web is listed");
    assert_eq!(web["name"], format!("{project}_web_1"));
    assert_eq!(web["number"], 1);
    assert_eq!(web["state"], "running");
    assert_eq!(web["exit_code"], 0);
    assert_eq!(web["id"], inspect(&format!("{project}_web_1"), "{{.Id}}"));
    assert_eq!(web["command"][0], "sh");
    let ports = web["ports"].as_array().expect("ports");
    let tcp = ports
        .iter()
        .find(|port| port["target"] == 80)
        .expect("port 80");
    assert_eq!(tcp["host_ip"], "127.0.0.1");
    assert!(
        tcp["published"].as_u64().is_some_and(|port| port > 0),
        "{tcp}"
    );
    assert!(
        ports
            .iter()
            .any(|port| port["target"] == 53 && port["protocol"] == "udp")
    );
    let data = containers
        .iter()
        .find(|c| c["service"] == "data")
        .expect("data is listed");
    assert_eq!(data["state"], "exited");
    assert_eq!(data["exit_code"], 0);
}

/// Removes image tags when dropped.
struct Untag(Vec<String>);

impl Drop for Untag {
    fn drop(&mut self) {
        for name in &self.0 {
            docker_lines(&["rmi", name]);
        }
    }
}

#[test]
fn down_rmi_local_removes_built_images_and_all_removes_custom_tags_too() {
    let project = unique_project("rmi");
    let _guard = ProjectGuard::new(&project);
    // Images named as `build` would name them, and a custom tag: local copies of
    // the test image, so that removing them untags only.
    let (built, custom) = (
        format!("{project}_built"),
        format!("{project}-custom:latest"),
    );
    let image_exists = |name: &str| !docker_lines(&["images", "-q", name]).is_empty();
    let tag_both = || {
        for name in [&built, &custom] {
            docker_lines(&["tag", "envctl-test/busybox:latest", name]);
        }
    };
    let _untag = Untag(vec![built.clone(), custom.clone()]);
    tag_both();
    let test = Test::new().file("Dockerfile", "FROM envctl-test/busybox:latest\n").file(
        "docker-compose.yml",
        &format!(
            "built:\n  build: .\n  command: {SLEEP}\ncustom:\n  image: {custom}\n  command: {SLEEP}\n"
        ),
    );
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up");
    let output = test.envctl(&["-p", &project, "down", "-t", "1", "--rmi", "local"]);
    assert_success(&output, "down --rmi local");
    assert!(!image_exists(&built), "{}", output.render());
    assert!(image_exists(&custom), "{}", output.render());
    assert!(
        output.stderr.contains(&format!("Removing image {built}")),
        "{}",
        output.stderr
    );

    tag_both();
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up again");
    let output = test.envctl(&["-p", &project, "down", "-t", "1", "--rmi", "all"]);
    assert_success(&output, "down --rmi all");
    assert!(
        !image_exists(&built) && !image_exists(&custom),
        "{}",
        output.render()
    );
    assert!(
        image_exists("envctl-test/busybox:latest"),
        "the source image stays"
    );
}

#[test]
fn progress_json_is_one_object_per_line() {
    let project = unique_project("progjson");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", &two_services("one"));
    let events = |output: &Output| -> Vec<serde_json::Value> {
        output
            .stderr
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("JSON: {line}")))
            .collect()
    };
    let output = test.envctl(&["--progress", "json", "-p", &project, "up", "-d"]);
    assert_success(&output, "up");
    let first = events(&output);
    for service in ["keeper", "other"] {
        for status in ["started", "done"] {
            assert!(
                first.iter().any(|event| event["service"] == service
                    && event["action"] == "Creating"
                    && event["status"] == status
                    && event["container"] == format!("{project}_{service}_1")),
                "{service} {status}: {}",
                output.stderr
            );
        }
    }
    let output = test.envctl(&["--progress", "json", "-p", &project, "up", "-d"]);
    assert_success(&output, "second up");
    let second = events(&output);
    assert_eq!(second.len(), 2, "{}", output.stderr);
    assert!(second.iter().all(|event| event["status"] == "up-to-date"));
}

/// `envctl` with `args` on a pseudo-terminal (util-linux `script`) that says its
/// width (`stty`: a terminal of unknown width gets plain lines, see #16), its
/// output.
fn on_a_terminal(test: &Test, args: &[&str], no_color: bool) -> String {
    let mut command_line = format!("stty cols 120 rows 40; {}", env!("CARGO_BIN_EXE_envctl"));
    for arg in args {
        let _ = write!(command_line, " '{arg}'");
    }
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &command_line, "/dev/null"])
        .current_dir(test.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERM", "xterm")
        .env("LANG", "C.UTF-8");
    if no_color {
        command.env("NO_COLOR", "1");
    }
    if let Ok(host) = std::env::var("DOCKER_HOST") {
        command.env("DOCKER_HOST", host);
    }
    let output = command.output().expect("script runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn progress_on_a_terminal_is_coloured_unless_no_color() {
    let project = unique_project("progtty");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", &two_services("one"));
    let keeper = format!("{project}_keeper_1");

    let coloured = on_a_terminal(&test, &["-p", &project, "up", "-d"], false);
    assert!(
        coloured.contains(&format!("Creating {keeper}")),
        "{coloured:?}"
    );
    assert!(coloured.contains("\x1b[32mdone\x1b[0m"), "{coloured:?}");

    // `-v`: the keeper's anonymous volume goes with it.
    docker_lines(&["rm", "-fv", &keeper]);
    let plain = on_a_terminal(&test, &["-p", &project, "up", "-d"], true);
    assert!(plain.contains(&format!("Creating {keeper}")), "{plain:?}");
    assert!(plain.contains("... done"), "{plain:?}");
    assert!(!plain.contains("\x1b[32m"), "{plain:?}");
}

#[test]
fn an_interrupted_recreate_of_thirty_services_leaves_no_renamed_leftover() {
    let project = unique_project("interruptre");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", &thirty_services_with("one"));
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "first up");
    std::fs::write(
        test.path().join("docker-compose.yml"),
        thirty_services_with("two"),
    )
    .expect("rewrite the file");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    let delay = Duration::from_millis(u64::from(nanos % 300));

    // Recreating stops, renames to `<short id>_<name>`, creates and removes: an
    // interrupt lets the recreates in flight finish, so no renamed one is left.
    let child = test.spawn(&["-p", &project, "up", "-d", "-t", "1"]);
    // Under way: the first container stopped for its recreate.
    let start = Instant::now();
    while docker_lines(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
    .len()
        == 30
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no recreate began"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(delay);
    interrupt(&child);
    let output = child.wait_with_output().expect("envctl finishes");
    assert!(
        matches!(output.status.code(), Some(130 | 0)),
        "interrupted after {delay:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_all_labelled(&project, false);

    let output = test.envctl(&["-p", &project, "up", "-d", "-t", "1"]);
    assert_success(&output, "up after the interrupt");
    let running = docker_lines(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert_eq!(running.len(), 30, "{}", output.render());
    assert_all_labelled(&project, false);
    for id in &running {
        assert!(
            docker_lines(&[
                "inspect",
                "--format",
                "{{range .Config.Env}}{{println .}}{{end}}",
                id
            ])
            .contains(&"MODE=two".to_owned()),
            "every container has the new environment"
        );
    }
}
