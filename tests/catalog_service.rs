//! What the tests of the built-in python-service and node-service bundles share: one set of
//! answers, rendering a project with them, and reading what it rendered.

use crate::harness::Goldpath;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub(crate) const ANSWERS: &[(&str, &str)] = &[
    ("service_name", "orders-api"),
    ("description", "Takes, prices and tracks customer orders"),
    ("owner", "team-orders"),
    ("repo_slug", "acme/orders-api"),
    ("image_registry", "ghcr.io/acme"),
    ("port", "8080"),
    ("slo_target", "99.9"),
];

pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn validators_dir() -> PathBuf {
    repo_root().join("tests/validators")
}

pub(crate) fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

pub(crate) struct Project {
    _tmp: TempDir,
    pub(crate) dir: PathBuf,
}

/// `goldpath new BUNDLE` at `version` with [`ANSWERS`] and `extra`, uncommitted, in a temp dir.
pub(crate) fn render(bundle: &str, version: &str, extra: &[(&str, &str)]) -> Project {
    let mut answers: BTreeMap<&str, &str> = ANSWERS.iter().copied().collect();
    answers.extend(extra.iter().copied());
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("orders-api");
    let mut cmd = Goldpath::new().args(["new", bundle]).arg(&dir).args([
        "--version",
        version,
        "--defaults",
        "--no-input",
        "--no-commit",
    ]);
    for (k, v) in answers {
        cmd = cmd.arg("--set").arg(format!("{k}={v}"));
    }
    cmd.success();
    Project { _tmp: tmp, dir }
}

/// Every file of a rendered project by path, except the answers file goldpath writes.
pub(crate) fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("walk");
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("under dir")
            .to_string_lossy()
            .replace('\\', "/");
        if rel != ".goldpath.toml" {
            out.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    out
}

pub(crate) fn text(project: &Project, path: &str) -> String {
    std::fs::read_to_string(project.dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) fn str_path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}
