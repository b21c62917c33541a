//! `goldpath fleet upgrade --push --pr`: the real binary over repositories with bare `file://`
//! remotes, opening pull requests on the fake forge of tests/forge_server.rs (`--forge github
//! --forge-url http://127.0.0.1:PORT`, and once GitLab): the requests made, the draft for the
//! conflicted repository, labels, the report's URLs, a re-run that updates instead of opening a
//! second one, and a token that appears nowhere but in the Authorization header.

use crate::fleet::{project, remote_of, report_of};
use crate::forge_server::{fake_github, gitlab, GitLabState, Server};
use crate::harness::{read, Outcome, Workspace};
use crate::upgrade::svc_bundle;
use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};

const BRANCH: &str = "goldpath/svc-2.0.0";
const GITHUB_TOKEN: &str = "ghp_FleetPrSecret9876543210fedcba";
const GITLAB_TOKEN: &str = "glpat-FleetPrSecret0123456789";

fn upgrade(
    s: &Workspace,
    list: &Path,
    report: &Path,
    forge: &[&str],
    env: (&str, &str),
) -> Outcome {
    let mut args = vec![
        "fleet",
        "upgrade",
        "--repos",
        list.to_str().unwrap(),
        "--bundle",
        "svc",
        "--to",
        "2.0.0",
        "--branch",
        BRANCH,
        "--defaults",
        "--jobs",
        "1",
        "--push",
        "--push-conflicts",
        "--pr",
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(forge);
    s.command(s.root(), &args).env(env.0, env.1).run()
}

fn assert_no_token(token: &str, out: &Outcome, report: &Path) {
    assert!(
        !out.stdout.contains(token),
        "token in stdout:\n{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains(token),
        "token in stderr:\n{}",
        out.stderr
    );
    assert!(!read(report).contains(token), "token in the report");
}

/// Every request carried the token in its Authorization header, and nowhere else.
fn assert_token_only_in_authorization(server: &Server, token: &str) {
    for r in server.requests() {
        let auth = r
            .header("authorization")
            .or_else(|| r.header("private-token"))
            .unwrap_or("");
        assert!(auth.contains(token), "{} without the token", r.line());
        assert!(!r.target.contains(token) && !r.body.contains(token));
    }
}

#[test]
fn fleet_pr_opens_pull_requests_then_a_rerun_updates_them() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let clean = project(&s, &url, "clean", "1.0.0", |_| {});
    let clean_url = remote_of(&s, &clean, "acme/clean");
    let conflict = project(&s, &url, "conflict", "1.0.0", |p| {
        let d = read(p.join("Dockerfile")).replace("rust:1.82-slim", "rust:1.84-slim");
        fs::write(p.join("Dockerfile"), d).unwrap();
    });
    let conflict_url = remote_of(&s, &conflict, "acme/conflict");
    let list = s.path("repos.txt");
    fs::write(&list, format!("{clean_url}\n{conflict_url}\n")).unwrap();
    let report = s.path("report.json");
    let fake = fake_github();
    let forge_url = fake.server.url();
    let forge = [
        "--forge",
        "github",
        "--forge-url",
        &forge_url,
        "--label",
        "golden-path",
        "--label",
        "deps",
    ];

    let out = upgrade(&s, &list, &report, &forge, ("GITHUB_TOKEN", GITHUB_TOKEN));
    assert_eq!(out.code, Some(1), "conflicts exit 1\n{out}");
    let requests = fake.server.requests();
    let creates: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path().ends_with("/pulls"))
        .collect();
    assert_eq!(creates.len(), 2, "{:?}", fake.server.lines());
    let clean_pr = creates
        .iter()
        .find(|r| r.path() == "/api/v3/repos/acme/clean/pulls")
        .unwrap()
        .json();
    assert_eq!(clean_pr["title"], "Upgrade svc to 2.0.0 (golden path)");
    assert_eq!(clean_pr["head"], BRANCH);
    assert_eq!(clean_pr["base"], "main");
    assert_eq!(clean_pr["draft"], false);
    let body = clean_pr["body"].as_str().unwrap();
    for want in [
        "## Release notes",
        "- Rust 1.86 in the Dockerfile",
        "| Project | From | To |",
        "1.0.0",
        "2.0.0",
        "| File | Change |",
        "`Dockerfile`",
    ] {
        assert!(body.contains(want), "{want} not in\n{body}");
    }
    assert!(
        !body.contains("- first"),
        "1.0.0's notes are not crossed\n{body}"
    );
    let conflict_pr = creates
        .iter()
        .find(|r| r.path() == "/api/v3/repos/acme/conflict/pulls")
        .unwrap()
        .json();
    assert_eq!(
        conflict_pr["title"],
        "[conflicts] Upgrade svc to 2.0.0 (golden path)"
    );
    assert_eq!(conflict_pr["draft"], true);
    let body = conflict_pr["body"].as_str().unwrap();
    assert!(
        body.contains("Resolving the conflicts") && body.contains("goldpath upgrade --continue"),
        "{body}"
    );
    {
        let state = fake.state.lock().unwrap();
        assert_eq!(state.labels.len(), 2, "{:?}", state.labels);
        for (_, labels) in &state.labels {
            assert_eq!(labels, &["golden-path", "deps"]);
        }
    }
    // Mutating requests to one host are paced (the governor's default, 1 s).
    let mutating: Vec<_> = requests.iter().filter(|r| r.mutating()).collect();
    for pair in mutating.windows(2) {
        assert!(
            pair[1].at.duration_since(pair[0].at) >= std::time::Duration::from_millis(900),
            "{} then {} too soon",
            pair[0].line(),
            pair[1].line()
        );
    }
    let r = report_of(&report);
    let port = fake.server.port;
    let url_of = |repo: &str| r["repos"][repo]["pull_request_url"].clone();
    let clean_link = url_of(&clean_url);
    let conflict_link = url_of(&conflict_url);
    assert!(
        clean_link
            .as_str()
            .unwrap()
            .starts_with(&format!("http://127.0.0.1:{port}/acme/clean/pull/")),
        "{r:#}"
    );
    assert!(conflict_link
        .as_str()
        .unwrap()
        .starts_with(&format!("http://127.0.0.1:{port}/acme/conflict/pull/")));
    assert!(r["repos"][&clean_url]["pull_request_number"]
        .as_u64()
        .is_some());
    assert_eq!(r["repos"][&conflict_url]["outcome"], "conflicts");
    assert!(out.stderr.contains("pull request opened"), "{out}");
    assert!(out.stderr.contains("pull request opened (draft)"), "{out}");
    assert_no_token(GITHUB_TOKEN, &out, &report);

    // Again: the open pull requests are found and updated, never a second one.
    fake.server.clear();
    let again = upgrade(
        &s,
        &list,
        &s.path("again.json"),
        &forge,
        ("GITHUB_TOKEN", GITHUB_TOKEN),
    );
    assert_eq!(again.code, Some(1), "{again}");
    let lines = fake.server.lines();
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("POST") && l.ends_with("/pulls")),
        "{lines:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("PATCH")).count(),
        2,
        "{lines:?}"
    );
    assert_eq!(fake.state.lock().unwrap().prs.len(), 2);
    let r2 = report_of(&s.path("again.json"));
    assert_eq!(r2["repos"][&clean_url]["pull_request_url"], clean_link);
    assert_eq!(
        r2["repos"][&conflict_url]["pull_request_url"],
        conflict_link
    );
    assert!(again.stderr.contains("pull request updated"), "{again}");
    assert_no_token(GITHUB_TOKEN, &again, &s.path("again.json"));
    assert_token_only_in_authorization(&fake.server, GITHUB_TOKEN);
}

