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

mod engine;
mod limits;

pub use engine::{context, error_line, message, Engine};
pub use limits::{Limit, Limits};

use crate::answers::Answers;
use crate::bundle::Bundle;
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
    #[error("template/{file}: its path renders to `{rendered}`, which is not allowed: {reason}")]
    Path {
        file: String,
        rendered: String,
        reason: String,
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
    let mut sources = Vec::new();
    for ((path, file), name) in bundle.partials.iter().zip(&partial_names) {
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
    for (name, text) in &sources {
        limits::check_source(text, &limits).map_err(|(limit, line)| Error::Limit {
            file: limits::display_name(name),
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
    limits::check_graph(&engine.tera, &limits).map_err(|(name, limit)| Error::Limit {
        file: limits::display_name(&name),
        line: None,
        limit,
    })?;
    for t in engine.tera.templates.values_mut() {
        limits::instrument(t);
    }

    let mut out = Tree::new();
    let mut total = 0usize;
    let mut came_from: HashMap<RelPath, &RelPath> = HashMap::new();
    let mut parts_cache: HashMap<&str, String> = HashMap::new();
    for (path, file) in &bundle.template {
        let name = format!("template/{path}");
        engine.budget.start(&name, false);
        let Some(rendered_path) = render_path(&mut engine, &ctx, path, &mut parts_cache)? else {
            continue;
        };
        let rel = RelPath::new(&rendered_path).map_err(|e| Error::Path {
            file: path.to_string(),
            rendered: rendered_path.clone(),
            reason: reason_of(&e),
        })?;
        // Nor inside it, as if it were a folder: writing the project would then fail half-way.
        if rel.is_within(ANSWERS_FILE) {
            return Err(Error::Path {
                file: path.to_string(),
                rendered: rendered_path,
                reason: format!("{ANSWERS_FILE} is written by goldpath itself"),
            });
        }
        if let Some(first) = came_from.get(&rel) {
            return Err(Error::Collision {
                first: first.to_string(),
                second: path.to_string(),
                path: rel.to_string(),
            });
        }
        let bytes = if path.as_str().ends_with(TEMPLATE_SUFFIX) {
            let max = limits.file_output;
            let mut w = limits::Capped::new(max, Limit::FileOutput { max }, &engine.budget);
            let rendered = engine.tera.render_to(path.as_str(), &ctx, &mut w);
            if let Some(limit) = engine.budget.take_hit() {
                return Err(Error::Limit {
                    file: name,
                    line: None,
                    limit,
                });
            }
            rendered.map_err(|e| template_error(path.as_str(), &e))?;
            w.buf
        } else {
            file.bytes.clone()
        };
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
    Ok(out)
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
    bundle.template.keys().find_map(|path| {
        let out = render_path(&mut engine, &ctx, path, &mut cache).ok()??;
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
fn render_path<'a>(
    engine: &mut Engine,
    ctx: &tera::Context,
    path: &'a RelPath,
    cache: &mut HashMap<&'a str, String>,
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
        if rendered.trim().is_empty() {
            return Ok(None);
        }
        // A part must stay one part: an answer holding `/` must not create folders or escape.
        if rendered.contains('/') || rendered.contains('\\') {
            return Err(Error::Path {
                file: path.to_string(),
                rendered: rendered.clone(),
                reason: "a rendered path part contains a path separator".into(),
            });
        }
        parts.push(rendered);
    }
    Ok(Some(parts.join("/")))
}

/// Adds `sources` to `tera` one by one, so a syntax error names its file. tera also checks
/// `extends` and `import` on each add, which fails for a template whose parent is added later
/// (`docs/index` extends `docs/layout`); such a template is kept all the same, and those checks
/// are made once every template is in.
fn add_templates(tera: &mut tera::Tera, sources: &[(&str, &str)]) -> Result<(), Error> {
    for (name, text) in sources {
        if let Err(e) = tera.add_raw_template(name, text) {
            if !tera.get_template_names().any(|n| n == *name) {
                return Err(template_error(name, &e));
            }
        }
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

fn template_error(name: &str, e: &tera::Error) -> Error {
    let message = message(e);
    // Partials are registered under their bundle-relative path; templates under theirs in template/.
    let file = if name.starts_with(PARTIALS) {
        name.to_string()
    } else {
        format!("template/{name}")
    };
    Error::Template {
        file,
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
            .map(|(p, t)| (RelPath::new(p).unwrap(), File::new(*t)))
            .collect();
        Bundle {
            manifest,
            template,
            hooks: Tree::new(),
            partials: Tree::new(),
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
            let b = bundle(&[(path, "")]);
            let err = render(&b, &answers(&[("name", ".goldpath.toml")]))
                .unwrap_err()
                .to_string();
            assert!(err.contains("written by goldpath itself"), "{err}");
        }
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
