//! `goldpath fleet plan|upgrade|status|merge-reports`: one golden-path release across many
//! repositories. Exit codes: 0 every repository upgraded, current or skipped; 1 any has
//! conflicts or failed; 2 a usage error. `fleet status` is a report, not a gate: 0, or 2 on a
//! usage error.

use super::error::CommandError;
use super::output::emit;
use crate::fleet::{self, Event, Ledger, Mode, Outcome, Report};
use crate::forge;
use crate::merge::ConflictStyle;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Subcommand)]
pub enum FleetCommand {
    /// Show what an upgrade would do in every repository; nothing is written
    Plan(RunArgs),
    /// Upgrade every repository on a branch of its own (never its work tree), optionally pushed
    Upgrade(UpgradeArgs),
    /// The fleet at a glance: every project's version, how far behind, drift and owner, as check computes them; writes nothing
    Status(StatusArgs),
    /// Join shard reports (`--report` of `--shard` runs) into one, printed as JSON
    MergeReports(MergeArgs),
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// A file (one local path or git URL a line, `#` comments) or a folder searched for projects
    #[arg(long, value_name = "FILE|FOLDER")]
    repos: PathBuf,
    /// Upgrade the projects of this bundle (others are skipped)
    #[arg(long, value_name = "NAME")]
    bundle: String,
    /// The version to upgrade to (default: the newest)
    #[arg(long, value_name = "V")]
    to: Option<semver::Version>,
    /// The branch each repository's upgrade is committed on (default: goldpath/BUNDLE-VERSION)
    #[arg(long, value_name = "NAME")]
    branch: Option<String>,
    /// Answer a question new in this version, or change an answer; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = super::new::parse_set)]
    set: Vec<(String, String)>,
    /// Take the default for questions new in this version
    #[arg(long)]
    defaults: bool,
    /// Run the bundle's migration hooks even though its source is not the built-in catalog
    #[arg(long)]
    trust: bool,
    /// How conflicts are marked in files
    #[arg(long, value_name = "STYLE", default_value = "merge", value_parser = ["merge", "diff3", "zdiff3"])]
    conflict_style: String,
    /// Repositories worked on at once (default: the number of cores)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Save the report (JSON) here; each finished repository is appended to FILE.journal
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Go on from this report of an interrupted run: its finished repositories are skipped
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
    /// Work on the I-th of N slices of the repositories (by a stable hash), e.g. for a CI matrix
    #[arg(long, value_name = "I/N")]
    shard: Option<fleet::Shard>,
}

#[derive(clap::Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Push each branch (with `git`)
    #[arg(long)]
    push: bool,
    /// Push branches with conflicts too (they are committed with their markers either way)
    #[arg(long, requires = "push")]
    push_conflicts: bool,
    /// Open (or update) a pull request, or GitLab merge request, for each pushed branch
    #[arg(long, requires = "push")]
    pr: bool,
    /// Open the pull requests as drafts (one with conflicts is a draft anyway)
    #[arg(long, requires = "pr")]
    draft: bool,
    /// The forge, when the remote URL does not say (GitHub Enterprise, self-hosted GitLab)
    #[arg(long, value_name = "KIND", value_parser = ["github", "gitlab"], requires = "pr")]
    forge: Option<String>,
    /// The forge's web address, with --forge (default: github.com or gitlab.com)
    #[arg(long, value_name = "URL", requires = "forge")]
    forge_url: Option<String>,
    /// Add this label to each pull request; repeatable
    #[arg(long = "label", value_name = "LABEL", requires = "pr")]
    labels: Vec<String>,
    /// Ask this person (GitHub: or `org/team`) for a review when a pull request is opened; repeatable
    #[arg(long = "reviewer", value_name = "USER", requires = "pr")]
    reviewers: Vec<String>,
    /// Close the open pull requests of older campaigns of the bundle (`goldpath/BUNDLE-OLDER`)
    #[arg(long, requires = "pr")]
    close_superseded: bool,
}