#[test]
fn fleet_pr_opens_a_gitlab_merge_request() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let orders = project(&s, &url, "orders", "1.0.0", |_| {});
    let orders_url = remote_of(&s, &orders, "acme/orders");
    let list = s.path("repos.txt");
    fs::write(&list, format!("{orders_url}\n")).unwrap();
    let report = s.path("report.json");
    let state: Arc<Mutex<GitLabState>> = Arc::default();
    let server = Server::start(gitlab(state.clone()));
    let forge_url = server.url();
    let out = upgrade(
        &s,
        &list,
        &report,
        &["--forge", "gitlab", "--forge-url", &forge_url, "--draft"],
        ("GITLAB_TOKEN", GITLAB_TOKEN),
    );
    assert_eq!(out.code, Some(0), "{out}");
    let create = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path() == "/api/v4/projects/acme%2Forders/merge_requests")
        .unwrap_or_else(|| panic!("{:?}", server.lines()));
    let b = create.json();
    assert_eq!(b["source_branch"], BRANCH);
    assert_eq!(b["target_branch"], "main");
    assert!(
        b["title"].as_str().unwrap().starts_with("Draft:"),
        "--draft: {b:#}"
    );
    assert!(b["description"]
        .as_str()
        .unwrap()
        .contains("| File | Change |"));
    let r = report_of(&report);
    assert_eq!(
        r["repos"][&orders_url]["pull_request_url"],
        "https://gitlab.example.com/acme/orders/-/merge_requests/1"
    );
    assert!(out.stderr.contains("merge request opened"), "{out}");
    assert_no_token(GITLAB_TOKEN, &out, &report);
    assert_token_only_in_authorization(&server, GITLAB_TOKEN);
    assert_eq!(state.lock().unwrap().mrs.len(), 1);
}

