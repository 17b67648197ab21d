//! `up`'s images, before anything is created: missing images of services without
//! `build` are pulled, missing images of services with `build` are built (with
//! `--build`, every one is built, unless `--no-build`). Any image that can be
//! neither found, pulled nor built fails `up` before its first container.

use envctl_executor::{Engine, observe};
use envctl_parser::Project;
use envctl_planner::{DependencyGraph, Observed, UpOptions, image_reference};
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
    let graph = DependencyGraph::new(project)?;
    let selected = if options.services.is_empty() {
        graph.order()
    } else if options.no_deps {
        graph.only(&options.services)?
    } else {
        graph.with_dependencies(&options.services)?
    };
    let mut to_pull: IndexMap<String, Vec<String>> = IndexMap::new();
    let mut to_build = Vec::new();
    let mut built_because_missing = Vec::new();
    for name in &selected {
        let Some(service) = project.services.get(name.as_str()) else {
            continue;
        };
        let image = image_reference(project, service);
        let present = observed.images.contains_key(&image);
        let buildable = service.build.is_some();
        if buildable && policy.build {
            to_build.push(name.clone());
        } else if present {
        } else if !buildable {
            to_pull.entry(image).or_default().push(name.to_string());
        } else if policy.no_build {
            return Err(Failure::usage(format!(
                "service `{name}` needs to be built (image `{image}` is missing), but `--no-build` was passed"
            )));
        } else {
            to_build.push(name.clone());
            built_because_missing.push(name.clone());
        }
    }
    if to_pull.is_empty() && to_build.is_empty() {
        return Ok(observed);
    }
    if policy.dry_run {
        for (image, services) in &to_pull {
            print_status(&format!("would pull `{image}` for {}", services.join(", ")));
            observed
                .images
                .insert(image.clone(), "<to be pulled>".to_owned());
        }
        for name in &to_build {
            if let Some(service) = project.services.get(name.as_str()) {
                let image = image_reference(project, service);
                print_status(&format!("would build `{image}` for {name}"));
                observed.images.insert(image, "<to be built>".to_owned());
            }
        }
        return Ok(observed);
    }
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
