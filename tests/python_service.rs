//! The built-in `python-service` golden path (issue #15), rendered by the real binary
//! (`goldpath new`) and checked three ways:
//!
//! - what it renders for fixed answers: every answer lands, nothing is left unrendered, the file
//!   policies cover the files, and one Python version is shared by the image (pinned by digest), CI and the project;
//! - the conformance suite's validators, driven by `tests/catalog_service.rs` for every bundle
//!   (promtool, hadolint, yamllint, check-jsonschema, the Helm Go SDK, kubernetes-validate,
//!   actionlint, Backstage's catalog model, the Grafana dashboard's checks), found on `PATH`:
//!   missing ones skip, or fail with `GOLDPATH_VALIDATORS=1` (the security scanners, zizmor and
//!   checkov among them, run in `tests/scanners.rs`);
//! - with `GOLDPATH_VALIDATORS=1` (`tests/run` sets it), the generated service's own checks: its
//!   locked dependencies installed from PyPI into a venv under `.tools/` (kept between runs while
//!   the lock file is unchanged), `ruff` and `pytest`, then `python -m app` on 127.0.0.1 answering
//!   /healthz and /readyz, /metrics on its own port (METRICS_PORT) only with every metric the
//!   dashboard and the alerts query, and exiting 0 on SIGTERM.

use crate::golden_path::which;
use crate::harness::Goldpath;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

const BUNDLE: &str = "python-service";
const VERSION: &str = "1.3.0";

use crate::catalog_service::{
    files, flag, free_port, http_get as get, repo_root, str_path, text, Project, CIS,
};

fn render(extra: &[(&str, &str)]) -> Project {
    crate::catalog_service::render(BUNDLE, VERSION, extra)
}

// ---------------------------------------------------------------------------------------------
// What it renders

#[test]
fn the_catalog_lists_python_service() {
    let out = Goldpath::new().arg("list").success();
    assert!(
        out.stdout.lines().any(
            |l| l.split_whitespace().take(2).collect::<Vec<_>>() == ["python-service", VERSION]
        ),
        "{}",
        out.stdout
    );
    out.stdout_contains("rust-service");
}

