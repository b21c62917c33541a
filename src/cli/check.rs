//! `goldpath check` (CI: is the project behind or drifted?) and `goldpath diff` (what differs
//! from a fresh render of the recorded version). Exit codes for check: 0 up to date and clean,
//! 1 a finding in --fail-on, 2 error.

use super::error::CommandError;
use super::output::emit;
use crate::bundle::SourceSpec;
use crate::check::{self, Difference, Finding};
use crate::project::Project;
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Github,
    Junit,
}

#[derive(clap::Args)]
pub struct Args {
    /// The project folder (default: the current folder)
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Findings that fail the check, comma-separated: outdated, drift, conflict-markers, customised
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_finding, default_value = "outdated,drift,conflict-markers")]
    fail_on: Vec<Finding>,
    /// Read versions and templates from this source instead of the recorded one
    #[arg(long, value_name = "SOURCE")]
    from: Option<String>,
    /// Check what is about to be committed (the index), not the work tree: every goldpath
    /// project under DIR (or the one DIR is in) that the staged changes touch, and no other.
    /// The pre-commit hook runs this
    #[arg(long)]
    staged: bool,
}

fn parse_finding(s: &str) -> Result<Finding, String> {
    Finding::parse(s.trim()).ok_or_else(|| {
        format!("`{s}` is not one of: outdated, drift, conflict-markers, customised")
    })
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    if args.staged {
        return run_staged(args, out);
    }
    let project = Project::open(&args.dir)?;
    check_one(&args, &project, out)
}

/// `check --staged`: each project the staged changes touch, as the index has it; exit 1 if
/// any fails.
fn run_staged(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    let projects = crate::git::staged_projects(&args.dir)?;
    if projects.is_empty() {
        if matches!(args.format, Format::Text) {
            emit(
                out,
                format_args!("No goldpath project is touched by the staged changes.\n"),
            )?;
        }
        return Ok(0);
    }
    let mut code = 0;
    for dir in &projects {
        let project = Project::open_staged(dir)?;
        if projects.len() > 1 && matches!(args.format, Format::Text) {
            emit(out, format_args!("{} (staged):\n", dir.display()))?;
        }
        code = code.max(check_one(&args, &project, out)?);
    }
    Ok(code)
}

/// Checks `project` and prints its report; 1 when it fails.
fn check_one(args: &Args, project: &Project, out: &mut dyn Write) -> Result<i32, CommandError> {
    let from = args.from.as_deref().map(SourceSpec::parse);
    let source = check::open_source(project, from.as_ref())?;
    let report = check::check(project, &source, from.as_ref())?;
    let text = match args.format {
        Format::Text => check::text(&report, &args.fail_on),
        Format::Json => check::json(&report, &args.fail_on),
        Format::Github => check::github(&report, &args.fail_on),
        Format::Junit => check::junit(&report, &args.fail_on),
    };
    emit(out, format_args!("{text}"))?;
    Ok(if report.fails(&args.fail_on) { 1 } else { 0 })
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// Only these paths (relative to the project)
    paths: Vec<String>,
    /// The project folder
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Read the templates from this source instead of the recorded one
    #[arg(long, value_name = "SOURCE")]
    from: Option<String>,
    /// Exit 1 when there are differences, like `git diff --exit-code`
    #[arg(long)]
    exit_code: bool,
}

pub fn diff(args: DiffArgs, out: &mut dyn Write) -> Result<i32, CommandError> {
    let project = Project::open(&args.dir)?;
    // During an upgrade stopped on conflicts: the version it goes to, as `check` compares with.
    let spec = project.current_source(args.from.as_deref().map(SourceSpec::parse).as_ref());
    let diff = check::diff(&project, &spec.open()?, &args.paths)?;
    let mut differs = false;
    for difference in diff.differences() {
        match difference? {
            Difference::UsesSecret { path } => eprintln!("goldpath diff: {path} uses a secret answer, which is not recorded, so its diff cannot be shown"),
            // The files' own bytes, secrets the template wrote included: `goldpath diff | git
            // apply -R` must restore them, so this output alone is not redacted.
            Difference::Patch { patch, .. } => out
                .write_all(patch.as_bytes())
                .map_err(CommandError::from_io)?,
        }
        differs = true;
    }
    Ok(if differs && args.exit_code { 1 } else { 0 })
}
