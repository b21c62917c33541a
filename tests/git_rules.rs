//! goldpath's commits follow the user's git (issue #11): git's configuration environment
//! (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM`, `GIT_CONFIG_NOSYSTEM`) for the branch and the
//! author, `commit.gpgsign` with a real gpg key and a real ssh key (checked by `git
//! verify-commit`), and the repository's hooks (`pre-commit`, `commit-msg`, `post-commit`)
//! unless `--no-verify`. Also what the upgrade's commit message lists for each kind of change.

use crate::harness::{
    bundles, edit_and_commit, git, last_message, read, write, Goldpath, Workspace,
};
use crate::upgrade_edge::Edge;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `git ARGS` in `dir` with the git config file `config` as the global one; returns stdout,
/// asserting success.
#[track_caller]
fn git_with(dir: &Path, config: &Path, env: &[(&str, &Path)], args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", config)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr)
}

/// Requires a tool the signing tests use (Debian's `gnupg`, `openssh-client`).
fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is not installed; the signing tests need it (apt-get install gnupg openssh-client)"
    );
}

/// `goldpath new BUNDLE FOLDER --from FROM --defaults --no-input EXTRA...` in `dir`, to be run.
fn new_in(
    ws: &Workspace,
    dir: &Path,
    bundle: &str,
    folder: &str,
    from: &str,
    extra: &[&str],
) -> Goldpath {
    let mut args = vec![
        "new",
        bundle,
        folder,
        "--from",
        from,
        "--defaults",
        "--no-input",
    ];
    args.extend_from_slice(extra);
    ws.command(dir, &args)
}

/// An executable script at `path`.
fn script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// git's configuration environment

#[test]
fn new_takes_branch_and_author_from_the_file_git_config_global_names() {
    let ws = Workspace::new();
    // Not `$HOME/.gitconfig`: a file only GIT_CONFIG_GLOBAL names, as CI systems set it.
    let config = ws.path("ci.gitconfig");
    std::fs::write(
        &config,
        "[init]\n\tdefaultBranch = trunk\n[user]\n\tname = Grace Hopper\n\temail = grace@example.com\n",
    )
    .unwrap();
    new_in(&ws, ws.root(), "minimal", "svc", &bundles(), &[])
        .env("GIT_CONFIG_GLOBAL", &config)
        .success();
    let p = ws.path("svc");
    assert_eq!(git(&p, &["symbolic-ref", "HEAD"]), "refs/heads/trunk\n");
    assert_eq!(
        git(&p, &["log", "-1", "--format=%an <%ae>|%cn <%ce>"]),
        "Grace Hopper <grace@example.com>|Grace Hopper <grace@example.com>\n"
    );
    assert_eq!(git(&p, &["status", "--porcelain"]), "");

    // GIT_CONFIG_COUNT/KEY/VALUE (as CI jobs set them) win over the files.
    new_in(&ws, ws.root(), "minimal", "job", &bundles(), &[])
        .env("GIT_CONFIG_GLOBAL", &config)
        .env("GIT_CONFIG_COUNT", "2")
        .env("GIT_CONFIG_KEY_0", "init.defaultBranch")
        .env("GIT_CONFIG_VALUE_0", "release")
        .env("GIT_CONFIG_KEY_1", "user.name")
        .env("GIT_CONFIG_VALUE_1", "CI \"Job\" Bot")
        .success();
    let p = ws.path("job");
    assert_eq!(git(&p, &["symbolic-ref", "HEAD"]), "refs/heads/release\n");
    assert_eq!(
        git(&p, &["log", "-1", "--format=%an <%ae>"]),
        "CI \"Job\" Bot <grace@example.com>\n"
    );
    // A count without its entries is an error that names the missing variable.
    new_in(&ws, ws.root(), "minimal", "bad", &bundles(), &[])
        .env("GIT_CONFIG_COUNT", "1")
        .code(2)
        .stderr_contains("GIT_CONFIG_KEY_0 is missing");
    assert!(!ws.path("bad").exists());
}

