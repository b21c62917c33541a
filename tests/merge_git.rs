//! Differential test: goldpath's merge against the installed `git merge-file` on randomly
//! edited inputs, in every style, with and without a favoured side, with odd marker sizes.
//!
//! The inputs are built to reach the corners the real-world corpus does not: CRLF and mixed
//! line endings, lone CRs, missing final newlines, empty files, blank and punctuation-only lines
//! (which git's merge style joins conflicts across), lines that look like conflict markers,
//! and bytes that are not UTF-8. Each case is merged by the library and by the real binary, and
//! both must give git's bytes and git's exit code. `PROPTEST_CASES` raises the number of cases.

use crate::harness::Goldpath;
use goldpath::merge::{self, ConflictStyle, Favor, Labels, Options};
use proptest::prelude::*;
use std::path::Path;
use std::process::Command;

/// Runs `git merge-file -p ARGS ours base theirs` in `dir`, with no git config but the one
/// `goldpath merge-file` also assumes (merge style unless asked), and returns stdout and the
/// exit code.
pub fn git_merge_file(dir: &Path, args: &[&str]) -> (Vec<u8>, i32) {
    let output = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["-c", "merge.conflictStyle=merge", "merge-file", "-p"])
        .args(args)
        .output()
        .expect("running git merge-file (is git installed?)");
    (output.stdout, output.status.code().expect("git exited"))
}

/// The same through the real binary.
pub fn goldpath_merge_file(dir: &Path, args: &[&str]) -> (Vec<u8>, i32) {
    let out = Goldpath::new()
        .current_dir(dir)
        .args(["merge-file", "-p"])
        .args(args)
        .run();
    (out.stdout_bytes, out.code.expect("goldpath exited"))
}

/// Line contents to draw from: few, so that edits collide and conflicts happen.
const WORDS: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"d",
    b"fn main() {",
    b"}",
    b"",
    b"    ;",
    b"  ",
    b"caf\xe9",
    b"\xef\xbb\xbfbom",
    b"tab\there",
    b"lone\rcr",
];

/// Lines that look like conflict markers, of git's size and one more.
const MARKER_LIKE: &[&[u8]] = &[b"=======", b"<<<<<<< HEAD", b">>>>>>>", b"|||||||| x"];

/// One line with its ending (LF or CRLF), marker-like lines among them if `markers`.
pub fn line(markers: bool) -> impl Strategy<Value = Vec<u8>> + Clone {
    let mut words = WORDS.to_vec();
    if markers {
        words.extend_from_slice(MARKER_LIKE);
    }
    let ending = prop_oneof![
        6 => Just(&b"\n"[..]),
        2 => Just(&b"\r\n"[..]),
    ];
    (prop::sample::select(words), ending).prop_map(|(word, end)| [word, end].concat())
}

/// A file as lines.
pub fn file(max_lines: usize, markers: bool) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(line(markers), 0..max_lines)
}

#[derive(Clone, Debug)]
pub enum Edit {
    Keep,
    Delete,
    Replace(Vec<u8>),
    InsertBefore(Vec<u8>),
}

/// Edits to apply to a file's lines in turn, see [`edited`].
pub fn edits(markers: bool) -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        8 => Just(Edit::Keep),
        1 => Just(Edit::Delete),
        1 => line(markers).prop_map(Edit::Replace),
        1 => line(markers).prop_map(Edit::InsertBefore),
    ];
    prop::collection::vec(edit, 0..40)
}

/// `lines` with `edits` applied in turn (lines past the edits are kept), then `tail` appended,
/// then the final line ending dropped if `chop` is set.
pub fn edited(lines: &[Vec<u8>], edits: &[Edit], tail: &[Vec<u8>], chop: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match edits.get(i).unwrap_or(&Edit::Keep) {
            Edit::Keep => out.extend_from_slice(line),
            Edit::Delete => {}
            Edit::Replace(new) => out.extend_from_slice(new),
            Edit::InsertBefore(new) => {
                out.extend_from_slice(new);
                out.extend_from_slice(line);
            }
        }
    }
    for line in tail {
        out.extend_from_slice(line);
    }
    if chop {
        chop_final_newline(&mut out);
    }
    out
}

