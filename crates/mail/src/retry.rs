//! When to try a notification again: a pure function of the attempts made and `now`, so the
//! caller (which keeps the attempt count next to the voicemail) can be tested at any time of
//! day and a PBX restart loses no schedule.

use chrono::{DateTime, TimeDelta, Utc};

/// Whether another attempt at the same e-mail can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The server was unreachable, slow, or answered 4xx ("try later"): the same e-mail may
    /// well go through later.
    Transient,
    /// The server refused the e-mail with 5xx (unknown recipient, message rejected), or the
    /// address is not an address: sending it again gives the same answer.
    Permanent,
}

/// Backoff after failed attempts: 1, 5 and 15 minutes, then hourly, until the waits add up to
/// three days; a permanent failure is given up at once.
///
/// The limit is counted in scheduled waits, not in wall time since the first attempt: a PBX
/// that was switched off for a day does not lose the retries it never made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    first_delays: Vec<TimeDelta>,
    then_every: TimeDelta,
    give_up_after: TimeDelta,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delays: vec![
                TimeDelta::minutes(1),
                TimeDelta::minutes(5),
                TimeDelta::minutes(15),
            ],
            then_every: TimeDelta::hours(1),
            give_up_after: TimeDelta::days(3),
        }
    }
}

impl RetryPolicy {
    /// When to make the next attempt, after `attempts_so_far` attempts that all failed, the
    /// last one with `last`; `None` means give up (a count of 0 is taken as 1).
    pub fn next_attempt(
        &self,
        attempts_so_far: u32,
        last: FailureKind,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if last == FailureKind::Permanent {
            return None;
        }
        let failures = attempts_so_far.max(1) as usize;
        let delay = self
            .first_delays
            .get(failures - 1)
            .copied()
            .unwrap_or(self.then_every);
        if self.waited_through(failures) > self.give_up_after.num_milliseconds() {
            return None;
        }
        now.checked_add_signed(delay)
    }

    /// Milliseconds of waiting scheduled up to and including the wait after failure `n`.
    fn waited_through(&self, n: usize) -> i64 {
        let early = n.min(self.first_delays.len());
        let early_sum = self.first_delays[..early]
            .iter()
            .fold(0i64, |sum, d| sum.saturating_add(d.num_milliseconds()));
        let hourly = i64::try_from(n - early).unwrap_or(i64::MAX);
        early_sum.saturating_add(self.then_every.num_milliseconds().saturating_mul(hourly))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .with_timezone(&Utc)
    }

    #[test]
    fn backs_off_one_five_fifteen_minutes_then_hourly() {
        let policy = RetryPolicy::default();
        let now = at("2026-11-23T19:30:05Z");
        let next = |n| policy.next_attempt(n, FailureKind::Transient, now);
        assert_eq!(next(1), Some(at("2026-11-23T19:31:05Z")));
        assert_eq!(next(2), Some(at("2026-11-23T19:35:05Z")));
        assert_eq!(next(3), Some(at("2026-11-23T19:45:05Z")));
        assert_eq!(next(4), Some(at("2026-11-23T20:30:05Z")));
        assert_eq!(next(40), Some(at("2026-11-23T20:30:05Z")));
        assert_eq!(next(0), next(1));
    }

    #[test]
    fn permanent_failure_is_given_up_at_once() {
        let policy = RetryPolicy::default();
        let now = at("2026-11-23T19:30:05Z");
        assert_eq!(policy.next_attempt(1, FailureKind::Permanent, now), None);
        assert_eq!(policy.next_attempt(5, FailureKind::Permanent, now), None);
    }

    #[test]
    fn transient_failures_are_given_up_after_three_days_of_waiting() {
        let policy = RetryPolicy::default();
        let start = at("2026-11-23T19:30:05Z");
        let mut now = start;
        let mut attempts = 1;
        while let Some(next) = policy.next_attempt(attempts, FailureKind::Transient, now) {
            assert!(next > now);
            now = next;
            attempts += 1;
        }
        // 21 minutes of early retries, then 71 hourly ones: the last at 71 h 21 min, and the
        // next one would fall past 72 h.
        assert_eq!(attempts, 75);
        assert_eq!(now - start, TimeDelta::minutes(21) + TimeDelta::hours(71));
        assert!(now - start <= TimeDelta::days(3));
    }

    #[test]
    fn huge_attempt_counts_give_up_without_overflow() {
        let policy = RetryPolicy::default();
        let now = at("2026-11-23T19:30:05Z");
        assert_eq!(
            policy.next_attempt(u32::MAX, FailureKind::Transient, now),
            None
        );
    }
}
