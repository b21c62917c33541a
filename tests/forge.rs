//! The forge client (`goldpath::forge`) against forges on 127.0.0.1: a hand-written HTTP server
//! started and stopped by each test, answering like GitHub's REST API and GitLab's merge-request
//! API, recording every request so the tests can check methods, paths, JSON bodies, headers and
//! pacing (the server is tests/forge_server.rs). These drive the library; tests/fleet_pr.rs drives
//! `goldpath fleet upgrade --pr`.

use crate::forge_server::{answer, fake_github, gitlab, Answer, GitLabState, Request, Server};
use goldpath::forge::{
    Action, Clock, FileKind, FileRow, ForgeKind, ForgeOverride, Forges, Governors, Options, PrBody,
    ProjectRow, PullRequest, SystemClock, Token, Wait, WaitReason,
};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A distinctive token: it must show up in the Authorization header and nowhere else.
const TOKEN: &str = "ghp_ForgeTestSecret0123456789abcdef";

// ---------------------------------------------------------------------------------------------
// The client's side

/// Real time for short sleeps; a long one (a rate limit's Retry-After) is recorded and skipped,
/// moving this clock forward instead, so the tests stay fast while the governor sees the time
/// it asked for pass.
#[derive(Default)]
struct QuickClock {
    real: SystemClock,
    skipped: Mutex<Duration>,
}

impl Clock for QuickClock {
    fn now(&self) -> Duration {
        self.real.now() + *self.skipped.lock().unwrap()
    }
    fn unix_now(&self) -> Duration {
        self.real.unix_now() + *self.skipped.lock().unwrap()
    }
    fn sleep(&self, d: Duration) {
        if d > Duration::from_millis(200) {
            *self.skipped.lock().unwrap() += d;
        } else {
            std::thread::sleep(d);
        }
    }
}

const INTERVAL: Duration = Duration::from_millis(40);

struct Client {
    forges: Forges,
    waits: Arc<Mutex<Vec<Wait>>>,
    clock: Arc<QuickClock>,
}

fn client(kind: ForgeKind, server: &Server) -> Client {
    let waits: Arc<Mutex<Vec<Wait>>> = Arc::default();
    let seen = waits.clone();
    let options = Options {
        min_interval: INTERVAL,
        backoff: Duration::from_millis(10),
        ..Options::default()
    };
    let clock = Arc::new(QuickClock::default());
    let governors = Governors::new(
        options,
        clock.clone(),
        Some(Arc::new(move |w: &Wait| {
            seen.lock().unwrap().push(w.clone())
        })),
    );
    let forge = ForgeOverride {
        kind,
        url: server.url(),
    };
    let forges = Forges::new(Some(forge), governors).with_token_lookup(|_| Ok(Token::new(TOKEN)));
    Client {
        forges,
        waits,
        clock,
    }
}

fn body(conflicts: bool) -> PrBody {
    let mut files = vec![
        FileRow {
            path: "Cargo.toml".into(),
            kind: FileKind::LocalEditsKept,
        },
        FileRow {
            path: "deny.toml".into(),
            kind: FileKind::Added,
        },
    ];
    if conflicts {
        files.push(FileRow {
            path: "src/main.rs".into(),
            kind: FileKind::Conflicted,
        });
    }
    PrBody {
        bundle: "rust-service".into(),
        projects: vec![ProjectRow {
            dir: ".".into(),
            from: "1.2.0".into(),
            to: "1.4.0".into(),
        }],
        release_notes: Some("- cargo-deny in CI".into()),
        files,
        conflicts,
        branch: "goldpath/rust-service-1.4.0".into(),
    }
}

fn pull_request(remote: &str, conflicts: bool) -> PullRequest {
    PullRequest {
        repo_remote: remote.into(),
        base: "main".into(),
        head_branch: "goldpath/rust-service-1.4.0".into(),
        title: "Upgrade rust-service to 1.4.0".into(),
        body_input: body(conflicts),
        draft: false,
        labels: vec!["goldpath".into(), "dependencies".into()],
        reviewers: vec!["octocat".into(), "acme/platform".into()],
    }
}

const REMOTE: &str = "git@ghe.example.com:acme/orders.git";

