//! What the tests of the built-in python-service and node-service bundles share: one set of
//! answers, rendering a project with them, and reading what it rendered.

use crate::harness::Goldpath;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub(crate) const ANSWERS: &[(&str, &str)] = &[
    ("service_name", "orders-api"),
    ("description", "Takes, prices and tracks customer orders"),
    ("owner", "team-orders"),
    ("repo_slug", "acme/orders-api"),
    ("image_registry", "ghcr.io/acme"),
    ("port", "8080"),
    ("slo_target", "99.9"),
];

pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn validators_dir() -> PathBuf {
    repo_root().join("tests/validators")
}

pub(crate) fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

pub(crate) struct Project {
    _tmp: TempDir,
    pub(crate) dir: PathBuf,
}

/// `goldpath new BUNDLE` at `version` with [`ANSWERS`] and `extra`, uncommitted, in a temp dir.
pub(crate) fn render(bundle: &str, version: &str, extra: &[(&str, &str)]) -> Project {
    let mut answers: BTreeMap<&str, &str> = ANSWERS.iter().copied().collect();
    answers.extend(extra.iter().copied());
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("orders-api");
    let mut cmd = Goldpath::new().args(["new", bundle]).arg(&dir).args([
        "--version",
        version,
        "--defaults",
        "--no-input",
        "--no-commit",
    ]);
    for (k, v) in answers {
        cmd = cmd.arg("--set").arg(format!("{k}={v}"));
    }
    cmd.success();
    Project { _tmp: tmp, dir }
}

/// Every file of a rendered project by path, except the answers file goldpath writes.
pub(crate) fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("walk");
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("under dir")
            .to_string_lossy()
            .replace('\\', "/");
        if rel != ".goldpath.toml" {
            out.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    out
}

