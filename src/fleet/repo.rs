//! One repository of a fleet, on git objects only: opened in place (local) or fetched into
//! goldpath's cache (URL), its default branch read, its fleet branch written as a ref and pushed
//! with the `git` command. The work tree, index and HEAD of a local repository are never
//! touched: the upgrade's commit is made from its objects and only `refs/heads/BRANCH` moves.

use super::local_remote::{self, LocalRemote};
use super::lock::RepoLock;
use super::repos::{stable_hash, RepoLocation, RepoRef};
use crate::tree::{File, RelPath};
use git2::{Oid, Repository};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The trailer of every commit a fleet makes: with goldpath as committer, it tells goldpath's
/// commit on a fleet branch from one a person made (or amended).
pub const TRAILER: &str = "Goldpath-Fleet-Branch";

/// A repository opened for a fleet run.
pub struct Opened {
    pub git: Repository,
    /// The git directory (for the `git` command).
    pub git_dir: PathBuf,
    /// Where a project's folder is said to be (the work tree, or the cache).
    pub root: PathBuf,
    /// Where `--push` pushes, and the pull request's remote: the URL, or a local repository's
    /// `origin`.
    pub remote: Option<String>,
    /// A `file://` remote read and written in-process (see [`local_remote`]); `None`: the
    /// `git` command fetches and pushes.
    pub local_remote: Option<LocalRemote>,
    /// Held while the run works on the repository.
    _lock: Option<RepoLock>,
}

/// Opens `repo`: a local one in place, a URL fetched (incrementally) into the cache. With
/// `lock`, takes the repository's lock first.
pub fn open(repo: &RepoRef, lock: bool) -> Result<Opened, String> {
    open_for(repo, lock, None)
}

/// [`open`], fetching the fleet branch `branch` as well (a URL's cache then knows where the
/// remote has it, for the push's lease).
pub fn open_for(repo: &RepoRef, lock: bool, branch: Option<&str>) -> Result<Opened, String> {
    match &repo.location {
        RepoLocation::Local(path) => {
            let git = Repository::open(path).map_err(|e| {
                format!(
                    "{} is not a git repository: {}",
                    path.display(),
                    e.message()
                )
            })?;
            let git_dir = git.path().to_path_buf();
            let lock = lock
                .then(|| RepoLock::take(&git_dir.join("goldpath").join("fleet.lock")))
                .transpose()?;
            let remote = git
                .find_remote("origin")
                .ok()
                .and_then(|r| r.url().ok().map(str::to_string));
            Ok(Opened {
                root: git.workdir().unwrap_or(&git_dir).to_path_buf(),
                git,
                git_dir,
                remote,
                local_remote: None,
                _lock: lock,
            })
        }
        RepoLocation::Url(url) => {
            if url.starts_with('-') {
                return Err("a URL cannot start with `-`".into());
            }
            for credential in crate::redact::credentials_of(url) {
                crate::redact::remember(&credential);
            }
            // Keyed by the URL without credentials, so no token is in a folder's name.
            let key = format!("{:016x}", stable_hash(&repo.identity));
            let git_dir = crate::git::cache_dir()
                .join("fleet")
                .join(format!("{key}.git"));
            let lock = lock
                .then(|| RepoLock::take(&git_dir.with_extension("lock")))
                .transpose()?;
            // A remote on this disk that `git push` would treat as plain storage is read and
            // written in-process, through a cache of its own (its objects borrowed, never
            // copied), so the two kinds of cache never mix.
            let (git, git_dir, local_remote) = match local_remote::open(url) {
                Ok(remote) => {
                    let dir = git_dir.with_extension("local.git");
                    (remote.fetch_into(&dir, branch)?, dir, Some(remote))
                }
                Err(_) => (fetch(url, &git_dir, branch)?, git_dir, None),
            };
            Ok(Opened {
                root: git_dir.clone(),
                git,
                git_dir,
                remote: Some(url.clone()),
                local_remote,
                _lock: lock,
            })
        }
    }
}

/// `git` without a terminal to prompt on: a missing credential fails instead of waiting.
fn git_command(git_dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .arg("--git-dir")
        .arg(git_dir);
    cmd
}

