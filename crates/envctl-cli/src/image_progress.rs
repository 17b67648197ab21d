//! Progress of pulls and builds in the `--progress` mode: on a terminal a live bar
//! per image (layers done, bytes); otherwise plain lines (a line per layer status
//! change) or JSON objects. Build logs go to stdout, as docker-compose writes them.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, PoisonError};

use envctl_ops::types::{ImageEvent, ImageSink};
use indexmap::IndexMap;

use crate::args::ProgressMode;
use crate::progress as report;

/// What is being done to an image.
pub use envctl_ops::types::ImageJob as Job;

fn verb(job: Job) -> &'static str {
    match job {
        Job::Pull => "Pulling",
        Job::Build => "Building",
    }
}

/// Draws every image job of one command.
pub struct ImageProgress {
    mode: ProgressMode,
    quiet: bool,
    bars: Option<indicatif::MultiProgress>,
}

/// One job's handle: its sink for the executor, and its end.
pub struct JobView {
    job: Job,
    label: String,
    mode: ProgressMode,
    quiet: bool,
    bar: Option<indicatif::ProgressBar>,
    pub sink: ImageSink,
}

#[derive(Default)]
struct Layers {
    /// Layer id → (status, current, total).
    layers: IndexMap<String, (String, u64, u64)>,
}

