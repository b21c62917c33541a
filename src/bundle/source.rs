//! One interface over the three kinds of source: [`Source`], opened from a [`SourceSpec`].
//! Listing, version picking and the unknown-bundle error are written here once, over what each
//! kind provides ([`Releases`]).

use super::catalog::Catalog;
use super::folder::FolderSource;
use super::git_source::GitSource;
use super::release::Releases;
use super::wanted::{self, WantedVersion};
use super::{Bundle, Error, SourceSpec};
use semver::Version;

/// How opening a remote source may use the network ([`SourceSpec::open_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// Fetch its tags; a failure is an error (`new`, `upgrade`, `list`).
    Required,
    /// Fetch its tags; when it cannot be reached, read goldpath's cache of it as the last fetch
    /// left it ([`Source::stale`] says why). `check` and `diff`: the recorded version, pinned
    /// by its commit, is in the cache; only newer versions need the remote.
    Fallback,
    /// Read goldpath's cache only (`--offline`).
    Offline,
}

/// Why a source's versions may not be the newest: it was read from goldpath's cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// `--offline`: the remote was not asked.
    Offline,
    /// The remote could not be reached (why).
    Unreachable(String),
}

impl SourceSpec {
    /// Opens the source: fetches a remote git repository's tags, checks a folder is there.
    pub fn open(&self) -> Result<Source, Error> {
        self.open_with(Network::Required)
    }

    /// [`SourceSpec::open`], using the network as `network` says. Only remote git sources use
    /// it; the others are read in place either way.
    pub fn open_with(&self, network: Network) -> Result<Source, Error> {
        Ok(match self {
            SourceSpec::Builtin => Source::new(Catalog::embedded()),
            SourceSpec::Folder(p) => Source::new(FolderSource::open(p)?),
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
                let fetch = match network {
                    Network::Required => crate::git::Fetch::Always,
                    Network::Fallback => crate::git::Fetch::OrCache,
                    Network::Offline => crate::git::Fetch::Never,
                };
                let local = url.starts_with("file://") || std::path::Path::new(url).exists();
                let (source, failed) = GitSource::open_with(url, fetch)?;
                let stale = match failed {
                    // One line: it goes into a warning line, a GitHub annotation, a JSON string.
                    Some(e) => Some(Stale::Unreachable(
                        e.to_string()
                            .lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .collect::<Vec<_>>()
                            .join(" "),
                    )),
                    None if network == Network::Offline && !local => Some(Stale::Offline),
                    None => None,
                };
                Source {
                    stale,
                    ..Source::new(source)
                }
            }
        })
    }
}

/// A bundle in a source, with every version the source holds (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub name: String,
    pub description: String,
    pub versions: Vec<Version>,
}

/// An opened bundle source.
pub struct Source {
    releases: Box<dyn Releases + Send>,
    stale: Option<Stale>,
}

impl Source {
    fn new(releases: impl Releases + Send + 'static) -> Source {
        Source {
            releases: Box::new(releases),
            stale: None,
        }
    }

    /// Set when the source was read from goldpath's cache, so newer versions may exist.
    pub fn stale(&self) -> Option<&Stale> {
        self.stale.as_ref()
    }

    /// Every bundle with its versions and the description of its newest release.
    pub fn list(&self) -> Result<Vec<Listing>, Error> {
        let mut out = Vec::new();
        for name in self.releases.bundles()? {
            let versions = self.releases.versions(&name)?.unwrap_or_default();
            let Some(newest) = versions.last() else {
                continue;
            };
            out.push(Listing {
                description: self.releases.description(&name, newest)?,
                name,
                versions,
            });
        }
        Ok(out)
    }

    /// Loads `name` at `version`, or at its newest version that is not a prerelease.
    pub fn load(&self, name: &str, version: Option<&Version>) -> Result<Bundle, Error> {
        let wanted = version.cloned().map(WantedVersion::Exact);
        let version = self.pick(name, wanted.as_ref(), false)?;
        self.releases.read(name, &version)
    }

