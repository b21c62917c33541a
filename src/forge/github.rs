//! GitHub's REST API for pull requests (and one GraphQL mutation: REST cannot make an open pull
//! request a draft).
//!
//! - find: `GET /repos/{o}/{r}/pulls?state=open&head={o}:{branch}`
//! - create: `POST /repos/{o}/{r}/pulls` `{title, head, base, body, draft}`; 422 "A pull request
//!   already exists for ..." when one is open for the branch
//! - update: `PATCH /repos/{o}/{r}/pulls/{n}` `{title, body}`; close: the same with
//!   `{state: "closed"}`, after a comment `POST /repos/{o}/{r}/issues/{n}/comments`
//! - labels: `POST /repos/{o}/{r}/issues/{n}/labels`; reviewers:
//!   `POST /repos/{o}/{r}/pulls/{n}/requested_reviewers` `{reviewers, team_reviewers}`
//! - draft: GraphQL `convertPullRequestToDraft`

use super::http::{Client, Method};
use super::{
    all_summaries, query_value, Api, Created, Error, Governor, PrSummary, PullRequest, Target,
    Token,
};
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) struct GitHub {
    client: Client,
    api_base: String,
    /// `{api_base}/repos/{owner}/{name}`.
    repo_url: String,
    graphql_url: String,
    owner: String,
    repo: String,
}

impl GitHub {
    pub(super) fn new(target: &Target, token: Token, governor: Arc<Governor>) -> GitHub {
        let client = Client::new(
            token,
            governor,
            vec![
                ("Accept", "application/vnd.github+json"),
                ("X-GitHub-Api-Version", "2022-11-28"),
            ],
        );
        // GitHub Enterprise serves GraphQL at /api/graphql, beside /api/v3.
        let graphql_url = match target.api_base.strip_suffix("/api/v3") {
            Some(root) => format!("{root}/api/graphql"),
            None => format!("{}/graphql", target.api_base),
        };
        GitHub {
            client,
            api_base: target.api_base.clone(),
            repo_url: format!("{}/repos/{}", target.api_base, target.repo),
            graphql_url,
            owner: target.owner().to_string(),
            repo: target.repo.clone(),
        }
    }

    /// A pull request from the API's JSON; `None` if it comes from a fork.
    fn summary(&self, url: &str, v: &Value) -> Result<Option<PrSummary>, Error> {
        let bad = |what: &str| Error::BadResponse {
            method: "GET",
            url: url.to_string(),
            message: format!("a pull request without {what}"),
        };
        let same_repo = v["head"]["repo"]["full_name"]
            .as_str()
            .is_some_and(|name| name.eq_ignore_ascii_case(&self.repo));
        if !same_repo {
            return Ok(None);
        }
        Ok(Some(PrSummary {
            number: v["number"].as_u64().ok_or_else(|| bad("a number"))?,
            url: v["html_url"]
                .as_str()
                .ok_or_else(|| bad("html_url"))?
                .to_string(),
            head_branch: v["head"]["ref"]
                .as_str()
                .ok_or_else(|| bad("head.ref"))?
                .to_string(),
            title: v["title"].as_str().unwrap_or_default().to_string(),
            draft: v["draft"].as_bool().unwrap_or(false),
            node_id: v["node_id"].as_str().map(str::to_string),
            reviewer_ids: Vec::new(),
        }))
    }

    fn one(&self, url: &str, v: &Value) -> Result<PrSummary, Error> {
        self.summary(url, v)?.ok_or_else(|| Error::BadResponse {
            method: "POST",
            url: url.to_string(),
            message: format!("the pull request is not from a branch of {}", self.repo),
        })
    }
}

impl Api for GitHub {
    fn find_open(&self, head: &str) -> Result<Option<PrSummary>, Error> {
        let url = format!(
            "{}/pulls?state=open&head={}&per_page=100",
            self.repo_url,
            query_value(&format!("{}:{head}", self.owner))
        );
        let open = all_summaries(&self.client, &self.api_base, url, |url, v| {
            self.summary(url, v)
        })?;
        Ok(open.into_iter().find(|pr| pr.head_branch == head))
    }

    fn list_open(&self) -> Result<Vec<PrSummary>, Error> {
        let url = format!("{}/pulls?state=open&per_page=100", self.repo_url);
        all_summaries(&self.client, &self.api_base, url, |url, v| {
            self.summary(url, v)
        })
    }

