//! Issue #9, the path cases: names that some OS cannot hold or that git treats as its own are
//! refused before anything is written, on every OS, by `new` and by `upgrade`, with the template
//! file and the answer that made the name (case 8); a part that renders to whitespace is an error,
//! not a skipped file (case 11); Windows path syntax gets a right reason (case 13); and a hostile
//! git source (entries named `..`, with `\`, drive-like, symlinks, submodules) is refused by entry
//! and tag.

use crate::harness::{assert_clean, ls, write_bundle, BundleRepo, Goldpath, Outcome};
use std::fs;
use std::path::Path;
use tempfile::TempDir;

/// A manifest for bundle `paths` at `version` with a question `name` (default `ok`) and `extra`.
fn manifest(version: &str, extra: &str) -> String {
    format!(
        "[bundle]\nname = \"paths\"\nversion = \"{version}\"\n\n\
         [[questions]]\nname = \"name\"\ntype = \"string\"\ndefault = \"ok\"\n{extra}"
    )
}

/// A folder bundle: `bundle.toml` from [`manifest`] and `files` under `template/`.
fn folder_bundle(extra: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path(), &manifest("1.0.0", extra), files);
    dir
}

/// `goldpath new paths svc --from SOURCE --defaults --no-input ARGS...`, which must exit 2 and
/// leave nothing in the folder it ran in (no `svc`, no staging folder).
#[track_caller]
fn new_refused(source: &str, args: &[&str]) -> Outcome {
    let tmp = tempfile::tempdir().unwrap();
    let out = Goldpath::new()
        .args([
            "new",
            "paths",
            "svc",
            "--from",
            source,
            "--defaults",
            "--no-input",
        ])
        .args(args)
        .current_dir(tmp.path())
        .code(2);
    assert_eq!(ls(tmp.path()), Vec::<String>::new(), "left behind\n{out}");
    assert!(out.stdout.is_empty(), "{out}");
    out
}

/// `value` as goldpath shows it in a message: control and invisible characters escaped.
fn shown(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            '\t' => "\\t".to_string(),
            c if c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{feff}') => {
                format!("\\u{{{:x}}}", c as u32)
            }
            c => c.to_string(),
        })
        .collect()
}

const DEVICE: &str = "it is a device name on Windows";
const WINDOWS_CHAR: &str = "it contains one of `* ? \" < > |`, which Windows does not allow";
const COLON: &str = "it contains `:`, which Windows reads as a drive";
const TRAILING: &str = "it ends with `.` or a space, which Windows drops";
const CONTROL: &str = "it contains a control character";
const DASH: &str = "it starts with `-`";
const LOOKALIKE: &str = "it is `.git` on Windows or macOS";

/// Every dangerous name of case 8, and the start of the reason it is refused with.
const DANGEROUS: &[(&str, &str)] = &[
    ("CON", DEVICE),
    ("nul.txt", DEVICE),
    ("COM1", DEVICE),
    ("lpt1", DEVICE),
    ("Aux.tar.gz", DEVICE),
    ("prn", DEVICE),
    ("COM\u{b9}", DEVICE),
    ("ab:c", COLON),
    ("notes.txt:hidden", COLON),
    ("x*", WINDOWS_CHAR),
    ("why?", WINDOWS_CHAR),
    ("say\"hi\"", WINDOWS_CHAR),
    ("<a>", WINDOWS_CHAR),
    ("a|b", WINDOWS_CHAR),
    ("name.", TRAILING),
    ("name ", TRAILING),
    ("a\nb", CONTROL),
    ("a\rb", CONTROL),
    ("a\tb", CONTROL),
    ("a\u{1}b", CONTROL),
    ("a\u{7f}b", CONTROL),
    ("-rf", DASH),
    ("--help", DASH),
    (".git.", LOOKALIKE),
    (".git ", LOOKALIKE),
    ("GIT~1", LOOKALIKE),
    (".git\u{200b}", LOOKALIKE),
    (".git\u{200c}", LOOKALIKE),
    (".g\u{200d}it", LOOKALIKE),
    ("\u{feff}.git", LOOKALIKE),
    (".git::$INDEX_ALLOCATION", LOOKALIKE),
    ("READ\u{200b}ME.md", "it contains an invisible character"),
];

