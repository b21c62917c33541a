//! `goldpath fleet status`: adoption across the fleet, read from each repository's default
//! branch in git's objects: every goldpath project, its bundle, version, how far behind, its
//! drift, customisations, leftover conflict markers and waiting upgrade, computed by `check`'s
//! own comparison ([`crate::check::check_on`]). Never runs a hook, never writes to a
//! repository. [`FleetStatus`] is the one document every format is made from, and [`Summary`]
//! the counts they all show.

mod format;
pub(super) mod time;

pub use format::{state, summary_line, Format};
pub use time::rfc3339;

use super::objects::{projects_in, TreeFiles};
use super::repos::{RepoLocation, RepoRef};
use super::Report;
use crate::bundle::{Network, Source, SourceSpec};
use crate::check;
use crate::project::Project;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The schema version of [`FleetStatus`] (docs/fleet-status.schema.json).
pub const STATUS_SCHEMA: u32 = 1;

/// `goldpath fleet status`: one document, serialised as the `json` format and stored by
/// `--history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetStatus {
    /// [`STATUS_SCHEMA`].
    pub schema: u32,
    /// RFC 3339 UTC, e.g. `2026-11-30T15:00:00Z`.
    pub generated_at: String,
    pub repos: Vec<RepoStatus>,
}

/// One repository: its projects, or why none could be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoStatus {
    /// Its identity as in the fleet report (path or URL, credentials redacted).
    pub repo: String,
    /// `https://host/owner/name` for a forge remote, else `None`.
    pub web_url: Option<String>,
    pub base_branch: Option<String>,
    /// Empty with no `error`: not adopted (a candidate for `goldpath adopt`).
    pub projects: Vec<ProjectStatus>,
    /// From `--report FILE` (a fleet upgrade report): its branch, outcome and pull request.
    pub upgrade: Option<OpenUpgrade>,
    /// The repository could not be read (why).
    pub error: Option<String>,
}

/// The fleet upgrade a report (`--report`) recorded for a repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenUpgrade {
    pub branch: String,
    /// The report's outcome: `upgraded`, `current`, `conflicts`, `skipped` or `failed`.
    pub outcome: String,
    /// The pull request's (or merge request's) URL, once opened.
    pub pull_request: Option<String>,
    /// The version upgraded to.
    pub to: String,
}

/// One goldpath project of a repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectStatus {
    /// The project's folder in the repository, `""` at the root.
    pub path: String,
    pub bundle: String,
    pub source: String,
    pub version: String,
    /// The newest released version in the source, `None` if unknown.
    pub latest: Option<String>,
    /// Released versions after `version`, `None` if unknown.
    pub behind: Option<usize>,
    /// The newest version is a new major version.
    pub major_jump: bool,
    /// The answer the bundle names as owner (`[bundle] owner = "owner"`).
    pub owner: Option<String>,
    /// Locked files that differ from the golden path.
    pub drifted: Vec<String>,
    /// Merge files that differ from the golden path.
    pub customised: Vec<String>,
    /// Files that still hold conflict markers.
    pub conflict_markers: Vec<String>,
    /// The version an upgrade stopped on its conflicts goes to.
    pub upgrade_in_progress: Option<String>,
    /// Why this project could not be checked.
    pub error: Option<String>,
}

impl RepoStatus {
    /// A repository read without error that holds no goldpath project.
    pub fn is_adopted(&self) -> bool {
        !self.projects.is_empty()
    }

    pub fn is_not_adopted(&self) -> bool {
        self.projects.is_empty() && self.error.is_none()
    }
}

impl ProjectStatus {
    /// Up to date, without drift, conflict markers or a waiting upgrade.
    pub fn is_current(&self) -> bool {
        self.behind == Some(0)
            && self.drifted.is_empty()
            && self.conflict_markers.is_empty()
            && self.upgrade_in_progress.is_none()
            && self.error.is_none()
    }

    pub fn is_behind(&self) -> bool {
        self.behind.is_some_and(|b| b > 0)
    }

    pub fn is_drifted(&self) -> bool {
        !self.drifted.is_empty()
    }
}

