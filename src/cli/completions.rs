//! `goldpath completions SHELL`: the shell's completion script, generated from the clap
//! definition, on stdout (`goldpath completions bash > /etc/bash_completion.d/goldpath`).

use super::error::CommandError;
use std::io::Write;

#[derive(clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    let mut command = <super::Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "goldpath", &mut script);
    out.write_all(&script).map_err(CommandError::from_io)?;
    Ok(0)
}
