//! AWS SDK adapter for the preflight port: read-only calls against the
//! account and region the standard AWS settings select. A failed call is
//! returned as its error text (code and message, or the HTTP status), which
//! the check shows as "unknown".

use aws_sdk_ec2::types::{Filter, ServiceType};
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use docproc_cli::preflight::facts::{
    AccountReader, Caller, ExistingTrail, Fact, LambdaLimits, Quota, QuotaSource, Zone,
};

/// Enough pages for every quota checked (10,000 API keys at 500 a page).
const MAX_PAGES: usize = 100;

/// "`call`: Code: message", or the HTTP status when the endpoint answered
/// without an AWS error (an emulator that lacks the API answers 404).
fn failure<E>(call: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let text = match (err.code(), err.raw_response()) {
        (Some(code), _) => format!("{call}: {code}: {}", err.message().unwrap_or("")),
        (None, Some(raw)) => format!(
            "{call}: HTTP {} without an AWS error (not implemented by this endpoint?)",
            raw.status().as_u16()
        ),
        // No answer (connection, credentials, timeout): the error's causes.
        (None, None) => {
            let mut causes = vec![err.to_string()];
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                let text = cause.to_string();
                if !causes.iter().any(|c| c.contains(&text)) {
                    causes.push(text);
                }
                source = cause.source();
            }
            format!("{call}: {}", causes.join(": "))
        }
    };
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn non_negative(n: i32) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub struct AwsAccount {
    region: Option<String>,
    sts: aws_sdk_sts::Client,
    lambda: aws_sdk_lambda::Client,
    apigateway: aws_sdk_apigateway::Client,
    ec2: aws_sdk_ec2::Client,
    cloudtrail: aws_sdk_cloudtrail::Client,
    quotas: aws_sdk_servicequotas::Client,
    kms: aws_sdk_kms::Client,
}

