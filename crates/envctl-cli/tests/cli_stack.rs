//! `envctl stack` on a real Swarm cluster of two engines (`fixtures/swarm/cluster.sh`,
//! shared by the tests, never the default engine): deploy, what docker's own
//! `stack` commands see, re-deploys that update only what changed, `--dry-run`,
//! refusals, rollback, one-shot services, secrets and configs whose content
//! changed (and their earlier versions removed), `--resolve-image` and `--push`
//! with the cluster's registry, and `stack rm`. See: #20.

#![cfg(feature = "docker-tests")]

mod support;

use std::collections::BTreeSet;

use support::swarm::{
    StackGuard, docker, docker_lines, manager, versions, wait_gone, wait_networks_unlisted,
};
use support::{Output, Test, unique_project};

fn assert_success(output: &Output, what: &str) {
    assert_eq!(output.code, Some(0), "{what}: {}", output.render());
}

/// `envctl` against the cluster's manager.
fn envctl(test: &Test, arguments: &[&str]) -> Output {
    test.envctl_with(&[], &[("DOCKER_HOST", manager())], arguments)
}

const V3: &str = r#"version: "3.8"
services:
  web:
    image: envctl-test/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    environment:
      GREETING: hello
    labels:
      tier: front
    stop_grace_period: 2s
    depends_on: [db]
    deploy:
      replicas: 4
      labels:
        owner: web-team
      resources:
        limits:
          memory: 64M
          cpus: "0.25"
      update_config:
        parallelism: 2
        monitor: 1s
      restart_policy:
        condition: on-failure
        delay: 1s
  db:
    image: envctl-test/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    stop_grace_period: 2s
    networks:
      back:
        aliases: [database]
    deploy:
      mode: global
networks:
  back: {}
"#;

fn stack_name(test: &str) -> String {
    // Stack names end up in service names: keep them short.
    unique_project(test).replace('-', "_")
}

/// docker's warning for an image whose digest was not recorded.
const NOT_RESOLVED: &str = "could not be accessed on a registry to record its digest";

