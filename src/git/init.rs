//! `git init` of a new project's repository, written directly: the folders and the two files
//! (`HEAD`, `config`) git and libgit2 need to open a repository, and nothing else (see
//! [`write_layout`]).
//!
//! libgit2's `git_repository_init` cost 77 system calls where this costs about 15 (issue #16,
//! measured with `strace -c`): it rewrote `config` four times through a lock file each, read it
//! back between, and copied its built-in template (`description`, `info/exclude`,
//! `hooks/README.sample`), none of which git needs. The probes git's own `init` makes, whose
//! answers go into `config`, are made here too: whether the file system keeps the executable
//! bit (`core.filemode`), holds symbolic links (`core.symlinks`) and tells `CONFIG` from
//! `config` (`core.ignorecase`); the first two are known without probing on ext4, XFS, Btrfs
//! and tmpfs ([`keeps_modes_and_links`]).
//!
//! On macOS git also probes Unicode decomposition (`core.precomposeunicode`), and Windows has
//! rules of its own, so there libgit2 still initialises the repository ([`init`]).
//!
//! A template folder the user set (`GIT_TEMPLATE_DIR`, `init.templateDir`) is copied in as
//! `git init` copies it ([`template_dir`]): teams install hooks in every new repository that
//! way (git-secrets' `--install ~/.git-templates/git-secrets`, for one).

use super::Error;
#[cfg(target_os = "linux")]
use std::fs;
use std::path::{Path, PathBuf};

/// Makes `dir/.git` for a repository whose `HEAD` is the unborn `refs/heads/<branch>`, `branch`
/// being a valid branch name. `dir` is a folder goldpath made, so `.git` does not exist yet.
/// Returns the `.git` folder.
///
/// With a `template` folder ([`template_dir`]), its files are copied in as `git init` copies
/// them ([`copy_template`]).
pub fn init(dir: &Path, branch: &str, template: Option<&Path>) -> Result<PathBuf, Error> {
    #[cfg(target_os = "linux")]
    let git = write_layout(dir, branch)?;
    #[cfg(not(target_os = "linux"))]
    let git = {
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head(branch).external_template(false);
        let repo = git2::Repository::init_opts(dir, &opts)
            .map_err(super::err(format!("git init {}", dir.display())))?;
        repo.path().to_path_buf()
    };
    if let Some(template) = template {
        copy_template(template, &git)?;
    }
    Ok(git)
}

/// The template folder the user set for new repositories: `GIT_TEMPLATE_DIR`, else
/// `init.templateDir`, as git reads them (an empty value means none). git copies its files (hooks,
/// `info/exclude`, ...) into each repository it creates, and so does goldpath. git's built-in
/// template, used when neither is set, is not copied: its sample hooks and `description` do
/// nothing, and each file costs (see the module's documentation).
pub fn template_dir(config: &git2::Config) -> Option<PathBuf> {
    let dir = match std::env::var_os("GIT_TEMPLATE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => super::config::path_value(config, "init.templateDir")?,
    };
    (!dir.as_os_str().is_empty() && dir.is_dir()).then_some(dir)
}

