//! Running a campaign: the repositories of the shard that are not finished yet, `jobs` at a
//! time on threads, each upgraded on its own (one's failure is its own entry in the report, never
//! another's), each finished one appended to the report's journal.

use super::checkout::Checkout;
use super::ledger::Ledger;
use super::objects::{projects_in, TreeFiles};
use super::pull_request::{
    self, FileChange, FileKind, PrSettings, ProjectVersions, PullRequestPlan,
};
use super::repo::{self, Opened};
use super::report::{Mode, Outcome, RepoReport, Report};
use super::repos::{RepoLocation, RepoRef, Shard};
use super::Error;
use crate::bundle::Source;
use crate::forge::Forges;
use crate::merge::ConflictStyle;
use crate::project::Project;
use crate::tree::{File, RelPath, ANSWERS_FILE};
use crate::upgrade::{self, CurrentFiles};
use semver::Version;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What a campaign does.
#[derive(Debug)]
pub struct Options {
    pub mode: Mode,
    pub bundle: String,
    /// Default: each project's newest version.
    pub to: Option<Version>,
    pub branch: String,
    pub set: BTreeMap<String, String>,
    pub defaults: bool,
    pub trust: bool,
    pub style: ConflictStyle,
    pub push: bool,
    /// Push a branch with conflicts as well (otherwise it is committed, not pushed).
    pub push_conflicts: bool,
    /// Repositories worked on at once (at least 1).
    pub jobs: usize,
    pub shard: Option<Shard>,
    /// Where the report is saved after each repository.
    pub report: Option<PathBuf>,
    /// The report of an earlier run of the same campaign ([`Ledger::read`]): its finished
    /// repositories are skipped.
    pub resume: Option<(PathBuf, Ledger)>,
    /// `--pr`: open or update a pull request for each pushed branch.
    pub pull_requests: Option<PrSettings>,
}

/// Progress, for the caller to show.
#[derive(Debug)]
pub enum Event<'a> {
    /// How many repositories this run works on (after `--shard` and `--resume`), and how many
    /// `--resume` found finished.
    Planned {
        todo: usize,
        finished: usize,
    },
    Started {
        repo: &'a str,
    },
    Finished {
        repo: &'a str,
        report: &'a RepoReport,
    },
}

/// Runs the campaign over `repos`; returns its entries (also saved at `options.report`), each
/// on disk (see [`Ledger`]). `forges` opens the pull requests when `options.pull_requests` asks
/// for them.
pub fn run(
    repos: Vec<RepoRef>,
    mut options: Options,
    forges: Option<&Forges>,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> Result<Ledger, Error> {
    let to = options.to.as_ref().map(ToString::to_string);
    let campaign = Report::new(options.mode, &options.bundle, to, &options.branch);
    let mut ledger = match options.resume.take() {
        Some((path, earlier)) => {
            if !earlier.campaign().same_campaign(&campaign) {
                return Err(Error::OtherCampaign {
                    path,
                    found: earlier.campaign().describe_campaign(),
                    wanted: campaign.describe_campaign(),
                });
            }
            earlier
        }
        None => Ledger::new(&campaign),
    };
    let options = &options;
    let in_shard: Vec<RepoRef> = repos
        .into_iter()
        .filter(|r| options.shard.is_none_or(|s| r.in_shard(s)))
        .collect();
    let finished = in_shard
        .iter()
        .filter(|r| ledger.is_finished(&r.identity))
        .count();
    let todo: Vec<RepoRef> = in_shard
        .into_iter()
        .filter(|r| !ledger.is_finished(&r.identity))
        .collect();
    on_event(Event::Planned {
        todo: todo.len(),
        finished,
    });
    ledger.start(options.report.as_deref())?;
    let next = AtomicUsize::new(0);
    let shared = Mutex::new((ledger, None::<Error>));
    let jobs = options.jobs.clamp(1, todo.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut sources = Sources::default();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(repo) = todo.get(i) else { break };
                    on_event(Event::Started {
                        repo: &repo.identity,
                    });
                    let save = |entry: &RepoReport| {
                        let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
                        let (ledger, failure) = &mut *guard;
                        if let Err(e) = ledger.record(&repo.identity, entry) {
                            failure.get_or_insert(e);
                        }
                    };
                    let mut entry = upgrade_repo(repo, options, &mut sources);
                    if let (Some(settings), Some(forges)) = (&options.pull_requests, forges) {
                        if entry.pushed && entry.pull_request.is_some() {
                            // Saved before the forge is asked: a rate limit's long wait, or a
                            // kill during it, loses nothing of the branch already pushed. Saved
                            // as failed until the forge has answered, so that `--resume` after
                            // such a kill opens the pull request instead of taking the
                            // repository for finished.
                            save(&awaiting_pull_request(&entry));
                            open_pull_request(&mut entry, options, settings, forges);
                        }
                    }
                    on_event(Event::Finished {
                        repo: &repo.identity,
                        report: &entry,
                    });
                    save(&entry);
                }
            });
        }
    });
    let (mut ledger, failure) = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    match failure {
        Some(e) => Err(e),
        None => {
            if let Some(path) = &options.report {
                ledger.finish(path)?;
            }
            Ok(ledger)
        }
    }
}

