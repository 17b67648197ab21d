//! Engine faults (docs/reliability.md): the connection to the engine lost in the
//! middle of `up` (through `support::fault_proxy`), at a create, a start and each
//! stage of a recreate; and a socket envctl has no permission to use.
//!
//! After each cut: `up` exits 1 naming the engine and saying the connection was
//! lost, every container it left carries the project's labels, and `up` straight at
//! the engine converges: one running container per service, no renamed leftover of a
//! recreate, the anonymous volume's data kept, and nothing left to plan.
// See: #9.

#![cfg(feature = "docker-tests")]

mod support;

use support::fault_proxy::{FaultProxy, Rule};
use support::{Output, ProjectGuard, Test, assert_all_labelled, docker_lines, unique_project};

const IMAGE: &str = "envctl-test/busybox:latest";
const SLEEP: &str = r#"["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]"#;

/// Three services in a v1 file: `web` links to `db` and `cache`, so `db` and `cache`
/// come first; `db` keeps its data in an anonymous volume.
fn project_file(mode: &str) -> String {
    format!(
        "db:\n  image: {IMAGE}\n  command: {SLEEP}\n  volumes:\n    - /data\n  environment:\n    MODE: {mode}\ncache:\n  image: {IMAGE}\n  command: {SLEEP}\nweb:\n  image: {IMAGE}\n  command: {SLEEP}\n  links:\n    - db\n    - cache\n"
    )
}

const SERVICES: [&str; 3] = ["db", "cache", "web"];

/// [`ProjectGuard`], and when the test failed, once more a second later: a request
/// the cut left in flight in the engine (a create) can land after envctl exited
/// and after a first clean-up. (A passing test's converging `up` has seen it.)
struct Guard(ProjectGuard);

