//! Planning an upgrade: [`prepare`] runs its steps in order over a project and a source the
//! caller opened, and returns an [`UpgradePlan`]. Nothing is written; every refusal (a dirty
//! tree, a downgrade, a path that cannot be written, a hook that may not run) comes before the
//! first write.

use super::error::Error;
use super::migrate::{self, MigrationNote, Steps};
use super::ours::{CurrentFiles, WorkTree};
use super::plan::{self, Action, Change, ConflictKind};
use super::secrets::{self, SecretNote};
use super::workspace;
use crate::answers::{self, Answers, AnswersFile, Given, Inputs, Prompter, Resolved, Value};
use crate::bundle::{Bundle, Policies, Source, SourceSpec};
use crate::merge::ConflictStyle;
use crate::project::Project;
use crate::tree::{RelPath, Tree};
use semver::Version;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Target version; default the newest.
    pub to: Option<Version>,
    /// Overrides the recorded source. The caller opens the source this names
    /// ([`Project::source`]) and passes it to [`prepare`].
    pub from: Option<SourceSpec>,
    /// `--set` answers (new questions, or changed answers).
    pub set: BTreeMap<String, String>,
    /// `--answers FILE`: answers for the questions the project has no recorded answer for (new
    /// in this version, secrets); the recorded ones stay (`--set` changes them).
    pub answers: BTreeMap<String, Given>,
    /// Take defaults for new questions without asking.
    pub defaults: bool,
    pub style: ConflictStyle,
    pub allow_dirty: bool,
    pub allow_downgrade: bool,
    /// Run migration hooks from a source that is not trusted by default.
    pub trust: bool,
    pub no_commit: bool,
    /// Whether the commit runs the repository's hooks (`--no-verify` says no).
    pub verify: crate::git::Verify,
    /// Plan only; a dirty tree is then no reason to refuse.
    pub dry_run: bool,
}

/// Everything an upgrade will do, computed before anything is written. Data only: the CLI and
/// [`UpgradePlan::commit_message`] put it into words.
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
    pub recorded_answers: BTreeMap<String, Value>,
    /// Answers recorded for questions the new version no longer asks.
    pub dropped_answers: Vec<String>,
    /// Questions new in this version and the answers they got (secrets left out).
    pub new_questions: Vec<NewAnswer>,
    /// Recorded answers `--set` changed.
    pub changed_answers: Vec<ChangedAnswer>,
    /// Files that use a secret given with `--set` but were not rewritten, and why.
    pub secret_notes: Vec<SecretNote>,
    /// What the migrations did, in order.
    pub migrations: Vec<MigrationNote>,
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
    /// `Some` when the plan adopts the bundle (`goldpath adopt`, an upgrade from nothing; see
    /// [`super::adopt`]): the repository's files that already were the template's, adopted as
    /// they are. `from_version` is then `to_version`.
    pub adopting: Option<Vec<RelPath>>,
}

/// A question new in this version and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnswer {
    pub name: String,
    pub value: Value,
}

impl fmt::Display for NewAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.name, self.value)
    }
}

/// A recorded answer that `--set` changed.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangedAnswer {
    /// `name = now (was was)`.
    Value {
        name: String,
        now: Value,
        was: Value,
    },
    /// A secret (or an answer computed from one), named alone, when files were rewritten with
    /// its new value.
    Secret { name: String },
}

impl fmt::Display for ChangedAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangedAnswer::Value { name, now, was } => write!(f, "{name} = {now} (was {was})"),
            ChangedAnswer::Secret { name } => write!(f, "{name} (secret: value not shown)"),
        }
    }
}

