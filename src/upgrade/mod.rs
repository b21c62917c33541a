//! `goldpath upgrade`: move a project to a newer version of its bundle with a three-way merge
//! (base = recorded version + recorded answers, theirs = new version, ours = the project now),
//! running the bundle's migrations and never dropping a local edit.
//!
//! [`prepare`] computes an [`UpgradePlan`] in memory; [`apply`] writes it (each file atomically,
//! the answers file last) and commits, or leaves conflicts marked in the files and the index.
//! [`finish`] (`--continue`) and [`abort`] (`--abort`) end an upgrade that stopped on conflicts.

mod apply;
mod journal;
mod migrate;
mod plan;
mod secrets;

pub use apply::{abort, apply, finish, Applied};
pub use journal::{recover, Asking, Recovered};
pub use plan::{Action, Change, ConflictKind, LeftAlone};

use crate::answers::{self, Answers, AnswersFile, Given, Inputs, Prompter};
use crate::bundle::{Bundle, Policies, SourceSpec};
use crate::merge::ConflictStyle;
use crate::project::Project;
use crate::tree::RelPath;
use semver::Version;
use std::collections::BTreeMap;
use std::path::Path;

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
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Target version; default the newest.
    pub to: Option<Version>,
    /// Overrides the recorded source.
    pub from: Option<SourceSpec>,
    /// `--set` answers (new questions, or changed answers).
    pub set: BTreeMap<String, String>,
    /// Take defaults for new questions without asking.
    pub defaults: bool,
    pub style: ConflictStyle,
    pub allow_dirty: bool,
    pub allow_downgrade: bool,
    /// Run migration hooks from a source that is not trusted by default.
    pub trust: bool,
    pub no_commit: bool,
    /// Plan only; a dirty tree is then no reason to refuse.
    pub dry_run: bool,
}

/// Everything an upgrade will do, computed before anything is written.
#[derive(Debug)]
pub struct UpgradePlan {
    pub name: String,
    pub from_version: Version,
    pub to_version: Version,
    pub source: SourceSpec,
    pub commit: Option<String>,
    /// The answers the new version renders with (secrets included; they are not recorded).
    pub answers: Answers,
    /// What goes into the answers file.
    pub recorded_answers: BTreeMap<String, answers::Value>,
    /// Answers recorded for questions the new version no longer asks.
    pub dropped_answers: Vec<String>,
    /// Questions new in this version and the answers they got.
    pub new_questions: Vec<String>,
    /// Recorded answers `--set` changed: `name = new (was old)`; a secret (or an answer computed
    /// from one) by its name alone, when files are rewritten with its new value.
    pub changed_answers: Vec<String>,
    /// Files that use a secret given with `--set` but were not rewritten, and why.
    pub secret_notes: Vec<String>,
    /// One line per migration step.
    pub migrations: Vec<String>,
    /// Renames found by content similarity, not declared by a migration.
    pub detected_renames: Vec<(RelPath, RelPath)>,
    pub changes: Vec<Change>,
    /// Hooks to run after writing, with the version of their migration.
    pub hooks: Vec<(Version, RelPath)>,
    pub new_bundle: Bundle,
    pub project_dir: std::path::PathBuf,
    pub style: ConflictStyle,
    /// The tree had uncommitted changes (allowed by `--allow-dirty`).
    pub started_dirty: bool,
}

impl UpgradePlan {
    pub fn conflicts(&self) -> impl Iterator<Item = (&RelPath, ConflictKind, usize)> {
        self.changes.iter().filter_map(|c| match &c.action {
            Action::Conflict { kind, regions, .. } => Some((&c.path, *kind, *regions)),
            _ => None,
        })
    }

    pub fn is_noop(&self) -> bool {
        self.from_version == self.to_version
            && self.changes.iter().all(|c| !c.action.writes())
            && self.migrations.is_empty()
            && self.changed_answers.is_empty()
    }

