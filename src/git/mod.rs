//! What goldpath does with git, one file per role:
//!
//! - `project`: the repository a project lives in (status, conflict stages in the index,
//!   commits of exact paths, restoring from HEAD, the hooks folder);
//! - `first_commit`: `git init` and the first commit of a new project, written as one pack
//!   (`pack`), with the repository's layout (`init`) and index (`index_file`) written directly;
//! - `tags`: a bundle source whose versions are tags, read straight from git objects (its loose
//!   blobs by `loose`, without libgit2);
//! - `remote`: fetching a remote source's tags into the cache with the `git` command;
//! - `diff`: diffs printed as `git diff` prints them;
//! - `config`: git's configuration levels as the `git` command finds them;
//! - `commit`: a commit as `git commit` makes it (identity, hooks, signing).
//!
//! Every use of git2 in `src/` is here but one: the three-way line merge
//! (`merge/engine.rs`) calls `git2::merge_file`, which is git's own xdiff (that file says why).
//! The `git` command runs only in `remote`.

mod commit;
mod config;
mod diff;
mod first_commit;
mod index_file;
mod init;
mod loose;
mod pack;
mod project;
mod remote;
mod tags;

pub use commit::{HookFailure, Verify, DEFAULT_AUTHOR};
pub use diff::{file_diff, file_patch, line_stat, unified_diff};
pub use first_commit::{init_and_commit, Alongside, FirstCommit, Written};
pub use pack::pack_name;
pub use project::{hooks_dir, staged_projects, ProjectRepo};
pub use remote::cache_dir;
pub use tags::{Fetch, TagRepo};

use crate::tree::File;
use commit::CommitSettings;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("git: {context}: {message}")]
    Git { context: String, message: String },
    #[error("cannot fetch {url}: {message}")]
    Fetch { url: String, message: String },
    /// An entry of a tree that goldpath will not read as a file (see [`TagRepo::read_tree`]).
    #[error("`{path}` {reason}")]
    Entry { path: String, reason: String },
    /// A `pre-commit` or `commit-msg` hook of the repository refused goldpath's commit. The files
    /// are written and staged; `commit_by_hand` is the command that commits them once it passes.
    #[error("the {} hook refused the commit ({}): {}", failure.hook, failure.status, failure.path.display())]
    Hook {
        failure: Box<HookFailure>,
        commit_by_hand: String,
    },
}

fn err(context: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    let context = context.into();
    move |e| Error::Git {
        context,
        message: if e.code() == git2::ErrorCode::Locked {
            // libgit2's own text names no file and no way out.
            format!(
                "{}; if no git process is running in this repository, remove the lock file \
                 (`rm .git/index.lock`, or the `.lock` file named) and run the command again",
                e.message()
            )
        } else {
            e.message().to_string()
        },
    }
}

/// Writes the commit of `tree_id` on top of `parent` (none for a first commit) as `settings`
/// make it (author, committer, signature), and moves HEAD's branch to it, as `git commit` logs
/// it in the reflog. The branch moves only if it still points at `parent`. Returns its id.
fn commit_tree(
    repo: &git2::Repository,
    settings: &CommitSettings,
    tree_id: git2::Oid,
    parent: Option<&git2::Commit>,
    message: &str,
) -> Result<git2::Oid, Error> {
    let tree = repo.find_tree(tree_id).map_err(err("reading the tree"))?;
    let parents: Vec<&git2::Commit> = parent.into_iter().collect();
    let buffer = repo
        .commit_create_buffer(
            &settings.author,
            &settings.committer,
            message,
            &tree,
            &parents,
        )
        .map_err(err("making the commit"))?;
    let bytes = settings.sign(buffer.to_vec())?;
    let id = repo
        .odb()
        .and_then(|odb| odb.write(git2::ObjectType::Commit, &bytes))
        .map_err(err("writing the commit"))?;
    let head = repo.find_reference("HEAD").map_err(err("reading HEAD"))?;
    let branch = head
        .symbolic_target()
        .ok()
        .flatten()
        .unwrap_or("HEAD")
        .to_string();
    let summary = first_commit::summary(message);
    match parent {
        Some(parent) => repo.reference_matching(
            &branch,
            id,
            true,
            parent.id(),
            &format!("commit: {summary}"),
        ),
        None => repo.reference(&branch, id, false, &format!("commit (initial): {summary}")),
    }
    .map_err(err(format!("updating {branch}")))?;
    Ok(id)
}

/// An index entry for `file` at `path`. With the file's stat data (`meta`) git sees the work
/// tree as clean without re-hashing it.
fn index_entry(path: &str, file: &File, meta: Option<&std::fs::Metadata>) -> git2::IndexEntry {
    #[cfg(unix)]
    let (ctime, mtime, dev, ino, uid, gid) = {
        use std::os::unix::fs::MetadataExt;
        match meta {
            Some(m) => (
                git2::IndexTime::new(m.ctime() as i32, m.ctime_nsec() as u32),
                git2::IndexTime::new(m.mtime() as i32, m.mtime_nsec() as u32),
                m.dev() as u32,
                m.ino() as u32,
                m.uid(),
                m.gid(),
            ),
            None => (
                git2::IndexTime::new(0, 0),
                git2::IndexTime::new(0, 0),
                0,
                0,
                0,
                0,
            ),
        }
    };
    #[cfg(not(unix))]
    let (ctime, mtime, dev, ino, uid, gid) = {
        let _ = meta;
        (
            git2::IndexTime::new(0, 0),
            git2::IndexTime::new(0, 0),
            0,
            0,
            0,
            0,
        )
    };
    git2::IndexEntry {
        ctime,
        mtime,
        dev,
        ino,
        mode: if file.executable { 0o100755 } else { 0o100644 },
        uid,
        gid,
        file_size: file.bytes.len() as u32,
        id: git2::Oid::ZERO_SHA1,
        flags: path.len().min(0xfff) as u16,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}
