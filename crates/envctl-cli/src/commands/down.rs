//! `envctl down`: stop dependents first, then remove; `-v` removes the containers'
//! anonymous volumes too; `--rmi` removes the services' images afterwards.

use envctl_executor::Engine;
use envctl_parser::Project;
use envctl_planner::{DownOptions, image_reference, plan_down};

use crate::args::{DownArgs, RemoveImages};
use crate::invocation::Invocation;
use crate::report::{Failure, print_status, print_warning};

pub async fn run(invocation: &Invocation, args: DownArgs) -> Result<(), Failure> {
    let (project, engine, observed, _lock) =
        super::prepare_locked(invocation, args.dry_run).await?;
    let options = DownOptions {
        remove_volumes: args.volumes,
        remove_orphans: args.remove_orphans,
        ignore_orphans: invocation.ignore_orphans(args.remove_orphans)?,
        timeout: args.timeout,
    };
    let plan = plan_down(&project, &observed, &options)?;
    if args.dry_run {
        return super::print_plan(&plan);
    }
    super::execute(invocation, &engine, &project, &observed, &plan).await?;
    if crate::interrupt::received() {
        return Err(Failure::interrupted());
    }
    super::resources::remove(&engine, &plan).await?;
    if let Some(images) = args.rmi {
        remove_images(&engine, &project, images).await;
    }
    Ok(())
}

/// `--rmi`, after the containers are gone, as 1.29.2's `Service.remove_image`: per
/// service in file order, `local` skipping services with an `image`; an image
/// already gone is a warning and any other refusal an error line, neither fatal.
async fn remove_images(engine: &Engine, project: &Project, images: RemoveImages) {
    for service in project.services.values() {
        if images == RemoveImages::Local && service.image.is_some() {
            continue;
        }
        let reference = image_reference(project, service);
        print_status(&format!("Removing image {reference}"));
        match engine.remove_image(&reference).await {
            Ok(true) => {}
            Ok(false) => print_warning(&format!("image `{reference}` not found")),
            Err(error) => print_status(&format!(
                "error: failed to remove image for service `{}`: {error}",
                service.name
            )),
        }
    }
}