#[test]
fn new_refuses_a_dangerous_name_made_from_an_answer() {
    let bundle = folder_bundle("", &[("docs/{{ name }}", "x\n"), ("README.md", "hi\n")]);
    let source = bundle.path().display().to_string();
    for (name, reason) in DANGEROUS {
        let out = new_refused(&source, &["--set", &format!("name={name}")]);
        let name = shown(name);
        out.stderr_contains(&format!(
            "error: template/docs/{{{{ name }}}}: its path renders to `docs/{name}`, which is not allowed: {reason}"
        ))
        .stderr_contains(&format!("(from the answer `name` = \"{name}\")\n"));
    }
}

#[test]
fn new_refuses_a_dangerous_name_written_in_the_template() {
    for (name, reason) in [
        ("CON", DEVICE),
        ("nul.txt", DEVICE),
        ("ab:c", COLON),
        ("a|b", WINDOWS_CHAR),
        ("name.", TRAILING),
        ("-rf", DASH),
    ] {
        let bundle = folder_bundle("", &[(&format!("sub/{name}"), "x\n")]);
        let out = new_refused(&bundle.path().display().to_string(), &[]);
        out.stderr_contains(&format!(
            "error: template/sub/{name}: its path renders to `sub/{name}`, which is not allowed: {reason}"
        ));
        assert!(!out.stderr.contains("from the answer"), "{out}");
    }
    // A `.git` look-alike is refused as soon as the bundle is read.
    for name in ["GIT~1", ".git.", ".git::$INDEX_ALLOCATION"] {
        let bundle = folder_bundle("", &[(&format!("sub/{name}/x"), "x\n")]);
        new_refused(&bundle.path().display().to_string(), &[]).stderr_contains(&format!(
            "error: path `template/sub/{name}/x` is not allowed: {LOOKALIKE}"
        ));
    }
}

#[test]
fn a_secret_in_a_refused_path_is_named_never_shown() {
    let bundle = folder_bundle(
        "\n[[questions]]\nname = \"token\"\ntype = \"secret\"\n",
        &[("{{ token }}/x.txt", "x\n")],
    );
    let out = new_refused(
        &bundle.path().display().to_string(),
        &["--set", "token=tok:S3CR3T-value"],
    );
    out.stderr_contains("error: template/{{ token }}/x.txt: its path renders to `***/x.txt`, which is not allowed: it contains `:`")
        .stderr_contains("(from the answer `token` (a secret, not shown))\n");
    assert!(!out.stderr.contains("S3CR3T"), "{out}");
}

#[test]
fn case_and_unicode_twins_are_refused_naming_both_templates() {
    let twins = folder_bundle("", &[("README.md", "1\n"), ("{{ name }}.md", "2\n")]);
    new_refused(&twins.path().display().to_string(), &["--set", "name=Readme"]).stderr_contains(
        "error: template/README.md and template/{{ name }}.md render to `README.md` and `Readme.md`, \
         which differ only in letter case: on macOS and Windows they would be one file; rename one \
         of them (from the answer `name` = \"Readme\")\n",
    );

    let folders = folder_bundle("", &[("Docs/a.md", "1\n"), ("docs/b.md", "2\n")]);
    new_refused(&folders.path().display().to_string(), &[]).stderr_contains(
        "error: template/Docs/a.md and template/docs/b.md render to `Docs` and `docs`, which differ \
         only in letter case: on macOS and Windows they would be one file; rename one of them\n",
    );

    // The answers file's twin would overwrite it on macOS and Windows.
    let answers = folder_bundle("", &[("{{ name }}", "x\n")]);
    new_refused(&answers.path().display().to_string(), &["--set", "name=.GoldPath.toml"])
        .stderr_contains(
            "error: template/{{ name }}: its path renders to `.GoldPath.toml`, which is not allowed: \
             .goldpath.toml is written by goldpath itself (from the answer `name` = \".GoldPath.toml\")\n",
        );

    // NFC `café.txt` in the template, NFD `café.txt` from the answer.
    let nfc = "caf\u{e9}";
    let nfd = "cafe\u{301}";
    let unicode = folder_bundle(
        "",
        &[(&format!("{nfc}.txt"), "1\n"), ("{{ name }}.txt", "2\n")],
    );
    new_refused(&unicode.path().display().to_string(), &["--set", &format!("name={nfd}")])
        .stderr_contains(&format!(
            "error: template/{nfc}.txt and template/{{{{ name }}}}.txt render to `{nfc}.txt` and \
             `{nfd}.txt`, which differ only in Unicode form (composed or decomposed accents, NFC and \
             NFD): on macOS and Windows they would be one file; rename one of them (from the answer \
             `name` = \"{nfd}\")\n"
        ));
}

