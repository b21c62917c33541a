//! `goldpath upgrade`: move a project to a newer version of its golden path.
//! Exit codes: 0 applied cleanly (or nothing to do), 1 conflicts left for the user, 2 error.

use super::error::CommandError;
use super::output::{emit, emit_report};
use super::prompt::TerminalPrompter;
use crate::answers::Prompter;
use crate::bundle::{Network, SourceSpec};
use crate::merge::ConflictStyle;
use crate::project::Project;
use crate::upgrade::{self, Action, Conflict, UpgradePlan};
use std::io::Write;
use std::path::PathBuf;

/// `--format`: the report for people, or for CI.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The project folder, or its .goldpath.toml (as Renovate names it); default: the current folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The version to upgrade to: 1.2.0, v1.2.0, 2.0.0-rc.1, or 1.2 for the newest 1.2.x (default: the newest that is not a prerelease)
    #[arg(long, value_name = "V")]
    to: Option<crate::bundle::WantedVersion>,
    /// Let the newest version (or the newest of --to 1.2) be a prerelease
    #[arg(long)]
    pre: bool,
    /// Use only the versions in goldpath's cache of a remote source; never fetch
    #[arg(long)]
    offline: bool,
    /// Read the bundle from this source instead of the recorded one
    #[arg(long, value_name = "SOURCE")]
    from: Option<String>,
    /// Answer a question (new in this version, or to change an answer); repeatable
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = super::new::parse_set)]
    set: Vec<(String, String)>,
    /// Answers from a TOML file (`name = value` lines, or another project's .goldpath.toml), as for `new`; --set wins over it
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// Take the default for questions new in this version instead of asking
    #[arg(long)]
    defaults: bool,
    /// Never prompt, even in a terminal
    #[arg(long)]
    no_input: bool,
    /// How conflicts are marked in files
    #[arg(long, value_name = "STYLE", default_value = "merge", value_parser = ["merge", "diff3", "zdiff3"])]
    conflict_style: String,
    /// Show what would change, and the conflicts, and touch nothing
    #[arg(long)]
    dry_run: bool,
    /// Write the upgrade but do not commit it
    #[arg(long)]
    no_commit: bool,
    /// Do not run the repository's pre-commit and commit-msg hooks on the upgrade's commit
    #[arg(long)]
    no_verify: bool,
    /// Upgrade even with uncommitted changes (they are merged like any local edit; the result is left uncommitted)
    #[arg(long)]
    allow_dirty: bool,
    /// Allow --to to name a version older than the recorded one
    #[arg(long)]
    allow_downgrade: bool,
    /// Run the bundle's migration hooks even though its source is not the built-in catalog
    #[arg(long)]
    trust: bool,
    /// After resolving conflicts by hand: check none remain, record the new version, commit
    #[arg(long = "continue", conflicts_with_all = ["abort", "to", "from", "set", "answers", "dry_run"])]
    continue_: bool,
    /// Undo an upgrade that stopped on conflicts: restore every file it touched
    #[arg(long, conflicts_with_all = ["to", "from", "set", "answers", "dry_run"])]
    abort: bool,
    /// Output format: text, or json (one document on stdout, see docs/upgrade-report.schema.json;
    /// never prompts, as with --no-input); with --continue and --abort too
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Why an upgrade that started on uncommitted changes (`--allow-dirty`) is not committed.
const NOT_COMMITTED_DIRTY: &str = " (not committed: it started with uncommitted changes; review them with `git status` and commit)";

pub fn run(mut args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    // A tool that finds projects by their answers file (Renovate's `{{packageFile}}`) names the
    // file; the project is its folder.
    if args
        .dir
        .file_name()
        .is_some_and(|n| n == crate::tree::ANSWERS_FILE)
        && args.dir.is_file()
    {
        args.dir = match args.dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
    }
    // The JSON report of `--continue` and `--abort` is about the upgrade that stopped: its
    // versions are read before they end it (or a recovery below changes the record).
    let stopped = (args.format == Format::Json && (args.continue_ || args.abort))
        .then(|| stopped_upgrade(&args.dir))
        .flatten();
    // A goldpath process cut off in the middle of an upgrade left its journal: put the project
    // where the user can work from before anything else (see upgrade::journal).
    if !args.dry_run {
        if let Some(code) = recover(&args, stopped.as_ref(), out)? {
            return Ok(code);
        }
    }
    if args.continue_ {
        return finish(&args, stopped.as_ref(), out);
    }
    if args.abort {
        upgrade::abort(&args.dir)?;
        return match &stopped {
            Some(project) => resumed_json(project, "aborted", None, out),
            None => say(&args, out, ABORTED),
        };
    }
    upgrade(&args, out)
}

