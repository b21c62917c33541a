//! `goldpath check`: is the project behind its golden path, and has a template-owned file been
//! changed by hand? Renders the recorded version with the recorded answers (as upgrade does for
//! its base) and compares it with the work tree. Never writes, never runs hooks. [`diff`] shows
//! the same comparison as a patch.

mod diff;
mod error;
mod format;
mod report;
mod secrets;

pub use diff::{diff, diff_with, Diff, Difference, Scope};
pub use error::Error;
pub(crate) use format::xml;
pub use format::{github, github_in, json, json_staged, junit, junit_staged, text};
pub use report::{Change, Drift, Finding, NewerUnknown, NotVerifiable, Report};
pub use secrets::{SecretUse, Supplied, ENV_PREFIX};

use crate::bundle::{Bundle, Network, Policies, Policy, Source, SourceSpec, Stale};
use crate::git::file_diff;
use crate::project::Project;
use crate::tree::{self, File, RelPath, Tree};
use crate::upgrade::CurrentFiles;
use semver::Version;
use std::collections::BTreeMap;

/// Opens the source `from` names, or the project's current one ([`Project::current_source`]),
/// for [`check`]; one that cannot be reached is [`Error::Unreachable`].
pub fn open_source(project: &Project, from: Option<&SourceSpec>) -> Result<Source, Error> {
    open_source_with(project, from, Network::Fallback)
}

/// [`open_source`], using the network as `network` says: check and diff take a remote source
/// from goldpath's cache when it cannot be reached ([`Network::Fallback`]), or without asking it
/// at all ([`Network::Offline`]).
pub fn open_source_with(
    project: &Project,
    from: Option<&SourceSpec>,
    network: Network,
) -> Result<Source, Error> {
    let spec = project.current_source(from);
    spec.open_with(network).map_err(|cause| Error::Unreachable {
        name: project.record.bundle.name.clone(),
        source_name: spec.to_string(),
        cause: Box::new(cause),
    })
}

/// Checks `project`, its files read from `files` (the work tree, the index, a commit's tree),
/// against its golden path, read from `source`: the one `from` names or the project's current
/// one, opened by the caller ([`open_source`]; a fleet opens it once).
///
/// While an upgrade waits on its conflicts, the files are already the new version's (merged
/// with the user's edits), so that version is what they are compared with, read from the
/// source the upgrade used. Compared with the recorded version, every file the upgrade
/// updated looked like a hand edit, and the fix offered for a locked one
/// (`goldpath diff | git apply -R`) would have undone the upgrade.
pub fn check(
    project: &Project,
    files: &dyn CurrentFiles,
    source: &Source,
    from: Option<&SourceSpec>,
) -> Result<Report, Error> {
    check_with(project, files, source, from, &Supplied::default())
}

/// [`check`], with answers the user `supplied` for secrets: files that read a secret not
/// supplied are compared around it, or reported as not verifiable.
pub fn check_with(
    project: &Project,
    files: &dyn CurrentFiles,
    source: &Source,
    from: Option<&SourceSpec>,
    supplied: &Supplied,
) -> Result<Report, Error> {
    let rec = &project.record.bundle;
    let pending = project.record.upgrade.as_ref();
    let current = pending.map_or(&rec.version, |p| &p.version);
    let newer_unknown = match source.stale() {
        None => None,
        Some(Stale::Offline) => Some(NewerUnknown::Offline),
        Some(Stale::Unreachable(why)) => Some(NewerUnknown::Unreachable(why.clone())),
    };
    let (latest, behind) = match newer_unknown {
        None => versions_ahead(source, &rec.name, current)?,
        Some(_) => (current.clone(), 0),
    };
    let expected = secrets::expected(project, source, supplied)?;
    let rendered = &expected.rendered;
    let mut found = compare(
        project,
        files,
        &expected.bundle,
        rendered,
        &expected.secrets,
    )?;
    found.conflict_markers_elsewhere(project, files, rendered)?;
    let owner = project
        .expected_answers()
        .get(expected.bundle.manifest.owner_question())
        .map(|v| v.to_string());
    Ok(Report {
        bundle: rec.name.clone(),
        version: rec.version.clone(),
        source: project.current_source(from).to_string(),
        major_jump: latest.major > rec.version.major,
        latest,
        behind,
        drift: found.drift,
        customised: found.customised,
        conflict_markers: found.conflict_markers,
        upgrade_in_progress: pending.map(|u| u.version.clone()),
        files: rendered.len(),
        not_verifiable: found.not_verifiable,
        newer_unknown,
        owner,
    })
}

/// The newest version in the source (never older than `current`), and how many released
/// versions lie after `current`. Prereleases are not counted: a `2.0.0-rc.1` tag is for those
/// who ask for it, and must not make every project outdated.
fn versions_ahead(
    source: &Source,
    name: &str,
    current: &Version,
) -> Result<(Version, usize), Error> {
    let versions = source.versions(name).map_err(|cause| Error::Unreachable {
        name: name.to_string(),
        source_name: source.describe(),
        cause: Box::new(cause),
    })?;
    let versions: Vec<Version> = versions.into_iter().filter(|v| v.pre.is_empty()).collect();
    let latest = versions
        .last()
        .cloned()
        .unwrap_or_else(|| current.clone())
        .max(current.clone());
    let behind = versions.iter().filter(|v| *v > current).count();
    Ok((latest, behind))
}

