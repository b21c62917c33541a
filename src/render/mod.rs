//! Renders a bundle with its answers into a [`Tree`] in memory. Writes nothing.
//!
//! - Files ending in `.tera` are tera templates; the suffix is dropped. Every other file is
//!   copied byte for byte, so Helm's and GitHub Actions' own `{{ }}` need no escaping.
//! - Each path part may hold tera (`{{ service_name }}`, `{% if ci == "github" %}.github{% endif %}`);
//!   a part that renders empty skips the file, or the whole folder.
//! - Rendered paths are checked ([`RelPath`]): nothing can land outside the project, in `.git`,
//!   or on top of the answers file.
//! - A render is bounded in time, memory, output, loops, recursion and nesting ([`Limits`]): a
//!   bundle is untrusted input.

pub use crate::sandbox::{context, error_line, message, Engine, Limit, Limits};

mod fold;

/// For the fuzz harness: whether a template parses alike with its text folded ([`fold`]).
#[doc(hidden)]
pub use fold::agrees as folds_alike;

use crate::answers::Answers;
use crate::bundle::Bundle;
use crate::sandbox::limits;
use crate::tree::{File, RelPath, Tree, ANSWERS_FILE};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `file` is the bundle-relative path: `template/...` or `partials/...`.
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        file: String,
        line: Option<usize>,
        message: String,
    },
    /// `rendered` is shown with control and invisible characters escaped and secret answers
    /// hidden; `from` names the answers the refused part was made from (see [`Sources::note`]).
    #[error(
        "template/{file}: its path renders to `{rendered}`, which is not allowed: {reason}{from}"
    )]
    Path {
        file: String,
        rendered: String,
        reason: String,
        from: String,
    },
    /// Two rendered paths (or folders on them) that are one on macOS and Windows.
    /// `rendered` holds the two rendered names (boxed: every `Result` of the crate carries this).
    #[error("template/{first} and template/{second} render to `{}` and `{}`, which differ only in {}: on macOS and Windows they would be one file; rename one of them{from}",
        rendered.0, rendered.1, twin_kind(&rendered.0, &rendered.1))]
    Twins {
        first: String,
        second: String,
        rendered: Box<(String, String)>,
        from: String,
    },
    /// A render stopped at one of [`Limits`]; `file` as in `Template`.
    #[error("{file}{}: stopped: {limit} (goldpath's limit for a render; see \"Limits\" in docs/bundles.md)", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Limit {
        file: String,
        line: Option<usize>,
        limit: Limit,
    },
    #[error("the answer to `{name}` is {bytes} bytes long; answers may be at most {max} bytes")]
    Answer {
        name: String,
        bytes: usize,
        max: usize,
    },
    #[error("template/{first} and template/{second} both render to `{path}`; make their path conditions exclusive")]
    Collision {
        first: String,
        second: String,
        path: String,
    },
}

/// The suffix that marks a file as a tera template.
pub const TEMPLATE_SUFFIX: &str = ".tera";

/// The name prefix of the bundle's include-only templates (its `partials/` folder).
const PARTIALS: &str = "partials/";

/// Renders every file of `bundle` with `answers`, within [`Limits::DEFAULT`].
pub fn render(bundle: &Bundle, answers: &Answers) -> Result<Tree, Error> {
    render_with(bundle, answers, Limits::DEFAULT)
}

/// Renders every file of `bundle` with `answers` on a thread of its own, which `limits` bound in
/// time and memory (see [`limits::on_worker`]).
pub fn render_with(bundle: &Bundle, answers: &Answers, limits: Limits) -> Result<Tree, Error> {
    for (name, value) in answers {
        let bytes = match value {
            crate::answers::Value::String(s) => s.len(),
            crate::answers::Value::List(l) => l.iter().map(String::len).sum(),
            _ => 0,
        };
        if bytes > limits.answer {
            return Err(Error::Answer {
                name: name.clone(),
                bytes,
                max: limits.answer,
            });
        }
    }
    let budget = Arc::new(limits::Budget::new(limits));
    let (bundle, answers, b) = (bundle.clone(), answers.clone(), Arc::clone(&budget));
    limits::on_worker(&budget, limits.stack, move || {
        render_here(&bundle, &answers, b)
    })
    .unwrap_or_else(|stopped| {
        Err(Error::Limit {
            file: stopped.file,
            line: None,
            limit: stopped.limit,
        })
    })
}

