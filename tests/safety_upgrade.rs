//! Issue #9, the upgrade's half: nothing lost, nothing escapes. Each test names the case of the
//! issue it guards: migrations that aimed at files the template never owned (1), an `--abort`
//! that deleted an ignored file (2), writes and reads through a symlinked folder (3), a process
//! killed between its writes and its commit (4), `--continue` committing files the upgrade never
//! wrote (5) and migrations aimed at the answers file (9).

use crate::harness::{edit_and_commit, git, last_message, read, snapshot, stages};
use crate::upgrade_edge::Edge;
use std::fs;
use std::path::Path;

fn ls_files(p: &Path) -> String {
    git(p, &["ls-files"])
}

fn show_head_files(p: &Path) -> String {
    git(p, &["show", "--name-only", "--format=", "HEAD"])
}

/// Case 1: `delete` acts only on a file the recorded version rendered and the user left as it
/// was. A git-ignored `.env`, a committed file of the user's and (with --allow-dirty) an
/// untracked one all stay, and the report says why; a rendered file the user changed is a
/// modify/delete conflict.
#[test]
fn a_migration_deletes_only_what_the_template_rendered_and_nobody_changed() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[
            (".gitignore", ".env\n"),
            ("old.txt", "template's\n"),
            ("edited.txt", "template's\n"),
        ],
    );
    let mut tail = String::new();
    for path in [".env", "mine.txt", "scratch.txt", "old.txt", "edited.txt"] {
        tail.push_str(&format!(
            "\n[[migrations]]\nversion = \"2.0.0\"\ndelete = \"{path}\"\n"
        ));
    }
    e.release("2.0.0", &tail, &[(".gitignore", ".env\n")]);
    let p = e.project();
    edit_and_commit(&p, |p| {
        fs::write(p.join("mine.txt"), "the user's own\n").unwrap();
        fs::write(p.join("edited.txt"), "edited\n").unwrap();
    });
    fs::write(p.join(".env"), "TOKEN=never-committed\n").unwrap();
    fs::write(p.join("scratch.txt"), "untracked\n").unwrap();

    let out = e.upgrade(&p, &["--allow-dirty"], 1);
    let report = out.stdout;
    assert_eq!(read(p.join(".env")), "TOKEN=never-committed\n");
    assert_eq!(read(p.join("mine.txt")), "the user's own\n");
    assert_eq!(read(p.join("scratch.txt")), "untracked\n");
    assert_eq!(read(p.join("edited.txt")), "edited\n");
    assert!(!p.join("old.txt").exists(), "{report}");
    for line in [
        "= .env  kept: the template never made this file, so it is yours",
        "= mine.txt  kept: the template never made this file, so it is yours",
        "= scratch.txt  kept: the template never made this file, so it is yours",
        "D old.txt  removed by the template (you had not changed it)",
        "C edited.txt  CONFLICT: modified by you, deleted by the template",
    ] {
        assert!(report.contains(line), "{line}\n{report}");
    }
    assert!(!report.contains("deleted .env"), "{report}");
    assert!(report.contains("deleted old.txt"), "{report}");
}

/// Case 1, without --allow-dirty and with a clean upgrade: the same rule, and the commit lists
/// what was left alone.
#[test]
fn a_migration_never_removes_an_ignored_file_even_when_it_matches_the_template() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[(".gitignore", "local.env\n"), ("a.txt", "a\n")],
    );
    e.release(
        "2.0.0",
        "\n[[migrations]]\nversion = \"2.0.0\"\ndelete = \"local.env\"\n",
        &[(".gitignore", "local.env\n"), ("a.txt", "a2\n")],
    );
    let p = e.project();
    fs::write(p.join("local.env"), "SECRET=1\n").unwrap();
    let out = e.upgrade(&p, &[], 0);
    assert!(out.stdout.contains("= local.env  kept"), "{}", out.stdout);
    assert_eq!(read(p.join("local.env")), "SECRET=1\n");
    assert!(
        last_message(&p).contains("Left alone"),
        "{}",
        last_message(&p)
    );
    assert!(!show_head_files(&p).contains("local.env"));
}

