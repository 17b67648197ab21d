//! Settings the engine would refuse (`Service::refusals`, found by the parser) stop
//! a plan before anything is created: all of them at once, each pointing at its
//! place in the file. See: #19.

use envctl_parser::{Project, Refusal, Service};
use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::error::PlanError;
use crate::plan::{Op, Plan};

/// One refused setting, pointing at its value.
#[derive(Debug, Error, Diagnostic)]
#[error("`{path}` is invalid: {reason}")]
pub struct RefusedSetting {
    pub path: String,
    pub reason: String,
    #[source_code]
    pub source_code: Option<envctl_parser::excerpt::Excerpt>,
    #[label("the engine would refuse this")]
    pub span: Option<SourceSpan>,
}

impl RefusedSetting {
    fn new(project: &Project, refusal: &Refusal) -> Self {
        let (source_code, span) = project.sources.excerpt(refusal.span).unzip();
        Self {
            path: refusal.path.clone(),
            reason: refusal.reason.clone(),
            source_code,
            span,
        }
    }
}

/// Refuses `service` (`run`) when the engine would refuse one of its settings.
///
/// # Errors
///
/// [`PlanError::RefusedSettings`] naming every such setting.
pub fn check_refusals(project: &Project, service: &Service) -> Result<(), PlanError> {
    into_result(project, service.refusals.iter())
}

/// Refuses `plan` when a container it would create or recreate has a setting the
/// engine would refuse.
pub(crate) fn check_plan(project: &Project, plan: &Plan) -> Result<(), PlanError> {
    if project
        .services
        .values()
        .all(|service| service.refusals.is_empty())
    {
        return Ok(());
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut refusals = Vec::new();
    for step in &plan.steps {
        if !matches!(step.op, Op::Create { .. } | Op::Recreate { .. }) {
            continue;
        }
        let Some(service) = project.service(step.service.as_str()) else {
            continue;
        };
        if service.refusals.is_empty() || seen.contains(&step.service.as_str()) {
            continue;
        }
        seen.push(step.service.as_str());
        refusals.extend(service.refusals.iter());
    }
    into_result(project, refusals.into_iter())
}

fn into_result<'a>(
    project: &Project,
    refusals: impl Iterator<Item = &'a Refusal>,
) -> Result<(), PlanError> {
    let settings: Vec<RefusedSetting> = refusals
        .map(|refusal| RefusedSetting::new(project, refusal))
        .collect();
    if settings.is_empty() {
        Ok(())
    } else {
        Err(PlanError::RefusedSettings { settings })
    }
}
