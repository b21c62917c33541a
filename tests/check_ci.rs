//! `check`, `diff` and `upgrade` as a CI runs them (issue #11): secrets given or not (item 1), a
//! remote source that cannot be reached (item 2), prereleases and version matching (item 5),
//! and every hint naming an option its command takes (item 8).

use crate::harness::{edit_and_commit, git, read, write_bundle, BundleRepo, Workspace};
use std::fs;
use std::path::{Path, PathBuf};

const SECRET: &str = "hunter2-Sup3rS3cret";

fn assert_no_secret(text: &str) {
    for secret in [SECRET, &SECRET.to_uppercase()] {
        assert!(!text.contains(secret), "the secret is shown:\n{text}");
    }
}

/// `check --format json` in `dir`, parsed and validated against docs/check-report.schema.json.
#[track_caller]
fn json_report(out: &crate::harness::Outcome) -> serde_json::Value {
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    crate::harness::assert_json_schema("check-report.schema.json", &report);
    report
}

/// A project from a bundle whose locked `deploy.env` holds the secret as it is, whose locked
/// `auth.txt` holds it upper-cased (no placeholder can stand for that), and whose locked
/// `README.md` does not use it. Made with the secret; committed.
fn secret_project(s: &Workspace) -> PathBuf {
    let bundle = s.path("bundle");
    write_bundle(
        &bundle,
        "[bundle]\nname = \"s\"\nversion = \"1.0.0\"\n\n[files]\nlocked = [\"deploy.env\", \"auth.txt\", \"README.md\"]\n\n[[questions]]\nname = \"token\"\ntype = \"secret\"\n\n[[questions]]\nname = \"service\"\ntype = \"string\"\ndefault = \"svc\"\n",
        &[
            ("deploy.env.tera", "TOKEN={{ token }}\nREGION=eu\n"),
            ("auth.txt.tera", "{{ token | upper }}\n"),
            ("README.md.tera", "# {{ service }}\n"),
        ],
    );
    let from = bundle.display().to_string();
    let set = format!("token={SECRET}");
    s.new_project(&["s", "p", "--from", &from, "--set", &set])
}

/// Item 1: without the secret, files that use it as text are compared around it and the one
/// that transforms it is a notice in every format; with it (`--set` or the environment), that
/// file is checked for drift too. The secret never shows.
#[test]
fn check_compares_what_it_can_without_a_secret_and_everything_with_it() {
    let s = Workspace::new();
    let p = secret_project(&s);
    let out = s.command(&p, &["check"]).success();
    out.stdout_contains("3 files checked, ok")
        .stdout_contains("note: not verifiable: auth.txt is not verifiable without `token`")
        .stdout_contains("give `--set token=VALUE` or GOLDPATH_ANSWER_TOKEN");
    let json = json_report(&s.command(&p, &["check", "--format", "json"]).success());
    assert_eq!(
        json["not_verifiable"],
        serde_json::json!([{"path": "auth.txt", "secrets": ["token"]}])
    );
    assert_eq!(json["failed"], false);
    s.command(&p, &["check", "--format", "github"])
        .success()
        .stdout_contains(
            "::notice file=auth.txt,title=goldpath%3A not verifiable without a secret::",
        );
    s.command(&p, &["check", "--format", "junit"])
        .success()
        .stdout_contains("<testcase classname=\"goldpath.not-verifiable\" name=\"auth.txt\">");

    // With the secret, every file is compared; all match.
    let set = format!("token={SECRET}");
    let out = s.command(&p, &["check", "--set", &set]).success();
    assert!(!out.stdout.contains("not verifiable"), "{}", out.stdout);
    assert_no_secret(&out.to_string());

    // A hand edit of the transformed secret: a notice without it, drift with it (from --set or
    // the environment), never with a diff that would show it.
    fs::write(p.join("auth.txt"), "SOMETHING-ELSE\n").unwrap();
    s.command(&p, &["check"])
        .success()
        .stdout_contains("not verifiable: auth.txt");
    for out in [
        s.command(&p, &["check", "--set", &set]).code(1),
        s.command(&p, &["check"])
            .env("GOLDPATH_ANSWER_TOKEN", SECRET)
            .code(1),
    ] {
        out.stdout_contains("error: drift: auth.txt is owned by the golden path s 1.0.0 (locked) and was changed by hand. It holds a secret answer, so goldpath shows no diff of it: restore it by hand");
        assert!(!out.stdout.contains("--- a/auth.txt"), "{}", out.stdout);
        assert_no_secret(&out.to_string());
    }
    for format in ["json", "github", "junit"] {
        let out = s
            .command(&p, &["check", "--format", format])
            .env("GOLDPATH_ANSWER_TOKEN", SECRET)
            .code(1);
        out.stdout_contains("auth.txt");
        assert_no_secret(&out.to_string());
    }
    // diff says which files it cannot show, and why.
    let out = s.command(&p, &["diff"]).success();
    out.stderr_contains("goldpath diff: auth.txt is not verifiable without `token`: its text depends on the secret in a way a placeholder cannot stand for; give --set token=VALUE or GOLDPATH_ANSWER_TOKEN\n");
    assert_eq!(out.stdout, "");
    let out = s
        .command(&p, &["diff", "--set", &set, "--exit-code"])
        .code(1);
    out.stderr_contains("goldpath diff: auth.txt uses a secret answer");
    assert_no_secret(&out.to_string());
    git(&p, &["checkout", "--", "auth.txt"]);

    // A file that does not use the secret is checked for drift without it.
    fs::write(p.join("README.md"), "# changed\n").unwrap();
    s.command(&p, &["check"])
        .code(1)
        .stdout_contains("error: drift: README.md");
    git(&p, &["checkout", "--", "README.md"]);

    // A variable for a question the bundle does not have is someone else's: ignored.
    s.command(&p, &["check"])
        .env("GOLDPATH_ANSWER_OTHER", "x")
        .success();
}

