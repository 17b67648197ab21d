//! `envctl logs` against a real engine: prefixes, `--tail`, `-t`, lines of two
//! services interleaved as they arrive, and `-f` following a recreated container.

#![cfg(feature = "docker-tests")]

mod support;

use std::io::Read as _;
use std::time::{Duration, Instant};

use support::{Output, ProjectGuard, Test, unique_project};

/// Two services writing a numbered line every 0.4 s, then waiting for SIGTERM.
const PROJECT: &str = r#"
a:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; echo "start-$$HOSTNAME"; for i in 1 2 3 4 5 6; do echo a$$i; sleep 0.4; done; sleep 1000 & wait'
bbbb:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; for i in 1 2 3 4 5 6; do echo b$$i; sleep 0.4; done; sleep 1000 & wait'
"#;

fn envctl(test: &Test, project: &str, args: &[&str]) -> Output {
    let mut full = vec!["-p", project];
    full.extend(args);
    let output = test.envctl(&full);
    assert_eq!(output.code, Some(0), "{args:?}: {}", output.render());
    output
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn logs_prefix_each_line_and_honour_tail_and_timestamps() {
    let project = unique_project("logsplain");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", PROJECT);
    envctl(&test, &project, &["up", "-d"]);
    wait_for("six lines from bbbb", || {
        envctl(&test, &project, &["logs", "bbbb"])
            .stdout
            .contains("b6")
    });
    wait_for("six lines from a", || {
        envctl(&test, &project, &["logs", "a"])
            .stdout
            .contains("a6")
    });

    let output = envctl(&test, &project, &["logs", "--no-color", "bbbb"]);
    let expected: Vec<String> = (1..=6).map(|i| format!("bbbb_1  | b{i}\n")).collect();
    let expected = expected.concat();
    assert_eq!(
        output.stdout,
        format!("Attaching to {project}_bbbb_1\n{expected}")
    );

    let output = envctl(&test, &project, &["logs", "--tail", "2"]);
    // Each container's lines in order; the two streams in whatever order they came.
    let mut lines: Vec<&str> = output.stdout.lines().skip(1).collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "a_1     | a5",
            "a_1     | a6",
            "bbbb_1  | b5",
            "bbbb_1  | b6"
        ]
    );

    let output = envctl(&test, &project, &["logs", "-t", "--tail", "1", "a"]);
    let line = output.stdout.lines().nth(1).unwrap_or_default();
    let rest = line.strip_prefix("a_1     | ").unwrap_or_default();
    let (stamp, text) = rest.split_once(' ').unwrap_or_default();
    assert_eq!(text, "a6", "{line}");
    assert!(stamp.starts_with("20") && stamp.ends_with('Z'), "{line}");

    let mut full = vec!["-p", project.as_str()];
    full.extend(["logs", "--tail", "x"]);
    let output = test.envctl(&full);
    assert_eq!(output.code, Some(1));
    assert!(output.stderr.contains("`--tail` must be `all` or a number"));
    let output = test.envctl(&["-p", &project, "logs", "nope"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
}

/// Where each container's lines are in `stdout`.
fn positions(stdout: &str, prefix: &str) -> Vec<usize> {
    stdout
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with(prefix))
        .map(|(index, _)| index)
        .collect()
}

#[test]
fn logs_follow_interleaves_two_services_and_picks_up_a_recreated_container() {
    let project = unique_project("logsfollow");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", PROJECT);
    envctl(&test, &project, &["up", "-d"]);
    let mut child = test.spawn(&["-p", &project, "logs", "-f"]);

    // Let the first lines through, recreate `a` while following, then stop all.
    std::thread::sleep(Duration::from_secs(4));
    let old_id = support::inspect(&format!("{project}_a_1"), "{{.Id}}");
    envctl(
        &test,
        &project,
        &["up", "-d", "--force-recreate", "-t", "1", "a"],
    );
    let new_id = support::inspect(&format!("{project}_a_1"), "{{.Id}}");
    assert_ne!(old_id, new_id);
    std::thread::sleep(Duration::from_secs(3));
    envctl(&test, &project, &["stop", "-t", "5"]);

    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for envctl") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "`logs -f` did not end after every container stopped"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    assert!(status.success(), "{stdout}");

    // The two services' lines interleave: neither comes all before the other.
    let a = positions(&stdout, "a_1 ");
    let b = positions(&stdout, "bbbb_1 ");
    assert!(a.len() >= 12 && b.len() == 6, "{stdout}");
    assert!(
        a[0] < b[b.len() - 1] && b[0] < a[5],
        "not interleaved:\n{stdout}"
    );

    // Both the old and the recreated container of `a` were followed to their end.
    assert!(
        stdout.contains(&format!("a_1     | start-{}", &old_id[..12])),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("a_1     | start-{}", &new_id[..12])),
        "{stdout}"
    );
    let exits = stdout
        .lines()
        .filter(|line| *line == format!("{project}_a_1 exited with code 0"))
        .count();
    assert_eq!(exits, 2, "{stdout}");
    assert!(
        stdout.contains(&format!("{project}_bbbb_1 exited with code 0")),
        "{stdout}"
    );
}
