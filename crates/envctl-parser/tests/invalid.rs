//! Every bad compose file in `fixtures/invalid/` must fail to load, without a panic,
//! with a diagnostic that points at the place of the problem. Each rendered
//! diagnostic (miette's graphical handler, no colour, 80 columns: what the CLI shows)
//! is a snapshot, reviewed by eye.
//!
//! * `fixtures/invalid/<name>.yml` is loaded as `-f <name>.yml` from that directory.
//! * `fixtures/invalid/<name>/docker-compose.yml` is loaded by discovery from
//!   `<name>/`, so a `docker-compose.override.yml` beside it is merged, and companion
//!   files (`extends` targets, env files) are found.
//!
//! Every file is also an error for docker-compose 1.29.2: `fixtures/invalid/README.md`
//! lists what 1.29.2 says for each.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use envctl_parser::{LoadOptions, load};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/invalid")
        .canonicalize()
        .expect("fixtures/invalid exists")
}

fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(80);
    let mut out = String::new();
    handler
        .render_report(&mut out, diagnostic)
        .expect("rendering to a string cannot fail");
    out
}

/// Loads with `options` (which must fail) and snapshots the rendered diagnostic, with
/// the checkout's absolute path replaced by `[FIXTURES]`. A file that loads is
/// returned as an error, so that one run lists all of them.
fn snapshot_error(options: &LoadOptions, shown: &Path) -> Result<(), String> {
    let rendered = match load(options) {
        Ok(project) => {
            return Err(format!(
                "`{}` loaded ({} services), but it is an invalid file",
                shown.display(),
                project.services.len()
            ));
        }
        Err(error) => render(&error),
    };
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        &regex_escape(&fixtures().display().to_string()),
        "[FIXTURES]",
    );
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/invalid");
    settings.bind(|| insta::assert_snapshot!("invalid", rendered));
    Ok(())
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|character| {
            let escape = r"\.+*?()|[]{}^$#&-~".contains(character);
            escape.then_some('\\').into_iter().chain([character])
        })
        .collect()
}

#[test]
fn invalid_files_fail_with_a_located_diagnostic() {
    let mut failures = Vec::new();
    insta::glob!("../../../fixtures/invalid", "*.yml", |path| {
        let directory = path.parent().expect("a fixture has a directory");
        let name = path.file_name().expect("a fixture has a name");
        let mut options = LoadOptions::new(directory);
        options.files.push(PathBuf::from(name));
        if let Err(failure) = snapshot_error(&options, path) {
            failures.push(failure);
        }
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_projects_fail_with_a_located_diagnostic() {
    let mut failures = Vec::new();
    insta::glob!(
        "../../../fixtures/invalid",
        "*/docker-compose.yml",
        |path| {
            let directory = path.parent().expect("a fixture has a directory");
            if let Err(failure) = snapshot_error(&LoadOptions::new(directory), path) {
                failures.push(failure);
            }
        }
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Loads generated text, which must fail within `limit`, and returns the diagnostic.
fn fails_quickly(text: &str, limit: std::time::Duration) -> String {
    let started = std::time::Instant::now();
    let Err(error) = envctl_parser::parse_str("docker-compose.yml", text) else {
        panic!("the generated file loaded, but it is invalid");
    };
    let elapsed = started.elapsed();
    assert!(elapsed < limit, "refusing it took {elapsed:?}");
    render(&error)
}

#[test]
fn a_huge_file_with_one_mistake_at_the_end_is_refused_at_that_line() {
    // 20 000 services, about 1 MB: the mistake on the last line is found and shown.
    let mut text = String::new();
    for index in 0..20_000 {
        let _ = write!(text, "s{index}:\n  image: busybox\n  command: top\n");
    }
    text.push_str("last:\n  image: busybox\n  enviroment: [A=1]\n");
    let rendered = fails_quickly(&text, std::time::Duration::from_secs(30));
    assert!(rendered.contains("Unsupported config option for services.last: 'enviroment'"));
    assert!(
        rendered.contains("docker-compose.yml:60003:3"),
        "{rendered}"
    );
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for depth in [5_000, 100_000] {
        let text = format!("web:\n  image: busybox\n  command: {}", "[".repeat(depth));
        let rendered = fails_quickly(&text, std::time::Duration::from_secs(10));
        assert!(rendered.contains("docker-compose.yml:3:"), "{rendered}");
    }
}

#[test]
fn an_alias_bomb_is_refused_before_it_is_expanded() {
    // Ten levels of ten aliases: 10^10 nodes if expanded.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..=10 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 10].join(", ");
        let _ = writeln!(text, "a{level}: &a{level} [{items}]");
    }
    let rendered = fails_quickly(&text, std::time::Duration::from_secs(2));
    assert!(rendered.contains("expands to more than"), "{rendered}");
}
