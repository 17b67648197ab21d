//! dockit's `config.json` (`fixtures/dockit`, `docs/parsing.md`): `config` prints the
//! v1 file it means, as docker-compose 1.29.2 prints that file; its problems point
//! into the JSON; and, on the real engine, `up -d` runs it with its links and ports.
//! See: #18

mod support;

use support::{Test, repo_root, settings};

fn fixture(name: &str) -> String {
    let path = repo_root().join("fixtures/dockit").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn dockit_config_prints_the_v1_file_it_means() {
    let expected = fixture("expected.yml");
    let test = Test::new()
        .file("config.json", &fixture("config.json"))
        .file("docker-compose.yml", &fixture("docker-compose.yml"));
    let dockit = test.envctl(&["-f", "config.json", "config"]);
    assert_eq!(dockit.code, Some(0), "{}", dockit.render());
    assert_eq!(dockit.stdout, expected, "as 1.29.2 prints the v1 file");
    let v1 = test.envctl(&["-f", "docker-compose.yml", "config"]);
    assert_eq!(v1.stdout, expected, "{}", v1.render());
    // deps first
    let services = test.envctl(&["-f", "config.json", "config", "--services"]);
    assert_eq!(
        services.stdout,
        "Hipache\nWebApp\n",
        "{}",
        services.render()
    );
}

#[test]
fn dockit_problems_point_into_the_json() {
    let test = Test::new()
        .file("config.json", &fixture("invalid/config.json"))
        .args(&["-f", "config.json", "config"]);
    let output = test.run();
    assert_eq!(output.code, Some(1), "{}", output.render());
    settings(&test).bind(|| insta::assert_snapshot!(output.render()));
}

#[test]
fn a_json_file_of_capitalised_services_is_dockit_whatever_its_name() {
    let output = Test::new()
        .file(
            "dev.json",
            r#"{"Web": {"Image": "busybox", "Ports": {"8080": ""}}}"#,
        )
        .args(&["-f", "dev.json", "config"])
        .run();
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(
        output.stdout.contains("expose:\n    - '8080'"),
        "{}",
        output.stdout
    );
}

#[cfg(feature = "docker-tests")]
#[test]
fn dockit_config_json_comes_up_with_its_link_and_ports() {
    use support::{ProjectGuard, inspect, project_container_ids, unique_project};

    let project = unique_project("dockit");
    let _guard = ProjectGuard::new(&project);
    // A host port nothing listens on now, for `80`; `6379` is exposed only.
    let host_port = std::net::TcpListener::bind("0.0.0.0:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let config =
        fixture("config.json").replace(r#""80": "80""#, &format!(r#""80": "{host_port}""#));
    assert!(config.contains(&host_port.to_string()), "{config}");
    let test = Test::new().file("config.json", &config);

    let up = test.envctl(&["-p", &project, "-f", "config.json", "up", "-d"]);
    assert_eq!(up.code, Some(0), "{}", up.render());
    let hipache = format!("{project}_Hipache_1");
    let webapp = format!("{project}_WebApp_1");
    assert_eq!(inspect(&hipache, "{{.State.Running}}"), "true");
    assert_eq!(inspect(&webapp, "{{.State.Running}}"), "true");
    // the dep is linked under its service's name, and started first
    let links = inspect(&webapp, "{{json .HostConfig.Links}}");
    assert!(
        links.contains(&format!("/{hipache}:/{webapp}/Hipache")),
        "{links}"
    );
    assert!(
        inspect(&hipache, "{{.State.StartedAt}}") <= inspect(&webapp, "{{.State.StartedAt}}"),
        "Hipache starts before WebApp"
    );
    let env = inspect(&webapp, "{{json .Config.Env}}");
    assert!(env.contains("\"HOST=webapp.local\""), "{env}");
    // `80` published on the host port, `6379` exposed and not published
    let bindings: serde_json::Value =
        serde_json::from_str(&inspect(&hipache, "{{json .HostConfig.PortBindings}}"))
            .expect("port bindings are JSON");
    assert_eq!(
        bindings["80/tcp"][0]["HostPort"],
        host_port.to_string(),
        "{bindings}"
    );
    assert!(bindings.get("6379/tcp").is_none(), "{bindings}");
    let exposed: serde_json::Value =
        serde_json::from_str(&inspect(&hipache, "{{json .Config.ExposedPorts}}"))
            .expect("exposed ports are JSON");
    assert!(exposed.get("6379/tcp").is_some(), "{exposed}");
    assert!(exposed.get("80/tcp").is_some(), "{exposed}");

    let down = test.envctl(&["-p", &project, "-f", "config.json", "down"]);
    assert_eq!(down.code, Some(0), "{}", down.render());
    assert_eq!(project_container_ids(&project), Vec::<String>::new());
}
