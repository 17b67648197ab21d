//! The service keys each format accepts, their types, and 1.29.2's coercions.
//!
//! This replaces `config_schema_v1.json` / `compose_spec.json` for the service level:
//! unknown keys are errors with a "did you mean" hint, each value is checked against
//! its type, and `ConversionMap` (`interpolation.py` L229-293) is applied first, so
//! `privileged: "yes"` is `true` and `cpu_quota: 50ms` is `50000`. Every problem of a
//! service is reported, not only the first.

use crate::error::{Problem, ProblemKind, did_you_mean};
use crate::model::SourceMap;
use crate::yaml::{Mapping, Node, Value};

/// The type a key accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    StringOrNull,
    StringOrList,
    ListOfStrings,
    /// `key=value` strings or a mapping of scalars.
    ListOrDict,
    Boolean,
    NumberOrString,
    Integer,
    /// A mapping with any content.
    Object,
    /// `environment`: list of strings, or mapping of string/number/null.
    Environment,
    /// `labels`: list of strings, or mapping of strings (numbers are stringified).
    Labels,
    /// `ports`, `expose`: list of strings or numbers.
    ListOfPorts,
    Extends,
    Ulimits,
    /// v1 `build` (a path or URL); v2+ also accepts the object form.
    Build,
    /// A list of strings or mappings (v2+ `volumes`, `secrets`, `configs`).
    List,
    /// A list of strings, numbers or mappings (v2+ `ports`).
    ListOfPortsOrMappings,
    /// A list of strings or numbers (`group_add`).
    ListOfStringsOrNumbers,
    /// A list of strings or a mapping (`networks`, `depends_on`).
    ListOrObject,
    /// A mapping of these keys (and `x-` extensions) only (`logging`, `healthcheck`).
    ObjectOf(&'static [&'static str]),
    /// v2+ keys envctl passes through without a deeper check yet.
    Any,
}

const LOGGING_KEYS: &[&str] = &["driver", "options"];
const HEALTHCHECK_KEYS: &[&str] = &[
    "disable",
    "interval",
    "retries",
    "test",
    "timeout",
    "start_period",
];

pub(crate) const V1_KEYS: &[(&str, Kind)] = &[
    ("build", Kind::String),
    ("cap_add", Kind::ListOfStrings),
    ("cap_drop", Kind::ListOfStrings),
    ("cgroup_parent", Kind::String),
    ("command", Kind::StringOrList),
    ("container_name", Kind::String),
    ("cpu_shares", Kind::NumberOrString),
    ("cpu_quota", Kind::NumberOrString),
    ("cpuset", Kind::String),
    ("devices", Kind::ListOfStrings),
    ("dns", Kind::StringOrList),
    ("dns_search", Kind::StringOrList),
    ("dockerfile", Kind::String),
    ("domainname", Kind::String),
    ("entrypoint", Kind::StringOrList),
    ("env_file", Kind::StringOrList),
    ("environment", Kind::Environment),
    ("expose", Kind::ListOfPorts),
    ("extends", Kind::Extends),
    ("extra_hosts", Kind::ListOrDict),
    ("external_links", Kind::ListOfStrings),
    ("hostname", Kind::String),
    ("image", Kind::String),
    ("ipc", Kind::String),
    ("labels", Kind::Labels),
    ("links", Kind::ListOfStrings),
    ("log_driver", Kind::String),
    ("log_opt", Kind::Object),
    ("mac_address", Kind::String),
    ("mem_limit", Kind::NumberOrString),
    ("memswap_limit", Kind::NumberOrString),
    ("mem_swappiness", Kind::Integer),
    ("net", Kind::String),
    ("pid", Kind::StringOrNull),
    ("ports", Kind::ListOfPorts),
    ("privileged", Kind::Boolean),
    ("read_only", Kind::Boolean),
    ("restart", Kind::String),
    ("security_opt", Kind::ListOfStrings),
    ("shm_size", Kind::NumberOrString),
    ("stdin_open", Kind::Boolean),
    ("stop_signal", Kind::String),
    ("tty", Kind::Boolean),
    ("ulimits", Kind::Ulimits),
    ("user", Kind::String),
    ("volumes", Kind::ListOfStrings),
    ("volume_driver", Kind::String),
    ("volumes_from", Kind::ListOfStrings),
    ("working_dir", Kind::String),
];

