//! Any bytes, as a compose file: the loader must not panic, a failure must render
//! (miette refuses a span outside its source), and a project that loads must render
//! as `config` and plan `up` and `down` without a panic.
#![no_main]

use envctl_parser::{Project, parse_str, to_compose_yaml};
use envctl_planner::{DownOptions, Observed, UpOptions, image_reference, plan_down, plan_up};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The CLI reads a file as bytes and refuses what is not UTF-8 with a diagnostic; the
    // lossy text keeps the fuzzer's mutations useful either way.
    let text = String::from_utf8_lossy(data);
    match parse_str("docker-compose.yml", &text) {
        Ok(project) => plan(&project),
        Err(error) => {
            let handler = miette::GraphicalReportHandler::new_themed(
                miette::GraphicalTheme::unicode_nocolor(),
            )
            .with_width(80);
            let mut out = String::new();
            assert!(
                handler.render_report(&mut out, &error).is_ok(),
                "the diagnostic does not render: {error:?}"
            );
        }
    }
});

fn plan(project: &Project) {
    let _ = to_compose_yaml(project);
    let mut observed = Observed::default();
    for service in project.services.values() {
        observed.images.insert(
            image_reference(project, service),
            "sha256:0123456789abcdef".to_owned(),
        );
    }
    // A planning error (a cycle, ...) is an answer, not a crash.
    let _ = plan_up(project, &observed, &UpOptions::default());
    let _ = plan_down(project, &observed, &DownOptions::default());
}
