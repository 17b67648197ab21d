//! The policy check on real files in temporary directories (no engine): what a
//! template may bind, the paths the loader would open, every problem located.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use envctl_parser::LoadOptions;
use envctl_server::Problem;
use envctl_server::policy::{self, DEFAULT_CAPABILITIES, Policy};

fn policy(base: &Path, read_only_binds: bool) -> Policy {
    Policy {
        base: Some(base.canonicalize().unwrap()),
        read_only_binds,
        build: false,
        capabilities: DEFAULT_CAPABILITIES
            .iter()
            .map(|cap| (*cap).to_owned())
            .collect(),
    }
}

/// The prescan's problems, else the loaded project's.
fn problems(policy: &Policy, directory: &Path, text: &str) -> Vec<Problem> {
    let file = directory.join("docker-compose.yml");
    std::fs::write(&file, text).unwrap();
    let shown = file.display().to_string();
    let found = policy::prescan(policy, (&shown, text));
    if !found.is_empty() {
        return found;
    }
    let project = envctl_parser::load(&LoadOptions {
        files: vec![file],
        project_name: Some("policy".to_owned()),
        project_directory: Some(directory.to_path_buf()),
        cwd: directory.to_path_buf(),
        ..LoadOptions::default()
    })
    .unwrap();
    policy::check(policy, &project)
}

fn summary(problems: &[Problem]) -> Vec<(Option<String>, usize, usize)> {
    problems
        .iter()
        .map(|problem| {
            (
                problem.path.clone(),
                problem.line.unwrap_or(0),
                problem.column.unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn read_only_binds_of_the_template_only_when_it_allows_them() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    std::fs::write(root.join("site.conf"), "x").unwrap();
    let text = "version: '2'\nservices:\n  web:\n    image: busybox\n    volumes:\n      - ./site.conf:/etc/site.conf:ro\n";
    assert_eq!(problems(&policy(root, true), root, text), Vec::new());
    let refused = problems(&policy(root, false), root, text);
    assert_eq!(
        summary(&refused),
        [(Some("web.volumes".to_owned()), 5, 5)],
        "{refused:?}"
    );

    let writable = "version: '2'\nservices:\n  web:\n    image: busybox\n    volumes:\n      - ./site.conf:/etc/site.conf\n";
    let refused = problems(&policy(root, true), root, writable);
    assert!(
        refused[0].message.contains("must be read-only"),
        "{refused:?}"
    );

    let outside = "version: '2'\nservices:\n  web:\n    image: busybox\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n";
    let refused = problems(&policy(root, true), root, outside);
    assert!(
        refused[0]
            .message
            .contains("host bind mounts are not allowed"),
        "{refused:?}"
    );
}

#[test]
fn paths_outside_the_template_are_refused_before_they_are_read() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("template");
    std::fs::create_dir_all(&root).unwrap();
    let text = "version: '2'\nservices:\n  web:\n    image: busybox\n    env_file: ../secret.env\n    extends:\n      file: /etc/passwd\n      service: root\nsecrets:\n  key:\n    file: ${HOME}/.ssh/id_rsa\n";
    let refused = problems(&policy(&root, false), &root, text);
    let lines: Vec<usize> = refused
        .iter()
        .map(|problem| problem.line.unwrap_or(0))
        .collect();
    assert_eq!(lines, [5, 7, 11], "{refused:?}");
    assert!(
        refused[2].message.contains("may not be interpolated"),
        "{refused:?}"
    );

    // An inline file names no file at all.
    let inline = Policy {
        base: None,
        ..policy(&root, false)
    };
    let found = policy::prescan(
        &inline,
        (
            "<stdin>",
            "services:\n  a:\n    image: busybox\n    env_file: a.env\n",
        ),
    );
    assert_eq!(summary(&found), [(None, 4, 15)], "{found:?}");
}

#[test]
fn every_problem_at_once_in_file_order() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    let text = "version: '2.4'\nservices:\n  a:\n    image: busybox\n    cap_add: [NET_ADMIN, CHOWN]\n    pid: host\n    ipc: 'container:x'\n    userns_mode: host\n    build: .\n    mem_limit: lots\nvolumes:\n  v:\n    driver_opts: {type: none, o: bind, device: /}\n";
    let refused = problems(&policy(root, false), root, text);
    let paths: Vec<String> = refused
        .iter()
        .filter_map(|problem| problem.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            "a.cap_add",
            "a.pid",
            "a.ipc",
            "a.userns_mode",
            "a.build",
            "a.mem_limit",
            "volumes.v"
        ],
        "{refused:?}"
    );
}
