//! A git repository of bundles whose versions are tags: `v1.4.0` (every bundle in the repo) or
//! `<bundle>/v1.4.0` (one bundle). Bundles are read straight from git objects, never checked out.
//!
//! A bundle lives at the repository's root (`bundle.toml` there), in `<name>/`, or in
//! `golden-paths/<name>/` (the built-in catalog's layout, so a company can fork it).

use super::source::{pick_version, Listing};
use super::{Bundle, Error, Manifest, Origin, SourceSpec};
use crate::git::TagRepo;
use semver::Version;
use std::collections::BTreeMap;

pub struct GitSource {
    pub url: String,
    repo: TagRepo,
}

/// One bundle at one tag.
#[derive(Clone)]
struct Release {
    tag: String,
    commit: String,
    /// The bundle's folder in the repository, `""` for the root.
    prefix: String,
}

impl GitSource {
    pub fn open(url: &str) -> Result<GitSource, Error> {
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
        Ok(GitSource {
            // Shown in messages and recorded: without credentials (see `crate::redact`).
            url: crate::redact::strip_credentials(url),
            repo: TagRepo::open(url)?,
        })
    }

    fn describe(&self) -> String {
        format!("git repository {}", self.url)
    }

    /// Every release of every bundle: name -> version -> where it is.
    fn releases(&self) -> Result<BTreeMap<String, BTreeMap<Version, Release>>, Error> {
        let mut out: BTreeMap<String, BTreeMap<Version, Release>> = BTreeMap::new();
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
            for (name, prefix) in self.bundles_at(&commit, only.as_deref())? {
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

    /// The bundles in the tree of `commit` (restricted to `only` for `<bundle>/vX` tags).
    fn bundles_at(&self, commit: &str, only: Option<&str>) -> Result<Vec<(String, String)>, Error> {
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
                if self
                    .repo
                    .read_file(commit, &format!("{prefix}/bundle.toml"))?
                    .is_some()
                {
                    found.push((name, prefix));
                }
            }
        }
        Ok(found)
    }

    pub fn list(&self) -> Result<Vec<Listing>, Error> {
        let mut out = Vec::new();
        for (name, versions) in self.releases()? {
            let (_, newest) = versions.iter().next_back().expect("a bundle has a release");
            let description = self
                .repo
                .read_file(&newest.commit, &join(&newest.prefix, "bundle.toml"))?
                .and_then(|t| Manifest::parse(&String::from_utf8_lossy(&t)).ok())
                .map(|m| m.bundle.description)
                .unwrap_or_default();
            out.push(Listing {
                name,
                description,
                versions: versions.into_keys().collect(),
            });
        }
        Ok(out)
    }

    pub fn load(&self, name: &str, version: Option<&Version>) -> Result<Bundle, Error> {
        let mut releases = self.releases()?;
        let Some(versions) = releases.remove(name) else {
            return Err(Error::UnknownBundle {
                name: name.to_string(),
                location: self.describe(),
                available: releases.into_keys().collect(),
            });
        };
        let available: Vec<Version> = versions.keys().cloned().collect();
        let wanted = pick_version(name, &self.describe(), &available, version)?;
        let release = &versions[&wanted];
        let files = self
            .repo
            .read_tree(&release.commit, &release.prefix, |top| {
                matches!(top, "bundle.toml" | "template" | "hooks" | "partials")
            })
            .map_err(|e| match e {
                crate::git::Error::Entry { path, reason } => Error::Entry {
                    location: self.describe(),
                    tag: release.tag.clone(),
                    entry: format!("`{}` which {reason}", join(&release.prefix, &path)),
                },
                e => e.into(),
            })?;
        let origin = Origin {
            source: SourceSpec::Git(self.url.clone()),
            commit: Some(release.commit.clone()),
        };
        let display = format!(
            "{}@{}:{}",
            self.url,
            release.tag,
            if release.prefix.is_empty() {
                "."
            } else {
                &release.prefix
            }
        );
        let bundle = Bundle::from_files(files, &display, origin)?;
        if bundle.version() != &wanted || bundle.name() != name {
            return Err(Error::TagMismatch {
                tag: release.tag.clone(),
                location: self.describe(),
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
