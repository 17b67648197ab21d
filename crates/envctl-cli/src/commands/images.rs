//! `up`'s images, before anything is created: missing images of services without
//! `build` are pulled, missing images of services with `build` are built (with
//! `--build`, every one is built, unless `--no-build`). Any image that can be
//! neither found, pulled nor built fails `up` before its first container.

use envctl_executor::{Engine, observe};
use envctl_parser::Project;
use envctl_planner::{ImageOptions, Observed, UpOptions, plan_images};
use indexmap::IndexMap;

use super::build::{BuildFlags, build_images, build_target};
use super::pull::{pull_images, report_errors};
use crate::invocation::Invocation;
use crate::report::{Failure, print_status, print_warning};

/// What `up` does about images.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImagePolicy {
    /// `--build`.
    pub build: bool,
    /// `--no-build`.
    pub no_build: bool,
    /// `--dry-run`: say what would be pulled or built, do nothing.
    pub dry_run: bool,
}

/// Makes the selected services' images present; returns `observed` with their
/// ids (re-observed when anything was pulled or built).
pub async fn ensure_images(
    invocation: &Invocation,
    engine: &Engine,
    project: &Project,
    mut observed: Observed,
    options: &UpOptions,
    policy: ImagePolicy,
) -> Result<Observed, Failure> {
    if policy.build && policy.no_build {
        return Err(Failure::usage(
            "`--build` and `--no-build` cannot be combined",
        ));
    }
    let image_plan = plan_images(
        project,
        &observed,
        options,
        ImageOptions {
            build: policy.build,
            no_build: policy.no_build,
        },
    )?;
    if image_plan.is_empty() {
        return Ok(observed);
    }
    if policy.dry_run {
        for line in image_plan.to_string().lines() {
            print_status(line);
        }
        image_plan.assume_done(&mut observed);
        return Ok(observed);
    }
    let to_pull: IndexMap<String, Vec<String>> = image_plan
        .pull
        .iter()
        .map(|(image, services)| {
            (
                image.clone(),
                services.iter().map(ToString::to_string).collect(),
            )
        })
        .collect();
    let to_build: Vec<_> = image_plan
        .build
        .iter()
        .map(|build| build.service.clone())
        .collect();
    let built_because_missing: Vec<_> = image_plan
        .build
        .iter()
        .filter(|build| build.missing)
        .map(|build| build.service.clone())
        .collect();
    let targets = to_build
        .iter()
        .map(|name| build_target(project, name, &BuildFlags::default()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut errors = pull_images(
        engine,
        &invocation.environment,
        to_pull,
        invocation.parallel_limit()?,
        false,
    )
    .await;
    if errors.is_empty() {
        errors = build_images(engine, targets, 1, false, &crate::interrupt::shutdown()).await;
    }
    if !errors.is_empty() {
        return report_errors(errors).map(|()| observed);
    }
    for name in built_because_missing {
        print_warning(&format!(
            "image for service `{name}` was built because it did not already exist; to rebuild it, use `envctl build` or `envctl up --build`"
        ));
    }
    Ok(observe(engine, project).await?)
}