/// The project as the upgrade that stopped on its conflicts left it: the answers file a cut-off
/// `--continue` or `--abort` kept in its journal (the project's may already be that step's),
/// else the project's own.
fn stopped_upgrade(dir: &std::path::Path) -> Option<Project> {
    if let Ok(Some(text)) = upgrade::stopped_answers(dir) {
        let shown = format!("{} (before the step cut off)", crate::tree::ANSWERS_FILE);
        if let Ok(record) = crate::answers::AnswersFile::parse(&text, &shown) {
            return Some(Project {
                dir: dir.to_path_buf(),
                record,
            });
        }
    }
    Project::open(dir).ok()
}

/// A line for people: on stdout, or on stderr with `--format json` (stdout holds only the
/// JSON document).
fn say(args: &Args, out: &mut dyn Write, line: &str) -> Result<i32, CommandError> {
    if args.format == Format::Json {
        eprintln!("{}", crate::redact::redact(line));
    } else {
        emit(out, format_args!("{line}\n"))?;
    }
    Ok(0)
}

const ABORTED: &str = "Upgrade aborted: every file it touched is back as it was at HEAD.";
const ALREADY_COMMITTED: &str = "Nothing to abort: the upgrade was committed before it was cut off. To undo it: `git revert HEAD`.";

/// Recovers from a goldpath process that was cut off; returns the exit code when that was
/// all the command asked for (`--continue` or `--abort` of what is now finished).
fn recover(
    args: &Args,
    stopped: Option<&Project>,
    out: &mut dyn Write,
) -> Result<Option<i32>, CommandError> {
    let asking = if args.continue_ {
        upgrade::Asking::Continue
    } else if args.abort {
        upgrade::Asking::Abort
    } else {
        upgrade::Asking::Upgrade
    };
    let Some(recovered) = upgrade::recover(&args.dir, asking)? else {
        return Ok(None);
    };
    say(args, out, &format!("Recovered: {}.", recovered.describe()))?;
    let nothing_left = Project::open(&args.dir)
        .map(|p| p.record.upgrade.is_none())
        .unwrap_or(false);
    // The commit the cut-off process made (or that recovery made for it).
    let committed = match &recovered {
        upgrade::Recovered::CommittedNow(id) => Some(Some(id.clone())),
        upgrade::Recovered::Committed => Some(crate::git::ProjectRepo::open(&args.dir)?.head_id()),
        _ => None,
    };
    let (status, commit, line) = if args.continue_ && nothing_left {
        match committed {
            Some(commit) => ("committed", commit, "Upgrade finished."),
            None => ("written", None, "Upgrade finished."),
        }
    } else if args.abort && committed.is_some() {
        // The cut-off process got as far as its commit: there is nothing left to abort,
        // and saying "aborted" would hide that HEAD moved.
        ("committed", committed.flatten(), ALREADY_COMMITTED)
    } else if args.abort && (recovered == upgrade::Recovered::Undone || nothing_left) {
        ("aborted", None, ABORTED)
    } else {
        return Ok(None);
    };
    match stopped {
        Some(project) => {
            eprintln!("{line}");
            resumed_json(project, status, commit, out).map(Some)
        }
        None => say(args, out, line).map(Some),
    }
}

/// `--continue`.
fn finish(
    args: &Args,
    stopped: Option<&Project>,
    out: &mut dyn Write,
) -> Result<i32, CommandError> {
    let applied = upgrade::finish(
        &args.dir,
        args.no_commit,
        super::new::verify(args.no_verify),
    )?;
    if let Some(project) = stopped {
        let status = if applied.commit.is_some() {
            "committed"
        } else {
            "written"
        };
        return resumed_json(project, status, applied.commit, out);
    }
    emit(
        out,
        format_args!(
            "Upgrade finished{}.\n",
            match &applied.commit {
                Some(c) => format!(": commit {}", &c[..12]),
                None if applied.started_dirty => NOT_COMMITTED_DIRTY.to_string(),
                None => String::new(),
            }
        ),
    )?;
    Ok(0)
}

