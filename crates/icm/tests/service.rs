//! The whole service over real HTTP on loopback: time-outs move on, failures open the
//! breaker, exclusions pass over the director, the history closes the list; the engine's
//! time is a test clock, the requests' time limits are real.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use common::{failing_server, json, serve, slow_server, Hits, TestClock};
use sb_icm::resolve::Outcome;
use sb_icm::source::{CallHistory, MemoryHistory};
use sb_icm::{Icm, IcmConfig, SourceId};
use serde_json::json as j;
use std::collections::BTreeMap;

const CALLER: &str = "84951234567";
const E164: &str = "+74951234567";

fn texts(resolution: &sb_icm::Resolution) -> Vec<&str> {
    resolution.trace.iter().map(|e| e.text.as_str()).collect()
}

/// Gleb (105 in this office's history) spoke to the caller three days ago.
fn history(clock: &TestClock) -> Arc<MemoryHistory> {
    let history = Arc::new(MemoryHistory::new());
    history.record(E164, "105", clock.now() - chrono::TimeDelta::days(3));
    history
}

#[tokio::test]
async fn slow_and_failing_crms_fall_through_to_the_history_and_open_their_breakers() {
    let clock = TestClock::new();
    let (slow_hits, failing_hits) = (Hits::default(), Hits::default());
    let slow = slow_server(Duration::from_secs(5), slow_hits.clone()).await;
    let failing = failing_server(failing_hits.clone()).await;
    let config: IcmConfig = toml::from_str(&format!(
        r#"
        order = ["amocrm", "bitrix24", "history"]
        timeout_ms = 300
        breaker_threshold = 2
        breaker_cooldown = 60
        [amocrm]
        url = "{slow}"
        token = "amo-token"
        [bitrix24]
        webhook = "{failing}/rest/1/s3cr3tw3bh00k/"
        "#
    ))
    .unwrap();
    let history: Arc<dyn CallHistory> = history(&clock);
    let icm = Icm::from_config(&config, Some(history), clock.clock()).unwrap();

    let first = icm.resolve(CALLER).await;
    assert_eq!(first.extension(), Some("105"));
    assert_eq!(
        texts(&first),
        [
            "number: 84951234567 → +74951234567",
            "amoCRM: timed out after 300 ms",
            "bitrix24: failed: HTTP 500",
            "history: last answered by 105 on 2026-11-20",
        ]
    );

    clock.advance(10);
    let second = icm.resolve(CALLER).await;
    assert_eq!(
        texts(&second),
        [
            "number: 84951234567 → +74951234567",
            "amoCRM: timed out after 300 ms",
            "amoCRM: circuit opened, skipped for 60 s after 2 failures in a row",
            "bitrix24: failed: HTTP 500",
            "bitrix24: circuit opened, skipped for 60 s after 2 failures in a row",
            "history: last answered by 105 on 2026-11-20",
        ]
    );
    assert_eq!((slow_hits.count(), failing_hits.count()), (2, 2));

    // Open: neither CRM is asked, the answer comes at once.
    clock.advance(30);
    let started = std::time::Instant::now();
    let third = icm.resolve(CALLER).await;
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(
        texts(&third)[1..3],
        [
            "amoCRM: skipped, circuit open for 30 s more after 2 failures in a row",
            "bitrix24: skipped, circuit open for 30 s more after 2 failures in a row",
        ]
    );
    assert_eq!((slow_hits.count(), failing_hits.count()), (2, 2));

    // After the cooldown both are tried again.
    clock.advance(31);
    let fourth = icm.resolve(CALLER).await;
    assert_eq!(fourth.extension(), Some("105"));
    assert_eq!((slow_hits.count(), failing_hits.count()), (3, 3));
    // The webhook's token is in no trace line.
    for resolution in [&first, &second, &third, &fourth] {
        assert!(texts(resolution)
            .iter()
            .all(|line| !line.contains("s3cr3t")));
    }
}

/// An amoCRM that knows the caller as Boris's customer (user 3) and another as Gleb's (7).
async fn amocrm() -> String {
    async fn contacts(Query(q): Query<BTreeMap<String, String>>) -> Response {
        let (id, user) = match q.get("query").map(String::as_str) {
            Some("4951234567") => (123, 3),
            Some("4957654321") => (124, 7),
            _ => return StatusCode::NO_CONTENT.into_response(),
        };
        json(
            StatusCode::OK,
            j!({"_embedded": {"contacts": [{"id": id, "responsible_user_id": user}]}}),
        )
    }
    serve(Router::new().route("/api/v4/contacts", get(contacts))).await
}

#[tokio::test]
async fn the_director_is_passed_over_and_answers_are_cached() {
    let clock = TestClock::new();
    let amo = amocrm().await;
    let config: IcmConfig = toml::from_str(&format!(
        r#"
        order = ["amocrm", "history"]
        exclude = ["102"]
        [amocrm]
        url = "{amo}"
        token = "t"
        users = {{ "3" = "102", "7" = "104" }}
        "#
    ))
    .unwrap();
    let history: Arc<dyn CallHistory> = history(&clock);
    let icm = Icm::from_config(&config, Some(history), clock.clock()).unwrap();

    let boris = icm.resolve("+7 (495) 123-45-67").await;
    assert_eq!(
        boris.outcome,
        Outcome::Resolved {
            extension: "105".into(),
            source: SourceId::History,
            reason: "history: last answered by 105 on 2026-11-20".into(),
        }
    );
    assert_eq!(
        texts(&boris)[1..3],
        [
            "amoCRM: contact 123, responsible user 3 → ext 102",
            "excluded: 102",
        ]
    );

    let gleb = icm.resolve("1234567").await;
    assert_eq!(gleb.extension(), Some("105"), "{:?}", texts(&gleb));
    let gleb = icm.resolve("7654321").await;
    assert_eq!(
        texts(&gleb),
        [
            "number: 7654321 → +74957654321",
            "amoCRM: contact 124, responsible user 7 → ext 104",
        ]
    );
    let again = icm.resolve("+74957654321").await;
    assert_eq!(
        texts(&again)[1],
        "amoCRM (cached): contact 124, responsible user 7 → ext 104"
    );
}

#[tokio::test]
async fn old_calls_internal_callers_and_garbage_find_nobody() {
    let clock = TestClock::new();
    let history = Arc::new(MemoryHistory::new());
    history.record(E164, "105", clock.now() - chrono::TimeDelta::days(40));
    let config: IcmConfig = toml::from_str("[history]\nwindow_days = 30").unwrap();
    let history: Arc<dyn CallHistory> = history;
    let icm = Icm::from_config(&config, Some(history), clock.clock()).unwrap();
    let cases = [
        (CALLER, "history: not found"),
        ("101", "number: 101 is internal"),
        ("anonymous", "number: \"anonymous\" is not a phone number"),
    ];
    for (caller, reason) in cases {
        let resolution = icm.resolve(caller).await;
        assert_eq!(
            resolution.outcome,
            Outcome::NotFound {
                reasons: vec![reason.into()]
            }
        );
    }
}

#[tokio::test]
async fn wiring_mistakes_are_reported() {
    let clock = TestClock::new();
    let config = IcmConfig::default();
    let error = Icm::from_config(&config, None, clock.clock())
        .err()
        .unwrap();
    assert_eq!(error.to_string(), "icm.order: no call history to read");
    let config: IcmConfig = toml::from_str("order = [\"http\"]").unwrap();
    let error = Icm::from_config(&config, None, clock.clock())
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "icm.order[0]: http has no [icm.http] table"
    );
}
