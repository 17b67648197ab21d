//! A service's Swarm spec, made from the resolved `Project` as `docker stack deploy`
//! makes it (docker/cli `cli/compose/convert/service.go`), with the defaults the
//! swarm manager fills in written out, so that a spec read back from the cluster
//! compares equal to the one made here when nothing changed.
//!
//! The spec is the engine API's JSON (`ServiceSpec`): the executor hands it to the
//! engine as it is, and compares nothing.

use envctl_parser::{Command, Project, Service, parse_duration_nanoseconds};
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

/// `com.docker.stack.namespace`: the stack an object belongs to.
pub const NAMESPACE_LABEL: &str = "com.docker.stack.namespace";
/// `com.docker.stack.image`: the image as the file wrote it.
pub const IMAGE_LABEL: &str = "com.docker.stack.image";

const SECOND: i64 = 1_000_000_000;

/// `<stack>_<name>`.
pub fn scoped(stack: &str, name: &str) -> String {
    format!("{stack}_{name}")
}

/// The image as the manager stores it: a tag is added when there is none
/// (`busybox` → `busybox:latest`).
pub fn normalized_image(image: &str) -> String {
    if image.contains('@') {
        return image.to_owned();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

/// The secret names a service's spec refers to, by the key of their top-level
/// definition (decided by the plan: versioned when their content changed).
pub type SecretNames = IndexMap<String, String>;

/// One entry of a service's `configs` (v3.3+): a key of the top-level
/// `configs`, or the long form's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigReference {
    pub source: String,
    pub target: Option<String>,
    pub uid: Option<String>,
    pub gid: Option<String>,
    pub mode: Option<u64>,
}

/// The service's `configs`, as the file writes them (the parser keeps them in
/// `options`; the schema checked their form).
pub(crate) fn config_references(service: &Service) -> Vec<ConfigReference> {
    let Some(items) = service.options.get("configs").and_then(Value::as_array) else {
        return Vec::new();
    };
    let text = |item: &Value, key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
    items
        .iter()
        .filter_map(|item| match item {
            Value::String(source) => Some(ConfigReference {
                source: source.clone(),
                target: None,
                uid: None,
                gid: None,
                mode: None,
            }),
            Value::Object(_) => Some(ConfigReference {
                source: text(item, "source")?,
                target: text(item, "target"),
                uid: text(item, "uid"),
                gid: text(item, "gid"),
                mode: item.get("mode").and_then(Value::as_u64),
            }),
            _ => None,
        })
        .collect()
}

/// The network aliases `links` add: target service → aliases.
pub type LinkAliases = IndexMap<String, Vec<String>>;

/// The spec of `service` in `stack`.
pub(crate) fn service_spec(
    project: &Project,
    service: &Service,
    stack: &str,
    secret_names: &SecretNames,
    config_names: &SecretNames,
    link_aliases: &LinkAliases,
) -> Value {
    let deploy = service
        .options
        .get("deploy")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let image = service.image.clone().unwrap_or_default();

    let mut labels = string_map(deploy.get("labels"));
    labels.insert(NAMESPACE_LABEL.to_owned(), stack.to_owned());
    labels.insert(IMAGE_LABEL.to_owned(), image.clone());

    let mut container = Map::new();
    container.insert("Image".into(), json!(normalized_image(&image)));
    let mut container_labels: Map<String, Value> = service
        .labels
        .iter()
        .map(|(key, value)| (key.clone(), json!(value)))
        .collect();
    container_labels.insert(NAMESPACE_LABEL.into(), json!(stack));
    container.insert("Labels".into(), Value::Object(container_labels));
    if let Some(entrypoint) = &service.entrypoint {
        container.insert("Command".into(), json!(command_words(entrypoint)));
    }
    if let Some(command) = &service.command {
        container.insert("Args".into(), json!(command_words(command)));
    }
    let mut env: Vec<String> = service
        .environment
        .iter()
        .map(|(key, value)| match value {
            Some(value) => format!("{key}={value}"),
            None => key.clone(),
        })
        .collect();
    env.sort();
    container.insert("Env".into(), json!(env));
    insert_str(&mut container, "Hostname", service.hostname.as_deref());
    insert_str(&mut container, "Dir", service.working_dir.as_deref());
    insert_str(&mut container, "User", service.user.as_deref());
    insert_str(&mut container, "StopSignal", service.stop_signal.as_deref());
    container.insert("TTY".into(), json!(service.tty.unwrap_or(false)));
    container.insert(
        "OpenStdin".into(),
        json!(service.stdin_open.unwrap_or(false)),
    );
    container.insert("ReadOnly".into(), json!(service.read_only.unwrap_or(false)));
    if let Some(init) = service.options.get("init").and_then(Value::as_bool) {
        container.insert("Init".into(), json!(init));
    }
    container.insert("CapabilityAdd".into(), json!(service.cap_add));
    container.insert("CapabilityDrop".into(), json!(service.cap_drop));
    container.insert(
        "Hosts".into(),
        json!(
            service
                .extra_hosts
                .iter()
                .map(|(host, address)| format!("{address} {host}"))
                .collect::<Vec<_>>()
        ),
    );
    container.insert(
        "DNSConfig".into(),
        json!({"Nameservers": service.dns, "Search": service.dns_search}),
    );
    if let Some(health) = &service.healthcheck {
        container.insert(
            "Healthcheck".into(),
            json!({
                "Test": health.test,
                "Interval": health.interval,
                "Timeout": health.timeout,
                "StartPeriod": health.start_period,
                "Retries": health.retries,
            }),
        );
    }
    let grace = service
        .options
        .get("stop_grace_period")
        .and_then(Value::as_str)
        .and_then(parse_duration_nanoseconds)
        .unwrap_or(10 * SECOND);
    container.insert("StopGracePeriod".into(), json!(grace));
    container.insert(
        "Mounts".into(),
        Value::Array(mounts(project, service, stack)),
    );
    let mut secrets: Vec<Value> = service
        .secrets
        .iter()
        .filter_map(|secret| {
            let name = secret_names.get(&secret.source)?;
            let file_name = secret
                .target
                .clone()
                .unwrap_or_else(|| secret.source.clone());
            Some(json!({
                "File": {
                    "Name": file_name,
                    "UID": secret.uid.clone().unwrap_or_else(|| "0".into()),
                    "GID": secret.gid.clone().unwrap_or_else(|| "0".into()),
                    "Mode": secret.mode.as_ref().and_then(serde_json::Number::as_u64).unwrap_or(0o444),
                },
                "SecretName": name,
            }))
        })
        .collect();
    secrets.sort_by(|left, right| {
        left["SecretName"]
            .as_str()
            .cmp(&right["SecretName"].as_str())
    });
    container.insert("Secrets".into(), Value::Array(secrets));
    // docker/cli's `convertServiceConfigObjs`: the target defaults to the
    // config's key (the engine puts a relative one at `/<name>`), sorted by name.
    let mut configs: Vec<Value> = config_references(service)
        .into_iter()
        .filter_map(|reference| {
            let name = config_names.get(&reference.source)?;
            Some(json!({
                "File": {
                    "Name": reference.target.unwrap_or_else(|| reference.source.clone()),
                    "UID": reference.uid.unwrap_or_else(|| "0".into()),
                    "GID": reference.gid.unwrap_or_else(|| "0".into()),
                    "Mode": reference.mode.unwrap_or(0o444),
                },
                "ConfigName": name,
            }))
        })
        .collect();
    configs.sort_by(|left, right| {
        left["ConfigName"]
            .as_str()
            .cmp(&right["ConfigName"].as_str())
    });
    container.insert("Configs".into(), Value::Array(configs));
    container.insert(
        "Isolation".into(),
        json!(
            service
                .options
                .get("isolation")
                .and_then(Value::as_str)
                .unwrap_or("default")
        ),
    );
    // docker/cli's `convertUlimits`: sorted by name.
    let mut ulimits: Vec<Value> = service
        .ulimits
        .iter()
        .map(|(name, limit)| json!({"Name": name, "Soft": limit.soft, "Hard": limit.hard}))
        .collect();
    ulimits.sort_by(|left, right| left["Name"].as_str().cmp(&right["Name"].as_str()));
    if !ulimits.is_empty() {
        container.insert("Ulimits".into(), Value::Array(ulimits));
    }
    if !service.host.sysctls.is_empty() {
        container.insert("Sysctls".into(), json!(service.host.sysctls));
    }
    // As docker's: an empty `Privileges` is sent (the engine shows its fields).
    container.insert("Privileges".into(), json!({}));

    let mut task = Map::new();
    task.insert("ContainerSpec".into(), Value::Object(container));
    task.insert("Resources".into(), pruned(resources(service, &deploy)));
    task.insert("RestartPolicy".into(), restart_policy(service, &deploy));
    task.insert("Placement".into(), placement(&deploy));
    task.insert(
        "Networks".into(),
        Value::Array(network_attachments(project, service, stack, link_aliases)),
    );
    if let Some(logging) = &service.logging {
        task.insert(
            "LogDriver".into(),
            json!({"Name": logging.driver, "Options": logging.options}),
        );
    }
    task.insert("ForceUpdate".into(), json!(0));
    task.insert("Runtime".into(), json!("container"));

    let mode = match deploy.get("mode").and_then(Value::as_str) {
        Some("global") => json!({"Global": {}}),
        // `deploy.replicas` as written: the parser's `scale` is capped by
        // `max_replicas_per_node` (1.29.2's `up`), which a swarm applies per node.
        _ => json!({"Replicated": {"Replicas": deploy
            .get("replicas")
            .and_then(Value::as_u64)
            .or_else(|| service.scale.map(u64::from))
            .unwrap_or(1)}}),
    };

    let mut spec = Map::new();
    spec.insert("Name".into(), json!(scoped(stack, service.name.as_str())));
    spec.insert("Labels".into(), json!(labels));
    spec.insert("TaskTemplate".into(), Value::Object(task));
    spec.insert("Mode".into(), mode);
    spec.insert(
        "UpdateConfig".into(),
        update_config(deploy.get("update_config"), "rollback"),
    );
    spec.insert(
        "RollbackConfig".into(),
        update_config(deploy.get("rollback_config"), "pause"),
    );
    spec.insert("EndpointSpec".into(), endpoint(service, &deploy));
    Value::Object(spec)
}

/// Whether the file sets `deploy.update_config.failure_action` (envctl's default,
/// `rollback`, is not forced on a service that exists: see docs/swarm.md).
pub(crate) fn sets_failure_action(service: &Service) -> bool {
    service
        .options
        .get("deploy")
        .and_then(|deploy| deploy.get("update_config"))
        .and_then(|update| update.get("failure_action"))
        .is_some()
}

fn insert_str(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        map.insert(key.into(), json!(value));
    }
}

