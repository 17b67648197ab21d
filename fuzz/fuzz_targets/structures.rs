//! Structured hostile input (#19): the fuzzer's bytes choose a shape and its size,
//! and the target builds the file: deep nesting of each node kind (block and flow
//! sequences and mappings, and mixes), long lines (with the mistake past column
//! 65 535), dependency rings through each kind of edge, wide mappings, alias chains.
//! The loader must not panic or overflow its stack, a failure must render within a
//! bounded size, and a project that loads must plan without a panic.
#![no_main]

use envctl_parser::{Project, parse_str};
use envctl_planner::{DownOptions, Observed, UpOptions, image_reference, plan_down, plan_up};
use libfuzzer_sys::fuzz_target;

/// Reads the recipe: one byte after another, 0 when the input runs out.
struct Recipe<'a>(&'a [u8]);

impl Recipe<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&first, rest)) => {
                self.0 = rest;
                first
            }
            None => 0,
        }
    }

    /// A size up to `max`, skewed to small and large values.
    fn size(&mut self, max: usize) -> usize {
        let high = usize::from(self.byte());
        let low = usize::from(self.byte());
        ((high << 8) | low) % (max + 1)
    }

    /// The rest, as text to splice in.
    fn rest(&self) -> String {
        String::from_utf8_lossy(self.0).into_owned()
    }
}

fn build(recipe: &mut Recipe<'_>) -> String {
    let shape = recipe.byte() % 9;
    let depth = recipe.size(60_000);
    let tail = recipe.rest();
    match shape {
        0 => format!("web:\n  command:\n{}{tail}\n", "- ".repeat(depth)),
        1 => {
            let mut text = String::from("web:\n");
            // The text grows with the square of the depth: 12 000 levels were
            // 144 MB (16-32 s a run, nine inputs in two minutes), far above the
            // 16 MiB file limit; 1 500 are 2.3 MB, still 12 times `MAX_DEPTH`.
            for level in 0..depth.min(1_500) {
                text.push_str(&"  ".repeat(level + 1));
                text.push_str(&format!("k{level}:\n"));
            }
            text.push_str(&tail);
            text
        }
        2 => format!("web: {}{tail}", "[".repeat(depth)),
        3 => format!("web: {}{tail}", "{a: ".repeat(depth)),
        4 => format!("web:\n{}{tail}", "- {a: [".repeat(depth / 3)),
        5 => format!(
            "web:\n  image: busybox\n  command: \"{}{tail}\n",
            "x".repeat(depth.max(65_536))
        ),
        6 => {
            // A ring through one kind of edge.
            let kinds = [
                "links: [s{}]",
                "volumes_from: [s{}]",
                "net: \"container:s{}\"",
            ];
            let kind = kinds[depth % kinds.len()];
            let count = depth.min(20_000).max(2);
            let mut text = String::new();
            for index in 0..count {
                let edge = kind.replace("{}", &((index + 1) % count).to_string());
                text.push_str(&format!("s{index}:\n  image: busybox\n  {edge}\n"));
            }
            text.push_str(&tail);
            text
        }
        7 => {
            let mut text = String::from("web:\n  image: busybox\n  labels:\n");
            for index in 0..depth.min(50_000) {
                text.push_str(&format!("    l{index}: v{index}\n"));
            }
            text.push_str(&tail);
            text
        }
        _ => {
            let mut text = String::from("x0: &a0 [x, x]\n");
            for level in 1..=depth.min(64) {
                text.push_str(&format!("x{level}: &a{level} [*a{0}, *a{0}]\n", level - 1));
            }
            text.push_str(&tail);
            text
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = build(&mut Recipe(data));
    match parse_str("docker-compose.yml", &text) {
        Ok(project) => plan(&project),
        Err(error) => render(&error),
    }
});

fn render(diagnostic: &dyn miette::Diagnostic) {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(80);
    let mut out = String::new();
    assert!(
        handler.render_report(&mut out, diagnostic).is_ok(),
        "the diagnostic does not render"
    );
    // 100 problems of a few bounded lines each, at most.
    assert!(out.len() < 400_000, "the diagnostic is {} bytes", out.len());
}

fn plan(project: &Project) {
    let mut observed = Observed::default();
    for service in project.services.values() {
        observed.images.insert(
            image_reference(project, service),
            "sha256:0123456789abcdef".to_owned(),
        );
    }
    for result in [
        plan_up(project, &observed, &UpOptions::default()).map(|_| ()),
        plan_down(project, &observed, &DownOptions::default()).map(|_| ()),
    ] {
        if let Err(error) = result {
            render(&error);
        }
    }
}
