//! `goldpath fleet status --format html` opened in a real headless Chromium (Debian's
//! `chromium`, installed by tests/install-validators): a fleet of real repositories made with
//! `goldpath new` at several versions, a drifted one and one that is not a goldpath project; the
//! page's DOM read back after its script ran (counts, rows, the chart's bars), sorting and
//! filtering driven through the page's own controls, no network request (Chromium's net log) and
//! no console message; a screenshot; the page without JavaScript; and `--history` over three runs
//! at three releases. Without Chromium on PATH these tests are skipped (with a message), or fail
//! with `GOLDPATH_VALIDATORS=1`.

use crate::golden_path::which;
use crate::harness::{edit_and_commit, git, read, BundleRepo, Workspace};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// 2026-11-30T15:00:00Z, and one day.
const NOW: i64 = 1_796_050_800;
const DAY: i64 = 86_400;

fn manifest(version: &str) -> String {
    format!(
        "[bundle]\nname = \"web\"\nversion = \"{version}\"\ndescription = \"web service\"\n\n\
         [[questions]]\nname = \"service_name\"\ntype = \"string\"\n\n\
         [[questions]]\nname = \"owner\"\ntype = \"string\"\ndefault = \"team-web\"\n\n\
         [files]\nlocked = [\"ci/**\"]\n"
    )
}

/// Releases `web` `version` in `repo`: a README and a locked CI file that name the version.
fn release(repo: &BundleRepo, version: &str) {
    let readme = format!("# {{{{ service_name }}}}\n\nweb {version}, owned by {{{{ owner }}}}.\n");
    let ci = format!("steps:\n  - run: make test # web {version}\n");
    repo.release(
        &format!("v{version}"),
        &manifest(version),
        &[("README.md.tera", &readme), ("ci/pipeline.yml", &ci)],
        |_| {},
    );
}

/// A `web` project `name` made by `goldpath new` at `version`.
fn project(s: &Workspace, url: &str, name: &str, version: &str) -> PathBuf {
    s.new_project(&[
        "web",
        name,
        "--from",
        url,
        "--version",
        version,
        "--set",
        &format!("service_name={name}"),
    ])
}

fn plain_repo(s: &Workspace, name: &str) -> PathBuf {
    let dir = s.path(name);
    fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    fs::write(dir.join("README.md"), "no golden path here\n").unwrap();
    edit_and_commit(&dir, |_| {});
    dir
}

fn repos_file(s: &Workspace, names: &[&str]) -> PathBuf {
    let list = s.path("repos.txt");
    fs::write(&list, names.join("\n") + "\n").unwrap();
    list
}

/// `goldpath fleet status --repos LIST ARGS` dated `at` (SOURCE_DATE_EPOCH); asserts exit 0.
fn status(s: &Workspace, list: &Path, at: i64, args: &[&str]) -> crate::harness::Outcome {
    let mut all = vec!["fleet", "status", "--repos", list.to_str().unwrap()];
    all.extend_from_slice(args);
    s.command(s.root(), &all)
        .env("SOURCE_DATE_EPOCH", at.to_string())
        .success()
}

/// The fleet: `web` 1.0.0, 1.1.0 and 2.0.0 released; three projects on 1.0.0 (one with its
/// locked CI file edited: drift), one on 1.1.0, two on 2.0.0, and a repository without goldpath.
fn fleet() -> (Workspace, PathBuf) {
    let s = Workspace::new();
    let bundle = s.bundle_repo("web-bundle");
    for v in ["1.0.0", "1.1.0", "2.0.0"] {
        release(&bundle, v);
    }
    let url = bundle.url();
    for (name, version) in [
        ("alpha", "1.0.0"),
        ("bravo", "1.0.0"),
        ("charlie", "1.0.0"),
        ("delta", "1.1.0"),
        ("echo", "2.0.0"),
        ("foxtrot", "2.0.0"),
    ] {
        project(&s, &url, name, version);
    }
    edit_and_commit(&s.path("bravo"), |p| {
        fs::write(p.join("ci/pipeline.yml"), "steps:\n  - run: make\n").unwrap();
    });
    plain_repo(&s, "legacy");
    let list = repos_file(
        &s,
        &[
            "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "legacy",
        ],
    );
    (s, list)
}

