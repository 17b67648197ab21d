//! `Service::host`, the typed v2/v3 host settings (#19: "every value has one typed
//! reading, made once in the parser's model"). The executor used to read these
//! from the untyped `container_options()` JSON; `legacy` below is that reading,
//! kept here so that the typed one is proved to give the same values for every
//! fixture of the repository and for a file that writes each key in each form.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use envctl_parser::{HostSettings, LoadOptions, Service, load};
use indexmap::IndexMap;
use serde_json::Value;

/// The executor's reading before #19, from `container_options()` (and `options`
/// for `extra_hosts` and the keys not applied), verbatim.
fn legacy(service: &Service) -> HostSettings {
    let option = |key: &str| service.container_options().get(key);
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let string = |key: &str| option(key).map(text);
    let integer = |key: &str| {
        option(key).and_then(|value| match value {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        })
    };
    let boolean = |key: &str| option(key).and_then(Value::as_bool);
    let strings = |key: &str| -> Vec<String> {
        match option(key) {
            Some(Value::Array(items)) => items.iter().map(text).collect(),
            Some(Value::Null) | None => Vec::new(),
            Some(other) => vec![text(other)],
        }
    };
    let mapping = |key: &str| -> IndexMap<String, String> {
        match option(key) {
            Some(Value::Object(entries)) => entries
                .iter()
                .map(|(name, value)| (name.clone(), text(value)))
                .collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    let item = text(item);
                    match item.split_once('=') {
                        Some((name, value)) => (name.to_owned(), value.to_owned()),
                        None => (item, String::new()),
                    }
                })
                .collect(),
            _ => IndexMap::new(),
        }
    };
    #[allow(clippy::cast_possible_truncation)]
    let nano_cpus = option("cpus")
        .and_then(|value| match value {
            Value::Number(number) => number.as_f64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        })
        .map(|cpus| (cpus * 1e9) as i64);
    HostSettings {
        init: option("init").map(|value| value.as_bool().unwrap_or(true)),
        sysctls: mapping("sysctls"),
        tmpfs: strings("tmpfs")
            .into_iter()
            .map(|mount| match mount.split_once(':') {
                Some((path, options)) => (path.to_owned(), options.to_owned()),
                None => (mount, String::new()),
            })
            .collect(),
        userns_mode: string("userns_mode"),
        pids_limit: integer("pids_limit"),
        oom_score_adj: integer("oom_score_adj"),
        oom_kill_disable: boolean("oom_kill_disable"),
        group_add: strings("group_add"),
        dns_opt: strings("dns_opt"),
        nano_cpus,
        cpu_period: integer("cpu_period"),
        cpu_rt_period: integer("cpu_rt_period"),
        cpu_rt_runtime: integer("cpu_rt_runtime"),
        cpu_count: integer("cpu_count"),
        cpu_percent: integer("cpu_percent"),
        runtime: string("runtime"),
        device_cgroup_rules: strings("device_cgroup_rules"),
        storage_opt: mapping("storage_opt"),
        extra_hosts_listed: match service.options.get("extra_hosts") {
            Some(Value::Array(items)) => Some(items.iter().map(text).collect()),
            _ => None,
        },
        not_applied: ["blkio_config", "isolation", "stop_grace_period"]
            .iter()
            .filter(|key| service.options.contains_key(**key))
            .map(|key| (*key).to_owned())
            .collect(),
    }
}

/// `settings` with its mappings in a stable order (the engine gets them as JSON
/// objects, so their order is not sent).
fn comparable(settings: &HostSettings) -> (HostSettings, [BTreeMap<String, String>; 2]) {
    let mut unordered = settings.clone();
    let sysctls = std::mem::take(&mut unordered.sysctls).into_iter().collect();
    let storage_opt = std::mem::take(&mut unordered.storage_opt)
        .into_iter()
        .collect();
    (unordered, [sysctls, storage_opt])
}

fn assert_same(file: &Path, service: &Service) {
    assert_eq!(
        comparable(&service.host),
        comparable(&legacy(service)),
        "{}: service `{}`",
        file.display(),
        service.name
    );
}

