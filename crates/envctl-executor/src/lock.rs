//! One `envctl` at a time per project and engine: an advisory lock on a file.
//!
//! Every command that changes a project's containers (`up`, `down`, `stop`,
//! `start`, `restart`, `rm`, `kill`, `pause`, `unpause`, `run`) takes the lock
//! before it observes the engine and holds it until its last step is done. Without
//! it, two `up` started together both observe no container and both create one,
//! and an `up` racing a `down` leaves whatever the interleaving gave. With it, the
//! second command waits, then observes what the first one left and converges from
//! there.
//!
//! The lock is `flock(2)` (std's `File::lock`): the kernel releases it when the
//! process exits, however it exits (a second Ctrl-C, SIGKILL, a panic), so a stale
//! lock cannot outlive its holder and there is nothing to clean up. The file is
//! named after the project and a digest of the engine address, so that projects of
//! the same name on two engines do not wait for each other; it is never removed
//! (removing a lock file races with a process that has just opened it).
//!
//! Only envctl takes this lock: a docker-compose running at the same time is met by
//! the second line of defence, `run.rs` adopting a container that holds the name
//! with the same labels.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::endpoint::Endpoint;

/// The held lock; dropping it (or exiting) releases it.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    path: PathBuf,
}

impl ProjectLock {
    /// The lock file of `project` on `endpoint`, under `directory`.
    pub fn path(directory: &Path, endpoint: &Endpoint, project: &str) -> PathBuf {
        let digest = Sha256::digest(endpoint.address.to_string().as_bytes());
        let digest: String = digest.iter().take(8).fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        });
        directory.join(format!("{project}-{digest}.lock"))
    }

    /// Takes the lock of `project` on `endpoint`, under `directory` (made if
    /// missing). When another process holds it, calls `on_wait` once and waits.
    ///
    /// # Errors
    ///
    /// The directory or the file cannot be made or opened, or the lock cannot be set.
    pub async fn acquire(
        directory: &Path,
        endpoint: &Endpoint,
        project: &str,
        on_wait: impl FnOnce(),
    ) -> io::Result<Self> {
        std::fs::create_dir_all(directory)?;
        let path = Self::path(directory, endpoint, project);
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(file) => file,
            // A file another user made: `flock` needs no write access.
            Err(error) if error.kind() == io::ErrorKind::PermissionDenied => File::open(&path)?,
            Err(error) => return Err(error),
        };
        match file.try_lock() {
            Ok(()) => return Ok(Self { file, path }),
            Err(TryLockError::Error(error)) => return Err(error),
            Err(TryLockError::WouldBlock) => on_wait(),
        }
        // `File::lock` blocks the thread until the holder exits or unlocks.
        let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(io::Error::other)??;
        Ok(Self { file, path })
    }

    /// The lock file.
    pub fn file_path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first says so.
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EngineAddress;

    fn endpoint(address: &str) -> Endpoint {
        Endpoint::plain(EngineAddress::Tcp(address.to_owned()))
    }

    #[test]
    fn the_file_is_keyed_by_project_and_engine() {
        let directory = Path::new("/run/envctl");
        let one = ProjectLock::path(directory, &endpoint("a:2375"), "web");
        assert_eq!(
            one,
            ProjectLock::path(directory, &endpoint("a:2375"), "web")
        );
        assert_ne!(
            one,
            ProjectLock::path(directory, &endpoint("b:2375"), "web")
        );
        assert_ne!(one, ProjectLock::path(directory, &endpoint("a:2375"), "db"));
        let name = one.file_name().and_then(|name| name.to_str()).unwrap();
        assert!(name.starts_with("web-"), "{name}");
        assert_eq!(
            one.extension().and_then(|extension| extension.to_str()),
            Some("lock")
        );
    }

    #[tokio::test]
    async fn a_second_taker_waits_until_the_first_lets_go() {
        let directory = tempfile::tempdir().unwrap();
        let engine = endpoint("a:2375");
        let first = ProjectLock::acquire(directory.path(), &engine, "web", || {
            panic!("nobody holds it yet")
        })
        .await
        .unwrap();
        let (waited, waiting) = tokio::sync::oneshot::channel();
        let path = directory.path().to_owned();
        let second = tokio::spawn(async move {
            ProjectLock::acquire(&path, &endpoint("a:2375"), "web", move || {
                let _ = waited.send(());
            })
            .await
        });
        waiting.await.expect("the second taker says it waits");
        assert!(!second.is_finished());
        drop(first);
        let second = second.await.unwrap().unwrap();
        assert!(second.file_path().exists());
    }
}
