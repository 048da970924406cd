//! Every pending deadline of the engine in one ordered set.
//!
//! The owner of a deadline (a caller, an agent) stores it in a field too, and every
//! change goes through [`Timers::replace`] with the old value, so the set never holds a
//! stale entry: [`Timers::next`] is exactly the next moment something happens, and the
//! shell never wakes up for nothing.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::agent::AgentIdx;
use crate::caller::CallerTimer;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TimerKey {
    /// A caller's timer; the caller by sequence number.
    Caller(u64, CallerTimer),
    /// An agent's wrap-up ends.
    WrapUp(AgentIdx),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Timers {
    set: BTreeSet<(DateTime<Utc>, TimerKey)>,
}

impl Timers {
    /// Moves `key` from `old` to `new` (either may be none).
    pub fn replace(
        &mut self,
        key: TimerKey,
        old: Option<DateTime<Utc>>,
        new: Option<DateTime<Utc>>,
    ) {
        if old == new {
            return;
        }
        if let Some(old) = old {
            self.set.remove(&(old, key));
        }
        if let Some(new) = new {
            self.set.insert((new, key));
        }
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<DateTime<Utc>> {
        self.set.first().map(|(at, _)| *at)
    }

    /// Takes the earliest deadline if it is due by `now`.
    pub fn pop_due(&mut self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, TimerKey)> {
        match self.set.first() {
            Some(&(at, _)) if at <= now => self.set.pop_first(),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }
}
