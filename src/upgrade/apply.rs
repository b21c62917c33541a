//! Writing an upgrade plan: files one by one, each atomically (temp + rename); conflicts into
//! the index as stages 1/2/3; hooks; the answers file last; then the commit. Also `--continue`
//! and `--abort` for an upgrade that stopped on conflicts.
//!
//! The tree was clean when the upgrade started (unless `--allow-dirty`), so a crash at any point
//! leaves a tree that `git checkout . && git clean -fd` (or `goldpath upgrade --abort` once the
//! answers file is written) restores.

use super::error::Error;
use super::journal::{Journal, PlannedCommit, Step};
use super::plan::{Action, Conflict, ConflictKind};
use super::prepare::{Options, UpgradePlan};
use super::workspace::{files_under, is_folder, rel_paths, remove_file};
use crate::answers::{AnswersFile, PendingUpgrade, Recorded};
use crate::fault;
use crate::git::{ProjectRepo, Verify};
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

/// The paths a plan writes or removes, split by whether a file is there now (git tracks it:
/// the plan never writes over or removes a file git does not track) or not (the plan creates it).
fn paths_written(plan: &UpgradePlan) -> (Vec<String>, Vec<String>) {
    let dir = &plan.project_dir;
    let mut restore = BTreeSet::new();
    let mut created = BTreeSet::new();
    for change in &plan.changes {
        for path in change.paths_written() {
            // A folder in the place of a file the plan writes is not a file to restore.
            if std::fs::symlink_metadata(path.under(dir)).is_ok_and(|m| !m.is_dir()) {
                restore.insert(path.to_string());
            } else {
                created.insert(path.to_string());
            }
        }
        if matches!(change.action, Action::Conflict(_)) && !change.action.writes() {
            // Its index stages are written; undoing drops them.
            restore.insert(change.path.to_string());
        }
    }
    // An adoption creates the answers file: undoing it removes the file, not restores it.
    if std::fs::symlink_metadata(dir.join(ANSWERS_FILE)).is_ok() {
        restore.insert(ANSWERS_FILE.to_string());
    } else {
        created.insert(ANSWERS_FILE.to_string());
    }
    (restore.into_iter().collect(), created.into_iter().collect())
}

/// Writes `plan` under a journal: the files (see [`write_files`]), the conflicts into the
/// index, the hooks, the answers file last; then commits, unless it stopped on conflicts.
pub fn apply(plan: &UpgradePlan, options: &Options) -> Result<Applied, Error> {
    let dir = &plan.project_dir;
    let started_dirty = plan.started_dirty;
    let repo = ProjectRepo::open(dir)?;
    let (restore, created) = paths_written(plan);
    let message = plan.commit_message();
    let mut journal = Journal {
        step: Step::Upgrade,
        head: repo.head_id(),
        restore,
        created: created.clone(),
        answers_after: String::new(),
        answers_before: None,
        commit: None,
    };
    // `--allow-dirty` mixes the user's uncommitted work with the upgrade's: nothing can be undone
    // from HEAD then, so no journal promises it.
    if !started_dirty {
        journal.begin(&repo)?;
    }
    let mut writer = Writer::new(dir);
    write_files(plan, &mut writer)?;
    let marked = record_conflicts(plan, &repo)?;
    for (version, hook) in &plan.hooks {
        run_hook(plan, version, hook, dir, HookOutput::Inherited)?;
    }
    let commit_paths = commit_paths(plan, &repo)?;
    let record = answers_record(plan, &marked, &commit_paths, created, &message)?;
    let commits = !(marked.any() || options.no_commit || started_dirty);
    let answers_after = record.to_toml();
    if !started_dirty {
        // The journal learns the last write and the commit before they happen, so that a
        // process cut off after the last write finishes by committing, not by undoing.
        journal.answers_after = answers_after.clone();
        journal.commit = commits.then(|| PlannedCommit {
            message: message.clone(),
            paths: commit_paths.clone(),
            no_verify: options.verify == Verify::NoVerify,
        });
        journal.begin(&repo)?;
    }
    writer.write(
        &RelPath::new(ANSWERS_FILE)?,
        Some(&File::new(answers_after)),
    )?;
    let commit = if commits {
        fault::point();
        let paths = rel_paths(&commit_paths)?;
        Some(commit_or_refused(
            &repo,
            dir,
            &message,
            &paths,
            options.verify,
        )?)
    } else {
        None
    };
    if !started_dirty {
        fault::point();
        Journal::end(&repo)?;
    }
    Ok(Applied {
        commit,
        conflicts: marked.all(),
        started_dirty,
    })
}

