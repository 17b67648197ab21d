//! The v2/v3 top-level sections besides `services` (`networks`, `volumes`, `secrets`,
//! `configs`) as `docker-compose config` prints them.

use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::merge::parse_mapping_form;
use crate::normalize::node_to_json;
use crate::paths::expand_path;
use crate::yaml::{Node, Value};

/// v2/v3 top-level `networks`, `volumes`, `secrets`, `configs` as 1.29.2 finalises
/// them (`load_mapping`): null is `{}`, `external: {name}` becomes `external: true`
/// plus `name`, an external entry without a name is named after its key, labels are
/// a mapping, and a `file` (of a secret or config) is absolute, resolved against
/// the project directory whichever file wrote it.
pub(crate) fn section_json(
    section: &str,
    node: &Node,
    working_dir: &Path,
    home: Option<&str>,
) -> Json {
    let Value::Mapping(entries) = &node.value else {
        return node_to_json(node);
    };
    let mut entries_json = Map::new();
    for entry in entries.iter() {
        let mut config = match node_to_json(&entry.value) {
            Json::Object(config) => config,
            _ => Map::new(),
        };
        match config.get("external").cloned() {
            Some(Json::Object(external)) => {
                config.insert("external".to_owned(), Json::Bool(true));
                if let Some(name) = external.get("name") {
                    config.insert("name".to_owned(), name.clone());
                } else if !config.contains_key("name") {
                    config.insert("name".to_owned(), Json::String(entry.key.clone()));
                }
            }
            Some(Json::Bool(true)) if !config.contains_key("name") => {
                config.insert("name".to_owned(), Json::String(entry.key.clone()));
            }
            _ => {}
        }
        if let Some(labels) = entry
            .value
            .as_mapping()
            .and_then(|config_map| config_map.get("labels"))
            && labels.as_sequence().is_some()
        {
            let parsed = parse_mapping_form("labels", Some(labels));
            config.insert(
                "labels".to_owned(),
                node_to_json(&Node::new(Value::Mapping(parsed), labels.span)),
            );
        }
        if matches!(section, "secrets" | "configs")
            && let Some(Json::String(file)) = config.get("file")
        {
            let file = expand_path(working_dir, file, home);
            config.insert("file".to_owned(), Json::String(file));
        }
        entries_json.insert(entry.key.clone(), Json::Object(config));
    }
    Json::Object(entries_json)
}

/// Adds one file's section to the sections read so far: entry by entry, a later
/// file's entry replacing an earlier one of the same name (1.29.2 `load_mapping`).
pub(crate) fn merge_section(sections: &mut Map<String, Json>, section: &str, json: Json) {
    match (sections.get_mut(section), json) {
        (Some(Json::Object(existing)), Json::Object(entries)) => existing.extend(entries),
        (_, json) => {
            sections.insert(section.to_owned(), json);
        }
    }
}
