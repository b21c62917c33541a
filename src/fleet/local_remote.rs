//! A remote that is a bare repository on this disk (`file://`), fetched from and pushed to
//! in-process with git2 when that does exactly what `git fetch` and `git push` would do: git's
//! own local transport is a chain of processes (fetch, upload-pack, pack-objects, index-pack,
//! rev-list for connectivity; push, receive-pack, pack-objects, unpack-objects, gc --auto),
//! which cost about 3/4 of a fleet run's time over local remotes (issue #12).
//!
//! The fetch copies the remote's default and fleet branches into goldpath's cache repository,
//! whose objects are the remote's through an `alternates` entry: no object is copied. The push
//! writes the upgrade's new objects into the remote as one pack, then moves
//! `refs/heads/BRANCH` there only if it is still at the commit the fetch saw: the lease of
//! `git push --force-with-lease`, checked under the ref's lock.
//!
//! A remote whose `receive-pack` would do anything more (hooks, `receive.*`/`transfer.*`
//! settings, a shared repository, ...) is left to the `git` command: [`open`] says which.

use git2::{Oid, Repository, RepositoryOpenFlags};
use std::path::{Path, PathBuf};

/// The hooks `git receive-pack` runs on a push; a remote with any of them takes `git push`.
const RECEIVE_HOOKS: [&str; 7] = [
    "pre-receive",
    "update",
    "post-receive",
    "post-update",
    "reference-transaction",
    "proc-receive",
    "push-to-checkout",
];

/// Settings that change what a fetch or a push does to or sees of a remote (its own, the
/// user's or the system's): a remote where any is set takes the `git` command. `core.fsync*`:
/// git's durability choices are honoured by git itself.
const GIT_ONLY_SETTINGS: [&str; 8] = [
    "receive.",
    "transfer.",
    "uploadpack.",
    "extensions.",
    "core.sharedrepository",
    "core.hookspath",
    "core.fsync",
    "core.alternaterefs",
];

/// A local bare remote that goldpath reads and writes itself.
pub struct LocalRemote {
    pub git: Repository,
    /// Its git directory.
    pub dir: PathBuf,
}

/// `url` opened in-process, or why it takes the `git` command instead.
pub fn open(url: &str) -> Result<LocalRemote, String> {
    let path = url
        .strip_prefix("file://")
        .filter(|p| p.starts_with('/') && !p.contains(['%', '?', '#']))
        .ok_or("not a file:// URL of an absolute path")?;
    // Git passes these to receive-pack (`git -c ...`): they could set anything above.
    if ["GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        return Err("git settings are given in the environment".into());
    }
    let git = Repository::open_ext(path, RepositoryOpenFlags::NO_SEARCH, [] as [&Path; 0])
        .map_err(|e| e.message().to_string())?;
    if !git.is_bare() {
        return Err("not a bare repository".into());
    }
    if git.is_shallow() {
        return Err("a shallow repository".into());
    }
    let dir = git.path().to_path_buf();
    if let Some(hook) = RECEIVE_HOOKS
        .iter()
        .find(|h| dir.join("hooks").join(h).exists())
    {
        return Err(format!("it has a {hook} hook"));
    }
    let config = git.config().map_err(|e| e.message().to_string())?;
    if let Some(setting) = git_only_setting(&config)? {
        return Err(format!("it has the setting {setting}"));
    }
    // The remote's HEAD must name a branch with a commit; anything else is git's to explain.
    default_branch(&git)?;
    Ok(LocalRemote { git, dir })
}

