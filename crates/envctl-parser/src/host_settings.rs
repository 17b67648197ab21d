//! One key family of the finalizer: the v2/v3 host settings the engine gets as
//! they are written (`init`, `sysctls`, `tmpfs`, `pids_limit`, `cpus`, …), read
//! once from the final service dictionary into [`HostSettings`]. The schema has
//! checked each value's type and shape, and `engine_values` the values the engine
//! would refuse (with their locations); what is read here is what `config` prints
//! and the config hash covers, in the form docker-py sends it.

use indexmap::IndexMap;

use crate::engine_values::integer;
use crate::model::HostSettings;
use crate::normalize::node_to_json;
use crate::yaml::{Mapping, Node, Value};

/// Keys of the v2/v3 formats that 1.29.2 uses and envctl does not yet: a service
/// that sets one still runs, without it, and `up` says so rather than drop it
/// silently. (`isolation` is for Windows engines.)
const NOT_APPLIED: &[&str] = &["blkio_config", "isolation", "stop_grace_period"];

/// The host settings of one service's final dictionary. `nano_cpus` is the
/// service's own `cpus`; `deploy.resources.limits.cpus` replaces it when v3's
/// `deploy` is translated ([`deploy_cpus`]).
pub(crate) fn read(dict: &Mapping) -> HostSettings {
    let string = |key: &str| dict.get(key).map(text);
    let number = |key: &str| dict.get(key).and_then(integer);
    let list = |key: &str| dict.get(key).map(strings).unwrap_or_default();
    let pairs = |key: &str| dict.get(key).map(mapping).unwrap_or_default();
    HostSettings {
        init: dict.get("init").map(|node| match node.value {
            Value::Bool(init) => init,
            // `init: /path` (an init binary) turns init on; engines ignore the path.
            _ => true,
        }),
        sysctls: dict.get("sysctls").map(sysctls).unwrap_or_default(),
        tmpfs: list("tmpfs")
            .into_iter()
            .map(|mount| match mount.split_once(':') {
                Some((path, options)) => (path.to_owned(), options.to_owned()),
                None => (mount, String::new()),
            })
            .collect(),
        userns_mode: string("userns_mode"),
        pids_limit: number("pids_limit"),
        oom_score_adj: number("oom_score_adj"),
        oom_kill_disable: dict
            .get("oom_kill_disable")
            .and_then(|node| match node.value {
                Value::Bool(disable) => Some(disable),
                _ => None,
            }),
        group_add: list("group_add"),
        dns_opt: list("dns_opt"),
        nano_cpus: dict.get("cpus").and_then(cpus).map(nano),
        cpu_period: number("cpu_period"),
        cpu_rt_period: number("cpu_rt_period"),
        cpu_rt_runtime: number("cpu_rt_runtime"),
        cpu_count: number("cpu_count"),
        cpu_percent: number("cpu_percent"),
        runtime: string("runtime"),
        device_cgroup_rules: list("device_cgroup_rules"),
        storage_opt: pairs("storage_opt"),
        extra_hosts_listed: dict.get("extra_hosts").and_then(|node| match &node.value {
            Value::Sequence(items) => Some(items.iter().map(text).collect()),
            _ => None,
        }),
        not_applied: NOT_APPLIED
            .iter()
            .filter(|key| dict.contains_key(key))
            .map(|key| (*key).to_owned())
            .collect(),
    }
}

/// `deploy.resources.limits.cpus` as `nano_cpus`: unset when not finite (which
/// `engine_values` refuses with its location).
pub(crate) fn deploy_cpus(cpus: f64) -> Option<i64> {
    cpus.is_finite().then(|| nano(cpus))
}

/// `sysctls` as `build_string_dict(parse_sysctls(...))`: every value as Python's
/// `str()`, null and a bare list item as ''. Also what `config` prints.
pub(crate) fn sysctls(node: &Node) -> IndexMap<String, String> {
    let mut sysctls = IndexMap::new();
    match &node.value {
        Value::Sequence(items) => {
            for item in items {
                let text = item.scalar_to_string().unwrap_or_default();
                let (name, value) = text.split_once('=').unwrap_or((&text, ""));
                sysctls.insert(name.to_owned(), value.to_owned());
            }
        }
        Value::Mapping(entries) => {
            for entry in entries.iter() {
                let value = if entry.value.is_null() {
                    String::new()
                } else {
                    entry.value.scalar_to_string().unwrap_or_default()
                };
                sysctls.insert(entry.key.clone(), value);
            }
        }
        _ => {}
    }
    sysctls
}

/// A value as the engine gets it: a string as it is, anything else as its JSON
/// text (`5`, `true`, `null`).
fn text(node: &Node) -> String {
    match &node.value {
        Value::String(text) => text.clone(),
        _ => node_to_json(node).to_string(),
    }
}

/// A list of strings; a single value is a list of one, null an empty list.
fn strings(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Sequence(items) => items.iter().map(text).collect(),
        Value::Null => Vec::new(),
        _ => vec![text(node)],
    }
}

/// A mapping of strings, or a list of `name=value` items.
fn mapping(node: &Node) -> IndexMap<String, String> {
    match &node.value {
        Value::Mapping(entries) => entries
            .iter()
            .map(|entry| (entry.key.clone(), text(&entry.value)))
            .collect(),
        Value::Sequence(items) => items
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
}

/// A service's own `cpus`: a number (a YAML float that is not finite has no JSON
/// form, so it is unset, as before it reached the engine), or a numeric string.
fn cpus(node: &Node) -> Option<f64> {
    match &node.value {
        #[allow(clippy::cast_precision_loss)]
        Value::Int(number) => Some(*number as f64),
        Value::Float(number) => Some(*number).filter(|cpus| cpus.is_finite()),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

#[allow(clippy::cast_possible_truncation)]
fn nano(cpus: f64) -> i64 {
    (cpus * 1e9) as i64
}