impl Guard {
    fn new(project: &str) -> Self {
        Self(ProjectGuard::new(project))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            drop(ProjectGuard::new(&self.0.name));
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

fn assert_success(output: &Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

/// The run through the proxy failed as documented: exit 1, the engine's address and
/// a lost connection in the message.
fn assert_connection_lost(output: &Output, proxy: &FaultProxy) {
    assert_eq!(output.code, Some(1), "{}", output.render());
    // Without miette's line breaks and margins.
    let message: String = output
        .stderr
        .chars()
        .filter(|character| !character.is_whitespace() && *character != '│')
        .collect();
    assert!(
        message.contains(&format!("`{}`", proxy.docker_host())),
        "the engine's address: {}",
        output.stderr
    );
    assert!(
        message.contains("losttheconnectiontotheDockerEngine"),
        "says the connection was lost: {}",
        output.stderr
    );
}

/// One running, labelled container per service, named as `up` names them, and a
/// plan with nothing to do.
fn assert_converged(test: &Test, project: &str, mode: &str) {
    assert_all_labelled(project, false);
    let mut names = docker_lines(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}} {{.State}}",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    names.sort();
    let mut expected: Vec<String> = SERVICES
        .iter()
        .map(|service| format!("{project}_{service}_1 running"))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let environment = docker_lines(&[
        "inspect",
        "--format",
        "{{range .Config.Env}}{{println .}}{{end}}",
        &format!("{project}_db_1"),
    ]);
    assert!(
        environment.contains(&format!("MODE={mode}")),
        "{environment:?}"
    );
    let output = test.envctl(&["-p", project, "up", "--dry-run"]);
    assert_success(&output, "up --dry-run");
    for line in output.stdout.lines() {
        assert!(line.contains("up to date"), "planned: {}", output.stdout);
    }
}

/// `up -d <flags>` through a proxy that cuts at `rule` (on a Unix socket), then `up
/// -d` at the engine.
fn up_cut_then_converge(project: &str, test: &Test, rule: Rule, flags: &[&str], mode: &str) {
    up_through_then_converge(project, test, &FaultProxy::start(rule), flags, mode);
}

fn up_through_then_converge(
    project: &str,
    test: &Test,
    proxy: &FaultProxy,
    flags: &[&str],
    mode: &str,
) {
    let mut arguments = vec!["-p", project, "up", "-d", "-t", "1"];
    arguments.extend(flags);
    let output = test.envctl_with(&[], &[("DOCKER_HOST", &proxy.docker_host())], &arguments);
    assert!(proxy.is_cut(), "never cut: {:?}", proxy.requests());
    assert_connection_lost(&output, proxy);
    assert_all_labelled(project, true);
    let output = test.envctl(&["-p", project, "up", "-d", "-t", "1"]);
    assert_success(&output, "up after the cut");
    assert_converged(test, project, mode);
}

fn cut_during_first_up(name: &str, rule: Rule) {
    let project = unique_project(name);
    let _guard = Guard::new(&project);
    let test = Test::new().file("docker-compose.yml", &project_file("one"));
    up_cut_then_converge(&project, &test, rule, &[], "one");
}

/// Before any step: while listing the project's containers.
#[test]
fn a_connection_lost_while_reading_the_projects_state() {
    cut_during_first_up("faultobserve", Rule::request("GET", "/containers/json", 1));
}

#[test]
fn a_connection_lost_before_a_create_reaches_the_engine() {
    cut_during_first_up(
        "faultcreate",
        Rule::request("POST", "/containers/create", 2),
    );
}

#[test]
fn a_connection_lost_after_the_engine_created_a_container() {
    cut_during_first_up(
        "faultcreated",
        Rule::request("POST", "/containers/create", 2).before_response(),
    );
}

#[test]
fn a_connection_lost_after_the_engine_started_a_container() {
    cut_during_first_up(
        "faultstarted",
        Rule::request("POST", "/start", 1).before_response(),
    );
}

/// Over TCP, where envctl keeps its connections alive in a pool of its own.
#[test]
fn a_connection_lost_over_tcp_after_the_engine_created_a_container() {
    let project = unique_project("faulttcp");
    let _guard = Guard::new(&project);
    let test = Test::new().file("docker-compose.yml", &project_file("one"));
    let proxy = FaultProxy::start_tcp(
        Rule::request("POST", "/containers/create", 2).before_response(),
        18100,
    );
    up_through_then_converge(&project, &test, &proxy, &[], "one");
}

/// `db` up and holding data, then its environment changed and `up` cut at `rule`
/// while recreating it: the converging `up` leaves one `db` with the new
/// environment and the data.
fn cut_during_recreate(name: &str, rule: Rule) {
    cut_during_recreate_with(name, rule, &[], "two");
}

/// As [`cut_during_recreate`], the cut `up` run with `flags`, the file's `MODE`
/// then `mode`.
fn cut_during_recreate_with(name: &str, rule: Rule, flags: &[&str], mode: &str) {
    let project = unique_project(name);
    let guard = Guard::new(&project);
    let test = Test::new().file("docker-compose.yml", &project_file("one"));
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "first up");
    guard.0.remember_volumes();
    let db = format!("{project}_db_1");
    docker_lines(&["exec", &db, "sh", "-c", "echo kept > /data/file"]);
    std::fs::write(test.path().join("docker-compose.yml"), project_file(mode))
        .expect("rewrite the file");
    up_cut_then_converge(&project, &test, rule, flags, mode);
    assert_eq!(docker_lines(&["exec", &db, "cat", "/data/file"]), ["kept"]);
}

#[test]
fn a_recreate_cut_after_the_old_container_was_renamed() {
    cut_during_recreate(
        "faultrename",
        Rule::request("POST", "/rename", 1).before_response(),
    );
}

#[test]
fn a_recreate_cut_after_the_new_container_was_created() {
    cut_during_recreate(
        "faultrecreate",
        Rule::request("POST", "/containers/create", 1).before_response(),
    );
}

#[test]
fn a_recreate_cut_before_the_new_container_starts() {
    cut_during_recreate("faultrestart", Rule::request("POST", "/start", 1));
}

#[test]
fn a_recreate_cut_before_the_old_container_is_removed() {
    cut_during_recreate("faultremove", Rule::request("DELETE", "/containers/", 1));
}

/// The configuration unchanged: the renamed `db` left by a cut `--force-recreate`
/// has the current config hash, and the next `up` still gives it its name back.
#[test]
fn a_force_recreate_cut_after_the_rename_is_finished_by_the_next_up() {
    cut_during_recreate_with(
        "faultforce",
        Rule::request("POST", "/rename", 1).before_response(),
        &["--force-recreate", "db"],
        "one",
    );
}

/// envctl as `nobody` (no `docker` group) at the engine's socket (`root:docker`,
/// mode 660).
#[test]
fn a_socket_without_permission_is_named_with_what_to_do() {
    const SOCKET: &str = "/var/run/docker.sock";
    let project = unique_project("faultperm");
    let _guard = Guard::new(&project);
    let test = Test::new().file("docker-compose.yml", &project_file("one"));
    // `nobody` reads the file in the test's directory.
    std::fs::set_permissions(
        test.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("open the directory");
    let output = test.envctl_with(
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ],
        &[("DOCKER_HOST", &format!("unix://{SOCKET}"))],
        &["-p", &project, "up", "-d"],
    );
    assert_eq!(output.code, Some(1), "{}", output.render());
    let message: String = output
        .stderr
        .chars()
        .filter(|character| !character.is_whitespace() && *character != '│')
        .collect();
    assert!(
        message.contains(
            "permissiondeniedwhileconnectingtotheDockerEngineat`unix:///var/run/docker.sock`"
        ),
        "{}",
        output.stderr
    );
    // The socket's owner, group and mode, as the help names them.
    let stat = docker_stat(SOCKET);
    let group = stat[1].clone();
    assert!(
        message.contains(&format!(
            "help:`{SOCKET}`is`{}:{group}`withmode{}:addtheusertothe`{group}`group",
            stat[0], stat[2]
        )),
        "{}",
        output.stderr
    );
    // Nothing else was tried: no progress, one error.
    assert_eq!(output.stdout, "", "{}", output.render());
    assert_eq!(output.stderr.matches("×").count(), 1, "{}", output.stderr);
    assert!(support::project_container_ids(&project).is_empty());
}

/// `[owner, group, mode in octal]` of `path`.
fn docker_stat(path: &str) -> Vec<String> {
    let output = std::process::Command::new("stat")
        .args(["-c", "%U %G %a", path])
        .output()
        .expect("stat runs");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(ToOwned::to_owned)
        .collect()
}
