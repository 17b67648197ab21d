//! The `com.docker.compose.config-hash` label, computed as 1.29.2 computes it.
//!
//! 1.29.2 hashes `json.dumps(config_dict, sort_keys=True, separators=(',', ':'))`
//! (ASCII-escaped) with sha256, where `config_dict` holds the service's options plus
//! the image id and the resolved references (`compose/service.py` L700-723). The
//! parser gives the options in 1.29.2's form (`Service::options`); this module adds the
//! rest and serialises exactly as Python's `json` module does.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use envctl_parser::{ModeRef, Project, SecretSource, Service, ServiceName, VolumesFromSource};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::observed::Observed;
use crate::plan::image_reference_str;
use crate::resources::{network_name, service_attachments, uses_networking, volume_name};

/// The keys 1.29.2's `Project.from_config` takes out of the options before hashing.
const NOT_OPTIONS: &[&str] = &[
    "name",
    "links",
    "network_mode",
    "pid",
    "ipc",
    "volumes_from",
    "networks",
    "secrets",
    "scale",
];

/// The config hash of `service` when its image has the local id `image_id` and it
/// names no container's namespace (`net: container:x`, `ipc: container:x` or
/// `ipc: service:x`); see [`config_hash_observed`] for those.
pub fn config_hash(service: &Service, image_id: Option<&str>) -> String {
    hash_with(service, image_id, &References::default())
}

/// The config hash of `service` as 1.29.2 computes it against the engine state
/// `observed`: the local id of its image, the id of a container it shares a network
/// stack or IPC namespace with, and, for `ipc: service:x`, the id of `x`'s newest
/// running container (1.29.2 asks the engine, newest first, and takes the first).
pub fn config_hash_observed(project: &Project, service: &Service, observed: &Observed) -> String {
    let image_id = observed
        .images
        .get(image_reference_str(project, service).as_ref())
        .map(String::as_str);
    config_hash_with_image(project, service, observed, image_id)
}

/// [`config_hash_observed`] with the local id of the service's image already looked
/// up.
pub(crate) fn config_hash_with_image(
    project: &Project,
    service: &Service,
    observed: &Observed,
    image_id: Option<&str>,
) -> String {
    let networking = uses_networking(project);
    let references = References {
        net: match &service.network_mode {
            // v2 and later: `NetworkMode(networks[0])`, the primary network.
            None if networking => Some(Value::String(
                service_attachments(project, service)
                    .into_iter()
                    .next()
                    .map_or_else(|| "none".to_owned(), |attachment| attachment.network),
            )),
            // `ContainerNetworkMode.id` is the container's full id.
            Some(ModeRef::Container(name)) => Some(observed.container_ids.get(name).map_or_else(
                || Value::String(name.clone()),
                |id| Value::String(id.clone()),
            )),
            _ => None,
        },
        ipc: match &service.ipc {
            // `ContainerIpcMode.mode` is `container:<id>`.
            Some(ModeRef::Container(name)) => Some(Value::String(format!(
                "container:{}",
                observed
                    .container_ids
                    .get(name)
                    .map_or(name.as_str(), String::as_str)
            ))),
            // `ServiceIpcMode.mode`: the first running container, else null.
            Some(ModeRef::Service(target)) => Some(
                observed
                    .first_running_container(target.as_str())
                    .map_or(Value::Null, |container| {
                        Value::String(format!("container:{}", container.id))
                    }),
            ),
            _ => None,
        },
        networks: networking.then(|| hashed_networks(project, service)),
        volumes: networking.then(|| namespaced_volumes(project, service)),
    };
    hash_with(service, image_id, &references)
}

/// 1.29.2's `Service.networks` for v2 and later: each network the service joins, by
/// its engine name, with the service's own settings for it (`{}` for none). The
/// order does not matter: the JSON is written with sorted keys.
fn hashed_networks(project: &Project, service: &Service) -> serde_json::Map<String, Value> {
    if service.network_mode.is_some() {
        return serde_json::Map::new();
    }
    let written = service.options.get("networks").and_then(Value::as_object);
    let keys: Vec<&str> = if service.networks.is_empty() {
        vec!["default"]
    } else {
        service.networks.keys().map(String::as_str).collect()
    };
    keys.into_iter()
        .map(|key| {
            let settings = written
                .and_then(|networks| networks.get(key))
                .filter(|settings| !settings.is_null())
                .cloned()
                .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
            (network_name(project, key), settings)
        })
        .collect()
}

