//! `docproc preflight --plan` against moto: the dev env's real plan (made
//! once, with the real provider, on the same moto) checked against the
//! emulated account as it changes: no API Gateway logging role, a role set
//! with UpdateAccount, an existing multi-region trail, the wrong region.
//!
//! Needs the `docproc` binary (`cargo build -p docproc-cli`) and Terraform
//! with the provider mirror (TF_CLI_CONFIG_FILE, as scripts/test sets it).
//!
//! Emulator gaps (moto 5.2), each asserted as `unknown`, which is what the
//! command must say when a call is not implemented:
//! - Lambda GetAccountSettings answers 404, so `lambda-concurrency` is unknown.
//! - Service Quotas knows only the `vpc` service, so the usage plans quota
//!   (apigateway L-E8693075) cannot be read and `usage-plans` is unknown.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use aws_sdk_apigateway::types::{Op, PatchOperation};
use docproc_infra_tests::plan::plan_json_on;
use docproc_infra_tests::{docproc_bin, s3_client, Emulator, EmulatorKind};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// The plan without any resource of type `kind`, as if the env had turned
/// it off (for aws_api_gateway_account: `manage_api_gateway_account =
/// false`). Editing the JSON keeps the test at one plan.
fn without(plan: &Value, kind: &str) -> Value {
    fn prune(module: &mut Value, kind: &str) {
        if let Some(resources) = module["resources"].as_array_mut() {
            resources.retain(|r| r["type"] != kind);
        }
        if let Some(children) = module["child_modules"].as_array_mut() {
            children.iter_mut().for_each(|c| prune(c, kind));
        }
    }
    let mut plan = plan.clone();
    plan["resource_changes"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["type"] != kind);
    prune(&mut plan["planned_values"]["root_module"], kind);
    plan
}

struct Run {
    code: i32,
    stdout: String,
    report: Value,
}

impl Run {
    fn check(&self, id: &str) -> &Value {
        self.report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id} in {}", self.stdout))
    }

    fn status(&self, id: &str) -> &str {
        self.check(id)["status"].as_str().unwrap()
    }

    fn fix(&self, id: &str) -> &str {
        self.check(id)["fix"].as_str().unwrap_or("")
    }

    fn detail(&self, id: &str) -> &str {
        self.check(id)["detail"].as_str().unwrap()
    }
}

