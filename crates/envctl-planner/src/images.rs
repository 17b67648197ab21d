//! `up`'s image phase, planned: which images of the services `up` acts on are
//! pulled, which are built, before anything is created (1.29.2
//! `Service.ensure_image_exists`, called by `Project.up` for the services
//! `get_services` returns, profiles included).
//!
//! A service with `build` is built when `--build` asks for it or when its image is
//! missing (refused under `--no-build`); a missing image of a service without
//! `build` is pulled, once for every service that uses it. The selection is
//! `plan_up`'s own ([`crate::profiles`]), so that a service of an inactive
//! profile is never pulled nor built.

use std::fmt;

use envctl_parser::{Project, ServiceName};
use indexmap::IndexMap;

use crate::error::PlanError;
use crate::graph::DependencyGraph;
use crate::observed::Observed;
use crate::plan::{UpOptions, image_reference};

/// What `up` (or `run`) was asked about images.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageOptions {
    /// `--build`: build every selected service that has `build`.
    pub build: bool,
    /// `--no-build`: a missing image that needs building is an error.
    pub no_build: bool,
}

/// A service's image to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildImage {
    pub service: ServiceName,
    /// The tag the image gets (`image`, else `<prefix>_<service>`).
    pub image: String,
    /// Built because it was missing (not because of `--build`): `up` says so.
    pub missing: bool,
}

/// The images to make present before `up` creates anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagePlan {
    /// Image → the services that use it, in dependency order.
    pub pull: IndexMap<String, Vec<ServiceName>>,
    /// In dependency order.
    pub build: Vec<BuildImage>,
}

impl ImagePlan {
    pub fn is_empty(&self) -> bool {
        self.pull.is_empty() && self.build.is_empty()
    }

    /// Records the images as present in `observed` under a placeholder id, so that
    /// `--dry-run` can plan the containers as if they had been pulled or built.
    pub fn assume_done(&self, observed: &mut Observed) {
        for image in self.pull.keys() {
            observed
                .images
                .insert(image.clone(), "<to be pulled>".to_owned());
        }
        for build in &self.build {
            observed
                .images
                .insert(build.image.clone(), "<to be built>".to_owned());
        }
    }
}

/// `--dry-run`'s lines: `would pull `image` for a, b`, `would build `image` for a`.
impl fmt::Display for ImagePlan {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (image, services) in &self.pull {
            let names: Vec<&str> = services.iter().map(ServiceName::as_str).collect();
            writeln!(formatter, "would pull `{image}` for {}", names.join(", "))?;
        }
        for build in &self.build {
            writeln!(
                formatter,
                "would build `{}` for {}",
                build.image, build.service
            )?;
        }
        Ok(())
    }
}

/// Plans the image phase of `up` for `options` (the services, `--no-deps` and the
/// active profiles, as `plan_up` selects them).
pub fn plan_images(
    project: &Project,
    observed: &Observed,
    options: &UpOptions,
    images: ImageOptions,
) -> Result<ImagePlan, PlanError> {
    let graph = DependencyGraph::new(project)?;
    let selected = crate::profiles::select(
        project,
        &graph,
        &options.services,
        options.no_deps,
        &options.profiles,
    )?;
    let mut plan = ImagePlan::default();
    for name in &selected {
        let Some(service) = project.services.get(name.as_str()) else {
            continue;
        };
        let image = image_reference(project, service);
        let present = observed.images.contains_key(&image);
        let buildable = service.build.is_some();
        if buildable && images.build {
            plan.build.push(BuildImage {
                service: name.clone(),
                image,
                missing: false,
            });
        } else if present {
        } else if !buildable {
            plan.pull.entry(image).or_default().push(name.clone());
        } else if images.no_build {
            return Err(PlanError::NoBuild {
                service: name.clone(),
                image,
            });
        } else {
            plan.build.push(BuildImage {
                service: name.clone(),
                image,
                missing: true,
            });
        }
    }
    Ok(plan)
}

/// `down --rmi`: the images to remove, a service at a time in file order (1.29.2
/// `Project.down` → `Service.remove_image`): every service's, or with
/// `local_only` only those of services without `image` (the ones `build` named).
pub fn image_removals(project: &Project, local_only: bool) -> Vec<(ServiceName, String)> {
    project
        .services
        .values()
        .filter(|service| !local_only || service.image.is_none())
        .map(|service| (service.name.clone(), image_reference(project, service)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        envctl_parser::parse_str(
            "docker-compose.yml",
            r#"
version: "3.9"
services:
  db: {image: postgres}
  cache: {image: postgres}
  app: {build: ., depends_on: [db]}
  extra: {image: never-pulled, profiles: [extra]}
"#,
        )
        .expect("loads")
    }

    fn check(options: &UpOptions, images: ImageOptions, present: &[&str], expect: &str) {
        let project = project();
        let mut observed = Observed::default();
        for image in present {
            observed.images.insert((*image).to_owned(), "id".to_owned());
        }
        let plan = plan_images(&project, &observed, options, images).expect("plans");
        assert_eq!(plan.to_string(), expect);
    }

    // See: #17
    #[test]
    fn an_inactive_profile_is_neither_pulled_nor_built() {
        let all = UpOptions::default();
        check(
            &all,
            ImageOptions::default(),
            &[],
            "would pull `postgres` for db, cache\nwould build `envctl_app` for app\n",
        );
        let extra = UpOptions {
            profiles: vec!["extra".to_owned()],
            ..UpOptions::default()
        };
        check(
            &extra,
            ImageOptions::default(),
            &["postgres", "envctl_app"],
            "would pull `never-pulled` for extra\n",
        );
        let named = UpOptions {
            services: vec!["extra".into()],
            ..UpOptions::default()
        };
        check(
            &named,
            ImageOptions::default(),
            &[],
            "would pull `never-pulled` for extra\n",
        );
    }

    #[test]
    fn build_and_no_deps_choose_what_is_built() {
        let app = UpOptions {
            services: vec!["app".into()],
            no_deps: true,
            ..UpOptions::default()
        };
        let build = ImageOptions {
            build: true,
            no_build: false,
        };
        check(
            &app,
            build,
            &["envctl_app"],
            "would build `envctl_app` for app\n",
        );
        check(&app, ImageOptions::default(), &["envctl_app"], "");
        let no_build = ImageOptions {
            build: false,
            no_build: true,
        };
        let error = plan_images(&project(), &Observed::default(), &app, no_build)
            .expect_err("needs a build");
        assert_eq!(
            error.to_string(),
            "service `app` needs to be built (image `envctl_app` is missing), but `--no-build` was passed"
        );
    }
}