/// `options.volumes` as 1.29.2 hashes it for v2 and later (`namespace_spec`): always
/// present, a named volume by its engine name (`<project>_<key>` or its `name:`).
fn namespaced_volumes(project: &Project, service: &Service) -> Value {
    let Some(Value::Array(items)) = service.options.get("volumes") else {
        return Value::Array(Vec::new());
    };
    let named = |source: &str| -> Option<String> {
        if source.is_empty() || source.starts_with(['.', '/', '~']) {
            return None;
        }
        volume_name(project, source)
    };
    Value::Array(
        items
            .iter()
            .map(|item| match item {
                // A `VolumeSpec`: `[external, internal, mode]`.
                Value::Array(spec) => {
                    let mut spec = spec.clone();
                    if let Some(name) = spec.first().and_then(Value::as_str).and_then(named) {
                        spec[0] = Value::String(name);
                    }
                    Value::Array(spec)
                }
                // A `MountSpec` (long syntax): its `source`, for a volume.
                Value::Object(mount) => {
                    let mut mount = mount.clone();
                    let is_volume = mount.get("type").and_then(Value::as_str) == Some("volume");
                    if let Some(name) = mount
                        .get("source")
                        .and_then(Value::as_str)
                        .filter(|_| is_volume)
                        .and_then(named)
                    {
                        mount.insert("source".to_owned(), Value::String(name));
                    }
                    Value::Object(mount)
                }
                other => other.clone(),
            })
            .collect(),
    )
}

/// The order 1.29.2 keeps a project's services in, which `config --hash='*'` prints:
/// its `sort_service_dicts`, a depth-first sort that starts from the *last* service
/// in the file and puts each service before everything that depends on it (so ties
/// are not simply in file order). Assumes no cycle (`DependencyGraph::new` refuses
/// them first); a cycle ends the walk instead of recursing forever.
pub fn compose_order(project: &Project) -> Vec<ServiceName> {
    fn visit(
        project: &Project,
        name: &ServiceName,
        unmarked: &mut Vec<ServiceName>,
        marked: &mut Vec<ServiceName>,
        sorted: &mut Vec<ServiceName>,
    ) {
        if marked.contains(name) || !unmarked.contains(name) {
            return;
        }
        marked.push(name.clone());
        let dependents: Vec<ServiceName> = project
            .services
            .values()
            .filter(|service| {
                service
                    .dependencies
                    .iter()
                    .any(|dependency| &dependency.target == name)
            })
            .map(|service| service.name.clone())
            .collect();
        for dependent in &dependents {
            visit(project, dependent, unmarked, marked, sorted);
        }
        marked.retain(|marked_name| marked_name != name);
        unmarked.retain(|unmarked_name| unmarked_name != name);
        sorted.push(name.clone());
    }
    let mut unmarked: Vec<ServiceName> = project.services.keys().cloned().collect();
    let mut marked = Vec::new();
    // Built back to front: 1.29.2 inserts each finished service at the start.
    let mut sorted = Vec::new();
    while let Some(last) = unmarked.last().cloned() {
        visit(project, &last, &mut unmarked, &mut marked, &mut sorted);
        unmarked.retain(|name| name != &last);
    }
    sorted.reverse();
    sorted
}

/// What 1.29.2 resolves against the engine before hashing; `None` keeps the value
/// the service alone gives.
#[derive(Default)]
struct References {
    net: Option<Value>,
    ipc: Option<Value>,
    /// v2 and later: `networks` by engine name (v1: `{}`).
    networks: Option<serde_json::Map<String, Value>>,
    /// v2 and later: `options.volumes`, always present, named volumes namespaced.
    volumes: Option<Value>,
}

