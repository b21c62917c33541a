//! Pull requests (GitHub) and merge requests (GitLab) for fleet upgrades: which forge a
//! repository is on ([`Target`]), its token ([`Token`]), what the pull request says
//! ([`PullRequest`], [`PrBody`]), and the requests that open, update and close one, paced by a
//! [`Governor`] per host. Prints nothing: waits are reported to an observer, and outcomes
//! and warnings are returned for the CLI to show.
//!
//! Idempotent by design: [`Forge::open_or_update`] looks for the open pull request of the
//! branch first and updates it; a create that the forge refuses as a duplicate (GitHub's 422
//! "A pull request already exists", GitLab's 409) finds and updates the existing one.

mod body;
mod error;
mod github;
mod gitlab;
pub mod governor;
pub mod http;
mod remote;
mod token;

pub use body::{FileKind, FileRow, PrBody, ProjectRow, PullRequest, CONFLICT_MARK, MAX_BODY_CHARS};
pub use error::Error;
pub use governor::{Clock, Failure, Governor, Governors, Options, SystemClock, Wait, WaitReason};
pub use remote::{ForgeKind, ForgeOverride, Target};
pub use token::{discover as discover_token, from_environment as token_from_environment, Token};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An open pull request as the forge describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrSummary {
    /// GitHub's number, GitLab's `iid` (`!7`).
    pub number: u64,
    pub url: String,
    pub head_branch: String,
    pub title: String,
    pub draft: bool,
    /// GitHub's GraphQL id (to make it a draft).
    node_id: Option<String>,
    /// GitLab's reviewers already asked (its API replaces the whole list).
    reviewer_ids: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
}

/// What [`Forge::open_or_update`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub action: Action,
    pub number: u64,
    pub url: String,
    pub draft: bool,
    /// What did not work but does not undo the pull request (a label or reviewer refused).
    pub warnings: Vec<String>,
}

/// What creating a pull request can come to, besides an error.
enum Created {
    New(PrSummary),
    /// The forge has an open one for the branch already.
    AlreadyExists,
}

/// The requests of one forge, on one repository.
trait Api: Send + Sync {
    fn find_open(&self, head: &str) -> Result<Option<PrSummary>, Error>;
    /// Every open pull request from a branch of this repository (not from forks).
    fn list_open(&self) -> Result<Vec<PrSummary>, Error>;
    fn create(&self, pr: &PullRequest) -> Result<Created, Error>;
    /// Sets the title and body (and, on GitLab, the draft state, which its title carries).
    fn update(&self, found: &PrSummary, pr: &PullRequest) -> Result<PrSummary, Error>;
    fn make_draft(&self, found: &PrSummary) -> Result<(), Error>;
    fn add_labels(&self, found: &PrSummary, labels: &[String]) -> Result<(), Error>;
    fn request_reviewers(&self, found: &PrSummary, reviewers: &[String]) -> Result<(), Error>;
    fn close(&self, found: &PrSummary, comment: &str) -> Result<(), Error>;
}

/// One repository's forge, ready for requests.
pub struct Forge {
    target: Target,
    api: Box<dyn Api>,
}

