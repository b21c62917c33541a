//! `goldpath fleet upgrade --trust` with a release whose migration runs a hook (#12): the hook
//! runs in a private checkout outside every repository, its result is committed on the fleet
//! branch; without `--trust` the repositories are skipped naming it; a hook that fails fails its
//! repository alone and writes nothing into it; a local repository's work tree, index and
//! branch are never touched. And a kill during a forge's long wait, then `--resume`.

use crate::fleet::{copy_project, fingerprint, plain_repo, project, remote_file, remote_of};
use crate::harness::{edit_and_commit, git, read, BundleRepo, Outcome, Workspace};
use crate::upgrade::{svc_bundle, MANIFEST_V2};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const BRANCH: &str = "goldpath/svc-2.1.0";

/// The hook of 2.1.0: moves the notes to the handbook, records the versions it crossed, talks on
/// stdout (which must not reach the fleet's table), and refuses a project that opted out.
const HOOK: &str = r#"#!/bin/sh
set -e
echo "hook output on stdout"
if [ -e KEEP-OLD-LAYOUT ]; then
  echo "KEEP-OLD-LAYOUT is here: this project opted out of the handbook" >&2
  exit 3
fi
mv docs/notes.md docs/handbook.md
echo "$GOLDPATH_FROM_VERSION -> $GOLDPATH_TO_VERSION ($GOLDPATH_MIGRATION_VERSION)" > MIGRATED
echo "scratch" > build.log
"#;

struct TrustFleet {
    s: Workspace,
    list: PathBuf,
    /// Pushed through a bare remote.
    plain: String,
    /// A monorepo whose project is in `services/b/`, pushed through a bare remote.
    mono: String,
    /// A local repository used in place, with another branch checked out and uncommitted work.
    local: PathBuf,
    /// A local repository whose project opted out: its hook fails.
    opted_out: PathBuf,
    /// Where the runs make their temporary folders (`TMPDIR`).
    tmp: PathBuf,
}

fn trust_fleet() -> TrustFleet {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let manifest = MANIFEST_V2.replace(
        "version = \"2.0.0\"\ndescription",
        "version = \"2.1.0\"\ndescription",
    ) + "\n[[migrations]]\nversion = \"2.1.0\"\nrun = \"handbook.sh\"\n";
    assert!(manifest.contains("version = \"2.1.0\""), "{manifest}");
    BundleRepo::open(&s.path("templates"))
        .write_all(&[
            ("bundle.toml", &manifest),
            ("hooks/handbook.sh", HOOK),
            // Ignored files are the user's: what a hook leaves there is not committed.
            ("template/.gitignore", "*.log\n"),
        ])
        .commit_tag("v2.1.0");
    let a = project(&s, &url, "plain", "1.0.0", |_| {});
    let plain = remote_of(&s, &a, "plain");
    let b = project(&s, &url, "mono-b", "1.0.0", |_| {});
    let mono_dir = plain_repo(&s, "mono", &[("README.md", "monorepo\n")]);
    copy_project(&b, &mono_dir.join("services/b"));
    edit_and_commit(&mono_dir, |_| {});
    let mono = remote_of(&s, &mono_dir, "mono");
    let local = project(&s, &url, "local", "1.0.0", |_| {});
    remote_of(&s, &local, "local");
    git(&local, &["switch", "-q", "-c", "feature"]);
    fs::write(local.join("README.md"), "work in progress\n").unwrap();
    fs::write(local.join("staged.txt"), "staged\n").unwrap();
    git(&local, &["add", "staged.txt"]);
    fs::write(local.join("untracked.txt"), "untracked\n").unwrap();
    let opted_out = project(&s, &url, "opted-out", "1.0.0", |p| {
        fs::write(p.join("KEEP-OLD-LAYOUT"), "\n").unwrap();
    });
    remote_of(&s, &opted_out, "opted-out");
    let list = s.path("repos.txt");
    fs::write(&list, format!("{plain}\n{mono}\nlocal\nopted-out\n")).unwrap();
    let tmp = s.path("tmp");
    fs::create_dir_all(&tmp).unwrap();
    TrustFleet {
        s,
        list,
        plain,
        mono,
        local,
        opted_out,
        tmp,
    }
}

impl TrustFleet {
    fn upgrade(&self, extra: &[&str]) -> Outcome {
        let mut args = vec![
            "fleet",
            "upgrade",
            "--repos",
            self.list.to_str().unwrap(),
            "--bundle",
            "svc",
            "--to",
            "2.1.0",
            "--defaults",
            "--branch",
            BRANCH,
            "--push",
        ];
        args.extend_from_slice(extra);
        self.s
            .command(self.s.root(), &args)
            .env("TMPDIR", &self.tmp)
            .run()
    }

