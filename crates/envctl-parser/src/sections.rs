//! The v2/v3 top-level sections besides `services` (`networks`, `volumes`, `secrets`,
//! `configs`) as `docker-compose config` prints them.

use serde_json::{Map, Value as Json};

use crate::merge::parse_mapping_form;
use crate::normalize::node_to_json;
use crate::yaml::{Node, Value};

/// v2/v3 top-level `networks`, `volumes`, `secrets`, `configs` as 1.29.2 finalises
/// them (`load_mapping`): null is `{}`, `external: {name}` becomes `external: true`
/// plus `name`, an external entry without a name is named after its key, labels are
/// a mapping.
pub(crate) fn section_json(node: &Node) -> Json {
    let Value::Mapping(entries) = &node.value else {
        return node_to_json(node);
    };
    let mut section = Map::new();
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
        section.insert(entry.key.clone(), Json::Object(config));
    }
    Json::Object(section)
}
