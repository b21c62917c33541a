//! `goldpath new BUNDLE DIR`: ask, render, write, commit.

use super::error::CommandError;
use super::output::emit;
use super::prompt::TerminalPrompter;
use crate::answers::{self, AnswersFile, Given, Inputs, Prompter};
use crate::bundle::SourceSpec;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The bundle to create the project from (see `goldpath list`)
    bundle: String,
    /// The new project's folder; must not exist, or be empty
    dir: PathBuf,
    #[command(flatten)]
    choice: BundleChoice,
    #[command(flatten)]
    answering: Answering,
    /// Write the project but do not `git init` and commit it (inside a repository: stage it)
    #[arg(long)]
    no_commit: bool,
    /// Do not run the repository's pre-commit and commit-msg hooks on the first commit
    #[arg(long)]
    no_verify: bool,
}

/// Which release of a bundle to start from: `new` and `adopt` pick it the same way.
#[derive(clap::Args)]
pub(super) struct BundleChoice {
    /// Where the bundle comes from: a folder of bundles or a git URL (default: built-in catalog)
    #[arg(long, value_name = "SOURCE")]
    from: Option<String>,
    /// The bundle version: 1.2.0, v1.2.0, 2.0.0-rc.1, or 1.2 for the newest 1.2.x (default: the newest that is not a prerelease)
    #[arg(long, value_name = "V")]
    version: Option<crate::bundle::WantedVersion>,
    /// Let the newest version (or the newest of --version 1.2) be a prerelease
    #[arg(long)]
    pre: bool,
}

impl BundleChoice {
    /// The release of `bundle` chosen, loaded from its source.
    pub(super) fn load(&self, bundle: &str) -> Result<crate::bundle::Bundle, CommandError> {
        let spec = self
            .from
            .as_deref()
            .map(SourceSpec::parse)
            .unwrap_or(SourceSpec::Builtin);
        let source = super::output::open_source(&spec, crate::bundle::Network::Required)?;
        let version = source
            .pick(bundle, self.version.as_ref(), self.pre)
            .map_err(|e| super::error::version_error(e, "--version"))?;
        Ok(source.load(bundle, Some(&version))?)
    }
}

/// How the questions of a bundle are answered: `new` and `adopt` take them the same way.
#[derive(clap::Args)]
pub(super) struct Answering {
    /// Answers from a TOML file (`name = value` lines, or another project's .goldpath.toml)
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
    /// Answer one question; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    set: Vec<(String, String)>,
    /// Take the default for every question not answered by --set or --answers
    #[arg(long)]
    defaults: bool,
    /// Never prompt, even in a terminal
    #[arg(long)]
    no_input: bool,
}

impl Answering {
    /// The answers to `bundle`'s questions ([`resolve_answers`]); never prompting when
    /// `--no-input` or `never_prompt` (a command whose stdout is a JSON document) says so.
    pub(super) fn resolve(
        &self,
        bundle: &crate::bundle::Bundle,
        never_prompt: bool,
    ) -> Result<answers::Resolved, CommandError> {
        resolve_answers(
            bundle,
            self.answers.as_deref(),
            &self.set,
            self.defaults,
            self.no_input || never_prompt,
        )
    }
}

/// Whether goldpath's commits run the repository's hooks.
pub(super) fn verify(no_verify: bool) -> crate::git::Verify {
    if no_verify {
        crate::git::Verify::NoVerify
    } else {
        crate::git::Verify::RunHooks
    }
}

pub(super) fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not KEY=VALUE")),
    }
}

