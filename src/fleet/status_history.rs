//! `goldpath fleet status --history DIR`: every run's [`FleetStatus`] document kept as
//! `DIR/<UTC timestamp>.json`, and read back as adoption over time: per bundle, the share of its
//! projects on each release at each snapshot (how fast a release reaches the fleet).
//!
//! A snapshot is written once and never replaced: it is written to a temporary file in DIR and
//! linked into place only if its name is free, so a crash leaves either nothing or the whole
//! file, and two runs in the same second keep both (`...Z-2.json`). DIR is the user's folder:
//! nothing in it is deleted or rewritten, and files that are not snapshots are skipped, named.

use super::status::time::parse_rfc3339_utc;
use super::status::{version_order, FleetStatus, STATUS_SCHEMA};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--history {}: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--history {}: could not write the snapshot: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A file of DIR that is not a snapshot, and why; skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub why: String,
}

/// The snapshots of DIR, oldest first, and the files skipped.
#[derive(Debug, Default)]
pub struct History {
    pub snapshots: Vec<FleetStatus>,
    pub skipped: Vec<Skipped>,
}

/// Writes `status` as a new snapshot in `dir` (created when missing); its path.
pub fn store(dir: &Path, status: &FleetStatus) -> Result<PathBuf, Error> {
    let dir_error = |source| Error::Dir {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(dir_error)?;
    let json = serde_json::to_string_pretty(status).expect("a status serialises");
    let mut tmp = tempfile::Builder::new()
        .prefix(".goldpath-snapshot-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(dir_error)?;
    let write_error = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    tmp.write_all(json.as_bytes())
        .and_then(|()| tmp.write_all(b"\n"))
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(write_error)?;
    let stem = file_stem(&status.generated_at);
    let mut n = 1;
    loop {
        let name = if n == 1 {
            format!("{stem}.json")
        } else {
            format!("{stem}-{n}.json")
        };
        let path = dir.join(name);
        // persist_noclobber links the finished file into place only if the name is free.
        match tmp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => {
                tmp = e.file;
                n += 1;
            }
            Err(e) => return Err(write_error(e.error)),
        }
    }
}

/// `2026-11-30T15:00:00Z` -> `2026-11-30T150000Z`: sorts as the time does, and has no `:`
/// (not allowed in a file name on Windows).
fn file_stem(generated_at: &str) -> String {
    let safe: String = generated_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if safe.is_empty() {
        "snapshot".into()
    } else {
        safe
    }
}

/// Every snapshot of `dir`, oldest first (by `generated_at`, then file name). A file that is
/// not a snapshot of this schema is skipped and listed, never an error: the folder is shared
/// with whatever else a CI job keeps there.
pub fn load(dir: &Path) -> Result<History, Error> {
    load_with(dir, None)
}

/// [`load`], with `status` in the place of `written`, the snapshot this run has just
/// [`store`]d: the document in memory is used, not read back.
pub fn load_with_stored(
    dir: &Path,
    written: &Path,
    status: &FleetStatus,
) -> Result<History, Error> {
    load_with(dir, Some((written, status)))
}

fn load_with(dir: &Path, stored: Option<(&Path, &FleetStatus)>) -> Result<History, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
        paths.push(entry.path());
    }
    paths.sort();
    let mut out = History::default();
    let mut found: Vec<(i64, PathBuf, FleetStatus)> = Vec::new();
    for path in paths {
        if let Some((written, status)) = stored.filter(|(written, _)| *written == path) {
            let at = parse_rfc3339_utc(&status.generated_at).unwrap_or_default();
            found.push((at, written.to_path_buf(), status.clone()));
            continue;
        }
        match read_snapshot(&path) {
            Ok(Some(s)) => {
                let at = parse_rfc3339_utc(&s.generated_at).expect("checked when read");
                found.push((at, path, s));
            }
            Ok(None) => {}
            Err(why) => out.skipped.push(Skipped { path, why }),
        }
    }
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out.snapshots = found.into_iter().map(|(_, _, s)| s).collect();
    Ok(out)
}

