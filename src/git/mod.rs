//! Everything goldpath does with git, and the only module that uses git2: the first commit of a
//! new project, reading bundle sources from tags, and the state of a project's work tree.

use crate::tree::{File, RelPath, Tree};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("git: {context}: {message}")]
    Git { context: String, message: String },
    #[error("cannot fetch {url}: {message}")]
    Fetch { url: String, message: String },
    /// An entry of a tree that goldpath will not read as a file (see [`TagRepo::read_tree`]).
    #[error("`{path}` {reason}")]
    Entry { path: String, reason: String },
}

fn err(context: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    let context = context.into();
    move |e| Error::Git {
        context,
        message: e.message().to_string(),
    }
}

/// Who commits when git config names nobody, so `new` works on a fresh CI machine.
pub const DEFAULT_AUTHOR: (&str, &str) = ("goldpath", "goldpath@localhost");

fn signature(repo: &git2::Repository) -> Result<git2::Signature<'static>, Error> {
    match repo.signature() {
        Ok(sig) => Ok(sig.to_owned()),
        Err(_) => git2::Signature::now(DEFAULT_AUTHOR.0, DEFAULT_AUTHOR.1)
            .map_err(err("making the commit author")),
    }
}

/// `git init` in `dir` (branch from `init.defaultBranch`, else `main`), then one commit of
/// `files`, which are already written there. Returns the commit id.
///
/// The index and tree are built from the files in memory rather than by re-reading and
/// re-hashing the work tree (`git add -A`), and no sample hooks are copied in: the first commit
/// was most of `goldpath new`'s time.
pub fn init_and_commit(dir: &Path, files: &Tree, message: &str) -> Result<String, Error> {
    let branch = git2::Config::open_default()
        .and_then(|c| c.get_string("init.defaultBranch"))
        .unwrap_or_else(|_| "main".to_string());
    if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
        return Err(Error::Git {
            context: "git config init.defaultBranch".into(),
            message: format!("`{branch}` is not a valid branch name; fix it with `git config --global init.defaultBranch main`"),
        });
    }
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head(&branch).external_template(false);
    let repo = git2::Repository::init_opts(dir, &opts)
        .map_err(err(format!("git init {}", dir.display())))?;
    let mut index = repo.index().map_err(err("reading the index"))?;
    for (path, file) in files {
        let meta = std::fs::symlink_metadata(path.under(dir)).ok();
        index
            .add_frombuffer(
                &index_entry(path.as_str(), file, meta.as_ref()),
                &file.bytes,
            )
            .map_err(err(format!("staging {path}")))?;
    }
    index.write().map_err(err("writing the index"))?;
    let tree_id = index.write_tree().map_err(err("writing the tree"))?;
    let tree = repo.find_tree(tree_id).map_err(err("reading the tree"))?;
    let sig = signature(&repo)?;
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &[])
        .map_err(err("committing"))?;
    Ok(id.to_string())
}

