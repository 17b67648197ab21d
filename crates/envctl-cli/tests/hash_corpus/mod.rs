//! The cases of the config-hash tests (`cli_hash.rs`, `cli_hash_live.rs`) and their
//! golden files.
//!
//! A config hash covers absolute paths (a build context, a host volume path), so
//! docker-compose's recorded answers hold only where the files were when it gave
//! them. Every case is therefore run from a copy at one fixed place,
//! [`PINNED_ROOT`], whatever directory the repository was cloned into.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use envctl_parser::LoadOptions;
use serde_json::Value as Json;

/// One `config --hash='*'` run: a directory, the arguments before `config`, and the
/// whole environment (besides `PATH`).
#[derive(Debug, Clone)]
pub struct HashCase {
    pub name: String,
    pub directory: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// More than one compose file is merged: 1.29.2 merges services through a
    /// Python `set`, so the order it prints them in changes from run to run.
    pub unordered: bool,
}

impl HashCase {
    pub fn load_options(&self) -> LoadOptions {
        let mut options = LoadOptions::new(&self.directory);
        options.environment = self.env.iter().cloned().collect();
        let mut args = self.args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-f" | "--file" => options.files.extend(args.next().map(PathBuf::from)),
                "-p" | "--project-name" => options.project_name = args.next().cloned(),
                "--project-directory" => {
                    options.project_directory = args.next().map(PathBuf::from);
                }
                "--env-file" => options.env_file = args.next().map(PathBuf::from),
                _ => {}
            }
        }
        options
    }
}

