//! The HTTP API from the outside: requests through the router as a client sends them, against
//! an in-memory store and a live view made up by each test; and `serve` on a real socket.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{DateTime, Utc};
use common::send;
use sb_api::{
    router, serve, ApiState, Control, ControlError, LiveSnapshot, LiveView, OverrideRequest,
    RegistrationView, ScheduleView,
};
use sb_store::{CallParty, CallRecord, Disposition, HangupBy, Store, TraceLine};
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// A live view that shows whatever snapshot the test gave it.
struct FixedView(LiveSnapshot);

impl LiveView for FixedView {
    fn snapshot(&self) -> LiveSnapshot {
        self.0.clone()
    }
}

/// Controls that keep one schedule, `main`, and note what they were asked; reload is
/// refused the way a broken file is.
#[derive(Default)]
struct NotedControl {
    asked: std::sync::Mutex<Vec<String>>,
}

impl NotedControl {
    fn main(mode: &str) -> ScheduleView {
        ScheduleView {
            name: "main".into(),
            mode: mode.into(),
            reason: format!("schedule: {mode} (10:00 Europe/Moscow, Mon)"),
            manual: None,
        }
    }

    fn note(&self, what: String) {
        self.asked.lock().expect("not poisoned").push(what);
    }
}

impl Control for NotedControl {
    fn reload(&self) -> Result<(), ControlError> {
        self.note("reload".into());
        Err(ControlError::Refused(
            "scenario.main.entry: unknown step".into(),
        ))
    }

    fn schedules(&self) -> Vec<ScheduleView> {
        vec![NotedControl::main("day")]
    }

    fn set_override(
        &self,
        schedule: &str,
        request: OverrideRequest,
    ) -> Result<ScheduleView, ControlError> {
        self.note(format!(
            "set {schedule} {} {:?}",
            request.mode, request.hours
        ));
        match (schedule, request.mode.as_str()) {
            ("main", "day" | "night" | "lunch" | "holiday") => {
                Ok(NotedControl::main(&request.mode))
            }
            ("main", other) => Err(ControlError::Invalid(format!("unknown mode {other:?}"))),
            (other, _) => Err(ControlError::UnknownSchedule(other.into())),
        }
    }

    fn clear_override(&self, schedule: &str) -> Result<ScheduleView, ControlError> {
        self.note(format!("clear {schedule}"));
        Ok(NotedControl::main("day"))
    }
}

fn quiet() -> LiveSnapshot {
    LiveSnapshot {
        active_calls: 0,
        draining: false,
        registrations: Vec::new(),
    }
}

fn state(store: Store, snapshot: LiveSnapshot) -> ApiState {
    ApiState {
        store,
        live: Arc::new(FixedView(snapshot)),
        control: Arc::new(NotedControl::default()),
    }
}

/// 2026-11-23 10:00:00 UTC plus `secs` and `millis`.
fn at(secs: i64, millis: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_428_000 + secs, millis * 1_000_000).expect("a time in range")
}

/// Anna (101) calls the sales queue `start_secs` after 10:00 UTC; answered 8 s later, over
/// 125.25 s after the start, the callee hung up.
fn answered(id: &str, start_secs: i64) -> CallRecord {
    CallRecord {
        id: id.to_owned(),
        sip_call_id: format!("{id}@192.0.2.10"),
        caller: CallParty {
            number: "101".to_owned(),
            name: Some("Anna".to_owned()),
            endpoint: Some("extension:101".to_owned()),
        },
        callee: CallParty {
            number: "700".to_owned(),
            name: Some("sales".to_owned()),
            endpoint: None,
        },
        started_at: at(start_secs, 0),
        answered_at: Some(at(start_secs + 8, 0)),
        ended_at: at(start_secs + 125, 250),
        disposition: Disposition::Answered,
        hangup_by: HangupBy::Callee,
        sip_cause: 200,
        reason: "bye from callee".to_owned(),
        trace: Vec::new(),
    }
}

/// A caller from outside gave up before anyone answered.
fn missed(id: &str, start_secs: i64) -> CallRecord {
    CallRecord {
        caller: CallParty {
            number: "+79161234567".to_owned(),
            name: None,
            endpoint: Some("trunk:carrier".to_owned()),
        },
        answered_at: None,
        ended_at: at(start_secs + 32, 0),
        disposition: Disposition::NoAnswer,
        hangup_by: HangupBy::Caller,
        sip_cause: 487,
        reason: "caller cancelled".to_owned(),
        trace: Vec::new(),
        ..answered(id, start_secs)
    }
}

