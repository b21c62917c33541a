//! Writing an upgrade plan: files one by one, each atomically (temp + rename); conflicts into
//! the index as stages 1/2/3; hooks; the answers file last; then the commit. Also `--continue`
//! and `--abort` for an upgrade that stopped on conflicts.
//!
//! The tree was clean when the upgrade started (unless `--allow-dirty`), so a crash at any point
//! leaves a tree that `git checkout . && git clean -fd` (or `goldpath upgrade --abort` once the
//! answers file is written) restores.

use super::{Action, Error, Options, UpgradePlan};
use crate::answers::{AnswersFile, PendingUpgrade, Recorded};
use crate::git::ProjectRepo;
use crate::project::Project;
use crate::tree::{self, File, RelPath, ANSWERS_FILE};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What an applied upgrade did.
#[derive(Debug)]
pub struct Applied {
    /// The upgrade's commit, when it was clean and committed.
    pub commit: Option<String>,
    /// Paths left in conflict.
    pub conflicts: Vec<String>,
    /// The upgrade started on uncommitted changes (`--allow-dirty`), so it was not committed:
    /// a commit would have swept the user's unrelated work (untracked files included) into it.
    pub started_dirty: bool,
}

/// Fault injection for the crash-safety test: abort the process after this many file writes.
const FAULT_ENV: &str = "GOLDPATH_FAULT_AFTER_WRITES";

/// Refuses a dirty tree unless allowed; returns whether it is dirty.
pub(super) fn check_clean(dir: &Path, allow_dirty: bool) -> Result<bool, Error> {
    let repo = ProjectRepo::open(dir)?;
    let dirty = repo.dirty_paths()?;
    if !dirty.is_empty() && !allow_dirty {
        return Err(Error::Dirty { paths: dirty });
    }
    Ok(!dirty.is_empty())
}

pub fn apply(plan: &UpgradePlan, options: &Options) -> Result<Applied, Error> {
    let dir = &plan.project_dir;
    let started_dirty = plan.started_dirty;
    let repo = ProjectRepo::open(dir)?;
    let fault_after: Option<usize> = std::env::var(FAULT_ENV).ok().and_then(|v| v.parse().ok());
    let mut writes = 0usize;
    let mut wrote = |path: &Path, file: Option<&File>| -> Result<(), Error> {
        if fault_after == Some(writes) {
            std::process::abort();
        }
        match file {
            Some(f) => tree::write_file_atomic(path, f)?,
            None => remove_file(path)?,
        }
        writes += 1;
        Ok(())
    };

    // Three passes, so no write is blocked by a file or folder the plan removes, and a renamed
    // file reaches its new path before anything takes its old one:
    // 1. files carried by a rename, to their new path (unless something is still in the way);
    // 2. removals: files the template removed, and the old paths of renamed files (unless the
    //    template puts a new file there);
    // 3. every other write.
    let written_at: BTreeSet<&RelPath> = plan
        .changes
        .iter()
        .filter(|c| written(&c.action).is_some())
        .map(|c| &c.path)
        .collect();
    let mut done: BTreeSet<&RelPath> = BTreeSet::new();
    for change in plan.changes.iter().filter(|c| c.moved_from.is_some()) {
        if let Some(f) = written(&change.action) {
            let target = change.path.under(dir);
            if crate::project::file_in_the_way(dir, &change.path).is_none() && !is_folder(&target) {
                wrote(&target, Some(f))?;
                done.insert(&change.path);
            }
        }
    }
    for change in &plan.changes {
        if change.action == Action::Delete {
            wrote(&change.path.under(dir), None)?;
        }
        if let Some(from) = &change.moved_from {
            if !written_at.contains(from) {
                wrote(&from.under(dir), None)?;
            }
        }
    }
    for change in &plan.changes {
        if let Some(f) = written(&change.action) {
            if !done.contains(&change.path) {
                let target = change.path.under(dir);
                // A folder the removals emptied of files (`check_writable` made sure nothing
                // else is in it) gives way to the file.
                if is_folder(&target) && files_under(&target).is_empty() {
                    std::fs::remove_dir_all(&target).map_err(|source| tree::Error::Write {
                        path: target.clone(),
                        source,
                    })?;
                }
                wrote(&target, Some(f))?;
            }
        }
    }
    let mut touched = Vec::new();
    for change in &plan.changes {
        if change.action.writes() {
            touched.push(change.path.to_string());
        }
        if let Some(from) = &change.moved_from {
            touched.push(from.to_string());
        }
    }

    let mut conflicts = Vec::new();
    let mut marker_sizes = BTreeMap::new();
    let mut decisions = Vec::new();
    for change in &plan.changes {
        if let Action::Conflict {
            kind,
            base,
            ours,
            theirs,
            marker_size,
            ..
        } = &change.action
        {
            repo.record_conflict(&change.path, base.as_ref(), ours.as_ref(), theirs.as_ref())?;
            if kind.has_markers() {
                conflicts.push(change.path.to_string());
                if let Some(size) = marker_size {
                    marker_sizes.insert(change.path.to_string(), *size);
                }
            } else {
                decisions.push(change.path.to_string());
            }
        }
    }

    for (version, hook) in &plan.hooks {
        run_hook(plan, version, hook)?;
    }

    let message = plan.commit_message();
    let mut record = AnswersFile {
        bundle: Recorded {
            name: plan.name.clone(),
            version: plan.to_version.clone(),
            source: plan.source.to_string(),
            commit: plan.commit.clone(),
        },
        answers: plan.recorded_answers.clone(),
        upgrade: None,
    };
    let in_conflict = !conflicts.is_empty() || !decisions.is_empty();
    if in_conflict {
        // The recorded version stays the old one until the user finishes: a check or a second
        // upgrade must still render the base this upgrade merged against.
        let old = Project::open(dir)?.record;
        record = AnswersFile {
            bundle: old.bundle,
            answers: old.answers,
            upgrade: Some(PendingUpgrade {
                version: plan.to_version.clone(),
                source: plan.source.to_string(),
                commit: plan.commit.clone(),
                conflicts: conflicts.clone(),
                marker_sizes,
                decisions: decisions.clone(),
                touched: touched.clone(),
                started_dirty,
                message: message.clone(),
                answers: plan.recorded_answers.clone(),
            }),
        };
    }
    wrote(&dir.join(ANSWERS_FILE), Some(&File::new(record.to_toml())))?;

    let mut all_conflicts = conflicts;
    all_conflicts.extend(decisions);
    all_conflicts.sort();
    let commit = if in_conflict || options.no_commit || started_dirty {
        None
    } else {
        Some(repo.commit_project(&message)?)
    };
    Ok(Applied {
        commit,
        conflicts: all_conflicts,
        started_dirty,
    })
}

