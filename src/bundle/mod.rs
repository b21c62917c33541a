//! Bundles: a manifest (`bundle.toml`), a `template/` tree and optional `hooks/`, from one of
//! three sources (the built-in catalog, a folder, a git repository with version tags).

mod catalog;
mod folder;
mod git_source;
pub mod lint;
pub mod manifest;
mod policy;
mod release;
mod source;
mod spec;
mod wanted;

pub use manifest::{Manifest, Migration, Question, QuestionType};
pub use policy::{Policies, Policy};
pub use source::{Listing, Network, Source, Stale};
pub use spec::SourceSpec;
pub use wanted::WantedVersion;

use crate::tree::{RelPath, Tree};
use semver::Version;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Manifest {
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{file} has {} problem{}:\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        file: String,
        problems: Vec<manifest::Problem>,
    },
    #[error("{file}: bundle.toml is missing; a bundle is a folder with bundle.toml and template/")]
    MissingManifest { file: String },
    #[error("no bundle named `{name}` in {location}{}", if available.is_empty() { String::new() } else { format!(" (available: {})", available.join(", ")) })]
    UnknownBundle {
        name: String,
        location: String,
        available: Vec<String>,
    },
    #[error("bundle `{name}` has no version {version} in {location} (available: {})", available.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "))]
    UnknownVersion {
        name: String,
        version: Version,
        location: String,
        available: Vec<Version>,
    },
    #[error("bundle `{name}` has no {wanted} release in {location} (available: {})", available.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "))]
    NoMatch {
        name: String,
        /// What was asked for: `1.2.x`, or `stable` when only prereleases are there.
        wanted: String,
        location: String,
        available: Vec<Version>,
    },
    #[error("{location} holds one version of `{name}` ({found}); version {wanted} was asked for")]
    FolderVersion {
        name: String,
        location: String,
        // Strings, not `Version`s: two versions would make every `Result` of this module large.
        found: String,
        wanted: String,
    },
    #[error("tag `{tag}` in {location} says version {found} in its bundle.toml; fix the tag or the manifest")]
    TagMismatch {
        tag: String,
        location: String,
        found: Version,
    },
    #[error("{location}: tag `{tag}` holds {entry}")]
    Entry {
        location: String,
        tag: String,
        /// The refused entry and why (`git::Error::Entry`), its path from the repository's root.
        entry: String,
    },
    #[error("cannot read bundle source {location}: {message}")]
    Source { location: String, message: String },
    #[error(transparent)]
    Tree(#[from] crate::tree::Error),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
}

/// Where a loaded bundle came from, as recorded in a project's answers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub source: SourceSpec,
    /// The commit a git source's version tag pointed at when the bundle was loaded.
    pub commit: Option<String>,
}

/// One version of one bundle, loaded in memory.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    /// Files under `template/`, keyed by their path relative to it (still unrendered).
    pub template: Tree,
    /// Files under `hooks/`, for migrations that run a hook.
    pub hooks: Tree,
    /// Include-only templates under `partials/`: templates `{% include "partials/NAME" %}`
    /// them, and they are never written to a project.
    pub partials: Tree,
    /// The bundle's `CHANGELOG.md`, when it ships one (and it is UTF-8 and not huge): the
    /// release notes of a fleet's pull requests.
    pub changelog: Option<String>,
    pub origin: Origin,
}

/// A CHANGELOG larger than this is not kept (a pull request shows at most 20,000 characters of it).
const MAX_CHANGELOG_BYTES: usize = 1 << 20;

impl Bundle {
    pub fn name(&self) -> &str {
        &self.manifest.bundle.name
    }

    pub fn version(&self) -> &Version {
        &self.manifest.bundle.version
    }

    /// Builds a bundle from its files (paths relative to the bundle's root). `display` names
    /// the bundle's folder in error messages, e.g. `golden-paths/rust-service`.
    pub fn from_files(files: Tree, display: &str, origin: Origin) -> Result<Bundle, Error> {
        let mut template = Tree::new();
        let mut hooks = Tree::new();
        let mut partials = Tree::new();
        let mut manifest_text = None;
        let mut changelog = None;
        for (path, file) in files {
            let p = path.as_str();
            if p == "bundle.toml" {
                manifest_text = Some(file.bytes);
            } else if p == "CHANGELOG.md" && file.bytes.len() <= MAX_CHANGELOG_BYTES {
                // Optional: one that is not text is left out rather than failing the bundle.
                changelog = String::from_utf8(file.bytes).ok();
            } else if let Some(rest) = p.strip_prefix("template/") {
                template.insert(RelPath::in_bundle(rest)?, file);
            } else if let Some(rest) = p.strip_prefix("hooks/") {
                hooks.insert(RelPath::in_bundle(rest)?, file);
            } else if let Some(rest) = p.strip_prefix("partials/") {
                partials.insert(RelPath::in_bundle(rest)?, file);
            }
        }
        let manifest = read_manifest(manifest_text, display)?;
        Ok(Bundle {
            manifest,
            template,
            hooks,
            partials,
            changelog,
            origin,
        })
    }
}

/// Parses and validates a bundle's `bundle.toml` (`None`: the bundle has none). `display` names
/// the bundle's folder in errors, as for [`Bundle::from_files`].
pub(crate) fn read_manifest(bytes: Option<Vec<u8>>, display: &str) -> Result<Manifest, Error> {
    let file = format!("{display}/bundle.toml");
    let text = bytes.ok_or_else(|| Error::MissingManifest {
        file: display.to_string(),
    })?;
    let text = String::from_utf8(text).map_err(|_| Error::Manifest {
        file: file.clone(),
        line: None,
        message: "is not UTF-8 text".into(),
    })?;
    let manifest = Manifest::parse(&text).map_err(|(line, message)| Error::Manifest {
        file: file.clone(),
        line,
        message,
    })?;
    let problems = manifest.validate();
    if !problems.is_empty() {
        return Err(Error::Invalid { file, problems });
    }
    Ok(manifest)
}
