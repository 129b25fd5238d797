//! `docproc plan review` as CI runs it, on real `terraform show -json` output
//! (tests/fixtures, generated as tests/fixtures/README.md describes): the
//! Markdown a reviewer reads, the JSON, the destroy guard's exit code 4 and
//! its override, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::Value;
use std::path::PathBuf;

fn docproc() -> Command {
    let mut cmd = Command::cargo_bin("docproc").unwrap();
    cmd.env_remove("DOCPROC_ENV").env_remove("DOCPROC_OUTPUTS");
    cmd
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A staging plan (the environment is in the plan) that replaces a DynamoDB
/// table (`hash_key`), replaces a DLQ create-before-destroy (`name`), drops a
/// bucket from the configuration, widens an IAM policy and adds a log group.
const CHANGES: &str = "plan-replace-update-destroy.json";

#[test]
fn a_staging_plan_that_loses_data_is_blocked_with_a_summary() {
    let out = docproc()
        .args(["plan", "review"])
        .arg(fixture(CHANGES))
        .assert()
        .code(4)
        .stderr(contains("pass --allow-destroy"))
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    let expected = [
        "### Plan review: 1 to create, 1 to update, 2 to replace, 1 to destroy\n",
        "Environment: `staging` (from the plan)",
        "> **Blocked:** in `staging`",
        "> - `aws_sqs_queue.dlq`\n",
        "> - `module.platform.aws_dynamodb_table.documents`\n",
        "> - `module.platform.aws_s3_bucket.exports`\n",
        "`allow-destroy` label",
        "- **replace** `aws_sqs_queue.dlq`: create before destroy; forced by `name`",
        "- **replace** `module.platform.aws_dynamodb_table.documents`: destroy, then create; forced by `hash_key`",
        "- **destroy** `module.platform.aws_s3_bucket.exports`: no longer in the configuration",
        "- IAM: **update** `module.platform.aws_iam_role_policy.api` (changes `policy`)\n",
        "| (root) | 0 | 0 | 1 | 0 |\n",
        "| `module.platform` | 1 | 1 | 1 | 1 |\n",
    ];
    for line in expected {
        assert!(md.contains(line), "missing {line:?} in:\n{md}");
    }
    // The unchanged role and log group (no-op) are not listed.
    assert!(!md.contains("aws_iam_role.api`"), "{md}");
    assert!(!md.contains("aws_cloudwatch_log_group.api`"), "{md}");
    let at = |s: &str| md.find(s).unwrap();
    assert!(at("Blocked") < at("#### Destroys and replacements"));
    assert!(at("#### Destroys and replacements") < at("#### Security-relevant changes"));
    assert!(at("#### Security-relevant changes") < at("#### Changes per module"));
}

#[test]
fn allow_destroy_passes_and_dev_is_never_guarded() {
    docproc()
        .args(["--env", "staging", "plan", "review", "--allow-destroy"])
        .arg(fixture(CHANGES))
        .assert()
        .success()
        .stdout(contains("**Allowed by --allow-destroy**"));
    // The fixture names staging itself, so even --env dev keeps the guard …
    docproc()
        .args(["plan", "review", "--env", "dev"])
        .arg(fixture(CHANGES))
        .assert()
        .code(4)
        .stdout(contains("`dev` (--env), but the plan is for `staging`"));
    // … while a dev plan with the same changes passes.
    let text = std::fs::read_to_string(fixture(CHANGES))
        .unwrap()
        .replace("\"staging\"", "\"dev\"");
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dev.json");
    std::fs::write(&dev, text).unwrap();
    docproc()
        .args(["--env", "dev", "plan", "review"])
        .arg(&dev)
        .assert()
        .success()
        .stdout(contains("destroys are not guarded"));
}

#[test]
fn json_output_carries_the_same_review() {
    let out = docproc()
        .args(["--env", "staging", "plan", "review", "--json"])
        .arg(fixture(CHANGES))
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let review: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(review["env"], "staging");
    assert_eq!(review["plan_env"], "staging");
    assert_eq!(review["exit_code"], 4);
    assert_eq!(review["guard"]["tripped"], true);
    assert_eq!(review["guard"]["protected_env"], "staging");
    assert_eq!(review["counts"]["create"], 1);
    assert_eq!(review["counts"]["update"], 1);
    assert_eq!(review["counts"]["replace"], 2);
    assert_eq!(review["counts"]["destroy"], 1);
    let changes = review["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 5);
    let table = changes
        .iter()
        .find(|c| c["type"] == "aws_dynamodb_table")
        .unwrap();
    assert_eq!(table["action"], "replace");
    assert_eq!(table["actions"], serde_json::json!(["delete", "create"]));
    assert_eq!(table["action_reason"], "replace_because_cannot_update");
    assert_eq!(table["replace_paths"], serde_json::json!(["hash_key"]));
    assert_eq!(table["module"], "module.platform");
    assert_eq!(table["stateful"], true);
    let policy = changes
        .iter()
        .find(|c| c["type"] == "aws_iam_role_policy")
        .unwrap();
    assert_eq!(policy["security"], "IAM");
    assert_eq!(policy["changed_attributes"], serde_json::json!(["policy"]));
}

#[test]
fn a_create_only_prod_plan_passes() {
    docproc()
        .args(["--env", "prod", "plan", "review"])
        .arg(fixture("plan-create-only.json"))
        .assert()
        .success()
        .stdout(contains(
            "### Plan review: 5 to create, 0 to update, 0 to replace, 0 to destroy",
        ))
        .stdout(contains("#### Destroys and replacements\n\nNone.\n"))
        .stdout(contains(
            "- IAM: **create** `module.platform.aws_iam_role_policy.api`",
        ))
        .stdout(contains("| `module.platform` | 4 | 0 | 0 | 0 |"));
}

#[test]
fn bad_input_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("plan.txt");
    std::fs::write(&text, "Plan: 3 to add, 0 to change, 0 to destroy.").unwrap();
    docproc()
        .args(["plan", "review"])
        .arg(&text)
        .assert()
        .code(2)
        .stderr(contains("is not JSON"))
        .stderr(contains("terraform show -json <planfile>"));
    let state = dir.path().join("state.json");
    std::fs::write(&state, r#"{"format_version":"1.0","values":{}}"#).unwrap();
    docproc()
        .args(["plan", "review"])
        .arg(&state)
        .assert()
        .code(2)
        .stderr(contains("this is state, not a plan"));
    docproc()
        .args(["plan", "review"])
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(contains("cannot read plan"));
}

#[test]
fn help_documents_the_guard_and_its_exit_code() {
    docproc()
        .args(["plan", "review", "--help"])
        .assert()
        .success()
        .stdout(contains("exits 4"))
        .stdout(contains("4 when the guard blocks it"))
        .stdout(contains("--allow-destroy"))
        .stdout(contains("allow-destroy"));
}