/// Case 2: a new template file where the user has an ignored file. The user's file is never
/// written over; `--abort` leaves it exactly as it was; `--continue` keeps it (and leaves the
/// template's out), or writes the template's once the user moved theirs away.
#[test]
fn an_ignored_file_in_the_templates_way_is_never_written_over_or_removed() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "a\n")]);
    e.release(
        "2.0.0",
        "",
        &[("a.txt", "a2\n"), ("local.env", "PORT=8080\n")],
    );
    let p = e.project();
    // Ignored by the user's own rules (a `.gitignore` in the template would keep the bundle's
    // repository from committing its own local.env).
    fs::write(p.join(".git/info/exclude"), "local.env\n").unwrap();
    let mine = "PASSWORD=hunter2\n";
    fs::write(p.join("local.env"), mine).unwrap();
    let before = snapshot(&p);

    let out = e.upgrade(&p, &[], 1);
    assert!(
        out.stdout
            .contains("C local.env  CONFLICT: the template adds it; yours is not tracked by git"),
        "{}",
        out.stdout
    );
    assert_eq!(read(p.join("local.env")), mine);
    // Only the template's side is in the index: the user's secret is not in git's objects.
    assert_eq!(stages(&p, "local.env").len(), 1);
    assert_eq!(stages(&p, "local.env")[0].1, 3);
    let out = e.goldpath(&p, &["upgrade", "--abort"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(
        snapshot(&p),
        before,
        "--abort restored exactly what was there"
    );
    assert_eq!(git(&p, &["status", "--porcelain"]), "");

    // Kept: --continue leaves the user's file and commits the rest without it.
    e.upgrade(&p, &[], 1);
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(read(p.join("local.env")), mine);
    assert!(!ls_files(&p).contains("local.env"));
    assert_eq!(read(p.join("a.txt")), "a2\n");
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[test]
fn continue_writes_the_templates_file_once_the_user_moved_theirs_away() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "a\n")]);
    e.release(
        "2.0.0",
        "",
        &[("a.txt", "a2\n"), ("notes.md", "template notes\n")],
    );
    let p = e.project();
    // Untracked, with --allow-dirty the file is the user's all the same.
    fs::write(p.join("notes.md"), "my notes\n").unwrap();
    e.upgrade(&p, &["--allow-dirty"], 1);
    assert_eq!(read(p.join("notes.md")), "my notes\n");
    fs::rename(p.join("notes.md"), p.join("my-notes.md")).unwrap();
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(read(p.join("notes.md")), "template notes\n");
    assert_eq!(read(p.join("my-notes.md")), "my notes\n");
}

