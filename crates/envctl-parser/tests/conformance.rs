//! Every case of the docker-compose 1.29.2 golden corpus (`fixtures/compose-1.29.2`), run
//! through `load` + `to_compose_yaml`.
//!
//! * `ok` cases must load; the rendered config must equal `expected.yml` byte for byte
//!   (as YAML data first, for a readable failure);
//!   the service order of `config --services` must respect our dependency edges.
//! * `error` cases must fail.
//!
//! Cases we cannot pass yet are in `ALLOWED_FAILURES`, each with the reason. An
//! allow-listed case that starts passing fails the test, so the list stays honest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use envctl_parser::{FileId, LoadOptions, Project, RenderOptions, load_with_sections, yaml};
use indexmap::IndexMap;
use serde_json::Value as Json;

/// Cases not passing yet, with why.
const ALLOWED_FAILURES: &[(&str, &str)] = &[];

/// A phrase of 1.29.2's error → the phrase envctl's error must contain: the same
/// problem, in our wording.
const SAME_PROBLEM: &[(&str, &str)] = &[
    (
        "either does not exist, is not accessible",
        "either does not exist",
    ),
    (
        "neither an image nor a build context",
        "neither an image nor a build context",
    ),
    (
        "port ranges don't match in length",
        "port ranges don't match in length",
    ),
    ("invalid port", "invalid port"),
    ("circular reference", "circular `extends`"),
    (
        "services with 'links' cannot be extended",
        "services with `links` cannot be extended",
    ),
    (
        "services with 'volumes_from' cannot be extended",
        "services with `volumes_from` cannot be extended",
    ),
    (
        "services with 'net: container' cannot be extended",
        "services with `net: container` cannot be extended",
    ),
    (
        "services with 'network_mode: service' cannot be extended",
        "services with `network_mode: service` cannot be extended",
    ),
    ("service not found", "service not found"),
    ("must be a mapping", "must be a mapping"),
    ("unsupported config option", "unsupported option"),
    ("multiple override files", "multiple override files"),
    (
        "can't find a suitable configuration file",
        "no compose file found",
    ),
    ("version mismatch", "version mismatch"),
];

fn expected_error_path(case: &Case, corpus: &Path) -> PathBuf {
    match case.name.strip_prefix("_extra/") {
        Some(extra) => corpus
            .join("_extra")
            .join(format!("{extra}.expected-error.txt")),
        None => corpus.join(format!("{}.expected-error.txt", case.name)),
    }
}

/// The corpus, `fixtures/compose-1.29.2` (its README says where it comes from). A
/// missing corpus fails the test: CI must not pass by running nothing.
fn corpus() -> PathBuf {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/compose-1.29.2");
    assert!(
        corpus.join("cases.json").is_file(),
        "the conformance corpus is missing: expected {}",
        corpus.display()
    );
    corpus.canonicalize().expect("the corpus path resolves")
}

struct Case {
    name: String,
    directory: PathBuf,
    args: Vec<String>,
    env: IndexMap<String, String>,
    expect_ok: bool,
    stdout: Option<PathBuf>,
    services: Option<PathBuf>,
    /// `v1`, `v2`, `v3` or `multi`.
    format: String,
}

fn cases(corpus: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(corpus.join("cases.json")).expect("cases.json is readable");
    let json: Json = serde_json::from_str(&text).expect("cases.json is JSON");
    json.as_array()
        .expect("cases.json is a list")
        .iter()
        .map(|case| {
            let string = |key: &str| case.get(key).and_then(Json::as_str).map(str::to_owned);
            Case {
                name: string("name").expect("a case has a name"),
                directory: corpus.join(string("dir").expect("a case has a dir")),
                args: case["args"]
                    .as_array()
                    .expect("args is a list")
                    .iter()
                    .map(|arg| arg.as_str().expect("args are strings").to_owned())
                    .collect(),
                env: case["env"]
                    .as_object()
                    .expect("env is a mapping")
                    .iter()
                    .map(|(key, value)| {
                        (key.clone(), value.as_str().unwrap_or_default().to_owned())
                    })
                    .collect(),
                expect_ok: string("expect").as_deref() == Some("ok"),
                stdout: string("stdout").map(|path| corpus.join(path)),
                services: string("services").map(|path| corpus.join(path)),
                format: string("format").unwrap_or_else(|| "unknown".to_owned()),
            }
        })
        .collect()
}

