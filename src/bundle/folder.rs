//! A local folder of bundles. Where its `bundle.toml` files are tells the layout:
//!
//! ```text
//! <root>/bundle.toml                     one bundle, one version: the one its bundle.toml says
//! <root>/<version>/bundle.toml           one bundle, a folder per release (golden-paths/<name>)
//! <root>/<name>/bundle.toml              bundles, one version each
//! <root>/<name>/<version>/bundle.toml    bundles, a folder per release (golden-paths/)
//! ```
//!
//! A release folder is named by its semver version and its `bundle.toml` must say that version.
//! A bundle's name starts with a letter, so a release folder is never taken for a bundle.

use super::release::{check_folder_version, folder_version, unknown_version, Releases};
use super::{read_manifest, Bundle, Error, Manifest, Origin, SourceSpec};
use crate::tree;
use semver::Version;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub struct FolderSource {
    root: PathBuf,
    /// [`FolderSource::bundle_dirs`], read from the disk once.
    dirs: OnceLock<Vec<(String, BundleDir)>>,
}

/// Where one bundle's releases are.
enum BundleDir {
    /// A bundle folder: one release, the version its `bundle.toml` says.
    One(PathBuf),
    /// A folder per release, by version.
    Releases(BTreeMap<Version, PathBuf>),
}

impl FolderSource {
    pub fn open(root: &Path) -> Result<FolderSource, Error> {
        if !root.is_dir() {
            return Err(Error::Source {
                location: root.display().to_string(),
                message: "no such folder; --from takes a folder of bundles, a bundle folder, or a git URL".into(),
            });
        }
        Ok(FolderSource {
            root: root.to_path_buf(),
            dirs: OnceLock::new(),
        })
    }

    /// The bundles by name (sorted), each with where its releases are.
    fn bundle_dirs(&self) -> Result<&[(String, BundleDir)], Error> {
        if let Some(dirs) = self.dirs.get() {
            return Ok(dirs);
        }
        let dirs = self.find_bundles()?;
        Ok(self.dirs.get_or_init(|| dirs))
    }

    fn find_bundles(&self) -> Result<Vec<(String, BundleDir)>, Error> {
        if self.root.join("bundle.toml").is_file() {
            let name = manifest(&self.root)?.bundle.name;
            return Ok(vec![(name, BundleDir::One(self.root.clone()))]);
        }
        let entries = std::fs::read_dir(&self.root).map_err(|source| tree::Error::Read {
            path: self.root.clone(),
            source,
        })?;
        let mut entries: Vec<(String, PathBuf)> = entries
            .flatten()
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .collect();
        entries.sort();
        let releases = release_dirs(&entries);
        if let Some((_, newest)) = releases.last_key_value() {
            let name = manifest(newest)?.bundle.name;
            return Ok(vec![(name, BundleDir::Releases(releases))]);
        }
        let mut dirs = Vec::new();
        for (name, path) in entries {
            if path.join("bundle.toml").is_file() {
                dirs.push((name, BundleDir::One(path)));
            } else if let Ok(inner) = std::fs::read_dir(&path) {
                let inner: Vec<(String, PathBuf)> = inner
                    .flatten()
                    .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                    .collect();
                let releases = release_dirs(&inner);
                if !releases.is_empty() {
                    dirs.push((name, BundleDir::Releases(releases)));
                }
            }
        }
        Ok(dirs)
    }

    fn bundle_dir(&self, name: &str) -> Result<Option<&BundleDir>, Error> {
        let dirs = self.bundle_dirs()?;
        Ok(dirs.iter().find(|(n, _)| n == name).map(|(_, dir)| dir))
    }

    fn read_bundle(&self, dir: &Path) -> Result<Bundle, Error> {
        let files = tree::read_dir(dir)?;
        let origin = Origin {
            source: SourceSpec::Folder(self.root.clone()),
            commit: None,
        };
        Bundle::from_files(files, &dir.display().to_string(), origin)
    }
}

impl Releases for FolderSource {
    fn location(&self) -> String {
        format!("folder {}", self.root.display())
    }

    fn bundles(&self) -> Result<Vec<String>, Error> {
        Ok(self.bundle_dirs()?.iter().map(|(n, _)| n.clone()).collect())
    }

    fn versions(&self, name: &str) -> Result<Option<Vec<Version>>, Error> {
        Ok(match self.bundle_dir(name)? {
            None => None,
            Some(BundleDir::One(dir)) => Some(vec![manifest(dir)?.bundle.version]),
            Some(BundleDir::Releases(releases)) => Some(releases.keys().cloned().collect()),
        })
    }

    fn read(&self, name: &str, version: &Version) -> Result<Bundle, Error> {
        match self.bundle_dir(name)?.expect("a bundle the folder listed") {
            BundleDir::One(dir) => self.read_bundle(dir),
            BundleDir::Releases(releases) => {
                let dir = &releases[version];
                let bundle = self.read_bundle(dir)?;
                check_folder_version(bundle, version, &dir.display().to_string())
            }
        }
    }

