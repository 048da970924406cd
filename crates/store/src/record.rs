//! The call record: one row per call, answered or not, as a billing system and a manager read it.

use std::fmt;
use std::str::FromStr;

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

impl Disposition {
    /// The spelling stored in the database and shown to operators: Asterisk's CDR vocabulary
    /// (`ANSWERED`, `NO ANSWER`, ...), so reports written for Asterisk read Switchboard's too.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "ANSWERED",
            Disposition::NoAnswer => "NO ANSWER",
            Disposition::Busy => "BUSY",
            Disposition::Failed => "FAILED",
            Disposition::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Disposition {
    type Err = UnknownName;

    /// Reads back exactly what [`Disposition::as_str`] writes; anything else is an error,
    /// because a misspelt disposition would silently drop a call out of billing reports.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Disposition::Answered,
            Disposition::NoAnswer,
            Disposition::Busy,
            Disposition::Failed,
            Disposition::Cancelled,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
        .ok_or_else(|| UnknownName::new("disposition", s))
    }
}

/// Which side ended the call; `System` covers timeouts, media loss and shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupBy {
    Caller,
    Callee,
    System,
}

impl HangupBy {
    /// The spelling stored in the database and shown to operators (`caller`, `callee`, `system`).
    pub fn as_str(self) -> &'static str {
        match self {
            HangupBy::Caller => "caller",
            HangupBy::Callee => "callee",
            HangupBy::System => "system",
        }
    }
}

impl fmt::Display for HangupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for HangupBy {
    type Err = UnknownName;

    /// Reads back exactly what [`HangupBy::as_str`] writes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [HangupBy::Caller, HangupBy::Callee, HangupBy::System]
            .into_iter()
            .find(|h| h.as_str() == s)
            .ok_or_else(|| UnknownName::new("hangup side", s))
    }
}

/// A disposition or hangup side spelt in a way Switchboard does not know: the name of what was
/// being read and the text found, so the message points at the bad value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {found:?}")]
pub struct UnknownName {
    what: &'static str,
    found: String,
}

impl UnknownName {
    fn new(what: &'static str, found: &str) -> Self {
        UnknownName {
            what,
            found: found.to_owned(),
        }
    }
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
///
/// The database keeps its times to the millisecond, so a record read back from the
/// [`Store`](crate::Store) equals the one written when its times carry no finer part.
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
    /// The routing trace: why the call went where it went, one decision per line, for
    /// calls that ran through a scenario (empty for a direct call).
    pub trace: Vec<TraceLine>,
}

/// One decision of a call's routing trace, as `switchboard trace` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceLine {
    /// When it was decided.
    pub at: DateTime<Utc>,
    /// The scenario step deciding (empty before the first step).
    pub step: String,
    /// What and why, like `menu: digit 2 → support`.
    pub text: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_reads_back_and_strangers_are_refused() {
        for d in [
            Disposition::Answered,
            Disposition::NoAnswer,
            Disposition::Busy,
            Disposition::Failed,
            Disposition::Cancelled,
        ] {
            assert_eq!(d.as_str().parse(), Ok(d));
        }
        for h in [HangupBy::Caller, HangupBy::Callee, HangupBy::System] {
            assert_eq!(h.as_str().parse(), Ok(h));
        }
        let err = "answered".parse::<Disposition>().expect_err("lower case");
        assert_eq!(err.to_string(), r#"unknown disposition "answered""#);
    }
}
