//! Three-way text merge: git's merge, with conflicts as data and markers at the edge.
//!
//! [`merge`] is `git merge-file`, byte for byte: the line merge is git's own xdiff code, run by
//! libgit2 (`src/merge/engine.rs` says why that one). Around it, goldpath owns:
//!
//! - binary files ([`is_binary`], git's rule), which are never line-merged: a whole-file
//!   conflict unless a side is unchanged, and never a marker written into them;
//! - conflicts as data: every [`Conflict`] with its line range in the result and its sides, read
//!   from the markers git wrote, so callers never parse text themselves;
//! - the marker parser ([`parse_conflicts`], [`has_conflict_markers`]), for `upgrade --continue`
//!   and `check` to tell whether a file still holds conflicts;
//! - [`merge_for_upgrade`], which first puts the template's renders in the user's line-ending
//!   convention ([`in_convention_of`]) and picks markers that cannot be confused with the
//!   file's own text.
//!
//! The module reads and writes no files and prints nothing.

mod binary;
mod engine;
mod eol;
mod markers;

pub use binary::is_binary;
pub use markers::{conflicts_of_every_size, has_conflict_markers, parse_conflicts};

use std::borrow::Cow;
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// How conflicts are written, as git's `merge.conflictStyle` (and `git merge-file`'s
/// `--diff3`/`--zdiff3`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConflictStyle {
    /// `<<<<<<< ours`, ours, `=======`, theirs, `>>>>>>> theirs`. Conflicts are narrowed to the
    /// lines where ours and theirs differ, and two conflicts separated only by lines with no
    /// letter or digit are joined into one. The base is not shown, so [`Conflict::base`] is
    /// `None`.
    #[default]
    Merge,
    /// As `Merge` plus `||||||| base` and the base's lines before `=======`. Conflicts are not
    /// narrowed or joined (a narrowed region would have no base lines of its own).
    Diff3,
    /// "Zealous" diff3: as `Diff3`, but lines that open or close both ours and theirs alike are
    /// moved out of the conflict, as in `Merge`.
    Zdiff3,
}

impl ConflictStyle {
    /// The name git uses for the style (`merge`, `diff3`, `zdiff3`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictStyle::Merge => "merge",
            ConflictStyle::Diff3 => "diff3",
            ConflictStyle::Zdiff3 => "zdiff3",
        }
    }
}

impl fmt::Display for ConflictStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConflictStyle {
    type Err = Error;

    /// git's names, exactly (`merge.conflictStyle` is case-sensitive too).
    fn from_str(name: &str) -> Result<Self, Error> {
        match name {
            "merge" => Ok(ConflictStyle::Merge),
            "diff3" => Ok(ConflictStyle::Diff3),
            "zdiff3" => Ok(ConflictStyle::Zdiff3),
            _ => Err(Error::UnknownStyle {
                name: name.to_string(),
            }),
        }
    }
}

/// Resolves every conflict towards one side instead of writing markers (`git merge-file
/// --ours/--theirs/--union`). Only conflicting regions are affected; clean changes from both
/// sides are merged as usual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Favor {
    /// Our lines.
    Ours,
    /// Their lines.
    Theirs,
    /// Our lines, then their lines. Binary files cannot be joined, so they still conflict.
    Union,
}

/// The names written after the conflict markers: `<<<<<<< ours`, `||||||| base`,
/// `>>>>>>> theirs`. Each may be empty (git then writes the marker and a space) but must not
/// contain a line break or NUL byte, which would break the marker line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labels {
    pub ours: String,
    pub base: String,
    pub theirs: String,
}

impl Default for Labels {
    /// `ours`, `base`, `theirs`.
    fn default() -> Self {
        Labels {
            ours: "ours".to_string(),
            base: "base".to_string(),
            theirs: "theirs".to_string(),
        }
    }
}

/// git's conflict marker size (`<<<<<<<`), the default here too.
pub const DEFAULT_MARKER_SIZE: usize = 7;

