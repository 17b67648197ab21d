//! Merging two service dictionaries: 1.29.2's `merge_service_dicts` (config.py
//! L1066-1108), used both for `extends` (base = resolved parent, override = child)
//! and for several `-f` files (base = earlier file, override = later file).
//!
//! | rule | keys |
//! |---|---|
//! | mapping merge, override wins | `environment`, `labels`, `ulimits`, `sysctls`, `depends_on`, `storage_opt`, `extra_hosts` |
//! | keyed sequence, sorted | `links` (by alias), `security_opt`, `secrets`, `configs` |
//! | keyed by container path, sorted | `volumes`, `devices` |
//! | per network: `aliases`/`link_local_ips` unions, `priority`/`ipv4_address`/`ipv6_address` override wins, other keys dropped | `networks` (list form → mapping) |
//! | union of strings, sorted | `cap_add`, `cap_drop`, `expose`, `external_links`, `volumes_from`, `device_cgroup_rules`, `profiles` |
//! | concatenation | `dns`, `dns_search`, `env_file`, `tmpfs` |
//! | ports | keyed by (target, published, ip, protocol), sorted by target |
//! | v1 `image`/`build` | exactly one survives: override image > override build > base image > base build |
//! | everything else | scalar, override wins |
//!
//! A key present on either side is always re-normalised (a single-sided `expose: [80]`
//! becomes `['80']`), exactly as 1.29.2 does. Nodes keep their spans through merging.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::model::Span;
use crate::port::{parse_port_spec, parsed_port_to_node};
use crate::yaml::{Entry, Mapping, Node, Value};

/// How 1.29.2 merges a key (the table above).
enum Rule {
    Mapping,
    Unique,
    Concat,
    KeyedSequence,
    PathMappings,
    Ports,
    Logging,
    Networks,
    Override,
}

/// The rule for `key`: a `match`, which compiles to a few length and byte
/// comparisons, where scanning four lists of names showed in profiles.
fn rule(key: &str, v1: bool) -> Rule {
    match key {
        "environment" | "labels" | "ulimits" | "sysctls" | "depends_on" | "storage_opt"
        | "extra_hosts" => Rule::Mapping,
        "cap_add"
        | "cap_drop"
        | "expose"
        | "external_links"
        | "volumes_from"
        | "device_cgroup_rules"
        | "profiles" => Rule::Unique,
        "dns" | "dns_search" | "env_file" | "tmpfs" => Rule::Concat,
        "links" | "security_opt" | "secrets" | "configs" => Rule::KeyedSequence,
        "volumes" | "devices" => Rule::PathMappings,
        "ports" => Rule::Ports,
        "logging" if !v1 => Rule::Logging,
        "networks" => Rule::Networks,
        _ => Rule::Override,
    }
}

/// Merges `override_dict` onto `base`; `v1` selects the legacy image/build rule.
pub(crate) fn merge_service_dicts(base: &Mapping, override_dict: &Mapping, v1: bool) -> Mapping {
    let mut keys: Vec<(&str, Span)> = Vec::new();
    for entry in base.iter().chain(override_dict.iter()) {
        if entry.key == "extends" {
            continue;
        }
        if !keys.iter().any(|(key, _)| *key == entry.key) {
            keys.push((&entry.key, entry.key_span));
        }
    }
    let mut output = Mapping::default();
    for (key, _) in keys {
        let base_entry = base.entry(key);
        let override_entry = override_dict.entry(key);
        let base_node = base_entry.map(|entry| &entry.value);
        let override_node = override_entry.map(|entry| &entry.value);
        // The key written last is the one errors point at.
        let key_span = override_entry
            .or(base_entry)
            .map_or(Span::new(crate::model::FileId(0), 0, 0), |entry| {
                entry.key_span
            });
        let span = override_node
            .or(base_node)
            .map_or(key_span, |node| node.span);
        let merged = match rule(key, v1) {
            Rule::Mapping => merge_mapping(key, base_node, override_node, span),
            Rule::Unique => merge_unique(base_node, override_node, span),
            Rule::Concat => {
                let mut items = to_list(base_node);
                items.extend(to_list(override_node));
                Node::new(Value::Sequence(items), span)
            }
            Rule::KeyedSequence => merge_keyed_sequence(key, base_node, override_node, span),
            Rule::PathMappings => merge_path_mappings(base_node, override_node, span),
            Rule::Ports => merge_ports(base_node, override_node, span),
            Rule::Logging => merge_logging(base_node, override_node, span),
            Rule::Networks => merge_networks(base_node, override_node, span),
            Rule::Override => match override_node {
                Some(node) => node.clone(),
                None => base_node
                    .cloned()
                    .unwrap_or_else(|| Node::new(Value::Null, span)),
            },
        };
        output.insert(Entry {
            key: key.to_owned(),
            key_span,
            value: merged,
        });
    }
    if v1 {
        let winner = [
            (override_dict, "image"),
            (override_dict, "build"),
            (base, "image"),
            (base, "build"),
        ]
        .into_iter()
        .find_map(|(dict, key)| dict.entry(key).cloned());
        output.remove("image");
        output.remove("build");
        if let Some(entry) = winner {
            output.insert(entry);
        }
    }
    output
}

