//! `docproc plan review`: what a pull request reviewer reads before the full
//! Terraform plan, and the guard against losing data in staging and prod.
//!
//! Input is the JSON of `terraform show -json <planfile>` (Terraform's
//! documented JSON output format, `format_version` 1.x). [`Review::from_text`]
//! turns it into a [`Review`]: counts, destroys and replacements with the
//! attributes forcing them (`replace_paths`), security-relevant changes with
//! the top-level attributes an update changes, counts per module, and the
//! guard's decision. [`Review::render_markdown`] and [`Review::render_json`]
//! print it. Nothing here reads files or talks to AWS.
//!
//! Only attribute *names* are ever printed, never values: `before`/`after`
//! hold sensitive values in clear text.

use crate::error::{OpsError, OpsResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Process exit code when the guard trips: a protected environment would lose
/// a stateful resource and `--allow-destroy` was not given. The same number
/// as a failed `preflight` check: a gate that did not pass (distinct from
/// operational failures (1), usage errors (2) and rejected documents (3)).
pub const EXIT_DESTROY_BLOCKED: u8 = 4;

/// Environments whose stateful resources the guard protects.
pub const PROTECTED_ENVS: &[&str] = &["staging", "prod"];

/// Resource types whose destruction loses data: tables, buckets, keys (and so
/// everything encrypted with them), the audit trail, queues (DLQs hold failed
/// events) and log groups.
pub const STATEFUL_TYPES: &[&str] = &[
    "aws_dynamodb_table",
    "aws_s3_bucket",
    "aws_kms_key",
    "aws_cloudtrail",
    "aws_sqs_queue",
    "aws_cloudwatch_log_group",
];

/// What the command line adds to the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--env`: the environment the plan is for.
    pub env: Option<String>,
    /// `--allow-destroy` (the pull request label `allow-destroy`).
    pub allow_destroy: bool,
}

/// What a listed change does. No-op and read changes are not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    /// `["delete","create"]` or `["create","delete"]` (create_before_destroy).
    Replace,
    Destroy,
    /// Removed from the state only (a `removed` block with `destroy = false`):
    /// the object stays in AWS.
    Forget,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Destroy => "destroy",
            Action::Forget => "forget",
        }
    }

    /// `None` for changes that are not listed (no-op, read).
    fn classify(actions: &[String]) -> OpsResult<Option<Action>> {
        let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
        Ok(Some(match actions.as_slice() {
            ["no-op"] | ["read"] => return Ok(None),
            ["create"] => Action::Create,
            ["update"] => Action::Update,
            ["delete", "create"] | ["create", "delete"] => Action::Replace,
            ["delete"] => Action::Destroy,
            ["forget"] => Action::Forget,
            other => {
                return Err(OpsError::Invalid(format!(
                    "unrecognised change actions {other:?}: this plan comes from a Terraform \
                     version `docproc plan review` does not know yet"
                )))
            }
        }))
    }
}

/// One resource instance the plan changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub address: String,
    /// The module instance (`module.platform.module.storage`); empty for the root module.
    pub module: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    /// Set when the change is to a deposed object (left by an earlier
    /// create_before_destroy that did not finish).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    pub action: Action,
    /// Terraform's own actions, in order (`["create","delete"]`: create first).
    pub actions: Vec<String>,
    /// Terraform's `action_reason` (`replace_because_cannot_update`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// The attributes forcing a replacement (`replace_paths`), as `a.b[0]`.
    pub replace_paths: Vec<String>,
    /// For updates: the top-level attributes whose value changes or becomes
    /// known only after apply.
    pub changed_attributes: Vec<String>,
    /// Why a reviewer should look at it (`IAM`, `KMS`, …), if it matters for security.
    pub security: Option<&'static str>,
    /// Destroying it loses data ([`STATEFUL_TYPES`]).
    pub stateful: bool,
}

impl Change {
    fn destroys(&self) -> bool {
        matches!(self.action, Action::Replace | Action::Destroy)
    }
}

/// Changes by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub destroy: usize,
    pub forget: usize,
}

