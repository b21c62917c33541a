//! A small fluent harness that drives the real `goldpath` binary, in the manner of casey/just's
//! `Test`: build the command, run it while asserting the exit code, then check the output.
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
//! `GOLDPATH_CACHE_DIR` point into a temp dir of the run's own, so neither the developer's git
//! config nor their bundle cache leaks in. libgit2 ignores `GIT_CONFIG_GLOBAL` and finds the
//! global config through `HOME` (`~/.gitconfig`) and `XDG_CONFIG_HOME` (`git/config`), so
//! [`Goldpath::git_config`] writes `$HOME/.gitconfig`, and `GIT_CONFIG_GLOBAL` names the same
//! file for the `git` command (hooks). libgit2 still reads the system config (`/etc/gitconfig`);
//! a machine whose system config names a user would change the default author. Stdin is
//! closed unless given (never a terminal), and a run is killed after [`TIMEOUT`], so a prompt
//! that should not have happened fails the test instead of hanging it. [`Goldpath::pty`] runs
//! in a pseudo-terminal instead, for the prompts.
#![allow(dead_code)] // Shared by every command's tests; not each module uses every helper.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
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

/// One `goldpath` invocation being built.
pub struct Goldpath {
    command: std::process::Command,
    stdin: Vec<u8>,
    home: TempDir,
}

impl Default for Goldpath {
    fn default() -> Self {
        Goldpath::new()
    }
}

impl Goldpath {
    pub fn new() -> Goldpath {
        let home = tempfile::tempdir().expect("temp home");
        let gitconfig = home.path().join(".gitconfig");
        std::fs::write(&gitconfig, "").expect("empty gitconfig");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_goldpath"));
        command.env_clear();
        for var in KEPT_VARS {
            if let Some(value) = std::env::var_os(var) {
                command.env(var, value);
            }
        }
        command
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("GIT_CONFIG_GLOBAL", &gitconfig)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GOLDPATH_CACHE_DIR", home.path().join("cache"));
        Goldpath {
            command,
            stdin: Vec::new(),
            home,
        }
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

    /// Bytes for stdin (a pipe, never a terminal); stdin is closed at once without this.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Goldpath {
        self.stdin = bytes.into();
        self
    }

    /// Sets `key` (e.g. `user.name`) in the run's global git config.
    pub fn git_config(self, key: &str, value: &str) -> Goldpath {
        git2::Config::open(&self.home.path().join(".gitconfig"))
            .and_then(|mut c| c.set_str(key, value))
            .expect("writing the test's gitconfig");
        self
    }

    /// Runs to completion (or [`TIMEOUT`]) without checking the exit code.
    pub fn run(self) -> Outcome {
        let mut command = assert_cmd::Command::from_std(self.command);
        command.timeout(TIMEOUT).write_stdin(self.stdin);
        let output = command.output().expect("running goldpath");
        Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
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

    /// Starts the command in a pseudo-terminal, to answer its prompts like a user.
    #[cfg(unix)]
    pub fn pty(self) -> Pty {
        let options = rexpect::reader::Options::new()
            .timeout_ms(Some(TIMEOUT.as_millis() as u64))
            .strip_ansi_escape_codes(true);
        let session = rexpect::session::spawn_with_options(self.command, options)
            .expect("starting goldpath in a pty");
        Pty {
            session,
            transcript: String::new(),
            _home: self.home,
        }
    }
}

/// What a finished run printed, and its exit code (`None` when killed, e.g. by the timeout).
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
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
    _home: TempDir,
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

/// A git repository of bundles for `--from`, built in a temp dir: commit a folder's state, tag it.
pub struct BundleRepo {
    pub dir: TempDir,
    repo: git2::Repository,
}

impl Default for BundleRepo {
    fn default() -> Self {
        BundleRepo::new()
    }
}

impl BundleRepo {
    pub fn new() -> BundleRepo {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        BundleRepo { dir, repo }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
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
        let path = self.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
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

    /// A bare clone at `dest` (a path ending in `.git`), tags included.
    pub fn bare_clone(&self, dest: &Path) {
        git2::build::RepoBuilder::new()
            .bare(true)
            .clone(&self.url(), dest)
            .unwrap();
    }
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
