//! One schedule: clients upload documents through the real API handler and
//! post presigned forms again; S3 delivers each new version's event at least
//! once (duplicates arrive concurrently or late, in any order) to the real
//! processor, which Lambda retries after an error or a crash and finally
//! dead-letters; the real notifier consumes the documents table's stream;
//! readers verify audit trails through the API while all of this runs. One
//! seeded executor polls one task at a time, so the seed is the schedule.
//! Afterwards the dead-letter queue is redriven (as `docproc dlq redrive`
//! does) and the stream drained, with faults off.

use crate::ports::{Bucket, Gated};
use crate::rng::Rng;
use crate::sched::{FaultRates, Role, Sched};
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use base64::Engine;
use docproc_core::memory::{ItemChange, MemoryAudit, MemoryDocuments, MemoryPublisher};
use docproc_core::s3key::incoming_key;
use docproc_engine::{Declared, Limits, Reason, Rejection, Source, Verdict};
use docproc_processor::{Config, ObjectVersion, Outcome, Processor};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

pub const CLIENT: &str = "acme";
/// Async invocations are tried this many times before the event goes to the
/// on-failure destination (Lambda's default: the first try and 2 retries).
pub const ATTEMPTS: u32 = 3;
/// No schedule may take more executor steps than this (a bounded loop).
const MAX_STEPS: u64 = 200_000;

/// What one document is uploaded as, and what is posted over it later.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// The kinds of document a schedule draws from: accepted and rejected ones.
pub fn upload_kinds() -> Vec<Upload> {
    vec![
        Upload {
            filename: "minutes.txt",
            content_type: "text/plain",
            body: b"Board minutes, 6 December 2026.\nAll motions carried.\n".to_vec(),
        },
        Upload {
            filename: "ledger.csv",
            content_type: "text/csv",
            body: b"date,account,amount\n2026-12-01,4000,12.50\n2026-12-02,4010,99.00\n".to_vec(),
        },
        // Text declared as a PDF: rejected (type_mismatch) and quarantined.
        Upload {
            filename: "invoice.pdf",
            content_type: "application/pdf",
            body: b"not a pdf at all, just text pretending\n".to_vec(),
        },
    ]
}

/// Bytes posted over a document with its form after the first upload.
pub fn overwrite_bodies() -> Vec<Vec<u8>> {
    vec![
        b"Board minutes, 6 December 2026.\nAll motions REJECTED.\n".to_vec(),
        b"%PDF-1.7 replaced\n".to_vec(),
        b"<svg onload=alert(1)/>".to_vec(),
    ]
}

thread_local! {
    /// The engine's time budget, drawn per inspection from the schedule's
    /// seed: the same version can be judged differently by two deliveries.
    static BUDGET: RefCell<(Rng, f64)> = RefCell::new((Rng::new(0), 0.0));
}

/// The real engine, except that with the schedule's probability the time
/// budget runs out first (`too_complex`), as it may on a busy sandbox.
fn budgeted_engine(src: &dyn Source, declared: &Declared, limits: &Limits) -> Verdict {
    let out_of_time = BUDGET.with(|b| {
        let (rng, p) = &mut *b.borrow_mut();
        rng.chance(*p)
    });
    if out_of_time {
        return Verdict::Rejected(Rejection::new(
            Reason::TooComplex,
            "the time budget ran out (simulated)",
        ));
    }
    docproc_engine::inspect(src, declared, limits)
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub documents: usize,
    pub rates: FaultRates,
    /// Chance that an S3 event is delivered twice.
    pub duplicate: f64,
    /// Chance that a document's form is posted again (each time, up to 2).
    pub overwrite: f64,
    /// Chance that one inspection runs out of time.
    pub budget_out: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            documents: 2,
            rates: FaultRates {
                transient: 0.04,
                crash: 0.03,
            },
            duplicate: 0.4,
            overwrite: 0.5,
            budget_out: 0.15,
        }
    }
}

/// What one document's client did, for the invariants.
#[derive(Debug, Clone, Default)]
pub struct ClientLog {
    pub document_id: Option<String>,
    pub upload: Option<usize>,
}

