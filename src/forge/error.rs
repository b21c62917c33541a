//! What can stop a forge request. No variant ever holds a token: messages from a forge are
//! masked ([`super::http`]) before they land here, and URLs here are API URLs, which carry none.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot tell which forge hosts `{remote}`: {host} is neither github.com nor gitlab.com \
         (for GitHub Enterprise or a self-hosted GitLab, pass --forge github|gitlab --forge-url URL)"
    )]
    UnknownForge { remote: String, host: String },
    #[error("cannot read the repository of the remote `{remote}`: {reason}")]
    BadRemote { remote: String, reason: String },
    #[error("--forge-url `{url}`: {reason}")]
    BadForgeUrl { url: String, reason: String },
    #[error("unknown forge `{0}`: expected `github` or `gitlab`")]
    UnknownKind(String),
    #[error(
        "no token for {host}: set {variable}, or store one for {host} with a git credential helper \
         (`git credential fill` found none{detail})"
    )]
    NoToken {
        host: String,
        variable: &'static str,
        detail: String,
    },
    #[error("{method} {url}: {status} {message}")]
    Api {
        method: &'static str,
        url: String,
        status: u16,
        message: String,
    },
    #[error("{method} {url}: {message}")]
    Transport {
        method: &'static str,
        url: String,
        message: String,
    },
    #[error("{method} {url}: unexpected answer from the forge: {message}")]
    BadResponse {
        method: &'static str,
        url: String,
        message: String,
    },
    #[error(
        "{host} asks to wait {} s for its rate limit, longer than the {} s allowed; run again later",
        .wait.as_secs(),
        .max_wait.as_secs()
    )]
    RateLimited {
        host: String,
        wait: Duration,
        max_wait: Duration,
    },
    #[error("{host} still refuses after {attempts} attempts ({last})")]
    GaveUp {
        host: String,
        attempts: u32,
        last: String,
    },
}
