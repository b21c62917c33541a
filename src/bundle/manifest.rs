//! `bundle.toml`: parsed strictly (`deny_unknown_fields`, so a misspelled key is an error, not
//! silently ignored), then checked by [`Manifest::validate`], which reports every problem at once.

use semver::Version;
use serde::{Deserialize, Serialize};

/// A problem found in a manifest: the key it concerns and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub bundle: BundleInfo,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub files: FilePolicies,
    #[serde(default)]
    pub migrations: Vec<Migration>,
    /// What `goldpath bundle test` renders and runs (`[test]`); nothing else reads it.
    #[serde(default)]
    pub test: Option<TestPlan>,
}

/// `[test]`: the answer sets `goldpath bundle test` renders, and the checks it runs in each.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TestPlan {
    /// Render the answer matrix: the defaults, each other choice, each bool flipped.
    #[serde(default = "yes")]
    pub matrix: bool,
    /// Shell commands (`sh -c`) run in each rendered project; each must exit 0.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Named answer sets, rendered besides the matrix.
    #[serde(default)]
    pub cases: Vec<TestCase>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    pub name: String,
    /// Answers by question name; the other questions take their defaults.
    #[serde(default)]
    pub answers: toml::Table,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BundleInfo {
    pub name: String,
    pub version: Version,
    #[serde(default)]
    pub description: String,
    /// The question whose answer names a project's owner (`goldpath fleet status` shows it);
    /// without it, an answer named `owner` is taken if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionType {
    String,
    Int,
    Float,
    Bool,
    Choice,
    Multichoice,
    Secret,
}

impl QuestionType {
    pub fn name(self) -> &'static str {
        match self {
            QuestionType::String => "string",
            QuestionType::Int => "int",
            QuestionType::Float => "float",
            QuestionType::Bool => "bool",
            QuestionType::Choice => "choice",
            QuestionType::Multichoice => "multichoice",
            QuestionType::Secret => "secret",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    #[serde(default)]
    pub help: String,
    /// A literal, or for strings a tera template over earlier answers (`"{{ service_name }}-db"`).
    #[serde(default)]
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub validation: Option<Validation>,
    /// A tera expression over earlier answers; when false the question is skipped and takes its default.
    #[serde(default)]
    pub when: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    pub regex: Option<String>,
    pub message: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Who owns which rendered files across upgrades. Paths matching neither list are `merge`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilePolicies {
    /// Template-owned: a local edit is drift (check) and a conflict (upgrade).
    #[serde(default)]
    pub locked: Vec<String>,
    /// Written once by `new`, never touched by upgrades.
    #[serde(default)]
    pub seed: Vec<String>,
}

/// One step run when an upgrade crosses `version`. Exactly one action per entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Migration {
    pub version: Version,
    #[serde(default)]
    pub rename: Option<Rename>,
    #[serde(default)]
    pub rename_answer: Option<Rename>,
    #[serde(default)]
    pub set_answer: Option<SetAnswer>,
    #[serde(default)]
    pub delete: Option<String>,
    /// A hook under the bundle's `hooks/` folder, run only for trusted sources.
    #[serde(default)]
    pub run: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub from: String,
    pub to: String,
}

/// Sets `name` to `value`, a tera template over the answers (so it can compute from them).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SetAnswer {
    pub name: String,
    pub value: toml::Value,
}