    /// A bundle folder holds one version: asking for another is a mistake of its own kind.
    fn missing_version(&self, name: &str, wanted: &Version, available: Vec<Version>) -> Error {
        match self.bundle_dir(name) {
            Ok(Some(BundleDir::One(_))) => Error::FolderVersion {
                name: name.to_string(),
                location: self.location(),
                found: available.first().map(|v| v.to_string()).unwrap_or_default(),
                wanted: wanted.to_string(),
            },
            _ => unknown_version(self, name, wanted, available),
        }
    }
}

/// The release folders among `entries` (name, path): named by a version, with a `bundle.toml`.
fn release_dirs(entries: &[(String, PathBuf)]) -> BTreeMap<Version, PathBuf> {
    entries
        .iter()
        .filter(|(_, path)| path.join("bundle.toml").is_file())
        .filter_map(|(name, path)| Some((folder_version(name)?, path.clone())))
        .collect()
}

/// The manifest of the bundle folder `dir`, parsed and checked (the rest is read on load).
fn manifest(dir: &Path) -> Result<Manifest, Error> {
    let bytes = tree::read_bundle_file(&dir.join("bundle.toml"))?;
    read_manifest(Some(bytes), &dir.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_text(name: &str, version: &str) -> String {
        format!("[bundle]\nname = \"{name}\"\nversion = \"{version}\"\n")
    }

    /// Writes `<dir>/<name>/<version>/` release folders (`name` empty: straight in `dir`).
    fn release(dir: &Path, name: &str, version: &str) {
        let folder = dir.join(name).join(version);
        std::fs::create_dir_all(folder.join("template")).unwrap();
        std::fs::write(folder.join("bundle.toml"), manifest_text("svc", version)).unwrap();
        std::fs::write(folder.join("template/v.txt"), version).unwrap();
    }

    fn versions(source: &FolderSource, name: &str) -> Vec<String> {
        let versions = source.versions(name).unwrap().unwrap();
        versions.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn a_folder_of_release_folders_holds_every_release() {
        let tmp = tempfile::tempdir().unwrap();
        // golden-paths/ (bundles, a folder per release) beside a plain bundle.
        release(tmp.path(), "svc", "1.0.0");
        release(tmp.path(), "svc", "1.10.0");
        release(tmp.path(), "svc", "1.2.0");
        std::fs::create_dir_all(tmp.path().join("svc/notes")).unwrap();
        std::fs::create_dir_all(tmp.path().join("plain/template")).unwrap();
        std::fs::write(
            tmp.path().join("plain/bundle.toml"),
            manifest_text("plain", "0.1.0"),
        )
        .unwrap();
        let all = FolderSource::open(tmp.path()).unwrap();
        assert_eq!(all.bundles().unwrap(), ["plain", "svc"]);
        assert_eq!(versions(&all, "svc"), ["1.0.0", "1.2.0", "1.10.0"]);
        assert_eq!(versions(&all, "plain"), ["0.1.0"]);
        assert!(all.versions("nope").unwrap().is_none());
        let old = all.read("svc", &Version::new(1, 2, 0)).unwrap();
        assert_eq!(old.version(), &Version::new(1, 2, 0));
        assert_eq!(
            old.origin.source,
            SourceSpec::Folder(tmp.path().to_path_buf())
        );

        // golden-paths/<name>/ (one bundle, a folder per release): named by its manifest.
        let one = FolderSource::open(&tmp.path().join("svc")).unwrap();
        assert_eq!(one.bundles().unwrap(), ["svc"]);
        assert_eq!(versions(&one, "svc"), ["1.0.0", "1.2.0", "1.10.0"]);

        // Missing versions: a plain bundle holds one; a folder of releases lists them.
        let wanted = Version::new(9, 0, 0);
        let plain = all.missing_version("plain", &wanted, vec![Version::new(0, 1, 0)]);
        assert!(matches!(plain, Error::FolderVersion { .. }), "{plain}");
        let svc = all.missing_version("svc", &wanted, vec![Version::new(1, 0, 0)]);
        assert!(matches!(svc, Error::UnknownVersion { .. }), "{svc}");
    }

    #[test]
    fn a_release_folder_must_say_its_version() {
        let tmp = tempfile::tempdir().unwrap();
        release(tmp.path(), "svc", "1.0.0");
        std::fs::write(
            tmp.path().join("svc/1.0.0/bundle.toml"),
            manifest_text("svc", "1.0.1"),
        )
        .unwrap();
        let source = FolderSource::open(tmp.path()).unwrap();
        let err = source.read("svc", &Version::new(1, 0, 0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot read bundle source {}/bundle.toml: says version 1.0.1, but its folder is named 1.0.0",
                tmp.path().join("svc/1.0.0").display()
            )
        );
    }
}