fn render_here(
    bundle: &Bundle,
    answers: &Answers,
    budget: Arc<limits::Budget>,
) -> Result<Tree, Error> {
    let limits = budget.limits;
    // Until the first file renders, a stop is the parse's.
    budget.start(
        &format!(
            "bundle {} {} (parsing its templates)",
            bundle.name(),
            bundle.version()
        ),
        false,
    );
    let mut engine = Engine::with_budget(budget);
    let mut ctx = context(answers);
    ctx.insert(
        "_bundle",
        &serde_json::json!({ "name": bundle.name(), "version": bundle.version().to_string() }),
    );

    // Register every template first, so `{% include %}`, `{% import %}` and `{% extends %}`
    // between them work, and every syntax error is found before anything renders.
    let partial_names: Vec<String> = bundle
        .partials
        .keys()
        .map(|p| format!("{PARTIALS}{p}"))
        .collect();
    let templates = template_sources(bundle, &partial_names)?;
    parse_templates(&mut engine, &templates)?;

    let sources = Sources::new(bundle, answers);
    let mut out = Tree::new();
    let mut total = 0usize;
    let mut came_from: HashMap<RelPath, &RelPath> = HashMap::new();
    let mut parts_cache: HashMap<&str, String> = HashMap::new();
    for (path, file) in &bundle.template {
        let name = format!("template/{path}");
        engine.budget.start(&name, false);
        let Some(rendered_path) = render_path(&mut engine, &ctx, path, &mut parts_cache, &sources)?
        else {
            continue;
        };
        let rel = checked_path(path, &rendered_path, &sources)?;
        if let Some(first) = came_from.get(&rel) {
            return Err(Error::Collision {
                first: first.to_string(),
                second: path.to_string(),
                path: rel.to_string(),
            });
        }
        let bytes = file_bytes(&mut engine, &ctx, path, file, &name)?;
        total += bytes.len();
        if total > limits.total_output {
            return Err(Error::Limit {
                file: name,
                line: None,
                limit: Limit::TotalOutput {
                    max: limits.total_output,
                },
            });
        }
        came_from.insert(rel.clone(), path);
        out.insert(
            rel,
            File {
                bytes,
                executable: file.executable,
            },
        );
    }
    check_twins(&came_from, &sources)?;
    Ok(out)
}

/// The source of every template of `bundle` by the name it is registered under: its partials
/// (named `partial_names`, in order) and its `.tera` files. Each must be UTF-8, and no partial
/// may share a template's name.
fn template_sources<'a>(
    bundle: &'a Bundle,
    partial_names: &'a [String],
) -> Result<Vec<(&'a str, &'a str)>, Error> {
    let mut sources = Vec::new();
    for ((path, file), name) in bundle.partials.iter().zip(partial_names) {
        let text = std::str::from_utf8(&file.bytes).map_err(|_| Error::Template {
            file: name.clone(),
            line: None,
            message: "is not UTF-8 text; partials are tera templates".into(),
        })?;
        if bundle.template.contains_key(path) || bundle.template.keys().any(|t| t.as_str() == name)
        {
            return Err(Error::Template {
                file: name.clone(),
                line: None,
                message: "has the same name as a template file; rename one".into(),
            });
        }
        sources.push((name.as_str(), text));
    }
    for (path, file) in &bundle.template {
        if path.as_str().ends_with(TEMPLATE_SUFFIX) {
            let text = std::str::from_utf8(&file.bytes).map_err(|_| Error::Template {
                file: format!("template/{path}"),
                line: None,
                message: "is not UTF-8 text; only text files may end in .tera".into(),
            })?;
            sources.push((path.as_str(), text));
        }
    }
    Ok(sources)
}

