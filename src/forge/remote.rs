//! Which forge a repository's pull requests live on, and where its API is: read from the remote
//! URL (github.com, gitlab.com), or given as `--forge github|gitlab --forge-url URL` for GitHub
//! Enterprise and self-hosted GitLab.

use super::Error;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForgeKind {
    GitHub,
    GitLab,
}

impl ForgeKind {
    /// The variable a token is read from first.
    pub fn token_variable(self) -> &'static str {
        match self {
            ForgeKind::GitHub => "GITHUB_TOKEN",
            ForgeKind::GitLab => "GITLAB_TOKEN",
        }
    }

    /// What the forge calls a change to review.
    pub fn noun(self) -> &'static str {
        match self {
            ForgeKind::GitHub => "pull request",
            ForgeKind::GitLab => "merge request",
        }
    }
}

impl fmt::Display for ForgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForgeKind::GitHub => "github",
            ForgeKind::GitLab => "gitlab",
        })
    }
}

impl FromStr for ForgeKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<ForgeKind, Error> {
        match s.to_ascii_lowercase().as_str() {
            "github" => Ok(ForgeKind::GitHub),
            "gitlab" => Ok(ForgeKind::GitLab),
            _ => Err(Error::UnknownKind(s.to_string())),
        }
    }
}

/// A forge named on the command line: `--forge KIND --forge-url URL`, where URL is the forge's
/// web address (`https://ghe.example.com`, `https://example.com/gitlab`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeOverride {
    pub kind: ForgeKind,
    pub url: String,
}

impl ForgeOverride {
    /// `--forge KIND` without `--forge-url`: github.com or gitlab.com, for a remote whose URL
    /// does not say (a `file://` mirror, a path).
    pub fn public(kind: ForgeKind) -> ForgeOverride {
        let url = match kind {
            ForgeKind::GitHub => "https://github.com",
            ForgeKind::GitLab => "https://gitlab.com",
        };
        ForgeOverride {
            kind,
            url: url.into(),
        }
    }
}

/// Where one repository's pull requests live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: ForgeKind,
    /// `https`, or `http` for a forge on this machine (tests).
    pub scheme: String,
    /// The forge's web host, with its port if it has one: the key of its rate governor and the
    /// host asked for in `git credential fill`.
    pub host: String,
    /// The REST API's root, without a trailing `/`.
    pub api_base: String,
    /// `owner/name` on GitHub, the project's full path on GitLab (`group/subgroup/name`).
    pub repo: String,
}

impl Target {
    /// Finds the forge of `remote`, or uses `forge` when given.
    pub fn detect(remote: &str, forge: Option<&ForgeOverride>) -> Result<Target, Error> {
        let parsed = RemoteUrl::parse(remote)?;
        let bad = |reason: &str| Error::BadRemote {
            remote: crate::redact::mask_url(remote),
            reason: reason.to_string(),
        };
        match forge {
            None => {
                let host = parsed
                    .host
                    .as_deref()
                    .ok_or_else(|| bad("it has no host; pass --forge and --forge-url"))?;
                let kind = match host {
                    // GitHub's and GitLab's ssh-over-443 hosts are the same forges.
                    "github.com" | "ssh.github.com" => ForgeKind::GitHub,
                    "gitlab.com" | "altssh.gitlab.com" => ForgeKind::GitLab,
                    other => {
                        return Err(Error::UnknownForge {
                            remote: crate::redact::mask_url(remote),
                            host: other.to_string(),
                        })
                    }
                };
                let (host, api_base) = match kind {
                    ForgeKind::GitHub => ("github.com", "https://api.github.com".to_string()),
                    ForgeKind::GitLab => ("gitlab.com", "https://gitlab.com/api/v4".to_string()),
                };
                let repo = match kind {
                    ForgeKind::GitHub => last_two(&parsed.path),
                    ForgeKind::GitLab => parsed.path.join("/"),
                };
                Ok(Target {
                    kind,
                    scheme: "https".into(),
                    host: host.into(),
                    api_base,
                    repo: check_repo(repo, &parsed.path).map_err(|r| bad(&r))?,
                })
            }
            Some(forge) => {
                let web = ForgeUrl::parse(&forge.url)?;
                let api_base = match forge.kind {
                    ForgeKind::GitHub if web.host_name() == "github.com" => {
                        "https://api.github.com".to_string()
                    }
                    ForgeKind::GitHub if web.host_name() == "api.github.com" => {
                        "https://api.github.com".to_string()
                    }
                    ForgeKind::GitHub => {
                        format!("{}://{}{}/api/v3", web.scheme, web.host, web.prefix)
                    }
                    ForgeKind::GitLab => {
                        format!("{}://{}{}/api/v4", web.scheme, web.host, web.prefix)
                    }
                };
                let host = if web.host_name() == "api.github.com" {
                    "github.com".to_string()
                } else {
                    web.host.clone()
                };
                let repo = match forge.kind {
                    ForgeKind::GitHub => last_two(&parsed.path),
                    // On the forge's own host the whole path is the project's (subgroups), once
                    // the forge's relative root (`/gitlab`) is taken off; elsewhere (a mirror, a
                    // `file://` copy) only the last two components can be trusted to name it.
                    ForgeKind::GitLab if parsed.host.as_deref() == Some(web.host_name()) => {
                        let prefix: Vec<&str> =
                            web.prefix.split('/').filter(|c| !c.is_empty()).collect();
                        let path: Vec<&str> = parsed.path.iter().map(String::as_str).collect();
                        match path.strip_prefix(prefix.as_slice()) {
                            Some(rest) if parsed.web && rest.len() >= 2 => rest.join("/"),
                            _ => path.join("/"),
                        }
                    }
                    ForgeKind::GitLab => last_two(&parsed.path),
                };
                Ok(Target {
                    kind: forge.kind,
                    scheme: web.scheme.clone(),
                    host,
                    api_base,
                    repo: check_repo(repo, &parsed.path).map_err(|r| bad(&r))?,
                })
            }
        }
    }