#[test]
fn deploy_docker_agrees_redeploy_updates_only_what_changed_and_rm_leaves_nothing() {
    let stack = stack_name("swarm-v3");
    let _guard = StackGuard(stack.clone());
    let test = Test::new().file("docker-compose.yml", V3);

    let output = envctl(&test, &["stack", "deploy", &stack]);
    assert_success(&output, "stack deploy");
    assert!(
        output
            .stderr
            .contains(&format!("service {stack}_web: converged")),
        "{}",
        output.render()
    );
    // `--resolve-image always` (the default) asks no registry: docker's warning.
    assert!(output.stderr.contains(NOT_RESOLVED), "{}", output.render());

    // docker's own stack commands see envctl's stack.
    let services = docker_lines(&[
        "stack",
        "services",
        &stack,
        "--format",
        "{{.Name}} {{.Mode}} {{.Replicas}}",
    ]);
    assert_eq!(
        services.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from([
            format!("{stack}_db global 2/2").as_str(),
            format!("{stack}_web replicated 4/4").as_str(),
        ]),
    );
    let docker_tasks: BTreeSet<String> = docker_lines(&[
        "stack",
        "ps",
        &stack,
        "--filter",
        "desired-state=running",
        "--format",
        "{{.ID}}",
    ])
    .into_iter()
    .collect();
    let ours = envctl(&test, &["stack", "ps", &stack]);
    assert_success(&ours, "stack ps");
    let our_tasks: BTreeSet<String> = ours
        .stdout
        .lines()
        .skip(2)
        .filter(|line| line.contains(" running "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(our_tasks, docker_tasks, "{}", ours.render());
    // The tasks run on both engines.
    let nodes: BTreeSet<String> = docker_tasks
        .iter()
        .flat_map(|task| docker_lines(&["inspect", "--format", "{{.NodeID}}", task]))
        .collect();
    assert_eq!(nodes.len(), 2, "tasks on both nodes: {nodes:?}");
    // The spec as docker stack deploy makes it.
    let web = format!("{stack}_web");
    let spec = docker_lines(&["service", "inspect", "--format", "{{json .Spec}}", &web]).join("");
    let spec: serde_json::Value = serde_json::from_str(&spec).expect("a JSON spec");
    assert_eq!(spec["Labels"]["com.docker.stack.namespace"], stack.as_str());
    assert_eq!(
        spec["Labels"]["com.docker.stack.image"],
        "envctl-test/busybox"
    );
    assert_eq!(spec["Labels"]["owner"], "web-team");
    assert_eq!(
        spec["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"],
        67_108_864
    );
    assert_eq!(
        spec["TaskTemplate"]["ContainerSpec"]["Env"][0],
        "GREETING=hello"
    );
    assert_eq!(
        spec["UpdateConfig"]["FailureAction"], "rollback",
        "envctl's default"
    );

    // Nothing changed: nothing to do, no version moves.
    let before = versions(&stack);
    let again = envctl(&test, &["stack", "deploy", "--dry-run", &stack]);
    assert_success(&again, "dry-run");
    assert!(again.stdout.contains("nothing to do"), "{}", again.render());
    let again = envctl(&test, &["stack", "deploy", &stack]);
    assert_success(&again, "re-deploy");
    // Nothing is sent, so nothing would be resolved.
    assert!(!again.stderr.contains(NOT_RESOLVED), "{}", again.render());
    assert_eq!(
        versions(&stack),
        before,
        "an unchanged re-deploy updates nothing"
    );

    // One service changed: --dry-run says so and changes nothing; deploy updates it only.
    std::fs::write(
        test.path().join("docker-compose.yml"),
        V3.replace("GREETING: hello", "GREETING: bonjour"),
    )
    .expect("write the file");
    let dry = envctl(&test, &["stack", "deploy", "--dry-run", &stack]);
    assert_success(&dry, "dry-run of a change");
    assert!(
        dry.stdout.contains(&format!(
            "service {stack}_web: update (TaskTemplate.ContainerSpec.Env)"
        )),
        "{}",
        dry.render()
    );
    assert!(
        dry.stdout.contains(&format!("service {stack}_db: keep")),
        "{}",
        dry.render()
    );
    assert_eq!(versions(&stack), before, "--dry-run changes nothing");
    let update = envctl(
        &test,
        &["stack", "deploy", "--resolve-image", "changed", &stack],
    );
    assert_success(&update, "deploy of a change");
    // `changed`: the image is the same, so it would not be resolved again.
    assert!(!update.stderr.contains(NOT_RESOLVED), "{}", update.render());
    let after = versions(&stack);
    assert_eq!(
        after[&format!("{stack}_db")],
        before[&format!("{stack}_db")],
        "db untouched"
    );
    assert!(
        after[&web] > before[&web],
        "web updated: {before:?} {after:?}"
    );

    // stack rm leaves nothing.
    let removed = envctl(&test, &["stack", "rm", &stack]);
    assert_success(&removed, "stack rm");
    assert_eq!(wait_gone(&stack), Vec::<String>::new());
    let listed = envctl(&test, &["stack", "ls"]);
    assert!(!listed.stdout.contains(&stack), "{}", listed.render());
}

/// The spec of every service of `stack`, as `docker service inspect` shows it,
/// with ids, names, versions and timestamps masked and network ids named.
fn masked_specs(stack: &str) -> serde_json::Value {
    let networks: std::collections::BTreeMap<String, String> = docker_lines(&[
        "network",
        "ls",
        "--no-trunc",
        "--format",
        "{{.ID}} {{.Name}}",
    ])
    .into_iter()
    .filter_map(|line| {
        let (id, name) = line.split_once(' ')?;
        Some((id.to_owned(), name.replace(stack, "STACK")))
    })
    .collect();
    let mut specs = serde_json::Map::new();
    for name in docker_lines(&[
        "service",
        "ls",
        "--filter",
        &format!("label=com.docker.stack.namespace={stack}"),
        "--format",
        "{{.Name}}",
    ]) {
        let text =
            docker_lines(&["service", "inspect", "--format", "{{json .Spec}}", &name]).join("");
        let mut spec: serde_json::Value = serde_json::from_str(&text).expect("a JSON spec");
        if let Some(attachments) = spec["TaskTemplate"]["Networks"].as_array_mut() {
            for attachment in attachments {
                let target = attachment["Target"].as_str().unwrap_or_default().to_owned();
                attachment["Target"] = networks.get(&target).cloned().unwrap_or(target).into();
            }
        }
        // The engine's ids of the secrets and configs named.
        for key in ["Secrets", "Configs"] {
            if let Some(references) = spec["TaskTemplate"]["ContainerSpec"][key].as_array_mut() {
                for reference in references {
                    if let Some(reference) = reference.as_object_mut() {
                        reference.remove("SecretID");
                        reference.remove("ConfigID");
                    }
                }
            }
        }
        // docs/swarm.md: envctl's update failure action is `rollback` where the
        // file names none (docker's is `pause`); the file's own are compared.
        if spec["UpdateConfig"]["FailureAction"] == "rollback" {
            spec["UpdateConfig"]["FailureAction"] = "pause".into();
        }
        let text = spec.to_string().replace(stack, "STACK");
        specs.insert(
            name.replace(stack, "STACK"),
            serde_json::from_str(&text).expect("JSON"),
        );
    }
    serde_json::Value::Object(specs)
}

/// The stack's secrets, configs and networks as the engine holds them (`Spec` of
/// the first two, what a network was made with), envctl's digest labels left out
/// (docs/swarm.md) and the stack's name masked, as what the engine chose: a
/// network's VXLAN id, and its address pool unless the file wrote it (`subnets`).
fn masked_objects(stack: &str, subnets: &[&str]) -> serde_json::Value {
    let namespace = format!("label=com.docker.stack.namespace={stack}");
    let mut objects = serde_json::Map::new();
    for kind in ["secret", "config", "network"] {
        let format = if kind == "network" {
            "{{json .}}"
        } else {
            "{{json .Spec}}"
        };
        let mut found = serde_json::Map::new();
        for name in docker_lines(&[kind, "ls", "--filter", &namespace, "--format", "{{.Name}}"]) {
            let text = docker_lines(&[kind, "inspect", "--format", format, &name]).join("");
            let inspected: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            let mut object = if kind == "network" {
                serde_json::json!({
                    "Driver": inspected["Driver"],
                    "Scope": inspected["Scope"],
                    "Attachable": inspected["Attachable"],
                    "Internal": inspected["Internal"],
                    "Options": inspected["Options"],
                    "IPAM": inspected["IPAM"],
                    "Labels": inspected["Labels"],
                })
            } else {
                inspected
            };
            if let Some(labels) = object["Labels"].as_object_mut() {
                labels.retain(|key, _| !key.starts_with("io.envctl."));
            }
            if let Some(options) = object["Options"].as_object_mut() {
                options.remove("com.docker.network.driver.overlay.vxlanid_list");
            }
            if let Some(pools) = object["IPAM"]["Config"].as_array_mut() {
                pools.retain(|pool| subnets.iter().any(|subnet| pool["Subnet"] == *subnet));
            }
            let text = object.to_string().replace(stack, "STACK");
            found.insert(
                name.replace(stack, "STACK"),
                serde_json::from_str(&text).expect("JSON"),
            );
        }
        objects.insert(kind.to_owned(), serde_json::Value::Object(found));
    }
    serde_json::Value::Object(objects)
}

/// A v3 file `docker stack deploy` accepts (configs included): deployed by docker
/// as one stack and by envctl as another, the specs are equal but for what docs/swarm.md says
/// envctl does more (the update failure action, `rollback`); and envctl, asked to
/// re-deploy docker's stack, has nothing to do.
#[test]
fn differential_specs_equal_docker_stack_deploy() {
    let theirs = stack_name("swarm-docker");
    let ours = stack_name("swarm-envctl");
    let _theirs = StackGuard(theirs.clone());
    let _ours = StackGuard(ours.clone());
    let file = V3
        .replace("      update_config:\n        parallelism: 2\n        monitor: 1s\n", "      update_config:\n        parallelism: 2\n        monitor: 1s\n        failure_action: pause\n")
        .replace("  db:\n", "  db:\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 2s\n    hostname: database\n    user: \"0\"\n    working_dir: /tmp\n    read_only: true\n    extra_hosts: [\"gateway:10.0.0.1\"]\n    dns: [10.0.0.2]\n    ports: [\"18181:80\"]\n");
    // Configs in both forms, one with a target, uid and mode of its own.
    let file = file
        .replace(
            "    stop_grace_period: 2s\n    depends_on: [db]\n",
            "    stop_grace_period: 2s\n    depends_on: [db]\n    configs:\n      - source: site\n        target: /etc/site.conf\n        uid: \"1\"\n        mode: 0440\n      - motd\n",
        )
        .replace("  db:\n", "  db:\n    configs: [site]\n")
        + "configs:\n  site:\n    file: ./site.conf\n  motd:\n    file: ./motd.txt\n";
    let test = Test::new()
        .file("docker-compose.yml", &file)
        .file("site.conf", "listen {{ \"80\" }};\n")
        .file("motd.txt", "hello\n")
        .file("token.txt", "s3cret\n");
    let deployed = docker(&[
        "stack",
        "deploy",
        "--detach=true",
        "--resolve-image",
        "never",
        "-c",
        &test.path().join("docker-compose.yml").display().to_string(),
        &theirs,
    ]);
    assert_success(&deployed, "docker stack deploy");
    // envctl sees docker's stack as up to date.
    let dry = envctl(&test, &["stack", "deploy", "--dry-run", &theirs]);
    assert_success(&dry, "dry-run over docker's stack");
    assert!(dry.stdout.contains("nothing to do"), "{}", dry.render());
    // Removed, so that the published port is free for envctl's stack.
    assert_success(&docker(&["stack", "rm", &theirs]), "docker stack rm");
    // See: #20. The top-level definitions' labels, a config's template driver,
    // a network's `attachable` and `ipam`: sent as docker sends them. (Not in
    // the file above: envctl cannot tell that a secret docker made holds the
    // file's content, and would make a new version.)
    let file = file
        .replace(
            "  site:\n    file: ./site.conf\n",
            "  site:\n    file: ./site.conf\n    template_driver: golang\n    labels:\n      team: web\n",
        )
        .replace(
            "  back: {}\n",
            "  back:\n    attachable: true\n    labels: [tier=back]\n    ipam:\n      config:\n        - subnet: 10.77.7.0/24\n",
        )
        .replace(
            "  db:\n",
            "  db:\n    secrets: [token]\n    sysctls: {net.core.somaxconn: 1024}\n    ulimits: {nproc: 4096, nofile: {soft: 1024, hard: 2048}}\n",
        )
        .replace(
            "  web:\n",
            "  web:\n    volumes:\n      - type: tmpfs\n        target: /cache\n        tmpfs: {size: 1048576}\n      - type: volume\n        source: data\n        target: /data\n        volume: {nocopy: true}\n",
        )
        + "secrets:\n  token:\n    file: ./token.txt\n    labels:\n      team: core\nvolumes:\n  data:\n    labels: {kept: \"yes\"}\n";
    std::fs::write(test.path().join("docker-compose.yml"), &file).expect("write the file");
    let (theirs_specs, theirs_objects) = {
        // Deployed again, inspected, removed: the ports would clash otherwise.
        let left = wait_gone(&theirs);
        assert!(left.is_empty(), "docker stack rm left {left:?}");
        wait_networks_unlisted(&theirs);
        assert_success(
            &docker(&[
                "stack",
                "deploy",
                "--detach=true",
                "--resolve-image",
                "never",
                "-c",
                &test.path().join("docker-compose.yml").display().to_string(),
                &theirs,
            ]),
            "docker stack deploy",
        );
        let specs = masked_specs(&theirs);
        let objects = masked_objects(&theirs, &["10.77.7.0/24"]);
        docker(&["stack", "rm", &theirs]);
        let left = wait_gone(&theirs);
        assert!(left.is_empty(), "docker stack rm left {left:?}");
        (specs, objects)
    };
    let output = envctl(&test, &["stack", "deploy", "--detach", &ours]);
    assert_success(&output, "envctl stack deploy");
    let ours_specs = masked_specs(&ours);
    let ours_objects = masked_objects(&ours, &["10.77.7.0/24"]);
    // Deployed again, nothing changed: the specs made compare equal to those held.
    let again = envctl(&test, &["stack", "deploy", "--dry-run", &ours]);
    assert!(again.stdout.contains("nothing to do"), "{}", again.render());
    assert_eq!(
        ours_objects["config"]["STACK_site"]["Templating"]["Name"], "golang",
        "{ours_objects:#}"
    );
    assert_eq!(
        ours_objects["secret"]["STACK_token"]["Labels"]["team"],
        "core"
    );
    assert_eq!(
        ours_objects["network"]["STACK_back"]["Labels"]["tier"],
        "back"
    );
    assert_eq!(
        serde_json::to_string_pretty(&ours_objects).expect("JSON"),
        serde_json::to_string_pretty(&theirs_objects).expect("JSON"),
    );
    assert_eq!(
        ours_specs["STACK_web"]["TaskTemplate"]["ContainerSpec"]["Configs"],
        serde_json::json!([
            {"ConfigName": "STACK_motd", "File": {"Name": "motd", "UID": "0", "GID": "0", "Mode": 292}},
            {"ConfigName": "STACK_site", "File": {"Name": "/etc/site.conf", "UID": "1", "GID": "0", "Mode": 288}},
        ]),
        "the configs were compared"
    );
    // The template was rendered in the task (`golang`: `{{ "80" }}` is `80`).
    // Four replicas on two nodes: some run on the manager, where `docker` points.
    let started = std::time::Instant::now();
    let container = loop {
        let running = docker_lines(&[
            "ps",
            "--filter",
            &format!("label=com.docker.swarm.service.name={ours}_web"),
            "--format",
            "{{.ID}}",
        ]);
        if let Some(container) = running.into_iter().next() {
            break container;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(90),
            "no task of {ours}_web ran on the manager"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    let rendered = docker_lines(&["exec", &container, "cat", "/etc/site.conf"]).join("");
    assert_eq!(rendered, "listen 80;");
    assert_eq!(
        serde_json::to_string_pretty(&ours_specs).expect("JSON"),
        serde_json::to_string_pretty(&theirs_specs).expect("JSON"),
    );
}

#[test]
fn settings_a_swarm_cannot_run_are_refused_at_once_with_their_places() {
    let stack = stack_name("swarm-refuse");
    let _guard = StackGuard(stack.clone());
    let test = Test::new().file(
        "docker-compose.yml",
        "version: \"2.4\"\nservices:\n  a:\n    image: envctl-test/busybox\n    privileged: true\n    devices: [\"/dev/null:/dev/null\"]\n  b:\n    image: envctl-test/busybox\n    network_mode: \"container:a\"\n    ports: [\"127.0.0.1:8080:80\"]\n  c:\n    build: .\n    volumes: [\"./data:/data\"]\n",
    );
    let output = envctl(&test, &["stack", "deploy", &stack]);
    assert_eq!(output.code, Some(1), "{}", output.render());
    let text = output.stderr.replace('│', " ");
    for expected in [
        "setting(s) cannot run on a swarm; nothing was changed",
        "`a.privileged`",
        "`a.devices`",
        "`b.network_mode`",
        "`b.ports`",
        "`c.build`",
        "`c.volumes`",
        "docker-compose.yml:3:",
        "docker-compose.yml:7:",
        "docker-compose.yml:11:",
    ] {
        assert!(
            text.contains(expected),
            "missing {expected:?}: {}",
            output.render()
        );
    }
    assert_eq!(wait_gone(&stack), Vec::<String>::new(), "nothing was made");
}

#[test]
fn a_failed_update_rolls_back_and_the_exit_code_says_so() {
    let stack = stack_name("swarm-rollback");
    let _guard = StackGuard(stack.clone());
    let good = "version: \"3.8\"\nservices:\n  app:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 2\n      update_config:\n        monitor: 2s\n        failure_action: rollback\n      rollback_config:\n        monitor: 1s\n";
    let test = Test::new().file("docker-compose.yml", good);
    assert_success(&envctl(&test, &["stack", "deploy", &stack]), "first deploy");
    let app = format!("{stack}_app");
    std::fs::write(
        test.path().join("docker-compose.yml"),
        good.replace(
            "[\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]",
            "[\"sh\", \"-c\", \"exit 1\"]",
        ),
    )
    .expect("write the file");
    let output = envctl(&test, &["stack", "deploy", "--timeout", "120", &stack]);
    assert_eq!(output.code, Some(3), "{}", output.render());
    assert!(output.stderr.contains("rolled back"), "{}", output.render());
    let args = docker_lines(&[
        "service",
        "inspect",
        "--format",
        "{{json .Spec.TaskTemplate.ContainerSpec.Args}}",
        &app,
    ]);
    assert!(
        args.join("").contains("trap"),
        "the previous spec runs again: {args:?}"
    );
}

#[test]
fn one_shot_services_converge_when_done_and_secrets_move_when_their_content_changes() {
    let stack = stack_name("swarm-oneshot");
    let _guard = StackGuard(stack.clone());
    let file = "version: \"3.8\"\nservices:\n  migrate:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"test -s /run/secrets/token\"]\n    secrets: [token]\n    deploy:\n      restart_policy:\n        condition: none\nsecrets:\n  token:\n    file: ./token.txt\n";
    let test = Test::new()
        .file("docker-compose.yml", file)
        .file("token.txt", "first");
    let output = envctl(&test, &["stack", "deploy", "--timeout", "60", &stack]);
    assert_success(&output, "deploy of a one-shot service");
    assert!(output.stderr.contains("converged"), "{}", output.render());
    let secret = format!("{stack}_token");
    assert_eq!(
        docker_lines(&[
            "secret",
            "ls",
            "--filter",
            &format!("name={secret}"),
            "--format",
            "{{.Name}}"
        ]),
        vec![secret.clone()]
    );

    std::fs::write(test.path().join("token.txt"), "second").expect("write the secret");
    let output = envctl(&test, &["stack", "deploy", "--timeout", "60", &stack]);
    assert_success(&output, "re-deploy with a changed secret");
    let names = docker_lines(&[
        "service",
        "inspect",
        "--format",
        "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}{{end}}",
        &format!("{stack}_migrate"),
    ]);
    assert_eq!(names.len(), 1);
    assert!(
        names[0].starts_with(&format!("{secret}_")),
        "a versioned secret: {names:?}"
    );
    // The converged deploy removed the first version, which nothing uses now.
    assert_eq!(
        docker_lines(&[
            "secret",
            "ls",
            "--filter",
            &format!("label=com.docker.stack.namespace={stack}"),
            "--format",
            "{{.Name}}"
        ]),
        names,
        "{}",
        output.render()
    );
}

/// Lines of `docker config ls` for the stack's configs: `name`.
fn stack_configs(stack: &str) -> Vec<String> {
    let mut names = docker_lines(&[
        "config",
        "ls",
        "--filter",
        &format!("label=com.docker.stack.namespace={stack}"),
        "--format",
        "{{.Name}}",
    ]);
    names.sort();
    names
}

/// A config is mounted at `/<key>` by default; when its file changes, a new
/// version is made, the service moves to it, and once the stack has converged
/// the earlier version is removed, never one a service still uses.
#[test]
fn configs_move_when_their_content_changes_and_earlier_versions_are_removed() {
    let stack = stack_name("swarm-configs");
    let _guard = StackGuard(stack.clone());
    // One-shot services: each converges only if it read what it expects.
    let file = "version: \"3.8\"\nservices:\n  check:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"grep -qx WANTED /site.conf && test \\\"$$(stat -c %a /etc/other.conf)\\\" = 440\"]\n    configs:\n      - site.conf\n      - source: other\n        target: /etc/other.conf\n        mode: 0440\n    deploy:\n      restart_policy:\n        condition: none\n  keep:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"grep -qx kept /other\"]\n    configs: [other]\n    deploy:\n      restart_policy:\n        condition: none\nconfigs:\n  site.conf:\n    file: ./site.conf\n  other:\n    file: ./other.conf\n";
    let test = Test::new()
        .file("docker-compose.yml", &file.replace("WANTED", "first"))
        .file("site.conf", "first\n")
        .file("other.conf", "kept\n");
    let output = envctl(&test, &["stack", "deploy", "--timeout", "90", &stack]);
    assert_success(&output, "deploy with configs");
    let site = format!("{stack}_site.conf");
    let other = format!("{stack}_other");
    assert_eq!(stack_configs(&stack), vec![other.clone(), site.clone()]);

    std::fs::write(
        test.path().join("docker-compose.yml"),
        file.replace("WANTED", "second"),
    )
    .expect("write the file");
    std::fs::write(test.path().join("site.conf"), "second\n").expect("write the config");
    let dry = envctl(&test, &["stack", "deploy", "--dry-run", &stack]);
    assert_success(&dry, "dry-run of a changed config");
    assert!(
        dry.stdout.contains(&format!("config {site}_")) && dry.stdout.contains(": create"),
        "{}",
        dry.render()
    );
    assert!(
        dry.stdout.contains(&format!("config {other}: keep")),
        "{}",
        dry.render()
    );
    let output = envctl(&test, &["stack", "deploy", "--timeout", "90", &stack]);
    assert_success(&output, "re-deploy with a changed config");
    let names = docker_lines(&[
        "service",
        "inspect",
        "--format",
        "{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}",
        &format!("{stack}_check"),
    ]);
    let names: Vec<&str> = names
        .iter()
        .flat_map(|line| line.split_whitespace())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names
            .iter()
            .any(|name| name.starts_with(&format!("{site}_"))),
        "a versioned config: {names:?}"
    );
    // The first version is gone; `other`, still used, stays.
    let configs = stack_configs(&stack);
    assert_eq!(configs.len(), 2, "{configs:?}: {}", output.render());
    assert!(configs.contains(&other), "{configs:?}");
    assert!(!configs.contains(&site), "{configs:?}");
    assert!(
        output
            .stderr
            .contains(&format!("Removing config {site} (an earlier version)")),
        "{}",
        output.render()
    );
}

// See: #20
#[test]
fn a_label_only_change_updates_secrets_and_configs_in_place() {
    let stack = stack_name("swarm-relabel");
    let _guard = StackGuard(stack.clone());
    let file = "version: \"3.8\"\nservices:\n  app:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n    stop_grace_period: 1s\n    secrets: [token]\n    configs: [site]\nsecrets:\n  token:\n    file: ./token.txt\n    labels: {team: TEAM}\nconfigs:\n  site:\n    file: ./site.conf\n    labels: [team=TEAM]\n";
    let test = Test::new()
        .file("docker-compose.yml", &file.replace("TEAM", "first"))
        .file("token.txt", "s3cret\n")
        .file("site.conf", "listen 80;\n");
    assert_success(
        &envctl(&test, &["stack", "deploy", "--detach", &stack]),
        "first deploy",
    );
    let inspect = |kind: &str, name: &str| {
        docker_lines(&[
            kind,
            "inspect",
            "--format",
            "{{.ID}} {{.Version.Index}} {{index .Spec.Labels \"team\"}}",
            name,
        ])
        .join("")
    };
    let secret = format!("{stack}_token");
    let config = format!("{stack}_site");
    let service_version = || {
        docker_lines(&[
            "service",
            "inspect",
            "--format",
            "{{.Version.Index}}",
            &format!("{stack}_app"),
        ])
        .join("")
    };
    let before = (
        inspect("secret", &secret),
        inspect("config", &config),
        service_version(),
    );
    assert!(before.0.ends_with(" first"), "{before:?}");
    assert!(before.1.ends_with(" first"), "{before:?}");

    std::fs::write(
        test.path().join("docker-compose.yml"),
        file.replace("TEAM", "second"),
    )
    .expect("write the file");
    let dry = envctl(&test, &["stack", "deploy", "--dry-run", &stack]);
    assert_success(&dry, "dry-run of a label change");
    for expected in [
        format!("secret {secret}: update (Labels)"),
        format!("config {config}: update (Labels)"),
        format!("service {stack}_app: keep (unchanged)"),
    ] {
        assert!(
            dry.stdout.contains(&expected),
            "{expected}: {}",
            dry.render()
        );
    }
    assert_success(
        &envctl(&test, &["stack", "deploy", "--detach", &stack]),
        "re-deploy with changed labels",
    );
    let after = (
        inspect("secret", &secret),
        inspect("config", &config),
        service_version(),
    );
    for (first, second) in [(&before.0, &after.0), (&before.1, &after.1)] {
        let (id, _) = first.split_once(' ').expect("id");
        assert!(
            second.starts_with(&format!("{id} ")) && second.ends_with(" second"),
            "the same object, relabelled: {first} -> {second}"
        );
        assert_ne!(first, second);
    }
    assert_eq!(before.2, after.2, "the service was not updated");
    let again = envctl(&test, &["stack", "deploy", "--dry-run", &stack]);
    assert!(again.stdout.contains("nothing to do"), "{}", again.render());
}

#[test]
fn v1_links_become_aliases_on_the_stack_network() {
    let stack = stack_name("swarm-v1");
    let _guard = StackGuard(stack.clone());
    let test = Test::new().file(
        "docker-compose.yml",
        "db:\n  image: envctl-test/busybox\n  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n  mem_limit: 32m\n  restart: on-failure:3\nweb:\n  image: envctl-test/busybox\n  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; until nslookup database >/dev/null 2>&1 || ping -c1 -W1 database; do sleep 1; done; while :; do sleep 1; done\"]\n  links: [\"db:database\"]\n",
    );
    let output = envctl(&test, &["stack", "deploy", "--timeout", "90", &stack]);
    assert_success(&output, "deploy of a v1 file");
    let db = format!("{stack}_db");
    let spec = docker_lines(&["service", "inspect", "--format", "{{json .Spec}}", &db]).join("");
    let spec: serde_json::Value = serde_json::from_str(&spec).expect("a JSON spec");
    assert_eq!(
        spec["TaskTemplate"]["Networks"][0]["Aliases"],
        serde_json::json!(["database", "db"])
    );
    assert_eq!(
        spec["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"],
        33_554_432
    );
    assert_eq!(
        spec["TaskTemplate"]["RestartPolicy"]["Condition"],
        "on-failure"
    );
    assert_eq!(spec["TaskTemplate"]["RestartPolicy"]["MaxAttempts"], 3);
}

#[test]
fn a_service_healthy_dependency_converges_before_its_dependent_is_created() {
    let stack = stack_name("swarm-healthy");
    let _guard = StackGuard(stack.clone());
    let test = Test::new().file(
        "docker-compose.yml",
        "version: \"2.4\"\nservices:\n  db:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 3; touch /tmp/ready; while :; do sleep 1; done\"]\n    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"]\n      interval: 1s\n  web:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    let dry = envctl(&test, &["stack", "deploy", "--dry-run", &stack]);
    assert!(
        dry.stdout.contains(&format!(
            "service {stack}_web: create, after {stack}_db is healthy"
        )),
        "{}",
        dry.render()
    );
    let output = envctl(&test, &["stack", "deploy", "--timeout", "60", &stack]);
    assert_success(&output, "deploy");
    let converged = output
        .stderr
        .find(&format!("service {stack}_db: converged"))
        .expect("db converged");
    let created = output
        .stderr
        .find(&format!("Creating service {stack}_web"))
        .expect("web created");
    assert!(
        converged < created,
        "db healthy before web is made: {}",
        output.render()
    );
}

/// The seed platform (fixtures/demo: v1, `extends`, `.env`, `links`, a data-only
/// container used through `volumes_from`) deployed as it is: the data-only
/// service becomes a named volume, `db` is pinned to the manager, and the front
/// page answers through the cluster's ingress.
#[test]
fn the_seed_v1_platform_deploys_as_it_is() {
    let stack = stack_name("swarm-seed");
    let _guard = StackGuard(stack.clone());
    let demo = support::repo_root().join("fixtures/demo");
    let read = |name: &str| std::fs::read_to_string(demo.join(name)).expect("the demo's file");
    let test = Test::new()
        .file("docker-compose.yml", &read("docker-compose.yml"))
        .file("common.yml", &read("common.yml"))
        .file(
            ".env",
            &read(".env").replace("FRONT_PORT=18080", "FRONT_PORT=18090"),
        );
    let dry = envctl(&test, &["stack", "deploy", "--dry-run", &stack]);
    assert_success(&dry, "dry-run of the demo");
    assert!(
        dry.stdout.contains(&format!(
            "data-only service dbdata: not deployed; its volumes: {stack}_dbdata_0 at /var/lib/demo-db"
        )),
        "{}",
        dry.render()
    );
    let output = envctl(&test, &["stack", "deploy", "--timeout", "120", &stack]);
    assert_success(&output, "deploy of the demo");
    let db = format!("{stack}_db");
    let spec = docker_lines(&["service", "inspect", "--format", "{{json .Spec}}", &db]).join("");
    let spec: serde_json::Value = serde_json::from_str(&spec).expect("a JSON spec");
    let manager_id = docker_lines(&["info", "--format", "{{.Swarm.NodeID}}"]).join("");
    assert_eq!(
        spec["TaskTemplate"]["Placement"]["Constraints"],
        serde_json::json!([format!("node.id=={manager_id}")])
    );
    assert_eq!(
        spec["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["Source"],
        format!("{stack}_dbdata_0")
    );
    let web1 = format!("{stack}_web1");
    let web1 = docker_lines(&[
        "service",
        "inspect",
        "--format",
        "{{json .Spec.TaskTemplate.Resources}}",
        &web1,
    ])
    .join("");
    assert!(
        web1.contains("67108864"),
        "mem_limit from common.yml: {web1}"
    );
    // From front's container, on whichever node it runs: the link names resolve
    // on the stack's network, and web1 answers across the overlay. (Through its
    // task address: this machine's kernel has no IPVS, which the ingress routing
    // mesh and service VIPs need; docs/swarm.md, "The test cluster".)
    let front = format!("{stack}_front");
    let task = docker_lines(&[
        "service",
        "ps",
        &front,
        "-q",
        "--filter",
        "desired-state=running",
    ]);
    let task = task.first().expect("a running front task");
    let placed = docker_lines(&[
        "inspect",
        "--format",
        "{{.NodeID}} {{.Status.ContainerStatus.ContainerID}}",
        task,
    ])
    .join("");
    let (node, container) = placed.split_once(' ').expect("node and container");
    let host = if node == manager_id {
        manager().to_owned()
    } else {
        manager().replace("node0", "node1")
    };
    let exec = |command: &str| {
        let output = std::process::Command::new("docker")
            .args(["exec", container, "sh", "-c", command])
            .env("DOCKER_HOST", &host)
            .output()
            .expect("docker exec runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    for name in ["web1", "web2", "db"] {
        assert!(
            exec(&format!("nslookup {name}")).contains("Address"),
            "{name} resolves"
        );
    }
    let mut page = String::new();
    for _ in 0..20 {
        page = exec("timeout 5 wget -qO- http://tasks.web1/cgi-bin/hello");
        if page.contains("Hello from web1") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(
        page.contains("Hello from web1"),
        "web1 answers front: {page}"
    );
}

/// A tag of `envctl-test/busybox` pushed to the cluster's registry
/// (`cluster.sh registry`) by the manager; untagged on drop.
struct PushedImage(String);

impl PushedImage {
    fn push(name: &str) -> Self {
        let registry = support::swarm::node_script(&["registry"]).stdout;
        let reference = format!("{}/{name}:1", registry.trim());
        let image = Self(reference.clone());
        assert_success(
            &docker(&["tag", "envctl-test/busybox", &reference]),
            "docker tag",
        );
        assert_success(&docker(&["push", "-q", &reference]), "docker push");
        image
    }
}

impl Drop for PushedImage {
    fn drop(&mut self) {
        docker(&["rmi", "-f", &self.0]);
    }
}

/// `--resolve-image always` pins the digest the registry gives, with the image's
/// platforms, exactly as `docker stack deploy --resolve-image always` does; the
/// label keeps the image as written; `never` pins nothing and changes nothing.
#[test]
fn resolve_image_pins_the_registry_digest_as_docker_does() {
    let theirs = stack_name("swarm-resolve-docker");
    let ours = stack_name("swarm-resolve-envctl");
    let _theirs = StackGuard(theirs.clone());
    let _ours = StackGuard(ours.clone());
    let image = PushedImage::push(&stack_name("resolve"));
    let file = format!(
        "version: \"3.8\"\nservices:\n  app:\n    image: {}\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 2\n",
        image.0
    );
    let test = Test::new().file("docker-compose.yml", &file);
    assert_success(
        &docker(&[
            "stack",
            "deploy",
            "--detach=true",
            "--resolve-image",
            "always",
            "-c",
            &test.path().join("docker-compose.yml").display().to_string(),
            &theirs,
        ]),
        "docker stack deploy --resolve-image always",
    );
    let output = envctl(
        &test,
        &["stack", "deploy", "--resolve-image", "always", &ours],
    );
    assert_success(&output, "envctl stack deploy --resolve-image always");
    assert!(!output.stderr.contains(NOT_RESOLVED), "{}", output.render());
    let pinned = |stack: &str| {
        docker_lines(&[
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}} {{json .Spec.TaskTemplate.Placement.Platforms}} {{index .Spec.Labels \"com.docker.stack.image\"}}",
            &format!("{stack}_app"),
        ])
        .join("")
    };
    let ours_pinned = pinned(&ours);
    assert_eq!(ours_pinned, pinned(&theirs));
    assert!(
        ours_pinned.starts_with(&format!("{}@sha256:", image.0))
            && ours_pinned.ends_with(&format!(" {}", image.0)),
        "{ours_pinned}"
    );
    // The tasks run the pinned image on both nodes, pulled from the registry.
    assert!(
        output
            .stderr
            .contains(&format!("service {ours}_app: converged")),
        "{}",
        output.render()
    );
    // The same digest again: nothing to do; `never` asks nothing and changes nothing.
    for mode in ["always", "never"] {
        let again = envctl(
            &test,
            &[
                "stack",
                "deploy",
                "--dry-run",
                "--resolve-image",
                mode,
                &ours,
            ],
        );
        assert_success(&again, mode);
        assert!(
            again.stdout.contains("nothing to do"),
            "{mode}: {}",
            again.render()
        );
    }
}

/// Removes a tag from the manager on drop.
struct ManagerTag(String);

impl Drop for ManagerTag {
    fn drop(&mut self) {
        docker(&["rmi", "-f", &self.0]);
    }
}

/// `build` deploys only with `--push`, which needs `image`; with it, the image is
/// built on the manager, pushed to the registry `image` names, and its pushed
/// digest pinned: both nodes pull it from there.
#[test]
fn build_with_push_builds_pushes_and_pins_the_digest() {
    let stack = stack_name("swarm-push");
    let _guard = StackGuard(stack.clone());
    let registry = support::swarm::node_script(&["registry"]).stdout;
    let reference = format!("{}/{}:1", registry.trim(), stack_name("built"));
    let _tag = ManagerTag(reference.clone());
    let file = format!(
        "version: \"3.8\"\nservices:\n  app:\n    build: ./app\n    image: {reference}\n    command: [\"sh\", \"-c\", \"grep -qx {stack} /marker && trap 'exit 0' TERM && while :; do sleep 1; done\"]\n    stop_grace_period: 1s\n    deploy:\n      replicas: 2\n      placement:\n        max_replicas_per_node: 1\n"
    );
    let test = Test::new()
        .file("docker-compose.yml", &file)
        .file(
            "app/Dockerfile",
            "FROM envctl-test/busybox\nCOPY marker /marker\n",
        )
        .file("app/marker", &format!("{stack}\n"));

    let refused = envctl(&test, &["stack", "deploy", &stack]);
    assert_eq!(refused.code, Some(1), "{}", refused.render());
    assert!(
        refused.stderr.contains("`app.build`") && refused.stderr.contains("`--push`"),
        "{}",
        refused.render()
    );
    let without_image = Test::new().file(
        "docker-compose.yml",
        "version: \"3.8\"\nservices:\n  app:\n    build: .\n",
    );
    let refused = envctl(&without_image, &["stack", "deploy", "--push", &stack]);
    assert_eq!(refused.code, Some(1), "{}", refused.render());
    assert!(
        refused.stderr.contains("`--push` needs `image`")
            && refused.stderr.contains("docker-compose.yml:3:"),
        "{}",
        refused.render()
    );
    assert_eq!(wait_gone(&stack), Vec::<String>::new(), "nothing was made");

    let output = envctl(
        &test,
        &["stack", "deploy", "--push", "--timeout", "120", &stack],
    );
    assert_success(&output, "stack deploy --push");
    assert!(
        output.stderr.contains(&format!("Pushing {reference}"))
            && output
                .stderr
                .contains(&format!("service {stack}_app: converged")),
        "{}",
        output.render()
    );
    // The digest the registry holds for the pushed tag is the one pinned.
    let pushed = docker_lines(&[
        "image",
        "inspect",
        "--format",
        "{{range .RepoDigests}}{{.}} {{end}}",
        &reference,
    ])
    .join(" ");
    let pinned = docker_lines(&[
        "service",
        "inspect",
        "--format",
        "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
        &format!("{stack}_app"),
    ])
    .join("");
    let (pinned_name, digest) = pinned.split_once('@').expect("a pinned image");
    assert_eq!(pinned_name, reference);
    assert!(
        digest.starts_with("sha256:") && pushed.contains(digest),
        "pinned {pinned}, pushed {pushed}"
    );
    // One task on each node: the worker pulled it from the registry.
    let nodes: BTreeSet<String> = docker_lines(&[
        "service",
        "ps",
        "--filter",
        "desired-state=running",
        "--format",
        "{{.ID}}",
        &format!("{stack}_app"),
    ])
    .iter()
    .flat_map(|task| docker_lines(&["inspect", "--format", "{{.NodeID}}", task]))
    .collect();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
}
