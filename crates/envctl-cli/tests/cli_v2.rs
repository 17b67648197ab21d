//! The v2/v3 runtime on the real engine: project networks with aliases and static
//! addresses, named volumes (kept by `down`, removed by `down -v`, external ones
//! never), v1 projects left without a network, and v3 secrets mounted from their
//! files.

#![cfg(feature = "docker-tests")]

mod support;

use support::{
    Output, ProjectGuard, Test, docker_lines, inspect, project_container_ids, repo_root,
    unique_project, volume_exists,
};

const SLEEP: &str = r#"["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]"#;

fn assert_success(output: &Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

/// Text as miette wraps it, unwrapped: its frame characters and line breaks gone.
fn unwrapped(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn network_exists(name: &str) -> bool {
    !docker_lines(&["network", "ls", "-q", "--filter", &format!("name=^{name}$")]).is_empty()
}

/// Removes a network or volume the test made outside any project.
struct Leftover(&'static str, String);

impl Drop for Leftover {
    fn drop(&mut self) {
        docker_lines(&[self.0, "rm", &self.1]);
    }
}

#[test]
fn v2_networks_aliases_addresses_and_named_volumes() {
    let project = unique_project("v2net");
    let _guard = ProjectGuard::new(&project);
    let external = format!("{project}-ext");
    let _external = Leftover("volume", external.clone());
    docker_lines(&["volume", "create", &external]);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            r#"
version: "2.4"
services:
  web:
    image: envctl-test/busybox
    command: {SLEEP}
    networks:
      front:
        aliases: [www]
        ipv4_address: 10.199.250.10
      back: {{}}
    volumes: [data:/data, shared:/shared]
  db:
    image: envctl-test/busybox
    command: {SLEEP}
networks:
  front:
    labels: {{tier: front}}
    # Outside the engine's default pools (see fixtures/differential/v2).
    ipam:
      config: [{{subnet: 10.199.250.0/24}}]
  back: {{}}
volumes:
  data:
    labels: {{kind: data}}
  shared:
    external:
      name: {external}
"#
        ),
    );
    let up = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&up, "up");
    assert!(
        up.stderr.contains(&format!(
            "Creating network \"{project}_default\" with the default driver"
        )),
        "{}",
        up.render()
    );
    // The networks and volumes now exist, IPAM pool and labels included, and are
    // still what the file says: the next `up` uses them as they are.
    let again = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&again, "up again");
    assert!(!again.stderr.contains("warning"), "{}", again.render());

    for network in ["default", "front", "back"] {
        let name = format!("{project}_{network}");
        let labels = docker_lines(&["network", "inspect", "--format", "{{json .Labels}}", &name]);
        let labels: serde_json::Value =
            serde_json::from_str(&labels.join("")).expect("labels are JSON");
        assert_eq!(labels["com.docker.compose.network"], network);
        assert_eq!(labels["com.docker.compose.project"], project.as_str());
        assert_eq!(labels["com.docker.compose.version"], "1.29.2");
    }
    let front = docker_lines(&[
        "network",
        "inspect",
        "--format",
        "{{index .Labels \"tier\"}} {{range .IPAM.Config}}{{.Subnet}}{{end}}",
        &format!("{project}_front"),
    ]);
    assert_eq!(front, ["front 10.199.250.0/24"]);

    let web = format!("{project}_web_1");
    let id = inspect(&web, "{{.Id}}");
    let short_id = &id[..12];
    assert_eq!(
        inspect(&web, "{{.HostConfig.NetworkMode}}"),
        format!("{project}_back")
    );
    let networks: serde_json::Value =
        serde_json::from_str(&inspect(&web, "{{json .NetworkSettings.Networks}}"))
            .expect("networks are JSON");
    let aliases = |network: &str| -> Vec<String> {
        let mut aliases: Vec<String> = networks[format!("{project}_{network}")]["Aliases"]
            .as_array()
            .map(|aliases| {
                aliases
                    .iter()
                    .filter_map(|alias| alias.as_str().map(ToOwned::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        aliases.sort();
        aliases
    };
    let mut expected = vec![short_id.to_owned(), "web".to_owned(), "www".to_owned()];
    expected.sort();
    assert_eq!(aliases("front"), expected);
    assert_eq!(
        networks[format!("{project}_front")]["IPAMConfig"]["IPv4Address"],
        "10.199.250.10"
    );
    let mut expected = vec![short_id.to_owned(), "web".to_owned()];
    expected.sort();
    assert_eq!(aliases("back"), expected);
    let db_network = inspect(&format!("{project}_db_1"), "{{.HostConfig.NetworkMode}}");
    assert_eq!(db_network, format!("{project}_default"));

    // The alias resolves on its network.
    let ping = docker_lines(&[
        "exec",
        &web,
        "sh",
        "-c",
        "ping -c1 -W2 www >/dev/null && echo ok",
    ]);
    assert_eq!(ping, ["ok"], "`www` resolves on `front`");

    let volume = format!("{project}_data");
    let labels = docker_lines(&["volume", "inspect", "--format", "{{json .Labels}}", &volume]);
    let labels: serde_json::Value = serde_json::from_str(&labels.join("")).expect("JSON");
    assert_eq!(labels["com.docker.compose.volume"], "data");
    assert_eq!(labels["com.docker.compose.project"], project.as_str());
    assert_eq!(labels["kind"], "data");
    let binds = inspect(&web, "{{json .HostConfig.Binds}}");
    assert!(binds.contains(&format!("{volume}:/data:rw")), "{binds}");
    assert!(binds.contains(&format!("{external}:/shared:rw")), "{binds}");

    // `up` again changes nothing and makes nothing twice.
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "second up");
    assert_eq!(inspect(&web, "{{.Id}}"), id);

    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
    for network in ["default", "front", "back"] {
        assert!(
            !network_exists(&format!("{project}_{network}")),
            "{network} removed"
        );
    }
    assert!(volume_exists(&volume), "down keeps named volumes");
    assert_success(&test.envctl(&["-p", &project, "down", "-v"]), "down -v");
    assert!(!volume_exists(&volume), "down -v removes them");
    assert!(volume_exists(&external), "never an external one");
}

#[test]
fn a_missing_external_network_stops_up_before_any_container() {
    let project = unique_project("v2ext");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            r#"
version: "3.8"
services:
  web:
    image: envctl-test/busybox
    command: {SLEEP}
    networks: [outside]
networks:
  outside:
    external: true
    name: {project}-absent
"#
        ),
    );
    let up = test.envctl(&["-p", &project, "up", "-d"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    assert!(
        up.stderr.contains("is declared as external") && up.stderr.contains("-absent`"),
        "{}",
        up.render()
    );
    assert!(project_container_ids(&project).is_empty());
}

/// A network or volume the file changed since `up` made it: `up` stops before it
/// touches a container, names what changed and where it is defined; a changed
/// label is only a warning. docker-compose 1.29.2 refuses the same network.
#[test]
fn a_network_or_volume_changed_in_the_file_stops_up_before_any_container() {
    let project = unique_project("v2drift");
    let _guard = ProjectGuard::new(&project);
    let file = |internal: &str, tier: &str, volume: &str| {
        format!(
            r#"version: "2.4"
services:
  web:
    image: envctl-test/busybox
    command: {SLEEP}
    networks: [front]
    volumes: [data:/data]
networks:
  front:
    internal: {internal}
    labels: {{tier: {tier}}}
volumes:
  data: {volume}
"#
        )
    };
    let test = Test::new().file("docker-compose.yml", &file("false", "front", "{}"));
    let write = |text: String| {
        std::fs::write(test.path().join("docker-compose.yml"), text).expect("write the file");
    };
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up");
    assert!(
        support::lock_files(&project).is_empty(),
        "envctl removes its lock file: {:?}",
        support::lock_files(&project)
    );
    let web = format!("{project}_web_1");
    let id = inspect(&web, "{{.Id}}");

    write(file("true", "front", "{}"));
    let up = test.envctl(&["-p", &project, "up", "-d"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    assert!(
        unwrapped(&up.stderr).contains(&format!(
            "network `{project}_front` needs to be recreated: `internal` has changed (the file says `true`, the engine has `false`)"
        )),
        "{}",
        up.render()
    );
    assert!(
        up.stderr.contains("docker-compose.yml:9:3")
            && up.stderr.contains("`front` is defined here"),
        "points at the definition: {}",
        up.render()
    );
    assert!(up.stderr.contains("envctl down"), "{}", up.render());
    assert_eq!(inspect(&web, "{{.Id}}"), id, "the container is untouched");
    let compose = support::docker_compose(test.path(), &["-p", &project, "up", "-d"]);
    assert_ne!(compose.code, Some(0), "{}", compose.render());
    assert!(
        compose
            .stderr
            .contains("needs to be recreated - internal has changed"),
        "docker-compose refuses it too: {}",
        compose.render()
    );

    // A label is only a warning.
    write(file("false", "back", "{}"));
    let up = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&up, "up with a changed label");
    assert!(
        unwrapped(&up.stderr).contains(&format!(
            "warning: network `{project}_front`: label `tier` has changed; it may need to be recreated"
        )),
        "{}",
        up.render()
    );
    assert_eq!(inspect(&web, "{{.Id}}"), id);

    // A volume's driver options: its data is never removed for it.
    write(file(
        "false",
        "front",
        "{driver_opts: {type: tmpfs, device: tmpfs}}",
    ));
    let up = test.envctl(&["-p", &project, "up", "-d"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    assert!(
        unwrapped(&up.stderr).contains(&format!(
            "volume `{project}_data` needs to be recreated: its driver option `device` has changed (the file says `tmpfs`, the engine has `none`)"
        )),
        "{}",
        up.render()
    );
    assert!(
        unwrapped(&up.stderr).contains(&format!("docker volume rm {project}_data")),
        "{}",
        up.render()
    );
    assert!(volume_exists(&format!("{project}_data")));
    assert_eq!(inspect(&web, "{{.Id}}"), id);
}

#[test]
fn v1_projects_get_no_network() {
    let project = unique_project("v1nonet");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!("web:\n  image: envctl-test/busybox\n  command: {SLEEP}\n"),
    );
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up");
    assert_eq!(
        inspect(&format!("{project}_web_1"), "{{.HostConfig.NetworkMode}}"),
        "default"
    );
    assert!(!network_exists(&format!("{project}_default")));
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
}

#[test]
fn profiles_choose_what_up_starts_and_run_joins_the_network() {
    let project = unique_project("v2prof");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        &format!(
            r#"
version: "3.9"
services:
  web:
    image: envctl-test/busybox
    command: {SLEEP}
  debug:
    image: envctl-test/busybox
    command: {SLEEP}
    profiles: [dbg]
  tool:
    image: envctl-test/busybox
    command: {SLEEP}
    profiles: [tools]
    depends_on: [debug]
"#
        ),
    );
    let running = || {
        let mut names = docker_lines(&[
            "ps",
            "--format",
            "{{.Names}}",
            "--filter",
            &format!("label=com.docker.compose.project={project}"),
        ]);
        names.sort();
        names
    };
    assert_success(&test.envctl(&["-p", &project, "up", "-d"]), "up");
    assert_eq!(running(), [format!("{project}_web_1")]);

    let up = test.envctl(&["-p", &project, "up", "-d", "tool"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    assert!(
        up.stderr.contains("was pulled in as a dependency"),
        "{}",
        up.render()
    );

    let up = Test::new()
        .file(
            "docker-compose.yml",
            &std::fs::read_to_string(test.path().join("docker-compose.yml")).expect("read"),
        )
        .env("COMPOSE_PROFILES", "dbg")
        .envctl(&["-p", &project, "up", "-d"]);
    assert_success(&up, "COMPOSE_PROFILES=dbg up");
    assert_eq!(
        running(),
        [format!("{project}_debug_1"), format!("{project}_web_1")]
    );
    assert_success(
        &test.envctl(&[
            "-p",
            &project,
            "--profile",
            "tools",
            "--profile",
            "dbg",
            "up",
            "-d",
        ]),
        "--profile up",
    );
    assert_eq!(running().len(), 3);

    // A one-off joins the project network: it reaches `tool` by name.
    let run = test.envctl(&[
        "-p",
        &project,
        "run",
        "--rm",
        "-T",
        "web",
        "sh",
        "-c",
        "ping -c1 -W2 tool >/dev/null && echo reach",
    ]);
    assert_success(&run, "run");
    assert_eq!(run.stdout.trim(), "reach");

    // `down` sees every service, whatever the profiles.
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
    assert!(running().is_empty());
    assert!(!network_exists(&format!("{project}_default")));
}

/// `fixtures/engine/secrets`: every secret read from a file is bind-mounted
/// read-only where 1.29.2 mounts it, for `up` and for `run`'s one-off; the
/// external one is not; the content never shows in envctl's output.
#[test]
fn v3_secrets_are_mounted_read_only_for_up_and_run() {
    let project = unique_project("v3secret");
    let _guard = ProjectGuard::new(&project);
    let fixture = repo_root().join("fixtures/engine/secrets");
    let file = fixture.join("docker-compose.yml");
    let file = file.to_str().expect("a UTF-8 path");
    let test = Test::new();
    let up = test.envctl(&["-p", &project, "-f", file, "--verbose", "up", "-d"]);
    assert_success(&up, "up");
    for warning in [
        "service `reader` uses secret `outside` which is external",
        "service `reader` uses secret `token` with `mode`",
    ] {
        assert!(up.stderr.contains(warning), "{warning}: {}", up.render());
    }
    assert!(!up.render().contains("s3cr3t"), "{}", up.render());

    let app = format!("{project}_app_1");
    let reader = format!("{project}_reader_1");
    assert_eq!(
        docker_lines(&[
            "exec",
            &app,
            "cat",
            "/run/secrets/token",
            "/run/secrets/app.conf"
        ]),
        ["s3cr3t-token", "level = debug"]
    );
    assert_eq!(
        docker_lines(&["exec", &reader, "cat", "/etc/reader/token"]),
        ["s3cr3t-token"]
    );
    assert_eq!(
        docker_lines(&[
            "exec",
            &reader,
            "sh",
            "-c",
            "test -e /run/secrets/outside && echo mounted || echo absent"
        ]),
        ["absent"],
        "an external secret is not mounted"
    );
    assert_eq!(
        docker_lines(&[
            "exec",
            &app,
            "sh",
            "-c",
            "(echo x > /run/secrets/token) 2>/dev/null && echo written || echo refused"
        ]),
        ["refused"],
        "read-only"
    );
    let mounts: serde_json::Value =
        serde_json::from_str(&inspect(&app, "{{json .HostConfig.Mounts}}")).expect("JSON");
    let bind = |source: &str, target: &str| {
        serde_json::json!({
            "Type": "bind",
            "Source": fixture.join(source).display().to_string(),
            "Target": target,
            "ReadOnly": true,
        })
    };
    assert_eq!(
        mounts,
        serde_json::json!([
            bind("token.txt", "/run/secrets/token"),
            bind("config/app.conf", "/run/secrets/app.conf"),
        ])
    );
    assert_eq!(
        std::fs::read_to_string(fixture.join("token.txt")).expect("the secret file"),
        "s3cr3t-token\n"
    );

    // Up to date: nothing is made again.
    let id = inspect(&app, "{{.Id}}");
    assert_success(
        &test.envctl(&["-p", &project, "-f", file, "up", "-d"]),
        "second up",
    );
    assert_eq!(inspect(&app, "{{.Id}}"), id);

    // 1.29.2 makes the one-off through the same create path.
    let run = test.envctl(&[
        "-p",
        &project,
        "-f",
        file,
        "run",
        "--rm",
        "--no-deps",
        "app",
        "cat",
        "/run/secrets/app.conf",
    ]);
    assert_success(&run, "run");
    assert_eq!(run.stdout.trim(), "level = debug", "{}", run.render());
    assert_success(&test.envctl(&["-p", &project, "-f", file, "down"]), "down");
}

/// A secret whose file does not exist: 1.29.2 warns, creates the other services'
/// containers (and the network), then fails on this one's (`bind source path does
/// not exist`). envctl refuses before it makes anything, and leaves a container
/// that is up to date alone once the file is gone, as 1.29.2 does.
#[test]
fn a_missing_secret_file_stops_up_before_anything_is_made() {
    let project = unique_project("v3nosecret");
    let _guard = ProjectGuard::new(&project);
    let test = Test::new().file(
        "docker-compose.yml",
        r#"
version: "3.8"
services:
  first:
    image: envctl-test/busybox
  app:
    image: envctl-test/busybox
    secrets: [token]
secrets:
  token:
    file: ./token.txt
"#,
    );
    let up = test.envctl(&["-p", &project, "up", "-d"]);
    assert_eq!(up.code, Some(1), "{}", up.render());
    assert!(
        up.stderr.contains("`token` of service `app` reads `")
            && up.stderr.contains("token.txt`, which does not exist")
            && up.stderr.contains("nothing was created"),
        "{}",
        up.render()
    );
    assert!(project_container_ids(&project).is_empty());
    assert!(!network_exists(&format!("{project}_default")));
    let run = test.envctl(&["-p", &project, "run", "--rm", "app", "true"]);
    assert_eq!(run.code, Some(1), "{}", run.render());
    assert!(project_container_ids(&project).is_empty());

    std::fs::write(test.path().join("token.txt"), "t").expect("write the secret");
    assert_success(
        &test.envctl(&["-p", &project, "up", "-d"]),
        "up with the file",
    );
    std::fs::remove_file(test.path().join("token.txt")).expect("remove the secret");
    let again = test.envctl(&["-p", &project, "up", "-d"]);
    assert_success(&again, "up without the file, nothing to create");
    assert!(
        again.stderr.contains("which does not exist") && again.stderr.contains("is up-to-date"),
        "{}",
        again.render()
    );
    assert_success(&test.envctl(&["-p", &project, "down"]), "down");
}
