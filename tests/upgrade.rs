//! `goldpath upgrade` on real git repos: a bundle in a git repository with two version tags, a
//! project made from v1 and edited locally, then upgraded to v2.

use crate::sandbox::*;
use std::fs;
use std::path::Path;

fn copier_edits(p: &Path) {
    // The edits from shared/peers/README.md: copier loses the last two.
    let values = read(&p.join("chart/values.yaml")).replace("replicaCount: 2", "replicaCount: 4");
    fs::write(p.join("chart/values.yaml"), values).unwrap();
    let rules = read(&p.join("alerts/rules.yaml")).replace("for: 2m", "for: 5m");
    fs::write(p.join("alerts/rules.yaml"), rules).unwrap();
    fs::write(
        p.join("Dockerfile"),
        format!("{}HEALTHCHECK NONE\n", read(&p.join("Dockerfile"))),
    )
    .unwrap();
    fs::write(p.join(".dockerignore"), "target/\n.git/\n*.log\n").unwrap();
}

#[test]
fn upgrade_keeps_every_local_edit_and_marks_real_conflicts() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    s.edit_and_commit(&p, |p| {
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
        out.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    let report = stdout(&out);

    // Rename with an edit: the user's `for: 5m` is carried to the new path, with v2's change.
    assert!(!p.join("alerts/rules.yaml").exists());
    let rules = read(&p.join("alerts/slo-rules.yaml"));
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
    assert_eq!(read(&p.join("chart/values.yaml")), "replicaCount: 4\nimage: ghcr.io/acme/orders-api\nautoscaling:\n  minReplicas: 3\n  maxReplicas: 10\n");
    assert_eq!(
        read(&p.join("Dockerfile")),
        DOCKERFILE_V2.to_string() + "HEALTHCHECK NONE\n"
    );
    // Removed by the template but changed locally: kept, reported, decided by the user.
    assert_eq!(read(&p.join(".dockerignore")), "target/\n.git/\n*.log\n");
    assert!(
        report.contains(".dockerignore  CONFLICT: modified by you, deleted by the template"),
        "{report}"
    );
    assert_eq!(index_stages(&p, ".dockerignore"), [1, 2]);
    // Add/add: both versions in the file, stages 2 and 3.
    let config = read(&p.join("config.yaml"));
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
    assert_eq!(read(&p.join("src/main.rs")), "fn main() { mine(); }\n");
    assert_eq!(
        read(&p.join("chart/templates/pdb.yaml")),
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
    );
    // Nothing committed; the answers file records the upgrade in progress.
    assert_eq!(git(&p, &["rev-list", "--count", "HEAD"]).trim(), "2");
    let record = read(&p.join(".goldpath.toml"));
    assert!(
        record.contains("version = \"1.0.0\"")
            && record.contains("[upgrade]")
            && record.contains("version = \"2.0.0\""),
        "{record}"
    );

    // --continue refuses while markers remain.
    let out = s.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("config.yaml (conflict markers remain)"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(".dockerignore (keep it with `git add .dockerignore`"),
        "{}",
        stderr(&out)
    );

    // Resolve: keep .dockerignore, take theirs in config.yaml but keep debug.
    fs::write(p.join("config.yaml"), "log_level: debug\n").unwrap();
    git(&p, &["add", ".dockerignore"]);
    let out = s.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.status.success(), "{}", stderr(&out));
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
    let record = read(&p.join(".goldpath.toml"));
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
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Up to date"), "{}", stdout(&out));
}

#[test]
fn a_clean_upgrade_commits_with_a_message_listing_what_it_did() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    s.edit_and_commit(&p, |p| {
        let values =
            read(&p.join("chart/values.yaml")).replace("replicaCount: 2", "replicaCount: 4");
        fs::write(p.join("chart/values.yaml"), values).unwrap();
    });
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
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
        read(&p.join("ci/pipeline.yml")),
        "steps:\n  - run: cargo test --locked\n"
    );
}

#[test]
fn dry_run_touches_nothing() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    s.edit_and_commit(&p, copier_edits);
    let before = snapshot(&p);
    let head = git(&p, &["rev-parse", "HEAD"]);
    let out = s.goldpath(&p, &["upgrade", "--dry-run", "--defaults", "--no-input"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = stdout(&out);
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
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    fs::write(p.join("Dockerfile"), "changed\n").unwrap();
    fs::write(p.join("scratch.txt"), "new\n").unwrap();
    let before = snapshot(&p);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: the project has uncommitted changes:\n  Dockerfile\n  scratch.txt\nhint: commit or stash them first, or pass --allow-dirty to merge them like any local edit\n"
    );
    assert_eq!(snapshot(&p), before);
}

