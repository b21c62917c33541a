//! Where bundles come from: `goldpath list` and `goldpath new` with the built-in catalog, a folder,
//! and git repositories whose tags are the versions (read from git objects, never checked out).

use crate::harness::{assert_clean, commits, files, fixture, ls, read, BundleRepo, Goldpath};
use std::path::Path;

fn recorded_bundle(project: &Path) -> toml::Table {
    let table: toml::Table = toml::from_str(&read(project.join(".goldpath.toml"))).unwrap();
    table["bundle"].as_table().unwrap().clone()
}

/// A bundle repository with three commits:
/// 1. `greeter/` at 1.0.0, tagged `v1.0.0` (lightweight: every bundle in the repo);
/// 2. greeter 1.1.0 (a changed README) and `golden-paths/minimal/`, tagged `greeter/v1.1.0`
///    (annotated) and `minimal/v0.3.0`;
/// 3. an untagged commit that breaks greeter, and a work tree that differs again: neither may
///    be read.
struct Repo {
    repo: BundleRepo,
    v1_0: String,
    v1_1: String,
}

fn bundle_repo() -> Repo {
    let repo = BundleRepo::new();
    repo.copy_fixture("bundles/greeter", "greeter");
    let v1_0 = repo.commit("greeter 1.0.0");
    repo.tag("v1.0.0", false);

    let manifest = read(fixture("bundles/greeter/bundle.toml"));
    repo.write(
        "greeter/bundle.toml",
        &manifest.replace("version = \"1.0.0\"", "version = \"1.1.0\""),
    )
    .write(
        "greeter/template/README.md.tera",
        "# {{ service_name }} ({{ _bundle.version }})\n",
    )
    .copy_fixture("bundles/minimal", "golden-paths/minimal");
    let v1_1 = repo.commit("greeter 1.1.0, minimal 0.3.0");
    repo.tag("greeter/v1.1.0", true)
        .tag("minimal/v0.3.0", false);

    repo.write(
        "greeter/bundle.toml",
        "[bundle]\nname = \"greeter\"\nversion = \"1.2.0\"\nbroken = true\n",
    );
    repo.commit("work in progress");
    repo.write("greeter/bundle.toml", "not even toml");
    Repo { repo, v1_0, v1_1 }
}

const GREETER: &str = "Test bundle: every question type, conditional paths, raw and binary files";

#[test]
fn list_shows_a_folders_bundles() {
    let tmp = tempfile::tempdir().unwrap();
    Goldpath::new()
        .args(["list", "--from", &fixture("bundles").display().to_string()])
        .current_dir(tmp.path())
        .success()
        .stdout_is(&format!(
            "greeter  1.0.0\n    {GREETER}\nminimal  0.3.0\n    Test bundle: no questions, one file\n"
        ));
    // A folder that is one bundle.
    Goldpath::new()
        .args([
            "list",
            "--from",
            &fixture("bundles/minimal").display().to_string(),
        ])
        .success()
        .stdout_is("minimal  0.3.0\n    Test bundle: no questions, one file\n");
    // A bundle without a description.
    Goldpath::new()
        .args([
            "list",
            "--from",
            &fixture("broken/syntax").display().to_string(),
        ])
        .success()
        .stdout_is("syntax  1.0.0\n");
    // A folder with none.
    Goldpath::new()
        .args(["list", "--from", "."])
        .current_dir(tmp.path())
        .code(2)
        .stderr_is(&format!(
            "error: {} holds no bundles\nhint: a bundle is a folder with bundle.toml and template/ (see docs/bundles.md)\n",
            std::path::absolute(tmp.path().join(".")).unwrap().display()
        ));
}

#[test]
fn list_shows_the_built_in_catalog_with_versions() {
    let out = Goldpath::new().arg("list").success();
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("rust-service "))
        .unwrap_or_else(|| panic!("rust-service is not listed\n{out}"));
    let newest = line.split_whitespace().nth(1).unwrap();
    semver::Version::parse(newest).unwrap_or_else(|e| panic!("{line}: {e}"));
}

