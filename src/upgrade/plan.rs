//! The upgrade plan: for every path, base (old version rendered with the recorded answers) x
//! theirs (new version) x ours (the project now) -> one decision. Computed entirely in memory;
//! nothing is written until the whole plan is known.

use crate::bundle::{Policies, Policy};
use crate::merge::{self, ConflictStyle};
use crate::tree::{File, RelPath, Tree};
use std::collections::{BTreeMap, BTreeSet};

/// Why a file is in conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// Both sides changed the same lines; markers are in the file.
    Content,
    /// The template added a file where the user already had one; markers are in the file.
    AddAdd,
    /// The template removed (or a migration deleted) a file the user changed; the user's file
    /// is kept as it is.
    ModifyDelete,
    /// A `locked` (template-owned) file was edited locally; markers are in the file.
    Locked,
    /// Both sides changed a binary file; the user's file is kept as it is.
    Binary,
    /// The template writes a file where the user has one git does not track (untracked or
    /// ignored): goldpath never writes over those, so the user's file is kept as it is and the
    /// template's waits in the index (stage 3) until `--continue`.
    Untracked,
}

impl ConflictKind {
    pub fn describe(self) -> &'static str {
        match self {
            ConflictKind::Content => "both changed",
            ConflictKind::AddAdd => "both added",
            ConflictKind::ModifyDelete => "modified by you, deleted by the template",
            ConflictKind::Locked => "locked file edited locally",
            ConflictKind::Binary => "binary, both changed",
            ConflictKind::Untracked => "the template adds it; yours is not tracked by git",
        }
    }

    /// Whether the conflict is marked in the file (so `--continue` can see it is resolved);
    /// otherwise the user resolves it with `git add` or `git rm`.
    pub fn has_markers(self) -> bool {
        matches!(
            self,
            ConflictKind::Content | ConflictKind::AddAdd | ConflictKind::Locked
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A new template file.
    Create(File),
    /// The template changed a file the user had not: the new version.
    Update(File),
    /// Both changed and the merge is clean: the user's edits are kept.
    Merged(File),
    /// The template removed a file the user had not changed (or a migration deleted it).
    Delete,
    /// The user changed the file and the template did not: kept as it is.
    KeptLocal,
    /// The user deleted a file the template still has: it stays deleted.
    KeptDeleted,
    /// A `seed` file the template changed: never touched by upgrades.
    KeptSeed,
    /// A file the template removed, renamed or a migration deleted, left where it is because it
    /// is not the template's to remove.
    LeftAlone(LeftAlone),
    /// A conflict, for the user to resolve.
    Conflict(Conflict),
}

impl Action {
    /// Whether applying the action writes or deletes anything.
    pub fn writes(&self) -> bool {
        matches!(self, Action::Delete) || self.written().is_some()
    }

    /// The file the action writes, if it writes one.
    pub fn written(&self) -> Option<&File> {
        match self {
            Action::Create(f) | Action::Update(f) | Action::Merged(f) => Some(f),
            Action::Conflict(c) => c.file.as_ref(),
            _ => None,
        }
    }
}

/// A file in conflict: its three sides, what is written in its place, and how it is marked.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// What is written (with markers); `None` to leave the user's file alone.
    pub file: Option<File>,
    pub base: Option<File>,
    pub ours: Option<File>,
    pub theirs: Option<File>,
    /// How many conflicting regions `file` holds (1 for a conflict without markers).
    pub regions: usize,
    /// The size of the markers written in `file`, chosen so that no line the user had
    /// looks like one: `--continue` looks for blocks of exactly this size.
    pub marker_size: Option<usize>,
}

impl Conflict {
    /// A conflict that leaves the user's file as it is (modify/delete, binary, untracked): one
    /// region, no markers; the sides go into the index for the user to decide.
    pub fn unmarked(
        kind: ConflictKind,
        base: Option<&File>,
        ours: &File,
        theirs: Option<&File>,
    ) -> Conflict {
        Conflict {
            kind,
            file: None,
            base: base.cloned(),
            ours: Some(ours.clone()),
            theirs: theirs.cloned(),
            regions: 1,
            marker_size: None,
        }
    }

    /// This conflict with `file` written in the user's file's place, holding `regions` blocks
    /// of markers of `marker_size`.
    pub fn marked(self, file: File, regions: usize, marker_size: usize) -> Conflict {
        Conflict {
            file: Some(file),
            regions,
            marker_size: Some(marker_size),
            ..self
        }
    }

