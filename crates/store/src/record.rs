//! The call record: one row per call, answered or not, as a billing system and a manager read it.

use chrono::{DateTime, Utc};

/// How a call ended, in the vocabulary operators know from Asterisk's CDRs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
    Cancelled,
}

/// Which side ended the call; `System` covers timeouts, media loss and shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupBy {
    Caller,
    Callee,
    System,
}

/// One side of a call: the number and name seen, and where it came from
/// (`extension:101`, `trunk:carrier`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallParty {
    pub number: String,
    pub name: Option<String>,
    pub endpoint: Option<String>,
}

/// Everything the PBX knows about a finished call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// Switchboard's own id (a UUID), the one `switchboard trace` and the API use.
    pub id: String,
    /// The SIP Call-ID of the caller's leg, to find the call in a packet capture.
    pub sip_call_id: String,
    pub caller: CallParty,
    pub callee: CallParty,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub disposition: Disposition,
    pub hangup_by: HangupBy,
    /// The SIP status that ended the call for the caller (200 for a normal BYE).
    pub sip_cause: u16,
    /// A human-readable reason ("rtp timeout", "ring timeout", "bye from callee").
    pub reason: String,
}

impl CallRecord {
    /// Seconds from the first INVITE to the end.
    pub fn duration_secs(&self) -> i64 {
        (self.ended_at - self.started_at).num_seconds().max(0)
    }

    /// Seconds of conversation: from the answer to the end, zero when unanswered.
    pub fn billable_secs(&self) -> i64 {
        self.answered_at
            .map(|answered| (self.ended_at - answered).num_seconds().max(0))
            .unwrap_or(0)
    }
}