pub(crate) fn text(project: &Project, path: &str) -> String {
    std::fs::read_to_string(project.dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) fn str_path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `goldpath new BUNDLE --version VERSION` with `owner` set to each of `bad`: refused with the
/// question named, exit 2 (a user error), nothing written.
pub(crate) fn assert_owner_refused(bundle: &str, version: &str, bad: &[&str]) {
    for owner in bad {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("orders-api");
        let out = Goldpath::new()
            .args(["new", bundle])
            .arg(&dir)
            .args([
                "--version",
                version,
                "--defaults",
                "--no-input",
                "--no-commit",
            ])
            .args(["--set", "service_name=orders-api", "--set"])
            .arg(format!("owner={owner}"))
            .run();
        assert_eq!(out.code, Some(2), "{bundle} owner={owner:?}: {out}");
        assert!(
            out.stderr.contains("owner"),
            "{bundle} owner={owner:?}: {out}"
        );
        assert!(
            !dir.exists(),
            "{bundle} owner={owner:?} wrote {}",
            dir.display()
        );
    }
}

/// For each CI, an unedited project made by `goldpath new BUNDLE --version FROM` (committed)
/// upgraded with `goldpath upgrade --to TO --defaults`: no conflict, TO recorded, `goldpath
/// check` passes and nothing is left uncommitted. Returns the workspace and the projects by CI.
pub(crate) fn upgrade_unedited(
    bundle: &str,
    from: &str,
    to: &str,
) -> (crate::harness::Workspace, Vec<(&'static str, PathBuf)>) {
    let s = crate::harness::Workspace::new();
    let mut projects = Vec::new();
    for ci in ["github", "gitlab"] {
        let name = format!("svc-{ci}");
        let ci_answer = format!("ci={ci}");
        let p = s.new_project(&[
            bundle,
            &name,
            "--version",
            from,
            "--set",
            &ci_answer,
            "--set",
            "service_name=orders-api",
        ]);
        let out = s.goldpath(&p, &["upgrade", "--to", to, "--defaults", "--no-input"]);
        assert_eq!(out.code, Some(0), "{bundle} {from} -> {to} {ci}: {out}");
        assert!(
            !out.stdout.contains("conflict"),
            "{bundle} {from} -> {to} {ci}: {out}"
        );
        let recorded = crate::harness::read(p.join(".goldpath.toml"));
        assert!(
            recorded.contains(&format!("version = \"{to}\"")),
            "{recorded}"
        );
        let out = s.goldpath(&p, &["check"]);
        assert_eq!(
            out.code,
            Some(0),
            "{bundle} {to} {ci}: check after upgrade: {out}"
        );
        crate::harness::assert_clean(&p);
        projects.push((ci, p));
    }
    (s, projects)
}

/// Every `uses:` of a GitHub workflow is `owner/action@<40-hex commit>  # vX...`: pinned to a
/// commit, its version in a comment (two spaces before `#`, yamllint's comments rule).
pub(crate) fn assert_actions_pinned(workflow: &str) {
    let uses: Vec<&str> = workflow
        .lines()
        .filter_map(|l| l.split_once("uses: ").map(|(_, u)| u))
        .collect();
    assert!(uses.len() >= 5, "{workflow}");
    for u in uses {
        let (action, rest) = u
            .split_once('@')
            .unwrap_or_else(|| panic!("`{u}` has no @"));
        let (commit, comment) = rest.split_once("  # v").unwrap_or((rest, ""));
        assert!(
            !action.is_empty()
                && commit.len() == 40
                && commit
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                && comment.starts_with(|c: char| c.is_ascii_digit()),
            "`uses: {u}` is not pinned to a commit id with its version in a comment"
        );
    }
}

/// `tests/validators/dashboard_check.py check` on a rendered project: every dashboard decodes into
/// Grafana's model and every query parses as PromQL.
pub(crate) fn check_dashboards(
    tools: &crate::golden_path::Tools,
    report: &mut crate::golden_path::Report,
    label: &str,
    dir: &Path,
) {
    let mut cmd = std::process::Command::new(&tools.python);
    cmd.arg(validators_dir().join("dashboard_check.py"))
        .arg("check")
        .arg(dir)
        .arg("--promtool")
        .arg(&tools.promtool);
    report.run_cmd(label, cmd);
}

/// Every metric the project's dashboards and alert rules query is in `exposition`, a `/metrics`
/// response of the running service (`dashboard_check.py exported`, which names each one missing).
/// Skipped when no Python with the checker's modules is found (`python3` on `PATH`, then
/// `.tools/venv`), unless `GOLDPATH_VALIDATORS=1`.
pub(crate) fn assert_exports_what_is_queried(dir: &Path, exposition: &str) {
    let imports = |python: &PathBuf| {
        std::process::Command::new(python)
            .args(["-c", "import promql_parser, grafana_foundation_sdk, yaml"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let python = crate::golden_path::which("python3")
        .into_iter()
        .chain([repo_root().join(".tools/venv/bin/python")])
        .find(imports);
    let Some(python) = python else {
        assert!(
            !flag("GOLDPATH_VALIDATORS"),
            "no python3 with grafana-foundation-sdk and promql-parser (tests/install-validators)"
        );
        eprintln!("SKIPPED the dashboard's metrics against /metrics: tests/install-validators");
        return;
    };
    let saved = dir.parent().expect("temp dir").join("metrics.txt");
    std::fs::write(&saved, exposition).expect("save /metrics");
    let out = std::process::Command::new(python)
        .arg(validators_dir().join("dashboard_check.py"))
        .arg("exported")
        .arg(dir)
        .arg(&saved)
        .output()
        .expect("run dashboard_check.py");
    assert!(
        out.status.success(),
        "the dashboards or alerts query metrics the running service does not export:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// zizmor (the conformance suite's GitHub Actions audit, `tests/scanners.rs`) finds nothing of
/// medium severity or above in a rendered workflow; skipped without zizmor on PATH unless
/// `GOLDPATH_VALIDATORS=1`.
pub(crate) fn assert_zizmor_clean(workflow: &Path) {
    let Some(zizmor) = crate::golden_path::which("zizmor") else {
        assert!(
            !flag("GOLDPATH_VALIDATORS"),
            "zizmor is not on PATH (tests/install-validators installs it)"
        );
        eprintln!("SKIPPED zizmor: not on PATH");
        return;
    };
    let out = std::process::Command::new(zizmor)
        .args(["--offline", "--min-severity", "medium", "--format", "plain"])
        .arg(workflow)
        .output()
        .expect("run zizmor");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Audited at all: a workflow zizmor could not read would report nothing too.
    assert!(
        stderr.contains("completed"),
        "zizmor did not audit: {stderr}"
    );
    assert!(
        out.status.success() && stdout.contains("No findings"),
        "zizmor findings in {}:\n{stdout}\n{stderr}",
        workflow.display()
    );
}

/// A project upgraded from a release that served `/metrics` on its HTTP port keeps it there
/// (issue #15: its code is a seed the upgrade never touches, so a separate metrics port would
/// be scraped with nothing listening): the recorded `metrics_port` is its `port`, the chart's
/// values and the image say one port, and the rendered chart has the ServiceMonitor and the
/// NetworkPolicy on the `http` port and no `metrics` port. The render and `helm_check.py` run
/// with the Helm Go SDK (`.tools/venv`), skipped without it unless `GOLDPATH_VALIDATORS=1`.
pub(crate) fn assert_metrics_on_the_service_port(dir: &Path, port: u16) {
    let recorded = crate::harness::read(dir.join(".goldpath.toml"));
    assert!(
        recorded.contains(&format!("\nport = {port}\n"))
            && recorded.contains(&format!("\nmetrics_port = {port}\n")),
        "the recorded metrics_port must be the port, {port}:\n{recorded}"
    );
    let values = crate::harness::read(dir.join("chart/values.yaml"));
    assert!(
        values.contains(&format!("\ncontainerPort: {port}\n"))
            && values.contains(&format!("\nmetricsPort: {port}\n")),
        "{values}"
    );
    let dockerfile = crate::harness::read(dir.join("Dockerfile"));
    assert!(
        dockerfile.lines().any(|l| l == format!("EXPOSE {port}")),
        "the image exposes the service's port only:\n{dockerfile}"
    );
    let python = repo_root().join(".tools/venv/bin/python");
    let has_helm = std::process::Command::new(&python)
        .args(["-c", "import helm_python, yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_helm {
        assert!(
            !flag("GOLDPATH_VALIDATORS"),
            "no .tools/venv with helm-python-sdk (tests/install-validators)"
        );
        eprintln!("SKIPPED rendering the chart: no .tools/venv with helm-python-sdk");
        return;
    }
    let out = std::process::Command::new(&python)
        .args(["-c", SINGLE_PORT_RENDER])
        .arg(validators_dir())
        .arg(dir.join("chart"))
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}: the rendered chart does not scrape the http port:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = dir.parent().expect("temp dir").join("rendered-single-port");
    let out = std::process::Command::new(&python)
        .arg(validators_dir().join("helm_check.py"))
        .arg(dir.join("chart"))
        .arg(&rendered)
        .output()
        .expect("run helm_check.py");
    assert!(
        out.status.success(),
        "helm_check.py:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&rendered).expect("remove the rendered objects");
}

/// Renders the chart with the Prometheus Operator's API and the NetworkPolicy on, and checks
/// that Prometheus reaches /metrics through the `http` port alone.
const SINGLE_PORT_RENDER: &str = r#"
import sys
sys.path.insert(0, sys.argv[1])
import helm_check, helm_python as helm
chart = helm.Chart.load(sys.argv[2])
objects = helm_check.render(chart, chart.merge_values({"networkPolicy": {"enabled": True}}), [helm_check.MONITORING])
kind = lambda k: [o for o in objects if o["kind"] == k]
[deploy] = kind("Deployment")
ports = [p["name"] for p in deploy["spec"]["template"]["spec"]["containers"][0]["ports"]]
assert ports == ["http"], f"container ports {ports}"
[service] = kind("Service")
ports = [(p["name"], p["targetPort"]) for p in service["spec"]["ports"]]
assert ports == [("http", "http")], f"Service ports {ports}"
[monitor] = kind("ServiceMonitor")
endpoints = [(e["port"], e["path"]) for e in monitor["spec"]["endpoints"]]
assert endpoints == [("http", "/metrics")], f"ServiceMonitor endpoints {endpoints}"
[policy] = kind("NetworkPolicy")
monitoring = chart.values["networkPolicy"]["monitoring"]["namespace"]
admitted = [
    p["port"]
    for rule in policy["spec"]["ingress"]
    for peer in rule.get("from", [])
    if peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == monitoring
    for p in rule["ports"]
]
assert admitted == ["http"], f"the monitoring namespace is admitted to {admitted}"
"#;