/// How long one `git` command of a fleet may run: `GOLDPATH_FLEET_GIT_TIMEOUT` seconds, else
/// 10 minutes. A remote that accepts the connection and never answers would otherwise hold
/// its worker, and the run, for ever.
fn git_timeout() -> Duration {
    let seconds = std::env::var("GOLDPATH_FLEET_GIT_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(600);
    Duration::from_secs(seconds)
}

/// `cmd`'s output, or `None` when it ran longer than `limit` (then it is killed). Its output is
/// read on threads while it runs, so a full pipe never stalls it.
fn output_within(mut cmd: Command, limit: Duration) -> std::io::Result<Option<Output>> {
    use std::io::Read;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let read_all = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = read_all(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = read_all(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    // Polled every 2 ms: a fetch takes tens of milliseconds, and each look costs microseconds
    // (a longer pause was measured adding its half to every fetch).
    let pause = Duration::from_millis(2);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(pause);
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(status.map(|status| Output {
        status,
        stdout,
        stderr,
    }))
}

/// When the `git` commands of one repository's fetch must be done by: [`git_timeout`] from its
/// start, for all of them together. A narrow fetch that times out is followed by a full one
/// (see [`fetch`]), and the default branch may be asked for after that: each with a timeout
/// of its own, a remote that never answers held its worker for two or three timeouts.
#[derive(Debug, Clone, Copy)]
struct GitDeadline {
    at: Instant,
    limit: Duration,
}

impl GitDeadline {
    fn start() -> GitDeadline {
        let limit = git_timeout();
        GitDeadline {
            at: Instant::now() + limit,
            limit,
        }
    }
}

/// Runs `cmd` (until `deadline` at the latest); its error output, credentials masked, when it
/// fails.
fn run_git(cmd: Command, what: &str, deadline: GitDeadline) -> Result<String, String> {
    let timed_out = || format!("{what}: timed out after {} s", deadline.limit.as_secs());
    let left = deadline.at.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(timed_out());
    }
    let out = output_within(cmd, left)
        .map_err(|e| format!("{what}: cannot run git: {e}"))?
        .ok_or_else(timed_out)?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(crate::redact::redact(&format!(
        "{what}: {}",
        stderr.trim().replace('\n', "; ")
    )))
}

/// Where a cache keeps the commit of the remote's `HEAD`, fetched with the branches: the
/// default branch is the one branch at that commit.
const REMOTE_HEAD: &str = "refs/goldpath/remote-head";

/// Fetches `url` into the bare repository `git_dir` (made if need be) with the `git` command
/// (the user's credential helpers and ssh agent), and points its HEAD at the remote's default
/// branch. The URL is never stored: not in a remote, not in `FETCH_HEAD`.
///
/// One `git` process in the usual case, where there used to be two (`ls-remote --symref` for
/// the default branch's name, then `fetch`): the remote's `HEAD` is fetched with the branches,
/// and the default branch is the branch at its commit. The first fetch takes every branch;
/// later ones only the default branch the cache learned and the fleet branch (a pattern, so a
/// branch the remote does not have is no error, and `--prune` drops one it deleted). Only
/// when the answer is not certain (two branches at `HEAD`'s commit, or `HEAD` no longer where
/// the known default branch is) does `ls-remote --symref` ask the remote for the name.
fn fetch(url: &str, git_dir: &Path, branch: Option<&str>) -> Result<Repository, String> {
    let masked = crate::redact::mask_url(url);
    let (git, new) = match Repository::open_bare(git_dir) {
        Ok(git) => (git, false),
        Err(_) => (
            Repository::init_bare(git_dir).map_err(|e| {
                format!(
                    "cannot make the cache {}: {}",
                    git_dir.display(),
                    e.message()
                )
            })?,
            true,
        ),
    };
    // A fetch ends by starting `git maintenance run --auto`, one more process, which in a cache
    // made just now finds nothing to pack; later fetches let it run, so a cache used for many
    // campaigns is packed as git packs any repository.
    let maintenance = if new {
        "--no-auto-maintenance"
    } else {
        "--auto-maintenance"
    };
    let deadline = GitDeadline::start();
    let fetch_refs =
        |refspecs: &[String]| fetch_refs(url, git_dir, maintenance, refspecs, deadline);
    let commit_of = |name: &str| git.refname_to_id(name).ok();
    // The default branch an earlier fetch learned: the cache's HEAD, once it names a branch the
    // cache has (a new cache's HEAD names a branch that does not exist).
    let known = git
        .find_reference("HEAD")
        .ok()
        .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string))
        .filter(|name| commit_of(name).is_some());
    let head = format!("+HEAD:{REMOTE_HEAD}");
    let everything = [head.clone(), "+refs/heads/*:refs/heads/*".to_string()];
    // Whether every branch was fetched: only then is "the one branch at HEAD's commit" sure
    // (a narrow fetch leaves the cache's other branches as an earlier run saw them).
    let mut all_branches = known.is_none();
    let fetched = match &known {
        Some(default) => {
            let mut refspecs = vec![head.clone(), format!("+{default}:{default}")];
            if let Some(branch) = branch {
                refspecs.push(format!("+refs/heads/{branch}*:refs/heads/{branch}*"));
            }
            // The default branch the cache knows may be gone from the remote: then fetch
            // everything, as the first time.
            fetch_refs(&refspecs).or_else(|_| {
                all_branches = true;
                fetch_refs(&everything)
            })
        }
        None => fetch_refs(&everything),
    };
    fetched.map_err(|e| match e {
        FetchError::NoHead => format!("{masked} has no default branch (is it empty?)"),
        FetchError::Git(message) => format!("cannot reach {masked}: {message}"),
    })?;
    let head = commit_of(REMOTE_HEAD)
        .ok_or_else(|| format!("{masked} has no default branch (is it empty?)"))?;
    let default = match known.filter(|name| commit_of(name) == Some(head)) {
        Some(default) => default,
        None => {
            let at_head: Vec<String> = match all_branches {
                true => git
                    .references_glob("refs/heads/*")
                    .map_err(|e| format!("reading the cache of {masked}: {}", e.message()))?
                    .flatten()
                    .filter(|r| r.target() == Some(head))
                    .filter_map(|r| r.name().ok().map(str::to_string))
                    .collect(),
                false => Vec::new(),
            };
            match at_head.as_slice() {
                [one] => one.clone(),
                _ => {
                    let name = default_branch_of(url, git_dir, &masked, deadline)?;
                    // HEAD names it, so it is at HEAD's commit, fetched above.
                    git.reference(&name, head, true, "goldpath fleet: the default branch")
                        .map_err(|e| {
                            format!("cannot record {masked}'s default branch: {}", e.message())
                        })?;
                    name
                }
            }
        }
    };
    git.set_head(&default)
        .map_err(|e| format!("cannot record {masked}'s default branch: {}", e.message()))?;
    Ok(git)
}

