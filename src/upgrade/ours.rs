//! Where the project's current files ("ours" in the three-way merge) come from: the work tree
//! (`goldpath upgrade`) or any other [`CurrentFiles`], such as a commit's tree read from git
//! objects (`goldpath fleet`, which never touches a work tree). Planning asks only these
//! questions of the project's files, so the same plan is made either way.

use super::workspace::{files_under, is_folder};
use crate::git::ProjectRepo;
use crate::tree::{self, File, RelPath};
use std::collections::BTreeSet;
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
