//! A new project's repository: `git init` and its first commit.

use super::commit::{CommitSettings, Verify};
use super::pack::Pack;
use super::{err, index_entry, Error};
use crate::tree::Tree;
use git2::{ObjectType, Oid};
use std::collections::BTreeMap;
use std::path::Path;

/// `git init` in `dir` (branch from `init.defaultBranch`, else `main`), then one commit of
/// `files`, which are already written there, made as `git commit` would make it
/// ([`CommitSettings`]: the configured author, hooks unless `verify` says not, a signature when
/// `commit.gpgsign` is set). Returns the commit id; a hook that refuses is [`Error::Hook`], with
/// the repository made and the files staged.
///
/// The first commit was most of `goldpath new`'s time (issue #16), so the repository is written
/// directly rather than through libgit2: its layout ([`super::init`]), every blob, tree and the
/// commit in one pack with its index (two files, however many files the project has, where
/// loose objects cost a temporary file, a rename and a fan-out folder each), the index built
/// from the files in memory with the stat data of the files just written (so `git status` is
/// clean without re-hashing the work tree), the branch and its reflog. No sample hooks are
/// copied in. When a `pre-commit` or `commit-msg` hook runs, the commit waits for it: it is
/// written by libgit2 on its own, after them, from the index as the hooks left it.
///
/// `goldpath new` writes most of this while the work tree is being written: see [`FirstCommit`].
pub fn init_and_commit(
    dir: &Path,
    files: &Tree,
    message: &str,
    verify: Verify,
) -> Result<String, Error> {
    let config = user_config()?;
    let branch = default_branch(&config)?;
    let template = super::init::template_dir(&config);
    let git_dir = super::init::init(dir, &branch, template.as_deref())?;
    // After the template is copied in: its hooks are the repository's.
    let settings = CommitSettings::from_config(&config, &git_dir, dir, verify)?;
    let index_file = git_dir.join("index");
    if !settings.has_hooks_before() {
        let lines = Idents::of(&settings);
        let written = write_objects(&git_dir, &branch, files, |tree| {
            Some(
                settings
                    .sign(commit_object(tree, &lines, message))
                    .map(|bytes| (bytes, message, &lines)),
            )
        })?;
        write_index(&git_dir, dir, files, &written.blobs)?;
        settings.run_post_commit(dir, &index_file)?;
        let id = written.commit.expect("a commit was asked for");
        return Ok(id.to_string());
    }
    let written = write_objects(&git_dir, &branch, files, |_| None)?;
    write_index(&git_dir, dir, files, &written.blobs)?;
    let repo = git2::Repository::open(dir).map_err(err(format!("opening {}", dir.display())))?;
    let message = match settings.run_hooks_before(&repo, dir, &index_file, message)? {
        Ok(message) => message,
        Err(failure) => {
            return Err(Error::Hook {
                failure: Box::new(failure),
                commit_by_hand: "git commit -F .git/COMMIT_EDITMSG".into(),
            })
        }
    };
    // A hook may have staged changes of its own (a formatter): the index is what is committed.
    let mut index = repo.index().map_err(err("reading the index"))?;
    index.read(true).map_err(err("reading the index"))?;
    let tree = index.write_tree().map_err(err("writing the tree"))?;
    let id = super::commit_tree(&repo, &settings, tree, None, &message)?;
    settings.run_post_commit(dir, &index_file)?;
    Ok(id.to_string())
}

/// The user's git config, read once: the branch, the identity, signing and `core.hooksPath`.
/// A new repository's own config holds none of them. A snapshot, so that each value read is
/// not a fresh `stat` of every config file (libgit2 checks them for changes on each read
/// otherwise: 48 calls in `new`, issue #16).
fn user_config() -> Result<git2::Config, Error> {
    super::config::open(None)?
        .snapshot()
        .map_err(err("reading git config"))
}

/// `init.defaultBranch`, else `main`.
fn default_branch(config: &git2::Config) -> Result<String, Error> {
    let branch = config
        .get_string("init.defaultBranch")
        .unwrap_or_else(|_| "main".to_string());
    if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
        return Err(Error::Git {
            context: "git config init.defaultBranch".into(),
            message: format!("`{branch}` is not a valid branch name; fix it with `git config --global init.defaultBranch main`"),
        });
    }
    Ok(branch)
}

