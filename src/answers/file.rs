//! `.goldpath.toml`: what a project was generated from (bundle, source, version, commit) and the
//! answers it was rendered with, so upgrade and check can render the same version again.
//! Secret answers are never written.

use super::{Answers, Error, Value};
use crate::bundle::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const HEADER: &str = "# Written by goldpath: the golden path this project follows and the answers it was rendered with.\n\
# `goldpath upgrade` and `goldpath check` read it. Change an answer with `goldpath upgrade --set NAME=VALUE`.\n";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    pub bundle: Recorded,
    #[serde(default)]
    pub answers: BTreeMap<String, Value>,
    /// Present only while an upgrade waits for its conflicts to be resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<PendingUpgrade>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    pub name: String,
    pub version: semver::Version,
    /// `builtin`, a folder path, or a git URL.
    pub source: String,
    /// For git sources: the commit the version's tag pointed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// An upgrade that left conflicts: where it was going, with which answers, and what it touched,
/// so `upgrade --continue` can finish it and `upgrade --abort` can undo it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingUpgrade {
    pub version: semver::Version,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Files with conflict markers; resolved when no markers remain.
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// The size of the markers written into each of `conflicts`. The upgrade picks a size no
    /// line of the user's file had, so a block of that size is the upgrade's and unresolved,
    /// even once the user has committed the file mid-resolution (other blocks count as the
    /// user's text if HEAD has them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub marker_sizes: BTreeMap<String, usize>,
    /// Conflicts without markers (modify/delete, binary): resolved by `git add` or `git rm`.
    #[serde(default)]
    pub decisions: Vec<String>,
    /// Files the template adds where the user has a file git does not track: the user's is
    /// left alone, the template's waits in the index (stage 3); `--continue` writes it only if
    /// the user moved theirs away.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub untracked: Vec<String>,
    /// Every path the upgrade wrote or removed (and its hooks changed): what its commit holds.
    #[serde(default)]
    pub touched: Vec<String>,
    /// The paths among `touched` that had no file before the upgrade: `--abort` removes them.
    /// Absent in records written before goldpath kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Vec<String>>,
    /// Whether the tree had uncommitted changes when the upgrade started (`--allow-dirty`).
    #[serde(default)]
    pub started_dirty: bool,
    /// The commit message `--continue` will use.
    #[serde(default)]
    pub message: String,
    /// The answers the new version was rendered with.
    #[serde(default)]
    pub answers: BTreeMap<String, Value>,
}

impl AnswersFile {
    /// Keeps only answers that may be written: secrets, and answers computed from them
    /// ([`super::secret_derived`]), are dropped.
    pub fn public_answers(manifest: &Manifest, answers: &Answers) -> BTreeMap<String, Value> {
        let secret = super::secret_derived(&manifest.questions);
        answers
            .iter()
            .filter(|(name, _)| !secret.contains(name.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("answers are plain TOML values");
        format!("{HEADER}\n{body}")
    }

    /// Parses the file; `file` names it in errors (with the line of the problem).
    pub fn parse(text: &str, file: &str) -> Result<AnswersFile, Error> {
        toml::from_str(text).map_err(|e: toml::de::Error| Error::File {
            file: file.to_string(),
            // A missing table or key has no place in the file: it is the file's fault as a
            // whole, reported at its first line.
            line: Some(
                e.span()
                    .map_or(1, |s| crate::bundle::manifest::line_of(text, s.start)),
            ),
            message: format!("{} ({})", e.message().trim_end(), restore_hint(file)),
        })
    }

    /// Parses the bytes of the file: text that is not UTF-8 is named with its line.
    pub fn parse_bytes(bytes: &[u8], file: &str) -> Result<AnswersFile, Error> {
        let text = std::str::from_utf8(bytes).map_err(|e| Error::File {
            file: file.to_string(),
            line: Some(
                bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1,
            ),
            message: format!("is not UTF-8 text ({})", restore_hint(file)),
        })?;
        AnswersFile::parse(text, file)
    }

    pub fn read(project: &std::path::Path) -> Result<AnswersFile, Error> {
        let path = project.join(crate::tree::ANSWERS_FILE);
        let bytes = std::fs::read(&path).map_err(|e| Error::File {
            file: path.display().to_string(),
            line: None,
            message: if e.kind() == std::io::ErrorKind::NotFound {
                "not found: this folder was not made by `goldpath new` (bring an existing repository under a golden path with `goldpath adopt BUNDLE`; if the file was deleted, restore it from git)".to_string()
            } else {
                e.to_string()
            },
        })?;
        AnswersFile::parse_bytes(&bytes, &path.display().to_string())
    }

    /// The recorded answers as inputs for resolving questions again.
    pub fn as_given(
        answers: &BTreeMap<String, Value>,
        from: &str,
    ) -> BTreeMap<String, super::Given> {
        answers
            .iter()
            .map(|(k, v)| {
                let value = toml::Value::try_from(v).expect("answers are plain TOML values");
                (
                    k.clone(),
                    super::Given::Toml {
                        value,
                        from: from.to_string(),
                    },
                )
            })
            .collect()
    }
}

/// What to do about a damaged answers file.
fn restore_hint(file: &str) -> String {
    format!("this file is written by goldpath; restore it with `git checkout -- {file}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_types() {
        let mut answers = BTreeMap::new();
        answers.insert("port".to_string(), Value::Int(8080));
        answers.insert("slo_target".to_string(), Value::Float(99.9));
        answers.insert("metrics".to_string(), Value::Bool(true));
        answers.insert(
            "envs".to_string(),
            Value::List(vec!["dev".into(), "prod".into()]),
        );
        answers.insert("owner".to_string(), Value::String("team-payments".into()));
        let file = AnswersFile {
            bundle: Recorded {
                name: "rust-service".into(),
                version: semver::Version::new(1, 0, 0),
                source: "builtin".into(),
                commit: None,
            },
            answers,
            upgrade: None,
        };
        let text = file.to_toml();
        assert!(
            text.contains("port = 8080\n")
                && text.contains("slo_target = 99.9\n")
                && text.contains("envs = [\"dev\", \"prod\"]"),
            "{text}"
        );
        assert_eq!(AnswersFile::parse(&text, ".goldpath.toml").unwrap(), file);
    }

    #[test]
    fn hand_edits_are_named_with_a_line() {
        let err = AnswersFile::parse(
            "[bundle]\nname = \"x\"\nversion = \"1.0\"\nsource = \"builtin\"\n",
            ".goldpath.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with(".goldpath.toml:3: "), "{err}");
        let err = AnswersFile::parse(
            "[bundle]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"builtin\"\nextra = 1\n",
            ".goldpath.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(":5: unknown field `extra`"), "{err}");
    }
}
