//! A sandbox for upgrade and check tests: isolated HOME and git config, a bundle in a real git
//! repository with tags v1.0.0 and v2.0.0, and a project made from v1 with the real binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A sandbox: isolated HOME and git config, a bundle repository, a project folder.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

pub const MANIFEST_V1: &str = r#"
[bundle]
name = "svc"
version = "1.0.0"
description = "test service"

[[questions]]
name = "service_name"
type = "string"
validation = { regex = "^[a-z][a-z0-9-]*$", message = "must be a DNS label" }

[[questions]]
name = "team"
type = "string"
default = "platform"

[files]
locked = ["ci/**"]
seed = ["src/**"]
"#;

pub const MANIFEST_V2: &str = r#"
[bundle]
name = "svc"
version = "2.0.0"
description = "test service"

[[questions]]
name = "service_name"
type = "string"
validation = { regex = "^[a-z][a-z0-9-]*$", message = "must be a DNS label" }

[[questions]]
name = "owner"
type = "string"
default = "platform"

[[questions]]
name = "min_replicas"
type = "int"
default = 3

[files]
locked = ["ci/**"]
seed = ["src/**"]

[[migrations]]
version = "2.0.0"
rename = { from = "alerts/rules.yaml", to = "alerts/slo-rules.yaml" }

[[migrations]]
version = "2.0.0"
rename_answer = { from = "team", to = "owner" }
"#;

pub const RULES_V1: &str = "groups:\n  - name: {{ service_name }}\n    rules:\n      - alert: HighErrorRate\n        expr: errors > 0.01\n        labels:\n          severity: page\n          team: {{ team }}\n        for: 2m\n";
pub const RULES_V2: &str = "groups:\n  - name: {{ service_name }}\n    rules:\n      - alert: HighErrorRate\n        expr: errors > 0.0144\n        labels:\n          severity: page\n          team: {{ owner }}\n        for: 2m\n";
pub const VALUES_V1: &str = "replicaCount: 2\nimage: ghcr.io/acme/{{ service_name }}\nautoscaling:\n  minReplicas: 2\n  maxReplicas: 10\n";
pub const VALUES_V2: &str = "replicaCount: 2\nimage: ghcr.io/acme/{{ service_name }}\nautoscaling:\n  minReplicas: {{ min_replicas }}\n  maxReplicas: 10\n";
pub const DOCKERFILE_V1: &str = "FROM rust:1.82-slim AS build\nRUN cargo build --release\n\nFROM gcr.io/distroless/cc-debian12:nonroot\nUSER nonroot\n";
pub const DOCKERFILE_V2: &str = "FROM rust:1.86-slim AS build\nRUN cargo build --release\n\nFROM gcr.io/distroless/cc-debian12:nonroot\nUSER nonroot\n";

impl Sandbox {
    pub fn new() -> Sandbox {
        let s = Sandbox {
            tmp: tempfile::tempdir().unwrap(),
        };
        fs::create_dir_all(s.path("home")).unwrap();
        s
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// A bundle repository with tags v1.0.0 and v2.0.0.
    pub fn bundle_repo(&self) -> String {
        let repo = self.path("templates");
        fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        let v1: &[(&str, &str)] = &[
            ("bundle.toml", MANIFEST_V1),
            (
                "template/README.md.tera",
                "# {{ service_name }}\n\nOwned by {{ team }}.\n",
            ),
            ("template/alerts/rules.yaml.tera", RULES_V1),
            ("template/chart/values.yaml.tera", VALUES_V1),
            ("template/Dockerfile", DOCKERFILE_V1),
            ("template/.dockerignore", "target/\n.git/\n"),
            ("template/ci/pipeline.yml", "steps:\n  - run: cargo test\n"),
            (
                "template/src/main.rs.tera",
                "fn main() { println!(\"{{ service_name }}\"); }\n",
            ),
            ("template/docs/notes.md", "Notes v1\n"),
        ];
        write(&repo, v1);
        self.commit_tag(&repo, "v1.0.0");
        for gone in ["template/alerts/rules.yaml.tera", "template/.dockerignore"] {
            fs::remove_file(repo.join(gone)).unwrap();
        }
        write(
            &repo,
            &[
                ("bundle.toml", MANIFEST_V2),
                (
                    "template/README.md.tera",
                    "# {{ service_name }}\n\nOwned by {{ owner }}.\n",
                ),
                ("template/alerts/slo-rules.yaml.tera", RULES_V2),
                ("template/chart/values.yaml.tera", VALUES_V2),
                (
                    "template/chart/templates/pdb.yaml",
                    "apiVersion: policy/v1\nkind: PodDisruptionBudget\n",
                ),
                ("template/Dockerfile", DOCKERFILE_V2),
                (
                    "template/ci/pipeline.yml",
                    "steps:\n  - run: cargo test --locked\n",
                ),
                (
                    "template/src/main.rs.tera",
                    "fn main() { serve(\"{{ service_name }}\"); }\n",
                ),
                ("template/docs/notes.md", "Notes v2\n"),
                ("template/config.yaml", "log_level: info\n"),
            ],
        );
        self.commit_tag(&repo, "v2.0.0");
        format!("file://{}", repo.display())
    }

    pub fn commit_tag(&self, repo: &Path, tag: &str) {
        git(repo, &["add", "-A"]);
        git(
            repo,
            &[
                "-c",
                "user.name=Platform",
                "-c",
                "user.email=p@example.com",
                "commit",
                "-qm",
                tag,
            ],
        );
        git(repo, &["tag", tag]);
    }

    pub fn goldpath(&self, dir: &Path, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_goldpath"))
            .args(args)
            .current_dir(dir)
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GOLDPATH_CACHE_DIR", self.path("cache"))
            .env_remove("GOLDPATH_FAULT_AFTER_WRITES")
            .output()
            .unwrap()
    }

    /// A project made from v1 with `goldpath new`, committed.
    pub fn project(&self, url: &str) -> PathBuf {
        self.project_of(url, Some("1.0.0"))
    }

    /// A project `orders-api` made with `goldpath new` from `version` of the bundle at `url`
    /// (the newest when `None`) with the defaults, committed.
    pub fn project_of(&self, url: &str, version: Option<&str>) -> PathBuf {
        let mut args = vec!["new", "svc", "orders-api", "--from", url];
        if let Some(version) = version {
            args.extend(["--version", version]);
        }
        args.extend([
            "--defaults",
            "--set",
            "service_name=orders-api",
            "--no-input",
        ]);
        let out = self.goldpath(self.tmp.path(), &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.path("orders-api")
    }

    pub fn edit_and_commit(&self, project: &Path, edits: impl FnOnce(&Path)) {
        edits(project);
        git(project, &["add", "-A"]);
        git(
            project,
            &[
                "-c",
                "user.name=Dev",
                "-c",
                "user.email=d@example.com",
                "commit",
                "-qm",
                "local edits",
            ],
        );
    }
}

pub fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file of a folder (outside .git) with its bytes, to prove nothing changed.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let e = e.unwrap();
        if e.file_type().is_file() {
            out.push((
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                fs::read(e.path()).unwrap(),
            ));
        }
    }
    out
}

pub fn index_stages(project: &Path, path: &str) -> Vec<u8> {
    let out = git(project, &["ls-files", "--stage", "--", path]);
    out.lines()
        .map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect()
}