fn hash_with(service: &Service, image_id: Option<&str>, references: &References) -> String {
    let mut json = String::with_capacity(256);
    write_config_dict(service, image_id, references, &mut json);
    let digest = Sha256::digest(json.as_bytes());
    let mut hex = [0_u8; 64];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
    // Hex digits are ASCII: never the empty fallback.
    std::str::from_utf8(&hex).unwrap_or_default().to_owned()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `config_dict` as 1.29.2's compact, key-sorted JSON. The top-level keys are fixed
/// and written in sorted order; the options' keys are sorted here.
fn write_config_dict(
    service: &Service,
    image_id: Option<&str>,
    references: &References,
    out: &mut String,
) {
    out.push_str("{\"image_id\":");
    match image_id {
        Some(id) => write_python_string(id, out),
        None => out.push_str("null"),
    }
    out.push_str(",\"ipc_mode\":");
    match &references.ipc {
        Some(ipc) => write_python_json(ipc, out),
        None => write_python_json(&mode_id(service.ipc.as_ref()), out),
    }
    out.push_str(",\"links\":[");
    for (position, link) in service.links.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        out.push('[');
        write_python_string(link.target.as_str(), out);
        out.push(',');
        match &link.alias {
            Some(alias) => write_python_string(alias, out),
            None => out.push_str("null"),
        }
        out.push(']');
    }
    out.push_str("],\"net\":");
    match &references.net {
        Some(net) => write_python_json(net, out),
        None => write_python_json(&mode_id(service.network_mode.as_ref()), out),
    }
    out.push_str(",\"networks\":");
    match &references.networks {
        Some(networks) => write_python_object(networks, out),
        None => out.push_str("{}"),
    }
    out.push_str(",\"options\":{");
    // The options are a `serde_json::Map`, sorted by key (no `preserve_order`);
    // merge the added keys (sorted too) in, without collecting and sorting: the
    // two 1.29.2 adds as null, and for v2 and later `volumes`, namespaced.
    let added_options: &[(&str, Option<&Value>)] = match &references.volumes {
        Some(volumes) => &[
            ("device_requests", None),
            ("platform", None),
            ("volumes", Some(volumes)),
        ],
        None => &[("device_requests", None), ("platform", None)],
    };
    debug_assert!(added_options.is_sorted_by_key(|(key, _)| *key));
    let mut added = added_options.iter().copied().peekable();
    let mut first = true;
    let mut write_entry = |key: &str, value: Option<&Value>, out: &mut String| {
        if !first {
            out.push(',');
        }
        first = false;
        write_python_string(key, out);
        out.push(':');
        match value {
            Some(value) => write_python_json(value, out),
            None => out.push_str("null"),
        }
    };
    let options = service.container_options();
    debug_assert!(options.keys().is_sorted());
    for (key, value) in options {
        while let Some((added_key, added_value)) =
            added.next_if(|(added_key, _)| *added_key < key.as_str())
        {
            write_entry(added_key, added_value, out);
        }
        if NOT_OPTIONS.contains(&key.as_str()) {
            continue;
        }
        match added.next_if(|(added_key, _)| *added_key == key.as_str()) {
            Some((_, added_value)) => write_entry(key, added_value, out),
            None => write_entry(key, Some(value), out),
        }
    }
    for (added_key, added_value) in added {
        write_entry(added_key, added_value, out);
    }
    out.push_str("},\"secrets\":");
    write_secrets(service, out);
    out.push_str(",\"volumes_from\":[");
    let mut first = true;
    for entry in &service.volumes_from {
        if let VolumesFromSource::Service(source) = &entry.source {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('[');
            write_python_string(source.as_str(), out);
            out.push(',');
            write_python_string(&entry.mode, out);
            out.push(']');
        }
    }
    out.push_str("]}");
}

/// 1.29.2's `Service.secrets` (`project.py` `get_secrets`): for each secret the
/// service uses, in its order, except external ones, `{"file": <absolute path or
/// null>, "secret": [source, target, uid, gid, mode, name]}` (the `ServiceSecret`
/// namedtuple as an array; `name` is always null in a service's list).
fn write_secrets(service: &Service, out: &mut String) {
    out.push('[');
    let mut first = true;
    for secret in &service.secrets {
        let file = match &secret.definition {
            SecretSource::File { path, .. } => Some(path.to_string_lossy()),
            SecretSource::NoFile => None,
            // Not hashed: skipped by 1.29.2 (external), or an error before any
            // hash is made (undefined).
            SecretSource::External | SecretSource::Undefined => continue,
        };
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str("{\"file\":");
        match file {
            Some(file) => write_python_string(&file, out),
            None => out.push_str("null"),
        }
        out.push_str(",\"secret\":[");
        write_python_string(&secret.source, out);
        for field in [&secret.target, &secret.uid, &secret.gid] {
            out.push(',');
            match field {
                Some(text) => write_python_string(text, out),
                None => out.push_str("null"),
            }
        }
        out.push(',');
        match &secret.mode {
            Some(mode) => write_python_json(&Value::Number(mode.clone()), out),
            None => out.push_str("null"),
        }
        out.push_str(",null]}");
    }
    out.push(']');
}