/// An index entry for `file` at `path`. With the file's stat data (`meta`) git sees the work
/// tree as clean without re-hashing it.
fn index_entry(path: &str, file: &File, meta: Option<&std::fs::Metadata>) -> git2::IndexEntry {
    #[cfg(unix)]
    let (ctime, mtime, dev, ino, uid, gid) = {
        use std::os::unix::fs::MetadataExt;
        match meta {
            Some(m) => (
                git2::IndexTime::new(m.ctime() as i32, m.ctime_nsec() as u32),
                git2::IndexTime::new(m.mtime() as i32, m.mtime_nsec() as u32),
                m.dev() as u32,
                m.ino() as u32,
                m.uid(),
                m.gid(),
            ),
            None => (
                git2::IndexTime::new(0, 0),
                git2::IndexTime::new(0, 0),
                0,
                0,
                0,
                0,
            ),
        }
    };
    #[cfg(not(unix))]
    let (ctime, mtime, dev, ino, uid, gid) = {
        let _ = meta;
        (
            git2::IndexTime::new(0, 0),
            git2::IndexTime::new(0, 0),
            0,
            0,
            0,
            0,
        )
    };
    git2::IndexEntry {
        ctime,
        mtime,
        dev,
        ino,
        mode: if file.executable { 0o100755 } else { 0o100644 },
        uid,
        gid,
        file_size: file.bytes.len() as u32,
        id: git2::Oid::ZERO_SHA1,
        flags: path.len().min(0xfff) as u16,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// Stages every change in the work tree (additions, edits, deletions) and commits it on HEAD.
pub fn commit_all(repo: &git2::Repository, message: &str) -> Result<String, Error> {
    let mut index = repo.index().map_err(err("reading the index"))?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(err("staging files"))?;
    index
        .update_all(["*"], None)
        .map_err(err("staging deletions"))?;
    index.write().map_err(err("writing the index"))?;
    let tree_id = index.write_tree().map_err(err("writing the tree"))?;
    let tree = repo.find_tree(tree_id).map_err(err("reading the tree"))?;
    let sig = signature(repo)?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .map_err(err("committing"))?;
    Ok(id.to_string())
}

/// Where remote bundle repositories are cached: `$GOLDPATH_CACHE_DIR`, else the user's cache.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOLDPATH_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("goldpath");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("goldpath"),
        None => std::env::temp_dir().join("goldpath-cache"),
    }
}

/// A stable short name for a URL's cache folder (FNV-1a: stable across Rust releases, unlike
/// `DefaultHasher`).
fn url_key(url: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in url.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// Fetches every tag of `url` into the bare repository `cache` with the `git` command.
///
/// The git command, not libgit2: it uses the user's own credential helpers, ssh config, proxies
/// and certificates, as cargo's `git-fetch-with-cli` does, and keeps OpenSSL out of goldpath.
/// libgit2 built with https parses the system's CA bundle on every start (~19 ms, most of the
/// time of `goldpath check`) even when nothing touches the network. `GIT_TERMINAL_PROMPT=0`:
/// in CI a missing credential must fail, never wait for input.
///
/// The URL may come from a project's `.goldpath.toml`, which anyone who can open a pull request
/// can edit, so it is never read as an option: it comes after `--`, one starting with `-` is
/// refused, and `GIT_PROTOCOL_FROM_USER=0` keeps git from running transports that only a user
/// may ask for (`ext::`, remote helpers not allowed in `protocol.allow`). The URL's credentials
/// are masked in git's messages and not left in `FETCH_HEAD`.
fn fetch_tags(url: &str, cache: &Path) -> Result<(), Error> {
    let fail = |message: String| Error::Fetch {
        url: crate::redact::mask_url(url),
        message,
    };
    if url.starts_with('-') {
        return Err(fail("a URL cannot start with `-`".into()));
    }
    let out = std::process::Command::new("git")
        // Local repositories are read in place (`TagRepo::open`); one reaching this is a path
        // git2 could not open, and git's own error says more. `GIT_PROTOCOL_FROM_USER=0` below
        // would refuse it as "transport 'file' not allowed" (git >= 2.38.1 has it user-only).
        .args(["-c", "protocol.file.allow=always"])
        .arg("--git-dir")
        .arg(cache)
        .args([
            "fetch",
            "--quiet",
            "--prune",
            "--no-tags",
            "--",
            url,
            "+refs/tags/*:refs/tags/*",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PROTOCOL_FROM_USER", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            fail(format!(
                "fetching a remote source needs the `git` command: {e}"
            ))
        })?;
    // git writes the URL it fetched (query string included) into FETCH_HEAD; nothing reads it.
    let _ = std::fs::remove_file(cache.join("FETCH_HEAD"));
    if !out.status.success() {
        let mut stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        for credential in crate::redact::credentials_of(url) {
            stderr = stderr.replace(&credential, crate::redact::MASK);
        }
        return Err(fail(crate::redact::redact(&stderr)));
    }
    Ok(())
}

