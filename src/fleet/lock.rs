//! One fleet run at a time per repository: an exclusive lock file held while a run works on it.
//! On Linux the lock is `flock(2)`, which the kernel drops when the process dies, so a run that
//! was killed never blocks the next one; elsewhere the file itself is the lock (created with
//! `O_EXCL`, removed when done).

use std::fs::File;
use std::path::{Path, PathBuf};

/// A held lock; released when dropped.
pub struct RepoLock {
    path: PathBuf,
    _file: File,
}

impl RepoLock {
    /// Takes the lock at `path`; `Err` names the file when another run holds it.
    pub fn take(path: &Path) -> Result<RepoLock, String> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot make {}: {e}", parent.display()))?;
        }
        let file = open(path)?;
        Ok(RepoLock {
            path: path.to_path_buf(),
            _file: file,
        })
    }
}

fn busy(path: &Path) -> String {
    format!(
        "another goldpath fleet run is working on this repository (it holds {}); wait for it, or remove that file if no run is going on",
        path.display()
    )
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn open(path: &Path) -> Result<File, String> {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // SAFETY: flock on a file descriptor this function owns; no memory is passed.
    let held = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if held != 0 {
        return Err(busy(path));
    }
    Ok(file)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn open(path: &Path) -> Result<File, String> {
    std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => busy(path),
            _ => format!("cannot make {}: {e}", path.display()),
        })
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        // With flock, removing the file while another run waits to open it could let two runs
        // hold two different files; the file stays, and only the lock goes.
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        let _ = std::fs::remove_file(&self.path);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        let _ = &self.path;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_repository_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fleet.lock");
        let first = RepoLock::take(&path).unwrap();
        let err = RepoLock::take(&path).err().unwrap();
        assert!(err.contains("another goldpath fleet run"), "{err}");
        drop(first);
        RepoLock::take(&path).unwrap();
    }
}
