//! `goldpath fleet status`: adoption across the fleet, read from each repository's default
//! branch: every goldpath project, its bundle and version, and whether a newer one exists.

use super::objects::projects_in;
use super::repo;
use super::repos::{RepoLocation, RepoRef};
use serde::Serialize;

/// One repository's projects, or why none could be read.
#[derive(Debug, Clone, Serialize)]
pub struct RepoStatus {
    pub repo: String,
    pub base_branch: Option<String>,
    pub projects: Vec<ProjectStatus>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectStatus {
    /// The project's folder in the repository (`""` at the root).
    pub path: String,
    pub bundle: String,
    pub version: String,
    /// The source's newest version, when the source could be read.
    pub newest: Option<String>,
    /// An upgrade stopped on conflicts is waiting in the branch.
    pub upgrade_waiting: Option<String>,
}

impl ProjectStatus {
    pub fn is_behind(&self) -> bool {
        self.newest.as_ref().is_some_and(|n| {
            match (
                semver::Version::parse(n),
                semver::Version::parse(&self.version),
            ) {
                (Ok(n), Ok(v)) => n > v,
                _ => false,
            }
        })
    }
}

/// The status of every repository (of `bundle` only, when given), in order.
pub fn status(repos: &[RepoRef], bundle: Option<&str>) -> Vec<RepoStatus> {
    let mut sources: std::collections::HashMap<String, Option<Vec<semver::Version>>> =
        Default::default();
    repos
        .iter()
        .map(|r| {
            let mut out = RepoStatus {
                repo: r.identity.clone(),
                base_branch: None,
                projects: Vec::new(),
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
        out.projects.push(ProjectStatus {
            path: found.prefix.trim_end_matches('/').to_string(),
            bundle: record.bundle.name.clone(),
            version: record.bundle.version.to_string(),
            newest: versions
                .as_ref()
                .and_then(|v| v.last())
                .map(ToString::to_string),
            upgrade_waiting: record.upgrade.as_ref().map(|u| u.version.to_string()),
        });
    }
    Ok(())
}
