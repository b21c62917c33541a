//! The merge engine against git on 595 real merges: `../shared/merge-corpus` (see its README)
//! holds (base, ours, theirs) triples from public git history with `git merge-file`'s output and
//! exit code in each style.
//!
//! Agreement is required to be total: the same clean/conflicted decision, the same conflict
//! count and byte-identical output, clean or conflicted, in every style. There is no known
//! difference to explain: the line merge is git's own xdiff (through libgit2), and the two
//! places where libgit2 differs from `git merge-file` (it reports no conflict count, and it
//! drops the label of an empty input) are made good in `goldpath::merge`.
//!
//! Where `../shared` is absent (a clone on its own) the tests print a notice and pass, unless the
//! corpus is required: with `CI` or `GOLDPATH_VALIDATORS` set (`tests/run` sets the latter) a
//! missing corpus fails them.

use crate::harness::Goldpath;
use goldpath::merge::{self, ConflictStyle, Options};
use std::path::{Path, PathBuf};

const STYLES: [ConflictStyle; 3] = [
    ConflictStyle::Merge,
    ConflictStyle::Diff3,
    ConflictStyle::Zdiff3,
];

struct Case {
    id: String,
    base: Vec<u8>,
    ours: Vec<u8>,
    theirs: Vec<u8>,
    /// git's output and exit code, by style (in the order of `STYLES`).
    expected: [(Vec<u8>, usize); 3],
}

/// Whether a missing corpus fails the tests: in CI and under `tests/run`.
fn corpus_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("GOLDPATH_VALIDATORS").is_some()
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/merge-corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        assert!(
            !corpus_required(),
            "{} is absent, and the merge corpus is required when CI or GOLDPATH_VALIDATORS is set",
            dir.display()
        );
        eprintln!(
            "notice: {} is absent; the merge corpus tests are skipped",
            dir.display()
        );
        None
    }
}

fn load(dir: &Path) -> Vec<Case> {
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    ids.sort();
    ids.into_iter()
        .map(|id| {
            let case = dir.join(&id);
            let read = |name: &str| std::fs::read(case.join(name)).unwrap();
            let meta: toml::Table = std::str::from_utf8(&read("meta.toml"))
                .unwrap()
                .parse()
                .unwrap();
            let count = |key: &str| meta[key].as_integer().unwrap() as usize;
            Case {
                base: read("base"),
                ours: read("ours"),
                theirs: read("theirs"),
                expected: [
                    (read("expected.merge"), count("conflicts")),
                    (read("expected.diff3"), count("conflicts_diff3")),
                    (read("expected.zdiff3"), count("conflicts_zdiff3")),
                ],
                id,
            }
        })
        .collect()
}

fn options(style: ConflictStyle) -> Options {
    // The corpus was made with `-L ours -L base -L theirs`, which are the default labels.
    Options {
        style,
        ..Options::default()
    }
}

/// Agreement figures for one style.
#[derive(Default)]
struct Tally {
    cases: usize,
    same_decision: usize,
    clean: usize,
    clean_identical: usize,
    conflicted: usize,
    conflicted_identical: usize,
    mismatches: Vec<String>,
}

#[test]
fn every_case_matches_git_in_every_style() {
    let Some(dir) = corpus_dir() else { return };
    let cases = load(&dir);
    assert_eq!(cases.len(), 595, "the corpus README counts 595 cases");
    let mut tallies: [Tally; 3] = Default::default();
    for case in &cases {
        for (s, style) in STYLES.iter().enumerate() {
            let (want, want_count) = &case.expected[s];
            let out = merge::merge(&case.base, &case.ours, &case.theirs, &options(*style)).unwrap();
            let t = &mut tallies[s];
            t.cases += 1;
            let identical = out.bytes == *want && out.conflicts.len() == *want_count;
            if out.is_clean() == (*want_count == 0) {
                t.same_decision += 1;
            }
            if *want_count == 0 {
                t.clean += 1;
                t.clean_identical += usize::from(identical);
            } else {
                t.conflicted += 1;
                t.conflicted_identical += usize::from(identical && regions_match(case, &out, want));
            }
            if !identical {
                t.mismatches.push(format!(
                    "{} {style}: {} conflicts, git {want_count}",
                    case.id,
                    out.conflicts.len()
                ));
            }
        }
    }
    println!("style   cases  same decision  clean identical  conflicted identical");
    for (style, t) in STYLES.iter().zip(&tallies) {
        println!(
            "{:<7} {:>5}  {:>6}/{:<6}  {:>7}/{:<7}  {:>9}/{:<9}",
            style.as_str(),
            t.cases,
            t.same_decision,
            t.cases,
            t.clean_identical,
            t.clean,
            t.conflicted_identical,
            t.conflicted
        );
    }
    for t in &tallies {
        assert_eq!(t.mismatches, Vec::<String>::new());
        assert_eq!(t.same_decision, t.cases);
        assert_eq!(t.clean_identical, t.clean);
        assert_eq!(t.conflicted_identical, t.conflicted);
    }
}

