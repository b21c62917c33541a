//! What the tests of the built-in python-service and node-service bundles share: one set of
//! answers, rendering a project with them, and reading what it rendered; and the conformance
//! suite's validator driver, which `tests/golden_path.rs` runs on every rust-service release too.

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

// ---------------------------------------------------------------------------------------------
// The conformance suite's validators, over any built-in bundle (issue #15)

/// The CI flavours every bundle renders for.
pub(crate) const CIS: [&str; 2] = ["github", "gitlab"];

/// The answers that change the most: no Prometheus Operator, the longest service name, a
/// description full of YAML, TOML and Dockerfile syntax, a nested GitLab group, a registry with a
/// port, a non-default port and replicas.
pub(crate) const EDGE_ANSWERS: &[(&str, &str)] = &[
    ("ci", "gitlab"),
    ("service_name", "a234567890b234567890c234567890d23456789z"),
    (
        "description",
        "Takes \"orders\" & prices them: fast, safe — #1 {{ not tera }}",
    ),
    ("repo_slug", "acme/platform/services/a-very-long-name"),
    ("image_registry", "registry.example.com:5000/acme/services"),
    ("port", "9443"),
    ("min_replicas", "5"),
    ("metrics_operator", "false"),
];

/// Runs every validator of the conformance suite on one rendered project of any bundle, each
/// failure collected in `report`: the dashboards if any (Grafana's model, PromQL), promtool on every
/// rule file and its unit tests, hadolint, yamllint, the CI, Renovate, Score and values schemas,
/// actionlint, Backstage's catalog model, the chart rendered by the Helm Go SDK in every scenario
/// and validated by kubernetes-validate, the PrometheusRule schema, the chart's `image.digest`
/// and labels, and every JSON file parsing. The security scanners (zizmor, checkov, shellcheck,
/// ...) run in `tests/scanners.rs`, against their list of accepted findings. A bundle's own
/// checks (rust's `cargo fmt`) are the caller's.
pub(crate) fn validate(
    tools: &crate::golden_path::Tools,
    report: &mut crate::golden_path::Report,
    label: &str,
    dir: &Path,
) {
    use std::process::Command as Process;
    let all = files(dir);
    let schemas = validators_dir().join("schemas");

    // Every release of python- and node-service has a dashboard (their driver below checks it);
    // rust-service's before 1.3.0 have none.
    if let Some(dashboard) = all.keys().find(|k| k.starts_with("dashboards/")) {
        check_dashboards(tools, report, label, dir);
        report.check(
            label,
            all.get("chart/files/dashboard.json") == Some(&all[dashboard]),
            "the chart's chart/files/dashboard.json is the dashboard, byte for byte",
        );
    }

    // Alerts: promtool checks every rule file (and the chart's copy) and runs every unit test.
    let alerts = dir.join("alerts");
    let in_alerts = |test: bool| -> Vec<&str> {
        all.keys()
            .filter_map(|k| k.strip_prefix("alerts/"))
            .filter(|k| k.ends_with(".yaml") && k.ends_with(".test.yaml") == test)
            .collect()
    };
    let (rule_files, test_files) = (in_alerts(false), in_alerts(true));
    report.check(
        label,
        !rule_files.is_empty() && !test_files.is_empty(),
        "alerts/ holds rules and their tests",
    );
    report.run(
        label,
        &alerts,
        &tools.promtool,
        &[&["check", "rules"][..], &rule_files].concat(),
    );
    report.run(
        label,
        &alerts,
        &tools.promtool,
        &[&["test", "rules"][..], &test_files].concat(),
    );
    if let Some(copy) = all.get("chart/files/prometheus-rules.yaml") {
        report.run(
            label,
            dir,
            &tools.promtool,
            &["check", "rules", "chart/files/prometheus-rules.yaml"],
        );
        // alerts/slo-rules.yaml; rust-service 1.0.0's alerts/rules.yaml, before its rename.
        report.check(
            label,
            ["alerts/slo-rules.yaml", "alerts/rules.yaml"]
                .iter()
                .any(|rules| all.get(*rules) == Some(copy)),
            "the chart ships alerts/slo-rules.yaml byte for byte",
        );
    }

    report.run(
        label,
        dir,
        &tools.hadolint,
        &["--no-color", "--failure-threshold", "info", "Dockerfile"],
    );
    let yamllint_config = validators_dir().join("yamllint.yaml");
    report.run(
        label,
        dir,
        &tools.yamllint,
        &["--strict", "-c", str_path(&yamllint_config), "."],
    );
    if all.contains_key(".github/workflows/ci.yaml") {
        let workflow = ".github/workflows/ci.yaml";
        let schema = ["--builtin-schema", "vendor.github-workflows", workflow];
        report.run(label, dir, &tools.check_jsonschema, &schema);
        report.run(label, dir, &tools.actionlint, &[workflow]);
    }
    if all.contains_key(".gitlab-ci.yml") {
        let schema = ["--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"];
        report.run(label, dir, &tools.check_jsonschema, &schema);
    }
    let renovate = ["--builtin-schema", "vendor.renovate", "renovate.json"];
    report.run(label, dir, &tools.check_jsonschema, &renovate);
    let score_schema = schemas.join("score-v1b1.json");
    let score = ["--schemafile", str_path(&score_schema), "score.yaml"];
    report.run(label, dir, &tools.check_jsonschema, &score);
    let values = [
        "--schemafile",
        "chart/values.schema.json",
        "chart/values.yaml",
    ];
    report.run(label, dir, &tools.check_jsonschema, &values);
    let mut backstage = Process::new(&tools.node);
    backstage
        .arg(validators_dir().join("backstage.cjs"))
        .arg("catalog-info.yaml")
        .current_dir(dir)
        .env("NODE_PATH", &tools.node_modules);
    report.run_cmd(label, backstage);

    // Helm: lint --strict, render every scenario and check it, then validate what it rendered.
    let rendered = dir.parent().expect("temp dir").join("rendered");
    let mut helm = Process::new(&tools.python);
    helm.arg(validators_dir().join("helm_check.py"))
        .arg(dir.join("chart"))
        .arg(&rendered)
        .current_dir(dir);
    report.run_cmd(label, helm);
    if crate::harness::read(dir.join("chart/values.yaml")).contains("\n  digest: ") {
        let mut digest = Process::new(&tools.python);
        digest
            .args(["-c", DIGEST_CHECK])
            .arg(validators_dir())
            .arg(dir.join("chart"))
            .current_dir(dir);
        report.run_cmd(label, digest);
    }
    let mut core = Vec::new();
    let mut rules = Vec::new();
    for entry in walkdir::WalkDir::new(&rendered).sort_by_file_name() {
        let entry = entry.expect("walk rendered");
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path().to_string_lossy().into_owned();
        if name.contains("-prometheusrule-") {
            rules.push(path);
        } else if !name.contains("-servicemonitor-") && !name.contains("-httproute-") {
            // ServiceMonitor and HTTPRoute are CRDs kubernetes-validate has no schema for;
            // helm_check.py checks their content.
            core.push(path);
        }
    }
    report.check(
        label,
        core.len() >= 18,
        &format!("the chart rendered {} core objects", core.len()),
    );
    let mut args = vec!["-k", "1.30.0", "--strict", "--quiet"];
    args.extend(core.iter().map(String::as_str));
    report.run(label, dir, &tools.kubernetes_validate, &args);
    report.check(
        label,
        rules.len() == usize::from(all.contains_key("chart/templates/prometheusrule.yaml")),
        "a PrometheusRule renders iff metrics_operator",
    );
    let rule_schema = schemas.join("schema-prometheusrule-v1.json");
    for rule in &rules {
        let args = ["--schemafile", str_path(&rule_schema), rule];
        report.run(label, dir, &tools.check_jsonschema, &args);
    }
    // Every JSON file parses (npm, tsc, Renovate, Grafana and Helm read them).
    for (path, bytes) in all.iter().filter(|(k, _)| k.ends_with(".json")) {
        let parsed = serde_json::from_slice::<serde_json::Value>(bytes);
        report.check(label, parsed.is_ok(), &format!("{path} is JSON"));
    }
}

