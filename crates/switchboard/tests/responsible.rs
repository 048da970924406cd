//! The responsible manager (ICM) on live calls: the carrier calls the main number in working
//! hours and the caller's manager, found in the PBX's own call history or in a CRM (amoCRM,
//! Bitrix24, Megaplan, an in-house HTTP service: local servers speaking their documented
//! APIs, tests/crm), rings first. A manager who cannot be reached, does not answer or is
//! busy, a source that answers too slowly, with an error or with a broken answer, and the
//! excluded director send the call on, to the next source or to the menu. Each call is
//! checked by its routing trace (`switchboard trace`, `/api/calls/{id}/trace`), which
//! names the deciding source and never a token.

mod common;
mod crm;

use common::scenario::*;
use common::*;
use crm::{CrmServer, Reply, BITRIX_TOKEN, CUSTOMER_E164, MEGAPLAN_TOKEN};
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

/// `CUSTOMER` calls for five seconds while `manager`'s phone stands ready to answer; asserts
/// the caller's and the phone's scripts both ran through, and returns the call.
fn answered_by(pbx: &Pbx, trunk: u16, manager: &str) -> SippOutcome {
    let phone = registered_uas(pbx, manager, "uas_answer", |s| {
        s.pause_ms(300).recv_timeout(Duration::from_secs(30))
    });
    let call = customer_call(pbx, trunk, CallerScript::new().pause_ms(5_000).bye());
    let phone = phone.wait_after(&call);
    call.assert_success();
    phone.assert_success();
    call
}

/// As [`answered_by`], and the call's record names `manager` as the callee who answered;
/// the call's routing trace.
fn answered_trace(pbx: &Pbx, trunk: u16, manager: &str) -> String {
    let call = answered_by(pbx, trunk, manager);
    let record = pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert!(
        record.callee.starts_with(manager),
        "answered by {manager}: {record:?}"
    );
    trace(pbx, &call.expect_log("CALL_ID"))
}

/// The PBX in working hours (a Monday, 10:00) asking the sources of `order`, each given
/// 2 s, configured by `tables`.
fn pbx_asking(trunk: u16, order: &str, tables: &str) -> Pbx {
    pbx_at(
        with_sources(trunk, order, 2_000, tables),
        &monday_at("10:00"),
    )
}

/// `CUSTOMER` calls and hangs up after `pause_ms` (nobody answers for the manager); the
/// call's routing trace.
fn hung_up_trace(pbx: &Pbx, trunk: u16, pause_ms: u64) -> String {
    let call = customer_call(pbx, trunk, CallerScript::new().pause_ms(pause_ms).bye());
    call.assert_success();
    trace(pbx, &call.expect_log("CALL_ID"))
}

/// The demo (trunk at `trunk`, answers never cached) asking the sources of `order` (a TOML
/// array), each given `timeout_ms`, configured by the `tables` appended.
fn with_sources(trunk: u16, order: &str, timeout_ms: u64, tables: &str) -> ConfigText {
    ConfigText::demo()
        .trunk_port(trunk)
        .set("icm", "order", order)
        .set("icm", "cache_ttl", "0")
        .set("icm", "timeout_ms", &timeout_ms.to_string())
        .append(tables)
}

/// The demo asking amoCRM at `url` first, then the history; amoCRM user 9 is Dina (105),
/// user 2 Boris (102, excluded).
fn with_amocrm(trunk: u16, url: &str, timeout_ms: u64) -> ConfigText {
    with_sources(
        trunk,
        r#"["amocrm", "history"]"#,
        timeout_ms,
        &format!(
            "[icm.amocrm]\nurl = \"{url}\"\ntoken = \"{}\"\nfetch_emails = false\nusers = {{ \"9\" = \"105\", \"2\" = \"102\" }}\n",
            crm::AMO_TOKEN
        ),
    )
}

/// `[icm.bitrix24]` for `server`: Bitrix24 user 7 is Vera (103).
fn bitrix24_table(server: &CrmServer) -> String {
    format!(
        "[icm.bitrix24]\nwebhook = \"{}\"\nusers = {{ \"7\" = \"103\" }}\n",
        crm::bitrix24_webhook(server)
    )
}

