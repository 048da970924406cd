//! The integration test bed: the real `switchboard` binary talking SIP and RTP over loopback
//! to real third-party peers — SIPp (scripted UACs and UASs, tests/sipp/*.xml) and baresip
//! (a softphone).
//!
//! - [`Pbx`]: one `switchboard` per test, on its own ports, RTP range and temp data dir;
//!   ready when it answers OPTIONS 200; SIGTERM then SIGKILL on drop; its log printed when the
//!   test fails, and the test's files kept (set SWITCHBOARD_TEST_KEEP=1 to always keep them).
//! - [`Sipp`]: runs a scenario in the foreground (`run`, `run_ok`) or background (`spawn`,
//!   then `wait_ready` / `wait_log` / `wait`).
//! - [`ports`]: loopback ports no other test (in this process or another) gets.
//! - [`rtp`]: RTP from a pcap, played and recorded on a test-owned UDP socket.
//! - [`baresip`]: a baresip instance with its own config dir, driven over ctrl_tcp.
//!
//! Environment: SWITCHBOARD_TEST_LOG sets the PBX's log filter (else RUST_LOG, else debug for
//! Switchboard's crates); SIPP and BARESIP override the peers' executables.

#![allow(dead_code, unused_imports)]

pub mod baresip;
pub mod http;
pub mod media_check;
pub mod pbx;
pub mod ports;
pub mod rtp;
pub mod scenario;
pub mod sip;
pub mod sipp;

pub use pbx::{tail, wait_until, CallRow, ConfigText, Pbx, PbxOptions};
pub use sipp::{Sipp, SippOutcome, SippRun};

use std::time::Duration;

/// Registers `extension` (demo password) from a SIPp bound to `port`, asserting 401 then 200.
/// A UAS scenario started afterwards on the same port receives the extension's calls.
pub fn register(pbx: &Pbx, extension: &str, port: u16) -> SippOutcome {
    pbx.sipp("register")
        .port(port)
        .extension(extension)
        .key("expires", 600)
        .run_ok()
}

/// Registers `extension` on a fresh port and starts `uas_scenario` there, ready for a call.
pub fn registered_uas(
    pbx: &Pbx,
    extension: &str,
    uas_scenario: &str,
    configure: impl FnOnce(Sipp) -> Sipp,
) -> SippRun {
    let port = ports::port();
    register(pbx, extension, port);
    let mut uas = configure(pbx.sipp(uas_scenario).port(port)).spawn();
    uas.wait_ready();
    uas
}

/// A caller's SIPp: `scenario` as `caller` (demo credentials) dialling `callee`.
pub fn caller(pbx: &Pbx, scenario: &str, caller: &str, callee: &str) -> Sipp {
    pbx.sipp(scenario).extension(caller).service(callee)
}

/// How long the harness waits for a call record to appear after a call ended.
pub const RECORD_TIMEOUT: Duration = Duration::from_secs(10);
