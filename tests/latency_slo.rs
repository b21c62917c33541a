//! The latency SLO of the catalog's services (issue #15): rust-service 1.3.0 on, python-service 1.1.0
//! and node-service 1.1.0 ask for a threshold (`latency_slo_ms`) and a target
//! (`latency_slo_target`), and render recording rules, burn-rate alerts and their promtool unit
//! tests from them. The threshold must be a bucket bound of the service's own duration histogram
//! (the share of slower requests is read from that bucket), so these tests hold each choice
//! against the buckets the service code declares, render the rules with the real binary, refuse
//! a threshold between two bounds, and run `promtool test rules` over the range of answers (the
//! unit tests page on slow series and stay quiet on fast ones).

use crate::catalog_service::{render, repo_root, text};
use crate::golden_path::{tools, Report};
use crate::harness::Goldpath;

/// Each release with the latency SLO, and the file declaring its duration histogram's buckets.
const RELEASES: [(&str, &str, &str); 6] = [
    ("rust-service", "1.3.0", "template/src/metrics.rs"),
    ("rust-service", "1.4.0", "template/src/metrics.rs"),
    ("rust-service", "1.5.0", "template/src/metrics.rs"),
    ("rust-service", "1.5.1", "template/src/metrics.rs"),
    ("python-service", "1.1.0", "template/app/metrics.py"),
    ("node-service", "1.1.0", "template/src/metrics.ts"),
];

/// The bucket bounds, in milliseconds, the service declares: the doubling series from 5 ms the
/// Rust and Python services build (12 buckets), or the list the Node service spells out.
fn bucket_bounds_ms(source: &str) -> Vec<u64> {
    let doubling = [
        "exponential_buckets(0.005, 2.0, 12)",
        "0.005 * 2**i for i in range(12)",
    ];
    if doubling.iter().any(|d| source.contains(d)) {
        return (0..12).map(|i| 5u64 << i).collect();
    }
    let list = source
        .split_once("buckets: [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("the service declares its buckets as a doubling series or a `buckets: [..]` list");
    list.split(',')
        .map(|b| {
            let seconds: f64 = b.trim().parse().expect("a bucket bound");
            (seconds * 1000.0).round() as u64
        })
        .collect()
}

/// The `latency_slo_ms` question of a release: the answers its validation accepts (a regex
/// `^(a|b|..)$`, so that `bundle test` does not render each one) and its default.
fn threshold_question(bundle: &str, version: &str) -> (Vec<String>, String) {
    let path = repo_root().join(format!("golden-paths/{bundle}/{version}/bundle.toml"));
    let manifest: toml::Table = std::fs::read_to_string(&path)
        .expect("bundle.toml")
        .parse()
        .expect("bundle.toml parses");
    let question = manifest["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["name"].as_str() == Some("latency_slo_ms"))
        .unwrap_or_else(|| panic!("{bundle} {version} asks latency_slo_ms"));
    let regex = question["validation"]["regex"].as_str().expect("a regex");
    let choices = regex
        .strip_prefix("^(")
        .and_then(|r| r.strip_suffix(")$"))
        .unwrap_or_else(|| panic!("{bundle}: latency_slo_ms accepts a list of bounds, not {regex}"))
        .split('|')
        .map(str::to_string)
        .collect();
    let default = question["default"].as_str().expect("default").to_string();
    (choices, default)
}

/// The `le` label value a client writes for a bound of `ms` milliseconds.
fn le_of(ms: u64) -> String {
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        format!("{}", ms as f64 / 1000.0)
    }
}

#[test]
fn every_latency_threshold_is_a_bucket_bound_of_the_service() {
    for (bundle, version, metrics) in RELEASES {
        let source = std::fs::read_to_string(
            repo_root().join(format!("golden-paths/{bundle}/{version}/{metrics}")),
        )
        .expect("metrics source");
        let bounds = bucket_bounds_ms(&source);
        let (choices, default) = threshold_question(bundle, version);
        assert!(
            choices.contains(&default),
            "{bundle}: default {default} is a choice"
        );
        for choice in &choices {
            let ms: u64 = choice.parse().expect("milliseconds");
            assert!(
                bounds.contains(&ms),
                "{bundle} {version}: latency_slo_ms {ms} is no bucket bound of {metrics} ({bounds:?})"
            );
        }
    }
}

#[test]
fn latency_rules_read_the_threshold_bucket_of_every_window() {
    for (bundle, version, _) in RELEASES {
        let (choices, default) = threshold_question(bundle, version);
        for ms in [default.as_str(), choices.last().expect("a choice")] {
            let project = render(
                bundle,
                version,
                &[("latency_slo_ms", ms), ("latency_slo_target", "99.5")],
            );
            let rules = text(&project, "alerts/slo-rules.yaml");
            let ms: u64 = ms.parse().expect("milliseconds");
            let le = le_of(ms);
            // A whole-second bound also matches Prometheus 3's normalised "1.0".
            let matcher = if ms % 1000 == 0 {
                format!("le=~\"{le}(\\\\.0)?\"")
            } else {
                format!("le=\"{le}\"")
            };
            for window in ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"] {
                let record =
                    format!("record: namespace_job:http_requests_slow:ratio_rate{window}\n");
                let at = rules
                    .find(&record)
                    .unwrap_or_else(|| panic!("{bundle} ms={ms}: no {record}in\n{rules}"));
                let body =
                    &rules[at..at + rules[at..].find("- record:").unwrap_or(rules.len() - at)];
                assert!(
                    body.contains(&format!("{matcher}}}[{window}]")),
                    "{bundle} ms={ms}: the {window} rule reads the {matcher} bucket:\n{body}"
                );
                assert!(body.contains(&format!("http_request_duration_seconds_count{{job=\"orders-api\", route!~\"/healthz|/readyz|/metrics\"}}[{window}]")), "{body}");
            }
            for alert in [
                "alert: LatencyBudgetBurnFast",
                "alert: LatencyBudgetBurnSlow",
            ] {
                assert!(rules.contains(alert), "{bundle}: {alert}");
            }
            assert!(rules.contains("namespace_job:http_requests_slow:ratio_rate1h{job=\"orders-api\"} > (14.4 * (1 - 99.5 / 100))"), "{rules}");
            // The chart ships the same rules, and the dashboard reads the budget left.
            assert_eq!(
                text(&project, "chart/files/prometheus-rules.yaml"),
                rules,
                "{bundle}"
            );
            let dashboard = text(&project, "dashboards/orders-api.json");
            assert!(dashboard.contains("namespace_job:http_request_latency_budget:remaining30d{namespace=\\\"$namespace\\\", job=\\\"$job\\\"}"), "{bundle}");
            assert!(
                text(&project, "docs/runbook.md")
                    .contains(&format!("answered in less than\n  **{ms} ms**")),
                "{bundle}"
            );
        }
    }
}