#[test]
fn a_locked_file_edited_locally_is_a_conflict() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    s.edit_and_commit(&p, |p| {
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
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("C ci/pipeline.yml  CONFLICT: locked file edited locally"),
        "{}",
        stdout(&out)
    );
    let file = read(&p.join("ci/pipeline.yml"));
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
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    s.edit_and_commit(&p, copier_edits);
    let before = snapshot(&p);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_ne!(snapshot(&p), before);
    let out = s.goldpath(&p, &["upgrade", "--abort"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(snapshot(&p), before);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_crash_mid_write_leaves_a_tree_abort_restores() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    s.edit_and_commit(&p, |p| {
        let values =
            read(&p.join("chart/values.yaml")).replace("replicaCount: 2", "replicaCount: 4");
        fs::write(p.join("chart/values.yaml"), values).unwrap();
    });
    let before = snapshot(&p);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_goldpath"))
        .args(["upgrade", "--defaults", "--no-input"])
        .current_dir(&p)
        .env("HOME", s.path("home"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GOLDPATH_FAULT_AFTER_WRITES", "3")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the injected crash must stop the upgrade"
    );
    assert_ne!(
        snapshot(&p),
        before,
        "some files were written before the crash"
    );
    // A second upgrade is not started on the half-written tree: it names the one command.
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("run `goldpath upgrade --abort`"),
        "{}",
        stderr(&out)
    );
    // No half-written file, and one documented command puts everything back (issue #9, case 4).
    let out = s.goldpath(&p, &["upgrade", "--abort"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(snapshot(&p), before);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    // And the upgrade can simply be run again.
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_moved_tag_or_missing_version_is_an_error_not_a_guess() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
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
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("now points at") && err.contains("tag was moved or force-pushed"),
        "{err}"
    );
    // Deleted tag.
    git(&repo, &["tag", "-d", "v1.0.0"]);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("the project records svc 1.0.0 from") && err.contains("--from SOURCE"),
        "{err}"
    );
}

#[test]
fn downgrades_need_an_explicit_version_and_flag() {
    let s = Sandbox::new();
    let p = s.project_of(&s.bundle_repo(), None);
    let out = s.goldpath(&p, &["upgrade", "--to", "1.0.0", "--no-input"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("svc 1.0.0 is older than the recorded 2.0.0"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("--allow-downgrade"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn crlf_line_endings_never_conflict_on_their_own() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    s.edit_and_commit(&p, |p| {
        let crlf = read(&p.join("chart/values.yaml"))
            .replace('\n', "\r\n")
            .replace("replicaCount: 2", "replicaCount: 5");
        fs::write(p.join("chart/values.yaml"), crlf).unwrap();
    });
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(read(&p.join("chart/values.yaml")), "replicaCount: 5\r\nimage: ghcr.io/acme/orders-api\r\nautoscaling:\r\n  minReplicas: 3\r\n  maxReplicas: 10\r\n");
}

#[test]
fn hooks_from_an_untrusted_source_need_trust() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    let repo = s.path("templates");
    let manifest = MANIFEST_V2.replace(
        "version = \"2.0.0\"\ndescription",
        "version = \"2.1.0\"\ndescription",
    ) + "\n[[migrations]]\nversion = \"2.1.0\"\nrun = \"record-versions.sh\"\n";
    write(&repo, &[("bundle.toml", &manifest), ("hooks/record-versions.sh", "#!/bin/sh\necho \"$GOLDPATH_FROM_VERSION -> $GOLDPATH_TO_VERSION\" > hook-ran.txt\n")]);
    s.commit_tag(&repo, "v2.1.0");
    let before = snapshot(&p);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("wants to run hook `record-versions.sh`")
            && stderr(&out).contains("--trust"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&p), before);
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input", "--trust"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(read(&p.join("hook-ran.txt")), "1.0.0 -> 2.1.0\n");
    assert!(git(&p, &["log", "-1", "--format=%B"]).contains("2.1.0: runs hook record-versions.sh"));
}

#[test]
fn a_built_in_service_upgrades_from_1_0_0_to_1_1_0() {
    let s = Sandbox::new();
    let out = s.goldpath(
        s.tmp.path(),
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
    assert!(out.status.success(), "{}", stderr(&out));
    let p = s.path("orders-api");
    s.edit_and_commit(&p, |p| {
        let values = read(&p.join("chart/values.yaml"));
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
                read(&p.join("Dockerfile"))
            ),
        )
        .unwrap();
    });
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("1.1.0: renamed alerts/rules.yaml to alerts/slo-rules.yaml"),
        "{}",
        stdout(&out)
    );
    assert!(!p.join("alerts/rules.yaml").exists() && p.join("alerts/slo-rules.yaml").exists());
    let values = read(&p.join("chart/values.yaml"));
    assert!(
        values.contains("# Pinned by the team for the launch.")
            && values.contains("minReplicas: 2"),
        "{values}"
    );
    assert!(read(&p.join("Dockerfile")).ends_with("LABEL org.opencontainers.image.vendor=acme\n"));
    assert!(read(&p.join(".goldpath.toml")).contains("version = \"1.1.0\""));
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    // Up to date and clean afterwards.
    let out = s.goldpath(&p, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn delete_and_set_answer_migrations_report_what_they_did() {
    let s = Sandbox::new();
    let url = s.bundle_repo();
    let p = s.project(&url);
    s.edit_and_commit(&p, |p| {
        write(p, &[("legacy/old.cfg", "written by the old tooling\n")])
    });
    let repo = s.path("templates");
    let manifest = MANIFEST_V2.replace("version = \"2.0.0\"\ndescription", "version = \"2.1.0\"\ndescription")
        + "\n[[migrations]]\nversion = \"2.1.0\"\ndelete = \"legacy/old.cfg\"\n\n[[migrations]]\nversion = \"2.1.0\"\nset_answer = { name = \"min_replicas\", value = \"{{ 2 + 3 }}\" }\n";
    write(&repo, &[("bundle.toml", &manifest)]);
    s.commit_tag(&repo, "v2.1.0");
    let out = s.goldpath(&p, &["upgrade", "--defaults", "--no-input"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let report = stdout(&out);
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
        read(&p.join("legacy/old.cfg")),
        "written by the old tooling\n"
    );
    assert!(read(&p.join("chart/values.yaml")).contains("minReplicas: 5"));
    assert!(read(&p.join(".goldpath.toml")).contains("min_replicas = 5"));
}