fn yaml_files(directory: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| {
                Path::new(name)
                    .extension()
                    .is_some_and(|extension| extension == "yml" || extension == "yaml")
                    && !name.contains(".expected.")
            })
        {
            found.push(path);
        }
    }
}

/// Every compose file of the repository's fixtures that loads: the typed reading is
/// the JSON one.
#[test]
fn every_fixture_reads_the_same_as_from_the_options() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut files = Vec::new();
    yaml_files(&fixtures, &mut files);
    assert!(
        files.len() > 100,
        "the fixtures were not found under {}",
        fixtures.display()
    );
    let mut services = 0;
    for file in files {
        let directory = file.parent().expect("a parent").to_path_buf();
        let mut options = LoadOptions::new(&directory);
        options.files = vec![file.clone()];
        options
            .environment
            .insert("HOME".to_owned(), "/root".to_owned());
        let Ok(project) = load(&options) else {
            continue;
        };
        for service in project.services.values() {
            assert_same(&file, service);
            services += 1;
        }
    }
    assert!(services > 200, "only {services} services loaded");
}

/// Each key in each form the schema lets through: lists, mappings, single values,
/// numbers as strings, v3's `deploy` cpus over the service's own.
#[test]
fn every_form_of_each_key_reads_the_same_as_from_the_options() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let text = r#"
version: "2.4"
services:
  lists:
    image: busybox
    init: true
    sysctls: [net.core.somaxconn=1024, "net.ipv4.tcp_syncookies=0", bare]
    tmpfs: [/run, "/tmp:size=64m,mode=1777"]
    userns_mode: host
    pids_limit: 100
    oom_score_adj: -500
    oom_kill_disable: true
    group_add: [audio, 1001]
    dns_opt: [use-vc, "ndots:2"]
    cpus: 1.5
    cpu_period: "100000"
    cpu_rt_period: 1000000
    cpu_rt_runtime: 950000
    cpu_count: 2
    cpu_percent: 50
    runtime: runc
    device_cgroup_rules: ["c 1:3 mr"]
    storage_opt: {size: 1G}
    extra_hosts: ["z:1.1.1.1", "a:2.2.2.2"]
    blkio_config: {weight: 300}
  mappings:
    image: busybox
    sysctls: {net.core.somaxconn: 1024, kernel.shm_rmid_forced: null, b: 2}
    tmpfs: /run
    group_add: [audio]
    cpus: "0.25"
    pids_limit: "-1"
    storage_opt: {size: 1G, b: 2}
    extra_hosts: {z: 1.1.1.1, a: 2.2.2.2}
    isolation: default
  unset:
    image: busybox
    init: false
    oom_kill_disable: false
    cpus: 2
"#;
    std::fs::write(directory.path().join("docker-compose.yml"), text).expect("write");
    let mut options = LoadOptions::new(directory.path());
    options.files = vec![directory.path().join("docker-compose.yml")];
    let project = load(&options).expect("the file loads");
    for service in project.services.values() {
        assert_same(Path::new("docker-compose.yml"), service);
    }
    let lists = &project.services["lists"].host;
    assert_eq!(lists.nano_cpus, Some(1_500_000_000));
    assert_eq!(lists.group_add, ["audio", "1001"]);
    assert_eq!(lists.tmpfs["/tmp"], "size=64m,mode=1777");
    assert_eq!(lists.sysctls["bare"], "");
    assert_eq!(lists.cpu_period, Some(100_000));
    assert_eq!(
        lists.extra_hosts_listed.as_deref(),
        Some(&["z:1.1.1.1".to_owned(), "a:2.2.2.2".to_owned()][..])
    );
    assert_eq!(lists.not_applied, ["blkio_config"]);
    let mappings = &project.services["mappings"].host;
    assert_eq!(mappings.init, None);
    assert_eq!(mappings.sysctls["b"], "2");
    assert_eq!(mappings.nano_cpus, Some(250_000_000));
    assert_eq!(mappings.pids_limit, Some(-1));
    assert_eq!(mappings.sysctls["kernel.shm_rmid_forced"], "");
    assert_eq!(mappings.storage_opt["b"], "2");
    assert_eq!(mappings.extra_hosts_listed, None);
    assert_eq!(project.services["unset"].host.init, Some(false));

    let v3 = r#"
