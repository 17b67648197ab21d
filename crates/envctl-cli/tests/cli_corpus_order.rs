//! `envctl config --services` on every case of docker-compose 1.29.2's corpus that
//! loads: the same services, each after everything it needs (See: #4).
//!
//! 1.29.2 breaks ties between unrelated services by Python's hash order, which
//! changes between runs, so only the dependency constraints are compared; the count
//! of cases whose order is also identical is printed. The dependencies come from
//! `envctl graph --format dot`, so this checks the planner's order end to end.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// `fixtures/compose-1.29.2`; missing is a failure, not a skip.
fn corpus() -> PathBuf {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/compose-1.29.2");
    assert!(
        corpus.join("cases.json").is_file(),
        "the conformance corpus is missing at {}",
        corpus.display()
    );
    corpus.canonicalize().expect("corpus path")
}

fn envctl(dir: &Path, env: &HashMap<String, String>, args: &[String]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_envctl"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .output()
        .expect("envctl runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The case's arguments with its `config` subcommand replaced by `replacement`.
fn with_subcommand(args: &[String], replacement: &[&str]) -> Vec<String> {
    let position = args
        .iter()
        .rposition(|arg| arg == "config")
        .expect("a config case");
    let mut replaced = args[..position].to_vec();
    replaced.extend(replacement.iter().map(|arg| (*arg).to_owned()));
    replaced.extend(args[position + 1..].iter().cloned());
    replaced
}

/// `"from" -> "to"` edges of a DOT rendering.
fn dot_edges(dot: &str) -> Vec<(String, String)> {
    dot.lines()
        .filter_map(|line| {
            let (from, rest) = line.trim().split_once(" -> ")?;
            let to = rest.split(" [").next()?;
            Some((
                from.trim_matches('"').to_owned(),
                to.trim_matches('"').to_owned(),
            ))
        })
        .collect()
}

#[test]
fn config_services_respects_every_dependency_of_the_corpus() {
    let corpus = corpus();
    let text = std::fs::read_to_string(corpus.join("cases.json")).expect("cases.json");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("cases.json parses");
    let corpus_text = corpus.display().to_string();
    let (mut checked, mut identical) = (0, 0);
    for case in &cases {
        let Some(services_file) = case["services"].as_str() else {
            continue;
        };
        let name = case["name"].as_str().unwrap_or("?");
        let dir = corpus.join(case["dir"].as_str().expect("dir"));
        let args: Vec<String> = case["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|arg| {
                arg.as_str()
                    .expect("string")
                    .replace("${CORPUS}", &corpus_text)
            })
            .collect();
        let env: HashMap<String, String> = case["env"]
            .as_object()
            .expect("env")
            .iter()
            .map(|(key, value)| {
                let value = value
                    .as_str()
                    .expect("string")
                    .replace("${CORPUS}", &corpus_text);
                (key.clone(), value)
            })
            .collect();
        let expected =
            std::fs::read_to_string(corpus.join(services_file)).expect("expected services");
        let expected: Vec<&str> = expected.lines().collect();

        let (code, stdout, stderr) = envctl(
            &dir,
            &env,
            &with_subcommand(&args, &["config", "--services"]),
        );
        assert_eq!(code, 0, "{name}: config --services failed: {stderr}");
        let order: Vec<&str> = stdout.lines().collect();
        let expected_set: HashSet<&str> = expected.iter().copied().collect();
        let order_set: HashSet<&str> = order.iter().copied().collect();
        assert_eq!(order_set, expected_set, "{name}: not the same services");
        assert_eq!(
            order.len(),
            expected.len(),
            "{name}: a service printed twice"
        );

        let (code, dot, stderr) = envctl(
            &dir,
            &env,
            &with_subcommand(&args, &["graph", "--format", "dot"]),
        );
        assert_eq!(code, 0, "{name}: graph failed: {stderr}");
        let position: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(index, service)| (*service, index))
            .collect();
        let expected_position: HashMap<&str, usize> = expected
            .iter()
            .enumerate()
            .map(|(index, service)| (*service, index))
            .collect();
        for (from, to) in dot_edges(&dot) {
            assert!(
                position[to.as_str()] < position[from.as_str()],
                "{name}: `{from}` needs `{to}` but comes first in {order:?}"
            );
            assert!(
                expected_position[to.as_str()] < expected_position[from.as_str()],
                "{name}: the edge `{from}` -> `{to}` is not one 1.29.2 knows"
            );
        }
        checked += 1;
        if order == expected {
            identical += 1;
        }
    }
    println!(
        "config --services: {checked} corpus cases respect every dependency; {identical} in exactly 1.29.2's order"
    );
    assert!(checked >= 100, "only {checked} cases were checked");
}
