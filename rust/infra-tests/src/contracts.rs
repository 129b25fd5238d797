//! AWS contracts checked over `terraform show -json` output (a saved plan's
//! `planned_values` or an applied state's `values`). Each check encodes a
//! behaviour AWS documents and the emulators do not enforce; the pages are
//! listed in docs/aws-contracts.md. A check returns its violations, one line
//! each, so a failing test names every offending resource at once.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One managed resource from a plan or a state.
pub struct Resource<'a> {
    pub address: &'a str,
    pub kind: &'a str,
    pub values: &'a Value,
    /// Recorded dependencies (state only; empty in a plan).
    pub depends_on: Vec<&'a str>,
}

/// Every managed resource in `doc`, whether a plan (`planned_values`) or a
/// state (`values`), through all child modules.
pub fn resources(doc: &Value) -> Vec<Resource<'_>> {
    fn walk<'a>(module: &'a Value, out: &mut Vec<Resource<'a>>) {
        for r in module["resources"].as_array().into_iter().flatten() {
            if r["mode"] != "managed" {
                continue;
            }
            out.push(Resource {
                address: r["address"].as_str().unwrap_or(""),
                kind: r["type"].as_str().unwrap_or(""),
                values: &r["values"],
                depends_on: r["depends_on"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect(),
            });
        }
        for child in module["child_modules"].as_array().into_iter().flatten() {
            walk(child, out);
        }
    }
    let root = if doc["planned_values"].is_object() {
        &doc["planned_values"]["root_module"]
    } else {
        &doc["values"]["root_module"]
    };
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}

fn of_kind<'a>(doc: &'a Value, kind: &str) -> Vec<Resource<'a>> {
    resources(doc)
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect()
}

/// Address without instance keys: `a.b["x"]` and `a.b[0]` become `a.b`.
fn base_address(address: &str) -> &str {
    address.split('[').next().unwrap_or(address)
}

fn blocks(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// Metric and dimension sets AWS publishes, per namespace (the pages are in
/// docs/aws-contracts.md). An alarm on any other combination is accepted by
/// CloudWatch and stays at INSUFFICIENT_DATA forever.
pub fn published_dimension_sets(namespace: &str, metric: &str) -> Option<Vec<Vec<&'static str>>> {
    let sets: Vec<Vec<&'static str>> = match (namespace, metric) {
        (
            "AWS/Lambda",
            "Errors"
            | "Throttles"
            | "Invocations"
            | "Duration"
            | "ConcurrentExecutions"
            | "DeadLetterErrors"
            | "DestinationDeliveryFailures"
            | "AsyncEventsDropped"
            | "IteratorAge",
        ) => vec![
            vec![],
            vec!["FunctionName"],
            vec!["FunctionName", "Resource"],
        ],
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible"
            | "ApproximateAgeOfOldestMessage"
            | "NumberOfMessagesSent",
        ) => vec![vec!["QueueName"]],
        ("AWS/DynamoDB", "ThrottledRequests" | "SystemErrors") => {
            vec![vec!["Operation", "TableName"]]
        }
        ("AWS/DynamoDB", "ReadThrottleEvents" | "WriteThrottleEvents") => {
            vec![
                vec!["TableName"],
                vec!["GlobalSecondaryIndexName", "TableName"],
            ]
        }
        ("AWS/DynamoDB", "UserErrors") => vec![vec![]],
        (
            "AWS/ApiGateway",
            "4XXError" | "5XXError" | "Count" | "Latency" | "IntegrationLatency",
        ) => vec![
            vec!["ApiName"],
            vec!["ApiName", "Stage"],
            vec!["ApiName", "Method", "Resource", "Stage"],
        ],
        ("AWS/SNS", "NumberOfNotificationsFailed" | "NumberOfMessagesPublished") => {
            vec![vec!["TopicName"]]
        }
        _ => return None,
    };
    Some(sets)
}

