//! Third-party scanners over the newest release of every built-in bundle (issues #14, #15),
//! rendered for each CI: zizmor (GitHub Actions security audit, no finding of medium severity or
//! above), checkov on the Dockerfile, the GitHub workflow, the GitLab pipeline and the chart's
//! rendered manifests (each asserted to be really scanned), `renovate-config-validator --strict`
//! on renovate.json, shellcheck on every `run:` block of the workflow and every `script:` line of
//! the GitLab pipeline, and `promtool check rules --lint=all --lint-fatal` on every rule file.
//! "Newest" is what the built-in catalog lists (`goldpath list`), so a new release is scanned
//! without editing this file. Each accepted finding is listed, with its bundles and why, in
//! `tests/scanners-accepted.txt`; a finding not listed fails, and so does a listed one that no
//! longer occurs (nothing is accepted silently). Tools are found on `PATH`
//! (`tests/install-validators` installs them): without `GOLDPATH_VALIDATORS=1` a missing one
//! skips its part, with it a missing one fails. Cost: one test per bundle, each about 0.2 s plus
//! about 25 s for checkov's six runs (its start-up is most of it).

use crate::harness::{read, Goldpath};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every bundle of the built-in catalog.
const BUNDLES: [&str; 3] = ["rust-service", "python-service", "node-service"];

fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let required = std::env::var("GOLDPATH_VALIDATORS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{name} is not on PATH (tests/install-validators installs it)"
        );
        eprintln!("SKIPPED {name}: not on PATH (tests/install-validators installs it)");
    }
    found
}

/// A finding: `(tool, rule, file)`.
type Finding = (String, String, String);

/// The findings accepted for `bundle`, read from `tests/scanners-accepted.txt`: lines of
/// `BUNDLES TOOL RULE FILE: why`, BUNDLES a comma-separated list of bundle names; a why is
/// required.
fn accepted(bundle: &str) -> BTreeSet<Finding> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scanners-accepted.txt");
    let mut out = BTreeSet::new();
    for l in read(&path)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (head, why) = l.split_once(": ").unwrap_or_else(|| panic!("no why: {l}"));
        assert!(!why.trim().is_empty(), "no why: {l}");
        let mut parts = head.split_whitespace();
        let (Some(bundles), Some(t), Some(r), Some(f), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            panic!("not `BUNDLES TOOL RULE FILE: why`: {l}");
        };
        for b in bundles.split(',') {
            assert!(BUNDLES.contains(&b), "`{b}` is no built-in bundle: {l}");
        }
        if bundles.split(',').any(|b| b == bundle) {
            out.insert((t.to_string(), r.to_string(), f.to_string()));
        }
    }
    out
}

/// The newest release of `bundle` in the built-in catalog, as `goldpath list` shows it.
fn newest(bundle: &str) -> String {
    let out = Goldpath::new().arg("list").success();
    out.stdout
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(bundle)).then(|| words.next().map(str::to_string))?
        })
        .unwrap_or_else(|| panic!("`goldpath list` has no {bundle}:\n{}", out.stdout))
}

fn render(bundle: &str, version: &str, ci: &str, dir: &Path) {
    Goldpath::new()
        .args(["new", bundle])
        .arg(dir)
        .args([
            "--version",
            version,
            "--defaults",
            "--no-input",
            "--no-commit",
        ])
        .args(["--set", "service_name=orders-api", "--set"])
        .arg(format!("ci={ci}"))
        .success();
}

/// The `run:` blocks of a GitHub workflow (block scalars and one-liners).
fn run_blocks(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start().trim_start_matches("- ");
        let Some(value) = t.strip_prefix("run: ") else {
            i += 1;
            continue;
        };
        let own = indent(lines[i]);
        i += 1;
        if !value.starts_with(['|', '>']) {
            out.push(value.to_string());
            continue;
        }
        let mut body = Vec::new();
        while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > own) {
            body.push(lines[i]);
            i += 1;
        }
        let base = body
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| indent(l))
            .min();
        let base = base.unwrap_or(0);
        out.push(
            body.iter()
                .map(|l| l.get(base..).unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    out
}

/// The items of every `script:`, `before_script:` and `after_script:` of a GitLab pipeline;
/// a folded item (`- >-`) is joined into one line, as GitLab runs it, and a literal one (`- |`)
/// keeps its lines.
fn script_items(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let key = lines[i].trim();
        if !matches!(key, "script:" | "before_script:" | "after_script:") {
            i += 1;
            continue;
        }
        let own = indent(lines[i]);
        i += 1;
        while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > own) {
            let Some(item) = lines[i].trim().strip_prefix("- ") else {
                i += 1;
                continue;
            };
            let item_indent = indent(lines[i]);
            i += 1;
            if item == "|" || item == "|-" {
                // A literal block: its lines, as one script.
                let mut body = Vec::new();
                while i < lines.len()
                    && (lines[i].trim().is_empty() || indent(lines[i]) > item_indent)
                {
                    body.push(lines[i]);
                    i += 1;
                }
                let base = body
                    .iter()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| indent(l))
                    .min()
                    .unwrap_or(0);
                let body: Vec<&str> = body.iter().map(|l| l.get(base..).unwrap_or("")).collect();
                out.push(body.join("\n").trim_end().to_string());
            } else if item == ">-" || item == ">" {
                let mut parts = Vec::new();
                while i < lines.len()
                    && !lines[i].trim().is_empty()
                    && indent(lines[i]) > item_indent
                {
                    parts.push(lines[i].trim());
                    i += 1;
                }
                out.push(parts.join(" "));
            } else if let Some(inner) = item.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                out.push(inner.replace("''", "'"));
            } else {
                out.push(item.to_string());
            }
        }
    }
    out
}

