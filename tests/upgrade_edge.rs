//! `goldpath upgrade` at its edges, on real git repos: folder renames with files of the user's own
//! inside, renames onto occupied paths, files turning into folders, modes, binaries, a project in
//! a monorepo, dirty trees, line-ending conventions, upgrades in a row, answers that render paths,
//! and what `check` says around all of it. Each bundle here is a git repository whose releases are
//! written in full by the test, so every case shows its own template.

use crate::harness::{
    edit_and_commit, git, last_message, read, replace_in, snapshot, stages, write, BundleRepo,
    Outcome, Workspace,
};
use std::fs;
use std::path::{Path, PathBuf};

/// A bundle repository named `edge`, released version by version, and projects made from it.
pub struct Edge {
    pub ws: Workspace,
    repo: BundleRepo,
    url: String,
}

fn manifest(version: &str, tail: &str) -> String {
    format!(
        "[bundle]\nname = \"edge\"\nversion = \"{version}\"\ndescription = \"edge cases\"\n\n\
         [[questions]]\nname = \"service_name\"\ntype = \"string\"\ndefault = \"orders\"\n{tail}"
    )
}

impl Edge {
    pub fn new() -> Edge {
        let ws = Workspace::new();
        let repo = ws.bundle_repo("templates");
        let url = repo.url();
        Edge { ws, repo, url }
    }

    /// Releases `version`: `bundle.toml` is the manifest with `tail` (policies, migrations), and
    /// `template/` holds exactly `files` (every earlier file is removed). `extra` may then add
    /// binary files or change modes under `template/`.
    pub fn release_with(
        &self,
        version: &str,
        tail: &str,
        files: &[(&str, &str)],
        extra: impl FnOnce(&Path),
    ) {
        self.repo.release(
            &format!("v{version}"),
            &manifest(version, tail),
            files,
            extra,
        );
    }

    pub fn release(&self, version: &str, tail: &str, files: &[(&str, &str)]) {
        self.release_with(version, tail, files, |_| {});
    }

    /// A project `orders` made from 1.0.0 with the defaults, committed by `new`.
    pub fn project(&self) -> PathBuf {
        self.project_at("orders")
    }

    /// A project in the folder `name` made from 1.0.0 with the defaults, committed by `new`.
    pub fn project_at(&self, name: &str) -> PathBuf {
        self.ws
            .new_project(&["edge", name, "--from", &self.url, "--version", "1.0.0"])
    }

    pub fn goldpath(&self, dir: &Path, args: &[&str]) -> Outcome {
        self.ws.goldpath(dir, args)
    }

    /// An upgrade of `p` refused with exactly `stderr` (exit 2) before writing anything: every
    /// byte of the project is as it was.
    #[track_caller]
    fn refused_untouched(&self, p: &Path, stderr: &str) {
        let before = snapshot(p);
        let out = self.upgrade(p, &[], 2);
        assert_eq!(out.stderr, stderr);
        assert_eq!(snapshot(p), before);
    }

    /// An upgrade of `p` stopped on conflicts (exit 1), `stopped` asserting what it wrote, then
    /// `--abort`: every byte under `watched` (the project, or the repository it is in) is as it
    /// was.
    #[track_caller]
    fn stopped_then_aborted(&self, p: &Path, watched: &Path, stopped: impl FnOnce()) {
        let before = snapshot(watched);
        self.upgrade(p, &[], 1);
        stopped();
        let out = self.goldpath(p, &["upgrade", "--abort"]);
        assert!(out.is_success(), "{}", out.stderr);
        assert_eq!(snapshot(watched), before);
    }

    /// `goldpath upgrade --defaults --no-input ARGS`, asserting its exit code.
    #[track_caller]
    pub fn upgrade(&self, dir: &Path, args: &[&str], code: i32) -> Outcome {
        let mut all = vec!["upgrade", "--defaults", "--no-input"];
        all.extend_from_slice(args);
        self.ws.command(dir, &all).code(code)
    }
}

/// How many commits HEAD has (git finds the repository from a folder inside it).
fn commit_count(p: &Path) -> usize {
    git(p, &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

const RULES: &str = "groups:\n  - name: slo\n    rules:\n      - alert: HighErrorRate\n        expr: errors > 0.01\n        for: 2m\n        labels:\n          severity: page\n";
const BURN: &str = "groups:\n  - name: burn\n    rules:\n      - alert: FastBurn\n        expr: burn_rate_1h > 14.4\n        for: 2m\n        labels:\n          severity: page\n";
const NOTES: &str = "# Alerts\n\nRules for the service.\nEdit thresholds with care.\n";

// ---------------------------------------------------------------------------------------------
// Renames

#[test]
fn a_folder_rename_carries_every_edit_and_leaves_the_users_own_files_in_place() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[
            ("alerts/rules.yaml", RULES),
            ("alerts/burn.yaml", BURN),
            ("alerts/README.md", NOTES),
        ],
    );
    e.release(
        "2.0.0",
        "[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts\", to = \"monitoring\" }\n",
        &[
            (
                "monitoring/rules.yaml",
                &RULES.replace("errors > 0.01", "errors > 0.0144"),
            ),
            (
                "monitoring/burn.yaml",
                &BURN.replace("severity: page", "severity: critical"),
            ),
            ("monitoring/README.md", NOTES),
        ],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        replace_in(
            &p.join("alerts/rules.yaml"),
            "severity: page",
            "severity: ticket",
        );
        replace_in(&p.join("alerts/burn.yaml"), "for: 2m", "for: 1m");
        replace_in(&p.join("alerts/README.md"), "with care", "with great care");
        write(p, &[("alerts/custom.yaml", "groups: []\n")]);
    });

    let out = e.upgrade(&p, &[], 0);
    assert_eq!(
        read(p.join("monitoring/rules.yaml")),
        RULES
            .replace("errors > 0.01", "errors > 0.0144")
            .replace("severity: page", "severity: ticket")
    );
    assert_eq!(
        read(p.join("monitoring/burn.yaml")),
        BURN.replace("severity: page", "severity: critical")
            .replace("for: 2m", "for: 1m")
    );
    assert_eq!(
        read(p.join("monitoring/README.md")),
        NOTES.replace("with care", "with great care")
    );
    // The template moves only its own files: the user's file stays where the user put it, and
    // the upgrade says so, in its report and its commit.
    assert_eq!(read(p.join("alerts/custom.yaml")), "groups: []\n");
    for gone in ["alerts/rules.yaml", "alerts/burn.yaml", "alerts/README.md"] {
        assert!(!p.join(gone).exists(), "{gone}");
    }
    let note = "alerts/custom.yaml stays where it is: it is not from the template, which moved alerts to monitoring";
    assert!(out.stdout.contains(note), "{}", out.stdout);
    let message = last_message(&p);
    assert!(message.contains(note), "{message}");
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&p, &["ls-files"]),
        ".goldpath.toml\nalerts/custom.yaml\nmonitoring/README.md\nmonitoring/burn.yaml\nmonitoring/rules.yaml\n"
    );
}