/// Writes and removes the files of a project, each atomically, each a [`fault::point`].
struct Writer<'a> {
    dir: &'a Path,
}

impl Writer<'_> {
    fn new(dir: &Path) -> Writer<'_> {
        Writer { dir }
    }

    /// Writes `file` at `path`, or removes the file there when `None`.
    fn write(&mut self, path: &RelPath, file: Option<&File>) -> Result<(), Error> {
        // Planning refused symlinks; this catches one made since.
        tree::no_symlink_on_the_way(self.dir, path)?;
        fault::point();
        match file {
            Some(f) => tree::write_file_atomic(&path.under(self.dir), f)?,
            None => remove_file(&path.under(self.dir))?,
        }
        Ok(())
    }
}

/// Writes the plan's files in three passes, so no write is blocked by a file or folder the plan
/// removes, and a renamed file reaches its new path before anything takes its old one:
/// 1. files carried by a rename, to their new path (unless something is still in the way);
/// 2. removals: files the template removed, and the old paths of renamed files (unless the
///    template puts a new file there);
/// 3. every other write.
fn write_files(plan: &UpgradePlan, writer: &mut Writer<'_>) -> Result<(), Error> {
    let dir = &plan.project_dir;
    let written_at: BTreeSet<&RelPath> = plan
        .changes
        .iter()
        .filter(|c| c.action.written().is_some())
        .map(|c| &c.path)
        .collect();
    let mut done: BTreeSet<&RelPath> = BTreeSet::new();
    for change in plan.changes.iter().filter(|c| c.moved_from.is_some()) {
        if let Some(f) = change.action.written() {
            let target = change.path.under(dir);
            if crate::project::file_in_the_way(dir, &change.path).is_none() && !is_folder(&target) {
                writer.write(&change.path, Some(f))?;
                done.insert(&change.path);
            }
        }
    }
    for change in &plan.changes {
        if change.action == Action::Delete {
            writer.write(&change.path, None)?;
        }
        if let Some(from) = &change.moved_from {
            if !written_at.contains(from) {
                writer.write(from, None)?;
            }
        }
    }
    for change in &plan.changes {
        if let Some(f) = change.action.written() {
            if !done.contains(&change.path) {
                let target = change.path.under(dir);
                // A folder the removals emptied of files (`check_writable` made sure nothing
                // else is in it) gives way to the file.
                if is_folder(&target) && files_under(&target).is_empty() {
                    tree::no_symlink_on_the_way(dir, &change.path)?;
                    std::fs::remove_dir_all(&target).map_err(|source| tree::Error::Write {
                        path: target.clone(),
                        source,
                    })?;
                }
                writer.write(&change.path, Some(f))?;
            }
        }
    }
    Ok(())
}

/// The conflicts of an upgrade as recorded in the index, by how the user resolves them.
#[derive(Default)]
struct Marked {
    /// Marked in the file.
    conflicts: Vec<String>,
    marker_sizes: BTreeMap<String, usize>,
    /// Kept or deleted with `git add` / `git rm`.
    decisions: Vec<String>,
    /// The template's file waits behind one git does not track.
    untracked: Vec<String>,
}

impl Marked {
    fn any(&self) -> bool {
        !self.conflicts.is_empty() || !self.decisions.is_empty() || !self.untracked.is_empty()
    }

    /// Every path in conflict, sorted.
    fn all(self) -> Vec<String> {
        let mut all = self.conflicts;
        all.extend(self.decisions);
        all.extend(self.untracked);
        all.sort();
        all
    }
}