#[derive(Debug, Clone)]
enum Job {
    Upload { doc: usize },
    Overwrite { doc: usize, body: usize },
    Deliver { event: ObjectVersion, attempt: u32 },
    Notifier,
    AuditRead { doc: usize },
}

impl Job {
    fn role(&self) -> Role {
        match self {
            Job::Upload { .. } => Role::Api,
            Job::Overwrite { .. } => Role::Reader,
            Job::Deliver { .. } => Role::Processor,
            Job::Notifier => Role::Notifier,
            Job::AuditRead { .. } => Role::Reader,
        }
    }
}

enum End {
    Done,
    Invocation(Result<Outcome, String>),
}

type TaskFuture<'a> = Pin<Box<dyn Future<Output = End> + 'a>>;

struct Task<'a> {
    id: u64,
    job: Job,
    future: TaskFuture<'a>,
}

/// Everything a schedule leaves behind, for the invariants.
#[derive(Debug, Default)]
pub struct World {
    pub documents: MemoryDocuments,
    pub audit: MemoryAudit,
    pub bucket: Bucket,
    pub published: MemoryPublisher,
    pub clients: Mutex<Vec<ClientLog>>,
    /// Every audit verification a reader got while the pipeline ran.
    pub audit_reads: Mutex<Vec<Value>>,
    /// Invocations that failed every attempt (the processor's DLQ).
    pub dead_letters: Mutex<Vec<ObjectVersion>>,
    pub invocations: AtomicUsize,
    /// Events that reached the dead-letter queue (before the redrive).
    pub dead_lettered: AtomicUsize,
    /// Records the notifier could not read (there must be none).
    pub poison: Mutex<Vec<String>>,
    /// The notifier's position in the stream (its checkpoint).
    checkpoint: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct Run<'a> {
    pub world: &'a World,
    pub sched: &'a Sched,
    pub options: Options,
    uploads: Vec<Upload>,
    config: Config,
    api_config: docproc_api::Config,
}

impl<'a> Run<'a> {
    pub fn new(
        world: &'a World,
        sched: &'a Sched,
        options: Options,
        scratch: &std::path::Path,
    ) -> Self {
        BUDGET.with(|b| {
            *b.borrow_mut() = (
                Rng::new(sched.with_rng(|r| r.next_u64())),
                options.budget_out,
            )
        });
        Run {
            world,
            sched,
            options,
            uploads: upload_kinds(),
            config: Config {
                max_document_bytes: 1 << 20,
                scratch_dir: scratch.to_path_buf(),
                limits: Limits::default(),
                inspector: budgeted_engine,
                inspect_on_blocking_thread: false,
            },
            api_config: docproc_api::Config::default(),
        }
    }