/// A bundle repository whose tags are read straight from git objects.
pub struct TagRepo {
    repo: git2::Repository,
}

impl TagRepo {
    /// Opens a local repository (`file://` URL or a path) in place; fetches a remote one's tags
    /// into a bare cache repository first.
    pub fn open(url: &str) -> Result<TagRepo, Error> {
        let local = url.strip_prefix("file://").map(PathBuf::from).or_else(|| {
            (!url.contains("://") && Path::new(url).exists()).then(|| PathBuf::from(url))
        });
        if let Some(path) = local {
            let repo = git2::Repository::open(&path).map_err(|e| Error::Fetch {
                url: crate::redact::mask_url(url),
                message: e.message().to_string(),
            })?;
            return Ok(TagRepo { repo });
        }
        // Keyed by the URL without credentials: the token is not in the folder's name (nor in
        // its hash), and a later fetch through a credential helper finds the same cache.
        let dir = cache_dir()
            .join("git")
            .join(url_key(&crate::redact::strip_credentials(url)));
        if git2::Repository::open_bare(&dir).is_err() {
            git2::Repository::init_bare(&dir)
                .map_err(err(format!("creating the cache {}", dir.display())))?;
        }
        fetch_tags(url, &dir)?;
        let repo = git2::Repository::open_bare(&dir)
            .map_err(err(format!("opening the cache {}", dir.display())))?;
        Ok(TagRepo { repo })
    }

    /// Every tag with the commit it points at (annotated tags peeled).
    pub fn tags(&self) -> Result<Vec<(String, String)>, Error> {
        let names = self.repo.tag_names(None).map_err(err("listing tags"))?;
        let mut out = Vec::new();
        for name in names.iter().flatten().flatten() {
            let obj = self
                .repo
                .revparse_single(&format!("refs/tags/{name}"))
                .map_err(err(format!("tag {name}")))?;
            if let Ok(commit) = obj.peel_to_commit() {
                out.push((name.to_string(), commit.id().to_string()));
            }
        }
        Ok(out)
    }

