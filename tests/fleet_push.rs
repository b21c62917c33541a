//! `goldpath fleet upgrade --push` against bare remotes on disk that take the `git` command (as
//! a network remote does; a plain one is pushed to in-process: tests/fleet_local.rs), for what
//! makes it cheap and what keeps it safe (issue #12): one `git fetch` and one `git push` per
//! repository (no
//! `ls-remote`), later runs fetching only the default and fleet branches and following a
//! remote whose default branch changed, and the push's lease refusing a branch a person pushed
//! to between goldpath's fetch and its push.

use crate::fleet::{clean_fleet, entry, has_branch, outcome, report_of, upgrade_args};
use crate::harness::{git, Workspace};
use std::fs;
use std::path::Path;

const BRANCH: &str = "goldpath/svc-2.0.0";

/// How many git commands of each kind a run started on the fleet's remotes, from `GIT_TRACE`
/// (which logs every git process): `fetch` of a repository (the bundle's tags are fetched
/// too, without the remote's HEAD), `ls-remote`, `push`. The remotes' own processes
/// (upload-pack, receive-pack and what they run) are other commands.
fn git_commands(trace: &Path) -> (usize, usize, usize) {
    let text = fs::read_to_string(trace).unwrap_or_default();
    let count = |command: &str, with: &str| {
        text.lines()
            .filter(|l| l.contains(&format!("trace: built-in: git {command} ")) && l.contains(with))
            .count()
    };
    (
        count("fetch", "refs/goldpath/remote-head"),
        count("ls-remote", ""),
        count("push", ""),
    )
}

