//! Swarm mode: services, tasks, nodes, networks, secrets and configs of a stack.
//!
//! A service's spec travels as the engine API's JSON (`serde_json::Value`), which
//! the planner made: bollard's `ServiceSpec` is (de)serialised from and to it here
//! and nowhere else. What is read back is given the planner's plain types.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ConfigSpec, Driver, Ipam, IpamConfig, NetworkCreateRequest, SecretSpec, Service, ServiceSpec,
    Task,
};
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListNodesOptions, ListSecretsOptions,
    ListServicesOptions, ListTasksOptions, UpdateServiceOptions,
};
use envctl_planner::stack::{NAMESPACE_LABEL, StackNetwork};
use envctl_planner::{ObservedStackObject, ObservedStackService, StackObserved};
use indexmap::IndexMap;
use serde_json::Value;

use super::{Engine, EngineError, status, traced};

/// A task, as `stack ps` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmTask {
    pub id: String,
    /// The service's name (`<stack>_<service>`).
    pub service: String,
    pub service_id: String,
    /// The replica's slot; `None` for a global service's task.
    pub slot: Option<i64>,
    pub node_id: String,
    pub image: String,
    pub desired_state: String,
    pub state: String,
    pub message: String,
    pub error: Option<String>,
    /// When its state last changed (RFC 3339).
    pub timestamp: String,
    /// The raft index of its last change: larger than a service's version read
    /// before the task was made.
    pub version: u64,
}

/// A service of a stack, as `stack services` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmService {
    pub id: String,
    pub name: String,
    pub stack: String,
    /// `replicated` or `global`.
    pub mode: String,
    /// `None` for a global service.
    pub replicas: Option<u64>,
    pub image: String,
    /// `*:8080->80/tcp`.
    pub ports: Vec<String>,
    pub version: u64,
    /// `UpdateStatus.State` and `.StartedAt`, `.Message`.
    pub update_state: Option<String>,
    pub update_started: Option<String>,
    pub update_message: Option<String>,
}

/// A node of the swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmNode {
    pub id: String,
    pub hostname: String,
    /// `ready`, `down`, …
    pub state: String,
}

fn namespace_filter(stack: Option<&str>) -> HashMap<String, Vec<String>> {
    let label = match stack {
        Some(stack) => format!("{NAMESPACE_LABEL}={stack}"),
        None => NAMESPACE_LABEL.to_owned(),
    };
    HashMap::from([("label".to_owned(), vec![label])])
}

fn text(value: &Value, path: &[&str]) -> String {
    let mut current = value;
    for key in path {
        current = &current[*key];
    }
    current.as_str().unwrap_or_default().to_owned()
}

fn labels_of(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|labels| {
            labels
                .iter()
                .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A bollard model as the engine's JSON, to read by the API's own key names.
macro_rules! to_json {
    ($value:expr) => {
        serde_json::to_value($value).unwrap_or(Value::Null)
    };
}

/// Standard base64 with padding: how the engine takes a secret's data.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let group = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                encoded.push(char::from(
                    ALPHABET[((group >> (18 - 6 * index)) & 63) as usize],
                ));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

/// The data of standard base64 (the engine gives a config's data back so);
/// `None` when it is not base64.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut data = Vec::with_capacity(text.len() / 4 * 3);
    let mut group: u32 = 0;
    let mut bits = 0;
    for character in text.bytes().filter(|byte| *byte != b'=') {
        let value = match character {
            b'A'..=b'Z' => character - b'A',
            b'a'..=b'z' => character - b'a' + 26,
            b'0'..=b'9' => character - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        group = (group << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            data.push(u8::try_from((group >> bits) & 0xff).unwrap_or(0));
        }
    }
    Some(data)
}

