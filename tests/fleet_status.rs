//! `goldpath fleet status` over a fleet of real repositories, read from their default branches
//! in git's objects: current, behind by one and by a major version, a drifted locked file, a
//! customised merge file, leftover conflict markers, an upgrade waiting on its conflicts, a
//! repository that is no goldpath project, one that cannot be reached, and a monorepo with two
//! projects. Every format's text is asserted whole; the JSON against its schema (the jsonschema
//! crate and check-jsonschema), the Prometheus text with `promtool check metrics`. No byte under
//! any repository changes, `.git` included.

use crate::fleet::{copy_project, plain_repo};
use crate::harness::{edit_and_commit, git, read, BundleRepo, Outcome, Workspace};
use crate::upgrade::svc_bundle;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// 2026-11-30T15:00:00Z, for `generated_at`.
const NOW: &str = "1796050800";

const WEB_V1: &str = r#"[bundle]
name = "web"
version = "1.0.0"
owner = "team"

[[questions]]
name = "name"
type = "string"

[[questions]]
name = "team"
type = "string"
default = "platform"

[files]
locked = ["ci/**"]
"#;

/// The `web` bundle: 1.0.0 and 1.1.0 (the README's heading changes), `[bundle] owner = "team"`.
fn web_bundle(s: &Workspace) -> String {
    let repo = BundleRepo::at(&s.path("web-bundle"));
    for (tag, version, heading) in [("v1.0.0", "1.0.0", "#"), ("v1.1.0", "1.1.0", "# Service")] {
        let readme = format!("{heading} {{{{ name }}}}\n");
        let files = [
            ("README.md.tera", readme.as_str()),
            ("ci/pipeline.yml", "steps:\n  - run: make test\n"),
            ("config.yaml", "port: 8080\n"),
        ];
        repo.release(tag, &WEB_V1.replace("1.0.0", version), &files, |_| {});
    }
    repo.url()
}

/// A `web` project `name` at `version`, owned by `team`, with `edits` committed on top.
fn web_project(
    s: &Workspace,
    url: &str,
    name: &str,
    version: &str,
    team: &str,
    edits: impl FnOnce(&Path),
) -> PathBuf {
    let p = s.new_project(&[
        "web",
        name,
        "--from",
        url,
        "--version",
        version,
        "--set",
        &format!("name={name}"),
        "--set",
        &format!("team={team}"),
    ]);
    edits(&p);
    if !git(&p, &["status", "--porcelain"]).is_empty() {
        edit_and_commit(&p, |_| {});
    }
    p
}

struct StatusFleet {
    s: Workspace,
    list: PathBuf,
    /// The local repositories, whose every byte must survive a status.
    repos: Vec<PathBuf>,
}

/// The fleet of the issue, as local repositories (and one URL that leads nowhere).
fn status_fleet() -> StatusFleet {
    let s = Workspace::new();
    let web = web_bundle(&s);
    let svc = svc_bundle(&s);
    let current = web_project(&s, &web, "current", "1.1.0", "payments", |_| {});
    git(
        &current,
        &[
            "remote",
            "add",
            "origin",
            "https://github.com/acme/current.git",
        ],
    );
    let behind_one = web_project(&s, &web, "behind-one", "1.0.0", "search", |_| {});
    let behind_major = s.new_project(&[
        "svc",
        "behind-major",
        "--from",
        &svc,
        "--version",
        "1.0.0",
        "--set",
        "service_name=behind-major",
    ]);
    let drifted = web_project(&s, &web, "drifted", "1.1.0", "web|team", |p| {
        fs::write(p.join("ci/pipeline.yml"), "steps:\n  - run: true\n").unwrap();
    });
    let customised = web_project(&s, &web, "customised", "1.1.0", "platform", |p| {
        fs::write(p.join("config.yaml"), "port: 9090\n").unwrap();
    });
    let markers = web_project(&s, &web, "markers", "1.1.0", "platform", |p| {
        fs::write(
            p.join("config.yaml"),
            "<<<<<<< ours\nport: 9090\n=======\nport: 8080\n>>>>>>> theirs\n",
        )
        .unwrap();
    });
    // An upgrade that stopped on its conflicts, committed as it was left.
    let waiting = web_project(&s, &web, "waiting", "1.0.0", "platform", |p| {
        fs::write(p.join("README.md"), "## waiting, by hand\n").unwrap();
    });
    let up = s.goldpath(&waiting, &["upgrade", "--to", "1.1.0"]);
    assert_eq!(up.code, Some(1), "{up}");
    edit_and_commit(&waiting, |_| {});
    let plain = plain_repo(&s, "plain", &[("README.md", "no goldpath here\n")]);
    let a = web_project(&s, &web, "mono-a", "1.1.0", "checkout", |_| {});
    let b = s.new_project(&[
        "svc",
        "mono-b",
        "--from",
        &svc,
        "--set",
        "service_name=mono-b",
    ]);
    let mono = plain_repo(&s, "mono", &[("README.md", "monorepo\n")]);
    copy_project(&a, &mono.join("services/a"));
    copy_project(&b, &mono.join("services/b"));
    edit_and_commit(&mono, |_| {});
    let list = s.path("repos.txt");
    fs::write(
        &list,
        "current\nbehind-one\nbehind-major\ndrifted\ncustomised\nmarkers\nwaiting\nplain\nfile:///nowhere/at/all.git\nmono\n",
    )
    .unwrap();
    let repos = vec![
        current,
        behind_one,
        behind_major,
        drifted,
        customised,
        markers,
        waiting,
        plain,
        mono,
    ];
    StatusFleet { s, list, repos }
}

