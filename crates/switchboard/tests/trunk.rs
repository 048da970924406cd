//! The carrier trunk, trusted by its source address: SIPp bound to the trunk's inbound
//! address calls an extension without credentials; a stranger on another port cannot; and
//! an extension's `9` + number goes out to the trunk's outbound address.

mod common;

use common::*;
use std::time::Duration;

/// A PBX whose carrier trunk is 127.0.0.1:`port` (instead of the demo's :5090).
fn pbx_with_trunk_at(port: u16) -> Pbx {
    Pbx::start(PbxOptions::with_config(ConfigText::demo().trunk_port(port)))
}

#[test]
fn carrier_call_reaches_a_registered_extension() {
    let trunk_port = ports::port();
    let pbx = pbx_with_trunk_at(trunk_port);
    let uas = registered_uas(&pbx, "103", "uas_answer", |s| s);
    let carrier = pbx
        .sipp("trunk_uac")
        .port(trunk_port)
        .key("user", "79161234567")
        .service("103")
        .pause_ms(300)
        .run();
    let uas = uas.wait_after(&carrier);
    carrier.assert_success();
    uas.assert_success();
    assert_eq!(
        carrier.log("CHALLENGE"),
        None,
        "the trunk is trusted by address, never challenged"
    );
    assert_eq!(uas.expect_log("GOT_BYE"), "1");
    assert!(
        uas.expect_log("FROM").contains("9161234567"),
        "the extension sees the carrier's calling number: {}",
        uas.expect_log("FROM")
    );
    assert_ne!(
        carrier.expect_log("CALL_ID"),
        uas.expect_log("CALL_ID"),
        "B2BUA: separate dialogs"
    );
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(record.caller.contains("9161234567"), "{record:?}");
    assert!(record.callee.starts_with("103"), "{record:?}");
}

#[test]
fn same_host_other_port_is_not_the_trunk() {
    let trunk_port = ports::port();
    let pbx = pbx_with_trunk_at(trunk_port);
    let callee_port = ports::port();
    register(&pbx, "103", callee_port);
    let phone = std::net::UdpSocket::bind(("127.0.0.1", callee_port)).unwrap();
    // 127.0.0.1 but not the trunk's port: challenged or refused, never routed.
    let stranger = pbx
        .sipp("trunk_uac_expect_reject")
        .key("user", "79161234567")
        .service("103")
        .run();
    stranger.assert_success();
    phone
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while let Ok((n, _)) = phone.recv_from(&mut buf) {
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(
            !text.starts_with("INVITE"),
            "a stranger's call reached 103:\n{text}"
        );
    }
}

#[test]
fn nine_plus_number_goes_out_through_the_trunk() {
    let trunk_port = ports::port();
    let pbx = pbx_with_trunk_at(trunk_port);
    // The carrier's side: a SIPp UAS at the trunk's outbound address.
    let mut carrier = pbx.sipp("uas_answer").port(trunk_port).spawn();
    carrier.wait_ready();
    let uac = caller(&pbx, "uac_call", "101", "979161234567")
        .pause_ms(300)
        .run();
    let carrier = carrier.wait_after(&uac);
    uac.assert_success();
    carrier.assert_success();
    let uri = carrier.expect_log("REQUEST_URI");
    assert!(
        uri.contains("9161234567"),
        "the carrier is asked for the number dialled after 9: {uri}"
    );
    assert!(
        !uri.contains("979161234567"),
        "the 9 prefix is stripped: {uri}"
    );
    assert_eq!(carrier.expect_log("GOT_BYE"), "1");
}