/// The first setting, at any level, that only the `git` command honours.
fn git_only_setting(config: &git2::Config) -> Result<Option<String>, String> {
    let mut entries = config.entries(None).map_err(|e| e.message().to_string())?;
    while let Some(entry) = entries.next() {
        let entry = entry.map_err(|e| e.message().to_string())?;
        let Ok(name) = entry.name() else { continue };
        let name = name.to_ascii_lowercase();
        if GIT_ONLY_SETTINGS.iter().any(|s| name.starts_with(s)) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// The branch the remote's HEAD names (`refs/heads/NAME`) and its commit.
fn default_branch(git: &Repository) -> Result<(String, Oid), String> {
    let head = git
        .find_reference("HEAD")
        .map_err(|e| e.message().to_string())?;
    let name = head
        .symbolic_target()
        .ok()
        .flatten()
        .filter(|t| t.starts_with("refs/heads/"))
        .ok_or("its HEAD does not name a branch")?
        .to_string();
    let id = git
        .find_reference(&name)
        .and_then(|r| r.peel_to_commit())
        .map(|c| c.id())
        .map_err(|_| "its HEAD names a branch without a commit".to_string())?;
    Ok((name, id))
}

impl LocalRemote {
    /// Makes `cache` (a bare repository, made if need be) a view of the remote: its objects
    /// through `alternates`, its HEAD naming the remote's default branch, that branch and
    /// `refs/heads/BRANCH` at the remote's commits (the fleet branch removed when the remote
    /// has none), no other branch. Nothing of the remote is written.
    pub fn fetch_into(&self, cache: &Path, branch: Option<&str>) -> Result<Repository, String> {
        let fail = |what: &str, e: git2::Error| {
            format!("cache {}: {what}: {}", cache.display(), e.message())
        };
        let objects = self.dir.join("objects");
        let alternates = cache.join("objects/info/alternates");
        let wanted = format!("{}\n", objects.display());
        if std::fs::read_to_string(&alternates).ok().as_deref() != Some(wanted.as_str()) {
            if Repository::open_bare(cache).is_err() {
                Repository::init_bare(cache).map_err(|e| fail("making it", e))?;
            }
            std::fs::create_dir_all(alternates.parent().expect("has a parent"))
                .and_then(|()| std::fs::write(&alternates, &wanted))
                .map_err(|e| format!("cache {}: {e}", alternates.display()))?;
        }
        // Opened after `alternates` is written: the object store reads it when it opens.
        let git = Repository::open_bare(cache).map_err(|e| fail("opening it", e))?;
        let (default, head) = default_branch(&self.git)?;
        let fleet = branch.map(|b| format!("refs/heads/{b}"));
        let fleet_at = fleet
            .as_deref()
            .and_then(|r| self.git.refname_to_id(r).ok());
        let log = "goldpath fleet: the remote's branch";
        let stale: Vec<String> = git
            .references_glob("refs/heads/*")
            .map_err(|e| fail("reading its branches", e))?
            .flatten()
            .filter_map(|r| r.name().ok().map(str::to_string))
            .filter(|n| *n != default && Some(n) != fleet.as_ref())
            .collect();
        for name in stale {
            if let Ok(mut r) = git.find_reference(&name) {
                r.delete().map_err(|e| fail("pruning a branch", e))?;
            }
        }
        git.reference(&default, head, true, log)
            .map_err(|e| fail("recording the default branch", e))?;
        if let Some(fleet) = &fleet {
            match fleet_at {
                Some(id) => {
                    git.reference(fleet, id, true, log)
                        .map_err(|e| fail("recording the fleet branch", e))?;
                }
                None => {
                    if let Ok(mut r) = git.find_reference(fleet) {
                        r.delete()
                            .map_err(|e| fail("pruning the fleet branch", e))?;
                    }
                }
            }
        }
        git.set_head(&default)
            .map_err(|e| fail("recording the default branch", e))?;
        Ok(git)
    }

    /// Writes `pack` (the new objects, a pack without index; empty: none) into the remote and
    /// moves `refs/heads/BRANCH` to `commit`, only if it is still at `expected` (`None`: the
    /// remote must not have it). `Ok(false)`: it moved since, nothing was pushed.
    pub fn push(
        &self,
        pack: &[u8],
        branch: &str,
        commit: Oid,
        expected: Option<Oid>,
    ) -> Result<bool, String> {
        let name = format!("refs/heads/{branch}");
        // The lease looked at first, so a refused push writes no object either (as git, which
        // checks it against the refs the remote advertised before it sends the pack).
        if self.git.refname_to_id(&name).ok() != expected {
            return Ok(false);
        }
        if pack_objects(pack) > 0 {
            self.write_pack(pack)?;
        }
        crate::fault::point();
        let log = "push";
        let moved = match expected {
            Some(old) => self.git.reference_matching(&name, commit, true, old, log),
            None => self.git.reference(&name, commit, false, log),
        };
        match moved {
            Ok(_) => Ok(true),
            // Somebody moved it between the look above and the lock.
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::Modified | git2::ErrorCode::Exists
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(format!(
                "cannot move {branch} in {}: {}",
                self.dir.display(),
                e.message()
            )),
        }
    }

    /// `pack` indexed into the remote's `objects/pack`, its pack and index synced to disk
    /// before any ref points at them (git syncs the packs a push brings too).
    fn write_pack(&self, pack: &[u8]) -> Result<(), String> {
        let fail = |e: String| format!("cannot write objects into {}: {e}", self.dir.display());
        super::repo::keep_objects(&self.git, pack).map_err(fail)?;
        // libgit2 names a pack by its trailing checksum, as git does.
        let name = crate::git::pack_name(pack);
        let dir = self.dir.join("objects/pack");
        for file in [format!("pack-{name}.pack"), format!("pack-{name}.idx")] {
            std::fs::File::open(dir.join(&file))
                .and_then(|f| f.sync_all())
                .map_err(|e| fail(format!("{file}: {e}")))?;
        }
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| fail(e.to_string()))
    }
}

/// How many objects a pack holds (its header's count; 0 for no pack).
pub fn pack_objects(pack: &[u8]) -> u32 {
    match pack.get(8..12) {
        Some(n) => u32::from_be_bytes(n.try_into().expect("four bytes")),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::ConfigLevel;

    fn bare_with_commit() -> (tempfile::TempDir, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let git = Repository::init_bare(dir.path().join("r.git")).unwrap();
        let blob = git.blob(b"x\n").unwrap();
        let mut tree = git.treebuilder(None).unwrap();
        tree.insert("x", blob, 0o100644).unwrap();
        let tree = git.find_tree(tree.write().unwrap()).unwrap();
        let who = git2::Signature::now("t", "t@example.com").unwrap();
        let id = git
            .commit(Some("refs/heads/main"), &who, &who, "one", &tree, &[])
            .unwrap();
        git.set_head("refs/heads/main").unwrap();
        (dir, id)
    }

    fn url(dir: &tempfile::TempDir) -> String {
        format!("file://{}", dir.path().join("r.git").display())
    }

    #[test]
    fn only_a_plain_bare_remote_is_opened_in_process() {
        let (dir, _) = bare_with_commit();
        let remote = open(&url(&dir)).unwrap();
        assert!(remote.dir.ends_with("r.git/") || remote.dir.ends_with("r.git"));
        assert!(open("https://example.com/r.git").is_err());
        assert!(open(&format!("{}%20", url(&dir))).is_err());
        let hooks = dir.path().join("r.git/hooks");
        std::fs::create_dir_all(&hooks).unwrap();
        std::fs::write(hooks.join("pre-receive"), "#!/bin/sh\nexit 1\n").unwrap();
        assert_eq!(open(&url(&dir)).err().unwrap(), "it has a pre-receive hook");
        std::fs::remove_file(hooks.join("pre-receive")).unwrap();
        for (key, value) in [
            ("receive.fsckObjects", "true"),
            ("core.sharedRepository", "group"),
            ("transfer.hideRefs", "refs/x"),
        ] {
            let git = Repository::open_bare(dir.path().join("r.git")).unwrap();
            let mut config = git
                .config()
                .unwrap()
                .open_level(ConfigLevel::Local)
                .unwrap();
            config.set_str(key, value).unwrap();
            let why = open(&url(&dir)).err().unwrap();
            assert!(
                why == format!("it has the setting {}", key.to_ascii_lowercase()),
                "{why}"
            );
            config.remove(key).unwrap();
        }
        open(&url(&dir)).unwrap();
    }

    #[test]
    fn a_pushed_commit_lands_in_one_pack_under_the_lease() {
        let (dir, main) = bare_with_commit();
        let remote = open(&url(&dir)).unwrap();
        let cache = dir.path().join("cache.git");
        let git = remote.fetch_into(&cache, Some("fleet")).unwrap();
        assert_eq!(git.refname_to_id("refs/heads/main").unwrap(), main);
        assert!(git.find_reference("refs/heads/fleet").is_err());
        // The upgrade's objects, in memory only.
        let odb = git.odb().unwrap();
        let mempack = odb.add_new_mempack_backend(1000).unwrap();
        let blob = git.blob(b"y\n").unwrap();
        let mut tree = git.treebuilder(None).unwrap();
        tree.insert("y", blob, 0o100644).unwrap();
        let tree = git.find_tree(tree.write().unwrap()).unwrap();
        let parent = git.find_commit(main).unwrap();
        let who = git2::Signature::now("t", "t@example.com").unwrap();
        let commit = git
            .commit(None, &who, &who, "two", &tree, &[&parent])
            .unwrap();
        let mut buf = git2::Buf::new();
        mempack.dump(&git, &mut buf).unwrap();
        assert_eq!(pack_objects(&buf), 3);
        // A stale lease writes nothing.
        assert!(!remote.push(&buf, "fleet", commit, Some(main)).unwrap());
        assert!(remote.git.find_commit(commit).is_err());
        assert!(remote.push(&buf, "fleet", commit, None).unwrap());
        let again = Repository::open_bare(dir.path().join("r.git")).unwrap();
        assert_eq!(again.refname_to_id("refs/heads/fleet").unwrap(), commit);
        assert_eq!(
            again.find_commit(commit).unwrap().parent_id(0).unwrap(),
            main
        );
        // The branch exists now: a push that expects none is refused.
        assert!(!remote.push(&buf, "fleet", commit, None).unwrap());
    }
}
