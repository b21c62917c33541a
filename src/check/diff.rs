//! `goldpath diff`: how the project's files differ from its golden path, as a patch from the
//! golden path's files to the project's (so `goldpath diff | git apply -R` restores them).
//! `--locked` limits it to what `check` calls drift, so that restoring it never undoes the
//! team's own work in seed files or in files the golden path lets them change.

use super::error::Error;
use super::secrets::{SecretUse, Supplied};
use crate::bundle::Source;
use crate::project::Project;
use crate::tree::{self, File, RelPath, Tree};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The golden path's files to compare with the project's, found by [`diff`].
pub struct Diff {
    dir: PathBuf,
    /// Only these paths (files or folders), or every file when empty.
    paths: Vec<String>,
    /// With `--locked`: only these files, the ones `check` calls drift.
    drift: Option<BTreeSet<RelPath>>,
    rendered: Tree,
    /// The files that read a secret ([`super::secrets::expected`]).
    secrets: BTreeMap<RelPath, SecretUse>,
}

/// Which files [`diff`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every file the golden path renders, customised and seed files included.
    #[default]
    All,
    /// Only the files `check` reports as drift (locked files changed, deleted, or whose
    /// executable bit changed): `goldpath diff --locked | git apply -R` fixes exactly those.
    Locked,
}

/// A file that differs from the golden path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// A patch from the golden path's file to the project's, in git's format (see
    /// [`crate::git::file_patch`]): the files' own bytes, secrets the template wrote included,
    /// so that `git apply -R` restores them.
    Patch { path: RelPath, patch: Vec<u8> },
    /// A file that uses a secret answer: rendered without it (secrets are not recorded), a
    /// patch would put a placeholder in the file, so only that it differs is known.
    UsesSecret { path: RelPath },
    /// A locked file with a symlink in its place or on the way to it (drift): never followed,
    /// so no patch can restore it.
    Symlink { path: RelPath },
    /// A file whose text depends on these secrets, not given, in a way a placeholder cannot
    /// stand for: whether it differs is not known.
    NotVerifiable { path: RelPath, secrets: Vec<String> },
}

/// What `goldpath diff` compares: the golden path `project.expected` renders from `source`
/// (during an upgrade stopped on conflicts, the version it goes to, as `check` compares with),
/// limited to `paths`, each of which must be a file or folder of it, and to `scope`.
pub fn diff(
    project: &Project,
    source: &Source,
    paths: &[String],
    scope: Scope,
) -> Result<Diff, Error> {
    diff_with(project, source, paths, scope, &Supplied::default())
}

/// [`diff`], with answers the user `supplied` for secrets (as for `check`).
pub fn diff_with(
    project: &Project,
    source: &Source,
    paths: &[String],
    scope: Scope,
    supplied: &Supplied,
) -> Result<Diff, Error> {
    let expected = super::secrets::expected(project, source, supplied)?;
    let (bundle, rendered) = (expected.bundle, expected.rendered);
    for p in paths {
        if !rendered
            .keys()
            .any(|r| r.is_within(p.trim_end_matches('/')))
        {
            return Err(Error::NotInGoldenPath {
                path: p.clone(),
                name: bundle.name().to_string(),
                version: bundle.version().clone(),
            });
        }
    }
    // The same comparison as `check`, so that the two never disagree on what drift is.
    let drift = match scope {
        Scope::All => None,
        Scope::Locked => Some(
            super::compare(
                project,
                &crate::upgrade::WorkTree::without_index(&project.dir),
                &bundle,
                &rendered,
                &expected.secrets,
            )?
            .drift
            .into_iter()
            .map(|d| d.path)
            .collect(),
        ),
    };
    Ok(Diff {
        dir: project.dir.clone(),
        paths: paths.to_vec(),
        drift,
        rendered,
        secrets: expected.secrets,
    })
}

impl Diff {
    /// The files that differ, in path order, each read when it is reached.
    pub fn differences(&self) -> impl Iterator<Item = Result<Difference, Error>> + '_ {
        self.rendered
            .iter()
            .filter(|(path, _)| self.wanted(path))
            .filter_map(|(path, expected)| self.difference(path, expected).transpose())
    }

    fn wanted(&self, path: &RelPath) -> bool {
        let in_paths = self.paths.is_empty()
            || self
                .paths
                .iter()
                .any(|p| path.is_within(p.trim_end_matches('/')));
        in_paths && self.drift.as_ref().is_none_or(|d| d.contains(path))
    }

    fn difference(&self, path: &RelPath, expected: &File) -> Result<Option<Difference>, Error> {
        let actual = match tree::read_file(&self.dir, path) {
            Ok(actual) => actual,
            // Drift `check` reports; without --locked a link is refused, as before.
            Err(tree::Error::Symlink { .. }) if self.drift.is_some() => {
                return Ok(Some(Difference::Symlink { path: path.clone() }))
            }
            Err(e) => return Err(e.into()),
        };
        if let (Some(_), Some(SecretUse::Unverifiable(secrets))) = (&actual, self.secrets.get(path))
        {
            return Ok(Some(Difference::NotVerifiable {
                path: path.clone(),
                secrets: secrets.clone(),
            }));
        }
        // A file that shows a secret (given, or a placeholder) is compared, but never printed.
        if self.secrets.contains_key(path) || crate::answers::uses_placeholder(&expected.bytes) {
            let same = actual.as_ref().is_some_and(|actual| {
                (crate::project::same_content(&expected.bytes, &actual.bytes)
                    || crate::answers::matches_but_placeholders(&expected.bytes, &actual.bytes))
                    && (actual.executable == expected.executable || !tree::MODES_KNOWN)
            });
            return Ok((!same).then(|| Difference::UsesSecret { path: path.clone() }));
        }
        // A missing file is a deletion, so `git apply -R` creates it with the golden path's
        // mode.
        let patch = crate::git::file_patch(path.as_str(), Some(expected), actual.as_ref());
        Ok((!patch.is_empty()).then(|| Difference::Patch {
            path: path.clone(),
            patch,
        }))
    }
}
