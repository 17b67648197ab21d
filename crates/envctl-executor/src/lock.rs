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
//! lock cannot outlive its holder. The file is named after the project and a
//! digest of the engine address, so that projects of the same name on two engines
//! do not wait for each other.
//!
//! The holder removes the file before it lets go, so that the directory does not
//! fill with one empty file per project ever run. A process that opened the file
//! before it was removed and waited for its lock then holds a lock on a file that
//! nobody else will open: so once it has the lock, it checks that the path still
//! names the file it locked (same device and inode) and, when not, starts again on
//! the path. Only a holder killed outright leaves its file behind, and the next
//! taker reuses it.
//!
//! Only envctl takes this lock: a docker-compose running at the same time is met by
//! the second line of defence, `run.rs` adopting a container that holds the name
//! with the same labels.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt as _;
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
        let mut on_wait = Some(on_wait);
        loop {
            let file = open(&path)?;
            let file = match file.try_lock() {
                Ok(()) => file,
                Err(TryLockError::Error(error)) => return Err(error),
                Err(TryLockError::WouldBlock) => {
                    if let Some(on_wait) = on_wait.take() {
                        on_wait();
                    }
                    // `File::lock` blocks the thread until the holder exits or unlocks.
                    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                        .await
                        .map_err(io::Error::other)??
                }
            };
            if names_file(&path, &file)? {
                return Ok(Self { file, path });
            }
            // The holder before us removed the file we waited on: start again.
        }
    }

    /// The lock file.
    pub fn file_path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        // Removed while still held: a waiter that gets the lock next finds the path
        // gone or naming a new file, and starts again (see the module comment). A
        // file another user made may not be ours to remove; it is then reused.
        let _ = std::fs::remove_file(&self.path);
        // Closing the file releases the lock too; unlocking first says so.
        let _ = self.file.unlock();
    }
}

/// Opens (or makes) the lock file.
fn open(path: &Path) -> io::Result<File> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
    {
        Ok(file) => Ok(file),
        // A file another user made: `flock` needs no write access.
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => File::open(path),
        Err(error) => Err(error),
    }
}

/// True when `path` still names `file` (the same device and inode).
fn names_file(path: &Path, file: &File) -> io::Result<bool> {
    let locked = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(named) => Ok(named.dev() == locked.dev() && named.ino() == locked.ino()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
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
        let path = second.file_path().to_owned();
        drop(second);
        assert!(!path.exists(), "the last holder removes the file");
    }

    /// Takers racing for a lock whose file each holder removes: never two inside at
    /// once, and no file left at the end.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn removing_the_file_keeps_the_lock_exclusive() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let directory = tempfile::tempdir().unwrap();
        let inside = Arc::new(AtomicUsize::new(0));
        let entered = Arc::new(AtomicUsize::new(0));
        let mut takers = Vec::new();
        for _ in 0..8 {
            let path = directory.path().to_owned();
            let inside = Arc::clone(&inside);
            let entered = Arc::clone(&entered);
            takers.push(tokio::spawn(async move {
                for _ in 0..25 {
                    let lock = ProjectLock::acquire(&path, &endpoint("a:2375"), "web", || {})
                        .await
                        .unwrap();
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "alone inside");
                    entered.fetch_add(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                    drop(lock);
                }
            }));
        }
        for taker in takers {
            taker.await.unwrap();
        }
        assert_eq!(entered.load(Ordering::SeqCst), 200);
        assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);
    }
}
