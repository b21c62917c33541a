//! Conflict markers read back from text, and the marker sizes that keep them unambiguous.
//!
//! Writing markers is libgit2's job (it is git's own xdiff code, so the bytes are git's). Reading
//! them back is ours: `upgrade --continue` and `check` must tell whether a file still holds
//! conflicts, and [`super::merge`] turns the markers it just had written into [`Conflict`] data.
//!
//! A *marker line* of size `n` is, as in git's own parser (`is_cmarker` in `rerere.c`), exactly
//! `n` copies of one of `<`, `|`, `=`, `>` at the start of a line, followed by whitespace (the
//! label's space, or the line end) or the end of the file. A line of eight `=` is therefore not a
//! size-7 marker, and `======= x` is.
//!
//! A *block* is well formed only as git writes it:
//!
//! ```text
//! <<<<<<< ours label       <- opens
//! ours lines
//! ||||||| base label       <- only in diff3 and zdiff3 styles
//! base lines
//! =======
//! theirs lines
//! >>>>>>> theirs label     <- closes
//! ```
//!
//! Marker lines outside that order (a Markdown heading underlined with `=======`, a stray
//! `>>>>>>>` quote, a block that never closes) are text, not conflicts.

use super::{Conflict, DEFAULT_MARKER_SIZE};

/// What a marker line says, by its character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    Ours,
    Base,
    Separator,
    Theirs,
}

impl Marker {
    fn of(byte: u8) -> Option<Marker> {
        match byte {
            b'<' => Some(Marker::Ours),
            b'|' => Some(Marker::Base),
            b'=' => Some(Marker::Separator),
            b'>' => Some(Marker::Theirs),
            _ => None,
        }
    }
}

/// C's `isspace`, which git's marker test uses: unlike `u8::is_ascii_whitespace`, it includes
/// the vertical tab.
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// If `line` looks like a marker of some size, the marker and that size (the run's length).
fn marker_like(line: &[u8]) -> Option<(Marker, usize)> {
    let first = *line.first()?;
    let marker = Marker::of(first)?;
    let run = line.iter().take_while(|&&b| b == first).count();
    match line.get(run) {
        None => Some((marker, run)),
        Some(&b) if is_c_space(b) => Some((marker, run)),
        Some(_) => None,
    }
}

/// The marker `line` is at exactly `size`, if any.
#[cfg(test)]
fn marker_at(line: &[u8], size: usize) -> Option<Marker> {
    match marker_like(line) {
        Some((marker, run)) if run == size => Some(marker),
        _ => None,
    }
}

/// Lines with their terminators, so that joining them gives the bytes back.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split_inclusive(|&b| b == b'\n')
}

/// A line that looks like a marker: where it starts in the bytes, what it says, and its size.
#[derive(Clone, Copy, Debug)]
pub(super) struct MarkerLine {
    start: usize,
    marker: Marker,
    pub(super) size: usize,
}

/// Every line of `bytes` that looks like a marker of size `min_size` or more, in order.
pub(super) fn marker_lines(bytes: &[u8], min_size: usize) -> Vec<MarkerLine> {
    let mut found = Vec::new();
    for_each_marker_char_line(bytes, |start| {
        if let Some((marker, size)) = marker_like(&bytes[start..]) {
            if size >= min_size {
                found.push(MarkerLine {
                    start,
                    marker,
                    size,
                });
            }
        }
    });
    found
}

