//! What `envctl config` prints: 1.29.2's `serialize.py` over the resolved project.
//!
//! `Service::options` holds 1.29.2's internal forms (the config hash needs them:
//! `VolumeSpec`, `ServicePort`, … as arrays, `restart` as a mapping). This module turns
//! them back into what `docker-compose config` prints (`denormalize_service_dict`):
//! volumes as `host:container:mode`, ports as legacy strings in v1, `restart` as
//! `name[:max]`, `network_mode: bridge` for v1 services without one, every `$` written
//! as `$$` — and writes YAML as PyYAML's `safe_dump` does (`emitter.rs`).

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use crate::model::{Format, Project};

/// How to render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Write every `$` as `$$` (off for `--no-interpolate`).
    pub escape_dollars: bool,
    /// v2/v3 top-level sections (`networks`, `volumes`, …) as returned by
    /// [`load_with_sections`](crate::load_with_sections).
    pub sections: Map<String, Json>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            escape_dollars: true,
            sections: Map::new(),
        }
    }
}

/// The document `docker-compose config` prints, as JSON data.
pub fn to_compose_value(project: &Project, options: &RenderOptions) -> Json {
    let v1 = project.format == Format::V1;
    let mut services = Map::new();
    for (name, service) in &project.services {
        let mut dict = service.options.clone();
        if let Some(restart) = dict.get("restart").cloned() {
            let name_text = restart
                .get("Name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned();
            let count = restart
                .get("MaximumRetryCount")
                .and_then(Json::as_i64)
                .unwrap_or(0);
            let printed = if count == 0 {
                name_text
            } else {
                format!("{name_text}:{count}")
            };
            dict.insert("restart".to_owned(), Json::String(printed));
        }
        if let Some(Json::Object(mut healthcheck)) = dict.get("healthcheck").cloned() {
            for key in ["interval", "timeout", "start_period"] {
                if let Some(nanoseconds) = healthcheck.get(key).and_then(Json::as_i64) {
                    healthcheck.insert(
                        key.to_owned(),
                        Json::String(serialize_nanoseconds(nanoseconds)),
                    );
                }
            }
            dict.insert("healthcheck".to_owned(), Json::Object(healthcheck));
        }
        if v1 && !dict.contains_key("network_mode") {
            dict.insert("network_mode".to_owned(), Json::String("bridge".to_owned()));
        }
        if let Some(Json::Array(ports)) = dict.get("ports").cloned() {
            let printed = ports.iter().map(|port| print_port(port, v1)).collect();
            dict.insert("ports".to_owned(), Json::Array(printed));
        }
        if let Some(Json::Array(volumes)) = dict.get("volumes").cloned() {
            let printed = volumes
                .iter()
                .map(|volume| match volume.as_array().map(Vec::as_slice) {
                    Some([Json::Null, target, _]) => target.clone(),
                    Some([source, target, mode]) => Json::String(format!(
                        "{}:{}:{}",
                        source.as_str().unwrap_or_default(),
                        target.as_str().unwrap_or_default(),
                        mode.as_str().unwrap_or_default()
                    )),
                    _ => volume.clone(),
                })
                .collect();
            dict.insert("volumes".to_owned(), Json::Array(printed));
        }
        if let Some(Json::Array(volumes_from)) = dict.get("volumes_from").cloned() {
            let printed = volumes_from
                .iter()
                .map(|entry| match entry.as_array().map(Vec::as_slice) {
                    Some([source, mode, kind]) => Json::String(format!(
                        "{}:{}:{}",
                        kind.as_str().unwrap_or_default(),
                        source.as_str().unwrap_or_default(),
                        mode.as_str().unwrap_or_default()
                    )),
                    _ => entry.clone(),
                })
                .collect();
            dict.insert("volumes_from".to_owned(), Json::Array(printed));
        }
        if let Some(Json::Array(security_opt)) = dict.get("security_opt").cloned() {
            let printed = security_opt
                .iter()
                .map(|entry| {
                    entry
                        .as_array()
                        .and_then(|pair| pair.first())
                        .cloned()
                        .unwrap_or_else(|| entry.clone())
                })
                .collect();
            dict.insert("security_opt".to_owned(), Json::Array(printed));
        }
        services.insert(name.to_string(), Json::Object(dict));
    }
    let mut document = Map::new();
    document.insert("services".to_owned(), Json::Object(services));
    for (section, value) in &options.sections {
        document.insert(section.clone(), value.clone());
    }
    let version = match &project.format {
        Format::V1 => "1".to_owned(),
        Format::Spec { version } => version.clone().unwrap_or_else(|| "3.9".to_owned()),
    };
    document.insert("version".to_owned(), Json::String(version));
    let document = Json::Object(document);
    if options.escape_dollars {
        escape(document)
    } else {
        document
    }
}

/// `serialize_ns_time_value`: the largest unit that divides the value exactly.
fn serialize_nanoseconds(nanoseconds: i64) -> String {
    let mut value = nanoseconds;
    let mut unit = "ns";
    for (factor, next_unit) in [
        (1000, "us"),
        (1000, "ms"),
        (1000, "s"),
        (60, "m"),
        (60, "h"),
    ] {
        if value % factor == 0 {
            value /= factor;
            unit = next_unit;
        } else {
            break;
        }
    }
    format!("{value}{unit}")
}

fn print_port(port: &Json, v1: bool) -> Json {
    let Some([target, published, protocol, mode, host_ip]) = port.as_array().map(Vec::as_slice)
    else {
        return port.clone();
    };
    if v1 || !host_ip.is_null() {
        let mut text = String::new();
        if let Some(ip) = host_ip.as_str() {
            text.push_str(ip);
            text.push(':');
        }
        match published {
            Json::Null => {}
            Json::String(published) => text.push_str(published),
            other => text.push_str(&other.to_string()),
        }
        if !published.is_null() || !host_ip.is_null() {
            text.push(':');
        }
        let _ = write!(text, "{}/{}", target, protocol.as_str().unwrap_or("tcp"));
        return Json::String(text);
    }
    let mut object = Map::new();
    object.insert("target".to_owned(), target.clone());
    for (key, value) in [
        ("published", published),
        ("protocol", protocol),
        ("mode", mode),
    ] {
        if !value.is_null() {
            object.insert(key.to_owned(), value.clone());
        }
    }
    Json::Object(object)
}

fn escape(value: Json) -> Json {
    match value {
        Json::String(text) => Json::String(text.replace('$', "$$")),
        Json::Array(items) => Json::Array(items.into_iter().map(escape).collect()),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(key, value)| (key, escape(value)))
                .collect(),
        ),
        other => other,
    }
}

/// `docker-compose config` output for `project`, keys sorted. 1.29.2 prints it with
/// one more newline at the end (`print(yaml)`): write it with `println!` to match it
/// byte for byte.
pub fn to_compose_yaml(project: &Project) -> String {
    to_compose_yaml_with(project, &RenderOptions::default())
}

/// [`to_compose_yaml`] with `--no-interpolate` and the v2/v3 top-level sections.
pub fn to_compose_yaml_with(project: &Project, options: &RenderOptions) -> String {
    crate::emitter::dump(&to_compose_value(project, options))
}

/// The resolved project (typed fields and options) as YAML, through serde: a
/// readable dump for debugging and snapshots, not a compose file.
pub fn to_resolved_yaml(project: &Project) -> String {
    // Serialising plain data (strings, maps, numbers) cannot fail.
    serde_yaml::to_string(project).unwrap_or_default()
}
