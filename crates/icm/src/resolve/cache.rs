//! Answers remembered for a while: a customer who calls back in two minutes should not
//! cost two more CRM requests, and a CRM that is slow today should be slow once.
//!
//! Both kinds of answer are kept, "found" and "not found": a number no CRM knows is the
//! common case (a new caller) and the one that would otherwise ask every source on
//! every call. Failures are never kept; the breaker deals with them.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::person::{Person, SourceId};

/// At most this many answers are kept; past it, expired ones go first, then the oldest.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone)]
pub(super) struct Cache {
    ttl: TimeDelta,
    entries: BTreeMap<(SourceId, String), Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    person: Option<Person>,
    until: DateTime<Utc>,
}

impl Cache {
    pub(super) fn new(ttl: Duration) -> Self {
        Cache {
            ttl: TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX),
            entries: BTreeMap::new(),
        }
    }

    /// `Some(answer)` while a fresh answer is kept: `Some(None)` is "not found".
    pub(super) fn get(
        &self,
        source: SourceId,
        number: &str,
        now: DateTime<Utc>,
    ) -> Option<Option<Person>> {
        self.entries
            .get(&(source, number.to_owned()))
            .filter(|entry| now < entry.until)
            .map(|entry| entry.person.clone())
    }

    pub(super) fn insert(
        &mut self,
        source: SourceId,
        number: &str,
        person: Option<Person>,
        now: DateTime<Utc>,
    ) {
        if self.ttl <= TimeDelta::zero() {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.retain(|_, entry| now < entry.until);
        }
        if self.entries.len() >= MAX_ENTRIES {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.until)
                .map(|(key, _)| key.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        let until = now
            .checked_add_signed(self.ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.entries
            .insert((source, number.to_owned()), Entry { person, until });
    }
}
