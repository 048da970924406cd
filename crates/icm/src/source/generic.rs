//! Any in-house service: `GET` a URL template with `{number}` replaced by the caller in
//! E.164 (URL-encoded), answering `{"extension": "104"}` or `{"email": "gleb@example.com"}`.
//! `404`, `204`, or an object with neither field means "not known".

use async_trait::async_trait;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::Url;
use sb_secret::Secret;
use serde::Deserialize;

use super::http::HttpClient;
use super::{Source, SourceError};
use crate::person::{Employee, Person};

/// A generic HTTP source.
#[derive(Debug)]
pub struct GenericHttp {
    template: Secret,
    token: Option<Secret>,
    http: HttpClient,
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    extension: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

impl GenericHttp {
    /// `template` holds `{number}`; `token`, when given, is sent as a Bearer token.
    pub fn new(template: Secret, token: Option<Secret>, http: HttpClient) -> Self {
        GenericHttp {
            template,
            token,
            http,
        }
    }
}

/// Checks a template the way [`GenericHttp`] will use it.
pub(crate) fn check_template(template: &str) -> Result<(), String> {
    if !template.contains("{number}") {
        return Err("the URL has no {number}".to_owned());
    }
    super::http::base_url(&template.replace("{number}", "0")).map(|_| ())
}

#[async_trait]
impl Source for GenericHttp {
    async fn lookup(&self, e164: &str) -> Result<Option<Person>, SourceError> {
        let number = utf8_percent_encode(e164, NON_ALPHANUMERIC).to_string();
        let url = Url::parse(&self.template.expose().replace("{number}", &number))
            .map_err(|e| SourceError::Protocol(format!("URL template: {e}")))?;
        let Some(answer) = self
            .http
            .get_json::<Option<Answer>>(url, self.token.as_ref())
            .await?
            .flatten()
        else {
            return Ok(None);
        };
        let extension = answer.extension.filter(|e| !e.trim().is_empty());
        let email = answer.email.filter(|e| !e.trim().is_empty());
        Ok(match (extension, email) {
            (Some(extension), _) => Some(Person {
                found: format!("extension {extension}"),
                who: Employee::Extension(extension),
            }),
            (None, Some(email)) => Some(Person {
                found: format!("e-mail {email}"),
                who: Employee::Email(email),
            }),
            (None, None) => None,
        })
    }
}
