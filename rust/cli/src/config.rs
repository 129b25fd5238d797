//! Where a deployment's names come from: the environment's `platform`
//! Terraform output (`terraform output -json`), read from the working
//! directory `envs/<env>` or from a saved file.

use crate::error::{OpsError, OpsResult};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The subset of the `platform` output the operator commands use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Platform {
    pub name_prefix: String,
    pub rest_api_id: String,
    pub api_stage: String,
    /// Base URL of the REST API stage.
    pub api_invoke_url: String,
    /// SNS topic every document status change is published to.
    pub status_topic_arn: String,
    pub documents_table: String,
    pub documents_bucket: String,
    pub usage_plan_ids: BTreeMap<String, String>,
    pub audit_table: String,
    pub permissions_table: String,
    pub function_names: BTreeMap<String, String>,
    pub dlq_urls: BTreeMap<String, String>,
    pub authorizer_cache_ttl_seconds: u64,
}

impl Platform {
    /// Parses `terraform output -json`: an object of outputs, each `{"value": …}`.
    pub fn from_terraform_outputs(json: &str) -> OpsResult<Platform> {
        let outputs: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| OpsError::Config(format!("terraform outputs are not valid JSON: {e}")))?;
        let platform = outputs
            .get("platform")
            .and_then(|o| o.get("value"))
            .ok_or_else(|| {
                OpsError::Config(
                "terraform outputs have no `platform` value: has this environment been applied?"
                    .into(),
            )
            })?;
        serde_json::from_value(platform.clone()).map_err(|e| {
            OpsError::Config(format!(
                "the `platform` output is incomplete ({e}): apply the environment with this version of docproc"
            ))
        })
    }

    pub fn function(&self, role: &str) -> OpsResult<&str> {
        lookup(&self.function_names, role, "function_names")
    }

    pub fn dlq_url(&self, role: &str) -> OpsResult<&str> {
        lookup(&self.dlq_urls, role, "dlq_urls")
    }
}

fn lookup<'a>(map: &'a BTreeMap<String, String>, key: &str, output: &str) -> OpsResult<&'a str> {
    map.get(key).map(String::as_str).ok_or_else(|| {
        OpsError::Config(format!(
            "the `platform` output's {output} has no {key:?} (it has {})",
            known(map)
        ))
    })
}

fn known(map: &BTreeMap<String, String>) -> String {
    map.keys().cloned().collect::<Vec<_>>().join(", ")
}

/// Where to read the outputs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `terraform -chdir=<root>/envs/<env> output -json`.
    Env { root: PathBuf, env: String },
    /// A saved `terraform output -json`.
    File(PathBuf),
}

impl Source {
    pub fn load(&self, terraform: &Path) -> OpsResult<Platform> {
        match self {
            Source::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    OpsError::Config(format!("cannot read outputs {}: {e}", path.display()))
                })?;
                Platform::from_terraform_outputs(&text)
            }
            Source::Env { root, env } => {
                let dir = env_dir(root, env)?;
                let out = Command::new(terraform)
                    .arg(format!("-chdir={}", dir.display()))
                    .args(["output", "-json"])
                    .output()
                    .map_err(|e| {
                        OpsError::Config(format!("cannot run {}: {e}", terraform.display()))
                    })?;
                if !out.status.success() {
                    return Err(OpsError::Config(format!(
                        "terraform output failed in {}: {}",
                        dir.display(),
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                Platform::from_terraform_outputs(&String::from_utf8_lossy(&out.stdout))
            }
        }
    }
}

/// `<root>/envs/<env>`, or a clear error listing the environments there are.
pub fn env_dir(root: &Path, env: &str) -> OpsResult<PathBuf> {
    let envs = root.join("envs");
    let valid_name = !env.is_empty()
        && env
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let dir = envs.join(env);
    if valid_name && dir.join("main.tf").is_file() {
        return Ok(dir);
    }
    let mut names: Vec<String> = std::fs::read_dir(&envs)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join("main.tf").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    Err(OpsError::Invalid(if names.is_empty() {
        format!(
            "unknown environment {env:?}: {} has no environments (run from the repository root or pass --root)",
            envs.display()
        )
    } else {
        format!(
            "unknown environment {env:?}: choose one of {}",
            names.join(", ")
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn outputs() -> serde_json::Value {
        json!({"platform": {"sensitive": false, "value": {
            "name_prefix": "dev-docproc",
            "rest_api_id": "abc123",
            "api_stage": "v1",
            "api_invoke_url": "https://abc123.execute-api.us-east-1.amazonaws.com/v1",
            "status_topic_arn": "arn:aws:sns:us-east-1:111122223333:dev-docproc-status",
            "usage_plan_ids": {"standard": "up1", "premium": "up2"},
            "audit_table": "dev-docproc-audit",
            "permissions_table": "dev-docproc-permissions",
            "function_names": {"processor": "dev-docproc-processor", "notifier": "dev-docproc-notifier"},
            "dlq_urls": {"processor": "http://q/p", "notifier": "http://q/n"},
            "authorizer_cache_ttl_seconds": 300,
            "documents_table": "dev-docproc-documents",
            "documents_bucket": "dev-docproc-documents-111122223333",
            "alarm_topic_arn": "ignored-extra-output"
        }}})
    }

    #[test]
    fn reads_the_platform_output_and_ignores_other_fields() {
        let p = Platform::from_terraform_outputs(&outputs().to_string()).unwrap();
        assert_eq!(p.permissions_table, "dev-docproc-permissions");
        assert_eq!(p.usage_plan_ids["premium"], "up2");
        assert_eq!(p.function("notifier").unwrap(), "dev-docproc-notifier");
    }

    #[test]
    fn missing_or_incomplete_outputs_say_what_is_wrong() {
        let err = Platform::from_terraform_outputs("{}").unwrap_err();
        assert!(err
            .to_string()
            .contains("has this environment been applied"));
        let mut o = outputs();
        o["platform"]["value"]
            .as_object_mut()
            .unwrap()
            .remove("dlq_urls");
        let err = Platform::from_terraform_outputs(&o.to_string()).unwrap_err();
        assert!(err.to_string().contains("dlq_urls"), "{err}");
        let err = Platform::from_terraform_outputs("not json").unwrap_err();
        assert!(err.to_string().contains("not valid JSON"));
    }

    #[test]
    fn unknown_environment_lists_the_existing_ones() {
        let root = tempfile::tempdir().unwrap();
        for env in ["dev", "prod"] {
            std::fs::create_dir_all(root.path().join("envs").join(env)).unwrap();
            std::fs::write(root.path().join("envs").join(env).join("main.tf"), "").unwrap();
        }
        assert!(env_dir(root.path(), "dev").is_ok());
        let err = env_dir(root.path(), "qa").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown environment \"qa\": choose one of dev, prod"
        );
        assert!(env_dir(root.path(), "../dev").is_err());
    }
}
