//! Issue #9, cases 6 and 7 and argument injection: credentials in a source URL, secret answers
//! and values computed from them never reach a recorded file, a commit, a message or the cache;
//! nothing a user or a `.goldpath.toml` gives is read as an option by the `git` command.
//!
//! Remote sources are served by [`GitServer`]: `git http-backend` behind a small HTTP server on
//! 127.0.0.1 that asks for Basic auth, so a URL's credentials are really used, and a later
//! `check` or `upgrade` really fetches through the credential helper of the test's git config.

use crate::harness::{commits, git, read, write_bundle, BundleRepo, Goldpath, Outcome};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const USER: &str = "ci-bot";
const TOKEN: &str = "glpat-S3cr3tT0ken9";

/// A git smart-HTTP server for the repositories under `root`, requiring `USER:TOKEN`.
struct GitServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GitServer {
    fn start(root: &Path) -> GitServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (root, flag) = (root.to_path_buf(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let _ = serve(stream, &root);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        GitServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// The URL of `repo` without credentials.
    fn url(&self, repo: &str) -> String {
        format!("http://127.0.0.1:{}/{repo}", self.port)
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One request, one response, then the connection is closed.
fn serve(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(len) = header("content-length") {
        body.resize(len.parse().unwrap_or(0), 0);
        reader.read_exact(&mut body)?;
    } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    let mut stream = stream;
    let expected = format!("Basic {}", base64(format!("{USER}:{TOKEN}").as_bytes()));
    if header("authorization").as_deref() != Some(expected.as_str()) {
        stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        return Ok(());
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cgi = std::process::Command::new("git");
    cgi.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REMOTE_USER", USER)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", body.len().to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (name, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ] {
        if let Some(v) = header(name) {
            cgi.env(var, v);
        }
    }
    let mut child = cgi.spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let output = child.wait_with_output()?;
    let _ = feeder.join();
    let out = output.stdout;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let (head, content) = match split {
        Some((i, n)) => (
            String::from_utf8_lossy(&out[..i]).into_owned(),
            &out[i + n..],
        ),
        None => (String::new(), &out[..]),
    };
    let mut status = "200 OK".to_string();
    let mut response = String::new();
    for h in head.lines() {
        match h.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
            Some(_) => response.push_str(&format!("{h}\r\n")),
            None => {}
        }
    }
    stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\n{response}Content-Length: {}\r\nConnection: close\r\n\r\n",
            content.len()
        )
        .as_bytes(),
    )?;
    stream.write_all(content)?;
    stream.flush()
}

/// A one-bundle repository (`b` at `version`), bare-cloned to `root/bundles.git`.
fn publish(repo: &BundleRepo, root: &Path, version: &str) {
    repo.write(
        "bundle.toml",
        &format!(
            "[bundle]\nname = \"b\"\nversion = \"{version}\"\n\n[[questions]]\nname = \"service\"\ntype = \"string\"\ndefault = \"svc\"\n"
        ),
    )
    .write("template/README.md.tera", &format!("# {{{{ service }}}} {version}\n"));
    repo.commit(&format!("b {version}"));
    repo.tag(&format!("v{version}"), false);
    let bare = root.join("bundles.git");
    if bare.exists() {
        std::fs::remove_dir_all(&bare).unwrap();
    }
    repo.bare_clone(&bare);
}

/// Every file and folder name under `dir`, and the text of every file, `.git` included.
fn everything_under(dir: &Path) -> String {
    let mut out = String::new();
    for entry in walk(dir) {
        out.push_str(&entry.display().to_string());
        out.push('\n');
        if entry.is_file() {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&entry).unwrap()));
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            out.push(p.clone());
            if p.is_dir() && !p.is_symlink() {
                out.extend(walk(&p));
            }
        }
    }
    out
}

/// The project's whole history as text: every commit message and every patch.
fn history(project: &Path) -> String {
    git(project, &["log", "-p", "--all", "--format=%B"])
}

#[track_caller]
fn assert_absent(secret: &str, what: &str, text: &str) {
    assert!(!text.contains(secret), "{what} holds `{secret}`:\n{text}");
}