/// `[icm.megaplan]` for `server`: Megaplan employee 1000001 is Gleb (104).
fn megaplan_table(server: &CrmServer) -> String {
    format!(
        "[icm.megaplan]\nurl = \"{}\"\ntoken = \"{MEGAPLAN_TOKEN}\"\nusers = {{ \"1000001\" = \"104\" }}\n",
        server.url
    )
}

/// Asserts no secret of these tests is in `text` (a trace, the PBX's log).
fn assert_no_secrets(text: &str) {
    for secret in [crm::AMO_TOKEN, BITRIX_TOKEN, MEGAPLAN_TOKEN, SERVICE_TOKEN] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
}

/// The in-house service's Bearer token.
const SERVICE_TOKEN: &str = "svc-t0ken-s3cret";

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

    let second = answered_by(&pbx, trunk, "104");
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
    let url = crm::amocrm(9, Duration::ZERO).url;
    let pbx = pbx_at(with_amocrm(trunk, &url, 800), &monday_at("10:00"));
    let trace = hung_up_trace(&pbx, trunk, 4_500);
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
    assert_no_secrets(&trace);
}

/// (c) amoCRM names Dina (105), registered: she is rung and answers.
#[test]
fn the_crm_manager_is_rung_and_answers() {
    let trunk = ports::port();
    let url = crm::amocrm(9, Duration::ZERO).url;
    let pbx = pbx_at(with_amocrm(trunk, &url, 800), &monday_at("10:00"));
    let trace = answered_trace(&pbx, trunk, "105");
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
    let url = crm::amocrm(9, Duration::from_secs(2)).url;
    let pbx = pbx_at(with_amocrm(trunk, &url, 300), &monday_at("10:00"));
    let trace = hung_up_trace(&pbx, trunk, 4_500);
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
    let url = crm::amocrm(2, Duration::ZERO).url;
    let pbx = pbx_at(with_amocrm(trunk, &url, 800), &monday_at("10:00"));
    let trace = hung_up_trace(&pbx, trunk, 4_500);
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
    let url = crm::amocrm(9, Duration::ZERO).url;
    let pbx = pbx_at(
        ConfigText::demo()
            .trunk_port(trunk)
            .set("icm", "cache_ttl", "0"),
        &monday_at("10:00"),
    );
    let trace_before = hung_up_trace(&pbx, trunk, 2_500);
    assert!(
        trace_before.contains("history: not found"),
        "{trace_before}"
    );
    assert!(!trace_before.contains("amoCRM"), "{trace_before}");

    let file = pbx.dir().join("switchboard.toml");
    std::fs::write(&file, with_amocrm(trunk, &url, 800).0).expect("rewrite the config");
    let (status, body) = common::http::request(pbx.http, "POST", "/api/reload", None);
    assert_eq!(status, 200, "{body}");

    let trace_after = hung_up_trace(&pbx, trunk, 4_500);
    assert!(
        trace_after.contains("amoCRM: contact 123, responsible user 9 → ext 105"),
        "{trace_after}"
    );
}

/// Bitrix24 names user 7 as responsible for the customer's contact; the config maps that
/// user to Vera (103), who is rung and answers. The webhook was asked exactly the
/// documented way: `crm.duplicate.findbycomm` by the E.164 phone, then `crm.contact.get`.
#[test]
fn bitrix24_names_the_manager_who_answers() {
    let trunk = ports::port();
    let bitrix = crm::bitrix24("7");
    let pbx = pbx_asking(
        trunk,
        r#"["bitrix24", "history"]"#,
        &bitrix24_table(&bitrix),
    );
    let trace = answered_trace(&pbx, trunk, "103");
    assert_trace_in_order(
        &trace,
        &[
            "responsible manager lookup",
            "number: 74951234567 → +74951234567",
            "bitrix24: contact 4, responsible user 7 → ext 103",
            "ringing the manager 103 (15 s)",
            "responsible: answered",
        ],
    );
    assert!(!trace.contains("menu menu-default"), "{trace}");
    assert_no_secrets(&trace);
    assert_no_secrets(&pbx.log());

    let found = bitrix.asked("/crm.duplicate.findbycomm.json");
    assert_eq!(found.len(), 1, "{:?}", bitrix.requests());
    assert_eq!(found[0].param("type").as_deref(), Some("PHONE"));
    assert_eq!(found[0].param("values[]").as_deref(), Some(CUSTOMER_E164));
    let contact = bitrix.asked("/crm.contact.get.json");
    assert_eq!(contact.len(), 1, "{:?}", bitrix.requests());
    assert_eq!(contact[0].param("id").as_deref(), Some("4"));
    assert!(
        bitrix.asked("/user.get.json").is_empty(),
        "a mapped user needs no user.get: {:?}",
        bitrix.requests()
    );
}

