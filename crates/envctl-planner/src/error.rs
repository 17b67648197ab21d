//! Why a plan cannot be made.

use envctl_parser::{DependencyKind, Project, ServiceName, Span};
use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
pub enum PlanError {
    /// The services' dependencies form a loop; `path` starts and ends with the same
    /// service.
    #[error("dependency cycle: {}", render_path(path))]
    #[diagnostic(
        code(envctl::dependency_cycle),
        help("a service cannot wait for itself; remove one of these references")
    )]
    Cycle {
        path: Vec<ServiceName>,
        #[related]
        edges: Vec<CycleEdge>,
    },

    /// Settings the engine would refuse (`mem_limit: 64x`, `ports: ["99999:80"]`),
    /// found before anything is created.
    #[error("{} setting(s) the engine would refuse: {}", settings.len(), settings.iter().map(|setting| format!("`{}`", setting.path)).collect::<Vec<_>>().join(", "))]
    #[diagnostic(
        code(envctl::invalid_setting),
        help("nothing was created; correct the file and run the command again")
    )]
    RefusedSettings {
        #[related]
        settings: Vec<crate::refusals::RefusedSetting>,
    },

    /// Services whose image is not on the engine; found before anything is created.
    #[error("{} image(s) not found on the engine: {}", missing.len(), render_missing(missing))]
    #[diagnostic(
        code(envctl::missing_image),
        help(
            "`envctl up` pulls or builds missing images first; run `envctl pull` or `envctl build` to see why this one is still missing"
        )
    )]
    MissingImages { missing: Vec<(ServiceName, String)> },

    /// Containers are to be made for services whose secrets have no file to mount:
    /// the engine would refuse each of them, after the others were made. Found
    /// before anything is created.
    #[error("cannot mount {} secret(s): {}", missing.len(), render_secrets(missing))]
    #[diagnostic(
        code(envctl::missing_secret_file),
        help(
            "create the file, or point the top-level `secrets.<name>.file` at one, then run the command again; nothing was created"
        )
    )]
    MissingSecretFiles { missing: Vec<MissingSecret> },

    /// A service names a network the files do not define (1.29.2's words; found
    /// when the project is made, so `config` accepts it).
    #[error(transparent)]
    #[diagnostic(transparent)]
    UndefinedNetwork(Box<UndefinedNetwork>),

    /// A dependency of a selected service is not enabled by the active profiles.
    #[error(
        "Service \"{dependency}\" was pulled in as a dependency of service \"{dependent}\" but is not enabled by the active profiles."
    )]
    #[diagnostic(
        code(envctl::disabled_dependency),
        help(
            "add a common profile to `{dependency}` and `{dependent}`, or activate one of `{dependency}`'s with `--profile`"
        )
    )]
    DisabledDependency {
        dependency: ServiceName,
        dependent: ServiceName,
    },

    /// `--no-build`, and a selected service's image is missing and needs building.
    #[error(
        "service `{service}` needs to be built (image `{image}` is missing), but `--no-build` was passed"
    )]
    #[diagnostic(code(envctl::no_build))]
    NoBuild { service: ServiceName, image: String },

    /// `stack deploy`: settings a swarm cannot run, every one located; nothing was
    /// changed.
    #[error("{} setting(s) cannot run on a swarm; nothing was changed", settings.len())]
    #[diagnostic(
        code(envctl::stack_refused),
        help("docs/swarm.md lists what `stack deploy` translates and what it refuses")
    )]
    StackRefused {
        #[related]
        settings: Vec<crate::stack::StackRefusal>,
    },

    #[error("no such service: `{name}`")]
    #[diagnostic(code(envctl::no_such_service))]
    NoSuchService {
        name: String,
        #[help]
        help: Option<String>,
    },
}

/// A secret of a service to be created with no file to mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSecret {
    pub service: ServiceName,
    pub secret: String,
    /// The file that does not exist; `None` when the definition has no `file`.
    pub file: Option<std::path::PathBuf>,
}

/// One edge of a dependency cycle, pointing at the text that made it.
#[derive(Debug, Error, Diagnostic)]
#[error("`{from}` needs `{to}` through `{kind}`", kind = kind.key())]
#[diagnostic(severity(Advice))]
pub struct CycleEdge {
    pub from: ServiceName,
    pub to: ServiceName,
    pub kind: DependencyKind,
    #[source_code]
    pub source_code: Option<envctl_parser::excerpt::Excerpt>,
    #[label("`{from}` needs `{to}` here")]
    pub span: Option<SourceSpan>,
}

impl CycleEdge {
    pub(crate) fn new(
        project: &Project,
        from: ServiceName,
        to: ServiceName,
        kind: DependencyKind,
        span: Span,
    ) -> Self {
        let (source_code, span) = project.sources.excerpt(span).unzip();
        Self {
            from,
            to,
            kind,
            source_code,
            span,
        }
    }
}

/// A cycle longer than this is shown by its first and last few services, and only
/// its first references point into the file: a ring of 10,000 services is reported
/// in a few lines.
pub const MAX_CYCLE_SHOWN: usize = 10;

fn render_path(path: &[ServiceName]) -> String {
    let quoted = |names: &[ServiceName]| {
        names
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(" -> ")
    };
    if path.len() <= MAX_CYCLE_SHOWN + 1 {
        return quoted(path);
    }
    let half = MAX_CYCLE_SHOWN / 2;
    format!(
        "{} -> … {} more … -> {} ({} services, the first {MAX_CYCLE_SHOWN} references shown)",
        quoted(&path[..half]),
        path.len() - 2 * half,
        quoted(&path[path.len() - half..]),
        path.len() - 1,
    )
}

fn render_missing(missing: &[(ServiceName, String)]) -> String {
    missing
        .iter()
        .map(|(service, image)| format!("`{image}` for `{service}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_secrets(missing: &[MissingSecret]) -> String {
    missing
        .iter()
        .map(|secret| match &secret.file {
            Some(file) => format!(
                "`{}` of service `{}` reads `{}`, which does not exist",
                secret.secret,
                secret.service,
                file.display()
            ),
            None => format!(
                "`{}` of service `{}` has no `file`",
                secret.secret, secret.service
            ),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A service names a network the files do not define.
#[derive(Debug, Error, Diagnostic)]
#[error("Service \"{service}\" uses an undefined network \"{network}\"")]
#[diagnostic(
    code(envctl::undefined_network),
    help("define `{network}` under the top-level `networks`, or remove it from the service")
)]
pub struct UndefinedNetwork {
    pub service: String,
    pub network: String,
    #[source_code]
    pub source_code: Option<envctl_parser::excerpt::Excerpt>,
    #[label("this service")]
    pub span: Option<SourceSpan>,
}

/// Every service's networks are defined in the files (or are `default`), as
/// 1.29.2's `ProjectNetworks.from_services` checks when it makes the project.
pub fn check_networks(project: &Project) -> Result<(), PlanError> {
    for service in project.services.values() {
        if let Some(network) = service
            .networks
            .keys()
            .find(|name| name.as_str() != "default" && !project.networks.contains_key(*name))
        {
            let (source_code, span) = project.sources.excerpt(service.span).unzip();
            return Err(PlanError::UndefinedNetwork(Box::new(UndefinedNetwork {
                service: service.name.to_string(),
                network: network.clone(),
                source_code,
                span,
            })));
        }
    }
    Ok(())
}