#[test]
fn the_system_file_counts_unless_git_config_nosystem() {
    let ws = Workspace::new();
    let system = ws.path("system.gitconfig");
    std::fs::write(
        &system,
        "[init]\n\tdefaultBranch = develop\n[user]\n\tname = System Wide\n\temail = it@example.com\n",
    )
    .unwrap();
    let new = |dir: &str, nosystem: &str| {
        new_in(&ws, ws.root(), "minimal", dir, &bundles(), &[])
            .env("GIT_CONFIG_SYSTEM", &system)
            .env("GIT_CONFIG_NOSYSTEM", nosystem)
            .success();
        let p = ws.path(dir);
        (
            git(&p, &["symbolic-ref", "--short", "HEAD"]),
            git(&p, &["log", "-1", "--format=%an"]),
        )
    };
    assert_eq!(
        new("with", "0"),
        ("develop\n".into(), "System Wide\n".into())
    );
    assert_eq!(new("without", "1"), ("main\n".into(), "goldpath\n".into()));
}

// ---------------------------------------------------------------------------------------------
// Signing

/// A gpg home with a signing key (no passphrase) for `Signer <signer@example.com>`. Its agent is
/// stopped when dropped.
struct GpgHome {
    dir: tempfile::TempDir,
}

impl GpgHome {
    fn new() -> GpgHome {
        require("gpg");
        // Short: the agent's socket path must fit in a sockaddr_un.
        let dir = tempfile::Builder::new()
            .prefix("gp")
            .tempdir_in("/tmp")
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let out = Command::new("gpg")
            .args([
                "--batch",
                "--passphrase",
                "",
                "--quick-gen-key",
                "Signer <signer@example.com>",
                "ed25519",
                "sign",
                "never",
            ])
            .env("GNUPGHOME", dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        GpgHome { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.dir.path())
            .output();
    }
}

#[test]
fn new_signs_its_commit_with_the_users_gpg_key_when_commit_gpgsign_is_set() {
    let gpg = GpgHome::new();
    let ws = Workspace::new();
    for (key, value) in [
        ("user.name", "Signer"),
        ("user.email", "signer@example.com"),
        ("commit.gpgsign", "true"),
    ] {
        ws.home().git_config(key, value);
    }
    new_in(&ws, ws.root(), "minimal", "svc", &bundles(), &[])
        .env("GNUPGHOME", gpg.path())
        .success();
    let p = ws.path("svc");
    let shown = git_with(
        &p,
        &ws.home().gitconfig(),
        &[("GNUPGHOME", gpg.path())],
        &["log", "-1", "--show-signature"],
    );
    assert!(
        shown.contains("Good signature from \"Signer <signer@example.com>\""),
        "{shown}"
    );
    git_with(
        &p,
        &ws.home().gitconfig(),
        &[("GNUPGHOME", gpg.path())],
        &["verify-commit", "HEAD"],
    );
    git(&p, &["fsck", "--strict"]);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");

    // A key gpg does not have: no project, and gpg's own words.
    ws.home()
        .git_config("user.signingkey", "nobody@example.com");
    let out = new_in(&ws, ws.root(), "minimal", "svc2", &bundles(), &[])
        .env("GNUPGHOME", gpg.path())
        .code(2);
    out.stderr_contains("signing the commit with gpg (commit.gpgsign is set)")
        .stderr_contains("No secret key");
    assert!(!ws.path("svc2").exists());
}

/// An ed25519 key made with `ssh-keygen -N ''` at `dir/id`, and an allowed-signers file for it.
fn ssh_key(dir: &Path) -> (PathBuf, PathBuf) {
    require("ssh-keygen");
    let key = dir.join("id");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "signer", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(dir.join("id.pub")).unwrap();
    let allowed = dir.join("allowed_signers");
    std::fs::write(&allowed, format!("signer@example.com {public}")).unwrap();
    (key, allowed)
}

#[test]
fn upgrade_signs_its_commit_with_the_users_ssh_key() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "one\n")]);
    e.release("2.0.0", "", &[("a.txt", "two\n")]);
    let p = e.project();
    let (key, allowed) = ssh_key(e.ws.root());
    let home = e.ws.home();
    for (k, v) in [
        ("user.name", "Signer"),
        ("user.email", "signer@example.com"),
        ("commit.gpgsign", "true"),
        ("gpg.format", "ssh"),
        ("user.signingkey", key.to_str().unwrap()),
        ("gpg.ssh.allowedSignersFile", allowed.to_str().unwrap()),
    ] {
        home.git_config(k, v);
    }
    e.upgrade(&p, &[], 0);
    let config = home.gitconfig();
    let shown = git_with(&p, &config, &[], &["log", "-1", "--show-signature"]);
    assert!(
        shown.contains("Good \"git\" signature for signer@example.com with ED25519 key"),
        "{shown}"
    );
    git_with(&p, &config, &[], &["verify-commit", "HEAD"]);
    // The first commit was made before signing was configured: git sees it unsigned.
    let first = Command::new("git")
        .args(["verify-commit", "HEAD~1"])
        .current_dir(&p)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", &config)
        .status()
        .unwrap();
    assert!(!first.success());
    git(&p, &["fsck", "--strict"]);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    assert_eq!(read(p.join("a.txt")), "two\n");
}

