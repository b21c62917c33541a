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

    /// Reads the report at `path` whole, with the entries of its journal, if a run that was cut
    /// off left one, folded in. (A fleet run reads a report entry by entry instead, into a
    /// [`super::Ledger`].)
    pub fn read(path: &Path) -> Result<Report, Error> {
        let mut repos = BTreeMap::new();
        let mut report = read_entries(path, &mut |identity, entry| {
            repos.insert(identity, entry);
            Ok(())
        })?;
        Journal::read(&Journal::path_of(path), &mut |identity, entry| {
            repos.insert(identity, entry);
            Ok(())
        })?;
        report.repos = repos;
        Ok(report)
    }

    /// The report with its campaign only: `repos` empty.
    pub fn campaign(&self) -> Report {
        Report {
            schema_version: self.schema_version,
            mode: self.mode,
            bundle: self.bundle.clone(),
            to: self.to.clone(),
            branch: self.branch.clone(),
            repos: BTreeMap::new(),
        }
    }

    /// `plan rust-service to 1.4.0, branch goldpath/rust-service-1.4.0`: the campaign, as
    /// messages name it.
    pub fn describe_campaign(&self) -> String {
        format!(
            "{} {} to {}, branch {}",
            self.mode.name(),
            self.bundle,
            self.to.as_deref().unwrap_or("newest"),
            self.branch
        )
    }

    /// Whether `other` is of the same campaign (mode, bundle, version and branch).
    pub fn same_campaign(&self, other: &Report) -> bool {
        (self.mode, &self.bundle, &self.to, &self.branch)
            == (other.mode, &other.bundle, &other.to, &other.branch)
    }
}

/// A report's text, piece by piece: [`text_open`], each entry's [`text_entry`] in the report's
/// order, then [`text_close`]; every piece redacted. The pieces joined are the bytes of
/// `serde_json::to_string_pretty` of the whole report and a newline, but a writer holds only one
/// entry's text at a time, so writing a report costs the same memory at 500 repositories as at 5
/// (the whole text is 1.5 MB at 500, twice with the redaction's copy).
pub(super) fn text_open(campaign: &Report) -> String {
    let text = serde_json::to_string_pretty(&campaign.campaign()).expect("a report serialises");
    // `"repos": {}` closes the campaign's text; the entries go between the braces.
    let open = text
        .strip_suffix("{}\n}")
        .expect("repos is the report's last field");
    crate::redact::redact(open)
}

/// The text of an entry (see [`text_open`]); `first`: the report's first.
pub(super) fn text_entry(first: bool, identity: &str, entry: &RepoReport) -> String {
    let key = serde_json::to_string(identity).expect("a string serialises");
    let value = serde_json::to_string_pretty(entry).expect("an entry serialises");
    let value = value.replace('\n', "\n    ");
    let open = if first { "{" } else { "," };
    crate::redact::redact(&format!("{open}\n    {key}: {value}"))
}

/// The text after the last entry (see [`text_open`]); `empty`: the report has none.
pub(super) fn text_close(empty: bool) -> String {
    match empty {
        true => "{}\n}\n".into(),
        false => "\n  }\n}\n".into(),
    }
}

