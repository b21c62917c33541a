//! `goldpath bundle lint`: everything wrong with a bundle that can be known without answers,
//! all at once, each finding with its file and line. A bundle author runs it before a release,
//! so that no engineer meets a template error at `new`, one per attempt.
//!
//! Variables are read from tera's syntax tree ([`names`]), not from the text; globs are matched
//! against real renders of the bundle over an answer [`matrix`].

pub mod matrix;
mod names;

use super::release::folder_version;
use super::{Bundle, Error, Manifest, Origin, SourceSpec};
use crate::answers;
use crate::tree::{self, RelPath, Tree};
use names::Names;
use semver::Version;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The kind of a finding; its id is what `--format json` and `github` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// `bundle.toml` does not parse, or a problem its own validation finds.
    Manifest,
    /// A template, a path part, a default or a `when` that tera cannot parse.
    Syntax,
    /// An `include`, `import` or `extends` naming no template of the bundle.
    UnknownTemplate,
    /// A variable no question defines (or, in a default or `when`, no earlier question).
    UndefinedVariable,
    /// A question nothing uses.
    UnusedQuestion,
    /// `when = "{{ ... }}"`: `when` is an expression, without braces.
    WhenBraces,
    /// `min`/`max` of the wrong type for the question (a fraction for an int).
    MinMaxType,
    /// A literal default that fails the question's own validation.
    InvalidDefault,
    /// A choice that fails the question's own validation.
    InvalidChoice,
    /// A `locked` or `seed` glob that matches no rendered path for any answer set.
    UnmatchedGlob,
    /// A migration whose version is no release of the bundle.
    MigrationVersion,
    /// A migration's `rename`/`delete` path that the previous release never rendered.
    MigrationPath,
    /// A release with a prerelease version (`1.2.0-rc.1`).
    Prerelease,
    /// A release whose version is not newer than the previous release.
    VersionOrder,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::Manifest => "manifest",
            Rule::Syntax => "syntax",
            Rule::UnknownTemplate => "unknown-template",
            Rule::UndefinedVariable => "undefined-variable",
            Rule::UnusedQuestion => "unused-question",
            Rule::WhenBraces => "when-braces",
            Rule::MinMaxType => "min-max-type",
            Rule::InvalidDefault => "invalid-default",
            Rule::InvalidChoice => "invalid-choice",
            Rule::UnmatchedGlob => "unmatched-glob",
            Rule::MigrationVersion => "migration-version",
            Rule::MigrationPath => "migration-path",
            Rule::Prerelease => "prerelease",
            Rule::VersionOrder => "version-order",
        }
    }
}

/// One problem: where it is (`file` relative to the bundle's folder) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    pub line: Option<usize>,
    pub rule: Rule,
    pub message: String,
}

/// Variables every template sees besides the answers.
const BUILTINS: &[&str] = &["_bundle", "loop"];

/// Lints the bundle in folder `dir`. `Err` only when it cannot be read at all; everything else
/// is a finding. Sorted by file, line and rule.
pub fn lint(dir: &Path) -> Result<Vec<Finding>, Error> {
    let files = tree::read_dir(dir)?;
    let display = dir.display().to_string();
    let Some(manifest_file) = files.get(&RelPath::new("bundle.toml")?) else {
        return Err(Error::MissingManifest { file: display });
    };
    let text = String::from_utf8_lossy(&manifest_file.bytes).into_owned();
    let mut lint = Lint {
        text: &text,
        findings: Vec::new(),
    };
    let templates = lint.templates(&files);
    let manifest = match Manifest::parse(&text) {
        Ok(m) => Some(m),
        Err((line, message)) => {
            lint.add("bundle.toml", line, Rule::Manifest, message);
            None
        }
    };
    if let Some(manifest) = &manifest {
        let problems = manifest.validate();
        for p in &problems {
            let line = key_line(&text, &p.key);
            lint.add("bundle.toml", line, Rule::Manifest, p.to_string());
        }
        lint.questions(manifest, &templates, &problems);
        let releases = earlier_releases(dir);
        lint.releases(manifest, &releases);
        // Renders need a bundle that loads and templates that parse.
        let parsed = !lint.findings.iter().any(|f| f.rule == Rule::Syntax);
        if problems.is_empty() && parsed {
            let bundle = Bundle::from_files(files, &display, origin(dir))?;
            lint.globs(&bundle);
            if let Some((_, previous)) = releases.last() {
                if let Ok(files) = tree::read_dir(previous) {
                    if let Ok(old) = Bundle::from_files(files, &display, origin(previous)) {
                        lint.migration_paths(manifest, &old);
                    }
                }
            }
        }
    }
    let mut findings = lint.findings;
    findings.sort_by(|a, b| (&a.file, a.line, a.rule).cmp(&(&b.file, b.line, b.rule)));
    findings.dedup();
    Ok(findings)
}

