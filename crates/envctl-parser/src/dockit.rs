//! dockit's `config.json`: the first format this project learned from, read as the
//! v1 compose file it means.
//!
//! ```json
//! {"Hipache": {"Image": "hipache", "Ports": {"80": "80", "6379": ""}},
//!  "WebApp": {"Image": "webapp", "Deps": ["Hipache"], "Env": {"HOST": "webapp.local"}}}
//! ```
//!
//! Each top-level key is a service, with four keys:
//!
//! | dockit | v1 compose |
//! |---|---|
//! | `Image` (a string, required) | `image` |
//! | `Ports` (container port → host port) | `ports: ["host:container"]`; a port mapped to `""` is only exposed: `expose: ["container"]` |
//! | `Deps` (service names) | `links: [name]`: a link under the service's own name, so the dependency starts first |
//! | `Env` (name → value) | `environment` |
//!
//! Service names are kept as written: docker-compose normalises project names, never
//! service names, and `[a-zA-Z0-9._-]` (the compose rule, which the loader checks)
//! takes capitals. `WebApp` is the service `WebApp`, its container
//! `<project>_WebApp_1`, and its link alias in a dependant is `WebApp`.
//!
//! [`is_dockit`] says which files are dockit's; [`translate`] turns one into the
//! service dictionaries a v1 file gives, with the spans of the JSON that wrote each
//! value, so that the loader's later phases (schema, `extends`, merge, normalise)
//! and their errors point into the JSON. JSON is YAML: the YAML module reads it.

use std::path::Path;

use crate::error::{Problem, ProblemKind, did_you_mean};
use crate::model::{SourceMap, Span};
use crate::yaml::{Entry, Mapping, Node, Value};

/// dockit's service keys.
const KEYS: &[&str] = &["Image", "Ports", "Deps", "Env"];

/// The help every unknown-key problem carries.
const KEYS_HELP: &str = "a dockit service takes `Image`, `Ports`, `Deps` and `Env`";

/// Whether a file whose top level is `root` is dockit's: it has neither `version` nor
/// `services` (so it is no v2/v3 compose file), and either it is named `config.json`
/// or every service in it is a non-empty mapping of capitalised keys (`Image`,
/// `Ports`, …: no compose key is capitalised).
pub(crate) fn is_dockit(path: &Path, root: &Mapping) -> bool {
    if root.contains_key("version") || root.contains_key("services") {
        return false;
    }
    if path.file_name().is_some_and(|name| name == "config.json") {
        return true;
    }
    let capitalised = |key: &str| key.starts_with(|first: char| first.is_ascii_uppercase());
    !root.is_empty()
        && root.iter().all(|service| {
            service.value.as_mapping().is_some_and(|keys| {
                !keys.is_empty() && keys.iter().all(|entry| capitalised(&entry.key))
            })
        })
}

/// dockit's services as v1 service dictionaries, in file order; every problem found
/// is pushed to `problems` (a service with one is left out, so that later phases do
/// not report it again).
pub(crate) fn translate(
    root: &Mapping,
    sources: &SourceMap,
    problems: &mut Vec<Problem>,
) -> Mapping {
    let names: Vec<&str> = root.iter().map(|entry| entry.key.as_str()).collect();
    let mut services = Mapping::default();
    for entry in &root.entries {
        let before = problems.len();
        let service = Service {
            name: &entry.key,
            key_span: entry.key_span,
            names: &names,
            sources,
        };
        let translated = service.translate(&entry.value, problems);
        if problems.len() == before
            && let Some(dict) = translated
        {
            services.insert(Entry {
                key: entry.key.clone(),
                key_span: entry.key_span,
                value: Node::new(Value::Mapping(dict), entry.value.span),
            });
        }
    }
    services
}

/// One dockit service being translated.
struct Service<'a> {
    name: &'a str,
    key_span: Span,
    /// Every service of the file, for `Deps`.
    names: &'a [&'a str],
    sources: &'a SourceMap,
}