    fn create(&self, pr: &PullRequest) -> Result<Created, Error> {
        let url = format!("{}/pulls", self.repo_url);
        let mut body = json!({
            "title": pr.title(),
            "head": pr.head_branch,
            "base": pr.base,
            "body": pr.body("pull request"),
            "draft": pr.is_draft(),
        });
        let mut reply = self.client.send(Method::Post, &url, Some(&body))?;
        if reply.status == 422 && reply.body.contains("already exists") {
            return Ok(Created::AlreadyExists);
        }
        // Private repositories on GitHub's free plans have no drafts. Asked for with --draft
        // only, it is opened ready for review (and `make_draft` then warns); with conflicts it is
        // not opened at all: a conflicted pull request anyone could merge is worse than none.
        if pr.is_draft()
            && reply.status == 422
            && reply.body.contains("Draft pull requests are not supported")
        {
            if pr.body_input.has_conflicts() {
                return Err(Error::Api {
                    method: "POST",
                    url,
                    status: 422,
                    message: format!(
                        "{} has no draft pull requests, and one with conflicts is only opened as a \
                         draft: resolve the conflicts on {} first",
                        self.repo, pr.head_branch
                    ),
                });
            }
            body["draft"] = json!(false);
            reply = self.client.send(Method::Post, &url, Some(&body))?;
        }
        let v = self.client.value(Method::Post, &url, &reply)?;
        Ok(Created::New(self.one(&url, &v)?))
    }

    fn update(&self, found: &PrSummary, pr: &PullRequest) -> Result<PrSummary, Error> {
        let url = format!("{}/pulls/{}", self.repo_url, found.number);
        let body = json!({ "title": pr.title(), "body": pr.body("pull request") });
        let (v, _) = self.client.json(Method::Patch, &url, Some(&body))?;
        self.one(&url, &v)
    }

    fn make_draft(&self, found: &PrSummary) -> Result<(), Error> {
        let id = found.node_id.as_deref().ok_or_else(|| Error::BadResponse {
            method: "GET",
            url: found.url.clone(),
            message: "the pull request has no node_id".into(),
        })?;
        let body = json!({
            "query": "mutation($id: ID!) { convertPullRequestToDraft(input: {pullRequestId: $id}) { pullRequest { isDraft } } }",
            "variables": { "id": id },
        });
        let (v, _) = self
            .client
            .json(Method::Post, &self.graphql_url, Some(&body))?;
        // GraphQL answers 200 with its errors in the body.
        if let Some(errors) = v["errors"].as_array().filter(|e| !e.is_empty()) {
            let message = errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::Api {
                method: "POST",
                url: self.graphql_url.clone(),
                status: 200,
                message: self.client.mask(&message),
            });
        }
        Ok(())
    }

    fn add_labels(&self, found: &PrSummary, labels: &[String]) -> Result<(), Error> {
        let url = format!("{}/issues/{}/labels", self.repo_url, found.number);
        self.client
            .json(Method::Post, &url, Some(&json!({ "labels": labels })))?;
        Ok(())
    }

    fn request_reviewers(&self, found: &PrSummary, reviewers: &[String]) -> Result<(), Error> {
        // `org/team` is a team (its slug is what the API takes), anything else a user.
        let (teams, users): (Vec<&String>, Vec<&String>) =
            reviewers.iter().partition(|r| r.contains('/'));
        let teams: Vec<&str> = teams.iter().filter_map(|t| t.rsplit('/').next()).collect();
        let url = format!(
            "{}/pulls/{}/requested_reviewers",
            self.repo_url, found.number
        );
        let body = json!({ "reviewers": users, "team_reviewers": teams });
        self.client.json(Method::Post, &url, Some(&body))?;
        Ok(())
    }

    fn close(&self, found: &PrSummary, comment: &str) -> Result<(), Error> {
        let url = format!("{}/issues/{}/comments", self.repo_url, found.number);
        self.client
            .json(Method::Post, &url, Some(&json!({ "body": comment })))?;
        let url = format!("{}/pulls/{}", self.repo_url, found.number);
        self.client
            .json(Method::Patch, &url, Some(&json!({ "state": "closed" })))?;
        Ok(())
    }
}