#[test]
fn a_rename_onto_a_file_the_user_already_made_loses_neither() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[("alerts/rules.yaml", RULES), ("alerts/burn.yaml", BURN)],
    );
    e.release(
        "2.0.0",
        "[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts/rules.yaml\", to = \"alerts/slo.yaml\" }\n\
         [[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts/burn.yaml\", to = \"alerts/burn-rate.yaml\" }\n",
        &[
            (
                "alerts/slo.yaml",
                &RULES.replace("errors > 0.01", "errors > 0.0144"),
            ),
            ("alerts/burn-rate.yaml", BURN),
        ],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        // rules.yaml edited, and a file of the user's own at its new name.
        replace_in(&p.join("alerts/rules.yaml"), "for: 2m", "for: 5m");
        write(p, &[("alerts/slo.yaml", "# our own SLO notes\n")]);
        // burn.yaml untouched, and a copy of it (with an edit) already at its new name.
        write(
            p,
            &[("alerts/burn-rate.yaml", &BURN.replace("for: 2m", "for: 1m"))],
        );
    });

    let out = e.upgrade(&p, &[], 1);
    let report = out.stdout;
    // The user's edited rules.yaml cannot move onto their own slo.yaml: it stays, as a file the
    // template removed that the user changed.
    assert_eq!(
        read(p.join("alerts/rules.yaml")),
        RULES.replace("for: 2m", "for: 5m")
    );
    assert!(
        report.contains("C alerts/rules.yaml  CONFLICT: modified by you, deleted by the template"),
        "{report}"
    );
    assert_eq!(
        stages(&p, "alerts/rules.yaml")
            .iter()
            .map(|s| s.1)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    // slo.yaml: the user's file against the template's, both kept in markers.
    let slo = read(p.join("alerts/slo.yaml"));
    assert!(
        slo.contains("# our own SLO notes") && slo.contains("errors > 0.0144"),
        "{slo}"
    );
    // burn.yaml was not changed: the template moved it away, and the user's copy at the new
    // name is the one that stays (the template's burn-rate.yaml is the old burn.yaml).
    assert!(!p.join("alerts/burn.yaml").exists());
    assert_eq!(
        read(p.join("alerts/burn-rate.yaml")),
        BURN.replace("for: 2m", "for: 1m")
    );
}

#[test]
fn a_rename_found_by_content_carries_the_edit() {
    let e = Edge::new();
    let guide = "# Guide\n\nBuild with cargo.\nTest with cargo test.\nDeploy with helm.\nPage the on-call.\n";
    let build = "Build with cargo build --locked.";
    e.release("1.0.0", "", &[("docs/guide.md", guide)]);
    e.release(
        "2.0.0",
        "",
        &[(
            "docs/handbook.md",
            &guide.replace("Build with cargo.", build),
        )],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        replace_in(
            &p.join("docs/guide.md"),
            "Page the on-call.",
            "Page #orders-oncall.",
        )
    });
    let out = e.upgrade(&p, &[], 0);
    assert!(!p.join("docs/guide.md").exists());
    assert_eq!(
        read(p.join("docs/handbook.md")),
        guide
            .replace("Build with cargo.", build)
            .replace("Page the on-call.", "Page #orders-oncall.")
    );
    assert!(
        out.stdout
            .contains("Rename detected by content: docs/guide.md -> docs/handbook.md"),
        "{}",
        out.stdout
    );
    let message = last_message(&p);
    assert!(
        message.contains(
            "Renamed by the template:\n- docs/guide.md -> docs/handbook.md (found by content)\n"
        ),
        "{message}"
    );
    assert!(
        message.contains("Merged with your local changes:\n- docs/handbook.md\n"),
        "{message}"
    );
}

#[test]
fn a_renamed_file_the_user_deleted_stays_deleted() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[("alerts/rules.yaml", RULES), ("README.md", "# orders\n")],
    );
    e.release(
        "2.0.0",
        "[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts/rules.yaml\", to = \"alerts/slo.yaml\" }\n",
        &[
            ("alerts/slo.yaml", &RULES.replace("2m", "3m")),
            ("README.md", "# orders\n"),
        ],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        fs::remove_file(p.join("alerts/rules.yaml")).unwrap()
    });
    let out = e.upgrade(&p, &[], 0);
    assert!(
        out.stdout
            .contains("= alerts/slo.yaml  stays deleted (you deleted it)"),
        "{}",
        out.stdout
    );
    assert!(!p.join("alerts/rules.yaml").exists() && !p.join("alerts/slo.yaml").exists());
    assert_eq!(git(&p, &["ls-files"]), ".goldpath.toml\nREADME.md\n");
    assert!(last_message(&p).contains("Kept deleted (you deleted them):\n- alerts/slo.yaml\n"));
}

#[test]
fn a_renamed_files_old_path_reused_by_the_template_keeps_both() {
    let e = Edge::new();
    let readme = "# orders\n\nHow to build.\n\nHow to test.\n\nHow to deploy.\n";
    e.release("1.0.0", "", &[("README.md", readme)]);
    e.release(
        "2.0.0",
        "[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"README.md\", to = \"docs/README.md\" }\n",
        &[
            ("README.md", "# orders\n\nSee docs/README.md.\n"),
            (
                "docs/README.md",
                &readme.replace("How to deploy.", "How to deploy with helm."),
            ),
        ],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        replace_in(
            &p.join("README.md"),
            "How to test.",
            "How to test: cargo nextest.",
        )
    });
    let out = e.upgrade(&p, &[], 0);
    assert_eq!(
        read(p.join("docs/README.md")),
        readme
            .replace("How to deploy.", "How to deploy with helm.")
            .replace("How to test.", "How to test: cargo nextest."),
        "{}",
        out.stdout
    );
    assert_eq!(
        read(p.join("README.md")),
        "# orders\n\nSee docs/README.md.\n"
    );
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

// ---------------------------------------------------------------------------------------------
// Files that become folders, and folders that become files

const DOCS: &str = "# orders\n\nArchitecture.\nRunbook.\nOn-call.\nDashboards.\n";

#[test]
fn a_file_becoming_a_folder_carries_the_users_edit_when_the_content_followed() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("docs", DOCS)]);
    e.release(
        "2.0.0",
        "",
        &[(
            "docs/index.md",
            &DOCS.replace("Architecture.", "Architecture: docs/arch.md."),
        )],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        replace_in(&p.join("docs"), "On-call.", "On-call: #orders.")
    });
    e.upgrade(&p, &[], 0);
    assert_eq!(
        read(p.join("docs/index.md")),
        DOCS.replace("Architecture.", "Architecture: docs/arch.md.")
            .replace("On-call.", "On-call: #orders.")
    );
    assert_eq!(git(&p, &["ls-files"]), ".goldpath.toml\ndocs/index.md\n");
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[test]
fn a_file_becoming_a_folder_unedited_is_replaced() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("docs", "old\n"), ("README.md", "r\n")]);
    e.release(
        "2.0.0",
        "",
        &[("docs/index.md", "all new\n"), ("README.md", "r\n")],
    );
    let p = e.project();
    e.upgrade(&p, &[], 0);
    assert_eq!(read(p.join("docs/index.md")), "all new\n");
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[test]
fn a_file_becoming_a_folder_over_a_rewritten_file_is_refused_before_writing() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("docs", DOCS), ("README.md", "r\n")]);
    e.release(
        "2.0.0",
        "",
        &[("docs/index.md", "# Index\n"), ("README.md", "r2\n")],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        fs::write(p.join("docs"), "entirely ours\n").unwrap()
    });
    e.refused_untouched(
        &p,
        "error: the template writes docs/index.md, but docs is a file the upgrade keeps (you changed it, or it is not the template's), so the folder docs/ cannot be made; move it aside (`git mv docs docs.local`), commit, and upgrade again\n",
    );
}

