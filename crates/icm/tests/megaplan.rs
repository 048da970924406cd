//! Megaplan API v3 against a local server speaking it: `GET /api/v3/contractor?{json}`
//! with a Bearer token, the answer's `responsibles` and `contactInfo` as documented.

mod common;

use std::time::Duration;

use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use common::{bearer, json, serve};
use percent_encoding::percent_decode_str;
use sb_icm::source::{HttpClient, Megaplan};
use sb_icm::{Employee, Secret, Source, SourceError};
use serde_json::json as j;

const TOKEN: &str = "mp-token";

async fn contractors(headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    if !bearer(&headers, TOKEN) {
        return json(
            StatusCode::UNAUTHORIZED,
            j!({"meta": {"status": 401, "errors": [{"field": null, "message": "Unauthorized"}]}}),
        );
    }
    // API v3: the parameters are one URL-encoded JSON object.
    let text = percent_decode_str(&query.unwrap_or_default())
        .decode_utf8_lossy()
        .into_owned();
    let params: serde_json::Value = serde_json::from_str(&text).expect("JSON in the query");
    // A list answer leaves these out unless they are asked for.
    assert_eq!(
        params["fields"],
        j!(["responsibles", "contactInfo"]),
        "{params}"
    );
    let phone = |value: &str| j!({"contentType": "ContactInfo", "type": "phone", "value": value});
    let data = match params["q"].as_str() {
        Some("4951234567") => j!([{
            "contentType": "ContractorHuman",
            "id": "1000005",
            "name": "Ivan Petrov",
            "contactInfo": [
                {"contentType": "Address", "type": {"contentType": "AddressType", "id": "1"},
                 "value": "Moscow"},
                phone("8 (495) 123-45-67")
            ],
            "responsibles": [{"contentType": "Employee", "id": "1000001"}]
        }]),
        Some("4957654321") => j!([
            // Found by a note, not by its phone: passed over.
            {"contentType": "ContractorHuman", "id": "1000009",
             "contactInfo": [phone("+7 916 000-00-00")],
             "responsibles": [{"contentType": "Employee", "id": "1000003"}]},
            {"contentType": "ContractorCompany", "id": "1000010", "responsibles": []},
            // A group is responsible first; the employee after it is the manager.
            {"contentType": "ContractorCompany", "id": "1000011",
             "contactInfo": [phone("+74957654321")],
             "responsibles": [{"contentType": "Group", "id": "7"},
                              {"contentType": "Employee", "id": "1000002"}]}
        ]),
        _ => j!([]),
    };
    json(
        StatusCode::OK,
        j!({"meta": {"status": 200, "errors": [], "pagination": {"count": 1, "limit": 10}},
            "data": data}),
    )
}

async fn megaplan() -> String {
    serve(Router::new().route("/api/v3/contractor", get(contractors))).await
}

fn adapter(base: &str, token: &str) -> Megaplan {
    Megaplan::new(
        base.parse().unwrap(),
        Secret::new(token),
        HttpClient::new(Duration::from_millis(800)).unwrap(),
    )
}

#[tokio::test]
async fn a_client_names_its_responsible_employee() {
    let base = megaplan().await;
    let found = adapter(&base, TOKEN)
        .lookup("+74951234567")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.found, "client 1000005, responsible 1000001");
    assert_eq!(
        found.who,
        Employee::User {
            id: "1000001".into(),
            email: None,
            extension: None
        }
    );
    // The first hit is a note, the second has nobody, the third names a group first.
    let company = adapter(&base, TOKEN)
        .lookup("+74957654321")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(company.found, "company 1000011, responsible 1000002");
}

#[tokio::test]
async fn nothing_found_and_a_wrong_token() {
    let base = megaplan().await;
    assert_eq!(
        adapter(&base, TOKEN).lookup("+74959999999").await.unwrap(),
        None
    );
    assert_eq!(
        adapter(&base, "wrong")
            .lookup("+74951234567")
            .await
            .unwrap_err(),
        SourceError::Status(401)
    );
}
