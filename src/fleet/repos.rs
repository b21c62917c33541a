//! The repositories of a fleet: read from a list file (one local path or git URL a line, `#`
//! comments) or found in a folder (every git repository holding a goldpath project, at any
//! depth); each with a stable identity, which the report, `--resume` and `--shard` key on.

use super::Error;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where a repository is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RepoLocation {
    /// A repository on this machine, read and written in place (its work tree never).
    Local(PathBuf),
    /// A remote repository, fetched into goldpath's cache with the `git` command.
    Url(String),
}

/// One repository of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RepoRef {
    /// How the report names it: the URL without credentials, or the absolute path.
    pub identity: String,
    pub location: RepoLocation,
}

impl RepoRef {
    /// `entry` as a list names it; relative paths are relative to `base`.
    pub fn parse(entry: &str, base: &Path) -> RepoRef {
        if looks_like_url(entry) {
            return RepoRef {
                identity: crate::redact::strip_credentials(entry),
                location: RepoLocation::Url(entry.to_string()),
            };
        }
        let path = base.join(entry);
        let path = path.canonicalize().unwrap_or(path);
        RepoRef {
            identity: path.display().to_string(),
            location: RepoLocation::Local(path),
        }
    }

    /// Whether this repository is in shard `index` (from 1) of `count`.
    pub fn in_shard(&self, shard: Shard) -> bool {
        stable_hash(&self.identity) % u64::from(shard.count) == u64::from(shard.index - 1)
    }
}

/// `scheme://...` or scp-like `user@host:path`.
fn looks_like_url(entry: &str) -> bool {
    entry.contains("://")
        || entry
            .split_once(':')
            .is_some_and(|(host, _)| host.contains('@') && !host.contains('/'))
}

/// `--shard I/N`: the I-th of N slices (I from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard: write I/N with 1 <= I <= N, e.g. 3/16");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// FNV-1a: stable across Rust releases and machines (unlike `DefaultHasher`), so every shard of
/// a CI matrix agrees on who takes which repository.
pub fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// What a folder given to `--repos` is searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderScan {
    /// Work trees holding a goldpath project (`fleet plan|upgrade`: nothing else can be upgraded).
    Projects,
    /// Every git work tree, adopted or not (`fleet status`: the ones without a project are the
    /// candidates for `goldpath adopt`).
    Repositories,
}

/// The repositories `--repos` names: a list file, or a folder searched as `scan` says.
pub fn read_repos(path: &Path, scan: FolderScan) -> Result<Vec<RepoRef>, Error> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Repos {
        path: path.to_path_buf(),
        line: None,
        message: source.to_string(),
    })?;
    let mut repos: BTreeSet<RepoRef> = BTreeSet::new();
    if meta.is_dir() {
        repos.extend(find_in_folder(path, scan));
    } else {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Repos {
            path: path.to_path_buf(),
            line: None,
            message: source.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for (n, line) in text.lines().enumerate() {
            let entry = line.split_once(" #").map_or(line, |(e, _)| e).trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            if entry.starts_with('-') {
                return Err(Error::Repos {
                    path: path.to_path_buf(),
                    line: Some(n + 1),
                    message: format!("`{entry}` starts with `-`: name a path (./{entry}) or a URL"),
                });
            }
            repos.insert(RepoRef::parse(entry, base));
        }
    }
    Ok(repos.into_iter().collect())
}

/// Every git work tree under `root` that holds a `.goldpath.toml` at any depth, once each; with
/// [`FolderScan::Repositories`] every other work tree under it too (a folder holding `.git`, a
/// folder or a file; bare repositories are nobody's work tree). One walk serves both.
fn find_in_folder(root: &Path, scan: FolderScan) -> Vec<RepoRef> {
    let mut found = BTreeSet::new();
    let walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git");
    for entry in walk.filter_map(Result::ok) {
        if scan == FolderScan::Repositories
            && entry.file_type().is_dir()
            && std::fs::symlink_metadata(entry.path().join(".git")).is_ok()
        {
            let dir = entry
                .path()
                .canonicalize()
                .unwrap_or_else(|_| entry.path().to_path_buf());
            found.insert(RepoRef::parse(&dir.to_string_lossy(), root));
        }
        if entry.file_name() != crate::tree::ANSWERS_FILE || !entry.file_type().is_file() {
            continue;
        }
        let Some(dir) = entry.path().parent() else {
            continue;
        };
        if let Ok(repo) = git2::Repository::discover(dir) {
            if let Some(workdir) = repo.workdir() {
                let workdir = workdir.to_string_lossy();
                found.insert(RepoRef::parse(workdir.trim_end_matches('/'), root));
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!(
            "3/16".parse::<Shard>().unwrap(),
            Shard {
                index: 3,
                count: 16
            }
        );
        for bad in ["0/4", "5/4", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().unwrap_err().contains("I/N"), "{bad}");
        }
    }

    #[test]
    fn every_repository_is_in_exactly_one_shard() {
        for n in 0..50 {
            let repo = RepoRef::parse(
                &format!("https://example.com/acme/r{n}.git"),
                Path::new("/"),
            );
            let shards: Vec<u32> = (1..=4)
                .filter(|&i| repo.in_shard(Shard { index: i, count: 4 }))
                .collect();
            assert_eq!(shards.len(), 1, "{}", repo.identity);
        }
    }

    #[test]
    fn urls_and_paths_are_told_apart_and_credentials_leave_the_identity() {
        let url = RepoRef::parse("https://x-token:s3cret@example.com/a/b.git", Path::new("/"));
        assert!(matches!(url.location, RepoLocation::Url(_)));
        assert!(!url.identity.contains("s3cret"), "{}", url.identity);
        let scp = RepoRef::parse("git@example.com:a/b.git", Path::new("/"));
        assert!(matches!(scp.location, RepoLocation::Url(_)));
        let local = RepoRef::parse("repos/a", Path::new("/base"));
        assert_eq!(
            local.location,
            RepoLocation::Local(PathBuf::from("/base/repos/a"))
        );
    }
}