/// Writes a report's `text` (see [`text_open`]) at `path` atomically (a temp file next to it,
/// synced, then renamed over it), so a reader (or a `--resume` after a kill) sees the old report
/// or the new one, never half of one.
pub(super) fn write_report(
    path: &Path,
    text: impl Iterator<Item = Result<String, Error>>,
) -> Result<(), Error> {
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
    for piece in text {
        out.write_all(piece?.as_bytes()).map_err(fail)?;
    }
    let tmp = out.into_inner().map_err(|e| fail(e.into_error()))?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Reads the report at `path` entry by entry: `entry` gets each repository's entry as it is
/// parsed (in the file's order), so the report is never in memory whole. Returns the campaign
/// (`repos` empty). A report of another schema version is refused before any entry.
pub(super) fn read_entries(
    path: &Path,
    entry: &mut dyn FnMut(String, RepoReport) -> Result<(), Error>,
) -> Result<Report, Error> {
    let bad = |message: String| Error::Report {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut reader = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
    // A stop of ours (the schema version, or `entry`'s error) ends serde's parse early; it is
    // returned instead of serde's error.
    let mut stop = None;
    let seed = streamed::ReportSeed {
        entry,
        stop: &mut stop,
    };
    let read = serde::de::DeserializeSeed::deserialize(seed, &mut reader)
        .and_then(|report| reader.end().map(|()| report));
    match (read, stop) {
        (_, Some(streamed::Stop::Version(v))) => Err(bad(format!(
            "schema_version {v} is not {SCHEMA_VERSION}, the one this goldpath writes"
        ))),
        (_, Some(streamed::Stop::Entry(error))) => Err(error),
        (Err(e), None) => Err(bad(e.to_string())),
        (Ok(report), None) => Ok(report),
    }
}

/// The report's deserialisation field by field (serde's derive, but with `repos` handed over
/// entry by entry), refusing what the derive refuses: an unknown or repeated field, a missing one
/// (`to` may be missing: none).
mod streamed {
    use super::{Error, RepoReport, Report, SCHEMA_VERSION};
    use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
    use std::collections::BTreeMap;
    use std::fmt;

    const FIELDS: &[&str] = &["schema_version", "mode", "bundle", "to", "branch", "repos"];

    #[derive(serde::Deserialize)]
    #[serde(field_identifier, rename_all = "snake_case")]
    enum Field {
        SchemaVersion,
        Mode,
        Bundle,
        To,
        Branch,
        Repos,
    }

    /// Why the parse was stopped before its end.
    pub(super) enum Stop {
        /// A report of another schema version: its entries are not read.
        Version(u32),
        /// The caller's error, for an entry.
        Entry(Error),
    }

    pub(super) struct ReportSeed<'a> {
        pub entry: &'a mut dyn FnMut(String, RepoReport) -> Result<(), Error>,
        pub stop: &'a mut Option<Stop>,
    }

    impl<'de> DeserializeSeed<'de> for ReportSeed<'_> {
        type Value = Report;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Report, D::Error> {
            d.deserialize_struct("Report", FIELDS, self)
        }
    }

    impl<'de> Visitor<'de> for ReportSeed<'_> {
        type Value = Report;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("struct Report")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Report, A::Error> {
            let (mut version, mut mode, mut bundle, mut to, mut branch, mut repos) =
                (None, None, None, None, None, false);
            let twice = |name: &'static str| Err(de::Error::duplicate_field(name));
            while let Some(field) = map.next_key::<Field>()? {
                match field {
                    Field::SchemaVersion if version.is_some() => return twice("schema_version"),
                    Field::SchemaVersion => {
                        let v: u32 = map.next_value()?;
                        if v != SCHEMA_VERSION {
                            *self.stop = Some(Stop::Version(v));
                            return Err(de::Error::custom("another schema version"));
                        }
                        version = Some(v);
                    }
                    Field::Mode if mode.is_some() => return twice("mode"),
                    Field::Mode => mode = Some(map.next_value()?),
                    Field::Bundle if bundle.is_some() => return twice("bundle"),
                    Field::Bundle => bundle = Some(map.next_value()?),
                    Field::To if to.is_some() => return twice("to"),
                    Field::To => to = Some(map.next_value()?),
                    Field::Branch if branch.is_some() => return twice("branch"),
                    Field::Branch => branch = Some(map.next_value()?),
                    Field::Repos if repos => return twice("repos"),
                    Field::Repos => {
                        map.next_value_seed(EntriesSeed {
                            entry: &mut *self.entry,
                            stop: &mut *self.stop,
                        })?;
                        repos = true;
                    }
                }
            }
            let missing = |name: &'static str| de::Error::missing_field(name);
            if !repos {
                return Err(missing("repos"));
            }
            Ok(Report {
                schema_version: version.ok_or_else(|| missing("schema_version"))?,
                mode: mode.ok_or_else(|| missing("mode"))?,
                bundle: bundle.ok_or_else(|| missing("bundle"))?,
                to: to.unwrap_or_default(),
                branch: branch.ok_or_else(|| missing("branch"))?,
                repos: BTreeMap::new(),
            })
        }
    }

    struct EntriesSeed<'a> {
        entry: &'a mut dyn FnMut(String, RepoReport) -> Result<(), Error>,
        stop: &'a mut Option<Stop>,
    }

    impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for EntriesSeed<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of repositories to their entries")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(identity) = map.next_key::<String>()? {
                let entry: RepoReport = map.next_value()?;
                if let Err(e) = (self.entry)(identity, entry) {
                    *self.stop = Some(Stop::Entry(e));
                    return Err(de::Error::custom("stopped by the caller"));
                }
            }
            Ok(())
        }
    }
}

