//! What "a path every OS can hold" means, written apart from `RelPath::new` so each checks the
//! other: the property test (`path_properties`) and the `paths` fuzz target (`fuzz/src/lib.rs`
//! includes this file) both run [`check`] on every path they make.
//!
//! Sources: Windows' naming rules ("Naming Files, Paths, and Namespaces": reserved names,
//! reserved characters, no trailing dot or space), git's `is_ntfs_dotgit`/`is_hfs_dotgit`
//! (`.git` look-alikes), and 255 bytes as the longest name ext4 and APFS hold.
#![allow(dead_code)] // Each includer uses what it needs.

use goldpath::tree::{Error, RelPath};
use std::path::{Component, Path};

/// Characters macOS (HFS+) ignores in names, as git lists them, and the zero-width ones.
fn ignorable(c: char) -> bool {
    matches!(c, '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// Whether one name can be created on Linux, macOS and Windows, and is not git's.
pub fn portable_part(part: &str) -> bool {
    if part.is_empty() || part == "." || part == ".." || part.len() > 255 {
        return false;
    }
    if part
        .chars()
        .any(|c| c.is_control() || ignorable(c) || "/\\:*?\"<>|".contains(c))
    {
        return false;
    }
    if part.ends_with('.') || part.ends_with(' ') || part.starts_with('-') {
        return false;
    }
    let stem = part.split('.').next().unwrap().trim_end().to_uppercase();
    let device = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].contains(&stem.as_str())
        || ["COM", "LPT"].iter().any(|d| {
            stem.strip_prefix(d).is_some_and(|n| {
                let mut n = n.chars();
                matches!((n.next(), n.next()), (Some(c), None) if c.is_ascii_digit() || "¹²³".contains(c))
            })
        });
    let lower = part.to_lowercase();
    let git = lower == ".git"
        || lower
            .strip_prefix("git~")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    !device && !git
}

/// Whether `path` is relative, `/`-separated and made of portable names.
pub fn portable(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(portable_part)
}

/// The invariants of path validation, for any string: a path `RelPath::new` accepts is itself,
/// portable, stays under the root however it is joined, and so does every folder on its way;
/// a path it refuses is refused with a reason.
pub fn check(path: &str) {
    match RelPath::new(path) {
        Ok(rel) => {
            assert_eq!(rel.as_str(), path);
            assert!(
                portable(path),
                "accepted {path:?}, which some OS cannot hold"
            );
            let root = Path::new("/project");
            let abs = rel.under(root);
            let inside = abs.strip_prefix(root).expect("under the root");
            assert!(
                inside
                    .components()
                    .all(|c| matches!(c, Component::Normal(_))),
                "{path:?} is {abs:?}"
            );
            assert_eq!(inside.components().count(), path.split('/').count());
            for (i, _) in path.match_indices('/') {
                assert!(RelPath::new(&path[..i]).is_ok(), "folder of {path:?}");
            }
        }
        Err(Error::BadPath { path: p, reason }) => {
            assert_eq!(p, path);
            assert!(
                reason.starts_with("it ") && reason.len() > 10,
                "{path:?}: reason {reason:?}"
            );
        }
        Err(e) => panic!("{path:?}: not a BadPath: {e}"),
    }
}
