//! The call list as `switchboard calls` prints it: a fixed-width table an operator reads in a
//! terminal and a script can still cut into columns.

use std::fmt::Write as _;

use crate::record::{CallParty, CallRecord};

const COLUMNS: usize = 9;

const HEADERS: [&str; COLUMNS] = [
    "STARTED (UTC)",
    "CALLER",
    "CALLEE",
    "DISPOSITION",
    "DURATION",
    "BILLABLE",
    "HUNG UP BY",
    "CAUSE",
    "ID",
];

/// Durations line up on the right, like numbers in a ledger; text on the left.
const RIGHT_ALIGNED: [bool; COLUMNS] =
    [false, false, false, false, true, true, false, false, false];

/// Renders `records`, in the order given, as a table with a header line: start time in UTC
/// (`2026-11-23 10:00:05`), caller and callee (`number (name)`), disposition, duration and
/// billable time (`h:mm:ss`), who hung up, the SIP cause with its reason, and the call id
/// (last, so `switchboard trace` can be fed from the end of a line).
///
/// Each column is as wide as its widest cell, columns are two spaces apart, and no line
/// ends in spaces. Every line, the last included, ends in a newline.
pub fn format_calls_table(records: &[CallRecord]) -> String {
    let rows: Vec<[String; COLUMNS]> = records.iter().map(row).collect();
    let mut widths = HEADERS.map(|header| header.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    push_line(&mut table, &HEADERS.map(String::from), &widths);
    for row in &rows {
        push_line(&mut table, row, &widths);
    }
    table
}

fn row(record: &CallRecord) -> [String; COLUMNS] {
    let cause = if record.reason.is_empty() {
        record.sip_cause.to_string()
    } else {
        format!("{} {}", record.sip_cause, record.reason)
    };
    [
        record.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        party(&record.caller),
        party(&record.callee),
        record.disposition.to_string(),
        clock(record.duration_secs()),
        clock(record.billable_secs()),
        record.hangup_by.to_string(),
        cause,
        record.id.clone(),
    ]
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

fn push_line(table: &mut String, cells: &[String; COLUMNS], widths: &[usize; COLUMNS]) {
    let start = table.len();
    for (column, (cell, &width)) in cells.iter().zip(widths).enumerate() {
        if column > 0 {
            table.push_str("  ");
        }
        // Writing to a String cannot fail.
        let _ = if RIGHT_ALIGNED[column] {
            write!(table, "{cell:>width$}")
        } else {
            write!(table, "{cell:<width$}")
        };
    }
    let trimmed = table[start..].trim_end().len();
    table.truncate(start + trimmed);
    table.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Disposition, HangupBy};
    use crate::test_support::{answered_call, at};

    #[test]
    fn two_calls_print_as_aligned_columns() {
        let answered = answered_call("0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f", 5);
        let mut missed = answered_call("9d8c7b6a-1234-4cde-8f00-aabbccddeeff", 3605);
        missed.caller = CallParty {
            number: "+79161234567".to_owned(),
            name: None,
            endpoint: Some("trunk:carrier".to_owned()),
        };
        missed.answered_at = None;
        missed.ended_at = at(3605 + 32);
        missed.disposition = Disposition::NoAnswer;
        missed.hangup_by = HangupBy::Caller;
        missed.sip_cause = 487;
        missed.reason = "caller cancelled".to_owned();

        let expected = "\
STARTED (UTC)        CALLER        CALLEE       DISPOSITION  DURATION  BILLABLE  HUNG UP BY  CAUSE                 ID
2026-11-23 10:00:05  101 (Anna)    700 (sales)  ANSWERED      0:02:05   0:01:57  callee      200 bye from callee   0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f
2026-11-23 11:00:05  +79161234567  700 (sales)  NO ANSWER     0:00:32   0:00:00  caller      487 caller cancelled  9d8c7b6a-1234-4cde-8f00-aabbccddeeff
";
        assert_eq!(format_calls_table(&[answered, missed]), expected);
    }

    #[test]
    fn no_calls_print_the_header_alone() {
        assert_eq!(
            format_calls_table(&[]),
            "STARTED (UTC)  CALLER  CALLEE  DISPOSITION  DURATION  BILLABLE  HUNG UP BY  CAUSE  ID\n"
        );
    }
}
