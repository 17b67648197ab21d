//! Values 1.29.2's schema passes but the engine (or docker-py, before it) refuses:
//! `mem_limit: 64x`, `cpu_shares: lots`, `cpus: -.inf`, `ports: ["99999:80"]`,
//! `restart: sometimes`, `volumes: [":/data"]`. They used to become 0 ("no limit")
//! or `i64::MAX` without a word. Each is a [`Refusal`] on the service, located:
//! `config` prints the file and warns (1.29.2's `config` accepts it), the planner
//! refuses it before anything is created. A reason never repeats the value, which
//! may have been interpolated from `.env`.

use crate::model::Refusal;
use crate::yaml::{Mapping, Node, Value};

const BYTES: &[(&str, &str)] = &[
    ("mem_limit", "memory"),
    ("memswap_limit", "memswap_limit"),
    ("mem_reservation", "mem_reservation"),
    ("shm_size", "shm_size"),
];

/// Integer settings; whether a negative number is allowed (`-1` is "unlimited").
const INTEGERS: &[(&str, bool)] = &[
    ("cpu_shares", false),
    ("cpu_quota", true),
    ("cpu_period", false),
    ("cpu_count", false),
    ("cpu_percent", false),
    ("cpu_rt_period", false),
    ("cpu_rt_runtime", false),
    ("pids_limit", true),
    ("mem_swappiness", false),
    ("oom_score_adj", true),
];

/// The refusals of one service's final dictionary.
pub(crate) fn check(service: &str, dict: &Mapping) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    let mut refuse = |path: String, reason: String, node: &Node| {
        refusals.push(Refusal {
            path,
            reason,
            span: node.span,
        });
    };
    for &(key, what) in BYTES {
        if let Some(node) = dict.get(key)
            && !node.is_null()
            && !is_bytes(node)
        {
            refuse(
                format!("{service}.{key}"),
                format!(
                    "the specified value for {what} should be a positive number of bytes with one of the units `b` `k` `m` `g`"
                ),
                node,
            );
        }
    }
    for &(key, negative) in INTEGERS {
        if let Some(node) = dict.get(key)
            && !node.is_null()
        {
            match integer(node) {
                Some(number) if number >= 0 || negative => {}
                Some(_) => refuse(
                    format!("{service}.{key}"),
                    "must not be negative".to_owned(),
                    node,
                ),
                None => refuse(
                    format!("{service}.{key}"),
                    "must be an integer".to_owned(),
                    node,
                ),
            }
        }
    }
    // v3 `deploy.resources`, which become `mem_limit`, `mem_reservation` and `cpus`.
    if let Some(resources) = dict
        .get("deploy")
        .and_then(Node::as_mapping)
        .and_then(|deploy| deploy.get("resources"))
        .and_then(Node::as_mapping)
    {
        for part in ["limits", "reservations"] {
            let Some(part_mapping) = resources.get(part).and_then(Node::as_mapping) else {
                continue;
            };
            if let Some(node) = part_mapping.get("memory")
                && !node.is_null()
                && !is_bytes(node)
            {
                refuse(
                    format!("{service}.deploy.resources.{part}.memory"),
                    "the specified value for memory should be a positive number of bytes with one of the units `b` `k` `m` `g`".to_owned(),
                    node,
                );
            }
            if let Some(node) = part_mapping.get("cpus")
                && !node.is_null()
                && !is_cpus(node)
            {
                refuse(
                    format!("{service}.deploy.resources.{part}.cpus"),
                    "must be a finite, positive number of CPUs".to_owned(),
                    node,
                );
            }
        }
    }
    if let Some(node) = dict.get("cpus")
        && !node.is_null()
        && !is_cpus(node)
    {
        refuse(
            format!("{service}.cpus"),
            "must be a finite, positive number of CPUs".to_owned(),
            node,
        );
    }
    if let Some(node) = dict.get("restart")
        && let Some(text) = node.as_str()
    {
        let policy = text.split(':').next().unwrap_or_default();
        if !text.is_empty() && !matches!(policy, "no" | "always" | "on-failure" | "unless-stopped")
        {
            refuse(
                format!("{service}.restart"),
                "invalid restart policy: it must be `no`, `always`, `on-failure[:max_retry]` or `unless-stopped`".to_owned(),
                node,
            );
        }
    }
    if let Some(node) = dict.get("image")
        && let Some(reference) = node.as_str()
        && let Some(reason) = invalid_reference(reference)
    {
        refuse(
            format!("{service}.image"),
            format!("invalid reference format: {reason}"),
            node,
        );
    }
    if let Some(Value::Sequence(items)) = dict.get("ports").map(|node| &node.value) {
        for (index, item) in items.iter().enumerate() {
            if !port_in_range(item) {
                refuse(
                    format!("{service}.ports[{index}]"),
                    "invalid port: a port must be between 0 and 65535".to_owned(),
                    item,
                );
            }
        }
    }
    if let Some(Value::Sequence(items)) = dict.get("volumes").map(|node| &node.value) {
        for (index, item) in items.iter().enumerate() {
            if let Some(text) = item.as_str()
                && (text.is_empty() || text.starts_with(':') || text.contains("::"))
            {
                refuse(
                    format!("{service}.volumes[{index}]"),
                    "invalid volume specification: empty section between colons".to_owned(),
                    item,
                );
            }
        }
    }
    refusals
}

