//! `goldpath upgrade` on real git repos: a bundle in a git repository with two version tags, a
//! project made from v1 and edited locally, then upgraded to v2.

use crate::harness::{
    edit_and_commit, git, index_stages, read, snapshot, write, BundleRepo, Workspace,
};
use std::fs;
use std::path::{Path, PathBuf};

pub const MANIFEST_V1: &str = r#"
[bundle]
name = "svc"
version = "1.0.0"
description = "test service"

[[questions]]
name = "service_name"
type = "string"
validation = { regex = "^[a-z][a-z0-9-]*$", message = "must be a DNS label" }

[[questions]]
name = "team"
type = "string"
default = "platform"

[files]
locked = ["ci/**"]
seed = ["src/**"]
"#;

pub const MANIFEST_V2: &str = r#"
[bundle]
name = "svc"
version = "2.0.0"
description = "test service"

[[questions]]
name = "service_name"
type = "string"
validation = { regex = "^[a-z][a-z0-9-]*$", message = "must be a DNS label" }

[[questions]]
name = "owner"
type = "string"
default = "platform"

[[questions]]
name = "min_replicas"
type = "int"
default = 3

[files]
locked = ["ci/**"]
seed = ["src/**"]

[[migrations]]
version = "2.0.0"
rename = { from = "alerts/rules.yaml", to = "alerts/slo-rules.yaml" }

[[migrations]]
version = "2.0.0"
rename_answer = { from = "team", to = "owner" }
"#;

pub const RULES_V1: &str = "groups:\n  - name: {{ service_name }}\n    rules:\n      - alert: HighErrorRate\n        expr: errors > 0.01\n        labels:\n          severity: page\n          team: {{ team }}\n        for: 2m\n";
pub const RULES_V2: &str = "groups:\n  - name: {{ service_name }}\n    rules:\n      - alert: HighErrorRate\n        expr: errors > 0.0144\n        labels:\n          severity: page\n          team: {{ owner }}\n        for: 2m\n";
pub const VALUES_V1: &str = "replicaCount: 2\nimage: ghcr.io/acme/{{ service_name }}\nautoscaling:\n  minReplicas: 2\n  maxReplicas: 10\n";
pub const VALUES_V2: &str = "replicaCount: 2\nimage: ghcr.io/acme/{{ service_name }}\nautoscaling:\n  minReplicas: {{ min_replicas }}\n  maxReplicas: 10\n";
pub const DOCKERFILE_V1: &str = "FROM rust:1.82-slim AS build\nRUN cargo build --release\n\nFROM gcr.io/distroless/cc-debian12:nonroot\nUSER nonroot\n";
pub const DOCKERFILE_V2: &str = "FROM rust:1.86-slim AS build\nRUN cargo build --release\n\nFROM gcr.io/distroless/cc-debian12:nonroot\nUSER nonroot\n";

/// The `svc` bundle of the upgrade and check tests: a repository `templates` in the workspace
/// with tags v1.0.0 and v2.0.0; returns its URL.
pub fn svc_bundle(s: &Workspace) -> String {
    let repo = s.bundle_repo("templates");
    let v1: &[(&str, &str)] = &[
        ("bundle.toml", MANIFEST_V1),
        (
            "template/README.md.tera",
            "# {{ service_name }}\n\nOwned by {{ team }}.\n",
        ),
        ("template/alerts/rules.yaml.tera", RULES_V1),
        ("template/chart/values.yaml.tera", VALUES_V1),
        ("template/Dockerfile", DOCKERFILE_V1),
        ("template/.dockerignore", "target/\n.git/\n"),
        ("template/ci/pipeline.yml", "steps:\n  - run: cargo test\n"),
        (
            "template/src/main.rs.tera",
            "fn main() { println!(\"{{ service_name }}\"); }\n",
        ),
        ("template/docs/notes.md", "Notes v1\n"),
    ];
    repo.write_all(v1).commit_tag("v1.0.0");
    for gone in ["template/alerts/rules.yaml.tera", "template/.dockerignore"] {
        repo.remove(gone);
    }
    repo.write_all(&[
        ("bundle.toml", MANIFEST_V2),
        (
            "template/README.md.tera",
            "# {{ service_name }}\n\nOwned by {{ owner }}.\n",
        ),
        ("template/alerts/slo-rules.yaml.tera", RULES_V2),
        ("template/chart/values.yaml.tera", VALUES_V2),
        (
            "template/chart/templates/pdb.yaml",
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\n",
        ),
        ("template/Dockerfile", DOCKERFILE_V2),
        (
            "template/ci/pipeline.yml",
            "steps:\n  - run: cargo test --locked\n",
        ),
        (
            "template/src/main.rs.tera",
            "fn main() { serve(\"{{ service_name }}\"); }\n",
        ),
        ("template/docs/notes.md", "Notes v2\n"),
        ("template/config.yaml", "log_level: info\n"),
        (
            "CHANGELOG.md",
            "# Changelog\n\n## [2.0.0] - 2026-01-02\n- Rust 1.86 in the Dockerfile\n\n## [1.0.0]\n- first\n",
        ),
    ]);
    repo.commit_tag("v2.0.0");
    repo.url()
}