/// The entries finished since the report was last written, one line of JSON each
/// (`{"repo": IDENTITY, "entry": {...}}`), appended as each repository finishes: saving one costs
/// one small write, whatever the size of the fleet. The run reads its entries back from it, by
/// the [`Span`] each append returns, to write the final report (see [`super::Ledger`]).
///
/// A killed run loses nothing that was appended (the kernel has it); the line being written
/// when it died may be cut short, and [`Journal::read`] drops such a last line. Against a
/// machine crash the journal is synced at most every [`SYNC_EVERY`]: the entries of that last
/// moment may be lost, and `--resume` does those repositories again, which finds each branch
/// already holding its upgrade (and the remote already having it) and makes no second commit.
///
/// A run without `--report` keeps the same lines in an unnamed temp file instead (never synced,
/// gone when the run ends).
#[derive(Debug)]
pub struct Journal {
    /// `None`: the unnamed temp file of a run without a report.
    path: Option<PathBuf>,
    lines: Lines,
    synced: Instant,
}

/// How long appended entries may wait for a sync to disk (see [`Journal`]).
pub const SYNC_EVERY: Duration = Duration::from_millis(200);

/// One line of the journal.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JournalLine {
    pub repo: String,
    pub entry: RepoReport,
}

impl JournalLine {
    /// The line's text: one line of JSON, its newline, redacted.
    pub fn text(identity: &str, entry: &RepoReport) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            repo: &'a str,
            entry: &'a RepoReport,
        }
        let line = Line {
            repo: identity,
            entry,
        };
        crate::redact::redact(&(serde_json::to_string(&line).expect("an entry serialises") + "\n"))
    }
}

/// Where one line is in a file of lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    offset: u64,
    len: u32,
}

/// A file of lines appended one at a time and read back by their [`Span`]. Reads happen once
/// the appends are over (the run's end), so on systems without positioned reads a read may move
/// the file's position.
#[derive(Debug)]
pub(super) struct Lines {
    file: std::fs::File,
    /// The end of what was written: the next line's offset. Taken from the file after a failed
    /// write, which may have written part of its line.
    end: u64,
}

impl Lines {
    /// An unnamed temp file, gone when dropped.
    pub fn temporary() -> std::io::Result<Lines> {
        Ok(Lines {
            file: tempfile::tempfile()?,
            end: 0,
        })
    }

    /// Appends `text` (one whole line) in one write: a kill leaves it whole or cut short, never
    /// interleaved with another.
    pub fn append(&mut self, text: &str) -> std::io::Result<Span> {
        let offset = self.end;
        let len = u32::try_from(text.len())
            .map_err(|_| std::io::Error::other("an entry of more than 4 GiB"))?;
        if let Err(e) = self.file.write_all(text.as_bytes()) {
            use std::io::Seek;
            self.end = self.file.stream_position().unwrap_or(self.end);
            return Err(e);
        }
        self.end += u64::from(len);
        Ok(Span { offset, len })
    }

