//! The fleet's report: every repository's outcome, branch, commit, files and error, as JSON
//! (schema: docs/fleet-report.schema.json). Rewritten atomically (temp file + rename) after each
//! repository, so a run cut off loses at most the repositories in flight, and `--resume` reads
//! it back. Never holds a token: URLs are recorded with their credentials masked.

use super::pull_request::{FileChange, ProjectVersions, PullRequestPlan};
use super::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The schema version of the report; a report of another version is refused by `--resume`.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub schema_version: u32,
    /// `plan` (nothing written) or `upgrade`.
    pub mode: Mode,
    pub bundle: String,
    /// The version asked for (`--to`); `None`: each repository's newest.
    pub to: Option<String>,
    pub branch: String,
    /// Every repository done, by identity.
    pub repos: BTreeMap<String, RepoReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Plan,
    Upgrade,
}

/// How one repository came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its branch holds the upgrade (`plan`: it would).
    Upgraded,
    /// Every project of the bundle is at the version already.
    Current,
    /// Its branch holds the upgrade with conflicts (`plan`: it would).
    Conflicts,
    /// Not upgraded, and nothing wrong: other bundle, not a goldpath project, branch edited by a
    /// person, the branch checked out. `detail` says which.
    Skipped,
    /// An error; `detail` holds it.
    Failed,
}

impl Outcome {
    /// Whether the run's exit code is 1 because of it.
    pub fn is_problem(self) -> bool {
        matches!(self, Outcome::Conflicts | Outcome::Failed)
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Upgraded => "upgraded",
            Outcome::Current => "current",
            Outcome::Conflicts => "conflicts",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoReport {
    pub outcome: Outcome,
    /// Why it was skipped, the error it failed on, or what happened to its branch.
    pub detail: Option<String>,
    /// The branch the upgrade starts from (the repository's default branch).
    pub base_branch: Option<String>,
    /// The fleet branch, once committed.
    pub branch: Option<String>,
    pub commit: Option<String>,
    /// Whether the branch was pushed.
    pub pushed: bool,
    /// Set by the forge client once it opened or updated a pull request.
    pub pull_request_url: Option<String>,
    /// The pull request's number (GitLab: the merge request's `iid`).
    #[serde(default)]
    pub pull_request_number: Option<u64>,
    /// What the forge refused without undoing the pull request (a label, a reviewer, a draft).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pull_request_warnings: Vec<String>,
    pub projects: Vec<ProjectVersions>,
    pub files: Vec<FileChange>,
    /// What a pull request for the branch needs (see [`PullRequestPlan`]).
    pub pull_request: Option<PullRequestPlan>,
}

impl RepoReport {
    pub fn new(outcome: Outcome, detail: Option<String>) -> RepoReport {
        RepoReport {
            outcome,
            detail,
            base_branch: None,
            branch: None,
            commit: None,
            pushed: false,
            pull_request_url: None,
            pull_request_number: None,
            pull_request_warnings: Vec::new(),
            projects: Vec::new(),
            files: Vec::new(),
            pull_request: None,
        }
    }

    /// The paths in conflict.
    pub fn conflicts(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .filter(|f| f.kind == super::pull_request::FileKind::Conflicted)
            .map(|f| f.path.as_str())
    }
}

impl Report {
    pub fn new(mode: Mode, bundle: &str, to: Option<String>, branch: &str) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            mode,
            bundle: bundle.to_string(),
            to,
            branch: branch.to_string(),
            repos: BTreeMap::new(),
        }
    }

    pub fn read(path: &Path) -> Result<Report, Error> {
        let bad = |message: String| Error::Report {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let report: Report = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if report.schema_version != SCHEMA_VERSION {
            return Err(bad(format!(
                "schema_version {} is not {SCHEMA_VERSION}, the one this goldpath writes",
                report.schema_version
            )));
        }
        Ok(report)
    }

    /// Writes the report at `path` atomically: a reader (or a `--resume` after a kill) sees the
    /// old report or the new one, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self).expect("a report serialises") + "\n";
        let text = crate::redact::redact(&text);
        crate::fault::point();
        crate::tree::write_file_atomic(path, &crate::tree::File::new(text)).map_err(|e| {
            Error::Report {
                path: path.to_path_buf(),
                message: e.to_string(),
            }
        })
    }

    /// Whether `identity` is finished: done with any outcome but a failure (a failure is tried
    /// again by `--resume`).
    pub fn is_finished(&self, identity: &str) -> bool {
        self.repos
            .get(identity)
            .is_some_and(|r| r.outcome != Outcome::Failed)
    }

    /// Joins shard reports of one campaign; a repository in two reports keeps the later one's
    /// entry unless that one failed.
    pub fn merge(reports: Vec<(String, Report)>) -> Result<Report, Error> {
        let mut iter = reports.into_iter();
        let Some((_, mut merged)) = iter.next() else {
            return Err(Error::NothingToMerge);
        };
        for (name, report) in iter {
            if (report.mode, &report.bundle, &report.to, &report.branch)
                != (merged.mode, &merged.bundle, &merged.to, &merged.branch)
            {
                return Err(Error::Report {
                    path: name.into(),
                    message: format!(
                        "is of another campaign ({} {} to {}, branch {}) than the first report ({} {} to {}, branch {})",
                        report.mode.name(), report.bundle, report.to.as_deref().unwrap_or("newest"), report.branch,
                        merged.mode.name(), merged.bundle, merged.to.as_deref().unwrap_or("newest"), merged.branch,
                    ),
                });
            }
            for (repo, entry) in report.repos {
                let keep_old = merged.repos.get(&repo).is_some_and(|old| {
                    entry.outcome == Outcome::Failed && old.outcome != Outcome::Failed
                });
                if !keep_old {
                    merged.repos.insert(repo, entry);
                }
            }
        }
        Ok(merged)
    }

    /// How many repositories came out each way.
    pub fn counts(&self) -> BTreeMap<Outcome, usize> {
        let mut counts = BTreeMap::new();
        for r in self.repos.values() {
            *counts.entry(r.outcome).or_default() += 1;
        }
        counts
    }

    /// 0 when every repository is upgraded, current or skipped; 1 when any has conflicts or failed.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.repos.values().any(|r| r.outcome.is_problem()))
    }
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Plan => "plan",
            Mode::Upgrade => "upgrade",
        }
    }
}
