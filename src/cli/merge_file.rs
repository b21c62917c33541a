//! `goldpath merge-file` (being written; see issue 3).

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> i32 {
    255
}
