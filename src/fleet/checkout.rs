//! A private checkout for migration hooks: a fleet works on git objects, but a hook runs in a
//! work tree, as `goldpath upgrade` runs it. The upgraded tree is checked out into a new
//! temporary folder outside every repository, with a git repository of its own whose objects
//! come from the user's through an `alternates` entry: reading them writes nothing into the
//! user's `.git` (`git worktree` would), and the upgrade's blobs go into the private one, so a
//! hook that fails leaves nothing behind. What the hooks changed is read back as files, never
//! through a symbolic link.

use crate::git::ProjectRepo;
use crate::tree::{self, File, RelPath};
use git2::{Oid, Repository};
use std::path::{Path, PathBuf};

/// The checkout; its folder is removed when it is dropped.
pub struct Checkout {
    dir: tempfile::TempDir,
}

impl Checkout {
    /// The tree of the commit `base` of `git` with `edits` (paths relative to the repository;
    /// `None` removes), checked out in a new temporary folder and committed there, so that
    /// `git status` in it shows exactly what runs in it changed.
    pub fn new(
        git: &Repository,
        base: Oid,
        edits: &[(String, Option<File>)],
    ) -> Result<Checkout, String> {
        let fail = |what: &str| {
            let what = what.to_string();
            move |e: git2::Error| {
                format!(
                    "checking out the upgrade for its hooks: {what}: {}",
                    e.message()
                )
            }
        };
        let dir = tempfile::Builder::new()
            .prefix("goldpath-fleet-hooks-")
            .tempdir()
            .map_err(|e| format!("making a folder for the upgrade's hooks: {e}"))?;
        let private = Repository::init(dir.path()).map_err(fail("git init"))?;
        let info = private.path().join("objects/info");
        let objects = absolute(&git.commondir().join("objects"));
        std::fs::create_dir_all(&info)
            .and_then(|()| {
                std::fs::write(info.join("alternates"), format!("{}\n", objects.display()))
            })
            .map_err(|e| format!("checking out the upgrade for its hooks: {e}"))?;
        drop(private);
        // Opened again: the object store reads `alternates` when it opens.
        let private = Repository::open(dir.path()).map_err(fail("opening it"))?;
        // The files as the tree has them: the bytes read back are the bytes committed.
        let mut config = private.config().map_err(fail("its config"))?;
        config
            .set_bool("core.autocrlf", false)
            .map_err(fail("its config"))?;
        let tree = super::repo::edited_tree(&private, base, edits)?;
        let tree = private.find_tree(tree).map_err(fail("reading the tree"))?;
        let who = git2::Signature::new("goldpath", "goldpath@localhost", &git2::Time::new(0, 0))
            .map_err(fail("a signature"))?;
        private
            .commit(
                Some("HEAD"),
                &who,
                &who,
                "the upgrade, before its hooks",
                &tree,
                &[],
            )
            .map_err(fail("committing"))?;
        private
            .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
            .map_err(fail("writing the files"))?;
        Ok(Checkout { dir })
    }

    /// The folder of the project at `prefix` (`""` or ending in `/`).
    pub fn project_dir(&self, prefix: &str) -> PathBuf {
        self.dir.path().join(prefix)
    }

