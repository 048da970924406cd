//! Scenarios that ring people, end to end: ring groups (all at once, in order, round robin
//! across calls and a reload, skipping busy and unregistered members, nobody available,
//! the caller cancelling, the member hanging up), a `dial` that also rings the person's
//! mobile through the carrier trunk, and a `forward` to an outside number (answered, early
//! media, busy and no answer routed by the step's `on`). Each call is checked by what the
//! SIP peers (SIPp on every side) saw, its call record and its routing trace
//! (`switchboard trace`).
//!
//! `answer_on_the_mobile_is_recorded_as_the_callee` shows a known PBX bug (the record of a
//! call answered through the trunk keeps the dialled internal number as its callee).

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The internal number the tests' scenario `rg` is reached at from a desk phone.
const RG_NUMBER: &str = "810";
/// A carrier DID leading to the same scenario.
const RG_DID: &str = "74950000010";
/// The number the carrier calls from.
const CALLER_NUMBER: &str = "79161234567";
/// An outside number a `forward` step rings.
const OUTSIDE: &str = "+79161234567";

/// The demo office with its carrier trunk at 127.0.0.1:`trunk_port`, plus 810 and the DID
/// 74950000010 leading to `[scenario.rg]`, whose steps are `steps` (TOML, tables under
/// `[scenario.rg.steps.NAME]`; `entry` and `default` name two of them).
fn office(trunk_port: u16, entry: &str, default: &str, steps: &str) -> Pbx {
    let mut text = ConfigText::demo().trunk_port(trunk_port).0;
    text.push_str(&format!(
        r#"

[[internal]]
number = "{RG_NUMBER}"
target = "scenario:rg"

[[did]]
number = "{RG_DID}"
trunk = "carrier"
target = "scenario:rg"

[scenario.rg]
entry = "{entry}"
default = "{default}"
{steps}
"#
    ));
    Pbx::start(PbxOptions::with_config(ConfigText(text)))
}

/// The usual end of the tests' scenarios: hang up with cause `closed`.
const CLOSED: &str = r#"
[scenario.rg.steps.closed]
kind = "hangup"
cause = "closed"
"#;

