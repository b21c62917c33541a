//! What the `merge` fuzz target checks, kept out of the target so that it also runs on stable:
//! `cargo test` here runs it on seeds and on some thousands of pseudo-random mutations of them.

use goldpath::merge::{self, ConflictStyle, Favor, Labels, Options};

/// Splits the fuzzer's bytes into base, ours and theirs.
const SEPARATOR: &[u8] = b"\xff\xfe";

/// One fuzz input: two bytes of options, then base, ours and theirs separated by [`SEPARATOR`].
struct Input<'a> {
    base: &'a [u8],
    ours: &'a [u8],
    theirs: &'a [u8],
    opts: Options,
}

impl<'a> Input<'a> {
    fn parse(data: &'a [u8]) -> Option<Input<'a>> {
        let (&[settings, size], rest) = data.split_first_chunk::<2>()?;
        let mut parts = split(rest);
        let (base, ours, theirs) = (parts.next()?, parts.next()?, parts.next()?);
        let style = [
            ConflictStyle::Merge,
            ConflictStyle::Diff3,
            ConflictStyle::Zdiff3,
        ][usize::from(settings % 3)];
        let favor = [
            None,
            Some(Favor::Ours),
            Some(Favor::Theirs),
            Some(Favor::Union),
            None,
        ][usize::from(settings / 3 % 5)];
        // Mostly git's size, sometimes any of 1 to 16.
        let marker_size = if size < 160 {
            7
        } else {
            1 + usize::from(size % 16)
        };
        let labels = Labels {
            ours: "ours".into(),
            base: String::new(),
            theirs: "their side".into(),
        };
        let opts = Options {
            style,
            marker_size,
            labels,
            favor,
        };
        Some(Input {
            base,
            ours,
            theirs,
            opts,
        })
    }
}

fn split(mut rest: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let at = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR);
        let (part, next) = match at {
            Some(i) => (&rest[..i], &rest[i + SEPARATOR.len()..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(part)
    })
}

/// Merges the input every way and panics if anything is wrong: a merge with valid options
/// fails, a conflict is not framed by its markers in the result, the upgrade merge does not
/// read back to its conflicts, or an unchanged side does not give way.
pub fn check(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let Input {
        base,
        ours,
        theirs,
        ref opts,
    } = input;
    let binary = merge::is_binary(base) || merge::is_binary(ours) || merge::is_binary(theirs);

    let out = merge::merge(base, ours, theirs, opts).expect("a merge with valid options");
    check_regions(&out, binary);
    if binary && !out.is_clean() {
        assert_eq!(out.bytes, ours, "a binary conflict leaves ours as it is");
    }

    let up = merge::merge_for_upgrade(base, ours, theirs, opts).expect("an upgrade merge");
    check_regions(&up, binary);
    assert!(up.marker_size >= opts.marker_size);
    if !binary {
        assert_eq!(
            merge::parse_conflicts(&up.bytes, up.marker_size),
            up.conflicts,
            "the upgrade merge reads back to its conflicts"
        );
    }

    let same = merge::merge(base, base, theirs, opts).expect("a merge with an unchanged side");
    assert!(same.is_clean());
    assert_eq!(same.bytes, theirs, "an unchanged ours gives way to theirs");

    for bytes in [base, ours, theirs, &out.bytes] {
        merge::has_conflict_markers(bytes);
        merge::parse_conflicts(bytes, opts.marker_size);
    }
}

/// Conflicts are in order, apart, inside the result, and each starts with an opening marker
/// line and ends with a closing one of the outcome's size; binary conflicts have no lines.
fn check_regions(out: &merge::Outcome, binary: bool) {
    if binary {
        assert!(out.conflicts.len() <= 1);
        assert!(out.conflicts.iter().all(|c| c.is_binary()));
        return;
    }
    let lines: Vec<&[u8]> = out.bytes.split_inclusive(|&b| b == b'\n').collect();
    let marker = |line: &[u8], c: u8| {
        line.len() >= out.marker_size
            && line[..out.marker_size].iter().all(|&b| b == c)
            && line
                .get(out.marker_size)
                .is_none_or(|&b| b == b' ' || b == b'\n' || b == b'\r')
    };
    let mut after = 0;
    for c in &out.conflicts {
        let range = c.lines.clone().expect("a text conflict has lines");
        assert!(
            *range.start() > after,
            "conflicts in order and apart: {:?}",
            out.conflicts
        );
        assert!(
            range.end() - range.start() >= 2,
            "at least <, = and > lines"
        );
        assert!(*range.end() <= lines.len(), "inside the result");
        assert!(
            marker(lines[range.start() - 1], b'<'),
            "opens with a marker"
        );
        assert!(marker(lines[range.end() - 1], b'>'), "closes with a marker");
        after = *range.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-made inputs at the edges, each: settings byte, size byte, base, ours, theirs.
    fn seeds() -> Vec<Vec<u8>> {
        let triples: &[(&[u8], &[u8], &[u8])] = &[
            (b"a\nb\nc\n", b"a\nB\nc\n", b"a\nX\nc\n"),
            (b"a\r\nb\r\n", b"a\r\nB\r\n", b"a\nX\n"),
            (b"a\nb", b"a\nB", b"a\nX"),
            (b"", b"x\n", b"y\n"),
            (b"a\n", b"", b"b\n"),
            (b"a\nb\nc\n", b"a\nB\n=======\nc\n", b"a\nX\n>>>>>>>\nc\n"),
            (b"<<<<<<< a\nb\n=======\nc\n>>>>>>> d\n", b"x\n", b"y\n"),
            (b"\0bin", b"\0ours", b"\0theirs"),
            (b"\xef\xbb\xbfa\n", b"a\r\n", b"\xef\xbb\xbfb\n"),
            (b"1\n2\n3\n4\n5\n", b"1\nX\nY\nZ\n5\n", b"1\nX\nQ\nZ\n5\n"),
            (b"a\n;\nb\n", b"A\n;\nB\n", b"C\n;\nD\n"),
        ];
        let mut seeds = Vec::new();
        for (i, (base, ours, theirs)) in triples.iter().enumerate() {
            for settings in [0u8, 1, 2, 3, 7, 11, 14] {
                let size = if i % 2 == 0 { 0 } else { 200 };
                seeds.push(
                    [
                        &[settings, size][..],
                        base,
                        SEPARATOR,
                        ours,
                        SEPARATOR,
                        theirs,
                    ]
                    .concat(),
                );
            }
        }
        seeds
    }

    #[test]
    fn seeds_pass() {
        for seed in seeds() {
            check(&seed);
        }
    }

    /// A stable stand-in for the fuzzer: mutations of the seeds (bytes flipped, inserted,
    /// deleted, spliced from another seed), from a fixed-seed xorshift generator so a failure
    /// can be replayed. `FUZZ_ITERATIONS` sets how many.
    #[test]
    fn mutations_pass() {
        let seeds = seeds();
        let iterations = std::env::var("FUZZ_ITERATIONS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const INTERESTING: &[u8] = b"\n\r\0<|=> a;\xff\xfe";
        for _ in 0..iterations {
            let mut data = seeds[next() as usize % seeds.len()].clone();
            for _ in 0..1 + next() % 8 {
                let at = next() as usize % (data.len() + 1);
                let byte = INTERESTING[next() as usize % INTERESTING.len()];
                match next() % 4 {
                    0 if at < data.len() => data[at] = byte,
                    1 if at < data.len() => {
                        data.remove(at);
                    }
                    2 => {
                        let other = &seeds[next() as usize % seeds.len()];
                        let from = next() as usize % other.len();
                        let len = (next() as usize % 16).min(other.len() - from);
                        data.splice(at..at, other[from..from + len].iter().copied());
                    }
                    _ => data.insert(at, byte),
                }
            }
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(result.is_ok(), "check failed on input {data:?}");
        }
    }
}
