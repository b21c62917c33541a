//! Asks questions in a terminal with dialoguer. Used only when stdin and stderr are terminals;
//! everything else (CI, scripts) gets answers from flags and files and never waits.

use crate::answers::{parse_raw, Prompter, Value};
use crate::bundle::{Question, QuestionType};
use console::Term;
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Password, Select};
use std::io::IsTerminal;

pub struct TerminalPrompter {
    term: Term,
    theme: ColorfulTheme,
}

impl TerminalPrompter {
    /// A prompter when the user can answer: stdin and stderr are terminals.
    pub fn if_interactive() -> Option<TerminalPrompter> {
        (std::io::stdin().is_terminal() && std::io::stderr().is_terminal()).then(|| {
            TerminalPrompter {
                term: Term::stderr(),
                theme: ColorfulTheme::default(),
            }
        })
    }
}

fn label(q: &Question) -> String {
    if q.help.is_empty() {
        q.name.clone()
    } else {
        format!("{} ({})", q.help, q.name)
    }
}

impl Prompter for TerminalPrompter {
    fn ask(
        &mut self,
        q: &Question,
        default: Option<&Value>,
        problem: Option<&str>,
    ) -> Result<Value, String> {
        if let Some(problem) = problem {
            let _ = self
                .term
                .write_line(&format!("  {} {problem}", console::style("✘").red()));
        }
        let prompt = label(q);
        let io = |e: dialoguer::Error| e.to_string();
        match q.kind {
            QuestionType::Bool => {
                let d = matches!(default, Some(Value::Bool(true)));
                Confirm::with_theme(&self.theme)
                    .with_prompt(prompt)
                    .default(d)
                    .interact_on(&self.term)
                    .map(Value::Bool)
                    .map_err(io)
            }
            QuestionType::Choice => {
                let d = default
                    .and_then(|d| q.choices.iter().position(|c| *c == d.to_string()))
                    .unwrap_or(0);
                let i = Select::with_theme(&self.theme)
                    .with_prompt(prompt)
                    .items(&q.choices)
                    .default(d)
                    .interact_on(&self.term)
                    .map_err(io)?;
                Ok(Value::String(q.choices[i].clone()))
            }
            QuestionType::Multichoice => {
                let chosen: Vec<bool> = q
                    .choices
                    .iter()
                    .map(|c| matches!(default, Some(Value::List(l)) if l.contains(c)))
                    .collect();
                let picked = MultiSelect::with_theme(&self.theme)
                    .with_prompt(prompt)
                    .items(&q.choices)
                    .defaults(&chosen)
                    .interact_on(&self.term)
                    .map_err(io)?;
                Ok(Value::List(
                    picked.into_iter().map(|i| q.choices[i].clone()).collect(),
                ))
            }
            QuestionType::Secret => Password::with_theme(&self.theme)
                .with_prompt(prompt)
                .interact_on(&self.term)
                .map(Value::String)
                .map_err(io),
            QuestionType::String | QuestionType::Int | QuestionType::Float => {
                let mut input = Input::<String>::with_theme(&self.theme).with_prompt(prompt);
                if let Some(d) = default {
                    input = input.default(d.to_string());
                }
                let question = q.clone();
                let text = input
                    .validate_with(move |s: &String| parse_raw(&question, s).map(|_| ()))
                    .interact_text_on(&self.term)
                    .map_err(io)?;
                parse_raw(q, &text)
            }
        }
    }
}
