//! `docproc`: the operator CLI. Parses arguments, loads the deployment's
//! names from Terraform outputs, wires the AWS adapters and prints results;
//! the workflows themselves live in the `docproc_cli` library.

mod aws;
mod aws_account;
mod http;

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand};
use docproc_aws::dynamo::{DynamoAudit, DynamoKeys};
use docproc_cli::config::{Platform, Source};
use docproc_cli::dlq::{self, QueueKind, RedriveResult, Redriver};
use docproc_cli::error::OpsResult;
use docproc_cli::keys::{key_trail, parse_expiry, IssuedKey, KeyAdmin, NewKey};
use docproc_cli::plan_review::{self, Review};
use docproc_cli::preflight::terraform::PlanSource;
use docproc_cli::preflight::{self, Requirements, Summary};
use docproc_cli::OpsError;
use docproc_core::access::AccessLevel;
use docproc_core::audit::verify_anchored;
use docproc_core::keys::ApiKeyRecord;
use docproc_core::ports::AuditRepository;
use docproc_engine::{Declared, Limits};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code for a document the engine rejected (distinct from usage errors
/// (2) and operational failures (1)). 4 is a gate that did not pass: a failed
/// `preflight` check, or `plan review`'s destroy guard.
const EXIT_REJECTED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "docproc",
    version,
    about = "Operate a docproc deployment and inspect documents locally.",
    long_about = "Operate a docproc deployment and inspect documents locally.\n\n\
        Commands that touch a deployment read its names (tables, API, usage plans, queues) from \
        the environment's `platform` Terraform output: --env runs `terraform output -json` in \
        envs/<env>; --outputs reads a saved copy. AWS credentials, region and endpoint come from \
        the standard AWS settings (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, …)."
)]
struct Cli {
    #[command(flatten)]
    target: Target,
    /// Print JSON instead of text (every command that prints data; `inspect` always does).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Target {
    /// Environment to operate (a directory under <root>/envs); for `plan review`, the
    /// environment the plan is for (staging and prod are guarded).
    #[arg(long, global = true, env = "DOCPROC_ENV", conflicts_with = "outputs")]
    env: Option<String>,
    /// A saved `terraform output -json` of the environment, instead of --env.
    #[arg(long, global = true, env = "DOCPROC_OUTPUTS", value_name = "FILE")]
    outputs: Option<PathBuf>,
    /// Repository root holding envs/ (for --env).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// Terraform binary (for --env).
    #[arg(long, global = true, env = "TERRAFORM", default_value = "terraform")]
    terraform: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Run the processor's engine on a local file and print the verdict as JSON.
    ///
    /// Exits 0 when the document is accepted and 3 when it is rejected.
    Inspect {
        /// The document to inspect.
        file: PathBuf,
        /// Declared media type to check the content against (as an uploader would send it).
        #[arg(long)]
        content_type: Option<String>,
        /// Declared file name (defaults to the file's own name).
        #[arg(long)]
        filename: Option<String>,
        /// Largest accepted document, in bytes.
        #[arg(long, default_value_t = Limits::default().max_size)]
        max_size: u64,
    },
    /// Issue, list, rotate, disable, enable and revoke API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Inspect and redrive the dead-letter queues.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Check audit trails.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check the target AWS account before the first apply; print each check and its fix.
    #[command(long_about = PREFLIGHT_HELP)]
    Preflight {
        /// A saved `terraform show -json <planfile>` to check, instead of planning --env.
        #[arg(long, value_name = "FILE")]
        plan: Option<PathBuf>,
        /// Exit 4 on warnings and unknown checks too, not only on failures.
        #[arg(long)]
        strict: bool,
        /// Extra arguments for `terraform plan` (with --env), after `--`.
        #[arg(last = true, value_name = "TERRAFORM_PLAN_ARGS")]
        plan_args: Vec<String>,
    },
    /// Review a saved Terraform plan for a pull request.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Send many documents through a deployment and check every one.
    #[command(long_about = LOAD_HELP)]
    Load {
        /// Documents to send.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        documents: u32,
        /// Uploads in flight at once.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=512))]
        concurrency: u32,
        /// `default` (built in), or a mix manifest: a JSON list of
        /// {file, filename, declared_type, verdict, reason?, weight?}, files relative to it.
        #[arg(long, default_value = "default", value_name = "default|FILE")]
        mix: String,
        /// A read-write API key to use, instead of one created for the run and revoked after it.
        #[arg(long, env = "DOCPROC_LOAD_KEY", hide_env_values = true)]
        key: Option<String>,
        /// Usage plan of the key the run creates (its rate limit and quota bound the run).
        #[arg(long, default_value = "standard")]
        tier: String,
        /// REST API base URL, instead of the platform's `api_invoke_url` (emulators).
        #[arg(long, value_name = "URL")]
        api_url: Option<String>,
        /// Every n-th document uses a presigned upload even when it fits inline (0: only
        /// documents too large to send inline).
        #[arg(long, default_value_t = 4)]
        presigned_every: usize,
        /// Seconds to wait, after the last upload, for every terminal status.
        #[arg(long, default_value_t = 300)]
        settle_timeout: u64,
        /// Seconds to wait after subscribing the status tap before the first upload: SQS
        /// takes up to 60 s to apply the queue policy that lets SNS deliver, and SNS drops
        /// what it cannot deliver.
        #[arg(long, default_value_t = 60)]
        tap_wait: u64,
        /// Also write a self-contained HTML report with plots to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Faults to inject, comma-separated: duplicate-events (every document's first
        /// version delivered twice more at once right after its upload, then every version 3 more times,
        /// newest first, shuffled), overwrite (every settled presigned document's
        /// form posted again: refused, announced, audited), authorizer-probe (--probe-keys bad keys);
        /// on the local platform also table-outage, sns-outage, processor-crash
        /// (for --fault-window seconds; they need --redrive).
        #[arg(long, value_name = "LIST", default_value = "")]
        faults: String,
        /// Seconds each table-outage, sns-outage or processor-crash lasts.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
        fault_window: u64,
        /// Random and near-miss keys the authorizer-probe fault sends (the API's WAF
        /// blocks an IP above its rate limit: 500 requests per 5 minutes in dev).
        #[arg(long, default_value_t = 400)]
        probe_keys: usize,
        /// When documents stop settling for --stall seconds, redrive both dead-letter
        /// queues (as `docproc dlq redrive`) and wait for them again.
        #[arg(long)]
        redrive: bool,
        /// Seconds without a newly settled document after which --redrive starts.
        #[arg(long, default_value_t = 60, requires = "redrive")]
        stall: u64,
    },
    /// Print a shell completion script.
    ///
    /// bash: `docproc completions bash > ~/.local/share/bash-completion/completions/docproc`;
    /// zsh: `docproc completions zsh > "${fpath[1]}/_docproc"`;
    /// fish: `docproc completions fish > ~/.config/fish/completions/docproc.fish`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum PlanCommand {
    /// Summarise a plan for a reviewer (Markdown) and block data loss in staging and prod.
    #[command(long_about = PLAN_REVIEW_HELP)]
    Review {
        /// The plan as JSON: `terraform show -json <planfile>`.
        #[arg(value_name = "PLAN.json")]
        plan: PathBuf,
        /// Let the plan destroy or replace stateful resources in staging or prod
        /// (the pull request label `allow-destroy` in CI).
        #[arg(long)]
        allow_destroy: bool,
    },
}