    /// The root tree of `commit`.
    fn root(&self, commit: &str) -> Result<git2::Tree<'_>, Error> {
        let oid = git2::Oid::from_str(commit).map_err(err(format!("commit {commit}")))?;
        self.repo
            .find_commit(oid)
            .and_then(|c| c.tree())
            .map_err(err(format!("commit {commit}")))
    }

    fn tree_at(&self, commit: &str, dir: &str) -> Result<Option<git2::Tree<'_>>, Error> {
        let root = self.root(commit)?;
        if dir.is_empty() {
            return Ok(Some(root));
        }
        match root.get_path(Path::new(dir)) {
            Ok(entry) => Ok(entry
                .to_object(&self.repo)
                .ok()
                .and_then(|o| o.into_tree().ok())),
            Err(_) => Ok(None),
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
        let Ok(entry) = root.get_path(Path::new(path)) else {
            return Ok(None);
        };
        Ok(entry
            .to_object(&self.repo)
            .ok()
            .and_then(|o| o.into_blob().ok())
            .map(|b| b.content().to_vec()))
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
        let mut failure = None;
        tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
            let name = String::from_utf8_lossy(entry.name_bytes());
            let path = format!("{parent}{name}");
            let top = path.split('/').next().unwrap_or_default();
            if !wanted(top) {
                return git2::TreeWalkResult::Skip;
            }
            let refuse = |reason: String| Error::Entry {
                path: path.clone(),
                reason,
            };
            let problem = if entry.name().is_err() {
                Some(refuse("has a name that is not UTF-8; rename it".into()))
            } else if let Err(e) = RelPath::in_bundle(&path) {
                Some(refuse(match e {
                    crate::tree::Error::BadPath { reason, .. } => {
                        format!("is not allowed: {reason}")
                    }
                    e => e.to_string(),
                }))
            } else {
                match (entry.kind(), entry.filemode()) {
                    (Some(git2::ObjectType::Tree), _) => None,
                    (Some(git2::ObjectType::Blob), 0o120000) => {
                        let target = self
                            .repo
                            .find_blob(entry.id())
                            .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                            .unwrap_or_default();
                        Some(refuse(format!("is a symbolic link (to `{target}`); goldpath never reads or writes links from a bundle: commit the file itself")))
                    }
                    (Some(git2::ObjectType::Blob), _) => match self.repo.find_blob(entry.id()) {
                        Ok(blob) => {
                            out.insert(
                                RelPath::in_bundle(&path).expect("checked above"),
                                File {
                                    bytes: blob.content().to_vec(),
                                    executable: entry.filemode() == 0o100755,
                                },
                            );
                            None
                        }
                        Err(e) => Some(Error::Git {
                            context: format!("reading {path}"),
                            message: e.message().to_string(),
                        }),
                    },
                    (Some(git2::ObjectType::Commit), _) => Some(refuse(
                        "is a submodule (a gitlink, mode 160000), whose files are not in this repository; commit the files themselves".into(),
                    )),
                    (kind, mode) => Some(refuse(format!(
                        "is a {} entry of mode {mode:o}, not a file or folder",
                        kind.map_or("unknown", |k| k.str())
                    ))),
                }
            };
            match problem {
                Some(e) => {
                    failure = Some(e);
                    git2::TreeWalkResult::Abort
                }
                None => git2::TreeWalkResult::Ok,
            }
        })
        .map_err(err("walking the tree"))
        .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// The git repository a project lives in; the project may be a folder inside it (a monorepo).
pub struct ProjectRepo {
    repo: git2::Repository,
    /// The project's folder relative to the work tree, `""` or ending in `/`.
    prefix: String,
}

impl ProjectRepo {
    /// Finds the repository containing `dir`.
    pub fn open(dir: &Path) -> Result<ProjectRepo, Error> {
        let repo = git2::Repository::discover(dir)
            .map_err(err(format!("{} is not in a git repository", dir.display())))?;
        let workdir = repo.workdir().ok_or_else(|| Error::Git {
            context: dir.display().to_string(),
            message: "is in a bare repository".into(),
        })?;
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let rel = canon(dir)
            .strip_prefix(canon(workdir))
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut prefix = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(ProjectRepo { repo, prefix })
    }

    fn in_repo(&self, path: &RelPath) -> String {
        format!("{}{}", self.prefix, path)
    }