#[test]
fn python_service_renders_every_answer_and_nothing_unrendered() {
    for ci in CIS {
        let p = render(&[("ci", ci)]);
        let all = files(&p.dir);
        for (path, bytes) in &all {
            let content = String::from_utf8_lossy(bytes);
            for leftover in ["{%", "%}", "{#", "#}", "{{ ", " }}"] {
                // GitHub expressions (`${{ ... }}`), Helm templates and Prometheus' alert
                // templates (`{{ $labels.namespace }}`) are not tera's.
                if (leftover.contains("{{") || leftover.contains("}}"))
                    && ["chart/", ".github/", "alerts/"]
                        .iter()
                        .any(|dir| path.starts_with(dir))
                {
                    continue;
                }
                assert!(
                    !content.contains(leftover),
                    "{ci} {path}: unrendered tera `{leftover}`"
                );
            }
            for placeholder in [
                "TODO",
                "FIXME",
                "lorem",
                "CHANGEME",
                "rust-service",
                "cargo",
            ] {
                if placeholder == "cargo"
                    && (path == ".gitlab-ci.yml" || path.starts_with(".github/"))
                {
                    // CI builds goldpath itself with cargo.
                    continue;
                }
                assert!(
                    !content.contains(placeholder),
                    "{ci} {path}: `{placeholder}`"
                );
            }
        }
        let expect: &[(&str, &str)] = &[
            ("pyproject.toml", "name = \"orders-api\""),
            (
                "pyproject.toml",
                "description = \"Takes, prices and tracks customer orders\"",
            ),
            ("app/config.py", "SERVICE_NAME = \"orders-api\""),
            ("app/config.py", "DEFAULT_PORT = 8080"),
            (
                "Dockerfile",
                "ENTRYPOINT [\"/opt/venv/bin/python\", \"-m\", \"app\"]",
            ),
            ("Dockerfile", "USER 65532:65532"),
            (
                "Dockerfile",
                "--require-hashes --no-deps --only-binary=:all: -r requirements.txt",
            ),
            ("chart/Chart.yaml", "name: orders-api"),
            ("chart/values.yaml", "repository: ghcr.io/acme/orders-api"),
            ("chart/values.yaml", "containerPort: 8080"),
            ("CODEOWNERS", "* @acme/team-orders"),
            ("catalog-info.yaml", "owner: group:team-orders"),
            ("catalog-info.yaml", "system: orders-api"),
            ("catalog-info.yaml", "backstage.io/techdocs-ref: dir:."),
            ("mkdocs.yml", "- Runbook: runbook.md"),
            ("score.yaml", "PORT: \"8080\""),
            ("requirements.txt", "# via orders-api (pyproject.toml)"),
            ("alerts/slo-rules.yaml", "(14.4 * (1 - 99.9 / 100))"),
            // Metrics on a port of their own, the same everywhere.
            ("app/config.py", "DEFAULT_METRICS_PORT = 9090"),
            ("Dockerfile", "METRICS_PORT=9090"),
            ("chart/values.yaml", "metricsPort: 9090"),
            ("score.yaml", "METRICS_PORT: \"9090\""),
            // Scraped on `metrics`, or on `http` when metricsPort is containerPort.
            (
                "chart/templates/servicemonitor.yaml",
                "- port: {{ include \"python-service.metricsPortName\" . }}",
            ),
            ("Dockerfile", "EXPOSE 8080 9090"),
            // Labels and the image digest.
            ("chart/values.yaml", "owner: team-orders"),
            ("chart/values.yaml", "digest: \"\""),
            (
                "chart/templates/_helpers.tpl",
                "app.kubernetes.io/component: api",
            ),
        ];
        for (path, needle) in expect {
            assert!(
                text(&p, path).contains(needle),
                "{ci} {path}: no `{needle}`"
            );
        }
        // Every pinned package carries its hashes: pip --require-hashes installs nothing else.
        for lock in ["requirements.txt", "requirements-dev.txt"] {
            let body = text(&p, lock);
            let pins = body.lines().filter(|l| l.contains("==")).count();
            let hashed = body
                .lines()
                .filter(|l| l.contains("==") && l.ends_with(" \\"))
                .count();
            assert!(pins >= 20, "{ci} {lock}: {pins} pins");
            assert_eq!(pins, hashed, "{ci} {lock}: a pin without hashes");
            assert!(!body.contains("--find-links"), "{ci} {lock}");
        }

        let ci_files: Vec<&String> = all
            .keys()
            .filter(|k| k.starts_with(".github/") || k.as_str() == ".gitlab-ci.yml")
            .collect();
        let want = if ci == "github" {
            ".github/workflows/ci.yaml"
        } else {
            ".gitlab-ci.yml"
        };
        assert_eq!(ci_files, [want], "{ci}");
        let pipeline = text(&p, want);
        for needle in [
            "pip install --require-hashes --no-deps -r requirements-dev.txt",
            "ruff check .",
            "python -m pytest",
            "check --format",
            "cargo install --locked --git \"$GOLDPATH_REPO\" --rev \"$GOLDPATH_REV\" goldpath",
            "cosign sign --yes",
            "provenance",
        ] {
            assert!(
                pipeline.contains(needle),
                "{ci}: the pipeline has no `{needle}`"
            );
        }
        if ci == "github" {
            crate::catalog_service::assert_actions_pinned(&pipeline);
        }
        let slug_key = format!("{ci}.com/project-slug: acme/orders-api");
        assert!(text(&p, "catalog-info.yaml").contains(&slug_key), "{ci}");
        // The chart ships the alerts promtool tests, byte for byte.
        assert_eq!(
            all["alerts/slo-rules.yaml"], all["chart/files/prometheus-rules.yaml"],
            "{ci}: the chart's copy of the rules differs"
        );
    }
}

/// `3.11.16` from `FROM docker.io/library/python:3.11.16-slim-bookworm@sha256:...`.
fn python_of_image(line: &str) -> Option<&str> {
    line.strip_prefix("FROM docker.io/library/python:")?
        .split('-')
        .next()
}

