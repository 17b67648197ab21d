//! One bench run: for every shape and size, repetitions in which envctl,
//! docker-compose and the floor client take turns (A, B, F, A, B, F, …) on the
//! same engine, each under its own project name. After every step the bench checks
//! the engine's state, so a figure always comes from a tool that did the work.
//!
//! Sizes run largest first: when `--time-limit` cuts a run short, what is left out
//! is the small cases, not the N = 60 ones the targets are about.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bollard::Docker;

use crate::engine::{Cleanup, Container, project_state};
use crate::error::BenchError;
use crate::floor;
use crate::generate::{ProjectDef, Shape};
use crate::measure::{Finished, Runner, Sample};
use crate::trace::{self, Trace};

/// Who does the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Contender {
    Envctl,
    /// envctl over TLS (`--tls`, `tls.rs`).
    EnvctlTls,
    Compose,
    /// Raw Engine API calls (`floor.rs`).
    Floor,
}

impl Contender {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Envctl => "envctl",
            Self::EnvctlTls => "envctl-tls",
            Self::Compose => "compose",
            Self::Floor => "floor",
        }
    }
}

/// What is measured, in the order one repetition runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Config,
    Up,
    UpNoop,
    Ps,
    Down,
}

impl Step {
    pub const ALL: [Self; 5] = [Self::Config, Self::Up, Self::UpNoop, Self::Ps, Self::Down];

    /// The tool's arguments after `-p <project>`.
    fn arguments(self) -> &'static [&'static str] {
        match self {
            Self::Config => &["config", "-q"],
            Self::Up | Self::UpNoop => &["up", "-d"],
            Self::Ps => &["ps"],
            // `-v`: the data-only container's anonymous volume goes too, so that
            // nothing piles up over the repetitions.
            Self::Down => &["down", "-v"],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Config => "config -q",
            Self::Up => "up -d",
            Self::UpNoop => "up -d (no-op)",
            Self::Ps => "ps",
            Self::Down => "down -v",
        }
    }
}

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct Settings {
    pub shapes: Vec<Shape>,
    pub sizes: Vec<usize>,
    pub runs: usize,
    pub envctl: PathBuf,
    /// `None` when docker-compose 1.29.2 is not installed.
    pub compose: Option<PathBuf>,
    pub trace: bool,
    /// No new (shape, size) case starts after this long.
    pub time_limit: Option<Duration>,
    /// Where the generated projects go.
    pub projects_dir: PathBuf,
    /// `--tls`: the environment that points envctl at the TLS endpoint.
    pub tls: Option<Vec<(String, String)>>,
}

/// Every figure of a run.
#[derive(Debug, Default)]
pub struct Results {
    pub samples: BTreeMap<(Shape, usize, Contender, Step), Vec<Sample>>,
    /// `--trace`: one envctl run of each step, per shape, at the largest size.
    pub traces: Vec<(Shape, usize, Step, Trace)>,
    /// Cases not run because the time limit was reached.
    pub cut_short: Vec<(Shape, usize)>,
}

/// Everything a run shares.
pub struct Bench<'a> {
    pub settings: &'a Settings,
    pub docker: &'a Docker,
    pub runner: &'a Runner,
    pub cleanup: &'a Cleanup,
    pub interrupted: Arc<AtomicBool>,
}

