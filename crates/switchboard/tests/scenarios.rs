//! Calls the PBX answers itself and walks through a scenario (the demo's `main`): the
//! carrier calling the main number, extensions dialling 800 and feature codes, at the
//! times of day `--start-time` sets; each call checked by what the SIP peers saw, its call
//! record, its routing trace (`switchboard trace`, `GET /api/calls/{id}`) and its
//! voicemail file. Configuration reloads (SIGHUP) and validation through the binary too.

mod common;

use common::scenario::*;
use common::*;
use std::time::Duration;

/// The demo office with its carrier trunk at 127.0.0.1:`trunk_port`, clock at `start`.
fn office(trunk_port: u16, start: &str) -> Pbx {
    pbx_at(ConfigText::demo().trunk_port(trunk_port), start)
}

/// Day, 10:00: greeting, no responsible manager, the menu; the caller types 1 0 4 (SIP
/// INFO) during the menu prompt and is put through to 104, who answers.
#[test]
fn day_direct_dial_from_the_menu_reaches_the_extension() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("10:00"));
    let phone = registered_uas(&pbx, "104", "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    // greeting-morning is 2.3 s; then the menu prompt, which digits interrupt.
    let carrier = CallerScript::new()
        .pause_ms(3_500)
        .info_digits("104")
        .pause_ms(2_500)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    let phone = phone.wait_after(&carrier);
    carrier.assert_success();
    phone.assert_success();
    assert_eq!(
        carrier.log("CHALLENGE"),
        None,
        "the trunk is not challenged"
    );
    assert_eq!(
        phone.expect_log("GOT_BYE"),
        "1",
        "the caller's BYE reaches 104"
    );
    assert!(
        phone.expect_log("FROM").contains("9161234567"),
        "104 sees the caller's number: {}",
        phone.expect_log("FROM")
    );

    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.callee.starts_with("104"),
        "answered by 104: {record:?}"
    );
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "scenario main",
            "schedule: day (10:00 Europe/Moscow, Mon) → greeting",
            "play greeting-morning",
            "responsible: not found → menu",
            "menu menu-default",
            "menu: extension 104 dialled",
            "dial 104 (15 s)",
            "dial 104: answered",
        ],
    );

    // By a prefix of Switchboard's id, and over HTTP.
    let id = call_id_of(&trace);
    assert_eq!(
        trace_by_prefix(&pbx, &id),
        trace,
        "the trace by an 8-char id prefix"
    );
    let (status, body) = http_get(pbx.http, &format!("/api/calls/{id}"));
    assert_eq!(status, 200, "{body}");
    for text in ["play greeting-morning", "dial 104: answered", "\"trace\""] {
        assert!(
            body.contains(text),
            "GET /api/calls/{id} has no {text:?}: {body}"
        );
    }
}

/// `switchboard trace` by the first 8 characters of the call id.
fn trace_by_prefix(pbx: &Pbx, id: &str) -> String {
    trace(pbx, &id[..8])
}

/// Day: 1 (RFC 4733 from SIPp's pcap) chooses the sales queue, which is unavailable until
/// the ACD exists, so the scenario's default, the operator 101, rings and answers.
#[test]
fn day_digit_one_sales_queue_unavailable_falls_back_to_the_operator() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("10:00"));
    let anna = registered_uas(&pbx, "101", "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    // "1" could begin 101..109: the menu waits 3 s for more digits, then takes it as 1.
    let carrier = CallerScript::new()
        .pause_ms(3_500)
        .rtp_digits("1")
        .pause_ms(5_500)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    let anna = anna.wait_after(&carrier);
    carrier.assert_success();
    anna.assert_success();
    assert_eq!(anna.expect_log("GOT_BYE"), "1");

    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.callee.starts_with("101"),
        "answered by 101: {record:?}"
    );
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "scenario main",
            "play greeting-morning",
            "menu menu-default",
            "menu: digit 1 → sales",
            "queue sales",
            "queue sales: unavailable → operator",
            "dial 101 (15 s)",
            "dial 101: answered",
        ],
    );
}