#[test]
fn a_folder_becoming_a_file_carries_the_edit() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("docs/index.md", DOCS)]);
    e.release(
        "2.0.0",
        "",
        &[("docs", &DOCS.replace("Runbook.", "Runbook (v2)."))],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        replace_in(
            &p.join("docs/index.md"),
            "Dashboards.",
            "Dashboards: grafana.",
        )
    });
    e.upgrade(&p, &[], 0);
    assert_eq!(
        read(p.join("docs")),
        DOCS.replace("Runbook.", "Runbook (v2).")
            .replace("Dashboards.", "Dashboards: grafana.")
    );
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[test]
fn a_folder_becoming_a_file_over_a_folder_with_the_users_files_is_refused_before_writing() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("docs/index.md", DOCS)]);
    e.release("2.0.0", "", &[("docs", "one file now\n")]);
    let p = e.project();
    edit_and_commit(&p, |p| write(p, &[("docs/adr-001.md", "# ADR 1\n")]));
    e.refused_untouched(
        &p,
        "error: the template writes a file docs, but the folder docs/ holds files the upgrade keeps (docs/adr-001.md), so the file cannot be written; move them out of docs/ (`git mv`), commit, and upgrade again\n",
    );
}

#[test]
fn abort_after_a_file_became_a_folder_restores_the_file() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("docs", "old docs\n"), ("README.md", "a\n")]);
    e.release(
        "2.0.0",
        "",
        &[("docs/index.md", "new docs\n"), ("README.md", "b\n")],
    );
    let p = e.project();
    edit_and_commit(&p, |p| fs::write(p.join("README.md"), "mine\n").unwrap());
    e.stopped_then_aborted(&p, &p, || {
        assert_eq!(read(p.join("docs/index.md")), "new docs\n")
    });
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

// ---------------------------------------------------------------------------------------------
// Modes and binary files

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn executable_bits_changed_on_either_side_are_merged_like_content() {
    let e = Edge::new();
    let script = "#!/bin/sh\nset -eu\n\necho start\n\nexit 0\n";
    e.release_with(
        "1.0.0",
        "",
        &[
            ("bin/run.sh", script),
            ("bin/deploy.sh", script),
            ("bin/lint.sh", script),
        ],
        |t| {
            chmod(&t.join("bin/deploy.sh"), 0o755);
            chmod(&t.join("bin/lint.sh"), 0o755);
        },
    );
    e.release_with(
        "2.0.0",
        "",
        &[
            // Made executable, content unchanged.
            ("bin/run.sh", script),
            // Content changed, still executable.
            (
                "bin/deploy.sh",
                &script.replace("echo start", "echo deploy"),
            ),
            // No longer executable.
            ("bin/lint.sh", script),
        ],
        |t| {
            chmod(&t.join("bin/run.sh"), 0o755);
            chmod(&t.join("bin/deploy.sh"), 0o755);
        },
    );
    let p = e.project();
    assert_eq!(mode(&p.join("bin/run.sh")), 0o644);
    assert_eq!(mode(&p.join("bin/deploy.sh")), 0o755);
    edit_and_commit(&p, |p| {
        // Content edited; the template makes it executable.
        replace_in(&p.join("bin/run.sh"), "exit 0", "exit 3");
        // Made non-executable by the user; the template edits its content.
        chmod(&p.join("bin/deploy.sh"), 0o644);
    });
    let out = e.upgrade(&p, &[], 0);
    assert_eq!(
        read(p.join("bin/run.sh")),
        script.replace("exit 0", "exit 3")
    );
    assert_eq!(mode(&p.join("bin/run.sh")), 0o755, "{}", out.stdout);
    assert_eq!(
        read(p.join("bin/deploy.sh")),
        script.replace("echo start", "echo deploy")
    );
    assert_eq!(mode(&p.join("bin/deploy.sh")), 0o644);
    assert_eq!(mode(&p.join("bin/lint.sh")), 0o644);
    let modes: Vec<(String, String)> = git(&p, &["ls-files", "--stage", "bin"])
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            (
                path.to_string(),
                meta.split(' ').next().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        modes,
        [
            ("bin/deploy.sh".to_string(), "100644".to_string()),
            ("bin/lint.sh".to_string(), "100644".to_string()),
            ("bin/run.sh".to_string(), "100755".to_string()),
        ]
    );
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[cfg(unix)]
#[test]
fn files_the_upgrade_writes_keep_their_permissions() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[
            ("config.yaml", "a: 1\n"),
            ("secret.env", "K=1\n"),
            ("README.md", "r\n"),
        ],
    );
    e.release(
        "2.0.0",
        "",
        &[
            ("config.yaml", "a: 2\n"),
            ("secret.env", "K=2\n"),
            ("README.md", "r2\n"),
            ("new.txt", "n\n"),
        ],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        chmod(&p.join("secret.env"), 0o600);
        fs::write(p.join("README.md"), "mine\n").unwrap();
    });
    // What a plain write gives a new file here (the umask applied).
    fs::write(p.join("probe"), "").unwrap();
    let plain = mode(&p.join("probe"));
    fs::remove_file(p.join("probe")).unwrap();
    let modes = |p: &Path| {
        ["config.yaml", "secret.env", "README.md", ".goldpath.toml"].map(|f| (f, mode(&p.join(f))))
    };
    let before = modes(&p);
    assert_eq!(before[0].1, plain);

    // Updated, merged-with-conflict and new files, and the answers file.
    e.upgrade(&p, &[], 1);
    assert_eq!(read(p.join("config.yaml")), "a: 2\n");
    assert_eq!(modes(&p), before);
    assert_eq!(mode(&p.join("new.txt")), plain);
    // --abort restores them with their permissions too.
    let out = e.goldpath(&p, &["upgrade", "--abort"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(read(p.join("config.yaml")), "a: 1\n");
    assert_eq!(modes(&p), before);
    // And so does --continue for the answers file.
    e.upgrade(&p, &[], 1);
    fs::write(p.join("README.md"), "mine\n").unwrap();
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(modes(&p), before);
}

/// The id git gives `bytes` as a blob.
fn blob_id(dir: &Path, bytes: &[u8]) -> String {
    let file = dir.join("blob.tmp");
    fs::write(&file, bytes).unwrap();
    let id = git(dir, &["hash-object", &file.display().to_string()]);
    fs::remove_file(&file).unwrap();
    id.trim().to_string()
}

#[test]
fn binary_files_changed_on_both_sides_keep_the_users_and_record_all_three() {
    let e = Edge::new();
    let png = |tag: &str| format!("\u{89}PNG\r\n\u{1a}\n\0\0\0\rIHDR{tag}").into_bytes();
    e.release_with("1.0.0", "", &[("README.md", "r\n")], |t| {
        fs::create_dir_all(t.join("assets")).unwrap();
        fs::write(t.join("assets/logo.png"), png("v1")).unwrap();
        fs::write(t.join("assets/icon.png"), png("icon v1")).unwrap();
        fs::write(t.join("assets/font.bin"), png("font v1")).unwrap();
    });
    e.release_with("2.0.0", "", &[("README.md", "r\n")], |t| {
        fs::create_dir_all(t.join("assets")).unwrap();
        fs::write(t.join("assets/logo.png"), png("v2")).unwrap();
        fs::write(t.join("assets/icon.png"), png("icon v2")).unwrap();
        fs::write(t.join("assets/font.bin"), png("font v1")).unwrap();
    });
    let p = e.project();
    edit_and_commit(&p, |p| {
        fs::write(p.join("assets/logo.png"), png("ours")).unwrap();
        fs::write(p.join("assets/font.bin"), png("font ours")).unwrap();
    });
    let out = e.upgrade(&p, &[], 1);
    let report = out.stdout;
    assert!(
        report.contains("  C assets/logo.png  CONFLICT: binary, both changed\n")
            && report.contains("  U assets/icon.png  updated from the template\n")
            && report.contains("  = assets/font.bin  your changes kept (template unchanged)\n"),
        "{report}"
    );
    assert_eq!(fs::read(p.join("assets/logo.png")).unwrap(), png("ours"));
    assert_eq!(fs::read(p.join("assets/icon.png")).unwrap(), png("icon v2"));
    assert_eq!(
        fs::read(p.join("assets/font.bin")).unwrap(),
        png("font ours")
    );
    let ids: Vec<(u8, String)> = git(&p, &["ls-files", "--stage", "assets/logo.png"])
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[2].parse().unwrap(), f[1].to_string())
        })
        .collect();
    assert_eq!(
        ids,
        [
            (1, blob_id(&p, &png("v1"))),
            (2, blob_id(&p, &png("ours"))),
            (3, blob_id(&p, &png("v2"))),
        ]
    );
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("assets/logo.png (keep it with `git add assets/logo.png` or delete it with `git rm assets/logo.png`)"),
        "{}",
        out.stderr
    );
    git(&p, &["add", "assets/logo.png"]);
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&p, &["rev-parse", "HEAD:assets/logo.png"]).trim(),
        blob_id(&p, &png("ours"))
    );
}

