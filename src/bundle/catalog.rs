//! The built-in catalog: `golden-paths/` embedded in the binary, with every released version.
//!
//! Layout of one bundle (documented in docs/bundles.md):
//! ```text
//! golden-paths/<name>/bundle.toml, template/, hooks/     the newest release, in full
//! golden-paths/<name>/releases/<version>/                an older release, as a delta
//!     bundle.toml                                        its whole manifest
//!     template/..., hooks/...                            files that differ from the next newer release
//!     release.toml                                       `absent = [...]`: files of the next newer
//!                                                        release this one does not have
//! ```
//! Releases are rebuilt newest to oldest, each from the one after it. Storing deltas keeps the
//! catalog (and the binary) small while every version a service may have been created with can
//! still be rendered exactly, which upgrade and check need.

use super::source::{pick_version, Listing};
use super::{Bundle, Error, Origin, SourceSpec};
use crate::tree::{File, RelPath, Tree};
use semver::Version;
use serde::Deserialize;
use std::collections::BTreeMap;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/catalog.rs"));
}

/// The built-in catalog: per bundle, its files by path relative to `golden-paths/<name>/`.
pub struct Catalog {
    bundles: BTreeMap<String, Tree>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseDelta {
    #[serde(default)]
    absent: Vec<String>,
}

impl Catalog {
    pub fn embedded() -> Catalog {
        Catalog::from_files(embedded::FILES.iter().map(|(p, b, x)| (*p, *b, *x)))
    }

    /// Builds a catalog from `(path under golden-paths/, bytes, executable)` triples.
    pub fn from_files<'a>(files: impl Iterator<Item = (&'a str, &'a [u8], bool)>) -> Catalog {
        let mut bundles: BTreeMap<String, Tree> = BTreeMap::new();
        for (path, bytes, executable) in files {
            let Some((name, rest)) = path.split_once('/') else {
                continue;
            };
            // The catalog is ours and checked by tests; a bad path is skipped, never written.
            if let Ok(rel) = RelPath::in_bundle(rest) {
                bundles.entry(name.to_string()).or_default().insert(
                    rel,
                    File {
                        bytes: bytes.to_vec(),
                        executable,
                    },
                );
            }
        }
        bundles.retain(|_, files| files.contains_key(&RelPath::new("bundle.toml").expect("valid")));
        Catalog { bundles }
    }

    fn describe() -> &'static str {
        "the built-in catalog"
    }

    /// Every release of `name`, newest first, each as its full set of files.
    fn releases(&self, name: &str) -> Result<Vec<(Version, Tree)>, Error> {
        let files = self.bundles.get(name).ok_or_else(|| Error::UnknownBundle {
            name: name.to_string(),
            location: Self::describe().to_string(),
            available: self.bundles.keys().cloned().collect(),
        })?;
        let mut newest = Tree::new();
        let mut deltas: BTreeMap<Version, Tree> = BTreeMap::new();
        for (path, file) in files {
            match path.as_str().strip_prefix("releases/") {
                None => {
                    newest.insert(path.clone(), file.clone());
                }
                Some(rest) => {
                    let (version, inner) = rest.split_once('/').unwrap_or((rest, ""));
                    let version = Version::parse(version).map_err(|e| Error::Source {
                        location: format!("golden-paths/{name}/releases/{version}"),
                        message: format!("release folders must be named by semver version: {e}"),
                    })?;
                    deltas
                        .entry(version)
                        .or_default()
                        .insert(RelPath::in_bundle(inner)?, file.clone());
                }
            }
        }
        let newest_version = manifest_version(name, "", &newest)?;
        let mut out = vec![(newest_version, newest)];
        for (version, mut delta) in deltas.into_iter().rev() {
            let display = format!("golden-paths/{name}/releases/{version}");
            let mut files = out.last().expect("newest is first").1.clone();
            if let Some(release) = delta.remove(&RelPath::new("release.toml")?) {
                let text = String::from_utf8_lossy(&release.bytes);
                let delta_spec: ReleaseDelta =
                    toml::from_str(&text).map_err(|e| Error::Manifest {
                        file: format!("{display}/release.toml"),
                        line: e.span().map(|s| super::manifest::line_of(&text, s.start)),
                        message: e.message().to_string(),
                    })?;
                for gone in delta_spec.absent {
                    if files.remove(&RelPath::in_bundle(&gone)?).is_none() {
                        return Err(Error::Source {
                            location: format!("{display}/release.toml"),
                            message: format!("`{gone}` is listed as absent but the next release has no such file"),
                        });
                    }
                }
            }
            files.extend(delta);
            let found = manifest_version(name, &format!("/releases/{version}"), &files)?;
            if found != version {
                return Err(Error::Source {
                    location: format!("{display}/bundle.toml"),
                    message: format!("says version {found}, but its folder is named {version}"),
                });
            }
            out.push((version, files));
        }
        Ok(out)
    }

    pub fn list(&self) -> Result<Vec<Listing>, Error> {
        let mut out = Vec::new();
        for name in self.bundles.keys() {
            let releases = self.releases(name)?;
            let newest = Bundle::from_files(
                releases[0].1.clone(),
                &format!("golden-paths/{name}"),
                origin(),
            )?;
            let mut versions: Vec<Version> = releases.into_iter().map(|(v, _)| v).collect();
            versions.sort();
            out.push(Listing {
                name: name.clone(),
                description: newest.manifest.bundle.description.clone(),
                versions,
            });
        }
        Ok(out)
    }

    pub fn load(&self, name: &str, version: Option<&Version>) -> Result<Bundle, Error> {
        let releases = self.releases(name)?;
        let mut available: Vec<Version> = releases.iter().map(|(v, _)| v.clone()).collect();
        available.sort();
        let wanted = pick_version(name, Self::describe(), &available, version)?;
        let (_, files) = releases
            .into_iter()
            .find(|(v, _)| *v == wanted)
            .expect("picked from the list");
        let display = if Some(&wanted) == available.last() {
            format!("golden-paths/{name}")
        } else {
            format!("golden-paths/{name}/releases/{wanted}")
        };
        Bundle::from_files(files, &display, origin())
    }
}

