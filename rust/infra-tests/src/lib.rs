//! The harness shared by the infrastructure tests: scratch Terraform
//! workspaces generated for an emulator (started through
//! `docproc_integration`), and the Terraform CLI run the way an operator runs it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test harness: a failure is a test failure

pub mod contracts;
pub mod plan;

use assert_cmd::Command;
pub use docproc_integration::{repo, s3_client, Emulator, EmulatorKind};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

pub fn terraform() -> Command {
    let bin = std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".to_string());
    let mut cmd = Command::new(bin);
    cmd.env("TF_IN_AUTOMATION", "1").env("TF_INPUT", "0");
    assert!(
        std::env::var_os("TF_CLI_CONFIG_FILE").is_some(),
        "TF_CLI_CONFIG_FILE is not set: run these tests through scripts/test (it points Terraform at the provider mirror)"
    );
    cmd
}

pub fn tf(dir: &Path, args: &[&str]) -> Output {
    terraform()
        .current_dir(dir)
        .args(args)
        .arg("-no-color")
        .timeout(Duration::from_secs(900))
        .output()
        .unwrap()
}

pub fn tf_ok(dir: &Path, args: &[&str]) -> String {
    let out = tf(dir, args);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "terraform {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Generates a scratch copy of the Terraform targeting `emulator` and runs
/// `terraform init` in it; returns the env's directory.
pub fn workspace(
    env: &str,
    kind: EmulatorKind,
    emulator: &Emulator,
    artifacts: &Path,
    out: &Path,
    ignore_emulator_drift: bool,
) -> PathBuf {
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(repo().join("scripts/emulator-workspace.py"))
        .args(["--env", env, "--emulator", kind.as_str()])
        .args(["--endpoint", &emulator.endpoint])
        .arg("--artifacts")
        .arg(artifacts)
        .arg("--out")
        .arg(out);
    if ignore_emulator_drift {
        cmd.arg("--ignore-emulator-drift");
    }
    let generated = cmd.output().unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let dir = PathBuf::from(String::from_utf8(generated.stdout).unwrap().trim());
    // One init at a time: parallel tests share the provider plugin cache, and
    // concurrent installs into it race ("file exists").
    static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INIT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    tf_ok(&dir, &["init", "-input=false"]);
    dir
}

/// The `docproc` binary next to the running test's build directory (built
/// by `cargo build -p docproc-cli`, as scripts/test does first).
pub fn docproc_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("docproc");
    assert!(
        bin.is_file(),
        "{} is missing: run cargo build -p docproc-cli",
        bin.display()
    );
    bin
}
