//! The one error type the CLI prints: a message, hints for what to do next, and an exit code.

use std::fmt::Write as _;

/// Exit code for bad input (manifest, answers, arguments): the user can fix it.
pub const USER_ERROR: i32 = 2;

#[derive(Debug)]
pub struct CommandError {
    pub message: String,
    pub hints: Vec<String>,
    pub code: i32,
}

impl CommandError {
    pub fn user(message: impl Into<String>) -> CommandError {
        CommandError {
            message: message.into(),
            hints: Vec::new(),
            code: USER_ERROR,
        }
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
        let mut out = format!("error: {}\n", self.message);
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
            E::UnknownVersion { .. } => Some("pick one of the available versions with --version, or leave it out for the newest"),
            E::FolderVersion { .. } => Some("a folder holds one version; point --from at a git repository with version tags to choose others"),
            E::Invalid { .. } | E::Manifest { .. } => Some("the bundle format is described in docs/bundles.md"),
            E::Git(crate::git::Error::Fetch { .. }) => Some("check the URL and your network or credentials (ssh-agent, git credential helper)"),
            _ => None,
        };
        let mut err = CommandError::user(e.to_string());
        if let Some(h) = hint {
            err = err.hint(h);
        }
        err
    }
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
        match e {
            crate::scaffold::Error::Render(r) => r.into(),
            other => CommandError::user(other.to_string()),
        }
    }
}

impl From<crate::tree::Error> for CommandError {
    fn from(e: crate::tree::Error) -> Self {
        CommandError::user(e.to_string())
    }
}

impl From<crate::git::Error> for CommandError {
    fn from(e: crate::git::Error) -> Self {
        CommandError::user(e.to_string())
    }
}

impl From<crate::project::Error> for CommandError {
    fn from(e: crate::project::Error) -> Self {
        use crate::project::Error as E;
        match e {
            E::Bundle(b) => b.into(),
            E::Render(r) => r.into(),
            e @ E::RecordedVersion { .. } => CommandError::user(e.to_string())
                .hint("goldpath needs the recorded version to merge safely; point it at a source that has it with --from SOURCE"),
            e @ E::CommitMoved { .. } => CommandError::user(e.to_string())
                .hint("restore the tag to the recorded commit, or pass --from a source that still has that version"),
            e => CommandError::user(e.to_string()),
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

impl From<crate::check::Error> for CommandError {
    fn from(e: crate::check::Error) -> Self {
        use crate::check::Error as E;
        match e {
            E::Project(p) => p.into(),
            e @ E::Unreachable { .. } => CommandError::user(e.to_string())
                .hint("check the network and credentials, or pass --from with a reachable copy of the source"),
            e => CommandError::user(e.to_string()),
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
}
