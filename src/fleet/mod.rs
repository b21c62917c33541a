//! `goldpath fleet`: one golden-path release upgraded into many repositories, each on a branch
//! of its own, from git objects alone (a local repository's work tree, index and current branch
//! are never touched), in parallel, with a report that is saved after every repository so a run
//! resumes where it was cut off and shards of a CI matrix merge into one.
//!
//! The modules, as data flows: `repos` (which repositories, their identity, `--shard`) ->
//! `repo` (open or fetch, default branch, commit the branch, push) with `objects` (a project's
//! files from a commit's tree) and `lock` -> the upgrade pipeline ([`crate::upgrade::prepare_from`],
//! [`crate::upgrade::edits`]; with `--trust`, the migration hooks in a `checkout` of the result)
//! -> `pull_request` (what a pull request needs) -> `report` (its format and journal), kept on
//! disk as a run goes in a `ledger`.
//! The library prints nothing: progress goes to the caller as [`Event`]s.

mod checkout;
mod ledger;
mod local_remote;
mod lock;
mod objects;
mod pull_request;
mod repo;
mod report;
mod repos;
mod run;
mod status;
pub mod status_history;
pub mod status_html;

pub use ledger::{EntrySummary, Ledger};
pub use objects::{projects_in, FoundProject, TreeFiles};
pub use pull_request::{FileChange, FileKind, PrSettings, ProjectVersions, PullRequestPlan};
pub use report::{Journal, Mode, Outcome, RepoReport, Report, SCHEMA_VERSION};
pub use repos::{read_repos, stable_hash, FolderScan, RepoLocation, RepoRef, Shard};
pub use run::{run, Event, Options};
pub use status::{
    rfc3339, state, status, summary_line, BundleSummary, FleetStatus, Format, OpenUpgrade,
    ProjectStatus, RepoStatus, StatusOptions, Summary, VersionCount, STATUS_SCHEMA,
};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Repos {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("report {}: {message}", path.display())]
    Report { path: PathBuf, message: String },
    #[error("no report to merge")]
    NothingToMerge,
    #[error("--resume {}: it is the report of another campaign ({found}), not of this one ({wanted})", path.display())]
    OtherCampaign {
        path: PathBuf,
        found: String,
        wanted: String,
    },
}
