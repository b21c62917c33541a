//! A bundle source as a user names it (`--from`) and as a project's answers file records it.
//! Opening one is [`SourceSpec::open`], in `source.rs`.

use std::fmt;
use std::path::PathBuf;

/// A bundle source as a user names it (`--from`) and as an answers file records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// The catalog embedded in the binary from `golden-paths/`.
    Builtin,
    /// A local folder of bundles, or one bundle; it holds one version of each.
    Folder(PathBuf),
    /// A git repository whose tags (`v1.4.0` or `<bundle>/v1.4.0`) are the versions. The URL as
    /// given, credentials included, for fetching; it is shown and recorded without them
    /// (`Display`, [`crate::redact::strip_credentials`]).
    Git(String),
}

impl SourceSpec {
    /// Reads `--from`: URLs (`https://`, `ssh://`, `file://`, `git@host:`) and paths ending in
    /// `.git` are git sources, `builtin` is the catalog, anything else is a folder.
    pub fn parse(s: &str) -> SourceSpec {
        if s == "builtin" {
            SourceSpec::Builtin
        } else if s.contains("://") || s.ends_with(".git") || (s.contains('@') && s.contains(':')) {
            // `host:path` (a `:` before any `/`) is git's scp-like syntax; anything else without
            // a scheme is a local repository, made absolute like a folder so the project records
            // a source that still resolves when upgrade and check run from inside it.
            let scp_like = s
                .find(':')
                .is_some_and(|colon| s.find('/').is_none_or(|slash| colon < slash));
            if s.contains("://") || scp_like {
                SourceSpec::Git(s.to_string())
            } else {
                let path = PathBuf::from(s);
                let path = std::path::absolute(&path).unwrap_or(path);
                SourceSpec::Git(path.display().to_string())
            }
        } else {
            let path = PathBuf::from(s);
            SourceSpec::Folder(std::path::absolute(&path).unwrap_or(path))
        }
    }

    /// Sources whose hook commands run without `--trust`: only the one shipped in the binary.
    pub fn trusted_by_default(&self) -> bool {
        matches!(self, SourceSpec::Builtin)
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Builtin => f.write_str("builtin"),
            SourceSpec::Folder(p) => write!(f, "{}", p.display()),
            SourceSpec::Git(url) => f.write_str(&crate::redact::strip_credentials(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_tells_git_from_folders() {
        assert_eq!(SourceSpec::parse("builtin"), SourceSpec::Builtin);
        for git in [
            "https://git.example.com/platform/templates.git",
            "ssh://git@host/x",
            "git@github.com:acme/t.git",
            "file:///tmp/t",
            "../t.git",
        ] {
            assert!(
                matches!(SourceSpec::parse(git), SourceSpec::Git(_)),
                "{git}"
            );
        }
        assert!(
            matches!(SourceSpec::parse("../platform-templates"), SourceSpec::Folder(p) if p.is_absolute())
        );
        // A local repository path is recorded absolute; URLs and scp-like addresses as given.
        assert!(
            matches!(SourceSpec::parse("../t.git"), SourceSpec::Git(p) if std::path::Path::new(&p).is_absolute())
        );
        for url in [
            "git@github.com:acme/t.git",
            "github.com:acme/t.git",
            "file:///tmp/t",
        ] {
            assert_eq!(SourceSpec::parse(url), SourceSpec::Git(url.to_string()));
        }
    }
}