/// The demo with a short menu (prompt `num-1`, 1 s to answer) so a silent caller goes
/// through the retry and the fallback quickly.
fn short_menu(trunk_port: u16) -> ConfigText {
    ConfigText::demo()
        .trunk_port(trunk_port)
        .set("scenario.main.steps.menu", "prompts", "[\"num-1\"]")
        .set("scenario.main.steps.menu", "timeout", "1")
}

/// Day, no input: the menu is played again, then the fallback (the operator) rings 101,
/// who is not registered, so the caller reaches voicemail: the greeting, the beep, the
/// recording of what the caller says, ended by '#', after which the PBX hangs up.
#[test]
fn day_no_input_operator_unregistered_voicemail_records_a_message() {
    let trunk = ports::port();
    let pbx = pbx_at(short_menu(trunk), &monday_at("10:00"));
    // Recording starts after greeting (2.3 s) + menu twice (2 × 1.4 s) + "leave a
    // message" (5.4 s) + the beep: about 11 s. Speech from 10 s to 14.8 s, then '#'.
    let carrier = CallerScript::new()
        .pause_ms(10_000)
        .audio()
        .pause_ms(G711A_LENGTH.as_millis() as u64 + 1_500)
        .rtp_digits("#")
        .wait_bye(Duration::from_secs(5))
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    carrier.assert_success();
    assert_eq!(
        carrier.expect_log("GOT_BYE"),
        "1",
        "the PBX hangs up after '#'"
    );

    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "menu num-1",
            "menu: timeout (1 of 1)",
            "menu: timeout, no retries left → operator",
            "dial 101",
            "dial 101: unavailable → voicemail",
            "voicemail general",
        ],
    );
    let messages = voicemail_messages(&pbx, "general");
    assert_eq!(
        messages.len(),
        1,
        "one message in box general: {messages:?}"
    );
    let name = messages[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("msg-") && name.ends_with(".wav"),
        "named msg-<id>.wav: {name}"
    );
    let listing = voicemail_listing(&pbx, "general");
    assert!(
        listing.contains("2026-11-23 07:00") && listing.contains(&name),
        "the message's row, received at 07:00 UTC, with its file:\n{listing}"
    );
    let (data, rate) = wav_data_len(&messages[0]);
    assert!(rate >= 8_000, "{name}: sample rate {rate}");
    assert!(
        data > 0,
        "{name}: the caller's speech was recorded, not an empty file"
    );
}

/// Lunch, 13:05: the lunch announcement, then the sales queue (unavailable), then the
/// scenario's default, the operator, who answers.
#[test]
fn lunch_announcement_then_sales_then_operator() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("13:05"));
    let anna = registered_uas(&pbx, "101", "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    // The lunch announcement is 8.7 s.
    let carrier = CallerScript::new()
        .pause_ms(11_000)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    let anna = anna.wait_after(&carrier);
    carrier.assert_success();
    anna.assert_success();
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "scenario main",
            "schedule: lunch (13:05 Europe/Moscow, Mon) → lunch",
            "play lunch",
            "queue sales",
            "queue sales: unavailable → operator",
            "dial 101: answered",
        ],
    );
    assert!(
        !trace.contains("greeting"),
        "no day greeting at lunch:\n{trace}"
    );
}

/// Night, 20:00: the night greeting, then the general voicemail box; the caller hangs up
/// at the tone without a word, and the (empty) message is still kept as a valid WAV.
#[test]
fn night_greeting_then_voicemail_keeps_a_message_when_the_caller_hangs_up() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("20:00"));
    // night (8.6 s) + "leave a message" (5.4 s) + beep: recording from about 14.5 s.
    let carrier = CallerScript::new()
        .pause_ms(16_500)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    carrier.assert_success();
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "scenario main",
            "schedule: night (20:00 Europe/Moscow, Mon) → night",
            "play night",
            "voicemail general",
        ],
    );
    let messages = wait_until("the voicemail message", RECORD_TIMEOUT, || {
        Some(voicemail_messages(&pbx, "general")).filter(|m| !m.is_empty())
    });
    assert_eq!(messages.len(), 1, "{messages:?}");
    let name = messages[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let listing = voicemail_listing(&pbx, "general");
    assert!(
        listing.contains("2026-11-23 17:00") && listing.contains(&name),
        "the message's row, received at 17:00 UTC, with its file:\n{listing}"
    );
    wav_data_len(&messages[0]);
}