/// The token is in every request's Authorization header, as `Bearer`, and nowhere else of
/// what was sent: not in a path, a query or a body.
fn assert_token_only_in_authorization(server: &Server) {
    for r in server.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{}",
            r.line()
        );
        assert!(
            r.header("user-agent").unwrap().starts_with("goldpath/"),
            "{}",
            r.line()
        );
        assert!(
            !r.target.contains(TOKEN) && !r.body.contains(TOKEN),
            "{}",
            r.line()
        );
    }
}

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "the token leaked: {text}");
    assert!(
        !text.contains("ForgeTestSecret"),
        "part of the token leaked: {text}"
    );
}

/// Gaps between the arrivals of mutating requests: none shorter than the pacing interval (the
/// governor counts it from the previous one's answer, so this holds exactly).
fn assert_paced(requests: &[Request]) {
    let times: Vec<Instant> = requests
        .iter()
        .filter(|r| r.mutating())
        .map(|r| r.at)
        .collect();
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= INTERVAL, "mutating requests {gap:?} apart");
    }
}

// ---------------------------------------------------------------------------------------------
// GitHub

#[test]
fn github_creates_then_a_rerun_updates_the_same_pull_request() {
    let fake = fake_github();
    let c = client(ForgeKind::GitHub, &fake.server);
    let pr = pull_request(REMOTE, false);

    let opened = c.forges.open_or_update(&pr).unwrap();
    assert_eq!(
        (opened.action, opened.number, opened.draft),
        (Action::Created, 1, false)
    );
    assert_eq!(
        opened.url,
        format!("{}/acme/orders/pull/1", fake.server.url())
    );
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    assert_eq!(
        fake.server.lines(),
        [
            "GET /api/v3/repos/acme/orders/pulls?state=open&head=acme%3Agoldpath%2Frust-service-1.4.0&per_page=100",
            "POST /api/v3/repos/acme/orders/pulls",
            "POST /api/v3/repos/acme/orders/issues/1/labels",
            "POST /api/v3/repos/acme/orders/pulls/1/requested_reviewers",
        ]
    );
    let sent = fake.server.requests();
    let create = sent[1].json();
    assert_eq!(create["title"], "Upgrade rust-service to 1.4.0");
    assert_eq!(
        (create["head"].as_str(), create["base"].as_str()),
        (Some("goldpath/rust-service-1.4.0"), Some("main"))
    );
    assert_eq!(create["draft"], false);
    let text = create["body"].as_str().unwrap();
    assert!(text.contains("| `.` | 1.2.0 | 1.4.0 |"), "{text}");
    assert!(text.contains("- cargo-deny in CI"), "{text}");
    assert!(
        text.contains("| `Cargo.toml` | updated, local edits kept |"),
        "{text}"
    );
    assert!(
        !text.contains("goldpath upgrade --continue"),
        "no conflict steps without conflicts: {text}"
    );
    assert_eq!(
        sent[2].json(),
        json!({"labels": ["goldpath", "dependencies"]})
    );
    assert_eq!(
        sent[3].json(),
        json!({"reviewers": ["octocat"], "team_reviewers": ["platform"]})
    );
    for r in &sent {
        assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
        assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
        if r.mutating() {
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
    }
    assert_token_only_in_authorization(&fake.server);
    assert_paced(&sent);

    // The same run again: the open pull request is found and updated, never duplicated, and
    // its reviewers are not notified a second time.
    fake.server.clear();
    let mut again = pr.clone();
    again.body_input.release_notes = Some("- cargo-deny in CI\n- rustls everywhere".into());
    let opened = c.forges.open_or_update(&again).unwrap();
    assert_eq!((opened.action, opened.number), (Action::Updated, 1));
    assert_eq!(
        fake.server.lines(),
        [
            "GET /api/v3/repos/acme/orders/pulls?state=open&head=acme%3Agoldpath%2Frust-service-1.4.0&per_page=100",
            "PATCH /api/v3/repos/acme/orders/pulls/1",
            "POST /api/v3/repos/acme/orders/issues/1/labels",
        ]
    );
    let state = fake.state.lock().unwrap();
    assert_eq!(state.prs.len(), 1);
    assert!(state.prs[0]["body"]
        .as_str()
        .unwrap()
        .contains("rustls everywhere"));
    assert_token_only_in_authorization(&fake.server);
}

#[test]
fn github_conflicted_pull_request_is_a_marked_draft() {
    let fake = fake_github();
    let c = client(ForgeKind::GitHub, &fake.server);
    // Opened clean by an earlier run, ready for review...
    c.forges
        .open_or_update(&pull_request(REMOTE, false))
        .unwrap();
    assert_eq!(fake.state.lock().unwrap().prs[0]["draft"], false);
    // ...then the branch is rebuilt with conflicts: retitled, and made a draft through GraphQL.
    fake.server.clear();
    let opened = c
        .forges
        .open_or_update(&pull_request(REMOTE, true))
        .unwrap();
    assert_eq!((opened.action, opened.draft), (Action::Updated, true));
    let sent = fake.server.requests();
    assert_eq!(
        sent[1].json()["title"],
        "[conflicts] Upgrade rust-service to 1.4.0"
    );
    let steps = sent[1].json()["body"].as_str().unwrap().to_string();
    assert!(
        steps.contains("git fetch origin && git switch goldpath/rust-service-1.4.0"),
        "{steps}"
    );
    assert!(steps.contains("goldpath upgrade --continue"), "{steps}");
    assert_eq!(sent[2].line(), "POST /api/graphql");
    assert!(sent[2].json()["query"]
        .as_str()
        .unwrap()
        .contains("convertPullRequestToDraft"));
    assert_eq!(sent[2].json()["variables"]["id"], "PR_node1");
    assert_eq!(fake.state.lock().unwrap().prs[0]["draft"], true);

    // A new conflicted one is created as a draft straight away; nothing asks for auto-merge.
    let fake = fake_github();
    let c = client(ForgeKind::GitHub, &fake.server);
    let opened = c
        .forges
        .open_or_update(&pull_request(REMOTE, true))
        .unwrap();
    assert!(opened.draft);
    let create = fake.server.requests()[1].json();
    assert_eq!(
        (create["draft"].as_bool(), create["title"].as_str()),
        (
            Some(true),
            Some("[conflicts] Upgrade rust-service to 1.4.0")
        )
    );
    assert!(
        fake.server
            .lines()
            .iter()
            .all(|l| !l.contains("graphql") && !l.contains("merge")),
        "{:?}",
        fake.server.lines()
    );
}

#[test]
fn github_already_exists_is_found_and_updated_never_duplicated() {
    let fake = fake_github();
    let c = client(ForgeKind::GitHub, &fake.server);
    c.forges
        .open_or_update(&pull_request(REMOTE, false))
        .unwrap();
    // Another run's pull request is open, but the listing has not caught up with it yet.
    fake.state.lock().unwrap().hide_from_find = 1;
    fake.server.clear();
    let opened = c
        .forges
        .open_or_update(&pull_request(REMOTE, false))
        .unwrap();
    assert_eq!((opened.action, opened.number), (Action::Updated, 1));
    let lines = fake.server.lines();
    assert_eq!(lines[1], "POST /api/v3/repos/acme/orders/pulls");
    assert!(
        lines[2].starts_with("GET /api/v3/repos/acme/orders/pulls?state=open&head="),
        "{lines:?}"
    );
    assert_eq!(lines[3], "PATCH /api/v3/repos/acme/orders/pulls/1");
    assert_eq!(fake.state.lock().unwrap().prs.len(), 1);
}

#[test]
fn github_rate_limits_are_waited_out_and_server_errors_retried() {
    let fake = fake_github();
    let c = client(ForgeKind::GitHub, &fake.server);
    // The find goes through; the create meets a secondary limit, then a 502, then works.
    fake.server.fault(answer(200, json!([])));
    fake.server.fault(Answer {
        status: 403,
        headers: vec![("Retry-After".into(), "37".into())],
        body: json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}).to_string(),
    });
    fake.server
        .fault(answer(502, json!({"message": "Server Error"})));
    let opened = c
        .forges
        .open_or_update(&pull_request(REMOTE, false))
        .unwrap();
    assert_eq!(opened.action, Action::Created);
    let lines = fake.server.lines();
    assert_eq!(
        lines
            .iter()
            .filter(|l| *l == "POST /api/v3/repos/acme/orders/pulls")
            .count(),
        3,
        "{lines:?}"
    );
    assert_eq!(fake.state.lock().unwrap().prs.len(), 1);
    let waits = c.waits.lock().unwrap().clone();
    let notable: Vec<(WaitReason, u64)> = waits
        .iter()
        .filter(|w| w.reason != WaitReason::Pacing)
        .map(|w| (w.reason, w.duration.as_secs_f64().round() as u64))
        .collect();
    assert_eq!(
        notable,
        [
            (WaitReason::SecondaryLimit, 37),
            (WaitReason::ServerError(502), 0)
        ]
    );
    assert_eq!(
        waits
            .iter()
            .find(|w| w.reason == WaitReason::SecondaryLimit)
            .unwrap()
            .describe(),
        format!(
            "waiting 37 s: 127.0.0.1:{} asked to slow down",
            fake.server.port
        )
    );

    // A spent budget: the next request waits for x-ratelimit-reset (on the test's clock, which
    // skipped the 37 s above).
    let reset = c.clock.unix_now().as_secs() + 90;
    c.waits.lock().unwrap().clear();
    fake.server.fault(Answer {
        status: 200,
        headers: vec![
            ("x-ratelimit-remaining".into(), "0".into()),
            ("x-ratelimit-reset".into(), reset.to_string()),
        ],
        body: "[]".into(),
    });
    c.forges
        .connect(REMOTE)
        .unwrap()
        .find_open("other")
        .unwrap();
    c.forges
        .connect(REMOTE)
        .unwrap()
        .find_open("other")
        .unwrap();
    let waits = c.waits.lock().unwrap().clone();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].reason, WaitReason::RateLimit);
    assert!(
        (80..=91).contains(&waits[0].duration.as_secs()),
        "{waits:?}"
    );
}