/// Copies the template folder `from` into the new repository's `git` folder as `git init`
/// does: what is there already stays (the template's `HEAD`, `objects/`, ... give way to the
/// repository's), and the template's `config` comes first in the repository's, before the
/// settings `git init` writes. A link is copied as a link, but not at the top, where goldpath
/// writes through folders (`logs/`, `objects/pack/`) after this.
fn copy_template(from: &Path, git: &Path) -> Result<(), Error> {
    let failed = |e: std::io::Error| {
        Error::Git {
        context: format!("git init: copying the template folder {}", from.display()),
        message: format!(
            "{e}; fix the folder, or unset GIT_TEMPLATE_DIR or `git config --global --unset init.templateDir`"
        ),
    }
    };
    match std::fs::read_to_string(from.join("config")) {
        Ok(theirs) => {
            let path = git.join("config");
            let ours = std::fs::read_to_string(&path).map_err(failed)?;
            let gap = if theirs.is_empty() || theirs.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            std::fs::write(&path, format!("{theirs}{gap}{ours}")).map_err(failed)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }
    copy_missing(from, git, true).map_err(failed)
}

/// Copies each entry of `from` missing from `to`, folders into folders; links too, unless `top`.
fn copy_missing(from: &Path, to: &Path, top: bool) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        // The entry itself, not what a link points at.
        let kind = entry.file_type()?;
        let there = target.symlink_metadata().ok();
        if kind.is_dir() {
            match there {
                None => std::fs::create_dir(&target)?,
                Some(meta) if meta.is_dir() => {}
                Some(_) => continue,
            }
            copy_missing(&entry.path(), &target, false)?;
        } else if there.is_some() {
            continue;
        } else if kind.is_symlink() {
            #[cfg(not(unix))]
            let _ = top;
            #[cfg(unix)]
            if !top {
                std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
            }
        } else if kind.is_file() {
            // With its mode: a hook stays executable.
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// What git and libgit2 need to find a repository: `.git/{HEAD, config, objects/, refs/}`,
/// and `objects/pack/` for the first commit. `git init` also makes `refs/heads/` and
/// `refs/tags/`, but every folder or file created costs more than anything else `new` does on
/// ext4 (its inode allocation), and git makes those when it first writes a loose ref. `info/`
/// is made, empty, because users (and tools) add their own ignore rules with
/// `echo x >> .git/info/exclude`, which fails without the folder.
#[cfg(target_os = "linux")]
fn write_layout(dir: &Path, branch: &str) -> Result<PathBuf, Error> {
    let git = dir.join(".git");
    for folder in ["", "info", "objects", "objects/pack", "refs"] {
        let path = git.join(folder);
        fs::create_dir(&path).map_err(|e| io_error(&path, e))?;
    }
    let head = git.join("HEAD");
    fs::write(&head, format!("ref: refs/heads/{branch}\n")).map_err(|e| io_error(&head, e))?;
    let config = git.join("config");
    let file = fs::File::create(&config).map_err(|e| io_error(&config, e))?;
    let (filemode, symlinks) = if keeps_modes_and_links(&file) {
        (true, true)
    } else {
        (keeps_executable_bit(&file), holds_symlinks(&git))
    };
    // `config` exists now: if `CoNfIg` is found too, names are compared without case.
    let ignorecase = git.join("CoNfIg").exists();
    let text = config_text(filemode, symlinks, ignorecase);
    std::io::Write::write_all(&mut &file, text.as_bytes()).map_err(|e| io_error(&config, e))?;
    Ok(git)
}

/// The repository's `config` as `git init` writes it on a file system with these answers.
#[cfg(target_os = "linux")]
fn config_text(filemode: bool, symlinks: bool, ignorecase: bool) -> String {
    let mut text = format!(
        "[core]\n\trepositoryformatversion = 0\n\tfilemode = {filemode}\n\tbare = false\n\tlogallrefupdates = true\n"
    );
    // git writes these two only when they differ from the default.
    if !symlinks {
        text.push_str("\tsymlinks = false\n");
    }
    if ignorecase {
        text.push_str("\tignorecase = true\n");
    }
    text
}

/// Whether `file` is on a file system that always keeps the executable bit and holds symbolic
/// links (ext4, XFS, Btrfs, tmpfs), so that git's two probes below need not run: the symbolic
/// link probe creates and deletes an inode, which costs more than anything else `new` does on
/// ext4 (issue #16). Elsewhere (FAT, network and FUSE mounts, anything not listed) they run.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keeps_modes_and_links(file: &fs::File) -> bool {
    use std::os::unix::io::AsRawFd;
    const EXT4: i64 = 0xEF53;
    const XFS: i64 = 0x5846_5342;
    const BTRFS: i64 = 0x9123_683E;
    const TMPFS: i64 = 0x0102_1994;
    // SAFETY: `fstatfs` writes only into the struct it is given, on a descriptor we own.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut stat) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)]
    let kind = stat.f_type as i64;
    matches!(kind, EXT4 | XFS | BTRFS | TMPFS)
}

#[cfg(all(target_os = "linux", not(target_env = "gnu")))]
fn keeps_modes_and_links(_: &fs::File) -> bool {
    false
}

/// Whether setting the executable bit on `file` sticks (not on FAT or some network mounts).
/// git's own probe, made on the same file, `config`.
#[cfg(target_os = "linux")]
fn keeps_executable_bit(file: &fs::File) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = file.metadata() else {
        return false;
    };
    let mode = meta.permissions().mode();
    let flipped = fs::Permissions::from_mode(mode ^ 0o100);
    let kept = file.set_permissions(flipped).is_ok()
        && file
            .metadata()
            .is_ok_and(|m| m.permissions().mode() & 0o100 != mode & 0o100);
    let _ = file.set_permissions(fs::Permissions::from_mode(mode));
    kept
}