/// A holiday (4 November, Unity Day) at 10:00, a Wednesday: the night branch, and the trace
/// names the holiday.
#[test]
fn holiday_takes_the_night_branch_and_names_the_holiday() {
    let trunk = ports::port();
    let pbx = office(trunk, "2026-11-04T10:00:00+03:00");
    // Hang up once voicemail has begun ("leave a message" plays from about 8.6 s).
    let carrier = CallerScript::new()
        .pause_ms(10_000)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    carrier.assert_success();
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "schedule: holiday \"Unity Day\" (2026-11-04 Europe/Moscow) → night",
            "play night",
            "voicemail general",
        ],
    );
}

/// An extension dials a feature code: answered, a beep, the PBX's BYE.
fn dial_feature_code(pbx: &Pbx, from: &str, code: &str) -> SippOutcome {
    let outcome = CallerScript::new()
        .wait_bye(Duration::from_secs(5))
        .extension(pbx, from, code)
        .run();
    outcome.assert_success();
    assert_eq!(
        outcome.expect_log("CHALLENGE"),
        "407",
        "{code} is authenticated"
    );
    assert_eq!(outcome.expect_log("ANSWERED"), "1");
    assert_eq!(
        outcome.expect_log("GOT_BYE"),
        "1",
        "{code}: the PBX hangs up"
    );
    outcome
}

/// A short carrier call to the main number; its trace.
fn short_carrier_call(pbx: &Pbx, trunk: u16) -> String {
    let carrier = CallerScript::new()
        .pause_ms(1_500)
        .bye()
        .carrier(pbx, trunk, MAIN_NUMBER)
        .run();
    carrier.assert_success();
    trace(pbx, &carrier.expect_log("CALL_ID"))
}

/// *51 from Anna (101) closes the office at 10:00: the next call takes the night branch and
/// its trace shows the override; Vera (103) may not dial it (403); *50 restores the hours.
#[test]
fn night_override_by_feature_code_and_back() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("10:00"));

    dial_feature_code(&pbx, "101", "*51");
    let night = short_carrier_call(&pbx, trunk);
    assert_trace_in_order(
        &night,
        &[
            "schedule: override night by extension 101 (*51) until cancelled \
             (10:00 Europe/Moscow, Mon; scheduled day) → night",
            "play night",
        ],
    );

    // Overrides survive a configuration reload.
    sighup(&pbx, "SIGHUP: configuration reloaded", 1);
    let reloaded = short_carrier_call(&pbx, trunk);
    assert_trace_in_order(
        &reloaded,
        &[
            "schedule: override night by extension 101 (*51)",
            "play night",
        ],
    );

    let refused = pbx
        .sipp("scn_uac_expect_403")
        .extension("103")
        .service("*51")
        .run();
    refused.assert_success();
    assert_eq!(refused.expect_log("FORBIDDEN"), "403");

    dial_feature_code(&pbx, "101", "*50");
    let day = short_carrier_call(&pbx, trunk);
    assert_trace_in_order(
        &day,
        &[
            "schedule: day (10:00 Europe/Moscow, Mon) → greeting",
            "play greeting-morning",
        ],
    );
    assert!(!day.contains("override"), "{day}");
}

