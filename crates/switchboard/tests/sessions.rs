//! What happens to a call beyond the basics: early media (183 with SDP), hold and unhold
//! passed through, SIP over TCP, the RTP inactivity timeout ending a call whose media died,
//! and SIGTERM letting a call finish.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn hold_and_unhold_pass_through_to_the_other_phone() {
    let pbx = Pbx::demo();
    let uas = registered_uas(&pbx, "105", "uas_answer_hold", |s| s);
    let uac = caller(&pbx, "uac_hold", "106", "105").run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    assert_eq!(
        uas.expect_log("GOT_REINVITE_1"),
        "a=sendonly",
        "the far phone is asked to hold"
    );
    assert_eq!(
        uac.expect_log("REINVITE_3_ANSWER"),
        "a=recvonly",
        "the held phone's answer comes back"
    );
    assert_eq!(uas.expect_log("GOT_REINVITE_2"), "a=sendrecv");
    assert_eq!(uac.expect_log("REINVITE_4_ANSWER"), "a=sendrecv");
    pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
}

#[test]
fn a_call_over_tcp() {
    let pbx = Pbx::demo();
    let port = ports::port();
    pbx.sipp("register")
        .tcp()
        .port(port)
        .extension("107")
        .key("expires", 600)
        .run_ok();
    let mut uas = pbx.sipp("uas_answer").tcp().port(port).spawn();
    uas.wait_ready();
    let uac = caller(&pbx, "uac_call", "108", "107")
        .tcp()
        .pause_ms(300)
        .run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    assert_eq!(uas.expect_log("GOT_BYE"), "1");
    pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
}

#[test]
fn a_call_whose_media_died_is_ended_with_the_reason_recorded() {
    let config = ConfigText::demo().pbx("rtp_timeout_secs", "5");
    let pbx = Pbx::start(PbxOptions::with_config(config));
    let uas = registered_uas(&pbx, "102", "uas_answer", |s| {
        s.timeout(Duration::from_secs(30))
    });
    // Neither SIPp sends RTP: after 5 s of silence both must get the PBX's BYE.
    let uac = caller(&pbx, "uac_call_wait_bye", "101", "102")
        .recv_timeout(Duration::from_secs(20))
        .run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    assert_eq!(uac.expect_log("GOT_BYE"), "1", "the caller is hung up");
    assert_eq!(uas.expect_log("GOT_BYE"), "1", "the callee is hung up");
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.line.contains("rtp timeout"),
        "the record names the cause: {}",
        record.line
    );
}

#[test]
fn sigterm_lets_a_call_in_progress_finish_and_flushes_its_record() {
    let mut pbx = Pbx::demo();
    let uas = registered_uas(&pbx, "103", "uas_answer", |s| s);
    let mut uac = caller(&pbx, "uac_call", "104", "103")
        .pause_ms(3000)
        .spawn();
    uac.wait_log("ANSWERED", Duration::from_secs(10));
    pbx.sigterm();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        pbx.exit_status().is_none(),
        "the PBX waits for the call in progress:\n{}",
        tail(&pbx.log(), 20)
    );
    let uac = uac.wait();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    let status = pbx.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "clean exit: {status}");
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(record.caller.starts_with("104"), "{record:?}");
}

#[test]
fn early_media_reaches_the_caller_through_the_pbx() {
    let pbx = Pbx::demo();
    let uas = registered_uas(&pbx, "109", "uas_early_media", |s| s.pause_ms(300));
    let uac = caller(&pbx, "uac_early_media", "101", "109").run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    let early = rtp::parse_addr(&uac.expect_log("EARLY_SDP"));
    let answer = rtp::parse_addr(&uac.expect_log("SDP_ANSWER"));
    let (low, high) = pbx.rtp_ports;
    assert!(
        (low..=high).contains(&early.port()),
        "the 183's SDP names a PBX port, not the phone's: {early}"
    );
    assert_eq!(early, answer, "the 200 confirms the early media address");
}