/// Case 3: a committed symlink `sub -> outside` where the template has `sub/a.txt`. Upgrade
/// refuses before writing anything and names the link; check reports drift without reading
/// through it; diff refuses; the outside folder is untouched throughout.
#[cfg(unix)]
#[test]
fn nothing_goes_through_a_symlinked_folder() {
    let e = Edge::new();
    let files_v1: &[(&str, &str)] = &[("sub/a.txt", "a\n"), ("sub/b.txt", "b\n"), ("x", "x\n")];
    e.release("1.0.0", "\n[files]\nlocked = [\"sub/**\"]\n", files_v1);
    e.release(
        "2.0.0",
        "\n[files]\nlocked = [\"sub/**\"]\n",
        &[("sub/a.txt", "a2\n"), ("sub/c.txt", "c\n"), ("x", "x2\n")],
    );
    let p = e.project();
    let outside = e.ws.path("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("a.txt"), "OUTSIDE a\n").unwrap();
    fs::write(outside.join("b.txt"), "b\n").unwrap();
    edit_and_commit(&p, |p| {
        fs::remove_dir_all(p.join("sub")).unwrap();
        std::os::unix::fs::symlink(&outside, p.join("sub")).unwrap();
    });
    let outside_before = snapshot(&outside);
    let before = snapshot_no_follow(&p);

    let out = e.upgrade(&p, &[], 2);
    assert!(out.stderr.contains("symlink `sub`"), "{}", out.stderr);
    assert_eq!(snapshot(&outside), outside_before);
    assert_eq!(snapshot_no_follow(&p), before);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");

    let out = e.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stdout.contains("the symlink sub is in its place"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("OUTSIDE"), "{}", out.stdout);

    let out = e.goldpath(&p, &["diff"]);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(!out.stdout.contains("OUTSIDE"));
    assert!(out.stderr.contains("symlink `sub`"), "{}", out.stderr);
    assert_eq!(snapshot(&outside), outside_before);
}

/// Case 3, the file itself a symlink: not replaced, not followed.
#[cfg(unix)]
#[test]
fn a_symlink_in_place_of_a_template_file_is_refused_not_replaced() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("README.md", "v1\n")]);
    e.release("2.0.0", "", &[("README.md", "v2\n")]);
    let p = e.project();
    let outside = e.ws.path("outside.md");
    fs::write(&outside, "v1\n").unwrap();
    edit_and_commit(&p, |p| {
        fs::remove_file(p.join("README.md")).unwrap();
        std::os::unix::fs::symlink(&outside, p.join("README.md")).unwrap();
    });
    let out = e.upgrade(&p, &[], 2);
    assert!(out.stderr.contains("symlink `README.md`"), "{}", out.stderr);
    assert!(fs::symlink_metadata(p.join("README.md"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read(&outside), "v1\n");
    // The answers file as a link is refused by every command.
    let answers = e.ws.path("answers.toml");
    fs::rename(p.join(".goldpath.toml"), &answers).unwrap();
    std::os::unix::fs::symlink(&answers, p.join(".goldpath.toml")).unwrap();
    let out = e.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("symlink `.goldpath.toml`"),
        "{}",
        out.stderr
    );
}

/// Every entry of a folder, links as links (their target, not followed), outside `.git`.
fn snapshot_no_follow(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
        if e.path_is_symlink() {
            out.push((
                rel,
                format!("-> {}", fs::read_link(e.path()).unwrap().display()),
            ));
        } else if e.file_type().is_file() {
            out.push((
                rel,
                String::from_utf8_lossy(&fs::read(e.path()).unwrap()).into(),
            ));
        }
    }
    out
}

/// Case 5: what the user creates or stages while resolving conflicts stays out of the commit
/// `--continue` makes: an untracked `.env` stays untracked, a staged file stays staged.
#[test]
fn continue_commits_only_the_paths_the_upgrade_wrote() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "one\n"), ("b.txt", "b\n")]);
    e.release(
        "2.0.0",
        "",
        &[("a.txt", "two\n"), ("b.txt", "b2\n"), ("c.txt", "c\n")],
    );
    let p = e.project();
    edit_and_commit(&p, |p| fs::write(p.join("a.txt"), "mine\n").unwrap());
    e.upgrade(&p, &[], 1);
    fs::write(p.join("a.txt"), "resolved\n").unwrap();
    fs::write(p.join(".env"), "TOKEN=abc\n").unwrap();
    fs::write(p.join("other.txt"), "staged by the user\n").unwrap();
    git(&p, &["add", "other.txt"]);
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(
        show_head_files(&p),
        ".goldpath.toml\na.txt\nb.txt\nc.txt\n",
        "the upgrade's commit holds only its own paths"
    );
    assert_eq!(
        git(&p, &["status", "--porcelain"]),
        "A  other.txt\n?? .env\n"
    );
}

