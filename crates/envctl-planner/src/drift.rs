//! How a network or volume that already exists differs from the file.
//!
//! `up` (and `run`) use an existing network or volume of the project as it is, but
//! only when it still is what the file says: 1.29.2's `check_remote_network_config`
//! and `check_remote_volume_config` (`network.py`, `volume.py`) refuse a network
//! whose driver, driver options, IPAM settings, `internal` or `enable_ipv6` changed,
//! and a volume whose driver or driver options changed, and only warn about
//! changed labels. Anything the file leaves unset is not compared (the engine
//! chose it). External networks and volumes are never compared.
//!
//! The executor inspects the resource and hands the engine's answer over as plain
//! data ([`ObservedNetwork`], [`ObservedVolume`]); the decision is made here.

use envctl_parser::{IpamPool, Project, Span};
use indexmap::IndexMap;
use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::resources::{NetworkResource, VolumeResource};

/// Driver options the engine sets on its own (1.29.2 `OPTS_EXCEPTIONS`).
const ENGINE_NETWORK_OPTIONS: [&str; 3] = [
    "com.docker.network.driver.overlay.vxlanid_list",
    "com.docker.network.windowsshim.hnsid",
    "com.docker.network.windowsshim.networkname",
];

/// An existing network, as the engine describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedNetwork {
    pub driver: String,
    pub options: IndexMap<String, String>,
    pub ipam_driver: String,
    pub ipam_pools: Vec<IpamPool>,
    pub ipam_options: IndexMap<String, String>,
    pub internal: bool,
    pub enable_ipv6: bool,
    pub labels: IndexMap<String, String>,
}

/// An existing volume, as the engine describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedVolume {
    pub driver: String,
    pub options: IndexMap<String, String>,
    pub labels: IndexMap<String, String>,
}

/// The first setting that differs, with both values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changed: "its driver", "its driver option `mtu`", …
    pub what: String,
    /// What the file says (`none` when it sets nothing there).
    pub file: String,
    /// What the engine has.
    pub engine: String,
}

/// What comparing one resource found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// A setting that cannot be changed in place: `up` must stop.
    pub change: Option<Change>,
    /// Labels that differ: said, not fatal.
    pub warnings: Vec<String>,
}

/// Compares an existing network with the file's (1.29.2 `check_remote_network_config`).
pub fn network_drift(local: &NetworkResource, remote: &ObservedNetwork) -> Drift {
    let change = network_change(local, remote);
    let warnings = label_warnings("network", &local.name, &local.labels, &remote.labels);
    Drift { change, warnings }
}

/// Compares an existing volume with the file's (1.29.2 `check_remote_volume_config`).
pub fn volume_drift(local: &VolumeResource, remote: &ObservedVolume) -> Drift {
    let change = if let Some(driver) = local.driver.as_ref().filter(|d| **d != remote.driver) {
        Some(Change {
            what: "its driver".to_owned(),
            file: driver.clone(),
            engine: remote.driver.clone(),
        })
    } else {
        option_change(
            "its driver option",
            &local.driver_opts,
            &remote.options,
            |key| key.starts_with("com.docker."),
        )
    };
    let warnings = label_warnings("volume", &local.name, &local.labels, &remote.labels);
    Drift { change, warnings }
}

fn network_change(local: &NetworkResource, remote: &ObservedNetwork) -> Option<Change> {
    if let Some(driver) = local.driver.as_ref().filter(|d| **d != remote.driver) {
        return Some(Change {
            what: "its driver".to_owned(),
            file: driver.clone(),
            engine: remote.driver.clone(),
        });
    }
    if let Some(change) = option_change(
        "its driver option",
        &local.driver_opts,
        &remote.options,
        |key| ENGINE_NETWORK_OPTIONS.contains(&key),
    ) {
        return Some(change);
    }
    if let Some(ipam) = &local.ipam {
        if let Some(driver) = ipam.driver.as_ref().filter(|d| **d != remote.ipam_driver) {
            return Some(Change {
                what: "its IPAM driver".to_owned(),
                file: driver.clone(),
                engine: remote.ipam_driver.clone(),
            });
        }
        if let Some(change) = pools_change(&ipam.config, &remote.ipam_pools) {
            return Some(change);
        }
        if let Some(change) = option_change(
            "its IPAM option",
            &ipam.options,
            &remote.ipam_options,
            |_| false,
        ) {
            return Some(change);
        }
    }
    let flags = [
        ("internal", local.internal, remote.internal),
        ("enable_ipv6", local.enable_ipv6, remote.enable_ipv6),
    ];
    flags.into_iter().find_map(|(key, file, engine)| {
        file.filter(|file| *file != engine).map(|file| Change {
            what: format!("`{key}`"),
            file: file.to_string(),
            engine: engine.to_string(),
        })
    })
}