/// Item 1: `--set` on check gives secrets only; anything else is refused with what to do.
#[test]
fn check_set_refuses_recorded_and_unknown_answers() {
    let s = Workspace::new();
    let p = secret_project(&s);
    s.command(&p, &["check", "--set", "service=other"])
        .code(2)
        .stderr_contains("error: the answer to `service` is recorded in .goldpath.toml")
        .stderr_contains(
            "hint: to change a recorded answer, run `goldpath upgrade --set NAME=VALUE`",
        );
    s.command(&p, &["check", "--set", "nope=1"])
        .code(2)
        .stderr_contains("error: s 1.0.0 asks no question `nope`");
    s.command(&p, &["diff", "--set", "service=other"])
        .code(2)
        .stderr_contains("is recorded in .goldpath.toml");
}

/// A bundle repository reached as `https://goldpath.invalid/templates.git`: the home's git
/// config sends that URL to a local repository (`url.<base>.insteadOf`), so `goldpath` fetches
/// it with the git command as it would a real remote, into its cache. Released 1.0.0.
fn remote(s: &Workspace) -> (BundleRepo, String) {
    let repo = s.bundle_repo("remote/templates.git");
    repo.release(
        "v1.0.0",
        "[bundle]\nname = \"r\"\nversion = \"1.0.0\"\n\n[files]\nlocked = [\"ci.yml\"]\n",
        &[("ci.yml", "steps: [test]\n"), ("README.md", "v1\n")],
        |_| {},
    );
    s.home().git_config(
        &format!("url.file://{}/.insteadOf", s.path("remote").display()),
        "https://goldpath.invalid/",
    );
    (repo, "https://goldpath.invalid/templates.git".to_string())
}