/// `switchboard --data-dir DIR trace KEY`, polled until the call's record is written.
fn trace(pbx: &Pbx, key: &str) -> String {
    let data_dir = pbx.data_dir.display().to_string();
    let deadline = Instant::now() + RECORD_TIMEOUT;
    loop {
        let out = std::process::Command::new(common::pbx::binary())
            .args(["--data-dir", &data_dir, "trace", key])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run switchboard trace");
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        if Instant::now() > deadline {
            panic!(
                "no trace of call {key} within {RECORD_TIMEOUT:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Asserts that each of `lines` is part of a trace line after the previous one's.
fn assert_trace_in_order(trace: &str, lines: &[&str]) {
    let all: Vec<&str> = trace.lines().collect();
    let mut from = 0;
    for wanted in lines {
        match all[from..].iter().position(|l| l.contains(wanted)) {
            Some(i) => from += i + 1,
            None => panic!("the trace has no {wanted:?} after line {from}:\n{trace}"),
        }
    }
}

/// Asserts that no trace line contains `text`.
fn assert_trace_lacks(trace: &str, text: &str) {
    if let Some(line) = trace.lines().find(|l| l.contains(text)) {
        panic!("the trace should have no {text:?}, but has {line:?}:\n{trace}");
    }
}

/// The offset from the call's start (`+2.013 s`) of the first trace line containing
/// `text`, in seconds.
fn trace_offset(trace: &str, text: &str) -> f64 {
    let line = trace
        .lines()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("the trace has no {text:?}:\n{trace}"));
    let offset = line
        .split_whitespace()
        .find(|w| w.starts_with('+') || w.starts_with('-'))
        .unwrap_or_else(|| panic!("no offset in trace line {line:?}"));
    offset
        .parse()
        .unwrap_or_else(|e| panic!("offset {offset:?} of {line:?}: {e}"))
}

/// The `from/to` line of `switchboard trace`.
fn parties(trace: &str) -> &str {
    trace
        .lines()
        .find(|l| l.starts_with("from/to"))
        .unwrap_or_else(|| panic!("no from/to line:\n{trace}"))
}

/// Extension 101 calls the scenario with `scenario` (rg_caller or rg_caller_wait_end).
fn desk_caller(pbx: &Pbx, scenario: &str) -> Sipp {
    caller(pbx, scenario, "101", RG_NUMBER).timeout(Duration::from_secs(40))
}

/// The user part of a Request-URI such as `sip:79000000104@127.0.0.1:5090`.
fn uri_user(uri: &str) -> &str {
    let rest = uri.strip_prefix("sip:").unwrap_or(uri);
    rest.split('@').next().unwrap_or(rest)
}

/// Strategy `all`, called from the carrier's DID: 103 and 104 ring at once, 103 answers,
/// 104 is cancelled; the record's callee is 103.
#[test]
fn ring_group_all_rings_everyone_and_the_first_answer_wins() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "all"
member_timeout = 5
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let vera = registered_uas(&pbx, "103", "uas_answer", |s| s.pause_ms(700));
    let gleb = registered_uas(&pbx, "104", "uas_ring_forever", |s| s);
    let carrier = pbx
        .sipp("trunk_uac")
        .port(trunk)
        .key("user", CALLER_NUMBER)
        .service(RG_DID)
        .pause_ms(500)
        .run();
    let vera = vera.wait_after(&carrier);
    let gleb = gleb.wait_after(&carrier);
    carrier.assert_success();
    vera.assert_success();
    gleb.assert_success();
    assert_eq!(
        carrier.expect_log("RINGING"),
        "1",
        "the members' ringing reaches the caller"
    );
    assert_eq!(
        vera.expect_log("GOT_BYE"),
        "1",
        "the caller's BYE reaches 103"
    );
    assert!(
        vera.expect_log("FROM").contains(&CALLER_NUMBER[1..]),
        "103 sees the caller's number: {}",
        vera.expect_log("FROM")
    );
    assert_eq!(gleb.expect_log("GOT_INVITE"), "1", "104 rang too");
    assert_eq!(gleb.expect_log("GOT_CANCEL"), "1", "104 is cancelled");

    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.callee.starts_with("103"),
        "answered by 103: {record:?}"
    );
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "scenario rg",
            "ring group group: 103, 104 at once (5 s)",
            "ring group group: answered",
        ],
    );
    assert!(parties(&trace).contains("103"), "{trace}");
}

/// Strategy `in_order`: 103 rings out after its 2 s, then 104 rings and answers.
#[test]
fn ring_group_in_order_moves_on_after_a_member_rings_out() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104", "105"]
strategy = "in_order"
member_timeout = 2
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let vera = registered_uas(&pbx, "103", "uas_ring_forever", |s| s);
    let mut gleb = registered_uas(&pbx, "104", "uas_answer", |s| s.pause_ms(300));
    let dina = registered_uas(&pbx, "105", "uas_answer", |s| s);
    let started = Instant::now();
    let call = desk_caller(&pbx, "rg_caller").pause_ms(500).spawn();
    gleb.wait_log("GOT_INVITE", Duration::from_secs(10));
    let gleb_rang_after = started.elapsed();
    let call = call.wait();
    let vera = vera.wait_after(&call);
    let gleb = gleb.wait_after(&call);
    call.assert_success();
    vera.assert_success();
    gleb.assert_success();
    assert_eq!(
        vera.expect_log("GOT_CANCEL"),
        "1",
        "103 rang out and was cancelled"
    );
    assert_eq!(gleb.expect_log("GOT_BYE"), "1");
    assert!(
        gleb_rang_after >= Duration::from_millis(1_900),
        "104 rang only after 103's 2 s: after {gleb_rang_after:?}"
    );
    let dina = dina.stop();
    assert_eq!(dina.received("INVITE"), 0, "105 never rang:\n{dina}");

    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "ring group group: ring 103 (2 s)",
            "ring group group: 103 no answer after 2 s",
            "ring group group: ring 104 (2 s)",
            "ring group group: 104 answered",
        ],
    );
    assert_trace_lacks(&trace, "ring 105");
    let no_answer = trace_offset(&trace, "103 no answer");
    assert!(
        (1.8..4.0).contains(&no_answer),
        "103 rang for its member_timeout of 2 s: {no_answer} s\n{trace}"
    );
    assert!(parties(&trace).contains("104"), "{trace}");
}