pub fn chop_final_newline(bytes: &mut Vec<u8>) {
    if bytes.ends_with(b"\n") {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
}

#[derive(Debug)]
struct Case {
    base: Vec<u8>,
    ours: Vec<u8>,
    theirs: Vec<u8>,
    style: ConflictStyle,
    favor: Option<Favor>,
    marker_size: usize,
}

fn case() -> impl Strategy<Value = Case> {
    let style = prop::sample::select(vec![
        ConflictStyle::Merge,
        ConflictStyle::Diff3,
        ConflictStyle::Zdiff3,
    ]);
    let favor = prop_oneof![
        6 => Just(None),
        1 => Just(Some(Favor::Ours)),
        1 => Just(Some(Favor::Theirs)),
        1 => Just(Some(Favor::Union)),
    ];
    let marker_size = prop_oneof![6 => Just(7usize), 1 => 1usize..12];
    (
        file(30, true),
        (edits(true), file(3, true), any::<bool>()),
        (edits(true), file(3, true), any::<bool>()),
        any::<bool>(),
        style,
        favor,
        marker_size,
    )
        .prop_map(|(base, o, t, chop_base, style, favor, marker_size)| {
            let mut base_bytes = base.concat();
            if chop_base {
                chop_final_newline(&mut base_bytes);
            }
            Case {
                ours: edited(&base, &o.0, &o.1, o.2),
                theirs: edited(&base, &t.0, &t.1, t.2),
                base: base_bytes,
                style,
                favor,
                marker_size,
            }
        })
}

fn cli_args(case: &Case) -> Vec<String> {
    let mut args = vec![
        "-L".to_string(),
        "ours".into(),
        "-L".into(),
        "base".into(),
        "-L".into(),
        "theirs".into(),
        format!("--marker-size={}", case.marker_size),
    ];
    match case.style {
        ConflictStyle::Merge => {}
        style => args.push(format!("--{style}")),
    }
    match case.favor {
        None => {}
        Some(Favor::Ours) => args.push("--ours".into()),
        Some(Favor::Theirs) => args.push("--theirs".into()),
        Some(Favor::Union) => args.push("--union".into()),
    }
    args.extend(["ours".into(), "base".into(), "theirs".into()]);
    args
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    #[test]
    fn merges_exactly_as_git_merge_file(case in case()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base"), &case.base).unwrap();
        std::fs::write(dir.path().join("ours"), &case.ours).unwrap();
        std::fs::write(dir.path().join("theirs"), &case.theirs).unwrap();
        let args = cli_args(&case);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (git_bytes, git_code) = git_merge_file(dir.path(), &args);

        let opts = Options {
            style: case.style,
            marker_size: case.marker_size,
            labels: Labels::default(),
            favor: case.favor,
        };
        let out = merge::merge(&case.base, &case.ours, &case.theirs, &opts).unwrap();
        prop_assert_eq!(
            String::from_utf8_lossy(&out.bytes),
            String::from_utf8_lossy(&git_bytes)
        );
        prop_assert_eq!(&out.bytes, &git_bytes);
        prop_assert_eq!(out.conflicts.len() as i32, git_code);

        let (bytes, code) = goldpath_merge_file(dir.path(), &args);
        prop_assert_eq!(&bytes, &git_bytes);
        prop_assert_eq!(code, git_code);
    }
}

/// The generator is worth running: it reaches clean and conflicted merges, CRLF, missing final
/// newlines, and conflicts beside lines that look like markers, each often.
#[test]
fn the_generator_reaches_the_corners() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = case();
    let (mut clean, mut conflicted, mut crlf, mut unterminated, mut beside_markers) =
        (0, 0, 0, 0, 0);
    for _ in 0..500 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let opts = Options {
            style: case.style,
            marker_size: case.marker_size,
            labels: Labels::default(),
            favor: case.favor,
        };
        let out = merge::merge(&case.base, &case.ours, &case.theirs, &opts).unwrap();
        let inputs = [&case.base, &case.ours, &case.theirs];
        if out.is_clean() {
            clean += 1;
        } else {
            conflicted += 1;
            if inputs.iter().any(|i| i.windows(7).any(|w| w == b"=======")) {
                beside_markers += 1;
            }
        }
        crlf += usize::from(inputs.iter().any(|i| i.windows(2).any(|w| w == b"\r\n")));
        unterminated += usize::from(inputs.iter().any(|i| !i.is_empty() && !i.ends_with(b"\n")));
    }
    let counts = [
        ("clean", clean),
        ("conflicted", conflicted),
        ("with CRLF", crlf),
        ("without a final newline", unterminated),
        ("conflicted beside marker-like lines", beside_markers),
    ];
    println!("of 500 generated cases: {counts:?}");
    for (what, n) in counts {
        assert!(n >= 50, "only {n} of 500 cases {what}");
    }
}