    fn docs(&self) -> Gated<'a, MemoryDocuments> {
        Gated {
            inner: &self.world.documents,
            sched: self.sched,
        }
    }
    fn audit(&self) -> Gated<'a, MemoryAudit> {
        Gated {
            inner: &self.world.audit,
            sched: self.sched,
        }
    }
    fn objects(&self) -> Gated<'a, Bucket> {
        Gated {
            inner: &self.world.bucket,
            sched: self.sched,
        }
    }

    /// The whole schedule: the pipeline with faults, then the redrive.
    pub fn run(&self) -> Result<(), String> {
        *lock(&self.world.clients) = vec![ClientLog::default(); self.options.documents];
        let mut start = vec![(0, Job::Notifier)];
        for doc in 0..self.options.documents {
            start.push((self.rng(|r| r.below(20)), Job::Upload { doc }));
            for _ in 0..2 {
                start.push((self.rng(|r| r.between(10, 400)), Job::AuditRead { doc }));
            }
        }
        self.execute(start)?;
        // `docproc dlq redrive`: every dead-lettered event again, faults off.
        self.sched.set_rates(FaultRates::NONE);
        self.sched.set_producers_done(false);
        let redrive: Vec<(u64, Job)> = std::mem::take(&mut *lock(&self.world.dead_letters))
            .into_iter()
            .map(|event| (0, Job::Deliver { event, attempt: 0 }))
            .chain([(0, Job::Notifier)])
            .collect();
        self.execute(redrive)?;
        let left = lock(&self.world.dead_letters).len();
        if left > 0 {
            return Err(format!("{left} events failed again after the redrive"));
        }
        Ok(())
    }

    fn rng<T>(&self, f: impl FnOnce(&mut Rng) -> T) -> T {
        self.sched.with_rng(f)
    }

    fn execute(&self, start: Vec<(u64, Job)>) -> Result<(), String> {
        let mut delayed: Vec<(u64, Job)> = start;
        let mut tasks: Vec<Task<'_>> = Vec::new();
        let mut next_id = 0u64;
        let mut cx = Context::from_waker(Waker::noop());
        for step in 0..MAX_STEPS {
            // New versions in incoming/: S3 sends each event at least once.
            for event in std::mem::take(&mut *lock(&self.world.bucket.events)) {
                delayed.push((
                    step + self.rng(|r| r.below(5)),
                    Job::Deliver {
                        event: event.clone(),
                        attempt: 0,
                    },
                ));
                if self.rng(|r| r.chance(self.options.duplicate)) {
                    let late = self.rng(|r| {
                        if r.chance(0.5) {
                            r.below(3)
                        } else {
                            r.between(20, 300)
                        }
                    });
                    delayed.push((step + late, Job::Deliver { event, attempt: 0 }));
                }
            }
            let (due, later): (Vec<_>, Vec<_>) =
                delayed.into_iter().partition(|(at, _)| *at <= step);
            delayed = later;
            for (_, job) in due {
                next_id += 1;
                tasks.push(Task {
                    id: next_id,
                    future: self.start(&job),
                    job,
                });
            }
            let producing = delayed.iter().any(|(_, j)| j.role() != Role::Notifier)
                || tasks
                    .iter()
                    .any(|t| !matches!(t.job, Job::Notifier | Job::AuditRead { .. }));
            self.sched.set_producers_done(!producing);
            if tasks.is_empty() {
                if delayed.is_empty() {
                    return Ok(());
                }
                continue;
            }
            let i = self.rng(|r| r.below(tasks.len() as u64)) as usize;
            self.sched.set_current(tasks[i].id, tasks[i].job.role());
            let end = match tasks[i].future.as_mut().poll(&mut cx) {
                Poll::Ready(end) => Some(end),
                Poll::Pending if self.sched.take_crashed(tasks[i].id) => {
                    Some(End::Invocation(Err("the sandbox crashed".into())))
                }
                Poll::Pending => None,
            };
            if let Some(end) = end {
                let task = tasks.swap_remove(i);
                drop(task.future);
                if let Some(retry) = self.after(task.job, end)? {
                    delayed.push((step + self.rng(|r| r.between(5, 60)), retry));
                }
            }
        }
        Err(format!(
            "the schedule did not finish within {MAX_STEPS} steps"
        ))
    }

    /// What follows a finished task: Lambda's retry of a failed invocation,
    /// or the dead-letter queue after the last attempt.
    fn after(&self, job: Job, end: End) -> Result<Option<Job>, String> {
        match (job, end) {
            (Job::Deliver { event, attempt }, End::Invocation(Err(_))) => {
                if attempt + 1 < ATTEMPTS {
                    return Ok(Some(Job::Deliver {
                        event,
                        attempt: attempt + 1,
                    }));
                }
                self.world.dead_lettered.fetch_add(1, Ordering::SeqCst);
                lock(&self.world.dead_letters).push(event);
                Ok(None)
            }
            (Job::Upload { doc }, End::Done) => {
                // The form may be posted again later, with other bytes.
                if self.rng(|r| r.chance(self.options.overwrite)) {
                    let body = self.rng(|r| r.below(overwrite_bodies().len() as u64)) as usize;
                    return Ok(Some(Job::Overwrite { doc, body }));
                }
                Ok(None)
            }
            (Job::Overwrite { doc, .. }, End::Done)
                if self.rng(|r| r.chance(self.options.overwrite / 2.0)) =>
            {
                let body = self.rng(|r| r.below(overwrite_bodies().len() as u64)) as usize;
                Ok(Some(Job::Overwrite { doc, body }))
            }
            _ => Ok(None),
        }
    }

    fn start(&self, job: &Job) -> TaskFuture<'a> {
        let this = Run {
            world: self.world,
            sched: self.sched,
            options: self.options,
            uploads: self.uploads.clone(),
            config: self.config.clone(),
            api_config: self.api_config.clone(),
        };
        let job = job.clone();
        Box::pin(async move {
            match job {
                Job::Upload { doc } => this.upload(doc).await,
                Job::Overwrite { doc, body } => this.overwrite(doc, body),
                Job::Deliver { event, .. } => this.deliver(event).await,
                Job::Notifier => this.notifier().await,
                Job::AuditRead { doc } => this.audit_read(doc).await,
            }
        })
    }

    async fn api_call(&self, request: Value) -> ApiGatewayProxyResponse {
        let api = docproc_api::Api {
            documents: &self.docs(),
            audit: &self.audit(),
            objects: &self.objects(),
            config: &self.api_config,
        };
        let request: ApiGatewayProxyRequest = match serde_json::from_value(request) {
            Ok(r) => r,
            Err(e) => return error_response(&e.to_string()),
        };
        api.handle(&request).await
    }

    /// POST /documents, retried with its Idempotency-Key on a 5xx.
    async fn upload(&self, doc: usize) -> End {
        let kind = self.rng(|r| r.below(self.uploads.len() as u64)) as usize;
        let upload = &self.uploads[kind];
        let body = json!({
            "filename": upload.filename, "content_type": upload.content_type,
            "content_base64": base64::engine::general_purpose::STANDARD.encode(&upload.body),
        });
        lock(&self.world.clients)[doc].upload = Some(kind);
        for _ in 0..8 {
            let request = api_request("POST", "/documents", Some(&body), &format!("upload-{doc}"));
            let response = self.api_call(request).await;
            if response.status_code == 201 || response.status_code == 200 {
                if let Some(id) = response_json(&response)["document_id"].as_str() {
                    lock(&self.world.clients)[doc].document_id = Some(id.to_string());
                }
                return End::Done;
            }
        }
        End::Done
    }

    /// The client posts its presigned form again: straight to S3.
    fn overwrite(&self, doc: usize, body: usize) -> End {
        let id = lock(&self.world.clients)[doc].document_id.clone();
        if let Some(id) = id {
            let body = overwrite_bodies()[body].clone();
            self.world
                .bucket
                .post(&incoming_key(CLIENT, &id), body, "client-form 203.0.113.7");
        }
        End::Done
    }

    async fn deliver(&self, event: ObjectVersion) -> End {
        self.world.invocations.fetch_add(1, Ordering::SeqCst);
        let processor = Processor {
            documents: &self.docs(),
            audit: &self.audit(),
            objects: &self.objects(),
            config: &self.config,
        };
        End::Invocation(processor.process(&event).await.map_err(|e| e.to_string()))
    }

    /// The stream's consumer: batches of up to 3 records from the checkpoint,
    /// each through the real notifier; a reported failure moves the
    /// checkpoint to that record (Lambda retries from it), a success past
    /// the batch. It ends once nothing can write to the table any more.
    async fn notifier(&self) -> End {
        let publisher = Gated {
            inner: &self.world.published,
            sched: self.sched,
        };
        loop {
            let from = self.world.checkpoint.load(Ordering::SeqCst);
            let batch: Vec<ItemChange> = lock(&self.world.documents.stream)
                .iter()
                .skip(from)
                .take(3)
                .cloned()
                .collect();
            if batch.is_empty() {
                if self.sched.producers_done() {
                    return End::Done;
                }
                self.sched.idle().await;
                continue;
            }
            let event = stream_event(&batch, from);
            let response = match docproc_notifier::notify(&publisher, &event).await {
                Ok(response) => response,
                Err(poison) => {
                    // Every image the pipeline writes is readable.
                    lock(&self.world.poison).push(poison.to_string());
                    return End::Done;
                }
            };
            let next = match response.batch_item_failures.first() {
                Some(failure) => failure
                    .item_identifier
                    .as_deref()
                    .and_then(|s| s.parse::<usize>().ok())
                    .unwrap_or(from),
                None => from + batch.len(),
            };
            self.world.checkpoint.store(next, Ordering::SeqCst);
            self.sched.idle().await;
        }
    }

    /// GET /documents/{id}/audit while the pipeline writes to the trail.
    async fn audit_read(&self, doc: usize) -> End {
        let id = lock(&self.world.clients)[doc].document_id.clone();
        if let Some(id) = id {
            let response = self
                .api_call(api_request(
                    "GET",
                    &format!("/documents/{id}/audit"),
                    None,
                    "",
                ))
                .await;
            if response.status_code == 200 {
                let body = response_json(&response);
                lock(&self.world.audit_reads)
                    .push(json!({"document_id": id, "verification": body["verification"]}));
            }
        }
        End::Done
    }
}

