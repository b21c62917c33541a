//! `goldpath fleet upgrade --push` over generated repositories with local bare remotes (no pull
//! requests): prints wall time, time per repository and peak memory, at 50 and at 500
//! repositories, and the ratio of the two peaks (memory must stay flat in the number of
//! repositories: a run keeps its report's entries on disk, and what grows in memory is the
//! repository list and an index of a few dozen bytes a repository); then the ratio against
//! `copier update` + `git commit` + `git push` per repository on the same service (issue #12:
//! target 500 repositories in at most 10 s, 500 within 1.2x of 50's memory, >= 50x copier).
//!
//! Run with `cargo bench --bench fleet`. `FLEET_BENCH_REPOS` sets the large fleet (default
//! 500), `FLEET_BENCH_SMALL` the small one (default 50), `FLEET_BENCH_JOBS` the `--jobs`
//! (default: the cores), `FLEET_BENCH_COPIER` the copier samples (default 10; 0 skips copier),
//! `GOLDPATH_BIN` the goldpath binary whose fleet runs are timed (default: this build's),
//! `FLEET_BENCH_TRANSPORT=daemon` serves the remotes with `git daemon` on 127.0.0.1 (`git://`
//! URLs, which take the `git` command) instead of listing them as `file://` URLs (which a plain
//! bare remote lets goldpath fetch and push in-process).
//! Peak memory is the largest resident set of the run's processes (goldpath or one `git` it
//! ran), from `wait4`. About 8 MiB of it is goldpath's own code (the binary's pages), the same
//! at any size. For a heap profile, point `GOLDPATH_BIN` at a script that runs
//! `exec heaptrack -o OUT /path/to/goldpath "$@"` (heaptrack's peak heap: 3.25 MiB at 50
//! repositories, 3.33 MiB at 500).
//!
//! The measured fleets are of the reference service of benches/README.md (the bundle
//! `reference-service` made by benches/make_reference_bundle.py, the copier template by
//! /work/shared/peers/make_copier_template.py: the same files), v1.0.0 -> v2.0.0. Copier is
//! installed as benches/compare.sh installs it (`.bench/venv`, `copier==9.19.1`).
//!
//! `cargo test --all-targets` runs it too, without `--bench`: then it upgrades a fleet of 3 once
//! as a check (of a small bundle `svc`, without python or copier), and times nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const GOLDPATH: &str = env!("CARGO_BIN_EXE_goldpath");