/// Reads an answers file: plain `name = value` pairs, or a project's `.goldpath.toml`.
pub(super) fn read_answers_file(path: &Path) -> Result<BTreeMap<String, Given>, CommandError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::user(format!("cannot read answers file {shown}: {e}")))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| format!(":{}", crate::bundle::manifest::line_of(&text, s.start)))
            .unwrap_or_default();
        CommandError::user(format!("{shown}{line}: {}", e.message()))
            .hint("an answers file holds `name = value` lines in TOML")
    })?;
    // Another project's answers file is read as what it is, by the one parser of it.
    if let (Some(_), Some(toml::Value::Table(_))) = (table.get("bundle"), table.get("answers")) {
        let record = AnswersFile::parse(&text, &shown)?;
        return Ok(AnswersFile::as_given(&record.answers, &shown));
    }
    Ok(table
        .into_iter()
        .map(|(k, value)| {
            (
                k,
                Given::Toml {
                    value,
                    from: shown.clone(),
                },
            )
        })
        .collect())
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    one_heap_for_all_threads();
    crate::scaffold::check_destination(&args.dir)?;
    let bundle = args.choice.load(&args.bundle)?;
    let resolved = args.answering.resolve(&bundle, false)?;

    let created = crate::scaffold::create(
        &bundle,
        &resolved.answers,
        &args.dir,
        !args.no_commit,
        verify(args.no_verify),
    )
    .map_err(|e| {
        let fault = matches!(e, crate::scaffold::Error::Render(_));
        blame(&bundle, e.into(), fault)
    })?;
    emit(
        out,
        format_args!(
            "Created {} from {} {} ({}): {} files{}.\n",
            created.dir.display(),
            bundle.name(),
            bundle.version(),
            bundle.origin.source,
            created.files,
            match (&created.repository, &created.commit) {
                (None, Some(c)) => format!(", first commit {}", &c[..12]),
                (None, None) => String::new(),
                (Some(repo), Some(c)) => format!(
                    ", added to the repository at {} in commit {}",
                    repo.display(),
                    &c[..12]
                ),
                (Some(repo), None) => format!(
                    ", staged in the repository at {} (not committed)",
                    repo.display()
                ),
            }
        ),
    )?;
    Ok(0)
}

/// Has glibc's malloc serve every thread from the one heap, as it serves the main thread.
///
/// Why: `new` renders on threads of its own (the render's worker, the second parser, the bundle
/// and work-tree writers), and glibc gives each its own arena, which grows by one `mprotect` for
/// every 4 KiB it takes (no padding, unlike the main heap's `brk`): 1,270 of `new`'s 10,900
/// system calls at 1,000 files (issue #16), and 4 ms of its 85 ms of CPU. The threads seldom
/// allocate at the same moment, and each keeps its own cache of small blocks, so sharing the
/// heap's lock costs less. Set here, not in the library: it is the process's choice.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_heap_for_all_threads() {
    // SAFETY: `mallopt` only sets a malloc parameter, under malloc's own lock; no thread has
    // been started yet. A value it refuses changes nothing, which is harmless.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_heap_for_all_threads() {}

/// The answers to `bundle`'s questions, as `new` takes them: `--answers FILE`, then `--set` on
/// top, then the prompter (on a terminal, unless `no_input`) or the defaults (`--defaults`).
/// `adopt` takes them the same way ([`Answering`]).
fn resolve_answers(
    bundle: &crate::bundle::Bundle,
    answers_file: Option<&Path>,
    set: &[(String, String)],
    defaults: bool,
    no_input: bool,
) -> Result<answers::Resolved, CommandError> {
    let mut given = match answers_file {
        Some(path) => read_answers_file(path)?,
        None => BTreeMap::new(),
    };
    for (k, v) in set {
        given.insert(k.clone(), Given::Raw(v.clone()));
    }
    let inputs = Inputs {
        given,
        defaults,
        allow_unknown: false,
    };
    let mut terminal = if no_input {
        None
    } else {
        TerminalPrompter::if_interactive()
    };
    let prompter = terminal.as_mut().map(|p| p as &mut dyn Prompter);
    answers::resolve(&bundle.manifest.questions, &inputs, prompter).map_err(|e| {
        let fault = matches!(e, answers::Error::Expression { .. });
        blame(bundle, e.into(), fault)
    })
}

/// `err`, with a hint naming the bundle when the bundle itself is at fault (an expression in
/// bundle.toml, a template), so the user knows whose maintainers to tell and where to look.
pub(super) fn blame(
    bundle: &crate::bundle::Bundle,
    err: CommandError,
    bundle_fault: bool,
) -> CommandError {
    if !bundle_fault {
        return err;
    }
    let at = bundle.origin.commit.as_ref();
    err.hint(format!(
        "the bundle is {} {} from {}{}",
        bundle.name(),
        bundle.version(),
        bundle.origin.source,
        at.map(|c| format!(" at {c}")).unwrap_or_default()
    ))
}