fn error_response(message: &str) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 599;
    response.body = Some(Body::Text(message.to_string()));
    response
}

fn response_json(r: &ApiGatewayProxyResponse) -> Value {
    match &r.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// A proxy request as API Gateway sends it, after the authorizer allowed a
/// read-write key of the client.
fn api_request(method: &str, path: &str, body: Option<&Value>, idempotency_key: &str) -> Value {
    let mut headers = json!({"Content-Type": "application/json"});
    if !idempotency_key.is_empty() {
        headers["Idempotency-Key"] = json!(idempotency_key);
    }
    json!({
        "resource": path, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {}, "queryStringParameters": null, "multiValueQueryStringParameters": null,
        "pathParameters": null, "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012", "resourceId": "r1", "stage": "sim", "requestId": "sim",
            "identity": {"sourceIp": "203.0.113.7"}, "resourcePath": path, "httpMethod": method, "apiId": "sim",
            "authorizer": {"principalId": CLIENT, "client_id": CLIENT, "level": "read-write", "key_id": "sim-key"}
        },
        "body": body.map(Value::to_string), "isBase64Encoded": false
    })
}

/// A documents-table stream batch in the Lambda event format
/// (`NEW_AND_OLD_IMAGES`), sequence numbers being stream positions.
fn stream_event(batch: &[ItemChange], from: usize) -> aws_lambda_events::dynamodb::Event {
    let records: Vec<Value> = batch
        .iter()
        .enumerate()
        .map(|(i, change)| {
            let mut dynamodb = json!({
                "Keys": {"document_id": {"S": change.new.document_id}},
                "NewImage": image(&change.new),
                "SequenceNumber": (from + i).to_string(),
                "SizeBytes": 100,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
                "ApproximateCreationDateTime": 1_795_827_723.0,
            });
            if let Some(old) = &change.old {
                dynamodb["OldImage"] = image(old);
            }
            json!({
                "eventID": format!("e{}", from + i),
                "eventName": if change.old.is_some() { "MODIFY" } else { "INSERT" },
                "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/sim-documents/stream/2026-12-06T00:00:00.000",
                "dynamodb": dynamodb,
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap_or_default()
}

/// The item as DynamoDB JSON, with the attributes the notifier reads.
fn image(doc: &docproc_core::document::Document) -> Value {
    let mut item = json!({
        "document_id": {"S": doc.document_id}, "client_id": {"S": doc.client_id},
        "status": {"S": doc.status.as_str()}, "updated_at": {"S": doc.updated_at},
    });
    if let Some(code) = &doc.reason_code {
        item["reason_code"] = json!({"S": code});
    }
    if let Some(message) = &doc.reason_message {
        item["reason_message"] = json!({"S": message});
    }
    if !doc.refused_versions.is_empty() {
        item["refused_versions"] = json!({"SS": doc.refused_versions});
    }
    item
}
