//! What preflight reads from the target account, through a small port
//! (`AccountReader`; the AWS SDK adapter lives in the binary). Every fact is
//! a `Result`: a call that was denied, throttled or is not implemented by the
//! endpoint is kept with its error, and the check that needs it reports
//! "unknown", never "pass".

use super::requirements::Requirements;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;

/// A fact, or why it could not be read (the call's error).
pub type Fact<T> = Result<T, String>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    pub account: String,
    pub arn: String,
}

/// Lambda `GetAccountSettings` → `AccountLimit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LambdaLimits {
    /// `ConcurrentExecutions`: the account's limit in the region.
    pub concurrent_executions: u64,
    /// `UnreservedConcurrentExecutions`: the limit minus every reservation.
    pub unreserved: u64,
}

/// One availability zone (EC2 `DescribeAvailabilityZones`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Zone {
    pub name: String,
    pub id: String,
    pub state: String,
}

/// A trail that applies to the region (CloudTrail `DescribeTrails` with
/// shadow trails: the account's own, multi-region ones from other regions,
/// and organization trails).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExistingTrail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
    /// From `GetEventSelectors`; `None` when they could not be read.
    pub management_events: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaSource {
    /// Service Quotas `GetServiceQuota`: the value applied to this account.
    Applied,
    /// Service Quotas `GetAWSDefaultServiceQuota` (no applied value exists).
    AwsDefault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quota {
    pub value: u64,
    pub source: QuotaSource,
}

/// Read-only calls against the target account and region.
pub trait AccountReader: Send + Sync {
    /// The region the calls go to (from the standard AWS settings).
    fn region(&self) -> Option<String>;
    /// STS `GetCallerIdentity`.
    fn caller(&self) -> impl Future<Output = Fact<Caller>> + Send;
    /// Lambda `GetAccountSettings`.
    fn lambda_limits(&self) -> impl Future<Output = Fact<LambdaLimits>> + Send;
    /// API Gateway `GetAccount` → `cloudwatchRoleArn` (None when unset).
    fn api_gateway_role(&self) -> impl Future<Output = Fact<Option<String>>> + Send;
    /// API Gateway `GetApiKeys`, every page.
    fn api_key_count(&self) -> impl Future<Output = Fact<u64>> + Send;
    /// API Gateway `GetUsagePlans`, every page.
    fn usage_plan_count(&self) -> impl Future<Output = Fact<u64>> + Send;
    /// EC2 `DescribeAvailabilityZones`.
    fn zones(&self) -> impl Future<Output = Fact<Vec<Zone>>> + Send;
    /// EC2 `DescribeVpcEndpointServices` for one service: the zone names it
    /// offers interface endpoints in; `None` when the region does not offer it.
    fn endpoint_service_zones(
        &self,
        service_name: &str,
    ) -> impl Future<Output = Fact<Option<Vec<String>>>> + Send;
    /// EC2 `DescribeVpcEndpoints`: interface endpoints already in a VPC.
    fn interface_endpoint_count(&self, vpc_id: &str) -> impl Future<Output = Fact<u64>> + Send;
    /// CloudTrail `DescribeTrails` (includeShadowTrails) and `GetEventSelectors`.
    fn trails(&self) -> impl Future<Output = Fact<Vec<ExistingTrail>>> + Send;
    /// Service Quotas `GetServiceQuota`, falling back to `GetAWSDefaultServiceQuota`.
    fn service_quota(
        &self,
        service_code: &str,
        quota_code: &str,
    ) -> impl Future<Output = Fact<Quota>> + Send;
    /// KMS `ListKeys`, counting at most `up_to` + 1 keys.
    fn kms_key_count(&self, up_to: u64) -> impl Future<Output = Fact<u64>> + Send;
}

/// Service Quotas codes. "Interface VPC endpoints per VPC" (console: "Interface
/// and Gateway Load Balancer endpoints per VPC"), default 50:
/// https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html
pub const INTERFACE_ENDPOINTS_QUOTA: (&str, &str) = ("vpc", "L-29B6F2EB");
/// "Usage plans per account per Region", default 300:
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
pub const USAGE_PLANS_QUOTA: (&str, &str) = ("apigateway", "L-E8693075");

/// Everything preflight read from the account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountFacts {
    /// The region the facts were read in.
    pub region: Option<String>,
    pub caller: Fact<Caller>,
    pub lambda: Fact<LambdaLimits>,
    pub api_gateway_role: Fact<Option<String>>,
    pub api_keys: Fact<u64>,
    pub usage_plans: Fact<u64>,
    pub usage_plan_quota: Fact<Quota>,
    pub zones: Fact<Vec<Zone>>,
    /// Per interface endpoint service the plan uses.
    pub endpoint_services: BTreeMap<String, Fact<Option<Vec<String>>>>,
    pub endpoint_quota: Fact<Quota>,
    /// Interface endpoints already in each existing VPC the plan adds endpoints to.
    pub vpc_endpoints: BTreeMap<String, Fact<u64>>,
    pub trails: Fact<Vec<ExistingTrail>>,
    pub kms_keys: Fact<u64>,
}

/// Documented default of the AWS KMS keys quota (customer managed keys per
/// Region): https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
pub const KMS_KEYS_DEFAULT_QUOTA: u64 = 100_000;

/// Reads every fact the requirements call for, concurrently.
pub async fn gather<R: AccountReader>(reader: &R, req: &Requirements) -> AccountFacts {
    let services = req.interface_services();
    let vpcs = req.existing_vpcs();
    let endpoint_services = async {
        let mut out = BTreeMap::new();
        for s in &services {
            out.insert(s.clone(), reader.endpoint_service_zones(s).await);
        }
        out
    };
    let vpc_endpoints = async {
        let mut out = BTreeMap::new();
        for v in &vpcs {
            out.insert(v.clone(), reader.interface_endpoint_count(v).await);
        }
        out
    };
    let (caller, lambda, api_gateway_role, api_keys, usage_plans, usage_plan_quota) = tokio::join!(
        reader.caller(),
        reader.lambda_limits(),
        reader.api_gateway_role(),
        reader.api_key_count(),
        reader.usage_plan_count(),
        reader.service_quota(USAGE_PLANS_QUOTA.0, USAGE_PLANS_QUOTA.1),
    );
    let (zones, endpoint_services, endpoint_quota, vpc_endpoints, trails, kms_keys) = tokio::join!(
        reader.zones(),
        endpoint_services,
        reader.service_quota(INTERFACE_ENDPOINTS_QUOTA.0, INTERFACE_ENDPOINTS_QUOTA.1),
        vpc_endpoints,
        reader.trails(),
        reader.kms_key_count(KMS_KEYS_DEFAULT_QUOTA),
    );
    AccountFacts {
        region: reader.region(),
        caller,
        lambda,
        api_gateway_role,
        api_keys,
        usage_plans,
        usage_plan_quota,
        zones,
        endpoint_services,
        endpoint_quota,
        vpc_endpoints,
        trails,
        kms_keys,
    }
}
