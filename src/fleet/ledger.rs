//! A fleet report's entries kept on disk, with only a few bytes of each in memory: the
//! repository's identity, its outcome, whether its pull request has warnings, and where its
//! entry is (a line of the run's [`Journal`], or of an unnamed temp file for entries read from
//! earlier reports). A run's report is written from it entry by entry, and the CLI's table reads
//! back only the entries it lists, so peak memory stays flat in the size of the fleet. Holding
//! every entry in memory until the report was written made it grow by about 5 KiB a repository
//! (2.5 MiB from 50 to 500 repositories, `benches/fleet.rs`).
//!
//! `--resume` and `merge-reports` read a report the same way, entry by entry ([`Ledger::read`]).

use super::report::{self, Journal, JournalLine, Lines, Mode, Outcome, RepoReport, Report, Span};
use super::Error;
use std::collections::BTreeMap;
use std::path::Path;

/// The entries of a report (being made by a run, or read from a file), by identity.
#[derive(Debug)]
pub struct Ledger {
    /// The report's campaign (`repos` always empty).
    campaign: Report,
    entries: BTreeMap<String, Slot>,
    /// The entries read from reports (`--resume`, `merge-reports`).
    earlier: Option<Lines>,
    /// The entries of this run, once it started.
    journal: Option<Journal>,
}

/// What a [`Ledger`] keeps in memory of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntrySummary {
    pub outcome: Outcome,
    /// The forge refused something of the pull request (`pull_request_warnings`).
    pub has_warnings: bool,
}

