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
//!
//! Threat model: another local user. A shared directory (`/tmp/envctl`) let them
//! plant a symlink so that root's envctl created a file anywhere, or hold the lock
//! so that root waited forever. So the directory is per user
//! ([`ProjectLock::directory`]: `$XDG_RUNTIME_DIR/envctl`, else `$TMPDIR/envctl-<uid>`),
//! made `0700` and refused unless it is a real directory, owned by this user, that
//! nobody else may write to; the file is opened with `O_NOFOLLOW`. A lock
//! that cannot be taken is an error that says why: a mutating command never runs
//! unlocked.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
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

    /// This user's lock directory: `envctl` under `runtime_dir` (`$XDG_RUNTIME_DIR`,
    /// which is this user's) when given, else `envctl-<uid>` under `temp_dir`.
    pub fn directory(runtime_dir: Option<&Path>, temp_dir: &Path) -> PathBuf {
        match runtime_dir {
            Some(runtime_dir) => runtime_dir.join("envctl"),
            None => temp_dir.join(format!("envctl-{}", rustix::process::getuid().as_raw())),
        }
    }

    /// Takes the lock of `project` on `endpoint`, under `directory` (made `0700` if
    /// missing, and checked: see the module docs). When another process holds it,
    /// calls `on_wait` once and waits.
    ///
    /// # Errors
    ///
    /// The directory cannot be made, or is not safe (a symlink, another owner,
    /// open to others: `ErrorKind::PermissionDenied` with the reason); the file cannot
    /// be made or opened (a symlink is refused); or the lock cannot be set.
    pub async fn acquire(
        directory: &Path,
        endpoint: &Endpoint,
        project: &str,
        on_wait: impl FnOnce(),
    ) -> io::Result<Self> {
        prepare_directory(directory)?;
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

/// Makes `directory` (`0700`) if missing, then refuses it unless it is a directory
/// (not a symlink to one) owned by this user that nobody else may write to.
fn prepare_directory(directory: &Path) -> io::Result<()> {
    if let Some(parent) = directory.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(directory) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(error),
    }
    let metadata = std::fs::symlink_metadata(directory)?;
    let uid = rustix::process::getuid().as_raw();
    let unsafe_because = if metadata.file_type().is_symlink() {
        Some("it is a symbolic link".to_owned())
    } else if !metadata.is_dir() {
        Some("it is not a directory".to_owned())
    } else if metadata.uid() != uid {
        Some(format!(
            "it belongs to uid {}, not to this user (uid {uid})",
            metadata.uid()
        ))
    } else if metadata.mode() & 0o022 != 0 {
        Some(format!(
            "its mode is {:04o}: others may write to it (envctl makes it 0700)",
            metadata.mode() & 0o7777
        ))
    } else {
        None
    };
    match unsafe_because {
        None => Ok(()),
        Some(reason) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the lock directory `{}` is not safe: {reason}",
                directory.display()
            ),
        )),
    }
}

/// Opens (or makes, `0600`) the lock file, never through a symbolic link.
fn open(path: &Path) -> io::Result<File> {
    let no_follow = rustix::fs::OFlags::NOFOLLOW.bits();
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(i32::try_from(no_follow).unwrap_or(i32::MAX))
        .open(path)
        .map_err(|error| {
            if error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("`{}` is a symbolic link", path.display()),
                )
            } else {
                error
            }
        })
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
    async fn an_unsafe_directory_or_a_symlinked_file_is_refused_with_the_reason() {
        use std::os::unix::fs::PermissionsExt as _;
        let root = tempfile::tempdir().unwrap();
        let engine = endpoint("a:2375");
        // Open to others.
        let open_dir = root.path().join("open");
        std::fs::create_dir(&open_dir).unwrap();
        std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = ProjectLock::acquire(&open_dir, &engine, "web", || {})
            .await
            .unwrap_err();
        assert!(error.to_string().contains("mode is 0777"), "{error}");
        // A symlink planted in the directory's place.
        let target = root.path().join("elsewhere");
        std::fs::create_dir(&target).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = ProjectLock::acquire(&link, &engine, "web", || {})
            .await
            .unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        // A symlink planted in the lock file's place.
        let good = root.path().join("good");
        let victim = root.path().join("victim");
        let lock_path = ProjectLock::path(&good, &engine, "web");
        std::fs::create_dir(&good).unwrap();
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink(&victim, &lock_path).unwrap();
        let error = ProjectLock::acquire(&good, &engine, "web", || {})
            .await
            .unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert!(!victim.exists(), "nothing was made through the link");
        // Made by us, 0700: taken.
        let fresh = root.path().join("fresh").join("envctl");
        let lock = ProjectLock::acquire(&fresh, &engine, "web", || {})
            .await
            .unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        drop(lock);
    }

    #[test]
    fn the_directory_is_per_user() {
        let runtime = ProjectLock::directory(Some(Path::new("/run/user/1000")), Path::new("/tmp"));
        assert_eq!(runtime, Path::new("/run/user/1000/envctl"));
        let temp = ProjectLock::directory(None, Path::new("/tmp"));
        let name = temp.file_name().and_then(|name| name.to_str()).unwrap();
        assert!(
            name.starts_with("envctl-") && name[7..].parse::<u32>().is_ok(),
            "{name}"
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
