//! `goldpath check` (CI: is the project behind or drifted?) and `goldpath diff` (what differs
//! from a fresh render of the recorded version). Exit codes for check: 0 up to date and clean,
//! 1 a finding in --fail-on, 2 error.

use super::error::CommandError;
use super::output::{emit, emit_report, Progress};
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
}

fn parse_finding(s: &str) -> Result<Finding, String> {
    Finding::parse(s.trim()).ok_or_else(|| {
        format!("`{s}` is not one of: outdated, drift, conflict-markers, customised")
    })
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    let from = args.from.as_deref().map(SourceSpec::parse);
    let project = Project::open(&args.dir)?;
    let spec = project.current_source(from.as_ref());
    let fetching = matches!(spec, SourceSpec::Git(_))
        .then(|| Progress::start(format!("goldpath: fetching {spec}")));
    let source = check::open_source(&project, from.as_ref())?;
    drop(fetching);
    let report = check::check(&project, &source, from.as_ref())?;
    let text = match args.format {
        Format::Text => {
            emit_report(out, &check::text(&report, &args.fail_on))?;
            return Ok(if report.fails(&args.fail_on) { 1 } else { 0 });
        }
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
    /// Only what `check` calls drift (locked files changed, deleted or with another mode), so
    /// that `goldpath diff --locked | git apply -R` restores exactly those and nothing of yours
    #[arg(long, visible_alias = "drift")]
    locked: bool,
}

pub fn diff(args: DiffArgs, out: &mut dyn Write) -> Result<i32, CommandError> {
    let project = Project::open(&args.dir)?;
    // During an upgrade stopped on conflicts: the version it goes to, as `check` compares with.
    let spec = project.current_source(args.from.as_deref().map(SourceSpec::parse).as_ref());
    let scope = if args.locked {
        check::Scope::Locked
    } else {
        check::Scope::All
    };
    let source = super::output::open_source(&spec)?;
    let diff = check::diff(&project, &source, &args.paths, scope)?;
    let mut differs = false;
    for difference in diff.differences() {
        match difference? {
            Difference::UsesSecret { path } => eprintln!("goldpath diff: {path} uses a secret answer, which is not recorded, so its diff cannot be shown"),
            // The files' own bytes, secrets the template wrote included: `goldpath diff | git
            // apply -R` must restore them, so this output alone is not redacted.
            Difference::Symlink { path } => eprintln!("goldpath diff: {path} is locked and a symlink is in its place (or on the way to it); goldpath never follows it, so no patch can restore it: remove the link, then run `goldpath diff --locked` again"),
            Difference::Patch { patch, .. } => super::output::emit_patch(out, &patch)?,
        }
        differs = true;
    }
    Ok(if differs && args.exit_code { 1 } else { 0 })
}
