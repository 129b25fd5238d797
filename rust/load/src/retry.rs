//! Requests with retries: what is worth another try, and how long to wait.

use crate::plan::Plan;
use crate::ports::{HttpResult, LoadApi};
use serde_json::Value;
use std::future::Future;
use std::time::Duration;

/// Whether to try again: throttled, a server error, or no answer. Not the
/// WAF's per-IP limit (429 `rate_limited`): it blocks the address for its
/// 5-minute window, and retries would only keep the address over the limit.
pub(crate) fn retryable(answer: &HttpResult) -> bool {
    match answer {
        Ok(a) if a.status == 429 => error_code(answer) != "rate_limited",
        Ok(a) => a.status >= 500,
        Err(_) => true,
    }
}

/// Sends with retries; returns the last answer and how many retries it took.
pub(crate) async fn with_retries<Fut: Future<Output = HttpResult>>(
    plan: &Plan,
    mut send: impl FnMut() -> Fut,
) -> (HttpResult, u32) {
    let mut retries = 0;
    loop {
        let answer = send().await;
        if !retryable(&answer) || retries + 1 >= plan.max_attempts {
            return (answer, retries);
        }
        tokio::time::sleep(backoff(plan.backoff, retries)).await;
        retries += 1;
    }
}

/// Exponential backoff capped at 8 s, with up to 50% random jitter so that
/// workers throttled together do not retry together.
pub fn backoff(first: Duration, retries: u32) -> Duration {
    let base = (first * 2u32.saturating_pow(retries.min(16))).min(Duration::from_secs(8));
    let jitter = getrandom::u64().unwrap_or(0) % 1000;
    base + base.mul_f64(jitter as f64 / 2000.0)
}

pub(crate) async fn get_json<A: LoadApi>(api: &A, path: &str, plan: &Plan) -> (Option<Value>, u32) {
    let (answer, retries) = with_retries(plan, || api.get(path)).await;
    let value = answer
        .ok()
        .filter(|a| a.status == 200)
        .and_then(|a| serde_json::from_slice(&a.body).ok());
    (value, retries)
}

/// The code a failed call is counted under: the API's error code, else `http_<status>` or `network`.
pub(crate) fn error_code(answer: &HttpResult) -> String {
    match answer {
        Err(_) => "network".into(),
        // The API answers {"error": {"code"}}; S3 answers XML with <Code>.
        Ok(a) => serde_json::from_slice::<Value>(&a.body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
            .or_else(|| {
                let text = String::from_utf8_lossy(&a.body);
                let (_, rest) = text.split_once("<Code>")?;
                Some(rest.split_once("</Code>")?.0.to_string())
            })
            .unwrap_or_else(|| format!("http_{}", a.status)),
    }
}