// ---------------------------------------------------------------------------------------------
// Hooks

#[test]
fn new_runs_the_hooks_core_hooks_path_names_and_a_refusal_leaves_the_project_staged() {
    let ws = Workspace::new();
    let hooks = ws.path("team-hooks");
    let log = ws.path("hooks.log");
    script(
        &hooks.join("pre-commit"),
        &format!(
            "echo \"pre-commit $(git diff --cached --name-only | tr '\\n' ' ')\" >> {log}\n\
             if [ -e \"{stop}\" ]; then echo 'lint: TODO left in README.md' >&2; exit 1; fi\n",
            log = log.display(),
            stop = ws.path("stop").display()
        ),
    );
    script(
        &hooks.join("commit-msg"),
        "printf '\\nReviewed-by: hook\\n' >> \"$1\"\n",
    );
    script(
        &hooks.join("post-commit"),
        &format!("echo post-commit >> {}\n", log.display()),
    );
    ws.home()
        .git_config("core.hooksPath", hooks.to_str().unwrap());
    let from = bundles();
    let new = |dir: &str, extra: &[&str]| new_in(&ws, ws.root(), "minimal", dir, &from, extra);

    new("svc", &[]).success();
    let p = ws.path("svc");
    assert!(
        last_message(&p).contains("\n\nReviewed-by: hook\n"),
        "{}",
        last_message(&p)
    );
    let logged = read(&log);
    assert!(logged.starts_with("pre-commit .goldpath.toml "), "{logged}");
    assert!(logged.ends_with("post-commit\n"), "{logged}");
    assert_eq!(git(&p, &["status", "--porcelain"]), "");

    // --no-verify: neither pre-commit nor commit-msg runs (post-commit is not a check).
    std::fs::write(&log, "").unwrap();
    new("quiet", &["--no-verify"]).success();
    assert!(!last_message(&ws.path("quiet")).contains("Reviewed-by"));
    assert!(!read(&log).contains("pre-commit"), "{}", read(&log));

    // A refusal: its words shown, the project written and staged, no commit; the command the
    // error gives commits it once the hook passes.
    std::fs::write(ws.path("stop"), "").unwrap();
    let out = new("refused", &[]).code(2);
    out.stderr_contains("the pre-commit hook refused the commit")
        .stderr_contains("lint: TODO left in README.md")
        .stderr_contains("the files are written and staged");
    let r = ws.path("refused");
    assert!(r.join(".goldpath.toml").is_file());
    let staged = git(&r, &["diff", "--cached", "--name-only"]);
    assert!(staged.contains(".goldpath.toml"), "{staged}");
    let no_head = Command::new("git")
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .current_dir(&r)
        .status()
        .unwrap();
    assert!(!no_head.success());
    out.stderr_contains("`cd refused && git commit -F .git/COMMIT_EDITMSG`");
    std::fs::remove_file(ws.path("stop")).unwrap();
    git_with(
        &r,
        &ws.home().gitconfig(),
        &[],
        &[
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=d@example.com",
            "commit",
            "-q",
            "-F",
            ".git/COMMIT_EDITMSG",
        ],
    );
    assert!(last_message(&r).starts_with("Create refused from golden path minimal"));
    assert_eq!(git(&r, &["status", "--porcelain"]), "");
}

