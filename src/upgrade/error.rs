//! What can stop an upgrade, `--continue` or `--abort`, each variant with what the user needs
//! to act on it.

use crate::answers;
use semver::Version;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Project(#[from] crate::project::Error),
    #[error(transparent)]
    Bundle(#[from] crate::bundle::Error),
    #[error(transparent)]
    Answers(#[from] answers::Error),
    #[error(transparent)]
    Render(#[from] crate::render::Error),
    #[error(transparent)]
    Tree(#[from] crate::tree::Error),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    #[error("the project has uncommitted changes:\n{}", paths.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Dirty { paths: Vec<String> },
    #[error("{name} {to} is older than the recorded {from}")]
    Downgrade {
        name: String,
        from: Version,
        to: Version,
    },
    #[error("an upgrade to {version} is in progress (it stopped on conflicts)")]
    InProgress { version: Version },
    #[error("no upgrade is in progress")]
    NotInProgress,
    #[error("conflicts remain:\n{}", paths.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Unresolved { paths: Vec<String> },
    #[error(
        "migration {version} wants to run hook `{hook}` from {source_name}, which is not trusted"
    )]
    Untrusted {
        version: Version,
        hook: String,
        source_name: String,
    },
    #[error("migration {version}: hook `{hook}` {problem}")]
    Hook {
        version: Version,
        hook: String,
        problem: String,
    },
    #[error("{0}")]
    Migration(String),
    #[error("the template writes {path}, but {file} is a file the upgrade keeps (you changed it, or it is not the template's), so the folder {file}/ cannot be made; move it aside (`git mv {file} {file}.local`), commit, and upgrade again")]
    FileInTheWay { path: String, file: String },
    #[error("the template writes a file {path}, but the folder {path}/ holds files the upgrade keeps ({}), so the file cannot be written; move them out of {path}/ (`git mv`), commit, and upgrade again", kept.join(", "))]
    FolderInTheWay { path: String, kept: Vec<String> },
    #[error("the upgrade was started on a dirty tree (--allow-dirty), so --abort cannot tell your changes from the upgrade's")]
    AbortDirty,
    #[error("an upgrade was cut off while it wrote the project (its journal is {journal}); run `goldpath upgrade --abort` to put back every file it may have written, as at HEAD, then upgrade again")]
    Interrupted { journal: String },
    #[error("{path}: {problem}; this file is goldpath's journal of an upgrade in progress: if no goldpath command is running, `goldpath upgrade --abort` after `git stash` of any work, or delete the file and check `git status`")]
    Journal { path: String, problem: String },
    #[error("{path} exists: this project already follows a golden path")]
    Adopted { path: String },
}