    /// The GitHub owner (the first component of the repository).
    pub fn owner(&self) -> &str {
        self.repo.split('/').next().unwrap_or("")
    }

    /// The repository as one URL path segment: GitLab's `:id` (`acme%2Forders`).
    pub fn project_id(&self) -> String {
        self.repo.replace('/', "%2F")
    }
}

fn last_two(path: &[String]) -> String {
    let n = path.len();
    path[n.saturating_sub(2)..].join("/")
}

/// The repository path must have an owner and a name, and each component only the characters
/// both forges allow: it goes into API URLs unescaped (but for GitLab's `/`).
fn check_repo(repo: String, path: &[String]) -> Result<String, String> {
    if path.len() < 2 {
        return Err("it has no `owner/name` path".into());
    }
    for component in repo.split('/') {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if component.is_empty()
            || component == "."
            || component == ".."
            || !component.chars().all(allowed)
        {
            return Err(format!(
                "`{component}` is not a repository name (letters, digits, `.`, `_`, `-`)"
            ));
        }
    }
    Ok(repo)
}

/// A git remote split into what the forge needs: its host (none for a local path or `file://`)
/// and the components of its path, the last one without `.git`.
#[derive(Debug, PartialEq, Eq)]
struct RemoteUrl {
    /// Lower-cased, without user or port: the port of an ssh URL is ssh's, not the forge's.
    host: Option<String>,
    path: Vec<String>,
    /// An http(s) URL, whose path may start with the forge's relative root.
    web: bool,
}

impl RemoteUrl {
    fn parse(remote: &str) -> Result<RemoteUrl, Error> {
        let remote = remote.trim();
        let (host, path, web) = if let Some((scheme, rest)) = remote.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            let host = authority.rsplit('@').next().unwrap_or("");
            let host = if host.starts_with('[') {
                host.split_once(']')
                    .map_or(host, |(h, _)| h)
                    .trim_start_matches('[')
            } else {
                host.split(':').next().unwrap_or("")
            };
            let host = (scheme != "file" && !host.is_empty()).then(|| host.to_ascii_lowercase());
            (host, path, scheme == "https" || scheme == "http")
        } else if let Some((before, after)) = scp_like(remote) {
            let host = before.rsplit('@').next().unwrap_or(before);
            (Some(host.to_ascii_lowercase()), after, false)
        } else {
            (None, remote, false)
        };
        let path = path.split(['?', '#']).next().unwrap_or("");
        let mut path: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(last) = path.last_mut() {
            if let Some(stem) = last.strip_suffix(".git") {
                *last = stem.to_string();
            }
        }
        path.retain(|c| !c.is_empty());
        Ok(RemoteUrl { host, path, web })
    }
}