enum FetchError {
    /// The remote has no `HEAD`: it is empty, or its `HEAD` names a branch it does not have.
    NoHead,
    Git(String),
}

/// `git fetch` of `refspecs` from `url` into `git_dir`: no tags, no `FETCH_HEAD`, pruning the
/// refs the refspecs cover that the remote no longer has.
fn fetch_refs(
    url: &str,
    git_dir: &Path,
    maintenance: &str,
    refspecs: &[String],
    deadline: GitDeadline,
) -> Result<(), FetchError> {
    let mut fetch = git_command(git_dir);
    fetch
        .args([
            "fetch",
            "--quiet",
            "--prune",
            "--no-tags",
            "--no-write-fetch-head",
            maintenance,
            "--",
            url,
        ])
        .args(refspecs);
    run_git(fetch, "git fetch", deadline)
        .map(|_| ())
        .map_err(|e| {
            if e.contains("couldn't find remote ref HEAD") {
                FetchError::NoHead
            } else {
                FetchError::Git(e.trim_start_matches("git fetch: ").to_string())
            }
        })
}

/// The remote's default branch (`refs/heads/NAME`), asked with `ls-remote --symref`.
fn default_branch_of(
    url: &str,
    git_dir: &Path,
    masked: &str,
    deadline: GitDeadline,
) -> Result<String, String> {
    let mut ls = git_command(git_dir);
    ls.args(["ls-remote", "--symref", "--", url, "HEAD"]);
    let heads = run_git(ls, &format!("cannot reach {masked}"), deadline)?;
    heads
        .lines()
        .find_map(|l| l.strip_prefix("ref: ")?.split_once('\t'))
        .map(|(r, _)| r.to_string())
        .filter(|r| r.starts_with("refs/heads/"))
        .ok_or_else(|| format!("{masked} has no default branch (is it empty?)"))
}

