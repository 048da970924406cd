//! The SIPp scenarios checked against each other, without the PBX: each client scenario
//! runs against a mock of the PBX's side (tests/sipp/selfcheck/), and each UAS scenario
//! against a caller. This proves the scenario files themselves — their message flows, the
//! digest credentials SIPp computes (verified here with MD5), CANCEL branches, logged values —
//! so a failing PBX test points at the PBX, not at a scenario. Negative cases show that the
//! scenarios do fail when the far end behaves wrongly.

mod common;

use common::sipp::SippRun;
use common::*;
use md5::{Digest, Md5};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A scratch directory for one self-check (kept on failure, like a PBX's).
struct Scratch(Option<tempfile::TempDir>);

impl Scratch {
    fn new() -> Scratch {
        Scratch(Some(
            tempfile::Builder::new()
                .prefix("sipp-selfcheck-")
                .tempdir()
                .unwrap(),
        ))
    }

    fn path(&self) -> &Path {
        self.0.as_ref().unwrap().path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(dir) = self.0.take() {
                eprintln!("self-check files kept in {}", dir.keep().display());
            }
        }
    }
}

const NOWHERE: &str = "127.0.0.1:9";

fn server(scratch: &Scratch, scenario: &str) -> Sipp {
    Sipp::new(scenario, NOWHERE.parse().unwrap(), scratch.path())
}

/// A mock whose status line is filled in here (SIPp needs a literal status code).
fn server_with_code(scratch: &Scratch, scenario: &str, code: u16, reason: &str) -> Sipp {
    let text = std::fs::read_to_string(sipp::scenario_path(scenario)).unwrap();
    let file: PathBuf = scratch
        .path()
        .join(format!("{}-{code}.xml", scenario.replace('/', "_")));
    std::fs::write(
        &file,
        text.replace("@CODE@", &code.to_string())
            .replace("@REASON@", reason),
    )
    .unwrap();
    Sipp::from_file(file, NOWHERE.parse().unwrap(), scratch.path())
}

fn client(scratch: &Scratch, scenario: &str, server: &SippRun) -> Sipp {
    let remote: SocketAddr = ([127, 0, 0, 1], server.sipp.port).into();
    Sipp::new(scenario, remote, scratch.path())
}

/// Starts `server`, runs `client` against it, waits for both.
fn pair(
    scratch: &Scratch,
    server: Sipp,
    client: impl FnOnce(&SippRun) -> Sipp,
) -> (SippOutcome, SippOutcome) {
    let mut server = server.spawn();
    server.wait_ready();
    let client = client(&server).run();
    let _ = scratch;
    let server = server.wait_after(&client);
    (server, client)
}

fn both_ok(server: &SippOutcome, client: &SippOutcome) {
    client.assert_success();
    server.assert_success();
}

/// Checks an `Authorization`/`Proxy-Authorization` value the way a registrar does.
fn verify_digest(header: &str, method: &str, password: &str) -> Result<(), String> {
    let params = header
        .trim()
        .strip_prefix("Digest")
        .ok_or_else(|| format!("not a Digest header: {header}"))?;
    let mut map = std::collections::HashMap::new();
    for part in params.split(',') {
        if let Some((k, v)) = part.split_once('=') {
            map.insert(
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_owned(),
            );
        }
    }
    let get = |k: &str| {
        map.get(k)
            .cloned()
            .ok_or_else(|| format!("no {k} in {header}"))
    };
    let md5 = |s: String| format!("{:x}", Md5::digest(s.as_bytes()));
    let ha1 = md5(format!("{}:{}:{password}", get("username")?, get("realm")?));
    let ha2 = md5(format!("{method}:{}", get("uri")?));
    let expected = match map.get("qop") {
        Some(qop) => md5(format!(
            "{ha1}:{}:{}:{}:{qop}:{ha2}",
            get("nonce")?,
            get("nc")?,
            get("cnonce")?
        )),
        None => md5(format!("{ha1}:{}:{ha2}", get("nonce")?)),
    };
    if expected == get("response")? {
        Ok(())
    } else {
        Err(format!(
            "digest response mismatch for {method} with password {password:?}: {header}"
        ))
    }
}

