//! What a check found: the report every output format is made from.

use crate::tree::RelPath;
use semver::Version;

/// What can make a check fail (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    Outdated,
    Drift,
    ConflictMarkers,
    Customised,
    /// The source could not be reached, so whether a newer version exists is unknown.
    Unreachable,
}

impl Finding {
    pub fn name(self) -> &'static str {
        match self {
            Finding::Outdated => "outdated",
            Finding::Drift => "drift",
            Finding::ConflictMarkers => "conflict-markers",
            Finding::Customised => "customised",
            Finding::Unreachable => "unreachable",
        }
    }

    pub fn parse(s: &str) -> Option<Finding> {
        [
            Finding::Outdated,
            Finding::Drift,
            Finding::ConflictMarkers,
            Finding::Customised,
            Finding::Unreachable,
        ]
        .into_iter()
        .find(|f| f.name() == s)
    }

    /// What fails a check unless `--fail-on` says otherwise. Customised `merge` files are
    /// expected (that is what merge means) and only reported.
    pub const DEFAULT_FAIL_ON: [Finding; 3] =
        [Finding::Outdated, Finding::Drift, Finding::ConflictMarkers];
}

/// A template-owned (`locked`) file that differs from the golden path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub path: RelPath,
    pub change: Change,
    /// From the golden path's file to the project's, as `git diff` shows it (mode lines
    /// included); `None` when the file was deleted.
    pub diff: Option<String>,
}

/// How a locked file drifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Deleted,
    /// A symlink is in its place or on the way to it (`link`); check never reads through one.
    Symlink {
        link: String,
    },
    /// Its content (and perhaps its mode) changed.
    Edited,
    /// Only its executable bit changed: `executable` is the golden path's.
    Mode {
        executable: bool,
    },
}

/// A file that reads a secret the check was not given, in a way that cannot be compared without
/// it (a notice: it is neither drift nor a failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotVerifiable {
    pub path: RelPath,
    /// The secrets' question names.
    pub secrets: Vec<String>,
}

/// Why the check does not know whether a newer version exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewerUnknown {
    /// `--offline`: the source was not asked.
    Offline,
    /// The source could not be reached (why); the recorded version came from the cache.
    Unreachable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub bundle: String,
    pub version: Version,
    pub source: String,
    /// The newest version in the source.
    pub latest: Version,
    /// How many released versions lie between the recorded one and the newest.
    pub behind: usize,
    pub major_jump: bool,
    pub drift: Vec<Drift>,
    /// `merge` files that differ from the golden path (informational).
    pub customised: Vec<RelPath>,
    /// Files that still hold conflict markers.
    pub conflict_markers: Vec<RelPath>,
    /// An upgrade that stopped on conflicts and was not finished.
    pub upgrade_in_progress: Option<Version>,
    /// Files rendered by the golden path, and how many were compared.
    pub files: usize,
    /// Files that could not be compared without a secret.
    pub not_verifiable: Vec<NotVerifiable>,
    /// Set when newer versions were not looked up; `latest` is then the recorded version.
    pub newer_unknown: Option<NewerUnknown>,
    /// The answer naming the project's owner (`[bundle] owner`, else an answer `owner`).
    pub owner: Option<String>,
}

impl Report {
    /// The findings present, sorted.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.behind > 0 {
            out.push(Finding::Outdated);
        }
        if !self.drift.is_empty() {
            out.push(Finding::Drift);
        }
        if !self.conflict_markers.is_empty() || self.upgrade_in_progress.is_some() {
            out.push(Finding::ConflictMarkers);
        }
        if !self.customised.is_empty() {
            out.push(Finding::Customised);
        }
        if matches!(self.newer_unknown, Some(NewerUnknown::Unreachable(_))) {
            out.push(Finding::Unreachable);
        }
        out
    }

    pub fn fails(&self, fail_on: &[Finding]) -> bool {
        self.findings().iter().any(|f| fail_on.contains(f))
    }
}