/// A caller from outside went through the scenario: the schedule, a menu, a dial that was not
/// answered, at millisecond times.
fn routed(id: &str, start_secs: i64) -> CallRecord {
    let line = |secs: i64, millis: u32, step: &str, text: &str| TraceLine {
        at: at(start_secs + secs, millis),
        step: step.to_owned(),
        text: text.to_owned(),
    };
    CallRecord {
        trace: vec![
            line(
                0,
                4,
                "",
                "schedule: lunch (13:05 Europe/Moscow, Mon) → lunch",
            ),
            line(2, 480, "lunch", "menu: digit 2 → support"),
            line(17, 512, "support", "dial 104: no answer after 15 s"),
        ],
        ..missed(id, start_secs)
    }
}

fn routed_trace_json() -> Value {
    json!([
        {
            "at": "2026-11-23T10:00:00.004Z",
            "step": "",
            "text": "schedule: lunch (13:05 Europe/Moscow, Mon) → lunch",
        },
        {"at": "2026-11-23T10:00:02.480Z", "step": "lunch", "text": "menu: digit 2 → support"},
        {
            "at": "2026-11-23T10:00:17.512Z",
            "step": "support",
            "text": "dial 104: no answer after 15 s",
        },
    ])
}

async fn store_with(records: &[CallRecord]) -> Store {
    let store = Store::open_in_memory().await.expect("open store");
    store.insert_calls(records).await.expect("insert calls");
    store
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        assert_eq!(
            self.headers[CONTENT_TYPE], "application/json",
            "{}",
            self.body
        );
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    fn call_ids(&self) -> Vec<String> {
        let json = self.json();
        json["calls"]
            .as_array()
            .expect("a list of calls")
            .iter()
            .map(|call| call["id"].as_str().expect("an id").to_owned())
            .collect()
    }
}

async fn get(state: ApiState, uri: &str) -> Reply {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    let response = router(state).oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    Reply {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).expect("UTF-8 body"),
    }
}

fn answered_json(id: &str) -> Value {
    json!({
        "id": id,
        "sip_call_id": format!("{id}@192.0.2.10"),
        "caller": {"number": "101", "name": "Anna", "endpoint": "extension:101"},
        "callee": {"number": "700", "name": "sales", "endpoint": null},
        "started_at": "2026-11-23T10:00:00.000Z",
        "answered_at": "2026-11-23T10:00:08.000Z",
        "ended_at": "2026-11-23T10:02:05.250Z",
        "duration_secs": 125,
        "billable_secs": 117,
        "disposition": "ANSWERED",
        "hangup_by": "callee",
        "sip_cause": 200,
        "reason": "bye from callee",
    })
}

#[tokio::test]
async fn healthz_says_ok() {
    let reply = get(state(store_with(&[]).await, quiet()), "/healthz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers[CONTENT_TYPE], "text/plain; charset=utf-8");
    assert_eq!(reply.body, "ok");
}

#[tokio::test]
async fn calls_come_newest_first_with_every_field() {
    let store = store_with(&[answered("first", 0), missed("second", 3600)]).await;
    let reply = get(state(store, quiet()), "/api/calls").await;
    assert_eq!(reply.status, StatusCode::OK);
    let expected = json!({"calls": [
        {
            "id": "second",
            "sip_call_id": "second@192.0.2.10",
            "caller": {"number": "+79161234567", "name": null, "endpoint": "trunk:carrier"},
            "callee": {"number": "700", "name": "sales", "endpoint": null},
            "started_at": "2026-11-23T11:00:00.000Z",
            "answered_at": null,
            "ended_at": "2026-11-23T11:00:32.000Z",
            "duration_secs": 32,
            "billable_secs": 0,
            "disposition": "NO ANSWER",
            "hangup_by": "caller",
            "sip_cause": 487,
            "reason": "caller cancelled",
        },
        answered_json("first"),
    ]});
    assert_eq!(reply.json(), expected);
}

#[tokio::test]
async fn limit_keeps_the_newest_calls() {
    let store = store_with(&[
        answered("a", 0),
        answered("b", 10),
        answered("c", 20),
        answered("d", 30),
    ])
    .await;
    let state = state(store, quiet());
    let reply = get(state.clone(), "/api/calls?limit=2").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.call_ids(), ["d", "c"]);
    let reply = get(state, "/api/calls?limit=1000&unrelated=x").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.call_ids(), ["d", "c", "b", "a"]);
}

#[tokio::test]
async fn without_a_limit_fifty_calls_are_listed() {
    let records: Vec<CallRecord> = (0..51)
        .map(|n| answered(&format!("call-{n:02}"), n))
        .collect();
    let reply = get(state(store_with(&records).await, quiet()), "/api/calls").await;
    assert_eq!(reply.status, StatusCode::OK);
    let expected: Vec<String> = (1..51).rev().map(|n| format!("call-{n:02}")).collect();
    assert_eq!(reply.call_ids(), expected);
}

