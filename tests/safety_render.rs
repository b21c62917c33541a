//! Hostile bundles against rendering (issue #9): resource bombs, symlinks in a bundle, template
//! syntax inside answers, and errors that name the right thing. Each bomb must end in exit 2
//! with a message naming the template, quickly and in bounded memory, with nothing written.

use crate::harness::{ls, write, Goldpath, Outcome};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Writes a bundle named `b` under `dir` with `files` (paths relative to the bundle folder);
/// `bundle.toml` gets a `[bundle]` header unless given.
fn bundle(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join("b");
    std::fs::create_dir_all(root.join("template")).unwrap();
    if !files.iter().any(|(p, _)| *p == "bundle.toml") {
        std::fs::write(
            root.join("bundle.toml"),
            "[bundle]\nname = \"b\"\nversion = \"1.0.0\"\n",
        )
        .unwrap();
    }
    write(&root, files);
    root
}

/// `goldpath new b svc --from <bundle>` in a fresh folder, refused with exit 2 within `within`,
/// leaving the folder as it was.
#[track_caller]
fn new_refused(files: &[(&str, &str)], extra: &[&str], within: Duration) -> Outcome {
    let tmp = tempfile::tempdir().unwrap();
    let b = bundle(tmp.path(), files);
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let started = Instant::now();
    let out = Goldpath::new()
        .args(["new", "b", "svc", "--no-input", "--defaults", "--from"])
        .arg(&b)
        .args(extra)
        .current_dir(&work)
        .code(2);
    assert!(
        started.elapsed() < within,
        "took {:?}\n{out}",
        started.elapsed()
    );
    assert!(ls(&work).is_empty(), "left behind: {:?}\n{out}", ls(&work));
    out
}

const QUICK: Duration = Duration::from_secs(20);

/// A string left open at the very end of a template was read past the end of the text by the
/// nesting check before the parse: a panic, where it is tera's syntax error with its line.
#[test]
fn a_string_left_open_at_the_end_is_a_syntax_error_not_a_crash() {
    for text in ["hello\n{{ \"abc", "{% if x == 'a", "{{ x }}\n{{ `"] {
        let out = new_refused(&[("template/a.txt.tera", text)], &[], QUICK);
        out.stderr_contains("template/a.txt.tera:")
            .stderr_contains("Failed to parse");
        assert!(!out.stderr.contains("panicked"), "{out}");
    }
    // The same check guards the expressions of bundle.toml.
    let manifest = "[bundle]\nname = \"b\"\nversion = \"1.0.0\"\n\n[[questions]]\nname = \"q\"\ntype = \"string\"\ndefault = \"{{ \\\"abc\"\n";
    let out = new_refused(
        &[("bundle.toml", manifest), ("template/a.txt", "hi\n")],
        &[],
        QUICK,
    );
    out.stderr_contains("`default` of question `q` cannot be evaluated")
        .stderr_contains("Failed to parse");
}

#[test]
fn a_huge_range_is_refused_naming_the_template() {
    new_refused(
        &[(
            "template/a.txt.tera",
            "{% for i in range(end=100000000) %}x{% endfor %}",
        )],
        &[],
        QUICK,
    )
    .stderr_contains("template/a.txt.tera: stopped: `range` asked for 100000000 items; at most 100000 are allowed");
}

#[test]
fn nested_loops_stop_at_the_iteration_limit() {
    new_refused(
        &[(
            "template/a.txt.tera",
            "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}",
        )],
        &[],
        QUICK,
    )
    .stderr_contains("template/a.txt.tera: stopped: more than 1000000 loop iterations");
}

#[test]
fn a_self_including_template_is_refused() {
    new_refused(
        &[("template/a.txt.tera", "x{% include \"a.txt.tera\" %}")],
        &[],
        QUICK,
    )
    .stderr_contains(
        "template/a.txt.tera: stopped: it includes itself: template/a.txt.tera -> template/a.txt.tera",
    );
}

