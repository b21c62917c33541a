//! The built-in catalog: `golden-paths/` embedded in the binary, one folder per release.
//!
//! Layout (documented in docs/bundles.md):
//! ```text
//! golden-paths/<name>/<version>/bundle.toml, template/, hooks/, partials/
//! ```
//! Every release is kept whole, so cutting one is copying a folder and `diff -r` between two
//! shows what changed. build.rs embeds each distinct file content once, so the binary holds
//! what changed between releases rather than a copy of each; every version a service may have
//! been created with can still be rendered exactly, which upgrade and check need.

use super::release::{check_folder_version, Releases};
use super::{Bundle, Error, Origin, SourceSpec};
use crate::tree::{File, RelPath, Tree};
use semver::Version;
use std::collections::BTreeMap;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/catalog.rs"));
}

/// The built-in catalog: per bundle, per release folder (`<version>`), its files by path
/// relative to that folder, as embedded: a release's files are copied into a [`Tree`] only when
/// it is read (a `new` reads one release of the catalog's 677 files, 5 MB).
pub struct Catalog {
    bundles: BTreeMap<&'static str, BTreeMap<&'static str, Vec<EmbeddedFile>>>,
}

/// A file of a release: its path in the release folder, its bytes, whether it is executable.
type EmbeddedFile = (&'static str, &'static [u8], bool);

impl Catalog {
    pub fn embedded() -> Catalog {
        Catalog::from_files(embedded::FILES.iter().copied())
    }

    /// Builds a catalog from `(path under golden-paths/, bytes, executable)` triples. Files
    /// outside a release folder (`<name>/<version>/...`) are not part of any release.
    pub fn from_files(files: impl Iterator<Item = (&'static str, &'static [u8], bool)>) -> Catalog {
        let mut bundles: BTreeMap<_, BTreeMap<_, Vec<EmbeddedFile>>> = BTreeMap::new();
        for (path, bytes, executable) in files {
            let mut parts = path.splitn(3, '/');
            let (Some(name), Some(release), Some(rest)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            bundles
                .entry(name)
                .or_default()
                .entry(release)
                .or_default()
                .push((rest, bytes, executable));
        }
        Catalog { bundles }
    }

    /// The files of release `folder` of bundle `name`.
    fn files(&self, name: &str, folder: &str) -> Tree {
        self.bundles[name][folder]
            .iter()
            .filter_map(|&(path, bytes, executable)| {
                // The catalog is ours and checked by tests; a bad path is skipped, never written.
                let rel = RelPath::in_bundle(path).ok()?;
                Some((
                    rel,
                    File {
                        bytes: bytes.to_vec(),
                        executable,
                    },
                ))
            })
            .collect()
    }

    /// The release folders of `name`, oldest first, each with its version.
    fn releases(&self, name: &str) -> Result<Option<Vec<(Version, &str)>>, Error> {
        let Some(folders) = self.bundles.get(name) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for folder in folders.keys() {
            let version = Version::parse(folder).map_err(|e| Error::Source {
                location: format!("golden-paths/{name}/{folder}"),
                message: format!("release folders must be named by semver version: {e}"),
            })?;
            out.push((version, *folder));
        }
        out.sort();
        Ok(Some(out))
    }
}

impl Releases for Catalog {
    fn location(&self) -> String {
        "the built-in catalog".to_string()
    }

    fn bundles(&self) -> Result<Vec<String>, Error> {
        Ok(self.bundles.keys().map(|n| n.to_string()).collect())
    }

    fn versions(&self, name: &str) -> Result<Option<Vec<Version>>, Error> {
        let releases = self.releases(name)?;
        Ok(releases.map(|r| r.into_iter().map(|(v, _)| v).collect()))
    }

    fn read(&self, name: &str, version: &Version) -> Result<Bundle, Error> {
        let releases = self.releases(name)?.unwrap_or_default();
        let (_, folder) = releases
            .iter()
            .find(|(v, _)| v == version)
            .expect("a version the catalog listed");
        let display = format!("golden-paths/{name}/{folder}");
        let files = self.files(name, folder);
        let origin = Origin {
            source: SourceSpec::Builtin,
            commit: None,
        };
        check_folder_version(
            Bundle::from_files(files, &display, origin)?,
            version,
            &display,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every release of the built-in catalog as `git ls-tree` would list it: `<version> <mode>
    /// <blob id> <path>`, one line per file.
    fn release_listing(c: &Catalog) -> Vec<String> {
        let mut lines = Vec::new();
        for name in c.bundles().unwrap() {
            for (version, folder) in c.releases(&name).unwrap().unwrap() {
                for (path, file) in &c.files(&name, folder) {
                    let blob = git2::Oid::hash_object(git2::ObjectType::Blob, &file.bytes).unwrap();
                    let mode = if file.executable { "100755" } else { "100644" };
                    lines.push(format!("{name}/{version} {mode} {blob} {}", path.as_str()));
                }
            }
        }
        // Ordered like `git ls-tree -r`: by release, then path.
        lines.sort_by(|a: &String, b: &String| {
            let key = |l: &str| {
                let (release, rest) = l.split_once(' ').unwrap();
                (
                    release.to_string(),
                    rest.splitn(3, ' ').nth(2).unwrap().to_string(),
                )
            };
            key(a).cmp(&key(b))
        });
        lines
    }

    /// Released versions never change: each one's files are the ones recorded in
    /// `catalog-releases.txt`, recorded from the reverse-delta code the catalog used until issue #10:
    /// converting the catalog to one folder per release changed no byte and no mode.
    #[test]
    fn released_files_are_the_recorded_ones() {
        let recorded = include_str!("catalog-releases.txt");
        let recorded: Vec<&str> = recorded.lines().filter(|l| !l.starts_with('#')).collect();
        let actual = release_listing(&Catalog::embedded());
        let changed: Vec<&str> = recorded
            .iter()
            .filter(|l| !actual.iter().any(|a| a == *l))
            .copied()
            .collect();
        let unrecorded: Vec<&str> = actual
            .iter()
            .filter(|a| !recorded.contains(&a.as_str()))
            .map(String::as_str)
            .collect();
        assert!(
            changed.is_empty() && unrecorded.is_empty(),
            "recorded files of released versions that changed or went missing:\n{}\n\n\
             files no line of src/bundle/catalog-releases.txt records (a new release? add these):\n{}\n",
            changed.join("\n"),
            unrecorded.join("\n")
        );
        assert_eq!(recorded, actual, "keep catalog-releases.txt in this order");
    }

    #[test]
    fn every_built_in_release_loads() {
        let c = Catalog::embedded();
        for name in c.bundles().unwrap() {
            for v in c.versions(&name).unwrap().unwrap() {
                let b = c
                    .read(&name, &v)
                    .unwrap_or_else(|e| panic!("{name} {v}: {e}"));
                assert_eq!(b.version(), &v);
            }
        }
    }
}
