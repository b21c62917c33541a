//! A git repository of bundles whose versions are tags: `v1.4.0` (every bundle in the repo) or
//! `<bundle>/v1.4.0` (one bundle). Bundles are read straight from git objects, never checked out.
//!
//! A bundle lives at the repository's root (`bundle.toml` there), in `<name>/`, or in
//! `golden-paths/<name>/`; in the built-in catalog's layout (so a company can fork it), tag
//! `v1.4.0` finds the release folder `golden-paths/<name>/1.4.0/`.

use super::release::Releases;
use super::{Bundle, Error, Manifest, Origin, SourceSpec};
use crate::git::TagRepo;
use semver::Version;
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub struct GitSource {
    url: String,
    repo: TagRepo,
    /// [`GitSource::releases`], read from the tags once: listing and loading both need it.
    releases: OnceLock<ReleaseMap>,
}

/// Every release of every bundle: name -> version -> where it is.
type ReleaseMap = BTreeMap<String, BTreeMap<Version, Release>>;

/// One bundle at one tag.
#[derive(Clone)]
struct Release {
    tag: String,
    commit: String,
    /// The bundle's folder in the repository, `""` for the root.
    prefix: String,
}

impl GitSource {
    /// Opens `url`, fetching as `fetch` says; with the error of a fetch that failed when the
    /// cache was read instead.
    pub fn open_with(
        url: &str,
        fetch: crate::git::Fetch,
    ) -> Result<(GitSource, Option<crate::git::Error>), Error> {
        // A local repository that is not there is a typo, not a network problem: say so, rather
        // than fetch it as a remote ("unsupported URL protocol") into a new cache folder.
        let local = url
            .strip_prefix("file://")
            .or_else(|| std::path::Path::new(url).is_absolute().then_some(url));
        if local.is_some_and(|path| !std::path::Path::new(path).exists()) {
            return Err(Error::Source {
                location: url.to_string(),
                message: "no such repository; --from takes a folder of bundles, a bundle folder, or a git URL".into(),
            });
        }
        let (repo, failed) = TagRepo::open_with(url, fetch)?;
        let source = GitSource {
            // Shown in messages and recorded: without credentials (see `crate::redact`).
            url: crate::redact::strip_credentials(url),
            repo,
            releases: OnceLock::new(),
        };
        Ok((source, failed))
    }

    /// Every release of every bundle, read from the tags on first use.
    fn releases(&self) -> Result<&ReleaseMap, Error> {
        if let Some(releases) = self.releases.get() {
            return Ok(releases);
        }
        let releases = self.read_releases()?;
        Ok(self.releases.get_or_init(|| releases))
    }

    fn read_releases(&self) -> Result<ReleaseMap, Error> {
        let mut out = ReleaseMap::new();
        for (tag, commit) in self.repo.tags()? {
            let (only, version) = match tag.rsplit_once('/') {
                Some((name, v)) => (Some(name.to_string()), v),
                None => (None, tag.as_str()),
            };
            let Some(version) = version
                .strip_prefix('v')
                .and_then(|v| Version::parse(v).ok())
            else {
                continue;
            };
            for (name, prefix) in self.bundles_at(&commit, only.as_deref(), &version)? {
                out.entry(name).or_default().insert(
                    version.clone(),
                    Release {
                        tag: tag.clone(),
                        commit: commit.clone(),
                        prefix,
                    },
                );
            }
        }
        Ok(out)
    }

    /// The bundles in the tree of `commit`, tagged `version` (restricted to `only` for
    /// `<bundle>/vX` tags): each one's name and folder.
    fn bundles_at(
        &self,
        commit: &str,
        only: Option<&str>,
        version: &Version,
    ) -> Result<Vec<(String, String)>, Error> {
        if let Some(text) = self.repo.read_file(commit, "bundle.toml")? {
            let name = Manifest::parse(&String::from_utf8_lossy(&text))
                .map(|m| m.bundle.name)
                .unwrap_or_default();
            if only.is_none_or(|o| o == name) {
                return Ok(vec![(name, String::new())]);
            }
        }
        let mut found = Vec::new();
        for dir in ["", "golden-paths/"] {
            for name in self.repo.list_dirs(commit, dir.trim_end_matches('/'))? {
                if only.is_some_and(|o| o != name) {
                    continue;
                }
                let prefix = format!("{dir}{name}");
                // In a fork of the built-in catalog, the tagged version's release folder.
                let release = format!("{prefix}/{version}");
                let candidates = if dir.is_empty() {
                    vec![prefix]
                } else {
                    vec![prefix, release]
                };
                for prefix in candidates {
                    let manifest = format!("{prefix}/bundle.toml");
                    if self.repo.read_file(commit, &manifest)?.is_some() {
                        found.push((name, prefix));
                        break;
                    }
                }
            }
        }
        Ok(found)
    }
}

