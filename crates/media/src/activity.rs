//! Deciding that a call's media has died: no RTP from either leg for the configured time.
//!
//! The clock only runs once media is negotiated (an answer has been rewritten), so a call
//! that rings for a minute is not ended for want of RTP, and it stops while the call is on
//! hold: a held call may legitimately carry no RTP for as long as it is held. "On hold" is
//! any leg's last SDP saying `inactive`, `sendonly` or `recvonly`: phones that hold with
//! `sendonly` often send nothing either. Every rewritten SDP restarts the clock, so resuming
//! from hold gives the media the full timeout to start again.
//!
//! Packets only store a timestamp (one atomic, no wake-up); the waiter wakes once per timeout
//! to look at it, or when signalling changes the state.

use crate::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The inactivity clock of one bridge.
#[derive(Debug)]
pub(crate) struct Activity {
    timeout: Duration,
    /// The origin of `last_activity`.
    epoch: Instant,
    /// Milliseconds from `epoch` to the last RTP packet or SDP rewrite.
    last_activity: AtomicU64,
    gate: Mutex<Gate>,
    changed: Notify,
}

#[derive(Debug, Clone, Copy, Default)]
struct Gate {
    negotiated: bool,
    on_hold: bool,
}

impl Activity {
    pub fn new(timeout: Duration) -> Activity {
        Activity {
            timeout,
            epoch: Instant::now(),
            last_activity: AtomicU64::new(0),
            gate: Mutex::default(),
            changed: Notify::new(),
        }
    }

    /// Records an RTP packet received at `now`.
    pub fn rtp_received(&self, now: Instant) {
        self.touch(now);
    }

    /// Records a rewritten SDP: whether an answer has now been seen, and whether the call is
    /// on hold.
    pub fn signalled(&self, answered: bool, on_hold: bool) {
        {
            let mut gate = lock(&self.gate);
            gate.negotiated |= answered;
            gate.on_hold = on_hold;
        }
        self.touch(Instant::now());
        self.changed.notify_waiters();
    }

    fn touch(&self, now: Instant) {
        let millis = now.saturating_duration_since(self.epoch).as_millis();
        self.last_activity
            .fetch_max(u64::try_from(millis).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Resolves once media is negotiated, not on hold, and silent for the timeout.
    pub async fn inactive(&self) {
        loop {
            // Registered before the state is read, so a change in between is not missed.
            let changed = self.changed.notified();
            let gate = *lock(&self.gate);
            if !gate.negotiated || gate.on_hold {
                changed.await;
                continue;
            }
            let last = Duration::from_millis(self.last_activity.load(Ordering::Relaxed));
            let deadline = self.epoch + last + self.timeout;
            if Instant::now() >= deadline {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                () = changed => {}
            }
        }
    }
}
