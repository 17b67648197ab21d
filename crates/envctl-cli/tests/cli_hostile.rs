//! Hostile input and hostile hosts at the command line (no engine needed). See: #19.

mod support;

use std::fmt::Write as _;

use support::Test;

#[test]
fn config_refuses_a_dependency_cycle_as_1_29_2_does() {
    for args in [
        &["config"][..],
        &["config", "-q"],
        &["config", "--services"],
    ] {
        let output = Test::new()
            .file(
                "docker-compose.yml",
                "a:\n  image: x\n  links: [b]\nb:\n  image: x\n  links: [a]\n",
            )
            .args(args)
            .run();
        assert_eq!(output.code, Some(1), "{args:?}: {}", output.render());
        assert!(
            output.stderr.contains("dependency cycle"),
            "{}",
            output.stderr
        );
        assert!(output.stdout.is_empty(), "{}", output.stdout);
    }
}

#[test]
fn a_ring_of_10000_services_is_refused_quickly_in_a_few_lines() {
    const N: usize = 10_000;
    let mut text = String::new();
    for index in 0..N {
        let _ = write!(
            text,
            "s{index}:\n  image: x\n  links: [s{}]\n",
            (index + 1) % N
        );
    }
    let started = std::time::Instant::now();
    let output = Test::new()
        .file("docker-compose.yml", &text)
        .args(&["config", "-q"])
        .run();
    let elapsed = started.elapsed();
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output.stderr.contains("10000 services"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.len() < 8_000, "{} bytes", output.stderr.len());
    assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
}

#[test]
fn a_yaml_error_past_column_65535_exits_1_without_a_panic() {
    let text = format!("web:\n  image: x\n  command: \"{}\n", "x".repeat(70_000));
    let output = Test::new()
        .file("docker-compose.yml", &text)
        .args(&["config"])
        .run();
    assert_eq!(
        output.code,
        Some(1),
        "{}",
        &output.stderr[..output.stderr.len().min(2000)]
    );
    assert!(output.stderr.len() < 4_000, "{} bytes", output.stderr.len());
}

#[test]
fn a_lock_that_cannot_be_taken_stops_the_command_and_says_why() {
    use std::os::unix::fs::PermissionsExt as _;
    let test = Test::new().file("docker-compose.yml", "web:\n  image: x\n");
    let runtime = test.path().join("runtime");
    let planted = runtime.join("envctl");
    std::fs::create_dir_all(&planted).expect("mkdir");
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let runtime = runtime.display().to_string();
    let output = test.envctl_with(
        &[],
        &[
            ("XDG_RUNTIME_DIR", runtime.as_str()),
            ("DOCKER_HOST", "unix:///nonexistent.sock"),
        ],
        &["-p", "hostilelock", "up", "-d"],
    );
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output.stderr.contains("cannot lock project `hostilelock`")
            && output.stderr.contains("others may write to it"),
        "{}",
        output.stderr
    );
}

#[test]
fn up_detach_with_no_start_is_refused_as_1_29_2_does() {
    let output = Test::new()
        .file("docker-compose.yml", "web:\n  image: x\n")
        .args(&["up", "-d", "--no-start"])
        .run();
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output
            .stderr
            .contains("`--no-start` and `--detach` cannot be combined"),
        "{}",
        output.stderr
    );
}

