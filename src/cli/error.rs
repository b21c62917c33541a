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