#[track_caller]
fn assert_quiet(secret: &str, out: &Outcome) {
    assert_absent(
        secret,
        "the output",
        &format!("{}{}", out.stdout, out.stderr),
    );
}

/// The credential helper a user would have: it answers for the server, the URL stays clean.
fn with_helper(g: Goldpath) -> Goldpath {
    g.git_config(
        "credential.helper",
        &format!(
            "!f() {{ test \"$1\" = get && echo username={USER} && echo password={TOKEN}; }}; f"
        ),
    )
}

/// Case 6: `--from http://user:TOKEN@host/...` works, and the token is in nothing goldpath
/// writes or prints; `check` and `upgrade` then fetch the recorded URL through the user's
/// credential helper.
#[test]
fn credentials_in_a_source_url_are_used_but_never_recorded_or_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let repo = BundleRepo::new();
    publish(&repo, &root, "1.0.0");
    let server = GitServer::start(&root);
    let clean = server.url("bundles.git");
    let cache = tmp.path().join("cache");

    for (n, url) in [
        clean.replace("http://", &format!("http://{USER}:{TOKEN}@")),
        clean.replace(
            "http://",
            &format!("http://{USER}:{}@", TOKEN.replace('3', "%33")),
        ),
    ]
    .iter()
    .enumerate()
    {
        let dir = format!("svc{n}");
        let out = Goldpath::new()
            .args(["new", "b", &dir, "--from", url, "--defaults"])
            .env("GOLDPATH_CACHE_DIR", &cache)
            .current_dir(tmp.path())
            .success();
        out.stdout_contains(&format!("from b 1.0.0 ({clean})"));
        assert_quiet(TOKEN, &out);
        let project = tmp.path().join(&dir);
        let record: toml::Table = toml::from_str(&read(project.join(".goldpath.toml"))).unwrap();
        assert_eq!(record["bundle"]["source"].as_str(), Some(clean.as_str()));
        assert_absent(TOKEN, "the project", &everything_under(&project));
        assert_absent(TOKEN, "the history", &history(&project));
        assert!(commits(&project)[0].message.contains(&clean));
    }
    assert_absent(TOKEN, "the cache", &everything_under(&cache));
    assert_absent("%33", "the cache", &everything_under(&cache));

    // Later runs fetch the recorded URL; the credential helper supplies the token.
    let project = tmp.path().join("svc0");
    for format in ["text", "json", "github", "junit"] {
        let out = with_helper(Goldpath::new())
            .args(["check", "--format", format])
            .current_dir(&project)
            .success();
        assert_quiet(TOKEN, &out);
    }
    publish(&repo, &root, "1.1.0");
    let out = with_helper(Goldpath::new())
        .args(["upgrade"])
        .current_dir(&project)
        .success();
    out.stdout_contains(&format!("b 1.0.0 -> 1.1.0 ({clean})"));
    assert_quiet(TOKEN, &out);
    assert_absent(TOKEN, "the project", &everything_under(&project));
    assert_absent(TOKEN, "the history", &history(&project));
    // Without the helper the fetch fails, and says so without asking for a password.
    let out = Goldpath::new()
        .args(["check"])
        .current_dir(&project)
        .code(2);
    out.stderr_contains(&format!(
        "cannot read the versions of b from {clean}: cannot fetch {clean}: "
    ));
}

/// Case 6, the failing side: every way of putting a token in a URL, to a server that refuses it
/// or a repository that is not there; git's stderr is relayed without it.
#[test]
fn credentials_in_a_source_url_are_not_in_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let repo = BundleRepo::new();
    publish(&repo, &root, "1.0.0");
    let server = GitServer::start(&root);
    let port = server.port;
    let cache = tmp.path().join("cache");
    for url in [
        format!("http://{USER}:{TOKEN}@127.0.0.1:{port}/missing.git"),
        format!("http://{TOKEN}@127.0.0.1:{port}/bundles.git"),
        format!("http://oauth2:{TOKEN}@127.0.0.1:{port}/bundles.git"),
        format!("http://127.0.0.1:{port}/bundles.git?private_token={TOKEN}"),
        format!("http://127.0.0.1:{port}/bundles.git?access_token={TOKEN}"),
    ] {
        for args in [
            vec!["new", "b", "svc", "--from", url.as_str(), "--defaults"],
            vec!["list", "--from", url.as_str()],
        ] {
            let out = Goldpath::new()
                .args(&args)
                .env("GOLDPATH_CACHE_DIR", &cache)
                .current_dir(tmp.path())
                .code(2);
            out.stderr_contains("cannot fetch http://");
            assert_quiet(TOKEN, &out);
        }
    }
    assert!(!tmp.path().join("svc").exists());
    assert_absent(TOKEN, "the cache", &everything_under(&cache));
}

