//! `goldpath bundle test PATH`: renders a bundle with every answer set of its `[test]` table,
//! runs the table's checks in each project, and upgrades an unedited project of each earlier
//! release (of the same folder of releases) to this one: no conflicts, `goldpath check` passes
//! and the checks pass again.
//!
//! Each case runs this same binary (`new`, `upgrade`, `check`) in a throwaway project, exactly as
//! a user would, so what is tested is what users get. Those runs see no git config of the
//! author's (no signing, no hooks); the checks run with the author's environment, because the
//! author runs the test on their own bundle.

use super::error::CommandError;
use super::output::emit;
use crate::answers::Given;
use crate::bundle::lint::matrix::{self, AnswerSet};
use crate::bundle::{Bundle, Manifest, Origin, SourceSpec};
use crate::check::xml;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// A secret has no sample value in the matrix (`check` uses a placeholder); runs need one.
const SAMPLE_SECRET: &str = "goldpath-test-secret-0";

#[derive(clap::Args)]
pub struct Args {
    /// The bundle's folder (the one holding bundle.toml)
    path: PathBuf,
    /// text: a line per case; junit: a JUnit XML report for CI
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Junit,
}

/// One case and how it went.
struct Case {
    name: String,
    /// `Err`: what failed, with the end of its output.
    result: Result<(), String>,
    seconds: f64,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<i32, CommandError> {
    // Absolute: the runs start in other folders.
    let dir = &std::path::absolute(&args.path).map_err(CommandError::from_io)?;
    if !dir.is_dir() {
        return Err(
            CommandError::user(format!("{}: no such folder", dir.display()))
                .hint("pass the bundle's folder, the one holding bundle.toml"),
        );
    }
    let bundle = load(dir)?;
    let manifest = &bundle.manifest;
    let plan = manifest.test.clone();
    let checks = plan.as_ref().map(|p| p.checks.clone()).unwrap_or_default();
    let sets = answer_sets(manifest);
    let exe = std::env::current_exe().map_err(CommandError::from_io)?;
    let work = tempfile::tempdir().map_err(CommandError::from_io)?;
    let runner = Runner {
        exe: &exe,
        work: work.path(),
        checks: &checks,
    };
    let mut cases = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        let project = work.path().join(format!("new-{i}"));
        cases.push(runner.case(format!("new {}", set.name), || {
            runner.new_project(dir, manifest, set, &project)?;
            runner.run_checks(&project)
        }));
    }
    // A folder of releases holds every version: the recorded one and the target.
    let releases = dir.parent().unwrap_or(dir);
    for (version, old_dir) in crate::bundle::lint::earlier_releases(dir) {
        let old = load(&old_dir)?;
        for (i, set) in sets.iter().enumerate() {
            let project = work.path().join(format!("upgrade-{version}-{i}"));
            let name = format!(
                "upgrade {version} -> {} {}",
                manifest.bundle.version, set.name
            );
            cases.push(runner.case(name, || {
                runner.new_project(releases, &old.manifest, set, &project)?;
                runner.upgrade(releases, manifest, &old.manifest, set, &project)?;
                runner.goldpath(&project, &["check".into()])?;
                runner.run_checks(&project)
            }));
        }
    }
    let title = format!("{} {}", manifest.bundle.name, manifest.bundle.version);
    match args.format {
        Format::Text => text(&title, &cases, out)?,
        Format::Junit => junit(&title, &cases, out)?,
    }
    Ok(if cases.iter().all(|c| c.result.is_ok()) {
        0
    } else {
        1
    })
}

fn load(dir: &Path) -> Result<Bundle, CommandError> {
    let files = crate::tree::read_dir(dir).map_err(crate::bundle::Error::from)?;
    let origin = Origin {
        source: SourceSpec::Folder(dir.to_path_buf()),
        commit: None,
    };
    Ok(Bundle::from_files(
        files,
        &dir.display().to_string(),
        origin,
    )?)
}

/// The matrix (unless `[test] matrix = false`) and the named cases; the defaults at least.
fn answer_sets(manifest: &Manifest) -> Vec<AnswerSet> {
    let plan = manifest.test.as_ref();
    let mut sets = if plan.is_none_or(|p| p.matrix) {
        matrix::matrix(&manifest.questions)
    } else {
        Vec::new()
    };
    for case in plan.map(|p| p.cases.as_slice()).unwrap_or_default() {
        let given = case
            .answers
            .iter()
            .map(|(k, v)| {
                let from = format!("[test] case `{}`", case.name);
                (
                    k.clone(),
                    Given::Toml {
                        value: v.clone(),
                        from,
                    },
                )
            })
            .collect();
        sets.push(AnswerSet {
            name: case.name.clone(),
            given,
        });
    }
    if sets.is_empty() {
        sets = matrix::matrix(&[]);
    }
    sets
}

struct Runner<'a> {
    exe: &'a Path,
    work: &'a Path,
    checks: &'a [String],
}

