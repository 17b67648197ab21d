//! v3 `secrets`: a service's list typed as 1.29.2's `ServiceSecret`s, each resolved
//! against the top-level definitions, and what 1.29.2's `Project.from_config`
//! (`project.py` `get_secrets`) says about them.
//!
//! 1.29.2 resolves secrets when it makes a project out of the config, which every
//! command does except `config` without `--hash`: an undefined secret fails `up`,
//! `run`, `ps`, `down`, `config --hash`, …, while `config` prints the file. So
//! [`load`](crate::load) runs [`check_secrets`] and
//! [`load_with_sections`](crate::load_with_sections) (what `config` reads) does not.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use crate::error::{ParseError, ParseWarning, Problem, ProblemKind, did_you_mean};
use crate::model::{Project, SecretDef, SecretSource, ServiceSecret};
use crate::normalize::Finalizer;
use crate::yaml::{Node, Value};

/// The keys of a long-syntax entry (the Compose Spec schema of 1.29.2: `name`, a
/// field of `ServiceSecret`, is not one of them).
const ENTRY_KEYS: &[&str] = &["source", "target", "uid", "gid", "mode"];

impl Finalizer<'_> {
    /// `secrets:` of service `name`: each item as 1.29.2's `ServiceSecret.parse`,
    /// with its span (its definition is filled in by [`attach`]), and the list as
    /// `config` prints it (`repr()`: the fields that are set).
    pub(crate) fn service_secrets(
        &self,
        name: &str,
        node: &Node,
        problems: &mut Vec<Problem>,
    ) -> (Vec<ServiceSecret>, Vec<Json>) {
        let items = match &node.value {
            Value::Sequence(items) => items.as_slice(),
            Value::Null => &[],
            _ => {
                problems.push(self.problem(
                    node.span,
                    ProblemKind::WrongType {
                        path: format!("{name}.secrets"),
                        expected: "an array",
                        found: node.type_name(),
                    },
                ));
                return (Vec::new(), Vec::new());
            }
        };
        let mut secrets = Vec::new();
        let mut json = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("{name}.secrets[{index}]");
            if let Some(secret) = self.service_secret(&path, item, problems) {
                json.push(Json::Object(repr(&secret)));
                secrets.push(secret);
            }
        }
        (secrets, json)
    }

    fn service_secret(
        &self,
        path: &str,
        item: &Node,
        problems: &mut Vec<Problem>,
    ) -> Option<ServiceSecret> {
        let mut secret = ServiceSecret {
            source: String::new(),
            target: None,
            uid: None,
            gid: None,
            mode: None,
            definition: SecretSource::Undefined,
            span: item.span,
        };
        let entries = match &item.value {
            Value::String(source) => {
                secret.source.clone_from(source);
                return Some(secret);
            }
            Value::Mapping(entries) => entries,
            _ => {
                problems.push(self.problem(
                    item.span,
                    ProblemKind::WrongType {
                        path: path.to_owned(),
                        expected: "a string or a mapping",
                        found: item.type_name(),
                    },
                ));
                return None;
            }
        };
        let mut valid = true;
        let mut source = None;
        for entry in entries.iter() {
            let key = entry.key.as_str();
            let value = &entry.value;
            let wrong_type = |expected| {
                self.problem(
                    value.span,
                    ProblemKind::WrongType {
                        path: format!("{path}.{key}"),
                        expected,
                        found: value.type_name(),
                    },
                )
            };
            match (key, &value.value) {
                ("source", Value::String(text)) => {
                    source = Some(text.clone());
                    secret.span = value.span;
                }
                ("target", Value::String(text)) => secret.target = Some(text.clone()),
                ("uid", Value::String(text)) => secret.uid = Some(text.clone()),
                ("gid", Value::String(text)) => secret.gid = Some(text.clone()),
                ("mode", Value::Int(number)) => secret.mode = Some((*number).into()),
                ("mode", Value::Float(number)) => {
                    secret.mode = serde_json::Number::from_f64(*number);
                }
                ("mode", _) => {
                    problems.push(wrong_type("a number"));
                    valid = false;
                }
                ("source" | "target" | "uid" | "gid", _) => {
                    problems.push(wrong_type("a string"));
                    valid = false;
                }
                _ if key.starts_with("x-") => {}
                _ => {
                    let mut problem = self.problem(
                        entry.key_span,
                        ProblemKind::InvalidValue {
                            path: path.to_owned(),
                            reason: format!("unknown key `{key}`"),
                        },
                    );
                    problem = match did_you_mean(key, ENTRY_KEYS) {
                        Some(close) => problem.with_help(format!("did you mean `{close}`?")),
                        None => problem.with_help(
                            "a secret takes `source`, `target`, `uid`, `gid` and `mode`",
                        ),
                    };
                    problems.push(problem);
                    valid = false;
                }
            }
        }
        // Without a `source` the entry stays, undefined: 1.29.2 takes it for the
        // secret `None` when it makes the project, not when it reads the file.
        secret.source = source.unwrap_or_default();
        valid.then_some(secret)
    }
}