#[test]
fn one_python_version_for_the_image_ci_and_the_project() {
    for ci in CIS {
        let p = render(&[("ci", ci)]);
        let pinned = text(&p, ".python-version").trim().to_string();
        // Exactly the image's Python, so that CI's actions/setup-python installs that one and not
        // the newest 3.11.x (issue #15).
        assert_eq!(pinned, "3.11.16", "{ci}: the image's Python");
        let dockerfile = text(&p, "Dockerfile");
        let images: Vec<&str> = dockerfile
            .lines()
            .filter(|l| l.starts_with("FROM "))
            .collect();
        assert_eq!(images.len(), 2, "{ci}: a build and a runtime stage");
        assert_base_images_pinned(&dockerfile);
        for image in images {
            assert_eq!(
                python_of_image(image),
                Some(pinned.as_str()),
                "{ci}: {image}"
            );
        }
        assert!(
            text(&p, "pyproject.toml").contains("requires-python = \">=3.11,<3.12\""),
            "{ci}"
        );
        if ci == "github" {
            assert!(text(&p, ".github/workflows/ci.yaml")
                .contains("python-version-file: .python-version"));
        } else {
            // The image the Dockerfile pins, digest and all.
            let image = dockerfile
                .lines()
                .find_map(|l| l.strip_prefix("FROM "))
                .and_then(|l| l.split(' ').next())
                .expect("a FROM line");
            let gitlab = text(&p, ".gitlab-ci.yml");
            assert!(gitlab.contains(&format!("image: {image}\n")));
            for rust in gitlab.lines().filter(|l| l.contains("library/rust:")) {
                assert!(rust.contains("@sha256:"), "gitlab: {rust}");
            }
        }
    }
}

#[test]
fn python_service_file_policies_match_the_rendered_files() {
    crate::catalog_service::assert_file_policies(
        BUNDLE,
        VERSION,
        &[
            ".github/workflows/ci.yaml",
            ".gitlab-ci.yml",
            "chart/templates/deployment.yaml",
            "alerts/slo-rules.yaml",
        ],
        &[
            "app/main.py",
            "tests/test_http.py",
            "pyproject.toml",
            "requirements.txt",
            "requirements-dev.txt",
            "README.md",
        ],
        &["Dockerfile", ".python-version", "chart/values.yaml"],
    );
}

#[test]
fn python_service_refuses_an_owner_ending_with_a_dash() {
    crate::catalog_service::assert_owner_refused(BUNDLE, VERSION, &["team-", "Team", "-team", ""]);
    // The longest slug still passes.
    let p = render(&[("owner", &format!("t{}", "a".repeat(62)))]);
    assert!(text(&p, "CODEOWNERS").contains(&format!("@acme/t{}", "a".repeat(62))));
}

#[test]
fn python_service_metrics_port_steps_aside_for_a_service_on_9090() {
    let p = render(&[("port", "9090")]);
    assert!(text(&p, "chart/values.yaml").contains("\nmetricsPort: 9091\n"));
    assert!(text(&p, "app/config.py").contains("DEFAULT_METRICS_PORT = 9091"));
    assert!(text(&p, "Dockerfile").contains("METRICS_PORT=9091"));
}

#[test]
fn unedited_python_service_1_0_0_projects_upgrade_to_the_newest() {
    let (_s, projects) = crate::catalog_service::upgrade_unedited(BUNDLE, "1.0.0", VERSION);
    for (ci, p) in projects {
        // The platform's files moved on; the team's service code (seed files) did not, so it
        // still serves /metrics on the service's port, and the chart scrapes it there (#15).
        assert!(crate::harness::read(p.join("app/main.py")).contains("@app.get(\"/metrics\")"));
        crate::catalog_service::assert_metrics_on_the_service_port(&p, 8080);
        assert_base_images_pinned(&crate::harness::read(p.join("Dockerfile")));
        if ci == "github" {
            crate::catalog_service::assert_actions_pinned(&crate::harness::read(
                p.join(".github/workflows/ci.yaml"),
            ));
        }
    }
}