/// A bundle folder with `files` (path -> text) and a manifest of `questions`.
fn bundle(dir: &Path, questions: &str, files: &[(&str, &str)]) -> String {
    write_bundle(
        dir,
        &format!("[bundle]\nname = \"s\"\nversion = \"1.0.0\"\n\n{questions}"),
        files,
    );
    dir.display().to_string()
}

const SECRET: &str = "hunter2-Sup3rS3cret";

const TOKEN_QUESTIONS: &str = r#"
[[questions]]
name = "token"
type = "secret"

[[questions]]
name = "header"
type = "string"
default = "Bearer {{ token }}-x"

[[questions]]
name = "shout"
type = "string"
default = "{{ header | upper }}"

[[questions]]
name = "service"
type = "string"
default = "svc"
"#;

/// Case 7: answers computed from a secret (directly or through another) are not recorded, and
/// upgrade and check compute them again.
#[test]
fn answers_computed_from_a_secret_are_not_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let from = bundle(
        &tmp.path().join("b"),
        TOKEN_QUESTIONS,
        &[(
            "README.md.tera",
            "# {{ service }}\nheader: {{ header | length }} characters, {{ shout | length }} shouted\n",
        )],
    );
    let out = Goldpath::new()
        .args(["new", "s", "p", "--from", &from, "--defaults"])
        .args(["--set", &format!("token={SECRET}")])
        .current_dir(tmp.path())
        .success();
    assert_quiet(SECRET, &out);
    let project = tmp.path().join("p");
    let record: toml::Table = toml::from_str(&read(project.join(".goldpath.toml"))).unwrap();
    let answers = record["answers"].as_table().unwrap();
    assert_eq!(answers.keys().collect::<Vec<_>>(), ["service"]);
    for secret in [SECRET, &SECRET.to_uppercase()] {
        assert_absent(secret, "the project", &everything_under(&project));
        assert_absent(secret, "the history", &history(&project));
    }
    // check has no secret: it renders a placeholder in its place, computes the other answers
    // from it, and passes; upgrade with the same secret changes nothing.
    for format in ["text", "json", "github", "junit"] {
        let out = Goldpath::new()
            .args(["check", "--format", format])
            .current_dir(&project)
            .success();
        assert_quiet(SECRET, &out);
    }
    let out = Goldpath::new()
        .args(["upgrade", "--set", &format!("token={SECRET}")])
        .current_dir(&project)
        .success();
    out.stdout_contains("Up to date");
    assert_quiet(SECRET, &out);
}

/// Case 7, check: the secret is not recorded, so check renders a placeholder in its place (even
/// past the question's regex) and compares the files that use it around it; a drifted one is
/// reported without a diff, which would show the secret.
#[test]
fn check_works_without_the_secret_and_never_shows_it() {
    let tmp = tempfile::tempdir().unwrap();
    let from = bundle(
        &tmp.path().join("b"),
        "[files]\nlocked = [\"deploy.env\"]\n\n[[questions]]\nname = \"token\"\ntype = \"secret\"\nvalidation = { regex = \"^hunter2-\" }\n",
        &[("deploy.env.tera", "TOKEN={{ token }}\nREGION=eu\n")],
    );
    Goldpath::new()
        .args(["new", "s", "p", "--from", &from])
        .args(["--set", &format!("token={SECRET}")])
        .current_dir(tmp.path())
        .success();
    let project = tmp.path().join("p");
    Goldpath::new()
        .args(["check"])
        .current_dir(&project)
        .success()
        .stdout_contains("1 files checked, ok");
    std::fs::write(
        project.join("deploy.env"),
        format!("TOKEN={SECRET}\nREGION=us\n"),
    )
    .unwrap();
    for format in ["text", "json", "github", "junit"] {
        let out = Goldpath::new()
            .args(["check", "--format", format])
            .current_dir(&project)
            .code(1);
        out.stdout_contains("deploy.env");
        assert_quiet(SECRET, &out);
    }
    let out = Goldpath::new()
        .args(["diff"])
        .current_dir(&project)
        .success();
    out.stderr_contains("deploy.env uses a secret answer");
    assert_quiet(SECRET, &out);
}