/// Headless Chromium, found on PATH.
struct Chromium {
    bin: PathBuf,
}

/// What one Chromium run left: the DOM after the page's scripts ran, the console messages, and
/// the URLs the page asked the network for.
struct Run {
    dom: String,
    console: Vec<String>,
    requests: Vec<String>,
}

fn chromium() -> Option<Chromium> {
    match which("chromium").or_else(|| which("chromium-browser")) {
        Some(bin) => Some(Chromium { bin }),
        None => {
            let message = "chromium not found on PATH; run tests/install-validators";
            if std::env::var("GOLDPATH_VALIDATORS").is_ok_and(|v| v == "1") {
                panic!("{message} (GOLDPATH_VALIDATORS=1: every validator is required)");
            }
            eprintln!("SKIPPED the HTML report in Chromium: {message}");
            None
        }
    }
}

impl Chromium {
    /// Opens `page` headless with a fresh profile and `extra` flags (`--dump-dom` or
    /// `--screenshot=...`). Every host name resolves to nothing, so a request the page made could
    /// not leave the machine; the net log still records it, and that is what is asserted.
    fn open(&self, page: &Path, extra: &[&str]) -> Run {
        let work = tempfile::tempdir().unwrap();
        let net_log = work.path().join("net-log.json");
        let mut child = Command::new(&self.bin)
            .args([
                "--headless",
                // Tests run as root in containers, where Chromium's sandbox cannot start; the
                // page is the test's own.
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!(
                "--user-data-dir={}",
                work.path().join("profile").display()
            ))
            .arg(format!("--log-net-log={}", net_log.display()))
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .env("HOME", work.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // Read both pipes while it runs, so neither can fill up and stall it.
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
            s
        });
        // A page this size loads in about a second; the bound only guards against a hang.
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("chromium took more than 60 s on {}", page.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let dom = out.join().unwrap();
        let stderr = err.join().unwrap();
        assert!(status.success(), "chromium failed ({status}):\n{stderr}");
        let console = stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect();
        Run {
            dom,
            console,
            requests: page_requests(&net_log),
        }
    }
}

/// The URLs of the requests a page started, from Chromium's net log: a URL request whose
/// initiator is an origin (a page's). The browser's own background requests have none ("not an
/// origin") and are not the page's doing.
fn page_requests(net_log: &Path) -> Vec<String> {
    let log: Value = serde_json::from_str(&read(net_log)).expect("chromium wrote its net log");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("the net log names URL_REQUEST_START_JOB");
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| {
            e["params"]["initiator"]
                .as_str()
                .is_some_and(|i| i != "not an origin")
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect()
}

/// A copy of `page` with `probe` run after the page's own script: it drives the page and writes
/// what it saw as JSON into `<pre id="probe">`, read back from the dumped DOM.
fn with_probe(page: &Path, probe: &str, name: &str) -> PathBuf {
    let html = read(page);
    let at = html.rfind("</body>").expect("the page ends its body");
    let copy = page.with_file_name(name);
    let probed = format!(
        "{}<pre id=\"probe\"></pre><script>\n{PROBE_LIB}\n{probe}\n</script>\n{}",
        &html[..at],
        &html[at..]
    );
    fs::write(&copy, probed).unwrap();
    copy
}

/// Reads the page as the browser rendered it; shared by every probe.
const PROBE_LIB: &str = r#"
function report(value) { document.getElementById('probe').textContent = JSON.stringify(value); }
function counts() {
  var out = {};
  document.querySelectorAll('#counts [data-count]').forEach(function (li) {
    out[li.getAttribute('data-count')] = Number(li.querySelector('.n').textContent);
  });
  return out;
}
function bars() {
  return Array.prototype.map.call(document.querySelectorAll('figure.adoption g.bar'), function (g) {
    var rect = g.querySelector('rect').getBoundingClientRect();
    return { bundle: g.closest('figure').getAttribute('data-bundle'), version: g.getAttribute('data-version'),
             count: Number(g.getAttribute('data-count')), height: rect.height, latest: g.classList.contains('latest') };
  });
}
function rows() {
  return Array.prototype.filter.call(document.querySelectorAll('#services tbody tr'), function (tr) {
    return !tr.hidden && tr.offsetParent !== null;
  }).map(function (tr) {
    return Array.prototype.map.call(tr.cells, function (td) { return td.textContent.trim(); });
  });
}
function sortBy(label) {
  var th = Array.prototype.find.call(document.querySelectorAll('#services thead th'), function (th) {
    return th.textContent.trim() === label;
  });
  th.querySelector('button').click();
  return th.getAttribute('aria-sort');
}
function type(id, value) {
  var el = document.getElementById(id);
  el.value = value;
  el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
}
"#;

/// The JSON a probe reported in the dumped DOM.
fn probe_result(run: &Run) -> Value {
    let start = run
        .dom
        .find("<pre id=\"probe\">")
        .expect("the probe's element")
        + 16;
    let end = start + run.dom[start..].find("</pre>").unwrap();
    let text = run.dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("probe output {text:?}: {e}"))
}

fn column(rows: &Value, i: usize) -> Vec<&str> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[i].as_str().unwrap())
        .collect()
}