/// Checks, parses and links every template of `sources` (name, text) into `engine`, then
/// checks the include and import graphs and guards every template (see [`limits`]).
fn parse_templates(engine: &mut Engine, sources: &[(&str, &str)]) -> Result<(), Error> {
    let limits = engine.budget.limits;
    for (name, text) in sources {
        limits::check_source(text, &limits).map_err(|(limit, line)| Error::Limit {
            file: display_name(name),
            line: Some(line),
            limit,
        })?;
    }
    // Parsing is most of a render (tera's parser costs about a thousand instructions a byte), so
    // the templates are parsed in two halves on two threads and joined.
    let total: usize = sources.iter().map(|(_, t)| t.len()).sum();
    let mut seen = 0;
    let split = sources
        .iter()
        .position(|(_, t)| {
            seen += t.len();
            seen * 2 >= total
        })
        .map_or(sources.len(), |i| i + 1);
    let (first, second) = sources.split_at(split);
    let mut other = tera::Tera::default();
    let (mine, theirs) = std::thread::scope(|scope| {
        let helper = scope.spawn(|| add_templates(&mut other, second));
        let mine = add_templates(&mut engine.tera, first);
        (
            mine,
            helper
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    });
    mine?;
    theirs?;
    // `extend` copies every template, then links them; a linking error is reported just below,
    // with the template it concerns.
    let _ = engine.tera.extend(&other);
    engine
        .tera
        .build_inheritance_chains()
        .and_then(|()| engine.tera.check_macro_files())
        .map_err(|e| chain_error(&e))?;
    limits::check_graph(&engine.tera, &limits, display_name).map_err(|(name, limit)| {
        Error::Limit {
            file: display_name(&name),
            line: None,
            limit,
        }
    })?;
    for t in engine.tera.templates.values_mut() {
        limits::instrument(t);
    }
    Ok(())
}

/// The rendered path of the template file `path`, refused when it is not a [`RelPath`], or when
/// it is the answers file, lies inside it as if it were a folder (writing the project would then
/// fail half-way) or is its case or Unicode twin (the same file on macOS and Windows).
fn checked_path(path: &RelPath, rendered_path: &str, sources: &Sources) -> Result<RelPath, Error> {
    let rel = RelPath::new(rendered_path).map_err(|e| Error::Path {
        file: path.to_string(),
        rendered: sources.shown(rendered_path),
        reason: reason_of(&e),
        from: sources.note(path.as_str()),
    })?;
    if is_answers_file(&rel) {
        return Err(Error::Path {
            file: path.to_string(),
            rendered: sources.shown(rendered_path),
            reason: format!("{ANSWERS_FILE} is written by goldpath itself"),
            from: sources.note(path.as_str()),
        });
    }
    Ok(rel)
}

/// The bytes of the template file `path` (`name` in messages): rendered within the file's
/// output limit if it is a tera template, else copied.
fn file_bytes(
    engine: &mut Engine,
    ctx: &tera::Context,
    path: &RelPath,
    file: &File,
    name: &str,
) -> Result<Vec<u8>, Error> {
    if !path.as_str().ends_with(TEMPLATE_SUFFIX) {
        return Ok(file.bytes.clone());
    }
    let max = engine.budget.limits.file_output;
    let mut w = limits::Capped::new(max, Limit::FileOutput { max }, &engine.budget);
    let rendered = engine.tera.render_to(path.as_str(), ctx, &mut w);
    if let Some(limit) = engine.budget.take_hit() {
        return Err(Error::Limit {
            file: name.to_string(),
            line: None,
            limit,
        });
    }
    rendered.map_err(|e| template_error(path.as_str(), &e))?;
    Ok(w.buf)
}

/// Refuses two rendered paths that differ only in letter case or Unicode form (NFC `café` and
/// NFD `café`), file or folder at any level (`Docs/a` and `docs/b`): macOS and Windows hold
/// them as one, so one file would overwrite the other there, or the checkout would fail.
fn check_twins(came_from: &HashMap<RelPath, &RelPath>, sources: &Sources) -> Result<(), Error> {
    use unicode_normalization::UnicodeNormalization;
    let fold = |s: &str| -> String { s.to_lowercase().nfc().collect() };
    // In the bundle's order, so the first-named file is the first in `template/`.
    let mut sorted: Vec<(&RelPath, &&RelPath)> = came_from.iter().collect();
    sorted.sort_by_key(|(rendered, template)| (**template, *rendered));
    // Folded name -> (the name as rendered, the template file that made it).
    let mut seen: HashMap<String, (&str, &RelPath)> = HashMap::new();
    // Names already folded: a folder is checked once, not once for each file in it.
    let mut done: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (rendered, template) in sorted {
        let path = rendered.as_str();
        let ends = path.match_indices('/').map(|(i, _)| i).chain([path.len()]);
        for end in ends {
            let name = &path[..end];
            if !done.insert(name) {
                continue;
            }
            let folded = fold(name);
            match seen.get(&folded) {
                Some((other, first)) if *other != name => {
                    let notes: Vec<String> = [first.as_str(), template.as_str()]
                        .iter()
                        .map(|t| sources.note(t))
                        .filter(|n| !n.is_empty())
                        .collect();
                    return Err(Error::Twins {
                        first: first.to_string(),
                        second: template.to_string(),
                        rendered: Box::new((sources.shown(other), sources.shown(name))),
                        from: notes.concat(),
                    });
                }
                Some(_) => {}
                None => {
                    seen.insert(folded, (name, template));
                }
            }
        }
    }
    Ok(())
}

/// Whether `path` is the answers file, lies inside it, or is its twin on macOS and Windows
/// (`.GoldPath.toml`).
fn is_answers_file(path: &RelPath) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let first = path.as_str().split('/').next().unwrap_or_default();
    first.to_lowercase().nfc().eq(ANSWERS_FILE.chars())
}