/// A project `orders-api` made from v1 of the `svc` bundle at `url`, committed.
pub fn svc_project(s: &Workspace, url: &str) -> PathBuf {
    svc_project_of(s, url, Some("1.0.0"))
}

/// A workspace with the `svc` bundle ([`svc_bundle`]) and a project made from its 1.0.0
/// ([`svc_project`]), committed: where most upgrade tests start.
fn v1_project() -> (Workspace, PathBuf) {
    let s = Workspace::new();
    let url = svc_bundle(&s);
    let p = svc_project(&s, &url);
    (s, p)
}

/// A project `orders-api` made with `goldpath new` from `version` of the bundle at `url` (the
/// newest when `None`) with the defaults, committed.
pub fn svc_project_of(s: &Workspace, url: &str, version: Option<&str>) -> PathBuf {
    let mut args = vec!["svc", "orders-api", "--from", url];
    if let Some(version) = version {
        args.extend(["--version", version]);
    }
    args.extend(["--set", "service_name=orders-api"]);
    s.new_project(&args)
}

fn copier_edits(p: &Path) {
    // The edits from shared/peers/README.md: copier loses the last two.
    let values = read(p.join("chart/values.yaml")).replace("replicaCount: 2", "replicaCount: 4");
    fs::write(p.join("chart/values.yaml"), values).unwrap();
    let rules = read(p.join("alerts/rules.yaml")).replace("for: 2m", "for: 5m");
    fs::write(p.join("alerts/rules.yaml"), rules).unwrap();
    fs::write(
        p.join("Dockerfile"),
        format!("{}HEALTHCHECK NONE\n", read(p.join("Dockerfile"))),
    )
    .unwrap();
    fs::write(p.join(".dockerignore"), "target/\n.git/\n*.log\n").unwrap();
}

