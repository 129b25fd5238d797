//! RFC 3339 timestamps in UTC, the only time format docproc stores.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn format(t: OffsetDateTime) -> String {
    // Formatting a UTC OffsetDateTime as RFC 3339 cannot fail for years 0..=9999.
    t.format(&Rfc3339)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}
