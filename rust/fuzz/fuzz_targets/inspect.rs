#![no_main]
//! Any input must produce a verdict: no panic, no hang (libFuzzer's timeout).

use docproc_engine::{inspect, Declared, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { time_budget: std::time::Duration::from_secs(2), ..Limits::default() };
    for mime in ["application/pdf", "image/png", "text/csv", "application/json"] {
        let _ = inspect(&data, &Declared::new("fuzz.bin", mime), &limits);
    }
});
