//! Hostile input: generated files (never stored) that once crashed the loader, made
//! it work without bound or echoed the whole input. See: #19.

#![allow(clippy::format_collect)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

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

/// Loads `text`, which must fail within `limit`; returns the rendered diagnostic.
fn refused(text: &str, limit: Duration) -> String {
    let started = Instant::now();
    let Err(error) = envctl_parser::parse_str("docker-compose.yml", text) else {
        panic!("the generated file loaded, but it is invalid");
    };
    let rendered = render(&error);
    let elapsed = started.elapsed();
    assert!(elapsed < limit, "refusing it took {elapsed:?}");
    rendered
}

#[test]
fn a_yaml_error_past_column_65535_is_shown_without_a_panic() {
    let text = format!(
        "web:\n  image: busybox\n  command: \"{}\n",
        "x".repeat(70_000)
    );
    let rendered = refused(&text, Duration::from_secs(10));
    assert!(rendered.contains("docker-compose.yml:3:"), "{rendered}");
    assert!(rendered.len() < 4_000, "{} bytes", rendered.len());
    let text = format!("web: {{image: busybox, {}: 1, ]\n", "k".repeat(70_000));
    let rendered = refused(&text, Duration::from_secs(10));
    assert!(rendered.contains("docker-compose.yml:1:7"), "{rendered}");
    assert!(rendered.len() < 4_000, "{} bytes", rendered.len());
}

#[test]
fn deep_nesting_of_every_kind_is_refused_without_overflowing_the_stack() {
    let block_sequences = format!("web:\n  command:\n{}x\n", "- ".repeat(50_000));
    // One more space of indentation per level: 10,000 levels are 50 MB already.
    let mut block_mappings = String::from("web:\n");
    for level in 0..10_000 {
        let _ = writeln!(block_mappings, "{}k{level}:", " ".repeat(level + 1));
    }
    let flow_mappings = format!("web: {}", "{a: ".repeat(100_000));
    let flow_sequences = format!("web: {}", "[".repeat(100_000));
    let mixed = format!("web:\n{}", "- {a: [".repeat(30_000));
    let indented_mixed: String = (0..5_000)
        .map(|level| format!("{}- k{level}:\n", "    ".repeat(level)))
        .collect();
    for (kind, text) in [
        ("block sequences", block_sequences),
        ("block mappings", block_mappings),
        ("flow mappings", flow_mappings),
        ("flow sequences", flow_sequences),
        ("a mix", mixed),
        ("sequences of mappings", indented_mixed),
    ] {
        // Generous: a debug build on a shared, busy machine.
        let rendered = refused(&text, Duration::from_secs(60));
        assert!(
            rendered.contains("nest more than 128 levels deep")
                || rendered.contains("invalid YAML"),
            "{kind}: {rendered}"
        );
        assert!(rendered.len() < 4_000, "{kind}: {} bytes", rendered.len());
    }
}

#[test]
fn nesting_within_the_limit_loads() {
    // 100 levels of mappings under a label: deep, but allowed.
    let mut text = String::from("web:\n  image: busybox\n  labels:\n    deep: |\n      x\n");
    text.push_str("x-deep:\n");
    for level in 0..100 {
        let _ = writeln!(text, "{}k{level}:", "  ".repeat(level + 1));
    }
    text.insert_str(0, "version: \"3.8\"\nservices:\n");
    let text = text.replace("web:\n  image", "  web:\n    image").replace(
        "  labels:\n    deep: |\n      x\n",
        "    labels:\n      deep: |\n        x\n",
    );
    envctl_parser::parse_str("docker-compose.yml", &text).expect("100 levels load");
}

