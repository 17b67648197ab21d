//! What a template or an inline file may ask for. An API that runs containers is
//! root on its host, so a file is checked before anything is made, and every
//! problem is named at once with its file, line and column.
//!
//! Two passes. [`prescan`] reads the files as YAML, before the loader: the loader
//! reads the files that `extends`, `env_file` and `secrets` name (an `env_file`'s
//! lines become the container's environment, a YAML error quotes its file), so a
//! path outside the template is refused before it is opened. [`check`] reads the
//! loaded [`Project`] (the merged, interpolated, final values) and locates each
//! problem in the files the project was read from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use envctl_parser::yaml::{self, Mapping, Node, Value};
use envctl_parser::{FileId, ModeRef, Project, Span};

use crate::error::Problem;

/// What the server allows, and where a template lives.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The template's directory (`None` for an inline file: no path at all).
    pub base: Option<PathBuf>,
    /// The template allows host bind mounts of its own files, read-only.
    pub read_only_binds: bool,
    /// `build` is allowed (`--allow-build`).
    pub build: bool,
    /// Capabilities `cap_add` may name.
    pub capabilities: Vec<String>,
}

/// The capabilities the engine grants by default: adding one again changes nothing.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// Label namespaces that belong to compose, envctl and this server.
const RESERVED_LABELS: &[&str] = &["com.docker.compose.", "io.envctl.", "org.envctl."];

/// The problems of the raw files, before the loader reads anything they name:
/// `extends.file`, `env_file` and `secrets.*.file` must stay inside the template
/// (and an inline file may name no file at all). `files` are `(path shown, text)`.
pub fn prescan(policy: &Policy, main: (&str, &str)) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut queue: Vec<(PathBuf, String)> = vec![(PathBuf::from(main.0), main.1.to_owned())];
    let mut seen: Vec<PathBuf> = Vec::new();
    while let Some((path, text)) = queue.pop() {
        if seen.contains(&path) || seen.len() > 64 {
            continue;
        }
        seen.push(path.clone());
        // A YAML error is the loader's to report (with its own excerpt).
        let Ok(root) = yaml::parse(FileId(0), &text) else {
            continue;
        };
        let Some(root) = root.as_mapping() else {
            continue;
        };
        let shown = path.display().to_string();
        let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let refuse_path = |node: &Node, what: &str, problems: &mut Vec<Problem>| {
            let value = node.as_str()?;
            let reason = match &policy.base {
                None => Some(format!("{what} may name no file in an inline compose file")),
                Some(_) if value.contains('$') => Some(format!("{what} may not be interpolated")),
                Some(base) => match inside(base, &directory.join(value)) {
                    Some(resolved) => return Some(resolved),
                    None => Some(format!("{what} names a file outside the template")),
                },
            };
            if let Some(reason) = reason {
                problems.push(located(&shown, &text, node.span, None, reason));
            }
            None
        };
        let services = if root.get("version").is_some() || root.get("services").is_some() {
            root.get("services").and_then(Node::as_mapping)
        } else {
            Some(root)
        };
        for entry in services
            .map(|services| services.entries.as_slice())
            .unwrap_or_default()
        {
            let Some(service) = entry.value.as_mapping() else {
                continue;
            };
            if let Some(extends) = service.get("extends").and_then(Node::as_mapping)
                && let Some(file) = extends.get("file")
                && let Some(resolved) = refuse_path(file, "`extends.file`", &mut problems)
                && let Ok(text) = std::fs::read_to_string(&resolved)
            {
                queue.push((resolved, text));
            }
            match service.get("env_file") {
                Some(
                    node @ Node {
                        value: Value::String(_),
                        ..
                    },
                ) => {
                    refuse_path(node, "`env_file`", &mut problems);
                }
                Some(Node {
                    value: Value::Sequence(items),
                    ..
                }) => {
                    for item in items {
                        refuse_path(item, "`env_file`", &mut problems);
                    }
                }
                _ => {}
            }
        }
        if let Some(secrets) = root.get("secrets").and_then(Node::as_mapping) {
            for entry in &secrets.entries {
                if let Some(file) = entry
                    .value
                    .as_mapping()
                    .and_then(|secret| secret.get("file"))
                {
                    refuse_path(file, "a secret's `file`", &mut problems);
                }
            }
        }
    }
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    problems
}