/// Strategy `round_robin`: the first call starts at 103, who answers; the second starts
/// after 103, at 104, and 103 does not ring.
#[test]
fn ring_group_round_robin_starts_after_who_answered_last() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104", "105"]
strategy = "round_robin"
member_timeout = 3
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let vera_port = ports::port();
    register(&pbx, "103", vera_port);
    let gleb_port = ports::port();
    register(&pbx, "104", gleb_port);

    // Call 1: 103 rings first and answers.
    let mut vera = pbx.sipp("uas_answer").port(vera_port).pause_ms(300).spawn();
    vera.wait_ready();
    let mut gleb = pbx.sipp("uas_answer").port(gleb_port).spawn();
    gleb.wait_ready();
    let first = desk_caller(&pbx, "rg_caller").pause_ms(300).run();
    let vera = vera.wait_after(&first);
    first.assert_success();
    vera.assert_success();
    let first_trace = trace(&pbx, &first.expect_log("CALL_ID"));
    assert_trace_in_order(
        &first_trace,
        &[
            "ring group group: ring 103 (3 s)",
            "ring group group: 103 answered",
        ],
    );
    assert_trace_lacks(&first_trace, "round robin from");

    // Call 2: starts at 104, who answers; 103 (ready to answer) is not rung.
    let mut vera = pbx.sipp("uas_answer").port(vera_port).spawn();
    vera.wait_ready();
    let second = desk_caller(&pbx, "rg_caller").pause_ms(300).run();
    let gleb = gleb.wait_after(&second);
    second.assert_success();
    gleb.assert_success();
    assert_eq!(gleb.expect_log("GOT_BYE"), "1");
    let vera = vera.stop();
    assert_eq!(
        vera.received("INVITE"),
        0,
        "103 answered last, so the second call must not ring 103 first:\n{vera}"
    );
    let second_trace = trace(&pbx, &second.expect_log("CALL_ID"));
    assert_trace_in_order(
        &second_trace,
        &[
            "ring group group: round robin from 104 (103 answered last)",
            "ring group group: ring 104 (3 s)",
            "ring group group: 104 answered",
        ],
    );
    assert!(parties(&second_trace).contains("104"), "{second_trace}");
}

/// In order, 103 not registered and 104 in a direct call: both are skipped at once (no
/// INVITE, no member_timeout waited) and 105 answers.
#[test]
fn ring_group_skips_unregistered_and_busy_members_at_once() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104", "105"]
strategy = "in_order"
member_timeout = 3
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    // 104 talks to 106 in a direct call through the PBX for the whole test.
    let mut gleb = registered_uas(&pbx, "104", "uas_answer", |s| s);
    let direct = caller(&pbx, "uac_call", "106", "104")
        .pause_ms(4_000)
        .timeout(Duration::from_secs(30))
        .spawn();
    gleb.wait_log("GOT_ACK", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let mut dina = registered_uas(&pbx, "105", "uas_answer", |s| s.pause_ms(300));

    let started = Instant::now();
    let call = desk_caller(&pbx, "rg_caller").pause_ms(500).spawn();
    dina.wait_log("GOT_INVITE", Duration::from_secs(10));
    let dina_rang_after = started.elapsed();
    let call = call.wait();
    let dina = dina.wait_after(&call);
    call.assert_success();
    dina.assert_success();
    assert_eq!(dina.expect_log("GOT_BYE"), "1");
    assert!(
        dina_rang_after < Duration::from_millis(2_500),
        "103 and 104 were skipped at once, not rung for 3 s each: 105 rang after {dina_rang_after:?}"
    );

    let direct = direct.wait();
    let gleb = gleb.wait_after(&direct);
    direct.assert_success();
    gleb.assert_success();
    assert_eq!(
        gleb.received("INVITE"),
        1,
        "104, busy, got only the direct call's INVITE:\n{gleb}"
    );

    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "ring group group: ring 103 (3 s)",
            "ring group group: 103 unavailable",
            "ring group group: ring 104 (3 s)",
            "ring group group: 104 busy",
            "ring group group: ring 105 (3 s)",
            "ring group group: 105 answered",
        ],
    );
    let at = trace_offset(&trace, "ring 105");
    assert!(at < 1.0, "105 rang {at} s into the call:\n{trace}");
    assert!(parties(&trace).contains("105"), "{trace}");
}

