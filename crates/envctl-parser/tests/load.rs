//! `load` end to end, from files in a temporary directory: discovery, `.env`, project
//! names, several `-f` files, `extends`, `env_file`, dependencies. Every expected
//! output here was checked against `docker-compose config` 1.29.2.

use std::path::{Path, PathBuf};

use envctl_parser::{
    DependencyKind, LoadOptions, ModeRef, ParseError, Project, SecretSource, VolumesFromSource,
    load, to_compose_yaml,
};

/// A project directory with files, an environment and `-f` arguments.
struct Test {
    directory: tempfile::TempDir,
    options: LoadOptions,
}

impl Test {
    fn new() -> Self {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let mut options = LoadOptions::new(directory.path());
        options
            .environment
            .insert("HOME".to_owned(), "/root".to_owned());
        Self { directory, options }
    }

    fn file(self, path: &str, text: &str) -> Self {
        let full = self.directory.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
        self
    }

    fn env(mut self, key: &str, value: &str) -> Self {
        self.options
            .environment
            .insert(key.to_owned(), value.to_owned());
        self
    }

    fn args(mut self, files: &[&str]) -> Self {
        self.options.files = files.iter().map(PathBuf::from).collect();
        self
    }

    fn cwd(mut self, relative: &str) -> Self {
        self.options.cwd = self.directory.path().join(relative);
        self
    }

    fn load(&self) -> Result<Project, ParseError> {
        load(&self.options)
    }

    /// The rendered config, with the temporary directory written `<dir>`.
    fn config(&self) -> String {
        let project = self
            .load()
            .unwrap_or_else(|error| panic!("load failed: {error:?}"));
        to_compose_yaml(&project).replace(&self.root(), "<dir>")
    }

    fn root(&self) -> String {
        self.directory.path().display().to_string()
    }
}

fn names(project: &Project) -> Vec<&str> {
    project
        .services
        .keys()
        .map(envctl_parser::ServiceName::as_str)
        .collect()
}

#[test]
fn discovery_searches_upward_and_merges_the_override() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "web:\n  image: busybox\n  environment: [A=1]\n",
        )
        .file(
            "docker-compose.override.yml",
            "web:\n  environment: {B: 2}\n",
        )
        .file("sub/deeper/.keep", "")
        .cwd("sub/deeper");
    let project = test.load().expect("loads");
    assert_eq!(
        project.config_files,
        vec![
            test.directory.path().join("docker-compose.yml"),
            test.directory.path().join("docker-compose.override.yml")
        ]
    );
    // The project directory is where the file was found; its basename is the name.
    assert_eq!(project.working_dir, test.directory.path());
    insta::assert_snapshot!(test.config(), @r"
    services:
      web:
        environment:
          A: '1'
          B: 2
        image: busybox
        network_mode: bridge
    version: '1'
    ");
}

#[test]
fn two_override_files_are_an_error() {
    let test = Test::new()
        .file("docker-compose.yml", "web: {image: x}\n")
        .file("docker-compose.override.yml", "web: {}\n")
        .file("compose.override.yaml", "web: {}\n");
    assert!(matches!(
        test.load(),
        Err(ParseError::MultipleOverrideFiles { .. })
    ));
}

#[test]
fn no_compose_file_is_an_error() {
    assert!(matches!(
        Test::new().load(),
        Err(ParseError::NoComposeFile { .. })
    ));
}

