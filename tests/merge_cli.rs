//! `goldpath merge-file` as a command: where the result goes, labels, exit codes and errors,
//! each checked against `git merge-file` where git has an answer.

use crate::harness::Goldpath;
use crate::merge_git::{git_merge_file, goldpath_merge_file};
use std::path::Path;

/// A folder holding `ours`, `base` and `theirs`.
fn files(ours: &[u8], base: &[u8], theirs: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ours"), ours).unwrap();
    std::fs::write(dir.path().join("base"), base).unwrap();
    std::fs::write(dir.path().join("theirs"), theirs).unwrap();
    dir
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

// Both sides change line 2; ours also line 6, theirs line 4.
const BASE: &[u8] = b"a\nb\nc\nd\ne\nf\ng\n";
const OURS: &[u8] = b"a\nB\nc\nd\ne\nF\ng\n";
const THEIRS: &[u8] = b"a\nX\nc\nD\ne\nf\ng\n";

#[test]
fn prints_with_p_and_leaves_the_files_alone() {
    let dir = files(OURS, BASE, THEIRS);
    let (bytes, code) = goldpath_merge_file(dir.path(), &["ours", "base", "theirs"]);
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        "a\n<<<<<<< ours\nB\n=======\nX\n>>>>>>> theirs\nc\nD\ne\nF\ng\n"
    );
    assert_eq!(
        (bytes, code),
        git_merge_file(dir.path(), &["ours", "base", "theirs"])
    );
    assert_eq!(read(dir.path(), "ours"), OURS);
}

#[test]
fn writes_the_result_into_current_like_git() {
    let ours = files(OURS, BASE, THEIRS);
    let git = files(OURS, BASE, THEIRS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let exec = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(ours.path().join("ours"), exec).unwrap();
    }
    let output = Goldpath::new()
        .current_dir(ours.path())
        .args(["merge-file", "ours", "base", "theirs"])
        .run();
    assert_eq!(output.code, Some(1));
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    let status = std::process::Command::new("git")
        .current_dir(git.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args([
            "-c",
            "merge.conflictStyle=merge",
            "merge-file",
            "ours",
            "base",
            "theirs",
        ])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(read(ours.path(), "ours"), read(git.path(), "ours"));
    assert_eq!(read(ours.path(), "base"), BASE);
    assert_eq!(read(ours.path(), "theirs"), THEIRS);
    // Written in place, so the file keeps its mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(ours.path().join("ours"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
}

#[test]
fn labels_default_to_the_paths_as_given() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("v1")).unwrap();
    std::fs::write(dir.path().join("mine.txt"), OURS).unwrap();
    std::fs::write(dir.path().join("v1/old.txt"), BASE).unwrap();
    std::fs::write(dir.path().join("new.txt"), THEIRS).unwrap();
    // (arguments, the marker lines expected)
    let table: &[(&[&str], &str, &str, &str)] = &[
        (
            &[],
            "<<<<<<< mine.txt",
            "||||||| v1/old.txt",
            ">>>>>>> new.txt",
        ),
        (
            &["-L", "yours"],
            "<<<<<<< yours",
            "||||||| v1/old.txt",
            ">>>>>>> new.txt",
        ),
        (
            &["-L", "a", "-L", "b", "-L", "c"],
            "<<<<<<< a",
            "||||||| b",
            ">>>>>>> c",
        ),
        (
            &["-L", "", "-L", "", "-L", ""],
            "<<<<<<< ",
            "||||||| ",
            ">>>>>>> ",
        ),
        // Attached, as git's option parser also takes them.
        (
            &["-Lmine", "-Lv1", "-L", "v2"],
            "<<<<<<< mine",
            "||||||| v1",
            ">>>>>>> v2",
        ),
    ];
    for (labels, ours, base, theirs) in table {
        let args: Vec<&str> = labels
            .iter()
            .copied()
            .chain(["--diff3", "mine.txt", "v1/old.txt", "new.txt"])
            .collect();
        let (bytes, code) = goldpath_merge_file(dir.path(), &args);
        assert_eq!(code, 1, "{labels:?}");
        assert_eq!(
            (&bytes, code),
            (&git_merge_file(dir.path(), &args).0, 1),
            "{labels:?}"
        );
        let text = String::from_utf8(bytes).unwrap();
        let markers: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.starts_with("<<<<<<<") || l.starts_with("|||||||") || l.starts_with(">>>>>>>")
            })
            .collect();
        assert_eq!(markers, [*ours, *base, *theirs], "{labels:?}");
    }
}

