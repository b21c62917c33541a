//! `goldpath new` refusing bad input: each refusal is a message that names the file, line, key or
//! question and says what to do, exit code 2, and nothing left on disk (no project folder, no
//! `.goldpath-new-*` staging folder).

use crate::harness::{bundles, fixture, ls, Goldpath, Outcome};
use std::path::Path;

fn broken(name: &str) -> String {
    fixture("broken").join(name).display().to_string()
}

/// Runs `goldpath` in `dir` with `args`, expects exit code 2, and checks `dir` is as it was.
#[track_caller]
fn refused(dir: &Path, args: &[&str]) -> Outcome {
    let before = ls(dir);
    let out = Goldpath::new().args(args).current_dir(dir).code(2);
    assert_eq!(ls(dir), before, "left behind in the parent folder\n{out}");
    assert!(out.stdout.is_empty(), "{out}");
    out
}

const GIVE_THEM: &str = "Give them with --set NAME=VALUE, an --answers FILE, or --defaults where a default exists (or run in a terminal to be asked).\n";

#[test]
fn without_a_terminal_every_missing_answer_is_listed_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    // Text on a piped stdin is not an answer: goldpath never reads it, and never waits.
    let before = ls(tmp.path());
    let out = Goldpath::new()
        .args(["new", "greeter", "svc", "--from", &bundles()])
        .current_dir(tmp.path())
        .stdin("orders-api\n")
        .code(2);
    assert_eq!(ls(tmp.path()), before);
    // db_name and db_password are asked only `when = "database"`, itself unanswered.
    out.stderr_is(&format!(
        "error: 7 questions have no answer:
  - service_name (string): Service name
  - crate_name (string): Crate name
  - port (int): HTTP port
  - slo_target (float): Availability SLO
  - ci (choice): CI system [one of: github, gitlab]
  - envs (multichoice): Environments [one of: dev, staging, prod]
  - database (bool): Use a database
{GIVE_THEM}"
    ));

    // With --defaults only the question without a default is left.
    refused(
        tmp.path(),
        &["new", "greeter", "svc", "--from", &bundles(), "--defaults"],
    )
    .stderr_is(
        "error: 1 question has no answer:
  - service_name (string): Service name
Give it with --set NAME=VALUE, an --answers FILE, or --defaults where a default exists (or run in a terminal to be asked).\n",
    );
}

#[test]
fn an_answer_failing_validation_is_an_error_naming_question_and_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let new = ["new", "greeter", "svc", "--from", &bundles(), "--defaults"];
    crate::assert_text_snapshot!(
        "answer_invalid_by_regex",
        refused(
            tmp.path(),
            &[&new[..], &["--set", "service_name=Orders API"]].concat(),
        )
        .stderr
    );
    crate::assert_text_snapshot!(
        "answer_not_a_choice",
        refused(
            tmp.path(),
            &[
                &new[..],
                &["--set", "service_name=orders", "--set", "ci=jenkins"],
            ]
            .concat(),
        )
        .stderr
    );
    crate::assert_text_snapshot!(
        "answer_not_a_bool",
        refused(
            tmp.path(),
            &[
                &new[..],
                &["--set", "service_name=orders", "--set", "database=maybe"],
            ]
            .concat(),
        )
        .stderr
    );

    std::fs::write(
        tmp.path().join("answers.toml"),
        "service_name = \"orders\"\nport = 80\n",
    )
    .unwrap();
    crate::assert_text_snapshot!(
        "answer_from_a_file_below_the_minimum",
        refused(
            tmp.path(),
            &[&new[..], &["--answers", "answers.toml"]].concat(),
        )
        .stderr
    );
    std::fs::write(
        tmp.path().join("answers.toml"),
        "service_name = \"orders\"\nport = \n",
    )
    .unwrap();
    refused(
        tmp.path(),
        &[&new[..], &["--answers", "answers.toml"]].concat(),
    )
    .stderr_contains("error: answers.toml:2: ")
    .stderr_contains("hint: an answers file holds `name = value` lines in TOML\n");

    refused(
        tmp.path(),
        &[&new[..], &["--answers", "nope.toml"]].concat(),
    )
    .stderr_contains("error: cannot read answers file nope.toml: ");
    refused(tmp.path(), &[&new[..], &["--set", "service_name"]].concat()).stderr_contains(
        "invalid value 'service_name' for '--set <KEY=VALUE>': `service_name` is not KEY=VALUE",
    );

    // A misspelled --set names the questions there are.
    refused(tmp.path(), &[&new[..], &["--set", "servce_name=orders"]].concat()).stderr_is(
        "error: --set servce_name=... answers `servce_name`, which this bundle does not ask \
         (its questions: service_name, crate_name, port, slo_target, ci, envs, database, db_name, db_password)\n",
    );
}