/// Equal as 1.29.2 defines it: in order, or as sets where its order is random.
pub fn same_lines(case: &HashCase, expected: &[String], ours: &[String]) -> bool {
    if case.unordered {
        let mut expected = expected.to_vec();
        let mut ours = ours.to_vec();
        expected.sort();
        ours.sort();
        expected == ours
    } else {
        expected == ours
    }
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// Where the cases are copied before either tool runs them: the golden files hold
/// hashes of paths under this directory.
pub const PINNED_ROOT: &str = "/tmp/envctl-hash-golden";

/// `source`, copied to `PINNED_ROOT/name` (once per process), with
/// [`own_image_names`] applied to its compose files when `own_images`. Each file is written
/// to a temporary name and renamed into place, so test binaries that pin the same
/// tree at the same time never read a half-written file.
fn pinned(source: &Path, name: &str, own_images: bool) -> PathBuf {
    fn copy_tree(from: &Path, to: &Path, own_images: bool) {
        std::fs::create_dir_all(to)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", to.display()));
        let entries = std::fs::read_dir(from)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", from.display()));
        for entry in entries {
            let entry = entry.expect("a directory entry is readable");
            let target = to.join(entry.file_name());
            let kind = entry.file_type().expect("a file type is readable");
            if kind.is_dir() {
                copy_tree(&entry.path(), &target, own_images);
            } else if kind.is_file() {
                let staging = to.join(format!(
                    ".{}.{}",
                    entry.file_name().to_string_lossy(),
                    std::process::id()
                ));
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let compose_file = entry
                    .path()
                    .extension()
                    .is_some_and(|extension| extension == "yml" || extension == "yaml")
                    && !file_name.contains(".expected");
                let env_file = file_name.starts_with(".env");
                let copied = if own_images && (compose_file || env_file) {
                    std::fs::read_to_string(entry.path()).and_then(|text| {
                        let owned = if env_file {
                            own_env_file(&text)
                        } else {
                            own_image_names(&text)
                        };
                        std::fs::write(&staging, owned)
                    })
                } else {
                    std::fs::copy(entry.path(), &staging).map(drop)
                };
                copied
                    .and_then(|()| std::fs::rename(&staging, &target))
                    .unwrap_or_else(|error| panic!("cannot copy to {}: {error}", target.display()));
            }
        }
    }
    let target = Path::new(PINNED_ROOT).join(name);
    copy_tree(source, &target, own_images);
    target
}

/// The corpus, pinned at `PINNED_ROOT/conformance`, its image names moved under
/// [`OWNED_PREFIX`] (see [`own_image_names`]).
pub fn corpus() -> PathBuf {
    static PINNED: OnceLock<PathBuf> = OnceLock::new();
    PINNED
        .get_or_init(|| pinned(&corpus_source(), "conformance", true))
        .clone()
}

/// The image names the live test makes, looks for and removes: the corpus' own
/// (`busybox`, `alpine:3.10.1`, `nginx`, …) are global to the engine, so a laptop
/// that ever pulled them, or another user tagging one during the run, would change
/// the hashes both tools compute. The suite owns this namespace. See: #16
pub const OWNED_PREFIX: &str = "envctl-hash/";

/// The project name the corpus cases run under (theirs is `fx`): the images of
/// services with `build` are named after it (`envctlhashfx_web`).
pub const OWNED_PROJECT: &str = "envctlhashfx";

/// One compose file's text with its `image:` values under [`OWNED_PREFIX`]; empty
/// values and plain `$VAR`s are left as they are (the case's environment is
/// rewritten instead).
pub fn own_image_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let key = body.trim_start().trim_start_matches("- ");
        let owned = key.strip_prefix("image:").and_then(|value| {
            let raw = value.trim();
            let quote = raw.chars().next().filter(|quote| {
                matches!(quote, '\'' | '"') && raw.len() >= 2 && raw.ends_with(*quote)
            });
            let inner = quote.map_or(raw, |_| &raw[1..raw.len() - 1]);
            let inner = if let Some(variable) = inner
                .strip_prefix("${")
                .and_then(|rest| rest.strip_suffix('}'))
            {
                let (name, default) = variable.split_once(":-")?;
                format!("${{{name}:-{OWNED_PREFIX}{default}}}")
            } else if inner.is_empty() || inner.starts_with('$') {
                return None;
            } else {
                format!("{OWNED_PREFIX}{inner}")
            };
            let head = &body[..body.len() - value.len()];
            let quote = quote.map(String::from).unwrap_or_default();
            Some(format!("{head} {quote}{inner}{quote}"))
        });
        match owned {
            Some(owned) => {
                out.push_str(&owned);
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// A `.env` file's text with its `IMAGE`/`IMAGE_ID` values under [`OWNED_PREFIX`].
fn own_env_file(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.split_once('=') {
            Some((key, value)) if matches!(key, "IMAGE" | "IMAGE_ID") => {
                format!("{key}={}", own_environment(key, value))
            }
            _ => line.to_owned(),
        })
        .collect()
}

/// A case's environment with the owned names: `IMAGE`/`IMAGE_ID` under
/// [`OWNED_PREFIX`], the project `fx` as [`OWNED_PROJECT`].
fn own_environment(key: &str, value: &str) -> String {
    match key {
        "IMAGE" | "IMAGE_ID" if !value.is_empty() => format!("{OWNED_PREFIX}{value}"),
        "COMPOSE_PROJECT_NAME" if value == "fx" => OWNED_PROJECT.to_owned(),
        _ => value.to_owned(),
    }
}

/// The corpus, `fixtures/compose-1.29.2`. A missing corpus fails the test.
fn corpus_source() -> PathBuf {
    let corpus = workspace().join("fixtures/compose-1.29.2");
    assert!(
        corpus.join("cases.json").is_file(),
        "the conformance corpus is missing: expected {}",
        corpus.display()
    );
    corpus.canonicalize().expect("the corpus path resolves")
}

/// Every case of the corpus that 1.29.2 loads as a v1 project (its recorded
/// `config` output says `version: '1'`), in `cases.json` order.
pub fn corpus_cases() -> Vec<HashCase> {
    corpus_cases_where(true)
}

/// Every case of the corpus that 1.29.2 loads as a v2, v3 or Compose Spec project.
pub fn later_corpus_cases() -> Vec<HashCase> {
    corpus_cases_where(false)
}

fn corpus_cases_where(v1: bool) -> Vec<HashCase> {
    let corpus = corpus();
    let text = std::fs::read_to_string(corpus.join("cases.json")).expect("cases.json is readable");
    let json: Json = serde_json::from_str(&text).expect("cases.json is JSON");
    let mut cases = Vec::new();
    for case in json.as_array().expect("cases.json is a list") {
        let string = |key: &str| case.get(key).and_then(Json::as_str).map(str::to_owned);
        if string("expect").as_deref() != Some("ok") {
            continue;
        }
        let Some(stdout) = string("stdout") else {
            continue;
        };
        let expected = std::fs::read_to_string(corpus.join(stdout)).unwrap_or_default();
        if expected.lines().any(|line| line == "version: '1'") != v1 {
            continue;
        }
        let args: Vec<String> = case["args"]
            .as_array()
            .expect("args is a list")
            .iter()
            .filter_map(Json::as_str)
            .filter(|arg| *arg != "config")
            .map(str::to_owned)
            .collect();
        let files = args.iter().filter(|arg| *arg == "-f").count();
        cases.push(HashCase {
            name: string("name").expect("a case has a name"),
            directory: corpus.join(string("dir").expect("a case has a dir")),
            unordered: files != 1,
            args,
            env: case["env"]
                .as_object()
                .expect("env is a mapping")
                .iter()
                .map(|(key, value)| {
                    (
                        key.clone(),
                        own_environment(key, value.as_str().unwrap_or_default()),
                    )
                })
                .collect(),
        });
    }
    cases
}

/// The project's own fixtures (v1, and v2/v3 ones), as project `fx`, pinned at `PINNED_ROOT/fixtures`.
pub fn own_cases() -> Vec<HashCase> {
    static PINNED: OnceLock<PathBuf> = OnceLock::new();
    let root = PINNED.get_or_init(|| {
        let fixtures = pinned(&workspace().join("fixtures"), "fixtures", false);
        fixtures
            .parent()
            .expect("a pinned tree has a parent")
            .to_owned()
    });
    [
        "fixtures/engine/basic",
        "fixtures/engine/chain",
        "fixtures/engine/extends",
        "fixtures/demo",
        // v2 and v3: networks by engine name, the primary one as `net`, named
        // volumes namespaced (the project name is the same for both tools here).
        "fixtures/differential/v2",
        "fixtures/differential/v3",
        // v3 secrets: each file by its absolute path (under `PINNED_ROOT`).
        "fixtures/engine/secrets",
    ]
    .into_iter()
    .map(|directory| HashCase {
        name: directory.to_owned(),
        directory: root.join(directory),
        args: vec!["-f".to_owned(), "docker-compose.yml".to_owned()],
        env: vec![
            ("COMPOSE_PROJECT_NAME".to_owned(), "fx".to_owned()),
            ("HOME".to_owned(), "/root".to_owned()),
        ],
        unordered: false,
    })
    .collect()
}

pub fn golden_path(name: &str) -> PathBuf {
    workspace()
        .join("fixtures/hash-golden")
        .join(format!("{name}.json"))
}

/// docker-compose's answers: the local image ids it saw, and per case the lines of
/// `config --hash='*'`.
#[derive(Debug, Default)]
pub struct Golden {
    pub images: Vec<(String, String)>,
    pub cases: BTreeMap<String, Vec<String>>,
}

impl Golden {
    pub fn read(path: &Path) -> Self {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        let json: Json = serde_json::from_str(&text).expect("a golden file is JSON");
        let strings = |value: &Json| -> Vec<String> {
            value
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Json::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            images: json["images"]
                .as_object()
                .map(|images| {
                    images
                        .iter()
                        .map(|(reference, id)| {
                            (
                                reference.clone(),
                                id.as_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            cases: json["cases"]
                .as_object()
                .map(|cases| {
                    cases
                        .iter()
                        .map(|(name, lines)| (name.clone(), strings(lines)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    pub fn write(&self, path: &Path) {
        let images: serde_json::Map<String, Json> = self
            .images
            .iter()
            .map(|(reference, id)| (reference.clone(), Json::String(id.clone())))
            .collect();
        let cases: serde_json::Map<String, Json> = self
            .cases
            .iter()
            .map(|(name, lines)| {
                (
                    name.clone(),
                    Json::Array(lines.iter().cloned().map(Json::String).collect()),
                )
            })
            .collect();
        let json = serde_json::json!({
            "recorded_with": "docker-compose 1.29.2: config --hash='*'",
            "images": images,
            "cases": cases,
        });
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create fixtures/hash-golden");
        }
        let text = serde_json::to_string_pretty(&json).expect("JSON serialises");
        std::fs::write(path, text + "\n").expect("write the golden file");
    }
}