#[test]
fn mutually_including_partials_are_refused() {
    new_refused(
        &[
            ("template/a.txt.tera", "{% include \"partials/p.tera\" %}"),
            ("partials/p.tera", "{% include \"partials/q.tera\" %}"),
            ("partials/q.tera", "{% include \"partials/p.tera\" %}"),
        ],
        &[],
        QUICK,
    )
    .stderr_contains(
        "partials/p.tera: stopped: it includes itself: partials/p.tera -> partials/q.tera -> partials/p.tera",
    );
}

#[test]
fn includes_nested_too_deep_are_refused() {
    let mut files: Vec<(String, String)> = (0..20)
        .map(|i| {
            (
                format!("partials/p{i:02}.tera"),
                format!("{{% include \"partials/p{:02}.tera\" %}}", i + 1),
            )
        })
        .collect();
    files.push(("partials/p20.tera".into(), "end".into()));
    files.push((
        "template/a.txt.tera".into(),
        "{% include \"partials/p00.tera\" %}".into(),
    ));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    new_refused(&files, &[], QUICK).stderr_contains(
        "stopped: includes nested more than 16 deep: template/a.txt.tera -> partials/p00.tera",
    );
}

#[test]
fn mutually_importing_macro_files_are_refused() {
    new_refused(
        &[
            (
                "template/a.txt.tera",
                "{% import \"partials/m.tera\" as m %}{{ m::f() }}",
            ),
            (
                "partials/m.tera",
                "{% import \"partials/n.tera\" as n %}{% macro f() %}f{% endmacro f %}",
            ),
            (
                "partials/n.tera",
                "{% import \"partials/m.tera\" as m %}{% macro g() %}g{% endmacro g %}",
            ),
        ],
        &[],
        QUICK,
    )
    .stderr_contains("stopped: it imports itself: ");
}

#[test]
fn endless_macro_recursion_stops_at_the_depth_limit() {
    new_refused(
        &[(
            "template/a.txt.tera",
            "{% macro m(n) %}{{ self::m(n=n+1) }}{% endmacro m %}{{ self::m(n=0) }}",
        )],
        &[],
        QUICK,
    )
    .stderr_contains("template/a.txt.tera: stopped: macro calls nested more than 64 deep");
}

#[test]
fn macro_recursion_through_an_include_stops_too() {
    new_refused(
        &[
            (
                "template/a.txt.tera",
                "{% import \"partials/m.tera\" as m %}{{ m::f() }}",
            ),
            (
                "partials/m.tera",
                "{% macro f() %}{% include \"partials/i.tera\" %}{% endmacro f %}",
            ),
            (
                "partials/i.tera",
                "{% import \"partials/m.tera\" as m %}{{ m::f() }}",
            ),
        ],
        &[],
        QUICK,
    )
    .stderr_contains("template/a.txt.tera: stopped: macro calls nested more than 64 deep");
}

#[test]
fn a_terminating_recursive_macro_renders() {
    let tmp = tempfile::tempdir().unwrap();
    let b = bundle(
        tmp.path(),
        &[(
            "template/a.txt.tera",
            "{% macro down(n) %}{{ n }}{% if n > 0 %} {{ self::down(n=n-1) }}{% endif %}{% endmacro down %}{{ self::down(n=50) }}",
        )],
    );
    Goldpath::new()
        .args(["new", "b", "svc", "--no-input", "--no-commit", "--from"])
        .arg(&b)
        .current_dir(tmp.path())
        .success();
    let text = std::fs::read_to_string(tmp.path().join("svc/a.txt")).unwrap();
    assert!(
        text.starts_with("50 49 48") && text.ends_with(" 1 0"),
        "{text}"
    );
}

#[test]
fn exponential_macro_fan_out_stops_at_the_call_limit() {
    new_refused(
        &[(
            "template/a.txt.tera",
            "{% macro m(n) %}{% if n > 0 %}{{ self::m(n=n-1) }}{{ self::m(n=n-1) }}{% endif %}{% endmacro m %}{{ self::m(n=40) }}",
        )],
        &[],
        QUICK,
    )
    .stderr_contains("template/a.txt.tera: stopped: more than 1000000 macro calls");
}

