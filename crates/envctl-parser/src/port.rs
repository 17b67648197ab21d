//! `ports` and `expose`: docker-py's `split_port` and 1.29.2's `ServicePort`.

use crate::model::Span;
use crate::yaml::{Node, Value};

/// One container port after range expansion (1.29.2 `ServicePort`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedPort {
    pub target: u32,
    pub published: Option<String>,
    pub host_ip: Option<String>,
    pub protocol: Option<String>,
}

#[cfg(test)]
impl ParsedPort {
    /// `[ip:][published:]target/protocol`, 1.29.2's `legacy_repr`.
    pub fn legacy_repr(&self) -> String {
        use std::fmt::Write as _;
        let mut text = String::new();
        if let Some(ip) = &self.host_ip {
            text.push_str(ip);
            text.push(':');
        }
        if let Some(published) = &self.published {
            text.push_str(published);
        }
        if self.published.is_some() || self.host_ip.is_some() {
            text.push(':');
        }
        let _ = write!(
            text,
            "{}/{}",
            self.target,
            self.protocol.as_deref().unwrap_or("tcp")
        );
        text
    }
}

/// A parsed port written back as a string that parses to the same port.
pub(crate) fn parsed_port_to_node(port: &ParsedPort, span: Span) -> Node {
    let mut text = String::new();
    if let Some(ip) = &port.host_ip {
        text.push_str(ip);
        text.push(':');
    }
    if let Some(published) = &port.published {
        text.push_str(published);
        text.push(':');
    } else if port.host_ip.is_some() {
        text.push(':');
    }
    text.push_str(&port.target.to_string());
    if let Some(protocol) = &port.protocol {
        text.push('/');
        text.push_str(protocol);
    }
    Node::new(Value::String(text), span)
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn expand_range(start: &str, end: Option<&str>) -> Result<Vec<String>, String> {
    match end {
        None => Ok(vec![start.to_owned()]),
        Some(end) => {
            let first: u32 = start
                .parse()
                .map_err(|_| format!("invalid port `{start}`"))?;
            let last: u32 = end.parse().map_err(|_| format!("invalid port `{end}`"))?;
            if last < first || last - first > 65_535 {
                return Err(format!("invalid port range `{start}-{end}`"));
            }
            Ok((first..=last).map(|port| port.to_string()).collect())
        }
    }
}

/// docker-py `split_port` + 1.29.2 `ServicePort.parse` for the short syntax.
pub(crate) fn parse_port_spec(node: &Node) -> Result<Vec<ParsedPort>, String> {
    if let Value::Mapping(mapping) = &node.value {
        let target = mapping
            .get("target")
            .and_then(Node::scalar_to_string)
            .and_then(|target| target.parse::<u32>().ok())
            .ok_or_else(|| "a port mapping needs a numeric `target`".to_owned())?;
        return Ok(vec![ParsedPort {
            target,
            published: mapping.get("published").and_then(Node::scalar_to_string),
            host_ip: None,
            protocol: mapping.get("protocol").and_then(Node::scalar_to_string),
        }]);
    }
    let spec = node
        .scalar_to_string()
        .ok_or_else(|| "a port must be a string or a number".to_owned())?;
    let invalid = || {
        format!(
            "invalid port `{spec}`, should be [[remote_ip:]remote_port[-remote_port]:]port[/protocol]"
        )
    };
    let (body, protocol) = match spec.rsplit_once('/') {
        Some((body, protocol @ ("tcp" | "udp" | "sctp"))) => (body, Some(protocol.to_owned())),
        Some(_) => return Err(invalid()),
        None => (spec.as_str(), None),
    };
    // [host:][ext[-ext_end]:]int[-int_end]
    let (external_part, internal) = match body.rsplit_once(':') {
        Some((external, internal)) => (Some(external), internal),
        None => (None, body),
    };
    let (internal_start, internal_end) = match internal.split_once('-') {
        Some((start, end)) => (start, Some(end)),
        None => (internal, None),
    };
    if !digits(internal_start) || internal_end.is_some_and(|end| !digits(end)) {
        return Err(invalid());
    }
    let internal_ports = expand_range(internal_start, internal_end)?;
    let (host, external) = match external_part {
        None => (None, None),
        Some(external_part) => {
            let (host, external) = match external_part.rsplit_once(':') {
                Some((host, external)) => {
                    let host = host.trim_start_matches('[').trim_end_matches(']');
                    if host.is_empty()
                        || !host
                            .chars()
                            .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':')
                    {
                        return Err(invalid());
                    }
                    (Some(host.to_owned()), external)
                }
                None => (None, external_part),
            };
            (host, Some(external))
        }
    };
    let external_ports: Option<Vec<String>> = match external {
        // docker-py: an empty external part without a host is a range of length 0.
        Some("") if host.is_none() => return Err("port ranges don't match in length".to_owned()),
        None | Some("") => None,
        Some(external) => {
            let (start, end) = match external.split_once('-') {
                Some((start, end)) => (start, Some(end)),
                None => (external, None),
            };
            if !digits(start) || end.is_some_and(|end| !digits(end)) {
                return Err(invalid());
            }
            if internal_ports.len() == 1 && end.is_some() {
                Some(vec![external.to_owned()])
            } else {
                Some(expand_range(start, end)?)
            }
        }
    };
    if let Some(external_ports) = &external_ports
        && external_ports.len() != internal_ports.len()
    {
        return Err("port ranges don't match in length".to_owned());
    }
    let mut ports = Vec::new();
    for (index, internal_port) in internal_ports.iter().enumerate() {
        let target: u32 = internal_port.parse().map_err(|_| invalid())?;
        let published = external_ports.as_ref().map(|external| {
            let value = external[index].clone();
            // `int()` drops leading zeros unless it is a range.
            if value.contains('-') {
                value
            } else {
                value.parse::<u32>().map_or(value, |n| n.to_string())
            }
        });
        ports.push(ParsedPort {
            target,
            published,
            host_ip: host.clone(),
            protocol: protocol.clone(),
        });
    }
    Ok(ports)
}

