//! `upgrade --set` of a secret answer (or one computed from a secret). Its old value was never
//! recorded, so the base of the merge cannot be rendered with it: rendered with the new value,
//! every line that held the old one looked like the user's edit and was kept, and a changed
//! secret changed nothing ("Up to date").
//!
//! Instead, the recorded version is rendered once more with a placeholder for each such answer.
//! A file the secret shows in that is the placeholder render with something in each placeholder's
//! place is a file the user did not edit: its base is the file itself, so it takes the new render
//! (the new secret, and the new version's changes). A file that differs anywhere else holds the
//! user's edits: it is merged as before (its old secret stays) and reported, so nobody thinks it
//! was updated.

use crate::answers::{self, Answers, Value};
use crate::bundle::Bundle;
use crate::project::Project;
use crate::tree::{RelPath, Tree};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What [`base_for_changed_secrets`] decided.
pub(super) struct SecretBase {
    /// Files to take as they are in the project as their base (unedited apart from the secret).
    pub unedited: Tree,
    /// The files that use a changed secret and were not rewritten, and why.
    pub notes: Vec<SecretNote>,
}

/// Why files that use a secret given with `--set` were not rewritten with its new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretNote {
    /// The old value is not recorded and the lines that held it could not be found.
    Unknowable { names: Vec<String> },
    /// The file has the user's edits, so the old value stays in it.
    Edited { path: RelPath, names: Vec<String> },
}

/// `a`, `b`: the names of the changed secrets.
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for SecretNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretNote::Unknowable { names } => write!(
                f,
                "{}: the old value is not recorded (secret) and goldpath could not tell which lines held it; files that use it keep their text: edit them by hand",
                quoted(names)
            ),
            SecretNote::Edited { path, names } => write!(
                f,
                "{path} uses {} and has your edits, so the old value stays in it: change it by hand if the value changed",
                quoted(names)
            ),
        }
    }
}

/// `set` are the `--set` answers, `answers` the resolved answers of the new version. Returns the
/// files whose base is the project's own file, and notes for the others.
pub(super) fn base_for_changed_secrets(
    project: &Project,
    ours: &dyn super::ours::CurrentFiles,
    old: &Bundle,
    base: &Tree,
    set: &BTreeMap<String, String>,
    answers: &Answers,
) -> SecretBase {
    let mut out = SecretBase {
        unedited: Tree::new(),
        notes: Vec::new(),
    };
    let tainted = answers::secret_derived(&old.manifest.questions);
    let changed: BTreeSet<&String> = set.keys().filter(|k| tainted.contains(*k)).collect();
    if changed.is_empty() {
        return out;
    }
    let names: Vec<String> = changed.iter().map(|k| (*k).clone()).collect();
    // The answers the old version renders with, the changed secrets replaced by the placeholder
    // and the answers computed from them left out, so they are computed from the placeholder.
    let mut probe: Answers = answers
        .iter()
        .filter(|(k, _)| !tainted.contains(*k) || set.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for k in &changed {
        probe.insert(
            (*k).clone(),
            Value::String(answers::SECRET_PLACEHOLDER.into()),
        );
    }
    let probed = project
        .render_recorded(old, &probe)
        .ok()
        .filter(|t| t.keys().eq(base.keys()));
    let Some(probed) = probed else {
        out.notes.push(SecretNote::Unknowable { names });
        return out;
    };
    for (path, placeholder_render) in &probed {
        let Some(with_new) = base.get(path) else {
            continue;
        };
        if placeholder_render.bytes == with_new.bytes {
            continue; // the file does not use the changed answers
        }
        let ours = ours.read(path).ok().flatten();
        match ours {
            Some(file)
                if answers::matches_but_placeholders(&placeholder_render.bytes, &file.bytes) =>
            {
                out.unedited.insert(path.clone(), file);
            }
            Some(_) => out.notes.push(SecretNote::Edited {
                path: path.clone(),
                names: names.clone(),
            }),
            None => {}
        }
    }
    out
}
