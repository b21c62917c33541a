//! `goldpath merge-file` against `git merge-file`, measured in the same run on the same inputs:
//! large files (10,000 and 100,000 lines, scattered edits on both sides, a few of them
//! conflicting) and the whole merge corpus (`../shared/merge-corpus`, every case in every
//! style). Prints each median time and the ratio goldpath / git (below 1.00: goldpath faster).
//! Large inputs: the median of alternating runs. Corpus: each merge is run by both commands back
//! to back, taking turns at going first, and the pass with the median ratio is printed.
//!
//! Run with `cargo bench --bench merge`. `MERGE_BENCH_RUNS` sets the runs per large input
//! (default 21) and `MERGE_BENCH_CORPUS_RUNS` the passes over the corpus (default 3).
//!
//! `cargo test --all-targets` runs it too, without `--bench`: then it only checks, once, that the
//! two commands agree on the 10,000-line inputs, and times nothing.
//!
//! Both commands are whole processes, so process start-up counts: that is what a user or a
//! script calling either one pays. The library's in-process time is printed alongside, to show
//! how much of goldpath's time is the merge.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GOLDPATH: &str = env!("CARGO_BIN_EXE_goldpath");

fn main() {
    // `cargo bench` passes `--bench`; `cargo test` does not, and wants a quick check.
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let runs = env_number("MERGE_BENCH_RUNS", 21);
    let corpus_runs = env_number("MERGE_BENCH_CORPUS_RUNS", 3);
    let dir = tempfile::tempdir().expect("a temp dir");
    if !measuring {
        let (base, ours, theirs) = scattered_edits(10_000);
        for (name, bytes) in [("base", &base), ("ours", &ours), ("theirs", &theirs)] {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        for style in ["merge", "diff3", "zdiff3"] {
            check_same_output(dir.path(), &style_args(style));
        }
        println!(
            "goldpath and git agree on 10,000 lines in every style (no timing without --bench)"
        );
        return;
    }
    println!(
        "{:<34} {:>10} {:>10} {:>8} {:>13}",
        "input", "git", "goldpath", "ratio", "library only"
    );
    for lines in [10_000, 100_000] {
        let (base, ours, theirs) = scattered_edits(lines);
        for style in ["merge", "diff3", "zdiff3"] {
            let case = dir.path().join(format!("{lines}-{style}"));
            std::fs::create_dir_all(&case).unwrap();
            for (name, bytes) in [("base", &base), ("ours", &ours), ("theirs", &theirs)] {
                std::fs::write(case.join(name), bytes).unwrap();
            }
            let args = style_args(style);
            check_same_output(&case, &args);
            let [git, goldpath, library] = medians(
                runs,
                [
                    &mut || time_command("git", &case, &args),
                    &mut || time_command(GOLDPATH, &case, &args),
                    &mut || time_library(&base, &ours, &theirs, style),
                ],
            );
            report(&format!("{lines} lines, {style}"), git, goldpath, library);
        }
    }
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/merge-corpus");
    if !corpus.is_dir() {
        println!(
            "notice: {} is absent; corpus not measured",
            corpus.display()
        );
        return;
    }
    let cases = corpus_cases(&corpus);
    // Each merge is timed with both commands back to back, taking turns at going first, so a
    // slow spell of the machine (a few seconds long) falls on both alike; a pass adds them up.
    let pass = || {
        let (mut git, mut goldpath) = (Duration::ZERO, Duration::ZERO);
        for (i, case) in cases.iter().enumerate() {
            for style in ["merge", "diff3", "zdiff3"] {
                let args = style_args(style);
                if i % 2 == 0 {
                    git += time_command("git", case, &args);
                    goldpath += time_command(GOLDPATH, case, &args);
                } else {
                    goldpath += time_command(GOLDPATH, case, &args);
                    git += time_command("git", case, &args);
                }
            }
        }
        (git, goldpath)
    };
    pass(); // untimed: page cache
    let mut passes: Vec<(Duration, Duration)> = (0..corpus_runs.max(1)).map(|_| pass()).collect();
    let ratio =
        |&(git, goldpath): &(Duration, Duration)| goldpath.as_secs_f64() / git.as_secs_f64();
    passes.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)));
    // The pass with the median ratio.
    let (git, goldpath) = passes[passes.len() / 2];
    let inputs: Vec<[Vec<u8>; 3]> = cases
        .iter()
        .map(|c| ["base", "ours", "theirs"].map(|n| std::fs::read(c.join(n)).unwrap()))
        .collect();
    let mut library = || {
        let start = Instant::now();
        for [base, ours, theirs] in &inputs {
            for style in ["merge", "diff3", "zdiff3"] {
                merge_in_process(base, ours, theirs, style);
            }
        }
        start.elapsed()
    };
    let [library] = medians(corpus_runs, [&mut library]);
    report(
        &format!("corpus, {} merges", cases.len() * 3),
        git,
        goldpath,
        library,
    );
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn style_args(style: &str) -> Vec<String> {
    let mut args = vec!["merge-file".to_string(), "-p".into()];
    if style != "merge" {
        args.push(format!("--{style}"));
    }
    args.extend(["ours".into(), "base".into(), "theirs".into()]);
    args
}