#[test]
fn upgrade_runs_the_repositorys_hooks_on_exactly_what_it_commits() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "one\n"), ("b.txt", "b\n")]);
    e.release("2.0.0", "", &[("a.txt", "two\n"), ("b.txt", "b\n")]);
    let p = e.project();
    let log = e.ws.path("hooks.log");
    let stop = e.ws.path("stop");
    script(
        &p.join(".git/hooks/pre-commit"),
        &format!(
            "git diff --cached --name-only >> {log}\n\
             if [ -e \"{stop}\" ]; then echo 'refused by policy' >&2; exit 1; fi\n",
            log = log.display(),
            stop = stop.display()
        ),
    );
    std::fs::write(&stop, "").unwrap();
    let out = e.upgrade(&p, &[], 2);
    out.stderr_contains("the pre-commit hook refused the commit")
        .stderr_contains("refused by policy")
        .stderr_contains("`git commit -F .git/COMMIT_EDITMSG -- .`");
    assert_eq!(read(&log), ".goldpath.toml\na.txt\n");
    assert_eq!(read(p.join("a.txt")), "two\n");
    assert!(last_message(&p).starts_with("Create orders"));
    // Written and staged: the hint's command commits it once the hook passes.
    assert_eq!(
        git(&p, &["diff", "--cached", "--name-only"]),
        ".goldpath.toml\na.txt\n"
    );
    std::fs::remove_file(&stop).unwrap();
    git(
        &p,
        &[
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=d@example.com",
            "commit",
            "-q",
            "-F",
            ".git/COMMIT_EDITMSG",
            "--",
            ".",
        ],
    );
    assert!(last_message(&p).starts_with("Upgrade edge 1.0.0 -> 2.0.0"));
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    e.ws.command(&p, &["check"]).code(0);
}

#[test]
fn upgrade_no_verify_skips_a_refusing_hook() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "one\n")]);
    e.release("2.0.0", "", &[("a.txt", "two\n")]);
    let p = e.project();
    script(&p.join(".git/hooks/pre-commit"), "exit 1\n");
    script(&p.join(".git/hooks/commit-msg"), "exit 1\n");
    e.upgrade(&p, &["--no-verify"], 0);
    assert!(last_message(&p).starts_with("Upgrade edge 1.0.0 -> 2.0.0"));
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

// ---------------------------------------------------------------------------------------------
// The upgrade's commit message, one kind of change each

/// The commit message of an upgrade from 1.0.0 (`old`) to 2.0.0 (`new`, with `tail` in its
/// manifest), after `edit` was committed on the project.
fn upgrade_message(
    old: &[(&str, &str)],
    tail: &str,
    new: &[(&str, &str)],
    edit: impl FnOnce(&Path),
) -> String {
    let e = Edge::new();
    e.release("1.0.0", "", old);
    e.release("2.0.0", tail, new);
    let p = e.project();
    edit_and_commit(&p, edit);
    e.upgrade(&p, &[], 0);
    last_message(&p)
}

const TEXT: &str = "one\ntwo\nthree\nfour\nfive\nsix\n";

