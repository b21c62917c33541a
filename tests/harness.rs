//! The one harness of the integration tests, in the manner of casey/just's `Test`:
//!
//! - [`Goldpath`] runs the real binary: build the command, run it while asserting the exit code,
//!   then check the output ([`Outcome`]); or [`Goldpath::pty`] for prompts, [`Goldpath::spawn`]
//!   to kill it.
//! - [`Home`] is the isolated home of one or several runs (the upgrade tests run `new`, then
//!   `upgrade` on the same cache); [`Workspace`] is a temp folder with a home, for bundle
//!   repositories and projects.
//! - [`BundleRepo`] builds a git repository of bundles whose tags are the releases
//!   ([`BundleRepo::release`] writes one whole); [`write_bundle`] writes a folder bundle.
//! - Project helpers: [`Workspace::new_project`], [`edit_and_commit`], [`git`] (the git command
//!   without the machine's config), [`read`], [`write`], [`replace_in`], [`files`],
//!   [`snapshot`], [`stages`] / [`index_stages`], [`commits`], [`last_message`],
//!   [`assert_clean`].
//! - [`assert_text_snapshot!`](crate::assert_text_snapshot) compares a CLI output or a conflict
//!   file with an insta snapshot in `tests/snapshots/`, byte for byte.
//!
//! ```ignore
//! let tmp = tempfile::tempdir().unwrap();
//! Goldpath::new()
//!     .args(["new", "greeter", "svc", "--defaults"])
//!     .current_dir(tmp.path())
//!     .success()
//!     .stdout_contains("Created svc");
//! ```
//!
//! Every run is isolated from the machine: the environment is cleared (only `PATH` and a few
//! tooling variables are kept), and `HOME`, `XDG_CONFIG_HOME`, the global git config and
//! `GOLDPATH_CACHE_DIR` point into its [`Home`] (a temp dir of the run's own unless shared),
//! so neither the developer's git config nor their bundle cache leaks in. libgit2 ignores `GIT_CONFIG_GLOBAL` and finds the
//! global config through `HOME` (`~/.gitconfig`) and `XDG_CONFIG_HOME` (`git/config`), so
//! [`Goldpath::git_config`] writes `$HOME/.gitconfig`, and `GIT_CONFIG_GLOBAL` names the same
//! file for the `git` command (hooks). libgit2 still reads the system config (`/etc/gitconfig`);
//! a machine whose system config names a user would change the default author. Stdin is
//! closed unless given (never a terminal), and a run is killed after [`TIMEOUT`], so a prompt
//! that should not have happened fails the test instead of hanging it. [`Goldpath::pty`] runs
//! in a pseudo-terminal instead, for the prompts. Other variables are given with
//! [`Goldpath::env`] (`GOLDPATH_FAULT_AFTER_WRITES`) or passed through with
//! [`Goldpath::pass_env`].
#![allow(dead_code)] // Shared by every command's tests; not each module uses every helper.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// How long one run may take before it is killed and the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Variables passed through from the test's own environment; everything else is cleared.
const KEPT_VARS: &[&str] = &["PATH", "SYSTEMROOT", "LLVM_PROFILE_FILE", "RUST_BACKTRACE"];

/// A test bundle or file under `tests/fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// The folder of test bundles, `tests/fixtures/bundles`, as a `--from` argument.
pub fn bundles() -> String {
    fixture("bundles").display().to_string()
}

/// An isolated home for `goldpath` runs: `HOME`, `XDG_CONFIG_HOME`, the global git config
/// (`.gitconfig`, empty) and `GOLDPATH_CACHE_DIR` (`cache/`) all point into it. Cloning shares
/// it: runs started from clones see one cache and one git config. Removed when the last clone
/// (and the last run holding one) is dropped.
#[derive(Clone)]
pub struct Home(Arc<HomeDir>);

enum HomeDir {
    Own(TempDir),
    /// A folder inside a [`Workspace`], which removes it.
    In(PathBuf),
}

impl Default for Home {
    fn default() -> Self {
        Home::new()
    }
}