#[test]
fn a_diagnostic_about_a_huge_node_shows_a_bounded_excerpt() {
    // A top-level list of 100 000 items: the error points at the list, and shows a
    // few lines of it, not 2 MB.
    let text: String = (0..100_000).map(|n| format!("- item{n}\n")).collect();
    let rendered = refused(&text, Duration::from_secs(10));
    assert!(rendered.contains("docker-compose.yml:1:1"), "{rendered}");
    assert!(
        rendered.len() < 2_000,
        "{} bytes:\n{rendered}",
        rendered.len()
    );
    // A service whose value is one huge flow list.
    let items = (0..100_000)
        .map(|n| format!("i{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!("web: [{items}]\n");
    let rendered = refused(&text, Duration::from_secs(10));
    assert!(
        rendered.len() < 2_000,
        "{} bytes:\n{rendered}",
        rendered.len()
    );
}

#[test]
fn a_flat_file_of_100001_labels_is_not_a_yaml_bomb() {
    let mut text = String::from("web:\n  image: busybox\n  labels:\n");
    for index in 0..100_001 {
        let _ = writeln!(text, "    l{index}: v{index}");
    }
    let project = envctl_parser::parse_str("docker-compose.yml", &text)
        .expect("a large file without aliases loads");
    assert_eq!(project.services.len(), 1);
}

#[test]
fn aliases_are_still_charged_for_what_they_expand_to() {
    // Each level doubles: 2^20 nodes through aliases.
    let mut text = String::from("x-a0: &a0 [x, x]\n");
    for level in 1..=20 {
        let _ = writeln!(
            text,
            "x-a{level}: &a{level} [*a{}, *a{}]",
            level - 1,
            level - 1
        );
    }
    text.push_str("web:\n  image: busybox\n");
    let rendered = refused(&text, Duration::from_secs(5));
    assert!(rendered.contains("expands to more than"), "{rendered}");
}

#[test]
fn a_mistake_in_every_one_of_10000_services_shows_the_first_100() {
    let text: String = (0..10_000)
        .map(|n| format!("s{n}:\n  image: busybox\n  enviroment: [A=1]\n"))
        .collect();
    let rendered = refused(&text, Duration::from_secs(20));
    assert!(
        rendered.contains("10000 problems (the first 100 shown)"),
        "{}",
        &rendered[..500]
    );
    assert!(rendered.len() < 100_000, "{} bytes", rendered.len());
}

/// Loads `docker-compose.yml` from `directory`; returns the rendered error.
fn refused_in(directory: &std::path::Path, limit: Duration) -> String {
    let mut options = envctl_parser::LoadOptions::new(directory);
    options.files.push("docker-compose.yml".into());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(
            envctl_parser::load(&options)
                .map(|_| ())
                .map_err(|e| render(&e)),
        );
    });
    match receiver.recv_timeout(limit) {
        Ok(Err(rendered)) => rendered,
        Ok(Ok(())) => panic!("the file loaded, but it is invalid"),
        Err(timeout) => panic!("loading did not finish within {limit:?}: {timeout}"),
    }
}

fn write(directory: &std::path::Path, name: &str, text: &str) {
    std::fs::write(directory.join(name), text).expect("write");
}

