//! The sandboxed tera engine: the one tera that every template of a render and every answer
//! expression (a default, a `when`, a migration's condition) goes through. Nothing in it reaches
//! outside the bundle or changes between runs ([`Engine`]), and everything a template can cost is
//! bounded ([`limits`]).
//!
//! A leaf: it knows neither answers nor bundles. [`answers`](crate::answers) evaluates
//! expressions with it and [`render`](crate::render) renders templates with it, so data flows
//! answers -> render, never back.

mod engine;
pub mod limits;

pub use engine::{context, error_line, message, Engine};
pub use limits::{Limit, Limits};
