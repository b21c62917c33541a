//! The formats of [`FleetStatus`]: a table for a terminal, JSON (docs/fleet-status.schema.json),
//! CSV (RFC 4180), Markdown for an issue or wiki page, and Prometheus' text exposition. Each is
//! made from the same document and its [`Summary`]; none re-derives a count. Everything in a
//! status came from the repositories, so every format escapes what its syntax needs.

use super::{FleetStatus, ProjectStatus, RepoStatus, Summary};
use std::fmt::Write;

/// The formats `--format` names (the HTML page is another module's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    Prometheus,
}

impl Format {
    pub const NAMES: [&'static str; 5] = ["table", "json", "csv", "markdown", "prometheus"];

    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "table" => Format::Table,
            "json" => Format::Json,
            "csv" => Format::Csv,
            "markdown" => Format::Markdown,
            "prometheus" => Format::Prometheus,
            _ => return None,
        })
    }

    pub fn render(self, status: &FleetStatus) -> String {
        match self {
            Format::Table => table(status),
            Format::Json => json(status),
            Format::Csv => csv(status),
            Format::Markdown => markdown(status),
            Format::Prometheus => prometheus(status),
        }
    }
}

/// The project's state in words, worst first: what a reader acts on.
pub fn state(p: &ProjectStatus) -> String {
    let mut parts = Vec::new();
    if let Some(e) = &p.error {
        return format!("error: {}", one_line(e));
    }
    if let Some(v) = &p.upgrade_in_progress {
        parts.push(format!("upgrade to {v} waiting on conflicts"));
    }
    if !p.conflict_markers.is_empty() {
        parts.push(format!("conflict markers in {}", p.conflict_markers.len()));
    }
    if !p.drifted.is_empty() {
        parts.push(format!("drifted {}", p.drifted.len()));
    }
    match p.behind {
        Some(0) => {}
        Some(n) if p.major_jump => parts.push(format!("behind {n} (new major)")),
        Some(n) => parts.push(format!("behind {n}")),
        None => parts.push("newer versions unknown".into()),
    }
    if !p.customised.is_empty() {
        parts.push(format!("customised {}", p.customised.len()));
    }
    if parts.is_empty() {
        return "current".into();
    }
    parts.join(", ")
}

