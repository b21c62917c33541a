//! `goldpath list`: the bundles of a source and their versions.

use super::error::CommandError;
use super::output::emit;
use crate::bundle::SourceSpec;
use std::io::Write;

#[derive(clap::Args)]
pub struct Args {
    /// A folder of bundles or a git URL (default: the built-in catalog)
    #[arg(long, value_name = "SOURCE")]
    from: Option<String>,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    let spec = args
        .from
        .as_deref()
        .map(SourceSpec::parse)
        .unwrap_or(SourceSpec::Builtin);
    let listing = super::output::open_source(&spec, crate::bundle::Network::Required)?.list()?;
    if listing.is_empty() {
        return Err(CommandError::user(format!("{spec} holds no bundles"))
            .hint("a bundle is a folder with bundle.toml and template/ (see docs/bundles.md)"));
    }
    let width = listing.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for l in &listing {
        let newest = l.versions.last().map(|v| v.to_string()).unwrap_or_default();
        let older: Vec<String> = l
            .versions
            .iter()
            .rev()
            .skip(1)
            .map(|v| v.to_string())
            .collect();
        let older = if older.is_empty() {
            String::new()
        } else {
            format!(" (also {})", older.join(", "))
        };
        emit(out, format_args!("{:width$}  {newest}{older}\n", l.name))?;
        // A bundle without a description gets no blank line of trailing spaces.
        if !l.description.is_empty() {
            emit(out, format_args!("    {}\n", l.description))?;
        }
    }
    Ok(0)
}