/// Renders the chart with the Helm Go SDK (as helm_check.py does) with and without
/// `image.digest`, and checks the image reference, the labels and the schema.
const DIGEST_CHECK: &str = r#"
import sys
sys.path.insert(0, sys.argv[1])
import helm_check, helm_python as helm
chart = helm.Chart.load(sys.argv[2])
digest = "sha256:" + "0123456789abcdef" * 4
def deployment(values):
    return next(o for o in helm_check.render(chart, values, []) if o["kind"] == "Deployment")
plain = deployment(dict(chart.values))
image = plain["spec"]["template"]["spec"]["containers"][0]["image"]
assert image == chart.values["image"]["repository"] + ":0.1.0", image
labels = plain["metadata"]["labels"]
# python- and node-service label the component `api`; rust-service takes it from `component`.
assert labels["app.kubernetes.io/component"] == chart.values.get("component", "api"), labels
assert labels["owner"] == chart.values["owner"], labels
# part-of is set only when `partOf` is: empty in python- and node-service, the service's name in
# rust-service.
assert labels.get("app.kubernetes.io/part-of") == (chart.values["partOf"] or None), labels
pinned = deployment(chart.merge_values({"image": {"digest": digest}, "partOf": "orders"}))
image = pinned["spec"]["template"]["spec"]["containers"][0]["image"]
assert image == chart.values["image"]["repository"] + "@" + digest, image
assert pinned["metadata"]["labels"]["app.kubernetes.io/part-of"] == "orders"
try:
    chart.validate_schema(chart.merge_values({"image": {"digest": "latest"}}))
