//! The `com.docker.compose.*` labels: how a container says which project, service
//! and number it belongs to.
//!
//! Ownership is read from these labels only, never from container names (1.29.2
//! `compose/const.py` L9-20, `compose/service.py` L1144-1150 `build_container_labels`). envctl writes
//! `com.docker.compose.version=1.29.2` so that docker-compose 1.29.2 treats the
//! containers as its own.

use envctl_parser::Project;
use indexmap::IndexMap;

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
/// envctl's own: per-key digests of what the config hash covers, so that a later
/// plan can say what changed. docker-compose ignores it.
pub const CONFIG_DIGEST: &str = "io.envctl.config-digest";
pub const VERSION: &str = "com.docker.compose.version";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const ENVIRONMENT_FILE: &str = "com.docker.compose.project.environment_file";

/// The compose version envctl claims to be.
pub const COMPOSE_VERSION: &str = "1.29.2";

/// The engine filter that selects every container of `project`.
pub fn project_filter(project: &str) -> String {
    format!("{PROJECT}={project}")
}

/// The labels of service container `number`: the user's labels first, then the
/// compose labels, which win.
pub fn container_labels(
    project: &Project,
    service: &str,
    number: u32,
    config_hash: &str,
    config_digest: &str,
    user_labels: &IndexMap<String, String>,
) -> IndexMap<String, String> {
    let mut labels = user_labels.clone();
    let mut set = |key: &str, value: String| {
        labels.insert(key.to_owned(), value);
    };
    set(PROJECT, project.name.clone());
    set(SERVICE, service.to_owned());
    set(ONEOFF, "False".to_owned());
    set(CONTAINER_NUMBER, number.to_string());
    set(VERSION, COMPOSE_VERSION.to_owned());
    set(CONFIG_HASH, config_hash.to_owned());
    if !config_digest.is_empty() {
        set(CONFIG_DIGEST, config_digest.to_owned());
    }
    set(WORKING_DIR, project.working_dir.display().to_string());
    if !project.config_files.is_empty() {
        let files: Vec<String> = project
            .config_files
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        set(CONFIG_FILES, files.join(","));
    }
    if let Some(env_file) = &project.env_file {
        set(ENVIRONMENT_FILE, env_file.display().to_string());
    }
    labels
}

/// `True`/`False` as 1.29.2 writes the one-off label.
pub fn is_oneoff(value: Option<&str>) -> bool {
    value == Some("True")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use envctl_parser::{Format, Project, SourceMap};

    use super::*;

    fn project() -> Project {
        Project {
            name: "demo".to_owned(),
            working_dir: PathBuf::from("/srv/demo"),
            config_files: vec![
                PathBuf::from("/srv/demo/docker-compose.yml"),
                PathBuf::from("/srv/demo/override.yml"),
            ],
            env_file: None,
            format: Format::V1,
            services: IndexMap::new(),
            networks: IndexMap::new(),
            volumes: IndexMap::new(),
            secrets: IndexMap::new(),
            configs: IndexMap::new(),
            sources: SourceMap::default(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn compose_labels_override_user_labels_and_come_after_them() {
        let mut user = IndexMap::new();
        user.insert("a".to_owned(), "1".to_owned());
        user.insert(PROJECT.to_owned(), "spoofed".to_owned());
        let labels = container_labels(&project(), "web", 2, "abc", "", &user);
        let rendered: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            rendered,
            [
                "a=1",
                "com.docker.compose.project=demo",
                "com.docker.compose.service=web",
                "com.docker.compose.oneoff=False",
                "com.docker.compose.container-number=2",
                "com.docker.compose.version=1.29.2",
                "com.docker.compose.config-hash=abc",
                "com.docker.compose.project.working_dir=/srv/demo",
                "com.docker.compose.project.config_files=/srv/demo/docker-compose.yml,/srv/demo/override.yml",
            ]
        );
    }

    #[test]
    fn oneoff_is_only_the_python_true() {
        assert!(is_oneoff(Some("True")));
        assert!(!is_oneoff(Some("true")));
        assert!(!is_oneoff(None));
    }
}