const LOAD_HELP: &str = "\
Send many documents through a deployment and check every one.

Sends --documents documents of the mix (benign formats of several sizes and about a fifth hostile
ones; 8 MiB documents and every --presigned-every-th one go through a presigned S3 POST, the rest
inline), --concurrency at a time, retrying throttles (429), 5xx and network errors with backoff.
Status changes are read from the status topic through a temporary SQS queue subscribed for the
run (removed after it). Then it checks: every document uploaded and reached PROCESSED or REJECTED,
with the verdict its fixture expects; one notification per status change or refused upload, none
twice or missing; every audit trail's hash chain verified by the run itself against its anchor,
with exactly one outcome and one event per refused upload; every dead-letter queue empty. The status
feed is read until it has been quiet for 3 s (a feed that never goes quiet fails the run).

It prints throughput (documents/s, MiB/s), latency percentiles (upload API call; upload to terminal
status), counts by status and error code, retries, and each check; --json prints the whole report
(every document's sample too); --report FILE writes an HTML page with plots that needs no network.

The key: unless --key is given, a read-write key of --tier is created for the run and revoked
after it. Every document costs about three API calls: pick a tier whose rate and quota fit, and
mind the API's WAF rate limit per client IP (waf_rate_limit: 500 requests per 5 minutes in dev;
over it the API answers 429 rate_limited for the rest of the 5 minutes, which the run does not
retry: such documents fail their upload, and such probes fail the probe).
A run trips the authorizer-denial, API 4XX and rejected-document alarms by design: tell on-call.
Needs: sqs:CreateQueue, SetQueueAttributes, GetQueueAttributes, ReceiveMessage, DeleteMessage,
DeleteQueue and sns:Subscribe, Unsubscribe, besides what `keys create` and `keys revoke` need
and, for the dead-letter check, sqs:ReceiveMessage on both DLQs with kms:Decrypt on the data key
they are encrypted with (duplicate-events: dynamodb:GetItem on the documents table,
s3:ListBucketVersions on the documents bucket and lambda:InvokeFunction on the processor;
--redrive: what `dlq redrive` needs).

