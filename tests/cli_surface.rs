//! What a CI user expects of the command line (issue #11, items 7, 9 and 11): every patch
//! `goldpath diff` prints applies with `git apply -R`, `diff --locked` is exactly `check`'s
//! drift, `upgrade --format json`, completions, the man page, colour, and a Renovate
//! configuration that matches a real `.goldpath.toml`.

use crate::harness::{git, read, write_bundle, Workspace};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn executable(path: &Path) -> bool {
    fs::metadata(path).unwrap().permissions().mode() & 0o111 != 0
}

/// Bytes with a NUL, so git and goldpath both take the file as binary.
const LOGO: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02\x03";

/// A bundle `kinds` 1.0.0 with a locked file for each kind of change, a seed file and a file
/// the team may change, and a project made from it (committed).
fn kinds_project(s: &Workspace) -> PathBuf {
    let bundle = s.path("bundles/kinds");
    write_bundle(
        &bundle,
        "[bundle]\nname = \"kinds\"\nversion = \"1.0.0\"\ndescription = \"every kind of file\"\n\n\
         [files]\nlocked = [\"locked/**\"]\nseed = [\"src/**\"]\n",
        &[
            ("locked/edited.txt", "one\ntwo\nthree\n"),
            ("locked/deleted.txt", "gone\nsoon\n"),
            ("locked/mode.sh", "#!/bin/sh\necho mode\n"),
            ("locked/deleted-exec.sh", "#!/bin/sh\necho deleted\n"),
            ("locked/both.sh", "#!/bin/sh\necho both\n"),
            ("locked/no-newline.txt", "first\nlast"),
            ("locked/crlf.txt", "alpha\r\nbeta\r\ngamma\r\n"),
            ("locked/empty.txt", ""),
            ("locked/new-folder/deep/file.txt", "nested\n"),
            ("locked/caf\u{e9} q.txt", "quoted name\n"),
            ("src/main.rs", "fn main() {}\n"),
            ("README.md", "# kinds\n"),
        ],
    );
    fs::write(bundle.join("template/locked/logo.bin"), LOGO).unwrap();
    for script in ["mode.sh", "deleted-exec.sh", "both.sh"] {
        set_mode(&bundle.join("template/locked").join(script), 0o755);
    }
    let from = s.path("bundles").display().to_string();
    s.new_project(&["kinds", "svc", "--from", &from])
}

/// Every kind of change a user can make to the project's files, committed or not.
fn change_everything(p: &Path) {
    let locked = p.join("locked");
    fs::write(locked.join("edited.txt"), "one\nTWO\nthree\n").unwrap();
    fs::remove_file(locked.join("deleted.txt")).unwrap();
    set_mode(&locked.join("mode.sh"), 0o644);
    fs::remove_file(locked.join("deleted-exec.sh")).unwrap();
    fs::write(locked.join("both.sh"), "#!/bin/sh\necho changed\n").unwrap();
    set_mode(&locked.join("both.sh"), 0o644);
    fs::write(locked.join("no-newline.txt"), "first\nlast, changed").unwrap();
    fs::write(locked.join("crlf.txt"), "alpha\r\nBETA\r\ngamma\r\n").unwrap();
    fs::remove_file(locked.join("empty.txt")).unwrap();
    fs::remove_dir_all(locked.join("new-folder")).unwrap();
    fs::write(locked.join("caf\u{e9} q.txt"), "quoted name, edited\n").unwrap();
    let mut logo = LOGO.to_vec();
    logo.extend_from_slice(b"\x00\xffmore");
    fs::write(locked.join("logo.bin"), logo).unwrap();
    // The team's own work: a seed file, a file the golden path lets them change, a new file.
    fs::write(p.join("src/main.rs"), "fn main() { println!(\"ours\"); }\n").unwrap();
    fs::write(p.join("README.md"), "# kinds, our way\n").unwrap();
    fs::write(p.join("locked/ours.txt"), "added by the team\n").unwrap();
}