/// How two twin names differ, for [`Error::Twins`].
fn twin_kind(a: &str, b: &str) -> &'static str {
    use unicode_normalization::UnicodeNormalization;
    if a.nfc().eq(b.nfc()) {
        "Unicode form (composed or decomposed accents, NFC and NFD)"
    } else if a.to_lowercase() == b.to_lowercase() {
        "letter case"
    } else {
        "letter case and Unicode form"
    }
}

/// What a rendered path was made from, for error messages: the answers each template path
/// part names, shown as `name = "value"`, except secrets, which are named and never shown.
struct Sources<'a> {
    answers: &'a Answers,
    secrets: Vec<&'a str>,
    secret_values: Vec<String>,
}

impl<'a> Sources<'a> {
    fn new(bundle: &'a Bundle, answers: &'a Answers) -> Sources<'a> {
        let secrets: Vec<&str> = bundle
            .manifest
            .questions
            .iter()
            .filter(|q| q.kind == crate::bundle::QuestionType::Secret)
            .map(|q| q.name.as_str())
            .collect();
        let secret_values = secrets
            .iter()
            .filter_map(|name| answers.get(*name))
            .map(|v| v.to_string())
            .filter(|v| !v.is_empty())
            .collect();
        Sources {
            answers,
            secrets,
            secret_values,
        }
    }

    /// `text` for a message: secret values replaced by `***`, and control and invisible
    /// characters escaped (`\n`, `\u{200b}`), so the message shows what is really there.
    fn shown(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secret_values {
            text = text.replace(secret.as_str(), "***");
        }
        text.chars()
            .map(|c| match c {
                '\n' => "\\n".to_string(),
                '\r' => "\\r".to_string(),
                '\t' => "\\t".to_string(),
                c if c.is_control() || crate::tree::is_invisible(c) => {
                    format!("\\u{{{:x}}}", c as u32)
                }
                c => c.to_string(),
            })
            .collect()
    }

    /// ` (from the answer `name` = "value")` for the answers `template` (a path or one part of
    /// one, as written in the bundle) names in its tera, or `""` when it names none.
    fn note(&self, template: &str) -> String {
        let mut names: Vec<&str> = Vec::new();
        for block in tera_blocks(template) {
            for word in block.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if self.answers.contains_key(word) && !names.contains(&word) {
                    names.push(word);
                }
            }
        }
        if names.is_empty() {
            return String::new();
        }
        let shown: Vec<String> = names
            .iter()
            .map(|name| {
                if self.secrets.contains(name) {
                    format!("`{name}` (a secret, not shown)")
                } else {
                    match &self.answers[*name] {
                        crate::answers::Value::String(v) => {
                            format!("`{name}` = \"{}\"", self.shown(v))
                        }
                        v => format!("`{name}` = {}", self.shown(&v.to_string())),
                    }
                }
            })
            .collect();
        format!(
            " (from the answer{} {})",
            if names.len() == 1 { "" } else { "s" },
            shown.join(", ")
        )
    }
}