except Exception:
    pass
else:
    sys.exit("values.schema.json accepts image.digest=latest")
"#;

/// [`validate`] on `bundle` at `version` rendered for each CI and for [`EDGE_ANSWERS`]; skipped
/// without the validators unless `GOLDPATH_VALIDATORS=1`.
pub(crate) fn assert_passes_the_real_validators(bundle: &str, version: &str) {
    let Some(tools) = crate::golden_path::tools() else {
        return;
    };
    let started = std::time::Instant::now();
    let mut report = crate::golden_path::Report::default();
    for ci in CIS {
        let project = render(bundle, version, &[("ci", ci)]);
        report.check(
            &format!("{version} {ci}"),
            files(&project.dir)
                .keys()
                .any(|k| k.starts_with("dashboards/")),
            "a dashboard in dashboards/",
        );
        validate(
            &tools,
            &mut report,
            &format!("{version} {ci}"),
            &project.dir,
        );
    }
    let edge = render(bundle, version, EDGE_ANSWERS);
    let label = format!("{version} edge answers");
    validate(&tools, &mut report, &label, &edge.dir);
    println!(
        "{bundle} {version}: validators took {:.1}s",
        started.elapsed().as_secs_f64()
    );
    report.finish();
}

/// The alerts' promtool unit tests of `bundle` at `version` pass for each `slo_target` of `slos`
/// (the burn rates they use depend on the budget).
pub(crate) fn assert_alert_tests_pass_across(bundle: &str, version: &str, slos: &[&str]) {
    let Some(tools) = crate::golden_path::tools() else {
        return;
    };
    let mut report = crate::golden_path::Report::default();
    for slo in slos {
        let project = render(bundle, version, &[("slo_target", slo)]);
        report.run(
            &format!("slo_target={slo}"),
            &project.dir.join("alerts"),
            &tools.promtool,
            &["test", "rules", "slo-rules.test.yaml"],
        );
    }
    report.finish();
}

/// The manifest's file policies of `bundle` at `version` match its rendered files (over every
/// CI): each pattern matches one, no file is both `locked` and `seed`, and the files named are
/// `locked`, `seed` or shared (neither: upgrades merge them) as said.
pub(crate) fn assert_file_policies(
    bundle: &str,
    version: &str,
    locked: &[&str],
    seed: &[&str],
    shared: &[&str],
) {
    let policy_of = file_policies(bundle, version);
    for (paths, want) in [
        (locked, Some("locked")),
        (seed, Some("seed")),
        (shared, None),
    ] {
        for path in paths {
            assert_eq!(policy_of.get(*path).copied(), want, "{bundle} {path}");
        }
    }
}

