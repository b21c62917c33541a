//! `goldpath bundle lint` (issue #14): every rule has a bundle that breaks it, linted by the real
//! binary, and the good bundles (the built-in catalog's releases, the test fixtures) lint clean.

use crate::harness::{fixture, Goldpath, Outcome};
use std::path::{Path, PathBuf};

const MANIFEST: &str = r#"[bundle]
name = "lintme"
version = "1.0.0"

[[questions]]
name = "service_name"
type = "string"
validation = { regex = "^[a-z][a-z0-9-]{1,40}$" }

[[questions]]
name = "ci"
type = "choice"
choices = ["github", "gitlab"]
default = "github"

[[questions]]
name = "port"
type = "int"
default = 8080
validation = { min = 1024, max = 65535 }

[[questions]]
name = "metrics"
type = "bool"
default = true

[files]
locked = ["ci/**"]
seed = ["src/**"]
"#;

/// A bundle that lints clean: every question used (a template, a path part, a partial).
const FILES: &[(&str, &str)] = &[
    (
        "template/README.md.tera",
        "# {{ service_name }}\n\nListens on {{ port }}.\n{% include \"partials/footer\" %}\n",
    ),
    ("template/src/main.rs", "fn main() {}\n"),
    (
        "template/{% if ci == \"github\" %}ci{% endif %}/github.yaml",
        "on: push\n",
    ),
    (
        "template/{% if metrics %}metrics.txt{% endif %}",
        "metrics\n",
    ),
    ("partials/footer", "Made from {{ _bundle.name }}\n"),
];

/// Writes the good bundle into `dir`, then `changes` (an empty text removes the file).
fn bundle_at(dir: &Path, manifest: &str, changes: &[(&str, &str)]) {
    let write = |path: &str, text: &str| {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("bundle.toml", manifest);
    for (path, text) in FILES {
        write(path, text);
    }
    for (path, text) in changes {
        if text.is_empty() {
            std::fs::remove_file(dir.join(path)).unwrap();
        } else {
            write(path, text);
        }
    }
}

fn lint(dir: &Path, format: &str) -> Outcome {
    Goldpath::new()
        .args(["bundle", "lint", "--format", format])
        .arg(dir)
        .current_dir(std::env::temp_dir())
        .run()
}

/// Lints the good bundle with `manifest` and `changes`: exit 1 and exactly the findings
/// `want` (`FILE:LINE: RULE`, or `FILE: RULE` without a line) in text output.
#[track_caller]
fn assert_finds(manifest: &str, changes: &[(&str, &str)], want: &[&str]) -> Outcome {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lintme");
    bundle_at(&dir, manifest, changes);
    let out = lint(&dir, "text");
    assert_eq!(out.code, Some(1), "{out}");
    let prefix = format!("{}/", dir.display());
    let found: Vec<String> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|l| {
            let mut parts = l.splitn(3, ": ");
            format!("{}: {}", parts.next().unwrap(), parts.next().unwrap())
        })
        .collect();
    assert_eq!(found, want, "{out}");
    out
}

#[test]
fn the_good_bundle_lints_clean() {
    let tmp = tempfile::tempdir().unwrap();
    bundle_at(tmp.path(), MANIFEST, &[]);
    let out = lint(tmp.path(), "text");
    assert_eq!(out.code, Some(0), "{out}");
    out.stdout_contains("no problems found");
}

#[test]
fn the_catalog_and_the_test_bundles_lint_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("golden-paths/rust-service"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 2, "{dirs:?}");
    dirs.push(fixture("bundles/greeter"));
    dirs.push(fixture("bundles/minimal"));
    for dir in dirs {
        let out = lint(&dir, "text");
        assert_eq!(out.code, Some(0), "{}: {out}", dir.display());
    }
}

#[test]
fn a_manifest_that_does_not_parse_is_reported_with_its_line() {
    let broken = MANIFEST.replace("default = true", "defualt = true");
    assert_finds(&broken, &[], &["bundle.toml:25: manifest"])
        .stdout_contains("unknown field `defualt`");
}

#[test]
fn manifest_problems_are_reported_each_on_its_line() {
    // A migration above the bundle's version, min/max on a string, a bad regex.
    let broken = MANIFEST
        .replace(
            "validation = { regex = \"^[a-z][a-z0-9-]{1,40}$\" }",
            "validation = { regex = \"(\", min = 1.0 }",
        )
        .replace(
            "seed = [\"src/**\"]\n",
            "seed = [\"src/**\"]\n\n[[migrations]]\nversion = \"2.0.0\"\ndelete = \"old.txt\"\n",
        );
    assert_finds(
        &broken,
        &[],
        &[
            "bundle.toml:8: manifest",
            "bundle.toml:8: manifest",
            "bundle.toml:31: manifest",
        ],
    )
    .stdout_contains("min and max apply only to int and float questions")
    .stdout_contains("is for version 2.0.0, newer than the bundle (1.0.0)");
}