/// The counts every format shows, computed once here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub repos: usize,
    /// Repositories with at least one goldpath project.
    pub adopted: usize,
    /// Repositories read without error that hold none.
    pub not_adopted: usize,
    /// Repositories that could not be read.
    pub unreachable: usize,
    pub projects: usize,
    /// Projects that are [`ProjectStatus::is_current`].
    pub current: usize,
    pub behind: usize,
    /// Projects behind by a new major version.
    pub major_behind: usize,
    pub drifted: usize,
    pub customised: usize,
    pub conflict_markers: usize,
    pub upgrade_in_progress: usize,
    /// Projects that could not be checked.
    pub errors: usize,
    /// Projects per bundle, sorted by name.
    pub bundles: Vec<BundleSummary>,
}

/// How one bundle's projects are spread over its versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleSummary {
    pub bundle: String,
    /// The newest version any of its sources has, when known.
    pub latest: Option<String>,
    pub projects: usize,
    pub current: usize,
    pub behind: usize,
    pub drifted: usize,
    /// Oldest first (semver order).
    pub versions: Vec<VersionCount>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionCount {
    pub version: String,
    pub projects: usize,
}

impl FleetStatus {
    /// The document for `repos`, dated `unix_seconds` ([`rfc3339`]).
    pub fn new(repos: Vec<RepoStatus>, unix_seconds: u64) -> FleetStatus {
        FleetStatus {
            schema: STATUS_SCHEMA,
            generated_at: rfc3339(unix_seconds),
            repos,
        }
    }

    /// Every project of the fleet with its repository, in order.
    pub fn projects(&self) -> impl Iterator<Item = (&RepoStatus, &ProjectStatus)> {
        self.repos
            .iter()
            .flat_map(|r| r.projects.iter().map(move |p| (r, p)))
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            repos: self.repos.len(),
            ..Summary::default()
        };
        for r in &self.repos {
            if r.is_adopted() {
                s.adopted += 1;
            } else if r.error.is_some() {
                s.unreachable += 1;
            } else {
                s.not_adopted += 1;
            }
        }
        let mut bundles: BTreeMap<&str, BundleSummary> = BTreeMap::new();
        for (_, p) in self.projects() {
            let count = |yes: bool| usize::from(yes);
            s.projects += 1;
            s.current += count(p.is_current());
            s.behind += count(p.is_behind());
            s.major_behind += count(p.is_behind() && p.major_jump);
            s.drifted += count(p.is_drifted());
            s.customised += count(!p.customised.is_empty());
            s.conflict_markers += count(!p.conflict_markers.is_empty());
            s.upgrade_in_progress += count(p.upgrade_in_progress.is_some());
            s.errors += count(p.error.is_some());
            let b = bundles.entry(&p.bundle).or_insert_with(|| BundleSummary {
                bundle: p.bundle.clone(),
                ..BundleSummary::default()
            });
            b.projects += 1;
            b.current += count(p.is_current());
            b.behind += count(p.is_behind());
            b.drifted += count(p.is_drifted());
            if let Some(latest) = &p.latest {
                if b.latest
                    .as_ref()
                    .is_none_or(|l| version_order(l, latest).is_lt())
                {
                    b.latest = Some(latest.clone());
                }
            }
            match b.versions.iter_mut().find(|v| v.version == p.version) {
                Some(v) => v.projects += 1,
                None => b.versions.push(VersionCount {
                    version: p.version.clone(),
                    projects: 1,
                }),
            }
        }
        s.bundles = bundles
            .into_values()
            .map(|mut b| {
                b.versions
                    .sort_by(|x, y| version_order(&x.version, &y.version));
                b
            })
            .collect();
        s
    }
}

/// Semver order (`1.10.0` after `1.9.0`); a version that does not parse sorts as text, first.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Greater,
        (Err(_), Ok(_)) => std::cmp::Ordering::Less,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// What [`status`] reads, and how.
#[derive(Debug, Clone, Default)]
pub struct StatusOptions {
    /// Only projects of this bundle.
    pub bundle: Option<String>,
    /// Repositories read at once (at least 1).
    pub jobs: usize,
    /// A fleet upgrade report (`--report`): each repository's entry becomes its `upgrade`.
    pub report: Option<Report>,
    /// [`FleetStatus::generated_at`].
    pub generated_at: String,
}

