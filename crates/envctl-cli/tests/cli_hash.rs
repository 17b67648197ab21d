//! The config hash (`com.docker.compose.config-hash`) of every v1 case of the 1.29.2
//! conformance corpus and of the project's own fixtures, equal to docker-compose
//! 1.29.2's byte for byte: the label decides whether either tool recreates a
//! container the other one made.
//!
//! * Offline (always): the hashes envctl computes equal docker-compose's answers
//!   recorded in `fixtures/hash-golden/*.json`, with the image ids recorded there.
//! * Live (feature `docker-tests`, in `cli_hash_live.rs`): `envctl config --hash='*'`
//!   equals `docker-compose config --hash='*'` run in the same directory with the
//!   same environment, once with the cases' images absent and once with them
//!   present. With `ENVCTL_RECORD_HASH_GOLDEN=1` that test (re)writes the golden
//!   files from docker-compose's answers.

mod hash_corpus;

use envctl_planner::{Observed, config_hash_observed};
use hash_corpus::{Golden, HashCase, corpus_cases, golden_path, own_cases, same_lines};

/// Our hashes for a case, in `config --hash='*'` order, given the local image ids.
fn envctl_lines(case: &HashCase, images: &[(String, String)]) -> Result<Vec<String>, String> {
    let project = envctl_parser::load(&case.load_options())
        .map_err(|error| format!("does not load: {error}"))?;
    let mut observed = Observed::default();
    for (reference, id) in images {
        observed.images.insert(reference.clone(), id.clone());
    }
    envctl_planner::DependencyGraph::new(&project)
        .map_err(|error| format!("no dependency order: {error}"))?;
    let order = envctl_planner::compose_order(&project);
    Ok(order
        .iter()
        .filter_map(|name| project.service(name.as_str()))
        .map(|service| {
            format!(
                "{} {}",
                service.name,
                config_hash_observed(&project, service, &observed)
            )
        })
        .collect())
}

fn check_golden(golden_name: &str, cases: &[HashCase]) {
    let golden = Golden::read(&golden_path(golden_name));
    let mut problems = Vec::new();
    let names: Vec<&str> = cases.iter().map(|case| case.name.as_str()).collect();
    for recorded in golden.cases.keys() {
        if !names.contains(&recorded.as_str()) {
            problems.push(format!("{recorded}: recorded, but no longer a v1 case"));
        }
    }
    for case in cases {
        let Some(expected) = golden.cases.get(&case.name) else {
            problems.push(format!(
                "{}: not recorded (run the live test with ENVCTL_RECORD_HASH_GOLDEN=1)",
                case.name
            ));
            continue;
        };
        match envctl_lines(case, &golden.images) {
            Ok(ours) if same_lines(case, expected, &ours) => {}
            Ok(ours) => problems.push(format!(
                "{}:\n  docker-compose: {expected:?}\n  envctl:         {ours:?}",
                case.name
            )),
            Err(error) => problems.push(format!("{}: {error}", case.name)),
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} cases differ from docker-compose 1.29.2 ({golden_name}):\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

#[test]
fn corpus_hashes_equal_docker_compose_with_images_absent() {
    let cases = corpus_cases();
    assert!(cases.len() > 50, "only {} v1 cases found", cases.len());
    check_golden("corpus-images-absent", &cases);
}

#[test]
fn corpus_hashes_equal_docker_compose_with_images_present() {
    check_golden("corpus-images-present", &corpus_cases());
}

#[test]
fn own_fixture_hashes_equal_docker_compose() {
    check_golden("own-fixtures", &own_cases());
}
