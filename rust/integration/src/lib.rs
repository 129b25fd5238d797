//! Test support: AWS emulators started by the project's launcher
//! (`scripts/emulator.py`, which carries the emulator fixes) on a free
//! 127.0.0.1 port for the duration of a test, SDK configuration pointing at
//! them, and a minimal HTTP client.
//!
//! The emulators come from the project's pinned virtualenv (`scripts/bootstrap`
//! installs it; `DOCPROC_VENV` moves it). If it is missing the tests fail with
//! that instruction: they are never skipped.

use aws_credential_types::Credentials;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|e| panic!("repository root: {e}"))
}

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("DOCPROC_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let python = venv.join("emulators/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/bootstrap",
        python.display()
    );
    python
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmulatorKind {
    /// Highest API fidelity; cannot run Lambda code.
    Moto,
    /// Runs the real `provided.al2023` bootstraps as host processes.
    Ministack,
}

impl EmulatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EmulatorKind::Moto => "moto",
            EmulatorKind::Ministack => "ministack",
        }
    }
}

/// A running emulator; stopped when dropped, and by itself after an hour.
pub struct Emulator {
    child: Child,
    _scratch: tempfile::TempDir,
    pub endpoint: String,
}

impl Emulator {
    pub fn start_moto() -> Emulator {
        Emulator::start(EmulatorKind::Moto)
    }

    /// Starts the emulator and waits (bounded) until it accepts connections.
    pub fn start(kind: EmulatorKind) -> Emulator {
        let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let port_file = scratch.path().join("port");
        let child = Command::new(venv_python())
            .arg(repo().join("scripts/emulator.py"))
            .args([kind.as_str(), "--max-seconds", "3600", "--port-file"])
            .arg(&port_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {} launcher: {e}", kind.as_str()));
        let mut emulator = Emulator {
            child,
            _scratch: scratch,
            endpoint: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !port_file.exists() {
            if let Ok(Some(status)) = emulator.child.try_wait() {
                panic!("{} exited at start: {status}", kind.as_str());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not start within 60 s",
                kind.as_str()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let port = std::fs::read_to_string(&port_file).unwrap_or_default();
        emulator.endpoint = format!("http://127.0.0.1:{}", port.trim());
        emulator
    }

    pub fn port(&self) -> u16 {
        self.endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// SDK configuration for this emulator: fixed test credentials, us-east-1.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "test",
                "test",
                None,
                None,
                "docproc-tests",
            ))
            .load()
            .await
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM, so the launcher stops the server it started; then make sure.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Emulators on 127.0.0.1 need path-style S3 addressing.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// Creates an SQS queue subscribed to `topic_arn` (SNS envelopes, not raw
/// delivery) and returns its URL: a tap on what a topic publishes.
pub async fn subscribe_queue(
    sdk: &aws_config::SdkConfig,
    topic_arn: &str,
    queue_name: &str,
) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let created = sqs.create_queue().queue_name(queue_name).send().await;
    let url = created
        .unwrap_or_else(|e| panic!("create queue {queue_name}: {e}"))
        .queue_url
        .unwrap_or_else(|| panic!("queue {queue_name} has no URL"));
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("queue attributes of {queue_name}: {e}"))
        .attributes
        .unwrap_or_default();
    let arn = attributes
        .get(&QueueAttributeName::QueueArn)
        .unwrap_or_else(|| panic!("queue {queue_name} has no ARN"))
        .clone();
    aws_sdk_sns::Client::new(sdk)
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("subscribe {queue_name} to {topic_arn}: {e}"));
    url
}

/// A minimal HTTP/1.1 client for presigned URLs on the emulator (plain HTTP
/// to 127.0.0.1 only). Returns (status, body).
pub fn http_request(
    url: &str,
    method: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, Vec<u8>) {
    let headers: Vec<(&str, &str)> = content_type
        .map(|ct| ("Content-Type", ct))
        .into_iter()
        .collect();
    http_call(url, method, &headers, body)
}

/// Like `http_request`, with any request headers.
pub fn http_call(url: &str, method: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("only http:// URLs: {url}"));
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".to_string()));
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(120))).ok();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .unwrap_or_else(|e| panic!("send: {e}"));
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .unwrap_or_else(|e| panic!("read: {e}"));
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut payload = response[(split + 4).min(response.len())..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        payload = dechunk(&payload);
    }
    (status, payload)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}
