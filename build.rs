//! Two jobs, each in its own section below:
//!
//! 1. [`embed_catalog`]: embeds the built-in catalog (`golden-paths/`) into the binary so
//!    `goldpath list` and `goldpath new` work with no set-up.
//! 2. [`link_for_fast_start`]: on GNU/Linux, trims what every process pays to start (see
//!    [`link_unwinder_statically`] and [`pack_relative_relocations`]).
use std::collections::HashMap;
use std::env;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    embed_catalog();
    link_for_fast_start();
}

// ---------------------------------------------------------------------------------------------
// The built-in catalog
// ---------------------------------------------------------------------------------------------

/// Writes `$OUT_DIR/catalog.rs`: `FILES`, one `(path under golden-paths/, bytes, executable)`
/// per file, for the catalog module to turn back into bundles and releases at runtime.
///
/// The catalog keeps every release as a whole folder (`golden-paths/<name>/<version>/`), so most
/// files of one release are byte for byte those of the release before. Each distinct content is
/// embedded once (a `static` that every file with those bytes points at): the binary holds what
/// changed between releases, not a copy of each release.
fn embed_catalog() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("golden-paths");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("catalog.rs");
    let mut f = fs::File::create(out).unwrap();
    // Content -> the index of its static.
    let mut contents: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut entries = Vec::new();
    for (rel, abs, exec) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        let bytes = fs::read(abs).unwrap();
        let (next, len) = (contents.len(), bytes.len());
        let index = *contents.entry(bytes).or_insert_with(|| {
            writeln!(
                f,
                "static CONTENT_{next}: [u8; {len}] = *include_bytes!({:?});",
                abs.display().to_string()
            )
            .unwrap();
            next
        });
        entries.push(format!("    ({rel:?}, &CONTENT_{index}, {exec}),"));
    }
    writeln!(f, "pub static FILES: &[(&str, &[u8], bool)] = &[").unwrap();
    for entry in entries {
        writeln!(f, "{entry}").unwrap();
    }
    writeln!(f, "];").unwrap();
}

/// Every file under `dir`: (path from `root` with `/` separators, absolute path, executable).
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

// ---------------------------------------------------------------------------------------------
// Linking for a fast start
// ---------------------------------------------------------------------------------------------

/// On a GNU/Linux target, the two linker options below, each where a probe shows it works.
fn link_for_fast_start() {
    if is_gnu_linux() {
        let linker = linker();
        link_unwinder_statically(&linker);
        pack_relative_relocations(&linker);
    }
}

/// A GNU/Linux target that is not linked statically already.
fn is_gnu_linux() -> bool {
    let var = |name: &str| env::var(name).unwrap_or_default();
    var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && !var("CARGO_CFG_TARGET_FEATURE")
            .split(',')
            .any(|f| f == "crt-static")
}

/// The C compiler that links for rustc: the configured linker, else `$CC`, else `cc`.
fn linker() -> String {
    println!("cargo:rerun-if-env-changed=CC");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    env::var("RUSTC_LINKER")
        .or_else(|_| env::var("CC"))
        .unwrap_or_else(|_| "cc".to_string())
}

/// Links libgcc's unwinder (`libgcc_eh.a`) into the binary instead of loading `libgcc_s.so.1`,
/// as `gcc -static-libgcc` does: Rust's standard library asks for `-lgcc_s`, and a linker script
/// of that name in our own search path (searched before the system's) answers it with the
/// static archives.
///
/// Why: goldpath is a short-lived process that scripts run often (`merge-file` per file, `check`
/// in a hook), and start-up is much of its time. Loading libgcc_s costs every process one more
/// library to map and relocate, and its constructor queries the CPU (`cpuid`), which traps in
/// a virtual machine: measured here, 0.1 ms of a 0.5 ms `merge-file`. git links no libgcc_s.
///
/// Only where it is sure to work: a C compiler that knows where `libgcc_eh.a` is. Anywhere else
/// the default linking stands.
fn link_unwinder_statically(linker: &str) {
    let Ok(found) = std::process::Command::new(linker)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    // The compiler prints the bare name back when it does not have the file.
    let path = PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
    if !found.status.success() || !path.is_absolute() || !path.is_file() {
        return;
    }
    let dir = PathBuf::from(env::var("OUT_DIR").unwrap()).join("static-libgcc");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("libgcc_s.so"), "INPUT ( -lgcc_eh -lgcc )\n").unwrap();
    println!("cargo:rustc-link-search=native={}", dir.display());
}

/// Links the binary with `-z pack-relative-relocs` (DT_RELR) where the linker and C library
/// support it (binutils 2.38, glibc 2.36 and later; a probe link decides).
///
/// Why: a position-independent Rust binary holds some 14,000 pointers that the dynamic loader
/// must relocate at every start, described by 340 KB of relocation entries read from disk.
/// Packed, the same relocations take 5 KB and a tight loop: measured here, 0.08 ms less per
/// process, as much as the whole difference from `git merge-file` on small files. Nothing else
/// changes (the binary stays position-independent), but it then needs glibc 2.36 or later to
/// run, which the machine that built it has.
fn pack_relative_relocations(linker: &str) {
    let flag = "-Wl,-z,pack-relative-relocs";
    let dir = PathBuf::from(env::var("OUT_DIR").unwrap()).join("relr-probe");
    fs::create_dir_all(&dir).unwrap();
    let source = dir.join("probe.c");
    // A pointer in data, so that there is a relative relocation to pack.
    fs::write(
        &source,
        "static int x; int *p = &x; int main(void) { return *p; }\n",
    )
    .unwrap();
    // A linker that does not know the option fails here, and the flag is left out. (An old GNU
    // ld only warns and ignores it, as it does when the C library cannot load packed
    // relocations: the binary is then linked as usual, which is just as safe.)
    let linked = std::process::Command::new(linker)
        .args(["-pie", "-fPIE", flag, "-o"])
        .arg(dir.join("probe"))
        .arg(&source)
        .output()
        .is_ok_and(|out| out.status.success());
    if linked {
        println!("cargo:rustc-link-arg-bins={flag}");
    }
}
