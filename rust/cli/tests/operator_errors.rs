//! Bad operator input fails before any AWS call, on stderr, with a clear
//! message and a non-zero exit (2 for usage, 1 for a deployment problem).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use assert_cmd::Command;
use predicates::str::contains;

fn docproc() -> Command {
    let mut cmd = Command::cargo_bin("docproc").unwrap();
    cmd.env_remove("DOCPROC_ENV").env_remove("DOCPROC_OUTPUTS");
    cmd
}

#[test]
fn a_deployment_must_be_named() {
    docproc()
        .args(["keys", "list"])
        .assert()
        .code(2)
        .stderr(contains("pass --env <name> or --outputs <file>"));
}

#[test]
fn unknown_environments_list_the_real_ones() {
    let root = tempfile::tempdir().unwrap();
    for env in ["dev", "prod"] {
        let dir = root.path().join("envs").join(env);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.tf"), "").unwrap();
    }
    docproc()
        .arg("--root")
        .arg(root.path())
        .args(["--env", "qa", "keys", "list"])
        .assert()
        .code(2)
        .stderr(contains(
            "unknown environment \"qa\": choose one of dev, prod",
        ));
}

#[test]
fn missing_or_unapplied_outputs_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    docproc()
        .arg("--outputs")
        .arg(dir.path().join("nope.json"))
        .args(["dlq", "list", "--queue", "processor"])
        .assert()
        .code(1)
        .stderr(contains("cannot read outputs"));
    let empty = dir.path().join("outputs.json");
    std::fs::write(&empty, "{}").unwrap();
    docproc()
        .arg("--outputs")
        .arg(&empty)
        .args(["audit", "verify", "--document", "d1"])
        .assert()
        .code(1)
        .stderr(contains("has this environment been applied"));
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        vec!["keys", "create", "--client", "acme", "--level", "root"],
        vec!["dlq", "redrive", "--queue", "everything"],
        vec!["audit", "verify"],
        vec!["audit", "verify", "--document", "d1", "--key", "abc"],
    ] {
        docproc()
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains("error"));
    }
}

#[test]
fn fault_usage_errors_say_what_is_wrong() {
    for (args, message) in [
        (
            vec!["load", "--faults", "duplicate-events,sns-outage"],
            "--faults sns-outage needs --redrive",
        ),
        (
            vec!["load", "--faults", "dns-outage", "--redrive"],
            "unknown fault \"dns-outage\"",
        ),
    ] {
        docproc()
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains(message));
    }
}

/// SQS can take up to 60 s to apply the tap's queue policy, and SNS drops
/// what the queue refuses meanwhile (contract 47): the default wait is 60 s.
#[test]
fn the_tap_waits_sixty_seconds_by_default() {
    let out = docproc().args(["load", "--help"]).assert().success();
    let help = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let tap_wait = &help[help.find("--tap-wait").expect("--tap-wait in the help")..];
    let entry = &tap_wait[..tap_wait[2..]
        .find("\n      --")
        .map_or(tap_wait.len(), |i| i + 2)];
    assert!(entry.contains("[default: 60]"), "{entry}");
}
