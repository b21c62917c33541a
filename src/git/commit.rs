//! A commit made as `git commit` makes it: the author and committer git would name, the
//! repository's `pre-commit`, `commit-msg` and `post-commit` hooks (unless the user said
//! `--no-verify`), and a signature when `commit.gpgsign` asks for one, made by the user's own
//! signing program (`gpg.program`, `gpg.ssh.program`) with their key (`user.signingkey`).
//!
//! Everything is read once ([`CommitSettings::read`]); with no hook and no signing the commit
//! costs nothing more than before (`new` is measured against kickstart).

use super::{config, err, Error};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Who commits when git config names nobody, so `new` works on a fresh CI machine.
pub const DEFAULT_AUTHOR: (&str, &str) = ("goldpath", "goldpath@localhost");

/// Whether goldpath runs the repository's hooks on its commits (`--no-verify` says no).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verify {
    #[default]
    RunHooks,
    NoVerify,
}

/// A hook that refused the commit, with what it printed.
#[derive(Debug, Clone)]
pub struct HookFailure {
    /// `pre-commit` or `commit-msg`.
    pub hook: &'static str,
    pub path: PathBuf,
    pub status: String,
    /// Its standard output then its standard error, as git shows them (both on stderr).
    pub output: String,
}

/// How goldpath's commits in one repository are made, read from git config and the environment.
pub struct CommitSettings {
    pub author: git2::Signature<'static>,
    pub committer: git2::Signature<'static>,
    signer: Option<Signer>,
    hooks: Hooks,
}

/// The hooks that exist (an executable file) in the repository's hooks folder.
#[derive(Default)]
struct Hooks {
    pre_commit: Option<PathBuf>,
    commit_msg: Option<PathBuf>,
    post_commit: Option<PathBuf>,
}

impl CommitSettings {
    /// Reads the settings for `repo`, whose work tree is `workdir`.
    pub fn read(repo: &git2::Repository, verify: Verify) -> Result<CommitSettings, Error> {
        let config = config::open(Some(repo))?;
        let workdir = repo.workdir().unwrap_or(repo.path());
        CommitSettings::from_config(&config, repo.path(), workdir, verify)
    }

    /// The settings `config` gives for the repository at `git_dir` with the work tree
    /// `workdir`, which may not be written yet: `new` reads them before it makes the
    /// repository, whose own config names none of them.
    pub fn from_config(
        config: &git2::Config,
        git_dir: &Path,
        workdir: &Path,
        verify: Verify,
    ) -> Result<CommitSettings, Error> {
        let author = identity(config, "AUTHOR")?;
        let committer = identity(config, "COMMITTER")?;
        let signer = Signer::configured(config, &committer)?;
        let hooks = match verify {
            Verify::NoVerify => Hooks::default(),
            Verify::RunHooks => {
                let dir = hooks_dir_at(git_dir, workdir, config);
                let find = |name: &str| Some(dir.join(name)).filter(|p| is_executable(p));
                Hooks {
                    pre_commit: find("pre-commit"),
                    commit_msg: find("commit-msg"),
                    post_commit: find("post-commit"),
                }
            }
        };
        Ok(CommitSettings {
            author,
            committer,
            signer,
            hooks,
        })
    }

    /// Whether a hook runs before the commit (the caller then needs an index on disk for it).
    pub fn has_hooks_before(&self) -> bool {
        self.hooks.pre_commit.is_some() || self.hooks.commit_msg.is_some()
    }

    /// Whether commits are signed (`commit.gpgsign`): the signing program then runs on the
    /// commit's bytes.
    pub fn signs(&self) -> bool {
        self.signer.is_some()
    }