#[test]
fn a_huge_output_stops_at_the_file_limit() {
    new_refused(
        &[(
            "template/a.txt.tera",
            "{% set s = \"0123456789abcdef\" %}{% for i in range(end=10) %}{% set_global s = s ~ s %}{% endfor %}{% for i in range(end=100000) %}{{ s }}{% endfor %}",
        )],
        &[],
        QUICK,
    )
    .stderr_contains("template/a.txt.tera: stopped: its output is larger than 10 MiB");
}

#[test]
fn string_doubling_stops_at_the_memory_limit() {
    new_refused(
        &[(
            "template/a.txt.tera",
            "{% set s = \"x\" %}{% for i in range(end=64) %}{% set_global s = s ~ s %}{% endfor %}{{ s | length }}",
        )],
        &[],
        QUICK,
    )
    .stderr_contains("template/a.txt.tera: stopped: the render used more than 512 MiB of memory");
}

#[test]
fn deeply_nested_tags_are_refused_before_parsing() {
    let deep_ifs = format!(
        "{}x{}",
        "{% if true %}".repeat(100_000),
        "{% endif %}".repeat(100_000)
    );
    new_refused(&[("template/a.txt.tera", &deep_ifs)], &[], QUICK).stderr_contains(
        "template/a.txt.tera:1: stopped: tags and brackets nested more than 64 deep",
    );
    let deep_parens = format!("{{{{ {}1{} }}}}", "(".repeat(100_000), ")".repeat(100_000));
    new_refused(&[("template/a.txt.tera", &deep_parens)], &[], QUICK).stderr_contains(
        "template/a.txt.tera:1: stopped: tags and brackets nested more than 64 deep",
    );
}

#[test]
fn nested_calls_are_refused_before_tera_parses_them_for_minutes() {
    let calls = format!("{{{{ {}1{} }}}}", "f(a=".repeat(14), ")".repeat(14));
    new_refused(&[("template/a.txt.tera", &calls)], &[], QUICK).stderr_contains(
        "template/a.txt.tera:1: stopped: calls nested more than 6 deep in each other's arguments",
    );
}

#[test]
fn a_bomb_in_a_default_or_a_path_is_stopped_too() {
    new_refused(
        &[
            (
                "bundle.toml",
                "[bundle]\nname = \"b\"\nversion = \"1.0.0\"\n\n[[questions]]\nname = \"x\"\ntype = \"string\"\ndefault = \"{% macro m() %}{{ self::m() }}{% endmacro m %}{{ self::m() }}\"\n",
            ),
            ("template/a.txt", "a"),
        ],
        &[],
        QUICK,
    )
    .stderr_contains("macro calls nested more than 64 deep");
    new_refused(
        &[
            (
                "bundle.toml",
                "[bundle]\nname = \"b\"\nversion = \"1.0.0\"\n\n[[questions]]\nname = \"x\"\ntype = \"string\"\ndefault = \"{% set_global s = 'x' %}{% for i in range(end=64) %}{% set_global s = s ~ s %}{% endfor %}{{ s | length }}\"\n",
            ),
            ("template/a.txt", "a"),
        ],
        &[],
        QUICK,
    )
    .stderr_contains("`default` of question `x` cannot be evaluated: the render used more than 512 MiB of memory");
    new_refused(
        &[(
            "template/{% for i in range(end=100000000) %}x{% endfor %}.txt",
            "a",
        )],
        &[],
        QUICK,
    )
    .stderr_contains("`range` asked for 100000000 items");
}

#[test]
fn an_oversized_answer_is_refused_naming_it() {
    let big = format!("name={}", "x".repeat(70_000));
    new_refused(
        &[
            (
                "bundle.toml",
                "[bundle]\nname = \"b\"\nversion = \"1.0.0\"\n\n[[questions]]\nname = \"name\"\ntype = \"string\"\n",
            ),
            ("template/a.txt.tera", "{{ name }}"),
        ],
        &["--set", &big],
        QUICK,
    )
    .stderr_contains("the answer to `name` is 70000 bytes long; answers may be at most 65536 bytes");
}