#[test]
fn every_template_is_parsed_and_errors_carry_their_line() {
    assert_finds(
        MANIFEST,
        &[
            ("template/broken.txt.tera", "line one\n{{ port + }}\n"),
            ("partials/footer", "ok\n{% if %}\n"),
            ("template/{{ service_name | }}/x.txt", "x\n"),
        ],
        &[
            "partials/footer:2: syntax",
            "template/broken.txt.tera:2: syntax",
            "template/{{ service_name | }}/x.txt: syntax",
        ],
    )
    .stdout_contains("its path: ");
}

#[test]
fn includes_imports_and_extends_must_name_a_template() {
    assert_finds(
        MANIFEST,
        &[
            (
                "template/README.md.tera",
                "{% import \"macros.tera\" as m %}\n# {{ service_name }} {{ port }}\n{% include \"partials/header\" %}\n",
            ),
            ("template/child.txt.tera", "{% extends \"base.txt\" %}\n"),
        ],
        &[
            "template/README.md.tera:1: unknown-template",
            "template/README.md.tera:3: unknown-template",
            "template/child.txt.tera:1: unknown-template",
        ],
    )
    .stdout_contains("`partials/header` is no template of this bundle");
}

#[test]
fn variables_no_question_defines_are_reported_where_they_are_used() {
    let manifest = MANIFEST
        .replace("default = 8080", "default = \"{{ base_port + 80 }}\"")
        .replace(
            "default = true",
            "default = true\nwhen = \"ci == 'github' and use_metrics\"",
        );
    assert_finds(
        &manifest,
        &[
            (
                "template/README.md.tera",
                "# {{ service_name }}\n\nListens on {{ port }} as {{ serivce_name | upper }}.\n{% for p in ports %}{{ p }}{% endfor %}\n",
            ),
            ("template/{{ crate_name }}.txt", "x\n"),
        ],
        &[
            "bundle.toml:19: undefined-variable",
            "bundle.toml:26: undefined-variable",
            "template/README.md.tera:3: undefined-variable",
            "template/README.md.tera:4: undefined-variable",
            "template/{{ crate_name }}.txt: undefined-variable",
        ],
    )
    .stdout_contains("uses `serivce_name`, which no question defines")
    .stdout_contains("default of `port` uses `base_port`, which no earlier question defines")
    .stdout_contains("when of `metrics` uses `use_metrics`");
}

#[test]
fn a_default_may_only_use_earlier_questions() {
    // `service_name` is asked first: its default may not use `ci`, asked after it.
    let manifest = MANIFEST.replace(
        "type = \"string\"\nvalidation",
        "type = \"string\"\ndefault = \"{{ ci }}-svc\"\nvalidation",
    );
    assert_finds(&manifest, &[], &["bundle.toml:8: undefined-variable"])
        .stdout_contains("default of `service_name` uses `ci`, which no earlier question defines");
}

#[test]
fn questions_nothing_uses_are_reported() {
    let manifest = MANIFEST.replace(
        "[files]",
        "[[questions]]\nname = \"owner\"\ntype = \"string\"\ndefault = \"team\"\n\n[files]",
    );
    assert_finds(&manifest, &[], &["bundle.toml:28: unused-question"]).stdout_contains(
        "questions[4] (owner): no template, path, default or `when` uses this answer",
    );
}

#[test]
fn when_written_with_braces_is_reported() {
    let manifest = MANIFEST.replace(
        "default = true",
        "default = true\nwhen = \"{{ ci == 'github' }}\"",
    );
    assert_finds(&manifest, &[], &["bundle.toml:26: when-braces"])
        .stdout_contains("written without braces: when = \"ci == 'github'\"");
}

#[test]
fn min_and_max_of_the_wrong_type_are_reported() {
    let manifest = MANIFEST.replace("min = 1024, max = 65535", "min = 1024.5, max = 65535");
    assert_finds(&manifest, &[], &["bundle.toml:20: min-max-type"])
        .stdout_contains("min = 1024.5 is not a whole number");
}

#[test]
fn defaults_and_choices_must_pass_the_questions_own_validation() {
    let manifest = MANIFEST.replace("default = 8080", "default = 80").replace(
        "default = \"github\"",
        "default = \"github\"\nvalidation = { regex = \"^[a-z]+$\" }",
    );
    let manifest = manifest
        .replace("\"gitlab\"]", "\"git-lab\"]")
        .replace("ci == \"github\"", "x");
    assert_finds(
        &manifest,
        &[],
        &[
            "bundle.toml:13: invalid-choice",
            // The manifest itself refuses a regex on a choice question.
            "bundle.toml:15: manifest",
            "bundle.toml:20: invalid-default",
        ],
    )
    .stdout_contains("`git-lab` fails the question's own validation")
    .stdout_contains("80 is less than the minimum 1024");
}

