//! Where a project's current files ("ours" in the three-way merge, what `check` compares) come
//! from: the work tree (`goldpath upgrade`, `goldpath check`), the index (`check --staged`,
//! [`Staged`]) or a commit's tree read from git objects (`goldpath fleet`, which never touches
//! a work tree). Planning and checking ask only these questions of the project's files, so the
//! same plan and the same check are made from any of them.

use super::workspace::{files_under, is_folder};
use crate::git::ProjectRepo;
use crate::tree::{self, File, RelPath, Tree};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The project's files as they are now, wherever they are kept.
pub trait CurrentFiles {
    /// The file at `path`, `None` when there is none (or a folder is there).
    fn read(&self, path: &RelPath) -> Result<Option<File>, tree::Error>;
    /// Whether git tracks the file at `path`: the upgrade never writes over or removes a file
    /// git cannot restore.
    fn tracked(&self, path: &RelPath) -> bool;
    /// The first folder on the way to `path` that is a file (so nothing can be written there).
    fn file_in_the_way(&self, path: &RelPath) -> Option<RelPath>;
    /// Whether `path` is a folder (not a link to one).
    fn is_folder(&self, path: &str) -> bool;
    /// The files under the folder `path` (following a link to a folder), relative to it;
    /// `None` when `path` is not a folder.
    fn folder_files(&self, path: &str) -> Option<Vec<String>>;
}

/// The project's work tree, with what git's index tracks.
pub struct WorkTree {
    dir: PathBuf,
    tracked: BTreeSet<String>,
}

impl WorkTree {
    pub fn open(dir: &Path) -> Result<WorkTree, super::Error> {
        let tracked = ProjectRepo::open(dir)?.tracked_paths()?;
        Ok(WorkTree {
            dir: dir.to_path_buf(),
            tracked,
        })
    }
}

impl WorkTree {
    /// The work tree read without git's index, for a reader that never writes (`check`):
    /// nothing counts as tracked, which is the answer that protects a file.
    pub fn without_index(dir: &Path) -> WorkTree {
        WorkTree {
            dir: dir.to_path_buf(),
            tracked: BTreeSet::new(),
        }
    }
}

impl CurrentFiles for WorkTree {
    fn read(&self, path: &RelPath) -> Result<Option<File>, tree::Error> {
        tree::read_file(&self.dir, path)
    }

    fn tracked(&self, path: &RelPath) -> bool {
        self.tracked.contains(path.as_str())
    }

    fn file_in_the_way(&self, path: &RelPath) -> Option<RelPath> {
        crate::project::file_in_the_way(&self.dir, path)
    }

    fn is_folder(&self, path: &str) -> bool {
        is_folder(&self.dir.join(path))
    }

    fn folder_files(&self, path: &str) -> Option<Vec<String>> {
        let folder = self.dir.join(path);
        folder.is_dir().then(|| files_under(&folder))
    }
}

/// A project's files in the index: the files, and its symlinks with their targets.
pub struct Staged {
    pub files: Tree,
    pub links: BTreeMap<RelPath, String>,
}

impl Staged {
    /// The first link at or on the way to `path` (`upto` parts of it at most).
    fn link_on_the_way(&self, path: &str, upto: usize) -> Option<String> {
        let parts: Vec<&str> = path.split('/').collect();
        (1..=upto.min(parts.len()))
            .map(|n| parts[..n].join("/"))
            .find(|p| RelPath::new(p).is_ok_and(|p| self.links.contains_key(&p)))
    }

    /// The files under the folder `path`, relative to it.
    fn under(&self, path: &str) -> Vec<String> {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        self.files
            .keys()
            .chain(self.links.keys())
            .filter_map(|p| p.as_str().strip_prefix(&prefix).map(str::to_string))
            .collect()
    }
}

impl CurrentFiles for Staged {
    fn read(&self, path: &RelPath) -> Result<Option<File>, tree::Error> {
        if let Some(link) = self.link_on_the_way(path.as_str(), usize::MAX) {
            return Err(tree::Error::Symlink {
                path: path.to_string(),
                link,
            });
        }
        Ok(self.files.get(path).cloned())
    }

    fn tracked(&self, path: &RelPath) -> bool {
        self.files.contains_key(path) || self.links.contains_key(path)
    }

    fn file_in_the_way(&self, path: &RelPath) -> Option<RelPath> {
        let parts: Vec<&str> = path.as_str().split('/').collect();
        (1..parts.len())
            .filter_map(|n| RelPath::new(&parts[..n].join("/")).ok())
            .find(|p| self.files.contains_key(p) || self.links.contains_key(p))
    }

    fn is_folder(&self, path: &str) -> bool {
        !self.under(path).is_empty()
    }

    fn folder_files(&self, path: &str) -> Option<Vec<String>> {
        let files = self.under(path);
        (!files.is_empty()).then_some(files)
    }
}