impl UpgradePlan {
    pub fn conflicts(&self) -> impl Iterator<Item = (&RelPath, ConflictKind, usize)> {
        self.changes.iter().filter_map(|c| match &c.action {
            Action::Conflict(conflict) => Some((&c.path, conflict.kind, conflict.regions)),
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
        let mut m = match &self.adopting {
            None => format!(
                "Upgrade {} {} -> {} (golden path)\n",
                self.name, self.from_version, self.to_version
            ),
            Some(_) => format!("Adopt {} {} (golden path)\n", self.name, self.to_version),
        };
        let mut section = |title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                m.push_str(&format!("\n{title}:\n"));
                for l in lines {
                    m.push_str(&format!("- {l}\n"));
                }
            }
        };
        section("Migrations", lines(&self.migrations));
        // The answers file changes with them; the commit must say why the files did.
        section("Changed answers", lines(&self.changed_answers));
        section("New answers", lines(&self.new_questions));
        for (title, of_kind) in FILE_SECTIONS {
            section(title, self.paths_where(of_kind));
        }
        section("Renamed by the template", self.renames());
        if let Some(as_is) = &self.adopting {
            section(
                "Adopted as they are (the same as the template's)",
                lines(as_is),
            );
        }
        for (title, of_kind) in LAST_SECTIONS {
            section(title, self.paths_where(of_kind));
        }
        m
    }

    /// The paths whose change is of a kind.
    fn paths_where(&self, of_kind: OfKind) -> Vec<String> {
        self.changes
            .iter()
            .filter(|c| of_kind(c))
            .map(|c| c.path.to_string())
            .collect()
    }

    /// Every rename, as `old -> new`: each file carried along one (a conflicted one too: the
    /// message is committed once it is resolved), then any other the template made; one the
    /// template did not declare (found by its content) says so.
    fn renames(&self) -> Vec<String> {
        let found = |from: &RelPath, to: &RelPath| {
            self.detected_renames
                .iter()
                .any(|(a, b)| a == from && b == to)
        };
        let line = |from: &RelPath, to: &RelPath| {
            let how = if found(from, to) {
                " (found by content)"
            } else {
                ""
            };
            format!("{from} -> {to}{how}")
        };
        let carried: Vec<(&RelPath, &RelPath)> = self
            .changes
            .iter()
            .filter_map(|c| Some((c.moved_from.as_ref()?, &c.path)))
            .collect();
        let others = self
            .detected_renames
            .iter()
            .filter(|(a, b)| !carried.contains(&(a, b)))
            .map(|(a, b)| (a, b));
        carried
            .iter()
            .copied()
            .chain(others)
            .map(|(a, b)| line(a, b))
            .collect()
    }
}

/// `message` with the conflicts the user resolved (`upgrade --continue`) listed after it.
pub fn with_resolved<'a>(message: &str, resolved: impl IntoIterator<Item = &'a String>) -> String {
    let mut m = message.to_string();
    let mut resolved = resolved.into_iter().peekable();
    if resolved.peek().is_some() {
        if !m.ends_with('\n') {
            m.push('\n');
        }
        m.push_str("\nConflicts resolved by hand:\n");
        for path in resolved {
            m.push_str(&format!("- {path}\n"));
        }
    }
    m
}

/// One line for each item.
fn lines<T: fmt::Display>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// Whether a change is of the kind a section of the commit message lists.
type OfKind = fn(&Change) -> bool;

/// The sections of the commit message that list files, in order, then the renames
/// ([`UpgradePlan::renames`]) and [`LAST_SECTIONS`]. A file goes into one section, except a
/// renamed one, also named among the renames. Files left in conflict are listed by `upgrade
/// --continue` ([`with_resolved`]), once resolved.
const FILE_SECTIONS: [(&str, OfKind); 6] = [
    ("Merged with your local changes", |c| {
        matches!(c.action, Action::Merged(_))
    }),
    ("Kept your local changes (template unchanged)", |c| {
        matches!(c.action, Action::KeptLocal)
    }),
    ("Kept deleted (you deleted them)", |c| {
        matches!(c.action, Action::KeptDeleted)
    }),
    ("Seed files left as they are", |c| {
        matches!(c.action, Action::KeptSeed)
    }),
    ("Added by the template", |c| {
        matches!(c.action, Action::Create(_)) && c.moved_from.is_none()
    }),
    ("Updated from the template", |c| {
        matches!(c.action, Action::Update(_)) && c.moved_from.is_none()
    }),
];

/// The sections after the renames.
const LAST_SECTIONS: [(&str, OfKind); 2] = [
    ("Removed by the template", |c| {
        matches!(c.action, Action::Delete)
    }),
    ("Left alone (not the template's to remove or move)", |c| {
        matches!(c.action, Action::LeftAlone(_))
    }),
];

