//! goldpath: create services from golden-path bundles, upgrade them in place with a three-way
//! merge, and check them for drift.
//!
//! The library never prints and never prompts (the [`cli`] does both), so `fleet` and the tests
//! can reuse every step. Data flows: [`bundle`] (load) -> [`answers`] (resolve) -> [`render`]
//! (tree in memory) -> [`scaffold`] / upgrade / check (compare, merge, write) -> [`git`].
//! [`answers`] and [`render`] both evaluate tera in the [`sandbox`], which imports neither.

pub mod answers;
pub mod bundle;
pub mod check;
pub mod cli;
pub mod fault;
pub mod fleet;
pub mod forge;
pub mod git;
pub mod merge;
pub mod project;
pub mod redact;
pub mod render;
pub mod sandbox;
pub mod scaffold;
pub mod tree;
pub mod upgrade;
