//! Issue #9's property test: every path `RelPath::new` accepts stays inside the project and can
//! be created on Linux, macOS and Windows (by [`path_oracle::check`], and for real here on
//! this machine); every path it refuses says why. Paths are built from an alphabet weighted
//! towards what breaks somewhere: separators, dots, spaces, `:*?"<>|`, control and invisible
//! characters, Windows device names, `.git` spellings, combining accents and emoji.

use crate::path_oracle;
use goldpath::tree::RelPath;
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "a",
    "B",
    "z9",
    "_",
    "é",
    "e\u{301}",
    "😀",
    "ß",
    ".",
    "..",
    " ",
    "-",
    "~",
    "1",
    "¹",
    "$",
    "/",
    "//",
    "\\",
    ":",
    "::$INDEX_ALLOCATION",
    "*",
    "?",
    "\"",
    "<",
    ">",
    "|",
    "\n",
    "\r",
    "\t",
    "\0",
    "\u{1}",
    "\u{7f}",
    "\u{85}",
    "\u{200b}",
    "\u{200c}",
    "\u{200d}",
    "\u{feff}",
    "\u{ad}",
    "CON",
    "nul",
    "Aux",
    "prn",
    "com",
    "LPT",
    "COM1",
    "lpt9",
    "CONIN$",
    ".git",
    "GIT",
    "git~1",
    "C:",
    "{{ x }}",
];

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(PIECES), 1..10).prop_map(|p| p.concat()),
        1 => "\\PC{0,40}",
        1 => prop::collection::vec(any::<char>(), 0..20).prop_map(|c| c.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn accepted_paths_are_portable_and_refused_ones_say_why(path in path()) {
        path_oracle::check(&path);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// What the oracle says can be created, can be, here: the file and every folder on its way.
    #[test]
    fn accepted_paths_can_be_created(path in path()) {
        if let Ok(rel) = RelPath::new(&path) {
            let root = tempfile::tempdir().unwrap();
            let abs = rel.under(root.path());
            std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
            std::fs::write(&abs, b"x").unwrap();
            prop_assert_eq!(std::fs::read(&abs).unwrap(), b"x");
            prop_assert!(abs.starts_with(root.path()));
        }
    }
}

/// Accepted paths are not only the boring ones: the generator reaches them too.
#[test]
fn the_validator_accepts_ordinary_names() {
    for good in [
        "a/b.txt",
        "é/e\u{301}",
        "😀/~1",
        "com/lpt/conin",
        ".github/x",
        "a b/c",
    ] {
        path_oracle::check(good);
        assert!(RelPath::new(good).is_ok(), "{good:?}");
    }
}