impl EntrySummary {
    fn of(entry: &RepoReport) -> EntrySummary {
        EntrySummary {
            outcome: entry.outcome,
            has_warnings: !entry.pull_request_warnings.is_empty(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    summary: EntrySummary,
    place: Place,
}

/// Where an entry's line is.
#[derive(Debug, Clone, Copy)]
enum Place {
    Earlier(Span),
    Journal(Span),
}

/// An error of the temp file that holds the entries read from reports.
fn temp_file_error(e: std::io::Error) -> Error {
    Error::Report {
        path: std::env::temp_dir(),
        message: format!("the temp file of the entries read from reports: {e}"),
    }
}

impl Ledger {
    /// A ledger of no entries yet, of the campaign of `campaign`.
    pub fn new(campaign: &Report) -> Ledger {
        Ledger {
            campaign: campaign.campaign(),
            entries: BTreeMap::new(),
            earlier: None,
            journal: None,
        }
    }

    /// Reads the report at `path`, with the entries of its journal (if a run that was cut off
    /// left one) folded in, one entry at a time.
    pub fn read(path: &Path) -> Result<Ledger, Error> {
        let mut earlier = Lines::temporary().map_err(temp_file_error)?;
        let mut entries = BTreeMap::new();
        let mut keep = |identity: String, entry: RepoReport| -> Result<(), Error> {
            let span = earlier
                .append(&JournalLine::text(&identity, &entry))
                .map_err(temp_file_error)?;
            let slot = Slot {
                summary: EntrySummary::of(&entry),
                place: Place::Earlier(span),
            };
            entries.insert(identity, slot);
            Ok(())
        };
        let campaign = report::read_entries(path, &mut keep)?;
        Journal::read(&Journal::path_of(path), &mut keep)?;
        Ok(Ledger {
            campaign,
            entries,
            earlier: Some(earlier),
            journal: None,
        })
    }

    /// The campaign (`repos` empty).
    pub fn campaign(&self) -> &Report {
        &self.campaign
    }

    pub fn mode(&self) -> Mode {
        self.campaign.mode
    }

    /// How many repositories it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `identity` is finished: done with any outcome but a failure (a failure is tried
    /// again by `--resume`).
    pub fn is_finished(&self, identity: &str) -> bool {
        self.entries
            .get(identity)
            .is_some_and(|s| s.summary.outcome != Outcome::Failed)
    }

    /// How many repositories came out each way.
    pub fn counts(&self) -> BTreeMap<Outcome, usize> {
        let mut counts = BTreeMap::new();
        for slot in self.entries.values() {
            *counts.entry(slot.summary.outcome).or_default() += 1;
        }
        counts
    }

    /// 0 when every repository is upgraded, current or skipped; 1 when any has conflicts or failed.
    pub fn exit_code(&self) -> i32 {
        i32::from(
            self.entries
                .values()
                .any(|s| s.summary.outcome.is_problem()),
        )
    }

    /// Joins the report `other` (named `name`) of the same campaign into this one: a repository
    /// in both keeps `other`'s entry unless that one failed and this one's did not.
    pub fn merge(&mut self, other: Ledger, name: &str) -> Result<(), Error> {
        if !self.campaign.same_campaign(&other.campaign) {
            return Err(Error::Report {
                path: name.into(),
                message: format!(
                    "is of another campaign ({}) than the first report ({})",
                    other.campaign.describe_campaign(),
                    self.campaign.describe_campaign()
                ),
            });
        }
        for (identity, slot) in &other.entries {
            let keep_old = self.entries.get(identity).is_some_and(|old| {
                slot.summary.outcome == Outcome::Failed && old.summary.outcome != Outcome::Failed
            });
            if keep_old {
                continue;
            }
            let line = other.line_at(slot.place)?;
            let earlier = match &mut self.earlier {
                Some(earlier) => earlier,
                none => none.insert(Lines::temporary().map_err(temp_file_error)?),
            };
            let span = earlier
                .append(&JournalLine::text(identity, &line.entry))
                .map_err(temp_file_error)?;
            let slot = Slot {
                summary: slot.summary,
                place: Place::Earlier(span),
            };
            self.entries.insert(identity.clone(), slot);
        }
        Ok(())
    }

    /// Starts saving into `report`: the report as it is now (the entries `--resume` brought) is
    /// written atomically, then an empty journal is opened next to it for the entries to come.
    /// A journal an earlier run left is emptied only after the report holds its entries (read
    /// with [`Ledger::read`] when resuming; without `--resume` the earlier report is replaced,
    /// journal and all). Without a report, the entries to come are kept in an unnamed temp file.
    pub fn start(&mut self, report: Option<&Path>) -> Result<(), Error> {
        let journal = match report {
            Some(path) => {
                self.write(path)?;
                Journal::create(path)?
            }
            None => Journal::temporary()?,
        };
        self.journal = Some(journal);
        Ok(())
    }

    /// Saves `identity`'s entry (it replaces an earlier one of the same repository): one line
    /// appended to the journal.
    pub fn record(&mut self, identity: &str, entry: &RepoReport) -> Result<(), Error> {
        let journal = match &mut self.journal {
            Some(journal) => journal,
            none => none.insert(Journal::temporary()?),
        };
        let span = journal.append(identity, entry)?;
        let slot = Slot {
            summary: EntrySummary::of(entry),
            place: Place::Journal(span),
        };
        self.entries.insert(identity.to_string(), slot);
        Ok(())
    }

    /// Ends saving into `report`: the whole report written atomically, entry by entry, then the
    /// journal's file removed (its entries stay readable here). A kill between the two leaves a
    /// journal whose entries the report already holds, which [`Ledger::read`] folds in again to
    /// the same result.
    pub fn finish(&mut self, report: &Path) -> Result<(), Error> {
        crate::fault::point();
        self.write(report)?;
        match &mut self.journal {
            Some(journal) => journal.remove(),
            None => Ok(()),
        }
    }

    fn write(&self, path: &Path) -> Result<(), Error> {
        report::write_report(path, self.text())
    }

    /// The report's text, piece by piece (the bytes `serde_json::to_string_pretty` makes of the
    /// whole report, and a newline), one entry read at a time.
    pub fn text(&self) -> impl Iterator<Item = Result<String, Error>> + '_ {
        let entries = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, (identity, slot))| {
                let line = self.line_at(slot.place)?;
                Ok(report::text_entry(i == 0, identity, &line.entry))
            });
        std::iter::once(Ok(report::text_open(&self.campaign)))
            .chain(entries)
            .chain(std::iter::once(Ok(report::text_close(self.is_empty()))))
    }