/// What the comparison of the project with its golden path found.
#[derive(Default)]
struct Found {
    drift: Vec<Drift>,
    customised: Vec<RelPath>,
    conflict_markers: Vec<RelPath>,
    not_verifiable: Vec<NotVerifiable>,
}

/// Compares every file the golden path renders with the project's; `secrets` says which read a
/// secret ([`secrets::expected`]).
fn compare(
    project: &Project,
    files: &dyn CurrentFiles,
    bundle: &Bundle,
    rendered: &Tree,
    secrets: &BTreeMap<RelPath, SecretUse>,
) -> Result<Found, Error> {
    let pending = project.record.upgrade.as_ref();
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
    let mut found = Found::default();
    for (path, expected) in rendered {
        let policy = policies.of(path);
        let actual = match files.read(path) {
            Ok(actual) => actual,
            // A symlink where a template file belongs is drift of what the template owns, not a
            // reason to give up the check; the link itself is never followed.
            Err(tree::Error::Symlink { link, .. }) => {
                found.symlink(path, link, policy);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(actual) = &actual {
            if crate::merge::has_conflict_markers(&actual.bytes)
                && !crate::merge::has_conflict_markers(&expected.bytes)
            {
                // Reported once, as what to act on: it also differs from the golden path, but
                // "customised" (or drift) would only repeat it with a fix that does not apply.
                found.conflict_markers.push(path.clone());
                continue;
            }
        }
        if policy == Policy::Seed || in_conflict(path) {
            continue;
        }
        match (actual, secrets.get(path)) {
            (None, _) => found.missing(path, policy),
            // Present, but what it should hold depends on a secret nobody gave: a notice.
            (Some(_), Some(SecretUse::Unverifiable(names))) => {
                found.not_verifiable.push(NotVerifiable {
                    path: path.clone(),
                    secrets: names.clone(),
                })
            }
            (Some(actual), uses) => {
                found.differing(path, expected, &actual, policy, uses.is_some())
            }
        }
    }
    Ok(found)
}

impl Found {
    /// A symlink in the place of a template file, or on the way to it.
    fn symlink(&mut self, path: &RelPath, link: String, policy: Policy) {
        if policy == Policy::Locked {
            self.drift.push(Drift {
                path: path.clone(),
                change: Change::Symlink { link },
                diff: None,
            });
        } else if policy != Policy::Seed {
            self.customised.push(path.clone());
        }
    }

    /// A template file the project does not have.
    fn missing(&mut self, path: &RelPath, policy: Policy) {
        if policy == Policy::Locked {
            self.drift.push(Drift {
                path: path.clone(),
                change: Change::Deleted,
                diff: None,
            });
        } else {
            self.customised.push(path.clone());
        }
    }

    /// A template file the project has: drift or customisation if it differs.
    ///
    /// Line endings alone are not a change, as for upgrade; a lost executable bit is. A file
    /// that uses a secret not given is rendered with a placeholder for it (secrets are not
    /// recorded): it is unchanged if it is that render with anything in the placeholder's
    /// place. A diff of a file that shows a secret (`uses_secret`) would show it, so none is
    /// given.
    fn differing(
        &mut self,
        path: &RelPath,
        expected: &File,
        actual: &File,
        policy: Policy,
        uses_secret: bool,
    ) {
        let uses_secret = uses_secret || crate::answers::uses_placeholder(&expected.bytes);
        let same_bytes = crate::project::same_content(&actual.bytes, &expected.bytes)
            || crate::answers::matches_but_placeholders(&expected.bytes, &actual.bytes);
        let same_mode = actual.executable == expected.executable || !tree::MODES_KNOWN;
        match (same_bytes, same_mode) {
            (true, true) => {}
            _ if policy != Policy::Locked => self.customised.push(path.clone()),
            (true, false) => self.drift.push(Drift {
                path: path.clone(),
                change: Change::Mode {
                    executable: expected.executable,
                },
                // The content diff would only show line endings.
                diff: Some(file_diff(
                    path.as_str(),
                    expected,
                    &File {
                        bytes: expected.bytes.clone(),
                        executable: actual.executable,
                    },
                )),
            }),
            (false, _) => self.drift.push(Drift {
                path: path.clone(),
                change: Change::Edited,
                diff: (!uses_secret).then(|| file_diff(path.as_str(), expected, actual)),
            }),
        }
    }

    /// Files an unfinished upgrade left in conflict may be new or renamed, so not rendered:
    /// they are checked for markers too.
    fn conflict_markers_elsewhere(
        &mut self,
        project: &Project,
        files: &dyn CurrentFiles,
        rendered: &Tree,
    ) -> Result<(), Error> {
        let Some(pending) = &project.record.upgrade else {
            return Ok(());
        };
        for path in &pending.conflicts {
            let path = RelPath::new(path)?;
            if rendered.contains_key(&path) {
                continue;
            }
            if let Some(actual) = files.read(&path)? {
                if crate::merge::has_conflict_markers(&actual.bytes) {
                    self.conflict_markers.push(path);
                }
            }
        }
        self.conflict_markers.sort();
        Ok(())
    }
}