fn service_row(service: &Service) -> SwarmService {
    let json = to_json!(service);
    let spec = &json["Spec"];
    let replicas = spec["Mode"]["Replicated"]["Replicas"]
        .as_u64()
        .or_else(|| spec["Mode"]["Replicated"].is_object().then_some(1));
    let mode = if spec["Mode"]["Global"].is_object() {
        "global"
    } else {
        "replicated"
    };
    let ports = json["Endpoint"]["Ports"]
        .as_array()
        .map(|ports| {
            ports
                .iter()
                .map(|port| {
                    format!(
                        "*:{}->{}/{}",
                        port["PublishedPort"].as_u64().unwrap_or(0),
                        port["TargetPort"].as_u64().unwrap_or(0),
                        port["Protocol"].as_str().unwrap_or("tcp")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let update = &json["UpdateStatus"];
    SwarmService {
        id: text(&json, &["ID"]),
        name: text(spec, &["Name"]),
        stack: spec["Labels"][NAMESPACE_LABEL]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        mode: mode.to_owned(),
        replicas,
        image: text(spec, &["TaskTemplate", "ContainerSpec", "Image"]),
        ports,
        version: json["Version"]["Index"].as_u64().unwrap_or(0),
        update_state: update["State"].as_str().map(str::to_owned),
        update_started: update["StartedAt"].as_str().map(str::to_owned),
        update_message: update["Message"].as_str().map(str::to_owned),
    }
}

fn task_row(task: &Task, service_names: &HashMap<String, String>) -> SwarmTask {
    let json = to_json!(task);
    let service_id = text(&json, &["ServiceID"]);
    let error = json["Status"]["Err"].as_str().map(str::to_owned);
    SwarmTask {
        id: text(&json, &["ID"]),
        service: service_names.get(&service_id).cloned().unwrap_or_default(),
        service_id,
        slot: json["Slot"].as_i64(),
        node_id: text(&json, &["NodeID"]),
        image: text(&json, &["Spec", "ContainerSpec", "Image"]),
        desired_state: text(&json, &["DesiredState"]),
        state: text(&json, &["Status", "State"]),
        message: text(&json, &["Status", "Message"]),
        error,
        timestamp: text(&json, &["Status", "Timestamp"]),
        version: json["Version"]["Index"].as_u64().unwrap_or(0),
    }
}

impl Engine {
    /// The services of `stack` (of every stack with `None`), sorted by name.
    pub async fn swarm_services(
        &self,
        stack: Option<&str>,
    ) -> Result<Vec<SwarmService>, EngineError> {
        let options = ListServicesOptions {
            filters: Some(namespace_filter(stack)),
            ..ListServicesOptions::default()
        };
        let services = traced(
            "list_services",
            stack.unwrap_or("*"),
            self.client.list_services(Some(options)),
        )
        .await?;
        let mut rows: Vec<SwarmService> = services.iter().map(service_row).collect();
        rows.sort_by(|left, right| left.name.cmp(&right.name));
        Ok(rows)
    }

    /// The tasks of the services of `stack`.
    pub async fn swarm_tasks(&self, stack: &str) -> Result<Vec<SwarmTask>, EngineError> {
        let services = self.swarm_services(Some(stack)).await?;
        let names: HashMap<String, String> = services
            .iter()
            .map(|service| (service.id.clone(), service.name.clone()))
            .collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let filters = HashMap::from([(
            "service".to_owned(),
            names.keys().cloned().collect::<Vec<_>>(),
        )]);
        let options = ListTasksOptions {
            filters: Some(filters),
        };
        let tasks = traced("list_tasks", stack, self.client.list_tasks(Some(options))).await?;
        Ok(tasks.iter().map(|task| task_row(task, &names)).collect())
    }

    /// The swarm's nodes.
    pub async fn swarm_nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        let nodes = traced(
            "list_nodes",
            "*",
            self.client.list_nodes(None::<ListNodesOptions>),
        )
        .await?;
        Ok(nodes
            .iter()
            .map(|node| {
                let json = to_json!(node);
                SwarmNode {
                    id: text(&json, &["ID"]),
                    hostname: text(&json, &["Description", "Hostname"]),
                    state: text(&json, &["Status", "State"]),
                }
            })
            .collect())
    }

    /// What the cluster holds of `stack`: each service's spec with its networks
    /// named (the engine keeps their ids) and its secrets' and configs' ids left
    /// out.
    pub async fn observe_stack(&self, stack: &str) -> Result<StackObserved, EngineError> {
        let services = traced(
            "list_services",
            stack,
            self.client.list_services(Some(ListServicesOptions {
                filters: Some(namespace_filter(Some(stack))),
                ..ListServicesOptions::default()
            })),
        )
        .await?;
        let all_networks = traced(
            "list_networks",
            "*",
            self.client.list_networks(None::<ListNetworksOptions>),
        )
        .await?;
        let network_names: HashMap<String, String> = all_networks
            .iter()
            .filter_map(|network| Some((network.id.clone()?, network.name.clone()?)))
            .collect();
        let healthchecks = self.raw_healthchecks(stack).await;
        let mut observed = StackObserved::default();
        for network in &all_networks {
            let labels = labels_of(&to_json!(&network.labels));
            if labels.get(NAMESPACE_LABEL).map(String::as_str) == Some(stack) {
                observed.networks.push(ObservedStackObject {
                    name: network.name.clone().unwrap_or_default(),
                    id: network.id.clone().unwrap_or_default(),
                    labels,
                    ..ObservedStackObject::default()
                });
            }
        }
        for service in &services {
            let json = to_json!(service);
            let mut spec = json["Spec"].clone();
            if let Some(networks) = spec["TaskTemplate"]["Networks"].as_array_mut() {
                for network in networks {
                    if let Some(name) = network["Target"]
                        .as_str()
                        .and_then(|id| network_names.get(id))
                    {
                        network["Target"] = Value::from(name.as_str());
                    }
                }
            }
            for key in ["Secrets", "Configs"] {
                if let Some(references) = spec["TaskTemplate"]["ContainerSpec"][key].as_array_mut()
                {
                    for reference in references {
                        if let Some(reference) = reference.as_object_mut() {
                            reference.remove("SecretID");
                            reference.remove("ConfigID");
                        }
                    }
                }
            }
            // bollard's model reads no health check (see `raw_healthchecks`).
            let id = text(&json, &["ID"]);
            if let Some(container) = spec["TaskTemplate"]["ContainerSpec"].as_object_mut() {
                container.remove("HealthCheck");
                if let Some(health) = healthchecks.as_ref().and_then(|checks| checks.get(&id))
                    && !health.is_null()
                {
                    container.insert("Healthcheck".into(), health.clone());
                }
            }
            observed.services.push(ObservedStackService {
                healthcheck_known: healthchecks.is_some(),
                name: text(&spec, &["Name"]),
                id: text(&json, &["ID"]),
                version: json["Version"]["Index"].as_u64().unwrap_or(0),
                update_started: json["UpdateStatus"]["StartedAt"]
                    .as_str()
                    .map(str::to_owned),
                spec,
            });
        }
        let secrets = traced(
            "list_secrets",
            stack,
            self.client.list_secrets(Some(ListSecretsOptions {
                filters: Some(namespace_filter(Some(stack))),
            })),
        )
        .await?;
        for secret in &secrets {
            let json = to_json!(secret);
            observed.secrets.push(ObservedStackObject {
                name: text(&json, &["Spec", "Name"]),
                id: text(&json, &["ID"]),
                labels: labels_of(&json["Spec"]["Labels"]),
                digest: None,
                templating: templating_of(&json),
                version: json["Version"]["Index"].as_u64().unwrap_or(0),
            });
        }
        let configs = traced(
            "list_configs",
            stack,
            self.client.list_configs(Some(ListConfigsOptions {
                filters: Some(namespace_filter(Some(stack))),
            })),
        )
        .await?;
        for config in &configs {
            let json = to_json!(config);
            observed.configs.push(ObservedStackObject {
                name: text(&json, &["Spec", "Name"]),
                id: text(&json, &["ID"]),
                labels: labels_of(&json["Spec"]["Labels"]),
                digest: json["Spec"]["Data"]
                    .as_str()
                    .and_then(base64_decode)
                    .map(|data| envctl_planner::stack::content_digest(&data)),
                templating: templating_of(&json),
                version: json["Version"]["Index"].as_u64().unwrap_or(0),
            });
        }
        Ok(observed)
    }

    /// Fills each secret reference's `SecretID` from its `SecretName`, and each
    /// config reference's `ConfigID` from its `ConfigName` (the engine wants both).
    async fn with_secret_ids(&self, spec: &Value) -> Result<Value, EngineError> {
        let mut spec = spec.clone();
        let wants = |key: &str| {
            spec["TaskTemplate"]["ContainerSpec"][key]
                .as_array()
                .is_some_and(|references| !references.is_empty())
        };
        let mut ids: HashMap<String, String> = HashMap::new();
        if wants("Secrets") {
            let secrets = traced(
                "list_secrets",
                "*",
                self.client.list_secrets(None::<ListSecretsOptions>),
            )
            .await?;
            for secret in &secrets {
                let json = to_json!(secret);
                ids.insert(
                    format!("Secret {}", text(&json, &["Spec", "Name"])),
                    text(&json, &["ID"]),
                );
            }
        }
        if wants("Configs") {
            let configs = traced(
                "list_configs",
                "*",
                self.client.list_configs(None::<ListConfigsOptions>),
            )
            .await?;
            for config in &configs {
                let json = to_json!(config);
                ids.insert(
                    format!("Config {}", text(&json, &["Spec", "Name"])),
                    text(&json, &["ID"]),
                );
            }
        }
        for (list, kind) in [("Secrets", "Secret"), ("Configs", "Config")] {
            let Some(references) = spec["TaskTemplate"]["ContainerSpec"][list].as_array_mut()
            else {
                continue;
            };
            for reference in references {
                if let Some(id) = reference[format!("{kind}Name")]
                    .as_str()
                    .and_then(|name| ids.get(&format!("{kind} {name}")))
                {
                    reference[format!("{kind}ID")] = Value::from(id.as_str());
                }
            }
        }
        Ok(spec)
    }

    /// The spec as bollard's model. bollard names `Healthcheck` `HealthCheck` (the
    /// engine reads either); a key the model would drop is an error, not a spec
    /// silently sent without it.
    fn service_spec(spec: &Value) -> Result<ServiceSpec, EngineError> {
        let mut renamed = spec.clone();
        if let Some(container) = renamed["TaskTemplate"]["ContainerSpec"].as_object_mut()
            && let Some(health) = container.remove("Healthcheck")
        {
            container.insert("HealthCheck".into(), health);
        }
        let model: ServiceSpec = serde_json::from_value(renamed.clone()).map_err(|error| {
            EngineError::stream(format!(
                "a service spec envctl made is not the engine's: {error}"
            ))
        })?;
        let back = to_json!(&model);
        let lost = envctl_planner::stack::changed_paths(
            &envctl_planner::stack::normalized(&renamed),
            &envctl_planner::stack::normalized(&back),
        );
        if lost.is_empty() {
            Ok(model)
        } else {
            Err(EngineError::stream(format!(
                "the engine client cannot send these keys of the service spec: {}",
                lost.join(", ")
            )))
        }
    }

    /// The health checks of `stack`'s services by id, read from the engine's own
    /// JSON (bollard's model reads `HealthCheck`, the engine writes `Healthcheck`);
    /// `None` when the engine is not on a Unix socket.
    async fn raw_healthchecks(&self, stack: &str) -> Option<HashMap<String, Value>> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let crate::endpoint::EngineAddress::Unix(path) = &self.endpoint.address else {
            return None;
        };
        let filters =
            serde_json::json!({"label": [format!("{NAMESPACE_LABEL}={stack}")]}).to_string();
        let encoded: String = filters
            .bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect();
        let request =
            format!("GET /v1.41/services?filters={encoded} HTTP/1.0\r\nHost: docker\r\n\r\n");
        let exchange = async {
            let mut stream = tokio::net::UnixStream::connect(path).await.ok()?;
            stream.write_all(request.as_bytes()).await.ok()?;
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.ok()?;
            Some(response)
        };
        let response = tokio::time::timeout(std::time::Duration::from_secs(30), exchange)
            .await
            .ok()??;
        let start = response
            .windows(4)
            .position(|window| window == b"\r\n\r\n")?
            + 4;
        let services: Value = serde_json::from_slice(&response[start..]).ok()?;
        Some(
            services
                .as_array()?
                .iter()
                .map(|service| {
                    (
                        text(service, &["ID"]),
                        service["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"].clone(),
                    )
                })
                .collect(),
        )
    }

    /// Creates a service; its id.
    pub async fn create_swarm_service(&self, spec: &Value) -> Result<String, EngineError> {
        let spec = Self::service_spec(&self.with_secret_ids(spec).await?)?;
        let name = spec.name.clone().unwrap_or_default();
        let response = traced(
            "create_service",
            &name,
            self.client.create_service(spec, None),
        )
        .await?;
        Ok(response.id.unwrap_or_default())
    }

    /// Updates the service `id`, which must still be at `version`.
    pub async fn update_swarm_service(
        &self,
        id: &str,
        version: u64,
        spec: &Value,
    ) -> Result<(), EngineError> {
        let spec = Self::service_spec(&self.with_secret_ids(spec).await?)?;
        let options = UpdateServiceOptions {
            version: i32::try_from(version).unwrap_or(i32::MAX),
            registry_auth_from: "spec".to_owned(),
            rollback: None,
        };
        traced(
            "update_service",
            id,
            self.client.update_service(id, spec, options, None),
        )
        .await
        .map(drop)
    }

    /// `Ok(false)` when it was already gone.
    pub async fn remove_swarm_service(&self, id: &str) -> Result<bool, EngineError> {
        match traced("delete_service", id, self.client.delete_service(id)).await {
            Ok(()) => Ok(true),
            Err(error) if status(&error) == Some(404) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Creates a swarm-scoped network of the stack.
    pub async fn create_stack_network(&self, network: &StackNetwork) -> Result<(), EngineError> {
        let request = NetworkCreateRequest {
            name: network.name.clone(),
            driver: Some(network.driver.clone()),
            scope: Some("swarm".to_owned()),
            attachable: Some(network.attachable),
            internal: Some(network.internal),
            enable_ipv6: network.enable_ipv6,
            options: Some(network.options.clone().into_iter().collect()),
            labels: Some(network.labels.clone().into_iter().collect()),
            ipam: network.ipam.as_ref().map(|ipam| Ipam {
                driver: ipam.driver.clone(),
                config: Some(
                    ipam.config
                        .iter()
                        .map(|pool| IpamConfig {
                            subnet: pool.subnet.clone(),
                            ip_range: pool.ip_range.clone(),
                            gateway: pool.gateway.clone(),
                            auxiliary_addresses: (!pool.aux_addresses.is_empty())
                                .then(|| pool.aux_addresses.clone().into_iter().collect()),
                        })
                        .collect(),
                ),
                options: (!ipam.options.is_empty())
                    .then(|| ipam.options.clone().into_iter().collect()),
            }),
            ..NetworkCreateRequest::default()
        };
        traced(
            "create_network",
            &network.name,
            self.client.create_network(request),
        )
        .await
        .map(drop)
    }

    /// `Ok(false)` when it was already gone.
    pub async fn remove_swarm_network(&self, id: &str) -> Result<bool, EngineError> {
        match traced("remove_network", id, self.client.remove_network(id)).await {
            Ok(()) => Ok(true),
            Err(error) if status(&error) == Some(404) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Creates a secret holding `data`.
    pub async fn create_swarm_secret(
        &self,
        name: &str,
        labels: &IndexMap<String, String>,
        templating: Option<&str>,
        data: &[u8],
    ) -> Result<(), EngineError> {
        let spec = SecretSpec {
            name: Some(name.to_owned()),
            labels: Some(labels.clone().into_iter().collect()),
            data: Some(base64(data)),
            templating: templating.map(driver),
            ..SecretSpec::default()
        };
        traced("create_secret", name, self.client.create_secret(spec))
            .await
            .map(drop)
    }

    /// `Ok(false)` when it was already gone.
    pub async fn remove_swarm_secret(&self, id: &str) -> Result<bool, EngineError> {
        match traced("delete_secret", id, self.client.delete_secret(id)).await {
            Ok(()) => Ok(true),
            Err(error) if status(&error) == Some(404) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// `Ok(false)` when it was already gone.
    pub async fn remove_swarm_config(&self, id: &str) -> Result<bool, EngineError> {
        match traced("delete_config", id, self.client.delete_config(id)).await {
            Ok(()) => Ok(true),
            Err(error) if status(&error) == Some(404) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// What the registry says of `image` through the engine (`GET
    /// /distribution/{name}/json`, as docker's `stack deploy --resolve-image`
    /// asks): its manifest's digest and platforms (`(architecture, os)`).
    pub async fn registry_digest(
        &self,
        image: &str,
    ) -> Result<(String, Vec<(String, String)>), EngineError> {
        let inspect = traced(
            "inspect_registry_image",
            image,
            self.client.inspect_registry_image(image, None),
        )
        .await?;
        let json = to_json!(&inspect);
        let platforms = json["Platforms"]
            .as_array()
            .map(|platforms| {
                platforms
                    .iter()
                    .map(|platform| (text(platform, &["architecture"]), text(platform, &["os"])))
                    .collect()
            })
            .unwrap_or_default();
        Ok((text(&json, &["Descriptor", "digest"]), platforms))
    }

    /// The id of the node this engine is (in the swarm); `None` outside one.
    pub async fn swarm_node_id(&self) -> Result<Option<String>, EngineError> {
        let info = traced("info", "swarm", self.client.info()).await?;
        let json = to_json!(&info);
        Ok(json["Swarm"]["NodeID"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_owned))
    }

    /// The paths an image declares as volumes (`VOLUME`); none when the engine
    /// does not have the image.
    pub async fn image_volume_paths(&self, image: &str) -> Result<Vec<String>, EngineError> {
        match traced("inspect_image", image, self.client.inspect_image(image)).await {
            Ok(details) => {
                let json = to_json!(&details);
                let mut paths: Vec<String> = json["Config"]["Volumes"]
                    .as_object()
                    .map(|volumes| volumes.keys().cloned().collect())
                    .unwrap_or_default();
                paths.sort();
                Ok(paths)
            }
            Err(error) if status(&error) == Some(404) => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }

    /// Creates a config holding `data`.
    pub async fn create_swarm_config(
        &self,
        name: &str,
        labels: &IndexMap<String, String>,
        templating: Option<&str>,
        data: &[u8],
    ) -> Result<(), EngineError> {
        let spec = ConfigSpec {
            name: Some(name.to_owned()),
            labels: Some(labels.clone().into_iter().collect()),
            data: Some(base64(data)),
            templating: templating.map(driver),
        };
        traced("create_config", name, self.client.create_config(spec))
            .await
            .map(drop)
    }

    /// Sets a secret's labels, at `version` (the one change the engine allows:
    /// no data is sent).
    pub async fn relabel_swarm_secret(
        &self,
        id: &str,
        version: u64,
        name: &str,
        labels: &IndexMap<String, String>,
    ) -> Result<(), EngineError> {
        let spec = SecretSpec {
            name: Some(name.to_owned()),
            labels: Some(labels.clone().into_iter().collect()),
            ..SecretSpec::default()
        };
        let options = bollard::query_parameters::UpdateSecretOptions {
            version: i64::try_from(version).unwrap_or(i64::MAX),
        };
        traced(
            "update_secret",
            name,
            self.client.update_secret(id, spec, options),
        )
        .await
    }

    /// Sets a config's labels, at `version`.
    pub async fn relabel_swarm_config(
        &self,
        id: &str,
        version: u64,
        name: &str,
        labels: &IndexMap<String, String>,
    ) -> Result<(), EngineError> {
        let spec = ConfigSpec {
            name: Some(name.to_owned()),
            labels: Some(labels.clone().into_iter().collect()),
            ..ConfigSpec::default()
        };
        let options = bollard::query_parameters::UpdateConfigOptions {
            version: i64::try_from(version).unwrap_or(i64::MAX),
        };
        traced(
            "update_config",
            name,
            self.client.update_config(id, spec, options),
        )
        .await
    }
}

/// A secret's or config's `Spec.Templating.Name`.
fn templating_of(json: &Value) -> Option<String> {
    json["Spec"]["Templating"]["Name"]
        .as_str()
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// A `Templating` driver named `name`, without options (docker's).
fn driver(name: &str) -> Driver {
    Driver {
        name: name.to_owned(),
        options: None,
    }
}

#[cfg(test)]
mod tests {
    use super::{base64, base64_decode};

    #[test]
    fn base64_round_trips_every_length() {
        for data in [
            &b""[..],
            b"a",
            b"ab",
            b"abc",
            b"listen 80;\n",
            &[0, 255, 128, 7],
        ] {
            assert_eq!(base64_decode(&base64(data)).as_deref(), Some(data));
        }
        assert_eq!(base64_decode("bGlzdGVu"), Some(b"listen".to_vec()));
        assert_eq!(base64_decode("not base64!"), None);
    }
}