/// Calls `f` with the start of each line of `bytes` that starts with a marker character (`<`,
/// `|`, `=`, `>`), in order.
///
/// Every merge scans its inputs and its result for marker lines, so this is one pass that
/// looks at 64 bytes at a time with a loop the compiler turns into vector compares (SSE2, which
/// every x86-64 has, so there is no run-time CPU check: those cost a process 50 µs in a VM),
/// and walks byte by byte only the rare window with a hit. Walking line by line with `memchr`
/// was a sixth of the instructions of a 10,000-line merge.
fn for_each_marker_char_line(bytes: &[u8], mut f: impl FnMut(usize)) {
    // The first line has no newline before it.
    if bytes.first().is_some_and(|&b| is_marker_char(b)) {
        f(0);
    }
    // Byte `i` starts a line if byte `i - 1` is a newline, so each window holds the byte before
    // its starts: the window at `from` covers the starts `from + 1 ..= from + WINDOW`.
    let mut from = 0;
    while from + WINDOW < bytes.len() {
        let before: &[u8; WINDOW] = bytes[from..from + WINDOW].try_into().expect("a window");
        let first: &[u8; WINDOW] = bytes[from + 1..][..WINDOW].try_into().expect("a window");
        if any_marker_line_start(before, first) {
            for j in 0..WINDOW {
                if starts_marker_line(before[j], first[j]) {
                    f(from + j + 1);
                }
            }
        }
        from += WINDOW;
    }
    for j in from..bytes.len().saturating_sub(1) {
        if starts_marker_line(bytes[j], bytes[j + 1]) {
            f(j + 1);
        }
    }
}

/// How many line starts one window covers.
const WINDOW: usize = 64;

fn is_marker_char(b: u8) -> bool {
    // `<`, `=` and `>` are consecutive; written without branches so that it vectorises.
    (b.wrapping_sub(b'<') < 3) | (b == b'|')
}

/// Whether the byte after `before` starts a line with a marker character.
fn starts_marker_line(before: u8, first: u8) -> bool {
    (before == b'\n') & is_marker_char(first)
}

/// Whether for some `j`, `before[j]` is a newline and `first[j]` a marker character (the same
/// bytes one apart). A fixed-size loop with no early exit over two arrays, which the compiler
/// turns into plain vector loads and compares (53 instructions for 64 bytes with SSE2; read as
/// one 65-byte array, it shifted vectors into place instead and took 71).
#[inline]
fn any_marker_line_start(before: &[u8; WINDOW], first: &[u8; WINDOW]) -> bool {
    let mut any = 0u8;
    for j in 0..WINDOW {
        any |= u8::from(before[j] == b'\n') & u8::from(is_marker_char(first[j]));
    }
    any != 0
}

/// The largest marker size libgit2 can write (its option is a `u16`).
pub(super) const MAX_MARKER_SIZE: usize = u16::MAX as usize;

/// The smallest marker size `>= from` at which no line of `inputs` looks like a marker, so that
/// every marker line of a merge of them at that size was written by the merge. `None` only if
/// every size up to [`MAX_MARKER_SIZE`] is taken, which needs inputs of gigabytes.
///
/// Any size not taken will do, not only a larger one: a line of ten `=` is not a marker at size 8.
pub(super) fn free_marker_size(inputs: &[&[u8]], from: usize) -> Option<usize> {
    let marks: Vec<MarkerLine> = inputs
        .iter()
        .flat_map(|input| marker_lines(input, from))
        .collect();
    free_size(&marks, from)
}

/// The smallest marker size `>= from` that none of `marks` has.
pub(super) fn free_size(marks: &[MarkerLine], from: usize) -> Option<usize> {
    let taken: std::collections::BTreeSet<usize> = marks.iter().map(|m| m.size).collect();
    (from..=MAX_MARKER_SIZE).find(|size| !taken.contains(size))
}

/// The conflict blocks written with markers of `marker_size` in `bytes`, in order.
///
/// Each comes back as a [`ParsedConflict`](super::ParsedConflict): its 1-based line range (from
/// the `<<<<<<<` line to the `>>>>>>>` line) and the bytes of its sides as written, `base` being
/// `None` for a merge-style block (no `|||||||` section). Marker lines that are not part of a
/// well-formed block are text and are skipped; see the module documentation for the grammar.
///
/// Marker lines inside a side cannot be told from real ones: a file merged with markers the
/// size of lines already in it may parse wrongly. [`super::merge_for_upgrade`] chooses a marker
/// size no input line has, so its output always parses back to its conflicts.
pub fn parse_conflicts(bytes: &[u8], marker_size: usize) -> Vec<Conflict> {
    let marks = marker_lines(bytes, marker_size);
    blocks(bytes, &marks, marker_size)
}