/// The file an action writes, if it writes one.
fn written(action: &Action) -> Option<&File> {
    match action {
        Action::Create(f) | Action::Update(f) | Action::Merged(f) => Some(f),
        Action::Conflict { file: Some(f), .. } => Some(f),
        _ => None,
    }
}

/// A folder, not a symlink to one (a write replaces a symlink; it cannot replace a folder).
fn is_folder(path: &Path) -> bool {
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
pub(super) fn check_writable(dir: &Path, changes: &[super::Change]) -> Result<(), Error> {
    let written_at: BTreeSet<&RelPath> = changes
        .iter()
        .filter(|c| written(&c.action).is_some())
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
        if let Some(file) = crate::project::file_in_the_way(dir, path) {
            if !removed.contains(&file) {
                return Err(Error::FileInTheWay {
                    path: path.to_string(),
                    file: file.to_string(),
                });
            }
        }
        let target = path.under(dir);
        if is_folder(&target) {
            let kept: Vec<String> = files_under(&target)
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

fn remove_file(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
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

/// Runs a migration hook from the bundle's `hooks/` in the project folder. Only reached for
/// trusted sources (checked when planning).
fn run_hook(plan: &UpgradePlan, version: &semver::Version, hook: &RelPath) -> Result<(), Error> {
    let err = |problem: String| Error::Hook {
        version: version.clone(),
        hook: hook.to_string(),
        problem,
    };
    let file = plan
        .new_bundle
        .hooks
        .get(hook)
        .ok_or_else(|| err("is not in the bundle's hooks/ folder".into()))?;
    let scratch = tempfile::tempdir().map_err(|e| err(format!("cannot be staged: {e}")))?;
    let script = scratch.path().join("hook");
    tree::write_file(
        &script,
        &File {
            bytes: file.bytes.clone(),
            executable: true,
        },
    )?;
    let status = std::process::Command::new(&script)
        .current_dir(&plan.project_dir)
        .env("GOLDPATH_BUNDLE", &plan.name)
        .env("GOLDPATH_FROM_VERSION", plan.from_version.to_string())
        .env("GOLDPATH_TO_VERSION", plan.to_version.to_string())
        .env("GOLDPATH_MIGRATION_VERSION", version.to_string())
        .status()
        .map_err(|e| {
            err(format!(
                "could not start: {e} (does it start with a #! line?)"
            ))
        })?;
    if !status.success() {
        return Err(err(format!("failed ({status}); the files are written but not committed: fix and commit, or `git checkout . && git clean -fd`")));
    }
    Ok(())
}

/// `upgrade --continue`: checks that no conflict remains, records the new version, commits.
pub fn finish(dir: &Path, no_commit: bool) -> Result<Applied, Error> {
    let project = Project::open(dir)?;
    let pending = project.record.upgrade.clone().ok_or(Error::NotInProgress)?;
    let repo = ProjectRepo::open(dir)?;
    let mut remaining = Vec::new();
    for path in &pending.conflicts {
        let rel = RelPath::new(path)?;
        if let Some(f) = crate::tree::read_file(dir, &rel)? {
            // The upgrade's own blocks (of the size it recorded) are unresolved even if the
            // user committed them; any other block is unresolved unless HEAD already had it.
            let ours_remain = pending
                .marker_sizes
                .get(path)
                .is_some_and(|&size| !crate::merge::parse_conflicts(&f.bytes, size).is_empty());
            let unresolved = ours_remain || {
                let before = repo.head_file(&rel)?;
                has_new_conflicts(&f.bytes, before.as_ref().map(|b| b.bytes.as_slice()))
            };
            if unresolved {
                remaining.push(format!("{path} (conflict markers remain)"));
            }
        }
    }
    let unmerged = repo.unmerged_paths()?;
    for path in &pending.decisions {
        if unmerged.contains(path) {
            remaining.push(format!(
                "{path} (keep it with `git add {path}` or delete it with `git rm {path}`)"
            ));
        }
    }
    if !remaining.is_empty() {
        return Err(Error::Unresolved { paths: remaining });
    }
    let record = AnswersFile {
        bundle: Recorded {
            name: project.record.bundle.name.clone(),
            version: pending.version.clone(),
            source: pending.source.clone(),
            commit: pending.commit.clone(),
        },
        answers: pending.answers.clone(),
        upgrade: None,
    };
    tree::write_file_atomic(&dir.join(ANSWERS_FILE), &File::new(record.to_toml()))?;
    let commit = if no_commit || pending.started_dirty {
        None
    } else {
        Some(repo.commit_project(&pending.message)?)
    };
    Ok(Applied {
        commit,
        conflicts: Vec::new(),
        started_dirty: pending.started_dirty,
    })
}

/// Whether `now` holds a conflict block that `before` (the file at HEAD, from before the
/// upgrade) did not. Blocks the user had committed (an example in a CONTRIBUTING.md, an old
/// merge left unresolved) are their text, not this upgrade's conflicts: the upgrade marks its
/// own with longer markers, and the user resolving those must be enough to finish.
fn has_new_conflicts(now: &[u8], before: Option<&[u8]>) -> bool {
    let mut old = before.map(conflict_blocks).unwrap_or_default();
    conflict_blocks(now)
        .into_iter()
        .any(|block| match old.iter().position(|b| *b == block) {
            Some(i) => {
                old.remove(i);
                false
            }
            None => true,
        })
}

/// Every conflict block of `bytes`, of every marker size from 7, as (size, ours, base, theirs).
type Block = (usize, Vec<u8>, Option<Vec<u8>>, Vec<u8>);

fn conflict_blocks(bytes: &[u8]) -> Vec<Block> {
    crate::merge::conflicts_of_every_size(bytes)
        .into_iter()
        .map(|(size, c)| (size, c.ours, c.base, c.theirs))
        .collect()
}

/// `upgrade --abort`: puts every file the upgrade touched back as it is at HEAD.
pub fn abort(dir: &Path) -> Result<(), Error> {
    let project = Project::open(dir)?;
    let pending = project.record.upgrade.clone().ok_or(Error::NotInProgress)?;
    if pending.started_dirty {
        return Err(Error::AbortDirty);
    }
    let repo = ProjectRepo::open(dir)?;
    // Conflicts without markers were not written, but their index stages must go too.
    let mut names: Vec<&String> = pending
        .touched
        .iter()
        .chain(&pending.conflicts)
        .chain(&pending.decisions)
        .collect();
    names.sort();
    names.dedup();
    let mut paths = names
        .into_iter()
        .map(|p| RelPath::new(p))
        .collect::<Result<Vec<_>, _>>()?;
    paths.push(RelPath::new(ANSWERS_FILE)?);
    // Paths HEAD does not have go first, with the folders that leaves empty, so that a file
    // the upgrade turned into a folder (or the reverse) can be written back.
    let mut absent = Vec::new();
    let mut present = Vec::new();
    for path in paths {
        if repo.head_file(&path)?.is_some() {
            present.push(path);
        } else {
            absent.push(path);
        }
    }
    repo.restore_from_head(dir, &absent)?;
    for path in &absent {
        remove_emptied_folders(&path.under(dir));
    }
    // Restored files keep the permissions they had (`tree::write_file_atomic`).
    repo.restore_from_head(dir, &present)?;
    Ok(())
}