#[test]
fn register_answers_the_challenge_with_a_valid_digest() {
    let s = Scratch::new();
    let (mock, reg) = pair(&s, server(&s, "selfcheck/mock_registrar"), |m| {
        client(&s, "register", m)
            .extension("101")
            .key("expires", 600)
    });
    both_ok(&mock, &reg);
    assert_eq!(mock.expect_log("AUTH_OK"), "true", "SIPp's verifyauth");
    verify_digest(&mock.expect_log("AUTHORIZATION"), "REGISTER", "demo101").unwrap();
    assert_eq!(reg.expect_log("CHALLENGE"), "401");
    let contact = reg.expect_log("REGISTERED_CONTACT");
    assert!(
        contact.contains("sip:101@127.0.0.1:"),
        "contact logged from the 200: {contact}"
    );
}

#[test]
fn register_fails_when_the_registrar_refuses() {
    let s = Scratch::new();
    let (mock, reg) = pair(&s, server(&s, "selfcheck/mock_registrar"), |m| {
        client(&s, "register", m)
            .auth("101", "wrong")
            .key("expires", 600)
            .timeout(Duration::from_secs(5))
    });
    assert_eq!(mock.expect_log("AUTH_OK"), "false");
    reg.assert_failure();
}

#[test]
fn register_wrong_password_accepts_403() {
    let s = Scratch::new();
    let (mock, reg) = pair(&s, server(&s, "selfcheck/mock_registrar"), |m| {
        client(&s, "register_wrong_password", m)
            .auth("101", "demo101x")
            .key("expires", 600)
    });
    both_ok(&mock, &reg);
    assert_eq!(mock.expect_log("AUTH_OK"), "false");
    assert_eq!(reg.expect_log("REJECTED"), "403");
}

#[test]
fn register_wrong_password_fails_when_accepted() {
    let s = Scratch::new();
    // The mock accepts demo101: a scenario that gets 200 must fail.
    let (_mock, reg) = pair(&s, server(&s, "selfcheck/mock_registrar"), |m| {
        client(&s, "register_wrong_password", m)
            .auth("101", "demo101")
            .key("expires", 600)
            .timeout(Duration::from_secs(5))
    });
    reg.assert_failure();
}

#[test]
fn unregister_sends_expires_zero_and_reauthenticates() {
    let s = Scratch::new();
    let (mock, unreg) = pair(&s, server(&s, "selfcheck/mock_registrar"), |m| {
        client(&s, "unregister", m)
            .extension("101")
            .key("expires", 600)
    });
    both_ok(&mock, &unreg);
    let map = mock.log_map();
    assert_eq!(
        map.get("EXPIRES").map(String::as_str),
        Some("0"),
        "last REGISTER had Expires 0: {}",
        mock.logs
    );
    assert!(!mock.logs.contains("AUTH_OK=false"), "{}", mock.logs);
    assert_eq!(unreg.expect_log("UNREGISTERED"), "1");
}

#[test]
fn register_short_expires_reads_min_expires() {
    let s = Scratch::new();
    let (mock, reg) = pair(&s, server(&s, "selfcheck/mock_registrar_423"), |m| {
        client(&s, "register_short_expires", m)
            .extension("101")
            .key("expires", 10)
    });
    both_ok(&mock, &reg);
    assert_eq!(reg.expect_log("MIN_EXPIRES"), "60");
}

#[test]
fn uac_call_authenticates_the_invite_and_hangs_up() {
    let s = Scratch::new();
    let (mock, call) = pair(
        &s,
        server(&s, "selfcheck/mock_pbx_answer").rtp_port(40000),
        |m| {
            client(&s, "uac_call", m)
                .extension("101")
                .service("102")
                .pause_ms(100)
        },
    );
    both_ok(&mock, &call);
    let uri = mock.expect_log("REQUEST_URI");
    assert!(uri.starts_with("sip:102@127.0.0.1:"), "{uri}");
    let auth = mock.expect_log("AUTHORIZATION");
    assert!(
        auth.contains(&format!("uri=\"{uri}\"")),
        "digest uri is the Request-URI: {auth}"
    );
    verify_digest(&auth, "INVITE", "demo101").unwrap();
    assert_eq!(call.expect_log("CHALLENGE"), "407");
    assert_eq!(call.expect_log("RINGING"), "1");
    assert_eq!(call.expect_log("SDP_ANSWER"), "127.0.0.1:40000");
    assert_eq!(call.expect_log("BYE_ANSWERED"), "1");
}