#[test]
fn project_names_are_normalised_and_follow_precedence() {
    type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str);
    let cases: &[Case] = &[
        // (-p, COMPOSE_PROJECT_NAME in the shell, in .env, expected)
        (Some("My.App Dir"), Some("shell"), None, "myappdir"),
        (None, Some("Shell_Name"), Some("dotenv"), "shell_name"),
        (None, None, Some("From-DotEnv"), "from-dotenv"),
        (Some("héllo"), None, None, "hllo"),
    ];
    for (flag, shell, dotenv, expected) in cases {
        let mut test = Test::new().file("docker-compose.yml", "web: {image: x}\n");
        if let Some(dotenv) = dotenv {
            test = test.file(".env", &format!("COMPOSE_PROJECT_NAME={dotenv}\n"));
        }
        if let Some(shell) = shell {
            test = test.env("COMPOSE_PROJECT_NAME", shell);
        }
        test.options.project_name = flag.map(str::to_owned);
        assert_eq!(
            test.load().expect("loads").name,
            *expected,
            "for {flag:?} {shell:?} {dotenv:?}"
        );
    }
    let test = Test::new().file("docker-compose.yml", "web: {image: x}\n");
    let basename = test
        .directory
        .path()
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .to_lowercase();
    let expected: String = basename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(test.load().expect("loads").name, expected);
}

#[test]
fn dotenv_feeds_interpolation_and_the_shell_wins() {
    // `${TAG}` in `.env` is expanded when its line is read: `TAG=1` comes later, so
    // the shell's value is used (python-dotenv, as 1.29.2 runs it).
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "web:\n  image: ${IMG}\n  environment:\n    - FROM_SHELL\n    - FROM_DOTENV\n    - UNSET_ONE\n",
        )
        .file(".env", "IMG=busybox:${TAG}\nTAG=1\nFROM_DOTENV=dot\nFROM_SHELL=dot\n")
        .env("FROM_SHELL", "shell")
        .env("TAG", "shelltag");
    insta::assert_snapshot!(test.config(), @r"
    services:
      web:
        environment:
          FROM_DOTENV: dot
          FROM_SHELL: shell
          UNSET_ONE: null
        image: busybox:shelltag
        network_mode: bridge
    version: '1'
    ");
}

#[test]
fn compose_file_lists_files_and_paths_resolve_against_the_first() {
    let test = Test::new()
        .file("a/one.yml", "web: {image: one, volumes: ['./x:/x']}\n")
        .file("a/two.yml", "web: {command: two}\n")
        .env("COMPOSE_FILE", "a/one.yml:a/two.yml");
    insta::assert_snapshot!(test.config(), @r"
    services:
      web:
        command: two
        image: one
        network_mode: bridge
        volumes:
        - <dir>/a/x:/x:rw
    version: '1'
    ");
}

#[test]
fn several_files_merge_by_the_table() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "web:\n  image: busybox\n  links: [db]\n  environment: [A=1]\n  ports: ['80:80']\ndb:\n  image: busybox\n  expose: [5432]\n",
        )
        .file(
            "o.yml",
            "web:\n  build: ./ctx\n  environment: {B: 2}\n  ports: ['81:80', '80:80']\nother:\n  image: x\n  volumes: [./rel:/rel]\n",
        )
        .file("ctx/Dockerfile", "FROM busybox\n")
        .args(&["docker-compose.yml", "o.yml"]);
    let project = test.load().expect("loads");
    assert_eq!(names(&project), ["web", "db", "other"]);
    insta::assert_snapshot!(test.config(), @r"
    services:
      db:
        expose:
        - '5432'
        image: busybox
        network_mode: bridge
      other:
        image: x
        network_mode: bridge
        volumes:
        - <dir>/rel:/rel:rw
      web:
        build:
          context: <dir>/ctx
        environment:
          A: '1'
          B: 2
        links:
        - db
        network_mode: bridge
        ports:
        - 80:80/tcp
        - 81:80/tcp
    version: '1'
    ");
}

#[test]
fn v1_and_v2_files_do_not_mix() {
    let test = Test::new()
        .file("docker-compose.yml", "web: {image: x}\n")
        .file("v2.yml", "version: '2'\nservices: {web: {image: y}}\n")
        .args(&["docker-compose.yml", "v2.yml"]);
    let error = test.load().expect_err("a mismatch");
    assert!(error.to_string().contains("version mismatch"), "{error}");
}

