//! A bundle source whose versions are tags: releases are read straight from git objects, with
//! nothing checked out.

use super::{err, remote, Error};
use crate::tree::{File, RelPath, Tree};
use std::path::{Path, PathBuf};

/// A bundle repository whose tags are read straight from git objects.
pub struct TagRepo {
    repo: git2::Repository,
}

/// A file of a tree being read ([`TagRepo::read_tree`]): where it goes and which blob it is.
struct Blob {
    /// From the tree's root, for messages.
    path: String,
    rel: RelPath,
    id: git2::Oid,
    executable: bool,
}

/// Whether opening a remote repository fetches its tags ([`TagRepo::open_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Fetch; a failure is an error.
    Always,
    /// Fetch; when that fails, read the cache as the last fetch left it (and say why).
    OrCache,
    /// Read the cache only (`--offline`).
    Never,
}

impl TagRepo {
    /// Opens `url` as [`TagRepo::open`] does, fetching as `fetch` says. A local repository is
    /// read in place and never fetched. The error is that of a fetch that failed when the cache
    /// was read instead ([`Fetch::OrCache`]).
    pub fn open_with(url: &str, fetch: Fetch) -> Result<(TagRepo, Option<Error>), Error> {
        if fetch == Fetch::Always || Self::local(url).is_some() {
            return Ok((TagRepo::open(url)?, None));
        }
        let fetched = match fetch {
            Fetch::Never => None,
            _ => Some(remote::fetch_into_cache(url)),
        };
        match fetched {
            Some(Ok(repo)) => Ok((TagRepo { repo }, None)),
            Some(Err(e)) => match remote::cached(url) {
                Some(repo) => Ok((TagRepo { repo }, Some(e))),
                None => Err(e),
            },
            None => match remote::cached(url) {
                Some(repo) => Ok((TagRepo { repo }, None)),
                None => Err(Error::Fetch {
                    url: crate::redact::mask_url(url),
                    message: "offline, and goldpath's cache holds no copy of it (a run with the network fills the cache: `goldpath list --from URL` or `goldpath check` without --offline)".into(),
                }),
            },
        }
    }

    /// The path of a local repository (`file://` URL or an existing path).
    fn local(url: &str) -> Option<PathBuf> {
        url.strip_prefix("file://").map(PathBuf::from).or_else(|| {
            (!url.contains("://") && Path::new(url).exists()).then(|| PathBuf::from(url))
        })
    }

    /// Opens a local repository (`file://` URL or a path) in place; fetches a remote one's tags
    /// into a bare cache repository first.
    pub fn open(url: &str) -> Result<TagRepo, Error> {
        if let Some(path) = Self::local(url) {
            let repo = git2::Repository::open(&path).map_err(|e| Error::Fetch {
                url: crate::redact::mask_url(url),
                message: e.message().to_string(),
            })?;
            return Ok(TagRepo { repo });
        }
        Ok(TagRepo {
            repo: remote::fetch_into_cache(url)?,
        })
    }

    /// Every tag with the commit it points at (annotated tags peeled). Each tag's ref is read
    /// once, as it is listed (listing the names and resolving each name again read every loose
    /// ref file three times over).
    pub fn tags(&self) -> Result<Vec<(String, String)>, Error> {
        let refs = self
            .repo
            .references_glob("refs/tags/*")
            .map_err(err("listing tags"))?;
        let mut out = Vec::new();
        for reference in refs {
            let reference = reference.map_err(err("listing tags"))?;
            // A name that is not UTF-8 is not a version.
            let Some(name) = reference
                .name()
                .ok()
                .and_then(|n| n.strip_prefix("refs/tags/"))
            else {
                continue;
            };
            if let Some(commit) = self.peel_to_commit(&reference)? {
                out.push((name.to_string(), commit.to_string()));
            }
        }
        Ok(out)
    }