#[test]
fn uac_call_wait_bye_answers_the_far_end_bye() {
    let s = Scratch::new();
    let (mock, call) = pair(&s, server(&s, "selfcheck/mock_pbx_answer_bye"), |m| {
        client(&s, "uac_call_wait_bye", m)
            .extension("101")
            .service("102")
    });
    both_ok(&mock, &call);
    verify_digest(&mock.expect_log("AUTHORIZATION"), "INVITE", "demo101").unwrap();
    assert_eq!(call.expect_log("GOT_BYE"), "1");
}

#[test]
fn uac_cancel_cancels_the_authenticated_invite() {
    let s = Scratch::new();
    let (mock, call) = pair(&s, server(&s, "selfcheck/mock_pbx_ring"), |m| {
        client(&s, "uac_cancel", m)
            .extension("101")
            .service("102")
            .pause_ms(100)
    });
    both_ok(&mock, &call);
    assert_eq!(
        mock.expect_log("BRANCH_OK"),
        "true",
        "CANCEL carries the INVITE's branch"
    );
    assert_eq!(call.expect_log("FINAL"), "487");
}

#[test]
fn uac_expect_scenarios_accept_their_code_after_a_challenge() {
    let s = Scratch::new();
    for (scenario, code) in [
        ("uac_expect_404", 404),
        ("uac_expect_480", 480),
        ("uac_expect_486", 486),
        ("uac_expect_no_answer", 480),
        ("uac_expect_no_answer", 408),
    ] {
        let (mock, call) = pair(
            &s,
            server_with_code(&s, "selfcheck/mock_pbx_reject", code, "Test"),
            |m| client(&s, scenario, m).extension("101").service("102"),
        );
        both_ok(&mock, &call);
        assert_eq!(call.expect_log("FINAL"), code.to_string(), "{scenario}");
        assert_eq!(call.expect_log("CHALLENGE"), "407", "{scenario}");
        verify_digest(&mock.expect_log("AUTHORIZATION"), "INVITE", "demo101").unwrap();
    }
}

#[test]
fn uac_wrong_password_accepts_403_or_407_after_the_challenge() {
    let s = Scratch::new();
    for code in [403, 407] {
        let (mock, call) = pair(
            &s,
            server_with_code(&s, "selfcheck/mock_pbx_refuse", code, "No"),
            |m| {
                client(&s, "uac_wrong_password", m)
                    .auth("101", "wrong")
                    .service("102")
            },
        );
        both_ok(&mock, &call);
        assert_eq!(call.expect_log("FINAL"), code.to_string());
        assert!(verify_digest(&mock.expect_log("AUTHORIZATION"), "INVITE", "demo101").is_err());
    }
    // Routed (a 180) is a failure.
    let (_mock, call) = pair(
        &s,
        server_with_code(&s, "selfcheck/mock_pbx_reject", 486, "Busy Here")
            .timeout(Duration::from_secs(5)),
        |m| {
            client(&s, "uac_wrong_password", m)
                .auth("101", "wrong")
                .service("102")
                .timeout(Duration::from_secs(5))
        },
    );
    call.assert_failure();
}

#[test]
fn uac_expect_accepts_its_code_without_a_challenge() {
    let s = Scratch::new();
    let (mock, call) = pair(
        &s,
        server_with_code(&s, "selfcheck/mock_reject_direct", 404, "Not Found"),
        |m| {
            client(&s, "uac_expect_404", m)
                .extension("101")
                .service("555")
        },
    );
    both_ok(&mock, &call);
    assert_eq!(call.expect_log("FINAL"), "404");
    assert_eq!(call.log("CHALLENGE"), None);
}

#[test]
fn uac_expect_fails_on_another_code() {
    let s = Scratch::new();
    let (_mock, call) = pair(
        &s,
        server_with_code(&s, "selfcheck/mock_pbx_reject", 486, "Busy Here")
            .timeout(Duration::from_secs(5)),
        |m| {
            client(&s, "uac_expect_480", m)
                .extension("101")
                .service("102")
                .timeout(Duration::from_secs(5))
        },
    );
    call.assert_failure();
}

