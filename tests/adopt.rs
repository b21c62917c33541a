//! `goldpath adopt` on hand-made repositories (issue #13): the `svc` bundle of the upgrade tests
//! merged into repositories goldpath did not make, as an upgrade from nothing; then `check` and
//! a later `upgrade` treat them as projects made by `new`.

use crate::harness::{
    edit_and_commit, git, index_stages, last_message, read, snapshot, write, Workspace,
};
use crate::upgrade::{svc_bundle, DOCKERFILE_V1};
use std::fs;
use std::path::{Path, PathBuf};

/// The files of `svc` 1.0.0 rendered for `orders-api` with the defaults.
fn golden_v1() -> Vec<(&'static str, String)> {
    let rules = crate::upgrade::RULES_V1
        .replace("{{ service_name }}", "orders-api")
        .replace("{{ team }}", "platform");
    vec![
        (".dockerignore", "target/\n.git/\n".into()),
        ("Dockerfile", DOCKERFILE_V1.into()),
        ("README.md", "# orders-api\n\nOwned by platform.\n".into()),
        ("alerts/rules.yaml", rules),
        (
            "chart/values.yaml",
            crate::upgrade::VALUES_V1.replace("{{ service_name }}", "orders-api"),
        ),
        ("ci/pipeline.yml", "steps:\n  - run: cargo test\n".into()),
        ("docs/notes.md", "Notes v1\n".into()),
        (
            "src/main.rs",
            "fn main() { println!(\"orders-api\"); }\n".into(),
        ),
    ]
}

/// A repository at `rel` in the workspace holding `files`, committed once.
fn legacy(s: &Workspace, rel: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = s.path(rel);
    fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    write(&dir, files);
    commit_all(&dir, "legacy");
    dir
}

fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=d@example.com",
            "commit",
            "-qm",
            message,
        ],
    );
}

/// `goldpath adopt svc` of version 1.0.0 from `url` for `orders-api`, then `extra` arguments.
fn adopt_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "adopt",
        "svc",
        "--from",
        url,
        "--version",
        "1.0.0",
        "--set",
        "service_name=orders-api",
        "--defaults",
        "--no-input",
    ];
    args.extend_from_slice(extra);
    args
}

/// Every file under `.git` with its bytes: the repository's own state, to prove it unchanged.
fn git_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir.join(".git")).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            out.push((e.path().display().to_string(), fs::read(e.path()).unwrap()));
        }
    }
    out
}

fn status(dir: &Path) -> String {
    git(dir, &["status", "--porcelain", "--ignored"])
}

