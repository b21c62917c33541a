//! `goldpath merge-file`: `git merge-file` on goldpath's merge engine, so anyone can compare.
//!
//! Same arguments, output and exit codes as `git merge-file` (run outside a repository, or with
//! `-c merge.conflictStyle=merge`: goldpath reads no git config). The exit code is the number
//! of conflicts, at most 127, or 255 on an error. Where it differs, for reasons of its engine:
//! a binary input is refused with git's message; labels must not hold a line break; marker sizes
//! stop at 65535.

use crate::cli::CommandError;
use crate::merge::{self, ConflictStyle, Favor, Labels, Options};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the command is, for `--help` (both ways it is parsed; see `cli::run`).
pub const ABOUT: &str = "Three-way merge of one file, like `git merge-file`";

/// Exit code for any error, as git's.
const ERROR: i32 = 255;

/// git caps the conflict count it exits with, so it cannot wrap into the error code.
const MAX_CONFLICT_CODE: usize = 127;

#[derive(clap::Args)]
pub struct Args {
    /// Send the result to standard output instead of overwriting CURRENT
    #[arg(short = 'p', long = "stdout")]
    stdout: bool,
    /// Show the base's lines in conflicts as well (diff3 style)
    #[arg(long, overrides_with = "zdiff3")]
    diff3: bool,
    /// Like --diff3, with lines common to both sides moved out of conflicts
    #[arg(long, overrides_with = "diff3")]
    zdiff3: bool,
    /// Label for CURRENT, BASE, OTHER in turn (up to three; the file names by default)
    #[arg(short = 'L', value_name = "LABEL", action = clap::ArgAction::Append)]
    labels: Vec<String>,
    /// Characters in each conflict marker (0 or less: the default, 7)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 7,
        allow_negative_numbers = true
    )]
    marker_size: i64,
    /// Resolve conflicts with our lines instead of markers
    #[arg(long, overrides_with_all = ["theirs", "union"])]
    ours: bool,
    /// Resolve conflicts with their lines instead of markers
    #[arg(long, overrides_with_all = ["ours", "union"])]
    theirs: bool,
    /// Resolve conflicts with our lines then theirs instead of markers
    #[arg(long, overrides_with_all = ["ours", "theirs"])]
    union: bool,
    /// Our version; overwritten with the result unless -p is given
    #[arg(value_name = "CURRENT")]
    current: PathBuf,
    /// The common ancestor
    #[arg(value_name = "BASE")]
    base: PathBuf,
    /// Their version
    #[arg(value_name = "OTHER")]
    other: PathBuf,
}

/// Runs the merge and returns the exit code: the conflict count, or 255 after printing an error.
pub fn run(args: Args) -> i32 {
    match merge_file(&args) {
        Ok(conflicts) => conflicts.min(MAX_CONFLICT_CODE) as i32,
        Err(e) => {
            eprint!("{}", e.code(ERROR).render());
            ERROR
        }
    }
}

fn merge_file(args: &Args) -> Result<usize, CommandError> {
    let opts = options(args)?;
    let paths = [&args.current, &args.base, &args.other];
    let mut contents = Vec::with_capacity(3);
    for path in paths {
        let bytes = std::fs::read(path)
            .map_err(|e| CommandError::user(format!("cannot read `{}`: {e}", path.display())))?;
        // git refuses to merge binary files; so does this command, so the two stay comparable.
        // (The library resolves them as whole files, which is what upgrades need.)
        if merge::is_binary(&bytes) {
            return Err(CommandError::user(format!(
                "cannot merge binary files: {}",
                path.display()
            )));
        }
        contents.push(bytes);
    }
    let outcome = merge::merge(&contents[1], &contents[0], &contents[2], &opts)
        .map_err(|e| CommandError::user(e.to_string()))?;
    if args.stdout {
        let mut out = std::io::stdout().lock();
        match out.write_all(&outcome.bytes).and_then(|()| out.flush()) {
            Ok(()) => {}
            // A reader that went away (`| head`) is not an error; the merge still happened, so
            // the code still counts its conflicts.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => return Err(CommandError::user(format!("cannot write the result: {e}"))),
        }
    } else {
        // Written in place, as git does: the file keeps its permissions, and a symlink is
        // written through rather than replaced.
        std::fs::write(&args.current, &outcome.bytes).map_err(|e| {
            CommandError::user(format!("cannot write `{}`: {e}", args.current.display()))
        })?;
    }
    Ok(outcome.conflicts.len())
}

