//! `envctl-bench --swarm`: `envctl stack deploy` against `docker stack deploy
//! --detach=false` on the two-engine Swarm cluster of `fixtures/swarm/cluster.sh`,
//! each timed from spawn until the stack has converged (both wait for it), for
//! stacks of 10 and 30 services; `target/bench/swarm.md` gives the medians and
//! their ratio. Between runs the stack is removed and the bench waits until the
//! manager lists nothing of it (not timed). See docs/benchmarks.md, "Swarm".

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::BenchError;

fn setup(message: impl Into<String>) -> BenchError {
    BenchError::Setup(message.into())
}

/// A v3 stack of `size` independent services.
fn stack_file(size: usize) -> String {
    let mut text = String::from("version: \"3.8\"\nservices:\n");
    for index in 0..size {
        let _ = write!(
            text,
            "  s{index:02}:\n    image: envctl-test/busybox\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n    stop_grace_period: 1s\n    environment:\n      INDEX: \"{index}\"\n"
        );
    }
    text
}

fn docker(host: &str, arguments: &[&str]) -> Result<String, BenchError> {
    let output = Command::new("docker")
        .args(arguments)
        .env("DOCKER_HOST", host)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BenchError::Io {
            action: "run docker".to_owned(),
            source,
        })?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Removes the stack and waits until the manager lists none of its services,
/// tasks or networks.
fn remove(host: &str, stack: &str) -> Result<(), BenchError> {
    docker(host, &["stack", "rm", stack])?;
    let label = format!("label=com.docker.stack.namespace={stack}");
    for _ in 0..240 {
        let services = docker(host, &["service", "ls", "-q", "--filter", &label])?;
        let networks = docker(host, &["network", "ls", "-q", "--filter", &label])?;
        let containers = docker(host, &["ps", "-q", "--filter", &label])?;
        if services.trim().is_empty() && networks.trim().is_empty() && containers.trim().is_empty()
        {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(setup(format!("stack `{stack}` was not gone after 60 s")))
}

/// Times `program arguments` until it exits; a failure is an error.
fn timed(host: &str, program: &Path, arguments: &[&str]) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let output = Command::new(program)
        .args(arguments)
        .env("DOCKER_HOST", host)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BenchError::Io {
            action: format!("run {}", program.display()),
            source,
        })?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(setup(format!(
            "`{} {}` failed: {}",
            program.display(),
            arguments.join(" "),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(elapsed)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// Runs the comparison and writes `output/swarm.md`.
pub fn run(envctl: &Path, sizes: &[usize], runs: usize, output: &Path) -> Result<(), BenchError> {
    let script = PathBuf::from("fixtures/swarm/cluster.sh");
    let up = Command::new(&script)
        .arg("up")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BenchError::Io {
            action: "run fixtures/swarm/cluster.sh up (from the repository's root)".to_owned(),
            source,
        })?;
    if !up.status.success() {
        return Err(setup(format!(
            "the Swarm cluster could not be made: {}",
            String::from_utf8_lossy(&up.stderr)
        )));
    }
    let host = String::from_utf8_lossy(&up.stdout).trim().to_owned();
    let directory = output.join("swarm");
    let docker_cli = PathBuf::from("docker");
    let mut report = String::from(
        "# Swarm: `envctl stack deploy` against `docker stack deploy --detach=false`\n\n\
         Two engines in network namespaces (`fixtures/swarm/cluster.sh`); each figure is the\n\
         median wall time from spawn until the command returned with every service converged.\n\n\
         | services | envctl | docker stack deploy | ratio (docker / envctl) |\n|---|---|---|---|\n",
    );
    for &size in sizes {
        let project = directory.join(format!("stack-{size}"));
        std::fs::create_dir_all(&project)
            .and_then(|()| std::fs::write(project.join("docker-compose.yml"), stack_file(size)))
            .map_err(|source| BenchError::Io {
                action: format!("write {}", project.display()),
                source,
            })?;
        let file = project.join("docker-compose.yml").display().to_string();
        let (ours, theirs) = (format!("benchenv{size}"), format!("benchdock{size}"));
        remove(&host, &ours)?;
        remove(&host, &theirs)?;
        let mut envctl_times = Vec::new();
        let mut docker_times = Vec::new();
        for run in 0..runs {
            let envctl_run = |times: &mut Vec<Duration>| -> Result<(), BenchError> {
                times.push(timed(
                    &host,
                    envctl,
                    // As docker's below: the images are the cluster's own, no
                    // registry holds them (a lookup would time the registry).
                    &[
                        "stack",
                        "deploy",
                        "--resolve-image",
                        "never",
                        "-c",
                        &file,
                        &ours,
                    ],
                )?);
                remove(&host, &ours)
            };
            let docker_run = |times: &mut Vec<Duration>| -> Result<(), BenchError> {
                times.push(timed(
                    &host,
                    &docker_cli,
                    &[
                        "stack",
                        "deploy",
                        "--detach=false",
                        "--resolve-image",
                        "never",
                        "-c",
                        &file,
                        &theirs,
                    ],
                )?);
                remove(&host, &theirs)
            };
            // Turns: neither always goes first.
            if run % 2 == 0 {
                envctl_run(&mut envctl_times)?;
                docker_run(&mut docker_times)?;
            } else {
                docker_run(&mut docker_times)?;
                envctl_run(&mut envctl_times)?;
            }
            eprintln!(
                "swarm N={size} run {}: envctl {:.2} s, docker {:.2} s",
                run + 1,
                envctl_times.last().map_or(0.0, Duration::as_secs_f64),
                docker_times.last().map_or(0.0, Duration::as_secs_f64)
            );
        }
        let (envctl_median, docker_median) = (median(envctl_times), median(docker_times));
        let _ = writeln!(
            report,
            "| {size} | {:.2} s | {:.2} s | {:.2} |",
            envctl_median.as_secs_f64(),
            docker_median.as_secs_f64(),
            docker_median.as_secs_f64() / envctl_median.as_secs_f64()
        );
    }
    let _ = writeln!(report, "\n{runs} runs each, medians.");
    let path = output.join("swarm.md");
    std::fs::write(&path, &report).map_err(|source| BenchError::Io {
        action: format!("write {}", path.display()),
        source,
    })?;
    println!("{report}");
    eprintln!("report written to {}", path.display());
    Ok(())
}