impl UpgradeArgs {
    fn pull_requests(&self) -> Result<Option<fleet::PrSettings>, CommandError> {
        if !self.pr {
            return Ok(None);
        }
        let forge = match &self.forge {
            None => None,
            Some(kind) => {
                let kind: forge::ForgeKind = kind
                    .parse()
                    .map_err(|e: forge::Error| usage(e.to_string()))?;
                Some(match &self.forge_url {
                    Some(url) => forge::ForgeOverride {
                        kind,
                        url: url.trim_end_matches('/').to_string(),
                    },
                    None => forge::ForgeOverride::public(kind),
                })
            }
        };
        Ok(Some(fleet::PrSettings {
            draft: self.draft,
            labels: self.labels.clone(),
            reviewers: self.reviewers.clone(),
            close_superseded: self.close_superseded,
            forge,
        }))
    }
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// A file (one local path or git URL a line, `#` comments) or a folder searched for projects
    #[arg(long, value_name = "FILE|FOLDER")]
    repos: PathBuf,
    /// Only projects of this bundle
    #[arg(long, value_name = "NAME")]
    bundle: Option<String>,
    /// `table` (default), `json`, `csv`, `markdown`, `prometheus` or `html` (one self-contained page)
    #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "json", "csv", "markdown", "prometheus", "html"])]
    format: String,
    /// Keep this run's JSON document as DIR/<UTC time>.json (created when missing); `html` draws
    /// adoption over time from every snapshot there
    #[arg(long, value_name = "DIR")]
    history: Option<PathBuf>,
    /// Write the status to this file (atomically) instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// A fleet upgrade report (`fleet upgrade --report`): each repository's upgrade branch,
    /// outcome and pull request
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Repositories read at once (default: the number of cores)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The shard reports
    #[arg(required = true, value_name = "REPORT")]
    reports: Vec<PathBuf>,
}

pub fn run(cmd: FleetCommand, out: &mut dyn Write) -> Result<i32, CommandError> {
    match cmd {
        FleetCommand::Plan(args) => campaign(args, Mode::Plan, false, false, None, out),
        FleetCommand::Upgrade(args) => {
            let pull_requests = args.pull_requests()?;
            campaign(
                args.run,
                Mode::Upgrade,
                args.push,
                args.push_conflicts,
                pull_requests,
                out,
            )
        }
        FleetCommand::Status(args) => status(args, out),
        FleetCommand::MergeReports(args) => merge_reports(args, out),
    }
}

fn usage(message: String) -> CommandError {
    CommandError::user(message).code(2)
}

fn campaign(
    args: RunArgs,
    mode: Mode,
    push: bool,
    push_conflicts: bool,
    pull_requests: Option<fleet::PrSettings>,
    out: &mut dyn Write,
) -> Result<i32, CommandError> {
    let branch = args.branch.clone().unwrap_or_else(|| match &args.to {
        Some(v) => format!("goldpath/{}-{v}", args.bundle),
        None => format!("goldpath/{}", args.bundle),
    });
    if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
        return Err(usage(format!(
            "--branch `{branch}` is not a valid git branch name"
        )));
    }
    let style = args
        .conflict_style
        .parse::<ConflictStyle>()
        .map_err(|e| usage(e.to_string()))?;
    let repos = fleet::read_repos(&args.repos, fleet::FolderScan::Projects)
        .map_err(|e| usage(e.to_string()))?;
    let resume = match &args.resume {
        Some(path) => Some((
            path.clone(),
            Ledger::read(path).map_err(|e| usage(e.to_string()))?,
        )),
        None => None,
    };
    let jobs = args.jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let options = fleet::Options {
        mode,
        bundle: args.bundle.clone(),
        to: args.to.clone(),
        branch,
        set: args.set.iter().cloned().collect(),
        defaults: args.defaults,
        trust: args.trust,
        style,
        push,
        push_conflicts,
        jobs,
        shard: args.shard,
        // `--resume` without `--report` keeps saving into the report it resumes.
        report: args.report.clone().or_else(|| args.resume.clone()),
        resume,
        pull_requests,
    };
    let progress = Arc::new(Progress::new());
    let forges = options.pull_requests.as_ref().map(|settings| {
        // The governor's waits, on the waiting thread: the report already holds every branch
        // pushed (the fleet saves it before asking the forge). The pacing between requests is
        // too short to mention.
        let progress = progress.clone();
        let observer: forge::governor::Observer = Arc::new(move |wait: &forge::Wait| {
            if wait.reason != forge::WaitReason::Pacing || wait.duration.as_secs() >= 5 {
                progress.say(&format!(
                    "{}; {}",
                    crate::redact::redact(&wait.describe()),
                    progress.time_left(wait.duration)
                ));
            }
        });
        forge::Forges::new(
            settings.forge.clone(),
            forge::Governors::new(
                forge::Options::default(),
                Arc::new(forge::SystemClock::default()),
                Some(observer),
            ),
        )
    });
    let report = fleet::run(repos, options, forges.as_ref(), &|e| progress.show(&e)).map_err(
        |e| match e {
            fleet::Error::OtherCampaign { .. } => usage(e.to_string()),
            e => CommandError::environment(e.to_string()),
        },
    )?;
    summary(&report, out)?;
    Ok(report.exit_code())
}