#[test]
fn message_names_a_file_new_in_the_template_as_added() {
    let message = upgrade_message(
        &[("a.txt", "a\n")],
        "",
        &[("a.txt", "a\n"), ("new/b.txt", "b\n")],
        |p| write(p, &[("mine.txt", "x\n")]),
    );
    crate::assert_text_snapshot!("message_added", message);
}

#[test]
fn message_names_a_changed_file_as_updated() {
    let message = upgrade_message(&[("a.txt", "a\n")], "", &[("a.txt", "a2\n")], |p| {
        write(p, &[("mine.txt", "x\n")])
    });
    crate::assert_text_snapshot!("message_updated", message);
}

#[test]
fn message_names_a_merged_file() {
    let message = upgrade_message(
        &[("a.txt", TEXT)],
        "",
        &[("a.txt", &TEXT.replace("one", "ONE"))],
        |p| write(p, &[("a.txt", &TEXT.replace("six", "SIX"))]),
    );
    crate::assert_text_snapshot!("message_merged", message);
}

#[test]
fn message_names_a_renamed_file_with_both_paths() {
    let message = upgrade_message(
        &[("alerts/rules.yaml", TEXT)],
        "[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts\", to = \"monitoring\" }\n",
        &[("monitoring/rules.yaml", TEXT)],
        |p| write(p, &[("mine.txt", "x\n")]),
    );
    crate::assert_text_snapshot!("message_renamed", message);
}

#[test]
fn message_names_a_removed_file() {
    let message = upgrade_message(
        &[("a.txt", "a\n"), ("old.txt", "old\n")],
        "",
        &[("a.txt", "a\n")],
        |p| write(p, &[("mine.txt", "x\n")]),
    );
    crate::assert_text_snapshot!("message_removed", message);
}

#[test]
fn message_of_continue_names_the_conflicts_the_user_resolved() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", TEXT), ("b.txt", "b\n")]);
    e.release(
        "2.0.0",
        "",
        &[
            ("a.txt", &TEXT.replace("three", "THREE")),
            ("b.txt", "b2\n"),
        ],
    );
    let p = e.project();
    edit_and_commit(&p, |p| write(p, &[("a.txt", &TEXT.replace("three", "3"))]));
    e.upgrade(&p, &[], 1);
    write(&p, &[("a.txt", &TEXT.replace("three", "3 (THREE)"))]);
    e.upgrade(&p, &["--continue"], 0);
    crate::assert_text_snapshot!("message_resolved", last_message(&p));
}

// ---------------------------------------------------------------------------------------------
// Monorepos, and the pre-commit hook on what is being committed

/// `git ARGS` in `dir` as a developer runs it: the machine's config left out, the `goldpath`
/// under test first on PATH (for the pre-commit hook); returns whether it succeeded and what it
/// printed.
fn dev_git(dir: &Path, args: &[&str]) -> (bool, String) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_goldpath")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let out = Command::new("git")
        .args(["-c", "user.name=Dev", "-c", "user.email=d@example.com"])
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A repository `mono` with a README committed, for projects made inside it.
fn monorepo(ws: &Workspace) -> PathBuf {
    let mono = ws.path("mono");
    std::fs::create_dir_all(&mono).unwrap();
    git(&mono, &["init", "-q", "-b", "main"]);
    write(&mono, &[("README.md", "# mono\n")]);
    git(&mono, &["add", "README.md"]);
    assert!(dev_git(&mono, &["commit", "-qm", "start"]).0);
    mono
}

