//! `goldpath fleet upgrade --push` over generated repositories with local bare remotes (no pull
//! requests): prints wall time, time per repository and peak memory, at 50 and at 500
//! repositories, and the ratio of the two peaks (memory must stay flat in the number of
//! repositories: the report is the only thing that grows with it).
//!
//! Run with `cargo bench --bench fleet`. `FLEET_BENCH_REPOS` sets the large fleet (default
//! 500), `FLEET_BENCH_SMALL` the small one (default 50), `FLEET_BENCH_JOBS` the `--jobs`
//! (default: the cores). Peak memory is the largest resident set of the run's processes
//! (goldpath or one `git` it ran), from `wait4`.
//!
//! `cargo test --all-targets` runs it too, without `--bench`: then it upgrades a fleet of 3 once
//! as a check, and times nothing.
//!
//! Not measured here: the ratio against `copier update` + commit + push per repository that
//! issue #12 asks for (benches/compare.sh has the copier set-up; it is not wired to this yet).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const GOLDPATH: &str = env!("CARGO_BIN_EXE_goldpath");

fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let large = env_number("FLEET_BENCH_REPOS", 500);
    let small = env_number("FLEET_BENCH_SMALL", 50);
    let jobs = env_number(
        "FLEET_BENCH_JOBS",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let bundle = make_bundle(dir.path());
    let template = make_project(dir.path(), &bundle);
    measure_status(dir.path(), &template, measuring, [small, large], jobs);
    if !measuring {
        let run = fleet_run(dir.path(), &template, 3, jobs);
        assert!(run.success, "the fleet check failed");
        println!("fleet bench: 3 repositories upgraded and pushed (check only; `cargo bench --bench fleet` measures)");
        return;
    }
    let mut peaks = Vec::new();
    for n in [small, large] {
        let run = fleet_run(dir.path(), &template, n, jobs);
        assert!(run.success, "the fleet run of {n} failed");
        println!(
            "{n:>5} repositories, --jobs {jobs}: wall {:>7.2} s, {:>6.1} ms per repository, peak memory {:>6.1} MiB",
            run.wall.as_secs_f64(),
            run.wall.as_secs_f64() * 1000.0 / n as f64,
            run.peak_kib as f64 / 1024.0
        );
        peaks.push(run.peak_kib);
    }
    println!(
        "peak memory {large} / {small} repositories: {:.2}x",
        peaks[1] as f64 / peaks[0] as f64
    );
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `git ARGS` in `dir` without the machine's config; panics on failure.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// A bundle `svc` in a git repository with tags v1.0.0 and v2.0.0: a dozen files, a rename,
/// a removal, a new question.
fn make_bundle(root: &Path) -> PathBuf {
    let repo = root.join("bundle");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let manifest = |v: &str, extra: &str| {
        format!("[bundle]\nname = \"svc\"\nversion = \"{v}\"\ndescription = \"bench\"\n\n[[questions]]\nname = \"service_name\"\ntype = \"string\"\ndefault = \"svc\"\n{extra}")
    };
    let mut v1: Vec<(String, String)> = vec![
        ("bundle.toml".into(), manifest("1.0.0", "")),
        (
            "template/README.md.tera".into(),
            "# {{ service_name }}\n".into(),
        ),
        ("template/Dockerfile".into(), "FROM rust:1.82-slim\n".into()),
        (
            "template/alerts/rules.yaml.tera".into(),
            "name: {{ service_name }}\nfor: 2m\n".into(),
        ),
        ("template/.dockerignore".into(), "target/\n".into()),
    ];
    for i in 0..8 {
        v1.push((
            format!("template/docs/page{i}.md"),
            format!("page {i}\n").repeat(20),
        ));
    }
    let refs: Vec<(&str, &str)> = v1.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    write(&repo, &refs);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "v1"]);
    git(&repo, &["tag", "v1.0.0"]);
    std::fs::remove_file(repo.join("template/.dockerignore")).unwrap();
    std::fs::remove_file(repo.join("template/alerts/rules.yaml.tera")).unwrap();
    let m2 = manifest(
        "2.0.0",
        "\n[[questions]]\nname = \"replicas\"\ntype = \"int\"\ndefault = 3\n\n[[migrations]]\nversion = \"2.0.0\"\nrename = { from = \"alerts/rules.yaml\", to = \"alerts/slo.yaml\" }\n",
    );
    write(
        &repo,
        &[
            ("bundle.toml", &m2),
            ("template/Dockerfile", "FROM rust:1.86-slim\n"),
            (
                "template/alerts/slo.yaml.tera",
                "name: {{ service_name }}\nfor: 2m\nreplicas: {{ replicas }}\n",
            ),
            ("template/config.yaml", "log_level: info\n"),
        ],
    );
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "v2"]);
    git(&repo, &["tag", "v2.0.0"]);
    repo
}

