//! The typed view of what v2/v3 files add to services and projects: top-level
//! `networks` and `volumes`, a service's `networks`, `healthcheck`, `depends_on`
//! conditions and `profiles`.
//!
//! Read from the finalised JSON (`Service::options` and the top-level sections),
//! once every merge, `extends` and normalisation is done, so that the typed fields
//! and `envctl config` can never disagree.

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::model::{
    DependsOnCondition, Healthcheck, Ipam, IpamPool, Mount, NetworkDef, Project, Service,
    ServiceName, ServiceNetwork, VolumeDef,
};

/// Fills `project.networks`, `project.volumes` and each service's typed v2/v3 fields.
pub(crate) fn attach(project: &mut Project, sections: &Map<String, Json>) {
    if let Some(Json::Object(networks)) = sections.get("networks") {
        project.networks = networks
            .iter()
            .map(|(key, config)| (key.clone(), network_def(config)))
            .collect();
    }
    if let Some(Json::Object(volumes)) = sections.get("volumes") {
        project.volumes = volumes
            .iter()
            .map(|(key, config)| (key.clone(), volume_def(config)))
            .collect();
    }
    let working_dir = project.working_dir.clone();
    for service in project.services.values_mut() {
        service_fields(service, &working_dir);
    }
}

fn service_fields(service: &mut Service, working_dir: &std::path::Path) {
    let options = &service.options;
    if let Some(Json::Object(networks)) = options.get("networks") {
        service.networks = networks
            .iter()
            .map(|(key, config)| {
                let network = ServiceNetwork {
                    aliases: strings(config.get("aliases")),
                    ipv4_address: string(config.get("ipv4_address")),
                    ipv6_address: string(config.get("ipv6_address")),
                    priority: config.get("priority").and_then(Json::as_i64),
                };
                (key.clone(), network)
            })
            .collect();
    }
    if let Some(Json::Object(healthcheck)) = options.get("healthcheck") {
        let test = match healthcheck.get("test") {
            Some(Json::String(command)) => Some(vec!["CMD-SHELL".to_owned(), command.clone()]),
            Some(Json::Array(_)) => Some(strings(healthcheck.get("test"))),
            _ => None,
        };
        service.healthcheck = Some(Healthcheck {
            test,
            interval: healthcheck.get("interval").and_then(Json::as_i64),
            timeout: healthcheck.get("timeout").and_then(Json::as_i64),
            start_period: healthcheck.get("start_period").and_then(Json::as_i64),
            retries: healthcheck.get("retries").and_then(Json::as_i64),
        });
    }
    if let Some(Json::Object(depends_on)) = options.get("depends_on") {
        service.depends_on = depends_on
            .iter()
            .map(|(name, config)| {
                let condition = match config.get("condition").and_then(Json::as_str) {
                    Some("service_healthy") => DependsOnCondition::Healthy,
                    Some("service_completed_successfully") => {
                        DependsOnCondition::CompletedSuccessfully
                    }
                    _ => DependsOnCondition::Started,
                };
                (ServiceName::new(name.clone()), condition)
            })
            .collect();
    }
    service.profiles = strings(options.get("profiles"));
    if let Some(Json::Array(volumes)) = options.get("volumes") {
        service.mounts = volumes
            .iter()
            .filter_map(Json::as_object)
            .filter_map(|volume| {
                let kind = string(volume.get("type")).unwrap_or_else(|| "volume".to_owned());
                let source = string(volume.get("source")).map(|source| {
                    if kind == "bind" && !source.starts_with('/') {
                        working_dir.join(source).display().to_string()
                    } else {
                        source
                    }
                });
                Some(Mount {
                    kind,
                    source,
                    target: string(volume.get("target"))?,
                    read_only: volume.get("read_only").and_then(Json::as_bool) == Some(true),
                })
            })
            .collect();
    }
}

