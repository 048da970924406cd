//! Bitrix24 REST through an inbound webhook, against a local server speaking it:
//! `crm.duplicate.findbycomm`, then `crm.contact.get` / `crm.company.get` /
//! `crm.lead.get`, then `user.get` for an unmapped user.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use common::{json, serve};
use sb_icm::source::{Bitrix24, HttpClient};
use sb_icm::{Employee, Secret, Source, SourceError};
use serde_json::json as j;

const TOKEN: &str = "s3cr3tw3bh00k";

async fn method(
    Path((user, token, method)): Path<(String, String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if user == "9" && token == TOKEN {
        // A portal over its request limit: the error comes with HTTP 200.
        return json(
            StatusCode::OK,
            j!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}),
        );
    }
    if user != "1" || token != TOKEN {
        return json(
            StatusCode::UNAUTHORIZED,
            j!({"error": "INVALID_CREDENTIALS", "error_description": "Invalid request credentials"}),
        );
    }
    let get = |key: &str| q.get(key).map(String::as_str).unwrap_or("");
    let result = match method.as_str() {
        "crm.duplicate.findbycomm.json" => {
            assert_eq!(get("type"), "PHONE");
            match get("values[]") {
                "+74951234567" => j!({"CONTACT": [4]}),
                "+74957654321" => j!({"COMPANY": [2], "LEAD": [9, 10]}),
                "+74951112233" => j!({"LEAD": [11]}),
                // Bitrix24 answers an empty PHP array when nothing matches.
                _ => j!([]),
            }
        }
        "crm.contact.get.json" if get("id") == "4" => {
            j!({"ID": "4", "NAME": "Ivan", "ASSIGNED_BY_ID": "1"})
        }
        // A company with nobody assigned: the leads are next.
        "crm.company.get.json" if get("id") == "2" => {
            j!({"ID": "2", "TITLE": "LLC", "ASSIGNED_BY_ID": null})
        }
        "crm.lead.get.json" if get("id") == "9" => j!({"ID": "9", "ASSIGNED_BY_ID": "8"}),
        "crm.lead.get.json" if get("id") == "11" => j!({"ID": "11", "ASSIGNED_BY_ID": "1"}),
        "user.get.json" if get("ID") == "8" => {
            j!([{"ID": "8", "NAME": "Kira", "EMAIL": "kira@example.com", "UF_PHONE_INNER": "109"}])
        }
        _ => {
            return json(
                StatusCode::BAD_REQUEST,
                j!({"error": "NOT_FOUND", "error_description": "Not found"}),
            )
        }
    };
    json(
        StatusCode::OK,
        j!({"result": result, "time": {"duration": 0.01}}),
    )
}

async fn bitrix24() -> String {
    serve(Router::new().route("/rest/{user}/{token}/{method}", get(method))).await
}

fn adapter(webhook: String, mapped: &[&str]) -> Bitrix24 {
    Bitrix24::new(
        Secret::new(webhook),
        mapped
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        true,
        HttpClient::new(Duration::from_millis(800)).unwrap(),
    )
}

#[tokio::test]
async fn a_contact_with_the_phone_names_its_responsible_user() {
    let base = bitrix24().await;
    let found = adapter(format!("{base}/rest/1/{TOKEN}/"), &["1"])
        .lookup("+74951234567")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.found, "contact 4, responsible user 1");
    assert_eq!(
        found.who,
        Employee::User {
            id: "1".into(),
            email: None,
            extension: None
        }
    );
}

#[tokio::test]
async fn a_company_without_a_responsible_falls_to_its_lead_and_the_user_is_fetched() {
    let base = bitrix24().await;
    // The webhook URL without its trailing slash works too.
    let found = adapter(format!("{base}/rest/1/{TOKEN}"), &["1"])
        .lookup("+74957654321")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.found, "lead 9, responsible user 8");
    assert_eq!(
        found.who,
        Employee::User {
            id: "8".into(),
            email: Some("kira@example.com".into()),
            extension: Some("109".into())
        }
    );
}

#[tokio::test]
async fn no_duplicates_is_not_found() {
    let base = bitrix24().await;
    let found = adapter(format!("{base}/rest/1/{TOKEN}/"), &[])
        .lookup("+74959999999")
        .await
        .unwrap();
    assert_eq!(found, None);
}

#[tokio::test]
async fn a_wrong_webhook_fails_without_showing_it() {
    let base = bitrix24().await;
    let source = adapter(format!("{base}/rest/1/wrong-{TOKEN}/"), &[]);
    let error = source.lookup("+74951234567").await.unwrap_err();
    assert_eq!(error, SourceError::Status(401));
    assert!(!format!("{source:?}").contains(TOKEN));
    let refused = adapter(format!("http://127.0.0.1:9/rest/1/{TOKEN}/"), &[])
        .lookup("+74951234567")
        .await
        .unwrap_err();
    assert!(!refused.to_string().contains(TOKEN), "{refused}");
}

#[tokio::test]
async fn errors_in_the_body_and_a_mistyped_webhook_are_failures_not_not_found() {
    let base = bitrix24().await;
    let limited = adapter(format!("{base}/rest/9/{TOKEN}/"), &[])
        .lookup("+74951234567")
        .await
        .unwrap_err();
    assert_eq!(limited, SourceError::Refused("QUERY_LIMIT_EXCEEDED".into()));
    assert_eq!(limited.to_string(), "error QUERY_LIMIT_EXCEEDED");
    // No such method under this path: 404, which must not read as "nobody found".
    let mistyped = adapter(format!("{base}/rest/1/{TOKEN}/crm/"), &[])
        .lookup("+74951234567")
        .await
        .unwrap_err();
    assert_eq!(mistyped, SourceError::Status(404));
}