impl Counts {
    fn add(&mut self, action: Action) {
        match action {
            Action::Create => self.create += 1,
            Action::Update => self.update += 1,
            Action::Replace => self.replace += 1,
            Action::Destroy => self.destroy += 1,
            Action::Forget => self.forget += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.create + self.update + self.replace + self.destroy + self.forget
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleCounts {
    /// Module instance address; empty for the root module.
    pub module: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The guard's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guard {
    /// The protected environment the plan is for, if it is for one.
    pub protected_env: Option<String>,
    /// Stateful resources the plan destroys or replaces (in any environment).
    pub stateful_destroys: Vec<String>,
    pub allow_destroy: bool,
    /// A protected environment would lose stateful resources without `--allow-destroy`.
    pub tripped: bool,
}

/// Everything `docproc plan review` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// `--env`.
    pub env: Option<String>,
    /// The environment the plan itself names (`module "…" { environment = "prod" }`).
    pub plan_env: Option<String>,
    pub counts: Counts,
    /// Listed changes (no no-ops or reads), by address.
    pub changes: Vec<Change>,
    /// Counts per module, by module address.
    pub modules: Vec<ModuleCounts>,
    pub guard: Guard,
    pub exit_code: u8,
}

/// The parts of `terraform show -json` read here; other fields are ignored
/// (the format adds fields in minor versions).
#[derive(Deserialize)]
struct RawChange {
    address: String,
    #[serde(default)]
    module_address: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    resource_type: String,
    name: String,
    #[serde(default)]
    deposed: Option<String>,
    change: RawChangeBody,
    #[serde(default)]
    action_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawChangeBody {
    actions: Vec<String>,
    #[serde(default)]
    before: Value,
    #[serde(default)]
    after: Value,
    #[serde(default)]
    after_unknown: Value,
    #[serde(default)]
    replace_paths: Option<Vec<Vec<Value>>>,
}

impl Review {
    /// Parses `terraform show -json` output and reviews it.
    pub fn from_text(text: &str, options: &Options) -> OpsResult<Review> {
        let plan: Value = serde_json::from_str(text).map_err(|e| {
            OpsError::Invalid(format!(
                "the plan is not JSON ({e}); give the output of `terraform show -json <planfile>`"
            ))
        })?;
        Review::from_plan(&plan, options)
    }

    /// Reviews a parsed `terraform show -json <planfile>`.
    pub fn from_plan(plan: &Value, options: &Options) -> OpsResult<Review> {
        check_is_plan(plan)?;
        let raw: Vec<RawChange> = match plan.get("resource_changes") {
            None | Some(Value::Null) => Vec::new(),
            Some(list) => serde_json::from_value(list.clone()).map_err(|e| {
                OpsError::Invalid(format!("the plan's resource_changes are malformed: {e}"))
            })?,
        };
        let mut changes = Vec::new();
        for r in raw {
            if r.mode.as_deref() == Some("data") {
                continue;
            }
            let action = Action::classify(&r.change.actions)
                .map_err(|e| OpsError::Invalid(format!("{}: {e}", r.address)))?;
            let Some(action) = action else { continue };
            let changed_attributes = if action == Action::Update {
                changed_attributes(&r.change.before, &r.change.after, &r.change.after_unknown)
            } else {
                Vec::new()
            };
            changes.push(Change {
                security: security_category(&r.resource_type),
                stateful: STATEFUL_TYPES.contains(&r.resource_type.as_str()),
                address: r.address,
                module: r.module_address.unwrap_or_default(),
                resource_type: r.resource_type,
                name: r.name,
                deposed: r.deposed,
                action,
                actions: r.change.actions,
                action_reason: r.action_reason,
                replace_paths: r
                    .change
                    .replace_paths
                    .unwrap_or_default()
                    .iter()
                    .map(|p| path_text(p))
                    .collect(),
                changed_attributes,
            });
        }
        changes.sort_by(|a, b| (&a.address, &a.deposed).cmp(&(&b.address, &b.deposed)));

        let mut counts = Counts::default();
        let mut per_module: BTreeMap<String, Counts> = BTreeMap::new();
        for c in &changes {
            counts.add(c.action);
            per_module
                .entry(c.module.clone())
                .or_default()
                .add(c.action);
        }
        let modules = per_module
            .into_iter()
            .map(|(module, counts)| ModuleCounts { module, counts })
            .collect();

        let plan_env = plan_env(plan);
        let protected_env = [options.env.as_deref(), plan_env.as_deref()]
            .into_iter()
            .flatten()
            .find(|e| PROTECTED_ENVS.contains(e))
            .map(str::to_string);
        let stateful_destroys: Vec<String> = changes
            .iter()
            .filter(|c| c.stateful && c.destroys())
            .map(display_address)
            .collect();
        let tripped =
            protected_env.is_some() && !stateful_destroys.is_empty() && !options.allow_destroy;
        Ok(Review {
            env: options.env.clone(),
            plan_env,
            counts,
            changes,
            modules,
            guard: Guard {
                protected_env,
                stateful_destroys,
                allow_destroy: options.allow_destroy,
                tripped,
            },
            exit_code: if tripped { EXIT_DESTROY_BLOCKED } else { 0 },
        })
    }

    /// 0, or [`EXIT_DESTROY_BLOCKED`] when the guard tripped.
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }

    /// The review as JSON (the same content as the Markdown).
    pub fn render_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The review as Markdown, for a pull request comment.
    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let n = &self.counts;
        let mut headline = format!(
            "### Plan review: {} to create, {} to update, {} to replace, {} to destroy",
            n.create, n.update, n.replace, n.destroy
        );
        if n.forget > 0 {
            let _ = write!(headline, ", {} to forget", n.forget);
        }
        let _ = writeln!(out, "{headline}\n");
        let _ = writeln!(out, "{}\n", self.environment_line());
        self.render_guard(&mut out);
        if n.total() == 0 {
            out.push_str("No changes: nothing to create, update or destroy.\n");
            return out;
        }

        out.push_str("#### Destroys and replacements\n\n");
        let destroys: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.destroys() || c.action == Action::Forget)
            .collect();
        if destroys.is_empty() {
            out.push_str("None.\n");
        }
        for c in destroys {
            let mut line = format!("- **{}** {}", c.action.as_str(), code(&display_address(c)));
            let detail = destroy_detail(c);
            if !detail.is_empty() {
                let _ = write!(line, ": {detail}");
            }
            if c.stateful && c.destroys() {
                line.push_str(" (stateful: its data goes with it)");
            }
            let _ = writeln!(out, "{line}");
        }

        out.push_str("\n#### Security-relevant changes\n\n");
        let security: Vec<&Change> = self
            .changes
            .iter()
            .filter(|c| c.security.is_some())
            .collect();
        if security.is_empty() {
            out.push_str("None.\n");
        }
        for c in security {
            let mut line = format!(
                "- {}: **{}** {}",
                c.security.unwrap_or_default(),
                c.action.as_str(),
                code(&display_address(c))
            );
            let attrs = if c.action == Action::Update {
                &c.changed_attributes
            } else {
                &c.replace_paths
            };
            if !attrs.is_empty() {
                let names: Vec<String> = attrs.iter().map(|a| code(a)).collect();
                let label = if c.action == Action::Update {
                    "changes"
                } else {
                    "forced by"
                };
                let _ = write!(line, " ({label} {})", names.join(", "));
            }
            let _ = writeln!(out, "{line}");
        }

        out.push_str("\n#### Changes per module\n\n");
        out.push_str("| Module | create | update | replace | destroy |\n");
        out.push_str("| --- | ---: | ---: | ---: | ---: |\n");
        for m in &self.modules {
            let name = if m.module.is_empty() {
                "(root)".to_string()
            } else {
                code(&m.module).replace('|', "\\|")
            };
            let c = &m.counts;
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} |",
                c.create, c.update, c.replace, c.destroy
            );
        }
        out
    }

    fn environment_line(&self) -> String {
        match (&self.env, &self.plan_env) {
            (Some(flag), Some(plan)) if flag != plan => format!(
                "Environment: {} (--env), but the plan is for {}; {}.",
                code(flag),
                code(plan),
                self.guarded_text()
            ),
            (Some(env), _) => format!(
                "Environment: {} (--env); {}.",
                code(env),
                self.guarded_text()
            ),
            (None, Some(env)) => format!(
                "Environment: {} (from the plan); {}.",
                code(env),
                self.guarded_text()
            ),
            (None, None) => "Environment: unknown (pass --env); destroys are not guarded.".into(),
        }
    }

    fn guarded_text(&self) -> String {
        match &self.guard.protected_env {
            Some(env) => format!(
                "guarded as {}: destroying or replacing a stateful resource needs --allow-destroy",
                code(env)
            ),
            None => format!(
                "destroys are not guarded (only {} are)",
                PROTECTED_ENVS.join(" and ")
            ),
        }
    }

    fn render_guard(&self, out: &mut String) {
        let g = &self.guard;
        let Some(env) = &g.protected_env else { return };
        if g.stateful_destroys.is_empty() {
            return;
        }
        let list: String = g
            .stateful_destroys
            .iter()
            .map(|a| format!("> - {}\n", code(a)))
            .collect();
        if g.tripped {
            let _ = write!(
                out,
                "> [!CAUTION]\n> **Blocked:** in {} this plan destroys or replaces stateful \
                 resources, and their data goes with them:\n{list}>\n> If that is intended, add \
                 the `allow-destroy` label to the pull request (on the command line: \
                 `--allow-destroy`). Until then `docproc plan review` exits {EXIT_DESTROY_BLOCKED}.\n\n",
                code(env)
            );
        } else {
            let _ = write!(
                out,
                "> [!WARNING]\n> **Allowed by --allow-destroy** (the `allow-destroy` label): in {} \
                 this plan destroys or replaces stateful resources:\n{list}\n",
                code(env)
            );
        }
    }
}

