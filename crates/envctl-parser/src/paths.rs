//! Paths: 1.29.2's `process_service` path handling (`compose/config/config.py` L805-837) and `VolumeSpec`, with
//! Python's `os.path` semantics (lexical, no filesystem access).

use std::path::{Component, Path, PathBuf};

use crate::merge::split_path_mapping;
use crate::model::Volume;
use crate::yaml::{Mapping, Node, Value};

/// True when `path` has no empty, `.` or `..` component (besides the empty one
/// before a leading `/`): `normpath` and `absolute` would give it back unchanged.
fn is_normal(path: &str) -> bool {
    let rest = path.strip_prefix('/').unwrap_or(path);
    rest.split('/')
        .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// `os.path.normpath` for POSIX paths.
pub(crate) fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    if is_normal(path) {
        return path.to_owned();
    }
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// Lexically normalised absolute path (no filesystem access).
pub(crate) fn absolute(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut output = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                output.pop();
            }
            Component::CurDir => {}
            other => output.push(other),
        }
    }
    output
}

/// `expand_path`: `abspath(join(working_dir, expanduser(path)))`.
pub(crate) fn expand_path(working_dir: &Path, path: &str, home: Option<&str>) -> String {
    // Already absolute and normal (as every path is on a second pass): unchanged.
    if path.starts_with('/') && is_normal(path) {
        return path.to_owned();
    }
    let expanded = expand_user(path, home);
    absolute(working_dir, Path::new(&expanded))
        .display()
        .to_string()
}

pub(crate) fn expand_user(path: &str, home: Option<&str>) -> String {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => path.to_owned(),
    }
}

pub(crate) fn is_url(text: &str) -> bool {
    ["http://", "https://", "git://", "github.com/", "git@"]
        .iter()
        .any(|prefix| text.starts_with(prefix))
}

/// `process_service`: paths of `env_file`, `build` and host volumes are resolved
/// against `working_dir` (the directory of the file for an `extends` base, the project
/// directory otherwise). Already-absolute paths are unchanged, so running it twice is
/// harmless.
pub(crate) fn process_paths(mapping: &mut Mapping, working_dir: &Path, home: Option<&str>) {
    let has_volume_driver = mapping
        .get("volume_driver")
        .is_some_and(|driver| !driver.is_null());
    for entry in &mut mapping.entries {
        match entry.key.as_str() {
            "env_file" => {
                let items: Vec<Node> = match &entry.value.value {
                    Value::Sequence(items) => items.clone(),
                    _ => vec![entry.value.clone()],
                };
                let resolved = items
                    .into_iter()
                    .map(|item| match item.as_str() {
                        Some(path) => Node::new(
                            Value::String(expand_path(working_dir, path, home)),
                            item.span,
                        ),
                        None => item,
                    })
                    .collect();
                entry.value.value = Value::Sequence(resolved);
            }
            "build" => match &mut entry.value.value {
                Value::String(context) if !is_url(context) => {
                    *context = expand_path(working_dir, context, home);
                }
                Value::Mapping(build) => {
                    for field in &mut build.entries {
                        if field.key == "context"
                            && let Value::String(context) = &mut field.value.value
                            && !is_url(context)
                        {
                            *context = expand_path(working_dir, context, home);
                        }
                    }
                }
                _ => {}
            },
            "volumes" if !has_volume_driver => {
                if let Value::Sequence(items) = &mut entry.value.value {
                    for item in items {
                        if let Value::String(text) = &mut item.value {
                            *text = resolve_volume_path(working_dir, text, home);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn resolve_volume_path(working_dir: &Path, volume: &str, home: Option<&str>) -> String {
    let (container, host) = split_path_mapping(volume);
    match host {
        None => container,
        Some((host, mode)) => {
            let host = if host.starts_with('.') {
                expand_path(working_dir, &host, None)
            } else {
                host
            };
            let host = expand_user(&host, home);
            match mode {
                Some(mode) if !mode.is_empty() => format!("{host}:{container}:{mode}"),
                _ => format!("{host}:{container}"),
            }
        }
    }
}

/// `VolumeSpec.parse` (POSIX) with `normalize=True`.
pub(crate) fn parse_volume(text: &str) -> Result<Volume, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [target] => (None, *target, None),
        [source, target] => (Some(*source), *target, None),
        [source, target, mode] => (Some(*source), *target, Some(*mode)),
        _ => {
            return Err(format!(
                "`{text}` has an incorrect format, should be external:internal[:mode]"
            ));
        }
    };
    let source = source.filter(|source| !source.is_empty()).map(normpath);
    Ok(Volume {
        source,
        target: normpath(target),
        mode: mode.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_matches_python() {
        for (input, expected) in [
            ("./src", "src"),
            ("/a/../b/", "/b"),
            ("a/./b", "a/b"),
            ("../x", "../x"),
            ("/..", "/"),
            ("/a/b", "/a/b"),
            ("a/b", "a/b"),
            ("/", "/"),
            ("a//b", "a/b"),
            ("/a/", "/a"),
        ] {
            assert_eq!(normpath(input), expected, "for {input}");
        }
    }
}
