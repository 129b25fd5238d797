//! What an environment needs from its AWS account, read from its Terraform
//! plan (`terraform show -json` of a saved plan). Nothing here repeats the
//! Terraform: region, reservations, endpoints, zones, trails and the rest are
//! taken from `resource_changes`, `configuration` and the data sources the
//! plan read (`prior_state`), so a changed variable changes the checks.

use crate::error::{OpsError, OpsResult};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Everything `docproc preflight` checks the account against. Pure data: no
/// AWS types, built from plan JSON only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Requirements {
    /// The environment (`module "platform" { environment = … }`, or `--env`);
    /// used to name the file a fix goes in.
    pub env: Option<String>,
    /// The region the plan targets: the root `aws` provider's `region`, else
    /// the `aws_region` data sources, else the region of the plan's ARNs.
    pub region: Option<String>,
    /// The account the plan was made with (`aws_caller_identity` data sources, else ARNs).
    pub account_id: Option<String>,
    /// Sum of `reserved_concurrent_executions` over every planned
    /// `aws_lambda_function` (unset and -1 mean no reservation).
    pub reserved_concurrency: u64,
    /// The same over the functions this plan creates: reservations the
    /// account's unreserved pool has to give up at apply.
    pub new_reserved_concurrency: u64,
    /// `aws_vpc_endpoint`s of type Interface.
    pub interface_endpoints: Vec<InterfaceEndpoint>,
    /// The zone of every planned `aws_subnet` whose zone the plan knows.
    pub subnet_zones: Vec<SubnetZone>,
    /// Subnets whose zone is known only after apply.
    pub subnets_with_unknown_zone: Vec<String>,
    /// Set when the plan manages the region's API Gateway account settings
    /// (`aws_api_gateway_account`), i.e. the CloudWatch Logs role.
    pub api_gateway_account: Option<ApiGatewayAccount>,
    /// Stages and method settings that turn on execution or access logging.
    pub stage_logging: Vec<String>,
    /// The trail the plan manages, if any.
    pub trail: Option<PlannedTrail>,
    /// API keys, usage plans and KMS keys this plan creates.
    pub new_api_keys: u64,
    pub new_usage_plans: u64,
    pub new_kms_keys: u64,
}

/// An interface endpoint and the VPC it goes in: a VPC ID when the VPC
/// exists, else the address of the planned `aws_vpc` it references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceEndpoint {
    pub address: String,
    pub service_name: String,
    pub vpc: String,
}

/// A subnet's zone as the plan has it: by ID (`availability_zone_id`, the
/// same physical zone in every account) or by name (`availability_zone`,
/// which maps to a different zone in each account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubnetZone {
    pub address: String,
    pub zone_id: Option<String>,
    pub zone_name: Option<String>,
}