    /// Runs `pre-commit`, then `commit-msg` on `message` (written to `.git/COMMIT_EDITMSG`, as
    /// git does, which the hook may rewrite), in `workdir` with `GIT_INDEX_FILE` set to `index`.
    /// Returns the message to commit, or the hook that refused.
    pub fn run_hooks_before(
        &self,
        repo: &git2::Repository,
        workdir: &Path,
        index: &Path,
        message: &str,
    ) -> Result<Result<String, HookFailure>, Error> {
        let msg_file = repo.path().join("COMMIT_EDITMSG");
        std::fs::write(&msg_file, message).map_err(|e| io_error(&msg_file, e))?;
        if let Some(hook) = &self.hooks.pre_commit {
            if let Err(failure) = run_hook("pre-commit", hook, &[], workdir, index)? {
                return Ok(Err(failure));
            }
        }
        let Some(hook) = &self.hooks.commit_msg else {
            return Ok(Ok(message.to_string()));
        };
        if let Err(failure) = run_hook("commit-msg", hook, &[&msg_file], workdir, index)? {
            return Ok(Err(failure));
        }
        let message = std::fs::read_to_string(&msg_file).map_err(|e| io_error(&msg_file, e))?;
        Ok(Ok(message))
    }

    /// Runs `post-commit`. Like git, its exit status changes nothing: the commit is made.
    pub fn run_post_commit(&self, workdir: &Path, index: &Path) -> Result<(), Error> {
        if let Some(hook) = &self.hooks.post_commit {
            run_hook("post-commit", hook, &[], workdir, index)?.ok();
        }
        Ok(())
    }

    /// The commit object `bytes` (as written without a signature) signed, when signing is
    /// configured; else `bytes` as they are.
    pub fn sign(&self, bytes: Vec<u8>) -> Result<Vec<u8>, Error> {
        match &self.signer {
            None => Ok(bytes),
            Some(signer) => {
                let signature = signer.sign(&bytes)?;
                Ok(with_signature(&bytes, &signature))
            }
        }
    }

    /// Settings that commit as `sig`, with no hook and no signature.
    #[cfg(test)]
    pub(super) fn unsigned(sig: &git2::Signature) -> CommitSettings {
        CommitSettings {
            author: sig.to_owned(),
            committer: sig.to_owned(),
            signer: None,
            hooks: Hooks::default(),
        }
    }
}

/// The folder git runs `repo`'s hooks from: `core.hooksPath` (relative to the work tree), else
/// `.git/hooks`.
pub(super) fn hooks_dir_of(repo: &git2::Repository, config: &git2::Config) -> PathBuf {
    hooks_dir_at(repo.path(), repo.workdir().unwrap_or(repo.path()), config)
}

/// [`hooks_dir_of`] the repository at `git_dir` with the work tree `workdir`.
fn hooks_dir_at(git_dir: &Path, workdir: &Path, config: &git2::Config) -> PathBuf {
    match config::path_value(config, "core.hooksPath") {
        Some(p) if p.is_absolute() => p,
        Some(p) => workdir.join(p),
        None => git_dir.join("hooks"),
    }
}