/// The snapshot at `path`; `Ok(None)` for a temporary file of a run in progress (or killed),
/// `Err(why)` for anything else that is not a snapshot.
fn read_snapshot(path: &Path) -> Result<Option<FleetStatus>, String> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    if name.starts_with(".goldpath-snapshot-") && name.ends_with(".tmp") {
        return Ok(None);
    }
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.file_type().is_file() {
        return Err("not a regular file".into());
    }
    if !name.ends_with(".json") {
        return Err("not a .json snapshot".into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let status: FleetStatus =
        serde_json::from_str(&text).map_err(|e| format!("not a fleet status snapshot: {e}"))?;
    if status.schema != STATUS_SCHEMA {
        return Err(format!(
            "schema {} (this goldpath reads {STATUS_SCHEMA})",
            status.schema
        ));
    }
    if parse_rfc3339_utc(&status.generated_at).is_none() {
        return Err(format!(
            "generated_at {:?} is not an RFC 3339 UTC time",
            status.generated_at
        ));
    }
    Ok(Some(status))
}

/// One bundle's adoption at each snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    pub bundle: String,
    /// Every version any snapshot saw or named as newest, oldest first.
    pub versions: Vec<String>,
    /// The newest of `versions`.
    pub newest: String,
    pub points: Vec<AdoptionPoint>,
}

/// One snapshot of one bundle: its projects, and how many are on each of `Adoption::versions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptionPoint {
    pub generated_at: String,
    pub unix_seconds: i64,
    pub projects: usize,
    pub on: Vec<usize>,
}

impl AdoptionPoint {
    /// The share (0 to 1) of the projects on `versions[i]`; 0 with no project.
    pub fn share(&self, i: usize) -> f64 {
        if self.projects == 0 {
            0.0
        } else {
            self.on[i] as f64 / self.projects as f64
        }
    }
}

