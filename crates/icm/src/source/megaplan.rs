//! Megaplan, API v3, with a Bearer token.
//!
//! Endpoint used: `GET /api/v3/contractor?<JSON>`: API v3 takes a list request's
//! parameters as one URL-encoded JSON object in the query string; `{"q": "<digits>",
//! "limit": 10}` is the full-text search over clients (people and companies), phones
//! included. The answer is `{"meta": {...}, "data": [{"contentType": "ContractorHuman",
//! "id": "1000005", "responsibles": [{"contentType": "Employee", "id": "1000001"}]}]}`.
//! Megaplan's own reference was not at hand when this was written; the shape follows
//! public API v3 clients, and a single `responsible` object is accepted too. Employees are
//! mapped by the configured id map only.

use async_trait::async_trait;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::Url;
use serde::Deserialize;

use super::http::HttpClient;
use super::{search_digits, Source, SourceError};
use crate::person::{Employee, Person};
use crate::secret::Secret;

/// The Megaplan adapter.
#[derive(Debug)]
pub struct Megaplan {
    base: Url,
    token: Secret,
    http: HttpClient,
}

#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(default)]
    data: Vec<Contractor>,
}

#[derive(Debug, Deserialize)]
struct Contractor {
    id: String,
    #[serde(rename = "contentType", default)]
    content_type: Option<String>,
    #[serde(default)]
    responsibles: Vec<Ref>,
    #[serde(default)]
    responsible: Option<Ref>,
}

#[derive(Debug, Deserialize)]
struct Ref {
    id: String,
}

impl Megaplan {
    /// `base` is the account's address (`https://example.megaplan.ru`).
    pub fn new(base: Url, token: Secret, http: HttpClient) -> Self {
        Megaplan { base, token, http }
    }
}

#[async_trait]
impl Source for Megaplan {
    async fn lookup(&self, e164: &str) -> Result<Option<Person>, SourceError> {
        let mut url = self
            .base
            .join("api/v3/contractor")
            .map_err(|e| SourceError::Protocol(e.to_string()))?;
        let query = serde_json::json!({ "q": search_digits(e164), "limit": 10 }).to_string();
        url.set_query(Some(
            &utf8_percent_encode(&query, NON_ALPHANUMERIC).to_string(),
        ));
        let Some(reply) = self.http.get_json::<Reply>(url, Some(&self.token)).await? else {
            return Ok(None);
        };
        Ok(reply.data.into_iter().find_map(|client| {
            let user = client
                .responsibles
                .first()
                .or(client.responsible.as_ref())?
                .id
                .clone();
            let kind = match client.content_type.as_deref() {
                Some("ContractorCompany") => "company",
                _ => "client",
            };
            Some(Person {
                found: format!("{kind} {}, responsible {user}", client.id),
                who: Employee::User {
                    id: user,
                    email: None,
                    extension: None,
                },
            })
        }))
    }
}
