//! `port`, `top` and `images` against a real engine: each prints what
//! docker-compose 1.29.2 prints for the same project, byte for byte, and what it
//! prints is true of the containers (`docker port`, `docker top`).

#![cfg(feature = "docker-tests")]

mod support;

use support::{Output, ProjectGuard, Test, docker_compose, docker_lines, unique_project};

/// `web` publishes 80/tcp and 81/udp on ports the engine chooses, `db` publishes
/// nothing; every container exits 0 on SIGTERM.
const PROJECT: &str = r#"
db:
  image: envctl-test/busybox:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
web:
  image: envctl-test/busybox-volume:latest
  command: sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
  links: [db]
  ports:
    - "80"
    - "127.0.0.1::81/udp"
"#;

struct Env {
    test: Test,
    guard: ProjectGuard,
}

impl Env {
    /// The project up, with two `web` containers.
    fn up(name: &str) -> Self {
        let env = Self {
            test: Test::new().file("docker-compose.yml", PROJECT),
            guard: ProjectGuard::new(&unique_project(name)),
        };
        env.ok(&["up", "-d", "--scale", "web=2"]);
        env
    }

    fn envctl(&self, args: &[&str]) -> Output {
        let mut full = vec!["-p", self.guard.name.as_str()];
        full.extend(args);
        self.test.envctl(&full)
    }

    fn compose(&self, args: &[&str]) -> Output {
        let mut full = vec!["-p", self.guard.name.as_str()];
        full.extend(args);
        docker_compose(self.test.path(), &full)
    }

    fn ok(&self, args: &[&str]) -> Output {
        let output = self.envctl(args);
        assert_eq!(output.code, Some(0), "{args:?}: {}", output.render());
        output
    }

    /// envctl and docker-compose print the same, and exit the same way.
    fn same_as_compose(&self, args: &[&str]) -> Output {
        self.same_as_compose_but(args, str::to_owned)
    }

    /// The same, once `normalise` has blanked what changes from one moment to the
    /// next.
    fn same_as_compose_but(&self, args: &[&str], normalise: impl Fn(&str) -> String) -> Output {
        let ours = self.envctl(args);
        let theirs = self.compose(args);
        assert_eq!(
            normalise(&ours.stdout),
            normalise(&theirs.stdout),
            "{args:?}\nenvctl: {}\ndocker-compose: {}",
            ours.render(),
            theirs.render()
        );
        assert_eq!(
            ours.code == Some(0),
            theirs.code == Some(0),
            "{args:?}\nenvctl: {}\ndocker-compose: {}",
            ours.render(),
            theirs.render()
        );
        ours
    }

    fn container(&self, service: &str, number: u32) -> String {
        format!("{}_{service}_{number}", self.guard.name)
    }
}

#[test]
fn port_prints_the_published_address_as_docker_compose_does() {
    let env = Env::up("port");
    let first = env.same_as_compose(&["port", "web", "80"]);
    let engine = docker_lines(&["port", &env.container("web", 1), "80/tcp"]);
    assert!(
        engine.contains(&first.stdout.trim().to_owned()),
        "`docker port` says {engine:?}, envctl {:?}",
        first.stdout
    );
    let second = env.same_as_compose(&["port", "--index", "2", "web", "80"]);
    assert_ne!(
        first.stdout, second.stdout,
        "two containers, two host ports"
    );
    let udp = env.same_as_compose(&["port", "--protocol", "udp", "web", "81"]);
    assert!(udp.stdout.starts_with("127.0.0.1:"), "{}", udp.render());
    // Not published: an empty line, exit 0.
    let none = env.same_as_compose(&["port", "db", "80"]);
    assert_eq!(none.stdout, "\n");
    // No third container: an error naming it.
    let missing = env.same_as_compose(&["port", "--index", "3", "web", "80"]);
    assert_eq!(missing.code, Some(1), "{}", missing.render());
    assert!(missing.stderr.contains("`web_3`"), "{}", missing.render());
    let unknown = env.envctl(&["port", "nope", "80"]);
    assert_eq!(unknown.code, Some(1), "{}", unknown.render());
    assert!(unknown.stderr.contains("no such service: `nope`"));
}

#[test]
fn top_lists_the_processes_of_each_running_container() {
    let env = Env::up("top");
    env.ok(&["stop", "db"]);
    let all = env.same_as_compose_but(&["top"], without_cpu_column);
    // Only running containers, by name, each followed by its process table.
    let names: Vec<&str> = all
        .stdout
        .lines()
        .filter(|line| line.starts_with(env.guard.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [env.container("web", 1), env.container("web", 2)],
        "{}",
        all.stdout
    );
    assert!(all.stdout.contains("sleep 1000"), "{}", all.stdout);
    let one = env.same_as_compose_but(&["top", "web"], without_cpu_column);
    assert!(one.stdout.contains("PID"), "{}", one.stdout);
}

/// `ps -ef`'s `C` column (CPU use) moves between two calls: the rows with their
/// fourth cell dropped, and their spacing collapsed.
fn without_cpu_column(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut cells: Vec<&str> = line.split_whitespace().collect();
            if cells.first() == Some(&"root") && cells.len() > 3 {
                cells.remove(3);
                cells.join(" ")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn images_lists_the_image_of_each_container() {
    let env = Env::up("images");
    let table = env.same_as_compose(&["images"]);
    for (service, number, repository) in [
        ("db", 1, "envctl-test/busybox"),
        ("web", 1, "envctl-test/busybox-volume"),
        ("web", 2, "envctl-test/busybox-volume"),
    ] {
        let row = table
            .stdout
            .lines()
            .find(|line| line.starts_with(&env.container(service, number)))
            .unwrap_or_else(|| panic!("no row for {service}_{number}:\n{}", table.stdout));
        assert!(row.contains(repository), "{row}");
        assert!(row.contains("latest"), "{row}");
    }
    let ids = env.ok(&["images", "-q"]);
    let mut expected = docker_lines(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        "envctl-test/busybox:latest",
        "envctl-test/busybox-volume:latest",
    ]);
    for id in &mut expected {
        *id = id.replace("sha256:", "");
    }
    let mut ours: Vec<String> = ids.stdout.lines().map(str::to_owned).collect();
    ours.sort();
    expected.sort();
    assert_eq!(ours, expected);
    let web = env.same_as_compose(&["images", "web"]);
    assert!(!web.stdout.contains("_db_1"), "{}", web.stdout);
}