/// shellcheck findings (`SCxxxx`) of each script, written to `dir` with `shell`'s shebang.
fn shellcheck(bin: &Path, dir: &Path, shell: &str, scripts: &[String]) -> Vec<String> {
    let mut files = Vec::new();
    for (n, s) in scripts.iter().enumerate() {
        let f = dir.join(format!("script-{n}.sh"));
        std::fs::write(&f, format!("#!/usr/bin/env {shell}\n{s}\n")).unwrap();
        files.push(f);
    }
    let out = Command::new(bin)
        .arg("--format=gcc")
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success() || !text.is_empty(),
        "shellcheck failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter_map(|l| {
            let code = l.rsplit_once("[SC")?.1.trim_end_matches(']');
            Some(format!("SC{code}"))
        })
        .collect()
}

#[test]
fn rust_service_newest_release_passes_the_scanners() {
    scan("rust-service");
}

#[test]
fn python_service_newest_release_passes_the_scanners() {
    scan("python-service");
}

#[test]
fn node_service_newest_release_passes_the_scanners() {
    scan("node-service");
}

#[test]
fn every_bundle_of_the_catalog_is_scanned() {
    // `goldpath list`: a bundle's name starts a line; its description is indented.
    let out = Goldpath::new().arg("list").success();
    let listed: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(listed.len(), BUNDLES.len(), "{}", out.stdout);
    for name in listed {
        assert!(BUNDLES.contains(&name), "{name} has no scanner test");
    }
}

