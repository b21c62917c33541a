//! The forge token: from `GITHUB_TOKEN` / `GITLAB_TOKEN`, else from the user's git credential
//! helpers (`git credential fill`), held in a type that never shows it.

use super::{Error, Target};
use std::fmt;
use std::io::Write as _;
use std::process::{Command, Stdio};

/// A forge token. `Debug` and `Display` print `***`, so neither a log line, an error nor a
/// report built with `{:?}` can show it; only the HTTP client reads it ([`Token::expose`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Also remembered by [`crate::redact`], so a line the CLI prints masks it even when a
    /// forge echoes it back in a message.
    pub fn new(secret: impl Into<String>) -> Token {
        let secret = secret.into();
        crate::redact::remember(&secret);
        Token(secret)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::redact::MASK)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::redact::MASK)
    }
}

/// The token for `target` from this process's environment and the user's git.
pub fn from_environment(target: &Target) -> Result<Token, Error> {
    discover(
        target,
        &|name| std::env::var(name).ok(),
        Command::new("git"),
    )
}

/// The token for `target`: the forge's variable (`env`), else `git credential fill` run as
/// `git` (a `Command` for the git program, with whatever environment the caller gives it).
///
/// git is asked with `GIT_TERMINAL_PROMPT=0` and `GCM_INTERACTIVE=never`: in CI a missing
/// credential must fail, never wait for someone to type it.
pub fn discover(
    target: &Target,
    env: &dyn Fn(&str) -> Option<String>,
    mut git: Command,
) -> Result<Token, Error> {
    let variable = target.kind.token_variable();
    if let Some(value) = env(variable).map(|v| v.trim().to_string()) {
        if !value.is_empty() {
            return Ok(Token::new(value));
        }
    }
    let none = |detail: String| Error::NoToken {
        host: target.host.clone(),
        variable,
        detail,
    };
    // The host is checked by `Target::detect` (no newline can smuggle another attribute in).
    let query = format!("protocol={}\nhost={}\n\n", target.scheme, target.host);
    let child = git
        .args(["credential", "fill"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return Err(none(format!(": cannot run git: {e}"))),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading closes the pipe; its answer still counts.
        let _ = stdin.write_all(query.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| none(format!(": {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|line| line.strip_prefix("password="))
        .map(str::trim)
        .filter(|p| !p.is_empty());
    match password {
        Some(password) if out.status.success() => Ok(Token::new(password)),
        // git's stderr names the prompt it could not show; it never holds a password, but it
        // goes through the mask all the same.
        _ => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let detail = if first.is_empty() {
                String::new()
            } else {
                format!(": {}", crate::redact::redact(first.trim()))
            };
            Err(none(detail))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::ForgeKind;

    fn target() -> Target {
        Target {
            kind: ForgeKind::GitHub,
            scheme: "https".into(),
            host: "ghe.example.com".into(),
            api_base: "https://ghe.example.com/api/v3".into(),
            repo: "acme/orders".into(),
        }
    }

    /// git with only the given global config: no system config, no helper of the machine's.
    fn git_with(dir: &std::path::Path, config: &str) -> Command {
        let path = dir.join("gitconfig");
        std::fs::write(&path, config).unwrap();
        let mut git = Command::new("git");
        git.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("GIT_CONFIG_GLOBAL", &path)
            .env("GIT_CONFIG_NOSYSTEM", "1");
        git
    }

    #[test]
    fn never_shows_itself() {
        let token = Token::new("ghp_NeverShowMe1234");
        assert_eq!(format!("{token}"), "***");
        assert_eq!(format!("{token:?}"), "***");
        assert_eq!(format!("{:?}", Some(&token)), "Some(***)");
        assert_eq!(
            crate::redact::redact("echo ghp_NeverShowMe1234"),
            "echo ***"
        );
    }

    #[test]
    fn variable_first_then_credential_helper() {
        let dir = tempfile::tempdir().unwrap();
        let env = |name: &str| (name == "GITHUB_TOKEN").then(|| " ghp_FromEnv5678\n".to_string());
        let token = discover(&target(), &env, git_with(dir.path(), "")).unwrap();
        assert_eq!(token.expose(), "ghp_FromEnv5678");

        // The helper answers only for the host it is asked about, as a real one does.
        let helper = "[credential]\n\thelper = \"!f() { grep -q '^host=ghe.example.com$' && \
                      printf 'username=x\\npassword=ghp_FromHelper9012\\n'; }; f\"\n";
        let token = discover(&target(), &|_| None, git_with(dir.path(), helper)).unwrap();
        assert_eq!(token.expose(), "ghp_FromHelper9012");
        let empty = |_: &str| Some(String::new());
        let token = discover(&target(), &empty, git_with(dir.path(), helper)).unwrap();
        assert_eq!(token.expose(), "ghp_FromHelper9012");
    }

    #[test]
    fn no_token_names_the_variable_and_never_prompts() {
        let dir = tempfile::tempdir().unwrap();
        let e = discover(&target(), &|_| None, git_with(dir.path(), ""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no token for ghe.example.com: set GITHUB_TOKEN"),
            "{e}"
        );
    }
}
