//! `switchboard trace CALL_ID` as an operator runs it: the built binary against a data
//! directory whose call records were written by the store's own writer, as the PBX writes them.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, TimeDelta, Utc};
use sb_store::{CallParty, CallRecord, Disposition, HangupBy, Store, TraceLine};

const ROUTED_ID: &str = "0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f";
const ROUTED_SIP_CALL_ID: &str = "a84b4c76e66710@pc33.example.com";

/// 2026-11-23 10:00:00 UTC plus `millis`.
fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_428_000, 0).expect("a time in range")
        + TimeDelta::milliseconds(millis)
}

fn record(id: &str, sip_call_id: &str, trace: Vec<TraceLine>) -> CallRecord {
    CallRecord {
        id: id.to_owned(),
        sip_call_id: sip_call_id.to_owned(),
        caller: CallParty {
            number: "+79161234567".to_owned(),
            name: None,
            endpoint: Some("trunk:carrier".to_owned()),
        },
        callee: CallParty {
            number: "700".to_owned(),
            name: Some("sales".to_owned()),
            endpoint: None,
        },
        started_at: at(0),
        answered_at: None,
        ended_at: at(32_000),
        disposition: Disposition::NoAnswer,
        hangup_by: HangupBy::Caller,
        sip_cause: 487,
        reason: "caller cancelled".to_owned(),
        trace,
    }
}

fn line(millis: i64, step: &str, text: &str) -> TraceLine {
    TraceLine {
        at: at(millis),
        step: step.to_owned(),
        text: text.to_owned(),
    }
}

/// A data directory with a call routed through a scenario, a direct call, and two calls whose
/// ids begin alike, written through the background writer.
fn prepared_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = Store::open(dir.path()).await.expect("open store");
        let (sink, writer) = sb_store::spawn_writer(store);
        sink.submit(record(
            ROUTED_ID,
            ROUTED_SIP_CALL_ID,
            vec![
                line(4, "", "schedule: lunch (13:05 Europe/Moscow, Mon) → lunch"),
                line(2_480, "lunch", "menu: digit 2 → support"),
                line(17_512, "support", "dial 104: no answer after 15 s"),
            ],
        ));
        sink.submit(record("direct-call", "direct@192.0.2.10", Vec::new()));
        sink.submit(record("5e5e5e5e-0001", "twin-1@192.0.2.10", Vec::new()));
        sink.submit(record("5e5e5e5e-0002", "twin-2@192.0.2.10", Vec::new()));
        drop(sink);
        writer.await.expect("writer flushed");
    });
    dir
}

fn switchboard_trace(data_dir: &Path, call_id: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    // Nothing from the environment may point the command elsewhere.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SWITCHBOARD_") {
            command.env_remove(&name);
        }
    }
    command
        .env_remove("RUST_LOG")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("trace")
        .arg(call_id)
        .output()
        .expect("run switchboard trace")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr")
}

const ROUTED_TRACE: &str = "\
call     0b6c1f2e-5a4d-4c3b-9e8f-7a6b5c4d3e2f (SIP Call-ID a84b4c76e66710@pc33.example.com)
from/to  +79161234567 → 700 (sales)
started  2026-11-23 10:00:00.000 UTC
outcome  NO ANSWER, 487 caller cancelled (hung up by caller after 0:00:32)

   +0.004 s  [-]        schedule: lunch (13:05 Europe/Moscow, Mon) → lunch
   +2.480 s  [lunch]    menu: digit 2 → support
  +17.512 s  [support]  dial 104: no answer after 15 s
";

#[test]
fn trace_prints_a_call_found_by_id_sip_call_id_or_prefix() {
    let dir = prepared_data_dir();
    for key in [ROUTED_ID, ROUTED_SIP_CALL_ID, "0b6c1f2e"] {
        let output = switchboard_trace(dir.path(), key);
        assert_eq!(
            output.status.code(),
            Some(0),
            "trace {key}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), ROUTED_TRACE, "trace {key}");
    }
}

#[test]
fn a_direct_call_says_it_has_no_scenario() {
    let dir = prepared_data_dir();
    let output = switchboard_trace(dir.path(), "direct-call");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("call     direct-call "), "{text}");
    assert!(text.ends_with("\ndirect call: no scenario\n"), "{text}");
}

#[test]
fn an_unknown_call_exits_1_with_a_message() {
    let dir = prepared_data_dir();
    let output = switchboard_trace(dir.path(), "no-such-call");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let message = stderr(&output);
    assert!(message.contains("no call \"no-such-call\""), "{message}");
    assert!(message.contains("switchboard calls"), "{message}");
}

#[test]
fn an_ambiguous_prefix_exits_1_naming_the_candidates() {
    let dir = prepared_data_dir();
    let output = switchboard_trace(dir.path(), "5e5e5e5e");
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("ambiguous"), "{message}");
    assert!(
        message.contains("5e5e5e5e-0001, 5e5e5e5e-0002"),
        "{message}"
    );
}

#[test]
fn a_data_dir_without_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("not-here");
    let output = switchboard_trace(&missing, ROUTED_ID);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("no database"), "{message}");
    assert!(!missing.exists(), "trace created {}", missing.display());
}