    /// Paths in the project with uncommitted changes (staged, unstaged or untracked, not ignored),
    /// relative to the project, sorted.
    pub fn dirty_paths(&self) -> Result<Vec<String>, Error> {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        if !self.prefix.is_empty() {
            opts.pathspec(&self.prefix);
        }
        let statuses = self
            .repo
            .statuses(Some(&mut opts))
            .map_err(err("reading git status"))?;
        let mut out: Vec<String> = statuses
            .iter()
            .filter(|s| s.status() != git2::Status::CURRENT && !s.status().is_ignored())
            .filter_map(|s| {
                s.path()
                    .ok()
                    .map(|p| p.strip_prefix(&self.prefix).unwrap_or(p).to_string())
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Paths of the project with unmerged (conflict) entries in the index, sorted.
    pub fn unmerged_paths(&self) -> Result<Vec<String>, Error> {
        let index = self.repo.index().map_err(err("reading the index"))?;
        let mut out = Vec::new();
        for c in index.conflicts().map_err(err("reading index conflicts"))? {
            let c = c.map_err(err("reading index conflicts"))?;
            if let Some(entry) = c.our.or(c.their).or(c.ancestor) {
                let path = String::from_utf8_lossy(&entry.path).into_owned();
                if let Some(rel) = path.strip_prefix(&self.prefix) {
                    out.push(rel.to_string());
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Records a conflict in the index as git does: stage 1 (base), 2 (ours), 3 (theirs), each
    /// present when that side has the file. `git status`, IDEs and mergetools then see it.
    pub fn record_conflict(
        &self,
        path: &RelPath,
        base: Option<&File>,
        ours: Option<&File>,
        theirs: Option<&File>,
    ) -> Result<(), Error> {
        let in_repo = self.in_repo(path);
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        index
            .remove_path(Path::new(&in_repo))
            .map_err(err(format!("unstaging {in_repo}")))?;
        for (stage, side) in [(1u16, base), (2, ours), (3, theirs)] {
            let Some(file) = side else { continue };
            let id = self
                .repo
                .blob(&file.bytes)
                .map_err(err(format!("storing {in_repo}")))?;
            let mut entry = index_entry(&in_repo, file, None);
            entry.id = id;
            entry.flags |= stage << 12;
            index
                .add(&entry)
                .map_err(err(format!("recording the conflict in {in_repo}")))?;
        }
        index.write().map_err(err("writing the index"))
    }

    /// The commit HEAD points at, if any.
    pub fn head_id(&self) -> Option<String> {
        self.repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id().to_string())
    }

    /// The folder goldpath keeps its own state in (`.git/goldpath/`), and the name that tells
    /// this project from others in the same repository (a monorepo).
    pub fn state_file(&self, name: &str) -> PathBuf {
        let project = if self.prefix.is_empty() {
            String::new()
        } else {
            format!(
                "-{}",
                self.prefix
                    .trim_end_matches('/')
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            )
        };
        self.repo
            .path()
            .join("goldpath")
            .join(format!("{name}{project}.toml"))
    }

    /// Paths of the project that git tracks (in the index, any stage), relative to it.
    pub fn tracked_paths(&self) -> Result<std::collections::BTreeSet<String>, Error> {
        let index = self.repo.index().map_err(err("reading the index"))?;
        Ok(index
            .iter()
            .filter_map(|e| {
                let path = String::from_utf8_lossy(&e.path).into_owned();
                path.strip_prefix(&self.prefix).map(str::to_string)
            })
            .collect())
    }

    /// Commits exactly `paths` of the project as they are in the work tree (a path with no file
    /// is removed), on top of HEAD, then updates those paths in the index. Nothing else goes into
    /// the commit: what the user staged or created meanwhile stays where it is (staged, or
    /// untracked). A path whose conflict stages are in the index is resolved by this.
    ///
    /// The commit lands before the index is written: a process killed in between leaves HEAD
    /// moved and the index behind, which [`ProjectRepo::sync_index_to_head`] repairs (the
    /// upgrade's journal calls it).
    pub fn commit_paths(
        &self,
        root: &Path,
        message: &str,
        paths: &[RelPath],
    ) -> Result<String, Error> {
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        // An index of HEAD alone, in memory, so that the user's other staged changes stay out.
        let mut staged = git2::Index::new().map_err(err("making an index"))?;
        if let Some(head) = &parent {
            let tree = head.tree().map_err(err("reading HEAD"))?;
            staged.read_tree(&tree).map_err(err("reading HEAD"))?;
        }
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        let mut entries = Vec::new();
        // Removals first, so a file that became a folder (or the reverse) has room.
        for path in paths {
            let in_repo = self.in_repo(path);
            staged
                .remove_path(Path::new(&in_repo))
                .map_err(err(format!("unstaging {in_repo}")))?;
            index
                .remove_path(Path::new(&in_repo))
                .map_err(err(format!("unstaging {in_repo}")))?;
            let file = crate::tree::read_file(root, path).map_err(|e| Error::Git {
                context: format!("reading {in_repo}"),
                message: e.to_string(),
            })?;
            if let Some(file) = file {
                // A folder HEAD had here is gone from the work tree now that a file is in its
                // place (the plan refused it if any file of the user's was left in it).
                let _ = staged.remove_dir(Path::new(&in_repo), 0);
                let id = self
                    .repo
                    .blob(&file.bytes)
                    .map_err(err(format!("storing {in_repo}")))?;
                let meta = std::fs::symlink_metadata(path.under(root)).ok();
                let mut entry = index_entry(&in_repo, &file, meta.as_ref());
                entry.id = id;
                entries.push(entry);
            }
        }
        for entry in &entries {
            let name = String::from_utf8_lossy(&entry.path).into_owned();
            staged.add(entry).map_err(err(format!("staging {name}")))?;
        }
        let tree_id = staged
            .write_tree_to(&self.repo)
            .map_err(err("writing the tree"))?;
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(err("reading the tree"))?;
        let sig = signature(&self.repo)?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let id = self
            .repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .map_err(err("committing"))?;
        for entry in &entries {
            let name = String::from_utf8_lossy(&entry.path).into_owned();
            index.add(entry).map_err(err(format!("staging {name}")))?;
        }
        index.write().map_err(err("writing the index"))?;
        Ok(id.to_string())
    }

    /// Makes the index entries of `paths` those of HEAD (stages dropped; a path HEAD lacks is
    /// unstaged), touching neither the work tree nor any other entry.
    pub fn sync_index_to_head(&self, paths: &[RelPath]) -> Result<(), Error> {
        let head = self
            .repo
            .head()
            .and_then(|h| h.peel_to_tree())
            .map_err(err("reading HEAD"))?;
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        for path in paths {
            let in_repo = self.in_repo(path);
            index
                .remove_path(Path::new(&in_repo))
                .map_err(err(format!("unstaging {in_repo}")))?;
            if let Ok(entry) = head.get_path(Path::new(&in_repo)) {
                let file = File {
                    bytes: Vec::new(),
                    executable: entry.filemode() == 0o100755,
                };
                let mut e = index_entry(&in_repo, &file, None);
                e.id = entry.id();
                e.file_size = 0;
                index.add(&e).map_err(err(format!("staging {in_repo}")))?;
            }
        }
        index.write().map_err(err("writing the index"))
    }

    /// The blob recorded for `path` at conflict `stage` (1 base, 2 ours, 3 theirs) in the index.
    pub fn staged_file(&self, path: &RelPath, stage: i32) -> Result<Option<File>, Error> {
        let index = self.repo.index().map_err(err("reading the index"))?;
        let Some(entry) = index.get_path(Path::new(&self.in_repo(path)), stage) else {
            return Ok(None);
        };
        let blob = self
            .repo
            .find_blob(entry.id)
            .map_err(err(format!("reading {path} from the index")))?;
        Ok(Some(File {
            bytes: blob.content().to_vec(),
            executable: entry.mode == 0o100755,
        }))
    }

    /// The project's file at HEAD, or `None`.
    pub fn head_file(&self, path: &RelPath) -> Result<Option<File>, Error> {
        let Ok(head) = self.repo.head().and_then(|h| h.peel_to_tree()) else {
            return Ok(None);
        };
        let Ok(entry) = head.get_path(Path::new(&self.in_repo(path))) else {
            return Ok(None);
        };
        let blob = entry
            .to_object(&self.repo)
            .ok()
            .and_then(|o| o.into_blob().ok());
        Ok(blob.map(|b| File {
            bytes: b.content().to_vec(),
            executable: entry.filemode() == 0o100755,
        }))
    }

    /// Puts `paths` back as they are at HEAD (in the work tree and the index). A path HEAD does
    /// not have is only unstaged: whether its file is goldpath's to remove is the caller's call.
    /// Used by `upgrade --abort`.
    pub fn restore_from_head(&self, root: &Path, paths: &[RelPath]) -> Result<(), Error> {
        let mut index = self.repo.index().map_err(err("reading the index"))?;
        for path in paths {
            let in_repo = self.in_repo(path);
            index
                .remove_path(Path::new(&in_repo))
                .map_err(err(format!("unstaging {in_repo}")))?;
            if let Some(file) = self.head_file(path)? {
                crate::tree::no_symlink_on_the_way(root, path)
                    .and_then(|()| crate::tree::write_file_atomic(&path.under(root), &file))
                    .map_err(|e| Error::Git {
                        context: in_repo.clone(),
                        message: e.to_string(),
                    })?;
                index
                    .add_path(Path::new(&in_repo))
                    .map_err(err(format!("staging {in_repo}")))?;
            }
        }
        index.write().map_err(err("writing the index"))
    }
}

/// The folder git runs hooks from for the repository containing `dir` (`core.hooksPath` honoured).
pub fn hooks_dir(dir: &Path) -> Result<PathBuf, Error> {
    let repo = git2::Repository::discover(dir)
        .map_err(err(format!("{} is not in a git repository", dir.display())))?;
    let configured = repo
        .config()
        .and_then(|c| c.get_path("core.hooksPath"))
        .ok();
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or(repo.path()).join(p),
        None => repo.path().join("hooks"),
    })
}

/// The diff from `old` to `new` as `git diff` prints it: git's `old mode`/`new mode` lines when
/// one is executable and the other not (after a `diff --git` line, without which `git apply`
/// ignores them), then the content's [`unified_diff`] if the bytes differ. Empty if neither
/// differs.
pub fn file_diff(path: &str, old: &File, new: &File) -> String {
    let content = if old.bytes == new.bytes {
        String::new()
    } else {
        unified_diff(path, &old.bytes, &new.bytes)
    };
    if old.executable == new.executable || !crate::tree::MODES_KNOWN {
        return content;
    }
    let mode = |file: &File| if file.executable { "100755" } else { "100644" };
    format!(
        "diff --git {} {}\nold mode {}\nnew mode {}\n{content}",
        quoted(&format!("a/{path}")),
        quoted(&format!("b/{path}")),
        mode(old),
        mode(new)
    )
}

/// A path as git writes it in a diff header: as it is, or, if it holds a double quote, a
/// backslash, a control character or a byte outside ASCII, in double quotes with C escapes
/// (git's `quote_c_style` with `core.quotePath` on, its default), which `git apply` reads back.
fn quoted(path: &str) -> String {
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
    if path.bytes().all(plain) {
        return path.to_string();
    }
    let mut out = String::from("\"");
    for b in path.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\x07' => out.push_str("\\a"),
            b'\x08' => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\x0b' => out.push_str("\\v"),
            b'\x0c' => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b if plain(b) => out.push(char::from(b)),
            b => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('"');
    out
}

/// A unified diff (`--- a/PATH`, `+++ b/PATH`, 3 lines of context) from `old` to `new`, as
/// `git diff` prints it; binary content gives git's one-line notice.
pub fn unified_diff(path: &str, old: &[u8], new: &[u8]) -> String {
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(3);
    match git2::Patch::from_buffers(
        old,
        Some(Path::new(path)),
        new,
        Some(Path::new(path)),
        Some(&mut opts),
    )
    .and_then(|mut p| p.to_buf())
    {
        Ok(buf) => {
            let text = String::from_utf8_lossy(&buf).into_owned();
            // Drop git's `diff --git` and index lines: the path is in the ---/+++ lines.
            text.lines()
                .skip_while(|l| !l.starts_with("---") && !l.starts_with("Binary"))
                .map(|l| format!("{l}\n"))
                .collect()
        }
        Err(e) => format!("(no diff: {})\n", e.message()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_diffs_show_mode_changes_as_git_does() {
        let script = |bytes: &[u8], executable| File {
            bytes: bytes.to_vec(),
            executable,
        };
        let old = script(b"echo a\n", true);
        assert_eq!(file_diff("run.sh", &old, &old), "");
        assert_eq!(
            file_diff("run.sh", &old, &script(b"echo a\n", false)),
            "diff --git a/run.sh b/run.sh\nold mode 100755\nnew mode 100644\n"
        );
        assert_eq!(
            file_diff("run.sh", &old, &script(b"echo b\n", false)),
            "diff --git a/run.sh b/run.sh\nold mode 100755\nnew mode 100644\n\
             --- a/run.sh\n+++ b/run.sh\n@@ -1 +1 @@\n-echo a\n+echo b\n"
        );
        assert_eq!(
            file_diff("run.sh", &old, &script(b"echo b\n", true)),
            unified_diff("run.sh", b"echo a\n", b"echo b\n")
        );
        // Quoted as git quotes them (compared with `git diff` 2.47 on the same names).
        let plain = script(b"x\n", false);
        let exec = script(b"x\n", true);
        assert_eq!(
            file_diff("t\u{e9}st a.sh", &plain, &exec),
            "diff --git \"a/t\\303\\251st a.sh\" \"b/t\\303\\251st a.sh\"\nold mode 100644\nnew mode 100755\n"
        );
        assert_eq!(
            file_diff("q\"t.sh", &plain, &exec),
            "diff --git \"a/q\\\"t.sh\" \"b/q\\\"t.sh\"\nold mode 100644\nnew mode 100755\n"
        );
    }

    #[test]
    fn unified_diff_is_gits() {
        let d = unified_diff(
            "Dockerfile",
            b"FROM a\nUSER nonroot\n",
            b"FROM a\nUSER root\n",
        );
        assert_eq!(d, "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n FROM a\n-USER nonroot\n+USER root\n");
    }

    #[test]
    fn remote_tags_are_fetched_with_the_git_command() {
        let tmp = tempfile::tempdir().unwrap();
        let origin = tmp.path().join("origin");
        let run = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .args(args)
                .current_dir(&origin)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        std::fs::create_dir_all(&origin).unwrap();
        run(&["init", "-q"]);
        std::fs::write(origin.join("bundle.toml"), "x").unwrap();
        run(&["add", "."]);
        run(&[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@b",
            "commit",
            "-qm",
            "one",
        ]);
        run(&["tag", "v1.0.0"]);
        let cache = tmp.path().join("cache.git");
        git2::Repository::init_bare(&cache).unwrap();
        fetch_tags(origin.to_str().unwrap(), &cache).unwrap();
        let repo = TagRepo {
            repo: git2::Repository::open_bare(&cache).unwrap(),
        };
        let tags = repo.tags().unwrap();
        assert_eq!(tags.len(), 1);
        assert_eq!(
            repo.read_file(&tags[0].1, "bundle.toml").unwrap(),
            Some(b"x".to_vec())
        );
        // An unreachable source says why, and never waits for a password.
        let err = fetch_tags("https://127.0.0.1:9/none.git", &cache)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot fetch https://127.0.0.1:9/none.git: "),
            "{err}"
        );
        // Credentials are masked, in goldpath's words and in git's.
        let err = fetch_tags("https://u:T0kenT0ken@127.0.0.1:9/none.git", &cache)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot fetch https://***@127.0.0.1:9/none.git: ")
                && !err.contains("T0kenT0ken"),
            "{err}"
        );
        // Nothing that reads as an option reaches git.
        let err = fetch_tags("--upload-pack=touch x", &cache)
            .unwrap_err()
            .to_string();
        assert!(err.ends_with(": a URL cannot start with `-`"), "{err}");
    }

    #[test]
    fn url_keys_are_stable() {
        assert_eq!(
            url_key("https://git.example.com/platform/templates.git"),
            url_key("https://git.example.com/platform/templates.git")
        );
        assert_ne!(url_key("a"), url_key("b"));
        assert_eq!(url_key(""), "cbf29ce484222325");
    }
}
