//! The lists `switchboard calls` and `switchboard tasks` print: fixed-width tables an operator
//! reads in a terminal and a script can still cut into columns.

use std::fmt::Write as _;
use std::time::Duration;

use crate::record::{CallParty, CallRecord};
use crate::tasks::TaskRow;

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
    format_table(HEADERS, RIGHT_ALIGNED, &rows)
}

const TASK_COLUMNS: usize = 10;

const TASK_HEADERS: [&str; TASK_COLUMNS] = [
    "ID",
    "NUMBER",
    "NAME",
    "ATTEMPTS",
    "FIRST (UTC)",
    "LAST (UTC)",
    "WAITED",
    "ASSIGNED TO",
    "STATE",
    "KINDS",
];

/// Counts and durations on the right, like the call list's.
const TASK_RIGHT_ALIGNED: [bool; TASK_COLUMNS] = [
    true, false, false, true, false, false, true, false, false, false,
];

/// Renders callback `tasks`, in the order given, for `switchboard tasks`: the task id (first,
/// to close a task by it), the number and the caller's name, how many calls went unanswered,
/// the first and the latest in UTC, the longest wait (`h:mm:ss`), the assignee
/// (`extension:104`), whether the task is open or closed, and what happened
/// (`missed:101,voicemail:general/7`, as `task_codec.rs` writes the kinds).
///
/// Laid out like [`format_calls_table`]: columns as wide as their widest cell, two spaces
/// apart, no line ending in spaces, every line ending in a newline; `-` for a missing value.
pub fn format_tasks_table(tasks: &[TaskRow]) -> String {
    let rows: Vec<[String; TASK_COLUMNS]> = tasks.iter().map(task_row).collect();
    format_table(TASK_HEADERS, TASK_RIGHT_ALIGNED, &rows)
}

fn task_row(task: &TaskRow) -> [String; TASK_COLUMNS] {
    let or_dash = |text: Option<&str>| match text {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => "-".to_owned(),
    };
    let time = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M:%S").to_string();
    [
        task.id.to_string(),
        or_dash(Some(&task.number)),
        or_dash(task.name.as_deref()),
        task.attempts.to_string(),
        time(task.first_at),
        time(task.last_at),
        clock(wait_secs(task.longest_wait)),
        task.assignee
            .as_ref()
            .map_or_else(|| "-".to_owned(), |a| format!("{}:{}", a.kind, a.value)),
        if task.closed.is_some() {
            "closed"
        } else {
            "open"
        }
        .to_owned(),
        or_dash(Some(&task.kinds.join(","))),
    ]
}

/// Whole seconds of a wait, rounded down like the call list's durations.
fn wait_secs(wait: Duration) -> i64 {
    i64::try_from(wait.as_secs()).unwrap_or(i64::MAX)
}

/// The table of `rows` under `headers`, each column as wide as its widest cell, two spaces
/// apart, right-aligned where `right_aligned` says, no line ending in spaces. Public so every
/// list the command line prints (calls, tasks, voicemail messages) is laid out by this one
/// renderer.
pub fn format_table<const N: usize>(
    headers: [&str; N],
    right_aligned: [bool; N],
    rows: &[[String; N]],
) -> String {
    let mut widths = headers.map(|header| header.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    push_line(
        &mut table,
        &headers.map(String::from),
        &widths,
        &right_aligned,
    );
    for row in rows {
        push_line(&mut table, row, &widths, &right_aligned);
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

fn push_line<const N: usize>(
    table: &mut String,
    cells: &[String; N],
    widths: &[usize; N],
    right_aligned: &[bool; N],
) {
    let start = table.len();
    for (column, (cell, &width)) in cells.iter().zip(widths).enumerate() {
        if column > 0 {
            table.push_str("  ");
        }
        // Writing to a String cannot fail.
        let _ = if right_aligned[column] {
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
    use crate::tasks::TaskClosed;
    use crate::test_support::{answered_call, at, missed_call_task};

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

    #[test]
    fn tasks_print_as_aligned_columns() {
        let mut open = missed_call_task("+79161234567", 0);
        open.id = 7;
        open.last_at = at(3_600 + 65);
        open.attempts = 12;
        open.kinds.push("voicemail".to_owned());
        let mut closed = missed_call_task("104", 30);
        closed.id = 12;
        closed.name = None;
        closed.assignee = None;
        closed.longest_wait = Duration::from_millis(3_725_999);
        closed.closed = Some(TaskClosed {
            at: at(90),
            by: "extension:104".to_owned(),
        });
        let expected = "\
ID  NUMBER        NAME  ATTEMPTS  FIRST (UTC)          LAST (UTC)            WAITED  ASSIGNED TO    STATE   KINDS
 7  +79161234567  Ivan        12  2026-11-23 10:00:00  2026-11-23 11:01:05  0:00:42  extension:104  open    missed,voicemail
12  104           -            1  2026-11-23 10:00:30  2026-11-23 10:00:30  1:02:05  -              closed  missed
";
        assert_eq!(format_tasks_table(&[open, closed]), expected);
    }

    #[test]
    fn no_tasks_print_the_header_alone() {
        assert_eq!(
            format_tasks_table(&[]),
            "ID  NUMBER  NAME  ATTEMPTS  FIRST (UTC)  LAST (UTC)  WAITED  ASSIGNED TO  STATE  KINDS\n"
        );
    }
}
