//! Statistics: per-interval counters built from the very [`QueueEvent`]s the engine emits,
//! the estimate of the wait from recent real waits, and agent occupancy.
//!
//! Counting from the emitted records (not from engine internals) keeps one truth: a
//! report rebuilt later from the call log gives the same figures as the live one.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::action::{LeaveReason, Outcome, QueueEventKind};

/// What happened in one queue during an interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntervalCounters {
    /// Callers who entered the queue.
    pub offered: u32,
    /// Callers turned away at the door (`full`, `join_empty`).
    pub refused: u32,
    /// Callers put through to an agent.
    pub answered: u32,
    /// Of `answered`, those who waited at most the service-level threshold.
    pub answered_in_threshold: u32,
    /// Callers who hung up while waiting.
    pub abandoned: u32,
    /// Of `abandoned`, those who hung up within the threshold (short abandons).
    pub abandoned_in_threshold: u32,
    /// Callers who left otherwise (timeout, exit key, leave-empty, failed call backs).
    pub left: u32,
    /// Total wait of the answered callers.
    pub answered_wait: Duration,
    /// Calls completed (hung up after talking).
    pub completed: u32,
    /// Their talk time.
    pub talk: Duration,
    /// Their wrap-up time.
    pub wrapup: Duration,
}

impl IntervalCounters {
    /// Counts one record of the queue; `threshold` is its service-level T.
    pub fn observe(&mut self, kind: &QueueEventKind, threshold: Duration) {
        match kind {
            QueueEventKind::Joined { .. } => self.offered += 1,
            QueueEventKind::Ended { outcome, waited } => match outcome {
                Outcome::Connected { .. } => {
                    self.answered += 1;
                    self.answered_wait += *waited;
                    if *waited <= threshold {
                        self.answered_in_threshold += 1;
                    }
                }
                Outcome::Abandoned => {
                    self.abandoned += 1;
                    if *waited <= threshold {
                        self.abandoned_in_threshold += 1;
                    }
                }
                Outcome::Left(LeaveReason::Full | LeaveReason::JoinEmpty) => self.refused += 1,
                Outcome::Left(_) | Outcome::CallbackFailed => self.left += 1,
            },
            QueueEventKind::Completed { talk, wrapup, .. } => {
                self.completed += 1;
                self.talk += *talk;
                self.wrapup += *wrapup;
            }
            QueueEventKind::Offered { .. }
            | QueueEventKind::OfferFailed { .. }
            | QueueEventKind::CallbackRequested
            | QueueEventKind::CallbackStarted { .. } => {}
        }
    }

    /// Answered within T over answered; `None` with nothing answered.
    pub fn service_level(&self) -> Option<f64> {
        ratio(self.answered_in_threshold, self.answered)
    }

    /// Answered within T over answered plus abandoned after T: short abandons do not
    /// count against the team, long ones do.
    pub fn service_level_abandon_aware(&self) -> Option<f64> {
        let late_abandons = self.abandoned - self.abandoned_in_threshold;
        ratio(self.answered_in_threshold, self.answered + late_abandons)
    }

    /// Average speed of answer.
    pub fn asa(&self) -> Option<Duration> {
        (self.answered > 0).then(|| self.answered_wait / self.answered)
    }

    /// Average handling time: talk plus wrap-up per completed call.
    pub fn aht(&self) -> Option<Duration> {
        (self.completed > 0).then(|| (self.talk + self.wrapup) / self.completed)
    }

    /// Abandoned over offered.
    pub fn abandonment_rate(&self) -> Option<f64> {
        ratio(self.abandoned, self.offered)
    }
}

fn ratio(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

/// One queue's interval.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueInterval {
    /// The queue.
    pub queue: String,
    /// Its counters.
    pub counters: IntervalCounters,
}

/// Everything between two calls of [`Acd::take_interval`](crate::Acd::take_interval).
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalReport {
    /// Start (the engine's creation for the first report).
    pub from: Option<DateTime<Utc>>,
    /// End.
    pub to: DateTime<Utc>,
    /// Every queue, in configuration order.
    pub queues: Vec<QueueInterval>,
    /// Busy (talking or wrapping up) agent time over staffed agent time, every agent.
    pub occupancy: Option<f64>,
}

/// How many recent answered callers the estimate follows.
const ESTIMATE_SAMPLES: usize = 32;

/// The estimated wait from recent real waits: each answered caller tells how long one
/// place in the line took (wait over position at join); the estimate for a caller is
/// that, averaged over recent callers, times the caller's position now.
#[derive(Debug, Clone, Default)]
pub(crate) struct WaitEstimator {
    samples: VecDeque<(f64, usize)>,
    wait_sum: f64,
    position_sum: usize,
}

impl WaitEstimator {
    pub fn record(&mut self, waited: Duration, position_at_join: usize) {
        let position = position_at_join.max(1);
        if self.samples.len() == ESTIMATE_SAMPLES {
            if let Some((wait, pos)) = self.samples.pop_front() {
                self.wait_sum -= wait;
                self.position_sum -= pos;
            }
        }
        self.samples.push_back((waited.as_secs_f64(), position));
        self.wait_sum += waited.as_secs_f64();
        self.position_sum += position;
    }

    /// `None` until a caller was answered.
    pub fn estimate(&self, position: usize) -> Option<Duration> {
        if self.samples.is_empty() {
            return None;
        }
        let per_place = self.wait_sum.max(0.0) / self.position_sum as f64;
        Some(Duration::from_secs_f64(per_place * position as f64).round_secs())
    }
}

trait RoundSecs {
    fn round_secs(self) -> Duration;
}

impl RoundSecs for Duration {
    /// Whole seconds: announcements speak seconds, and exact figures compare in tests.
    fn round_secs(self) -> Duration {
        Duration::from_secs(self.as_secs_f64().round() as u64)
    }
}

/// Staffed and busy agent time, integrated over state changes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Occupancy {
    since: Option<DateTime<Utc>>,
    staffed: u32,
    busy: u32,
    staffed_secs: f64,
    busy_secs: f64,
}

impl Occupancy {
    /// Adds the time since the last change at the current counts.
    pub fn advance(&mut self, now: DateTime<Utc>) {
        if let Some(since) = self.since {
            let secs = (now - since).as_seconds_f64().max(0.0);
            self.staffed_secs += secs * f64::from(self.staffed);
            self.busy_secs += secs * f64::from(self.busy);
        }
        self.since = Some(self.since.map_or(now, |since| since.max(now)));
    }

    /// One agent's change: `before` and `after` are (staffed, busy).
    /// Without `now` (while the engine is built) the clock has not started yet.
    pub fn change(
        &mut self,
        now: Option<DateTime<Utc>>,
        before: (bool, bool),
        after: (bool, bool),
    ) {
        if before == after {
            return;
        }
        if let Some(now) = now {
            self.advance(now);
        }
        self.staffed = self.staffed + u32::from(after.0) - u32::from(before.0);
        self.busy = self.busy + u32::from(after.1) - u32::from(before.1);
    }

    /// The ratio so far, and a fresh start.
    pub fn take(&mut self, now: DateTime<Utc>) -> Option<f64> {
        self.advance(now);
        let ratio = (self.staffed_secs > 0.0).then(|| self.busy_secs / self.staffed_secs);
        self.staffed_secs = 0.0;
        self.busy_secs = 0.0;
        ratio
    }
}
