//! Admission of new calls: past what it can serve, the PBX refuses new INVITEs at once with
//! `503 Service Unavailable` and `Retry-After`, before any authentication, routing, media
//! or dialog work, instead of taking them and making every call in progress late.
//!
//! Why refusing is better than queueing: a SIP peer retransmits an INVITE that is not
//! answered within T1 (500 ms), so a PBX that falls behind receives more work the further
//! behind it is, and every call it holds (hold music to a waiting caller: 50 packets a
//! second) makes it slower still. A call refused early costs one parse and one response.
//!
//! Two limits, either one refuses:
//! - **`[pbx] max_calls`**: calls in progress (ringing, waiting, talking). The operator's
//!   size for the machine and its media ports; the count is taken at the INVITE, so a burst
//!   cannot overshoot it.
//! - **Event-loop lag**: a probe task sleeps [`PROBE_INTERVAL`] again and again and measures
//!   how late it wakes up. That lateness is how long any ready task (a SIP message to
//!   handle, a response to send) waits for a thread, whatever the cause: too many calls,
//!   an expensive feature, or a machine busy with something else. Smoothed over a few
//!   samples so that one hiccup does not refuse calls, it refuses new calls while it is
//!   over [`LAG_LIMIT`], well under T1: the calls admitted still get answered in time.

use super::record::ActiveCall;
use crate::server::Shared;
use parking_lot::Mutex;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// How often the probe measures the event loop.
pub(crate) const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// The smoothed lag past which new calls are refused: a fifth of T1, so a call admitted
/// is still answered before its caller retransmits, with room for a burst.
pub(crate) const LAG_LIMIT: Duration = Duration::from_millis(100);

/// The weight of one sample in the smoothed lag (1/4: about four samples, 200 ms, of
/// memory), so a single late wake-up does not refuse calls but a lasting one soon does.
const SMOOTHING: u64 = 4;

/// What `Retry-After` asks of the peer, in seconds: long enough for a lagging event loop
/// to catch up and for calls to end, short enough that a carrier which stops sending us
/// every call for that long (RFC 3261 21.5.4) is not lost for long.
pub(crate) const RETRY_AFTER_SECS: u32 = 5;

/// How often refusals are logged: one warning per interval says how many calls were
/// refused and why, rather than one line per call in the middle of an overload.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Why a new call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `[pbx] max_calls` calls are in progress.
    TooManyCalls { limit: usize },
    /// The event loop is late by this much (smoothed).
    Lagging { lag: Duration },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooManyCalls { limit } => {
                write!(f, "overload: {limit} calls in progress (pbx.max_calls)")
            }
            Refusal::Lagging { lag } => write!(
                f,
                "overload: the event loop is {} ms late (limit {} ms)",
                lag.as_millis(),
                LAG_LIMIT.as_millis()
            ),
        }
    }
}

/// The admission state shared by every INVITE.
#[derive(Debug, Default)]
pub(crate) struct Admission {
    /// The smoothed event-loop lag, in microseconds.
    lag_us: AtomicU64,
    log: Mutex<RefusalLog>,
}

impl Admission {
    /// Takes a place for a new call, or says why there is none: the call holds the place
    /// (as its [`ActiveCall`]) until it ends.
    pub fn admit(&self, shared: &Arc<Shared>) -> Result<ActiveCall, Refusal> {
        let lag = self.lag();
        if lag > LAG_LIMIT {
            return Err(self.refused(Refusal::Lagging { lag }));
        }
        let limit = shared.plan().config.pbx.max_calls;
        ActiveCall::try_enter(shared, limit)
            .ok_or_else(|| self.refused(Refusal::TooManyCalls { limit }))
    }

    /// The event loop's smoothed lag now.
    pub fn lag(&self) -> Duration {
        Duration::from_micros(self.lag_us.load(Ordering::Relaxed))
    }

    /// Measures the event loop for as long as it runs (the SIP server aborts it).
    pub async fn probe(&self) {
        let mut logged = Instant::now();
        loop {
            let asleep = Instant::now();
            tokio::time::sleep(PROBE_INTERVAL).await;
            let late = asleep.elapsed().saturating_sub(PROBE_INTERVAL);
            let sample = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
            let smoothed = smooth(self.lag_us.load(Ordering::Relaxed), sample);
            self.lag_us.store(smoothed, Ordering::Relaxed);
            if logged.elapsed() >= Duration::from_secs(1) {
                logged = Instant::now();
                debug!(lag_ms = smoothed / 1000, "event loop lag");
            }
        }
    }

    fn refused(&self, refusal: Refusal) -> Refusal {
        if let Some(count) = self.log.lock().note(Instant::now()) {
            warn!(
                refused = count,
                reason = %refusal,
                interval_secs = REFUSAL_LOG_INTERVAL.as_secs(),
                "overload: new calls refused with 503"
            );
        }
        refusal
    }
}

/// One more sample into the smoothed value (an exponentially weighted mean).
fn smooth(smoothed: u64, sample: u64) -> u64 {
    smoothed - smoothed / SMOOTHING + sample / SMOOTHING
}

/// Counts refusals between two warnings.
#[derive(Debug, Default)]
struct RefusalLog {
    /// When the last warning was logged.
    logged: Option<Instant>,
    /// Refusals since then, this one included once it is due.
    count: u64,
}

impl RefusalLog {
    /// Counts a refusal at `now`; the count to log when a warning is due.
    fn note(&mut self, now: Instant) -> Option<u64> {
        self.count += 1;
        let due = self
            .logged
            .is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_INTERVAL);
        if !due {
            return None;
        }
        self.logged = Some(now);
        Some(std::mem::take(&mut self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_late_sample_is_not_overload_but_a_lasting_lag_is() {
        let limit = u64::try_from(LAG_LIMIT.as_micros()).unwrap();
        let once = smooth(0, 300_000);
        assert!(once < limit, "one wake-up 300 ms late: {once} us");
        let mut lag = 0;
        for _ in 0..4 {
            lag = smooth(lag, 300_000);
        }
        assert!(lag > limit, "four in a row: {lag} us");
        for _ in 0..20 {
            lag = smooth(lag, 1_000);
        }
        assert!(lag < 10_000, "back to normal: {lag} us");
    }

    #[test]
    fn refusals_are_logged_once_per_interval_with_their_count() {
        let mut log = RefusalLog::default();
        let start = Instant::now();
        assert_eq!(log.note(start), Some(1), "the first refusal is logged");
        for i in 1..=5 {
            assert_eq!(log.note(start + Duration::from_millis(i * 100)), None);
        }
        assert_eq!(
            log.note(start + REFUSAL_LOG_INTERVAL),
            Some(6),
            "the next warning counts every refusal since the last"
        );
        assert_eq!(log.note(start + REFUSAL_LOG_INTERVAL), None);
    }

    #[test]
    fn the_refusal_says_why() {
        assert_eq!(
            Refusal::TooManyCalls { limit: 2 }.to_string(),
            "overload: 2 calls in progress (pbx.max_calls)"
        );
        assert_eq!(
            Refusal::Lagging {
                lag: Duration::from_millis(180)
            }
            .to_string(),
            "overload: the event loop is 180 ms late (limit 100 ms)"
        );
    }
}