#[test]
fn a_slow_render_stops_at_the_time_limit() {
    // Under every other limit: 100,000 iterations, each copying a 1 MiB string.
    new_refused(
        &[(
            "template/a.txt.tera",
            "{% set_global s = \"x\" %}{% for i in range(end=20) %}{% set_global s = s ~ s %}{% endfor %}{% for i in range(end=100000) %}{% set t = s | replace(from=\"y\", to=\"z\") %}{% endfor %}",
        )],
        &[],
        Duration::from_secs(20),
    )
    .stderr_contains("template/a.txt.tera: stopped: the render took longer than 10 s");
}

#[cfg(unix)]
#[test]
fn symlinks_in_a_bundle_folder_are_refused_naming_the_link() {
    use std::os::unix::fs::symlink;
    // A linked template folder (it used to give an empty project without a word).
    let tmp = tempfile::tempdir().unwrap();
    let b = bundle(tmp.path(), &[]);
    std::fs::remove_dir(b.join("template")).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("secret.txt"), "s3cret\n").unwrap();
    symlink(&elsewhere, b.join("template")).unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = Goldpath::new()
        .args(["new", "b", "svc", "--no-input", "--from"])
        .arg(&b)
        .current_dir(&work)
        .code(2);
    out.stderr_contains(&format!(
        "cannot read `{}`: it is a symbolic link",
        b.join("template").display()
    ));
    assert!(ls(&work).is_empty(), "{out}");

    // A linked file reaching outside the bundle is never read.
    let tmp = tempfile::tempdir().unwrap();
    let b = bundle(tmp.path(), &[("template/a.txt", "a")]);
    std::fs::write(tmp.path().join("secret.txt"), "s3cret\n").unwrap();
    symlink(tmp.path().join("secret.txt"), b.join("template/leak.txt")).unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = Goldpath::new()
        .args(["new", "b", "svc", "--no-input", "--from"])
        .arg(&b)
        .current_dir(&work)
        .code(2);
    out.stderr_contains(&format!(
        "cannot read `{}`: it is a symbolic link",
        b.join("template/leak.txt").display()
    ));
    assert!(
        !out.stderr.contains("s3cret") && ls(&work).is_empty(),
        "{out}"
    );
}

#[test]
fn a_write_error_names_the_destination_the_template_and_the_answer() {
    // Each part is a legal name (at most 255 bytes); seventeen of them pass the 4,096 bytes
    // Linux allows a whole path, so the write fails.
    let long = "x".repeat(250);
    let template = format!("template/{}f.md.tera", "{{ name }}/".repeat(17));
    let out = new_refused(
        &[
            (
                "bundle.toml",
                "[bundle]\nname = \"b\"\nversion = \"1.0.0\"\n\n[[questions]]\nname = \"name\"\ntype = \"string\"\n",
            ),
            (&template, "{{ name }}"),
        ],
        &["--set", &format!("name={long}")],
        QUICK,
    );
    out.stderr_contains(&format!("svc/{long}/{long}/"))
        .stderr_contains(&format!(
            "(rendered from {template}, with the answer `name`)"
        ));
    assert!(!out.stderr.contains(".goldpath-new-"), "{out}");
}