/// `path`, resolved (symbolic links followed), when it is inside `base`.
fn inside(base: &Path, path: &Path) -> Option<PathBuf> {
    let base = base.canonicalize().ok()?;
    // A file that does not exist is the loader's to report; its directory must
    // still be inside.
    let resolved = path.canonicalize().ok().or_else(|| {
        let parent = path.parent()?.canonicalize().ok()?;
        Some(parent.join(path.file_name()?))
    })?;
    resolved.starts_with(&base).then_some(resolved)
}

fn located(file: &str, text: &str, span: Span, path: Option<String>, message: String) -> Problem {
    let before = text.get(..span.offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |newline| &before[newline + 1..])
        .chars()
        .count()
        + 1;
    Problem {
        message: match &path {
            Some(path) => format!("`{path}`: {message}"),
            None => message,
        },
        path,
        file: Some(file.to_owned()),
        line: Some(line),
        column: Some(column),
    }
}

/// Finds where a key was written, in the files the project was read from (the
/// last file that sets it wins, as in a merge).
struct Locator<'a> {
    project: &'a Project,
    parsed: HashMap<u32, Option<Node>>,
}

impl<'a> Locator<'a> {
    fn new(project: &'a Project) -> Self {
        Self {
            project,
            parsed: HashMap::new(),
        }
    }

    fn root(&mut self, file: u32) -> Option<&Node> {
        let project = self.project;
        self.parsed
            .entry(file)
            .or_insert_with(|| {
                let source = project.sources.get(FileId(file))?;
                yaml::parse(FileId(file), &source.text).ok()
            })
            .as_ref()
    }

    /// The span of `keys` under the service `service` (or at the top level when
    /// `service` is `None`), searching every file; `fallback` when none sets it.
    fn find(&mut self, service: Option<&str>, keys: &[&str], fallback: Span) -> Span {
        let mut found = None;
        let mut file = 0;
        while self.project.sources.get(FileId(file)).is_some() {
            if let Some(root) = self.root(file).and_then(Node::as_mapping) {
                let start = match service {
                    Some(name) => {
                        let services =
                            if root.get("version").is_some() || root.get("services").is_some() {
                                root.get("services").and_then(Node::as_mapping)
                            } else {
                                Some(root)
                            };
                        services.and_then(|services| {
                            services.entries.iter().find(|entry| entry.key == name)
                        })
                    }
                    None => None,
                };
                let mut mapping: Option<&Mapping> = match (service, start) {
                    (Some(_), Some(entry)) => entry.value.as_mapping(),
                    (Some(_), None) => None,
                    (None, _) => Some(root),
                };
                let mut span = None;
                for key in keys {
                    let Some(current) = mapping else {
                        span = None;
                        break;
                    };
                    let Some(entry) = current.entries.iter().find(|entry| entry.key == *key) else {
                        span = None;
                        break;
                    };
                    span = Some(entry.key_span);
                    mapping = entry.value.as_mapping();
                }
                if span.is_some() {
                    found = span;
                }
            }
            file += 1;
        }
        found.unwrap_or(fallback)
    }
}