/// The insides of the `{{ }}` and `{% %}` blocks of `template`.
fn tera_blocks(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{']) {
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let inner = &after[1..];
        match inner.find(close) {
            Some(end) => {
                out.push(&inner[..end]);
                rest = &inner[end + close.len()..];
            }
            None => {
                out.push(inner);
                break;
            }
        }
    }
    out
}

/// The template file (`template/...`) that renders to `rendered` (a path in the project, or a
/// folder of it) with `answers`, and the answers its path names: for errors about a rendered
/// file, such as a failed write.
pub fn template_of(
    bundle: &Bundle,
    answers: &Answers,
    rendered: &str,
) -> Option<(String, Vec<String>)> {
    let mut engine = Engine::new();
    let mut ctx = context(answers);
    ctx.insert(
        "_bundle",
        &serde_json::json!({ "name": bundle.name(), "version": bundle.version().to_string() }),
    );
    let mut cache = HashMap::new();
    let sources = Sources::new(bundle, answers);
    bundle.template.keys().find_map(|path| {
        let out = render_path(&mut engine, &ctx, path, &mut cache, &sources).ok()??;
        if out != rendered && !out.starts_with(&format!("{rendered}/")) {
            return None;
        }
        let used = answers
            .keys()
            .filter(|name| {
                path.as_str()
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|word| word == name.as_str())
            })
            .cloned()
            .collect();
        Some((format!("template/{path}"), used))
    })
}

/// The rendered path of one template file, or `None` when a part renders empty.
///
/// Only an exactly empty part skips the file (`{% if x %}.github{% endif %}`); a part that
/// renders to whitespace is an error, since the whitespace nearly always comes from an answer
/// and a file silently missing is worse. Each rendered part is checked on its own
/// ([`crate::tree::check_part`]), so the error names the answers the bad part was made from.
fn render_path<'a>(
    engine: &mut Engine,
    ctx: &tera::Context,
    path: &'a RelPath,
    cache: &mut HashMap<&'a str, String>,
    sources: &Sources,
) -> Result<Option<String>, Error> {
    let raw = path
        .as_str()
        .strip_suffix(TEMPLATE_SUFFIX)
        .unwrap_or(path.as_str());
    let mut parts = Vec::new();
    for part in raw.split('/') {
        let rendered = if part.contains("{{") || part.contains("{%") {
            match cache.get(part) {
                Some(r) => r.clone(),
                None => {
                    let r = engine
                        .render_str(part, ctx)
                        .map_err(|message| Error::Template {
                            file: format!("template/{path}"),
                            line: None,
                            message: format!("in its path: {message}"),
                        })?;
                    cache.insert(part, r.clone());
                    r
                }
            }
        } else {
            part.to_string()
        };
        if rendered.is_empty() {
            return Ok(None);
        }
        parts.push((part, rendered));
    }
    let whole = parts
        .iter()
        .map(|(_, r)| r.as_str())
        .collect::<Vec<_>>()
        .join("/");
    for (part, rendered) in &parts {
        let reason = if rendered.trim().is_empty() {
            // `trim` knows Unicode's spaces; the invisible characters it does not are refused
            // by `check_part`.
            Some("a path part renders to only whitespace; only a part that renders to nothing at all skips the file: check the answer, or make the template render `` instead")
        } else if rendered.contains('/') || rendered.contains('\\') {
            // A part must stay one part: an answer holding `/` must not create folders or escape.
            Some("a rendered path part contains a path separator")
        } else {
            crate::tree::check_part(rendered).err()
        };
        if let Some(reason) = reason {
            return Err(Error::Path {
                file: path.to_string(),
                // A separator makes parts of the whole path ambiguous: show the part alone.
                rendered: sources.shown(if reason.contains("separator") {
                    rendered
                } else {
                    &whole
                }),
                reason: reason.to_string(),
                from: sources.note(part),
            });
        }
    }
    Ok(Some(whole))
}

