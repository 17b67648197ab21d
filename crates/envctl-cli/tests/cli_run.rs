//! `envctl run` against a real engine: one-off containers, their labels, their
//! dependencies, stdin, the exit code, and `--rm` leaving nothing behind.

#![cfg(feature = "docker-tests")]

mod support;

use std::io::Write as _;
use std::process::{Command, Stdio};

use support::{Output, ProjectGuard, Test, inspect, project_containers, unique_project};

const PROJECT: &str = r#"
db:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
web:
  image: envctl-test/busybox-volume:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
  links: [db]
  restart: always
  ports: ["80"]
"#;

fn envctl(test: &Test, project: &str, args: &[&str]) -> Output {
    let mut full = vec!["-p", project];
    full.extend(args);
    test.envctl(&full)
}

#[test]
fn run_rm_starts_dependencies_returns_the_exit_code_and_leaves_nothing_behind() {
    let project = unique_project("runrm");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", PROJECT);
    let output = envctl(
        &test,
        &project,
        &[
            "run",
            "--rm",
            "web",
            "sh",
            "-c",
            "echo out; echo err >&2; ping -c1 -W1 db >/dev/null && echo linked; exit 7",
        ],
    );
    assert_eq!(output.code, Some(7), "{}", output.render());
    assert_eq!(output.stdout, "out\nlinked\n", "{}", output.render());
    assert!(output.stderr.ends_with("err\n"), "{}", output.render());
    // Only the dependency is left, running; no one-off container, no volume.
    let containers: Vec<String> = project_containers(&project)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(containers, [format!("{project}_db_1")]);
    assert_eq!(
        inspect(&format!("{project}_db_1"), "{{.State.Status}}"),
        "running"
    );
}

#[test]
fn run_detached_makes_a_labelled_one_off_that_ps_and_down_handle() {
    let project = unique_project("runlabels");
    let guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", PROJECT);
    let output = envctl(&test, &project, &["run", "-d", "--no-deps", "web"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    let name = output.stdout.trim().to_owned();
    let slug = name
        .strip_prefix(&format!("{project}_web_run_"))
        .unwrap_or_else(|| panic!("{name}"));
    assert_eq!(slug.len(), 12);
    assert!(slug.bytes().all(|byte| byte.is_ascii_hexdigit()));
    let label = |key: &str| inspect(&name, &format!("{{{{index .Config.Labels \"{key}\"}}}}"));
    assert_eq!(label("com.docker.compose.oneoff"), "True");
    assert_eq!(label("com.docker.compose.service"), "web");
    assert!(label("com.docker.compose.slug").starts_with(slug));
    assert_eq!(label("com.docker.compose.slug").len(), 63);
    assert_eq!(label("com.docker.compose.container-number"), "");
    assert_eq!(label("com.docker.compose.config-hash"), "");
    // `--no-deps`: db was not started; no restart policy, no published port.
    assert_eq!(project_containers(&project).len(), 1);
    assert_eq!(inspect(&name, "{{.HostConfig.RestartPolicy.Name}}"), "");
    assert_eq!(inspect(&name, "{{len .HostConfig.PortBindings}}"), "0");

    let ps = envctl(&test, &project, &["ps"]);
    assert!(ps.stdout.contains(&name), "{}", ps.render());
    // `down` without `-v` keeps the one-off's anonymous volume, as it should: the
    // guard removes it.
    guard.remember_volumes();
    let down = envctl(&test, &project, &["down", "-t", "1"]);
    assert_eq!(down.code, Some(0), "{}", down.render());
    assert!(
        project_containers(&project).is_empty(),
        "down removes one-offs"
    );
}

#[test]
fn run_options_and_stdin() {
    let project = unique_project("runopts");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", PROJECT);
    let mut child = Command::new(env!("CARGO_BIN_EXE_envctl"))
        .args([
            "-p",
            &project,
            "run",
            "--rm",
            "-T",
            "--no-deps",
            "-e",
            "X=1",
            "-u",
            "1000",
            "-w",
            "/tmp",
            "-v",
            "/etc/hostname:/host-name:ro",
            "--name",
            &format!("{project}-custom"),
            "--entrypoint",
            "sh -c",
            "db",
            "cat; echo $X; id -u; pwd; test -f /host-name && echo mounted; hostname",
        ])
        .current_dir(test.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("envctl starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"from stdin\n")
        .expect("write");
    let output = child.wait_with_output().expect("envctl ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.get(..5),
        Some(&["from stdin", "1", "1000", "/tmp", "mounted"][..]),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(project_containers(&project).is_empty());

    let published = envctl(
        &test,
        &project,
        &["run", "-d", "--no-deps", "-p", "127.0.0.1::80", "web"],
    );
    let name = published.stdout.trim();
    assert_eq!(
        inspect(
            name,
            "{{range $p, $b := .HostConfig.PortBindings}}{{$p}}{{end}}"
        ),
        "80/tcp"
    );
    let both = envctl(
        &test,
        &project,
        &["run", "--service-ports", "-p", "80", "web"],
    );
    assert_eq!(both.code, Some(1));
    let rm_detached = envctl(&test, &project, &["run", "--rm", "-d", "web"]);
    assert_eq!(rm_detached.code, Some(1));
}
