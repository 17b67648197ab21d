//! The command line without an engine: usage errors, broken files, exit codes.

mod support;

use std::fmt::Write as _;

use support::{Test, settings};

const V1: &str = "\
db:
  image: envctl-test/busybox:latest
web:
  image: envctl-test/busybox:latest
  links:
    - db
";

#[test]
fn no_subcommand_is_a_usage_error_exit_1() {
    let output = Test::new().run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(output.stderr.contains("Usage:"), "{}", output.stderr);
}

#[test]
fn unknown_flag_is_a_usage_error_exit_1() {
    let output = Test::new().args(&["up", "--bogus"]).run();
    assert_eq!(output.code, Some(1), "{output:?}");
}

#[test]
fn help_prints_1_29_2_usage_lines_and_unknown_commands_exit_1() {
    let help = Test::new().args(&["help", "up"]).run();
    assert_eq!(help.code, Some(0), "{help:?}");
    assert!(
        help.stdout
            .contains("Usage: up [options] [--scale SERVICE=NUM...] [--] [SERVICE...]"),
        "{}",
        help.stdout
    );
    let flag = Test::new().args(&["up", "--help"]).run();
    assert_eq!(flag.code, Some(0), "{flag:?}");
    assert!(
        flag.stdout.contains("Usage: up [options]"),
        "{}",
        flag.stdout
    );
    let unknown = Test::new().args(&["help", "foobar"]).run();
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert!(
        unknown.stderr.contains("No such command: foobar"),
        "{}",
        unknown.stderr
    );
}