/// Nobody in the group is registered: every member is skipped at once and the group's
/// outcome, `unavailable`, goes to the step's `on.unavailable`.
#[test]
fn ring_group_with_nobody_available_routes_on_unavailable() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104", "105"]
strategy = "in_order"
member_timeout = 3
on = {{ unavailable = "nobody", no_answer = "closed", busy = "closed" }}

[scenario.rg.steps.nobody]
kind = "hangup"
cause = "busy"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let started = Instant::now();
    let call = desk_caller(&pbx, "rg_caller_wait_end").run();
    let took = started.elapsed();
    call.assert_success();
    assert_eq!(
        call.expect_log("FINAL"),
        "486",
        "the hangup step's cause busy is a 486 to a caller not yet answered"
    );
    assert!(
        took < Duration::from_secs(3),
        "nobody could ring, so no member_timeout was waited: {took:?}"
    );
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "ring group group: 103 unavailable",
            "ring group group: 104 unavailable",
            "ring group group: 105 unavailable",
            "ring group group: unavailable → nobody",
            "hangup: busy",
        ],
    );
}

/// Strategy `all` with nobody registered: the one dial has nobody to ring, so the group is
/// `unavailable` at once and `next` runs (a prompt, then the hang-up).
#[test]
fn ring_group_all_with_nobody_registered_goes_to_next() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "all"
member_timeout = 3
next = "sorry"

[scenario.rg.steps.sorry]
kind = "play"
prompts = ["num-1"]
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let call = desk_caller(&pbx, "rg_caller_wait_end").run();
    call.assert_success();
    assert_eq!(
        call.expect_log("ANSWERED"),
        "1",
        "answered to play the prompt"
    );
    assert_eq!(call.expect_log("GOT_BYE"), "1", "then hung up by the PBX");
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "ring group group: 103, 104 at once (3 s)",
            "ring group group: unavailable → sorry",
            "play num-1",
            "hangup: closed",
        ],
    );
    let at = trace_offset(&trace, "unavailable → sorry");
    assert!(at < 1.0, "nobody to ring is known at once: {at} s\n{trace}");
}

/// `dial` with `mobile = true`: 104's desk phone rings and is not answered, the mobile
/// (+79000000104 through the carrier trunk) answers; 104's phone is cancelled.
#[test]
fn dial_with_mobile_is_answered_on_the_mobile_through_the_trunk() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.desk]
kind = "dial"
extension = "104"
mobile = true
timeout = 10
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "desk", "closed", &steps);
    let desk = registered_uas(&pbx, "104", "uas_ring_forever", |s| s);
    let mut mobile = pbx.sipp("uas_answer").port(trunk).pause_ms(800).spawn();
    mobile.wait_ready();
    let call = desk_caller(&pbx, "rg_caller").pause_ms(500).run();
    let mobile = mobile.wait_after(&call);
    let desk = desk.wait_after(&call);
    call.assert_success();
    mobile.assert_success();
    desk.assert_success();
    let uri = mobile.expect_log("REQUEST_URI");
    assert_eq!(
        uri_user(&uri),
        "79000000104",
        "the carrier is asked for 104's mobile: {uri}"
    );
    assert_eq!(
        mobile.expect_log("GOT_BYE"),
        "1",
        "the caller's BYE reaches the mobile"
    );
    assert_eq!(
        desk.expect_log("GOT_INVITE"),
        "1",
        "the desk phone rang too"
    );
    assert_eq!(desk.expect_log("GOT_CANCEL"), "1", "and is cancelled");

    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "dial 104 and mobile +79000000104 (10 s)",
            "dial 104 and mobile +79000000104: answered",
        ],
    );
}