/// `ServiceSecret.repr()`: the fields that are set.
fn repr(secret: &ServiceSecret) -> Map<String, Json> {
    let mut json = Map::new();
    if !secret.source.is_empty() {
        json.insert("source".to_owned(), Json::String(secret.source.clone()));
    }
    for (key, value) in [
        ("target", &secret.target),
        ("uid", &secret.uid),
        ("gid", &secret.gid),
    ] {
        if let Some(value) = value {
            json.insert(key.to_owned(), Json::String(value.clone()));
        }
    }
    if let Some(mode) = &secret.mode {
        json.insert("mode".to_owned(), Json::Number(mode.clone()));
    }
    json
}

/// Fills `project.secrets` and `project.configs` from the top-level sections
/// (their `file`s already absolute, see `sections.rs`) and each service secret's
/// definition.
pub(crate) fn attach(project: &mut Project, sections: &Map<String, Json>) {
    let definitions = sections.get("secrets").and_then(Json::as_object);
    if let Some(definitions) = definitions {
        project.secrets = definitions
            .iter()
            .map(|(key, config)| (key.clone(), secret_def(config)))
            .collect();
    }
    if let Some(definitions) = sections.get("configs").and_then(Json::as_object) {
        project.configs = definitions
            .iter()
            .map(|(key, config)| (key.clone(), secret_def(config)))
            .collect();
    }
    for service in project.services.values_mut() {
        for secret in &mut service.secrets {
            secret.definition = secret_source(definitions.and_then(|d| d.get(&secret.source)));
        }
    }
}

fn secret_def(config: &Json) -> SecretDef {
    SecretDef {
        file: config.get("file").and_then(Json::as_str).map(PathBuf::from),
        name: config.get("name").and_then(Json::as_str).map(str::to_owned),
        external: config.as_object().is_some_and(is_external),
        labels: labels(config.get("labels")),
        template_driver: config
            .get("template_driver")
            .and_then(Json::as_str)
            .map(str::to_owned),
    }
}

