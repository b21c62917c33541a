//! `goldpath fleet status`: adoption across the fleet, read from each repository's default
//! branch: every goldpath project, its bundle and version, and whether a newer one exists.

use super::objects::projects_in;
use super::repo;
use super::repos::{RepoLocation, RepoRef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the [`FleetStatus`] document (the `json` format, and `--history` snapshots).
pub const STATUS_SCHEMA: u32 = 1;

/// `goldpath fleet status`: one document, serialised as the `json` format and stored by
/// `--history`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetStatus {
    pub schema: u32,
    /// RFC 3339 UTC, e.g. `2026-11-30T15:00:00Z`.
    pub generated_at: String,
    pub repos: Vec<RepoStatus>,
}

impl FleetStatus {
    /// The document of `repos`, generated at `unix_seconds`.
    pub fn new(repos: Vec<RepoStatus>, unix_seconds: i64) -> FleetStatus {
        FleetStatus {
            schema: STATUS_SCHEMA,
            generated_at: rfc3339_utc(unix_seconds),
            repos,
        }
    }
}

/// One repository's projects, or why none could be read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoStatus {
    /// Identity as in the fleet report (path or URL, credentials redacted).
    pub repo: String,
    /// `https://host/owner/name` for a forge remote.
    pub web_url: Option<String>,
    pub base_branch: Option<String>,
    /// Empty with no `error`: not a goldpath project (a candidate for `goldpath adopt`).
    pub projects: Vec<ProjectStatus>,
    /// The open upgrade branch or pull request, from a fleet upgrade report.
    pub upgrade: Option<OpenUpgrade>,
    pub error: Option<String>,
}

impl RepoStatus {
    pub fn is_adopted(&self) -> bool {
        !self.projects.is_empty()
    }