impl ImageProgress {
    /// `quiet`: nothing but errors.
    pub fn new(quiet: bool) -> Self {
        let (mode, _) = report::progress_mode();
        // Bars are status lines: not drawn above `--log-level info`.
        let bars = (mode == ProgressMode::Tty && !quiet && report::shows(report::Level::Info))
            .then(|| {
                indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr())
            });
        Self { mode, quiet, bars }
    }

    /// Starts showing `job` of `label`'s `image`.
    pub fn start(&self, job: Job, label: &str, image: &str, width: usize) -> JobView {
        let padded = format!("{label:<width$}");
        let bar = self.bars.as_ref().map(|bars| {
            let bar = bars.add(indicatif::ProgressBar::new(0));
            let template = match job {
                Job::Pull => "{prefix} {msg} [{bar:25}] {bytes}/{total_bytes}",
                Job::Build => "{prefix} {spinner} {wide_msg}",
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(format!("{} {padded}", verb(job)));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        if !self.quiet {
            match self.mode {
                ProgressMode::Plain => {
                    report::print_status(&format!("{} {label} ({image})...", verb(job)));
                }
                ProgressMode::Json => json_line(job, label, image, "start", None, None, None),
                ProgressMode::Tty => {}
            }
        }
        let sink = self.sink(job, label, image, bar.clone());
        JobView {
            job,
            label: padded,
            mode: self.mode,
            quiet: self.quiet,
            bar,
            sink,
        }
    }

    fn sink(
        &self,
        job: Job,
        label: &str,
        image: &str,
        bar: Option<indicatif::ProgressBar>,
    ) -> ImageSink {
        let mode = self.mode;
        let quiet = self.quiet;
        let label = label.to_owned();
        let image = image.to_owned();
        let state = Mutex::new(Layers::default());
        let bars = self.bars.clone();
        Arc::new(move |event: ImageEvent| {
            if let ImageEvent::Log(line) = &event {
                // The build's log is output, on stdout (not with `-q`).
                if quiet {
                    return;
                }
                match (&bars, mode) {
                    (Some(bars), _) if std::io::stdout().is_terminal() => {
                        let _ = bars.println(line);
                        if let Some(bar) = &bar {
                            bar.set_message(line.clone());
                        }
                    }
                    (None, ProgressMode::Json) => {
                        json_line(job, &label, &image, "log", Some(line), None, None);
                    }
                    _ => {
                        if let Some(bar) = &bar {
                            bar.set_message(line.clone());
                        }
                        let _ = report::print_line(line);
                    }
                }
                return;
            }
            if quiet {
                return;
            }
            match event {
                ImageEvent::Layer {
                    id,
                    status,
                    current,
                    total,
                } => {
                    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                    let entry = state
                        .layers
                        .entry(id.clone())
                        .or_insert_with(|| (String::new(), 0, 0));
                    let changed = entry.0 != status;
                    entry.0.clone_from(&status);
                    if let Some(total) = total.filter(|total| *total > 0) {
                        entry.2 = total;
                    }
                    // The bar counts downloaded bytes: extracting restarts the
                    // layer's count, so it shows as downloaded.
                    if status == "Downloading" {
                        if let Some(current) = current {
                            entry.1 = current;
                        }
                    } else if matches!(
                        status.as_str(),
                        "Download complete" | "Extracting" | "Pull complete"
                    ) {
                        entry.1 = entry.2;
                    }
                    match mode {
                        ProgressMode::Tty => {
                            if let Some(bar) = &bar {
                                let done = state
                                    .layers
                                    .values()
                                    .filter(|(status, _, _)| {
                                        matches!(
                                            status.as_str(),
                                            "Pull complete" | "Already exists"
                                        )
                                    })
                                    .count();
                                let total: u64 = state.layers.values().map(|layer| layer.2).sum();
                                let current: u64 = state.layers.values().map(|layer| layer.1).sum();
                                bar.set_length(total);
                                bar.set_position(current.min(total));
                                bar.set_message(format!("{done}/{} layers", state.layers.len()));
                            }
                        }
                        ProgressMode::Plain => {
                            if changed {
                                let bytes = match (current, total) {
                                    (Some(current), Some(total)) if total > 0 => {
                                        format!(" {current}/{total} bytes")
                                    }
                                    _ => String::new(),
                                };
                                report::print_status(&format!("{label}: {id}: {status}{bytes}"));
                            }
                        }
                        ProgressMode::Json => {
                            json_line(job, &label, &image, &status, Some(&id), current, total);
                        }
                    }
                }
                ImageEvent::Status(status) => match mode {
                    ProgressMode::Tty => {}
                    ProgressMode::Plain => report::print_status(&format!("{label}: {status}")),
                    ProgressMode::Json => {
                        json_line(job, &label, &image, &status, None, None, None);
                    }
                },
                ImageEvent::Log(_) => {}
            }
        })
    }
}

impl JobView {
    /// Ends the job's display: `done` or `error`.
    pub fn finish(&self, ok: bool) {
        let word = if ok { "done" } else { "error" };
        if let Some(bar) = &self.bar {
            bar.set_style(
                indicatif::ProgressStyle::with_template("{prefix} ... {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.finish_with_message(word);
            return;
        }
        if self.quiet {
            return;
        }
        match self.mode {
            ProgressMode::Json => {
                let label = self.label.trim_end();
                json_line(self.job, label, "", word, None, None, None);
            }
            _ => report::print_status(&format!("{} {} ... {word}", verb(self.job), self.label)),
        }
    }
}

fn json_line(
    job: Job,
    service: &str,
    image: &str,
    status: &str,
    detail: Option<&str>,
    current: Option<u64>,
    total: Option<u64>,
) {
    let mut object: HashMap<&str, serde_json::Value> = HashMap::new();
    object.insert(
        "action",
        match job {
            Job::Pull => "pull",
            Job::Build => "build",
        }
        .into(),
    );
    object.insert("service", service.into());
    if !image.is_empty() {
        object.insert("image", image.into());
    }
    object.insert("status", status.into());
    if let Some(detail) = detail {
        object.insert(
            if job == Job::Pull { "layer" } else { "line" },
            detail.into(),
        );
    }
    if let Some(current) = current {
        object.insert("current", current.into());
    }
    if let Some(total) = total {
        object.insert("total", total.into());
    }
    if let Ok(text) = serde_json::to_string(&object) {
        report::print_status(&text);
    }
}
