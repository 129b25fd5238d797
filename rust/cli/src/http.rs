//! The HTTP adapter of `docproc load`: the REST API with the run's key, and
//! presigned S3 POSTs (reqwest, rustls; plain HTTP for emulators).

use docproc_cli::load::run::{form_body, Answer, HttpResult, LoadApi};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub struct HttpApi {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl HttpApi {
    pub fn new(base: &str, key: &str) -> anyhow::Result<HttpApi> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?;
        Ok(HttpApi {
            client,
            base: base.trim_end_matches('/').to_string(),
            key: key.to_string(),
        })
    }
}

async fn answer(response: Result<reqwest::Response, reqwest::Error>) -> HttpResult {
    let response = response.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| e.to_string())?.to_vec();
    Ok(Answer { status, body })
}

impl LoadApi for HttpApi {
    async fn post_json(&self, path: &str, body: &Value, idempotency_key: &str) -> HttpResult {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("x-api-key", &self.key)
            .header("idempotency-key", idempotency_key)
            .header("content-type", "application/json")
            .body(body.to_string());
        answer(request.send().await).await
    }

    async fn get(&self, path: &str) -> HttpResult {
        self.get_with_key(path, &self.key).await
    }

    async fn get_with_key(&self, path: &str, key: &str) -> HttpResult {
        let request = self
            .client
            .get(format!("{}{path}", self.base))
            .header("x-api-key", key);
        answer(request.send().await).await
    }

    fn key(&self) -> &str {
        &self.key
    }

    async fn post_form(
        &self,
        url: &str,
        fields: &[(String, String)],
        file: Arc<Vec<u8>>,
    ) -> HttpResult {
        let (content_type, body) = form_body(fields, &file);
        let request = self
            .client
            .post(url)
            .header("content-type", content_type)
            .body(body);
        answer(request.send().await).await
    }
}