/// `forward` to an outside number: the carrier gets the INVITE for it and answers.
#[test]
fn forward_rings_the_outside_number_through_the_trunk() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.out]
kind = "forward"
number = "{OUTSIDE}"
timeout = 10
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "out", "closed", &steps);
    let mut carrier = pbx.sipp("uas_answer").port(trunk).pause_ms(300).spawn();
    carrier.wait_ready();
    let call = desk_caller(&pbx, "rg_caller").pause_ms(500).run();
    let carrier = carrier.wait_after(&call);
    call.assert_success();
    carrier.assert_success();
    let uri = carrier.expect_log("REQUEST_URI");
    assert_eq!(uri_user(&uri), &OUTSIDE[1..], "{uri}");
    assert_eq!(carrier.expect_log("GOT_BYE"), "1");
    assert!(
        carrier.expect_log("FROM").contains("101"),
        "the outside party sees the caller: {}",
        carrier.expect_log("FROM")
    );
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            &format!("forward {OUTSIDE} (10 s)"),
            &format!("forward {OUTSIDE}: answered"),
        ],
    );
    pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
}

/// `forward` answered 486 by the carrier: the step's `on.busy` runs (a prompt, then the
/// hang-up), not its `next`.
#[test]
fn forward_busy_runs_the_on_busy_branch() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.out]
kind = "forward"
number = "{OUTSIDE}"
timeout = 10
on = {{ busy = "sorry" }}
next = "closed"

[scenario.rg.steps.sorry]
kind = "play"
prompts = ["num-1"]
next = "bye"

[scenario.rg.steps.bye]
kind = "hangup"
cause = "busy"
{CLOSED}"#
    );
    let pbx = office(trunk, "out", "closed", &steps);
    let mut carrier = pbx.sipp("uas_busy").port(trunk).spawn();
    carrier.wait_ready();
    let call = desk_caller(&pbx, "rg_caller_wait_end").run();
    let carrier = carrier.wait_after(&call);
    call.assert_success();
    carrier.assert_success();
    assert_eq!(carrier.expect_log("GOT_ACK"), "1", "the 486 is ACKed");
    assert_eq!(uri_user(&carrier.expect_log("REQUEST_URI")), &OUTSIDE[1..]);
    assert_eq!(
        call.expect_log("ANSWERED"),
        "1",
        "answered to play the prompt"
    );
    assert_eq!(call.expect_log("GOT_BYE"), "1", "then hung up by the PBX");
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            &format!("forward {OUTSIDE} (10 s)"),
            &format!("forward {OUTSIDE}: busy → sorry"),
            "play num-1",
            "hangup: busy",
        ],
    );
    assert_trace_lacks(&trace, "hangup: closed");
}

/// `caller` (an extension, demo password) calls the scenario with SIPp `scenario`.
fn extension_caller(pbx: &Pbx, scenario: &str, from: &str) -> Sipp {
    caller(pbx, scenario, from, RG_NUMBER).timeout(Duration::from_secs(40))
}

/// The caller gives up while the first member rings: the member's phone is cancelled, no
/// other member rings, and the call is recorded as cancelled.
#[test]
fn caller_cancelling_during_a_ring_group_cancels_the_ringing_member() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "in_order"
member_timeout = 3
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let vera = registered_uas(&pbx, "103", "uas_ring_forever", |s| s);
    let gleb = registered_uas(&pbx, "104", "uas_answer", |s| s);
    let call = desk_caller(&pbx, "uac_cancel").pause_ms(1_000).run();
    let vera = vera.wait_after(&call);
    call.assert_success();
    vera.assert_success();
    assert_eq!(call.expect_log("FINAL"), "487");
    assert_eq!(vera.expect_log("GOT_CANCEL"), "1", "103 stops ringing");
    let gleb = gleb.stop();
    assert_eq!(
        gleb.received("INVITE"),
        0,
        "104 never rings after the caller left:\n{gleb}"
    );
    pbx.wait_for_call("CANCELLED", RECORD_TIMEOUT);
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &["ring group group: ring 103 (3 s)", "caller hung up"],
    );
    assert_trace_lacks(&trace, "ring 104");
}

