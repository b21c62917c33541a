//! GitLab's REST API for merge requests (`/api/v4/projects/{id}/merge_requests`, `{id}` the
//! URL-encoded project path).
//!
//! - find: `GET .../merge_requests?state=opened&source_branch={branch}`
//! - create: `POST .../merge_requests` `{source_branch, target_branch, title, description}`; 409
//!   "Another open merge request already exists for this source branch" when one is open
//! - update: `PUT .../merge_requests/{iid}` `{title, description}`; labels `{add_labels}`;
//!   reviewers `{reviewer_ids}` (user ids, from `GET /users?username=`); close
//!   `{state_event: "close"}` after a note `POST .../merge_requests/{iid}/notes`
//! - draft: a title starting with `Draft:` (GitLab has no separate field to set)

use super::http::{Client, Method};
use super::{
    all_summaries, query_value, Api, Created, Error, Governor, PrSummary, PullRequest, Target,
    Token,
};
use serde_json::{json, Value};
use std::sync::Arc;

pub(super) struct GitLab {
    client: Client,
    api_base: String,
    /// `{api_base}/projects/{id}`.
    project_url: String,
}

impl GitLab {
    pub(super) fn new(target: &Target, token: Token, governor: Arc<Governor>) -> GitLab {
        GitLab {
            client: Client::new(token, governor, vec![("Accept", "application/json")]),
            api_base: target.api_base.clone(),
            project_url: format!("{}/projects/{}", target.api_base, target.project_id()),
        }
    }

    /// A merge request from the API's JSON; `None` if it comes from a fork.
    fn summary(url: &str, v: &Value) -> Result<Option<PrSummary>, Error> {
        let bad = |what: &str| Error::BadResponse {
            method: "GET",
            url: url.to_string(),
            message: format!("a merge request without {what}"),
        };
        if v["source_project_id"] != v["target_project_id"] {
            return Ok(None);
        }
        Ok(Some(PrSummary {
            number: v["iid"].as_u64().ok_or_else(|| bad("an iid"))?,
            url: v["web_url"]
                .as_str()
                .ok_or_else(|| bad("web_url"))?
                .to_string(),
            head_branch: v["source_branch"]
                .as_str()
                .ok_or_else(|| bad("source_branch"))?
                .to_string(),
            title: v["title"].as_str().unwrap_or_default().to_string(),
            draft: v["draft"]
                .as_bool()
                .or_else(|| v["work_in_progress"].as_bool())
                .unwrap_or(false),
            node_id: None,
            reviewer_ids: v["reviewers"]
                .as_array()
                .map(|r| r.iter().filter_map(|u| u["id"].as_u64()).collect())
                .unwrap_or_default(),
        }))
    }

    fn one(url: &str, v: &Value) -> Result<PrSummary, Error> {
        GitLab::summary(url, v)?.ok_or_else(|| Error::BadResponse {
            method: "POST",
            url: url.to_string(),
            message: "the merge request is not from a branch of this project".into(),
        })
    }

    /// GitLab's draft is its title: `Draft: ...`.
    fn title(pr: &PullRequest) -> String {
        if pr.is_draft() {
            format!("Draft: {}", pr.title())
        } else {
            pr.title()
        }
    }

    fn user_id(&self, name: &str) -> Result<u64, Error> {
        let url = format!("{}/users?username={}", self.api_base, query_value(name));
        let (v, _) = self.client.json(Method::Get, &url, None)?;
        v[0]["id"].as_u64().ok_or_else(|| Error::BadResponse {
            method: "GET",
            url,
            message: format!("no user `{name}`"),
        })
    }
}

impl Api for GitLab {
    fn find_open(&self, head: &str) -> Result<Option<PrSummary>, Error> {
        let url = format!(
            "{}/merge_requests?state=opened&source_branch={}&per_page=100",
            self.project_url,
            query_value(head)
        );
        let open = all_summaries(&self.client, &self.api_base, url, GitLab::summary)?;
        Ok(open.into_iter().find(|mr| mr.head_branch == head))
    }

    fn list_open(&self) -> Result<Vec<PrSummary>, Error> {
        let url = format!(
            "{}/merge_requests?state=opened&per_page=100",
            self.project_url
        );
        all_summaries(&self.client, &self.api_base, url, GitLab::summary)
    }

    fn create(&self, pr: &PullRequest) -> Result<Created, Error> {
        let url = format!("{}/merge_requests", self.project_url);
        let body = json!({
            "source_branch": pr.head_branch,
            "target_branch": pr.base,
            "title": GitLab::title(pr),
            "description": pr.body("merge request"),
        });
        let reply = self.client.send(Method::Post, &url, Some(&body))?;
        if reply.status == 409 || (reply.status == 422 && reply.body.contains("already exists")) {
            return Ok(Created::AlreadyExists);
        }
        let v = self.client.value(Method::Post, &url, &reply)?;
        Ok(Created::New(GitLab::one(&url, &v)?))
    }

    fn update(&self, found: &PrSummary, pr: &PullRequest) -> Result<PrSummary, Error> {
        let url = format!("{}/merge_requests/{}", self.project_url, found.number);
        let body = json!({ "title": GitLab::title(pr), "description": pr.body("merge request") });
        let (v, _) = self.client.json(Method::Put, &url, Some(&body))?;
        GitLab::one(&url, &v)
    }

    fn make_draft(&self, _found: &PrSummary) -> Result<(), Error> {
        // `update` and `create` already set the `Draft:` title; a forge that still says it is
        // not a draft would be refused the same way again.
        Ok(())
    }

    fn add_labels(&self, found: &PrSummary, labels: &[String]) -> Result<(), Error> {
        let url = format!("{}/merge_requests/{}", self.project_url, found.number);
        let body = json!({ "add_labels": labels.join(",") });
        self.client.json(Method::Put, &url, Some(&body))?;
        Ok(())
    }

    fn request_reviewers(&self, found: &PrSummary, reviewers: &[String]) -> Result<(), Error> {
        // The list replaces the merge request's reviewers: keep those already asked.
        let mut ids = found.reviewer_ids.clone();
        for name in reviewers {
            let id = self.user_id(name)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let url = format!("{}/merge_requests/{}", self.project_url, found.number);
        self.client
            .json(Method::Put, &url, Some(&json!({ "reviewer_ids": ids })))?;
        Ok(())
    }

    fn close(&self, found: &PrSummary, comment: &str) -> Result<(), Error> {
        let url = format!("{}/merge_requests/{}/notes", self.project_url, found.number);
        self.client
            .json(Method::Post, &url, Some(&json!({ "body": comment })))?;
        let url = format!("{}/merge_requests/{}", self.project_url, found.number);
        self.client
            .json(Method::Put, &url, Some(&json!({ "state_event": "close" })))?;
        Ok(())
    }
}
