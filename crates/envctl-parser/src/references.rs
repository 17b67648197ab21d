//! What a service names besides itself: other services, or containers, through
//! `net`/`network_mode`/`pid`/`ipc` (`service:x`, `container:x`) and `volumes_from`.
//! Each reference to a service becomes a [`Dependency`] edge with the span of the item
//! that made it (1.29.2 `config.py` L958-964); one naming no service is a problem,
//! except `container:`/`volumes_from` names, which may be containers outside the
//! project. `links` are handled with the other list fields in `normalize.rs`.

use indexmap::IndexSet;

use crate::error::{Problem, ProblemKind};
use crate::model::{
    Dependency, DependencyKind, ModeRef, Service, ServiceName, Span, VolumesFrom, VolumesFromSource,
};
use crate::normalize::Finalizer;

/// `service:x` names a service; `container:x` names a service when one has that
/// name, else a container; anything else is a mode (`host`, `bridge`, ...).
pub(crate) fn mode_ref(text: &str, service_names: &IndexSet<String>) -> ModeRef {
    if let Some(service) = text.strip_prefix("service:") {
        ModeRef::Service(ServiceName::new(service))
    } else if let Some(container) = text.strip_prefix("container:") {
        if service_names.contains(container) {
            ModeRef::Service(ServiceName::new(container))
        } else {
            ModeRef::Container(container.to_owned())
        }
    } else {
        ModeRef::Mode(text.to_owned())
    }
}

impl Finalizer<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mode_dependency(
        &self,
        name: &str,
        key: &str,
        kind: DependencyKind,
        mode: &ModeRef,
        span: Span,
        service: &mut Service,
        problems: &mut Vec<Problem>,
    ) {
        if let ModeRef::Service(target) = mode {
            if !self.service_names.contains(target.as_str()) {
                problems.push(self.problem(
                    span,
                    ProblemKind::UndefinedService {
                        service: name.to_owned(),
                        key: match key {
                            "pid" => "pid",
                            "ipc" => "ipc",
                            "net" => "net",
                            _ => "network_mode",
                        },
                        target: target.as_str().to_owned(),
                    },
                ));
            }
            service.dependencies.push(Dependency {
                target: target.clone(),
                kind,
                span,
            });
        }
    }

    /// `volumes_from` entry: v1 `name[:mode]`; v2+ also `service:name[:mode]`,
    /// `container:name[:mode]`.
    pub(crate) fn volumes_from(&self, text: &str) -> Result<VolumesFrom, String> {
        let is_service = |candidate: &str| self.service_names.contains(candidate);
        let parts: Vec<&str> = text.split(':').collect();
        if self.v1 {
            let (source, mode) = match parts.as_slice() {
                [source] => (*source, "rw"),
                [source, mode] => (*source, *mode),
                _ => {
                    return Err(format!(
                        "`{text}` has an incorrect format, should be service[:mode]"
                    ));
                }
            };
            let source = if is_service(source) {
                VolumesFromSource::Service(ServiceName::new(source))
            } else {
                VolumesFromSource::Container(source.to_owned())
            };
            return Ok(VolumesFrom {
                source,
                mode: mode.to_owned(),
            });
        }
        let (kind, source, mode) = match parts.as_slice() {
            [source] => (None, *source, "rw"),
            [kind @ ("container" | "service"), source] => (Some(*kind), *source, "rw"),
            [source, mode] => (None, *source, *mode),
            [kind, source, mode] => (Some(*kind), *source, *mode),
            _ => return Err(format!("`{text}` has an incorrect format")),
        };
        let source = match (kind, is_service(source)) {
            (Some("container"), _) | (None, false) => {
                VolumesFromSource::Container(source.to_owned())
            }
            (Some("service") | None, true) => VolumesFromSource::Service(ServiceName::new(source)),
            (Some("service"), false) => return Err(format!("`{source}` is not a service")),
            (Some(other), _) => return Err(format!("unknown volumes_from type `{other}`")),
        };
        Ok(VolumesFrom {
            source,
            mode: mode.to_owned(),
        })
    }
}
