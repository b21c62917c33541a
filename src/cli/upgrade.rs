//! `goldpath upgrade`: move a project to a newer version of its golden path.
//! Exit codes: 0 applied cleanly (or nothing to do), 1 conflicts left for the user, 2 error.

use super::error::CommandError;
use super::output::emit;
use super::prompt::TerminalPrompter;
use crate::answers::Prompter;
use crate::bundle::SourceSpec;
use crate::merge::ConflictStyle;
use crate::project::Project;
use crate::upgrade::{self, Action, Conflict, UpgradePlan};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The project folder (default: the current folder)
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The version to upgrade to (default: the newest)
    #[arg(long, value_name = "V")]
    to: Option<semver::Version>,
    /// Read the bundle from this source instead of the recorded one
    #[arg(long, value_name = "SOURCE")]
    from: Option<String>,
    /// Answer a question (new in this version, or to change an answer); repeatable
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = super::new::parse_set)]
    set: Vec<(String, String)>,
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
    #[arg(long = "continue", conflicts_with_all = ["abort", "to", "from", "set", "dry_run"])]
    continue_: bool,
    /// Undo an upgrade that stopped on conflicts: restore every file it touched
    #[arg(long, conflicts_with_all = ["to", "from", "set", "dry_run"])]
    abort: bool,
}

/// Why an upgrade that started on uncommitted changes (`--allow-dirty`) is not committed.
const NOT_COMMITTED_DIRTY: &str = " (not committed: it started with uncommitted changes; review them with `git status` and commit)";

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    // A goldpath process cut off in the middle of an upgrade left its journal: put the project
    // where the user can work from before anything else (see upgrade::journal).
    if !args.dry_run {
        if let Some(code) = recover(&args, out)? {
            return Ok(code);
        }
    }
    if args.continue_ {
        return finish(&args, out);
    }
    if args.abort {
        upgrade::abort(&args.dir)?;
        emit(out, format_args!("{ABORTED}\n"))?;
        return Ok(0);
    }
    upgrade(&args, out)
}

const ABORTED: &str = "Upgrade aborted: every file it touched is back as it was at HEAD.";
const ALREADY_COMMITTED: &str = "Nothing to abort: the upgrade was committed before it was cut off. To undo it: `git revert HEAD`.";

/// Recovers from a goldpath process that was cut off; returns the exit code when that was
/// all the command asked for (`--continue` or `--abort` of what is now finished).
fn recover(args: &Args, out: &mut dyn Write) -> Result<Option<i32>, CommandError> {
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
    emit(out, format_args!("Recovered: {}.\n", recovered.describe()))?;
    let nothing_left = Project::open(&args.dir)
        .map(|p| p.record.upgrade.is_none())
        .unwrap_or(false);
    if args.continue_ && nothing_left {
        emit(out, format_args!("Upgrade finished.\n"))?;
        return Ok(Some(0));
    }
    if args.abort {
        let committed = matches!(
            recovered,
            upgrade::Recovered::Committed | upgrade::Recovered::CommittedNow(_)
        );
        if committed {
            // The cut-off process got as far as its commit: there is nothing left to abort,
            // and saying "aborted" would hide that HEAD moved.
            emit(out, format_args!("{ALREADY_COMMITTED}\n"))?;
            return Ok(Some(0));
        }
        if recovered == upgrade::Recovered::Undone || nothing_left {
            emit(out, format_args!("{ABORTED}\n"))?;
            return Ok(Some(0));
        }
    }
    Ok(None)
}

/// `--continue`.
fn finish(args: &Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    let applied = upgrade::finish(
        &args.dir,
        args.no_commit,
        super::new::verify(args.no_verify),
    )?;
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
        to: args.to.clone(),
        from: args.from.as_deref().map(SourceSpec::parse),
        set: args.set.iter().cloned().collect(),
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
    let mut terminal = if args.no_input {
        None
    } else {
        TerminalPrompter::if_interactive()
    };
    let prompter = terminal.as_mut().map(|p| p as &mut dyn Prompter);
    let project = Project::open(&args.dir)?;
    let source = project.source(options.from.as_ref()).open()?;
    let plan = upgrade::prepare(&project, &source, &options, prompter)?;
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
fn project_name(dir: &std::path::Path) -> String {
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
        emit(out, format_args!("  {mark} {path}  {what}\n"))?;
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