#[test]
fn unedited_python_service_1_2_0_projects_upgrade_to_the_newest() {
    let (_s, projects) = crate::catalog_service::upgrade_unedited(BUNDLE, "1.2.0", VERSION);
    for (ci, p) in projects {
        // .python-version and the image's tag move to the exact version together.
        assert_eq!(
            crate::harness::read(p.join(".python-version")).trim(),
            "3.11.16"
        );
        let dockerfile = crate::harness::read(p.join("Dockerfile"));
        assert_base_images_pinned(&dockerfile);
        assert_eq!(
            dockerfile.matches("python:3.11.16-slim-bookworm@").count(),
            2,
            "{ci}"
        );
        if ci == "gitlab" {
            let gitlab = crate::harness::read(p.join(".gitlab-ci.yml"));
            assert!(!gitlab.contains("rust:1.85"), "{gitlab}");
        }
    }
}

#[test]
fn unedited_python_service_1_1_0_projects_upgrade_to_the_newest() {
    let (_s, projects) = crate::catalog_service::upgrade_unedited(BUNDLE, "1.1.0", VERSION);
    for (_ci, p) in projects {
        // Made with metrics on a port of their own, they keep it.
        let recorded = crate::harness::read(p.join(".goldpath.toml"));
        assert!(recorded.contains("\nmetrics_port = 9090\n"), "{recorded}");
        assert_base_images_pinned(&crate::harness::read(p.join("Dockerfile")));
    }
}