/// Keys of the Compose Spec (v2/v3 files) beyond the v1 ones, minus the v1-only
/// `net`, `dockerfile`, `log_driver`, `log_opt`.
pub(crate) const SPEC_ONLY_KEYS: &[(&str, Kind)] = &[
    ("blkio_config", Kind::Object),
    ("configs", Kind::List),
    ("cpu_count", Kind::NumberOrString),
    ("cpu_percent", Kind::NumberOrString),
    ("cpu_period", Kind::NumberOrString),
    ("cpu_rt_period", Kind::NumberOrString),
    ("cpu_rt_runtime", Kind::NumberOrString),
    ("cpus", Kind::NumberOrString),
    ("credential_spec", Kind::Object),
    ("depends_on", Kind::ListOrObject),
    ("deploy", Kind::Any),
    ("device_cgroup_rules", Kind::ListOfStrings),
    ("dns_opt", Kind::ListOfStrings),
    ("group_add", Kind::ListOfStringsOrNumbers),
    ("healthcheck", Kind::ObjectOf(HEALTHCHECK_KEYS)),
    ("init", Kind::Boolean),
    ("isolation", Kind::String),
    ("logging", Kind::ObjectOf(LOGGING_KEYS)),
    ("mem_reservation", Kind::NumberOrString),
    ("network_mode", Kind::String),
    ("networks", Kind::ListOrObject),
    ("oom_kill_disable", Kind::Boolean),
    ("oom_score_adj", Kind::Integer),
    ("pids_limit", Kind::NumberOrString),
    ("platform", Kind::String),
    ("profiles", Kind::ListOfStrings),
    ("pull_policy", Kind::String),
    ("runtime", Kind::String),
    ("scale", Kind::Integer),
    ("secrets", Kind::Any),
    ("stop_grace_period", Kind::String),
    ("storage_opt", Kind::Object),
    ("sysctls", Kind::ListOrDict),
    ("tmpfs", Kind::StringOrList),
    ("userns_mode", Kind::String),
    ("volumes", Kind::List),
    ("ports", Kind::ListOfPortsOrMappings),
    ("build", Kind::Build),
];

const V1_ONLY: &[&str] = &["net", "dockerfile", "log_driver", "log_opt"];

/// 1.29.2's `DOCKER_CONFIG_HINTS`, consulted before the edit distance.
const HINTS: &[(&str, &str)] = &[
    ("cpu_share", "cpu_shares"),
    ("add_host", "extra_hosts"),
    ("hosts", "extra_hosts"),
    ("extra_host", "extra_hosts"),
    ("device", "devices"),
    ("link", "links"),
    ("memory_swap", "memswap_limit"),
    ("port", "ports"),
    ("privilege", "privileged"),
    ("priviliged", "privileged"),
    ("privilige", "privileged"),
    ("volume", "volumes"),
    ("workdir", "working_dir"),
];

pub(crate) fn kind_of(key: &str, v1: bool) -> Option<Kind> {
    if v1 {
        return V1_KEYS
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, kind)| *kind);
    }
    SPEC_ONLY_KEYS
        .iter()
        .chain(V1_KEYS.iter())
        .find(|(name, _)| *name == key && !V1_ONLY.contains(name))
        .map(|(_, kind)| *kind)
}

fn all_keys(v1: bool) -> Vec<&'static str> {
    if v1 {
        V1_KEYS.iter().map(|(name, _)| *name).collect()
    } else {
        SPEC_ONLY_KEYS
            .iter()
            .chain(V1_KEYS.iter())
            .map(|(name, _)| *name)
            .filter(|name| !V1_ONLY.contains(name))
            .collect()
    }
}

