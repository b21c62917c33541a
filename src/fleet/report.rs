//! The fleet's report: every repository's outcome, branch, commit, files and error, as JSON
//! (schema: docs/fleet-report.schema.json). Written atomically (temp file + rename) when a run
//! starts and when it ends; in between, each finished repository is one line appended to the
//! report's [`Journal`] (`REPORT.journal`), so a run cut off loses at most the repositories in
//! flight, and [`Report::read`] (`--resume`, `merge-reports`) folds the journal back in.
//! Rewriting the whole report after each repository made a run's cost grow with the square of
//! the fleet (500 repositories: 500 rewrites of a report growing to 1 MB, each fsynced).
//! Never holds a token: URLs are recorded with their credentials masked.

use super::pull_request::{FileChange, ProjectVersions, PullRequestPlan};
use super::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The schema version of the report; a report of another version is refused by `--resume`.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub schema_version: u32,
    /// `plan` (nothing written) or `upgrade`.
    pub mode: Mode,
    pub bundle: String,
    /// The version asked for (`--to`); `None`: each repository's newest.
    pub to: Option<String>,
    pub branch: String,
    /// Every repository done, by identity.
    pub repos: BTreeMap<String, RepoReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Plan,
    Upgrade,
}

/// How one repository came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Its branch holds the upgrade (`plan`: it would).
    Upgraded,
    /// Every project of the bundle is at the version already.
    Current,
    /// Its branch holds the upgrade with conflicts (`plan`: it would).
    Conflicts,
    /// Not upgraded, and nothing wrong: other bundle, not a goldpath project, branch edited by a
    /// person, the branch checked out. `detail` says which.
    Skipped,
    /// An error; `detail` holds it.
    Failed,
}

impl Outcome {
    /// Whether the run's exit code is 1 because of it.
    pub fn is_problem(self) -> bool {
        matches!(self, Outcome::Conflicts | Outcome::Failed)
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Upgraded => "upgraded",
            Outcome::Current => "current",
            Outcome::Conflicts => "conflicts",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoReport {
    pub outcome: Outcome,
    /// Why it was skipped, the error it failed on, or what happened to its branch.
    pub detail: Option<String>,
    /// The branch the upgrade starts from (the repository's default branch).
    pub base_branch: Option<String>,
    /// The fleet branch, once committed.
    pub branch: Option<String>,
    pub commit: Option<String>,
    /// Whether the branch was pushed.
    pub pushed: bool,
    /// Set by the forge client once it opened or updated a pull request.
    pub pull_request_url: Option<String>,
    /// The pull request's number (GitLab: the merge request's `iid`).
    #[serde(default)]
    pub pull_request_number: Option<u64>,
    /// What the forge refused without undoing the pull request (a label, a reviewer, a draft).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pull_request_warnings: Vec<String>,
    pub projects: Vec<ProjectVersions>,
    /// Shared with the pull request plan's list (the same files): a fleet's report holds every
    /// repository's entry until it is written, so the list is held once, not twice.
    pub files: Arc<[FileChange]>,
    /// What a pull request for the branch needs (see [`PullRequestPlan`]).
    pub pull_request: Option<PullRequestPlan>,
}

impl RepoReport {
    pub fn new(outcome: Outcome, detail: Option<String>) -> RepoReport {
        RepoReport {
            outcome,
            detail,
            base_branch: None,
            branch: None,
            commit: None,
            pushed: false,
            pull_request_url: None,
            pull_request_number: None,
            pull_request_warnings: Vec::new(),
            projects: Vec::new(),
            files: Arc::from([]),
            pull_request: None,
        }
    }

    /// The paths in conflict.
    pub fn conflicts(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .filter(|f| f.kind == super::pull_request::FileKind::Conflicted)
            .map(|f| f.path.as_str())
    }
}

impl Report {
    pub fn new(mode: Mode, bundle: &str, to: Option<String>, branch: &str) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            mode,
            bundle: bundle.to_string(),
            to,
            branch: branch.to_string(),
            repos: BTreeMap::new(),
        }
    }

