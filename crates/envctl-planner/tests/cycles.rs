//! Every file in `fixtures/cycles/` loads, and planning it fails with a dependency
//! cycle that names the loop and points at each edge's text (miette's graphical
//! handler, no colour, 80 columns: what the CLI shows). One file per kind of edge.

use std::path::PathBuf;

use envctl_parser::{LoadOptions, load};
use envctl_planner::{DependencyGraph, PlanError};

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

#[test]
fn every_kind_of_edge_can_close_a_cycle_and_each_is_reported() {
    let mut failures = Vec::new();
    insta::glob!("../../../fixtures/cycles", "*.yml", |path| {
        let directory = path.parent().expect("a fixture has a directory");
        let mut options = LoadOptions::new(directory);
        options.files.push(PathBuf::from(
            path.file_name().expect("a fixture has a name"),
        ));
        let project = load(&options).expect("a cycle is not a load error");
        match DependencyGraph::new(&project) {
            Ok(_) => failures.push(format!("`{}` has no cycle", path.display())),
            Err(error @ PlanError::Cycle { .. }) => {
                let mut settings = insta::Settings::clone_current();
                settings.set_prepend_module_to_snapshot(false);
                settings.set_snapshot_path("snapshots/cycles");
                settings.bind(|| insta::assert_snapshot!("cycle", render(&error)));
            }
            Err(other) => failures.push(format!("`{}`: {other}", path.display())),
        }
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_ring_of_10000_services_is_refused_in_linear_time_with_a_bounded_report() {
    // See: #19. Before: 118 s and 3 MB of stderr for `up --dry-run` (debug build).
    use std::fmt::Write as _;
    const N: usize = 10_000;
    let mut text = String::new();
    for index in 0..N {
        let _ = write!(
            text,
            "s{index}:\n  image: busybox\n  links: [s{}]\n",
            (index + 1) % N
        );
    }
    let started = std::time::Instant::now();
    let project = envctl_parser::parse_str("docker-compose.yml", &text).expect("a ring loads");
    let Err(error @ PlanError::Cycle { .. }) = DependencyGraph::new(&project) else {
        panic!("the ring is a cycle");
    };
    let rendered = render(&error);
    let elapsed = started.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
    assert!(rendered.contains("10000 services"), "{rendered}");
    assert!(
        rendered.len() < 6_000,
        "{} bytes:\n{rendered}",
        rendered.len()
    );
    eprintln!("{elapsed:?}, {} bytes", rendered.len());
}