/// Whether each reported region is where git's markers are: its first line is git's
/// `<<<<<<< ours` marker and its last `>>>>>>> theirs`. Where no input line looks like a size-7
/// marker, git's output parses unambiguously, and the regions and their sides must also be
/// exactly what parsing it gives. (Where one does, as in case 0191, parsing git's output cannot
/// tell the user's markers from git's; the merge finds the regions with a second, probe merge.)
fn regions_match(case: &Case, out: &merge::Outcome, git: &[u8]) -> bool {
    let lines: Vec<&[u8]> = git.split_inclusive(|&b| b == b'\n').collect();
    let framed = out.conflicts.iter().all(|c| {
        let range = c.lines.clone().unwrap();
        lines[range.start() - 1] == b"<<<<<<< ours\n"
            && lines[range.end() - 1] == b">>>>>>> theirs\n"
    });
    let ambiguous = [&case.base, &case.ours, &case.theirs]
        .iter()
        .any(|input| input.split(|&b| b == b'\n').any(looks_like_marker));
    framed && (ambiguous || merge::parse_conflicts(git, 7) == out.conflicts)
}

/// Seven of one marker character, then whitespace or the line's end.
fn looks_like_marker(line: &[u8]) -> bool {
    line.len() >= 7
        && b"<|=>".contains(&line[0])
        && line[..7].iter().all(|&b| b == line[0])
        && line.get(7).is_none_or(|b| b.is_ascii_whitespace())
}

/// Only case 0191 already holds a conflict block (committed unresolved); its markers are
/// detected, and never counted as a conflict of the merge. Case 0433's Markdown `=======`
/// underline is not a conflict.
#[test]
fn existing_markers_are_detected_and_not_taken_for_conflicts() {
    let Some(dir) = corpus_dir() else { return };
    let cases = load(&dir);
    let with_markers: Vec<&str> = cases
        .iter()
        .filter(|c| {
            merge::merge(&c.base, &c.ours, &c.theirs, &Options::default())
                .unwrap()
                .ours_has_markers
        })
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(with_markers, ["0191"]);
    let case = cases.iter().find(|c| c.id == "0191").unwrap();
    let out = merge::merge(&case.base, &case.ours, &case.theirs, &Options::default()).unwrap();
    assert_eq!(out.conflicts.len(), 1);
    assert_eq!(out.conflicts[0].lines, Some(3..=13));
    // The user's committed block is inside our side, whole.
    let ours = String::from_utf8_lossy(&out.conflicts[0].ours);
    assert!(
        ours.contains("<<<<<<< HEAD\n") && ours.contains(">>>>>>> 86cded44 (Update Chart.yaml)\n"),
        "{ours}"
    );
    assert!(!merge::has_conflict_markers(
        &cases.iter().find(|c| c.id == "0433").unwrap().ours
    ));
}

/// The upgrade merge always parses back to exactly the conflicts it reports, in every style,
/// including case 0191, where it writes longer markers than the user's.
#[test]
fn upgrade_merges_parse_back_to_their_conflicts() {
    let Some(dir) = corpus_dir() else { return };
    let mut conflicted = 0;
    for case in load(&dir) {
        for style in STYLES {
            let out =
                merge::merge_for_upgrade(&case.base, &case.ours, &case.theirs, &options(style))
                    .unwrap();
            let parsed = merge::parse_conflicts(&out.bytes, out.marker_size);
            assert_eq!(parsed, out.conflicts, "{} {style}", case.id);
            let expected_size = if case.id == "0191" || case.id == "0433" {
                8
            } else {
                7
            };
            assert_eq!(out.marker_size, expected_size, "{} {style}", case.id);
            conflicted += usize::from(!out.is_clean());
        }
    }
    assert!(conflicted > 600, "{conflicted} conflicted upgrade merges");
}

/// The real binary on every case, each in one of the styles in turn: the same bytes on stdout
/// and the same exit code as git.
#[test]
fn the_command_matches_git_on_every_case() {
    let Some(dir) = corpus_dir() else { return };
    for (i, case) in load(&dir).iter().enumerate() {
        let s = i % 3;
        let (want, want_count) = &case.expected[s];
        let case_dir = dir.join(&case.id);
        let mut cmd = Goldpath::new().current_dir(&case_dir).args([
            "merge-file",
            "-p",
            "-L",
            "ours",
            "-L",
            "base",
            "-L",
            "theirs",
        ]);
        if s > 0 {
            cmd = cmd.arg(format!("--{}", STYLES[s]));
        }
        let output = cmd.args(["ours", "base", "theirs"]).run();
        assert_eq!(
            output.code,
            Some(*want_count as i32),
            "{} {}",
            case.id,
            STYLES[s]
        );
        assert!(
            output.stdout_bytes == *want,
            "{} {}: output differs from git's",
            case.id,
            STYLES[s]
        );
    }
}