    /// The line at `span`, parsed.
    pub fn read(&self, span: Span) -> std::io::Result<JournalLine> {
        let mut buf = vec![0; span.len as usize];
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            self.file.read_exact_at(&mut buf, span.offset)?;
        }
        #[cfg(not(unix))]
        {
            use std::io::{Read, Seek};
            let mut file = &self.file;
            file.seek(std::io::SeekFrom::Start(span.offset))?;
            file.read_exact(&mut buf)?;
        }
        serde_json::from_slice(&buf).map_err(std::io::Error::other)
    }
}

impl Journal {
    /// The journal of the report at `report`: `REPORT.journal`, next to it.
    pub fn path_of(report: &Path) -> PathBuf {
        let mut name = report.file_name().unwrap_or_default().to_os_string();
        name.push(".journal");
        report.with_file_name(name)
    }

    /// The journal of the report at `report`, emptied.
    pub(super) fn create(report: &Path) -> Result<Journal, Error> {
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
            .read(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| Error::Report {
                path: path.clone(),
                message: e.to_string(),
            })?;
        Ok(Journal {
            path: Some(path),
            lines: Lines { file, end: 0 },
            synced: Instant::now(),
        })
    }

    /// The journal of a run without a report: an unnamed temp file.
    pub(super) fn temporary() -> Result<Journal, Error> {
        let lines = Lines::temporary().map_err(|e| Error::Report {
            path: std::env::temp_dir(),
            message: format!("a temp file for the run's entries: {e}"),
        })?;
        Ok(Journal {
            path: None,
            lines,
            synced: Instant::now(),
        })
    }

    fn fail(&self, e: std::io::Error) -> Error {
        match &self.path {
            Some(path) => Error::Report {
                path: path.clone(),
                message: e.to_string(),
            },
            None => Error::Report {
                path: std::env::temp_dir(),
                message: format!("the temp file of the run's entries: {e}"),
            },
        }
    }

    /// Appends `identity`'s entry (it replaces an earlier one of the same repository); where
    /// its line is.
    pub fn append(&mut self, identity: &str, entry: &RepoReport) -> Result<Span, Error> {
        let text = JournalLine::text(identity, entry);
        crate::fault::point();
        let span = self.lines.append(&text).map_err(|e| self.fail(e))?;
        if self.path.is_some() && self.synced.elapsed() >= SYNC_EVERY {
            self.lines.file.sync_data().map_err(|e| self.fail(e))?;
            self.synced = Instant::now();
        }
        Ok(span)
    }

    /// The entry appended at `span`.
    pub(super) fn entry_at(&self, span: Span) -> Result<JournalLine, Error> {
        self.lines.read(span).map_err(|e| self.fail(e))
    }