    pub fn is_not_adopted(&self) -> bool {
        self.projects.is_empty() && self.error.is_none()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenUpgrade {
    pub branch: String,
    pub outcome: String,
    pub pull_request: Option<String>,
    pub to: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectStatus {
    /// The project's folder in the repository (`""` at the root).
    pub path: String,
    pub bundle: String,
    pub source: String,
    pub version: String,
    /// The source's newest released version, `None` when the source could not be read.
    pub latest: Option<String>,
    /// Released versions after `version`.
    pub behind: Option<usize>,
    pub major_jump: bool,
    /// The answer the bundle names as owner.
    pub owner: Option<String>,
    /// Locked files that differ.
    pub drifted: Vec<String>,
    /// Merge files that differ.
    pub customised: Vec<String>,
    pub conflict_markers: Vec<String>,
    /// An upgrade stopped on conflicts is waiting in the branch (its target version).
    pub upgrade_in_progress: Option<String>,
    /// Why this project could not be checked.
    pub error: Option<String>,
}

impl ProjectStatus {
    /// On the newest version with no drift, no conflict markers and no upgrade in progress.
    pub fn is_current(&self) -> bool {
        self.behind == Some(0)
            && self.drifted.is_empty()
            && self.conflict_markers.is_empty()
            && self.upgrade_in_progress.is_none()
    }

    pub fn is_behind(&self) -> bool {
        self.behind.is_some_and(|b| b > 0)
    }

    pub fn is_drifted(&self) -> bool {
        !self.drifted.is_empty()
    }
}

/// The counts every format shows, derived once from a [`FleetStatus`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub repos: usize,
    /// Repositories with at least one goldpath project.
    pub adopted: usize,
    /// Readable repositories without a goldpath project.
    pub not_adopted: usize,
    /// Repositories that could not be read.
    pub unreadable: usize,
    pub projects: usize,
    pub current: usize,
    pub behind: usize,
    pub drifted: usize,
    /// Per bundle, by name.
    pub bundles: BTreeMap<String, BundleSummary>,
}

/// One bundle's projects by version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleSummary {
    /// The newest released version any of its projects' sources names.
    pub latest: Option<String>,
    pub projects: usize,
    /// Projects on each version, oldest version first; the latest is listed even with none.
    pub versions: Vec<(String, usize)>,
}

impl Summary {
    pub fn of(status: &FleetStatus) -> Summary {
        let mut s = Summary {
            repos: status.repos.len(),
            ..Summary::default()
        };
        let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for r in &status.repos {
            if r.is_adopted() {
                s.adopted += 1;
            } else if r.error.is_some() {
                s.unreadable += 1;
            } else {
                s.not_adopted += 1;
            }
            for p in &r.projects {
                s.projects += 1;
                s.current += usize::from(p.is_current());
                s.behind += usize::from(p.is_behind());
                s.drifted += usize::from(p.is_drifted());
                let bundle = s.bundles.entry(p.bundle.clone()).or_default();
                bundle.projects += 1;
                if let Some(latest) = &p.latest {
                    if bundle
                        .latest
                        .as_deref()
                        .is_none_or(|l| version_order(latest, l).is_gt())
                    {
                        bundle.latest = Some(latest.clone());
                    }
                }
                *counts
                    .entry(p.bundle.clone())
                    .or_default()
                    .entry(p.version.clone())
                    .or_default() += 1;
            }
        }
        for (name, bundle) in &mut s.bundles {
            let mut versions: Vec<(String, usize)> = counts
                .remove(name)
                .unwrap_or_default()
                .into_iter()
                .collect();
            if let Some(latest) = &bundle.latest {
                if !versions.iter().any(|(v, _)| v == latest) {
                    versions.push((latest.clone(), 0));
                }
            }
            versions.sort_by(|a, b| version_order(&a.0, &b.0));
            bundle.versions = versions;
        }
        s
    }
}

/// Semantic version order; a version that does not parse sorts after those that do, by text.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// `unix_seconds` as RFC 3339 UTC (`2026-11-30T15:00:00Z`); std has no calendar, and this is the
/// only date goldpath writes (Howard Hinnant's `civil_from_days`).
pub fn rfc3339_utc(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The status of every repository (of `bundle` only, when given), in order.
pub fn status(repos: &[RepoRef], bundle: Option<&str>) -> Vec<RepoStatus> {
    let mut sources: std::collections::HashMap<String, Option<Vec<semver::Version>>> =
        Default::default();
    repos
        .iter()
        .map(|r| {
            let web_url = match &r.location {
                RepoLocation::Url(url) => crate::forge::Target::detect(url, None)
                    .ok()
                    .map(|t| format!("{}://{}/{}", t.scheme, t.host, t.repo)),
                RepoLocation::Local(_) => None,
            };
            let mut out = RepoStatus {
                repo: r.identity.clone(),
                web_url,
                base_branch: None,
                projects: Vec::new(),
                upgrade: None,
                error: None,
            };
            if let Err(e) = read_status(r, bundle, &mut sources, &mut out) {
                out.error = Some(crate::redact::redact(&e));
            }
            out
        })
        .collect()
}

fn read_status(
    r: &RepoRef,
    bundle: Option<&str>,
    sources: &mut std::collections::HashMap<String, Option<Vec<semver::Version>>>,
    out: &mut RepoStatus,
) -> Result<(), String> {
    let opened = repo::open(r, false)?;
    let local = matches!(r.location, RepoLocation::Local(_));
    let (branch, base) = repo::base_branch(&opened, local)?;
    out.base_branch = Some(branch);
    let tree = opened
        .git
        .find_commit(base)
        .and_then(|c| c.tree())
        .map_err(|e| e.message().to_string())?;
    for found in projects_in(&opened.git, &tree) {
        let record = found.record?;
        if bundle.is_some_and(|b| b != record.bundle.name) {
            continue;
        }
        let spec = crate::bundle::SourceSpec::parse(&record.bundle.source);
        let versions = sources
            .entry(format!("{spec}\n{}", record.bundle.name))
            .or_insert_with(|| {
                spec.open()
                    .and_then(|s| s.versions(&record.bundle.name))
                    .ok()
            });
        let version = &record.bundle.version;
        let latest = versions.as_ref().and_then(|v| v.iter().max());
        out.projects.push(ProjectStatus {
            path: found.prefix.trim_end_matches('/').to_string(),
            bundle: record.bundle.name.clone(),
            source: record.bundle.source.clone(),
            version: version.to_string(),
            latest: latest.map(ToString::to_string),
            behind: versions
                .as_ref()
                .map(|v| v.iter().filter(|n| *n > version).count()),
            major_jump: latest.is_some_and(|l| l.major > version.major),
            owner: None,
            drifted: Vec::new(),
            customised: Vec::new(),
            conflict_markers: Vec::new(),
            upgrade_in_progress: record.upgrade.as_ref().map(|u| u.version.to_string()),
            error: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_796_050_800), "2026-11-30T15:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    fn project(version: &str, behind: usize, drifted: &[&str]) -> ProjectStatus {
        ProjectStatus {
            path: String::new(),
            bundle: "svc".into(),
            source: "builtin".into(),
            version: version.into(),
            latest: Some("2.0.0".into()),
            behind: Some(behind),
            major_jump: false,
            owner: None,
            drifted: drifted.iter().map(ToString::to_string).collect(),
            customised: vec![],
            conflict_markers: vec![],
            upgrade_in_progress: None,
            error: None,
        }
    }

    fn repo(projects: Vec<ProjectStatus>, error: Option<&str>) -> RepoStatus {
        RepoStatus {
            repo: "r".into(),
            web_url: None,
            base_branch: None,
            projects,
            upgrade: None,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn the_summary_counts_projects_by_state_and_version() {
        let status = FleetStatus::new(
            vec![
                repo(
                    vec![project("1.0.0", 2, &[]), project("1.0.0", 2, &["ci.yml"])],
                    None,
                ),
                repo(
                    vec![project("2.0.0", 0, &[]), project("2.0.0", 0, &["ci.yml"])],
                    None,
                ),
                repo(vec![], None),
                repo(vec![], Some("unreachable")),
            ],
            0,
        );
        let s = Summary::of(&status);
        assert_eq!(
            (s.repos, s.adopted, s.not_adopted, s.unreadable, s.projects),
            (4, 2, 1, 1, 4)
        );
        assert_eq!((s.current, s.behind, s.drifted), (1, 2, 2));
        let svc = &s.bundles["svc"];
        assert_eq!(svc.latest.as_deref(), Some("2.0.0"));
        assert_eq!(
            svc.versions,
            [("1.0.0".to_string(), 2), ("2.0.0".to_string(), 2)]
        );
    }

    #[test]
    fn the_newest_release_is_listed_even_with_no_project_on_it() {
        let status = FleetStatus::new(vec![repo(vec![project("1.0.0", 1, &[])], None)], 0);
        let s = Summary::of(&status);
        assert_eq!(
            s.bundles["svc"].versions,
            [("1.0.0".to_string(), 1), ("2.0.0".to_string(), 0)]
        );
    }

    #[test]
    fn versions_sort_by_semver_then_text() {
        let mut v = vec!["10.0.0", "2.0.0", "garbage", "2.0.0-rc.1"];
        v.sort_by(|a, b| version_order(a, b));
        assert_eq!(v, ["2.0.0-rc.1", "2.0.0", "10.0.0", "garbage"]);
    }
}
