//! rust-service's newest release (1.2.0 for issue #14, 1.4.0 and 1.5.0 for issue #15): the generated
//! pipelines get goldpath from a pinned commit and their check job's own commands pass against a
//! locally built goldpath; Cargo.lock is shipped and every build is `--locked`; actions are pinned
//! to commit ids; one toolchain for CI and the image; the README deploys a tag the pipeline
//! pushes; unedited projects of every earlier release upgrade to it without conflicts and pass
//! `check`.

use crate::harness::{read, Workspace};
use std::path::{Path, PathBuf};

const NEWEST: &str = "1.5.1";
const REV: &str = "0123456789abcdef0123456789abcdef01234567";
const REPO: &str = "https://git.example.com/platform/goldpath.git";

/// A committed project from rust-service `version` with `ci`, named `name`, and `extra` args.
fn project(s: &Workspace, name: &str, version: &str, ci: &str, extra: &[&str]) -> PathBuf {
    let ci = format!("ci={ci}");
    let service = format!("service_name={name}");
    let mut args = vec!["rust-service", name, "--version", version];
    args.extend(["--set", &ci, "--set", &service]);
    args.extend_from_slice(extra);
    s.new_project(&args)
}

/// The lines of the YAML block that starts with the line `header` and ends before the next
/// line indented at most as much.
fn block<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    let indent = header.len() - header.trim_start().len();
    let mut lines = text.lines().skip_while(|l| *l != header);
    assert!(lines.next().is_some(), "no `{header}` in\n{text}");
    lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        .collect()
}

/// A one-line YAML scalar's text: a single-quoted one unquoted (`''` is a quote).
fn yaml_plain(scalar: &str) -> String {
    match scalar.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => scalar.to_string(),
    }
}

/// `KEY: value` in `lines`, the first one.
fn value<'a>(lines: &[&'a str], key: &str) -> &'a str {
    let prefix = format!("{key}: ");
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no {key} in {lines:#?}"))
}

