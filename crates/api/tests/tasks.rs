//! `/api/tasks` from the outside: requests through the router as a client sends them, against
//! an in-memory store holding tasks as the task keeper writes them.

mod common;
mod idle;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use common::send;
use idle::Idle;
use sb_api::ApiState;
use sb_store::{Store, TaskRow};
use sb_voicemail::tasks::{Assignee, Assignment, Closing, Direction, MissedKind, Task, TaskState};
use serde_json::{json, Value};

/// 2026-11-23 10:00:00 UTC plus `secs`.
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_428_000 + secs, 0).expect("a time in range")
}

/// A task of `number` opened `secs` after the start by a call nobody answered at 101, then a
/// message in `general`; assigned to `to`.
fn task(number: &str, secs: i64, to: Assignee, why: &str) -> Task {
    Task {
        id: None,
        number: number.to_owned(),
        name: Some("Ivan".to_owned()),
        first_at: at(secs),
        last_at: at(secs + 300),
        attempts: 2,
        longest_wait: Duration::from_millis(42_500),
        kinds: vec![
            MissedKind::NoAnswer {
                target: "101".to_owned(),
            },
            MissedKind::Voicemail {
                mailbox: "general".to_owned(),
                message_id: 9,
            },
        ],
        call_ids: vec![format!("call-{secs}")],
        recordings: vec![9],
        newest_recording: Some(9),
        assigned: Assignment {
            to,
            why: why.to_owned(),
        },
        state: TaskState::Open,
    }
}

/// Three tasks: Gleb's (104) open, the sales queue's open, and one closed by a call back.
async fn state_with_tasks() -> (ApiState, [i64; 3]) {
    let store = Store::open_in_memory().await.expect("store");
    let gleb = Assignee::Person("104".to_owned());
    let mine = task(
        "+74951234567",
        0,
        gleb.clone(),
        "responsible manager (from history)",
    );
    let queue = task(
        "+74957654321",
        60,
        Assignee::Queue("sales".to_owned()),
        "abandoned in queue sales",
    );
    let mut done = task("+74955555555", 30, gleb, "not answered at 104");
    done.state = TaskState::Closed {
        at: at(900),
        by: "104".to_owned(),
        how: Closing::Answered {
            direction: Direction::Outbound,
            call_id: "back".to_owned(),
        },
    };
    let mut ids = [0; 3];
    for (id, task) in ids.iter_mut().zip([mine, queue, done]) {
        *id = store
            .insert_task(&TaskRow::from_task(&task))
            .await
            .expect("insert");
    }
    let state = ApiState {
        store,
        live: Arc::new(Idle::default()),
        control: Arc::new(Idle::default()),
    };
    (state, ids)
}

async fn get(state: ApiState, uri: &str) -> (StatusCode, Value) {
    send(state, "GET", uri, None, None).await
}

fn ids(body: &Value) -> Vec<i64> {
    body["tasks"]
        .as_array()
        .expect("a task list")
        .iter()
        .map(|task| task["id"].as_i64().expect("an id"))
        .collect()
}