impl Releases for GitSource {
    fn location(&self) -> String {
        format!("git repository {}", self.url)
    }

    fn bundles(&self) -> Result<Vec<String>, Error> {
        Ok(self.releases()?.keys().cloned().collect())
    }

    fn versions(&self, name: &str) -> Result<Option<Vec<Version>>, Error> {
        Ok(self
            .releases()?
            .get(name)
            .map(|versions| versions.keys().cloned().collect()))
    }

    /// Read leniently: a bundle whose newest manifest does not parse is still listed.
    fn description(&self, name: &str, newest: &Version) -> Result<String, Error> {
        let release = &self.releases()?[name][newest];
        Ok(self
            .repo
            .read_file(&release.commit, &join(&release.prefix, "bundle.toml"))?
            .and_then(|t| Manifest::parse(&String::from_utf8_lossy(&t)).ok())
            .map(|m| m.bundle.description)
            .unwrap_or_default())
    }

    fn read(&self, name: &str, version: &Version) -> Result<Bundle, Error> {
        let release = &self.releases()?[name][version];
        let files = self
            .repo
            .read_tree(&release.commit, &release.prefix, |top| {
                matches!(
                    top,
                    "bundle.toml" | "template" | "hooks" | "partials" | "CHANGELOG.md"
                )
            })
            .map_err(|e| match e {
                crate::git::Error::Entry { path, reason } => Error::Entry {
                    location: self.location(),
                    tag: release.tag.clone(),
                    entry: format!("`{}` which {reason}", join(&release.prefix, &path)),
                },
                e => e.into(),
            })?;
        let origin = Origin {
            source: SourceSpec::Git(self.url.clone()),
            commit: Some(release.commit.clone()),
        };
        let folder = if release.prefix.is_empty() {
            "."
        } else {
            &release.prefix
        };
        let display = format!("{}@{}:{folder}", self.url, release.tag);
        let bundle = Bundle::from_files(files, &display, origin)?;
        if bundle.version() != version || bundle.name() != name {
            return Err(Error::TagMismatch {
                tag: release.tag.clone(),
                location: self.location(),
                found: bundle.version().clone(),
            });
        }
        Ok(bundle)
    }
}

fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_string()
    } else {
        format!("{prefix}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository holding the built-in catalog's layout, tagged `v1.1.0` once both release
    /// folders are in.
    fn catalog_fork(dir: &std::path::Path) {
        for version in ["1.0.0", "1.1.0"] {
            let release = dir.join("golden-paths/svc").join(version);
            std::fs::create_dir_all(release.join("template")).unwrap();
            let manifest = format!("[bundle]\nname = \"svc\"\nversion = \"{version}\"\n");
            std::fs::write(release.join("bundle.toml"), manifest).unwrap();
            std::fs::write(release.join("template/v.txt"), version).unwrap();
        }
        let repo = git2::Repository::init(dir).unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("Platform", "p@example.com").unwrap();
        let commit = repo
            .commit(Some("HEAD"), &sig, &sig, "releases", &tree, &[])
            .unwrap();
        let commit = repo.find_object(commit, None).unwrap();
        repo.tag_lightweight("v1.1.0", &commit, false).unwrap();
    }

    #[test]
    fn a_tag_of_a_catalog_fork_finds_its_release_folder() {
        let tmp = tempfile::tempdir().unwrap();
        catalog_fork(tmp.path());
        let source =
            GitSource::open_with(&tmp.path().display().to_string(), crate::git::Fetch::Always)
                .unwrap()
                .0;
        assert_eq!(source.bundles().unwrap(), ["svc"]);
        let versions = source.versions("svc").unwrap().unwrap();
        assert_eq!(versions, [Version::new(1, 1, 0)]);
        let bundle = source.read("svc", &versions[0]).unwrap();
        let file = crate::tree::RelPath::new("v.txt").unwrap();
        assert_eq!(bundle.template[&file].bytes, b"1.1.0");
    }
}
