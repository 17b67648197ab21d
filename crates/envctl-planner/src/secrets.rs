//! Secrets that cannot be mounted: a plan that would create a container of a
//! service whose secret file is missing (or whose definition has no `file`) is
//! refused before anything is made.
//!
//! 1.29.2 warns when it makes the project and then asks the engine anyway, which
//! refuses that service's containers (`bind source path does not exist`) after
//! creating the others: a half-made project. envctl refuses the whole plan up front.
//! A container that is kept is not affected, as in 1.29.2: nothing is mounted anew.
//! Whether the file was there is decided once, by the parser, when it loaded the
//! project ([`SecretSource::File`]): the planner does no I/O.

use envctl_parser::{Project, SecretSource, Service};

use crate::error::{MissingSecret, PlanError};
use crate::plan::{Op, Plan};

/// The secrets of `service` that have nothing to mount.
pub fn missing_secret_files(service: &Service) -> Vec<MissingSecret> {
    service
        .secrets
        .iter()
        .filter_map(|secret| {
            let file = match &secret.definition {
                SecretSource::File { present: true, .. }
                | SecretSource::External
                | SecretSource::Undefined => return None,
                SecretSource::File { path, .. } => Some(path.clone()),
                SecretSource::NoFile => None,
            };
            Some(MissingSecret {
                service: service.name.clone(),
                secret: secret.source.clone(),
                file,
            })
        })
        .collect()
}

/// Refuses a container of `service` (`run`'s one-off) whose secrets have no file.
pub fn check_secret_files(service: &Service) -> Result<(), PlanError> {
    let missing = missing_secret_files(service);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PlanError::MissingSecretFiles { missing })
    }
}

/// Refuses `plan` when it creates or recreates a container of a service whose
/// secrets have no file (each service named once, in plan order).
pub(crate) fn check_plan(project: &Project, plan: &Plan) -> Result<(), PlanError> {
    let mut missing = Vec::new();
    // Only services with secrets are remembered: on the hot path of a plan of
    // thousands of services without any, this is one lookup per step.
    let mut seen: Vec<&str> = Vec::new();
    for step in &plan.steps {
        if !matches!(step.op, Op::Create { .. } | Op::Recreate { .. }) {
            continue;
        }
        let Some(service) = project.service(step.service.as_str()) else {
            continue;
        };
        if service.secrets.is_empty() || seen.contains(&step.service.as_str()) {
            continue;
        }
        seen.push(step.service.as_str());
        missing.extend(missing_secret_files(service));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PlanError::MissingSecretFiles { missing })
    }
}
