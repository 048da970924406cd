//! Megaplan, API v3, with a Bearer token.
//!
//! As Megaplan documents API v3 (dev.megaplan.ru/apiv3, and each account's own reference
//! at `/api/v3/docs`):
//! - the token is the `access_token` that `POST /api/v3/auth/access_token` with
//!   `grant_type=password` hands out; every request carries it as
//!   `Authorization: Bearer <token>`. The config holds the token, not the password.
//! - a list request's parameters are one URL-encoded JSON object in the query string.
//!   `GET /api/v3/contractor?{"q": "<digits>", "fields": [...], "limit": 10}` searches
//!   the clients, people (`ContractorHuman`) and companies (`ContractorCompany`) alike;
//!   `q` is a full-text search, phones included. A list answer holds only an entity's
//!   short form unless `fields` names more, so `responsibles` and `contactInfo` are asked
//!   for by name.
//! - the answer is `{"meta": {...}, "data": [{"contentType": "ContractorHuman", "id":
//!   "1000005", "contactInfo": [{"contentType": "ContactInfo", "type": "phone", "value":
//!   "+7 (495) 123-45-67"}], "responsibles": [{"contentType": "Employee", "id":
//!   "1000001"}]}]}`. `responsibles` may also hold groups and clients; the first
//!   `Employee` is the responsible manager. Employees are mapped by the configured id map.
//!
//! A client whose phones in the answer do not end with the caller's last ten digits (a
//! full-text hit in a note) is passed over, as in the amoCRM adapter.

use async_trait::async_trait;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::Url;
use sb_secret::Secret;
use serde::Deserialize;

use super::http::HttpClient;
use super::{same_phone, search_digits, Source, SourceError};
use crate::person::{Employee, Person};

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
    #[serde(rename = "contactInfo", default)]
    contact_info: Option<Vec<Contact>>,
}

/// A link entity: `{"contentType": "Employee", "id": "1000001"}`.
#[derive(Debug, Deserialize)]
struct Ref {
    #[serde(rename = "contentType", default)]
    content_type: Option<String>,
    id: String,
}

/// One `contactInfo` entry: a `ContactInfo` (`type` is `"phone"`, `"email"`, ...) or an
/// `Address`, whose `type` is an object; hence the loose `type`.
#[derive(Debug, Deserialize)]
struct Contact {
    #[serde(rename = "type", default)]
    kind: serde_json::Value,
    #[serde(default)]
    value: serde_json::Value,
}

impl Contractor {
    /// Whether one of its phones is the caller; a client without phones in the answer is
    /// taken at the search's word.
    fn has_phone(&self, e164: &str) -> bool {
        let Some(contacts) = &self.contact_info else {
            return true;
        };
        let mut phones = contacts
            .iter()
            .filter(|c| c.kind.as_str() == Some("phone"))
            .filter_map(|c| c.value.as_str())
            .peekable();
        phones.peek().is_none() || phones.any(|phone| same_phone(phone, e164))
    }

    /// The first responsible that is an employee (not a group or another client).
    fn employee(&self) -> Option<&str> {
        self.responsibles
            .iter()
            .find(|r| r.content_type.as_deref().is_none_or(|t| t == "Employee"))
            .map(|r| r.id.as_str())
    }
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
        let query = serde_json::json!({
            "q": search_digits(e164),
            "fields": ["responsibles", "contactInfo"],
            "limit": 10,
        })
        .to_string();
        url.set_query(Some(
            &utf8_percent_encode(&query, NON_ALPHANUMERIC).to_string(),
        ));
        let Some(reply) = self.http.get_json::<Reply>(url, Some(&self.token)).await? else {
            return Ok(None);
        };
        Ok(reply
            .data
            .iter()
            .filter(|client| client.has_phone(e164))
            .find_map(|client| {
                let user = client.employee()?.to_owned();
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