#[tokio::test]
async fn open_tasks_are_listed_newest_first_with_every_field() {
    let (state, [mine, queue, _]) = state_with_tasks().await;
    let (status, body) = get(state, "/api/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&body), [queue, mine]);
    assert_eq!(
        body["tasks"][1],
        json!({
            "id": mine,
            "number": "+74951234567",
            "name": "Ivan",
            "state": "open",
            "first_at": "2026-11-23T10:00:00.000Z",
            "last_at": "2026-11-23T10:05:00.000Z",
            "attempts": 2,
            "longest_wait_ms": 42500,
            "kinds": [
                {"kind": "missed", "target": "101"},
                {"kind": "voicemail", "mailbox": "general", "message_id": 9}
            ],
            "recordings": [9],
            "newest_recording": 9,
            "last_call_id": "call-0",
            "assigned": {
                "kind": "extension",
                "value": "104",
                "why": "responsible manager (from history)"
            },
            "closed": null
        })
    );
}

#[tokio::test]
async fn tasks_are_chosen_by_state_assignee_and_limit() {
    let (state, [mine, queue, done]) = state_with_tasks().await;
    let (_, all) = get(state.clone(), "/api/tasks?state=all").await;
    assert_eq!(ids(&all), [queue, done, mine]);
    assert_eq!(
        all["tasks"][1]["closed"],
        json!({
            "at": "2026-11-23T10:15:00.000Z",
            "by": "104",
            "how": "answered outbound call",
            "call_id": "back"
        })
    );
    let (_, gleb) = get(state.clone(), "/api/tasks?assigned=104").await;
    assert_eq!(ids(&gleb), [mine]);
    let (_, gleb_all) = get(state.clone(), "/api/tasks?state=all&assigned=104").await;
    assert_eq!(ids(&gleb_all), [done, mine]);
    let (_, sales) = get(state.clone(), "/api/tasks?assigned=queue:sales").await;
    assert_eq!(ids(&sales), [queue]);
    let (_, newest) = get(state, "/api/tasks?state=all&limit=1").await;
    assert_eq!(ids(&newest), [queue]);
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_them() {
    let (state, _) = state_with_tasks().await;
    for (uri, says) in [
        ("/api/tasks?state=closed", "state must be open or all"),
        (
            "/api/tasks?assigned=group:x",
            "assigned: \"group:x\" names no assignee",
        ),
        ("/api/tasks?limit=0", "limit must be"),
    ] {
        let (status, body) = get(state.clone(), uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let error = body["error"].as_str().expect("a JSON error");
        assert!(error.contains(says), "{uri}: {error}");
    }
}

#[tokio::test]
async fn a_task_is_closed_by_hand_once_from_this_machine() {
    let (state, [mine, _, done]) = state_with_tasks().await;
    let close = |id: i64| format!("/api/tasks/{id}/close");
    let local = Some("127.0.0.1:50000");

    let (status, body) = send(
        state.clone(),
        "POST",
        &close(mine),
        Some(json!({"by": "anna"})),
        Some("192.0.2.7:50000"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = send(state.clone(), "POST", &close(mine), None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let (status, body) = send(
        state.clone(),
        "POST",
        &close(mine),
        Some(json!({"by": "anna"})),
        local,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["task"]["state"], "closed");
    assert_eq!(body["task"]["closed"]["by"], "anna");
    assert_eq!(body["task"]["closed"]["how"], "by hand");
    assert_eq!(body["task"]["closed"]["call_id"], Value::Null);
    let (_, open) = get(state.clone(), "/api/tasks?assigned=104").await;
    assert!(ids(&open).is_empty(), "{open}");

    let (status, body) = send(state.clone(), "POST", &close(mine), None, local).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let error = body["error"].as_str().expect("a JSON error");
    assert!(error.contains("already closed by anna"), "{error}");
    let (status, body) = send(state.clone(), "POST", &close(done), None, local).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("answered outbound call")),
        "{body}"
    );

    let (status, body) = send(state.clone(), "POST", &close(9_999), None, local).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"], "no callback task 9999");
    let (status, body) = send(state.clone(), "POST", "/api/tasks/x/close", None, local).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].is_string(), "{body}");
    let (status, body) = send(
        state,
        "POST",
        &close(mine),
        Some(json!({"who": "anna"})),
        local,
    )
    .await;
    assert!(status.is_client_error(), "{status} {body}");
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn a_closing_without_a_body_is_put_down_to_the_api() {
    let (state, [mine, queue, _]) = state_with_tasks().await;
    let local = Some("[::1]:50000");
    let (status, body) = send(
        state.clone(),
        "POST",
        &format!("/api/tasks/{mine}/close"),
        None,
        local,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["task"]["closed"]["by"], "api");
    let (_, body) = send(
        state,
        "POST",
        &format!("/api/tasks/{queue}/close"),
        Some(json!({"by": "  "})),
        local,
    )
    .await;
    assert_eq!(body["task"]["closed"]["by"], "api");
}