#[test]
fn trunk_uac_calls_uas_answer() {
    for tcp in [false, true] {
        let s = Scratch::new();
        let transport = |sipp: Sipp| if tcp { sipp.tcp() } else { sipp };
        let (uas, call) = pair(
            &s,
            transport(server(&s, "uas_answer").rtp_port(40002)),
            |u| {
                transport(
                    client(&s, "trunk_uac", u)
                        .key("user", "79161234567")
                        .service("103")
                        .rtp_port(40004)
                        .pause_ms(100),
                )
            },
        );
        both_ok(&uas, &call);
        assert_eq!(
            uas.expect_log("CALL_ID"),
            call.expect_log("CALL_ID"),
            "no B2BUA here: one dialog"
        );
        assert_eq!(uas.expect_log("SDP_OFFER"), "127.0.0.1:40004");
        assert_eq!(call.expect_log("SDP_ANSWER"), "127.0.0.1:40002");
        assert!(uas.expect_log("FROM").contains("sip:79161234567@"));
        assert!(uas.expect_log("REQUEST_URI").starts_with("sip:103@"));
        assert_eq!(uas.expect_log("GOT_BYE"), "1");
        assert_eq!(call.log("CHALLENGE"), None);
    }
}

#[test]
fn trunk_uac_fails_when_challenged() {
    let s = Scratch::new();
    let (_mock, call) = pair(
        &s,
        server_with_code(
            &s,
            "selfcheck/mock_reject_direct",
            407,
            "Proxy Authentication Required",
        )
        .timeout(Duration::from_secs(5)),
        |m| {
            client(&s, "trunk_uac", m)
                .key("user", "79161234567")
                .service("103")
                .timeout(Duration::from_secs(5))
        },
    );
    call.assert_failure();
}

#[test]
fn trunk_uac_expect_reject_accepts_401_403_407_only() {
    let s = Scratch::new();
    for code in [401, 403, 407] {
        let (mock, call) = pair(
            &s,
            server_with_code(&s, "selfcheck/mock_reject_direct", code, "No"),
            |m| {
                client(&s, "trunk_uac_expect_reject", m)
                    .key("user", "79161234567")
                    .service("103")
            },
        );
        both_ok(&mock, &call);
        assert_eq!(call.expect_log("FINAL"), code.to_string());
    }
    let (_mock, call) = pair(
        &s,
        server_with_code(&s, "selfcheck/mock_reject_direct", 404, "Not Found")
            .timeout(Duration::from_secs(5)),
        |m| {
            client(&s, "trunk_uac_expect_reject", m)
                .key("user", "79161234567")
                .service("103")
                .timeout(Duration::from_secs(5))
        },
    );
    call.assert_failure();
}

#[test]
fn uas_busy_answers_486() {
    let s = Scratch::new();
    let (uas, call) = pair(&s, server(&s, "uas_busy"), |u| {
        client(&s, "uac_expect_486", u)
            .extension("101")
            .service("102")
    });
    both_ok(&uas, &call);
    assert_eq!(call.expect_log("FINAL"), "486");
    assert_eq!(uas.expect_log("GOT_ACK"), "1");
}

#[test]
fn uas_ring_forever_answers_cancel() {
    let s = Scratch::new();
    let (uas, caller) = pair(&s, server(&s, "uas_ring_forever"), |u| {
        client(&s, "selfcheck/mock_caller_cancel", u).service("102")
    });
    both_ok(&uas, &caller);
    assert_eq!(uas.expect_log("GOT_CANCEL"), "1");
    assert_eq!(uas.expect_log("GOT_ACK"), "1");
}

#[test]
fn uas_ring_forever_fails_without_cancel() {
    let s = Scratch::new();
    let (uas, _caller) = pair(
        &s,
        server(&s, "uas_ring_forever")
            .recv_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(4)),
        |u| {
            client(&s, "trunk_uac", u)
                .key("user", "79161234567")
                .service("102")
                .recv_timeout(Duration::from_secs(3))
                .timeout(Duration::from_secs(4))
        },
    );
    uas.assert_failure();
    assert_eq!(uas.log("GOT_CANCEL"), None);
}

#[test]
fn uas_answer_then_bye_hangs_up_in_its_dialog() {
    let s = Scratch::new();
    let (uas, caller) = pair(&s, server(&s, "uas_answer_then_bye").pause_ms(100), |u| {
        client(&s, "selfcheck/mock_caller_wait_bye", u).service("102")
    });
    both_ok(&uas, &caller);
    assert_eq!(uas.expect_log("BYE_ANSWERED"), "1");
    // The BYE goes to the caller's Contact, From/To swapped with both tags.
    assert!(caller
        .expect_log("BYE_URI")
        .starts_with("sip:pbx@127.0.0.1:"));
    assert!(caller.expect_log("BYE_TO").contains(";tag="));
    assert!(caller.expect_log("BYE_FROM").contains(";tag="));
}