impl Forge {
    pub fn connect(target: Target, token: Token, governor: Arc<Governor>) -> Forge {
        let api: Box<dyn Api> = match target.kind {
            ForgeKind::GitHub => Box::new(github::GitHub::new(&target, token, governor)),
            ForgeKind::GitLab => Box::new(gitlab::GitLab::new(&target, token, governor)),
        };
        Forge { target, api }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The open pull request whose head is `branch`, if any.
    pub fn find_open(&self, branch: &str) -> Result<Option<PrSummary>, Error> {
        self.api.find_open(branch)
    }

    /// Opens the pull request of `pr.head_branch`, or updates the one that is open: title,
    /// body, labels and, when it has conflicts, draft. Reviewers are asked only when it is
    /// created, so a re-run does not notify them again.
    pub fn open_or_update(&self, pr: &PullRequest) -> Result<Opened, Error> {
        let (summary, action) = match self.api.find_open(&pr.head_branch)? {
            Some(found) => (self.api.update(&found, pr)?, Action::Updated),
            None => match self.api.create(pr)? {
                Created::New(summary) => (summary, Action::Created),
                Created::AlreadyExists => {
                    // Opened by another run in between, or not listed yet: never a second one.
                    let found =
                        self.api
                            .find_open(&pr.head_branch)?
                            .ok_or_else(|| Error::BadResponse {
                                method: "POST",
                                url: self.target.api_base.clone(),
                                message: format!(
                                    "the forge says a {} for {} exists but does not list it",
                                    self.target.kind.noun(),
                                    pr.head_branch
                                ),
                            })?;
                    (self.api.update(&found, pr)?, Action::Updated)
                }
            },
        };
        let mut warnings = Vec::new();
        let mut draft = summary.draft;
        if pr.is_draft() && !summary.draft {
            match self.api.make_draft(&summary) {
                Ok(()) => draft = true,
                Err(e) => warnings.push(format!("could not make it a draft: {e}")),
            }
        }
        if !pr.labels.is_empty() {
            if let Err(e) = self.api.add_labels(&summary, &pr.labels) {
                warnings.push(format!("could not add the labels: {e}"));
            }
        }
        if action == Action::Created && !pr.reviewers.is_empty() {
            if let Err(e) = self.api.request_reviewers(&summary, &pr.reviewers) {
                warnings.push(format!("could not ask for reviews: {e}"));
            }
        }
        Ok(Opened {
            action,
            number: summary.number,
            url: summary.url,
            draft,
            warnings,
        })
    }

    /// Closes, with `comment`, every open pull request of an older campaign: a head branch
    /// `prefix` + version whose version is lower than `current`'s (`goldpath/rust-service-1.3.0`
    /// when `current` is `goldpath/rust-service-1.4.0`). A newer campaign's, or one whose
    /// suffix is not a version, is left open. If `current`'s own suffix is not a version, every
    /// other branch with the prefix counts as older.
    pub fn close_superseded(
        &self,
        prefix: &str,
        current: &str,
        comment: &str,
    ) -> Result<Vec<PrSummary>, Error> {
        let version = |branch: &str| {
            let suffix = branch.strip_prefix(prefix)?;
            semver::Version::parse(suffix.strip_prefix('v').unwrap_or(suffix)).ok()
        };
        let ours = version(current);
        let mut closed = Vec::new();
        for pr in self.api.list_open()? {
            if pr.head_branch == current || !pr.head_branch.starts_with(prefix) {
                continue;
            }
            let older = match (&ours, version(&pr.head_branch)) {
                (Some(ours), Some(theirs)) => theirs < *ours,
                (Some(_), None) => false,
                (None, _) => true,
            };
            if older {
                self.api.close(&pr, comment)?;
                closed.push(pr);
            }
        }
        Ok(closed)
    }
}

type TokenLookup = Box<dyn Fn(&Target) -> Result<Token, Error> + Send + Sync>;

/// Everything a fleet run needs to reach forges: the `--forge` override, one governor per host
/// and one token per host (looked up once).
pub struct Forges {
    forge: Option<ForgeOverride>,
    governors: Governors,
    lookup: TokenLookup,
    tokens: Mutex<HashMap<String, Token>>,
}

impl Forges {
    /// Tokens from `GITHUB_TOKEN` / `GITLAB_TOKEN` or the user's git credential helpers.
    pub fn new(forge: Option<ForgeOverride>, governors: Governors) -> Forges {
        Forges {
            forge,
            governors,
            lookup: Box::new(token::from_environment),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Tokens from `lookup` instead (tests, or a CLI that asks differently).
    pub fn with_token_lookup(
        mut self,
        lookup: impl Fn(&Target) -> Result<Token, Error> + Send + Sync + 'static,
    ) -> Forges {
        self.lookup = Box::new(lookup);
        self
    }

    /// The forge of the repository at `remote`.
    pub fn connect(&self, remote: &str) -> Result<Forge, Error> {
        let target = Target::detect(remote, self.forge.as_ref())?;
        let token = {
            let key = format!("{}:{}", target.kind, target.host);
            let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
            match tokens.get(&key) {
                Some(token) => token.clone(),
                None => {
                    let token = (self.lookup)(&target)?;
                    tokens.insert(key, token.clone());
                    token
                }
            }
        };
        let governor = self.governors.for_host(&target.host);
        Ok(Forge::connect(target, token, governor))
    }

    /// [`Forge::open_or_update`] on the forge of `pr.repo_remote`.
    pub fn open_or_update(&self, pr: &PullRequest) -> Result<Opened, Error> {
        self.connect(&pr.repo_remote)?.open_or_update(pr)
    }
}

/// `text` as a URL query value: everything but RFC 3986's unreserved characters escaped
/// (branch names may hold `/`, `+`, `#`, `&`).
fn query_value(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The open pull requests of every page from `first`, as `summary` reads each (`None`: from a
/// fork, not ours), for both forges' `find_open` and `list_open`.
fn all_summaries(
    client: &http::Client,
    api_base: &str,
    first: String,
    summary: impl Fn(&str, &serde_json::Value) -> Result<Option<PrSummary>, Error>,
) -> Result<Vec<PrSummary>, Error> {
    let mut out = Vec::new();
    for v in all_pages(client, api_base, first.clone())? {
        out.extend(summary(&first, &v)?);
    }
    Ok(out)
}

/// Every page of a list, following `Link: rel="next"` only within the forge's API (a next page
/// elsewhere would get the token), up to a bound.
fn all_pages(
    client: &http::Client,
    api_base: &str,
    first: String,
) -> Result<Vec<serde_json::Value>, Error> {
    const MAX_PAGES: usize = 50;
    let mut items = Vec::new();
    let mut url = first;
    for _ in 0..MAX_PAGES {
        let (value, reply) = client.json(http::Method::Get, &url, None)?;
        match value {
            serde_json::Value::Array(page) => items.extend(page),
            _ => {
                return Err(Error::BadResponse {
                    method: "GET",
                    url,
                    message: "expected a list".into(),
                })
            }
        }
        match reply.next_page() {
            Some(next) if next.starts_with(&format!("{api_base}/")) => url = next,
            _ => break,
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(
            query_value("goldpath/rust-service-1.4.0"),
            "goldpath%2Frust-service-1.4.0"
        );
        assert_eq!(query_value("a+b&c#d é"), "a%2Bb%26c%23d%20%C3%A9");
    }
}
