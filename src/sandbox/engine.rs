//! The tera instance every render and every answer expression goes through, so all of them
//! share the same sandbox.

use super::limits::{self, Budget, Capped, Limit, Limits, StackBase};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tera::{Context, Tera};

/// tera with nothing that reaches outside the bundle or changes between runs.
///
/// `now()` and `get_random()` are compiled out (tera's `builtins` feature is off), because a
/// template must render the same bytes on every machine, every day: upgrade and check render
/// the recorded version again and compare. `get_env` is built into tera unconditionally, so it is
/// replaced here by a function that refuses: a bundle is untrusted input and must not read the
/// environment (tokens, CI secrets) into a project.
///
/// Every template and expression goes through [`limits`]: `range` is bounded, and loops, macros
/// and templates are guarded.
pub struct Engine {
    pub tera: Tera,
    pub budget: Arc<Budget>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        Engine::with_limits(Limits::DEFAULT)
    }

    pub fn with_limits(limits: Limits) -> Engine {
        Engine::with_budget(Arc::new(Budget::new(limits)))
    }

    /// An engine counting against `budget` (a render's, shared with its worker).
    pub fn with_budget(budget: Arc<Budget>) -> Engine {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![]);
        tera.register_function("get_env", |_: &HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
            Err(tera::Error::msg(
                "get_env is disabled: bundles may not read environment variables; ask a question instead",
            ))
        });
        budget.register(&mut tera);
        Engine { tera, budget }
    }

    /// Renders a one-off template (a default, a path part) against `context`, within the
    /// limits: its result is at most [`Limits::answer`] bytes.
    ///
    /// A default or a `when` is bundle code too: off a render's thread, one that can loop or call
    /// (`{%`, a filter, a call) is evaluated on a thread of its own, for the memory and time
    /// limits, by an engine without the templates of this one (expressions have none). A plain
    /// `{{ name }}` is not worth a thread (~40 µs).
    pub fn render_str(&mut self, template: &str, context: &Context) -> Result<String, String> {
        let plain = !template.contains("{%") && !template.contains(['|', '(']);
        if plain || limits::on_render_thread() {
            return self.render_here(template, context);
        }
        let budget = Arc::clone(&self.budget);
        let (template, context, b) = (template.to_string(), context.clone(), Arc::clone(&budget));
        budget.start("", true);
        let stack = budget.limits.stack.min(limits::EXPRESSION_STACK);
        limits::on_worker(&budget, stack, move || {
            Engine::with_budget(b).render_here(&template, &context)
        })
        .unwrap_or_else(|stopped| Err(stopped.limit.to_string()))
    }

    fn render_here(&mut self, template: &str, context: &Context) -> Result<String, String> {
        // tera's own name for one-off templates, which its messages use.
        const ONE_OFF: &str = "__tera_one_off";
        let limits = self.budget.limits;
        limits::check_source(template, &limits).map_err(|(limit, line)| {
            if template.contains('\n') {
                format!("line {line}: {limit}")
            } else {
                limit.to_string()
            }
        })?;
        let _stack = StackBase::mark(limits.stack.min(limits::EXPRESSION_STACK));
        let outer_file = self.budget.file();
        self.budget.start(&outer_file, outer_file.is_empty());
        self.tera
            .add_raw_template(ONE_OFF, template)
            .map_err(|e| message(&e))?;
        if let Some(t) = self.tera.templates.get_mut(ONE_OFF) {
            limits::instrument(t);
        }
        let mut out = Capped::new(
            limits.answer,
            Limit::Result { max: limits.answer },
            &self.budget,
        );
        let result = self.tera.render_to(ONE_OFF, context, &mut out);
        self.tera.templates.remove(ONE_OFF);
        if let Some(limit) = self.budget.take_hit() {
            return Err(limit.to_string());
        }
        result.map_err(|e| message(&e))?;
        String::from_utf8(out.buf).map_err(|_| "its result is not UTF-8".to_string())
    }

    /// Evaluates a tera expression (a question's `when`) to a boolean, by tera's truthiness.
    pub fn eval_bool(&mut self, expr: &str, context: &Context) -> Result<bool, String> {
        let out = self.render_str(
            &format!("{{% if {expr} %}}true{{% else %}}false{{% endif %}}"),
            context,
        )?;
        Ok(out == "true")
    }
}

/// The variables a template sees, each value by its name (a render's answers: `&Answers`).
pub fn context<V: serde::Serialize>(vars: &BTreeMap<String, V>) -> Context {
    let mut ctx = Context::new();
    for (k, v) in vars {
        ctx.insert(k, v);
    }
    ctx
}

/// tera's error and its causes on one line each; tera puts the useful part (the parse error
/// with line and column, or the missing variable) in the causes.
pub fn message(e: &tera::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

/// The line of a tera parse error (`--> 3:5` in its message), if it has one.
pub fn error_line(message: &str) -> Option<usize> {
    let at = message.find("--> ")?;
    let rest = &message[at + 4..];
    rest.split(':').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_env_cannot_reach_the_environment() {
        std::env::set_var("GOLDPATH_TEST_SECRET", "hunter2");
        let err = Engine::new()
            .render_str(
                "{{ get_env(name='GOLDPATH_TEST_SECRET') }}",
                &Context::new(),
            )
            .unwrap_err();
        assert!(err.contains("get_env is disabled"), "{err}");
        assert!(!err.contains("hunter2"));
    }

    #[test]
    fn nothing_non_deterministic_exists() {
        for f in ["{{ now() }}", "{{ get_random(end=10) }}"] {
            let err = Engine::new().render_str(f, &Context::new()).unwrap_err();
            assert!(err.contains("not found"), "{f}: {err}");
        }
    }

    #[test]
    fn parse_errors_carry_a_line() {
        let err = Engine::new()
            .render_str("a\nb\n{{ x +  }}\n", &Context::new())
            .unwrap_err();
        assert_eq!(error_line(&err), Some(3), "{err}");
    }

    #[test]
    fn when_expressions_are_truthy() {
        let mut answers = BTreeMap::new();
        answers.insert("ci".to_string(), "github");
        let ctx = context(&answers);
        let mut e = Engine::new();
        assert!(e.eval_bool("ci == 'github'", &ctx).unwrap());
        assert!(!e.eval_bool("ci == 'gitlab'", &ctx).unwrap());
    }
}
