//! The rules: what the plan needs against what the account has, each as AWS
//! documents it (the page is cited next to the rule and listed in the check).
//! A rule passes only on facts it could read; a missing fact makes it
//! "unknown" unless a fact it did read already shows a failure.

use super::facts::{
    AccountFacts, ExistingTrail, Quota, QuotaSource, Zone, INTERFACE_ENDPOINTS_QUOTA,
    KMS_KEYS_DEFAULT_QUOTA, USAGE_PLANS_QUOTA,
};
use super::requirements::Requirements;
use super::{Check, Status};
use std::collections::BTreeSet;

/// Lambda keeps at least 100 concurrent executions unreserved for functions
/// without a reservation: "You can reserve up to the Unreserved account
/// concurrency value minus 100".
const LAMBDA_DOCS: &[&str] = &[
    "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html",
    "https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html",
];
pub const LAMBDA_UNRESERVED_MINIMUM: u64 = 100;

/// Execution and access logging of a REST stage need the account-level
/// CloudWatch Logs role (`cloudWatchRoleArn`), one per account and region.
const LOGGING_DOCS: &[&str] = &[
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html",
];

/// Zone names map to different physical zones per account, zone IDs do not;
/// an interface endpoint service is offered only in the zones
/// DescribeVpcEndpointServices lists.
const ZONE_DOCS: &[&str] = &[
    "https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html",
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpointServices.html",
    "https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html",
];

/// "Interface and Gateway Load Balancer endpoints per VPC": default 50,
/// adjustable (Service Quotas vpc L-29B6F2EB).
const ENDPOINT_QUOTA_DOCS: &[&str] = &[
    "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html",
    "https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html",
];
const INTERFACE_ENDPOINTS_DEFAULT_QUOTA: u64 = 50;

/// "API keys per account per Region": 10000, cannot be increased (no
/// Service Quotas code, so the documented value is used, not read).
/// "Usage plans per account per Region": 300, adjustable (apigateway L-E8693075).
const API_QUOTA_DOCS: &[&str] = &[
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html",
];
pub const API_KEYS_PER_REGION: u64 = 10_000;
const USAGE_PLANS_DEFAULT_QUOTA: u64 = 300;

/// The first copy of management events in a region is free; every further
/// trail that records them is charged. An organization trail shows up in
/// member accounts as a shadow trail (DescribeTrails, includeShadowTrails).
const TRAIL_DOCS: &[&str] = &[
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-costs.html",
    "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html",
    "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html",
];

/// AWS KMS keys: 100,000 customer managed keys per Region by default
/// (adjustable; AWS managed keys do not count).
const KMS_DOCS: &[&str] =
    &["https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html"];

const CALLER_DOCS: &[&str] =
    &["https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html"];

/// Compares what the plan needs with what the account has.
pub fn evaluate(req: &Requirements, facts: &AccountFacts) -> Vec<Check> {
    let mut checks = vec![caller(req, facts), region(req, facts)];
    let regional = [
        lambda_concurrency(req, facts),
        api_gateway_logging(req, facts),
        zones(req, facts),
        interface_endpoints(req, facts),
        api_keys(req, facts),
        usage_plans(req, facts),
        cloudtrail(req, facts),
        kms_keys(req, facts),
    ];
    // Facts from another account or region say nothing about the target.
    match wrong_target(req, facts) {
        Some(why) => checks.extend(regional.into_iter().map(|c| {
            let fix = "fix the caller and region checks first".to_string();
            Check {
                status: Status::Unknown,
                detail: why.clone(),
                fix: Some(fix),
                ..c
            }
        })),
        None => checks.extend(regional),
    }
    checks
}

fn wrong_target(req: &Requirements, facts: &AccountFacts) -> Option<String> {
    if let (Some(plan), Some(actual)) = (&req.region, &facts.region) {
        if plan != actual {
            return Some(format!(
                "not checked: the account was read in {actual}, the plan targets {plan}"
            ));
        }
    }
    if req.region.is_some() && facts.region.is_none() {
        return Some("not checked: no AWS region configured".into());
    }
    if let (Some(plan), Ok(c)) = (&req.account_id, &facts.caller) {
        if plan != &c.account {
            return Some(format!(
                "not checked: the credentials are for account {}, the plan for {plan}",
                c.account
            ));
        }
    }
    None
}

fn caller(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("caller", CALLER_DOCS);
    match (&facts.caller, &req.account_id) {
        (Err(e), _) => check.with(
            Status::Unknown,
            format!("who is calling? {e}"),
            "configure credentials for the target account (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
        ),
        (Ok(c), Some(plan)) if plan != &c.account => check.with(
            Status::Fail,
            format!(
                "{} is account {}; the plan was made for account {plan}",
                c.arn, c.account
            ),
            format!("use credentials for account {plan} (AWS_PROFILE), or plan again with these"),
        ),
        (Ok(c), Some(_)) => check.pass(format!("{} (account {}, the plan's)", c.arn, c.account)),
        (Ok(c), None) => check.pass(format!(
            "{} (account {}; the plan names no account)",
            c.arn, c.account
        )),
    }
}