/// `merge_service_dicts_from_files`: as above, and `extends` of the later file wins.
pub(crate) fn merge_from_files(base: &Mapping, override_dict: &Mapping, v1: bool) -> Mapping {
    let mut merged = merge_service_dicts(base, override_dict, v1);
    if let Some(extends) = override_dict
        .entry("extends")
        .or_else(|| base.entry("extends"))
    {
        merged.insert(extends.clone());
    }
    merged
}

fn to_list(node: Option<&Node>) -> Vec<Node> {
    match node.map(|node| &node.value) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items.clone(),
        Some(_) => node.into_iter().cloned().collect(),
    }
}

/// Parses the list form of `environment` (`K=V`, `K`), `labels` (`k=v`, `k` → empty)
/// and `extra_hosts` (`host:ip`) into a mapping; mappings are returned as they are.
pub(crate) fn parse_mapping_form(key: &str, node: Option<&Node>) -> Mapping {
    let mut mapping = Mapping::default();
    let Some(node) = node else { return mapping };
    match &node.value {
        Value::Mapping(existing) => existing.clone(),
        Value::Sequence(items) => {
            for item in items {
                let text = item.scalar_to_string().unwrap_or_default();
                let (name, value) = match key {
                    "extra_hosts" => match text.split_once(':') {
                        Some((host, ip)) => {
                            (host.trim().to_owned(), Value::String(ip.trim().to_owned()))
                        }
                        None => (text.clone(), Value::Null),
                    },
                    "labels" => match text.split_once('=') {
                        Some((name, value)) => (name.to_owned(), Value::String(value.to_owned())),
                        None => (text.clone(), Value::String(String::new())),
                    },
                    "depends_on" => (text.clone(), Value::Mapping(condition_started(item.span))),
                    _ => match text.split_once('=') {
                        Some((name, value)) => (name.to_owned(), Value::String(value.to_owned())),
                        None => (text.clone(), Value::Null),
                    },
                };
                mapping.insert(Entry {
                    key: name,
                    key_span: item.span,
                    value: Node::new(value, item.span),
                });
            }
            mapping
        }
        _ => mapping,
    }
}

fn condition_started(span: Span) -> Mapping {
    let mut condition = Mapping::default();
    condition.insert(Entry {
        key: "condition".to_owned(),
        key_span: span,
        value: Node::new(Value::String("service_started".to_owned()), span),
    });
    condition
}

fn merge_mapping(key: &str, base: Option<&Node>, override_node: Option<&Node>, span: Span) -> Node {
    let mut merged = parse_mapping_form(key, base);
    for entry in parse_mapping_form(key, override_node).entries {
        merged.insert(entry);
    }
    Node::new(Value::Mapping(merged), span)
}

fn merge_unique(base: Option<&Node>, override_node: Option<&Node>, span: Span) -> Node {
    let mut unique: BTreeMap<String, Span> = BTreeMap::new();
    for item in to_list(base).into_iter().chain(to_list(override_node)) {
        if let Some(text) = item.scalar_to_string() {
            unique.entry(text).or_insert(item.span);
        }
    }
    let items = unique
        .into_iter()
        .map(|(text, item_span)| Node::new(Value::String(text), item_span))
        .collect();
    Node::new(Value::Sequence(items), span)
}