/// Case 11: only an exactly empty part skips a file.
#[test]
fn a_part_rendering_to_whitespace_is_an_error_not_a_skipped_file() {
    let bundle = folder_bundle("", &[("{{ name }}/x.txt", "x\n"), ("README.md", "hi\n")]);
    let source = bundle.path().display().to_string();
    for blank in [" ", "  ", "\t", " \n "] {
        new_refused(&source, &["--set", &format!("name={blank}")])
            .stderr_contains(&format!(
                "error: template/{{{{ name }}}}/x.txt: its path renders to `{}/x.txt`, which is not allowed: a path part renders to only whitespace",
                shown(blank)
            ))
            .stderr_contains(&format!("(from the answer `name` = \"{}\")\n", shown(blank)));
    }
    // An empty answer still skips the file, as documented.
    let tmp = tempfile::tempdir().unwrap();
    Goldpath::new()
        .args([
            "new",
            "paths",
            "svc",
            "--from",
            &source,
            "--defaults",
            "--no-input",
        ])
        .args(["--set", "name=", "--no-commit"])
        .current_dir(tmp.path())
        .success();
    assert_eq!(ls(&tmp.path().join("svc")), [".goldpath.toml", "README.md"]);
}

/// Case 13: Windows path syntax is refused on every OS, with a reason that says what it is.
#[test]
fn windows_path_syntax_is_refused_with_a_right_reason() {
    for (file, reason) in [
        (
            "a\\..\\b",
            "it contains `..` between `\\` separators, which Windows reads like `/`",
        ),
        (
            "..\\x",
            "it contains `..` between `\\` separators, which Windows reads like `/`",
        ),
        ("C:x", "it has a part starting with a drive (`C:`)"),
        ("C:\\x", "it contains `\\`"),
        ("\\\\host\\x", "it contains `\\`"),
    ] {
        let bundle = folder_bundle("", &[(file, "x\n")]);
        let out = new_refused(&bundle.path().display().to_string(), &[]);
        out.stderr_contains(&format!(
            "error: path `template/{file}` is not allowed: {reason}"
        ));
        // The old reason, wrong for all of these.
        assert!(!out.stderr.contains("it is absolute;"), "{out}");
    }
    // Made from an answer, a drive is refused too (`:` was allowed outside Windows).
    let bundle = folder_bundle("", &[("{{ name }}", "x\n")]);
    let source = bundle.path().display().to_string();
    for drive in ["C:", "C:x", "c:"] {
        new_refused(&source, &["--set", &format!("name={drive}")]).stderr_contains(&format!(
            "error: template/{{{{ name }}}}: its path renders to `{drive}`, which is not allowed: {COLON}"
        ));
    }
}