/// Item 2: with the remote gone, the recorded version comes from goldpath's cache, so drift is
/// checked; newer versions are unknown, a warning unless `--fail-on unreachable`.
#[test]
fn check_and_diff_work_from_the_cache_when_the_remote_is_gone() {
    let s = Workspace::new();
    let (repo, url) = remote(&s);
    let p = s.new_project(&["r", "p", "--from", &url]);
    s.command(&p, &["check"]).success().stdout_contains("ok");
    // A newer release, seen once while the remote is there.
    repo.release(
        "v1.1.0",
        "[bundle]\nname = \"r\"\nversion = \"1.1.0\"\n\n[files]\nlocked = [\"ci.yml\"]\n",
        &[("ci.yml", "steps: [test, lint]\n"), ("README.md", "v1\n")],
        |_| {},
    );
    s.command(&p, &["check"])
        .code(1)
        .stdout_contains("error: outdated: r 1.1.0 is available");
    fs::rename(s.path("remote"), s.path("moved")).unwrap();

    let out = s.command(&p, &["check"]).success();
    out.stdout_contains("r 1.0.0 (https://goldpath.invalid/templates.git): 2 files checked, ok")
        .stdout_contains("warning: unreachable: whether a newer version of r exists is unknown: https://goldpath.invalid/templates.git (cannot fetch https://goldpath.invalid/templates.git: ");
    assert_eq!(
        out.stdout.lines().count(),
        2,
        "one line per finding:\n{}",
        out.stdout
    );
    s.command(&p, &["check", "--fail-on", "drift,unreachable"])
        .code(1)
        .stdout_contains("error: unreachable: ");
    let json = json_report(&s.command(&p, &["check", "--format", "json"]).success());
    assert_eq!(json["newer_unknown"]["reason"], "unreachable");
    assert_eq!(json["outdated"]["behind"], 0);
    assert_eq!(json["findings"], serde_json::json!(["unreachable"]));
    s.command(&p, &["check", "--format", "github"])
        .success()
        .stdout_contains(
            "::warning file=.goldpath.toml,title=goldpath%3A newer versions unknown::",
        );
    s.command(&p, &["check", "--format", "junit"])
        .success()
        .stdout_contains("failures=\"0\"");
    let json = json_report(
        &s.command(&p, &["check", "--format", "json", "--offline"])
            .success(),
    );
    assert_eq!(json["newer_unknown"]["reason"], "offline");
    assert_eq!(json["findings"], serde_json::json!([]));
    let out = s.command(&p, &["check", "--offline"]).success();
    out.stdout_contains("note: offline: newer versions of r were not looked up (--offline)");
    assert!(!out.stdout.contains("unreachable"), "{}", out.stdout);

    // Drift is still drift, and diff still shows it.
    fs::write(p.join("ci.yml"), "steps: []\n").unwrap();
    for args in [&["check"][..], &["check", "--offline"]] {
        s.command(&p, args)
            .code(1)
            .stdout_contains("error: drift: ci.yml");
    }
    let out = s.command(&p, &["diff", "--offline"]).success();
    out.stdout_contains("-steps: [test]\n+steps: []\n");
    s.command(&p, &["diff"])
        .success()
        .stdout_contains("+steps: []")
        .stderr_contains("compared with goldpath's cached copy");
    git(&p, &["checkout", "--", "ci.yml"]);

    // upgrade needs the remote, unless told to use the cache: 1.1.0 was fetched before.
    s.command(&p, &["upgrade", "--no-input"])
        .code(2)
        .stderr_contains("cannot fetch https://goldpath.invalid/templates.git");
    s.command(&p, &["upgrade", "--offline", "--no-input"])
        .success();
    assert_eq!(read(p.join("ci.yml")), "steps: [test, lint]\n");
    assert!(read(p.join(".goldpath.toml")).contains("version = \"1.1.0\""));
    s.command(&p, &["check", "--offline"]).success();
}

/// Item 2: offline with nothing cached cannot check drift: an error naming the way out.
#[test]
fn offline_without_a_cache_says_how_to_fill_it() {
    let s = Workspace::new();
    let (_repo, url) = remote(&s);
    let p = s.new_project(&["r", "p", "--from", &url]);
    let empty = s.path("empty-cache");
    for args in [
        &["check", "--offline"][..],
        &["diff", "--offline"],
        &["upgrade", "--offline"],
    ] {
        s.command(&p, args)
            .env("GOLDPATH_CACHE_DIR", &empty)
            .code(2)
            .stderr_contains("offline, and goldpath's cache holds no copy of it");
    }
    // A cache whose first fetch failed holds nothing either; the hint's --from works.
    fs::rename(s.path("remote"), s.path("moved")).unwrap();
    let out = s
        .command(&p, &["check"])
        .env("GOLDPATH_CACHE_DIR", &empty)
        .code(2);
    out.stderr_contains("cannot fetch https://goldpath.invalid/templates.git")
        .stderr_contains("hint: check the network and credentials, or pass --from with a reachable copy of the source");
    let copy = s.path("moved/templates.git").display().to_string();
    s.command(&p, &["check", "--from", &copy])
        .env("GOLDPATH_CACHE_DIR", &empty)
        .success();
}

/// A bundle repository with releases 1.0.0, 1.2.0, 1.2.1 and the prerelease 2.0.0-rc.1.
fn with_prerelease(s: &Workspace) -> String {
    let repo = s.bundle_repo("templates");
    for v in ["1.0.0", "1.2.0", "1.2.1", "2.0.0-rc.1"] {
        repo.release(
            &format!("v{v}"),
            &format!("[bundle]\nname = \"pre\"\nversion = \"{v}\"\n"),
            &[("VERSION", v)],
            |_| {},
        );
    }
    repo.url()
}