#[test]
fn a_refused_secret_is_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = refused(
        tmp.path(),
        &[
            "new",
            "greeter",
            "svc",
            "--from",
            &bundles(),
            "--defaults",
            "--set",
            "service_name=orders",
            "--set",
            "database=true",
            "--set",
            "db_password=short",
        ],
    );
    out.stderr_is(
        "error: answer for `db_password` from --set db_password=... is invalid: does not match ^.{8,}$\nhint: give another answer with --set db_password=VALUE (it wins over an answers file)\n",
    );
}

#[test]
fn an_invalid_manifest_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken("unknown-key");
    refused(tmp.path(), &["new", "unknown-key", "svc", "--from", &dir]).stderr_is(&format!(
        "error: {dir}/bundle.toml:4: unknown field `descripton`, expected one of `name`, `version`, `description`, `owner`\n\
         hint: the bundle format is described in docs/bundles.md\n"
    ));
    let dir = broken("unknown-type");
    refused(tmp.path(), &["new", "unknown-type", "svc", "--from", &dir]).stderr_is(&format!(
        "error: {dir}/bundle.toml:7: unknown variant `text`, expected one of `string`, `int`, `float`, `bool`, `choice`, `multichoice`, `secret`\n\
         hint: the bundle format is described in docs/bundles.md\n"
    ));
}

#[test]
fn a_template_syntax_error_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken("syntax");
    let out = refused(
        tmp.path(),
        &["new", "syntax", "svc", "--from", &dir, "--defaults"],
    );
    out.stderr_contains("error: template/chart/values.yaml.tera:3: ")
        .stderr_contains("--> 3:")
        .stderr_contains(&format!(
            "\nhint: this is a problem in the bundle's template; tell its maintainers\n\
             hint: the bundle is syntax 1.0.0 from {dir}\n"
        ));
}

#[test]
fn a_rendered_path_may_not_escape_the_project() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken("escape");
    for (target, reason) in [
        (
            "..",
            "it contains `.` or `..`; paths may not leave the project",
        ),
        (".git", "it writes into `.git`, which belongs to git"),
        (".GIT", "it writes into `.git`, which belongs to git"),
        ("/etc", "a rendered path part contains a path separator"),
        (
            "a/../../..",
            "a rendered path part contains a path separator",
        ),
        (
            ".goldpath.toml",
            ".goldpath.toml is written by goldpath itself",
        ),
    ] {
        let out = refused(
            tmp.path(),
            &[
                "new",
                "escape",
                "svc",
                "--from",
                &dir,
                "--set",
                &format!("target={target}"),
            ],
        );
        let rendered = if target.contains('/') {
            target.to_string()
        } else {
            format!("{target}/file.txt")
        };
        out.stderr_is(&format!(
            "error: template/{{{{ target }}}}/file.txt: its path renders to `{rendered}`, which is not allowed: {reason} (from the answer `target` = \"{target}\")\n\
             hint: the path is made from your answers: check them; if they are right, the bundle's template is at fault: tell its maintainers\n\
             hint: the bundle is escape 1.0.0 from {dir}\n"
        ));
    }
}

#[test]
fn get_env_cannot_read_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = broken("get-env");
    let run = |args: &[&str]| {
        let before = ls(tmp.path());
        let out = Goldpath::new()
            .args(args)
            .current_dir(tmp.path())
            .env("GOLDPATH_TEST_TOKEN", "tok-s3cr3t-value")
            .code(2);
        assert_eq!(ls(tmp.path()), before);
        assert!(!out.stderr.contains("tok-s3cr3t") && !out.stdout.contains("tok-s3cr3t"));
        out
    };
    // In a question's default...
    run(&["new", "get-env", "svc", "--from", &dir, "--defaults"])
        .stderr_contains("error: `default` of question `owner` cannot be evaluated: ")
        .stderr_contains("get_env is disabled: bundles may not read environment variables; ask a question instead\n\
             hint: this is a problem in the bundle's bundle.toml; tell its maintainers\n\
             hint: the bundle is get-env 1.0.0 from ")
        .stderr_contains(&dir);
    // ...and in a template.
    run(&["new", "get-env", "svc", "--from", &dir, "--set", "owner=me"])
        .stderr_contains("error: template/env.txt.tera: ")
        .stderr_contains("get_env is disabled: bundles may not read environment variables; ask a question instead");
}

#[test]
fn a_non_empty_or_non_folder_destination_is_refused_before_any_question() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("svc")).unwrap();
    std::fs::write(tmp.path().join("svc/keep.txt"), "mine\n").unwrap();
    // No answers given: the destination is checked first.
    refused(tmp.path(), &["new", "greeter", "svc", "--from", &bundles()]).stderr_is(
        "error: svc: already exists and is not empty; choose a new directory (goldpath never writes over files)\n",
    );
    assert_eq!(ls(&tmp.path().join("svc")), ["keep.txt"]);
    assert_eq!(
        crate::harness::read(tmp.path().join("svc/keep.txt")),
        "mine\n"
    );

    std::fs::write(tmp.path().join("file"), "").unwrap();
    refused(
        tmp.path(),
        &["new", "greeter", "file", "--from", &bundles()],
    )
    .stderr_is("error: file: exists and is not a folder; choose a new directory\n");
}