impl Home {
    /// A fresh home in a temp dir of its own.
    pub fn new() -> Home {
        let home = Home(Arc::new(HomeDir::Own(
            tempfile::tempdir().expect("temp home"),
        )));
        home.init();
        home
    }

    /// A fresh home at `dir` (created), removed with whatever owns `dir`.
    pub fn at(dir: PathBuf) -> Home {
        std::fs::create_dir_all(&dir).expect("creating the test's home");
        let home = Home(Arc::new(HomeDir::In(dir)));
        home.init();
        home
    }

    fn init(&self) {
        std::fs::write(self.gitconfig(), "").expect("empty gitconfig");
    }

    pub fn path(&self) -> &Path {
        match &*self.0 {
            HomeDir::Own(dir) => dir.path(),
            HomeDir::In(dir) => dir,
        }
    }

    /// `$HOME/.gitconfig`: libgit2 ignores `GIT_CONFIG_GLOBAL` and finds it through `HOME`.
    pub fn gitconfig(&self) -> PathBuf {
        self.path().join(".gitconfig")
    }

    /// `GOLDPATH_CACHE_DIR` of every run in this home.
    pub fn cache(&self) -> PathBuf {
        self.path().join("cache")
    }

    /// Sets `key` (e.g. `user.name`) in the global git config of every run in this home.
    pub fn git_config(&self, key: &str, value: &str) {
        git2::Config::open(&self.gitconfig())
            .and_then(|mut c| c.set_str(key, value))
            .expect("writing the test's gitconfig");
    }

    /// A `goldpath` run in this home.
    pub fn goldpath(&self) -> Goldpath {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_goldpath"));
        command.env_clear();
        for var in KEPT_VARS {
            if let Some(value) = std::env::var_os(var) {
                command.env(var, value);
            }
        }
        command
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .env("GIT_CONFIG_GLOBAL", self.gitconfig())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GOLDPATH_CACHE_DIR", self.cache());
        Goldpath {
            command,
            stdin: Vec::new(),
            home: self.clone(),
        }
    }
}

/// One `goldpath` invocation being built.
pub struct Goldpath {
    command: std::process::Command,
    stdin: Vec<u8>,
    home: Home,
}

impl Default for Goldpath {
    fn default() -> Self {
        Goldpath::new()
    }
}

