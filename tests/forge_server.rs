//! A forge on 127.0.0.1 for the tests: a hand-written HTTP/1.1 server started and stopped by
//! each test, answering like GitHub's REST API (any `owner/name`) and GitLab's merge-request
//! API (any project), recording every request so tests can check methods, paths, JSON bodies,
//! headers and pacing. Shared by the forge client's tests (tests/forge.rs) and the fleet's
//! `--pr` tests, which drive the real binary against it (tests/fleet_pr.rs).

use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// The server

#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// Path and query, as sent (percent-encoding kept).
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) at: Instant,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap()
    }
    pub(crate) fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }
    pub(crate) fn mutating(&self) -> bool {
        self.method != "GET"
    }
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

pub(crate) fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        headers: vec![],
        body: body.to_string(),
    }
}

pub(crate) type Route = dyn FnMut(&Request) -> Answer + Send;

/// Which request a [`Server::fault_on`] answer is for.
pub(crate) type Matcher = dyn Fn(&Request) -> bool + Send;

/// The [`Server::fault_on`] answers not given yet, each with the request it is for.
pub(crate) type FaultsOn = Arc<Mutex<Vec<(Box<Matcher>, Answer)>>>;

/// GitHub's secondary rate limit: a 403 asking to wait `retry_after` seconds.
pub(crate) fn secondary_limit(retry_after: u64) -> Answer {
    Answer {
        status: 403,
        headers: vec![("Retry-After".into(), retry_after.to_string())],
        body: json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        })
        .to_string(),
    }
}

/// An HTTP/1.1 server on 127.0.0.1 answering one connection at a time (`Connection: close`),
/// recording each request; stopped and joined when dropped.
pub(crate) struct Server {
    pub(crate) port: u16,
    pub(crate) log: Arc<Mutex<Vec<Request>>>,
    /// Answers given before the route is asked (a 403, a 502), in order.
    pub(crate) faults: Arc<Mutex<VecDeque<Answer>>>,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) thread: Option<JoinHandle<()>>,
    /// Answers given once each to the first request they match (after `faults`).
    pub(crate) faults_on: FaultsOn,
}

impl Server {
    pub(crate) fn start(mut route: Box<Route>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let faults: Arc<Mutex<VecDeque<Answer>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (log2, faults2, stop2) = (log.clone(), faults.clone(), stop.clone());
        let faults_on: FaultsOn = Arc::default();
        let faults_on2 = faults_on.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                log2.lock().unwrap().push(request.clone());
                let fault = faults2.lock().unwrap().pop_front().or_else(|| {
                    let mut on = faults_on2.lock().unwrap();
                    let i = on.iter().position(|(matches, _)| matches(&request))?;
                    Some(on.remove(i).1)
                });
                let answer = fault.unwrap_or_else(|| route(&request));
                write_answer(stream, answer);
            }
        });
        Server {
            port,
            log,
            faults,
            stop,
            thread: Some(thread),
            faults_on,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Request::line).collect()
    }

    pub(crate) fn fault(&self, answer: Answer) {
        self.faults.lock().unwrap().push_back(answer);
    }

    /// Answers `answer`, once, to the first request `matches` accepts (a 403 for one
    /// repository's pull request, whichever request comes before it).
    pub(crate) fn fault_on(
        &self,
        matches: impl Fn(&Request) -> bool + Send + 'static,
        answer: Answer,
    ) {
        self.faults_on
            .lock()
            .unwrap()
            .push((Box::new(matches), answer));
    }

    pub(crate) fn clear(&self) {
        self.log.lock().unwrap().clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) fn read_request(stream: &TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let at = Instant::now();
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body: String::from_utf8(body).ok()?,
        at,
    })
}

pub(crate) fn write_answer(mut stream: TcpStream, answer: Answer) {
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(answer.body.as_bytes());
    let _ = stream.flush();
}

// ---------------------------------------------------------------------------------------------
// A GitHub: pull requests of acme/orders, in memory.

#[derive(Default)]
pub(crate) struct GitHubState {
    pub(crate) prs: Vec<Value>,
    pub(crate) labels: Vec<(u64, Vec<String>)>,
    pub(crate) reviewers: Vec<(u64, Value)>,
    pub(crate) comments: Vec<(u64, String)>,
    /// How many find-by-head requests answer `[]` whatever is open (a listing that lags).
    pub(crate) hide_from_find: usize,
    /// A private repository on a free plan: no drafts.
    pub(crate) no_drafts: bool,
}