/// The first commit of a new project at `dest`, read from the user's git config before the
/// project is written, so that the repository can be written on a second thread while the work
/// tree is ([`FirstCommit::alongside`]): creating files and folders is most of `new`'s time
/// (issue #16), ext4 creates them in two folders at once, and the objects' compression
/// overlaps the work tree's writes. Only the index waits for the work tree, for its files'
/// stat data ([`FirstCommit::finish`]).
///
/// A commit that waits for something after the work tree is written is made as
/// [`init_and_commit`] makes it, after the writes: a `pre-commit` or `commit-msg` hook, a
/// `core.hooksPath` inside the project (its hooks may be among the files being written), hooks
/// that come with the user's template folder (`init.templateDir`), or a signature (the signing
/// program runs on the commit).
pub struct FirstCommit {
    branch: String,
    settings: CommitSettings,
    message: String,
    verify: Verify,
    /// The author and committer as the commit and reflog write them; `None` when the commit is
    /// made after the writes.
    alongside: Option<Idents>,
    /// The user's template folder for new repositories ([`super::init::template_dir`]).
    template: Option<std::path::PathBuf>,
}

/// What [`Alongside::run`] wrote: the root tree, each file's blob (in the tree's order) and the
/// commit `HEAD` points at.
pub struct Written {
    git_dir: std::path::PathBuf,
    commit: Oid,
    blobs: Vec<Oid>,
}

/// The part of a first commit that needs no work tree on disk: `.git`'s layout, the pack of every
/// object with its index, the branch and HEAD's reflog. `Send`, to run on its own thread.
pub struct Alongside<'a> {
    branch: &'a str,
    template: Option<&'a Path>,
    message: &'a str,
    idents: &'a Idents,
    files: &'a Tree,
}

impl FirstCommit {
    /// Reads the branch, identity, signing and hooks for a new project at `dest` (not written
    /// yet) with the first commit `message`.
    pub fn read(dest: &Path, message: &str, verify: Verify) -> Result<FirstCommit, Error> {
        let config = user_config()?;
        let branch = default_branch(&config)?;
        let settings = CommitSettings::from_config(&config, &dest.join(".git"), dest, verify)?;
        let hooks_path = super::config::path_value(&config, "core.hooksPath");
        let hooks_in_project =
            verify == Verify::RunHooks && hooks_path.as_ref().is_some_and(|p| p.is_relative());
        let template = super::init::template_dir(&config);
        // Where `core.hooksPath` is not set, the template's hooks are the repository's once it
        // is copied in; they are looked for only after that, in `init_and_commit`.
        let hooks_in_template = verify == Verify::RunHooks
            && hooks_path.is_none()
            && template.as_ref().is_some_and(|t| {
                ["pre-commit", "commit-msg", "post-commit"]
                    .iter()
                    .any(|hook| super::commit::is_executable(&t.join("hooks").join(hook)))
            });
        let after_writes = hooks_in_project
            || hooks_in_template
            || settings.has_hooks_before()
            || settings.signs();
        Ok(FirstCommit {
            alongside: (!after_writes).then(|| Idents::of(&settings)),
            template,
            branch,
            settings,
            message: message.to_string(),
            verify,
        })
    }

    /// The work to run while `files` are written, unless the commit must wait for them.
    pub fn alongside<'a>(&'a self, files: &'a Tree) -> Option<Alongside<'a>> {
        Some(Alongside {
            branch: &self.branch,
            template: self.template.as_deref(),
            message: &self.message,
            idents: self.alongside.as_ref()?,
            files,
        })
    }

    /// Completes the commit in `dir`, where `files` are written now: with what
    /// [`Alongside::run`] wrote, the index (and the `post-commit` hook); without it, the whole
    /// of [`init_and_commit`]. Returns the commit id.
    pub fn finish(
        &self,
        dir: &Path,
        files: &Tree,
        written: Option<Written>,
    ) -> Result<String, Error> {
        let Some(written) = written else {
            return init_and_commit(dir, files, &self.message, self.verify);
        };
        write_index(&written.git_dir, dir, files, &written.blobs)?;
        self.settings
            .run_post_commit(dir, &written.git_dir.join("index"))?;
        Ok(written.commit.to_string())
    }
}

