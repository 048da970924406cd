//! What the call record is built from, and the count of calls in progress.

use crate::server::Shared;
use chrono::{DateTime, Utc};
use sb_store::{CallParty, CallRecord, Disposition, HangupBy, TraceLine};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How the call ended, as the call record tells it.
pub(crate) struct Outcome {
    pub disposition: Disposition,
    pub hangup_by: HangupBy,
    pub cause: u16,
    pub reason: String,
}

impl Outcome {
    pub fn new(
        disposition: Disposition,
        hangup_by: HangupBy,
        cause: u16,
        reason: impl Into<String>,
    ) -> Self {
        Outcome {
            disposition,
            hangup_by,
            cause,
            reason: reason.into(),
        }
    }
}

/// What is known of the call before it is routed, for its record.
pub(crate) struct CallInfo {
    pub id: String,
    pub sip_call_id: String,
    pub caller: CallParty,
    pub callee: CallParty,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// How the scenario saw the call missed (a message left, a queue abandoned), for the
    /// callback task it leaves.
    pub missed: Option<sb_voicemail::tasks::MissedKind>,
}

/// Keeps the count of calls in progress exact, whichever way the call task ends.
pub(crate) struct ActiveCall(Arc<Shared>);

impl ActiveCall {
    /// Counts in a call the PBX makes itself (a call back), which no limit refuses.
    pub fn enter(shared: &Arc<Shared>) -> Self {
        shared.active_calls.fetch_add(1, Ordering::SeqCst);
        ActiveCall(shared.clone())
    }

    /// Counts a new incoming call in, unless `limit` calls are in progress already. The count is
    /// taken and checked in one step, so INVITEs arriving together cannot overshoot it.
    pub fn try_enter(shared: &Arc<Shared>, limit: usize) -> Option<Self> {
        shared
            .active_calls
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()?;
        Some(ActiveCall(shared.clone()))
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        self.0.active_calls.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Hands the call's record, with its routing trace, to the background writer.
pub(crate) fn finish(shared: &Shared, info: &CallInfo, outcome: Outcome, trace: Vec<TraceLine>) {
    let record = CallRecord {
        id: info.id.clone(),
        sip_call_id: info.sip_call_id.clone(),
        caller: info.caller.clone(),
        callee: info.callee.clone(),
        started_at: info.started_at,
        answered_at: info.answered_at,
        ended_at: shared.clock.now(),
        disposition: outcome.disposition,
        hangup_by: outcome.hangup_by,
        sip_cause: outcome.cause,
        reason: outcome.reason,
        trace,
    };
    if let Some(event) = crate::missed::task_event(&record, info.missed.clone()) {
        shared.tasks.send(event);
    }
    shared.records.submit(record);
}