    /// The commit message: versions, migrations and the local changes that were kept.
    pub fn commit_message(&self) -> String {
        let mut m = format!(
            "Upgrade {} {} -> {} (golden path)\n",
            self.name, self.from_version, self.to_version
        );
        let mut section = |title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                m.push_str(&format!("\n{title}:\n"));
                for l in lines {
                    m.push_str(&format!("- {l}\n"));
                }
            }
        };
        section("Migrations", self.migrations.clone());
        // The answers file changes with them; the commit must say why the files did.
        section("Changed answers", self.changed_answers.clone());
        section(
            "Renames detected",
            self.detected_renames
                .iter()
                .map(|(a, b)| format!("{a} -> {b}"))
                .collect(),
        );
        section("New answers", self.new_questions.clone());
        let paths = |f: fn(&Action) -> bool| -> Vec<String> {
            self.changes
                .iter()
                .filter(|c| f(&c.action))
                .map(|c| c.path.to_string())
                .collect()
        };
        section(
            "Merged with your local changes",
            paths(|a| matches!(a, Action::Merged(_))),
        );
        section(
            "Kept your local changes (template unchanged)",
            paths(|a| matches!(a, Action::KeptLocal)),
        );
        section(
            "Kept deleted (you deleted them)",
            paths(|a| matches!(a, Action::KeptDeleted)),
        );
        section(
            "Seed files left as they are",
            paths(|a| matches!(a, Action::KeptSeed)),
        );
        section(
            "Updated from the template",
            paths(|a| matches!(a, Action::Update(_) | Action::Create(_))),
        );
        section(
            "Removed by the template",
            paths(|a| matches!(a, Action::Delete)),
        );
        section(
            "Left alone (not the template's to remove or move)",
            paths(|a| matches!(a, Action::LeftAlone(_))),
        );
        m
    }
}