#[test]
fn env_file_and_extends_file_read_only_regular_files() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let status = std::process::Command::new("mkfifo")
        .arg(directory.path().join("fifo"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    for (file, value) in [
        ("env_file", "/dev/zero"),
        ("env_file", "./fifo"),
        ("env_file", "."),
    ] {
        write(
            directory.path(),
            "docker-compose.yml",
            &format!("web:\n  image: busybox\n  {file}: {value}\n"),
        );
        let rendered = refused_in(directory.path(), Duration::from_secs(10));
        assert!(rendered.contains("is not a file"), "{value}: {rendered}");
        assert!(
            rendered.contains("docker-compose.yml:3:"),
            "{value}: {rendered}"
        );
    }
    for value in ["/dev/zero", "./fifo"] {
        write(
            directory.path(),
            "docker-compose.yml",
            &format!("web:\n  extends: {{file: {value}, service: x}}\n"),
        );
        let rendered = refused_in(directory.path(), Duration::from_secs(10));
        assert!(
            rendered.contains("not a regular file"),
            "{value}: {rendered}"
        );
    }
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let big = "A=1\n".repeat(5 * 1024 * 1024);
    write(directory.path(), "big.env", &big);
    write(
        directory.path(),
        "docker-compose.yml",
        "web:\n  image: busybox\n  env_file: big.env\n",
    );
    let rendered = refused_in(directory.path(), Duration::from_secs(20));
    assert!(rendered.contains("larger than 16 MiB"), "{rendered}");
}

#[test]
fn an_extends_file_that_is_not_a_compose_file_is_refused_in_one_line() {
    // See: #19. `extends: {file: /etc/shadow}` showed the file's lines.
    let directory = tempfile::tempdir().expect("a temporary directory");
    write(
        directory.path(),
        "shadow",
        "root:$6$secret-hash-one:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nuser:$6$secret-hash-two:19000:0:99999:7:::\n",
    );
    write(
        directory.path(),
        "docker-compose.yml",
        "web:\n  extends: {file: shadow, service: root}\n",
    );
    let rendered = refused_in(directory.path(), Duration::from_secs(10));
    assert!(rendered.contains("not a compose file"), "{rendered}");
    assert!(rendered.contains("docker-compose.yml:2:19"), "{rendered}");
    assert!(!rendered.contains("secret-hash"), "{rendered}");
    assert!(!rendered.contains("daemon"), "{rendered}");
}

#[test]
fn an_interpolated_value_never_appears_in_an_error() {
    // See: #19. `invalid port \`<value from .env>\`` showed the secret.
    let directory = tempfile::tempdir().expect("a temporary directory");
    write(
        directory.path(),
        ".env",
        "PORT=s3cr3t-value\nHOST=hidden-host\n",
    );
    write(
        directory.path(),
        "docker-compose.yml",
        "web:\n  image: busybox\n  ports: [\"${PORT}:80\", \"${HOST}:${PORT}:80\"]\n  expose: [\"$PORT\"]\n",
    );
    let rendered = refused_in(directory.path(), Duration::from_secs(10));
    assert!(!rendered.contains("s3cr3t"), "{rendered}");
    assert!(!rendered.contains("hidden-host"), "{rendered}");
    assert!(rendered.contains("docker-compose.yml:3:"), "{rendered}");
    assert!(rendered.contains("${PORT}"), "{rendered}");
}

#[test]
fn wrong_shapes_that_were_dropped_are_refused_with_a_location() {
    // See: #19: each was accepted, and the setting dropped (a `volumes` mapping gave
    // a container without mounts).
    for (key, value, expected) in [
        (
            "volumes",
            "{dbdata: /var/lib/db}",
            "`web.volumes` must be a list",
        ),
        ("volumes", "42", "`web.volumes` must be a list"),
        ("init", "42", "`web.init` must be a boolean"),
        ("group_add", "{a: b}", "`web.group_add` must be a list"),
        (
            "networks",
            "true",
            "`web.networks` must be a list or a mapping",
        ),
        (
            "logging",
            "{driver: json-file, bogus: 1}",
            "unsupported option `bogus`",
        ),
        (
            "healthcheck",
            "{test: [CMD, 'true'], bogus: 1}",
            "unsupported option `bogus`",
        ),
    ] {
        let text = format!(
            "version: \"2.4\"\nservices:\n  web:\n    image: busybox\n    {key}: {value}\n"
        );
        let rendered = refused(&text, Duration::from_secs(5));
        assert!(rendered.contains(expected), "{key}: {rendered}");
        assert!(
            rendered.contains("docker-compose.yml:5:"),
            "{key}: {rendered}"
        );
    }
}

#[test]
fn values_the_engine_would_refuse_are_kept_as_located_refusals() {
    let text = "web:\n  image: busybox\n  mem_limit: 64x\n  cpu_shares: .inf\n  ports: [\"99999:80\"]\n  restart: sometimes\n  volumes: [\":/data\"]\n";
    let project =
        envctl_parser::parse_str("docker-compose.yml", text).expect("1.29.2's config accepts it");
    let refusals: Vec<(String, String)> = project.services["web"]
        .refusals
        .iter()
        .map(|refusal| (refusal.path.clone(), project.location(refusal.span)))
        .collect();
    assert_eq!(
        refusals,
        [
            ("web.mem_limit", "docker-compose.yml:3:14"),
            ("web.cpu_shares", "docker-compose.yml:4:15"),
            ("web.restart", "docker-compose.yml:6:12"),
            ("web.ports[0]", "docker-compose.yml:5:11"),
            ("web.volumes[0]", "docker-compose.yml:7:13"),
        ]
        .map(|(path, place)| (path.to_owned(), place.to_owned()))
    );
}

#[test]
fn a_key_written_twice_is_a_located_warning_and_the_last_value_wins() {
    // A key a `<<` merge brings and the mapping writes again is no duplicate.
    let text = "\
version: \"2.4\"
x-base: &base {image: base, init: true}
services:
  web:
    image: busybox
    image: other
    labels:
      a: '1'
      a: '2'
  db:
    <<: *base
    image: db
";
    let project = envctl_parser::parse_str("docker-compose.yml", text).expect("loads");
    let warnings: Vec<String> = project.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings.iter().any(
            |warning| warning.contains("`image`") && warning.contains("docker-compose.yml:6:5")
        ),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|warning| warning.contains("`a`") && warning.contains("docker-compose.yml:9:7")),
        "{warnings:?}"
    );
    assert_eq!(project.services["web"].image.as_deref(), Some("other"));
    assert_eq!(project.services["db"].image.as_deref(), Some("db"));
}

#[test]
fn an_empty_project_name_falls_back_to_the_directory_as_1_29_2_does() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let directory = root.path().join("myapp");
    std::fs::create_dir(&directory).expect("mkdir");
    write(&directory, "docker-compose.yml", "web:\n  image: busybox\n");
    let mut options = envctl_parser::LoadOptions::new(&directory);
    options.project_name = Some(String::new());
    let project = envctl_parser::load(&options).expect("loads");
    assert_eq!(project.name, "myapp");
}