#[test]
fn upgrade_keeps_every_local_edit_and_marks_real_conflicts() {
    let (s, p) = v1_project();
    edit_and_commit(&p, |p| {
        copier_edits(p);
        fs::write(p.join("config.yaml"), "log_level: debug\n").unwrap(); // add/add with v2
        fs::remove_file(p.join("docs/notes.md")).unwrap(); // user-deleted
        fs::write(p.join("src/main.rs"), "fn main() { mine(); }\n").unwrap(); // seed
    });

    let out = s.goldpath(
        &p,
        &["upgrade", "--to", "2.0.0", "--defaults", "--no-input"],
    );
    assert_eq!(
        out.code,
        Some(1),
        "stdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    let report = out.stdout;

    // Rename with an edit: the user's `for: 5m` is carried to the new path, with v2's change.
    assert!(!p.join("alerts/rules.yaml").exists());
    let rules = read(p.join("alerts/slo-rules.yaml"));
    assert!(
        rules.contains("for: 5m")
            && rules.contains("expr: errors > 0.0144")
            && rules.contains("team: platform"),
        "{rules}"
    );
    assert!(
        report.contains("alerts/rules.yaml -> alerts/slo-rules.yaml"),
        "{report}"
    );
    // Both changed, clean merge: local replicaCount kept, new answer rendered.
    assert_eq!(read(p.join("chart/values.yaml")), "replicaCount: 4\nimage: ghcr.io/acme/orders-api\nautoscaling:\n  minReplicas: 3\n  maxReplicas: 10\n");
    assert_eq!(
        read(p.join("Dockerfile")),
        DOCKERFILE_V2.to_string() + "HEALTHCHECK NONE\n"
    );
    // Removed by the template but changed locally: kept, reported, decided by the user.
    assert_eq!(read(p.join(".dockerignore")), "target/\n.git/\n*.log\n");
    assert!(
        report.contains(".dockerignore  CONFLICT: modified by you, deleted by the template"),
        "{report}"
    );
    assert_eq!(index_stages(&p, ".dockerignore"), [1, 2]);
    // Add/add: both versions in the file, stages 2 and 3.
    let config = read(p.join("config.yaml"));
    assert!(
        config.contains("<<<<<<< ours")
            && config.contains("log_level: debug")
            && config.contains("log_level: info")
            && config.contains(">>>>>>> theirs"),
        "{config}"
    );
    assert_eq!(index_stages(&p, "config.yaml"), [2, 3]);
    // Deleted by the user: stays deleted. Seed: untouched. New: created.
    assert!(!p.join("docs/notes.md").exists());
    assert_eq!(read(p.join("src/main.rs")), "fn main() { mine(); }\n");
    assert_eq!(
        read(p.join("chart/templates/pdb.yaml")),
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
    );
    // Nothing committed; the answers file records the upgrade in progress.
    assert_eq!(git(&p, &["rev-list", "--count", "HEAD"]).trim(), "2");
    let record = read(p.join(".goldpath.toml"));
    assert!(
        record.contains("version = \"1.0.0\"")
            && record.contains("[upgrade]")
            && record.contains("version = \"2.0.0\""),
        "{record}"
    );

    // --continue refuses while markers remain.
    let out = s.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("config.yaml (conflict markers remain)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(".dockerignore (keep it with `git add .dockerignore`"),
        "{}",
        out.stderr
    );

    // Resolve: keep .dockerignore, take theirs in config.yaml but keep debug.
    fs::write(p.join("config.yaml"), "log_level: debug\n").unwrap();
    git(&p, &["add", ".dockerignore"]);
    let out = s.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    let message = git(&p, &["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("Upgrade svc 1.0.0 -> 2.0.0"),
        "{message}"
    );
    assert!(
        message.contains("2.0.0: renamed alerts/rules.yaml to alerts/slo-rules.yaml"),
        "{message}"
    );
    assert!(
        message.contains("2.0.0: renamed answer `team` to `owner`"),
        "{message}"
    );
    assert!(message.contains("- chart/values.yaml"), "{message}");
    let record = read(p.join(".goldpath.toml"));
    assert!(
        record.contains("version = \"2.0.0\"")
            && !record.contains("[upgrade]")
            && record.contains("owner = \"platform\"")
            && record.contains("min_replicas = 3"),
        "{record}"
    );
    assert!(!record.contains("team ="), "{record}");

    // And the project now checks out as up to date with its v2 render.
    let out = s.goldpath(&p, &["upgrade", "--no-input"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert!(out.stdout.starts_with("Up to date"), "{}", out.stdout);
}

#[test]
fn a_clean_upgrade_commits_with_a_message_listing_what_it_did() {
    let (s, p) = v1_project();
    edit_and_commit(&p, |p| {
        let values =
            read(p.join("chart/values.yaml")).replace("replicaCount: 2", "replicaCount: 4");
        fs::write(p.join("chart/values.yaml"), values).unwrap();
    });
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    let message = git(&p, &["log", "-1", "--format=%B"]);
    assert!(
        message.contains("Merged with your local changes:\n- chart/values.yaml\n"),
        "{message}"
    );
    assert!(
        message.contains("Removed by the template:\n- .dockerignore\n"),
        "{message}"
    );
    assert!(
        message.contains("New answers:\n- min_replicas = 3\n"),
        "{message}"
    );
    assert!(!p.join(".dockerignore").exists());
    assert_eq!(
        read(p.join("ci/pipeline.yml")),
        "steps:\n  - run: cargo test --locked\n"
    );
}

#[test]
fn dry_run_touches_nothing() {
    let (s, p) = v1_project();
    edit_and_commit(&p, copier_edits);
    let before = snapshot(&p);
    let head = git(&p, &["rev-parse", "HEAD"]);
    let out = s.goldpath(&p, &["upgrade", "--dry-run", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report = out.stdout;
    assert!(
        report.contains("Dry run: nothing was written. 1 file(s) would be left in conflict."),
        "{report}"
    );
    assert!(
        report.contains("M chart/values.yaml  merged; your changes kept"),
        "{report}"
    );
    assert_eq!(snapshot(&p), before);
    assert_eq!(git(&p, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[test]
fn a_dirty_tree_is_refused_with_the_dirty_paths() {
    let (s, p) = v1_project();
    fs::write(p.join("Dockerfile"), "changed\n").unwrap();
    fs::write(p.join("scratch.txt"), "new\n").unwrap();
    let before = snapshot(&p);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(2));
    crate::assert_text_snapshot!("dirty_tree_refused", out.stderr);
    assert_eq!(snapshot(&p), before);
}

#[test]
fn a_locked_file_edited_locally_is_a_conflict() {
    let (s, p) = v1_project();
    edit_and_commit(&p, |p| {
        fs::write(
            p.join("ci/pipeline.yml"),
            "steps:\n  - run: cargo test\n  - run: ./deploy.sh\n",
        )
        .unwrap()
    });
    let out = s.goldpath(
        &p,
        &[
            "upgrade",
            "--defaults",
            "--no-input",
            "--conflict-style",
            "diff3",
        ],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("C ci/pipeline.yml  CONFLICT: locked file edited locally"),
        "{}",
        out.stdout
    );
    let file = read(p.join("ci/pipeline.yml"));
    assert!(
        file.contains("./deploy.sh")
            && file.contains("cargo test --locked")
            && file.contains("<<<<<<<"),
        "{file}"
    );
    assert_eq!(index_stages(&p, "ci/pipeline.yml"), [1, 2, 3]);
}

#[test]
fn abort_restores_the_tree() {
    let (s, p) = v1_project();
    edit_and_commit(&p, copier_edits);
    let before = snapshot(&p);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_ne!(snapshot(&p), before);
    let out = s.goldpath(&p, &["upgrade", "--abort"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(snapshot(&p), before);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_crash_mid_write_leaves_a_tree_abort_restores() {
    let (s, p) = v1_project();
    edit_and_commit(&p, |p| {
        let values =
            read(p.join("chart/values.yaml")).replace("replicaCount: 2", "replicaCount: 4");
        fs::write(p.join("chart/values.yaml"), values).unwrap();
    });
    let before = snapshot(&p);
    let out = s
        .command(&p, &["upgrade", "--defaults", "--no-input"])
        .env("GOLDPATH_FAULT_AFTER_WRITES", "3")
        .run();
    assert!(
        !out.is_success(),
        "the injected crash must stop the upgrade"
    );
    assert_ne!(
        snapshot(&p),
        before,
        "some files were written before the crash"
    );
    // A second upgrade is not started on the half-written tree: it names the one command.
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(
        out.stderr.contains("run `goldpath upgrade --abort`"),
        "{}",
        out.stderr
    );
    // No half-written file, and one documented command puts everything back (issue #9, case 4).
    let out = s.goldpath(&p, &["upgrade", "--abort"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(snapshot(&p), before);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    // And the upgrade can simply be run again.
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn a_moved_tag_or_missing_version_is_an_error_not_a_guess() {
    let (s, p) = v1_project();
    let repo = s.path("templates");
    // Force-move v1.0.0 to another commit that still says 1.0.0 (a force-pushed fix).
    git(&repo, &["checkout", "-q", "-b", "hotfix", "v1.0.0"]);
    write(
        &repo,
        &[("template/docs/notes.md", "Notes v1, rewritten\n")],
    );
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=P",
            "-c",
            "user.email=p@example.com",
            "commit",
            "-qm",
            "hotfix",
        ],
    );
    git(&repo, &["tag", "-f", "v1.0.0"]);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(2));
    let err = out.stderr;
    assert!(
        err.contains("now points at") && err.contains("tag was moved or force-pushed"),
        "{err}"
    );
    // Deleted tag.
    git(&repo, &["tag", "-d", "v1.0.0"]);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(2));
    let err = out.stderr;
    assert!(
        err.contains("the project records svc 1.0.0 from") && err.contains("--from SOURCE"),
        "{err}"
    );
}

#[test]
fn downgrades_need_an_explicit_version_and_flag() {
    let s = Workspace::new();
    let p = svc_project_of(&s, &svc_bundle(&s), None);
    let out = s.goldpath(&p, &["upgrade", "--to", "1.0.0", "--no-input"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("svc 1.0.0 is older than the recorded 2.0.0"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--allow-downgrade"), "{}", out.stderr);
}

#[test]
fn crlf_line_endings_never_conflict_on_their_own() {
    let (s, p) = v1_project();
    edit_and_commit(&p, |p| {
        let crlf = read(p.join("chart/values.yaml"))
            .replace('\n', "\r\n")
            .replace("replicaCount: 2", "replicaCount: 5");
        fs::write(p.join("chart/values.yaml"), crlf).unwrap();
    });
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(read(p.join("chart/values.yaml")), "replicaCount: 5\r\nimage: ghcr.io/acme/orders-api\r\nautoscaling:\r\n  minReplicas: 3\r\n  maxReplicas: 10\r\n");
}

#[test]
fn hooks_from_an_untrusted_source_need_trust() {
    let (s, p) = v1_project();
    let repo = s.path("templates");
    let manifest = MANIFEST_V2.replace(
        "version = \"2.0.0\"\ndescription",
        "version = \"2.1.0\"\ndescription",
    ) + "\n[[migrations]]\nversion = \"2.1.0\"\nrun = \"record-versions.sh\"\n";
    write(&repo, &[("bundle.toml", &manifest), ("hooks/record-versions.sh", "#!/bin/sh\necho \"$GOLDPATH_FROM_VERSION -> $GOLDPATH_TO_VERSION\" > hook-ran.txt\n")]);
    BundleRepo::open(&repo).commit_tag("v2.1.0");
    let before = snapshot(&p);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("wants to run hook `record-versions.sh`")
            && out.stderr.contains("--trust"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(&p), before);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input", "--trust"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(read(p.join("hook-ran.txt")), "1.0.0 -> 2.1.0\n");
    assert!(git(&p, &["log", "-1", "--format=%B"]).contains("2.1.0: runs hook record-versions.sh"));
}

#[test]
fn a_built_in_service_upgrades_from_1_0_0_to_1_1_0() {
    let s = Workspace::new();
    let out = s.goldpath(
        s.root(),
        &[
            "new",
            "rust-service",
            "orders-api",
            "--version",
            "1.0.0",
            "--defaults",
            "--set",
            "service_name=orders-api",
            "--no-input",
        ],
    );
    assert!(out.is_success(), "{}", out.stderr);
    let p = s.path("orders-api");
    edit_and_commit(&p, |p| {
        let values = read(p.join("chart/values.yaml"));
        assert!(values.contains("\nimage:\n"), "{values}");
        fs::write(
            p.join("chart/values.yaml"),
            values.replacen(
                "\nimage:\n",
                "\n# Pinned by the team for the launch.\nimage:\n",
                1,
            ),
        )
        .unwrap();
        fs::write(
            p.join("Dockerfile"),
            format!(
                "{}LABEL org.opencontainers.image.vendor=acme\n",
                read(p.join("Dockerfile"))
            ),
        )
        .unwrap();
    });
    let out = s.goldpath(
        &p,
        &["upgrade", "--to", "1.1.0", "--defaults", "--no-input"],
    );
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("1.1.0: renamed alerts/rules.yaml to alerts/slo-rules.yaml"),
        "{}",
        out.stdout
    );
    assert!(!p.join("alerts/rules.yaml").exists() && p.join("alerts/slo-rules.yaml").exists());
    let values = read(p.join("chart/values.yaml"));
    assert!(
        values.contains("# Pinned by the team for the launch.")
            && values.contains("minReplicas: 2"),
        "{values}"
    );
    assert!(read(p.join("Dockerfile")).ends_with("LABEL org.opencontainers.image.vendor=acme\n"));
    assert!(read(p.join(".goldpath.toml")).contains("version = \"1.1.0\""));
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    // Clean afterwards (1.2.0 is newer, so "outdated" is not a failure here).
    let out = s.goldpath(&p, &["check", "--fail-on", "drift,conflict-markers"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
}

#[test]
fn delete_and_set_answer_migrations_report_what_they_did() {
    let (s, p) = v1_project();
    edit_and_commit(&p, |p| {
        write(p, &[("legacy/old.cfg", "written by the old tooling\n")])
    });
    let repo = s.path("templates");
    let manifest = MANIFEST_V2.replace("version = \"2.0.0\"\ndescription", "version = \"2.1.0\"\ndescription")
        + "\n[[migrations]]\nversion = \"2.1.0\"\ndelete = \"legacy/old.cfg\"\n\n[[migrations]]\nversion = \"2.1.0\"\nset_answer = { name = \"min_replicas\", value = \"{{ 2 + 3 }}\" }\n";
    write(&repo, &[("bundle.toml", &manifest)]);
    BundleRepo::open(&repo).commit_tag("v2.1.0");
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let report = out.stdout;
    // The template never rendered legacy/old.cfg: the migration leaves it (issue #9, case 1).
    assert!(
        report.contains("2.1.0: set answer `min_replicas` to `5`")
            && report.contains(
                "= legacy/old.cfg  kept: the template never made this file, so it is yours"
            )
            && !report.contains("deleted legacy/old.cfg"),
        "{report}"
    );
    assert_eq!(
        read(p.join("legacy/old.cfg")),
        "written by the old tooling\n"
    );
    assert!(read(p.join("chart/values.yaml")).contains("minReplicas: 5"));
    assert!(read(p.join(".goldpath.toml")).contains("min_replicas = 5"));
}

/// `out`'s stdout as the one JSON document of `upgrade --format json`, valid against
/// docs/upgrade-report.schema.json.
#[track_caller]
fn upgrade_report(out: &crate::harness::Outcome) -> serde_json::Value {
    let report: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", out.stdout));
    crate::harness::assert_json_schema("upgrade-report.schema.json", &report);
    report
}

/// A project from 1.0.0 whose locked pipeline was edited and committed, with an upgrade to
/// 2.0.0 (`--format json`) stopped on that conflict.
fn stopped_on_the_pipeline(s: &Workspace) -> PathBuf {
    let url = svc_bundle(s);
    let p = svc_project(s, &url);
    edit_and_commit(&p, |p| {
        fs::write(p.join("ci/pipeline.yml"), "steps:\n  - run: make\n").unwrap()
    });
    let out = s.goldpath(&p, &["upgrade", "--format", "json", "--defaults"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let report = upgrade_report(&out);
    assert_eq!(report["status"], "conflicts");
    assert_eq!(report["conflicts"], serde_json::json!(["ci/pipeline.yml"]));
    p
}

/// `upgrade --continue --format json` (it was refused): the upgrade report, committed, with
/// the stopped upgrade's versions and the commit it made.
#[test]
fn continue_with_format_json_prints_the_upgrade_report() {
    let s = Workspace::new();
    let p = stopped_on_the_pipeline(&s);
    fs::write(p.join("ci/pipeline.yml"), "steps:\n  - run: make test\n").unwrap();
    let out = s.goldpath(&p, &["upgrade", "--continue", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = upgrade_report(&out);
    let head = git(&p, &["rev-parse", "HEAD"]);
    assert_eq!(report["status"], "committed");
    assert_eq!(report["commit"], head.trim());
    assert_eq!(report["project"], "orders-api");
    assert_eq!(report["bundle"], "svc");
    assert_eq!(
        (&report["from"], &report["to"]),
        (&"1.0.0".into(), &"2.0.0".into())
    );
    assert_eq!(report["conflicts"], serde_json::json!([]));
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    assert!(read(p.join(".goldpath.toml")).contains("version = \"2.0.0\""));

    // --no-commit: written, not committed.
    let s = Workspace::new();
    let p = stopped_on_the_pipeline(&s);
    fs::write(p.join("ci/pipeline.yml"), "steps:\n  - run: make test\n").unwrap();
    let out = s.goldpath(
        &p,
        &["upgrade", "--continue", "--no-commit", "--format", "json"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = upgrade_report(&out);
    assert_eq!(report["status"], "written");
    assert_eq!(report["commit"], serde_json::Value::Null);
}

/// `upgrade --abort --format json` (it was refused): the upgrade report, aborted, the files
/// back as they were.
#[test]
fn abort_with_format_json_prints_the_upgrade_report() {
    let s = Workspace::new();
    let p = stopped_on_the_pipeline(&s);
    let out = s.goldpath(&p, &["upgrade", "--abort", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = upgrade_report(&out);
    assert_eq!(report["status"], "aborted");
    assert_eq!(report["commit"], serde_json::Value::Null);
    assert_eq!(
        (&report["from"], &report["to"]),
        (&"1.0.0".into(), &"2.0.0".into())
    );
    assert_eq!(read(p.join("ci/pipeline.yml")), "steps:\n  - run: make\n");
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    // Nothing left to abort: an error on stderr, stdout empty (as the schema says).
    let out = s.goldpath(&p, &["upgrade", "--abort", "--format", "json"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}