fn options(case: &Case) -> LoadOptions {
    let mut options = LoadOptions::new(&case.directory);
    options.environment.clone_from(&case.env);
    let mut args = case.args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-f" | "--file" => options.files.extend(args.next().map(PathBuf::from)),
            "-p" | "--project-name" => options.project_name = args.next().cloned(),
            "--project-directory" => options.project_directory = args.next().map(PathBuf::from),
            "--env-file" => options.env_file = args.next().map(PathBuf::from),
            "--no-interpolate" => options.interpolate = false,
            _ => {}
        }
    }
    options
}

fn parse_yaml(text: &str) -> Json {
    yaml::parse(FileId(0), text).map_or(Json::Null, |node| node.to_json())
}

/// Deps first, ties by file order.
fn service_order(project: &Project) -> Vec<String> {
    fn visit(project: &Project, name: &str, seen: &mut Vec<String>, order: &mut Vec<String>) {
        if seen.iter().any(|seen_name| seen_name == name) {
            return;
        }
        seen.push(name.to_owned());
        if let Some(service) = project.service(name) {
            for dependency in &service.dependencies {
                visit(project, dependency.target.as_str(), seen, order);
            }
        }
        order.push(name.to_owned());
    }
    let mut seen = Vec::new();
    let mut order = Vec::new();
    for name in project.services.keys() {
        visit(project, name.as_str(), &mut seen, &mut order);
    }
    order
}

/// `Ok(true)` when the output is byte for byte 1.29.2's.
fn check_case(case: &Case, corpus: &Path) -> Result<bool, String> {
    let options = options(case);
    let result = load_with_sections(&options);
    if !case.expect_ok {
        let Err(error) = result else {
            return Err("loaded, but 1.29.2 fails".to_owned());
        };
        let expected = std::fs::read_to_string(expected_error_path(case, corpus))
            .map_err(|error| format!("cannot read the expected error: {error}"))?
            .to_lowercase();
        let ours = std::iter::once(error.to_string())
            .chain(error.problems().iter().map(ToString::to_string))
            .collect::<Vec<_>>()
            .join("\n");
        let Some((_, needle)) = SAME_PROBLEM
            .iter()
            .find(|(theirs, _)| expected.contains(theirs))
        else {
            return Err(format!(
                "no SAME_PROBLEM entry matches 1.29.2's error: {expected}"
            ));
        };
        if !ours.contains(needle) {
            return Err(format!(
                "fails for another reason: 1.29.2 says {expected:?}, envctl says {ours:?}"
            ));
        }
        return Ok(false);
    }
    let mut identical = false;
    let (project, sections) = result.map_err(|error| format!("failed to load: {error:?}"))?;
    if let Some(stdout) = &case.stdout {
        let expected_text = std::fs::read_to_string(stdout)
            .map_err(|error| format!("cannot read {}: {error}", stdout.display()))?
            .replace("${CORPUS}", &corpus.display().to_string());
        let render = RenderOptions {
            escape_dollars: options.interpolate,
            sections,
        };
        let actual_text = envctl_parser::to_compose_yaml_with(&project, &render);
        let expected = parse_yaml(&expected_text);
        let actual = parse_yaml(&actual_text);
        if expected != actual {
            return Err(format!(
                "config differs:\n--- expected\n{expected_text}\n--- actual\n{actual_text}"
            ));
        }
        // 1.29.2 `print()`s the document, adding one more newline. Byte for byte,
        // PyYAML's folding at 80 columns included (See: #16).
        identical = expected_text == format!("{actual_text}\n");
        if !identical {
            return Err(format!(
                "config is the same data but not the same text:\n--- expected\n{expected_text}\n--- actual\n{actual_text}"
            ));
        }
    }
    if let Some(services) = &case.services {
        let expected_order: Vec<String> = std::fs::read_to_string(services)
            .map_err(|error| format!("cannot read {}: {error}", services.display()))?
            .lines()
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect();
        let ours = service_order(&project);
        let mut sorted_expected = expected_order.clone();
        sorted_expected.sort();
        let mut sorted_ours = ours.clone();
        sorted_ours.sort();
        if sorted_expected != sorted_ours {
            return Err(format!(
                "services differ: expected {expected_order:?}, got {ours:?}"
            ));
        }
        let position: BTreeMap<&str, usize> = expected_order
            .iter()
            .enumerate()
            .map(|(index, name)| (name.as_str(), index))
            .collect();
        for (name, service) in &project.services {
            for dependency in &service.dependencies {
                let (Some(dependent), Some(target)) = (
                    position.get(name.as_str()),
                    position.get(dependency.target.as_str()),
                ) else {
                    continue;
                };
                if target > dependent {
                    return Err(format!(
                        "1.29.2 orders `{name}` before its dependency `{}`: our edge is wrong",
                        dependency.target
                    ));
                }
            }
        }
    }
    Ok(identical)
}