/// Progress on stderr: a bar on a terminal, one plain line per repository otherwise (the
/// summary goes to stdout).
struct Progress {
    total: std::sync::atomic::AtomicUsize,
    done: std::sync::atomic::AtomicUsize,
    terminal: bool,
    /// The terminal's bar, made when the first repository is done (the total is known then).
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    started: std::time::Instant,
    /// Nothing is shown before then ([`Progress::quiet_for`]).
    quiet_until: std::sync::OnceLock<std::time::Instant>,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            total: 0.into(),
            done: 0.into(),
            // A terminal without TERM (or `dumb`) cannot draw a bar: it gets the plain lines.
            terminal: std::io::stderr().is_terminal() && !console::is_dumb(),
            bar: std::sync::OnceLock::new(),
            started: std::time::Instant::now(),
            quiet_until: std::sync::OnceLock::new(),
        }
    }

    /// Prints `line` above the bar (or alone without one), so a redraw does not wipe it.
    fn say(&self, line: &str) {
        match self.bar.get() {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// The time left, said when the forge makes the run wait `wait`: see [`time_left`].
    fn time_left(&self, wait: std::time::Duration) -> String {
        use std::sync::atomic::Ordering;
        time_left(
            wait,
            self.started.elapsed(),
            self.done.load(Ordering::SeqCst),
            self.total.load(Ordering::SeqCst),
        )
    }

    fn show(&self, event: &Event<'_>) {
        use std::sync::atomic::Ordering;
        match event {
            Event::Planned { todo, finished } => {
                self.total.store(*todo, Ordering::SeqCst);
                if *finished > 0 {
                    eprintln!("{finished} repositories already finished (--resume)");
                }
            }
            Event::Started { .. } => {}
            Event::Finished { repo, report } => {
                let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
                let total = self.total.load(Ordering::SeqCst);
                let detail = report.detail.as_deref().unwrap_or("");
                self.step(n, total, report.outcome.name(), repo, detail);
            }
        }
    }

    /// Stays silent until `quiet` has passed (a fleet read in a second needs no progress).
    fn quiet_for(&self, quiet: std::time::Duration) {
        let _ = self.quiet_until.set(self.started + quiet);
    }

    /// The `n`-th of `total` repositories is done: one line, or on a terminal one line
    /// rewritten in place.
    fn step(&self, n: usize, total: usize, state: &str, repo: &str, detail: &str) {
        if self
            .quiet_until
            .get()
            .is_some_and(|t| std::time::Instant::now() < *t)
        {
            return;
        }
        // One line each, whatever the error's shape.
        let detail = detail.replace('\n', " ");
        let what = crate::redact::redact(&format!(
            "{state:<9} {repo}{}{detail}",
            if detail.is_empty() { "" } else { ": " },
        ));
        if self.terminal {
            // A bar, redrawn in place: the terminal keeps the table, not 500 lines.
            let bar = self.bar.get_or_init(|| {
                let bar = indicatif::ProgressBar::with_draw_target(
                    Some(total as u64),
                    indicatif::ProgressDrawTarget::stderr(),
                );
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{elapsed_precise} [{bar:30}] {pos}/{len} eta {eta} {wide_msg}",
                    )
                    .expect("a valid template")
                    .progress_chars("=> "),
                );
                bar
            });
            bar.set_length(total as u64);
            bar.set_position(n as u64);
            bar.set_message(what);
            if n == total {
                bar.finish();
            }
        } else if self.quiet_until.get().is_none() {
            // Off a terminal (CI logs) only the upgrade lists its repositories; a status is
            // its output alone.
            eprintln!("[{n}/{total}] {what}");
        }
    }
}