#[test]
fn new_from_the_built_in_catalog() {
    let tmp = tempfile::tempdir().unwrap();
    let listed = Goldpath::new().arg("list").success().stdout;
    let newest = listed
        .lines()
        .find_map(|l| l.strip_prefix("rust-service "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    Goldpath::new()
        .args(["new", "rust-service", "orders-api", "--defaults"])
        .args(["--set", "service_name=orders-api"])
        .current_dir(tmp.path())
        .success()
        .stdout_contains(&format!(
            "Created orders-api from rust-service {newest} (builtin): "
        ));
    let project = tmp.path().join("orders-api");
    let log = commits(&project);
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].message.lines().next().unwrap(),
        format!("Create orders-api from golden path rust-service {newest}")
    );
    assert_clean(&project);
    let bundle = recorded_bundle(&project);
    assert_eq!(bundle["name"].as_str(), Some("rust-service"));
    assert_eq!(bundle["source"].as_str(), Some("builtin"));
    assert_eq!(bundle["version"].as_str(), Some(newest.as_str()));
    assert!(!bundle.contains_key("commit"));
    let table: toml::Table = toml::from_str(&read(project.join(".goldpath.toml"))).unwrap();
    assert_eq!(
        table["answers"]["service_name"].as_str(),
        Some("orders-api")
    );
    assert_eq!(ls(tmp.path()), ["orders-api"]);

    // --version picks any listed release (the oldest here), and refuses one that is not.
    let oldest = listed
        .lines()
        .find_map(|l| l.strip_prefix("rust-service "))
        .map(|rest| {
            rest.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
                .filter_map(|v| semver::Version::parse(v).ok())
                .min()
                .unwrap()
        })
        .unwrap()
        .to_string();
    Goldpath::new()
        .args([
            "new",
            "rust-service",
            "old",
            "--version",
            &oldest,
            "--defaults",
        ])
        .args(["--set", "service_name=orders-api"])
        .current_dir(tmp.path())
        .success();
    assert_eq!(
        recorded_bundle(&tmp.path().join("old"))["version"].as_str(),
        Some(oldest.as_str())
    );
    assert_clean(&tmp.path().join("old"));
    Goldpath::new()
        .args(["new", "rust-service", "none", "--version", "99.0.0"])
        .current_dir(tmp.path())
        .code(2)
        .stderr_contains(
            "error: bundle `rust-service` has no version 99.0.0 in the built-in catalog (available: ",
        )
        .stderr_contains(&format!("{newest})\n"));
    assert_eq!(ls(tmp.path()), ["old", "orders-api"]);
}

#[test]
fn list_and_new_from_git_tags() {
    let r = bundle_repo();
    let url = r.repo.url();
    Goldpath::new()
        .args(["list", "--from", &url])
        .success()
        .stdout_is(&format!(
            "greeter  1.1.0 (also 1.0.0)\n    {GREETER}\nminimal  0.3.0\n    Test bundle: no questions, one file\n"
        ));

    // The newest version by default: the annotated tag's commit is recorded.
    let tmp = tempfile::tempdir().unwrap();
    Goldpath::new()
        .args(["new", "greeter", "svc", "--from", &url, "--defaults"])
        .args(["--set", "service_name=orders"])
        .current_dir(tmp.path())
        .success()
        .stdout_contains(&format!("Created svc from greeter 1.1.0 ({url}): "));
    let svc = tmp.path().join("svc");
    assert_eq!(read(svc.join("README.md")), "# orders (1.1.0)\n");
    let bundle = recorded_bundle(&svc);
    assert_eq!(bundle["version"].as_str(), Some("1.1.0"));
    assert_eq!(bundle["source"].as_str(), Some(url.as_str()));
    assert_eq!(bundle["commit"].as_str(), Some(r.v1_1.as_str()));
    let log = commits(&svc);
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].message,
        format!(
            "Create svc from golden path greeter 1.1.0\n\nGenerated by goldpath from {url} at {}.\n",
            r.v1_1
        )
    );
    assert_clean(&svc);
    // Executable bits come from the git tree.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(svc.join("bin/run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
    }

    // --version picks a tag; the lightweight tag's commit is recorded.
    Goldpath::new()
        .args([
            "new",
            "greeter",
            "old",
            "--from",
            &url,
            "--version",
            "1.0.0",
        ])
        .args(["--defaults", "--set", "service_name=orders"])
        .current_dir(tmp.path())
        .success();
    let old = tmp.path().join("old");
    assert_eq!(
        read(old.join("README.md")),
        "# orders\n\nCreated from greeter 1.0.0.\nPort 8080, SLO 99.9%, CI github, environments: dev, prod.\n"
    );
    let bundle = recorded_bundle(&old);
    assert_eq!(bundle["version"].as_str(), Some("1.0.0"));
    assert_eq!(bundle["commit"].as_str(), Some(r.v1_0.as_str()));

    // A bundle under golden-paths/ with a `<bundle>/vX` tag.
    Goldpath::new()
        .args(["new", "minimal", "min", "--from", &url])
        .current_dir(tmp.path())
        .success();
    assert_eq!(
        read(tmp.path().join("min/hello.txt")),
        "hello from minimal 0.3.0\n"
    );

    // A version no tag has.
    Goldpath::new()
        .args(["new", "greeter", "none", "--from", &url, "--version", "1.2.0"])
        .current_dir(tmp.path())
        .code(2)
        .stderr_is(&format!(
            "error: bundle `greeter` has no version 1.2.0 in git repository {url} (available: 1.0.0, 1.1.0)\n\
             hint: pick one of the available versions with --version, or leave it out for the newest\n"
        ));
    Goldpath::new()
        .args(["new", "nope", "none", "--from", &url])
        .current_dir(tmp.path())
        .code(2)
        .stderr_is(&format!(
            "error: no bundle named `nope` in git repository {url} (available: greeter, minimal)\n\
             hint: `goldpath list` shows the built-in bundles; `goldpath list --from SOURCE` those of a source\n"
        ));
    assert_eq!(ls(tmp.path()), ["min", "old", "svc"]);
}