    /// Reads the report at `path` with the entries of its journal, if a run that was cut off
    /// left one, folded in.
    pub fn read(path: &Path) -> Result<Report, Error> {
        let bad = |message: String| Error::Report {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let mut report: Report = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if report.schema_version != SCHEMA_VERSION {
            return Err(bad(format!(
                "schema_version {} is not {SCHEMA_VERSION}, the one this goldpath writes",
                report.schema_version
            )));
        }
        for (identity, entry) in Journal::read(&Journal::path_of(path))? {
            report.repos.insert(identity, entry);
        }
        Ok(report)
    }

    /// Writes the report at `path` atomically: a reader (or a `--resume` after a kill) sees the
    /// old report or the new one, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        crate::fault::point();
        self.write(path)
    }

    /// Writes the report into a temp file next to `path`, synced, then renamed over it. Entry by
    /// entry: the text of the whole report (1.5 MB at 500 repositories, twice with the
    /// redaction's copy) is never in memory, so peak memory stays flat in the size of the fleet.
    /// The bytes are those of `serde_json::to_string_pretty` of the whole report.
    fn write(&self, path: &Path) -> Result<(), Error> {
        let fail = |e: std::io::Error| Error::Report {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".goldpath-report-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(dir).map_err(fail)?;
        let mut out = std::io::BufWriter::new(tmp);
        let header = self.clone_without_repos();
        let text = serde_json::to_string_pretty(&header).expect("a report serialises");
        // `"repos": {}` closes the header's text; the entries go between the braces.
        let open = text
            .strip_suffix("{}\n}")
            .expect("repos is the report's last field");
        out.write_all(crate::redact::redact(open).as_bytes())
            .map_err(fail)?;
        if self.repos.is_empty() {
            out.write_all(b"{}\n}\n").map_err(fail)?;
        } else {
            out.write_all(b"{").map_err(fail)?;
            for (i, (identity, entry)) in self.repos.iter().enumerate() {
                let key = serde_json::to_string(identity).expect("a string serialises");
                let value = serde_json::to_string_pretty(entry).expect("an entry serialises");
                let value = value.replace('\n', "\n    ");
                let comma = if i == 0 { "" } else { "," };
                let text = format!("{comma}\n    {key}: {value}");
                out.write_all(crate::redact::redact(&text).as_bytes())
                    .map_err(fail)?;
            }
            out.write_all(b"\n  }\n}\n").map_err(fail)?;
        }
        let tmp = out.into_inner().map_err(|e| fail(e.into_error()))?;
        tmp.as_file().sync_all().map_err(fail)?;
        tmp.persist(path).map_err(|e| fail(e.error))?;
        Ok(())
    }

    fn clone_without_repos(&self) -> Report {
        Report {
            schema_version: self.schema_version,
            mode: self.mode,
            bundle: self.bundle.clone(),
            to: self.to.clone(),
            branch: self.branch.clone(),
            repos: BTreeMap::new(),
        }
    }

    /// Starts saving into `path`: the report as it is now (the entries `--resume` brought) is
    /// written atomically, then an empty journal is opened next to it for the entries to come.
    /// A journal an earlier run left is emptied only after the report holds its entries (the
    /// caller read them with [`Report::read`] when resuming; without `--resume` the earlier
    /// report is replaced, journal and all).
    pub fn start(&self, path: &Path) -> Result<Journal, Error> {
        self.write(path)?;
        Journal::create(path)
    }

    /// Ends saving into `path`: the whole report written atomically, then the journal removed.
    /// A kill between the two leaves a journal whose entries the report already holds, which
    /// [`Report::read`] folds in again to the same result.
    pub fn finish(&self, path: &Path, journal: Journal) -> Result<(), Error> {
        self.save(path)?;
        journal.remove()
    }

    /// Whether `identity` is finished: done with any outcome but a failure (a failure is tried
    /// again by `--resume`).
    pub fn is_finished(&self, identity: &str) -> bool {
        self.repos
            .get(identity)
            .is_some_and(|r| r.outcome != Outcome::Failed)
    }

    /// Joins shard reports of one campaign; a repository in two reports keeps the later one's
    /// entry unless that one failed.
    pub fn merge(reports: Vec<(String, Report)>) -> Result<Report, Error> {
        let mut iter = reports.into_iter();
        let Some((_, mut merged)) = iter.next() else {
            return Err(Error::NothingToMerge);
        };
        for (name, report) in iter {
            if (report.mode, &report.bundle, &report.to, &report.branch)
                != (merged.mode, &merged.bundle, &merged.to, &merged.branch)
            {
                return Err(Error::Report {
                    path: name.into(),
                    message: format!(
                        "is of another campaign ({} {} to {}, branch {}) than the first report ({} {} to {}, branch {})",
                        report.mode.name(), report.bundle, report.to.as_deref().unwrap_or("newest"), report.branch,
                        merged.mode.name(), merged.bundle, merged.to.as_deref().unwrap_or("newest"), merged.branch,
                    ),
                });
            }
            for (repo, entry) in report.repos {
                let keep_old = merged.repos.get(&repo).is_some_and(|old| {
                    entry.outcome == Outcome::Failed && old.outcome != Outcome::Failed
                });
                if !keep_old {
                    merged.repos.insert(repo, entry);
                }
            }
        }
        Ok(merged)
    }

    /// How many repositories came out each way.
    pub fn counts(&self) -> BTreeMap<Outcome, usize> {
        let mut counts = BTreeMap::new();
        for r in self.repos.values() {
            *counts.entry(r.outcome).or_default() += 1;
        }
        counts
    }

    /// 0 when every repository is upgraded, current or skipped; 1 when any has conflicts or failed.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.repos.values().any(|r| r.outcome.is_problem()))
    }
}