#[test]
fn fleet_pr_without_push_is_a_usage_error() {
    let s = Workspace::new();
    let list = s.path("repos.txt");
    fs::write(&list, "").unwrap();
    let out = s.goldpath(
        s.root(),
        &[
            "fleet",
            "upgrade",
            "--repos",
            list.to_str().unwrap(),
            "--bundle",
            "svc",
            "--pr",
        ],
    );
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("--push"), "{out}");
}

#[test]
fn fleet_pr_close_superseded_closes_an_older_campaigns_pull_request() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let clean = project(&s, &url, "clean", "1.0.0", |_| {});
    let clean_url = remote_of(&s, &clean, "acme/clean");
    let list = s.path("repos.txt");
    fs::write(&list, format!("{clean_url}\n")).unwrap();
    let fake = fake_github();
    let older = |number: u64, head: &str| {
        serde_json::json!({
            "number": number, "node_id": format!("PR_node{number}"),
            "html_url": format!("{}/acme/clean/pull/{number}", fake.server.url()),
            "state": "open", "title": "old", "body": "", "draft": false,
            "head": { "ref": head, "repo": { "full_name": "acme/clean" } },
            "base": { "ref": "main" },
        })
    };
    {
        let mut state = fake.state.lock().unwrap();
        state.prs.push(older(1, "goldpath/svc-1.5.0"));
        // A newer campaign's is left open.
        state.prs.push(older(2, "goldpath/svc-3.0.0"));
    }
    let forge_url = fake.server.url();
    let report = s.path("report.json");
    let out = upgrade(
        &s,
        &list,
        &report,
        &[
            "--forge",
            "github",
            "--forge-url",
            &forge_url,
            "--close-superseded",
        ],
        ("GITHUB_TOKEN", GITHUB_TOKEN),
    );
    assert_eq!(out.code, Some(0), "{out}");
    let state = fake.state.lock().unwrap();
    assert_eq!(state.prs.len(), 3, "{:?}", fake.server.lines());
    assert_eq!(state.prs[0]["state"], "closed");
    assert_eq!(state.prs[1]["state"], "open");
    assert_eq!(state.prs[2]["head"]["ref"], BRANCH);
    let new_url = state.prs[2]["html_url"].as_str().unwrap().to_string();
    assert!(
        state
            .comments
            .iter()
            .any(|(n, text)| *n == 1 && text.contains(&new_url)),
        "{:?}",
        state.comments
    );
    assert!(out.stderr.contains("as superseded"), "{out}");
    assert_no_token(GITHUB_TOKEN, &out, &report);
}