/// A plan, not any JSON: `terraform show -json` of a plan file has a 1.x
/// `format_version` and `planned_values` (state JSON has `values` instead).
fn check_is_plan(plan: &Value) -> OpsResult<()> {
    let not_a_plan = |why: &str| {
        OpsError::Invalid(format!(
            "not a Terraform plan ({why}); give the output of `terraform show -json <planfile>`"
        ))
    };
    let Some(object) = plan.as_object() else {
        return Err(not_a_plan("not a JSON object"));
    };
    let Some(version) = object.get("format_version").and_then(Value::as_str) else {
        return Err(not_a_plan("no format_version"));
    };
    if version.split('.').next() != Some("1") {
        return Err(not_a_plan(&format!(
            "format_version {version}; only 1.x is understood"
        )));
    }
    if !object.contains_key("planned_values") && !object.contains_key("resource_changes") {
        let why = if object.contains_key("values") {
            "this is state, not a plan"
        } else {
            "no planned_values or resource_changes"
        };
        return Err(not_a_plan(why));
    }
    match object.get("resource_changes") {
        None | Some(Value::Null | Value::Array(_)) => Ok(()),
        Some(_) => Err(not_a_plan("resource_changes is not a list")),
    }
}

/// The environment a plan names: the `environment` argument of the root
/// module's module calls (envs/<env> pass `environment = "<env>"` to the
/// platform), when they agree on one constant value.
fn plan_env(plan: &Value) -> Option<String> {
    let calls = plan["configuration"]["root_module"]["module_calls"].as_object()?;
    let values: BTreeSet<&str> = calls
        .values()
        .filter_map(|c| c["expressions"]["environment"]["constant_value"].as_str())
        .collect();
    match values.len() {
        1 => values.into_iter().next().map(str::to_string),
        _ => None,
    }
}