/// 800 from a registered extension reaches the main menu: the embedded demo, untouched.
#[test]
fn internal_800_reaches_the_main_menu() {
    let pbx = Pbx::start(
        PbxOptions::demo()
            .arg("--start-time")
            .arg(monday_at("10:00")),
    );
    let port = ports::port();
    register(&pbx, "102", port);
    let call = CallerScript::new()
        .pause_ms(4_000)
        .bye()
        .extension(&pbx, "102", "800")
        .port(port)
        .run();
    call.assert_success();
    assert_eq!(call.expect_log("CHALLENGE"), "407");
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    let first = trace
        .lines()
        .skip_while(|l| !l.trim().is_empty())
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(
        first.ends_with("scenario main"),
        "the trace starts with the scenario:\n{trace}"
    );
    assert_trace_in_order(
        &trace,
        &[
            "schedule: day (10:00 Europe/Moscow, Mon) → greeting",
            "play greeting-morning",
            "responsible: not found → menu",
            "menu menu-default",
            "caller hung up",
        ],
    );
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(record.caller.starts_with("102"), "{record:?}");
}

/// Sends SIGHUP and waits for the log line that says how the reload went.
fn sighup(pbx: &Pbx, expect: &str, nth: usize) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(pbx.pid() as libc::pid_t, libc::SIGHUP) };
    wait_until(
        &format!("log line {expect:?} #{nth}"),
        Duration::from_secs(10),
        || (pbx.log().matches(expect).count() >= nth).then_some(()),
    );
}

/// SIGHUP reloads the --config file: new calls follow the new version (greeting changed to
/// the night prompt, menu key 0 to voicemail), a call in progress keeps its own version;
/// an invalid file is refused with a log line and the running version stays.
#[test]
fn sighup_reload_new_calls_follow_calls_in_progress_keep_theirs() {
    let (trunk, other_trunk) = (ports::port(), ports::port());
    let config = trunk_at(&[trunk, other_trunk]);
    let pbx = pbx_at(config.clone(), &monday_at("10:00"));
    let file = pbx.dir().join("switchboard.toml");
    assert!(
        file.is_file(),
        "the harness writes the config at {}",
        file.display()
    );

    // A call in progress: in the menu when it presses 0, after the reload.
    let mut before = CallerScript::new()
        .pause_ms(5_000)
        .info_digits("0")
        .pause_ms(1_000)
        .bye()
        .carrier(&pbx, other_trunk, MAIN_NUMBER)
        .spawn();
    before.wait_log("ANSWERED", Duration::from_secs(10));

    let changed = config
        .set("scenario.main.steps.greeting", "prompts", "[\"night\"]")
        .set(
            "scenario.main.steps.menu",
            "digits",
            "{ 1 = \"sales\", 2 = \"support\", 0 = \"voicemail\" }",
        );
    std::fs::write(&file, &changed.0).unwrap();
    sighup(&pbx, "SIGHUP: configuration reloaded", 1);

    let after = short_carrier_call(&pbx, trunk);
    assert_trace_in_order(&after, &["→ greeting", "play night"]);

    // An invalid file: refused, the second version stays.
    let broken = changed.set(
        "scenario.main.steps.greeting",
        "prompts",
        "[\"no-such-prompt\"]",
    );
    std::fs::write(&file, &broken.0).unwrap();
    sighup(&pbx, "reload refused", 1);
    let log = pbx.log();
    assert!(
        log.contains("scenario.main.steps.greeting.prompts[0]"),
        "the refusal names the key path:\n{}",
        tail(&log, 30)
    );
    let still = short_carrier_call(&pbx, trunk);
    assert_trace_in_order(&still, &["→ greeting", "play night"]);

    let before = before.wait();
    before.assert_success();
    let old = trace(&pbx, &before.expect_log("CALL_ID"));
    assert_trace_in_order(&old, &["play greeting-morning", "menu: digit 0 → operator"]);
}

