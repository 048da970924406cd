//! Message-waiting indication (RFC 6665 + RFC 3842), with SIPp as the phone: subscribing to
//! one's own mailbox, refusals (another extension's box, an unknown event package), clamped
//! durations, and ending a subscription. The demo has no voicemail store plugged in, so every
//! mailbox reads 0 new / 0 old.
//!
//! For a NOTIFY after a real voicemail: register the extension and start `mwi_uas` on the
//! same port (`registered_uas(&pbx, "101", "mwi_uas", |s| s)`), leave a message, then
//! `wait()` the UAS and read its MESSAGES_WAITING / VOICE_MESSAGE logs; the last test here
//! shows that scenario reads a NOTIFY.

mod common;

use common::*;

/// The demo's SIP domain, which names every mailbox account.
const DOMAIN: &str = "switchboard.local";

/// `subscriber` (demo credentials) subscribing to `mailbox` with `scenario`.
fn subscribe(pbx: &Pbx, scenario: &str, subscriber: &str, mailbox: &str) -> Sipp {
    caller(pbx, scenario, subscriber, mailbox).key("expires", 600)
}

#[test]
fn own_mailbox_subscription_gets_200_and_the_state() {
    let pbx = Pbx::demo();
    let run = subscribe(&pbx, "mwi_subscribe", "101", "101").run();
    run.assert_success();
    assert_eq!(run.expect_log("CHALLENGE"), "401", "digest-authenticated");
    assert_eq!(run.expect_log("SUBSCRIBED_EXPIRES"), "600");
    assert_eq!(run.expect_log("NOTIFY_EVENT"), "message-summary");
    assert_eq!(
        run.expect_log("NOTIFY_CONTENT_TYPE"),
        "application/simple-message-summary"
    );
    let state = run.expect_log("NOTIFY_STATE");
    assert!(
        state == "active;expires=600" || state == "active;expires=599",
        "Subscription-State of the first NOTIFY: {state:?}\n{run}"
    );
    assert_eq!(run.expect_log("MESSAGES_WAITING"), "no");
    assert_eq!(run.expect_log("VOICE_MESSAGE"), "0/0");
    assert_eq!(
        run.expect_log("MESSAGE_ACCOUNT"),
        format!("sip:101@{DOMAIN}")
    );
    assert_eq!(run.expect_log("NOTIFY_CSEQ"), "1 NOTIFY");
}

#[test]
fn a_long_subscription_is_clamped_to_the_registration_maximum() {
    let pbx = Pbx::demo();
    let run = subscribe(&pbx, "mwi_subscribe", "103", "103")
        .key("expires", 86_400)
        .run();
    run.assert_success();
    assert_eq!(run.expect_log("SUBSCRIBED_EXPIRES"), "3600");
}

#[test]
fn another_extensions_mailbox_is_forbidden() {
    let pbx = Pbx::demo();
    let run = subscribe(&pbx, "mwi_subscribe_refused", "101", "102")
        .key("event", "message-summary")
        .run();
    run.assert_success();
    assert_eq!(run.expect_log("FINAL"), "403");
}

#[test]
fn an_unknown_event_package_gets_489_with_allow_events() {
    let pbx = Pbx::demo();
    let run = subscribe(&pbx, "mwi_subscribe_refused", "101", "101")
        .key("event", "presence")
        .run();
    run.assert_success();
    assert_eq!(run.expect_log("FINAL"), "489");
    assert_eq!(run.expect_log("ALLOW_EVENTS"), "message-summary");
}

#[test]
fn expires_zero_ends_the_subscription_with_a_terminated_notify() {
    let pbx = Pbx::demo();
    let run = subscribe(&pbx, "mwi_unsubscribe", "104", "104").run();
    run.assert_success();
    assert!(
        run.expect_log("ACTIVE_STATE")
            .starts_with("active;expires="),
        "{run}"
    );
    assert_eq!(run.expect_log("UNSUBSCRIBED_EXPIRES"), "0");
    assert!(
        run.expect_log("FINAL_STATE").starts_with("terminated"),
        "{run}"
    );
    assert_eq!(run.expect_log("FINAL_WAITING"), "no");
}

#[test]
fn the_phone_scenario_reads_an_unsolicited_notify() {
    // Without the PBX: a mock notifier sends mwi_uas the NOTIFY the PBX would.
    let dir = tempfile::Builder::new()
        .prefix("sipp-mwi-uas-")
        .tempdir()
        .expect("temp dir");
    let nowhere = "127.0.0.1:9".parse().expect("address");
    let mut phone = Sipp::new("mwi_uas", nowhere, dir.path()).spawn();
    phone.wait_ready();
    let remote = ([127, 0, 0, 1], phone.sipp.port).into();
    let notifier = Sipp::new("selfcheck/mock_mwi_notifier", remote, dir.path())
        .key("user", "101")
        .run();
    notifier.assert_success();
    let phone = phone.wait_after(&notifier);
    phone.assert_success();
    assert_eq!(phone.expect_log("NOTIFY_EVENT"), "message-summary");
    assert_eq!(phone.expect_log("MESSAGES_WAITING"), "yes");
    assert_eq!(phone.expect_log("VOICE_MESSAGE"), "2/1");
    assert_eq!(
        phone.expect_log("MESSAGE_ACCOUNT"),
        format!("sip:101@{DOMAIN}")
    );
    assert!(phone
        .expect_log("NOTIFY_URI")
        .starts_with("sip:101@127.0.0.1:"));
}