/// The table after a run: counts, then every repository that needs someone (their entries read
/// back one at a time: the run keeps them on disk).
fn summary(report: &Ledger, out: &mut dyn Write) -> Result<(), CommandError> {
    let read_back = |e: fleet::Error| CommandError::environment(e.to_string());
    let counts = report.counts();
    let count = |o: Outcome| counts.get(&o).copied().unwrap_or(0);
    let verb = if report.mode() == Mode::Plan {
        "would upgrade"
    } else {
        "upgraded"
    };
    emit(
        out,
        format_args!(
            "\n{verb:<15} {}\n{:<15} {}\n{:<15} {}\n{:<15} {}\n{:<15} {}\n",
            count(Outcome::Upgraded),
            "already current",
            count(Outcome::Current),
            "conflicts",
            count(Outcome::Conflicts),
            "skipped",
            count(Outcome::Skipped),
            "failed",
            count(Outcome::Failed),
        ),
    )?;
    let mut warned = report.entries(|e| e.has_warnings).peekable();
    if warned.peek().is_some() {
        emit(out, format_args!("\nPull request warnings:\n"))?;
        for read in warned {
            let (name, r) = read.map_err(read_back)?;
            for w in &r.pull_request_warnings {
                emit(out, format_args!("  {name}: {w}\n"))?;
            }
        }
    }
    for (title, outcome) in [
        ("Conflicts", Outcome::Conflicts),
        ("Skipped", Outcome::Skipped),
        ("Failed", Outcome::Failed),
    ] {
        if count(outcome) == 0 {
            continue;
        }
        emit(out, format_args!("\n{title}:\n"))?;
        for read in report.entries(|e| e.outcome == outcome) {
            let (name, r) = read.map_err(read_back)?;
            let why = match outcome {
                Outcome::Conflicts => r.conflicts().collect::<Vec<_>>().join(", "),
                _ => r.detail.clone().unwrap_or_default(),
            };
            emit(out, format_args!("  {name}: {why}\n"))?;
        }
    }
    Ok(())
}

/// `fleet status`: a report, not a gate, so 0 whatever the fleet's state; 2 on a usage error.
fn status(args: StatusArgs, out: &mut dyn Write) -> Result<i32, CommandError> {
    let format = match args.format.as_str() {
        "html" => None,
        name => Some(
            fleet::Format::parse(name)
                .ok_or_else(|| usage(format!("--format {name}: unknown format")))?,
        ),
    };
    if let Some(path) = &args.output {
        refuse_output(path)?;
    }
    let generated_at = now()?;
    let repos = fleet::read_repos(&args.repos, fleet::FolderScan::Repositories)
        .map_err(|e| usage(e.to_string()))?;
    let report = match &args.report {
        Some(path) => Some(Report::read(path).map_err(|e| usage(e.to_string()))?),
        None => None,
    };
    let options = fleet::StatusOptions {
        bundle: args.bundle.clone(),
        jobs: jobs(args.jobs),
        report,
        generated_at: fleet::rfc3339(generated_at),
    };
    let progress = Progress::new();
    progress.quiet_for(std::time::Duration::from_secs(1));
    let status = fleet::status(&repos, &options, &|n, total, repo| {
        let state = if repo.error.is_some() {
            "error"
        } else if repo.projects.is_empty() {
            "not adopted"
        } else {
            "read"
        };
        progress.step(
            n,
            total,
            state,
            &repo.repo,
            repo.error.as_deref().unwrap_or(""),
        );
    });
    let stored = match &args.history {
        Some(dir) => Some(
            fleet::status_history::store(dir, &status)
                .map_err(|e| CommandError::user(e.to_string()))?,
        ),
        None => None,
    };
    let rendered = match format {
        Some(format) => format.render(&status),
        None => {
            let history = match (&args.history, &stored) {
                (Some(dir), Some(written)) => {
                    // The snapshot just stored is `status`: not read back.
                    let loaded = fleet::status_history::load_with_stored(dir, written, &status)
                        .map_err(|e| CommandError::user(e.to_string()))?;
                    for skipped in &loaded.skipped {
                        eprintln!(
                            "warning: --history: skipped {}: {}",
                            skipped.path.display(),
                            skipped.why
                        );
                    }
                    loaded.snapshots
                }
                _ => Vec::new(),
            };
            fleet::status_html::render(&status, &history)
        }
    };
    // Redacted as everything printed is: a credential must not reach a file either.
    let text = crate::redact::redact(&rendered);
    match &args.output {
        Some(path) => write_output(path, &text)?,
        None => emit(out, format_args!("{text}"))?,
    }
    Ok(0)
}

fn jobs(asked: Option<u16>) -> usize {
    asked.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    })
}

