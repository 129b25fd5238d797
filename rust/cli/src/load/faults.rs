//! Faults `docproc load --faults` injects, and how each is checked:
//! - `duplicate-events`: every document's S3 event is delivered again,
//!   three times in shuffled order (S3 delivers at least once); afterwards
//!   the run's checks must still find one outcome, one notification per
//!   status change and one terminal status per document.
//! - `authorizer-probe`: keys that must not work (random ones and near
//!   misses of the run's own key) are sent to the API; none may be allowed.

use super::run::{HttpResult, LoadApi, Plan};
use super::Check;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Delivers a processed document's S3 event to the processor again and waits
/// for the invocation to finish.
pub trait Replayer: Send + Sync + 'static {
    fn replay(&self, document_id: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// The platform's dead-letter queues, for `docproc load --redrive`.
pub trait DeadLetters: Send + Sync + 'static {
    /// Sends every dead-lettered event through its function again (as
    /// `docproc dlq redrive` does); returns how many were redriven, or what
    /// failed.
    fn redrive_all(&self) -> impl Future<Output = Result<usize, String>> + Send;
}

/// A run without `--redrive`.
pub struct NoRedrive;

impl DeadLetters for NoRedrive {
    async fn redrive_all(&self) -> Result<usize, String> {
        Err("no redrive".into())
    }
}

/// A run without the `duplicate-events` fault.
pub struct NoReplay;

impl Replayer for NoReplay {
    async fn replay(&self, _: &str) -> Result<(), String> {
        Err("no replayer".into())
    }
}

/// The faults a run injects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Deliveries of every document's event after it settled (0: none).
    pub replay_copies: usize,
    /// Bad keys sent to the API (0: none).
    pub probe_keys: usize,
}

impl Faults {
    /// Parses `--faults duplicate-events,authorizer-probe`.
    pub fn parse(list: &str, probe_keys: usize) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "duplicate-events" => faults.replay_copies = 3,
                "authorizer-probe" => faults.probe_keys = probe_keys,
                other => {
                    return Err(format!(
                        "unknown fault {other:?}: choose from duplicate-events, authorizer-probe"
                    ))
                }
            }
        }
        Ok(faults)
    }
}

/// A permutation of `0..n` from `seed` (Fisher-Yates with xorshift): the
/// same seed gives the same order, so a failing run can be repeated.
pub fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    // Spread the seed (neighbouring seeds give unrelated orders); xorshift needs x != 0.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