/// The problems of the loaded project.
pub fn check(policy: &Policy, project: &Project) -> Vec<Problem> {
    let mut locator = Locator::new(project);
    let mut problems = Vec::new();
    let mut engine_refusals = Vec::new();
    let mut refuse = |locator: &mut Locator,
                      service: Option<&str>,
                      keys: &[&str],
                      fallback: Span,
                      message: String| {
        let span = locator.find(service, keys, fallback);
        let path = match service {
            Some(service) => format!("{service}.{}", keys.join(".")),
            None => keys.join("."),
        };
        let file = project
            .sources
            .get(span.file)
            .map(|source| (source.path.display().to_string(), source.text.clone()));
        if let Some((file, text)) = file {
            problems.push(located(&file, &text, span, Some(path), message));
        } else {
            let mut problem = Problem::new(format!("`{path}`: {message}"));
            problem.path = Some(path);
            problems.push(problem);
        }
    };
    for service in project.services.values() {
        let name = Some(service.name.as_str());
        let at = service.span;
        // What the engine would refuse (`mem_limit: lots`): the planner would stop
        // `up` on it, after the answer was given.
        for refusal in &service.refusals {
            let file = project
                .sources
                .get(refusal.span.file)
                .map(|source| (source.path.display().to_string(), source.text.clone()));
            if let Some((file, text)) = file {
                engine_refusals.push(located(
                    &file,
                    &text,
                    refusal.span,
                    Some(refusal.path.clone()),
                    refusal.reason.clone(),
                ));
            }
        }
        if service.privileged == Some(true) {
            refuse(
                &mut locator,
                name,
                &["privileged"],
                at,
                "privileged containers are not allowed".to_owned(),
            );
        }
        for capability in &service.cap_add {
            let bare = capability.trim_start_matches("CAP_").to_ascii_uppercase();
            if !policy.capabilities.contains(&bare) {
                refuse(
                    &mut locator,
                    name,
                    &["cap_add"],
                    at,
                    format!("the capability `{capability}` is not in the allow-list"),
                );
            }
        }
        if !service.devices.is_empty() {
            refuse(
                &mut locator,
                name,
                &["devices"],
                at,
                "host devices are not allowed".to_owned(),
            );
        }
        for (key, mode) in [
            ("network_mode", &service.network_mode),
            ("pid", &service.pid),
            ("ipc", &service.ipc),
        ] {
            let shown = match mode {
                Some(ModeRef::Mode(mode)) if mode == "host" => Some("`host`".to_owned()),
                Some(ModeRef::Container(container)) => Some(format!("`container:{container}`")),
                _ => None,
            };
            if let Some(shown) = shown {
                let key = if key == "network_mode" && service.options.contains_key("net") {
                    "net"
                } else {
                    key
                };
                refuse(
                    &mut locator,
                    name,
                    &[key],
                    at,
                    format!("the {shown} mode is not allowed"),
                );
            }
        }
        if let Some(mode) = service
            .options
            .get("userns_mode")
            .and_then(serde_json::Value::as_str)
            && !mode.is_empty()
        {
            refuse(
                &mut locator,
                name,
                &["userns_mode"],
                at,
                "`userns_mode` is not allowed".to_owned(),
            );
        }
        for key in ["cgroup_parent", "volume_driver", "sysctls"] {
            if service
                .options
                .get(key)
                .is_some_and(|value| !value.is_null())
            {
                refuse(
                    &mut locator,
                    name,
                    &[key],
                    at,
                    format!("`{key}` is not allowed"),
                );
            }
        }
        for option in &service.security_opt {
            if option.contains("unconfined")
                || option.starts_with("label")
                || option.contains("=disable")
            {
                refuse(
                    &mut locator,
                    name,
                    &["security_opt"],
                    at,
                    "`security_opt` may not turn confinement off".to_owned(),
                );
            }
        }
        for volume in &service.volumes {
            if volume.is_bind() {
                let source = volume.source.as_deref().unwrap_or_default();
                if let Some(reason) = bind_refusal(
                    policy,
                    source,
                    volume
                        .mode
                        .as_deref()
                        .is_some_and(|mode| mode.split(',').any(|flag| flag == "ro")),
                ) {
                    refuse(&mut locator, name, &["volumes"], at, reason);
                }
            }
        }
        for mount in &service.mounts {
            if mount.kind == "bind" {
                let source = mount.source.as_deref().unwrap_or_default();
                if let Some(reason) = bind_refusal(policy, source, mount.read_only) {
                    refuse(&mut locator, name, &["volumes"], at, reason);
                }
            }
        }
        for from in &service.volumes_from {
            if matches!(from.source, envctl_parser::VolumesFromSource::Container(_)) {
                refuse(
                    &mut locator,
                    name,
                    &["volumes_from"],
                    at,
                    "volumes of a container outside the environment are not allowed".to_owned(),
                );
            }
        }
        if !service.external_links.is_empty() {
            refuse(
                &mut locator,
                name,
                &["external_links"],
                at,
                "links to containers outside the environment are not allowed".to_owned(),
            );
        }
        if service.container_name.is_some() {
            refuse(
                &mut locator,
                name,
                &["container_name"],
                at,
                "`container_name` is not allowed: names are the environment's".to_owned(),
            );
        }
        for port in &service.ports {
            if port.published.is_some() || port.host_ip.is_some() {
                refuse(
                    &mut locator,
                    name,
                    &["ports"],
                    at,
                    format!(
                        "the port {} has a fixed host port or address: publish the container port alone (`\"{}\"`), the server picks an ephemeral one",
                        port.target, port.target
                    ),
                );
            }
        }
        for key in service.labels.keys() {
            if RESERVED_LABELS.iter().any(|prefix| key.starts_with(prefix)) {
                refuse(
                    &mut locator,
                    name,
                    &["labels"],
                    at,
                    format!("the label `{key}` is in a namespace reserved to compose and envctl"),
                );
            }
        }
        if service.build.is_some() && !policy.build {
            refuse(
                &mut locator,
                name,
                &["build"],
                at,
                "`build` is not enabled on this server".to_owned(),
            );
        }
        if let Some(build) = &service.build
            && policy.build
        {
            let context = Path::new(&build.context);
            let inside_template = policy
                .base
                .as_deref()
                .is_some_and(|base| inside(base, context).is_some());
            if !inside_template {
                refuse(
                    &mut locator,
                    name,
                    &["build"],
                    at,
                    "the build context is outside the template".to_owned(),
                );
            }
        }
    }
    let top = project
        .services
        .values()
        .next()
        .map_or(Span::new(FileId(0), 0, 0), |service| service.span);
    for (key, network) in &project.networks {
        let at = network.span.unwrap_or(top);
        if network.external {
            refuse(
                &mut locator,
                None,
                &["networks", key, "external"],
                at,
                "external networks are not allowed".to_owned(),
            );
        }
        if network
            .driver
            .as_deref()
            .is_some_and(|driver| driver != "bridge")
        {
            refuse(
                &mut locator,
                None,
                &["networks", key, "driver"],
                at,
                "only the `bridge` network driver is allowed".to_owned(),
            );
        }
    }
    for (key, volume) in &project.volumes {
        let at = volume.span.unwrap_or(top);
        if volume.external {
            refuse(
                &mut locator,
                None,
                &["volumes", key, "external"],
                at,
                "external volumes are not allowed".to_owned(),
            );
        }
        if volume
            .driver
            .as_deref()
            .is_some_and(|driver| driver != "local")
            || !volume.driver_opts.is_empty()
        {
            refuse(
                &mut locator,
                None,
                &["volumes", key],
                at,
                "volume drivers and their options (a bind mount in disguise) are not allowed"
                    .to_owned(),
            );
        }
    }
    for (key, secret) in &project.secrets {
        if secret.external {
            refuse(
                &mut locator,
                None,
                &["secrets", key, "external"],
                top,
                "external secrets are not allowed".to_owned(),
            );
        }
    }
    problems.extend(engine_refusals);
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    problems
}

fn bind_refusal(policy: &Policy, source: &str, read_only: bool) -> Option<String> {
    let inside_template = policy
        .base
        .as_deref()
        .is_some_and(|base| inside(base, Path::new(source)).is_some());
    if policy.read_only_binds && inside_template && read_only {
        return None;
    }
    Some(if policy.read_only_binds && inside_template {
        "a bind mount of the template's files must be read-only (`:ro`)".to_owned()
    } else {
        "host bind mounts are not allowed (the engine's socket above all)".to_owned()
    })
}
