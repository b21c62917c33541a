//! git's configuration as the `git` command reads it. libgit2 finds the global and system files
//! by `HOME`, `XDG_CONFIG_HOME` and its own search path, and ignores the variables CI systems and
//! test harnesses set to point git elsewhere (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM`,
//! `GIT_CONFIG_NOSYSTEM`): read that way, a commit was authored and branched by a config the
//! user's own `git` never reads. So the levels are opened here, one file each, as git opens them.

use super::{err, Error};
use std::path::{Path, PathBuf};

/// The configuration of `repo` (its `.git/config` on top), or the user's alone without one.
pub fn open(repo: Option<&git2::Repository>) -> Result<git2::Config, Error> {
    let mut config = git2::Config::new().map_err(err("reading git config"))?;
    let mut add = |path: Option<PathBuf>, level: git2::ConfigLevel| -> Result<(), Error> {
        match path {
            Some(path) if path.is_file() => config
                .add_file(&path, level, false)
                .map_err(err(format!("reading git config {}", path.display()))),
            _ => Ok(()),
        }
    };
    if !env_bool("GIT_CONFIG_NOSYSTEM") {
        add(
            env_path("GIT_CONFIG_SYSTEM").or_else(|| git2::Config::find_system().ok()),
            git2::ConfigLevel::System,
        )?;
    }
    match env_path("GIT_CONFIG_GLOBAL") {
        // git reads this file instead of both `~/.gitconfig` and `$XDG_CONFIG_HOME/git/config`.
        Some(global) => add(Some(global), git2::ConfigLevel::Global)?,
        None => {
            add(git2::Config::find_xdg().ok(), git2::ConfigLevel::XDG)?;
            add(git2::Config::find_global().ok(), git2::ConfigLevel::Global)?;
        }
    }
    if let Some(repo) = repo {
        add(Some(repo.path().join("config")), git2::ConfigLevel::Local)?;
    }
    Ok(config)
}

/// A path from the environment; unset or empty is none.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A boolean variable as git reads one (`git_env_bool`): `1`, `true`, `yes`, `on` are true.
fn env_bool(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| is_true(&v))
}

fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    ) || value.trim().parse::<i64>().is_ok_and(|n| n != 0)
}

/// A config value that names a file, `~/` expanded as git expands it.
pub fn path_value(config: &git2::Config, key: &str) -> Option<PathBuf> {
    let value = config.get_string(key).ok()?;
    Some(expand_home(&value))
}

pub fn expand_home(value: &str) -> PathBuf {
    match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_read_as_git_reads_them() {
        for yes in ["1", "true", "TRUE", "yes", "on", "2"] {
            assert!(is_true(yes), "{yes}");
        }
        for no in ["0", "false", "no", "off", ""] {
            assert!(!is_true(no), "{no}");
        }
    }
}