/// Why a reviewer should look at a resource type, if it matters for security.
pub fn security_category(resource_type: &str) -> Option<&'static str> {
    let t = resource_type;
    Some(match t {
        _ if t.starts_with("aws_iam_") || t == "aws_lambda_permission" => "IAM",
        _ if t.starts_with("aws_kms_") => "KMS",
        "aws_security_group"
        | "aws_security_group_rule"
        | "aws_default_security_group"
        | "aws_vpc_security_group_ingress_rule"
        | "aws_vpc_security_group_egress_rule"
        | "aws_network_acl"
        | "aws_network_acl_rule"
        | "aws_vpc_endpoint"
        | "aws_vpc_endpoint_policy" => "Network access",
        "aws_s3_bucket_policy"
        | "aws_s3_bucket_public_access_block"
        | "aws_s3_account_public_access_block"
        | "aws_s3_bucket_acl"
        | "aws_s3_bucket_ownership_controls" => "S3 access",
        "aws_sns_topic_policy" | "aws_sqs_queue_policy" => "SNS/SQS policy",
        _ if t.starts_with("aws_wafv2_")
            || t.starts_with("aws_waf_")
            || t.starts_with("aws_wafregional_") =>
        {
            "WAF"
        }
        "aws_api_gateway_authorizer"
        | "aws_api_gateway_rest_api_policy"
        | "aws_apigatewayv2_authorizer" => "API Gateway access",
        _ => return None,
    })
}

/// Top-level attributes whose value differs between `before` and `after`, or
/// that become known only after apply (`after_unknown`).
fn changed_attributes(before: &Value, after: &Value, after_unknown: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let unknown = after_unknown.as_object().unwrap_or(&empty);
    let keys: BTreeSet<&String> = before
        .keys()
        .chain(after.keys())
        .chain(unknown.keys())
        .collect();
    keys.into_iter()
        .filter(|k| {
            unknown.get(*k).is_some_and(has_true)
                || before.get(*k).unwrap_or(&Value::Null) != after.get(*k).unwrap_or(&Value::Null)
        })
        .cloned()
        .collect()
}

/// `after_unknown` marks unknown values with `true`, nested like the value.
fn has_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Array(items) => items.iter().any(has_true),
        Value::Object(map) => map.values().any(has_true),
        _ => false,
    }
}

/// A `replace_paths` entry as `a.b[0]["key with space"]`.
fn path_text(path: &[Value]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Value::Number(n) => {
                let _ = write!(out, "[{n}]");
            }
            Value::String(s) if is_identifier(s) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(s);
            }
            other => {
                let _ = write!(out, "[{other}]");
            }
        }
    }
    out
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn display_address(c: &Change) -> String {
    match &c.deposed {
        Some(key) => format!("{} (deposed {key})", c.address),
        None => c.address.clone(),
    }
}