/// The member who answered hangs up: the caller gets the BYE.
#[test]
fn member_hanging_up_ends_the_callers_call() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "in_order"
member_timeout = 3
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let vera = registered_uas(&pbx, "103", "uas_answer_then_bye", |s| s.pause_ms(700));
    let call = desk_caller(&pbx, "rg_caller_wait_end").run();
    let vera = vera.wait_after(&call);
    call.assert_success();
    vera.assert_success();
    assert_eq!(call.expect_log("ANSWERED"), "1");
    assert_eq!(
        call.expect_log("GOT_BYE"),
        "1",
        "103's BYE reaches the caller"
    );
    assert_eq!(vera.expect_log("BYE_ANSWERED"), "1");
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(record.callee.starts_with("103"), "{record:?}");
}

/// A member connected through the ring group is busy for the group's next call: while 103
/// talks to 101, 102's call skips 103 at once and 104 answers.
#[test]
fn member_in_a_ring_group_call_is_skipped_by_the_next_call() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "in_order"
member_timeout = 3
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let mut vera = registered_uas(&pbx, "103", "uas_answer", |s| s);
    let gleb = registered_uas(&pbx, "104", "uas_answer", |s| s.pause_ms(300));
    let first = extension_caller(&pbx, "rg_caller", "101")
        .pause_ms(4_000)
        .spawn();
    vera.wait_log("GOT_ACK", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let second = extension_caller(&pbx, "rg_caller", "102")
        .pause_ms(300)
        .run();
    let gleb = gleb.wait_after(&second);
    second.assert_success();
    gleb.assert_success();
    let first = first.wait();
    let vera = vera.wait_after(&first);
    first.assert_success();
    vera.assert_success();
    assert_eq!(
        vera.received("INVITE"),
        1,
        "103, busy with the first call, is not rung for the second:\n{vera}"
    );
    let trace = trace(&pbx, &second.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "ring group group: 103 busy",
            "ring group group: 104 answered",
        ],
    );
    let at = trace_offset(&trace, "ring 104");
    assert!(
        at < 1.0,
        "103 was skipped at once: 104 rang at {at} s\n{trace}"
    );
}

/// In order, 103's phone answers 486: the group moves on to 104 at once.
#[test]
fn ring_group_member_rejecting_busy_moves_on_at_once() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "in_order"
member_timeout = 3
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let vera = registered_uas(&pbx, "103", "uas_busy", |s| s);
    let gleb = registered_uas(&pbx, "104", "uas_answer", |s| s.pause_ms(300));
    let call = desk_caller(&pbx, "rg_caller").pause_ms(300).run();
    let vera = vera.wait_after(&call);
    let gleb = gleb.wait_after(&call);
    call.assert_success();
    vera.assert_success();
    gleb.assert_success();
    assert_eq!(vera.expect_log("GOT_ACK"), "1", "the 486 is ACKed");
    assert_eq!(gleb.expect_log("GOT_BYE"), "1");
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "ring group group: ring 103 (3 s)",
            "ring group group: 103 busy",
            "ring group group: ring 104 (3 s)",
            "ring group group: 104 answered",
        ],
    );
    let at = trace_offset(&trace, "ring 104");
    assert!(at < 1.0, "104 rang at {at} s\n{trace}");
}

/// `forward` that nobody answers: the carrier's leg is cancelled after the step's timeout
/// and `on.no_answer` runs.
#[test]
fn forward_not_answered_runs_the_on_no_answer_branch() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.out]
kind = "forward"
number = "{OUTSIDE}"
timeout = 2
on = {{ no_answer = "sorry" }}
next = "closed"

