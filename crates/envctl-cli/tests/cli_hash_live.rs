//! `envctl config --hash='*'` against `docker-compose config --hash='*'` (1.29.2, the
//! oracle), live, on every v1 case of the conformance corpus, once with the images
//! the cases name absent and once with them present, and on the project's own
//! fixtures. Both tools ask the engine for image ids, so both run here against the
//! same engine. With `ENVCTL_RECORD_HASH_GOLDEN=1` docker-compose's answers are
//! written to `fixtures/hash-golden/` for the offline test (`cli_hash.rs`).
//!
//! The cases' image names are moved under a namespace the suite owns
//! (`busybox:1.27.2` becomes `envctl-hash/busybox:1.27.2`, the project `fx` becomes
//! `envctlhashfx`; `hash_corpus::own_image_names`), so what other users of the
//! engine pulled or tagged never matters. The "present" half tags `envctl-test/*`
//! images with those names and untags them afterwards, even on failure; the
//! "absent" half first untags any a killed run left. A file lock serialises this
//! with any other run of this test on the machine.

#![cfg(feature = "docker-tests")]

mod hash_corpus;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use hash_corpus::{
    Golden, HashCase, OWNED_PREFIX, OWNED_PROJECT, corpus_cases, golden_path, later_corpus_cases,
    own_cases, same_lines,
};

/// Left absent in both halves: a case that names an image nobody has.
const NEVER_PRESENT: &str = "nonexisting-image:latest";

fn never_present(reference: &str) -> bool {
    reference.strip_prefix(OWNED_PREFIX) == Some(NEVER_PRESENT)
}

struct Answer {
    ok: bool,
    lines: Vec<String>,
    stderr: String,
}

fn run(program: &str, case: &HashCase) -> Answer {
    let mut command = Command::new(program);
    command
        .args(&case.args)
        .args(["config", "--hash=*"])
        .current_dir(&case.directory)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(case.env.iter().map(|(key, value)| (key, value)));
    if let Ok(host) = std::env::var("DOCKER_HOST") {
        command.env("DOCKER_HOST", host);
    }
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
    Answer {
        ok: output.status.success(),
        lines: String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(ToOwned::to_owned)
            .collect(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// docker-compose's and envctl's answers for every case, run a few at a time.
fn run_both(cases: &[HashCase]) -> Vec<(HashCase, Answer, Answer)> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(index) else { break };
                    let oracle = run("docker-compose", case);
                    let ours = run(env!("CARGO_BIN_EXE_envctl"), case);
                    results
                        .lock()
                        .expect("no worker panicked")
                        .push((case.clone(), oracle, ours));
                }
            });
        }
    });
    results.into_inner().expect("no worker panicked")
}

/// Runs both tools on every case; returns docker-compose's answers and the
/// differences.
fn compare(cases: &[HashCase]) -> (Golden, Vec<String>) {
    let results = run_both(cases);
    let mut golden = Golden::default();
    let mut problems = Vec::new();
    for (case, oracle, ours) in results {
        if !oracle.ok {
            problems.push(format!(
                "{}: docker-compose fails: {}",
                case.name,
                oracle.stderr.trim()
            ));
            continue;
        }
        if !ours.ok || !same_lines(&case, &oracle.lines, &ours.lines) {
            problems.push(format!(
                "{}:\n  docker-compose: {:?}\n  envctl:         {:?} {}",
                case.name,
                oracle.lines,
                ours.lines,
                ours.stderr.trim()
            ));
        }
        golden.cases.insert(case.name.clone(), oracle.lines);
    }
    (golden, problems)
}

