//! The API handler against in-memory stores, with real-shaped proxy events:
//! every route, every level, the error paths.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use base64::Engine;
use docproc_api::{Api, Config};
use docproc_core::document::DocumentStatus;
use docproc_core::memory::{MemoryAudit, MemoryDocuments, MemoryObjects};
use docproc_core::ports::{DocumentRepository, OutcomeWrite, ProcessingOutcome};
use serde_json::{json, Value};

#[derive(Default)]
struct World {
    documents: MemoryDocuments,
    audit: MemoryAudit,
    objects: MemoryObjects,
}

struct Req {
    v: Value,
}

fn req(method: &str, path: &str, level: &str, client: &str) -> Req {
    let mut v: Value = serde_json::from_str(include_str!("fixtures/proxy-request.json")).unwrap();
    v["httpMethod"] = json!(method);
    v["path"] = json!(path);
    v["requestContext"]["authorizer"]["level"] = json!(level);
    v["requestContext"]["authorizer"]["client_id"] = json!(client);
    Req { v }
}

impl Req {
    fn body(mut self, b: Value) -> Self {
        self.v["body"] = json!(b.to_string());
        self
    }
    fn raw_body(mut self, b: &str) -> Self {
        self.v["body"] = json!(b);
        self
    }
    fn header(mut self, k: &str, val: &str) -> Self {
        self.v["headers"][k] = json!(val);
        self
    }
    fn query(mut self, k: &str, val: &str) -> Self {
        if self.v["queryStringParameters"].is_null() {
            self.v["queryStringParameters"] = json!({});
        }
        self.v["queryStringParameters"][k] = json!(val);
        self.v["multiValueQueryStringParameters"] = json!({});
        self.v["multiValueQueryStringParameters"][k] = json!([val]);
        self
    }
    fn no_authorizer(mut self) -> Self {
        self.v["requestContext"]["authorizer"] = json!({});
        self
    }
    fn build(self) -> ApiGatewayProxyRequest {
        serde_json::from_value(self.v).unwrap()
    }
}