const REFUSED_BY_THE_ENGINE: &str = "\
web:
  image: envctl-test/busybox:latest
  command: sleep 60
  mem_limit: 64x
  cpu_shares: lots
  ports: [\"99999:80\"]
  restart: sometimes
  volumes: [\":/data\"]
";

#[test]
fn config_prints_a_setting_the_engine_would_refuse_and_warns_where_it_is() {
    let output = Test::new()
        .file("docker-compose.yml", REFUSED_BY_THE_ENGINE)
        .args(&["config"])
        .run();
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(
        output.stdout.contains("mem_limit: 64x"),
        "{}",
        output.stdout
    );
    for expected in [
        "`web.mem_limit` is invalid",
        "(docker-compose.yml:4:14)",
        "`web.cpu_shares` is invalid",
        "`web.ports[0]` is invalid",
        "`web.restart` is invalid",
        "`web.volumes[0]` is invalid",
    ] {
        assert!(
            output.stderr.contains(expected),
            "{expected}: {}",
            output.stderr
        );
    }
}

#[cfg(feature = "docker-tests")]
#[test]
fn up_and_run_refuse_settings_the_engine_would_refuse_before_creating_anything() {
    let project = support::unique_project("refused");
    let _guard = support::ProjectGuard::new(&project);
    let test = Test::new().file("docker-compose.yml", REFUSED_BY_THE_ENGINE);
    for args in [
        &["-p", project.as_str(), "up", "--dry-run"][..],
        &["-p", project.as_str(), "up", "-d"],
        &["-p", project.as_str(), "run", "--rm", "web", "true"],
    ] {
        let output = test.envctl(args);
        assert_eq!(output.code, Some(1), "{args:?}: {}", output.render());
        assert!(
            output.stderr.contains("setting(s) the engine would refuse")
                && output.stderr.contains("docker-compose.yml:4:14")
                && output.stderr.contains("docker-compose.yml:8:13"),
            "{args:?}: {}",
            output.stderr
        );
        assert!(
            support::project_container_ids(&project).is_empty(),
            "{args:?} created a container"
        );
    }
}

#[cfg(feature = "docker-tests")]
#[test]
fn an_invalid_image_reference_is_a_located_file_error_at_dry_run() {
    let project = support::unique_project("badimage");
    let _guard = support::ProjectGuard::new(&project);
    let output = Test::new()
        .file("docker-compose.yml", "web:\n  image: \"Bad Image::tag\"\n")
        .args(&["-p", project.as_str(), "up", "--dry-run"])
        .run();
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output.stderr.contains("invalid reference format")
            && output.stderr.contains("docker-compose.yml:2:10"),
        "{}",
        output.stderr
    );
}

#[test]
fn an_engine_that_never_answers_is_named_after_compose_http_timeout_exit_1() {
    // Accepts every connection and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("an address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let host = format!("tcp://{address}");
    let test = Test::new().file("docker-compose.yml", "web:\n  image: x\n");
    let started = std::time::Instant::now();
    let output = test.envctl_with(
        &[],
        &[
            ("COMPOSE_HTTP_TIMEOUT", "2"),
            ("DOCKER_HOST", host.as_str()),
        ],
        &["-p", "hostiletimeout", "ps"],
    );
    let elapsed = started.elapsed();
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output.stderr.contains("did not answer within 2")
            && output.stderr.contains("(`COMPOSE_HTTP_TIMEOUT`)")
            && output.stderr.contains(&host),
        "{}",
        output.stderr
    );
    assert!(elapsed < std::time::Duration::from_secs(15), "{elapsed:?}");
}

/// A volume this test made by hand, removed when dropped (also when the test fails).
#[cfg(feature = "docker-tests")]
struct HandMadeVolume(String);

#[cfg(feature = "docker-tests")]
impl Drop for HandMadeVolume {
    fn drop(&mut self) {
        support::docker_lines(&["volume", "rm", "-f", &self.0]);
    }
}

#[cfg(feature = "docker-tests")]
#[test]
fn a_volume_the_project_did_not_make_is_used_with_a_warning_and_kept_by_down_v() {
    // See: #19. 1.29.2 used it silently and deleted it, data and all, at `down -v`.
    let project = support::unique_project("foreignvol");
    let _guard = support::ProjectGuard::new(&project);
    let volume = HandMadeVolume(format!("{project}-precious"));
    support::docker_lines(&["volume", "create", &volume.0]);
    let mount = format!("{}:/data", volume.0);
    support::docker_lines(&[
        "run",
        "--rm",
        "-v",
        &mount,
        "envctl-test/busybox:latest",
        "sh",
        "-c",
        "echo precious > /data/file",
    ]);
    let file = format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: envctl-test/busybox:latest\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n    volumes: [\"data:/data\"]\nvolumes:\n  data:\n    name: {}\n",
        volume.0
    );
    let test = Test::new().file("docker-compose.yml", &file);
    let up = test.envctl(&["-p", &project, "up", "-d"]);
    assert_eq!(up.code, Some(0), "{}", up.render());
    assert!(
        up.stderr
            .contains("already exists but was not created by this project")
            && up.stderr.contains("external: true"),
        "{}",
        up.stderr
    );
    let down = test.envctl(&["-p", &project, "down", "-v"]);
    assert_eq!(down.code, Some(0), "{}", down.render());
    assert!(
        down.stderr.contains(&format!("volume `{}` kept", volume.0)),
        "{}",
        down.stderr
    );
    let data = support::docker_lines(&[
        "run",
        "--rm",
        "-v",
        &mount,
        "envctl-test/busybox:latest",
        "cat",
        "/data/file",
    ]);
    assert_eq!(data, ["precious"], "the data survived `down -v`");
}