/// A project made from v1 of a git bundle, and later releases that bring a dangerous name:
/// each upgrade is refused before it writes anything.
#[test]
fn upgrade_refuses_a_dangerous_name_before_writing_anything() {
    let repo = BundleRepo::new();
    let extra = "\n[[questions]]\nname = \"blank\"\ntype = \"string\"\ndefault = \"b\"\n";
    repo.write("bundle.toml", &manifest("1.0.0", extra))
        .write("template/README.md.tera", "# {{ name }}\n")
        .write("template/src/main.rs", "fn main() {}\n");
    repo.commit("v1");
    repo.tag("v1.0.0", false);
    // Each release adds to 1.0.0's template one path that renders to a dangerous name.
    let releases: &[(&str, &str, &str)] = &[
        // Made from the recorded answer `name` = ".git.".
        ("2.0.0", "template/{{ name }}/config", "template/{{ name }}/config: its path renders to `.git./config`, which is not allowed: it is `.git` on Windows or macOS"),
        ("3.0.0", "template/Readme.md", "template/README.md.tera and template/Readme.md render to `README.md` and `Readme.md`, which differ only in letter case"),
        ("4.0.0", "template/docs/nul.txt", "template/docs/nul.txt: its path renders to `docs/nul.txt`, which is not allowed: it is a device name on Windows"),
        ("5.0.0", "template/{{ blank }}/x.txt", "template/{{ blank }}/x.txt: its path renders to ` /x.txt`, which is not allowed: a path part renders to only whitespace"),
        ("6.0.0", "template/ci:yaml", "template/ci:yaml: its path renders to `ci:yaml`, which is not allowed: it contains `:`"),
    ];
    for (version, path, _) in releases {
        repo.write("bundle.toml", &manifest(version, extra))
            .write(path, "new\n");
        repo.commit(version);
        repo.tag(&format!("v{version}"), false);
        fs::remove_file(repo.path().join(path)).unwrap();
    }

    let tmp = tempfile::tempdir().unwrap();
    Goldpath::new()
        .args([
            "new",
            "paths",
            "svc",
            "--from",
            &repo.url(),
            "--version",
            "1.0.0",
        ])
        .args([
            "--defaults",
            "--no-input",
            "--set",
            "name=.git.",
            "--set",
            "blank= ",
        ])
        .current_dir(tmp.path())
        .success();
    let project = tmp.path().join("svc");
    let before = snapshot(&project);
    let head = head(&project);
    for (version, _, message) in releases {
        let out = Goldpath::new()
            .args(["upgrade", "--to", version, "--defaults", "--no-input"])
            .current_dir(&project)
            .code(2);
        out.stderr_contains(&format!("error: {message}"));
        assert_eq!(
            snapshot(&project),
            before,
            "upgrade to {version} wrote\n{out}"
        );
        assert_eq!(self::head(&project), head);
        assert_clean(&project);
    }
    // The answer that makes the name is named, also when given to the upgrade.
    Goldpath::new()
        .args(["upgrade", "--to", "2.0.0", "--defaults", "--no-input", "--set", "name=CON"])
        .current_dir(&project)
        .code(2)
        .stderr_contains("error: template/{{ name }}/config: its path renders to `CON/config`, which is not allowed: it is a device name on Windows")
        .stderr_contains("(from the answer `name` = \"CON\")\n");
    assert_eq!(snapshot(&project), before);
    assert_clean(&project);
    // `check` renders the recorded version again and is fine; the refusals changed nothing.
    Goldpath::new()
        .args(["check"])
        .current_dir(&project)
        .code(1)
        .stdout_contains("6.0.0");
}

/// Every file of `dir` with its bytes, `.git` included except its logs, to prove nothing moved.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            // The index is rewritten with the same entries (stat data refreshed) by status.
            if rel == ".git/index" {
                continue;
            }
            out.push((rel, fs::read(e.path()).unwrap()));
        }
    }
    out
}

fn head(dir: &Path) -> String {
    let repo = git2::Repository::open(dir).unwrap();
    let id = repo.head().unwrap().peel_to_commit().unwrap().id();
    id.to_string()
}

/// A git object, written as it is: git's own commands and git2's `TreeBuilder` refuse names such
/// as `..`, but a hostile repository can hold them.
fn raw_tree(repo: &git2::Repository, entries: &[(&str, u32, git2::Oid)]) -> git2::Oid {
    let mut sorted = entries.to_vec();
    // git's order: by name, folders compared as if they ended in `/`.
    let key = |(name, mode, _): &(&str, u32, git2::Oid)| {
        let mut k = name.as_bytes().to_vec();
        if *mode == 0o040000 {
            k.push(b'/');
        }
        k
    };
    sorted.sort_by_key(key);
    let mut bytes = Vec::new();
    for (name, mode, id) in sorted {
        bytes.extend_from_slice(format!("{mode:o} {name}\0").as_bytes());
        bytes.extend_from_slice(id.as_bytes());
    }
    repo.odb()
        .unwrap()
        .write(git2::ObjectType::Tree, &bytes)
        .unwrap()
}

