//! The build context: the files of a service's `build` directory that
//! `.dockerignore` keeps, as the tar stream the engine's `POST /build` takes.
//!
//! The walk is the docker CLI's (`archive.TarWithOptions` with the CLI's
//! `TrimBuildFilesFromExcludes`): entries in lexical order, an ignored directory
//! skipped whole unless a `!` exception could reach inside it, and the Dockerfile
//! and `.dockerignore` always sent (the engine reads the Dockerfile from the
//! context, then drops both from it when `.dockerignore` names them, so that
//! `COPY . /dst` copies them only when they are not ignored). Entries carry their
//! mode and modification time, with uid and gid 0 as the CLI sends them.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::dockerignore::{BadPattern, PatternMatcher, read_patterns};

/// One entry of the context: its path in the archive (`/`-separated, relative)
/// and on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    pub name: String,
    pub path: PathBuf,
}

/// Why the context cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Pattern(#[from] BadPattern),
}

/// The matcher for `dir`'s `.dockerignore` (none: nothing ignored), with the
/// CLI's exceptions for the Dockerfile and `.dockerignore` added when they are
/// ignored.
pub fn ignore_matcher(dir: &Path, dockerfile: &str) -> Result<PatternMatcher, ContextError> {
    let file = dir.join(".dockerignore");
    let patterns = match fs::read(&file) {
        Ok(bytes) => read_patterns(&String::from_utf8_lossy(&bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(ContextError::Read { path: file, source }),
    };
    let mut matcher = PatternMatcher::new(&patterns)?;
    if matcher.matches(".dockerignore") {
        matcher.push("!.dockerignore")?;
    }
    let dockerfile = crate::dockerignore::clean(dockerfile);
    if matcher.matches(&dockerfile) {
        matcher.push(&format!("!{dockerfile}"))?;
    }
    Ok(matcher)
}

/// Where the engine finds the Dockerfile: docker-py's `process_dockerfile`. One
/// inside the context is named by its path relative to the context; one outside
/// it is sent too, under a random `.dockerfile.<hex>` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerfileLocation {
    Inside(String),
    Outside { name: String, path: PathBuf },
}

/// Locates `dockerfile` (relative to `dir`, or absolute) against the context `dir`.
pub fn locate_dockerfile(dir: &Path, dockerfile: &str) -> DockerfileLocation {
    use crate::dockerignore::clean;
    let absolute = if Path::new(dockerfile).is_absolute() {
        PathBuf::from(dockerfile)
    } else {
        dir.join(dockerfile)
    };
    let absolute_text = clean(&absolute.to_string_lossy());
    let dir_text = clean(&dir.to_string_lossy());
    let inside = absolute_text
        .strip_prefix(&dir_text)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty());
    match inside {
        Some(relative) => DockerfileLocation::Inside(relative.to_owned()),
        None => DockerfileLocation::Outside {
            name: format!(".dockerfile.{}", random_hex()),
            path: absolute,
        },
    }
}

/// 32 hex digits from the standard library's randomly keyed hasher.
fn random_hex() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let word = |round: u8| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(round);
        hasher.finish()
    };
    format!("{:016x}{:016x}", word(0), word(1))
}

/// The entries the context holds, in the order they are archived.
pub fn entries(dir: &Path, dockerfile: &str) -> Result<Vec<ContextEntry>, ContextError> {
    let matcher = ignore_matcher(dir, dockerfile)?;
    let mut found = Vec::new();
    walk(dir, "", &matcher, &mut found)?;
    Ok(found)
}

fn walk(
    dir: &Path,
    prefix: &str,
    matcher: &PatternMatcher,
    found: &mut Vec<ContextEntry>,
) -> Result<(), ContextError> {
    let read_error = |source| ContextError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut children: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map_err(read_error)?
        .map(|entry| {
            entry.map(|entry| {
                (
                    entry.file_name().to_string_lossy().into_owned(),
                    entry.path(),
                )
            })
        })
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    children.sort();
    for (file_name, path) in children {
        let name = format!("{prefix}{file_name}");
        let is_dir = fs::symlink_metadata(&path)
            .map_err(|source| ContextError::Read {
                path: path.clone(),
                source,
            })?
            .is_dir();
        if matcher.matches(&name) {
            if !is_dir || !exception_inside(matcher, &name) {
                continue;
            }
        } else {
            found.push(ContextEntry {
                name: name.clone(),
                path: path.clone(),
            });
        }
        if is_dir {
            walk(&path, &format!("{name}/"), matcher, found)?;
        }
    }
    Ok(())
}

/// An ignored directory is still entered when a `!` exception starts with it.
fn exception_inside(matcher: &PatternMatcher, dir: &str) -> bool {
    if !matcher.has_exclusions() {
        return false;
    }
    let dir_slash = format!("{dir}/");
    matcher
        .patterns()
        .iter()
        .filter(|pattern| pattern.is_exclusion())
        .any(|pattern| format!("{}/", pattern.as_str()).starts_with(&dir_slash))
}

