//! Carries out the image work a command was planned to do: pulls and builds (the
//! image phase of `up` and `run`, `envctl pull`, `envctl build`) and `down --rmi`'s
//! removals. Which images, for which services, was decided by the planner
//! (`plan_images`, `image_removals`) or the operations layer; this module only
//! talks to the engine, through the executor's one bounded mechanism
//! (`parallel.rs`), and reports progress to the caller.

use std::sync::Arc;

use envctl_parser::ServiceName;
use indexmap::IndexMap;
use tokio_util::sync::CancellationToken;

use crate::docker::{BuildFailure, Engine};
use crate::error::ExecutorError;
use crate::image::{BuildRequest, ImageSink, registry_auth};
use crate::parallel::bounded;

/// What is being done to an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageJob {
    Pull,
    Build,
}

/// One job's progress: its events, then its end (`true` when it succeeded).
pub struct JobView {
    pub sink: ImageSink,
    pub finish: Box<dyn FnOnce(bool) + Send>,
}

/// Starts showing a job: `(job, label, image)`, the label being the services the
/// image is for, comma-separated.
pub type ImageReporter = Arc<dyn Fn(ImageJob, &str, &str) -> JobView + Send + Sync>;

/// A reporter that shows nothing.
pub fn silent_reporter() -> ImageReporter {
    Arc::new(|_, _, _| JobView {
        sink: Arc::new(|_| {}),
        finish: Box::new(|_| {}),
    })
}

/// Pulls `targets` (image → the services that use it), `parallel` at a time, each
/// with the credentials `docker_config` (the text of the docker CLI's
/// `config.json`) holds for its registry; returns the failures in the targets'
/// order, each naming its services and image. Every job is shown at once.
pub async fn pull_images(
    engine: &Engine,
    targets: &IndexMap<String, Vec<String>>,
    docker_config: Option<Arc<str>>,
    parallel: usize,
    reporter: &ImageReporter,
) -> Vec<ExecutorError> {
    // Every pull is shown at once, also when they run one at a time.
    let jobs: Vec<(String, String, JobView)> = targets
        .iter()
        .map(|(image, services)| {
            let label = services.join(",");
            let view = reporter(ImageJob::Pull, &label, image);
            (image.clone(), label, view)
        })
        .collect();
    let results = bounded(jobs, parallel, None, |(image, label, view)| {
        let engine = engine.clone();
        let auth = docker_config
            .as_deref()
            .and_then(|config| registry_auth(config, &image));
        async move {
            let result = engine.pull_image(&image, auth.as_ref(), &view.sink).await;
            (view.finish)(result.is_ok());
            result.err().map(|source| ExecutorError::Pull {
                service: label,
                image,
                source,
            })
        }
    })
    .await;
    results.into_iter().flatten().flatten().collect()
}

/// Builds `targets` (service, request), `parallel` at a time (one: in order, each
/// shown when its build starts); returns the failures in order. Once `shutdown` is
/// cancelled no further build starts.
pub async fn build_images(
    engine: &Engine,
    targets: Vec<(String, BuildRequest)>,
    parallel: usize,
    reporter: &ImageReporter,
    shutdown: &CancellationToken,
) -> Vec<ExecutorError> {
    let in_order = parallel <= 1;
    let results = bounded(targets, parallel, Some(shutdown), |(service, request)| {
        // In parallel every build is shown at once; one at a time, each when it starts.
        let early = (!in_order).then(|| reporter(ImageJob::Build, &service, &request.tag));
        let reporter = Arc::clone(reporter);
        let engine = engine.clone();
        let shutdown = shutdown.clone();
        async move {
            let view = early.unwrap_or_else(|| reporter(ImageJob::Build, &service, &request.tag));
            if shutdown.is_cancelled() {
                (view.finish)(false);
                return None;
            }
            let result = engine.build_image(&request, &view.sink).await;
            (view.finish)(result.is_ok());
            result
                .err()
                .map(|failure| build_error(service, request.tag, failure))
        }
    })
    .await;
    results.into_iter().flatten().flatten().collect()
}

fn build_error(service: String, image: String, failure: BuildFailure) -> ExecutorError {
    let reason = match failure {
        BuildFailure::Context(error) => match std::error::Error::source(&error) {
            Some(source) => format!("{error}: {source}"),
            None => error.to_string(),
        },
        BuildFailure::Engine(error) => error.message(),
    };
    ExecutorError::Build {
        service,
        image,
        reason,
    }
}

/// What removing one image came to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemovalEvent {
    /// About to remove `image`.
    Removing { image: String },
    /// There was no such image.
    NotFound { image: String },
    /// The engine refused.
    Failed {
        service: ServiceName,
        message: String,
    },
}

/// `down --rmi`: removes (untags) each image in the order given, one at a time; an
/// image already gone or refused is reported, and the next one is still removed
/// (1.29.2 `Service.remove_image`).
pub async fn remove_images(
    engine: &Engine,
    images: &[(ServiceName, String)],
    report: &(dyn Fn(RemovalEvent) + Sync),
) {
    for (service, image) in images {
        report(RemovalEvent::Removing {
            image: image.clone(),
        });
        match engine.remove_image(image).await {
            Ok(true) => {}
            Ok(false) => report(RemovalEvent::NotFound {
                image: image.clone(),
            }),
            Err(error) => report(RemovalEvent::Failed {
                service: service.clone(),
                message: error.to_string(),
            }),
        }
    }
}