/// How to merge. The default is git's: merge style, markers of 7, no favoured side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub style: ConflictStyle,
    /// Characters in each conflict marker, from 1 to 65535 (libgit2 stores it in 16 bits).
    pub marker_size: usize,
    pub labels: Labels,
    /// Resolve conflicts towards a side instead of marking them.
    pub favor: Option<Favor>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            style: ConflictStyle::Merge,
            marker_size: DEFAULT_MARKER_SIZE,
            labels: Labels::default(),
            favor: None,
        }
    }
}

impl Options {
    /// Checks what libgit2 cannot be given, before it is.
    fn validate(&self) -> Result<(), Error> {
        if !(1..=markers::MAX_MARKER_SIZE).contains(&self.marker_size) {
            return Err(Error::MarkerSize {
                size: self.marker_size,
            });
        }
        let labels = &self.labels;
        for (side, label) in [
            ("ours", &labels.ours),
            ("base", &labels.base),
            ("theirs", &labels.theirs),
        ] {
            let bad = label.bytes().find(|&b| b == b'\n' || b == b'\0');
            if let Some(b) = bad {
                return Err(Error::Label {
                    side,
                    label: label.clone(),
                    what: if b == b'\n' { "line break" } else { "NUL byte" },
                });
            }
        }
        Ok(())
    }
}

/// One conflicting region of a merge, or a conflict read back from markers by
/// [`parse_conflicts`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// Where the region is in the merged bytes: 1-based line numbers, from its `<<<<<<<` line to
    /// its `>>>>>>>` line, both included. `None` for a binary conflict, which has no markers and
    /// covers the whole file.
    pub lines: Option<RangeInclusive<usize>>,
    /// Our lines in the region, as written between the markers. git ends a side whose last line
    /// had no line ending with one, so the marker after it starts a line; that added ending is
    /// included. For a binary conflict, the whole of each file.
    pub ours: Vec<u8>,
    /// The base's lines, in diff3 and zdiff3 styles and for binary conflicts. `None` in merge
    /// style: there git narrows and joins conflicts, so a region may have no base lines of its
    /// own (xdiff does not keep them), and none are written.
    pub base: Option<Vec<u8>>,
    /// Their lines in the region, as `ours`.
    pub theirs: Vec<u8>,
}

impl Conflict {
    /// A binary file changed on both sides: no line range and no markers.
    pub fn is_binary(&self) -> bool {
        self.lines.is_none()
    }
}

/// A conflict read back from markers: the same data a merge reports, so for
/// [`merge_for_upgrade`], `parse_conflicts(&o.bytes, o.marker_size) == o.conflicts`.
pub type ParsedConflict = Conflict;

/// What a merge made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The merged file, with conflict markers where [`Outcome::conflicts`] says. For a binary
    /// conflict, ours unchanged.
    pub bytes: Vec<u8>,
    /// The conflicting regions, in order; empty for a clean merge.
    pub conflicts: Vec<Conflict>,
    /// The size of the markers written, and the one to give [`parse_conflicts`] to read them:
    /// the size asked for, or for [`merge_for_upgrade`] possibly a larger one.
    pub marker_size: usize,
    /// Ours already held a well-formed conflict block (of any marker size from 7) before this
    /// merge, e.g. a conflict committed unresolved. Its markers are the user's text, never
    /// reported as a conflict of this merge; a caller should still tell the user. Always
    /// `false` for binary files.
    pub ours_has_markers: bool,
}

impl Outcome {
    /// No conflicts (a favoured side may have resolved some).
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown conflict style `{name}`: expected `merge`, `diff3` or `zdiff3`")]
    UnknownStyle { name: String },
    #[error("conflict marker size {size} is out of range: it must be from 1 to 65535")]
    MarkerSize { size: usize },
    #[error(
        "the {side} label {label:?} contains a {what}, which a conflict marker line cannot hold"
    )]
    Label {
        side: &'static str,
        label: String,
        what: &'static str,
    },
    #[error("every conflict marker size from {from} to 65535 is already used by lines of the files, so conflicts could not be told from text")]
    NoFreeMarkerSize { from: usize },
    #[error("libgit2 could not merge: {message}")]
    Engine { message: String },
}

