//! The one error type the CLI prints: who can fix it (its [`Kind`]), a message, hints for what
//! to do next, and an exit code.
//!
//! Exit codes (README, "Use"): 2 for an error the user acts on, whether the mistake is theirs
//! (arguments, answers, a bundle, the project's state) or the machine's (a read, a write, a
//! fetch, git); 255 for a bug in goldpath. `upgrade` and `check` use 1 for conflicts and
//! findings, which are not errors.

use std::fmt::Write as _;
use std::io;

/// Exit code for an error the user can act on: bad input, or a problem of the machine.
pub const USER_ERROR: i32 = 2;

/// Exit code for a bug in goldpath (as jj does): never the user's mistake.
pub const INTERNAL_ERROR: i32 = 255;

/// Who can fix an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad input: arguments, answers, a bundle, the project's state.
    User,
    /// The machine, the network or the file system failed: a read, a write, a fetch, git.
    Environment,
    /// A bug in goldpath.
    Internal,
}

#[derive(Debug)]
pub struct CommandError {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
    pub code: i32,
    /// The kind of the I/O error this came from, if it did (a closed pipe is not worth a message).
    io: Option<io::ErrorKind>,
}

impl CommandError {
    fn new(kind: Kind, message: impl Into<String>) -> CommandError {
        CommandError {
            kind,
            message: message.into(),
            hints: Vec::new(),
            code: match kind {
                Kind::User | Kind::Environment => USER_ERROR,
                Kind::Internal => INTERNAL_ERROR,
            },
            io: None,
        }
    }

    pub fn user(message: impl Into<String>) -> CommandError {
        CommandError::new(Kind::User, message)
    }

    pub fn environment(message: impl Into<String>) -> CommandError {
        CommandError::new(Kind::Environment, message)
    }

    /// A bug: told as one, with where to report it.
    pub fn internal(message: impl Into<String>) -> CommandError {
        CommandError::new(Kind::Internal, message).hint(
            "this is a bug in goldpath, not something you did: please report it with the command you ran",
        )
    }

    /// Writing output failed (a closed pipe, a full disk).
    pub fn from_io(e: io::Error) -> CommandError {
        CommandError {
            io: Some(e.kind()),
            ..CommandError::environment(e.to_string())
        }
    }

