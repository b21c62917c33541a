//! The upgrade's journal: what a step that writes a project (`upgrade`, `--continue`, `--abort`)
//! is about to change, written to `.git/goldpath/` before its first write and removed after its
//! last. A process killed part-way (SIGKILL, power loss) leaves the journal behind, and the next
//! `goldpath upgrade` command reads it to put the project in a state a user can work from:
//!
//! - the step's commit landed (HEAD moved on): the index is brought up to HEAD; done.
//! - the step wrote its last file, the answers file, but did not commit: the commit is made now.
//! - `upgrade` was cut off while writing files: `goldpath upgrade --abort` puts back every path it
//!   may have written, from HEAD, and removes the files it created; any other command says so.
//! - `--continue` was cut off before its write: nothing to undo.
//! - `--abort` was cut off: it is finished.
//!
//! The journal lives in the git folder, so it is never part of the project, never committed
//! and never seen by `git status`.

use super::error::Error;
use super::workspace::{rel_paths, remove_file};
use crate::git::ProjectRepo;
use crate::tree::{self, File, RelPath, ANSWERS_FILE};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Upgrade,
    Continue,
    Abort,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    pub step: Step,
    /// HEAD when the step started; a different HEAD now means its commit landed.
    #[serde(default)]
    pub head: Option<String>,
    /// Paths git tracks that the step may overwrite or remove: restored from HEAD on undo.
    #[serde(default)]
    pub restore: Vec<String>,
    /// Paths that had no file and that the step may create: removed on undo.
    #[serde(default)]
    pub created: Vec<String>,
    /// The answers file as the step writes it, last of its files.
    #[serde(default)]
    pub answers_after: String,
    /// For `--continue` and `--abort`: the answers file before it (the upgrade waiting on its
    /// conflicts), so that an `--abort` after a cut-off `--continue` can still undo the whole
    /// upgrade, and a report after either names the upgrade ([`stopped_answers`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers_before: Option<String>,
    /// The commit the step makes once the answers file is written, if it makes one.
    #[serde(default)]
    pub commit: Option<PlannedCommit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedCommit {
    pub message: String,
    pub paths: Vec<String>,
    /// `--no-verify`: the repository's hooks do not run on the commit.
    #[serde(default)]
    pub no_verify: bool,
}

/// The answers file of the upgrade that stopped on its conflicts, as a `--continue` or
/// `--abort` that was cut off kept it in its journal (the file in the project may already be
/// the step's own); `None` without such a journal. Read before [`recover`], which ends it.
pub fn stopped_answers(dir: &Path) -> Result<Option<String>, Error> {
    let repo = ProjectRepo::open(dir)?;
    Ok(Journal::read(&repo)?.and_then(|j| j.answers_before))
}

/// Which command is asking, for [`recover`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asking {
    Upgrade,
    Continue,
    Abort,
}

/// What [`recover`] did with a journal left by a process that was cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// The step's commit had landed; the index was brought up to HEAD.
    Committed,
    /// The step had written every file; its commit was made now.
    CommittedNow(String),
    /// The step had finished its writes and made no commit (it stopped on conflicts, or
    /// `--no-commit`): the project is as the step left it.
    Finished,
    /// An interrupted `upgrade` was undone: every path back as at HEAD (`--abort`).
    Undone,
    /// An interrupted `--continue` had not written anything.
    NothingToUndo,
    /// An interrupted upgrade was cut off before its first write.
    NothingWritten,
}

impl Recovered {
    pub fn describe(&self) -> String {
        match self {
            Recovered::Committed => "an interrupted upgrade had committed; the index is now up to date".into(),
            Recovered::CommittedNow(id) => format!(
                "an interrupted upgrade had written every file but not committed; committed now: {}",
                &id[..12.min(id.len())]
            ),
            Recovered::Finished => "an interrupted upgrade had finished writing; nothing was lost".into(),
            Recovered::Undone => "an interrupted upgrade was undone: every file it may have written is back as at HEAD".into(),
            Recovered::NothingToUndo => "an interrupted `--continue` had written nothing".into(),
            Recovered::NothingWritten => "an interrupted upgrade had written nothing".into(),
        }
    }
}

