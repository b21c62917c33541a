//! `goldpath bundle lint` (and `test`, in bundle_test.rs): for bundle authors. Prints the findings of
//! [`crate::bundle::lint`] as text, JSON or GitHub Actions annotations; exit 1 when there is any.

use super::error::CommandError;
use super::output::emit;
use crate::bundle::lint::{self, Finding};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand)]
pub enum BundleCommand {
    /// Report every problem of a bundle that can be known without answers (exit 1 if any)
    Lint {
        /// The bundle's folder (the one holding bundle.toml)
        path: PathBuf,
        /// text: one line per finding; json: a document; github: workflow annotations
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Render every answer set of the bundle's [test] table, run its checks, and upgrade a
    /// project of each earlier release to it (exit 1 on any failure)
    Test(super::bundle_test::Args),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
}

pub fn run(cmd: BundleCommand, out: &mut dyn Write) -> Result<i32, CommandError> {
    let (path, format) = match cmd {
        BundleCommand::Lint { path, format } => (path, format),
        BundleCommand::Test(args) => return super::bundle_test::run(args, out),
    };
    if !path.is_dir() {
        return Err(
            CommandError::user(format!("{}: no such folder", path.display()))
                .hint("pass the bundle's folder, the one holding bundle.toml"),
        );
    }
    let findings = lint::lint(&path)?;
    match format {
        Format::Text => text(&path, &findings, out)?,
        Format::Json => json(&path, &findings, out)?,
        Format::Github => github(&path, &findings, out)?,
    }
    Ok(if findings.is_empty() { 0 } else { 1 })
}

/// `PATH/FILE:LINE` as an editor opens it.
fn location(dir: &Path, f: &Finding) -> String {
    let file = dir.join(&f.file).display().to_string();
    match f.line {
        Some(line) => format!("{file}:{line}"),
        None => file,
    }
}

fn text(dir: &Path, findings: &[Finding], out: &mut dyn Write) -> Result<(), CommandError> {
    for f in findings {
        emit(
            out,
            format_args!("{}: {}: {}\n", location(dir, f), f.rule.id(), f.message),
        )?;
    }
    if findings.is_empty() {
        emit(out, format_args!("{}: no problems found\n", dir.display()))
    } else {
        emit(
            out,
            format_args!("{}: {}\n", dir.display(), lint::summary(findings)),
        )
    }
}

/// `{"path": ..., "findings": [{"file", "line", "rule", "message"}]}`; `file` is relative to the
/// bundle's folder and `line` is null when unknown.
fn json(dir: &Path, findings: &[Finding], out: &mut dyn Write) -> Result<(), CommandError> {
    let doc = serde_json::json!({
        "path": dir.display().to_string(),
        "findings": findings.iter().map(|f| serde_json::json!({
            "file": f.file,
            "line": f.line,
            "rule": f.rule.id(),
            "message": f.message,
        })).collect::<Vec<_>>(),
    });
    emit(out, format_args!("{doc:#}\n"))
}

/// GitHub Actions workflow commands: `::error file=F,line=L,title=RULE::MESSAGE`, escaped as the
/// runner reads them (`%`, CR and LF everywhere; `:` and `,` in properties too).
fn github(dir: &Path, findings: &[Finding], out: &mut dyn Write) -> Result<(), CommandError> {
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    for f in findings {
        let file = property(&dir.join(&f.file).display().to_string());
        let line = f.line.map(|l| format!(",line={l}")).unwrap_or_default();
        emit(
            out,
            format_args!(
                "::error file={file}{line},title={}::{}\n",
                property(f.rule.id()),
                data(&f.message)
            ),
        )?;
    }
    Ok(())
}
