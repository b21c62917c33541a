//! `cargo +nightly fuzz run merge`: the merge engine must never panic, and its conflicts must
//! always be where its markers are. The checks are in `goldpath_fuzz::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goldpath_fuzz::check(data));
