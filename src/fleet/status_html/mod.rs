//! `goldpath fleet status --format html`: the fleet on one self-contained page a platform team
//! can publish as a CI artifact. No network and no external asset (a Content-Security-Policy
//! allows only the page's own inline style and script, and `data:` images); the charts are SVG
//! drawn here, so everything reads without JavaScript; a small inline script adds sorting and
//! filtering of the services table from what is already in the DOM (it never parses data into
//! HTML). Every value from a repository is escaped ([`escape`]).

mod chart;
mod escape;

use super::status::{
    version_order, BundleSummary, FleetStatus, ProjectStatus, RepoStatus, Summary,
};
use super::status_history::{self, Adoption};
use escape::{html, link};
use std::fmt::Write;

const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The states a project (or repository) row can be in, as the state filter offers them.
const STATES: [(&str, &str); 7] = [
    ("current", "current"),
    ("behind", "behind"),
    ("drifted", "drifted"),
    ("upgrade-in-progress", "upgrade in progress"),
    ("conflict-markers", "conflict markers"),
    ("not-adopted", "not adopted"),
    ("error", "error"),
];

/// The page for `status`; `history` (oldest first, `status` included) adds adoption over time.
pub fn render(status: &FleetStatus, history: &[FleetStatus]) -> String {
    let summary = status.summary();
    let mut page = String::with_capacity(16 * 1024 + status.repos.len() * 600);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>Golden-path adoption, {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <header>\n<h1>Golden-path adoption</h1>\n\
         <p class=\"meta\">Generated <time datetime=\"{0}\">{0}</time> from {} repositories, {} projects.</p>\n\
         </header>\n<main>\n",
        html(&status.generated_at),
        summary.repos,
        summary.projects
    );
    counts(&mut page, &summary);
    bars(&mut page, &summary);
    if !history.is_empty() {
        over_time(&mut page, &status_history::adoption(history));
    }
    services(&mut page, status, &summary);
    let _ = write!(
        page,
        "</main>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    );
    page
}

fn counts(page: &mut String, s: &Summary) {
    page.push_str("<section aria-labelledby=\"counts-title\">\n<h2 id=\"counts-title\">Fleet</h2>\n<ul class=\"counts\" id=\"counts\">\n");
    let mut items = vec![
        ("current", "current", s.current),
        ("behind", "behind", s.behind),
        ("drifted", "drifted", s.drifted),
        ("not-adopted", "not adopted", s.not_adopted),
    ];
    if s.unreachable > 0 {
        items.push(("error", "unreadable", s.unreachable));
    }
    for (key, label, n) in items {
        let _ = writeln!(
            page,
            "<li class=\"count {key}\" data-count=\"{key}\"><span class=\"n\">{n}</span> <span class=\"label\">{label}</span></li>"
        );
    }
    let _ = write!(
        page,
        "</ul>\n<p class=\"note\">Projects: current is on the newest release with no drift; behind has newer releases; drifted has locked files that differ (a project can be both). Repositories: {} adopted, {} not adopted.</p>\n</section>\n",
        s.adopted, s.not_adopted
    );
}

fn bars(page: &mut String, s: &Summary) {
    page.push_str("<section aria-labelledby=\"bars-title\">\n<h2 id=\"bars-title\">Adoption by version</h2>\n");
    if s.bundles.is_empty() {
        page.push_str("<p>No goldpath project in the fleet yet.</p>\n");
    }
    page.push_str("<div class=\"charts\">\n");
    for bundle in &s.bundles {
        let name = &bundle.bundle;
        let _ = write!(
            page,
            "<figure class=\"adoption\" data-bundle=\"{}\">\n<figcaption><strong>{}</strong> {} project(s){}</figcaption>\n{}\n</figure>\n",
            html(name),
            html(name),
            bundle.projects,
            bundle
                .latest
                .as_ref()
                .map(|l| format!(", newest release {}", html(l)))
                .unwrap_or_default(),
            chart::bars(name, bundle.latest.as_deref(), &with_latest(bundle))
        );
    }
    page.push_str("</div>\n</section>\n");
}

/// `bundle`'s projects per version, oldest first, with its newest release listed even when no
/// project is on it yet: the empty bar is the news.
fn with_latest(bundle: &BundleSummary) -> Vec<(String, usize)> {
    let mut versions: Vec<(String, usize)> = bundle
        .versions
        .iter()
        .map(|v| (v.version.clone(), v.projects))
        .collect();
    if let Some(latest) = &bundle.latest {
        if !versions.iter().any(|(v, _)| v == latest) {
            versions.push((latest.clone(), 0));
            versions.sort_by(|a, b| version_order(&a.0, &b.0));
        }
    }
    versions
}

fn over_time(page: &mut String, adoption: &[Adoption]) {
    page.push_str("<section aria-labelledby=\"history-title\" id=\"history\">\n<h2 id=\"history-title\">Adoption over time</h2>\n\
                   <p class=\"note\">The share of each bundle's projects on each release at every snapshot of <code>--history</code>: how fast a release reaches the fleet.</p>\n");
    for a in adoption {
        let id = chart::slug(&a.bundle);
        let _ = write!(
            page,
            "<figure class=\"over-time\" data-bundle=\"{}\">\n<figcaption><strong>{}</strong>, newest release {}</figcaption>\n{}\n<ul class=\"legend\">",
            html(&a.bundle),
            html(&a.bundle),
            html(&a.newest),
            chart::lines(a)
        );
        for (v, version) in a.versions.iter().enumerate() {
            let _ = write!(
                page,
                "<li class=\"s{}{}\"><span class=\"swatch\"></span>{}</li>",
                v % 6,
                if *version == a.newest { " newest" } else { "" },
                html(version)
            );
        }
        let _ = write!(
            page,
            "</ul>\n<table class=\"history\" id=\"history-{}\" data-bundle=\"{}\">\n<caption>{}: % of projects on each version</caption>\n<thead><tr><th scope=\"col\">Snapshot</th><th scope=\"col\">Projects</th>",
            html(&id),
            html(&a.bundle),
            html(&a.bundle)
        );
        for version in &a.versions {
            let _ = write!(page, "<th scope=\"col\">{}</th>", html(version));
        }
        page.push_str("</tr></thead>\n<tbody>\n");
        for p in &a.points {
            let _ = write!(
                page,
                "<tr><th scope=\"row\"><time datetime=\"{0}\">{0}</time></th><td>{1}</td>",
                html(&p.generated_at),
                p.projects
            );
            for v in 0..a.versions.len() {
                let _ = write!(
                    page,
                    "<td data-version=\"{}\">{}%</td>",
                    html(&a.versions[v]),
                    chart::percent(p.share(v))
                );
            }
            page.push_str("</tr>\n");
        }
        page.push_str("</tbody>\n</table>\n</figure>\n");
    }
    page.push_str("</section>\n");
}

fn services(page: &mut String, status: &FleetStatus, s: &Summary) {
    page.push_str("<section aria-labelledby=\"services-title\">\n<h2 id=\"services-title\">Services</h2>\n\
                   <form class=\"filters\" id=\"filters\" role=\"search\" hidden>\n\
                   <label>Filter <input type=\"search\" id=\"filter-text\" placeholder=\"repository, owner, path...\"></label>\n\
                   <label>Bundle <select id=\"filter-bundle\"><option value=\"\">all</option>");
    for name in s.bundles.iter().map(|b| &b.bundle) {
        let _ = write!(page, "<option value=\"{0}\">{0}</option>", html(name));
    }
    page.push_str("</select></label>\n<label>State <select id=\"filter-state\"><option value=\"\">all</option>");
    for (key, label) in STATES {
        let _ = write!(page, "<option value=\"{key}\">{label}</option>");
    }
    page.push_str(
        "</select></label>\n<output id=\"shown\" aria-live=\"polite\"></output>\n</form>\n\
                   <table id=\"services\">\n<thead><tr>",
    );
    for (label, kind) in [
        ("Repository", "text"),
        ("Path", "text"),
        ("Owner", "text"),
        ("Bundle", "text"),
        ("Version", "version"),
        ("Behind", "number"),
        ("Drift", "number"),
        ("State", "text"),
        ("Open upgrade", "text"),
    ] {
        let _ = write!(page, "<th scope=\"col\" data-type=\"{kind}\">{label}</th>");
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for repo in &status.repos {
        if repo.projects.is_empty() {
            let state = if repo.error.is_some() {
                "error"
            } else {
                "not-adopted"
            };
            let why = repo.error.as_deref().map_or_else(
                || "not adopted (candidate for goldpath adopt)".to_string(),
                |e| format!("error: {e}"),
            );
            row(page, repo, None, state, &why);
        }
        for p in &repo.projects {
            let states = project_states(p);
            row(page, repo, Some(p), &states.join(" "), &state_text(p));
        }
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// One row of the services table: a project, or a repository without one (`project` `None`).
fn row(
    page: &mut String,
    repo: &RepoStatus,
    project: Option<&ProjectStatus>,
    states: &str,
    state_text: &str,
) {
    let bundle = project.map_or("", |p| p.bundle.as_str());
    let _ = write!(
        page,
        "<tr data-bundle=\"{}\" data-states=\"{}\"><td>{}</td>",
        html(bundle),
        html(states),
        link(repo.web_url.as_deref(), &repo.repo)
    );
    match project {
        Some(p) => {
            let drift = p.drifted.len();
            let _ = write!(
                page,
                "<td>{}</td><td>{}</td><td>{}</td><td data-sort=\"{}\">{}</td><td data-sort=\"{}\">{}{}</td><td data-sort=\"{drift}\">{drift}</td>",
                html(&p.path),
                html(p.owner.as_deref().unwrap_or("")),
                html(&p.bundle),
                html(&version_key(&p.version)),
                html(&p.version),
                p.behind.map_or(-1, |b| b as i64),
                p.behind.map_or("?".to_string(), |b| b.to_string()),
                if p.major_jump { " <span class=\"major\">major</span>" } else { "" },
            );
        }
        None => page.push_str("<td></td><td></td><td></td><td data-sort=\"\"></td><td data-sort=\"-1\"></td><td data-sort=\"-1\"></td>"),
    }
    let _ = writeln!(
        page,
        "<td class=\"state\">{}</td><td>{}</td></tr>",
        html(state_text),
        open_upgrade(repo)
    );
}

/// The state filter's keys a project matches (a project can be behind and drifted at once).
fn project_states(p: &ProjectStatus) -> Vec<&'static str> {
    let mut states = Vec::new();
    if p.is_current() {
        states.push("current");
    }
    if p.is_behind() {
        states.push("behind");
    }
    if p.is_drifted() {
        states.push("drifted");
    }
    if p.upgrade_in_progress.is_some() {
        states.push("upgrade-in-progress");
    }
    if !p.conflict_markers.is_empty() {
        states.push("conflict-markers");
    }
    if p.error.is_some() {
        states.push("error");
    }
    states
}

fn state_text(p: &ProjectStatus) -> String {
    let mut parts = Vec::new();
    if p.is_current() {
        parts.push("current".to_string());
    }
    if p.is_behind() {
        parts.push(format!(
            "behind ({} → {})",
            p.version,
            p.latest.as_deref().unwrap_or("?")
        ));
    }
    if p.is_drifted() {
        parts.push(format!("drifted: {}", p.drifted.join(", ")));
    }
    if let Some(v) = &p.upgrade_in_progress {
        parts.push(format!("upgrade to {v} in progress"));
    }
    if !p.conflict_markers.is_empty() {
        parts.push(format!(
            "conflict markers: {}",
            p.conflict_markers.join(", ")
        ));
    }
    if let Some(e) = &p.error {
        parts.push(format!("error: {e}"));
    }
    if parts.is_empty() {
        parts.push("unknown (source unreadable)".into());
    }
    parts.join("; ")
}

fn open_upgrade(repo: &RepoStatus) -> String {
    let Some(u) = &repo.upgrade else {
        return String::new();
    };
    let mut out = format!(
        "{} → {} <code>{}</code>",
        html(&u.outcome),
        html(&u.to),
        html(&u.branch)
    );
    if let Some(pr) = &u.pull_request {
        // A pull request that is not an http(s) URL is named, never linked nor shown.
        let _ = write!(out, " {}", link(Some(pr), "pull request"));
    }
    out
}

/// A key that sorts versions as semver does when compared as text: each numeric part padded;
/// pre-releases before their release; a version that does not parse after all that do.
fn version_key(version: &str) -> String {
    match semver::Version::parse(version) {
        Ok(v) => format!(
            "0.{:010}.{:010}.{:010}.{}{}",
            v.major,
            v.minor,
            v.patch,
            if v.pre.is_empty() { "1" } else { "0" },
            v.pre
        ),
        Err(_) => format!("1.{version}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::status::OpenUpgrade;
    use super::*;

    fn project(version: &str, behind: usize) -> ProjectStatus {
        ProjectStatus {
            path: "services/<a>".into(),
            bundle: "svc".into(),
            source: "builtin".into(),
            version: version.into(),
            latest: Some("2.0.0".into()),
            behind: Some(behind),
            major_jump: behind > 0,
            owner: Some("<script>alert('owner')</script>".into()),
            drifted: vec![],
            customised: vec![],
            conflict_markers: vec![],
            upgrade_in_progress: None,
            error: None,
        }
    }

    fn hostile() -> FleetStatus {
        FleetStatus::new(
            vec![
                RepoStatus {
                    repo: "evil\"><script>alert(1)</script>".into(),
                    web_url: Some("javascript:alert(document.cookie)".into()),
                    base_branch: Some("main".into()),
                    projects: vec![project("1.0.0", 1), project("2.0.0", 0)],
                    upgrade: Some(OpenUpgrade {
                        branch: "goldpath/'><img src=x>".into(),
                        outcome: "conflicts".into(),
                        pull_request: Some("javascript:alert(2)".into()),
                        to: "2.0.0".into(),
                    }),
                    error: None,
                },
                RepoStatus {
                    repo: "https://github.com/acme/billing".into(),
                    web_url: Some("https://github.com/acme/billing".into()),
                    base_branch: Some("main".into()),
                    projects: vec![],
                    upgrade: None,
                    error: None,
                },
            ],
            1_796_050_800,
        )
    }

    #[test]
    fn values_from_repositories_never_become_markup_or_script_links() {
        let page = render(&hostile(), &[]);
        // The page's own markup has exactly one script element, and no event handler attribute.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.to_lowercase().contains("javascript:"), "{page}");
        assert!(
            !page.contains(" onclick") && !page.contains(" onerror"),
            "{page}"
        );
        assert!(
            page.contains("evil&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(
            page.contains("&lt;script&gt;alert(&#39;owner&#39;)&lt;/script&gt;"),
            "{page}"
        );
        assert!(
            page.contains("goldpath/&#39;&gt;&lt;img src=x&gt;"),
            "{page}"
        );
        assert!(page.contains("services/&lt;a&gt;"), "{page}");
        // A safe URL is a link; the unsafe ones are plain text.
        assert!(
            page.contains(
                "<a href=\"https://github.com/acme/billing\" rel=\"noopener noreferrer\">"
            ),
            "{page}"
        );
        assert_eq!(page.matches("<a href=").count(), 1, "{page}");
    }

    #[test]
    fn the_page_is_self_contained_under_a_strict_policy() {
        let page = render(&hostile(), &[]);
        assert!(page.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\""));
        for external in [
            "<link",
            " src=\"",
            "@import",
            "url(",
            "fetch(",
            "XMLHttpRequest",
            "innerHTML",
        ] {
            assert!(!page.contains(external), "{external} in the page");
        }
    }

    #[test]
    fn rows_carry_their_states_and_sort_keys() {
        let page = render(&hostile(), &[]);
        assert!(page.contains("data-states=\"behind\""), "{page}");
        assert!(page.contains("data-states=\"current\""), "{page}");
        assert!(page.contains("data-states=\"not-adopted\""), "{page}");
        assert!(
            page.contains("<span class=\"major\">major</span>"),
            "{page}"
        );
        assert!(version_key("1.10.0") > version_key("1.9.0"));
        assert!(version_key("2.0.0-rc.1") < version_key("2.0.0"));
        assert!(version_key("x") > version_key("99.0.0"));
    }
}