#[cfg(unix)]
pub(super) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
pub(super) fn is_executable(path: &Path) -> bool {
    path.is_file()
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Git {
        context: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Runs one hook as git does: in the work tree, stdin empty, `GIT_INDEX_FILE` naming the index
/// being committed, `GIT_EDITOR=:` (no editor is opened).
fn run_hook(
    name: &'static str,
    hook: &Path,
    args: &[&Path],
    workdir: &Path,
    index: &Path,
) -> Result<Result<(), HookFailure>, Error> {
    let output = Command::new(hook)
        .args(args)
        .current_dir(workdir)
        .env("GIT_INDEX_FILE", index)
        .env("GIT_EDITOR", ":")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Git {
            context: format!("running the {name} hook {}", hook.display()),
            message: format!("{e} (does it start with a #! line?)"),
        })?;
    if output.status.success() {
        return Ok(Ok(()));
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(Err(HookFailure {
        hook: name,
        path: hook.to_path_buf(),
        status: output.status.to_string(),
        output: text,
    }))
}

/// The author (`who` = `AUTHOR`) or committer as git names them: `GIT_<who>_NAME`,
/// `GIT_<who>_EMAIL` and `GIT_<who>_DATE` first, then `user.name` / `user.email` (and `EMAIL`),
/// else [`DEFAULT_AUTHOR`].
fn identity(config: &git2::Config, who: &str) -> Result<git2::Signature<'static>, Error> {
    let var = |key: &str| std::env::var(format!("GIT_{who}_{key}")).ok();
    let name = var("NAME")
        .or_else(|| config.get_string("user.name").ok())
        .unwrap_or_else(|| DEFAULT_AUTHOR.0.to_string());
    let email = var("EMAIL")
        .or_else(|| config.get_string("user.email").ok())
        .or_else(|| std::env::var("EMAIL").ok())
        .unwrap_or_else(|| DEFAULT_AUTHOR.1.to_string());
    let context = || format!("the commit's {}", who.to_ascii_lowercase());
    match var("DATE") {
        None => git2::Signature::now(&name, &email).map_err(err(context())),
        Some(date) => {
            let (seconds, offset) = parse_date(&date).ok_or_else(|| Error::Git {
                context: format!("GIT_{who}_DATE"),
                message: format!(
                    "`{date}` is not a date goldpath reads; use `@SECONDS +HHMM` (e.g. `@1700000000 +0000`)"
                ),
            })?;
            git2::Signature::new(&name, &email, &git2::Time::new(seconds, offset))
                .map_err(err(context()))
        }
    }
}

/// git's internal date format, `[@]SECONDS +HHMM`: seconds and the offset in minutes.
fn parse_date(date: &str) -> Option<(i64, i32)> {
    let (seconds, zone) = date.trim().split_once(' ')?;
    let seconds: i64 = seconds.strip_prefix('@').unwrap_or(seconds).parse().ok()?;
    let zone = zone.trim();
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some((seconds, sign * (hours * 60 + minutes)))
}

/// A signing program and key, as `commit.gpgsign` and `gpg.format` configure them.
enum Signer {
    /// `gpg.format` openpgp (gpg) or x509 (gpgsm): `PROGRAM --status-fd=2 -bsau KEY`.
    Gpg { program: String, key: String },
    /// `gpg.format` ssh: `ssh-keygen -Y sign -n git -f KEY FILE`.
    Ssh { program: String, key: String },
}

impl Signer {
    fn configured(
        config: &git2::Config,
        committer: &git2::Signature,
    ) -> Result<Option<Signer>, Error> {
        if !config.get_bool("commit.gpgsign").unwrap_or(false) {
            return Ok(None);
        }
        let format = config
            .get_string("gpg.format")
            .unwrap_or_else(|_| "openpgp".into());
        let key = config.get_string("user.signingkey").ok();
        let program = |keys: &[&str], default: &str| {
            keys.iter()
                .find_map(|k| config.get_string(k).ok())
                .unwrap_or_else(|| default.to_string())
        };
        let ident = || {
            format!(
                "{} <{}>",
                String::from_utf8_lossy(committer.name_bytes()),
                String::from_utf8_lossy(committer.email_bytes())
            )
        };
        Ok(Some(match format.as_str() {
            "openpgp" => Signer::Gpg {
                program: program(&["gpg.openpgp.program", "gpg.program"], "gpg"),
                key: key.unwrap_or_else(ident),
            },
            "x509" => Signer::Gpg {
                program: program(&["gpg.x509.program"], "gpgsm"),
                key: key.unwrap_or_else(ident),
            },
            "ssh" => Signer::Ssh {
                program: program(&["gpg.ssh.program"], "ssh-keygen"),
                key: key.ok_or_else(|| Error::Git {
                    context: "commit.gpgsign".into(),
                    message: "gpg.format is ssh but user.signingkey names no key; set it with `git config user.signingkey ~/.ssh/id_ed25519.pub`".into(),
                })?,
            },
            other => {
                return Err(Error::Git {
                    context: "git config gpg.format".into(),
                    message: format!("`{other}` is not a signing format git knows (openpgp, x509, ssh)"),
                })
            }
        }))
    }

    /// The detached, armored signature of `payload`.
    fn sign(&self, payload: &[u8]) -> Result<String, Error> {
        match self {
            Signer::Gpg { program, key } => {
                let mut child = Command::new(program)
                    .args(["--status-fd=2", "-bsau", key])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|e| sign_error(program, e.to_string()))?;
                // Written whole before reading: gpg reads all of its input before it writes.
                // A gpg that gave up early (no such key) closes its input: what it said on
                // stderr is the error then, not the broken pipe.
                if let Some(mut stdin) = child.stdin.take() {
                    match stdin.write_all(payload) {
                        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                            return Err(sign_error(program, e.to_string()))
                        }
                        _ => {}
                    }
                }
                let out = child
                    .wait_with_output()
                    .map_err(|e| sign_error(program, e.to_string()))?;
                let status = String::from_utf8_lossy(&out.stderr);
                // As git: success is the exit status and gpg saying it made the signature.
                if !out.status.success() || !status.contains("[GNUPG:] SIG_CREATED ") {
                    return Err(sign_error(program, status.trim().to_string()));
                }
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            }
            Signer::Ssh { program, key } => {
                let scratch =
                    tempfile::tempdir().map_err(|e| sign_error(program, e.to_string()))?;
                let buffer = scratch.path().join("commit");
                std::fs::write(&buffer, payload).map_err(|e| sign_error(program, e.to_string()))?;
                // A key given literally (`key::ssh-ed25519 …`, or the public key itself) is
                // written to a file and its private half is taken from the ssh agent (`-U`).
                let literal = key
                    .strip_prefix("key::")
                    .or_else(|| key.starts_with("ssh-").then_some(key.as_str()));
                let mut command = Command::new(program);
                command.args(["-Y", "sign", "-n", "git", "-f"]);
                match literal {
                    Some(public) => {
                        let file = scratch.path().join("key.pub");
                        std::fs::write(&file, public)
                            .map_err(|e| sign_error(program, e.to_string()))?;
                        command.arg(file).arg("-U");
                    }
                    None => {
                        command.arg(config::expand_home(key));
                    }
                }
                let out = command
                    .arg(&buffer)
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| sign_error(program, e.to_string()))?;
                if !out.status.success() {
                    let said = String::from_utf8_lossy(&out.stderr);
                    return Err(sign_error(program, said.trim().to_string()));
                }
                let sig = scratch.path().join("commit.sig");
                std::fs::read_to_string(&sig).map_err(|e| sign_error(program, e.to_string()))
            }
        }
    }
}

