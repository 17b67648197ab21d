//! `envctl pull`, `envctl build` and `up`'s missing images against a real engine
//! and a local registry (Debian's `docker-registry`, on 127.0.0.1, which the
//! engine treats as insecure). Every image made here has a unique name and is
//! removed by a guard.

#![cfg(feature = "docker-tests")]

mod support;

use std::process::{Child, Command, Stdio};

use support::{Output, ProjectGuard, Test, docker_lines, inspect, unique_project};

/// A `docker-registry` serving from a temporary directory on `127.0.0.1:port`,
/// stopped on drop.
struct Registry {
    child: Child,
    _storage: tempfile::TempDir,
    port: u16,
}

impl Registry {
    fn start(port: u16) -> Self {
        let storage = tempfile::tempdir().expect("tempdir");
        let config = storage.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                storage.path().join("data").display()
            ),
        )
        .expect("config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry runs (apt-get install docker-registry)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Self {
            child,
            _storage: storage,
            port,
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes these image references when dropped.
struct ImageGuard(Vec<String>);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = Command::new("docker").args(["rmi", "-f", image]).output();
        }
    }
}

fn docker(arguments: &[&str]) {
    let output = Command::new("docker")
        .args(arguments)
        .output()
        .expect("the docker CLI runs");
    assert!(
        output.status.success(),
        "docker {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn image_exists(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .expect("the docker CLI runs")
        .status
        .success()
}

fn envctl(test: &Test, project: &str, args: &[&str]) -> Output {
    let mut full = vec!["-p", project, "--progress", "plain"];
    full.extend(args);
    test.envctl(&full)
}

/// Pushes an image with a layer of its own (so that a pull downloads it) to
/// `registry`, then removes it locally.
fn push_unique_image(registry: &Registry, project: &str) -> String {
    let image = format!("127.0.0.1:{}/{project}/busybox:1", registry.port);
    let context = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        context.path().join("Dockerfile"),
        format!("FROM envctl-test/busybox\nRUN echo {project} > /unique\n"),
    )
    .expect("Dockerfile");
    docker(&[
        "build",
        "-q",
        "-t",
        &image,
        &context.path().display().to_string(),
    ]);
    docker(&["push", &image]);
    docker(&["rmi", &image]);
    assert!(!image_exists(&image));
    image
}