/// Every scanner over the newest release of `bundle`, for each CI.
fn scan(bundle: &str) {
    let version = newest(bundle);
    let accepted = accepted(bundle);
    let mut found: BTreeSet<Finding> = BTreeSet::new();
    let mut unaccepted = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    let github = tmp.path().join("github");
    let gitlab = tmp.path().join("gitlab");
    render(bundle, &version, "github", &github);
    render(bundle, &version, "gitlab", &gitlab);
    let workflow = ".github/workflows/ci.yaml";
    let mut note = |tool: &str, rule: String, file: &str, detail: String| {
        let key = (tool.to_string(), rule, file.to_string());
        if !accepted.contains(&key) {
            unaccepted.push(format!("{bundle} {} {} {}: {detail}", key.0, key.1, key.2));
        }
        found.insert(key);
    };

    if let Some(zizmor) = tool("zizmor") {
        let out = Command::new(zizmor)
            .args(["--offline", "--min-severity", "medium", "--format", "json"])
            .arg(github.join(workflow))
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("zizmor: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        // Audited at all: a workflow zizmor could not read would report nothing too.
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("completed"),
            "zizmor did not audit the workflow: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for finding in report.as_array().expect("a list of findings") {
            let rule = finding["ident"].as_str().unwrap_or("?").to_string();
            note("zizmor", rule, workflow, finding["desc"].to_string());
        }
    }

    if let Some(bin) = tool("shellcheck") {
        let runs = run_blocks(&read(github.join(workflow)));
        // At least every bundle's test, goldpath, chart and signing steps: the parser found them.
        assert!(runs.len() >= 8, "{runs:#?}");
        let dir = tmp.path().join("sh-github");
        std::fs::create_dir(&dir).unwrap();
        for code in shellcheck(&bin, &dir, "bash", &runs) {
            note("shellcheck", code, workflow, "in a run: block".into());
        }
        let scripts = script_items(&read(gitlab.join(".gitlab-ci.yml")));
        assert!(scripts.len() >= 15, "{scripts:#?}");
        let dir = tmp.path().join("sh-gitlab");
        std::fs::create_dir(&dir).unwrap();
        for code in shellcheck(&bin, &dir, "sh", &scripts) {
            note(
                "shellcheck",
                code,
                ".gitlab-ci.yml",
                "in a script: item".into(),
            );
        }
    }

    if let Some(checkov) = tool("checkov") {
        // Each file with the number of checks it must at least run: checkov reports 0 checks,
        // and no failure, for a file it silently skips (a workflow whose `cancel-in-progress`
        // is an expression, for one).
        for (root, file, framework, least) in [
            (&github, "Dockerfile", "dockerfile", 30),
            (&github, workflow, "github_actions", 50),
            (&gitlab, ".gitlab-ci.yml", "gitlab_ci", 10),
        ] {
            let out = Command::new(&checkov)
                .args(["--quiet", "--compact", "--skip-download", "-o", "json"])
                .args(["--framework", framework, "-f"])
                .arg(root.join(file))
                .output()
                .unwrap();
            let report: serde_json::Value =
                serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                    panic!(
                        "checkov {file}: {e}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                });
            let summary = &report["summary"];
            let ran =
                summary["passed"].as_u64().unwrap_or(0) + summary["failed"].as_u64().unwrap_or(0);
            assert!(
                ran >= least,
                "checkov ran {ran} checks on {file}, fewer than {least}: {report}"
            );
            for failed in report["results"]["failed_checks"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let rule = failed["check_id"].as_str().unwrap_or("?").to_string();
                note("checkov", rule, file, failed["check_name"].to_string());
            }
        }
    }

    if let Some(checkov) = tool("checkov") {
        // The chart's manifests as `helm template` renders them in every scenario (every optional
        // object on in one of them), by the Helm Go SDK (tests/validators/helm_check.py).
        let python = tool("python3").expect("python3");
        let manifests = tmp.path().join("manifests");
        let helm = Command::new(&python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validators/helm_check.py"))
            .arg(github.join("chart"))
            .arg(&manifests)
            .output()
            .unwrap();
        let required = std::env::var("GOLDPATH_VALIDATORS").is_ok_and(|v| v == "1");
        if helm.status.success() {
            for scenario in ["default", "full", "gateway"] {
                // Files, not `-d`: checkov skips folders whose name starts with a dot, as
                // temp folders' do.
                let mut cmd = Command::new(&checkov);
                cmd.args(["--quiet", "--compact", "--skip-download", "-o", "json"])
                    .args(["--framework", "kubernetes"]);
                for entry in std::fs::read_dir(manifests.join(scenario)).unwrap() {
                    cmd.arg("-f").arg(entry.unwrap().path());
                }
                let out = cmd.output().unwrap();
                let report: serde_json::Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("checkov chart {scenario}: {e}"));
                let summary = &report["summary"];
                let ran = summary["passed"].as_u64().unwrap_or(0)
                    + summary["failed"].as_u64().unwrap_or(0);
                assert!(
                    ran >= 100,
                    "checkov ran {ran} checks on the {scenario} chart: {report}"
                );
                for failed in report["results"]["failed_checks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    // By kind: `Deployment.default.release-orders-api` -> `Deployment`.
                    let resource = failed["resource"].as_str().unwrap_or("?");
                    let kind = resource.split('.').next().unwrap_or("?");
                    let rule = format!("{}:{kind}", failed["check_id"].as_str().unwrap_or("?"));
                    note("checkov", rule, "chart", failed["check_name"].to_string());
                }
            }
        } else {
            assert!(
                !required,
                "helm_check.py failed (helm-python-sdk missing?): {}",
                String::from_utf8_lossy(&helm.stderr)
            );
            eprintln!("SKIPPED checkov on the chart: helm_check.py failed (tests/install-validators installs helm-python-sdk)");
        }
    }

    if let Some(validator) = tool("renovate-config-validator") {
        for root in [&github, &gitlab] {
            // --no-global: renovate.json is a repository's config, not a self-hosted one.
            let out = Command::new(&validator)
                .args(["--strict", "--no-global", "renovate.json"])
                .current_dir(root)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            if !out.status.success() {
                note(
                    "renovate-config-validator",
                    "strict".into(),
                    "renovate.json",
                    text,
                );
            } else {
                assert!(
                    text.contains("as repo config") && text.contains("validated successfully"),
                    "{text}"
                );
            }
        }
    }

    if let Some(promtool) = tool("promtool") {
        for file in ["alerts/slo-rules.yaml", "chart/files/prometheus-rules.yaml"] {
            let out = Command::new(&promtool)
                .args(["check", "rules", "--lint=all", "--lint-fatal"])
                .arg(github.join(file))
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(
                text.contains("SUCCESS") || !out.status.success(),
                "{file}: {text}"
            );
            if !out.status.success() {
                note("promtool", "lint".into(), file, text);
            }
        }
    }

    assert!(
        unaccepted.is_empty(),
        "{bundle} {version}: findings not listed in tests/scanners-accepted.txt:\n{}",
        unaccepted.join("\n")
    );
    // Only when every tool ran can an accepted finding be known to be gone.
    if ["zizmor", "shellcheck", "promtool"]
        .iter()
        .all(|t| tool(t).is_some())
    {
        let stale: Vec<_> = accepted.difference(&found).collect();
        assert!(
            stale.is_empty(),
            "{bundle} {version}: accepted findings that no longer occur (remove them): {stale:?}"
        );
    }
}
