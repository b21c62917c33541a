//! Turns a bundle's questions into answers, in order: `when` decides whether a question is
//! asked, then a given answer (`--set`, `--answers`, a recorded answer), else the prompter, else
//! the default under `--defaults`. Without a prompter nothing waits for input: every question
//! left unanswered is reported at once.

use super::{from_toml, parse_raw, validate, Answers, Error, Missing, Value};
use crate::bundle::Question;
use crate::sandbox::Engine;
use std::collections::BTreeMap;

/// An answer given before any prompt, and where it came from (for error messages).
#[derive(Debug, Clone)]
pub enum Given {
    /// From `--set NAME=VALUE`.
    Raw(String),
    /// From an answers file (`--answers`, or the project's `.goldpath.toml`), named by `from`.
    Toml { value: toml::Value, from: String },
    /// A secret whose value is not known (`check`: secrets are not recorded). It renders as
    /// [`super::SECRET_PLACEHOLDER`], which is not validated: the question's regex is for the
    /// real value.
    Unknown,
    /// As [`Given::Unknown`], rendered as [`super::SECRET_ALTERNATIVE`] instead: `check` renders
    /// once more with it to find the files whose text depends on the secret, and how.
    Alternative,
}

impl Given {
    fn describe(&self, name: &str) -> String {
        match self {
            Given::Raw(_) => format!("--set {name}=..."),
            Given::Toml { from, .. } => from.clone(),
            Given::Unknown | Given::Alternative => {
                "a placeholder for a secret that is not recorded".into()
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub given: BTreeMap<String, Given>,
    /// Take each unanswered question's default instead of failing (`--defaults`).
    pub defaults: bool,
    /// Given answers for questions the bundle does not ask are dropped (upgrades: the old
    /// version asked them) instead of being an error (a typo in `--set`).
    pub allow_unknown: bool,
}

/// What a prompter is asked to do: ask `question`, suggesting `default`, after showing `problem`
/// when the previous answer was refused.
pub trait Prompter {
    fn ask(
        &mut self,
        question: &Question,
        default: Option<&Value>,
        problem: Option<&str>,
    ) -> Result<Value, String>;
}

/// The answers, plus what happened on the way, for reporting.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub answers: Answers,
    /// Questions whose `when` was false.
    pub skipped: Vec<String>,
    /// Given answers the bundle does not ask for (only with `allow_unknown`).
    pub dropped: Vec<String>,
}

pub fn resolve(
    questions: &[Question],
    inputs: &Inputs,
    mut prompter: Option<&mut dyn Prompter>,
) -> Result<Resolved, Error> {
    let mut out = Resolved {
        dropped: unknown_given(questions, inputs)?,
        ..Resolved::default()
    };
    let mut engine = Engine::new();
    let mut missing = Vec::new();
    // Secret values are handed to the redactor as soon as they are known, before they are
    // validated: a refusal, a tera error or a path error built from them must not show them.
    let secret = super::secret_derived(questions);
    let note = |q: &Question, value: &Value| {
        if secret.contains(&q.name) {
            super::remember_secret(value);
        }
    };
    for q in questions {
        let context = crate::sandbox::context(&out.answers);
        // An answer computed from a secret is never asked (a prompt would show the secret in
        // its default) nor recorded: it takes its default every time unless given.
        let computed = secret.contains(&q.name) && q.kind != crate::bundle::QuestionType::Secret;
        // An expression over an answer still missing cannot be evaluated; the missing answer
        // is already reported, and this question is reported on the next run if need be.
        let deferred = !missing.is_empty();
        match is_asked(&mut engine, q, &context, deferred)? {
            None => continue,
            Some(true) => {}
            Some(false) => {
                out.skipped.push(q.name.clone());
                if let Some(d) = skipped_default(&mut engine, q, &context, deferred)? {
                    note(q, &d);
                    out.answers.insert(q.name.clone(), d);
                }
                continue;
            }
        }
        if let Some(given) = inputs.given.get(&q.name) {
            let value = given_answer(q, given, &note)?;
            out.answers.insert(q.name.clone(), value);
            continue;
        }
        let default = match default_of(&mut engine, q, &context) {
            Ok(d) => d,
            // The default needs a missing answer. With --defaults it is taken once that answer
            // is given; without, this question is unanswered too and must be listed now.
            Err(_) if deferred => {
                if !(inputs.defaults || computed) {
                    missing.push(Missing::of(q));
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(d) = &default {
            note(q, d);
        }
        // --defaults takes a default in a terminal too: only questions without one are asked.
        if let (Some(d), true) = (&default, inputs.defaults || computed) {
            validate(q, d).map_err(|reason| Error::Invalid {
                name: q.name.clone(),
                from: "the bundle's default".into(),
                reason,
            })?;
            out.answers.insert(q.name.clone(), d.clone());
            continue;
        }
        if let Some(p) = prompter.as_deref_mut() {
            let value = ask(p, q, default.as_ref(), &note)?;
            out.answers.insert(q.name.clone(), value);
            continue;
        }
        missing.push(Missing::of(q));
    }
    if !missing.is_empty() {
        return Err(Error::Missing { missing });
    }
    Ok(out)
}

/// A skipped question still takes its default, which later ones may use; none when the
/// default needs an answer still missing (`deferred`: that one is reported).
fn skipped_default(
    engine: &mut Engine,
    q: &Question,
    context: &tera::Context,
    deferred: bool,
) -> Result<Option<Value>, Error> {
    match default_of(engine, q, context) {
        Err(_) if deferred => Ok(None),
        other => other,
    }
}

/// Whether `q` is asked, by its `when` (asked without one), or `None` when the `when` cannot
/// be evaluated yet because an earlier answer is missing (`deferred`).
fn is_asked(
    engine: &mut Engine,
    q: &Question,
    context: &tera::Context,
    deferred: bool,
) -> Result<Option<bool>, Error> {
    let Some(when) = &q.when else {
        return Ok(Some(true));
    };
    match engine.eval_bool(when, context) {
        Ok(asked) => Ok(Some(asked)),
        Err(_) if deferred => Ok(None),
        Err(message) => Err(Error::Expression {
            name: q.name.clone(),
            field: "when",
            message,
        }),
    }
}

/// The given answers whose question the bundle does not ask: an error (a typo in `--set`),
/// or, with [`Inputs::allow_unknown`], the names to drop.
fn unknown_given(questions: &[Question], inputs: &Inputs) -> Result<Vec<String>, Error> {
    let mut dropped = Vec::new();
    for name in inputs.given.keys() {
        if !questions.iter().any(|q| &q.name == name) {
            if inputs.allow_unknown {
                dropped.push(name.clone());
            } else {
                return Err(Error::Unknown {
                    name: name.clone(),
                    from: inputs.given[name].describe(name),
                    known: questions.iter().map(|q| q.name.clone()).collect(),
                });
            }
        }
    }
    Ok(dropped)
}

/// The answer `given` to `q`, validated; a secret not recorded gives its placeholder. `note`
/// sees the value before it is validated.
fn given_answer(
    q: &Question,
    given: &Given,
    note: &impl Fn(&Question, &Value),
) -> Result<Value, Error> {
    let parsed = match given {
        Given::Raw(raw) => parse_raw(q, raw),
        Given::Toml { value, .. } => from_toml(q, value),
        Given::Unknown => return Ok(Value::String(super::SECRET_PLACEHOLDER.into())),
        Given::Alternative => return Ok(Value::String(super::SECRET_ALTERNATIVE.into())),
    };
    if let Ok(v) = &parsed {
        note(q, v);
    }
    parsed
        .and_then(|v| validate(q, &v).map(|()| v))
        .map_err(|reason| Error::Invalid {
            name: q.name.clone(),
            from: given.describe(&q.name),
            reason,
        })
}

/// Asks `q` until the answer is valid, showing why the last one was not. `note` sees each
/// answer before it is validated.
fn ask(
    prompter: &mut dyn Prompter,
    q: &Question,
    default: Option<&Value>,
    note: &impl Fn(&Question, &Value),
) -> Result<Value, Error> {
    let mut problem: Option<String> = None;
    loop {
        let v = prompter
            .ask(q, default, problem.as_deref())
            .map_err(|message| Error::Prompt {
                name: q.name.clone(),
                message,
            })?;
        note(q, &v);
        match validate(q, &v) {
            Ok(()) => return Ok(v),
            Err(reason) => problem = Some(reason),
        }
    }
}

/// A default is a literal, or a string holding tera over the earlier answers.
fn default_of(
    engine: &mut Engine,
    q: &Question,
    context: &tera::Context,
) -> Result<Option<Value>, Error> {
    let Some(d) = &q.default else { return Ok(None) };
    let expr_err = |message| Error::Expression {
        name: q.name.clone(),
        field: "default",
        message,
    };
    let value = match d {
        toml::Value::String(s) if s.contains("{{") || s.contains("{%") => {
            let rendered = engine.render_str(s, context).map_err(expr_err)?;
            parse_raw(q, &rendered).map_err(expr_err)?
        }
        other => from_toml(q, other).map_err(expr_err)?,
    };
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Manifest;

    fn questions() -> Vec<Question> {
        Manifest::parse(
            r#"
[bundle]
name = "t"
version = "1.0.0"
[[questions]]
name = "service_name"
type = "string"
help = "DNS label"
validation = { regex = "^[a-z][a-z0-9-]*$", message = "must be a DNS label" }
[[questions]]
name = "database"
type = "bool"
default = false
[[questions]]
name = "db_name"
type = "string"
default = "{{ service_name }}-db"
when = "database"
[[questions]]
name = "replicas"
type = "int"
default = 2
validation = { min = 1, max = 10 }
"#,
        )
        .unwrap()
        .questions
    }

    fn raw(pairs: &[(&str, &str)]) -> Inputs {
        Inputs {
            given: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Given::Raw(v.to_string())))
                .collect(),
            ..Inputs::default()
        }
    }

    #[test]
    fn defaults_may_use_earlier_answers_and_when_skips() {
        let mut inputs = raw(&[("service_name", "orders"), ("database", "yes")]);
        inputs.defaults = true;
        let r = resolve(&questions(), &inputs, None).unwrap();
        assert_eq!(r.answers["db_name"], Value::String("orders-db".into()));
        assert_eq!(r.answers["replicas"], Value::Int(2));

        let mut inputs = raw(&[("service_name", "orders")]);
        inputs.defaults = true;
        let r = resolve(&questions(), &inputs, None).unwrap();
        assert_eq!(r.skipped, ["db_name"]);
        // A skipped question still takes its default.
        assert_eq!(r.answers["db_name"], Value::String("orders-db".into()));
    }

    #[test]
    fn every_missing_answer_is_listed() {
        let err = resolve(&questions(), &Inputs::default(), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "3 questions have no answer:\n  - service_name (string): DNS label\n  - database (bool)\n  - replicas (int)\n\
             Give them with --set NAME=VALUE, an --answers FILE, or --defaults where a default exists (or run in a terminal to be asked)."
        );
    }

    #[test]
    fn a_question_whose_default_needs_a_missing_answer_is_listed_too() {
        let mut qs = questions();
        qs.push(Question {
            name: "crate_name".into(),
            kind: crate::bundle::QuestionType::String,
            help: String::new(),
            default: Some(toml::Value::String("{{ service_name }}".into())),
            choices: vec![],
            validation: None,
            when: None,
        });
        let err = resolve(&qs, &raw(&[("database", "no"), ("replicas", "2")]), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("2 questions have no answer:\n  - service_name (string): DNS label\n  - crate_name (string)\n"),
            "{err}"
        );
        // With --defaults it is not missing: its default is taken once service_name is given.
        let mut inputs = raw(&[]);
        inputs.defaults = true;
        let err = resolve(&qs, &inputs, None).unwrap_err().to_string();
        assert!(
            err.starts_with("1 question has no answer:\n  - service_name"),
            "{err}"
        );
    }

    #[test]
    fn bad_given_answers_are_errors() {
        let err = resolve(&questions(), &raw(&[("service_name", "Orders API")]), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "answer for `service_name` from --set service_name=... is invalid: must be a DNS label"
        );
        let err = resolve(&questions(), &raw(&[("replicas", "11")]), None)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "answer for `replicas` from --set replicas=... is invalid: 11 is more than the maximum 10");
        let err = resolve(&questions(), &raw(&[("servce_name", "x")]), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "--set servce_name=... answers `servce_name`, which this bundle does not ask"
            ),
            "{err}"
        );
    }

    struct Scripted(Vec<&'static str>, Vec<Option<String>>);
    impl Prompter for Scripted {
        fn ask(
            &mut self,
            q: &Question,
            _default: Option<&Value>,
            problem: Option<&str>,
        ) -> Result<Value, String> {
            self.1.push(problem.map(str::to_string));
            parse_raw(q, self.0.remove(0))
        }
    }

    #[test]
    fn with_defaults_only_questions_without_a_default_are_asked() {
        let mut p = Scripted(vec!["orders"], vec![]);
        let inputs = Inputs {
            defaults: true,
            ..Inputs::default()
        };
        let r = resolve(&questions(), &inputs, Some(&mut p)).unwrap();
        assert_eq!(p.1, [None], "asked more than service_name");
        assert_eq!(r.answers["service_name"], Value::String("orders".into()));
        assert_eq!(r.answers["replicas"], Value::Int(2));
    }

    #[test]
    fn prompts_re_ask_after_a_refused_answer() {
        let mut p = Scripted(vec!["Bad Name", "orders", "no", "3"], vec![]);
        let r = resolve(&questions(), &Inputs::default(), Some(&mut p)).unwrap();
        assert_eq!(r.answers["service_name"], Value::String("orders".into()));
        assert_eq!(
            p.1,
            [None, Some("must be a DNS label".to_string()), None, None]
        );
    }
}