/// Checks one service's keys and types, applying the coercions in place.
pub(crate) fn check_service(
    sources: &SourceMap,
    service: &str,
    mapping: &mut Mapping,
    v1: bool,
    problems: &mut Vec<Problem>,
) {
    // `service.key`, rebuilt in one buffer for each key.
    let mut path = String::with_capacity(service.len() + 24);
    for entry in &mut mapping.entries {
        let Some(kind) = kind_of(&entry.key, v1) else {
            let mut problem = Problem::new(
                sources,
                entry.key_span,
                ProblemKind::UnknownKey {
                    service: service.to_owned(),
                    key: entry.key.clone(),
                },
            );
            let hint = HINTS
                .iter()
                .find(|(typo, _)| *typo == entry.key)
                .map(|(_, hint)| *hint);
            if !v1 && V1_ONLY.contains(&entry.key.as_str()) {
                let replacement = match entry.key.as_str() {
                    "net" => "; use `network_mode`",
                    "log_driver" | "log_opt" => "; use `logging`",
                    "dockerfile" => "; use `build: {context, dockerfile}`",
                    _ => "",
                };
                problem = problem.with_help(format!(
                    "`{}` exists only in version 1 files{replacement}",
                    entry.key
                ));
            } else if v1 && hint.is_none() && kind_of(&entry.key, false).is_some() {
                problem = problem.with_help(format!(
                    "`{}` needs a `version: \"2\"` (or later) file",
                    entry.key
                ));
            } else if let Some(hint) = hint.or_else(|| did_you_mean(&entry.key, &all_keys(v1))) {
                problem = problem.with_help(format!("did you mean `{hint}`?"));
            }
            problems.push(problem);
            continue;
        };
        path.clear();
        path.push_str(service);
        path.push('.');
        path.push_str(&entry.key);
        coerce(&entry.key, &mut entry.value);
        check_kind(sources, &path, kind, &entry.value, problems);
        if entry.key == "healthcheck" {
            check_healthcheck_durations(sources, &path, &entry.value, problems);
        }
        if UNIQUE_ITEMS.contains(&entry.key.as_str()) {
            check_unique_items(sources, &path, &entry.value, problems);
        }
        if DURATIONS.contains(&entry.key.as_str())
            && let Value::String(text) = &entry.value.value
            && text.trim().parse::<i64>().is_err()
        {
            // `to_microseconds` left it a string: 1.29.2 crashes on these.
            problems.push(
                Problem::new(
                    sources,
                    entry.value.span,
                    ProblemKind::InvalidValue {
                        path: path.clone(),
                        reason: format!("`{text}` is not a duration"),
                    },
                )
                .with_help(
                    "write a number of microseconds, or a duration such as `50ms`, `1.5s`, `1m30s`",
                ),
            );
        }
    }
}

/// The durations of a `healthcheck` (v2.1+): 1.29.2 converts them to nanoseconds and
/// crashes (`TypeError`) on text that is not one.
fn check_healthcheck_durations(
    sources: &SourceMap,
    path: &str,
    node: &Node,
    problems: &mut Vec<Problem>,
) {
    let Value::Mapping(healthcheck) = &node.value else {
        return;
    };
    for key in ["interval", "timeout", "start_period"] {
        let Some(value) = healthcheck.get(key) else {
            continue;
        };
        if !matches!(value.value, Value::String(_) | Value::Null) {
            problems.push(wrong_type(
                sources,
                &format!("{path}.{key}"),
                "a string",
                value,
            ));
        } else if let Value::String(text) = &value.value
            && parse_duration_nanoseconds(text).is_none()
        {
            problems.push(
                Problem::new(
                    sources,
                    value.span,
                    ProblemKind::InvalidValue {
                        path: format!("{path}.{key}"),
                        reason: format!("`{text}` is not a duration"),
                    },
                )
                .with_help("write a duration such as `30s`, `1m30s`, `500ms`"),
            );
        }
    }
}

