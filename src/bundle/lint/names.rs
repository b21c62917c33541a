//! What a parsed tera template names, read from tera's syntax tree (`tera::ast`) rather than
//! from its text: the variables it reads, the names it binds itself (`set`, loop variables,
//! macro arguments), and the templates it includes, imports or extends.

use std::collections::BTreeSet;
use tera::ast::{Expr, ExprVal, FunctionCall, Node};

/// The names one template (or expression) uses.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// Variables read, by their first segment (`_bundle.name` reads `_bundle`).
    pub read: BTreeSet<String>,
    /// Names the template binds itself; reading them is not reading an answer.
    pub bound: BTreeSet<String>,
    /// Templates named by `include`, `import` and `extends`.
    pub templates: BTreeSet<String>,
    /// The template reads the whole context (`__tera_context`): every answer may be used.
    pub whole_context: bool,
}

impl Names {
    /// The names of a parsed template's syntax tree.
    pub fn of(ast: &[Node]) -> Names {
        let mut names = Names::default();
        names.nodes(ast);
        names
    }

    /// The answers read: variables read that the template does not bind itself.
    pub fn free(&self) -> impl Iterator<Item = &str> {
        self.read
            .iter()
            .filter(|n| !self.bound.contains(*n))
            .map(String::as_str)
    }

    fn nodes(&mut self, body: &[Node]) {
        for node in body {
            self.node(node);
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::VariableBlock(_, e) => self.expr(e),
            Node::Set(_, s) => {
                self.bound.insert(s.key.clone());
                self.expr(&s.value);
            }
            Node::Forloop(_, f, _) => {
                self.bound.insert(f.value.clone());
                if let Some(k) = &f.key {
                    self.bound.insert(k.clone());
                }
                self.expr(&f.container);
                self.nodes(&f.body);
                if let Some(b) = &f.empty_body {
                    self.nodes(b);
                }
            }
            Node::If(i, _) => {
                for (_, cond, body) in &i.conditions {
                    self.expr(cond);
                    self.nodes(body);
                }
                if let Some((_, b)) = &i.otherwise {
                    self.nodes(b);
                }
            }
            Node::FilterSection(_, f, _) => {
                self.call(&f.filter);
                self.nodes(&f.body);
            }
            Node::MacroDefinition(_, m, _) => {
                for (arg, default) in &m.args {
                    self.bound.insert(arg.clone());
                    if let Some(d) = default {
                        self.expr(d);
                    }
                }
                self.nodes(&m.body);
            }
            Node::Block(_, b, _) => self.nodes(&b.body),
            Node::Extends(_, name) | Node::ImportMacro(_, name, _) => {
                self.templates.insert(name.clone());
            }
            Node::Include(_, names, ignore_missing) => {
                // `ignore missing` says the author expects some names not to exist.
                if !ignore_missing {
                    self.templates.extend(names.iter().cloned());
                }
            }
            Node::Super
            | Node::Text(_)
            | Node::Raw(..)
            | Node::Break(_)
            | Node::Continue(_)
            | Node::Comment(..) => {}
        }
    }

    fn expr(&mut self, e: &Expr) {
        self.val(&e.val);
        for f in &e.filters {
            self.call(f);
        }
    }

    fn call(&mut self, f: &FunctionCall) {
        for a in f.args.values() {
            self.expr(a);
        }
    }

    fn val(&mut self, v: &ExprVal) {
        match v {
            ExprVal::Ident(name) => self.ident(name),
            ExprVal::Math(m) => {
                self.expr(&m.lhs);
                self.expr(&m.rhs);
            }
            ExprVal::Logic(l) => {
                self.expr(&l.lhs);
                self.expr(&l.rhs);
            }
            ExprVal::Test(t) => {
                // `x is defined` asks whether x exists: not a use of an answer that must exist.
                if !matches!(t.name.as_str(), "defined" | "undefined") {
                    self.ident(&t.ident);
                }
                for a in &t.args {
                    self.expr(a);
                }
            }
            ExprVal::MacroCall(m) => m.args.values().for_each(|a| self.expr(a)),
            ExprVal::FunctionCall(f) => self.call(f),
            ExprVal::Array(items) => items.iter().for_each(|i| self.expr(i)),
            ExprVal::StringConcat(s) => s.values.iter().for_each(|v| self.val(v)),
            ExprVal::In(i) => {
                self.expr(&i.lhs);
                self.expr(&i.rhs);
            }
            ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => {}
        }
    }

    fn ident(&mut self, name: &str) {
        // `a.b`, `a[0]` and `a[b]` read `a` (and `b`).
        let first = name.split(['.', '[']).next().unwrap_or(name);
        if first == "__tera_context" {
            self.whole_context = true;
        } else if !first.is_empty() {
            self.read.insert(first.to_string());
        }
        for inner in name.split('[').skip(1) {
            let inner = inner.trim_end_matches(']');
            let starts_ident = inner.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            if starts_ident {
                self.ident(inner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Names {
        Names::of(&tera::Template::new("t", None, text).unwrap().ast)
    }

    #[test]
    fn reads_every_variable_from_the_syntax_tree() {
        let n = names(
            "{{ a | replace(from=b, to='x') }}{% if c and d.e > 1 %}{{ f[g] }}{% endif %}\
             {% for i in items %}{{ i }}{{ loop.index }}{% endfor %}{% set s = h ~ 'x' %}{{ s }}\
             {% if k is defined %}{{ _bundle.name }}{% endif %}{% include \"partials/p\" %}",
        );
        let free: Vec<&str> = n.free().collect();
        assert_eq!(
            free,
            ["_bundle", "a", "b", "c", "d", "f", "g", "h", "items", "loop"]
        );
        assert!(n.templates.contains("partials/p"));
    }

    #[test]
    fn macro_arguments_are_bound() {
        let n = names("{% macro m(x, y=1) %}{{ x }}{{ y }}{{ z }}{% endmacro m %}");
        let free: Vec<&str> = n.free().collect();
        assert_eq!(free, ["z"]);
    }
}