    fn identity(dir: &Path) -> String {
        dir.canonicalize().unwrap().display().to_string()
    }
}

fn report(path: &Path) -> Value {
    crate::fleet::report_of(path)
}

fn entry<'a>(report: &'a Value, repo: &str) -> &'a Value {
    &report["repos"][repo]
}

fn has_local_branch(dir: &Path) -> bool {
    git2::Repository::open(dir)
        .unwrap()
        .find_reference(&format!("refs/heads/{BRANCH}"))
        .is_ok()
}

/// How many objects the repository at `dir` holds (loose and packed).
fn objects(dir: &Path) -> String {
    git(dir, &["count-objects", "-v"])
        .lines()
        .filter(|l| l.starts_with("count:") || l.starts_with("in-pack:"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn fleet_upgrade_with_trust_commits_what_a_run_migration_did() {
    let f = trust_fleet();
    let local_before = fingerprint(&f.local);
    let opted_out_before = fingerprint(&f.opted_out);
    let opted_out_objects = objects(&f.opted_out);

    // Without --trust: every repository is skipped, the reason names the hook and --trust,
    // nothing runs and no branch is made.
    let report_path = f.s.path("untrusted.json");
    let out = f.upgrade(&["--report", report_path.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{out}");
    let r = report(&report_path);
    for repo in [
        f.plain.clone(),
        f.mono.clone(),
        TrustFleet::identity(&f.local),
        TrustFleet::identity(&f.opted_out),
    ] {
        let e = entry(&r, &repo);
        assert_eq!(e["outcome"], "skipped", "{repo}: {e:#}");
        let detail = e["detail"].as_str().unwrap();
        assert!(
            detail.contains("wants to run hook `handbook.sh`") && detail.contains("--trust"),
            "{detail}"
        );
    }
    assert!(remote_file(&f.s, "plain", BRANCH, ".goldpath.toml").is_none());
    assert!(!has_local_branch(&f.local));
    assert!(!out.stdout.contains("hook output") && !out.stderr.contains("hook output"));

    // With --trust: the hook's result is on every branch but the opted-out one's.
    let report_path = f.s.path("report.json");
    let out = f.upgrade(&["--trust", "--report", report_path.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{out}");
    let r = report(&report_path);
    for (repo, prefix, file) in [
        (f.plain.as_str(), "", Some(("plain", ""))),
        (
            f.mono.as_str(),
            "services/b/",
            Some(("mono", "services/b/")),
        ),
        (&TrustFleet::identity(&f.local), "", None),
    ] {
        let e = entry(&r, repo);
        assert_eq!(e["outcome"], "upgraded", "{repo}: {e:#}");
        let files = e["files"].as_array().unwrap();
        let kind = |path: &str| {
            files
                .iter()
                .find(|f| f["path"] == format!("{prefix}{path}"))
                .map(|f| f["kind"].as_str().unwrap().to_string())
        };
        assert_eq!(kind("docs/handbook.md").as_deref(), Some("added"), "{e:#}");
        assert_eq!(kind("docs/notes.md").as_deref(), Some("removed"), "{e:#}");
        assert_eq!(kind("MIGRATED").as_deref(), Some("added"), "{e:#}");
        assert_eq!(
            kind("build.log"),
            None,
            "ignored, so not the upgrade's: {e:#}"
        );
        let show = |path: &str| match file {
            Some((remote, p)) => remote_file(&f.s, remote, BRANCH, &format!("{p}{path}")),
            None => {
                let out = std::process::Command::new("git")
                    .args(["show", &format!("{BRANCH}:{path}")])
                    .current_dir(&f.local)
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .env("GIT_CONFIG_GLOBAL", "/dev/null")
                    .output()
                    .unwrap();
                out.status
                    .success()
                    .then(|| String::from_utf8(out.stdout).unwrap())
            }
        };
        // The template's 2.0.0 notes, moved by the hook; the answers file is the upgrade's.
        assert_eq!(show("docs/handbook.md").as_deref(), Some("Notes v2\n"));
        assert_eq!(show("docs/notes.md"), None);
        assert_eq!(
            show("MIGRATED").as_deref(),
            Some("1.0.0 -> 2.1.0 (2.1.0)\n")
        );
        assert_eq!(show("build.log"), None);
        assert_eq!(show(".gitignore").as_deref(), Some("*.log\n"));
        let answers = show(".goldpath.toml").unwrap();
        assert!(answers.contains("version = \"2.1.0\""), "{answers}");
        assert!(!answers.contains("[upgrade]"), "{answers}");
    }
    let message = git(&f.local, &["log", "-1", "--format=%B", BRANCH]);
    assert!(
        message.contains("2.1.0: runs hook handbook.sh"),
        "{message}"
    );

    // The hook that failed: that repository alone, with the hook's message; nothing written
    // into it (no branch, not one object).
    let e = entry(&r, &TrustFleet::identity(&f.opted_out));
    assert_eq!(e["outcome"], "failed", "{e:#}");
    let detail = e["detail"].as_str().unwrap();
    assert!(
        detail.contains("hook `handbook.sh` failed")
            && detail.contains("KEEP-OLD-LAYOUT is here: this project opted out of the handbook"),
        "{detail}"
    );
    assert!(!has_local_branch(&f.opted_out));
    assert!(remote_file(&f.s, "opted-out", BRANCH, ".goldpath.toml").is_none());
    assert_eq!(objects(&f.opted_out), opted_out_objects);

    // The local work trees, indexes and checked-out branches are as they were.
    assert_eq!(fingerprint(&f.local), local_before);
    assert_eq!(fingerprint(&f.opted_out), opted_out_before);
    assert_eq!(
        git(&f.local, &["branch", "--show-current"]).trim(),
        "feature"
    );
    assert_eq!(read(f.local.join("README.md")), "work in progress\n");
    // The hooks talked on stdout; the table is the fleet's alone. Their checkouts are gone.
    assert!(!out.stdout.contains("hook output"), "{out}");
    assert_eq!(
        fs::read_dir(&f.tmp).unwrap().count(),
        0,
        "{:?}",
        fs::read_dir(&f.tmp).unwrap().collect::<Vec<_>>()
    );
}

#[test]
fn fleet_plan_with_trust_runs_no_hook_and_says_which_would_run() {
    let f = trust_fleet();
    let out =
        f.s.command(
            f.s.root(),
            &[
                "fleet",
                "plan",
                "--repos",
                f.list.to_str().unwrap(),
                "--bundle",
                "svc",
                "--to",
                "2.1.0",
                "--defaults",
                "--branch",
                BRANCH,
                "--trust",
            ],
        )
        .env("TMPDIR", &f.tmp)
        .run();
    assert_eq!(out.code, Some(0), "{out}");
    // Not even the opted-out project fails: nothing ran.
    assert!(out.stdout.contains("would upgrade   4\n"), "{out}");
    assert_eq!(
        out.stderr
            .matches("then run the migration hook(s) handbook.sh on them")
            .count(),
        4,
        "{out}"
    );
    assert!(!out.stderr.contains("KEEP-OLD-LAYOUT"), "{out}");
    assert_eq!(fs::read_dir(&f.tmp).unwrap().count(), 0);
}

const GITHUB_TOKEN: &str = "ghp_FleetTrustSecret1122334455aabbcc";

/// A kill during a forge's long wait, then `--resume` (#12, "save progress before a long wait"):
/// the forge answers the second repository's pull request with a secondary-limit 403 and
/// `Retry-After: 600`; the progress says it waits, with the time left; the report already holds
/// the first repository finished and the second's pushed branch; SIGKILL; `--resume` opens the
/// two missing pull requests and not the first one again, the token nowhere.
#[test]
fn a_kill_during_a_forge_wait_then_resume_opens_each_pull_request_once() {
    use std::io::BufRead;
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let mut urls = Vec::new();
    // Named so that they are worked on in this order (by identity).
    for name in ["r1", "r2", "r3"] {
        let p = project(&s, &url, name, "1.0.0", |_| {});
        urls.push(remote_of(&s, &p, &format!("acme/{name}")));
    }
    let list = s.path("repos.txt");
    fs::write(&list, urls.join("\n") + "\n").unwrap();
    let report_path = s.path("report.json");
    let fake = crate::forge_server::fake_github();
    fake.server.fault_on(
        |r| r.method == "POST" && r.path() == "/api/v3/repos/acme/r2/pulls",
        crate::forge_server::secondary_limit(600),
    );
    let forge_url = fake.server.url();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "fleet",
            "upgrade",
            "--repos",
            list.to_str().unwrap(),
            "--bundle",
            "svc",
            "--to",
            "2.0.0",
            "--branch",
            "goldpath/svc-2.0.0",
            "--defaults",
            "--jobs",
            "1",
            "--push",
            "--pr",
            "--forge",
            "github",
            "--forge-url",
            &forge_url,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let first: Vec<String> = args(&["--report", report_path.to_str().unwrap()]);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let mut run = s
        .command(s.root(), &first)
        .env("GITHUB_TOKEN", GITHUB_TOKEN)
        .spawn_reading_stderr();
    // The progress, line by line, until the wait is announced (or the run ends: a failure).
    let (lines, seen) = std::sync::mpsc::channel();
    let stderr = run.child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut progress = Vec::new();
    let wait_line = loop {
        match seen.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(line) if line.contains("asked to slow down") => break line,
            Ok(line) => progress.push(line),
            Err(e) => {
                let _ = run.child.kill();
                panic!(
                    "no wait announced ({e}); the progress was:\n{}",
                    progress.join("\n")
                );
            }
        }
    };
    assert!(wait_line.starts_with("waiting 600 s: "), "{wait_line}");
    assert!(
        wait_line.contains("; about ")
            && wait_line.ends_with(" left for the 2 of 3 repositories not finished"),
        "{wait_line}"
    );
    // Saved before the wait: the first repository finished with its pull request, the second's
    // branch pushed and its pull request still to open; the third not started.
    // What a `--resume` would read: the report with its journal folded in (`merge-reports`).
    let folded = s
        .command(
            s.root(),
            &["fleet", "merge-reports", report_path.to_str().unwrap()],
        )
        .run();
    // 1: the second repository is failed until its pull request is opened.
    assert_eq!(folded.code, Some(1), "{folded}");
    let saved: serde_json::Value = serde_json::from_str(&folded.stdout).unwrap();
    let one = entry(&saved, &urls[0]);
    assert_eq!(one["outcome"], "upgraded", "{saved:#}");
    assert!(one["pull_request_url"]
        .as_str()
        .is_some_and(|u| u.ends_with("/acme/r1/pull/1")));
    let two = entry(&saved, &urls[1]);
    assert_eq!(two["outcome"], "failed", "{saved:#}");
    assert_eq!(two["pushed"], true, "{saved:#}");
    assert!(two["pull_request_url"].is_null(), "{saved:#}");
    assert!(
        two["detail"]
            .as_str()
            .unwrap()
            .contains("the pull request was not opened yet"),
        "{saved:#}"
    );
    assert!(entry(&saved, &urls[2]).is_null(), "{saved:#}");
    run.child.kill().unwrap(); // SIGKILL
    run.child.wait().unwrap();
    let killed_stderr = progress.join("\n") + &wait_line;

    let resume: Vec<String> = args(&["--resume", report_path.to_str().unwrap()]);
    let resume: Vec<&str> = resume.iter().map(String::as_str).collect();
    let out = s
        .command(s.root(), &resume)
        .env("GITHUB_TOKEN", GITHUB_TOKEN)
        .run();
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("1 repositories already finished"),
        "{out}"
    );
    let report = crate::fleet::report_of(&report_path);
    for u in &urls {
        let e = entry(&report, u);
        assert_eq!(e["outcome"], "upgraded", "{u}: {e:#}");
        assert_eq!(e["pushed"], true, "{u}: {e:#}");
        assert!(e["pull_request_url"].is_string(), "{u}: {e:#}");
    }
    // Each repository's pull request created exactly once (the second's refused once, by the
    // 403), and one pull request each on the forge.
    let creates = |name: &str| {
        fake.server
            .requests()
            .iter()
            .filter(|r| {
                r.method == "POST" && r.path() == format!("/api/v3/repos/acme/{name}/pulls")
            })
            .count()
    };
    assert_eq!(
        (creates("r1"), creates("r2"), creates("r3")),
        (1, 2, 1),
        "{:#?}",
        fake.server.lines()
    );
    let prs = &fake.state.lock().unwrap().prs;
    let mut heads: Vec<&str> = prs
        .iter()
        .map(|p| p["head"]["repo"]["full_name"].as_str().unwrap())
        .collect();
    heads.sort();
    assert_eq!(heads, ["acme/r1", "acme/r2", "acme/r3"]);
    // The token: in every request's Authorization header, nowhere else.
    for r in fake.server.requests() {
        assert!(
            r.header("authorization")
                .unwrap_or("")
                .contains(GITHUB_TOKEN),
            "{}",
            r.line()
        );
        assert!(!r.target.contains(GITHUB_TOKEN) && !r.body.contains(GITHUB_TOKEN));
    }
    for text in [
        &out.stdout,
        &out.stderr,
        &killed_stderr,
        &read(&report_path),
    ] {
        assert!(!text.contains(GITHUB_TOKEN), "token leaked: {text}");
    }
}