impl SubnetZone {
    /// The zone as written in the plan (ID preferred).
    pub fn label(&self) -> &str {
        self.zone_id
            .as_deref()
            .or(self.zone_name.as_deref())
            .unwrap_or("?")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiGatewayAccount {
    pub address: String,
    /// The name of the role the plan sets, when the plan says which.
    pub role_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedTrail {
    pub address: String,
    pub name: String,
    pub creates: bool,
    pub multi_region: bool,
    pub organization: bool,
    /// Whether its event selectors record management events (a trail with
    /// no selectors does).
    pub management_events: bool,
}

/// One managed resource as the plan leaves it.
struct Planned<'a> {
    address: &'a str,
    module: &'a str,
    kind: &'a str,
    name: &'a str,
    after: &'a Value,
    /// Created by this plan (not updated, replaced or left as is).
    creates: bool,
}

fn planned(plan: &Value) -> Vec<Planned<'_>> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["mode"] == "managed")
        .filter_map(|r| {
            let actions: Vec<&str> = r["change"]["actions"]
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            if actions == ["delete"] || r["change"]["after"].is_null() {
                return None;
            }
            Some(Planned {
                address: r["address"].as_str().unwrap_or(""),
                module: r["module_address"].as_str().unwrap_or(""),
                kind: r["type"].as_str().unwrap_or(""),
                name: r["name"].as_str().unwrap_or(""),
                after: &r["change"]["after"],
                creates: actions == ["create"],
            })
        })
        .collect()
}

fn blocks(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

fn text(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

/// Module call names along a module address: `module.a["x"].module.b` is
/// `["a", "b"]` (instance keys dropped: the configuration has one block per call).
fn module_path(address: &str) -> Vec<String> {
    let mut plain = String::new();
    let (mut depth, mut quoted) = (0usize, false);
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let parts: Vec<&str> = plain.split('.').collect();
    parts
        .chunks(2)
        .filter(|pair| pair.len() == 2 && pair[0] == "module")
        .map(|pair| pair[1].to_string())
        .collect()
}

/// The configuration block of a resource (its expressions).
fn configuration<'a>(plan: &'a Value, r: &Planned<'_>) -> Option<&'a Value> {
    let mut module = &plan["configuration"]["root_module"];
    for call in module_path(r.module) {
        module = &module["module_calls"][call.as_str()]["module"];
    }
    let address = format!("{}.{}", r.kind, r.name);
    blocks(&module["resources"]).find(|c| c["address"] == address.as_str())
}

/// The resource an attribute's expression references, as an absolute
/// address prefix (`module.x.aws_vpc.this`), when it references one.
fn referenced_resource(plan: &Value, r: &Planned<'_>, attribute: &str) -> Option<String> {
    let expression = &configuration(plan, r)?["expressions"][attribute];
    let reference = blocks(&expression["references"])
        .filter_map(Value::as_str)
        .find(|s| s.starts_with("aws_"))?;
    // aws_vpc.this.id, aws_iam_role.x[0].arn, aws_vpc.this: keep type.name.
    let mut parts = reference.splitn(3, '.');
    let (kind, name) = (parts.next()?, parts.next()?);
    let name = name.split('[').next().unwrap_or(name);
    Some(if r.module.is_empty() {
        format!("{kind}.{name}")
    } else {
        format!("{}.{kind}.{name}", r.module)
    })
}

/// Strips instance keys: `a.b["x"]` and `a.b[0]` become `a.b`.
fn base_address(address: &str) -> String {
    let mut out = String::new();
    let (mut depth, mut quoted) = (0usize, false);
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Data sources the plan read, through all modules.
fn data_sources<'a>(plan: &'a Value, kind: &str) -> Vec<&'a Value> {
    fn walk<'a>(module: &'a Value, kind: &str, out: &mut Vec<&'a Value>) {
        for r in blocks(&module["resources"]) {
            if r["mode"] == "data" && r["type"] == kind {
                out.push(&r["values"]);
            }
        }
        for child in blocks(&module["child_modules"]) {
            walk(child, kind, out);
        }
    }
    let mut out = Vec::new();
    walk(
        &plan["prior_state"]["values"]["root_module"],
        kind,
        &mut out,
    );
    out
}

/// (region, account) of every ARN among the planned values.
fn arn_fields(plan: &Value) -> Vec<(String, String)> {
    fn walk(v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::String(s) if s.starts_with("arn:") => {
                let fields: Vec<&str> = s.splitn(6, ':').collect();
                if fields.len() == 6 {
                    out.push((fields[3].to_string(), fields[4].to_string()));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in blocks(&plan["resource_changes"]) {
        walk(&r["change"]["after"], &mut out);
    }
    out
}

/// The most frequent non-empty value.
fn most_common(values: impl Iterator<Item = String>) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for v in values.filter(|v| !v.is_empty()) {
        *counts.entry(v).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(value, _)| value)
}

fn plan_region(plan: &Value) -> Option<String> {
    let provider = &plan["configuration"]["provider_config"]["aws"]["expressions"]["region"];
    if let Some(region) = text(&provider["constant_value"]) {
        return Some(region.to_string());
    }
    // region = var.x: the root variable's value.
    let variable = blocks(&provider["references"])
        .filter_map(Value::as_str)
        .find_map(|r| r.strip_prefix("var."));
    if let Some(region) = variable.and_then(|v| text(&plan["variables"][v]["value"])) {
        return Some(region.to_string());
    }
    // aws_region: `region` (provider 6) or `name` (provider 5).
    let from_data = data_sources(plan, "aws_region")
        .into_iter()
        .find_map(|d| text(&d["region"]).or_else(|| text(&d["name"])));
    if let Some(region) = from_data {
        return Some(region.to_string());
    }
    most_common(arn_fields(plan).into_iter().map(|(region, _)| region))
}

fn plan_account(plan: &Value) -> Option<String> {
    data_sources(plan, "aws_caller_identity")
        .into_iter()
        .find_map(|d| text(&d["account_id"]).map(str::to_string))
        .or_else(|| {
            most_common(
                arn_fields(plan)
                    .into_iter()
                    .map(|(_, account)| account)
                    .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())),
            )
        })
}

fn plan_env(plan: &Value) -> Option<String> {
    text(
        &plan["configuration"]["root_module"]["module_calls"]["platform"]["expressions"]
            ["environment"]["constant_value"],
    )
    .map(str::to_string)
}

/// Whether a trail's selectors record management events. AWS's defaults:
/// a trail without selectors does; a basic selector does unless
/// `include_management_events` is false; advanced selectors do when one
/// selects `eventCategory` = `Management`.
fn records_management_events(trail: &Value) -> bool {
    let advanced: Vec<&Value> = blocks(&trail["advanced_event_selector"]).collect();
    if !advanced.is_empty() {
        return advanced.iter().any(|s| {
            blocks(&s["field_selector"]).any(|f| {
                f["field"] == "eventCategory"
                    && blocks(&f["equals"]).any(|e| e.as_str() == Some("Management"))
            })
        });
    }
    let basic: Vec<&Value> = blocks(&trail["event_selector"]).collect();
    basic.is_empty()
        || basic
            .iter()
            .any(|s| s["include_management_events"].as_bool() != Some(false))
}

fn logs(r: &Planned<'_>) -> bool {
    match r.kind {
        "aws_api_gateway_method_settings" => blocks(&r.after["settings"]).any(|s| {
            s["logging_level"]
                .as_str()
                .is_some_and(|level| !level.is_empty() && level != "OFF")
        }),
        "aws_api_gateway_stage" => blocks(&r.after["access_log_settings"]).next().is_some(),
        _ => false,
    }
}

impl Requirements {
    /// Reads a plan as `terraform show -json <planfile>` prints it.
    pub fn from_plan(plan: &Value) -> OpsResult<Requirements> {
        if !plan["resource_changes"].is_array() {
            return Err(OpsError::Config(
                "not a Terraform plan: no resource_changes (pass the output of `terraform show -json <planfile>`)"
                    .into(),
            ));
        }
        let resources = planned(plan);
        let mut req = Requirements {
            env: plan_env(plan),
            region: plan_region(plan),
            account_id: plan_account(plan),
            ..Requirements::default()
        };
        let count_created = |kind: &str| {
            resources
                .iter()
                .filter(|r| r.kind == kind && r.creates)
                .count() as u64
        };
        req.new_api_keys = count_created("aws_api_gateway_api_key");
        req.new_usage_plans = count_created("aws_api_gateway_usage_plan");
        req.new_kms_keys = count_created("aws_kms_key");

        for r in &resources {
            match r.kind {
                "aws_lambda_function" => {
                    let reserved = r.after["reserved_concurrent_executions"]
                        .as_i64()
                        .filter(|n| *n > 0)
                        .map_or(0, i64::unsigned_abs);
                    req.reserved_concurrency += reserved;
                    if r.creates {
                        req.new_reserved_concurrency += reserved;
                    }
                }
                "aws_vpc_endpoint" if r.after["vpc_endpoint_type"] == "Interface" => {
                    let vpc = text(&r.after["vpc_id"])
                        .map(str::to_string)
                        .or_else(|| referenced_resource(plan, r, "vpc_id"))
                        .unwrap_or_else(|| {
                            let module = if r.module.is_empty() {
                                "root module"
                            } else {
                                r.module
                            };
                            format!("{module} (VPC known after apply)")
                        });
                    req.interface_endpoints.push(InterfaceEndpoint {
                        address: r.address.to_string(),
                        service_name: text(&r.after["service_name"]).unwrap_or("").to_string(),
                        vpc,
                    });
                }
                "aws_subnet" => {
                    let zone_id = text(&r.after["availability_zone_id"]).map(str::to_string);
                    let zone_name = text(&r.after["availability_zone"]).map(str::to_string);
                    if zone_id.is_none() && zone_name.is_none() {
                        req.subnets_with_unknown_zone.push(r.address.to_string());
                    } else {
                        req.subnet_zones.push(SubnetZone {
                            address: r.address.to_string(),
                            zone_id,
                            zone_name,
                        });
                    }
                }
                "aws_api_gateway_account" => {
                    let role_name = text(&r.after["cloudwatch_role_arn"])
                        .and_then(|arn| arn.rsplit('/').next())
                        .map(str::to_string)
                        .or_else(|| {
                            let role = referenced_resource(plan, r, "cloudwatch_role_arn")?;
                            resources
                                .iter()
                                .find(|c| {
                                    c.kind == "aws_iam_role"
                                        && base_address(c.address) == base_address(&role)
                                })
                                .and_then(|c| text(&c.after["name"]))
                                .map(str::to_string)
                        });
                    req.api_gateway_account = Some(ApiGatewayAccount {
                        address: r.address.to_string(),
                        role_name,
                    });
                }
                "aws_api_gateway_method_settings" | "aws_api_gateway_stage" if logs(r) => {
                    req.stage_logging.push(r.address.to_string());
                }
                "aws_cloudtrail" => {
                    req.trail = Some(PlannedTrail {
                        address: r.address.to_string(),
                        name: text(&r.after["name"]).unwrap_or("").to_string(),
                        creates: r.creates,
                        multi_region: r.after["is_multi_region_trail"].as_bool() == Some(true),
                        organization: r.after["is_organization_trail"].as_bool() == Some(true),
                        management_events: records_management_events(r.after),
                    });
                }
                _ => {}
            }
        }
        Ok(req)
    }

