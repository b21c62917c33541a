//! `goldpath diff`: how the project's files differ from its golden path, as a patch from the
//! golden path's files to the project's (so `goldpath diff | git apply -R` restores them).

use super::error::Error;
use super::secrets::{SecretUse, Supplied};
use crate::bundle::Source;
use crate::project::Project;
use crate::tree::{self, File, RelPath, Tree};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The golden path's files to compare with the project's, found by [`diff`].
pub struct Diff {
    dir: PathBuf,
    /// Only these paths (files or folders), or every file when empty.
    paths: Vec<String>,
    rendered: Tree,
    /// The files that read a secret ([`super::secrets::expected`]).
    secrets: BTreeMap<RelPath, SecretUse>,
}

/// A file that differs from the golden path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// A patch from the golden path's file to the project's: the files' own bytes, secrets the
    /// template wrote included, so that `git apply -R` restores them.
    Patch { path: RelPath, patch: String },
    /// A file that uses a secret answer: rendered without it (secrets are not recorded), a
    /// patch would put a placeholder in the file, so only that it differs is known.
    UsesSecret { path: RelPath },
    /// A file whose text depends on these secrets, not given, in a way a placeholder cannot
    /// stand for: whether it differs is not known.
    NotVerifiable { path: RelPath, secrets: Vec<String> },
}

/// What `goldpath diff` compares: the golden path `project.expected` renders from `source`
/// (during an upgrade stopped on conflicts, the version it goes to, as `check` compares with),
/// limited to `paths`, each of which must be a file or folder of it.
pub fn diff(project: &Project, source: &Source, paths: &[String]) -> Result<Diff, Error> {
    diff_with(project, source, paths, &Supplied::default())
}

/// [`diff`], with answers the user `supplied` for secrets (as for `check`).
pub fn diff_with(
    project: &Project,
    source: &Source,
    paths: &[String],
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
    Ok(Diff {
        dir: project.dir.clone(),
        paths: paths.to_vec(),
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
        self.paths.is_empty()
            || self
                .paths
                .iter()
                .any(|p| path.is_within(p.trim_end_matches('/')))
    }

    fn difference(&self, path: &RelPath, expected: &File) -> Result<Option<Difference>, Error> {
        // A missing file shows as all its lines removed, its mode as the golden path's.
        let found = tree::read_file(&self.dir, path)?;
        if let (Some(_), Some(SecretUse::Unverifiable(secrets))) = (&found, self.secrets.get(path))
        {
            return Ok(Some(Difference::NotVerifiable {
                path: path.clone(),
                secrets: secrets.clone(),
            }));
        }
        let actual = found.unwrap_or(File {
            bytes: Vec::new(),
            executable: expected.executable,
        });
        // A file that shows a secret (given, or a placeholder) is compared, but never printed.
        if self.secrets.contains_key(path) || crate::answers::uses_placeholder(&expected.bytes) {
            let same = crate::project::same_content(&expected.bytes, &actual.bytes)
                || crate::answers::matches_but_placeholders(&expected.bytes, &actual.bytes);
            return Ok((!same).then(|| Difference::UsesSecret { path: path.clone() }));
        }
        let patch = crate::git::file_diff(path.as_str(), expected, &actual);
        Ok((!patch.is_empty()).then(|| Difference::Patch {
            path: path.clone(),
            patch,
        }))
    }
}
