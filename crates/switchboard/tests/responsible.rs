//! The responsible manager (ICM) on live calls: the carrier calls the main number in working
//! hours and the caller's manager, found in the PBX's own call history or in amoCRM (a
//! local server speaking its API), rings first; a manager who cannot be reached, a source
//! that answers too slowly, and the excluded director send the call on to the menu. Each
//! call is checked by its routing trace (`switchboard trace`).

mod common;

use common::scenario::*;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

/// The customer calling in these tests.
const CUSTOMER: &str = "74951234567";

/// The carrier calling the main number as `CUSTOMER`.
fn customer_call(pbx: &Pbx, trunk: u16, script: CallerScript) -> SippOutcome {
    script
        .carrier(pbx, trunk, MAIN_NUMBER)
        .key("user", CUSTOMER)
        .run()
}

/// A local amoCRM: `GET /api/v4/contacts?query=<last ten digits>` answers the customer's
/// contact with `responsible_user_id = user`, after `delay`; other numbers: 204.
fn amocrm(user: u64, delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind amoCRM");
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                reader.read_line(&mut request).ok();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                std::thread::sleep(delay);
                let known = request.starts_with("GET /api/v4/contacts?")
                    && request.contains("query=4951234567");
                let response = if known {
                    let body = format!(
                        r#"{{"_page":1,"_embedded":{{"contacts":[{{"id":123,"name":"Customer","responsible_user_id":{user},"custom_fields_values":[{{"field_id":1,"field_code":"PHONE","values":[{{"value":"+7 (495) 123-45-67"}}]}}]}}]}}}}"#
                    );
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_owned()
                };
                stream.write_all(response.as_bytes()).ok();
            });
        }
    });
    url
}

/// The demo (trunk at `trunk`, answers never cached) asking amoCRM at `url` first, then
/// the history; amoCRM user 9 is Dina (105), user 2 Boris (102, excluded).
fn with_amocrm(trunk: u16, url: &str, timeout_ms: u64) -> ConfigText {
    ConfigText::demo()
        .trunk_port(trunk)
        .set("icm", "order", r#"["amocrm", "history"]"#)
        .set("icm", "cache_ttl", "0")
        .set("icm", "timeout_ms", &timeout_ms.to_string())
        .append(&format!(
            "[icm.amocrm]\nurl = \"{url}\"\ntoken = \"amo-s3cret\"\nfetch_emails = false\nusers = {{ \"9\" = \"105\", \"2\" = \"102\" }}\n"
        ))
}

/// (a) A customer who spoke with 104 (through the menu) calls again in working hours and
/// is rung straight to 104: the history source found the earlier call.
#[test]
fn the_last_manager_in_the_history_gets_the_next_call() {
    let trunk = ports::port();
    let config = ConfigText::demo()
        .trunk_port(trunk)
        .set("icm", "cache_ttl", "0");
    let pbx = pbx_at(config, &monday_at("10:00"));

    let gleb = registered_uas(&pbx, "104", "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    let first = customer_call(
        &pbx,
        trunk,
        CallerScript::new()
            .pause_ms(3_500)
            .info_digits("104")
            .pause_ms(2_000)
            .bye(),
    );
    let gleb = gleb.wait_after(&first);
    first.assert_success();
    gleb.assert_success();
    let first_trace = trace(&pbx, &first.expect_log("CALL_ID"));
    assert_trace_in_order(
        &first_trace,
        &[
            "responsible manager lookup",
            "history: not found",
            "responsible: not found → menu",
            "dial 104: answered",
        ],
    );

    let gleb = registered_uas(&pbx, "104", "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    let second = customer_call(&pbx, trunk, CallerScript::new().pause_ms(5_000).bye());
    let gleb = gleb.wait_after(&second);
    second.assert_success();
    gleb.assert_success();
    let trace = trace(&pbx, &second.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "scenario main",
            "play greeting-morning",
            "responsible manager lookup",
            "number: 74951234567 → +74951234567",
            "history: last answered by 104",
            "ringing the manager 104 (15 s)",
            "responsible: answered",
        ],
    );
    assert!(!trace.contains("menu menu-default"), "{trace}");
}

/// (b) amoCRM names Dina (105), whose phone is not registered: the call goes back to the
/// scenario, the menu, and the trace says why.
#[test]
fn an_unreachable_manager_sends_the_caller_to_the_menu() {
    let trunk = ports::port();
    let url = amocrm(9, Duration::ZERO);
    let pbx = pbx_at(with_amocrm(trunk, &url, 800), &monday_at("10:00"));
    let call = customer_call(&pbx, trunk, CallerScript::new().pause_ms(4_500).bye());
    call.assert_success();
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "responsible manager lookup",
            "amoCRM: contact 123, responsible user 9 → ext 105",
            "ringing the manager 105",
            "responsible: unavailable → menu",
            "menu menu-default",
        ],
    );
    assert!(!trace.contains("amo-s3cret"), "{trace}");
}

