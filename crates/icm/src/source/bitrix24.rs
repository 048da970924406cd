//! Bitrix24 through an inbound webhook (`https://<portal>/rest/<user>/<token>/`), whose
//! URL is the credential and so is kept as a [`Secret`].
//!
//! Methods used, as documented in the Bitrix24 REST reference:
//! - `crm.duplicate.findbycomm` with `type=PHONE&values[]=<number>`: the ids of leads,
//!   contacts and companies having that phone, `{"result": {"CONTACT": [4], "COMPANY":
//!   [2], "LEAD": [9]}}`, or `{"result": []}` when there are none. Bitrix24 matches
//!   phones in its own normalised form, so the E.164 number is sent as it is; the
//!   documented alternative, `crm.contact.list` filtered by `PHONE`, matches exactly as
//!   typed and would miss `8 (495) ...` stored contacts.
//! - `crm.contact.get`, `crm.company.get`, `crm.lead.get` with `id`: the record, whose
//!   `ASSIGNED_BY_ID` is the responsible user. Contacts are asked first, then companies,
//!   then leads: a contact is the person calling.
//! - `user.get` with `ID`: the user's `EMAIL` and `UF_PHONE_INNER` (internal phone),
//!   asked only for a user id the config does not map.
//!
//! Errors, as the REST reference's "Error codes" page has them: an HTTP status other than
//! 2xx, or `{"error": "QUERY_LIMIT_EXCEEDED", "error_description": "..."}` in the body,
//! which may come with HTTP 200. A 404 is an error too (`ERROR_METHOD_NOT_FOUND`: a
//! mistyped webhook), never "nothing found": that is the empty `result`.

use std::collections::BTreeSet;

use async_trait::async_trait;
use reqwest::Url;
use sb_secret::Secret;
use serde::Deserialize;

use super::http::HttpClient;
use super::{Source, SourceError};
use crate::person::{Employee, Person};

/// The Bitrix24 adapter.
#[derive(Debug)]
pub struct Bitrix24 {
    webhook: Secret,
    mapped: BTreeSet<String>,
    users: bool,
    http: HttpClient,
}

/// Bitrix24's envelope: `{"result": ...}`, or `{"error": "CODE", ...}`.
#[derive(Debug, Deserialize)]
struct Reply<T> {
    result: Option<T>,
    error: Option<String>,
}

/// `crm.duplicate.findbycomm`'s result: an object of id lists, or `[]` for none.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Duplicates {
    Found {
        #[serde(rename = "CONTACT", default)]
        contact: Vec<Id>,
        #[serde(rename = "COMPANY", default)]
        company: Vec<Id>,
        #[serde(rename = "LEAD", default)]
        lead: Vec<Id>,
    },
    None(serde::de::IgnoredAny),
}

/// Bitrix24 writes ids as numbers in some methods and strings in others.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Id {
    Number(u64),
    Text(String),
}

impl Id {
    fn text(&self) -> String {
        match self {
            Id::Number(n) => n.to_string(),
            Id::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Record {
    #[serde(rename = "ASSIGNED_BY_ID", default)]
    assigned_by_id: Option<Id>,
}

#[derive(Debug, Deserialize)]
struct User {
    #[serde(rename = "EMAIL", default)]
    email: Option<String>,
    #[serde(rename = "UF_PHONE_INNER", default)]
    phone_inner: Option<String>,
}

impl Bitrix24 {
    /// `webhook` is the inbound webhook's URL; `mapped` are the user ids the config
    /// maps; `users` allows `user.get` for the others.
    pub fn new(webhook: Secret, mapped: BTreeSet<String>, users: bool, http: HttpClient) -> Self {
        Bitrix24 {
            webhook,
            mapped,
            users,
            http,
        }
    }

    fn method(&self, method: &str, query: &[(&str, &str)]) -> Result<Url, SourceError> {
        // Not `?`-chained with the URL in the message: the URL is the credential.
        let base = super::http::base_url(self.webhook.expose())
            .map_err(|_| SourceError::Protocol("webhook URL".to_owned()))?;
        let mut url = base
            .join(&format!("{method}.json"))
            .map_err(|_| SourceError::Protocol("webhook URL".to_owned()))?;
        url.query_pairs_mut().extend_pairs(query);
        Ok(url)
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        query: &[(&str, &str)],
    ) -> Result<T, SourceError> {
        let url = self.method(method, query)?;
        let (status, body) = self.http.get(url, None).await?;
        if !status.is_success() {
            return Err(SourceError::Status(status.as_u16()));
        }
        let reply: Reply<T> =
            serde_json::from_slice(&body).map_err(|e| SourceError::Protocol(e.to_string()))?;
        match reply {
            Reply {
                error: Some(code), ..
            } => Err(SourceError::Refused(error_code(&code))),
            Reply {
                result: Some(result),
                ..
            } => Ok(result),
            Reply { result: None, .. } => Err(SourceError::Protocol(format!(
                "{method}: no result and no error"
            ))),
        }
    }
}

/// The error code as Bitrix24 defines it (Latin letters, digits, `_`), so nothing else
/// the body held reaches the trace.
fn error_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

#[async_trait]
impl Source for Bitrix24 {
    async fn lookup(&self, e164: &str) -> Result<Option<Person>, SourceError> {
        let query = [("type", "PHONE"), ("values[]", e164)];
        let Duplicates::Found {
            contact,
            company,
            lead,
        } = self.call("crm.duplicate.findbycomm", &query).await?
        else {
            return Ok(None);
        };
        let kinds = [
            ("contact", "crm.contact.get", contact),
            ("company", "crm.company.get", company),
            ("lead", "crm.lead.get", lead),
        ];
        for (kind, method, ids) in kinds {
            for id in ids {
                let id = id.text();
                let record: Record = self.call(method, &[("id", &id)]).await?;
                let Some(user) = record.assigned_by_id.map(|u| u.text()) else {
                    continue;
                };
                let (email, extension) = if self.users && !self.mapped.contains(&user) {
                    let found: Vec<User> = self.call("user.get", &[("ID", &user)]).await?;
                    found
                        .into_iter()
                        .next()
                        .map(|u| (u.email, u.phone_inner))
                        .unwrap_or_default()
                } else {
                    (None, None)
                };
                return Ok(Some(Person {
                    found: format!("{kind} {id}, responsible user {user}"),
                    who: Employee::User {
                        id: user,
                        email: email.filter(|e| !e.is_empty()),
                        extension: extension.filter(|e| !e.is_empty()),
                    },
                }));
            }
        }
        Ok(None)
    }
}