    /// The entries whose summary `keep` takes, read one at a time, by identity.
    pub fn entries<'a>(
        &'a self,
        keep: impl Fn(EntrySummary) -> bool + 'a,
    ) -> impl Iterator<Item = Result<(&'a str, RepoReport), Error>> + 'a {
        self.entries
            .iter()
            .filter(move |(_, slot)| keep(slot.summary))
            .map(|(identity, slot)| Ok((identity.as_str(), self.line_at(slot.place)?.entry)))
    }

    fn line_at(&self, place: Place) -> Result<JournalLine, Error> {
        match (place, &self.earlier, &self.journal) {
            (Place::Earlier(span), Some(earlier), _) => earlier.read(span).map_err(temp_file_error),
            (Place::Journal(span), _, Some(journal)) => journal.entry_at(span),
            // Places are made only with their file; were one missing, an error beats a panic.
            _ => Err(Error::Report {
                path: std::env::temp_dir(),
                message: "an entry's place is a file this run does not hold (a goldpath bug; please report it with the command that ran)".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::report::tests::campaign;
    use crate::fleet::{FileChange, FileKind, ProjectVersions, PullRequestPlan};
    use std::sync::Arc;

    /// An entry of `outcome` with every field set, strings that need escaping included.
    fn full_entry(outcome: Outcome, n: usize) -> RepoReport {
        let projects = vec![
            ProjectVersions {
                path: String::new(),
                bundle: "svc".into(),
                from: "1.0.0".into(),
                to: "2.0.0".into(),
            },
            ProjectVersions {
                path: "services/ä \"b\"".into(),
                bundle: "svc".into(),
                from: "1.2.0".into(),
                to: "2.0.0".into(),
            },
        ];
        let files: Arc<[FileChange]> = [
            FileKind::Added,
            FileKind::Updated,
            FileKind::Removed,
            FileKind::Renamed {
                from: "alerts/rules.yaml".into(),
            },
            FileKind::LocalEditsKept,
            FileKind::Conflicted,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, kind)| FileChange {
            path: format!("dir/file{i}\t{n}.txt"),
            kind,
        })
        .collect::<Vec<_>>()
        .into();
        RepoReport {
            outcome,
            detail: Some(format!("line\nbreak \"quoted\" \\ {n} \u{1F680}")),
            base_branch: Some("main".into()),
            branch: Some("goldpath/svc-2.0.0".into()),
            commit: Some(format!("{n:040x}")),
            pushed: n % 2 == 0,
            pull_request_url: Some(format!("https://github.com/acme/r{n}/pull/{n}")),
            pull_request_number: Some(n as u64),
            pull_request_warnings: vec!["label `x` refused".into(); n % 2],
            projects: projects.clone(),
            files: files.clone(),
            pull_request: Some(PullRequestPlan {
                remote_url: Some(format!("https://github.com/acme/r{n}.git")),
                base_branch: "main".into(),
                branch: "goldpath/svc-2.0.0".into(),
                title: "Upgrade svc to 2.0.0 (golden path)".into(),
                has_conflicts: outcome == Outcome::Conflicts,
                projects,
                files,
                release_notes: Some("## 2.0.0\n\n- a </script> & more\n".into()),
                resolve: Some("git fetch && git switch goldpath/svc-2.0.0".into()),
            }),
        }
    }

    const OUTCOMES: [Outcome; 5] = [
        Outcome::Upgraded,
        Outcome::Current,
        Outcome::Conflicts,
        Outcome::Skipped,
        Outcome::Failed,
    ];

    /// What a report was before the ledger: every entry in memory, printed whole by serde.
    fn printed_whole(report: &Report) -> String {
        serde_json::to_string_pretty(report).unwrap() + "\n"
    }

    #[test]
    fn the_report_written_entry_by_entry_is_byte_for_byte_the_one_serde_prints_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        // An empty report.
        let mut ledger = Ledger::new(&campaign());
        ledger.start(Some(&path)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            printed_whole(&campaign())
        );
        // An earlier run's entries (read back as `--resume` reads them), then this run's,
        // in another order than the report's, some replacing earlier ones.
        let mut expected = campaign();
        for (i, outcome) in OUTCOMES.iter().enumerate() {
            let identity = format!("file:///srv/r{}.git", 9 - i);
            ledger.record(&identity, &full_entry(*outcome, i)).unwrap();
            expected.repos.insert(identity, full_entry(*outcome, i));
        }
        ledger.finish(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            printed_whole(&expected)
        );
        let mut resumed = Ledger::read(&path).unwrap();
        resumed.start(Some(&path)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            printed_whole(&expected)
        );
        for (i, outcome) in OUTCOMES.iter().rev().enumerate() {
            let identity = match i % 2 {
                0 => format!("/srv/local \"{i}\""),
                _ => format!("file:///srv/r{}.git", 9 - i),
            };
            resumed
                .record(&identity, &full_entry(*outcome, 10 + i))
                .unwrap();
            expected
                .repos
                .insert(identity, full_entry(*outcome, 10 + i));
        }
        resumed.finish(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, printed_whole(&expected));
        assert!(!Journal::path_of(&path).exists());
        assert_eq!(Report::read(&path).unwrap(), expected);
        // The text merge-reports prints is the same.
        let pieces: Result<String, Error> = resumed.text().collect();
        assert_eq!(pieces.unwrap(), text);
        // What the ledger keeps in memory agrees with the entries.
        let counts = resumed.counts();
        for outcome in OUTCOMES {
            let n = expected
                .repos
                .values()
                .filter(|r| r.outcome == outcome)
                .count();
            assert_eq!(counts.get(&outcome).copied().unwrap_or(0), n, "{outcome:?}");
            let read: Vec<(String, RepoReport)> = resumed
                .entries(|e| e.outcome == outcome)
                .map(|r| r.map(|(id, e)| (id.to_string(), e)))
                .collect::<Result<_, _>>()
                .unwrap();
            let wanted: Vec<(String, RepoReport)> = expected
                .repos
                .iter()
                .filter(|(_, r)| r.outcome == outcome)
                .map(|(id, r)| (id.clone(), r.clone()))
                .collect();
            assert_eq!(read, wanted);
        }
        let warned = resumed.entries(|e| e.has_warnings).count();
        assert_eq!(
            warned,
            expected
                .repos
                .values()
                .filter(|r| !r.pull_request_warnings.is_empty())
                .count()
        );
        assert_eq!(resumed.exit_code(), 1);
    }

    #[test]
    fn a_run_without_a_report_keeps_its_entries_in_a_temp_file() {
        let mut ledger = Ledger::new(&campaign());
        ledger.start(None).unwrap();
        ledger
            .record("a", &full_entry(Outcome::Upgraded, 1))
            .unwrap();
        ledger
            .record("b", &RepoReport::new(Outcome::Skipped, None))
            .unwrap();
        let read: Vec<_> = ledger.entries(|_| true).map(|r| r.unwrap()).collect();
        assert_eq!(
            read,
            [
                ("a", full_entry(Outcome::Upgraded, 1)),
                ("b", RepoReport::new(Outcome::Skipped, None))
            ]
        );
        assert_eq!(ledger.exit_code(), 0);
    }

    #[test]
    fn a_journal_is_folded_into_the_report_it_sits_next_to_later_entries_winning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut first = Ledger::new(&campaign());
        first.start(Some(&path)).unwrap();
        first
            .record("a", &RepoReport::new(Outcome::Failed, Some("x".into())))
            .unwrap();
        first.finish(&path).unwrap();
        let mut ledger = Ledger::read(&path).unwrap();
        assert!(!ledger.is_finished("a"));
        ledger.start(Some(&path)).unwrap();
        assert_eq!(
            Journal::path_of(&path),
            dir.path().join("report.json.journal")
        );
        ledger
            .record("a", &RepoReport::new(Outcome::Upgraded, None))
            .unwrap();
        ledger
            .record("b", &RepoReport::new(Outcome::Failed, None))
            .unwrap();
        ledger
            .record("b", &RepoReport::new(Outcome::Current, None))
            .unwrap();
        // What a kill leaves: the report as it started, and the journal.
        let read = Report::read(&path).unwrap();
        assert_eq!(read.repos.len(), 2);
        assert_eq!(read.repos["a"].outcome, Outcome::Upgraded);
        assert_eq!(read.repos["b"].outcome, Outcome::Current);
        let resumed = Ledger::read(&path).unwrap();
        assert!(resumed.is_finished("a") && resumed.is_finished("b"));
        assert_eq!(resumed.len(), 2);
        // Finished: one report, no journal, the same entries.
        ledger.finish(&path).unwrap();
        assert!(!Journal::path_of(&path).exists());
        assert_eq!(Report::read(&path).unwrap(), read);
    }

    #[test]
    fn starting_again_without_resume_empties_an_earlier_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut ledger = Ledger::new(&campaign());
        ledger.start(Some(&path)).unwrap();
        ledger
            .record("a", &RepoReport::new(Outcome::Upgraded, None))
            .unwrap();
        drop(ledger);
        Ledger::new(&campaign()).start(Some(&path)).unwrap();
        assert!(Report::read(&path).unwrap().repos.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_in_the_journals_place_is_refused_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "keep\n").unwrap();
        std::os::unix::fs::symlink(&target, Journal::path_of(&report)).unwrap();
        let err = Ledger::new(&campaign())
            .start(Some(&report))
            .expect_err("refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
    }

    #[test]
    fn shard_reports_merge_a_failure_never_replacing_a_success() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, entries: &[(&str, Outcome)]| {
            let path = dir.path().join(name);
            let mut ledger = Ledger::new(&campaign());
            ledger.start(Some(&path)).unwrap();
            for (identity, outcome) in entries {
                ledger
                    .record(identity, &RepoReport::new(*outcome, Some(name.into())))
                    .unwrap();
            }
            ledger.finish(&path).unwrap();
            path
        };
        let one = write(
            "one.json",
            &[
                ("a", Outcome::Upgraded),
                ("b", Outcome::Failed),
                ("c", Outcome::Current),
            ],
        );
        let two = write(
            "two.json",
            &[("a", Outcome::Failed), ("b", Outcome::Upgraded)],
        );
        let mut merged = Ledger::read(&one).unwrap();
        merged
            .merge(Ledger::read(&two).unwrap(), "two.json")
            .unwrap();
        let got: Vec<(String, Outcome, Option<String>)> = merged
            .entries(|_| true)
            .map(|r| r.map(|(id, e)| (id.to_string(), e.outcome, e.detail)))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            got,
            [
                ("a".into(), Outcome::Upgraded, Some("one.json".into())),
                ("b".into(), Outcome::Upgraded, Some("two.json".into())),
                ("c".into(), Outcome::Current, Some("one.json".into())),
            ]
        );
        let mut other = Ledger::new(&Report::new(Mode::Plan, "svc", None, "b"));
        other.start(None).unwrap();
        let err = merged.merge(other, "plan.json").unwrap_err().to_string();
        assert_eq!(
            err,
            "report plan.json: is of another campaign (plan svc to newest, branch b) than the first report (upgrade svc to 2.0.0, branch goldpath/svc-2.0.0)"
        );
    }
}