/// A file of `lines` lines, and two sides that each change about one line in fifty, in places
/// of their own, except one change in five hundred that both make differently (a conflict).
fn scattered_edits(lines: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut base, mut ours, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..lines {
        let line = format!(
            "{i:>6}  let value_{} = compute({});\n",
            next() % 1000,
            next() % 97
        );
        base.extend_from_slice(line.as_bytes());
        match next() % 500 {
            0 => {
                ours.extend_from_slice(format!("{i:>6}  ours changed this\n").as_bytes());
                theirs.extend_from_slice(format!("{i:>6}  theirs changed this\n").as_bytes());
            }
            1..=5 => {
                ours.extend_from_slice(format!("{i:>6}  ours edit\n").as_bytes());
                theirs.extend_from_slice(line.as_bytes());
            }
            6..=10 => {
                ours.extend_from_slice(line.as_bytes());
                theirs.extend_from_slice(format!("{i:>6}  theirs edit\n").as_bytes());
            }
            _ => {
                ours.extend_from_slice(line.as_bytes());
                theirs.extend_from_slice(line.as_bytes());
            }
        }
    }
    (base, ours, theirs)
}

/// The two commands must agree before their times mean anything.
fn check_same_output(dir: &Path, args: &[String]) {
    let run = |program: &str| {
        let out = command(program, dir, args).output().unwrap();
        (out.status.code(), out.stdout)
    };
    let (git, goldpath) = (run("git"), run(GOLDPATH));
    assert!(
        git.0.is_some_and(|code| code > 0),
        "the input should conflict"
    );
    assert!(
        git == goldpath,
        "goldpath and git disagree on {}",
        dir.display()
    );
}

fn command(program: &str, dir: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    if program == "git" {
        cmd.args(["-c", "merge.conflictStyle=merge"]);
    }
    cmd.args(args);
    cmd
}

fn time_command(program: &str, dir: &Path, args: &[String]) -> Duration {
    let start = Instant::now();
    let status = command(program, dir, args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.code().is_some_and(|c| c < 255), "{program} failed");
    start.elapsed()
}

fn merge_in_process(base: &[u8], ours: &[u8], theirs: &[u8], style: &str) -> usize {
    let opts = goldpath::merge::Options {
        style: style.parse().unwrap(),
        ..Default::default()
    };
    let out = goldpath::merge::merge(base, ours, theirs, &opts).unwrap();
    std::hint::black_box(out.bytes.len())
}

fn time_library(base: &[u8], ours: &[u8], theirs: &[u8], style: &str) -> Duration {
    let start = Instant::now();
    merge_in_process(base, ours, theirs, style);
    start.elapsed()
}

/// The median time of each measure over `runs` rounds, the measures taking turns within each
/// round so that a slow spell of the machine falls on all of them alike.
fn medians<const N: usize>(
    runs: usize,
    mut measures: [&mut dyn FnMut() -> Duration; N],
) -> [Duration; N] {
    // One untimed round first: page cache, lazy initialisation.
    for measure in measures.iter_mut() {
        measure();
    }
    let mut times: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::new());
    for _ in 0..runs.max(1) {
        for (measure, times) in measures.iter_mut().zip(times.iter_mut()) {
            times.push(measure());
        }
    }
    times.map(|mut t| {
        t.sort();
        t[t.len() / 2]
    })
}

fn corpus_cases(corpus: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("meta.toml").is_file())
        .collect();
    cases.sort();
    cases
}

fn report(input: &str, git: Duration, goldpath: Duration, library: Duration) {
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    println!(
        "{:<34} {:>10} {:>10} {:>7.2}x {:>13}",
        input,
        ms(git),
        ms(goldpath),
        goldpath.as_secs_f64() / git.as_secs_f64(),
        ms(library)
    );
}