impl StatusFleet {
    fn status(&self, args: &[&str]) -> Outcome {
        let mut all = vec!["fleet", "status", "--repos", self.list.to_str().unwrap()];
        all.extend_from_slice(args);
        self.s
            .command(self.s.root(), &all)
            .env("SOURCE_DATE_EPOCH", NOW)
            .run()
    }

    /// `fleet status ARGS`, asserting exit 0; stdout with the workspace's path as `[ROOT]`.
    fn text(&self, args: &[&str]) -> String {
        let out = self.status(args);
        assert_eq!(out.code, Some(0), "{out}");
        self.rooted(&out.stdout)
    }

    fn rooted(&self, text: &str) -> String {
        let root = self.s.root().canonicalize().unwrap();
        text.replace(&root.display().to_string(), "[ROOT]")
    }

    /// Every file under every repository, `.git` whole: path and bytes.
    fn every_byte(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        for repo in &self.repos {
            for entry in walkdir::WalkDir::new(repo).sort_by_file_name() {
                let entry = entry.unwrap();
                let meta = fs::symlink_metadata(entry.path()).unwrap();
                if meta.is_file() {
                    out.push((entry.path().to_path_buf(), fs::read(entry.path()).unwrap()));
                }
            }
        }
        out
    }
}

/// The validator `name`: on PATH or in the repository's `.tools/venv/bin`; `None` (with a
/// message) when missing, unless `GOLDPATH_VALIDATORS=1` asks for every one.
fn validator(name: &str) -> Option<PathBuf> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".tools/venv/bin")
        .join(name);
    let found = crate::golden_path::which(name).or_else(|| local.is_file().then_some(local));
    if found.is_none() {
        if std::env::var_os("GOLDPATH_VALIDATORS").is_some_and(|v| v == "1") {
            panic!("{name} not found (GOLDPATH_VALIDATORS=1: every validator is required)");
        }
        eprintln!("SKIPPED {name}: not found; run tests/install-validators");
    }
    found
}