fn region(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("region", CALLER_DOCS);
    match (&req.region, &facts.region) {
        (None, _) => check.with(
            Status::Unknown,
            "the plan names no region (no provider region, aws_region data source or ARN)",
            "set region in the env's aws provider block",
        ),
        (Some(plan), None) => check.with(
            Status::Fail,
            format!("no AWS region configured; the plan targets {plan}"),
            format!("export AWS_REGION={plan}"),
        ),
        (Some(plan), Some(actual)) if plan != actual => check.with(
            Status::Fail,
            format!("the AWS settings select {actual}; the plan targets {plan}"),
            format!("export AWS_REGION={plan} (or use a profile for {plan}) and run again"),
        ),
        (Some(plan), Some(_)) => check.pass(format!("{plan} (the plan's region)")),
    }
}

fn lambda_concurrency(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("lambda-concurrency", LAMBDA_DOCS);
    let (reserved, new) = (req.reserved_concurrency, req.new_reserved_concurrency);
    let needed = reserved + LAMBDA_UNRESERVED_MINIMUM;
    let lower = format!(
        "lower reserved_concurrency in {} (and set account_concurrency_limit to the real limit)",
        req.env_file()
    );
    match &facts.lambda {
        _ if reserved == 0 => check.pass("the plan reserves no concurrency"),
        Err(e) => check.with(
            Status::Unknown,
            format!("needs a limit of at least {reserved} reserved + {LAMBDA_UNRESERVED_MINIMUM} unreserved = {needed}; {e}"),
            "allow lambda:GetAccountSettings, or compare with the Lambda 'Concurrent executions' quota in Service Quotas",
        ),
        Ok(l) if needed > l.concurrent_executions => check.with(
            Status::Fail,
            format!(
                "reserved {reserved} + {LAMBDA_UNRESERVED_MINIMUM} kept unreserved = {needed} > the account's limit of {}",
                l.concurrent_executions
            ),
            format!("request a Lambda 'Concurrent executions' increase to at least {needed} in Service Quotas, or {lower}"),
        ),
        Ok(l) if new + LAMBDA_UNRESERVED_MINIMUM > l.unreserved => check.with(
            Status::Fail,
            format!(
                "other functions already reserve {}: {} unreserved - {new} new reservations leaves fewer than {LAMBDA_UNRESERVED_MINIMUM}",
                l.concurrent_executions.saturating_sub(l.unreserved),
                l.unreserved
            ),
            format!("request a Lambda concurrency increase, release other functions' reservations, or {lower}"),
        ),
        Ok(l) => check.pass(format!(
            "reserved {reserved} + {LAMBDA_UNRESERVED_MINIMUM} unreserved <= limit {} ({} unreserved now, {new} newly reserved)",
            l.concurrent_executions, l.unreserved
        )),
    }
}

fn api_gateway_logging(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("api-gateway-logging", LOGGING_DOCS);
    if req.stage_logging.is_empty() {
        return check.pass("no REST stage logging planned");
    }
    let logging = format!(
        "stage logging in {}",
        req.stage_logging
            .iter()
            .map(|a| without_modules(a))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match (&req.api_gateway_account, &facts.api_gateway_role) {
        (Some(_), Ok(None)) => check.pass(format!(
            "{logging}; this plan sets the account's CloudWatch Logs role"
        )),
        (Some(planned), Ok(Some(existing))) => {
            let ours = planned
                .role_name
                .as_deref()
                .is_some_and(|name| existing.rsplit('/').next() == Some(name));
            if ours {
                check.pass(format!("{logging}; the account already uses this stack's role {existing}"))
            } else {
                check.with(
                    Status::Warn,
                    format!(
                        "this plan replaces the region's API Gateway CloudWatch Logs role {existing} (one per account and region; the last writer wins)"
                    ),
                    format!(
                        "if that role belongs to another stack or env, set manage_api_gateway_account = false in {}",
                        req.env_file()
                    ),
                )
            }
        }
        (Some(_), Err(e)) => check.with(
            Status::Unknown,
            format!("{logging}; the plan sets the role, but the current one could not be read: {e}"),
            "allow apigateway:GET on /account to see whether another stack owns the role",
        ),
        (None, Ok(Some(existing))) => {
            check.pass(format!("{logging}; the account has the role {existing}"))
        }
        (None, Ok(None)) => check.with(
            Status::Fail,
            format!(
                "{logging}, but the account has no API Gateway CloudWatch Logs role and this plan does not set one: the stage update fails"
            ),
            format!(
                "set manage_api_gateway_account = true in {} (or set the role once: aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=ROLE_ARN)",
                req.env_file()
            ),
        ),
        (None, Err(e)) => check.with(
            Status::Unknown,
            format!("{logging}; the account's CloudWatch Logs role could not be read: {e}"),
            format!(
                "allow apigateway:GET on /account, or set manage_api_gateway_account = true in {}",
                req.env_file()
            ),
        ),
    }
}

/// `module.a.module.b.aws_x.y` → `aws_x.y`.
fn without_modules(address: &str) -> &str {
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        match after.find('.') {
            Some(dot) => rest = &after[dot + 1..],
            None => break,
        }
    }
    rest
}