#[test]
fn globs_that_match_no_rendered_path_are_reported() {
    // `ci/**` matches only when ci = github (a non-default answer would do too); `charts/**`
    // matches nothing for any answer.
    let manifest = MANIFEST
        .replace("default = \"github\"", "default = \"gitlab\"")
        .replace(
            "locked = [\"ci/**\"]",
            "locked = [\"ci/**\",\n  \"charts/**\"]",
        );
    assert_finds(&manifest, &[], &["bundle.toml:29: unmatched-glob"])
        .stdout_contains("files.locked: `charts/**` matches no rendered path for any answer set");
}

/// `root/lintme/<version>/` for each of `releases` (the good bundle at that version).
fn releases(root: &Path, releases: &[(&str, &str)]) {
    for (folder, manifest) in releases {
        bundle_at(&root.join(folder), manifest, &[]);
    }
}

#[test]
fn releases_must_be_newer_than_the_previous_one_and_not_prereleases() {
    let tmp = tempfile::tempdir().unwrap();
    let v = |version: &str| {
        MANIFEST.replace("version = \"1.0.0\"", &format!("version = \"{version}\""))
    };
    releases(
        tmp.path(),
        &[
            ("1.0.0", &v("1.0.0")),
            ("1.1.0", &v("1.0.0")),
            ("1.2.0-rc.1", &v("1.2.0-rc.1")),
        ],
    );
    let out = lint(&tmp.path().join("1.1.0"), "text");
    assert_eq!(out.code, Some(1), "{out}");
    out.stdout_contains("1.1.0/bundle.toml:3: version-order: bundle.version: 1.0.0 is not newer than the previous release 1.0.0");
    let out = lint(&tmp.path().join("1.2.0-rc.1"), "text");
    assert_eq!(out.code, Some(1), "{out}");
    out.stdout_contains("bundle.toml:3: prerelease: bundle.version: 1.2.0-rc.1 is a prerelease");
    assert!(!out.stdout.contains("version-order"), "{out}");
    // The first release has nothing before it.
    assert_eq!(lint(&tmp.path().join("1.0.0"), "text").code, Some(0));
}

#[test]
fn migrations_must_be_for_a_release_and_act_on_what_the_previous_one_rendered() {
    let tmp = tempfile::tempdir().unwrap();
    let second = MANIFEST.replace("version = \"1.0.0\"", "version = \"1.1.0\"")
        + "\n[[migrations]]\nversion = \"1.0.5\"\ndelete = \"metrics.txt\"\n\n[[migrations]]\nversion = \"1.1.0\"\nrename = { from = \"docs\", to = \"doc\" }\n\n[[migrations]]\nversion = \"1.1.0\"\ndelete = \"README.md\"\n";
    releases(tmp.path(), &[("1.0.0", MANIFEST), ("1.1.0", &second)]);
    let out = lint(&tmp.path().join("1.1.0"), "text");
    assert_eq!(out.code, Some(1), "{out}");
    out.stdout_contains("1.1.0/bundle.toml:32: migration-version: migrations[0]: version 1.0.5 is no release of this bundle (releases: 1.0.0, 1.1.0)")
        .stdout_contains("1.1.0/bundle.toml:36: migration-path: migrations[1]: `docs` is not rendered by the previous release 1.0.0");
    assert!(!out.stdout.contains("README.md"), "{out}");
}

#[test]
fn everything_is_reported_at_once_in_each_format() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = MANIFEST.replace("default = true", "default = true\nwhen = \"{{ ci }}\"");
    bundle_at(
        tmp.path(),
        &manifest,
        &[(
            "template/bad.tera",
            "{{ nope }}\n{% include \"partials/x\" %}\n",
        )],
    );
    let text = lint(tmp.path(), "text");
    assert_eq!(text.code, Some(1), "{text}");
    text.stdout_contains("3 problems (1 undefined-variable, 1 unknown-template, 1 when-braces)");

    let json = lint(tmp.path(), "json");
    assert_eq!(json.code, Some(1), "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{json}");
    assert_eq!(findings[0]["file"], "bundle.toml");
    assert_eq!(findings[0]["line"], 26);
    assert_eq!(findings[0]["rule"], "when-braces");
    assert_eq!(findings[1]["file"], "template/bad.tera");
    assert_eq!(findings[1]["line"], 1);
    assert_eq!(findings[1]["rule"], "undefined-variable");

    let github = lint(tmp.path(), "github");
    assert_eq!(github.code, Some(1), "{github}");
    let dir = tmp
        .path()
        .display()
        .to_string()
        .replace(':', "%3A")
        .replace(',', "%2C");
    github.stdout_contains(&format!(
        "::error file={dir}/template/bad.tera,line=1,title=undefined-variable::uses `nope`, which no question defines\n"
    ));
    assert_eq!(github.stdout.lines().count(), 3, "{github}");
}

#[test]
fn a_folder_without_a_manifest_is_a_user_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = lint(tmp.path(), "text");
    assert_eq!(out.code, Some(2), "{out}");
    out.stderr_contains("bundle.toml is missing");
    let out = lint(&tmp.path().join("nowhere"), "text");
    assert_eq!(out.code, Some(2), "{out}");
    out.stderr_contains("no such folder");
}
