//! `goldpath upgrade`: move a project to a newer version of its bundle with a three-way merge
//! (base = recorded version + recorded answers, theirs = new version, ours = the project now),
//! running the bundle's migrations and never dropping a local edit.
//!
//! The caller opens the project and the bundle source; [`prepare`] computes an [`UpgradePlan`]
//! from them in memory; [`apply`] writes it (each file atomically, the answers file last) and
//! commits, or leaves conflicts marked in the files and the index. [`finish`] (`--continue`)
//! and [`abort`] (`--abort`) end an upgrade that stopped on conflicts; [`recover`] finishes or
//! undoes one that was cut off.
//!
//! The modules, in the order data flows through them (none imports one that imports it back):
//! `migrate` (what the migrations ask) and `secrets` feed `prepare`, which runs `plan` (the
//! decision for every path) and asks `workspace` whether the tree is clean and the plan can be
//! written; `apply` writes the plan under a `journal`. `adopt` plans an adoption (an upgrade
//! from nothing) that `apply` writes the same way.

mod adopt;
mod apply;
mod error;
mod journal;
mod migrate;
mod ours;
mod plan;
mod prepare;
mod secrets;
mod workspace;

pub use adopt::{adopt, ready_to_adopt, Adoption, Standing, TemplateFile};
pub use apply::{abort, apply, edits, finish, run_hooks_in, Applied, Edits};
pub use error::Error;
pub use journal::{recover, stopped_answers, Asking, Recovered};
pub use migrate::MigrationNote;
pub use ours::{CurrentFiles, Staged, WorkTree};
pub use plan::{Action, Change, Conflict, ConflictKind, LeftAlone};
pub use prepare::{prepare, prepare_from, ChangedAnswer, NewAnswer, Options, UpgradePlan};
pub use secrets::SecretNote;