/// The goldpath whose fleet runs are timed: `GOLDPATH_BIN` (another build, e.g. of the commit
/// before a change, for before/after figures in one session), else this build's.
fn timed_goldpath() -> String {
    std::env::var("GOLDPATH_BIN").unwrap_or_else(|_| GOLDPATH.to_string())
}

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
        let run = fleet_run(dir.path(), &template, 3, jobs, SVC);
        assert!(run.success, "the fleet check failed");
        println!("fleet bench: 3 repositories upgraded and pushed (check only; `cargo bench --bench fleet` measures)");
        return;
    }
    let template = make_reference_project(dir.path());
    println!(
        "goldpath fleet upgrade --push, reference service 1.0.0 -> 2.0.0, {} cores, load average {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );
    let mut peaks = Vec::new();
    let mut per_repo = Duration::ZERO;
    for n in [small, large] {
        let run = fleet_run(dir.path(), &template, n, jobs, REFERENCE);
        assert!(run.success, "the fleet run of {n} failed");
        per_repo = run.wall / n as u32;
        println!(
            "{n:>5} repositories, --jobs {jobs}: wall {:>7.2} s, {:>6.1} ms per repository, peak memory {:>6.1} MiB",
            run.wall.as_secs_f64(),
            per_repo.as_secs_f64() * 1000.0,
            run.peak_kib as f64 / 1024.0
        );
        peaks.push(run.peak_kib);
    }
    println!(
        "peak memory {large} / {small} repositories: {:.2}x",
        peaks[1] as f64 / peaks[0] as f64
    );
    compare_with_copier(dir.path(), &template, per_repo, jobs);
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

/// The bundle a fleet is upgraded to 2.0.0 of, and the fleet branch.
struct Campaign {
    name: &'static str,
    branch: &'static str,
}

const SVC: &Campaign = &Campaign {
    name: "svc",
    branch: "goldpath/svc-2.0.0",
};

const REFERENCE: &Campaign = &Campaign {
    name: "reference-service",
    branch: "goldpath/reference-service-2.0.0",
};

struct Run {
    success: bool,
    wall: Duration,
    peak_kib: i64,
}

/// `n` bare remotes cloned from the model, each with a commit of its own; then one timed
/// `goldpath fleet upgrade --push` over them.
fn fleet_run(root: &Path, model: &Path, n: usize, jobs: usize, bundle: &Campaign) -> Run {
    let fleet = root.join(format!("fleet-{}-{n}", bundle.name));
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
    let daemon = (std::env::var("FLEET_BENCH_TRANSPORT").as_deref() == Ok("daemon"))
        .then(|| Daemon::serve(&fleet));
    if let Some(daemon) = &daemon {
        list = (0..n)
            .map(|i| format!("git://127.0.0.1:{}/r{i}.git\n", daemon.port))
            .collect();
    }
    let list_path = fleet.join("repos.txt");
    std::fs::write(&list_path, list).unwrap();
    let start = Instant::now();
    let child = Command::new(timed_goldpath())
        .args(["fleet", "upgrade", "--repos"])
        .arg(&list_path)
        .args(["--bundle", bundle.name, "--to", "2.0.0", "--defaults"])
        .args(["--branch", bundle.branch, "--push"])
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
    drop(daemon);
    Run {
        success,
        wall: start.elapsed(),
        peak_kib,
    }
}

/// A `git daemon` on 127.0.0.1 serving a folder's bare repositories (pushes allowed), stopped
/// when dropped.
struct Daemon {
    child: std::process::Child,
    port: u16,
}

impl Daemon {
    fn serve(base: &Path) -> Daemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // git-daemon itself, not `git daemon`: the `git` wrapper would leave it running.
        let exec_path = git(base, &["--exec-path"]);
        let child = Command::new(Path::new(exec_path.trim()).join("git-daemon"))
            .args(["--export-all", "--reuseaddr", "--enable=receive-pack"])
            .args(["--listen=127.0.0.1", &format!("--port={port}")])
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("git-daemon runs");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Daemon { child, port }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The reference service's bundle (benches/make_reference_bundle.py) and one project made from
/// its v1.0.0 with `goldpath new`, as benches/compare.sh makes it: the model of every
/// repository of the measured fleets.
fn make_reference_project(root: &Path) -> PathBuf {
    let bundle = root.join("reference-bundle");
    let ok = Command::new("python3")
        .arg(repo_root().join("benches/make_reference_bundle.py"))
        .arg(&bundle)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("python3 runs")
        .success();
    assert!(ok, "benches/make_reference_bundle.py failed");
    let status = Command::new(GOLDPATH)
        .args(["new", "reference-service", "reference", "--from"])
        .arg(format!("file://{}", bundle.display()))
        .args(["--version", "1.0.0", "--defaults", "--no-input"])
        .args(["--set", "service_name=orders-api"])
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .env("GOLDPATH_CACHE_DIR", root.join("cache"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("goldpath runs");
    assert!(status.success());
    root.join("reference")
}

/// copier, installed as benches/compare.sh installs it: `.bench/venv` with `copier==9.19.1`
/// (from PyPI, the first time). `None`, with the reason printed, when it cannot be had.
fn copier() -> Option<PathBuf> {
    const VERSION: &str = "9.19.1";
    let venv = repo_root().join(".bench/venv");
    let copier = venv.join("bin/copier");
    let has = |c: &Path| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(VERSION))
    };
    if has(&copier) {
        return Some(copier);
    }
    println!("installing copier=={VERSION} into {}", venv.display());
    let installed = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "-q", &format!("copier=={VERSION}")])
            .status()
            .is_ok_and(|s| s.success());
    if installed && has(&copier) {
        Some(copier)
    } else {
        println!(
            "copier: not measured (copier=={VERSION} could not be installed into {})",
            venv.display()
        );
        None
    }
}

/// The time of `command`, which must succeed.
fn timed(mut command: Command, what: &str) -> Duration {
    let start = Instant::now();
    let out = command.output().expect("the command runs");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let n = samples.len();
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    }
}