fn recorded_version(p: &Path) -> String {
    let record: toml::Table = toml::from_str(&read(p.join(".goldpath.toml"))).unwrap();
    record["bundle"]["version"].as_str().unwrap().to_string()
}

/// Item 5: a prerelease is never the default of new or upgrade, nor makes check report outdated;
/// it is used when named or with --pre. `v1.2.0` and `1.2` are versions too.
#[test]
fn prereleases_only_when_named_and_versions_as_users_write_them() {
    let s = Workspace::new();
    let url = with_prerelease(&s);
    for (args, want) in [
        (&[][..], "1.2.1"),
        (&["--version", "v1.2.0"], "1.2.0"),
        (&["--version", "1.2"], "1.2.1"),
        (&["--version", "1"], "1.2.1"),
        (&["--version", "2.0.0-rc.1"], "2.0.0-rc.1"),
        (&["--version", "v2.0.0-rc.1"], "2.0.0-rc.1"),
        (&["--pre"], "2.0.0-rc.1"),
        (&["--version", "2", "--pre"], "2.0.0-rc.1"),
    ] {
        let dir = format!("p{}", args.join("").replace(['-', '.'], ""));
        let mut all = vec!["pre", &dir, "--from", &url];
        all.extend_from_slice(args);
        let p = s.new_project(&all);
        assert_eq!(recorded_version(&p), want, "new {args:?}");
        assert_eq!(read(p.join("VERSION")), want);
    }
    s.command(s.root(), &["new", "pre", "x", "--from", &url, "--version", "2"])
        .code(2)
        .stderr_contains("error: bundle `pre` has no 2.x release in git repository")
        .stderr_contains("hint: pick one of the available versions with --version; prereleases are picked only when named, or with --pre");
    s.command(
        s.root(),
        &["new", "pre", "x", "--from", &url, "--version", "1.2.x"],
    )
    .code(2)
    .stderr_contains("`1.2.x` is not a version");

    // Not outdated because of a release candidate.
    let p = s.path("p");
    s.command(&p, &["check"]).success().stdout_contains("ok");

    let p = s.new_project(&["pre", "old", "--from", &url, "--version", "1.0.0"]);
    s.command(&p, &["check"]).code(1).stdout_contains(
        "error: outdated: pre 1.2.1 is available; this project is on 1.0.0 (2 versions behind).",
    );
    s.command(&p, &["upgrade", "--to", "v1.2.0"]).success();
    assert_eq!(recorded_version(&p), "1.2.0");
    s.command(&p, &["upgrade"]).success();
    assert_eq!(recorded_version(&p), "1.2.1");
    s.command(&p, &["upgrade"])
        .success()
        .stdout_contains("Up to date");
    s.command(&p, &["upgrade", "--to", "2.0.0-rc.1"]).success();
    assert_eq!(recorded_version(&p), "2.0.0-rc.1");
    // On a release candidate, the next release candidate or release is found with --pre.
    s.command(&p, &["check"]).success();

    let p = s.new_project(&["pre", "old2", "--from", &url, "--version", "1.0.0"]);
    s.command(&p, &["upgrade", "--to", "1.2"]).success();
    assert_eq!(recorded_version(&p), "1.2.1");
    s.command(&p, &["upgrade", "--pre"]).success();
    assert_eq!(recorded_version(&p), "2.0.0-rc.1");
}

/// Runs `failing` in `dir` (exit 2, its stderr naming `hint`), then `fix`, the command the hint
/// suggests, which must be accepted and succeed.
#[track_caller]
fn hint_then_fix(s: &Workspace, dir: &Path, failing: &[&str], hint: &str, fix: &[&str]) {
    let out = s.goldpath(dir, failing);
    assert_eq!(out.code, Some(2), "goldpath {failing:?}:\n{out}");
    assert!(
        out.stderr.contains(hint),
        "goldpath {failing:?} does not say {hint:?}:\n{out}"
    );
    let out = s.goldpath(dir, fix);
    assert_eq!(
        out.code,
        Some(0),
        "goldpath {fix:?}, as the hint of {failing:?} says:\n{out}"
    );
}

