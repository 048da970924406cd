//! One circuit breaker per source: a CRM that failed `threshold` times in a row is not
//! asked for `cooldown`, so callers do not each wait 800 ms for a service that is down.
//!
//! After the cooldown the source is asked again (half-open): an answer closes the
//! breaker, one more failure opens it for another cooldown at once, since the count of
//! failures in a row is still at the threshold.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::person::SourceId;

#[derive(Debug, Clone)]
pub(super) struct Breakers {
    threshold: u32,
    cooldown: TimeDelta,
    state: BTreeMap<SourceId, State>,
}

#[derive(Debug, Clone, Default)]
struct State {
    failures: u32,
    open_until: Option<DateTime<Utc>>,
}

impl Breakers {
    pub(super) fn new(threshold: u32, cooldown: Duration) -> Self {
        Breakers {
            threshold: threshold.max(1),
            cooldown: TimeDelta::from_std(cooldown).unwrap_or(TimeDelta::MAX),
            state: BTreeMap::new(),
        }
    }

    /// Why `source` must be skipped now, when its breaker is open.
    pub(super) fn skip(&self, source: SourceId, now: DateTime<Utc>) -> Option<String> {
        let state = self.state.get(&source)?;
        let until = state.open_until.filter(|until| now < *until)?;
        let left = (until - now).num_milliseconds().max(0);
        Some(format!(
            "circuit open for {} s more after {} failures in a row",
            (left + 999) / 1000,
            state.failures
        ))
    }

    /// Records an answer; true when that closed an open breaker.
    pub(super) fn success(&mut self, source: SourceId) -> bool {
        let state = self.state.remove(&source).unwrap_or_default();
        state.open_until.is_some()
    }

    /// Records a failure; when that opens the breaker, says for how long.
    pub(super) fn failure(&mut self, source: SourceId, now: DateTime<Utc>) -> Option<String> {
        let state = self.state.entry(source).or_default();
        state.failures = state.failures.saturating_add(1);
        if state.failures < self.threshold {
            return None;
        }
        state.open_until = Some(
            now.checked_add_signed(self.cooldown)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        );
        Some(format!(
            "skipped for {} s after {} failures in a row",
            self.cooldown.num_seconds(),
            state.failures
        ))
    }
}