#[test]
fn each_repository_costs_one_fetch_and_one_push_and_a_later_run_fetches_only_two_branches() {
    let s = Workspace::new();
    let (list, urls) = clean_fleet(&s, 3);
    // Remotes that check what is pushed to them: receive-pack's work, so `git push`'s.
    for i in 0..3 {
        let remote = s.path(&format!("remotes/svc{i}.git"));
        git(&remote, &["config", "receive.fsckObjects", "true"]);
    }
    let report = s.path("report.json");
    let trace = s.path("trace.log");
    let out = s
        .command(s.root(), &upgrade_args(&list, &report))
        .env("GIT_TRACE", &trace)
        .run();
    assert_eq!(out.code, Some(0), "{out}");
    // Three repositories: three fetches, three pushes, and no `ls-remote` (the fetch of the
    // remote's HEAD names the default branch).
    let (fetches, ls_remotes, pushes) = git_commands(&trace);
    assert_eq!(
        (fetches, ls_remotes, pushes),
        (3, 0, 3),
        "{}",
        fs::read_to_string(&trace).unwrap()
    );
    let first = report_of(&report);
    for u in &urls {
        assert_eq!(outcome(&first, u), "upgraded", "{u}");
        assert_eq!(entry(&first, u)["base_branch"], "main");
        assert_eq!(entry(&first, u)["pushed"], true);
    }
    for i in 0..3 {
        assert!(has_branch(&s, &format!("svc{i}"), BRANCH));
    }

    // A later run: svc0's remote gains a branch nobody asked for, and svc1's default branch
    // becomes `trunk`, one commit ahead of `main`.
    let remote = |i: usize| s.path(&format!("remotes/svc{i}.git"));
    let main0 = git(&remote(0), &["rev-parse", "main"]);
    git(
        &remote(0),
        &["update-ref", "refs/heads/unrelated", main0.trim()],
    );
    let work = s.path("svc1-work");
    git(
        s.root(),
        &[
            "clone",
            "-q",
            remote(1).to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    git(&work, &["switch", "-q", "-c", "trunk"]);
    fs::write(work.join("NOTES.md"), "trunk only\n").unwrap();
    git(&work, &["add", "NOTES.md"]);
    git(
        &work,
        &[
            "-c",
            "user.name=a person",
            "-c",
            "user.email=person@example.com",
            "commit",
            "-qm",
            "trunk",
        ],
    );
    git(&work, &["push", "-q", "origin", "trunk"]);
    git(&remote(1), &["symbolic-ref", "HEAD", "refs/heads/trunk"]);
    fs::remove_file(&trace).unwrap();
    let report2 = s.path("report2.json");
    let out = s
        .command(s.root(), &upgrade_args(&list, &report2))
        .env("GIT_TRACE", &trace)
        .run();
    assert_eq!(out.code, Some(0), "{out}");
    let second = report_of(&report2);
    // svc0 and svc2: the branch already holds the upgrade, and the remote has it.
    for u in [&urls[0], &urls[2]] {
        assert_eq!(entry(&second, u)["base_branch"], "main");
        assert!(entry(&second, u)["detail"]
            .as_str()
            .unwrap()
            .contains("already holds this upgrade; the remote already has it"));
    }
    // svc1: the changed default branch was noticed (HEAD is no longer at `main`), asked for
    // once, and the upgrade starts from `trunk` now.
    assert_eq!(
        entry(&second, &urls[1])["base_branch"],
        "trunk",
        "{second:#}"
    );
    let (fetches, ls_remotes, pushes) = git_commands(&trace);
    assert_eq!(
        (fetches, ls_remotes, pushes),
        (3, 1, 1),
        "{}",
        fs::read_to_string(&trace).unwrap()
    );
    let upgraded_on_trunk = git(&remote(1), &["show", &format!("{BRANCH}:NOTES.md")]);
    assert_eq!(upgraded_on_trunk, "trunk only\n");
    // Only the default and the fleet branch were fetched into svc0's cache, not `unrelated`.
    let caches: Vec<_> = fs::read_dir(s.home().cache().join("fleet"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "git"))
        .collect();
    assert_eq!(caches.len(), 3);
    for cache in &caches {
        let repo = git2::Repository::open_bare(cache).unwrap();
        assert!(repo.find_reference("refs/heads/unrelated").is_err());
        assert!(repo.find_reference(&format!("refs/heads/{BRANCH}")).is_ok());
    }
}

#[test]
fn two_branches_at_the_remotes_head_are_told_apart_by_asking_the_remote() {
    let s = Workspace::new();
    let (list, urls) = clean_fleet(&s, 1);
    // `develop` sorts before `main` and is at the same commit: the fetch alone cannot tell.
    let remote = s.path("remotes/svc0.git");
    let main = git(&remote, &["rev-parse", "main"]);
    git(&remote, &["update-ref", "refs/heads/develop", main.trim()]);
    let report = s.path("report.json");
    s.command(s.root(), &upgrade_args(&list, &report)).success();
    let report = report_of(&report);
    assert_eq!(
        entry(&report, &urls[0])["base_branch"],
        "main",
        "{report:#}"
    );
}

#[test]
fn a_persons_push_between_goldpaths_fetch_and_its_push_is_refused_by_the_lease() {
    let s = Workspace::new();
    let (list, urls) = clean_fleet(&s, 2);
    let remote = s.path("remotes/svc0.git");
    // A person's commit, already in the remote under a ref of its own...
    let work = s.path("person");
    git(
        s.root(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    fs::write(work.join("PERSON.md"), "mine\n").unwrap();
    git(&work, &["add", "PERSON.md"]);
    git(
        &work,
        &[
            "-c",
            "user.name=a person",
            "-c",
            "user.email=person@example.com",
            "commit",
            "-qm",
            "a person's change",
        ],
    );
    git(&work, &["push", "-q", "origin", "HEAD:refs/person/edit"]);
    let persons = git(&work, &["rev-parse", "HEAD"]).trim().to_string();
    // ...becomes the fleet branch while goldpath's fetch from svc0 is under way: the remote
    // runs this in place of `pack-objects` for each fetch from it (git's
    // `uploadpack.packObjectsHook`, honoured from the global config), after the branches were
    // advertised. So goldpath fetched "no such branch", and the person's push lands before
    // goldpath pushes.
    let hook = s.path("person-pushes.sh");
    fs::write(
        &hook,
        format!(
            "#!/bin/sh\n\"$@\"\nstatus=$?\nif [ \"$(pwd -P)\" = \"{}\" ]; then\n  git update-ref refs/heads/{BRANCH} refs/person/edit\nfi\nexit $status\n",
            remote.canonicalize().unwrap().display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
    }
    s.home()
        .git_config("uploadpack.packObjectsHook", hook.to_str().unwrap());
    let report = s.path("report.json");
    let out = s.command(s.root(), &upgrade_args(&list, &report)).run();
    assert_eq!(out.code, Some(0), "{out}");
    let report = report_of(&report);
    assert_eq!(outcome(&report, &urls[0]), "skipped", "{report:#}");
    let detail = entry(&report, &urls[0])["detail"].as_str().unwrap();
    assert!(
        detail.contains("edited by a person")
            && detail.contains("moved after it was fetched")
            && detail.contains("nothing pushed"),
        "{detail}"
    );
    assert_eq!(entry(&report, &urls[0])["pushed"], false);
    // The person's commit is still the branch; the other repository was pushed as usual.
    assert_eq!(git(&remote, &["rev-parse", BRANCH]).trim(), persons);
    assert_eq!(outcome(&report, &urls[1]), "upgraded");
    assert!(has_branch(&s, "svc1", BRANCH));
}

/// A `git://` URL of a server on 127.0.0.1 that takes every connection and says nothing, and the
/// thread holding those connections open until the test ends.
fn silent_git_server() -> (String, std::thread::JoinHandle<()>) {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        while let Ok((stream, _)) = server.accept() {
            open.push(stream);
        }
    });
    (format!("git://127.0.0.1:{port}/silent.git"), held)
}

#[test]
fn a_remote_that_accepts_and_never_answers_times_out_alone() {
    let s = Workspace::new();
    let (list, urls) = clean_fleet(&s, 1);
    let (silent, held) = silent_git_server();
    fs::write(&list, format!("{silent}\n{}\n", urls[0])).unwrap();
    let report = s.path("report.json");
    let started = std::time::Instant::now();
    let out = s
        .command(s.root(), &upgrade_args(&list, &report))
        .env("GOLDPATH_FLEET_GIT_TIMEOUT", "1")
        .run();
    assert_eq!(out.code, Some(1), "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let report = report_of(&report);
    assert_eq!(outcome(&report, &silent), "failed", "{report:#}");
    let detail = entry(&report, &silent)["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("cannot reach {silent}: timed out after 1 s")),
        "{detail}"
    );
    assert_eq!(outcome(&report, &urls[0]), "upgraded");
    drop(held);
}

/// A cache that knows the remote's default branch fetches narrowly (that branch and the fleet
/// branch), and a narrow fetch that fails is tried again as a full one; the two (and a look for
/// the default branch after them) share one `GOLDPATH_FLEET_GIT_TIMEOUT`, so a remote that never
/// answers holds its worker for one timeout, not two (#12). 3 s: long enough that two timeouts
/// (6 s) cannot pass for one, however slow the machine.
#[test]
fn a_narrow_fetch_that_times_out_and_its_full_retry_share_one_timeout() {
    let s = Workspace::new();
    let (silent, held) = silent_git_server();
    // The cache an earlier run left: its HEAD names a branch it has, so the fetch is narrow.
    let key = format!("{:016x}", goldpath::fleet::stable_hash(&silent));
    let cache = s.home().cache().join("fleet").join(format!("{key}.git"));
    fs::create_dir_all(&cache).unwrap();
    git(&cache, &["init", "-q", "--bare", "-b", "main"]);
    let empty_tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    let commit = git(
        &cache,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit-tree",
            empty_tree,
            "-m",
            "earlier",
        ],
    );
    git(&cache, &["update-ref", "refs/heads/main", commit.trim()]);
    let list = s.path("repos.txt");
    fs::write(&list, format!("{silent}\n")).unwrap();
    let report = s.path("report.json");
    let started = std::time::Instant::now();
    let out = s
        .command(s.root(), &upgrade_args(&list, &report))
        .env("GOLDPATH_FLEET_GIT_TIMEOUT", "3")
        .run();
    let took = started.elapsed();
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        took >= std::time::Duration::from_secs(3) && took < std::time::Duration::from_secs(6),
        "{took:?}"
    );
    let report = report_of(&report);
    let detail = entry(&report, &silent)["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("cannot reach {silent}: timed out after 3 s")),
        "{detail}"
    );
    drop(held);
}

#[test]
fn a_local_repository_without_origin_fails_its_push_and_keeps_what_was_done() {
    let s = Workspace::new();
    let url = crate::upgrade::svc_bundle(&s);
    let p = crate::fleet::project(&s, &url, "alone", "1.0.0", |_| {});
    let list = s.path("repos.txt");
    fs::write(&list, "alone\n").unwrap();
    let report = s.path("report.json");
    let out = s.command(s.root(), &upgrade_args(&list, &report)).run();
    assert_eq!(out.code, Some(1), "{out}");
    let report = report_of(&report);
    let id = p.canonicalize().unwrap().display().to_string();
    assert_eq!(outcome(&report, &id), "failed", "{report:#}");
    let e = entry(&report, &id);
    assert!(e["detail"]
        .as_str()
        .unwrap()
        .contains("no remote `origin` to push to"));
    assert_eq!(e["base_branch"], "main");
    assert_eq!(e["projects"][0]["to"], "2.0.0");
    assert_eq!(e["branch"], BRANCH);
    assert_eq!(e["pushed"], false);
}