fn network_def(config: &Json) -> NetworkDef {
    let ipam = config
        .get("ipam")
        .and_then(Json::as_object)
        .map(|ipam| Ipam {
            driver: string(ipam.get("driver")),
            config: ipam
                .get("config")
                .and_then(Json::as_array)
                .map(|pools| {
                    pools
                        .iter()
                        .map(|pool| IpamPool {
                            subnet: string(pool.get("subnet")),
                            ip_range: string(pool.get("ip_range")),
                            gateway: string(pool.get("gateway")),
                            aux_addresses: string_map(pool.get("aux_addresses")),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            options: string_map(ipam.get("options")),
        });
    NetworkDef {
        name: string(config.get("name")),
        driver: string(config.get("driver")),
        driver_opts: string_map(config.get("driver_opts")),
        labels: string_map(config.get("labels")),
        external: is_external(config),
        internal: config.get("internal").and_then(Json::as_bool),
        attachable: config.get("attachable").and_then(Json::as_bool),
        enable_ipv6: config.get("enable_ipv6").and_then(Json::as_bool),
        ipam,
        span: None,
    }
}

fn volume_def(config: &Json) -> VolumeDef {
    VolumeDef {
        name: string(config.get("name")),
        driver: string(config.get("driver")),
        driver_opts: string_map(config.get("driver_opts")),
        labels: string_map(config.get("labels")),
        external: is_external(config),
        span: None,
    }
}

fn is_external(config: &Json) -> bool {
    match config.get("external") {
        Some(Json::Bool(external)) => *external,
        Some(Json::Object(_)) => true,
        _ => false,
    }
}

fn string(value: Option<&Json>) -> Option<String> {
    match value? {
        Json::String(text) => Some(text.clone()),
        Json::Null => None,
        other => Some(other.to_string()),
    }
}

fn strings(value: Option<&Json>) -> Vec<String> {
    value
        .and_then(Json::as_array)
        .map(|items| items.iter().filter_map(|item| string(Some(item))).collect())
        .unwrap_or_default()
}

fn string_map(value: Option<&Json>) -> IndexMap<String, String> {
    value
        .and_then(Json::as_object)
        .map(|entries| {
            entries
                .iter()
                .map(|(key, value)| (key.clone(), string(Some(value)).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use crate::model::DependsOnCondition;
    use crate::parse_str;

    #[test]
    fn v2_networks_volumes_healthcheck_and_conditions_are_typed() {
        let project = parse_str(
            "docker-compose.yml",
            r#"
version: "2.4"
services:
  web:
    image: busybox
    networks:
      front:
        aliases: [www]
        ipv4_address: 172.28.5.10
    depends_on:
      db: {condition: service_healthy}
      init: {condition: service_completed_successfully}
    profiles: [debug]
  db:
    image: busybox
    healthcheck:
      test: test -f /tmp/ready
      interval: 1s
      retries: 3
  init:
    image: busybox
networks:
  front:
    driver: bridge
    ipam:
      config:
        - subnet: 172.28.0.0/16
  outside:
    external: true
volumes:
  data:
    labels: [a=b]
  shared:
    external:
      name: the-shared
"#,
        )
        .expect("loads");
        let front = &project.networks["front"];
        assert_eq!(front.driver.as_deref(), Some("bridge"));
        assert_eq!(
            front
                .ipam
                .as_ref()
                .map(|ipam| ipam.config[0].subnet.clone()),
            Some(Some("172.28.0.0/16".to_owned()))
        );
        assert!(project.networks["outside"].external);
        assert_eq!(project.networks["outside"].name.as_deref(), Some("outside"));
        assert_eq!(project.volumes["data"].labels["a"], "b");
        assert!(project.volumes["shared"].external);
        assert_eq!(
            project.volumes["shared"].name.as_deref(),
            Some("the-shared")
        );

        let web = &project.services["web"];
        assert_eq!(web.networks["front"].aliases, ["www"]);
        assert_eq!(
            web.networks["front"].ipv4_address.as_deref(),
            Some("172.28.5.10")
        );
        assert_eq!(web.depends_on["db"], DependsOnCondition::Healthy);
        assert_eq!(
            web.depends_on["init"],
            DependsOnCondition::CompletedSuccessfully
        );
        assert_eq!(web.profiles, ["debug"]);
        let healthcheck = project.services["db"].healthcheck.clone().expect("set");
        assert_eq!(
            healthcheck.test,
            Some(vec![
                "CMD-SHELL".to_owned(),
                "test -f /tmp/ready".to_owned()
            ])
        );
        assert_eq!(healthcheck.interval, Some(1_000_000_000));
        assert_eq!(healthcheck.retries, Some(3));
    }
}