    /// Removes the journal's file; what was appended stays readable ([`Journal::entry_at`])
    /// until the journal is dropped.
    pub(super) fn remove(&mut self) -> Result<(), Error> {
        let Some(path) = self.path.take() else {
            return Ok(());
        };
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Report {
                path,
                message: e.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Gives `entry` the entries of the journal at `path` in the order they were appended, one
    /// line at a time; none when there is no journal. A last line without its newline is one a
    /// kill cut short, and is dropped; any other line that does not parse is an error naming it.
    pub(super) fn read(
        path: &Path,
        entry: &mut dyn FnMut(String, RepoReport) -> Result<(), Error>,
    ) -> Result<(), Error> {
        use std::io::BufRead;
        let fail = |message: String| Error::Report {
            path: path.to_path_buf(),
            message,
        };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(fail(e.to_string())),
        };
        let mut reader = std::io::BufReader::new(file);
        let mut line = Vec::new();
        for number in 1.. {
            line.clear();
            reader
                .read_until(b'\n', &mut line)
                .map_err(|e| fail(e.to_string()))?;
            let Some(text) = line.strip_suffix(b"\n") else {
                // The end, or a last line a kill cut short.
                return Ok(());
            };
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.is_empty() {
                continue;
            }
            let parsed: JournalLine = serde_json::from_slice(text).map_err(|e| {
                fail(format!(
                    "line {number}: {e} (remove the line, and `--resume` does its repository again)"
                ))
            })?;
            entry(parsed.repo, parsed.entry)?;
        }
        Ok(())
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
pub(super) mod tests {
    use super::*;

    /// The campaign the report's and the ledger's tests write: svc to 2.0.0.
    pub(in crate::fleet) fn campaign() -> Report {
        Report::new(
            Mode::Upgrade,
            "svc",
            Some("2.0.0".into()),
            "goldpath/svc-2.0.0",
        )
    }

    /// Writes `report` whole, as serde prints it.
    fn write_whole(path: &Path, report: &Report) {
        std::fs::write(path, serde_json::to_string_pretty(report).unwrap() + "\n").unwrap();
    }

    #[test]
    fn a_line_cut_short_by_a_kill_is_dropped_and_a_damaged_one_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_whole(&path, &campaign());
        let journal_path = Journal::path_of(&path);
        let whole = JournalLine::text("a", &RepoReport::new(Outcome::Upgraded, None));
        std::fs::write(&journal_path, format!("{whole}\n{}", &whole[..20])).unwrap();
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
    fn a_report_is_read_entry_by_entry_in_the_files_order_as_serde_reads_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut report = campaign();
        report.to = None;
        for name in ["b", "a", "c"] {
            report
                .repos
                .insert(name.into(), RepoReport::new(Outcome::Current, None));
        }
        write_whole(&path, &report);
        let mut seen = Vec::new();
        let read = read_entries(&path, &mut |identity, _| {
            seen.push(identity);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, ["a", "b", "c"]);
        assert_eq!(read, report.campaign());
        assert_eq!(Report::read(&path).unwrap(), report);
        // `to` may be missing (none), as serde's derive reads an option.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("  \"to\": null,\n", "")).unwrap();
        assert_eq!(Report::read(&path).unwrap(), report);
    }

    #[test]
    fn a_report_serde_would_refuse_is_refused_naming_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let text = serde_json::to_string_pretty(&campaign()).unwrap();
        let cases = [
            (
                text.replace("\"schema_version\": 1", "\"schema_version\": 2"),
                "schema_version 2 is not 1, the one this goldpath writes",
            ),
            (
                text.replace("\"bundle\"", "\"bundel\""),
                "unknown field `bundel`, expected one of",
            ),
            (
                text.replace("  \"bundle\": \"svc\",\n", ""),
                "missing field `bundle`",
            ),
            (
                text.replace(
                    "\"mode\": \"upgrade\"",
                    "\"mode\": \"upgrade\", \"mode\": \"plan\"",
                ),
                "duplicate field `mode`",
            ),
            (
                text.replace(
                    "\"repos\": {}",
                    "\"repos\": {\"a\": {\"outcome\": \"won\"}}",
                ),
                "unknown variant `won`",
            ),
            (text.clone() + "{}", "trailing characters"),
            (
                text.replace("\"repos\": {}", "\"repos\": []"),
                "invalid type",
            ),
        ];
        for (text, wanted) in cases {
            std::fs::write(&path, &text).unwrap();
            let err = Report::read(&path).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("report {}: ", path.display())) && err.contains(wanted),
                "{wanted}: {err}"
            );
        }
    }

    #[test]
    fn a_report_of_another_schema_version_is_refused_before_any_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut report = campaign();
        report.schema_version = 2;
        report
            .repos
            .insert("a".into(), RepoReport::new(Outcome::Current, None));
        write_whole(&path, &report);
        let mut entries = 0;
        let err = read_entries(&path, &mut |_, _| {
            entries += 1;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(entries, 0);
        assert_eq!(
            err.to_string(),
            format!(
                "report {}: schema_version 2 is not 1, the one this goldpath writes",
                path.display()
            )
        );
    }
}