#[test]
fn github_errors_name_the_request_and_never_the_token() {
    let fake = fake_github();
    let c = client(ForgeKind::GitHub, &fake.server);
    // A forge (or a proxy) that echoes the credentials back.
    fake.server.fault(answer(
        401,
        json!({"message": format!("Bad credentials: Bearer {TOKEN}")}),
    ));
    let e = c
        .forges
        .open_or_update(&pull_request(REMOTE, false))
        .unwrap_err();
    let text = e.to_string();
    assert_eq!(
        text,
        format!(
            "GET {}/api/v3/repos/acme/orders/pulls?state=open&head=acme%3Agoldpath%2Frust-service-1.4.0&per_page=100: 401 Bad credentials: Bearer ***",
            fake.server.url()
        )
    );
    assert_no_token(&format!("{e:?}"));

    // Five 502s: gives up, bounded.
    for _ in 0..5 {
        fake.server.fault(answer(502, json!({"message": TOKEN})));
    }
    let e = c
        .forges
        .open_or_update(&pull_request(REMOTE, false))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "127.0.0.1:{} still refuses after 5 attempts (last answer 502)",
            fake.server.port
        )
    );
    // Nothing listens: a transport error, retried, then reported without the token.
    let port = fake.server.port;
    drop(fake);
    let url = format!("http://127.0.0.1:{port}");
    let forges = Forges::new(
        Some(ForgeOverride {
            kind: ForgeKind::GitHub,
            url,
        }),
        Governors::new(
            Options {
                backoff: Duration::from_millis(1),
                max_attempts: 2,
                ..Options::default()
            },
            Arc::new(SystemClock::default()),
            None,
        ),
    )
    .with_token_lookup(|_| Ok(Token::new(TOKEN)));
    let e = forges
        .open_or_update(&pull_request(REMOTE, false))
        .unwrap_err();
    assert!(
        e.to_string().contains("still refuses after 2 attempts"),
        "{e}"
    );
    assert_no_token(&format!("{e} {e:?}"));
    // Debug of everything a caller holds prints no token.
    assert_no_token(&format!("{:?}", Token::new(TOKEN)));
}