/// Megaplan finds the customer as client 1000005, whose responsibles are a group and then
/// employee 1000001, mapped to Gleb (104), who is rung and answers. The request carried the
/// token as `Authorization: Bearer` and its parameters as one JSON object.
#[test]
fn megaplan_names_the_manager_who_answers() {
    let trunk = ports::port();
    let megaplan = crm::megaplan("1000001");
    let pbx = pbx_asking(
        trunk,
        r#"["megaplan", "history"]"#,
        &megaplan_table(&megaplan),
    );
    let trace = answered_trace(&pbx, trunk, "104");
    assert_trace_in_order(
        &trace,
        &[
            "responsible manager lookup",
            "megaplan: client 1000005, responsible 1000001 → ext 104",
            "ringing the manager 104 (15 s)",
            "responsible: answered",
        ],
    );
    assert_no_secrets(&trace);
    assert_no_secrets(&pbx.log());

    let asked = megaplan.asked("/api/v3/contractor");
    assert_eq!(asked.len(), 1, "{:?}", megaplan.requests());
    assert_eq!(asked[0].method, "GET", "{:?}", asked[0]);
    assert!(asked[0].bearer(MEGAPLAN_TOKEN), "{:?}", asked[0]);
    let params = asked[0].json_query();
    assert_eq!(params["q"], "4951234567", "{params}");
    assert_eq!(
        params["fields"],
        serde_json::json!(["responsibles", "contactInfo"]),
        "{params}"
    );
}

/// Bitrix24 fails with HTTP 500 (its documented `INTERNAL_SERVER_ERROR` body): the trace
/// says so, Megaplan is asked next and its manager, Gleb (104), answers.
#[test]
fn a_crm_failing_with_http_500_hands_over_to_the_next_source() {
    let trunk = ports::port();
    let broken = CrmServer::start(Duration::ZERO, |_| {
        Reply::json(
            500,
            serde_json::json!({"error": "INTERNAL_SERVER_ERROR",
                               "error_description": "Internal server error"}),
        )
    });
    let megaplan = crm::megaplan("1000001");
    let tables = format!("{}{}", bitrix24_table(&broken), megaplan_table(&megaplan));
    let pbx = pbx_asking(trunk, r#"["bitrix24", "megaplan", "history"]"#, &tables);
    let call = answered_by(&pbx, trunk, "104");
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "responsible manager lookup",
            "bitrix24: failed: HTTP 500",
            "megaplan: client 1000005, responsible 1000001 → ext 104",
            "ringing the manager 104 (15 s)",
            "responsible: answered",
        ],
    );
    assert_eq!(broken.requests().len(), 1, "{:?}", broken.requests());
    assert_no_secrets(&trace);
    assert_no_secrets(&pbx.log());
}

/// Megaplan answers 200 with a body cut off mid-JSON: the trace names an unexpected
/// answer, the history knows nobody either, and the caller hears the menu.
#[test]
fn a_crm_answering_broken_json_leaves_the_caller_with_the_menu() {
    let trunk = ports::port();
    let broken = CrmServer::start(Duration::ZERO, |_| {
        Reply::text(
            200,
            "application/json",
            r#"{"meta": {"status": 200, "errors": []}, "data": [{"contentType": "Contrac"#,
        )
    });
    let pbx = pbx_asking(
        trunk,
        r#"["megaplan", "history"]"#,
        &megaplan_table(&broken),
    );
    let trace = hung_up_trace(&pbx, trunk, 4_500);
    assert_trace_in_order(
        &trace,
        &[
            "responsible manager lookup",
            "megaplan: failed: unexpected answer",
            "history: not found",
            "responsible: not found → menu",
            "menu menu-default",
        ],
    );
    assert_no_secrets(&trace);
    assert_no_secrets(&pbx.log());
}