#[test]
fn exits_with_the_conflict_count_up_to_127() {
    // `n` separate conflicts: every fifth line changed differently on each side. (git joins
    // conflicts with three lines or fewer between them, or only lines with no letter or digit.)
    let numbered = |n: usize, side: &str| -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{i} a\n{i} b\n{i} c\n{i} d\n{side} {i}\n").into_bytes())
            .collect()
    };
    for n in [0, 1, 2, 126, 127, 128, 300] {
        let dir = files(
            &numbered(n, "ours"),
            &numbered(n, "base"),
            &numbered(n, "theirs"),
        );
        let (bytes, code) = goldpath_merge_file(dir.path(), &["ours", "base", "theirs"]);
        assert_eq!(code, n.min(127) as i32, "{n} conflicts");
        assert_eq!(
            (bytes, code),
            git_merge_file(dir.path(), &["ours", "base", "theirs"])
        );
    }
}

#[test]
fn favoured_sides_and_marker_sizes_like_git() {
    let dir = files(OURS, BASE, THEIRS);
    let table: &[&[&str]] = &[
        &["--ours"],
        &["--theirs"],
        &["--union"],
        &["--ours", "--union"],
        &["--zdiff3"],
        &["--diff3", "--zdiff3", "--diff3"],
        &["--marker-size", "3"],
        &["--marker-size=12", "--diff3"],
        &["--marker-size", "0"],
        &["--marker-size", "-1"],
    ];
    for extra in table {
        let args: Vec<&str> = extra
            .iter()
            .copied()
            .chain(["ours", "base", "theirs"])
            .collect();
        assert_eq!(
            goldpath_merge_file(dir.path(), &args),
            git_merge_file(dir.path(), &args),
            "{extra:?}"
        );
    }
}

#[test]
fn errors_exit_255_with_a_message() {
    let dir = files(OURS, BASE, b"binary\0data\n");
    std::fs::write(dir.path().join("text"), THEIRS).unwrap();
    // (arguments, stderr)
    let table: &[(&[&str], &str)] = &[
        (
            &["ours", "base", "missing"],
            "error: cannot read `missing`: No such file or directory (os error 2)\n",
        ),
        (
            &["ours", "base", "theirs"],
            "error: cannot merge binary files: theirs\n",
        ),
        (
            &[
                "-L", "1", "-L", "2", "-L", "3", "-L", "4", "ours", "base", "text",
            ],
            "error: too many labels: -L may be given at most three times\n\
             hint: the labels are for CURRENT, BASE and OTHER, in that order\n",
        ),
        (
            &["--marker-size", "70000", "ours", "base", "text"],
            "error: conflict marker size 70000 is out of range: it must be from 1 to 65535\n",
        ),
    ];
    for (args, stderr) in table {
        Goldpath::new()
            .args(["merge-file", "-p"])
            .args(*args)
            .current_dir(dir.path())
            .code(255)
            .stdout_is("")
            .stderr_is(stderr);
    }
    // git agrees that these are errors.
    for args in [
        &["ours", "base", "missing"][..],
        &["ours", "base", "theirs"],
    ] {
        assert_eq!(git_merge_file(dir.path(), args).1, 255, "{args:?}");
    }
    // Nothing was written on an error.
    assert_eq!(read(dir.path(), "ours"), OURS);
}

/// A usage mistake is an error (255), never a small code a script would take for a count of
/// conflicts; help is not an error.
#[test]
fn usage_mistakes_exit_255() {
    Goldpath::new()
        .args(["merge-file", "ours", "base"])
        .code(255)
        .stderr_contains("<OTHER>");
    Goldpath::new()
        .args(["merge-file", "--bogus", "a", "b", "c"])
        .code(255)
        .stderr_contains("unexpected argument '--bogus'");
    Goldpath::new()
        .args(["merge-file", "--help"])
        .code(0)
        .stdout_contains("Usage: goldpath merge-file [OPTIONS] <CURRENT> <BASE> <OTHER>");
}