/// Case 7: a secret, or a value computed from one, is never in a message: refused answers, tera
/// errors, path errors.
#[test]
fn secret_values_are_not_in_errors() {
    let tmp = tempfile::tempdir().unwrap();
    // (questions, template files, what the error names)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 3] = [
        (
            // A value computed from the secret that fails its validation.
            "[[questions]]\nname = \"token\"\ntype = \"secret\"\n\n[[questions]]\nname = \"label\"\ntype = \"string\"\ndefault = \"{{ token }}-label\"\nvalidation = { regex = \"^[a-z]+$\" }\n",
            &[("a.txt", "a\n")],
            "label",
        ),
        (
            // A path built from the secret that is refused.
            "[[questions]]\nname = \"token\"\ntype = \"secret\"\n\n[[questions]]\nname = \"folder\"\ntype = \"string\"\ndefault = \"../{{ token }}\"\n",
            &[("{{ folder }}/a.txt", "a\n")],
            "not allowed",
        ),
        (
            // A tera error that quotes the secret.
            "[[questions]]\nname = \"token\"\ntype = \"secret\"\n",
            &[("a.txt.tera", "{{ throw(message=\"bad token \" ~ token) }}\n")],
            "a.txt",
        ),
    ];
    let mut leaks = Vec::new();
    for (n, (questions, files, expected)) in cases.into_iter().enumerate() {
        let from = bundle(&tmp.path().join(format!("b{n}")), questions, files);
        let out = Goldpath::new()
            .args(["new", "s", "p", "--from", &from, "--defaults"])
            .args(["--set", &format!("token={SECRET}")])
            .current_dir(tmp.path())
            .code(2);
        out.stderr_contains(expected);
        if format!("{}{}", out.stdout, out.stderr).contains(SECRET) {
            leaks.push(out.to_string());
        }
        assert!(!tmp.path().join("p").exists());
    }
    assert!(
        leaks.is_empty(),
        "the secret is shown:\n{}",
        leaks.join("\n")
    );
}

/// Case 7: `upgrade --set token=NEW` on an up-to-date project rewrites the files that use the
/// secret (it said "Up to date" and changed nothing), and keeps a file the user edited.
#[test]
fn upgrade_set_of_a_secret_re_renders_the_files_that_use_it() {
    let tmp = tempfile::tempdir().unwrap();
    let from = bundle(
        &tmp.path().join("b"),
        TOKEN_QUESTIONS,
        &[
            (
                "secret.env.tera",
                "TOKEN={{ token }}\nHEADER={{ header }}\n",
            ),
            ("edited.env.tera", "TOKEN={{ token }}\n"),
            ("README.md.tera", "# {{ service }}\n"),
        ],
    );
    let old = "old-Tok3n-1111";
    Goldpath::new()
        .args(["new", "s", "p", "--from", &from, "--defaults"])
        .args(["--set", &format!("token={old}")])
        .current_dir(tmp.path())
        .success();
    let project = tmp.path().join("p");
    std::fs::write(project.join("edited.env"), format!("# mine\nTOKEN={old}\n")).unwrap();
    let git = |args: &[&str]| {
        let all = [&["-c", "user.name=u", "-c", "user.email=u@e"][..], args].concat();
        git(&project, &all);
    };
    git(&["commit", "-qam", "my edit"]);

    let out = Goldpath::new()
        .args(["upgrade", "--set", &format!("token={SECRET}")])
        .current_dir(&project)
        .success();
    assert!(!out.stdout.contains("Up to date"), "{out}");
    out.stdout_contains("U secret.env");
    out.stdout_contains("Note: edited.env uses `token` and has your edits");
    assert_quiet(SECRET, &out);
    assert_quiet(old, &out);
    assert_eq!(
        read(project.join("secret.env")),
        format!("TOKEN={SECRET}\nHEADER=Bearer {SECRET}-x\n")
    );
    assert_eq!(
        read(project.join("edited.env")),
        format!("# mine\nTOKEN={old}\n")
    );
    let last = &commits(&project)[0].message;
    assert!(last.contains("token (secret: value not shown)"), "{last}");
    for secret in [SECRET, old] {
        assert_absent(
            secret,
            "the answers file",
            &read(project.join(".goldpath.toml")),
        );
        assert_absent(
            secret,
            "the commit messages",
            &commits(&project)
                .iter()
                .map(|c| c.message.clone())
                .collect::<String>(),
        );
    }
    // Given the same value again, nothing changes.
    Goldpath::new()
        .args(["upgrade", "--set", &format!("token={SECRET}")])
        .current_dir(&project)
        .success()
        .stdout_contains("Up to date");
}