#[test]
fn new_inside_a_repository_adds_the_project_to_it_and_commits_only_its_files() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "a\n")]);
    let mono = monorepo(&e.ws);
    // The user's own staged work stays staged, out of goldpath's commit.
    write(&mono, &[("other.txt", "mine\n")]);
    git(&mono, &["add", "other.txt"]);
    let url = e.ws.bundle_repo("templates").url();
    let out = new_in(&e.ws, &mono, "edge", "services/a", &url, &[]).success();
    out.stdout_contains("added to the repository at");
    assert!(!mono.join("services/a/.git").exists());
    assert!(last_message(&mono).starts_with("Create a from golden path edge 1.0.0"));
    assert_eq!(
        git(&mono, &["show", "--name-only", "--format=", "HEAD"]),
        "services/a/.goldpath.toml\nservices/a/a.txt\n"
    );
    assert_eq!(git(&mono, &["status", "--porcelain"]), "A  other.txt\n");
    assert_eq!(git(&mono, &["rev-list", "--count", "HEAD"]), "2\n");

    // --no-commit: written and staged, not committed.
    new_in(&e.ws, &mono, "edge", "services/b", &url, &["--no-commit"])
        .success()
        .stdout_contains("staged in the repository at");
    assert!(!mono.join("services/b/.git").exists());
    assert_eq!(
        git(&mono, &["status", "--porcelain"]),
        "A  other.txt\nA  services/b/.goldpath.toml\nA  services/b/a.txt\n"
    );
    assert_eq!(git(&mono, &["rev-list", "--count", "HEAD"]), "2\n");
    // Each project upgrades and checks as one of a monorepo.
    e.ws.command(&mono.join("services/a"), &["check"]).code(0);

    // A folder the repository ignores is not part of it: the project gets its own repository.
    write(&mono, &[(".gitignore", "scratch/\n")]);
    new_in(&e.ws, &mono, "edge", "scratch/c", &url, &[])
        .success()
        .stdout_contains("first commit");
    assert!(mono.join("scratch/c/.git").is_dir());
    assert_eq!(git(&mono, &["rev-list", "--count", "HEAD"]), "2\n");
}

#[test]
fn the_hook_installed_from_a_subfolder_checks_the_staged_files_of_every_project_a_commit_touches() {
    let e = Edge::new();
    let tail = "[files]\nlocked = [\"ci/**\"]\n";
    e.release(
        "1.0.0",
        tail,
        &[
            ("ci/pipeline.yml", "steps: [test]\n"),
            ("README.md", "svc\n"),
        ],
    );
    let mono = monorepo(&e.ws);
    let url = e.ws.bundle_repo("templates").url();
    for svc in ["services/a", "services/b"] {
        new_in(&e.ws, &mono, "edge", svc, &url, &[]).success();
    }
    let a = mono.join("services/a");
    e.ws.command(&a, &["hooks", "install"]).success();
    assert!(mono.join(".git/hooks/pre-commit").is_file());
    assert!(!a.join(".git").exists());

    // A commit that touches no project passes.
    write(&mono, &[("README.md", "# mono, with docs\n")]);
    git(&mono, &["add", "README.md"]);
    let (ok, said) = dev_git(&mono, &["commit", "-qm", "docs"]);
    assert!(ok, "{said}");
    assert!(said.contains("No goldpath project is touched"), "{said}");

    // Unstaged drift does not block a commit that stages only the README; staged drift does.
    write(&a, &[("ci/pipeline.yml", "steps: [deploy]\n")]);
    write(&a, &[("README.md", "svc, documented\n")]);
    git(&a, &["add", "README.md"]);
    let (ok, said) = dev_git(&mono, &["commit", "-qm", "readme"]);
    assert!(ok, "unstaged drift blocked the commit: {said}");
    // `commit -a` commits it: git's temporary index (GIT_INDEX_FILE) is what the hook checks.
    let (ok, said) = dev_git(&mono, &["commit", "-qam", "all"]);
    assert!(!ok, "drift committed with -a: {said}");
    assert!(
        said.contains("ci/pipeline.yml is owned by the golden path"),
        "{said}"
    );
    git(&a, &["add", "ci/pipeline.yml"]);
    let (ok, said) = dev_git(&mono, &["commit", "-qm", "sneaky"]);
    assert!(!ok, "staged drift was committed: {said}");
    assert!(
        said.contains("ci/pipeline.yml is owned by the golden path"),
        "{said}"
    );

    // Drift staged in one project does not block a commit of the other alone.
    git(&a, &["reset", "-q", "ci/pipeline.yml"]);
    let b = mono.join("services/b");
    write(&b, &[("README.md", "b, documented\n")]);
    git(&b, &["add", "README.md"]);
    write(&b, &[("ci/pipeline.yml", "steps: [deploy]\n")]);
    let (ok, said) = dev_git(&mono, &["commit", "-qm", "b readme"]);
    assert!(ok, "{said}");
    // Both touched, one drifted: refused, and the drifted one is named.
    git(&b, &["add", "ci/pipeline.yml"]);
    write(&a, &[("README.md", "a again\n")]);
    git(&a, &["add", "README.md"]);
    let (ok, said) = dev_git(&mono, &["commit", "-qm", "both"]);
    assert!(!ok, "{said}");
    assert!(said.contains("services/b (staged)"), "{said}");
}