/// Case 9: migrations aimed at the answers file are refused when the manifest loads, naming the
/// file and the migration.
#[test]
fn migrations_aimed_at_the_answers_file_are_refused() {
    for migration in [
        "delete = \".goldpath.toml\"",
        "rename = { from = \".goldpath.toml\", to = \"x.toml\" }",
        "rename = { from = \"x.toml\", to = \".goldpath.toml\" }",
        "delete = \".GOLDPATH.toml\"",
    ] {
        let e = Edge::new();
        e.release("1.0.0", "", &[("a.txt", "a\n")]);
        let p = e.project();
        let tail = format!("\n[[migrations]]\nversion = \"2.0.0\"\n{migration}\n");
        e.release("2.0.0", &tail, &[("a.txt", "a2\n")]);
        let before = snapshot(&p);
        let out = e.upgrade(&p, &[], 2);
        let err = out.stderr;
        assert!(err.contains("bundle.toml"), "{migration}: {err}");
        assert!(err.contains("migrations[0]"), "{migration}: {err}");
        assert!(err.contains("answers file"), "{migration}: {err}");
        assert_eq!(snapshot(&p), before);
    }
}

/// Case 4 at every write point (fault injection, test builds only): after the process dies, the
/// project is in the old state or the new one, or `goldpath upgrade --abort` puts it back; the
/// upgrade then runs again. A kill after the last file write and before the commit finishes by
/// committing: the state the issue found (everything staged, HEAD unchanged) cannot remain.
#[cfg(feature = "fault-injection")]
#[test]
fn a_kill_at_any_write_of_upgrade_continue_or_abort_is_recoverable() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[
            ("a.txt", "one\ntwo\n"),
            ("b.txt", "b\n"),
            ("gone.txt", "g\n"),
        ],
    );
    e.release(
        "2.0.0",
        "",
        &[
            ("a.txt", "one\nTWO\n"),
            ("b.txt", "b2\n"),
            ("new/c.txt", "c\n"),
        ],
    );
    let kill_at = |p: &Path, args: &[&str], n: usize| -> crate::harness::Outcome {
        e.ws.command(p, args)
            .env("GOLDPATH_FAULT_AFTER_WRITES", n.to_string())
            .run()
    };
    // A clean upgrade, killed at each write point, the last two after its commit.
    let mut points = 0;
    let mut after_commit = 0;
    for n in 0.. {
        let p = e.project_at(&format!("clean-{n}"));
        let before = snapshot(&p);
        let out = kill_at(&p, &["upgrade", "--defaults", "--no-input"], n);
        if out.is_success() {
            break;
        }
        points += 1;
        let abort = e.goldpath(&p, &["upgrade", "--abort"]);
        assert!(abort.is_success(), "write {n}: {}", abort.stderr);
        if abort
            .stdout
            .contains("Nothing to abort: the upgrade was committed")
        {
            // Killed after its commit landed: the index is brought up to HEAD, and the
            // message says how to undo it rather than claiming an abort.
            after_commit += 1;
            assert!(abort.stdout.contains("git revert HEAD"), "{}", abort.stdout);
            assert!(last_message(&p).starts_with("Upgrade edge 1.0.0 -> 2.0.0"));
        } else {
            assert_eq!(snapshot(&p), before, "write {n}");
            assert_eq!(git(&p, &["status", "--porcelain"]), "", "write {n}");
            e.upgrade(&p, &[], 0);
        }
        assert_eq!(git(&p, &["status", "--porcelain"]), "", "write {n}");
        assert_eq!(read(p.join("a.txt")), "one\nTWO\n");
        // The killed step left no way around the commit: re-running after the kill commits.
        let q = e.project_at(&format!("rerun-{n}"));
        kill_at(&q, &["upgrade", "--defaults", "--no-input"], n);
        let again = e.goldpath(&q, &["upgrade", "--defaults", "--no-input"]);
        if again.is_success() {
            assert_eq!(read(q.join("a.txt")), "one\nTWO\n", "write {n}");
            assert_eq!(git(&q, &["status", "--porcelain"]), "", "write {n}");
        } else {
            assert!(
                again.stderr.contains("goldpath upgrade --abort"),
                "{}",
                again.stderr
            );
        }
    }
    assert!(points >= 5, "{points}");
    assert_eq!(
        after_commit, 2,
        "the points between the commit, the index and the journal"
    );

    // An upgrade stopped on a conflict, then --continue and --abort killed at each write.
    for step in ["--continue", "--abort"] {
        for n in 0.. {
            let p = e.project_at(&format!("conflict{step}-{n}"));
            edit_and_commit(&p, |p| fs::write(p.join("a.txt"), "one\nmine\n").unwrap());
            let before = snapshot(&p);
            e.upgrade(&p, &[], 1);
            fs::write(p.join("a.txt"), "one\nresolved\n").unwrap();
            let out = kill_at(&p, &["upgrade", step], n);
            if out.is_success() {
                break;
            }
            // Re-running the same step finishes it.
            let again = e.goldpath(&p, &["upgrade", step]);
            assert!(again.is_success(), "{step} at {n}: {}", again.stderr);
            assert_eq!(git(&p, &["status", "--porcelain"]), "", "{step} at {n}");
            if step == "--abort" {
                assert_eq!(snapshot(&p), before, "{step} at {n}");
            } else {
                assert_eq!(read(p.join("a.txt")), "one\nresolved\n");
                assert!(last_message(&p).starts_with("Upgrade edge 1.0.0 -> 2.0.0"));
            }
        }
    }
}