fn merge_keyed_sequence(
    key: &str,
    base: Option<&Node>,
    override_node: Option<&Node>,
    span: Span,
) -> Node {
    // merge key -> (sort key, node)
    let mut merged: IndexMap<String, ((String, String), Node)> = IndexMap::new();
    for item in to_list(base).into_iter().chain(to_list(override_node)) {
        if matches!(key, "secrets" | "configs") {
            // `ServiceSecret`/`ServiceConfig` by `source`, the override's winning,
            // sorted by it (1.29.2 `merge_sequence`, `merge_field`); the item is
            // kept as written, its `repr()` is made when the service is finalised.
            let source = match &item.value {
                Value::Mapping(entries) => entries.get("source").and_then(Node::scalar_to_string),
                _ => item.scalar_to_string(),
            };
            let Some(source) = source else {
                // No source: nothing to merge it with (the finaliser reports it).
                merged.insert(
                    format!("{}#{}", merged.len(), item.span.offset),
                    ((String::new(), String::new()), item),
                );
                continue;
            };
            merged.insert(source.clone(), ((source, String::new()), item));
            continue;
        }
        let Some(text) = item.scalar_to_string() else {
            merged.insert(
                format!("{}#{}", merged.len(), item.span.offset),
                ((String::new(), String::new()), item),
            );
            continue;
        };
        if key == "links" {
            let (target, alias) = match text.split_once(':') {
                Some((target, alias)) if !alias.is_empty() => (target.to_owned(), alias.to_owned()),
                _ => (
                    text.split(':').next().unwrap_or_default().to_owned(),
                    text.split(':').next().unwrap_or_default().to_owned(),
                ),
            };
            let representation = if target == alias {
                target.clone()
            } else {
                format!("{target}:{alias}")
            };
            merged.insert(
                alias.clone(),
                (
                    (target, alias),
                    Node::new(Value::String(representation), item.span),
                ),
            );
        } else {
            merged.insert(
                text.clone(),
                (
                    (text.clone(), String::new()),
                    Node::new(Value::String(text), item.span),
                ),
            );
        }
    }
    let mut values: Vec<((String, String), Node)> = merged.into_values().collect();
    values.sort_by(|left, right| left.0.cmp(&right.0));
    Node::new(
        Value::Sequence(values.into_iter().map(|(_, node)| node).collect()),
        span,
    )
}

/// Splits `host:container[:mode]` as 1.29.2's `split_path_mapping`.
pub(crate) fn split_path_mapping(text: &str) -> (String, Option<(String, Option<String>)>) {
    match text.split_once(':') {
        Some((host, container)) => {
            let (container, mode) = match container.rsplit_once(':') {
                Some((container, mode)) => (container.to_owned(), Some(mode.to_owned())),
                None => (container.to_owned(), None),
            };
            (container, Some((host.to_owned(), mode)))
        }
        None => (text.to_owned(), None),
    }
}

/// `merge_path_mappings` (`compose/config/config.py` L1398-1412): items keyed by their
/// container path (a long-syntax mount by its `target`), the later one winning, and
/// the merged list sorted by that path. See: #18
fn merge_path_mappings(base: Option<&Node>, override_node: Option<&Node>, span: Span) -> Node {
    let mut by_container: IndexMap<String, Node> = IndexMap::new();
    for item in to_list(base).into_iter().chain(to_list(override_node)) {
        let container = match &item.value {
            Value::Mapping(mount) => mount.get("target").and_then(Node::scalar_to_string),
            _ => item
                .scalar_to_string()
                .map(|text| split_path_mapping(&text).0),
        };
        // No container path (a mount without `target`): kept, for validation to report.
        let key = container.unwrap_or_else(|| format!("\u{10ffff}#{}", by_container.len()));
        by_container.insert(key, item);
    }
    by_container.sort_keys();
    Node::new(Value::Sequence(by_container.into_values().collect()), span)
}

fn merge_ports(base: Option<&Node>, override_node: Option<&Node>, span: Span) -> Node {
    let mut merged: IndexMap<String, (u32, Node)> = IndexMap::new();
    for item in to_list(base).into_iter().chain(to_list(override_node)) {
        match parse_port_spec(&item) {
            Ok(ports) => {
                for port in ports {
                    let key = format!(
                        "{}|{:?}|{:?}|{:?}",
                        port.target, port.published, port.host_ip, port.protocol
                    );
                    let target = port.target;
                    merged.insert(key, (target, parsed_port_to_node(&port, item.span)));
                }
            }
            Err(_) => {
                // Kept as written: validation reports it later.
                merged.insert(format!("invalid#{}", merged.len()), (0, item));
            }
        }
    }
    let mut values: Vec<(u32, Node)> = merged.into_values().collect();
    values.sort_by_key(|(target, _)| *target);
    Node::new(
        Value::Sequence(values.into_iter().map(|(_, node)| node).collect()),
        span,
    )
}