fn run_tool(tool: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(tool)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = stdin.unwrap_or("").to_string();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

#[test]
fn fleet_status_in_every_format_reads_each_repository_as_check_would_and_changes_nothing() {
    let f = status_fleet();
    let before = f.every_byte();

    crate::assert_text_snapshot!("fleet_status_table", f.text(&[]));

    let json_text = f.text(&["--format", "json"]);
    let json: Value = serde_json::from_str(&json_text).unwrap();
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet-status.schema.json");
    let schema: Value = serde_json::from_str(&read(&schema_path)).unwrap();
    let validator_ = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator_
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{json:#}");
    if let Some(tool) = validator("check-jsonschema") {
        let file = f.s.path("status.json");
        fs::write(&file, &json_text).unwrap();
        let out = run_tool(
            &tool,
            &[
                "--schemafile",
                schema_path.to_str().unwrap(),
                file.to_str().unwrap(),
            ],
            None,
        );
        assert!(out.status.success(), "{out:?}");
    }
    crate::assert_text_snapshot!("fleet_status_json", json_text);

    crate::assert_text_snapshot!("fleet_status_csv", f.text(&["--format", "csv"]));
    crate::assert_text_snapshot!("fleet_status_markdown", f.text(&["--format", "markdown"]));

    let metrics = f.text(&["--format", "prometheus"]);
    if let Some(promtool) = validator("promtool") {
        let out = run_tool(&promtool, &["check", "metrics"], Some(&metrics));
        assert!(
            out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
            "promtool: {}{}\n{metrics}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    crate::assert_text_snapshot!("fleet_status_prometheus", metrics);

    // `--bundle` keeps that bundle's projects; the others' repositories stay listed.
    let svc_only = f.text(&["--format", "csv", "--bundle", "svc"]);
    assert_eq!(svc_only.matches(",svc,").count(), 2, "{svc_only}");
    assert!(!svc_only.contains(",web,"), "{svc_only}");

    assert!(f.every_byte() == before, "a repository changed");
}

#[test]
fn fleet_status_report_shows_the_branch_and_outcome_of_a_real_fleet_upgrade() {
    let f = status_fleet();
    let report = f.s.path("report.json");
    let up = f.s.goldpath(
        f.s.root(),
        &[
            "fleet",
            "upgrade",
            "--repos",
            f.list.to_str().unwrap(),
            "--bundle",
            "web",
            "--to",
            "1.1.0",
            "--defaults",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(up.code, Some(1), "{up}"); // the unreachable one
    let json: Value =
        serde_json::from_str(&f.text(&["--format", "json", "--report", report.to_str().unwrap()]))
            .unwrap();
    let upgrade_of = |name: &str| {
        let repo = json["repos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["repo"].as_str().unwrap().ends_with(&format!("/{name}")))
            .unwrap_or_else(|| panic!("{name} is missing: {json:#}"));
        repo["upgrade"].clone()
    };
    assert_eq!(
        upgrade_of("behind-one"),
        serde_json::json!({
            "branch": "goldpath/web-1.1.0",
            "outcome": "upgraded",
            "pull_request": null,
            "to": "1.1.0"
        })
    );
    // Already at 1.1.0: no branch, so no upgrade to show.
    assert_eq!(upgrade_of("current"), Value::Null);
    assert_eq!(upgrade_of("plain"), Value::Null);
    // The default branch is what status reads: the upgrade waits on its branch.
    assert_eq!(
        json["repos"][1]["projects"][0]["version"], "1.0.0",
        "{json:#}"
    );
    let table = f.text(&["--report", report.to_str().unwrap()]);
    assert!(table.contains("behind 1"), "{table}");
}

#[test]
fn fleet_status_output_writes_the_file_and_never_through_a_link_or_into_a_folder() {
    let s = Workspace::new();
    let plain = plain_repo(&s, "plain", &[("README.md", "no goldpath here\n")]);
    let list = s.path("repos.txt");
    fs::write(&list, "plain\n").unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["fleet", "status", "--repos", list.to_str().unwrap()];
        all.extend_from_slice(args);
        s.command(s.root(), &all)
            .env("SOURCE_DATE_EPOCH", NOW)
            .run()
    };
    let out_file = s.path("out/status.csv");
    fs::create_dir_all(out_file.parent().unwrap()).unwrap();
    fs::write(&out_file, "old\n").unwrap();
    let out = run(&["--format", "csv", "--output", out_file.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        read(&out_file),
        format!(
            "repo,web_url,base_branch,repo_error,path,bundle,source,version,latest,behind,major_jump,owner,drifted,customised,conflict_markers,upgrade_in_progress,project_error,upgrade_branch,upgrade_outcome,pull_request\r\n{},,main,,,,,,,,,,,,,,,,,\r\n",
            plain.canonicalize().unwrap().display()
        )
    );
    // No temp file is left beside it.
    assert_eq!(fs::read_dir(out_file.parent().unwrap()).unwrap().count(), 1);

    #[cfg(unix)]
    {
        let target = s.path("target.txt");
        fs::write(&target, "keep\n").unwrap();
        let link = s.path("link.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = run(&["--output", link.to_str().unwrap()]);
        assert_eq!(out.code, Some(2), "{out}");
        assert!(out.stderr.contains("symbolic link"), "{out}");
        assert_eq!(read(&target), "keep\n");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }
    let folder = s.path("out");
    let out = run(&["--output", folder.to_str().unwrap()]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("is a folder"), "{out}");
    let out = run(&["--format", "yaml"]);
    assert_eq!(out.code, Some(2), "{out}");
}

#[test]
fn a_folder_given_to_status_lists_every_repository_in_it_adopted_or_not() {
    let s = Workspace::new();
    let web = web_bundle(&s);
    let adopted = web_project(&s, &web, "svc-a", "1.0.0", "payments", |_| {});
    let legacy = plain_repo(&s, "nested/legacy", &[("README.md", "predates goldpath\n")]);
    // A bare repository is nobody's work tree: not a candidate for adopt.
    git(s.root(), &["init", "-q", "--bare", "remote.git"]);
    let out = s
        .command(
            s.root(),
            &[
                "fleet",
                "status",
                "--repos",
                s.root().to_str().unwrap(),
                "--format",
                "json",
            ],
        )
        .env("SOURCE_DATE_EPOCH", NOW)
        .run();
    assert_eq!(out.code, Some(0), "{out}");
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let repo = |dir: &Path| {
        let id = dir.canonicalize().unwrap().display().to_string();
        doc["repos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["repo"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} missing: {}", out.stdout))
            .clone()
    };
    assert_eq!(repo(&adopted)["projects"][0]["bundle"], "web");
    let legacy = repo(&legacy);
    assert_eq!(legacy["projects"].as_array().unwrap().len(), 0, "{legacy}");
    assert!(legacy["error"].is_null(), "{legacy}");
    let ids: Vec<&str> = doc["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repo"].as_str().unwrap())
        .collect();
    assert!(!ids.iter().any(|id| id.ends_with("remote.git")), "{ids:?}");
    // Each work tree once, though the adopted one is found both ways.
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}