/// A short digest of every part of the config dict, keyed by where it is
/// (`image`, `links`, `command`, `environment.FOO`, …), as compact sorted JSON.
///
/// envctl stores it in the `io.envctl.config-digest` label beside 1.29.2's config
/// hash, so that when the hash changes the plan can say what changed. Values are
/// never stored, only a 64-bit digest of each (`fnv1a`).
pub fn config_digest<'a>(service: &'a Service, image_id: Option<&str>) -> String {
    // (key, digest) in the order the parts are added; a later part with the same key
    // replaces an earlier one (an `image` option replaces the image id's digest).
    let options = service.container_options();
    let mut parts: Vec<(Cow<'a, str>, u64)> = Vec::with_capacity(8 + options.len());
    // One buffer for every part's JSON, cleared between parts.
    let mut json = String::with_capacity(128);
    let mut add = |key: Cow<'a, str>, json: &mut String| {
        parts.push((key, fnv1a(json)));
        json.clear();
    };
    match image_id {
        Some(id) => write_python_string(id, &mut json),
        None => json.push_str("null"),
    }
    add(Cow::Borrowed("image"), &mut json);
    json.push('[');
    for (position, link) in service.links.iter().enumerate() {
        if position > 0 {
            json.push(',');
        }
        json.push('[');
        write_python_string(link.target.as_str(), &mut json);
        json.push(',');
        match &link.alias {
            Some(alias) => write_python_string(alias, &mut json),
            None => json.push_str("null"),
        }
        json.push(']');
    }
    json.push(']');
    add(Cow::Borrowed("links"), &mut json);
    write_mode_id(service.network_mode.as_ref(), &mut json);
    add(Cow::Borrowed("net"), &mut json);
    write_mode_id(service.ipc.as_ref(), &mut json);
    add(Cow::Borrowed("ipc"), &mut json);
    json.push('[');
    for (position, entry) in service.volumes_from.iter().enumerate() {
        if position > 0 {
            json.push(',');
        }
        write_python_string(&format!("{:?}:{}", entry.source, entry.mode), &mut json);
    }
    json.push(']');
    add(Cow::Borrowed("volumes_from"), &mut json);
    // Only with secrets: labels written before envctl hashed them have no such
    // part, and a part added to every service would name itself as changed.
    if !service.secrets.is_empty() {
        write_secrets(service, &mut json);
        add(Cow::Borrowed("secrets"), &mut json);
    }
    for (key, value) in options {
        if NOT_OPTIONS.contains(&key.as_str()) {
            continue;
        }
        if let Value::Object(entries) = value {
            for (entry, entry_value) in entries {
                write_python_json(entry_value, &mut json);
                add(Cow::Owned(format!("{key}.{entry}")), &mut json);
            }
        } else {
            write_python_json(value, &mut json);
            add(Cow::Borrowed(key.as_str()), &mut json);
        }
    }
    // Sorted by key (as Python's `sort_keys`), the last part of each key kept.
    parts.sort_by(|left, right| left.0.cmp(&right.0));
    let mut out = String::with_capacity(parts.len() * 40 + 2);
    out.push('{');
    let mut first = true;
    for (index, (key, digest)) in parts.iter().enumerate() {
        if parts.get(index + 1).is_some_and(|next| next.0 == *key) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        write_python_string(key, &mut out);
        out.push_str(":\"");
        push_hex16(*digest, &mut out);
        out.push('"');
    }
    out.push('}');
    out
}