#[test]
fn a_repository_close_to_the_golden_path_is_adopted_then_checked_and_upgraded_as_one_made_by_new() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    // Half the template's files as the template has them, none different, and files of its own.
    let golden = golden_v1();
    let mut files: Vec<(&str, &str)> = golden[..4].iter().map(|(p, t)| (*p, t.as_str())).collect();
    files.push(("src/lib.rs", "pub fn legacy() {}\n"));
    files.push(("Makefile", "all:\n\tcargo build\n"));
    let p = legacy(&s, "orders-api", &files);

    let out = s.goldpath(&p, &adopt_args(&url, &[]));
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stdout.contains("Adopting orders-api: svc 1.0.0 ("),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("  A ci/pipeline.yml  new in the template\n"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("  = Dockerfile  adopted as it is (the same as the template's)\n"),
        "{out}"
    );
    assert!(out.stdout.contains("\nAdopted svc 1.0.0: commit "), "{out}");
    // Every template file is there as the template has it; the repository's own are untouched.
    for (path, text) in &golden {
        assert_eq!(&read(p.join(path)), text, "{path}");
    }
    assert_eq!(read(p.join("src/lib.rs")), "pub fn legacy() {}\n");
    assert_eq!(read(p.join("Makefile")), "all:\n\tcargo build\n");
    let record = read(p.join(".goldpath.toml"));
    assert!(
        record.contains("name = \"svc\"")
            && record.contains("version = \"1.0.0\"")
            && record.contains("service_name = \"orders-api\"")
            && !record.contains("[upgrade]"),
        "{record}"
    );
    assert_eq!(status(&p), "");
    let message = last_message(&p);
    assert!(
        message.starts_with("Adopt svc 1.0.0 (golden path)\n"),
        "{message}"
    );
    assert!(
        message.contains("Added by the template:\n- chart/values.yaml\n- ci/pipeline.yml\n- docs/notes.md\n- src/main.rs\n"),
        "{message}"
    );
    assert!(
        message.contains("Adopted as they are (the same as the template's):\n- .dockerignore\n- Dockerfile\n- README.md\n- alerts/rules.yaml\n"),
        "{message}"
    );
    let committed = git(&p, &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        committed,
        ".goldpath.toml\nchart/values.yaml\nci/pipeline.yml\ndocs/notes.md\nsrc/main.rs\n"
    );

    // From now on it is a project like any other: check passes (outdated is only a note here)…
    let check = s.goldpath(&p, &["check", "--fail-on", "drift,conflict-markers"]);
    assert_eq!(check.code, Some(0), "{check}");
    assert!(check.stdout.contains("note: outdated"), "{check}");
    // …and a later upgrade merges a local edit with the new release.
    edit_and_commit(&p, |p| {
        let values =
            read(p.join("chart/values.yaml")).replace("replicaCount: 2", "replicaCount: 4");
        fs::write(p.join("chart/values.yaml"), values).unwrap();
    });
    let up = s.goldpath(
        &p,
        &["upgrade", "--to", "2.0.0", "--defaults", "--no-input"],
    );
    assert_eq!(up.code, Some(0), "{up}");
    assert_eq!(
        read(p.join("chart/values.yaml")),
        "replicaCount: 4\nimage: ghcr.io/acme/orders-api\nautoscaling:\n  minReplicas: 3\n  maxReplicas: 10\n"
    );
    assert!(p.join("alerts/slo-rules.yaml").exists());
    assert_eq!(read(p.join("src/lib.rs")), "pub fn legacy() {}\n");
    let check = s.goldpath(&p, &["check"]);
    assert_eq!(check.code, Some(0), "{check}");
}

#[test]
fn a_dry_run_shows_how_far_a_repository_is_and_writes_nothing() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = legacy(
        &s,
        "orders-api",
        &[
            ("README.md", "# Orders\n\nThe legacy orders service.\n"),
            ("Dockerfile", DOCKERFILE_V1),
            (
                "ci/pipeline.yml",
                "steps:\n  - run: make test\n  - run: make lint\n",
            ),
            ("src/main.rs", "fn main() { legacy::run(); }\n"),
            ("src/lib.rs", "pub fn run() {}\n"),
            ("Makefile", "test:\n\tcargo test\n"),
            (".gitignore", "*.log\n"),
        ],
    );
    write(&p, &[("debug.log", "ignored\n")]);
    let (tree, index, dot_git) = (snapshot(&p), git(&p, &["ls-files", "--stage"]), git_dir(&p));

    let out = s.goldpath(&p, &adopt_args(&url, &["--dry-run"]));
    assert_eq!(out.code, Some(0), "{out}");
    let expected = "\
  missing    .dockerignore
  identical  Dockerfile
  differs    README.md  +2 -2
  missing    alerts/rules.yaml
  missing    chart/values.yaml
  differs    ci/pipeline.yml  +1 -2  (locked: drift to resolve)
  missing    docs/notes.md
  differs    src/main.rs  +1 -1  (seed: yours is kept)
Template files: 1 identical, 3 differ, 4 missing (of 8).
Not in the bundle: 3 file(s) of the repository (adopting leaves them as they are):
  .gitignore
  Makefile
  src/lib.rs

