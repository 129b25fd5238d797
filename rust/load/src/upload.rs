//! Sending one document: inline (`POST /documents`) or through a presigned
//! form, each request retried on throttles and server errors.

use crate::measure::ms_since;
use crate::measure::{Outcome, Sample, UploadKind};
use crate::mix::Fixture;
use crate::plan::Plan;
use crate::ports::{HttpResult, LoadApi};
use crate::retry::{error_code, with_retries};
use crate::tasks::lock;
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A presigned upload's form, kept for `overwrite`: url, fields, the bytes.
#[derive(Clone)]
pub(crate) struct Form {
    pub(crate) url: String,
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) bytes: Arc<Vec<u8>>,
}

/// Each presigned document's form, by document id.
pub(crate) type Forms = HashMap<String, Form>;

pub(crate) async fn upload<A: LoadApi>(
    api: &A,
    f: &Fixture,
    i: usize,
    plan: &Plan,
    start: Instant,
    forms: &Mutex<Forms>,
) -> Sample {
    let idempotency_key = format!("docproc-load-{}-{i}", plan.run_id);
    let presigned = f.bytes.len() > plan.inline_limit
        || (plan.presigned_every > 0 && i % plan.presigned_every == plan.presigned_every - 1);
    let sent_at_ms = ms_since(start);
    let t0 = Instant::now();
    let (result, retries) = if presigned {
        upload_presigned(api, f, &idempotency_key, plan, forms).await
    } else {
        let body = json!({
            "filename": f.filename,
            "content_type": f.content_type,
            "content_base64": base64::engine::general_purpose::STANDARD.encode(f.bytes.as_slice()),
        });
        let (answer, retries) = with_retries(plan, || {
            api.post_json("/documents", &body, &idempotency_key)
        })
        .await;
        (created_id(&answer, 201), retries)
    };
    let api_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let (document_id, outcome) = match result {
        Ok(id) => (Some(id), Outcome::TimedOut),
        Err(code) => (None, Outcome::UploadFailed { code }),
    };
    Sample {
        fixture: f.name.clone(),
        api_ms: document_id.as_ref().map(|_| api_ms),
        document_id,
        bytes: f.bytes.len() as u64,
        upload: if presigned {
            UploadKind::Presigned
        } else {
            UploadKind::Inline
        },
        sent_at_ms,
        terminal_ms: None,
        expected: f.expected.clone(),
        outcome,
        retries,
    }
}

fn created_id(answer: &HttpResult, want: u16) -> Result<String, String> {
    match answer {
        Ok(a) if a.status == want => serde_json::from_slice::<Value>(&a.body)
            .ok()
            .and_then(|v| v["document_id"].as_str().map(str::to_string))
            .ok_or_else(|| "no_document_id".to_string()),
        _ => Err(error_code(answer)),
    }
}

async fn upload_presigned<A: LoadApi>(
    api: &A,
    f: &Fixture,
    idempotency_key: &str,
    plan: &Plan,
    forms: &Mutex<Forms>,
) -> (Result<String, String>, u32) {
    use md5::Digest as _;
    let md5 =
        base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(f.bytes.as_slice()));
    let body = json!({
        "filename": f.filename,
        "content_type": f.content_type,
        "size": f.bytes.len(),
        "content_md5": md5,
    });
    let (answer, mut retries) = with_retries(plan, || {
        api.post_json("/documents/uploads", &body, idempotency_key)
    })
    .await;
    let id = match created_id(&answer, 201) {
        Ok(id) => id,
        Err(code) => return (Err(code), retries),
    };
    let upload: Value = answer
        .ok()
        .and_then(|a| serde_json::from_slice::<Value>(&a.body).ok())
        .map(|v| v["upload"].clone())
        .unwrap_or_default();
    let (Some(url), Some(fields)) = (upload["url"].as_str(), upload["fields"].as_object()) else {
        return (Err("no_upload_form".into()), retries);
    };
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    // S3 answers 204 (no success_action_status in the form).
    let (answer, more) = with_retries(plan, || api.post_form(url, &fields, f.bytes.clone())).await;
    retries += more;
    match answer {
        Ok(a) if (200..300).contains(&a.status) => {
            let form = Form {
                url: url.to_string(),
                fields,
                bytes: f.bytes.clone(),
            };
            lock(forms).insert(id.clone(), form);
            (Ok(id), retries)
        }
        other => (Err(format!("s3_{}", error_code(&other))), retries),
    }
}
