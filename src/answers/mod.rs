//! Answers to a bundle's questions: typed values, how they are resolved (flags, files, prompts,
//! defaults) and the answers file a project records them in.

mod file;
mod resolve;

pub use file::{AnswersFile, PendingUpgrade, Recorded};
pub use resolve::{resolve, Given, Inputs, Prompter, Resolved};

use crate::bundle::{Question, QuestionType};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One answer. Untagged so the answers file reads as plain TOML (`port = 8080`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<String>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::String(s) => f.write_str(s),
            Value::List(items) => f.write_str(&items.join(",")),
        }
    }
}

/// Answers by question name.
pub type Answers = BTreeMap<String, Value>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} question{} no answer:\n{}\nGive {} with --set NAME=VALUE, an --answers FILE, or --defaults where a default exists (or run in a terminal to be asked).",
        missing.len(), if missing.len() == 1 { " has" } else { "s have" },
        missing.iter().map(|m| format!("  - {m}")).collect::<Vec<_>>().join("\n"),
        if missing.len() == 1 { "it" } else { "them" })]
    Missing { missing: Vec<Missing> },
    #[error("answer for `{name}` from {from} is invalid: {reason}")]
    Invalid {
        name: String,
        from: String,
        reason: String,
    },
    #[error("{from} answers `{name}`, which this bundle does not ask (its questions: {})", known.join(", "))]
    Unknown {
        name: String,
        from: String,
        known: Vec<String>,
    },
    #[error("`{field}` of question `{name}` cannot be evaluated: {message}")]
    Expression {
        name: String,
        field: &'static str,
        message: String,
    },
    #[error("prompt for `{name}` failed: {message}")]
    Prompt { name: String, message: String },
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    File {
        file: String,
        line: Option<usize>,
        message: String,
    },
}

/// A question nobody answered, described so the user can answer it.
#[derive(Debug, Clone)]
pub struct Missing {
    pub name: String,
    pub kind: QuestionType,
    pub help: String,
    pub choices: Vec<String>,
}

impl Missing {
    pub fn of(q: &Question) -> Missing {
        Missing {
            name: q.name.clone(),
            kind: q.kind,
            help: q.help.clone(),
            choices: q.choices.clone(),
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.kind.name())?;
        if !self.help.is_empty() {
            write!(f, ": {}", self.help)?;
        }
        if !self.choices.is_empty() {
            write!(f, " [one of: {}]", self.choices.join(", "))?;
        }
        Ok(())
    }
}

/// The questions whose answers are secret: `secret` questions, and every question whose
/// default is computed from one of them, transitively (`default = "{{ token }}-x"`). Their
/// answers are never recorded and never shown; upgrade and check compute them again from the
/// secret. A default "uses" a question when its tera names it; the scan is by identifier, so it
/// may taint too much (a string literal spelling the name), never too little.
pub fn secret_derived(questions: &[Question]) -> BTreeSet<String> {
    let mut tainted: BTreeSet<String> = questions
        .iter()
        .filter(|q| q.kind == QuestionType::Secret)
        .map(|q| q.name.clone())
        .collect();
    loop {
        let before = tainted.len();
        for q in questions {
            let Some(toml::Value::String(default)) = &q.default else {
                continue;
            };
            if !(default.contains("{{") || default.contains("{%")) {
                continue;
            }
            if identifiers(default).any(|id| tainted.contains(id)) {
                tainted.insert(q.name.clone());
            }
        }
        if tainted.len() == before {
            return tainted;
        }
    }
}

fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
}

/// Stands for a secret whose value is not known (it is never recorded): `check` renders with
/// it, and compares the files that use it with [`matches_but_placeholders`]. Letters and digits
/// only, so that a question's validation regex is likely to take it.
pub const SECRET_PLACEHOLDER: &str = "goldpathsecret0placeholder";

/// A second stand-in for a secret, of another length (so `{{ token | length }}` differs too):
/// a file whose render with it is not the [`SECRET_PLACEHOLDER`] render with the one replaced
/// by the other uses the secret in some other way than as text (a filter, a computed answer),
/// and cannot be compared without the real value.
pub const SECRET_ALTERNATIVE: &str = "goldpathsecret1alternative0x";

/// Whether `ours` is `rendered` with some text (the secret's value) in place of each
/// [`SECRET_PLACEHOLDER`]: the file as the template writes it, whatever the secret was.
/// Whether a render holds [`SECRET_PLACEHOLDER`] (a secret's value was not known).
pub fn uses_placeholder(rendered: &[u8]) -> bool {
    find(rendered, SECRET_PLACEHOLDER.as_bytes()).is_some()
}