/// Records every conflict of the plan in the index as stages 1/2/3.
fn record_conflicts(plan: &UpgradePlan, repo: &ProjectRepo) -> Result<Marked, Error> {
    let mut marked = Marked::default();
    for change in &plan.changes {
        let Action::Conflict(Conflict {
            kind,
            base,
            ours,
            theirs,
            marker_size,
            ..
        }) = &change.action
        else {
            continue;
        };
        fault::point();
        if *kind == ConflictKind::Untracked {
            // Only the template's side: the user's file is not git's, and its content
            // does not go into git's object store either.
            repo.record_conflict(&change.path, None, None, theirs.as_ref())?;
            marked.untracked.push(change.path.to_string());
            continue;
        }
        repo.record_conflict(&change.path, base.as_ref(), ours.as_ref(), theirs.as_ref())?;
        marked.add(&change.path, *kind, *marker_size);
    }
    Ok(marked)
}

impl Marked {
    /// Files a conflict of `kind` at `path` (not one behind an untracked file) where
    /// `--continue` looks for it.
    fn add(&mut self, path: &RelPath, kind: ConflictKind, marker_size: Option<usize>) {
        if kind.has_markers() {
            self.conflicts.push(path.to_string());
            if let Some(size) = marker_size {
                self.marker_sizes.insert(path.to_string(), size);
            }
        } else {
            self.decisions.push(path.to_string());
        }
    }
}

/// An upgrade as edits to the project's files, for a caller that writes them somewhere else
/// than a work tree (`goldpath fleet` commits them from git objects): see [`edits`].
#[derive(Debug)]
pub struct Edits {
    /// Paths relative to the project to remove (`None`) or write, removals first, the answers
    /// file last.
    pub files: Vec<(RelPath, Option<File>)>,
    /// Paths left in conflict, sorted: marked ones are written with their markers, the others
    /// (modified here and deleted by the template, binary) keep the project's file.
    pub conflicts: Vec<String>,
    /// The answers file written last in `files`, kept so that [`Edits::with_hook_changes`] can
    /// record what the hooks changed in it.
    record: AnswersFile,
}

impl Edits {
    /// Adds what the plan's hooks changed (paths relative to the project; `None`: removed), as a
    /// caller read it back from a checkout of these edits (see [`run_hooks_in`]). As in [`apply`]:
    /// the answers file is the upgrade's own whatever a hook did to it (it is written after the
    /// hooks), and an upgrade waiting on conflicts lists the hooks' paths among those it touched.
    pub fn with_hook_changes(
        mut self,
        changed: Vec<(RelPath, Option<File>)>,
    ) -> Result<Edits, Error> {
        let changed: Vec<_> = changed
            .into_iter()
            .filter(|(p, _)| p.as_str() != ANSWERS_FILE)
            .collect();
        if changed.is_empty() {
            return Ok(self);
        }
        if let Some(pending) = &mut self.record.upgrade {
            pending
                .touched
                .extend(changed.iter().map(|(p, _)| p.to_string()));
            pending.touched.sort();
            pending.touched.dedup();
        }
        self.files
            .retain(|(p, _)| p.as_str() != ANSWERS_FILE && !changed.iter().any(|(c, _)| c == p));
        self.files.extend(changed);
        self.files.push((
            RelPath::new(ANSWERS_FILE)?,
            Some(File::new(self.record.to_toml())),
        ));
        Ok(self)
    }
}

/// The files `plan` writes and removes, computed without writing anything. `ours` are the
/// project's files the plan was made from, `record` its answers file. With conflicts, the
/// answers file records the upgrade as waiting, exactly as [`apply`] leaves it, so that once the
/// edits are checked out `goldpath upgrade --continue` finishes it. The plan's hooks are not run:
/// they need a work tree, which the caller makes of these edits ([`run_hooks_in`]), adding what
/// they changed with [`Edits::with_hook_changes`].
pub fn edits(
    plan: &UpgradePlan,
    record: &AnswersFile,
    ours: &dyn super::CurrentFiles,
) -> Result<Edits, Error> {
    let written_at: BTreeSet<&RelPath> = plan
        .changes
        .iter()
        .filter(|c| c.action.written().is_some())
        .map(|c| &c.path)
        .collect();
    let mut files = Vec::new();
    for change in &plan.changes {
        if change.action == Action::Delete {
            files.push((change.path.clone(), None));
        }
        if let Some(from) = change
            .moved_from
            .as_ref()
            .filter(|f| !written_at.contains(f))
        {
            files.push((from.clone(), None));
        }
    }
    let mut marked = Marked::default();
    for change in &plan.changes {
        if let Some(f) = change.action.written() {
            files.push((change.path.clone(), Some(f.clone())));
        }
        if let Action::Conflict(c) = &change.action {
            marked.add(&change.path, c.kind, c.marker_size);
        }
    }
    let mut created = BTreeSet::new();
    for change in &plan.changes {
        for path in change.paths_written() {
            if ours.read(path)?.is_none() {
                created.insert(path.to_string());
            }
        }
    }
    let mut commit_paths: BTreeSet<String> = plan
        .changes
        .iter()
        .flat_map(|c| c.paths_written())
        .map(RelPath::to_string)
        .collect();
    commit_paths.insert(ANSWERS_FILE.to_string());
    let commit_paths: Vec<String> = commit_paths.into_iter().collect();
    let message = plan.commit_message();
    let after = answers_record_from(
        plan,
        &marked,
        &commit_paths,
        created.into_iter().collect(),
        &message,
        Some(record),
    )?;
    files.push((
        RelPath::new(ANSWERS_FILE)?,
        Some(File::new(after.to_toml())),
    ));
    Ok(Edits {
        files,
        conflicts: marked.all(),
        record: after,
    })
}