/// Merges `base`, `ours` and `theirs` exactly as `git merge-file` does (without reading git's
/// config): the same bytes in every style, and one [`Conflict`] for each conflict git counts.
///
/// Every byte is kept as it is: CRLF and mixed line endings, a missing final newline, a BOM,
/// text that is not UTF-8. Binary inputs (see [`is_binary`]) are not line-merged: a side that
/// did not change gives way to the other, and if both changed, the result is ours unchanged with
/// one binary [`Conflict`] (`git merge-file` refuses binary files instead; see `goldpath
/// merge-file`).
///
/// Lines of the inputs that already look like markers of `opts.marker_size` end up in the result
/// beside git's, as they do with git. The conflicts are still found exactly (by a second merge
/// with markers of a size no input line has), but [`parse_conflicts`] on the result may not be
/// able to tell them apart; [`merge_for_upgrade`] avoids that.
pub fn merge(base: &[u8], ours: &[u8], theirs: &[u8], opts: &Options) -> Result<Outcome, Error> {
    opts.validate()?;
    if is_binary(base) || is_binary(ours) || is_binary(theirs) {
        return Ok(merge_binary(base, ours, theirs, opts));
    }
    merge_text(base, ours, theirs, opts, opts.marker_size)
}

/// Merges for an upgrade: ours is the user's file, base and theirs are the template's old and
/// new renders. Differs from [`merge`] in two documented ways, so that the result is what the
/// user would want to commit and always parses back:
///
/// 1. Base and theirs are first rewritten in ours's line-ending convention: CRLF or LF (by
///    majority of ours's lines; neither if tied), final newline or not, UTF-8 BOM or not. An
///    empty ours shows no convention and changes nothing, and empty renders stay empty. So a
///    render in LF against a user's CRLF file merges line by line instead of conflicting as a
///    whole, and the result keeps the user's convention.
/// 2. The markers are the smallest size from `opts.marker_size` up at which no line of the
///    three inputs looks like a marker (exactly that many `<`, `|`, `=` or `>` then a space or
///    the line's end). A file that already holds conflict markers of size 7, say a committed
///    `<<<<<<< HEAD` block or a Markdown `=======` underline, gets markers of 8, so
///    `parse_conflicts(&outcome.bytes, outcome.marker_size)` returns exactly
///    `outcome.conflicts`, and never the user's own text.
///
/// Binary inputs are handled as in [`merge`], without any rewriting.
pub fn merge_for_upgrade(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    opts: &Options,
) -> Result<Outcome, Error> {
    opts.validate()?;
    if is_binary(base) || is_binary(ours) || is_binary(theirs) {
        return Ok(merge_binary(base, ours, theirs, opts));
    }
    let (base, theirs) = match eol::Convention::of(ours) {
        Some(convention) => (convention.apply(base), convention.apply(theirs)),
        None => (Cow::Borrowed(base), Cow::Borrowed(theirs)),
    };
    let size = markers::free_marker_size(&[&base, ours, &theirs], opts.marker_size).ok_or(
        Error::NoFreeMarkerSize {
            from: opts.marker_size,
        },
    )?;
    merge_text(&base, ours, &theirs, opts, size)
}

/// `text` rewritten in the line-ending convention of `ours` exactly as [`merge_for_upgrade`]
/// rewrites the renders (CRLF or LF by majority, final newline, BOM), e.g. to write a new
/// template file the way the user keeps the old one. Unchanged if `ours` is empty or either is
/// binary.
pub fn in_convention_of<'a>(ours: &[u8], text: &'a [u8]) -> Cow<'a, [u8]> {
    match eol::Convention::of(ours) {
        Some(convention) if !is_binary(ours) && !is_binary(text) => convention.apply(text),
        _ => Cow::Borrowed(text),
    }
}