pub fn matches_but_placeholders(rendered: &[u8], ours: &[u8]) -> bool {
    let pieces: Vec<&[u8]> = split_on(rendered, SECRET_PLACEHOLDER.as_bytes());
    let (first, rest) = pieces
        .split_first()
        .expect("split gives one piece at least");
    let Some(mut tail) = ours.strip_prefix(*first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for piece in middle {
        match find(tail, piece) {
            Some(i) => tail = &tail[i + piece.len()..],
            None => return false,
        }
    }
    tail.ends_with(last)
}

fn split_on<'a>(bytes: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let Some(i) = find(rest, sep) {
        out.push(&rest[..i]);
        rest = &rest[i + sep.len()..];
    }
    out.push(rest);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Tells [`crate::redact`] to mask `value` (and each item of a list) in everything printed.
pub(crate) fn remember_secret(value: &Value) {
    match value {
        Value::List(items) => items.iter().for_each(|i| crate::redact::remember(i)),
        other => crate::redact::remember(&other.to_string()),
    }
}

/// Reads a raw string (`--set name=VALUE`, or what a user typed) as an answer to `q`.
pub fn parse_raw(q: &Question, raw: &str) -> Result<Value, String> {
    match q.kind {
        QuestionType::String | QuestionType::Secret => Ok(Value::String(raw.to_string())),
        QuestionType::Int => raw
            .trim()
            .parse()
            .map(Value::Int)
            .map_err(|_| format!("`{raw}` is not a whole number")),
        QuestionType::Float => raw
            .trim()
            .parse()
            .map(Value::Float)
            .map_err(|_| format!("`{raw}` is not a number")),
        QuestionType::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "on" => Ok(Value::Bool(true)),
            "false" | "no" | "n" | "0" | "off" => Ok(Value::Bool(false)),
            _ => Err(format!("`{raw}` is not true or false")),
        },
        QuestionType::Choice => Ok(Value::String(raw.to_string())),
        QuestionType::Multichoice => Ok(Value::List(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )),
    }
}