Faults (--faults, comma-separated): duplicate-events delivers each document's first version to the
processor twice more, at once, right after its upload, racing S3's own event (at least one must be sent before its
verdict is published), then, once everything settled, every version of every document 3 more times,
newest first (a refused upload's event before the judged one's), in shuffled order, waiting for
each invocation (the checks then find anything it changed); overwrite posts every settled presigned document's upload form again with
the same bytes (the form pins their Content-MD5): each new version must be refused, announced once
as document.overwrite_refused and audited once as overwrite_refused, and the document's status
must not change; authorizer-probe sends --probe-keys random and near-miss keys, none of which
may get in. On the local platform only (its emulator injects them), once a fifth of the documents
went out and for --fault-window seconds: table-outage (the documents table answers 503),
sns-outage (publishing to the status topic answers 500) and processor-crash (about half the
processor's invocations are killed mid-document); each must hit something, and all need --redrive.
--redrive: when documents stop settling for --stall seconds (and any outage is over), both
dead-letter queues are redriven (as `docproc dlq redrive`) and the run waits again, up to 3 rounds;
once everything settled they are redriven once more (an event can fail for good although another
delivery judged its document).

Exit status: 0 when every check passed and every verdict was as expected; 4 otherwise; 2 for
usage errors; 1 when the run could not start; 130 after Ctrl-C, which stops the run (from the
status tap's wait on) but still removes its status tap and revokes its key.

Examples:
  docproc --env staging load --documents 1000 --concurrency 4 --tier premium --report load.html
  docproc --outputs outputs.json load --api-url http://127.0.0.1:4566/_aws/execute-api/ID/v1 --json";

const PLAN_REVIEW_HELP: &str = "\
Summarise a plan for a reviewer (Markdown) and block data loss in staging and prod.

Reads `terraform show -json <planfile>` and prints what a pull request reviewer reads before the
full plan: the counts (create, update, replace, destroy); every destroy and replacement, with the
attributes forcing it; security-relevant changes (IAM, KMS, security groups and network access,
bucket policies and public access blocks, SNS/SQS policies, WAF, API Gateway authorizers and
resource policies), with the top-level attributes each update changes; the changes per module.
No-op and read changes are left out. Only attribute names are printed, never values.

The guard: when the environment is staging or prod (--env, or the `environment` the plan passes
to its modules; either one being protected is enough), destroying or replacing a stateful resource
(aws_dynamodb_table, aws_s3_bucket, aws_kms_key, aws_cloudtrail, aws_sqs_queue,
aws_cloudwatch_log_group) exits 4 and the summary names each resource, unless --allow-destroy is
given (in CI: the pull request label `allow-destroy`). A dev plan is never guarded.

Exit status: 0 when the plan passes the guard; 4 when the guard blocks it; 2 when the file is not
plan JSON or cannot be read, or for usage errors; 1 for other failures.

Examples:
  terraform -chdir=envs/prod plan -out=plan.bin
  terraform -chdir=envs/prod show -json plan.bin > plan.json
  docproc --env prod plan review plan.json
  docproc --env prod plan review plan.json --allow-destroy --json";

const PREFLIGHT_HELP: &str = "\
Check the target AWS account before the first apply; print each check and its fix.

What the environment needs comes from its own Terraform plan, so nothing is written twice: with
--env, preflight runs `terraform plan -input=false -lock=false` in envs/<env> (after `terraform
init`; nothing is locked or applied) and reads it with `terraform show -json`; --plan reads a
saved `terraform show -json <planfile>` instead. The account is read, never changed, with the
standard AWS settings (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...).

Checks (each is pass, warn, unknown or FAIL; anything but pass comes with a fix):
  caller               the credentials' account is the one the plan was made for
  region               the AWS settings select the plan's region
  lambda-concurrency   reserved concurrency + the 100 Lambda keeps unreserved fit the
                       account's limit and its unreserved pool
  api-gateway-logging  stage logging has the region's API Gateway CloudWatch Logs role, or the
                       plan sets it (and would not overwrite another stack's)
  zones                every subnet zone (matched by zone ID) exists, is available and offers
                       every interface endpoint service the plan uses
  interface-endpoints  interface endpoints per VPC within the quota (Service Quotas vpc
                       L-29B6F2EB, default 50)
  api-keys             API keys in the region within 10,000 (fixed; documented, not read)
  usage-plans          usage plans in the region within the quota (apigateway L-E8693075,
                       default 300)
  cloudtrail           warns when the plan adds a trail recording management events next to an
                       organization or multi-region trail that already does (a charged copy)
  kms-keys             KMS keys within the default quota of 100,000 (not read)

A call that is denied or that the endpoint does not implement makes its check `unknown`, with
the error: never `pass`.

Exit status: 0 when no check fails; 4 when one fails (with --strict, also when one warns or is
unknown); 2 for usage errors; 1 when the plan cannot be made or read.

Examples:
  docproc preflight --env prod
  docproc preflight --env prod --json
  docproc preflight --env prod -- -var-file=extra.tfvars
  docproc preflight --env prod --plan plan.json   # from terraform show -json plan.bin";

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key and print it once: the permissions table stores only its SHA-256
    /// hash; its API Gateway key (for usage-plan metering) holds its value.
    Create {
        /// Client the key belongs to (letters, digits, '-', '_').
        #[arg(long)]
        client: String,
        /// What the key may do.
        #[arg(long, value_parser = ["read-only", "read-write", "admin"])]
        level: String,
        /// Usage plan (rate limit and quota) the key is metered by.
        #[arg(long, default_value = "standard")]
        tier: String,
        /// Expiry: a date (midnight UTC) or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// Free text shown by `keys list`.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List keys (ids and states, never the keys themselves).
    List {
        /// Only this client's keys.
        #[arg(long)]
        client: Option<String>,
    },
    /// Revoke a key for good.
    Revoke { key_id: String },
    /// Deny a key until it is enabled again.
    Disable { key_id: String },
    /// Re-enable a disabled key.
    Enable { key_id: String },
    /// Issue a replacement key; the old one expires after the grace period.
    Rotate {
        key_id: String,
        /// Hours the old key keeps working.
        #[arg(long, default_value_t = 24)]
        grace_hours: u32,
    },
}

#[derive(Subcommand)]
enum DlqCommand {
    /// One line per failed event: when, why, which documents.
    List {
        #[arg(long, value_enum)]
        queue: QueueKind,
        #[arg(long, default_value_t = 50)]
        max: usize,
    },
    /// Failed events in full, as JSON (with or without --json).
    Show {
        #[arg(long, value_enum)]
        queue: QueueKind,
        #[arg(long, default_value_t = 10)]
        max: usize,
    },
    /// Send failed events through the deployed function again; a message is
    /// deleted only once its redrive succeeded.
    Redrive {
        #[arg(long, value_enum)]
        queue: QueueKind,
        #[arg(long, default_value_t = 100)]
        max: usize,
        /// Show what would be redriven; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Delete poison records (stream records the notifier can never
        /// read) instead of keeping them, with an audit event on each of
        /// their documents' trails.
        #[arg(long)]
        discard_poison: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify a trail's hash chain and print its events: a document's, or
    /// the operator actions on an API key.
    Verify {
        /// Document id.
        #[arg(long, required_unless_present = "key", conflicts_with = "key")]
        document: Option<String>,
        /// API key id (as `docproc keys list` shows).
        #[arg(long)]
        key: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            let code = e.downcast_ref::<OpsError>().map_or(1, OpsError::exit_code);
            ExitCode::from(code)
        }
    }
}

/// Everything a deployment command needs, loaded once.
#[derive(Clone)]
struct Deployment {
    platform: Platform,
    sdk: aws_config::SdkConfig,
}

impl Deployment {
    async fn load(target: &Target) -> anyhow::Result<Deployment> {
        let source =
            match (&target.env, &target.outputs) {
                (Some(env), _) => Source::Env {
                    root: target.root.clone(),
                    env: env.clone(),
                },
                (None, Some(file)) => Source::File(file.clone()),
                (None, None) => return Err(OpsError::Invalid(
                    "which deployment? pass --env <name> or --outputs <file> (or set DOCPROC_ENV)"
                        .into(),
                )
                .into()),
            };
        let platform = source.load(&target.terraform)?;
        let sdk = docproc_aws::sdk_config().await;
        Ok(Deployment { platform, sdk })
    }

    fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    fn audit(&self) -> DynamoAudit {
        DynamoAudit::new(self.dynamodb(), &self.platform.audit_table)
    }

    async fn actor(&self) -> anyhow::Result<String> {
        Ok(aws::caller_arn(&aws_sdk_sts::Client::new(&self.sdk)).await?)
    }

    /// Sends a dead-letter queue's failed events through their function again.
    async fn redrive(
        &self,
        kind: QueueKind,
        queue: &aws::SqsQueue,
        max: usize,
        dry_run: bool,
        discard_poison: bool,
        actor: &str,
    ) -> OpsResult<Vec<RedriveResult>> {
        let (invoker, streams, audit) = (
            aws::Lambda(aws_sdk_lambda::Client::new(&self.sdk)),
            aws::Streams(aws_sdk_dynamodbstreams::Client::new(&self.sdk)),
            self.audit(),
        );
        let redriver = Redriver {
            kind,
            queue,
            invoker: &invoker,
            streams: &streams,
            audit: &audit,
            function_name: self.platform.function(kind.as_str())?,
            actor,
            discard_poison,
        };
        redriver.redrive(max, dry_run).await
    }

    fn dlq(&self, kind: QueueKind) -> OpsResult<aws::SqsQueue> {
        Ok(aws::SqsQueue {
            client: aws_sdk_sqs::Client::new(&self.sdk),
            url: self.platform.dlq_url(kind.as_str())?.to_string(),
        })
    }
}

/// The key table, audit table and API Gateway adapters `KeyAdmin` works on.
struct KeyStore {
    keys: DynamoKeys,
    audit: DynamoAudit,
    gateway: aws::ApiGateway,
}

impl KeyStore {
    fn of(d: &Deployment) -> KeyStore {
        KeyStore {
            keys: DynamoKeys::new(d.dynamodb(), &d.platform.permissions_table),
            audit: d.audit(),
            gateway: aws::ApiGateway(aws_sdk_apigateway::Client::new(&d.sdk)),
        }
    }

    fn admin<'a>(
        &'a self,
        p: &'a Platform,
        actor: &'a str,
    ) -> KeyAdmin<'a, DynamoKeys, aws::ApiGateway, DynamoAudit> {
        KeyAdmin {
            keys: &self.keys,
            gateway: &self.gateway,
            audit: &self.audit,
            actor,
            name_prefix: &p.name_prefix,
            usage_plans: &p.usage_plan_ids,
        }
    }
}

/// `docproc load --redrive`: both dead-letter queues, redriven in full.
struct RedriveAll {
    deployment: Deployment,
    actor: String,
}

impl docproc_load::ports::DeadLetters for RedriveAll {
    async fn redrive_all(&self) -> Result<usize, String> {
        let mut redriven = 0;
        let mut failed = Vec::new();
        for kind in [QueueKind::Processor, QueueKind::Notifier] {
            let queue = self.deployment.dlq(kind).map_err(|e| e.to_string())?;
            match self
                .deployment
                .redrive(kind, &queue, 10_000, false, false, &self.actor)
                .await
            {
                Ok(results) => {
                    for r in results {
                        match r {
                            RedriveResult::Failed { message_id, error } => {
                                failed.push(format!("{message_id}: {error}"))
                            }
                            _ => redriven += 1,
                        }
                    }
                }
                // An empty queue: nothing to redrive there.
                Err(OpsError::NotFound(_)) => {}
                Err(e) => failed.push(e.to_string()),
            }
        }
        match failed.first() {
            None => Ok(redriven),
            Some(first) => Err(format!(
                "{redriven} redriven, {} failed; first: {first}",
                failed.len()
            )),
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let json = cli.json;
    match cli.command {
        Command::Inspect {
            file,
            content_type,
            filename,
            max_size,
        } => inspect(file, content_type, filename, max_size),
        Command::Keys(command) => keys(&Deployment::load(&cli.target).await?, command, json).await,
        Command::Dlq(command) => {
            dead_letters(&Deployment::load(&cli.target).await?, command, json).await
        }
        Command::Preflight {
            plan,
            strict,
            plan_args,
        } => preflight(&cli.target, plan, json, strict, plan_args).await,
        Command::Plan(PlanCommand::Review {
            plan,
            allow_destroy,
        }) => review_plan(&cli.target, &plan, allow_destroy, json),
        Command::Load {
            documents,
            concurrency,
            mix,
            key,
            tier,
            api_url,
            presigned_every,
            settle_timeout,
            tap_wait,
            report,
            faults,
            fault_window,
            probe_keys,
            redrive,
            stall,
        } => {
            let faults = docproc_load::plan::Faults::parse(
                &faults,
                probe_keys,
                std::time::Duration::from_secs(fault_window),
            )
            .map_err(OpsError::Invalid)?;
            if let (Some(outage), false) = (faults.outages.first(), redrive) {
                return Err(OpsError::Invalid(format!(
                    "--faults {} needs --redrive: events that fail through all their retries \
                     are dead-lettered, and only a redrive brings them back",
                    outage.name()
                ))
                .into());
            }
            let plan = docproc_load::plan::Plan {
                faults,
                redrive,
                stall: redrive.then(|| std::time::Duration::from_secs(stall)),
                documents: documents as usize,
                concurrency: concurrency as usize,
                presigned_every,
                settle_timeout: std::time::Duration::from_secs(settle_timeout),
                ..Default::default()
            };
            let options = LoadOptions {
                tap_wait: std::time::Duration::from_secs(tap_wait),
                mix,
                key,
                tier,
                api_url,
                report,
                json,
            };
            load(
                &Deployment::load(&cli.target).await?,
                &cli.target,
                plan,
                options,
            )
            .await
        }
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "docproc", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify { document, key }) => {
            let trail = document
                .or_else(|| key.map(|k| key_trail(&k)))
                .ok_or_else(|| OpsError::Invalid("pass --document ID or --key KEY_ID".into()))?;
            let deployment = Deployment::load(&cli.target).await?;
            let audit = deployment.audit();
            // The anchor first, then the events (see `verify_anchored`).
            let head = audit.head(&trail).await?;
            let events = audit.trail(&trail).await?;
            if events.is_empty() && head.is_none() {
                return Err(OpsError::NotFound(format!("no audit trail named {trail:?}")).into());
            }
            let verified = verify_anchored(&trail, &events, head.as_ref())
                .with_context(|| format!("audit trail {trail} failed verification"));
            if json {
                // A broken trail still prints its events: they show where it breaks.
                let report = serde_json::json!({
                    "trail": trail,
                    "verified": verified.is_ok(),
                    "error": verified.as_ref().err().map(|e| format!("{e:#}")),
                    "head": verified.as_ref().ok().map(|&n| &events[n - 1].hash),
                    "events": events,
                });
                println!("{}", serde_json::to_string_pretty(&report)?);
                verified?;
                return Ok(ExitCode::SUCCESS);
            }
            for e in &events {
                println!(
                    "{:>4}  {}  {:<16} {:<10} {}",
                    e.seq, e.at, e.action, e.outcome, e.actor
                );
            }
            let count = verified?;
            println!(
                "verified: {count} events, hash chain intact and ending at its anchor, head {}",
                events[count - 1].hash
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn preflight(
    target: &Target,
    plan: Option<PathBuf>,
    json: bool,
    strict: bool,
    plan_args: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let source = match (plan, &target.env) {
        (Some(_), _) if !plan_args.is_empty() => {
            return Err(OpsError::Invalid(
                "terraform plan arguments go with --env; --plan reads a finished plan".into(),
            )
            .into())
        }
        (Some(file), _) => PlanSource::File(file),
        (None, Some(env)) => PlanSource::Env {
            root: target.root.clone(),
            env: env.clone(),
            extra_args: plan_args,
        },
        (None, None) => {
            return Err(OpsError::Invalid(
                "which plan? pass --env <name> (runs terraform plan) or --plan <file> (a saved terraform show -json)"
                    .into(),
            )
            .into())
        }
    };
    let plan = source.load(&target.terraform, |step| eprintln!("{step}"))?;
    let mut req = Requirements::from_plan(&plan)?;
    if let Some(env) = &target.env {
        req.env = Some(env.clone());
    }
    let sdk = docproc_aws::sdk_config().await;
    let facts = preflight::gather(&aws_account::AwsAccount::new(&sdk), &req).await;
    let checks = preflight::evaluate(&req, &facts);
    if json {
        let report = preflight::render_json(&req, &checks, strict);
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", preflight::render_table(&req, &checks));
    }
    Ok(ExitCode::from(Summary::of(&checks).exit_code(strict)))
}

fn review_plan(
    target: &Target,
    plan: &std::path::Path,
    allow_destroy: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(plan)
        .map_err(|e| OpsError::Invalid(format!("cannot read plan {}: {e}", plan.display())))?;
    let options = plan_review::Options {
        env: target.env.clone(),
        allow_destroy,
    };
    let review = Review::from_text(&text, &options)
        .map_err(|e| OpsError::Invalid(format!("{}: {e}", plan.display())))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&review.render_json())?);
    } else {
        print!("{}", review.render_markdown());
    }
    if review.guard.tripped {
        eprintln!(
            "plan review: blocked: the plan destroys or replaces {} stateful resource(s) in {}; \
             pass --allow-destroy (PR label allow-destroy) if that is intended",
            review.guard.stateful_destroys.len(),
            review
                .guard
                .protected_env
                .as_deref()
                .unwrap_or("a protected environment")
        );
    }
    Ok(ExitCode::from(review.exit_code()))
}

fn inspect(
    file: PathBuf,
    content_type: Option<String>,
    filename: Option<String>,
    max_size: u64,
) -> anyhow::Result<ExitCode> {
    let filename = filename.or_else(|| file.file_name().map(|n| n.to_string_lossy().into_owned()));
    let declared = Declared {
        filename,
        content_type,
    };
    let limits = Limits {
        max_size,
        ..Limits::default()
    };
    let report = docproc_engine::inspect_file(&file, &declared, &limits)
        .with_context(|| format!("cannot read {}", file.display()))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if report.verdict.is_accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_REJECTED)
    })
}

