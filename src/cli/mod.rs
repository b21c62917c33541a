//! The command line: clap types, one file per command, and error printing. The only place that
//! prints or prompts.

mod adopt;
mod bundle;
mod bundle_test;
mod check;
mod completions;
mod error;
mod fleet;
mod hooks;
mod list;
mod man;
mod merge_file;
mod new;
mod output;
mod prompt;
mod upgrade;

pub use error::{CommandError, Kind};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::ffi::OsString;
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
    /// When to colour the output: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    color: output::ColorChoice,
}

#[derive(Subcommand)]
enum Command {
    /// List the bundles of a source (the built-in catalog by default) with their versions
    List(list::Args),
    /// Create a new project from a bundle: ask its questions, render, write, commit
    New(new::Args),
    /// Upgrade a project to a newer version of its golden path, keeping local edits
    Upgrade(upgrade::Args),
    /// Bring an existing repository under a golden path: merge the bundle in as an upgrade from nothing
    Adopt(adopt::Args),
    /// Check a project against its golden path: outdated, drifted locked files, conflict markers
    Check(check::Args),
    /// Show how the project differs from a fresh render of its recorded golden-path version
    Diff(check::DiffArgs),
    /// Git hooks that run goldpath
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    #[command(about = merge_file::ABOUT)]
    MergeFile(merge_file::Args),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell
    Completions(completions::Args),
    /// Print the manual page (roff) of goldpath or one of its commands: `goldpath man | man -l -`
    Man(man::Args),
    /// Tools for bundle authors: lint a bundle, test it
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// Upgrade many repositories at once, each on a branch of its own, with a report
    #[command(subcommand)]
    Fleet(fleet::FleetCommand),
}

/// `goldpath merge-file` on its own; see [`run`].
#[derive(Parser)]
#[command(name = "merge-file", about = merge_file::ABOUT)]
struct MergeFileCli {
    #[command(flatten)]
    args: merge_file::Args,
}

/// Runs goldpath with `args` (the program's name first, as `std::env::args_os()` gives them)
/// and returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let argv: Vec<OsString> = args.into_iter().collect();
    // `merge-file` is plumbing that scripts run once per file, so start-up is most of its time,
    // and building the whole command line (every command's arguments) was most of start-up.
    // Its usual arguments are read without clap; anything else by clap for `merge-file` alone,
    // with the same help, usage and errors as through the whole command line.
    if argv.get(1).is_some_and(|a| a == "merge-file") {
        if let Some(args) = merge_file::Args::parse_plain(&argv[2..]) {
            return merge_file::run(args);
        }
        let program = argv[0].clone();
        let program = std::path::Path::new(&program)
            .file_name()
            .map_or_else(|| "goldpath".into(), |n| n.to_string_lossy().into_owned());
        let mut command = MergeFileCli::command().bin_name(format!("{program} merge-file"));
        let parsed = command
            .try_get_matches_from_mut(argv.into_iter().skip(1))
            .and_then(|mut matches| MergeFileCli::from_arg_matches_mut(&mut matches));
        return match parsed {
            Ok(cli) => merge_file::run(cli.args),
            // A usage mistake exits 255 like every merge-file error: a small code would read
            // as a count of conflicts to the script that called it.
            Err(e) => match exit_for(&e.with_cmd(&command)) {
                0 => 0,
                _ => merge_file::ERROR,
            },
        };
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => return exit_for(&e),
    };
    output::set_colour(cli.color);
    let mut out = std::io::stdout().lock();
    // A panic is a bug in goldpath: said so (after the panic's own message), exit 255.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dispatch(cli.command, &mut out)
    }))
    .unwrap_or_else(|_| {
        Err(CommandError::internal(
            "goldpath stopped on a bug (see the panic above)",
        ))
    });
    match result {
        Ok(code) => code,
        // A closed pipe (`goldpath list | head`) is not an error worth a message.
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            let _ = out.flush();
            eprint!("{}", crate::redact::redact(&e.render()));
            e.code
        }
    }
}

/// Runs a command; its output goes to `out`.
fn dispatch(command: Command, out: &mut dyn Write) -> Result<i32, CommandError> {
    match command {
        Command::List(args) => list::run(args, out),
        Command::New(args) => new::run(args, out),
        Command::Upgrade(args) => upgrade::run(args, out),
        Command::Adopt(args) => adopt::run(args, out),
        Command::Check(args) => check::run(args, out),
        Command::Diff(args) => check::diff(args, out),
        Command::Hooks(cmd) => hooks::run(cmd, out),
        // `merge-file` is taken by `run`'s first branch; the variant is there so that
        // `goldpath --help` lists it, and this arm would run it just the same.
        Command::MergeFile(args) => Ok(merge_file::run(args)),
        Command::Completions(args) => completions::run(args, out),
        Command::Man(args) => man::run(args, out),
        Command::Bundle(cmd) => bundle::run(cmd, out),
        Command::Fleet(cmd) => fleet::run(cmd, out),
    }
}

/// Prints a parse error (or the help or version asked for) and returns the exit code.
fn exit_for(e: &clap::Error) -> i32 {
    let _ = e.print();
    if e.use_stderr() {
        2
    } else {
        0
    }
}