/// Replays each document's event `copies` times, all deliveries in one
/// shuffled order, `concurrency` at a time. The check fails when a replay
/// itself fails (the processor must accept a duplicate and do nothing).
pub async fn replay_duplicates<R: Replayer>(
    replayer: Arc<R>,
    ids: &[String],
    copies: usize,
    concurrency: usize,
    seed: u64,
) -> Check {
    let deliveries: Arc<Vec<String>> = Arc::new(
        shuffled(ids.len() * copies, seed)
            .into_iter()
            .map(|i| ids[i % ids.len().max(1)].clone())
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (replayer, deliveries, next, failures) = (
            replayer.clone(),
            deliveries.clone(),
            next.clone(),
            failures.clone(),
        );
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::AcqRel);
                let Some(id) = deliveries.get(i) else { return };
                if let Err(e) = replayer.replay(id).await {
                    failures
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(format!("{id}: {e}"));
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let failures = std::mem::take(
        &mut *failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    Check {
        name: "duplicate S3 events accepted and ignored".into(),
        passed: failures.is_empty(),
        detail: if failures.is_empty() {
            format!(
                "{} deliveries ({copies} per document, shuffled, seed {seed}); the checks below count what they changed",
                deliveries.len()
            )
        } else {
            format!(
                "{} of {} replays failed, first: {}",
                failures.len(),
                deliveries.len(),
                failures[0]
            )
        },
    }
}

const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `n` keys that must be refused: near misses of `valid` (each character
/// changed, a character dropped or added, the case flipped, the key
/// repeated) and then random keys of the same form (43 characters of
/// base64url), from `random` bytes.
pub fn probe_keys(valid: &str, n: usize, random: &[u8]) -> Vec<String> {
    let mut keys = Vec::with_capacity(n);
    let bytes = valid.as_bytes();
    for i in 0..bytes.len() {
        let mut k = bytes.to_vec();
        k[i] = if k[i] == b'A' { b'B' } else { b'A' };
        keys.push(String::from_utf8_lossy(&k).into_owned());
    }
    keys.push(valid[..valid.len().saturating_sub(1)].to_string());
    keys.push(format!("{valid}A"));
    // Not `" {valid}"`: HTTP drops whitespace around a header value (RFC 9110
    // section 5.5), so that is the valid key itself on the wire.
    keys.push(format!(
        "{}.{}",
        &valid[..valid.len() / 2],
        &valid[valid.len() / 2 + 1..]
    ));
    keys.push(valid.to_ascii_uppercase());
    keys.push(valid.to_ascii_lowercase());
    keys.push(valid.repeat(2));
    keys.retain(|k| k != valid);
    keys.truncate(n);
    let mut at = 0;
    while keys.len() < n {
        let key: String = (0..43)
            .map(|j| KEY_ALPHABET[random[(at + j) % random.len().max(1)] as usize % 64] as char)
            .collect();
        at += 43;
        keys.push(key);
    }
    keys
}

/// Sends every probe key to `GET /documents`; passes when none is allowed.
pub async fn probe_authorizer<A: LoadApi>(api: Arc<A>, keys: Vec<String>, plan: &Plan) -> Check {
    let keys = Arc::new(keys);
    let next = Arc::new(AtomicUsize::new(0));
    let statuses: Arc<Mutex<std::collections::BTreeMap<String, usize>>> = Arc::default();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..plan.concurrency.max(1) {
        let (api, keys, next, statuses) =
            (api.clone(), keys.clone(), next.clone(), statuses.clone());
        let plan = plan.clone();
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::AcqRel);
                let Some(key) = keys.get(i) else { return };
                // Throttled answers are retried: a 429 proves nothing either way.
                let (answer, _) =
                    super::run::with_retries(&plan, || api.get_with_key("/documents", key)).await;
                let label = label(&answer);
                *statuses
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .entry(label)
                    .or_default() += 1;
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let statuses = std::mem::take(
        &mut *statuses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let allowed = statuses.get("200").copied().unwrap_or(0);
    let refused: usize = ["401", "403"].iter().filter_map(|s| statuses.get(*s)).sum();
    let counts: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    Check {
        name: "the authorizer refuses random and near-miss keys".into(),
        passed: allowed == 0 && refused == keys.len(),
        detail: format!(
            "{} bad keys, {allowed} allowed; answers {}",
            keys.len(),
            counts.join(", ")
        ),
    }
}

fn label(answer: &HttpResult) -> String {
    match answer {
        Ok(a) => a.status.to_string(),
        Err(_) => "network".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_unknown_ones_are_named() {
        assert_eq!(Faults::parse("", 10), Ok(Faults::default()));
        assert_eq!(
            Faults::parse("duplicate-events, authorizer-probe", 10),
            Ok(Faults {
                replay_copies: 3,
                probe_keys: 10
            })
        );
        assert!(Faults::parse("sns-outage", 10)
            .unwrap_err()
            .contains("unknown fault \"sns-outage\""));
    }

    #[test]
    fn shuffles_are_permutations_and_repeatable() {
        let a = shuffled(300, 42);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..300).collect::<Vec<_>>());
        assert_eq!(a, shuffled(300, 42));
        assert_ne!(a, shuffled(300, 43));
        assert_ne!(a, sorted, "not shuffled");
    }

    #[test]
    fn probe_keys_are_near_misses_then_random_and_never_the_key() {
        let valid = "q3Xw9-Zr_8LmN0pQ1sT2uV3wX4yZ5aB6cD7eF8gH9iJ";
        assert_eq!(valid.len(), 43);
        let keys = probe_keys(valid, 100, &[7u8; 64]);
        assert_eq!(keys.len(), 100);
        assert!(keys.iter().all(|k| k != valid));
        // One change per position, and a character outside the alphabet:
        // each at distance one from the key.
        let one_off = keys.iter().filter(|k| {
            k.len() == 43 && k.bytes().zip(valid.bytes()).filter(|(a, b)| a != b).count() == 1
        });
        assert_eq!(one_off.count(), 44);
        assert!(
            keys.iter().all(|k| k.trim() == k.as_str()),
            "whitespace is trimmed by HTTP"
        );
        assert!(keys.contains(&valid[..42].to_string()));
        assert!(keys[49..]
            .iter()
            .all(|k| k.len() == 43 && k.bytes().all(|b| KEY_ALPHABET.contains(&b))));
    }
}
