//! `goldpath fleet` over a fleet of real repositories with bare remotes on disk (`file://`),
//! and once through `git daemon` on 127.0.0.1: every outcome, the pushed branches' contents,
//! the report (checked against docs/fleet-report.schema.json), the `upgrade --continue` flow
//! on a conflicted branch, `--resume` after a kill, and two shards merged.

use crate::harness::{edit_and_commit, git, read, BundleRepo, Outcome, Workspace};
use crate::upgrade::{svc_bundle, DOCKERFILE_V2};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const BRANCH: &str = "goldpath/svc-2.0.0";

/// A project `name` made from svc 1.0.0 (or `version`), with `edits` committed on top.
pub(crate) fn project(
    s: &Workspace,
    url: &str,
    name: &str,
    version: &str,
    edits: impl FnOnce(&Path),
) -> PathBuf {
    let p = s.new_project(&[
        "svc",
        name,
        "--from",
        url,
        "--version",
        version,
        "--set",
        &format!("service_name={name}"),
    ]);
    edits(&p);
    if !git(&p, &["status", "--porcelain"]).is_empty() {
        edit_and_commit(&p, |_| {});
    }
    p
}

/// A bare remote `remotes/NAME.git` of the repository at `dir`, set as its `origin`; its URL.
pub(crate) fn remote_of(s: &Workspace, dir: &Path, name: &str) -> String {
    let bare = s.path(&format!("remotes/{name}.git"));
    fs::create_dir_all(bare.parent().unwrap()).unwrap();
    git(
        s.root(),
        &[
            "clone",
            "-q",
            "--bare",
            dir.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    git(dir, &["remote", "add", "origin", bare.to_str().unwrap()]);
    git(dir, &["fetch", "-q", "origin"]);
    git(dir, &["remote", "set-head", "origin", "--auto"]);
    format!("file://{}", bare.display())
}

/// The file at `path` of `branch` in the bare remote `NAME.git`, `None` when absent.
pub(crate) fn remote_file(s: &Workspace, name: &str, branch: &str, path: &str) -> Option<String> {
    let out = std::process::Command::new("git")
        .args([
            "--git-dir",
            s.path(&format!("remotes/{name}.git")).to_str().unwrap(),
        ])
        .args(["show", &format!("{branch}:{path}")])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

pub(crate) fn has_branch(s: &Workspace, name: &str, branch: &str) -> bool {
    git2::Repository::open_bare(s.path(&format!("remotes/{name}.git")))
        .unwrap()
        .find_reference(&format!("refs/heads/{branch}"))
        .is_ok()
}

pub(crate) fn plain_repo(s: &Workspace, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = s.path(name);
    fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    edit_and_commit(&dir, |_| {});
    dir
}

/// Copies the files of the project at `from` (not its `.git`) into `to`.
pub(crate) fn copy_project(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

pub(crate) fn report_of(path: &Path) -> Value {
    let report: Value = serde_json::from_str(&read(path)).unwrap();
    crate::harness::assert_json_schema("fleet-report.schema.json", &report);
    report
}

/// The table `fleet upgrade` prints after a run, made from the whole report.
fn table_of(report: &goldpath::fleet::Report) -> String {
    use goldpath::fleet::Outcome as O;
    let count = |o: O| report.repos.values().filter(|r| r.outcome == o).count();
    let mut table = format!(
        "\n{:<15} {}\n{:<15} {}\n{:<15} {}\n{:<15} {}\n{:<15} {}\n",
        "upgraded",
        count(O::Upgraded),
        "already current",
        count(O::Current),
        "conflicts",
        count(O::Conflicts),
        "skipped",
        count(O::Skipped),
        "failed",
        count(O::Failed)
    );
    for (title, outcome) in [
        ("Conflicts", O::Conflicts),
        ("Skipped", O::Skipped),
        ("Failed", O::Failed),
    ] {
        if count(outcome) > 0 {
            table.push_str(&format!("\n{title}:\n"));
        }
        for (name, r) in report.repos.iter().filter(|(_, r)| r.outcome == outcome) {
            let why = match outcome {
                O::Conflicts => r.conflicts().collect::<Vec<_>>().join(", "),
                _ => r.detail.clone().unwrap_or_default(),
            };
            table.push_str(&format!("  {name}: {why}\n"));
        }
    }
    table
}

pub(crate) fn entry<'a>(report: &'a Value, repo: &str) -> &'a Value {
    &report["repos"][repo]
}

pub(crate) fn outcome(report: &Value, repo: &str) -> String {
    entry(report, repo)["outcome"]
        .as_str()
        .unwrap_or("(none)")
        .to_string()
}

/// Everything of a work tree and its git state a fleet must not change: every file's bytes
/// (the `.git` folder's index and HEAD included, not its objects or refs).
pub(crate) fn fingerprint(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let in_git = rel.starts_with(".git/") || rel == ".git";
        let kept = !in_git || rel == ".git/index" || rel == ".git/HEAD";
        if entry.file_type().is_file() && kept {
            out.push((rel, fs::read(entry.path()).unwrap()));
        }
    }
    out
}

struct Fleet {
    s: Workspace,
    list: PathBuf,
    urls: std::collections::BTreeMap<&'static str, String>,
    dirty: PathBuf,
}

/// The fleet of the issue: clean, local edits that merge, conflicts, a dirty work tree on
/// another branch (local), already current, another bundle, not a goldpath project, an
/// unreachable remote, a monorepo with two projects.
fn fleet() -> Fleet {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let mut urls = std::collections::BTreeMap::new();
    let clean = project(&s, &url, "clean", "1.0.0", |_| {});
    urls.insert("clean", remote_of(&s, &clean, "clean"));
    let edits = project(&s, &url, "edits", "1.0.0", |p| {
        let v = read(p.join("chart/values.yaml")).replace("replicaCount: 2", "replicaCount: 4");
        fs::write(p.join("chart/values.yaml"), v).unwrap();
    });
    urls.insert("edits", remote_of(&s, &edits, "edits"));
    let conflict = project(&s, &url, "conflict", "1.0.0", |p| {
        let d = read(p.join("Dockerfile")).replace("rust:1.82-slim", "rust:1.84-slim");
        fs::write(p.join("Dockerfile"), d).unwrap();
    });
    urls.insert("conflict", remote_of(&s, &conflict, "conflict"));
    let current = project(&s, &url, "current", "2.0.0", |_| {});
    urls.insert("current", remote_of(&s, &current, "current"));
    let other = BundleRepo::at(&s.path("other-bundle"));
    other.release(
        "v1.0.0",
        "[bundle]\nname = \"other\"\nversion = \"1.0.0\"\ndescription = \"x\"\n",
        &[("README.md", "other\n")],
        |_| {},
    );
    s.new_project(&["other", "othersvc", "--from", &other.url()]);
    urls.insert("other", remote_of(&s, &s.path("othersvc"), "other"));
    let plain = plain_repo(&s, "plain", &[("README.md", "no goldpath here\n")]);
    urls.insert("plain", remote_of(&s, &plain, "plain"));
    urls.insert(
        "unreachable",
        format!("file://{}", s.path("remotes/nowhere.git").display()),
    );
    let a = project(&s, &url, "mono-a", "1.0.0", |_| {});
    let b = project(&s, &url, "mono-b", "1.0.0", |_| {});
    let mono = plain_repo(&s, "mono", &[("README.md", "monorepo\n")]);
    copy_project(&a, &mono.join("services/a"));
    copy_project(&b, &mono.join("services/b"));
    edit_and_commit(&mono, |_| {});
    urls.insert("mono", remote_of(&s, &mono, "mono"));
    // A local repository used in place: uncommitted edits, an untracked file, and another
    // branch checked out; the upgrade starts from its default branch all the same.
    let dirty = project(&s, &url, "dirty", "1.0.0", |_| {});
    remote_of(&s, &dirty, "dirty");
    git(&dirty, &["switch", "-q", "-c", "feature"]);
    fs::write(dirty.join("README.md"), "work in progress\n").unwrap();
    fs::write(dirty.join("notes.txt"), "untracked\n").unwrap();
    git(&dirty, &["add", "notes.txt"]);
    fs::write(dirty.join("scratch.txt"), "untracked\n").unwrap();
    let mut list = String::from("# the fleet\n");
    for u in urls.values() {
        list.push_str(&format!("{u}\n"));
    }
    list.push_str("dirty   # a local path, relative to this file\n");
    let list_path = s.path("repos.txt");
    fs::write(&list_path, list).unwrap();
    Fleet {
        s,
        list: list_path,
        urls,
        dirty,
    }
}

impl Fleet {
    fn run(&self, args: &[&str]) -> Outcome {
        let mut all = vec!["fleet"];
        all.extend_from_slice(args);
        all.extend([
            "--repos",
            self.list.to_str().unwrap(),
            "--bundle",
            "svc",
            "--to",
            "2.0.0",
            "--defaults",
        ]);
        self.s.goldpath(self.s.root(), &all)
    }

    fn dirty_identity(&self) -> String {
        self.dirty.canonicalize().unwrap().display().to_string()
    }
}

#[test]
fn fleet_upgrade_gives_every_repository_its_outcome_and_pushes_the_branches() {
    let f = fleet();
    let before = fingerprint(&f.dirty);
    let report_path = f.s.path("report.json");
    let out = f.run(&[
        "upgrade",
        "--branch",
        BRANCH,
        "--push",
        "--jobs",
        "2",
        "--report",
        report_path.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(1), "{out}");
    let report = report_of(&report_path);
    let u = &f.urls;
    let want = [
        (u["clean"].as_str(), "upgraded"),
        (u["edits"].as_str(), "upgraded"),
        (u["conflict"].as_str(), "conflicts"),
        (u["current"].as_str(), "current"),
        (u["other"].as_str(), "skipped"),
        (u["plain"].as_str(), "skipped"),
        (u["unreachable"].as_str(), "failed"),
        (u["mono"].as_str(), "upgraded"),
    ];
    for (repo, expected) in want {
        assert_eq!(
            outcome(&report, repo),
            expected,
            "{repo}: {:#}",
            entry(&report, repo)
        );
    }
    assert_eq!(
        outcome(&report, &f.dirty_identity()),
        "upgraded",
        "{report:#}"
    );
    assert_eq!(report["repos"].as_object().unwrap().len(), 9);
    assert!(entry(&report, &u["other"])["detail"]
        .as_str()
        .unwrap()
        .contains("other bundle (other)"));
    assert!(entry(&report, &u["plain"])["detail"]
        .as_str()
        .unwrap()
        .contains("not a goldpath project"));
    assert!(entry(&report, &u["unreachable"])["detail"]
        .as_str()
        .unwrap()
        .contains("cannot reach"));

    // Clean: pushed with v2's files, v1's removed file gone, the new version recorded.
    assert_eq!(
        remote_file(&f.s, "clean", BRANCH, "Dockerfile").unwrap(),
        DOCKERFILE_V2
    );
    assert!(remote_file(&f.s, "clean", BRANCH, ".dockerignore").is_none());
    assert!(remote_file(&f.s, "clean", BRANCH, "alerts/slo-rules.yaml").is_some());
    assert!(remote_file(&f.s, "clean", BRANCH, ".goldpath.toml")
        .unwrap()
        .contains("version = \"2.0.0\""));
    // The default branch itself is untouched.
    assert!(remote_file(&f.s, "clean", "main", ".goldpath.toml")
        .unwrap()
        .contains("version = \"1.0.0\""));
    // Local edits merged.
    assert!(remote_file(&f.s, "edits", BRANCH, "chart/values.yaml")
        .unwrap()
        .contains("replicaCount: 4\n"));
    let files = entry(&report, &u["edits"])["files"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        files.contains(
            &serde_json::json!({"path": "chart/values.yaml", "kind": "local_edits_kept"})
        ),
        "{files:?}"
    );
    assert!(files.contains(&serde_json::json!({"path": "alerts/slo-rules.yaml", "kind": "renamed", "from": "alerts/rules.yaml"})), "{files:?}");
    // Conflicts: committed, not pushed without --push-conflicts; a draft's data says so.
    let c = entry(&report, &u["conflict"]);
    assert!(!has_branch(&f.s, "conflict", BRANCH));
    assert_eq!(c["pushed"], false);
    assert!(c["detail"].as_str().unwrap().contains("--push-conflicts"));
    assert_eq!(c["pull_request"]["has_conflicts"], true);
    assert!(c["pull_request"]["title"]
        .as_str()
        .unwrap()
        .starts_with("[conflicts]"));
    assert!(c["files"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"path": "Dockerfile", "kind": "conflicted"})));
    // Nothing for the current, skipped and failed ones.
    for name in ["current", "other", "plain"] {
        assert!(!has_branch(&f.s, name, BRANCH), "{name}");
    }
    // Monorepo: one branch with both projects upgraded.
    for p in ["services/a", "services/b"] {
        assert!(
            remote_file(&f.s, "mono", BRANCH, &format!("{p}/.goldpath.toml"))
                .unwrap()
                .contains("version = \"2.0.0\""),
            "{p}"
        );
        assert_eq!(
            remote_file(&f.s, "mono", BRANCH, &format!("{p}/Dockerfile")).unwrap(),
            DOCKERFILE_V2
        );
    }
    assert_eq!(
        entry(&report, &u["mono"])["projects"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The dirty local repository: upgraded from main, pushed; its work tree, index and HEAD
    // byte for byte as they were.
    assert_eq!(fingerprint(&f.dirty), before);
    assert!(has_branch(&f.s, "dirty", BRANCH));
    assert!(remote_file(&f.s, "dirty", BRANCH, "README.md")
        .unwrap()
        .contains("Owned by platform"));
    assert_eq!(
        git(&f.dirty, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "feature"
    );
    // The summary names what needs someone.
    assert!(
        out.stdout.contains("conflicts") && out.stdout.contains("Dockerfile"),
        "{out}"
    );
    // The run keeps its entries on disk, not in memory (#12: memory flat in the size of the
    // fleet): the report is written from its journal entry by entry, and the table reads the
    // entries it lists back. The report's bytes are those serde prints of the whole report (as
    // when every entry was held in memory), `merge-reports` (which reads a report entry by
    // entry) prints the same bytes, and the table is the one the whole report gives.
    let text = read(&report_path);
    let whole: goldpath::fleet::Report = serde_json::from_str(&text).unwrap();
    assert_eq!(text, serde_json::to_string_pretty(&whole).unwrap() + "\n");
    let merged = f.s.goldpath(
        f.s.root(),
        &["fleet", "merge-reports", report_path.to_str().unwrap()],
    );
    assert_eq!(merged.code, Some(1), "{merged}");
    assert_eq!(merged.stdout, text);
    assert_eq!(out.stdout, table_of(&whole), "{out}");
    assert!(
        out.stderr.contains("failed") && out.stderr.contains(&u["clean"]),
        "{out}"
    );

    // Run again: idempotent, nothing new committed.
    let clean_head = git(&f.s.path("remotes/clean.git"), &["rev-parse", BRANCH]);
    let again = f.run(&[
        "upgrade",
        "--branch",
        BRANCH,
        "--push",
        "--report",
        report_path.to_str().unwrap(),
    ]);
    assert_eq!(again.code, Some(1), "{again}");
    let report = report_of(&report_path);
    assert!(
        entry(&report, &u["clean"])["detail"]
            .as_str()
            .unwrap()
            .contains("already holds this upgrade"),
        "{report:#}"
    );
    assert_eq!(
        git(&f.s.path("remotes/clean.git"), &["rev-parse", BRANCH]),
        clean_head
    );
}

#[test]
fn a_branch_a_person_edited_is_left_alone_and_a_conflicted_one_resolves_with_upgrade_continue() {
    let f = fleet();
    let report_path = f.s.path("report.json");
    let args = [
        "upgrade",
        "--branch",
        BRANCH,
        "--push",
        "--push-conflicts",
        "--report",
        report_path.to_str().unwrap(),
    ];
    f.run(&args);
    assert!(has_branch(&f.s, "conflict", BRANCH));
    let marked = remote_file(&f.s, "conflict", BRANCH, "Dockerfile").unwrap();
    assert!(
        marked.contains("<<<<<<<")
            && marked.contains("rust:1.84-slim")
            && marked.contains("rust:1.86-slim"),
        "{marked}"
    );

    // A person resolves the conflict exactly as the pull request says.
    let person = f.s.path("person");
    git(
        f.s.root(),
        &["clone", "-q", &f.urls["conflict"], person.to_str().unwrap()],
    );
    git(&person, &["fetch", "-q"]);
    git(&person, &["switch", "-q", BRANCH]);
    fs::write(
        person.join("Dockerfile"),
        DOCKERFILE_V2.replace("1.86", "1.87"),
    )
    .unwrap();
    f.s.command(&person, &["upgrade", "--continue"]).success();
    let record = read(person.join(".goldpath.toml"));
    assert!(
        record.contains("version = \"2.0.0\"") && !record.contains("[upgrade]"),
        "{record}"
    );
    crate::harness::assert_clean(&person);

    // A person's commit on a fleet branch: the next run leaves it alone.
    let edited = f.s.path("edited");
    git(
        f.s.root(),
        &["clone", "-q", &f.urls["clean"], edited.to_str().unwrap()],
    );
    git(&edited, &["switch", "-q", BRANCH]);
    edit_and_commit(&edited, |p| {
        fs::write(p.join("extra.txt"), "mine\n").unwrap()
    });
    git(&edited, &["push", "-q", "origin", BRANCH]);
    let head = git(&f.s.path("remotes/clean.git"), &["rev-parse", BRANCH]);
    f.run(&args);
    let report = report_of(&report_path);
    let e = entry(&report, &f.urls["clean"]);
    assert_eq!(e["outcome"], "skipped");
    assert!(
        e["detail"].as_str().unwrap().contains("edited by a person"),
        "{e:#}"
    );
    assert_eq!(
        git(&f.s.path("remotes/clean.git"), &["rev-parse", BRANCH]),
        head
    );
}

#[test]
fn fleet_plan_writes_nothing_and_says_what_would_happen() {
    let f = fleet();
    let report_path = f.s.path("plan.json");
    let out = f.run(&["plan", "--report", report_path.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{out}");
    let report = report_of(&report_path);
    assert_eq!(report["mode"], "plan");
    assert_eq!(outcome(&report, &f.urls["clean"]), "upgraded");
    assert_eq!(outcome(&report, &f.urls["conflict"]), "conflicts");
    for name in ["clean", "conflict", "mono", "dirty"] {
        assert!(!has_branch(&f.s, name, "goldpath/svc-2.0.0"), "{name}");
    }
    assert!(git2::Repository::open(&f.dirty)
        .unwrap()
        .find_reference("refs/heads/goldpath/svc-2.0.0")
        .is_err());
}

/// A fleet of `n` clean repositories with bare remotes; the list file.
pub(crate) fn clean_fleet(s: &Workspace, n: usize) -> (PathBuf, Vec<String>) {
    let url = svc_bundle(s);
    let mut urls = Vec::new();
    for i in 0..n {
        let name = format!("svc{i}");
        let p = project(s, &url, &name, "1.0.0", |_| {});
        urls.push(remote_of(s, &p, &name));
    }
    let list = s.path("repos.txt");
    fs::write(&list, urls.join("\n") + "\n").unwrap();
    (list, urls)
}

pub(crate) fn upgrade_args<'a>(list: &'a Path, report: &'a Path) -> Vec<&'a str> {
    vec![
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
        "--push",
        "--jobs",
        "1",
        "--defaults",
        "--report",
        report.to_str().unwrap(),
    ]
}

#[test]
fn resume_after_a_kill_in_the_middle_skips_what_was_finished_and_finishes_the_rest() {
    let s = Workspace::new();
    let (list, urls) = clean_fleet(&s, 4);
    let report_path = s.path("report.json");
    // Two write points a repository (its branch, the report): killed as the second repository's
    // entry is about to be saved.
    let killed = s
        .command(s.root(), &upgrade_args(&list, &report_path))
        .env("GOLDPATH_FAULT_AFTER_WRITES", "3")
        .run();
    assert!(!killed.is_success(), "{killed}");
    // The report as the run started it, and its journal with the repository finished, which
    // `merge-reports` (as `--resume`) folds in.
    assert!(report_of(&report_path)["repos"]
        .as_object()
        .unwrap()
        .is_empty());
    assert!(s.path("report.json.journal").exists());
    let folded = s
        .command(
            s.root(),
            &["fleet", "merge-reports", report_path.to_str().unwrap()],
        )
        .success();
    let partial: Value = serde_json::from_str(&folded.stdout).unwrap();
    assert_eq!(
        partial["repos"].as_object().unwrap().len(),
        1,
        "{partial:#}"
    );
    let mut args = upgrade_args(&list, &report_path);
    args.extend(["--resume", report_path.to_str().unwrap()]);
    let out = s.command(s.root(), &args).run();
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("1 repositories already finished"),
        "{out}"
    );
    let report = report_of(&report_path);
    assert!(!s.path("report.json.journal").exists());
    for (i, u) in urls.iter().enumerate() {
        assert_eq!(outcome(&report, u), "upgraded", "{u}");
        assert_eq!(entry(&report, u)["pushed"], true);
        assert!(has_branch(&s, &format!("svc{i}"), BRANCH));
    }
    // Exactly one commit on each branch: the one cut off was reused, not made twice.
    for i in 0..4 {
        let count = git(
            &s.path(&format!("remotes/svc{i}.git")),
            &["rev-list", "--count", &format!("main..{BRANCH}")],
        );
        assert_eq!(count.trim(), "1");
    }
}

#[test]
fn two_shards_split_the_fleet_and_merge_into_one_report() {
    let s = Workspace::new();
    let (list, urls) = clean_fleet(&s, 5);
    let mut shard_reports = Vec::new();
    for shard in ["1/2", "2/2"] {
        let path = s.path(&format!("shard-{}.json", &shard[..1]));
        let mut args = upgrade_args(&list, &path);
        args.extend(["--shard", shard]);
        s.command(s.root(), &args).success();
        shard_reports.push(path);
    }
    let a = report_of(&shard_reports[0]);
    let b = report_of(&shard_reports[1]);
    let (na, nb) = (
        a["repos"].as_object().unwrap().len(),
        b["repos"].as_object().unwrap().len(),
    );
    assert_eq!(na + nb, 5);
    assert!(a["repos"]
        .as_object()
        .unwrap()
        .keys()
        .all(|k| b["repos"].get(k).is_none()));
    let merged = s
        .command(
            s.root(),
            &[
                "fleet",
                "merge-reports",
                shard_reports[0].to_str().unwrap(),
                shard_reports[1].to_str().unwrap(),
            ],
        )
        .success();
    let merged_path = s.path("merged.json");
    fs::write(&merged_path, &merged.stdout).unwrap();
    let merged = report_of(&merged_path);
    for u in &urls {
        assert_eq!(outcome(&merged, u), "upgraded", "{u}");
    }
    // A shard of nonsense is a usage error.
    let mut args = upgrade_args(&list, &merged_path);
    args.extend(["--shard", "3/2"]);
    let bad = s.command(s.root(), &args).run();
    assert_eq!(bad.code, Some(2), "{bad}");
    assert!(bad.stderr.contains("I/N"), "{bad}");
}

#[test]
fn two_runs_on_one_repository_at_once_the_second_is_refused() {
    let s = Workspace::new();
    let (list, urls) = clean_fleet(&s, 1);
    // Hold the repository's lock as a running fleet would, from this process.
    let key = format!("{:016x}", goldpath::fleet::stable_hash(&urls[0]));
    let lock_path = s.home().cache().join("fleet").join(format!("{key}.lock"));
    fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    let held = fs::File::create(&lock_path).unwrap();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::fd::AsRawFd;
        assert_eq!(
            unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
            0
        );
    }
    let report = s.path("r.json");
    let out = s.command(s.root(), &upgrade_args(&list, &report)).run();
    assert_eq!(out.code, Some(1), "{out}");
    let r = report_of(&report);
    assert_eq!(outcome(&r, &urls[0]), "failed");
    assert!(
        entry(&r, &urls[0])["detail"]
            .as_str()
            .unwrap()
            .contains("another goldpath fleet run"),
        "{r:#}"
    );
    drop(held);
}

/// A `git daemon` on 127.0.0.1 serving `base`, stopped when dropped.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn fleet_upgrade_through_git_daemon_on_loopback() {
    let s = Workspace::new();
    let (list, _) = clean_fleet(&s, 2);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // git-daemon itself, not `git daemon`: the `git` wrapper would leave it running when killed.
    let exec_path = git(s.root(), &["--exec-path"]);
    let daemon = Daemon(
        std::process::Command::new(Path::new(exec_path.trim()).join("git-daemon"))
            .args([
                "--export-all",
                "--reuseaddr",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", s.path("remotes").display()))
            .arg(s.path("remotes"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "git daemon did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let urls: Vec<String> = (0..2)
        .map(|i| format!("git://127.0.0.1:{port}/svc{i}.git"))
        .collect();
    fs::write(&list, urls.join("\n") + "\n").unwrap();
    let report = s.path("r.json");
    let out = s.command(s.root(), &upgrade_args(&list, &report)).run();
    assert_eq!(out.code, Some(0), "{out}");
    let r = report_of(&report);
    for (i, u) in urls.iter().enumerate() {
        assert_eq!(outcome(&r, u), "upgraded");
        assert_eq!(
            remote_file(&s, &format!("svc{i}"), BRANCH, "Dockerfile").unwrap(),
            DOCKERFILE_V2
        );
    }
    drop(daemon);
}

#[test]
fn a_folder_of_repositories_is_searched_for_projects_at_any_depth() {
    let f = fleet();
    let report_path = f.s.path("plan.json");
    let out = f.s.goldpath(
        f.s.root(),
        &[
            "fleet",
            "plan",
            "--repos",
            f.s.root().to_str().unwrap(),
            "--bundle",
            "svc",
            "--to",
            "2.0.0",
            "--defaults",
            "--report",
            report_path.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, Some(1), "{out}"); // the conflicting one
    let report = report_of(&report_path);
    let repos = report["repos"].as_object().unwrap();
    let local = |name: &str| f.s.path(name).canonicalize().unwrap().display().to_string();
    // Every work tree with a project, once (the monorepo's two projects are one repository);
    // bare remotes and bundle repositories hold no `.goldpath.toml` file and are not listed.
    for name in [
        "clean", "edits", "conflict", "current", "othersvc", "mono-a", "mono-b", "mono", "dirty",
    ] {
        assert!(
            repos.contains_key(&local(name)),
            "{name}: {:?}",
            repos.keys()
        );
    }
    assert_eq!(repos.len(), 9, "{:?}", repos.keys());
    assert_eq!(outcome(&report, &local("mono")), "upgraded");
    assert_eq!(outcome(&report, &local("othersvc")), "skipped");
    assert_eq!(outcome(&report, &local("conflict")), "conflicts");
}

#[test]
fn on_a_terminal_the_fleet_draws_a_progress_bar_and_keeps_the_table() {
    let s = Workspace::new();
    let (list, _) = clean_fleet(&s, 3);
    let report = s.path("report.json");
    let mut pty = s
        .command(s.root(), &upgrade_args(&list, &report))
        .env("TERM", "xterm-256color")
        .pty();
    pty.expect("3/3");
    let (code, shown) = pty.finish();
    assert_eq!(code, 0, "{shown}");
    // The bar full at the end, with the count and the last repository; then the table.
    assert!(
        shown.contains(&format!("[{}] 3/3", "=".repeat(30))),
        "{shown}"
    );
    assert!(shown.contains("upgraded "), "{shown}");
    // Off a terminal: one plain line per repository instead.
    let plain = s
        .command(s.root(), &upgrade_args(&list, &s.path("again.json")))
        .run();
    assert!(plain.stderr.contains("[3/3] "), "{plain}");
    assert!(!plain.stderr.contains("=>"), "{plain}");
}