version: "3.8"
services:
  worker:
    image: busybox
    cpus: 2
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 64m}
"#;
    std::fs::write(directory.path().join("docker-compose.yml"), v3).expect("write");
    let project = load(&options).expect("the v3 file loads");
    let worker = &project.services["worker"];
    assert_same(Path::new("v3"), worker);
    assert_eq!(worker.host.nano_cpus, Some(500_000_000));
}

/// Whether `key`'s typed setting holds a value.
fn is_set(host: &HostSettings, key: &str) -> bool {
    match key {
        "init" => host.init.is_some(),
        "sysctls" => !host.sysctls.is_empty(),
        "tmpfs" => !host.tmpfs.is_empty(),
        "userns_mode" => host.userns_mode.is_some(),
        "pids_limit" => host.pids_limit.is_some(),
        "oom_score_adj" => host.oom_score_adj.is_some(),
        "oom_kill_disable" => host.oom_kill_disable.is_some(),
        "group_add" => !host.group_add.is_empty(),
        "dns_opt" => !host.dns_opt.is_empty(),
        "cpus" => host.nano_cpus.is_some(),
        "cpu_period" => host.cpu_period.is_some(),
        "cpu_rt_period" => host.cpu_rt_period.is_some(),
        "cpu_rt_runtime" => host.cpu_rt_runtime.is_some(),
        "cpu_count" => host.cpu_count.is_some(),
        "cpu_percent" => host.cpu_percent.is_some(),
        "runtime" => host.runtime.is_some(),
        "device_cgroup_rules" => !host.device_cgroup_rules.is_empty(),
        "storage_opt" => !host.storage_opt.is_empty(),
        "blkio_config" | "isolation" | "stop_grace_period" => {
            host.not_applied.contains(&key.to_owned())
        }
        other => panic!("no typed setting for `{other}`"),
    }
}

/// The property #19 asks of the typed model, for the host settings: a value of any
/// YAML type is either refused (by the schema, with a location, or as a located
/// refusal the planner stops on) or read into its typed field; never accepted and
/// then left out of the container.
#[test]
fn a_host_setting_of_any_type_is_refused_or_typed_never_dropped() {
    const KEYS: &[&str] = &[
        "init",
        "sysctls",
        "tmpfs",
        "userns_mode",
        "pids_limit",
        "oom_score_adj",
        "oom_kill_disable",
        "group_add",
        "dns_opt",
        "cpus",
        "cpu_period",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpu_count",
        "cpu_percent",
        "runtime",
        "device_cgroup_rules",
        "storage_opt",
        "blkio_config",
        "isolation",
        "stop_grace_period",
    ];
    const VALUES: &[&str] = &[
        "42",
        "-3",
        "1.5",
        "-.inf",
        "word",
        "\"12\"",
        "\"1.5\"",
        "true",
        "[word]",
        "[a=b]",
        "[1]",
        "{a: b}",
        "{a: 1}",
        "{weight: 300}",
        "10s",
    ];
    let mut failures = Vec::new();
    let mut read = 0;
    for key in KEYS {
        for value in VALUES {
            let text = format!(
                "version: \"2.4\"\nservices:\n  web:\n    image: busybox\n    {key}: {value}\n"
            );
            let Ok(project) = envctl_parser::parse_str("docker-compose.yml", &text) else {
                continue; // refused by the schema, with a location (schema.rs tests)
            };
            let service = &project.services["web"];
            if !service.refusals.is_empty() {
                continue; // a located refusal: `up` stops before creating anything
            }
            if is_set(&service.host, key) {
                read += 1;
            } else {
                failures.push(format!("`{key}: {value}` was accepted and not read"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every key took at least one of the values.
    assert!(read >= KEYS.len(), "only {read} values were accepted");
}