/// Every alarm's metric (or each metric of a metric-math alarm) must be one
/// AWS publishes with exactly that dimension set; metrics in a custom
/// namespace must come from a metric filter in the same document.
pub fn alarm_metric_violations(doc: &Value) -> Vec<String> {
    let filters: BTreeSet<(String, String)> = of_kind(doc, "aws_cloudwatch_log_metric_filter")
        .iter()
        .flat_map(|f| blocks(&f.values["metric_transformation"]))
        .map(|t| {
            (
                t["namespace"].as_str().unwrap_or("").to_string(),
                t["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    for alarm in of_kind(doc, "aws_cloudwatch_metric_alarm") {
        let mut metrics = Vec::new();
        if alarm.values["metric_name"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
        {
            metrics.push((
                &alarm.values["namespace"],
                &alarm.values["metric_name"],
                &alarm.values["dimensions"],
            ));
        }
        for q in blocks(&alarm.values["metric_query"]) {
            for m in blocks(&q["metric"]) {
                metrics.push((&m["namespace"], &m["metric_name"], &m["dimensions"]));
            }
        }
        if metrics.is_empty() {
            problems.push(format!("{}: no metric", alarm.address));
        }
        for (namespace, metric, dimensions) in metrics {
            let namespace = namespace.as_str().unwrap_or("");
            let metric = metric.as_str().unwrap_or("");
            let mut dims: Vec<&str> = dimensions
                .as_object()
                .map(|d| d.keys().map(String::as_str).collect())
                .unwrap_or_default();
            dims.sort_unstable();
            if namespace.starts_with("AWS/") {
                match published_dimension_sets(namespace, metric) {
                    None => problems.push(format!(
                        "{}: {namespace} {metric} is not in the table of published metrics",
                        alarm.address
                    )),
                    Some(sets) if !sets.contains(&dims) => problems.push(format!(
                        "{}: {namespace} {metric} is published with dimensions {sets:?}, not {dims:?}",
                        alarm.address
                    )),
                    Some(_) => {}
                }
            } else if !filters.contains(&(namespace.to_string(), metric.to_string()))
                || !dims.is_empty()
            {
                problems.push(format!(
                    "{}: {namespace} {metric} {dims:?} is published by no metric filter here",
                    alarm.address
                ));
            }
        }
    }
    problems
}

/// Alarm names carry the environment's prefix once.
pub fn alarm_name_violations(doc: &Value, prefix: &str) -> Vec<String> {
    of_kind(doc, "aws_cloudwatch_metric_alarm")
        .iter()
        .filter_map(|a| {
            let name = a.values["alarm_name"].as_str().unwrap_or("");
            (!name.starts_with(prefix) || name.matches(prefix).count() != 1)
                .then(|| format!("{}: alarm name {name:?}", a.address))
        })
        .collect()
}

/// WAF inspects only the first 16 KB of an API Gateway request body (up to
/// 64 KB with the web ACL's association_config): a body size rule beyond the
/// limit cannot see the size, and `oversize_handling = "MATCH"` on a blocking
/// rule blocks every larger body.
pub fn waf_body_violations(doc: &Value) -> Vec<String> {
    fn size_constraints<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    if k == "size_constraint_statement" {
                        out.extend(blocks(child));
                    }
                    size_constraints(child, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| size_constraints(i, out)),
            _ => {}
        }
    }
    let mut problems = Vec::new();
    for acl in of_kind(doc, "aws_wafv2_web_acl") {
        let limit = blocks(&acl.values["association_config"])
            .flat_map(|a| blocks(&a["request_body"]))
            .flat_map(|b| blocks(&b["api_gateway"]))
            .filter_map(|g| g["default_size_inspection_limit"].as_str())
            .map(|l| l.trim_start_matches("KB_").parse::<u64>().unwrap_or(16) * 1024)
            .next()
            .unwrap_or(16 * 1024);
        let mut found = Vec::new();
        size_constraints(&acl.values["rule"], &mut found);
        for sc in found {
            for field in blocks(&sc["field_to_match"]) {
                for body in blocks(&field["body"]) {
                    let size = sc["size"].as_u64().unwrap_or(0);
                    if size > limit {
                        problems.push(format!(
                            "{}: body size rule at {size} bytes, beyond WAF's {limit}-byte inspection limit",
                            acl.address
                        ));
                    }
                    if body["oversize_handling"] == "MATCH" {
                        problems.push(format!(
                            "{}: oversize_handling MATCH blocks every body above {limit} bytes",
                            acl.address
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// REST stage logging (execution or access logs) needs the region's
/// account-level CloudWatch role; in a state the stage must also have been
/// created after it.
pub fn stage_logging_violations(doc: &Value) -> Vec<String> {
    let accounts = of_kind(doc, "aws_api_gateway_account");
    let account_addresses: BTreeSet<&str> =
        accounts.iter().map(|a| base_address(a.address)).collect();
    let mut problems = Vec::new();
    let logging_settings = of_kind(doc, "aws_api_gateway_method_settings")
        .into_iter()
        .filter(|m| {
            blocks(&m.values["settings"])
                .any(|s| matches!(s["logging_level"].as_str(), Some("INFO" | "ERROR")))
        });
    let logging_stages = of_kind(doc, "aws_api_gateway_stage")
        .into_iter()
        .filter(|s| blocks(&s.values["access_log_settings"]).next().is_some());
    for r in logging_settings.chain(logging_stages) {
        if accounts.is_empty() {
            problems.push(format!(
                "{}: logs, but nothing sets the account-level CloudWatch role (aws_api_gateway_account)",
                r.address
            ));
        } else if !r.depends_on.is_empty()
            && !r
                .depends_on
                .iter()
                .any(|d| account_addresses.contains(base_address(d)))
        {
            problems.push(format!(
                "{}: may be created before aws_api_gateway_account",
                r.address
            ));
        }
    }
    problems
}

/// Lambda keeps at least 100 concurrent executions unreserved, so all
/// reserved concurrency plus 100 must fit the account limit.
pub fn reserved_concurrency_violations(doc: &Value, account_limit: u64) -> Vec<String> {
    let reserved: u64 = of_kind(doc, "aws_lambda_function")
        .iter()
        .filter_map(|f| f.values["reserved_concurrent_executions"].as_i64())
        .filter(|r| *r > 0)
        .map(|r| r.unsigned_abs())
        .sum();
    if reserved + 100 > account_limit {
        vec![format!(
            "reserved concurrency {reserved} + 100 unreserved exceeds the account limit {account_limit}"
        )]
    } else {
        Vec::new()
    }
}

/// Subnets are placed by zone ID and never in an excluded zone (use1-az3 has no Lambda).
pub fn subnet_zone_violations(doc: &Value, excluded: &[&str]) -> Vec<String> {
    of_kind(doc, "aws_subnet")
        .iter()
        .filter_map(|s| match s.values["availability_zone_id"].as_str() {
            Some(id) if !id.is_empty() && !excluded.contains(&id) => None,
            other => Some(format!("{}: availability_zone_id {other:?}", s.address)),
        })
        .collect()
}

fn policy_doc(v: &Value) -> Option<Value> {
    v.as_str().and_then(|s| serde_json::from_str(s).ok())
}

fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every SNS topic policy denies requests that do not use TLS (state only:
/// in a plan the policies are still unknown).
pub fn sns_tls_violations(doc: &Value) -> Vec<String> {
    of_kind(doc, "aws_sns_topic_policy")
        .iter()
        .filter_map(|p| {
            let policy = policy_doc(&p.values["policy"])?;
            let denies_plain_http = statements(&policy).iter().any(|st| {
                st["Effect"] == "Deny"
                    && list(&st["Condition"]["Bool"]["aws:SecureTransport"]) == ["false"]
            });
            (!denies_plain_http).then(|| format!("{}: no aws:SecureTransport deny", p.address))
        })
        .collect()
}

/// CreateTrail checks the bucket policy: the trail must depend on the policy
/// of the bucket it writes to (state only).
pub fn trail_order_violations(doc: &Value) -> Vec<String> {
    let policies = of_kind(doc, "aws_s3_bucket_policy");
    of_kind(doc, "aws_cloudtrail")
        .iter()
        .filter_map(|trail| {
            let bucket = trail.values["s3_bucket_name"].as_str().unwrap_or("");
            let policy = policies.iter().find(|p| p.values["bucket"] == bucket);
            match policy {
                None => Some(format!("{}: no bucket policy for {bucket}", trail.address)),
                Some(p) if !trail.depends_on.contains(&p.address) => Some(format!(
                    "{}: not ordered after {} (CreateTrail fails with InsufficientS3BucketPolicyException)",
                    trail.address, p.address
                )),
                Some(_) => None,
            }
        })
        .collect()
}

/// A deployment snapshots the API when it is created: it must come after
/// every gateway response (state only).
pub fn deployment_order_violations(doc: &Value) -> Vec<String> {
    let responses: BTreeSet<&str> = of_kind(doc, "aws_api_gateway_gateway_response")
        .iter()
        .map(|r| base_address(r.address))
        .collect();
    of_kind(doc, "aws_api_gateway_deployment")
        .iter()
        .flat_map(|d| {
            let deps: BTreeSet<&str> = d.depends_on.iter().map(|a| base_address(a)).collect();
            responses
                .iter()
                .filter(move |r| !deps.contains(*r))
                .map(move |r| format!("{}: not ordered after {r}", d.address))
        })
        .collect()
}

/// API Gateway writes execution logs to `API-Gateway-Execution-Logs_{api}/{stage}`:
/// docproc creates it first, with its KMS key and a retention (state only).
pub fn execution_log_group_violations(doc: &Value) -> Vec<String> {
    let groups: BTreeMap<&str, &Value> = of_kind(doc, "aws_cloudwatch_log_group")
        .into_iter()
        .filter_map(|g| Some((g.values["name"].as_str()?, g.values)))
        .collect();
    of_kind(doc, "aws_api_gateway_stage")
        .iter()
        .filter_map(|stage| {
            let name = format!(
                "API-Gateway-Execution-Logs_{}/{}",
                stage.values["rest_api_id"].as_str().unwrap_or(""),
                stage.values["stage_name"].as_str().unwrap_or("")
            );
            match groups.get(name.as_str()) {
                Some(g)
                    if g["kms_key_id"].as_str().is_some_and(|k| !k.is_empty())
                        && g["retention_in_days"].as_u64().is_some_and(|d| d > 0) =>
                {
                    None
                }
                _ => Some(format!(
                    "{}: no encrypted, retained log group {name}",
                    stage.address
                )),
            }
        })
        .collect()
}

/// S3 permissions the handlers rely on, per role (state only): the API may
/// write only `incoming/`; reading a specific version needs
/// s3:GetObjectVersion; deleting one needs s3:DeleteObjectVersion.
pub fn s3_permission_violations(doc: &Value, prefix: &str) -> Vec<String> {
    // Per role: each Allow statement's (actions, resources).
    type Statements = Vec<(Vec<String>, Vec<String>)>;
    let mut by_role: BTreeMap<String, Statements> = BTreeMap::new();
    for p in of_kind(doc, "aws_iam_role_policy") {
        let Some(policy) = policy_doc(&p.values["policy"]) else {
            continue;
        };
        let role = p.values["role"].as_str().unwrap_or("").to_string();
        for st in statements(&policy) {
            if st["Effect"] == "Allow" {
                by_role
                    .entry(role.clone())
                    .or_default()
                    .push((list(&st["Action"]), list(&st["Resource"])));
            }
        }
    }
    let allows = |role: &str, action: &str, prefix_path: &str| {
        by_role
            .get(role)
            .into_iter()
            .flatten()
            .any(|(actions, resources)| {
                actions.iter().any(|a| a == action)
                    && resources.iter().any(|r| r.ends_with(prefix_path))
            })
    };
    let mut problems = Vec::new();
    let api = format!("{prefix}-api");
    let processor = format!("{prefix}-processor");
    if allows(&api, "s3:PutObject", "/quarantine/*") {
        problems.push(format!("{api}: may write quarantine/"));
    }
    for path in ["/incoming/*", "/quarantine/*"] {
        if !allows(&api, "s3:GetObjectVersion", path) {
            problems.push(format!(
                "{api}: cannot presign a versioned GET under {path}"
            ));
        }
    }
    if !allows(&processor, "s3:DeleteObjectVersion", "/incoming/*") {
        problems.push(format!("{processor}: cannot delete the version it scanned"));
    }
    if !allows(&processor, "s3:DeleteObjectVersion", "/quarantine/*") {
        problems.push(format!(
            "{processor}: cannot remove copies of deliveries that lost the race"
        ));
    }
    // ListObjectVersions is authorized as s3:ListBucketVersions on the bucket
    // (not on objects): the processor finds the first complete version and
    // stray copies with it, the API whether an upload was already stored.
    for role in [&processor, &api] {
        let on_bucket =
            by_role
                .get(role.as_str())
                .into_iter()
                .flatten()
                .any(|(actions, resources)| {
                    actions.iter().any(|a| a == "s3:ListBucketVersions")
                        && resources
                            .iter()
                            .any(|r| r.starts_with("arn:") && !r.contains('/'))
                });
        if !on_bucket {
            problems.push(format!(
                "{role}: cannot list object versions (s3:ListBucketVersions on the bucket)"
            ));
        }
    }
    problems
}

/// Each Allow statement of a role's inline policies: (actions, resources).
fn role_statements(doc: &Value, role: &str) -> Vec<(Vec<String>, Vec<String>)> {
    of_kind(doc, "aws_iam_role_policy")
        .iter()
        .filter(|p| p.values["role"] == role)
        .filter_map(|p| policy_doc(&p.values["policy"]))
        .flat_map(|policy| statements(&policy))
        .filter(|st| st["Effect"] == "Allow")
        .map(|st| (list(&st["Action"]), list(&st["Resource"])))
        .collect()
}

/// The documents bucket's Object Lock, the processor's configuration and
/// its role agree (state only). Under governance-mode default retention
/// every version is locked, and deleting one needs `s3:BypassGovernanceRetention`
/// and the `x-amz-bypass-governance-retention` header (S3 User Guide,
/// object-lock-managing.html#object-lock-managing-bypass): the processor
/// sends it (S3_BYPASS_GOVERNANCE_RETENTION=true) and its role allows it on
/// incoming/ and quarantine/, or every rejection is an AccessDenied. Without
/// Object Lock neither is there (least privilege). Compliance mode is a
/// violation: nobody can remove a refused version then.
pub fn object_lock_violations(doc: &Value, prefix: &str) -> Vec<String> {
    let mode = of_kind(doc, "aws_s3_bucket_object_lock_configuration")
        .iter()
        .filter(|r| {
            r.values["bucket"]
                .as_str()
                .is_some_and(|b| b.starts_with(&format!("{prefix}-documents-")))
        })
        .flat_map(|r| blocks(&r.values["rule"]))
        .flat_map(|rule| blocks(&rule["default_retention"]))
        .find_map(|d| d["mode"].as_str().map(str::to_string));
    let processor = format!("{prefix}-processor");
    let bypass_env = of_kind(doc, "aws_lambda_function")
        .iter()
        .find(|f| f.values["function_name"] == processor.as_str())
        .and_then(|f| blocks(&f.values["environment"]).next().cloned())
        .and_then(|e| {
            e["variables"]["S3_BYPASS_GOVERNANCE_RETENTION"]
                .as_str()
                .map(str::to_string)
        });
    let granted: Vec<String> = role_statements(doc, &processor)
        .into_iter()
        .filter(|(actions, _)| actions.iter().any(|a| a == "s3:BypassGovernanceRetention"))
        .flat_map(|(_, resources)| resources)
        .collect();
    let mut problems = Vec::new();
    match mode.as_deref() {
        Some("GOVERNANCE") => {
            if bypass_env.as_deref() != Some("true") {
                problems.push(format!("{processor}: governance-mode Object Lock but S3_BYPASS_GOVERNANCE_RETENTION is {bypass_env:?}"));
            }
            for path in ["/incoming/*", "/quarantine/*"] {
                if !granted.iter().any(|r| r.ends_with(path)) {
                    problems.push(format!("{processor}: governance-mode Object Lock but no s3:BypassGovernanceRetention on {path}"));
                }
            }
        }
        Some(other) => problems.push(format!(
            "documents bucket: Object Lock mode {other}: the processor cannot remove refused or rejected versions"
        )),
        None => {
            if bypass_env.as_deref() == Some("true") || !granted.is_empty() {
                problems.push(format!("{processor}: bypasses governance retention without Object Lock (least privilege)"));
            }
        }
    }
    problems
}

/// Every S3 and DynamoDB action a function role has is allowed by the
/// gateway endpoint the functions reach the service through (state only):
/// "the request must be allowed by both the endpoint policy and the IAM
/// policy" (VPC endpoint policies, PrivateLink guide,
/// vpc-endpoints-access.html). Without an endpoint (a network brought by the
/// user) there is nothing to check.
pub fn endpoint_policy_violations(doc: &Value, prefix: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (service, namespace) in [("s3", "s3:"), ("dynamodb", "dynamodb:")] {
        let endpoint_actions: Vec<String> = of_kind(doc, "aws_vpc_endpoint")
            .iter()
            .filter(|e| {
                e.values["vpc_endpoint_type"] == "Gateway"
                    && e.values["service_name"]
                        .as_str()
                        .is_some_and(|n| n.ends_with(&format!(".{service}")))
            })
            .filter_map(|e| policy_doc(&e.values["policy"]))
            .flat_map(|policy| statements(&policy))
            .filter(|st| st["Effect"] == "Allow")
            .flat_map(|st| list(&st["Action"]))
            .collect();
        if endpoint_actions.is_empty() {
            continue;
        }
        // "If you specify the principal in one of the following formats,
        // access is granted to the AWS account root user only, and not all
        // users and roles for the account": an account id or its :root ARN
        // (PrivateLink guide, vpc-endpoints-access.html, "Principals for
        // gateway endpoints"). Roles are admitted by aws:PrincipalArn.
        for e in of_kind(doc, "aws_vpc_endpoint")
            .iter()
            .filter(|e| e.values["vpc_endpoint_type"] == "Gateway")
        {
            for st in policy_doc(&e.values["policy"]).iter().flat_map(statements) {
                let names_an_account = list(&st["Principal"]["AWS"]).iter().any(|p| {
                    (p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit())) || p.ends_with(":root")
                });
                let by_arn = st["Condition"]["ArnLike"].get("aws:PrincipalArn").is_some()
                    || st["Condition"]["ArnEquals"]
                        .get("aws:PrincipalArn")
                        .is_some();
                if st["Effect"] == "Allow" && (names_an_account || !by_arn) {
                    problems.push(format!(
                        "{}: a gateway endpoint statement must admit roles by aws:PrincipalArn (an account principal admits only its root user)",
                        e.address
                    ));
                }
            }
        }
        let allowed = |action: &str| {
            endpoint_actions
                .iter()
                .any(|a| a == action || a == "*" || a == &format!("{namespace}*"))
        };
        for function in ["api", "authorizer", "processor", "notifier"] {
            let role = format!("{prefix}-{function}");
            for (actions, _) in role_statements(doc, &role) {
                for action in actions.iter().filter(|a| a.starts_with(namespace)) {
                    if !allowed(action) {
                        problems.push(format!(
                            "{role}: {action} is not allowed by the {service} gateway endpoint's policy"
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// The data key's policy names no service principal: every service that uses
/// it does so with the calling role's permissions (state only).
pub fn data_key_violations(doc: &Value) -> Vec<String> {
    of_kind(doc, "aws_kms_key")
        .iter()
        .filter(|k| {
            k.values["description"]
                .as_str()
                .is_some_and(|d| d.contains("documents"))
        })
        .filter_map(|k| {
            let policy = policy_doc(&k.values["policy"])?;
            let services: Vec<String> = statements(&policy)
                .iter()
                .flat_map(|st| list(&st["Principal"]["Service"]))
                .collect();
            (!services.is_empty()).then(|| format!("{}: grants {services:?}", k.address))
        })
        .collect()
}

/// Every alarm notifies someone when it fires and again when it recovers:
/// `alarm_actions` set, and `ok_actions` the same targets, so an on-call
/// person paged by an alarm also hears that it cleared (state only: topic
/// ARNs are unknown in a plan).
pub fn alarm_notification_violations(doc: &Value) -> Vec<String> {
    of_kind(doc, "aws_cloudwatch_metric_alarm")
        .iter()
        .filter_map(|a| {
            let targets =
                |key: &str| -> BTreeSet<String> { list(&a.values[key]).into_iter().collect() };
            let (alarm, ok) = (targets("alarm_actions"), targets("ok_actions"));
            if alarm.is_empty() {
                Some(format!("{}: notifies nobody (no alarm_actions)", a.address))
            } else if ok != alarm {
                Some(format!(
                    "{}: ok_actions {ok:?} are not its alarm_actions {alarm:?}",
                    a.address
                ))
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(resources: Value) -> Value {
        json!({"values": {"root_module": {"resources": [], "child_modules": [{"resources": resources}]}}})
    }

    fn res(kind: &str, name: &str, values: Value) -> Value {
        json!({"mode": "managed", "type": kind, "address": format!("{kind}.{name}"), "values": values})
    }

    #[test]
    fn an_alarm_that_notifies_nobody_or_not_when_it_clears_is_caught() {
        let alarm = |name: &str, alarm: Value, ok: Value| {
            res(
                "aws_cloudwatch_metric_alarm",
                name,
                json!({"alarm_name": name, "alarm_actions": alarm, "ok_actions": ok}),
            )
        };
        let topic = json!(["arn:aws:sns:us-east-1:123456789012:prod-docproc-alarms"]);
        let doc = state(json!([
            alarm("both", topic.clone(), topic.clone()),
            alarm("no-ok", topic.clone(), json!([])),
            alarm("nobody", json!([]), json!([])),
        ]));
        let found = alarm_notification_violations(&doc);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("no-ok") && found[0].contains("ok_actions"));
        assert!(found[1].contains("nobody") && found[1].contains("notifies nobody"));
    }

    #[test]
    fn dynamodb_throttle_alarm_on_table_name_alone_is_caught() {
        // The alarm as it was at 56f6201: ThrottledRequests with TableName only.
        let old = state(json!([res(
            "aws_cloudwatch_metric_alarm",
            "t",
            json!({
            "alarm_name": "prod-docproc-x", "namespace": "AWS/DynamoDB", "metric_name": "ThrottledRequests",
            "dimensions": {"TableName": "prod-docproc-documents"}})
        )]));
        assert_eq!(alarm_metric_violations(&old).len(), 1);
        let fixed = state(json!([res(
            "aws_cloudwatch_metric_alarm",
            "t",
            json!({
            "alarm_name": "prod-docproc-x", "metric_query": [
                {"id": "total", "expression": "SUM([m0])", "metric": []},
                {"id": "m0", "metric": [{"namespace": "AWS/DynamoDB", "metric_name": "ThrottledRequests",
                    "dimensions": {"TableName": "t", "Operation": "GetItem"}}]}]})
        )]));
        assert!(alarm_metric_violations(&fixed).is_empty());
    }

    #[test]
    fn custom_metrics_need_a_filter_and_unknown_aws_metrics_are_refused() {
        let doc = state(json!([
            res(
                "aws_cloudwatch_metric_alarm",
                "a",
                json!({"namespace": "docproc/p", "metric_name": "Denials", "dimensions": {}})
            ),
            res(
                "aws_cloudwatch_metric_alarm",
                "b",
                json!({"namespace": "AWS/Lambda", "metric_name": "Errrors", "dimensions": {"FunctionName": "f"}})
            ),
        ]));
        assert_eq!(alarm_metric_violations(&doc).len(), 2);
        let with_filter = state(json!([
            res(
                "aws_cloudwatch_log_metric_filter",
                "f",
                json!({"metric_transformation": [{"namespace": "docproc/p", "name": "Denials"}]})
            ),
            res(
                "aws_cloudwatch_metric_alarm",
                "a",
                json!({"namespace": "docproc/p", "metric_name": "Denials", "dimensions": {}})
            ),
        ]));
        assert!(alarm_metric_violations(&with_filter).is_empty());
    }

    #[test]
    fn alarm_names_repeating_the_prefix_are_caught() {
        let doc = state(json!([
            res(
                "aws_cloudwatch_metric_alarm",
                "a",
                json!({"alarm_name": "prod-docproc-prod-docproc-documents-throttled"})
            ),
            res(
                "aws_cloudwatch_metric_alarm",
                "b",
                json!({"alarm_name": "prod-docproc-documents-throttled"})
            ),
        ]));
        assert_eq!(alarm_name_violations(&doc, "prod-docproc").len(), 1);
    }

    #[test]
    fn waf_body_rule_beyond_inspection_limit_is_caught() {
        let rule = |size: u64, handling: &str| {
            state(json!([res(
                "aws_wafv2_web_acl",
                "w",
                json!({"rule": [{"statement": [{"size_constraint_statement": [{
                "size": size, "field_to_match": [{"body": [{"oversize_handling": handling}]}]}]}]}]})
            )]))
        };
        // 56f6201: 6 MiB with MATCH.
        assert_eq!(waf_body_violations(&rule(6_291_456, "MATCH")).len(), 2);
        assert_eq!(waf_body_violations(&rule(16_385, "CONTINUE")).len(), 1);
        assert!(waf_body_violations(&rule(8_192, "CONTINUE")).is_empty());
    }

    #[test]
    fn stage_logging_without_account_role_is_caught() {
        let settings = res(
            "aws_api_gateway_method_settings",
            "all",
            json!({"settings": [{"logging_level": "INFO"}]}),
        );
        assert_eq!(
            stage_logging_violations(&state(json!([settings.clone()]))).len(),
            1
        );
        let account = res(
            "aws_api_gateway_account",
            "this",
            json!({"cloudwatch_role_arn": "arn:aws:iam::1:role/r"}),
        );
        let mut ordered = settings.clone();
        ordered["depends_on"] = json!(["aws_api_gateway_account.this"]);
        assert!(stage_logging_violations(&state(json!([account.clone(), ordered]))).is_empty());
        let mut unordered = settings;
        unordered["depends_on"] = json!(["aws_api_gateway_stage.this"]);
        assert_eq!(
            stage_logging_violations(&state(json!([account, unordered]))).len(),
            1
        );
    }

    #[test]
    fn reserved_concurrency_keeps_100_unreserved() {
        let doc = state(json!([
            res(
                "aws_lambda_function",
                "a",
                json!({"reserved_concurrent_executions": 100})
            ),
            res(
                "aws_lambda_function",
                "b",
                json!({"reserved_concurrent_executions": 25})
            ),
            res(
                "aws_lambda_function",
                "c",
                json!({"reserved_concurrent_executions": -1})
            ),
        ]));
        assert!(reserved_concurrency_violations(&doc, 225).is_empty());
        assert_eq!(reserved_concurrency_violations(&doc, 224).len(), 1);
    }

    #[test]
    fn subnets_by_name_or_in_excluded_zones_are_caught() {
        let doc = state(json!([
            res(
                "aws_subnet",
                "a",
                json!({"availability_zone_id": "use1-az1"})
            ),
            res(
                "aws_subnet",
                "b",
                json!({"availability_zone_id": "use1-az3"})
            ),
            res(
                "aws_subnet",
                "c",
                json!({"availability_zone": "us-east-1a"})
            ),
        ]));
        assert_eq!(subnet_zone_violations(&doc, &["use1-az3"]).len(), 2);
    }

    #[test]
    fn topics_without_tls_deny_are_caught() {
        let allow_only =
            json!({"Statement": [{"Effect": "Allow", "Action": "sns:Publish"}]}).to_string();
        let with_deny = json!({"Statement": [{"Effect": "Deny", "Action": "sns:Publish",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
        .to_string();
        let doc = state(json!([
            res("aws_sns_topic_policy", "a", json!({"policy": allow_only})),
            res("aws_sns_topic_policy", "b", json!({"policy": with_deny})),
        ]));
        assert_eq!(
            sns_tls_violations(&doc),
            ["aws_sns_topic_policy.a: no aws:SecureTransport deny"]
        );
    }

    #[test]
    fn trail_not_ordered_after_bucket_policy_is_caught() {
        // The log bucket's resources as the secure-bucket module names them.
        let policy = res("aws_s3_bucket_policy", "this", json!({"bucket": "logs-b"}));
        let mut trail = res("aws_cloudtrail", "t", json!({"s3_bucket_name": "logs-b"}));
        trail["depends_on"] = json!(["aws_s3_bucket.this"]);
        assert_eq!(
            trail_order_violations(&state(json!([policy.clone(), trail.clone()]))).len(),
            1
        );
        trail["depends_on"] = json!(["aws_s3_bucket_policy.this"]);
        assert!(trail_order_violations(&state(json!([policy, trail]))).is_empty());
    }

    #[test]
    fn deployment_before_gateway_responses_is_caught() {
        let response = json!({"mode": "managed", "type": "aws_api_gateway_gateway_response",
            "address": "aws_api_gateway_gateway_response.this[\"THROTTLED\"]", "values": {}});
        let mut deployment = res("aws_api_gateway_deployment", "this", json!({}));
        deployment["depends_on"] = json!(["aws_api_gateway_integration.this"]);
        assert_eq!(
            deployment_order_violations(&state(json!([response.clone(), deployment.clone()])))
                .len(),
            1
        );
        deployment["depends_on"] = json!(["aws_api_gateway_gateway_response.this"]);
        assert!(deployment_order_violations(&state(json!([response, deployment]))).is_empty());
    }

    #[test]
    fn unencrypted_execution_logs_are_caught() {
        let stage = res(
            "aws_api_gateway_stage",
            "s",
            json!({"rest_api_id": "abc", "stage_name": "v1"}),
        );
        assert_eq!(
            execution_log_group_violations(&state(json!([stage.clone()]))).len(),
            1
        );
        let group = res(
            "aws_cloudwatch_log_group",
            "g",
            json!({"name": "API-Gateway-Execution-Logs_abc/v1",
            "kms_key_id": "arn:aws:kms:us-east-1:1:key/k", "retention_in_days": 30}),
        );
        assert!(execution_log_group_violations(&state(json!([stage, group]))).is_empty());
    }

    #[test]
    fn s3_permissions_follow_the_version_contracts() {
        let policy = |role: &str, actions: Value, resources: Value| {
            res(
                "aws_iam_role_policy",
                role,
                json!({"role": role, "policy": json!({"Statement": [
                {"Effect": "Allow", "Action": actions, "Resource": resources}]}).to_string()}),
            )
        };
        // 56f6201: the api role may write quarantine/ and read no versions.
        let old = state(json!([
            policy(
                "p-api",
                json!(["s3:PutObject", "s3:GetObject"]),
                json!(["arn:aws:s3:::b/incoming/*", "arn:aws:s3:::b/quarantine/*"])
            ),
            policy(
                "p-processor",
                json!(["s3:GetObject", "s3:DeleteObject"]),
                json!(["arn:aws:s3:::b/incoming/*"])
            ),
        ]));
        assert_eq!(s3_permission_violations(&old, "p").len(), 7);
        let fixed = state(json!([
            policy(
                "p-api",
                json!(["s3:GetObject", "s3:GetObjectVersion"]),
                json!(["arn:aws:s3:::b/incoming/*", "arn:aws:s3:::b/quarantine/*"])
            ),
            policy(
                "p-processor",
                json!(["s3:DeleteObject", "s3:DeleteObjectVersion"]),
                json!(["arn:aws:s3:::b/incoming/*", "arn:aws:s3:::b/quarantine/*"])
            ),
            policy(
                "p-processor",
                json!(["s3:ListBucketVersions"]),
                json!(["arn:aws:s3:::b"])
            ),
            policy(
                "p-api",
                json!(["s3:ListBucketVersions"]),
                json!(["arn:aws:s3:::b"])
            ),
        ]));
        assert!(s3_permission_violations(&fixed, "p").is_empty());
    }

    fn role_policy(role: &str, actions: Value, resources: Value) -> Value {
        res(
            "aws_iam_role_policy",
            role,
            json!({"role": role, "policy": json!({"Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": resources}]}).to_string()}),
        )
    }

    #[test]
    fn object_lock_mode_processor_setting_and_role_must_agree() {
        let lock = |mode: &str| {
            res(
                "aws_s3_bucket_object_lock_configuration",
                "l",
                json!({"bucket": "p-documents-x", "rule": [{"default_retention": [{"mode": mode, "days": 30}]}]}),
            )
        };
        let function = |bypass: &str| {
            res(
                "aws_lambda_function",
                "f",
                json!({"function_name": "p-processor", "environment": [{"variables": {"S3_BYPASS_GOVERNANCE_RETENTION": bypass}}]}),
            )
        };
        let grant = role_policy(
            "p-processor",
            json!(["s3:BypassGovernanceRetention"]),
            json!(["arn:aws:s3:::b/incoming/*", "arn:aws:s3:::b/quarantine/*"]),
        );
        let agreeing = state(json!([lock("GOVERNANCE"), function("true"), grant.clone()]));
        assert!(object_lock_violations(&agreeing, "p").is_empty());
        // Each part planted wrong: the header not sent, the permission missing
        // (every rejection an AccessDenied), compliance mode, a bypass
        // without a lock.
        assert_eq!(
            object_lock_violations(
                &state(json!([
                    lock("GOVERNANCE"),
                    function("false"),
                    grant.clone()
                ])),
                "p"
            )
            .len(),
            1
        );
        assert_eq!(
            object_lock_violations(&state(json!([lock("GOVERNANCE"), function("true")])), "p")
                .len(),
            2
        );
        assert_eq!(
            object_lock_violations(
                &state(json!([lock("COMPLIANCE"), function("true"), grant.clone()])),
                "p"
            )
            .len(),
            1
        );
        assert_eq!(
            object_lock_violations(&state(json!([function("true"), grant])), "p").len(),
            1
        );
        assert!(object_lock_violations(&state(json!([function("false")])), "p").is_empty());
    }

    #[test]
    fn a_gateway_endpoint_policy_naming_the_account_admits_no_role() {
        let endpoint = |statement: Value| {
            state(json!([res(
                "aws_vpc_endpoint",
                "s3",
                json!({"vpc_endpoint_type": "Gateway", "service_name": "com.amazonaws.us-east-1.s3",
                       "policy": json!({"Statement": [statement]}).to_string()}),
            )]))
        };
        // As it was: the account as principal, which admits its root user only.
        let root_only = endpoint(
            json!({"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": ["s3:GetObject"], "Resource": "*"}),
        );
        assert_eq!(endpoint_policy_violations(&root_only, "p").len(), 1);
        let by_arn = endpoint(
            json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["s3:GetObject"], "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/p-*"}}}),
        );
        assert!(endpoint_policy_violations(&by_arn, "p").is_empty());
    }

    #[test]
    fn a_role_action_the_gateway_endpoint_does_not_allow_is_caught() {
        let endpoint = |actions: Value| {
            res(
                "aws_vpc_endpoint",
                "s3",
                json!({"vpc_endpoint_type": "Gateway", "service_name": "com.amazonaws.us-east-1.s3",
                       "policy": json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": actions, "Resource": "*",
                           "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/p-*"}}}]}).to_string()}),
            )
        };
        let processor = role_policy(
            "p-processor",
            json!(["s3:GetObject", "s3:ListBucketVersions", "sqs:SendMessage"]),
            json!(["arn:aws:s3:::b/incoming/*"]),
        );
        let narrow = state(json!([
            endpoint(json!(["s3:GetObject"])),
            processor.clone()
        ]));
        assert_eq!(
            endpoint_policy_violations(&narrow, "p"),
            vec!["p-processor: s3:ListBucketVersions is not allowed by the s3 gateway endpoint's policy"]
        );
        let wide = state(json!([
            endpoint(json!(["s3:GetObject", "s3:ListBucketVersions"])),
            processor.clone()
        ]));
        assert!(endpoint_policy_violations(&wide, "p").is_empty());
        // No endpoint of ours (a user's network): nothing to check.
        assert!(endpoint_policy_violations(&state(json!([processor])), "p").is_empty());
    }

    #[test]
    fn data_key_service_grants_are_caught() {
        let key = |statement: Value| {
            state(json!([res(
                "aws_kms_key",
                "data",
                json!({"description": "p: documents, tables",
                "policy": json!({"Statement": statement}).to_string()})
            )]))
        };
        assert_eq!(
            data_key_violations(&key(
                json!([{"Effect": "Allow", "Principal": {"Service": ["sqs.amazonaws.com"]}}])
            ))
            .len(),
            1
        );
        assert!(data_key_violations(&key(
            json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}}])
        ))
        .is_empty());
    }
}