/// Computes the upgrade of the project in `dir`, touching nothing.
pub fn prepare(
    dir: &Path,
    options: &Options,
    prompter: Option<&mut dyn Prompter>,
) -> Result<UpgradePlan, Error> {
    let project = Project::open(dir)?;
    if let Some(pending) = &project.record.upgrade {
        return Err(Error::InProgress {
            version: pending.version.clone(),
        });
    }
    // Before anything is asked: nobody should answer questions to be told the tree is dirty.
    let started_dirty = apply::check_clean(dir, options.allow_dirty || options.dry_run)?;
    let spec = project.source(options.from.as_ref());
    let source = spec.open()?;
    let old = project.load_recorded(&source)?;
    let name = old.name().to_string();
    let new = source.load(&name, options.to.as_ref())?;
    let (from_version, to_version) = (old.version().clone(), new.version().clone());
    if to_version < from_version && !(options.allow_downgrade && options.to.is_some()) {
        return Err(Error::Downgrade {
            name,
            from: from_version,
            to: to_version,
        });
    }

    // Answers: the recorded ones, moved along by the migrations, then --set on top; questions
    // new in this version are asked (or defaulted).
    let crossed = migrate::crossed(&new, &from_version, &to_version);
    let mut recorded = project.record.answers.clone();
    let steps = migrate::apply(&crossed, &mut recorded).map_err(Error::Migration)?;
    let mut given: BTreeMap<String, Given> =
        AnswersFile::as_given(&recorded, crate::tree::ANSWERS_FILE);
    for (k, v) in &options.set {
        given.insert(k.clone(), Given::Raw(v.clone()));
    }
    for k in options.set.keys() {
        if new.manifest.question(k).is_none() {
            return Err(answers::Error::Unknown {
                name: k.clone(),
                from: format!("--set {k}=..."),
                known: new
                    .manifest
                    .questions
                    .iter()
                    .map(|q| q.name.clone())
                    .collect(),
            }
            .into());
        }
    }
    let inputs = Inputs {
        given,
        defaults: options.defaults,
        allow_unknown: true,
    };
    let resolved = answers::resolve(&new.manifest.questions, &inputs, prompter)?;
    // Secrets and answers computed from them are never shown, not even in the commit message.
    let secret = answers::secret_derived(&new.manifest.questions);
    let new_questions = new
        .manifest
        .questions
        .iter()
        .filter(|q| !recorded.contains_key(&q.name) && !secret.contains(&q.name))
        .filter_map(|q| {
            resolved
                .answers
                .get(&q.name)
                .map(|v| format!("{} = {v}", q.name))
        })
        .collect();

    let mut changed_answers: Vec<String> = options
        .set
        .keys()
        .filter(|k| !secret.contains(*k))
        .filter_map(|k| {
            let (old, now) = (recorded.get(k)?, resolved.answers.get(k)?);
            (old != now).then(|| format!("{k} = {now} (was {old})"))
        })
        .collect();

    // The three sides.
    let mut base = project.render_recorded(&old, &resolved.answers)?;
    let theirs = crate::render::render(&new, &resolved.answers)?;
    let from_secrets =
        secrets::base_for_changed_secrets(&project, &old, &base, &options.set, &resolved.answers);
    let rewritten = from_secrets
        .unedited
        .iter()
        .any(|(path, ours)| theirs.get(path).is_none_or(|t| t.bytes != ours.bytes));
    if rewritten {
        changed_answers.extend(
            options
                .set
                .keys()
                .filter(|k| secret.contains(*k))
                .map(|k| format!("{k} (secret: value not shown)")),
        );
    }
    base.extend(from_secrets.unedited);
    let read = |p: &RelPath| crate::tree::read_file(dir, p);
    let tracked_paths = crate::git::ProjectRepo::open(dir)?.tracked_paths()?;
    let tracked = |p: &RelPath| tracked_paths.contains(p.as_str());
    let (old_policies, new_policies) = (
        Policies::new(&old.manifest.files),
        Policies::new(&new.manifest.files),
    );
    let sides = plan::Sides {
        base: &base,
        theirs: &theirs,
        ours: &read,
        tracked: &tracked,
        old_policies: &old_policies,
        new_policies: &new_policies,
        renames: &steps.renames,
        deletes: &steps.deletes,
        style: options.style,
    };
    let plan::Decided {
        changes,
        detected_renames,
    } = plan::decide(&sides)?;
    apply::check_writable(dir, &changes)?;

    let mut migrations = steps.report;
    for (version, hook) in &steps.hooks {
        if !new.hooks.contains_key(hook) {
            return Err(Error::Hook {
                version: version.clone(),
                hook: hook.to_string(),
                problem: "is not in the bundle's hooks/ folder".into(),
            });
        }
        if !(spec.trusted_by_default() || options.trust) {
            return Err(Error::Untrusted {
                version: version.clone(),
                hook: hook.to_string(),
                source_name: spec.to_string(),
            });
        }
        migrations.push(format!("{version}: runs hook {hook}"));
    }
    // A folder rename moves the template's files. Files of the user's own in that folder stay
    // where the user put them (other files may refer to them there); the report says so, so
    // nobody is surprised by a folder that did not go away.
    for (from, to) in &steps.renames {
        let folder = dir.join(from);
        if !folder.is_dir() {
            continue;
        }
        for rel in apply::files_under(&folder) {
            let path = format!("{from}/{rel}");
            if !base.keys().any(|p| p.as_str() == path) {
                migrations.push(format!(
                    "{path} stays where it is: it is not from the template, which moved {from} to {to}"
                ));
            }
        }
    }
    for path in &steps.deletes {
        if changes
            .iter()
            .any(|c| &c.path == path && c.action == Action::Delete)
        {
            migrations.push(format!("deleted {path}"));
        }
    }

    Ok(UpgradePlan {
        name,
        from_version,
        to_version,
        source: spec,
        commit: new.origin.commit.clone(),
        recorded_answers: AnswersFile::public_answers(&new.manifest, &resolved.answers),
        answers: resolved.answers,
        dropped_answers: resolved.dropped,
        new_questions,
        changed_answers,
        secret_notes: from_secrets.notes,
        migrations,
        detected_renames,
        changes,
        hooks: steps.hooks,
        new_bundle: new,
        project_dir: dir.to_path_buf(),
        style: options.style,
        started_dirty,
    })
}