/// The keys whose digests differ between two `config_digest` labels (added and
/// removed keys included), sorted; `None` when either does not parse.
pub fn changed_keys(old: &str, new: &str) -> Option<Vec<String>> {
    let old: BTreeMap<String, String> = serde_json::from_str(old).ok()?;
    let new: BTreeMap<String, String> = serde_json::from_str(new).ok()?;
    let mut keys: Vec<String> = old
        .iter()
        .filter(|(key, digest)| new.get(*key) != Some(digest))
        .map(|(key, _)| key.clone())
        .chain(new.keys().filter(|key| !old.contains_key(*key)).cloned())
        .collect();
    keys.sort();
    keys.dedup();
    Some(keys)
}

/// 64-bit FNV-1a of `text` (written as 16 hex digits by `push_hex16`): stable
/// across releases and platforms, and cheap. A digest only has to tell "changed"
/// from "same"; the values it covers are visible to anyone who can inspect the
/// container anyway.
fn fnv1a(text: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    text.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// `hash` as 16 lowercase hex digits.
fn push_hex16(hash: u64, out: &mut String) {
    let mut hex = [0_u8; 16];
    for (position, digit) in hex.iter_mut().enumerate() {
        *digit = HEX[((hash >> ((15 - position) * 4)) & 0xf) as usize];
    }
    // Hex digits are ASCII: never the empty fallback.
    out.push_str(std::str::from_utf8(&hex).unwrap_or_default());
}

/// 1.29.2's `network_mode.id`: the service's name for `service:`, else the mode.
fn mode_id(mode: Option<&ModeRef>) -> Value {
    match mode {
        None => Value::Null,
        Some(ModeRef::Service(name)) => Value::String(name.to_string()),
        Some(ModeRef::Container(name)) => Value::String(format!("container:{name}")),
        Some(ModeRef::Mode(mode)) => Value::String(mode.clone()),
    }
}

/// [`mode_id`] written as JSON, without building the value.
fn write_mode_id(mode: Option<&ModeRef>, out: &mut String) {
    match mode {
        None => out.push_str("null"),
        Some(ModeRef::Service(name)) => write_python_string(name.as_str(), out),
        Some(ModeRef::Container(name)) => {
            out.push_str("\"container:");
            write_python_string_body(name, out);
            out.push('"');
        }
        Some(ModeRef::Mode(mode)) => write_python_string(mode, out),
    }
}

/// Python's `json.dumps(value, sort_keys=True, separators=(',', ':'))`.
fn write_python_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() => write_python_float(float, out),
            _ => out.push_str(&number.to_string()),
        },
        Value::String(text) => write_python_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                write_python_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => write_python_object(map, out),
    }
}

/// A JSON object as [`write_python_json`] writes it: keys sorted.
fn write_python_object(map: &serde_json::Map<String, Value>, out: &mut String) {
    out.push('{');
    // `serde_json::Map` iterates in key order already (no `preserve_order`):
    // sort only if it ever does not.
    if map.keys().is_sorted() {
        for (position, (key, item)) in map.iter().enumerate() {
            if position > 0 {
                out.push(',');
            }
            write_python_string(key, out);
            out.push(':');
            write_python_json(item, out);
        }
    } else {
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_by(|left, right| left.0.cmp(right.0));
        for (position, (key, item)) in entries.into_iter().enumerate() {
            if position > 0 {
                out.push(',');
            }
            write_python_string(key, out);
            out.push(':');
            write_python_json(item, out);
        }
    }
    out.push('}');
}