Dry run: nothing was written. Adopting would leave 2 file(s) in conflict.
";
    assert!(
        out.stdout
            .starts_with("orders-api against svc 1.0.0 (file://"),
        "{out}"
    );
    assert!(out.stdout.ends_with(expected), "{out}");

    let json = s.goldpath(&p, &adopt_args(&url, &["--dry-run", "--format", "json"]));
    assert_eq!(json.code, Some(0), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (
            v["identical"].as_u64(),
            v["differs"].as_u64(),
            v["missing"].as_u64()
        ),
        (Some(1), Some(3), Some(4))
    );
    assert_eq!(
        v["not_in_bundle"],
        serde_json::json!([".gitignore", "Makefile", "src/lib.rs"])
    );
    assert_eq!(
        v["conflicts"],
        serde_json::json!(["README.md", "ci/pipeline.yml"])
    );
    let readme = &v["files"][2];
    assert_eq!(
        (
            readme["path"].as_str(),
            readme["standing"].as_str(),
            readme["added"].as_u64(),
            readme["removed"].as_u64()
        ),
        (Some("README.md"), Some("differs"), Some(2), Some(2))
    );
    assert_eq!(v["files"][5]["policy"], "locked");

    // Nothing written: the files, the index and the repository are as they were.
    assert_eq!(snapshot(&p), tree);
    assert_eq!(git(&p, &["ls-files", "--stage"]), index);
    assert_eq!(git_dir(&p), dot_git);
}

#[test]
fn a_repository_far_from_the_golden_path_is_merged_file_by_file_with_locked_drift_reported() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = legacy(
        &s,
        "orders-api",
        &[
            ("README.md", "# Orders\n\nThe legacy orders service.\n"),
            ("ci/pipeline.yml", "steps:\n  - run: make test\n"),
            ("src/main.rs", "fn main() { legacy::run(); }\n"),
            ("Makefile", "test:\n\tcargo test\n"),
        ],
    );
    let out = s.goldpath(&p, &adopt_args(&url, &[]));
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout
            .contains("  C README.md  CONFLICT: both added (1 region)\n"),
        "{out}"
    );
    assert!(out.stdout.contains("Locked files that differ from the template (drift to resolve; `goldpath check` reports them until they match): ci/pipeline.yml\n"), "{out}");
    assert!(out.stdout.contains("then run `goldpath upgrade --continue`; or `goldpath upgrade --abort` to undo the adoption."), "{out}");
    // An add/add: ours and theirs in the index, no base; markers in the file.
    assert_eq!(index_stages(&p, "README.md"), vec![2, 3]);
    assert_eq!(index_stages(&p, "ci/pipeline.yml"), vec![2, 3]);
    let readme = read(p.join("README.md"));
    assert!(
        readme.contains("<<<<<<<")
            && readme.contains("The legacy orders service.")
            && readme.contains("Owned by platform."),
        "{readme}"
    );
    // The seed file is the repository's; its own files are untouched.
    assert_eq!(
        read(p.join("src/main.rs")),
        "fn main() { legacy::run(); }\n"
    );
    assert_eq!(read(p.join("Makefile")), "test:\n\tcargo test\n");
    assert!(read(p.join(".goldpath.toml")).contains("[upgrade]"));
    // `check` sees the adoption in progress, and `upgrade` refuses to start another.
    let again = s.goldpath(&p, &["upgrade", "--no-input"]);
    assert_eq!(again.code, Some(2), "{again}");
    assert!(again.stderr.contains("in progress"), "{again}");
    let readopt = s.goldpath(&p, &adopt_args(&url, &[]));
    assert_eq!(readopt.code, Some(2), "{readopt}");
    assert!(
        readopt.stderr.contains("in progress") && readopt.stderr.contains("upgrade --continue"),
        "{readopt}"
    );

    // Resolved: the README keeps both, the locked pipeline takes the template's.
    fs::write(
        p.join("README.md"),
        "# orders-api\n\nThe legacy orders service.\n\nOwned by platform.\n",
    )
    .unwrap();
    fs::write(p.join("ci/pipeline.yml"), "steps:\n  - run: cargo test\n").unwrap();
    let done = s.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(done.code, Some(0), "{done}");
    let message = last_message(&p);
    assert!(
        message.starts_with("Adopt svc 1.0.0 (golden path)\n"),
        "{message}"
    );
    assert!(
        message.contains("Conflicts resolved by hand:\n- README.md\n- ci/pipeline.yml\n"),
        "{message}"
    );
    assert_eq!(status(&p), "");
    let check = s.goldpath(&p, &["check", "--fail-on", "drift,conflict-markers"]);
    assert_eq!(check.code, Some(0), "{check}");
}