impl Migration {
    pub fn actions(&self) -> usize {
        [
            self.rename.is_some(),
            self.rename_answer.is_some(),
            self.set_answer.is_some(),
            self.delete.is_some(),
            self.run.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

/// Where a line number for a TOML parse error comes from.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

impl Manifest {
    /// Parses a manifest. The error names the line and the key the parser stopped at.
    pub fn parse(text: &str) -> Result<Manifest, (Option<usize>, String)> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| line_of(text, s.start));
            (line, e.message().to_string())
        })
    }

    /// Every problem toml's types cannot express, all at once, in the order of the manifest.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Problems::default();
        if !is_identifier_like(&self.bundle.name, true) {
            problems.add(
                "bundle.name",
                format!(
                    "`{}` must be lowercase letters, digits, `-` or `_`, starting with a letter",
                    self.bundle.name
                ),
            );
        }
        for (i, q) in self.questions.iter().enumerate() {
            let asked_before = self.questions[..i].iter().any(|p| p.name == q.name);
            check_question(i, q, asked_before, &mut problems);
        }
        for (field, globs) in [
            ("files.locked", &self.files.locked),
            ("files.seed", &self.files.seed),
        ] {
            for g in globs {
                if let Err(e) = globset::Glob::new(g) {
                    problems.add(field, format!("`{g}` is not a valid glob: {e}"));
                }
            }
        }
        self.check_owner(&mut problems);
        self.check_test_plan(&mut problems);
        for (i, m) in self.migrations.iter().enumerate() {
            self.check_migration(i, m, &mut problems);
        }
        let versions: Vec<&Version> = self.migrations.iter().map(|m| &m.version).collect();
        if !versions.is_sorted() {
            problems.add(
                "migrations",
                "must be listed in version order, oldest first",
            );
        }
        problems.0
    }

    /// `[bundle] owner` must name a question whose answer is recorded (a secret never is).
    fn check_owner(&self, problems: &mut Problems) {
        let Some(owner) = &self.bundle.owner else {
            return;
        };
        match self.questions.iter().find(|q| &q.name == owner) {
            None => problems.add(
                "bundle.owner",
                format!("`{owner}` is no question of the bundle; name the question whose answer is the project's owner"),
            ),
            Some(q) if q.kind == QuestionType::Secret => problems.add(
                "bundle.owner",
                format!("`{owner}` is a secret, which is never recorded; name a question whose answer is recorded"),
            ),
            Some(_) => {}
        }
    }

    /// The question naming a project's owner: `[bundle] owner`, else one named `owner`.
    pub fn owner_question(&self) -> &str {
        self.bundle.owner.as_deref().unwrap_or("owner")
    }

    fn check_migration(&self, i: usize, m: &Migration, problems: &mut Problems) {
        let key = format!("migrations[{i}] (version {})", m.version);
        if m.actions() != 1 {
            problems.add(
                &key,
                "must hold exactly one of rename, rename_answer, set_answer, delete, run; split it into several [[migrations]]",
            );
        }
        if m.version > self.bundle.version {
            problems.add(
                &key,
                format!(
                    "is for version {}, newer than the bundle ({})",
                    m.version, self.bundle.version
                ),
            );
        }
        for path in [
            m.rename.as_ref().map(|r| &r.from),
            m.rename.as_ref().map(|r| &r.to),
            m.delete.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            let path = path.trim_end_matches('/');
            if let Err(e) = crate::tree::RelPath::new(path) {
                problems.add(&key, e.to_string());
            } else if path.eq_ignore_ascii_case(crate::tree::ANSWERS_FILE) {
                // The answers file is goldpath's record of the project: a migration that
                // deleted or moved it would leave a project no command can upgrade or check.
                problems.add(
                    &key,
                    format!(
                        "`{path}` is goldpath's answers file; migrations cannot delete or rename it (remove this migration)"
                    ),
                );
            }
        }
        if let Some(run) = &m.run {
            if let Err(e) = crate::tree::RelPath::new(run) {
                problems.add(&key, format!("run: {e}"));
            }
        }
    }

    /// `[test]`: each case named once, answering only questions the bundle asks.
    fn check_test_plan(&self, problems: &mut Problems) {
        let Some(plan) = &self.test else {
            return;
        };
        for (i, case) in plan.cases.iter().enumerate() {
            let key = format!("test.cases[{i}] ({})", case.name);
            if plan.cases[..i].iter().any(|c| c.name == case.name) {
                problems.add(&key, "is named twice; case names must be unique");
            }
            for name in case.answers.keys() {
                if self.question(name).is_none() {
                    problems.add(
                        &key,
                        format!("answers `{name}`, which this bundle does not ask"),
                    );
                }
            }
        }
    }

    pub fn question(&self, name: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.name == name)
    }
}