/// The merge options the arguments ask for.
fn options(args: &Args) -> Result<Options, CommandError> {
    if args.labels.len() > 3 {
        return Err(
            CommandError::user("too many labels: -L may be given at most three times")
                .hint("the labels are for CURRENT, BASE and OTHER, in that order"),
        );
    }
    let label = |i: usize, path: &Path| match args.labels.get(i) {
        Some(label) => label.clone(),
        None => path.to_string_lossy().into_owned(),
    };
    let style = match (args.diff3, args.zdiff3) {
        (_, true) => ConflictStyle::Zdiff3,
        (true, false) => ConflictStyle::Diff3,
        (false, false) => ConflictStyle::Merge,
    };
    let favor = match (args.ours, args.theirs, args.union) {
        (true, _, _) => Some(Favor::Ours),
        (_, true, _) => Some(Favor::Theirs),
        (_, _, true) => Some(Favor::Union),
        _ => None,
    };
    // git takes zero or less as "the default"; sizes too large for the engine are refused by
    // `merge::Options` with its own message.
    let marker_size = if args.marker_size <= 0 {
        7
    } else {
        usize::try_from(args.marker_size).unwrap_or(usize::MAX)
    };
    Ok(Options {
        style,
        marker_size,
        labels: Labels {
            ours: label(0, &args.current),
            base: label(1, &args.base),
            theirs: label(2, &args.other),
        },
        favor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn options_of(argv: &[&str]) -> Result<Options, CommandError> {
        let cli = Cli::try_parse_from(["merge-file"].iter().chain(argv)).unwrap();
        options(&cli.args)
    }

    #[test]
    fn arguments_become_options() {
        let files = ["a.txt", "o.txt", "b.txt"];
        let labels = |o: &str, b: &str, t: &str| Labels {
            ours: o.into(),
            base: b.into(),
            theirs: t.into(),
        };
        /// Arguments before the files, style, favor, marker size, labels.
        type Row<'a> = (&'a [&'a str], ConflictStyle, Option<Favor>, usize, Labels);
        let table: &[Row] = &[
            (
                &[],
                ConflictStyle::Merge,
                None,
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            (
                &["--diff3"],
                ConflictStyle::Diff3,
                None,
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            // The last of --diff3/--zdiff3 wins, and of --ours/--theirs/--union, as in git.
            (
                &["--diff3", "--zdiff3"],
                ConflictStyle::Zdiff3,
                None,
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            (
                &["--zdiff3", "--diff3"],
                ConflictStyle::Diff3,
                None,
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            (
                &["--ours", "--theirs"],
                ConflictStyle::Merge,
                Some(Favor::Theirs),
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            (
                &["--theirs", "--union"],
                ConflictStyle::Merge,
                Some(Favor::Union),
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            (
                &["--union", "--ours"],
                ConflictStyle::Merge,
                Some(Favor::Ours),
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            (
                &["-L", "mine"],
                ConflictStyle::Merge,
                None,
                7,
                labels("mine", "o.txt", "b.txt"),
            ),
            (
                &["-L", "x", "-L", "", "-Ly"],
                ConflictStyle::Merge,
                None,
                7,
                labels("x", "", "y"),
            ),
            (
                &["--marker-size", "12"],
                ConflictStyle::Merge,
                None,
                12,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            (
                &["--marker-size", "0"],
                ConflictStyle::Merge,
                None,
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
            (
                &["--marker-size", "-3"],
                ConflictStyle::Merge,
                None,
                7,
                labels("a.txt", "o.txt", "b.txt"),
            ),
        ];
        for (argv, style, favor, size, labels) in table {
            let all: Vec<&str> = argv.iter().chain(files.iter()).copied().collect();
            let opts = options_of(&all).unwrap();
            assert_eq!(opts.style, *style, "{argv:?}");
            assert_eq!(opts.favor, *favor, "{argv:?}");
            assert_eq!(opts.marker_size, *size, "{argv:?}");
            assert_eq!(opts.labels, *labels, "{argv:?}");
        }
    }

    #[test]
    fn too_many_labels_is_an_error() {
        let err =
            options_of(&["-L", "1", "-L", "2", "-L", "3", "-L", "4", "a", "b", "c"]).unwrap_err();
        assert_eq!(
            err.render(),
            "error: too many labels: -L may be given at most three times\n\
             hint: the labels are for CURRENT, BASE and OTHER, in that order\n"
        );
    }
}