/// A repository as `svc` 1.0.0 makes it, but for its own Dockerfile.
fn with_own_dockerfile(s: &Workspace) -> PathBuf {
    let golden = golden_v1();
    let mut files: Vec<(&str, &str)> = golden.iter().map(|(p, t)| (*p, t.as_str())).collect();
    files.retain(|(p, _)| *p != "Dockerfile");
    files.push((
        "Dockerfile",
        "FROM debian:12\nCOPY target/release/orders /\nCMD [\"/orders\"]\n",
    ));
    legacy(s, "orders-api", &files)
}

#[test]
fn a_conflicting_dockerfile_is_resolved_and_the_adoption_continued() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = with_own_dockerfile(&s);
    let out = s.goldpath(&p, &adopt_args(&url, &[]));
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(index_stages(&p, "Dockerfile"), vec![2, 3]);
    let marked = read(p.join("Dockerfile"));
    assert!(
        marked.contains("FROM debian:12") && marked.contains("FROM rust:1.82-slim AS build"),
        "{marked}"
    );
    // Unresolved: `--continue` refuses and says which file.
    let early = s.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(early.code, Some(1), "{early}");
    assert!(
        early
            .stderr
            .contains("Dockerfile (conflict markers remain)"),
        "{early}"
    );

    let resolved = format!("{DOCKERFILE_V1}COPY target/release/orders /\n");
    fs::write(p.join("Dockerfile"), &resolved).unwrap();
    let done = s.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(done.code, Some(0), "{done}");
    assert_eq!(read(p.join("Dockerfile")), resolved);
    assert_eq!(index_stages(&p, "Dockerfile"), vec![0]);
    let record = read(p.join(".goldpath.toml"));
    assert!(
        record.contains("version = \"1.0.0\"") && !record.contains("[upgrade]"),
        "{record}"
    );
    assert_eq!(status(&p), "");
    // The Dockerfile is the project's customisation now, not drift.
    let check = s.goldpath(&p, &["check", "--fail-on", "drift,conflict-markers"]);
    assert_eq!(check.code, Some(0), "{check}");
}

#[test]
fn aborting_an_adoption_restores_the_repository_exactly() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = with_own_dockerfile(&s);
    fs::remove_file(p.join("docs/notes.md")).unwrap();
    commit_all(&p, "no notes");
    let (tree, index, head) = (
        snapshot(&p),
        git(&p, &["ls-files", "--stage"]),
        git(&p, &["rev-parse", "HEAD"]),
    );
    let out = s.goldpath(&p, &adopt_args(&url, &[]));
    assert_eq!(out.code, Some(1), "{out}");
    assert!(p.join("docs/notes.md").exists() && p.join(".goldpath.toml").exists());

    let abort = s.goldpath(&p, &["upgrade", "--abort"]);
    assert_eq!(abort.code, Some(0), "{abort}");
    assert_eq!(snapshot(&p), tree);
    assert_eq!(git(&p, &["ls-files", "--stage"]), index);
    assert_eq!(git(&p, &["rev-parse", "HEAD"]), head);
    assert_eq!(status(&p), "");
    // And it can be adopted again.
    let again = s.goldpath(&p, &adopt_args(&url, &["--dry-run"]));
    assert_eq!(again.code, Some(0), "{again}");
}