/// A git repository whose tag v1.0.0 holds a valid bundle plus `entry` under `template/`.
fn hostile_repo(entry: &str, mode: u32, target: Option<&str>) -> BundleRepo {
    let repo = BundleRepo::new();
    let git = git2::Repository::open(repo.path()).unwrap();
    let blob = |text: &str| git.blob(text.as_bytes()).unwrap();
    let readme = blob("hello\n");
    let id = match mode {
        0o040000 => raw_tree(&git, &[("inside.txt", 0o100644, blob("escaped\n"))]),
        0o160000 => git2::Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap(),
        _ => blob(target.unwrap_or("x\n")),
    };
    let template = raw_tree(&git, &[("README.md", 0o100644, readme), (entry, mode, id)]);
    let root = raw_tree(
        &git,
        &[
            ("bundle.toml", 0o100644, blob(&manifest("1.0.0", ""))),
            ("template", 0o040000, template),
        ],
    );
    let tree = git.find_tree(root).unwrap();
    let sig = git2::Signature::now("Hostile", "h@example.com").unwrap();
    git.commit(Some("HEAD"), &sig, &sig, "v1", &tree, &[])
        .unwrap();
    repo.tag("v1.0.0", false);
    repo
}

#[test]
fn a_hostile_git_source_is_refused_by_entry_and_tag() {
    for (entry, mode, target, why) in [
        (
            "..",
            0o100644,
            None,
            "`template/..` which is not allowed: it contains `.` or `..`",
        ),
        (
            "..",
            0o040000,
            None,
            "`template/..` which is not allowed: it contains `.` or `..`",
        ),
        (
            "a\\..\\b",
            0o100644,
            None,
            "`template/a\\..\\b` which is not allowed: it contains `..` between `\\` separators",
        ),
        (
            "\\\\host\\x",
            0o100644,
            None,
            "`template/\\\\host\\x` which is not allowed: it contains `\\`",
        ),
        (
            "C:x",
            0o100644,
            None,
            "`template/C:x` which is not allowed: it has a part starting with a drive (`C:`)",
        ),
        (
            ".git",
            0o040000,
            None,
            "`template/.git` which is not allowed: it writes into `.git`",
        ),
        (
            "link",
            0o120000,
            Some("/etc/passwd"),
            "`template/link` which is a symbolic link (to `/etc/passwd`)",
        ),
        (
            "sub",
            0o160000,
            None,
            "`template/sub` which is a submodule (a gitlink, mode 160000)",
        ),
    ] {
        let repo = hostile_repo(entry, mode, target);
        let url = repo.url();
        let out = new_refused(&url, &[]);
        out.stderr_contains(&format!(
            "error: git repository {url}: tag `v1.0.0` holds {why}"
        ));
    }
}

#[test]
fn a_symlink_outside_the_bundle_parts_is_not_read() {
    // Only bundle.toml, template/, hooks/ and partials/ are a bundle: a link beside them (a
    // README pointing into docs/) is not read, so it does not stop the bundle from loading.
    let repo = BundleRepo::new();
    let git = git2::Repository::open(repo.path()).unwrap();
    let blob = |text: &str| git.blob(text.as_bytes()).unwrap();
    let template = raw_tree(&git, &[("README.md", 0o100644, blob("hi\n"))]);
    let root = raw_tree(
        &git,
        &[
            ("bundle.toml", 0o100644, blob(&manifest("1.0.0", ""))),
            ("template", 0o040000, template),
            ("README.md", 0o120000, blob("docs/README.md")),
        ],
    );
    let sig = git2::Signature::now("Platform", "p@example.com").unwrap();
    git.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "v1",
        &git.find_tree(root).unwrap(),
        &[],
    )
    .unwrap();
    repo.tag("v1.0.0", false);
    let tmp = tempfile::tempdir().unwrap();
    Goldpath::new()
        .args([
            "new",
            "paths",
            "svc",
            "--from",
            &repo.url(),
            "--defaults",
            "--no-input",
        ])
        .current_dir(tmp.path())
        .success();
    assert_eq!(
        fs::read_to_string(tmp.path().join("svc/README.md")).unwrap(),
        "hi\n"
    );
}