/// The IPAM pools, when the file gives any: as many as the engine's, and each
/// (matched by subnet) with the same subnet, gateway (when the file sets one), IP
/// range and auxiliary addresses.
fn pools_change(local: &[IpamPool], remote: &[IpamPool]) -> Option<Change> {
    if local.is_empty() {
        return None;
    }
    if local.len() != remote.len() {
        return Some(Change {
            what: "the number of its IPAM pools".to_owned(),
            file: local.len().to_string(),
            engine: remote.len().to_string(),
        });
    }
    let sorted = |pools: &[IpamPool]| {
        let mut pools = pools.to_vec();
        pools.sort_by(|a, b| a.subnet.cmp(&b.subnet));
        pools
    };
    for (file, engine) in sorted(local).iter().zip(sorted(remote).iter()) {
        let differs = |what: &str, file: Option<&String>, engine: Option<&String>| {
            (non_empty(file) != non_empty(engine)).then(|| Change {
                what: format!("the {what} of an IPAM pool"),
                file: shown(file),
                engine: shown(engine),
            })
        };
        if let Some(change) = differs("subnet", file.subnet.as_ref(), engine.subnet.as_ref()) {
            return Some(change);
        }
        if file.gateway.is_some()
            && let Some(change) = differs("gateway", file.gateway.as_ref(), engine.gateway.as_ref())
        {
            return Some(change);
        }
        if let Some(change) = differs("IP range", file.ip_range.as_ref(), engine.ip_range.as_ref())
        {
            return Some(change);
        }
        let mut file_aux: Vec<_> = file.aux_addresses.iter().collect();
        let mut engine_aux: Vec<_> = engine.aux_addresses.iter().collect();
        file_aux.sort();
        engine_aux.sort();
        if file_aux != engine_aux {
            return Some(Change {
                what: "the auxiliary addresses of an IPAM pool".to_owned(),
                file: render_map(&file_aux),
                engine: render_map(&engine_aux),
            });
        }
    }
    None
}

/// The first key (in sorted order) whose value differs between the two maps.
fn option_change(
    what: &str,
    local: &IndexMap<String, String>,
    remote: &IndexMap<String, String>,
    ignored: impl Fn(&str) -> bool,
) -> Option<Change> {
    let mut keys: Vec<&String> = local.keys().chain(remote.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| !ignored(key))
        .find(|key| local.get(*key) != remote.get(*key))
        .map(|key| Change {
            what: format!("{what} `{key}`"),
            file: shown(local.get(key)),
            engine: shown(remote.get(key)),
        })
}

/// A warning per user label (not `com.docker.*`) that differs, in sorted order.
fn label_warnings(
    kind: &str,
    name: &str,
    local: &IndexMap<String, String>,
    remote: &IndexMap<String, String>,
) -> Vec<String> {
    let mut keys: Vec<&String> = local.keys().chain(remote.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| !key.starts_with("com.docker."))
        .filter(|key| local.get(*key) != remote.get(*key))
        .map(|key| {
            format!("{kind} `{name}`: label `{key}` has changed; it may need to be recreated")
        })
        .collect()
}

fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|value| !value.is_empty())
}

fn shown(value: Option<&String>) -> String {
    non_empty(value).map_or_else(|| "none".to_owned(), ToOwned::to_owned)
}

