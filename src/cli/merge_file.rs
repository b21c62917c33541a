//! `goldpath merge-file`: `git merge-file` on goldpath's merge engine, so anyone can compare.
//!
//! Same arguments, output and exit codes as `git merge-file` (run outside a repository, or with
//! `-c merge.conflictStyle=merge`: goldpath reads no git config). The exit code is the number
//! of conflicts, at most 127, or 255 on an error, a usage mistake included (git says 129 there,
//! and goldpath's other commands 2, which here would read as two conflicts). Where it differs,
//! for reasons of its engine: a binary input is refused with git's message; labels must not
//! hold a line break; marker sizes stop at 65535.

use super::error::CommandError;
use crate::merge::{self, ConflictStyle, Favor, Labels, Options};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the command is, for `--help` (both ways it is parsed; see `cli::run`).
pub const ABOUT: &str = "Three-way merge of one file, like `git merge-file`";

/// Exit code for any error, as git's (usage mistakes included: see `cli::run`).
pub const ERROR: i32 = 255;

/// git caps the conflict count it exits with, so it cannot wrap into the error code.
const MAX_CONFLICT_CODE: usize = 127;

#[derive(clap::Args, Debug, PartialEq)]
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
        default_value_t = merge::DEFAULT_MARKER_SIZE as i64,
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

impl Args {
    /// The arguments as clap would parse them, for the plain forms scripts use: the flags above
    /// each given at most once, `-L LABEL` or `-LLABEL`, `--marker-size N` or
    /// `--marker-size=N`, and three files. `None` for anything else (help, errors, `--`,
    /// a value that starts with `-`, bundled short flags, an empty file name, text that is not
    /// UTF-8), which clap then parses.
    ///
    /// Why a second parser: `merge-file` is plumbing, run once per file, and building clap's
    /// parser was a fifth of the start-up of a small merge. A property test checks that this
    /// one never disagrees with clap.
    pub fn parse_plain(args: &[std::ffi::OsString]) -> Option<Args> {
        let mut parsed = Args {
            stdout: false,
            diff3: false,
            zdiff3: false,
            labels: Vec::new(),
            marker_size: merge::DEFAULT_MARKER_SIZE as i64,
            ours: false,
            theirs: false,
            union: false,
            current: PathBuf::new(),
            base: PathBuf::new(),
            other: PathBuf::new(),
        };
        let mut seen = std::collections::HashSet::new();
        let mut files = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let text = arg.to_str()?;
            // clap refuses an empty file name.
            if text.is_empty() {
                return None;
            }
            if !text.starts_with('-') || text == "-" {
                files.push(PathBuf::from(arg));
                continue;
            }
            if let Some(label) = text.strip_prefix("-L") {
                let label = if label.is_empty() {
                    args.next()?.to_str()?
                } else {
                    label
                };
                if label.starts_with(['-', '=']) {
                    return None;
                }
                parsed.labels.push(label.to_string());
                continue;
            }
            let (name, inline) = match text.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (text, None),
            };
            // Each flag at most once (`-p` is `--stdout`): clap refuses a repeat, with its own
            // message.
            let key = if name == "-p" { "--stdout" } else { name };
            if !seen.insert(key) {
                return None;
            }
            match (name, inline) {
                ("-p" | "--stdout", None) => parsed.stdout = true,
                // The later of two exclusive flags wins, as clap's `overrides_with` does.
                ("--diff3", None) => (parsed.diff3, parsed.zdiff3) = (true, false),
                ("--zdiff3", None) => (parsed.diff3, parsed.zdiff3) = (false, true),
                ("--ours", None) => {
                    (parsed.ours, parsed.theirs, parsed.union) = (true, false, false)
                }
                ("--theirs", None) => {
                    (parsed.ours, parsed.theirs, parsed.union) = (false, true, false)
                }
                ("--union", None) => {
                    (parsed.ours, parsed.theirs, parsed.union) = (false, false, true)
                }
                ("--marker-size", _) => {
                    let value = match inline {
                        Some(value) => value,
                        None => args.next()?.to_str()?,
                    };
                    parsed.marker_size = value.parse().ok()?;
                }
                _ => return None,
            }
        }
        let [current, base, other] = <[PathBuf; 3]>::try_from(files).ok()?;
        (parsed.current, parsed.base, parsed.other) = (current, base, other);
        Some(parsed)
    }
}