/// Why `reference` is no image reference the engine accepts (distribution's
/// grammar: `[domain[:port]/]path[:tag][@digest]`), `None` when it is one.
fn invalid_reference(reference: &str) -> Option<&'static str> {
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    if let Some(digest) = digest
        && !digest
            .split_once(':')
            .is_some_and(|(algorithm, hex)| !algorithm.is_empty() && !hex.is_empty())
    {
        return Some("invalid digest");
    }
    let last_slash = rest.rfind('/').map_or(0, |at| at + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(at) => (&rest[..last_slash + at], Some(&rest[last_slash + at + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let mut characters = tag.chars();
        let first_ok = characters
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok
            || tag.len() > 128
            || !characters.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Some("invalid tag");
        }
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 && (components[0].contains(['.', ':']) || components[0] == "localhost")
    {
        let domain = components.remove(0);
        let host = domain.split(':').next().unwrap_or_default();
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        {
            return Some("invalid domain");
        }
    }
    for component in components {
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            return Some("repository name must be lowercase");
        }
        let separators_ok = !component.is_empty()
            && component.starts_with(|c: char| c.is_ascii_alphanumeric())
            && component.ends_with(|c: char| c.is_ascii_alphanumeric())
            && component.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
            && !component.contains("..")
            && !component.contains("___");
        if !separators_ok {
            return Some("invalid repository name");
        }
    }
    None
}

/// A finite, non-negative number of CPUs (a number or a numeric string).
fn is_cpus(node: &Node) -> bool {
    let cpus = match &node.value {
        #[allow(clippy::cast_precision_loss)]
        Value::Int(number) => Some(*number as f64),
        Value::Float(number) => Some(*number),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    cpus.is_some_and(|cpus| cpus.is_finite() && cpus >= 0.0)
}

/// docker-py's `parse_bytes`: a non-negative integer, or digits with one unit.
fn is_bytes(node: &Node) -> bool {
    match &node.value {
        Value::Int(number) => *number >= 0,
        Value::String(text) => {
            let text = text.trim().to_ascii_lowercase();
            let digits_end = text
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(text.len());
            let (digits, unit) = text.split_at(digits_end);
            !digits.is_empty()
                && digits.parse::<f64>().is_ok_and(f64::is_finite)
                && matches!(unit, "" | "b" | "k" | "kb" | "m" | "mb" | "g" | "gb")
        }
        _ => false,
    }
}

pub(crate) fn integer(node: &Node) -> Option<i64> {
    match &node.value {
        Value::Int(number) => Some(*number),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Every port number in a `ports` item is at most 65535 (the engine's limit).
fn port_in_range(item: &Node) -> bool {
    match &item.value {
        Value::Int(number) => (0..=65_535).contains(number),
        Value::String(text) => {
            let spec = text.split('/').next().unwrap_or_default();
            // `[ip:][host:]container`; an IPv6 address has colons of its own, so only
            // the last two parts are ports.
            spec.rsplit(':').take(2).all(|part| {
                part.is_empty()
                    || part.split('-').all(|number| {
                        number
                            .trim()
                            .parse::<u32>()
                            .map_or(true, |port| port <= 65_535)
                    })
            })
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusals(text: &str) -> Vec<String> {
        let node = crate::yaml::parse(crate::model::FileId(0), text).expect("YAML");
        let mapping = node.as_mapping().expect("a mapping");
        check("web", mapping)
            .into_iter()
            .map(|refusal| refusal.path)
            .collect()
    }

    #[test]
    fn values_the_engine_refuses_are_found() {
        for (text, expected) in [
            ("mem_limit: abc", vec!["web.mem_limit"]),
            ("mem_limit: 64x", vec!["web.mem_limit"]),
            ("mem_limit: -5m", vec!["web.mem_limit"]),
            ("mem_limit: .nan", vec!["web.mem_limit"]),
            ("mem_limit: 1e3", vec!["web.mem_limit"]),
            ("shm_size: 64x", vec!["web.shm_size"]),
            ("mem_reservation: -1", vec!["web.mem_reservation"]),
            ("cpu_shares: .inf", vec!["web.cpu_shares"]),
            ("cpu_shares: lots", vec!["web.cpu_shares"]),
            ("pids_limit: 1.5", vec!["web.pids_limit"]),
            ("cpus: -.inf", vec!["web.cpus"]),
            ("cpus: .nan", vec!["web.cpus"]),
            ("restart: sometimes", vec!["web.restart"]),
            (
                "ports: ['99999:80', '80', '1.2.3.4:8080-8081:80/udp']",
                vec!["web.ports[0]"],
            ),
            ("volumes: [':/data', '/a:/b']", vec!["web.volumes[0]"]),
            ("image: 'Bad Image::tag'", vec!["web.image"]),
            (
                "deploy: {resources: {limits: {memory: 64x, cpus: '-1'}}}",
                vec![
                    "web.deploy.resources.limits.memory",
                    "web.deploy.resources.limits.cpus",
                ],
            ),
            ("image: 'busybox:'", vec!["web.image"]),
            ("image: 'a//b'", vec!["web.image"]),
            ("image: 'MyImage'", vec!["web.image"]),
        ] {
            assert_eq!(refusals(text), expected, "{text}");
        }
    }

    #[test]
    fn good_values_pass() {
        for text in [
            "mem_limit: 64m",
            "mem_limit: 1g",
            "mem_limit: 1048576",
            "mem_limit: '1.5g'",
            "shm_size: 64MB",
            "cpu_shares: 512",
            "cpu_shares: '512'",
            "pids_limit: -1",
            "cpus: 0.5",
            "cpus: '1.5'",
            "restart: on-failure:3",
            "restart: 'no'",
            "ports: ['::1:8080:80', 65535]",
            "image: busybox",
            "image: envctl-test/busybox:latest",
            "image: localhost:5000/a/b-c_d.e:1.0",
            "image: registry.example.com/team/app@sha256:abc123",
            "image: 'a__b:v'",
        ] {
            assert_eq!(refusals(text), Vec::<String>::new(), "{text}");
        }
    }
}