fn merge_binary(base: &[u8], ours: &[u8], theirs: &[u8], opts: &Options) -> Outcome {
    let (bytes, conflicts) = binary::merge(base, ours, theirs, opts.favor);
    Outcome {
        bytes,
        conflicts,
        marker_size: opts.marker_size,
        ours_has_markers: false,
    }
}

/// The text merge with markers of `marker_size`, and its conflicts as data.
fn merge_text(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    opts: &Options,
    marker_size: usize,
) -> Result<Outcome, Error> {
    // Checked by `Options::validate` or chosen by `free_marker_size`, both within u16.
    let size16 = u16::try_from(marker_size).map_err(|_| Error::MarkerSize { size: marker_size })?;
    let merged = engine::merge(base, ours, theirs, opts, size16)?;
    // Ours's marker lines are found once, for both questions below.
    let ours_marks = markers::marker_lines(ours, marker_size.min(DEFAULT_MARKER_SIZE));
    let ours_has_markers = markers::has_blocks(ours, &ours_marks);
    if merged.clean {
        return Ok(Outcome {
            bytes: merged.bytes,
            conflicts: Vec::new(),
            marker_size,
            ours_has_markers,
        });
    }
    // libgit2 says only that there were conflicts; where they are, the markers say. They can be
    // read from the result itself unless a line that reaches the result looks like a marker of
    // this size. Then the same merge with markers of a size no such line has gives the same
    // lines, the same regions and the same sides, with markers that cannot be mistaken.
    // The result's lines come from ours and theirs, and from the base only in the diff3 styles,
    // which show it in conflicts (xdiff's `xdl_fill_merge_buffer` copies base lines nowhere
    // else), so in merge style the base need not be read.
    let mut marks: Vec<markers::MarkerLine> = ours_marks
        .into_iter()
        .filter(|m| m.size >= marker_size)
        .collect();
    marks.extend(markers::marker_lines(theirs, marker_size));
    if opts.style != ConflictStyle::Merge {
        marks.extend(markers::marker_lines(base, marker_size));
    }
    let parse_size = markers::free_size(&marks, marker_size)
        .ok_or(Error::NoFreeMarkerSize { from: marker_size })?;
    let conflicts = if parse_size == marker_size {
        parse_conflicts(&merged.bytes, marker_size)
    } else {
        // `parse_size` comes from `free_size`, which stays within u16.
        let probe = engine::merge(base, ours, theirs, opts, parse_size as u16)?;
        parse_conflicts(&probe.bytes, parse_size)
    };
    let empty = markers::EmptySides {
        ours: ours.is_empty().then_some(opts.labels.ours.as_str()),
        base: base.is_empty().then_some(opts.labels.base.as_str()),
        theirs: theirs.is_empty().then_some(opts.labels.theirs.as_str()),
    };
    let bytes = markers::label_empty_sides(merged.bytes, &conflicts, marker_size, &empty);
    Ok(Outcome {
        bytes,
        conflicts,
        marker_size,
        ours_has_markers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(style: ConflictStyle, favor: Option<Favor>) -> Options {
        Options {
            style,
            favor,
            ..Options::default()
        }
    }

    /// Each expected output is what `git merge-file -p -L ours -L base -L theirs` (git 2.47)
    /// printed for the same inputs, and its exit code.
    #[test]
    fn merges_as_git_does() {
        use ConflictStyle::{Diff3, Merge, Zdiff3};
        /// Name, base, ours, theirs, style, favor, git's output, git's exit code.
        type Row<'a> = (
            &'a str,
            &'a [u8],
            &'a [u8],
            &'a [u8],
            ConflictStyle,
            Option<Favor>,
            &'a [u8],
            usize,
        );
        #[rustfmt::skip]
        let table: &[Row] = &[
            ("the same change on both sides is clean",
             b"a\nb\nc\n", b"a\nB\nc\n", b"a\nB\nc\n", Merge, None, b"a\nB\nc\n", 0),
            ("edits of adjacent lines conflict",
             b"a\nb\nc\nd\n", b"a\nB\nc\nd\n", b"a\nb\nC\nd\n", Merge, None,
             b"a\n<<<<<<< ours\nB\nc\n=======\nb\nC\n>>>>>>> theirs\nd\n", 1),
            ("edits one line apart merge",
             b"a\nb\nc\nd\n", b"a\nB\nc\nd\n", b"a\nb\nc\nD\n", Merge, None, b"a\nB\nc\nD\n", 0),
            ("CRLF survives, markers included",
             b"a\r\nb\r\nc\r\n", b"a\r\nB\r\nc\r\n", b"a\r\nX\r\nc\r\n", Merge, None,
             b"a\r\n<<<<<<< ours\r\nB\r\n=======\r\nX\r\n>>>>>>> theirs\r\nc\r\n", 1),
            ("a missing final newline is added only before a marker",
             b"a\nb", b"a\nB", b"a\nX", Merge, None,
             b"a\n<<<<<<< ours\nB\n=======\nX\n>>>>>>> theirs\n", 1),
            ("a BOM is content like any other",
             b"\xef\xbb\xbfa\nb\n", b"\xef\xbb\xbfA\nb\n", b"\xef\xbb\xbfa\nB\n", Merge, None,
             b"<<<<<<< ours\n\xef\xbb\xbfA\nb\n=======\n\xef\xbb\xbfa\nB\n>>>>>>> theirs\n", 1),
            ("Latin-1 bytes pass through",
             b"caf\xe9\nb\n", b"caf\xe9\nB\n", b"caf\xe9\nb\n", Merge, None, b"caf\xe9\nB\n", 0),
            ("an empty ours keeps its label",
             b"a\n", b"", b"b\n", Diff3, None,
             b"<<<<<<< ours\n||||||| base\na\n=======\nb\n>>>>>>> theirs\n", 1),
            ("an empty base keeps its label",
             b"", b"a\n", b"b\n", Diff3, None,
             b"<<<<<<< ours\na\n||||||| base\n=======\nb\n>>>>>>> theirs\n", 1),
            ("an empty theirs keeps its label",
             b"a\n", b"b\n", b"", Zdiff3, None,
             b"<<<<<<< ours\nb\n||||||| base\na\n=======\n>>>>>>> theirs\n", 1),
            ("all empty",
             b"", b"", b"", Merge, None, b"", 0),
            ("ours deletes everything, theirs is unchanged",
             b"a\n", b"", b"a\n", Merge, None, b"", 0),
            ("--ours", b"a\nb\nc\n", b"a\nB\nc\n", b"a\nX\nc\n", Merge, Some(Favor::Ours), b"a\nB\nc\n", 0),
            ("--theirs", b"a\nb\nc\n", b"a\nB\nc\n", b"a\nX\nc\n", Merge, Some(Favor::Theirs), b"a\nX\nc\n", 0),
            ("--union", b"a\nb\nc\n", b"a\nB\nc\n", b"a\nX\nc\n", Merge, Some(Favor::Union), b"a\nB\nX\nc\n", 0),
            ("merge style narrows to the differing lines",
             b"1\n2\n3\n4\n5\n", b"1\nX\nY\nZ\n5\n", b"1\nX\nQ\nZ\n5\n", Merge, None,
             b"1\nX\n<<<<<<< ours\nY\n=======\nQ\n>>>>>>> theirs\nZ\n5\n", 1),
            ("diff3 does not",
             b"1\n2\n3\n4\n5\n", b"1\nX\nY\nZ\n5\n", b"1\nX\nQ\nZ\n5\n", Diff3, None,
             b"1\n<<<<<<< ours\nX\nY\nZ\n||||||| base\n2\n3\n4\n=======\nX\nQ\nZ\n>>>>>>> theirs\n5\n", 1),
            ("zdiff3 moves the common lines out",
             b"1\n2\n3\n4\n5\n", b"1\nX\nY\nZ\n5\n", b"1\nX\nQ\nZ\n5\n", Zdiff3, None,
             b"1\nX\n<<<<<<< ours\nY\n||||||| base\n2\n3\n4\n=======\nQ\n>>>>>>> theirs\nZ\n5\n", 1),
            ("a marker-like line of ours stays, and is not a marker",
             b"a\nb\nc\n", b"a\nB\n=======\nc\n", b"a\nX\nc\n", Merge, None,
             b"a\n<<<<<<< ours\nB\n=======\n=======\nX\n>>>>>>> theirs\nc\n", 1),
        ];
        for (name, base, ours, theirs, style, favor, want, count) in table {
            let out = merge(base, ours, theirs, &opts(*style, *favor)).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.bytes),
                String::from_utf8_lossy(want),
                "{name}"
            );
            assert_eq!(out.bytes, *want, "{name}");
            assert_eq!(out.conflicts.len(), *count, "{name}");
            assert_eq!(out.is_clean(), *count == 0, "{name}");
        }
    }

    #[test]
    fn conflicts_are_data() {
        let base = b"1\n2\n3\n4\n5\n6\n7\n";
        let ours = b"1\nA\n3\n4\n5\nB\n7\n";
        let theirs = b"1\nX\n3\n4\n5\nY\n7";
        let out = merge(base, ours, theirs, &opts(ConflictStyle::Diff3, None)).unwrap();
        let want = |lines, ours: &str, base: &str, theirs: &str| Conflict {
            lines: Some(lines),
            ours: ours.into(),
            base: Some(base.into()),
            theirs: theirs.into(),
        };
        // Their last line had no newline; git adds one before the marker after it.
        assert_eq!(
            out.conflicts,
            vec![
                want(2..=8, "A\n", "2\n", "X\n"),
                want(12..=21, "B\n7\n", "6\n7\n", "Y\n7\n")
            ]
        );
        let merge_style = merge(base, ours, theirs, &Options::default()).unwrap();
        assert!(merge_style.conflicts.iter().all(|c| c.base.is_none()));
    }

    #[test]
    fn marker_lines_in_the_inputs_do_not_confuse_the_conflicts() {
        let out = merge(
            b"a\nb\nc\n",
            b"a\nB\n=======\nc\n",
            b"a\nX\nc\n",
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            out.conflicts,
            vec![Conflict {
                lines: Some(2..=7),
                ours: b"B\n=======\n".to_vec(),
                base: None,
                theirs: b"X\n".to_vec(),
            }]
        );
        assert!(!out.ours_has_markers);
    }

    #[test]
    fn binary_files_are_whole_file_conflicts() {
        let out = merge(b"\0a", b"\0b", b"\0c", &Options::default()).unwrap();
        assert_eq!(out.bytes, b"\0b");
        assert_eq!(out.conflicts.len(), 1);
        assert!(out.conflicts[0].is_binary());
        // One binary side is enough, and an unchanged side gives way.
        let out = merge(b"text\n", b"text\n", b"\0new", &Options::default()).unwrap();
        assert!(out.is_clean());
        assert_eq!(out.bytes, b"\0new");
    }

    #[test]
    fn upgrades_follow_the_users_line_endings() {
        // The user converted the file to CRLF and edited line 2; the template changed line 4.
        let base = b"a\nb\nc\nd\n";
        let ours = b"a\r\nB\r\nc\r\nd\r\n";
        let theirs = b"a\nb\nc\nD\n";
        let out = merge_for_upgrade(base, ours, theirs, &Options::default()).unwrap();
        assert!(out.is_clean());
        assert_eq!(out.bytes, b"a\r\nB\r\nc\r\nD\r\n");
        // The plain merge sees every line changed: one whole-file conflict.
        let plain = merge(base, ours, theirs, &Options::default()).unwrap();
        assert_eq!(plain.conflicts.len(), 1);
        // A BOM and a missing final newline of the user's survive too.
        let out = merge_for_upgrade(
            b"a\nb\n",
            b"\xef\xbb\xbfa\nb",
            b"a\nb\nc\n",
            &Options::default(),
        )
        .unwrap();
        assert_eq!(out.bytes, b"\xef\xbb\xbfa\nb\nc");
    }

    #[test]
    fn text_in_the_users_convention() {
        // (user's file, text, text as rewritten)
        let table: &[(&[u8], &[u8], &[u8])] = &[
            (b"x\r\ny\r\n", b"a\nb\n", b"a\r\nb\r\n"),
            (b"\xef\xbb\xbfx\ny", b"a\nb\n", b"\xef\xbb\xbfa\nb"),
            (b"", b"a\r\n", b"a\r\n"),
            (b"x\r\n", b"\0a\n", b"\0a\n"),
            (b"\0x\r\n", b"a\n", b"a\n"),
        ];
        for (ours, text, want) in table {
            assert_eq!(
                in_convention_of(ours, text).as_ref(),
                *want,
                "{ours:?} {text:?}"
            );
        }
    }

    #[test]
    fn upgrades_pick_markers_the_users_text_cannot_be_taken_for() {
        // A conflict the user committed unresolved, then a real conflict below it.
        let base = b"x\n<<<<<<< HEAD\n1\n=======\n2\n>>>>>>> topic\ny\n";
        let ours = b"x\n<<<<<<< HEAD\n1\n=======\n2\n>>>>>>> topic\nmine\n";
        let theirs = b"x\n<<<<<<< HEAD\n1\n=======\n2\n>>>>>>> topic\ntheirs\n";
        let out = merge_for_upgrade(base, ours, theirs, &Options::default()).unwrap();
        assert_eq!(out.marker_size, 8);
        assert!(out.ours_has_markers);
        assert_eq!(out.conflicts.len(), 1);
        assert_eq!(out.conflicts[0].lines, Some(7..=11));
        assert_eq!(parse_conflicts(&out.bytes, out.marker_size), out.conflicts);
        // Read at git's size, only the user's own block is seen, never goldpath's.
        let at_seven = parse_conflicts(&out.bytes, 7);
        assert_eq!(at_seven.len(), 1);
        assert_eq!(at_seven[0].lines, Some(2..=6));
    }

    #[test]
    fn styles_by_name() {
        for style in [
            ConflictStyle::Merge,
            ConflictStyle::Diff3,
            ConflictStyle::Zdiff3,
        ] {
            assert_eq!(style.to_string().parse::<ConflictStyle>().unwrap(), style);
        }
        assert_eq!(ConflictStyle::default(), ConflictStyle::Merge);
    }

    #[test]
    fn error_messages() {
        let label = |ours: &str| Options {
            labels: Labels {
                ours: ours.into(),
                ..Labels::default()
            },
            ..Options::default()
        };
        let size = |marker_size| Options {
            marker_size,
            ..Options::default()
        };
        let table: &[(Error, &str)] = &[
            (
                "Diff3".parse::<ConflictStyle>().unwrap_err(),
                "unknown conflict style `Diff3`: expected `merge`, `diff3` or `zdiff3`",
            ),
            (
                merge(b"", b"", b"", &size(0)).unwrap_err(),
                "conflict marker size 0 is out of range: it must be from 1 to 65535",
            ),
            (
                merge_for_upgrade(b"", b"", b"", &size(65536)).unwrap_err(),
                "conflict marker size 65536 is out of range: it must be from 1 to 65535",
            ),
            (
                merge(b"", b"", b"", &label("a\nb")).unwrap_err(),
                "the ours label \"a\\nb\" contains a line break, which a conflict marker line cannot hold",
            ),
            (
                merge(b"", b"", b"", &label("a\0b")).unwrap_err(),
                "the ours label \"a\\0b\" contains a NUL byte, which a conflict marker line cannot hold",
            ),
            (
                Error::NoFreeMarkerSize { from: 7 },
                "every conflict marker size from 7 to 65535 is already used by lines of the files, so conflicts could not be told from text",
            ),
            (
                Error::Engine { message: "failed to merge files".into() },
                "libgit2 could not merge: failed to merge files",
            ),
        ];
        for (error, want) in table {
            assert_eq!(error.to_string(), *want);
        }
    }
}
