//! Answer sets that exercise a bundle without anyone answering: its defaults, then each choice
//! of each choice question and each bool flipped, one change at a time. Questions without a
//! default get a sample answer (a secret: the placeholder `check` uses), so every set renders.

use crate::answers::{resolve, Answers, Given, Inputs};
use crate::bundle::{Question, QuestionType};
use std::collections::BTreeMap;

/// One answer set: the answers given (the rest take their defaults), and a name for reports.
#[derive(Debug, Clone)]
pub struct AnswerSet {
    pub name: String,
    pub given: BTreeMap<String, Given>,
}

/// The defaults, then one set per other choice and per flipped bool.
pub fn matrix(questions: &[Question]) -> Vec<AnswerSet> {
    let mut sets = vec![AnswerSet {
        name: "defaults".into(),
        given: BTreeMap::new(),
    }];
    for q in questions {
        let default = q.default.as_ref();
        let values: Vec<String> = match q.kind {
            QuestionType::Choice => q
                .choices
                .iter()
                .filter(|c| default.and_then(|d| d.as_str()) != Some(c.as_str()))
                .cloned()
                .collect(),
            QuestionType::Bool => {
                let was = default.and_then(toml::Value::as_bool).unwrap_or(false);
                vec![(!was).to_string()]
            }
            // Every choice at once, so each is rendered by some set.
            QuestionType::Multichoice if q.choices.len() > 1 => vec![q.choices.join(",")],
            _ => Vec::new(),
        };
        for v in values {
            sets.push(AnswerSet {
                name: format!("{}={v}", q.name),
                given: BTreeMap::from([(q.name.clone(), Given::Raw(v))]),
            });
        }
    }
    sets
}

/// The answers of `set`: given, else the default, else a sample. `Err` says why the set cannot
/// be answered (a default that fails, a sample the question's validation refuses).
pub fn answers(questions: &[Question], set: &AnswerSet) -> Result<Answers, String> {
    complete(questions, set).map(|(answers, _)| answers)
}

/// [`answers`], and what was given to get them: the set's answers plus a sample for each
/// question that has no default (to give a run of `goldpath new` the same answers).
pub fn complete(
    questions: &[Question],
    set: &AnswerSet,
) -> Result<(Answers, BTreeMap<String, Given>), String> {
    let mut given = set.given.clone();
    // Each round answers the questions still missing; a sample can make a later default
    // computable, so the rounds are bounded by the number of questions.
    for _ in 0..=questions.len() {
        let inputs = Inputs {
            given: given.clone(),
            defaults: true,
            allow_unknown: false,
        };
        match resolve(questions, &inputs, None) {
            Ok(resolved) => return Ok((resolved.answers, given)),
            Err(crate::answers::Error::Missing { missing }) => {
                for m in missing {
                    given.insert(m.name.clone(), sample(m.kind, questions, &m.name));
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("the questions could not all be answered".into())
}

/// A raw answer (as `--set` takes it) for `given`; `None` for a secret whose value is unknown.
pub fn raw(given: &Given) -> Option<String> {
    match given {
        Given::Raw(s) => Some(s.clone()),
        Given::Toml { value, .. } => Some(match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        }),
        Given::Unknown | Given::Alternative => None,
    }
}

fn sample(kind: QuestionType, questions: &[Question], name: &str) -> Given {
    let q = questions.iter().find(|q| q.name == name);
    let min = q
        .and_then(|q| q.validation.as_ref())
        .and_then(|v| v.min)
        .unwrap_or(1.0);
    match kind {
        QuestionType::Secret => Given::Unknown,
        QuestionType::Int => Given::Raw((min.ceil() as i64).to_string()),
        QuestionType::Float => Given::Raw(min.to_string()),
        QuestionType::Bool => Given::Raw("false".into()),
        QuestionType::Choice | QuestionType::Multichoice => Given::Raw(
            q.and_then(|q| q.choices.first())
                .cloned()
                .unwrap_or_default(),
        ),
        // A DNS label: what most name questions' regexes take.
        QuestionType::String => Given::Raw("sample-answer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Manifest;

    #[test]
    fn the_matrix_changes_one_answer_at_a_time_and_samples_the_rest() {
        let m = Manifest::parse(
            r#"[bundle]
name = "m"
version = "1.0.0"
[[questions]]
name = "name"
type = "string"
[[questions]]
name = "ci"
type = "choice"
choices = ["github", "gitlab", "none"]
default = "gitlab"
[[questions]]
name = "db"
type = "bool"
default = true
[[questions]]
name = "token"
type = "secret"
"#,
        )
        .unwrap();
        let sets = matrix(&m.questions);
        let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["defaults", "ci=github", "ci=none", "db=false"]);
        let answers = answers(&m.questions, &sets[3]).unwrap();
        assert_eq!(
            answers["name"],
            crate::answers::Value::String("sample-answer".into())
        );
        assert_eq!(
            answers["ci"],
            crate::answers::Value::String("gitlab".into())
        );
        assert_eq!(answers["db"], crate::answers::Value::Bool(false));
        let (_, given) = complete(&m.questions, &sets[0]).unwrap();
        assert_eq!(raw(&given["name"]).as_deref(), Some("sample-answer"));
        assert_eq!(raw(&given["token"]), None, "a secret has no sample value");
    }
}