impl Runner<'_> {
    fn case(&self, name: String, body: impl FnOnce() -> Result<(), String>) -> Case {
        let started = Instant::now();
        let result = body();
        Case {
            name,
            result,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// `goldpath new` of `manifest`'s bundle and version from the source `dir`, with `set`'s
    /// answers (those `manifest` asks).
    fn new_project(
        &self,
        dir: &Path,
        manifest: &Manifest,
        set: &AnswerSet,
        project: &Path,
    ) -> Result<(), String> {
        let mut args: Vec<String> = vec![
            "new".into(),
            manifest.bundle.name.clone(),
            project.display().to_string(),
            "--from".into(),
            dir.display().to_string(),
            "--version".into(),
            manifest.bundle.version.to_string(),
            "--defaults".into(),
            "--no-input".into(),
        ];
        for (name, value) in given(manifest, set)? {
            args.extend(["--set".into(), format!("{name}={value}")]);
        }
        self.goldpath(self.work, &args)
    }

    /// `goldpath upgrade` to `manifest`'s version from the source `dir`, giving the answers
    /// `old` did not ask.
    fn upgrade(
        &self,
        dir: &Path,
        manifest: &Manifest,
        old: &Manifest,
        set: &AnswerSet,
        project: &Path,
    ) -> Result<(), String> {
        let mut args: Vec<String> = vec![
            "upgrade".into(),
            "--from".into(),
            dir.display().to_string(),
            "--to".into(),
            manifest.bundle.version.to_string(),
            "--defaults".into(),
            "--no-input".into(),
            // The author's own bundle: its migration hooks are part of what is tested.
            "--trust".into(),
        ];
        for (name, value) in given(manifest, set)? {
            if old.question(&name).is_none() {
                args.extend(["--set".into(), format!("{name}={value}")]);
            }
        }
        self.goldpath(project, &args)
    }

    /// Runs this goldpath with `args` in `dir`; `Err` with its output unless it exits 0.
    fn goldpath(&self, dir: &Path, args: &[String]) -> Result<(), String> {
        let out = Command::new(self.exe)
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.exe.display()))?;
        if out.status.success() {
            return Ok(());
        }
        Err(format!(
            "`goldpath {}` exited with {}:\n{}",
            args.first().map_or("", String::as_str),
            code(&out.status),
            tail(&out)
        ))
    }

    /// Runs each check (`sh -c`) in `project`.
    fn run_checks(&self, project: &Path) -> Result<(), String> {
        for check in self.checks {
            let out = Command::new("sh")
                .args(["-c", check])
                .current_dir(project)
                .output()
                .map_err(|e| format!("cannot run sh: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "check `{check}` exited with {}:\n{}",
                    code(&out.status),
                    tail(&out)
                ));
            }
        }
        Ok(())
    }
}

/// The answers `set` gives (samples included) that `manifest` asks, as `--set` takes them.
fn given(manifest: &Manifest, set: &AnswerSet) -> Result<BTreeMap<String, String>, String> {
    // An earlier release may not ask every question a case answers.
    let asked = AnswerSet {
        name: set.name.clone(),
        given: set
            .given
            .iter()
            .filter(|(name, _)| manifest.question(name).is_some())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let (_, given) = matrix::complete(&manifest.questions, &asked)?;
    Ok(given
        .iter()
        .filter(|(name, _)| manifest.question(name).is_some())
        .map(|(name, g)| {
            let value = matrix::raw(g).unwrap_or_else(|| SAMPLE_SECRET.to_string());
            (name.clone(), value)
        })
        .collect())
}

fn code(status: &std::process::ExitStatus) -> String {
    status
        .code()
        .map_or_else(|| "a signal".to_string(), |c| c.to_string())
}

/// The last lines of a run's output (stdout, then stderr): enough to see why it failed.
fn tail(out: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(20);
    lines[from..].iter().map(|l| format!("    {l}\n")).collect()
}

fn text(title: &str, cases: &[Case], out: &mut dyn Write) -> Result<(), CommandError> {
    for c in cases {
        match &c.result {
            Ok(()) => emit(out, format_args!("ok    {} ({:.1}s)\n", c.name, c.seconds))?,
            Err(why) => emit(
                out,
                format_args!("FAIL  {} ({:.1}s): {why}\n", c.name, c.seconds),
            )?,
        }
    }
    let failed = cases.iter().filter(|c| c.result.is_err()).count();
    emit(
        out,
        format_args!(
            "{title}: {} case{}, {failed} failed\n",
            cases.len(),
            if cases.len() == 1 { "" } else { "s" }
        ),
    )
}

fn junit(title: &str, cases: &[Case], out: &mut dyn Write) -> Result<(), CommandError> {
    let failed = cases.iter().filter(|c| c.result.is_err()).count();
    let total: f64 = cases.iter().map(|c| c.seconds).sum();
    emit(
        out,
        format_args!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" time=\"{total:.3}\">\n",
            xml(&format!("goldpath bundle test {title}")),
            cases.len()
        ),
    )?;
    for c in cases {
        let head = format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            xml(title),
            xml(&c.name),
            c.seconds
        );
        match &c.result {
            Ok(()) => emit(out, format_args!("{head}/>\n"))?,
            Err(why) => {
                let first = why.lines().next().unwrap_or_default();
                emit(
                    out,
                    format_args!(
                        "{head}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                        xml(first),
                        xml(why)
                    ),
                )?
            }
        }
    }
    emit(out, format_args!("  </testsuite>\n</testsuites>\n"))
}
