//! `goldpath new`'s first commit is written alongside the work tree (issue #16), except when it
//! must wait for the files: hooks that come with the project (a relative `core.hooksPath`).
//! The commit, index and history of the usual case are checked in `new.rs` and `git_rules.rs`.

use crate::harness::{git, Workspace};

const MANIFEST: &str =
    "[bundle]\nname = \"hooked\"\nversion = \"1.0.0\"\ndescription = \"ships its hooks\"\n";

#[cfg(unix)]
#[test]
fn hooks_that_come_with_the_project_run_on_its_first_commit() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::new();
    ws.home().git_config("core.hooksPath", ".githooks");
    let repo = ws.bundle_repo("bundles");
    // The hook refuses while a `STOP` file is in the project, and leaves a mark either way.
    let hook = "#!/bin/sh\necho ran >> .git/hook-ran\nif [ -e STOP ]; then echo 'lint: STOP is here' >&2; exit 1; fi\n";
    repo.release(
        "v1.0.0",
        MANIFEST,
        &[(".githooks/pre-commit", hook), ("README.md", "hello\n")],
        |_| {},
    );
    repo.release(
        "v1.1.0",
        &MANIFEST.replace("1.0.0", "1.1.0"),
        &[
            (".githooks/pre-commit", hook),
            ("README.md", "hello\n"),
            ("STOP", ""),
        ],
        |template| {
            let p = template.join(".githooks/pre-commit");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        },
    );
    let url = repo.url();
    let new = |dir: &str, version: &str| {
        ws.command(
            ws.root(),
            &["new", "hooked", dir, "--from", &url, "--version", version],
        )
    };

    // 1.0.0's hook is not executable: git would not run it, and neither does goldpath.
    new("plain", "1.0.0").success();
    let plain = ws.path("plain");
    assert!(!plain.join(".git/hook-ran").exists());
    assert_eq!(git(&plain, &["status", "--porcelain"]), "");

    // 1.1.0's is, and it is found in the files just written: it runs before the commit and
    // its refusal leaves the project staged, uncommitted.
    let out = new("refused", "1.1.0").code(2);
    out.stderr_contains("the pre-commit hook refused the commit")
        .stderr_contains("lint: STOP is here");
    let refused = ws.path("refused");
    assert_eq!(
        std::fs::read_to_string(refused.join(".git/hook-ran")).unwrap(),
        "ran\n"
    );
    let staged = git(&refused, &["diff", "--cached", "--name-only"]);
    assert!(
        staged.contains("README.md") && staged.contains(".goldpath.toml"),
        "{staged}"
    );
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .current_dir(&refused)
        .output()
        .unwrap();
    assert!(!head.status.success(), "a commit was made");
    git(&refused, &["fsck", "--strict"]);
}