/// The entries finished since the report was last written, one line of JSON each
/// (`{"repo": IDENTITY, "entry": {...}}`), appended as each repository finishes: saving one costs
/// one small write, whatever the size of the fleet.
///
/// A killed run loses nothing that was appended (the kernel has it); the line being written
/// when it died may be cut short, and [`Journal::read`] drops such a last line. Against a
/// machine crash the journal is synced at most every [`SYNC_EVERY`]: the entries of that last
/// moment may be lost, and `--resume` does those repositories again, which finds each branch
/// already holding its upgrade (and the remote already having it) and makes no second commit.
pub struct Journal {
    path: PathBuf,
    file: std::fs::File,
    synced: Instant,
}

/// How long appended entries may wait for a sync to disk (see [`Journal`]).
pub const SYNC_EVERY: Duration = Duration::from_millis(200);

/// One line of the journal.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalLine {
    repo: String,
    entry: RepoReport,
}

impl Journal {
    /// The journal of the report at `report`: `REPORT.journal`, next to it.
    pub fn path_of(report: &Path) -> PathBuf {
        let mut name = report.file_name().unwrap_or_default().to_os_string();
        name.push(".journal");
        report.with_file_name(name)
    }

    fn create(report: &Path) -> Result<Journal, Error> {
        let path = Journal::path_of(report);
        // Opened to be emptied: a link in its place would empty whatever it points to.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::Report {
                path,
                message: "it is a symbolic link; goldpath never writes through one. Remove the link, or give --report another path".into(),
            });
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| Error::Report {
                path: path.clone(),
                message: e.to_string(),
            })?;
        Ok(Journal {
            path,
            file,
            synced: Instant::now(),
        })
    }

    /// Appends `identity`'s entry (it replaces an earlier one of the same repository).
    pub fn append(&mut self, identity: &str, entry: &RepoReport) -> Result<(), Error> {
        let line = JournalLine {
            repo: identity.to_string(),
            entry: entry.clone(),
        };
        let text = serde_json::to_string(&line).expect("an entry serialises") + "\n";
        let text = crate::redact::redact(&text);
        let fail = |e: std::io::Error| Error::Report {
            path: self.path.clone(),
            message: e.to_string(),
        };
        crate::fault::point();
        // One write of the whole line: a kill leaves it whole or cut short, never interleaved.
        self.file.write_all(text.as_bytes()).map_err(fail)?;
        if self.synced.elapsed() >= SYNC_EVERY {
            self.file.sync_data().map_err(fail)?;
            self.synced = Instant::now();
        }
        Ok(())
    }

    fn remove(self) -> Result<(), Error> {
        drop(self.file);
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Report {
                path: self.path,
                message: e.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The entries of the journal at `path` in the order they were appended; none when there
    /// is no journal. A last line without its newline is one a kill cut short, and is dropped;
    /// any other line that does not parse is an error naming it.
    fn read(path: &Path) -> Result<Vec<(String, RepoReport)>, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::Report {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })
            }
        };
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        let mut entries = Vec::new();
        for (i, line) in complete.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let parsed: JournalLine = serde_json::from_str(line).map_err(|e| Error::Report {
                path: path.to_path_buf(),
                message: format!(
                    "line {}: {e} (remove the line, and `--resume` does its repository again)",
                    i + 1
                ),
            })?;
            entries.push((parsed.repo, parsed.entry));
        }
        Ok(entries)
    }
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Plan => "plan",
            Mode::Upgrade => "upgrade",
        }
    }
}

