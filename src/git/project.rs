//! The user's project repository: its status, conflict stages in the index, commits of exact
//! paths, and putting paths back as HEAD has them.

use super::commit::{CommitSettings, Verify};
use super::{err, index_entry, Error};
use crate::tree::{File, RelPath, Tree};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The git repository a project lives in; the project may be a folder inside it (a monorepo).
pub struct ProjectRepo {
    repo: git2::Repository,
    /// The project's folder relative to the work tree, `""` or ending in `/`.
    prefix: String,
}

impl ProjectRepo {
    /// Finds the repository containing `dir`.
    pub fn open(dir: &Path) -> Result<ProjectRepo, Error> {
        let repo = git2::Repository::discover(dir)
            .map_err(err(format!("{} is not in a git repository", dir.display())))?;
        let workdir = repo.workdir().ok_or_else(|| Error::Git {
            context: dir.display().to_string(),
            message: "is in a bare repository".into(),
        })?;
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let rel = canon(dir)
            .strip_prefix(canon(workdir))
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut prefix = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(ProjectRepo { repo, prefix })
    }

    /// The project's folder relative to the repository's work tree, `/`-separated; `.` for
    /// its root (as `check --staged` names each project it reports on).
    pub fn folder(&self) -> &str {
        match self.prefix.strip_suffix('/') {
            Some(folder) => folder,
            None => ".",
        }
    }

    fn in_repo(&self, path: &RelPath) -> String {
        format!("{}{}", self.prefix, path)
    }