/// `entry` as the report holds it while its pull request is being asked for: `failed` (so
/// `--resume` goes on with it) with the branch pushed and a detail that says so.
fn awaiting_pull_request(entry: &RepoReport) -> RepoReport {
    let mut waiting = entry.clone();
    waiting.outcome = Outcome::Failed;
    waiting.detail = Some(format!(
        "{}; the pull request was not opened yet when this report was saved (`--resume` opens or updates it)",
        entry.detail.as_deref().unwrap_or_default()
    ));
    waiting
}

/// Opens or updates the pull request of `entry`'s pushed branch and records its URL; a forge
/// error fails the entry (so `--resume` tries again, and finds the pull request if it was made).
fn open_pull_request(
    entry: &mut RepoReport,
    options: &Options,
    settings: &PrSettings,
    forges: &Forges,
) {
    let Some(plan) = &entry.pull_request else {
        return;
    };
    let Some(pr) = plan.to_forge(&options.bundle, settings) else {
        entry.outcome = Outcome::Failed;
        entry.detail = Some(format!(
            "{}; no pull request: the repository has no remote",
            entry.detail.as_deref().unwrap_or_default()
        ));
        return;
    };
    let result = forges.connect(&pr.repo_remote).and_then(|forge| {
        let opened = forge.open_or_update(&pr)?;
        let mut closed = Vec::new();
        if settings.close_superseded {
            let prefix = superseded_prefix(options);
            let comment = format!("Superseded by {}.", opened.url);
            closed = forge.close_superseded(&prefix, &options.branch, &comment)?;
        }
        Ok((opened, closed, forge.target().kind.noun()))
    });
    let mut detail = entry.detail.clone().unwrap_or_default();
    match result {
        Ok((opened, closed, noun)) => {
            let verb = match opened.action {
                crate::forge::Action::Created => "opened",
                crate::forge::Action::Updated => "updated",
            };
            let draft = if opened.draft { " (draft)" } else { "" };
            detail.push_str(&format!("; {noun} {verb}{draft}: {}", opened.url));
            for c in &closed {
                detail.push_str(&format!("; closed {} as superseded", c.url));
            }
            for w in &opened.warnings {
                detail.push_str(&format!("; warning: {w}"));
            }
            entry.pull_request_url = Some(opened.url);
            entry.pull_request_number = Some(opened.number);
            entry.pull_request_warnings = opened.warnings;
        }
        Err(e) => {
            entry.outcome = Outcome::Failed;
            detail.push_str(&format!("; pull request failed: {e}"));
        }
    }
    entry.detail = Some(crate::redact::redact(&detail));
}

/// The branch prefix older campaigns of the bundle share: `goldpath/rust-service-` for
/// `goldpath/rust-service-1.4.0`.
fn superseded_prefix(options: &Options) -> String {
    match &options.to {
        Some(to) => match options.branch.strip_suffix(&to.to_string()) {
            Some(prefix) if !prefix.is_empty() => prefix.to_string(),
            _ => format!("goldpath/{}-", options.bundle),
        },
        None => format!("goldpath/{}-", options.bundle),
    }
}