/// How and why a destroy or replacement happens.
fn destroy_detail(c: &Change) -> String {
    let mut parts: Vec<String> = Vec::new();
    if c.action == Action::Replace {
        parts.push(
            if c.actions.first().map(String::as_str) == Some("create") {
                "create before destroy"
            } else {
                "destroy, then create"
            }
            .to_string(),
        );
    }
    if c.action == Action::Forget {
        parts.push("removed from the state only; the object stays in AWS".into());
    }
    if !c.replace_paths.is_empty() {
        let names: Vec<String> = c.replace_paths.iter().map(|p| code(p)).collect();
        parts.push(format!("forced by {}", names.join(", ")));
    } else if let Some(reason) = &c.action_reason {
        parts.push(reason_text(reason));
    }
    parts.join("; ")
}

fn reason_text(reason: &str) -> String {
    match reason {
        "replace_because_cannot_update" => "an attribute cannot change in place",
        "replace_because_tainted" => "tainted by a failed apply",
        "replace_by_request" => "requested with -replace",
        "replace_by_triggers" => "replace_triggered_by",
        "delete_because_no_resource_config" => "no longer in the configuration",
        "delete_because_no_module" => "its module was removed",
        "delete_because_wrong_repetition" => "count or for_each was added or removed",
        "delete_because_count_index" => "its count index is out of range",
        "delete_because_each_key" => "its for_each key was removed",
        "delete_because_no_move_target" => "its moved block has no target",
        other => return other.replace(['\n', '\r'], " "),
    }
    .to_string()
}