#[test]
fn a_latency_threshold_between_two_buckets_is_refused() {
    for (bundle, version, _) in RELEASES {
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
            .args([
                "--set",
                "service_name=orders-api",
                "--set",
                "latency_slo_ms=300",
            ])
            .code(2);
        // The error names the question and the answers it takes (not the answer given: goldpath
        // never echoes an answer, which may be a secret).
        out.stderr_contains("answer for `latency_slo_ms`");
        let (choices, _) = threshold_question(bundle, version);
        out.stderr_contains(&format!(
            "must be a bucket bound of the duration histogram, in milliseconds: {}",
            choices.join(", ")
        ));
        assert!(
            !dir.exists(),
            "{bundle}: nothing written for a refused answer"
        );
    }
}

/// One answer set per release, away from the defaults (which the release's own validator tests
/// run): the lowest target (a page burn rate above every request failing), the highest, and a
/// whole-second threshold (the `le=~"1(\\.0)?"` matcher). `promtool test rules` takes about 4 s
/// a file, so the three run at once, and only where promtool is installed.
#[test]
fn latency_alert_tests_pass_across_thresholds_and_targets() {
    let Some(tools) = tools() else { return };
    let cases = [
        ("rust-service", "1.5.1", "2560", "90"),
        ("python-service", "1.1.0", "80", "99.99"),
        ("node-service", "1.1.0", "1000", "95"),
    ];
    std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .into_iter()
            .map(|(bundle, version, ms, target)| {
                let promtool = &tools.promtool;
                scope.spawn(move || {
                    let project = render(
                        bundle,
                        version,
                        &[("latency_slo_ms", ms), ("latency_slo_target", target)],
                    );
                    let label = format!("{bundle} latency_slo_ms={ms} latency_slo_target={target}");
                    let alerts = project.dir.join("alerts");
                    let mut report = Report::default();
                    report.run(
                        &label,
                        &alerts,
                        promtool,
                        &["check", "rules", "slo-rules.yaml"],
                    );
                    report.run(
                        &label,
                        &alerts,
                        promtool,
                        &["test", "rules", "slo-rules.test.yaml"],
                    );
                    report.finish();
                })
            })
            .collect();
        for run in runs {
            if let Err(panic) = run.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}