/// Both stages of the image start from the Python image pinned by its digest.
fn assert_base_images_pinned(dockerfile: &str) {
    let from: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(from.len(), 2, "{dockerfile}");
    for line in from {
        let (_, digest) = line
            .split_once("@sha256:")
            .unwrap_or_else(|| panic!("`{line}` is not pinned by digest"));
        let digest = digest.split(' ').next().unwrap_or_default();
        assert!(
            digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
            "`{line}`"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The real validators

#[test]
fn python_service_passes_the_real_validators() {
    crate::catalog_service::assert_passes_the_real_validators(BUNDLE, VERSION);
}

#[test]
fn python_service_alert_tests_pass_across_the_slo_range() {
    crate::catalog_service::assert_alert_tests_pass_across(
        BUNDLE,
        VERSION,
        &["90", "99.5", "99.999"],
    );
}

// ---------------------------------------------------------------------------------------------
// The generated service's own tests, and the service itself

/// A venv under `.tools/` with the rendered project's locked dev dependencies, reused while the
/// lock file is unchanged; the wheels stay in `.tools/python-wheels`, so a new venv installs
/// offline.
fn service_venv(requirements: &Path) -> PathBuf {
    let lock = std::fs::read(requirements).expect("requirements-dev.txt");
    // The lock's own bytes name the venv's content; a changed lock makes a new venv.
    let stamp = format!("{:016x}", fnv1a(&lock));
    let tools_dir = repo_root().join(".tools");
    let venv = tools_dir.join("python-service-venv");
    let stamp_file = venv.join("goldpath-lock-stamp");
    if std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) {
        return venv;
    }
    let python = which("python3.11")
        .or_else(|| which("python3"))
        .expect("python3 on PATH");
    if venv.exists() {
        std::fs::remove_dir_all(&venv).expect("remove the stale venv goldpath's tests made");
    }
    let run = |cmd: &mut Process, what: &str| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        Process::new(&python).arg("-m").arg("venv").arg(&venv),
        "python3 -m venv",
    );
    // Wheels are kept in .tools/python-wheels: once downloaded, a new venv installs offline.
    let wheels = tools_dir.join("python-wheels");
    let pip = |args: &[&str]| {
        let mut cmd = Process::new(venv.join("bin/pip"));
        cmd.args(["--quiet", "--disable-pip-version-check"])
            .args(args)
            .args(["--require-hashes", "--no-deps", "-r"])
            .arg(requirements)
            .env_remove("PIP_FIND_LINKS");
        cmd
    };
    let offline = pip(&["install", "--no-index", "--find-links", str_path(&wheels)])
        .output()
        .is_ok_and(|o| o.status.success());
    if !offline {
        run(
            &mut pip(&[
                "download",
                "--only-binary=:all:",
                "--dest",
                str_path(&wheels),
            ]),
            "pip download --require-hashes -r requirements-dev.txt (from PyPI)",
        );
        run(
            &mut pip(&["install", "--no-index", "--find-links", str_path(&wheels)]),
            "pip install --require-hashes -r requirements-dev.txt",
        );
    }
    std::fs::write(&stamp_file, &stamp).expect("write the stamp");
    venv
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(unix)]
#[test]
fn generated_python_service_passes_its_own_tests_and_serves() {
    if !flag("GOLDPATH_VALIDATORS") {
        eprintln!(
            "SKIPPED the generated Python service's own tests: set GOLDPATH_VALIDATORS=1 \
             (installs its locked dependencies from PyPI into .tools/python-service-venv)"
        );
        return;
    }
    let project = render(&[]);
    let dir = &project.dir;
    let started = Instant::now();
    let venv = service_venv(&dir.join("requirements-dev.txt"));
    let installed = started.elapsed();
    let bin = venv.join("bin");
    for (program, args) in [
        ("ruff", &["check", "--no-cache", "."][..]),
        ("ruff", &["format", "--no-cache", "--check", "."][..]),
        (
            "python",
            &["-m", "pytest", "-p", "no:cacheprovider", "-q"][..],
        ),
    ] {
        let out = Process::new(bin.join(program))
            .args(args)
            .current_dir(dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .expect("run the service's checks");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{program} {} failed in the generated service:\n{stdout}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        if program == "python" {
            assert!(
                stdout.contains(" passed") && !stdout.contains("failed"),
                "{stdout}"
            );
        }
    }
    let tested = started.elapsed();

    // The service as its container runs it, on a free port, stopped by SIGTERM.
    let port = free_port();
    let metrics_port = free_port();
    let mut child = Process::new(bin.join("python"))
        .args(["-m", "app"])
        .current_dir(dir)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("METRICS_PORT", metrics_port.to_string())
        .env("SHUTDOWN_DELAY_SECONDS", "0.5")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python -m app");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ready = None;
    while Instant::now() < deadline {
        if let Some(answer) = get(port, "/readyz") {
            ready = Some(answer);
            break;
        }
        if child.try_wait().expect("poll").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(ready) = ready else {
        let _ = child.kill();
        let out = child.wait_with_output().expect("output");
        panic!(
            "the service never answered on 127.0.0.1:{port}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    assert_eq!(ready.0, 200, "/readyz: {}", ready.1);
    assert_eq!(
        get(port, "/healthz"),
        Some((200, "{\"status\":\"ok\"}".into()))
    );
    // Metrics on their own port only: the HTTP port is the one an Ingress exposes.
    assert_eq!(get(port, "/metrics").map(|r| r.0), Some(404));
    let (status, metrics) = get(metrics_port, "/metrics").expect("/metrics");
    assert_eq!(status, 200);
    for series in [
        "http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1.0",
        "http_request_duration_seconds_bucket{le=\"0.005\",method=\"GET\",route=\"/readyz\",status=\"200\"}",
        "http_requests_in_flight",
    ] {
        assert!(metrics.contains(series), "/metrics has no `{series}`:\n{metrics}");
    }
    crate::catalog_service::assert_exports_what_is_queried(dir, &metrics);
    let kill = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(kill.success());
    // Draining: not ready while it still serves, for SHUTDOWN_DELAY_SECONDS.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(get(port, "/readyz").map(|r| r.0), Some(503));
    let stop_deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("poll").is_none() {
        if Instant::now() > stop_deadline {
            let _ = child.kill();
            panic!("the service did not exit within 20s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?} after SIGTERM:\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    for message in [
        "\"listening\"",
        "\"shutdown requested: draining\"",
        "\"stopped\"",
    ] {
        assert!(stdout.contains(message), "no {message} log line:\n{stdout}");
    }
    println!(
        "generated Python service: venv {:.1}s, ruff + pytest {:.1}s, serve and SIGTERM {:.1}s",
        installed.as_secs_f64(),
        (tested - installed).as_secs_f64(),
        (started.elapsed() - tested).as_secs_f64()
    );
}