#[tokio::test]
async fn a_bad_limit_is_refused_naming_the_parameter() {
    let state = state(store_with(&[answered("a", 0)]).await, quiet());
    for raw in ["0", "1001", "-1", "ten", "", "4294967296"] {
        let reply = get(state.clone(), &format!("/api/calls?limit={raw}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "limit={raw}");
        assert_eq!(
            reply.json(),
            json!({"error": format!("limit must be a whole number from 1 to 1000, not {raw:?}")}),
        );
    }
}

#[tokio::test]
async fn a_query_string_that_does_not_parse_gets_a_json_error() {
    let state = state(store_with(&[]).await, quiet());
    let reply = get(state, "/api/calls?limit=5&limit=6").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error = reply.json()["error"]
        .as_str()
        .expect("a message")
        .to_owned();
    assert!(error.contains("limit"), "{error}");
}

#[tokio::test]
async fn one_call_by_id_with_an_empty_trace_when_direct() {
    let store = store_with(&[answered("kept", 0), missed("other", 60)]).await;
    let reply = get(state(store, quiet()), "/api/calls/kept").await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut expected = answered_json("kept");
    expected["trace"] = json!([]);
    assert_eq!(reply.json(), expected);
}

#[tokio::test]
async fn one_call_carries_its_trace_in_order_to_the_millisecond() {
    let store = store_with(&[routed("routed", 0), answered("direct", 60)]).await;
    let state = state(store, quiet());
    let reply = get(state.clone(), "/api/calls/routed").await;
    assert_eq!(reply.status, StatusCode::OK);
    let expected = json!({
        "id": "routed",
        "sip_call_id": "routed@192.0.2.10",
        "caller": {"number": "+79161234567", "name": null, "endpoint": "trunk:carrier"},
        "callee": {"number": "700", "name": "sales", "endpoint": null},
        "started_at": "2026-11-23T10:00:00.000Z",
        "answered_at": null,
        "ended_at": "2026-11-23T10:00:32.000Z",
        "duration_secs": 32,
        "billable_secs": 0,
        "disposition": "NO ANSWER",
        "hangup_by": "caller",
        "sip_cause": 487,
        "reason": "caller cancelled",
        "trace": routed_trace_json(),
    });
    assert_eq!(reply.json(), expected);

    // Lists leave traces out rather than show them empty.
    let reply = get(state, "/api/calls").await;
    assert_eq!(reply.status, StatusCode::OK);
    for call in reply.json()["calls"].as_array().expect("a list of calls") {
        assert_eq!(call.get("trace"), None, "{call}");
    }
}

#[tokio::test]
async fn the_trace_alone() {
    let store = store_with(&[routed("routed", 0), answered("direct", 60)]).await;
    let state = state(store, quiet());
    let reply = get(state.clone(), "/api/calls/routed/trace").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"trace": routed_trace_json()}));

    let reply = get(state.clone(), "/api/calls/direct/trace").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"trace": []}));

    let reply = get(state, "/api/calls/nope/trace").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json(), json!({"error": "no call with id \"nope\""}));
}

#[tokio::test]
async fn an_unknown_call_is_a_json_404() {
    let state = state(store_with(&[answered("kept", 0)]).await, quiet());
    let reply = get(state.clone(), "/api/calls/nope").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json(), json!({"error": "no call with id \"nope\""}));

    let reply = get(state, "/api/calls/%FF").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"].is_string(), "{}", reply.body);
}

#[tokio::test]
async fn a_store_failure_is_a_500_with_a_short_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).await.expect("open store");
    store
        .insert_call(&answered("damaged", 0))
        .await
        .expect("insert");
    // The table vanishes behind the store's back, as after a botched manual repair.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join(sb_store::DATABASE_FILE));
    let mut db = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    sqlx::query("DROP TABLE calls")
        .execute(&mut db)
        .await
        .expect("drop the table");
    db.close().await.expect("close");

    let state = state(store, quiet());
    for uri in [
        "/api/calls",
        "/api/calls/damaged",
        "/api/calls/damaged/trace",
    ] {
        let reply = get(state.clone(), uri).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
        assert_eq!(reply.json(), json!({"error": "cannot read call records"}));
    }
}

fn registration(extension: &str, contact: &str, user_agent: Option<&str>) -> RegistrationView {
    RegistrationView {
        extension: extension.to_owned(),
        contact: contact.to_owned(),
        source: "192.0.2.10:5062".to_owned(),
        transport: "UDP".to_owned(),
        expires_in_secs: 293,
        user_agent: user_agent.map(str::to_owned),
    }
}

fn busy_office() -> LiveSnapshot {
    LiveSnapshot {
        active_calls: 2,
        draining: false,
        registrations: vec![
            registration("105", "sip:105@192.0.2.12:5060", None),
            registration("101", "sip:101@192.0.2.11:5060", Some("baresip")),
            registration("101", "sip:101@192.0.2.10:5062", Some("Yealink T46U")),
        ],
    }
}