fn origin(dir: &Path) -> Origin {
    Origin {
        source: SourceSpec::Folder(dir.to_path_buf()),
        commit: None,
    }
}

/// The releases before the one in `dir`, oldest first, when `dir` is a release folder
/// (`<bundle>/<version>/`) among others: its siblings named by a lower version.
pub fn earlier_releases(dir: &Path) -> Vec<(Version, std::path::PathBuf)> {
    let own = dir
        .file_name()
        .and_then(|n| folder_version(&n.to_string_lossy()));
    let (Some(own), Some(parent)) = (own, dir.parent()) else {
        return Vec::new();
    };
    let mut out: Vec<(Version, std::path::PathBuf)> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = folder_version(&e.file_name().to_string_lossy())?;
            (v < own && e.path().join("bundle.toml").is_file()).then(|| (v, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// A parsed template (or partial) and the names it uses.
struct Template {
    /// As the bundle's files name it: `template/...` or `partials/...`.
    file: String,
    text: String,
    names: Names,
}

struct Lint<'a> {
    /// The manifest's text, for line numbers.
    text: &'a str,
    findings: Vec<Finding>,
}

impl Lint<'_> {
    fn add(&mut self, file: &str, line: Option<usize>, rule: Rule, message: impl Into<String>) {
        self.findings.push(Finding {
            file: file.to_string(),
            line,
            rule,
            message: message.into(),
        });
    }

    /// Parses every template, partial and templated path part; reports syntax errors and
    /// includes that name no template. Returns the parsed ones (path parts as `text` = "").
    fn templates(&mut self, files: &Tree) -> Vec<Template> {
        let mut parsed = Vec::new();
        // The names `include`, `import` and `extends` can reach, as the render registers them.
        let mut known = BTreeSet::new();
        for path in files.keys() {
            let p = path.as_str();
            if let Some(rest) = p.strip_prefix("template/") {
                if rest.ends_with(crate::render::TEMPLATE_SUFFIX) {
                    known.insert(rest.to_string());
                }
            } else if p.starts_with("partials/") {
                known.insert(p.to_string());
            }
        }
        for (path, file) in files {
            let p = path.as_str();
            let is_template = p.starts_with("template/");
            if !is_template && !p.starts_with("partials/") {
                continue;
            }
            if is_template {
                for part in p["template/".len()..].split('/') {
                    if part.contains("{{") || part.contains("{%") {
                        if let Some(names) = self.parse(p, None, part) {
                            parsed.push(Template {
                                file: p.to_string(),
                                text: String::new(),
                                names,
                            });
                        }
                    }
                }
            }
            if is_template && !p.ends_with(crate::render::TEMPLATE_SUFFIX) {
                continue;
            }
            let Ok(text) = std::str::from_utf8(&file.bytes) else {
                self.add(
                    p,
                    None,
                    Rule::Syntax,
                    "is not UTF-8 text; a tera template must be",
                );
                continue;
            };
            let Some(names) = self.parse(p, Some(text), text) else {
                continue;
            };
            for name in &names.templates {
                if !known.contains(name) {
                    let line = word_line(text, name);
                    self.add(
                        p,
                        line,
                        Rule::UnknownTemplate,
                        format!("`{name}` is no template of this bundle (templates are named by their path under template/, with .tera; include-only ones as partials/NAME)"),
                    );
                }
            }
            parsed.push(Template {
                file: p.to_string(),
                text: text.to_string(),
                names,
            });
        }
        parsed
    }

    /// Parses `source` (all of `file`, or a part of it when `text` is `None`).
    fn parse(&mut self, file: &str, text: Option<&str>, source: &str) -> Option<Names> {
        match tera::Template::new(file, None, source) {
            Ok(t) => Some(Names::of(&t.ast)),
            Err(e) => {
                let message = crate::sandbox::message(&e);
                let line = text.and(crate::sandbox::error_line(&message));
                let what = if text.is_some() { "" } else { "its path: " };
                self.add(
                    file,
                    line,
                    Rule::Syntax,
                    format!("{what}{}", one_line(&message)),
                );
                None
            }
        }
    }

    /// Variables, unused questions, `when`, validation of defaults and choices.
    fn questions(
        &mut self,
        manifest: &Manifest,
        templates: &[Template],
        problems: &[super::manifest::Problem],
    ) {
        let questions: BTreeSet<&str> =
            manifest.questions.iter().map(|q| q.name.as_str()).collect();
        // A name bound anywhere (a `set` in a template that includes this one) is not an answer.
        let bound: BTreeSet<&str> = templates
            .iter()
            .flat_map(|t| t.names.bound.iter().map(String::as_str))
            .collect();
        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut whole_context = false;
        for t in templates {
            whole_context |= t.names.whole_context;
            for name in t.names.free() {
                used.insert(name.to_string());
                if questions.contains(name) || BUILTINS.contains(&name) || bound.contains(name) {
                    continue;
                }
                let (line, place) = if t.text.is_empty() {
                    (None, "its path uses")
                } else {
                    (word_line(&t.text, name), "uses")
                };
                self.add(
                    &t.file,
                    line,
                    Rule::UndefinedVariable,
                    format!("{place} `{name}`, which no question defines"),
                );
            }
        }
        for (i, q) in manifest.questions.iter().enumerate() {
            let earlier: BTreeSet<&str> = manifest.questions[..i]
                .iter()
                .map(|q| q.name.as_str())
                .collect();
            let key = |field: &str| key_line(self.text, &format!("questions[{i}].{field}"));
            if let Some(toml::Value::String(d)) = &q.default {
                if d.contains("{{") || d.contains("{%") {
                    let line = key("default");
                    self.expression(&q.name, "default", d, line, &earlier, &mut used);
                }
            }
            if let Some(when) = &q.when {
                let line = key("when");
                let trimmed = when.trim();
                if trimmed.starts_with("{{") || trimmed.starts_with("{%") {
                    let bare = trimmed
                        .trim_start_matches("{{")
                        .trim_end_matches("}}")
                        .trim();
                    self.add(
                        "bundle.toml",
                        line,
                        Rule::WhenBraces,
                        format!("questions[{i}].when ({}): `when` is a tera expression, written without braces: when = \"{bare}\"", q.name),
                    );
                } else {
                    let source = format!("{{% if {when} %}}{{% endif %}}");
                    self.expression(&q.name, "when", &source, line, &earlier, &mut used);
                }
            }
            self.validation(i, q, problems);
        }
        for m in &manifest.migrations {
            if let Some(set) = &m.set_answer {
                used.insert(set.name.clone());
            }
            if let Some(r) = &m.rename_answer {
                used.insert(r.to.clone());
            }
        }
        if whole_context {
            return;
        }
        for (i, q) in manifest.questions.iter().enumerate() {
            if !used.contains(&q.name) {
                let line = key_line(self.text, &format!("questions[{i}].name"));
                self.add(
                    "bundle.toml",
                    line,
                    Rule::UnusedQuestion,
                    format!("questions[{i}] ({}): no template, path, default or `when` uses this answer; remove the question or use it", q.name),
                );
            }
        }
    }

    /// A default or `when` of question `name`: parses, and uses only earlier questions.
    fn expression(
        &mut self,
        name: &str,
        field: &str,
        source: &str,
        line: Option<usize>,
        earlier: &BTreeSet<&str>,
        used: &mut BTreeSet<String>,
    ) {
        let parsed = match tera::Template::new(field, None, source) {
            Ok(t) => Names::of(&t.ast),
            Err(e) => {
                let message = one_line(&crate::sandbox::message(&e));
                self.add(
                    "bundle.toml",
                    line,
                    Rule::Syntax,
                    format!("{field} of `{name}` does not parse: {message}"),
                );
                return;
            }
        };
        for var in parsed.free() {
            used.insert(var.to_string());
            if !earlier.contains(var) && !BUILTINS.contains(&var) {
                self.add(
                    "bundle.toml",
                    line,
                    Rule::UndefinedVariable,
                    format!("{field} of `{name}` uses `{var}`, which no earlier question defines (questions are asked in order)"),
                );
            }
        }
    }

    /// `min`/`max` that cannot be right for the type, defaults and choices the question's own
    /// validation refuses. A default the manifest already refused is not reported twice.
    fn validation(&mut self, i: usize, q: &super::Question, problems: &[super::manifest::Problem]) {
        let key = |field: &str| key_line(self.text, &format!("questions[{i}].{field}"));
        if let (Some(v), super::QuestionType::Int) = (&q.validation, q.kind) {
            for (which, bound) in [("min", v.min), ("max", v.max)] {
                if let Some(b) = bound.filter(|b| b.fract() != 0.0) {
                    self.add(
                        "bundle.toml",
                        key("validation"),
                        Rule::MinMaxType,
                        format!("questions[{i}].validation ({}): {which} = {b} is not a whole number, and `{}` is an int question", q.name, q.name),
                    );
                }
            }
        }
        let refused = problems
            .iter()
            .any(|p| p.key.starts_with(&format!("questions[{i}].default")));
        if let Some(default) = q.default.as_ref().filter(|_| !refused) {
            let tera = default
                .as_str()
                .is_some_and(|s| s.contains("{{") || s.contains("{%"));
            if !tera {
                if let Ok(value) = answers::from_toml(q, default) {
                    if let Err(why) = answers::validate(q, &value) {
                        self.add(
                            "bundle.toml",
                            key("default"),
                            Rule::InvalidDefault,
                            format!("questions[{i}].default ({}): the default fails the question's own validation: {why}", q.name),
                        );
                    }
                }
            }
        }
        if q.validation.as_ref().is_some_and(|v| v.regex.is_some()) {
            for choice in &q.choices {
                let value = match q.kind {
                    super::QuestionType::Multichoice => answers::Value::List(vec![choice.clone()]),
                    _ => answers::Value::String(choice.clone()),
                };
                if let Err(why) = answers::validate(q, &value) {
                    self.add(
                        "bundle.toml",
                        key("choices"),
                        Rule::InvalidChoice,
                        format!("questions[{i}].choices ({}): `{choice}` fails the question's own validation: {why}", q.name),
                    );
                }
            }
        }
    }

    /// Prerelease and order against the previous release; migrations for no release.
    fn releases(&mut self, manifest: &Manifest, releases: &[(Version, std::path::PathBuf)]) {
        let Some((previous, _)) = releases.last() else {
            return;
        };
        let version = &manifest.bundle.version;
        let line = key_line(self.text, "bundle.version");
        if !version.pre.is_empty() {
            self.add(
                "bundle.toml",
                line,
                Rule::Prerelease,
                format!("bundle.version: {version} is a prerelease; a release folder holds a release (drop `-{}`)", version.pre),
            );
        }
        if version <= previous {
            self.add(
                "bundle.toml",
                line,
                Rule::VersionOrder,
                format!(
                    "bundle.version: {version} is not newer than the previous release {previous}"
                ),
            );
        }
        for (i, m) in manifest.migrations.iter().enumerate() {
            let released = &m.version == version || releases.iter().any(|(v, _)| *v == m.version);
            if !released && m.version < *version {
                self.add(
                    "bundle.toml",
                    key_line(self.text, &format!("migrations[{i}].version")),
                    Rule::MigrationVersion,
                    format!("migrations[{i}]: version {} is no release of this bundle (releases: {}); an upgrade runs a migration when it crosses its version, so use the release that made the change", m.version,
                        releases.iter().map(|(v, _)| v.to_string()).chain([version.to_string()]).collect::<Vec<_>>().join(", ")),
                );
            }
        }
    }

    /// `locked` and `seed` globs that match nothing any answer set renders.
    fn globs(&mut self, bundle: &Bundle) {
        let Some(rendered) = rendered_paths(bundle) else {
            return;
        };
        let files = &bundle.manifest.files;
        for (field, globs) in [("locked", &files.locked), ("seed", &files.seed)] {
            for g in globs {
                let matcher = super::Policies::new(&super::manifest::FilePolicies {
                    locked: vec![g.clone()],
                    seed: Vec::new(),
                });
                let hit = rendered
                    .iter()
                    .any(|p| matcher.of(p) == super::Policy::Locked);
                if !hit {
                    self.add(
                        "bundle.toml",
                        string_line(self.text, g),
                        Rule::UnmatchedGlob,
                        format!("files.{field}: `{g}` matches no rendered path for any answer set (defaults, each choice, each bool flipped)"),
                    );
                }
            }
        }
    }

    /// Migrations of this release that rename or delete what the previous one never rendered.
    fn migration_paths(&mut self, manifest: &Manifest, previous: &Bundle) {
        let Some(rendered) = rendered_paths(previous) else {
            return;
        };
        for (i, m) in manifest.migrations.iter().enumerate() {
            if m.version <= *previous.version() {
                continue;
            }
            let paths = [
                m.rename.as_ref().map(|r| r.from.as_str()),
                m.delete.as_deref(),
            ];
            for path in paths.into_iter().flatten() {
                let path = path.trim_end_matches('/');
                if !rendered.iter().any(|p| p.is_within(path)) {
                    self.add(
                        "bundle.toml",
                        key_line(self.text, &format!("migrations[{i}].version")),
                        Rule::MigrationPath,
                        format!("migrations[{i}]: `{path}` is not rendered by the previous release {} for any answer set, so this migration never acts", previous.version()),
                    );
                }
            }
        }
    }
}

/// Every path the bundle renders for some answer set of its [`matrix`]; `None` when no set
/// renders (nothing can then be said of its globs).
fn rendered_paths(bundle: &Bundle) -> Option<BTreeSet<RelPath>> {
    let mut paths = BTreeSet::new();
    let mut any = false;
    for set in matrix::matrix(&bundle.manifest.questions) {
        let Ok(answers) = matrix::answers(&bundle.manifest.questions, &set) else {
            continue;
        };
        if let Ok(tree) = crate::render::render(bundle, &answers) {
            any = true;
            paths.extend(tree.into_keys());
        }
    }
    any.then_some(paths)
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first line of `text` holding `word` as a whole word, preferring a line inside tera
/// delimiters (the syntax tree has no positions).
fn word_line(text: &str, word: &str) -> Option<usize> {
    let is_word = |line: &str| {
        line.match_indices(word).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            let after = line[at + word.len()..].chars().next();
            let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            !ident(before) && !ident(after)
        })
    };
    let tera = |line: &str| line.contains("{{") || line.contains("{%");
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .position(|l| tera(l) && is_word(l))
        .or_else(|| lines.iter().position(|l| is_word(l)))
        .map(|i| i + 1)
}