#[test]
fn extends_resolves_paths_against_each_file() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "web:\n  extends:\n    file: sub/base.yml\n    service: base\n  command: top\n",
        )
        .file(
            "sub/base.yml",
            "base:\n  extends:\n    file: ../more/deeper.yml\n    service: deep\n  volumes: ['./data:/data']\n  env_file: e.env\n",
        )
        .file("sub/e.env", "X=1\n")
        .file("more/deeper.yml", "deep:\n  build: .\n  dockerfile: D\n")
        .file("more/D", "");
    insta::assert_snapshot!(test.config(), @r"
    services:
      web:
        build:
          context: <dir>/more
          dockerfile: D
        command: top
        environment:
          X: '1'
        network_mode: bridge
        volumes:
        - <dir>/sub/data:/data:rw
    version: '1'
    ");
}

#[test]
fn environment_beats_every_env_file_across_extends() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "base:\n  image: busybox\n  environment: {A: base, B: base}\n  env_file: a.env\nchild:\n  extends: base\n  environment: {B: child}\n  env_file: b.env\n",
        )
        .file("a.env", "A=fromA\nC=fromA\nD=fromA\n")
        .file("b.env", "B=fromB\nC=fromB\n");
    let project = test.load().expect("loads");
    let child = project.service("child").expect("child");
    let environment: Vec<(&str, Option<&str>)> = child
        .environment
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_deref()))
        .collect();
    assert_eq!(
        environment,
        [
            ("A", Some("base")),
            ("C", Some("fromB")),
            ("D", Some("fromA")),
            ("B", Some("child"))
        ]
    );
}

#[test]
fn extends_cycles_show_the_chain() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            "web:\n  extends: {file: other.yml, service: other}\n",
        )
        .file(
            "other.yml",
            "other:\n  extends: {file: docker-compose.yml, service: web}\n",
        );
    let error = test.load().expect_err("a cycle");
    // Paths under the project directory are shown relative to it.
    insta::assert_snapshot!(error.to_string(), @"circular `extends`: `web` in `docker-compose.yml` → extends `other` in `other.yml` → extends `web` in `docker-compose.yml`");
}

#[test]
fn extends_refuses_a_base_with_links() {
    let test = Test::new().file(
        "docker-compose.yml",
        "db: {image: x}\nbase:\n  image: x\n  links: [db]\nweb:\n  extends: base\n",
    );
    let error = test.load().expect_err("links in the base");
    assert!(
        error
            .to_string()
            .contains("services with `links` cannot be extended"),
        "{error}"
    );
}

#[test]
fn dependencies_carry_their_kind_and_span() {
    let text = "db: {image: busybox}\nweb:\n  image: busybox\n  links: [db]\n  volumes_from: [db, some_container]\n  net: 'container:db'\n  ipc: 'service:db'\n";
    let test = Test::new().file("docker-compose.yml", text);
    let project = test.load().expect("loads");
    let web = project.service("web").expect("web");
    let edges: Vec<(DependencyKind, &str, &str)> = web
        .dependencies
        .iter()
        .map(|dependency| {
            let source =
                &text[dependency.span.offset..dependency.span.offset + dependency.span.len];
            (dependency.kind, dependency.target.as_str(), source)
        })
        .collect();
    assert_eq!(
        edges,
        [
            (DependencyKind::Link, "db", "db"),
            (DependencyKind::VolumesFrom, "db", "db"),
            (DependencyKind::NetworkMode, "db", "'container:db'"),
            (DependencyKind::Ipc, "db", "'service:db'"),
        ]
    );
    assert_eq!(web.network_mode, Some(ModeRef::Service("db".into())));
    assert_eq!(
        web.volumes_from
            .iter()
            .map(|entry| entry.source.clone())
            .collect::<Vec<_>>(),
        [
            VolumesFromSource::Service("db".into()),
            VolumesFromSource::Container("some_container".into())
        ]
    );
}

