//! The HTTP adapters of `docproc load`: the REST API with the run's key,
//! presigned S3 POSTs, and the local platform's fault switch (reqwest,
//! rustls; plain HTTP for emulators).

use docproc_load::ports::{form_body, Answer, HttpResult, LoadApi};
use docproc_load::ports::{FaultSwitch, Outage};
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

/// The local platform's fault switch: `scripts/emulator_faults.py`, served
/// on the emulator's own port (the `AWS_ENDPOINT_URL` the platform uses).
pub struct EmulatorFaults {
    client: reqwest::Client,
    url: String,
    /// What each outage hits: the documents table, the status topic, the processor.
    targets: Vec<(Outage, String)>,
}

impl EmulatorFaults {
    pub fn new(endpoint: &str, targets: Vec<(Outage, String)>) -> anyhow::Result<EmulatorFaults> {
        Ok(EmulatorFaults {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            url: format!("{}/_docproc/faults", endpoint.trim_end_matches('/')),
            targets,
        })
    }
}

impl FaultSwitch for EmulatorFaults {
    async fn arm(&self, outage: Outage, window: Duration) -> Result<(), String> {
        let target = self
            .targets
            .iter()
            .find(|(o, _)| *o == outage)
            .map(|(_, t)| t.as_str())
            .ok_or_else(|| format!("no target for {}", outage.name()))?;
        let url = reqwest::Url::parse_with_params(
            &self.url,
            [
                ("kind", outage.name()),
                ("target", target),
                ("seconds", &window.as_secs_f64().to_string()),
            ],
        )
        .map_err(|e| e.to_string())?;
        let a = answer(self.client.post(url).send().await).await?;
        match a.status {
            200 => Ok(()),
            s => Err(format!(
                "the emulator answered {s}: {}",
                String::from_utf8_lossy(&a.body)
            )),
        }
    }

    async fn injected(&self, outage: Outage) -> Result<u64, String> {
        let a = answer(self.client.get(&self.url).send().await).await?;
        let status: Value = serde_json::from_slice(&a.body)
            .map_err(|e| format!("the emulator answered {} ({e})", a.status))?;
        status[outage.name()]["injected"]
            .as_u64()
            .ok_or_else(|| format!("the emulator has no count for {}: {status}", outage.name()))
    }
}