/// Runs the merge and returns the exit code: the conflict count, or 255 after printing an error.
pub fn run(args: Args) -> i32 {
    keep_large_blocks_on_the_heap();
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

/// Has glibc's malloc serve blocks of up to 32 MiB (its largest setting) from the heap, where
/// freed memory is reused, instead of a fresh mapping for each block of 128 KiB or more.
///
/// Why: xdiff allocates and frees its large arrays once per side of the merge, and libgit2
/// zeroes every block it allocates (`git__calloc` is malloc then memset), so each fresh mapping
/// costs one page fault per 4 KiB, twice. On a 10,000-line merge this saves 220 of 1,580 page
/// faults and 5% of the time (`cargo bench --bench merge`). The process ends after one merge,
/// so memory kept for reuse costs nothing. Set here, not in the library: it is the process's
/// choice.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_blocks_on_the_heap() {
    // SAFETY: `mallopt` only sets a malloc parameter, under malloc's own lock; any value is
    // valid to pass (an out-of-range one is refused with a return of 0, and then nothing
    // changes, which is harmless).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_blocks_on_the_heap() {}

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
        merge::DEFAULT_MARKER_SIZE
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

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The plain parser gives what clap gives, or leaves the arguments to clap: flags,
        /// values and junk in any order around three file names (so that most lists parse).
        #[test]
        fn the_plain_parser_agrees_with_clap(
            argv in (
                proptest::collection::vec(proptest::sample::select(vec![
                    "-p", "--stdout", "--diff3", "--zdiff3", "-L", "-Lmine", "-L=x", "mine", "",
                    "--marker-size", "--marker-size=9", "--marker-size=", "12", "-3", "0",
                    "--ours", "--theirs", "--union", "-", "--", "-h", "--help", "--bogus", "-pL",
                    "-P", "--stdout=1", "--marker", "-Lx y", "--diff3=", "-p3",
                ]), 0..7),
                proptest::collection::vec(
                    proptest::sample::select(vec!["a.txt", "o.txt", "b.txt", "d/e f"]), 3),
            )
                .prop_flat_map(|(flags, files)| {
                    proptest::strategy::Just([flags, files].concat()).prop_shuffle()
                }),
        ) {
            let args: Vec<std::ffi::OsString> = argv.iter().map(Into::into).collect();
            let clap = Cli::try_parse_from(["merge-file"].iter().chain(&argv)).ok();
            if let Some(plain) = Args::parse_plain(&args) {
                proptest::prop_assert_eq!(Some(plain), clap.map(|c| c.args), "{:?}", argv);
            }
        }
    }

    #[test]
    fn plain_arguments_skip_clap() {
        for argv in [
            &["-p", "a", "o", "b"][..],
            &[
                "--diff3",
                "-L",
                "x",
                "-Ly",
                "--marker-size=9",
                "--theirs",
                "a",
                "o",
                "b",
            ],
            &["--marker-size", "-3", "--zdiff3", "--union", "a", "o", "b"],
        ] {
            let args: Vec<std::ffi::OsString> = argv.iter().map(Into::into).collect();
            let clap = Cli::try_parse_from(["merge-file"].iter().chain(argv)).unwrap();
            assert_eq!(Args::parse_plain(&args), Some(clap.args), "{argv:?}");
        }
        // Left to clap, which refuses them: found by the property test above.
        for argv in [&["a", "o", ""][..], &["-p", "--stdout", "a", "o", "b"]] {
            let args: Vec<std::ffi::OsString> = argv.iter().map(Into::into).collect();
            assert_eq!(Args::parse_plain(&args), None, "{argv:?}");
            assert!(Cli::try_parse_from(["merge-file"].iter().chain(argv)).is_err());
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