/// A repository without projects: not adopted, or why it could not be read.
fn repo_state(r: &RepoStatus) -> String {
    match &r.error {
        Some(e) => format!("error: {}", one_line(e)),
        None => "not adopted".into(),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The summary sentence every human format starts with.
pub fn summary_line(s: &Summary) -> String {
    format!(
        "{} repositories: {} adopted, {} not adopted, {} unreachable; {} projects: {} current, {} behind ({} by a major version), {} drifted, {} with conflict markers",
        s.repos,
        s.adopted,
        s.not_adopted,
        s.unreachable,
        s.projects,
        s.current,
        s.behind,
        s.major_behind,
        s.drifted,
        s.conflict_markers
    )
}

/// One row of the table or of Markdown: repository, path, bundle, version, latest, owner, state.
fn rows(status: &FleetStatus) -> Vec<[String; 7]> {
    let mut out = Vec::new();
    for r in &status.repos {
        if r.projects.is_empty() {
            out.push([
                r.repo.clone(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                repo_state(r),
            ]);
        }
        for p in &r.projects {
            out.push([
                r.repo.clone(),
                p.path.clone(),
                p.bundle.clone(),
                p.version.clone(),
                p.latest.clone().unwrap_or_default(),
                p.owner.clone().unwrap_or_default(),
                state(p),
            ]);
        }
    }
    out
}

const HEADINGS: [&str; 7] = [
    "REPOSITORY",
    "PATH",
    "BUNDLE",
    "VERSION",
    "LATEST",
    "OWNER",
    "STATE",
];

/// Columns padded to their widest cell, then the summary.
pub fn table(status: &FleetStatus) -> String {
    let rows = rows(status);
    let mut widths = HEADINGS.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: [&str; 7]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut out, HEADINGS);
    for row in &rows {
        line(&mut out, row.each_ref().map(String::as_str));
    }
    let _ = writeln!(out, "\n{}", summary_line(&status.summary()));
    out
}

pub fn json(status: &FleetStatus) -> String {
    let mut text = serde_json::to_string_pretty(status).expect("a status serialises");
    text.push('\n');
    text
}

const CSV_HEADINGS: [&str; 20] = [
    "repo",
    "web_url",
    "base_branch",
    "repo_error",
    "path",
    "bundle",
    "source",
    "version",
    "latest",
    "behind",
    "major_jump",
    "owner",
    "drifted",
    "customised",
    "conflict_markers",
    "upgrade_in_progress",
    "project_error",
    "upgrade_branch",
    "upgrade_outcome",
    "pull_request",
];

/// One row per project; a repository without one is one row with empty project columns. Lists
/// of files are joined with `;`. RFC 4180: CRLF line ends, a field with `,`, `"` or a line
/// break quoted, `"` doubled.
pub fn csv(status: &FleetStatus) -> String {
    let mut out = String::new();
    csv_row(&mut out, CSV_HEADINGS.iter().map(|h| h.to_string()));
    for r in &status.repos {
        let repo = [
            r.repo.clone(),
            r.web_url.clone().unwrap_or_default(),
            r.base_branch.clone().unwrap_or_default(),
            r.error.clone().unwrap_or_default(),
        ];
        let upgrade = match &r.upgrade {
            Some(u) => [
                u.branch.clone(),
                u.outcome.clone(),
                u.pull_request.clone().unwrap_or_default(),
            ],
            None => Default::default(),
        };
        if r.projects.is_empty() {
            let empty = std::iter::repeat_n(String::new(), 13);
            csv_row(
                &mut out,
                repo.iter()
                    .cloned()
                    .chain(empty)
                    .chain(upgrade.iter().cloned()),
            );
        }
        for p in &r.projects {
            let project = [
                p.path.clone(),
                p.bundle.clone(),
                p.source.clone(),
                p.version.clone(),
                p.latest.clone().unwrap_or_default(),
                p.behind.map(|b| b.to_string()).unwrap_or_default(),
                p.major_jump.to_string(),
                p.owner.clone().unwrap_or_default(),
                p.drifted.join(";"),
                p.customised.join(";"),
                p.conflict_markers.join(";"),
                p.upgrade_in_progress.clone().unwrap_or_default(),
                p.error.clone().unwrap_or_default(),
            ];
            csv_row(
                &mut out,
                repo.iter()
                    .cloned()
                    .chain(project)
                    .chain(upgrade.iter().cloned()),
            );
        }
    }
    out
}

fn csv_row(out: &mut String, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.map(|c| csv_field(&c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// A field as RFC 4180 quotes it. A field a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@` first) gets a `'` in front: the values come from repositories, which anyone can name.
fn csv_field(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// A summary, adoption by bundle and version, and a table of every repository, for an issue
/// or a wiki page.
pub fn markdown(status: &FleetStatus) -> String {
    let s = status.summary();
    let mut out = String::new();
    let _ = writeln!(out, "# Fleet status\n");
    let _ = writeln!(out, "Generated {}.\n", md(&status.generated_at));
    let _ = writeln!(
        out,
        "| Repositories | Adopted | Not adopted | Unreachable | Projects | Current | Behind | Drifted | Conflict markers |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        s.repos,
        s.adopted,
        s.not_adopted,
        s.unreachable,
        s.projects,
        s.current,
        s.behind,
        s.drifted,
        s.conflict_markers
    );
    if !s.bundles.is_empty() {
        let _ = writeln!(out, "## Adoption by bundle\n");
        let _ = writeln!(out, "| Bundle | Latest | Version | Projects |");
        let _ = writeln!(out, "|---|---|---|---:|");
        for b in &s.bundles {
            for v in b.versions.iter().rev() {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    md(&b.bundle),
                    md(b.latest.as_deref().unwrap_or("?")),
                    md(&v.version),
                    v.projects
                );
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Repositories\n");
    let _ = writeln!(
        out,
        "| Repository | Path | Bundle | Version | Latest | Owner | State |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let mut row = |r: &RepoStatus, cells: [String; 6]| {
        let repo = match &r.web_url {
            Some(url) => format!("[{}]({})", md(&r.repo), url.replace(['(', ')', ' '], "")),
            None => md(&r.repo),
        };
        let _ = writeln!(out, "| {repo} | {} |", cells.map(|c| md(&c)).join(" | "));
    };
    for r in &status.repos {
        if r.projects.is_empty() {
            row(
                r,
                [
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    repo_state(r),
                ],
            );
        }
        for p in &r.projects {
            row(
                r,
                [
                    p.path.clone(),
                    p.bundle.clone(),
                    p.version.clone(),
                    p.latest.clone().unwrap_or_default(),
                    p.owner.clone().unwrap_or_default(),
                    state(p),
                ],
            );
        }
    }
    out
}

/// Text safe in a Markdown table cell: `|` would end the cell, a line break the row, and the
/// other marks would format text that came from a repository (or open HTML).
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Prometheus' text exposition format 0.0.4: one family after another, each with its HELP and
/// TYPE, label values escaped. Projects have `repo` and `path` labels, which identify them.
pub fn prometheus(status: &FleetStatus) -> String {
    let mut out = String::new();
    let projects: Vec<_> = status
        .projects()
        .filter(|(_, p)| p.error.is_none())
        .collect();
    let family = |out: &mut String, name: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
    };
    let project_labels = |r: &RepoStatus, p: &ProjectStatus| {
        format!(
            "repo=\"{}\",path=\"{}\",bundle=\"{}\"",
            label(&r.repo),
            label(&p.path),
            label(&p.bundle)
        )
    };
    family(
        &mut out,
        "goldpath_project_info",
        "A goldpath project: its repository, folder, bundle, version and owner.",
    );
    for (r, p) in &projects {
        let _ = writeln!(
            out,
            "goldpath_project_info{{repo=\"{}\",path=\"{}\",bundle=\"{}\",version=\"{}\",owner=\"{}\"}} 1",
            label(&r.repo),
            label(&p.path),
            label(&p.bundle),
            label(&p.version),
            label(p.owner.as_deref().unwrap_or(""))
        );
    }
    type Gauge = (
        &'static str,
        &'static str,
        fn(&ProjectStatus) -> Option<usize>,
    );
    let gauges: [Gauge; 5] = [
        (
            "goldpath_project_versions_behind",
            "Released versions of the bundle after the project's (absent when unknown).",
            |p| p.behind,
        ),
        (
            "goldpath_project_major_behind",
            "1 when the newest version of the bundle is a new major version for the project.",
            |p| p.behind.map(|_| usize::from(p.major_jump)),
        ),
        (
            "goldpath_project_drifted_files",
            "Locked files that differ from the golden path.",
            |p| Some(p.drifted.len()),
        ),
        (
            "goldpath_project_customised_files",
            "Merge files that differ from the golden path.",
            |p| Some(p.customised.len()),
        ),
        (
            "goldpath_project_conflict_marker_files",
            "Files that still hold conflict markers.",
            |p| Some(p.conflict_markers.len()),
        ),
    ];
    for (name, help, value) in gauges {
        family(&mut out, name, help);
        for (r, p) in &projects {
            if let Some(v) = value(p) {
                let _ = writeln!(out, "{name}{{{}}} {v}", project_labels(r, p));
            }
        }
    }
    family(
        &mut out,
        "goldpath_repo_adopted",
        "1 when the repository holds a goldpath project (absent when it could not be read).",
    );
    for r in status.repos.iter().filter(|r| r.error.is_none()) {
        let _ = writeln!(
            out,
            "goldpath_repo_adopted{{repo=\"{}\"}} {}",
            label(&r.repo),
            usize::from(r.is_adopted())
        );
    }
    let s = status.summary();
    family(
        &mut out,
        "goldpath_fleet_repos",
        "Repositories of the fleet by state: adopted, not_adopted, unreachable.",
    );
    for (state, n) in [
        ("adopted", s.adopted),
        ("not_adopted", s.not_adopted),
        ("unreachable", s.unreachable),
    ] {
        let _ = writeln!(out, "goldpath_fleet_repos{{state=\"{state}\"}} {n}");
    }
    family(
        &mut out,
        "goldpath_fleet_projects",
        "Projects of the fleet by state (a project can be in several): all, current, behind, major_behind, drifted, customised, conflict_markers, upgrade_in_progress, error.",
    );
    for (state, n) in [
        ("all", s.projects),
        ("current", s.current),
        ("behind", s.behind),
        ("major_behind", s.major_behind),
        ("drifted", s.drifted),
        ("customised", s.customised),
        ("conflict_markers", s.conflict_markers),
        ("upgrade_in_progress", s.upgrade_in_progress),
        ("error", s.errors),
    ] {
        let _ = writeln!(out, "goldpath_fleet_projects{{state=\"{state}\"}} {n}");
    }
    family(
        &mut out,
        "goldpath_bundle_version_projects",
        "Projects of each bundle at each version.",
    );
    for b in &s.bundles {
        for v in &b.versions {
            let _ = writeln!(
                out,
                "goldpath_bundle_version_projects{{bundle=\"{}\",version=\"{}\"}} {}",
                label(&b.bundle),
                label(&v.version),
                v.projects
            );
        }
    }
    out
}

/// A label value as the exposition format escapes it: `\`, `"` and line feeds.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md("a|b"), "a\\|b");
        assert_eq!(md("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(md("two\nlines"), "two lines");
        assert_eq!(md("[x](y)"), "\\[x\\](y)");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
