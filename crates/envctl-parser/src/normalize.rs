//! The last phase for one service: the finalized dictionary (`finalize_service`) as JSON in the forms
//! `docker-compose config` prints, the typed [`Service`] fields, and its
//! [`Dependency`] edges, each with the span of the item that made it. References to
//! other services and containers (`service:`, `container:`, `volumes_from`) are read
//! in `references.rs`; the v2/v3 top-level sections are finalized in `sections.rs`.

use std::path::Path;

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value as Json};

use crate::error::{Problem, ProblemKind};
use crate::merge::parse_mapping_form;
use crate::model::{
    Build, Command, Dependency, DependencyKind, Link, Logging, ModeRef, Port, RestartPolicy,
    Service, ServiceName, SourceMap, Span, Ulimit, VolumesFromSource,
};
use crate::paths::{is_url, parse_volume};
use crate::port::{is_valid_expose, parse_port_spec};
use crate::references::mode_ref;
use crate::yaml::{Mapping, Node, Value};

/// Reads one `env_file` (given as an absolute path) into its variables.
pub(crate) type EnvFileReader =
    dyn Fn(&str) -> Result<IndexMap<String, Option<String>>, ProblemKind>;

/// Everything the finalizer needs from the project.
pub(crate) struct Finalizer<'a> {
    pub sources: &'a SourceMap,
    pub v1: bool,
    /// The compose environment (shell over `.env`), for bare `environment` keys and
    /// build args.
    pub environment: &'a IndexMap<String, String>,
    /// A set: every link and `service:` reference is looked up here.
    pub service_names: &'a IndexSet<String>,
    /// Reads an `env_file` (through the crate's one read function).
    pub read_env_file: &'a EnvFileReader,
    /// Whether a `build` context must exist (`LoadOptions::check_build_paths`).
    pub check_build_paths: bool,
    /// Paths under it are shown relative to it in messages (the project directory).
    pub display_root: &'a Path,
}

pub(crate) fn node_to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(boolean) => Json::Bool(*boolean),
        Value::Int(number) => Json::from(*number),
        Value::Float(number) => {
            serde_json::Number::from_f64(*number).map_or(Json::Null, Json::Number)
        }
        Value::String(text) => Json::String(text.clone()),
        Value::Sequence(items) => Json::Array(items.iter().map(node_to_json).collect()),
        Value::Mapping(mapping) => Json::Object(
            mapping
                .iter()
                .map(|entry| (entry.key.clone(), node_to_json(&entry.value)))
                .collect(),
        ),
    }
}

fn string_list(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Sequence(items) => items.iter().filter_map(Node::scalar_to_string).collect(),
        Value::Null => Vec::new(),
        _ => node.scalar_to_string().into_iter().collect(),
    }
}

fn nodes(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::Sequence(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        _ => vec![node],
    }
}

/// `parse_bytes`: `1g`, `512m`, `100k`, `10b`, a plain number.
pub(crate) fn parse_bytes(node: &Node) -> Option<i64> {
    match &node.value {
        Value::Int(number) => Some(*number),
        #[allow(clippy::cast_possible_truncation)]
        Value::Float(number) => Some(*number as i64),
        Value::String(text) => {
            let text = text.trim().to_lowercase();
            let (digits, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
                Some(index) => (&text[..index], &text[index..]),
                None => (text.as_str(), ""),
            };
            let number: f64 = digits.parse().ok()?;
            let factor: f64 = match unit.trim_end_matches('b') {
                "" => 1.0,
                "k" => 1024.0,
                "m" => 1024.0 * 1024.0,
                "g" => 1024.0 * 1024.0 * 1024.0,
                "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
                _ => return None,
            };
            #[allow(clippy::cast_possible_truncation)]
            Some((number * factor) as i64)
        }
        _ => None,
    }
}