    /// This conflict with `file` written in place (a renamed file must reach its new path).
    pub fn written_as(self, file: File) -> Conflict {
        Conflict {
            file: Some(file),
            ..self
        }
    }

    /// This conflict with another base (what goes into the index as stage 1).
    pub fn with_base(self, base: &File) -> Conflict {
        Conflict {
            base: Some(base.clone()),
            ..self
        }
    }
}

/// Why a file the template asked to remove or move stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftAlone {
    /// The recorded version never rendered it: it is the user's, whatever the migration says.
    NotRendered,
    /// Git does not track it (untracked or ignored): the user's, and not restorable from git.
    Untracked,
}

impl LeftAlone {
    pub fn describe(self) -> &'static str {
        match self {
            LeftAlone::NotRendered => "kept: the template never made this file, so it is yours",
            LeftAlone::Untracked => {
                "kept: git does not track it (untracked or ignored), so it is yours"
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub path: RelPath,
    /// For a renamed file: where the user's file was; it is removed once written at `path`.
    pub moved_from: Option<RelPath>,
    pub action: Action,
}

impl Change {
    /// The paths applying this change writes or removes: its own when the action writes, and
    /// the old path of a rename (removed once the file is at its new path).
    pub fn paths_written(&self) -> impl Iterator<Item = &RelPath> {
        let own = self.action.writes().then_some(&self.path);
        own.into_iter().chain(self.moved_from.iter())
    }
}

/// The three trees and what the migrations ask, the input of [`decide`].
pub struct Sides<'a> {
    pub base: &'a Tree,
    pub theirs: &'a Tree,
    /// Reads the user's file at a path, `None` when it does not exist.
    pub ours: &'a dyn Fn(&RelPath) -> Result<Option<File>, crate::tree::Error>,
    /// Whether git tracks the user's file at a path. Files it does not track (untracked,
    /// ignored) cannot be restored from git, so the upgrade never writes over or removes them.
    pub tracked: &'a dyn Fn(&RelPath) -> bool,
    pub old_policies: &'a Policies,
    pub new_policies: &'a Policies,
    pub renames: &'a [(String, String)],
    pub deletes: &'a [RelPath],
    pub style: ConflictStyle,
}

/// The minimum share of lines two files must have in common to count as a rename (git's
/// default similarity for rename detection is 50% as well).
const RENAME_SIMILARITY: f64 = 0.5;

/// What [`decide`] found: the changes sorted by path, and renames found by content (for the report).
pub struct Decided {
    pub changes: Vec<Change>,
    pub detected_renames: Vec<(RelPath, RelPath)>,
}

/// The base moved along the renames: a renamed file's base sits at its new path, and `moved`
/// maps each new path to the old one the user's file is read from.
struct Moved {
    base: Tree,
    /// New path -> old path.
    moved: BTreeMap<RelPath, RelPath>,
}

type Found<T> = Result<T, crate::tree::Error>;

/// Decides every path, in three steps.
pub fn decide(sides: &Sides<'_>) -> Found<Decided> {
    let mut moved = follow_declared_renames(sides);
    let detected_renames = detect_renames(&mut moved, sides)?;
    let changes = decide_paths(&moved, sides)?;
    Ok(Decided {
        changes,
        detected_renames,
    })
}

/// 1. Moves the base along the template's renames, so a renamed file is merged at its new path
///    with the user's edits carried over from the old one.
fn follow_declared_renames(sides: &Sides<'_>) -> Moved {
    let mut out = Moved {
        base: Tree::new(),
        moved: BTreeMap::new(),
    };
    for (path, file) in sides.base {
        match super::migrate::renamed(sides.renames, path) {
            Some(to) if !sides.base.contains_key(&to) => {
                out.moved.insert(to.clone(), path.clone());
                out.base.insert(to, file.clone());
            }
            _ => {
                out.base.insert(path.clone(), file.clone());
            }
        }
    }
    out
}

/// 2. Renames nobody declared: a removed file and an added one with mostly the same lines.
///    Moves their base too, and returns them (old path, new path) for the report.
fn detect_renames(moved: &mut Moved, sides: &Sides<'_>) -> Found<Vec<(RelPath, RelPath)>> {
    let base = &moved.base;
    let removed = base.keys().filter(|p| !sides.theirs.contains_key(*p));
    let added: Vec<&RelPath> = sides
        .theirs
        .keys()
        .filter(|p| !base.contains_key(*p))
        .collect();
    let mut detected = Vec::new();
    let mut taken = BTreeSet::new();
    for old in removed {
        let best = added
            .iter()
            .filter(|new| !taken.contains(**new))
            .map(|new| {
                (
                    similarity(&base[old].bytes, &sides.theirs[*new].bytes),
                    *new,
                )
            })
            .filter(|(score, _)| *score >= RENAME_SIMILARITY)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, new)) = best {
            if (sides.ours)(new)?.is_none() {
                taken.insert(new.clone());
                detected.push((old.clone(), new.clone()));
            }
        }
    }
    for (old, new) in &detected {
        let file = moved.base.remove(old).expect("listed from base");
        let origin = moved.moved.remove(old).unwrap_or_else(|| old.clone());
        moved.moved.insert(new.clone(), origin);
        moved.base.insert(new.clone(), file);
    }
    Ok(detected)
}