fn preflight(emulator: &Emulator, plan: &Path, region: &str, args: &[&str]) -> Run {
    let out = assert_cmd::Command::new(docproc_bin())
        .env("AWS_ENDPOINT_URL", &emulator.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", region)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // moto answers an API it lacks with a 500; retrying it proves nothing.
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("DOCPROC_ENV")
        .env_remove("DOCPROC_OUTPUTS")
        .arg("preflight")
        .arg("--plan")
        .arg(plan)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = if args.contains(&"--json") {
        serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    } else {
        Value::Null
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout,
        report,
    }
}

/// API Gateway UpdateAccount: the region's CloudWatch Logs role.
async fn set_account_role(sdk: &aws_config::SdkConfig, role_arn: &str) {
    aws_sdk_apigateway::Client::new(sdk)
        .update_account()
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Replace)
                .path("/cloudwatchRoleArn")
                .value(role_arn)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_checks_the_dev_plan_against_the_emulated_account() {
    let started = Instant::now();
    let emulator = Emulator::start(EmulatorKind::Moto);
    let sdk = emulator.sdk_config().await;
    let plan = plan_json_on("dev", EmulatorKind::Moto, &emulator, "");
    let planned = started.elapsed();
    let scratch = tempfile::tempdir().unwrap();
    let dev = scratch.path().join("dev-plan.json");
    std::fs::write(&dev, plan.to_string()).unwrap();
    let no_account = scratch.path().join("dev-plan-no-account-role.json");
    std::fs::write(
        &no_account,
        without(&plan, "aws_api_gateway_account").to_string(),
    )
    .unwrap();

    // 1. The dev plan as it is, on a fresh account.
    let run = preflight(&emulator, &dev, "us-east-1", &["--json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    for id in [
        "caller",
        "region",
        "zones",
        "interface-endpoints",
        "api-keys",
        "cloudtrail",
        "kms-keys",
    ] {
        assert_eq!(run.status(id), "pass", "{id}: {}", run.detail(id));
    }
    assert!(run.detail("caller").contains("123456789012"));
    // dev plans subnets by zone ID (use1-az1, use1-az2: us-east-1b/c in moto).
    assert!(
        run.detail("zones").contains("use1-az1 (us-east-1b)"),
        "{}",
        run.detail("zones")
    );
    // The quota moto serves for vpc L-29B6F2EB (50), 6 interface endpoints.
    assert!(
        run.detail("interface-endpoints").contains("6 in ")
            && run
                .detail("interface-endpoints")
                .contains("quota 50 (applied value)"),
        "{}",
        run.detail("interface-endpoints")
    );
    // The plan creates aws_api_gateway_account: the role is this stack's to set.
    assert_eq!(run.status("api-gateway-logging"), "pass");
    assert!(run.detail("api-gateway-logging").contains("this plan sets"));
    // Emulator gaps: unknown, with the error, never pass.
    assert_eq!(run.status("lambda-concurrency"), "unknown");
    assert!(run
        .detail("lambda-concurrency")
        .contains("GetAccountSettings"));
    assert!(
        run.detail("lambda-concurrency").contains("= 113"),
        "dev reserves 13"
    );
    assert_eq!(run.status("usage-plans"), "unknown");
    assert!(run.detail("usage-plans").contains("L-E8693075"));
    assert_eq!(run.report["requirements"]["region"], "us-east-1");
    assert_eq!(run.report["summary"]["fail"], 0);
    // --strict turns unknown into a failure.
    let strict = preflight(&emulator, &dev, "us-east-1", &["--json", "--strict"]);
    assert_eq!(strict.code, 4);

    // 2. manage_api_gateway_account = false and moto's default account (no
    //    cloudwatchRoleArn): stage logging would fail at apply.
    let run = preflight(&emulator, &no_account, "us-east-1", &[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    let row = run
        .stdout
        .lines()
        .position(|l| l.starts_with("api-gateway-logging"))
        .unwrap();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[row].contains("FAIL"), "{}", run.stdout);
    assert!(
        lines[row + 1]
            .trim_start()
            .starts_with("fix: set manage_api_gateway_account = true"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 failed"), "{}", run.stdout);

    // 3. Another stack sets the account's role: the plan without the
    //    account resource passes; the dev plan would overwrite it (warn).
    let role = "arn:aws:iam::123456789012:role/shared-apigateway-cloudwatch";
    set_account_role(&sdk, role).await;
    let run = preflight(&emulator, &no_account, "us-east-1", &["--json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("api-gateway-logging"), "pass");
    assert!(run.detail("api-gateway-logging").contains(role));
    let run = preflight(&emulator, &dev, "us-east-1", &["--json"]);
    assert_eq!(run.status("api-gateway-logging"), "warn");
    assert!(run
        .fix("api-gateway-logging")
        .contains("manage_api_gateway_account = false"));
    // The role the dev plan sets (named in the plan) is its own: no warning.
    set_account_role(
        &sdk,
        "arn:aws:iam::123456789012:role/dev-docproc-apigateway-cloudwatch",
    )
    .await;
    let run = preflight(&emulator, &dev, "us-east-1", &["--json"]);
    assert_eq!(run.status("api-gateway-logging"), "pass");
    assert!(run
        .detail("api-gateway-logging")
        .contains("this stack's role"));

    // 4. The account already has a multi-region trail (with management
    //    events, the default): dev's own trail would be a charged second copy.
    s3_client(&sdk)
        .create_bucket()
        .bucket("account-trail-logs")
        .send()
        .await
        .unwrap();
    aws_sdk_cloudtrail::Client::new(&sdk)
        .create_trail()
        .name("account-trail")
        .s3_bucket_name("account-trail-logs")
        .is_multi_region_trail(true)
        .send()
        .await
        .unwrap();
    let run = preflight(&emulator, &dev, "us-east-1", &["--json"]);
    assert_eq!(
        run.status("cloudtrail"),
        "warn",
        "{}",
        run.detail("cloudtrail")
    );
    assert!(run
        .detail("cloudtrail")
        .contains("multi-region trail account-trail"));
    assert!(run
        .fix("cloudtrail")
        .contains("cloudtrail_management_events = false in envs/dev/main.tf"));
    assert_eq!(run.code, 0, "warnings alone do not fail");

    // 5. The AWS settings select another region: nothing regional is claimed.
    let run = preflight(&emulator, &dev, "eu-west-1", &["--json"]);
    assert_eq!(run.code, 4);
    assert_eq!(run.status("region"), "fail");
    assert!(run.fix("region").contains("AWS_REGION=us-east-1"));
    for id in [
        "lambda-concurrency",
        "zones",
        "interface-endpoints",
        "cloudtrail",
    ] {
        assert_eq!(run.status(id), "unknown", "{id}");
    }

    eprintln!(
        "preflight on moto: plan {:.1} s, eight preflight runs {:.1} s, total {:.1} s",
        planned.as_secs_f64(),
        (started.elapsed() - planned).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