fn origin() -> Origin {
    Origin {
        source: SourceSpec::Builtin,
        commit: None,
    }
}

/// Reads just the version from a release's manifest (full validation happens on load).
fn manifest_version(name: &str, sub: &str, files: &Tree) -> Result<Version, Error> {
    let file = format!("golden-paths/{name}{sub}/bundle.toml");
    let text = files
        .get(&RelPath::new("bundle.toml")?)
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .ok_or_else(|| Error::MissingManifest { file: file.clone() })?;
    let manifest = super::Manifest::parse(&text).map_err(|(line, message)| Error::Manifest {
        file,
        line,
        message,
    })?;
    Ok(manifest.bundle.version)
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
    fn older_releases_are_rebuilt_from_deltas() {
        let c = catalog(&[
            ("svc/bundle.toml", V2),
            ("svc/template/kept.txt", "same"),
            ("svc/template/changed.txt", "new"),
            ("svc/template/added-in-2.txt", "added"),
            ("svc/releases/1.0.0/bundle.toml", V1),
            ("svc/releases/1.0.0/template/changed.txt", "old"),
            ("svc/releases/1.0.0/template/removed-in-2.txt", "gone"),
            (
                "svc/releases/1.0.0/release.toml",
                "absent = [\"template/added-in-2.txt\"]\n",
            ),
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
        let c = catalog(&[("svc/bundle.toml", V2)]);
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
        let c = catalog(&[
            ("svc/bundle.toml", V2),
            ("svc/releases/1.5.0/bundle.toml", V1),
        ]);
        let err = c.load("svc", None).unwrap_err().to_string();
        assert!(
            err.contains("says version 1.0.0, but its folder is named 1.5.0"),
            "{err}"
        );
    }

    /// Every release of the built-in catalog as `git ls-tree` would list it: `<version> <mode>
    /// <blob id> <path>`, one line per file.
    fn release_listing(c: &Catalog) -> Vec<String> {
        let mut lines = Vec::new();
        for listing in c.list().unwrap() {
            for (version, files) in c.releases(&listing.name).unwrap() {
                for (path, file) in files {
                    let blob = git2::Oid::hash_object(git2::ObjectType::Blob, &file.bytes).unwrap();
                    let mode = if file.executable { "100755" } else { "100644" };
                    lines.push(format!("{}/{version} {mode} {blob} {}", listing.name, path.as_str()));
                }
            }
        }
        // Ordered like `git ls-tree -r`: by release, then path.
        lines.sort_by(|a: &String, b: &String| {
            let key = |l: &str| {
                let (release, rest) = l.split_once(' ').unwrap();
                (release.to_string(), rest.splitn(3, ' ').nth(2).unwrap().to_string())
            };
            key(a).cmp(&key(b))
        });
        lines
    }

    /// Released versions never change: each one's files are the ones recorded in
    /// `catalog-releases.txt` (recorded from the delta code the catalog used until issue #10).
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

    /// One-off: writes every release in full under `$GOLDPATH_EXPORT_RELEASES/<name>/<version>/`.
    #[test]
    #[ignore]
    fn export_releases() {
        let out = std::path::PathBuf::from(std::env::var_os("GOLDPATH_EXPORT_RELEASES").unwrap());
        let c = Catalog::embedded();
        for listing in c.list().unwrap() {
            for (version, files) in c.releases(&listing.name).unwrap() {
                for (path, file) in files {
                    let dest = out.join(&listing.name).join(version.to_string()).join(path.as_str());
                    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                    std::fs::write(&dest, &file.bytes).unwrap();
                    assert!(!file.executable);
                }
            }
        }
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
