//! When each 20 ms packet is due: drift-free pacing with a bounded catch-up.
//!
//! Packet slot `n` is due at `start + n × 20 ms`, an absolute deadline computed from the start,
//! never `sleep(20 ms)` after the previous send: timer lateness and the time spent sending
//! would otherwise add up, and a ten-minute prompt would end seconds late and fill the phone's
//! jitter buffer. With absolute deadlines a late wake-up delays one packet, not the rest.
//!
//! The catch-up rule, when the task wakes after several slots have come due (a stall of the
//! runtime, a busy core):
//! * up to [`MAX_BURST`] overdue slots are all sent at once, back to back, and the timeline is
//!   unchanged: a few packets arriving together fit in any phone's jitter buffer;
//! * beyond that, the oldest overdue slots are skipped, so that only [`MAX_BURST`] packets go
//!   out at once (the latest of them in the slot now due), and pacing carries on from there on
//!   the same grid. No audio is dropped: the source's next frames go into the slots that
//!   remain, so what was playing resumes where it stopped, later. The player moves the RTP
//!   timestamp over the skipped slots and marks the next packet, so the phone hears a short
//!   gap rather than a burst that would overflow its buffer.

use std::time::Duration;
use tokio::time::Instant;

/// The duration of one packet's audio: 160 samples at 8 kHz.
pub const FRAME_DURATION: Duration = Duration::from_millis(20);

/// The most packets sent back to back when catching up.
pub const MAX_BURST: u64 = 3;

/// The pacing state of one outgoing stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacer {
    start: Instant,
    next: u64,
}

/// What to do now, as answered by [`Pacer::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Nothing is due before this instant: sleep until then and poll again.
    Wait(Instant),
    /// Send the packet of `slot` now, and poll again at once.
    Send {
        /// The slot this packet fills; its deadline is [`Pacer::due`]`(slot)`.
        slot: u64,
        /// How many slots before it were skipped to keep the burst within [`MAX_BURST`];
        /// the stream's timestamp must move over them.
        skipped: u64,
    },
}

impl Pacer {
    /// A pacer whose slot 0 is due at `start`.
    pub fn new(start: Instant) -> Pacer {
        Pacer { start, next: 0 }
    }

    /// The deadline of `slot`.
    pub fn due(&self, slot: u64) -> Instant {
        self.start + Duration::from_millis(slot.saturating_mul(20))
    }

    /// The slot the next packet will fill, unless slots are skipped before it.
    pub fn next_slot(&self) -> u64 {
        self.next
    }

    /// What to do at `now`; a [`Pace::Send`] counts the packet as sent.
    pub fn poll(&mut self, now: Instant) -> Pace {
        let next_due = self.due(self.next);
        if now < next_due {
            return Pace::Wait(next_due);
        }
        let elapsed_ms = now.duration_since(self.start).as_millis();
        // `now >= due(next)`, so the latest slot due is at least `next`.
        let latest = u64::try_from(elapsed_ms / 20).unwrap_or(u64::MAX);
        let overdue = latest - self.next + 1;
        let skipped = overdue.saturating_sub(MAX_BURST);
        let slot = self.next + skipped;
        self.next = slot + 1;
        Pace::Send { slot, skipped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn slots_are_due_every_frame_from_the_start() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        assert_eq!(
            pacer.poll(t0),
            Pace::Send {
                slot: 0,
                skipped: 0
            }
        );
        assert_eq!(pacer.poll(t0), Pace::Wait(t0 + ms(20)));
        assert_eq!(pacer.poll(t0 + ms(19)), Pace::Wait(t0 + ms(20)));
        assert_eq!(
            pacer.poll(t0 + ms(20)),
            Pace::Send {
                slot: 1,
                skipped: 0
            }
        );
        assert_eq!(pacer.next_slot(), 2);
        assert_eq!(pacer.due(3), t0 + ms(60));
    }

    #[test]
    fn a_late_wake_up_delays_one_packet_not_the_rest() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        pacer.poll(t0);
        assert_eq!(
            pacer.poll(t0 + ms(37)),
            Pace::Send {
                slot: 1,
                skipped: 0
            }
        );
        assert_eq!(pacer.poll(t0 + ms(37)), Pace::Wait(t0 + ms(40)));
    }

    #[test]
    fn up_to_three_overdue_slots_are_sent_at_once_on_the_same_grid() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        pacer.poll(t0);
        let late = t0 + ms(65); // slots 1, 2 and 3 are due
        for slot in 1..=3 {
            assert_eq!(pacer.poll(late), Pace::Send { slot, skipped: 0 });
        }
        assert_eq!(pacer.poll(late), Pace::Wait(t0 + ms(80)));
    }

    #[test]
    fn a_longer_stall_skips_the_oldest_slots_and_resynchronises() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        pacer.poll(t0);
        let late = t0 + ms(205); // slots 1..=10 are due
        assert_eq!(
            pacer.poll(late),
            Pace::Send {
                slot: 8,
                skipped: 7
            }
        );
        assert_eq!(
            pacer.poll(late),
            Pace::Send {
                slot: 9,
                skipped: 0
            }
        );
        assert_eq!(
            pacer.poll(late),
            Pace::Send {
                slot: 10,
                skipped: 0
            }
        );
        assert_eq!(pacer.poll(late), Pace::Wait(t0 + ms(220)));
        assert_eq!(
            pacer.poll(t0 + ms(220)),
            Pace::Send {
                slot: 11,
                skipped: 0
            }
        );
    }

    #[test]
    fn no_drift_over_ten_minutes_of_late_wake_ups() {
        // A timer that always wakes 1 to 9 ms late: sleeping 20 ms per packet would end
        // 30 000 × 5 ms = 150 s late; absolute deadlines must end on the exact grid.
        let t0 = Instant::now();
        let mut pacer = Pacer::new(t0);
        let mut now = t0;
        let mut sent = 0u64;
        while sent < 30_000 {
            match pacer.poll(now) {
                Pace::Wait(deadline) => now = deadline + ms(1 + sent % 9),
                Pace::Send { slot, skipped } => {
                    assert_eq!((slot, skipped), (sent, 0));
                    assert!(now >= pacer.due(slot) && now < pacer.due(slot) + ms(10));
                    sent += 1;
                }
            }
        }
        assert_eq!(pacer.due(29_999), t0 + Duration::from_secs(600) - ms(20));
        assert!(now < t0 + Duration::from_secs(600));
    }
}