/// Keys whose lists the 1.29.2 schema declares `uniqueItems`.
const UNIQUE_ITEMS: &[&str] = &[
    "cap_add",
    "cap_drop",
    "devices",
    "dns",
    "dns_search",
    "env_file",
    "environment",
    "expose",
    "external_links",
    "labels",
    "links",
    "ports",
    "security_opt",
    "volumes",
    "volumes_from",
];

/// Keys `ConversionMap` parses as durations (`to_microseconds`).
const DURATIONS: &[&str] = &["cpu_quota", "cpu_period", "cpu_rt_period", "cpu_rt_runtime"];

/// A scalar listed twice in a `uniqueItems` list is an error (`80` and `"80"` differ,
/// as in JSON Schema).
fn check_unique_items(sources: &SourceMap, path: &str, node: &Node, problems: &mut Vec<Problem>) {
    let Value::Sequence(items) = &node.value else {
        return;
    };
    for (index, item) in items.iter().enumerate() {
        if matches!(item.value, Value::Sequence(_) | Value::Mapping(_)) {
            continue;
        }
        if let Some(first) = items[..index]
            .iter()
            .find(|earlier| earlier.value == item.value)
        {
            let shown = item.scalar_to_string().unwrap_or_default();
            let line = sources.get(first.span.file).map_or(0, |file| {
                file.text[..first.span.offset.min(file.text.len())]
                    .matches('\n')
                    .count()
                    + 1
            });
            problems.push(
                Problem::new(
                    sources,
                    item.span,
                    ProblemKind::InvalidValue {
                        path: path.to_owned(),
                        reason: format!("`{shown}` is listed twice"),
                    },
                )
                .with_label("duplicate")
                .with_help(format!("remove this one or the one on line {line}")),
            );
        }
    }
}

/// `ConversionMap`: strings in typed positions become booleans and numbers.
fn coerce(key: &str, node: &mut Node) {
    match key {
        "privileged" | "read_only" | "stdin_open" | "tty" | "oom_kill_disable" => to_boolean(node),
        "mem_swappiness" | "scale" | "oom_score_adj" | "cpu_count" => to_int(node),
        "cpu_quota" | "cpu_period" | "cpu_rt_period" | "cpu_rt_runtime" => to_microseconds(node),
        "ulimits" => {
            if let Value::Mapping(limits) = &mut node.value {
                for limit in &mut limits.entries {
                    match &mut limit.value.value {
                        Value::Mapping(bounds) => {
                            for bound in &mut bounds.entries {
                                to_int(&mut bound.value);
                            }
                        }
                        _ => to_int(&mut limit.value),
                    }
                }
            }
        }
        "cpus" => to_float(node),
        "secrets" => {
            if let Value::Sequence(items) = &mut node.value {
                for item in items {
                    if let Some(mode) = descend(item, &["mode"]) {
                        to_int(mode);
                    }
                }
            }
        }
        "deploy" => {
            for (path, convert) in [
                (&["replicas"][..], to_int as fn(&mut Node)),
                (&["resources", "limits", "cpus"][..], to_float),
                (&["resources", "reservations", "cpus"][..], to_float),
                (&["restart_policy", "max_attempts"][..], to_int),
                (&["update_config", "parallelism"][..], to_int),
                (&["update_config", "max_failure_ratio"][..], to_float),
                (&["rollback_config", "parallelism"][..], to_int),
                (&["placement", "max_replicas_per_node"][..], to_int),
            ] {
                if let Some(target) = descend(node, path) {
                    convert(target);
                }
            }
        }
        "healthcheck" => {
            if let Some(retries) = descend(node, &["retries"]) {
                to_int(retries);
            }
            if let Some(disable) = descend(node, &["disable"]) {
                to_boolean(disable);
            }
        }
        "labels" => {
            if let Value::Mapping(labels) = &mut node.value {
                for label in &mut labels.entries {
                    if let Some(text) = label.value.scalar_to_string()
                        && !label.value.is_null()
                    {
                        label.value.value = Value::String(text);
                    }
                }
            }
        }
        _ => {}
    }
}