#[test]
fn v2_depends_on_is_a_dependency() {
    let test = Test::new().file(
        "docker-compose.yml",
        "version: '2.1'\nservices:\n  db: {image: x}\n  web:\n    image: x\n    depends_on: [db]\n    network_mode: 'service:db'\n",
    );
    let project = test.load().expect("loads");
    let kinds: Vec<DependencyKind> = project
        .service("web")
        .expect("web")
        .dependencies
        .iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(
        kinds,
        [DependencyKind::DependsOn, DependencyKind::NetworkMode]
    );
}

#[test]
fn missing_env_file_is_an_error_at_the_entry() {
    let test = Test::new().file(
        "docker-compose.yml",
        "web:\n  image: x\n  env_file: nope.env\n",
    );
    let error = test.load().expect_err("missing env file");
    assert!(error.to_string().contains("nope.env"), "{error}");
}

#[test]
fn no_interpolate_keeps_dollars() {
    let mut test = Test::new().file(
        "docker-compose.yml",
        "web:\n  image: busybox\n  command: echo $HOME\n",
    );
    test.options.interpolate = false;
    let project = test.load().expect("loads");
    assert_eq!(
        project.service("web").expect("web").options["command"],
        "echo $HOME"
    );
}

#[test]
fn config_files_are_absolute_and_normalised() {
    let test = Test::new()
        .file("sub/docker-compose.yml", "web: {image: x}\n")
        .args(&["./sub/../sub/docker-compose.yml"]);
    let project = test.load().expect("loads");
    assert_eq!(
        project.config_files,
        [test.directory.path().join("sub/docker-compose.yml")]
    );
    assert_eq!(project.working_dir, test.directory.path().join("sub"));
    assert!(Path::new(&project.config_files[0]).is_absolute());
}

#[test]
fn options_hold_1_29_2_internal_forms() {
    // With these options, 1.29.2's config hash formula gives
    // ead6842c6cb1fd14d761d9f797f6f82d3c244eb6df31b60671ea21ba36708d63 for `web`,
    // which is what `docker-compose config --hash='*'` printed for this file.
    let test = Test::new()
        .file(
            "docker-compose.yml",
            r#"db:
  image: busybox
web:
  build: ./ctx
  privileged: "yes"
  cpu_quota: "50ms"
  ulimits: {nproc: "1024", nofile: {soft: "1", hard: 2}}
  ports: [22:22, "8080:80", "127.0.0.1::53/udp"]
  expose: [80, "90"]
  environment: [A=1, B, C=]
  labels: {a: 1, b: "x"}
  extra_hosts: ["a:1.1.1.1"]
  dns: 1.1.1.1
  command: ["sh", "-c", "echo $$HOME"]
  restart: on-failure:3
  security_opt: [seccomp=unconfined]
  volumes: [/data, ./src:/src, "named:/n:ro"]
  links: [db]
  log_driver: syslog
  log_opt: {tag: x}
  mem_limit: 1g
  tty: true
"#,
        )
        .file("ctx/Dockerfile", "FROM busybox\n");
    let project = test.load().expect("loads");
    let options = serde_json::Value::Object(project.service("web").expect("web").options.clone());
    let text = serde_json::to_string_pretty(&options)
        .expect("JSON")
        .replace(&test.root(), "<dir>");
    insta::assert_snapshot!(text);
}

#[test]
fn standard_input_is_read_from_the_options() {
    let mut test = Test::new().args(&["-"]);
    test.options.stdin = Some("web: {image: busybox}\n".to_owned());
    let project = test.load().expect("loads");
    assert_eq!(names(&project), ["web"]);
    assert!(project.config_files.is_empty());
}

