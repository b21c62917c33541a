//! Remote bundle sources: their tags fetched with the `git` command into a bare repository in
//! goldpath's cache, which [`super::TagRepo`] then reads.

use super::{err, Error};
use std::path::{Path, PathBuf};

/// Where remote bundle repositories are cached: `$GOLDPATH_CACHE_DIR`, else the user's cache.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOLDPATH_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("goldpath");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("goldpath"),
        None => std::env::temp_dir().join("goldpath-cache"),
    }
}

/// A stable short name for a URL's cache folder (FNV-1a: stable across Rust releases, unlike
/// `DefaultHasher`).
fn url_key(url: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in url.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// The cache folder of `url`. Keyed by the URL without credentials: the token is not in the
/// folder's name (nor in its hash), and a later fetch through a credential helper finds the
/// same cache.
fn cache_of(url: &str) -> PathBuf {
    cache_dir()
        .join("git")
        .join(url_key(&crate::redact::strip_credentials(url)))
}

/// The cache repository of `url` as the last fetch left it, without asking the remote; `None`
/// when there is none, or it holds no tags (a first fetch that failed leaves it empty).
pub(super) fn cached(url: &str) -> Option<git2::Repository> {
    let repo = git2::Repository::open_bare(cache_of(url)).ok()?;
    let has_tags = repo.tag_names(None).is_ok_and(|names| !names.is_empty());
    has_tags.then_some(repo)
}

/// The cache repository of `url`, created if need be, with every tag of `url` fetched into it.
pub(super) fn fetch_into_cache(url: &str) -> Result<git2::Repository, Error> {
    let dir = cache_of(url);
    if git2::Repository::open_bare(&dir).is_err() {
        git2::Repository::init_bare(&dir)
            .map_err(err(format!("creating the cache {}", dir.display())))?;
    }
    fetch_tags(url, &dir)?;
    git2::Repository::open_bare(&dir).map_err(err(format!("opening the cache {}", dir.display())))
}

/// Fetches every tag of `url` into the bare repository `cache` with the `git` command.
///
/// The git command, not libgit2: it uses the user's own credential helpers, ssh config, proxies
/// and certificates, as cargo's `git-fetch-with-cli` does, and keeps OpenSSL out of goldpath.
/// libgit2 built with https parses the system's CA bundle on every start (~19 ms, most of the
/// time of `goldpath check`) even when nothing touches the network. `GIT_TERMINAL_PROMPT=0`:
/// in CI a missing credential must fail, never wait for input.
///
/// The URL may come from a project's `.goldpath.toml`, which anyone who can open a pull request
/// can edit, so it is never read as an option: it comes after `--`, one starting with `-` is
/// refused, and `GIT_PROTOCOL_FROM_USER=0` keeps git from running transports that only a user
/// may ask for (`ext::`, remote helpers not allowed in `protocol.allow`). The URL's credentials
/// are masked in git's messages and not left in `FETCH_HEAD`.
fn fetch_tags(url: &str, cache: &Path) -> Result<(), Error> {
    let fail = |message: String| Error::Fetch {
        url: crate::redact::mask_url(url),
        message,
    };
    if url.starts_with('-') {
        return Err(fail("a URL cannot start with `-`".into()));
    }
    let out = std::process::Command::new("git")
        // Local repositories are read in place (`TagRepo::open`); one reaching this is a path
        // git2 could not open, and git's own error says more. `GIT_PROTOCOL_FROM_USER=0` below
        // would refuse it as "transport 'file' not allowed" (git >= 2.38.1 has it user-only).
        .args(["-c", "protocol.file.allow=always"])
        .arg("--git-dir")
        .arg(cache)
        .args([
            "fetch",
            "--quiet",
            "--prune",
            "--no-tags",
            "--",
            url,
            "+refs/tags/*:refs/tags/*",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PROTOCOL_FROM_USER", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            fail(format!(
                "fetching a remote source needs the `git` command: {e}"
            ))
        })?;
    // git writes the URL it fetched (query string included) into FETCH_HEAD; nothing reads it.
    let _ = std::fs::remove_file(cache.join("FETCH_HEAD"));
    if !out.status.success() {
        let mut stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        for credential in crate::redact::credentials_of(url) {
            stderr = stderr.replace(&credential, crate::redact::MASK);
        }
        return Err(fail(crate::redact::redact(&stderr)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::TagRepo;

    #[test]
    fn remote_tags_are_fetched_with_the_git_command() {
        let tmp = tempfile::tempdir().unwrap();
        let origin = tmp.path().join("origin");
        let run = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .args(args)
                .current_dir(&origin)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        std::fs::create_dir_all(&origin).unwrap();
        run(&["init", "-q"]);
        std::fs::write(origin.join("bundle.toml"), "x").unwrap();
        run(&["add", "."]);
        run(&[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@b",
            "commit",
            "-qm",
            "one",
        ]);
        run(&["tag", "v1.0.0"]);
        let cache = tmp.path().join("cache.git");
        git2::Repository::init_bare(&cache).unwrap();
        fetch_tags(origin.to_str().unwrap(), &cache).unwrap();
        let repo = TagRepo::open(cache.to_str().unwrap()).unwrap();
        let tags = repo.tags().unwrap();
        assert_eq!(tags.len(), 1);
        assert_eq!(
            repo.read_file(&tags[0].1, "bundle.toml").unwrap(),
            Some(b"x".to_vec())
        );
        // An unreachable source says why, and never waits for a password.
        let err = fetch_tags("https://127.0.0.1:9/none.git", &cache)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot fetch https://127.0.0.1:9/none.git: "),
            "{err}"
        );
        // Credentials are masked, in goldpath's words and in git's.
        let err = fetch_tags("https://u:T0kenT0ken@127.0.0.1:9/none.git", &cache)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot fetch https://***@127.0.0.1:9/none.git: ")
                && !err.contains("T0kenT0ken"),
            "{err}"
        );
        // Nothing that reads as an option reaches git.
        let err = fetch_tags("--upload-pack=touch x", &cache)
            .unwrap_err()
            .to_string();
        assert!(err.ends_with(": a URL cannot start with `-`"), "{err}");
    }

    #[test]
    fn url_keys_are_stable() {
        assert_eq!(
            url_key("https://git.example.com/platform/templates.git"),
            url_key("https://git.example.com/platform/templates.git")
        );
        assert_ne!(url_key("a"), url_key("b"));
        assert_eq!(url_key(""), "cbf29ce484222325");
    }
}