/// The status of every repository, in the order of `repos` (as `read_repos` gives them:
/// sorted by identity). `on_done` is called after each with the number done so far, the total
/// and the repository's status.
pub fn status(
    repos: &[RepoRef],
    options: &StatusOptions,
    on_done: &(dyn Fn(usize, usize, &RepoStatus) + Sync),
) -> FleetStatus {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<RepoStatus>>> = Mutex::new(vec![None; repos.len()]);
    let jobs = options.jobs.clamp(1, repos.len().max(1));
    let sources = Sources::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(repo) = repos.get(i) else { break };
                let status = repo_status(repo, options, &sources);
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                on_done(n, repos.len(), &status);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(status);
            });
        }
    });
    let repos = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    FleetStatus {
        schema: STATUS_SCHEMA,
        generated_at: options.generated_at.clone(),
        repos,
    }
}

/// One repository: every error becomes its `error`, redacted.
fn repo_status(repo: &RepoRef, options: &StatusOptions, sources: &Sources) -> RepoStatus {
    let mut out = RepoStatus {
        repo: repo.identity.clone(),
        web_url: None,
        base_branch: None,
        projects: Vec::new(),
        upgrade: options
            .report
            .as_ref()
            .and_then(|r| open_upgrade(r, &repo.identity)),
        error: None,
    };
    if let Err(e) = read_repo(repo, options, sources, &mut out) {
        out.error = Some(crate::redact::redact(&e));
    }
    out
}

/// The fleet upgrade `report` recorded for `identity`, once it made a branch.
fn open_upgrade(report: &Report, identity: &str) -> Option<OpenUpgrade> {
    let entry = report.repos.get(identity)?;
    let branch = entry.branch.clone()?;
    let to = entry
        .projects
        .iter()
        .map(|p| p.to.as_str())
        .max_by(|a, b| version_order(a, b))
        .map(str::to_string)
        .or_else(|| report.to.clone())
        .unwrap_or_default();
    Some(OpenUpgrade {
        branch,
        outcome: entry.outcome.name().to_string(),
        pull_request: entry.pull_request_url.clone(),
        to,
    })
}

fn read_repo(
    repo: &RepoRef,
    options: &StatusOptions,
    sources: &Sources,
    out: &mut RepoStatus,
) -> Result<(), String> {
    let opened = super::repo::open(repo, false)?;
    out.web_url = opened
        .remote
        .as_deref()
        .and_then(|remote| crate::forge::Target::detect(remote, None).ok())
        .map(|t| format!("https://{}/{}", t.host, t.repo));
    let local = matches!(repo.location, RepoLocation::Local(_));
    let (branch, base) = super::repo::base_branch(&opened, local)?;
    out.base_branch = Some(branch);
    let tree = opened
        .git
        .find_commit(base)
        .and_then(|c| c.tree())
        .map_err(|e| e.message().to_string())?;
    for found in projects_in(&opened.git, &tree) {
        let path = found.prefix.trim_end_matches('/').to_string();
        let record = match found.record {
            Ok(record) => record,
            Err(e) => {
                out.projects.push(ProjectStatus::unreadable(path, e));
                continue;
            }
        };
        if options
            .bundle
            .as_deref()
            .is_some_and(|b| b != record.bundle.name)
        {
            continue;
        }
        let project = Project {
            dir: opened.root.join(&found.prefix),
            record,
        };
        let files = TreeFiles::new(&opened.git, tree.clone(), &found.prefix);
        out.projects
            .push(project_status(path, &project, &files, sources));
    }
    Ok(())
}

/// One project, checked on its files in the tree as `goldpath check` checks a work tree.
fn project_status(
    path: String,
    project: &Project,
    files: &TreeFiles<'_>,
    sources: &Sources,
) -> ProjectStatus {
    let rec = &project.record.bundle;
    let spec = project.current_source(None);
    let mut status = ProjectStatus {
        path,
        bundle: rec.name.clone(),
        source: spec.to_string(),
        version: rec.version.to_string(),
        latest: None,
        behind: None,
        major_jump: false,
        owner: None,
        drifted: Vec::new(),
        customised: Vec::new(),
        conflict_markers: Vec::new(),
        upgrade_in_progress: project
            .record
            .upgrade
            .as_ref()
            .map(|u| u.version.to_string()),
        error: None,
    };
    let report = sources.with(&spec, |source| {
        check::check(project, files, source, None).map_err(|e| e.to_string())
    });
    match report {
        Ok(report) => {
            // With the source read from goldpath's cache, newer versions are unknown.
            if report.newer_unknown.is_none() {
                status.latest = Some(report.latest.to_string());
                status.behind = Some(report.behind);
                status.major_jump = report.major_jump;
            }
            status.owner = report.owner;
            status.drifted = report.drift.iter().map(|d| d.path.to_string()).collect();
            status.customised = report.customised.iter().map(ToString::to_string).collect();
            status.conflict_markers = report
                .conflict_markers
                .iter()
                .map(ToString::to_string)
                .collect();
        }
        Err(e) => status.error = Some(crate::redact::redact(&e)),
    }
    status
}