#[test]
fn golden_corpus_of_docker_compose_1_29_2() {
    let corpus = corpus();
    let cases = cases(&corpus);
    let mut passed = 0;
    let mut allowed = 0;
    let mut identical = 0;
    let mut failures = Vec::new();
    // format → (passed, failed); allow-listed cases count as failed.
    let mut by_format: IndexMap<&str, (usize, usize)> = ["v1", "v2", "v3", "multi"]
        .into_iter()
        .map(|format| (format, (0, 0)))
        .collect();
    for case in &cases {
        let outcome = check_case(case, &corpus);
        let tally = by_format.entry(case.format.as_str()).or_default();
        if outcome.is_ok() {
            tally.0 += 1;
        } else {
            tally.1 += 1;
        }
        let allow = ALLOWED_FAILURES.iter().find(|(name, _)| *name == case.name);
        match (outcome, allow) {
            (Ok(same_bytes), None) => {
                passed += 1;
                identical += usize::from(same_bytes);
            }
            (Ok(_), Some(_)) => failures.push(format!(
                "{}: passes now, remove it from ALLOWED_FAILURES",
                case.name
            )),
            (Err(_), Some(_)) => allowed += 1,
            (Err(reason), None) => failures.push(format!("{}: {reason}", case.name)),
        }
    }
    for (format, (format_passed, format_failed)) in &by_format {
        println!("{format}: {format_passed} passed, {format_failed} failed");
    }
    println!(
        "conformance: {passed} passed ({identical} byte-identical configs), {allowed} allow-listed, {} failing, of {} cases",
        failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing cases:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Bad input never panics: every corpus file cut at every 7th character, and with
/// each line dropped in turn, loads or fails cleanly.
#[test]
fn damaged_corpus_files_fail_cleanly() {
    let corpus = corpus();
    let mut inputs = 0;
    for case in cases(&corpus)
        .iter()
        .filter(|case| case.stdout.is_some() || !case.expect_ok)
    {
        let Some(file) = case
            .args
            .windows(2)
            .find(|pair| pair[0] == "-f")
            .map(|pair| &pair[1])
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(case.directory.join(file)) else {
            continue;
        };
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(index, _)| index)
            .step_by(7)
            .collect();
        for cut in boundaries {
            let _ = envctl_parser::parse_str("damaged.yml", &text[..cut]);
            inputs += 1;
        }
        let lines: Vec<&str> = text.lines().collect();
        for skipped in 0..lines.len() {
            let damaged: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(index, _)| *index != skipped)
                .map(|(_, line)| *line)
                .collect();
            let _ = envctl_parser::parse_str("damaged.yml", &damaged.join("\n"));
            inputs += 1;
        }
    }
    println!("damaged inputs loaded without panicking: {inputs}");
    assert!(inputs > 1000);
}

