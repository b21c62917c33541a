//! A file's line-ending convention, so an upgrade can render in the user's.
//!
//! Templates render with LF, no BOM, and whatever final newline the template has. A user on
//! Windows may have converted the file to CRLF, an editor may have added a BOM or dropped the
//! final newline. Line-merged as they are, every line would differ and the whole file would be
//! one conflict. [`super::merge_for_upgrade`] therefore rewrites both renders (the old one, the
//! base, and the new one, theirs) in the user's convention before merging: the template's real
//! changes still show, line endings never conflict on their own, and the result keeps the
//! user's convention.

use std::borrow::Cow;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The parts of a text file's form that are a convention rather than content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Convention {
    /// CRLF (`true`) or LF (`false`) line endings; `None` when neither is in the majority
    /// (no line ends at all, or as many of each), so the renders' endings are left as they are.
    crlf: Option<bool>,
    /// Whether the last line ends with a line ending.
    final_newline: bool,
    /// Whether the file starts with a UTF-8 byte-order mark.
    bom: bool,
}

impl Convention {
    /// The convention of `bytes`, or `None` for an empty file, which shows no convention to
    /// follow.
    ///
    /// Line endings go by majority, so a CRLF file with a few stray LF lines still counts as CRLF:
    /// the renders then match its CRLF lines, and its LF lines read as the user's own edits (kept
    /// unless the template changed the same lines).
    pub(super) fn of(bytes: &[u8]) -> Option<Convention> {
        if bytes.is_empty() {
            return None;
        }
        let (mut crlf, mut lf) = (0usize, 0usize);
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                if i > 0 && bytes[i - 1] == b'\r' {
                    crlf += 1;
                } else {
                    lf += 1;
                }
            }
        }
        Some(Convention {
            crlf: match crlf.cmp(&lf) {
                std::cmp::Ordering::Greater => Some(true),
                std::cmp::Ordering::Less => Some(false),
                std::cmp::Ordering::Equal => None,
            },
            final_newline: bytes.ends_with(b"\n"),
            bom: bytes.starts_with(BOM),
        })
    }

    /// `text` rewritten in this convention: BOM added or removed, every line ending made CRLF or
    /// LF, the final newline added or removed. An empty `text` stays empty (a BOM alone or a lone
    /// newline would be content the template never had). Lone CRs are not line endings (git
    /// splits lines at LF only) and are left alone.
    pub(super) fn apply<'a>(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        if text.is_empty() {
            return Cow::Borrowed(text);
        }
        let body = text.strip_prefix(BOM).unwrap_or(text);
        let mut out = match self.crlf {
            Some(true) => to_crlf(body),
            Some(false) => to_lf(body),
            None => body.to_vec(),
        };
        if self.final_newline && !out.ends_with(b"\n") {
            // Follow the file's endings; with no majority, the render's own last one.
            let crlf = self.crlf.unwrap_or_else(|| {
                let last = out.iter().rposition(|&b| b == b'\n');
                last.is_some_and(|i| i > 0 && out[i - 1] == b'\r')
            });
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        } else if !self.final_newline && out.ends_with(b"\n") {
            out.pop();
            if out.ends_with(b"\r") {
                out.pop();
            }
        }
        if self.bom {
            out.splice(0..0, BOM.iter().copied());
        }
        if out == text {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(out)
        }
    }
}

fn to_crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32);
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' && (i == 0 || text[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn to_lf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for (i, &b) in text.iter().enumerate() {
        if b == b'\r' && text.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_conventions() {
        let conv = |crlf, final_newline, bom| {
            Some(Convention {
                crlf,
                final_newline,
                bom,
            })
        };
        let table: &[(&[u8], Option<Convention>)] = &[
            (b"", None),
            (b"a\nb\n", conv(Some(false), true, false)),
            (b"a\r\nb\r\n", conv(Some(true), true, false)),
            (b"a\r\nb\r\nc\nd", conv(Some(true), false, false)),
            (b"a\r\nb\n", conv(None, true, false)),
            (b"one line", conv(None, false, false)),
            (b"\xEF\xBB\xBFa\r\n", conv(Some(true), true, true)),
            // A lone CR is no line ending.
            (b"a\rb\rc\n", conv(Some(false), true, false)),
        ];
        for (bytes, want) in table {
            assert_eq!(
                Convention::of(bytes),
                *want,
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn rewrites_renders_in_the_users_convention() {
        // (user's file, render, render as rewritten)
        let table: &[(&str, &str, &str)] = &[
            ("x\r\ny\r\n", "a\nb\n", "a\r\nb\r\n"),
            ("x\ny\n", "a\r\nb\r\n", "a\nb\n"),
            ("x\r\ny", "a\nb\n", "a\r\nb"),
            ("x\ny", "a\nb\n\n", "a\nb\n"),
            ("x\r\ny\r\n", "a\nb", "a\r\nb\r\n"),
            ("\u{feff}x\n", "a\n", "\u{feff}a\n"),
            ("x\n", "\u{feff}a\n", "a\n"),
            // Mixed endings in the render become the user's.
            ("x\r\n", "a\r\nb\nc\n", "a\r\nb\r\nc\r\n"),
            // No majority: the render keeps its endings; a missing final one follows its own.
            ("x\r\ny\n", "a\r\nb", "a\r\nb\r\n"),
            ("x\r\ny\n", "a\nb", "a\nb\n"),
            // Lone CRs stay.
            ("x\r\n", "a\rb\n", "a\rb\r\n"),
            // Empty renders stay empty.
            ("\u{feff}x\r\n", "", ""),
        ];
        for (user, render, want) in table {
            let conv = Convention::of(user.as_bytes()).unwrap();
            let got = conv.apply(render.as_bytes());
            assert_eq!(
                String::from_utf8_lossy(&got),
                *want,
                "{user:?} <- {render:?}"
            );
        }
    }

    #[test]
    fn leaves_a_render_already_in_convention_borrowed() {
        let conv = Convention::of(b"x\r\n").unwrap();
        assert!(matches!(conv.apply(b"a\r\nb\r\n"), Cow::Borrowed(_)));
    }
}
