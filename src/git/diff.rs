//! Diffs as `git diff` prints them (`goldpath diff`, drift reports).

use crate::tree::File;
use std::path::Path;

/// The diff from `old` to `new` as `git diff` prints it: git's `old mode`/`new mode` lines when
/// one is executable and the other not (after a `diff --git` line, without which `git apply`
/// ignores them), then the content's [`unified_diff`] if the bytes differ. Empty if neither
/// differs. For reading (drift reports); [`file_patch`] is what `git apply` takes.
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

/// The patch from `old` to `new` (`None`: the file does not exist) as `git diff --full-index
/// --binary` prints it, so that `git apply` and `git apply -R` take it on its own or
/// concatenated with others: always a `diff --git` header (without which `git apply` reads
/// mode lines as garbage and a patch that follows a git-style one as part of it), `old
/// mode`/`new mode` when one is executable and the other not, `new file mode`/`deleted file
/// mode` with `/dev/null` for a file that is added or deleted, the full `index` line git
/// needs to apply a binary patch, and the content's hunks byte for byte (CR of CRLF lines,
/// `\ No newline at end of file`, bytes that are not UTF-8) or a `GIT binary patch`. Empty
/// if nothing differs.
pub fn file_patch(path: &str, old: Option<&File>, new: Option<&File>) -> Vec<u8> {
    let mode = |file: &File| if file.executable { "100755" } else { "100644" };
    let modes_differ = matches!((old, new), (Some(o), Some(n))
        if o.executable != n.executable && crate::tree::MODES_KNOWN);
    let bytes_differ = old.map(|f| &f.bytes) != new.map(|f| &f.bytes);
    if !modes_differ && !bytes_differ {
        return Vec::new();
    }
    let a = quoted(&format!("a/{path}"));
    let b = quoted(&format!("b/{path}"));
    let mut out = format!("diff --git {a} {b}\n");
    match (old, new) {
        // `git apply -R` of `deleted file mode 100755` recreates the file without its
        // executable bit (git 2.47), so an executable file's deletion is written as two
        // patches: its mode taken away, then a plain file deleted. git applies them in order,
        // and in reverse order with -R: the file comes back, then its bit.
        (Some(o), None) if o.executable && crate::tree::MODES_KNOWN => out.push_str(&format!(
            "old mode 100755\nnew mode 100644\ndiff --git {a} {b}\ndeleted file mode 100644\n"
        )),
        (Some(o), None) => out.push_str(&format!("deleted file mode {}\n", mode(o))),
        (None, Some(n)) => out.push_str(&format!("new file mode {}\n", mode(n))),
        (Some(o), Some(n)) if modes_differ => {
            out.push_str(&format!("old mode {}\nnew mode {}\n", mode(o), mode(n)));
        }
        _ => {}
    }
    if !bytes_differ {
        return out.into_bytes();
    }
    // Full ids: `git apply` refuses a binary patch without them. An absent side is all zeros,
    // and the mode is on this line only when it did not change, as git writes it.
    let id = |file: Option<&File>| {
        file.and_then(|f| git2::Oid::hash_object(git2::ObjectType::Blob, &f.bytes).ok())
            .map_or_else(|| "0".repeat(40), |oid| oid.to_string())
    };
    let same_mode = match (old, new) {
        (Some(_), Some(n)) if !modes_differ => format!(" {}", mode(n)),
        _ => String::new(),
    };
    out.push_str(&format!("index {}..{}{same_mode}\n", id(old), id(new)));
    let empty: &[u8] = &[];
    let hunks = hunks(
        path,
        old.map_or(empty, |f| &f.bytes),
        new.map_or(empty, |f| &f.bytes),
    );
    if hunks.starts_with(b"@@") {
        let minus = if old.is_some() { a } else { "/dev/null".into() };
        let plus = if new.is_some() { b } else { "/dev/null".into() };
        out.push_str(&format!("--- {minus}\n+++ {plus}\n"));
    }
    let mut out = out.into_bytes();
    out.extend_from_slice(&hunks);
    out
}

/// The hunks (from the first `@@`) or the `GIT binary patch` of `old` to `new`, byte for byte
/// as libgit2 writes them; empty if the bytes are the same.
fn hunks(path: &str, old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(3).show_binary(true);
    let buf = git2::Patch::from_buffers(
        old,
        Some(Path::new(path)),
        new,
        Some(Path::new(path)),
        Some(&mut opts),
    )
    .and_then(|mut p| p.to_buf());
    let buf = match buf {
        Ok(buf) => buf.to_vec(),
        Err(e) => return format!("(no diff: {})\n", e.message()).into_bytes(),
    };
    // Skip libgit2's own header lines: this file writes them (with /dev/null and full ids).
    let mut at = 0;
    while at < buf.len() {
        let line = &buf[at..];
        if line.starts_with(b"@@") || line.starts_with(b"GIT binary patch") {
            return buf[at..].to_vec();
        }
        at += line
            .iter()
            .position(|&c| c == b'\n')
            .map_or(line.len(), |i| i + 1);
    }
    Vec::new()
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

/// The lines a diff from `old` to `new` adds and removes, as `git diff --numstat` counts them;
/// `None` for binary content (git counts no lines there either).
pub fn line_stat(old: &[u8], new: &[u8]) -> Option<(usize, usize)> {
    if crate::merge::is_binary(old) || crate::merge::is_binary(new) {
        return None;
    }
    let patch = git2::Patch::from_buffers(old, None, new, None, None).ok()?;
    let (_, added, removed) = patch.line_stats().ok()?;
    Some((added, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_stats_count_as_numstat_does() {
        assert_eq!(line_stat(b"a\nb\nc\n", b"a\nB\nc\nd\n"), Some((2, 1)));
        assert_eq!(line_stat(b"", b"x\ny\n"), Some((2, 0)));
        assert_eq!(line_stat(b"same\n", b"same\n"), Some((0, 0)));
        assert_eq!(line_stat(b"\0bin", b"text\n"), None);
    }

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

    #[test]
    fn file_patches_add_and_delete_as_git_does() {
        let text = File::new(b"x\n".to_vec());
        assert_eq!(
            String::from_utf8(file_patch("a.txt", Some(&text), None)).unwrap(),
            "diff --git a/a.txt b/a.txt\ndeleted file mode 100644\n\
             index 587be6b4c3f93f93c489c0111bba5596147a26cb..0000000000000000000000000000000000000000\n\
             --- a/a.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
        );
        assert_eq!(
            String::from_utf8(file_patch("a.txt", None, Some(&text))).unwrap(),
            "diff --git a/a.txt b/a.txt\nnew file mode 100644\n\
             index 0000000000000000000000000000000000000000..587be6b4c3f93f93c489c0111bba5596147a26cb\n\
             --- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+x\n"
        );
        assert!(file_patch("a.txt", None, None).is_empty());
        assert!(file_patch("a.txt", Some(&text), Some(&text)).is_empty());
        // CR and a missing final newline are kept byte for byte.
        let crlf = file_patch(
            "w.txt",
            Some(&File::new(b"a\r\nb".to_vec())),
            Some(&File::new(b"a\r\nc".to_vec())),
        );
        assert!(
            crlf.ends_with(b"@@ -1,2 +1,2 @@\n a\r\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"),
            "{}",
            String::from_utf8_lossy(&crlf)
        );
    }
}