fn path_of(repo: &ProjectRepo) -> PathBuf {
    repo.state_file("upgrade-journal")
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    tree::Error::Write {
        path: path.to_path_buf(),
        source,
    }
    .into()
}

impl Journal {
    /// Writes the journal (atomically) before the step's first write.
    pub fn begin(&self, repo: &ProjectRepo) -> Result<(), Error> {
        let path = path_of(repo);
        let text = toml::to_string(self).expect("the journal is plain TOML");
        tree::write_file_atomic(&path, &File::new(text))?;
        Ok(())
    }

    /// Removes the journal: the step is over.
    pub fn end(repo: &ProjectRepo) -> Result<(), Error> {
        let path = path_of(repo);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    fn read(repo: &ProjectRepo) -> Result<Option<Journal>, Error> {
        let path = path_of(repo);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(tree::Error::Read {
                    path: path.clone(),
                    source: e,
                }
                .into())
            }
        };
        // A journal cut off while it was written cannot exist (it is renamed into place), so
        // one that does not parse was edited by hand: say which file, and what removing it means.
        toml::from_str(&text).map(Some).map_err(|e| Error::Journal {
            path: path.display().to_string(),
            problem: e.message().to_string(),
        })
    }
}

/// Looks for a journal left by a goldpath process that was cut off and, as the module says,
/// puts the project where the user can work from. Returns `None` when there was none.
pub fn recover(dir: &Path, asking: Asking) -> Result<Option<Recovered>, Error> {
    let repo = ProjectRepo::open(dir)?;
    let Some(journal) = Journal::read(&repo)? else {
        return Ok(None);
    };
    if let Ok(began) = std::fs::metadata(path_of(&repo)).and_then(|m| m.modified()) {
        repo.remove_index_lock_since(began);
    }
    remove_stale_writes(dir, &repo, &journal);
    let answers_now = std::fs::read(dir.join(ANSWERS_FILE)).ok();
    let wrote_last = answers_now.as_deref() == Some(journal.answers_after.as_bytes());
    let committed_paths = || -> Result<Vec<RelPath>, Error> {
        let mut paths = journal
            .commit
            .as_ref()
            .map(|c| rel_paths(&c.paths))
            .transpose()?
            .unwrap_or_default();
        paths.extend(rel_paths(&journal.restore)?);
        paths.extend(rel_paths(&journal.created)?);
        Ok(paths)
    };
    let outcome = if repo.head_id() != journal.head && journal.step != Step::Abort {
        repo.sync_index_to_head(&committed_paths()?)?;
        Recovered::Committed
    } else {
        match (journal.step, asking) {
            (Step::Abort, _) | (Step::Upgrade, Asking::Abort) => {
                undo(dir, &repo, &journal)?;
                Recovered::Undone
            }
            (Step::Continue, Asking::Abort) => {
                // Back to the upgrade waiting on its conflicts; the abort then undoes it all.
                if let (true, Some(before)) = (wrote_last, &journal.answers_before) {
                    tree::write_file_atomic(&dir.join(ANSWERS_FILE), &File::new(before.clone()))?;
                }
                remove_created(dir, &repo, &rel_paths(&journal.created)?)?;
                Recovered::NothingToUndo
            }
            (Step::Upgrade | Step::Continue, _) if wrote_last => match &journal.commit {
                Some(commit) => {
                    let paths = rel_paths(&commit.paths)?;
                    let verify = if commit.no_verify {
                        crate::git::Verify::NoVerify
                    } else {
                        crate::git::Verify::RunHooks
                    };
                    Recovered::CommittedNow(super::apply::commit_or_refused(
                        &repo,
                        dir,
                        &commit.message,
                        &paths,
                        verify,
                    )?)
                }
                None => Recovered::Finished,
            },
            (Step::Continue, _) => {
                // Only the template's files that waited behind untracked ones can be there.
                remove_created(dir, &repo, &rel_paths(&journal.created)?)?;
                Recovered::NothingToUndo
            }
            // Cut off before its first write (every path it names is still as at HEAD): there is
            // nothing to undo and nothing of the user's to lose, so the upgrade just runs again.
            (Step::Upgrade, _) if nothing_written(dir, &repo, &journal)? => {
                Recovered::NothingWritten
            }
            (Step::Upgrade, _) => {
                return Err(Error::Interrupted {
                    journal: path_of(&repo).display().to_string(),
                })
            }
        }
    };
    Journal::end(&repo)?;
    Ok(Some(outcome))
}

