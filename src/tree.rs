//! A file tree in memory (`path -> bytes`), and the only code that writes trees to disk.
//!
//! Rendering, merging and checking all work on [`Tree`]s, so nothing touches the disk until the
//! whole result is known. Every path that enters a tree is a [`RelPath`]: relative, `/`-separated,
//! with no `..`, no absolute prefix and no `.git` component, so a template cannot write outside
//! the project however its paths render.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file goldpath records a project's bundle, version and answers in.
pub const ANSWERS_FILE: &str = ".goldpath.toml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("path `{path}` is not allowed: {reason}")]
    BadPath { path: String, reason: &'static str },
    #[error("cannot read `{path}`: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write `{path}`: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// A path inside a project: relative, normalised, `/`-separated, and unable to escape.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

impl RelPath {
    /// Checks `path` and returns it as a `RelPath`, or says why it may not be used.
    pub fn new(path: &str) -> Result<RelPath, Error> {
        let bad = |reason| Error::BadPath {
            path: path.to_string(),
            reason,
        };
        if path.is_empty() {
            return Err(bad("it is empty"));
        }
        if path.starts_with('/') || path.contains('\\') || path.contains(':') && cfg!(windows) {
            return Err(bad(
                "it is absolute; template paths must stay inside the project",
            ));
        }
        if path.contains('\0') {
            return Err(bad("it contains a NUL byte"));
        }
        for part in path.split('/') {
            match part {
                "" => {
                    return Err(bad(
                        "it has an empty path component (`//` or a trailing `/`)",
                    ))
                }
                "." | ".." => {
                    return Err(bad(
                        "it contains `.` or `..`; paths may not leave the project",
                    ))
                }
                _ if part.eq_ignore_ascii_case(".git") => {
                    return Err(bad("it writes into `.git`, which belongs to git"))
                }
                _ => {}
            }
        }
        Ok(RelPath(path.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path on disk under `root`.
    pub fn under(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        p.extend(self.0.split('/'));
        p
    }

    /// Whether this path is `other` or lies inside the folder `other`.
    pub fn is_within(&self, other: &str) -> bool {
        self.0 == other
            || self.0.starts_with(other) && self.0.as_bytes().get(other.len()) == Some(&b'/')
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// One file: its bytes and whether it is executable (the only mode bit git keeps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub bytes: Vec<u8>,
    pub executable: bool,
}

impl File {
    pub fn new(bytes: impl Into<Vec<u8>>) -> File {
        File {
            bytes: bytes.into(),
            executable: false,
        }
    }
}

/// Files by path, sorted, so every listing and report derived from a tree is deterministic.
pub type Tree = BTreeMap<RelPath, File>;

/// Writes `tree` as a new project at `dest`, all or nothing.
///
/// The tree is written into a temporary folder beside `dest` and renamed into place at the end,
/// so a failure part-way (disk full, permission denied) leaves no half-written project. `finish`
/// runs on the staged folder before the rename (e.g. `git init` and the first commit), so its
/// failure leaves nothing behind either. `dest` must not exist or be an empty folder; an empty
/// folder is kept and filled (it may be the user's current directory: `goldpath new x .`).
pub fn write_new_project<E: From<Error>>(
    dest: &Path,
    tree: &Tree,
    finish: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    // `.` has no parent to stage beside and cannot be renamed over: use the absolute path.
    let dest = &std::path::absolute(dest).map_err(|source| Error::Write {
        path: dest.to_path_buf(),
        source,
    })?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The folders made here for `new a/b/svc` are removed again if anything fails.
    let made: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .map(Path::to_path_buf)
        .collect();
    let result = (|| {
        fs::create_dir_all(&parent).map_err(|source| Error::Write {
            path: parent.clone(),
            source,
        })?;
        let staging = tempfile::Builder::new()
            .prefix(".goldpath-new-")
            .tempdir_in(&parent)
            .map_err(|source| Error::Write {
                path: parent.clone(),
                source,
            })?;
        // Named by where the file was going, not by the staging folder that disappears.
        write_fresh(staging.path(), tree).map_err(|e| match e {
            Error::Write { path, source } => Error::Write {
                path: match path.strip_prefix(staging.path()) {
                    Ok(rel) => dest.join(rel),
                    Err(_) => path,
                },
                source,
            },
            other => other,
        })?;
        finish(staging.path())?;
        if dest.exists() {
            // Checked empty by the caller. Replacing it would pull the folder from under a
            // shell that is in it, so the staged entries move in instead.
            return move_entries(staging.path(), dest).map_err(E::from);
        }
        let staged = staging.keep();
        fs::rename(&staged, dest).map_err(|source| {
            let _ = fs::remove_dir_all(&staged);
            Error::Write {
                path: dest.to_path_buf(),
                source,
            }
        })?;
        Ok(())
    })();
    if result.is_err() {
        // Innermost first; `remove_dir` only removes what is empty, so nothing else is lost.
        for dir in &made {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

/// Moves every entry of `from` into the empty folder `to`; on failure, moves back what it moved.
fn move_entries(from: &Path, to: &Path) -> Result<(), Error> {
    let entries = fs::read_dir(from)
        .and_then(|dir| {
            dir.map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<Vec<_>>>()
        })
        .map_err(|source| Error::Read {
            path: from.to_path_buf(),
            source,
        })?;
    for (i, name) in entries.iter().enumerate() {
        if let Err(source) = fs::rename(from.join(name), to.join(name)) {
            for moved in &entries[..i] {
                let _ = fs::rename(to.join(moved), from.join(moved));
            }
            return Err(Error::Write {
                path: to.join(name),
                source,
            });
        }
    }
    Ok(())
}

/// Writes `tree` into the empty folder `root`: each folder is made once (not once per file) and
/// a mode is set only where a file is executable, which matters at thousands of files.
fn write_fresh(root: &Path, tree: &Tree) -> Result<(), Error> {
    let mut dirs: Vec<PathBuf> = tree
        .keys()
        .filter_map(|p| p.under(root).parent().map(Path::to_path_buf))
        .collect();
    dirs.dedup();
    let mut made = std::collections::HashSet::new();
    for dir in dirs {
        if made.insert(dir.clone()) {
            fs::create_dir_all(&dir).map_err(|source| Error::Write {
                path: dir.clone(),
                source,
            })?;
        }
    }
    for (path, file) in tree {
        let abs = path.under(root);
        fs::write(&abs, &file.bytes).map_err(|source| Error::Write {
            path: abs.clone(),
            source,
        })?;
        if file.executable {
            set_executable(&abs, true).map_err(|source| Error::Write {
                path: abs.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

/// Writes one file, creating its folders. Not atomic: use [`write_file_atomic`] in a project
/// the user already has.
pub fn write_file(path: &Path, file: &File) -> Result<(), Error> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(wrap)?;
    }
    fs::write(path, &file.bytes).map_err(wrap)?;
    set_executable(path, file.executable).map_err(wrap)
}

/// Replaces `path` with `file` atomically: a reader (or a crash) sees the old file or the new
/// one, never half of it.
pub fn write_file_atomic(path: &Path, file: &File) -> Result<(), Error> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(wrap)?;
    // A temp file is created owner-only (0600); renamed into place as it is, every file an
    // upgrade wrote would lose group and other read access. The file keeps the permissions it
    // had, and a new one gets what a plain write gives (0666 less the umask).
    let before = permission_bits(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".goldpath-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(wrap)?;
    tmp.write_all(&file.bytes).map_err(wrap)?;
    tmp.as_file().sync_all().map_err(wrap)?;
    match before {
        Some(bits) => set_mode(tmp.path(), bits, file.executable).map_err(wrap)?,
        None => set_executable(tmp.path(), file.executable).map_err(wrap)?,
    }
    tmp.persist(path).map_err(|e| wrap(e.error))?;
    Ok(())
}

/// The permission bits of the regular file at `path`, if there is one.
#[cfg(unix)]
fn permission_bits(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn permission_bits(_path: &Path) -> Option<u32> {
    None
}

/// Sets `bits` on `path`, with the executable bits wherever it is readable when `executable`.
#[cfg(unix)]
fn set_mode(path: &Path, bits: u32, executable: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut bits = bits & !0o111;
    if executable {
        bits |= (bits & 0o444) >> 2;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _bits: u32, _executable: bool) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = fs::metadata(path)?.permissions();
    let mode = perms.mode();
    let new_mode = if executable {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    };
    if new_mode != mode {
        perms.set_mode(new_mode);
        fs::set_permissions(path, perms)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_executable(_path: &Path, _executable: bool) -> io::Result<()> {
    Ok(())
}

/// Whether files here have an executable bit. Elsewhere every file reads as not executable, so
/// a mode difference there means nothing and is not reported.
pub const MODES_KNOWN: bool = cfg!(unix);

#[cfg(unix)]
pub fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

/// Reads one file of a project, or `None` when there is none, including when a part of the
/// path is a file: a template that turns `docs` into `docs/index.md` asks for `docs/index.md`
/// while the project still has the file `docs`, and the answer is "no such file", not an error.
pub fn read_file(root: &Path, path: &RelPath) -> Result<Option<File>, Error> {
    let abs = path.under(root);
    let meta = match fs::symlink_metadata(&abs) {
        Ok(m) => m,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None)
        }
        Err(source) => return Err(Error::Read { path: abs, source }),
    };
    if !meta.is_file() {
        return Ok(None);
    }
    let bytes = fs::read(&abs).map_err(|source| Error::Read {
        path: abs.clone(),
        source,
    })?;
    Ok(Some(File {
        bytes,
        executable: is_executable(&meta),
    }))
}

/// Reads every regular file under `dir` into a tree (skipping `.git`), for folder sources.
pub fn read_dir(dir: &Path) -> Result<Tree, Error> {
    let mut tree = Tree::new();
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let entry = entry.map_err(|e| Error::Read {
            path: e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.to_path_buf()),
            source: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("filesystem loop")),
        })?;
        // Refused rather than skipped (a linked `template/` gave an empty project without a
        // word) and never followed: a link can reach outside the bundle. The root itself may be
        // a link: the user named it.
        if entry.path_is_symlink() && entry.depth() > 0 {
            return Err(Error::Read {
                path: entry.path().to_path_buf(),
                source: io::Error::other(
                    "it is a symbolic link, and goldpath does not follow links in a bundle (one could reach outside it); put the file or folder itself there",
                ),
            });
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("walkdir stays under its root");
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = RelPath::new(&rel.join("/"))?;
        let meta = entry.metadata().map_err(|e| Error::Read {
            path: entry.path().to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("metadata")),
        })?;
        let bytes = fs::read(entry.path()).map_err(|source| Error::Read {
            path: entry.path().to_path_buf(),
            source,
        })?;
        tree.insert(
            rel,
            File {
                bytes,
                executable: is_executable(&meta),
            },
        );
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_path_refuses_escapes() {
        for (bad, why) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("../x", ".."),
            ("a/../../x", ".."),
            ("a//b", "empty path component"),
            ("a/", "empty path component"),
            (".git/hooks/pre-commit", ".git"),
            ("sub/.GIT/config", ".git"),
            ("./a", "`.`"),
            ("a\\..\\b", "absolute"),
        ] {
            let err = RelPath::new(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        for good in [
            "a",
            "a/b.txt",
            ".github/workflows/ci.yaml",
            "chart/templates/_helpers.tpl",
            ".gitignore",
        ] {
            assert_eq!(RelPath::new(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn is_within_matches_folders_not_prefixes() {
        let p = RelPath::new("alerts/rules.yaml").unwrap();
        assert!(p.is_within("alerts"));
        assert!(p.is_within("alerts/rules.yaml"));
        assert!(!p.is_within("alert"));
        assert!(!p.is_within("alerts/rules"));
    }

    #[test]
    fn write_new_project_is_all_or_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("svc");
        let mut tree = Tree::new();
        tree.insert(RelPath::new("a/b.txt").unwrap(), File::new("hi\n"));
        tree.insert(
            RelPath::new("run.sh").unwrap(),
            File {
                bytes: b"#!/bin/sh\n".to_vec(),
                executable: true,
            },
        );
        write_new_project::<Error>(&dest, &tree, |_| Ok(())).unwrap();
        assert_eq!(fs::read_to_string(dest.join("a/b.txt")).unwrap(), "hi\n");
        assert!(is_executable(&fs::metadata(dest.join("run.sh")).unwrap()));
        // Only the project is left behind, no staging folder.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
        assert_eq!(read_dir(&dest).unwrap(), tree);

        // An existing empty folder is filled in place, not replaced.
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        let inode = |p: &Path| {
            #[cfg(unix)]
            return std::os::unix::fs::MetadataExt::ino(&fs::metadata(p).unwrap());
            #[cfg(not(unix))]
            return 0;
        };
        let before = inode(&empty);
        write_new_project::<Error>(&empty, &tree, |_| Ok(())).unwrap();
        assert_eq!(read_dir(&empty).unwrap(), tree);
        assert_eq!(inode(&empty), before);
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);

        // A failure leaves nothing: no staging folder, no parent folders made for it.
        let nested = tmp.path().join("a/b/svc");
        let err = write_new_project::<Error>(&nested, &tree, |_| {
            Err(Error::BadPath {
                path: "x".into(),
                reason: "test",
            })
        });
        assert!(err.is_err());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
    }
}
