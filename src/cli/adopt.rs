//! `goldpath adopt BUNDLE [DIR]`: an existing repository joins a golden path, merged as an
//! upgrade from nothing (see `upgrade::adopt`). Exit codes as `upgrade`: 0 adopted (or
//! `--dry-run`), 1 conflicts left for the user, 2 error.

use super::error::CommandError;
use super::output::{emit, emit_report};
use crate::bundle::Policy;
use crate::merge::ConflictStyle;
use crate::upgrade::{self, Adoption, Standing, TemplateFile};
use std::io::Write;
use std::path::PathBuf;

/// `--format` of `--dry-run`: the report for people, or for scripts.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The bundle to adopt (see `goldpath list`)
    bundle: String,
    /// The project folder: a git repository, or a folder inside one (a monorepo); default: the current folder
    #[arg(default_value = ".")]
    dir: PathBuf,
    #[command(flatten)]
    choice: super::new::BundleChoice,
    #[command(flatten)]
    answering: super::new::Answering,
    /// How conflicts are marked in files
    #[arg(long, value_name = "STYLE", default_value = "merge", value_parser = ["merge", "diff3", "zdiff3"])]
    conflict_style: String,
    /// Show how far the repository is from the golden path (identical, differing and missing files, and the repository's own), and touch nothing
    #[arg(long)]
    dry_run: bool,
    /// Write the adoption but do not commit it
    #[arg(long)]
    no_commit: bool,
    /// Do not run the repository's pre-commit and commit-msg hooks on the adoption's commit
    #[arg(long)]
    no_verify: bool,
    /// Adopt even with uncommitted changes (they are merged like any other file; the result is left uncommitted)
    #[arg(long)]
    allow_dirty: bool,
    /// Output format of --dry-run: text, or json (one document on stdout; never prompts, as with --no-input)
    #[arg(long, value_enum, default_value = "text", requires = "dry_run")]
    format: Format,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    // An adoption cut off half-way left the upgrade journal (it is written as an upgrade is):
    // put the project where the user can work from first, as `upgrade` does.
    if !args.dry_run {
        if let Some(recovered) = upgrade::recover(&args.dir, upgrade::Asking::Upgrade)? {
            emit(out, format_args!("Recovered: {}.\n", recovered.describe()))?;
        }
    }
    let options = upgrade::Options {
        style: args
            .conflict_style
            .parse::<ConflictStyle>()
            .map_err(|e| CommandError::user(e.to_string()))?,
        allow_dirty: args.allow_dirty,
        no_commit: args.no_commit,
        verify: super::new::verify(args.no_verify),
        dry_run: args.dry_run,
        ..Default::default()
    };
    // Before any question: nobody should answer them to be told the project is already on a
    // golden path, or dirty.
    upgrade::ready_to_adopt(&args.dir, &options).map_err(refused)?;
    let bundle = args.choice.load(&args.bundle)?;
    let json = args.format == Format::Json;
    let resolved = args.answering.resolve(&bundle, json)?;
    let adoption =
        upgrade::adopt(&args.dir, bundle, resolved.answers, &options).map_err(refused)?;
    if args.dry_run {
        return if json {
            emit(out, format_args!("{:#}\n", distance_json(&adoption)))?;
            Ok(0)
        } else {
            distance(&adoption, out)
        };
    }
    report(&adoption, out)?;
    let applied = upgrade::apply(&adoption.plan, &options)?;
    report_applied(&adoption, &applied, out)
}

/// An upgrade error, with what to do instead when the project is already on a golden path.
fn refused(e: upgrade::Error) -> CommandError {
    match e {
        e @ upgrade::Error::Adopted { .. } => CommandError::user(e.to_string()).hint(
            "move it to another version with `goldpath upgrade` (`goldpath check` shows how far it is from its golden path)",
        ),
        e => e.into(),
    }
}

/// `--dry-run`: how far the repository is from the golden path, file by file.
fn distance(adoption: &Adoption, out: &mut dyn Write) -> Result<i32, CommandError> {
    let plan = &adoption.plan;
    emit(
        out,
        format_args!(
            "{} against {} {} ({}):\n",
            super::upgrade::project_name(&plan.project_dir),
            plan.name,
            plan.to_version,
            plan.source
        ),
    )?;
    for f in &adoption.files {
        let stat = match f.standing {
            Standing::Differs {
                lines: Some((added, removed)),
            } => format!("  +{added} -{removed}"),
            Standing::Differs { lines: None } => "  binary".to_string(),
            _ => String::new(),
        };
        emit_report(
            out,
            &format!("  {:<9}  {}{stat}{}\n", f.standing.name(), f.path, note(f)),
        )?;
    }
    let count = |s: fn(&Standing) -> bool| adoption.files.iter().filter(|f| s(&f.standing)).count();
    emit(
        out,
        format_args!(
            "Template files: {} identical, {} differ, {} missing (of {}).\n",
            count(|s| *s == Standing::Identical),
            count(|s| matches!(s, Standing::Differs { .. })),
            count(|s| *s == Standing::Missing),
            adoption.files.len()
        ),
    )?;
    emit(
        out,
        format_args!(
            "Not in the bundle: {} file(s) of the repository (adopting leaves them as they are){}\n",
            adoption.not_in_bundle.len(),
            if adoption.not_in_bundle.is_empty() {
                "."
            } else {
                ":"
            }
        ),
    )?;
    for path in &adoption.not_in_bundle {
        emit_report(out, &format!("  {path}\n"))?;
    }
    let conflicts = plan.conflicts().count();
    emit(
        out,
        format_args!(
            "\nDry run: nothing was written.{}\n",
            if conflicts > 0 {
                format!(" Adopting would leave {conflicts} file(s) in conflict.")
            } else {
                String::new()
            }
        ),
    )?;
    Ok(0)
}