// ---------------------------------------------------------------------------------------------
// A project in a folder of a bigger repository

/// A monorepo `mono/` holding the project at `services/orders/` (made from 1.0.0, then copied
/// in), a sibling `services/orders-legacy/` and `billing/`, all committed, then the user's edit
/// of the project committed.
fn monorepo(e: &Edge) -> (PathBuf, PathBuf, &'static str) {
    let config = "log_level: info\n\nport: 8080\n\nworkers: 4\n";
    e.release(
        "1.0.0",
        "[files]\nlocked = [\"ci/**\"]\n",
        &[
            ("config.yaml", config),
            ("ci/pipeline.yml", "steps: [test]\n"),
        ],
    );
    e.release(
        "2.0.0",
        "[files]\nlocked = [\"ci/**\"]\n",
        &[
            ("config.yaml", &config.replace("port: 8080", "port: 9090")),
            ("ci/pipeline.yml", "steps: [test, lint]\n"),
        ],
    );
    let made = e.project();
    let mono = e.ws.path("mono");
    let p = mono.join("services/orders");
    for (path, bytes) in snapshot(&made) {
        let to = p.join(path);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::write(to, bytes).unwrap();
    }
    write(
        &mono,
        &[
            ("README.md", "# mono\n"),
            ("billing/app.txt", "billing\n"),
            ("services/orders-legacy/notes.txt", "legacy\n"),
        ],
    );
    git(&mono, &["init", "-q", "-b", "main"]);
    edit_and_commit(&mono, |_| {});
    edit_and_commit(&p, |p| {
        replace_in(&p.join("config.yaml"), "port: 8080", "port: 7070");
    });
    (mono, p, config)
}

#[test]
fn a_project_in_a_monorepo_records_conflicts_and_commits_only_inside_it() {
    let e = Edge::new();
    let (mono, p, config) = monorepo(&e);
    // Outside the project, and not in the way: unstaged edits (one in a sibling folder whose
    // name starts with the project's) and an untracked file.
    fs::write(mono.join("billing/app.txt"), "billing, edited\n").unwrap();
    fs::write(
        mono.join("services/orders-legacy/notes.txt"),
        "legacy, edited\n",
    )
    .unwrap();
    write(&mono, &[("scratch.txt", "x\n")]);

    let out = e.upgrade(&p, &[], 1);
    assert!(
        out.stdout
            .contains("C config.yaml  CONFLICT: both changed (1 region)"),
        "{}",
        out.stdout
    );
    let rows = stages(&mono, "services/orders/config.yaml");
    assert_eq!(
        rows.iter().map(|r| (r.1, r.2.as_str())).collect::<Vec<_>>(),
        [
            (1, "services/orders/config.yaml"),
            (2, "services/orders/config.yaml"),
            (3, "services/orders/config.yaml"),
        ]
    );
    assert_eq!(git(&mono, &["ls-files", "--unmerged"]).lines().count(), 3);
    let merged = read(p.join("config.yaml"));
    assert!(
        merged.contains("<<<<<<< ours (your project)\nport: 7070\n=======\nport: 9090\n>>>>>>> theirs (golden path, new version)\n"),
        "{merged}"
    );
    fs::write(
        p.join("config.yaml"),
        config.replace("port: 8080", "port: 7070"),
    )
    .unwrap();
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(
        git(&mono, &["show", "--name-only", "--format=%s", "HEAD"]),
        "Upgrade edge 1.0.0 -> 2.0.0 (golden path)\n\nservices/orders/.goldpath.toml\nservices/orders/ci/pipeline.yml\n"
    );
    // Everything outside the project is as the user left it.
    assert_eq!(
        git(&mono, &["status", "--porcelain"]),
        " M billing/app.txt\n M services/orders-legacy/notes.txt\n?? scratch.txt\n"
    );
}