impl Alongside<'_> {
    /// Makes `dir/.git` and writes every object, the branch and its reflog into it.
    pub fn run(self, dir: &Path) -> Result<Written, Error> {
        let git_dir = super::init::init(dir, self.branch, self.template)?;
        let written = write_objects(&git_dir, self.branch, self.files, |tree| {
            let bytes = commit_object(tree, self.idents, self.message);
            Some(Ok((bytes, self.message, self.idents)))
        })?;
        Ok(Written {
            git_dir,
            commit: written.commit.expect("a commit was asked for"),
            blobs: written.blobs,
        })
    }
}

/// The author and committer lines of a commit, and the committer as a reflog names them,
/// rendered from the settings' signatures (which cannot cross threads).
struct Idents {
    author: Vec<u8>,
    committer: Vec<u8>,
    /// `<name> <<email>> <seconds> <+hhmm>`.
    reflog: String,
}

impl Idents {
    fn of(settings: &CommitSettings) -> Idents {
        let mut author = Vec::new();
        signature_line(&mut author, "author", &settings.author);
        let mut committer = Vec::new();
        signature_line(&mut committer, "committer", &settings.committer);
        let mut ident = Vec::new();
        signature_line(&mut ident, "", &settings.committer);
        // `signature_line` wrote ` <name> <<email>> <when>\n` after the empty header.
        let reflog = String::from_utf8_lossy(&ident[1..ident.len() - 1]).into_owned();
        Idents {
            author,
            committer,
            reflog,
        }
    }
}

/// What [`write_objects`] wrote.
struct Objects {
    blobs: Vec<Oid>,
    commit: Option<Oid>,
}

/// Writes every blob and tree of `files` as one pack in the repository at `git_dir`. With a
/// commit (`commit` is given the root tree and returns the commit's bytes, its message and
/// who commits it), the commit goes into the pack too and `refs/heads/<branch>` (HEAD) points at
/// it, logged in HEAD's reflog as `git commit` logs it. The objects are byte for byte those
/// libgit2's `git add` and `git commit` would write (see the tests).
fn write_objects<'m>(
    git_dir: &Path,
    branch: &str,
    files: &Tree,
    commit: impl FnOnce(Oid) -> Option<Result<(Vec<u8>, &'m str, &'m Idents), Error>>,
) -> Result<Objects, Error> {
    let mut pack = Pack::new();
    let (tree, blobs) = add_tree(&mut pack, files).map_err(err("hashing the files"))?;
    let commit = match commit(tree) {
        None => None,
        Some(made) => {
            let (bytes, message, idents) = made?;
            let id = pack
                .add(ObjectType::Commit, &bytes)
                .map_err(err("hashing the commit"))?;
            Some((id, message, idents))
        }
    };
    let packed = pack.finish();
    let packs = git_dir.join("objects/pack");
    // Read-only, as git leaves its packs. The index after the pack: a reader that finds the
    // index finds its pack.
    write_new(
        &packs.join(format!("pack-{}.pack", packed.name)),
        &packed.pack,
        0o444,
    )?;
    write_new(
        &packs.join(format!("pack-{}.idx", packed.name)),
        &packed.index,
        0o444,
    )?;
    let Some((commit, message, idents)) = commit else {
        return Ok(Objects {
            blobs,
            commit: None,
        });
    };
    // The branch goes in `packed-refs`, as `git pack-refs` (and `git clone`) write it, rather
    // than in `refs/heads/<branch>`: creating a file or folder is what costs most here (issue
    // #16: the file system's inode allocation was 70% of `new`'s time at 23 files), and a
    // loose ref needs `refs/heads/` (and more folders for a branch named `team/main`). git and
    // libgit2 move it to a loose ref the first time they update it.
    write_new(
        &git_dir.join("packed-refs"),
        format!("# pack-refs with: peeled fully-peeled sorted \n{commit} refs/heads/{branch}\n")
            .as_bytes(),
        0o666,
    )?;
    // HEAD's reflog, as `git commit` logs it, so `git reflog` reads the same. The branch's own
    // reflog (three more inodes) starts with its next update: git and libgit2 make it then, as
    // `core.logAllRefUpdates` says.
    let line = format!(
        "{} {commit} {}\tcommit (initial): {}\n",
        Oid::ZERO_SHA1,
        idents.reflog,
        summary(message)
    );
    write_new_in(git_dir, "logs/HEAD", line.as_bytes())?;
    Ok(Objects {
        blobs,
        commit: Some(commit),
    })
}

