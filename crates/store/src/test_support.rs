//! Records for the tests: a fixed clock and a typical answered call to vary.

use chrono::{DateTime, TimeDelta, Utc};

use crate::record::{CallParty, CallRecord, Disposition, HangupBy, TraceLine};

/// 2026-11-23 10:00:00 UTC plus `secs`.
pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_428_000 + secs, 0).expect("a time in range")
}

/// Anna (101) calls the sales queue `start_secs` after the test clock's start; answered after
/// 8 s, over after 125 s (117 billable), the callee hung up.
pub(crate) fn answered_call(id: &str, start_secs: i64) -> CallRecord {
    CallRecord {
        id: id.to_owned(),
        sip_call_id: format!("{id}@192.0.2.10"),
        caller: CallParty {
            number: "101".to_owned(),
            name: Some("Anna".to_owned()),
            endpoint: Some("extension:101".to_owned()),
        },
        callee: CallParty {
            number: "700".to_owned(),
            name: Some("sales".to_owned()),
            endpoint: None,
        },
        started_at: at(start_secs),
        answered_at: Some(at(start_secs + 8)),
        ended_at: at(start_secs + 125),
        disposition: Disposition::Answered,
        hangup_by: HangupBy::Callee,
        sip_cause: 200,
        reason: "bye from callee".to_owned(),
        trace: Vec::new(),
    }
}

/// [`answered_call`] after a scenario: three decisions at millisecond times, the first before
/// any step, the last with a text in Cyrillic.
pub(crate) fn traced_call(id: &str, start_secs: i64) -> CallRecord {
    let line = |after_millis: i64, step: &str, text: &str| TraceLine {
        at: at(start_secs) + TimeDelta::milliseconds(after_millis),
        step: step.to_owned(),
        text: text.to_owned(),
    };
    CallRecord {
        trace: vec![
            line(3, "", "schedule: lunch (13:05 Europe/Moscow, Mon) → lunch"),
            line(2_481, "lunch", "menu: digit 2 → support"),
            line(7_999, "support", "dial 104: ответ через 5 с"),
        ],
        ..answered_call(id, start_secs)
    }
}