#[test]
fn github_threads_share_the_pace_of_one_host() {
    let fake = fake_github();
    let c = client(ForgeKind::GitHub, &fake.server);
    std::thread::scope(|scope| {
        for i in 0..3 {
            let forges = &c.forges;
            scope.spawn(move || {
                let mut pr = pull_request(REMOTE, false);
                pr.head_branch = format!("goldpath/rust-service-1.4.0-{i}");
                pr.reviewers.clear();
                forges.open_or_update(&pr).unwrap();
            });
        }
    });
    let sent = fake.server.requests();
    assert_eq!(sent.iter().filter(|r| r.mutating()).count(), 6);
    assert_paced(&sent);
    assert_eq!(fake.state.lock().unwrap().prs.len(), 3);
}

#[test]
fn github_closes_only_older_campaigns_as_superseded() {
    let fake = fake_github();
    let c = client(ForgeKind::GitHub, &fake.server);
    for branch in [
        "goldpath/rust-service-1.2.0",
        "goldpath/rust-service-1.3.0",
        "goldpath/rust-service-1.5.0",
        "feature/x",
        "goldpath/rust-service-1.4.0",
    ] {
        let mut pr = pull_request(REMOTE, false);
        pr.head_branch = branch.into();
        pr.labels.clear();
        pr.reviewers.clear();
        c.forges.open_or_update(&pr).unwrap();
    }
    fake.server.clear();
    let forge = c.forges.connect(REMOTE).unwrap();
    let closed = forge
        .close_superseded(
            "goldpath/rust-service-",
            "goldpath/rust-service-1.4.0",
            "Superseded by the upgrade to 1.4.0.",
        )
        .unwrap();
    let names: Vec<&str> = closed.iter().map(|p| p.head_branch.as_str()).collect();
    assert_eq!(
        names,
        ["goldpath/rust-service-1.2.0", "goldpath/rust-service-1.3.0"]
    );
    assert_eq!(
        fake.server.lines(),
        [
            "GET /api/v3/repos/acme/orders/pulls?state=open&per_page=100",
            "POST /api/v3/repos/acme/orders/issues/1/comments",
            "PATCH /api/v3/repos/acme/orders/pulls/1",
            "POST /api/v3/repos/acme/orders/issues/2/comments",
            "PATCH /api/v3/repos/acme/orders/pulls/2",
        ]
    );
    let state = fake.state.lock().unwrap();
    let open: Vec<&str> = state
        .prs
        .iter()
        .filter(|p| p["state"] == "open")
        .map(|p| p["head"]["ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        open,
        [
            "goldpath/rust-service-1.5.0",
            "feature/x",
            "goldpath/rust-service-1.4.0"
        ]
    );
    assert_eq!(
        state.comments,
        [
            (1, "Superseded by the upgrade to 1.4.0.".to_string()),
            (2, "Superseded by the upgrade to 1.4.0.".to_string())
        ]
    );
}

const GITLAB_REMOTE: &str = "https://gitlab.example.com/acme/platform/orders.git";

#[test]
fn gitlab_merge_requests_are_opened_updated_and_closed() {
    let state: Arc<Mutex<GitLabState>> = Arc::default();
    let server = Server::start(gitlab(state.clone()));
    let c = client(ForgeKind::GitLab, &server);
    // A remote on the forge's host keeps its whole path (a subgroup), URL-encoded as the id.
    let remote = GITLAB_REMOTE.replace(
        "https://gitlab.example.com",
        &format!("http://127.0.0.1:{}", server.port),
    );
    let mut pr = pull_request(&remote, true);
    pr.reviewers = vec!["alice".into()];
    let opened = c.forges.open_or_update(&pr).unwrap();
    assert_eq!(
        (opened.action, opened.number, opened.draft),
        (Action::Created, 1, true)
    );
    assert_eq!(
        server.lines(),
        [
            "GET /api/v4/projects/acme%2Fplatform%2Forders/merge_requests?state=opened&source_branch=goldpath%2Frust-service-1.4.0&per_page=100",
            "POST /api/v4/projects/acme%2Fplatform%2Forders/merge_requests",
            "PUT /api/v4/projects/acme%2Fplatform%2Forders/merge_requests/1",
            "GET /api/v4/users?username=alice",
            "PUT /api/v4/projects/acme%2Fplatform%2Forders/merge_requests/1",
        ]
    );
    let sent = server.requests();
    let create = sent[1].json();
    assert_eq!(
        create["title"],
        "Draft: [conflicts] Upgrade rust-service to 1.4.0"
    );
    assert_eq!(
        (
            create["source_branch"].as_str(),
            create["target_branch"].as_str()
        ),
        (Some("goldpath/rust-service-1.4.0"), Some("main"))
    );
    let description = create["description"].as_str().unwrap();
    assert!(
        description.contains("goldpath upgrade --continue"),
        "{description}"
    );
    assert!(
        description.contains("This merge request upgrades"),
        "{description}"
    );
    assert_eq!(
        sent[2].json(),
        json!({"add_labels": "goldpath,dependencies"})
    );
    // The reviewer already on it (bob, 9) is kept: GitLab replaces the whole list.
    assert_eq!(sent[4].json(), json!({"reviewer_ids": [9, 41]}));
    assert_token_only_in_authorization(&server);
    assert_paced(&sent);

    // Resolved and re-run: the same merge request, no longer a draft; a 409 on a racing create
    // is found and updated too.
    server.clear();
    let clean = pull_request(&remote, false);
    let opened = c.forges.open_or_update(&clean).unwrap();
    assert_eq!(
        (opened.action, opened.number, opened.draft),
        (Action::Updated, 1, false)
    );
    assert_eq!(
        server.requests()[1].json()["title"],
        "Upgrade rust-service to 1.4.0"
    );
    assert_eq!(state.lock().unwrap().mrs.len(), 1);

    // An older campaign's merge request is closed with a note.
    let mut old = pull_request(&remote, false);
    old.head_branch = "goldpath/rust-service-1.3.0".into();
    old.labels.clear();
    old.reviewers.clear();
    c.forges.open_or_update(&old).unwrap();
    let closed = c
        .forges
        .connect(&remote)
        .unwrap()
        .close_superseded(
            "goldpath/rust-service-",
            "goldpath/rust-service-1.4.0",
            "Superseded by !1.",
        )
        .unwrap();
    assert_eq!(closed.iter().map(|m| m.number).collect::<Vec<_>>(), [2]);
    let s = state.lock().unwrap();
    assert_eq!(s.mrs[1]["state"], "closed");
    assert_eq!(s.mrs[0]["state"], "opened");
    assert_eq!(s.notes, [(2, "Superseded by !1.".to_string())]);
}

#[test]
fn gitlab_conflict_409_and_429_rate_limit() {
    let state: Arc<Mutex<GitLabState>> = Arc::default();
    let server = Server::start(gitlab(state.clone()));
    let c = client(ForgeKind::GitLab, &server);
    let remote = "git@127.0.0.1:acme/platform/orders.git";
    let mut pr = pull_request(remote, false);
    pr.labels.clear();
    pr.reviewers.clear();
    c.forges.open_or_update(&pr).unwrap();
    // The find misses it (an empty answer), the create gets 409, GitLab's 429 with its
    // headers is waited out, and the existing one is updated.
    let reset = c.clock.unix_now().as_secs() + 20;
    server.clear();
    server.fault(answer(200, json!([])));
    server.fault(Answer {
        status: 429,
        headers: vec![
            ("RateLimit-Remaining".into(), "0".into()),
            ("RateLimit-Reset".into(), reset.to_string()),
            ("Retry-After".into(), "20".into()),
        ],
        body: "Retry later".into(),
    });
    let opened = c.forges.open_or_update(&pr).unwrap();
    assert_eq!((opened.action, opened.number), (Action::Updated, 1));
    let lines = server.lines();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("POST")).count(),
        2,
        "{lines:?}"
    );
    assert!(lines.last().unwrap().starts_with("PUT "), "{lines:?}");
    assert_eq!(state.lock().unwrap().mrs.len(), 1);
    let waits = c.waits.lock().unwrap();
    assert!(
        waits.iter().any(|w| matches!(
            w.reason,
            WaitReason::SecondaryLimit | WaitReason::RateLimit
        ) && (19.0..=20.5).contains(&w.duration.as_secs_f64())),
        "{waits:?}"
    );
}

#[test]
fn github_without_drafts_opens_ready_with_a_warning_but_never_a_conflicted_one() {
    let fake = fake_github();
    fake.state.lock().unwrap().no_drafts = true;
    let c = client(ForgeKind::GitHub, &fake.server);
    // Conflicts: refused, nothing opened.
    let e = c
        .forges
        .open_or_update(&pull_request(REMOTE, true))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("acme/orders has no draft pull requests")
            && e.contains("resolve the conflicts on goldpath/rust-service-1.4.0 first"),
        "{e}"
    );
    assert!(fake.state.lock().unwrap().prs.is_empty());
    // --draft without conflicts: opened ready for review, and said so.
    let mut pr = pull_request(REMOTE, false);
    pr.draft = true;
    let opened = c.forges.open_or_update(&pr).unwrap();
    assert_eq!((opened.action, opened.draft), (Action::Created, false));
    assert_eq!(opened.warnings.len(), 1, "{:?}", opened.warnings);
    assert!(
        opened.warnings[0].starts_with("could not make it a draft:")
            && opened.warnings[0].contains("not supported"),
        "{:?}",
        opened.warnings
    );
    assert_eq!(fake.state.lock().unwrap().prs.len(), 1);
}
