//! How a run goes: its size, pace, patience and the faults it injects.

use crate::ports::Outage;
use std::time::Duration;

/// How a run goes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub documents: usize,
    pub concurrency: usize,
    /// Every n-th document goes presigned even when it fits inline (0: only those that must).
    pub presigned_every: usize,
    /// Largest document sent inline (its base64 JSON must fit the API's 4 MiB body limit... with room).
    pub inline_limit: usize,
    /// How long to wait for the last document's terminal status.
    pub settle_timeout: Duration,
    /// Attempts per request on 429, 5xx and network errors: 20 with the
    /// backoff (capped at 8-12 s) keep a request trying for about 2.5
    /// minutes, through a minute-long outage.
    pub max_attempts: u32,
    /// First retry delay; doubled per attempt.
    pub backoff: Duration,
    /// How long the status feed must stay quiet, after the run's last step,
    /// before it is read for the last time: late duplicates are counted.
    pub feed_quiet: Duration,
    pub faults: Faults,
    /// Redrive the dead-letter queues once the run stops settling, then wait again.
    pub redrive: bool,
    /// With `redrive`: how long without a newly settled document counts as stopped.
    pub stall: Option<Duration>,
    /// Names the run in its uploads' Idempotency-Keys.
    pub run_id: String,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            documents: 200,
            concurrency: 8,
            presigned_every: 4,
            inline_limit: 2 << 20,
            settle_timeout: Duration::from_secs(300),
            max_attempts: 20,
            backoff: Duration::from_millis(250),
            feed_quiet: Duration::from_secs(3),
            faults: Faults::default(),
            redrive: false,
            stall: None,
            run_id: "run".into(),
        }
    }
}

/// The faults a run injects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Deliveries of every document's event after it settled (0: none).
    pub replay_copies: usize,
    /// Bad keys sent to the API (0: none).
    pub probe_keys: usize,
    /// Outages armed together once a fifth of the documents went out.
    pub outages: Vec<Outage>,
    /// How long each outage lasts.
    pub window: Duration,
    /// Post every settled presigned document's form again (`overwrite`):
    /// each such upload must be refused, announced once and audited.
    pub overwrite: bool,
}

impl Faults {
    /// Parses `--faults duplicate-events,authorizer-probe,table-outage,...`.
    pub fn parse(list: &str, probe_keys: usize, window: Duration) -> Result<Faults, String> {
        let mut faults = Faults {
            window,
            ..Faults::default()
        };
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "duplicate-events" => faults.replay_copies = 3,
                "authorizer-probe" => faults.probe_keys = probe_keys,
                "overwrite" => faults.overwrite = true,
                other => match Outage::ALL.into_iter().find(|o| o.name() == other) {
                    Some(o) if !faults.outages.contains(&o) => faults.outages.push(o),
                    Some(_) => {}
                    None => {
                        return Err(format!(
                        "unknown fault {other:?}: choose from duplicate-events, overwrite, authorizer-probe, \
                             table-outage, sns-outage, processor-crash"
                    ))
                    }
                },
            }
        }
        Ok(faults)
    }
}