    /// Paths in the project with uncommitted changes (staged, unstaged or untracked, not ignored),
    /// relative to the project, sorted.
    pub fn dirty_paths(&self) -> Result<Vec<String>, Error> {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        if !self.prefix.is_empty() {
            opts.pathspec(&self.prefix);
        }
        let statuses = self
            .repo
            .statuses(Some(&mut opts))
            .map_err(err("reading git status"))?;
        let mut out: Vec<String> = statuses
            .iter()
            .filter(|s| s.status() != git2::Status::CURRENT && !s.status().is_ignored())
            .filter_map(|s| {
                s.path()
                    .ok()
                    .map(|p| p.strip_prefix(&self.prefix).unwrap_or(p).to_string())
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Paths of the project with unmerged (conflict) entries in the index, sorted.
    pub fn unmerged_paths(&self) -> Result<Vec<String>, Error> {
        let index = self.repo.index().map_err(err("reading the index"))?;
        let mut out = Vec::new();
        for c in index.conflicts().map_err(err("reading index conflicts"))? {
            let c = c.map_err(err("reading index conflicts"))?;
            if let Some(entry) = c.our.or(c.their).or(c.ancestor) {
                let path = String::from_utf8_lossy(&entry.path).into_owned();
                if let Some(rel) = path.strip_prefix(&self.prefix) {
                    out.push(rel.to_string());
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Records a conflict in the index as git does: stage 1 (base), 2 (ours), 3 (theirs), each
    /// present when that side has the file. `git status`, IDEs and mergetools then see it.
    pub fn record_conflict(
        &self,
        path: &RelPath,
        base: Option<&File>,
        ours: Option<&File>,
        theirs: Option<&File>,
    ) -> Result<(), Error> {
        let in_repo = self.in_repo(path);
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        index
            .remove_path(Path::new(&in_repo))
            .map_err(err(format!("unstaging {in_repo}")))?;
        for (stage, side) in [(1u16, base), (2, ours), (3, theirs)] {
            let Some(file) = side else { continue };
            let id = self
                .repo
                .blob(&file.bytes)
                .map_err(err(format!("storing {in_repo}")))?;
            let mut entry = index_entry(&in_repo, file, None);
            entry.id = id;
            entry.flags |= stage << 12;
            index
                .add(&entry)
                .map_err(err(format!("recording the conflict in {in_repo}")))?;
        }
        index.write().map_err(err("writing the index"))
    }

    /// The commit HEAD points at, if any.
    pub fn head_id(&self) -> Option<String> {
        self.repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id().to_string())
    }

    /// The folder goldpath keeps its own state in (`.git/goldpath/`), and the name that tells
    /// this project from others in the same repository (a monorepo).
    pub fn state_file(&self, name: &str) -> PathBuf {
        let project = if self.prefix.is_empty() {
            String::new()
        } else {
            format!(
                "-{}",
                self.prefix
                    .trim_end_matches('/')
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            )
        };
        self.repo
            .path()
            .join("goldpath")
            .join(format!("{name}{project}.toml"))
    }

    /// Paths of the project that git tracks (in the index, any stage), relative to it.
    pub fn tracked_paths(&self) -> Result<std::collections::BTreeSet<String>, Error> {
        let index = self.repo.index().map_err(err("reading the index"))?;
        Ok(index
            .iter()
            .filter_map(|e| {
                let path = String::from_utf8_lossy(&e.path).into_owned();
                path.strip_prefix(&self.prefix).map(str::to_string)
            })
            .collect())
    }

    /// Commits exactly `paths` of the project as they are in the work tree (a path with no file
    /// is removed), on top of HEAD, then updates those paths in the index. Nothing else goes into
    /// the commit: what the user staged or created meanwhile stays where it is (staged, or
    /// untracked). A path whose conflict stages are in the index is resolved by this.
    ///
    /// The commit is made as `git commit -- PATHS` makes it ([`super::commit`]): the
    /// repository's `pre-commit` and `commit-msg` hooks see an index of HEAD and these paths
    /// (`GIT_INDEX_FILE`), unless `verify` says not; one that refuses leaves the paths staged
    /// in the index and is [`Error::Hook`].
    ///
    /// The commit lands before the index is written: a process killed in between leaves HEAD
    /// moved and the index behind, which [`ProjectRepo::sync_index_to_head`] repairs (the
    /// upgrade's journal calls it).
    pub fn commit_paths(
        &self,
        root: &Path,
        message: &str,
        paths: &[RelPath],
        verify: Verify,
    ) -> Result<String, Error> {
        let settings = CommitSettings::read(&self.repo, verify)?;
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        // An index of HEAD alone, so that the user's other staged changes stay out: in memory,
        // or in a file of its own when a hook must read it (as git's partial commits do).
        let partial = PartialIndex::new(&self.repo, settings.has_hooks_before())?;
        let mut staged = partial.open()?;
        if let Some(head) = &parent {
            let tree = head.tree().map_err(err("reading HEAD"))?;
            staged.read_tree(&tree).map_err(err("reading HEAD"))?;
        }
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        let mut entries = Vec::new();
        // Removals first, so a file that became a folder (or the reverse) has room.
        for path in paths {
            let in_repo = self.in_repo(path);
            staged
                .remove_path(Path::new(&in_repo))
                .map_err(err(format!("unstaging {in_repo}")))?;
            index
                .remove_path(Path::new(&in_repo))
                .map_err(err(format!("unstaging {in_repo}")))?;
            let file = crate::tree::read_file(root, path).map_err(|e| Error::Git {
                context: format!("reading {in_repo}"),
                message: e.to_string(),
            })?;
            if let Some(file) = file {
                // A folder HEAD had here is gone from the work tree now that a file is in its
                // place (the plan refused it if any file of the user's was left in it).
                let _ = staged.remove_dir(Path::new(&in_repo), 0);
                let id = self
                    .repo
                    .blob(&file.bytes)
                    .map_err(err(format!("storing {in_repo}")))?;
                let meta = std::fs::symlink_metadata(path.under(root)).ok();
                let mut entry = index_entry(&in_repo, &file, meta.as_ref());
                entry.id = id;
                entries.push(entry);
            }
        }
        for entry in &entries {
            let name = String::from_utf8_lossy(&entry.path).into_owned();
            staged.add(entry).map_err(err(format!("staging {name}")))?;
        }
        let workdir = self.workdir();
        let message = match &partial.path {
            None => message.to_string(),
            Some(file) => {
                staged.write().map_err(err("writing the commit's index"))?;
                match settings.run_hooks_before(&self.repo, &workdir, file, message)? {
                    Ok(message) => {
                        // A hook may have staged changes of its own (a formatter).
                        staged
                            .read(true)
                            .map_err(err("reading the commit's index"))?;
                        message
                    }
                    Err(failure) => {
                        self.stage(&mut index, &entries)?;
                        return Err(Error::Hook {
                            failure: Box::new(failure),
                            commit_by_hand: self.commit_by_hand(),
                        });
                    }
                }
            }
        };
        let tree_id = staged
            .write_tree_to(&self.repo)
            .map_err(err("writing the tree"))?;
        let id = super::commit_tree(&self.repo, &settings, tree_id, parent.as_ref(), &message)?;
        // HEAD has moved and the index not yet: the next command's recovery syncs it.
        crate::fault::point();
        self.stage(&mut index, &entries)?;
        settings.run_post_commit(&workdir, &self.repo.path().join("index"))?;
        Ok(id.to_string())
    }

    /// Stages `paths` of the project as they are in the work tree (`git add -- PATHS`), and
    /// nothing else.
    pub fn stage_paths(&self, root: &Path, paths: &[RelPath]) -> Result<(), Error> {
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        let mut entries = Vec::new();
        for path in paths {
            let in_repo = self.in_repo(path);
            let file = crate::tree::read_file(root, path).map_err(|e| Error::Git {
                context: format!("reading {in_repo}"),
                message: e.to_string(),
            })?;
            let Some(file) = file else { continue };
            let id = self
                .repo
                .blob(&file.bytes)
                .map_err(err(format!("storing {in_repo}")))?;
            let meta = std::fs::symlink_metadata(path.under(root)).ok();
            let mut entry = index_entry(&in_repo, &file, meta.as_ref());
            entry.id = id;
            entries.push(entry);
        }
        self.stage(&mut index, &entries)
    }

    /// The work tree of the repository that a new project at `dest` (which need not exist yet)
    /// would be inside, if any: `new` adds the project to it rather than making a nested one.
    ///
    /// A folder the repository ignores (a `target/` or `tmp/` of it) is not part of it: a
    /// project made there gets a repository of its own, as git would not add it either.
    pub fn enclosing(dest: &Path) -> Option<PathBuf> {
        let abs = std::path::absolute(dest).ok()?;
        let existing = abs.ancestors().find(|p| p.is_dir())?;
        let rest = abs.strip_prefix(existing).ok()?;
        let repo = git2::Repository::discover(existing).ok()?;
        let workdir = repo.workdir()?.canonicalize().ok()?;
        let inside = existing.canonicalize().ok()?.join(rest);
        let rel = inside.strip_prefix(&workdir).ok()?;
        // A file inside, so that a pattern for the folder (`tmp/`) matches too.
        if repo
            .is_path_ignored(rel.join(crate::tree::ANSWERS_FILE))
            .unwrap_or(false)
        {
            return None;
        }
        Some(workdir)
    }

    /// The project's files as the index has them (stage 0: what the next commit holds),
    /// relative to the project, and its symlinks (path and target) apart: goldpath never reads
    /// through one.
    pub fn staged_files(&self) -> Result<(Tree, BTreeMap<RelPath, String>), Error> {
        let index = self.index_being_committed()?;
        let mut files = Tree::new();
        let mut links = BTreeMap::new();
        for entry in index.iter() {
            // Stage bits (12-13) set: a conflict, not a file the commit can hold.
            if (entry.flags >> 12) & 0x3 != 0 {
                continue;
            }
            let path = String::from_utf8_lossy(&entry.path).into_owned();
            let Some(rel) = path.strip_prefix(&self.prefix) else {
                continue;
            };
            let Ok(rel) = RelPath::new(rel) else { continue };
            // A submodule (gitlink) has no blob here.
            if entry.mode == 0o160000 {
                continue;
            }
            let blob = self
                .repo
                .find_blob(entry.id)
                .map_err(err(format!("reading {path} from the index")))?;
            if entry.mode == 0o120000 {
                links.insert(rel, String::from_utf8_lossy(blob.content()).into_owned());
            } else {
                files.insert(
                    rel,
                    File {
                        bytes: blob.content().to_vec(),
                        executable: entry.mode == 0o100755,
                    },
                );
            }
        }
        Ok((files, links))
    }

    /// The index a commit is being made from: the one `GIT_INDEX_FILE` names (git sets it for
    /// hooks: `git commit -a` and `git commit -- PATHS` commit a temporary index, not
    /// `.git/index`; libgit2 ignores the variable), else the repository's.
    fn index_being_committed(&self) -> Result<git2::Index, Error> {
        match std::env::var_os("GIT_INDEX_FILE").filter(|p| !p.is_empty()) {
            Some(path) => git2::Index::open(Path::new(&path)).map_err(err(format!(
                "reading the index {}",
                Path::new(&path).display()
            ))),
            None => self.repo.index().map_err(err("reading the index")),
        }
    }

    /// Adds `entries` to the repository's `index` and writes it.
    fn stage(&self, index: &mut git2::Index, entries: &[git2::IndexEntry]) -> Result<(), Error> {
        for entry in entries {
            let name = String::from_utf8_lossy(&entry.path).into_owned();
            index.add(entry).map_err(err(format!("staging {name}")))?;
        }
        index.write().map_err(err("writing the index"))
    }

    /// The work tree's root.
    fn workdir(&self) -> PathBuf {
        self.repo
            .workdir()
            .unwrap_or(self.repo.path())
            .to_path_buf()
    }

    /// The command that commits what a refusing hook left staged, run in the project's folder:
    /// only the project's paths, with the message goldpath wrote to `.git/COMMIT_EDITMSG`.
    fn commit_by_hand(&self) -> String {
        let git_dir = self.repo.path();
        let msg = git_dir
            .strip_prefix(self.workdir())
            .map(|rel| {
                let up = "../".repeat(self.prefix.matches('/').count());
                format!("{up}{}", rel.join("COMMIT_EDITMSG").display())
            })
            .unwrap_or_else(|_| git_dir.join("COMMIT_EDITMSG").display().to_string());
        format!("git commit -F {msg} -- .")
    }

    /// Removes the index's lock file if it was made at or after `since` (when a goldpath step
    /// that was cut off began): the killed process held it, and no git command would run while
    /// it stays. An older lock is another process's and stays. Returns whether one was removed.
    pub fn remove_index_lock_since(&self, since: std::time::SystemTime) -> bool {
        let lock = self.repo.path().join("index.lock");
        let made = std::fs::symlink_metadata(&lock).and_then(|m| m.modified());
        match made {
            Ok(made) if made >= since => std::fs::remove_file(&lock).is_ok(),
            _ => false,
        }
    }

    /// Makes the index entries of `paths` those of HEAD (stages dropped; a path HEAD lacks is
    /// unstaged), touching neither the work tree nor any other entry.
    pub fn sync_index_to_head(&self, paths: &[RelPath]) -> Result<(), Error> {
        let head = self
            .repo
            .head()
            .and_then(|h| h.peel_to_tree())
            .map_err(err("reading HEAD"))?;
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        for path in paths {
            let in_repo = self.in_repo(path);
            index
                .remove_path(Path::new(&in_repo))
                .map_err(err(format!("unstaging {in_repo}")))?;
            let Ok(entry) = head.get_path(Path::new(&in_repo)) else {
                continue;
            };
            // A folder in HEAD: its files are entries of their own (the paths name them).
            if entry.kind() != Some(git2::ObjectType::Blob) {
                continue;
            }
            // A file in HEAD where the index may still have a folder's files.
            let _ = index.remove_dir(Path::new(&in_repo), 0);
            let file = File {
                bytes: Vec::new(),
                executable: entry.filemode() == 0o100755,
            };
            let mut e = index_entry(&in_repo, &file, None);
            e.id = entry.id();
            e.mode = entry.filemode() as u32;
            e.file_size = 0;
            index.add(&e).map_err(err(format!("staging {in_repo}")))?;
        }
        index.write().map_err(err("writing the index"))
    }

    /// The blob recorded for `path` at conflict `stage` (1 base, 2 ours, 3 theirs) in the index.
    pub fn staged_file(&self, path: &RelPath, stage: i32) -> Result<Option<File>, Error> {
        let index = self.repo.index().map_err(err("reading the index"))?;
        let Some(entry) = index.get_path(Path::new(&self.in_repo(path)), stage) else {
            return Ok(None);
        };
        let blob = self
            .repo
            .find_blob(entry.id)
            .map_err(err(format!("reading {path} from the index")))?;
        Ok(Some(File {
            bytes: blob.content().to_vec(),
            executable: entry.mode == 0o100755,
        }))
    }

    /// The project's file at HEAD, or `None`.
    pub fn head_file(&self, path: &RelPath) -> Result<Option<File>, Error> {
        let Ok(head) = self.repo.head().and_then(|h| h.peel_to_tree()) else {
            return Ok(None);
        };
        let Ok(entry) = head.get_path(Path::new(&self.in_repo(path))) else {
            return Ok(None);
        };
        let blob = entry
            .to_object(&self.repo)
            .ok()
            .and_then(|o| o.into_blob().ok());
        Ok(blob.map(|b| File {
            bytes: b.content().to_vec(),
            executable: entry.filemode() == 0o100755,
        }))
    }

    /// Puts `paths` back as they are at HEAD (in the work tree and the index). A path HEAD does
    /// not have is only unstaged: whether its file is goldpath's to remove is the caller's call.
    /// Used by `upgrade --abort`.
    pub fn restore_from_head(&self, root: &Path, paths: &[RelPath]) -> Result<(), Error> {
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        for path in paths {
            let in_repo = self.in_repo(path);
            index
                .remove_path(Path::new(&in_repo))
                .map_err(err(format!("unstaging {in_repo}")))?;
            if let Some(file) = self.head_file(path)? {
                crate::tree::no_symlink_on_the_way(root, path)
                    .and_then(|()| crate::tree::write_file_atomic(&path.under(root), &file))
                    .map_err(|e| Error::Git {
                        context: in_repo.clone(),
                        message: e.to_string(),
                    })?;
                index
                    .add_path(Path::new(&in_repo))
                    .map_err(err(format!("staging {in_repo}")))?;
            }
        }
        index.write().map_err(err("writing the index"))
    }
}

/// The goldpath projects under `dir` (or the one `dir` is in) that the staged changes touch: the
/// folders holding a `.goldpath.toml` in the index, or in HEAD, nearest to each path that
/// differs between HEAD and the index. Work-tree paths, sorted.
pub fn staged_projects(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let repo = ProjectRepo::open(dir)?;
    let workdir = repo.workdir();
    let git = &repo.repo;
    let head = git.head().ok().and_then(|h| h.peel_to_tree().ok());
    let index = repo.index_being_committed()?;
    let diff = git
        .diff_tree_to_index(head.as_ref(), Some(&index), None)
        .map_err(err("comparing the index with HEAD"))?;
    let has_answers = |folder: &str| {
        let path = format!("{folder}{}", crate::tree::ANSWERS_FILE);
        index.get_path(Path::new(&path), 0).is_some()
            || head
                .as_ref()
                .is_some_and(|t| t.get_path(Path::new(&path)).is_ok())
    };
    let mut projects = std::collections::BTreeSet::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            let Some(path) = file.path().and_then(Path::to_str) else {
                continue;
            };
            // Each folder on the way, nearest first, `""` (the root) last.
            let mut folders: Vec<String> = path
                .match_indices('/')
                .map(|(i, _)| format!("{}/", &path[..i]))
                .collect();
            folders.reverse();
            folders.push(String::new());
            if let Some(project) = folders.into_iter().find(|f| has_answers(f)) {
                projects.insert(project);
            }
        }
    }
    // Only those under `dir`, or the one `dir` is in.
    let within = |project: &String| {
        project.starts_with(&repo.prefix) || repo.prefix.starts_with(project.as_str())
    };
    Ok(projects
        .into_iter()
        .filter(within)
        .map(|p| workdir.join(p.trim_end_matches('/')))
        .collect())
}

/// The folder git runs hooks from for the repository containing `dir` (`core.hooksPath`
/// honoured, from git's configuration as the `git` command reads it).
pub fn hooks_dir(dir: &Path) -> Result<PathBuf, Error> {
    let repo = git2::Repository::discover(dir)
        .map_err(err(format!("{} is not in a git repository", dir.display())))?;
    let config = super::config::open(Some(&repo))?;
    Ok(super::commit::hooks_dir_of(&repo, &config))
}

/// The index a commit of some paths is built in: HEAD's tree and those paths. In memory, or in
/// `.git/goldpath-index-PID` (removed when done) when a hook reads it.
struct PartialIndex {
    path: Option<PathBuf>,
}

impl PartialIndex {
    fn new(repo: &git2::Repository, on_disk: bool) -> Result<PartialIndex, Error> {
        let path = on_disk.then(|| {
            repo.path()
                .join(format!("goldpath-index-{}", std::process::id()))
        });
        if let Some(path) = &path {
            let _ = std::fs::remove_file(path);
        }
        Ok(PartialIndex { path })
    }

    fn open(&self) -> Result<git2::Index, Error> {
        match &self.path {
            None => git2::Index::new(),
            Some(path) => git2::Index::open(path),
        }
        .map_err(err("making an index"))
    }
}

impl Drop for PartialIndex {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}
