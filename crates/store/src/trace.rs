//! One call's routing trace as `switchboard trace` prints it: who called whom and how it
//! ended, then each decision with its time since the call started.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::record::{CallParty, CallRecord};

/// Renders `record` and its trace for an operator:
///
/// ```text
/// call     0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f (SIP Call-ID 8f3a@192.0.2.10)
/// from/to  +79161234567 → 700 (sales)
/// started  2026-11-23 10:00:05.000 UTC
/// outcome  NO ANSWER, 487 caller cancelled (hung up by caller after 0:00:32)
///
///   +0.000 s  [-]        schedule: lunch (13:05 Europe/Moscow, Mon) → lunch
///   +2.480 s  [lunch]    menu: digit 2 → support
///  +17.512 s  [support]  dial 104: no answer after 15 s
/// ```
///
/// Each entry's time is its offset from the call's start, to the millisecond (negative if
/// the clock stepped back); the step is in brackets (`[-]` before the first step). The
/// columns line up, no line ends in spaces, and every line ends in a newline. A call without
/// a trace says so on the line after the header: `direct call: no scenario`.
pub fn format_trace(record: &CallRecord) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "call     {} (SIP Call-ID {})",
        record.id, record.sip_call_id
    );
    let _ = writeln!(
        out,
        "from/to  {} → {}",
        party(&record.caller),
        party(&record.callee)
    );
    let _ = writeln!(
        out,
        "started  {}",
        record.started_at.format("%Y-%m-%d %H:%M:%S%.3f UTC")
    );
    let mut outcome = format!("{}, {}", record.disposition, record.sip_cause);
    if !record.reason.is_empty() {
        outcome.push(' ');
        outcome.push_str(&record.reason);
    }
    let _ = writeln!(
        out,
        "outcome  {outcome} (hung up by {} after {})",
        record.hangup_by,
        clock(record.duration_secs())
    );
    out.push('\n');

    if record.trace.is_empty() {
        out.push_str("direct call: no scenario\n");
        return out;
    }
    let rows: Vec<(String, String, &str)> = record
        .trace
        .iter()
        .map(|line| {
            let step = if line.step.is_empty() {
                "[-]".to_owned()
            } else {
                format!("[{}]", line.step)
            };
            (offset(record.started_at, line.at), step, line.text.as_str())
        })
        .collect();
    let offset_width = rows.iter().map(|row| row.0.chars().count()).max();
    let step_width = rows.iter().map(|row| row.1.chars().count()).max();
    let (offset_width, step_width) = (offset_width.unwrap_or(0), step_width.unwrap_or(0));
    for (offset, step, text) in rows {
        let start = out.len();
        let _ = write!(
            out,
            "  {offset:>offset_width$}  {step:<step_width$}  {text}"
        );
        let trimmed = out[start..].trim_end().len();
        out.truncate(start + trimmed);
        out.push('\n');
    }
    out
}

/// `+17.512 s`: how long after `start` the entry was made.
fn offset(start: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let millis = (at - start).num_milliseconds();
    let sign = if millis < 0 { '-' } else { '+' };
    let millis = millis.unsigned_abs();
    format!("{sign}{}.{:03} s", millis / 1000, millis % 1000)
}

fn party(party: &CallParty) -> String {
    let number = if party.number.is_empty() {
        "-"
    } else {
        &party.number
    };
    match party.name.as_deref() {
        Some(name) if !name.is_empty() => format!("{number} ({name})"),
        _ => number.to_owned(),
    }
}

fn clock(secs: i64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Disposition, HangupBy, TraceLine};
    use crate::test_support::{answered_call, at};
    use chrono::TimeDelta;

    fn line(after_millis: i64, step: &str, text: &str) -> TraceLine {
        TraceLine {
            at: at(0) + TimeDelta::milliseconds(after_millis),
            step: step.to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn a_scenario_call_prints_its_header_and_aligned_decisions() {
        let mut record = answered_call("0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f", 0);
        record.caller = CallParty {
            number: "+79161234567".to_owned(),
            name: None,
            endpoint: Some("trunk:carrier".to_owned()),
        };
        record.answered_at = None;
        record.ended_at = at(32);
        record.disposition = Disposition::NoAnswer;
        record.hangup_by = HangupBy::Caller;
        record.sip_cause = 487;
        record.reason = "caller cancelled".to_owned();
        record.trace = vec![
            line(0, "", "schedule: lunch (13:05 Europe/Moscow, Mon) → lunch"),
            line(2_480, "lunch", "menu: digit 2 → support"),
            line(17_512, "support", "dial 104: no answer after 15 s"),
            line(17_512, "support", ""),
        ];
        let expected = "\
call     0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f (SIP Call-ID 0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f@192.0.2.10)
from/to  +79161234567 → 700 (sales)
started  2026-11-23 10:00:00.000 UTC
outcome  NO ANSWER, 487 caller cancelled (hung up by caller after 0:00:32)

   +0.000 s  [-]        schedule: lunch (13:05 Europe/Moscow, Mon) → lunch
   +2.480 s  [lunch]    menu: digit 2 → support
  +17.512 s  [support]  dial 104: no answer after 15 s
  +17.512 s  [support]
";
        assert_eq!(format_trace(&record), expected);
    }

    #[test]
    fn a_direct_call_says_it_has_no_trace() {
        let record = answered_call("direct", 5);
        let expected = "\
call     direct (SIP Call-ID direct@192.0.2.10)
from/to  101 (Anna) → 700 (sales)
started  2026-11-23 10:00:05.000 UTC
outcome  ANSWERED, 200 bye from callee (hung up by callee after 0:02:05)

direct call: no scenario
";
        assert_eq!(format_trace(&record), expected);
    }

    #[test]
    fn offsets_keep_milliseconds_and_sign() {
        assert_eq!(offset(at(0), at(0)), "+0.000 s");
        assert_eq!(
            offset(at(0), at(75) + TimeDelta::milliseconds(5)),
            "+75.005 s"
        );
        assert_eq!(
            offset(at(1), at(0) + TimeDelta::milliseconds(880)),
            "-0.120 s"
        );
    }
}