/// Runs the check job's commands in `project` as its CI would, with `cargo` and `rustup`
/// standing in for the real ones: `cargo` accepts only the pinned install and puts the goldpath
/// this test suite built where `cargo install` would.
fn run_job(project: &Path, env: &[(&str, &str)], commands: &[String]) {
    let tmp = tempfile::tempdir().unwrap();
    let shims = tmp.path().join("shims");
    let cargo_home = tmp.path().join("cargo");
    std::fs::create_dir_all(&shims).unwrap();
    let cargo = format!(
        "#!/bin/sh\nset -eu\nwant=\"install --locked --git {REPO} --rev {REV} goldpath\"\n\
         if [ \"$*\" != \"$want\" ]; then echo \"unexpected: cargo $*\" >&2; exit 3; fi\n\
         mkdir -p \"$CARGO_HOME/bin\"\ncp \"{}\" \"$CARGO_HOME/bin/goldpath\"\n",
        env!("CARGO_BIN_EXE_goldpath")
    );
    let rustup = "#!/bin/sh\nset -eu\n[ \"$1 $2\" = \"toolchain install\" ] || { echo \"unexpected: rustup $*\" >&2; exit 3; }\n";
    for (name, text) in [("cargo", cargo.as_str()), ("rustup", rustup)] {
        let path = shims.join(name);
        std::fs::write(&path, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}:/usr/local/bin:/usr/bin:/bin",
        shims.display(),
        cargo_home.join("bin").display()
    );
    for command in commands {
        let out = std::process::Command::new("sh")
            .args(["-ec", command])
            .current_dir(project)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", tmp.path())
            .env("CARGO_HOME", &cargo_home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{command}` failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[cfg(unix)]
#[test]
fn each_check_job_installs_goldpath_from_a_pinned_commit_and_passes() {
    let s = Workspace::new();
    let (rev, repo) = (
        format!("goldpath_rev={REV}"),
        format!("goldpath_repo={REPO}"),
    );
    let pinned = ["--set", rev.as_str(), "--set", repo.as_str()];

    let p = project(&s, "orders-api", NEWEST, "github", &pinned);
    let workflow = read(p.join(".github/workflows/ci.yaml"));
    let job = block(&workflow, "  goldpath:");
    assert_eq!(value(&job, "GOLDPATH_REPO"), REPO);
    assert_eq!(value(&job, "GOLDPATH_REV"), REV);
    let runs: Vec<String> = job
        .iter()
        .filter_map(|l| l.trim().strip_prefix("run: "))
        .map(str::to_string)
        .collect();
    assert_eq!(runs.len(), 3, "{job:#?}");
    run_job(&p, &[("GOLDPATH_REPO", REPO), ("GOLDPATH_REV", REV)], &runs);

    let p = project(&s, "billing", NEWEST, "gitlab", &pinned);
    let pipeline = read(p.join(".gitlab-ci.yml"));
    let job = block(&pipeline, "goldpath-check:");
    assert_eq!(value(&job, "GOLDPATH_REPO"), REPO);
    assert_eq!(value(&job, "GOLDPATH_REV"), REV);
    let script: Vec<String> = job
        .iter()
        .skip_while(|l| l.trim() != "script:")
        .skip(1)
        .take_while(|l| l.trim().starts_with("- "))
        .map(|l| yaml_plain(&l.trim()[2..]))
        .collect();
    assert_eq!(script.len(), 2, "{job:#?}");
    run_job(
        &p,
        &[("GOLDPATH_REPO", REPO), ("GOLDPATH_REV", REV)],
        &script,
    );
    let junit = read(p.join("goldpath-check.xml"));
    assert!(
        junit.contains("<testsuite") && junit.contains("failures=\"0\""),
        "{junit}"
    );

    // Nothing anywhere installs goldpath by a registry name someone else could publish.
    for text in [&workflow, &pipeline] {
        assert!(!text.contains("cargo install goldpath"), "{text}");
    }
}

#[test]
fn the_default_pin_is_a_full_commit_id_and_a_tag_is_refused() {
    let s = Workspace::new();
    let p = project(&s, "orders-api", NEWEST, "github", &[]);
    let workflow = read(p.join(".github/workflows/ci.yaml"));
    let job = block(&workflow, "  goldpath:");
    let rev = value(&job, "GOLDPATH_REV");
    assert!(
        rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
        "{rev}"
    );
    assert_eq!(
        value(&job, "GOLDPATH_REPO"),
        "https://github.com/acme/goldpath.git"
    );
    let out = s.goldpath(
        s.root(),
        &[
            "new",
            "rust-service",
            "tagged",
            "--defaults",
            "--no-input",
            "--set",
            "service_name=tagged",
            "--set",
            "goldpath_rev=v1.0.0",
        ],
    );
    assert_eq!(out.code, Some(2), "{out}");
    out.stderr_contains("must be a full 40-character commit id");
}

#[test]
fn actions_are_pinned_to_commit_ids_that_renovate_updates() {
    let s = Workspace::new();
    let p = project(&s, "orders-api", NEWEST, "github", &[]);
    let workflow = read(p.join(".github/workflows/ci.yaml"));
    let uses: Vec<&str> = workflow
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("uses: "))
        .collect();
    assert!(uses.len() >= 10, "{uses:#?}");
    for u in uses {
        let (action, rest) = u.split_once('@').unwrap();
        // Two spaces before the comment: yamllint's `comments` rule (tests/validators).
        let (sha, comment) = rest.split_once("  # ").unwrap_or((rest, ""));
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{action} is not pinned to a commit id: {u}"
        );
        assert!(
            comment.starts_with('v') && comment[1..].split('.').all(|n| n.parse::<u32>().is_ok()),
            "{action} has no release comment: {u}"
        );
    }
    let renovate: serde_json::Value = serde_json::from_str(&read(p.join("renovate.json"))).unwrap();
    let rules = renovate["packageRules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .all(|r| r.get("enabled") != Some(&false.into())),
        "Renovate is switched off somewhere: {rules:#?}"
    );
    assert!(renovate["lockFileMaintenance"]["enabled"] == true);
}

#[test]
fn one_pinned_toolchain_for_ci_and_the_image() {
    let s = Workspace::new();
    for ci in ["github", "gitlab"] {
        let name = format!("svc-{ci}");
        let p = project(&s, &name, NEWEST, ci, &[]);
        let toolchain: toml::Table = toml::from_str(&read(p.join("rust-toolchain.toml"))).unwrap();
        let channel = toolchain["toolchain"]["channel"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            channel.split('.').count() == 3,
            "{channel} is not a pinned version"
        );
        // The build image is the pinned version, and pinned by digest too (issue #15).
        let dockerfile = read(p.join("Dockerfile"));
        let image = dockerfile
            .lines()
            .find_map(|l| l.strip_prefix("FROM ")?.strip_suffix(" AS build"))
            .expect("a build stage")
            .to_string();
        let (tag, digest) = image.split_once("@sha256:").expect("a digest");
        assert_eq!(
            tag,
            format!("docker.io/library/rust:{channel}-slim-bookworm")
        );
        assert!(
            digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
            "{image}"
        );
        assert!(dockerfile.contains("COPY Cargo.toml Cargo.lock rust-toolchain.toml ./"));
        assert!(read(p.join(".dockerignore")).contains("!rust-toolchain.toml"));
        if ci == "gitlab" {
            let pipeline = read(p.join(".gitlab-ci.yml"));
            // Every Rust job runs the Dockerfile's build image, digest included.
            let rust_jobs: Vec<&str> = pipeline
                .lines()
                .filter_map(|l| l.trim().strip_prefix("image: docker.io/library/rust:"))
                .collect();
            assert_eq!(rust_jobs.len(), 2, "{pipeline}");
            for job in rust_jobs {
                assert_eq!(format!("docker.io/library/rust:{job}"), image);
            }
        } else {
            let workflow = read(p.join(".github/workflows/ci.yaml"));
            assert!(!workflow.contains("stable"), "{workflow}");
            assert!(workflow.contains("rustup toolchain install --profile minimal"));
        }
    }
}

#[test]
fn cargo_lock_is_shipped_sorted_for_any_name_and_every_build_is_locked() {
    let s = Workspace::new();
    for (name, ci) in [
        ("aaa", "github"),
        ("orders-api", "gitlab"),
        ("tokio-x", "github"),
        ("zzz", "gitlab"),
    ] {
        let p = project(&s, name, NEWEST, ci, &[]);
        let lock = read(p.join("Cargo.lock"));
        let names: Vec<&str> = lock
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .map(|l| l.trim_end_matches('"'))
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{name}: cargo keeps packages sorted");
        assert_eq!(names.iter().filter(|n| **n == name).count(), 1, "{name}");
        assert!(lock.starts_with("# This file is automatically @generated by Cargo."));
        assert!(lock.ends_with('\n') && !lock.ends_with("\n\n"), "{lock}");
        // Every dependency Cargo.toml names is locked.
        let manifest: toml::Table = toml::from_str(&read(p.join("Cargo.toml"))).unwrap();
        for table in ["dependencies", "dev-dependencies"] {
            for dep in manifest[table].as_table().unwrap().keys() {
                assert!(names.contains(&dep.as_str()), "{dep} is not in Cargo.lock");
            }
        }
        let mut builds = read(p.join("Dockerfile"));
        builds += &if ci == "github" {
            read(p.join(".github/workflows/ci.yaml"))
        } else {
            read(p.join(".gitlab-ci.yml"))
        };
        for line in builds.lines() {
            for cmd in ["cargo build", "cargo test", "cargo clippy", "cargo install"] {
                if line.contains(cmd) {
                    assert!(line.contains("--locked"), "{name}: not --locked: {line}");
                }
            }
        }
    }
}

#[test]
fn the_readme_deploys_a_tag_the_pipeline_pushes() {
    let s = Workspace::new();
    let p = project(&s, "orders-api", NEWEST, "github", &[]);
    let readme = read(p.join("README.md"));
    assert!(
        readme.contains("--set image.tag=$(git rev-parse HEAD)"),
        "{readme}"
    );
    // docker/metadata-action's `type=sha,format=long` with no prefix: the full commit id.
    let workflow = read(p.join(".github/workflows/ci.yaml"));
    assert!(
        workflow.contains("type=sha,format=long,prefix=\n"),
        "{workflow}"
    );
    let p = project(&s, "billing", NEWEST, "gitlab", &[]);
    assert!(read(p.join("README.md")).contains("--set image.tag=$(git rev-parse HEAD)"));
    assert!(read(p.join(".gitlab-ci.yml")).contains("--tag \"$IMAGE:$CI_COMMIT_SHA\""));
}

#[test]
fn unedited_projects_of_each_earlier_release_upgrade_cleanly_and_pass_check() {
    let s = Workspace::new();
    for from in ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"] {
        for ci in ["github", "gitlab"] {
            let name = format!("svc-{}-{ci}", from.replace('.', "-"));
            let p = project(&s, &name, from, ci, &[]);
            // Cargo.lock ships from 1.2.0 on.
            assert_eq!(p.join("Cargo.lock").exists(), from >= "1.2.0");
            let main_rs = read(p.join("src/main.rs"));
            let (lib_rs, cargo_toml) = (read(p.join("src/lib.rs")), read(p.join("Cargo.toml")));
            let tests_before = std::fs::read_dir(p.join("tests")).unwrap().count();
            let out = s.goldpath(&p, &["upgrade", "--to", NEWEST, "--defaults", "--no-input"]);
            assert_eq!(out.code, Some(0), "{from} {ci}: {out}");
            assert!(!out.stdout.contains("conflict"), "{from} {ci}: {out}");
            assert!(p.join("Cargo.lock").is_file() && p.join("rust-toolchain.toml").is_file());
            let recorded = read(p.join(".goldpath.toml"));
            assert!(
                recorded.contains(&format!("version = \"{NEWEST}\"")),
                "{recorded}"
            );
            let out = s.goldpath(&p, &["check"]);
            assert_eq!(out.code, Some(0), "{from} {ci}: {out}");
            crate::harness::assert_clean(&p);
            // 1.3.0's dashboard and labels arrive; the team's code is left alone, so /metrics
            // stays on the service's port, where that code serves it (issue #15). A 1.3.0
            // project's code serves it on a port of its own, and keeps doing so.
            assert!(p.join(format!("dashboards/{name}.json")).is_file());
            let values = read(p.join("chart/values.yaml"));
            assert!(values.contains("\n  digest: \"\"\n"));
            if from < "1.3.0" {
                crate::catalog_service::assert_metrics_on_the_service_port(&p, 8080);
            } else {
                assert!(
                    values.contains("\nmetricsPort: 9090\n"),
                    "{from} {ci}: {values}"
                );
            }
            // 1.4.0's limits reach the chart; the code that reads them is the team's to copy.
            assert!(
                values.contains("\nrequestTimeoutSeconds: 10\n"),
                "{from} {ci}: {values}"
            );
            assert!(
                read(p.join("chart/templates/deployment.yaml")).contains("- name: MAX_BODY_BYTES"),
                "{from} {ci}"
            );
            assert_eq!(
                read(p.join("src/main.rs")),
                main_rs,
                "{from} {ci}: src/ is seed"
            );
            // 1.4.0's new modules arrive as files, unused until the team declares them in
            // lib.rs, and no new test (it would not compile against the team's lib.rs): the
            // project builds as before (the bundle's CHANGELOG says what to copy).
            assert_eq!(read(p.join("src/lib.rs")), lib_rs, "{from} {ci}");
            assert_eq!(read(p.join("Cargo.toml")), cargo_toml, "{from} {ci}");
            assert!(p.join("src/telemetry.rs").is_file());
            assert_eq!(
                lib_rs.contains("mod telemetry"),
                from >= "1.4.0",
                "{from} {ci}"
            );
            // 1.5.0's toolchain and digest-pinned build image arrive in every shared file that
            // names them; Cargo.toml's rust-version is the team's and stays (1.96.0 meets it).
            assert!(read(p.join("rust-toolchain.toml")).contains("channel = \"1.96.0\""));
            let image = "docker.io/library/rust:1.96.0-slim-bookworm@sha256:4732ca96fd086cb9be682050c3f0176288eebaac2b80aa2bcefccfaf198e1950";
            assert!(
                read(p.join("Dockerfile")).contains(&format!("FROM {image} AS build")),
                "{from} {ci}"
            );
            if ci == "gitlab" {
                let pipeline = read(p.join(".gitlab-ci.yml"));
                assert_eq!(
                    pipeline.matches(&format!("image: {image}")).count(),
                    2,
                    "{from} {ci}"
                );
                assert!(!pipeline.contains("rust:1.85"), "{from} {ci}");
            }
            assert_eq!(
                std::fs::read_dir(p.join("tests")).unwrap().count(),
                tests_before,
                "{from} {ci}: a new file in tests/ would be compiled against the old lib.rs"
            );
        }
    }
}