fn zones(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("zones", ZONE_DOCS);
    if req.subnet_zones.is_empty() && req.subnets_with_unknown_zone.is_empty() {
        return check.pass("no subnets planned");
    }
    let zones = match &facts.zones {
        Ok(z) => z,
        Err(e) => {
            return check.with(
                Status::Unknown,
                format!("the region's zones could not be read: {e}"),
                "allow ec2:DescribeAvailabilityZones",
            )
        }
    };
    let mut problems = Vec::new();
    let mut unknown = Vec::new();
    let mut used: Vec<&Zone> = Vec::new();
    for s in &req.subnet_zones {
        let zone = zones.iter().find(|z| {
            s.zone_id.as_deref() == Some(z.id.as_str())
                || (s.zone_id.is_none() && s.zone_name.as_deref() == Some(z.name.as_str()))
        });
        match zone {
            None => problems.push(format!("{} does not exist in this region", s.label())),
            Some(z) if z.state != "available" => {
                problems.push(format!("{} ({}) is {}", z.id, z.name, z.state))
            }
            Some(z) => used.push(z),
        }
    }
    used.sort_by(|a, b| a.id.cmp(&b.id));
    used.dedup_by(|a, b| a.id == b.id);
    let mut offered_everywhere: Option<BTreeSet<&str>> = None;
    for (service, offered) in &facts.endpoint_services {
        match offered {
            Err(e) => unknown.push(format!("{service}: {e}")),
            Ok(None) => problems.push(format!("{service} is not offered in this region")),
            Ok(Some(names)) => {
                for z in &used {
                    if !names.contains(&z.name) {
                        problems.push(format!("{service} is not offered in {} ({})", z.id, z.name));
                    }
                }
                let names: BTreeSet<&str> = names.iter().map(String::as_str).collect();
                offered_everywhere = Some(match offered_everywhere {
                    None => names,
                    Some(all) => all.intersection(&names).copied().collect(),
                });
            }
        }
    }
    for s in &req.subnets_with_unknown_zone {
        unknown.push(format!("{s}: zone known only after apply"));
    }
    let labels: Vec<String> = used
        .iter()
        .map(|z| format!("{} ({})", z.id, z.name))
        .collect();
    if !problems.is_empty() {
        let usable: Vec<&str> = zones
            .iter()
            .filter(|z| z.state == "available")
            .filter(|z| {
                offered_everywhere
                    .as_ref()
                    .is_none_or(|all| all.contains(z.name.as_str()))
            })
            .map(|z| z.id.as_str())
            .collect();
        return check.with(
            Status::Fail,
            problems.join("; "),
            format!(
                "pin availability_zone_ids in {} to zones that offer every service (here: {}), or trim interface_endpoint_services",
                req.env_file(),
                if usable.is_empty() { "none".to_string() } else { usable.join(", ") }
            ),
        );
    }
    if !unknown.is_empty() {
        return check.with(
            Status::Unknown,
            format!(
                "zones {}; not verified: {}",
                labels.join(", "),
                unknown.join("; ")
            ),
            "allow ec2:DescribeVpcEndpointServices, or pin availability_zone_ids",
        );
    }
    check.pass(format!(
        "{} available and offer all {} interface endpoint services",
        labels.join(", "),
        facts.endpoint_services.len()
    ))
}

fn quota_text(q: &Quota) -> String {
    match q.source {
        QuotaSource::Applied => format!("quota {} (applied value)", q.value),
        QuotaSource::AwsDefault => format!("quota {} (AWS default; no applied value)", q.value),
    }
}