impl ProjectStatus {
    /// A `.goldpath.toml` that does not parse.
    fn unreadable(path: String, error: String) -> ProjectStatus {
        ProjectStatus {
            path,
            bundle: String::new(),
            source: String::new(),
            version: String::new(),
            latest: None,
            behind: None,
            major_jump: false,
            owner: None,
            drifted: Vec::new(),
            customised: Vec::new(),
            conflict_markers: Vec::new(),
            upgrade_in_progress: None,
            error: Some(crate::redact::redact(&error)),
        }
    }
}

/// The bundle sources of a run, by spec, shared by its workers: each is opened once per run
/// (a git source's tags fetched once), as `check` opens one: a remote that cannot be reached
/// is read from goldpath's cache. A source is used by one worker at a time (it is not `Sync`);
/// reading the repositories' objects goes on in parallel meanwhile.
#[derive(Default)]
struct Sources(Mutex<HashMap<String, Arc<SourceSlot>>>);

/// One source: not opened yet, opened, or why it could not be.
type SourceSlot = Mutex<Option<Result<Source, String>>>;

impl Sources {
    /// Runs `with` on the source `spec` names, opening it the first time.
    fn with<T>(
        &self,
        spec: &SourceSpec,
        with: impl FnOnce(&Source) -> Result<T, String>,
    ) -> Result<T, String> {
        let slot = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(spec.to_string()).or_default().clone()
        };
        let mut opened = slot.lock().unwrap_or_else(|e| e.into_inner());
        let source = opened
            .get_or_insert_with(|| spec.open_with(Network::Fallback).map_err(|e| e.to_string()));
        match source {
            Ok(source) => with(source),
            Err(e) => Err(e.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(version: &str, behind: Option<usize>) -> ProjectStatus {
        ProjectStatus {
            path: String::new(),
            bundle: "svc".into(),
            source: "builtin".into(),
            version: version.into(),
            latest: Some("1.10.0".into()),
            behind,
            major_jump: false,
            owner: None,
            drifted: Vec::new(),
            customised: Vec::new(),
            conflict_markers: Vec::new(),
            upgrade_in_progress: None,
            error: None,
        }
    }

    fn repo(projects: Vec<ProjectStatus>, error: Option<&str>) -> RepoStatus {
        RepoStatus {
            repo: "r".into(),
            web_url: None,
            base_branch: None,
            projects,
            upgrade: None,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn summary_counts_each_state_once() {
        let mut drifted = project("1.10.0", Some(0));
        drifted.drifted.push("Dockerfile".into());
        let status = FleetStatus {
            schema: STATUS_SCHEMA,
            generated_at: rfc3339(0),
            repos: vec![
                repo(
                    vec![project("1.10.0", Some(0)), project("1.9.0", Some(1))],
                    None,
                ),
                repo(vec![drifted, project("1.2.0", None)], None),
                repo(Vec::new(), None),
                repo(Vec::new(), Some("unreachable")),
            ],
        };
        let s = status.summary();
        assert_eq!(
            (s.repos, s.adopted, s.not_adopted, s.unreachable),
            (4, 2, 1, 1)
        );
        assert_eq!((s.projects, s.current, s.behind, s.drifted), (4, 1, 1, 1));
        let versions: Vec<_> = s.bundles[0]
            .versions
            .iter()
            .map(|v| (v.version.as_str(), v.projects))
            .collect();
        assert_eq!(versions, [("1.2.0", 1), ("1.9.0", 1), ("1.10.0", 2)]);
        assert_eq!(s.bundles[0].latest.as_deref(), Some("1.10.0"));
    }
}
