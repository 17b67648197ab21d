//! How problems in a compose file are shown: every diagnostic rendered as the CLI
//! renders it (miette's graphical handler, no colour, 80 columns), as snapshots.

use std::fmt::Write as _;

use envctl_parser::parse_str;

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

/// Renders the error of loading `text` (which must fail).
fn error(text: &str) -> String {
    match parse_str("docker-compose.yml", text) {
        Ok(project) => panic!("expected an error, got {} services", project.services.len()),
        Err(error) => render(&error),
    }
}

#[test]
fn unknown_keys_suggest_the_closest_key() {
    insta::assert_snapshot!(error(
        "web:\n  image: busybox\n  enviroment: [A=1]\n  priviliged: true\n"
    ));
}

#[test]
fn v2_keys_in_v1_files_say_which_version_they_need() {
    insta::assert_snapshot!(error("web:\n  image: busybox\n  depends_on: [db]\n"));
}

#[test]
fn net_in_v2_files_points_to_network_mode() {
    insta::assert_snapshot!(error(
        "version: '2'\nservices:\n  web: {image: x, net: host}\n"
    ));
}

#[test]
fn v1_interpolation_rejects_defaults() {
    insta::assert_snapshot!(error("web:\n  image: ${IMG:-busybox}\n"));
}

#[test]
fn version_1_is_written_without_a_version_key() {
    insta::assert_snapshot!(error("version: '1'\nweb: {image: x}\n"));
}

#[test]
fn an_unquoted_version_is_not_a_string() {
    insta::assert_snapshot!(error("version: 2\nservices: {web: {image: x}}\n"));
}

#[test]
fn wrong_types_are_all_reported() {
    insta::assert_snapshot!(error(
        "web:\n  image: busybox\n  environment: {A: yes}\n  tty: maybe\n  ulimits: {nofile: {soft: 5, hard: 1}}\n"
    ));
}

#[test]
fn links_to_undefined_services_point_at_the_link() {
    insta::assert_snapshot!(error(
        "web:\n  image: x\n  links: [db, nope:alias]\ndb: {image: x}\n"
    ));
}

#[test]
fn service_pid_of_an_undefined_service() {
    insta::assert_snapshot!(error("web:\n  image: x\n  pid: 'service:ghost'\n"));
}

#[test]
fn a_service_needs_an_image_or_a_build() {
    insta::assert_snapshot!(error("web:\n  command: top\n"));
}

#[test]
fn port_ranges_must_match() {
    insta::assert_snapshot!(error("web:\n  image: x\n  ports: ['1-3:1-2']\n"));
}

#[test]
fn yaml_syntax_errors_point_at_the_position() {
    insta::assert_snapshot!(error("web:\n  image: [x\n"));
}

#[test]
fn the_top_level_must_be_a_mapping() {
    insta::assert_snapshot!(error("- a\n- b\n"));
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..9 {
        let previous = level - 1;
        let aliases = vec![format!("*a{previous}"); 10].join(", ");
        let _ = writeln!(text, "a{level}: &a{level} [{aliases}]");
    }
    insta::assert_snapshot!(error(&text));
}

#[test]
fn unset_variables_warn_once_with_the_place() {
    let project = parse_str(
        "docker-compose.yml",
        "web:\n  image: $IMAGE\n  command: echo ${IMAGE}\n",
    )
    .expect("loads");
    let rendered: Vec<String> = project
        .warnings
        .iter()
        .map(|warning| render(warning))
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn secret_entries_are_checked_like_1_29_2_s_schema() {
    insta::assert_snapshot!(error(
        "version: '3.8'\nservices:\n  web:\n    image: x\n    secrets:\n      - {source: token, taget: t}\n      - {source: token, mode: rw}\n      - 42\nsecrets:\n  token: {file: t}\n"
    ));
}

/// `PyYAML` (1.29.2) points at the tab, at line 3 column 1; yaml-rust2 blamed the
/// scalar before it, at line 2 column 10. See: #16
#[test]
fn a_tab_in_the_indentation_is_located_at_the_tab() {
    insta::assert_snapshot!(error("web:\n  image: busybox\n\tcommand: top\n"));
}
