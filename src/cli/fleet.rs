//! `goldpath fleet plan|upgrade|status|merge-reports`: one golden-path release across many
//! repositories. Exit codes: 0 every repository upgraded, current or skipped; 1 any has
//! conflicts or failed; 2 a usage error.

use super::error::CommandError;
use super::output::emit;
use crate::fleet::{self, Event, Mode, Outcome, Report};
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
    /// Adoption: every repository's projects, bundle, version, and whether a newer one exists
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
    /// `table` (default) or `json`
    #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "json"])]
    format: String,
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
    let repos = fleet::read_repos(&args.repos).map_err(|e| usage(e.to_string()))?;
    let resume = match &args.resume {
        Some(path) => Some((
            path.clone(),
            Report::read(path).map_err(|e| usage(e.to_string()))?,
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
    let forges = options.pull_requests.as_ref().map(|settings| {
        // The governor's waits, on the waiting thread: the report already holds every branch
        // pushed (the fleet saves it before asking the forge). The pacing between requests is
        // too short to mention.
        let observer: forge::governor::Observer = Arc::new(|wait: &forge::Wait| {
            if wait.reason != forge::WaitReason::Pacing || wait.duration.as_secs() >= 5 {
                eprintln!("{}", crate::redact::redact(&wait.describe()));
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
    let progress = Progress::new();
    let report = fleet::run(repos, &options, forges.as_ref(), &|e| progress.show(&e)).map_err(
        |e| match e {
            fleet::Error::OtherCampaign { .. } => usage(e.to_string()),
            e => CommandError::environment(e.to_string()),
        },
    )?;
    summary(&report, out)?;
    Ok(report.exit_code())
}

/// Progress on stderr: one plain line per repository (the summary goes to stdout).
struct Progress {
    total: std::sync::atomic::AtomicUsize,
    done: std::sync::atomic::AtomicUsize,
    terminal: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            total: 0.into(),
            done: 0.into(),
            terminal: std::io::stderr().is_terminal(),
        }
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
                // One line each, whatever the error's shape.
                let detail = report.detail.as_deref().unwrap_or("").replace('\n', " ");
                let line = format!(
                    "[{n}/{total}] {:<9} {repo}{}{detail}",
                    report.outcome.name(),
                    if detail.is_empty() { "" } else { ": " },
                );
                let line = crate::redact::redact(&line);
                if self.terminal {
                    // One line, rewritten: the terminal keeps the table, not 500 lines.
                    eprint!("\r\x1b[2K{line}");
                    if n == total {
                        eprintln!();
                    }
                } else {
                    eprintln!("{line}");
                }
            }
        }
    }
}

/// The table after a run: counts, then every repository that needs someone.
fn summary(report: &Report, out: &mut dyn Write) -> Result<(), CommandError> {
    let counts = report.counts();
    let count = |o: Outcome| counts.get(&o).copied().unwrap_or(0);
    let verb = if report.mode == Mode::Plan {
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
    let warned: Vec<_> = report
        .repos
        .iter()
        .filter(|(_, r)| !r.pull_request_warnings.is_empty())
        .collect();
    if !warned.is_empty() {
        emit(out, format_args!("\nPull request warnings:\n"))?;
        for (name, r) in warned {
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
        let repos: Vec<_> = report
            .repos
            .iter()
            .filter(|(_, r)| r.outcome == outcome)
            .collect();
        if repos.is_empty() {
            continue;
        }
        emit(out, format_args!("\n{title}:\n"))?;
        for (name, r) in repos {
            let why = match outcome {
                Outcome::Conflicts => r.conflicts().collect::<Vec<_>>().join(", "),
                _ => r.detail.clone().unwrap_or_default(),
            };
            emit(out, format_args!("  {name}: {why}\n"))?;
        }
    }
    Ok(())
}

fn status(args: StatusArgs, out: &mut dyn Write) -> Result<i32, CommandError> {
    let repos = fleet::read_repos(&args.repos).map_err(|e| usage(e.to_string()))?;
    let rows = fleet::status(&repos, args.bundle.as_deref());
    if args.format == "json" {
        let json = serde_json::to_string_pretty(&rows).expect("a status serialises");
        emit(out, format_args!("{json}\n"))?;
    } else {
        emit(
            out,
            format_args!(
                "{:<40} {:<16} {:<10} {:<10} STATE\n",
                "REPOSITORY", "BUNDLE", "VERSION", "NEWEST"
            ),
        )?;
        for row in &rows {
            if let Some(e) = &row.error {
                emit(out, format_args!("{:<40} error: {e}\n", row.repo))?;
                continue;
            }
            if row.projects.is_empty() {
                emit(
                    out,
                    format_args!("{:<40} (no goldpath project)\n", row.repo),
                )?;
            }
            for p in &row.projects {
                let name = if p.path.is_empty() {
                    row.repo.clone()
                } else {
                    format!("{} ({})", row.repo, p.path)
                };
                let state = match (&p.upgrade_waiting, p.is_behind(), &p.newest) {
                    (Some(v), _, _) => format!("upgrade to {v} waiting on conflicts"),
                    (None, true, _) => "behind".into(),
                    (None, false, Some(_)) => "current".into(),
                    (None, false, None) => "unknown (source unreadable)".into(),
                };
                emit(
                    out,
                    format_args!(
                        "{name:<40} {:<16} {:<10} {:<10} {state}\n",
                        p.bundle,
                        p.version,
                        p.newest.as_deref().unwrap_or("?")
                    ),
                )?;
            }
        }
    }
    let problem = rows.iter().any(|r| r.error.is_some());
    Ok(i32::from(problem))
}

fn merge_reports(args: MergeArgs, out: &mut dyn Write) -> Result<i32, CommandError> {
    let mut reports = Vec::new();
    for path in &args.reports {
        reports.push((
            path.display().to_string(),
            Report::read(path).map_err(|e| usage(e.to_string()))?,
        ));
    }
    let merged = Report::merge(reports).map_err(|e| usage(e.to_string()))?;
    let json = serde_json::to_string_pretty(&merged).expect("a report serialises");
    emit(out, format_args!("{json}\n"))?;
    Ok(merged.exit_code())
}
