//! Loading a generated 1,000-service v1 project: every service `extends` a base in a
//! second file, with `${VAR}` interpolation from `.env`. Issue #3's target: under
//! 50 ms.
//!
//! `cargo bench -p envctl-parser --bench load -- --warm-up-time 1 --measurement-time 3`

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use envctl_parser::{LoadOptions, load};

const SERVICES: usize = 1_000;

fn write_project(directory: &Path) {
    std::fs::write(
        directory.join(".env"),
        "IMAGE=registry.example/app\nTAG=1.2.3\nDATA=/srv/data\nLOG_LEVEL=info\n",
    )
    .expect("writable");
    std::fs::write(
        directory.join("common.yml"),
        "base:\n  image: ${IMAGE}:${TAG}\n  restart: always\n  environment:\n    LOG_LEVEL: ${LOG_LEVEL}\n    REGION: eu\n  labels:\n    com.example.team: core\n  volumes:\n    - ${DATA}/shared:/shared:ro\n  ulimits:\n    nofile: {soft: 1024, hard: 2048}\n  mem_limit: 256m\n",
    )
    .expect("writable");
    let mut text = String::new();
    for index in 0..SERVICES {
        let _ = write!(
            text,
            "service{index}:\n  extends:\n    file: common.yml\n    service: base\n  command: serve --id {index} --level $LOG_LEVEL\n  environment:\n    - INDEX={index}\n    - DATA=${{DATA}}/{index}\n  ports:\n    - \"{port}:80\"\n  volumes:\n    - ./data/{index}:/data\n",
            port = 10_000 + index,
        );
        if index > 0 {
            let _ = write!(text, "  links:\n    - service{}\n", index - 1);
        }
    }
    std::fs::write(directory.join("docker-compose.yml"), text).expect("writable");
}

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