/// `merge_networks` (`compose/config/config.py` L1185-1199): both sides as mappings
/// (a list names networks with no settings), merged network by network; only the
/// five keys 1.29.2's `MergeDict` handles survive. Networks keep file order (base
/// first), where 1.29.2 iterates a set; `config` sorts them anyway. See: #18
fn merge_networks(base: Option<&Node>, override_node: Option<&Node>, span: Span) -> Node {
    fn as_entries(node: Option<&Node>) -> Vec<(String, Span, Mapping)> {
        match node.map(|node| &node.value) {
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|item| {
                    let name = item.scalar_to_string()?;
                    Some((name, item.span, Mapping::default()))
                })
                .collect(),
            Some(Value::Mapping(mapping)) => mapping
                .iter()
                .map(|entry| {
                    let settings = entry.value.as_mapping().cloned().unwrap_or_default();
                    (entry.key.clone(), entry.key_span, settings)
                })
                .collect(),
            _ => Vec::new(),
        }
    }
    let base_entries = as_entries(base);
    let override_entries = as_entries(override_node);
    let mut output = Mapping::default();
    let names = base_entries
        .iter()
        .chain(&override_entries)
        .map(|(name, key_span, _)| (name, *key_span));
    for (name, key_span) in names {
        if output.contains_key(name) {
            continue;
        }
        let empty = Mapping::default();
        let settings = |entries: &'_ [(String, Span, Mapping)]| -> Option<Mapping> {
            entries
                .iter()
                .rev()
                .find(|(other, _, _)| other == name)
                .map(|(_, _, settings)| settings.clone())
        };
        let base_settings = settings(&base_entries);
        let override_settings = settings(&override_entries);
        let base_map = base_settings.as_ref().unwrap_or(&empty);
        let override_map = override_settings.as_ref().unwrap_or(&empty);
        let mut merged = Mapping::default();
        for field in ["aliases", "link_local_ips"] {
            let base_field = base_map.entry(field);
            let override_field = override_map.entry(field);
            if let Some(entry) = override_field.or(base_field) {
                let value = merge_unique(
                    base_field.map(|entry| &entry.value),
                    override_field.map(|entry| &entry.value),
                    entry.value.span,
                );
                merged.insert(Entry {
                    key: field.to_owned(),
                    key_span: entry.key_span,
                    value,
                });
            }
        }
        for field in ["priority", "ipv4_address", "ipv6_address"] {
            if let Some(entry) = override_map.entry(field).or_else(|| base_map.entry(field)) {
                merged.insert(entry.clone());
            }
        }
        output.insert(Entry {
            key: name.clone(),
            key_span,
            value: Node::new(Value::Mapping(merged), key_span),
        });
    }
    Node::new(Value::Mapping(output), span)
}