/// `--log-level debug` names the files in use, as 1.29.2 (`config` too); an
/// unknown level is 1.29.2's usage error, before anything is read.
#[test]
fn log_level_debug_names_the_files_and_an_unknown_level_exits_1() {
    let test = Test::new().file("docker-compose.yml", V1);
    let output = test.envctl(&["--log-level", "debug", "config", "-q"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(
        output.stderr.contains("Using configuration files: ")
            && output.stderr.contains("docker-compose.yml"),
        "{}",
        output.render()
    );
    let output = test.envctl(&["--log-level", "warning", "config", "-q"]);
    assert_eq!(output.stderr, "", "{}", output.render());
    let output = test.envctl(&["--log-level", "chatty", "config"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert_eq!(
        output.stderr.trim_end(),
        "Invalid value for --log-level. Expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
    );
    assert_eq!(output.stdout, "", "{}", output.render());
}

/// `help <command>` and `<command> --help` list the global options first, in the
/// order of `envctl --help`, then the command's own, then `-h, --help` (#18).
#[test]
fn command_help_lists_global_options_before_the_command_s_own() {
    let options = |output: &str| -> Vec<String> {
        output
            .lines()
            .skip_while(|line| *line != "Options:")
            .skip(1)
            .take_while(|line| !line.is_empty())
            // An option's line, not the wrapped rest of a description.
            .filter(|line| line.len() - line.trim_start().len() < 10)
            .filter_map(|line| {
                line.split_whitespace()
                    .find(|word| word.starts_with("--"))
                    .map(|word| word.trim_end_matches(',').to_owned())
            })
            .collect()
    };
    let overview = Test::new().args(&["--help"]).run();
    let globals: Vec<String> = options(&overview.stdout)
        .into_iter()
        .filter(|option| option != "--help" && option != "--version")
        .collect();
    assert!(
        globals.contains(&"--log-level".to_owned()),
        "{}",
        overview.stdout
    );
    for args in [
        ["help", "ps"],
        ["ps", "--help"],
        ["help", "up"],
        ["run", "--help"],
    ] {
        let help = Test::new().args(&args).run();
        assert_eq!(help.code, Some(0), "{}", help.render());
        let listed = options(&help.stdout);
        // A command's own option may hide a global one (`run -p` is `--publish`).
        let shown_globals: Vec<&String> = globals
            .iter()
            .filter(|global| listed.contains(global))
            .collect();
        assert!(
            shown_globals.len() + 1 >= globals.len(),
            "{args:?}: {listed:?}"
        );
        let first: Vec<&String> = listed.iter().take(shown_globals.len()).collect();
        assert_eq!(first, shown_globals, "{args:?}: {listed:?}");
        assert_eq!(
            listed.last().map(String::as_str),
            Some("--help"),
            "{args:?}: {listed:?}"
        );
        assert!(
            listed.len() > shown_globals.len() + 1,
            "{args:?}: {listed:?}"
        );
    }
}

#[test]
fn host_and_context_are_mutually_exclusive() {
    let output = Test::new()
        .file("docker-compose.yml", V1)
        .args(&["-H", "unix://", "-c", "default", "up"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output
            .stderr
            .contains("-H, --host and -c, --context are mutually exclusive"),
        "{}",
        output.stderr
    );
}

#[test]
fn force_recreate_and_no_recreate_conflict() {
    let test = Test::new().file("docker-compose.yml", V1).args(&[
        "up",
        "-d",
        "--force-recreate",
        "--no-recreate",
    ]);
    let output = test.run();
    settings(&test).bind(|| insta::assert_snapshot!(output.render()));
}

#[test]
fn abort_on_container_exit_and_detach_conflict_exit_1() {
    for flag in ["--abort-on-container-exit", "--attach-dependencies"] {
        let output = Test::new()
            .file("docker-compose.yml", V1)
            .args(&["up", "-d", flag])
            .run();
        assert_eq!(output.code, Some(1), "{output:?}");
        assert!(
            output.stderr.contains("and -d cannot be combined."),
            "{}",
            output.stderr
        );
    }
}

#[test]
fn create_force_recreate_and_no_recreate_exit_1() {
    let output = Test::new()
        .file("docker-compose.yml", V1)
        .args(&["create", "--force-recreate", "--no-recreate"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
}

#[test]
fn scale_needs_service_equals_number() {
    let output = Test::new()
        .file("docker-compose.yml", V1)
        .args(&["up", "-d", "--scale", "web"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains("invalid `--scale` value `web`"),
        "{}",
        output.stderr
    );
}

#[test]
fn config_services_prints_dependency_order() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "a:\n  image: x\n  links: [b]\nb:\n  image: x\n  links: [c]\nc:\n  image: x\n",
        )
        .args(&["config", "--services"]);
    let output = test.run();
    assert_eq!(output.code, Some(0), "{output:?}");
    assert_eq!(output.stdout, "c\nb\na\n");
}

#[test]
fn config_quiet_prints_nothing_for_a_valid_file() {
    let output = Test::new()
        .file("docker-compose.yml", V1)
        .args(&["config", "-q"])
        .run();
    assert_eq!(output.code, Some(0), "{output:?}");
    assert_eq!(output.stdout, "");
}

#[test]
fn config_prints_the_resolved_file() {
    let test = Test::new().file("docker-compose.yml", V1).args(&["config"]);
    let output = test.run();
    settings(&test).bind(|| insta::assert_snapshot!(output.render()));
}

#[test]
fn a_broken_file_exits_1_and_points_at_it() {
    let test = Test::new()
        .file("docker-compose.yml", "web:\n  image: [unclosed\n")
        .args(&["config"]);
    let output = test.run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains("docker-compose.yml"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_missing_file_exits_1() {
    let output = Test::new().args(&["-f", "nope.yml", "config"]).run();
    assert_eq!(output.code, Some(1), "{output:?}");
}

#[test]
fn a_dependency_cycle_exits_1() {
    let output = Test::new()
        .file(
            "docker-compose.yml",
            "a:\n  image: x\n  links: [b]\nb:\n  image: x\n  links: [a]\n",
        )
        .args(&["config", "--services"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains("dependency cycle"),
        "{}",
        output.stderr
    );
}

#[test]
fn an_unreachable_engine_exits_1() {
    let test = Test::new().file("docker-compose.yml", V1).args(&[
        "-H",
        "unix:///nonexistent/docker.sock",
        "ps",
    ]);
    let output = test.run();
    settings(&test).bind(|| insta::assert_snapshot!(output.render()));
}

#[test]
fn docker_host_is_read_from_the_environment() {
    let output = Test::new()
        .file("docker-compose.yml", V1)
        .env("DOCKER_HOST", "tcp://127.0.0.1:9")
        .args(&["down"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains("tcp://127.0.0.1:9"),
        "{}",
        output.stderr
    );
}

/// 1.29.2 reads `DOCKER_HOST` and the `COMPOSE_*` settings from `.env` too
/// (`Environment.from_env_file`), the shell winning over the file.
#[test]
fn dot_env_sets_the_engine_and_the_compose_settings() {
    let test = Test::new()
        .file("docker-compose.yml", V1)
        .file(".env", "DOCKER_HOST=tcp://127.0.0.1:9\n");
    // `env -u`: a `DOCKER_HOST` of the test's own environment would win over `.env`.
    let output = test.envctl_with(&["env", "-u", "DOCKER_HOST"], &[], &["down"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output.stderr.contains("tcp://127.0.0.1:9"),
        "{}",
        output.render()
    );

    let test = Test::new()
        .file(
            "docker-compose.yml",
            "version: '3.9'\nservices:\n  web:\n    image: envctl-test/busybox\n  debug:\n    image: envctl-test/busybox\n    profiles: [dbg]\n",
        )
        .file(".env", "COMPOSE_PROFILES=dbg\nCOMPOSE_PARALLEL_LIMIT=0\n");
    // `config --hash='*'` lists the active profiles' services (`--services` all),
    // as 1.29.2 does with the same `.env`.
    let services = |output: &support::Output| -> Vec<String> {
        output
            .stdout
            .lines()
            .filter_map(|line| line.split_whitespace().next().map(ToOwned::to_owned))
            .collect()
    };
    let output = test.envctl(&["config", "--hash=*"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert_eq!(services(&output), ["web", "debug"], "{}", output.render());
    let output = test.envctl_with(
        &[],
        &[("COMPOSE_PROFILES", "other")],
        &["config", "--hash=*"],
    );
    assert_eq!(
        services(&output),
        ["web"],
        "the shell wins: {}",
        output.render()
    );

    // A limit under 1 is an error, before anything is done (1.29.2: under 2).
    let output = test.envctl(&["pull"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output
            .stderr
            .contains("`COMPOSE_PARALLEL_LIMIT` cannot be less than 1 (found `0`)"),
        "{}",
        output.render()
    );
    let output = test.envctl_with(&[], &[("COMPOSE_PARALLEL_LIMIT", "lots")], &["pull"]);
    assert!(
        output
            .stderr
            .contains("`COMPOSE_PARALLEL_LIMIT` must be a whole number (found `lots`)"),
        "{}",
        output.render()
    );
}

#[test]
fn compose_ignore_orphans_and_remove_orphans_conflict() {
    let test = Test::new().file("docker-compose.yml", V1);
    for command in ["up", "down"] {
        let output = test.envctl_with(
            &[],
            &[("COMPOSE_IGNORE_ORPHANS", "1")],
            &[command, "--remove-orphans"],
        );
        assert_eq!(output.code, Some(1), "{}", output.render());
        assert!(
            output
                .stderr
                .contains("COMPOSE_IGNORE_ORPHANS and --remove-orphans cannot be combined."),
            "{}",
            output.render()
        );
    }
}

#[test]
fn an_unsupported_engine_address_exits_1() {
    let output = Test::new()
        .file("docker-compose.yml", V1)
        .args(&["-H", "ssh://somewhere", "ps"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains("unsupported engine address"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_closed_stdout_exits_0() {
    let mut text = String::new();
    for index in 0..2000 {
        writeln!(text, "service{index}:\n  image: x").expect("writing to a String");
    }
    let output = Test::new()
        .file("docker-compose.yml", &text)
        .args(&["config", "--services"])
        .run_with_closed_stdout();
    assert_eq!(output.code, Some(0), "{output:?}");
}

#[test]
fn tls_without_certificates_names_the_missing_file() {
    // `DOCKER_TLS_VERIFY` without `DOCKER_CERT_PATH`: `~/.docker/ca.pem`, which is
    // not there. Nothing is sent (port 9 would refuse anyway).
    let output = Test::new()
        .file("docker-compose.yml", V1)
        .env("HOME", "home")
        .env("DOCKER_HOST", "tcp://127.0.0.1:9")
        .env("DOCKER_TLS_VERIFY", "1")
        .args(&["ps"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains("`home/.docker/ca.pem`")
            && output.stderr.contains("no such file")
            && output.stderr.contains("DOCKER_CERT_PATH"),
        "{}",
        output.stderr
    );
}

#[test]
fn dash_f_dash_reads_the_file_from_stdin() {
    let test = Test::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_envctl"))
        .args(["-f", "-", "config", "--services"])
        .current_dir(test.path())
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("envctl starts");
    std::io::Write::write_all(
        &mut child.stdin.take().expect("stdin is piped"),
        V1.as_bytes(),
    )
    .expect("write the file");
    let output = child.wait_with_output().expect("envctl finishes");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "db\nweb\n");
}

// See: #4
#[test]
fn graph_draws_the_dependencies_as_a_tree_dot_and_mermaid() {
    let file = "\
front:
  image: envctl-test/busybox:latest
  links: [web]
web:
  image: envctl-test/busybox:latest
  links: [db]
  volumes_from: [data]
db:
  image: envctl-test/busybox:latest
data:
  image: envctl-test/busybox:latest
";
    let test = Test::new().file("docker-compose.yml", file);
    let tree = test.envctl(&["-p", "g", "graph"]);
    assert_eq!(tree.code, Some(0), "{}", tree.render());
    insta::assert_snapshot!(tree.stdout, @r"
    front
    └── web (links)
        ├── db (links)
        └── data (volumes_from)
    ");
    let dot = test.envctl(&["-p", "g", "graph", "--format", "dot"]);
    assert!(dot.stdout.starts_with("digraph \"g\" {"), "{}", dot.stdout);
    assert!(
        dot.stdout
            .contains("\"web\" -> \"data\" [label=\"volumes_from\"];"),
        "{}",
        dot.stdout
    );
    let mermaid = test.envctl(&["-p", "g", "graph", "--format", "mermaid"]);
    assert!(
        mermaid.stdout.contains("s1 -->|volumes_from| s3"),
        "{}",
        mermaid.stdout
    );
}

// See: #4
#[test]
fn graph_of_a_cycle_names_the_loop_and_exits_1() {
    let file = "\
a:
  image: envctl-test/busybox:latest
  links: [b]
b:
  image: envctl-test/busybox:latest
  volumes_from: [a]
";
    let output = Test::new()
        .file("docker-compose.yml", file)
        .args(&["graph"])
        .run();
    assert_eq!(output.code, Some(1), "{}", output.render());
    assert!(
        output
            .stderr
            .contains("dependency cycle: `a` -> `b` -> `a`"),
        "{}",
        output.stderr
    );
}

/// 1.29.2 resolves secrets when it makes a project, which every command does but
/// `config` without `--hash`: the same commands fail here, before any engine is
/// asked, with the place of the secret.
#[test]
fn an_undefined_secret_fails_every_command_but_config() {
    let test = Test::new().file(
        "docker-compose.yml",
        "version: '3.8'\nservices:\n  web:\n    image: envctl-test/busybox:latest\n    secrets: [tokn]\nsecrets:\n  token: {file: ./token.txt}\n",
    );
    let config = test.envctl(&["config"]);
    assert_eq!(config.code, Some(0), "{}", config.render());
    assert!(
        config.stdout.contains("- source: tokn"),
        "{}",
        config.render()
    );
    for command in [
        &["config", "--hash=*"][..],
        &["ps"],
        &["down"],
        &["up", "-d"],
    ] {
        let output = test.envctl(command);
        assert_eq!(output.code, Some(1), "{command:?}: {}", output.render());
        assert!(
            output
                .stderr
                .contains("service `web` uses secret `tokn`, which is undefined")
                && output.stderr.contains("docker-compose.yml:5:15")
                && output.stderr.contains("did you mean `token`?"),
            "{command:?}: {}",
            output.render()
        );
    }
}

/// Every command's help ends with examples, as the README promises (See: #16).
#[test]
fn every_command_help_shows_examples() {
    let overview = Test::new().args(&["--help"]).run();
    let commands: Vec<String> = overview
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|command| *command != "help")
        .map(str::to_owned)
        .collect();
    assert!(commands.len() > 20, "{}", overview.stdout);
    let mut missing = Vec::new();
    for command in &commands {
        let help = Test::new().args(&["help", command]).run();
        let examples: Vec<&str> = help
            .stdout
            .lines()
            .skip_while(|line| *line != "Examples:")
            .filter(|line| line.trim_start().starts_with("envctl ") || line.contains("&& envctl "))
            .collect();
        if examples.len() < 2 {
            missing.push(command.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "no `Examples:` with two examples: {missing:?}"
    );
}

/// `-v`, docker-compose's short version flag, and clap's `-V`.
#[test]
fn short_version_flags_print_the_version() {
    for flag in ["-v", "-V", "--version"] {
        let output = Test::new().args(&[flag]).run();
        assert_eq!(output.code, Some(0), "{flag}: {}", output.render());
        assert!(
            output.stdout.starts_with("envctl "),
            "{flag}: {}",
            output.stdout
        );
    }
}

const PROFILES_AND_VOLUMES: &str = "\
version: '3.8'
services:
  built:
    build: .
    profiles: [gui, frontend]
  pulled:
    image: envctl-test/busybox:latest
    profiles: [debug]
    volumes: [data:/data]
volumes:
  data: {}
  cache: {}
";

#[test]
fn config_lists_volumes_and_profiles_as_1_29_2() {
    let test = Test::new().file("docker-compose.yml", PROFILES_AND_VOLUMES);
    let volumes = test.envctl(&["config", "--volumes"]);
    assert_eq!(volumes.code, Some(0), "{}", volumes.render());
    // Sorted: 1.29.2 keeps the file's order (docs/commands.md).
    assert_eq!(volumes.stdout, "cache\ndata\n");
    let profiles = test.envctl(&["config", "--profiles"]);
    assert_eq!(profiles.code, Some(0), "{}", profiles.render());
    assert_eq!(profiles.stdout, "debug\nfrontend\ngui\n");
}

#[test]
fn ps_services_filter_by_source_needs_no_engine() {
    let test = Test::new()
        .file("docker-compose.yml", PROFILES_AND_VOLUMES)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    let built = test.envctl(&["ps", "--services", "--filter", "source=build"]);
    assert_eq!(built.code, Some(0), "{}", built.render());
    assert_eq!(built.stdout, "built\n");
    let pulled = test.envctl(&["ps", "--services", "--filter", "source=image"]);
    assert_eq!(pulled.stdout, "pulled\n", "{}", pulled.render());
    let bogus = test.envctl(&["ps", "--services", "--filter", "colour=red"]);
    assert_eq!(bogus.code, Some(1), "{}", bogus.render());
    assert!(
        bogus.stderr.contains("Invalid filter: colour"),
        "{}",
        bogus.render()
    );
}

#[test]
fn build_memory_takes_bytes_as_1_29_2() {
    let output = Test::new()
        .file("docker-compose.yml", PROFILES_AND_VOLUMES)
        .args(&["build", "--memory", "lots", "built"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains("invalid `--memory` value `lots`"),
        "{}",
        output.stderr
    );
}

#[test]
fn down_rmi_takes_local_or_all_in_1_29_2_words() {
    let output = Test::new()
        .file("docker-compose.yml", V1)
        .args(&["down", "--rmi", "bogus"])
        .run();
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains("--rmi flag must be"),
        "{}",
        output.stderr
    );
}

#[test]
fn an_undefined_network_is_refused_in_1_29_2_words_except_by_config() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "version: '2'\nservices:\n  web:\n    image: envctl-test/busybox:latest\n    networks: [foo]\nnetworks:\n  bar: {}\n",
        )
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    let up = test.envctl(&["up", "-d"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    assert!(
        up.stderr
            .contains("Service \"web\" uses an undefined network \"foo\""),
        "{}",
        up.render()
    );
    assert!(
        up.stderr.contains("docker-compose.yml:3:3"),
        "{}",
        up.render()
    );
    let config = test.envctl(&["config", "-q"]);
    assert_eq!(config.code, Some(0), "{}", config.render());
}