fn render_map(entries: &[(&String, &String)]) -> String {
    if entries.is_empty() {
        return "none".to_owned();
    }
    entries
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An existing network or volume that differs from the file in a way `up` cannot
/// change in place.
#[derive(Debug, Error, Diagnostic)]
#[error(
    "{kind} `{name}` needs to be recreated: {what} has changed (the file says `{file}`, the engine has `{engine}`)"
)]
#[diagnostic(code(envctl::resource_changed))]
pub struct ResourceChanged {
    /// `network` or `volume`.
    pub kind: &'static str,
    /// The engine's name.
    pub name: String,
    /// The key in the file.
    pub key: String,
    pub what: String,
    pub file: String,
    pub engine: String,
    #[help]
    pub help: String,
    #[source_code]
    pub source_code: Option<envctl_parser::excerpt::Excerpt>,
    #[label("`{key}` is defined here")]
    pub span: Option<SourceSpan>,
}

impl ResourceChanged {
    /// The error for `change` of the network `resource`, pointing at its definition.
    pub fn network(project: &Project, resource: &NetworkResource, change: Change) -> Self {
        let span = project
            .networks
            .get(&resource.key)
            .and_then(|definition| definition.span);
        Self::new(
            project,
            "network",
            &resource.name,
            &resource.key,
            change,
            format!(
                "the containers on it must go first: `envctl down` removes them and the project's networks, then `envctl up` makes `{}` again as the file says",
                resource.name
            ),
            span,
        )
    }

    /// The error for `change` of the volume `resource`, pointing at its definition.
    pub fn volume(project: &Project, resource: &VolumeResource, change: Change) -> Self {
        let span = project
            .volumes
            .get(&resource.key)
            .and_then(|definition| definition.span);
        Self::new(
            project,
            "volume",
            &resource.name,
            &resource.key,
            change,
            format!(
                "envctl never removes a volume on its own: change the file back, or, if its data may go, `envctl down` and `docker volume rm {}`, then `envctl up` again",
                resource.name
            ),
            span,
        )
    }

