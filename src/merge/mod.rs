//! Three-way text merge: git's merge, with conflicts as data and markers at the edge.
//!
//! [`merge`] is `git merge-file`, byte for byte: the line merge is git's own xdiff code, run by
//! libgit2 ([`engine`] says why that one). Around it, goldpath owns:
//!
//! - binary files ([`is_binary`], git's rule), which are never line-merged: a whole-file
//!   conflict unless a side is unchanged, and never a marker written into them;
//! - conflicts as data: every [`Conflict`] with its line range in the result and its sides, read
//!   from the markers git wrote, so callers never parse text themselves;
//! - the marker parser ([`parse_conflicts`], [`has_conflict_markers`]), for `upgrade --continue`
//!   and `check` to tell whether a file still holds conflicts;
//! - [`merge_for_upgrade`], which first puts the template's renders in the user's line-ending
//!   convention and picks markers that cannot be confused with the file's own text.
//!
//! The module reads and writes no files and prints nothing.

mod binary;
mod engine;
mod eol;
mod markers;

pub use binary::is_binary;
pub use markers::{has_conflict_markers, parse_conflicts};

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
            marker_size: 7,
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
    let ours_has_markers = has_conflict_markers(ours);
    if merged.clean {
        return Ok(Outcome {
            bytes: merged.bytes,
            conflicts: Vec::new(),
            marker_size,
            ours_has_markers,
        });
    }
    // libgit2 says only that there were conflicts; where they are, the markers say. They can be
    // read from the result itself unless an input line looks like a marker of this size. Then
    // the same merge with markers of a size no input line has gives the same lines, the same
    // regions and the same sides, with markers that cannot be mistaken.
    let inputs = [base, ours, theirs];
    let parse_size = markers::free_marker_size(&inputs, marker_size)
        .ok_or(Error::NoFreeMarkerSize { from: marker_size })?;
    let conflicts = if parse_size == marker_size {
        parse_conflicts(&merged.bytes, marker_size)
    } else {
        // `parse_size` comes from `free_marker_size`, which stays within u16.
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