#[test]
fn a_monorepo_folder_adopts_and_commits_only_its_own_paths() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let golden = golden_v1();
    let mono = legacy(
        &s,
        "mono",
        &[
            ("services/orders-api/README.md", golden[2].1.as_str()),
            ("services/orders-api/main.go", "package main\n"),
            ("services/billing/README.md", "# billing\n"),
        ],
    );
    // Work in progress elsewhere in the repository stays as it is: neither a reason to refuse
    // nor part of the commit.
    fs::write(mono.join("services/billing/README.md"), "# billing (wip)\n").unwrap();
    write(&mono, &[("notes.txt", "todo\n")]);
    let p = mono.join("services/orders-api");
    let out = s.goldpath(&p, &adopt_args(&url, &[]));
    assert_eq!(out.code, Some(0), "{out}");
    let committed = git(&mono, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        committed
            .lines()
            .all(|l| l.starts_with("services/orders-api/")),
        "{committed}"
    );
    assert!(
        committed.contains("services/orders-api/.goldpath.toml\n"),
        "{committed}"
    );
    assert_eq!(
        git(&mono, &["status", "--porcelain"]),
        " M services/billing/README.md\n?? notes.txt\n"
    );
    assert_eq!(read(p.join("main.go")), "package main\n");
    let check = s.goldpath(&p, &["check", "--fail-on", "drift,conflict-markers"]);
    assert_eq!(check.code, Some(0), "{check}");
    let up = s.goldpath(
        &p,
        &["upgrade", "--to", "2.0.0", "--defaults", "--no-input"],
    );
    assert_eq!(up.code, Some(0), "{up}");
    let committed = git(&mono, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        committed
            .lines()
            .all(|l| l.starts_with("services/orders-api/")),
        "{committed}"
    );
}

#[test]
fn a_template_file_on_an_ignored_file_waits_and_the_file_stays_the_users() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = legacy(
        &s,
        "orders-api",
        &[(".gitignore", "docs/\n"), ("Makefile", "all:\n")],
    );
    write(&p, &[("docs/notes.md", "my private notes\n")]);
    let out = s.goldpath(&p, &adopt_args(&url, &[]));
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout.contains(
            "  C docs/notes.md  CONFLICT: the template adds it; yours is not tracked by git\n"
        ),
        "{out}"
    );
    assert_eq!(read(p.join("docs/notes.md")), "my private notes\n");
    // Only the template's side waits in the index; the user's file is not git's.
    assert_eq!(index_stages(&p, "docs/notes.md"), vec![3]);
    let done = s.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(done.code, Some(0), "{done}");
    assert_eq!(read(p.join("docs/notes.md")), "my private notes\n");
    let committed = git(&p, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(!committed.contains("docs/notes.md"), "{committed}");
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[test]
fn adopting_an_adopted_project_says_to_upgrade() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = crate::upgrade::svc_project(&s, &url);
    let before = snapshot(&p);
    let out = s.goldpath(&p, &adopt_args(&url, &[]));
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr
            .contains(".goldpath.toml exists: this project already follows a golden path")
            && out.stderr.contains("`goldpath upgrade`"),
        "{out}"
    );
    assert_eq!(snapshot(&p), before);
}

#[test]
fn a_dirty_tree_is_refused_before_any_question() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = legacy(&s, "orders-api", &[("Makefile", "all:\n")]);
    fs::write(p.join("Makefile"), "all: build\n").unwrap();
    // No answers given: a question asked first would fail on them instead.
    let out = s.goldpath(&p, &["adopt", "svc", "--from", &url, "--no-input"]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr.contains("uncommitted changes") && out.stderr.contains("--allow-dirty"),
        "{out}"
    );
    assert!(!p.join(".goldpath.toml").exists());
}

