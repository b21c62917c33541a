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

/// The template folder the user set for new repositories (`init.templateDir`, or
/// `GIT_TEMPLATE_DIR`) is copied in as `git init` copies it: teams install hooks in every new
/// repository that way, and those hooks run on the first commit as on every later one.
#[cfg(unix)]
#[test]
fn the_users_template_folder_is_copied_in_and_its_hooks_run_on_the_first_commit() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::new();
    let repo = ws.bundle_repo("bundles");
    repo.release("v1.0.0", MANIFEST, &[("README.md", "hello\n")], |_| {});
    let url = repo.url();
    let script = |path: &std::path::Path, body: &str| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let template = ws.path("git-template");
    script(
        &template.join("hooks/pre-commit"),
        "echo \"pre-commit $(git diff --cached --name-only | tr '\\n' ' ')\" >> .git/template-hooks\n",
    );
    script(
        &template.join("hooks/post-commit"),
        "echo post-commit >> .git/template-hooks\n",
    );
    std::fs::create_dir_all(template.join("info")).unwrap();
    std::fs::write(template.join("info/exclude"), "secrets.env\n").unwrap();
    std::fs::write(template.join("description"), "the team's template\n").unwrap();
    std::fs::write(template.join("config"), "[secrets]\n\tprovider = vault").unwrap();
    // A link at the top, where goldpath writes through folders, is not copied.
    let elsewhere = ws.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, template.join("logs")).unwrap();
    ws.home()
        .git_config("init.templateDir", template.to_str().unwrap());
    let new = |dir: &str| ws.command(ws.root(), &["new", "hooked", dir, "--from", &url]);

    new("svc").success();
    let svc = ws.path("svc");
    assert_eq!(
        std::fs::read_to_string(svc.join(".git/template-hooks")).unwrap(),
        "pre-commit .goldpath.toml README.md \npost-commit\n"
    );
    let hook = std::fs::metadata(svc.join(".git/hooks/pre-commit")).unwrap();
    assert_ne!(
        hook.permissions().mode() & 0o111,
        0,
        "the hook stays executable"
    );
    assert_eq!(
        std::fs::read_to_string(svc.join(".git/description")).unwrap(),
        "the team's template\n"
    );
    assert_eq!(git(&svc, &["config", "secrets.provider"]).trim(), "vault");
    assert_eq!(git(&svc, &["config", "core.bare"]).trim(), "false");
    assert!(svc.join(".git/logs").symlink_metadata().unwrap().is_dir());
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    // The template's `info/exclude` applies.
    std::fs::write(svc.join("secrets.env"), "TOKEN=x\n").unwrap();
    assert_eq!(git(&svc, &["status", "--porcelain"]), "");
    assert_eq!(git(&svc, &["rev-list", "--count", "HEAD"]).trim(), "1");
    git(&svc, &["fsck", "--strict"]);

    // `GIT_TEMPLATE_DIR` comes first, and empty it means no template, as for git.
    new("none").env("GIT_TEMPLATE_DIR", "").success();
    let none = ws.path("none");
    assert!(!none.join(".git/hooks").exists() && !none.join(".git/template-hooks").exists());
    assert_eq!(git(&none, &["status", "--porcelain"]), "");

    let strict = ws.path("strict-template");
    script(
        &strict.join("hooks/commit-msg"),
        "grep -q '^JIRA-' \"$1\" || { echo 'commit-msg: start with a JIRA key' >&2; exit 1; }\n",
    );
    let out = new("refused").env("GIT_TEMPLATE_DIR", &strict).code(2);
    out.stderr_contains("the commit-msg hook refused the commit")
        .stderr_contains("start with a JIRA key");
    let refused = ws.path("refused");
    assert!(refused.join(".git/hooks/commit-msg").is_file());
    let staged = git(&refused, &["diff", "--cached", "--name-only"]);
    assert!(staged.contains("README.md"), "{staged}");
}