/// Writes `entries` as a tar archive to `writer`.
pub fn write_tar<W: Write>(entries: &[ContextEntry], writer: W) -> io::Result<W> {
    let mut builder = tar::Builder::new(writer);
    builder.follow_symlinks(false);
    for entry in entries {
        let metadata = fs::symlink_metadata(&entry.path)?;
        let mut header = tar::Header::new_gnu();
        header.set_metadata_in_mode(&metadata, tar::HeaderMode::Complete);
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("")?;
        header.set_groupname("")?;
        if metadata.file_type().is_symlink() {
            let target = fs::read_link(&entry.path)?;
            builder.append_link(&mut header, &entry.name, target)?;
        } else if metadata.is_dir() {
            header.set_size(0);
            builder.append_data(&mut header, format!("{}/", entry.name), io::empty())?;
        } else if metadata.is_file() {
            let file = fs::File::open(&entry.path)?;
            builder.append_data(&mut header, &entry.name, file)?;
        }
        // Sockets, fifos and devices are not sent, as the CLI skips them.
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path, dockerfile: &str) -> Vec<String> {
        entries(dir, dockerfile)
            .expect("context")
            .into_iter()
            .map(|entry| entry.name)
            .collect()
    }

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(path, text).expect("write");
        }
        dir
    }

    #[test]
    fn ignored_files_and_directories_are_left_out() {
        let dir = tree(&[
            ("Dockerfile", "FROM scratch\n"),
            (".dockerignore", "secret.txt\nlogs\n*.tmp\n"),
            ("secret.txt", "x"),
            ("logs/a.log", "x"),
            ("src/main.rs", "x"),
            ("src/old.tmp", "x"),
            ("keep.tmp.d/file", "x"),
        ]);
        assert_eq!(
            names(dir.path(), "Dockerfile"),
            vec![
                ".dockerignore",
                "Dockerfile",
                "keep.tmp.d",
                "keep.tmp.d/file",
                "src",
                "src/main.rs",
                // `*.tmp` is anchored at the context's root, as in moby.
                "src/old.tmp"
            ]
        );
    }

    #[test]
    fn dockerfile_and_dockerignore_are_always_sent() {
        let dir = tree(&[
            ("build/app.Dockerfile", "FROM scratch\n"),
            (".dockerignore", "*\n!src\n"),
            ("src/a", "x"),
            ("other", "x"),
        ]);
        assert_eq!(
            names(dir.path(), "./build/app.Dockerfile"),
            vec![".dockerignore", "build/app.Dockerfile", "src", "src/a"]
        );
    }

    #[test]
    fn an_exception_reaches_into_an_ignored_directory() {
        let dir = tree(&[
            ("Dockerfile", "FROM scratch\n"),
            (".dockerignore", "docs\n!docs/README.md\n**/*.bak\n"),
            ("docs/README.md", "x"),
            ("docs/other.md", "x"),
            ("a/b/c.bak", "x"),
            ("a/b/c", "x"),
        ]);
        assert_eq!(
            names(dir.path(), "Dockerfile"),
            vec![
                ".dockerignore",
                "Dockerfile",
                "a",
                "a/b",
                "a/b/c",
                "docs/README.md"
            ]
        );
    }

    #[test]
    fn a_dockerfile_outside_the_context_gets_a_name_inside_it() {
        let dir = Path::new("/srv/app/ctx");
        assert_eq!(
            locate_dockerfile(dir, "docker/Dockerfile"),
            DockerfileLocation::Inside("docker/Dockerfile".to_owned())
        );
        assert_eq!(
            locate_dockerfile(dir, "/srv/app/ctx/./Dockerfile"),
            DockerfileLocation::Inside("Dockerfile".to_owned())
        );
        match locate_dockerfile(dir, "../Dockerfile") {
            DockerfileLocation::Outside { name, path } => {
                assert!(
                    name.starts_with(".dockerfile.") && name.len() == 44,
                    "{name}"
                );
                assert_eq!(path, Path::new("/srv/app/ctx/../Dockerfile"));
            }
            inside @ DockerfileLocation::Inside(_) => panic!("{inside:?}"),
        }
    }

    #[test]
    fn the_archive_holds_the_entries() {
        let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("sub/file", "hello")]);
        let found = entries(dir.path(), "Dockerfile").expect("context");
        let bytes = write_tar(&found, Vec::new()).expect("tar");
        let mut archive = tar::Archive::new(bytes.as_slice());
        let listed: Vec<(String, u64)> = archive
            .entries()
            .expect("entries")
            .map(|entry| {
                let entry = entry.expect("entry");
                let header = entry.header();
                assert_eq!(header.uid().expect("uid"), 0);
                (
                    entry.path().expect("path").display().to_string(),
                    header.size().expect("size"),
                )
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                ("Dockerfile".to_owned(), 13),
                ("sub/".to_owned(), 0),
                ("sub/file".to_owned(), 5)
            ]
        );
    }
}
