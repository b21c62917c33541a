//! `goldpath check` (CI: is the project behind or drifted?) and `goldpath diff` (what differs
//! from a fresh render of the recorded version). Exit codes for check: 0 up to date and clean,
//! 1 a finding in --fail-on, 2 error.

use super::error::CommandError;
use super::output::{emit, emit_report, Progress};
use crate::bundle::{Network, SourceSpec};
use crate::check::{self, Difference, Finding, Supplied};
use crate::project::Project;
use crate::upgrade::{CurrentFiles, WorkTree};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// Findings that fail the check, comma-separated: outdated, drift, conflict-markers, customised, unreachable
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_finding, default_value = "outdated,drift,conflict-markers")]
    fail_on: Vec<Finding>,
    /// Read versions and templates from this source instead of the recorded one
    #[arg(long, value_name = "SOURCE")]
    from: Option<String>,
    /// Give a secret answer (never recorded) so the files that use it are checked; repeatable. Also read from GOLDPATH_ANSWER_<NAME>
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = super::new::parse_set)]
    set: Vec<(String, String)>,
    /// Do not ask a remote source for newer versions; read the recorded version from goldpath's cache
    #[arg(long)]
    offline: bool,
    /// Check what is about to be committed (the index), not the work tree: every goldpath
    /// project under DIR (or the one DIR is in) that the staged changes touch, and no other.
    /// The pre-commit hook runs this
    #[arg(long)]
    staged: bool,
}

fn parse_finding(s: &str) -> Result<Finding, String> {
    Finding::parse(s.trim()).ok_or_else(|| {
        format!("`{s}` is not one of: outdated, drift, conflict-markers, customised, unreachable")
    })
}

/// The answers given to check or diff: `--set`, then `GOLDPATH_ANSWER_<NAME>` variables.
fn supplied(set: &[(String, String)]) -> Supplied {
    Supplied {
        set: set.iter().cloned().collect(),
        env: std::env::vars_os()
            .filter_map(|(k, v)| {
                let name = k.to_str()?.strip_prefix(check::ENV_PREFIX)?.to_string();
                Some((name, v.into_string().ok()?))
            })
            .collect(),
    }
}

/// A remote source that cannot be reached is read from goldpath's cache (the recorded version
/// is pinned by its commit there); `--offline` never asks it.
fn network(offline: bool) -> Network {
    if offline {
        Network::Offline
    } else {
        Network::Fallback
    }
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    if args.staged {
        return run_staged(args, out);
    }
    let project = Project::open(&args.dir)?;
    let files = WorkTree::without_index(&args.dir);
    check_one(&args, &project, &files, out)
}

/// `check --staged`: each project the staged changes touch, as the index has it; exit 1 if
/// any fails. JSON and JUnit are one document for them all, which a consumer can parse.
fn run_staged(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    let projects = crate::git::staged_projects(&args.dir)?;
    if projects.is_empty() && matches!(args.format, Format::Text) {
        emit(
            out,
            format_args!("No goldpath project is touched by the staged changes.\n"),
        )?;
        return Ok(0);
    }
    let mut code = 0;
    let mut reports = Vec::new();
    for dir in &projects {
        let (project, files) = Project::open_staged(dir)?;
        let report = check_report(&args, &project, &files)?;
        code = code.max(if report.fails(&args.fail_on) { 1 } else { 0 });
        let folder = crate::git::ProjectRepo::open(dir)?.folder().to_string();
        match args.format {
            Format::Json | Format::Junit => reports.push((folder, report)),
            Format::Github => emit(
                out,
                format_args!("{}", check::github_in(&report, &args.fail_on, &folder)),
            )?,
            Format::Text => {
                if projects.len() > 1 {
                    emit(out, format_args!("{folder} (staged):\n"))?;
                }
                print_report(&args, &report, out)?;
            }
        }
    }
    let document = match args.format {
        Format::Json => check::json_staged(&reports, &args.fail_on),
        Format::Junit => check::junit_staged(&reports, &args.fail_on),
        Format::Text | Format::Github => return Ok(code),
    };
    emit(out, format_args!("{document}"))?;
    Ok(code)
}

/// Checks `project` and prints its report; 1 when it fails.
fn check_one(
    args: &Args,
    project: &Project,
    files: &dyn CurrentFiles,
    out: &mut dyn Write,
) -> Result<i32, CommandError> {
    let report = check_report(args, project, files)?;
    print_report(args, &report, out)?;
    Ok(if report.fails(&args.fail_on) { 1 } else { 0 })
}

/// Checks `project`, its files read from `files`.
fn check_report(
    args: &Args,
    project: &Project,
    files: &dyn CurrentFiles,
) -> Result<check::Report, CommandError> {
    let from = args.from.as_deref().map(SourceSpec::parse);
    let spec = project.current_source(from.as_ref());
    let fetching = (matches!(spec, SourceSpec::Git(_)) && !args.offline)
        .then(|| Progress::start(format!("goldpath: fetching {spec}")));
    let source = check::open_source_with(project, from.as_ref(), network(args.offline))?;
    drop(fetching);
    let supplied = supplied(&args.set);
    Ok(check::check_with(
        project,
        files,
        &source,
        from.as_ref(),
        &supplied,
    )?)
}

/// Prints one project's report in the format asked for.
fn print_report(
    args: &Args,
    report: &check::Report,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    let text = match args.format {
        Format::Text => return emit_report(out, &check::text(report, &args.fail_on)),
        Format::Json => check::json(report, &args.fail_on),
        Format::Github => check::github_in(report, &args.fail_on, &repository_folder(&args.dir)),
        Format::Junit => check::junit(report, &args.fail_on),
    };
    emit(out, format_args!("{text}"))?;
    Ok(())
}

/// The project's folder from its repository's root, which is where GitHub places an
/// annotation's file (a monorepo's `services/b`); `.` outside a repository.
fn repository_folder(dir: &Path) -> String {
    crate::git::ProjectRepo::open(dir)
        .map(|repo| repo.folder().to_string())
        .unwrap_or_else(|_| ".".to_string())
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
    /// Give a secret answer (never recorded) so the files that use it are compared; repeatable. Also read from GOLDPATH_ANSWER_<NAME>
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = super::new::parse_set)]
    set: Vec<(String, String)>,
    /// Do not ask a remote source anything; read the recorded version from goldpath's cache
    #[arg(long)]
    offline: bool,
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
    // Only the recorded version is needed: with a remote that cannot be reached, the cache's.
    let source = super::output::open_source(&spec, network(args.offline))?;
    if let Some(crate::bundle::Stale::Unreachable(why)) = source.stale() {
        eprintln!(
            "goldpath diff: {}; compared with goldpath's cached copy",
            crate::redact::redact(why)
        );
    }
    let diff = check::diff_with(&project, &source, &args.paths, scope, &supplied(&args.set))?;
    let mut differs = false;
    for difference in diff.differences() {
        match difference? {
            Difference::NotVerifiable { path, secrets } => eprintln!(
                "goldpath diff: {path} is not verifiable without {}: its text depends on the secret in a way a placeholder cannot stand for; give {}",
                secrets.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "),
                secrets
                    .iter()
                    .map(|s| format!("--set {s}=VALUE or {}{}", check::ENV_PREFIX, s.to_uppercase()))
                    .collect::<Vec<_>>()
                    .join(", and ")
            ),
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
