//! A check report as text (people), JSON (machines; schema in docs/check-report.schema.json),
//! GitHub Actions annotations, and JUnit XML (GitLab, Jenkins). All deterministic: sorted, no
//! timestamps, no host names, so the same project gives the same bytes on every machine.

use super::report::{Change, Drift, Finding, NewerUnknown, NotVerifiable, Report};
use std::fmt::Write as _;

fn outdated_message(r: &Report) -> String {
    format!(
        "{} {} is available; this project is on {} ({} version{} behind{}). Run `goldpath upgrade`.",
        r.bundle,
        r.latest,
        r.upgrade_in_progress.as_ref().unwrap_or(&r.version),
        r.behind,
        if r.behind == 1 { "" } else { "s" },
        if r.major_jump { ", a major version: read its changelog first" } else { "" }
    )
}

fn drift_message(r: &Report, drift: &Drift) -> String {
    let path = drift.path.as_str();
    let what = match &drift.change {
        Change::Deleted => "was deleted",
        Change::Edited => "was changed by hand",
        Change::Mode { executable: true } => "lost its executable bit",
        Change::Mode { executable: false } => "was made executable",
        Change::Symlink { link } => {
            return format!(
                "{path} is owned by the golden path {} {} (locked), but the symlink {link} is in its place (goldpath never follows a symlink in a project). Replace the link with the real file or folder (`git rm {link}`), then restore the file with `goldpath diff {path} | git apply -R`.",
                r.bundle,
                r.upgrade_in_progress.as_ref().unwrap_or(&r.version)
            )
        }
    };
    // A file that shows a secret gets no diff, from check or from `goldpath diff`.
    if drift.change == Change::Edited && drift.diff.is_none() {
        return format!(
            "{path} is owned by the golden path {} {} (locked) and {what}. It holds a secret answer, so goldpath shows no diff of it: restore it by hand, or propose the change to the golden path.",
            r.bundle,
            r.upgrade_in_progress.as_ref().unwrap_or(&r.version)
        );
    }
    format!(
        "{path} is owned by the golden path {} {} (locked) and {what}. Restore it with `goldpath diff {path} | git apply -R`, or propose the change to the golden path.",
        r.bundle,
        // While an upgrade is in progress, files are compared with the version it goes to.
        r.upgrade_in_progress.as_ref().unwrap_or(&r.version)
    )
}

fn not_verifiable_message(n: &NotVerifiable) -> String {
    let names = n
        .secrets
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let give = n
        .secrets
        .iter()
        .map(|s| {
            format!(
                "`--set {s}=VALUE` or {}{}",
                super::secrets::ENV_PREFIX,
                s.to_uppercase()
            )
        })
        .collect::<Vec<_>>()
        .join(", and ");
    format!(
        "{} is not verifiable without {names}: its text depends on the secret in a way a placeholder cannot stand for (secrets are not recorded). To check it, give {give}.",
        n.path
    )
}

fn newer_unknown_message(r: &Report, why: &NewerUnknown) -> String {
    match why {
        NewerUnknown::Offline => format!(
            "newer versions of {} were not looked up (--offline); the files were compared with the cached copy of {}.",
            r.bundle, r.version
        ),
        NewerUnknown::Unreachable(reason) => format!(
            "whether a newer version of {} exists is unknown: {} ({reason}); the files were compared with the cached copy of {}.",
            r.bundle, r.source, r.version
        ),
    }
}

fn markers_message(path: &str) -> String {
    format!("{path} still holds conflict markers. Resolve them, then run `goldpath upgrade --continue`.")
}