/// The branch an upgrade starts from: a cache's HEAD (the remote's default branch); for a
/// local repository, the branch `origin/HEAD` names, else `init.defaultBranch`, `main` or
/// `master`, else the branch checked out. Returns its name and commit.
pub fn base_branch(opened: &Opened, local: bool) -> Result<(String, Oid), String> {
    let git = &opened.git;
    let commit_of = |r: &str| {
        git.find_reference(r)
            .ok()
            .and_then(|r| r.peel_to_commit().ok())
            .map(|c| c.id())
    };
    let mut names = Vec::new();
    if !local {
        if let Ok(head) = git.find_reference("HEAD") {
            if let Some(target) = head.symbolic_target().ok().flatten() {
                names.push(target.trim_start_matches("refs/heads/").to_string());
            }
        }
    } else {
        if let Ok(r) = git.find_reference("refs/remotes/origin/HEAD") {
            if let Some(target) = r.symbolic_target().ok().flatten() {
                names.push(
                    target
                        .trim_start_matches("refs/remotes/origin/")
                        .to_string(),
                );
            }
        }
        if let Ok(name) = git
            .config()
            .and_then(|c| c.get_string("init.defaultBranch"))
        {
            names.push(name);
        }
        names.extend(["main".to_string(), "master".to_string()]);
        if let Ok(head) = git.find_reference("HEAD") {
            if let Some(target) = head.symbolic_target().ok().flatten() {
                names.push(target.trim_start_matches("refs/heads/").to_string());
            }
        }
    }
    for name in names {
        let found = commit_of(&format!("refs/heads/{name}")).or_else(|| {
            local
                .then(|| commit_of(&format!("refs/remotes/origin/{name}")))
                .flatten()
        });
        if let Some(id) = found {
            return Ok((name, id));
        }
    }
    Err("no default branch with a commit was found (origin/HEAD, main, master)".into())
}

/// The fleet branch as it is: its commit, and whether goldpath made it.
pub struct ExistingBranch {
    pub id: Oid,
    pub goldpaths: bool,
    pub parent: Option<Oid>,
    pub tree: Oid,
}

pub fn existing_branch(git: &Repository, branch: &str) -> Option<ExistingBranch> {
    let commit = git
        .find_reference(&format!("refs/heads/{branch}"))
        .ok()?
        .peel_to_commit()
        .ok()?;
    let committer = commit.committer();
    let goldpaths = committer.email().ok() == Some(crate::git::DEFAULT_AUTHOR.1)
        && commit
            .message()
            .is_ok_and(|m| m.lines().any(|l| l == format!("{TRAILER}: {branch}")));
    Some(ExistingBranch {
        id: commit.id(),
        goldpaths,
        parent: commit.parent_ids().next(),
        tree: commit.tree_id(),
    })
}

/// Whether a local repository has `branch` checked out (its work tree would have to change).
pub fn is_checked_out(git: &Repository, branch: &str) -> bool {
    git.find_reference("HEAD")
        .ok()
        .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string))
        .is_some_and(|t| t == format!("refs/heads/{branch}"))
}