impl Goldpath {
    /// A run in a fresh [`Home`] of its own.
    pub fn new() -> Goldpath {
        Home::new().goldpath()
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Goldpath {
        self.command.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Goldpath {
        self.command.args(args);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Goldpath {
        self.command.current_dir(dir);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Goldpath {
        self.command.env(key, value);
        self
    }

    /// Passes `key` through from the test's own environment when it is set there (e.g.
    /// `GOLDPATH_SLOW_TESTS`); the environment is otherwise cleared.
    pub fn pass_env(mut self, key: &str) -> Goldpath {
        if let Some(value) = std::env::var_os(key) {
            self.command.env(key, value);
        }
        self
    }

    /// Bytes for stdin (a pipe, never a terminal); stdin is closed at once without this.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Goldpath {
        self.stdin = bytes.into();
        self
    }

    /// Sets `key` (e.g. `user.name`) in the run's global git config (its home's: shared by
    /// every run in that home).
    pub fn git_config(self, key: &str, value: &str) -> Goldpath {
        self.home.git_config(key, value);
        self
    }

    /// Runs to completion (or [`TIMEOUT`]) without checking the exit code.
    pub fn run(self) -> Outcome {
        self.run_within(TIMEOUT)
    }

    /// [`Goldpath::run`] bounded by `timeout` instead of [`TIMEOUT`]: for a run known to take
    /// longer (`goldpath bundle test` over a bundle's whole answer matrix and upgrades).
    pub fn run_within(self, timeout: Duration) -> Outcome {
        let mut command = assert_cmd::Command::from_std(self.command);
        command.timeout(timeout).write_stdin(self.stdin);
        let output = command.output().expect("running goldpath");
        Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout_bytes: output.stdout,
        }
    }

    /// Runs and asserts exit code 0.
    #[track_caller]
    pub fn success(self) -> Outcome {
        self.code(0)
    }

    /// Runs and asserts exit code `code`.
    #[track_caller]
    pub fn code(self, code: i32) -> Outcome {
        let out = self.run();
        assert_eq!(out.code, Some(code), "unexpected exit code\n{out}");
        out
    }

    /// Starts the command and returns at once, stdin, stdout and stderr going nowhere: for a
    /// test that kills it. No timeout applies; the test waits for it.
    pub fn spawn(mut self) -> Spawned {
        let child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting goldpath");
        Spawned {
            child,
            _home: self.home,
        }
    }

    /// Starts the command in a pseudo-terminal, to answer its prompts like a user.
    #[cfg(unix)]
    pub fn pty(self) -> Pty {
        self.pty_with(true)
    }

    /// [`Goldpath::pty`] with the terminal's escape codes (colours, line erasing) kept in what
    /// `expect` sees and `finish` returns: for the tests of colour and the progress line.
    #[cfg(unix)]
    pub fn pty_raw(self) -> Pty {
        self.pty_with(false)
    }

    #[cfg(unix)]
    fn pty_with(self, strip_escapes: bool) -> Pty {
        let options = rexpect::reader::Options::new()
            .timeout_ms(Some(TIMEOUT.as_millis() as u64))
            .strip_ansi_escape_codes(strip_escapes);
        let session = rexpect::session::spawn_with_options(self.command, options)
            .expect("starting goldpath in a pty");
        Pty {
            session,
            transcript: String::new(),
            _home: self.home,
        }
    }
}

impl Goldpath {
    /// [`Goldpath::spawn`] with stderr piped (`child.stderr`): for a test that reads the
    /// progress to know when to kill.
    pub fn spawn_reading_stderr(mut self) -> Spawned {
        let child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting goldpath");
        Spawned {
            child,
            _home: self.home,
        }
    }
}

/// A run started by [`Goldpath::spawn`]; its home lives as long as it does.
pub struct Spawned {
    pub child: Child,
    _home: Home,
}

/// What a finished run printed, and its exit code (`None` when killed, e.g. by the timeout).
pub struct Outcome {
    pub code: Option<i32>,
    /// stdout, decoded lossily; [`Outcome::stdout_bytes`] holds it as it was.
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: Vec<u8>,
}

impl Outcome {
    /// Whether it exited with 0.
    pub fn is_success(&self) -> bool {
        self.code == Some(0)
    }

    #[track_caller]
    pub fn stdout_contains(&self, text: &str) -> &Outcome {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}\n{self}");
        self
    }

    #[track_caller]
    pub fn stderr_contains(&self, text: &str) -> &Outcome {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}\n{self}");
        self
    }

    #[track_caller]
    pub fn stdout_is(&self, text: &str) -> &Outcome {
        assert_eq!(self.stdout, text, "\n{self}");
        self
    }