/// The project's own cases, `fixtures/conformance/<case>/`: what the corpus does not
/// cover, in the same form. Each directory holds the compose files, `expected.yml`
/// (stdout of 1.29.2's `config`, absolute paths written `${CASE}`) or
/// `expected-error.txt` (its stderr), and optionally `case.json` with `args` and `env`
/// (default: `["config"]` with `COMPOSE_PROJECT_NAME=fx` and nothing else set).
/// Expected outputs are produced by running docker-compose 1.29.2 itself.
fn own_cases() -> Vec<(Case, Option<PathBuf>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/conformance")
        .canonicalize()
        .expect("fixtures/conformance exists");
    let mut directories: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/conformance is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    directories.sort();
    directories
        .into_iter()
        .map(|directory| {
            let settings: Json = std::fs::read_to_string(directory.join("case.json"))
                .map_or(Json::Null, |text| {
                    serde_json::from_str(&text).expect("case.json is JSON")
                });
            let args = settings["args"].as_array().map_or_else(
                || vec!["config".to_owned()],
                |args| {
                    args.iter()
                        .map(|arg| arg.as_str().expect("args are strings").to_owned())
                        .collect()
                },
            );
            let mut env: IndexMap<String, String> =
                IndexMap::from([("COMPOSE_PROJECT_NAME".to_owned(), "fx".to_owned())]);
            if let Some(variables) = settings["env"].as_object() {
                for (key, value) in variables {
                    env.insert(key.clone(), value.as_str().unwrap_or_default().to_owned());
                }
            }
            let stdout = Some(directory.join("expected.yml")).filter(|path| path.is_file());
            let error = Some(directory.join("expected-error.txt")).filter(|path| path.is_file());
            assert!(
                stdout.is_some() != error.is_some(),
                "{}: needs exactly one of expected.yml and expected-error.txt",
                directory.display()
            );
            let case = Case {
                name: directory
                    .file_name()
                    .expect("a case directory has a name")
                    .to_string_lossy()
                    .into_owned(),
                directory,
                args,
                env,
                expect_ok: stdout.is_some(),
                stdout,
                services: None,
                format: "own".to_owned(),
            };
            (case, error)
        })
        .collect()
}

fn check_own_case(case: &Case, expected_error: Option<&Path>) -> Result<(), String> {
    let options = options(case);
    let result = load_with_sections(&options);
    if let Some(expected_error) = expected_error {
        let Err(error) = result else {
            return Err("loaded, but 1.29.2 fails".to_owned());
        };
        let expected = std::fs::read_to_string(expected_error)
            .map_err(|error| format!("cannot read the expected error: {error}"))?
            .to_lowercase();
        let ours = std::iter::once(error.to_string())
            .chain(error.problems().iter().map(ToString::to_string))
            .collect::<Vec<_>>()
            .join("\n");
        let Some((_, needle)) = SAME_PROBLEM
            .iter()
            .find(|(theirs, _)| expected.contains(theirs))
        else {
            return Err(format!(
                "no SAME_PROBLEM entry matches 1.29.2's error: {expected}"
            ));
        };
        return if ours.contains(needle) {
            Ok(())
        } else {
            Err(format!(
                "fails for another reason: 1.29.2 says {expected:?}, envctl says {ours:?}"
            ))
        };
    }
    let (project, sections) = result.map_err(|error| format!("failed to load: {error:?}"))?;
    let stdout = case.stdout.as_ref().ok_or("no expected.yml")?;
    let expected_text = std::fs::read_to_string(stdout)
        .map_err(|error| format!("cannot read {}: {error}", stdout.display()))?
        .replace("${CASE}", &case.directory.display().to_string());
    let render = RenderOptions {
        escape_dollars: options.interpolate,
        sections,
    };
    let actual_text = envctl_parser::to_compose_yaml_with(&project, &render);
    if parse_yaml(&expected_text) != parse_yaml(&actual_text) {
        return Err(format!(
            "config differs:\n--- expected\n{expected_text}\n--- actual\n{actual_text}"
        ));
    }
    // `regenerate.sh` keeps the output as `$(...)` does: without 1.29.2's extra
    // newline at the end.
    if expected_text.trim_end_matches('\n') != actual_text.trim_end_matches('\n') {
        return Err(format!(
            "config is the same data but not the same text:\n--- expected\n{expected_text}\n--- actual\n{actual_text}"
        ));
    }
    Ok(())
}

#[test]
fn own_cases_agree_with_docker_compose_1_29_2() {
    let cases = own_cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(case, error)| {
            check_own_case(case, error.as_deref())
                .err()
                .map(|reason| format!("{}: {reason}", case.name))
        })
        .collect();
    println!(
        "own cases: {} passed, {} failed",
        cases.len() - failures.len(),
        failures.len()
    );
    assert!(cases.len() >= 8, "fixtures/conformance holds too few cases");
    assert!(
        failures.is_empty(),
        "{} failing cases:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