    /// The commit `reference` names, through annotated tags; `None` when it names no commit.
    /// An object libgit2 cannot read is an error ([`Self::failed`]).
    fn peel_to_commit(&self, reference: &git2::Reference<'_>) -> Result<Option<git2::Oid>, Error> {
        let Some(mut id) = reference.target() else {
            return Ok(reference.peel_to_commit().ok().map(|c| c.id()));
        };
        // A tag of a tag of ...: bounded, as libgit2's own peel is by its object cache.
        for _ in 0..64 {
            // A tag whose object cannot be read is an error, as it was when libgit2 peeled it.
            let object = self.repo.find_object(id, None).map_err(|e| {
                let context = format!("reading {}", reference.name().unwrap_or("a tag"));
                self.failed(id, context, e)
            })?;
            match object.kind() {
                Some(git2::ObjectType::Commit) => return Ok(Some(id)),
                Some(git2::ObjectType::Tag) => match object.as_tag() {
                    Some(tag) => id = tag.target_id(),
                    None => return Ok(None),
                },
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The error of libgit2 failing (`e`) to read object `id` while reading `context`. When the
    /// object's loose file is damaged, libgit2 says only that zlib failed (with the vendored fix
    /// for streams cut short; unfixed, it never returned: vendor/README.md), so the error names
    /// the file, what is wrong with it and how to repair it ([`super::loose`]). Checked only
    /// after a failure: a sound bundle is read once.
    fn failed(&self, id: git2::Oid, context: String, e: git2::Error) -> Error {
        match self.damage(id) {
            Some(message) => Error::Git { context, message },
            None => err(context)(e),
        }
    }

    /// What is wrong with object `id`'s loose file, said for an error; `None` when it is sound
    /// or not a loose file.
    fn damage(&self, id: git2::Oid) -> Option<String> {
        super::loose::check(&self.repo.path().join("objects"), id)
            .map(|(path, why)| damaged(id, &path, why))
    }

    /// The tree `id`, at `path`.
    fn tree(&self, id: git2::Oid, path: &str) -> Result<git2::Tree<'_>, Error> {
        self.repo
            .find_tree(id)
            .map_err(|e| self.failed(id, format!("reading the folder `{path}`"), e))
    }

    /// The entry at `path` under `root`, reading each folder on the way.
    fn entry_at(
        &self,
        root: &git2::Tree<'_>,
        path: &str,
    ) -> Result<Option<git2::TreeEntry<'static>>, Error> {
        let mut tree = root.clone();
        let mut walked = String::with_capacity(path.len());
        let mut parts = path.split('/').filter(|p| !p.is_empty()).peekable();
        while let Some(part) = parts.next() {
            let Some(entry) = tree.get_name(part).map(|e| e.to_owned()) else {
                return Ok(None);
            };
            if parts.peek().is_none() {
                return Ok(Some(entry));
            }
            if entry.kind() != Some(git2::ObjectType::Tree) {
                return Ok(None);
            }
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(part);
            tree = self.tree(entry.id(), &walked)?;
        }
        Ok(None)
    }

    /// The root tree of `commit`.
    fn root(&self, commit: &str) -> Result<git2::Tree<'_>, Error> {
        let context = || format!("commit {commit}");
        let oid = git2::Oid::from_str(commit).map_err(err(context()))?;
        let tree = self
            .repo
            .find_commit(oid)
            .map_err(|e| self.failed(oid, context(), e))?
            .tree_id();
        self.repo
            .find_tree(tree)
            .map_err(|e| self.failed(tree, context(), e))
    }