/// One project made from v1 with `goldpath new`, the model of every repository.
fn make_project(root: &Path, bundle: &Path) -> PathBuf {
    let status = Command::new(GOLDPATH)
        .args(["new", "svc", "model", "--from"])
        .arg(format!("file://{}", bundle.display()))
        .args(["--version", "1.0.0", "--defaults", "--no-input"])
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .env("GOLDPATH_CACHE_DIR", root.join("cache"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("goldpath runs");
    assert!(status.success());
    root.join("model")
}

struct Run {
    success: bool,
    wall: Duration,
    peak_kib: i64,
}

/// `n` bare remotes cloned from the model, each with a commit of its own; then one timed
/// `goldpath fleet upgrade --push` over them.
fn fleet_run(root: &Path, model: &Path, n: usize, jobs: usize) -> Run {
    let fleet = root.join(format!("fleet-{n}"));
    std::fs::create_dir_all(&fleet).unwrap();
    let mut list = String::new();
    for i in 0..n {
        let bare = fleet.join(format!("r{i}.git"));
        git(
            &fleet,
            &[
                "clone",
                "-q",
                "--bare",
                model.to_str().unwrap(),
                bare.to_str().unwrap(),
            ],
        );
        let repo = git2::Repository::open_bare(&bare).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let mut tree = repo.treebuilder(Some(&head.tree().unwrap())).unwrap();
        let blob = repo.blob(format!("repository {i}\n").as_bytes()).unwrap();
        tree.insert("OWNER", blob, 0o100644).unwrap();
        let tree = repo.find_tree(tree.write().unwrap()).unwrap();
        let sig = git2::Signature::now("bench", "bench@example.com").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "own file", &tree, &[&head])
            .unwrap();
        list.push_str(&format!("file://{}\n", bare.display()));
    }
    let list_path = fleet.join("repos.txt");
    std::fs::write(&list_path, list).unwrap();
    let start = Instant::now();
    let child = Command::new(GOLDPATH)
        .args(["fleet", "upgrade", "--repos"])
        .arg(&list_path)
        .args([
            "--bundle",
            "svc",
            "--to",
            "2.0.0",
            "--defaults",
            "--branch",
            "goldpath/svc-2.0.0",
            "--push",
        ])
        .args(["--jobs", &jobs.to_string(), "--report"])
        .arg(fleet.join("report.json"))
        .current_dir(&fleet)
        .env("GOLDPATH_CACHE_DIR", fleet.join("cache"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("goldpath runs");
    let (success, peak_kib) = wait_with_peak(child);
    Run {
        success,
        wall: start.elapsed(),
        peak_kib,
    }
}

/// Waits for `child`; its exit and the largest resident set (KiB) of it and the processes it
/// waited for.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn wait_with_peak(child: std::process::Child) -> (bool, i64) {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our own child, not yet waited for; both pointers are to live locals.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert!(pid > 0, "wait4 failed");
    (
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        usage.ru_maxrss,
    )
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn wait_with_peak(mut child: std::process::Child) -> (bool, i64) {
    (child.wait().unwrap().success(), 0)
}

/// `goldpath fleet status` over `n` local repositories (bare clones of the model, read in
/// place), for each `n` of `sizes`: wall time and peak memory, and the ratio of the peaks
/// (issue #13: at most 5 s for 500 on 2 cores, memory flat). Without `measuring`, a check on 3.
fn measure_status(root: &Path, model: &Path, measuring: bool, sizes: [usize; 2], jobs: usize) {
    let sizes: &[usize] = if measuring { &sizes } else { &[3] };
    let mut peaks = Vec::new();
    for &n in sizes {
        let fleet = root.join(format!("status-{n}"));
        std::fs::create_dir_all(&fleet).unwrap();
        let mut list = String::new();
        for i in 0..n {
            let bare = fleet.join(format!("r{i}.git"));
            let (from, to) = (model.to_str().unwrap(), bare.to_str().unwrap());
            git(&fleet, &["clone", "-q", "--bare", "--local", from, to]);
            list.push_str(&format!("r{i}.git\n"));
        }
        std::fs::write(fleet.join("repos.txt"), list).unwrap();
        let start = Instant::now();
        let child = Command::new(GOLDPATH)
            .args([
                "fleet",
                "status",
                "--repos",
                "repos.txt",
                "--format",
                "json",
            ])
            .args(["--jobs", &jobs.to_string(), "--output", "status.json"])
            .current_dir(&fleet)
            .env("GOLDPATH_CACHE_DIR", fleet.join("cache"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("goldpath runs");
        let (success, peak_kib) = wait_with_peak(child);
        let wall = start.elapsed();
        let status = std::fs::read_to_string(fleet.join("status.json")).unwrap_or_default();
        assert!(
            success && status.matches("\"version\": \"1.0.0\"").count() == n,
            "fleet status of {n} failed"
        );
        if !measuring {
            println!("fleet bench: status of 3 repositories read (check only)");
            return;
        }
        println!(
            "{n:>5} repositories, fleet status --jobs {jobs}: wall {:>7.2} s, {:>6.1} ms per repository, peak memory {:>6.1} MiB",
            wall.as_secs_f64(),
            wall.as_secs_f64() * 1000.0 / n as f64,
            peak_kib as f64 / 1024.0
        );
        peaks.push(peak_kib);
        std::fs::remove_dir_all(&fleet).unwrap();
    }
    println!(
        "fleet status peak memory {} / {} repositories: {:.2}x",
        sizes[1],
        sizes[0],
        peaks[1] as f64 / peaks[0] as f64
    );
}
