//! `goldpath check`: is the project behind its golden path, and has a template-owned file been
//! changed by hand? Renders the recorded version with the recorded answers (as upgrade does for
//! its base) and compares it with the work tree. Never writes, never runs hooks.

mod format;

pub use format::{github, json, junit, text};

use crate::git::file_diff;

use crate::bundle::{Policies, Policy, SourceSpec};
use crate::project::Project;
use crate::tree::RelPath;
use semver::Version;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Project(#[from] crate::project::Error),
    #[error(transparent)]
    Tree(#[from] crate::tree::Error),
    #[error("cannot read the versions of {name} from {source_name}: {cause}")]
    Unreachable {
        name: String,
        source_name: String,
        cause: Box<crate::bundle::Error>,
    },
}

/// What can make a check fail (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    Outdated,
    Drift,
    ConflictMarkers,
    Customised,
}

impl Finding {
    pub fn name(self) -> &'static str {
        match self {
            Finding::Outdated => "outdated",
            Finding::Drift => "drift",
            Finding::ConflictMarkers => "conflict-markers",
            Finding::Customised => "customised",
        }
    }

    pub fn parse(s: &str) -> Option<Finding> {
        [
            Finding::Outdated,
            Finding::Drift,
            Finding::ConflictMarkers,
            Finding::Customised,
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
        out
    }

    pub fn fails(&self, fail_on: &[Finding]) -> bool {
        self.findings().iter().any(|f| fail_on.contains(f))
    }
}

/// Checks the project in `dir` against its recorded golden path (or `from`).
pub fn check(dir: &Path, from: Option<&SourceSpec>) -> Result<Report, Error> {
    let project = Project::open(dir)?;
    let rec = &project.record.bundle;
    let pending = project.record.upgrade.as_ref();
    // While an upgrade waits on its conflicts, the files are already the new version's (merged
    // with the user's edits), so that version is what they are compared with, read from the
    // source the upgrade used. Compared with the recorded version, every file the upgrade
    // updated looked like a hand edit, and the fix offered for a locked one
    // (`goldpath diff | git apply -R`) would have undone the upgrade.
    let spec = project.current_source(from);
    let current = pending.map_or(&rec.version, |p| &p.version);
    let source = spec.open().map_err(|cause| Error::Unreachable {
        name: rec.name.clone(),
        source_name: spec.to_string(),
        cause: Box::new(cause),
    })?;
    let versions = source
        .versions(&rec.name)
        .map_err(|cause| Error::Unreachable {
            name: rec.name.clone(),
            source_name: source.describe(),
            cause: Box::new(cause),
        })?;
    let latest = versions
        .last()
        .cloned()
        .unwrap_or_else(|| current.clone())
        .max(current.clone());
    let behind = versions.iter().filter(|v| *v > current).count();

    let (bundle, rendered) = project.expected(&source)?;
    // Files left in conflict are reported as such, not also as drift or customisation.
    let in_conflict = |path: &RelPath| {
        pending.is_some_and(|p| {
            p.conflicts
                .iter()
                .chain(&p.decisions)
                .any(|c| c == path.as_str())
        })
    };
    let policies = Policies::new(&bundle.manifest.files);
    let mut drift = Vec::new();
    let mut customised = Vec::new();
    let mut conflict_markers = Vec::new();
    for (path, expected) in &rendered {
        let policy = policies.of(path);
        let actual = match crate::tree::read_file(dir, path) {
            Ok(actual) => actual,
            // A symlink where a template file belongs is drift of what the template owns, not a
            // reason to give up the check; the link itself is never followed.
            Err(crate::tree::Error::Symlink { link, .. }) => {
                if policy == Policy::Locked {
                    drift.push(Drift {
                        path: path.clone(),
                        change: Change::Symlink { link },
                        diff: None,
                    });
                } else if policy != Policy::Seed {
                    customised.push(path.clone());
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(actual) = &actual {
            if crate::merge::has_conflict_markers(&actual.bytes)
                && !crate::merge::has_conflict_markers(&expected.bytes)
            {
                conflict_markers.push(path.clone());
            }
        }
        if policy == Policy::Seed || in_conflict(path) {
            continue;
        }
        let Some(actual) = actual else {
            if policy == Policy::Locked {
                drift.push(Drift {
                    path: path.clone(),
                    change: Change::Deleted,
                    diff: None,
                });
            } else {
                customised.push(path.clone());
            }
            continue;
        };
        // Line endings alone are not a change, as for upgrade; a lost executable bit is.
        // A file that uses a secret is rendered with a placeholder for it (secrets are not
        // recorded): it is unchanged if it is that render with anything in the placeholder's
        // place, and a diff of it would show the secret, so none is given.
        let uses_secret = crate::answers::uses_placeholder(&expected.bytes);
        let same_bytes = crate::project::same_content(&actual.bytes, &expected.bytes)
            || crate::answers::matches_but_placeholders(&expected.bytes, &actual.bytes);
        let same_mode = actual.executable == expected.executable || !crate::tree::MODES_KNOWN;
        match (same_bytes, same_mode) {
            (true, true) => {}
            _ if policy != Policy::Locked => customised.push(path.clone()),
            (true, false) => drift.push(Drift {
                path: path.clone(),
                change: Change::Mode {
                    executable: expected.executable,
                },
                // The content diff would only show line endings.
                diff: Some(file_diff(
                    path.as_str(),
                    expected,
                    &crate::tree::File {
                        bytes: expected.bytes.clone(),
                        executable: actual.executable,
                    },
                )),
            }),
            (false, _) => drift.push(Drift {
                path: path.clone(),
                change: Change::Edited,
                diff: (!uses_secret).then(|| file_diff(path.as_str(), expected, &actual)),
            }),
        }
    }
    // Files an unfinished upgrade left in conflict may be new or renamed: check them too.
    if let Some(pending) = &project.record.upgrade {
        for path in &pending.conflicts {
            let path = RelPath::new(path)?;
            if rendered.contains_key(&path) {
                continue;
            }
            if let Some(actual) = crate::tree::read_file(dir, &path)? {
                if crate::merge::has_conflict_markers(&actual.bytes) {
                    conflict_markers.push(path);
                }
            }
        }
        conflict_markers.sort();
    }
    Ok(Report {
        bundle: rec.name.clone(),
        version: rec.version.clone(),
        source: spec.to_string(),
        major_jump: latest.major > rec.version.major,
        latest,
        behind,
        drift,
        customised,
        conflict_markers,
        upgrade_in_progress: project.record.upgrade.as_ref().map(|u| u.version.clone()),
        files: rendered.len(),
    })
}