/// The line of the manifest holding the string `value` (a glob), quoted.
fn string_line(text: &str, value: &str) -> Option<usize> {
    let quoted = [format!("\"{value}\""), format!("'{value}'")];
    text.lines()
        .position(|l| quoted.iter().any(|q| l.contains(q.as_str())))
        .map(|i| i + 1)
}

/// The line of a manifest key as [`Manifest::validate`] names it (`bundle.name`,
/// `questions[2].default (db)`, `migrations[0] (version 2.0.0)`): the key's own line, else its
/// table's header.
fn key_line(text: &str, key: &str) -> Option<usize> {
    let path = key.split(' ').next().unwrap_or(key);
    let (table, index, field) = match path.split_once('[') {
        Some((table, rest)) => {
            let (i, rest) = rest.split_once(']')?;
            (
                table,
                Some(i.parse::<usize>().ok()?),
                rest.trim_start_matches('.'),
            )
        }
        None => {
            let (table, field) = path.split_once('.').unwrap_or((path, ""));
            (table, None, field)
        }
    };
    let field = field.split('.').next().unwrap_or("");
    let header = match index {
        Some(_) => format!("[[{table}]]"),
        None => format!("[{table}]"),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut seen = 0;
    let start = lines.iter().position(|l| {
        if l.trim() == header {
            seen += 1;
            return seen > index.unwrap_or(0);
        }
        false
    })?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    let own = (!field.is_empty())
        .then(|| {
            lines[start + 1..end].iter().position(|l| {
                l.trim_start()
                    .strip_prefix(field)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
        })
        .flatten();
    Some(own.map_or(start, |i| start + 1 + i) + 1)
}

/// The findings by rule, for summaries: `3 problems (2 undefined-variable, 1 unused-question)`.
pub fn summary(findings: &[Finding]) -> String {
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *by_rule.entry(f.rule.id()).or_default() += 1;
    }
    let parts: Vec<String> = by_rule.iter().map(|(r, n)| format!("{n} {r}")).collect();
    format!(
        "{} problem{} ({})",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "[bundle]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[questions]]\nname = \"x\"\ntype = \"int\"\ndefault = 3\n\n[[questions]]\nname = \"y\"\ntype = \"bool\"\nwhen = \"x > 1\"\n[files]\nlocked = [\"a/**\"]\n[[migrations]]\nversion = \"1.0.0\"\ndelete = \"z\"\n";

    #[test]
    fn keys_are_found_on_their_lines() {
        let table = [
            ("bundle.name", Some(2)),
            ("bundle.version", Some(3)),
            ("questions[0].default (x)", Some(8)),
            ("questions[1].when (y)", Some(13)),
            ("questions[1].validation.regex (y)", Some(10)),
            ("files.locked", Some(15)),
            ("migrations[0] (version 1.0.0)", Some(16)),
            ("migrations[0].version", Some(17)),
            ("questions[5].name", None),
        ];
        for (key, want) in table {
            assert_eq!(key_line(MANIFEST, key), want, "{key}");
        }
        assert_eq!(string_line(MANIFEST, "a/**"), Some(15));
    }

    #[test]
    fn words_are_found_inside_tera_first() {
        let text = "name: x\n{{ service_x }}\n{{ x }}\n";
        assert_eq!(word_line(text, "x"), Some(3));
        assert_eq!(word_line(text, "nowhere"), None);
    }
}
