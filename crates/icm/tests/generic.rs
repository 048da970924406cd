//! The generic HTTP source against a local service: `{number}` in a URL template.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use common::{bearer, json, serve};
use sb_icm::source::{GenericHttp, HttpClient};
use sb_icm::{Employee, Secret, Source, SourceError};
use serde_json::json as j;

async fn who(headers: HeaderMap, Query(q): Query<BTreeMap<String, String>>) -> Response {
    if !bearer(&headers, "key") {
        return StatusCode::FORBIDDEN.into_response();
    }
    match q.get("n").map(String::as_str) {
        Some("+74951234567") => json(StatusCode::OK, j!({"extension": "104", "name": "Gleb"})),
        Some("+74957654321") => json(StatusCode::OK, j!({"email": "dina@example.com"})),
        Some("+74951112233") => json(StatusCode::OK, j!({"extension": null})),
        Some("+74952223344") => json(StatusCode::OK, j!(null)),
        Some("+74953334455") => (StatusCode::OK, "<html>oops</html>").into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn source(token: &str) -> GenericHttp {
    let base = serve(Router::new().route("/who", get(who))).await;
    GenericHttp::new(
        Secret::new(format!("{base}/who?n={{number}}")),
        Some(Secret::new(token)),
        HttpClient::new(Duration::from_millis(800)).unwrap(),
    )
}

#[tokio::test]
async fn extension_or_email_or_nothing() {
    let http = source("key").await;
    let found = http.lookup("+74951234567").await.unwrap().unwrap();
    assert_eq!(
        (found.found.as_str(), found.who),
        ("extension 104", Employee::Extension("104".into()))
    );
    let found = http.lookup("+74957654321").await.unwrap().unwrap();
    assert_eq!(found.who, Employee::Email("dina@example.com".into()));
    for unknown in ["+74951112233", "+74952223344", "+74959999999"] {
        assert_eq!(http.lookup(unknown).await.unwrap(), None, "{unknown}");
    }
    assert!(matches!(
        http.lookup("+74953334455").await.unwrap_err(),
        SourceError::Protocol(_)
    ));
}

#[tokio::test]
async fn a_refused_key_is_an_error() {
    let http = source("other").await;
    assert_eq!(
        http.lookup("+74951234567").await.unwrap_err(),
        SourceError::Status(403)
    );
}