fn descend<'a>(node: &'a mut Node, path: &[&str]) -> Option<&'a mut Node> {
    let mut current = node;
    for key in path {
        let Value::Mapping(mapping) = &mut current.value else {
            return None;
        };
        current = &mut mapping
            .entries
            .iter_mut()
            .find(|entry| entry.key == *key)?
            .value;
    }
    Some(current)
}

fn to_float(node: &mut Node) {
    if let Value::String(text) = &node.value
        && let Ok(number) = text.trim().parse::<f64>()
    {
        node.value = Value::Float(number);
    }
}

fn to_boolean(node: &mut Node) {
    if let Value::String(text) = &node.value {
        match text.to_lowercase().as_str() {
            "y" | "yes" | "true" | "on" => node.value = Value::Bool(true),
            "n" | "no" | "false" | "off" => node.value = Value::Bool(false),
            _ => {}
        }
    }
}

fn to_int(node: &mut Node) {
    if let Value::String(text) = &node.value {
        let trimmed = text.trim();
        // `int(s, base=0)`, with `0440` read as octal as 1.29.2 does ("for `mode`
        // values notably").
        let leading_zero = trimmed.len() > 1
            && trimmed.starts_with('0')
            && trimmed.bytes().all(|byte| byte.is_ascii_digit());
        let parsed = if leading_zero {
            i64::from_str_radix(&trimmed[1..], 8).ok()
        } else if let Some(binary) = trimmed.strip_prefix("0b") {
            i64::from_str_radix(binary, 2).ok()
        } else if let Some(hex) = trimmed.strip_prefix("0x") {
            i64::from_str_radix(hex, 16).ok()
        } else if let Some(octal) = trimmed.strip_prefix("0o") {
            i64::from_str_radix(octal, 8).ok()
        } else {
            trimmed.parse::<i64>().ok()
        };
        if let Some(number) = parsed {
            node.value = Value::Int(number);
        }
    }
}

fn to_microseconds(node: &mut Node) {
    if let Value::String(text) = &node.value
        && let Some(nanoseconds) = parse_duration_nanoseconds(text)
    {
        node.value = Value::Int(nanoseconds / 1000);
    }
}

/// Go-style durations as 1.29.2's `parse_nanoseconds_int`: `1h30m`, `50ms`, `1.5s`.
pub fn parse_duration_nanoseconds(text: &str) -> Option<i64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0_f64;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if number_end == 0 {
            return None;
        }
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += number * factor;
        rest = &rest[unit_end..];
    }
    #[allow(clippy::cast_possible_truncation)]
    Some(total as i64)
}

fn wrong_type(sources: &SourceMap, path: &str, expected: &'static str, node: &Node) -> Problem {
    Problem::new(
        sources,
        node.span,
        ProblemKind::WrongType {
            path: path.to_owned(),
            expected,
            found: node.type_name(),
        },
    )
}

fn is_scalar_number_or_string(node: &Node) -> bool {
    matches!(
        node.value,
        Value::String(_) | Value::Int(_) | Value::Float(_)
    )
}

