//! Laws of the merge that hold for any input, checked with proptest on generated files (see
//! `merge_git` for the generator) and on arbitrary bytes, binary included.

use crate::merge_git::{edited, edits, file};
use goldpath::merge::{self, ConflictStyle, Favor, Options};
use proptest::prelude::*;

fn style() -> impl Strategy<Value = ConflictStyle> {
    prop::sample::select(vec![
        ConflictStyle::Merge,
        ConflictStyle::Diff3,
        ConflictStyle::Zdiff3,
    ])
}

fn favor() -> impl Strategy<Value = Option<Favor>> {
    prop::sample::select(vec![
        None,
        Some(Favor::Ours),
        Some(Favor::Theirs),
        Some(Favor::Union),
    ])
}

fn options(style: ConflictStyle, favor: Option<Favor>) -> Options {
    Options {
        style,
        favor,
        ..Options::default()
    }
}

/// Generated text (edits of a common base, so sides share lines) or, a quarter of the time,
/// arbitrary bytes, NULs and all.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => file(25, true).prop_map(|lines| lines.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// A base and two sides edited from it, with or without marker-like lines, every line ending
/// with a newline (so that no side gets one added before a marker).
fn triple(markers: bool) -> impl Strategy<Value = (Vec<u8>, Vec<u8>, Vec<u8>)> {
    (file(25, markers), edits(markers), edits(markers)).prop_map(|(base, o, t)| {
        (
            base.concat(),
            edited(&base, &o, &[], false),
            edited(&base, &t, &[], false),
        )
    })
}

/// `bytes` with each conflict's lines replaced by `pick(conflict)`.
fn resolve(
    bytes: &[u8],
    conflicts: &[merge::Conflict],
    pick: impl Fn(&merge::Conflict) -> Vec<u8>,
) -> Vec<u8> {
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let mut out = Vec::new();
    let mut next = 1;
    for c in conflicts {
        let range = c.lines.clone().unwrap();
        for line in &lines[next - 1..*range.start() - 1] {
            out.extend_from_slice(line);
        }
        out.extend(pick(c));
        next = range.end() + 1;
    }
    for line in &lines[next - 1..] {
        out.extend_from_slice(line);
    }
    out
}

fn to_crlf(lf: &[u8]) -> Vec<u8> {
    lf.iter()
        .flat_map(|&b| {
            if b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300)
    ))]

    /// A side that did not change gives way to the other; the same change on both sides is
    /// that change. Binary or text, any style, any favoured side.
    #[test]
    fn unchanged_sides_give_way(b in bytes(), x in bytes(), style in style(), favor in favor()) {
        let opts = options(style, favor);
        for (base, ours, theirs) in [(&b, &b, &x), (&b, &x, &b), (&b, &x, &x)] {
            let out = merge::merge(base, ours, theirs, &opts).unwrap();
            prop_assert!(out.is_clean());
            prop_assert_eq!(&out.bytes, &x);
        }
        // The user's file comes through an upgrade untouched when the template did not change.
        let out = merge::merge_for_upgrade(&b, &x, &b, &opts).unwrap();
        prop_assert_eq!(&out.bytes, &x);
    }

    /// With no marker-like text in the inputs, the result holds conflict markers exactly when
    /// conflicts are reported, and reading them back gives exactly the reported conflicts.
    #[test]
    fn markers_appear_exactly_when_conflicts_are_reported(
        (base, ours, theirs) in triple(false),
        style in style(),
        marker_size in 7usize..10,
    ) {
        let opts = Options { marker_size, ..options(style, None) };
        let out = merge::merge(&base, &ours, &theirs, &opts).unwrap();
        prop_assert_eq!(merge::has_conflict_markers(&out.bytes), !out.is_clean());
        prop_assert_eq!(merge::parse_conflicts(&out.bytes, marker_size), out.conflicts);
    }

    /// For the upgrade merge this holds whatever the inputs hold: its markers are chosen so.
    #[test]
    fn upgrade_markers_always_read_back((base, ours, theirs) in triple(true), style in style()) {
        let out = merge::merge_for_upgrade(&base, &ours, &theirs, &options(style, None)).unwrap();
        prop_assert_eq!(merge::parse_conflicts(&out.bytes, out.marker_size), out.conflicts.clone());
        prop_assert!(out.conflicts.iter().all(|c| c.base.is_some() == (style != ConflictStyle::Merge)));
    }

    /// The sides are git's own: taking each conflict's ours (theirs, ours then theirs) in place
    /// of its markers gives exactly what git's `--ours` (`--theirs`, `--union`) merge gives. This
    /// checks each region's lines and sides against git's resolution, independently of the
    /// parser, also where the inputs hold marker-like lines.
    #[test]
    fn the_sides_resolve_like_a_favoured_merge((base, ours, theirs) in triple(true), style in style()) {
        let out = merge::merge(&base, &ours, &theirs, &options(style, None)).unwrap();
        type Pick = fn(&merge::Conflict) -> Vec<u8>;
        let picks: [(Favor, Pick); 3] = [
            (Favor::Ours, |c| c.ours.clone()),
            (Favor::Theirs, |c| c.theirs.clone()),
            (Favor::Union, |c| [c.ours.as_slice(), c.theirs.as_slice()].concat()),
        ];
        for (favor, pick) in picks {
            let favoured = merge::merge(&base, &ours, &theirs, &options(style, Some(favor))).unwrap();
            let resolved = resolve(&out.bytes, &out.conflicts, pick);
            prop_assert_eq!(
                String::from_utf8_lossy(&resolved),
                String::from_utf8_lossy(&favoured.bytes),
                "{:?}", favor
            );
        }
    }

    /// A user's conversion to CRLF (and a BOM) never conflicts with a template change on its
    /// own: the template's new render comes through, in the user's convention.
    #[test]
    fn line_endings_never_conflict_on_their_own(
        (base, _, theirs) in triple(false),
        bom in any::<bool>(),
        style in style(),
    ) {
        // LF renders, each starting with a line of its own so that neither is empty nor starts
        // with a BOM (the generator has a line that starts with one).
        let render = |bytes: &[u8]| {
            let lf = bytes.iter().copied().filter(|&b| b != b'\r');
            b"top\n".iter().copied().chain(lf).collect::<Vec<u8>>()
        };
        let (base, theirs) = (render(&base), render(&theirs));
        let bom: &[u8] = if bom { b"\xef\xbb\xbf" } else { b"" };
        let ours = [bom, &to_crlf(&base)].concat();
        let out = merge::merge_for_upgrade(&base, &ours, &theirs, &options(style, None)).unwrap();
        prop_assert!(out.is_clean());
        prop_assert_eq!(out.bytes, [bom, &to_crlf(&theirs)].concat());
    }
}