    fn tree_at(&self, commit: &str, dir: &str) -> Result<Option<git2::Tree<'_>>, Error> {
        let root = self.root(commit)?;
        if dir.is_empty() {
            return Ok(Some(root));
        }
        match self.entry_at(&root, dir)? {
            Some(entry) if entry.kind() == Some(git2::ObjectType::Tree) => {
                self.tree(entry.id(), dir).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The names of the folders in `dir` at `commit`.
    pub fn list_dirs(&self, commit: &str, dir: &str) -> Result<Vec<String>, Error> {
        let Some(tree) = self.tree_at(commit, dir)? else {
            return Ok(Vec::new());
        };
        Ok(tree
            .iter()
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
            .filter_map(|e| e.name().ok().map(str::to_string))
            .collect())
    }

    /// One file's bytes at `commit`, or `None`.
    pub fn read_file(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, Error> {
        let root = self.root(commit)?;
        let Some(entry) = self.entry_at(&root, path)? else {
            return Ok(None);
        };
        if entry.kind() != Some(git2::ObjectType::Blob) {
            return Ok(None);
        }
        match self.repo.find_blob(entry.id()) {
            Ok(blob) => Ok(Some(blob.content().to_vec())),
            // A blob that is not there reads as no file, as before; a damaged one is an error.
            Err(_) => match self.damage(entry.id()) {
                Some(message) => Err(Error::Git {
                    context: format!("reading {path}"),
                    message,
                }),
                None => Ok(None),
            },
        }
    }

    /// Every file under `dir` at `commit`, keyed by its path relative to `dir`, in the top-level
    /// entries `wanted` accepts (`template`, `bundle.toml`...; the rest is not read).
    ///
    /// A bundle is untrusted input, and git holds what no checkout should write, so each entry
    /// that is not a plain file or folder is refused by name, never dropped: a symbolic link
    /// (mode 120000: its target could be anything, `/etc/passwd` included), a submodule
    /// (a gitlink, mode 160000: its files are not in this repository), a name that is not
    /// UTF-8, and a path [`RelPath::in_bundle`] refuses (`..`, `\`, `C:`, `.git`, control
    /// characters), which git's own commands refuse to write but its objects can hold.
    pub fn read_tree(
        &self,
        commit: &str,
        dir: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Tree, Error> {
        let mut out = Tree::new();
        let Some(tree) = self.tree_at(commit, dir)? else {
            return Ok(out);
        };
        let mut blobs = Vec::new();
        let mut failure = None;
        self.walk(&tree, "", &wanted, &mut blobs, &mut failure);
        // The blobs are read after the walk, all at once (see `loose`); those of the entries
        // before a refused one are read first, so a blob that cannot be read is still the
        // error when it comes first in the tree.
        let ids: Vec<git2::Oid> = blobs.iter().map(|b| b.id).collect();
        let read = super::loose::read_blobs(&self.repo.path().join("objects"), &ids);
        for (blob, read) in blobs.into_iter().zip(read) {
            let reading = |message: String| Error::Git {
                context: format!("reading {}", blob.path),
                message,
            };
            let bytes = match read {
                super::loose::Loose::Blob(bytes) => bytes,
                super::loose::Loose::Elsewhere => self
                    .repo
                    .find_blob(blob.id)
                    .map_err(|e| reading(e.message().to_string()))?
                    .content()
                    .to_vec(),
                super::loose::Loose::Damaged { path, why } => {
                    return Err(reading(damaged(blob.id, &path, why)))
                }
            };
            out.insert(
                blob.rel,
                File {
                    bytes,
                    executable: blob.executable,
                },
            );
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Walks `tree` (at `parent`, `""` or ending in `/`) depth first in git's order, as
    /// libgit2's pre-order walk did, collecting the blobs of the top-level entries `wanted`
    /// accepts; each subtree is vetted before libgit2 reads it. The first refusal is kept in
    /// `failure` and ends the walk.
    fn walk(
        &self,
        tree: &git2::Tree<'_>,
        parent: &str,
        wanted: &impl Fn(&str) -> bool,
        blobs: &mut Vec<Blob>,
        failure: &mut Option<Error>,
    ) {
        for entry in tree.iter() {
            if failure.is_some() {
                return;
            }
            let name = String::from_utf8_lossy(entry.name_bytes());
            let path = format!("{parent}{name}");
            let top = path.split('/').next().unwrap_or_default();
            if !wanted(top) {
                continue;
            }
            match self.check_entry(&path, &entry) {
                Ok(Some(blob)) => blobs.push(blob),
                Ok(None) => match self.tree(entry.id(), &path) {
                    Ok(sub) => self.walk(&sub, &format!("{path}/"), wanted, blobs, failure),
                    Err(e) => *failure = Some(e),
                },
                Err(e) => *failure = Some(e),
            }
        }
    }

    /// The blob `entry` at `path`, to be read; a folder needs nothing. Refuses, by name, every
    /// entry [`TagRepo::read_tree`] says it does.
    fn check_entry(&self, path: &str, entry: &git2::TreeEntry<'_>) -> Result<Option<Blob>, Error> {
        let refuse = |reason: String| Error::Entry {
            path: path.to_string(),
            reason,
        };
        if entry.name().is_err() {
            return Err(refuse("has a name that is not UTF-8; rename it".into()));
        }
        let rel = RelPath::in_bundle(path).map_err(|e| {
            refuse(match e {
                crate::tree::Error::BadPath { reason, .. } => format!("is not allowed: {reason}"),
                e => e.to_string(),
            })
        })?;
        match (entry.kind(), entry.filemode()) {
            (Some(git2::ObjectType::Tree), _) => Ok(None),
            (Some(git2::ObjectType::Blob), 0o120000) => {
                let target = self
                    .repo
                    .find_blob(entry.id())
                    .ok()
                    .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                    .unwrap_or_default();
                Err(refuse(format!("is a symbolic link (to `{target}`); goldpath never reads or writes links from a bundle: commit the file itself")))
            }
            (Some(git2::ObjectType::Blob), _) => Ok(Some(Blob {
                path: path.to_string(),
                rel,
                id: entry.id(),
                executable: entry.filemode() == 0o100755,
            })),
            (Some(git2::ObjectType::Commit), _) => Err(refuse(
                "is a submodule (a gitlink, mode 160000), whose files are not in this repository; commit the files themselves".into(),
            )),
            (kind, mode) => Err(refuse(format!(
                "is a {} entry of mode {mode:o}, not a file or folder",
                kind.map_or("unknown", |k| k.str())
            ))),
        }
    }
}

/// What a damaged object's error says: which, where, why, and what to do.
fn damaged(id: git2::Oid, path: &Path, why: &str) -> String {
    format!(
        "the object {id} in {} is damaged: {why}; `git fsck` in that repository lists what is damaged, and a fresh clone of it repairs it",
        path.display()
    )
}