/// Problems found so far, in the order they were found.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.into(),
            message: message.into(),
        });
    }
}

/// The problems of question `i`; `asked_before`: an earlier question has its name.
fn check_question(i: usize, q: &Question, asked_before: bool, problems: &mut Problems) {
    let key = |field: &str| format!("questions[{i}].{field} ({})", q.name);
    if !is_identifier_like(&q.name, false) {
        problems.add(
            key("name"),
            "must be a tera identifier: letters, digits and `_`, starting with a letter",
        );
    }
    if asked_before {
        problems.add(key("name"), "is asked twice; question names must be unique");
    }
    let takes_choices = matches!(q.kind, QuestionType::Choice | QuestionType::Multichoice);
    if takes_choices && q.choices.is_empty() {
        problems.add(
            key("choices"),
            format!("a `{}` question needs at least one choice", q.kind.name()),
        );
    }
    if !takes_choices && !q.choices.is_empty() {
        problems.add(
            key("choices"),
            format!(
                "only choice and multichoice questions take choices, not `{}`",
                q.kind.name()
            ),
        );
    }
    if let Some(default) = &q.default {
        if let Some(problem) = default_type_problem(q, default) {
            problems.add(key("default"), problem);
        }
    }
    if q.kind == QuestionType::Secret && q.default.is_some() {
        problems.add(
            key("default"),
            "a secret cannot have a default: it would be stored in the bundle",
        );
    }
    if let Some(v) = &q.validation {
        check_validation(q, v, &key, problems);
    }
}

fn check_validation(
    q: &Question,
    v: &Validation,
    key: &dyn Fn(&str) -> String,
    problems: &mut Problems,
) {
    if let Some(re) = &v.regex {
        // Syntax only: compiling the automaton here too doubled `new`'s regex cost.
        if let Err(e) = regex_syntax::Parser::new().parse(re) {
            problems.add(
                key("validation.regex"),
                format!("is not a valid regex: {e}"),
            );
        }
        if !matches!(q.kind, QuestionType::String | QuestionType::Secret) {
            problems.add(
                key("validation.regex"),
                "only string and secret answers can be matched by a regex",
            );
        }
    }
    if (v.min.is_some() || v.max.is_some())
        && !matches!(q.kind, QuestionType::Int | QuestionType::Float)
    {
        problems.add(
            key("validation"),
            "min and max apply only to int and float questions",
        );
    }
    if let (Some(min), Some(max)) = (v.min, v.max) {
        if min > max {
            problems.add(
                key("validation"),
                format!("min ({min}) is greater than max ({max})"),
            );
        }
    }
}

fn default_type_problem(q: &Question, default: &toml::Value) -> Option<String> {
    use toml::Value as V;
    let ok = match (q.kind, default) {
        (QuestionType::String | QuestionType::Choice, V::String(_)) => true,
        (QuestionType::Int, V::Integer(_)) => true,
        (QuestionType::Float, V::Float(_) | V::Integer(_)) => true,
        (QuestionType::Bool, V::Boolean(_)) => true,
        (QuestionType::Multichoice, V::Array(items)) => items.iter().all(|v| v.is_str()),
        // A tera expression computing the value from earlier answers.
        (_, V::String(s)) => s.contains("{{") || s.contains("{%"),
        _ => false,
    };
    if !ok {
        return Some(format!(
            "`{default}` is not a {} (nor a tera expression in a string)",
            q.kind.name()
        ));
    }
    if let (QuestionType::Choice, V::String(s)) = (q.kind, default) {
        if !s.contains("{{") && !q.choices.contains(s) {
            return Some(format!("`{s}` is not one of the choices {:?}", q.choices));
        }
    }
    if let (QuestionType::Multichoice, V::Array(items)) = (q.kind, default) {
        for item in items.iter().filter_map(|v| v.as_str()) {
            if !q.choices.iter().any(|c| c == item) {
                return Some(format!(
                    "`{item}` is not one of the choices {:?}",
                    q.choices
                ));
            }
        }
    }
    None
}

