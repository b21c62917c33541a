//! Binary files: detected as git does, never merged line by line.

use super::{Conflict, Favor};

/// How far git looks for a NUL byte (`FIRST_FEW_BYTES` in git's `xdiff-interface.c`).
const SNIFF_LEN: usize = 8000;

/// The largest input libgit2's xdiff will line-merge (`GIT_XDIFF_MAX_SIZE`, 1023 MiB); libgit2
/// treats anything larger as binary, and so must we, or its empty "binary" result would be
/// taken for a merge.
const MAX_TEXT_LEN: usize = 1024 * 1024 * 1023;

/// Whether `bytes` is binary: a NUL byte in its first 8000 bytes, git's own rule (so `.png`s,
/// `.jar`s and UTF-16 text are binary and a UTF-8 file with a BOM is not), or more than 1023 MiB.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(SNIFF_LEN)].contains(&0) || bytes.len() > MAX_TEXT_LEN
}

/// Merges whole files when one of them is binary: the side that changed wins; if both changed,
/// differently, `favor` decides, or else it is one conflict over the whole file and the result is
/// ours unchanged, with no markers written into it. Returns the result and its conflicts.
///
/// `Favor::Union` cannot concatenate binary files meaningfully, so it leaves the conflict, as
/// libgit2 does.
pub(super) fn merge(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    favor: Option<Favor>,
) -> (Vec<u8>, Vec<Conflict>) {
    if ours == theirs || theirs == base {
        return (ours.to_vec(), Vec::new());
    }
    if ours == base {
        return (theirs.to_vec(), Vec::new());
    }
    match favor {
        Some(Favor::Ours) => (ours.to_vec(), Vec::new()),
        Some(Favor::Theirs) => (theirs.to_vec(), Vec::new()),
        Some(Favor::Union) | None => {
            let conflict = Conflict {
                lines: None,
                ours: ours.to_vec(),
                base: Some(base.to_vec()),
                theirs: theirs.to_vec(),
            };
            (ours.to_vec(), vec![conflict])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_binary_like_git() {
        let late_nul = [vec![b'a'; SNIFF_LEN], vec![0]].concat();
        let table: &[(&[u8], bool)] = &[
            (b"", false),
            (b"plain text\n", false),
            (b"\xEF\xBB\xBFwith a BOM\n", false),
            (b"caf\xE9 latin-1\n", false),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", true),
            // UTF-16: every ASCII character has a NUL byte beside it.
            (b"\xFF\xFEa\0b\0", true),
            (b"\0", true),
            // Only the first 8000 bytes count, as in git.
            (&late_nul, false),
            (&late_nul[1..], true),
        ];
        for (bytes, want) in table {
            assert_eq!(
                is_binary(bytes),
                *want,
                "{:?}",
                &bytes[..bytes.len().min(20)]
            );
        }
    }

    #[test]
    fn whole_file_resolution() {
        let (b, o, t): (&[u8], &[u8], &[u8]) = (b"\0base", b"\0ours", b"\0theirs");
        /// Base, ours, theirs, favor, result, conflicted.
        type Row<'a> = (&'a [u8], &'a [u8], &'a [u8], Option<Favor>, &'a [u8], bool);
        let table: &[Row] = &[
            (b, b, t, None, t, false),
            (b, o, b, None, o, false),
            (b, o, o, None, o, false),
            (b, o, t, None, o, true),
            (b, o, t, Some(Favor::Ours), o, false),
            (b, o, t, Some(Favor::Theirs), t, false),
            (b, o, t, Some(Favor::Union), o, true),
        ];
        for (base, ours, theirs, favor, want, conflicted) in table {
            let (bytes, conflicts) = merge(base, ours, theirs, *favor);
            assert_eq!(bytes, *want, "{favor:?}");
            assert_eq!(!conflicts.is_empty(), *conflicted, "{favor:?}");
        }
        let (_, conflicts) = merge(b, o, t, None);
        assert_eq!(conflicts.len(), 1);
        assert!(conflicts[0].is_binary());
        assert_eq!(conflicts[0].ours, o);
        assert_eq!(conflicts[0].base.as_deref(), Some(b));
        assert_eq!(conflicts[0].theirs, t);
    }
}