/// Adoption over time of every bundle the snapshots hold, by name.
pub fn adoption(snapshots: &[FleetStatus]) -> Vec<Adoption> {
    let mut versions: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for s in snapshots {
        for p in s.repos.iter().flat_map(|r| &r.projects) {
            let list = versions.entry(&p.bundle).or_default();
            for v in std::iter::once(&p.version).chain(&p.latest) {
                if !list.contains(v) {
                    list.push(v.clone());
                }
            }
        }
    }
    versions
        .into_iter()
        .map(|(bundle, mut versions)| {
            versions.sort_by(|a, b| version_order(a, b));
            let points = snapshots
                .iter()
                .map(|s| {
                    let mut on = vec![0; versions.len()];
                    let mut projects = 0;
                    for p in s.repos.iter().flat_map(|r| &r.projects) {
                        if p.bundle == bundle {
                            projects += 1;
                            let i = versions.iter().position(|v| *v == p.version);
                            on[i.expect("every version is listed")] += 1;
                        }
                    }
                    AdoptionPoint {
                        generated_at: s.generated_at.clone(),
                        unix_seconds: parse_rfc3339_utc(&s.generated_at).unwrap_or_default(),
                        projects,
                        on,
                    }
                })
                .collect();
            Adoption {
                bundle: bundle.to_string(),
                newest: versions.last().cloned().unwrap_or_default(),
                versions,
                points,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::status::{ProjectStatus, RepoStatus};
    use super::*;

    fn project(bundle: &str, version: &str, latest: &str) -> ProjectStatus {
        ProjectStatus {
            path: String::new(),
            bundle: bundle.into(),
            source: "builtin".into(),
            version: version.into(),
            latest: Some(latest.into()),
            behind: None,
            major_jump: false,
            owner: None,
            drifted: vec![],
            customised: vec![],
            conflict_markers: vec![],
            upgrade_in_progress: None,
            error: None,
        }
    }

    fn snapshot(at: u64, projects: Vec<ProjectStatus>) -> FleetStatus {
        FleetStatus::new(
            vec![RepoStatus {
                repo: "r".into(),
                web_url: None,
                base_branch: None,
                projects,
                upgrade: None,
                error: None,
            }],
            at,
        )
    }

    #[test]
    fn file_names_have_no_colon_and_sort_by_time() {
        assert_eq!(file_stem("2026-11-30T15:00:00Z"), "2026-11-30T150000Z");
        assert_eq!(file_stem("../../x"), "x");
        assert_eq!(file_stem("///"), "snapshot");
    }

    #[test]
    fn adoption_counts_each_version_at_each_snapshot() {
        let snapshots = [
            snapshot(
                100,
                vec![
                    project("svc", "1.0.0", "1.0.0"),
                    project("svc", "1.0.0", "1.0.0"),
                ],
            ),
            snapshot(
                200,
                vec![
                    project("svc", "1.0.0", "1.1.0"),
                    project("svc", "1.1.0", "1.1.0"),
                    project("web", "0.9.0", "0.9.0"),
                ],
            ),
            snapshot(
                300,
                vec![
                    project("svc", "1.1.0", "2.0.0"),
                    project("svc", "2.0.0", "2.0.0"),
                ],
            ),
        ];
        let a = adoption(&snapshots);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].bundle, "svc");
        assert_eq!(a[0].versions, ["1.0.0", "1.1.0", "2.0.0"]);
        assert_eq!(a[0].newest, "2.0.0");
        let on: Vec<&[usize]> = a[0].points.iter().map(|p| p.on.as_slice()).collect();
        assert_eq!(on, [&[2, 0, 0][..], &[1, 1, 0], &[0, 1, 1]]);
        assert_eq!(a[0].points[2].share(2), 0.5);
        assert_eq!(a[1].points[0].projects, 0);
        assert_eq!(a[1].points[0].share(0), 0.0);
    }

    #[test]
    fn snapshots_are_never_overwritten_and_foreign_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("status");
        let s = snapshot(1_796_050_800, vec![project("svc", "1.0.0", "1.0.0")]);
        let first = store(&history, &s).unwrap();
        let second = store(&history, &s).unwrap();
        assert_eq!(first.file_name().unwrap(), "2026-11-30T150000Z.json");
        assert_eq!(second.file_name().unwrap(), "2026-11-30T150000Z-2.json");
        std::fs::write(history.join("notes.txt"), "mine").unwrap();
        std::fs::write(history.join("broken.json"), "{").unwrap();
        std::fs::write(
            history.join("other.json"),
            "{\"schema\": 9, \"generated_at\": \"x\", \"repos\": []}",
        )
        .unwrap();
        std::fs::create_dir(history.join("sub")).unwrap();
        let older = snapshot(1_796_000_000, vec![]);
        std::fs::write(
            history.join("zzz.json"),
            serde_json::to_string(&older).unwrap(),
        )
        .unwrap();
        let loaded = load(&history).unwrap();
        let times: Vec<&str> = loaded
            .snapshots
            .iter()
            .map(|s| s.generated_at.as_str())
            .collect();
        assert_eq!(
            times,
            [
                "2026-11-30T00:53:20Z",
                "2026-11-30T15:00:00Z",
                "2026-11-30T15:00:00Z"
            ]
        );
        let skipped: Vec<String> = loaded
            .skipped
            .iter()
            .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(skipped, ["broken.json", "notes.txt", "other.json", "sub"]);
        assert!(
            loaded.skipped[2].why.contains("schema 9"),
            "{:?}",
            loaded.skipped
        );
        assert_eq!(
            std::fs::read_to_string(history.join("notes.txt")).unwrap(),
            "mine"
        );
    }

    /// The snapshot a run has just stored is the document in memory, never read back: what
    /// is in its file now (here, another run's document) does not count.
    #[test]
    fn the_snapshot_just_stored_is_the_one_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let older = snapshot(1_796_000_000, vec![project("svc", "1.0.0", "1.1.0")]);
        store(dir.path(), &older).unwrap();
        let now = snapshot(1_796_050_800, vec![project("svc", "1.1.0", "1.1.0")]);
        let written = store(dir.path(), &now).unwrap();
        let other = snapshot(1_796_050_800, vec![project("web", "9.0.0", "9.0.0")]);
        std::fs::write(&written, serde_json::to_string(&other).unwrap()).unwrap();
        let loaded = load_with_stored(dir.path(), &written, &now).unwrap();
        assert_eq!(loaded.snapshots, [older.clone(), now]);
        assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
        // Read back, the file would have given the other document.
        assert_eq!(load(dir.path()).unwrap().snapshots, [older, other]);
    }
}
