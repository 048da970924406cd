//! `/api/queues/stats` from the outside: the queue log as the PBX writes it, read back per
//! interval through the router.

mod common;
mod idle;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use common::send;
use idle::Idle;
use sb_acd::{
    AgentOccupancy, AgentRecord, AgentState, LeaveReason, Outcome, QueueEvent, QueueEventKind,
    ReportedQueue,
};
use sb_api::{ApiState, LiveSnapshot, LiveView};
use sb_store::{QueueLogEntry, Store};
use serde_json::Value;

/// A PBX with one queue, `sales`, whose service level is 10 s.
struct Sales;

impl LiveView for Sales {
    fn snapshot(&self) -> LiveSnapshot {
        LiveSnapshot {
            active_calls: 0,
            draining: false,
            registrations: Vec::new(),
        }
    }

    /// The PBX's clock, started with `--start-time` the day the log was written.
    fn now(&self) -> DateTime<Utc> {
        at(3600)
    }

    fn reported_queues(&self) -> Vec<ReportedQueue> {
        vec![ReportedQueue {
            name: "sales".to_owned(),
            service_level: Duration::from_secs(10),
        }]
    }
}

/// 2026-11-23 10:00:00 UTC plus `secs`.
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_428_000 + secs, 0).expect("a time")
}

fn ended(secs: i64, call: &str, outcome: Outcome, waited: u64) -> QueueLogEntry {
    QueueLogEntry::Queue(QueueEvent {
        at: at(secs),
        queue: "sales".to_owned(),
        call: call.to_owned(),
        kind: QueueEventKind::Ended {
            outcome,
            waited: Duration::from_secs(waited),
        },
    })
}

fn joined(secs: i64, call: &str) -> QueueLogEntry {
    QueueLogEntry::Queue(QueueEvent {
        at: at(secs),
        queue: "sales".to_owned(),
        call: call.to_owned(),
        kind: QueueEventKind::Joined {
            priority: 0,
            position: 1,
        },
    })
}

fn agent(secs: i64, state: AgentState, busy: bool) -> QueueLogEntry {
    QueueLogEntry::Agent {
        record: AgentRecord {
            at: at(secs),
            agent: "101".to_owned(),
            occupancy: AgentOccupancy {
                staffed: true,
                busy,
            },
        },
        state,
    }
}

/// Two half hours: in the first, one caller answered after 5 s (101 busy 600 s of 1800),
/// one after 20 s and one abandoning after 3 s; in the second, one turned away.
async fn state_with_a_log() -> ApiState {
    let store = Store::open_in_memory().await.expect("store");
    let connected = || Outcome::Connected {
        agent: "101".to_owned(),
    };
    store
        .write_queue_log(&[
            QueueLogEntry::Start {
                at: at(0),
                agents: vec![(
                    "101".to_owned(),
                    AgentState::Available,
                    AgentOccupancy {
                        staffed: true,
                        busy: false,
                    },
                )],
            },
            joined(100, "a"),
            ended(105, "a", connected(), 5),
            agent(105, AgentState::OnCall, true),
            QueueLogEntry::Queue(QueueEvent {
                at: at(705),
                queue: "sales".to_owned(),
                call: "a".to_owned(),
                kind: QueueEventKind::Completed {
                    agent: "101".to_owned(),
                    talk: Duration::from_secs(600),
                    wrapup: Duration::ZERO,
                },
            }),
            agent(705, AgentState::Available, false),
            joined(800, "b"),
            ended(820, "b", connected(), 20),
            joined(900, "c"),
            ended(903, "c", Outcome::Abandoned, 3),
            joined(2000, "d"),
            ended(2000, "d", Outcome::Left(LeaveReason::Full), 0),
        ])
        .await
        .expect("log");
    ApiState {
        store,
        live: Arc::new(Sales),
        control: Arc::new(Idle::default()),
    }
}

async fn get(state: ApiState, uri: &str) -> (StatusCode, Value) {
    send(state, "GET", uri, None, None).await
}

#[tokio::test]
async fn each_interval_counts_its_callers_against_the_queues_threshold() {
    let state = state_with_a_log().await;
    let (status, body) = get(
        state,
        "/api/queues/stats?from=2026-11-23T10:00:00Z&to=2026-11-23T11:00:00Z&interval=30",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["interval_minutes"], 30);
    let intervals = body["intervals"].as_array().expect("intervals");
    assert_eq!(intervals.len(), 2);
    let first = &intervals[0];
    assert_eq!(first["from"], "2026-11-23T10:00:00.000Z");
    assert_eq!(first["to"], "2026-11-23T10:30:00.000Z");
    let sales = &first["queues"][0];
    assert_eq!(sales["queue"], "sales");
    assert_eq!(sales["service_level_secs"], 10);
    assert_eq!(sales["offered"], 3);
    assert_eq!(sales["answered"], 2);
    assert_eq!(sales["answered_in_threshold"], 1, "5 s yes, 20 s no");
    assert_eq!(sales["abandoned"], 1);
    assert_eq!(sales["service_level"], 0.5);
    assert_eq!(
        sales["service_level_abandon_aware"], 0.5,
        "a 3 s abandon does not count against"
    );
    assert_eq!(sales["asa_secs"], 12.5);
    assert_eq!(sales["aht_secs"], 600.0);
    let abandonment = sales["abandonment_rate"].as_f64().expect("a rate");
    assert!((abandonment - 1.0 / 3.0).abs() < 1e-9, "{abandonment}");
    assert_eq!(first["occupancy"], 600.0 / 1800.0);

    let later = &intervals[1]["queues"][0];
    assert_eq!(later["offered"], 1);
    assert_eq!(later["refused"], 1);
    assert_eq!(later["answered"], 0);
    assert_eq!(later["service_level"], Value::Null, "nothing answered");
    assert_eq!(intervals[1]["occupancy"], 0.0);
}

/// Without bounds: the 24 hours before the PBX's own time (not the machine's), from an
/// interval boundary.
#[tokio::test]
async fn the_default_report_is_the_day_before_the_pbxs_now() {
    let state = state_with_a_log().await;
    let (status, body) = get(state, "/api/queues/stats?interval=30").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["from"], "2026-11-22T11:00:00.000Z");
    assert_eq!(body["to"], "2026-11-23T11:00:00.000Z");
    let intervals = body["intervals"].as_array().expect("intervals");
    assert_eq!(intervals.len(), 48);
    assert_eq!(intervals[46]["from"], "2026-11-23T10:00:00.000Z");
    assert_eq!(intervals[46]["queues"][0]["offered"], 3);
    assert_eq!(intervals[47]["queues"][0]["offered"], 1);
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_them() {
    let state = state_with_a_log().await;
    for (query, names) in [
        ("from=yesterday", "from"),
        ("to=2026-11-23", "to"),
        ("interval=0", "interval"),
        ("interval=hour", "interval"),
        (
            "from=2026-11-23T11:00:00Z&to=2026-11-23T10:00:00Z",
            "from must be before to",
        ),
        (
            "from=2000-01-01T00:00:00Z&to=2026-11-23T10:00:00Z&interval=1",
            "at most",
        ),
    ] {
        let (status, body) = get(state.clone(), &format!("/api/queues/stats?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        let error = body["error"].as_str().expect("an error");
        assert!(error.contains(names), "{query}: {error}");
    }
}