impl Service<'_> {
    fn wrong_type(&self, path: &str, node: &Node, expected: &'static str) -> Problem {
        Problem::new(
            self.sources,
            node.span,
            ProblemKind::WrongType {
                path: format!("{}.{path}", self.name),
                expected,
                found: node.type_name(),
            },
        )
    }

    fn translate(&self, node: &Node, problems: &mut Vec<Problem>) -> Option<Mapping> {
        let Some(keys) = node.as_mapping() else {
            problems.push(
                Problem::new(
                    self.sources,
                    node.span,
                    ProblemKind::ServiceNotMapping {
                        service: self.name.to_owned(),
                        found: node.type_name(),
                    },
                )
                .with_help(KEYS_HELP),
            );
            return None;
        };
        let mut dict = Mapping::default();
        for entry in keys.iter() {
            let key_span = entry.key_span;
            match entry.key.as_str() {
                "Image" => match &entry.value.value {
                    Value::String(_) => dict.insert(Entry {
                        key: "image".to_owned(),
                        ..entry.clone()
                    }),
                    _ => problems.push(self.wrong_type("Image", &entry.value, "a string")),
                },
                "Ports" => self.ports(&entry.value, key_span, &mut dict, problems),
                "Deps" => self.deps(&entry.value, key_span, &mut dict, problems),
                "Env" => self.env(&entry.value, key_span, &mut dict, problems),
                other => {
                    let problem = Problem::new(
                        self.sources,
                        entry.key_span,
                        ProblemKind::UnknownKey {
                            service: self.name.to_owned(),
                            key: other.to_owned(),
                        },
                    );
                    problems.push(match did_you_mean(other, KEYS) {
                        Some(key) => {
                            problem.with_help(format!("did you mean `{key}`? {KEYS_HELP}"))
                        }
                        None => problem.with_help(KEYS_HELP),
                    });
                }
            }
        }
        if !keys.contains_key("Image") {
            problems.push(
                Problem::new(
                    self.sources,
                    self.key_span,
                    ProblemKind::DockitWithoutImage {
                        service: self.name.to_owned(),
                    },
                )
                .with_help(r#"name the image the service runs: `"Image": "busybox"`"#),
            );
        }
        Some(dict)
    }

    /// `Ports`: `"container": "host"` publishes, `"container": ""` exposes.
    fn ports(&self, node: &Node, key_span: Span, dict: &mut Mapping, problems: &mut Vec<Problem>) {
        let Some(ports) = node.as_mapping() else {
            problems.push(self.wrong_type("Ports", node, "a mapping"));
            return;
        };
        let mut published = Vec::new();
        let mut exposed = Vec::new();
        for port in ports.iter() {
            let host = match &port.value.value {
                Value::String(host) => host.clone(),
                Value::Int(host) => host.to_string(),
                _ => {
                    problems.push(self.wrong_type(
                        &format!("Ports.{}", port.key),
                        &port.value,
                        "a string (a host port, or \"\" to expose the port only)",
                    ));
                    continue;
                }
            };
            if host.is_empty() {
                exposed.push(Node::new(Value::String(port.key.clone()), port.key_span));
            } else {
                let end = port.value.span.offset + port.value.span.len;
                let span = Span::new(
                    port.key_span.file,
                    port.key_span.offset,
                    end.saturating_sub(port.key_span.offset),
                );
                let mapping = format!("{host}:{}", port.key);
                published.push(Node::new(Value::String(mapping), span));
            }
        }
        for (name, items) in [("ports", published), ("expose", exposed)] {
            if !items.is_empty() {
                dict.insert(Entry {
                    key: name.to_owned(),
                    key_span,
                    value: Node::new(Value::Sequence(items), node.span),
                });
            }
        }
    }

    /// `Deps`: a link to each, under its own name.
    fn deps(&self, node: &Node, key_span: Span, dict: &mut Mapping, problems: &mut Vec<Problem>) {
        let Some(deps) = node.as_sequence() else {
            problems.push(self.wrong_type("Deps", node, "an array of service names"));
            return;
        };
        let mut links = Vec::new();
        for dep in deps {
            let Some(target) = dep.as_str() else {
                problems.push(self.wrong_type("Deps[]", dep, "a service name"));
                continue;
            };
            if !self.names.contains(&target) {
                let problem = Problem::new(
                    self.sources,
                    dep.span,
                    ProblemKind::DockitUnknownDep {
                        service: self.name.to_owned(),
                        dep: target.to_owned(),
                    },
                );
                problems.push(match did_you_mean(target, self.names) {
                    Some(name) => problem.with_help(format!("did you mean `{name}`?")),
                    None => problem.with_help(format!(
                        "the services of this file are {}",
                        self.names
                            .iter()
                            .map(|name| format!("`{name}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                });
                continue;
            }
            links.push(dep.clone());
        }
        dict.insert(Entry {
            key: "links".to_owned(),
            key_span,
            value: Node::new(Value::Sequence(links), node.span),
        });
    }

    /// `Env`: the environment, values as strings or numbers.
    fn env(&self, node: &Node, key_span: Span, dict: &mut Mapping, problems: &mut Vec<Problem>) {
        let Some(variables) = node.as_mapping() else {
            problems.push(self.wrong_type("Env", node, "a mapping"));
            return;
        };
        for variable in variables.iter() {
            if !matches!(
                variable.value.value,
                Value::String(_) | Value::Int(_) | Value::Float(_)
            ) {
                problems.push(self.wrong_type(
                    &format!("Env.{}", variable.key),
                    &variable.value,
                    "a string",
                ));
            }
        }
        dict.insert(Entry {
            key: "environment".to_owned(),
            key_span,
            value: node.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;

    /// Translates `json` (named `config.json`) and returns the services as JSON and
    /// the problems' messages with their help.
    fn translate_text(json: &str) -> (serde_json::Value, Vec<String>) {
        let mut sources = SourceMap::default();
        let file = sources.add(PathBuf::from("config.json"), Arc::from(json));
        let root = crate::yaml::parse(file, json).expect("valid JSON");
        let root = root.as_mapping().expect("an object").clone();
        assert!(is_dockit(Path::new("config.json"), &root));
        let mut problems = Vec::new();
        let services = translate(&root, &sources, &mut problems);
        let shown = problems
            .iter()
            .map(|problem| {
                let help = problem.help_text().unwrap_or_default();
                let excerpt = &json[problem.span.offset..problem.span.offset + problem.span.len];
                format!("{problem} [{excerpt}] ({help})")
            })
            .collect();
        let services = Node::new(
            Value::Mapping(services),
            Span::new(crate::model::FileId(0), 0, 0),
        );
        (services.to_json(), shown)
    }

    #[test]
    fn dockit_services_become_v1_service_dictionaries() {
        let (services, problems) = translate_text(
            r#"{"Hipache": {"Image": "hipache", "Ports": {"80": "80", "6379": ""}},
                "WebApp": {"Image": "webapp", "Deps": ["Hipache"], "Env": {"HOST": "webapp.local", "N": 1}}}"#,
        );
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(
            services,
            serde_json::json!({
                "Hipache": {"image": "hipache", "ports": ["80:80"], "expose": ["6379"]},
                "WebApp": {
                    "image": "webapp",
                    "links": ["Hipache"],
                    "environment": {"HOST": "webapp.local", "N": 1}
                }
            })
        );
    }

    #[test]
    fn dockit_problems_point_at_the_json_that_wrote_them() {
        // (A flow collection's span ends before its closing bracket.)
        let (_, problems) = translate_text(
            r#"{"A": {"Image": 1, "Ports": {"80": true}, "Deps": ["Hipach", 2], "Env": [], "Volumes": {}, "image": "x"},
                "Hipache": {"Ports": []}}"#,
        );
        assert_eq!(
            problems,
            [
                "`A.Image` must be a string, not a number [1] ()",
                "`A.Ports.80` must be a string (a host port, or \"\" to expose the port only), not a boolean [true] ()",
                "`Deps` of service `A` names `Hipach`, which is no service of this file [\"Hipach\"] (did you mean `Hipache`?)",
                "`A.Deps[]` must be a service name, not a number [2] ()",
                "`A.Env` must be a mapping, not an array [[] ()",
                "Unsupported config option for services.A: 'Volumes' [\"Volumes\"] (a dockit service takes `Image`, `Ports`, `Deps` and `Env`)",
                "Unsupported config option for services.A: 'image' [\"image\"] (did you mean `Image`? a dockit service takes `Image`, `Ports`, `Deps` and `Env`)",
                "`Hipache.Ports` must be a mapping, not an array [[] ()",
                "dockit service `Hipache` has no `Image` [\"Hipache\"] (name the image the service runs: `\"Image\": \"busybox\"`)",
            ]
        );
    }

    #[test]
    fn dockit_files_are_told_by_name_or_by_their_capitalised_keys() {
        let root = |text: &str| {
            crate::yaml::parse(crate::model::FileId(0), text)
                .expect("valid")
                .as_mapping()
                .expect("a mapping")
                .clone()
        };
        let other = Path::new("envs/dev.json");
        assert!(is_dockit(other, &root(r#"{"Web": {"Image": "x"}}"#)));
        assert!(is_dockit(
            Path::new("a/config.json"),
            &root(r#"{"web": {"image": "x"}}"#)
        ));
        for v1_or_later in [
            r#"{"web": {"image": "x"}}"#,
            r#"{"Web": {"Image": "x", "ports": []}}"#,
            r#"{"Web": {}}"#,
            r#"{"version": "2", "services": {"Web": {"Image": "x"}}}"#,
        ] {
            assert!(!is_dockit(other, &root(v1_or_later)), "{v1_or_later}");
        }
        assert!(!is_dockit(
            Path::new("config.json"),
            &root(r#"{"version": "3", "services": {}}"#)
        ));
    }
}