/// Item 8: each hint names an option of the command that printed it, and the command it
/// suggests runs.
#[test]
fn every_hint_suggests_a_command_that_runs() {
    let s = Workspace::new();
    let repo = s.bundle_repo("templates");
    let manifest = |version: &str, extra: &str| {
        format!("[bundle]\nname = \"h\"\nversion = \"{version}\"\n\n[[questions]]\nname = \"service\"\ntype = \"string\"\nvalidation = {{ regex = \"^[a-z]+$\" }}\n{extra}")
    };
    repo.release(
        "v1.0.0",
        &manifest("1.0.0", ""),
        &[("README.md.tera", "# {{ service }}\n")],
        |_| {},
    );
    let url = repo.url();
    let answers_file = |name: &str, text: &str| {
        fs::write(s.path(name), text).unwrap();
        s.path(name).display().to_string()
    };
    let answers = answers_file("new.toml", "service = \"orders\"\n");
    // Another project's whole record, as an upgrade may be given: its recorded answers stay.
    let upgrade_answers = answers_file(
        "upgrade.toml",
        "[bundle]\nname = \"h\"\nversion = \"1.1.0\"\nsource = \"x\"\n\n[answers]\nservice = \"other\"\nregion = \"eu\"\n",
    );
    let root = s.root().to_path_buf();

    // new: a question without an answer, an invalid answer, a version that is not there.
    let new = |dir: &'static str, rest: &[&'static str]| {
        let mut args = vec!["new", "h", dir, "--from", url.as_str()];
        args.extend_from_slice(rest);
        args.iter().map(|a| a.to_string()).collect::<Vec<String>>()
    };
    let run = |failing: Vec<String>, hint: &str, fix: Vec<String>| {
        let failing: Vec<&str> = failing.iter().map(String::as_str).collect();
        let fix: Vec<&str> = fix.iter().map(String::as_str).collect();
        hint_then_fix(&s, &root, &failing, hint, &fix);
    };
    run(
        new("a", &["--no-input"]),
        "Give it with --set NAME=VALUE, an --answers FILE, or --defaults",
        new("a", &["--no-input", "--set", "service=orders"]),
    );
    let mut with_file = new("b", &["--no-input", "--answers"]);
    with_file.push(answers.clone());
    run(new("b", &["--no-input"]), "an --answers FILE", with_file);
    run(
        new("c", &["--set", "service=Bad Name"]),
        "hint: give another answer with --set service=VALUE",
        new("c", &["--set", "service=orders"]),
    );
    run(
        new("d", &["--set", "service=orders", "--version", "9.9.9"]),
        "hint: pick one of the available versions with --version",
        new("d", &["--set", "service=orders", "--version", "1.0.0"]),
    );

    // upgrade: a question new in 1.1.0 without a default; --to a version that is not there; a
    // dirty tree.
    repo.release(
        "v1.1.0",
        &manifest(
            "1.1.0",
            "\n[[questions]]\nname = \"region\"\ntype = \"string\"\n",
        ),
        &[("README.md.tera", "# {{ service }} in {{ region }}\n")],
        |_| {},
    );
    let p = s.path("a");
    hint_then_fix(
        &s,
        &p,
        &["upgrade", "--to", "0.0.1"],
        "hint: pick one of the available versions with --to",
        &["upgrade", "--to", "1.0.0"],
    );
    hint_then_fix(
        &s,
        &p,
        &["upgrade", "--no-input"],
        "Give it with --set NAME=VALUE, an --answers FILE, or --defaults",
        &["upgrade", "--no-input", "--answers", &upgrade_answers],
    );
    assert_eq!(read(p.join("README.md")), "# orders in eu\n");
    let p = s.path("b");
    fs::write(p.join("notes.txt"), "mine\n").unwrap();
    git(&p, &["add", "notes.txt"]);
    hint_then_fix(
        &s,
        &p,
        &["upgrade", "--set", "region=us"],
        "pass --allow-dirty",
        &["upgrade", "--set", "region=us", "--allow-dirty"],
    );

    // upgrade: going back needs --to and --allow-downgrade.
    let p = s.path("a");
    hint_then_fix(
        &s,
        &p,
        &["upgrade", "--to", "1.0.0"],
        "name the version with --to and pass --allow-downgrade",
        &["upgrade", "--to", "1.0.0", "--allow-downgrade"],
    );

    // upgrade stopped on a conflict: upgrade and check both name `goldpath upgrade --abort`.
    let p = s.path("d");
    edit_and_commit(&p, |p| fs::write(p.join("README.md"), "# mine\n").unwrap());
    s.command(&p, &["upgrade", "--set", "region=eu"])
        .code(1)
        .stdout_contains("`goldpath upgrade --abort` to undo");
    s.command(&p, &["check"])
        .code(1)
        .stdout_contains("undo it with `goldpath upgrade --abort`");
    hint_then_fix(
        &s,
        &p,
        &["upgrade"],
        "undo it with `goldpath upgrade --abort`",
        &["upgrade", "--abort"],
    );

    // check: --set of a recorded answer says how to change one; hooks install over a hook.
    let p = s.path("c");
    hint_then_fix(
        &s,
        &p,
        &["check", "--set", "service=other"],
        "run `goldpath upgrade --set NAME=VALUE`",
        &["upgrade", "--set", "service=other", "--set", "region=eu"],
    );
    // A recorded version whose tag is gone: --from a source that still has it.
    let copy = s.path("copy.git");
    repo.bare_clone(&copy);
    git(repo.path(), &["tag", "-d", "v1.1.0"]);
    let copy = copy.display().to_string();
    for command in ["check", "diff", "upgrade"] {
        hint_then_fix(
            &s,
            &p,
            &[command],
            "point it at a source that has it with --from SOURCE",
            &[command, "--from", &copy],
        );
    }
    // A folder holds one version: --from a git repository to choose others.
    let folder = s.path("folder");
    write_bundle(
        &folder,
        &manifest("1.0.0", ""),
        &[("README.md.tera", "# {{ service }}\n")],
    );
    let folder = folder.display().to_string();
    let in_folder = [
        "new",
        "h",
        "f",
        "--set",
        "service=orders",
        "--set",
        "region=eu",
        "--from",
    ];
    let failing: Vec<&str> = in_folder
        .iter()
        .copied()
        .chain([folder.as_str(), "--version", "1.1.0"])
        .collect();
    let fix: Vec<&str> = in_folder
        .iter()
        .copied()
        .chain([copy.as_str(), "--version", "1.1.0"])
        .collect();
    hint_then_fix(
        &s,
        &root,
        &failing,
        "point --from at a git repository with version tags",
        &fix,
    );
    fs::create_dir_all(p.join(".git/hooks")).unwrap();
    fs::write(p.join(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n").unwrap();
    hint_then_fix(
        &s,
        &p,
        &["hooks", "install"],
        "pass --force",
        &["hooks", "install", "--force"],
    );
}

/// Item 8: check and diff take no `--answers` or `--defaults`, nor `--set` for a recorded answer,
/// so a hand-edited `.goldpath.toml` they cannot render with is fixed in the file.
#[test]
fn a_broken_record_in_check_names_the_file_not_options_check_lacks() {
    let s = Workspace::new();
    let bundle = s.path("bundle");
    write_bundle(
        &bundle,
        "[bundle]\nname = \"b\"\nversion = \"1.0.0\"\n\n[[questions]]\nname = \"service\"\ntype = \"string\"\nvalidation = { regex = \"^[a-z]+$\" }\n",
        &[("README.md.tera", "# {{ service }}\n")],
    );
    let from = bundle.display().to_string();
    let p = s.new_project(&["b", "p", "--from", &from, "--set", "service=orders"]);
    let record = read(p.join(".goldpath.toml"));
    for (edited, message, hint) in [
        (
            record.replace("service = \"orders\"\n", ""),
            "error: 1 question has no answer in .goldpath.toml:\n  - service (string)\n",
            "hint: add `NAME = VALUE` under [answers] in .goldpath.toml, or restore the committed one with `git checkout -- .goldpath.toml`\n",
        ),
        (
            record.replace("service = \"orders\"", "service = \"Not Valid\""),
            "error: answer for `service` from .goldpath.toml is invalid: ",
            "hint: fix it under [answers] in .goldpath.toml, or restore the committed one with `git checkout -- .goldpath.toml`\n",
        ),
    ] {
        fs::write(p.join(".goldpath.toml"), edited).unwrap();
        for args in [&["check"][..], &["diff"]] {
            let out = s.command(&p, args).code(2);
            out.stderr_contains(message).stderr_contains(hint);
            assert!(
                !out.stderr.contains("--answers") && !out.stderr.contains("--defaults") && !out.stderr.contains("--set"),
                "{out}"
            );
        }
        git(&p, &["checkout", "--", ".goldpath.toml"]);
        s.command(&p, &["check"]).success();
    }
}
