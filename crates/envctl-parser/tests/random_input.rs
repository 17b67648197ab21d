//! The loader never panics, whatever it is fed, and every problem it reports points
//! inside the file it names: random YAML-ish documents built from compose keys and
//! YAML 1.1's tricky scalars, and random bytes.

use envctl_parser::{ParseError, parse_str};
use proptest::prelude::*;

const KEYS: &[&str] = &[
    "web",
    "db",
    "image",
    "build",
    "command",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "volumes_from",
    "links",
    "external_links",
    "net",
    "pid",
    "ipc",
    "extends",
    "service",
    "file",
    "ulimits",
    "soft",
    "hard",
    "nofile",
    "mem_limit",
    "memswap_limit",
    "restart",
    "labels",
    "log_driver",
    "log_opt",
    "extra_hosts",
    "dns",
    "cpu_quota",
    "privileged",
    "version",
    "services",
    "networks",
    "depends_on",
    "<<",
    "x-common",
    "dockerfile",
    "container_name",
    "healthcheck",
];

const SCALARS: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "~",
    "null",
    "22:22",
    "0755",
    "0x1F",
    "1e3",
    "1_000",
    ".5",
    "'quoted'",
    "\"double\"",
    "\"\\q\"",
    "$VAR",
    "${VAR}",
    "${VAR:-x}",
    "${VAR?}",
    "$$",
    "$",
    "${",
    "80:80",
    "127.0.0.1:80:80/udp",
    "8000-8002:80-81",
    "/a:/b:ro",
    "./data:/data",
    "service:db",
    "container:x",
    "db:alias",
    "on-failure:3",
    "1g",
    "50ms",
    "!!str 1",
    "!!binary aGk=",
    "&a x",
    "*a",
    "[]",
    "{}",
    "-",
    "? x",
    "|\n  text",
    ">-\n  text",
    "\u{feff}",
    "é",
    "\t",
    "'",
    "\"",
    "[",
    "{",
    ":",
    "#",
];

#[derive(Debug, Clone)]
enum Tree {
    Scalar(String),
    Sequence(Vec<Tree>),
    Mapping(Vec<(String, Tree)>),
    FlowSequence(Vec<Tree>),
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(SCALARS).prop_map(str::to_owned),
        1 => "[a-z0-9:/.$@&*!{}\\[\\],'\" -]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9_.$ -]{0,8}",
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    scalar()
        .prop_map(Tree::Scalar)
        .prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Tree::Sequence),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Tree::FlowSequence),
                proptest::collection::vec((key(), inner), 0..6).prop_map(Tree::Mapping),
            ]
        })
}

fn write(tree: &Tree, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match tree {
        Tree::Scalar(text) => {
            out.push(' ');
            out.push_str(text);
            out.push('\n');
        }
        Tree::FlowSequence(items) => {
            let texts: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Tree::Scalar(text) => text.clone(),
                    _ => "{}".to_owned(),
                })
                .collect();
            out.push_str(" [");
            out.push_str(&texts.join(", "));
            out.push_str("]\n");
        }
        Tree::Sequence(items) => {
            out.push('\n');
            for item in items {
                out.push_str(&pad);
                out.push('-');
                write(item, indent + 2, out);
            }
        }
        Tree::Mapping(entries) => {
            out.push('\n');
            for (key, value) in entries {
                out.push_str(&pad);
                out.push_str(key);
                out.push(':');
                write(value, indent + 2, out);
            }
        }
    }
}

/// A v1 file that is mostly well formed: services of compose keys with plausible
/// values, so that the later phases (schema, `extends`, merge, validation) are reached.
fn services() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        3 => "[a-z0-9]{1,6}".prop_map(Tree::Scalar),
        2 => scalar().prop_map(Tree::Scalar),
        2 => proptest::collection::vec(scalar().prop_map(Tree::Scalar), 0..3).prop_map(Tree::Sequence),
        1 => proptest::collection::vec((key(), scalar().prop_map(Tree::Scalar)), 0..3).prop_map(Tree::Mapping),
        1 => tree(),
    ];
    let service = proptest::collection::vec((key(), value), 0..6).prop_map(Tree::Mapping);
    let name = proptest::sample::select(&["web", "db", "base", "cache", "1", "web app"][..]);
    proptest::collection::vec((name.prop_map(str::to_owned), service), 1..4)
        .prop_map(|services| document(&Tree::Mapping(services)))
}

fn document(tree: &Tree) -> String {
    let mut out = String::new();
    write(tree, 0, &mut out);
    out.trim_start_matches('\n').to_owned()
}

/// Loads `text`; a failure must have every problem's span inside `text` and must
/// render (miette refuses spans outside the source).
#[allow(clippy::print_stderr)]
fn check(text: &str) -> Result<(), TestCaseError> {
    // `ENVCTL_SHOW_RANDOM=1 cargo test --test random_input -- --nocapture` shows
    // what the generators make and how far each input got.
    if std::env::var_os("ENVCTL_SHOW_RANDOM").is_some() {
        let outcome = parse_str("docker-compose.yml", text).map(|project| project.services.len());
        eprintln!(
            "---\n{text}\n=> {:?}",
            outcome.map_err(|error| error.to_string())
        );
    }
    let Err(error) = parse_str("docker-compose.yml", text) else {
        return Ok(());
    };
    check_error(&error, text.len())
}

fn check_error(error: &ParseError, len: usize) -> Result<(), TestCaseError> {
    for problem in error.problems() {
        let end = problem.span.offset + problem.span.len;
        prop_assert!(
            end <= len,
            "span {:?} outside a file of {len} bytes: {problem}",
            problem.span
        );
    }
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(80);
    let mut out = String::new();
    prop_assert!(handler.render_report(&mut out, error).is_ok());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_compose_like_documents_never_panic(tree in tree()) {
        check(&document(&tree))?;
    }

    #[test]
    fn random_services_never_panic(text in services()) {
        check(&text)?;
    }

    #[test]
    fn random_v2_documents_never_panic(tree in tree()) {
        let service = document(&tree).replace('\n', "\n    ");
        check(&format!("version: '2'\nservices:\n  web:\n    {service}"))?;
    }

    #[test]
    fn random_text_never_panics(text in "[a-z:\\-\\[\\]{}&*!|>'\"#$ \t\n0-9]{0,200}") {
        check(&text)?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn random_bytes_in_a_file_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let directory = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(directory.path().join("docker-compose.yml"), &bytes).expect("writable");
        let options = envctl_parser::LoadOptions::new(directory.path());
        if let Err(error) = envctl_parser::load(&options) {
            // A file that is not UTF-8 is shown decoded lossily: spans are in that text.
            check_error(&error, String::from_utf8_lossy(&bytes).len())?;
        }
    }
}