/// Computes the upgrade of `project`, touching nothing. `source` is the one `options.from`
/// names, or the project's recorded one ([`Project::source`]), opened by the caller: a fleet
/// opens it once for all its projects.
pub fn prepare(
    project: &Project,
    source: &Source,
    options: &Options,
    prompter: Option<&mut dyn Prompter>,
) -> Result<UpgradePlan, Error> {
    let started_dirty = refuse_unready(project, options)?;
    let ours = WorkTree::open(&project.dir)?;
    plan_upgrade(project, &ours, source, options, prompter, started_dirty)
}

/// [`prepare`] with the project's current files read from `ours` instead of its work tree
/// (a fleet reads them from a commit's tree in git's objects). Such files are always clean,
/// so only an upgrade in progress is refused.
pub fn prepare_from(
    project: &Project,
    ours: &dyn CurrentFiles,
    source: &Source,
    options: &Options,
    prompter: Option<&mut dyn Prompter>,
) -> Result<UpgradePlan, Error> {
    refuse_in_progress(project)?;
    plan_upgrade(project, ours, source, options, prompter, false)
}

/// Steps 2 to 8 of [`prepare`].
fn plan_upgrade(
    project: &Project,
    ours: &dyn CurrentFiles,
    source: &Source,
    options: &Options,
    prompter: Option<&mut dyn Prompter>,
    started_dirty: bool,
) -> Result<UpgradePlan, Error> {
    let versions = load_versions(project, source, options)?;
    let answers = answer(project, &versions, options, prompter)?;
    let rendered = render_sides(project, ours, &versions, &answers, &options.set)?;
    let decided = decide(ours, &versions, &rendered, &answers.steps, options.style)?;
    workspace::check_writable(ours, &decided.changes)?;
    let spec = project.source(options.from.as_ref());
    refuse_hooks(&spec, &versions.new, &answers.steps.hooks, options.trust)?;
    let migrations = report_migrations(ours, &answers.steps, &rendered.base, &decided.changes);
    let changed_answers = changed_answers(&options.set, &answers, rendered.secrets_rewritten);
    Ok(UpgradePlan {
        name: versions.old.name().to_string(),
        from_version: versions.old.version().clone(),
        to_version: versions.new.version().clone(),
        source: spec,
        commit: versions.new.origin.commit.clone(),
        recorded_answers: AnswersFile::public_answers(
            &versions.new.manifest,
            &answers.resolved.answers,
        ),
        new_questions: answers.new_questions,
        answers: answers.resolved.answers,
        dropped_answers: answers.resolved.dropped,
        changed_answers,
        secret_notes: rendered.secret_notes,
        migrations,
        detected_renames: decided.detected_renames,
        changes: decided.changes,
        hooks: answers.steps.hooks,
        new_bundle: versions.new,
        project_dir: project.dir.clone(),
        style: options.style,
        started_dirty,
        adopting: None,
    })
}

/// Step 1: refuses an upgrade in progress, and a dirty tree unless allowed; returns whether
/// the tree is dirty. Before anything is asked: nobody should answer questions to be told the
/// tree is dirty.
fn refuse_unready(project: &Project, options: &Options) -> Result<bool, Error> {
    refuse_in_progress(project)?;
    workspace::check_clean(&project.dir, options.allow_dirty || options.dry_run)
}

fn refuse_in_progress(project: &Project) -> Result<(), Error> {
    match &project.record.upgrade {
        Some(pending) => Err(Error::InProgress {
            version: pending.version.clone(),
        }),
        None => Ok(()),
    }
}

/// The recorded version of the bundle and the one the upgrade goes to.
struct Versions {
    old: Bundle,
    new: Bundle,
}

/// Step 2: loads both versions; refuses a downgrade that was not asked for.
fn load_versions(project: &Project, source: &Source, options: &Options) -> Result<Versions, Error> {
    let old = project.load_recorded(source)?;
    let new = source.load(old.name(), options.to.as_ref())?;
    let (from, to) = (old.version(), new.version());
    if to < from && !(options.allow_downgrade && options.to.is_some()) {
        return Err(Error::Downgrade {
            name: old.name().to_string(),
            from: from.clone(),
            to: to.clone(),
        });
    }
    Ok(Versions { old, new })
}

