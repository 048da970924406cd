//! amoCRM API v4 against a local server speaking it: contacts by `query`, users by id.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use common::{bearer, json, serve};
use sb_icm::source::{AmoCrm, HttpClient};
use sb_icm::{Employee, Person, Secret, Source, SourceError};
use serde_json::json as j;

const TOKEN: &str = "amo-token";

fn contact(id: u64, user: u64, phone: &str) -> serde_json::Value {
    j!({
        "id": id,
        "name": "Customer",
        "responsible_user_id": user,
        "custom_fields_values": [
            {"field_id": 1, "field_name": "Телефон", "field_code": "PHONE",
             "values": [{"value": phone, "enum_code": "WORK"}]}
        ],
        "_links": {"self": {"href": "/api/v4/contacts/1"}}
    })
}

async fn contacts(headers: HeaderMap, Query(query): Query<BTreeMap<String, String>>) -> Response {
    if !bearer(&headers, TOKEN) {
        return json(
            StatusCode::UNAUTHORIZED,
            j!({"title": "Unauthorized", "status": 401}),
        );
    }
    let found = match query.get("query").map(String::as_str) {
        Some("4951234567") => vec![contact(123, 7, "+7 (495) 123-45-67")],
        Some("4957654321") => vec![contact(124, 9, "84957654321")],
        // The digits are in a note, not in a phone: a full-text false hit.
        Some("4950000001") => vec![contact(125, 7, "+7 916 000-00-00")],
        _ => return StatusCode::NO_CONTENT.into_response(),
    };
    json(
        StatusCode::OK,
        j!({"_page": 1, "_links": {}, "_embedded": {"contacts": found}}),
    )
}

async fn user(headers: HeaderMap, Path(id): Path<u64>) -> Response {
    if !bearer(&headers, TOKEN) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match id {
        9 => json(
            StatusCode::OK,
            j!({"id": 9, "name": "Dina", "email": "dina@example.com"}),
        ),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn amocrm() -> String {
    serve(
        Router::new()
            .route("/api/v4/contacts", get(contacts))
            .route("/api/v4/users/{id}", get(user)),
    )
    .await
}

fn adapter(base: &str, token: &str, mapped: &[&str]) -> AmoCrm {
    AmoCrm::new(
        base.parse().unwrap(),
        Secret::new(token),
        mapped
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        true,
        HttpClient::new(Duration::from_millis(800)).unwrap(),
    )
}

#[tokio::test]
async fn finds_the_responsible_user_of_a_contact() {
    let base = amocrm().await;
    let found = adapter(&base, TOKEN, &["7"])
        .lookup("+74951234567")
        .await
        .unwrap();
    assert_eq!(
        found,
        Some(Person {
            found: "contact 123, responsible user 7".into(),
            who: Employee::User {
                id: "7".into(),
                email: None,
                extension: None
            },
        })
    );
}

#[tokio::test]
async fn fetches_the_email_of_an_unmapped_user() {
    let base = amocrm().await;
    let found = adapter(&base, TOKEN, &["7"])
        .lookup("+74957654321")
        .await
        .unwrap();
    assert_eq!(
        found.unwrap().who,
        Employee::User {
            id: "9".into(),
            email: Some("dina@example.com".into()),
            extension: None
        }
    );
}

#[tokio::test]
async fn no_content_and_false_hits_are_not_found() {
    let base = amocrm().await;
    let amo = adapter(&base, TOKEN, &[]);
    assert_eq!(amo.lookup("+74959999999").await.unwrap(), None);
    assert_eq!(amo.lookup("+74950000001").await.unwrap(), None);
}

#[tokio::test]
async fn a_wrong_token_is_an_error_that_does_not_show_it() {
    let base = amocrm().await;
    let error = adapter(&base, "wrong-token", &[])
        .lookup("+74951234567")
        .await
        .unwrap_err();
    assert_eq!(error, SourceError::Status(401));
    let refused = adapter("http://127.0.0.1:9/", "t", &[])
        .lookup("+74951234567")
        .await
        .unwrap_err();
    assert!(matches!(refused, SourceError::Transport(_)), "{refused:?}");
    assert!(!refused.to_string().contains("127.0.0.1:9"), "{refused}");
}