/// The bundle sources a worker opened, by spec: a git source's tags are fetched once a worker,
/// not once a repository.
#[derive(Default)]
struct Sources(HashMap<String, Result<Source, String>>);

impl Sources {
    fn get(&mut self, spec: &crate::bundle::SourceSpec) -> Result<&Source, String> {
        self.0
            .entry(spec.to_string())
            .or_insert_with(|| spec.open().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// One repository, start to end; every error becomes its entry's `failed` outcome.
fn upgrade_repo(repo: &RepoRef, options: &Options, sources: &mut Sources) -> RepoReport {
    match try_upgrade_repo(repo, options, sources) {
        Ok(entry) => entry,
        Err(error) => RepoReport::new(Outcome::Failed, Some(crate::redact::redact(&error))),
    }
}

/// One project's part of the branch.
struct ProjectUpgrade {
    versions: ProjectVersions,
    files: Vec<FileChange>,
    edits: Vec<(String, Option<File>)>,
    message: String,
    current: bool,
    /// The bundle CHANGELOG's sections for the versions crossed.
    release_notes: Option<String>,
    /// The migration hooks its upgrade runs, by name.
    hooks: Vec<String>,
}

fn try_upgrade_repo(
    repo: &RepoRef,
    options: &Options,
    sources: &mut Sources,
) -> Result<RepoReport, String> {
    let local = matches!(repo.location, RepoLocation::Local(_));
    let opened = repo::open_for(repo, options.mode == Mode::Upgrade, Some(&options.branch))?;
    let (base_branch, base) = repo::base_branch(&opened, local)?;
    let git = &opened.git;
    let base_tree = git
        .find_commit(base)
        .and_then(|c| c.tree())
        .map_err(|e| format!("reading {base_branch}: {}", e.message()))?;
    let found = projects_in(git, &base_tree);
    if found.is_empty() {
        return Ok(skipped("not a goldpath project", &base_branch));
    }
    let mut ours_projects = Vec::new();
    let mut others = Vec::new();
    for p in found {
        let record = p.record?;
        if record.bundle.name == options.bundle {
            ours_projects.push((p.prefix, record));
        } else {
            others.push(record.bundle.name);
        }
    }
    if ours_projects.is_empty() {
        others.dedup();
        return Ok(skipped(
            &format!("other bundle ({})", others.join(", ")),
            &base_branch,
        ));
    }
    let mut upgrades = Vec::new();
    for (prefix, record) in ours_projects {
        let ours = TreeFiles::new(git, base_tree.clone(), &prefix);
        match upgrade_project(&opened, base, &prefix, record, &ours, options, sources) {
            Ok(upgrade) => upgrades.push(upgrade),
            Err(ProjectError::NeedsTrust(why)) => {
                return Ok(skipped(
                    &format!("{}: {why}", project_name(&prefix)),
                    &base_branch,
                ))
            }
            Err(ProjectError::Failed(e)) => return Err(format!("{}: {e}", project_name(&prefix))),
        }
    }
    let mut entry = RepoReport::new(Outcome::Current, None);
    entry.base_branch = Some(base_branch.clone());
    entry.projects = upgrades.iter().map(|u| u.versions.clone()).collect();
    if upgrades.iter().all(|u| u.current) {
        return Ok(entry);
    }
    entry.files = upgrades
        .iter()
        .flat_map(|u| u.files.iter().cloned())
        .collect::<Vec<_>>()
        .into();
    let has_conflicts = entry.conflicts().next().is_some();
    entry.outcome = if has_conflicts {
        Outcome::Conflicts
    } else {
        Outcome::Upgraded
    };
    let to = common_version(&entry.projects);
    let mut plan = PullRequestPlan {
        remote_url: opened.remote.as_deref().map(crate::redact::mask_url),
        base_branch: base_branch.clone(),
        branch: options.branch.clone(),
        title: pull_request::title(&options.bundle, &to, has_conflicts),
        has_conflicts,
        projects: entry.projects.clone(),
        files: entry.files.clone(),
        // A monorepo's projects share the bundle: the widest range's notes, once.
        release_notes: upgrades
            .iter()
            .filter_map(|u| u.release_notes.clone())
            .max_by_key(String::len),
        resolve: None,
    };
    if has_conflicts {
        plan.resolve = Some(plan.resolve_steps(&options.bundle));
    }
    entry.pull_request = Some(plan);
    if options.mode == Mode::Plan {
        let mut detail = format!(
            "would commit {} file(s) on {}",
            entry.files.len(),
            options.branch
        );
        let hooks: Vec<&str> = upgrades
            .iter()
            .flat_map(|u| u.hooks.iter().map(String::as_str))
            .collect();
        if !hooks.is_empty() {
            // A plan runs nothing: what the hooks will change is not in the list.
            detail.push_str(&format!(
                ", then run the migration hook(s) {} on them",
                hooks.join(", ")
            ));
        }
        entry.detail = Some(detail);
        return Ok(entry);
    }
    write_branch(
        &opened,
        local,
        base,
        &upgrades,
        has_conflicts,
        options,
        &mut entry,
    )?;
    Ok(entry)
}

/// Commits the upgrade on the fleet branch (unless a person edited it, or it already holds
/// exactly this), and pushes it when asked.
fn write_branch(
    opened: &Opened,
    local: bool,
    base: git2::Oid,
    upgrades: &[ProjectUpgrade],
    has_conflicts: bool,
    options: &Options,
    entry: &mut RepoReport,
) -> Result<(), String> {
    let git = &opened.git;
    let branch = &options.branch;
    if local && repo::is_checked_out(git, branch) {
        *entry = skipped(
            &format!("{branch} is checked out in the work tree, which a fleet never touches; switch to another branch"),
            entry.base_branch.as_deref().unwrap_or_default(),
        );
        return Ok(());
    }
    let existing = repo::existing_branch(git, branch);
    if let Some(e) = existing.as_ref().filter(|e| !e.goldpaths) {
        let base_branch = entry.base_branch.clone().unwrap_or_default();
        *entry = skipped(
            &format!(
                "edited by a person: {branch} is at {}, which goldpath did not make; left alone",
                e.id
            ),
            &base_branch,
        );
        return Ok(());
    }
    let remote_was = repo::remote_branch(opened, branch, local);
    let edits: Vec<(String, Option<File>)> =
        upgrades.iter().flat_map(|u| u.edits.clone()).collect();
    // A cache's objects wait in memory and go to disk as one pack: into the remote when it is
    // pushed to in-process, else into the cache before its branch points at them.
    let cache = !local;
    if cache {
        repo::objects_in_memory(git)?;
    }
    let tree = repo::edited_tree(git, base, &edits)?;
    let unchanged = existing
        .as_ref()
        .is_some_and(|e| e.tree == tree && e.parent == Some(base));
    let commit = if unchanged {
        existing.as_ref().map(|e| e.id).expect("checked above")
    } else {
        let message = commit_message(upgrades, &options.bundle, has_conflicts);
        repo::make_commit(git, branch, base, tree, &message)?
    };
    let to_push =
        options.push && (!has_conflicts || options.push_conflicts) && remote_was != Some(commit);
    let in_process = to_push && opened.local_remote.is_some();
    let pack = match cache && (!unchanged || in_process) {
        true => {
            let hide: Vec<git2::Oid> = std::iter::once(base).chain(remote_was).collect();
            repo::new_objects(git, commit, &hide)?
        }
        false => Vec::new(),
    };
    // Pushed in-process first, so that a cache whose push went through needs no copy.
    let pushed_now = in_process.then(|| repo::push(opened, &pack, branch, commit, remote_was));
    if !unchanged {
        if !matches!(pushed_now, Some(Ok(()))) {
            repo::keep_objects(git, &pack)?;
        }
        repo::move_branch(git, branch, commit, existing.as_ref().map(|e| e.id))?;
    }
    entry.branch = Some(branch.clone());
    entry.commit = Some(commit.to_string());
    let mut detail = match (&existing, unchanged) {
        (None, _) => format!("{branch} created"),
        (Some(_), true) => format!("{branch} already holds this upgrade"),
        (Some(_), false) => format!("{branch} updated"),
    };
    if options.push {
        if has_conflicts && !options.push_conflicts {
            detail.push_str("; not pushed: it has conflicts (--push-conflicts pushes it)");
        } else if remote_was == Some(commit) {
            entry.pushed = true;
            detail.push_str("; the remote already has it");
        } else {
            let pushed = match pushed_now {
                Some(result) => result,
                None => repo::push(opened, &pack, branch, commit, remote_was),
            };
            match pushed {
                Ok(()) => {
                    entry.pushed = true;
                    detail.push_str("; pushed");
                }
                Err(repo::PushError::Moved) => {
                    let base_branch = entry.base_branch.clone().unwrap_or_default();
                    *entry = skipped(
                        &format!(
                            "edited by a person: {branch} on the remote moved after it was fetched (somebody pushed to it); nothing pushed, left alone"
                        ),
                        &base_branch,
                    );
                    return Ok(());
                }
                Err(repo::PushError::Failed(e)) => {
                    // Failed, with what was done kept (base branch, projects, the commit on the
                    // branch): `--resume` tries the push again from there.
                    entry.outcome = Outcome::Failed;
                    entry.detail = Some(crate::redact::redact(&format!("{detail}, but {e}")));
                    return Ok(());
                }
            }
        }
    }
    entry.detail = Some(detail);
    Ok(())
}

/// Why a project of the repository is not upgraded.
enum ProjectError {
    /// Its upgrade runs a hook from a source that is not trusted: the repository is skipped.
    NeedsTrust(String),
    /// The repository fails with this.
    Failed(String),
}

impl From<String> for ProjectError {
    fn from(e: String) -> ProjectError {
        ProjectError::Failed(e)
    }
}

/// Plans one project of the repository on its files in the base branch's tree (the tree of
/// commit `base`); in an upgrade, runs its migration hooks on the result (see [`run_hooks`]).
fn upgrade_project(
    opened: &Opened,
    base: git2::Oid,
    prefix: &str,
    record: crate::answers::AnswersFile,
    ours: &TreeFiles<'_>,
    options: &Options,
    sources: &mut Sources,
) -> Result<ProjectUpgrade, ProjectError> {
    let project = Project {
        dir: opened.root.join(prefix),
        record,
    };
    let spec = project.source(None);
    let source = sources.get(&spec)?;
    let upgrade_options = upgrade::Options {
        to: options.to.clone(),
        set: options.set.clone(),
        defaults: options.defaults,
        style: options.style,
        trust: options.trust,
        ..upgrade::Options::default()
    };
    let plan = match upgrade::prepare_from(&project, ours, source, &upgrade_options, None) {
        Ok(plan) => plan,
        Err(e @ upgrade::Error::Untrusted { .. }) => {
            return Err(ProjectError::NeedsTrust(format!(
                "{e}; read the hook in the bundle's hooks/ folder, and if you trust the source, run again with --trust"
            )))
        }
        Err(e) => return Err(e.to_string().into()),
    };
    let versions = ProjectVersions {
        path: prefix.trim_end_matches('/').to_string(),
        bundle: plan.name.clone(),
        from: plan.from_version.to_string(),
        to: plan.to_version.to_string(),
    };
    if plan.is_noop() {
        return Ok(ProjectUpgrade {
            versions,
            files: Vec::new(),
            edits: Vec::new(),
            message: String::new(),
            current: true,
            release_notes: None,
            hooks: Vec::new(),
        });
    }
    let mut edits = upgrade::edits(&plan, &project.record, ours).map_err(|e| e.to_string())?;
    let mut hook_changes = Vec::new();
    if options.mode == Mode::Upgrade && !plan.hooks.is_empty() {
        let changed = run_hooks(&opened.git, base, prefix, &plan, &edits)?;
        hook_changes = changed
            .iter()
            .filter(|(path, _)| path.as_str() != ANSWERS_FILE)
            .map(|(path, file)| FileChange {
                path: repo::in_repo(prefix, path),
                kind: match file {
                    None => FileKind::Removed,
                    Some(_) if ours.tracked(path) => FileKind::Updated,
                    Some(_) => FileKind::Added,
                },
            })
            .collect();
        edits = edits
            .with_hook_changes(changed)
            .map_err(|e| e.to_string())?;
    }
    let release_notes =
        plan.new_bundle.changelog.as_deref().and_then(|text| {
            pull_request::release_notes(text, &plan.from_version, &plan.to_version)
        });
    let mut files: Vec<FileChange> = plan
        .changes
        .iter()
        .filter_map(|c| {
            Some(FileChange {
                path: repo::in_repo(prefix, &c.path),
                kind: FileKind::of(c, prefix)?,
            })
        })
        .collect();
    // What the hooks changed. A file the template also wrote keeps the plan's word for it
    // (updated, local edits kept, conflicted) unless the hook removed it, or brought back one
    // the template removed.
    for change in hook_changes {
        match files.iter_mut().find(|f| f.path == change.path) {
            Some(planned)
                if change.kind == FileKind::Removed || planned.kind == FileKind::Removed =>
            {
                *planned = change
            }
            Some(_) => {}
            None => files.push(change),
        }
    }
    Ok(ProjectUpgrade {
        versions,
        files,
        edits: edits
            .files
            .into_iter()
            .map(|(p, f)| (repo::in_repo(prefix, &p), f))
            .collect(),
        message: plan.commit_message(),
        current: false,
        release_notes,
        hooks: plan
            .hooks
            .iter()
            .map(|(_, hook)| hook.to_string())
            .collect(),
    })
}

/// Runs the migration hooks of `plan` as `goldpath upgrade` does, in the folder of the project
/// at `prefix`, in a private checkout of the commit `base` with the upgrade's `edits` (the
/// answers file still as it was: `upgrade` writes it after the hooks). Returns what they
/// changed in the project. A hook that fails is the repository's error: nothing has been written
/// into the repository then.
fn run_hooks(
    git: &git2::Repository,
    base: git2::Oid,
    prefix: &str,
    plan: &upgrade::UpgradePlan,
    edits: &upgrade::Edits,
) -> Result<Vec<(RelPath, Option<File>)>, String> {
    let before: Vec<(String, Option<File>)> = edits
        .files
        .iter()
        .filter(|(path, _)| path.as_str() != ANSWERS_FILE)
        .map(|(path, file)| (repo::in_repo(prefix, path), file.clone()))
        .collect();
    let checkout = Checkout::new(git, base, &before)?;
    upgrade::run_hooks_in(plan, &checkout.project_dir(prefix)).map_err(|e| e.to_string())?;
    checkout.changes(prefix)
}

/// The commit message: the upgrade's own for one project; for a monorepo, a title and each
/// project's message under its folder.
fn commit_message(upgrades: &[ProjectUpgrade], bundle: &str, has_conflicts: bool) -> String {
    let changed: Vec<&ProjectUpgrade> = upgrades.iter().filter(|u| !u.current).collect();
    let mut message = match changed.as_slice() {
        [one] => one.message.clone(),
        many => {
            let to = common_version(&many.iter().map(|u| u.versions.clone()).collect::<Vec<_>>());
            let mut m = format!(
                "Upgrade {} projects of {bundle} to {to} (golden path)\n",
                many.len()
            );
            for u in many {
                m.push_str(&format!(
                    "\n{}:\n{}",
                    project_name(&u.versions.path),
                    u.message
                ));
            }
            m
        }
    };
    if has_conflicts {
        message.push_str("\nConflicts are committed with their markers: resolve them, then run `goldpath upgrade --continue` in the project.\n");
    }
    message
}

/// The version every project goes to, or the versions joined.
fn common_version(projects: &[ProjectVersions]) -> String {
    let mut tos: Vec<&str> = projects.iter().map(|p| p.to.as_str()).collect();
    tos.sort();
    tos.dedup();
    tos.join(", ")
}

fn project_name(prefix: &str) -> String {
    match prefix.trim_end_matches('/') {
        "" => "the project at the root".into(),
        p => format!("project {p}"),
    }
}

fn skipped(why: &str, base_branch: &str) -> RepoReport {
    let mut entry = RepoReport::new(Outcome::Skipped, Some(why.to_string()));
    if !base_branch.is_empty() {
        entry.base_branch = Some(base_branch.to_string());
    }
    entry
}