/// check-config refuses a scenario naming a prompt that does not exist, with the key path
/// and the prompt's name; the server refuses to start with the same file.
#[test]
fn a_missing_prompt_is_refused_by_check_config_and_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("office.toml");
    let config = ConfigText::demo().set(
        "scenario.main.steps.menu",
        "prompts",
        "[\"no-such-prompt\"]",
    );
    std::fs::write(&file, &config.0).unwrap();
    let path = file.display().to_string();

    let out = run_binary(&["check-config", &path]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "check-config exit code:\n{text}"
    );
    assert!(
        text.contains("scenario.main.steps.menu.prompts[0]") && text.contains("no-such-prompt"),
        "the message names the key path and the prompt:\n{text}"
    );

    let data = dir.path().join("data");
    let sip = format!("127.0.0.1:{}", ports::port());
    let http = format!("127.0.0.1:{}", ports::port());
    let (low, high) = ports::port_range(4);
    let rtp = format!("{low}-{high}");
    let data_arg = data.display().to_string();
    let mut child = std::process::Command::new(pbx::binary())
        .args([
            "--sip-listen",
            &sip,
            "--http-listen",
            &http,
            "--rtp-ports",
            &rtp,
            "--data-dir",
            &data_arg,
            "--config",
            &path,
        ])
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let status =
        status.unwrap_or_else(|| panic!("the server started with a missing prompt:\n{text}"));
    assert!(!status.success(), "the server exited 0:\n{text}");
    assert!(
        text.contains("scenario.main.steps.menu.prompts[0]") && text.contains("no-such-prompt"),
        "the server's message names the key path and the prompt:\n{text}"
    );
}

/// The same direct dial as RFC 4733 events (SIPp's pcaps for 1, 0, 4) from an extension
/// calling 800, in the embedded demo.
#[test]
fn internal_800_direct_dial_with_rfc4733_digits() {
    let pbx = Pbx::start(
        PbxOptions::demo()
            .arg("--start-time")
            .arg(monday_at("10:00")),
    );
    let gleb = registered_uas(&pbx, "104", "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    let call = CallerScript::new()
        .pause_ms(3_500)
        .rtp_digits("104")
        .pause_ms(2_500)
        .bye()
        .extension(&pbx, "102", "800")
        .run();
    let gleb = gleb.wait_after(&call);
    call.assert_success();
    gleb.assert_success();
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "menu menu-default",
            "menu: extension 104 dialled",
            "dial 104: answered",
        ],
    );
}

/// The person put through hangs up: the PBX ends the caller's leg with a BYE and the
/// record says the callee hung up.
#[test]
fn the_extension_hangs_up_and_the_caller_gets_a_bye() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("10:00"));
    let gleb = registered_uas(&pbx, "104", "uas_answer_then_bye", |s| {
        s.pause_ms(1_000).recv_timeout(Duration::from_secs(30))
    });
    let carrier = CallerScript::new()
        .pause_ms(3_500)
        .info_digits("104")
        .wait_bye(Duration::from_secs(10))
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    let gleb = gleb.wait_after(&carrier);
    carrier.assert_success();
    gleb.assert_success();
    assert_eq!(carrier.expect_log("GOT_BYE"), "1");
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert!(trace.contains("hung up by callee"), "{trace}");
    assert_trace_in_order(&trace, &["dial 104: answered"]);
}

/// An extension already in a call is skipped at once (busy): the direct dial of 104 ends
/// busy and the scenario's default, the operator 101, answers.
#[test]
fn a_busy_extension_is_skipped_and_the_operator_answers() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("10:00"));
    let mut gleb = registered_uas(&pbx, "104", "uas_answer", |s| {
        s.recv_timeout(Duration::from_secs(30))
    });
    let busy_call = caller(&pbx, "uac_call", "105", "104")
        .pause_ms(12_000)
        .spawn();
    gleb.wait_log("GOT_ACK", Duration::from_secs(10));
    let anna = registered_uas(&pbx, "101", "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    let carrier = CallerScript::new()
        .pause_ms(3_500)
        .info_digits("104")
        .pause_ms(2_000)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    let anna = anna.wait_after(&carrier);
    carrier.assert_success();
    anna.assert_success();
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "menu: extension 104 dialled",
            "dial 104: busy → operator",
            "dial 101: answered",
        ],
    );
    let busy_call = busy_call.wait();
    busy_call.assert_success();
    let gleb = gleb.wait();
    gleb.assert_success();
    assert_eq!(gleb.received("INVITE"), 1, "104 was not rung while busy");
}