/// The well-formed blocks that the marker lines `marks` (of `bytes`, in order) of exactly
/// `marker_size` make.
fn blocks(bytes: &[u8], marks: &[MarkerLine], marker_size: usize) -> Vec<Conflict> {
    let mut found = Vec::new();
    // Newlines before `counted`, to number lines without counting any byte twice.
    let (mut counted, mut newlines) = (0, 0);
    let mut line_of = |start: usize| {
        newlines += count_lines(&bytes[counted..start]);
        counted = start;
        newlines + 1
    };
    // The block being read: its opening line (1-based), sides so far, the section the text
    // after the last marker belongs to (`Separator` standing for theirs), and where that text
    // starts.
    let mut open: Option<(usize, Conflict, Marker)> = None;
    let mut text_from = 0;
    for mark in marks.iter().filter(|m| m.size == marker_size) {
        let text = &bytes[text_from..mark.start];
        text_from = line_end(bytes, mark.start);
        let Some((start, mut conflict, section)) = open.take() else {
            if mark.marker == Marker::Ours {
                open = Some((line_of(mark.start), empty_conflict(), Marker::Ours));
            }
            continue;
        };
        match section {
            Marker::Ours => conflict.ours.extend_from_slice(text),
            Marker::Base => conflict
                .base
                .get_or_insert_with(Vec::new)
                .extend_from_slice(text),
            _ => conflict.theirs.extend_from_slice(text),
        }
        open = match (section, mark.marker) {
            // An opening marker inside a block: the earlier one was text; start again here.
            (_, Marker::Ours) => Some((line_of(mark.start), empty_conflict(), Marker::Ours)),
            (Marker::Ours, Marker::Base) => {
                conflict.base = Some(Vec::new());
                Some((start, conflict, Marker::Base))
            }
            (Marker::Ours | Marker::Base, Marker::Separator) => {
                Some((start, conflict, Marker::Separator))
            }
            (Marker::Separator, Marker::Theirs) => {
                conflict.lines = Some(start..=line_of(mark.start));
                found.push(conflict);
                None
            }
            // Any other marker out of order: not a block after all.
            _ => None,
        };
    }
    found
}

/// Where the line starting at `start` ends, its newline included.
fn line_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| start + i + 1)
}

fn empty_conflict() -> Conflict {
    Conflict {
        lines: None,
        ours: Vec::new(),
        base: None,
        theirs: Vec::new(),
    }
}

/// Whether `bytes` holds at least one well-formed conflict block with markers of any size from
/// git's default of 7 up, as left by git, goldpath or any tool that writes git's markers with a
/// longer `--marker-size`. A lone `=======` (a Markdown underline) or `<<<<<<<` is not enough.
pub fn has_conflict_markers(bytes: &[u8]) -> bool {
    has_blocks(bytes, &marker_lines(bytes, DEFAULT_MARKER_SIZE))
}

/// [`has_conflict_markers`] for `bytes` whose marker lines are `marks` (found from any size up
/// to 7, so that a merge can find them once for this and for [`free_size`]).
pub(super) fn has_blocks(bytes: &[u8], marks: &[MarkerLine]) -> bool {
    blocks_of_every_size(bytes, marks).any(|(_, blocks)| !blocks.is_empty())
}

/// Every well-formed conflict block of `bytes`, of every marker size from git's default of 7
/// up, with its size: smaller sizes first, and in order within a size.
pub fn conflicts_of_every_size(bytes: &[u8]) -> Vec<(usize, Conflict)> {
    let marks = marker_lines(bytes, DEFAULT_MARKER_SIZE);
    blocks_of_every_size(bytes, &marks)
        .flat_map(|(size, blocks)| blocks.into_iter().map(move |c| (size, c)))
        .collect()
}

/// For each size of an opening marker among `marks` (7 or more), the blocks of that size.
fn blocks_of_every_size<'a>(
    bytes: &'a [u8],
    marks: &'a [MarkerLine],
) -> impl Iterator<Item = (usize, Vec<Conflict>)> + 'a {
    let sizes: std::collections::BTreeSet<usize> = marks
        .iter()
        .filter(|m| m.marker == Marker::Ours && m.size >= DEFAULT_MARKER_SIZE)
        .map(|m| m.size)
        .collect();
    sizes
        .into_iter()
        .map(move |size| (size, blocks(bytes, marks, size)))
}

