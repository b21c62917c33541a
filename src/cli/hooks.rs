//! `goldpath hooks install`: a git pre-commit hook that runs `goldpath check`.

use super::error::CommandError;
use super::output::emit;
use std::io::Write;
use std::path::PathBuf;

/// The hook script, shared with the pre-commit framework integration (`hooks/pre-commit`).
const PRE_COMMIT: &str = include_str!("../../hooks/pre-commit");

#[derive(clap::Subcommand)]
pub enum HooksCommand {
    /// Write a pre-commit hook into the git repository (of a project, or of a monorepo of them)
    Install {
        /// A folder in the repository
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace an existing pre-commit hook that goldpath did not write
        #[arg(long)]
        force: bool,
    },
}

pub fn run(cmd: HooksCommand, out: &mut dyn Write) -> Result<i32, CommandError> {
    let HooksCommand::Install { dir, force } = cmd;
    // In a subfolder of a monorepo too: the hook goes where git runs hooks from (the
    // repository's, or core.hooksPath), and checks every project a commit touches.
    let hooks = crate::git::hooks_dir(&dir)?;
    let path = hooks.join("pre-commit");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing != PRE_COMMIT && !existing.contains("goldpath check") && !force {
            return Err(CommandError::user(format!("{} already exists and was not written by goldpath", path.display()))
                .hint("add `goldpath check --staged --fail-on drift,conflict-markers` to it yourself, or pass --force to replace it"));
        }
    }
    crate::tree::write_file_atomic(
        &path,
        &crate::tree::File {
            bytes: PRE_COMMIT.as_bytes().to_vec(),
            executable: true,
        },
    )?;
    emit(out, format_args!("Installed {}: commits now fail when a locked file drifted or conflict markers remain.\n", path.display()))?;
    Ok(0)
}