/// What is in the way of `new` stays, whatever it is: a file git ignores in the repository
/// the project would join, and a linked folder (and the folder it links to).
#[cfg(unix)]
#[test]
fn an_ignored_file_or_a_linked_folder_in_the_destination_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    crate::harness::git(tmp.path(), &["init", "-q"]);
    std::fs::write(tmp.path().join(".gitignore"), "*.log\n").unwrap();
    std::fs::create_dir(tmp.path().join("svc")).unwrap();
    std::fs::write(tmp.path().join("svc/debug.log"), "mine\n").unwrap();
    assert_eq!(
        crate::harness::git(tmp.path(), &["status", "--porcelain", "--ignored", "svc"]),
        "!! svc/\n",
        "the file is ignored"
    );
    refused(tmp.path(), &["new", "greeter", "svc", "--from", &bundles()])
        .stderr_contains("svc: already exists and is not empty");
    assert_eq!(
        crate::harness::read(tmp.path().join("svc/debug.log")),
        "mine\n"
    );

    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("data.csv"), "1,2\n").unwrap();
    std::fs::create_dir(tmp.path().join("linked")).unwrap();
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("linked/data")).unwrap();
    refused(
        tmp.path(),
        &["new", "greeter", "linked", "--from", &bundles()],
    )
    .stderr_contains("linked: already exists and is not empty");
    assert!(tmp
        .path()
        .join("linked/data")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(ls(outside.path()), ["data.csv"]);
    assert_eq!(
        crate::harness::read(outside.path().join("data.csv")),
        "1,2\n"
    );
}

#[test]
fn an_unknown_bundle_or_version_lists_what_exists() {
    let tmp = tempfile::tempdir().unwrap();
    refused(tmp.path(), &["new", "nope", "svc", "--from", &bundles()]).stderr_is(&format!(
        "error: no bundle named `nope` in folder {} (available: greeter, minimal)\n\
         hint: `goldpath list` shows the built-in bundles; `goldpath list --from SOURCE` those of a source\n",
        bundles()
    ));
    refused(tmp.path(), &["new", "nope", "svc"])
        .stderr_contains("error: no bundle named `nope` in the built-in catalog (available: ")
        .stderr_contains("rust-service");
    refused(
        tmp.path(),
        &["new", "minimal", "svc", "--from", &bundles(), "--version", "2.0.0"],
    )
    .stderr_is(&format!(
        "error: folder {} holds one version of `minimal` (0.3.0); version 2.0.0 was asked for\n\
         hint: a folder holds one version; point --from at a git repository with version tags to choose others\n",
        bundles()
    ));
    refused(
        tmp.path(),
        &[
            "new",
            "minimal",
            "svc",
            "--from",
            &bundles(),
            "--version",
            "two",
        ],
    )
    .stderr_contains("invalid value 'two' for '--version <V>'");
    refused(
        tmp.path(),
        &["new", "minimal", "svc", "--from", "no-such-folder"],
    )
    .stderr_contains(
        "no such folder; --from takes a folder of bundles, a bundle folder, or a git URL",
    );
}

#[test]
fn a_missing_local_repository_is_not_fetched_as_a_remote() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    for (from, shown) in [
        (
            "missing.git".to_string(),
            tmp.path().join("missing.git").display().to_string(),
        ),
        (
            format!("file://{}", tmp.path().join("gone").display()),
            format!("file://{}", tmp.path().join("gone").display()),
        ),
    ] {
        Goldpath::new()
            .args(["new", "greeter", "svc", "--from", &from])
            .current_dir(tmp.path())
            .env("GOLDPATH_CACHE_DIR", &cache)
            .code(2)
            .stderr_is(&format!(
                "error: cannot read bundle source {shown}: no such repository; --from takes a folder of bundles, a bundle folder, or a git URL\n"
            ));
    }
    // Nothing was made, not even a cache.
    assert!(ls(tmp.path()).is_empty());
}

#[test]
fn a_failing_first_commit_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let before = ls(tmp.path());
    let out = Goldpath::new()
        .git_config("init.defaultBranch", "bad..name")
        .args(["new", "minimal", "a/b/svc", "--from", &bundles()])
        .current_dir(tmp.path())
        .code(2);
    // Not even the folders made to hold it.
    out.stderr_contains("error: git: ")
        .stderr_contains("git config init.defaultBranch: `bad..name` is not a valid branch name; fix it with `git config --global init.defaultBranch main`");
    assert_eq!(ls(tmp.path()), before, "{out}");
}