/// Which sides' marker lines need a label written in (see [`label_empty_sides`]).
pub(super) struct EmptySides<'a> {
    pub ours: Option<&'a str>,
    pub base: Option<&'a str>,
    pub theirs: Option<&'a str>,
}

/// Puts the labels of empty inputs back on their marker lines.
///
/// libgit2 passes a label to xdiff only for a non-empty input, so where git writes
/// `<<<<<<< ours` for an empty ours, libgit2 writes a bare `<<<<<<<` (likewise `|||||||` for an
/// empty base and `>>>>>>>` for an empty theirs). `conflicts` locate the marker lines exactly,
/// so no content line is touched; each keeps its own line ending.
pub(super) fn label_empty_sides(
    bytes: Vec<u8>,
    conflicts: &[Conflict],
    marker_size: usize,
    empty: &EmptySides<'_>,
) -> Vec<u8> {
    // 1-based line number -> label to add.
    let mut labels = std::collections::BTreeMap::new();
    for c in conflicts {
        let Some(range) = &c.lines else { continue };
        if let Some(label) = empty.ours {
            labels.insert(*range.start(), label);
        }
        if let (Some(label), Some(_)) = (empty.base, &c.base) {
            labels.insert(range.start() + 1 + count_lines(&c.ours), label);
        }
        if let Some(label) = empty.theirs {
            labels.insert(*range.end(), label);
        }
    }
    if labels.is_empty() {
        return bytes;
    }
    let mut out =
        Vec::with_capacity(bytes.len() + labels.values().map(|l| l.len() + 1).sum::<usize>());
    for (n, line) in lines(&bytes).enumerate() {
        match labels.get(&(n + 1)) {
            Some(label) => {
                out.extend_from_slice(&line[..marker_size]);
                out.push(b' ');
                out.extend_from_slice(label.as_bytes());
                out.extend_from_slice(&line[marker_size..]);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// Newlines in `bytes`: the lines of a side as written between markers (always
/// newline-terminated), or the lines before a marker.
///
/// Counted 255 bytes at a time into a `u8`, which the compiler turns into wide vector adds;
/// a plain `filter().count()` adds into a `usize` per byte and cost ten times as much when
/// numbering the conflicts of a large merge.
fn count_lines(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n'))) as usize
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(
        lines: std::ops::RangeInclusive<usize>,
        ours: &str,
        base: Option<&str>,
        theirs: &str,
    ) -> Conflict {
        Conflict {
            lines: Some(lines),
            ours: ours.into(),
            base: base.map(Into::into),
            theirs: theirs.into(),
        }
    }

    #[test]
    fn lines_that_are_markers() {
        // (line, size, marker at that size)
        let table: &[(&str, usize, Option<Marker>)] = &[
            ("<<<<<<< ours\n", 7, Some(Marker::Ours)),
            ("<<<<<<<\n", 7, Some(Marker::Ours)),
            ("<<<<<<<", 7, Some(Marker::Ours)),
            ("<<<<<<<\r\n", 7, Some(Marker::Ours)),
            ("<<<<<<<\tx\n", 7, Some(Marker::Ours)),
            ("|||||||| base\n", 8, Some(Marker::Base)),
            ("=======\n", 7, Some(Marker::Separator)),
            ("======= x\n", 7, Some(Marker::Separator)),
            (">>>>>>> theirs\n", 7, Some(Marker::Theirs)),
            // Eight `=` are not a size-7 marker; a letter straight after the run is no marker.
            ("========\n", 7, None),
            ("<<<<<<<x\n", 7, None),
            ("<<<<<<< ours\n", 8, None),
            (" <<<<<<< ours\n", 7, None),
            ("<<<=<<< ours\n", 7, None),
            ("", 7, None),
        ];
        for (line, size, want) in table {
            assert_eq!(
                marker_at(line.as_bytes(), *size),
                *want,
                "{line:?} at {size}"
            );
        }
    }

    #[test]
    fn parses_each_style() {
        // (text, blocks found)
        let table: &[(&str, Vec<Conflict>)] = &[
            (
                "a\n<<<<<<< ours\nB\n=======\nX\n>>>>>>> theirs\nc\n",
                vec![conflict(2..=6, "B\n", None, "X\n")],
            ),
            (
                "<<<<<<< ours\nB\n||||||| base\nb\n=======\nX\n>>>>>>> theirs\n",
                vec![conflict(1..=7, "B\n", Some("b\n"), "X\n")],
            ),
            // Empty sides, an empty base section, CRLF markers.
            (
                "<<<<<<<\r\n|||||||\r\n=======\r\nX\r\n>>>>>>>\r\n",
                vec![conflict(1..=5, "", Some(""), "X\r\n")],
            ),
            // Two blocks, numbered in the whole file.
            (
                "<<<<<<< a\n1\n=======\n2\n>>>>>>> b\nmid\n<<<<<<< a\n3\n=======\n4\n>>>>>>> b\n",
                vec![
                    conflict(1..=5, "1\n", None, "2\n"),
                    conflict(7..=11, "3\n", None, "4\n"),
                ],
            ),
            // The last marker without a final newline still closes the block.
            (
                "<<<<<<<\nB\n=======\nX\n>>>>>>>",
                vec![conflict(1..=5, "B\n", None, "X\n")],
            ),
        ];
        for (text, want) in table {
            assert_eq!(&parse_conflicts(text.as_bytes(), 7), want, "{text:?}");
        }
    }

    #[test]
    fn ignores_what_only_looks_like_markers() {
        let table: &[&str] = &[
            // A Markdown heading underlined with exactly seven `=`.
            "Title\n=======\n\ntext\n",
            // Opened, never closed.
            "<<<<<<< ours\nB\n=======\nX\n",
            // Closed without a separator.
            "<<<<<<< ours\nB\n>>>>>>> theirs\n",
            // Two separators.
            "<<<<<<< ours\nB\n=======\nX\n=======\nY\n>>>>>>> theirs\n",
            // The base section after the separator.
            "<<<<<<< ours\nB\n=======\n||||||| base\nX\n>>>>>>> theirs\n",
            // Quoted e-mail and shell heredoc lookalikes.
            ">>>>>>> quoted\n<<<<<<<EOF\n",
        ];
        for text in table {
            assert_eq!(parse_conflicts(text.as_bytes(), 7), vec![], "{text:?}");
            assert!(!has_conflict_markers(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn reads_only_the_size_asked_for() {
        let text = b"<<<<<<<< ours\nB\n========\nX\n>>>>>>>> theirs\n";
        assert_eq!(parse_conflicts(text, 7), vec![]);
        assert_eq!(
            parse_conflicts(text, 8),
            vec![conflict(1..=5, "B\n", None, "X\n")]
        );
    }

    #[test]
    fn a_broken_block_does_not_hide_the_next() {
        let text = "<<<<<<< stray\nx\n<<<<<<< ours\nB\n=======\nX\n>>>>>>> theirs\n\
                    >>>>>>> stray\n<<<<<<< ours\nC\n=======\nY\n>>>>>>> theirs\n";
        assert_eq!(
            parse_conflicts(text.as_bytes(), 7),
            vec![
                conflict(3..=7, "B\n", None, "X\n"),
                conflict(9..=13, "C\n", None, "Y\n")
            ]
        );
    }

    #[test]
    fn detects_blocks_of_any_size_from_seven() {
        let block = |n: usize| {
            format!(
                "{} a\nB\n{}\nX\n{} b\n",
                "<".repeat(n),
                "=".repeat(n),
                ">".repeat(n)
            )
        };
        assert!(!has_conflict_markers(block(6).as_bytes()));
        for n in [7, 8, 12, 40] {
            assert!(has_conflict_markers(block(n).as_bytes()), "size {n}");
        }
        // Mixed sizes within one block are not a block.
        assert!(!has_conflict_markers(
            b"<<<<<<< a\nB\n========\nX\n>>>>>>> b\n"
        ));
    }

    #[test]
    fn conflicts_of_every_size_come_with_their_size() {
        let text = "<<<<<<<< a\nB\n========\nX\n>>>>>>>> b\n\
                    <<<<<< short\nno\n======\nno\n>>>>>> short\n\
                    <<<<<<< a\nC\n=======\nY\n>>>>>>> b\n";
        assert_eq!(
            conflicts_of_every_size(text.as_bytes()),
            vec![
                (7, conflict(11..=15, "C\n", None, "Y\n")),
                (8, conflict(1..=5, "B\n", None, "X\n")),
            ]
        );
    }

    #[test]
    fn free_sizes_skip_only_sizes_in_use() {
        // (inputs, from, free size)
        let table: &[(&[&str], usize, Option<usize>)] = &[
            (&["a\nb\n"], 7, Some(7)),
            (&["Title\n=======\n"], 7, Some(8)),
            (&["<<<<<<< HEAD\n", "|||||||| x\n"], 7, Some(9)),
            // Ten `=` do not stop size 8, nor does a longer line that is not a marker.
            (&["=======\n==========\n", "========x\n"], 7, Some(8)),
            (&["=======\n"], 3, Some(3)),
            (&["a"], MAX_MARKER_SIZE, Some(MAX_MARKER_SIZE)),
        ];
        for (inputs, from, want) in table {
            let inputs: Vec<&[u8]> = inputs.iter().map(|s| s.as_bytes()).collect();
            assert_eq!(
                free_marker_size(&inputs, *from),
                *want,
                "{inputs:?} from {from}"
            );
        }
        let full = format!("{}\n", "=".repeat(MAX_MARKER_SIZE));
        assert_eq!(free_marker_size(&[full.as_bytes()], MAX_MARKER_SIZE), None);
    }

    /// The marker lines of `bytes` found the plain way: every line, one at a time.
    fn marker_lines_by_walking(bytes: &[u8], min_size: usize) -> Vec<(usize, Marker, usize)> {
        let mut start = 0;
        let mut found = Vec::new();
        for line in lines(bytes) {
            if let Some((marker, size)) = marker_like(line) {
                if size >= min_size {
                    found.push((start, marker, size));
                }
            }
            start += line.len();
        }
        found
    }

    proptest::proptest! {
        /// The block scan finds exactly the marker lines a line-by-line walk finds, wherever
        /// they fall against its 32-byte windows (texts of up to 300 bytes cross several).
        #[test]
        fn the_block_scan_finds_what_a_line_walk_finds(
            text in proptest::collection::vec(
                proptest::sample::select(b"<<<|=>>\n\n\n\r x".to_vec()), 0..300),
            min_size in 1usize..9,
        ) {
            let scanned: Vec<(usize, Marker, usize)> = marker_lines(&text, min_size)
                .iter()
                .map(|m| (m.start, m.marker, m.size))
                .collect();
            proptest::prop_assert_eq!(scanned, marker_lines_by_walking(&text, min_size));
        }
    }

    #[test]
    fn the_scan_sees_a_marker_at_every_offset() {
        // One size-7 marker line starting at each offset across three windows, with and
        // without a line ending and label after it.
        for at in 0..100 {
            for tail in ["", "\n", " x\n"] {
                let mut text = vec![b'a'; at];
                if let Some(last) = text.last_mut() {
                    *last = b'\n';
                }
                text.extend_from_slice(b"=======");
                text.extend_from_slice(tail.as_bytes());
                let found: Vec<(usize, usize)> = marker_lines(&text, 7)
                    .iter()
                    .map(|m| (m.start, m.size))
                    .collect();
                assert_eq!(found, vec![(at, 7)], "marker at {at} followed by {tail:?}");
            }
        }
    }

    #[test]
    fn labels_go_back_on_empty_sides_only() {
        let text = "<<<<<<<\r\n||||||| base\r\nb\r\n=======\r\n>>>>>>>\r\nc\n";
        let conflicts = parse_conflicts(text.as_bytes(), 7);
        let empty = EmptySides {
            ours: Some("mine"),
            base: None,
            theirs: Some(""),
        };
        let out = label_empty_sides(text.as_bytes().to_vec(), &conflicts, 7, &empty);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<<<<<<< mine\r\n||||||| base\r\nb\r\n=======\r\n>>>>>>> \r\nc\n"
        );
    }
}
