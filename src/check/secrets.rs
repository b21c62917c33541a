//! Secrets in `check` and `diff`. Their answers are never recorded, so the golden path is rendered
//! with a placeholder in their place, unless the user supplies them (`--set NAME=VALUE`, or
//! `GOLDPATH_ANSWER_<NAME>` in the environment, for a CI that has the secret).
//!
//! Rendering once more with another stand-in for each secret tells which files read it, and how:
//! a file whose text holds the value as it is can be compared around it (whatever the value
//! was); one that runs it through a filter, a condition or a computed answer cannot be compared
//! without the value, and is reported as not verifiable (a notice, never a failure).

use super::error::Error;
use crate::answers::{self, Answers, SECRET_ALTERNATIVE, SECRET_PLACEHOLDER};
use crate::bundle::{Bundle, QuestionType, Source};
use crate::project::Project;
use crate::tree::{RelPath, Tree};
use std::collections::{BTreeMap, BTreeSet};

/// Answers the user supplies for questions whose answers are not recorded (secrets, and answers
/// computed from them). Read by the CLI; the library reads no environment.
#[derive(Debug, Clone, Default)]
pub struct Supplied {
    /// `--set NAME=VALUE`: each must name such a question.
    pub set: BTreeMap<String, String>,
    /// `GOLDPATH_ANSWER_<NAME>` variables: the upper-cased question name (the part after the
    /// prefix) -> value. Those that name no such question are ignored: a CI's environment is
    /// shared by every project it checks.
    pub env: BTreeMap<String, String>,
}

/// The prefix of the environment variables that supply answers to `check` and `diff`.
pub const ENV_PREFIX: &str = "GOLDPATH_ANSWER_";

/// How a rendered file reads a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretUse {
    /// Its text holds the values (supplied, or placeholders standing for them): it can be
    /// compared, but a diff of it would show a secret.
    Shown,
    /// Its text depends on these secrets, not supplied, in a way a placeholder cannot stand for.
    Unverifiable(Vec<String>),
}

/// The golden path a project is compared with: [`Project::expected`], with the answers the user
/// supplied and what each file does with the secrets.
pub struct Expected {
    pub bundle: Bundle,
    pub rendered: Tree,
    /// The files that read a secret; the others do not.
    pub secrets: BTreeMap<RelPath, SecretUse>,
}

/// Renders what `project` is compared with, from `source`, with the `supplied` answers.
pub fn expected(
    project: &Project,
    source: &Source,
    supplied: &Supplied,
) -> Result<Expected, Error> {
    let bundle = project.expected_bundle(source)?;
    let extra = supplied_answers(project, &bundle, supplied)?;
    let rendered = project.render_expected(&bundle, &extra, None)?;
    let mut secrets: BTreeMap<RelPath, SecretUse> = BTreeMap::new();
    let secret_questions = bundle
        .manifest
        .questions
        .iter()
        .filter(|q| q.kind == QuestionType::Secret);
    for q in secret_questions {
        let known = extra.contains_key(&q.name);
        let alternative = project.render_expected(&bundle, &extra, Some(&q.name))?;
        for (path, file) in &rendered {
            let other = alternative.get(path);
            if other.is_some_and(|o| o.bytes == file.bytes) {
                continue;
            }
            let as_text = other.is_some_and(|o| {
                replace(&file.bytes, SECRET_PLACEHOLDER, SECRET_ALTERNATIVE) == o.bytes
            });
            let entry = secrets.entry(path.clone()).or_insert(SecretUse::Shown);
            if !known && !as_text {
                match entry {
                    SecretUse::Shown => *entry = SecretUse::Unverifiable(vec![q.name.clone()]),
                    SecretUse::Unverifiable(names) => names.push(q.name.clone()),
                }
            }
        }
    }
    Ok(Expected {
        bundle,
        rendered,
        secrets,
    })
}

/// The supplied answers, typed and validated by `bundle`'s questions. `--set` of a recorded
/// answer is refused: check compares with the recorded answers, and one given here would be
/// silently ignored.
fn supplied_answers(
    project: &Project,
    bundle: &Bundle,
    supplied: &Supplied,
) -> Result<Answers, Error> {
    let questions = &bundle.manifest.questions;
    let recorded = project.expected_answers();
    let unrecorded: BTreeSet<String> = answers::secret_derived(questions)
        .into_iter()
        .filter(|name| !recorded.contains_key(name))
        .collect();
    for name in supplied.set.keys() {
        if !questions.iter().any(|q| &q.name == name) {
            return Err(Error::NotAsked {
                name: name.clone(),
                bundle: bundle.name().to_string(),
                version: bundle.version().clone(),
            });
        }
        if !unrecorded.contains(name) {
            return Err(Error::Recorded { name: name.clone() });
        }
    }
    let mut out = Answers::new();
    for q in questions.iter().filter(|q| unrecorded.contains(&q.name)) {
        let variable = format!("{ENV_PREFIX}{}", q.name.to_uppercase());
        let (raw, from) = match supplied.set.get(&q.name) {
            Some(raw) => (raw, format!("--set {}=...", q.name)),
            None => match supplied.env.get(&q.name.to_uppercase()) {
                Some(raw) => (raw, variable),
                None => continue,
            },
        };
        // Masked in every message from here on, the refusal below included.
        crate::redact::remember(raw);
        let value = answers::parse_raw(q, raw)
            .and_then(|v| answers::validate(q, &v).map(|()| v))
            .map_err(|reason| Error::Answer {
                name: q.name.clone(),
                from,
                reason,
            })?;
        out.insert(q.name.clone(), value);
    }
    Ok(out)
}

/// `bytes` with every `from` replaced by `to`.
fn replace(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let from = from.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(i) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(to.as_bytes());
        rest = &rest[i + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_swaps_every_occurrence() {
        assert_eq!(replace(b"a-XY-b-XY", "XY", "zzz"), b"a-zzz-b-zzz");
        assert_eq!(replace(b"none", "XY", "z"), b"none");
        assert_eq!(replace(b"", "XY", "z"), b"");
    }
}