/// Every file under `dir` with its bytes, `.git` included (nothing may be written anywhere).
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn a_damaged_answers_file_is_named_with_its_line_and_how_to_restore_it() {
    let tmp = tempfile::tempdir().unwrap();
    Goldpath::new()
        .args([
            "new",
            "rust-service",
            "svc",
            "--version",
            "1.1.0",
            "--defaults",
            "--no-input",
            "--set",
            "service_name=orders",
        ])
        .current_dir(tmp.path())
        .success();
    let project = tmp.path().join("svc");
    let good = std::fs::read_to_string(project.join(".goldpath.toml")).unwrap();
    let version_line = good
        .lines()
        .position(|l| l.starts_with("version = "))
        .unwrap()
        + 1;
    let cut = good.find("[answers]").unwrap() + 12;
    let damaged: Vec<(&str, Vec<u8>, usize)> = vec![
        (
            "version not semver",
            good.replacen("version = \"1.1.0\"", "version = \"1.1\"", 1)
                .into_bytes(),
            version_line,
        ),
        (
            "unknown key",
            good.replacen("[bundle]\n", "[bundle]\ncolour = \"red\"\n", 1)
                .into_bytes(),
            good.lines().position(|l| l == "[bundle]").unwrap() + 2,
        ),
        (
            "wrong type",
            good.replacen("version = \"1.1.0\"", "version = 11", 1)
                .into_bytes(),
            version_line,
        ),
        ("truncated", good.as_bytes()[..cut].to_vec(), 0),
        ("empty", Vec::new(), 1),
        (
            "not UTF-8",
            good.replacen("[answers]\n", "[answers]\n# caf\u{e9}\n", 1)
                .into_bytes()
                .into_iter()
                .map(|b| if b == 0xc3 { 0xff } else { b })
                .collect(),
            good.lines().position(|l| l == "[answers]").unwrap() + 2,
        ),
    ];
    for (what, bytes, line) in damaged {
        std::fs::write(project.join(".goldpath.toml"), &bytes).unwrap();
        let before = snapshot(&project);
        for command in [&["check"][..], &["upgrade"], &["diff"]] {
            let out = Goldpath::new().args(command).current_dir(&project).run();
            assert_eq!(out.code, Some(2), "{what}, {command:?}\n{out}");
            // 0: any line, as long as there is one.
            let at = if line == 0 {
                ".goldpath.toml:".to_string()
            } else {
                format!(".goldpath.toml:{line}: ")
            };
            let with_line =
                out.stderr.split(&at).nth(1).is_some_and(|rest| {
                    line != 0 || rest.starts_with(|c: char| c.is_ascii_digit())
                });
            assert!(
                with_line && out.stderr.contains("restore it with `git checkout -- "),
                "{what}, {command:?}: wants {at}\n{out}"
            );
            assert_eq!(
                snapshot(&project),
                before,
                "{what}, {command:?} wrote\n{out}"
            );
        }
    }
}

/// Template syntax that must stay data when it comes in an answer.
const SNEAKY: &str = "{{ get_env(name=\"HOME\") }}{% include \"a.txt.tera\" %}";

fn sneaky_manifest(version: &str, tail: &str) -> String {
    format!(
        "[bundle]\nname = \"b\"\nversion = \"{version}\"\n\n\
         [[questions]]\nname = \"owner\"\ntype = \"string\"\n\n\
         [[questions]]\nname = \"derived\"\ntype = \"string\"\ndefault = \"{{{{ owner }}}}!\"\n\n\
         [[questions]]\nname = \"part\"\ntype = \"string\"\n{tail}"
    )
}

#[test]
fn template_syntax_in_answers_is_data_never_evaluated() {
    let repo = crate::harness::BundleRepo::new();
    repo.write("bundle.toml", &sneaky_manifest("1.0.0", ""))
        .write("template/a.txt.tera", "{{ owner }}|{{ derived }}\n")
        .write("template/{{ part }}.txt", "x\n");
    repo.commit("1.0.0");
    repo.tag("v1.0.0", false);
    let tmp = tempfile::tempdir().unwrap();
    Goldpath::new()
        .args(["new", "b", "svc", "--no-input", "--defaults", "--from"])
        .arg(repo.url())
        .args(["--set", &format!("owner={SNEAKY}")])
        .args(["--set", "part={{ _bundle.name }}"])
        .current_dir(tmp.path())
        .success();
    let project = tmp.path().join("svc");
    assert_eq!(
        std::fs::read_to_string(project.join("a.txt")).unwrap(),
        format!("{SNEAKY}|{SNEAKY}!\n")
    );
    assert!(project.join("{{ _bundle.name }}.txt").is_file());

    // A set_answer migration computed from an answer keeps it as data too.
    repo.write(
        "bundle.toml",
        &sneaky_manifest(
            "2.0.0",
            "\n[[migrations]]\nversion = \"2.0.0\"\nset_answer = { name = \"derived\", value = \"{{ owner }}?\" }\n",
        ),
    );
    repo.commit("2.0.0");
    repo.tag("v2.0.0", false);
    Goldpath::new()
        .args(["upgrade"])
        .current_dir(&project)
        .success();
    assert_eq!(
        std::fs::read_to_string(project.join("a.txt")).unwrap(),
        format!("{SNEAKY}|{SNEAKY}?\n")
    );
}