/// Now, or `SOURCE_DATE_EPOCH` when set (the reproducible-builds convention): a page or snapshot
/// made in CI can be dated by the commit it describes, and tests date runs without waiting.
fn now() -> Result<u64, CommandError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse().map_err(|_| {
            usage(format!(
                "SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970"
            ))
        }),
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())),
    }
}

/// `--output` is refused before any work when it is a folder or a symlink: the report replaces
/// a file, never writes through a link to wherever it points.
fn refuse_output(path: &std::path::Path) -> Result<(), CommandError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(usage(format!(
            "--output {}: it is a symbolic link; goldpath never writes through one. Name the file itself",
            path.display()
        ))),
        Ok(m) if m.is_dir() => Err(usage(format!(
            "--output {}: it is a folder; name a file in it",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Writes `text` to `path` atomically (a temp file in its folder, renamed over it).
fn write_output(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    refuse_output(path)?;
    let file = crate::tree::File {
        bytes: text.as_bytes().to_vec(),
        executable: false,
    };
    crate::tree::write_file_atomic(path, &file)
        .map_err(|e| CommandError::environment(format!("--output: {e}")))
}

/// Reads each report entry by entry into one [`Ledger`] (the entries on disk), and prints the
/// merged report the same way: a merge of many shards holds none of them whole.
fn merge_reports(args: MergeArgs, out: &mut dyn Write) -> Result<i32, CommandError> {
    let mut merged: Option<Ledger> = None;
    for path in &args.reports {
        let report = Ledger::read(path).map_err(|e| usage(e.to_string()))?;
        match &mut merged {
            None => merged = Some(report),
            Some(merged) => merged
                .merge(report, &path.display().to_string())
                .map_err(|e| usage(e.to_string()))?,
        }
    }
    let merged = merged.ok_or_else(|| usage(fleet::Error::NothingToMerge.to_string()))?;
    for piece in merged.text() {
        let piece = piece.map_err(|e| CommandError::environment(e.to_string()))?;
        emit(out, format_args!("{piece}"))?;
    }
    Ok(merged.exit_code())
}

/// An estimate of the time a run has left when it is about to wait `wait`, `elapsed` into it,
/// with `done` of its `total` repositories finished: the wait, then the repositories not finished
/// at the pace of those that are (the waiting one included: the wait is a pause in its work).
/// Before any is finished there is no pace to go by, so only the wait is certain.
fn time_left(
    wait: std::time::Duration,
    elapsed: std::time::Duration,
    done: usize,
    total: usize,
) -> String {
    let left = total.saturating_sub(done);
    let pace = elapsed.checked_div(done as u32);
    match pace {
        Some(pace) if left > 0 => format!(
            "about {} left for the {left} of {total} repositories not finished",
            duration_words(wait + pace.saturating_mul(left as u32))
        ),
        _ => format!(
            "at least {} left for the {left} of {total} repositories not finished",
            duration_words(wait)
        ),
    }
}

/// `45 s`, `12 min`, `2 h 5 min`: rounded up, a reader plans by the upper bound.
fn duration_words(d: std::time::Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s.div_ceil(60)),
        s => {
            let minutes = s.div_ceil(60);
            format!("{} h {} min", minutes / 60, minutes % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{duration_words, time_left};
    use std::time::Duration;

    #[test]
    fn time_left_is_the_wait_then_the_rest_at_the_pace_so_far() {
        let s = Duration::from_secs;
        // 2 of 5 done in 10 s: 3 left at 5 s each, after a 600 s wait.
        assert_eq!(
            time_left(s(600), s(10), 2, 5),
            "about 11 min left for the 3 of 5 repositories not finished"
        );
        // Nothing finished yet: no pace, only the wait.
        assert_eq!(
            time_left(s(37), s(3), 0, 4),
            "at least 37 s left for the 4 of 4 repositories not finished"
        );
        assert_eq!(
            time_left(s(3600), s(7200), 1, 3),
            "about 5 h 0 min left for the 2 of 3 repositories not finished"
        );
    }

    #[test]
    fn durations_are_said_rounded_up() {
        let ms = Duration::from_millis;
        assert_eq!(duration_words(ms(0)), "0 s");
        assert_eq!(duration_words(ms(1500)), "2 s");
        assert_eq!(duration_words(ms(59_000)), "59 s");
        assert_eq!(duration_words(ms(60_001)), "2 min");
        assert_eq!(duration_words(ms(3_600_000)), "1 h 0 min");
        assert_eq!(duration_words(ms(3_660_001)), "1 h 2 min");
    }
}
