//! All integration tests, built as one binary (`autotests = false`): they drive the real
//! `goldpath` binary in temp dirs and check the results with git2 and by content.
mod adopt;
mod bundle_lint;
mod bundle_test;
mod catalog_service;
mod check;
mod check_ci;
mod cli_surface;
mod crash;
mod fleet;
mod fleet_local;
mod fleet_pr;
mod fleet_push;
mod fleet_status;
mod fleet_trust;
mod forge;
mod forge_server;
mod git_rules;
mod golden_path;
#[cfg(unix)]
mod golden_path_pipeline;
mod harness;
mod latency_slo;
mod merge_cli;
mod merge_corpus;
mod merge_git;
mod merge_properties;
mod new;
mod new_errors;
mod new_first_commit;
#[cfg(unix)]
mod new_interactive;
mod new_sources;
mod node_service;
mod path_oracle;
mod path_properties;
mod python_service;
mod safety_paths;
mod safety_render;
mod safety_secrets;
mod safety_upgrade;
mod scanners;
mod status_html;
mod upgrade;
mod upgrade_edge;

/// Every `.rs` file under `tests/` is a module of this binary: cargo builds only `tests.rs`
/// (`autotests = false`), so a file without its `mod` line would never run, silently. Files
/// under `fixtures/` are data (bundles may hold Rust sources); a folder module `tests/d/` must
/// be listed here and list its own files in `d/mod.rs` (or `tests/d.rs`).
#[test]
fn every_test_file_is_a_module() {
    use std::path::Path;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let declares = |parent: &Path, name: &str| -> bool {
        std::fs::read_to_string(parent).is_ok_and(|text| {
            text.lines().any(|line| {
                let line = line.trim();
                let line = line
                    .strip_prefix("pub(crate) ")
                    .or_else(|| line.strip_prefix("pub "))
                    .unwrap_or(line);
                line == format!("mod {name};")
            })
        })
    };
    let mut missing = Vec::new();
    for entry in walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|e| e.path() != root.join("fixtures"))
    {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") || path == root.join("tests.rs") {
            continue;
        }
        // The module this file is, and the file that must declare it.
        let (name, dir) = if path.file_name().unwrap() == "mod.rs" {
            let folder = path.parent().unwrap();
            (folder.file_name().unwrap(), folder.parent().unwrap())
        } else {
            (path.file_stem().unwrap(), path.parent().unwrap())
        };
        let name = name.to_string_lossy();
        let parents = if dir == root {
            vec![root.join("tests.rs")]
        } else {
            vec![dir.join("mod.rs"), dir.with_extension("rs")]
        };
        if !parents.iter().any(|parent| declares(parent, &name)) {
            missing.push(path.strip_prefix(&root).unwrap().display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "files under tests/ that no `mod` line declares (add them to tests/tests.rs): {missing:?}"
    );
}
