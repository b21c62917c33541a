//! `cargo +nightly fuzz run answers`: `AnswersFile::parse` never panics, its errors name the file
//! and a line of it, and what it reads writes back to the same file. The checks are in
//! `goldpath_fuzz::check_answers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| goldpath_fuzz::check_answers(data));