#[tokio::test]
async fn registrations_are_listed_sorted_by_extension_and_contact() {
    let reply = get(
        state(store_with(&[]).await, busy_office()),
        "/api/registrations",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let entry = |extension: &str, contact: &str, user_agent: Option<&str>| {
        json!({
            "extension": extension,
            "contact": contact,
            "source": "192.0.2.10:5062",
            "transport": "UDP",
            "expires_in_secs": 293,
            "user_agent": user_agent,
        })
    };
    assert_eq!(
        reply.json(),
        json!({"registrations": [
            entry("101", "sip:101@192.0.2.10:5062", Some("Yealink T46U")),
            entry("101", "sip:101@192.0.2.11:5060", Some("baresip")),
            entry("105", "sip:105@192.0.2.12:5060", None),
        ]})
    );
}

#[tokio::test]
async fn metrics_are_prometheus_text_with_every_gauge() {
    let reply = get(state(store_with(&[]).await, busy_office()), "/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.headers[CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let version_line = format!(
        "switchboard_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    let lines: Vec<&str> = reply.body.lines().collect();
    for expected in [
        "# TYPE switchboard_active_calls gauge",
        "switchboard_active_calls 2",
        "# TYPE switchboard_registered_devices gauge",
        "switchboard_registered_devices 3",
        "# TYPE switchboard_registered_extensions gauge",
        "switchboard_registered_extensions 2",
        "# TYPE switchboard_draining gauge",
        "switchboard_draining 0",
        "# TYPE switchboard_build_info gauge",
        &version_line,
    ] {
        assert!(lines.contains(&expected), "{expected:?} in\n{}", reply.body);
    }
}

#[tokio::test]
async fn serve_answers_on_a_socket_and_returns_on_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        state(store_with(&[]).await, quiet()),
        async move {
            let _ = stopped.await;
        },
    ));

    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("send request");
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        socket.read_to_string(&mut response),
    )
    .await
    .expect("response within 10 s")
    .expect("read response");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nok"), "{response}");

    assert!(!server.is_finished(), "serve returned before shutdown");
    stop.send(()).expect("serve still waits for shutdown");
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returns within 10 s of shutdown")
        .expect("serve task");
    assert!(result.is_ok(), "{result:?}");
}

async fn control_state() -> (ApiState, Arc<NotedControl>) {
    let control = Arc::new(NotedControl::default());
    let mut state = state(store_with(&[]).await, quiet());
    state.control = control.clone();
    (state, control)
}

#[tokio::test]
async fn schedules_are_listed_with_their_mode_and_reason() {
    let (state, _) = control_state().await;
    let (status, body) = send(state, "GET", "/api/schedules", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"schedules": [{"name": "main", "mode": "day",
            "reason": "schedule: day (10:00 Europe/Moscow, Mon)", "override": null}]})
    );
}

#[tokio::test]
async fn an_override_from_this_machine_is_passed_on() {
    let (state, control) = control_state().await;
    let body = json!({"mode": "night", "hours": 3});
    let (status, reply) = send(
        state.clone(),
        "PUT",
        "/api/schedules/main/override",
        Some(body),
        Some("127.0.0.1:50000"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["mode"], "night");
    let (status, _) = send(
        state,
        "DELETE",
        "/api/schedules/main/override",
        None,
        Some("[::1]:50000"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let asked = control.asked.lock().expect("not poisoned").clone();
    assert_eq!(asked, ["set main night Some(3)", "clear main"]);
}

#[tokio::test]
async fn controls_refuse_other_machines_and_unknown_peers() {
    let (state, control) = control_state().await;
    for peer in [Some("192.0.2.7:40000"), None] {
        let body = json!({"mode": "night"});
        let (status, reply) = send(
            state.clone(),
            "PUT",
            "/api/schedules/main/override",
            Some(body),
            peer,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(reply["error"]
            .as_str()
            .unwrap_or_default()
            .contains("loopback"));
        let (status, _) = send(state.clone(), "POST", "/api/reload", None, peer).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert!(control.asked.lock().expect("not poisoned").is_empty());
}

#[tokio::test]
async fn control_errors_are_json_with_fitting_statuses() {
    let (state, _) = control_state().await;
    let local = Some("127.0.0.1:50000");
    let (status, reply) = send(
        state.clone(),
        "PUT",
        "/api/schedules/annex/override",
        Some(json!({"mode": "night"})),
        local,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(reply["error"], "no schedule \"annex\"");
    let (status, reply) = send(
        state.clone(),
        "PUT",
        "/api/schedules/main/override",
        Some(json!({"mode": "siesta"})),
        local,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply["error"], "unknown mode \"siesta\"");
    let (status, reply) = send(state, "POST", "/api/reload", None, local).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply["error"], "scenario.main.entry: unknown step");
}
