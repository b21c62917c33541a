//! A project's files read from a commit's tree in git's object store, never from a work tree:
//! the [`CurrentFiles`] of an upgrade made on git objects, and the projects a tree holds.

use crate::answers::AnswersFile;
use crate::tree::{self, File, RelPath, ANSWERS_FILE};
use crate::upgrade::CurrentFiles;
use git2::{ObjectType, Repository, Tree};
use std::path::Path;

/// Git's mode of a symbolic link.
const LINK_MODE: i32 = 0o120000;
/// Git's mode of an executable file.
const EXECUTABLE_MODE: i32 = 0o100755;

/// The files of the project at `prefix` (`""` or ending in `/`) of a commit's tree.
pub struct TreeFiles<'r> {
    repo: &'r Repository,
    root: Tree<'r>,
    prefix: String,
}

impl<'r> TreeFiles<'r> {
    pub fn new(repo: &'r Repository, root: Tree<'r>, prefix: &str) -> TreeFiles<'r> {
        TreeFiles {
            repo,
            root,
            prefix: prefix.to_string(),
        }
    }

    /// The entry at `path` of the project: its mode and object id, `None` when there is none.
    fn entry(&self, path: &str) -> Option<(i32, git2::Oid, Option<ObjectType>)> {
        let full = format!("{}{}", self.prefix, path);
        let entry = self.root.get_path(Path::new(&full)).ok()?;
        Some((entry.filemode(), entry.id(), entry.kind()))
    }

    /// The first link at or on the way to `path`, as [`tree::no_symlink_on_the_way`] refuses one
    /// on disk: a committed link could point anywhere.
    fn link_on_the_way(&self, path: &RelPath) -> Option<String> {
        let parts: Vec<&str> = path.as_str().split('/').collect();
        (1..=parts.len())
            .map(|n| parts[..n].join("/"))
            .find(|p| self.entry(p).is_some_and(|(mode, _, _)| mode == LINK_MODE))
    }

    /// Every file under the tree `id`, relative to it, `/`-separated.
    fn walk(&self, id: git2::Oid) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(tree) = self.repo.find_tree(id) {
            let _ = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() != Some(ObjectType::Tree) {
                    out.push(format!("{dir}{}", entry.name().unwrap_or_default()));
                }
                git2::TreeWalkResult::Ok
            });
        }
        out.sort();
        out
    }
}

impl CurrentFiles for TreeFiles<'_> {
    fn read(&self, path: &RelPath) -> Result<Option<File>, tree::Error> {
        if let Some(link) = self.link_on_the_way(path) {
            return Err(tree::Error::Symlink {
                path: path.to_string(),
                link,
            });
        }
        let Some((mode, id, Some(ObjectType::Blob))) = self.entry(path.as_str()) else {
            return Ok(None);
        };
        let blob = self.repo.find_blob(id).map_err(|e| tree::Error::Read {
            path: path.under(Path::new(&self.prefix)),
            source: std::io::Error::other(e.message().to_string()),
        })?;
        Ok(Some(File {
            bytes: blob.content().to_vec(),
            executable: mode == EXECUTABLE_MODE,
        }))
    }

    fn tracked(&self, path: &RelPath) -> bool {
        // Every file of a commit is git's.
        self.entry(path.as_str()).is_some()
    }

    fn file_in_the_way(&self, path: &RelPath) -> Option<RelPath> {
        let parts: Vec<&str> = path.as_str().split('/').collect();
        (1..parts.len())
            .map(|n| parts[..n].join("/"))
            .find(|p| {
                self.entry(p)
                    .is_some_and(|(_, _, kind)| kind != Some(ObjectType::Tree))
            })
            .and_then(|p| RelPath::new(&p).ok())
    }

    fn is_folder(&self, path: &str) -> bool {
        self.entry(path)
            .is_some_and(|(_, _, kind)| kind == Some(ObjectType::Tree))
    }

    fn folder_files(&self, path: &str) -> Option<Vec<String>> {
        match self.entry(path)? {
            (_, id, Some(ObjectType::Tree)) => Some(self.walk(id)),
            _ => None,
        }
    }
}

/// A goldpath project found in a tree: its folder (`""` or ending in `/`) and answers file.
pub struct FoundProject {
    pub prefix: String,
    pub record: Result<AnswersFile, String>,
}

/// Every project of `root` (every `.goldpath.toml` at any depth), sorted by folder.
pub fn projects_in(repo: &Repository, root: &Tree<'_>) -> Vec<FoundProject> {
    let mut found = Vec::new();
    let _ = root.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.name().ok() == Some(ANSWERS_FILE) && entry.kind() == Some(ObjectType::Blob) {
            let record = repo
                .find_blob(entry.id())
                .map_err(|e| e.message().to_string())
                .and_then(|blob| {
                    AnswersFile::parse_bytes(blob.content(), &format!("{dir}{ANSWERS_FILE}"))
                        .map_err(|e| e.to_string())
                });
            found.push(FoundProject {
                prefix: dir.to_string(),
                record,
            });
        }
        git2::TreeWalkResult::Ok
    });
    found.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    found
}