/// The file policy (`locked` or `seed`) of each rendered file of `bundle` at `version`, over
/// every CI; every pattern of the manifest must match a rendered file.
fn file_policies(bundle: &str, version: &str) -> BTreeMap<String, &'static str> {
    let manifest: toml::Table = toml::from_str(&crate::harness::read(
        repo_root().join(format!("golden-paths/{bundle}/{version}/bundle.toml")),
    ))
    .expect("bundle.toml parses");
    let rendered: Vec<BTreeMap<String, Vec<u8>>> = CIS
        .iter()
        .map(|ci| files(&render(bundle, version, &[("ci", ci)]).dir))
        .collect();
    let mut policy_of = BTreeMap::new();
    for policy in ["locked", "seed"] {
        for pattern in manifest["files"][policy].as_array().expect(policy) {
            let pattern = pattern.as_str().expect("pattern");
            let glob = globset::Glob::new(pattern).expect("glob").compile_matcher();
            let mut matched = false;
            for path in rendered.iter().flat_map(BTreeMap::keys) {
                if glob.is_match(path) {
                    matched = true;
                    if let Some(other) = policy_of.insert(path.clone(), policy) {
                        assert_eq!(other, policy, "{path} is both {other} and {policy}");
                    }
                }
            }
            assert!(
                matched,
                "{policy} pattern `{pattern}` matches no rendered file"
            );
        }
    }
    policy_of
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Status and body of one `GET path` on 127.0.0.1:port, on a fresh connection, or None when
/// nothing answers.
pub(crate) fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// The image references (`REGISTRY/NAME:TAG`, optionally `@sha256:DIGEST`) in `text`, with their
/// line, for the registries the bundles pull from.
fn image_references(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for line in text.lines() {
        for registry in ["docker.io/", "ghcr.io/", "quay.io/", "gcr.io/"] {
            let mut rest = line;
            while let Some(at) = rest.find(registry) {
                // `gcr.io/` inside `ghcr.io/` is the same reference, found once.
                let preceded = &rest[..at];
                rest = &rest[at..];
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                    .unwrap_or(rest.len());
                let reference = &rest[..end];
                rest = &rest[end..];
                if registry == "gcr.io/" && preceded.ends_with('h') {
                    continue;
                }
                // A tag, not a registry path such as `ghcr.io/acme` or a project's own image.
                if reference.contains(':') {
                    out.push((line, reference));
                }
            }
        }
    }
    out
}

/// Every image the newest release of each bundle pulls, in its Dockerfile, either pipeline and
/// the chart, is pinned by digest (issue #15).
#[test]
fn every_image_of_the_newest_releases_is_pinned_by_digest() {
    for (bundle, version) in [
        ("rust-service", "1.5.1"),
        ("node-service", "1.3.1"),
        ("python-service", "1.3.0"),
    ] {
        for ci in CIS {
            let project = render(bundle, version, &[("ci", ci)]);
            let mut seen = 0;
            for (path, bytes) in files(&project.dir) {
                // The README and runbook show the project's own image, which nothing pulls here.
                if path.ends_with(".md") {
                    continue;
                }
                let text = String::from_utf8_lossy(&bytes);
                for (line, reference) in image_references(&text) {
                    // The image's own label naming its base (the digest has a label of its own).
                    if line.contains("org.opencontainers.image.base.name=") {
                        continue;
                    }
                    seen += 1;
                    let digest = reference.split_once("@sha256:").map(|(_, d)| d);
                    assert!(
                        digest.is_some_and(
                            |d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit())
                        ),
                        "{bundle} {version} {ci} {path}: `{reference}` is not pinned by digest"
                    );
                }
            }
            // The Dockerfile's, the chart's test image and the pipeline's tools at least.
            assert!(
                seen >= 5,
                "{bundle} {version} {ci}: only {seen} images found"
            );
        }
    }
}

#[test]
fn image_references_are_found_with_and_without_digests() {
    let text = "FROM docker.io/library/rust:1.96.0-slim-bookworm@sha256:ab AS build\n\
                image: gcr.io/distroless/cc-debian12:nonroot\n\
                  docker run \"ghcr.io/yannh/kubeconform:v0.7.0\" -strict\n\
                IMAGE: ghcr.io/acme/orders-api\n";
    let found: Vec<&str> = image_references(text).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        found,
        [
            "docker.io/library/rust:1.96.0-slim-bookworm@sha256:ab",
            "gcr.io/distroless/cc-debian12:nonroot",
            "ghcr.io/yannh/kubeconform:v0.7.0",
        ]
    );
}