/// What the commit holds: every path the upgrade wrote or removed, and what its hooks changed
/// (the tree was clean before, so every change now is the upgrade's). Nothing else.
fn commit_paths(plan: &UpgradePlan, repo: &ProjectRepo) -> Result<Vec<String>, Error> {
    let mut paths: BTreeSet<String> = plan
        .changes
        .iter()
        .flat_map(|c| c.paths_written())
        .map(RelPath::to_string)
        .collect();
    if !plan.started_dirty && !plan.hooks.is_empty() {
        paths.extend(repo.dirty_paths()?);
    }
    paths.insert(ANSWERS_FILE.to_string());
    Ok(paths.into_iter().collect())
}

/// The answers file after the upgrade: the new version and answers; or, when it stopped on
/// conflicts, the old ones with the upgrade waiting for `--continue`.
fn answers_record(
    plan: &UpgradePlan,
    marked: &Marked,
    commit_paths: &[String],
    created: Vec<String>,
    message: &str,
) -> Result<AnswersFile, Error> {
    answers_record_from(plan, marked, commit_paths, created, message, None)
}

/// [`answers_record`] with the project's answers file as it was before the upgrade (`None`:
/// read from the project's folder).
fn answers_record_from(
    plan: &UpgradePlan,
    marked: &Marked,
    commit_paths: &[String],
    created: Vec<String>,
    message: &str,
    before: Option<&AnswersFile>,
) -> Result<AnswersFile, Error> {
    let upgraded = AnswersFile {
        bundle: Recorded {
            name: plan.name.clone(),
            version: plan.to_version.clone(),
            source: plan.source.to_string(),
            commit: plan.commit.clone(),
        },
        answers: plan.recorded_answers.clone(),
        upgrade: None,
    };
    if !marked.any() {
        return Ok(upgraded);
    }
    // The recorded version stays the old one until the user finishes: a check or a second
    // upgrade must still render the base this upgrade merged against. An adoption has none
    // (its base is empty): it records the version it adopts, which `--abort` removes.
    let old = match (before, &plan.adopting) {
        (Some(record), _) => record.clone(),
        (None, Some(_)) => upgraded,
        (None, None) => Project::open(&plan.project_dir)?.record,
    };
    Ok(AnswersFile {
        bundle: old.bundle,
        answers: old.answers,
        upgrade: Some(PendingUpgrade {
            version: plan.to_version.clone(),
            source: plan.source.to_string(),
            commit: plan.commit.clone(),
            conflicts: marked.conflicts.clone(),
            marker_sizes: marked.marker_sizes.clone(),
            decisions: marked.decisions.clone(),
            untracked: marked.untracked.clone(),
            touched: commit_paths.to_vec(),
            created: Some(created),
            started_dirty: plan.started_dirty,
            message: message.to_string(),
            answers: plan.recorded_answers.clone(),
        }),
    })
}

/// Where a hook's output goes.
#[derive(Clone, Copy, PartialEq)]
enum HookOutput {
    /// To the user's terminal, as `upgrade` runs it.
    Inherited,
    /// Kept (no input either): many repositories are upgraded at once and the terminal belongs
    /// to the progress and the table; a failing hook's stderr becomes its error.
    Captured,
}

