//! Calls between extensions through the B2BUA, with SIPp on both sides: answer and hang-up
//! from either side, CANCEL, busy, not registered, unknown number, ring timeout, forking to
//! every registered contact, and the call records `switchboard calls` shows for them.

mod common;

use common::*;
use std::time::Duration;

/// The port of an `ip:port` logged from SDP, asserted to be in the PBX's RTP range.
fn assert_pbx_media(pbx: &Pbx, sdp: &str, what: &str) {
    let addr = rtp::parse_addr(sdp);
    let (low, high) = pbx.rtp_ports;
    assert_eq!(
        addr.ip().to_string(),
        "127.0.0.1",
        "{what}: c= is the PBX's address"
    );
    assert!(
        (low..=high).contains(&addr.port()),
        "{what}: m=audio port {} is not in the PBX's --rtp-ports {low}-{high} (media not anchored)",
        addr.port()
    );
}

#[test]
fn answered_call_caller_hangs_up() {
    let pbx = Pbx::demo();
    let uas = registered_uas(&pbx, "102", "uas_answer", |s| s);
    let uac = caller(&pbx, "uac_call", "101", "102").pause_ms(500).run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();

    assert_eq!(
        uac.expect_log("CHALLENGE"),
        "407",
        "the INVITE is challenged"
    );
    assert_eq!(
        uac.expect_log("RINGING"),
        "1",
        "the callee's 180 reaches the caller"
    );
    assert_eq!(uas.expect_log("GOT_ACK"), "1");
    assert_eq!(
        uas.expect_log("GOT_BYE"),
        "1",
        "the caller's BYE reaches the callee"
    );
    assert_eq!(uac.expect_log("BYE_ANSWERED"), "1");
    assert_ne!(
        uac.expect_log("CALL_ID"),
        uas.expect_log("CALL_ID"),
        "a B2BUA: the callee's leg is a dialog of its own"
    );
    assert!(
        uas.expect_log("FROM").contains("101"),
        "the callee sees the caller's number: {}",
        uas.expect_log("FROM")
    );
    assert_pbx_media(&pbx, &uac.expect_log("SDP_ANSWER"), "SDP to the caller");
    assert_pbx_media(&pbx, &uas.expect_log("SDP_OFFER"), "SDP to the callee");

    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(record.caller.starts_with("101"), "{record:?}");
    assert!(record.callee.starts_with("102"), "{record:?}");
}

#[test]
fn answered_call_callee_hangs_up() {
    let pbx = Pbx::demo();
    let uas = registered_uas(&pbx, "103", "uas_answer_then_bye", |s| s.pause_ms(500));
    let uac = caller(&pbx, "uac_call_wait_bye", "104", "103").run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    assert_eq!(
        uac.expect_log("GOT_BYE"),
        "1",
        "the callee's BYE reaches the caller"
    );
    assert_eq!(uas.expect_log("BYE_ANSWERED"), "1");
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.caller.starts_with("104") && record.callee.starts_with("103"),
        "{record:?}"
    );
}

#[test]
fn caller_cancels_while_ringing() {
    let pbx = Pbx::demo();
    let uas = registered_uas(&pbx, "102", "uas_ring_forever", |s| s);
    let uac = caller(&pbx, "uac_cancel", "101", "102").pause_ms(300).run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    assert_eq!(uac.expect_log("FINAL"), "487");
    assert_eq!(
        uas.expect_log("GOT_CANCEL"),
        "1",
        "the callee's leg is cancelled"
    );
    pbx.wait_for_call("CANCELLED", RECORD_TIMEOUT);
}

#[test]
fn busy_callee() {
    let pbx = Pbx::demo();
    let uas = registered_uas(&pbx, "102", "uas_busy", |s| s);
    let uac = caller(&pbx, "uac_expect_486", "101", "102").run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    assert_eq!(uac.expect_log("CHALLENGE"), "407");
    assert_eq!(uac.expect_log("FINAL"), "486");
    assert_eq!(uas.expect_log("GOT_INVITE"), "1");
    pbx.wait_for_call("BUSY", RECORD_TIMEOUT);
}

#[test]
fn unregistered_extension_gets_480() {
    let pbx = Pbx::demo();
    let uac = caller(&pbx, "uac_expect_480", "101", "105").run();
    uac.assert_success();
    assert_eq!(uac.expect_log("FINAL"), "480");
}

#[test]
fn unknown_number_gets_404() {
    let pbx = Pbx::demo();
    let uac = caller(&pbx, "uac_expect_404", "101", "555").run();
    uac.assert_success();
    assert_eq!(uac.expect_log("FINAL"), "404");
}

#[test]
fn wrong_caller_password_is_refused_and_not_routed() {
    let pbx = Pbx::demo();
    let port = ports::port();
    register(&pbx, "102", port);
    let listener = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let uac = pbx
        .sipp("uac_wrong_password")
        .auth("101", "demo101-wrong")
        .service("102")
        .run();
    uac.assert_success();
    assert_eq!(uac.expect_log("CHALLENGE"), "407");
    assert_no_invite(&listener, "a wrongly authenticated INVITE");
}