pub(crate) fn check_kind(
    sources: &SourceMap,
    path: &str,
    kind: Kind,
    node: &Node,
    problems: &mut Vec<Problem>,
) {
    let strings = |items: &[Node], problems: &mut Vec<Problem>| {
        for (index, item) in items.iter().enumerate() {
            if item.as_str().is_none() {
                problems.push(wrong_type(
                    sources,
                    &format!("{path}[{index}]"),
                    "a string",
                    item,
                ));
            }
        }
    };
    match (kind, &node.value) {
        (Kind::Build, Value::Mapping(mapping)) => {
            // 1.29.2's `compose_spec.json`: `additionalProperties: false`, `x-` allowed.
            const BUILD_KEYS: &[&str] = &[
                "context",
                "dockerfile",
                "args",
                "labels",
                "cache_from",
                "network",
                "target",
                "shm_size",
                "extra_hosts",
                "isolation",
            ];
            for entry in mapping.iter() {
                if BUILD_KEYS.contains(&entry.key.as_str()) || entry.key.starts_with("x-") {
                    continue;
                }
                let mut problem = Problem::new(
                    sources,
                    entry.key_span,
                    ProblemKind::InvalidValue {
                        path: path.to_owned(),
                        reason: format!("unsupported option `{}`", entry.key),
                    },
                )
                .with_label("unknown option");
                if let Some(hint) = did_you_mean(&entry.key, BUILD_KEYS) {
                    problem = problem.with_help(format!("did you mean `{hint}`?"));
                }
                problems.push(problem);
            }
        }
        (Kind::Any | Kind::Object | Kind::ListOrObject, Value::Mapping(_))
        | (Kind::String | Kind::StringOrList | Kind::Build | Kind::Extends, Value::String(_))
        | (Kind::StringOrNull, Value::String(_) | Value::Null)
        | (Kind::Boolean, Value::Bool(_))
        | (Kind::Integer, Value::Int(_))
        | (Kind::NumberOrString, Value::String(_) | Value::Int(_) | Value::Float(_))
        | (Kind::Any, _) => {}
        (Kind::ObjectOf(keys), Value::Mapping(mapping)) => {
            for entry in mapping.iter() {
                if !keys.contains(&entry.key.as_str()) && !entry.key.starts_with("x-") {
                    let mut problem = Problem::new(
                        sources,
                        entry.key_span,
                        ProblemKind::InvalidValue {
                            path: path.to_owned(),
                            reason: format!("unsupported option `{}`", entry.key),
                        },
                    )
                    .with_label("unknown option");
                    if let Some(hint) = did_you_mean(&entry.key, keys) {
                        problem = problem.with_help(format!("did you mean `{hint}`?"));
                    }
                    problems.push(problem);
                }
            }
        }
        (
            Kind::List
            | Kind::ListOfPortsOrMappings
            | Kind::ListOfStringsOrNumbers
            | Kind::ListOrObject,
            Value::Sequence(items),
        ) => {
            for (index, item) in items.iter().enumerate() {
                let (fits, expected) = match (kind, &item.value) {
                    (Kind::List, Value::String(_) | Value::Mapping(_))
                    | (
                        Kind::ListOfPortsOrMappings,
                        Value::String(_) | Value::Int(_) | Value::Mapping(_),
                    )
                    | (Kind::ListOfStringsOrNumbers, Value::String(_) | Value::Int(_))
                    | (Kind::ListOrObject, Value::String(_)) => (true, ""),
                    (Kind::List, _) => (false, "a string or a mapping"),
                    (Kind::ListOfPortsOrMappings, _) => (false, "a string, number or mapping"),
                    (Kind::ListOfStringsOrNumbers, _) => (false, "a string or number"),
                    _ => (false, "a string"),
                };
                if !fits {
                    problems.push(wrong_type(
                        sources,
                        &format!("{path}[{index}]"),
                        expected,
                        item,
                    ));
                }
            }
        }
        (
            Kind::StringOrList
            | Kind::ListOfStrings
            | Kind::Environment
            | Kind::Labels
            | Kind::ListOrDict,
            Value::Sequence(items),
        ) => {
            strings(items, problems);
        }
        (Kind::Environment | Kind::ListOrDict, Value::Mapping(mapping)) => {
            for entry in mapping.iter() {
                if !(is_scalar_number_or_string(&entry.value) || entry.value.is_null()) {
                    problems.push(wrong_type(
                        sources,
                        &format!("{path}.{}", entry.key),
                        "a string, number, or null",
                        &entry.value,
                    ));
                }
            }
        }
        (Kind::Labels, Value::Mapping(mapping)) => {
            for entry in mapping.iter() {
                if !(entry.value.as_str().is_some() || entry.value.is_null()) {
                    problems.push(wrong_type(
                        sources,
                        &format!("{path}.{}", entry.key),
                        "a string",
                        &entry.value,
                    ));
                }
            }
        }
        (Kind::ListOfPorts, Value::Sequence(items)) => {
            for (index, item) in items.iter().enumerate() {
                if !matches!(item.value, Value::String(_) | Value::Int(_)) {
                    problems.push(wrong_type(
                        sources,
                        &format!("{path}[{index}]"),
                        "a string or number",
                        item,
                    ));
                }
            }
        }
        (Kind::Extends, Value::Mapping(mapping)) => {
            for entry in mapping.iter() {
                match entry.key.as_str() {
                    "service" | "file" => {
                        if entry.value.as_str().is_none() {
                            problems.push(wrong_type(
                                sources,
                                &format!("{path}.{}", entry.key),
                                "a string",
                                &entry.value,
                            ));
                        }
                    }
                    other => problems.push(
                        Problem::new(
                            sources,
                            entry.key_span,
                            ProblemKind::InvalidValue {
                                path: path.to_owned(),
                                reason: format!("unsupported option `{other}`"),
                            },
                        )
                        .with_help("`extends` takes only `service` and `file`"),
                    ),
                }
            }
            if !mapping.contains_key("service") {
                problems.push(Problem::new(
                    sources,
                    node.span,
                    ProblemKind::InvalidValue {
                        path: path.to_owned(),
                        reason: "`service` is required".to_owned(),
                    },
                ));
            }
        }
        (Kind::Ulimits, Value::Mapping(mapping)) => {
            for entry in mapping.iter() {
                let limit_path = format!("{path}.{}", entry.key);
                match &entry.value.value {
                    Value::Int(_) => {}
                    Value::Mapping(bounds) => {
                        for bound in bounds.iter() {
                            if !matches!(bound.key.as_str(), "soft" | "hard") {
                                problems.push(
                                    Problem::new(
                                        sources,
                                        bound.key_span,
                                        ProblemKind::InvalidValue {
                                            path: limit_path.clone(),
                                            reason: format!("unsupported option `{}`", bound.key),
                                        },
                                    )
                                    .with_label("unknown option")
                                    .with_help("a limit takes only `soft` and `hard`"),
                                );
                            }
                        }
                        let soft = bounds.get("soft");
                        let hard = bounds.get("hard");
                        for (name, bound) in [("soft", soft), ("hard", hard)] {
                            match bound {
                                Some(Node {
                                    value: Value::Int(_),
                                    ..
                                }) => {}
                                Some(other) => problems.push(wrong_type(
                                    sources,
                                    &format!("{limit_path}.{name}"),
                                    "an integer",
                                    other,
                                )),
                                None => problems.push(Problem::new(
                                    sources,
                                    entry.value.span,
                                    ProblemKind::InvalidValue {
                                        path: limit_path.clone(),
                                        reason: format!("`{name}` is required"),
                                    },
                                )),
                            }
                        }
                        if let (
                            Some(Node {
                                value: Value::Int(soft),
                                ..
                            }),
                            Some(Node {
                                value: Value::Int(hard),
                                ..
                            }),
                        ) = (soft, hard)
                            && soft > hard
                        {
                            problems.push(Problem::new(
                                sources,
                                entry.value.span,
                                ProblemKind::InvalidValue {
                                    path: limit_path.clone(),
                                    reason: format!(
                                        "the soft limit {soft} is greater than the hard limit {hard}"
                                    ),
                                },
                            ));
                        }
                    }
                    _ => problems.push(wrong_type(
                        sources,
                        &limit_path,
                        "an integer or a mapping of `soft` and `hard`",
                        &entry.value,
                    )),
                }
            }
        }
        (kind, _) => {
            let expected = match kind {
                Kind::String | Kind::Extends | Kind::Build => "a string",
                Kind::StringOrNull => "a string or null",
                Kind::StringOrList => "a string or a list of strings",
                Kind::ListOfStrings => "a list of strings",
                Kind::ListOrDict | Kind::Environment | Kind::Labels | Kind::ListOrObject => {
                    "a list or a mapping"
                }
                Kind::Boolean => "a boolean",
                Kind::NumberOrString => "a number or a string",
                Kind::Integer => "an integer",
                Kind::Object | Kind::Ulimits | Kind::Any | Kind::ObjectOf(_) => "a mapping",
                Kind::List | Kind::ListOfPortsOrMappings | Kind::ListOfStringsOrNumbers => "a list",
                Kind::ListOfPorts => "a list of strings or numbers",
            };
            problems.push(wrong_type(sources, path, expected, node));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_go_does() {
        for (text, expected) in [
            ("50ms", Some(50_000_000)),
            ("1s", Some(1_000_000_000)),
            ("1m30s", Some(90_000_000_000)),
            ("1.5s", Some(1_500_000_000)),
            ("abc", None),
            ("", None),
        ] {
            assert_eq!(parse_duration_nanoseconds(text), expected, "for {text}");
        }
    }
}

/// For every key of the service schema, a value of each YAML type is either refused
/// with a location on the key's line, or kept in the service (never dropped without
/// a word). See: #19.
#[cfg(test)]
mod wrong_types {
    use super::*;

    /// Keys that the finalised service holds under another name, or folds away.
    fn kept_as(key: &str) -> &[&str] {
        match key {
            "net" => &["network_mode"],
            "log_driver" | "log_opt" => &["logging"],
            "dockerfile" => &["build"],
            "env_file" => &["environment"],
            _ => &[],
        }
    }

    #[test]
    fn a_value_of_each_wrong_type_is_refused_with_a_location_or_kept() {
        const VALUES: &[(&str, &str)] = &[
            ("a number", "42"),
            ("a float", "-.inf"),
            ("a string", "word"),
            ("a boolean", "true"),
            ("null", "null"),
            ("a list", "[word]"),
            ("a mapping", "{a: b}"),
        ];
        let mut failures = Vec::new();
        for v1 in [true, false] {
            for key in all_keys(v1) {
                if matches!(key, "extends" | "build" | "image" | "dockerfile") {
                    continue; // each decides whether the service loads at all
                }
                for (what, value) in VALUES {
                    let text = if v1 {
                        format!("web:\n  image: busybox\n  {key}: {value}\n")
                    } else {
                        format!(
                            "version: \"2.4\"\nservices:\n  web:\n    image: busybox\n    {key}: {value}\n"
                        )
                    };
                    let line = if v1 { 3 } else { 5 };
                    match crate::parse_str("docker-compose.yml", &text) {
                        Err(error) => {
                            let problems = error.problems();
                            let located = problems.iter().any(|problem| {
                                let before = &text[..problem.span.offset.min(text.len())];
                                before.matches('\n').count() + 1 == line
                            });
                            if problems.is_empty() || !located {
                                failures.push(format!(
                                    "v1={v1} `{key}: {value}` ({what}): refused without a location on line {line}: {error}"
                                ));
                            }
                        }
                        Ok(project) => {
                            let service = &project.services["web"];
                            let kept = service.options.contains_key(key)
                                || kept_as(key)
                                    .iter()
                                    .any(|other| service.options.contains_key(*other))
                                || *value == "null";
                            if !kept {
                                failures.push(format!(
                                    "v1={v1} `{key}: {value}` ({what}): accepted and dropped"
                                ));
                            }
                        }
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