/// Python's `float.__repr__`: the shortest digits that round-trip, in positional
/// form for decimal exponents -4..16 (always with a fraction: `1.0`), else in
/// scientific form with a sign and at least two exponent digits (`1e+16`, `1.5e-05`).
fn write_python_float(float: f64, out: &mut String) {
    if !float.is_finite() {
        // `json.dumps` writes `NaN`, `Infinity` and `-Infinity` (allow_nan=True).
        out.push_str(if float.is_nan() {
            "NaN"
        } else if float > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        });
        return;
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: `d[.ddd]e<exp>`.
    let scientific = format!("{float:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    out.push_str(sign);
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        if point <= 0 {
            out.push_str("0.");
            for _ in 0..-point {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let point = usize::try_from(point).unwrap_or(0);
            if digits.len() <= point {
                out.push_str(&digits);
                for _ in digits.len()..point {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
}

/// A JSON string with Python's `ensure_ascii=True` escapes.
fn write_python_string(text: &str, out: &mut String) {
    out.push('"');
    write_python_string_body(text, out);
    out.push('"');
}

/// [`write_python_string`] without the quotes.
fn write_python_string_body(text: &str, out: &mut String) {
    // Most strings need no escape at all: copy them whole.
    if text
        .bytes()
        .all(|byte| (b' '..=b'~').contains(&byte) && byte != b'"' && byte != b'\\')
    {
        out.push_str(text);
        return;
    }
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(character),
            _ => {
                let mut units = [0_u16; 2];
                for unit in character.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use envctl_parser::{FileId, ServiceName, ServiceSecret, Span};

    fn service(image: &str) -> Service {
        let mut service = Service::new(ServiceName::new("net"), Span::new(FileId(0), 0, 0));
        service
            .options
            .insert("image".to_owned(), Value::String(image.to_owned()));
        service
    }

    /// Verified against `docker-compose config --hash='*'` on the corpus case
    /// `v1-config` with no local busybox image (1.29.2 `compose/service.py` L700-723).
    #[test]
    fn hash_matches_compose_for_a_bare_image_service() {
        let hash = config_hash(&service("busybox"), None);
        assert!(hash.starts_with("cc98e4cd"), "{hash}");
        assert!(hash.ends_with("9111"), "{hash}");
    }

    fn secret(source: &str, target: Option<&str>, mode: Option<i64>, file: &str) -> ServiceSecret {
        ServiceSecret {
            source: source.to_owned(),
            target: target.map(str::to_owned),
            uid: None,
            gid: None,
            mode: mode.map(Into::into),
            definition: SecretSource::File {
                path: file.into(),
                present: true,
            },
            span: Span::new(FileId(0), 0, 0),
        }
    }

    /// 1.29.2's `json.dumps(service.config_dict()['secrets'], sort_keys=True,
    /// separators=(',', ':'))` for `fixtures/engine/secrets` copied to `/tmp/sx`.
    #[test]
    fn secrets_serialise_as_1_29_2_config_dict() {
        let mut app = service("envctl-test/busybox:latest");
        app.secrets = vec![
            secret("token", None, None, "/tmp/sx/token.txt"),
            secret(
                "settings",
                Some("app.conf"),
                None,
                "/tmp/sx/config/app.conf",
            ),
        ];
        let mut out = String::new();
        write_secrets(&app, &mut out);
        assert_eq!(
            out,
            r#"[{"file":"/tmp/sx/token.txt","secret":["token",null,null,null,null,null]},{"file":"/tmp/sx/config/app.conf","secret":["settings","app.conf",null,null,null,null]}]"#
        );

        let mut reader = service("envctl-test/busybox:latest");
        let mut outside = secret("outside", None, None, "");
        outside.definition = SecretSource::External;
        reader.secrets = vec![
            secret(
                "token",
                Some("/etc/reader/token"),
                Some(288),
                "/tmp/sx/token.txt",
            ),
            outside,
        ];
        let mut out = String::new();
        write_secrets(&reader, &mut out);
        assert_eq!(
            out,
            r#"[{"file":"/tmp/sx/token.txt","secret":["token","/etc/reader/token",null,null,288,null]}]"#
        );
        // The digest label names the secrets when there are some, only then.
        assert!(config_digest(&reader, None).contains("\"secrets\""));
        assert!(!config_digest(&service("x"), None).contains("\"secrets\""));
    }

    #[test]
    fn floats_print_like_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123_456_789_012_345.6, "123456789012345.6"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e300, "1.5e+300"),
            (0.0, "0.0"),
        ];
        for (float, python) in cases {
            let mut out = String::new();
            write_python_float(float, &mut out);
            assert_eq!(out, python, "{float}");
        }
    }

    #[test]
    fn python_strings_escape_like_ensure_ascii() {
        let mut out = String::new();
        write_python_string("é\"\n😀\u{1}", &mut out);
        assert_eq!(out, r#""\u00e9\"\n\ud83d\ude00\u0001""#);
    }
}