#[test]
fn the_html_report_shows_the_fleet_in_chromium_and_sorts_and_filters_without_a_network() {
    let Some(chromium) = chromium() else {
        return;
    };
    let (s, list) = fleet();
    let json: Value =
        serde_json::from_str(&status(&s, &list, NOW, &["--format", "json"]).stdout).unwrap();
    let html = status(&s, &list, NOW, &["--format", "html"]).stdout.clone();
    let page = s.path("adoption.html");
    fs::write(&page, &html).unwrap();

    // The page as it is: the script ran (the filters are shown), no request, no console message.
    let plain = chromium.open(&page, &["--dump-dom"]);
    assert!(
        plain.requests.is_empty(),
        "the page made requests: {:?}",
        plain.requests
    );
    assert!(
        plain.console.is_empty(),
        "console messages: {:#?}",
        plain.console
    );
    assert!(
        plain
            .dom
            .contains("<form class=\"filters\" id=\"filters\" role=\"search\">"),
        "the script did not show the filters:\n{}",
        plain.dom
    );
    assert!(plain.dom.contains("7 of 7 shown"), "{}", plain.dom);

    // What a reader sees, read from the rendered DOM.
    let probe = with_probe(
        &page,
        r#"
var seen = { counts: counts(), bars: bars(), rows: rows() };
seen.sortVersion = sortBy('Version'); seen.byVersion = rows();
seen.sortVersionAgain = sortBy('Version'); seen.byVersionDesc = rows();
seen.sortBehind = sortBy('Behind'); seen.byBehind = rows();
sortBy('Repository');
type('filter-text', 'CHARLIE'); seen.filteredText = rows(); seen.shownText = document.getElementById('shown').textContent;
type('filter-text', ''); type('filter-state', 'not-adopted'); seen.notAdopted = rows();
type('filter-state', 'behind'); seen.behindRows = rows();
type('filter-state', 'current'); seen.currentRows = rows();
type('filter-state', ''); type('filter-bundle', 'web'); seen.webRows = rows();
report(seen);
"#,
        "probed.html",
    );
    let run = chromium.open(&probe, &["--dump-dom"]);
    assert!(
        run.console.is_empty(),
        "console messages: {:#?}",
        run.console
    );
    let seen = probe_result(&run);

    let drifted_in_model = json["repos"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["projects"].as_array().unwrap())
        .filter(|p| !p["drifted"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(seen["counts"]["current"], 2, "{seen}");
    assert_eq!(seen["counts"]["behind"], 4, "{seen}");
    assert_eq!(seen["counts"]["not-adopted"], 1, "{seen}");
    assert_eq!(seen["counts"]["drifted"], drifted_in_model, "{seen}");

    // One bar per version, as tall as its count: 3, 1, 2 projects -> 160, 53.33, 106.67.
    let bars = seen["bars"].as_array().unwrap();
    let versions: Vec<&str> = bars
        .iter()
        .map(|b| b["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0", "2.0.0"], "{seen}");
    let counts: Vec<u64> = bars.iter().map(|b| b["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [3, 1, 2], "{seen}");
    let heights: Vec<f64> = bars.iter().map(|b| b["height"].as_f64().unwrap()).collect();
    assert!(heights[0] > 0.0, "{seen}");
    for (h, c) in heights.iter().zip(&counts) {
        let expected = heights[0] * *c as f64 / 3.0;
        assert!(
            (h - expected).abs() < 1.0,
            "bar heights {heights:?} for counts {counts:?}"
        );
    }
    assert_eq!(
        bars.iter().filter(|b| b["latest"] == true).count(),
        1,
        "{seen}"
    );
    assert_eq!(bars[2]["latest"], true, "{seen}");

    // Every repository in the run's order: six projects and the one without goldpath.
    let repos = column(&seen["rows"], 0);
    assert_eq!(repos.len(), 7, "{seen}");
    for (row, name) in repos.iter().zip([
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "legacy",
    ]) {
        assert!(row.ends_with(name), "{repos:?}");
    }
    let delta = &seen["rows"][3];
    assert_eq!(delta[3], "web", "{seen}");
    assert_eq!(delta[4], "1.1.0", "{seen}");
    assert_eq!(delta[5], "1 major", "{seen}");
    assert!(
        delta[7]
            .as_str()
            .unwrap()
            .starts_with("behind (1.1.0 → 2.0.0)"),
        "{seen}"
    );
    assert_eq!(seen["rows"][0][5], "2 major", "{seen}");
    assert!(
        seen["rows"][6][7]
            .as_str()
            .unwrap()
            .starts_with("not adopted"),
        "{seen}"
    );

    // Sorting: by version ascending, then descending; by versions behind (numbers, not text).
    assert_eq!(seen["sortVersion"], "ascending");
    assert_eq!(
        column(&seen["byVersion"], 4),
        ["", "1.0.0", "1.0.0", "1.0.0", "1.1.0", "2.0.0", "2.0.0"],
        "{seen}"
    );
    assert_eq!(seen["sortVersionAgain"], "descending");
    assert_eq!(
        column(&seen["byVersionDesc"], 4),
        ["2.0.0", "2.0.0", "1.1.0", "1.0.0", "1.0.0", "1.0.0", ""],
        "{seen}"
    );
    let behind: Vec<&str> = column(&seen["byBehind"], 5);
    assert_eq!(
        behind,
        ["", "0", "0", "1 major", "2 major", "2 major", "2 major"],
        "{seen}"
    );

    // Filtering: text (any case), state, bundle.
    let only_charlie = column(&seen["filteredText"], 0);
    assert!(
        only_charlie.len() == 1 && only_charlie[0].ends_with("charlie"),
        "{seen}"
    );
    assert_eq!(seen["shownText"], "1 of 7 shown");
    let legacy = column(&seen["notAdopted"], 0);
    assert!(legacy.len() == 1 && legacy[0].ends_with("legacy"), "{seen}");
    assert_eq!(seen["behindRows"].as_array().unwrap().len(), 4, "{seen}");
    let current = column(&seen["currentRows"], 0);
    assert!(
        current.len() == 2
            && current
                .iter()
                .all(|r| r.ends_with("echo") || r.ends_with("foxtrot")),
        "{seen}"
    );
    assert_eq!(seen["webRows"].as_array().unwrap().len(), 6, "{seen}");

    // Without JavaScript the page still reads: every row, the counts and the bars, no filters.
    // (Chromium's --dump-dom needs scripting on, so the copy opened has the page's script cut.)
    let html_no_js = {
        let start = html.rfind("<script>").expect("the page's script");
        let end = html.rfind("</script>").unwrap() + "</script>".len();
        format!("{}{}", &html[..start], &html[end..])
    };
    let page_no_js = s.path("adoption-no-js.html");
    fs::write(&page_no_js, html_no_js).unwrap();
    let no_js = chromium.open(&page_no_js, &["--dump-dom"]);
    assert!(
        no_js.dom.contains("id=\"filters\" role=\"search\" hidden"),
        "{}",
        no_js.dom
    );
    assert_eq!(
        no_js.dom.matches("<tr data-bundle=").count(),
        7,
        "{}",
        no_js.dom
    );
    assert_eq!(
        no_js.dom.matches("<g class=\"bar").count(),
        3,
        "{}",
        no_js.dom
    );

    // A screenshot, kept for a person to look at (its path is printed).
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status_html");
    fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("fleet.png");
    let _ = fs::remove_file(&shot);
    chromium.open(
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,900",
        ],
    );
    let png = fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
}

/// The checks above can fail: a page that asks for a remote image and logs an error is caught
/// by the same net log and console reading.
#[test]
fn a_page_that_requests_the_network_or_logs_an_error_is_caught() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("leaky.html");
    fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>x</title></head><body>\
         <img src=\"http://status.example.invalid/pixel.png\" alt=\"\">\
         <script>console.error('boom');</script></body></html>",
    )
    .unwrap();
    let run = chromium.open(&page, &["--dump-dom"]);
    assert_eq!(run.requests, ["http://status.example.invalid/pixel.png"]);
    assert!(
        run.console.iter().any(|l| l.contains("boom")),
        "{:?}",
        run.console
    );
}

#[test]
fn history_keeps_a_snapshot_per_run_and_draws_how_fast_each_release_reaches_the_fleet() {
    let Some(chromium) = chromium() else {
        return;
    };
    let s = Workspace::new();
    let bundle = s.bundle_repo("web-bundle");
    release(&bundle, "1.0.0");
    let url = bundle.url();
    for name in ["alpha", "bravo", "charlie"] {
        project(&s, &url, name, "1.0.0");
    }
    let list = repos_file(&s, &["alpha", "bravo", "charlie"]);
    let history = s.path("status-history");
    let history_arg = history.to_str().unwrap();
    let upgrade = |name: &str, to: &str| {
        s.command(
            &s.path(name),
            &["upgrade", "--to", to, "--defaults", "--no-input"],
        )
        .success();
    };

    // Day 1: everyone on 1.0.0, the only release. The folder does not exist yet.
    status(
        &s,
        &list,
        NOW,
        &["--format", "json", "--history", history_arg],
    );
    // Day 2: 1.1.0 is out and one project took it. A file of someone else's sits in the folder.
    release(&bundle, "1.1.0");
    upgrade("alpha", "1.1.0");
    fs::write(
        history.join("README.txt"),
        "snapshots of goldpath fleet status\n",
    )
    .unwrap();
    status(
        &s,
        &list,
        NOW + DAY,
        &["--format", "table", "--history", history_arg],
    );
    // Day 3: 2.0.0 is out; two projects are on it, one is still on 1.0.0.
    release(&bundle, "2.0.0");
    upgrade("alpha", "2.0.0");
    upgrade("bravo", "2.0.0");
    let first = fs::read(history.join("2026-11-30T150000Z.json")).unwrap();
    let out = status(
        &s,
        &list,
        NOW + 2 * DAY,
        &["--format", "html", "--history", history_arg],
    );
    out.stderr_contains("warning: --history: skipped")
        .stderr_contains("README.txt");

    let mut names: Vec<String> = fs::read_dir(&history)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "2026-11-30T150000Z.json",
            "2026-12-01T150000Z.json",
            "2026-12-02T150000Z.json",
            "README.txt"
        ]
    );
    assert_eq!(
        fs::read(history.join("2026-11-30T150000Z.json")).unwrap(),
        first,
        "a snapshot was rewritten"
    );
    let day3: Value = serde_json::from_str(&read(history.join("2026-12-02T150000Z.json"))).unwrap();
    assert_eq!(day3["schema"], 1);
    assert_eq!(day3["generated_at"], "2026-12-02T15:00:00Z");

    // A run in the same second keeps both snapshots.
    status(
        &s,
        &list,
        NOW + 2 * DAY,
        &["--format", "json", "--history", history_arg],
    );
    assert!(history.join("2026-12-02T150000Z-2.json").is_file());
    fs::remove_file(history.join("2026-12-02T150000Z-2.json")).unwrap();

    let page = s.path("adoption.html");
    fs::write(&page, &out.stdout).unwrap();
    let probe = with_probe(
        &page,
        r#"
var table = document.querySelector('table.history[data-bundle="web"]');
var head = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent.trim(); });
var body = Array.prototype.map.call(table.tBodies[0].rows, function (r) {
  return Array.prototype.map.call(r.cells, function (c) { return c.textContent.trim(); });
});
var lines = Array.prototype.map.call(document.querySelectorAll('figure.over-time[data-bundle="web"] g.series'), function (g) {
  return { version: g.getAttribute('data-version'), newest: g.classList.contains('newest'),
           points: g.querySelector('polyline').points.length,
           ys: Array.prototype.map.call(g.querySelectorAll('circle'), function (c) { return c.cy.baseVal.value; }) };
});
report({ head: head, body: body, lines: lines });
"#,
        "probed.html",
    );
    let run = chromium.open(&probe, &["--dump-dom"]);
    assert!(run.requests.is_empty(), "{:?}", run.requests);
    assert!(run.console.is_empty(), "{:#?}", run.console);
    let seen = probe_result(&run);
    assert_eq!(
        seen["head"],
        serde_json::json!(["Snapshot", "Projects", "1.0.0", "1.1.0", "2.0.0"]),
        "{seen}"
    );
    assert_eq!(
        seen["body"],
        serde_json::json!([
            ["2026-11-30T15:00:00Z", "3", "100%", "0%", "0%"],
            ["2026-12-01T15:00:00Z", "3", "67%", "33%", "0%"],
            ["2026-12-02T15:00:00Z", "3", "33%", "0%", "67%"]
        ]),
        "{seen}"
    );
    let lines = seen["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{seen}");
    assert!(lines.iter().all(|l| l["points"] == 3), "{seen}");
    let newest: Vec<&Value> = lines.iter().filter(|l| l["newest"] == true).collect();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0]["version"], "2.0.0");
    // 2.0.0's line: flat at 0% then up to 67% (SVG y grows downwards).
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status_html/history.png");
    fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = fs::remove_file(&shot);
    chromium.open(
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1400",
        ],
    );
    assert!(fs::read(&shot)
        .expect("the screenshot")
        .starts_with(b"\x89PNG"));
    eprintln!("screenshot: {}", shot.display());
    let ys: Vec<f64> = newest[0]["ys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.as_f64().unwrap())
        .collect();
    assert!(ys[0] == ys[1] && ys[2] < ys[1], "{ys:?}");
}

