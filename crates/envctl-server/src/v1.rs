//! v1 files (no `version:` key): the environment is made from the resolved file,
//! and the resolved form of a v1 file (1.29.2's `config`) is not a v1 file: it
//! has `version: '1'` (which no loader takes), `services:`, and v2 spellings
//! (`network_mode`, `logging`, `volumes_from: service:NAME:MODE`). This writes it
//! back as a v1 file, so that `up`, and `down` later, load the same project.

use serde_yaml::{Mapping, Value as Yaml};

/// The v1 file of `resolved`, the resolved form of a v1 project.
pub fn v1_file(resolved: &str) -> Result<String, String> {
    let root: Yaml = serde_yaml::from_str(resolved).map_err(|error| error.to_string())?;
    let services = root
        .get("services")
        .and_then(Yaml::as_mapping)
        .cloned()
        .unwrap_or_default();
    let mut file = Mapping::new();
    for (name, service) in services {
        let Yaml::Mapping(service) = service else {
            file.insert(name, service);
            continue;
        };
        let mut written = Mapping::new();
        for (key, value) in service {
            match key.as_str().unwrap_or_default() {
                // v1's spelling; `bridge` is what a v1 container gets anyway.
                "network_mode" => {
                    let mode = value.as_str().unwrap_or_default();
                    let mode = match mode.strip_prefix("service:") {
                        Some(service) => format!("container:{service}"),
                        None => mode.to_owned(),
                    };
                    written.insert(Yaml::from("net"), Yaml::from(mode));
                }
                "logging" => {
                    if let Some(driver) = value.get("driver") {
                        written.insert(Yaml::from("log_driver"), driver.clone());
                    }
                    if let Some(options) = value.get("options") {
                        written.insert(Yaml::from("log_opt"), options.clone());
                    }
                }
                "build" => match value.get("context") {
                    Some(context) => {
                        written.insert(Yaml::from("build"), context.clone());
                        if let Some(dockerfile) = value.get("dockerfile") {
                            written.insert(Yaml::from("dockerfile"), dockerfile.clone());
                        }
                    }
                    None => {
                        written.insert(key, value);
                    }
                },
                "volumes_from" => {
                    let entries = value
                        .as_sequence()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|entry| match entry.as_str() {
                            Some(text) => Yaml::from(text.strip_prefix("service:").unwrap_or(text)),
                            None => entry,
                        })
                        .collect();
                    written.insert(key, Yaml::Sequence(entries));
                }
                _ => {
                    written.insert(key, value);
                }
            }
        }
        file.insert(name, Yaml::Mapping(written));
    }
    serde_yaml::to_string(&Yaml::Mapping(file)).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use envctl_parser::{Format, RenderOptions, parse_str, to_compose_yaml_with};

    use super::*;

    /// The v1 file loads as the same project: its resolved form is the original's.
    fn check(original: &str) {
        let project = parse_str("docker-compose.yml", original).unwrap();
        assert_eq!(project.format, Format::V1);
        let resolved = to_compose_yaml_with(&project, &RenderOptions::default());
        let written = v1_file(&resolved).unwrap();
        let again = parse_str("docker-compose.yml", &written)
            .unwrap_or_else(|error| panic!("{error:?}\n{written}"));
        assert_eq!(again.format, Format::V1, "{written}");
        assert_eq!(
            to_compose_yaml_with(&again, &RenderOptions::default()),
            resolved,
            "{written}"
        );
    }

    #[test]
    fn a_v1_file_round_trips_through_its_resolved_form() {
        check(
            r#"
data:
  image: envctl-test/busybox
  command: ["true"]
  volumes: ["/data"]
web:
  image: envctl-test/busybox
  command: ["sh", "-c", "httpd -f -p 8080 & wait"]
  ports: ["8080", "127.0.0.1::9090/udp"]
  volumes_from: ["data:ro"]
  links: [db]
  log_driver: json-file
  log_opt: {max-size: 1m}
  environment:
    A: "$$HOME"
  labels: {a: b}
  mem_limit: 64m
  restart: on-failure:3
db:
  image: envctl-test/busybox
  net: "container:data"
"#,
        );
    }

    #[test]
    fn a_v1_build_round_trips() {
        check("web:\n  build: .\n  dockerfile: Dockerfile.x\n");
    }
}
