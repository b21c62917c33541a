//! `cargo +nightly fuzz run templates`: a bundle's template never panics the render, every error
//! names it (with a line of it when it has one), and its text folded for the parse it parses as
//! tera parses it unfolded. The checks are in `goldpath_fuzz::check_template`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goldpath_fuzz::check_template(data));
