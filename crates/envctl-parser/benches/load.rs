//! Loading a generated 1,000-service v1 project: every service `extends` a base in a
//! second file, with `${VAR}` interpolation from `.env`. Issue #3's target: under
//! 50 ms.
//!
//! `cargo bench -p envctl-parser --bench load -- --warm-up-time 1 --measurement-time 3`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use envctl_parser::{LoadOptions, load};

#[path = "support/project.rs"]
mod project;

use project::{SERVICES, write_project};

/// Time this thread has run on a CPU (Linux `/proc/thread-self/schedstat`, in ns).
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanoseconds = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanoseconds))
}

fn bench_load(criterion: &mut Criterion) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    write_project(directory.path());
    let options = LoadOptions::new(directory.path());
    let project = load(&options).expect("the generated project loads");
    assert_eq!(project.services.len(), SERVICES);
    criterion.bench_function(
        "load 1000 v1 services with extends and interpolation",
        |bencher| {
            // Dropping the `Project` is the caller's cost, not loading's.
            bencher.iter_with_large_drop(|| load(std::hint::black_box(&options)).expect("loads"));
        },
    );
    // The same, timed in CPU time of this thread: on a shared machine (2 cores, many
    // jobs) wall time mostly measures the wait for a core.
    if thread_cpu_time().is_some() {
        criterion.bench_function(
            "load 1000 v1 services with extends and interpolation (thread CPU time)",
            |bencher| {
                bencher.iter_custom(|iterations| {
                    let mut projects = Vec::with_capacity(usize::try_from(iterations).unwrap_or(0));
                    let start = thread_cpu_time().unwrap_or_default();
                    for _ in 0..iterations {
                        projects.push(load(std::hint::black_box(&options)).expect("loads"));
                    }
                    let elapsed = thread_cpu_time().unwrap_or_default().saturating_sub(start);
                    drop(projects);
                    elapsed
                });
            },
        );
    }
    // The YAML phase alone, for comparison.
    let text =
        std::fs::read_to_string(directory.path().join("docker-compose.yml")).expect("readable");
    criterion.bench_function("yaml::parse of the 1000-service file", |bencher| {
        bencher.iter(|| {
            envctl_parser::yaml::parse(envctl_parser::FileId(0), std::hint::black_box(&text))
                .expect("valid YAML")
        });
    });
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
