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
    let Some(from_env) = env_entries()? else {
        return Ok(config);
    };
    // libgit2 reads configuration from files only: the variables' entries go into one, read
    // into a snapshot before the file goes.
    let file = tempfile::NamedTempFile::new().map_err(|e| Error::Git {
        context: "GIT_CONFIG_COUNT".into(),
        message: e.to_string(),
    })?;
    std::fs::write(file.path(), from_env).map_err(|e| Error::Git {
        context: "GIT_CONFIG_COUNT".into(),
        message: e.to_string(),
    })?;
    config
        .add_file(file.path(), git2::ConfigLevel::App, false)
        .map_err(err("reading GIT_CONFIG_KEY_<n>/GIT_CONFIG_VALUE_<n>"))?;
    config.snapshot().map_err(err("reading git config"))
}

/// The entries `GIT_CONFIG_COUNT`, `GIT_CONFIG_KEY_<n>` and `GIT_CONFIG_VALUE_<n>` give (git
/// 2.31; CI systems set them to configure git for one job), as the text of a config file; none
/// when the count is unset or 0.
fn env_entries() -> Result<Option<String>, Error> {
    let Some(count) = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .filter(|c| !c.is_empty())
    else {
        return Ok(None);
    };
    let bad = |message: String| Error::Git {
        context: "GIT_CONFIG_COUNT".into(),
        message,
    };
    let count: usize = count
        .trim()
        .parse()
        .map_err(|_| bad(format!("`{count}` is not a number")))?;
    if count == 0 {
        return Ok(None);
    }
    let mut text = String::new();
    for n in 0..count {
        let key = std::env::var(format!("GIT_CONFIG_KEY_{n}"))
            .map_err(|_| bad(format!("GIT_CONFIG_KEY_{n} is missing")))?;
        let value = std::env::var(format!("GIT_CONFIG_VALUE_{n}"))
            .map_err(|_| bad(format!("GIT_CONFIG_VALUE_{n} is missing")))?;
        text.push_str(&entry(&key, &value).ok_or_else(|| {
            bad(format!(
                "GIT_CONFIG_KEY_{n}: `{key}` is not a key (section.name)"
            ))
        })?);
    }
    Ok(Some(text))
}

/// `key = value` (`section.name` or `section.sub.section.name`) as config-file text.
fn entry(key: &str, value: &str) -> Option<String> {
    let (section, rest) = key.split_once('.')?;
    let (subsection, name) = match rest.rsplit_once('.') {
        Some((sub, name)) => (Some(sub), name),
        None => (None, rest),
    };
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok(section) || !ok(name) {
        return None;
    }
    let quote = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    Some(match subsection {
        Some(sub) => format!(
            "[{section} \"{}\"]\n\t{name} = \"{}\"\n",
            quote(sub),
            quote(value)
        ),
        None => format!("[{section}]\n\t{name} = \"{}\"\n", quote(value)),
    })
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
    fn environment_entries_become_config_text() {
        assert_eq!(
            entry("user.name", "Ada \"A\" L\\"),
            Some("[user]\n\tname = \"Ada \\\"A\\\" L\\\\\"\n".into())
        );
        assert_eq!(
            entry("url.https://x.example/.insteadOf", "gh:"),
            Some("[url \"https://x.example/\"]\n\tinsteadOf = \"gh:\"\n".into())
        );
        assert_eq!(entry("nodot", "x"), None);
        assert_eq!(entry("a b.c", "x"), None);
        let mut config = git2::Config::new().unwrap();
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), entry("user.name", "Ada \"A\" L\\").unwrap()).unwrap();
        config
            .add_file(tmp.path(), git2::ConfigLevel::App, false)
            .unwrap();
        assert_eq!(config.get_string("user.name").unwrap(), "Ada \"A\" L\\");
    }

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
