//! REST API handler (API Gateway proxy integration). Every route answers
//! JSON; errors are `{"error": {"code", "message"}}` and never carry
//! internal details. Authorization is re-checked here from the authorizer's
//! context (defence in depth), and callers only ever see their own client's
//! documents unless they are admin.

mod caller;
pub mod download;
mod request;
mod response;

pub use caller::Caller;
pub use response::ApiError;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use docproc_core::access::{AccessLevel, Route};
use docproc_core::audit::{append_event, verify_anchored, NewAuditEvent};
use docproc_core::document::{
    document_id_for, public_view, validate_content_md5, validate_document_id, validate_filename,
    validate_idempotency_key, validate_size, Document, DocumentStatus, UploadMethod,
};
use docproc_core::pagination::{PageTokenKey, TokenScope};
use docproc_core::ports::{
    AuditRepository, DocumentRepository, ListQuery, ObjectMetadata, ObjectStore,
};
use docproc_core::s3key::incoming_key;
use docproc_core::{time_fmt, StoreError};
use request::{InlineUpload, PresignRequest};
use response::{created, ok};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::Duration;

/// API Gateway caps Lambda proxy payloads at 6 MB; base64 inflates by 4/3.
pub const INLINE_HARD_LIMIT: u64 = 4 * 1024 * 1024;
/// Audit events per `/audit` page: default and most.
const AUDIT_PAGE_DEFAULT: u32 = 100;
const AUDIT_PAGE_MAX: u32 = 500;
/// Repeated downloads by one key within this window are one audit event, so
/// a client polling `/content` cannot grow a trail without bound.
const DOWNLOAD_AUDIT_WINDOW_SECS: i64 = 3600;
/// S3's single-request upload limit, which a presigned POST is.
pub const PRESIGNED_HARD_LIMIT: u64 = 5 * 1024 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    pub inline_max_bytes: u64,
    pub upload_max_bytes: u64,
    pub upload_url_ttl: Duration,
    pub download_url_ttl: Duration,
    pub max_page_size: u32,
    /// Presigned uploads must declare `content_md5`. Set it for a bucket with
    /// an Object Lock default retention period, where S3 refuses uploads
    /// without an integrity checksum (see `docproc_core::presign`).
    pub require_content_md5: bool,
    /// Seals `next_token`s (see `docproc_core::pagination`).
    pub page_token_key: PageTokenKey,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            inline_max_bytes: INLINE_HARD_LIMIT,
            upload_max_bytes: PRESIGNED_HARD_LIMIT,
            upload_url_ttl: Duration::from_secs(900),
            download_url_ttl: Duration::from_secs(300),
            max_page_size: 100,
            require_content_md5: false,
            page_token_key: PageTokenKey::derive(&["docproc", "default"]),
        }
    }
}

pub struct Api<'a, D, A, O> {
    pub documents: &'a D,
    pub audit: &'a A,
    pub objects: &'a O,
    pub config: &'a Config,
}

type Result<T> = std::result::Result<T, ApiError>;

/// What a new document record is created from.
struct RecordSpec<'a> {
    filename: &'a str,
    content_type: &'a str,
    size: u64,
    method: UploadMethod,
    request_hash: String,
}