struct LoadOptions {
    tap_wait: std::time::Duration,
    mix: String,
    key: Option<String>,
    tier: String,
    api_url: Option<String>,
    report: Option<PathBuf>,
    json: bool,
}

async fn load(
    d: &Deployment,
    target: &Target,
    plan: docproc_load::plan::Plan,
    options: LoadOptions,
) -> anyhow::Result<ExitCode> {
    use docproc_load::{mix, report, run, Check, LoadReport, Summary};
    use std::sync::Arc;
    let mix = match options.mix.as_str() {
        "default" => mix::default_mix()?,
        file => mix::mix_from_manifest(std::path::Path::new(file))?,
    };
    let p = &d.platform;
    let base = options
        .api_url
        .clone()
        .unwrap_or_else(|| p.api_invoke_url.clone());
    let started_at = docproc_core::time_fmt::now();
    // Seconds and a random suffix: two runs started together get their own queue and key.
    let run_id = format!(
        "{}-{:04x}",
        started_at.unix_timestamp(),
        getrandom::u32().unwrap_or(0) & 0xffff
    );
    let plan = docproc_load::plan::Plan {
        run_id: run_id.clone(),
        ..plan
    };

    let replayer = match plan.faults.replay_copies {
        0 => None,
        _ => Some(Arc::new(aws::EventReplayer {
            dynamodb: d.dynamodb(),
            // Only lists versions: no key to encrypt with.
            objects: docproc_aws::s3::S3Objects::new(&d.sdk, p.documents_bucket.clone(), ""),
            lambda: aws_sdk_lambda::Client::new(&d.sdk),
            documents_table: p.documents_table.clone(),
            bucket: p.documents_bucket.clone(),
            processor: p.function("processor")?.to_string(),
            region: d.sdk.region().map(ToString::to_string).unwrap_or_default(),
        })),
    };
    let switch = match plan.faults.outages.first() {
        None => None,
        Some(outage) => {
            // Only the local platform's emulator can be told to fail; AWS
            // has Fault Injection Service for that.
            let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| {
                OpsError::Invalid(format!(
                    "--faults {} needs the local platform (scripts/local): its emulator injects \
                     the fault, and AWS_ENDPOINT_URL is not set. Against AWS, use AWS Fault \
                     Injection Service.",
                    outage.name()
                ))
            })?;
            use docproc_load::ports::Outage;
            let targets = vec![
                (Outage::Table, p.documents_table.clone()),
                (Outage::Sns, p.status_topic_arn.clone()),
                (Outage::ProcessorCrash, p.function("processor")?.to_string()),
            ];
            Some(Arc::new(http::EmulatorFaults::new(&endpoint, targets)?))
        }
    };
    let dead_letters = match plan.redrive {
        false => None,
        true => Some(Arc::new(RedriveAll {
            deployment: d.clone(),
            actor: d.actor().await?,
        })),
    };
    // The run's own key, revoked at the end whatever happens.
    let store = KeyStore::of(d);
    let actor = match options.key {
        Some(_) => String::new(),
        None => d.actor().await?,
    };
    let admin = store.admin(p, &actor);
    let (key, created_key_id) = match &options.key {
        Some(k) => (k.clone(), None),
        None => {
            let request = NewKey {
                client_id: format!("load-{run_id}"),
                level: AccessLevel::ReadWrite,
                tier: options.tier.clone(),
                expires_at: Some(started_at + time::Duration::days(1)),
                description: "docproc load run".into(),
            };
            let issued = admin
                .create(request, random_key_bytes()?, started_at)
                .await?;
            if !issued.incomplete.is_empty() {
                let _ = admin.revoke(&issued.record.key_id).await;
                return Ok(report_incomplete(&issued.incomplete));
            }
            (issued.key, Some(issued.record.key_id))
        }
    };
    let tap = aws::StatusTap::create(
        &d.sdk,
        &p.status_topic_arn,
        &format!("{}-load-{run_id}", p.name_prefix),
    )
    .await;
    let outcome = match tap {
        Ok(tap) => {
            let tap = Arc::new(tap);
            let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let last_tenth = std::sync::atomic::AtomicUsize::new(usize::MAX);
            let running = async {
                if !options.tap_wait.is_zero() {
                    eprintln!(
                        "waiting {} s for the status tap's queue policy to apply",
                        options.tap_wait.as_secs()
                    );
                    tokio::time::sleep(options.tap_wait).await;
                }
                let api = Arc::new(http::HttpApi::new(&base, &key)?);
                let progress = move |pr: run::Progress| {
                    if interactive {
                        eprint!(
                            "\rsent {}/{}, settled {}/{}   ",
                            pr.sent, pr.total, pr.settled, pr.total
                        );
                    } else {
                        let tenth = pr.settled * 10 / pr.total.max(1);
                        if last_tenth.swap(tenth, std::sync::atomic::Ordering::AcqRel) != tenth {
                            eprintln!(
                                "sent {}/{}, settled {}/{}",
                                pr.sent, pr.total, pr.settled, pr.total
                            );
                        }
                    }
                };
                let mix = Arc::new(mix);
                let result = run::run(
                    api,
                    tap.clone(),
                    replayer,
                    dead_letters,
                    switch,
                    mix,
                    &plan,
                    progress,
                )
                .await;
                anyhow::Ok(result)
            };
            // Ctrl-C (from the tap's wait on) stops the run but not its
            // cleanup: the tap and the key go.
            let result = tokio::select! {
                r = running => Some(r),
                _ = tokio::signal::ctrl_c() => None,
            };
            if interactive {
                eprintln!();
            }
            if result.is_none() {
                eprintln!("interrupted: removing the run's status tap and revoking its key");
            }
            tap.remove().await;
            result.transpose()
        }
        Err(e) => Err(e.into()),
    };
    if let Some(key_id) = &created_key_id {
        if let Err(e) = admin.revoke(key_id).await {
            eprintln!(
                "could not revoke the run's key {key_id}: {e}; run `docproc keys revoke {key_id}`"
            );
        }
    }
    let Some(result) = outcome? else {
        return Ok(ExitCode::from(130));
    };

    let mut checks = result.checks;
    let mut waiting = Vec::new();
    for (kind, url) in &p.dlq_urls {
        let queue = aws::SqsQueue {
            client: aws_sdk_sqs::Client::new(&d.sdk),
            url: url.clone(),
        };
        match dlq::peek(&queue, 10).await {
            Ok(m) if m.is_empty() => {}
            Ok(m) => waiting.push(format!(
                "{kind}: {}{}",
                m.len(),
                if m.len() == 10 { "+" } else { "" }
            )),
            Err(e) => waiting.push(format!("{kind}: unreadable ({e})")),
        }
    }
    checks.push(Check {
        name: "dead-letter queues empty".into(),
        passed: waiting.is_empty(),
        detail: if waiting.is_empty() {
            format!("{} queues empty", p.dlq_urls.len())
        } else {
            format!(
                "messages waiting: {}; see `docproc dlq list`",
                waiting.join(", ")
            )
        },
    });
    let summary = Summary::of(&result.samples, result.duration_s);
    let report = LoadReport {
        target: format!(
            "{} ({base})",
            target.env.clone().unwrap_or_else(|| p.name_prefix.clone())
        ),
        started_at: docproc_core::time_fmt::format(started_at),
        concurrency: plan.concurrency,
        summary,
        checks,
        fault_windows: result.fault_windows,
        samples: result.samples,
    };
    if let Some(file) = &options.report {
        std::fs::write(file, report::render_html(&report))
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    if options.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report::render_table(&report));
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(4)
    })
}

