//! `cargo +nightly fuzz run manifest`: `Manifest::parse` and `validate` never panic, and their
//! errors point at a line of the text. The checks are in `goldpath_fuzz::check_manifest`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goldpath_fuzz::check_manifest(data));
