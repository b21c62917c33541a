//! `goldpath adopt`: an existing repository joins a golden path, as an upgrade from nothing.
//!
//! The base of the three-way merge is empty (no version was ever rendered there), theirs is the
//! version adopted, ours is the repository as it is. [`plan::decide`] then gives exactly what
//! adoption means: a template file the repository lacks is created; one it has with the same
//! content is adopted as it is (no change); one it has with other content is an add/add,
//! merged or marked; one git does not track waits behind it ([`ConflictKind::Untracked`]). The
//! repository's other files are never among the paths decided, so nothing of it is removed.
//! The plan is an [`UpgradePlan`] ([`UpgradePlan::adopting`] says it adopts), so [`super::apply`],
//! its journal, `upgrade --continue` and `--abort` work on it unchanged.

use super::error::Error;
use super::plan;
use super::prepare::{Options, UpgradePlan};
use super::workspace;
use crate::answers::{Answers, AnswersFile};
use crate::bundle::{Bundle, Policies, Policy};
use crate::git::ProjectRepo;
use crate::tree::{self, RelPath, Tree, ANSWERS_FILE};
use std::collections::BTreeSet;
use std::path::Path;

/// An adoption planned: the plan [`super::apply`] writes, and how far the repository is from
/// the golden path (what `--dry-run` reports).
#[derive(Debug)]
pub struct Adoption {
    pub plan: UpgradePlan,
    /// Every file of the template, sorted by path, with how the repository's compares.
    pub files: Vec<TemplateFile>,
    /// The repository's files (tracked, or untracked and not ignored) the template does not
    /// have, sorted. They stay as they are.
    pub not_in_bundle: Vec<String>,
}

/// A file of the template and the repository's file at its path.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateFile {
    pub path: RelPath,
    pub standing: Standing,
    pub policy: Policy,
    /// The repository's file is there but git does not track it (untracked or ignored).
    pub untracked: bool,
}

/// How the repository's file compares with the template's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The same content (line endings and a BOM aside, as upgrade and check count it).
    Identical,
    /// Other content: the lines the template's version adds to and removes from the
    /// repository's (`None` for binary content).
    Differs { lines: Option<(usize, usize)> },
    /// The repository has no file there.
    Missing,
}

impl Standing {
    pub fn name(self) -> &'static str {
        match self {
            Standing::Identical => "identical",
            Standing::Differs { .. } => "differs",
            Standing::Missing => "missing",
        }
    }
}

impl Adoption {
    /// The template's `locked` files whose content the repository has otherwise: drift that
    /// `check` reports until it is resolved (they are in conflict, or were merged, now).
    pub fn locked_drift(&self) -> impl Iterator<Item = &TemplateFile> {
        self.files.iter().filter(|f| {
            f.policy == Policy::Locked && matches!(f.standing, Standing::Differs { .. })
        })
    }
}

/// Refuses a folder that cannot adopt a bundle (the checks [`adopt`] starts with), so the CLI
/// can refuse before asking any question: one that already has an answers file (that project
/// upgrades; one whose adoption or upgrade stopped on conflicts finishes it), and a dirty tree unless `options.allow_dirty` or `options.dry_run`. Returns
/// whether the tree is dirty.
pub fn ready_to_adopt(dir: &Path, options: &Options) -> Result<bool, Error> {
    if std::fs::symlink_metadata(dir.join(ANSWERS_FILE)).is_ok() {
        // An adoption (or upgrade) stopped on its conflicts is finished or undone, not redone.
        if let Some(pending) = crate::project::Project::open(dir)
            .ok()
            .and_then(|p| p.record.upgrade)
        {
            return Err(Error::InProgress {
                version: pending.version,
            });
        }
        return Err(Error::Adopted {
            path: dir.join(ANSWERS_FILE).display().to_string(),
        });
    }
    workspace::check_clean(dir, options.allow_dirty || options.dry_run)
}

/// Plans the adoption of `bundle` (rendered with `answers`) by the project folder
/// `dir` in a git repository, touching nothing. Refuses a folder that already has an answers
/// file (that project upgrades), an adoption cut off half-way, a dirty tree (unless
/// `options.allow_dirty` or `options.dry_run`), and a template path that cannot be written.
pub fn adopt(
    dir: &Path,
    bundle: Bundle,
    answers: Answers,
    options: &Options,
) -> Result<Adoption, Error> {
    let started_dirty = ready_to_adopt(dir, options)?;
    let theirs = crate::render::render(&bundle, &answers)?;
    let repo = ProjectRepo::open(dir)?;
    let tracked_paths = repo.tracked_paths()?;
    let read = |p: &RelPath| tree::read_file(dir, p);
    let tracked = |p: &RelPath| tracked_paths.contains(p.as_str());
    let policies = Policies::new(&bundle.manifest.files);
    let nothing = Tree::new();
    let decided = plan::decide(&plan::Sides {
        base: &nothing,
        theirs: &theirs,
        ours: &read,
        tracked: &tracked,
        old_policies: &policies,
        new_policies: &policies,
        renames: &[],
        deletes: &[],
        style: options.style,
    })?;
    workspace::check_writable(&super::ours::WorkTree::open(dir)?, &decided.changes)?;
    let files = compare(dir, &theirs, &policies, &tracked)?;
    let mut present: BTreeSet<String> = tracked_paths.iter().cloned().collect();
    present.extend(repo.dirty_paths()?);
    let not_in_bundle = present
        .into_iter()
        .filter(|p| p != ANSWERS_FILE)
        .filter(|p| RelPath::new(p).is_ok_and(|r| !theirs.contains_key(&r)))
        // A tracked file the user deleted is not there any more.
        .filter(|p| std::fs::symlink_metadata(dir.join(p)).is_ok())
        .collect();
    let adopted_as_is = files
        .iter()
        .filter(|f| f.standing == Standing::Identical && !f.untracked)
        .map(|f| f.path.clone())
        .collect();
    let version = bundle.version().clone();
    let plan = UpgradePlan {
        name: bundle.name().to_string(),
        from_version: version.clone(),
        to_version: version,
        source: bundle.origin.source.clone(),
        commit: bundle.origin.commit.clone(),
        recorded_answers: AnswersFile::public_answers(&bundle.manifest, &answers),
        answers,
        dropped_answers: Vec::new(),
        new_questions: Vec::new(),
        changed_answers: Vec::new(),
        secret_notes: Vec::new(),
        migrations: Vec::new(),
        detected_renames: Vec::new(),
        changes: decided.changes,
        hooks: Vec::new(),
        new_bundle: bundle,
        project_dir: dir.to_path_buf(),
        style: options.style,
        started_dirty,
        adopting: Some(adopted_as_is),
    };
    Ok(Adoption {
        plan,
        files,
        not_in_bundle,
    })
}

/// Every file of the template against the repository's file at its path.
fn compare(
    dir: &Path,
    theirs: &Tree,
    policies: &Policies,
    tracked: &dyn Fn(&RelPath) -> bool,
) -> Result<Vec<TemplateFile>, Error> {
    let mut files = Vec::new();
    for (path, t) in theirs {
        let ours = tree::read_file(dir, path)?;
        let standing = match &ours {
            None => Standing::Missing,
            Some(o) if crate::project::same_content(&o.bytes, &t.bytes) => Standing::Identical,
            Some(o) => Standing::Differs {
                lines: crate::git::line_stat(&o.bytes, &t.bytes),
            },
        };
        files.push(TemplateFile {
            path: path.clone(),
            standing,
            policy: policies.of(path),
            untracked: ours.is_some() && !tracked(path),
        });
    }
    Ok(files)
}