/// The tree of `base` with `edits` (paths relative to the repository; `None` removes) made, in
/// an index in memory: nothing of the repository's own index or work tree is read or written.
pub fn edited_tree(
    git: &Repository,
    base: Oid,
    edits: &[(String, Option<File>)],
) -> Result<Oid, String> {
    fn fail(what: &str) -> impl FnOnce(git2::Error) -> String + '_ {
        move |e| format!("{what}: {}", e.message())
    }
    let base_tree = git
        .find_commit(base)
        .and_then(|c| c.tree())
        .map_err(fail("reading the base branch"))?;
    let mut index = git2::Index::new().map_err(fail("making an index"))?;
    index
        .read_tree(&base_tree)
        .map_err(fail("reading the base branch"))?;
    // Removals first, so a file that becomes a folder (or the reverse) has room.
    for (path, _) in edits.iter().filter(|(_, f)| f.is_none()) {
        let _ = index.remove_path(Path::new(path));
    }
    for (path, file) in edits {
        let Some(file) = file else { continue };
        let _ = index.remove_dir(Path::new(path), 0);
        let id = git
            .blob(&file.bytes)
            .map_err(fail(&format!("storing {path}")))?;
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: if file.executable { 0o100755 } else { 0o100644 },
            uid: 0,
            gid: 0,
            file_size: file.bytes.len() as u32,
            id,
            flags: path.len().min(0xfff) as u16,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index
            .add(&entry)
            .map_err(fail(&format!("staging {path}")))?;
    }
    index.write_tree_to(git).map_err(fail("writing the tree"))
}

/// Commits `tree` on `base` (author: who git config names, else goldpath; committer: goldpath,
/// which with the trailer marks the commit as goldpath's); no ref moves (see [`move_branch`]).
pub fn make_commit(
    git: &Repository,
    branch: &str,
    base: Oid,
    tree: Oid,
    message: &str,
) -> Result<Oid, String> {
    let fail = |what: &'static str| move |e: git2::Error| format!("{what}: {}", e.message());
    let committer =
        git2::Signature::now(crate::git::DEFAULT_AUTHOR.0, crate::git::DEFAULT_AUTHOR.1)
            .map_err(fail("making the committer"))?;
    let author = git.signature().unwrap_or_else(|_| committer.clone());
    let tree = git.find_tree(tree).map_err(fail("reading the tree"))?;
    let parent = git
        .find_commit(base)
        .map_err(fail("reading the base branch"))?;
    let message = format!("{message}\n{TRAILER}: {branch}\n");
    git.commit(None, &author, &committer, &message, &tree, &[&parent])
        .map_err(fail("committing"))
}

/// Moves `refs/heads/BRANCH` to `commit`, only if the branch is still at `expected` (`None`: it
/// must not exist).
pub fn move_branch(
    git: &Repository,
    branch: &str,
    commit: Oid,
    expected: Option<Oid>,
) -> Result<(), String> {
    crate::fault::point();
    let name = format!("refs/heads/{branch}");
    let log = "goldpath fleet upgrade";
    match expected {
        Some(old) => git.reference_matching(&name, commit, true, old, log),
        None => git.reference(&name, commit, false, log),
    }
    .map(|_| ())
    .map_err(|e| {
        format!(
            "moving the branch (did another process move it?): {}",
            e.message()
        )
    })
}

/// Keeps the objects a cache writes in memory until they are wanted on disk, where they go as
/// one pack ([`new_objects`], [`keep_objects`]) instead of a file and a rename per object
/// (issue #12). A local repository's objects are written as before, one file each.
pub fn objects_in_memory(git: &Repository) -> Result<(), String> {
    let fail = |e: git2::Error| format!("opening the objects: {}", e.message());
    // The store owns the backend once added: it stays with `git` after this returns.
    let odb = git.odb().map_err(fail)?;
    odb.add_new_mempack_backend(1000).map_err(fail)?;
    Ok(())
}

/// The objects of `commit` that `hide` (commits the remote has) lack, as one pack.
pub fn new_objects(git: &Repository, commit: Oid, hide: &[Oid]) -> Result<Vec<u8>, String> {
    let fail = |e: git2::Error| format!("packing the upgrade's objects: {}", e.message());
    let mut walk = git.revwalk().map_err(fail)?;
    walk.push(commit).map_err(fail)?;
    for id in hide {
        // A commit the cache cannot read hides nothing: the pack is only larger.
        let _ = walk.hide(*id);
    }
    let mut builder = git.packbuilder().map_err(fail)?;
    builder.insert_walk(&mut walk).map_err(fail)?;
    let mut buf = git2::Buf::new();
    builder.write_buf(&mut buf).map_err(fail)?;
    Ok(buf.to_vec())
}