/// (c) amoCRM names Dina (105), registered: she is rung and answers.
#[test]
fn the_crm_manager_is_rung_and_answers() {
    let trunk = ports::port();
    let url = amocrm(9, Duration::ZERO);
    let pbx = pbx_at(with_amocrm(trunk, &url, 800), &monday_at("10:00"));
    let dina = registered_uas(&pbx, "105", "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    let call = customer_call(&pbx, trunk, CallerScript::new().pause_ms(5_000).bye());
    let dina = dina.wait_after(&call);
    call.assert_success();
    dina.assert_success();
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.callee.starts_with("105"),
        "answered by 105: {record:?}"
    );
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "amoCRM: contact 123, responsible user 9 → ext 105",
            "ringing the manager 105 (15 s)",
            "responsible: answered",
        ],
    );
}

/// (c) amoCRM answering after 2 s with a 300 ms limit: timed out, the history is asked
/// next, knows nobody, and the caller hears the menu.
#[test]
fn a_slow_crm_times_out_and_the_next_source_decides() {
    let trunk = ports::port();
    let url = amocrm(9, Duration::from_secs(2));
    let pbx = pbx_at(with_amocrm(trunk, &url, 300), &monday_at("10:00"));
    let call = customer_call(&pbx, trunk, CallerScript::new().pause_ms(4_500).bye());
    call.assert_success();
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "amoCRM: timed out after 300 ms",
            "history: not found",
            "responsible: not found → menu",
            "menu menu-default",
        ],
    );
}

/// The director (102) is excluded: amoCRM naming him is passed over.
#[test]
fn the_excluded_director_is_passed_over() {
    let trunk = ports::port();
    let url = amocrm(2, Duration::ZERO);
    let pbx = pbx_at(with_amocrm(trunk, &url, 800), &monday_at("10:00"));
    let call = customer_call(&pbx, trunk, CallerScript::new().pause_ms(4_500).bye());
    call.assert_success();
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "→ ext 102",
            "excluded: 102",
            "history: not found",
            "responsible: not found → menu",
        ],
    );
}

/// 6100 from a desk phone: the caller is an extension, which has no manager; the built-in
/// scenario ends the call with `not_found` (480).
#[test]
fn internal_6100_from_an_extension_finds_nobody() {
    let pbx = pbx_at(ConfigText::demo(), &monday_at("10:00"));
    let call = caller(&pbx, "uac_expect_480", "103", "6100").run();
    call.assert_success();
    let record = pbx.wait_for_call("FAILED", RECORD_TIMEOUT);
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "scenario responsible",
            "responsible manager lookup",
            "number: 103 is internal",
            "responsible: not found",
            "hangup: not_found",
        ],
    );
    drop(record);
}

/// A reload brings a new `[icm]` into force: the history alone finds nobody for the first
/// call; after amoCRM is added to the file and the configuration reloaded, the next call is
/// routed by amoCRM.
#[test]
fn a_reload_brings_new_crm_settings_into_force() {
    let trunk = ports::port();
    let url = amocrm(9, Duration::ZERO);
    let pbx = pbx_at(
        ConfigText::demo()
            .trunk_port(trunk)
            .set("icm", "cache_ttl", "0"),
        &monday_at("10:00"),
    );
    let first = customer_call(&pbx, trunk, CallerScript::new().pause_ms(2_500).bye());
    first.assert_success();
    let trace_before = trace(&pbx, &first.expect_log("CALL_ID"));
    assert!(
        trace_before.contains("history: not found"),
        "{trace_before}"
    );
    assert!(!trace_before.contains("amoCRM"), "{trace_before}");

    let file = pbx.dir().join("switchboard.toml");
    std::fs::write(&file, with_amocrm(trunk, &url, 800).0).expect("rewrite the config");
    let (status, body) = common::http::request(pbx.http, "POST", "/api/reload", None);
    assert_eq!(status, 200, "{body}");

    let second = customer_call(&pbx, trunk, CallerScript::new().pause_ms(4_500).bye());
    second.assert_success();
    let trace_after = trace(&pbx, &second.expect_log("CALL_ID"));
    assert!(
        trace_after.contains("amoCRM: contact 123, responsible user 9 → ext 105"),
        "{trace_after}"
    );
}