/// git's `[user@]host:path`: a `:` before any `/`, and not a Windows drive (`C:\...`).
fn scp_like(remote: &str) -> Option<(&str, &str)> {
    let colon = remote.find(':')?;
    let slash = remote.find('/').unwrap_or(remote.len());
    (colon < slash && colon > 1).then(|| (&remote[..colon], &remote[colon + 1..]))
}

/// `--forge-url`: an http(s) web address. Plain http only on this machine: a token sent over it
/// could be read by anyone on the path.
struct ForgeUrl {
    scheme: String,
    /// With its port.
    host: String,
    /// The relative root, `` or `/gitlab`.
    prefix: String,
}

impl ForgeUrl {
    fn parse(url: &str) -> Result<ForgeUrl, Error> {
        let bad = |reason: &str| Error::BadForgeUrl {
            url: crate::redact::mask_url(url),
            reason: reason.into(),
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected an https:// URL such as https://ghe.example.com"))?;
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad(
                "it holds credentials; give the token in GITHUB_TOKEN / GITLAB_TOKEN instead",
            ));
        }
        if authority.is_empty()
            || !authority
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        {
            return Err(bad("it has no host name"));
        }
        let host = authority.to_ascii_lowercase();
        let name = if host.starts_with('[') {
            host.split_once(']')
                .map_or(host.as_str(), |(h, _)| h)
                .trim_start_matches('[')
        } else {
            host.split(':').next().unwrap_or("")
        };
        match scheme.as_str() {
            "https" => {}
            "http" if matches!(name, "127.0.0.1" | "localhost" | "::1") => {}
            "http" => {
                return Err(bad(
                    "plain http would send the token unencrypted; use https",
                ))
            }
            _ => return Err(bad("expected an https:// URL")),
        }
        if path.contains(['?', '#']) {
            return Err(bad("expected the forge's address without a query"));
        }
        let prefix = path.trim_end_matches('/').to_string();
        if !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-~".contains(c))
        {
            return Err(bad("its path has characters a forge's address does not"));
        }
        Ok(ForgeUrl {
            scheme,
            host,
            prefix,
        })
    }

    /// The host without its port.
    fn host_name(&self) -> &str {
        if self.host.starts_with('[') {
            return self
                .host
                .split_once(']')
                .map_or(self.host.as_str(), |(h, _)| h);
        }
        self.host.split(':').next().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh(url: &str) -> Option<ForgeOverride> {
        Some(ForgeOverride {
            kind: ForgeKind::GitHub,
            url: url.into(),
        })
    }
    fn gl(url: &str) -> Option<ForgeOverride> {
        Some(ForgeOverride {
            kind: ForgeKind::GitLab,
            url: url.into(),
        })
    }

    /// Remote, override, then the expected kind, host, API base and repository.
    type Row = (
        &'static str,
        Option<ForgeOverride>,
        ForgeKind,
        &'static str,
        &'static str,
        &'static str,
    );

    #[test]
    fn detects_forge_api_and_repository() {
        #[rustfmt::skip]
        let table: &[Row] = &[
            ("https://github.com/acme/orders.git", None, ForgeKind::GitHub, "github.com", "https://api.github.com", "acme/orders"),
            ("https://x-access-token:tok@github.com/acme/orders", None, ForgeKind::GitHub, "github.com", "https://api.github.com", "acme/orders"),
            ("git@github.com:acme/orders.git", None, ForgeKind::GitHub, "github.com", "https://api.github.com", "acme/orders"),
            ("ssh://git@github.com/acme/orders.git", None, ForgeKind::GitHub, "github.com", "https://api.github.com", "acme/orders"),
            ("ssh://git@ssh.github.com:443/acme/orders.git", None, ForgeKind::GitHub, "github.com", "https://api.github.com", "acme/orders"),
            ("https://GitHub.com/acme/orders/", None, ForgeKind::GitHub, "github.com", "https://api.github.com", "acme/orders"),
            ("https://gitlab.com/acme/orders.git", None, ForgeKind::GitLab, "gitlab.com", "https://gitlab.com/api/v4", "acme/orders"),
            ("git@gitlab.com:acme/platform/orders.git", None, ForgeKind::GitLab, "gitlab.com", "https://gitlab.com/api/v4", "acme/platform/orders"),
            ("https://ghe.example.com/acme/orders.git", gh("https://ghe.example.com"), ForgeKind::GitHub, "ghe.example.com", "https://ghe.example.com/api/v3", "acme/orders"),
            ("git@ghe.example.com:acme/orders.git", gh("https://ghe.example.com/"), ForgeKind::GitHub, "ghe.example.com", "https://ghe.example.com/api/v3", "acme/orders"),
            ("file:///srv/git/acme/orders.git", gh("http://127.0.0.1:8080"), ForgeKind::GitHub, "127.0.0.1:8080", "http://127.0.0.1:8080/api/v3", "acme/orders"),
            ("/srv/git/acme/orders.git", gh("https://github.com"), ForgeKind::GitHub, "github.com", "https://api.github.com", "acme/orders"),
            ("https://git.example.com/gitlab/acme/platform/orders.git", gl("https://git.example.com/gitlab"), ForgeKind::GitLab, "git.example.com", "https://git.example.com/gitlab/api/v4", "acme/platform/orders"),
            ("ssh://git@git.example.com:2222/acme/platform/orders.git", gl("https://git.example.com/gitlab"), ForgeKind::GitLab, "git.example.com", "https://git.example.com/gitlab/api/v4", "acme/platform/orders"),
            ("file:///srv/mirror/acme/orders.git", gl("https://gitlab.example.com"), ForgeKind::GitLab, "gitlab.example.com", "https://gitlab.example.com/api/v4", "acme/orders"),
            ("git@gitlab.example.com:acme/orders.git", gl("http://localhost:9000"), ForgeKind::GitLab, "localhost:9000", "http://localhost:9000/api/v4", "acme/orders"),
        ];
        for (remote, forge, kind, host, api, repo) in table {
            let t =
                Target::detect(remote, forge.as_ref()).unwrap_or_else(|e| panic!("{remote}: {e}"));
            assert_eq!(
                (
                    t.kind,
                    t.host.as_str(),
                    t.api_base.as_str(),
                    t.repo.as_str()
                ),
                (*kind, *host, *api, *repo),
                "{remote}"
            );
        }
    }

    #[test]
    fn forge_without_url_is_the_public_one() {
        let gh = ForgeOverride::public(ForgeKind::GitHub);
        let t = Target::detect("file:///mirror/acme/orders.git", Some(&gh)).unwrap();
        assert_eq!(
            (t.host.as_str(), t.api_base.as_str(), t.repo.as_str()),
            ("github.com", "https://api.github.com", "acme/orders")
        );
        let gl = ForgeOverride::public(ForgeKind::GitLab);
        let t = Target::detect("/mirror/acme/orders", Some(&gl)).unwrap();
        assert_eq!(
            (t.host.as_str(), t.api_base.as_str(), t.repo.as_str()),
            ("gitlab.com", "https://gitlab.com/api/v4", "acme/orders")
        );
    }

    #[test]
    fn gitlab_project_id_is_url_encoded() {
        let t = Target::detect("git@gitlab.com:acme/platform/orders.git", None).unwrap();
        assert_eq!(t.project_id(), "acme%2Fplatform%2Forders");
        assert_eq!(t.owner(), "acme");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let unknown = Target::detect("https://tok3n@git.example.com/acme/orders.git", None)
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("--forge github|gitlab --forge-url"),
            "{unknown}"
        );
        assert!(!unknown.contains("tok3n"), "{unknown}");
        for (remote, forge, needle) in [
            ("https://github.com/orders.git", None, "owner/name"),
            (
                "https://github.com/acme/or%20ders.git",
                None,
                "not a repository name",
            ),
            ("/srv/acme/orders.git", None, "no host"),
            (
                "https://x.example/a/b.git",
                gh("http://x.example"),
                "plain http",
            ),
            (
                "https://x.example/a/b.git",
                gh("https://u:p@x.example"),
                "credentials",
            ),
            ("https://x.example/a/b.git", gh("x.example"), "https://"),
        ] {
            let e = Target::detect(remote, forge.as_ref())
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{remote}: {e}");
        }
        assert!("bitbucket".parse::<ForgeKind>().is_err());
        assert_eq!("GitLab".parse::<ForgeKind>().unwrap(), ForgeKind::GitLab);
    }
}