/// `git apply ARGS PATCH` in `dir` (the patch written outside it), whether it succeeded and
/// its stderr.
fn git_apply(dir: &Path, args: &[&str], patch: &[u8]) -> (bool, String) {
    let file = dir.parent().unwrap().join("restore.patch");
    fs::write(&file, patch).unwrap();
    let out = std::process::Command::new("git")
        .arg("apply")
        .args(args)
        .arg(&file)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `locked/` the golden path wrote, with its bytes and executable bit.
fn locked_files(p: &Path) -> Vec<(String, Vec<u8>, bool)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(p.join("locked"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && e.file_name() != "ours.txt")
        .map(|e| {
            let rel = e.path().strip_prefix(p).unwrap().display().to_string();
            (rel, fs::read(e.path()).unwrap(), executable(e.path()))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_kind_of_change_restores_with_git_apply_reverse() {
    let s = Workspace::new();
    let p = kinds_project(&s);
    let golden = locked_files(&p);
    assert_eq!(golden.len(), 11, "{golden:?}");
    change_everything(&p);

    // Each kind on its own: `goldpath diff --locked PATH` applies in reverse.
    for (path, _, _) in &golden {
        let out = s.goldpath(&p, &["diff", "--locked", path]);
        assert!(out.is_success(), "{path}: {}", out.stderr);
        assert!(!out.stdout_bytes.is_empty(), "{path}: no diff");
        let (ok, err) = git_apply(&p, &["--check", "-R"], &out.stdout_bytes);
        assert!(
            ok,
            "{path}: git apply --check -R refused:\n{err}\n{}",
            out.stdout
        );
    }

    // The whole project's diff applies too (to check it, not to apply: it would undo the
    // team's seed and README edits).
    let all = s.goldpath(&p, &["diff"]);
    assert!(all.is_success(), "{}", all.stderr);
    assert!(all.stdout.contains("src/main.rs") && all.stdout.contains("README.md"));
    let (ok, err) = git_apply(&p, &["--check", "-R"], &all.stdout_bytes);
    assert!(ok, "whole diff: {err}\n{}", all.stdout);

    // --locked is what check calls drift: every locked file, nothing of the team's.
    let locked = s.goldpath(&p, &["diff", "--locked"]);
    assert!(locked.is_success(), "{}", locked.stderr);
    let drift = s.goldpath(&p, &["diff", "--drift"]);
    assert_eq!(
        drift.stdout_bytes, locked.stdout_bytes,
        "--drift is --locked"
    );
    for theirs in ["src/main.rs", "README.md", "ours.txt"] {
        assert!(
            !locked.stdout.contains(theirs),
            "{theirs}:\n{}",
            locked.stdout
        );
    }
    let check = s.goldpath(&p, &["check", "--format", "json"]);
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    let report: serde_json::Value = serde_json::from_slice(&check.stdout_bytes).unwrap();
    let mut drifted: Vec<String> = report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap().to_string())
        .collect();
    drifted.sort();
    let mut patched: Vec<String> = golden.iter().map(|(p, _, _)| p.clone()).collect();
    patched.sort();
    assert_eq!(drifted, patched);
    // The kinds git must be told about in its own words.
    for header in [
        "old mode 100755\nnew mode 100644\ndiff --git a/locked/deleted-exec.sh b/locked/deleted-exec.sh\ndeleted file mode 100644\n",
        "deleted file mode 100644\n",
        "old mode 100755\nnew mode 100644\n",
        "GIT binary patch\n",
        "\\ No newline at end of file\n",
        "-beta\r\n+BETA\r\n",
        "+++ /dev/null\n",
        "diff --git \"a/locked/caf\\303\\251 q.txt\"",
    ] {
        assert!(locked.stdout.contains(header), "{header:?} missing:\n{}", locked.stdout);
    }

    // The documented restore: check, then apply; drift is gone and the team's work stays.
    let (ok, err) = git_apply(&p, &["--check", "-R"], &locked.stdout_bytes);
    assert!(ok, "{err}\n{}", locked.stdout);
    let (ok, err) = git_apply(&p, &["-R"], &locked.stdout_bytes);
    assert!(ok, "{err}");
    assert_eq!(locked_files(&p), golden);
    assert_eq!(
        read(p.join("src/main.rs")),
        "fn main() { println!(\"ours\"); }\n"
    );
    assert_eq!(read(p.join("README.md")), "# kinds, our way\n");
    assert_eq!(read(p.join("locked/ours.txt")), "added by the team\n");
    let check = s.goldpath(&p, &["check"]);
    assert_eq!(check.code, Some(0), "{}", check.stdout);
    let again = s.goldpath(&p, &["diff", "--locked", "--exit-code"]);
    assert_eq!((again.code, again.stdout.as_str()), (Some(0), ""));
    // git sees only the team's changes left.
    let status = git(&p, &["status", "--porcelain"]);
    assert_eq!(status, " M README.md\n M src/main.rs\n?? locked/ours.txt\n");
}

#[test]
fn diff_locked_names_a_locked_symlink_instead_of_failing() {
    let s = Workspace::new();
    let p = kinds_project(&s);
    fs::remove_file(p.join("locked/edited.txt")).unwrap();
    std::os::unix::fs::symlink("../README.md", p.join("locked/edited.txt")).unwrap();
    fs::write(p.join("locked/crlf.txt"), "changed\n").unwrap();
    let out = s.goldpath(&p, &["diff", "--locked", "--exit-code"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("locked/edited.txt is locked and a symlink is in its place"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("+changed\n"), "{}", out.stdout);
    let (ok, err) = git_apply(&p, &["--check", "-R"], &out.stdout_bytes);
    assert!(ok, "{err}");
}

/// `goldpath completions SHELL`, as the shell would load it.
fn completion_script(shell: &str) -> String {
    let out = crate::harness::Goldpath::new()
        .args(["completions", shell])
        .success();
    assert!(!out.stdout.is_empty(), "{shell}: empty script");
    out.stdout
}

/// Loads the bash completion script in bash and asks it to complete `words` (the last one
/// being typed): what bash would offer at that point.
fn bash_completes(script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         _goldpath goldpath '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len().saturating_sub(2)],
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

const COMMANDS: [&str; 10] = [
    "list",
    "new",
    "upgrade",
    "adopt",
    "check",
    "diff",
    "hooks",
    "merge-file",
    "completions",
    "man",
];

#[test]
fn bash_completion_loads_and_completes_commands_and_options() {
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("goldpath.bash");
    fs::write(&script, completion_script("bash")).unwrap();
    let commands = bash_completes(&script, &["goldpath", ""]);
    for command in COMMANDS {
        assert!(
            commands.iter().any(|c| c == command),
            "{command}: {commands:?}"
        );
    }
    assert_eq!(bash_completes(&script, &["goldpath", "upg"]), ["upgrade"]);
    let options = bash_completes(&script, &["goldpath", "diff", "--lo"]);
    assert_eq!(options, ["--locked"]);
    let formats = bash_completes(&script, &["goldpath", "upgrade", "--format", ""]);
    assert_eq!(formats, ["text", "json"]);
    // The other shells get a script that names the commands too.
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = completion_script(shell);
        for command in ["upgrade", "completions", "--locked"] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    let bad = crate::harness::Goldpath::new()
        .args(["completions", "tcsh"])
        .code(2);
    assert!(
        bad.stderr
            .contains("possible values: bash, elvish, fish, powershell, zsh"),
        "{}",
        bad.stderr
    );
}

#[test]
fn the_man_page_renders_and_names_every_command() {
    let out = crate::harness::Goldpath::new().arg("man").success();
    assert!(
        out.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "not roff:\n{}",
        out.stdout
    );
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("goldpath.1");
    fs::write(&page, &out.stdout).unwrap();
    // Rendered by man(1) when the machine has it, as a user reads it.
    let rendered = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    // Without man(1), the roff itself, its `\-` read as `-`.
    let roff = out.stdout.replace("\\-", "-");
    let text = rendered.as_deref().unwrap_or(&roff);
    assert!(text.contains("goldpath"), "{text}");
    for command in COMMANDS {
        assert!(
            text.contains(&format!("goldpath-{command}(1)")),
            "{command}:\n{text}"
        );
    }
    assert!(text.contains("--color"), "{text}");
    // A page per command.
    for command in COMMANDS {
        let out = crate::harness::Goldpath::new()
            .args(["man", command])
            .success();
        let name = format!("goldpath-{command}").replace('-', "\\-");
        assert!(
            out.stdout.contains(&format!("\n{name} \\- ")),
            "{command}:\n{}",
            out.stdout
        );
    }
    let page = crate::harness::Goldpath::new()
        .args(["man", "diff"])
        .success();
    assert!(page.stdout.contains("\\-\\-locked"), "{}", page.stdout);
    let bad = crate::harness::Goldpath::new()
        .args(["man", "nope"])
        .code(2);
    assert!(
        bad.stderr.contains("`nope` is not a goldpath command"),
        "{}",
        bad.stderr
    );
}

/// Validates `report` against docs/upgrade-report.schema.json.
#[track_caller]
fn assert_upgrade_schema(report: &serde_json::Value) {
    crate::harness::assert_json_schema("upgrade-report.schema.json", report);
}

fn json(out: &crate::harness::Outcome) -> serde_json::Value {
    serde_json::from_slice(&out.stdout_bytes)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", out.stdout))
}

#[test]
fn upgrade_format_json_reports_files_conflicts_versions_and_the_commit() {
    use crate::upgrade::{svc_bundle, svc_project};
    let s = Workspace::new();
    let url = svc_bundle(&s);

    // A clean upgrade, committed: the commit is HEAD.
    let p = svc_project(&s, &url);
    let dry = s.goldpath(
        &p,
        &["upgrade", "--format", "json", "--dry-run", "--defaults"],
    );
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    let dry = json(&dry);
    assert_upgrade_schema(&dry);
    assert_eq!(
        (dry["status"].as_str(), dry["commit"].as_str()),
        (Some("dry-run"), None)
    );
    let out = s.goldpath(&p, &["upgrade", "--format", "json", "--defaults"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = json(&out);
    assert_upgrade_schema(&report);
    assert_eq!(report["status"], "committed");
    assert_eq!(report["commit"], git(&p, &["rev-parse", "HEAD"]).trim());
    assert_eq!(
        (report["from"].as_str(), report["to"].as_str()),
        (Some("1.0.0"), Some("2.0.0"))
    );
    assert_eq!(report["bundle"], "svc");
    assert_eq!(report["project"], "orders-api");
    assert_eq!(report["conflicts"], serde_json::json!([]));
    let bundle_commit = report["bundle_commit"].as_str().unwrap();
    assert!(read(p.join(".goldpath.toml")).contains(bundle_commit));
    let changes: Vec<(&str, &str)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["change"].as_str().unwrap()))
        .collect();
    assert!(
        changes.contains(&("ci/pipeline.yml", "updated")),
        "{changes:?}"
    );
    assert_eq!(dry["files"], report["files"], "the dry run said the same");
    // The text report says the same files.
    let again = s.goldpath(&p, &["upgrade", "--format", "json"]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    let again = json(&again);
    assert_upgrade_schema(&again);
    assert_eq!(
        (again["status"].as_str(), again["to"].as_str()),
        (Some("up-to-date"), Some("2.0.0"))
    );

    // Stopped on a conflict: exit 1, the conflict named with its kind.
    let p2 = s.path("second");
    let made = s.goldpath(
        s.root(),
        &[
            "new",
            "svc",
            "second",
            "--from",
            &url,
            "--version",
            "1.0.0",
            "--defaults",
            "--no-input",
            "--set",
            "service_name=second",
        ],
    );
    assert!(made.is_success(), "{}", made.stderr);
    crate::harness::edit_and_commit(&p2, |p| {
        fs::write(p.join("ci/pipeline.yml"), "steps:\n  - run: make\n").unwrap()
    });
    let out = s.goldpath(&p2, &["upgrade", "--format", "json", "--defaults"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report = json(&out);
    assert_upgrade_schema(&report);
    assert_eq!(report["status"], "conflicts");
    assert_eq!(report["commit"], serde_json::Value::Null);
    assert_eq!(report["conflicts"], serde_json::json!(["ci/pipeline.yml"]));
    let pipeline = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "ci/pipeline.yml")
        .unwrap();
    assert_eq!(pipeline["change"], "conflict");
    assert_eq!(pipeline["conflict"]["kind"], "locked file edited locally");
    assert_eq!(pipeline["conflict"]["markers"], true);
    // An error: exit 2, nothing on stdout that a JSON reader would choke on.
    let bad = s.goldpath(
        &p,
        &["upgrade", "--format", "json", "--to", "9.9.9", "--defaults"],
    );
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert_eq!(bad.stdout, "");
    assert!(bad.stderr.contains("9.9.9"), "{}", bad.stderr);
    // --abort reports in JSON too (it was refused), in the same shape.
    let aborted = s.goldpath(&p2, &["upgrade", "--abort", "--format", "json"]);
    assert_eq!(aborted.code, Some(0), "{}", aborted.stderr);
    let aborted: serde_json::Value = serde_json::from_str(&aborted.stdout).unwrap();
    assert_upgrade_schema(&aborted);
    assert_eq!(aborted["status"], "aborted");
}

/// `goldpath diff` of a project with one drifted locked file, in a terminal.
fn drifted(s: &Workspace) -> PathBuf {
    let p = kinds_project(s);
    fs::write(p.join("locked/edited.txt"), "one\nTWO\nthree\n").unwrap();
    p
}

#[test]
fn colour_follows_the_terminal_no_color_and_the_flag() {
    let s = Workspace::new();
    let p = drifted(&s);
    const RED_MINUS: &str = "\x1b[31m-two\x1b[m";
    const GREEN_PLUS: &str = "\x1b[32m+TWO\x1b[m";
    // On a terminal: coloured as git colours a diff, and check's labels.
    let (code, screen) = s.command(&p, &["diff"]).pty_raw().finish();
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains(RED_MINUS) && screen.contains(GREEN_PLUS),
        "{screen:?}"
    );
    let (code, screen) = s.command(&p, &["check"]).pty_raw().finish();
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("\x1b[1;31merror:\x1b[m drift: locked/edited.txt"),
        "{screen:?}"
    );
    // NO_COLOR (any value but empty), TERM=dumb and --color never turn it off.
    for (var, value, args) in [
        ("NO_COLOR", "1", &["diff"][..]),
        ("TERM", "dumb", &["diff"][..]),
        ("NO_COLOR", "", &["diff", "--color", "never"][..]),
    ] {
        let (code, screen) = s.command(&p, args).env(var, value).pty_raw().finish();
        assert_eq!(code, 0, "{screen}");
        assert!(
            !screen.contains('\x1b'),
            "{var}={value} {args:?}: {screen:?}"
        );
        assert!(screen.contains("+TWO"), "{screen:?}");
    }
    // An empty NO_COLOR is not set.
    let (_, screen) = s
        .command(&p, &["diff"])
        .env("NO_COLOR", "")
        .pty_raw()
        .finish();
    assert!(screen.contains(GREEN_PLUS), "{screen:?}");
    // Piped: plain, so `git apply` gets the patch; --color always is the user's call.
    let piped = s.goldpath(&p, &["diff"]);
    assert!(!piped.stdout.contains('\x1b'), "{}", piped.stdout);
    let forced = s.goldpath(&p, &["--color", "always", "diff"]);
    assert!(forced.stdout.contains(RED_MINUS), "{}", forced.stdout);
    let forced = s.goldpath(&p, &["diff", "--color=always"]);
    assert!(
        forced.stdout.contains(GREEN_PLUS),
        "global flag after the command"
    );
    let bad = s.goldpath(&p, &["diff", "--color", "sometimes"]);
    assert_eq!(bad.code, Some(2));
}

#[test]
fn a_fetch_shows_a_progress_line_on_a_terminal_only() {
    use crate::upgrade::{svc_bundle, svc_project};
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = svc_project(&s, &url);
    let (code, screen) = s.command(&p, &["check"]).pty_raw().finish();
    assert_eq!(code, 1, "{screen}");
    let line = format!("goldpath: fetching {url} (");
    assert!(screen.contains(&line), "{screen:?}");
    // The line is erased before the report.
    let erased = screen.rfind("\r\x1b[K").unwrap();
    assert!(
        erased < screen.find("error: ").or(screen.find("outdated")).unwrap(),
        "{screen:?}"
    );
    // upgrade's file list is coloured by what happens to each file.
    let (code, screen) = s
        .command(&p, &["upgrade", "--dry-run", "--defaults", "--no-input"])
        .pty_raw()
        .finish();
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("\x1b[32m  U ci/pipeline.yml  updated from the template\x1b[m"),
        "{screen:?}"
    );
    // Not on a pipe.
    let out = s.goldpath(&p, &["check"]);
    assert!(!out.stderr.contains("fetching"), "{}", out.stderr);
}

/// The JSON blocks of docs/renovate.md: the repository configuration, then the administrator's.
fn renovate_docs() -> (serde_json::Value, serde_json::Value) {
    let doc = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/renovate.md")).unwrap();
    let blocks: Vec<serde_json::Value> = doc
        .split("```json\n")
        .skip(1)
        .map(|rest| serde_json::from_str(rest.split("```").next().unwrap()).unwrap())
        .collect();
    assert_eq!(blocks.len(), 2, "docs/renovate.md has two JSON blocks");
    (blocks[0].clone(), blocks[1].clone())
}

/// `renovate-config-validator` on PATH (tests/install-validators puts it in
/// .tools/node/node_modules/.bin), or `None` when it is missing and `GOLDPATH_VALIDATORS=1` is
/// not set; with it set, a missing validator fails the test.
fn renovate_validator() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("renovate-config-validator"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let message = "renovate-config-validator not found on PATH; run tests/install-validators and put .tools/node/node_modules/.bin on PATH";
        if std::env::var_os("GOLDPATH_VALIDATORS").is_some_and(|v| v == "1") {
            panic!("{message} (GOLDPATH_VALIDATORS=1: every validator is required)");
        }
        eprintln!("SKIPPED the Renovate configuration's validation: {message}");
    }
    found
}

/// Runs the validator in `dir` on `args`: whether it accepted, and what it said.
fn validate(validator: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(validator)
        .arg("--strict")
        .args(args)
        .current_dir(dir)
        .env("LOG_LEVEL", "info")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_renovate_configuration_passes_renovate_config_validator_strict() {
    let (repo, admin) = renovate_docs();
    let Some(validator) = renovate_validator() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // The repository's configuration, found as Renovate finds it (renovate.json in the folder).
    fs::write(tmp.path().join("renovate.json"), repo.to_string()).unwrap();
    let (ok, said) = validate(&validator, tmp.path(), &[]);
    assert!(ok && said.contains("Validating renovate.json"), "{said}");
    // The administrator's, as a global configuration.
    fs::write(tmp.path().join("admin.json"), admin.to_string()).unwrap();
    let (ok, said) = validate(&validator, tmp.path(), &["admin.json"]);
    assert!(ok, "{said}");
    // The validator does refuse (each run takes about a second, so one is enough): an option
    // --strict wants migrated (Renovate 41 renamed fileMatch).
    let old = repo
        .to_string()
        .replace("\"managerFilePatterns\"", "\"fileMatch\"");
    fs::write(tmp.path().join("renovate.json"), old).unwrap();
    assert!(
        !validate(&validator, tmp.path(), &[]).0,
        "--strict took a deprecated option"
    );
}

/// A Handlebars template of the configuration with `values` put in (`{{{name}}}`, unescaped).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |t, (name, value)| {
            t.replace(&format!("{{{{{{{name}}}}}}}"), value)
        })
}

#[test]
fn the_renovate_manager_reads_a_real_goldpath_toml_and_its_task_upgrades_the_project() {
    use crate::upgrade::{svc_bundle, svc_project};
    let (repo, _) = renovate_docs();
    let manager = &repo["customManagers"][0];
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = svc_project(&s, &url);
    let answers = read(p.join(".goldpath.toml"));

    // Which files: .goldpath.toml at the root or in a subfolder, nothing else.
    let pattern = manager["managerFilePatterns"][0].as_str().unwrap();
    let files = regex::Regex::new(pattern.trim_matches('/')).unwrap();
    for (path, matched) in [
        (".goldpath.toml", true),
        ("services/a/.goldpath.toml", true),
        ("x.goldpath.toml", false),
        (".goldpath.toml.orig", false),
    ] {
        assert_eq!(files.is_match(path), matched, "{path}");
    }

    // What: the bundle, its version and its git source, as goldpath wrote them.
    let find = regex::Regex::new(manager["matchStrings"][0].as_str().unwrap()).unwrap();
    let found = find
        .captures(&answers)
        .unwrap_or_else(|| panic!("no match in:\n{answers}"));
    assert_eq!(&found["depName"], "svc");
    assert_eq!(&found["currentValue"], "1.0.0");
    assert_eq!(&found["packageName"], url);
    // A folder source has no tags: not matched.
    let folder = answers.replace(&format!("source = \"{url}\""), "source = \"/srv/bundles\"");
    assert!(find.captures(&folder).is_none(), "{folder}");

    // Which tags are versions, for this bundle.
    let template = manager["extractVersionTemplate"].as_str().unwrap();
    let versions = regex::Regex::new(&fill(template, &[("depName", "svc")])).unwrap();
    for (tag, version) in [
        ("v2.0.0", Some("2.0.0")),
        ("2.0.0", Some("2.0.0")),
        ("svc/v2.1.0", Some("2.1.0")),
        ("v3.0.0-rc.1", Some("3.0.0-rc.1")),
        ("other/v9.0.0", None),
        ("latest", None),
    ] {
        let got = versions.captures(tag).map(|c| c["version"].to_string());
        assert_eq!(got.as_deref(), version, "{tag}");
    }

    // The post-upgrade task, as Renovate runs it on its branch after writing the new version
    // into .goldpath.toml.
    fs::write(
        p.join(".goldpath.toml"),
        answers.replace("version = \"1.0.0\"", "version = \"2.0.0\""),
    )
    .unwrap();
    let rule = &repo["packageRules"][0];
    let values = [("packageFile", ".goldpath.toml"), ("newVersion", "2.0.0")];
    let commands: Vec<String> = rule["postUpgradeTasks"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| fill(c.as_str().unwrap(), &values))
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let restore: Vec<&str> = commands[0].split_whitespace().collect();
    assert_eq!(restore[0], "git");
    git(&p, &restore[1..]);
    let upgrade: Vec<&str> = commands[1].split_whitespace().collect();
    assert_eq!(upgrade[0], "goldpath");
    let out = s.goldpath(&p, &upgrade[1..]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("Upgraded to svc 2.0.0 (not committed)."),
        "{}",
        out.stdout
    );
    let upgraded = read(p.join(".goldpath.toml"));
    assert!(upgraded.contains("version = \"2.0.0\""), "{upgraded}");
    assert_ne!(
        upgraded,
        answers.replace("version = \"1.0.0\"", "version = \"2.0.0\""),
        "the commit id moves too"
    );
    // Left for Renovate to commit: the files the upgrade changed.
    let status = git(&p, &["status", "--porcelain"]);
    assert!(
        status.contains(".goldpath.toml") && status.contains("ci/pipeline.yml"),
        "{status}"
    );
    assert_eq!(s.goldpath(&p, &["check"]).code, Some(0));
}