    #[track_caller]
    pub fn stderr_is(&self, text: &str) -> &Outcome {
        assert_eq!(self.stderr, text, "\n{self}");
        self
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--- exit code: {:?}\n--- stdout:\n{}--- stderr:\n{}---",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The ↓ key, as a terminal sends it.
pub const KEY_DOWN: &str = "\x1b[B";

/// A `goldpath` run in a pseudo-terminal. Each `expect` waits (up to [`TIMEOUT`]) for text on the
/// terminal, colours stripped; send answers only after their prompt has appeared.
#[cfg(unix)]
pub struct Pty {
    session: rexpect::session::PtySession,
    /// Everything the terminal showed so far.
    transcript: String,
    _home: Home,
}

#[cfg(unix)]
impl Pty {
    #[track_caller]
    pub fn expect(&mut self, text: &str) -> &mut Pty {
        match self.session.exp_string(text) {
            Ok(before) => {
                self.transcript.push_str(&before);
                self.transcript.push_str(text);
            }
            Err(e) => panic!("waiting for {text:?} in the terminal: {e}"),
        }
        self
    }

    /// Types `line` and Enter.
    pub fn send_line(&mut self, line: &str) -> &mut Pty {
        self.session.send_line(line).expect("writing to the pty");
        self
    }

    /// Sends keys as they are, e.g. [`KEY_DOWN`] or `"y"`.
    pub fn send(&mut self, keys: &str) -> &mut Pty {
        self.session.send(keys).expect("writing to the pty");
        self.session.flush().expect("writing to the pty");
        self
    }

    /// Waits for the program to exit; returns its exit code and everything the terminal
    /// showed (colours stripped).
    #[track_caller]
    pub fn finish(mut self) -> (i32, String) {
        let rest = self
            .session
            .exp_eof()
            .unwrap_or_else(|e| panic!("waiting for goldpath to exit: {e}"));
        self.transcript.push_str(&rest);
        match self.session.process().wait() {
            Ok(rexpect::process::WaitStatus::Exited(_, code)) => (code, self.transcript),
            other => panic!(
                "goldpath did not exit normally: {other:?}\n{}",
                self.transcript
            ),
        }
    }
}

/// Every entry directly in `dir` (hidden ones too), sorted: to prove nothing was left behind.
pub fn ls(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `dir`, `/`-separated and sorted, skipping `.git`.
pub fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name() == Some(OsStr::new(".git")) {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
                out.push(parts.join("/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A file's text, panicking with its path when it cannot be read.
#[track_caller]
pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One commit of a project, as `git log` would show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    pub message: String,
    /// `name <email>`
    pub author: String,
}

/// The commits reachable from HEAD in the repository at `dir`, newest first.
pub fn commits(dir: &Path) -> Vec<Commit> {
    let repo = git2::Repository::open(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut walk = repo.revwalk().unwrap();
    walk.push_head().unwrap();
    walk.map(|id| {
        let c = repo.find_commit(id.unwrap()).unwrap();
        let a = c.author();
        Commit {
            id: c.id().to_string(),
            message: c.message().unwrap_or("").to_string(),
            author: format!("{} <{}>", a.name().unwrap_or(""), a.email().unwrap_or("")),
        }
    })
    .collect()
}

/// Asserts the work tree at `dir` has nothing to commit: no change, no untracked file.
#[track_caller]
pub fn assert_clean(dir: &Path) {
    let repo = git2::Repository::open(dir).unwrap();
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let statuses = repo.statuses(Some(&mut opts)).unwrap();
    let dirty: Vec<String> = statuses
        .iter()
        .map(|s| format!("{:?} {}", s.status(), s.path().unwrap_or("?")))
        .collect();
    assert!(
        dirty.is_empty(),
        "work tree of {} is not clean: {dirty:#?}",
        dir.display()
    );
}

/// A git repository of bundles for `--from`, built with git2: write or copy files into its work
/// tree, commit, tag; or [`BundleRepo::release`] a bundle folder whole.
pub struct BundleRepo {
    root: PathBuf,
    /// The temp dir holding the repository, unless it lives in a [`Workspace`].
    _tmp: Option<TempDir>,
    repo: git2::Repository,
}

impl Default for BundleRepo {
    fn default() -> Self {
        BundleRepo::new()
    }
}

impl BundleRepo {
    /// An empty repository in a temp dir of its own.
    pub fn new() -> BundleRepo {
        let tmp = tempfile::tempdir().unwrap();
        let mut repo = BundleRepo::at(tmp.path());
        repo._tmp = Some(tmp);
        repo
    }

    /// An empty repository at `dir` (created), on branch `main`.
    pub fn at(dir: &Path) -> BundleRepo {
        std::fs::create_dir_all(dir).unwrap();
        let repo = git2::Repository::init_opts(
            dir,
            git2::RepositoryInitOptions::new().initial_head("main"),
        )
        .unwrap();
        BundleRepo {
            root: dir.to_path_buf(),
            _tmp: None,
            repo,
        }
    }

    /// The repository at `dir`, made earlier.
    pub fn open(dir: &Path) -> BundleRepo {
        BundleRepo {
            root: dir.to_path_buf(),
            _tmp: None,
            repo: git2::Repository::open(dir).unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `file://` URL of the repository.
    pub fn url(&self) -> String {
        format!("file://{}", self.path().display())
    }

    /// Copies the fixture folder `from` to `to` in the work tree (replacing what was there).
    pub fn copy_fixture(&self, from: &str, to: &str) -> &BundleRepo {
        let dest = self.path().join(to);
        if dest.exists() {
            std::fs::remove_dir_all(&dest).unwrap();
        }
        copy_dir(&fixture(from), &dest);
        self
    }

    /// Writes one file of the work tree.
    pub fn write(&self, path: &str, text: &str) -> &BundleRepo {
        write(self.path(), &[(path, text)]);
        self
    }

    /// Writes files of the work tree (path -> text).
    pub fn write_all(&self, files: &[(&str, &str)]) -> &BundleRepo {
        write(self.path(), files);
        self
    }

    /// Removes one file of the work tree.
    pub fn remove(&self, path: &str) -> &BundleRepo {
        std::fs::remove_file(self.path().join(path)).unwrap();
        self
    }

    /// Commits the whole work tree on HEAD; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("Bundle Author", "bundles@example.com").unwrap();
        let parent = self.repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
            .to_string()
    }

    /// Tags HEAD: a lightweight tag, or an annotated one (whose own id differs from the commit's).
    pub fn tag(&self, name: &str, annotated: bool) -> &BundleRepo {
        let head = self
            .repo
            .head()
            .unwrap()
            .peel(git2::ObjectType::Commit)
            .unwrap();
        if annotated {
            let sig = git2::Signature::now("Bundle Author", "bundles@example.com").unwrap();
            self.repo.tag(name, &head, &sig, name, false).unwrap();
        } else {
            self.repo.tag_lightweight(name, &head, false).unwrap();
        }
        self
    }

    /// Commits the work tree with `tag` as message, and tags it (lightweight).
    pub fn commit_tag(&self, tag: &str) -> &BundleRepo {
        self.commit(tag);
        self.tag(tag, false)
    }

    /// Releases a bundle at the root of the repository: `bundle.toml` is `manifest`, `template/`
    /// holds exactly `files` (every earlier file is removed); `extra` may then add binary files
    /// or change modes under `template/`. Committed and tagged `tag`.
    pub fn release(
        &self,
        tag: &str,
        manifest: &str,
        files: &[(&str, &str)],
        extra: impl FnOnce(&Path),
    ) -> &BundleRepo {
        let template = self.path().join("template");
        if template.exists() {
            std::fs::remove_dir_all(&template).unwrap();
        }
        write_bundle(self.path(), manifest, files);
        extra(&template);
        self.commit_tag(tag)
    }

    /// A bare clone at `dest` (a path ending in `.git`), tags included.
    pub fn bare_clone(&self, dest: &Path) {
        git2::build::RepoBuilder::new()
            .bare(true)
            .clone(&self.url(), dest)
            .unwrap();
    }
}

/// A temp folder for one test: a [`Home`] shared by every run started from it (`home/`, the cache
/// in `home/cache`), and room for bundle repositories and projects.
pub struct Workspace {
    tmp: TempDir,
    home: Home,
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new()
    }
}

impl Workspace {
    pub fn new() -> Workspace {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::at(tmp.path().join("home"));
        Workspace { tmp, home }
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    /// `goldpath ARGS` in `dir`, in this workspace's home, to be run.
    pub fn command(&self, dir: &Path, args: &[&str]) -> Goldpath {
        self.home.goldpath().args(args).current_dir(dir)
    }

    /// Runs `goldpath ARGS` in `dir`, in this workspace's home, whatever its exit code.
    pub fn goldpath(&self, dir: &Path, args: &[&str]) -> Outcome {
        self.command(dir, args).run()
    }

    /// A bundle repository at `rel` in the workspace.
    pub fn bundle_repo(&self, rel: &str) -> BundleRepo {
        BundleRepo::at(&self.path(rel))
    }

    /// A project made in the workspace with `goldpath new ARGS --defaults --no-input` (ARGS
    /// begin with the bundle and the folder), asserting success; returns the project's folder.
    #[track_caller]
    pub fn new_project(&self, args: &[&str]) -> PathBuf {
        let mut all = vec!["new"];
        all.extend_from_slice(args);
        all.extend(["--defaults", "--no-input"]);
        self.command(self.root(), &all).success();
        self.path(args[1])
    }
}

/// `git ARGS` in `dir`, without the machine's git config; asserts success, returns stdout.
#[track_caller]
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `edits` on the project at `dir`, then commits everything as a local edit.
pub fn edit_and_commit(dir: &Path, edits: impl FnOnce(&Path)) {
    edits(dir);
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=d@example.com",
            "commit",
            "-qm",
            "local edits",
        ],
    );
}

/// The message of the last commit, as `git log -1 --format=%B` prints it.
pub fn last_message(dir: &Path) -> String {
    git(dir, &["log", "-1", "--format=%B"])
}

/// `git ls-files --stage` as (mode, stage, path) rows.
pub fn stages(dir: &Path, path: &str) -> Vec<(String, u8, String)> {
    git(dir, &["ls-files", "--stage", "--", path])
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let meta: Vec<&str> = meta.split_whitespace().collect();
            (
                meta[0].to_string(),
                meta[2].parse().unwrap(),
                path.to_string(),
            )
        })
        .collect()
}

/// The stages of `path` in the index (`[1, 2, 3]` for a conflict), from [`stages`].
pub fn index_stages(dir: &Path, path: &str) -> Vec<u8> {
    stages(dir, path)
        .into_iter()
        .map(|(_, stage, _)| stage)
        .collect()
}

/// Writes a folder bundle at `dir` (created): `bundle.toml` is `manifest`, `files` (path -> text)
/// go under `template/`.
pub fn write_bundle(dir: &Path, manifest: &str, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir.join("template")).unwrap();
    write(dir, &[("bundle.toml", manifest)]);
    write(&dir.join("template"), files);
}

/// Writes files under `root` (path -> text), making their folders.
pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Replaces the first `from` in the file at `p` with `to`, asserting `from` is there.
#[track_caller]
pub fn replace_in(p: &Path, from: &str, to: &str) {
    let text = read(p);
    assert!(
        text.contains(from),
        "{} lacks {from:?}:\n{text}",
        p.display()
    );
    std::fs::write(p, text.replacen(from, to, 1)).unwrap();
}

/// Every file of a folder (outside .git) with its bytes, to prove nothing changed.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let e = e.unwrap();
        if e.file_type().is_file() {
            out.push((
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    out
}

/// Copies a folder recursively, keeping the executable bit.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Asserts `text` against the insta snapshot `name` (in `tests/snapshots/`), byte for byte. insta
/// itself ignores trailing whitespace and reads CRLF as LF, so the snapshot holds the text with
/// each `\r` shown as `␍` and a last line `[end]` right after it: a missing or doubled final
/// newline, or a CRLF, changes the snapshot. New snapshots: run once with `INSTA_UPDATE=always`,
/// review the `.snap` files, commit them.
#[macro_export]
macro_rules! assert_text_snapshot {
    ($name:expr, $text:expr $(,)?) => {{
        let text: &str = &$text;
        insta::assert_snapshot!($name, format!("{}[end]", text.replace('\r', "␍")));
    }};
}

/// Asserts that `document` is valid against the JSON Schema `docs/{schema}` (every error listed
/// with the document). `check-report.schema.json` is registered under its `$id`, so a schema that
/// refers to it (`check-staged-report.schema.json`) resolves without a network.
#[track_caller]
pub fn assert_json_schema(schema: &str, document: &serde_json::Value) {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let load = |name: &str| -> serde_json::Value {
        serde_json::from_str(&read(docs.join(name))).expect("a schema is JSON")
    };
    let registry = jsonschema::Registry::new()
        .add(
            "https://goldpath.dev/schemas/check-report/v1",
            load("check-report.schema.json"),
        )
        .and_then(|r| r.prepare())
        .expect("the check report schema registers");
    let validator = jsonschema::options()
        .with_registry(&registry)
        .build(&load(schema))
        .expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "not valid against docs/{schema}: {errors:#?}\n{document:#}"
    );
}