fn options(args: &Args) -> Result<upgrade::Options, CommandError> {
    Ok(upgrade::Options {
        // Resolved against the source in `upgrade` (`--to 1.2`, `--pre`).
        to: None,
        from: args.from.as_deref().map(SourceSpec::parse),
        set: args.set.iter().cloned().collect(),
        answers: match &args.answers {
            Some(path) => super::new::read_answers_file(path)?,
            None => Default::default(),
        },
        defaults: args.defaults,
        style: args
            .conflict_style
            .parse::<ConflictStyle>()
            .map_err(|e| CommandError::user(e.to_string()))?,
        allow_dirty: args.allow_dirty,
        allow_downgrade: args.allow_downgrade,
        trust: args.trust,
        no_commit: args.no_commit,
        verify: super::new::verify(args.no_verify),
        dry_run: args.dry_run,
    })
}

/// The upgrade itself: the project and its source opened, the plan made, reported, applied.
fn upgrade(args: &Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    let options = options(args)?;
    let json = args.format == Format::Json;
    let mut terminal = if args.no_input || json {
        None
    } else {
        TerminalPrompter::if_interactive()
    };
    let prompter = terminal.as_mut().map(|p| p as &mut dyn Prompter);
    let project = Project::open(&args.dir)?;
    let network = if args.offline {
        Network::Offline
    } else {
        Network::Required
    };
    let source = super::output::open_source(&project.source(options.from.as_ref()), network)?;
    // The target is picked here, where the option that named it is known: `--to 1.2` is the
    // newest 1.2.x, and without `--to` or `--pre` a prerelease is never the target.
    let options = upgrade::Options {
        to: match (&args.to, args.pre) {
            (None, false) => None,
            (wanted, pre) => Some(
                source
                    .pick(&project.record.bundle.name, wanted.as_ref(), pre)
                    .map_err(|e| super::error::version_error(e, "--to"))?,
            ),
        },
        ..options
    };
    let plan = upgrade::prepare(&project, &source, &options, prompter)?;
    if json {
        return upgrade_json(args, &options, &plan, out);
    }
    for note in &plan.secret_notes {
        emit(out, format_args!("Note: {note}\n"))?;
    }
    // A `--set` that changes a recorded answer is not a no-op (the answers file changes) even
    // when no file does; one that sets an answer to its recorded value is.
    if plan.is_noop() {
        emit(
            out,
            format_args!(
                "Up to date: {} {} is the newest version in {}.\n",
                plan.name, plan.from_version, plan.source
            ),
        )?;
        return Ok(0);
    }
    report(&plan, out)?;
    if args.dry_run {
        let n = plan.conflicts().count();
        emit(
            out,
            format_args!(
                "\nDry run: nothing was written.{}\n",
                if n > 0 {
                    format!(" {n} file(s) would be left in conflict.")
                } else {
                    String::new()
                }
            ),
        )?;
        return Ok(if n > 0 { 1 } else { 0 });
    }
    let applied = upgrade::apply(&plan, &options)?;
    report_applied(&plan, &applied, out)
}

/// What an applied upgrade did: committed, written, or stopped on conflicts (exit 1).
fn report_applied(
    plan: &UpgradePlan,
    applied: &upgrade::Applied,
    out: &mut dyn Write,
) -> Result<i32, CommandError> {
    if !applied.conflicts.is_empty() {
        emit(
            out,
            format_args!(
                "\n{} file(s) left in conflict. Resolve them (markers are in the files; `git status` lists them), then run `goldpath upgrade --continue`; or `goldpath upgrade --abort` to undo.\n",
                applied.conflicts.len()
            ),
        )?;
        return Ok(1);
    }
    let how = match &applied.commit {
        Some(c) => format!(": commit {}.", &c[..12]),
        None if applied.started_dirty => format!("{NOT_COMMITTED_DIRTY}."),
        None => " (not committed).".to_string(),
    };
    emit(
        out,
        format_args!("\nUpgraded to {} {}{how}\n", plan.name, plan.to_version),
    )?;
    Ok(0)
}