    fn new(
        project: &Project,
        kind: &'static str,
        name: &str,
        key: &str,
        change: Change,
        help: String,
        span: Option<Span>,
    ) -> Self {
        let (source_code, span) = span.and_then(|span| project.sources.excerpt(span)).unzip();
        Self {
            kind,
            name: name.to_owned(),
            key: key.to_owned(),
            what: change.what,
            file: change.file,
            engine: change.engine,
            help,
            source_code,
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use envctl_parser::Ipam;

    use super::*;

    fn network() -> NetworkResource {
        NetworkResource {
            key: "front".to_owned(),
            name: "app_front".to_owned(),
            label: "front".to_owned(),
            external: false,
            driver: None,
            driver_opts: IndexMap::new(),
            labels: IndexMap::new(),
            internal: None,
            enable_ipv6: None,
            ipam: None,
        }
    }

    fn bridge() -> ObservedNetwork {
        ObservedNetwork {
            driver: "bridge".to_owned(),
            ipam_driver: "default".to_owned(),
            ipam_pools: vec![pool("172.30.0.0/16", Some("172.30.0.1"))],
            labels: [("com.docker.compose.network".to_owned(), "front".to_owned())]
                .into_iter()
                .collect(),
            ..ObservedNetwork::default()
        }
    }

    fn pool(subnet: &str, gateway: Option<&str>) -> IpamPool {
        IpamPool {
            subnet: Some(subnet.to_owned()),
            gateway: gateway.map(ToOwned::to_owned),
            ..IpamPool::default()
        }
    }

    fn map(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn what_the_file_leaves_unset_is_not_compared() {
        assert_eq!(network_drift(&network(), &bridge()), Drift::default());
    }

    #[test]
    fn a_changed_driver_is_a_change() {
        let local = NetworkResource {
            driver: Some("macvlan".to_owned()),
            ..network()
        };
        let change = network_drift(&local, &bridge()).change.unwrap();
        assert_eq!(change.what, "its driver");
        assert_eq!(
            (change.file.as_str(), change.engine.as_str()),
            ("macvlan", "bridge")
        );
    }

    #[test]
    fn driver_options_are_compared_both_ways_but_the_engines_own_are_not() {
        let local = NetworkResource {
            driver_opts: map(&[("com.docker.network.driver.mtu", "1400")]),
            ..network()
        };
        let change = network_drift(&local, &bridge()).change.unwrap();
        assert_eq!(
            change.what,
            "its driver option `com.docker.network.driver.mtu`"
        );
        assert_eq!(
            (change.file.as_str(), change.engine.as_str()),
            ("1400", "none")
        );
        let remote = ObservedNetwork {
            options: map(&[("com.docker.network.windowsshim.hnsid", "x")]),
            ..bridge()
        };
        assert_eq!(network_drift(&network(), &remote).change, None);
    }

    #[test]
    fn ipam_pools_are_matched_by_subnet_and_a_gateway_the_engine_chose_is_fine() {
        let ipam = |pools: Vec<IpamPool>| NetworkResource {
            ipam: Some(Ipam {
                driver: None,
                config: pools,
                options: IndexMap::new(),
            }),
            ..network()
        };
        let same = ipam(vec![pool("172.30.0.0/16", None)]);
        assert_eq!(network_drift(&same, &bridge()).change, None);
        let other_subnet = ipam(vec![pool("172.31.0.0/16", None)]);
        let change = network_drift(&other_subnet, &bridge()).change.unwrap();
        assert_eq!(change.what, "the subnet of an IPAM pool");
        let other_gateway = ipam(vec![pool("172.30.0.0/16", Some("172.30.0.254"))]);
        let change = network_drift(&other_gateway, &bridge()).change.unwrap();
        assert_eq!(change.what, "the gateway of an IPAM pool");
        let two = ipam(vec![pool("172.30.0.0/16", None), pool("10.9.0.0/24", None)]);
        let change = network_drift(&two, &bridge()).change.unwrap();
        assert_eq!(change.what, "the number of its IPAM pools");
    }

    #[test]
    fn internal_is_compared_only_when_the_file_sets_it() {
        let local = NetworkResource {
            internal: Some(true),
            ..network()
        };
        let change = network_drift(&local, &bridge()).change.unwrap();
        assert_eq!(change.what, "`internal`");
        assert_eq!(
            (change.file.as_str(), change.engine.as_str()),
            ("true", "false")
        );
    }

    #[test]
    fn labels_only_warn_and_the_compose_labels_are_not_the_users() {
        let local = NetworkResource {
            labels: map(&[("tier", "front")]),
            ..network()
        };
        let drift = network_drift(&local, &bridge());
        assert_eq!(drift.change, None);
        assert_eq!(
            drift.warnings,
            ["network `app_front`: label `tier` has changed; it may need to be recreated"]
        );
    }

    #[test]
    fn a_volume_compares_driver_and_options_but_not_the_engines_own() {
        let volume = VolumeResource {
            key: "data".to_owned(),
            name: "app_data".to_owned(),
            label: "data".to_owned(),
            external: false,
            driver: Some("local".to_owned()),
            driver_opts: map(&[("type", "tmpfs"), ("device", "tmpfs")]),
            labels: IndexMap::new(),
        };
        let remote = ObservedVolume {
            driver: "local".to_owned(),
            options: map(&[("device", "tmpfs"), ("type", "tmpfs")]),
            labels: map(&[("com.docker.compose.volume", "data")]),
        };
        assert_eq!(volume_drift(&volume, &remote), Drift::default());
        let changed = ObservedVolume {
            options: map(&[("device", "tmpfs"), ("type", "none")]),
            ..remote.clone()
        };
        let change = volume_drift(&volume, &changed).change.unwrap();
        assert_eq!(change.what, "its driver option `type`");
        assert_eq!(
            (change.file.as_str(), change.engine.as_str()),
            ("tmpfs", "none")
        );
        let other_driver = ObservedVolume {
            driver: "nfs".to_owned(),
            ..remote
        };
        let change = volume_drift(&volume, &other_driver).change.unwrap();
        assert_eq!(change.what, "its driver");
    }
}