/// 3. Decides each path the template has, had, or deletes, and the old path of every rename;
///    the changes come sorted by path.
fn decide_paths(moved: &Moved, sides: &Sides<'_>) -> Found<Vec<Change>> {
    let moved_to: BTreeMap<&RelPath, &RelPath> =
        moved.moved.iter().map(|(to, from)| (from, to)).collect();
    let mut paths: BTreeSet<&RelPath> = moved
        .base
        .keys()
        .chain(sides.theirs.keys())
        .chain(moved.moved.values())
        .collect();
    paths.extend(sides.deletes.iter());
    let mut changes = Vec::new();
    for path in paths {
        let (b, o, moved_from) = base_and_ours(path, moved, &moved_to, sides)?;
        let t = sides.theirs.get(path);
        let policy = if t.is_some() {
            sides.new_policies.of(path)
        } else {
            sides.old_policies.of(path)
        };
        let deleted_by_migration = sides.deletes.contains(path) && t.is_none();
        let action = decide_one(b, t, o.as_ref(), policy, deleted_by_migration, sides.style);
        // `o` is the user's file at `path`, or at the old path of a rename (checked above).
        let action = match &o {
            Some(o) if moved_from.is_none() && !(sides.tracked)(path) => {
                leave_untracked(action, b, o, t)
            }
            _ => action,
        };
        let action = match (&moved_from, o) {
            (Some(_), Some(o)) => carry_to_new_path(action, o),
            _ => action,
        };
        if let Some(action) = action {
            changes.push(Change {
                path: path.clone(),
                moved_from,
                action,
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

/// The base and the user's file for `path`, and where the user's file moves from when it is
/// carried along a rename.
fn base_and_ours<'a>(
    path: &RelPath,
    moved: &'a Moved,
    moved_to: &BTreeMap<&RelPath, &RelPath>,
    sides: &Sides<'a>,
) -> Found<(Option<&'a File>, Option<File>, Option<RelPath>)> {
    if let Some(from) = moved.moved.get(path) {
        // A renamed file is read from its old path, unless the user already has a file at
        // the new one: then that one is merged, and the old path is decided on its own.
        let b = moved.base.get(path);
        return Ok(match (sides.ours)(path)? {
            Some(existing) => (b, Some(existing), None),
            // A file git does not track is not carried (moving it would move the user's
            // file); the template's file is written at the new path as a new one.
            None => match (sides.ours)(from)? {
                Some(_) if !(sides.tracked)(from) => (None, None, None),
                Some(file) => (b, Some(file), Some(from.clone())),
                None => (b, None, None),
            },
        });
    }
    if let Some(to) = moved_to.get(path) {
        // The old path of a rename. When the user's file was carried to the new path,
        // nothing is left here but what the template may put here anew. When it could not
        // be carried (the user has a file at the new path), it is a file the template
        // removed: deleted if unchanged, kept as a modify/delete conflict if changed.
        // Deciding it keeps it from being silently left behind.
        return Ok(if (sides.ours)(to)?.is_some() || !(sides.tracked)(path) {
            (sides.base.get(path), (sides.ours)(path)?, None)
        } else {
            (None, None, None)
        });
    }
    Ok((moved.base.get(path), (sides.ours)(path)?, None))
}

/// The decision for a file carried along a rename (`o`, read at its old path): whatever the
/// merge decided, it must end up at its new path.
fn carry_to_new_path(action: Option<Action>, o: File) -> Option<Action> {
    match action {
        Some(Action::Conflict(c)) if c.file.is_none() => Some(Action::Conflict(c.written_as(o))),
        // The user's changes, carried as they are: say so, not "updated from the template".
        Some(Action::KeptLocal | Action::KeptSeed) => Some(Action::Merged(o)),
        Some(a) if !a.writes() => Some(Action::Update(o)),
        None => Some(Action::Update(o)),
        a => a,
    }
}

/// The decision for one path; `None` when nothing needs doing or reporting.
fn decide_one(
    b: Option<&File>,
    t: Option<&File>,
    o: Option<&File>,
    policy: Policy,
    deleted_by_migration: bool,
    style: ConflictStyle,
) -> Option<Action> {
    if policy == Policy::Seed {
        return decide_seed(b, t, o);
    }
    match (b, t, o) {
        // A migration deletes only what the recorded version rendered and the user left as
        // it was; a changed file is a modify/delete conflict below, and a file the template
        // never made is the user's.
        (Some(b), None, Some(o)) if deleted_by_migration && same(b, o) => Some(Action::Delete),
        (None, None, Some(_)) if deleted_by_migration => {
            Some(Action::LeftAlone(LeftAlone::NotRendered))
        }
        (None, None, _) => None,
        // Never in the template before: a new file, or an add/add with the user's own.
        (None, Some(t), None) => Some(Action::Create(t.clone())),
        (None, Some(t), Some(o)) => {
            if same(o, t) {
                None
            } else {
                Some(conflict_or_merge(None, o, t, ConflictKind::AddAdd, style))
            }
        }
        // The template removed it.
        (Some(_), None, None) => None,
        (Some(b), None, Some(o)) => {
            if same(o, b) {
                Some(Action::Delete)
            } else {
                Some(Action::Conflict(Conflict::unmarked(
                    ConflictKind::ModifyDelete,
                    Some(b),
                    o,
                    None,
                )))
            }
        }
        // The user deleted it: it stays deleted, unless the template now owns it.
        (Some(_), Some(t), None) => {
            if policy == Policy::Locked {
                Some(Action::Create(t.clone()))
            } else {
                Some(Action::KeptDeleted)
            }
        }
        (Some(b), Some(t), Some(o)) => {
            if o == t {
                return None;
            }
            if policy == Policy::Locked {
                if same(o, b) || same(o, t) {
                    return (b != t).then(|| Action::Update(with_eol_of(o, t)));
                }
                return Some(locked_conflict(b, o, t, style));
            }
            if o == b {
                return Some(Action::Update(t.clone()));
            }
            if b == t {
                return Some(Action::KeptLocal);
            }
            Some(conflict_or_merge(
                Some(b),
                o,
                t,
                ConflictKind::Content,
                style,
            ))
        }
    }
}

/// A `seed` file is the template's only until the project has it: created, never updated.
fn decide_seed(b: Option<&File>, t: Option<&File>, o: Option<&File>) -> Option<Action> {
    match (b, t, o) {
        (None, Some(t), None) => Some(Action::Create(t.clone())),
        (Some(b), Some(t), Some(_)) if b != t => Some(Action::KeptSeed),
        _ => None,
    }
}

/// The decision for a path where the user has a file git does not track: nothing that writes
/// over it or removes it stands. A template file for that path waits (an `Untracked` conflict,
/// resolved by `--continue`); a removal leaves the file where it is.
fn leave_untracked(
    action: Option<Action>,
    b: Option<&File>,
    o: &File,
    t: Option<&File>,
) -> Option<Action> {
    let action = action?;
    if !action.writes() && !matches!(action, Action::Conflict(_)) {
        return Some(action);
    }
    Some(match t {
        Some(t) => Action::Conflict(Conflict::unmarked(ConflictKind::Untracked, b, o, Some(t))),
        None => Action::LeftAlone(LeftAlone::Untracked),
    })
}

/// Merges `base`/`ours`/`theirs` with the merge engine: clean -> `Merged`, else a conflict of `kind`.
fn conflict_or_merge(
    b: Option<&File>,
    o: &File,
    t: &File,
    kind: ConflictKind,
    style: ConflictStyle,
) -> Action {
    let empty = File::new(Vec::new());
    let base = b.unwrap_or(&empty);
    let executable = if t.executable != base.executable && b.is_some() {
        t.executable
    } else {
        o.executable
    };
    let options = merge_options(style);
    let binary = || Action::Conflict(Conflict::unmarked(ConflictKind::Binary, b, o, Some(t)));
    if merge::is_binary(&base.bytes) || merge::is_binary(&o.bytes) || merge::is_binary(&t.bytes) {
        return binary();
    }
    match merge::merge_for_upgrade(&base.bytes, &o.bytes, &t.bytes, &options) {
        Ok(outcome) if outcome.is_clean() => {
            let file = File {
                bytes: outcome.bytes,
                executable,
            };
            if file == *o {
                Action::KeptLocal
            } else {
                Action::Merged(file)
            }
        }
        Ok(outcome) => {
            let regions = outcome.conflicts.len();
            let file = File {
                bytes: outcome.bytes,
                executable,
            };
            Action::Conflict(Conflict::unmarked(kind, b, o, Some(t)).marked(
                file,
                regions,
                outcome.marker_size,
            ))
        }
        Err(_) => binary(),
    }
}

/// A locked file edited locally: the user's lines against the template's, marked, for the user
/// to decide. An empty base makes every differing line part of the conflict, so a local edit
/// the template never touched is still surfaced rather than silently kept.
fn locked_conflict(b: &File, o: &File, t: &File, style: ConflictStyle) -> Action {
    match conflict_or_merge(None, o, t, ConflictKind::Locked, style) {
        Action::Conflict(c) => Action::Conflict(c.with_base(b)),
        // Identical apart from line endings: the template's content in the user's convention.
        Action::Merged(file) => Action::Update(file),
        _ => Action::Update(with_eol_of(o, t)),
    }
}

fn merge_options(style: ConflictStyle) -> merge::Options {
    merge::Options {
        style,
        labels: merge::Labels {
            ours: "ours (your project)".into(),
            base: "base (golden path, old version)".into(),
            theirs: "theirs (golden path, new version)".into(),
        },
        ..merge::Options::default()
    }
}

/// Equal, or equal apart from line endings and a BOM (see [`crate::project::same_content`]).
pub fn same(a: &File, b: &File) -> bool {
    crate::project::same_content(&a.bytes, &b.bytes)
}

/// The template's file in the user's line-ending convention (CRLF or LF, final newline, BOM).
/// It was made by a merge with the template's file as the base, which gave back the user's
/// old content; a guard then rejected that and fell back to the template's LF, so a CRLF
/// locked file came back as LF.
fn with_eol_of(o: &File, t: &File) -> File {
    File {
        bytes: merge::in_convention_of(&o.bytes, &t.bytes).into_owned(),
        executable: t.executable,
    }
}

/// The share of lines of the larger file that the other has too (as a multiset).
fn similarity(a: &[u8], b: &[u8]) -> f64 {
    let lines = |x: &[u8]| -> BTreeMap<Vec<u8>, usize> {
        let mut m = BTreeMap::new();
        let x = x.strip_suffix(b"\n").unwrap_or(x);
        if !x.is_empty() {
            for l in x.split(|c| *c == b'\n') {
                *m.entry(l.to_vec()).or_insert(0) += 1;
            }
        }
        m
    };
    let (la, lb) = (lines(a), lines(b));
    let total_a: usize = la.values().sum();
    let total_b: usize = lb.values().sum();
    let common: usize = la
        .iter()
        .map(|(l, n)| (*n).min(*lb.get(l).unwrap_or(&0)))
        .sum();
    common as f64 / total_a.max(total_b).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::FilePolicies;

    fn f(s: &str) -> File {
        File::new(s)
    }

    fn run(
        base: &[(&str, &str)],
        theirs: &[(&str, &str)],
        ours: &[(&str, &str)],
        policies: FilePolicies,
        renames: &[(&str, &str)],
    ) -> Vec<(String, Option<String>, String)> {
        let tree = |xs: &[(&str, &str)]| {
            xs.iter()
                .map(|(p, t)| (RelPath::new(p).unwrap(), f(t)))
                .collect::<Tree>()
        };
        let (base, theirs, ours) = (tree(base), tree(theirs), tree(ours));
        let read = |p: &RelPath| Ok(ours.get(p).cloned());
        let tracked = |p: &RelPath| !p.as_str().starts_with("untracked");
        let policies = Policies::new(&policies);
        let renames: Vec<(String, String)> = renames
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let sides = Sides {
            base: &base,
            theirs: &theirs,
            ours: &read,
            tracked: &tracked,
            old_policies: &policies,
            new_policies: &policies,
            renames: &renames,
            deletes: &[],
            style: ConflictStyle::Merge,
        };
        decide(&sides)
            .unwrap()
            .changes
            .into_iter()
            .map(|c| {
                let what = match c.action {
                    Action::Create(f) => format!("create {}", String::from_utf8_lossy(&f.bytes)),
                    Action::Update(f) => format!("update {}", String::from_utf8_lossy(&f.bytes)),
                    Action::Merged(f) => format!("merged {}", String::from_utf8_lossy(&f.bytes)),
                    Action::Delete => "delete".into(),
                    Action::KeptLocal => "kept-local".into(),
                    Action::KeptDeleted => "kept-deleted".into(),
                    Action::KeptSeed => "kept-seed".into(),
                    Action::LeftAlone(why) => format!("left-alone {why:?}"),
                    Action::Conflict(c) => format!("conflict {:?}", c.kind),
                };
                (
                    c.path.to_string(),
                    c.moved_from.map(|p| p.to_string()),
                    what,
                )
            })
            .collect()
    }

    fn row(path: &str, from: Option<&str>, what: &str) -> (String, Option<String>, String) {
        (path.to_string(), from.map(str::to_string), what.to_string())
    }

    const V1: &str = "a\nb\nc\nd\ne\nf\n";

    #[test]
    fn the_rules_table() {
        let got = run(
            &[
                ("same", "x\n"),
                ("tpl-changed", V1),
                ("user-changed", V1),
                ("both", V1),
                ("removed", "r\n"),
                ("removed-edited", "r\n"),
                ("user-deleted", "u\n"),
            ],
            &[
                ("same", "x\n"),
                ("tpl-changed", "a\nB\nc\nd\ne\nf\n"),
                ("user-changed", V1),
                ("both", "a\nB\nc\nd\ne\nf\n"),
                ("user-deleted", "u2\n"),
                ("added", "new\n"),
                ("add-add", "theirs\n"),
            ],
            &[
                ("same", "x\n"),
                ("tpl-changed", V1),
                ("user-changed", "a\nb\nc\nd\ne\nF\n"),
                ("both", "a\nb\nc\nd\ne\nF\n"),
                ("removed", "r\n"),
                ("removed-edited", "mine\n"),
                ("add-add", "ours\n"),
            ],
            FilePolicies::default(),
            &[],
        );
        assert_eq!(
            got,
            [
                row("add-add", None, "conflict AddAdd"),
                row("added", None, "create new\n"),
                row("both", None, "merged a\nB\nc\nd\ne\nF\n"),
                row("removed", None, "delete"),
                row("removed-edited", None, "conflict ModifyDelete"),
                row("tpl-changed", None, "update a\nB\nc\nd\ne\nf\n"),
                row("user-changed", None, "kept-local"),
                row("user-deleted", None, "kept-deleted"),
            ]
        );
    }

    #[test]
    fn a_declared_rename_carries_the_users_edit() {
        let got = run(
            &[("alerts/rules.yaml", "for: 2m\nlabels: {}\nexpr: x\n")],
            &[("alerts/slo-rules.yaml", "for: 2m\nlabels: {}\nexpr: y\n")],
            &[("alerts/rules.yaml", "for: 5m\nlabels: {}\nexpr: x\n")],
            FilePolicies::default(),
            &[("alerts/rules.yaml", "alerts/slo-rules.yaml")],
        );
        assert_eq!(
            got,
            [row(
                "alerts/slo-rules.yaml",
                Some("alerts/rules.yaml"),
                "merged for: 5m\nlabels: {}\nexpr: y\n"
            )]
        );
    }

    #[test]
    fn a_rename_onto_the_users_own_file_decides_the_old_path_too() {
        let rename = &[
            ("a.yaml", "a2.yaml"),
            ("b.yaml", "b2.yaml"),
            ("c.yaml", "c2.yaml"),
        ];
        let got = run(
            &[("a.yaml", V1), ("b.yaml", V1), ("c.yaml", V1)],
            &[("a2.yaml", V1), ("b2.yaml", V1), ("c2.yaml", V1)],
            &[
                // Edited, and the user has a file at the new name: kept, as a conflict.
                ("a.yaml", "a\nb\nc\nd\ne\nF\n"),
                ("a2.yaml", "mine\n"),
                // Unchanged, and the user already moved it themselves with an edit: removed.
                ("b.yaml", V1),
                ("b2.yaml", "a\nb\nc\nd\ne\nF\n"),
                // Moved by the upgrade.
                ("c.yaml", V1),
            ],
            FilePolicies::default(),
            rename,
        );
        assert_eq!(
            got,
            [
                row("a.yaml", None, "conflict ModifyDelete"),
                row("a2.yaml", None, "kept-local"),
                row("b.yaml", None, "delete"),
                row("b2.yaml", None, "kept-local"),
                row("c2.yaml", Some("c.yaml"), &format!("update {V1}")),
            ]
        );
    }

    #[test]
    fn a_renamed_files_old_path_taken_by_a_new_template_file() {
        let got = run(
            &[("README.md", V1)],
            &[("README.md", "see docs\n"), ("docs/README.md", V1)],
            &[("README.md", "a\nb\nc\nd\ne\nF\n")],
            FilePolicies::default(),
            &[("README.md", "docs/README.md")],
        );
        assert_eq!(
            got,
            [
                row("README.md", None, "create see docs\n"),
                row(
                    "docs/README.md",
                    Some("README.md"),
                    "merged a\nb\nc\nd\ne\nF\n"
                ),
            ]
        );
    }

    #[test]
    fn an_undeclared_rename_is_detected_by_similarity() {
        let body = "one\ntwo\nthree\nfour\nfive\n";
        let got = run(
            &[("old.txt", body)],
            &[("new.txt", body)],
            &[("old.txt", "one\ntwo\nthree\nfour\nFIVE\n")],
            FilePolicies::default(),
            &[],
        );
        assert_eq!(
            got,
            [row(
                "new.txt",
                Some("old.txt"),
                "merged one\ntwo\nthree\nfour\nFIVE\n"
            )]
        );
    }

    #[test]
    fn locked_and_seed_policies() {
        let policies = FilePolicies {
            locked: vec!["ci/**".into()],
            seed: vec!["src/**".into()],
        };
        let got = run(
            &[
                ("ci/a.yml", V1),
                ("ci/gone-but-locked.yml", "l\n"),
                ("src/main.rs", "fn main() {}\n"),
            ],
            &[
                ("ci/a.yml", V1),
                ("ci/gone-but-locked.yml", "l2\n"),
                ("src/main.rs", "fn main() { run() }\n"),
                ("src/new.rs", "x\n"),
            ],
            &[
                ("ci/a.yml", "a\nb\nc\nd\ne\nlocal\n"),
                ("src/main.rs", "fn main() { mine() }\n"),
            ],
            policies,
            &[],
        );
        assert_eq!(
            got,
            [
                row("ci/a.yml", None, "conflict Locked"),
                row("ci/gone-but-locked.yml", None, "create l2\n"),
                row("src/main.rs", None, "kept-seed"),
                row("src/new.rs", None, "create x\n"),
            ]
        );
    }

    #[test]
    fn a_locked_file_in_crlf_is_updated_in_crlf() {
        let policies = FilePolicies {
            locked: vec!["ci/**".into()],
            seed: vec![],
        };
        let got = run(
            &[("ci/a.yml", "x\ny\n")],
            &[("ci/a.yml", "x\nz\n")],
            &[("ci/a.yml", "x\r\ny\r\n")],
            policies,
            &[],
        );
        assert_eq!(got, [row("ci/a.yml", None, "update x\r\nz\r\n")]);
    }

    #[test]
    fn crlf_alone_is_not_a_change() {
        let got = run(
            &[("a", "x\ny\n")],
            &[],
            &[("a", "x\r\ny\r\n")],
            FilePolicies::default(),
            &[],
        );
        assert_eq!(got, [row("a", None, "delete")]);
        assert!(similarity(b"a\nb\n", b"a\nb\n") > 0.99);
    }
}
