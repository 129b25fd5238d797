//! Where the plan comes from: `terraform plan` + `terraform show -json` in
//! `envs/<env>`, or a saved `terraform show -json` output.

use crate::config::env_dir;
use crate::error::{OpsError, OpsResult};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where to read the plan from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanSource {
    /// `terraform -chdir=<root>/envs/<env> plan -input=false -lock=false
    /// -out=<tmp> [extra…]`, then `terraform show -json <tmp>`.
    Env {
        root: PathBuf,
        env: String,
        extra_args: Vec<String>,
    },
    /// A saved `terraform show -json <planfile>`.
    File(PathBuf),
}

impl PlanSource {
    /// The plan as JSON. `progress` is told what is running (it takes a while).
    pub fn load(&self, terraform: &Path, progress: impl Fn(&str)) -> OpsResult<Value> {
        match self {
            PlanSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    OpsError::Config(format!("cannot read plan {}: {e}", path.display()))
                })?;
                parse(&text, &path.display().to_string())
            }
            PlanSource::Env {
                root,
                env,
                extra_args,
            } => {
                let dir = env_dir(root, env)?;
                let scratch = tempfile::tempdir()
                    .map_err(|e| OpsError::Config(format!("no temporary directory: {e}")))?;
                let planfile = scratch.path().join("preflight.tfplan");
                progress(&format!(
                    "running terraform plan in {} (read-only: no lock, nothing applied)",
                    dir.display()
                ));
                let mut plan = vec![
                    "plan".to_string(),
                    "-input=false".into(),
                    "-lock=false".into(),
                    "-no-color".into(),
                    format!("-out={}", planfile.display()),
                ];
                plan.extend(extra_args.iter().cloned());
                run(terraform, &dir, &plan)?;
                let show = [
                    "show".to_string(),
                    "-json".into(),
                    planfile.display().to_string(),
                ];
                let json = run(terraform, &dir, &show)?;
                parse(&json, "terraform show -json")
            }
        }
    }
}

fn parse(text: &str, what: &str) -> OpsResult<Value> {
    serde_json::from_str(text)
        .map_err(|e| OpsError::Config(format!("{what} is not plan JSON: {e}")))
}

fn run(terraform: &Path, dir: &Path, args: &[String]) -> OpsResult<String> {
    let out = Command::new(terraform)
        .arg(format!("-chdir={}", dir.display()))
        .args(args)
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .map_err(|e| OpsError::Config(format!("cannot run {}: {e}", terraform.display())))?;
    if !out.status.success() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(OpsError::Config(format!(
            "terraform {} failed in {} (run `terraform init` there first):\n{}\n{}",
            args.first().map_or("", String::as_str),
            dir.display(),
            stderr.trim(),
            tail(&stdout, 40)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_plan_is_read_and_bad_input_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plan.json");
        std::fs::write(&file, r#"{"resource_changes": []}"#).unwrap();
        let plan = PlanSource::File(file.clone())
            .load(Path::new("terraform"), |_| {})
            .unwrap();
        assert!(plan["resource_changes"].is_array());
        std::fs::write(&file, "Plan: 3 to add").unwrap();
        let err = PlanSource::File(file)
            .load(Path::new("terraform"), |_| {})
            .unwrap_err();
        assert!(err.to_string().contains("is not plan JSON"), "{err}");
        let err = PlanSource::File(dir.path().join("missing.json"))
            .load(Path::new("terraform"), |_| {})
            .unwrap_err();
        assert!(err.to_string().contains("cannot read plan"), "{err}");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