/// Reads a TOML value (answers file, bundle default) as an answer to `q`.
pub fn from_toml(q: &Question, value: &toml::Value) -> Result<Value, String> {
    use toml::Value as T;
    match (q.kind, value) {
        (QuestionType::Int, T::Integer(i)) => Ok(Value::Int(*i)),
        (QuestionType::Float, T::Float(x)) => Ok(Value::Float(*x)),
        (QuestionType::Float, T::Integer(i)) => Ok(Value::Float(*i as f64)),
        (QuestionType::Bool, T::Boolean(b)) => Ok(Value::Bool(*b)),
        (QuestionType::Multichoice, T::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{v}` in a multichoice answer is not a string"))
            })
            .collect::<Result<_, _>>()
            .map(Value::List),
        (_, T::String(s)) => parse_raw(q, s),
        (QuestionType::Secret, _) => Err("a secret must be a string".to_string()),
        (kind, other) => Err(format!("`{other}` is not a {}", kind.name())),
    }
}

/// Checks an answer against the question's choices and validation rules.
pub fn validate(q: &Question, value: &Value) -> Result<(), String> {
    match (q.kind, value) {
        (QuestionType::String | QuestionType::Secret, Value::String(_))
        | (QuestionType::Int, Value::Int(_))
        | (QuestionType::Float, Value::Float(_))
        | (QuestionType::Bool, Value::Bool(_))
        | (QuestionType::Choice, Value::String(_))
        | (QuestionType::Multichoice, Value::List(_)) => {}
        (QuestionType::Float, Value::Int(_)) => {}
        (kind, v) => return Err(format!("`{v}` is not a {}", kind.name())),
    }
    if q.kind == QuestionType::Choice && !q.choices.iter().any(|c| *c == value.to_string()) {
        return Err(format!("`{value}` is not one of: {}", q.choices.join(", ")));
    }
    if let Value::List(items) = value {
        if let Some(bad) = items.iter().find(|i| !q.choices.contains(i)) {
            return Err(format!("`{bad}` is not one of: {}", q.choices.join(", ")));
        }
    }
    let Some(rules) = &q.validation else {
        return Ok(());
    };
    let explain = |default: String| rules.message.clone().unwrap_or(default);
    if let (Some(re), Value::String(s)) = (&rules.regex, value) {
        let vm =
            regex_automata::nfa::thompson::pikevm::PikeVM::new(re).map_err(|e| e.to_string())?;
        if !vm.is_match(&mut vm.create_cache(), s.as_str()) {
            // A secret is never repeated back: error output ends up in terminals and CI logs.
            return Err(explain(if q.kind == QuestionType::Secret {
                format!("does not match {re}")
            } else {
                format!("`{s}` does not match {re}")
            }));
        }
    }
    let number = match value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    };
    if let Some(n) = number {
        if let Some(min) = rules.min.filter(|min| n < *min) {
            return Err(explain(format!("{value} is less than the minimum {min}")));
        }
        if let Some(max) = rules.max.filter(|max| n > *max) {
            return Err(explain(format!("{value} is more than the maximum {max}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::Validation;

    fn q(kind: QuestionType) -> Question {
        Question {
            name: "x".into(),
            kind,
            help: String::new(),
            default: None,
            choices: vec![],
            validation: None,
            when: None,
        }
    }

    #[test]
    fn raw_answers_parse_by_type() {
        let table = [
            (QuestionType::Int, "42", Ok(Value::Int(42))),
            (QuestionType::Int, "4.2", Err("`4.2` is not a whole number")),
            (QuestionType::Float, "99.9", Ok(Value::Float(99.9))),
            (QuestionType::Bool, "yes", Ok(Value::Bool(true))),
            (QuestionType::Bool, "Off", Ok(Value::Bool(false))),
            (
                QuestionType::Bool,
                "maybe",
                Err("`maybe` is not true or false"),
            ),
            (
                QuestionType::Multichoice,
                "a, b,",
                Ok(Value::List(vec!["a".into(), "b".into()])),
            ),
            (
                QuestionType::String,
                " keep spaces ",
                Ok(Value::String(" keep spaces ".into())),
            ),
        ];
        for (kind, raw, want) in table {
            assert_eq!(
                parse_raw(&q(kind), raw),
                want.map_err(str::to_string),
                "{kind:?} {raw}"
            );
        }
    }

    #[test]
    fn validation_rules_apply_with_their_messages() {
        let mut name = q(QuestionType::String);
        name.validation = Some(Validation {
            regex: Some("^[a-z][a-z0-9-]*$".into()),
            message: Some("must be a DNS label".into()),
            min: None,
            max: None,
        });
        assert_eq!(
            validate(&name, &Value::String("Orders".into())),
            Err("must be a DNS label".into())
        );
        assert_eq!(validate(&name, &Value::String("orders".into())), Ok(()));
        let mut secret = q(QuestionType::Secret);
        secret.validation = Some(Validation {
            regex: Some("^.{8,}$".into()),
            message: None,
            min: None,
            max: None,
        });
        assert_eq!(
            validate(&secret, &Value::String("hunter2".into())),
            Err("does not match ^.{8,}$".into())
        );
        assert_eq!(
            from_toml(&secret, &toml::Value::Integer(1234)),
            Err("a secret must be a string".into())
        );
        let mut slo = q(QuestionType::Float);
        slo.validation = Some(Validation {
            regex: None,
            message: None,
            min: Some(90.0),
            max: Some(99.999),
        });
        assert_eq!(
            validate(&slo, &Value::Float(100.0)),
            Err("100 is more than the maximum 99.999".into())
        );
        assert_eq!(
            validate(&slo, &Value::Float(80.0)),
            Err("80 is less than the minimum 90".into())
        );
        let mut ci = q(QuestionType::Choice);
        ci.choices = vec!["github".into(), "gitlab".into()];
        assert_eq!(
            validate(&ci, &Value::String("jenkins".into())),
            Err("`jenkins` is not one of: github, gitlab".into())
        );
        let mut many = q(QuestionType::Multichoice);
        many.choices = vec!["a".into()];
        assert_eq!(
            validate(&many, &Value::List(vec!["a".into(), "z".into()])),
            Err("`z` is not one of: a".into())
        );
    }

    #[test]
    fn a_file_matches_its_render_but_the_placeholders() {
        let r = format!("TOKEN={SECRET_PLACEHOLDER}\nPORT=1\nAGAIN={SECRET_PLACEHOLDER}-x\n");
        assert!(matches_but_placeholders(
            r.as_bytes(),
            b"TOKEN=old-value\nPORT=1\nAGAIN=old-value-x\n"
        ));
        assert!(!matches_but_placeholders(
            r.as_bytes(),
            b"TOKEN=old-value\nPORT=2\nAGAIN=old-value-x\n"
        ));
        assert!(!matches_but_placeholders(
            r.as_bytes(),
            b"# mine\nTOKEN=old\nPORT=1\nAGAIN=old-x\n"
        ));
        assert!(matches_but_placeholders(b"plain", b"plain"));
        assert!(!matches_but_placeholders(b"plain", b"plain!"));
    }
}