fn is_identifier_like(s: &str, allow_dash: bool) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || c == '_'
                || (allow_dash && c == '-')
                || (!allow_dash && c.is_ascii_alphabetic())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        Manifest::parse(text)
            .unwrap()
            .validate()
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn owner_names_a_recorded_question() {
        let with = |owner: &str| {
            problems(&format!(
                "[bundle]\nname = \"b\"\nversion = \"1.0.0\"\nowner = \"{owner}\"\n\
                 [[questions]]\nname = \"team\"\ntype = \"string\"\n\
                 [[questions]]\nname = \"token\"\ntype = \"secret\"\n"
            ))
        };
        assert_eq!(with("team"), Vec::<String>::new());
        assert_eq!(
            with("teem"),
            ["bundle.owner: `teem` is no question of the bundle; name the question whose answer is the project's owner"]
        );
        assert_eq!(
            with("token"),
            ["bundle.owner: `token` is a secret, which is never recorded; name a question whose answer is recorded"]
        );
        let plain = Manifest::parse("[bundle]\nname = \"b\"\nversion = \"1.0.0\"\n").unwrap();
        assert_eq!(plain.owner_question(), "owner");
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let (line, msg) =
            Manifest::parse("[bundle]\nname = \"a\"\nversion = \"1.0.0\"\ndescripton = \"typo\"\n")
                .unwrap_err();
        assert_eq!(line, Some(4));
        assert!(msg.contains("unknown field `descripton`"), "{msg}");
    }

    #[test]
    fn unknown_question_type_names_the_choices() {
        let (line, msg) = Manifest::parse("[bundle]\nname = \"a\"\nversion = \"1.0.0\"\n[[questions]]\nname = \"x\"\ntype = \"text\"\n").unwrap_err();
        assert_eq!(line, Some(6));
        assert!(
            msg.contains("unknown variant `text`") && msg.contains("multichoice"),
            "{msg}"
        );
    }

    #[test]
    fn validate_reports_every_problem() {
        let got = problems(
            r#"
[bundle]
name = "Bad Name"
version = "1.0.0"
[[questions]]
name = "env"
type = "choice"
[[questions]]
name = "env"
type = "int"
default = "eight"
validation = { regex = "(", min = 5.0, max = 1.0 }
[files]
locked = ["a/[b"]
[[migrations]]
version = "2.0.0"
delete = "../x"
rename_answer = { from = "a", to = "b" }
"#,
        );
        let expect = [
            "bundle.name: `Bad Name` must be lowercase",
            "questions[0].choices (env): a `choice` question needs at least one choice",
            "questions[1].name (env): is asked twice",
            "questions[1].default (env): `\"eight\"` is not a int",
            "questions[1].validation.regex (env): is not a valid regex",
            "questions[1].validation.regex (env): only string and secret answers",
            "questions[1].validation (env): min (5) is greater than max (1)",
            "files.locked: `a/[b` is not a valid glob",
            "migrations[0] (version 2.0.0): must hold exactly one of",
            "migrations[0] (version 2.0.0): is for version 2.0.0, newer than the bundle (1.0.0)",
            "migrations[0] (version 2.0.0): path `../x` is not allowed",
        ];
        for e in expect {
            assert!(
                got.iter().any(|g| g.starts_with(e)),
                "missing {e:?} in {got:#?}"
            );
        }
        assert_eq!(got.len(), expect.len(), "{got:#?}");
    }

    #[test]
    fn tera_expression_defaults_are_accepted_for_any_type() {
        assert!(problems(
            "[bundle]\nname = \"a\"\nversion = \"1.0.0\"\n[[questions]]\nname = \"port\"\ntype = \"int\"\ndefault = \"{{ 8000 + 80 }}\"\n"
        )
        .is_empty());
    }
}