/// What adopting does with a file beyond its content: the policy and git's view of it.
fn note(f: &TemplateFile) -> &'static str {
    match (f.standing, f.policy, f.untracked) {
        (Standing::Missing | Standing::Identical, _, _) => "",
        (_, _, true) => "  (yours is not tracked by git: kept, the template's waits)",
        (_, Policy::Locked, _) => "  (locked: drift to resolve)",
        (_, Policy::Seed, _) => "  (seed: yours is kept)",
        (_, Policy::Merge, _) => "",
    }
}

/// `--dry-run --format json`: the same as one JSON document.
fn distance_json(adoption: &Adoption) -> serde_json::Value {
    let plan = &adoption.plan;
    let files: Vec<serde_json::Value> = adoption
        .files
        .iter()
        .map(|f| {
            let (added, removed) = match f.standing {
                Standing::Differs {
                    lines: Some((a, r)),
                } => (Some(a), Some(r)),
                _ => (None, None),
            };
            serde_json::json!({
                "path": f.path.as_str(),
                "standing": f.standing.name(),
                "added": added,
                "removed": removed,
                "policy": f.policy.name(),
                "untracked": f.untracked,
            })
        })
        .collect();
    let count = |name: &str| {
        adoption
            .files
            .iter()
            .filter(|f| f.standing.name() == name)
            .count()
    };
    serde_json::json!({
        "project": super::upgrade::project_name(&plan.project_dir),
        "bundle": plan.name,
        "version": plan.to_version.to_string(),
        "source": plan.source.to_string(),
        "bundle_commit": plan.commit,
        "identical": count("identical"),
        "differs": count("differs"),
        "missing": count("missing"),
        "files": files,
        "not_in_bundle": adoption.not_in_bundle,
        "conflicts": plan.conflicts().map(|(p, _, _)| p.as_str()).collect::<Vec<_>>(),
    })
}

/// The adoption about to be written: its files as `upgrade` lists them, the files adopted as
/// they are, and the locked files that differ.
fn report(adoption: &Adoption, out: &mut dyn Write) -> Result<(), CommandError> {
    let plan = &adoption.plan;
    emit(
        out,
        format_args!(
            "Adopting {}: {} {} ({})\n",
            super::upgrade::project_name(&plan.project_dir),
            plan.name,
            plan.to_version,
            plan.source
        ),
    )?;
    super::upgrade::report_files(plan, out)?;
    for path in plan.adopting.iter().flatten() {
        emit_report(
            out,
            &format!("  = {path}  adopted as it is (the same as the template's)\n"),
        )?;
    }
    let drift: Vec<&str> = adoption.locked_drift().map(|f| f.path.as_str()).collect();
    if !drift.is_empty() {
        emit(
            out,
            format_args!(
                "Locked files that differ from the template (drift to resolve; `goldpath check` reports them until they match): {}\n",
                drift.join(", ")
            ),
        )?;
    }
    Ok(())
}

/// What the written adoption did: committed, written, or stopped on conflicts (exit 1).
fn report_applied(
    adoption: &Adoption,
    applied: &upgrade::Applied,
    out: &mut dyn Write,
) -> Result<i32, CommandError> {
    let plan = &adoption.plan;
    if !applied.conflicts.is_empty() {
        emit(
            out,
            format_args!(
                "\n{} file(s) left in conflict. Resolve them (markers are in the files; `git status` lists them), then run `goldpath upgrade --continue`; or `goldpath upgrade --abort` to undo the adoption.\n",
                applied.conflicts.len()
            ),
        )?;
        return Ok(1);
    }
    let how = match &applied.commit {
        Some(c) => format!(": commit {}.", &c[..12]),
        None if applied.started_dirty => " (not committed: it started with uncommitted changes; review them with `git status` and commit).".to_string(),
        None => " (not committed).".to_string(),
    };
    emit(
        out,
        format_args!("\nAdopted {} {}{how}\n", plan.name, plan.to_version),
    )?;
    Ok(0)
}
