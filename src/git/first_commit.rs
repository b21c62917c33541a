//! A new project's repository: `git init` and its first commit.

use super::{commit_tree, err, index_entry, Error};
use crate::tree::Tree;
use std::path::Path;

/// `git init` in `dir` (branch from `init.defaultBranch`, else `main`), then one commit of
/// `files`, which are already written there. Returns the commit id.
///
/// The index and tree are built from the files in memory rather than by re-reading and
/// re-hashing the work tree (`git add -A`), and no sample hooks are copied in: the first commit
/// was most of `goldpath new`'s time.
pub fn init_and_commit(dir: &Path, files: &Tree, message: &str) -> Result<String, Error> {
    let branch = git2::Config::open_default()
        .and_then(|c| c.get_string("init.defaultBranch"))
        .unwrap_or_else(|_| "main".to_string());
    if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
        return Err(Error::Git {
            context: "git config init.defaultBranch".into(),
            message: format!("`{branch}` is not a valid branch name; fix it with `git config --global init.defaultBranch main`"),
        });
    }
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head(&branch).external_template(false);
    let repo = git2::Repository::init_opts(dir, &opts)
        .map_err(err(format!("git init {}", dir.display())))?;
    let mut index = repo.index().map_err(err("reading the index"))?;
    for (path, file) in files {
        let meta = std::fs::symlink_metadata(path.under(dir)).ok();
        index
            .add_frombuffer(
                &index_entry(path.as_str(), file, meta.as_ref()),
                &file.bytes,
            )
            .map_err(err(format!("staging {path}")))?;
    }
    index.write().map_err(err("writing the index"))?;
    let tree_id = index.write_tree().map_err(err("writing the tree"))?;
    commit_tree(&repo, tree_id, None, message)
}
