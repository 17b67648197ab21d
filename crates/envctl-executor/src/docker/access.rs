//! Who may use the engine's Unix socket, for the `help:` of a permission denied.
//!
//! The engine's socket is usually `root:docker`, mode 660: a user outside the
//! `docker` group gets `EACCES` from `connect`. Saying which group the socket has
//! (read from the socket and `/etc/group`, nothing asked of the engine) turns that
//! into something to do.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;

use crate::endpoint::{Endpoint, EngineAddress};

/// What to do about a permission denied by the engine at `endpoint`.
pub(super) fn permission_advice(endpoint: &Endpoint) -> String {
    let EngineAddress::Unix(path) = &endpoint.address else {
        return "the engine refused the connection: check who may use it".to_owned();
    };
    let Ok(metadata) = std::fs::metadata(path) else {
        return format!(
            "the directory holding `{}` may not be searched by this user",
            path.display()
        );
    };
    let owner = name_of(Path::new("/etc/passwd"), metadata.uid())
        .unwrap_or_else(|| metadata.uid().to_string());
    let group = name_of(Path::new("/etc/group"), metadata.gid());
    let group_text = group.clone().unwrap_or_else(|| metadata.gid().to_string());
    let mode = metadata.permissions().mode() & 0o777;
    let join = group.map_or_else(
        || format!("join the group with id {group_text}"),
        |group| format!("add the user to the `{group}` group (`sudo usermod -aG {group} $USER`, then log in again)"),
    );
    format!(
        "`{}` is `{owner}:{group_text}` with mode {mode:o}: {join}, or run envctl as `{owner}`",
        path.display()
    )
}

/// The name with `id` in a `name:x:id:…` file (`/etc/passwd`, `/etc/group`).
fn name_of(file: &Path, id: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    name_in(&text, id)
}

fn name_in(text: &str, id: u32) -> Option<String> {
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        (fields.next()?.parse::<u32>().ok()? == id).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_from_passwd_and_group_lines() {
        let group = "root:x:0:\n# comment\ndocker:x:999:alice,bob\nbroken\n";
        assert_eq!(name_in(group, 999).as_deref(), Some("docker"));
        assert_eq!(name_in(group, 0).as_deref(), Some("root"));
        assert_eq!(name_in(group, 5), None);
    }
}
