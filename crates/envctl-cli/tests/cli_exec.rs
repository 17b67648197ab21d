//! `envctl exec` against a real engine: the right container, the options, stdin,
//! the exit code, and a TTY when stdin is a terminal.

#![cfg(feature = "docker-tests")]

mod support;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Output, ProjectGuard, Test, inspect, unique_project};

const PROJECT: &str = r#"
web:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
"#;

fn setup(name: &str) -> (Test, ProjectGuard) {
    let project = unique_project(name);
    let guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", PROJECT);
    let output = test.envctl(&["-p", &project, "up", "-d", "--scale", "web=2"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    (test, guard)
}

fn exec(test: &Test, project: &str, args: &[&str]) -> Output {
    let mut full = vec!["-p", project, "exec"];
    full.extend(args);
    test.envctl(&full)
}

#[test]
fn exec_runs_in_the_indexed_container_and_passes_the_exit_code_through() {
    let (test, guard) = setup("execcode");
    let project = guard.name.as_str();
    let output = exec(
        &test,
        project,
        &["-T", "web", "sh", "-c", "echo out; echo err >&2; exit 7"],
    );
    assert_eq!(
        (output.code, output.stdout.as_str(), output.stderr.as_str()),
        (Some(7), "out\n", "err\n")
    );

    for index in ["1", "2"] {
        let id = inspect(&format!("{project}_web_{index}"), "{{.Id}}");
        let output = exec(&test, project, &["-T", "--index", index, "web", "hostname"]);
        assert_eq!(output.stdout.trim(), &id[..12], "{}", output.render());
    }
    let output = exec(&test, project, &["--index", "3", "web", "true"]);
    assert_eq!(output.code, Some(1));
    assert!(
        output.stderr.contains("no container found for `web_3`"),
        "{}",
        output.render()
    );
    let output = exec(&test, project, &["nope", "true"]);
    assert_eq!(output.code, Some(1));
    assert!(
        output.stderr.contains("no such service: `nope`"),
        "{}",
        output.render()
    );

    let stopped = test.envctl(&["-p", project, "stop", "-t", "5"]);
    assert_eq!(stopped.code, Some(0));
    let output = exec(&test, project, &["-T", "web", "true"]);
    assert_eq!(output.code, Some(1));
    assert!(
        output.stderr.contains("is not running"),
        "{}",
        output.render()
    );
}

#[test]
fn exec_options_user_workdir_env_privileged_stdin_and_detach() {
    let (test, guard) = setup("execopts");
    let project = guard.name.as_str();
    let output = exec(
        &test,
        project,
        &[
            "-T",
            "-u",
            "1000",
            "-w",
            "/tmp",
            "-e",
            "A=b",
            "-e",
            "C=d",
            "web",
            "sh",
            "-c",
            "id -u; pwd; echo $A$C",
        ],
    );
    assert_eq!(output.stdout, "1000\n/tmp\nbd\n", "{}", output.render());

    // `--privileged` reaches the engine: the result is the docker CLI's own (this
    // engine refuses full capabilities in a non-privileged container: 126), and
    // differs from the same command without it.
    let container = format!("{project}_web_1");
    let reference = Command::new("docker")
        .args(["exec", "--privileged", &container, "sh", "-c", "echo ok"])
        .output()
        .expect("docker runs");
    let output = exec(
        &test,
        project,
        &["-T", "--privileged", "web", "sh", "-c", "echo ok"],
    );
    assert_eq!(output.code, reference.status.code(), "{}", output.render());
    let plain = exec(&test, project, &["-T", "web", "sh", "-c", "echo ok"]);
    assert_eq!((plain.code, plain.stdout.as_str()), (Some(0), "ok\n"));
    if reference.status.success() {
        let caps = [
            "-T",
            "--privileged",
            "web",
            "grep",
            "CapEff",
            "/proc/self/status",
        ];
        let privileged = exec(&test, project, &caps);
        let normal = exec(
            &test,
            project,
            &caps[..1]
                .iter()
                .chain(&caps[2..])
                .copied()
                .collect::<Vec<_>>(),
        );
        assert_ne!(privileged.stdout, normal.stdout);
    }

    // Stdin reaches the command, and its end ends `cat`.
    let mut child = Command::new(env!("CARGO_BIN_EXE_envctl"))
        .args([
            "-p",
            project,
            "exec",
            "-T",
            "web",
            "sh",
            "-c",
            "cat | tr a-z A-Z",
        ])
        .current_dir(test.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("envctl starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"hello\n")
        .expect("write stdin");
    let output = child.wait_with_output().expect("envctl ends");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "HELLO\n");

    // `-d` returns at once; the command carries on in the container.
    let output = exec(
        &test,
        project,
        &["-d", "web", "sh", "-c", "sleep 1; touch /tmp/done"],
    );
    assert_eq!(output.code, Some(0), "{}", output.render());
    let start = Instant::now();
    while exec(&test, project, &["-T", "web", "test", "-f", "/tmp/done"]).code != Some(0) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "-d command never ran"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn exec_allocates_a_tty_when_stdin_is_a_terminal_and_not_with_t() {
    let (test, guard) = setup("exectty");
    let project = guard.name.as_str();
    let envctl = env!("CARGO_BIN_EXE_envctl");
    // `script` gives envctl a pseudo-terminal as stdin and stdout.
    // Its own stdin stays open until the command is done: at end of input `script`
    // sends the terminal an end-of-file, which raced with the command's output
    // (an empty output and exit 0 on a loaded machine).
    let run_in_pty = |flags: &str| {
        let mut child = Command::new("script")
            .args([
                "-qec",
                &format!("{envctl} -p {project} exec {flags} web sh -c 'tty; exit 3'"),
                "/dev/null",
            ])
            .current_dir(test.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs");
        let open_stdin = child.stdin.take();
        let output = child.wait_with_output().expect("script's output");
        drop(open_stdin);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, stdout) = run_in_pty("");
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("/dev/pts/"), "{stdout}");
    let (code, stdout) = run_in_pty("-T");
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("not a tty"), "{stdout}");
}