pub(crate) fn github(state: Arc<Mutex<GitHubState>>, port_hint: Arc<Mutex<u16>>) -> Box<Route> {
    Box::new(move |r: &Request| {
        let mut s = state.lock().unwrap();
        let path = r.path().to_string();
        // Any repository: `/api/v3/repos/OWNER/NAME/...`; pull requests are numbered across
        // them (their index + 1), which the client never assumes otherwise.
        let full_name = path
            .strip_prefix("/api/v3/repos/")
            .map(|p| p.split('/').take(2).collect::<Vec<_>>().join("/"))
            .unwrap_or_default();
        let repo = format!("/api/v3/repos/{full_name}");
        let owner = full_name.split('/').next().unwrap_or_default().to_string();
        let query = r.target.split_once('?').map_or("", |(_, q)| q).to_string();
        let port = *port_hint.lock().unwrap();
        let pr_json = |number: u64, head: &str, title: &str, body: &str, draft: bool| {
            json!({
                "number": number,
                "node_id": format!("PR_node{number}"),
                "html_url": format!("http://127.0.0.1:{port}/{full_name}/pull/{number}"),
                "state": "open",
                "title": title,
                "body": body,
                "draft": draft,
                "head": { "ref": head, "repo": { "full_name": full_name } },
                "base": { "ref": "main" },
            })
        };
        match (r.method.as_str(), path.as_str()) {
            ("GET", p) if p == format!("{repo}/pulls") => {
                let open = s.prs.iter().filter(|p| {
                    p["state"] == "open" && p["head"]["repo"]["full_name"] == full_name.as_str()
                });
                let list: Vec<Value> = match query.split('&').find_map(|q| q.strip_prefix("head="))
                {
                    Some(head) => {
                        if s.hide_from_find > 0 {
                            s.hide_from_find -= 1;
                            return answer(200, json!([]));
                        }
                        let head = head.replace("%3A", ":").replace("%2F", "/");
                        open.filter(|p| {
                            format!("{owner}:{}", p["head"]["ref"].as_str().unwrap()) == head
                        })
                        .cloned()
                        .collect()
                    }
                    None => open.cloned().collect(),
                };
                answer(200, Value::Array(list))
            }
            ("POST", p) if p == format!("{repo}/pulls") => {
                let b = r.json();
                let head = b["head"].as_str().unwrap().to_string();
                if s.prs.iter().any(|p| {
                    p["state"] == "open"
                        && p["head"]["ref"] == head.as_str()
                        && p["head"]["repo"]["full_name"] == full_name.as_str()
                }) {
                    return answer(
                        422,
                        json!({
                            "message": "Validation Failed",
                            "errors": [{ "resource": "PullRequest", "code": "custom",
                                         "message": format!("A pull request already exists for {owner}:{head}.") }],
                        }),
                    );
                }
                if s.no_drafts && b["draft"] == true {
                    return answer(
                        422,
                        json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom",
                                "message": "Draft pull requests are not supported in this repository."}]}),
                    );
                }
                let number = s.prs.len() as u64 + 1;
                let pr = pr_json(
                    number,
                    &head,
                    b["title"].as_str().unwrap(),
                    b["body"].as_str().unwrap(),
                    b["draft"].as_bool().unwrap(),
                );
                s.prs.push(pr.clone());
                answer(201, pr)
            }
            ("PATCH", p) if p.starts_with(&format!("{repo}/pulls/")) => {
                let n: u64 = p.rsplit('/').next().unwrap().parse().unwrap();
                let b = r.json();
                let pr = &mut s.prs[n as usize - 1];
                for key in ["title", "body", "state"] {
                    if let Some(v) = b.get(key) {
                        pr[key] = v.clone();
                    }
                }
                answer(200, pr.clone())
            }
            ("POST", p) if p.starts_with(&format!("{repo}/issues/")) && p.ends_with("/labels") => {
                let n: u64 = p.split('/').nth_back(1).unwrap().parse().unwrap();
                let labels = r.json()["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_string())
                    .collect();
                s.labels.push((n, labels));
                answer(200, json!([]))
            }
            ("POST", p)
                if p.starts_with(&format!("{repo}/issues/")) && p.ends_with("/comments") =>
            {
                let n: u64 = p.split('/').nth_back(1).unwrap().parse().unwrap();
                s.comments
                    .push((n, r.json()["body"].as_str().unwrap().to_string()));
                answer(201, json!({"id": 1}))
            }
            ("POST", p)
                if p.starts_with(&format!("{repo}/pulls/"))
                    && p.ends_with("/requested_reviewers") =>
            {
                let n: u64 = p.split('/').nth_back(1).unwrap().parse().unwrap();
                s.reviewers.push((n, r.json()));
                let pr = s.prs[n as usize - 1].clone();
                answer(201, pr)
            }
            ("POST", "/api/graphql") if s.no_drafts => answer(
                200,
                json!({"errors": [{"message": "Draft pull requests are not supported in this repository."}]}),
            ),
            ("POST", "/api/graphql") => {
                let id = r.json()["variables"]["id"].as_str().unwrap().to_string();
                let n: usize = id.trim_start_matches("PR_node").parse().unwrap();
                s.prs[n - 1]["draft"] = json!(true);
                answer(
                    200,
                    json!({"data": {"convertPullRequestToDraft": {"pullRequest": {"isDraft": true}}}}),
                )
            }
            _ => answer(404, json!({"message": "Not Found"})),
        }
    })
}