/// The project's folder name (`.` says nothing when run inside it).
pub(super) fn project_name(dir: &std::path::Path) -> String {
    let abs = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

fn report(plan: &UpgradePlan, out: &mut dyn Write) -> Result<(), CommandError> {
    emit(
        out,
        format_args!(
            "Upgrading {}: {} {} -> {} ({})\n",
            project_name(&plan.project_dir),
            plan.name,
            plan.from_version,
            plan.to_version,
            plan.source
        ),
    )?;
    if !plan.migrations.is_empty() {
        emit(out, format_args!("Migrations:\n"))?;
        for m in &plan.migrations {
            emit(out, format_args!("  {m}\n"))?;
        }
    }
    for (from, to) in &plan.detected_renames {
        emit(
            out,
            format_args!("Rename detected by content: {from} -> {to}\n"),
        )?;
    }
    if !plan.new_questions.is_empty() {
        emit(
            out,
            format_args!("New answers: {}\n", joined(&plan.new_questions)),
        )?;
    }
    if !plan.dropped_answers.is_empty() {
        emit(
            out,
            format_args!(
                "Answers no longer asked (dropped): {}\n",
                plan.dropped_answers.join(", ")
            ),
        )?;
    }
    report_files(plan, out)
}

/// The plan's files, one line each: a mark, the path, what happens to it. `adopt` lists its
/// plan the same way.
pub(super) fn report_files(plan: &UpgradePlan, out: &mut dyn Write) -> Result<(), CommandError> {
    emit(out, format_args!("Files:\n"))?;
    for c in &plan.changes {
        let (mark, what) = match &c.action {
            Action::Create(_) => ("A", "new in the template".to_string()),
            Action::Update(_) => ("U", "updated from the template".to_string()),
            Action::Merged(_) => ("M", "merged; your changes kept".to_string()),
            Action::Delete => (
                "D",
                "removed by the template (you had not changed it)".to_string(),
            ),
            Action::KeptLocal => ("=", "your changes kept (template unchanged)".to_string()),
            Action::KeptDeleted => ("=", "stays deleted (you deleted it)".to_string()),
            Action::KeptSeed => (
                "=",
                "seed file: the template changed it, yours is left as it is".to_string(),
            ),
            Action::LeftAlone(why) => ("=", why.describe().to_string()),
            Action::Conflict(Conflict { kind, regions, .. }) if kind.has_markers() => (
                "C",
                format!(
                    "CONFLICT: {} ({regions} region{})",
                    kind.describe(),
                    if *regions == 1 { "" } else { "s" }
                ),
            ),
            Action::Conflict(c) => ("C", format!("CONFLICT: {}", c.kind.describe())),
        };
        let path = match &c.moved_from {
            Some(from) => format!("{from} -> {}", c.path),
            None => c.path.to_string(),
        };
        emit_report(out, &format!("  {mark} {path}  {what}\n"))?;
    }
    Ok(())
}

/// `a, b`: items of the plan on one line.
fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--format json`: the plan applied (or not, with `--dry-run`) and one JSON document printed,
/// with the exit code the text report has.
fn upgrade_json(
    args: &Args,
    options: &upgrade::Options,
    plan: &UpgradePlan,
    out: &mut dyn Write,
) -> Result<i32, CommandError> {
    let (status, applied) = if plan.is_noop() {
        ("up-to-date", None)
    } else if args.dry_run {
        ("dry-run", None)
    } else {
        let applied = upgrade::apply(plan, options)?;
        let status = if !applied.conflicts.is_empty() {
            "conflicts"
        } else if applied.commit.is_some() {
            "committed"
        } else {
            "written"
        };
        (status, Some(applied))
    };
    let report = json_report(plan, status, applied.as_ref());
    let code = i32::from(
        status == "conflicts" || (status == "dry-run" && plan.conflicts().next().is_some()),
    );
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| CommandError::internal(format!("the upgrade report: {e}")))?;
    emit(out, format_args!("{text}\n"))?;
    Ok(code)
}

/// The upgrade report (docs/upgrade-report.schema.json). Answers are named, never shown: a
/// new answer may be a secret.
fn json_report(
    plan: &UpgradePlan,
    status: &str,
    applied: Option<&upgrade::Applied>,
) -> serde_json::Value {
    let noop = status == "up-to-date";
    let files: Vec<serde_json::Value> = if noop {
        Vec::new()
    } else {
        plan.changes.iter().map(json_change).collect()
    };
    let conflicts: Vec<String> = match applied {
        Some(applied) => applied.conflicts.clone(),
        None if noop => Vec::new(),
        None => plan
            .conflicts()
            .map(|(path, _, _)| path.to_string())
            .collect(),
    };
    serde_json::json!({
        "schema": "https://goldpath.dev/schemas/upgrade-report/v1",
        "project": project_name(&plan.project_dir),
        "bundle": plan.name,
        "from": plan.from_version.to_string(),
        "to": plan.to_version.to_string(),
        "source": plan.source.to_string(),
        "bundle_commit": plan.commit,
        "status": status,
        "commit": applied.and_then(|a| a.commit.clone()),
        "files": files,
        "conflicts": conflicts,
        "migrations": plan.migrations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "renames_detected": plan.detected_renames.iter()
            .map(|(from, to)| serde_json::json!({ "from": from.as_str(), "to": to.as_str() }))
            .collect::<Vec<_>>(),
        "new_answers": plan.new_questions.iter().map(|q| q.name.clone()).collect::<Vec<_>>(),
        "dropped_answers": plan.dropped_answers,
        "notes": plan.secret_notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// The report of `--continue` or `--abort` (`status`), in the shape of the upgrade's own
/// (docs/upgrade-report.schema.json), for the upgrade `stopped` (the project as it was before
/// the command ended it) recorded. The upgrade that stopped listed the files, and none is left
/// in conflict, so both lists are empty, as are the plan's migrations, renames, answers and notes.
fn resumed_json(
    stopped: &Project,
    status: &str,
    commit: Option<String>,
    out: &mut dyn Write,
) -> Result<i32, CommandError> {
    let recorded = &stopped.record.bundle;
    // A record without an upgrade in progress: a cut-off upgrade that recovery finished or undid.
    let (to, source, bundle_commit) = match &stopped.record.upgrade {
        Some(p) => (&p.version, &p.source, &p.commit),
        None => (&recorded.version, &recorded.source, &recorded.commit),
    };
    let report = serde_json::json!({
        "schema": "https://goldpath.dev/schemas/upgrade-report/v1",
        "project": project_name(&stopped.dir),
        "bundle": recorded.name,
        "from": recorded.version.to_string(),
        "to": to.to_string(),
        "source": crate::bundle::SourceSpec::parse(source).to_string(),
        "bundle_commit": bundle_commit,
        "status": status,
        "commit": commit,
        "files": [],
        "conflicts": [],
        "migrations": [],
        "renames_detected": [],
        "new_answers": [],
        "dropped_answers": [],
        "notes": [],
    });
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| CommandError::internal(format!("the upgrade report: {e}")))?;
    emit(out, format_args!("{text}\n"))?;
    Ok(0)
}

/// One file of the plan: what happens to it, in a word and in the text report's words.
fn json_change(c: &upgrade::Change) -> serde_json::Value {
    let (change, conflict) = match &c.action {
        Action::Create(_) => ("added", None),
        Action::Update(_) => ("updated", None),
        Action::Merged(_) => ("merged", None),
        Action::Delete => ("deleted", None),
        Action::KeptLocal => ("kept-local", None),
        Action::KeptDeleted => ("kept-deleted", None),
        Action::KeptSeed => ("kept-seed", None),
        Action::LeftAlone(_) => ("left-alone", None),
        Action::Conflict(conflict) => ("conflict", Some(conflict)),
    };
    serde_json::json!({
        "path": c.path.as_str(),
        "moved_from": c.moved_from.as_ref().map(|p| p.as_str()),
        "change": change,
        "conflict": conflict.map(|k| serde_json::json!({
            "kind": k.kind.describe(),
            "regions": k.regions,
            "markers": k.kind.has_markers(),
        })),
    })
}