/// Writes `pack` into the repository's own `objects/pack` (not the memory of
/// [`objects_in_memory`], not an alternate).
pub fn keep_objects(git: &Repository, pack: &[u8]) -> Result<(), String> {
    use std::io::Write;
    if local_remote::pack_objects(pack) == 0 {
        return Ok(());
    }
    let fail = |e: String| format!("writing the upgrade's objects: {e}");
    let odb = git.odb().map_err(|e| fail(e.message().to_string()))?;
    let mut writer = odb
        .packwriter()
        .map_err(|e| fail(e.message().to_string()))?;
    writer.write_all(pack).map_err(|e| fail(e.to_string()))?;
    writer
        .commit()
        .map(|_| ())
        .map_err(|e| fail(e.message().to_string()))
}

/// Why a push did not happen.
#[derive(Debug, PartialEq)]
pub enum PushError {
    /// The remote's branch is no longer at the commit it was fetched at (`None`: it has the
    /// branch now, which it did not have): somebody pushed to it since. Nothing was pushed.
    Moved,
    /// Anything else: git's message, credentials masked.
    Failed(String),
}

/// Pushes `commit` to `refs/heads/BRANCH` of `remote`, only over the commit the remote was
/// last seen with there (`expected`; `None`: the remote must not have the branch).
///
/// One `git push`, one ref, no separate `ls-remote` to look at the branch first: the lease
/// (`--force-with-lease=REF:EXPECTED`) is checked by the remote in the same exchange, and
/// refuses the push (`[rejected] (stale info)`, which `--porcelain` reports on stdout) when a
/// person pushed to the branch after it was fetched.
///
/// A remote opened in-process ([`Opened::local_remote`]) gets `pack` (the objects it lacks)
/// and the same lease, checked under the ref's lock.
pub fn push(
    opened: &Opened,
    pack: &[u8],
    branch: &str,
    commit: Oid,
    expected: Option<Oid>,
) -> Result<(), PushError> {
    if let Some(local) = &opened.local_remote {
        return match local.push(pack, branch, commit, expected) {
            Ok(true) => Ok(()),
            Ok(false) => Err(PushError::Moved),
            Err(e) => Err(PushError::Failed(format!("cannot push {branch}: {e}"))),
        };
    }
    let remote = opened.remote.as_deref().ok_or_else(|| {
        PushError::Failed("the repository has no remote `origin` to push to".into())
    })?;
    let masked = crate::redact::mask_url(remote);
    let lease = format!(
        "--force-with-lease=refs/heads/{branch}:{}",
        expected.map(|id| id.to_string()).unwrap_or_default()
    );
    let mut cmd = git_command(&opened.git_dir);
    cmd.args([
        "push",
        "--quiet",
        "--porcelain",
        "--no-verify",
        &lease,
        "--",
        remote,
    ])
    .arg(format!("{commit}:refs/heads/{branch}"));
    let out = cmd.output().map_err(|e| {
        PushError::Failed(format!(
            "cannot push {branch} to {masked}: cannot run git: {e}"
        ))
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout
        .lines()
        .any(|l| l.starts_with('!') && l.ends_with("(stale info)"))
    {
        return Err(PushError::Moved);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(PushError::Failed(crate::redact::redact(&format!(
        "cannot push {branch} to {masked}: {}",
        stderr.trim().replace('\n', "; ")
    ))))
}

/// The commit the remote has at `refs/heads/BRANCH`, as last fetched: a cache mirrors the
/// remote's branches; a local repository has `origin/BRANCH`.
pub fn remote_branch(opened: &Opened, branch: &str, local: bool) -> Option<Oid> {
    let name = if local {
        format!("refs/remotes/origin/{branch}")
    } else {
        format!("refs/heads/{branch}")
    };
    opened
        .git
        .find_reference(&name)
        .ok()
        .and_then(|r| r.target())
}

/// A project's path relative to the repository.
pub fn in_repo(prefix: &str, path: &RelPath) -> String {
    format!("{prefix}{path}")
}