fn random_key_bytes() -> anyhow::Result<[u8; 32]> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
    Ok(random)
}

async fn keys(d: &Deployment, command: KeysCommand, json: bool) -> anyhow::Result<ExitCode> {
    let p = &d.platform;
    let store = KeyStore::of(d);
    let actor = match command {
        KeysCommand::List { .. } => String::new(),
        _ => d.actor().await?,
    };
    let admin = store.admin(p, &actor);
    let now = docproc_core::time_fmt::now();
    let cache_note = format!(
        "API Gateway caches authorizer decisions for up to {} s: requests already cached may still \
         succeed until then.",
        p.authorizer_cache_ttl_seconds
    );
    match command {
        KeysCommand::Create {
            client,
            level,
            tier,
            expires,
            description,
        } => {
            let level: AccessLevel = level
                .parse()
                .map_err(|_| OpsError::Invalid(format!("unknown level {level:?}")))?;
            let expires_at = expires.as_deref().map(parse_expiry).transpose()?;
            let request = NewKey {
                client_id: client,
                level,
                tier,
                expires_at,
                description,
            };
            let issued = admin.create(request, random_key_bytes()?, now).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&issued_view(&issued))?);
            } else {
                print_issued(&issued.key, &issued.record);
            }
            return Ok(report_incomplete(&issued.incomplete));
        }
        KeysCommand::List { client } => {
            let records = admin.list(client.as_deref()).await?;
            if json {
                let rows: Vec<_> = records.iter().map(public_view).collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:<12}  {:<20} {:<10} {:<9} {:<9} {:<30}  {:<30}  DESCRIPTION",
                    "KEY ID", "CLIENT", "LEVEL", "TIER", "STATUS", "CREATED", "EXPIRES"
                );
                for k in &records {
                    println!(
                        "{:<12}  {:<20} {:<10} {:<9} {:<9} {:<30}  {:<30}  {}",
                        k.key_id,
                        k.client_id,
                        k.level.as_str(),
                        k.tier,
                        k.status.as_str(),
                        k.created_at,
                        k.expires_at.as_deref().unwrap_or("never"),
                        k.description
                    );
                }
            }
        }
        KeysCommand::Revoke { key_id } => {
            let k = admin.revoke(&key_id).await?;
            print_state_change(&k, "revoked", Some(&cache_note), json)?;
        }
        KeysCommand::Disable { key_id } => {
            let k = admin.disable(&key_id).await?;
            print_state_change(&k, "disabled", Some(&cache_note), json)?;
        }
        KeysCommand::Enable { key_id } => {
            let k = admin.enable(&key_id).await?;
            print_state_change(&k, "enabled", None, json)?;
        }
        KeysCommand::Rotate {
            key_id,
            grace_hours,
        } => {
            let grace = time::Duration::hours(grace_hours.into());
            let (issued, old) = admin
                .rotate(&key_id, grace, random_key_bytes()?, now)
                .await?;
            if json {
                let mut view = issued_view(&issued);
                view["replaces"] = public_view(&old);
                view["replaces"]["audit_trail"] = key_trail(&old.key_id).into();
                println!("{}", serde_json::to_string_pretty(&view)?);
                return Ok(report_incomplete(&issued.incomplete));
            }
            print_issued(&issued.key, &issued.record);
            println!(
                "old key {} keeps working until {}; audit trail {}",
                old.key_id,
                old.expires_at.as_deref().unwrap_or("-"),
                key_trail(&old.key_id)
            );
            return Ok(report_incomplete(&issued.incomplete));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Follow-up steps that failed after a key was stored (and printed): said on
/// stderr, with exit status 1 so scripts notice, while the key stays valid.
fn report_incomplete(incomplete: &[String]) -> ExitCode {
    for step in incomplete {
        eprintln!("incomplete: {step}");
    }
    if incomplete.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_issued(key: &str, record: &ApiKeyRecord) {
    println!("key:     {key}");
    println!("key id:  {}", record.key_id);
    println!(
        "client:  {}  level: {}  tier: {}  expires: {}",
        record.client_id,
        record.level.as_str(),
        record.tier,
        record.expires_at.as_deref().unwrap_or("never")
    );
    println!(
        "Store the key now: it is shown only once (the permissions table keeps only its SHA-256 hash; \
         its API Gateway key, which usage plans meter, holds the value)."
    );
}

/// `--json` of a new key: the key itself (shown only this once), its record and
/// any follow-up step that failed.
fn issued_view(issued: &IssuedKey) -> serde_json::Value {
    let mut view = public_view(&issued.record);
    view["key"] = issued.key.clone().into();
    view["incomplete"] = issued.incomplete.clone().into();
    view
}

fn print_state_change(
    k: &ApiKeyRecord,
    done: &str,
    cache_note: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let mut view = public_view(k);
        view["note"] = cache_note.into();
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        println!(
            "{done} key {} of {}.{}",
            k.key_id,
            k.client_id,
            cache_note.map(|n| format!(" {n}")).unwrap_or_default()
        );
    }
    Ok(())
}

fn public_view(k: &ApiKeyRecord) -> serde_json::Value {
    serde_json::json!({
        "key_id": k.key_id, "client_id": k.client_id, "level": k.level.as_str(), "tier": k.tier,
        "status": k.status.as_str(), "created_at": k.created_at, "expires_at": k.expires_at,
        "description": k.description,
    })
}

async fn dead_letters(d: &Deployment, command: DlqCommand, json: bool) -> anyhow::Result<ExitCode> {
    let (DlqCommand::List { queue: kind, .. }
    | DlqCommand::Show { queue: kind, .. }
    | DlqCommand::Redrive { queue: kind, .. }) = command;
    let queue = d.dlq(kind)?;
    match command {
        DlqCommand::List { max, .. } => {
            let messages = dlq::peek(&queue, max).await?;
            if json {
                let rows: Vec<_> = messages
                    .iter()
                    .map(|m| match dlq::parse_message(m) {
                        Ok(e) => serde_json::json!({
                            "message_id": e.message_id, "failed_at": e.failed_at,
                            "attempts": e.attempts, "documents": e.documents, "error": e.error,
                        }),
                        Err(err) => serde_json::json!({
                            "message_id": m.message_id, "unreadable": err.to_string(),
                        }),
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{} failed events in the {} dead-letter queue",
                messages.len(),
                kind.as_str()
            );
            for m in &messages {
                match dlq::parse_message(m) {
                    Ok(e) => println!(
                        "{}  {}  attempts={}  documents={}  {}",
                        e.message_id,
                        e.failed_at.as_deref().unwrap_or("-"),
                        e.attempts.map_or("-".into(), |a| a.to_string()),
                        if e.documents.is_empty() {
                            "-".into()
                        } else {
                            e.documents.join(",")
                        },
                        e.error
                    ),
                    Err(err) => println!("{}  unreadable: {err}", m.message_id),
                }
            }
        }
        DlqCommand::Show { max, .. } => {
            let shown: Vec<_> = dlq::peek(&queue, max)
                .await?
                .iter()
                .map(|m| match dlq::parse_message(m) {
                    Ok(e) => serde_json::to_value(e).unwrap_or_default(),
                    Err(err) => serde_json::json!({"message_id": m.message_id, "error": err.to_string(), "body": m.body}),
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&shown)?);
        }
        DlqCommand::Redrive {
            max,
            dry_run,
            discard_poison,
            ..
        } => {
            let function = d.platform.function(kind.as_str())?;
            let actor = if dry_run {
                String::new()
            } else {
                d.actor().await?
            };
            let results = d
                .redrive(kind, &queue, max, dry_run, discard_poison, &actor)
                .await?;
            let failures = results
                .iter()
                .filter(|r| matches!(r, RedriveResult::Failed { .. }))
                .count();
            if json {
                let report = serde_json::json!({
                    "queue": kind.as_str(), "function": function, "dry_run": dry_run,
                    "total": results.len(), "failed": failures, "results": results,
                });
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(if failures > 0 {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                });
            }
            for r in &results {
                match r {
                    RedriveResult::WouldRedrive { event } => {
                        println!(
                            "would redrive {} -> {function}  ({})",
                            event.message_id, event.error
                        )
                    }
                    RedriveResult::Redriven { event } => println!(
                        "redriven {}  documents={}",
                        event.message_id,
                        event.documents.join(",")
                    ),
                    RedriveResult::Failed { message_id, error } => {
                        eprintln!("kept {message_id} in the queue: {error}");
                    }
                    RedriveResult::Discarded { event, reason } => println!(
                        "discarded poison record {}  documents={}  ({reason})",
                        event.message_id,
                        event.documents.join(",")
                    ),
                }
            }
            println!(
                "{} of {} messages redriven{}",
                results.len() - failures,
                results.len(),
                if dry_run { " (dry run)" } else { "" }
            );
            if failures > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