/// Argument injection: nothing a user or a `.goldpath.toml` gives reaches the `git` command as
/// an option or as a transport only a user may ask for.
#[test]
fn sources_answers_and_versions_are_never_options() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("pwned");
    let from = bundle(
        &tmp.path().join("b"),
        "[[questions]]\nname = \"name\"\ntype = \"string\"\n",
        &[("a.txt.tera", "{{ name }}\n")],
    );
    // A project whose recorded source is then edited, as in a pull request.
    Goldpath::new()
        .args([
            "new",
            "s",
            "p",
            "--from",
            &from,
            "--set",
            "name=--upload-pack=touch pwned",
        ])
        .current_dir(tmp.path())
        .success();
    let project = tmp.path().join("p");
    let record = read(project.join(".goldpath.toml"));
    let sources = [
        "--upload-pack=touch pwned:x.git".to_string(),
        "-oProxyCommand=touch pwned@host:x".to_string(),
        format!("ext::sh -c touch% {}% x.git", marker.display()),
        "-x://host/r.git".to_string(),
    ];
    for source in &sources {
        let out = Goldpath::new()
            .args([
                "new",
                "s",
                "q",
                &format!("--from={source}"),
                "--set",
                "name=x",
            ])
            .git_config("protocol.ext.allow", "user")
            .current_dir(tmp.path())
            .code(2);
        assert!(!marker.exists(), "`--from {source}` ran a command\n{out}");
        assert!(!tmp.path().join("q").exists());
        let edited = record.replace(
            &format!("source = {:?}", from),
            &format!("source = {source:?}"),
        );
        assert_ne!(edited, record);
        std::fs::write(project.join(".goldpath.toml"), edited).unwrap();
        for args in [&["check"][..], &["upgrade", "--allow-dirty"][..]] {
            let out = Goldpath::new()
                .args(args)
                .git_config("protocol.ext.allow", "user")
                .current_dir(&project)
                .code(2);
            assert!(
                !marker.exists(),
                "{args:?} with source {source} ran a command\n{out}"
            );
            assert!(!project.join("pwned").exists());
        }
    }
    // A tag that reads as an option is not a version, and tags are never arguments.
    let root = tmp.path().join("served");
    let repo = BundleRepo::new();
    repo.write(
        "bundle.toml",
        "[bundle]\nname = \"s\"\nversion = \"1.0.0\"\n",
    )
    .write("template/a.txt", "a\n");
    repo.commit("s");
    repo.tag("v1.0.0", false);
    // libgit2 refuses such names; git takes them.
    for tag in ["-x", "--upload-pack=touch"] {
        git(
            repo.path(),
            &["update-ref", &format!("refs/tags/{tag}"), "HEAD"],
        );
    }
    repo.bare_clone(&root.join("tags.git"));
    let server = GitServer::start(&root);
    let url = server
        .url("tags.git")
        .replace("http://", &format!("http://{USER}:{TOKEN}@"));
    Goldpath::new()
        .args(["new", "s", "t", "--from", &url])
        .current_dir(tmp.path())
        .success();
    for dir in [tmp.path(), &project] {
        assert!(!dir.join("pwned").exists());
    }
}
