//! `docproc preflight` as an operator runs it, without AWS: its help, its
//! usage errors, the `terraform plan`/`show` it runs for --env (a stand-in
//! terraform script records the calls), and an unreachable account, where
//! every account check must say "unknown", never "pass". The checks against
//! an emulated account are in rust/infra-tests/tests/preflight.rs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::{json, Value};
use std::path::Path;

fn docproc() -> Command {
    let mut cmd = Command::cargo_bin("docproc").unwrap();
    cmd.env_remove("DOCPROC_ENV")
        .env_remove("DOCPROC_OUTPUTS")
        .env_remove("AWS_PROFILE")
        // Nothing listens there: every AWS call fails at once.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// A small plan: one function with reserved concurrency, one stage that logs.
fn plan() -> Value {
    json!({
        "configuration": {"provider_config": {"aws": {"expressions": {"region": {"constant_value": "us-east-1"}}}}},
        "resource_changes": [
            {"address": "aws_lambda_function.f", "module_address": "", "mode": "managed", "type": "aws_lambda_function",
             "name": "f", "change": {"actions": ["create"], "after": {"reserved_concurrent_executions": 5}}},
            {"address": "aws_api_gateway_method_settings.all", "module_address": "", "mode": "managed",
             "type": "aws_api_gateway_method_settings", "name": "all",
             "change": {"actions": ["create"], "after": {"settings": [{"logging_level": "ERROR"}]}}}
        ]
    })
}

/// A repository root with envs/dev and a stand-in `terraform` that records
/// its arguments, writes the plan file and prints `plan` for `show -json`.
fn fake_repo(dir: &Path, plan_exit: u8) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("envs/dev")).unwrap();
    std::fs::write(dir.join("envs/dev/main.tf"), "").unwrap();
    std::fs::write(dir.join("plan.json"), plan().to_string()).unwrap();
    let script = dir.join("terraform");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
echo "$@" >> "{log}"
case "$2" in
  plan)
    [ {plan_exit} -eq 0 ] || {{ echo "Error: Backend initialization required" >&2; exit {plan_exit}; }}
    for a in "$@"; do case "$a" in -out=*) : > "${{a#-out=}}";; esac; done ;;
  show) cat "{plan}" ;;
esac
"#,
            log = dir.join("calls.log").display(),
            plan = dir.join("plan.json").display(),
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script
}

#[test]
fn help_names_every_check_and_the_exit_codes() {
    let out = docproc().args(["preflight", "--help"]).assert().success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for needle in [
        "caller",
        "region",
        "lambda-concurrency",
        "api-gateway-logging",
        "zones",
        "interface-endpoints",
        "api-keys",
        "usage-plans",
        "cloudtrail",
        "kms-keys",
        "never `pass`",
        "Exit status: 0 when no check fails; 4 when one fails",
        "--plan <FILE>",
        "--strict",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
    let top = docproc().arg("--help").assert().success();
    let top = String::from_utf8_lossy(&top.get_output().stdout).to_string();
    assert!(
        top.lines().any(|l| l.trim_start().starts_with("preflight ")
            && l.ends_with(
                "Check the target AWS account before the first apply; print each check and its fix"
            )),
        "{top}"
    );
}

#[test]
fn a_plan_must_be_named() {
    docproc().arg("preflight").assert().code(2).stderr(contains(
        "pass --env <name> (runs terraform plan) or --plan <file>",
    ));
    docproc()
        .args([
            "preflight",
            "--plan",
            "plan.json",
            "--",
            "-var-file=x.tfvars",
        ])
        .assert()
        .code(2)
        .stderr(contains("terraform plan arguments go with --env"));
}

#[test]
fn env_runs_a_read_only_plan_and_an_unreachable_account_is_unknown_not_pass() {
    let root = tempfile::tempdir().unwrap();
    let terraform = fake_repo(root.path(), 0);
    let out = docproc()
        .arg("--root")
        .arg(root.path())
        .arg("--terraform")
        .arg(&terraform)
        .args([
            "--env",
            "dev",
            "preflight",
            "--json",
            "--",
            "-var-file=extra.tfvars",
        ])
        .assert()
        .code(0)
        .stderr(contains("running terraform plan in"));
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let calls = std::fs::read_to_string(root.path().join("calls.log")).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls[0].contains("envs/dev plan -input=false -lock=false -no-color -out="),
        "{}",
        calls[0]
    );
    assert!(
        calls[0].ends_with(" -var-file=extra.tfvars"),
        "{}",
        calls[0]
    );
    assert!(calls[1].contains("envs/dev show -json "), "{}", calls[1]);
    assert!(calls[1].ends_with("preflight.tfplan"), "{}", calls[1]);

    let status = |id: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("region"), "pass");
    for id in [
        "caller",
        "lambda-concurrency",
        "api-gateway-logging",
        "api-keys",
    ] {
        assert_eq!(status(id), "unknown", "{id}");
    }
    assert_eq!(
        report["summary"]["pass"].as_u64().unwrap()
            + report["summary"]["unknown"].as_u64().unwrap(),
        10
    );
    assert_eq!(report["requirements"]["env"], "dev");
    assert_eq!(report["requirements"]["reserved_concurrency"], 5);
    // --strict: not verified is not good enough.
    docproc()
        .arg("--root")
        .arg(root.path())
        .arg("--terraform")
        .arg(&terraform)
        .args(["--env", "dev", "preflight", "--strict"])
        .assert()
        .code(4)
        .stdout(contains("unknown"))
        .stdout(contains("fix: "));
}

#[test]
fn a_failing_plan_is_reported_with_terraforms_words() {
    let root = tempfile::tempdir().unwrap();
    let terraform = fake_repo(root.path(), 1);
    docproc()
        .arg("--root")
        .arg(root.path())
        .arg("--terraform")
        .arg(&terraform)
        .args(["--env", "dev", "preflight"])
        .assert()
        .code(1)
        .stderr(contains("terraform plan failed"))
        .stderr(contains("run `terraform init` there first"))
        .stderr(contains("Backend initialization required"));
}