/// Case 3 at a deeper level: `a/b` a link in a template folder `a/`. The upgrade is refused
/// naming `a/b`, and nothing is created, written or removed in what it points at.
#[cfg(unix)]
#[test]
fn a_symlink_deeper_in_a_path_is_refused_too() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a/b/c.txt", "c\n"), ("a/top.txt", "t\n")]);
    e.release(
        "2.0.0",
        "",
        &[
            ("a/b/c.txt", "c2\n"),
            ("a/b/new.txt", "n\n"),
            ("a/top.txt", "t2\n"),
        ],
    );
    let p = e.project();
    let outside = e.ws.path("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("c.txt"), "c\n").unwrap();
    edit_and_commit(&p, |p| {
        fs::remove_dir_all(p.join("a/b")).unwrap();
        std::os::unix::fs::symlink(&outside, p.join("a/b")).unwrap();
    });
    let before = snapshot_no_follow(&p);
    let out = e.upgrade(&p, &[], 2);
    assert!(out.stderr.contains("symlink `a/b`"), "{}", out.stderr);
    assert_eq!(snapshot(&outside), [("c.txt".to_string(), b"c\n".to_vec())]);
    assert_eq!(snapshot_no_follow(&p), before);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

/// The suite's "kept byte for byte": a non-UTF-8 (Latin-1) file the user edited is merged with
/// the template's change without re-encoding a byte; a CRLF file with a BOM and no final newline,
/// and a binary file, that the template does not change are left exactly as they are.
#[test]
fn files_of_every_encoding_keep_every_byte_through_an_upgrade() {
    let e = Edge::new();
    let latin1 = |s: &str| -> Vec<u8> { s.chars().map(|c| c as u32 as u8).collect() };
    let text = |first: &str, last: &str| {
        latin1(&format!("café {first}\ntwo\nnaïve three\nfour\nü {last}\n"))
    };
    let (v1, v2) = (text("one", "five"), text("one", "FIVE"));
    let (mine, merged) = (text("ONE", "five"), text("ONE", "FIVE"));
    let write = |bytes: Vec<u8>| move |t: &Path| fs::write(t.join("legacy.txt"), &bytes).unwrap();
    e.release_with("1.0.0", "", &[("a.txt", "a\n")], write(v1));
    e.release_with("2.0.0", "", &[("a.txt", "a2\n")], write(v2));
    let p = e.project();
    let crlf = b"\xef\xbb\xbfone\r\ntwo".to_vec();
    let binary = b"\x00\x01\xfe\xffbinary\x00".to_vec();
    edit_and_commit(&p, |p| {
        fs::write(p.join("legacy.txt"), &mine).unwrap();
        fs::write(p.join("notes.txt"), &crlf).unwrap();
        fs::write(p.join("blob.bin"), &binary).unwrap();
    });
    e.upgrade(&p, &[], 0);
    assert_eq!(fs::read(p.join("legacy.txt")).unwrap(), merged);
    assert_eq!(fs::read(p.join("notes.txt")).unwrap(), crlf);
    assert_eq!(fs::read(p.join("blob.bin")).unwrap(), binary);
    assert_eq!(read(p.join("a.txt")), "a2\n");
}

/// A kill while git's index was being written leaves `.git/index.lock`. The next goldpath
/// command's recovery removes the lock the killed step made (it is at least as new as the
/// step's journal), so one command restores; a lock older than the step is another process's,
/// stays, and the error says how to get past it.
#[cfg(feature = "fault-injection")]
#[test]
fn a_lock_left_by_a_killed_step_is_cleared_and_another_ones_is_named() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "one\n")]);
    e.release("2.0.0", "", &[("a.txt", "two\n"), ("b.txt", "b\n")]);
    let killed = |name: &str| {
        let p = e.project_at(name);
        let out =
            e.ws.command(&p, &["upgrade", "--defaults", "--no-input"])
                .env("GOLDPATH_FAULT_AFTER_WRITES", "1")
                .run();
        assert!(!out.is_success());
        p
    };
    let before = snapshot(&e.project_at("fresh"));

    // The killed step's own lock: cleared by the recovery.
    let p = killed("ours");
    fs::write(p.join(".git/index.lock"), "half an index").unwrap();
    let abort = e.goldpath(&p, &["upgrade", "--abort"]);
    assert!(abort.is_success(), "{}", abort.stderr);
    assert!(!p.join(".git/index.lock").exists());
    assert_eq!(snapshot(&p), before);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");

    // A lock from before the step: somebody else's, kept, and named in the error.
    let p = killed("theirs");
    fs::write(p.join(".git/index.lock"), "another process").unwrap();
    let ok = std::process::Command::new("touch")
        .args(["-d", "1 hour ago"])
        .arg(p.join(".git/index.lock"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let abort = e.goldpath(&p, &["upgrade", "--abort"]);
    assert_eq!(abort.code, Some(2), "{}", abort.stderr);
    assert!(
        abort.stderr.contains("rm .git/index.lock"),
        "{}",
        abort.stderr
    );
    assert_eq!(read(p.join(".git/index.lock")), "another process");
    fs::remove_file(p.join(".git/index.lock")).unwrap();
    let abort = e.goldpath(&p, &["upgrade", "--abort"]);
    assert!(abort.is_success(), "{}", abort.stderr);
    assert_eq!(snapshot(&p), before);
}

/// An upgrade cut off after its journal but before its first write left nothing to undo: the
/// next `upgrade` says so and runs. Once the user changed a file the journal names, it is no
/// longer sure nothing was written, so it asks for `--abort` and keeps the change.
#[cfg(feature = "fault-injection")]
#[test]
fn an_upgrade_cut_off_before_its_first_write_just_runs_again() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "one\n")]);
    e.release("2.0.0", "", &[("a.txt", "two\n"), ("b.txt", "b\n")]);
    let cut_off = |name: &str| {
        let p = e.project_at(name);
        let out =
            e.ws.command(&p, &["upgrade", "--defaults", "--no-input"])
                .env("GOLDPATH_FAULT_AFTER_WRITES", "0")
                .run();
        assert!(!out.is_success());
        p
    };
    let p = cut_off("untouched");
    let out = e.upgrade(&p, &[], 0);
    assert!(
        out.stdout
            .contains("Recovered: an interrupted upgrade had written nothing."),
        "{}",
        out.stdout
    );
    assert_eq!(read(p.join("a.txt")), "two\n");
    assert_eq!(git(&p, &["status", "--porcelain"]), "");

    let p = cut_off("edited");
    fs::write(p.join("a.txt"), "mine\n").unwrap();
    let out = e.upgrade(&p, &[], 2);
    assert!(
        out.stderr.contains("goldpath upgrade --abort"),
        "{}",
        out.stderr
    );
    assert_eq!(read(p.join("a.txt")), "mine\n");
}