/// `text` as a Markdown code span, whatever it contains (addresses and map
/// keys come from the pull request): control characters are escaped, and the
/// fence is longer than any backtick run inside.
fn code(text: &str) -> String {
    let clean: String = text
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    if longest == 0 {
        return format!("`{clean}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {clean} {fence}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code
    use super::*;
    use serde_json::json;

    fn plan(changes: Value) -> Value {
        json!({
            "format_version": "1.2",
            "terraform_version": "1.11.4",
            "planned_values": {"root_module": {}},
            "resource_changes": changes,
        })
    }

    fn rc(address: &str, module: &str, actions: &[&str]) -> Value {
        let (ty, name) = {
            let local = address
                .strip_prefix(&format!("{module}."))
                .unwrap_or(address);
            let mut parts = local.splitn(2, '.');
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            )
        };
        let mut v = json!({
            "address": address, "mode": "managed", "type": ty, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": null, "after": {}, "after_unknown": {}}
        });
        if !module.is_empty() {
            v["module_address"] = json!(module);
        }
        v
    }

    fn review(plan: &Value, env: Option<&str>, allow_destroy: bool) -> Review {
        Review::from_plan(
            plan,
            &Options {
                env: env.map(str::to_string),
                allow_destroy,
            },
        )
        .unwrap()
    }

    #[test]
    fn a_create_only_plan_counts_creates_and_passes_in_prod() {
        let p = plan(json!([
            rc("aws_dynamodb_table.documents", "", &["create"]),
            rc("aws_iam_role.api", "", &["create"]),
            rc("aws_sqs_queue.dlq", "", &["create"]),
        ]));
        let r = review(&p, Some("prod"), false);
        assert_eq!(
            r.counts,
            Counts {
                create: 3,
                ..Counts::default()
            }
        );
        assert_eq!(r.exit_code(), 0);
        assert!(!r.guard.tripped);
        let md = r.render_markdown();
        assert!(
            md.starts_with(
                "### Plan review: 3 to create, 0 to update, 0 to replace, 0 to destroy\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("#### Destroys and replacements\n\nNone.\n"),
            "{md}"
        );
        assert!(
            md.contains("- IAM: **create** `aws_iam_role.api`\n"),
            "{md}"
        );
        assert!(!md.contains("Blocked"), "{md}");
        assert!(md.contains("| (root) | 3 | 0 | 0 | 0 |"), "{md}");
    }

    #[test]
    fn an_iam_policy_update_lists_the_changed_attributes() {
        let mut c = rc("aws_iam_role_policy.api", "", &["update"]);
        c["change"]["before"] = json!({
            "id": "r:p", "name": "p", "role": "r", "name_prefix": "",
            "policy": "{\"Statement\":[{\"Action\":\"s3:GetObject\"}]}", "tags": {"a": "1"}
        });
        c["change"]["after"] = json!({
            "id": "r:p", "name": "p", "role": "r", "name_prefix": "",
            "policy": "{\"Statement\":[{\"Action\":\"s3:*\"}]}"
        });
        let mut unknown_only = rc("aws_iam_policy.shared", "", &["update"]);
        unknown_only["change"]["before"] = json!({"arn": "a", "policy": "{}", "tags_all": {}});
        unknown_only["change"]["after"] = json!({"arn": "a", "tags_all": {}});
        unknown_only["change"]["after_unknown"] =
            json!({"policy": true, "tags_all": {}, "policy_id": false});
        let r = review(&plan(json!([c, unknown_only])), Some("prod"), false);
        let policy = &r.changes[1];
        assert_eq!(policy.address, "aws_iam_role_policy.api");
        assert_eq!(policy.changed_attributes, ["policy", "tags"]);
        assert_eq!(policy.security, Some("IAM"));
        assert_eq!(r.changes[0].changed_attributes, ["policy"]);
        let md = r.render_markdown();
        assert!(
            md.contains("- IAM: **update** `aws_iam_role_policy.api` (changes `policy`, `tags`)\n"),
            "{md}"
        );
        assert!(
            md.contains("- IAM: **update** `aws_iam_policy.shared` (changes `policy`)\n"),
            "{md}"
        );
        // Values are never printed (they can be secrets).
        assert!(!md.contains("s3:*"), "{md}");
        assert_eq!(r.exit_code(), 0);
    }

    fn table_replacement() -> Value {
        let mut c = rc(
            "module.platform.module.storage.aws_dynamodb_table.documents",
            "module.platform.module.storage",
            &["delete", "create"],
        );
        c["action_reason"] = json!("replace_because_cannot_update");
        c["change"]["before"] = json!({"name": "prod-docproc-documents", "hash_key": "id"});
        c["change"]["after"] = json!({"name": "prod-docproc-documents", "hash_key": "pk"});
        c["change"]["replace_paths"] = json!([["hash_key"], ["attribute", 0, "name"]]);
        plan(json!([c]))
    }

    #[test]
    fn replacing_a_table_in_prod_trips_the_guard() {
        let r = review(&table_replacement(), Some("prod"), false);
        let address = "module.platform.module.storage.aws_dynamodb_table.documents";
        assert_eq!(r.counts.replace, 1);
        assert_eq!(
            r.changes[0].replace_paths,
            ["hash_key", "attribute[0].name"]
        );
        assert!(r.guard.tripped);
        assert_eq!(r.guard.protected_env.as_deref(), Some("prod"));
        assert_eq!(r.guard.stateful_destroys, [address]);
        assert_eq!(r.exit_code(), EXIT_DESTROY_BLOCKED);
        assert_eq!(EXIT_DESTROY_BLOCKED, 4);
        let md = r.render_markdown();
        assert!(
            md.contains("> [!CAUTION]\n> **Blocked:** in `prod`"),
            "{md}"
        );
        assert!(md.contains(&format!("> - `{address}`\n")), "{md}");
        assert!(md.contains("`allow-destroy` label"), "{md}");
        assert!(md.contains("`--allow-destroy`"), "{md}");
        assert!(
            md.contains(&format!(
                "- **replace** `{address}`: destroy, then create; forced by `hash_key`, \
                 `attribute[0].name` (stateful: its data goes with it)\n"
            )),
            "{md}"
        );
        // The guard comes before the details.
        assert!(md.find("Blocked").unwrap() < md.find("#### Destroys").unwrap());
        let json = r.render_json();
        assert_eq!(json["exit_code"], 4);
        assert_eq!(json["guard"]["tripped"], true);
        assert_eq!(json["changes"][0]["action"], "replace");
        assert_eq!(json["changes"][0]["type"], "aws_dynamodb_table");
        assert_eq!(json["counts"]["replace"], 1);
    }

    #[test]
    fn allow_destroy_lets_the_replacement_through_and_says_so() {
        let r = review(&table_replacement(), Some("prod"), true);
        assert!(!r.guard.tripped);
        assert_eq!(r.exit_code(), 0);
        assert_eq!(r.guard.stateful_destroys.len(), 1);
        let md = r.render_markdown();
        assert!(md.contains("**Allowed by --allow-destroy**"), "{md}");
        assert!(!md.contains("Blocked"), "{md}");
        // Staging is guarded the same way.
        assert_eq!(
            review(&table_replacement(), Some("staging"), false).exit_code(),
            EXIT_DESTROY_BLOCKED
        );
    }

    #[test]
    fn deleting_a_bucket_in_dev_is_listed_but_not_blocked() {
        let mut c = rc("aws_s3_bucket.exports", "", &["delete"]);
        c["action_reason"] = json!("delete_because_no_resource_config");
        c["change"]["before"] = json!({"bucket": "dev-docproc-exports"});
        c["change"]["after"] = Value::Null;
        let p = plan(json!([c]));
        let r = review(&p, Some("dev"), false);
        assert_eq!(r.counts.destroy, 1);
        assert!(!r.guard.tripped);
        assert_eq!(r.guard.protected_env, None);
        assert_eq!(r.guard.stateful_destroys, ["aws_s3_bucket.exports"]);
        assert_eq!(r.exit_code(), 0);
        let md = r.render_markdown();
        assert!(
            md.contains(
                "- **destroy** `aws_s3_bucket.exports`: no longer in the configuration \
                 (stateful: its data goes with it)\n"
            ),
            "{md}"
        );
        assert!(md.contains("destroys are not guarded"), "{md}");
        assert!(
            !md.contains("[!CAUTION]") && !md.contains("[!WARNING]"),
            "{md}"
        );
        // Without any environment nothing is guarded either.
        assert_eq!(review(&p, None, false).exit_code(), 0);
    }

    #[test]
    fn create_before_destroy_counts_as_a_replacement() {
        let mut c = rc("aws_sqs_queue.dlq", "", &["create", "delete"]);
        c["action_reason"] = json!("replace_because_cannot_update");
        c["change"]["replace_paths"] = json!([["name"]]);
        let r = review(&plan(json!([c])), Some("staging"), false);
        assert_eq!(
            r.counts,
            Counts {
                replace: 1,
                ..Counts::default()
            }
        );
        assert_eq!(r.exit_code(), EXIT_DESTROY_BLOCKED);
        let md = r.render_markdown();
        assert!(
            md.contains(
                "- **replace** `aws_sqs_queue.dlq`: create before destroy; forced by `name`"
            ),
            "{md}"
        );
    }

    #[test]
    fn no_op_and_read_changes_are_not_listed() {
        let mut read = rc("data.aws_iam_policy_document.p", "", &["read"]);
        read["mode"] = json!("data");
        read["type"] = json!("aws_iam_policy_document");
        let p = plan(json!([
            rc("aws_kms_key.data", "", &["no-op"]),
            rc("aws_kms_alias.data", "", &["read"]),
            read,
            rc("aws_cloudwatch_log_group.api", "", &["create"]),
        ]));
        let r = review(&p, Some("prod"), false);
        assert_eq!(r.counts.total(), 1);
        assert_eq!(r.changes.len(), 1);
        let md = r.render_markdown();
        assert!(!md.contains("kms"), "{md}");
        assert!(!md.contains("policy_document"), "{md}");
        assert!(
            md.contains("#### Security-relevant changes\n\nNone.\n"),
            "{md}"
        );

        let empty = review(
            &plan(json!([rc("aws_kms_key.data", "", &["no-op"])])),
            None,
            false,
        );
        assert_eq!(empty.counts.total(), 0);
        let md = empty.render_markdown();
        assert!(md.contains("No changes"), "{md}");
        assert!(!md.contains("#### Changes per module"), "{md}");
        // A plan without resource_changes (Terraform leaves it out when empty).
        let none = json!({"format_version": "1.2", "planned_values": {}});
        assert_eq!(review(&none, None, false).counts.total(), 0);
    }

    #[test]
    fn malformed_input_and_other_json_are_explained_as_usage_errors() {
        let options = Options::default();
        let cases = [
            ("Plan: 3 to add, 0 to change", "is not JSON"),
            ("[1, 2]", "not a JSON object"),
            (r#"{"resource_changes": []}"#, "no format_version"),
            (
                r#"{"format_version": "2.0", "planned_values": {}}"#,
                "only 1.x",
            ),
            (
                r#"{"format_version": "1.0", "values": {"root_module": {}}}"#,
                "this is state, not a plan",
            ),
            (
                r#"{"format_version": "1.2", "planned_values": {}, "resource_changes": {}}"#,
                "resource_changes is not a list",
            ),
            (
                r#"{"format_version": "1.2", "planned_values": {}, "resource_changes": [{"address": "x.y"}]}"#,
                "resource_changes are malformed",
            ),
            (
                r#"{"format_version": "1.2", "planned_values": {}, "resource_changes": [
                    {"address": "x.y", "type": "x", "name": "y", "change": {"actions": ["explode"]}}]}"#,
                "x.y: unrecognised change actions",
            ),
        ];
        for (text, expected) in cases {
            let err = Review::from_text(text, &options).unwrap_err();
            assert!(err.to_string().contains(expected), "{text}: {err}");
            assert_eq!(err.exit_code(), 2, "{text}");
        }
    }

    #[test]
    fn changes_are_grouped_per_module() {
        let p = plan(json!([
            rc("aws_sqs_queue.dlq", "", &["create"]),
            rc(
                "module.platform.module.api.aws_api_gateway_authorizer.keys",
                "module.platform.module.api",
                &["update"]
            ),
            rc(
                "module.platform.module.api.aws_wafv2_web_acl.api",
                "module.platform.module.api",
                &["create"]
            ),
            rc(
                "module.platform.module.storage.aws_s3_bucket_policy.documents",
                "module.platform.module.storage",
                &["delete", "create"]
            ),
            rc(
                "module.platform.module.storage.aws_kms_key.data",
                "module.platform.module.storage",
                &["delete"]
            ),
            rc(
                "module.platform.module.storage.aws_s3_bucket_versioning.documents",
                "module.platform.module.storage",
                &["update"]
            ),
        ]));
        let r = review(&p, Some("dev"), false);
        let modules: Vec<(&str, Counts)> = r
            .modules
            .iter()
            .map(|m| (m.module.as_str(), m.counts))
            .collect();
        assert_eq!(
            modules,
            [
                (
                    "",
                    Counts {
                        create: 1,
                        ..Counts::default()
                    }
                ),
                (
                    "module.platform.module.api",
                    Counts {
                        create: 1,
                        update: 1,
                        ..Counts::default()
                    }
                ),
                (
                    "module.platform.module.storage",
                    Counts {
                        update: 1,
                        replace: 1,
                        destroy: 1,
                        ..Counts::default()
                    }
                ),
            ]
        );
        let md = r.render_markdown();
        assert!(md.contains("| (root) | 1 | 0 | 0 | 0 |\n"), "{md}");
        assert!(
            md.contains("| `module.platform.module.api` | 1 | 1 | 0 | 0 |\n"),
            "{md}"
        );
        assert!(
            md.contains("| `module.platform.module.storage` | 0 | 1 | 1 | 1 |\n"),
            "{md}"
        );
        assert!(md.contains("- API Gateway access: **update**"), "{md}");
        assert!(md.contains("- WAF: **create**"), "{md}");
        assert!(md.contains("- S3 access: **replace**"), "{md}");
        assert!(md.contains("- KMS: **destroy**"), "{md}");
        // Versioning is neither stateful nor security-relevant by itself.
        assert!(!md.contains("aws_s3_bucket_versioning.documents`:"), "{md}");
        // Sections in the order a reviewer reads them.
        let at = |s: &str| md.find(s).unwrap();
        assert!(at("#### Destroys and replacements") < at("#### Security-relevant changes"));
        assert!(at("#### Security-relevant changes") < at("#### Changes per module"));
        let json = r.render_json();
        assert_eq!(
            json["modules"][2]["module"],
            "module.platform.module.storage"
        );
        assert_eq!(json["modules"][2]["destroy"], 1);
    }

    #[test]
    fn the_plan_names_its_environment_and_a_protected_one_wins() {
        let mut p = table_replacement();
        p["configuration"] = json!({"root_module": {"module_calls": {
            "platform": {"source": "../../terraform/platform",
                         "expressions": {"environment": {"constant_value": "prod"}}}
        }}});
        let inferred = review(&p, None, false);
        assert_eq!(inferred.plan_env.as_deref(), Some("prod"));
        assert_eq!(inferred.exit_code(), EXIT_DESTROY_BLOCKED);
        assert!(inferred
            .render_markdown()
            .contains("`prod` (from the plan)"));
        // Saying --env dev does not unguard a prod plan.
        let mislabelled = review(&p, Some("dev"), false);
        assert_eq!(mislabelled.exit_code(), EXIT_DESTROY_BLOCKED);
        assert!(mislabelled
            .render_markdown()
            .contains("`dev` (--env), but the plan is for `prod`"));
        p["configuration"]["root_module"]["module_calls"]["platform"]["expressions"]
            ["environment"] = json!({"constant_value": "dev"});
        assert_eq!(review(&p, None, false).exit_code(), 0);
    }

    #[test]
    fn forget_and_deposed_objects_are_shown() {
        let mut deposed = rc("aws_cloudtrail.main", "", &["delete"]);
        deposed["deposed"] = json!("00000001");
        let p = plan(json!([rc("aws_s3_bucket.old", "", &["forget"]), deposed]));
        let r = review(&p, Some("prod"), false);
        assert_eq!(r.counts.forget, 1);
        assert_eq!(
            r.guard.stateful_destroys,
            ["aws_cloudtrail.main (deposed 00000001)"]
        );
        assert!(r.guard.tripped);
        let md = r.render_markdown();
        assert!(md.contains(", 1 to forget\n"), "{md}");
        assert!(
            md.contains("- **forget** `aws_s3_bucket.old`: removed from the state only"),
            "{md}"
        );
    }

    #[test]
    fn names_from_the_pull_request_cannot_break_out_of_code_spans() {
        assert_eq!(code("a.b"), "`a.b`");
        assert_eq!(code("x[\"a`b\"]"), "`` x[\"a`b\"] ``");
        assert_eq!(code("a\nb"), "`a\\nb`");
        assert_eq!(
            path_text(&[json!("tags"), json!("my key"), json!(0)]),
            "tags[\"my key\"][0]"
        );
        let p = plan(json!([rc(
            "module.m[\"a|b\"].aws_iam_role.r",
            "module.m[\"a|b\"]",
            &["create"]
        )]));
        let md = review(&p, None, false).render_markdown();
        assert!(md.contains("| `module.m[\"a\\|b\"]` | 1 |"), "{md}");
    }
}