/// Voicemail ends after 7 s of silence: a caller who says nothing after the beep and sends
/// no RTP at all (silence suppression, a muted phone, one-way media) is hung up on by the
/// PBX 7 s later, and the message is kept. Fails today: the recorder counts silence and
/// length in received samples only, so without packets the message never ends until the
/// caller leaves (or the 60 s RTP timeout).
#[test]
fn voicemail_ends_after_seven_seconds_without_any_rtp() {
    let trunk = ports::port();
    let pbx = pbx_at(short_menu(trunk), &monday_at("10:00"));
    // Recording from about 11.5 s; silence for 7 s: the PBX's BYE at about 18.5 s.
    let carrier = CallerScript::new()
        .wait_bye(Duration::from_secs(23))
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    carrier.assert_success();
    assert_eq!(carrier.expect_log("GOT_BYE"), "1");
    let messages = voicemail_messages(&pbx, "general");
    assert_eq!(messages.len(), 1, "{messages:?}");
    wav_data_len(&messages[0]);
    assert!(
        pbx.log().contains("voicemail message saved"),
        "{}",
        tail(&pbx.log(), 30)
    );
}

/// RTP from UDP source port 0 (SIPp replays pcaps from a raw socket with source port 0)
/// must not become the caller's media address: the PBX cannot send there, and the caller
/// would hear nothing more. Prompts must keep coming to the address in the caller's SDP.
#[test]
fn rtp_from_source_port_zero_does_not_silence_the_caller() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("10:00"));
    let socket = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let rtp_port = socket.local_addr().unwrap().port();
    // 5 is no menu key: "invalid choice" and the menu again, so prompts go on playing.
    let started = std::time::Instant::now();
    let mut carrier = CallerScript::new()
        .pause_ms(3_000)
        .rtp_digits("5")
        .pause_ms(4_000)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .rtp_port(rtp_port)
        .spawn();
    carrier.wait_log("ANSWERED", Duration::from_secs(10));
    let (mut before, mut after) = (0, 0);
    let mut buf = [0u8; 2048];
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    while started.elapsed() < Duration::from_millis(6_500) {
        if socket.recv_from(&mut buf).is_ok() {
            let at = started.elapsed();
            if at < Duration::from_millis(3_000) {
                before += 1;
            } else if at > Duration::from_millis(4_000) {
                after += 1;
            }
        }
    }
    let carrier = carrier.wait();
    carrier.assert_success();
    assert!(
        before > 50,
        "the greeting reached the caller: {before} packets"
    );
    let latched_zero = pbx.log().contains("source=127.0.0.1:0 ");
    assert!(
        after > 50,
        "after RTP from port 0 the caller got {after} packets in 2.5 s (latched to port 0: \
         {latched_zero}); PBX log:\n{}",
        pbx.log()
            .lines()
            .filter(|l| l.contains("latch") || l.contains("send failed"))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The caller's leg sends RTP carrying silence (PCMA 0xD5) after the beep: the recording
/// ends by the 7 s silence rule and the PBX hangs up.
#[test]
fn voicemail_ends_after_seven_seconds_of_silent_rtp() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let trunk = ports::port();
    let pbx = pbx_at(short_menu(trunk), &monday_at("10:00"));
    let socket = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let rtp_port = socket.local_addr().unwrap().port();
    let mut carrier = CallerScript::new()
        .wait_bye(Duration::from_secs(25))
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .rtp_port(rtp_port)
        .spawn();
    let pbx_media = rtp::parse_addr(&carrier.wait_log("SDP_ANSWER", Duration::from_secs(10)));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut seq: u16 = 1;
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(30) {
                let mut packet = vec![0x80, 8];
                packet.extend_from_slice(&seq.to_be_bytes());
                packet.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
                packet.extend_from_slice(&0x5eed_u32.to_be_bytes());
                packet.extend(std::iter::repeat_n(0xD5u8, 160));
                socket.send_to(&packet, pbx_media).ok();
                seq = seq.wrapping_add(1);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let carrier = carrier.wait();
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    carrier.assert_success();
    assert_eq!(carrier.expect_log("GOT_BYE"), "1");
    assert!(
        pbx.log().contains("reason=Silence"),
        "the recording stopped by silence:\n{}",
        tail(&pbx.log(), 20)
    );
    let messages = voicemail_messages(&pbx, "general");
    assert_eq!(messages.len(), 1, "{messages:?}");
    wav_data_len(&messages[0]);
}

/// While the chosen extension rings the caller hears ringback from the PBX; once it
/// answers, the two are joined: RTP flows both ways between the caller and the phone.
#[test]
fn ringback_while_the_extension_rings_then_media_both_ways() {
    use std::net::UdpSocket;
    use std::time::Instant;
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("10:00"));
    let phone_socket = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let caller_socket = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let phone_port = phone_socket.local_addr().unwrap().port();
    // 104 rings 2 s (180, pause, 200).
    let mut gleb = registered_uas(&pbx, "104", "uas_answer", |s| {
        s.pause_ms(2_000)
            .rtp_port(phone_port)
            .recv_timeout(Duration::from_secs(30))
    });
    let mut carrier = CallerScript::new()
        .pause_ms(3_500)
        .info_digits("104")
        .pause_ms(6_000)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .rtp_port(caller_socket.local_addr().unwrap().port())
        .spawn();
    let caller_side = rtp::parse_addr(&carrier.wait_log("SDP_ANSWER", Duration::from_secs(10)));

    // Until 104 answers: what reaches the caller (greeting, menu, then ringback).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut arrivals = Vec::new();
            let mut buf = [0u8; 2048];
            caller_socket
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if caller_socket.recv_from(&mut buf).is_ok() {
                    arrivals.push(Instant::now());
                }
            }
            (caller_socket, arrivals)
        })
    };
    gleb.wait_log("GOT_INVITE", Duration::from_secs(15));
    let rang_at = Instant::now();
    gleb.wait_log("GOT_ACK", Duration::from_secs(10));
    let answered_at = Instant::now();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (caller_socket, arrivals) = reader.join().unwrap();
    let ringback = arrivals
        .iter()
        .filter(|at| **at > rang_at + Duration::from_millis(300) && **at < answered_at)
        .count();
    assert!(
        ringback >= 10,
        "the caller hears ringback while 104 rings: {ringback} packets in {:?} of ringing",
        answered_at - rang_at
    );

    // Joined: each side's packets reach the other.
    let phone_side = rtp::parse_addr(&gleb.wait_log("SDP_OFFER", Duration::from_secs(1)));
    let pcap = rtp::read_pcap_rtp(rtp::G711A_PCAP);
    let from_phone: Vec<Vec<u8>> = pcap[..100].to_vec();
    let from_caller: Vec<Vec<u8>> = pcap[100..200].to_vec();
    let deadline = Instant::now() + Duration::from_secs(4);
    let phone_thread = std::thread::spawn(move || {
        rtp::play_and_record(
            &phone_socket,
            phone_side,
            &from_phone,
            Duration::from_millis(20),
            60,
            deadline,
        )
    });
    let at_caller = rtp::play_and_record(
        &caller_socket,
        caller_side,
        &from_caller,
        Duration::from_millis(20),
        60,
        deadline,
    );
    let at_phone = phone_thread.join().unwrap();
    let carrier = carrier.wait();
    let gleb = gleb.wait();
    carrier.assert_success();
    gleb.assert_success();

    let sent_by_phone = rtp::payload_set(&pcap[..100]);
    let sent_by_caller = rtp::payload_set(&pcap[100..200]);
    let payloads = |got: &[rtp::Received]| {
        rtp::payload_set(&got.iter().map(|r| r.data.clone()).collect::<Vec<_>>())
    };
    let heard_by_caller = payloads(&at_caller).intersection(&sent_by_phone).count();
    let heard_by_phone = payloads(&at_phone).intersection(&sent_by_caller).count();
    assert!(
        heard_by_caller >= 50,
        "the phone's audio reaches the caller: {heard_by_caller} of 100 packets ({} received)",
        at_caller.len()
    );
    assert!(
        heard_by_phone >= 50,
        "the caller's audio reaches the phone: {heard_by_phone} of 100 packets ({} received)",
        at_phone.len()
    );
}

