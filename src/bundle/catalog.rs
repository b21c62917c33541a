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

use super::source::{pick_version, Listing};
use super::{Bundle, Error, Origin, SourceSpec};
use crate::tree::{File, RelPath, Tree};
use semver::Version;
use std::collections::BTreeMap;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/catalog.rs"));
}

/// The built-in catalog: per bundle, per release folder (`<version>`), its files by path
/// relative to that folder.
pub struct Catalog {
    bundles: BTreeMap<String, BTreeMap<String, Tree>>,
}

impl Catalog {
    pub fn embedded() -> Catalog {
        Catalog::from_files(embedded::FILES.iter().map(|(p, b, x)| (*p, *b, *x)))
    }

    /// Builds a catalog from `(path under golden-paths/, bytes, executable)` triples. Files
    /// outside a release folder (`<name>/<version>/...`) are not part of any release.
    pub fn from_files<'a>(files: impl Iterator<Item = (&'a str, &'a [u8], bool)>) -> Catalog {
        let mut bundles: BTreeMap<String, BTreeMap<String, Tree>> = BTreeMap::new();
        for (path, bytes, executable) in files {
            let mut parts = path.splitn(3, '/');
            let (Some(name), Some(release), Some(rest)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            // The catalog is ours and checked by tests; a bad path is skipped, never written.
            if let Ok(rel) = RelPath::in_bundle(rest) {
                bundles
                    .entry(name.to_string())
                    .or_default()
                    .entry(release.to_string())
                    .or_default()
                    .insert(
                        rel,
                        File {
                            bytes: bytes.to_vec(),
                            executable,
                        },
                    );
            }
        }
        Catalog { bundles }
    }

    fn describe() -> &'static str {
        "the built-in catalog"
    }

    /// Every release of `name`, oldest first: its version and its folder's name.
    fn releases(&self, name: &str) -> Result<Vec<(Version, &str)>, Error> {
        let folders = self.bundles.get(name).ok_or_else(|| Error::UnknownBundle {
            name: name.to_string(),
            location: Self::describe().to_string(),
            available: self.bundles.keys().cloned().collect(),
        })?;
        let mut out = Vec::new();
        for folder in folders.keys() {
            let version = Version::parse(folder).map_err(|e| Error::Source {
                location: format!("golden-paths/{name}/{folder}"),
                message: format!("release folders must be named by semver version: {e}"),
            })?;
            out.push((version, folder.as_str()));
        }
        out.sort();
        Ok(out)
    }

    /// Reads the release of `name` in `folder`, whose manifest must say `version`.
    fn read(&self, name: &str, version: &Version, folder: &str) -> Result<Bundle, Error> {
        let display = format!("golden-paths/{name}/{folder}");
        let files = self.bundles[name][folder].clone();
        let bundle = Bundle::from_files(files, &display, origin())?;
        if bundle.version() != version {
            return Err(Error::Source {
                location: format!("{display}/bundle.toml"),
                message: format!(
                    "says version {}, but its folder is named {folder}",
                    bundle.version()
                ),
            });
        }
        Ok(bundle)
    }

    pub fn list(&self) -> Result<Vec<Listing>, Error> {
        let mut out = Vec::new();
        for name in self.bundles.keys() {
            let releases = self.releases(name)?;
            let (version, folder) = releases.last().expect("a bundle has a release");
            let newest = self.read(name, version, folder)?;
            out.push(Listing {
                name: name.clone(),
                description: newest.manifest.bundle.description.clone(),
                versions: releases.into_iter().map(|(v, _)| v).collect(),
            });
        }
        Ok(out)
    }

    pub fn load(&self, name: &str, version: Option<&Version>) -> Result<Bundle, Error> {
        let releases = self.releases(name)?;
        let available: Vec<Version> = releases.iter().map(|(v, _)| v.clone()).collect();
        let wanted = pick_version(name, Self::describe(), &available, version)?;
        let (_, folder) = releases
            .iter()
            .find(|(v, _)| *v == wanted)
            .expect("picked from the list");
        self.read(name, &wanted, folder)
    }
}

fn origin() -> Origin {
    Origin {
        source: SourceSpec::Builtin,
        commit: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(files: &[(&str, &str)]) -> Catalog {
        Catalog::from_files(files.iter().map(|(p, t)| (*p, t.as_bytes(), false)))
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

    /// Every release of the built-in catalog as `git ls-tree` would list it: `<version> <mode>
    /// <blob id> <path>`, one line per file.
    fn release_listing(c: &Catalog) -> Vec<String> {
        let mut lines = Vec::new();
        for listing in c.list().unwrap() {
            for (version, folder) in c.releases(&listing.name).unwrap() {
                for (path, file) in &c.bundles[&listing.name][folder] {
                    let blob = git2::Oid::hash_object(git2::ObjectType::Blob, &file.bytes).unwrap();
                    let mode = if file.executable { "100755" } else { "100644" };
                    lines.push(format!(
                        "{}/{version} {mode} {blob} {}",
                        listing.name,
                        path.as_str()
                    ));
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
        if std::env::var_os("GOLDPATH_RECORD_RELEASES").is_some() {
            println!("{}", actual.join("\n"));
        }
        assert_eq!(recorded, actual);
    }

    #[test]
    fn every_built_in_release_loads() {
        let c = Catalog::embedded();
        for listing in c.list().unwrap() {
            for v in &listing.versions {
                let b = c
                    .load(&listing.name, Some(v))
                    .unwrap_or_else(|e| panic!("{} {v}: {e}", listing.name));
                assert_eq!(b.version(), v);
            }
        }
    }
}