[scenario.rg.steps.sorry]
kind = "play"
prompts = ["num-1"]
next = "bye"

[scenario.rg.steps.bye]
kind = "hangup"
cause = "no_answer"
{CLOSED}"#
    );
    let pbx = office(trunk, "out", "closed", &steps);
    let mut carrier = pbx.sipp("uas_ring_forever").port(trunk).spawn();
    carrier.wait_ready();
    let call = desk_caller(&pbx, "rg_caller_wait_end").run();
    let carrier = carrier.wait_after(&call);
    call.assert_success();
    carrier.assert_success();
    assert_eq!(
        carrier.expect_log("GOT_CANCEL"),
        "1",
        "the carrier's leg is cancelled"
    );
    assert_eq!(
        call.expect_log("RINGING"),
        "1",
        "the caller heard the far end ring"
    );
    assert_eq!(call.expect_log("GOT_BYE"), "1");
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            &format!("forward {OUTSIDE} (2 s)"),
            &format!("forward {OUTSIDE}: no answer after 2 s → sorry"),
            "play num-1",
            "hangup: no_answer",
        ],
    );
    let at = trace_offset(&trace, "no answer after 2 s");
    assert!((1.8..4.0).contains(&at), "rang for 2 s: {at} s\n{trace}");
}

/// `dial` with `mobile = true` answered on the desk phone: the mobile's leg through the
/// trunk is cancelled and the record's callee is 104.
#[test]
fn dial_with_mobile_answered_on_the_desk_cancels_the_mobile() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.desk]
kind = "dial"
extension = "104"
mobile = true
timeout = 10
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "desk", "closed", &steps);
    let desk = registered_uas(&pbx, "104", "uas_answer", |s| s.pause_ms(800));
    let mut mobile = pbx.sipp("uas_ring_forever").port(trunk).spawn();
    mobile.wait_ready();
    let call = desk_caller(&pbx, "rg_caller").pause_ms(500).run();
    let mobile = mobile.wait_after(&call);
    let desk = desk.wait_after(&call);
    call.assert_success();
    desk.assert_success();
    mobile.assert_success();
    assert_eq!(uri_user(&mobile.expect_log("REQUEST_URI")), "79000000104");
    assert_eq!(
        mobile.expect_log("GOT_CANCEL"),
        "1",
        "the mobile stops ringing"
    );
    assert_eq!(desk.expect_log("GOT_BYE"), "1");
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(record.callee.starts_with("104"), "{record:?}");
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(&trace, &["dial 104 and mobile +79000000104: answered"]);
}

/// Round robin goes on across a configuration reload (SIGHUP) and wraps around: 103
/// answers the first call; after the reload the second starts at 104, who answers; the
/// third starts at 103 again.
#[test]
fn round_robin_survives_a_reload_and_wraps_around() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "round_robin"
member_timeout = 3
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let vera_port = ports::port();
    register(&pbx, "103", vera_port);
    let gleb_port = ports::port();
    register(&pbx, "104", gleb_port);
    let answer_once = |port: u16| {
        let mut uas = pbx.sipp("uas_answer").port(port).spawn();
        uas.wait_ready();
        uas
    };
    let call = |who: u16| {
        let uas = answer_once(who);
        let call = desk_caller(&pbx, "rg_caller").pause_ms(300).run();
        let uas = uas.wait_after(&call);
        call.assert_success();
        uas.assert_success();
        trace(&pbx, &call.expect_log("CALL_ID"))
    };

    let first = call(vera_port);
    assert_trace_in_order(&first, &["ring group group: 103 answered"]);

    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(pbx.pid() as libc::pid_t, libc::SIGHUP) };
    wait_until("the reload's log line", Duration::from_secs(10), || {
        pbx.log().contains("configuration reloaded").then_some(())
    });

    let second = call(gleb_port);
    assert_trace_in_order(
        &second,
        &[
            "ring group group: round robin from 104 (103 answered last)",
            "ring group group: 104 answered",
        ],
    );
    let third = call(vera_port);
    assert_trace_in_order(
        &third,
        &[
            "ring group group: round robin from 103 (104 answered last)",
            "ring group group: 103 answered",
        ],
    );
}