impl AwsAccount {
    pub fn new(sdk: &aws_config::SdkConfig) -> AwsAccount {
        AwsAccount {
            region: sdk.region().map(ToString::to_string),
            sts: aws_sdk_sts::Client::new(sdk),
            lambda: aws_sdk_lambda::Client::new(sdk),
            apigateway: aws_sdk_apigateway::Client::new(sdk),
            ec2: aws_sdk_ec2::Client::new(sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(sdk),
            quotas: aws_sdk_servicequotas::Client::new(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
        }
    }

    async fn event_selectors_record_management(&self, trail_arn: &str) -> Option<bool> {
        let out = self
            .cloudtrail
            .get_event_selectors()
            .trail_name(trail_arn)
            .send()
            .await
            .ok()?;
        let advanced = out.advanced_event_selectors();
        if !advanced.is_empty() {
            return Some(advanced.iter().any(|s| {
                s.field_selectors().iter().any(|f| {
                    f.field() == "eventCategory" && f.equals().iter().any(|e| e == "Management")
                })
            }));
        }
        let basic = out.event_selectors();
        Some(
            basic.is_empty()
                || basic
                    .iter()
                    .any(|s| s.include_management_events() != Some(false)),
        )
    }
}

fn quota_value(quota: Option<&aws_sdk_servicequotas::types::ServiceQuota>) -> Option<u64> {
    let value = quota?.value()?;
    (value.is_finite() && value >= 0.0).then(|| value.round() as u64)
}

impl AccountReader for AwsAccount {
    fn region(&self) -> Option<String> {
        self.region.clone()
    }

    async fn caller(&self) -> Fact<Caller> {
        let who = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| failure("sts GetCallerIdentity", &e))?;
        Ok(Caller {
            account: who.account.unwrap_or_default(),
            arn: who.arn.unwrap_or_default(),
        })
    }

    async fn lambda_limits(&self) -> Fact<LambdaLimits> {
        let out = self
            .lambda
            .get_account_settings()
            .send()
            .await
            .map_err(|e| failure("lambda GetAccountSettings", &e))?;
        let limit = out
            .account_limit
            .ok_or("lambda GetAccountSettings: no AccountLimit in the answer")?;
        let concurrent = non_negative(limit.concurrent_executions);
        Ok(LambdaLimits {
            concurrent_executions: concurrent,
            unreserved: limit
                .unreserved_concurrent_executions
                .map_or(concurrent, non_negative),
        })
    }

    async fn api_gateway_role(&self) -> Fact<Option<String>> {
        let out = self
            .apigateway
            .get_account()
            .send()
            .await
            .map_err(|e| failure("apigateway GetAccount", &e))?;
        Ok(out.cloudwatch_role_arn.filter(|arn| !arn.is_empty()))
    }

    async fn api_key_count(&self) -> Fact<u64> {
        let (mut total, mut position) = (0, None);
        for _ in 0..MAX_PAGES {
            let page = self
                .apigateway
                .get_api_keys()
                .limit(500)
                .set_position(position.take())
                .send()
                .await
                .map_err(|e| failure("apigateway GetApiKeys", &e))?;
            total += count(page.items().len());
            match page.position {
                Some(p) if !p.is_empty() && !page.items().is_empty() => position = Some(p),
                _ => break,
            }
        }
        Ok(total)
    }

    async fn usage_plan_count(&self) -> Fact<u64> {
        let (mut total, mut position) = (0, None);
        for _ in 0..MAX_PAGES {
            let page = self
                .apigateway
                .get_usage_plans()
                .limit(500)
                .set_position(position.take())
                .send()
                .await
                .map_err(|e| failure("apigateway GetUsagePlans", &e))?;
            total += count(page.items().len());
            match page.position {
                Some(p) if !p.is_empty() && !page.items().is_empty() => position = Some(p),
                _ => break,
            }
        }
        Ok(total)
    }

    async fn zones(&self) -> Fact<Vec<Zone>> {
        let out = self
            .ec2
            .describe_availability_zones()
            .send()
            .await
            .map_err(|e| failure("ec2 DescribeAvailabilityZones", &e))?;
        Ok(out
            .availability_zones()
            .iter()
            .map(|z| Zone {
                name: z.zone_name().unwrap_or_default().to_string(),
                id: z.zone_id().unwrap_or_default().to_string(),
                state: z.state().map_or("unknown", |s| s.as_str()).to_string(),
            })
            .collect())
    }

    async fn endpoint_service_zones(&self, service_name: &str) -> Fact<Option<Vec<String>>> {
        let out = match self
            .ec2
            .describe_vpc_endpoint_services()
            .service_names(service_name)
            .send()
            .await
        {
            Ok(out) => out,
            // The region does not offer the service at all.
            Err(e) if e.code() == Some("InvalidServiceName") => return Ok(None),
            Err(e) => return Err(failure("ec2 DescribeVpcEndpointServices", &e)),
        };
        let mut zones: Vec<String> = out
            .service_details()
            .iter()
            .filter(|d| d.service_name() == Some(service_name))
            .filter(|d| {
                d.service_type().is_empty()
                    || d.service_type()
                        .iter()
                        .any(|t| t.service_type() == Some(&ServiceType::Interface))
            })
            .flat_map(|d| d.availability_zones().iter().cloned())
            .collect();
        if zones.is_empty()
            && !out
                .service_details()
                .iter()
                .any(|d| d.service_name() == Some(service_name))
        {
            return Ok(None);
        }
        zones.sort();
        zones.dedup();
        Ok(Some(zones))
    }

    async fn interface_endpoint_count(&self, vpc_id: &str) -> Fact<u64> {
        let (mut total, mut token) = (0, None);
        for _ in 0..MAX_PAGES {
            let page = self
                .ec2
                .describe_vpc_endpoints()
                .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
                .filters(
                    Filter::builder()
                        .name("vpc-endpoint-type")
                        .values("Interface")
                        .build(),
                )
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| failure("ec2 DescribeVpcEndpoints", &e))?;
            total += count(page.vpc_endpoints().len());
            match page.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => break,
            }
        }
        Ok(total)
    }

    async fn trails(&self) -> Fact<Vec<ExistingTrail>> {
        let out = self
            .cloudtrail
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|e| failure("cloudtrail DescribeTrails", &e))?;
        let mut trails = Vec::new();
        for t in out.trail_list() {
            let arn = t.trail_arn().unwrap_or_default().to_string();
            let management_events = self.event_selectors_record_management(&arn).await;
            trails.push(ExistingTrail {
                name: t.name().unwrap_or_default().to_string(),
                arn,
                home_region: t.home_region().unwrap_or_default().to_string(),
                multi_region: t.is_multi_region_trail() == Some(true),
                organization: t.is_organization_trail() == Some(true),
                management_events,
            });
        }
        Ok(trails)
    }

    async fn service_quota(&self, service_code: &str, quota_code: &str) -> Fact<Quota> {
        let call = format!("service-quotas GetServiceQuota {service_code} {quota_code}");
        let applied = self
            .quotas
            .get_service_quota()
            .service_code(service_code)
            .quota_code(quota_code)
            .send()
            .await;
        let (quota, source) = match applied {
            Ok(out) => (quota_value(out.quota()), QuotaSource::Applied),
            // No applied value for this quota: AWS documents the default instead.
            Err(e) if e.code() == Some("NoSuchResourceException") => {
                let first = failure(&call, &e);
                let default = self
                    .quotas
                    .get_aws_default_service_quota()
                    .service_code(service_code)
                    .quota_code(quota_code)
                    .send()
                    .await
                    .map_err(|e| {
                        format!("{first}; then {}", failure("GetAWSDefaultServiceQuota", &e))
                    })?;
                (quota_value(default.quota()), QuotaSource::AwsDefault)
            }
            Err(e) => return Err(failure(&call, &e)),
        };
        let value = quota.ok_or(format!("{call}: the answer has no value"))?;
        Ok(Quota { value, source })
    }

    async fn kms_key_count(&self, up_to: u64) -> Fact<u64> {
        let (mut total, mut marker) = (0, None);
        for _ in 0..=(up_to / 1000 + 1) {
            let page = self
                .kms
                .list_keys()
                .limit(1000)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| failure("kms ListKeys", &e))?;
            total += count(page.keys().len());
            match page.next_marker {
                Some(m) if page.truncated && total <= up_to => marker = Some(m),
                _ => break,
            }
        }
        Ok(total)
    }
}