#[cfg(test)]
mod tests {

    #[cfg(unix)]
    #[test]
    fn a_link_in_the_journals_place_is_refused_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "keep\n").unwrap();
        std::os::unix::fs::symlink(&target, Journal::path_of(&report)).unwrap();
        let err = Report::new(Mode::Upgrade, "svc", None, "b")
            .start(&report)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
    }
    use super::*;

    fn campaign() -> Report {
        Report::new(
            Mode::Upgrade,
            "svc",
            Some("2.0.0".into()),
            "goldpath/svc-2.0.0",
        )
    }

    #[test]
    fn a_journal_is_folded_into_the_report_it_sits_next_to_later_entries_winning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut report = campaign();
        report.repos.insert(
            "a".into(),
            RepoReport::new(Outcome::Failed, Some("x".into())),
        );
        let mut journal = report.start(&path).unwrap();
        assert_eq!(
            Journal::path_of(&path),
            dir.path().join("report.json.journal")
        );
        journal
            .append("a", &RepoReport::new(Outcome::Upgraded, None))
            .unwrap();
        journal
            .append("b", &RepoReport::new(Outcome::Failed, None))
            .unwrap();
        journal
            .append("b", &RepoReport::new(Outcome::Current, None))
            .unwrap();
        // What a kill leaves: the report as it started, and the journal.
        let read = Report::read(&path).unwrap();
        assert_eq!(read.repos.len(), 2);
        assert_eq!(read.repos["a"].outcome, Outcome::Upgraded);
        assert_eq!(read.repos["b"].outcome, Outcome::Current);
        // Finished: one report, no journal.
        report.repos = read.repos.clone();
        report.finish(&path, journal).unwrap();
        assert!(!Journal::path_of(&path).exists());
        assert_eq!(Report::read(&path).unwrap(), report);
    }

    #[test]
    fn a_line_cut_short_by_a_kill_is_dropped_and_a_damaged_one_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut journal = campaign().start(&path).unwrap();
        journal
            .append("a", &RepoReport::new(Outcome::Upgraded, None))
            .unwrap();
        drop(journal);
        let journal_path = Journal::path_of(&path);
        let whole = std::fs::read_to_string(&journal_path).unwrap();
        std::fs::write(&journal_path, format!("{whole}{}", &whole[..20])).unwrap();
        let read = Report::read(&path).unwrap();
        assert_eq!(read.repos.keys().collect::<Vec<_>>(), ["a"]);
        std::fs::write(&journal_path, format!("{}\n{whole}", &whole[..20])).unwrap();
        let err = Report::read(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("report {}: line 1: ", journal_path.display()))
                && err.ends_with("(remove the line, and `--resume` does its repository again)"),
            "{err}"
        );
    }

    #[test]
    fn the_report_is_written_as_serde_json_prints_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut report = campaign();
        report.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, serde_json::to_string_pretty(&report).unwrap() + "\n");
        let mut entry = RepoReport::new(Outcome::Upgraded, Some("line\nbreak \"quoted\"".into()));
        entry.projects.push(ProjectVersions {
            path: "services/a".into(),
            bundle: "svc".into(),
            from: "1.0.0".into(),
            to: "2.0.0".into(),
        });
        report.repos.insert("file:///r/a.git".into(), entry.clone());
        report
            .repos
            .insert("/srv/b".into(), RepoReport::new(Outcome::Current, None));
        report.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, serde_json::to_string_pretty(&report).unwrap() + "\n");
        assert_eq!(Report::read(&path).unwrap(), report);
    }

    #[test]
    fn starting_again_without_resume_empties_an_earlier_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut journal = campaign().start(&path).unwrap();
        journal
            .append("a", &RepoReport::new(Outcome::Upgraded, None))
            .unwrap();
        drop(journal);
        let _journal = campaign().start(&path).unwrap();
        assert!(Report::read(&path).unwrap().repos.is_empty());
    }
}
