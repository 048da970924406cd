//! baresip, a real softphone, against the PBX: it registers with digest auth, calls an
//! extension and hangs up, and is called and answers automatically.

mod common;

use common::baresip::{AnswerMode, Baresip};
use common::*;
use std::time::Duration;

const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn baresip_registers_and_calls_a_sipp_extension() {
    let pbx = Pbx::demo();
    let mut phone = Baresip::start(&pbx, "101", AnswerMode::Manual);
    phone.wait_registered(EVENT_TIMEOUT);

    let uas = registered_uas(&pbx, "102", "uas_answer", |s| s);
    phone.command("dial", Some(&format!("sip:102@{}", pbx.sip)));
    phone.wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT);
    phone.command("hangup", None);
    phone.wait_event("CALL_CLOSED", EVENT_TIMEOUT);

    let uas = uas.wait();
    uas.assert_success();
    assert_eq!(uas.expect_log("GOT_INVITE"), "1");
    assert_eq!(uas.expect_log("GOT_ACK"), "1", "the call was answered");
    assert_eq!(
        uas.expect_log("GOT_BYE"),
        "1",
        "baresip's hang-up reached the callee"
    );
    assert!(
        uas.expect_log("FROM").contains("101"),
        "{}",
        uas.expect_log("FROM")
    );
    let (low, high) = pbx.rtp_ports;
    let offer = common::rtp::parse_addr(&uas.expect_log("SDP_OFFER"));
    assert!(
        (low..=high).contains(&offer.port()),
        "media anchored: {offer}"
    );
    pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
}

#[test]
fn sipp_calls_baresip_which_answers() {
    let pbx = Pbx::demo();
    let mut phone = Baresip::start(&pbx, "102", AnswerMode::Auto);
    phone.wait_registered(EVENT_TIMEOUT);

    let uac = caller(&pbx, "uac_call", "101", "102").pause_ms(1000).run();
    uac.assert_success();
    assert_eq!(
        uac.expect_log("RINGING"),
        "1",
        "baresip's 180 reached the caller"
    );
    phone.wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT);
    phone.wait_event("CALL_CLOSED", EVENT_TIMEOUT);
    let (low, high) = pbx.rtp_ports;
    let answer = common::rtp::parse_addr(&uac.expect_log("SDP_ANSWER"));
    assert!(
        (low..=high).contains(&answer.port()),
        "media anchored: {answer}"
    );
    pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
}