#[test]
fn unauthenticated_invite_is_not_routed() {
    let pbx = Pbx::demo();
    let port = ports::port();
    register(&pbx, "102", port);
    let listener = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
    // No credentials, and not from the trunk's address: challenged (401/407) or refused (403).
    let uac = pbx
        .sipp("trunk_uac_expect_reject")
        .key("user", "101")
        .service("102")
        .run();
    uac.assert_success();
    assert_no_invite(&listener, "an unauthenticated INVITE");
}

/// Nothing but keep-alives arrives at a registered contact for a while.
fn assert_no_invite(listener: &std::net::UdpSocket, what: &str) {
    listener
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while let Ok((n, _)) = listener.recv_from(&mut buf) {
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(
            !text.starts_with("INVITE"),
            "{what} reached the callee:\n{text}"
        );
    }
}

#[test]
fn ring_timeout_gives_480_or_408_and_cancels_the_callee() {
    let pbx = Pbx::start(PbxOptions::with_config(
        ConfigText::demo().ring_timeout_secs(2),
    ));
    let uas = registered_uas(&pbx, "102", "uas_ring_forever", |s| s);
    let started = std::time::Instant::now();
    let uac = caller(&pbx, "uac_expect_no_answer", "101", "102").run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    let final_code = uac.expect_log("FINAL");
    assert!(final_code == "480" || final_code == "408", "{final_code}");
    assert_eq!(uac.expect_log("RINGING"), "1");
    assert_eq!(
        uas.expect_log("GOT_CANCEL"),
        "1",
        "the PBX cancels the ringing callee"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(8),
        "ring timeout of 2 s took {elapsed:?}"
    );
    pbx.wait_for_call("NO ANSWER", RECORD_TIMEOUT);
}

#[test]
fn every_registered_contact_rings() {
    let pbx = Pbx::demo();
    // Two phones on 102: one never answers, one answers after 300 ms.
    let ringing = registered_uas(&pbx, "102", "uas_ring_forever", |s| s);
    let answering = registered_uas(&pbx, "102", "uas_answer", |s| s.pause_ms(300));
    let uac = caller(&pbx, "uac_call", "101", "102").pause_ms(300).run();
    let answering = answering.wait_after(&uac);
    let ringing = ringing.wait_after(&uac);
    uac.assert_success();
    answering.assert_success();
    ringing.assert_success();
    assert_eq!(
        ringing.expect_log("GOT_INVITE"),
        "1",
        "the second contact rang too"
    );
    assert_eq!(
        ringing.expect_log("GOT_CANCEL"),
        "1",
        "and was cancelled when the other answered"
    );
    assert_eq!(answering.expect_log("GOT_BYE"), "1");
}

#[test]
fn call_over_tcp_reaches_a_udp_phone() {
    let pbx = Pbx::demo();
    let uas = registered_uas(&pbx, "106", "uas_answer", |s| s);
    let uac = caller(&pbx, "uac_call", "107", "106")
        .tcp()
        .pause_ms(200)
        .run();
    let uas = uas.wait_after(&uac);
    uac.assert_success();
    uas.assert_success();
    assert_eq!(uas.expect_log("GOT_BYE"), "1");
}

#[test]
fn call_records_show_each_disposition() {
    // Four calls on one PBX, then the whole table: each disposition once, nothing else.
    let pbx = Pbx::start(PbxOptions::with_config(
        ConfigText::demo().ring_timeout_secs(2),
    ));

    let uas = registered_uas(&pbx, "102", "uas_answer", |s| s);
    caller(&pbx, "uac_call", "101", "102")
        .pause_ms(100)
        .run_ok();
    uas.wait().assert_success();

    let uas = registered_uas(&pbx, "103", "uas_busy", |s| s);
    caller(&pbx, "uac_expect_486", "101", "103").run_ok();
    uas.wait().assert_success();

    let uas = registered_uas(&pbx, "104", "uas_ring_forever", |s| s);
    caller(&pbx, "uac_cancel", "101", "104").run_ok();
    uas.wait().assert_success();

    let uas = registered_uas(&pbx, "105", "uas_ring_forever", |s| s);
    caller(&pbx, "uac_expect_no_answer", "101", "105").run_ok();
    uas.wait().assert_success();

    let rows = wait_until("four call records", RECORD_TIMEOUT, || {
        pbx.calls().ok().filter(|rows| rows.len() >= 4)
    });
    let mut found: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.callee.split_whitespace().next().unwrap_or("").to_owned(),
                r.disposition.clone(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("102".to_owned(), "ANSWERED".to_owned()),
            ("103".to_owned(), "BUSY".to_owned()),
            ("104".to_owned(), "CANCELLED".to_owned()),
            ("105".to_owned(), "NO ANSWER".to_owned()),
        ],
        "switchboard calls:\n{}",
        rows.iter()
            .map(|r| r.line.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
