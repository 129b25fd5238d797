//! `docproc preflight`: checks the target AWS account before the first apply.
//!
//! What the environment needs comes from its Terraform plan
//! ([`Requirements::from_plan`]); what the account has comes through the
//! [`AccountReader`] port ([`gather`]); [`evaluate`] compares the two with
//! the rules AWS documents (each rule cites its page) and returns one
//! [`Check`] per concern, with a one-line fix for each that does not pass.

pub mod facts;
pub mod requirements;
pub mod rules;
pub mod terraform;

pub use facts::{gather, AccountFacts, AccountReader, Fact};
pub use requirements::Requirements;
pub use rules::evaluate;

use serde::Serialize;

/// Process exit code when a check fails (distinct from usage errors (2),
/// operational failures (1) and `inspect`'s rejected documents (3)).
pub const EXIT_CHECK_FAILED: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// The apply will work, but something deserves a decision (cost, an
    /// account setting this stack would overwrite).
    Warn,
    /// A fact could not be read (denied, not implemented): not verified.
    Unknown,
    /// The apply would fail or break a documented limit.
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Unknown => "unknown",
            Status::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier (`lambda-concurrency`, …).
    pub id: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to do, for every status but pass.
    pub fix: Option<String>,
    /// The AWS documentation the rule follows.
    pub docs: &'static [&'static str],
}

impl Check {
    fn new(id: &'static str, docs: &'static [&'static str]) -> Check {
        Check {
            id,
            status: Status::Pass,
            detail: String::new(),
            fix: None,
            docs,
        }
    }

    fn pass(mut self, detail: impl Into<String>) -> Check {
        self.status = Status::Pass;
        self.detail = detail.into();
        self.fix = None;
        self
    }

    fn with(mut self, status: Status, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        self.status = status;
        self.detail = detail.into();
        self.fix = Some(fix.into());
        self
    }
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub unknown: usize,
    pub fail: usize,
}

impl Summary {
    pub fn of(checks: &[Check]) -> Summary {
        let mut s = Summary::default();
        for c in checks {
            match c.status {
                Status::Pass => s.pass += 1,
                Status::Warn => s.warn += 1,
                Status::Unknown => s.unknown += 1,
                Status::Fail => s.fail += 1,
            }
        }
        s
    }

    /// 0 when nothing failed; [`EXIT_CHECK_FAILED`] when a check failed (or,
    /// with `strict`, when one is not a pass).
    pub fn exit_code(&self, strict: bool) -> u8 {
        if self.fail > 0 || (strict && self.warn + self.unknown > 0) {
            EXIT_CHECK_FAILED
        } else {
            0
        }
    }
}

/// The report as a table: one row per check, the fix on the line below.
pub fn render_table(req: &Requirements, checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.id.len()).max().unwrap_or(5).max(5);
    let mut out = format!("{:<width$}  {:<7}  DETAIL\n", "CHECK", "STATUS");
    for c in checks {
        out.push_str(&format!(
            "{:<width$}  {:<7}  {}\n",
            c.id,
            c.status.as_str(),
            c.detail
        ));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("{:<width$}  {:<7}  fix: {fix}\n", "", ""));
        }
    }
    let s = Summary::of(checks);
    out.push_str(&format!(
        "\n{} failed, {} warnings, {} unknown, {} passed (plan: region {}, account {})\n",
        s.fail,
        s.warn,
        s.unknown,
        s.pass,
        req.region.as_deref().unwrap_or("?"),
        req.account_id.as_deref().unwrap_or("?"),
    ));
    out
}

/// The report as JSON: what the plan needs, every check, the counts.
pub fn render_json(req: &Requirements, checks: &[Check], strict: bool) -> serde_json::Value {
    let summary = Summary::of(checks);
    serde_json::json!({
        "requirements": req,
        "checks": checks,
        "summary": summary,
        "exit_code": summary.exit_code(strict),
    })
}
