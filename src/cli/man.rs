//! `goldpath man [COMMAND]`: the manual page (roff), generated from the clap definition, on
//! stdout: `goldpath man | man -l -`, or `goldpath man > goldpath.1` to install it. Nothing is
//! written to disk by goldpath itself.

use super::error::CommandError;
use std::io::Write;

#[derive(clap::Args)]
pub struct Args {
    /// The page of this command (`goldpath man upgrade` is goldpath-upgrade(1)); default: goldpath(1)
    command: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    let root = <super::Cli as clap::CommandFactory>::command();
    let command = match &args.command {
        None => root,
        Some(name) => {
            let names: Vec<String> = root
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let Some(sub) = root.find_subcommand(name).cloned() else {
                return Err(
                    CommandError::user(format!("`{name}` is not a goldpath command"))
                        .hint(format!("commands: {}", names.join(", "))),
                );
            };
            // The page's name and its synopsis say `goldpath-upgrade` / `goldpath upgrade`.
            let page = format!("goldpath-{}", sub.get_name());
            sub.name(page.clone())
                .bin_name(format!("goldpath {}", name))
                .display_name(page)
        }
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(CommandError::from_io)?;
    out.write_all(&page).map_err(CommandError::from_io)?;
    Ok(0)
}