/// Whether every path the journal names is as HEAD has it: files to restore unchanged, files to
/// create absent, the answers file as before.
fn nothing_written(dir: &Path, repo: &ProjectRepo, journal: &Journal) -> Result<bool, Error> {
    for path in rel_paths(&journal.restore)? {
        let now = tree::read_file(dir, &path)?;
        let head = repo.head_file(&path)?;
        let same = match (&now, &head) {
            (Some(a), Some(b)) => a.bytes == b.bytes && a.executable == b.executable,
            (None, None) => true,
            _ => false,
        };
        if !same {
            return Ok(false);
        }
    }
    for path in rel_paths(&journal.created)? {
        if std::fs::symlink_metadata(path.under(dir)).is_ok() {
            return Ok(false);
        }
    }
    let answers = RelPath::new(ANSWERS_FILE)?;
    Ok(tree::read_file(dir, &answers)?.map(|f| f.bytes)
        == repo.head_file(&answers)?.map(|f| f.bytes))
}

/// Removes the temporary files of writes the kill cut short, beside every path the step could
/// write and beside the journal.
fn remove_stale_writes(dir: &Path, repo: &ProjectRepo, journal: &Journal) {
    let mut folders: std::collections::BTreeSet<PathBuf> = [dir.to_path_buf()].into();
    for path in journal.restore.iter().chain(&journal.created) {
        if let Ok(path) = RelPath::new(path) {
            if tree::no_symlink_on_the_way(dir, &path).is_ok() {
                if let Some(parent) = path.under(dir).parent() {
                    folders.insert(parent.to_path_buf());
                }
            }
        }
    }
    if let Some(state) = path_of(repo).parent() {
        folders.insert(state.to_path_buf());
    }
    for folder in &folders {
        tree::remove_stale_writes(folder);
    }
}

/// Removes the files a step created (HEAD lacks them: they were not there before), with the
/// folders that leaves empty; a path HEAD has is the user's and stays.
fn remove_created(dir: &Path, repo: &ProjectRepo, created: &[RelPath]) -> Result<(), Error> {
    for path in created {
        if repo.head_file(path)?.is_none() {
            tree::no_symlink_on_the_way(dir, path)?;
            remove_file(&path.under(dir))?;
        }
    }
    Ok(())
}

/// Puts back every path the journal names: files it created are removed (with the folders that
/// leaves empty), the others restored from HEAD, the answers file last.
pub fn undo(dir: &Path, repo: &ProjectRepo, journal: &Journal) -> Result<(), Error> {
    let answers = RelPath::new(ANSWERS_FILE)?;
    let created = rel_paths(&journal.created)?;
    remove_created(dir, repo, &created)?;
    let mut restore: Vec<RelPath> = rel_paths(&journal.restore)?
        .into_iter()
        .chain(created)
        .filter(|p| *p != answers)
        .collect();
    restore.sort();
    restore.dedup();
    repo.restore_from_head(dir, &restore)?;
    repo.restore_from_head(dir, std::slice::from_ref(&answers))?;
    Ok(())
}