/// Whether the file system under `git` holds symbolic links.
#[cfg(target_os = "linux")]
fn holds_symlinks(git: &Path) -> bool {
    let probe = git.join("symlink-probe");
    let made = std::os::unix::fs::symlink("testing", &probe).is_ok();
    let _ = fs::remove_file(&probe);
    made
}

#[cfg(target_os = "linux")]
fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Git {
        context: format!("git init: {}", path.display()),
        message: e.to_string(),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn git_and_libgit2_open_the_layout_and_read_it_as_git_init_wrote_it() {
        let tmp = tempfile::tempdir().unwrap();
        let git = init(tmp.path(), "trunk", None).unwrap();
        assert_eq!(git, tmp.path().join(".git"));
        let repo = git2::Repository::open(tmp.path()).unwrap();
        assert!(!repo.is_bare());
        assert_eq!(repo.workdir(), Some(tmp.path().join("").as_path()));
        assert!(repo.head_detached().is_ok_and(|d| !d));
        assert_eq!(
            repo.find_reference("HEAD").unwrap().symbolic_target(),
            Ok(Some("refs/heads/trunk"))
        );
        let config = repo.config().unwrap().snapshot().unwrap();
        let local = |key: &str| {
            config
                .entries(Some(key))
                .unwrap()
                .next()
                .map(|e| e.unwrap().value().unwrap().to_string())
        };
        assert_eq!(local("core.repositoryformatversion").as_deref(), Some("0"));
        assert_eq!(local("core.filemode").as_deref(), Some("true"));
        assert_eq!(local("core.bare").as_deref(), Some("false"));
        assert_eq!(local("core.logallrefupdates").as_deref(), Some("true"));
        // The probe's link is gone, and git's template is not copied.
        let mut names: Vec<String> = fs::read_dir(&git)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["HEAD", "config", "info", "objects", "refs"]);
        assert_eq!(fs::read_dir(git.join("info")).unwrap().count(), 0);
    }

    #[test]
    fn a_file_system_known_to_keep_modes_and_links_passes_gits_probes() {
        let tmp = tempfile::tempdir().unwrap();
        let file = fs::File::create(tmp.path().join("config")).unwrap();
        if keeps_modes_and_links(&file) {
            assert!(keeps_executable_bit(&file));
            assert!(holds_symlinks(tmp.path()));
        }
        // Either way the probe leaves no link behind.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn config_names_only_what_differs_from_gits_defaults() {
        assert_eq!(
            config_text(true, true, false),
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n"
        );
        let odd = config_text(false, false, true);
        assert!(odd.contains("\tfilemode = false\n"), "{odd}");
        assert!(
            odd.ends_with("\tsymlinks = false\n\tignorecase = true\n"),
            "{odd}"
        );
    }

    #[test]
    fn an_existing_git_folder_is_an_error_not_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join(".git")).unwrap();
        fs::write(tmp.path().join(".git/keep"), "mine").unwrap();
        let err = init(tmp.path(), "main", None).unwrap_err();
        assert!(err.to_string().contains(".git"), "{err}");
        assert_eq!(
            fs::read_to_string(tmp.path().join(".git/keep")).unwrap(),
            "mine"
        );
    }
}