/// Bitrix24 names Vera (103), registered but never answering: she rings for the step's
/// 4 s, the PBX cancels, and the caller is back in the scenario at the menu while the call
/// is still up.
#[test]
fn a_manager_who_does_not_answer_sends_the_caller_to_the_menu() {
    let trunk = ports::port();
    let bitrix = crm::bitrix24("7");
    let config = with_sources(
        trunk,
        r#"["bitrix24", "history"]"#,
        2_000,
        &bitrix24_table(&bitrix),
    )
    .set("scenario.main.steps.manager", "timeout", "4");
    let pbx = pbx_at(config, &monday_at("10:00"));
    let vera = registered_uas(&pbx, "103", "uas_ring_forever", |s| {
        s.recv_timeout(Duration::from_secs(30))
    });
    let call = customer_call(&pbx, trunk, CallerScript::new().pause_ms(11_000).bye());
    let vera = vera.wait_after(&call);
    call.assert_success();
    vera.assert_success();
    vera.expect_log("GOT_CANCEL");
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "bitrix24: contact 4, responsible user 7 → ext 103",
            "ringing the manager 103 (4 s)",
            "responsible: no answer → menu",
            "menu menu-default",
        ],
    );
}

/// Megaplan names Gleb (104), whose phone answers 486 Busy Here: the caller goes on to
/// the menu.
#[test]
fn a_busy_manager_sends_the_caller_to_the_menu() {
    let trunk = ports::port();
    let megaplan = crm::megaplan("1000001");
    let pbx = pbx_asking(
        trunk,
        r#"["megaplan", "history"]"#,
        &megaplan_table(&megaplan),
    );
    let gleb = registered_uas(&pbx, "104", "uas_busy", |s| {
        s.recv_timeout(Duration::from_secs(30))
    });
    let call = customer_call(&pbx, trunk, CallerScript::new().pause_ms(6_000).bye());
    let gleb = gleb.wait_after(&call);
    call.assert_success();
    gleb.assert_success();
    let trace = trace(&pbx, &call.expect_log("CALL_ID"));
    assert_trace_in_order(
        &trace,
        &[
            "megaplan: client 1000005, responsible 1000001 → ext 104",
            "ringing the manager 104 (15 s)",
            "responsible: busy → menu",
            "menu menu-default",
        ],
    );
}

/// An in-house service (`[icm.http]`) answers `{"email": ...}` for the caller; the e-mail
/// map names Dina (105), who is rung and answers. The service got the number URL-encoded in
/// its template and the Bearer token; the API's trace of the call says the same as the
/// command's.
#[test]
fn the_generic_service_names_an_email_mapped_to_an_extension() {
    let trunk = ports::port();
    let service = CrmServer::start(Duration::ZERO, |request| {
        let known = request.path == "/crm/manager"
            && request.bearer(SERVICE_TOKEN)
            && request.param("phone").as_deref() == Some(CUSTOMER_E164);
        if known {
            Reply::json(200, serde_json::json!({"email": "Dina@Example.com"}))
        } else {
            Reply::empty(404)
        }
    });
    let table = format!(
        "[icm.http]\nurl = \"{}/crm/manager?phone={{number}}\"\ntoken = \"{SERVICE_TOKEN}\"\n",
        service.url
    );
    let config = with_sources(trunk, r#"["http", "history"]"#, 2_000, &table).set(
        "icm",
        "emails",
        r#"{ "dina@example.com" = "105" }"#,
    );
    let pbx = pbx_at(config, &monday_at("10:00"));
    let trace = answered_trace(&pbx, trunk, "105");
    let decided = "http: e-mail Dina@Example.com → dina@example.com → ext 105";
    assert_trace_in_order(
        &trace,
        &[
            decided,
            "ringing the manager 105 (15 s)",
            "responsible: answered",
        ],
    );
    assert_no_secrets(&trace);
    assert_eq!(service.requests().len(), 1, "{:?}", service.requests());

    let id = call_id_of(&trace);
    let (status, body) = http_get(pbx.http, &format!("/api/calls/{id}/trace"));
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("the trace is JSON");
    let texts: Vec<&str> = json["trace"]
        .as_array()
        .expect("a trace array")
        .iter()
        .filter_map(|line| line["text"].as_str())
        .collect();
    assert!(texts.contains(&decided), "{body}");
    assert_no_secrets(&body);
}