fn string_map(value: Option<&Value>) -> IndexMap<String, String> {
    let mut map = IndexMap::new();
    match value {
        Some(Value::Object(object)) => {
            for (key, value) in object {
                map.insert(key.clone(), scalar(value));
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                let text = scalar(item);
                let (key, value) = text.split_once('=').unwrap_or((&text, ""));
                map.insert(key.to_owned(), value.to_owned());
            }
        }
        _ => {}
    }
    map
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A command as the engine gets it: a list as written, a string split as a shell
/// would (quotes and backslashes).
pub fn command_words(command: &Command) -> Vec<String> {
    match command {
        Command::Exec(words) => words.clone(),
        Command::Shell(text) => shell_split(text),
    }
}

fn shell_split(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match character {
            '\'' => {
                in_word = true;
                for quoted in characters.by_ref() {
                    if quoted == '\'' {
                        break;
                    }
                    current.push(quoted);
                }
            }
            '"' => {
                in_word = true;
                while let Some(quoted) = characters.next() {
                    match quoted {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = characters.next() {
                                current.push(escaped);
                            }
                        }
                        other => current.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(escaped) = characters.next() {
                    current.push(escaped);
                }
            }
            space if space.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                current.push(other);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

fn duration(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::String(text) => parse_duration_nanoseconds(text),
        Value::Number(number) => number.as_i64().map(|seconds| seconds * SECOND),
        _ => None,
    }
}

/// Memory as bytes: a number, or `64M`-style text.
fn bytes(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => {
            let text = text.trim().to_ascii_lowercase();
            let text = text.trim_end_matches('b');
            let (digits, factor) = match text.chars().last()? {
                'k' => (&text[..text.len() - 1], 1_i64 << 10),
                'm' => (&text[..text.len() - 1], 1 << 20),
                'g' => (&text[..text.len() - 1], 1 << 30),
                _ => (text, 1),
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            digits
                .trim()
                .parse::<f64>()
                .ok()
                .map(|number| (number * factor as f64) as i64)
        }
        _ => None,
    }
}

fn nano_cpus(value: Option<&Value>) -> Option<i64> {
    let cpus = match value? {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    #[allow(clippy::cast_possible_truncation)]
    Some((cpus * 1e9).round() as i64)
}

/// `deploy.resources`, or (no `deploy.resources`) the v1/v2 `mem_limit`, `cpus`
/// and `mem_reservation` (docs/swarm.md, "Translations").
fn resources(service: &Service, deploy: &Map<String, Value>) -> Value {
    if let Some(resources) = deploy.get("resources") {
        let limits = resources.get("limits");
        let reservations = resources.get("reservations");
        return json!({
            "Limits": {
                "NanoCPUs": nano_cpus(limits.and_then(|limits| limits.get("cpus"))),
                "MemoryBytes": bytes(limits.and_then(|limits| limits.get("memory"))),
                "Pids": limits.and_then(|limits| limits.get("pids")),
            },
            "Reservations": {
                "NanoCPUs": nano_cpus(reservations.and_then(|reservations| reservations.get("cpus"))),
                "MemoryBytes": bytes(reservations.and_then(|reservations| reservations.get("memory"))),
            },
        });
    }
    json!({
        "Limits": {
            "NanoCPUs": nano_cpus(service.options.get("cpus")),
            "MemoryBytes": service.mem_limit,
        },
        "Reservations": {"MemoryBytes": service.mem_reservation},
    })
}

/// `Limits` and `Reservations` only when they hold something, as docker sends
/// them.
fn pruned(resources: Value) -> Value {
    let mut kept = Map::new();
    if let Value::Object(resources) = resources {
        for (key, value) in resources {
            if !is_empty(&normalized(&value)) {
                kept.insert(key, normalized(&value));
            }
        }
    }
    Value::Object(kept)
}

/// `deploy.restart_policy`, or `restart:` translated as docker's
/// `convertRestartPolicy` does; the manager's defaults written out.
fn restart_policy(service: &Service, deploy: &Map<String, Value>) -> Value {
    if let Some(policy) = deploy.get("restart_policy") {
        return json!({
            "Condition": policy.get("condition").and_then(Value::as_str).unwrap_or("any"),
            "Delay": duration(policy.get("delay")).unwrap_or(5 * SECOND),
            "MaxAttempts": policy.get("max_attempts").and_then(Value::as_u64).unwrap_or(0),
            "Window": duration(policy.get("window")),
        });
    }
    let (condition, attempts) = match service
        .restart
        .as_ref()
        .map(|restart| restart.name.as_str())
    {
        Some("no") => ("none", 0),
        Some("on-failure") => (
            "on-failure",
            service
                .restart
                .as_ref()
                .and_then(|restart| restart.maximum_retry_count)
                .unwrap_or(0),
        ),
        _ => ("any", 0),
    };
    json!({"Condition": condition, "Delay": 5 * SECOND, "MaxAttempts": attempts})
}

fn placement(deploy: &Map<String, Value>) -> Value {
    let Some(placement) = deploy.get("placement") else {
        return json!({});
    };
    let preferences: Vec<Value> = placement
        .get("preferences")
        .and_then(Value::as_array)
        .map(|preferences| {
            preferences
                .iter()
                .filter_map(|preference| preference.get("spread"))
                .map(|spread| json!({"Spread": {"SpreadDescriptor": spread}}))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "Constraints": placement.get("constraints"),
        "Preferences": preferences,
        "MaxReplicas": placement.get("max_replicas_per_node"),
    })
}

fn update_config(config: Option<&Value>, failure_action: &str) -> Value {
    let get = |key: &str| config.and_then(|config| config.get(key));
    json!({
        "Parallelism": get("parallelism").and_then(Value::as_u64).unwrap_or(1),
        "Delay": duration(get("delay")),
        "FailureAction": get("failure_action").and_then(Value::as_str).unwrap_or(failure_action),
        "Monitor": duration(get("monitor")).unwrap_or(5 * SECOND),
        "MaxFailureRatio": get("max_failure_ratio").and_then(Value::as_f64).unwrap_or(0.0),
        "Order": get("order").and_then(Value::as_str).unwrap_or("stop-first"),
    })
}

fn endpoint(service: &Service, deploy: &Map<String, Value>) -> Value {
    let mut ports: Vec<(u64, Value)> = service
        .ports
        .iter()
        .map(|port| {
            let published = port
                .published
                .as_deref()
                .and_then(|published| published.parse::<u64>().ok())
                .unwrap_or(0);
            (
                published,
                json!({
                    "Protocol": port.protocol,
                    "TargetPort": port.target,
                    "PublishedPort": published,
                    "PublishMode": publish_mode(service, port.target, published),
                }),
            )
        })
        .collect();
    ports.sort_by_key(|(published, _)| *published);
    json!({
        "Mode": deploy.get("endpoint_mode").and_then(Value::as_str).unwrap_or("vip"),
        "Ports": ports.into_iter().map(|(_, port)| port).collect::<Vec<_>>(),
    })
}

/// A long-syntax port's `mode` (`host` or `ingress`, the default), found by
/// its target (and published port, when written) in the file's `ports`, which
/// the parser keeps as 1.29.2's `ServicePort` tuples (`[target, published,
/// protocol, mode, external_ip]`).
fn publish_mode(service: &Service, target: u16, published: u64) -> String {
    let number = |value: Option<&Value>| {
        value.and_then(|value| {
            value
                .as_u64()
                .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
        })
    };
    service
        .options
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .find(|fields| {
            number(fields.first()) == Some(u64::from(target))
                && number(fields.get(1)).is_none_or(|written| written == published)
        })
        .and_then(|fields| fields.get(3).and_then(Value::as_str))
        .unwrap_or("ingress")
        .to_owned()
}

/// The networks a service joins: its `networks`, or the stack's `default`; the
/// service's name and its link aliases are aliases on each (docker/cli
/// `convertServiceNetworks`), sorted by network.
fn network_attachments(
    project: &Project,
    service: &Service,
    stack: &str,
    link_aliases: &LinkAliases,
) -> Vec<Value> {
    let extra = link_aliases
        .get(service.name.as_str())
        .cloned()
        .unwrap_or_default();
    let mut attachments: Vec<(String, Value)> = if service.networks.is_empty() {
        let mut aliases = extra.clone();
        aliases.push(service.name.to_string());
        vec![(
            network_name(project, stack, "default"),
            json!({"Aliases": aliases}),
        )]
    } else {
        service
            .networks
            .iter()
            .map(|(key, network)| {
                let mut aliases = network.aliases.clone();
                aliases.extend(extra.iter().cloned());
                aliases.push(service.name.to_string());
                (
                    network_name(project, stack, key),
                    json!({"Aliases": aliases}),
                )
            })
            .collect()
    };
    attachments.sort_by(|left, right| left.0.cmp(&right.0));
    attachments
        .into_iter()
        .map(|(target, mut attachment)| {
            attachment["Target"] = json!(target);
            attachment
        })
        .collect()
}

/// A network's name on the cluster: `name:` or the external name, else scoped.
pub(crate) fn network_name(project: &Project, stack: &str, key: &str) -> String {
    project
        .networks
        .get(key)
        .and_then(|network| network.name.clone())
        .unwrap_or_else(|| scoped(stack, key))
}

fn mounts(project: &Project, service: &Service, stack: &str) -> Vec<Value> {
    let volume_options = |name: &str| {
        let definition = project.volumes.get(name);
        let mut labels: IndexMap<String, String> = definition
            .map(|definition| definition.labels.clone())
            .unwrap_or_default();
        labels.insert(NAMESPACE_LABEL.to_owned(), stack.to_owned());
        let driver = definition.and_then(|definition| definition.driver.clone());
        json!({
            "Labels": labels,
            "DriverConfig": driver.map(|driver| json!({"Name": driver, "Options": definition.map(|definition| definition.driver_opts.clone())})),
        })
    };
    let volume_source = |name: &str| match project.volumes.get(name) {
        Some(definition) if definition.external => {
            definition.name.clone().unwrap_or_else(|| name.to_owned())
        }
        Some(definition) => definition
            .name
            .clone()
            .unwrap_or_else(|| scoped(stack, name)),
        None => scoped(stack, name),
    };
    let mut mounts = Vec::new();
    for volume in &service.volumes {
        let read_only = volume
            .mode
            .as_deref()
            .is_some_and(|mode| mode.split(',').any(|flag| flag == "ro"));
        match &volume.source {
            Some(source) if volume.is_bind() => mounts.push(json!({
                "Type": "bind",
                "Source": source,
                "Target": volume.target,
                "ReadOnly": read_only,
            })),
            Some(source) => {
                let external = project
                    .volumes
                    .get(source.as_str())
                    .is_some_and(|definition| definition.external);
                mounts.push(json!({
                    "Type": "volume",
                    "Source": volume_source(source),
                    "Target": volume.target,
                    "ReadOnly": read_only,
                    "VolumeOptions": if external { Value::Null } else { volume_options(source) },
                }));
            }
            None => mounts
                .push(json!({"Type": "volume", "Target": volume.target, "ReadOnly": read_only})),
        }
    }
    for mount in &service.mounts {
        let source = mount.source.clone();
        // The long syntax's own options, as the file writes them (the parser
        // keeps them in `options`), found by the mount's target.
        let written = long_syntax_entry(service, &mount.target);
        let option = |kind: &str, key: &str| {
            written
                .and_then(|entry| entry.get(kind))
                .and_then(|options| options.get(key))
        };
        let mut value = if mount.kind == "volume" {
            let mut options = source.as_deref().map(volume_options);
            if let Some(options) = options.as_mut()
                && let Some(no_copy) = option("volume", "nocopy").and_then(Value::as_bool)
            {
                options["NoCopy"] = json!(no_copy);
            }
            json!({
                "Type": "volume",
                "Source": source.as_deref().map(volume_source),
                "Target": mount.target,
                "ReadOnly": mount.read_only,
                "VolumeOptions": options,
            })
        } else {
            json!({"Type": mount.kind, "Source": source, "Target": mount.target, "ReadOnly": mount.read_only})
        };
        if mount.kind == "bind"
            && let Some(propagation) = option("bind", "propagation").and_then(Value::as_str)
        {
            value["BindOptions"] = json!({"Propagation": propagation});
        }
        if mount.kind == "tmpfs"
            && let Some(size) = bytes(option("tmpfs", "size"))
        {
            value["TmpfsOptions"] = json!({"SizeBytes": size});
        }
        mounts.push(value);
    }
    mounts
}

/// The long-syntax `volumes` entry (as the file writes it) whose target is
/// `target`.
fn long_syntax_entry<'service>(
    service: &'service Service,
    target: &str,
) -> Option<&'service Map<String, Value>> {
    service
        .options
        .get("volumes")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(Value::as_object)
        .find(|entry| entry.get("target").and_then(Value::as_str) == Some(target))
}

/// The spec with the defaults the swarm manager applies to what is left out
/// written in (as `docker service inspect` shows it), so that a spec docker sent
/// without them and one envctl sent with them compare equal.
pub fn with_defaults(spec: &Value) -> Value {
    fn fill(value: &mut Value, path: &[&str], default: Value) {
        let mut current = value;
        for key in &path[..path.len() - 1] {
            if !current[*key].is_object() {
                current[*key] = json!({});
            }
            current = &mut current[*key];
        }
        let last = path[path.len() - 1];
        if current[last].is_null() {
            current[last] = default;
        }
    }
    let mut spec = spec.clone();
    fill(
        &mut spec,
        &["TaskTemplate", "ContainerSpec", "StopGracePeriod"],
        json!(10 * SECOND),
    );
    fill(
        &mut spec,
        &["TaskTemplate", "ContainerSpec", "Isolation"],
        json!("default"),
    );
    fill(&mut spec, &["TaskTemplate", "Runtime"], json!("container"));
    fill(
        &mut spec,
        &["TaskTemplate", "RestartPolicy", "Condition"],
        json!("any"),
    );
    fill(
        &mut spec,
        &["TaskTemplate", "RestartPolicy", "Delay"],
        json!(5 * SECOND),
    );
    fill(&mut spec, &["EndpointSpec", "Mode"], json!("vip"));
    for config in ["UpdateConfig", "RollbackConfig"] {
        fill(&mut spec, &[config, "Parallelism"], json!(1));
        fill(&mut spec, &[config, "FailureAction"], json!("pause"));
        fill(&mut spec, &[config, "Monitor"], json!(5 * SECOND));
        fill(&mut spec, &[config, "Order"], json!("stop-first"));
    }
    if spec["Mode"]["Replicated"].is_object() {
        fill(&mut spec, &["Mode", "Replicated", "Replicas"], json!(1));
    }
    spec
}

/// The spec with every empty value (null, false, 0, "", {}, []) left out, as the
/// engine's JSON leaves them out: two specs that mean the same compare equal.
pub fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(key, value)| (key.clone(), normalized(value)))
                .filter(|(_, value)| !is_empty(value))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(object) => object.is_empty(),
    }
}