/// A change the user had staged elsewhere in the monorepo stays staged and out of the upgrade's
/// commit: the commit's tree is HEAD's with only the project's folder taken from the index.
#[test]
fn a_project_in_a_monorepo_leaves_files_staged_outside_it_out_of_its_commit() {
    let e = Edge::new();
    let (mono, p, _) = monorepo(&e);
    edit_and_commit(&p, |p| {
        replace_in(&p.join("config.yaml"), "port: 7070", "port: 8080");
    });
    write(&mono, &[("billing/staged.txt", "staged\n")]);
    git(&mono, &["add", "billing/staged.txt"]);
    e.upgrade(&p, &[], 0);
    assert_eq!(
        git(&mono, &["show", "--name-only", "--format=%s", "HEAD"]),
        "Upgrade edge 1.0.0 -> 2.0.0 (golden path)\n\nservices/orders/.goldpath.toml\nservices/orders/ci/pipeline.yml\nservices/orders/config.yaml\n"
    );
    assert_eq!(
        git(&mono, &["status", "--porcelain"]),
        "A  billing/staged.txt\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Uncommitted changes (--allow-dirty)

const FIVE: &str = "a\n\nb\n\nc\n";

fn dirty_bundle(e: &Edge) {
    e.release(
        "1.0.0",
        "",
        &[("config.yaml", FIVE), ("notes.md", "x\n\ny\n")],
    );
    e.release(
        "2.0.0",
        "",
        &[
            ("config.yaml", &FIVE.replace('a', "A")),
            ("notes.md", "x\n\nY\n"),
        ],
    );
}

#[test]
fn allow_dirty_merges_uncommitted_edits_and_abort_refuses_to_guess() {
    let e = Edge::new();
    dirty_bundle(&e);
    let p = e.project();
    fs::write(p.join("config.yaml"), FIVE.replace('c', "C")).unwrap();
    fs::write(p.join("notes.md"), "x\n\nMINE\n").unwrap();
    write(&p, &[("scratch.txt", "wip\n")]);

    let out = e.upgrade(&p, &[], 2);
    assert!(
        out.stderr.starts_with("error: the project has uncommitted changes:\n  config.yaml\n  notes.md\n  scratch.txt\n"),
        "{}",
        out.stderr
    );
    let out = e.upgrade(&p, &["--allow-dirty"], 1);
    assert!(
        out.stdout
            .contains("M config.yaml  merged; your changes kept")
            && out
                .stdout
                .contains("C notes.md  CONFLICT: both changed (1 region)"),
        "{}",
        out.stdout
    );
    assert_eq!(read(p.join("config.yaml")), "A\n\nb\n\nC\n");
    crate::assert_text_snapshot!("dirty_upgrade_conflict_file", read(p.join("notes.md")));
    let during = snapshot(&p);
    let out = e.goldpath(&p, &["upgrade", "--abort"]);
    assert_eq!(out.code, Some(2));
    crate::assert_text_snapshot!("abort_refused_after_a_dirty_upgrade", out.stderr);
    assert_eq!(snapshot(&p), during);

    // Finishing does not commit the user's unrelated work (scratch.txt) as part of the upgrade.
    fs::write(p.join("notes.md"), "x\n\nMINE\n").unwrap();
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "Upgrade finished (not committed: it started with uncommitted changes; review them with `git status` and commit).\n"
    );
    assert_eq!(commit_count(&p), 1);
    assert!(read(p.join(".goldpath.toml")).contains("version = \"2.0.0\""));
    assert!(!read(p.join(".goldpath.toml")).contains("[upgrade]"));
}

#[test]
fn allow_dirty_does_not_commit_the_users_uncommitted_work_with_the_upgrade() {
    let e = Edge::new();
    dirty_bundle(&e);
    let p = e.project();
    fs::write(p.join("config.yaml"), FIVE.replace('c', "C")).unwrap();
    write(&p, &[(".env.local", "TOKEN=secret\n")]);
    let out = e.upgrade(&p, &["--allow-dirty"], 0);
    assert!(
        out.stdout.ends_with("\nUpgraded to edge 2.0.0 (not committed: it started with uncommitted changes; review them with `git status` and commit).\n"),
        "{}",
        out.stdout
    );
    assert_eq!(commit_count(&p), 1);
    assert_eq!(read(p.join("config.yaml")), "A\n\nb\n\nC\n");
    assert_eq!(read(p.join("notes.md")), "x\n\nY\n");
    assert_eq!(
        git(&p, &["status", "--porcelain"]),
        " M .goldpath.toml\n M config.yaml\n M notes.md\n?? .env.local\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Line-ending conventions and markers on the user's side only

const SEVEN: &str = "one: 1\n\ntwo: 2\n\nthree: 3\n\nfour: 4\n";

#[test]
fn the_users_line_endings_bom_and_missing_final_newline_survive_a_merge() {
    let e = Edge::new();
    let tail = "[files]\nlocked = [\"ci/**\"]\n";
    let changed = SEVEN.replace("one: 1", "one: 10");
    let names = [
        "config.yaml",
        "bom.md",
        "nonl.txt",
        "crlf-only.md",
        "ci/pipeline.yml",
        "ci/same.yml",
    ];
    let v1: Vec<(&str, &str)> = names.iter().map(|f| (*f, SEVEN)).collect();
    let v2: Vec<(&str, &str)> = names
        .iter()
        .map(|f| (*f, if *f == "ci/same.yml" { SEVEN } else { &changed }))
        .collect();
    e.release("1.0.0", tail, &v1);
    e.release("2.0.0", tail, &v2);
    let p = e.project();
    let crlf = |s: &str| s.replace('\n', "\r\n");
    edit_and_commit(&p, |p| {
        fs::write(
            p.join("config.yaml"),
            crlf(&SEVEN.replace("four: 4", "four: 40")),
        )
        .unwrap();
        fs::write(
            p.join("bom.md"),
            format!("\u{feff}{}", SEVEN.replace("four: 4", "four: 40")),
        )
        .unwrap();
        fs::write(p.join("nonl.txt"), SEVEN.replace("four: 4\n", "four: 40")).unwrap();
        fs::write(p.join("crlf-only.md"), crlf(SEVEN)).unwrap();
        fs::write(p.join("ci/pipeline.yml"), crlf(SEVEN)).unwrap();
        fs::write(p.join("ci/same.yml"), crlf(SEVEN)).unwrap();
    });
    let out = e.upgrade(&p, &[], 0);
    eprintln!("{}", out.stdout);
    let both = SEVEN
        .replace("one: 1", "one: 10")
        .replace("four: 4", "four: 40");
    assert_eq!(read(p.join("config.yaml")), crlf(&both));
    assert_eq!(read(p.join("bom.md")), format!("\u{feff}{both}"));
    assert_eq!(read(p.join("nonl.txt")), both.trim_end());
    assert_eq!(
        read(p.join("crlf-only.md")),
        crlf(&SEVEN.replace("one: 1", "one: 10"))
    );
    assert_eq!(
        read(p.join("ci/pipeline.yml")),
        crlf(&SEVEN.replace("one: 1", "one: 10"))
    );
    assert_eq!(read(p.join("ci/same.yml")), crlf(SEVEN));
    // check agrees with upgrade: line endings alone are not drift of a locked file.
    let out = e.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert!(!out.stdout.contains("drift"), "{}", out.stdout);
    assert!(
        out.stdout.ends_with(
            "note: customised (merged on upgrade, your changes kept): bom.md, config.yaml, nonl.txt\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn conflict_markers_the_user_committed_before_the_upgrade_do_not_block_continue() {
    let e = Edge::new();
    let contributing = "# Contributing\n\nRun tests.\n\nOpen a PR.\n";
    e.release("1.0.0", "", &[("CONTRIBUTING.md", contributing)]);
    e.release(
        "2.0.0",
        "",
        &[(
            "CONTRIBUTING.md",
            &contributing.replace("Run tests.", "Run cargo test."),
        )],
    );
    let p = e.project();
    let example = "\n## Resolving conflicts\n\n```\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> branch\n```\n";
    let mine = format!(
        "{}{example}",
        contributing.replace("Run tests.", "Run make test.")
    );
    edit_and_commit(&p, |p| fs::write(p.join("CONTRIBUTING.md"), &mine).unwrap());
    e.upgrade(&p, &[], 1);
    // The upgrade's markers are one longer than the user's, so both can be told apart.
    crate::assert_text_snapshot!(
        "conflict_markers_one_longer_than_the_users",
        read(p.join("CONTRIBUTING.md"))
    );
    // Resolving the upgrade's conflict is enough; the user's example stays.
    let resolved = format!(
        "{}{example}",
        contributing.replace("Run tests.", "Run cargo test.")
    );
    fs::write(p.join("CONTRIBUTING.md"), &resolved).unwrap();
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert_eq!(read(p.join("CONTRIBUTING.md")), resolved);
    assert_eq!(commit_count(&p), 3);
    // A new block of the user's own is still a conflict left unresolved.
    let e = Edge::new();
    e.release("1.0.0", "", &[("CONTRIBUTING.md", contributing)]);
    e.release(
        "2.0.0",
        "",
        &[(
            "CONTRIBUTING.md",
            &contributing.replace("Run tests.", "Run cargo test."),
        )],
    );
    let p = e.project();
    edit_and_commit(&p, |p| fs::write(p.join("CONTRIBUTING.md"), &mine).unwrap());
    e.upgrade(&p, &[], 1);
    fs::write(
        p.join("CONTRIBUTING.md"),
        format!("{resolved}<<<<<<< HEAD\nnew\n=======\nold\n>>>>>>> x\n"),
    )
    .unwrap();
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("CONTRIBUTING.md (conflict markers remain)"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Upgrades in a row, and answers that render paths

const APP: &str = "name: orders\n\nreplicas: 2\n\nport: 8080\n\nlog: info\n";

fn three_versions(e: &Edge) {
    let m2 = "[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts/rules.yaml\", to = \"alerts/slo.yaml\" }\n";
    let m3 = "[[migrations]]\nversion = \"3.0.0\"\nrename = { from = \"alerts\", to = \"monitoring\" }\n";
    e.release(
        "1.0.0",
        "",
        &[("app.yaml", APP), ("alerts/rules.yaml", RULES)],
    );
    e.release(
        "2.0.0",
        m2,
        &[
            ("app.yaml", &APP.replace("replicas: 2", "replicas: 3")),
            ("alerts/slo.yaml", RULES),
        ],
    );
    e.release(
        "3.0.0",
        &format!("{m2}{m3}"),
        &[
            (
                "app.yaml",
                &APP.replace("replicas: 2", "replicas: 3")
                    .replace("port: 8080", "port: 9090"),
            ),
            (
                "monitoring/slo.yaml",
                &RULES.replace("errors > 0.01", "errors > 0.0144"),
            ),
        ],
    );
}

fn local_edits(p: &Path) {
    replace_in(&p.join("app.yaml"), "log: info", "log: debug");
    replace_in(
        &p.join("alerts/rules.yaml"),
        "severity: page",
        "severity: ticket",
    );
}

#[test]
fn two_upgrades_in_a_row_end_where_one_upgrade_does() {
    let e = Edge::new();
    three_versions(&e);
    let stepwise = e.project_at("stepwise");
    let direct = e.project_at("direct");
    edit_and_commit(&stepwise, local_edits);
    edit_and_commit(&direct, local_edits);

    let out = e.upgrade(&stepwise, &["--to", "2.0.0"], 0);
    assert!(
        out.stdout
            .contains("2.0.0: renamed alerts/rules.yaml to alerts/slo.yaml"),
        "{}",
        out.stdout
    );
    let out = e.goldpath(&stepwise, &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "error: outdated: edge 3.0.0 is available; this project is on 2.0.0 (1 version behind"
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("drift"), "{}", out.stdout);
    e.upgrade(&stepwise, &[], 0);
    assert!(last_message(&stepwise).starts_with("Upgrade edge 2.0.0 -> 3.0.0 (golden path)\n\nMigrations:\n- 3.0.0: renamed alerts to monitoring\n"));

    e.upgrade(&direct, &[], 0);
    assert!(last_message(&direct).starts_with("Upgrade edge 1.0.0 -> 3.0.0 (golden path)\n\nMigrations:\n- 2.0.0: renamed alerts/rules.yaml to alerts/slo.yaml\n- 3.0.0: renamed alerts to monitoring\n"));

    let expected_app = APP
        .replace("replicas: 2", "replicas: 3")
        .replace("port: 8080", "port: 9090")
        .replace("log: info", "log: debug");
    let expected_slo = RULES
        .replace("errors > 0.01", "errors > 0.0144")
        .replace("severity: page", "severity: ticket");
    for p in [&stepwise, &direct] {
        assert_eq!(read(p.join("app.yaml")), expected_app);
        assert_eq!(read(p.join("monitoring/slo.yaml")), expected_slo);
        assert_eq!(
            git(p, &["ls-files"]),
            ".goldpath.toml\napp.yaml\nmonitoring/slo.yaml\n"
        );
        assert_eq!(git(p, &["status", "--porcelain"]), "");
        let out = e.goldpath(p, &["check"]);
        assert_eq!(out.code, Some(0), "{}", out.stdout);
    }
    assert_eq!(snapshot(&stepwise), snapshot(&direct));
    assert_eq!(commit_count(&stepwise), 4);
    assert_eq!(commit_count(&direct), 3);
}

#[test]
fn changing_an_answer_that_renders_a_path_moves_the_file_with_its_edits() {
    let e = Edge::new();
    let deploy =
        "name: {{ service_name }}\n\nreplicas: 2\n\nimage: acme/{{ service_name }}\n\nport: 8080\n";
    e.release(
        "1.0.0",
        "",
        &[
            ("deploy/{{ service_name }}.yaml.tera", deploy),
            ("README.md", "# readme\n"),
        ],
    );
    let p = e.project();
    assert!(p.join("deploy/orders.yaml").exists());
    edit_and_commit(&p, |p| {
        replace_in(&p.join("deploy/orders.yaml"), "port: 8080", "port: 9000")
    });
    let out = e.upgrade(&p, &["--set", "service_name=payments"], 0);
    assert!(
        out.stdout
            .contains("Rename detected by content: deploy/orders.yaml -> deploy/payments.yaml"),
        "{}",
        out.stdout
    );
    assert!(!p.join("deploy/orders.yaml").exists());
    assert_eq!(
        read(p.join("deploy/payments.yaml")),
        "name: payments\n\nreplicas: 2\n\nimage: acme/payments\n\nport: 9000\n"
    );
    assert!(read(p.join(".goldpath.toml")).contains("service_name = \"payments\""));
    let message = last_message(&p);
    assert!(
        message.starts_with("Upgrade edge 1.0.0 -> 1.0.0 (golden path)\n\nChanged answers:\n- service_name = payments (was orders)\n"),
        "{message}"
    );
    assert!(
        message.contains("Renamed by the template:\n- deploy/orders.yaml -> deploy/payments.yaml (found by content)\n"),
        "{message}"
    );
    let out = e.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// What check says around upgrades

#[test]
fn check_is_clean_after_new_and_after_a_clean_upgrade() {
    let e = Edge::new();
    dirty_bundle(&e);
    let p = e.project();
    let out = e.goldpath(
        &p,
        &["check", "--fail-on", "drift,conflict-markers,customised"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    // Only the note that 2.0.0 exists: no drift, markers or customised files.
    let text = out.stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].ends_with("): 2 files checked, ok"), "{text}");
    assert!(
        lines[1].starts_with("note: outdated: edge 2.0.0 is available"),
        "{text}"
    );
    e.upgrade(&p, &[], 0);
    let out = e.goldpath(
        &p,
        &[
            "check",
            "--fail-on",
            "outdated,drift,conflict-markers,customised",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert!(out.stdout.starts_with("edge 2.0.0 ("), "{}", out.stdout);
    assert!(
        out.stdout.ends_with("): 2 files checked, ok\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn check_during_a_conflicted_upgrade_reports_the_conflicts_not_the_upgrades_own_changes() {
    let e = Edge::new();
    let tail = "[files]\nlocked = [\"ci/**\"]\n";
    e.release(
        "1.0.0",
        tail,
        &[
            ("config.yaml", FIVE),
            ("ci/pipeline.yml", "steps: [test]\n"),
            ("docs/a.md", "a\n"),
        ],
    );
    e.release(
        "2.0.0",
        &format!("{tail}[[migrations]]\nversion = \"2.0.0\"\nrename = {{ from = \"docs/a.md\", to = \"docs/b.md\" }}\n"),
        &[
            ("config.yaml", &FIVE.replace('a', "A")),
            ("ci/pipeline.yml", "steps: [test, lint]\n"),
            ("docs/b.md", "a\n"),
        ],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        fs::write(p.join("config.yaml"), FIVE.replace('a', "X")).unwrap()
    });
    e.upgrade(&p, &[], 1);
    let out = e.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    let text = out.stdout;
    assert!(
        text.contains("error: an upgrade to 2.0.0 stopped on conflicts; finish it with `goldpath upgrade --continue` or undo it with `goldpath upgrade --abort`\n")
            && text.contains("error: conflict markers: config.yaml still holds conflict markers."),
        "{text}"
    );
    // The locked file the upgrade updated, and the file it moved, are not the user's drift.
    assert!(!text.contains("drift"), "{text}");
    assert!(!text.contains("customised"), "{text}");
    assert!(!text.contains("outdated"), "{text}");
    // Once finished, the project checks clean.
    fs::write(p.join("config.yaml"), FIVE.replace('a', "A")).unwrap();
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    let out = e.goldpath(&p, &["check"]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
}

#[test]
fn setting_an_answer_to_its_recorded_value_changes_nothing() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[(
            "deploy/{{ service_name }}.yaml.tera",
            "name: {{ service_name }}\n",
        )],
    );
    let p = e.project();
    let out = e.upgrade(&p, &["--set", "service_name=orders"], 0);
    assert_eq!(
        out.stdout,
        format!(
            "Up to date: edge 1.0.0 is the newest version in {}.\n",
            e.url
        )
    );
    assert_eq!(commit_count(&p), 1);
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
}

#[test]
fn check_reports_a_template_folder_the_user_replaced_with_a_file() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "[files]\nlocked = [\"ci/**\"]\n",
        &[
            ("ci/pipeline.yml", "steps: [test]\n"),
            ("docs/index.md", "# docs\n"),
        ],
    );
    let p = e.project();
    fs::remove_dir_all(p.join("docs")).unwrap();
    fs::write(p.join("docs"), "see the wiki\n").unwrap();
    fs::remove_dir_all(p.join("ci")).unwrap();
    fs::write(p.join("ci"), "no ci\n").unwrap();
    let out = e.goldpath(&p, &["check", "--fail-on", "drift"]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("error: drift: ci/pipeline.yml is owned by the golden path edge 1.0.0 (locked) and was deleted.")
            && out.stdout.contains("note: customised (merged on upgrade, your changes kept): docs/index.md\n"),
        "{}",
        out.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// Crashes and --abort with renames and file/folder changes

/// A release 2.0.0 that renames a folder, turns a file into a folder and a folder into a file,
/// deletes, updates and adds, over a 1.0.0 project with edits.
fn everything_moves(e: &Edge) -> PathBuf {
    e.release(
        "1.0.0",
        "",
        &[
            ("alerts/rules.yaml", RULES),
            ("alerts/burn.yaml", BURN),
            ("docs", DOCS),
            ("guide/index.md", NOTES),
            ("old.txt", "old\n"),
            ("config.yaml", FIVE),
        ],
    );
    e.release(
        "2.0.0",
        "[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts\", to = \"monitoring\" }\n",
        &[
            (
                "monitoring/rules.yaml",
                &RULES.replace("errors > 0.01", "errors > 0.0144"),
            ),
            ("monitoring/burn.yaml", BURN),
            ("docs/index.md", DOCS),
            ("guide", NOTES),
            ("config.yaml", &FIVE.replace('a', "A")),
            ("new.txt", "new\n"),
        ],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        replace_in(
            &p.join("alerts/rules.yaml"),
            "severity: page",
            "severity: ticket",
        );
        replace_in(&p.join("docs"), "On-call.", "On-call: #orders.");
    });
    p
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_crash_at_any_write_leaves_a_tree_abort_restores() {
    let e = Edge::new();
    let p = everything_moves(&e);
    let before = snapshot(&p);
    let mut crashed = 0;
    for n in 0.. {
        let out =
            e.ws.command(&p, &["upgrade", "--defaults", "--no-input"])
                .env("GOLDPATH_FAULT_AFTER_WRITES", n.to_string())
                .run();
        if out.is_success() {
            break;
        }
        crashed += 1;
        let abort = e.goldpath(&p, &["upgrade", "--abort"]);
        assert!(abort.is_success(), "write {n}: {}", abort.stderr);
        if abort
            .stdout
            .contains("Nothing to abort: the upgrade was committed")
        {
            // Killed after its commit landed: recovery brings the index up to HEAD.
            assert_eq!(git(&p, &["status", "--porcelain"]), "", "write {n}");
            assert!(last_message(&p).starts_with("Upgrade edge 1.0.0 -> 2.0.0"));
            break;
        }
        assert_eq!(snapshot(&p), before, "after a crash at write {n}");
        assert_eq!(
            git(&p, &["status", "--porcelain"]),
            "",
            "after a crash at write {n}"
        );
    }
    // Every write was a crash point: the moves, the removals, the other writes, the answers.
    assert!(crashed >= 10, "{crashed}");
    assert_eq!(
        git(&p, &["ls-files"]),
        ".goldpath.toml\nconfig.yaml\ndocs/index.md\nguide\nmonitoring/burn.yaml\nmonitoring/rules.yaml\nnew.txt\n"
    );
    assert_eq!(
        read(p.join("docs/index.md")),
        DOCS.replace("On-call.", "On-call: #orders.")
    );
    assert_eq!(
        read(p.join("monitoring/rules.yaml")),
        RULES
            .replace("errors > 0.01", "errors > 0.0144")
            .replace("severity: page", "severity: ticket")
    );
}

#[test]
fn abort_after_renames_and_file_folder_changes_restores_everything() {
    let e = Edge::new();
    let p = everything_moves(&e);
    edit_and_commit(&p, |p| {
        fs::write(p.join("config.yaml"), FIVE.replace('a', "X")).unwrap()
    });
    e.stopped_then_aborted(&p, &p, || {
        assert!(p.join("monitoring/rules.yaml").exists() && p.join("guide").is_file())
    });
    assert_eq!(git(&p, &["status", "--porcelain"]), "");
    for gone in ["monitoring", "docs/index.md", "new.txt"] {
        assert!(!p.join(gone).exists(), "{gone}");
    }
}

#[test]
fn a_folder_the_template_drops_loses_only_its_unchanged_files() {
    let e = Edge::new();
    e.release(
        "1.0.0",
        "",
        &[
            ("legacy/Makefile", "all:\n"),
            ("legacy/build.sh", "make\n"),
            ("README.md", "r\n"),
        ],
    );
    e.release(
        "2.0.0",
        "[[migrations]]\nversion = \"2.0.0\"\ndelete = \"legacy/\"\n",
        &[("README.md", "r\n")],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        fs::write(p.join("legacy/build.sh"), "make -j8\n").unwrap();
        write(p, &[("legacy/notes.md", "ours\n")]);
    });
    let out = e.upgrade(&p, &[], 1);
    let report = out.stdout;
    assert!(!p.join("legacy/Makefile").exists(), "{report}");
    assert_eq!(read(p.join("legacy/build.sh")), "make -j8\n");
    assert_eq!(read(p.join("legacy/notes.md")), "ours\n");
    assert!(
        report.contains("C legacy/build.sh  CONFLICT: modified by you, deleted by the template"),
        "{report}"
    );
}

#[test]
fn a_folder_renamed_onto_a_file_of_the_users_is_refused_before_writing() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("alerts/rules.yaml", RULES)]);
    e.release(
        "2.0.0",
        "[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts\", to = \"monitoring\" }\n",
        &[("monitoring/rules.yaml", RULES)],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        write(p, &[("monitoring", "our dashboards are in grafana\n")])
    });
    e.refused_untouched(
        &p,
        "error: the template writes monitoring/rules.yaml, but monitoring is a file the upgrade keeps (you changed it, or it is not the template's), so the folder monitoring/ cannot be made; move it aside (`git mv monitoring monitoring.local`), commit, and upgrade again\n",
    );
}

#[cfg(unix)]
#[test]
fn a_conflict_records_each_sides_mode_in_the_index() {
    let e = Edge::new();
    let script = "#!/bin/sh\n\necho one\n\nexit 0\n";
    e.release("1.0.0", "", &[("run.sh", script)]);
    e.release_with(
        "2.0.0",
        "",
        &[("run.sh", &script.replace("echo one", "echo two"))],
        |t| chmod(&t.join("run.sh"), 0o755),
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        replace_in(&p.join("run.sh"), "echo one", "echo mine")
    });
    e.upgrade(&p, &[], 1);
    assert_eq!(
        stages(&p, "run.sh")
            .into_iter()
            .map(|(mode, stage, _)| (stage, mode))
            .collect::<Vec<_>>(),
        [
            (1, "100644".to_string()),
            (2, "100644".to_string()),
            (3, "100755".to_string()),
        ]
    );
    // The template made it executable and the user did not object: the file is.
    assert_eq!(mode(&p.join("run.sh")), 0o755);
}

#[test]
fn a_renamed_locked_file_edited_locally_is_a_conflict_at_its_new_path() {
    let e = Edge::new();
    let tail = "[files]\nlocked = [\"ci/**\"]\n";
    let pipeline = "steps:\n  - test\n\n  - lint\n";
    e.release("1.0.0", tail, &[("ci/pipeline.yml", pipeline)]);
    e.release(
        "2.0.0",
        &format!("{tail}[[migrations]]\nversion = \"2.0.0\"\nrename = {{ from = \"ci/pipeline.yml\", to = \"ci/main.yml\" }}\n"),
        &[("ci/main.yml", pipeline)],
    );
    let p = e.project();
    let mine = format!("{pipeline}  - deploy\n");
    edit_and_commit(&p, |p| fs::write(p.join("ci/pipeline.yml"), &mine).unwrap());
    let out = e.upgrade(&p, &[], 1);
    assert!(
        out.stdout.contains(
            "C ci/pipeline.yml -> ci/main.yml  CONFLICT: locked file edited locally (1 region)"
        ),
        "{}",
        out.stdout
    );
    assert!(!p.join("ci/pipeline.yml").exists());
    crate::assert_text_snapshot!("renamed_locked_file_conflict", read(p.join("ci/main.yml")));
    let ids: Vec<u8> = stages(&p, "ci/main.yml").iter().map(|s| s.1).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(
        git(&p, &["show", ":2:ci/main.yml"]),
        mine,
        "stage 2 is the user's file, carried from its old path"
    );
}

#[test]
fn abort_in_a_monorepo_restores_only_the_project() {
    let e = Edge::new();
    let (mono, p, _) = monorepo(&e);
    fs::write(mono.join("billing/app.txt"), "billing, edited\n").unwrap();
    e.stopped_then_aborted(&p, &mono, || {});
    assert_eq!(
        git(&mono, &["status", "--porcelain"]),
        " M billing/app.txt\n"
    );
}

#[test]
fn the_upgrades_own_markers_block_continue_even_once_committed() {
    let e = Edge::new();
    let config = "name: app\nreplicas: 2\nport: 8080\n";
    e.release("1.0.0", "", &[("config.yaml", config)]);
    e.release(
        "2.0.0",
        "",
        &[("config.yaml", &config.replace("replicas: 2", "replicas: 3"))],
    );
    let p = e.project();
    edit_and_commit(&p, |p| {
        fs::write(
            p.join("config.yaml"),
            config.replace("replicas: 2", "replicas: 5"),
        )
        .unwrap()
    });
    e.upgrade(&p, &[], 1);
    let record = read(p.join(".goldpath.toml"));
    assert!(
        record.contains("[upgrade.marker_sizes]\n\"config.yaml\" = 7\n"),
        "{record}"
    );
    // A work-in-progress commit of the unresolved file: its markers are now at HEAD too.
    let marked = read(p.join("config.yaml"));
    assert!(marked.contains("<<<<<<< ours"), "{marked}");
    edit_and_commit(&p, |_| {});
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("config.yaml (conflict markers remain)"),
        "{}",
        out.stderr
    );
    fs::write(
        p.join("config.yaml"),
        config.replace("replicas: 2", "replicas: 4"),
    )
    .unwrap();
    let out = e.goldpath(&p, &["upgrade", "--continue"]);
    assert!(out.is_success(), "{}", out.stderr);
    assert!(!read(p.join(".goldpath.toml")).contains("[upgrade"));
}

/// `--continue` and `--abort` with `--format json` after the same step was cut off at each
/// write: the recovery's words go to stderr, and stdout is still one upgrade report (committed,
/// or aborted), valid against docs/upgrade-report.schema.json.
#[cfg(feature = "fault-injection")]
#[test]
fn continue_and_abort_in_json_after_a_cut_off_step_print_one_report() {
    let e = Edge::new();
    e.release("1.0.0", "", &[("a.txt", "one\ntwo\n")]);
    e.release("2.0.0", "", &[("a.txt", "one\nTWO\n"), ("b.txt", "b\n")]);
    for (step, status) in [("--continue", "committed"), ("--abort", "aborted")] {
        let mut cut = 0;
        for n in 0.. {
            let p = e.project_at(&format!("json{step}-{n}"));
            edit_and_commit(&p, |p| fs::write(p.join("a.txt"), "one\nmine\n").unwrap());
            let before = snapshot(&p);
            e.upgrade(&p, &[], 1);
            fs::write(p.join("a.txt"), "one\nresolved\n").unwrap();
            let out =
                e.ws.command(&p, &["upgrade", step, "--format", "json"])
                    .env("GOLDPATH_FAULT_AFTER_WRITES", n.to_string())
                    .run();
            if out.is_success() {
                break;
            }
            cut += 1;
            let again = e.goldpath(&p, &["upgrade", step, "--format", "json"]);
            assert_eq!(again.code, Some(0), "{step} at {n}: {}", again.stderr);
            let report: serde_json::Value = serde_json::from_str(&again.stdout)
                .unwrap_or_else(|err| panic!("{step} at {n}: {err}\n{}", again.stdout));
            crate::harness::assert_json_schema("upgrade-report.schema.json", &report);
            assert_eq!(report["status"], status, "{step} at {n}: {report:#}");
            assert_eq!(
                (&report["from"], &report["to"]),
                (&"1.0.0".into(), &"2.0.0".into()),
                "{step} at {n}"
            );
            assert_eq!(git(&p, &["status", "--porcelain"]), "", "{step} at {n}");
            if step == "--abort" {
                assert_eq!(report["commit"], serde_json::Value::Null);
                assert_eq!(snapshot(&p), before, "{step} at {n}");
            } else {
                assert_eq!(report["commit"], git(&p, &["rev-parse", "HEAD"]).trim());
                assert_eq!(read(p.join("a.txt")), "one\nresolved\n");
            }
        }
        // `--abort` restores through git's checkout, which no fault point interrupts; the
        // loop still proves its report when it runs whole.
        assert!(cut >= 1 || step == "--abort", "{step} was never cut off");
    }
}
