//! `goldpath new` in a terminal: dialoguer's prompts answered through a real pseudo-terminal,
//! the way a user types them.

use crate::harness::{assert_clean, bundles, commits, files, read, Goldpath, KEY_DOWN};
use std::time::Duration;

fn answers(project: &std::path::Path) -> toml::Table {
    let table: toml::Table = toml::from_str(&read(project.join(".goldpath.toml"))).unwrap();
    table["answers"].as_table().unwrap().clone()
}

#[test]
fn every_question_is_asked_and_a_refused_answer_is_asked_again() {
    let tmp = tempfile::tempdir().unwrap();
    let mut pty = Goldpath::new()
        .args(["new", "greeter", "svc", "--from", &bundles()])
        .current_dir(tmp.path())
        .pty();
    pty.expect("Service name (service_name)")
        .send_line("Bad Name")
        // Refused by the bundle's validation, with its message, and asked again.
        .expect("must be a DNS label: a-z, 0-9, -")
        .expect("Service name (service_name)")
        .send_line("orders-api")
        // Enter takes the default, computed from the earlier answer.
        .expect("Crate name (crate_name) (orders_api)")
        .send_line("")
        .expect("HTTP port (port) (8080)")
        .send_line("80")
        .expect("80 is less than the minimum 1024")
        .expect("HTTP port (port)")
        .send_line("9090")
        .expect("Availability SLO (slo_target) (99.9)")
        .send_line("")
        // A choice: ↓ from the default (github) to gitlab.
        .expect("CI system (ci)")
        .send(KEY_DOWN)
        .send("\r")
        // dev and prod are ticked by default; tick staging too.
        .expect("Environments (envs)")
        .send(KEY_DOWN)
        .send(" ")
        .send("\r")
        // A bool: `y`, no Enter needed.
        .expect("Use a database (database)")
        .send("y")
        .expect("Database name (db_name) (orders_api_db)")
        .send_line("")
        .expect("Database password (db_password)");
    // The password prompt discards what was typed before it turned echo off; let it get there.
    std::thread::sleep(Duration::from_millis(500));
    pty.send_line("hunter2")
        .expect("does not match ^.{8,}$")
        .expect("Database password (db_password)");
    std::thread::sleep(Duration::from_millis(500));
    pty.send_line("correct-horse");
    let (code, shown) = pty.finish();
    // Typed answers show, so the transcript would hold a password had it been echoed...
    assert!(shown.contains("Bad Name"), "{shown}");
    // ...but neither password does.
    assert!(
        !shown.contains("hunter2"),
        "a refused password was echoed: {shown}"
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("Created svc from greeter 1.0.0"), "{shown}");
    assert!(
        !shown.contains("correct-horse"),
        "the password was echoed: {shown}"
    );

    let svc = tmp.path().join("svc");
    assert_eq!(
        answers(&svc),
        toml::from_str::<toml::Table>(
            r#"
service_name = "orders-api"
crate_name = "orders_api"
port = 9090
slo_target = 99.9
ci = "gitlab"
envs = ["dev", "staging", "prod"]
database = true
db_name = "orders_api_db"
"#
        )
        .unwrap()
    );
    assert_eq!(
        read(svc.join("db/config.toml")),
        "name = \"orders_api_db\"\npassword = \"correct-horse\"\n"
    );
    assert!(files(&svc).contains(&".gitlab-ci.yml".to_string()));
    assert!(!read(svc.join(".goldpath.toml")).contains("correct-horse"));
    assert_eq!(commits(&svc).len(), 1);
    assert_clean(&svc);
}

#[test]
fn with_defaults_only_questions_without_one_are_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut pty = Goldpath::new()
        .args(["new", "greeter", "svc", "--from", &bundles(), "--defaults"])
        .args(["--set", "ci=gitlab"])
        .current_dir(tmp.path())
        .pty();
    pty.expect("Service name (service_name)")
        .send_line("orders");
    let (code, shown) = pty.finish();
    assert_eq!(code, 0, "{shown}");
    assert!(
        !shown.contains("(port)"),
        "asked a question that has a default: {shown}"
    );
    let answers = answers(&tmp.path().join("svc"));
    assert_eq!(answers["service_name"].as_str(), Some("orders"));
    assert_eq!(answers["port"].as_integer(), Some(8080));
    assert_eq!(answers["ci"].as_str(), Some("gitlab"));
}

#[test]
fn no_input_never_prompts_even_in_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let pty = Goldpath::new()
        .args(["new", "greeter", "svc", "--from", &bundles(), "--no-input"])
        .args(["--defaults"])
        .current_dir(tmp.path())
        .pty();
    let (code, shown) = pty.finish();
    assert_eq!(code, 2, "{shown}");
    assert!(
        shown.contains("error: 1 question has no answer:")
            && shown.contains("  - service_name (string): Service name"),
        "{shown}"
    );
    assert!(!tmp.path().join("svc").exists());
}