/// Bad input is refused before anything is written, naming what to fix; no browser needed.
#[test]
fn a_history_path_that_is_a_file_or_a_bad_source_date_epoch_is_refused() {
    let s = Workspace::new();
    let bundle = s.bundle_repo("web-bundle");
    release(&bundle, "1.0.0");
    project(&s, &bundle.url(), "alpha", "1.0.0");
    let list = repos_file(&s, &["alpha"]);
    let file = s.path("status.json");
    fs::write(&file, "mine\n").unwrap();
    let out = s
        .command(
            s.root(),
            &[
                "fleet",
                "status",
                "--repos",
                list.to_str().unwrap(),
                "--format",
                "html",
                "--history",
                file.to_str().unwrap(),
            ],
        )
        .code(2);
    out.stderr_contains("--history")
        .stderr_contains(file.to_str().unwrap());
    assert!(out.stdout.is_empty(), "{out}");
    assert_eq!(read(&file), "mine\n");

    let out = s
        .command(
            s.root(),
            &[
                "fleet",
                "status",
                "--repos",
                list.to_str().unwrap(),
                "--format",
                "json",
            ],
        )
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .code(2);
    out.stderr_contains("SOURCE_DATE_EPOCH=\"yesterday\"");
    assert!(out.stdout.is_empty(), "{out}");
}