    /// The version of `name` that `wanted` picks ([`wanted::pick`]): the one named, the newest
    /// of a series (`1.2`), or the newest; prereleases only when named or `pre`.
    pub fn pick(
        &self,
        name: &str,
        wanted: Option<&WantedVersion>,
        pre: bool,
    ) -> Result<Version, Error> {
        let Some(available) = self.releases.versions(name)? else {
            return Err(self.unknown(name));
        };
        if available.is_empty() {
            return Err(self.unknown(name));
        }
        if let Some(v) = wanted::pick(&available, wanted, pre) {
            return Ok(v);
        }
        Err(match wanted {
            Some(WantedVersion::Exact(v)) => self.releases.missing_version(name, v, available),
            Some(series) => Error::NoMatch {
                name: name.to_string(),
                wanted: series.to_string(),
                location: self.describe(),
                available,
            },
            None => Error::NoMatch {
                name: name.to_string(),
                wanted: "stable (not prerelease)".into(),
                location: self.describe(),
                available,
            },
        })
    }

    /// Every version of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Result<Vec<Version>, Error> {
        let listing = self.list()?;
        match listing.into_iter().find(|l| l.name == name) {
            Some(l) => Ok(l.versions),
            None => Err(self.unknown(name)),
        }
    }

    /// The error for a bundle the source does not hold, listing those it does.
    pub fn unknown(&self, name: &str) -> Error {
        Error::UnknownBundle {
            name: name.to_string(),
            location: self.describe(),
            available: self.releases.bundles().unwrap_or_default(),
        }
    }

    /// Where the source is, as messages name it.
    pub fn describe(&self) -> String {
        self.releases.location()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::RelPath;

    fn catalog(files: &[(&'static str, &'static str)]) -> Source {
        Source::new(Catalog::from_files(
            files.iter().map(|(p, t)| (*p, t.as_bytes(), false)),
        ))
    }

    const V2: &str = "[bundle]\nname = \"svc\"\nversion = \"2.0.0\"\n";
    const V1: &str = "[bundle]\nname = \"svc\"\nversion = \"1.0.0\"\n";

    #[test]
    fn each_release_is_its_own_folder() {
        let c = catalog(&[
            ("svc/2.0.0/bundle.toml", V2),
            ("svc/2.0.0/template/kept.txt", "same"),
            ("svc/2.0.0/template/changed.txt", "new"),
            ("svc/2.0.0/template/added-in-2.txt", "added"),
            ("svc/1.0.0/bundle.toml", V1),
            ("svc/1.0.0/template/kept.txt", "same"),
            ("svc/1.0.0/template/changed.txt", "old"),
            ("svc/1.0.0/template/removed-in-2.txt", "gone"),
            ("svc/README.md", "not part of a release"),
        ]);
        let listing = c.list().unwrap();
        assert_eq!(
            listing[0].versions,
            vec![Version::new(1, 0, 0), Version::new(2, 0, 0)]
        );
        let old = c.load("svc", Some(&Version::new(1, 0, 0))).unwrap();
        let names: Vec<_> = old.template.keys().map(|p| p.as_str()).collect();
        assert_eq!(names, ["changed.txt", "kept.txt", "removed-in-2.txt"]);
        assert_eq!(
            old.template[&RelPath::new("changed.txt").unwrap()].bytes,
            b"old"
        );
        let new = c.load("svc", None).unwrap();
        assert_eq!(new.version(), &Version::new(2, 0, 0));
        assert_eq!(new.template.len(), 3);
    }

    #[test]
    fn unknown_version_lists_what_exists() {
        let c = catalog(&[("svc/2.0.0/bundle.toml", V2)]);
        let err = c
            .load("svc", Some(&Version::new(9, 0, 0)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "bundle `svc` has no version 9.0.0 in the built-in catalog (available: 2.0.0)"
        );
        let err = c.load("nope", None).unwrap_err().to_string();
        assert_eq!(
            err,
            "no bundle named `nope` in the built-in catalog (available: svc)"
        );
    }

    #[test]
    fn a_release_folder_must_match_its_manifest() {
        let c = catalog(&[("svc/2.0.0/bundle.toml", V2), ("svc/1.5.0/bundle.toml", V1)]);
        let err = c
            .load("svc", Some(&Version::new(1, 5, 0)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "cannot read bundle source golden-paths/svc/1.5.0/bundle.toml: says version 1.0.0, but its folder is named 1.5.0"
        );
        let c = catalog(&[("svc/2.0/bundle.toml", V2)]);
        let err = c.load("svc", None).unwrap_err().to_string();
        assert!(
            err.starts_with("cannot read bundle source golden-paths/svc/2.0: release folders must be named by semver version"),
            "{err}"
        );
    }
}