/// Parses `sources` into `tera` one by one, so a syntax error names its file, with their text
/// folded ([`fold`]). Linking them (`extends`, `import`) waits until every template is in, as a
/// template may extend one added after it (`docs/index` extends `docs/layout`): tera's
/// `add_raw_template` would link them all again after each add.
fn add_templates(tera: &mut tera::Tera, sources: &[(&str, &str)]) -> Result<(), Error> {
    for (name, text) in sources {
        let template = fold::parse(name, text).map_err(|e| {
            // As tera's `add_raw_template` says it.
            template_error(
                name,
                &tera::Error::chain(format!("Failed to parse '{name}'"), e),
            )
        })?;
        tera.templates.insert(name.to_string(), template);
    }
    Ok(())
}

/// An error from linking templates together (`extends`), named by the template that links.
fn chain_error(e: &tera::Error) -> Error {
    let file = match &e.kind {
        tera::ErrorKind::MissingParent { current, .. } => current.as_str(),
        tera::ErrorKind::CircularExtend { tpl, .. } => tpl.as_str(),
        _ => "",
    };
    template_error(file, e)
}

/// A template's name as the user knows it: its path in the bundle. Partials are registered
/// under their bundle-relative path; templates under theirs in template/.
fn display_name(name: &str) -> String {
    if name.starts_with(PARTIALS) {
        name.to_string()
    } else {
        format!("template/{name}")
    }
}

fn template_error(name: &str, e: &tera::Error) -> Error {
    let message = message(e);
    Error::Template {
        file: display_name(name),
        line: error_line(&message),
        message,
    }
}

