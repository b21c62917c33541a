//! Embeds the built-in catalog (`golden-paths/`) into the binary so `goldpath list` and
//! `goldpath new` work with no set-up. Every file becomes one `include_bytes!`; the catalog
//! module turns them back into bundles and releases at runtime.
use std::env;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("golden-paths");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("catalog.rs");
    let mut f = fs::File::create(out).unwrap();
    writeln!(f, "pub static FILES: &[(&str, &[u8], bool)] = &[").unwrap();
    for (rel, abs, exec) in files {
        println!("cargo:rerun-if-changed={}", abs.display());
        writeln!(
            f,
            "    ({rel:?}, include_bytes!({:?}), {exec}),",
            abs.display().to_string()
        )
        .unwrap();
    }
    writeln!(f, "];").unwrap();
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf, bool)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            collect(root, &path, out);
        } else if meta.is_file() {
            let rel = path.strip_prefix(root).unwrap();
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, path.clone(), is_executable(&meta)));
        }
    }
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}