/// `expose` items: `PORT[-PORT][/PROTOCOL]`.
pub(crate) fn is_valid_expose(text: &str) -> bool {
    let (ports, protocol) = match text.split_once('/') {
        Some((ports, protocol)) => (ports, Some(protocol)),
        None => (text, None),
    };
    let ports_ok = match ports.split_once('-') {
        Some((start, end)) => digits(start) && digits(end),
        None => digits(ports),
    };
    ports_ok
        && protocol.is_none_or(|protocol| {
            !protocol.is_empty() && protocol.chars().all(|c| c.is_ascii_alphabetic())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileId;

    fn port(text: &str) -> Result<Vec<String>, String> {
        let node = Node::new(
            crate::yaml::resolve_plain(text.to_owned()),
            Span::new(FileId(0), 0, 0),
        );
        parse_port_spec(&node).map(|ports| ports.iter().map(ParsedPort::legacy_repr).collect())
    }

    #[test]
    fn ports_expand_as_docker_py_does() {
        let table: &[(&str, Result<&[&str], &str>)] = &[
            ("3000", Ok(&["3000/tcp"])),
            ("49152:3001", Ok(&["49152:3001/tcp"])),
            (
                "49153-49154:3002-3003",
                Ok(&["49153:3002/tcp", "49154:3003/tcp"]),
            ),
            ("127.0.0.1:8080:80", Ok(&["127.0.0.1:8080:80/tcp"])),
            ("127.0.0.1::80", Ok(&["127.0.0.1::80/tcp"])),
            (
                "9000-9001:9000-9001/udp",
                Ok(&["9000:9000/udp", "9001:9001/udp"]),
            ),
            ("9000-9010:80", Ok(&["9000-9010:80/tcp"])),
            ("22:22", Ok(&["1342/tcp"])),
            ("1-3:1-2", Err("port ranges don't match in length")),
        ];
        for (text, expected) in table {
            let expected = expected
                .map(|ports| ports.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>())
                .map_err(str::to_owned);
            assert_eq!(port(text), expected, "for {text}");
        }
        assert!(port("${HOST_PORT}:8000").is_err());
    }
}