fn image_id(reference: &str) -> Option<String> {
    let output = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", reference])
        .output()
        .expect("the docker CLI runs");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn docker(arguments: &[&str]) -> bool {
    Command::new("docker")
        .args(arguments)
        .output()
        .expect("the docker CLI runs")
        .status
        .success()
}

/// The image references the cases' services use, in first-use order.
fn references(cases: &[HashCase]) -> Vec<String> {
    let mut references = Vec::new();
    for case in cases {
        let project = envctl_parser::load(&case.load_options())
            .unwrap_or_else(|error| panic!("{}: does not load: {error}", case.name));
        for service in project.services.values() {
            let reference = envctl_planner::image_reference(&project, service);
            if !references.contains(&reference) {
                references.push(reference);
            }
        }
    }
    references
}

/// Tags made for the test, untagged when dropped (the images keep their
/// `envctl-test/*` names, so nothing is deleted).
struct Tags(Vec<String>);

impl Drop for Tags {
    fn drop(&mut self) {
        for tag in &self.0 {
            docker(&["rmi", tag]);
        }
    }
}

/// Held while the test uses the cases' global image names: a directory made
/// atomically, holding the owner's pid; a lock whose owner is gone is taken over.
struct Lock(std::path::PathBuf);

impl Lock {
    fn take() -> Self {
        let path = std::env::temp_dir().join("envctl-hash-images.lockdir");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1800);
        loop {
            if std::fs::create_dir(&path).is_ok() {
                std::fs::write(path.join("pid"), std::process::id().to_string())
                    .expect("write the lock's pid");
                return Self(path);
            }
            let owner = std::fs::read_to_string(path.join("pid")).unwrap_or_default();
            // Between `create_dir` and writing the pid the owner is unknown for an
            // instant; a lock that stays without a pid (or is not a directory) is
            // left over from a killed run.
            let young = std::fs::metadata(&path)
                .ok()
                .filter(std::fs::Metadata::is_dir)
                .and_then(|metadata| metadata.modified().ok())
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age < std::time::Duration::from_secs(10));
            let owner_alive = if owner.trim().is_empty() {
                young
            } else {
                Path::new("/proc").join(owner.trim()).exists()
            };
            if !owner_alive {
                let _ = std::fs::remove_dir_all(&path);
                let _ = std::fs::remove_file(&path);
                continue;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} is still held by process {owner}",
                path.display()
            );
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn record_or_check(name: &str, golden: &Golden, problems: &[String]) {
    if std::env::var_os("ENVCTL_RECORD_HASH_GOLDEN").is_some_and(|value| value == "1") {
        golden.write(&golden_path(name));
    }
    assert!(
        problems.is_empty(),
        "{} differences from docker-compose 1.29.2 ({name}):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn corpus_hashes_equal_live_docker_compose_with_and_without_images() {
    let _lock = Lock::take();
    let cases = corpus_cases();
    assert!(cases.len() > 50, "only {} v1 cases found", cases.len());
    let references = references(&cases);
    let global: Vec<&String> = references
        .iter()
        .filter(|reference| {
            !reference.starts_with(OWNED_PREFIX)
                && !reference.starts_with(&format!("{OWNED_PROJECT}_"))
        })
        .collect();
    assert!(
        global.is_empty(),
        "these image names are not the suite's own, so other users of the engine could change the hashes: {global:?} (help: teach `hash_corpus::own_image_names` their form)"
    );
    // Every name is the suite's own (see the module's header): one that exists is
    // left by a run that was killed, and is untagged (never deleted: `rmi` of a
    // tag only removes the name).
    drop(Tags(
        references
            .iter()
            .filter(|reference| image_id(reference).is_some())
            .cloned()
            .collect(),
    ));
    let present: Vec<&String> = references
        .iter()
        .filter(|reference| image_id(reference).is_some())
        .collect();
    assert!(
        present.is_empty(),
        "these images are still there after `docker rmi`, but the first half of this test needs them absent: {present:?}"
    );

    let (absent, absent_problems) = compare(&cases);

    let taggable: Vec<&String> = references
        .iter()
        .filter(|reference| !reference.contains('@') && !never_present(reference))
        .collect();
    let tags = Tags(
        taggable
            .iter()
            .map(|reference| (*reference).clone())
            .collect(),
    );
    let mut images = Vec::new();
    for reference in &taggable {
        // Two different sources, so a mix-up of images and ids shows.
        let source = if reference.starts_with(&format!("{OWNED_PREFIX}busybox")) {
            "envctl-test/busybox:latest"
        } else {
            "envctl-test/busybox-volume:latest"
        };
        assert!(
            docker(&["tag", source, reference]),
            "cannot tag `{source}` as `{reference}` (help: run `just images`)"
        );
        let id = image_id(reference).expect("a tagged image has an id");
        images.push(((*reference).clone(), id));
    }
    let (mut present, present_problems) = compare(&cases);
    present.images = images;
    drop(tags);

    record_or_check("corpus-images-absent", &absent, &absent_problems);
    record_or_check("corpus-images-present", &present, &present_problems);
}

#[test]
fn own_fixture_hashes_equal_live_docker_compose() {
    let cases = own_cases();
    let (mut golden, problems) = compare(&cases);
    golden.images = references(&cases)
        .into_iter()
        .map(|reference| {
            let id = image_id(&reference)
                .unwrap_or_else(|| panic!("`{reference}` is missing (help: run `just images`)"));
            (reference, id)
        })
        .collect();
    record_or_check("own-fixtures", &golden, &problems);
}

#[test]
fn selected_hashes_print_once_each_in_compose_order() {
    let case = own_cases()
        .into_iter()
        .find(|case| case.name == "fixtures/engine/basic")
        .expect("the basic fixture");
    for selection in ["--hash=app,data,app", "--hash=app,peer", "--hash=app,nope"] {
        let outputs: Vec<(bool, String)> = ["docker-compose", env!("CARGO_BIN_EXE_envctl")]
            .into_iter()
            .map(|program| {
                let output = Command::new(program)
                    .args(&case.args)
                    .args(["config", selection])
                    .current_dir(&case.directory)
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap_or_default())
                    .envs(case.env.iter().map(|(key, value)| (key, value)))
                    .output()
                    .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
                (
                    output.status.success(),
                    String::from_utf8_lossy(&output.stdout).into_owned(),
                )
            })
            .collect();
        assert_eq!(outputs[0], outputs[1], "{selection}");
    }
}

/// The v2/v3 cases of the corpus, hashed by both tools with one project name:
/// networks and named volumes by engine name, the primary network as `net`, `deploy`
/// as container settings, only the active profiles' services for `--hash='*'`. Cases docker-compose refuses
/// here (it looks containers and networks up on the engine) are left out.
#[test]
fn later_format_corpus_hashes_equal_live_docker_compose() {
    // The corpus test tags and untags the images these cases name: not meanwhile.
    let _lock = Lock::take();
    let cases = later_corpus_cases();
    assert!(cases.len() > 60, "only {} v2/v3 cases found", cases.len());
    let mut compared = 0;
    let mut problems = Vec::new();
    for (case, compose, ours) in run_both(&cases) {
        if !compose.ok {
            continue;
        }
        compared += 1;
        if !ours.ok || !same_lines(&case, &compose.lines, &ours.lines) {
            problems.push(format!(
                "{}:\n  docker-compose: {:?}\n  envctl:         {:?} {}",
                case.name, compose.lines, ours.lines, ours.stderr
            ));
        }
    }
    assert!(compared > 60, "only {compared} v2/v3 cases compared");
    assert!(
        problems.is_empty(),
        "{} of {compared} v2/v3 cases differ from docker-compose 1.29.2:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
