//! Where bundles come from, and one interface over the three kinds of source.

use super::{catalog::Catalog, folder::FolderSource, git_source::GitSource, Bundle, Error};
use semver::Version;
use std::fmt;
use std::path::PathBuf;

/// A bundle source as a user names it (`--from`) and as an answers file records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// The catalog embedded in the binary from `golden-paths/`.
    Builtin,
    /// A local folder of bundles, or one bundle; it holds one version of each.
    Folder(PathBuf),
    /// A git repository whose tags (`v1.4.0` or `<bundle>/v1.4.0`) are the versions. The URL as
    /// given, credentials included, for fetching; it is shown and recorded without them
    /// (`Display`, [`crate::redact::strip_credentials`]).
    Git(String),
}

impl SourceSpec {
    /// Reads `--from`: URLs (`https://`, `ssh://`, `file://`, `git@host:`) and paths ending in
    /// `.git` are git sources, `builtin` is the catalog, anything else is a folder.
    pub fn parse(s: &str) -> SourceSpec {
        if s == "builtin" {
            SourceSpec::Builtin
        } else if s.contains("://") || s.ends_with(".git") || (s.contains('@') && s.contains(':')) {
            // `host:path` (a `:` before any `/`) is git's scp-like syntax; anything else without
            // a scheme is a local repository, made absolute like a folder so the project records
            // a source that still resolves when upgrade and check run from inside it.
            let scp_like = s
                .find(':')
                .is_some_and(|colon| s.find('/').is_none_or(|slash| colon < slash));
            if s.contains("://") || scp_like {
                SourceSpec::Git(s.to_string())
            } else {
                let path = PathBuf::from(s);
                let path = std::path::absolute(&path).unwrap_or(path);
                SourceSpec::Git(path.display().to_string())
            }
        } else {
            let path = PathBuf::from(s);
            SourceSpec::Folder(std::path::absolute(&path).unwrap_or(path))
        }
    }

    /// Sources whose hook commands run without `--trust`: only the one shipped in the binary.
    pub fn trusted_by_default(&self) -> bool {
        matches!(self, SourceSpec::Builtin)
    }

    pub fn open(&self) -> Result<Source, Error> {
        Ok(match self {
            SourceSpec::Builtin => Source::Builtin(Catalog::embedded()),
            SourceSpec::Folder(p) => Source::Folder(FolderSource::open(p)?),
            SourceSpec::Git(url) => {
                // git would read a URL starting with `-` as an option (`--upload-pack=...`),
                // were it ever passed before `--`; no URL or path starts with one.
                if url.starts_with('-') {
                    return Err(Error::Source {
                        location: crate::redact::mask_url(url),
                        message: "a git URL cannot start with `-`".into(),
                    });
                }
                for credential in crate::redact::credentials_of(url) {
                    crate::redact::remember(&credential);
                }
                Source::Git(GitSource::open(url)?)
            }
        })
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Builtin => f.write_str("builtin"),
            SourceSpec::Folder(p) => write!(f, "{}", p.display()),
            SourceSpec::Git(url) => f.write_str(&crate::redact::strip_credentials(url)),
        }
    }
}

/// A bundle in a source, with every version the source holds (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub name: String,
    pub description: String,
    pub versions: Vec<Version>,
}

pub enum Source {
    Builtin(Catalog),
    Folder(FolderSource),
    Git(GitSource),
}

impl Source {
    pub fn list(&self) -> Result<Vec<Listing>, Error> {
        match self {
            Source::Builtin(s) => s.list(),
            Source::Folder(s) => s.list(),
            Source::Git(s) => s.list(),
        }
    }

    /// Loads `name` at `version`, or at its newest version.
    pub fn load(&self, name: &str, version: Option<&Version>) -> Result<Bundle, Error> {
        match self {
            Source::Builtin(s) => s.load(name, version),
            Source::Folder(s) => s.load(name, version),
            Source::Git(s) => s.load(name, version),
        }
    }

    /// Every version of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Result<Vec<Version>, Error> {
        let listing = self.list()?;
        match listing.into_iter().find(|l| l.name == name) {
            Some(l) => Ok(l.versions),
            None => Err(self.unknown(name)),
        }
    }

    pub fn unknown(&self, name: &str) -> Error {
        Error::UnknownBundle {
            name: name.to_string(),
            location: self.describe(),
            available: self
                .list()
                .map(|l| l.into_iter().map(|l| l.name).collect())
                .unwrap_or_default(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Builtin(_) => "the built-in catalog".to_string(),
            Source::Folder(s) => format!("folder {}", s.root.display()),
            Source::Git(s) => format!("git repository {}", s.url),
        }
    }
}

/// Picks `version` from `available` (sorted oldest first), or the newest one.
pub(super) fn pick_version(
    name: &str,
    source: &str,
    available: &[Version],
    version: Option<&Version>,
) -> Result<Version, Error> {
    match version {
        None => available
            .last()
            .cloned()
            .ok_or_else(|| Error::UnknownBundle {
                name: name.to_string(),
                location: source.to_string(),
                available: Vec::new(),
            }),
        Some(v) if available.contains(v) => Ok(v.clone()),
        Some(v) => Err(Error::UnknownVersion {
            name: name.to_string(),
            version: v.clone(),
            location: source.to_string(),
            available: available.to_vec(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_tells_git_from_folders() {
        assert_eq!(SourceSpec::parse("builtin"), SourceSpec::Builtin);
        for git in [
            "https://git.example.com/platform/templates.git",
            "ssh://git@host/x",
            "git@github.com:acme/t.git",
            "file:///tmp/t",
            "../t.git",
        ] {
            assert!(
                matches!(SourceSpec::parse(git), SourceSpec::Git(_)),
                "{git}"
            );
        }
        assert!(
            matches!(SourceSpec::parse("../platform-templates"), SourceSpec::Folder(p) if p.is_absolute())
        );
        // A local repository path is recorded absolute; URLs and scp-like addresses as given.
        assert!(
            matches!(SourceSpec::parse("../t.git"), SourceSpec::Git(p) if std::path::Path::new(&p).is_absolute())
        );
        for url in [
            "git@github.com:acme/t.git",
            "github.com:acme/t.git",
            "file:///tmp/t",
        ] {
            assert_eq!(SourceSpec::parse(url), SourceSpec::Git(url.to_string()));
        }
    }
}
