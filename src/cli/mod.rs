//! The command line: clap types, one file per command, and error printing. The only place that
//! prints or prompts.

mod check;
mod error;
mod hooks;
mod list;
mod merge_file;
mod new;
mod prompt;
mod upgrade;

pub use error::CommandError;

use clap::{Parser, Subcommand};
use std::io::Write;

#[derive(Parser)]
#[command(
    name = "goldpath",
    version,
    about = "Create services from golden paths, upgrade them in place, check them for drift"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the bundles of a source (the built-in catalog by default) with their versions
    List(list::Args),
    /// Create a new project from a bundle: ask its questions, render, write, commit
    New(new::Args),
    /// Upgrade a project to a newer version of its golden path, keeping local edits
    Upgrade(upgrade::Args),
    /// Check a project against its golden path: outdated, drifted locked files, conflict markers
    Check(check::Args),
    /// Show how the project differs from a fresh render of its recorded golden-path version
    Diff(check::DiffArgs),
    /// Git hooks that run goldpath
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    /// Three-way merge of one file, like `git merge-file`
    MergeFile(merge_file::Args),
}

/// Runs goldpath with the process's arguments and returns the exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let mut out = std::io::stdout().lock();
    let result = match cli.command {
        Command::List(args) => list::run(args, &mut out),
        Command::New(args) => new::run(args, &mut out),
        Command::Upgrade(args) => upgrade::run(args, &mut out),
        Command::Check(args) => check::run(args, &mut out),
        Command::Diff(args) => check::diff(args, &mut out),
        Command::Hooks(cmd) => hooks::run(cmd, &mut out),
        Command::MergeFile(args) => return merge_file::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`goldpath list | head`) is not an error worth a message.
            if e.message.contains("Broken pipe") {
                return 0;
            }
            let _ = out.flush();
            eprint!("{}", e.render());
            e.code
        }
    }
}

/// Writes to stdout, turning an I/O error into a `CommandError`.
fn emit(out: &mut dyn Write, text: std::fmt::Arguments<'_>) -> Result<(), CommandError> {
    out.write_fmt(text)
        .map_err(|e| CommandError::user(e.to_string()))
}