fn sign_error(program: &str, said: String) -> Error {
    Error::Git {
        context: format!("signing the commit with {program} (commit.gpgsign is set)"),
        message: if said.is_empty() {
            "it failed and said nothing".into()
        } else {
            said
        },
    }
}

/// The commit object `bytes` with `signature` as its `gpgsig` header, after the other headers,
/// each line after the first indented by one space (git's `add_header_signature`).
fn with_signature(bytes: &[u8], signature: &str) -> Vec<u8> {
    let end_of_headers = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .map_or(bytes.len(), |i| i + 1);
    let mut out = Vec::with_capacity(bytes.len() + signature.len() + 64);
    out.extend_from_slice(&bytes[..end_of_headers]);
    out.extend_from_slice(b"gpgsig");
    for line in signature.split_inclusive('\n') {
        out.push(b' ');
        out.extend_from_slice(line.as_bytes());
    }
    if !signature.ends_with('\n') {
        out.push(b'\n');
    }
    out.extend_from_slice(&bytes[end_of_headers..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_gits_internal_format() {
        assert_eq!(parse_date("@1700000000 +0100"), Some((1700000000, 60)));
        assert_eq!(parse_date("1700000000 -0230"), Some((1700000000, -150)));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("@1 0100"), None);
    }

    #[test]
    fn the_signature_goes_after_the_headers_each_line_indented() {
        let commit = b"tree 1\nauthor a\ncommitter c\n\nmessage\n\nbody\n";
        let signed = with_signature(commit, "-----BEGIN-----\n\nabc\n-----END-----\n");
        assert_eq!(
            String::from_utf8(signed).unwrap(),
            "tree 1\nauthor a\ncommitter c\ngpgsig -----BEGIN-----\n \n abc\n -----END-----\n\nmessage\n\nbody\n"
        );
    }
}