/// Invalid keys: 9 (no menu key, no extension begins with it) plays "invalid choice" and
/// the menu again; a second 9 exhausts the retries and the fallback, the operator, rings;
/// 101 rings out after the operator step's timeout (2 s here) and is cancelled, and the
/// caller goes on to voicemail.
#[test]
fn invalid_keys_then_fallback_then_operator_rings_out_to_voicemail() {
    let trunk = ports::port();
    let config = short_menu(trunk).set("scenario.main.steps.operator", "timeout", "2");
    let pbx = pbx_at(config, &monday_at("10:00"));
    let anna = registered_uas(&pbx, "101", "uas_ring_forever", |s| {
        s.recv_timeout(Duration::from_secs(30))
    });
    // Greeting 2.3 s, the menu ("num-1", 0.4 s); 9; "invalid choice" (2.1 s) and the
    // menu; 9; the operator rings 2 s; voicemail.
    let carrier = CallerScript::new()
        .pause_ms(2_800)
        .info_digits("9")
        .pause_ms(1_500)
        .info_digits("9")
        .pause_ms(4_000)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    let anna = anna.wait_after(&carrier);
    carrier.assert_success();
    anna.assert_success();
    assert_eq!(anna.expect_log("GOT_CANCEL"), "1", "101 stops ringing");
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "menu num-1",
            "menu: invalid input \"9\" (1 of 1)",
            "menu: invalid input \"9\", no retries left → operator",
            "dial 101 (2 s)",
            "dial 101: no answer after 2 s → voicemail",
            "voicemail general",
        ],
    );
}