/// What a fleet upgrade does for one repository, done with copier: in a clone of the
/// repository's remote (made untimed), `copier update` to v2.0.0, `git commit`, `git push` of
/// the branch, timed together. The repositories are made as the fleet's are (copier's v1.0.0
/// project with the same answers, committed, plus a commit of its own), each with a bare
/// remote. Samples alternate with goldpath fleet runs of `SAMPLE_FLEET` repositories, so load
/// from other processes hits both alike; the ratio is of medians per repository. The 500
/// repositories' figure (`per_repo_large`) is printed next to it.
fn compare_with_copier(root: &Path, model: &Path, per_repo_large: Duration, jobs: usize) {
    const SAMPLE_FLEET: usize = 20;
    let samples = env_number("FLEET_BENCH_COPIER", 10);
    if samples == 0 {
        println!("copier: not measured (FLEET_BENCH_COPIER=0)");
        return;
    }
    let Some(copier) = copier() else { return };
    let dir = root.join("copier");
    let template = dir.join("template");
    std::fs::create_dir_all(&dir).unwrap();
    let ok = Command::new("python3")
        .arg("/work/shared/peers/make_copier_template.py")
        .arg(&template)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .status()
        .expect("python3 runs")
        .success();
    assert!(ok, "make_copier_template.py failed");
    let copier_model = dir.join("model");
    let mut copy = Command::new(&copier);
    copy.args(["copy", "--quiet", "--defaults", "--vcs-ref", "v1.0.0"])
        .args(["-d", "service_name=orders-api"])
        .arg(&template)
        .arg(&copier_model);
    timed(copy, "copier copy");
    git(&copier_model, &["init", "-q", "-b", "main"]);
    git(&copier_model, &["add", "-A"]);
    git(&copier_model, &["commit", "-qm", "generated by copier"]);
    let mut copier_times = Vec::new();
    let mut goldpath_times = Vec::new();
    for i in 0..samples {
        let bare = dir.join(format!("r{i}.git"));
        git(
            &dir,
            &[
                "clone",
                "-q",
                "--bare",
                copier_model.to_str().unwrap(),
                bare.to_str().unwrap(),
            ],
        );
        let work = dir.join(format!("w{i}"));
        git(
            &dir,
            &[
                "clone",
                "-q",
                bare.to_str().unwrap(),
                work.to_str().unwrap(),
            ],
        );
        std::fs::write(work.join("OWNER"), format!("repository {i}\n")).unwrap();
        git(&work, &["add", "OWNER"]);
        git(&work, &["commit", "-qm", "own file"]);
        git(&work, &["push", "-q", "origin", "main"]);
        git(&work, &["switch", "-q", "-c", REFERENCE.branch]);
        let start = Instant::now();
        let mut update = Command::new(&copier);
        update
            .args(["update", "--quiet", "--defaults", "--vcs-ref", "v2.0.0"])
            .arg(&work)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.com")
            .env("GIT_COMMITTER_NAME", "bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.com");
        timed(update, "copier update");
        git(&work, &["add", "-A"]);
        git(
            &work,
            &["commit", "-qm", "Upgrade reference-service to 2.0.0"],
        );
        git(&work, &["push", "-q", "origin", REFERENCE.branch]);
        copier_times.push(start.elapsed());
        let run = fleet_run(
            &dir.join(format!("gp{i}")),
            model,
            SAMPLE_FLEET,
            jobs,
            REFERENCE,
        );
        assert!(run.success, "the sample fleet run failed");
        goldpath_times.push(run.wall / SAMPLE_FLEET as u32);
    }
    let copier_median = median(copier_times);
    let goldpath_median = median(goldpath_times);
    println!(
        "copier update + git commit + git push: {:.1} ms per repository (median of {samples}); goldpath fleet of {SAMPLE_FLEET} between them: {:.1} ms per repository (median) -> {:.0}x",
        copier_median.as_secs_f64() * 1000.0,
        goldpath_median.as_secs_f64() * 1000.0,
        copier_median.as_secs_f64() / goldpath_median.as_secs_f64()
    );
    println!(
        "against goldpath's time per repository in the large fleet ({:.1} ms): {:.0}x",
        per_repo_large.as_secs_f64() * 1000.0,
        copier_median.as_secs_f64() / per_repo_large.as_secs_f64()
    );
}