/// Writes the index of `files` (whose blobs are `blobs`, in order), written in the work tree
/// `dir`, with their stat data, so that `git status` finds them unchanged without hashing them.
fn write_index(git_dir: &Path, dir: &Path, files: &Tree, blobs: &[Oid]) -> Result<(), Error> {
    let mut entries: Vec<git2::IndexEntry> = files
        .iter()
        .zip(blobs)
        .map(|((path, file), id)| {
            let meta = std::fs::symlink_metadata(path.under(dir)).ok();
            let mut entry = index_entry(path.as_str(), file, meta.as_ref());
            entry.id = *id;
            entry
        })
        .collect();
    write_new(
        &git_dir.join("index"),
        &super::index_file::bytes(&mut entries),
        0o666,
    )
}

/// Creates `path`, which must not exist, holding `bytes`, with `mode` (less the umask).
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, bytes))
        .map_err(|e| Error::Git {
            context: format!("writing {}", path.display()),
            message: e.to_string(),
        })
}

/// [`write_new`] of `rel` (`/`-separated) under `git_dir`, making its folders first.
fn write_new_in(git_dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), Error> {
    let path = git_dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::Git {
            context: format!("writing {}", parent.display()),
            message: e.to_string(),
        })?;
    }
    write_new(&path, bytes, 0o666)
}

/// A folder of the tree being built: entries by name.
enum Node<'a> {
    Blob { id: Oid, executable: bool },
    Folder(BTreeMap<&'a str, Node<'a>>),
}

/// Adds every blob and tree of `files` to `pack`. Returns the root tree's id and each file's
/// blob id, in `files`' order.
fn add_tree(pack: &mut Pack, files: &Tree) -> Result<(Oid, Vec<Oid>), git2::Error> {
    let mut root = BTreeMap::new();
    let mut blobs = Vec::with_capacity(files.len());
    for (path, file) in files {
        let id = pack.add(ObjectType::Blob, &file.bytes)?;
        blobs.push(id);
        let mut folder = &mut root;
        let mut parts = path.as_str().split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                folder.insert(
                    part,
                    Node::Blob {
                        id,
                        executable: file.executable,
                    },
                );
                break;
            }
            let node = folder
                .entry(part)
                .or_insert_with(|| Node::Folder(BTreeMap::new()));
            folder = match node {
                Node::Folder(entries) => entries,
                Node::Blob { .. } => {
                    return Err(git2::Error::from_str(&format!(
                        "`{path}` is under `{part}`, which is a file"
                    )))
                }
            };
        }
    }
    Ok((add_folder(pack, &root)?, blobs))
}

/// Adds the tree of `folder` and of every folder in it; returns its id.
fn add_folder(pack: &mut Pack, folder: &BTreeMap<&str, Node>) -> Result<Oid, git2::Error> {
    let mut entries = Vec::with_capacity(folder.len());
    for (name, node) in folder {
        entries.push(match node {
            Node::Blob { id, executable } => TreeEntry {
                name,
                mode: if *executable { "100755" } else { "100644" },
                id: *id,
            },
            Node::Folder(inner) => TreeEntry {
                name,
                mode: "40000",
                id: add_folder(pack, inner)?,
            },
        });
    }
    pack.add(ObjectType::Tree, &tree_object(&mut entries))
}

/// One entry of a tree object.
struct TreeEntry<'a> {
    name: &'a str,
    /// As git writes it: `100644`, `100755`, `40000`.
    mode: &'static str,
    id: Oid,
}

impl TreeEntry<'_> {
    fn is_folder(&self) -> bool {
        self.mode == "40000"
    }
}