/// v3's `deploy` becomes container settings, as 1.29.2's `Project.from_config` makes
/// them (`translate_deploy_keys_to_container_config`, `get_service_scale`); `config`
/// still prints `deploy` as written.
#[test]
fn deploy_becomes_container_settings_and_the_scale() {
    let test = Test::new().file(
        "docker-compose.yml",
        r#"version: "3.8"
services:
  worker:
    image: busybox
    mem_limit: 1g
    deploy:
      replicas: 3
      placement: {max_replicas_per_node: 2}
      restart_policy: {condition: any, max_attempts: 4, delay: 5s}
      resources:
        limits: {cpus: "0.25"}
        reservations: {memory: 16M, cpus: "0.1"}
      labels: [a=b]
  scaled:
    image: busybox
    scale: 2
  global:
    image: busybox
    deploy: {mode: global, replicas: 5}
"#,
    );
    let project = test.load().expect("loads");
    let worker = project.service("worker").expect("worker");
    assert_eq!(
        worker.scale,
        Some(2),
        "replicas capped by max_replicas_per_node"
    );
    let restart = worker.restart.as_ref().expect("a restart policy");
    assert_eq!(
        (restart.name.as_str(), restart.maximum_retry_count),
        ("always", Some(4))
    );
    // `limits` without `memory` clears `mem_limit`, as in 1.29.2.
    assert_eq!(worker.mem_limit, None);
    assert_eq!(worker.mem_reservation, Some(16 * 1024 * 1024));
    let options = worker.container_options();
    assert_eq!(options.get("cpus"), Some(&serde_json::json!(0.25)));
    assert_eq!(options.get("mem_limit"), Some(&serde_json::Value::Null));
    assert_eq!(
        options.get("restart"),
        Some(&serde_json::json!({"Name": "always", "MaximumRetryCount": 4}))
    );
    assert!(!options.contains_key("deploy"));
    assert_eq!(
        worker.ignored_deploy_keys,
        [
            "labels",
            "restart_policy.delay",
            "resources.reservations.cpus"
        ]
    );
    // What `config` prints is unchanged.
    assert!(worker.options.contains_key("deploy"));
    assert_eq!(project.service("scaled").expect("scaled").scale, Some(2));
    assert_eq!(project.service("global").expect("global").scale, None);
}

#[test]
fn scale_and_replicas_together_are_an_error() {
    let test = Test::new().file(
        "docker-compose.yml",
        "version: \"3.8\"\nservices:\n  web:\n    image: busybox\n    scale: 2\n    deploy: {replicas: 3}\n",
    );
    let error = test.load().expect_err("refused");
    let text = format!("{error:?}");
    assert!(
        text.contains("both `scale` and `deploy.replicas`"),
        "{text}"
    );
}

/// The v3 secrets of `fixtures/engine/secrets` and more; the config hash built from
/// them equals 1.29.2's (`cli_hash.rs`), and `config` prints what 1.29.2 prints.
#[test]
fn secrets_are_typed_and_their_files_resolved_against_the_project_directory() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            r#"
version: "3.8"
services:
  app:
    image: x
    secrets:
      - token
      - source: settings
        target: app.conf
        uid: "1000"
        mode: 0440
      - {source: outside, target: /etc/outside}
      - nofile
      - missing
secrets:
  token: {file: ./token.txt}
  settings: {file: conf/../conf/app.conf}
  outside: {external: true}
  nofile: {name: elsewhere}
  missing: {file: ~/absent.txt}