fn merge_logging(base: Option<&Node>, override_node: Option<&Node>, span: Span) -> Node {
    let empty = Mapping::default();
    let base_map = base.and_then(Node::as_mapping).unwrap_or(&empty);
    let override_map = override_node.and_then(Node::as_mapping).unwrap_or(&empty);
    let mut output = Mapping::default();
    let driver = override_map
        .entry("driver")
        .or_else(|| base_map.entry("driver"));
    if let Some(driver) = driver {
        output.insert(driver.clone());
    }
    let base_driver = base_map.get("driver").and_then(Node::as_str);
    let same_driver = driver.and_then(|entry| entry.value.as_str()) == base_driver;
    if same_driver || base_driver.is_none() {
        if base_map.contains_key("options") || override_map.contains_key("options") {
            let mut options = base_map
                .get("options")
                .and_then(Node::as_mapping)
                .cloned()
                .unwrap_or_default();
            if let Some(more) = override_map.get("options").and_then(Node::as_mapping) {
                for entry in &more.entries {
                    options.insert(entry.clone());
                }
            }
            let options_span = override_map
                .get("options")
                .or(base_map.get("options"))
                .map_or(span, |n| n.span);
            output.insert(Entry {
                key: "options".to_owned(),
                key_span: options_span,
                value: Node::new(Value::Mapping(options), options_span),
            });
        }
    } else if let Some(options) = override_map.entry("options") {
        output.insert(options.clone());
    }
    Node::new(Value::Mapping(output), span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileId;

    /// Merges two one-service YAML texts (the service is `s`) and returns the result
    /// as JSON, for comparing with what 1.29.2 printed.
    fn check(base: &str, override_text: &str, v1: bool, expected: &str) {
        let mapping = |text: &str| {
            let node = crate::yaml::parse(FileId(0), text).expect("valid YAML");
            node.as_mapping().expect("a mapping").clone()
        };
        let merged = merge_service_dicts(&mapping(base), &mapping(override_text), v1);
        let actual = Node::new(Value::Mapping(merged), Span::new(FileId(0), 0, 0)).to_json();
        let expected = crate::yaml::parse(FileId(0), expected)
            .expect("valid YAML")
            .to_json();
        assert_eq!(actual, expected, "merging {base:?} and {override_text:?}");
    }

    #[test]
    fn merges_follow_the_1_29_2_table() {
        let table: &[(&str, &str, &str)] = &[
            // mappings: list forms parsed, override wins per key
            (
                "environment: [A=1, B]",
                "environment: {B: 2}",
                "environment: {A: '1', B: 2}",
            ),
            (
                "labels: [a=1, b]",
                "labels: {c: x}",
                "labels: {a: '1', b: '', c: x}",
            ),
            (
                "extra_hosts: ['a:1.1.1.1']",
                "extra_hosts: {b: 2.2.2.2}",
                "extra_hosts: {a: 1.1.1.1, b: 2.2.2.2}",
            ),
            // unions: stringified, unique, sorted
            (
                "expose: [80, 9]",
                "expose: ['80', 1000]",
                "expose: ['1000', '80', '9']",
            ),
            (
                "volumes_from: [data]",
                "volumes_from: ['data:ro']",
                "volumes_from: [data, 'data:ro']",
            ),
            // concatenations keep duplicates
            (
                "dns: 1.1.1.1",
                "dns: [1.1.1.1, 2.2.2.2]",
                "dns: [1.1.1.1, 1.1.1.1, 2.2.2.2]",
            ),
            // links keyed by alias, sorted by (target, alias)
            (
                "links: [db, 'db:alias']",
                "links: ['cache:db']",
                "links: ['cache:db', 'db:alias']",
            ),
            // volumes keyed by container path, sorted by it
            (
                "volumes: ['/z:/z', '/a:/a:ro']",
                "volumes: ['/b:/z']",
                "volumes: ['/a:/a:ro', '/b:/z']",
            ),
            // long syntax keyed by `target`, among the short ones; See: #18
            (
                "volumes: ['/x:/zz', {type: bind, source: /c, target: /m}, /anon]",
                "volumes: ['/q:/b', '/d:/a']",
                "volumes: ['/d:/a', /anon, '/q:/b', {type: bind, source: /c, target: /m}, '/x:/zz']",
            ),
            // networks: a list is a mapping of empty settings, aliases are unions
            (
                "networks: {front: {aliases: [b, a], ipv4_address: 1.2.3.4}, back: null}",
                "networks: [extra, front]",
                "networks: {front: {aliases: [a, b], ipv4_address: 1.2.3.4}, back: {}, extra: {}}",
            ),
            // ports keyed by (target, published, ip, protocol), sorted by target
            (
                "ports: ['90:90', '80']",
                "ports: ['80', '81:80']",
                "ports: ['80', '81:80', '90:90']",
            ),
            // scalars: override wins; v1 log_opt is replaced whole
            ("log_opt: {a: 1}", "log_opt: {b: 2}", "log_opt: {b: 2}"),
            ("command: a", "user: root", "command: a\nuser: root"),
        ];
        for (base, override_text, expected) in table {
            check(base, override_text, true, expected);
        }
    }

    #[test]
    fn v1_image_and_build_replace_each_other() {
        check("build: .", "image: x", true, "image: x");
        check("image: x", "build: .", true, "build: .");
        check(
            "image: x\nbuild: .",
            "command: a",
            true,
            "image: x\ncommand: a",
        );
    }
}