    /// Interface endpoints grouped by VPC.
    pub fn endpoints_per_vpc(&self) -> BTreeMap<&str, Vec<&InterfaceEndpoint>> {
        let mut per_vpc: BTreeMap<&str, Vec<&InterfaceEndpoint>> = BTreeMap::new();
        for e in &self.interface_endpoints {
            per_vpc.entry(e.vpc.as_str()).or_default().push(e);
        }
        per_vpc
    }

    /// The distinct interface endpoint service names, sorted.
    pub fn interface_services(&self) -> Vec<String> {
        let mut services: Vec<String> = self
            .interface_endpoints
            .iter()
            .map(|e| e.service_name.clone())
            .filter(|s| !s.is_empty())
            .collect();
        services.sort();
        services.dedup();
        services
    }

    /// IDs of existing VPCs that get interface endpoints (their current
    /// endpoints count against the same quota).
    pub fn existing_vpcs(&self) -> Vec<String> {
        let mut vpcs: Vec<String> = self
            .interface_endpoints
            .iter()
            .filter(|e| e.vpc.starts_with("vpc-"))
            .map(|e| e.vpc.clone())
            .collect();
        vpcs.sort();
        vpcs.dedup();
        vpcs
    }

    /// Where an env's settings go, for the fixes.
    pub fn env_file(&self) -> String {
        format!("envs/{}/main.tf", self.env.as_deref().unwrap_or("<env>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(
        module: &str,
        kind: &str,
        name: &str,
        key: &str,
        actions: &[&str],
        after: Value,
    ) -> Value {
        let address = if module.is_empty() {
            format!("{kind}.{name}{key}")
        } else {
            format!("{module}.{kind}.{name}{key}")
        };
        json!({"address": address, "module_address": module, "mode": "managed", "type": kind,
               "name": name, "change": {"actions": actions, "after": after, "after_unknown": {}}})
    }

    const NET: &str = "module.platform.module.network";
    const API: &str = "module.platform.module.api";

    /// A plan shaped like the dev env's, with one of each case.
    fn plan() -> Value {
        let create = &["create"];
        json!({
            "format_version": "1.2",
            "variables": {"region": {"value": "eu-west-1"}},
            "configuration": {
                "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}}},
                "root_module": {"module_calls": {"platform": {
                    "expressions": {"environment": {"constant_value": "dev"}},
                    "module": {"module_calls": {
                        "network": {"module": {"resources": [
                            {"address": "aws_vpc_endpoint.interface", "expressions": {"vpc_id": {"references": ["aws_vpc.this.id", "aws_vpc.this"]}}}
                        ]}},
                        "api": {"module": {"resources": [
                            {"address": "aws_api_gateway_account.this", "expressions": {"cloudwatch_role_arn": {"references": ["aws_iam_role.apigateway_cloudwatch[0].arn", "aws_iam_role.apigateway_cloudwatch[0]", "aws_iam_role.apigateway_cloudwatch"]}}}
                        ]}}
                    }}
                }}}
            },
            "prior_state": {"values": {"root_module": {"child_modules": [{"resources": [
                {"mode": "data", "type": "aws_caller_identity", "values": {"account_id": "123456789012"}},
                {"mode": "data", "type": "aws_region", "values": {"name": "ap-south-1"}}
            ]}]}}},
            "resource_changes": [
                change("module.platform.module.compute", "aws_lambda_function", "this", "[\"api\"]", create, json!({"reserved_concurrent_executions": 5})),
                change("module.platform.module.compute", "aws_lambda_function", "this", "[\"processor\"]", &["no-op"], json!({"reserved_concurrent_executions": 100})),
                change("module.platform.module.compute", "aws_lambda_function", "this", "[\"notifier\"]", create, json!({"reserved_concurrent_executions": -1})),
                change("module.platform.module.compute", "aws_lambda_function", "this", "[\"authorizer\"]", create, json!({"reserved_concurrent_executions": null})),
                change("module.platform.module.compute", "aws_lambda_function", "old", "", &["delete"], Value::Null),
                change(NET, "aws_vpc_endpoint", "interface", "[\"sns\"]", create, json!({"vpc_endpoint_type": "Interface", "service_name": "com.amazonaws.us-east-1.sns", "vpc_id": null})),
                change(NET, "aws_vpc_endpoint", "interface", "[\"kms\"]", create, json!({"vpc_endpoint_type": "Interface", "service_name": "com.amazonaws.us-east-1.kms", "vpc_id": null})),
                change(NET, "aws_vpc_endpoint", "s3", "", create, json!({"vpc_endpoint_type": "Gateway", "service_name": "com.amazonaws.us-east-1.s3"})),
                change("", "aws_vpc_endpoint", "shared", "", create, json!({"vpc_endpoint_type": "Interface", "service_name": "com.amazonaws.us-east-1.sns", "vpc_id": "vpc-0abc"})),
                change(NET, "aws_subnet", "private", "[0]", create, json!({"availability_zone_id": "use1-az1", "availability_zone": null})),
                change(NET, "aws_subnet", "private", "[1]", create, json!({"availability_zone": "us-east-1c"})),
                change(NET, "aws_subnet", "later", "", create, json!({"availability_zone_id": null})),
                change(API, "aws_iam_role", "apigateway_cloudwatch", "[0]", create, json!({"name": "dev-docproc-apigw-cloudwatch", "arn": null})),
                change(API, "aws_api_gateway_account", "this", "[0]", create, json!({"cloudwatch_role_arn": null})),
                change(API, "aws_api_gateway_method_settings", "all", "", create, json!({"settings": [{"logging_level": "INFO"}]})),
                change(API, "aws_api_gateway_method_settings", "quiet", "", create, json!({"settings": [{"logging_level": "OFF"}]})),
                change(API, "aws_api_gateway_stage", "this", "", create, json!({"access_log_settings": [{"format": "{}"}]})),
                change(API, "aws_api_gateway_stage", "bare", "", create, json!({"access_log_settings": []})),
                change(API, "aws_api_gateway_usage_plan", "this", "[\"standard\"]", create, json!({"name": "dev-docproc-standard"})),
                change(API, "aws_api_gateway_usage_plan", "this", "[\"premium\"]", &["update"], json!({"name": "dev-docproc-premium"})),
                change(API, "aws_api_gateway_api_key", "seed", "", create, json!({"name": "seed"})),
                change("module.platform.module.storage", "aws_kms_key", "data", "", create, json!({"description": "documents"})),
                change("module.platform.module.storage", "aws_kms_key", "logs", "", create, json!({"arn": null})),
                change("module.platform.module.observability", "aws_cloudtrail", "this", "[0]", create, json!({
                    "name": "dev-docproc-trail", "is_multi_region_trail": true, "is_organization_trail": false,
                    "event_selector": [{"include_management_events": true, "data_resource": [{"type": "AWS::S3::Object"}]}],
                    "advanced_event_selector": []})),
            ]
        })
    }

    #[test]
    fn reads_what_the_account_must_offer_from_the_plan() {
        let r = Requirements::from_plan(&plan()).unwrap();
        assert_eq!(r.env.as_deref(), Some("dev"));
        assert_eq!(r.env_file(), "envs/dev/main.tf");
        // The provider's constant region wins over variables, data sources and ARNs.
        assert_eq!(r.region.as_deref(), Some("us-east-1"));
        assert_eq!(r.account_id.as_deref(), Some("123456789012"));
        // 5 + 100 (already deployed); -1, null and deleted functions reserve nothing.
        assert_eq!(r.reserved_concurrency, 105);
        assert_eq!(r.new_reserved_concurrency, 5);
        let per_vpc = r.endpoints_per_vpc();
        assert_eq!(per_vpc.len(), 2, "{per_vpc:?}");
        assert_eq!(per_vpc[format!("{NET}.aws_vpc.this").as_str()].len(), 2);
        assert_eq!(per_vpc["vpc-0abc"].len(), 1);
        assert_eq!(r.existing_vpcs(), ["vpc-0abc"]);
        assert_eq!(
            r.interface_services(),
            ["com.amazonaws.us-east-1.kms", "com.amazonaws.us-east-1.sns"]
        );
        let zones: Vec<&str> = r.subnet_zones.iter().map(SubnetZone::label).collect();
        assert_eq!(zones, ["use1-az1", "us-east-1c"]);
        assert_eq!(r.subnet_zones[1].zone_id, None);
        assert_eq!(
            r.subnets_with_unknown_zone,
            [format!("{NET}.aws_subnet.later")]
        );
        let account = r.api_gateway_account.as_ref().unwrap();
        assert_eq!(
            account.role_name.as_deref(),
            Some("dev-docproc-apigw-cloudwatch")
        );
        assert_eq!(
            r.stage_logging,
            [
                format!("{API}.aws_api_gateway_method_settings.all"),
                format!("{API}.aws_api_gateway_stage.this")
            ]
        );
        let trail = r.trail.as_ref().unwrap();
        assert!(
            trail.creates && trail.multi_region && trail.management_events && !trail.organization
        );
        assert_eq!(trail.name, "dev-docproc-trail");
        assert_eq!(
            (r.new_api_keys, r.new_usage_plans, r.new_kms_keys),
            (1, 1, 2)
        );
    }

    #[test]
    fn the_region_falls_back_to_variables_data_sources_and_arns() {
        let mut p = plan();
        p["configuration"]["provider_config"]["aws"]["expressions"]["region"] =
            json!({"references": ["var.region"]});
        assert_eq!(
            Requirements::from_plan(&p).unwrap().region.as_deref(),
            Some("eu-west-1")
        );
        p["configuration"]["provider_config"] = json!({});
        assert_eq!(
            Requirements::from_plan(&p).unwrap().region.as_deref(),
            Some("ap-south-1")
        );
        p["prior_state"] = json!({});
        p["resource_changes"][0]["change"]["after"]["role"] =
            json!("arn:aws:iam::210987654321:role/x");
        p["resource_changes"][1]["change"]["after"]["arn"] =
            json!("arn:aws:lambda:sa-east-1:210987654321:function:f");
        let r = Requirements::from_plan(&p).unwrap();
        assert_eq!(r.region.as_deref(), Some("sa-east-1"));
        assert_eq!(r.account_id.as_deref(), Some("210987654321"));
        p["resource_changes"] = json!([]);
        let r = Requirements::from_plan(&p).unwrap();
        assert_eq!((r.region, r.account_id), (None, None));
    }

    #[test]
    fn trails_record_management_events_by_aws_defaults() {
        assert!(records_management_events(&json!({})));
        assert!(records_management_events(
            &json!({"event_selector": [{"data_resource": []}]})
        ));
        assert!(!records_management_events(
            &json!({"event_selector": [{"include_management_events": false}]})
        ));
        let advanced = |category: &str| {
            json!({"advanced_event_selector": [{"field_selector": [
                {"field": "eventCategory", "equals": [category]}]}]})
        };
        assert!(records_management_events(&advanced("Management")));
        assert!(!records_management_events(&advanced("Data")));
    }

    #[test]
    fn module_addresses_and_instance_keys() {
        assert_eq!(module_path("module.a[\"x.y\"].module.b[0]"), ["a", "b"]);
        assert!(module_path("").is_empty());
        assert_eq!(
            base_address("module.a[\"k]\"].aws_iam_role.r[0]"),
            "module.a.aws_iam_role.r"
        );
    }

    #[test]
    fn anything_but_a_plan_is_refused() {
        let err = Requirements::from_plan(&json!({"values": {}})).unwrap_err();
        assert!(err.to_string().contains("terraform show -json"), "{err}");
    }
}