"#,
        )
        .file("token.txt", "t")
        .file("conf/app.conf", "c");
    let project = test.load().expect("loads");
    let root = test.directory.path();
    let app = &project.services["app"];
    let summary: Vec<(String, &SecretSource, String)> = app
        .secrets
        .iter()
        .map(|secret| {
            (
                secret.source.clone(),
                &secret.definition,
                secret.container_path(),
            )
        })
        .collect();
    let file = |path: PathBuf, present| SecretSource::File { path, present };
    assert_eq!(
        summary,
        [
            (
                "token".to_owned(),
                &file(root.join("token.txt"), true),
                "/run/secrets/token".to_owned()
            ),
            (
                "settings".to_owned(),
                &file(root.join("conf/app.conf"), true),
                "/run/secrets/app.conf".to_owned()
            ),
            (
                "outside".to_owned(),
                &SecretSource::External,
                "/etc/outside".to_owned()
            ),
            (
                "nofile".to_owned(),
                &SecretSource::NoFile,
                "/run/secrets/nofile".to_owned()
            ),
            (
                "missing".to_owned(),
                &file(PathBuf::from("/root/absent.txt"), false),
                "/run/secrets/missing".to_owned()
            ),
        ]
    );
    let settings = &app.secrets[1];
    assert_eq!(settings.uid.as_deref(), Some("1000"));
    assert_eq!(settings.mode, Some(288.into()), "YAML 1.1 octal");
    assert_eq!(settings.unsupported_fields(), ["uid", "mode"]);
    assert!(project.secrets["outside"].external);
    assert_eq!(project.secrets["outside"].name.as_deref(), Some("outside"));

    // 1.29.2's warnings when it makes the project, in its order.
    let warnings: Vec<String> = project.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "service `app` uses secret `settings` with `uid`, `mode`: `uid`, `gid` and `mode` are not supported outside a swarm and are ignored".to_owned(),
            "service `app` uses secret `outside` which is external: external secrets are not available to containers created by envctl (or docker-compose), so it is not mounted".to_owned(),
            "service `app` uses secret `nofile`, whose top-level definition has no `file`: creating the service's containers fails".to_owned(),
            "service `app` uses secret `missing` from `/root/absent.txt`, which does not exist: create it, or creating the service's containers fails".to_owned(),
        ]
    );
}

/// Checked against `docker-compose config` and `config --hash='*'` 1.29.2: a
/// service's secrets merge by `source` (the later file's entry wins) and are then
/// sorted; the top-level definitions merge entry by entry.
#[test]
fn secrets_of_several_files_merge_by_source_and_definitions_by_name() {
    let test = Test::new()
        .file(
            "docker-compose.yml",
            r#"
version: "3.7"
services:
  one:
    image: x
    secrets: [b, {source: a, target: rel/x, uid: "1000", mode: 0.5}]
secrets:
  a: {file: a.txt}
  b: {file: old.txt}
"#,
        )
        .file(
            "docker-compose.override.yml",
            r#"
version: "3.7"
services:
  one:
    secrets: [{source: b, target: bee}, a]
secrets:
  b: {file: sub/b.txt}
"#,
        );
    let (project, sections) = envctl_parser::load_with_sections(&test.options).expect("loads");
    let secrets: Vec<(&str, Option<&str>)> = project.services["one"]
        .secrets
        .iter()
        .map(|secret| (secret.source.as_str(), secret.target.as_deref()))
        .collect();
    assert_eq!(secrets, [("a", None), ("b", Some("bee"))]);
    let options = envctl_parser::RenderOptions {
        escape_dollars: true,
        sections,
    };
    let config =
        envctl_parser::to_compose_yaml_with(&project, &options).replace(&test.root(), "<dir>");
    insta::assert_snapshot!(config, @r"
    secrets:
      a:
        file: <dir>/a.txt
      b:
        file: <dir>/sub/b.txt
    services:
      one:
        image: x
        secrets:
        - source: a
        - source: b
          target: bee
    version: '3.7'
    ");
}

/// 1.29.2 resolves secrets when it makes a project: `config` prints a file whose
/// secret is undefined, every other command (`config --hash` too) refuses it.
#[test]
fn an_undefined_secret_fails_load_but_not_config() {
    let test = Test::new().file(
        "docker-compose.yml",
        "version: '3.8'\nservices:\n  web: {image: x, secrets: [nope]}\nsecrets:\n  token: {file: t}\n",
    );
    assert!(envctl_parser::load_with_sections(&test.options).is_ok());
    let error = test.load().expect_err("undefined");
    assert_eq!(
        error.to_string(),
        "service `web` uses secret `nope`, which is undefined"
    );
}