impl Bench<'_> {
    /// Runs every shape and size; `results` holds whatever was measured, even when
    /// an error or Ctrl-C stops the run half-way.
    pub async fn run(&self, results: &mut Results) -> Result<(), BenchError> {
        let pid = std::process::id();
        let started = Instant::now();
        for &size in &self.settings.sizes {
            // With one service every shape is the same project: measure it once.
            let shapes = if size == 1 {
                &self.settings.shapes[..1]
            } else {
                &self.settings.shapes[..]
            };
            for &shape in shapes {
                if let Some(limit) = self.settings.time_limit
                    && started.elapsed() >= limit
                {
                    results.cut_short.push((shape, size));
                    continue;
                }
                let definition = ProjectDef::new(shape, size);
                let directory = self.settings.projects_dir.join(format!("{shape}-{size}"));
                definition
                    .write(&directory)
                    .map_err(|source| BenchError::Io {
                        action: format!("write the project in {}", directory.display()),
                        source,
                    })?;
                for repetition in 1..=self.settings.runs {
                    for contender in [
                        Contender::Envctl,
                        Contender::EnvctlTls,
                        Contender::Compose,
                        Contender::Floor,
                    ] {
                        let program = match contender {
                            Contender::Envctl => Some(self.settings.envctl.as_path()),
                            Contender::EnvctlTls if self.settings.tls.is_some() => {
                                Some(self.settings.envctl.as_path())
                            }
                            Contender::EnvctlTls => continue,
                            Contender::Compose => match &self.settings.compose {
                                Some(compose) => Some(compose.as_path()),
                                None => continue,
                            },
                            Contender::Floor => None,
                        };
                        let project =
                            format!("envctlbench{pid}_{}_{shape}{size}", contender.as_str());
                        self.cleanup.register(&project);
                        let measured = match program {
                            Some(program) => {
                                self.tool_sequence(
                                    contender,
                                    program,
                                    &directory,
                                    &project,
                                    &definition,
                                )
                                .await?
                            }
                            None => self.floor_sequence(&project, &definition).await?,
                        };
                        eprintln!(
                            "  {shape:>5} N={size:<3} run {repetition}/{}  {:<7} {}",
                            self.settings.runs,
                            contender.as_str(),
                            measured
                                .iter()
                                .map(|(step, sample)| format!(
                                    "{} {:.3}s",
                                    step.label(),
                                    sample.wall.as_secs_f64()
                                ))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        for (step, sample) in measured {
                            results
                                .samples
                                .entry((shape, size, contender, step))
                                .or_default()
                                .push(sample);
                        }
                    }
                }
            }
        }
        if self.settings.trace {
            self.trace(results).await?;
        }
        Ok(())
    }

    fn check_interrupted(&self) -> Result<(), BenchError> {
        if self.interrupted.load(Ordering::SeqCst) {
            Err(BenchError::Interrupted)
        } else {
            Ok(())
        }
    }

    async fn command(
        &self,
        program: &Path,
        project: &str,
        step: Step,
        directory: &Path,
        environment: &[(&str, &str)],
    ) -> Result<Finished, BenchError> {
        self.check_interrupted()?;
        crate::settle::warm_up(program).await;
        crate::settle::settle().await;
        let mut arguments = vec!["-p", project];
        arguments.extend_from_slice(step.arguments());
        self.runner
            .run(program, &arguments, directory, environment)
            .await
    }

    /// One repetition of a command-line tool: every step, each checked on the
    /// engine afterwards.
    async fn tool_sequence(
        &self,
        contender: Contender,
        program: &Path,
        directory: &Path,
        project: &str,
        definition: &ProjectDef,
    ) -> Result<Vec<(Step, Sample)>, BenchError> {
        let mut measured = Vec::new();
        let mut after_up = Vec::new();
        let environment: Vec<(&str, &str)> = match (contender, &self.settings.tls) {
            (Contender::EnvctlTls, Some(tls)) => tls
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str()))
                .collect(),
            _ => Vec::new(),
        };
        for step in Step::ALL {
            let finished = self
                .command(program, project, step, directory, &environment)
                .await?;
            measured.push((step, finished.sample));
            let state = project_state(self.docker, project).await?;
            let wrong = |problem: String| BenchError::Verify {
                tool: contender.as_str().to_owned(),
                step: step.label().to_owned(),
                project: project.to_owned(),
                problem,
            };
            match step {
                Step::Up => {
                    expect_running(&state, definition.size()).map_err(wrong)?;
                    after_up = state;
                }
                Step::UpNoop if state != after_up => {
                    return Err(wrong(
                        "the no-op `up` changed the project's containers".to_owned(),
                    ));
                }
                Step::Down if !state.is_empty() => {
                    return Err(wrong(format!("{} container(s) left", state.len())));
                }
                _ => {}
            }
        }
        Ok(measured)
    }

    /// One repetition of the floor client: `up` and `down` only.
    async fn floor_sequence(
        &self,
        project: &str,
        definition: &ProjectDef,
    ) -> Result<Vec<(Step, Sample)>, BenchError> {
        let wrong = |step: Step, problem: String| BenchError::Verify {
            tool: "floor".to_owned(),
            step: step.label().to_owned(),
            project: project.to_owned(),
            problem,
        };
        self.check_interrupted()?;
        crate::settle::settle().await;
        let up = floor::up(self.docker, definition, project).await?;
        let state = project_state(self.docker, project).await?;
        expect_running(&state, definition.size()).map_err(|problem| wrong(Step::Up, problem))?;
        self.check_interrupted()?;
        crate::settle::settle().await;
        let down = floor::down(self.docker, definition, project).await?;
        let state = project_state(self.docker, project).await?;
        if !state.is_empty() {
            return Err(wrong(
                Step::Down,
                format!("{} container(s) left", state.len()),
            ));
        }
        let sample = |wall: Duration| Sample {
            wall,
            max_rss_kib: 0,
        };
        Ok(vec![(Step::Up, sample(up)), (Step::Down, sample(down))])
    }

    /// `--trace`: envctl once more per shape at the largest size, with its engine
    /// calls logged.
    async fn trace(&self, results: &mut Results) -> Result<(), BenchError> {
        let Some(&size) = self.settings.sizes.iter().max() else {
            return Ok(());
        };
        let pid = std::process::id();
        for &shape in &self.settings.shapes {
            let directory = self.settings.projects_dir.join(format!("{shape}-{size}"));
            let project = format!("envctlbench{pid}_trace_{shape}{size}");
            self.cleanup.register(&project);
            for step in [Step::Up, Step::UpNoop, Step::Ps, Step::Down] {
                let finished = self
                    .command(
                        &self.settings.envctl,
                        &project,
                        step,
                        &directory,
                        &[("ENVCTL_LOG", trace::LOG_FILTER)],
                    )
                    .await?;
                let trace =
                    Trace::parse(&finished.stderr, finished.spawned_at, finished.sample.wall);
                results.traces.push((shape, size, step, trace));
            }
            eprintln!("  traced envctl on {shape} N={size}");
        }
        Ok(())
    }
}