/// Whoever answers a scenario's dial is the call record's callee, also when it is the
/// person's mobile through the trunk: the record must not keep the internal number dialled
/// (810) as if nobody in particular had answered.
#[test]
fn answer_on_the_mobile_is_recorded_as_the_callee() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.desk]
kind = "dial"
extension = "104"
mobile = true
timeout = 10
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "desk", "closed", &steps);
    let mut mobile = pbx.sipp("uas_answer").port(trunk).pause_ms(300).spawn();
    mobile.wait_ready();
    let call = desk_caller(&pbx, "rg_caller").pause_ms(300).run();
    let mobile = mobile.wait_after(&call);
    call.assert_success();
    mobile.assert_success();
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.callee.contains("104") || record.callee.contains("79000000104"),
        "answered on 104's mobile, but the record's callee is {:?}: {record:?}",
        record.callee
    );
}

/// A member calling their own group is not rung (they are in this very call): with `all`,
/// 103 calls the group of 103 and 104, and only 104 rings and answers.
#[test]
fn member_calling_their_own_group_is_not_rung() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "all"
member_timeout = 3
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let vera = registered_uas(&pbx, "103", "uas_answer", |s| s);
    let gleb = registered_uas(&pbx, "104", "uas_answer", |s| s.pause_ms(300));
    let call = extension_caller(&pbx, "rg_caller", "103")
        .pause_ms(300)
        .run();
    let gleb = gleb.wait_after(&call);
    call.assert_success();
    gleb.assert_success();
    let vera = vera.stop();
    assert_eq!(
        vera.received("INVITE"),
        0,
        "the caller's own phone rang:\n{vera}"
    );
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(record.callee.starts_with("104"), "{record:?}");
}

/// A member with two registered phones: with `all`, both ring; the one that answers has
/// the call and the other is cancelled.
#[test]
fn ring_group_all_rings_every_phone_of_a_member() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.group]
kind = "ring_group"
members = ["103", "104"]
strategy = "all"
member_timeout = 5
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "group", "closed", &steps);
    let desk = registered_uas(&pbx, "104", "uas_ring_forever", |s| s);
    let softphone = registered_uas(&pbx, "104", "uas_answer", |s| s.pause_ms(500));
    let call = desk_caller(&pbx, "rg_caller").pause_ms(300).run();
    let desk = desk.wait_after(&call);
    let softphone = softphone.wait_after(&call);
    call.assert_success();
    desk.assert_success();
    softphone.assert_success();
    assert_eq!(desk.expect_log("GOT_CANCEL"), "1");
    assert_eq!(softphone.expect_log("GOT_BYE"), "1");
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(record.callee.starts_with("104"), "{record:?}");
}

/// A carrier that sends early media (183 with SDP) before answering a `forward`: the
/// caller gets early media too, then the answer.
#[test]
fn forward_passes_the_carriers_early_media_to_the_caller() {
    let trunk = ports::port();
    let steps = format!(
        r#"
[scenario.rg.steps.out]
kind = "forward"
number = "{OUTSIDE}"
timeout = 10
next = "closed"
{CLOSED}"#
    );
    let pbx = office(trunk, "out", "closed", &steps);
    let mut carrier = pbx
        .sipp("uas_early_media")
        .port(trunk)
        .pause_ms(800)
        .spawn();
    carrier.wait_ready();
    let call = desk_caller(&pbx, "rg_caller").pause_ms(300).run();
    let carrier = carrier.wait_after(&call);
    call.assert_success();
    carrier.assert_success();
    assert_eq!(
        call.expect_log("EARLY"),
        "183",
        "early media before the answer"
    );
    assert_eq!(call.expect_log("ANSWERED"), "1");
    assert_eq!(carrier.expect_log("GOT_BYE"), "1");
}
