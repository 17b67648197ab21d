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
