//! A local folder of bundles (`<root>/<name>/bundle.toml`), or a folder that is one bundle
//! (`<root>/bundle.toml`). A folder holds one version of each bundle: the one on disk.

use super::source::Listing;
use super::{Bundle, Error, Origin, SourceSpec};
use crate::tree;
use std::path::{Path, PathBuf};

pub struct FolderSource {
    pub root: PathBuf,
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
        })
    }

    /// Bundle folders by name.
    fn bundle_dirs(&self) -> Result<Vec<(String, PathBuf)>, Error> {
        if self.root.join("bundle.toml").is_file() {
            let bundle = self.read(&self.root)?;
            return Ok(vec![(bundle.name().to_string(), self.root.clone())]);
        }
        let entries = std::fs::read_dir(&self.root).map_err(|source| tree::Error::Read {
            path: self.root.clone(),
            source,
        })?;
        let mut dirs = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.join("bundle.toml").is_file() {
                dirs.push((entry.file_name().to_string_lossy().into_owned(), path));
            }
        }
        dirs.sort();
        Ok(dirs)
    }

    fn read(&self, dir: &Path) -> Result<Bundle, Error> {
        let files = tree::read_dir(dir)?;
        let origin = Origin {
            source: SourceSpec::Folder(self.root.clone()),
            commit: None,
        };
        Bundle::from_files(files, &dir.display().to_string(), origin)
    }

    pub fn list(&self) -> Result<Vec<Listing>, Error> {
        let mut out = Vec::new();
        for (_, dir) in self.bundle_dirs()? {
            let b = self.read(&dir)?;
            out.push(Listing {
                name: b.name().to_string(),
                description: b.manifest.bundle.description.clone(),
                versions: vec![b.version().clone()],
            });
        }
        Ok(out)
    }

    pub fn load(&self, name: &str, version: Option<&semver::Version>) -> Result<Bundle, Error> {
        let dirs = self.bundle_dirs()?;
        let Some((_, dir)) = dirs.iter().find(|(n, _)| n == name) else {
            return Err(Error::UnknownBundle {
                name: name.to_string(),
                location: format!("folder {}", self.root.display()),
                available: dirs.into_iter().map(|(n, _)| n).collect(),
            });
        };
        let bundle = self.read(dir)?;
        if let Some(wanted) = version {
            if wanted != bundle.version() {
                return Err(Error::FolderVersion {
                    name: name.to_string(),
                    location: format!("folder {}", self.root.display()),
                    found: bundle.version().to_string(),
                    wanted: wanted.to_string(),
                });
            }
        }
        Ok(bundle)
    }
}
