//! All integration tests, built as one binary (`autotests = false`): they drive the real
//! `goldpath` binary in temp dirs and check the results with git2 and by content.
mod check;
mod crash;
mod golden_path;
mod harness;
mod merge_cli;
mod merge_corpus;
mod merge_git;
mod merge_properties;
mod new;
mod new_errors;
#[cfg(unix)]
mod new_interactive;
mod new_sources;
mod path_oracle;
mod path_properties;
mod safety_paths;
mod safety_render;
mod safety_secrets;
mod safety_upgrade;
mod upgrade;
mod upgrade_edge;
