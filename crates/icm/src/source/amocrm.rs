//! amoCRM, API v4, with a long-lived token of a private integration.
//!
//! Endpoints used, as documented by amoCRM (developers: "Контакты", "Пользователи"):
//! - `GET /api/v4/contacts?query=<digits>` with `Authorization: Bearer <token>`: the
//!   contacts whose fields match; `200` with `_embedded.contacts[]`, each with `id`,
//!   `responsible_user_id` and `custom_fields_values[]` (the phones are the field with
//!   `field_code: "PHONE"`), or `204 No Content` when nothing matches.
//! - `GET /api/v4/users/<id>`: the user with `email`, asked only when the user id is not
//!   in the configured map, so that the e-mail map can name the extension.
//!
//! The query is the last ten digits ([`super::search_digits`]); a contact whose stored
//! phones do not end with them (a full-text hit in a note) is passed over.

use std::collections::BTreeSet;

use async_trait::async_trait;
use reqwest::Url;
use sb_secret::Secret;
use serde::Deserialize;

use super::http::HttpClient;
use super::{same_phone, search_digits, Source, SourceError};
use crate::person::{Employee, Person};

/// The amoCRM adapter.
#[derive(Debug)]
pub struct AmoCrm {
    base: Url,
    token: Secret,
    mapped: BTreeSet<String>,
    emails: bool,
    http: HttpClient,
}

#[derive(Debug, Deserialize)]
struct Contacts {
    #[serde(rename = "_embedded")]
    embedded: Embedded,
}

#[derive(Debug, Deserialize)]
struct Embedded {
    #[serde(default)]
    contacts: Vec<Contact>,
}

#[derive(Debug, Deserialize)]
struct Contact {
    id: u64,
    #[serde(default)]
    responsible_user_id: Option<u64>,
    #[serde(default)]
    custom_fields_values: Option<Vec<Field>>,
}

#[derive(Debug, Deserialize)]
struct Field {
    #[serde(default)]
    field_code: Option<String>,
    #[serde(default)]
    values: Vec<FieldValue>,
}

#[derive(Debug, Deserialize)]
struct FieldValue {
    #[serde(default)]
    value: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct User {
    #[serde(default)]
    email: Option<String>,
}

impl Contact {
    /// Whether one of its phones is the caller; a contact without phone fields in the
    /// answer is taken at the search's word.
    fn has_phone(&self, e164: &str) -> bool {
        let Some(fields) = &self.custom_fields_values else {
            return true;
        };
        let mut phones = fields
            .iter()
            .filter(|f| f.field_code.as_deref() == Some("PHONE"))
            .flat_map(|f| f.values.iter())
            .filter_map(|v| v.value.as_str())
            .peekable();
        phones.peek().is_none() || phones.any(|phone| same_phone(phone, e164))
    }
}

impl AmoCrm {
    /// `base` is the account's address (`https://example.amocrm.ru`); `mapped` are the
    /// user ids the config maps (no e-mail is fetched for them); `emails` allows
    /// fetching the e-mail of the others.
    pub fn new(
        base: Url,
        token: Secret,
        mapped: BTreeSet<String>,
        emails: bool,
        http: HttpClient,
    ) -> Self {
        AmoCrm {
            base,
            token,
            mapped,
            emails,
            http,
        }
    }

    fn url(&self, path: &str) -> Result<Url, SourceError> {
        self.base
            .join(path)
            .map_err(|e| SourceError::Protocol(e.to_string()))
    }
}

#[async_trait]
impl Source for AmoCrm {
    async fn lookup(&self, e164: &str) -> Result<Option<Person>, SourceError> {
        let mut url = self.url("api/v4/contacts")?;
        url.query_pairs_mut()
            .append_pair("query", search_digits(e164));
        let Some(contacts) = self
            .http
            .get_json::<Contacts>(url, Some(&self.token))
            .await?
        else {
            return Ok(None);
        };
        let Some((contact, user)) = contacts
            .embedded
            .contacts
            .iter()
            .filter(|c| c.has_phone(e164))
            .find_map(|c| c.responsible_user_id.map(|user| (c.id, user)))
        else {
            return Ok(None);
        };
        let id = user.to_string();
        let email = if self.emails && !self.mapped.contains(&id) {
            let url = self.url(&format!("api/v4/users/{id}"))?;
            self.http
                .get_json::<User>(url, Some(&self.token))
                .await?
                .and_then(|u| u.email)
        } else {
            None
        };
        Ok(Some(Person {
            found: format!("contact {contact}, responsible user {id}"),
            who: Employee::User {
                id,
                email,
                extension: None,
            },
        }))
    }
}