/// Python's `float(value)` of a number or a numeric string.
pub(crate) fn float_of(node: &Node) -> Option<f64> {
    match &node.value {
        #[allow(clippy::cast_precision_loss)]
        Value::Int(number) => Some(*number as f64),
        Value::Float(number) => Some(*number),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn int_of(node: &Node) -> Option<i64> {
    match &node.value {
        Value::Int(number) => Some(*number),
        Value::String(text) => text.trim().parse().ok(),
        #[allow(clippy::cast_possible_truncation)]
        Value::Float(number) => Some(*number as i64),
        _ => None,
    }
}

impl Finalizer<'_> {
    pub(crate) fn problem(&self, span: Span, kind: ProblemKind) -> Problem {
        Problem::new(self.sources, span, kind)
    }

    /// `validate_service` + `finalize_service` for one merged, extends-resolved,
    /// path-processed service: each key goes to the function of its family, which
    /// writes its typed fields, its entry of `options` (1.29.2's form) and its
    /// dependencies.
    pub fn finalize(
        &self,
        name: &str,
        name_span: Span,
        mut dict: Mapping,
        problems: &mut Vec<Problem>,
    ) -> Service {
        let mut service = Service::new(ServiceName::new(name), name_span);
        dict.remove("extends");
        self.check_constraints(name, name_span, &dict, problems);

        self.environment(&mut dict, &mut service, problems);

        let mut logging: Option<Logging> = None;
        for entry in &dict.entries {
            let key = entry.key.as_str();
            let node = &entry.value;
            match key {
                "environment" | "env_file" => {}
                "image" => {
                    service.image = node.scalar_to_string();
                    service.options.insert(key.to_owned(), node_to_json(node));
                }
                "build" => self.build_key(node, &dict, &mut service, problems),
                "dockerfile" => Self::dockerfile_key(node, &dict, &mut service),
                "command" | "entrypoint" => Self::command_key(key, node, &mut service),
                "labels" => Self::labels_key(key, node, &mut service),
                "ports" => self.ports(name, key, node, &mut service, problems),
                "expose" => self.expose(name, key, node, &mut service, problems),
                "links" => self.links(name, key, node, &mut service, problems),
                "volumes_from" => self.volumes_from_key(name, key, node, &mut service, problems),
                "net" | "network_mode" => {
                    self.network_mode(name, key, node, &mut service, problems);
                }
                "pid" | "ipc" => self.namespace_mode(name, key, node, &mut service, problems),
                "depends_on" => self.depends_on(name, key, node, &mut service, problems),
                "volumes" => self.volumes(name, key, node, &mut service, problems),
                "restart" => self.restart(name, key, node, &mut service, problems),
                "log_driver" | "log_opt" | "logging" => {
                    Self::logging_key(key, node, &mut logging, &mut service);
                }
                "sysctls" => {
                    let json = crate::host_settings::sysctls(node)
                        .into_iter()
                        .map(|(name, value)| (name, Json::String(value)))
                        .collect();
                    service.options.insert(key.to_owned(), Json::Object(json));
                }
                "extra_hosts" => Self::extra_hosts_key(key, node, &mut service),
                "ulimits" => Self::ulimits_key(key, node, &mut service),
                "networks" => Self::networks_key(key, node, &mut service),
                "healthcheck" => {
                    service
                        .options
                        .insert(key.to_owned(), healthcheck_json(node));
                }
                "security_opt" => Self::security_opt_key(key, node, &mut service),
                "secrets" => {
                    let (secrets, json) = self.service_secrets(name, node, problems);
                    service.secrets = secrets;
                    service.options.insert(key.to_owned(), Json::Array(json));
                }
                "dns" | "dns_search" | "tmpfs" => Self::list_key(key, node, &mut service),
                _ => {
                    Self::simple_field(key, node, &mut service);
                    service.options.insert(key.to_owned(), node_to_json(node));
                }
            }
        }
        Self::finish_logging(logging, &dict, &mut service);
        service.host = crate::host_settings::read(&dict);
        if !self.v1 {
            self.translate_deploy(name, &mut service, &dict, problems);
        }
        service.refusals = crate::engine_values::check(name, &dict);
        service
    }

    /// `build` (with v1's separate `dockerfile`): the typed [`Build`] and its
    /// options entry, the keys envctl does not read kept as written.
    fn build_key(
        &self,
        node: &Node,
        dict: &Mapping,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        let build = self.build(node, dict.get("dockerfile"), problems);
        let mut json = Map::new();
        json.insert("context".to_owned(), Json::String(build.context.clone()));
        if let Some(dockerfile) = &build.dockerfile {
            json.insert("dockerfile".to_owned(), Json::String(dockerfile.clone()));
        }
        if !build.args.is_empty() {
            json.insert(
                "args".to_owned(),
                Json::Object(
                    build
                        .args
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone().map_or(Json::Null, Json::String)))
                        .collect(),
                ),
            );
        }
        if let Value::Mapping(build_map) = &node.value {
            for field in build_map.iter() {
                if !matches!(field.key.as_str(), "context" | "dockerfile" | "args") {
                    json.insert(field.key.clone(), node_to_json(&field.value));
                }
            }
        }
        service
            .options
            .insert("build".to_owned(), Json::Object(json));
        service.build = Some(build);
    }

    /// v1's `dockerfile` beside `image` (already an error): kept visible.
    fn dockerfile_key(node: &Node, dict: &Mapping, service: &mut Service) {
        if !dict.contains_key("build") {
            // image + dockerfile: already an error; keep the value visible.
            service.options.insert(
                "build".to_owned(),
                serde_json::json!({ "dockerfile": node_to_json(node) }),
            );
        }
    }

    /// `command` / `entrypoint`: a string for the shell, or a list.
    fn command_key(key: &str, node: &Node, service: &mut Service) {
        let command = match &node.value {
            Value::Sequence(items) => {
                Command::Exec(items.iter().filter_map(Node::scalar_to_string).collect())
            }
            _ => Command::Shell(node.scalar_to_string().unwrap_or_default()),
        };
        if key == "command" {
            service.command = Some(command);
        } else {
            service.entrypoint = Some(command);
        }
        service.options.insert(key.to_owned(), node_to_json(node));
    }

    /// `labels`, either form, every value as a string.
    fn labels_key(key: &str, node: &Node, service: &mut Service) {
        let labels = parse_mapping_form("labels", Some(node));
        let mut json = Map::new();
        for label in labels.entries {
            let value = if label.value.is_null() {
                String::new()
            } else {
                label.value.scalar_to_string().unwrap_or_default()
            };
            json.insert(label.key.clone(), Json::String(value.clone()));
            service.labels.insert(label.key, value);
        }
        service.options.insert(key.to_owned(), Json::Object(json));
    }

    /// `log_driver` and `log_opt` (v1) and `logging`: gathered into one
    /// [`Logging`], finished by [`Finalizer::finish_logging`].
    fn logging_key(key: &str, node: &Node, logging: &mut Option<Logging>, service: &mut Service) {
        match key {
            "log_driver" => {
                logging
                    .get_or_insert_with(|| Logging {
                        driver: None,
                        options: IndexMap::new(),
                    })
                    .driver = node.scalar_to_string();
            }
            "log_opt" => {
                let entry = logging.get_or_insert_with(|| Logging {
                    driver: None,
                    options: IndexMap::new(),
                });
                if let Value::Mapping(options) = &node.value {
                    for option in options.iter() {
                        entry.options.insert(
                            option.key.clone(),
                            option.value.scalar_to_string().unwrap_or_default(),
                        );
                    }
                }
            }
            _ => {
                if let Value::Mapping(logging_map) = &node.value {
                    let entry = logging.get_or_insert_with(|| Logging {
                        driver: None,
                        options: IndexMap::new(),
                    });
                    entry.driver = logging_map.get("driver").and_then(Node::scalar_to_string);
                    if let Some(Value::Mapping(options)) =
                        logging_map.get("options").map(|n| &n.value)
                    {
                        for option in options.iter() {
                            entry.options.insert(
                                option.key.clone(),
                                option.value.scalar_to_string().unwrap_or_default(),
                            );
                        }
                    }
                }
                service.options.insert(key.to_owned(), node_to_json(node));
            }
        }
    }

    /// v1's `log_driver`/`log_opt` printed as `logging`, and the typed [`Logging`].
    fn finish_logging(logging: Option<Logging>, dict: &Mapping, service: &mut Service) {
        if let Some(logging) = logging {
            if !dict.contains_key("logging") {
                let mut json = Map::new();
                if let Some(driver) = &logging.driver {
                    json.insert("driver".to_owned(), Json::String(driver.clone()));
                }
                if let Some(options) = dict.get("log_opt") {
                    json.insert("options".to_owned(), node_to_json(options));
                }
                service
                    .options
                    .insert("logging".to_owned(), Json::Object(json));
            }
            service.logging = Some(logging);
        }
    }

    /// `extra_hosts`, either form (`host:ip` items or a mapping).
    fn extra_hosts_key(key: &str, node: &Node, service: &mut Service) {
        let hosts = parse_mapping_form("extra_hosts", Some(node));
        for host in hosts.entries {
            service
                .extra_hosts
                .insert(host.key, host.value.scalar_to_string().unwrap_or_default());
        }
        service.options.insert(key.to_owned(), node_to_json(node));
    }

    /// `ulimits`: a number for both limits, or `soft` and `hard`.
    fn ulimits_key(key: &str, node: &Node, service: &mut Service) {
        if let Value::Mapping(limits) = &node.value {
            for limit in limits.iter() {
                let (soft, hard) = if let Value::Mapping(bounds) = &limit.value.value {
                    (
                        bounds.get("soft").and_then(int_of).unwrap_or_default(),
                        bounds.get("hard").and_then(int_of).unwrap_or_default(),
                    )
                } else {
                    let value = int_of(&limit.value).unwrap_or_default();
                    (value, value)
                };
                service
                    .ulimits
                    .insert(limit.key.clone(), Ulimit { soft, hard });
            }
        }
        service.options.insert(key.to_owned(), node_to_json(node));
    }

    /// A service's `networks` as 1.29.2 prints them.
    fn networks_key(key: &str, node: &Node, service: &mut Service) {
        // `parse_networks`: the list form is a mapping of nulls.
        let json = match &node.value {
            Value::Sequence(items) => Json::Object(
                items
                    .iter()
                    .filter_map(Node::scalar_to_string)
                    .map(|network| (network, Json::Null))
                    .collect(),
            ),
            _ => node_to_json(node),
        };
        service.options.insert(key.to_owned(), json);
    }

    /// `security_opt`, in the `[value, null]` pairs 1.29.2 hashes.
    fn security_opt_key(key: &str, node: &Node, service: &mut Service) {
        service.security_opt = string_list(node);
        let items = service
            .security_opt
            .iter()
            .map(|value| serde_json::json!([value, null]))
            .collect();
        service.options.insert(key.to_owned(), Json::Array(items));
    }

    /// `dns`, `dns_search` and `tmpfs`: a single value is a list of one.
    fn list_key(key: &str, node: &Node, service: &mut Service) {
        let list = string_list(node);
        if key == "dns" {
            service.dns.clone_from(&list);
        } else if key == "dns_search" {
            service.dns_search.clone_from(&list);
        }
        let items: Vec<Json> = nodes(node).into_iter().map(node_to_json).collect();
        service.options.insert(key.to_owned(), Json::Array(items));
    }

    /// What 1.29.2's `Project.from_config` does to a v2/v3 service before it makes
    /// containers from it and hashes it (`get_service_scale`,
    /// `translate_credential_spec_to_security_opt`,
    /// `translate_deploy_keys_to_container_config`): the scale from `scale` or
    /// `deploy.replicas`, and `deploy`'s restart policy and resources as container
    /// settings, in `Service::translated_options` and the typed fields.
    fn translate_deploy(
        &self,
        name: &str,
        service: &mut Service,
        dict: &Mapping,
        problems: &mut Vec<Problem>,
    ) {
        let deploy = dict.get("deploy").and_then(Node::as_mapping);
        let scale = dict.get("scale");
        let replicated = deploy
            .and_then(|deploy| deploy.get("mode"))
            .and_then(Node::as_str)
            .is_none_or(|mode| mode == "replicated");
        let replicas = deploy
            .filter(|_| replicated)
            .and_then(|deploy| deploy.get("replicas"));
        if let (Some(_), Some(replicas)) = (scale, replicas) {
            problems.push(
                self.problem(
                    replicas.span,
                    ProblemKind::InvalidValue {
                        path: format!("{name}.deploy.replicas"),
                        reason:
                            "both `scale` and `deploy.replicas` are set; only one of them may be"
                                .to_owned(),
                    },
                )
                .with_help("remove one of them"),
            );
        }
        if let Some(count) = replicas.or(scale).and_then(int_of) {
            let most = deploy
                .and_then(|deploy| deploy.get("placement"))
                .and_then(Node::as_mapping)
                .and_then(|placement| placement.get("max_replicas_per_node"))
                .and_then(int_of)
                .unwrap_or(count);
            service.scale = u32::try_from(count.min(most)).ok();
        }

        let credential_spec = dict.get("credential_spec").and_then(Node::as_mapping);
        if deploy.is_none() && credential_spec.is_none() && !dict.contains_key("configs") {
            return;
        }
        let mut options = service.options.clone();
        if let Some(spec) = credential_spec {
            let text = |key: &str| spec.get(key).and_then(Node::scalar_to_string);
            let option = match text("file") {
                Some(file) => format!("credentialspec=file://{file}"),
                None => format!(
                    "credentialspec=registry://{}",
                    text("registry").unwrap_or_default()
                ),
            };
            service.security_opt = vec![option.clone()];
            options.insert(
                "security_opt".to_owned(),
                Json::Array(vec![Json::Array(vec![Json::String(option), Json::Null])]),
            );
        }
        options.remove("credential_spec");
        options.remove("configs");
        if let Some(deploy) = deploy {
            let mut ignored: Vec<String> = [
                "endpoint_mode",
                "labels",
                "update_config",
                "rollback_config",
            ]
            .into_iter()
            .filter(|key| deploy.contains_key(key))
            .map(str::to_owned)
            .collect();
            if let Some(policy) = deploy.get("restart_policy").and_then(Node::as_mapping) {
                let condition = policy.get("condition");
                let restart = match condition.and_then(Node::as_str).unwrap_or("any") {
                    "any" => Some("always"),
                    "none" => Some("no"),
                    "on-failure" => Some("on-failure"),
                    other => {
                        problems.push(
                            self.problem(
                                condition.map_or(service.span, |node| node.span),
                                ProblemKind::InvalidValue {
                                    path: format!("{name}.deploy.restart_policy.condition"),
                                    reason: format!("`{other}` is not a restart policy"),
                                },
                            )
                            .with_help("use `none`, `on-failure` or `any`"),
                        );
                        None
                    }
                };
                let attempts = policy.get("max_attempts").and_then(int_of).unwrap_or(0);
                if let Some(restart) = restart {
                    service.restart = Some(RestartPolicy {
                        name: restart.to_owned(),
                        maximum_retry_count: Some(attempts),
                    });
                    options.insert(
                        "restart".to_owned(),
                        serde_json::json!({"Name": restart, "MaximumRetryCount": attempts}),
                    );
                }
                ignored.extend(
                    policy
                        .iter()
                        .filter(|entry| !matches!(entry.key.as_str(), "condition" | "max_attempts"))
                        .map(|entry| format!("restart_policy.{}", entry.key)),
                );
            }
            let resources = deploy.get("resources").and_then(Node::as_mapping);
            if let Some(limits) = resources
                .and_then(|resources| resources.get("limits"))
                .and_then(Node::as_mapping)
            {
                // As 1.29.2: `limits` without `memory` clears a `mem_limit`.
                let memory = limits.get("memory");
                service.mem_limit = memory.and_then(parse_bytes);
                options.insert(
                    "mem_limit".to_owned(),
                    memory.map_or(Json::Null, node_to_json),
                );
                if let Some(cpus) = limits.get("cpus") {
                    match float_of(cpus) {
                        Some(cpus) => {
                            service.host.nano_cpus = crate::host_settings::deploy_cpus(cpus);
                            options.insert(
                                "cpus".to_owned(),
                                serde_json::Number::from_f64(cpus).map_or(Json::Null, Json::Number),
                            );
                        }
                        None => problems.push(self.problem(
                            cpus.span,
                            ProblemKind::InvalidValue {
                                path: format!("{name}.deploy.resources.limits.cpus"),
                                reason: "not a number of CPUs".to_owned(),
                            },
                        )),
                    }
                }
            }
            if let Some(reservations) = resources
                .and_then(|resources| resources.get("reservations"))
                .and_then(Node::as_mapping)
            {
                let memory = reservations.get("memory");
                service.mem_reservation = memory.and_then(parse_bytes);
                options.insert(
                    "mem_reservation".to_owned(),
                    memory.map_or(Json::Null, node_to_json),
                );
                if reservations.contains_key("cpus") {
                    ignored.push("resources.reservations.cpus".to_owned());
                }
            }
            options.remove("deploy");
            service.ignored_deploy_keys = ignored;
        }
        service.translated_options = Some(options);
    }

    /// the `ports` items as 1.29.2's `ServicePort`s (docker-py `split_port`).
    fn ports(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        let mut json = Vec::new();
        for item in nodes(node) {
            match parse_port_spec(item) {
                Ok(ports) => {
                    for port in ports {
                        let published = port.published.as_ref().map_or(Json::Null, |published| {
                            published
                                .parse::<u32>()
                                .map_or_else(|_| Json::String(published.clone()), Json::from)
                        });
                        let mode = match &item.value {
                            Value::Mapping(long) => {
                                long.get("mode").map_or(Json::Null, node_to_json)
                            }
                            _ => Json::Null,
                        };
                        // 1.29.2's `ServicePort` namedtuple, as JSON.
                        json.push(Json::Array(vec![
                            Json::from(port.target),
                            published,
                            port.protocol.clone().map_or(Json::Null, Json::String),
                            mode,
                            port.host_ip.clone().map_or(Json::Null, Json::String),
                        ]));
                        service.ports.push(Port {
                            target: u16::try_from(port.target).unwrap_or(u16::MAX),
                            published: port.published,
                            host_ip: port.host_ip,
                            protocol: port.protocol.unwrap_or_else(|| "tcp".to_owned()),
                        });
                    }
                }
                Err(reason) => problems.push(self.problem(
                    item.span,
                    ProblemKind::InvalidValue {
                        path: format!("{name}.ports"),
                        reason,
                    },
                )),
            }
        }
        service.options.insert(key.to_owned(), Json::Array(json));
    }

    /// `expose`: `PORT[/PROTOCOL]` items.
    fn expose(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        for item in nodes(node) {
            let text = item.scalar_to_string().unwrap_or_default();
            if !is_valid_expose(&text) {
                problems.push(self.problem(
                    item.span,
                    ProblemKind::InvalidValue {
                        path: format!("{name}.expose"),
                        reason: format!("`{text}` should be of the format `PORT[/PROTOCOL]`"),
                    },
                ));
            }
            service.expose.push(text);
        }
        service.options.insert(key.to_owned(), node_to_json(node));
    }

    /// `links`: each a dependency, pointing at its item.
    fn links(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        for item in nodes(node) {
            let text = item.scalar_to_string().unwrap_or_default();
            let (target, alias) = match text.split_once(':') {
                Some((target, alias)) => (target.to_owned(), Some(alias.to_owned())),
                None => (text.clone(), None),
            };
            if target == name {
                problems.push(self.problem(
                    item.span,
                    ProblemKind::SelfLink {
                        service: name.to_owned(),
                    },
                ));
            } else if !self.service_names.contains(target.as_str()) {
                problems.push(self.problem(
                    item.span,
                    ProblemKind::UndefinedLink {
                        service: name.to_owned(),
                        target: target.clone(),
                    },
                ));
            }
            service.dependencies.push(Dependency {
                target: ServiceName::new(target.clone()),
                kind: DependencyKind::Link,
                span: item.span,
            });
            service.links.push(Link {
                target: ServiceName::new(target),
                alias,
            });
        }
        service.options.insert(key.to_owned(), node_to_json(node));
    }

    /// `volumes_from`: a service (a dependency) or a container, with a mode.
    fn volumes_from_key(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        let mut json = Vec::new();
        for item in nodes(node) {
            let text = item.scalar_to_string().unwrap_or_default();
            match self.volumes_from(&text) {
                Ok(volumes_from) => {
                    let (kind, source) = match &volumes_from.source {
                        VolumesFromSource::Service(service_name) => {
                            service.dependencies.push(Dependency {
                                target: service_name.clone(),
                                kind: DependencyKind::VolumesFrom,
                                span: item.span,
                            });
                            ("service", service_name.as_str().to_owned())
                        }
                        VolumesFromSource::Container(container) => ("container", container.clone()),
                    };
                    // 1.29.2's `VolumeFromSpec(source, mode, type)`.
                    json.push(serde_json::json!([source, volumes_from.mode, kind]));
                    service.volumes_from.push(volumes_from);
                }
                Err(reason) => problems.push(self.problem(
                    item.span,
                    ProblemKind::InvalidValue {
                        path: format!("{name}.volumes_from"),
                        reason,
                    },
                )),
            }
        }
        service.options.insert(key.to_owned(), Json::Array(json));
    }

    /// `net` (v1) and `network_mode`: `service:`/`container:` or a mode.
    fn network_mode(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        let text = node.scalar_to_string().unwrap_or_default();
        let mode = if key == "net" {
            mode_ref(&text, self.service_names)
        } else {
            match text.strip_prefix("container:") {
                Some(container) => ModeRef::Container(container.to_owned()),
                None => mode_ref(&text, self.service_names),
            }
        };
        let printed = match &mode {
            ModeRef::Service(target) => format!("service:{target}"),
            _ => text.clone(),
        };
        self.mode_dependency(
            name,
            key,
            DependencyKind::NetworkMode,
            &mode,
            node.span,
            service,
            problems,
        );
        service.network_mode = Some(mode);
        service
            .options
            .insert("network_mode".to_owned(), Json::String(printed));
    }

    /// `pid` and `ipc`: `service:`/`container:` or a mode.
    fn namespace_mode(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        if let Some(text) = node.as_str() {
            let mode = match text.strip_prefix("container:") {
                Some(container) => ModeRef::Container(container.to_owned()),
                None => mode_ref(text, self.service_names),
            };
            let kind = if key == "pid" {
                DependencyKind::Pid
            } else {
                DependencyKind::Ipc
            };
            self.mode_dependency(name, key, kind, &mode, node.span, service, problems);
            if key == "pid" {
                service.pid = Some(mode);
            } else {
                service.ipc = Some(mode);
            }
        }
        service.options.insert(key.to_owned(), node_to_json(node));
    }

    /// `depends_on`: each a dependency, pointing at its key.
    fn depends_on(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        let depends_on = parse_mapping_form("depends_on", Some(node));
        for dependency in &depends_on.entries {
            if !self.service_names.contains(dependency.key.as_str()) {
                problems.push(self.problem(
                    dependency.key_span,
                    ProblemKind::UndefinedService {
                        service: name.to_owned(),
                        key: "depends_on",
                        target: dependency.key.clone(),
                    },
                ));
            }
            service.dependencies.push(Dependency {
                target: ServiceName::new(dependency.key.clone()),
                kind: DependencyKind::DependsOn,
                span: dependency.key_span,
            });
        }
        service.options.insert(
            key.to_owned(),
            node_to_json(&Node::new(Value::Mapping(depends_on), node.span)),
        );
    }

    /// `volumes`: short syntax as 1.29.2's `VolumeSpec`s, long syntax kept.
    fn volumes(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        let mut json = Vec::new();
        for item in nodes(node) {
            let Some(text) = item.as_str() else {
                json.push(node_to_json(item));
                continue;
            };
            match parse_volume(text) {
                Ok(volume) => {
                    // 1.29.2's `VolumeSpec(external, internal, mode)`.
                    json.push(serde_json::json!([
                        volume.source,
                        volume.target,
                        volume.mode.as_deref().unwrap_or("rw")
                    ]));
                    service.volumes.push(volume);
                }
                Err(reason) => problems.push(self.problem(
                    item.span,
                    ProblemKind::InvalidValue {
                        path: format!("{name}.volumes"),
                        reason,
                    },
                )),
            }
        }
        service.options.insert(key.to_owned(), Json::Array(json));
    }

    /// `restart`: `mode[:max_retry]` as the engine's restart policy.
    fn restart(
        &self,
        name: &str,
        key: &str,
        node: &Node,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        let text = node.scalar_to_string().unwrap_or_default();
        if node.is_null() || text.is_empty() {
            // `parse_restart_spec`: no policy at all (printed as '').
            service.options.insert(key.to_owned(), Json::Null);
            return;
        }
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            [policy] => {
                service.restart = Some(RestartPolicy {
                    name: (*policy).to_owned(),
                    maximum_retry_count: None,
                });
            }
            [policy, count] => match count.parse::<i64>() {
                Ok(count) => {
                    service.restart = Some(RestartPolicy {
                        name: (*policy).to_owned(),
                        maximum_retry_count: Some(count),
                    });
                }
                Err(_) => problems.push(self.restart_problem(name, &text, node.span)),
            },
            _ => problems.push(self.restart_problem(name, &text, node.span)),
        }
        if let Some(restart) = &service.restart {
            service.options.insert(
                key.to_owned(),
                serde_json::json!({
                    "Name": restart.name,
                    "MaximumRetryCount": restart.maximum_retry_count.unwrap_or(0),
                }),
            );
        }
    }

    /// `env_file`s folded into `environment` (the files first, then `environment`;
    /// a bare key takes the shell's or `.env`'s value), as 1.29.2's
    /// `resolve_environment`; the files are removed from the dictionary.
    fn environment(&self, dict: &mut Mapping, service: &mut Service, problems: &mut Vec<Problem>) {
        if !(dict.contains_key("environment") || dict.contains_key("env_file")) {
            return;
        }
        let mut resolved: IndexMap<String, (Json, Option<String>)> = IndexMap::new();
        if let Some(env_files) = dict.get("env_file") {
            for path_node in nodes(env_files) {
                let Some(path) = path_node.as_str() else {
                    continue;
                };
                match (self.read_env_file)(path) {
                    Ok(values) => {
                        for (key, value) in values {
                            let json = value.clone().map_or(Json::Null, Json::String);
                            resolved.insert(key, (json, value));
                        }
                    }
                    Err(kind) => problems.push(self.problem(path_node.span, kind)),
                }
            }
        }
        let environment = parse_mapping_form("environment", dict.get("environment"));
        for entry in environment.entries {
            let typed = match &entry.value.value {
                Value::Null => None,
                _ => entry.value.scalar_to_string(),
            };
            let json = match &entry.value.value {
                Value::Int(_) | Value::Float(_) | Value::String(_) | Value::Null => {
                    node_to_json(&entry.value)
                }
                _ => Json::String(typed.clone().unwrap_or_default()),
            };
            resolved.insert(entry.key, (json, typed));
        }
        let mut json_environment = Map::new();
        for (key, (json, typed)) in resolved {
            let (json, typed) = if typed.is_none() {
                match self.environment.get(&key) {
                    Some(value) => (Json::String(value.clone()), Some(value.clone())),
                    None => (Json::Null, None),
                }
            } else {
                (json, typed)
            };
            json_environment.insert(key.clone(), json);
            service.environment.insert(key, typed);
        }
        dict.remove("env_file");
        service
            .options
            .insert("environment".to_owned(), Json::Object(json_environment));
    }

    fn restart_problem(&self, name: &str, text: &str, span: Span) -> Problem {
        self.problem(
            span,
            ProblemKind::InvalidValue {
                path: format!("{name}.restart"),
                reason: format!("`{text}` should be mode[:max_retry]"),
            },
        )
    }

    fn simple_field(key: &str, node: &Node, service: &mut Service) {
        let text = node.scalar_to_string();
        let boolean = match node.value {
            Value::Bool(boolean) => Some(boolean),
            _ => None,
        };
        match key {
            "container_name" => service.container_name = text,
            "hostname" => service.hostname = text,
            "domainname" => service.domainname = text,
            "user" => service.user = text,
            "working_dir" => service.working_dir = text,
            "mac_address" => service.mac_address = text,
            "cgroup_parent" => service.cgroup_parent = text,
            "cpuset" => service.cpuset = text,
            "stop_signal" => service.stop_signal = text,
            "volume_driver" => service.volume_driver = text,
            "privileged" => service.privileged = boolean,
            "read_only" => service.read_only = boolean,
            "tty" => service.tty = boolean,
            "stdin_open" => service.stdin_open = boolean,
            "cap_add" => service.cap_add = string_list(node),
            "cap_drop" => service.cap_drop = string_list(node),
            "devices" => service.devices = string_list(node),
            "security_opt" => service.security_opt = string_list(node),
            "external_links" => service.external_links = string_list(node),
            "mem_limit" => service.mem_limit = parse_bytes(node),
            "memswap_limit" => service.memswap_limit = parse_bytes(node),
            "mem_reservation" => service.mem_reservation = parse_bytes(node),
            "shm_size" => service.shm_size = parse_bytes(node),
            "mem_swappiness" => service.mem_swappiness = int_of(node),
            "cpu_shares" => service.cpu_shares = int_of(node),
            "cpu_quota" => service.cpu_quota = int_of(node),
            _ => {}
        }
    }

    fn build(&self, node: &Node, dockerfile: Option<&Node>, problems: &mut Vec<Problem>) -> Build {
        let mut build = Build {
            context: String::new(),
            dockerfile: None,
            args: IndexMap::new(),
            target: None,
        };
        match &node.value {
            Value::String(context) => build.context.clone_from(context),
            Value::Mapping(mapping) => {
                if let Some(context) = mapping.get("context").and_then(Node::scalar_to_string) {
                    build.context = context;
                }
                build.dockerfile = mapping.get("dockerfile").and_then(Node::scalar_to_string);
                build.target = mapping.get("target").and_then(Node::scalar_to_string);
                for arg in parse_mapping_form("environment", mapping.get("args")).entries {
                    // An arg without a value takes the environment's, and `''` when
                    // unset (`resolve_build_args`, then `build_string_dict`:
                    // `compose/config/config.py` L1360-1362, `compose/utils.py` L118-119).
                    // See: #18
                    let value = if arg.value.is_null() {
                        Some(self.environment.get(&arg.key).cloned().unwrap_or_default())
                    } else {
                        arg.value.scalar_to_string()
                    };
                    build.args.insert(arg.key, value);
                }
            }
            _ => {}
        }
        if let Some(dockerfile) = dockerfile {
            build.dockerfile = dockerfile.scalar_to_string();
        }
        if self.check_build_paths && !is_url(&build.context) && !Path::new(&build.context).is_dir()
        {
            let span = match &node.value {
                Value::Mapping(mapping) => mapping
                    .get("context")
                    .map_or(node.span, |context| context.span),
                _ => node.span,
            };
            problems.push(self.problem(
                span,
                ProblemKind::BuildPath {
                    path: crate::load::shown_path(self.display_root, Path::new(&build.context)),
                },
            ));
        }
        build
    }

    /// The image/build constraint and `memswap_limit`, checked on the final service.
    fn check_constraints(
        &self,
        name: &str,
        span: Span,
        dict: &Mapping,
        problems: &mut Vec<Problem>,
    ) {
        let service = name.to_owned();
        let has_image = dict.contains_key("image");
        let has_build = dict.contains_key("build");
        if self.v1 && has_image && has_build {
            problems.push(
                self.problem(span, ProblemKind::ImageAndBuild { service })
                    .with_help("a service can either be built to an image or use an existing image, not both"),
            );
        } else if self.v1 && has_image && dict.contains_key("dockerfile") {
            problems.push(self.problem(span, ProblemKind::ImageAndDockerfile { service }));
        } else if !has_image && !has_build {
            problems.push(
                self.problem(span, ProblemKind::NoImageNorBuild { service })
                    .with_help("add `image:` or `build:`"),
            );
        } else if !has_image && name.chars().any(|c| c.is_ascii_uppercase()) {
            problems.push(self.problem(
                span,
                ProblemKind::UppercaseServiceName {
                    service: name.to_owned(),
                },
            ));
        }
        if let Some(entry) = dict.entry("memswap_limit")
            && !dict.contains_key("mem_limit")
        {
            problems.push(self.problem(
                entry.key_span,
                ProblemKind::MemswapWithoutMemLimit {
                    service: name.to_owned(),
                },
            ));
        }
    }
}

/// `process_healthcheck`: `disable` becomes `test: [NONE]`, durations nanoseconds.
fn healthcheck_json(node: &Node) -> Json {
    let Json::Object(mut healthcheck) = node_to_json(node) else {
        return node_to_json(node);
    };
    if healthcheck
        .remove("disable")
        .is_some_and(|disable| disable == Json::Bool(true))
    {
        healthcheck.insert("test".to_owned(), serde_json::json!(["NONE"]));
    }
    for key in ["interval", "timeout", "start_period"] {
        if let Some(Json::String(text)) = healthcheck.get(key)
            && let Some(nanoseconds) = crate::schema::parse_duration_nanoseconds(text)
        {
            healthcheck.insert(key.to_owned(), Json::from(nanoseconds));
        }
    }
    Json::Object(healthcheck)
}