fn inline(filename: &str, ct: &str, bytes: &[u8]) -> Value {
    json!({"filename": filename, "content_type": ct, "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

fn body(r: &ApiGatewayProxyResponse) -> Value {
    match &r.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

fn test_config() -> Config {
    Config {
        inline_max_bytes: 1024,
        upload_max_bytes: 1 << 30,
        ..Config::default()
    }
}

impl World {
    async fn call(&self, r: Req) -> (i64, Value) {
        let resp = self.respond(r, &test_config()).await;
        (resp.status_code, body(&resp))
    }

    async fn respond(&self, r: Req, config: &Config) -> ApiGatewayProxyResponse {
        let api = Api {
            documents: &self.documents,
            audit: &self.audit,
            objects: &self.objects,
            config,
        };
        let resp = api.handle(&r.build()).await;
        assert_eq!(
            resp.headers.get("content-type").unwrap(),
            "application/json"
        );
        resp
    }

    async fn upload(&self, client: &str) -> String {
        let (status, b) = self
            .call(req("POST", "/documents", "read-write", client).body(inline(
                "a.pdf",
                "application/pdf",
                b"%PDF-1.7 ...",
            )))
            .await;
        assert_eq!(status, 201, "{b}");
        b["document_id"].as_str().unwrap().to_string()
    }

    /// Records a verdict for the version currently stored under the document's key.
    async fn mark(&self, id: &str, status: DocumentStatus) {
        let doc = self.documents.get(id).await.unwrap().unwrap();
        let version = self.objects.current_version_id(&doc.object_key);
        let w = self
            .documents
            .record_outcome(&ProcessingOutcome {
                document_id: id.into(),
                status,
                size: 10,
                sha256: Some("00".repeat(32)),
                detected_format: Some("pdf".into()),
                reason_code: (status == DocumentStatus::Rejected).then(|| "polyglot".into()),
                reason_message: None,
                metadata: None,
                object_key: doc.object_key,
                sequencer: "1".into(),
                version_id: version.clone(),
                object_version: version,
                updated_at: "2026-11-28T00:00:00Z".into(),
            })
            .await
            .unwrap();
        assert!(matches!(w, OutcomeWrite::Applied { .. }));
    }
}

#[tokio::test]
async fn inline_upload_stores_object_record_and_audit() {
    let w = World::default();
    let (status, b) = w
        .call(req("POST", "/documents", "read-write", "acme").body(inline(
            "Q3 report.pdf",
            "application/pdf",
            b"%PDF-1.7",
        )))
        .await;
    assert_eq!(status, 201);
    assert_eq!(b["status"], "PENDING");
    assert_eq!(b["filename"], "Q3 report.pdf");
    let id = b["document_id"].as_str().unwrap();
    {
        let obj = w.objects.get(&format!("incoming/acme/{id}"), None).unwrap();
        assert_eq!(obj.body, b"%PDF-1.7");
        assert_eq!(obj.metadata.user["client-id"], "acme");
        assert_eq!(obj.metadata.user["original-filename"], "Q3%20report%2Epdf");
    }
    let (_, trail) = w
        .call(req(
            "GET",
            &format!("/documents/{id}/audit"),
            "read-only",
            "acme",
        ))
        .await;
    assert_eq!(trail["events"][0]["action"], "created");
    assert_eq!(trail["verification"]["intact"], true);
}

#[tokio::test]
async fn idempotency_key_replays_and_conflicts() {
    let w = World::default();
    let first = w
        .call(
            req("POST", "/documents", "read-write", "acme")
                .header("Idempotency-Key", "k-1")
                .body(inline("a.txt", "text/plain", b"one")),
        )
        .await;
    let again = w
        .call(
            req("POST", "/documents", "read-write", "acme")
                .header("Idempotency-Key", "k-1")
                .body(inline("a.txt", "text/plain", b"one")),
        )
        .await;
    assert_eq!(first.0, 201);
    assert_eq!(again.0, 201);
    assert_eq!(first.1["document_id"], again.1["document_id"]);
    assert_eq!(w.documents.items.lock().unwrap().len(), 1);
    let other = w
        .call(
            req("POST", "/documents", "read-write", "acme")
                .header("Idempotency-Key", "k-1")
                .body(inline("a.txt", "text/plain", b"two")),
        )
        .await;
    assert_eq!(other.0, 409);
    assert_eq!(other.1["error"]["code"], "conflict");
    // The same key from another client is a different document.
    let theirs = w
        .call(
            req("POST", "/documents", "read-write", "globex")
                .header("Idempotency-Key", "k-1")
                .body(inline("a.txt", "text/plain", b"two")),
        )
        .await;
    assert_eq!(theirs.0, 201);
    assert_ne!(theirs.1["document_id"], first.1["document_id"]);
}

#[tokio::test]
async fn bad_uploads_get_clear_errors_and_store_nothing() {
    let w = World::default();
    let cases = [
        (req("POST", "/documents", "read-write", "acme").raw_body("{not json"), 400),
        (req("POST", "/documents", "read-write", "acme").body(json!({"filename": "a.pdf", "content_type": "application/pdf", "content_base64": "AA==", "extra": 1})), 400),
        (req("POST", "/documents", "read-write", "acme").body(inline("../a.pdf", "application/pdf", b"x")), 400),
        (req("POST", "/documents", "read-write", "acme").body(inline("a.exe", "application/x-msdownload", b"MZ")), 415),
        (req("POST", "/documents", "read-write", "acme").body(inline("a.pdf", "application/pdf", b"")), 400),
        (req("POST", "/documents", "read-write", "acme").body(inline("a.pdf", "application/pdf", &[7u8; 2048])), 413),
        (req("POST", "/documents", "read-write", "acme").body(json!({"filename": "a.pdf", "content_type": "application/pdf", "content_base64": "!!"})), 400),
        (req("POST", "/documents", "read-write", "acme").header("Content-Type", "text/plain").body(inline("a.pdf", "application/pdf", b"x")), 415),
        (req("POST", "/documents", "read-write", "acme"), 400),
        (req("POST", "/documents/uploads", "read-write", "acme").body(json!({"filename": "big.pdf", "content_type": "application/pdf", "size": 2u64 << 30})), 413),
    ];
    for (r, expected) in cases {
        let (status, b) = w.call(r).await;
        assert_eq!(status, expected, "{b}");
        assert!(b["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    assert!(w.objects.live_keys().is_empty());
    assert!(w.documents.items.lock().unwrap().is_empty());
}

#[tokio::test]
async fn declared_content_types_must_be_safe_as_header_values() {
    let w = World::default();
    let long = format!("application/pdf; x={}", "a".repeat(300));
    for bad in [
        "application/pdf; x=\r\nx-amz-acl: public-read",
        "application/pdf; name=\u{e9}",
        "application/pdf;\tx=1",
        long.as_str(),
    ] {
        let (status, b) = w
            .call(req("POST", "/documents", "read-write", "acme").body(inline(
                "a.pdf",
                bad,
                b"%PDF-1.7",
            )))
            .await;
        assert_eq!(status, 400, "{bad:?}: {b}");
        let (status, b) = w
            .call(
                req("POST", "/documents/uploads", "read-write", "acme")
                    .body(json!({"filename": "a.pdf", "content_type": bad, "size": 10})),
            )
            .await;
        assert_eq!(status, 400, "{bad:?}: {b}");
    }
    assert!(w.objects.live_keys().is_empty());
    assert!(w.documents.items.lock().unwrap().is_empty());
    // Parameters themselves are still fine.
    let (status, b) = w
        .call(req("POST", "/documents", "read-write", "acme").body(inline(
            "a.pdf",
            "application/pdf; charset=binary",
            b"%PDF-1.7",
        )))
        .await;
    assert_eq!(status, 201, "{b}");
}

#[tokio::test]
async fn presigned_upload_pins_the_key_and_size() {
    let w = World::default();
    let (status, b) = w
        .call(
            req("POST", "/documents/uploads", "read-write", "acme").body(
                json!({"filename": "scan.tiff", "content_type": "image/tiff", "size": 123456}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let id = b["document_id"].as_str().unwrap();
    assert_eq!(b["upload"]["fields"]["key"], format!("incoming/acme/{id}"));
    assert_eq!(b["upload"]["fields"]["content-length-range"], "1,123456");
    assert_eq!(b["status"], "PENDING");
}

#[tokio::test]
async fn levels_are_enforced_per_route() {
    let w = World::default();
    let id = w.upload("acme").await;
    let doc = format!("/documents/{id}");
    // read-only: GETs only.
    assert_eq!(
        w.call(req("GET", "/documents", "read-only", "acme"))
            .await
            .0,
        200
    );
    assert_eq!(w.call(req("GET", &doc, "read-only", "acme")).await.0, 200);
    assert_eq!(
        w.call(req("POST", "/documents", "read-only", "acme").body(inline(
            "a.txt",
            "text/plain",
            b"x"
        )))
        .await
        .0,
        403
    );
    assert_eq!(
        w.call(req("DELETE", &doc, "read-only", "acme")).await.0,
        403
    );
    // read-write: no DELETE.
    assert_eq!(
        w.call(req("DELETE", &doc, "read-write", "acme")).await.0,
        403
    );
    // admin: everything, any client.
    let (status, b) = w.call(req("DELETE", &doc, "admin", "ops")).await;
    assert_eq!((status, b["status"].clone()), (200, json!("DELETED")));
    assert_eq!(w.call(req("DELETE", &doc, "admin", "ops")).await.0, 409);
    // No authorizer context at all: refused.
    assert_eq!(
        w.call(req("GET", "/documents", "read-only", "acme").no_authorizer())
            .await
            .0,
        403
    );
    assert_eq!(
        w.call(req("GET", "/documents", "superuser", "acme"))
            .await
            .0,
        403
    );
    assert_eq!(w.call(req("PUT", &doc, "admin", "ops")).await.0, 404);
}

#[tokio::test]
async fn clients_only_see_their_own_documents() {
    let w = World::default();
    let mine = w.upload("acme").await;
    let theirs = w.upload("globex").await;
    assert_eq!(
        w.call(req(
            "GET",
            &format!("/documents/{theirs}"),
            "read-write",
            "acme"
        ))
        .await
        .0,
        404
    );
    assert_eq!(
        w.call(req(
            "GET",
            &format!("/documents/{theirs}/audit"),
            "read-only",
            "acme"
        ))
        .await
        .0,
        404
    );
    let (_, list) = w.call(req("GET", "/documents", "read-only", "acme")).await;
    let ids: Vec<_> = list["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document_id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(mine)]);
    assert_eq!(
        w.call(req("GET", "/documents", "read-only", "acme").query("client_id", "globex"))
            .await
            .0,
        403
    );
    let (_, all) = w.call(req("GET", "/documents", "admin", "ops")).await;
    assert_eq!(all["documents"].as_array().unwrap().len(), 2);
    let (_, only) = w
        .call(req("GET", "/documents", "admin", "ops").query("client_id", "globex"))
        .await;
    assert_eq!(only["documents"][0]["document_id"], json!(theirs));
}

#[tokio::test]
async fn listing_paginates_and_filters_with_validated_parameters() {
    let w = World::default();
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(w.upload("acme").await);
    }
    w.mark(&ids[0], DocumentStatus::Processed).await;
    let (_, page1) = w
        .call(req("GET", "/documents", "read-only", "acme").query("limit", "2"))
        .await;
    assert_eq!(page1["documents"].as_array().unwrap().len(), 2);
    let token = page1["next_token"].as_str().unwrap().to_string();
    let (_, page2) = w
        .call(
            req("GET", "/documents", "read-only", "acme")
                .query("limit", "2")
                .query("next_token", &token),
        )
        .await;
    assert_eq!(page2["documents"].as_array().unwrap().len(), 2);
    assert_ne!(page1["documents"][0], page2["documents"][0]);
    let (_, processed) = w
        .call(req("GET", "/documents", "read-only", "acme").query("status", "PROCESSED"))
        .await;
    assert_eq!(processed["documents"].as_array().unwrap().len(), 1);
    for (k, v) in [
        ("status", "done"),
        ("limit", "0"),
        ("limit", "1000"),
        ("next_token", "garbage!"),
    ] {
        assert_eq!(
            w.call(req("GET", "/documents", "read-only", "acme").query(k, v))
                .await
                .0,
            400,
            "{k}={v}"
        );
    }
}

#[tokio::test]
async fn content_is_served_only_when_processed_and_quarantine_only_to_admin() {
    let w = World::default();
    let id = w.upload("acme").await;
    let path = format!("/documents/{id}/content");
    assert_eq!(w.call(req("GET", &path, "read-only", "acme")).await.0, 409);
    w.mark(&id, DocumentStatus::Processed).await;
    let (status, b) = w.call(req("GET", &path, "read-only", "acme")).await;
    assert_eq!(status, 200);
    assert!(b["url"].as_str().unwrap().contains(&id));
    let rejected = w.upload("acme").await;
    w.mark(&rejected, DocumentStatus::Rejected).await;
    let rpath = format!("/documents/{rejected}/content");
    assert_eq!(
        w.call(req("GET", &rpath, "read-write", "acme")).await.0,
        403
    );
    assert_eq!(w.call(req("GET", &rpath, "admin", "ops")).await.0, 200);
    // Downloads and refusals are audited.
    let (_, trail) = w
        .call(req(
            "GET",
            &format!("/documents/{id}/audit"),
            "read-only",
            "acme",
        ))
        .await;
    let actions: Vec<_> = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].clone(), e["outcome"].clone()))
        .collect();
    assert_eq!(
        actions,
        vec![
            (json!("created"), json!("success")),
            (json!("download"), json!("denied:PENDING")),
            (json!("download"), json!("success"))
        ]
    );
}

/// A retryable storage failure (the adapters classify throttling and 5xx as
/// `StoreError::Transient`) is a 503 with `Retry-After`, never a 500.
#[tokio::test]
async fn storage_outage_is_503_with_retry_after_and_without_internals() {
    let w = World::default();
    w.documents.failures.fail_next(1);
    let resp = w
        .respond(
            req("GET", "/documents", "read-only", "acme"),
            &test_config(),
        )
        .await;
    let b = body(&resp);
    assert_eq!(resp.status_code, 503);
    assert_eq!(b["error"]["code"], "service_unavailable");
    assert_eq!(resp.headers.get("retry-after").unwrap(), "1");
    assert!(!b["error"]["message"].as_str().unwrap().contains("injected"));
    // Also on writes: an inline upload whose object write is throttled.
    w.objects.failures.fail_next(1);
    let resp = w
        .respond(
            req("POST", "/documents", "read-write", "acme").body(inline(
                "a.pdf",
                "application/pdf",
                b"%PDF-1.7",
            )),
            &test_config(),
        )
        .await;
    assert_eq!(resp.status_code, 503);
    assert_eq!(body(&resp)["error"]["code"], "service_unavailable");
    assert!(resp.headers.get("retry-after").is_some());
}

/// Downloads are presigned for the version that was scanned and recorded, not
/// the newest one under the key (a later upload has not been judged yet).
#[tokio::test]
async fn content_is_presigned_for_the_recorded_version() {
    let w = World::default();
    let id = w.upload("acme").await;
    let key = format!("incoming/acme/{id}");
    let scanned = w.objects.current_version_id(&key).unwrap();
    w.mark(&id, DocumentStatus::Processed).await;
    // The client uploads again to the same key; that version is not judged yet.
    w.objects.put_version(
        &key,
        Some(docproc_core::memory::StoredObject {
            body: b"unjudged".to_vec(),
            metadata: Default::default(),
        }),
    );
    assert_ne!(w.objects.current_version_id(&key).unwrap(), scanned);
    let (status, b) = w
        .call(req(
            "GET",
            &format!("/documents/{id}/content"),
            "read-only",
            "acme",
        ))
        .await;
    assert_eq!(status, 200, "{b}");
    assert!(
        b["url"]
            .as_str()
            .unwrap()
            .contains(&format!("versionId={scanned}&")),
        "{b}"
    );
}

#[tokio::test]
async fn presigned_uploads_are_not_reissued_once_the_document_left_pending() {
    let w = World::default();
    let request = || {
        req("POST", "/documents/uploads", "read-write", "acme")
            .header("Idempotency-Key", "scan-7")
            .body(json!({"filename": "scan.pdf", "content_type": "application/pdf", "size": 10}))
    };
    let (status, first) = w.call(request()).await;
    assert_eq!(status, 201, "{first}");
    // While PENDING a retried request gets a form again.
    let (status, again) = w.call(request()).await;
    assert_eq!(status, 201, "{again}");
    assert!(again["upload"]["fields"]["key"].is_string());
    let id = first["document_id"].as_str().unwrap();
    for verdict in [DocumentStatus::Processed, DocumentStatus::Deleted] {
        if verdict == DocumentStatus::Deleted {
            w.documents
                .mark_deleted(id, "2026-11-29T00:00:00Z")
                .await
                .unwrap();
        } else {
            w.objects.put_version(
                &format!("incoming/acme/{id}"),
                Some(docproc_core::memory::StoredObject {
                    body: b"%PDF-1.7".to_vec(),
                    metadata: Default::default(),
                }),
            );
            w.mark(id, verdict).await;
        }
        let (status, refused) = w.call(request()).await;
        assert_eq!(status, 409, "{refused}");
        assert_eq!(refused["error"]["code"], "document_not_pending");
        assert!(refused.get("upload").is_none());
    }
}

/// S3 checks a POST upload against its Content-MD5 form field
/// (RESTObjectPOST.html); the policy pins the declared value.
#[tokio::test]
async fn a_declared_md5_is_pinned_into_the_upload_and_validated() {
    let w = World::default();
    let md5 = "kAFQmDzST7DWlj99KOF/cg==";
    let (status, b) = w
        .call(
            req("POST", "/documents/uploads", "read-write", "acme").body(
                json!({"filename": "a.txt", "content_type": "text/plain", "size": 3, "content_md5": md5}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["upload"]["fields"]["Content-MD5"], md5);
    // Hex instead of base64, or not 16 bytes: refused.
    for bad in ["900150983cd24fb0d6963f7d28e17f72", "kAFQmDzST7DWlj99KOF/"] {
        let (status, b) = w
            .call(
                req("POST", "/documents/uploads", "read-write", "acme").body(
                    json!({"filename": "a.txt", "content_type": "text/plain", "size": 3, "content_md5": bad}),
                ),
            )
            .await;
        assert_eq!(status, 400, "{b}");
    }
    // A deployment on an Object Lock bucket requires it.
    let locked = Config {
        require_content_md5: true,
        ..test_config()
    };
    let resp = w
        .respond(
            req("POST", "/documents/uploads", "read-write", "acme")
                .body(json!({"filename": "a.txt", "content_type": "text/plain", "size": 3})),
            &locked,
        )
        .await;
    assert_eq!(resp.status_code, 400);
    assert!(body(&resp)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("content_md5"));
}

#[tokio::test]
async fn malformed_ids_are_not_found() {
    let w = World::default();
    for id in ["..%2F..", "D0123", "d0123456789abcdef0123456789abcdX"] {
        assert_eq!(
            w.call(req("GET", &format!("/documents/{id}"), "admin", "ops"))
                .await
                .0,
            404,
            "{id}"
        );
    }
}

#[tokio::test]
async fn tokens_cannot_be_replayed_against_another_client() {
    let w = World::default();
    for _ in 0..3 {
        w.upload("globex").await;
    }
    let forged = docproc_core::pagination::PageToken(std::collections::BTreeMap::from([
        ("client_id".to_string(), "globex".to_string()),
        ("document_id".to_string(), "d0".to_string()),
    ]));
    let (status, b) = w
        .call(req("GET", "/documents", "read-only", "acme").query("next_token", &forged.encode()))
        .await;
    assert_eq!(status, 400);
    assert_eq!(b["error"]["code"], "invalid_next_token");
}

/// The query parameters of a URL, percent-decoded.
fn url_params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    url_params(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[tokio::test]
async fn tampered_truncated_and_foreign_next_tokens_are_400_invalid_next_token() {
    let w = World::default();
    for _ in 0..4 {
        w.upload("acme").await;
        w.upload("globex").await;
    }
    let (status, page1) = w
        .call(req("GET", "/documents", "read-only", "acme").query("limit", "1"))
        .await;
    assert_eq!(status, 200, "{page1}");
    let token = page1["next_token"].as_str().unwrap().to_string();
    // The genuine token continues the listing.
    let (status, page2) = w
        .call(
            req("GET", "/documents", "read-only", "acme")
                .query("limit", "3")
                .query("next_token", &token),
        )
        .await;
    assert_eq!(status, 200, "{page2}");
    assert_eq!(page2["documents"].as_array().unwrap().len(), 3);

    let (payload, mac) = token.split_once('.').expect("sealed token");
    // The payload rewritten to start elsewhere, the MAC kept: the old code
    // accepted any well-formed key and passed it to the store.
    let mut key: serde_json::Map<String, Value> = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    key.insert("document_id".into(), json!("d0"));
    let rewritten =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&key).unwrap());
    let cases = [
        (
            "rewritten payload",
            format!("{rewritten}.{mac}"),
            "read-only",
            "acme",
            None,
        ),
        (
            "unsigned payload",
            rewritten.clone(),
            "read-only",
            "acme",
            None,
        ),
        (
            "truncated",
            token[..token.len() - 5].to_string(),
            "read-only",
            "acme",
            None,
        ),
        ("garbage", "garbage!".to_string(), "read-only", "acme", None),
        ("another client", token.clone(), "read-only", "globex", None),
        (
            "another filter",
            token.clone(),
            "read-only",
            "acme",
            Some("PENDING"),
        ),
        (
            "an admin's unfiltered listing",
            token.clone(),
            "admin",
            "ops",
            None,
        ),
    ];
    for (what, t, level, client, status_filter) in cases {
        let mut r = req("GET", "/documents", level, client).query("next_token", &t);
        if let Some(st) = status_filter {
            r = r.query("status", st);
        }
        let (status, b) = w.call(r).await;
        assert_eq!(status, 400, "{what}: {b}");
        assert_eq!(b["error"]["code"], "invalid_next_token", "{what}: {b}");
    }
}

#[tokio::test]
async fn an_admins_client_filter_is_validated_before_it_reaches_the_store() {
    let w = World::default();
    w.upload("acme").await;
    let (status, b) = w
        .call(req("GET", "/documents", "admin", "ops").query("client_id", "acme"))
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["documents"].as_array().unwrap().len(), 1);
    for bad in ["../acme", "acme\nx", "", &"a".repeat(65)] {
        let (status, b) = w
            .call(req("GET", "/documents", "admin", "ops").query("client_id", bad))
            .await;
        assert_eq!(status, 400, "{bad:?}: {b}");
        assert_eq!(b["error"]["code"], "bad_request");
    }
}

#[tokio::test]
async fn downloads_are_attachments_with_a_sanitised_name_and_the_detected_type() {
    let w = World::default();
    // Declared text/plain; the processor detected a PDF.
    let (status, b) = w
        .call(req("POST", "/documents", "read-write", "acme").body(inline(
            "q\"; x=\u{e9}.html",
            "text/plain",
            b"%PDF-1.7 ...",
        )))
        .await;
    assert_eq!(status, 201, "{b}");
    let id = b["document_id"].as_str().unwrap().to_string();
    w.mark(&id, DocumentStatus::Processed).await;
    let (status, b) = w
        .call(req(
            "GET",
            &format!("/documents/{id}/content"),
            "read-only",
            "acme",
        ))
        .await;
    assert_eq!(status, 200, "{b}");
    let url = b["url"].as_str().unwrap();
    assert_eq!(
        param(url, "response-content-disposition").as_deref(),
        Some("attachment; filename=\"q__ x__.html\""),
        "{url}"
    );
    assert_eq!(
        param(url, "response-content-type").as_deref(),
        Some("application/pdf"),
        "{url}"
    );

    // Quarantined content (admin only) is never typed as what it claims.
    let rejected = w.upload("acme").await;
    w.mark(&rejected, DocumentStatus::Rejected).await;
    let (status, b) = w
        .call(req(
            "GET",
            &format!("/documents/{rejected}/content"),
            "admin",
            "ops",
        ))
        .await;
    assert_eq!(status, 200, "{b}");
    let url = b["url"].as_str().unwrap();
    assert_eq!(
        param(url, "response-content-type").as_deref(),
        Some("application/octet-stream"),
        "{url}"
    );
    assert_eq!(
        param(url, "response-content-disposition").as_deref(),
        Some("attachment; filename=\"a.pdf\""),
        "{url}"
    );
}

#[tokio::test]
async fn repeated_downloads_by_one_key_are_one_audit_event_per_window() {
    let w = World::default();
    let id = w.upload("acme").await;
    w.mark(&id, DocumentStatus::Processed).await;
    let path = format!("/documents/{id}/content");
    for _ in 0..20 {
        assert_eq!(w.call(req("GET", &path, "read-only", "acme")).await.0, 200);
    }
    let trail = docproc_core::ports::AuditRepository::trail(&w.audit, &id)
        .await
        .unwrap();
    let downloads = trail.iter().filter(|e| e.action == "download").count();
    assert_eq!(downloads, 1, "a polling client must not grow the trail");
}

#[tokio::test]
async fn audit_is_paginated_and_verified_against_its_anchor() {
    let w = World::default();
    let id = w.upload("acme").await;
    for i in 0..7 {
        docproc_core::audit::append_event(
            &w.audit,
            &id,
            docproc_core::audit::NewAuditEvent::new("ops", "note", "success", json!({"i": i})),
            None,
        )
        .await
        .unwrap();
    }
    let path = format!("/documents/{id}/audit");
    let (status, first) = w
        .call(req("GET", &path, "read-only", "acme").query("limit", "5"))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["events"].as_array().unwrap().len(), 5);
    assert_eq!(first["next_after"], 5);
    assert_eq!(first["verification"], json!({"intact": true, "events": 8}));
    let (_, second) = w
        .call(
            req("GET", &path, "read-only", "acme")
                .query("limit", "5")
                .query("after", "5"),
        )
        .await;
    let seqs: Vec<_> = second["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [6, 7, 8]);
    assert_eq!(second["next_after"], Value::Null);
    assert_eq!(
        w.call(req("GET", &path, "read-only", "acme").query("limit", "501"))
            .await
            .0,
        400
    );
    // Deleting the last events leaves an intact chain; the anchor catches it.
    {
        let mut events = w.audit.events.lock().unwrap();
        events.remove(&(id.clone(), 8));
        events.remove(&(id.clone(), 7));
    }
    let (_, after) = w.call(req("GET", &path, "read-only", "acme")).await;
    assert_eq!(after["verification"]["intact"], false);
    assert!(
        after["verification"]["problem"]
            .as_str()
            .unwrap()
            .contains("removed from the end"),
        "{after}"
    );
}
