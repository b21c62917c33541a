//! What a kind of bundle source provides: [`Releases`]. The built-in catalog, a folder and a git
//! repository each implement it; [`super::Source`] writes listing, version picking and the
//! unknown-bundle error once on top. This module imports none of them.

use super::{Bundle, Error};
use semver::Version;

/// The releases a source holds, and how to read one.
pub trait Releases {
    /// Where the source is, as messages name it: `the built-in catalog`, `folder /srv/t`,
    /// `git repository https://host/t.git`.
    fn location(&self) -> String;

    /// The names of the bundles the source holds, sorted; each has at least one release.
    fn bundles(&self) -> Result<Vec<String>, Error>;

    /// The versions of bundle `name`, oldest first; `None` when the source has no such bundle.
    fn versions(&self, name: &str) -> Result<Option<Vec<Version>>, Error>;

    /// Reads the release of `name` at `version` (one [`Releases::versions`] listed) into a
    /// bundle, checking that its `bundle.toml` says the version the source filed it under.
    fn read(&self, name: &str, version: &Version) -> Result<Bundle, Error>;

    /// What `goldpath list` shows under a bundle: the description of its newest release.
    fn description(&self, name: &str, newest: &Version) -> Result<String, Error> {
        Ok(self.read(name, newest)?.manifest.bundle.description)
    }

    /// The error for a version of `name` the source does not hold.
    fn missing_version(&self, name: &str, wanted: &Version, available: Vec<Version>) -> Error {
        unknown_version(self, name, wanted, available)
    }
}

/// [`Releases::missing_version`] as most sources answer it: the versions there are.
pub fn unknown_version<R: Releases + ?Sized>(
    source: &R,
    name: &str,
    wanted: &Version,
    available: Vec<Version>,
) -> Error {
    Error::UnknownVersion {
        name: name.to_string(),
        version: wanted.clone(),
        location: source.location(),
        available,
    }
}

/// Parses a release folder's name (`1.4.0`) as its version. `None` for any other name: a bundle
/// name starts with a letter, so a folder of releases and a folder of bundles never mix up.
pub fn folder_version(name: &str) -> Option<Version> {
    name.starts_with(|c: char| c.is_ascii_digit())
        .then(|| Version::parse(name).ok())
        .flatten()
}

/// A release folder's `bundle.toml` must say the version the folder is named by (`version`, as
/// parsed from that name). `display` names the folder in the error.
pub fn check_folder_version(
    bundle: Bundle,
    version: &Version,
    display: &str,
) -> Result<Bundle, Error> {
    if bundle.version() == version {
        return Ok(bundle);
    }
    Err(Error::Source {
        location: format!("{display}/bundle.toml"),
        message: format!(
            "says version {}, but its folder is named {version}",
            bundle.version()
        ),
    })
}
