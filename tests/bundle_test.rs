//! `goldpath bundle test` (issue #14): the built-in catalog's newest release passes its own
//! `[test]` table and every upgrade from an earlier release, run through the real binary; a
//! broken check, a broken upgrade and a bad `[test]` table each fail with the case named.

use crate::harness::{Goldpath, Outcome};
use std::path::Path;
use std::time::Duration;

fn bundle_test(dir: &Path, format: &str) -> Outcome {
    // rust-service's suite is 30 cases (5 answer sets, each new and upgraded from 5 releases),
    // each a few goldpath runs and shell checks: about 20 s on an idle machine, several times
    // that on a loaded one, so it gets a bound of its own.
    Goldpath::new()
        .args(["bundle", "test", "--format", format])
        .arg(dir)
        .current_dir(std::env::temp_dir())
        .run_within(Duration::from_secs(600))
}

#[test]
fn the_catalogs_newest_release_passes_its_conformance_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let newest = std::fs::read_dir(root.join("golden-paths/rust-service"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| semver::Version::parse(&p.file_name().unwrap().to_string_lossy()).unwrap())
        .unwrap();
    let out = bundle_test(&newest, "junit");
    assert_eq!(out.code, Some(0), "{out}");
    let version = newest.file_name().unwrap().to_string_lossy().to_string();
    // 5 answer sets (defaults, ci=gitlab, metrics_operator=false, two named cases), each
    // rendered and upgraded from each earlier release.
    let earlier = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0"];
    let cases = 5 * (1 + earlier.len());
    out.stdout_contains(&format!(
        "<testsuite name=\"goldpath bundle test rust-service {version}\" tests=\"{cases}\" failures=\"0\""
    ));
    for from in earlier {
        out.stdout_contains(&format!(
            "name=\"upgrade {from} -&gt; {version} gitlab, one replica, no operator\""
        ));
        out.stdout_contains(&format!(
            "name=\"upgrade {from} -&gt; {version} service on 9090\""
        ));
    }
    assert_eq!(out.stdout.matches("<testcase ").count(), cases, "{out}");
}

const MANIFEST: &str = r#"[bundle]
name = "tested"
version = "VERSION"

[[questions]]
name = "ci"
type = "choice"
choices = ["github", "gitlab"]
default = "github"

[test]
checks = ["test -f ci.txt", "grep -q github ci.txt"]

[[test.cases]]
name = "gitlab by name"
answers = { ci = "gitlab" }
"#;

fn release(root: &Path, version: &str, extra: &str, files: &[(&str, &str)]) {
    let dir = root.join(version);
    std::fs::create_dir_all(dir.join("template")).unwrap();
    std::fs::write(
        dir.join("bundle.toml"),
        MANIFEST.replace("VERSION", version) + extra,
    )
    .unwrap();
    std::fs::write(dir.join("template/ci.txt.tera"), "{{ ci }}\n").unwrap();
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn failing_checks_and_upgrades_are_reported_per_case() {
    let tmp = tempfile::tempdir().unwrap();
    release(tmp.path(), "1.0.0", "", &[]);
    // 1.1.0's migration hook fails: every upgrade from 1.0.0 fails, naming it.
    release(
        tmp.path(),
        "1.1.0",
        "\n[[migrations]]\nversion = \"1.1.0\"\nrun = \"broken.sh\"\n",
        &[(
            "hooks/broken.sh",
            "#!/bin/sh\necho migrating went wrong >&2\nexit 3\n",
        )],
    );
    use std::os::unix::fs::PermissionsExt;
    let hook = tmp.path().join("1.1.0/hooks/broken.sh");
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();

    let out = bundle_test(&tmp.path().join("1.1.0"), "text");
    assert_eq!(out.code, Some(1), "{out}");
    out.stdout_contains("ok    new defaults")
        // `grep -q github ci.txt` fails when ci = gitlab, by the matrix and by name.
        .stdout_contains("FAIL  new ci=gitlab")
        .stdout_contains("FAIL  new gitlab by name")
        .stdout_contains("check `grep -q github ci.txt` exited with 1")
        .stdout_contains("FAIL  upgrade 1.0.0 -> 1.1.0 defaults")
        .stdout_contains("`goldpath upgrade` exited with")
        .stdout_contains("tested 1.1.0: 6 cases, 5 failed");

    let out = bundle_test(&tmp.path().join("1.1.0"), "junit");
    assert_eq!(out.code, Some(1), "{out}");
    out.stdout_contains("tests=\"6\" failures=\"5\"")
        .stdout_contains("<failure message=\"check `grep -q github ci.txt` exited with 1:\">");

    // The first release has nothing to upgrade from; its defaults pass.
    let out = bundle_test(&tmp.path().join("1.0.0"), "text");
    assert_eq!(out.code, Some(1), "{out}");
    out.stdout_contains("tested 1.0.0: 3 cases, 2 failed");
}

#[test]
fn a_test_table_answering_an_unknown_question_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    release(
        tmp.path(),
        "1.0.0",
        "\n[[test.cases]]\nname = \"typo\"\nanswers = { cl = \"gitlab\" }\n",
        &[],
    );
    let out = bundle_test(&tmp.path().join("1.0.0"), "text");
    assert_eq!(out.code, Some(2), "{out}");
    out.stderr_contains("test.cases[1] (typo): answers `cl`, which this bundle does not ask");
}

#[test]
fn python_and_node_service_pass_their_conformance_suites() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (bundle, version, earlier) in [
        ("python-service", "1.3.0", &["1.0.0", "1.1.0", "1.2.0"][..]),
        (
            "node-service",
            "1.3.1",
            &["1.0.0", "1.1.0", "1.2.0", "1.3.0"][..],
        ),
    ] {
        let out = bundle_test(
            &root.join("golden-paths").join(bundle).join(version),
            "junit",
        );
        assert_eq!(out.code, Some(0), "{bundle}: {out}");
        // 4 answer sets (defaults, ci=gitlab, metrics_operator=false, one named case), each
        // rendered and upgraded from every earlier release.
        let cases = 4 * (1 + earlier.len());
        out.stdout_contains(&format!(
            "<testsuite name=\"goldpath bundle test {bundle} {version}\" tests=\"{cases}\" failures=\"0\""
        ));
        for from in earlier {
            out.stdout_contains(&format!(
                "name=\"upgrade {from} -&gt; {version} gitlab, one replica, no operator, port 9090\""
            ));
        }
        assert_eq!(
            out.stdout.matches("<testcase ").count(),
            cases,
            "{bundle}: {out}"
        );
    }
}