/// Runs the plan's migration hooks, in order, in `dir`: the project's folder in a checkout of
/// [`edits`] that the caller made (`goldpath fleet` has no work tree). The environment is
/// [`apply`]'s; their output is kept, and a hook that fails is an error holding the end of its
/// stderr. Only reached for trusted sources (checked when planning).
pub fn run_hooks_in(plan: &UpgradePlan, dir: &Path) -> Result<(), Error> {
    for (version, hook) in &plan.hooks {
        run_hook(plan, version, hook, dir, HookOutput::Captured)?;
    }
    Ok(())
}

/// The last lines of a hook's stderr that an error quotes.
const HOOK_STDERR_LINES: usize = 20;

/// Runs a migration hook from the bundle's `hooks/` in the project folder `dir`. Only reached
/// for trusted sources (checked when planning).
fn run_hook(
    plan: &UpgradePlan,
    version: &semver::Version,
    hook: &RelPath,
    dir: &Path,
    output: HookOutput,
) -> Result<(), Error> {
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
    let mut command = std::process::Command::new(&script);
    command
        .current_dir(dir)
        .env("GOLDPATH_BUNDLE", &plan.name)
        .env("GOLDPATH_FROM_VERSION", plan.from_version.to_string())
        .env("GOLDPATH_TO_VERSION", plan.to_version.to_string())
        .env("GOLDPATH_MIGRATION_VERSION", version.to_string());
    let started = |e: std::io::Error| {
        err(format!(
            "could not start: {e} (does it start with a #! line?)"
        ))
    };
    if output == HookOutput::Captured {
        command.stdin(std::process::Stdio::null());
        let out = retry_while_busy(|| command.output()).map_err(started)?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let lines: Vec<&str> = stderr.trim_end().lines().collect();
            let tail = lines[lines.len().saturating_sub(HOOK_STDERR_LINES)..].join("\n");
            let said = if tail.trim().is_empty() {
                " and said nothing on stderr".to_string()
            } else {
                format!(": {tail}")
            };
            return Err(err(format!("failed ({}){said}", out.status)));
        }
        return Ok(());
    }
    let status = retry_while_busy(|| command.status()).map_err(started)?;
    if !status.success() {
        return Err(err(format!("failed ({status}); the files are written but not committed: fix and commit, or `git checkout . && git clean -fd`")));
    }
    Ok(())
}

/// Runs `start` again while the kernel says the script just written is busy (`ETXTBSY`): a
/// process another thread forks at that moment (fleet runs repositories in parallel) holds the
/// script's write descriptor until its own exec closes it, which takes a moment.
fn retry_while_busy<T>(mut start: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    let mut pause = std::time::Duration::from_millis(2);
    for _ in 0..10 {
        match start() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(200));
            }
            done => return done,
        }
    }
    start()
}

/// `upgrade --continue`: checks that no conflict remains, records the new version, commits.
pub fn finish(dir: &Path, no_commit: bool, verify: Verify) -> Result<Applied, Error> {
    let project = Project::open(dir)?;
    let pending = project.record.upgrade.clone().ok_or(Error::NotInProgress)?;
    let repo = ProjectRepo::open(dir)?;
    let remaining = unresolved(dir, &pending, &repo)?;
    if !remaining.is_empty() {
        return Err(Error::Unresolved { paths: remaining });
    }
    let Waiting { arriving, dropped } = waiting_behind_untracked(dir, &pending, &repo)?;
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
    let mut commit_paths: BTreeSet<String> = pending
        .touched
        .iter()
        .chain(&pending.conflicts)
        .chain(&pending.decisions)
        .cloned()
        .collect();
    commit_paths.extend(arriving.iter().map(|(p, _)| p.to_string()));
    commit_paths.insert(ANSWERS_FILE.to_string());
    let commit_paths: Vec<String> = commit_paths.into_iter().collect();
    let commits = !(no_commit || pending.started_dirty);
    let resolved: BTreeSet<&String> = pending.conflicts.iter().chain(&pending.decisions).collect();
    let message = super::prepare::with_resolved(&pending.message, resolved);
    let answers_after = record.to_toml();
    let journal = Journal {
        step: Step::Continue,
        head: repo.head_id(),
        restore: vec![ANSWERS_FILE.to_string()],
        created: arriving.iter().map(|(p, _)| p.to_string()).collect(),
        answers_after: answers_after.clone(),
        answers_before: std::fs::read_to_string(dir.join(ANSWERS_FILE)).ok(),
        commit: commits.then(|| PlannedCommit {
            message: message.clone(),
            paths: commit_paths.clone(),
            no_verify: verify == Verify::NoVerify,
        }),
    };
    if !pending.started_dirty {
        journal.begin(&repo)?;
    }
    let mut writer = Writer::new(dir);
    for (path, file) in &arriving {
        writer.write(path, Some(file))?;
    }
    fault::point();
    tree::no_symlink_on_the_way(dir, &RelPath::new(ANSWERS_FILE)?)?;
    tree::write_file_atomic(&dir.join(ANSWERS_FILE), &File::new(answers_after))?;
    fault::point();
    repo.sync_index_to_head(&dropped)?;
    let commit = if commits {
        fault::point();
        let paths = rel_paths(&commit_paths)?;
        Some(commit_or_refused(&repo, dir, &message, &paths, verify)?)
    } else {
        None
    };
    if !pending.started_dirty {
        fault::point();
        Journal::end(&repo)?;
    }
    Ok(Applied {
        commit,
        conflicts: Vec::new(),
        started_dirty: pending.started_dirty,
    })
}