#[test]
fn an_adoption_killed_at_any_write_is_undone_exactly_by_upgrade_abort() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let (mut finished, mut kills) = (false, 0);
    for n in 0..40 {
        let p = with_own_dockerfile(&s);
        fs::remove_file(p.join("docs/notes.md")).unwrap();
        commit_all(&p, "no notes");
        let (tree, index, head) = (
            snapshot(&p),
            git(&p, &["ls-files", "--stage"]),
            git(&p, &["rev-parse", "HEAD"]),
        );
        let out = s
            .command(&p, &adopt_args(&url, &[]))
            .env("GOLDPATH_FAULT_AFTER_WRITES", n.to_string())
            .run();
        if out.code == Some(1) {
            // Past the last write point: the adoption stopped on its conflict as it should.
            assert!(
                read(p.join(".goldpath.toml")).contains("[upgrade]"),
                "{out}"
            );
            finished = true;
            break;
        }
        assert_eq!(out.code, None, "killed at write {n}: {out}");
        kills += 1;
        let abort = s.goldpath(&p, &["upgrade", "--abort"]);
        assert_eq!(abort.code, Some(0), "after a kill at write {n}: {abort}");
        assert_eq!(snapshot(&p), tree, "after a kill at write {n}");
        assert_eq!(
            git(&p, &["ls-files", "--stage"]),
            index,
            "after a kill at write {n}"
        );
        assert_eq!(git(&p, &["rev-parse", "HEAD"]), head);
        assert_eq!(status(&p), "", "after a kill at write {n}");
        fs::remove_dir_all(&p).unwrap();
    }
    assert!(finished, "the adoption never got past its write points");
    // The file it creates, the conflict written and recorded, the answers file.
    assert!(kills >= 4, "only {kills} write points");
}

/// In a terminal, `adopt` asks the bundle's questions as `new` does.
#[cfg(unix)]
#[test]
fn adopt_asks_the_questions_in_a_terminal() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = legacy(&s, "orders-api", &[("Makefile", "all:\n")]);
    let mut pty = s
        .command(&p, &["adopt", "svc", "--from", &url, "--version", "1.0.0"])
        .pty();
    // The svc bundle gives no prompt texts: the questions are asked by name.
    pty.expect("? service_name")
        .send_line("orders-api")
        .expect("? team")
        .send_line("squad-7");
    let (code, shown) = pty.finish();
    assert_eq!(code, 0, "{shown}");
    let record = read(p.join(".goldpath.toml"));
    assert!(
        record.contains("service_name = \"orders-api\"") && record.contains("team = \"squad-7\""),
        "{record}"
    );
    assert_eq!(
        read(p.join("README.md")),
        "# orders-api\n\nOwned by squad-7.\n"
    );
}

/// An untracked file where the template has one is the user's: adopt refuses the tree as
/// dirty and leaves it byte for byte (an ignored one is covered above). A committed symlinked folder where the template has files
/// is refused before anything is written, naming the link, and nothing reaches what it points at.
#[cfg(unix)]
#[test]
fn an_untracked_file_and_a_symlinked_folder_in_the_way_survive_adopt() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = legacy(&s, "untracked", &[("Makefile", "all:\n")]);
    write(&p, &[("README.md", "my own readme, never committed\n")]);
    let before = git_dir(&p);
    let out = s.goldpath(&p, &adopt_args(&url, &[]));
    // An untracked file counts as uncommitted work: refused before anything is written.
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("README.md"), "{out}");
    assert_eq!(
        read(p.join("README.md")),
        "my own readme, never committed\n"
    );
    assert!(!p.join(".goldpath.toml").exists());
    assert_eq!(git_dir(&p), before);

    let outside = s.path("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("notes.md"), "outside\n").unwrap();
    let q = legacy(&s, "linked", &[("Makefile", "all:\n")]);
    std::os::unix::fs::symlink(&outside, q.join("docs")).unwrap();
    commit_all(&q, "docs is a link");
    let before = git_dir(&q);
    let out = s.goldpath(&q, &adopt_args(&url, &[]));
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("symlink `docs`"), "{out}");
    assert_eq!(
        fs::read_to_string(outside.join("notes.md")).unwrap(),
        "outside\n"
    );
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 1);
    assert!(!q.join(".goldpath.toml").exists());
    assert_eq!(git_dir(&q), before);
}