/// The answers of the upgrade and what the migrations ask of the files.
struct UpgradeAnswers {
    /// The recorded answers, moved along by the migrations.
    recorded: BTreeMap<String, Value>,
    resolved: Resolved,
    steps: Steps,
    /// Secrets and answers computed from them: never shown, not even in the commit message.
    secret: BTreeSet<String>,
    new_questions: Vec<NewAnswer>,
}

/// Step 3: the recorded answers, moved along by the migrations, then `--set` on top; questions
/// new in this version are asked (or defaulted).
fn answer(
    project: &Project,
    versions: &Versions,
    options: &Options,
    prompter: Option<&mut dyn Prompter>,
) -> Result<UpgradeAnswers, Error> {
    let new = &versions.new;
    let crossed = migrate::crossed(new, versions.old.version(), new.version());
    let mut recorded = project.record.answers.clone();
    let steps = migrate::apply(&crossed, &mut recorded).map_err(Error::Migration)?;
    let mut given: BTreeMap<String, Given> =
        AnswersFile::as_given(&recorded, crate::tree::ANSWERS_FILE);
    for (k, v) in &options.answers {
        given.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, v) in &options.set {
        given.insert(k.clone(), Given::Raw(v.clone()));
    }
    refuse_unknown_set(new, &options.set)?;
    let inputs = Inputs {
        given,
        defaults: options.defaults,
        allow_unknown: true,
    };
    let resolved = answers::resolve(&new.manifest.questions, &inputs, prompter)?;
    let secret = answers::secret_derived(&new.manifest.questions);
    let new_questions = new
        .manifest
        .questions
        .iter()
        .filter(|q| !recorded.contains_key(&q.name) && !secret.contains(&q.name))
        .filter_map(|q| {
            let value = resolved.answers.get(&q.name)?.clone();
            Some(NewAnswer {
                name: q.name.clone(),
                value,
            })
        })
        .collect();
    Ok(UpgradeAnswers {
        recorded,
        resolved,
        steps,
        secret,
        new_questions,
    })
}

/// A `--set` of a question the new version does not ask is a mistake, not an answer to keep.
fn refuse_unknown_set(new: &Bundle, set: &BTreeMap<String, String>) -> Result<(), Error> {
    let questions = &new.manifest.questions;
    match set.keys().find(|k| new.manifest.question(k).is_none()) {
        Some(k) => Err(answers::Error::Unknown {
            name: k.clone(),
            from: format!("--set {k}=..."),
            known: questions.iter().map(|q| q.name.clone()).collect(),
        }
        .into()),
        None => Ok(()),
    }
}

/// The base and theirs of the three-way merge (ours is the project's files, read as needed).
struct Rendered {
    base: Tree,
    theirs: Tree,
    secret_notes: Vec<SecretNote>,
    /// Files were rewritten with a secret given with `--set`.
    secrets_rewritten: bool,
}

/// Step 4: renders the recorded version with the upgrade's answers (base) and the new one
/// (theirs). A file that uses a secret changed with `--set` and that the user left alone takes
/// itself as its base, so it takes the new value (see [`secrets`]).
fn render_sides(
    project: &Project,
    ours: &dyn CurrentFiles,
    versions: &Versions,
    answers: &UpgradeAnswers,
    set: &BTreeMap<String, String>,
) -> Result<Rendered, Error> {
    let resolved = &answers.resolved.answers;
    let mut base = project.render_recorded(&versions.old, resolved)?;
    let theirs = crate::render::render(&versions.new, resolved)?;
    let from_secrets =
        secrets::base_for_changed_secrets(project, ours, &versions.old, &base, set, resolved);
    let secrets_rewritten = from_secrets
        .unedited
        .iter()
        .any(|(path, ours)| theirs.get(path).is_none_or(|t| t.bytes != ours.bytes));
    base.extend(from_secrets.unedited);
    Ok(Rendered {
        base,
        theirs,
        secret_notes: from_secrets.notes,
        secrets_rewritten,
    })
}