impl<D: DocumentRepository, A: AuditRepository, O: ObjectStore> Api<'_, D, A, O> {
    /// Handles one request; never fails (errors become JSON responses).
    pub async fn handle(&self, req: &ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
        let request_id = req.request_context.request_id.clone().unwrap_or_default();
        // Boxed: the per-route futures nest deeply, and inlining them into the runtime's
        // future overflows rustc's layout query depth on a clean build.
        let result = Box::pin(self.route(req)).await;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                if let ApiError::Internal(detail) | ApiError::Unavailable(detail) = &e {
                    tracing::error!(request_id, detail, "request failed");
                }
                e.into_response()
            }
        };
        tracing::info!(request_id, method = %req.http_method, path = req.path.as_deref().unwrap_or(""), status = response.status_code, "request");
        response
    }

    async fn route(&self, req: &ApiGatewayProxyRequest) -> Result<ApiGatewayProxyResponse> {
        let caller = Caller::from_request(req)?;
        let method = req.http_method.as_str();
        let path = req.path.as_deref().unwrap_or("/");
        let (route, id) =
            Route::resolve(method, path).ok_or(ApiError::NotFound("no such route".into()))?;
        if !route.allows(caller.level) {
            return Err(ApiError::Forbidden(format!(
                "{} keys may not call {method} {}",
                caller.level,
                route.resource()
            )));
        }
        let id = id.unwrap_or_default();
        match route {
            Route::CreateDocument => self.create_inline(&caller, req).await,
            Route::CreateUpload => self.create_upload(&caller, req).await,
            Route::ListDocuments => self.list(&caller, req).await,
            Route::GetDocument => Ok(ok(public_view(&self.visible(&caller, &id).await?))),
            Route::GetContent => self.content(&caller, &id).await,
            Route::GetAudit => self.audit_trail(&caller, &id, req).await,
            Route::DeleteDocument => self.delete(&caller, &id).await,
        }
    }

    /// The document if the caller may see it; otherwise 404 (never 403, so
    /// ids of other clients' documents cannot be probed).
    async fn visible(&self, caller: &Caller, id: &str) -> Result<Document> {
        validate_document_id(id)?;
        match self.documents.get(id).await? {
            Some(d) if caller.level == AccessLevel::Admin || d.client_id == caller.client_id => {
                Ok(d)
            }
            _ => Err(ApiError::NotFound(format!("document {id} does not exist"))),
        }
    }

    fn idempotency(
        &self,
        caller: &Caller,
        req: &ApiGatewayProxyRequest,
    ) -> Result<(String, Option<String>)> {
        let key = req
            .headers
            .get("idempotency-key")
            .map(|v| v.to_str().map(str::to_string));
        let key = match key {
            Some(Ok(k)) => {
                validate_idempotency_key(&k)?;
                Some(k)
            }
            Some(Err(_)) => {
                return Err(ApiError::BadRequest(
                    "Idempotency-Key must be printable ASCII".into(),
                ))
            }
            None => None,
        };
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| ApiError::Internal(format!("getrandom: {e}")))?;
        Ok((
            document_id_for(&caller.client_id, key.as_deref(), &random),
            key,
        ))
    }

    /// Creates the record, or recognises a replay of the same request.
    /// Returns `Ok(None)` when created, `Ok(Some(existing))` for a replay.
    async fn create_record(&self, doc: &Document) -> Result<Option<Document>> {
        match self.documents.create(doc).await {
            Ok(()) => Ok(None),
            Err(StoreError::Conflict(_)) => {
                let existing = self
                    .documents
                    .get(&doc.document_id)
                    .await?
                    .ok_or_else(|| ApiError::Unavailable("record vanished".into()))?;
                if existing.request_hash.is_some() && existing.request_hash == doc.request_hash {
                    Ok(Some(existing))
                } else {
                    Err(ApiError::Conflict(
                        "this Idempotency-Key was already used with a different request".into(),
                    ))
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    fn new_record(&self, caller: &Caller, id: &str, spec: RecordSpec<'_>) -> Document {
        let now = time_fmt::format(time_fmt::now());
        Document {
            filename: spec.filename.to_string(),
            declared_type: spec.content_type.to_string(),
            upload_method: spec.method,
            size: spec.size,
            request_hash: Some(spec.request_hash),
            ..Document::pending(
                id,
                &caller.client_id,
                &incoming_key(&caller.client_id, id),
                &now,
            )
        }
    }

    fn object_metadata(
        caller: &Caller,
        filename: &str,
        content_type: &str,
    ) -> BTreeMap<String, String> {
        // S3 user metadata must be ASCII: the original name is percent-encoded.
        let name =
            percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        BTreeMap::from([
            ("client-id".to_string(), caller.client_id.clone()),
            ("declared-type".to_string(), content_type.to_string()),
            ("original-filename".to_string(), name),
        ])
    }

    async fn create_inline(
        &self,
        caller: &Caller,
        req: &ApiGatewayProxyRequest,
    ) -> Result<ApiGatewayProxyResponse> {
        let body = request::body(req, self.config.inline_max_bytes * 4 / 3 + 4096)?;
        let upload: InlineUpload = request::parse_json(&body)?;
        validate_filename(&upload.filename)?;
        request::check_content_type(&upload.content_type)?;
        let bytes = request::decode_base64(&upload.content_base64)?;
        validate_size(bytes.len() as u64, self.config.inline_max_bytes)
            .map_err(ApiError::too_large_or_bad)?;
        let (id, _) = self.idempotency(caller, req)?;
        let request_hash = hex::encode(Sha256::digest(body.as_bytes()));
        let spec = RecordSpec {
            filename: &upload.filename,
            content_type: &upload.content_type,
            size: bytes.len() as u64,
            method: UploadMethod::Inline,
            request_hash,
        };
        let doc = self.new_record(caller, &id, spec);
        // Record first, then the object: the processor must find the record
        // when the object's event arrives.
        let replay = self.create_record(&doc).await?;
        // Audited on every attempt, once (deduplicated): an attempt that
        // failed after creating the record leaves it to the retry.
        let detail = json!({"filename": upload.filename, "declared_type": upload.content_type, "size": doc.size, "method": "inline", "key_id": caller.key_id});
        append_event(
            self.audit,
            &id,
            NewAuditEvent::new(&caller.client_id, "created", "success", detail),
            Some("created"),
        )
        .await?;
        if let Some(existing) = &replay {
            // Judged already, or stored by the earlier attempt: the bytes are
            // the same (same request), and a second version would only be
            // refused as an overwrite.
            if existing.status != DocumentStatus::Pending
                || self
                    .objects
                    .versions(&doc.object_key)
                    .await?
                    .iter()
                    .any(|v| v.key == doc.object_key)
            {
                return Ok(created(public_view(existing), true));
            }
        }
        let metadata = ObjectMetadata {
            content_type: upload.content_type.clone(),
            user: Self::object_metadata(caller, &upload.filename, &upload.content_type),
        };
        self.objects.put(&doc.object_key, bytes, &metadata).await?;
        Ok(created(
            public_view(replay.as_ref().unwrap_or(&doc)),
            replay.is_some(),
        ))
    }

    async fn create_upload(
        &self,
        caller: &Caller,
        req: &ApiGatewayProxyRequest,
    ) -> Result<ApiGatewayProxyResponse> {
        let body = request::body(req, 64 * 1024)?;
        let upload: PresignRequest = request::parse_json(&body)?;
        validate_filename(&upload.filename)?;
        request::check_content_type(&upload.content_type)?;
        validate_size(upload.size, self.config.upload_max_bytes)
            .map_err(ApiError::too_large_or_bad)?;
        match &upload.content_md5 {
            Some(md5) => validate_content_md5(md5)?,
            None if self.config.require_content_md5 => {
                return Err(ApiError::BadRequest(
                    "content_md5 is required: the base64 of the file's MD5 digest".into(),
                ))
            }
            None => {}
        }
        let (id, _) = self.idempotency(caller, req)?;
        let request_hash = hex::encode(Sha256::digest(body.as_bytes()));
        let spec = RecordSpec {
            filename: &upload.filename,
            content_type: &upload.content_type,
            size: upload.size,
            method: UploadMethod::Presigned,
            request_hash,
        };
        let doc = self.new_record(caller, &id, spec);
        let replay = self.create_record(&doc).await?;
        if let Some(existing) = &replay {
            // A new upload form would let the client replace a document that
            // was already judged (or deleted): only a PENDING one gets one.
            if existing.status != DocumentStatus::Pending {
                return Err(ApiError::NotPending(format!(
                    "document {} is {}; an upload is only issued while it is PENDING",
                    existing.document_id, existing.status
                )));
            }
        }
        let doc = replay.clone().unwrap_or(doc);
        let post = self
            .objects
            .presign_post(
                &doc.object_key,
                doc.size,
                self.config.upload_url_ttl,
                &Self::object_metadata(caller, &doc.filename, &doc.declared_type),
                upload.content_md5.as_deref(),
            )
            .await?;
        // Once per document (deduplicated), also when an earlier attempt
        // failed after creating the record.
        let detail = json!({"filename": doc.filename, "declared_type": doc.declared_type, "size": doc.size, "method": "presigned", "key_id": caller.key_id});
        append_event(
            self.audit,
            &id,
            NewAuditEvent::new(&caller.client_id, "upload_authorized", "success", detail),
            Some("created"),
        )
        .await?;
        let mut view = public_view(&doc);
        view["upload"] = json!(post);
        Ok(created(view, replay.is_some()))
    }

    async fn list(
        &self,
        caller: &Caller,
        req: &ApiGatewayProxyRequest,
    ) -> Result<ApiGatewayProxyResponse> {
        let q = &req.query_string_parameters;
        let status = match q.first("status") {
            Some(s) => Some(DocumentStatus::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "status must be one of PENDING, PROCESSED, REJECTED, DELETED, not {s:?}"
                ))
            })?),
            None => None,
        };
        let limit = match q.first("limit") {
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=self.config.max_page_size).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "limit must be an integer from 1 to {}",
                        self.config.max_page_size
                    ))
                })?,
            None => 25,
        };
        let client_id = match (caller.level, q.first("client_id")) {
            (AccessLevel::Admin, Some(requested)) => {
                // It becomes a DynamoDB key condition value: same alphabet as
                // every stored client id.
                docproc_core::keys::validate_client_id(requested).map_err(ApiError::BadRequest)?;
                Some(requested.to_string())
            }
            (AccessLevel::Admin, None) => None,
            (_, Some(other)) if other != caller.client_id => {
                return Err(ApiError::Forbidden(
                    "only admin keys may list other clients' documents".into(),
                ))
            }
            _ => Some(caller.client_id.clone()),
        };
        // A token is sealed over the listing it continues, so a tampered,
        // truncated or foreign one is refused here and never reaches the store.
        let scope = TokenScope {
            client_id: client_id.as_deref(),
            status: status.map(DocumentStatus::as_str),
        };
        let start = q
            .first("next_token")
            .map(|t| self.config.page_token_key.open(t, &scope))
            .transpose()
            .map_err(|e| ApiError::InvalidNextToken(e.to_string()))?;
        // Authorization does not rest on the MAC: a token only continues its
        // own client's listing.
        if let (Some(token), Some(client)) = (&start, &client_id) {
            if token.0.get("client_id").is_some_and(|c| c != client) {
                return Err(ApiError::InvalidNextToken(
                    "next_token belongs to another listing".into(),
                ));
            }
        }
        let page = self
            .documents
            .list(&ListQuery {
                client_id: client_id.clone(),
                status,
                limit,
                start,
            })
            .await?;
        let next_token = page
            .next
            .map(|t| self.config.page_token_key.seal(&t, &scope));
        Ok(ok(json!({
            "documents": page.items.iter().map(public_view).collect::<Vec<_>>(),
            "next_token": next_token,
        })))
    }

    async fn content(&self, caller: &Caller, id: &str) -> Result<ApiGatewayProxyResponse> {
        let doc = self.visible(caller, id).await?;
        let allowed = match doc.status {
            DocumentStatus::Processed => true,
            DocumentStatus::Rejected => caller.level == AccessLevel::Admin,
            DocumentStatus::Pending | DocumentStatus::Deleted => false,
        };
        if !allowed {
            let outcome = format!("denied:{}", doc.status);
            append_event(
                self.audit,
                id,
                NewAuditEvent::new(
                    &caller.client_id,
                    "download",
                    &outcome,
                    json!({"key_id": caller.key_id}),
                ),
                Some(&download_window(&caller.key_id, &outcome)),
            )
            .await?;
            return Err(match doc.status {
                DocumentStatus::Rejected => ApiError::Forbidden(
                    "quarantined content is only available to admin keys".into(),
                ),
                s => ApiError::Conflict(format!(
                    "content is only available once processed; the document is {s}"
                )),
            });
        }
        // Exactly the version that was scanned (or its quarantined copy), not
        // whatever is current under the key: a later upload to the same key
        // has not been judged yet. Served as an attachment with the detected
        // type, never inline with the type the uploader declared.
        let url = self
            .objects
            .presign_download(
                &doc.object_key,
                doc.object_version.as_deref(),
                self.config.download_url_ttl,
                &download::response_headers(&doc),
            )
            .await?;
        append_event(
            self.audit,
            id,
            NewAuditEvent::new(
                &caller.client_id,
                "download",
                "success",
                json!({"key_id": caller.key_id, "object_key": doc.object_key, "version_id": doc.object_version}),
            ),
            Some(&download_window(&caller.key_id, "success")),
        )
        .await?;
        Ok(ok(
            json!({"document_id": id, "url": url, "expires_in": self.config.download_url_ttl.as_secs()}),
        ))
    }

    /// One page of the trail (`?after=<seq>&limit=`; Lambda responses are
    /// capped at 6 MB, so never the whole trail at once) and the whole
    /// trail's verification against its anchor.
    async fn audit_trail(
        &self,
        caller: &Caller,
        id: &str,
        req: &ApiGatewayProxyRequest,
    ) -> Result<ApiGatewayProxyResponse> {
        self.visible(caller, id).await?;
        let q = &req.query_string_parameters;
        let after = match q.first("after") {
            Some(a) => a.parse::<u64>().map_err(|_| {
                ApiError::BadRequest(format!("after must be an event sequence number, not {a:?}"))
            })?,
            None => 0,
        };
        let limit = match q.first("limit") {
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=AUDIT_PAGE_MAX).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "limit must be an integer from 1 to {AUDIT_PAGE_MAX}"
                    ))
                })?,
            None => AUDIT_PAGE_DEFAULT,
        };
        let head = self.audit.head(id).await?;
        let trail = self.audit.trail(id).await?;
        let verification = match verify_anchored(id, &trail, head.as_ref()) {
            Ok(n) => json!({"intact": true, "events": n}),
            Err(e) => json!({"intact": false, "problem": e.to_string()}),
        };
        let page = self.audit.page(id, after, limit).await?;
        let next_after = match (page.last(), &head) {
            (Some(last), Some(h)) if last.seq < h.seq => Some(last.seq),
            _ => None,
        };
        Ok(ok(json!({
            "document_id": id,
            "events": page,
            "next_after": next_after,
            "head": head,
            "verification": verification,
        })))
    }

    async fn delete(&self, caller: &Caller, id: &str) -> Result<ApiGatewayProxyResponse> {
        self.visible(caller, id).await?;
        let now = time_fmt::format(time_fmt::now());
        let doc = self
            .documents
            .mark_deleted(id, &now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    ApiError::Conflict(format!("document {id} is already deleted"))
                }
                other => other.into(),
            })?;
        append_event(
            self.audit,
            id,
            NewAuditEvent::new(
                &caller.client_id,
                "deleted",
                "success",
                json!({"key_id": caller.key_id}),
            ),
            None,
        )
        .await?;
        Ok(ok(public_view(&doc)))
    }
}

/// The dedupe key of a download event: one per key, outcome and window.
fn download_window(key_id: &str, outcome: &str) -> String {
    let window = time_fmt::now().unix_timestamp() / DOWNLOAD_AUDIT_WINDOW_SECS;
    format!("download:{key_id}:{outcome}:{window}")
}
