//! The project's work tree as an upgrade finds it and leaves it: whether it is clean, whether
//! a plan's files can be written where they go, and removing files (with the folders that
//! leaves empty). Planning asks the first two before anything is written; applying, `--abort`
//! and recovery remove files.

use super::error::Error;
use super::plan::{Action, Change};
use crate::git::ProjectRepo;
use crate::tree::{self, RelPath};
use std::collections::BTreeSet;
use std::path::Path;

/// Refuses a dirty tree unless allowed; returns whether it is dirty.
pub(super) fn check_clean(dir: &Path, allow_dirty: bool) -> Result<bool, Error> {
    let repo = ProjectRepo::open(dir)?;
    let dirty = repo.dirty_paths()?;
    if !dirty.is_empty() && !allow_dirty {
        return Err(Error::Dirty { paths: dirty });
    }
    Ok(!dirty.is_empty())
}

/// A folder, not a symlink to one (a write replaces a symlink; it cannot replace a folder).
pub(super) fn is_folder(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Every file (and symlink) under the folder `dir`, relative to it, `/`-separated.
pub(super) fn files_under(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?;
            Some(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
            )
        })
        .collect()
}

/// Refuses, before anything is written, a plan that would write through a file or over a
/// folder that it does not remove: the template turned `docs` into `docs/index.md` but the
/// user's changed `docs` is kept, or turned the folder `docs/` into a file while it holds
/// files of the user's own. Writing would fail half-way; moving the user's files aside
/// ourselves would put them where nobody expects them.
pub(super) fn check_writable(
    ours: &dyn super::ours::CurrentFiles,
    changes: &[Change],
) -> Result<(), Error> {
    let written_at: BTreeSet<&RelPath> = changes
        .iter()
        .filter(|c| c.action.written().is_some())
        .map(|c| &c.path)
        .collect();
    let removed: BTreeSet<&RelPath> = changes
        .iter()
        .flat_map(|c| {
            let deleted = (c.action == Action::Delete).then_some(&c.path);
            deleted.into_iter().chain(c.moved_from.iter())
        })
        .filter(|p| !written_at.contains(p))
        .collect();
    for path in &written_at {
        if let Some(file) = ours.file_in_the_way(path) {
            if !removed.contains(&file) {
                return Err(Error::FileInTheWay {
                    path: path.to_string(),
                    file: file.to_string(),
                });
            }
        }
        if ours.is_folder(path.as_str()) {
            let kept: Vec<String> = ours
                .folder_files(path.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|rel| format!("{path}/{rel}"))
                .filter(|p| !RelPath::new(p).is_ok_and(|p| removed.contains(&p)))
                .collect();
            if !kept.is_empty() {
                return Err(Error::FolderInTheWay {
                    path: path.to_string(),
                    kept,
                });
            }
        }
    }
    Ok(())
}

pub(super) fn remove_file(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        // Nothing there, a file where a folder on the way was, or a folder (a write that
        // would have replaced it never came): no file to remove either way.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::NotADirectory
                    | std::io::ErrorKind::IsADirectory
            ) =>
        {
            return Ok(())
        }
        Err(source) => {
            return Err(tree::Error::Write {
                path: path.to_path_buf(),
                source,
            }
            .into())
        }
    }
    remove_emptied_folders(path);
    Ok(())
}

/// Removes the folders the deletion of `path` emptied, as git does; stops at the first that is
/// not empty.
fn remove_emptied_folders(path: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Paths as recorded (the journal, `[upgrade]` in the answers file), checked again on the way in.
pub(super) fn rel_paths(paths: &[String]) -> Result<Vec<RelPath>, Error> {
    Ok(paths
        .iter()
        .map(|p| RelPath::new(p))
        .collect::<Result<Vec<_>, _>>()?)
}
