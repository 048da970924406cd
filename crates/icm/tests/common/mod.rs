//! Local HTTP servers on loopback that speak each CRM's documented API, started by the
//! test that needs them; the adapters under test talk real HTTP to them.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, TimeDelta, Utc};
use sb_icm::Clock;

/// Serves `router` on 127.0.0.1 at a free port; returns `http://127.0.0.1:PORT`.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

/// A JSON answer.
pub fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Whether the request carries `Authorization: Bearer <token>`.
pub fn bearer(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {token}"))
}

/// Counts requests, for "was it asked at all" checks.
#[derive(Clone, Default)]
pub struct Hits(Arc<AtomicUsize>);

impl Hits {
    pub fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A server whose every request waits `delay` and then fails with 500.
pub async fn slow_server(delay: Duration, hits: Hits) -> String {
    let router = Router::new().fallback(move || {
        let hits = hits.clone();
        async move {
            hits.hit();
            tokio::time::sleep(delay).await;
            StatusCode::INTERNAL_SERVER_ERROR
        }
    });
    serve(router).await
}

/// A server whose every request fails with 500 at once.
pub async fn failing_server(hits: Hits) -> String {
    let router = Router::new().fallback(move || {
        let hits = hits.clone();
        async move {
            hits.hit();
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"error": "INTERNAL"}),
            )
        }
    });
    serve(router).await
}

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    /// Monday 2026-11-23, 10:05 in Moscow.
    pub fn new() -> Self {
        TestClock(Arc::new(Mutex::new(
            "2026-11-23T07:05:00Z".parse().unwrap(),
        )))
    }
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    pub fn advance(&self, seconds: i64) {
        *self.0.lock().unwrap() += TimeDelta::seconds(seconds);
    }
    pub fn clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}