/// Step 5: decides every path (see [`plan::decide`]), reading the user's files as needed.
fn decide(
    ours: &dyn CurrentFiles,
    versions: &Versions,
    rendered: &Rendered,
    steps: &Steps,
    style: ConflictStyle,
) -> Result<plan::Decided, Error> {
    let read = |p: &RelPath| ours.read(p);
    let tracked = |p: &RelPath| ours.tracked(p);
    let old_policies = Policies::new(&versions.old.manifest.files);
    let new_policies = Policies::new(&versions.new.manifest.files);
    Ok(plan::decide(&plan::Sides {
        base: &rendered.base,
        theirs: &rendered.theirs,
        ours: &read,
        tracked: &tracked,
        old_policies: &old_policies,
        new_policies: &new_policies,
        renames: &steps.renames,
        deletes: &steps.deletes,
        style,
    })?)
}

/// Step 7 (after step 6, the paths that cannot be written): refuses a hook the bundle does
/// not have, and one from a source that is not trusted without `--trust`.
fn refuse_hooks(
    spec: &SourceSpec,
    new: &Bundle,
    hooks: &[(Version, RelPath)],
    trust: bool,
) -> Result<(), Error> {
    for (version, hook) in hooks {
        if !new.hooks.contains_key(hook) {
            return Err(Error::Hook {
                version: version.clone(),
                hook: hook.to_string(),
                problem: "is not in the bundle's hooks/ folder".into(),
            });
        }
        if !(spec.trusted_by_default() || trust) {
            return Err(Error::Untrusted {
                version: version.clone(),
                hook: hook.to_string(),
                source_name: spec.to_string(),
            });
        }
    }
    Ok(())
}

/// Step 8: what the migrations did: the answers and renames they report themselves, the
/// hooks to run, the user's files left in a folder the template moved, the files deleted.
fn report_migrations(
    ours: &dyn CurrentFiles,
    steps: &Steps,
    base: &Tree,
    changes: &[Change],
) -> Vec<MigrationNote> {
    let mut migrations = steps.report.clone();
    migrations.extend(
        steps
            .hooks
            .iter()
            .map(|(version, hook)| MigrationNote::RunsHook {
                version: version.clone(),
                hook: hook.clone(),
            }),
    );
    // A folder rename moves the template's files. Files of the user's own in that folder stay
    // where the user put them (other files may refer to them there); the report says so, so
    // nobody is surprised by a folder that did not go away.
    for (from, to) in &steps.renames {
        let Some(files) = ours.folder_files(from) else {
            continue;
        };
        for rel in files {
            let path = format!("{from}/{rel}");
            if !base.keys().any(|p| p.as_str() == path) {
                migrations.push(MigrationNote::StaysInPlace {
                    path,
                    from: from.clone(),
                    to: to.clone(),
                });
            }
        }
    }
    for path in &steps.deletes {
        if changes
            .iter()
            .any(|c| &c.path == path && c.action == Action::Delete)
        {
            migrations.push(MigrationNote::Deleted { path: path.clone() });
        }
    }
    migrations
}

/// The recorded answers `--set` changed; secrets by name alone, and only when files were
/// rewritten with their new value.
fn changed_answers(
    set: &BTreeMap<String, String>,
    answers: &UpgradeAnswers,
    secrets_rewritten: bool,
) -> Vec<ChangedAnswer> {
    let secret = &answers.secret;
    let mut changed: Vec<ChangedAnswer> = set
        .keys()
        .filter(|k| !secret.contains(*k))
        .filter_map(|k| {
            let (was, now) = (answers.recorded.get(k)?, answers.resolved.answers.get(k)?);
            (was != now).then(|| ChangedAnswer::Value {
                name: k.clone(),
                now: now.clone(),
                was: was.clone(),
            })
        })
        .collect();
    if secrets_rewritten {
        changed.extend(
            set.keys()
                .filter(|k| secret.contains(*k))
                .map(|k| ChangedAnswer::Secret { name: k.clone() }),
        );
    }
    changed
}
