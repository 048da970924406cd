//! The PBX's clock: the real time, or a simulated start (`--start-time`) that then runs on.
//!
//! Schedules, call records and history all read this clock, so a test can start the server
//! "on Monday at 13:05" and see lunch-time routing with real sockets.

use chrono::{DateTime, Utc};
use std::time::Instant;

/// Wall-clock time as the PBX sees it.
#[derive(Debug, Clone, Copy)]
pub struct PbxClock {
    start_real: Instant,
    start_pbx: DateTime<Utc>,
}

impl PbxClock {
    /// The real time.
    pub fn real() -> Self {
        Self::starting_at(Utc::now())
    }

    /// A clock that reads `start` now and advances at the real pace.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        PbxClock {
            start_real: Instant::now(),
            start_pbx: start,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.start_real.elapsed())
            .unwrap_or(chrono::Duration::zero());
        self.start_pbx + elapsed
    }
}