#[test]
fn new_from_a_bare_repository_path_records_it_absolute() {
    let r = bundle_repo();
    let tmp = tempfile::tempdir().unwrap();
    r.repo.bare_clone(&tmp.path().join("bundles.git"));
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    Goldpath::new()
        .args([
            "new",
            "greeter",
            "svc",
            "--from",
            "../bundles.git",
            "--defaults",
        ])
        .args(["--set", "service_name=orders", "--version", "1.0.0"])
        .current_dir(&work)
        .success();
    let svc = work.join("svc");
    let bundle = recorded_bundle(&svc);
    assert_eq!(bundle["version"].as_str(), Some("1.0.0"));
    assert_eq!(bundle["commit"].as_str(), Some(r.v1_0.as_str()));
    // Recorded so that upgrade and check, run from inside the project, find the same source.
    let source = bundle["source"].as_str().unwrap();
    assert!(Path::new(source).is_absolute(), "{source}");
    assert_eq!(
        Path::new(source).canonicalize().unwrap(),
        tmp.path().join("bundles.git").canonicalize().unwrap()
    );
    assert_clean(&svc);
    assert_eq!(ls(&work), ["svc"]);
}

/// Every release of the built-in catalog works as a folder source (issue #10): the catalog's own
/// folder, a bundle's folder of releases, and one release folder give the project the built-in
/// catalog gives, and a project made from a folder of releases upgrades from it.
#[test]
fn the_catalog_folders_are_folder_sources() {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden-paths");
    let bundle = catalog.join("rust-service");
    for from in [&catalog, &bundle] {
        let out = Goldpath::new().args(["list", "--from"]).arg(from).success();
        // The name column is as wide as the longest name listed (python-service in the catalog).
        assert!(
            out.stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()
                    == [
                        "rust-service",
                        "1.5.1",
                        "(also",
                        "1.5.0,",
                        "1.4.0,",
                        "1.3.0,",
                        "1.2.0,",
                        "1.1.0,",
                        "1.0.0)"
                    ]),
            "{}",
            out.stdout
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let sources = [
        ("builtin", "builtin".to_string()),
        ("catalog", catalog.display().to_string()),
        ("bundle", bundle.display().to_string()),
        ("release", bundle.join("1.0.0").display().to_string()),
    ];
    for (dir, from) in &sources {
        Goldpath::new()
            .args([
                "new",
                "rust-service",
                dir,
                "--from",
                from,
                "--version",
                "1.0.0",
            ])
            .args([
                "--defaults",
                "--set",
                "service_name=orders-api",
                "--no-input",
            ])
            .current_dir(tmp.path())
            .success();
        let recorded = recorded_bundle(&tmp.path().join(dir));
        assert_eq!(recorded["version"].as_str(), Some("1.0.0"), "{dir}");
        assert_eq!(recorded["source"].as_str(), Some(from.as_str()), "{dir}");
    }
    let builtin = tmp.path().join("builtin");
    for (dir, _) in &sources[1..] {
        let project = tmp.path().join(dir);
        assert_eq!(files(&project), files(&builtin), "{dir}");
        for file in files(&builtin) {
            if file != ".goldpath.toml" {
                assert_eq!(
                    read(project.join(&file)),
                    read(builtin.join(&file)),
                    "{dir}: {file}"
                );
            }
        }
    }

    // A folder of releases holds the newer one: the project upgrades from where it was made.
    let project = tmp.path().join("bundle");
    Goldpath::new()
        .args(["upgrade", "--to", "1.1.0", "--defaults", "--no-input"])
        .current_dir(&project)
        .success();
    assert_eq!(recorded_bundle(&project)["version"].as_str(), Some("1.1.0"));
    assert!(project.join("alerts/slo-rules.yaml").is_file());
    assert_clean(&project);
    Goldpath::new()
        .args(["new", "rust-service", "nine", "--from"])
        .arg(&catalog)
        .args(["--version", "9.9.9", "--defaults", "--no-input"])
        .current_dir(tmp.path())
        .code(2)
        .stderr_contains(&format!(
            "error: bundle `rust-service` has no version 9.9.9 in folder {} (available: 1.0.0, 1.1.0, 1.2.0, 1.3.0, 1.4.0, 1.5.0, 1.5.1)\n",
            catalog.display()
        ));
}

/// A bundle of `n` templates at the root of a repository, tagged v1.0.0: `.tera` pages naming the
/// service, plain files with tera-like text (copied as they are), every seventh file executable,
/// in nested folders. Made with `git add` and `git commit` (libgit2), so every blob is loose.
fn many_files_bundle(s: &crate::harness::Workspace, n: usize) -> BundleRepo {
    let repo = s.bundle_repo("many");
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..n {
        let dir = ["docs", "docs/deep/er", "ops", "src/a"][i % 4];
        match i % 3 {
            0 => files.push((
                format!("{dir}/page-{i}.md.tera"),
                format!(
                    "# Page {i} of {{{{ service_name }}}}\n{}",
                    "text\n".repeat(i)
                ),
            )),
            1 => files.push((
                format!("{dir}/plain-{i}.yaml"),
                format!("ref: ${{{{ x }}}} {i}\n"),
            )),
            _ => files.push((format!("{dir}/empty-{i}.txt"), String::new())),
        }
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let manifest = "[bundle]\nname = \"many\"\nversion = \"1.0.0\"\n\n[[questions]]\nname = \"service_name\"\ntype = \"string\"\ndefault = \"orders-api\"\n";
    repo.release("v1.0.0", manifest, &files, |template| {
        #[cfg(unix)]
        for (i, (path, _)) in files.iter().enumerate().filter(|(i, _)| i % 7 == 0) {
            use std::os::unix::fs::PermissionsExt;
            let _ = i;
            let p = template.join(path);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    });
    repo
}

/// The files under `.git/objects` of the repository at `dir` that are loose objects.
fn loose_objects(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir.join(".git/objects"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| {
            e.file_type().is_file() && e.path().parent().unwrap().file_name().unwrap().len() == 2
        })
        .count()
}

/// Issue #16: a bundle's loose blobs are read from their files on two threads and the project
/// is written by two threads; the project is the same as from the same bundle packed (read by
/// libgit2), and its first commit is what `git add -A` makes, clean and `fsck --strict`.
#[test]
fn a_bundle_of_many_files_makes_the_same_project_loose_or_packed() {
    let s = crate::harness::Workspace::new();
    let repo = many_files_bundle(&s, 150);
    // 100 different blobs (the empty files are one), the trees and the commit.
    assert!(loose_objects(repo.path()) > 100);
    let new = |name: &str| {
        s.command(
            s.root(),
            &["new", "many", name, "--from", &repo.url(), "--defaults"],
        )
        .success();
        s.path(name)
    };
    let loose = new("from-loose");
    crate::harness::git(repo.path(), &["gc", "-q", "--prune=now"]);
    assert_eq!(loose_objects(repo.path()), 0);
    let packed = new("from-packed");

    assert_eq!(
        crate::harness::snapshot(&loose),
        crate::harness::snapshot(&packed)
    );
    assert_eq!(files(&loose).len(), 151);
    let page = read(loose.join("docs/page-0.md"));
    assert_eq!(page, "# Page 0 of orders-api\n");
    assert_eq!(
        read(loose.join("docs/deep/er/plain-1.yaml")),
        "ref: ${{ x }} 1\n"
    );
    for p in [&loose, &packed] {
        let git = |args: &[&str]| crate::harness::git(p, args);
        git(&["fsck", "--strict", "--no-dangling"]);
        assert_clean(p);
        let executable = git(&["ls-files", "-s"])
            .lines()
            .filter(|l| l.starts_with("100755"))
            .count();
        assert_eq!(executable, 150_usize.div_ceil(7));
        let head_tree = git(&["rev-parse", "HEAD^{tree}"]);
        std::fs::remove_file(p.join(".git/index")).unwrap();
        git(&["add", "-A"]);
        assert_eq!(git(&["write-tree"]), head_tree);
    }
}

/// A loose blob of the bundle whose file is cut short is an error naming the template and the
/// object's file, and nothing is written (libgit2, which read it before, never returned from it:
/// `new` hung).
#[test]
fn a_damaged_loose_blob_of_a_bundle_is_an_error_naming_the_file() {
    let s = crate::harness::Workspace::new();
    let repo = many_files_bundle(&s, 80);
    let object = cut_object_short(repo.path(), "v1.0.0:template/docs/deep/er/plain-1.yaml");
    let out = s
        .command(
            s.root(),
            &["new", "many", "svc", "--from", &repo.url(), "--defaults"],
        )
        .run();
    assert!(!out.is_success(), "{out}");
    out.stderr_contains("reading template/docs/deep/er/plain-1.yaml")
        .stderr_contains("is damaged: it is not one whole zlib stream (cut short?)")
        .stderr_contains(&format!("{}", object.display()));
    assert!(!s.path("svc").exists());
}

/// Cuts the loose object `rev` of the repository at `repo` to half its size.
fn cut_object_short(repo: &Path, rev: &str) -> std::path::PathBuf {
    let id = crate::harness::git(repo, &["rev-parse", rev]);
    let id = id.trim();
    let object = repo.join(".git/objects").join(&id[..2]).join(&id[2..]);
    let mut perms = std::fs::metadata(&object).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&object, perms).unwrap();
    let bytes = std::fs::read(&object).unwrap();
    std::fs::write(&object, &bytes[..bytes.len() / 2]).unwrap();
    object
}

/// Every object `new` reads from a bundle repository before its templates (an annotated tag,
/// the commit, the root tree, a folder's tree, bundle.toml) is an error naming its file when its
/// loose file is cut short, and nothing is written: libgit2 1.9 never returns from inflating
/// one (`new` hung on each of these; libgit2 issue 7342).
#[test]
fn a_damaged_tag_commit_tree_or_manifest_of_a_bundle_is_an_error_not_a_hang() {
    for (rev, reading) in [
        ("v1.0.0", "reading refs/tags/v1.0.0"),
        ("v1.0.0^{commit}", "reading refs/tags/v1.0.0"),
        ("v1.0.0^{tree}", "commit "),
        ("v1.0.0:template/docs", "reading the folder `template/docs`"),
        ("v1.0.0:bundle.toml", "reading bundle.toml"),
    ] {
        let s = crate::harness::Workspace::new();
        let repo = many_files_bundle(&s, 8);
        // An annotated tag in place of the lightweight one.
        crate::harness::git(repo.path(), &["tag", "-d", "v1.0.0"]);
        crate::harness::git(
            repo.path(),
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "tag",
                "-a",
                "-m",
                "1.0.0",
                "v1.0.0",
                "HEAD",
            ],
        );
        let object = cut_object_short(repo.path(), rev);
        let out = s
            .command(
                s.root(),
                &["new", "many", "svc", "--from", &repo.url(), "--defaults"],
            )
            .run();
        assert_eq!(out.code, Some(2), "{rev}: {out}");
        out.stderr_contains(reading)
            .stderr_contains("is damaged: it is not one whole zlib stream (cut short?)")
            .stderr_contains(&format!("{}", object.display()))
            .stderr_contains("a fresh clone of it repairs it");
        assert!(!s.path("svc").exists(), "{rev}");
    }
}