#[test]
fn a_hook_refusing_new_in_a_monorepo_leaves_the_project_staged_and_the_hint_commits_only_it() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "a\n")]);
    let mono = monorepo(&e.ws);
    write(&mono, &[("other.txt", "mine\n")]);
    git(&mono, &["add", "other.txt"]);
    let hook = mono.join(".git/hooks/pre-commit");
    script(&hook, "echo 'policy: not today' >&2\nexit 1\n");
    let url = e.ws.bundle_repo("templates").url();
    let out = new_in(&e.ws, &mono, "edge", "services/a", &url, &[]).code(2);
    out.stderr_contains("policy: not today");
    let hint = "`cd services/a && git commit -F ../../.git/COMMIT_EDITMSG -- .`";
    out.stderr_contains(hint);
    assert_eq!(
        git(&mono, &["status", "--porcelain"]),
        "A  other.txt\nA  services/a/.goldpath.toml\nA  services/a/a.txt\n"
    );
    assert_eq!(git(&mono, &["rev-list", "--count", "HEAD"]), "1\n");
    // The hook passes now; the hint's command, as given, commits the project alone.
    std::fs::remove_file(&hook).unwrap();
    let command = hint.trim_matches('`').replace(
        "git commit",
        "git -c user.name=Dev -c user.email=d@example.com commit -q",
    );
    let status = Command::new("sh")
        .args(["-c", &command])
        .current_dir(&mono)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success());
    assert!(last_message(&mono).starts_with("Create a from golden path edge 1.0.0"));
    assert_eq!(
        git(&mono, &["show", "--name-only", "--format=", "HEAD"]),
        "services/a/.goldpath.toml\nservices/a/a.txt\n"
    );
    assert_eq!(git(&mono, &["status", "--porcelain"]), "A  other.txt\n");
}

#[test]
fn hooks_install_from_a_subfolder_writes_where_core_hooks_path_points() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "a\n")]);
    let mono = monorepo(&e.ws);
    git(&mono, &["config", "core.hooksPath", ".githooks"]);
    let url = e.ws.bundle_repo("templates").url();
    new_in(&e.ws, &mono, "edge", "services/a", &url, &[]).success();
    let a = mono.join("services/a");
    e.ws.command(&a, &["hooks", "install"])
        .success()
        .stdout_contains(".githooks/pre-commit");
    assert!(read(mono.join(".githooks/pre-commit")).contains("goldpath check --staged"));
    assert!(!mono.join(".git/hooks/pre-commit").exists());
    assert!(!a.join(".githooks").exists());
    // git runs it: a commit touching the project is checked (and passes: no drift).
    write(&a, &[("notes.md", "n\n")]);
    git(&a, &["add", "notes.md"]);
    let (ok, said) = dev_git(&mono, &["commit", "-qm", "notes"]);
    assert!(ok, "{said}");
    assert!(said.contains("edge 1.0.0"), "{said}");
}
