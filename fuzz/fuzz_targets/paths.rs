//! `cargo +nightly fuzz run paths`: every path `RelPath::new` accepts is one Linux, macOS and
//! Windows can hold and stays inside the project; every one it refuses says why. The checks are
//! in `goldpath_fuzz::check_path` (the property test's oracle, `tests/path_oracle.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goldpath_fuzz::check_path(data));
