//! An environment's Terraform plan as `terraform show -json` prints it,
//! made with the real provider against an AWS emulator: for checks over what
//! a plan says before anything is applied (plan-level contracts,
//! `docproc preflight --plan`). Planning only reads the emulator; the
//! scratch workspace is removed when the function returns.

use crate::{repo, tf_ok, workspace, Emulator, EmulatorKind};
use serde_json::Value;

/// `env`'s plan, made against a moto started (and stopped) for the call.
pub fn plan_json(env: &str) -> Value {
    let emulator = Emulator::start(EmulatorKind::Moto);
    plan_json_on(env, EmulatorKind::Moto, &emulator, "")
}

/// `env`'s plan against a running emulator of `kind`. `platform_values` are
/// extra HCL arguments for the env's `module "platform"` block (e.g.
/// `manage_api_gateway_account = false`), merged through an override file
/// the way envs/<env>/main.tf would set them; "" plans the env as it is.
pub fn plan_json_on(
    env: &str,
    kind: EmulatorKind,
    emulator: &Emulator,
    platform_values: &str,
) -> Value {
    let scratch = tempfile::tempdir().unwrap();
    let artifacts = repo().join("modules/compute/tests/fixtures");
    let dir = workspace(
        env,
        kind,
        emulator,
        &artifacts,
        &scratch.path().join("ws"),
        false,
    );
    if !platform_values.trim().is_empty() {
        std::fs::write(
            dir.join("zz_test_values_override.tf"),
            format!("module \"platform\" {{\n{platform_values}\n}}\n"),
        )
        .unwrap();
    }
    tf_ok(
        &dir,
        &["plan", "-input=false", "-lock=false", "-out=plan.bin"],
    );
    let json = tf_ok(&dir, &["show", "-json", "plan.bin"]);
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("terraform show -json: {e}"))
}