pub(crate) struct Fake {
    pub(crate) server: Server,
    pub(crate) state: Arc<Mutex<GitHubState>>,
}

pub(crate) fn fake_github() -> Fake {
    let state: Arc<Mutex<GitHubState>> = Arc::default();
    let port = Arc::new(Mutex::new(0));
    let server = Server::start(github(state.clone(), port.clone()));
    *port.lock().unwrap() = server.port;
    Fake { server, state }
}

// ---------------------------------------------------------------------------------------------
// GitLab

#[derive(Default)]
pub(crate) struct GitLabState {
    pub(crate) mrs: Vec<Value>,
    pub(crate) notes: Vec<(u64, String)>,
}

pub(crate) fn gitlab(state: Arc<Mutex<GitLabState>>) -> Box<Route> {
    Box::new(move |r: &Request| {
        let mut s = state.lock().unwrap();
        let path = r.path().to_string();
        // Any project: `/api/v4/projects/ID/...`; iids are numbered across them.
        let id = path
            .strip_prefix("/api/v4/projects/")
            .and_then(|p| p.split('/').next())
            .unwrap_or_default()
            .to_string();
        let project = format!("/api/v4/projects/{id}");
        let project_path = id.replace("%2F", "/");
        let query = r.target.split_once('?').map_or("", |(_, q)| q).to_string();
        let mrs = format!("{project}/merge_requests");
        match (r.method.as_str(), path.as_str()) {
            ("GET", "/api/v4/users") => match query.as_str() {
                "username=alice" => answer(200, json!([{"id": 41, "username": "alice"}])),
                _ => answer(200, json!([])),
            },
            ("GET", p) if p == mrs => {
                let branch = query
                    .split('&')
                    .find_map(|q| q.strip_prefix("source_branch="))
                    .map(|b| b.replace("%2F", "/"));
                let list: Vec<Value> = s
                    .mrs
                    .iter()
                    .filter(|m| m["state"] == "opened" && m["project"] == project_path.as_str())
                    .filter(|m| branch.as_deref().is_none_or(|b| m["source_branch"] == b))
                    .cloned()
                    .collect();
                answer(200, Value::Array(list))
            }
            ("POST", p) if p == mrs => {
                let b = r.json();
                let branch = b["source_branch"].as_str().unwrap();
                if s.mrs.iter().any(|m| {
                    m["state"] == "opened"
                        && m["source_branch"] == branch
                        && m["project"] == project_path.as_str()
                }) {
                    return answer(
                        409,
                        json!({"message": ["Another open merge request already exists for this source branch: !1"]}),
                    );
                }
                let iid = s.mrs.len() as u64 + 1;
                let title = b["title"].as_str().unwrap();
                let mr = json!({
                    "iid": iid, "id": 1000 + iid, "state": "opened",
                    "title": title, "description": b["description"],
                    "draft": title.starts_with("Draft:"),
                    "source_branch": branch, "target_branch": b["target_branch"],
                    "source_project_id": 7, "target_project_id": 7,
                    "project": project_path,
                    "web_url": format!("https://gitlab.example.com/{project_path}/-/merge_requests/{iid}"),
                    "labels": [], "reviewers": [{"id": 9, "username": "bob"}],
                });
                s.mrs.push(mr.clone());
                answer(201, mr)
            }
            ("POST", p) if p.starts_with(&format!("{mrs}/")) && p.ends_with("/notes") => {
                let iid: u64 = p.split('/').nth_back(1).unwrap().parse().unwrap();
                s.notes
                    .push((iid, r.json()["body"].as_str().unwrap().to_string()));
                answer(201, json!({"id": 5}))
            }
            ("PUT", p) if p.starts_with(&format!("{mrs}/")) => {
                let iid: usize = p.rsplit('/').next().unwrap().parse().unwrap();
                let b = r.json();
                let mr = &mut s.mrs[iid - 1];
                if let Some(t) = b["title"].as_str() {
                    mr["title"] = json!(t);
                    mr["draft"] = json!(t.starts_with("Draft:"));
                }
                if let Some(d) = b.get("description") {
                    mr["description"] = d.clone();
                }
                if let Some(l) = b["add_labels"].as_str() {
                    mr["labels"] = json!(l.split(',').collect::<Vec<_>>());
                }
                if let Some(ids) = b["reviewer_ids"].as_array() {
                    mr["reviewers"] =
                        json!(ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>());
                }
                if b["state_event"] == "close" {
                    mr["state"] = json!("closed");
                }
                answer(200, mr.clone())
            }
            _ => answer(404, json!({"message": "404 Not Found"})),
        }
    })
}
