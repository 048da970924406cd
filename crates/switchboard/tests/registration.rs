//! The registrar, with SIPp as the phone: digest challenge, wrong passwords, unregistering,
//! too-short intervals, SIP over TCP.

mod common;

use common::*;

#[test]
fn register_is_challenged_then_accepted() {
    let pbx = Pbx::demo();
    let port = ports::port();
    let reg = pbx
        .sipp("register")
        .port(port)
        .extension("101")
        .key("expires", 600)
        .run();
    reg.assert_success();
    assert_eq!(reg.expect_log("CHALLENGE"), "401");
    // RFC 3261 10.3: the 200 lists the current bindings, ours among them.
    let contact = reg.expect_log("REGISTERED_CONTACT");
    assert!(
        contact.contains(&format!("127.0.0.1:{port}")),
        "the 200 OK's Contact should hold our binding (port {port}): {contact:?}\n{reg}"
    );
}

#[test]
fn register_over_tcp() {
    let pbx = Pbx::demo();
    let reg = pbx
        .sipp("register")
        .tcp()
        .extension("104")
        .key("expires", 600)
        .run();
    reg.assert_success();
    assert_eq!(reg.expect_log("CHALLENGE"), "401");
}

#[test]
fn wrong_password_is_never_accepted() {
    let pbx = Pbx::demo();
    // The scenario fails on a 200; it passes on a 403 or a second 401.
    let reg = pbx
        .sipp("register_wrong_password")
        .auth("102", "demo102-wrong")
        .key("expires", 600)
        .run();
    reg.assert_success();
    let code = reg.expect_log("REJECTED");
    assert!(code == "403" || code == "401", "refused with {code}");
}

#[test]
fn another_extensions_password_is_refused() {
    let pbx = Pbx::demo();
    // 105 presenting 106's (valid) password.
    let reg = pbx
        .sipp("register_wrong_password")
        .auth("105", "demo106")
        .key("expires", 600)
        .run();
    reg.assert_success();
}

#[test]
fn unregister_removes_the_binding() {
    let pbx = Pbx::demo();
    let unreg = pbx
        .sipp("unregister")
        .extension("102")
        .key("expires", 600)
        .run();
    unreg.assert_success();
    assert_eq!(unreg.expect_log("REGISTERED"), "1");
    assert_eq!(unreg.expect_log("UNREGISTERED"), "1");
    // With its only binding gone, 102 is unreachable.
    let call = caller(&pbx, "uac_expect_480", "101", "102").run();
    call.assert_success();
    assert_eq!(call.expect_log("FINAL"), "480");
}

#[test]
fn expires_below_the_minimum_gets_423_with_min_expires() {
    let pbx = Pbx::start(PbxOptions::with_config(
        ConfigText::demo().pbx("register_min_expires", "120"),
    ));
    let reg = pbx
        .sipp("register_short_expires")
        .extension("103")
        .key("expires", 30)
        .run();
    reg.assert_success();
    assert_eq!(
        reg.expect_log("MIN_EXPIRES"),
        "120",
        "Min-Expires is the configured minimum"
    );
}

#[test]
fn expires_below_the_demo_minimum_gets_423() {
    let pbx = Pbx::demo();
    let reg = pbx
        .sipp("register_short_expires")
        .extension("103")
        .key("expires", 10)
        .run();
    reg.assert_success();
    assert_eq!(reg.expect_log("MIN_EXPIRES"), "60");
}

#[test]
fn pbx_answers_options_over_udp_and_tcp() {
    let pbx = Pbx::demo();
    assert_eq!(pbx.options_udp(), Some(200));
    assert_eq!(pbx.options_tcp(), Some(200));
}