/// `labels:`, a mapping by now (`sections.rs` turns a `KEY=value` list into one).
fn labels(value: Option<&Json>) -> indexmap::IndexMap<String, String> {
    value
        .and_then(Json::as_object)
        .map(|entries| {
            entries
                .iter()
                .map(|(key, value)| {
                    let text = match value {
                        Json::String(text) => text.clone(),
                        Json::Null => String::new(),
                        other => other.to_string(),
                    };
                    (key.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// 1.29.2 `get_secrets`: no definition, or an empty one (`config or {}` is falsy),
/// is undefined; a truthy `external` is external; else the `file`, which may be
/// missing.
fn secret_source(config: Option<&Json>) -> SecretSource {
    let Some(Json::Object(config)) = config else {
        return SecretSource::Undefined;
    };
    if config.is_empty() {
        return SecretSource::Undefined;
    }
    if is_external(config) {
        return SecretSource::External;
    }
    match config.get("file").and_then(Json::as_str) {
        Some(path) => SecretSource::File {
            path: PathBuf::from(path),
            present: Path::new(path).exists(),
        },
        None => SecretSource::NoFile,
    }
}

fn is_external(config: &Map<String, Json>) -> bool {
    match config.get("external") {
        Some(Json::Bool(external)) => *external,
        Some(Json::Object(external)) => !external.is_empty(),
        _ => false,
    }
}

/// What 1.29.2 says about the services' secrets when it makes a project
/// (`get_secrets`, for every service whatever its profiles): a secret the top level
/// does not define is an error; an external one, one with `uid`, `gid` or `mode`,
/// and one whose file is missing are warnings, returned here.
///
/// [`load`](crate::load) runs this; `config` without `--hash` does not, as 1.29.2.
pub fn check_secrets(project: &Project) -> Result<Vec<ParseWarning>, ParseError> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let defined: Vec<&str> = project.secrets.keys().map(String::as_str).collect();
    for service in project.services.values() {
        let service_name = &service.name;
        for secret in &service.secrets {
            let source = &secret.source;
            let warn = |message: String| {
                ParseWarning::at(&project.sources, secret.span, message).with_label("this secret")
            };
            match &secret.definition {
                SecretSource::Undefined if source.is_empty() => {
                    problems.push(
                        Problem::new(
                            &project.sources,
                            secret.span,
                            ProblemKind::SecretWithoutSource {
                                service: service_name.to_string(),
                            },
                        )
                        .with_help("name the top-level secret to mount: `source: <name>`"),
                    );
                    continue;
                }
                SecretSource::Undefined => {
                    let help = if project.secrets.contains_key(source) {
                        format!(
                            "the top-level `{source}` is empty, which docker-compose takes for undefined: give it the `file` to mount"
                        )
                    } else if let Some(close) = did_you_mean(source, &defined) {
                        format!("did you mean `{close}`?")
                    } else {
                        format!(
                            "define it under the top-level `secrets` key with the file to mount: `{source}: {{file: ./{source}.txt}}`"
                        )
                    };
                    problems.push(
                        Problem::new(
                            &project.sources,
                            secret.span,
                            ProblemKind::UndefinedSecret {
                                service: service_name.to_string(),
                                secret: source.clone(),
                            },
                        )
                        .with_help(help),
                    );
                    continue;
                }
                SecretSource::External => {
                    warnings.push(warn(format!(
                        "service `{service_name}` uses secret `{source}` which is external: external secrets are not available to containers created by envctl (or docker-compose), so it is not mounted"
                    )));
                    continue;
                }
                SecretSource::File { .. } | SecretSource::NoFile => {}
            }
            let fields = secret.unsupported_fields();
            if !fields.is_empty() {
                let fields: Vec<String> = fields.iter().map(|field| format!("`{field}`")).collect();
                warnings.push(warn(format!(
                    "service `{service_name}` uses secret `{source}` with {}: `uid`, `gid` and `mode` are not supported outside a swarm and are ignored",
                    fields.join(", ")
                )));
            }
            match &secret.definition {
                SecretSource::File { path, present } if !present => {
                    warnings.push(warn(format!(
                        "service `{service_name}` uses secret `{source}` from `{}`, which does not exist: create it, or creating the service's containers fails",
                        path.display()
                    )));
                }
                SecretSource::File { path, .. } if !path.is_file() => {
                    warnings.push(warn(format!(
                        "service `{service_name}` uses secret `{source}` from `{}`, which is not a regular file",
                        path.display()
                    )));
                }
                SecretSource::NoFile => {
                    warnings.push(warn(format!(
                        "service `{service_name}` uses secret `{source}`, whose top-level definition has no `file`: creating the service's containers fails"
                    )));
                }
                _ => {}
            }
        }
    }
    ParseError::from_problems(problems)?;
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use crate::parse_str;

    /// `mode` as a string is 1.29.2's `to_int` (`0440` is octal), and the path in
    /// the container follows `get_secret_volumes`.
    #[test]
    fn modes_and_container_paths_follow_1_29_2() {
        let project = parse_str(
            "docker-compose.yml",
            r#"
version: "3.8"
services:
  web:
    image: x
    secrets:
      - {source: a, mode: "0440"}
      - {source: a, target: sub/a, mode: "0x1ff"}
      - {source: a, target: /etc/a, mode: "420"}
secrets:
  a: {file: a.txt}
"#,
        )
        .expect("loads");
        let secrets: Vec<(String, Option<i64>)> = project.services["web"]
            .secrets
            .iter()
            .map(|secret| {
                (
                    secret.container_path(),
                    secret.mode.as_ref().and_then(serde_json::Number::as_i64),
                )
            })
            .collect();
        assert_eq!(
            secrets,
            [
                ("/run/secrets/a".to_owned(), Some(0o440)),
                ("/run/secrets/sub/a".to_owned(), Some(0x1ff)),
                ("/etc/a".to_owned(), Some(420)),
            ]
        );
    }
}
