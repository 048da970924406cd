//! A call record as the API shows it: the JSON shape scripts and reports are written against,
//! so its field names and formats are a contract, kept here apart from the store's struct.
//!
//! Times are RFC 3339 in UTC with milliseconds (`2026-11-23T10:00:05.000Z`), the store's
//! precision, in one fixed width so they sort as text. The disposition and hangup side use the
//! store's spellings (`ANSWERED`, `NO ANSWER`, `callee`). Both durations are included, so a
//! client never redoes the arithmetic (and never disagrees with `switchboard calls`).
//!
//! One call (`/api/calls/{id}`) carries its routing trace, `"trace": [{"at", "step", "text"}]`,
//! empty for a direct call; the list (`/api/calls`) leaves the field out, since the store does
//! not read traces for lists: an empty list there would claim every call was direct.

use chrono::{DateTime, SecondsFormat, Utc};
use sb_store::{CallParty, CallRecord, TraceLine};
use serde::Serialize;

/// The JSON form of a [`CallRecord`].
#[derive(Debug, Serialize)]
pub(crate) struct CallView<'a> {
    id: &'a str,
    sip_call_id: &'a str,
    caller: PartyView<'a>,
    callee: PartyView<'a>,
    started_at: String,
    answered_at: Option<String>,
    ended_at: String,
    duration_secs: i64,
    billable_secs: i64,
    disposition: &'static str,
    hangup_by: &'static str,
    sip_cause: u16,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<Vec<TraceView<'a>>>,
}

/// The JSON form of a [`TraceLine`]: `at` in the same format as the call's times, `step`
/// empty before the first step of the scenario.
#[derive(Debug, Serialize)]
pub(crate) struct TraceView<'a> {
    at: String,
    step: &'a str,
    text: &'a str,
}

#[derive(Debug, Serialize)]
struct PartyView<'a> {
    number: &'a str,
    name: Option<&'a str>,
    endpoint: Option<&'a str>,
}

impl<'a> CallView<'a> {
    /// The call with its trace, for the one-call endpoint.
    pub(crate) fn with_trace(record: &'a CallRecord) -> CallView<'a> {
        CallView {
            trace: Some(TraceView::list(&record.trace)),
            ..CallView::new(record)
        }
    }

    /// The call without a `trace` field, for lists.
    pub(crate) fn new(record: &'a CallRecord) -> CallView<'a> {
        CallView {
            id: &record.id,
            sip_call_id: &record.sip_call_id,
            caller: PartyView::new(&record.caller),
            callee: PartyView::new(&record.callee),
            started_at: time(record.started_at),
            answered_at: record.answered_at.map(time),
            ended_at: time(record.ended_at),
            duration_secs: record.duration_secs(),
            billable_secs: record.billable_secs(),
            disposition: record.disposition.as_str(),
            hangup_by: record.hangup_by.as_str(),
            sip_cause: record.sip_cause,
            reason: &record.reason,
            trace: None,
        }
    }
}

impl<'a> TraceView<'a> {
    pub(crate) fn list(trace: &'a [TraceLine]) -> Vec<TraceView<'a>> {
        trace
            .iter()
            .map(|line| TraceView {
                at: time(line.at),
                step: &line.step,
                text: &line.text,
            })
            .collect()
    }
}

impl<'a> PartyView<'a> {
    fn new(party: &'a CallParty) -> PartyView<'a> {
        PartyView {
            number: &party.number,
            name: party.name.as_deref(),
            endpoint: party.endpoint.as_deref(),
        }
    }
}

/// A time as every API answer writes it (see the module documentation).
pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