fn reason_of(e: &crate::tree::Error) -> String {
    match e {
        crate::tree::Error::BadPath { reason, .. } => reason.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Value;
    use crate::bundle::{Manifest, Origin, SourceSpec};

    fn bundle(files: &[(&str, &str)]) -> Bundle {
        let manifest = Manifest::parse("[bundle]\nname = \"t\"\nversion = \"1.2.3\"\n").unwrap();
        let template = files
            .iter()
            .map(|(p, t)| (RelPath::in_bundle(p).unwrap(), File::new(*t)))
            .collect();
        Bundle {
            manifest,
            template,
            hooks: Tree::new(),
            partials: Tree::new(),
            changelog: None,
            origin: Origin {
                source: SourceSpec::Builtin,
                commit: None,
            },
        }
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect()
    }

    fn paths(tree: &Tree) -> Vec<&str> {
        tree.keys().map(|p| p.as_str()).collect()
    }

    #[test]
    fn only_tera_files_render_and_paths_can_be_conditional() {
        let b = bundle(&[
            ("README.md.tera", "# {{ name }} v{{ _bundle.version }}\n"),
            (
                "chart/templates/deployment.yaml",
                "image: {{ .Values.image }}\n",
            ),
            (
                "{% if ci == 'github' %}.github{% endif %}/workflows/ci.yaml",
                "run: ${{ github.sha }}\n",
            ),
            ("{% if ci == 'gitlab' %}.gitlab-ci.yml{% endif %}", "x\n"),
            ("src/{{ name }}.rs.tera", "// {{ name }}\n"),
        ]);
        let tree = render(&b, &answers(&[("name", "orders"), ("ci", "github")])).unwrap();
        assert_eq!(
            paths(&tree),
            [
                ".github/workflows/ci.yaml",
                "README.md",
                "chart/templates/deployment.yaml",
                "src/orders.rs"
            ]
        );
        assert_eq!(
            tree[&RelPath::new("README.md").unwrap()].bytes,
            b"# orders v1.2.3\n"
        );
        assert_eq!(
            tree[&RelPath::new("chart/templates/deployment.yaml").unwrap()].bytes,
            b"image: {{ .Values.image }}\n"
        );
    }

    #[test]
    fn rendered_paths_cannot_escape() {
        for (evil, why) in [
            ("..", "`..`"),
            (".git", "`.git`"),
            ("a/../../etc", "path separator"),
        ] {
            let b = bundle(&[("{{ name }}/x", "")]);
            let err = render(&b, &answers(&[("name", evil)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{evil}: {err}");
        }
        for path in ["{{ name }}", "{{ name }}/x"] {
            for name in [".goldpath.toml", ".GoldPath.TOML"] {
                let b = bundle(&[(path, "")]);
                let err = render(&b, &answers(&[("name", name)]))
                    .unwrap_err()
                    .to_string();
                assert!(err.contains("written by goldpath itself"), "{err}");
            }
        }
    }

    #[test]
    fn dangerous_names_name_the_template_and_the_answer() {
        let b = bundle(&[("docs/{{ name }}.txt", "")]);
        let err = render(&b, &answers(&[("name", "nul")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "template/docs/{{ name }}.txt: its path renders to `docs/nul.txt`, which is not allowed: \
             it is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9, CONIN$, CONOUT$), \
             with any extension and in any case; rename it (from the answer `name` = \"nul\")"
        );
        // Control and invisible characters are shown escaped.
        let err = render(&b, &answers(&[("name", "a\nb")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("renders to `docs/a\\nb.txt`") && err.contains("`name` = \"a\\nb\""),
            "{err}"
        );
        let err = render(&b, &answers(&[("name", ".git\u{200b}")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`docs/.git\\u{200b}.txt`"), "{err}");
        // A part that is not made from an answer names none.
        let b = bundle(&[("con.txt", "")]);
        let err = render(&b, &answers(&[])).unwrap_err().to_string();
        assert!(err.ends_with("rename it"), "{err}");
    }

    #[test]
    fn a_secret_in_a_bad_path_is_named_never_shown() {
        let mut b = bundle(&[("{{ token }}/x", "")]);
        b.manifest = Manifest::parse(
            "[bundle]\nname = \"t\"\nversion = \"1.2.3\"\n\n[[questions]]\nname = \"token\"\ntype = \"secret\"\n",
        )
        .unwrap();
        let err = render(&b, &answers(&[("token", "s3cr3t:xyz")]))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cr3t"), "{err}");
        assert!(
            err.contains("renders to `***/x`")
                && err.ends_with("(from the answer `token` (a secret, not shown))"),
            "{err}"
        );
    }

    #[test]
    fn only_an_empty_part_skips_a_file_whitespace_is_an_error() {
        let b = bundle(&[("{{ name }}/x.txt", ""), ("y.txt", "")]);
        assert_eq!(
            paths(&render(&b, &answers(&[("name", "")])).unwrap()),
            ["y.txt"]
        );
        for blank in [" ", "\t", "  \n"] {
            let err = render(&b, &answers(&[("name", blank)]))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("template/{{ name }}/x.txt: ")
                    && err.contains("renders to only whitespace")
                    && err.contains("(from the answer `name` = "),
                "{blank:?}: {err}"
            );
        }
    }

    #[test]
    fn case_and_unicode_twins_are_refused() {
        for (files, name, want) in [
            (
                &[("README.md", ""), ("{{ name }}.md", "")][..],
                "Readme",
                "template/README.md and template/{{ name }}.md render to `README.md` and `Readme.md`, \
                 which differ only in letter case: on macOS and Windows they would be one file; \
                 rename one of them (from the answer `name` = \"Readme\")",
            ),
            (
                &[("Docs/a.md", ""), ("docs/b.md", "")][..],
                "",
                "template/Docs/a.md and template/docs/b.md render to `Docs` and `docs`, which differ \
                 only in letter case: on macOS and Windows they would be one file; rename one of them",
            ),
            (
                &[("caf\u{e9}.txt", ""), ("{{ name }}.txt", "")][..],
                "cafe\u{301}",
                "template/caf\u{e9}.txt and template/{{ name }}.txt render to `caf\u{e9}.txt` and \
                 `cafe\u{301}.txt`, which differ only in Unicode form (composed or decomposed accents, \
                 NFC and NFD): on macOS and Windows they would be one file; rename one of them \
                 (from the answer `name` = \"cafe\u{301}\")",
            ),
        ] {
            let b = bundle(files);
            let err = render(&b, &answers(&[("name", name)])).unwrap_err();
            assert!(matches!(err, Error::Twins { .. }), "{err}");
            assert_eq!(err.to_string(), want);
        }
        // A file and a folder of the same name in another case are twins too.
        let b = bundle(&[("A", ""), ("a/b", "")]);
        assert!(matches!(
            render(&b, &answers(&[])).unwrap_err(),
            Error::Twins { .. }
        ));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let b = bundle(&[
            ("ok.txt.tera", "fine\n"),
            ("chart/values.yaml.tera", "a: 1\nb: {{ port +  }}\n"),
        ]);
        let err = render(&b, &answers(&[])).unwrap_err();
        let Error::Template { file, line, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(
            (file.as_str(), *line),
            ("template/chart/values.yaml.tera", Some(2))
        );
        assert!(
            err.to_string()
                .starts_with("template/chart/values.yaml.tera:2: "),
            "{err}"
        );
    }

    #[test]
    fn templates_extend_and_import_templates_that_sort_after_them() {
        let b = bundle(&[
            (
                "a.md.tera",
                "{% extends \"z.md.tera\" %}{% block body %}A{% endblock %}",
            ),
            (
                "m.md.tera",
                "{% import \"macros.tera\" as m %}{{ m::hi() }}",
            ),
            ("macros.tera", "{% macro hi() %}hi{% endmacro hi %}"),
            ("z.md.tera", "[{% block body %}Z{% endblock %}]"),
        ]);
        let tree = render(&b, &answers(&[])).unwrap();
        assert_eq!(tree[&RelPath::new("a.md").unwrap()].bytes, b"[A]");
        assert_eq!(tree[&RelPath::new("m.md").unwrap()].bytes, b"hi");
        let b = bundle(&[("a.md.tera", "{% extends \"missing.tera\" %}")]);
        let err = render(&b, &answers(&[])).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "template/a.md.tera: Template 'a.md.tera' is inheriting from 'missing.tera'"
            ),
            "{err}"
        );
    }

    #[test]
    fn collisions_are_refused() {
        let b = bundle(&[("a.txt", "1"), ("{{ name }}.txt", "2")]);
        let err = render(&b, &answers(&[("name", "a")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("both render to `a.txt`"), "{err}");
    }

    #[test]
    fn partials_are_included_never_written() {
        let mut b = bundle(&[(
            "alerts.yaml.tera",
            "groups:\n{% include \"partials/rules.tera\" %}",
        )]);
        b.partials.insert(
            RelPath::new("rules.tera").unwrap(),
            File::new("  - name: {{ name }}\n"),
        );
        let tree = render(&b, &answers(&[("name", "orders")])).unwrap();
        assert_eq!(paths(&tree), ["alerts.yaml"]);
        assert_eq!(
            tree[&RelPath::new("alerts.yaml").unwrap()].bytes,
            b"groups:\n  - name: orders\n"
        );
        b.partials.insert(
            RelPath::new("broken.tera").unwrap(),
            File::new("{{ oops + }}"),
        );
        let err = render(&b, &answers(&[("name", "orders")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("partials/broken.tera:1: "), "{err}");
    }
}