/// The caller hangs up while the extension it chose rings: the phone gets a CANCEL.
#[test]
fn caller_hangs_up_while_the_extension_rings_and_it_is_cancelled() {
    let trunk = ports::port();
    let pbx = office(trunk, &monday_at("10:00"));
    let gleb = registered_uas(&pbx, "104", "uas_ring_forever", |s| {
        s.recv_timeout(Duration::from_secs(30))
    });
    let carrier = CallerScript::new()
        .pause_ms(3_500)
        .info_digits("104")
        .pause_ms(1_500)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .run();
    let gleb = gleb.wait_after(&carrier);
    carrier.assert_success();
    gleb.assert_success();
    assert_eq!(gleb.expect_log("GOT_CANCEL"), "1");
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(&trace, &["dial 104 (15 s)", "caller hung up"]);
}

/// A `play` with `answer = false` is early media: a 183 with SDP, the greeting, and the
/// answer only when the menu starts.
#[test]
fn a_play_before_the_answer_is_early_media() {
    let trunk = ports::port();
    let config =
        ConfigText::demo()
            .trunk_port(trunk)
            .set("scenario.main.steps.greeting", "answer", "false");
    let pbx = pbx_at(config, &monday_at("10:00"));
    let started = std::time::Instant::now();
    let mut carrier = CallerScript::new()
        .pause_ms(1_500)
        .bye()
        .carrier(&pbx, trunk, MAIN_NUMBER)
        .spawn();
    carrier.wait_log("EARLY", Duration::from_secs(5));
    let early_at = started.elapsed();
    carrier.wait_log("ANSWERED", Duration::from_secs(10));
    let answered_at = started.elapsed();
    let carrier = carrier.wait();
    carrier.assert_success();
    assert!(
        answered_at >= early_at + Duration::from_millis(1_800),
        "answered after the 2.3 s greeting played as early media: 183 at {early_at:?}, \
         200 at {answered_at:?}"
    );
    let trace = trace(&pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &["play greeting-morning (before answer)", "menu menu-default"],
    );
}