#[test]
fn pull_brings_a_pushed_image_back_with_progress_and_up_pulls_a_missing_one() {
    let project = unique_project("pull");
    let registry = Registry::start(5001);
    let image = format!("127.0.0.1:{}/{project}/busybox:1", registry.port);
    let missing = format!("127.0.0.1:{}/{project}/missing:1", registry.port);
    let _images = ImageGuard(vec![image.clone()]);
    let _guard = ProjectGuard::new(&project);
    push_unique_image(&registry, &project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            "version: '2.4'\nservices:\n  web:\n    image: {image}\n    command: sh -c 'trap \"exit 0\" TERM; sleep 1000 & wait'\n  bad:\n    image: {missing}\n"
        ),
    );

    let output = envctl(&test, &project, &["pull", "web"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(image_exists(&image));
    assert!(
        output.stderr.contains(&format!("Pulling web ({image})...")),
        "{}",
        output.render()
    );
    assert!(
        output.stderr.contains(": Pull complete"),
        "{}",
        output.render()
    );
    assert!(
        output.stderr.contains("Pulling web ... done"),
        "{}",
        output.render()
    );

    // A failed pull names the service and image and exits 1, unless ignored.
    let output = envctl(&test, &project, &["pull"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output
            .stderr
            .contains("service `bad`: failed to pull image `127.0.0.1:"),
        "{}",
        output.render()
    );
    // The hint fits the command: `pull` names its flag, `pull` with it and `up`
    // do not (See: #16).
    let hint = "--ignore-pull-failures";
    assert!(output.stderr.contains(hint), "{}", output.render());
    let output = envctl(&test, &project, &["pull", "-q", "--ignore-pull-failures"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(!output.stderr.contains("Pulling"), "{}", output.render());
    assert!(!output.stderr.contains(hint), "{}", output.render());

    // `up` of a service whose image cannot be pulled creates nothing.
    docker(&["rmi", &image]);
    let output = envctl(&test, &project, &["up", "-d"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(!output.stderr.contains(hint), "{}", output.render());
    assert!(
        docker_lines(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.compose.project={project}")
        ])
        .is_empty(),
        "{}",
        output.render()
    );

    // `up` pulls the missing image, then starts the container.
    docker(&["rmi", &image]);
    let output = envctl(&test, &project, &["up", "-d", "web"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(
        output.stderr.contains("Pulling web ... done"),
        "{}",
        output.render()
    );
    assert_eq!(
        inspect(&format!("{project}_web_1"), "{{.State.Status}}"),
        "running"
    );
}

const DOCKERFILE: &str = "FROM envctl-test/busybox\nCOPY . /ctx\nCMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 1000 & wait\"]\n";

fn listing(image: &str) -> Vec<String> {
    let mut lines = docker_lines(&["run", "--rm", image, "find", "/ctx"]);
    lines.sort();
    lines
}

#[test]
fn build_never_sends_an_ignored_file() {
    let project = unique_project("build");
    let image = format!("{project}_app");
    let _images = ImageGuard(vec![image.clone()]);
    let test = Test::new()
        .file("docker-compose.yml", "version: '2.4'\nservices:\n  app:\n    build:\n      context: ./app\n      args:\n        GREETING: hi\n")
        .file("app/Dockerfile", DOCKERFILE)
        .file("app/.dockerignore", "# secrets\n/secret\n**/*.log\n!keep.log\nDockerfile\n")
        .file("app/secret/key", "x")
        .file("app/a.log", "x")
        .file("app/deep/b.log", "x")
        .file("app/keep.log", "x")
        .file("app/src/main", "x");
    let output = envctl(&test, &project, &["build", "--build-arg", "OTHER=1"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(
        output.stdout.contains("Step 2/3 : COPY . /ctx"),
        "{}",
        output.render()
    );
    assert!(
        output.stderr.contains("Building app ... done"),
        "{}",
        output.render()
    );
    // The engine drops the ignored Dockerfile from the context after reading it.
    assert_eq!(
        listing(&image),
        [
            "/ctx",
            "/ctx/.dockerignore",
            "/ctx/deep",
            "/ctx/keep.log",
            "/ctx/src",
            "/ctx/src/main"
        ]
    );
    let output = envctl(&test, &project, &["build", "-q"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert_eq!(output.stdout, "", "{}", output.render());
}

#[test]
fn up_builds_a_missing_image_and_up_build_rebuilds() {
    let project = unique_project("upbuild");
    let image = format!("{project}_app");
    let mut images = ImageGuard(vec![image.clone()]);
    let _guard = ProjectGuard::new(&project);
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "version: '2.4'\nservices:\n  app:\n    build: ./app\n",
        )
        .file("app/Dockerfile", DOCKERFILE)
        .file("app/one", "x");
    let output = envctl(&test, &project, &["up", "-d"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(
        output
            .stderr
            .contains("was built because it did not already exist"),
        "{}",
        output.render()
    );
    assert_eq!(
        inspect(&format!("{project}_app_1"), "{{.State.Status}}"),
        "running"
    );
    let first = inspect(&image, "{{.Id}}");
    // The rebuild below leaves this one without a name: removed by id.
    images.0.push(first.clone());

    // Without `--build` a present image is used as it is.
    std::fs::write(test.path().join("app/two"), "y").expect("write");
    let output = envctl(&test, &project, &["up", "-d"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert_eq!(inspect(&image, "{{.Id}}"), first);

    let output = envctl(&test, &project, &["up", "-d", "--build"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert_ne!(inspect(&image, "{{.Id}}"), first);
    assert!(listing(&image).contains(&"/ctx/two".to_owned()));
}

/// `run`, as 1.29.2's `project.up` for the one-off: the service's missing image is
/// built, and its dependencies' are pulled unless `--no-deps`.
#[test]
fn run_builds_a_missing_image_and_pulls_a_missing_dependency() {
    let project = unique_project("runimg");
    let registry = Registry::start(5002);
    let dependency = format!("127.0.0.1:{}/{project}/busybox:1", registry.port);
    let image = format!("{project}_app");
    let _images = ImageGuard(vec![image.clone(), dependency.clone()]);
    let _guard = ProjectGuard::new(&project);
    push_unique_image(&registry, &project);
    let test = Test::new()
        .file(
            "docker-compose.yml",
            &format!(
                "app:\n  build: ./app\n  links: [db]\ndb:\n  image: {dependency}\n  command: sh -c 'trap \"exit 0\" TERM; sleep 1000 & wait'\n"
            ),
        )
        .file("app/Dockerfile", DOCKERFILE)
        .file("app/one", "x");

    let output = envctl(
        &test,
        &project,
        &["run", "--rm", "--no-deps", "app", "cat", "/ctx/one"],
    );
    assert_eq!(output.code, Some(0), "{}", output.render());
    // The build's own lines come first on stdout, as with 1.29.2.
    let tagged = format!("Successfully tagged {image}:latest\nx");
    assert!(output.stdout.ends_with(&tagged), "{}", output.render());
    assert!(
        output
            .stderr
            .contains("image for service `app` was built because it did not already exist"),
        "{}",
        output.render()
    );
    assert!(image_exists(&image));
    assert!(!image_exists(&dependency), "--no-deps pulls no dependency");

    let output = envctl(&test, &project, &["run", "--rm", "app", "true"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(
        output.stderr.contains("Pulling db ... done"),
        "{}",
        output.render()
    );
    assert!(!output.stderr.contains("was built"), "{}", output.render());
    assert_eq!(
        inspect(&format!("{project}_db_1"), "{{.State.Status}}"),
        "running"
    );
}

#[test]
fn build_names_and_labels_images_as_docker_compose() {
    let ours = unique_project("bcmp");
    let theirs = format!("{ours}dc");
    let _images = ImageGuard(vec![format!("{ours}_app"), format!("{theirs}_app")]);
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "version: '3.8'\nservices:\n  app:\n    build:\n      context: ./app\n      labels:\n        com.example.team: core\n      target: base\n",
        )
        .file("app/Dockerfile", "FROM envctl-test/busybox AS base\nARG X\nFROM base\n");
    let output = envctl(&test, &ours, &["build", "-q"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    let compose = Command::new("docker-compose")
        .args(["-p", &theirs, "build", "-q"])
        .current_dir(test.path())
        .output()
        .expect("docker-compose runs");
    assert!(
        compose.status.success(),
        "{}",
        String::from_utf8_lossy(&compose.stderr)
    );
    let format = "{{json .Config.Labels}}";
    assert_eq!(
        inspect(&format!("{ours}_app:latest"), format),
        inspect(&format!("{theirs}_app:latest"), format)
    );
    assert!(inspect(&format!("{ours}_app"), format).contains("\"com.example.team\":\"core\""));
}

#[test]
fn build_sends_the_files_build_options_in_v1_and_v3() {
    let project = unique_project("bopts");
    let v1 = format!("{project}v1");
    let _images = ImageGuard(vec![format!("{project}_app"), format!("{v1}_app")]);
    let dockerfile = "FROM envctl-test/busybox AS base\nARG A\nRUN echo \"a=$A\" > /a && df -k /dev/shm | tail -1 > /shm\nFROM base AS final\nRUN echo final > /final\n";
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "version: '3.8'\nservices:\n  app:\n    build:\n      context: ./ctx\n      dockerfile: build.Dockerfile\n      target: base\n      network: host\n      shm_size: 128m\n      args: [A=7]\n",
        )
        .file("v1.yml", "app:\n  build: ./ctx\n  dockerfile: build.Dockerfile\n")
        .file("ctx/build.Dockerfile", dockerfile);
    let output = envctl(&test, &project, &["build", "-q"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    let image = format!("{project}_app");
    assert_eq!(
        docker_lines(&[
            "run",
            "--rm",
            &image,
            "sh",
            "-c",
            "cat /a; awk '{print $2}' /shm; ls /final 2>/dev/null || echo no-final"
        ]),
        ["a=7", "131072", "no-final"]
    );
    let output = envctl(&test, &v1, &["-f", "v1.yml", "build", "-q"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert_eq!(
        docker_lines(&["run", "--rm", &format!("{v1}_app"), "cat", "/final"]),
        ["final"]
    );

    // A Dockerfile outside the context is sent under a name of its own (docker-py).
    let outside = format!("{project}out");
    let _outside_image = ImageGuard(vec![format!("{outside}_app")]);
    let test = test
        .file(
            "outside.yml",
            "version: '2.4'\nservices:\n  app:\n    build:\n      context: ./ctx\n      dockerfile: ../outside.Dockerfile\n",
        )
        .file("outside.Dockerfile", "FROM envctl-test/busybox\nRUN echo outside > /outside\n");
    let output = envctl(&test, &outside, &["-f", "outside.yml", "build", "-q"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert_eq!(
        docker_lines(&["run", "--rm", &format!("{outside}_app"), "cat", "/outside"]),
        ["outside"]
    );
}

/// A service in a profile that is not active is not `up`'s: its missing image,
/// which no registry has, is neither pulled nor reported, and the other services
/// come up, as with docker-compose 1.29.2. With the profile active, the pull is
/// tried and fails `up`.
// See: #17
#[test]
fn up_leaves_the_missing_image_of_an_inactive_profile_alone() {
    let project = unique_project("profimg");
    let _guard = ProjectGuard::new(&project);
    let missing = format!("envctl-test-missing-{project}:nope");
    let _images = ImageGuard(vec![missing.clone()]);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            "version: \"3.9\"\nservices:\n  web:\n    image: envctl-test/busybox\n    command: sh -c 'trap \"exit 0\" TERM; sleep 1000 & wait'\n  extra:\n    image: {missing}\n    profiles: [extra]\n"
        ),
    );

    let output = envctl(&test, &project, &["up", "-d", "--dry-run"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(!output.stderr.contains(&missing), "{}", output.render());

    let output = envctl(&test, &project, &["up", "-d"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(!output.stderr.contains("Pulling"), "{}", output.render());
    assert_eq!(
        inspect(&format!("{project}_web_1"), "{{.State.Status}}"),
        "running"
    );
    assert_eq!(
        docker_lines(&["ps", "-aq", "--filter", &format!("name={project}_extra"),]),
        Vec::<String>::new()
    );

    let output = envctl(&test, &project, &["--profile", "extra", "up", "-d"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(output.stderr.contains(&missing), "{}", output.render());
}