/// A tree object: `<mode> <name>\0<20-byte id>` per entry, in git's order, where a folder's name
/// sorts as if it ended in `/` (`a-b`, `a.txt`, `a/`, `a0`; plain byte order would put the
/// folder `a` first and git would call the tree unsorted).
fn tree_object(entries: &mut [TreeEntry]) -> Vec<u8> {
    entries.sort_by(|a, b| {
        let key = |e: &TreeEntry| {
            let slash: &[u8] = if e.is_folder() { b"/" } else { b"" };
            e.name
                .as_bytes()
                .iter()
                .chain(slash)
                .copied()
                .collect::<Vec<u8>>()
        };
        key(a).cmp(&key(b))
    });
    let mut bytes = Vec::with_capacity(entries.len() * 48);
    for e in entries.iter() {
        bytes.extend_from_slice(e.mode.as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(e.name.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(e.id.as_bytes());
    }
    bytes
}

/// A commit object without parents, as libgit2 writes it (`git_commit_create`,
/// `git_signature__writebuf`).
fn commit_object(tree: Oid, idents: &Idents, message: &str) -> Vec<u8> {
    let mut bytes = format!("tree {tree}\n").into_bytes();
    bytes.extend_from_slice(&idents.author);
    bytes.extend_from_slice(&idents.committer);
    bytes.push(b'\n');
    bytes.extend_from_slice(message.as_bytes());
    bytes
}

/// `<header> <name> <<email>> <seconds> <+hhmm>\n`. The seconds are printed as libgit2 prints
/// them, as an unsigned 32-bit number.
fn signature_line(bytes: &mut Vec<u8>, header: &str, sig: &git2::Signature) {
    let when = sig.when();
    let offset = when.offset_minutes();
    let sign = if offset < 0 || when.sign() == '-' {
        '-'
    } else {
        '+'
    };
    let offset = offset.unsigned_abs();
    bytes.extend_from_slice(header.as_bytes());
    bytes.push(b' ');
    bytes.extend_from_slice(sig.name_bytes());
    bytes.extend_from_slice(b" <");
    bytes.extend_from_slice(sig.email_bytes());
    bytes.extend_from_slice(
        format!(
            "> {} {sign}{:02}{:02}\n",
            when.seconds() as u32,
            offset / 60,
            offset % 60
        )
        .as_bytes(),
    );
}

/// The reflog's summary of a commit message, as libgit2's `git_commit_summary`: its first
/// paragraph on one line.
pub(super) fn summary(message: &str) -> String {
    let first = message.trim_start().split("\n\n").next().unwrap_or("");
    first.trim_end().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{File, RelPath};

    fn files(list: &[(&str, &str, bool)]) -> Tree {
        list.iter()
            .map(|(path, text, executable)| {
                (
                    RelPath::new(path).unwrap(),
                    File {
                        bytes: text.as_bytes().to_vec(),
                        executable: *executable,
                    },
                )
            })
            .collect()
    }

    /// The first commit as goldpath made it before issue #16: libgit2's index, loose objects.
    fn commit_with_libgit2(
        repo: &git2::Repository,
        dir: &Path,
        files: &Tree,
        message: &str,
        sig: &git2::Signature,
    ) -> Oid {
        let mut index = repo.index().unwrap();
        for (path, file) in files {
            let meta = std::fs::symlink_metadata(path.under(dir)).ok();
            index
                .add_frombuffer(
                    &index_entry(path.as_str(), file, meta.as_ref()),
                    &file.bytes,
                )
                .unwrap();
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        repo.commit(Some("HEAD"), sig, sig, message, &tree, &[])
            .unwrap()
    }

    fn init(dir: &Path) -> git2::Repository {
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main").external_template(false);
        git2::Repository::init_opts(dir, &opts).unwrap()
    }

    #[test]
    fn the_pack_holds_the_objects_libgit2_would_have_written() {
        let tree = files(&[
            ("a.txt", "a\n", false),
            ("a/b.txt", "b\n", false),
            ("a/c/d.txt", "same\n", false),
            ("a-b", "same\n", false),
            ("a0", "", false),
            ("bin/run.sh", "#!/bin/sh\n", true),
            ("docs/x.md", "same\n", false),
            ("dup/x.md", "same\n", false),
            ("caf\u{e9}.txt", "\u{e9}\n", false),
            (".goldpath.toml", "[bundle]\n", false),
        ]);
        let message = "Create svc from golden path x 1.0.0\n\nGenerated by goldpath from here.\n";
        for offset in [0, 120, -90, 330] {
            let sig = git2::Signature::new(
                "Ada Lovelace",
                "ada@example.com",
                &git2::Time::new(1_764_500_000, offset),
            )
            .unwrap();
            let old = tempfile::tempdir().unwrap();
            let new = tempfile::tempdir().unwrap();
            let old_repo = init(old.path());
            let old_id = commit_with_libgit2(&old_repo, old.path(), &tree, message, &sig);
            let settings = CommitSettings::unsigned(&sig);
            // As `new` makes it: everything but the index alongside the work tree, then the index.
            let written = Alongside {
                branch: "main",
                template: None,
                message,
                idents: &Idents::of(&settings),
                files: &tree,
            }
            .run(new.path())
            .unwrap();
            write_index(&written.git_dir, new.path(), &tree, &written.blobs).unwrap();
            let new_id = written.commit;
            let new_repo = git2::Repository::open(new.path()).unwrap();
            assert_eq!(new_id, old_id, "offset {offset}");
            let commit = new_repo.find_commit(new_id).unwrap();
            assert_eq!(
                commit.tree_id(),
                old_repo.find_commit(old_id).unwrap().tree_id()
            );
            assert_eq!(new_repo.head().unwrap().target(), Some(new_id));
            // The same index, and the same reflog line.
            let entries = |repo: &git2::Repository| {
                let index = repo.index().unwrap();
                index
                    .iter()
                    .map(|e| (e.path, e.id, e.mode))
                    .collect::<Vec<_>>()
            };
            assert_eq!(entries(&new_repo), entries(&old_repo));
            let message_of = |repo: &git2::Repository| {
                let log = repo.reflog("HEAD").unwrap();
                log.get(0).unwrap().message().unwrap().unwrap().to_string()
            };
            assert_eq!(message_of(&new_repo), message_of(&old_repo));
            assert_eq!(
                message_of(&new_repo),
                "commit (initial): Create svc from golden path x 1.0.0"
            );
            // Logged by the committer, in HEAD's reflog.
            let log = new_repo.reflog("HEAD").unwrap();
            assert_eq!(log.len(), 1);
            let entry = log.get(0).unwrap();
            assert_eq!(entry.id_old(), Oid::ZERO_SHA1);
            assert_eq!(entry.id_new(), new_id);
            assert_eq!(entry.committer().name().ok(), Some("Ada Lovelace"));
            assert_eq!(entry.committer().email().ok(), Some("ada@example.com"));
            assert_eq!(entry.committer().when(), sig.when());
        }
    }

    #[test]
    fn tree_entries_sort_as_git_sorts_them() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(tmp.path()).unwrap();
        let blob = repo.blob(b"x").unwrap();
        let folder = repo.treebuilder(None).unwrap().write().unwrap();
        // (name, is a folder): a folder sorts as `name/`.
        let cases: &[&[(&str, bool)]] = &[
            &[("a.txt", false), ("a", true), ("a-b", false)],
            &[("a", false), ("a.txt", true), ("a-b", true), ("a0", false)],
            &[("ab", true), ("a", true), ("a b", false), ("A", false)],
        ];
        for case in cases {
            let mut ours: Vec<TreeEntry> = case
                .iter()
                .map(|(name, is_folder)| TreeEntry {
                    name,
                    mode: if *is_folder { "40000" } else { "100644" },
                    id: if *is_folder { folder } else { blob },
                })
                .collect();
            let ours = Oid::hash_object(ObjectType::Tree, &tree_object(&mut ours)).unwrap();
            let mut builder = repo.treebuilder(None).unwrap();
            for (name, is_folder) in case.iter() {
                let (id, mode) = if *is_folder {
                    (folder, 0o040000)
                } else {
                    (blob, 0o100644)
                };
                builder.insert(name, id, mode).unwrap();
            }
            assert_eq!(ours, builder.write().unwrap(), "{case:?}");
        }
    }

    #[test]
    fn a_file_where_a_folder_is_needed_is_an_error() {
        let tree = files(&[("a", "", false), ("a/b", "", false)]);
        let err = add_tree(&mut Pack::new(), &tree).unwrap_err();
        assert!(err.message().contains("which is a file"), "{err}");
    }

    #[test]
    fn summary_is_the_first_paragraph_on_one_line() {
        assert_eq!(summary("Create x\n\nbody\n"), "Create x");
        assert_eq!(summary("  one\ntwo\n\nthree"), "one two");
        assert_eq!(summary("only\n"), "only");
    }
}