    /// What changed in the project at `prefix` since the checkout, as `goldpath upgrade` commits
    /// it: every path git's status lists (staged, unstaged or untracked; not ignored), relative
    /// to the project, with its file now (`None`: removed). A symbolic link at or on the way to
    /// a changed path is refused, never followed, and so is a repository left inside.
    pub fn changes(&self, prefix: &str) -> Result<Vec<(RelPath, Option<File>)>, String> {
        let dir = self.project_dir(prefix);
        let paths = ProjectRepo::open(&dir)
            .and_then(|r| r.dirty_paths())
            .map_err(|e| format!("reading what the hooks changed: {e}"))?;
        let mut out = Vec::new();
        for path in paths {
            let in_repo = format!("{prefix}{path}");
            if path.ends_with('/') {
                return Err(format!("the hooks left a git repository at {in_repo}, which a fleet does not commit; upgrade this project with `goldpath upgrade --trust`"));
            }
            let rel = RelPath::new(&path).map_err(|e| format!("the hooks left {in_repo}: {e}"))?;
            let file = tree::read_file(&dir, &rel).map_err(|e| match e {
                tree::Error::Symlink { link, .. } => format!(
                    "the hooks left a symbolic link at {prefix}{link}, which a fleet does not follow or commit; upgrade this project with `goldpath upgrade --trust`"
                ),
                e => format!("reading what the hooks changed: {e}"),
            })?;
            out.push((rel, file));
        }
        Ok(out)
    }
}

/// `path` made absolute (an `alternates` entry is read from the private repository's folder).
fn absolute(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository with one commit: `project/keep.txt` and `project/old.txt`; its commit.
    fn repo() -> (tempfile::TempDir, Repository, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let git = Repository::init(dir.path()).unwrap();
        let mut index = git.index().unwrap();
        for (path, text) in [("project/keep.txt", "keep\n"), ("project/old.txt", "old\n")] {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, text).unwrap();
            index.add_path(Path::new(path)).unwrap();
        }
        let tree = git.find_tree(index.write_tree().unwrap()).unwrap();
        let who = git2::Signature::now("t", "t@example.com").unwrap();
        let commit = git.commit(None, &who, &who, "one", &tree, &[]).unwrap();
        drop(tree);
        (dir, git, commit)
    }

    fn objects(git: &Repository) -> usize {
        let mut n = 0;
        git.odb()
            .unwrap()
            .foreach(|_| {
                n += 1;
                true
            })
            .unwrap();
        n
    }

    #[test]
    fn the_edits_are_checked_out_and_what_changed_since_is_read_back() {
        let (_dir, git, base) = repo();
        let before = objects(&git);
        let edits = vec![
            ("project/new.txt".to_string(), Some(File::new("new\n"))),
            ("project/old.txt".to_string(), None),
        ];
        let checkout = Checkout::new(&git, base, &edits).unwrap();
        let dir = checkout.project_dir("project/");
        assert_eq!(
            std::fs::read_to_string(dir.join("new.txt")).unwrap(),
            "new\n"
        );
        assert!(!dir.join("old.txt").exists());
        // Nothing went into the repository's object store.
        assert_eq!(objects(&git), before);
        assert!(checkout.changes("project/").unwrap().is_empty());
        std::fs::write(dir.join("keep.txt"), "changed\n").unwrap();
        std::fs::remove_file(dir.join("new.txt")).unwrap();
        std::fs::write(dir.join("made.txt"), "made\n").unwrap();
        let changes: Vec<(String, Option<Vec<u8>>)> = checkout
            .changes("project/")
            .unwrap()
            .into_iter()
            .map(|(p, f)| (p.to_string(), f.map(|f| f.bytes)))
            .collect();
        assert_eq!(
            changes,
            [
                ("keep.txt".to_string(), Some(b"changed\n".to_vec())),
                ("made.txt".to_string(), Some(b"made\n".to_vec())),
                ("new.txt".to_string(), None),
            ]
        );
        let root = checkout.dir.path().to_path_buf();
        drop(checkout);
        assert!(!root.exists(), "the checkout is removed when dropped");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_left_behind_is_refused_never_followed() {
        let (_dir, git, base) = repo();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "outside\n").unwrap();
        let checkout = Checkout::new(&git, base, &[]).unwrap();
        let dir = checkout.project_dir("project/");
        std::fs::remove_file(dir.join("keep.txt")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), dir.join("keep.txt"))
            .unwrap();
        let e = checkout.changes("project/").unwrap_err();
        assert!(
            e.contains("symbolic link at project/keep.txt") && !e.contains("outside\n"),
            "{e}"
        );
    }
}