/// `Ok` when the project has exactly `count` containers, all running.
fn expect_running(state: &[Container], count: usize) -> Result<(), String> {
    let running = state.iter().filter(|container| container.running).count();
    if state.len() == count && running == count {
        Ok(())
    } else {
        Err(format!(
            "expected {count} running container(s), found {} ({running} running)",
            state.len()
        ))
    }
}

/// The median of `samples`' wall times (the mean of the middle two for an even
/// count).
pub fn median(samples: &[Sample]) -> Option<Duration> {
    let mut walls: Vec<Duration> = samples.iter().map(|sample| sample.wall).collect();
    walls.sort_unstable();
    let middle = walls.len() / 2;
    match walls.len() {
        0 => None,
        length if length % 2 == 1 => Some(walls[middle]),
        _ => Some((walls[middle - 1] + walls[middle]) / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(milliseconds: &[u64]) -> Vec<Sample> {
        milliseconds
            .iter()
            .map(|&ms| Sample {
                wall: Duration::from_millis(ms),
                max_rss_kib: 0,
            })
            .collect()
    }

    #[test]
    fn median_takes_the_middle_sample() {
        assert_eq!(median(&samples(&[])), None);
        assert_eq!(
            median(&samples(&[30, 10, 20])),
            Some(Duration::from_millis(20))
        );
        assert_eq!(
            median(&samples(&[40, 10, 20, 30])),
            Some(Duration::from_millis(25))
        );
    }

    #[test]
    fn running_check_counts_every_container() {
        let container = |name: &str, running| Container {
            name: name.to_owned(),
            id: format!("id-{name}"),
            running,
        };
        let state = vec![container("a", true), container("b", false)];
        assert!(expect_running(&state, 2).is_err());
        assert!(expect_running(&state[..1], 1).is_ok());
        assert!(expect_running(&[], 1).is_err());
    }
}
