//! Diffs as `git diff` prints them (`goldpath diff`, drift reports).

use crate::tree::File;
use std::path::Path;

/// The diff from `old` to `new` as `git diff` prints it: git's `old mode`/`new mode` lines when
/// one is executable and the other not (after a `diff --git` line, without which `git apply`
/// ignores them), then the content's [`unified_diff`] if the bytes differ. Empty if neither
/// differs.
pub fn file_diff(path: &str, old: &File, new: &File) -> String {
    let content = if old.bytes == new.bytes {
        String::new()
    } else {
        unified_diff(path, &old.bytes, &new.bytes)
    };
    if old.executable == new.executable || !crate::tree::MODES_KNOWN {
        return content;
    }
    let mode = |file: &File| if file.executable { "100755" } else { "100644" };
    format!(
        "diff --git {} {}\nold mode {}\nnew mode {}\n{content}",
        quoted(&format!("a/{path}")),
        quoted(&format!("b/{path}")),
        mode(old),
        mode(new)
    )
}

/// A path as git writes it in a diff header: as it is, or, if it holds a double quote, a
/// backslash, a control character or a byte outside ASCII, in double quotes with C escapes
/// (git's `quote_c_style` with `core.quotePath` on, its default), which `git apply` reads back.
fn quoted(path: &str) -> String {
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
    if path.bytes().all(plain) {
        return path.to_string();
    }
    let mut out = String::from("\"");
    for b in path.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\x07' => out.push_str("\\a"),
            b'\x08' => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\x0b' => out.push_str("\\v"),
            b'\x0c' => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b if plain(b) => out.push(char::from(b)),
            b => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('"');
    out
}

/// A unified diff (`--- a/PATH`, `+++ b/PATH`, 3 lines of context) from `old` to `new`, as
/// `git diff` prints it; binary content gives git's one-line notice.
pub fn unified_diff(path: &str, old: &[u8], new: &[u8]) -> String {
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(3);
    match git2::Patch::from_buffers(
        old,
        Some(Path::new(path)),
        new,
        Some(Path::new(path)),
        Some(&mut opts),
    )
    .and_then(|mut p| p.to_buf())
    {
        Ok(buf) => {
            let text = String::from_utf8_lossy(&buf).into_owned();
            // Drop git's `diff --git` and index lines: the path is in the ---/+++ lines.
            text.lines()
                .skip_while(|l| !l.starts_with("---") && !l.starts_with("Binary"))
                .map(|l| format!("{l}\n"))
                .collect()
        }
        Err(e) => format!("(no diff: {})\n", e.message()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_diffs_show_mode_changes_as_git_does() {
        let script = |bytes: &[u8], executable| File {
            bytes: bytes.to_vec(),
            executable,
        };
        let old = script(b"echo a\n", true);
        assert_eq!(file_diff("run.sh", &old, &old), "");
        assert_eq!(
            file_diff("run.sh", &old, &script(b"echo a\n", false)),
            "diff --git a/run.sh b/run.sh\nold mode 100755\nnew mode 100644\n"
        );
        assert_eq!(
            file_diff("run.sh", &old, &script(b"echo b\n", false)),
            "diff --git a/run.sh b/run.sh\nold mode 100755\nnew mode 100644\n\
             --- a/run.sh\n+++ b/run.sh\n@@ -1 +1 @@\n-echo a\n+echo b\n"
        );
        assert_eq!(
            file_diff("run.sh", &old, &script(b"echo b\n", true)),
            unified_diff("run.sh", b"echo a\n", b"echo b\n")
        );
        // Quoted as git quotes them (compared with `git diff` 2.47 on the same names).
        let plain = script(b"x\n", false);
        let exec = script(b"x\n", true);
        assert_eq!(
            file_diff("t\u{e9}st a.sh", &plain, &exec),
            "diff --git \"a/t\\303\\251st a.sh\" \"b/t\\303\\251st a.sh\"\nold mode 100644\nnew mode 100755\n"
        );
        assert_eq!(
            file_diff("q\"t.sh", &plain, &exec),
            "diff --git \"a/q\\\"t.sh\" \"b/q\\\"t.sh\"\nold mode 100644\nnew mode 100755\n"
        );
    }

    #[test]
    fn unified_diff_is_gits() {
        let d = unified_diff(
            "Dockerfile",
            b"FROM a\nUSER nonroot\n",
            b"FROM a\nUSER root\n",
        );
        assert_eq!(d, "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n FROM a\n-USER nonroot\n+USER root\n");
    }
}