/// The dotted paths where two normalized specs differ (an array is one value).
pub fn changed_paths(desired: &Value, observed: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    diff("", desired, observed, &mut paths);
    paths
}

fn diff(path: &str, desired: &Value, observed: &Value, paths: &mut Vec<String>) {
    match (desired, observed) {
        (Value::Object(left), Value::Object(right)) => {
            let mut keys: Vec<&String> = left.keys().chain(right.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match (left.get(key), right.get(key)) {
                    (Some(left), Some(right)) => diff(&child, left, right, paths),
                    _ => paths.push(child),
                }
            }
        }
        (left, right) if numbers_equal(left, right) => {}
        (left, right) if left != right => paths.push(path.to_owned()),
        _ => {}
    }
}

fn numbers_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => left.as_f64() == right.as_f64(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_split_honours_quotes() {
        assert_eq!(
            shell_split(r#"sh -c 'echo "hi there"' x\ y"#),
            vec!["sh", "-c", "echo \"hi there\"", "x y"]
        );
    }

    #[test]
    fn images_get_a_tag() {
        assert_eq!(normalized_image("busybox"), "busybox:latest");
        assert_eq!(
            normalized_image("host:5000/busybox"),
            "host:5000/busybox:latest"
        );
        assert_eq!(normalized_image("busybox:1"), "busybox:1");
    }

    #[test]
    fn empty_values_compare_equal() {
        let left = json!({"A": {"B": [], "C": 0}, "D": 1});
        let right = json!({"D": 1.0, "E": false});
        assert!(changed_paths(&normalized(&left), &normalized(&right)).is_empty());
        assert_eq!(
            changed_paths(
                &normalized(&json!({"A": {"B": 1}})),
                &normalized(&json!({"A": {"B": 2}}))
            ),
            vec!["A.B"]
        );
    }
}