/// Commits `paths`; when a hook of the repository refuses, the step is over all the same (its
/// files are written and staged, as with `--no-commit`), so its journal ends before the error
/// that says how to commit by hand.
pub(super) fn commit_or_refused(
    repo: &ProjectRepo,
    dir: &Path,
    message: &str,
    paths: &[RelPath],
    verify: Verify,
) -> Result<String, Error> {
    match repo.commit_paths(dir, message, paths, verify) {
        Err(e @ crate::git::Error::Hook { .. }) => {
            Journal::end(repo)?;
            Err(e.into())
        }
        other => Ok(other?),
    }
}

/// The conflicts of `pending` the user has not resolved yet, each with how to resolve it.
fn unresolved(
    dir: &Path,
    pending: &PendingUpgrade,
    repo: &ProjectRepo,
) -> Result<Vec<String>, Error> {
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
    Ok(remaining)
}

/// The template's files that waited behind a file git does not track.
struct Waiting {
    /// Written now: the user moved theirs away.
    arriving: Vec<(RelPath, File)>,
    /// The user's is still there, so it stays and the template's is dropped.
    dropped: Vec<RelPath>,
}

fn waiting_behind_untracked(
    dir: &Path,
    pending: &PendingUpgrade,
    repo: &ProjectRepo,
) -> Result<Waiting, Error> {
    let mut arriving = Vec::new();
    let mut dropped = Vec::new();
    for path in &pending.untracked {
        let rel = RelPath::new(path)?;
        match (
            tree::read_file(dir, &rel)?,
            repo.staged_file(&rel, 3)?,
            crate::project::file_in_the_way(dir, &rel),
        ) {
            (None, Some(theirs), None) if !is_folder(&rel.under(dir)) => {
                arriving.push((rel, theirs))
            }
            _ => dropped.push(rel),
        }
    }
    Ok(Waiting { arriving, dropped })
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

/// `upgrade --abort`: puts every file the upgrade touched back as it is at HEAD, and removes
/// the files it created. Files it did not write (a file of the user's that git does not track,
/// where the template wanted one) are left alone.
pub fn abort(dir: &Path) -> Result<(), Error> {
    let project = Project::open(dir)?;
    let pending = project.record.upgrade.clone().ok_or(Error::NotInProgress)?;
    if pending.started_dirty {
        return Err(Error::AbortDirty);
    }
    let repo = ProjectRepo::open(dir)?;
    // Conflicts without markers were not written, but their index stages must go too.
    let mut restore: Vec<String> = pending
        .touched
        .iter()
        .chain(&pending.conflicts)
        .chain(&pending.decisions)
        .chain(&pending.untracked)
        .cloned()
        .collect();
    restore.push(ANSWERS_FILE.to_string());
    restore.sort();
    restore.dedup();
    let created = match &pending.created {
        Some(created) => created.clone(),
        // A record from before goldpath kept the list: what HEAD lacks of what it touched.
        None => {
            let mut created = Vec::new();
            for path in &pending.touched {
                if repo.head_file(&RelPath::new(path)?)?.is_none() {
                    created.push(path.clone());
                }
            }
            created
        }
    };
    let journal = Journal {
        step: Step::Abort,
        head: repo.head_id(),
        restore,
        created,
        answers_after: String::new(),
        answers_before: std::fs::read_to_string(dir.join(ANSWERS_FILE)).ok(),
        commit: None,
    };
    journal.begin(&repo)?;
    super::journal::undo(dir, &repo, &journal)?;
    Journal::end(&repo)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_busy_script_is_started_again_and_other_errors_are_not_retried() {
        use std::io::{Error, ErrorKind};
        let mut calls = 0;
        let started = retry_while_busy(|| {
            calls += 1;
            if calls < 3 {
                Err(Error::from(ErrorKind::ExecutableFileBusy))
            } else {
                Ok(calls)
            }
        });
        assert_eq!(started.unwrap(), 3);
        let mut calls = 0;
        let refused = retry_while_busy(|| -> std::io::Result<()> {
            calls += 1;
            Err(Error::from(ErrorKind::PermissionDenied))
        });
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::PermissionDenied);
        assert_eq!(calls, 1);
    }
    use super::*;

    fn edits_waiting_on_conflicts() -> Edits {
        let record = AnswersFile::parse_bytes(
            b"[bundle]\nname = \"svc\"\nversion = \"1.0.0\"\nsource = \"builtin\"\n\n\
              [upgrade]\nversion = \"2.0.0\"\nsource = \"builtin\"\nconflicts = [\"a.txt\"]\n\
              touched = [\"a.txt\", \"b.txt\"]\n",
            ANSWERS_FILE,
        )
        .unwrap();
        let path = |p: &str| RelPath::new(p).unwrap();
        Edits {
            files: vec![
                (path("gone.txt"), None),
                (path("a.txt"), Some(File::new("<<<<<<< markers\n"))),
                (path("b.txt"), Some(File::new("template\n"))),
                (path(ANSWERS_FILE), Some(File::new(record.to_toml()))),
            ],
            conflicts: vec!["a.txt".into()],
            record,
        }
    }

    #[test]
    fn hook_changes_join_the_edits_and_the_waiting_upgrade_touches_them() {
        let path = |p: &str| RelPath::new(p).unwrap();
        let edits = edits_waiting_on_conflicts()
            .with_hook_changes(vec![
                (path("b.txt"), Some(File::new("rewritten by the hook\n"))),
                (path("c.txt"), None),
                (path("new/d.txt"), Some(File::new("made by the hook\n"))),
                // The answers file is the upgrade's, whatever a hook wrote.
                (path(ANSWERS_FILE), Some(File::new("hacked = true\n"))),
            ])
            .unwrap();
        let files: Vec<(&str, Option<&[u8]>)> = edits
            .files
            .iter()
            .map(|(p, f)| (p.as_str(), f.as_ref().map(|f| f.bytes.as_slice())))
            .collect();
        assert_eq!(
            &files[..4],
            &[
                ("gone.txt", None),
                ("a.txt", Some(&b"<<<<<<< markers\n"[..])),
                ("b.txt", Some(&b"rewritten by the hook\n"[..])),
                ("c.txt", None),
            ]
        );
        assert_eq!(files[4], ("new/d.txt", Some(&b"made by the hook\n"[..])));
        let (last, answers) = &edits.files[5];
        assert_eq!((last.as_str(), edits.files.len()), (ANSWERS_FILE, 6));
        let answers =
            AnswersFile::parse_bytes(&answers.as_ref().unwrap().bytes, ANSWERS_FILE).unwrap();
        assert_eq!(
            answers.upgrade.unwrap().touched,
            ["a.txt", "b.txt", "c.txt", "new/d.txt"]
        );
        assert_eq!(edits.conflicts, ["a.txt"]);
    }

    #[test]
    fn no_hook_change_leaves_the_edits_as_they_were() {
        let before = edits_waiting_on_conflicts();
        let files = before.files.clone();
        let after = before.with_hook_changes(Vec::new()).unwrap();
        assert_eq!(after.files, files);
    }
}