pub fn text(r: &Report, fail_on: &[Finding]) -> String {
    let mut out = String::new();
    let failing = r
        .findings()
        .into_iter()
        .filter(|f| fail_on.contains(f))
        .count();
    let _ = writeln!(
        out,
        "{} {} ({}): {} files checked, {}",
        r.bundle,
        r.version,
        r.source,
        r.files,
        if failing == 0 {
            "ok".to_string()
        } else {
            format!(
                "{failing} problem kind{}",
                if failing == 1 { "" } else { "s" }
            )
        }
    );
    let tag = |f: Finding| {
        if fail_on.contains(&f) {
            "error"
        } else {
            "note"
        }
    };
    if r.behind > 0 {
        let _ = writeln!(
            out,
            "{}: outdated: {}",
            tag(Finding::Outdated),
            outdated_message(r)
        );
    }
    match &r.newer_unknown {
        Some(why @ NewerUnknown::Unreachable(_)) => {
            let level = if fail_on.contains(&Finding::Unreachable) {
                "error"
            } else {
                "warning"
            };
            let _ = writeln!(
                out,
                "{level}: unreachable: {}",
                newer_unknown_message(r, why)
            );
        }
        Some(why @ NewerUnknown::Offline) => {
            let _ = writeln!(out, "note: offline: {}", newer_unknown_message(r, why));
        }
        None => {}
    }
    if let Some(v) = &r.upgrade_in_progress {
        let _ = writeln!(out, "{}: an upgrade to {v} stopped on conflicts; finish it with `goldpath upgrade --continue` or undo it with `goldpath upgrade --abort`", tag(Finding::ConflictMarkers));
    }
    for p in &r.conflict_markers {
        let _ = writeln!(
            out,
            "{}: conflict markers: {}",
            tag(Finding::ConflictMarkers),
            markers_message(p.as_str())
        );
    }
    for d in &r.drift {
        let _ = writeln!(
            out,
            "{}: drift: {}",
            tag(Finding::Drift),
            drift_message(r, d)
        );
        if let Some(diff) = &d.diff {
            for line in diff.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    for n in &r.not_verifiable {
        let _ = writeln!(out, "note: not verifiable: {}", not_verifiable_message(n));
    }
    if !r.customised.is_empty() {
        let _ = writeln!(
            out,
            "{}: customised (merged on upgrade, your changes kept): {}",
            tag(Finding::Customised),
            r.customised
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out
}

pub fn json(r: &Report, fail_on: &[Finding]) -> String {
    pretty(&json_value(r, fail_on))
}

/// The schema of [`json_staged`]'s document (docs/check-staged-report.schema.json).
const STAGED_SCHEMA: &str = "https://goldpath.dev/schemas/check-staged-report/v1";

/// The reports of every project `check --staged` checked, as ONE document a consumer can parse
/// (one report after another is not JSON): each project's folder relative to the repository's
/// work tree (`.` for its root) and its report, exactly as [`json`] gives it (schema
/// check-report/v1), in the order given.
pub fn json_staged(projects: &[(String, Report)], fail_on: &[Finding]) -> String {
    let value = serde_json::json!({
        "schema": STAGED_SCHEMA,
        "projects": projects.iter().map(|(folder, r)| serde_json::json!({
            "folder": folder,
            "report": json_value(r, fail_on),
        })).collect::<Vec<_>>(),
        "failed": projects.iter().any(|(_, r)| r.fails(fail_on)),
    });
    pretty(&value)
}

fn pretty(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("a report is plain JSON");
    s.push('\n');
    s
}

fn json_value(r: &Report, fail_on: &[Finding]) -> serde_json::Value {
    let findings: Vec<&str> = r.findings().into_iter().map(Finding::name).collect();
    serde_json::json!({
        "schema": "https://goldpath.dev/schemas/check-report/v1",
        "bundle": r.bundle,
        "version": r.version.to_string(),
        "source": r.source,
        "files": r.files,
        "outdated": {
            "latest": r.latest.to_string(),
            "behind": r.behind,
            "major": r.major_jump,
        },
        "drift": r.drift.iter().map(|d| serde_json::json!({
            "path": d.path.as_str(),
            "deleted": d.change == Change::Deleted,
            "diff": d.diff,
        })).collect::<Vec<_>>(),
        "customised": r.customised.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "conflict_markers": r.conflict_markers.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "upgrade_in_progress": r.upgrade_in_progress.as_ref().map(|v| v.to_string()),
        "not_verifiable": r.not_verifiable.iter().map(|n| serde_json::json!({
            "path": n.path.as_str(),
            "secrets": n.secrets,
        })).collect::<Vec<_>>(),
        "newer_unknown": r.newer_unknown.as_ref().map(|why| serde_json::json!({
            "reason": match why {
                NewerUnknown::Offline => "offline",
                NewerUnknown::Unreachable(_) => "unreachable",
            },
            "message": newer_unknown_message(r, why),
        })),
        "findings": findings,
        "fail_on": fail_on.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "failed": r.fails(fail_on),
    })
}

/// GitHub's workflow-command escaping: the message and the properties each have their own.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn github(r: &Report, fail_on: &[Finding]) -> String {
    github_in(r, fail_on, ".")
}

/// [`github`] for a project in `folder` of the repository (`check --staged`; `.` for its root):
/// GitHub places an annotation by its path from the repository's root, so each is named from
/// there.
pub fn github_in(r: &Report, fail_on: &[Finding], folder: &str) -> String {
    let file = |path: &str| match folder {
        "." | "" => gh_prop(path),
        folder => gh_prop(&format!("{folder}/{path}")),
    };
    let answers = file(".goldpath.toml");
    let mut out = String::new();
    let level = |f: Finding| {
        if fail_on.contains(&f) {
            "error"
        } else {
            "notice"
        }
    };
    if r.behind > 0 {
        let _ = writeln!(
            out,
            "::{} file={answers},title={}::{}",
            level(Finding::Outdated),
            gh_prop("goldpath: outdated"),
            gh_data(&outdated_message(r))
        );
    }
    for p in &r.conflict_markers {
        let _ = writeln!(
            out,
            "::{} file={},title={}::{}",
            level(Finding::ConflictMarkers),
            file(p.as_str()),
            gh_prop("goldpath: conflict markers"),
            gh_data(&markers_message(p.as_str()))
        );
    }
    for d in &r.drift {
        let mut msg = drift_message(r, d);
        if let Some(diff) = &d.diff {
            msg.push_str("\n\n");
            msg.push_str(diff);
        }
        let _ = writeln!(
            out,
            "::{} file={},title={}::{}",
            level(Finding::Drift),
            file(d.path.as_str()),
            gh_prop("goldpath: locked file drifted"),
            gh_data(&msg)
        );
    }
    if let Some(why) = &r.newer_unknown {
        let level = match why {
            NewerUnknown::Unreachable(_) if fail_on.contains(&Finding::Unreachable) => "error",
            NewerUnknown::Unreachable(_) => "warning",
            NewerUnknown::Offline => "notice",
        };
        let _ = writeln!(
            out,
            "::{level} file={answers},title={}::{}",
            gh_prop("goldpath: newer versions unknown"),
            gh_data(&newer_unknown_message(r, why))
        );
    }
    for n in &r.not_verifiable {
        let _ = writeln!(
            out,
            "::notice file={},title={}::{}",
            file(n.path.as_str()),
            gh_prop("goldpath: not verifiable without a secret"),
            gh_data(&not_verifiable_message(n))
        );
    }
    for p in &r.customised {
        let _ = writeln!(
            out,
            "::{} file={},title={}::{}",
            level(Finding::Customised),
            file(p.as_str()),
            gh_prop("goldpath: customised"),
            gh_data(&format!(
                "{p} differs from the golden path; upgrades merge it and keep your changes."
            ))
        );
    }
    let _ = writeln!(
        out,
        "{}",
        text(r, fail_on).lines().next().unwrap_or_default()
    );
    out
}

/// Text escaped for XML content and attributes (JUnit reports: `check` and `bundle test`).
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0, not even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// One JUnit test case: passed, failed, or passed with a note (a finding that does not fail).
struct Case {
    class: &'static str,
    name: String,
    /// (type, message, body)
    failure: Option<(&'static str, String, String)>,
    note: Option<String>,
}

impl Case {
    fn passed(class: &'static str, name: impl Into<String>) -> Case {
        Case {
            class,
            name: name.into(),
            failure: None,
            note: None,
        }
    }

    /// A finding of `kind`: a failure when it fails the check, a note otherwise.
    fn found(
        class: &'static str,
        name: impl Into<String>,
        kind: &'static str,
        fails: bool,
        message: String,
        body: String,
    ) -> Case {
        let (failure, note) = if fails {
            (Some((kind, message, body)), None)
        } else {
            (None, Some(message))
        };
        Case {
            class,
            name: name.into(),
            failure,
            note,
        }
    }
}

pub fn junit(r: &Report, fail_on: &[Finding]) -> String {
    let suite = format!("goldpath check: {} {}", r.bundle, r.version);
    junit_suites(&[(suite, junit_cases(r, fail_on))])
}

/// The reports of every project `check --staged` checked, as ONE JUnit document: a
/// `<testsuite>` for each project, named with its folder relative to the repository's work
/// tree (`.` for its root), in one `<testsuites>` that counts them all.
pub fn junit_staged(projects: &[(String, Report)], fail_on: &[Finding]) -> String {
    let suites: Vec<(String, Vec<Case>)> = projects
        .iter()
        .map(|(folder, r)| {
            let name = format!("goldpath check: {folder}: {} {}", r.bundle, r.version);
            (name, junit_cases(r, fail_on))
        })
        .collect();
    junit_suites(&suites)
}

fn junit_suites(suites: &[(String, Vec<Case>)]) -> String {
    let failures = |cases: &[Case]| cases.iter().filter(|c| c.failure.is_some()).count();
    let tests: usize = suites.iter().map(|(_, cases)| cases.len()).sum();
    let failed: usize = suites.iter().map(|(_, cases)| failures(cases)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"goldpath check\" tests=\"{tests}\" failures=\"{failed}\" errors=\"0\">"
    );
    for (name, cases) in suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            xml(name),
            cases.len(),
            failures(cases)
        );
        for c in cases {
            junit_case(&mut out, c);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn junit_case(out: &mut String, c: &Case) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\"",
        c.class,
        xml(&c.name)
    );
    if c.failure.is_none() && c.note.is_none() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    if let Some((kind, message, body)) = &c.failure {
        let _ = writeln!(
            out,
            "      <failure type=\"{kind}\" message=\"{}\">{}</failure>",
            xml(message),
            xml(body)
        );
    }
    if let Some(note) = &c.note {
        let _ = writeln!(out, "      <system-out>{}</system-out>", xml(note));
    }
    out.push_str("    </testcase>\n");
}

/// The test cases of a report: the version, each drifted file, each file with conflict
/// markers, each customised file; a passed case for each check that found nothing.
fn junit_cases(r: &Report, fail_on: &[Finding]) -> Vec<Case> {
    let fails = |f: Finding| fail_on.contains(&f);
    let mut cases = Vec::new();
    let version = format!("{} is the newest version of {}", r.version, r.bundle);
    cases.push(if r.behind > 0 {
        let message = outdated_message(r);
        let fails = fails(Finding::Outdated);
        Case::found(
            "goldpath.version",
            version,
            "outdated",
            fails,
            message,
            String::new(),
        )
    } else if let Some(why) = &r.newer_unknown {
        let fails = matches!(why, NewerUnknown::Unreachable(_)) && fails(Finding::Unreachable);
        Case::found(
            "goldpath.version",
            version,
            "unreachable",
            fails,
            newer_unknown_message(r, why),
            String::new(),
        )
    } else {
        Case::passed("goldpath.version", version)
    });
    if r.drift.is_empty() {
        cases.push(Case::passed(
            "goldpath.drift",
            "locked files match the golden path",
        ));
    }
    for d in &r.drift {
        let (message, body) = (drift_message(r, d), d.diff.clone().unwrap_or_default());
        let fails = fails(Finding::Drift);
        cases.push(Case::found(
            "goldpath.drift",
            d.path.to_string(),
            "drift",
            fails,
            message,
            body,
        ));
    }
    let mut marker_paths: Vec<String> = r.conflict_markers.iter().map(|p| p.to_string()).collect();
    if marker_paths.is_empty() {
        match r.upgrade_in_progress {
            None => cases.push(Case::passed(
                "goldpath.conflict-markers",
                "no conflict markers",
            )),
            Some(_) => marker_paths.push(".goldpath.toml".into()),
        }
    }
    for p in marker_paths {
        let message = match &r.upgrade_in_progress {
            Some(v) if p == ".goldpath.toml" => format!("an upgrade to {v} stopped on conflicts; finish it with `goldpath upgrade --continue`"),
            _ => markers_message(&p),
        };
        let fails = fails(Finding::ConflictMarkers);
        let kind = "conflict-markers";
        cases.push(Case::found(
            "goldpath.conflict-markers",
            p,
            kind,
            fails,
            message,
            String::new(),
        ));
    }
    for n in &r.not_verifiable {
        cases.push(Case::found(
            "goldpath.not-verifiable",
            n.path.to_string(),
            "not-verifiable",
            false,
            not_verifiable_message(n),
            String::new(),
        ));
    }
    for p in &r.customised {
        let message =
            format!("{p} differs from the golden path; upgrades merge it and keep your changes.");
        let fails = fails(Finding::Customised);
        let name = p.to_string();
        cases.push(Case::found(
            "goldpath.customised",
            name,
            "customised",
            fails,
            message,
            String::new(),
        ));
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_newlines_and_separators() {
        assert_eq!(gh_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(gh_prop("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(
            xml("<a & \"b\">\u{1b}"),
            "&lt;a &amp; &quot;b&quot;&gt;\u{FFFD}"
        );
    }
}
