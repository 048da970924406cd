//! Records for the tests: a fixed clock, a typical answered call to vary, and voicemail on a
//! real temporary disk, written the way the media layer's recorder writes it.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use hound::{SampleFormat, WavSpec, WavWriter};

use crate::record::{CallParty, CallRecord, Disposition, HangupBy, TraceLine};
use crate::store::Store;
use crate::tasks::{Assignee, TaskRow};
use crate::voicemail::{MessageSlot, NewMessage};

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

/// An in-memory database with its voicemail in a fresh temporary directory, which lives as
/// long as the returned guard.
pub(crate) async fn voicemail_store() -> (tempfile::TempDir, Store) {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = Store::open_in_memory()
        .await
        .expect("open")
        .with_voicemail_dir(temp.path().join("voicemail"));
    (temp, store)
}

/// Ivan (+79161234567) leaves a message in `mailbox`, `secs` after the test clock's start,
/// from call `call-<secs>`.
pub(crate) fn new_message(mailbox: &str, secs: i64) -> NewMessage {
    NewMessage {
        mailbox: mailbox.to_owned(),
        caller_number: "+79161234567".to_owned(),
        caller_name: Some("Ivan".to_owned()),
        call_id: format!("call-{secs}"),
        received_at: at(secs),
    }
}

/// The recorder's format: 16-bit mono at 8 kHz.
pub(crate) const SPEC: WavSpec = WavSpec {
    channels: 1,
    sample_rate: 8_000,
    bits_per_sample: 16,
    sample_format: SampleFormat::Int,
};

/// The `n`th sample of every test recording, so a repaired file can be checked sample by
/// sample.
pub(crate) fn sample(n: u32) -> i16 {
    (n % 2_000) as i16 - 1_000
}

/// A complete WAV file of `samples` samples at `path`, as the recorder commits it.
pub(crate) fn write_committed_wav(path: &Path, samples: u32) {
    let mut writer = WavWriter::create(path, SPEC).expect("create wav");
    for n in 0..samples {
        writer.write_sample(sample(n)).expect("write sample");
    }
    writer.finalize().expect("finalize");
}

/// The bytes a recorder killed mid-recording leaves in its `.part` file: the header as hound
/// first wrote it (both sizes 0), then `samples` samples, then `extra` bytes of a torn write.
pub(crate) fn crashed_part_bytes(samples: u32, extra: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut writer = WavWriter::new(std::io::Cursor::new(&mut bytes), SPEC).expect("header");
    for n in 0..samples {
        writer.write_sample(sample(n)).expect("write sample");
    }
    writer.finalize().expect("finalize");
    bytes[4..8].fill(0);
    bytes[40..44].fill(0);
    bytes.extend_from_slice(extra);
    bytes
}

/// A callback task for a missed call from `number` `secs` after the test clock's start (call
/// `call-<secs>`, a 42.5 s wait), open, assigned to extension 104.
pub(crate) fn missed_call_task(number: &str, secs: i64) -> TaskRow {
    TaskRow {
        id: 0,
        number: number.to_owned(),
        name: Some("Ivan".to_owned()),
        first_at: at(secs),
        last_at: at(secs),
        attempts: 1,
        longest_wait: Duration::from_millis(42_500),
        kinds: vec!["missed".to_owned()],
        recordings: Vec::new(),
        assignee: Some(Assignee {
            kind: "extension".to_owned(),
            value: "104".to_owned(),
            reason: "responsible manager".to_owned(),
        }),
        closed: None,
        last_call_id: Some(format!("call-{secs}")),
    }
}

/// The steps SQLite plans for `sql`, to check that a lookup walks an index and never sorts.
pub(crate) async fn query_plan(store: &Store, sql: &str) -> Vec<String> {
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(&store.pool)
        .await
        .expect("query plan");
    plan.into_iter().map(|step| step.3).collect()
}

/// Begins a message for `mailbox`, `secs` after [`at`]'s epoch, as a caller reaching the box
/// does.
pub(crate) async fn begin(store: &Store, mailbox: &str, secs: i64) -> MessageSlot {
    store
        .begin_message(&new_message(mailbox, secs))
        .await
        .expect("begin")
}

/// A message recorded whole (`samples` samples) and finished with `duration`, its e-mails to
/// `emails` queued: what most voicemail tests start from.
pub(crate) async fn finished_message(
    store: &Store,
    mailbox: &str,
    secs: i64,
    samples: u32,
    duration: Duration,
    emails: &[&str],
) -> MessageSlot {
    let slot = begin(store, mailbox, secs).await;
    write_committed_wav(&slot.path, samples);
    let emails: Vec<String> = emails.iter().map(|email| (*email).to_owned()).collect();
    store
        .finish_message(slot.id, duration, &emails)
        .await
        .expect("finish");
    slot
}
