//! The PBX's own memory: the employee who last had an answered call with this number,
//! inbound or outbound, is the one the caller most likely wants.
//!
//! The store is another crate; this one only defines [`CallHistory`], which the store
//! implements (an indexed query on the call records), and [`MemoryHistory`] for tests and
//! for running without a database.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::{Source, SourceError};
use crate::person::{Employee, Person};
use crate::service::Clock;

/// A failure of the call history, as text: the store's own error type stays there.
pub type HistoryError = Box<dyn std::error::Error + Send + Sync>;

/// One answered call between an employee and an outside number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredCall {
    /// The employee's extension.
    pub extension: String,
    /// When the call was answered.
    pub at: DateTime<Utc>,
}

/// The call records, as the history source needs them.
#[async_trait]
pub trait CallHistory: Send + Sync {
    /// The latest call with `e164`, inbound or outbound, answered by an employee's
    /// extension at or after `since`.
    async fn last_answered(
        &self,
        e164: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<AnsweredCall>, HistoryError>;
}

/// Calls kept in memory.
#[derive(Debug, Default)]
pub struct MemoryHistory {
    calls: Mutex<Vec<(String, AnsweredCall)>>,
}

impl MemoryHistory {
    /// An empty history.
    pub fn new() -> Self {
        MemoryHistory::default()
    }

    /// Records that `extension` had an answered call with `e164` at `at`.
    pub fn record(&self, e164: &str, extension: &str, at: DateTime<Utc>) {
        let call = AnsweredCall {
            extension: extension.to_owned(),
            at,
        };
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((e164.to_owned(), call));
    }
}

#[async_trait]
impl CallHistory for MemoryHistory {
    async fn last_answered(
        &self,
        e164: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<AnsweredCall>, HistoryError> {
        let calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        Ok(calls
            .iter()
            .filter(|(number, call)| number == e164 && call.at >= since)
            .map(|(_, call)| call)
            .max_by_key(|call| call.at)
            .cloned())
    }
}

/// The history as a [`Source`]: calls within `window` before now.
pub struct HistorySource {
    history: Arc<dyn CallHistory>,
    window: TimeDelta,
    clock: Clock,
}

impl HistorySource {
    /// Looks `window` back from `clock()` (the PBX's clock, which may be a test's).
    pub fn new(history: Arc<dyn CallHistory>, window: Duration, clock: Clock) -> Self {
        HistorySource {
            history,
            window: TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX),
            clock,
        }
    }
}

#[async_trait]
impl Source for HistorySource {
    async fn lookup(&self, e164: &str) -> Result<Option<Person>, SourceError> {
        let now = (self.clock)();
        let since = now
            .checked_sub_signed(self.window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let call = self
            .history
            .last_answered(e164, since)
            .await
            .map_err(|e| SourceError::History(e.to_string()))?;
        Ok(call.map(|call| Person {
            found: format!(
                "last answered by {} on {}",
                call.extension,
                call.at.format("%Y-%m-%d")
            ),
            who: Employee::Extension(call.extension),
        }))
    }
}