fn interface_endpoints(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("interface-endpoints", ENDPOINT_QUOTA_DOCS);
    let per_vpc = req.endpoints_per_vpc();
    if per_vpc.is_empty() {
        return check.pass("no interface endpoints planned");
    }
    let (code_service, code) = INTERFACE_ENDPOINTS_QUOTA;
    let raise = format!(
        "request an increase of 'Interface VPC endpoints per VPC' ({code_service} {code}) in Service Quotas, or trim interface_endpoint_services in {}",
        req.env_file()
    );
    let mut counts = Vec::new();
    let mut unknown = Vec::new();
    for (vpc, planned) in &per_vpc {
        let existing = match facts.vpc_endpoints.get(*vpc) {
            None => 0,
            Some(Ok(n)) => *n,
            Some(Err(e)) => {
                unknown.push(format!("endpoints already in {vpc}: {e}"));
                0
            }
        };
        counts.push((*vpc, planned.len() as u64 + existing, existing));
    }
    let describe = |counts: &[(&str, u64, u64)]| {
        counts
            .iter()
            .map(|(vpc, total, existing)| {
                if *existing > 0 {
                    format!("{total} in {vpc} ({existing} already there)")
                } else {
                    format!("{total} in {vpc}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let quota = match &facts.endpoint_quota {
        Ok(q) => q,
        Err(e) => {
            return check.with(
                Status::Unknown,
                format!(
                    "{}; the quota (default {INTERFACE_ENDPOINTS_DEFAULT_QUOTA}) could not be read: {e}",
                    describe(&counts)
                ),
                format!("allow servicequotas:GetServiceQuota, or check {code_service} {code} in the Service Quotas console"),
            )
        }
    };
    let over: Vec<_> = counts
        .iter()
        .filter(|(_, n, _)| *n > quota.value)
        .copied()
        .collect();
    if !over.is_empty() {
        return check.with(
            Status::Fail,
            format!("{} > {}", describe(&over), quota_text(quota)),
            raise,
        );
    }
    if !unknown.is_empty() {
        return check.with(
            Status::Unknown,
            format!("{}; {}", describe(&counts), unknown.join("; ")),
            "allow ec2:DescribeVpcEndpoints",
        );
    }
    check.pass(format!("{} <= {}", describe(&counts), quota_text(quota)))
}

fn api_keys(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("api-keys", API_QUOTA_DOCS);
    let new = req.new_api_keys;
    match &facts.api_keys {
        Err(e) => check.with(
            Status::Unknown,
            format!("the account's API keys could not be counted: {e}"),
            "allow apigateway:GET on /apikeys",
        ),
        Ok(existing) if existing + new > API_KEYS_PER_REGION => check.with(
            Status::Fail,
            format!(
                "{existing} existing + {new} planned > {API_KEYS_PER_REGION} API keys per account and region (fixed quota; documented, not read)"
            ),
            "delete unused API keys (aws apigateway get-api-keys): this quota cannot be increased",
        ),
        Ok(existing) => check.pass(format!(
            "{existing} existing + {new} planned <= {API_KEYS_PER_REGION} (fixed quota; documented, not read): room for {} keys issued with `docproc keys create`",
            API_KEYS_PER_REGION - existing - new
        )),
    }
}

fn usage_plans(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("usage-plans", API_QUOTA_DOCS);
    let new = req.new_usage_plans;
    let (code_service, code) = USAGE_PLANS_QUOTA;
    let existing = match &facts.usage_plans {
        Ok(n) => *n,
        Err(e) => {
            return check.with(
                Status::Unknown,
                format!("the account's usage plans could not be counted: {e}"),
                "allow apigateway:GET on /usageplans",
            )
        }
    };
    match &facts.usage_plan_quota {
        Err(e) => check.with(
            Status::Unknown,
            format!(
                "{existing} existing + {new} planned; the quota (default {USAGE_PLANS_DEFAULT_QUOTA}) could not be read: {e}"
            ),
            format!("allow servicequotas:GetServiceQuota, or check {code_service} {code} in the Service Quotas console"),
        ),
        Ok(q) if existing + new > q.value => check.with(
            Status::Fail,
            format!("{existing} existing + {new} planned > {}", quota_text(q)),
            format!("request an increase of 'Usage plans per account per Region' ({code_service} {code}) in Service Quotas, or delete unused usage plans"),
        ),
        Ok(q) => check.pass(format!("{existing} existing + {new} planned <= {}", quota_text(q))),
    }
}

fn trail_label(t: &ExistingTrail) -> String {
    let kind = match (t.organization, t.multi_region) {
        (true, _) => "organization trail",
        (false, true) => "multi-region trail",
        (false, false) => "trail",
    };
    format!("{kind} {} (home {})", t.name, t.home_region)
}

fn cloudtrail(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("cloudtrail", TRAIL_DOCS);
    let Some(trail) = &req.trail else {
        return check.pass("the plan creates no trail");
    };
    if !trail.management_events {
        return check.pass(format!(
            "{} records data events only (no second copy of management events)",
            trail.name
        ));
    }
    let existing: Vec<&ExistingTrail> = match &facts.trails {
        Err(e) => {
            return check.with(
                Status::Unknown,
                format!(
                    "{} records management events; the account's trails could not be read: {e}",
                    trail.name
                ),
                "allow cloudtrail:DescribeTrails and cloudtrail:GetEventSelectors",
            )
        }
        Ok(t) => t
            .iter()
            .filter(|t| t.name != trail.name && (t.organization || t.multi_region))
            .collect(),
    };
    let recording: Vec<String> = existing
        .iter()
        .filter(|t| t.management_events != Some(false))
        .map(|t| {
            let maybe = if t.management_events.is_none() {
                ", event selectors unreadable"
            } else {
                ""
            };
            format!("{}{maybe}", trail_label(t))
        })
        .collect();
    let scope = if trail.multi_region {
        "multi-region"
    } else {
        "single-region"
    };
    if recording.is_empty() {
        return check.pass(format!(
            "{} ({scope}, management events) will be the account's first copy of management events",
            trail.name
        ));
    }
    check.with(
        Status::Warn,
        format!(
            "{} ({scope}) records management events, and so does the {}: the second copy is charged",
            trail.name,
            recording.join(", ")
        ),
        format!(
            "set cloudtrail_management_events = false in {} (the env's trail keeps the documents bucket's data events), or cloudtrail_enabled = false to drop it",
            req.env_file()
        ),
    )
}

fn kms_keys(req: &Requirements, facts: &AccountFacts) -> Check {
    let check = Check::new("kms-keys", KMS_DOCS);
    let new = req.new_kms_keys;
    if new == 0 {
        return check.pass("the plan creates no KMS keys");
    }
    match &facts.kms_keys {
        Err(e) => check.with(
            Status::Unknown,
            format!("{new} keys planned; the account's keys could not be listed: {e}"),
            "allow kms:ListKeys",
        ),
        Ok(existing) if existing + new > KMS_KEYS_DEFAULT_QUOTA => check.with(
            Status::Warn,
            format!(
                "{existing} keys listed + {new} planned > {KMS_KEYS_DEFAULT_QUOTA} (default quota, not read; ListKeys also lists AWS managed keys, which do not count)"
            ),
            "check 'AWS KMS keys' in Service Quotas and schedule deletion of unused customer managed keys",
        ),
        Ok(existing) => check.pass(format!(
            "{existing} existing + {new} planned <= {KMS_KEYS_DEFAULT_QUOTA} customer managed keys (default quota, not read)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::facts::{Caller, Fact, LambdaLimits};
    use crate::preflight::requirements::{
        ApiGatewayAccount, InterfaceEndpoint, PlannedTrail, SubnetZone,
    };
    use std::collections::BTreeMap;

    /// A fact that failed the way a denied call does.
    fn denied<T>(what: &str) -> Fact<T> {
        Err(format!("{what}: AccessDeniedException: not authorized"))
    }

    fn zone(name: &str, id: &str) -> Zone {
        Zone {
            name: name.into(),
            id: id.into(),
            state: "available".into(),
        }
    }

    const SERVICES: [&str; 2] = ["com.amazonaws.us-east-1.sns", "com.amazonaws.us-east-1.kms"];

    /// The dev env's needs, roughly.
    fn req() -> Requirements {
        Requirements {
            env: Some("dev".into()),
            region: Some("us-east-1".into()),
            account_id: Some("123456789012".into()),
            reserved_concurrency: 13,
            new_reserved_concurrency: 13,
            interface_endpoints: SERVICES
                .iter()
                .map(|s| InterfaceEndpoint {
                    address: format!("aws_vpc_endpoint.interface[\"{s}\"]"),
                    service_name: s.to_string(),
                    vpc: "module.network.aws_vpc.this".into(),
                })
                .collect(),
            subnet_zones: ["use1-az1", "use1-az2"]
                .iter()
                .map(|id| SubnetZone {
                    address: format!("aws_subnet.private[{id}]"),
                    zone_id: Some(id.to_string()),
                    zone_name: None,
                })
                .collect(),
            subnets_with_unknown_zone: vec![],
            api_gateway_account: None,
            stage_logging: vec!["aws_api_gateway_method_settings.all".into()],
            trail: Some(PlannedTrail {
                address: "aws_cloudtrail.this[0]".into(),
                name: "dev-docproc-trail".into(),
                creates: true,
                multi_region: true,
                organization: false,
                management_events: true,
            }),
            new_api_keys: 0,
            new_usage_plans: 1,
            new_kms_keys: 2,
        }
    }

    /// An account where everything fits.
    fn facts() -> AccountFacts {
        let all_zones = vec![
            zone("us-east-1a", "use1-az6"),
            zone("us-east-1b", "use1-az1"),
            zone("us-east-1c", "use1-az2"),
            zone("us-east-1e", "use1-az3"),
        ];
        let names: Vec<String> = all_zones.iter().map(|z| z.name.clone()).collect();
        AccountFacts {
            region: Some("us-east-1".into()),
            caller: Ok(Caller {
                account: "123456789012".into(),
                arn: "arn:aws:iam::123456789012:user/ops".into(),
            }),
            lambda: Ok(LambdaLimits {
                concurrent_executions: 1000,
                unreserved: 1000,
            }),
            api_gateway_role: Ok(Some(
                "arn:aws:iam::123456789012:role/shared-apigw-logs".into(),
            )),
            api_keys: Ok(0),
            usage_plans: Ok(0),
            usage_plan_quota: Ok(Quota {
                value: 300,
                source: QuotaSource::Applied,
            }),
            zones: Ok(all_zones),
            endpoint_services: SERVICES
                .iter()
                .map(|s| (s.to_string(), Ok(Some(names.clone()))))
                .collect(),
            endpoint_quota: Ok(Quota {
                value: 50,
                source: QuotaSource::Applied,
            }),
            vpc_endpoints: BTreeMap::new(),
            trails: Ok(vec![]),
            kms_keys: Ok(3),
        }
    }

    fn check<'a>(checks: &'a [Check], id: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}"))
    }

    fn status(req: &Requirements, facts: &AccountFacts, id: &str) -> Status {
        check(&evaluate(req, facts), id).status
    }

    #[test]
    fn everything_fitting_passes_and_every_check_is_reported_once() {
        let checks = evaluate(&req(), &facts());
        let ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [
                "caller",
                "region",
                "lambda-concurrency",
                "api-gateway-logging",
                "zones",
                "interface-endpoints",
                "api-keys",
                "usage-plans",
                "cloudtrail",
                "kms-keys"
            ]
        );
        for c in &checks {
            assert_eq!(c.status, Status::Pass, "{c:?}");
            assert!(c.fix.is_none(), "{c:?}");
            assert!(
                !c.docs.is_empty()
                    && c.docs
                        .iter()
                        .all(|d| d.starts_with("https://docs.aws.amazon.com/"))
            );
        }
    }

    #[test]
    fn lambda_keeps_100_unreserved_below_the_account_limit() {
        let mut f = facts();
        let limits = |limit: u64| LambdaLimits {
            concurrent_executions: limit,
            unreserved: limit,
        };
        f.lambda = Ok(limits(13 + 99));
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "lambda-concurrency");
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("= 113 > the account's limit of 112"),
            "{}",
            c.detail
        );
        assert!(c.fix.as_deref().unwrap().contains("at least 113"));
        assert!(c.fix.as_deref().unwrap().contains("envs/dev/main.tf"));
        f.lambda = Ok(limits(13 + 100));
        assert_eq!(status(&req(), &f, "lambda-concurrency"), Status::Pass);
    }

    #[test]
    fn other_functions_reservations_count_against_the_unreserved_pool() {
        let mut f = facts();
        // 1000 limit, 887 already reserved elsewhere: 113 unreserved.
        f.lambda = Ok(LambdaLimits {
            concurrent_executions: 1000,
            unreserved: 112,
        });
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "lambda-concurrency");
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("other functions already reserve 888"),
            "{}",
            c.detail
        );
        f.lambda = Ok(LambdaLimits {
            concurrent_executions: 1000,
            unreserved: 113,
        });
        assert_eq!(status(&req(), &f, "lambda-concurrency"), Status::Pass);
        // Functions already deployed hold their reservation: only new ones draw on the pool.
        let mut existing = req();
        existing.new_reserved_concurrency = 0;
        f.lambda = Ok(LambdaLimits {
            concurrent_executions: 1000,
            unreserved: 100,
        });
        assert_eq!(status(&existing, &f, "lambda-concurrency"), Status::Pass);
    }

    #[test]
    fn unreadable_lambda_settings_are_unknown_never_pass() {
        let mut f = facts();
        f.lambda = denied("lambda GetAccountSettings");
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "lambda-concurrency");
        assert_eq!(c.status, Status::Unknown);
        assert!(c.detail.contains("AccessDeniedException") && c.detail.contains("113"));
        let mut none = req();
        none.reserved_concurrency = 0;
        none.new_reserved_concurrency = 0;
        assert_eq!(status(&none, &f, "lambda-concurrency"), Status::Pass);
    }

    #[test]
    fn stage_logging_needs_the_account_role_unless_the_plan_sets_it() {
        let mut f = facts();
        f.api_gateway_role = Ok(None);
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "api-gateway-logging");
        assert_eq!(c.status, Status::Fail);
        assert!(c
            .fix
            .as_deref()
            .unwrap()
            .contains("manage_api_gateway_account = true"));
        // The account has a role: pass.
        assert_eq!(
            status(&req(), &facts(), "api-gateway-logging"),
            Status::Pass
        );
        // The plan sets it and the account has none: pass.
        let mut manages = req();
        manages.api_gateway_account = Some(ApiGatewayAccount {
            address: "aws_api_gateway_account.this[0]".into(),
            role_name: Some("dev-docproc-apigw-cloudwatch".into()),
        });
        assert_eq!(status(&manages, &f, "api-gateway-logging"), Status::Pass);
        // The plan would replace another stack's role: warn.
        let checks = evaluate(&manages, &facts());
        let c = check(&checks, "api-gateway-logging");
        assert_eq!(c.status, Status::Warn);
        assert!(c
            .fix
            .as_deref()
            .unwrap()
            .contains("manage_api_gateway_account = false"));
        // ... but not its own role.
        let mut own = facts();
        own.api_gateway_role = Ok(Some(
            "arn:aws:iam::1:role/dev-docproc-apigw-cloudwatch".into(),
        ));
        assert_eq!(status(&manages, &own, "api-gateway-logging"), Status::Pass);
        // No logging: nothing needed.
        let mut quiet = req();
        quiet.stage_logging.clear();
        assert_eq!(status(&quiet, &f, "api-gateway-logging"), Status::Pass);
        // Unreadable: unknown.
        f.api_gateway_role = denied("apigateway GetAccount");
        assert_eq!(status(&req(), &f, "api-gateway-logging"), Status::Unknown);
    }

    #[test]
    fn every_subnet_zone_must_offer_every_interface_service() {
        let mut f = facts();
        // sns is not offered in us-east-1c (use1-az2).
        f.endpoint_services.insert(
            SERVICES[0].into(),
            Ok(Some(vec!["us-east-1a".into(), "us-east-1b".into()])),
        );
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "zones");
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail
                .contains("com.amazonaws.us-east-1.sns is not offered in use1-az2 (us-east-1c)"),
            "{}",
            c.detail
        );
        let fix = c.fix.as_deref().unwrap();
        assert!(
            fix.contains("availability_zone_ids") && fix.contains("use1-az6, use1-az1"),
            "{fix}"
        );
        assert!(!fix.contains("use1-az2"), "{fix}");
        // A service the region does not offer at all.
        let mut f = facts();
        f.endpoint_services.insert(SERVICES[1].into(), Ok(None));
        assert_eq!(status(&req(), &f, "zones"), Status::Fail);
    }

    #[test]
    fn zones_are_matched_by_id_and_names_are_resolved_through_the_account() {
        // In this account us-east-1b is use1-az1: a subnet by name resolves to its ID.
        let mut by_name = req();
        by_name.subnet_zones = vec![SubnetZone {
            address: "aws_subnet.a".into(),
            zone_id: None,
            zone_name: Some("us-east-1b".into()),
        }];
        let checks = evaluate(&by_name, &facts());
        let c = check(&checks, "zones");
        assert_eq!(c.status, Status::Pass);
        assert!(c.detail.contains("use1-az1 (us-east-1b)"), "{}", c.detail);
        // A zone ID the region does not have, or one that is not available.
        let mut missing = req();
        missing.subnet_zones[0].zone_id = Some("use1-az9".into());
        assert_eq!(status(&missing, &facts(), "zones"), Status::Fail);
        let mut f = facts();
        if let Ok(zones) = &mut f.zones {
            zones[1].state = "impaired".into();
        }
        assert_eq!(status(&req(), &f, "zones"), Status::Fail);
    }

    #[test]
    fn unreadable_zone_facts_are_unknown() {
        let mut f = facts();
        f.zones = denied("ec2 DescribeAvailabilityZones");
        assert_eq!(status(&req(), &f, "zones"), Status::Unknown);
        let mut f = facts();
        f.endpoint_services.insert(
            SERVICES[0].into(),
            denied("ec2 DescribeVpcEndpointServices"),
        );
        assert_eq!(status(&req(), &f, "zones"), Status::Unknown);
        let mut later = req();
        later.subnets_with_unknown_zone = vec!["aws_subnet.c".into()];
        assert_eq!(status(&later, &facts(), "zones"), Status::Unknown);
    }

    #[test]
    fn interface_endpoints_per_vpc_stay_within_the_quota() {
        let mut f = facts();
        let quota = |value| {
            Ok(Quota {
                value,
                source: QuotaSource::Applied,
            })
        };
        f.endpoint_quota = quota(1);
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "interface-endpoints");
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail
                .contains("2 in module.network.aws_vpc.this > quota 1"),
            "{}",
            c.detail
        );
        assert!(c.fix.as_deref().unwrap().contains("L-29B6F2EB"));
        f.endpoint_quota = quota(2);
        assert_eq!(status(&req(), &f, "interface-endpoints"), Status::Pass);
        // Endpoints already in an existing VPC count too.
        let mut existing = req();
        for e in &mut existing.interface_endpoints {
            e.vpc = "vpc-0abc".into();
        }
        f.vpc_endpoints.insert("vpc-0abc".into(), Ok(1));
        let checks = evaluate(&existing, &f);
        let c = check(&checks, "interface-endpoints");
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("3 in vpc-0abc (1 already there)"),
            "{}",
            c.detail
        );
        f.vpc_endpoints
            .insert("vpc-0abc".into(), denied("ec2 DescribeVpcEndpoints"));
        assert_eq!(
            status(&existing, &f, "interface-endpoints"),
            Status::Unknown
        );
        // The quota could not be read: unknown, with the documented default.
        let mut f = facts();
        f.endpoint_quota = denied("service-quotas GetServiceQuota");
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "interface-endpoints");
        assert_eq!(c.status, Status::Unknown);
        assert!(c.detail.contains("default 50"), "{}", c.detail);
    }

    #[test]
    fn api_keys_stay_within_10000_per_region() {
        let mut f = facts();
        let mut r = req();
        r.new_api_keys = 1;
        f.api_keys = Ok(API_KEYS_PER_REGION);
        let checks = evaluate(&r, &f);
        let c = check(&checks, "api-keys");
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("10000 existing + 1 planned > 10000"),
            "{}",
            c.detail
        );
        assert!(c.fix.as_deref().unwrap().contains("cannot be increased"));
        f.api_keys = Ok(API_KEYS_PER_REGION - 1);
        let checks = evaluate(&r, &f);
        let c = check(&checks, "api-keys");
        assert_eq!(c.status, Status::Pass);
        assert!(c.detail.contains("documented, not read"), "{}", c.detail);
        f.api_keys = denied("apigateway GetApiKeys");
        assert_eq!(status(&r, &f, "api-keys"), Status::Unknown);
    }

    #[test]
    fn usage_plans_stay_within_the_quota() {
        let mut f = facts();
        f.usage_plans = Ok(299);
        assert_eq!(status(&req(), &f, "usage-plans"), Status::Pass);
        f.usage_plans = Ok(300);
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "usage-plans");
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.as_deref().unwrap().contains("L-E8693075"));
        f.usage_plan_quota = denied("service-quotas GetServiceQuota");
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "usage-plans");
        assert_eq!(c.status, Status::Unknown);
        assert!(c.detail.contains("default 300"));
        let mut f = facts();
        f.usage_plans = denied("apigateway GetUsagePlans");
        assert_eq!(status(&req(), &f, "usage-plans"), Status::Unknown);
    }

    fn existing_trail(
        name: &str,
        organization: bool,
        multi_region: bool,
        management: Option<bool>,
    ) -> ExistingTrail {
        ExistingTrail {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:us-east-1:111111111111:trail/{name}"),
            home_region: "us-east-1".into(),
            multi_region,
            organization,
            management_events: management,
        }
    }

    #[test]
    fn a_second_management_event_trail_is_a_warning_with_the_variable_to_change() {
        let mut f = facts();
        f.trails = Ok(vec![existing_trail("org-trail", true, true, Some(true))]);
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "cloudtrail");
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.detail.contains("organization trail org-trail"),
            "{}",
            c.detail
        );
        let fix = c.fix.as_deref().unwrap();
        assert!(
            fix.contains("cloudtrail_management_events = false")
                && fix.contains("cloudtrail_enabled = false"),
            "{fix}"
        );
        // A multi-region account trail whose selectors could not be read counts too.
        f.trails = Ok(vec![existing_trail("account", false, true, None)]);
        assert_eq!(status(&req(), &f, "cloudtrail"), Status::Warn);
        // Data-event-only trails, single-region trails and the env's own trail do not.
        f.trails = Ok(vec![
            existing_trail("data-only", false, true, Some(false)),
            existing_trail("local", false, false, Some(true)),
            existing_trail("dev-docproc-trail", false, true, Some(true)),
        ]);
        assert_eq!(status(&req(), &f, "cloudtrail"), Status::Pass);
        // The env's trail records data events only: no duplicate whatever exists.
        f.trails = Ok(vec![existing_trail("org-trail", true, true, Some(true))]);
        let mut data_only = req();
        if let Some(t) = &mut data_only.trail {
            t.management_events = false;
        }
        assert_eq!(status(&data_only, &f, "cloudtrail"), Status::Pass);
        let mut no_trail = req();
        no_trail.trail = None;
        assert_eq!(status(&no_trail, &f, "cloudtrail"), Status::Pass);
        f.trails = denied("cloudtrail DescribeTrails");
        assert_eq!(status(&req(), &f, "cloudtrail"), Status::Unknown);
    }

    #[test]
    fn kms_keys_within_the_default_quota() {
        let mut f = facts();
        f.kms_keys = Ok(KMS_KEYS_DEFAULT_QUOTA - 2);
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "kms-keys");
        assert_eq!(c.status, Status::Pass);
        assert!(c.detail.contains("default quota, not read"));
        f.kms_keys = Ok(KMS_KEYS_DEFAULT_QUOTA - 1);
        assert_eq!(status(&req(), &f, "kms-keys"), Status::Warn);
        f.kms_keys = denied("kms ListKeys");
        assert_eq!(status(&req(), &f, "kms-keys"), Status::Unknown);
    }

    #[test]
    fn addresses_are_shown_without_their_module_path() {
        assert_eq!(
            without_modules("module.platform.module.api.aws_api_gateway_stage.this"),
            "aws_api_gateway_stage.this"
        );
        assert_eq!(without_modules("aws_x.y[\"a\"]"), "aws_x.y[\"a\"]");
    }

    #[test]
    fn the_caller_and_region_must_be_the_plans() {
        let mut f = facts();
        f.region = Some("eu-west-1".into());
        let checks = evaluate(&req(), &f);
        let c = check(&checks, "region");
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.fix.as_deref(),
            Some("export AWS_REGION=us-east-1 (or use a profile for us-east-1) and run again")
        );
        // Facts from another region say nothing: every account check is unknown.
        for c in checks.iter().skip(2) {
            assert_eq!(c.status, Status::Unknown, "{c:?}");
            assert!(c.detail.contains("read in eu-west-1"), "{c:?}");
        }
        let mut f = facts();
        f.caller = Ok(Caller {
            account: "999999999999".into(),
            arn: "arn:aws:iam::999999999999:user/ops".into(),
        });
        let checks = evaluate(&req(), &f);
        assert_eq!(check(&checks, "caller").status, Status::Fail);
        assert_eq!(check(&checks, "lambda-concurrency").status, Status::Unknown);
        let mut f = facts();
        f.caller = denied("sts GetCallerIdentity");
        assert_eq!(status(&req(), &f, "caller"), Status::Unknown);
        f.region = None;
        assert_eq!(status(&req(), &f, "region"), Status::Fail);
        let mut no_region = req();
        no_region.region = None;
        assert_eq!(status(&no_region, &facts(), "region"), Status::Unknown);
    }
}