    /// The reader of our output went away (`goldpath list | head`): not an error to report.
    pub fn is_broken_pipe(&self) -> bool {
        self.io == Some(io::ErrorKind::BrokenPipe)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> CommandError {
        self.hints.push(hint.into());
        self
    }

    pub fn code(mut self, code: i32) -> CommandError {
        self.code = code;
        self
    }

    /// What `goldpath` prints on stderr.
    pub fn render(&self) -> String {
        let what = match self.kind {
            Kind::Internal => "internal error: ",
            Kind::User | Kind::Environment => "",
        };
        let mut out = format!("error: {what}{}\n", self.message);
        for h in &self.hints {
            let _ = writeln!(out, "hint: {h}");
        }
        out
    }
}

impl From<crate::bundle::Error> for CommandError {
    fn from(e: crate::bundle::Error) -> Self {
        use crate::bundle::Error as E;
        let hint = match &e {
            E::UnknownBundle { .. } => Some("`goldpath list` shows the built-in bundles; `goldpath list --from SOURCE` those of a source"),
            E::FolderVersion { .. } => Some("a folder holds one version; point --from at a git repository with version tags to choose others"),
            E::Invalid { .. } | E::Manifest { .. } => Some("the bundle format is described in docs/bundles.md"),
            E::Git(crate::git::Error::Fetch { .. }) => Some("check the URL and your network or credentials (ssh-agent, git credential helper)"),
            _ => None,
        };
        let mut err = match e {
            E::Tree(t) => t.into(),
            E::Git(g) => g.into(),
            e => CommandError::user(e.to_string()),
        };
        if let Some(h) = hint {
            err = err.hint(h);
        }
        err
    }
}

/// A version the source does not have, asked for with `option` (`--version` for new, `--to`
/// for upgrade): the hint names that option, which exists on that command.
pub(super) fn version_error(e: crate::bundle::Error, option: &str) -> CommandError {
    use crate::bundle::Error as E;
    let hint = match &e {
        E::UnknownVersion { .. } => format!("pick one of the available versions with {option}, or leave it out for the newest"),
        E::NoMatch { .. } => format!("pick one of the available versions with {option}; prereleases are picked only when named, or with --pre"),
        _ => return e.into(),
    };
    CommandError::from(e).hint(hint)
}

impl From<crate::answers::Error> for CommandError {
    fn from(e: crate::answers::Error) -> Self {
        use crate::answers::Error as E;
        let hint = match &e {
            E::Invalid { name, .. } => Some(format!(
                "give another answer with --set {name}=VALUE (it wins over an answers file)"
            )),
            E::Expression { .. } => {
                Some("this is a problem in the bundle's bundle.toml; tell its maintainers".into())
            }
            _ => None,
        };
        let err = CommandError::user(e.to_string());
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

impl From<crate::render::Error> for CommandError {
    fn from(e: crate::render::Error) -> Self {
        let hint = match e {
            // Paths are mostly made of answers, so the answer is the likelier culprit.
            crate::render::Error::Path { .. } => "the path is made from your answers: check them; if they are right, the bundle's template is at fault: tell its maintainers",
            crate::render::Error::Answer { .. } => "give a shorter answer with --set NAME=VALUE",
            _ => "this is a problem in the bundle's template; tell its maintainers",
        };
        CommandError::user(e.to_string()).hint(hint)
    }
}

impl From<crate::scaffold::Error> for CommandError {
    fn from(e: crate::scaffold::Error) -> Self {
        use crate::scaffold::Error as E;
        match e {
            E::Render(r) => r.into(),
            E::Tree(t) => t.into(),
            E::Git(g) => g.into(),
            e @ E::WriteRendered { .. } => CommandError::environment(e.to_string()),
            e @ E::Destination { .. } => CommandError::user(e.to_string()),
        }
    }
}

impl From<crate::tree::Error> for CommandError {
    fn from(e: crate::tree::Error) -> Self {
        use crate::tree::Error as E;
        match e {
            E::Read { .. } | E::Write { .. } => CommandError::environment(e.to_string()),
            E::BadPath { .. } | E::Symlink { .. } => CommandError::user(e.to_string()),
        }
    }
}

impl From<crate::git::Error> for CommandError {
    fn from(e: crate::git::Error) -> Self {
        use crate::git::Error as E;
        match e {
            E::Git { .. } | E::Fetch { .. } => CommandError::environment(e.to_string()),
            // The hook's own words are the message: they say what to fix.
            E::Hook {
                ref failure,
                ref commit_by_hand,
            } => {
                let said = failure.output.trim_end();
                let message = if said.is_empty() {
                    e.to_string()
                } else {
                    format!("{e}\n{said}")
                };
                CommandError::user(message)
                    .hint(format!("the files are written and staged; fix what the hook reports, then commit them: `{commit_by_hand}`"))
                    .hint("to commit without the repository's hooks, add `--no-verify` to that git command; goldpath's `new` and `upgrade` take `--no-verify` too")
            }
            // A tree entry a bundle source may not hold: the source's fault.
            E::Entry { .. } => CommandError::user(e.to_string()),
        }
    }
}

impl From<crate::project::Error> for CommandError {
    fn from(e: crate::project::Error) -> Self {
        use crate::project::Error as E;
        match e {
            E::Answers(a) => a.into(),
            E::Bundle(b) => b.into(),
            E::Render(r) => r.into(),
            E::Tree(t) => t.into(),
            E::Git(g) => g.into(),
            e @ E::RecordedVersion { .. } => CommandError::user(e.to_string())
                .hint("goldpath needs the recorded version to merge safely; point it at a source that has it with --from SOURCE"),
            e @ E::CommitMoved { .. } => CommandError::user(e.to_string())
                .hint("restore the tag to the recorded commit, or pass --from a source that still has that version"),
        }
    }
}

impl From<crate::upgrade::Error> for CommandError {
    fn from(e: crate::upgrade::Error) -> Self {
        use crate::upgrade::Error as E;
        match e {
            E::Project(p) => p.into(),
            E::Bundle(b) => b.into(),
            E::Render(r) => r.into(),
            E::Answers(a) => a.into(),
            E::Tree(t) => t.into(),
            E::Git(g) => g.into(),
            e @ E::Dirty { .. } => CommandError::user(e.to_string()).hint("commit or stash them first, or pass --allow-dirty to merge them like any local edit"),
            e @ E::Downgrade { .. } => CommandError::user(e.to_string()).hint("to go back on purpose, name the version with --to and pass --allow-downgrade"),
            e @ E::InProgress { .. } => CommandError::user(e.to_string())
                .hint("resolve the conflicts and run `goldpath upgrade --continue`, or undo it with `goldpath upgrade --abort`"),
            e @ E::Unresolved { .. } => CommandError::user(e.to_string())
                .hint("edit the files to remove the conflict markers, then run `goldpath upgrade --continue` again")
                .code(1),
            e @ E::Untrusted { .. } => CommandError::user(e.to_string())
                .hint("read the hook in the bundle's hooks/ folder; if you trust the source, run again with --trust"),
            e @ E::AbortDirty => CommandError::user(e.to_string()).hint("restore files by hand with git (`git status` shows what changed)"),
            e => CommandError::user(e.to_string()),
        }
    }
}

/// An answer of `.goldpath.toml` that `check` or `diff` cannot render with: the file was edited
/// by hand. Neither command takes `--answers` or `--defaults`, nor `--set` for a recorded answer,
/// so the fix named is the file itself.
fn recorded_answers_error(e: crate::answers::Error) -> CommandError {
    use crate::answers::Error as E;
    const RESTORE: &str = "restore the committed one with `git checkout -- .goldpath.toml`";
    match e {
        E::Missing { missing } => CommandError::user(format!(
            "{} question{} no answer in .goldpath.toml:\n{}",
            missing.len(),
            if missing.len() == 1 { " has" } else { "s have" },
            missing
                .iter()
                .map(|m| format!("  - {m}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))
        .hint(format!(
            "add `NAME = VALUE` under [answers] in .goldpath.toml, or {RESTORE}"
        )),
        e @ E::Invalid { .. } => CommandError::user(e.to_string()).hint(format!(
            "fix it under [answers] in .goldpath.toml, or {RESTORE}"
        )),
        e => e.into(),
    }
}

impl From<crate::check::Error> for CommandError {
    fn from(e: crate::check::Error) -> Self {
        use crate::check::Error as E;
        match e {
            E::Project(crate::project::Error::Answers(a)) => recorded_answers_error(a),
            // Too long an answer is a recorded one: check's --set takes only secrets.
            E::Project(crate::project::Error::Render(r @ crate::render::Error::Answer { .. })) => {
                CommandError::user(r.to_string()).hint(
                    "fix it under [answers] in .goldpath.toml, or restore the committed one with `git checkout -- .goldpath.toml`",
                )
            }
            E::Project(p) => p.into(),
            E::Tree(t) => t.into(),
            e @ E::Unreachable { .. } => CommandError::environment(e.to_string())
                .hint("check the network and credentials, or pass --from with a reachable copy of the source"),
            e @ E::NotInGoldenPath { .. } => CommandError::user(e.to_string())
                .hint("`goldpath diff` with no paths shows every file that differs"),
            e @ E::NotAsked { .. } => CommandError::user(e.to_string())
                .hint("--set names a secret question of the bundle (see its bundle.toml)"),
            e @ E::Recorded { .. } => CommandError::user(e.to_string())
                .hint("to change a recorded answer, run `goldpath upgrade --set NAME=VALUE`"),
            e @ E::Answer { .. } => CommandError::user(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_message_then_hints() {
        let e = CommandError::user("no bundle named `x`").hint("run `goldpath list`");
        assert_eq!(
            e.render(),
            "error: no bundle named `x`\nhint: run `goldpath list`\n"
        );
        assert_eq!(e.code, 2);
    }

    #[test]
    fn the_answers_file_restore_hint_survives_nesting() {
        let damaged =
            crate::answers::AnswersFile::parse("[bundle]\n", ".goldpath.toml").unwrap_err();
        let nested = crate::upgrade::Error::Project(crate::project::Error::Answers(damaged));
        let e = CommandError::from(nested);
        assert!(
            e.render()
                .contains("restore it with `git checkout -- .goldpath.toml`"),
            "{}",
            e.render()
        );
        assert_eq!((e.kind, e.code), (Kind::User, USER_ERROR));
    }

    #[test]
    fn kinds_decide_the_exit_code_and_how_it_is_told() {
        let write = crate::tree::Error::Write {
            path: "x".into(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        let e = CommandError::from(crate::upgrade::Error::Tree(write));
        assert_eq!((e.kind, e.code), (Kind::Environment, USER_ERROR));
        let bug = CommandError::internal("an index out of range");
        assert_eq!(bug.code, INTERNAL_ERROR);
        assert!(bug.render().starts_with(
            "error: internal error: an index out of range\nhint: this is a bug in goldpath"
        ));
    }

    #[test]
    fn a_broken_pipe_is_told_by_its_kind_not_its_text() {
        let closed = CommandError::from_io(io::Error::new(io::ErrorKind::BrokenPipe, "gone"));
        assert!(closed.is_broken_pipe());
        let named = CommandError::user("Broken pipe (os error 32)");
        assert!(!named.is_broken_pipe());
    }
}
