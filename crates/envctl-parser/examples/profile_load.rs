//! Callgrind driver for `docs/benchmarks.md`: `load` of the 1,000-service project of
//! `benches/load.rs`, ten times, inside `profiled_work` (collect with
//! `valgrind --tool=callgrind --toggle-collect='*profiled_work*'`).
use envctl_parser::{LoadOptions, load};

#[path = "../benches/support/project.rs"]
mod project;

use project::write_project;

#[inline(never)]
fn profiled_work(options: &LoadOptions) -> usize {
    let mut total = 0;
    for _ in 0..10 {
        total += load(std::hint::black_box(options))
            .expect("loads")
            .services
            .len();
    }
    total
}

fn main() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    write_project(directory.path());
    let options = LoadOptions::new(directory.path());
    std::hint::black_box(profiled_work(&options));
}
